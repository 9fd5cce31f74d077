"""nn gradients across frameworks: graphs differentiated here run in TensorFlow, and TF's run here.

A small CNN loss (Conv2D + BiasAdd + Relu + MaxPool + Reshape + MatMul + sparse softmax
cross-entropy) and a second one through the other nn gradients (DepthwiseConv2dNative,
FusedBatchNormV3, Elu, AvgPool, LRN, Softplus, dense softmax cross-entropy, L2Loss) are
differentiated by torchmeta, exported with ``as_graph_def()`` and imported into TensorFlow, which
runs them to the values torchmeta computes and to the values of TF's own ``tf.gradients``; and
TF's gradient graphs, imported here, run to TF's numbers.

Also the cases test_gradients.py cannot express: inference-mode FusedBatchNorm (grappler off),
RandomGamma's gradient (random samples), gradients TF computes wrongly or not at all on CPU
(dilated depthwise convolution, int64 top-k indices), and the ops TF registers no gradient for.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from torchmeta import errors

_rng = np.random.default_rng(7)


def _randn(*shape, dtype=np.float32):
    return _rng.standard_normal(shape).astype(dtype)


def _tf_graph_def(graph_def):
    """torchmeta's GraphDef as TensorFlow's message (same wire format)."""
    import tensorflow as tf

    return tf.compat.v1.GraphDef.FromString(graph_def.SerializeToString())


def _no_grappler():
    from tensorflow.core.protobuf import config_pb2

    config = config_pb2.ConfigProto()
    config.graph_options.rewrite_options.disable_meta_optimizer = True
    return config


# ---------------------------------------------------------------------------------------------
# Models, written once for either framework's TF1 API (``api`` is torchmeta or tf.compat.v1).


def _cnn_data(data_format):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 8, 7, 2), np.float32)
    if data_format == "NCHW":
        x = x.transpose(0, 3, 1, 2).copy()
    params = {
        "w1": rng.standard_normal((3, 3, 2, 4), np.float32) * 0.5,
        "b1": rng.standard_normal(4, np.float32),
        "w2": rng.standard_normal((4 * 4 * 4, 5), np.float32) * 0.3,
        "b2": rng.standard_normal(5, np.float32),
    }
    return x, np.array([0, 4, 2], np.int64), params


def _cnn(api, x, labels, p, data_format):
    """Conv2D + BiasAdd + Relu + MaxPool + Reshape + MatMul + Add + sparse softmax cross-entropy."""
    nhwc = data_format == "NHWC"
    strides = [1, 1, 1, 1]
    window = [1, 2, 2, 1] if nhwc else [1, 1, 2, 2]
    h = api.nn.conv2d(x, p["w1"], strides=strides, padding="SAME", data_format=data_format)
    h = api.nn.relu(api.nn.bias_add(h, p["b1"], data_format=data_format))
    h = api.nn.max_pool(h, ksize=window, strides=window, padding="SAME", data_format=data_format)
    logits = api.matmul(api.reshape(h, [-1, 4 * 4 * 4]), p["w2"]) + p["b2"]
    return api.reduce_mean(api.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def _wide_data(_):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 6, 6, 3), np.float32)
    params = {
        "dw": rng.standard_normal((3, 3, 3, 2), np.float32) * 0.5,
        "scale": rng.standard_normal(6, np.float32) + 1.0,
        "offset": rng.standard_normal(6, np.float32),
        "w": rng.standard_normal((3 * 3 * 6, 4), np.float32) * 0.3,
    }
    labels = np.abs(rng.standard_normal((2, 4), np.float32))
    return x, labels / labels.sum(1, keepdims=True), params


def _wide(api, x, labels, p, _):
    """DepthwiseConv2dNative + FusedBatchNormV3 (training) + Elu + AvgPool + LRN + MatMul +
    Softplus + softmax cross-entropy + L2Loss."""
    h = api.nn.depthwise_conv2d_native(x, p["dw"], strides=[1, 1, 1, 1], padding="SAME")
    h, _, _ = api.nn.fused_batch_norm(h, p["scale"], p["offset"], is_training=True)
    h = api.nn.elu(h)
    h = api.nn.avg_pool(h, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME")
    h = api.nn.lrn(h, depth_radius=2, bias=1.5, alpha=0.3, beta=0.75)
    logits = api.nn.softplus(api.matmul(api.reshape(h, [2, -1]), p["w"]))
    xent = api.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)
    return api.reduce_mean(xent) + 0.01 * api.nn.l2_loss(p["w"])


_MODELS = {
    "cnn-nhwc": (_cnn_data, _cnn, "NHWC"),
    "cnn-nchw": (_cnn_data, _cnn, "NCHW"),
    "wide": (_wide_data, _wide, None),
}


def _build(api, model):
    """(graph, loss, [x, labels] placeholders, parameter constants, gradients)."""
    make_data, fn, data_format = _MODELS[model]
    x_value, labels_value, values = make_data(data_format)
    graph = api.Graph()
    with graph.as_default():
        x = api.placeholder(api.float32, [None, *x_value.shape[1:]], name="x")
        labels = api.placeholder(api.as_dtype(labels_value.dtype.name), [None, *labels_value.shape[1:]], name="labels")
        params = {k: api.constant(v, name=k) for k, v in values.items()}
        loss = fn(api, x, labels, params, data_format)
        grads = api.gradients(loss, list(params.values()))
    feeds = {"x:0": x_value, "labels:0": labels_value}
    return graph, loss, grads, feeds


def _run_tm(graph, fetches, feeds):
    with tm.Session(graph=graph) as sess:
        return sess.run(fetches, {graph.get_tensor_by_name(k): v for k, v in feeds.items()})


def _run_tf(tf1, graph, fetches, feeds, config=None):
    with tf1.Session(graph=graph, config=config) as sess:
        return sess.run(fetches, {graph.get_tensor_by_name(k): v for k, v in feeds.items()})


def _assert_close(actual, expected, rtol=1e-4, atol=1e-5):
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=rtol, atol=atol, err_msg=f"fetch {i}")


@pytest.mark.parametrize("model", sorted(_MODELS))
def test_torchmeta_gradient_graph_runs_in_tensorflow(tf1, model):
    graph, loss, grads, feeds = _build(tm, model)
    names = [t.name for t in [loss, *grads]]
    ours = _run_tm(graph, [loss, *grads], feeds)
    gradient_ops = {op.type for op in graph.get_operations() if op.name.startswith("gradients/")}

    tf_graph = tf1.Graph()
    with tf_graph.as_default():
        tf1.import_graph_def(_tf_graph_def(graph.as_graph_def()), name="")
    imported = _run_tf(tf1, tf_graph, [tf_graph.get_tensor_by_name(n) for n in names], feeds)
    _assert_close(imported, ours)

    tf_graph, tf_loss, tf_grads, _ = _build(tf1, model)
    _assert_close(_run_tf(tf1, tf_graph, [tf_loss, *tf_grads], feeds), ours)
    # The backward pass is made of TF's gradient ops, as TF's own gradients() builds it.
    tf_gradient_ops = {op.type for op in tf_graph.get_operations() if op.name.startswith("gradients/")}
    assert gradient_ops == tf_gradient_ops


@pytest.mark.parametrize("model", sorted(_MODELS))
def test_tensorflow_gradient_graph_runs_in_torchmeta(tf1, model):
    tf_graph, tf_loss, tf_grads, feeds = _build(tf1, model)
    names = [t.name for t in [tf_loss, *tf_grads]]
    expected = _run_tf(tf1, tf_graph, [tf_loss, *tf_grads], feeds)

    graph = tm.Graph()
    with graph.as_default():
        tm.import_graph_def(tf_graph.as_graph_def(), name="")
    actual = _run_tm(graph, [graph.get_tensor_by_name(n) for n in names], feeds)
    _assert_close(actual, expected)


# ---------------------------------------------------------------------------------------------
# Inference-mode FusedBatchNorm: grappler folds it into Mul/Add in TF, so run with it off.


@pytest.mark.parametrize("op_type", ["FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"])
@pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
def test_inference_fused_batch_norm_gradient(tf1, op_type, data_format):
    c = 4
    x = _randn(2, 3, 5, c)
    if data_format == "NCHW":
        x = x.transpose(0, 3, 1, 2).copy()
    inputs = {"scale": _randn(c) + 1.0, "offset": _randn(c), "mean": _randn(c), "variance": np.abs(_randn(c)) + 0.5}
    dy = _randn(*x.shape)

    def build(api, raw_ops):
        g = api.Graph()
        with g.as_default():
            tensors = {k: api.constant(v) for k, v in {"x": x, **inputs}.items()}
            y = getattr(raw_ops, op_type)(**tensors, epsilon=0.01, data_format=data_format, is_training=False)[0]
            grads = api.gradients(y, [tensors["x"], tensors["scale"], tensors["offset"]], grad_ys=api.constant(dy))
        return g, [y, *grads]

    import tensorflow as tf

    g, fetches = build(tf1, tf.raw_ops)
    expected = _run_tf(tf1, g, fetches, {}, config=_no_grappler())
    g, fetches = build(tm, tm.raw_ops)
    _assert_close(_run_tm(g, fetches, {}), expected)
    if data_format == "NCHW":  # TF's gradient runs FusedBatchNormGrad in NHWC between Transposes
        grad_ops = [op for op in g.get_operations() if op.type.startswith("FusedBatchNormGrad")]
        assert [op.get_attr("data_format") for op in grad_ops] == [b"NHWC"]


# ---------------------------------------------------------------------------------------------
# RandomGamma: alpha's gradient is sum over the sample dims of grad * RandomGammaGrad(alpha, sample).


def test_random_gamma_gradient(tf1):
    import tensorflow as tf

    alpha_value = np.array([[0.5, 1.0, 4.0], [2.0, 0.2, 9.0]], np.float64)
    grad_y = _randn(4, 5, 2, 3, dtype=np.float64)
    g = tm.Graph()
    with g.as_default():
        alpha = tm.constant(alpha_value)
        sample = tm.raw_ops.RandomGamma(shape=tm.constant([4, 5]), alpha=alpha, seed=3, seed2=4)
        (grad,) = tm.gradients(sample, [alpha], grad_ys=tm.constant(grad_y))
        assert grad.shape.as_list() == [2, 3]
        sample_value, grad_value = _run_tm(g, [sample, grad], {})
    with tf1.Graph().as_default():
        partial = tf.raw_ops.RandomGammaGrad(alpha=alpha_value, sample=sample_value)
        expected = (grad_y * tf1.Session().run(partial)).sum((0, 1))
    np.testing.assert_allclose(grad_value, expected, rtol=1e-10)


# ---------------------------------------------------------------------------------------------
# Where TF's CPU gradient is wrong or cannot be built, torchmeta's is checked on its own.


def _directional_check(x_value, w_value, build, eps=1e-4):
    """Central differences of sum(y * dy) along random directions match <gradient, direction>."""
    g = tm.Graph()
    with g.as_default():
        x = tm.placeholder(tm.float64, x_value.shape)
        w = tm.placeholder(tm.float64, w_value.shape)
        y = build(x, w)
        dy = tm.constant(_randn(*y.shape.as_list(), dtype=np.float64))
        loss = tm.reduce_sum(y * dy)
        gx, gw = tm.gradients(loss, [x, w])
        with tm.Session(graph=g) as sess:
            gx_value, gw_value = sess.run([gx, gw], {x: x_value, w: w_value})
            for value, grad, which in ((x_value, gx_value, 0), (w_value, gw_value, 1)):
                v = _randn(*value.shape, dtype=np.float64)

                def at(t, value=value, v=v, which=which):
                    xs = (value + t * v, w_value) if which == 0 else (x_value, value + t * v)
                    return sess.run(loss, {x: xs[0], w: xs[1]})

                numeric = (at(eps) - at(-eps)) / (2 * eps)
                np.testing.assert_allclose(np.sum(grad * v), numeric, rtol=1e-6)


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_dilated_depthwise_gradient(padding):
    """TF's CPU DepthwiseConv2dNativeBackpropInput ignores dilations; torchmeta's gradient is right."""
    _directional_check(
        _randn(2, 7, 6, 3, dtype=np.float64),
        _randn(3, 2, 3, 2, dtype=np.float64),
        lambda x, w: tm.nn.depthwise_conv2d_native(x, w, strides=[1, 1, 1, 1], padding=padding, dilations=[1, 2, 2, 1]),
    )


def test_conv2d_gradient_matches_finite_differences():
    _directional_check(
        _randn(2, 7, 6, 3, dtype=np.float64),
        _randn(2, 3, 3, 4, dtype=np.float64),
        lambda x, w: tm.nn.conv2d(x, w, strides=[1, 2, 3, 1], padding="SAME", dilations=[1, 1, 1, 1]),
    )


@pytest.mark.parametrize("index_type", ["int16", "int64"])
def test_top_k_gradient_with_wide_indices(tf1, index_type):
    """TF's gradient graph fails to build for non-int32 indices; torchmeta's equals TF's int32 one."""
    import tensorflow as tf

    x, dy = _randn(3, 5), _randn(3, 2)

    def grad(api, raw_ops, dtype):
        with api.Graph().as_default() as g:
            t = api.constant(x)
            values, _ = raw_ops.TopKV2(input=t, k=api.constant(2), index_type=dtype)
            (gx,) = api.gradients(values, [t], grad_ys=api.constant(dy))
            with api.Session(graph=g) as sess:
                return sess.run(gx)

    expected = grad(tf1, tf.raw_ops, tf1.int32)
    np.testing.assert_array_equal(grad(tm, tm.raw_ops, tm.as_dtype(index_type)), expected)
    with pytest.raises(TypeError):
        grad(tf1, tf.raw_ops, tf1.as_dtype(index_type))


