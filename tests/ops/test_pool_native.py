"""The native max pooling kernel (torchmeta.ops.pool_native) against TF's MaxPool, MaxPoolV2 and their
gradients.

MaxPool and MaxPoolGrad on contiguous NHWC float32 CPU tensors run a small C kernel where one can be
built. TF has two CPU kernels with two rules for windows holding NaN or nothing above -FLT_MAX (oneDNN's
for MaxPool/MaxPoolGrad with SAME/VALID padding, SpatialMaxPoolWithArgMaxHelper for MaxPoolGradV2 and
EXPLICIT padding); both never let NaN win and give -FLT_MAX for such windows. These tests build the same
graphs in TF and torchmeta, check that the native kernel ran (or, with it turned off, that the torch path
gives the same values), and compare the maxima bit for bit and the gradients.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchmeta as tm
from tests.ops import native_helpers
from torchmeta.ops import pool_native, pool_ops

# (shape NHWC, ksize, strides, padding): tiling 2x2 windows (the CNN's), odd sizes with SAME's extra
# bottom/right row, overlapping 3x3 windows with padding above and left, VALID with leftover rows,
# rectangular windows and strides, channel counts below, at and past a 16-channel block (and past 64).
CASES = {
    "2x2-s2-same-tiles": ((2, 8, 8, 32), (2, 2), (2, 2), "SAME"),
    "2x2-s2-same-odd": ((2, 7, 9, 20), (2, 2), (2, 2), "SAME"),
    "3x3-s1-same": ((2, 7, 7, 5), (3, 3), (1, 1), "SAME"),
    "3x3-s2-same": ((1, 6, 6, 16), (3, 3), (2, 2), "SAME"),
    "3x3-s2-valid": ((2, 9, 8, 17), (3, 3), (2, 2), "VALID"),
    "2x3-s1x2-valid": ((2, 5, 6, 3), (2, 3), (1, 2), "VALID"),
    "1-channel": ((3, 6, 6, 1), (2, 2), (2, 2), "SAME"),
    "3x3-s2-same-wide": ((1, 7, 6, 83), (3, 3), (2, 2), "SAME"),  # 64 channels at once, then 16, then 3
}
LOWEST = np.finfo(np.float32).min


def _values(shape, kind, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    if kind == "ties":  # relu-like zeros and repeated values
        return np.maximum(np.round(x * 2) / 2, 0).astype(np.float32)
    if kind == "nan":  # scattered NaN, whole rows of NaN (windows of only NaN), NaN first in windows
        x[rng.random(shape) < 0.2] = np.nan
        x[:, 0, :, : shape[3] // 2 + 1] = np.nan
        x[:, 1, :, :1] = np.nan
        return x
    if kind == "nonfinite":  # -inf and -FLT_MAX windows, +inf, NaN among them
        x[rng.random(shape) < 0.3] = -np.inf
        x[:, :2, :2, :] = -np.inf
        x[:, -2:, -2:, :] = LOWEST
        x[rng.random(shape) < 0.05] = np.inf
        x[rng.random(shape) < 0.1] = np.nan
        return x
    return x


def _graph(tf, x_value, dy_seed, pool):
    """(y, dx) of ``pool(x)`` with tf.gradients, x fed through a placeholder."""
    x = tf.placeholder(tf.float32, x_value.shape)
    y = pool(tf, x)
    dy_value = np.random.default_rng(dy_seed).standard_normal(y.shape.as_list()).astype(np.float32)
    dy_value.reshape(-1)[::5] = -0.0  # TF's sums start from +0
    (dx,) = tf.gradients(y, [x], grad_ys=tf.constant(dy_value))
    with tf.Session() as sess:
        return sess.run([y, dx], {x: x_value})


def _max_pool(ksize, strides, padding):
    def pool(tf, x):
        return tf.nn.max_pool(x, [1, *ksize, 1], [1, *strides, 1], padding)

    return pool


def _max_pool_v2(ksize, strides, padding):
    def pool(tf, x):
        k, s = np.array([1, *ksize, 1], np.int32), np.array([1, *strides, 1], np.int32)
        return tf.raw_ops.MaxPoolV2(input=x, ksize=tf.constant(k), strides=tf.constant(s), padding=padding)

    return pool


def _max_pool_explicit(ksize, strides, pads):
    def pool(tf, x):
        paddings = [0, 0, *pads[0], *pads[1], 0, 0]
        return tf.raw_ops.MaxPool(
            input=x,
            ksize=[1, *ksize, 1],
            strides=[1, *strides, 1],
            padding="EXPLICIT",
            explicit_paddings=paddings,
        )

    return pool


native, without_native = native_helpers.fixtures(pool_native)


@pytest.fixture
def spy(monkeypatch):
    """Records, per call of the native forward and backward, whether it ran (returned a result)."""
    calls = []
    forward, backward = pool_native.forward, pool_native.backward

    def fwd(*args, **kwargs):
        out = forward(*args, **kwargs)
        calls.append(("forward", out is not None))
        return out

    def bwd(*args, **kwargs):
        out = backward(*args, **kwargs)
        calls.append(("backward", out is not None))
        return out

    monkeypatch.setattr(pool_native, "forward", fwd)
    monkeypatch.setattr(pool_native, "backward", bwd)
    return calls


def _assert_tf(ours, theirs, overlapping):
    for a, e in zip(ours, theirs):
        assert a.shape == e.shape and a.dtype == e.dtype
    np.testing.assert_array_equal(ours[0], theirs[0])  # the maxima are input values (or -FLT_MAX)
    if overlapping:  # a position in several windows sums their gradients, perhaps in another order
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_array_equal(ours[1], theirs[1])
    zeros = theirs[1] == 0  # TF adds gradients to zeros (-0 becomes +0), and its ReluGrad makes s * 0
    np.testing.assert_array_equal(np.signbit(ours[1][zeros]), np.signbit(theirs[1][zeros]))


def _overlapping(ksize, strides):
    return ksize[0] > strides[0] or ksize[1] > strides[1]


@pytest.mark.parametrize("kind", ["random", "ties", "nan", "nonfinite"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_native_max_pool_and_gradient_match_tf(tf1, native, spy, case, kind):
    shape, ksize, strides, padding = CASES[case]
    x = _values(shape, kind)
    pool = _max_pool(ksize, strides, padding)
    ours = _graph(tm, x, 1, pool)
    assert spy == [("forward", True), ("backward", True)]  # the gradient reused the forward's argmax
    _assert_tf(ours, _graph(tf1, x, 1, pool), _overlapping(ksize, strides))


def _inference(tf, x_value, pool):
    """``pool(x)`` and a Relu of it (the result read by another op, not fetched), with no gradient."""
    x = tf.placeholder(tf.float32, x_value.shape)
    y = tf.nn.relu(pool(tf, x)) * 1.0
    with tf.Session() as sess:
        return sess.run(y, {x: x_value})


@pytest.mark.parametrize("kind", ["random", "ties", "nan", "nonfinite"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_inference_max_pool_skips_the_argmax(tf1, native, spy, monkeypatch, case, kind):
    """A MaxPool that no MaxPoolGrad reads (inference) runs the maxima-only kernel (no argmax kept for a
    gradient), with TF's values bit for bit."""
    values = pool_native.values

    def values_spy(*args):
        out = values(*args)
        spy.append(("values", out is not None))
        return out

    monkeypatch.setattr(pool_native, "values", values_spy)
    shape, ksize, strides, padding = CASES[case]
    x = _values(shape, kind)
    pool = _max_pool(ksize, strides, padding)
    ours = _inference(tm, x, pool)
    assert spy == [("values", True)]
    np.testing.assert_array_equal(ours, _inference(tf1, x, pool))


