"""Convolution fusions made when a subgraph is specialized (runtime/specialize.py): a Conv2D's
Conv2DBackpropInput and Conv2DBackpropFilter run as one convolution_backward call. The gradients must
equal TensorFlow's, and the fused call must actually be in the lowered module."""

import numpy as np
import pytest
import torch

import torchmeta as tm
from torchmeta.ops import conv_ops, math_ops, nn_ops

CASES = {
    "same": dict(strides=[1, 1, 1, 1], padding="SAME"),
    "valid": dict(strides=[1, 1, 1, 1], padding="VALID"),
    "same-s2-asymmetric": dict(strides=[1, 2, 2, 1], padding="SAME"),
    "valid-s2x3": dict(strides=[1, 2, 3, 1], padding="VALID"),
    "same-dilated": dict(strides=[1, 1, 1, 1], padding="SAME", dilations=[1, 2, 2, 1]),
    "explicit-asymmetric": dict(strides=[1, 1, 1, 1], padding=[[0, 0], [1, 2], [0, 1], [0, 0]]),
    "1x1-s2": dict(strides=[1, 2, 2, 1], padding="SAME", kernel=1),
    "grouped": dict(strides=[1, 1, 1, 1], padding="SAME", in_channels=4, filter_in=2),
}


def _conv_grads(tf, case, x_value, w_value, dy_value):
    x = tf.placeholder(tf.float32, x_value.shape, name="x")
    w = tf.Variable(w_value, name="w")
    kwargs = {k: v for k, v in case.items() if k in ("strides", "padding", "dilations")}
    y = tf.nn.conv2d(x, w, **kwargs)
    loss = tf.reduce_sum(y * tf.constant(dy_value))
    gx, gw = tf.gradients(loss, [x, w])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out = sess.run([y, gx, gw], {x: x_value})
        modules = sess._compiled_modules() if hasattr(sess, "_compiled_modules") else None
    return out, modules


def _case_values(case):
    rng = np.random.default_rng(0)
    k = case.get("kernel", 3)
    c_in, f_in = case.get("in_channels", 3), case.get("filter_in", case.get("in_channels", 3))
    x = rng.standard_normal((2, 9, 8, c_in)).astype(np.float32)
    w = rng.standard_normal((k, k, f_in, 4)).astype(np.float32)
    return x, w


@pytest.mark.parametrize("name", sorted(CASES))
def test_fused_conv_gradients_match_tf(tf1, name):
    case = CASES[name]
    x, w = _case_values(case)
    tf1.reset_default_graph()
    with tf1.Session() as probe:  # the output shape, for the upstream gradient
        kwargs = {k: v for k, v in case.items() if k in ("strides", "padding", "dilations")}
        y_shape = probe.run(tf1.nn.conv2d(tf1.constant(x), tf1.constant(w), **kwargs)).shape
    dy = np.random.default_rng(1).standard_normal(y_shape).astype(np.float32)
    theirs, _ = _conv_grads(tf1, case, x, w, dy)
    ours, modules = _conv_grads(tm, case, x, w, dy)
    for a, b, what in zip(ours, theirs, ("output", "input gradient", "filter gradient")):
        assert a.shape == b.shape and a.dtype == b.dtype, what
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4, err_msg=what)
    targets = [n.target for m in modules for n in m.graph.nodes if n.op == "call_function"]
    ops = [n.meta.get("tf_op") for m in modules for n in m.graph.nodes if n.op == "call_function"]
    assert targets.count(conv_ops.conv2d_backprop_input_and_filter) == 1
    assert targets.count(torch.ops.aten.convolution_backward) == 0
    assert "Conv2DBackpropFilter" not in ops


POINTWISE = {
    "biasadd-relu": dict(add="BiasAdd", relu=True),
    "addv2-relu": dict(add="AddV2", relu=True),
    "bias-first-addv2-relu": dict(add="AddV2-bias-first", relu=True),
    "biasadd": dict(add="BiasAdd", relu=False),
    "relu": dict(add=None, relu=True),
    "biasadd-relu-s2-asymmetric": dict(add="BiasAdd", relu=True, strides=[1, 2, 2, 1]),
    "biasadd-relu-valid-dilated": dict(add="BiasAdd", relu=True, padding="VALID", dilations=[1, 2, 2, 1]),
    "nchw-biasadd-relu": dict(add="BiasAdd", relu=True, data_format="NCHW"),
}


