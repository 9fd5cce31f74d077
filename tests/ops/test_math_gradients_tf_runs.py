"""Math-family gradients beyond the per-sample numeric comparison of test_gradients.py.

* every math/reduction op has TensorFlow's gradient decision (a function, NotDifferentiable, or TF's
  "no gradient defined" LookupError where TF registers nothing);
* the gradient subgraph of every math sample is TF's node for node (names, op types, inputs,
  devices, attrs), apart from the listed cases where a framework difference changes it;
* an MLP-like training graph differentiated here (first and second order) imports into TensorFlow
  and runs there to the same numbers, and a gradient graph built by TF's own ``tf.gradients``
  imports here and runs to TF's numbers;
* ``gradients(reduce_mean(square(matmul(x, w) + b)), [w, b])`` has TF's node names;
* the Session's specialization to feed shapes (folding BroadcastGradientArgs and other shape
  bookkeeping) gives the results of an unspecialized run (``ConfigProto(optimize=False)``);
* gradients TF cannot build fail here the same way.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.ops import samples_math
from tests.ops import test_gradients as per_sample
from torchmeta.framework import registry

_MATH_MODULES = (
    "torchmeta.ops.math_ops",
    "torchmeta.ops.unary_ops",
    "torchmeta.ops.comparison_ops",
    "torchmeta.ops.matmul_ops",
    "torchmeta.ops.reduction_ops",
)
_rng = np.random.default_rng(5)


def _randn(*shape, dtype=np.float32):
    return _rng.standard_normal(shape).astype(dtype)


def _math_ops():
    return {
        name: info
        for name, info in registry.registered_ops().items()
        if getattr(info.kernel, "__module__", None) in _MATH_MODULES
    }


def _tf_graph_def(graph_def):
    from tensorflow.core.framework import graph_pb2

    return graph_pb2.GraphDef.FromString(graph_def.SerializeToString())


# ---------------------------------------------------------------------------------------------
# Gradient decisions


def test_math_family_is_registered_with_its_gradient_ops():
    ops = _math_ops()
    new = {"SqrtGrad", "RsqrtGrad", "ReciprocalGrad", "InvGrad", "TanhGrad", "SigmoidGrad", "Polygamma", "Complex"}
    assert {"AddV2", "MatMul", "Sum", "UnsortedSegmentProd"} | new <= set(ops)


def test_every_math_op_has_a_gradient_decision():
    undecided = sorted(name for name, info in _math_ops().items() if info.gradient is None)
    assert undecided == [], f"math ops without a gradient decision: {undecided}"


def _tf_decision(op_type):
    from tensorflow.python.framework import ops as tf_ops

    try:
        fn = tf_ops._gradient_registry.lookup(op_type)
    except LookupError:
        return "none"
    return "not_differentiable" if fn is None else "function"


def _our_decision(info):
    if info.gradient is registry.NOT_DIFFERENTIABLE:
        return "not_differentiable"
    if info.gradient is registry.NO_REGISTERED_GRADIENT:
        return "none"
    return "function"


@pytest.mark.parametrize("op_type", sorted(_math_ops()))
def test_math_gradient_decision_is_tfs(tf1, op_type):
    assert _our_decision(registry.get(op_type)) == _tf_decision(op_type)


# ---------------------------------------------------------------------------------------------
# The gradient subgraph of each sample, node for node

# TF's C++ shape refiner folds all-Const subgraphs (Sub/AddV2/FloorMod/ListDiff of Consts); so do torchmeta's
# shape functions (framework/constant_folding.py), so every graph is TF's.
_IGNORED_ATTRS: set = set()
# TF's _MultiDeviceAddN colocates every gradient-aggregating AddN with its first input, even on one
# device (gradients.py does so only across devices); colocations made by gradient functions are compared.
_IGNORED_ADDN_ATTRS = {"_class"}


def _structure_samples():
    for s in samples_math.SAMPLES:
        info = registry.get(s.op)
        if not s.grad or not callable(info.gradient):
            continue
        if not any(per_sample._is_float(np.asarray(v).dtype.name) for v in _flat_inputs(s)):
            continue
        if not per_sample.has_float_outputs(s):
            continue
        yield pytest.param(s, id=s.name)


def _flat_inputs(sample):
    for v in sample.inputs.values():
        yield from (v if isinstance(v, (list, tuple)) else [v])


def _gradient_nodes(graph_def):
    from tensorflow.python.framework import tensor_util as tf_tensor_util

    nodes = []
    for n in _tf_graph_def(graph_def).node:
        if not n.name.startswith("gradients"):
            continue
        attrs = {}
        ignored = _IGNORED_ATTRS | (_IGNORED_ADDN_ATTRS if n.op == "AddN" else set())
        for key in sorted(set(n.attr) - ignored):
            value = n.attr[key]
            if key == "value":
                arr = tf_tensor_util.MakeNdarray(value.tensor)
                attrs[key] = (value.tensor.dtype, arr.shape, arr.tobytes())
            else:
                attrs[key] = value.SerializeToString(deterministic=True)
        nodes.append((n.name, n.op, tuple(n.input), n.device, attrs))
    return nodes


def _gradient_graph_def(api, sample, grad_ys):
    g = api.Graph()
    with g.as_default():
        per_sample._build(api, sample, grad_ys)
    return g.as_graph_def()


@pytest.mark.parametrize("sample", list(_structure_samples()))
def test_gradient_graph_is_tfs_node_for_node(tf1, sample):
    forward = per_sample._run(tf1, sample, None)
    grad_ys = [np.zeros(np.shape(v), np.asarray(v).dtype) for v in forward]
    expected = _gradient_nodes(_gradient_graph_def(tf1, sample, grad_ys))
    actual = _gradient_nodes(_gradient_graph_def(tm, sample, grad_ys))
    assert [n[:2] for n in actual] == [n[:2] for n in expected]
    for a, e in zip(actual, expected):
        assert a == e, f"node {e[0]}"


def test_simple_loss_gradient_has_tfs_node_names(tf1):
    def build(tf):
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.constant(_W, name="w")
        b = tf.constant(_B, name="b")
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b))
        tf.gradients(loss, [w, b])

    graphs = []
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            build(api)
        graphs.append(_gradient_nodes(g.as_graph_def()))
    expected, actual = graphs
    assert [n[0] for n in actual] == [n[0] for n in expected]
    assert actual == expected
    types = {n[1] for n in actual}
    assert {"Tile", "GatherV2", "Prod", "RealDiv", "MatMul", "Sum", "Reshape"} <= types


_W = _randn(3, 2)
_B = _randn(2)


# ---------------------------------------------------------------------------------------------
# An MLP-like training graph, differentiated here, run in TF; and TF's gradient graph run here

_X = _randn(5, 3)
_S = np.abs(_randn(5, 1)) + 0.5
_T = _randn(5, 2)
_W1, _B1, _W2, _B2 = _randn(3, 4), _randn(4), _randn(4, 2), _randn(2)


def _mlp(tf):
    """Placeholders x [None, 3] and s [None, 1] (broadcast against [None, 2]: a run-time
    BroadcastGradientArgs); returns (feeds by name, loss, first-order grads, second-order grads)."""
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    s = tf.placeholder(tf.float32, [None, 1], name="s")
    t = tf.placeholder(tf.float32, [None, 2], name="t")
    w1, b1 = tf.constant(_W1, name="w1"), tf.constant(_B1, name="b1")
    w2, b2 = tf.constant(_W2, name="w2"), tf.constant(_B2, name="b2")
    h = tf.matmul(x, w1) + b1
    h = tf.maximum(h, 0.1 * h)
    h = tf.sigmoid(h) * tf.tanh(h)
    out = (tf.matmul(h, w2) + b2) * s
    loss = tf.reduce_mean(tf.square(out - t)) + 0.01 * tf.reduce_sum(tf.square(w1))
    params = [w1, b1, w2, b2, s]
    grads = tf.gradients(loss, params)
    penalty = tf.add_n([tf.reduce_sum(tf.square(g)) for g in grads[:4]])
    second = tf.gradients(penalty, [w1, b1, w2, x])
    feeds = {"x:0": _X, "s:0": _S, "t:0": _T}
    return feeds, loss, grads, second


def _run_here(build, config=None):
    g = tm.Graph()
    with g.as_default():
        feeds, loss, grads, second = build(tm)
        fetches = [loss, *grads, *second]
        with tm.Session(graph=g, config=config) as sess:
            values = sess.run(fetches, {g.get_tensor_by_name(k): v for k, v in feeds.items()})
    return g, [t.name for t in fetches], values


def test_mlp_gradients_differentiated_here_run_in_tf(tf1):
    g, names, ours = _run_here(_mlp)
    graph_def = g.as_graph_def()
    types = {n.op for n in graph_def.node}
    assert {"BroadcastGradientArgs", "SigmoidGrad", "TanhGrad", "MatMul", "Tile", "SelectV2"} <= types
    tg = tf1.Graph()
    with tg.as_default():
        tf1.import_graph_def(_tf_graph_def(graph_def), name="")
        with tf1.Session(graph=tg) as sess:
            theirs = sess.run(names, {"x:0": _X, "s:0": _S, "t:0": _T})
    reference_graph = tf1.Graph()
    with reference_graph.as_default():
        feeds, loss, grads, second = _mlp(tf1)
        with tf1.Session(graph=reference_graph) as sess:
            reference = sess.run([loss, *grads, *second], feeds)
    assert len(ours) == len(theirs) == len(reference) == 10
    for i, (a, b, c) in enumerate(zip(ours, theirs, reference)):
        assert a.shape == b.shape == c.shape and a.dtype == b.dtype == c.dtype, i
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=f"fetch {i} ({names[i]}): TF run")
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6, err_msg=f"fetch {i}: TF's own gradients")


def test_mlp_gradient_graph_is_tfs_node_for_node(tf1):
    graphs = []
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            _mlp(api)
        graphs.append(_gradient_nodes(g.as_graph_def()))
    expected, actual = graphs
    assert [n[:3] for n in actual] == [n[:3] for n in expected]
    assert actual == expected


def test_tf_training_gradient_graph_runs_here(tf1):
    tg = tf1.Graph()
    with tg.as_default():
        feeds, loss, grads, second = _mlp(tf1)
        fetches = [loss, *grads, *second]
        with tf1.Session(graph=tg) as sess:
            expected = sess.run(fetches, feeds)
        names = [t.name for t in fetches]
        graph_def = tg.as_graph_def()
    g = tm.Graph()
    with g.as_default():
        tm.import_graph_def(graph_def, name="")
        with tm.Session(graph=g) as sess:
            actual = sess.run(names, feeds)
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a.shape == e.shape and a.dtype == e.dtype, names[i]
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6, err_msg=names[i])


# ---------------------------------------------------------------------------------------------
# IndexedSlices gradients (from a Gather) through math gradients: same kinds and values as TF

_P = _randn(5, 3)
_SPARSE_CASES = {
    "Mul": lambda tf, p: p * 2.0,
    "AddV2-broadcast": lambda tf, p: p + tf.constant(np.ones(3, np.float32)),
    "AddV2-same-shape": lambda tf, p: p + tf.constant(np.ones((5, 3), np.float32)),
    "Sub": lambda tf, p: p - 1.0,
    "Neg": lambda tf, p: -p,
    "AddN": lambda tf, p: tf.add_n([p, p]),
    "Square": lambda tf, p: tf.square(p),
    "Exp": lambda tf, p: tf.exp(p),
    "Tanh": lambda tf, p: tf.tanh(p),
    "Sqrt": lambda tf, p: tf.sqrt(tf.abs(p)),
    "SquaredDifference": lambda tf, p: tf.squared_difference(p, 1.0),
    "Cast": lambda tf, p: tf.cast(tf.cast(p, tf.float64), tf.float32),
}


def _sparse_gradient(tf, fn):
    g = tf.Graph()
    with g.as_default():
        p = tf.constant(_P)
        y = tf.gather(fn(tf, p), [0, 2, 2])
        grad = tf.gradients(y, p, grad_ys=tf.constant(np.full((3, 3), 1.5, np.float32)))[0]
        kind = "IndexedSlices" if isinstance(grad, tf.IndexedSlices) else "Tensor"
        with tf.Session(graph=g) as sess:
            return kind, sess.run(tf.convert_to_tensor(grad))


@pytest.mark.parametrize("case", sorted(_SPARSE_CASES))
def test_indexed_slices_gradients_flow_like_tf(tf1, case):
    kind_tf, value_tf = _sparse_gradient(tf1, _SPARSE_CASES[case])
    kind, value = _sparse_gradient(tm, _SPARSE_CASES[case])
    assert kind == kind_tf
    np.testing.assert_allclose(value, value_tf, rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Specialization to feed shapes versus an unspecialized run


_DYNAMIC_FEEDS = {"x:0": _randn(3, 2, 4), "y:0": _randn(2, 1), "z:0": _randn(2, 4)}


def _broadcast_and_reductions(tf):
    """Unknown dims everywhere: BroadcastGradientArgs, DynamicStitch reduced shapes, Prod/Max/Mean."""
    x = tf.placeholder(tf.float32, [None, None, 4], name="x")
    y = tf.placeholder(tf.float32, [None, 1], name="y")
    z = tf.placeholder(tf.float32, None, name="z")
    a = x * y - z
    b = tf.reduce_prod(tf.reduce_max(a, axis=2) + 2.0, axis=1) + tf.reduce_mean(a, axis=[1, 2])
    c = tf.pow(tf.abs(a) + 1.0, y) / (z * z + 1.0)
    loss = tf.reduce_sum(b) + tf.reduce_mean(c) + tf.reduce_sum(tf.cumprod(x, axis=1))
    grads = tf.gradients(loss, [x, y, z])
    second = tf.gradients(tf.add_n([tf.reduce_sum(g * g) for g in grads]), [x, y])
    return dict(_DYNAMIC_FEEDS), loss, grads, second


@pytest.mark.parametrize("build", [_mlp, _broadcast_and_reductions], ids=["mlp", "dynamic-shapes"])
def test_specialized_gradients_equal_unspecialized(tf1, build):
    _, _, specialized = _run_here(build)
    _, _, plain = _run_here(build, tm.ConfigProto(optimize=False))
    for a, b in zip(specialized, plain):
        assert a.shape == b.shape and a.dtype == b.dtype
        # Fusions (MatMul + bias as one addmm, like TF's remapper) reassociate float32 sums.
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    tg = tf1.Graph()
    with tg.as_default():
        feeds, loss, grads, second = build(tf1)
        with tf1.Session(graph=tg) as sess:
            reference = sess.run([loss, *grads, *second], feeds)
    for a, e in zip(specialized, reference):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5)


def test_specialization_runs_other_feed_shapes_through_one_graph(tf1):
    """The same gradient graph fed two batch sizes (one specialization each) matches TF both times."""
    g = tm.Graph()
    with g.as_default():
        _, loss, grads, _ = _mlp(tm)
        with tm.Session(graph=g) as sess:
            runs = []
            for n in (5, 2):
                feeds = {"x:0": _X[:n], "s:0": _S[:n], "t:0": _T[:n]}
                runs.append((feeds, sess.run([loss, *grads], feeds)))
    tg = tf1.Graph()
    with tg.as_default():
        _, tf_loss, tf_grads, _ = _mlp(tf1)
        with tf1.Session(graph=tg) as sess:
            for feeds, ours in runs:
                theirs = sess.run([tf_loss, *tf_grads], feeds)
                for a, e in zip(ours, theirs):
                    np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Gradients TF cannot build


def _truncate_mod(tf):
    x = tf.constant(_randn(3))
    return tf.gradients(tf.truncatemod(x, 2.0), x)


def _digamma_half(tf):
    x = tf.constant(np.float16([0.5, 1.5]))
    return tf.gradients(tf.digamma(x), x)


def _mean_int64_axes_unknown_dims(tf):
    x = tf.placeholder(tf.float32, [None, 3, None])
    return tf.gradients(tf.reduce_mean(x, tf.constant([0, 2], tf.int64)), x)


@pytest.mark.parametrize(
    "build, error",
    [
        (_truncate_mod, LookupError),
        (_digamma_half, TypeError),
        # TF raises TypeError; torchmeta's op_def_library raises ValueError for a list input of the wrong dtype.
        (_mean_int64_axes_unknown_dims, (TypeError, ValueError)),
    ],
    ids=["TruncateMod-not-registered", "Digamma-f16-no-Polygamma-kernel", "Mean-int64-axes-DynamicStitch"],
)
def test_unbuildable_gradient_fails_like_tf(tf1, build, error):
    for api in (tf1, tm):
        with api.Graph().as_default(), pytest.raises(error):
            build(api)


@pytest.mark.parametrize("op", ["SqrtGrad", "RsqrtGrad", "ReciprocalGrad", "InvGrad", "TanhGrad", "SigmoidGrad"])
def test_gradient_op_element_count_mismatch_fails_at_run_time_like_tf(tf1, op):
    messages = []
    for api in (tf1, tm):
        with api.Graph().as_default():
            y = api.placeholder(api.float32, [2])
            dy = api.placeholder(api.float32, [3])
            z = getattr(api.raw_ops, op)(y=y, dy=dy)
            assert z.shape.as_list() == [2]
            with api.Session() as sess, pytest.raises(api.errors.InvalidArgumentError) as info:
                sess.run(z, {y: _randn(2), dy: _randn(3)})
            messages.append(info.value.message)
    for message in messages:
        assert "The two arguments to a cwise op must have same number of elements, got 2 and 3" in message
