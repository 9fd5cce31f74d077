"""The native depthwise kernel (torchmeta.ops.depthwise_native) against TF's depthwise ops and gradients.

Strided or asymmetrically padded depthwise convolutions of NHWC float32 CPU tensors with one filter per
channel (DepthwiseConv2dNative, its BackpropInput/BackpropFilter ops, specialization's fused input + filter
gradient and its inference conv + batch norm + Relu fusion) run a small C kernel where one can be built, and
so do stride-1 3x3 SAME ones where the kernel's AVX-512 code for them runs (``depthwise_native.stride1()``).
These tests build the same graphs in TF and torchmeta, check that the native kernel ran (or, with it turned
off, that the torch path gives the same values), and compare every output.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchmeta as tm
from tests.ops import native_helpers
from torchmeta.ops import conv_grad_ops, conv_ops, depthwise_native

# (input shape, filter height/width, strides, padding): odd and even sizes at stride 2, channel counts below,
# at and above the kernel's 8- and 64-channel blocks with tails, asymmetric SAME padding at stride 1 (2x2 and
# 4x4 kernels), explicit (asymmetric, and wider than the kernel) padding, VALID, unequal strides
GEOMETRIES = {
    "s2-same-odd": ((2, 9, 7, 3), (3, 3), (2, 2), "SAME"),
    "s2-same-even": ((2, 8, 10, 13), (3, 3), (2, 2), "SAME"),
    "s2-same-c72": ((1, 11, 8, 72), (3, 3), (2, 2), "SAME"),
    "s2-same-c40": ((3, 6, 6, 40), (3, 3), (2, 2), "SAME"),
    "s2-valid": ((2, 9, 8, 17), (3, 3), (2, 2), "VALID"),
    "s3x2-same-5x5": ((2, 10, 9, 24), (5, 5), (3, 2), "SAME"),
    "s1-same-2x2": ((2, 7, 6, 9), (2, 2), (1, 1), "SAME"),
    "s1-same-4x4": ((1, 8, 9, 16), (4, 4), (1, 1), "SAME"),
    "s2-explicit": ((2, 8, 7, 11), (3, 3), (2, 2), [[0, 0], [2, 1], [0, 3], [0, 0]]),
    "s1-explicit-asymmetric": ((2, 6, 6, 8), (3, 3), (1, 1), [[0, 0], [0, 2], [1, 0], [0, 0]]),
    "s2-same-1x1-input": ((2, 1, 1, 5), (3, 3), (2, 2), "SAME"),
    # padding wider than the kernel: whole windows (rows and columns) in the padding
    "s2-explicit-wide": ((2, 5, 6, 9), (3, 3), (2, 2), [[0, 0], [4, 3], [3, 5], [0, 0]]),
    # stride 1, 3x3 SAME (the AVX-512 code's 16-channel blocks: tails, one block, several; one row or column;
    # batch 1)
    "s1-same-3x3-c20": ((2, 7, 9, 20), (3, 3), (1, 1), "SAME"),
    "s1-same-3x3-c48": ((2, 9, 8, 48), (3, 3), (1, 1), "SAME"),
    "s1-same-3x3-batch1-c35": ((1, 6, 5, 35), (3, 3), (1, 1), "SAME"),
    "s1-same-3x3-c16": ((3, 4, 4, 16), (3, 3), (1, 1), "SAME"),
    "s1-same-3x3-w1": ((2, 6, 1, 17), (3, 3), (1, 1), "SAME"),
    "s1-same-3x3-h1": ((2, 1, 7, 9), (3, 3), (1, 1), "SAME"),
    "s1-same-3x3-1x1": ((2, 1, 1, 5), (3, 3), (1, 1), "SAME"),
    "s1-same-3x3-2x2": ((2, 2, 2, 3), (3, 3), (1, 1), "SAME"),
}


native, without_native = native_helpers.fixtures(depthwise_native)


def _runs_native(name) -> bool:
    """Whether the native kernel takes this geometry here: stride-1 3x3 SAME only with its AVX-512 code."""
    return not name.startswith("s1-same-3x3") or depthwise_native.stride1()


@pytest.fixture
def spy(monkeypatch):
    """Records, per call of a native entry point, its name and whether it ran (returned a result)."""
    calls = []
    for name in ("forward", "backprop_input", "backprop_filter", "backprop_input_and_filter"):
        real = getattr(depthwise_native, name)

        def wrapped(*args, _real=real, _name=name, **kwargs):
            out = _real(*args, **kwargs)
            calls.append((_name, out is not None))
            return out

        monkeypatch.setattr(depthwise_native, name, wrapped)
    return calls


def _values(geometry, seed=0):
    shape, (kh, kw), _, _ = geometry
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal((kh, kw, shape[3], 1)).astype(np.float32)
    return x, w


def _attrs(geometry):
    _, _, (sh, sw), padding = geometry
    return {"strides": [1, sh, sw, 1], "padding": padding}


def _forward_and_grads(framework, geometry, x_value, w_value):
    """The depthwise convolution of fed x and a variable filter, and tf.gradients of sum(y * r) (r fixed)."""
    g = framework.Graph()
    with g.as_default():
        x = framework.compat.v1.placeholder(framework.float32, x_value.shape)
        w = framework.Variable(w_value)
        y = framework.nn.depthwise_conv2d(x, w, **_attrs(geometry))
        r = np.random.default_rng(7).standard_normal(y.shape.as_list()).astype(np.float32)
        gx, gw = framework.compat.v1.gradients(framework.reduce_sum(y * r), [x, w])
        with framework.compat.v1.Session(graph=g) as sess:
            sess.run(framework.compat.v1.global_variables_initializer())
            return sess.run([y, gx, gw], {x: x_value})


def _raw_ops(framework, geometry, x_value, w_value, dy_value):
    """DepthwiseConv2dNative and its two backprop ops, each on its own (no fusion)."""
    g = framework.Graph()
    with g.as_default():
        attrs = _attrs(geometry)
        padding = attrs["padding"]
        explicit = []
        if not isinstance(padding, str):
            explicit, padding = [p for pair in padding for p in pair], "EXPLICIT"
        common = dict(strides=attrs["strides"], padding=padding, explicit_paddings=explicit)
        x, w, dy = (framework.constant(v) for v in (x_value, w_value, dy_value))
        outs = [
            framework.raw_ops.DepthwiseConv2dNative(input=x, filter=w, **common),
            framework.raw_ops.DepthwiseConv2dNativeBackpropInput(
                input_sizes=framework.constant(list(x_value.shape)), filter=w, out_backprop=dy, **common
            ),
            framework.raw_ops.DepthwiseConv2dNativeBackpropFilter(
                input=x, filter_sizes=framework.constant(list(w_value.shape)), out_backprop=dy, **common
            ),
        ]
        with framework.compat.v1.Session(graph=g) as sess:
            return sess.run(outs)


def _assert_close(ours, theirs, names=("output", "input gradient", "filter gradient")):
    for name, a, e in zip(names, ours, theirs):
        assert a.dtype == e.dtype and a.shape == e.shape, name
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5, err_msg=name)


def _output_shape(tf1, geometry, x, w):
    with tf1.Session(graph=tf1.Graph()) as sess:
        return sess.run(tf1.nn.depthwise_conv2d(tf1.constant(x), tf1.constant(w), **_attrs(geometry))).shape


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_ops_match_tf(tf1, native, spy, name):
    """DepthwiseConv2dNative, ...BackpropInput and ...BackpropFilter on their own: the native kernel runs
    each, and each equals TF's op."""
    geometry = GEOMETRIES[name]
    x, w = _values(geometry)
    dy = np.random.default_rng(3).standard_normal(_output_shape(tf1, geometry, x, w)).astype(np.float32)
    theirs = _raw_ops(tf1, geometry, x, w, dy)
    ours = _raw_ops(tm, geometry, x, w, dy)
    _assert_close(ours, theirs)
    native = _runs_native(name)
    assert sorted(spy) == ([("backprop_filter", True), ("backprop_input", True), ("forward", True)] if native else [])


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_gradients_match_tf(tf1, native, spy, name):
    """tf.gradients of a TF-built depthwise graph: the output and both gradients equal TF's, the gradients
    from specialization's fused input + filter gradient running the native kernel (one call)."""
    geometry = GEOMETRIES[name]
    x, w = _values(geometry, seed=1)
    theirs = _forward_and_grads(tf1, geometry, x, w)
    ours = _forward_and_grads(tm, geometry, x, w)
    _assert_close(ours, theirs)
    native = _runs_native(name)
    assert sorted(spy) == ([("backprop_input_and_filter", True), ("forward", True)] if native else [])