def _pointwise(tf, case, x_value, w_value, b_value, dy_value):
    fmt = case.get("data_format", "NHWC")
    x = tf.placeholder(tf.float32, x_value.shape, name="x")
    w = tf.Variable(w_value, name="w")
    b = tf.Variable(b_value, name="b")
    strides = case.get("strides", [1, 1, 1, 1])
    dilations = case.get("dilations", [1, 1, 1, 1])
    if fmt == "NCHW":
        strides, dilations = [strides[i] for i in (0, 3, 1, 2)], [dilations[i] for i in (0, 3, 1, 2)]
    y = tf.nn.conv2d(x, w, strides, case.get("padding", "SAME"), data_format=fmt, dilations=dilations)
    if case["add"] == "BiasAdd":
        y = tf.nn.bias_add(y, b, data_format=fmt)
    elif case["add"] == "AddV2":
        y = y + b
    elif case["add"] == "AddV2-bias-first":
        y = b + y
    if case["relu"]:
        y = tf.nn.relu(y)
    loss = tf.reduce_sum(y * tf.constant(dy_value))
    grads = tf.gradients(loss, [x, w, b] if case["add"] else [x, w])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out = sess.run([y, *grads], {x: x_value})
        modules = sess._compiled_modules() if hasattr(sess, "_compiled_modules") else None
    return out, modules


@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_conv_bias_relu_fusion_matches_tf(tf1, name):
    """Conv2D + bias add + Relu run as one oneDNN call (conv_ops.conv2d_bias_relu): the forward value and
    every gradient equal TensorFlow's, and the lowered module has the fused call instead of the chain."""
    case = POINTWISE[name]
    rng = np.random.default_rng(2)
    fmt = case.get("data_format", "NHWC")
    x = rng.standard_normal((2, 9, 9, 3) if fmt == "NHWC" else (2, 3, 9, 9)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    theirs0, _ = _pointwise(tf1, case, x, w, b, np.zeros(1, np.float32))
    dy = rng.standard_normal(theirs0[0].shape).astype(np.float32)
    theirs, _ = _pointwise(tf1, case, x, w, b, dy)
    ours, modules = _pointwise(tm, case, x, w, b, dy)
    for i, (a, e) in enumerate(zip(ours, theirs)):
        assert a.shape == e.shape and a.dtype == e.dtype, i
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-4, err_msg=f"value {i}")
    nodes = [n for m in modules for n in m.graph.nodes if n.op == "call_function"]
    fused = [n for n in nodes if n.target is conv_ops.conv2d_bias_relu]
    assert len(fused) == 1
    assert fused[0].kwargs["relu"] is case["relu"]
    targets = {n.target for n in nodes}
    assert not {conv_ops.conv2d, nn_ops.relu, nn_ops.bias_add, math_ops.add_v2} & targets


def _conv_bn(tf, relu, x_value, w_value, stats, with_grad):
    x = tf.placeholder(tf.float32, x_value.shape, name="x")
    w = tf.Variable(w_value, name="w")
    scale, offset, mean, variance = (tf.Variable(v, name=n) for n, v in zip(("s", "o", "m", "v"), stats))
    y = tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME")
    y, _, _ = tf.nn.fused_batch_norm(y, scale, offset, mean, variance, epsilon=1e-3, is_training=False)
    if relu:
        y = tf.nn.relu(y)
    fetches = [y, *tf.gradients(tf.reduce_sum(y * y), [x, w, scale])] if with_grad else [y]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out = sess.run(fetches, {x: x_value})
        modules = sess._compiled_modules() if hasattr(sess, "_compiled_modules") else None
    return out, modules


@pytest.mark.parametrize("relu", [True, False], ids=["relu", "no-relu"])
@pytest.mark.parametrize("with_grad", [False, True], ids=["inference", "with-gradients"])
def test_inference_batch_norm_folds_into_the_conv(tf1, relu, with_grad):
    """Conv2D + inference FusedBatchNorm (+ Relu) runs as one convolution with the batch norm folded into
    its filter and bias, to TF's numbers; not where a gradient needs the convolution's own output."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 5)).astype(np.float32)
    stats = [
        (rng.random(5) + 0.5).astype(np.float32),
        rng.standard_normal(5).astype(np.float32),
        rng.standard_normal(5).astype(np.float32),
        (rng.random(5) + 0.1).astype(np.float32),
    ]
    theirs, _ = _conv_bn(tf1, relu, x, w, stats, with_grad)
    ours, modules = _conv_bn(tm, relu, x, w, stats, with_grad)
    for i, (a, e) in enumerate(zip(ours, theirs)):
        assert a.shape == e.shape and a.dtype == e.dtype, i
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-4, err_msg=f"value {i}")
    targets = [n.target for m in modules for n in m.graph.nodes if n.op == "call_function"]
    assert targets.count(conv_ops.conv2d_batch_norm_relu) == (0 if with_grad else 1)
