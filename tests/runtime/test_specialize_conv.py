"""Convolution fusions made when a subgraph is specialized (runtime/specialize.py): a Conv2D's
Conv2DBackpropInput and Conv2DBackpropFilter run as one convolution_backward call. The gradients must
equal TensorFlow's, and the fused call must actually be in the lowered module."""

import numpy as np
import pytest
import torch

import torchmeta as tm
from torchmeta.ops import conv_ops

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