@pytest.mark.parametrize("name", ["s2-same-odd", "s2-same-c72", "s1-same-4x4", "s2-explicit", "s1-same-3x3-c20"])
def test_torch_path_gives_the_same(tf1, without_native, spy, name):
    """Without the native kernel (TORCHMETA_NATIVE=0, no compiler) the torch path runs and gives TF's
    values too."""
    geometry = GEOMETRIES[name]
    x, w = _values(geometry, seed=2)
    _assert_close(_forward_and_grads(tm, geometry, x, w), _forward_and_grads(tf1, geometry, x, w))
    assert not any(ran for _, ran in spy)
    assert spy or name.startswith("s1-same-3x3")  # without the library, stride 1 never asks the kernel


@pytest.mark.parametrize("name", ["s2-same-c72", "s3x2-same-5x5", "s2-explicit", "s1-same-3x3-c48"])
def test_native_equals_torch_path(native, monkeypatch, name):
    """The native kernel, with one and with two threads (each thread takes whole rows; the filter
    gradient's partial sums are added in double), and the torch path agree to float32 rounding."""
    geometry = GEOMETRIES[name]
    x, w = (torch.from_numpy(v) for v in _values(geometry, seed=4))
    attrs = _attrs(geometry)
    padding, explicit = attrs["padding"], []
    if not isinstance(padding, str):
        explicit, padding = [p for pair in padding for p in pair], "EXPLICIT"
    args = (attrs["strides"], padding, explicit, "NHWC", [1, 1, 1, 1])

    def run():
        y = conv_ops.depthwise_conv2d_native(x, w, *args)
        dy = torch.from_numpy(np.random.default_rng(5).standard_normal(tuple(y.shape)).astype(np.float32))
        return (y, *conv_grad_ops.depthwise_conv2d_backprop_input_and_filter(x, w, dy, *args))

    threads = torch.get_num_threads()
    try:
        results = []
        for count in (1, 2):
            torch.set_num_threads(count)
            results.append(run())
    finally:
        torch.set_num_threads(threads)
    native_helpers.use_torch_path(depthwise_native, monkeypatch)
    expected = run()
    for got in results:
        for a, e in zip(got, expected):
            assert a.shape == e.shape
            torch.testing.assert_close(a.contiguous(), e.contiguous(), rtol=1e-5, atol=1e-5)
    for a, b in zip(results[0][:2], results[1][:2]):  # forward and input gradient: the same sums per pixel
        assert torch.equal(a, b)


