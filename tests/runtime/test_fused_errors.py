"""Bad feeds through the fused paths specialization takes (MatMul + bias (+ Relu), the kept packed weight, conv +
bias (+ Relu), batch norm, the LSTM cells of static_rnn and dynamic_rnn, pooling gradients): each graph runs once
with good feeds (so the fused kernels are in place), then with a feed of a wrong shape through a placeholder of
unknown dimensions. The error must be TensorFlow's: its class, its kernel message and the node it names."""

import re

import numpy as np
import pytest

import torchmeta as tm
from tests.runtime.tf_graphs import assert_same_error

_RNG = np.random.default_rng(15)


def _r(*shape):
    return _RNG.standard_normal(shape).astype(np.float32)


def _dense(relu, add):
    def build(tf):
        x = tf.placeholder(tf.float32, [None, None], name="x")
        w, b = tf.constant(_r(8, 5)), tf.constant(_r(5))
        mm = tf.matmul(x, w, name="mm")
        y = tf.add(mm, b, name="add") if add else tf.nn.bias_add(mm, b, name="add")
        return {x: (_r(4, 8), _r(4, 7))}, [tf.nn.relu(y, name="relu") if relu else y]

    return build


def _dense_train(tf):
    x = tf.placeholder(tf.float32, [None, None], name="x")
    w, b = tf.Variable(_r(8, 5), name="w"), tf.Variable(_r(5), name="b")
    y = tf.nn.relu(tf.matmul(x, w, name="mm") + b, name="relu")
    train = tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(y * y))
    return {x: (_r(4, 8), _r(4, 7))}, [y, train]


def _kept_weight(tf):
    """A weight of 2**19 elements at one thread: MatMul + bias + Relu by the kept packed product."""
    x = tf.placeholder(tf.float32, [None, None], name="x")
    w, b = tf.Variable(_r(1024, 512) * 0.05, name="w"), tf.Variable(_r(512), name="b")
    return {x: (_r(16, 1024), _r(16, 1000))}, [tf.nn.relu(tf.matmul(x, w, name="mm") + b, name="relu")]


def _linear_weight_gradient(tf):
    """The weight gradient of a linear layer folded into GradientDescent's update, fed a gradient of other rows."""
    x = tf.constant(_r(4, 8))
    dy = tf.placeholder(tf.float32, [None, None], name="dy")
    w, b = tf.Variable(_r(8, 5), name="w"), tf.Variable(_r(5), name="b")
    train = tf.train.GradientDescentOptimizer(0.1).minimize(tf.matmul(x, w, name="mm") + b, grad_loss=dy)
    return {dy: (_r(4, 5), _r(3, 5))}, [train]


def _conv(train):
    def build(tf):
        x = tf.placeholder(tf.float32, [None, None, None, None], name="x")
        f, b = tf.Variable(_r(3, 3, 3, 4), name="f"), tf.Variable(_r(4), name="b")
        conv = tf.nn.conv2d(x, f, [1, 1, 1, 1], "SAME", name="conv")
        y = tf.nn.relu(tf.nn.bias_add(conv, b, name="add"), name="relu")
        fetches = [y, tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(y * y))] if train else [y]
        return {x: (_r(2, 8, 8, 3), _r(2, 8, 8, 2))}, fetches

    return build


def _batch_norm_train(tf):
    x = tf.placeholder(tf.float32, [None, None, None, None], name="x")
    scale, offset = tf.Variable(_r(4), name="s"), tf.Variable(_r(4), name="o")
    y = tf.nn.relu(tf.nn.fused_batch_norm(x, scale, offset, is_training=True, name="bn")[0], name="relu")
    train = tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(y * y))
    return {x: (_r(2, 4, 4, 4), _r(2, 4, 4, 3))}, [y, train]


def _lstm(dynamic, train):
    def build(tf):
        state = [tf.placeholder(tf.float32, [None, 6], name=n) for n in ("c0", "h0")]
        initial = tf.nn.rnn_cell.LSTMStateTuple(*state)
        cell = tf.nn.rnn_cell.LSTMCell(6, initializer=tf.constant_initializer(0.1))
        if dynamic:
            x = tf.placeholder(tf.float32, [None, None, 5], name="x")
            outs, _ = tf.nn.dynamic_rnn(cell, x, initial_state=initial)
            feeds = {x: (_r(4, 3, 5), _r(3, 3, 5))}
        else:
            xs = [tf.placeholder(tf.float32, [None, 5], name=f"x{t}") for t in range(3)]
            outs, _ = tf.nn.static_rnn(cell, xs, initial_state=initial)
            feeds = {x: (v, v) for x, v in ((xs[0], _r(4, 5)), (xs[2], _r(4, 5)))}
            feeds[xs[1]] = (_r(4, 5), _r(3, 5))
            outs = outs[-1]
        feeds.update({s: (np.zeros((4, 6), np.float32),) * 2 for s in state})
        fetches = [outs]
        if train:
            fetches.append(tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(outs)))
        return feeds, fetches

    return build