# ---------------------------------------------------------------------------------------------
# Gradient decisions TF makes that the sample tables opt out of.


def _gradient_error(api, raw_ops, build):
    with api.Graph().as_default():
        ys, xs = build(api, raw_ops)
        with pytest.raises((LookupError, ValueError, TypeError)) as info:
            api.gradients(ys, xs)
    return info.value


def _softsign_grad(api, raw):
    x = api.constant(_randn(3))
    return [raw.SoftsignGrad(gradients=x, features=x)], [x]


def _lrn_grad(api, raw):
    x = api.constant(_randn(1, 2, 2, 3))
    return [raw.LRNGrad(input_grads=x, input_image=x, output_image=x)], [x]


def _max_pool_grad_grad_v2(api, raw):
    x = api.constant(_randn(1, 4, 4, 2))
    window = {"ksize": api.constant([1, 2, 2, 1]), "strides": api.constant([1, 2, 2, 1]), "padding": "VALID"}
    y = raw.MaxPoolV2(input=x, **window)
    return [raw.MaxPoolGradGradV2(orig_input=x, orig_output=y, grad=x, **window)], [x]


def _random_gamma_grad(api, raw):
    x = api.constant(np.abs(_randn(3)) + 1)
    return [raw.RandomGammaGrad(alpha=x, sample=x)], [x]


