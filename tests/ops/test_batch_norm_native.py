"""The native training batch norm forward (torchmeta.ops.batch_norm_native) against TF's FusedBatchNormV3.

Training FusedBatchNormV3 on channels-last float32 CPU tensors (and specialization's BN+Relu fusion, TF's
_FusedBatchNormEx) runs a small C kernel where one can be built. These tests build the same graphs in TF
and torchmeta, check that the native kernel ran (or, with it turned off, that the torch path gives the same
values), and compare every output.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchmeta as tm
from torchmeta.ops import batch_norm_native, nn_ops

# C below, at and above one 16-channel block, with 4- and 1-channel tails; rows in several blocks of 16 to
# 256 rows with a partial last one ((3, 11, 13, 16): 256 + 173 rows, (3, 20, 20, 37): 221-row blocks,
# (5, 7, 9, 64): 128, (2, 5, 7, 256): 32) and one partial 16-row block at C = 2050.
SHAPES = [
    (2, 4, 3, 5),
    (4, 6, 6, 16),
    (3, 11, 13, 16),
    (3, 20, 20, 37),
    (2, 3, 3, 24),
    (1, 1, 2, 3),
    (5, 7, 9, 64),
    (2, 5, 7, 256),
    (2, 3, 2, 2050),
]


@pytest.fixture
def native():
    if not batch_norm_native.available():
        pytest.skip("no C compiler: the native kernel cannot be built")


@pytest.fixture
def spy(monkeypatch):
    """Records, per call of the native entry point, whether it ran (returned outputs) and its relu flag."""
    calls = []
    real = batch_norm_native.train_forward

    def wrapped(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append((out is not None, kwargs.get("relu", False)))
        return out

    monkeypatch.setattr(batch_norm_native, "train_forward", wrapped)
    return calls


@pytest.fixture
def without_native(monkeypatch):
    """The torch path, as without a C compiler (TORCHMETA_NATIVE=0)."""
    monkeypatch.setattr(batch_norm_native, "_lib", None)
    monkeypatch.setattr(batch_norm_native, "_tried", True)


def _inputs(shape, seed):
    rng = np.random.default_rng(seed)
    c = shape[-1]
    x = (rng.standard_normal(shape) * 2 + 3).astype(np.float32)  # a mean far from 0, as after a conv
    scale = (rng.standard_normal(c) + 1).astype(np.float32)
    offset = rng.standard_normal(c).astype(np.float32)
    mean = rng.standard_normal(c).astype(np.float32)
    variance = (np.abs(rng.standard_normal(c)) + 0.5).astype(np.float32)
    return x, scale, offset, mean, variance


def _run(framework, inputs, factor, relu):
    """FusedBatchNormV3 (training, NHWC, x fed), Relu on y when ``relu``: y and the four statistics."""
    x_value, scale, offset, mean, variance = inputs
    g = framework.Graph()
    with g.as_default():
        x = framework.compat.v1.placeholder(framework.float32, x_value.shape)
        outs = framework.raw_ops.FusedBatchNormV3(
            x=x,
            scale=framework.constant(scale),
            offset=framework.constant(offset),
            mean=framework.constant(mean),
            variance=framework.constant(variance),
            epsilon=0.001,
            exponential_avg_factor=factor,
            is_training=True,
        )
        y = framework.nn.relu(outs[0]) if relu else outs[0]
        with framework.compat.v1.Session(graph=g) as sess:
            return sess.run([y, *outs[1:5]], {x: x_value})


def _tf(inputs, factor, relu):
    import tensorflow as tf

    return _run(tf, inputs, factor, relu)


def _assert_close(ours, theirs):
    names = ["y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"]
    for name, a, e in zip(names, ours, theirs):
        assert a.dtype == e.dtype and a.shape == e.shape, name
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("relu", [False, True], ids=["plain", "relu"])
@pytest.mark.parametrize("factor", [1.0, 0.25])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_native_matches_tf(tf1, native, spy, shape, factor, relu):
    """Outputs equal TF's (the Relu graph: TF's remapper runs it as _FusedBatchNormEx; torchmeta's
    specialization fuses it into the native kernel's output pass)."""
    inputs = _inputs(shape, sum(shape))
    ours = _run(tm, inputs, factor, relu)
    assert spy == [(True, relu)]
    _assert_close(ours, _tf(inputs, factor, relu))


