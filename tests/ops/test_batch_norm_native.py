"""The native training batch norm forward (torchmeta.ops.batch_norm_native) against TF's FusedBatchNormV3.

Training FusedBatchNormV3 on channels-last float32 CPU tensors (and specialization's BN+Relu fusion, TF's
_FusedBatchNormEx) runs a small C kernel where one can be built. These tests build the same graphs in TF
and torchmeta, check that the native kernel ran (or, with it turned off, that the torch path gives the same
values), and compare every output.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

import torchmeta as tm
from tests.ops import native_helpers
from torchmeta.ops import batch_norm_native, nn_ops
from torchmeta.runtime import specialize_conv

# C below, at and above 8- and 16-channel groups, with 4- and 1-channel tails; rows in several blocks of 16 to
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


native, without_native = native_helpers.fixtures(batch_norm_native)


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


def _exact_statistics_inputs(shape, seed):
    """Inputs whose batch statistics every summation order gets exactly: each channel's rows come in pairs
    c + h, c - h of quarter steps (the mean is c, the squares and their sums fit a float's 24 bits), so TF's
    and the native kernel's statistics agree to the bit and y's own arithmetic is what differs, if anything."""
    rng = np.random.default_rng(seed)
    n, h, w, c = shape
    half = rng.integers(-14, 15, size=(n // 2, h, w, c)) / 4
    x = (np.concatenate([half, -half]) + 0.75 * (np.arange(c) - c // 2)).astype(np.float32)
    scale = rng.standard_normal(c).astype(np.float32)
    offset = rng.standard_normal(c).astype(np.float32)
    mean = rng.standard_normal(c).astype(np.float32)
    variance = (np.abs(rng.standard_normal(c)) + 0.5).astype(np.float32)
    return x, scale, offset, mean, variance


@pytest.mark.skipif(
    os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "0", reason="the reference is TF's oneDNN batch norm (conftest)"
)
@pytest.mark.parametrize("relu", [False, True], ids=["plain", "relu"])
@pytest.mark.parametrize("factor", [1.0, 0.25])
@pytest.mark.parametrize(
    "shape", [(4, 8, 8, 8), (2, 6, 5, 16), (4, 4, 4, 64), (2, 5, 4, 12), (2, 7, 3, 37), (2, 3, 4, 6)], ids=str
)
def test_native_rounds_as_onednn_bit_for_bit(tf1, native, spy, shape, factor, relu):
    """With the same statistics the native kernel's outputs are oneDNN's bit for bit: y as oneDNN's jit
    kernels round it where C % 4 == 0 (fma((x - mean) * rstd, scale, offset), rstd = 1 / sqrtf(variance +
    epsilon), in float; a multiply and an add on a CPU without FMA) and as its reference kernel does for other
    C ((x - mean) * (scale / sqrtf(variance + epsilon)) + offset), and the unbiased variance as TF adjusts
    oneDNN's biased one (times n / (n - 1) in float). Before, y = (x - mean) * (scale * rstd) + offset (rstd in
    double) differed from TF's in the last bit on a third of the elements, enough to send a 70-step training
    run (tests/examples/test_tf1_programs.py's is_training_cnn) down another path than TF's on an AVX2 CPU."""
    inputs = _exact_statistics_inputs(shape, sum(shape))
    ours = _run(tm, inputs, factor, relu)
    assert spy == [(True, relu)]
    theirs = _tf(inputs, factor, relu)
    names = ["y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"]
    for name, a, e in zip(names, ours, theirs, strict=True):
        assert a.dtype == e.dtype and a.shape == e.shape, name
        np.testing.assert_array_equal(a, e, err_msg=name)


def test_native_relu_keeps_nan(native):
    """Relu in the output pass lets NaN through (as TF's Relu and torch.relu), zeroes negatives."""
    x = torch.tensor([[0.0, 1.0], [float("nan"), 2.0], [4.0, 3.0]])
    ones, zeros = torch.ones(2), torch.zeros(2)
    y = batch_norm_native.train_forward(x, ones, zeros, zeros, ones, 0.001, 1.0, relu=True)[0]
    assert torch.isnan(y[:, 0]).all()  # a NaN in the batch makes the channel's statistics NaN
    assert y[0, 1] == 0 and y[2, 1] > 0


@pytest.mark.parametrize("lanes", [0, 8], ids=["cpu_lanes", "8_lanes"])
@pytest.mark.parametrize("border", [(0, 1, 0, 1), (1, 2, 0, 3)], ids=str)
@pytest.mark.parametrize("shape", [(2, 4, 3, 5), (3, 11, 13, 16), (2, 6, 6, 37), (2, 3, 2, 2050)], ids=str)
def test_native_writes_y_inside_a_zero_border(native, shape, border, lanes):
    """With ``border`` (top, bottom, left, right) y is the interior view of a zero-bordered tensor (its ``_base``,
    what a stride-2 convolution would pad y into): the same values bit for bit as the plain call's y, a zero
    border, the same statistics (relu and a residual side, as the fused calls run it)."""
    x, scale, offset, mean, variance = (torch.from_numpy(a) for a in _inputs(shape, 5))
    side = torch.from_numpy(_inputs(shape, 6)[0]) - 3
    lib = batch_norm_native.library.load()
    lib.tm_batch_norm_force_lanes(lanes)
    try:
        plain = batch_norm_native.train_forward(x, scale, offset, mean, variance, 0.001, 0.5, relu=True, side=side)
        ours = batch_norm_native.train_forward(
            x, scale, offset, mean, variance, 0.001, 0.5, relu=True, side=side, border=border
        )
    finally:
        lib.tm_batch_norm_force_lanes(0)
    top, bottom, left, right = border
    n, h, w, c = shape
    bordered = ours[0]._base
    assert bordered.shape == (n, h + top + bottom, w + left + right, c)
    assert ours[0].data_ptr() == bordered[:, top:, left:].data_ptr()
    for a, e in zip(ours, plain):
        assert torch.equal(a, e)
    interior = torch.zeros_like(bordered, dtype=torch.bool)
    interior[:, top : top + h, left : left + w] = True
    assert not bordered[~interior].any()
    # the kernel writes the border's zeros itself: over memory that held NaN, the same tensor
    bordered.fill_(float("nan"))
    wide = w + left + right
    gaps = (w, h, (left + right) * c, (top + bottom) * wide * c, (top * wide + left) * c)
    batch_norm_native._forward(x, scale, offset, mean, variance, 0.001, 0.5, side, True, ours[0], gaps)
    assert torch.equal(ours[0], plain[0]) and not bordered[~interior].any()


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
    monkeypatch.setattr(batch_norm_native.library, "lib", None)
    monkeypatch.setattr(batch_norm_native.library, "tried", False)
    assert not batch_norm_native.available()
    assert list(tmp_path.iterdir()) == []


def test_torch_compile_traces_the_native_kernel(native, spy):
    """Under torch.compile the native kernel is a custom op of the traced graph (native_build.custom_op):
    the whole batch norm (+ Relu) compiles as one graph and equals eager's values bit for bit."""
    x, scale, offset, mean, variance = (torch.from_numpy(a) for a in _inputs((2, 4, 4, 16), 5))

    def step(x):
        return nn_ops._fused_batch_norm(x, scale, offset, mean, variance, 0.001, 0.5, "NHWC", True, relu=True)

    compiled = torch.compile(step, fullgraph=True, backend="aot_eager")
    traced = compiled(x)
    assert spy == [(True, True)]
    for a, e in zip(traced, step(x)):
        torch.testing.assert_close(a, e, rtol=0, atol=0)
    assert spy[-1] == (True, True)


# ---------------------------------------------------------------------------------------------
# The native training gradient: FusedBatchNormGradV3, with the ReluGrad before it fused in by
# specialization where the ReluGrad's result has no other reader.

GRAD_SHAPES = [
    (1, 1, 1, 4),
    (2, 4, 3, 5),
    (3, 11, 13, 16),
    (3, 20, 20, 37),
    (1, 1, 2, 3),
    (2, 5, 7, 256),
    (2, 3, 2, 300),
]


@pytest.fixture
def grad_spy(monkeypatch):
    """Records, per call of the native gradient, whether it ran, whether it folded a ReluGrad in, and
    whether it wrote over the incoming gradient."""
    calls = []
    real = batch_norm_native.train_gradient

    def wrapped(y_backprop, features, *args, **kwargs):
        out = real(y_backprop, features, *args, **kwargs)
        calls.append((out is not None, features is not None, kwargs.get("in_place", False)))
        return out

    monkeypatch.setattr(batch_norm_native, "train_gradient", wrapped)
    return calls


def _run_grad(framework, inputs, dy_value, factor, relu, epsilon=0.001):
    """The forward outputs and tf.gradients of (Relu of) FusedBatchNormV3's y for x, scale and offset,
    with dy fed as the incoming gradient."""
    x_value, scale, offset, mean, variance = inputs
    g = framework.Graph()
    with g.as_default():
        x = framework.compat.v1.placeholder(framework.float32, x_value.shape)
        dy = framework.compat.v1.placeholder(framework.float32, x_value.shape)
        s, o = framework.constant(scale), framework.constant(offset)
        outs = framework.raw_ops.FusedBatchNormV3(
            x=x,
            scale=s,
            offset=o,
            mean=framework.constant(mean),
            variance=framework.constant(variance),
            epsilon=epsilon,
            exponential_avg_factor=factor,
            is_training=True,
        )
        y = framework.nn.relu(outs[0]) if relu else outs[0]
        grads = framework.compat.v1.gradients(y, [x, s, o], grad_ys=dy)
        with framework.compat.v1.Session(graph=g) as sess:
            return sess.run([y, *outs[1:5], *grads], {x: x_value, dy: dy_value})


def _assert_grads_close(ours, theirs):
    names = ["y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2", "dx", "dscale", "doffset"]
    for name, a, e in zip(names, ours, theirs, strict=True):
        assert a.dtype == e.dtype and a.shape == e.shape, name
        # the gradient sums cancel (sum(dx) is 0): absolute error relative to the values' scale
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=2e-5 * max(1.0, float(np.max(np.abs(e)))), err_msg=name)


@pytest.mark.parametrize("relu", [False, True], ids=["plain", "relu"])
@pytest.mark.parametrize("factor", [1.0, 0.25])
@pytest.mark.parametrize("shape", GRAD_SHAPES, ids=str)
def test_native_gradient_matches_tf(tf1, native, grad_spy, shape, factor, relu):
    """tf.gradients of FusedBatchNormV3 (+ Relu): the gradient runs natively, the ReluGrad folded into it
    (the fed dy is not the kernel's to overwrite), and equals TF's (its Relu graph: _FusedBatchNormEx and
    its gradient)."""
    inputs = _inputs(shape, sum(shape) + 1)
    dy = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    ours = _run_grad(tm, inputs, dy, factor, relu)
    assert grad_spy == [(True, relu, False)]
    _assert_grads_close(ours, _run_grad(_tf_module(), inputs, dy, factor, relu))


@pytest.mark.parametrize("relu", [False, True], ids=["plain", "relu"])
@pytest.mark.parametrize("shape", [(3, 20, 20, 37), (2, 5, 7, 256)], ids=str)
def test_torch_gradient_matches_tf(tf1, without_native, grad_spy, shape, relu):
    """Without the native kernel (TORCHMETA_NATIVE=0, no compiler) the fused ReluGrad + gradient runs
    relu_grad and torch's batch norm backward: TF's values too."""
    inputs = _inputs(shape, 9)
    dy = np.random.default_rng(6).standard_normal(shape).astype(np.float32)
    ours = _run_grad(tm, inputs, dy, 0.5, relu)
    assert grad_spy == [(False, relu, False)]
    _assert_grads_close(ours, _run_grad(_tf_module(), inputs, dy, 0.5, relu))


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("shape", [(3, 11, 13, 16), (2, 3, 2, 300), (1, 1, 1, 5)], ids=str)
def test_native_gradient_equals_torch_path(native, shape, relu):
    """Kernel for kernel, in place or not, the native gradient agrees with relu_grad + torch's backward."""
    rng = np.random.default_rng(12)
    x, features, dy = (torch.from_numpy(rng.standard_normal(shape).astype(np.float32)) for _ in range(3))
    c = shape[-1]
    scale = torch.from_numpy(rng.standard_normal(c).astype(np.float32))
    mean, variance = x.reshape(-1, c).mean(0), x.reshape(-1, c).var(0, correction=0)
    f = features if relu else None
    with native_helpers.torch_path(batch_norm_native):
        slow = nn_ops._fused_batch_norm_grad(
            nn_ops.relu_grad(dy, features) if relu else dy, x, scale, mean, variance, 0.001, "NHWC", True
        )
    for in_place in (False, True):
        incoming = dy.clone()
        fast = batch_norm_native.train_gradient(incoming, f, x, scale, mean, variance, 0.001, in_place=in_place)
        assert (fast[0] is incoming) == in_place
        for a, e in zip(fast, slow[:3]):
            assert a.dtype == e.dtype and a.shape == e.shape
            torch.testing.assert_close(a, e, rtol=1e-5, atol=2e-5 * max(1.0, float(e.abs().max())))


def _exact_gradient_inputs(shape, seed):
    """Inputs whose gradient sums every summation order gets exactly, with rstd a power of two: every
    channel's rows are a permutation of the same pairs c + h, c - h (quarter steps), so every channel has
    the biased variance v, and epsilon = 4 - v makes rstd = 1 / sqrtf(4) = 0.5; dy in quarter steps. TF's
    oneDNN kernel sums scale_backprop per image and thread, each part times rstd: exact here, as ours."""
    rng = np.random.default_rng(seed)
    n, h, w, c = shape
    half = rng.integers(-7, 8, size=n * h * w // 2) / 4
    rows = np.concatenate([half, -half])
    x = np.stack([rng.permutation(rows) for _ in range(c)], axis=-1) + 0.75 * (np.arange(c) - c // 2)
    x = x.reshape(shape).astype(np.float32)
    variance = float(np.mean(rows**2))
    dy = (rng.integers(-8, 9, size=shape) / 4).astype(np.float32)
    scale = rng.standard_normal(c).astype(np.float32)
    offset = rng.standard_normal(c).astype(np.float32)
    zeros, ones = np.zeros(c, np.float32), np.ones(c, np.float32)
    return (x, scale, offset, zeros, ones), dy, 4.0 - variance


@pytest.mark.skipif(
    os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "0", reason="the reference is TF's oneDNN batch norm (conftest)"
)
@pytest.mark.parametrize("relu", [False, True], ids=["plain", "relu"])
@pytest.mark.parametrize("shape", [(4, 8, 8, 8), (2, 4, 4, 16), (4, 4, 4, 12), (2, 8, 8, 64), (2, 8, 8, 37)], ids=str)
def test_native_gradient_rounds_as_onednn_bit_for_bit(tf1, native, grad_spy, shape, relu):
    """With sums every order gets exactly, the native gradient is oneDNN's jit kernel's bit for bit:
    x_backprop = ((g - offset_backprop / n) - (x - mean) * (scale_backprop * rstd / n)) * scale * rstd in
    float, in that order (TF's reference kernel, C % 4 != 0, agrees on these inputs). Before, k * g -
    (b + a * (x - mean)) with k = scale * rstd, b and a in double differed from TF's in the last bit on
    17-25% of these elements."""
    inputs, dy, epsilon = _exact_gradient_inputs(shape, sum(shape))
    ours = _run_grad(tm, inputs, dy, 1.0, relu, epsilon)
    assert grad_spy and all(ran for ran, _, _ in grad_spy)
    theirs = _run_grad(_tf_module(), inputs, dy, 1.0, relu, epsilon)
    names = ["y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2", "dx", "dscale", "doffset"]
    for name, a, e in zip(names, ours, theirs, strict=True):
        assert a.dtype == e.dtype and a.shape == e.shape, name
        np.testing.assert_array_equal(a, e, err_msg=name)


def test_native_gradient_relu_grad_is_relu_grads_product(native):
    """The folded ReluGrad is relu_grad's product dy * (features > 0): an infinite dy where the mask is 0
    still makes NaN, a NaN feature masks to 0; the native kernel and the torch path agree on where NaN goes."""
    dy = torch.tensor([[1.0, 5.0], [float("inf"), 2.0], [3.0, 4.0]]).view(1, 1, 3, 2)
    features = torch.tensor([[1.0, 2.0], [-1.0, float("nan")], [2.0, 3.0]]).view(1, 1, 3, 2)
    x = torch.tensor([[0.0, 1.0], [1.0, 2.0], [2.0, 4.0]]).view(1, 1, 3, 2)
    ones = torch.ones(2)
    fast = batch_norm_native.train_gradient(dy, features, x, ones, ones, ones, 0.001)
    with native_helpers.torch_path(batch_norm_native):
        slow = nn_ops._fused_batch_norm_grad(nn_ops.relu_grad(dy, features), x, ones, ones, ones, 0.001, "NHWC", True)
    assert torch.isnan(slow[2]).tolist() == [True, False]
    for a, e in zip(fast, slow[:3]):
        torch.testing.assert_close(a, e, rtol=1e-5, atol=1e-5, equal_nan=True)


@pytest.mark.parametrize("in_place", [False, True], ids=["new", "in_place"])
@pytest.mark.parametrize(
    "shape", [(1, 1, 3, 8), (2, 3, 3, 12), (3, 11, 13, 16), (1, 5, 7, 21), (2, 3, 5, 40), (2, 3, 2, 300)], ids=str
)
def test_native_gradient_relu_bits_equal_features(native, shape, in_place):
    """With the Relu the gradient's first pass keeps the mask (features > 0) as bits for its second where
    AVX2 or AVX-512 runs, for the channels of its 8- and 16-lane groups (the last C % 8 read features in
    both passes): 8- and 16-lane groups mixed (40, 300 channels), 4- and 1-channel tails, odd row counts.
    With NaN and both zeros among the features and infinities in dy (where the mask is 1 and where it is
    0: NaN then, as ReluGrad's product), its outputs are bit for bit those of the kernel reading features
    in both passes, at 8 lanes and at the CPU's width, and they are the torch path's."""
    rng = np.random.default_rng(sum(shape))
    x, features, dy = (torch.from_numpy(rng.standard_normal(shape).astype(np.float32)) for _ in range(3))
    c = shape[-1]
    features.view(-1)[::7] = float("nan")
    features.view(-1)[::11] = 0.0
    features.view(-1)[::13] = -0.0
    dy[..., 1] = 1.0  # channel 1: an infinity where the mask is 1 (rows 0) and where it is 0 (row 1)
    dy.view(-1, c)[0, 1], features.view(-1, c)[0, 1] = float("inf"), 1.0
    if dy.numel() // c > 1:
        dy.view(-1, c)[1, 1], features.view(-1, c)[1, 1] = float("-inf"), -1.0
    scale = torch.from_numpy(rng.standard_normal(c).astype(np.float32))
    mean, variance = x.reshape(-1, c).mean(0), x.reshape(-1, c).var(0, correction=0)
    lib = batch_norm_native.library.load()

    def run(lanes, mask_off):
        try:
            lib.tm_batch_norm_force_lanes(lanes)
            lib.tm_batch_norm_mask_off(mask_off)
            incoming = dy.clone()
            return batch_norm_native.train_gradient(
                incoming, features, x, scale, mean, variance, 0.001, in_place=in_place
            )
        finally:
            lib.tm_batch_norm_force_lanes(0)
            lib.tm_batch_norm_mask_off(0)

    want = run(0, 1)
    for lanes in (0, 8):
        for mask_off in (0, 1):
            for a, e in zip(run(lanes, mask_off), want, strict=True):
                assert torch.equal(a.view(torch.int32), e.view(torch.int32)), (lanes, mask_off)
    assert torch.isnan(want[1][1]) and not torch.isnan(want[1][0])
    with native_helpers.torch_path(batch_norm_native):
        slow = nn_ops._fused_batch_norm_grad(
            nn_ops.relu_grad(dy, features), x, scale, mean, variance, 0.001, "NHWC", True
        )
    for a, e in zip(want, slow[:3]):
        torch.testing.assert_close(
            a, e, rtol=1e-5, atol=2e-5 * max(1.0, float(e.nan_to_num().abs().max())), equal_nan=True
        )


@pytest.mark.parametrize("case", ["features_shape", "strided", "float64", "nchw_layout"])
def test_native_gradient_steps_aside(native, case):
    """Mismatched shapes, non-contiguous or float64 tensors: None (the caller's torch path runs)."""
    rng = np.random.default_rng(2)
    x, features, dy = (torch.from_numpy(rng.standard_normal((2, 3, 3, 8)).astype(np.float32)) for _ in range(3))
    vec = torch.ones(8)
    if case == "features_shape":
        features = features[:1]
    elif case == "strided":
        dy = dy.transpose(1, 2)
    elif case == "float64":
        x = x.double()
    else:
        x = x.permute(0, 3, 1, 2)
    assert batch_norm_native.train_gradient(dy, features, x, vec, vec, vec, 0.001) is None


def _tf_module():
    import tensorflow as tf

    return tf


def _resnet_step(tf, x_value, labels_value, steps):
    """A ResNet-shaped training step (conv-BN-relu stem, an identity block with its residual add, Momentum,
    batch norm moving averages through UPDATE_OPS), run ``steps`` times: losses, variables, the modules."""
    tf.set_random_seed(3)
    x = tf.placeholder(tf.float32, x_value.shape)
    labels = tf.placeholder(tf.int64, [x_value.shape[0]])

    def conv_bn(h, name):
        h = tf.layers.conv2d(h, 16, 3, 1, padding="same", use_bias=False, name=name)
        return tf.layers.batch_normalization(h, training=True, fused=True, name=name + "_bn")

    h = tf.nn.relu(conv_bn(x, "stem"))
    y = tf.nn.relu(conv_bn(h, "conv1"))
    h = tf.nn.relu(conv_bn(y, "conv2") + h)
    logits = tf.layers.dense(tf.reduce_mean(h, axis=[1, 2]), 5, name="logits")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train = tf.train.MomentumOptimizer(0.05, 0.9).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        feed = {x: x_value, labels: labels_value}
        losses = [sess.run([loss, train], feed)[0] for _ in range(steps)]
        out = [*losses, *sess.run(tf.global_variables())]
        modules = sess._compiled_modules() if hasattr(sess, "_compiled_modules") else None
    return out, modules


def test_resnet_step_takes_the_native_gradient(tf1, native, grad_spy):
    """In a ResNet-shaped training step the ReluGrad read only by a batch norm gradient (the stem's and
    conv1's: the residual block's output ReluGrad also feeds the shortcut) is fused into it, the native
    gradient runs (ReluGrad folded in, writing over the fresh incoming gradient), and three
    steps give TF's losses and variables."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 10, 10, 3)).astype(np.float32)
    labels = rng.integers(0, 5, 4)
    theirs, _ = _resnet_step(tf1, x, labels, 3)
    ours, modules = _resnet_step(tm.compat.v1, x, labels, 3)
    assert len(ours) == len(theirs)
    for i, (a, e) in enumerate(zip(ours, theirs)):
        assert np.shape(a) == np.shape(e), i
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5, err_msg=f"value {i}")
    targets = [n.target for m in modules for n in m.graph.nodes if n.op == "call_function"]
    # forward: Relu(bn) twice, Relu(bn2 + shortcut) in bn2's output pass
    assert targets.count(specialize_conv.fused_batch_norm_relu) == 2
    assert targets.count(specialize_conv.fused_batch_norm_add_relu) == 1
    assert specialize_conv.add_relu not in targets
    assert targets.count(nn_ops.fused_batch_norm_grad_relu) == 2
    assert targets.count(nn_ops.fused_batch_norm_grad_v3) == 1  # conv2's: its ReluGrad also feeds the shortcut
    # per step: conv1's over conv2's input gradient and the stem's over an AddN (its two readers' gradients),
    # both fresh results only the ReluGrad read: written over; conv2's plain gradient
    assert grad_spy == [(True, False, False), (True, True, True), (True, True, True)] * 3


@pytest.mark.parametrize("shape", [(3, 11, 13, 16), (3, 20, 20, 37), (2, 5, 7, 256), (2, 3, 2, 300)], ids=str)
def test_vector_widths_give_the_same_bits(native, shape):
    """The 16-lane (AVX-512) and the 8-lane code compute each channel with the same operations in the same
    order: forward and gradient outputs are bit-identical (on a CPU without AVX-512 both runs take the
    8-lane code)."""
    x, scale, offset, mean, variance = (torch.from_numpy(a) for a in _inputs(shape, 21))
    rng = np.random.default_rng(22)
    dy, features = (torch.from_numpy(rng.standard_normal(shape).astype(np.float32)) for _ in range(2))
    lib = batch_norm_native.library.load()

    def run():
        fwd = batch_norm_native.train_forward(x, scale, offset, mean, variance, 0.001, 0.5, relu=True)
        grads = [batch_norm_native.train_gradient(dy, f, x, scale, fwd[3], fwd[4], 0.001) for f in (features, None)]
        return [*fwd, *grads[0], *grads[1]]

    try:
        lib.tm_batch_norm_force_lanes(8)
        narrow = run()
    finally:
        lib.tm_batch_norm_force_lanes(0)
    for a, e in zip(run(), narrow, strict=True):
        assert torch.equal(a, e)


def test_resnet_step_without_native_matches_tf(tf1, without_native, spy, grad_spy):
    """The same step on the torch path (TORCHMETA_NATIVE=0): the fusions stay (their kernels run relu_grad,
    torch's batch norm and its backward, the residual add) and give TF's losses and variables."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 10, 10, 3)).astype(np.float32)
    labels = rng.integers(0, 5, 4)
    theirs, _ = _resnet_step(tf1, x, labels, 3)
    ours, modules = _resnet_step(tm.compat.v1, x, labels, 3)
    for i, (a, e) in enumerate(zip(ours, theirs, strict=True)):
        assert np.shape(a) == np.shape(e), i
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5, err_msg=f"value {i}")
    targets = [n.target for m in modules for n in m.graph.nodes if n.op == "call_function"]
    assert targets.count(specialize_conv.fused_batch_norm_add_relu) == 1
    assert targets.count(nn_ops.fused_batch_norm_grad_relu) == 2
    assert spy and not any(ran for ran, _ in spy)
    assert grad_spy and not any(ran for ran, _, _ in grad_spy)


@pytest.mark.parametrize("channels", [512, 513], ids=["stack_scratch", "tensor_scratch"])
def test_scratch_on_the_kernels_stack_up_to_its_limit(native, monkeypatch, channels):
    """Up to the library's exported limit (512 channels) the kernels keep their scratch on their own stack
    (the wrapper passes NULL, one allocation less per call); above it the wrapper passes a tensor. Both
    sides of the limit give the torch path's values, forward and gradient, through the Relu and a residual."""
    batch_norm_native.library.load()
    assert batch_norm_native._stack_channels == 512
    allocated = []
    scratch = batch_norm_native._scratch
    monkeypatch.setattr(batch_norm_native, "_scratch", lambda *a: allocated.append(scratch(*a)) or allocated[-1])
    shape = (2, 3, 2, channels)
    x, scale, offset, mean, variance = (torch.from_numpy(a) for a in _inputs(shape, 23))
    rng = np.random.default_rng(24)
    side, dy, features = (torch.from_numpy(rng.standard_normal(shape).astype(np.float32)) for _ in range(3))
    fast = batch_norm_native.train_forward(x, scale, offset, mean, variance, 0.001, 0.5, relu=True, side=side)
    slow = nn_ops._fused_batch_norm_torch(x, scale, offset, mean, variance, 0.001, 0.5, "NHWC", True)
    slow = (torch.relu(slow[0] + side), *slow[1:])
    for a, e in zip(fast, slow, strict=True):
        assert a.dtype == e.dtype and a.shape == e.shape
        torch.testing.assert_close(a, e, rtol=1e-5, atol=1e-5)
    grad = batch_norm_native.train_gradient(dy, features, x, scale, fast[3], fast[4], 0.001)
    with native_helpers.torch_path(batch_norm_native):
        want = nn_ops._fused_batch_norm_grad(
            nn_ops.relu_grad(dy, features), x, scale, fast[3], fast[4], 0.001, "NHWC", True
        )
    for a, e in zip(grad, want[:3]):
        assert a.dtype == e.dtype and a.shape == e.shape
        torch.testing.assert_close(a, e, rtol=1e-5, atol=2e-5 * max(1.0, float(e.abs().max())))
    on_stack = channels <= 512
    assert [t is None for t in allocated] == [on_stack, on_stack]
    if not on_stack:
        assert [t.numel() for t in allocated] == [3 * channels, 4 * channels]


class _AtenCalls(torch.utils._python_dispatch.TorchDispatchMode):
    """Records the names of the aten ops run under it."""

    def __init__(self):
        super().__init__()
        self.names = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.names.append(func._overloadpacket.__name__)
        return func(*args, **(kwargs or {}))


def _grad_v3(framework, x, dy, scale, mean, variance):
    """FusedBatchNormGradV3 (training, NHWC) with every input fed, of unknown shape (checked when it runs):
    its five outputs."""
    g = framework.Graph()
    values = (x, dy, scale, mean, variance)
    with g.as_default():
        xs = [framework.compat.v1.placeholder(framework.float32) for _ in values]
        outs = framework.raw_ops.FusedBatchNormGradV3(
            y_backprop=xs[1],
            x=xs[0],
            scale=xs[2],
            reserve_space_1=xs[3],
            reserve_space_2=xs[4],
            reserve_space_3=framework.constant(np.zeros(0, np.float32)),
            epsilon=0.001,
            is_training=True,
        )
        with framework.compat.v1.Session(graph=g) as sess:
            return sess.run(list(outs), dict(zip(xs, values)))


def test_native_batch_norm_calls_allocate_only_their_outputs(tf1, native, spy, grad_spy):
    """A training step runs this Python cold, after each kernel, where every torch call costs tens of
    microseconds (bench/results/bnw15_profile.txt): a native FusedBatchNormV3 or FusedBatchNormGradV3 call makes
    its outputs with one allocation each (y or x_backprop, the [C] vectors, the reserve placeholders: scale's
    ``new_*``, not factory functions that parse dtype and device, nor clones), and its values are TF's."""
    x, scale, offset, mean, variance = _inputs((2, 5, 7, 16), 21)
    dy = np.random.default_rng(22).standard_normal(x.shape).astype(np.float32)
    t = [torch.from_numpy(v) for v in (x, scale, offset, mean, variance, dy)]
    with _AtenCalls() as forward:
        ours = nn_ops.fused_batch_norm_v3(*t[:5], 0.001, 1.0, "NHWC", True)
    assert sorted(forward.names) == ["empty_like", *["new_empty"] * 5]
    with _AtenCalls() as gradient:
        grads = nn_ops.fused_batch_norm_grad_v3(t[5], t[0], t[1], ours[3], ours[4], ours[5], 0.001, "NHWC", True)
    assert sorted(gradient.names) == ["empty_like", *["new_empty"] * 2, *["new_zeros"] * 2]
    assert spy == [(True, False)] and grad_spy == [(True, False, False)]
    _assert_close([o.numpy() for o in ours[:5]], _run(_tf_module(), (x, scale, offset, mean, variance), 1.0, False))
    theirs = _grad_v3(_tf_module(), x, dy, scale, ours[3].numpy(), ours[4].numpy())
    for a, e in zip([g.numpy() for g in grads], theirs, strict=True):
        assert a.dtype == e.dtype and a.shape == e.shape
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=2e-5 * max(1.0, float(np.max(np.abs(e)))))
    assert grads[3] is not grads[4] and grads[3].data_ptr() != grads[4].data_ptr()


@pytest.mark.parametrize("case", ["scale_length", "y_backprop_shape"])
def test_gradient_input_errors_stay_tf_s(tf1, native, case):
    """The native gradient runs before the op's shape checks (it takes only what they pass): malformed
    inputs still raise TF's InvalidArgumentError, not a kernel's result."""
    x, scale, _, mean, variance = _inputs((2, 3, 3, 8), 23)
    dy = np.ones_like(x)
    if case == "scale_length":
        scale = scale[:5]
    else:
        dy = dy[:, :2]
    for framework in (tm, _tf_module()):
        with pytest.raises(framework.errors.InvalidArgumentError):
            _grad_v3(framework, x, dy, scale, mean, variance)