_NO_GRADIENT = {
    "SoftsignGrad": _softsign_grad,
    "LRNGrad": _lrn_grad,
    "MaxPoolGradGradV2": _max_pool_grad_grad_v2,
    "RandomGammaGrad": _random_gamma_grad,
}


@pytest.mark.parametrize("op_type", sorted(_NO_GRADIENT))
def test_no_gradient_registered_raises_lookup_error_like_tf(tf1, op_type):
    import tensorflow as tf

    expected = _gradient_error(tf1, tf.raw_ops, _NO_GRADIENT[op_type])
    actual = _gradient_error(tm, tm.raw_ops, _NO_GRADIENT[op_type])
    assert type(expected) is LookupError and type(actual) is LookupError
    assert f"(op type: {op_type})" in str(actual)


@pytest.mark.parametrize(
    "features,labels",
    [((2, 3), (3,)), ((2, 1), (2, 3)), ((1, 3), (2, 3))],
    ids=["labels-row", "features-column", "features-batch"],
)
def test_broadcast_softmax_cross_entropy_gradient_fails_like_tf(tf1, features, labels):
    """TF's gradient leaves the broadcast shape, which does not fit the broadcast input (or, for
    broadcast features, fails in its second-order term's MatMul)."""
    import tensorflow as tf

    def build(api, raw):
        f, lab = api.constant(_randn(*features)), api.constant(np.abs(_randn(*labels)))
        return list(raw.SoftmaxCrossEntropyWithLogits(features=f, labels=lab)), [f, lab]

    expected = _gradient_error(tf1, tf.raw_ops, build)
    actual = _gradient_error(tm, tm.raw_ops, build)
    assert type(expected) is ValueError and type(actual) is ValueError
    assert str(actual).split(" for ")[0] == str(expected).split(" for ")[0]