@pytest.mark.parametrize(
    "case",
    ["float64", "multiplier2", "dilated", "nchw", "stride1-symmetric-5x5", "requires_grad", "empty", "no-stride1"],
)
def test_native_steps_aside(native, monkeypatch, case):
    """Other dtypes, multipliers, dilations and layouts, autograd inputs, empty batches and stride-1
    symmetric padding but a 3x3 window's (where torch's oneDNN kernel is as fast as TF's), and stride-1 3x3
    SAME without the kernel's AVX-512 code for it: the torch path runs."""
    x = torch.randn(2, 7, 7, 4)
    w = torch.randn(3, 3, 4, 1)
    strides, dilations, fmt = [1, 2, 2, 1], [1, 1, 1, 1], "NHWC"
    if case == "float64":
        x, w = x.double(), w.double()
    elif case == "multiplier2":
        w = torch.randn(3, 3, 4, 2)
    elif case == "dilated":
        strides, dilations = [1, 1, 1, 1], [1, 2, 2, 1]
    elif case == "nchw":
        x, strides, fmt = x.permute(0, 3, 1, 2).contiguous(), [1, 1, 2, 2], "NCHW"
    elif case == "stride1-symmetric-5x5":
        strides, w = [1, 1, 1, 1], torch.randn(5, 5, 4, 1)
    elif case == "no-stride1":
        strides = [1, 1, 1, 1]
        monkeypatch.setattr(depthwise_native, "stride1", lambda: False)
    elif case == "requires_grad":
        x.requires_grad_(True)
    else:
        x = x[:0]
    assert conv_ops._native_depthwise(x, w, None, False, strides, "SAME", [], fmt, dilations) is None
    y = conv_ops.depthwise_conv2d_native(x, w, strides, "SAME", [], fmt, dilations)
    k = w.shape[0]
    weight = w.permute(2, 3, 0, 1).reshape(-1, 1, k, k)
    ref = conv_ops._conv(x, weight, 4, strides, dilations, "SAME", [], fmt, k, k)
    torch.testing.assert_close(y, ref)