@pytest.mark.parametrize("kind", ["ties", "nan", "nonfinite"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_torch_path_matches_tf(tf1, without_native, spy, case, kind):
    """Without the native kernel (no compiler, TORCHMETA_NATIVE=0) torch's pooling gives TF's values too:
    NaN and -inf are -FLT_MAX to it, and oneDNN's dropped gradients are dropped."""
    shape, ksize, strides, padding = CASES[case]
    x = _values(shape, kind)
    pool = _max_pool(ksize, strides, padding)
    ours = _graph(tm, x, 1, pool)
    assert spy == [("forward", False)]  # the gradient does not try once nothing is loaded
    _assert_tf(ours, _graph(tf1, x, 1, pool), _overlapping(ksize, strides))


@pytest.mark.parametrize("path", ["native", "torch"])
@pytest.mark.parametrize("kind", ["ties", "nan", "nonfinite"])
@pytest.mark.parametrize("case", ["2x2-s2-same-odd", "3x3-s1-same", "3x3-s2-valid"])
def test_max_pool_v2_gradient_matches_tf(tf1, monkeypatch, spy, case, kind, path):
    """MaxPoolV2's gradient is MaxPoolGradV2, TF's other CPU kernel: its window starts from its first real
    position whatever that holds (a NaN there keeps the gradient)."""
    native_helpers.choose_path(pool_native, monkeypatch, path)
    shape, ksize, strides, padding = CASES[case]
    x = _values(shape, kind, seed=3)
    pool = _max_pool_v2(ksize, strides, padding)
    ours = _graph(tm, x, 2, pool)
    # native: the forward, MaxPoolGradV2's own argmax (the forward's is oneDNN's rule) and the backward
    assert spy == (
        [("forward", True), ("forward", True), ("backward", True)] if path == "native" else [("forward", False)]
    )
    _assert_tf(ours, _graph(tf1, x, 2, pool), _overlapping(ksize, strides))


@pytest.mark.parametrize("path", ["native", "torch"])
@pytest.mark.parametrize("kind", ["ties", "nan", "nonfinite"])
def test_explicit_padding_matches_tf(tf1, monkeypatch, spy, kind, path):
    """EXPLICIT padding runs TF's SpatialMaxPoolWithArgMaxHelper for the gradient, as MaxPoolGradV2."""
    native_helpers.choose_path(pool_native, monkeypatch, path)
    x = _values((2, 7, 8, 18), kind, seed=4)
    pool = _max_pool_explicit((3, 3), (2, 2), ((1, 1), (0, 1)))
    ours = _graph(tm, x, 5, pool)
    assert spy == (
        [("forward", True), ("forward", True), ("backward", True)] if path == "native" else [("forward", False)]
    )
    _assert_tf(ours, _graph(tf1, x, 5, pool), True)


@pytest.mark.parametrize("case", sorted(CASES))
def test_native_equals_torch_path(native, monkeypatch, case):
    """Kernel for kernel, the two paths agree bit for bit (maxima and gradients) on NaN, -inf and ties."""
    shape, ksize, strides, padding = CASES[case]
    attrs = dict(
        ksize=[1, *ksize, 1], strides=[1, *strides, 1], padding=padding, explicit_paddings=[], data_format="NHWC"
    )
    x = torch.from_numpy(_values(shape, "nonfinite", seed=6))
    y = pool_ops.max_pool(x, **attrs)
    dy = torch.randn(y.shape, generator=torch.Generator().manual_seed(0))
    fast = (y, pool_ops.max_pool_grad(x, y, dy, **attrs), pool_ops.max_pool_grad(x.clone(), y, dy, **attrs))
    native_helpers.use_torch_path(pool_native, monkeypatch)
    y2 = pool_ops.max_pool(x, **attrs)
    slow = (y2, pool_ops.max_pool_grad(x, y2, dy, **attrs), pool_ops.max_pool_grad(x.clone(), y2, dy, **attrs))
    for a, e in zip(fast, slow):
        assert a.dtype == e.dtype and a.shape == e.shape
        torch.testing.assert_close(a, e, rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize(
    "case",
    ["float64", "nchw", "non-contiguous", "requires-grad"],
)
def test_native_steps_aside(native, spy, case):
    """Other dtypes, layouts, strides and autograd inputs keep the torch path (same values as before)."""
    x = torch.randn(2, 6, 6, 4)
    attrs = dict(ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME", explicit_paddings=[], data_format="NHWC")
    if case == "float64":
        x = x.double()
    elif case == "nchw":
        x = x.permute(0, 3, 1, 2).contiguous()
        attrs.update(ksize=[1, 1, 2, 2], strides=[1, 1, 2, 2], data_format="NCHW")
    elif case == "non-contiguous":
        x = torch.randn(2, 6, 6, 8)[..., ::2]
    elif case == "requires-grad":
        x.requires_grad_(True)
    y = pool_ops.max_pool(x, **attrs)
    assert all(not done for _, done in spy)
    want = torch.nn.functional.max_pool2d(x.permute(0, 3, 1, 2), 2, 2) if case != "nchw" else None
    if want is not None:
        torch.testing.assert_close(y, want.permute(0, 2, 3, 1), rtol=0, atol=0)


def test_native_kernel_can_be_turned_off(monkeypatch, tmp_path):
    """TORCHMETA_NATIVE=0: nothing is built or loaded."""
    monkeypatch.setenv("TORCHMETA_NATIVE", "0")
    monkeypatch.setenv("TORCHMETA_CACHE", str(tmp_path))
    monkeypatch.setattr(pool_native.library, "lib", None)
    monkeypatch.setattr(pool_native.library, "tried", False)
    assert not pool_native.available()
    assert pool_native.forward(torch.zeros(1, 2, 2, 1), 2, 2, 2, 2, 0, 0, 1, 1) is None
    assert list(tmp_path.iterdir()) == []


def test_torch_compile_traces_the_torch_path(native, spy):
    """Under torch.compile pool_ops does not call the native kernel (its custom op, tests/ops/
    test_native_custom_ops.py, would keep inductor from fusing the Relu before the pooling into its loops; see
    pool_ops._max_pool), and the compiled pooling and gradients (also through a Relu) equal the native
    kernel's, NaN and -inf included."""
    attrs = dict(ksize=[1, 3, 3, 1], strides=[1, 1, 1, 1], padding="SAME", explicit_paddings=[], data_format="NHWC")
    x = torch.from_numpy(_values((2, 7, 7, 18), "nonfinite", seed=8))
    dy = torch.randn(2, 7, 7, 18, generator=torch.Generator().manual_seed(1))

    def step(x, dy):
        y = pool_ops.max_pool(x, **attrs)
        return y, pool_ops.max_pool_grad(x, y, dy, **attrs), pool_ops.max_pool_grad_relu(x, y, dy, **attrs)

    compiled = torch.compile(step, fullgraph=True, backend="eager")
    traced = compiled(x, dy)
    assert all(not done for _, done in spy)
    spy.clear()
    for a, e in zip(traced, step(x, dy)):
        torch.testing.assert_close(a, e, rtol=1e-6, atol=1e-6, equal_nan=True)  # overlapping windows
    assert spy == [("forward", True), ("backward", True), ("backward", True)]


def _cnn(tf, x_value, labels_value):
    """A small mnist_deep-shaped training step: conv 3x3 + bias + relu + max-pool twice, dense, Adam."""
    init = np.random.default_rng(9)

    def var(*shape):
        return tf.Variable((init.standard_normal(shape) * 0.3).astype(np.float32))

    x = tf.placeholder(tf.float32, x_value.shape)
    labels = tf.placeholder(tf.float32, labels_value.shape)
    h = x
    for c_in, c_out in ((1, 8), (8, 16)):
        h = tf.nn.relu(tf.nn.conv2d(h, var(3, 3, c_in, c_out), [1, 1, 1, 1], "SAME") + var(c_out))
        h = tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    flat = tf.reshape(h, [x_value.shape[0], -1])
    logits = tf.matmul(flat, var(flat.shape.as_list()[1], 10)) + var(10)
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits))
    train = tf.train.AdamOptimizer(1e-2).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        losses = [sess.run([loss, train], {x: x_value, labels: labels_value})[0] for _ in range(3)]
        return losses, sess.run(tf.trainable_variables())


def test_cnn_training_step_runs_native_pooling_and_matches_tf(tf1, native, spy):
    """Both max-pools of the CNN and both their gradients run the native kernel in every step, and the
    losses and trained variables equal TF's."""
    rng = np.random.default_rng(10)
    x = np.maximum(rng.standard_normal((4, 12, 12, 1)), 0).astype(np.float32)  # relu-like ties at 0
    labels = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 4)]
    ours = _cnn(tm, x, labels)
    assert sorted(spy) == [("backward", True)] * 6 + [("forward", True)] * 6  # 2 pools, 3 steps
    theirs = _cnn(tf1, x, labels)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5)
    for a, e in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5)