def test_max_pool_depth_gradient_is_unimplemented_like_tf(tf1):
    x = _randn(1, 3, 3, 6)
    window = {"ksize": [1, 1, 1, 3], "strides": [1, 1, 1, 3], "padding": "VALID"}

    def run(api, error):
        with api.Graph().as_default() as g:
            t = api.constant(x)
            (gx,) = api.gradients(api.nn.max_pool(t, **window), [t])
            with api.Session(graph=g) as sess, pytest.raises(error, match="not yet supported on the depth dimension"):
                sess.run(gx)

    run(tf1, tf1.errors.UnimplementedError)
    run(tm, errors.UnimplementedError)


def test_max_pool_grad_nchw_runs_here():
    """A lone NCHW MaxPoolGrad: TF's CPU kernel takes NHWC only; torchmeta's equals the NHWC result."""
    x = np.round(_randn(2, 6, 5, 3))  # ties: the first maximum in each window takes the gradient
    ksize, strides = [1, 2, 2, 1], [1, 2, 2, 1]
    with tm.Graph().as_default() as g:
        t = tm.constant(x)
        y = tm.nn.max_pool(t, ksize=ksize, strides=strides, padding="SAME")
        dy = _randn(*y.shape.as_list())
        (nhwc,) = tm.gradients(y, [t], grad_ys=tm.constant(dy))
        t_nchw = tm.transpose(t, [0, 3, 1, 2])
        y_nchw = tm.nn.max_pool(t_nchw, ksize=[1, 1, 2, 2], strides=[1, 1, 2, 2], padding="SAME", data_format="NCHW")
        (nchw,) = tm.gradients(y_nchw, [t_nchw], grad_ys=tm.constant(dy.transpose(0, 3, 1, 2)))
        with tm.Session(graph=g) as sess:
            a, b = sess.run([nhwc, nchw])
    np.testing.assert_array_equal(a.transpose(0, 3, 1, 2), b)