def test_error_messages_unchanged(native, monkeypatch):
    """An out_backprop of the wrong size at stride 2 leaves the native path to the torch one, which raises
    the same error as without the native kernel (TF's message for its Eigen kernel; TF's oneDNN kernel
    aborts with a oneDNN primitive error here)."""
    x = np.zeros((1, 8, 8, 4), np.float32)
    w = np.zeros((3, 3, 4, 1), np.float32)
    dy = np.zeros((1, 5, 4, 4), np.float32)  # the output is 4x4
    messages = []
    for turned_off in (False, True):
        if turned_off:
            native_helpers.use_torch_path(depthwise_native, monkeypatch)
        with tm.Session(graph=tm.Graph()) as sess:
            feed = tm.placeholder(tm.float32, None)
            op = tm.raw_ops.DepthwiseConv2dNativeBackpropInput(
                input_sizes=list(x.shape), filter=w, out_backprop=feed, strides=[1, 2, 2, 1], padding="SAME"
            )
            with pytest.raises(tm.errors.InvalidArgumentError) as info:
                sess.run(op, {feed: dy})
        messages.append(info.value.message)
    assert messages[0] == messages[1]
    assert "DepthwiseConv2DBackpropInput: Size of out_backprop doesn't match computed: actual = 5" in messages[0]


@pytest.mark.parametrize("stride", [1, 2])
def test_inference_fusion_runs_native(tf1, native, spy, stride):
    """Inference: a depthwise conv + batch norm + Relu folds into one call that runs the native kernel with
    the folded bias and the Relu, and equals TF's (stride 1: where the kernel's stride-1 code runs)."""

    def build(framework):
        g = framework.Graph()
        with g.as_default():
            framework.compat.v1.set_random_seed(3)
            x = framework.constant(np.random.default_rng(6).standard_normal((2, 9, 9, 12)).astype(np.float32))
            w = framework.compat.v1.get_variable("dw", [3, 3, 12, 1])
            h = framework.nn.depthwise_conv2d(x, w, [1, stride, stride, 1], "SAME")
            h = framework.nn.relu(framework.compat.v1.layers.batch_normalization(h, training=False, fused=True))
            with framework.compat.v1.Session(graph=g) as sess:
                sess.run(framework.compat.v1.global_variables_initializer())
                for v in framework.compat.v1.global_variables():
                    if "moving" in v.op.name or "gamma" in v.op.name or "beta" in v.op.name:
                        sess.run(v.assign(v + framework.random.uniform(v.shape, 0.2, 0.9, seed=4)))
                return sess.run(h)

    theirs, ours = build(tf1), build(tm)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    assert spy == ([("forward", True)] if stride == 2 or depthwise_native.stride1() else [])


@pytest.mark.parametrize("stride", [2, 1])
def test_torch_compile_traces_the_native_kernel(native, spy, stride):
    """Under torch.compile the native kernel is a custom op of the traced graph (native_build.custom_op),
    and the traced step equals eager's values bit for bit (stride 1: where the kernel's stride-1 code runs;
    ``stride1()`` is a constant of the traced graph: tracing its library's lock broke a fullgraph compile)."""
    x, w = torch.randn(2, 9, 9, 8), torch.randn(3, 3, 8, 1)

    def step(x):
        return conv_ops.depthwise_conv2d_native(x, w, [1, stride, stride, 1], "SAME", [], "NHWC", [1, 1, 1, 1])

    traced = torch.compile(step, fullgraph=True, backend="aot_eager")(x)
    native = stride == 2 or depthwise_native.stride1()
    assert spy == ([("forward", True)] if native else [])
    torch.testing.assert_close(traced, step(x), rtol=0, atol=0)
    if native:
        assert spy[-1] == ("forward", True)


def test_native_kernel_can_be_turned_off(monkeypatch, tmp_path):
    """With TORCHMETA_NATIVE=0 nothing is compiled or loaded: the torch path runs."""
    monkeypatch.setenv("TORCHMETA_NATIVE", "0")
    monkeypatch.setenv("TORCHMETA_CACHE", str(tmp_path))
    monkeypatch.setattr(depthwise_native.library, "lib", None)
    monkeypatch.setattr(depthwise_native.library, "tried", False)
    assert not depthwise_native.available()
    assert list(tmp_path.iterdir()) == []