def _dense_gradient(tf):
    """ReluGrad with its bias gradient's column sums (one fused call), fed a gradient of other columns."""
    x = tf.constant(_r(4, 8))
    dy = tf.placeholder(tf.float32, [None, None], name="dy")
    w, b = tf.Variable(_r(8, 5), name="w"), tf.Variable(_r(5), name="b")
    y = tf.nn.relu(tf.matmul(x, w, name="mm") + b, name="relu")
    return {dy: (_r(4, 5), _r(4, 6))}, tf.gradients(y, [x, w, b], grad_ys=dy)


def _batch_norm_gradient(tf):
    """ReluGrad into FusedBatchNormGradV3 (one fused call), fed a gradient of other channels."""
    x = tf.constant(_r(2, 4, 4, 4))
    dy = tf.placeholder(tf.float32, [None, None, None, None], name="dy")
    scale, offset = tf.Variable(_r(4), name="s"), tf.Variable(_r(4), name="o")
    y = tf.nn.relu(tf.nn.fused_batch_norm(x, scale, offset, is_training=True, name="bn")[0], name="relu")
    return {dy: (_r(2, 4, 4, 4), _r(2, 4, 4, 3))}, tf.gradients(y, [x, scale, offset], grad_ys=dy)


def _max_pool_gradient(tf):
    """ReluGrad of MaxPoolGrad (one fused call), fed a gradient of other channels."""
    x = tf.constant(_r(2, 4, 4, 3))
    dy = tf.placeholder(tf.float32, [None, None, None, None], name="dy")
    y = tf.nn.max_pool(tf.nn.relu(x), [1, 2, 2, 1], [1, 2, 2, 1], "VALID", name="pool")
    return {dy: (_r(2, 2, 2, 3), _r(2, 2, 2, 4))}, tf.gradients(y, [x], grad_ys=dy)


# name -> (build, the nodes TF's error may name: None for TF's own; another where TF's fusions or its executor's
# order differ from ours, which the comments say)
CASES = {
    "matmul-biasadd": (_dense(relu=False, add=False), None),
    "matmul-add-relu": (_dense(relu=True, add=True), None),
    "matmul-biasadd-relu-train": (_dense_train, None),
    "kept-packed-weight": (_kept_weight, None),
    "weight-gradient-update": (_linear_weight_gradient, None),
    "relu-gradient-bias-sum": (_dense_gradient, None),
    # TF's grappler fuses Conv2D + BiasAdd + Relu into one node named after the Relu and reports it; the run with
    # the bad feed does not fuse here (the conv's shape is unknown then) and names the Conv2D.
    "conv-bias-relu": (_conv(train=False), {"relu", "conv"}),
    "conv-bias-relu-train": (_conv(train=True), {"relu", "conv"}),
    "batch-norm-train": (_batch_norm_train, None),
    "relu-gradient-batch-norm-gradient": (_batch_norm_gradient, None),
    "static-rnn-lstm": (_lstm(dynamic=False, train=False), None),
    # TF's executor runs the gradient's ConcatOffset (the same check, in other words) before the forward's concat,
    # which fails here as in TF's forward alone (the case above)
    "static-rnn-lstm-train": (_lstm(dynamic=False, train=True), {"rnn/lstm_cell/concat_1"}),
    "dynamic-rnn-lstm": (_lstm(dynamic=True, train=False), None),
    "dynamic-rnn-lstm-train": (_lstm(dynamic=True, train=True), None),
    "max-pool-relu-gradient": (_max_pool_gradient, None),
}


def _run(api, build):
    """The error of the run with the bad feeds, after two runs with the good ones."""
    with api.Graph().as_default():
        feeds, fetches = build(api)
        with api.Session() as sess:
            sess.run(api.global_variables_initializer())
            for _ in range(2):
                sess.run(fetches, {p: v[0] for p, v in feeds.items()})
            try:
                sess.run(fetches, {p: v[1] for p, v in feeds.items()})
            except Exception as e:  # (compared with TF's below)
                return e
    return None