# ---------------------------------------------------------------------------------------------
# Every op of the three families has TF's gradient decision.

_FAMILIES = (
    "torchmeta.ops.nn_ops",
    "torchmeta.ops.conv_ops",
    "torchmeta.ops.random_ops",
    "torchmeta.ops.stateless_random_ops",
    "torchmeta.ops.candidate_sampling_ops",
)


def _family_ops():
    from torchmeta.framework import registry

    return sorted(
        n for n, info in registry.registered_ops().items() if getattr(info.kernel, "__module__", "") in _FAMILIES
    )


@pytest.mark.parametrize("op_type", _family_ops())
def test_gradient_decision_is_tfs(op_type):
    """A gradient function where TF registers one, NOT_DIFFERENTIABLE where TF declares
    ops.NotDifferentiable, and TF's LookupError where TF registers nothing."""
    pytest.importorskip("tensorflow")
    from tensorflow.python.framework import ops as tf_ops

    from torchmeta.framework import registry

    try:
        tf_fn = tf_ops._gradient_registry.lookup(op_type)
        expected = "not differentiable" if tf_fn is None else "function"
    except LookupError:
        expected = "none"
    gradient = registry.get(op_type).gradient
    if gradient is registry.NOT_DIFFERENTIABLE:
        actual = "not differentiable"
    elif gradient is registry.NO_REGISTERED_GRADIENT:
        actual = "none"
    else:
        actual = "function" if callable(gradient) else "undecided"
    assert actual == expected