@pytest.mark.parametrize("relu", [False, True], ids=["plain", "relu"])
@pytest.mark.parametrize("factor", [1.0, 0.25])
@pytest.mark.parametrize("shape", [(2, 4, 3, 5), (3, 5, 5, 37)], ids=str)
def test_torch_path_matches_tf(tf1, without_native, spy, shape, factor, relu):
    """Without the native kernel (no compiler, TORCHMETA_NATIVE=0) torch's batch norm gives TF's values."""
    inputs = _inputs(shape, 7)
    ours = _run(tm, inputs, factor, relu)
    assert spy == [(False, relu)]
    _assert_close(ours, _tf(inputs, factor, relu))


@pytest.mark.parametrize("shape", [(1, 1, 1, 4), (1, 1, 1, 17)], ids=str)
@pytest.mark.parametrize("factor", [1.0, 0.25])
def test_one_row_per_channel_matches_tf(tf1, native, spy, shape, factor):
    """N*H*W == 1: the native kernel steps aside (spy: not run) and the torch formulas give TF's
    outputs (y = offset, variance 0)."""
    inputs = _inputs(shape, 3)
    ours = _run(tm, inputs, factor, True)
    assert spy == [(False, True)]
    _assert_close(ours, _tf(inputs, factor, True))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("relu", [False, True])
def test_native_equals_torch_path(native, shape, relu):
    """Kernel for kernel, the two paths agree to float32 rounding on every output."""
    x, scale, offset, mean, variance = (torch.from_numpy(a) for a in _inputs(shape, 11))
    args = (x, scale, offset, mean, variance, 0.001, 0.5, "NHWC", True)
    fast = batch_norm_native.train_forward(x, scale, offset, mean, variance, 0.001, 0.5, relu=relu)
    slow = nn_ops._fused_batch_norm_torch(*args)
    if relu:
        slow = (torch.relu(slow[0]), *slow[1:])
    for a, e in zip(fast, slow):
        assert a.dtype == e.dtype and a.shape == e.shape
        torch.testing.assert_close(a, e, rtol=1e-5, atol=1e-5)


def _adversarial(case):
    """Inputs whose statistics lose precision when summed about zero: a mean 1e3-1e5 times the standard
    deviation, a mean drifting over the rows, and outlier rows in the first block."""
    rng = np.random.default_rng(17)
    shape = (32, 16, 16, 32)
    noise = rng.standard_normal(shape)
    if case == "mean_1e3_std_1e-2":
        return (noise * 1e-2 + 1e3).astype(np.float32)
    if case == "mean_1e5_std_1":
        return (noise + 1e5).astype(np.float32)
    if case == "drift":
        return (noise + np.linspace(0, 1e3, 32 * 16 * 16).reshape(32, 16, 16, 1)).astype(np.float32)
    x = (noise * 1e-2 + 1e3).astype(np.float32)
    x.reshape(-1, 32)[:7] = 5e3
    return x