def _named_node(error) -> str:
    return re.findall(r"\{\{node ([^}]+)\}\}", str(error))[-1]


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_bad_feed_through_a_fused_path_fails_as_in_tf(tf1, name, torch_threads):
    build, nodes = CASES[name]
    torch_threads(1 if name == "kept-packed-weight" else 2)
    reference = _lstm(dynamic=False, train=False) if name == "static-rnn-lstm-train" else build
    theirs = _run(tf1, reference)
    ours = _run(tm, build)
    assert_same_error(theirs, ours)
    assert _named_node(ours) in (nodes or {_named_node(theirs)}), (str(theirs), str(ours))


def test_the_bad_feed_of_the_kept_weight_case_reaches_the_packed_fusion(torch_threads):
    """The matrix above tests what it says: the dense layer runs as the fused kernel keeping its weight."""
    from torchmeta.runtime import specialize

    torch_threads(1)
    with tm.Graph().as_default():
        feeds, fetches = _kept_weight(tm)
        with tm.Session() as sess:
            sess.run(tm.global_variables_initializer())
            sess.run(fetches, {p: v[0] for p, v in feeds.items()})
            modules = sess._compiled_modules()
    fused = [n for m in modules for n in m.graph.nodes if n.target is specialize.fused_matmul_bias_relu]
    assert fused and all(n.kwargs.get("keep_weight") for n in fused)


def _conv_gradients(wanted, depthwise):
    def build(tf):
        x = tf.constant(_r(2, 8, 8, 3))
        dy = tf.placeholder(tf.float32, [None, None, None, None], name="dy")
        if depthwise:
            f = tf.Variable(_r(3, 3, 3, 1), name="f")
            y = tf.nn.depthwise_conv2d(x, f, [1, 1, 1, 1], "SAME", name="conv")
        else:
            f = tf.Variable(_r(3, 3, 3, 4), name="f")
            y = tf.nn.conv2d(x, f, [1, 1, 1, 1], "SAME", name="conv")
        grads = tf.gradients(y, [{"input": x, "filter": f}[w] for w in wanted], grad_ys=dy)
        depth = 3 if depthwise else 4
        return {dy: (_r(2, 8, 8, depth), _r(2, 8, 8, depth + 1))}, grads

    return build


_CONV_OUT_DEPTH = "filter and out_backprop must have the same out_depth"
_DEPTHWISE_OUT_DEPTH = "depth_multiplier * in_depth not equal to out_depth"


@pytest.mark.parametrize(
    "wanted,depthwise,message,node",
    [
        (["input"], False, f"Conv2DCustomBackpropInput: {_CONV_OUT_DEPTH}", "Conv2DBackpropInput"),
        (["filter"], False, f"Conv2DCustomBackpropFilter: {_CONV_OUT_DEPTH}", "Conv2DBackpropFilter"),
        # both: TF's executor runs the two kernels side by side and names whichever failed first (either, run to
        # run); ours runs the input gradient's first
        (
            ["input", "filter"],
            False,
            f"Conv2DCustomBackpropInput: {_CONV_OUT_DEPTH}",
            ("Conv2DBackpropInput", "Conv2DBackpropFilter"),
        ),
        (
            ["input"],
            True,
            f"DepthwiseConv2DBackpropInput: {_DEPTHWISE_OUT_DEPTH}",
            "DepthwiseConv2dNativeBackpropInput",
        ),
        (
            ["filter"],
            True,
            f"DepthwiseConv2DBackpropFilter: {_DEPTHWISE_OUT_DEPTH}",
            "DepthwiseConv2dNativeBackpropFilter",
        ),
    ],
    ids=["input", "filter", "both", "depthwise-input", "depthwise-filter"],
)
def test_a_convolution_gradient_of_another_depth_fails_as_tfs_kernel(tf1, wanted, depthwise, message, node):
    """out_backprop of another depth than the filter's: TF's Eigen kernels' InvalidArgumentError (what
    TF_ENABLE_ONEDNN_OPTS=0 gives; its oneDNN kernels abort with oneDNN's "could not create a primitive descriptor",
    an AbortedError, the message torch's oneDNN call raised here before), as for a gradient of another size."""
    nodes = [f"gradients/conv_grad/{n}" for n in ((node,) if isinstance(node, str) else node)]
    theirs = _run(tf1, _conv_gradients(wanted, depthwise))
    assert isinstance(theirs, tf1.errors.OpError) and any(n in str(theirs) for n in nodes)
    ours = _run(tm, _conv_gradients(wanted, depthwise))
    assert isinstance(ours, tm.errors.InvalidArgumentError), ours
    assert ours.message == message
    assert _named_node(ours) == nodes[0]