def _mobilenet_step(tf, x_value, labels_value, steps):
    """bench/models.py's MobileNet shape, small: stem conv-BN-relu, then depthwise (stride 1, then 2, then
    1) + BN + relu and 1x1 pointwise + BN + relu blocks, Momentum; the losses and every variable after
    ``steps`` steps."""
    tf.set_random_seed(17)
    x = tf.placeholder(tf.float32, x_value.shape, name="x")
    labels = tf.placeholder(tf.int64, [x_value.shape[0]], name="labels")

    def bn(h, name):
        return tf.layers.batch_normalization(h, training=True, fused=True, name=name)

    h = tf.nn.relu(bn(tf.layers.conv2d(x, 8, 3, 1, padding="same", use_bias=False, name="stem"), "stem_bn"))
    for i, (filters, stride) in enumerate(((12, 1), (20, 2), (20, 1))):
        with tf.variable_scope(f"block{i}"):
            w = tf.get_variable("depthwise_kernel", [3, 3, h.shape[-1], 1])
            h = tf.nn.relu(bn(tf.nn.depthwise_conv2d(h, w, [1, stride, stride, 1], "SAME"), "dw_bn"))
            h = tf.nn.relu(bn(tf.layers.conv2d(h, filters, 1, 1, use_bias=False, name="pointwise"), "pw_bn"))
    logits = tf.layers.dense(tf.reduce_mean(h, axis=[1, 2]), 4, name="logits")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train = tf.train.MomentumOptimizer(0.05, 0.9).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        feed = {x: x_value, labels: labels_value}
        losses = [sess.run([loss, train], feed)[0] for _ in range(steps)]
        return [*losses, *sess.run(tf.global_variables())]


def test_mobilenet_step_runs_native(tf1, native, spy):
    """A MobileNet-shaped training step: its depthwise layers' forwards and fused gradients run the native
    kernel (the stride-1 ones where its stride-1 code runs, else torch's), and three steps give TF's losses
    and variables."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 13, 13, 3)).astype(np.float32)
    labels = rng.integers(0, 4, 4)
    theirs = _mobilenet_step(tf1, x, labels, 3)
    ours = _mobilenet_step(tm, x, labels, 3)
    assert len(ours) == len(theirs)
    for i, (a, e) in enumerate(zip(ours, theirs)):
        assert np.shape(a) == np.shape(e), i
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5, err_msg=f"value {i}")
    # three steps, each a forward and a fused input + filter gradient per native layer; none declined
    layers = 3 if depthwise_native.stride1() else 1
    assert sorted(spy) == sorted([("forward", True), ("backprop_input_and_filter", True)] * 3 * layers)


@pytest.mark.parametrize(
    "shape", [(2, 7, 9, 20), (1, 6, 5, 35), (3, 4, 4, 16), (2, 6, 1, 17), (2, 1, 7, 9), (2, 1, 1, 5), (4, 9, 8, 48)]
)
def test_stride1_code_equals_the_gather(native, shape):
    """The stride-1 3x3 code (registers of 16 channels swept along rows; fused multiply-adds, one pass over
    out_backprop for both gradients) and the kernel's general gather give the same values to float32
    rounding, through each entry point, with one and two threads; the two gradients of the one-pass call are
    the single-gradient calls' bits."""
    if not depthwise_native.stride1():
        pytest.skip("no AVX-512: stride-1 3x3 layers keep torch's kernels")
    rng = np.random.default_rng(11)
    x, w, dy = (
        torch.from_numpy(rng.standard_normal(s).astype(np.float32)) for s in (shape, (3, 3, shape[3], 1), shape)
    )
    bias = torch.from_numpy(rng.standard_normal(shape[3]).astype(np.float32))
    one = ([1, 1, 1, 1], [1, 1, 1, 1], "NHWC")

    def run():
        return (
            depthwise_native.forward(x, w, None, False, *one, shape[1:3], 1, 1),
            depthwise_native.forward(x, w, bias, True, *one, shape[1:3], 1, 1),
            depthwise_native.backprop_input(shape, w, dy, *one, 1, 1),
            depthwise_native.backprop_filter(x, w.shape, dy, *one, 1, 1),
            *depthwise_native.backprop_input_and_filter(x, w, dy, *one, 1, 1),
        )

    lib, threads = depthwise_native.library.load(), torch.get_num_threads()
    try:
        results = []
        for count in (1, 2):
            torch.set_num_threads(count)
            results.append(run())
        lib.tm_depthwise_use_stride1(0)
        gathered = run()
    finally:
        lib.tm_depthwise_use_stride1(1)
        torch.set_num_threads(threads)
    for got in results:
        for a, e in zip(got, gathered):
            torch.testing.assert_close(a, e, rtol=1e-5, atol=1e-5)
        assert torch.equal(got[2], got[4]) and torch.equal(got[3], got[5])
    assert all(torch.equal(a, b) for a, b in zip(results[0][:3], results[1][:3]))  # whole rows per thread
    assert torch.equal(results[0][1], torch.relu(results[0][0] + bias))