@pytest.mark.parametrize("case", ["mean_1e3_std_1e-2", "mean_1e5_std_1", "drift", "outliers_first"])
def test_native_statistics_are_exact_on_adversarial_inputs(tf1, native, case):
    """The block-wise float sums merged in double give the batch mean and variance to float32 rounding of
    the exact (float64) values: relative error <= 1e-6 here, where TF's float32 kernel is off by up to
    5.5e-4 in the variance; y then differs from TF's by TF's own error (rtol 1e-5 does not hold for TF against
    the exact values on these inputs), so against TF the tolerance is TF's error on each case."""
    x = _adversarial(case)
    c = x.shape[-1]
    scale, offset = np.ones(c, np.float32), np.zeros(c, np.float32)
    mean, variance = np.zeros(c, np.float32), np.ones(c, np.float32)
    ours = _run(tm, (x, scale, offset, mean, variance), 1.0, False)
    theirs = _tf((x, scale, offset, mean, variance), 1.0, False)
    rows = x.reshape(-1, c).astype(np.float64)
    exact_mean = rows.mean(0)
    exact_var = ((rows - exact_mean) ** 2).mean(0)
    exact_y = ((rows - exact_mean) / np.sqrt(exact_var + 0.001)).reshape(x.shape)
    count = rows.shape[0]
    exact = [exact_y, exact_mean, exact_var * count / (count - 1), exact_mean, exact_var]
    for i, (a, t, e) in enumerate(zip(ours, theirs, exact)):
        assert a.dtype == t.dtype == np.float32 and a.shape == t.shape
        if i == 0:  # y: x's own float32 rounding (1e5 * 6e-8 against a standard deviation of 1) dominates
            assert np.max(np.abs(a - e)) <= max(2 * np.max(np.abs(t - e)), 1e-5)
        else:
            np.testing.assert_allclose(a, e, rtol=1e-6, atol=0)
            tf_error = np.max(np.abs(t - e) / np.abs(e))
            np.testing.assert_allclose(a, t, rtol=max(2 * tf_error, 1e-5), atol=0)


def test_native_relu_keeps_nan(native):
    """Relu in the output pass lets NaN through (as TF's Relu and torch.relu), zeroes negatives."""
    x = torch.tensor([[0.0, 1.0], [float("nan"), 2.0], [4.0, 3.0]])
    ones, zeros = torch.ones(2), torch.zeros(2)
    y = batch_norm_native.train_forward(x, ones, zeros, zeros, ones, 0.001, 1.0, relu=True)[0]
    assert torch.isnan(y[:, 0]).all()  # a NaN in the batch makes the channel's statistics NaN
    assert y[0, 1] == 0 and y[2, 1] > 0


@pytest.mark.parametrize(
    "case",
    ["float64", "nchw", "strided", "requires_grad", "one_row"],
)
def test_native_steps_aside(native, case):
    """Other dtypes, layouts, non-contiguous inputs, autograd inputs and one row per channel: None (the
    caller's torch path runs)."""
    x, scale, offset, mean, variance = (torch.from_numpy(a) for a in _inputs((2, 3, 3, 8), 1))
    if case == "float64":
        x, scale, offset = x.double(), scale.double(), offset.double()
    elif case == "nchw" or case == "strided":
        x = x.permute(0, 3, 1, 2) if case == "nchw" else x[:, :, :, ::2]
        scale, offset = scale[: x.shape[-1]], offset[: x.shape[-1]]
    elif case == "requires_grad":
        x.requires_grad_(True)
    else:
        x = x[:1, :1, :1]
    assert batch_norm_native.train_forward(x, scale, offset, mean, variance, 0.001, 1.0) is None


def test_native_kernel_can_be_turned_off(monkeypatch, tmp_path):
    """With TORCHMETA_NATIVE=0 nothing is compiled or loaded: the torch path runs."""
    monkeypatch.setenv("TORCHMETA_NATIVE", "0")
    monkeypatch.setenv("TORCHMETA_CACHE", str(tmp_path))
    monkeypatch.setattr(batch_norm_native, "_lib", None)
    monkeypatch.setattr(batch_norm_native, "_tried", False)
    assert not batch_norm_native.available()
    assert list(tmp_path.iterdir()) == []


def test_torch_compile_traces_the_torch_path(native, spy):
    """Under torch.compile tracing the native kernel steps aside (no data_ptr in a traced graph): the
    whole batch norm (+ Relu) compiles as one graph and equals the native kernel's values."""
    x, scale, offset, mean, variance = (torch.from_numpy(a) for a in _inputs((2, 4, 4, 16), 5))

    def step(x):
        return nn_ops._fused_batch_norm(x, scale, offset, mean, variance, 0.001, 0.5, "NHWC", True, relu=True)

    compiled = torch.compile(step, fullgraph=True, backend="eager")
    traced = compiled(x)
    assert spy == [(False, True)]
    for a, e in zip(traced, step(x)):
        torch.testing.assert_close(a, e, rtol=1e-5, atol=1e-5)
    assert spy[-1] == (True, True)