def _relu_pool(tf, x_value, dy_value, case):
    """(y, dx, modules) of max_pool(relu(x + b)) with tf.gradients: TF's gradient graph has
    ReluGrad(MaxPoolGrad(relu, y, dy), relu), which specialization runs as one max_pool_grad_relu."""
    _, ksize, strides, padding = CASES[case]
    x = tf.placeholder(tf.float32, x_value.shape)
    b = tf.Variable(np.linspace(-0.5, 0.5, x_value.shape[-1], dtype=np.float32))
    y = tf.nn.max_pool(tf.nn.relu(x + b), [1, *ksize, 1], [1, *strides, 1], padding)
    (dx,) = tf.gradients(y, [x], grad_ys=tf.constant(dy_value))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out = sess.run([y, dx], {x: x_value})
        return out, (sess._compiled_modules() if hasattr(sess, "_compiled_modules") else None)


@pytest.mark.parametrize("path", ["native", "torch"])
@pytest.mark.parametrize("kind", ["random", "ties", "nan", "nonfinite"])
@pytest.mark.parametrize("case", ["2x2-s2-same-tiles", "2x2-s2-same-odd", "3x3-s1-same", "3x3-s2-valid"])
def test_relu_grad_of_max_pool_grad_fuses_and_matches_tf(tf1, monkeypatch, spy, case, kind, path):
    """ReluGrad over the MaxPoolGrad of a Relu's output runs as one pool_ops.max_pool_grad_relu (no
    MaxPoolGrad, no second pass), with TF's values; upstream gradients with inf and NaN included (TF's
    ReluGrad makes g * 0 NaN for them where the Relu was off)."""
    native_helpers.choose_path(pool_native, monkeypatch, path)
    shape, ksize, strides, padding = CASES[case]
    x = _values(shape, kind, seed=12)
    out_shape = pool_ops.max_pool(torch.zeros(shape), [1, *ksize, 1], [1, *strides, 1], padding, [], "NHWC").shape
    dy = np.random.default_rng(13).standard_normal(tuple(out_shape)).astype(np.float32)
    dy.reshape(-1)[::7] = np.inf
    dy.reshape(-1)[::11] = np.nan
    dy.reshape(-1)[::13] = -0.0
    theirs, _ = _relu_pool(tf1, x, dy, case)
    spy.clear()
    ours, modules = _relu_pool(tm, x, dy, case)
    nodes = [n for m in modules for n in m.graph.nodes if n.op == "call_function"]
    assert [n.meta.get("tf_op") for n in nodes if n.target is pool_ops.max_pool_grad_relu] == ["ReluGrad"]
    assert not [n for n in nodes if n.meta.get("tf_op") == "MaxPoolGrad"]
    assert spy == ([("forward", True), ("backward", True)] if path == "native" else [("forward", False)])
    _assert_tf(ours, theirs, _overlapping(ksize, strides))
