"""Array-family gradients beyond the per-sample comparison of test_gradients.py.

* graphs differentiated here import into TensorFlow and run there to the same numbers (the emitted
  ops are standard TF ops), and TF's own tf.gradients of the imported forward graph agrees;
* IndexedSlices gradients (Gather, GatherV2 axis 0, GatherNd of rows) flow through other ops'
  gradients and through aggregation like TF's (same kinds, same dense values);
* gradients TF refuses (PreventGradient, ops TF registers no gradient for, unsupported index types)
  fail here the same way;
* the gradient ops (StridedSliceGrad, MirrorPadGrad, BroadcastGradientArgs) fail at run time with
  TF's messages.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm

_rng = np.random.default_rng(7)


def _randn(*shape, dtype=np.float32):
    return _rng.standard_normal(shape).astype(dtype)


X = _randn(5, 6)
Y = _randn(4, 3)
Z = _randn(2, 3, 4).astype(np.float64)


def _raw(tf):
    if tf is tm:
        return tm.raw_ops
    import tensorflow

    return tensorflow.raw_ops


def _kind(g, tf):
    if g is None:
        return "None"
    return "IndexedSlices" if isinstance(g, tf.IndexedSlices) else "Tensor"


def _differentiate(tf, build, seed=3):
    """Builds ``build(tf, ph) -> (ys, xs)``, differentiates with fixed random cotangents, runs it.

    Returns (gradient kinds, dense gradient values).
    """
    g = tf.Graph()
    with g.as_default():
        feeds = {}

        def ph(value, shape=None):
            value = np.asarray(value)
            t = tf.placeholder(tf.as_dtype(value.dtype), value.shape if shape is None else shape)
            feeds[t] = value
            return t

        ys, xs = build(tf, ph)
        with tf.Session(graph=g) as sess:
            forward = sess.run(ys, feeds)
        rng = np.random.default_rng(seed)
        grad_ys = [tf.constant(rng.standard_normal(np.shape(v)).astype(v.dtype)) for v in forward]
        grads = tf.gradients(ys, xs, grad_ys=grad_ys)
        kinds = [_kind(gr, tf) for gr in grads]
        dense = [tf.convert_to_tensor(gr) for gr in grads if gr is not None]
        with tf.Session(graph=g) as sess:
            values = sess.run(dense, feeds)
    return kinds, values


def _assert_same_gradients(tf1, build):
    kinds_tf, values_tf = _differentiate(tf1, build)
    kinds, values = _differentiate(tm, build)
    assert kinds == kinds_tf
    for a, e in zip(values, values_tf):
        assert a.shape == e.shape and a.dtype == e.dtype
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5)


# Each case: build(tf, ph) -> (ys, xs), built identically with tf.compat.v1 and torchmeta.


def _gather_twice(tf, ph):
    p = tf.constant(X)
    return [tf.gather(p, [0, 2]), tf.gather(p, [[4], [0]])], [p]


def _gather_and_dense(tf, ph):
    p = tf.constant(X)
    return [tf.gather(p, [1, 1]), tf.reshape(p, [-1])], [p]


def _gather_mixed_index_types(tf, ph):
    p = tf.constant(X)
    return [tf.gather(p, tf.constant([3], tf.int64)), tf.gather(p, tf.constant([0, 3]))], [p]


def _gather_unknown(tf, ph):
    p = ph(X, [None, 6])
    return [tf.gather(p, ph(np.array([2, 0], np.int32), [None]))], [p]


def _concat_then_gather(axis, b):
    def build(tf, ph):
        x, y = tf.constant(X), tf.constant(b)
        return [tf.gather(tf.concat([x, y], axis), [0, 4, 1, 4])], [x, y]

    return build


def _then_gather(op, indices):
    def build(tf, ph):
        p = tf.constant(Y)
        return [tf.gather(op(tf, p), indices)], [p]

    return build


def _stitch_then_gather(tf, ph):
    a, b = tf.constant(Y[:2]), tf.constant(Y[2:])
    return [tf.gather(tf.dynamic_stitch([[0, 2], [1, 3]], [a, b]), [3, 3, 0])], [a, b]


def _gather_axis1_and_batch_dims(tf, ph):
    p = ph(Z, [None, 3, None])
    return [tf.gather(p, [2, 0, 2], axis=1), tf.gather(p, [[1, 0], [2, 2]], axis=1, batch_dims=1)], [p]


def _gather_nd_rows_and_elements(tf, ph):
    p = tf.constant(Y)
    return [tf.gather_nd(p, [[1], [1]]), tf.gather_nd(p, [[0, 2], [1, 0]])], [p]


def _slices(tf, ph):
    p = ph(X, [None, 6])
    return [p[1:3], p[:, ::-2], p[-1], p[..., 2], p[:, None, 1:4], tf.slice(p, [0, 1], [-1, 2])], [p]


def _select_and_broadcast(tf, ph):
    a, b = ph(X, [None, None]), tf.constant(_randn(1, 6))
    return [tf.where_v2(X[:, :1] > 0, a, b), tf.broadcast_to(b, [2, 5, 6])], [a, b]


def _split_and_stack(tf, ph):
    p = ph(X, [None, 6])
    return [tf.concat(tf.split(p, [2, 4], axis=1)[::-1], 1), tf.stack(tf.unstack(p, axis=1), 0)], [p]


CASES = {
    "gather-twice-aggregates-slices": _gather_twice,
    "gather-and-dense-use": _gather_and_dense,
    "gather-int32-and-int64-indices": _gather_mixed_index_types,
    "gather-unknown-rows": _gather_unknown,
    "concat-rows-then-gather": _concat_then_gather(0, _randn(4, 6)),
    "concat-cols-then-gather": _concat_then_gather(1, _randn(5, 2)),
    "concat-neg-axis-then-gather": _concat_then_gather(-1, _randn(5, 2)),
    "tile-then-gather": _then_gather(lambda tf, p: tf.tile(p, [3, 2]), [0, 5, 11, 5]),
    "reshape-then-gather": _then_gather(lambda tf, p: tf.reshape(p, [6, 2]), [5, 0]),
    "identity-then-gather": _then_gather(lambda tf, p: tf.identity(p), [1, 3]),
    "expand-squeeze-then-gather": _then_gather(lambda tf, p: tf.squeeze(tf.expand_dims(p, 0), [0]), [2]),
    "stitch-then-gather": _stitch_then_gather,
    "gather-axis1-and-batch-dims": _gather_axis1_and_batch_dims,
    "gather_nd-rows-and-elements": _gather_nd_rows_and_elements,
    "slices-of-one-tensor": _slices,
    "select-and-broadcast": _select_and_broadcast,
    "split-and-stack": _split_and_stack,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradient_matches_tf(tf1, case):
    _assert_same_gradients(tf1, CASES[case])


def test_indexed_slices_gradients_stay_sparse():
    with tm.Graph().as_default():
        p = tm.constant(X)
        grads = tm.gradients([tm.gather(p, [0, 2]), tm.gather(p, [1])], [p])
    assert isinstance(grads[0], tm.IndexedSlices)
    assert grads[0].values.op.type == "ConcatV2" and grads[0].indices.op.type == "ConcatV2"


# ---------------------------------------------------------------------------------------------
# A graph differentiated here runs in TensorFlow.


def _forward(tf):
    """Many array ops on two inputs (one with an unknown dim); returns (x, y, outputs)."""
    x = tf.placeholder(tf.float32, [None, 6], name="x")
    y = tf.placeholder(tf.float32, [4, 3], name="y")
    r = _raw(tf)
    t = tf.transpose(tf.reshape(x, [-1, 3, 2]), [2, 0, 1])
    outs = [
        t,
        tf.concat([tf.tile(y, [1, 2]), x[1:, :]], 0),
        tf.pad(y, [[1, 0], [2, 1]]),
        tf.pad(y, [[1, 1], [2, 0]], mode="REFLECT"),
        tf.pad(y, [[0, 2], [1, 1]], constant_values=3.0),
        tf.gather(x, [0, 2, 2]),
        tf.gather(y, [2, 0], axis=1),
        tf.gather_nd(y, [[0, 1], [3, 2]]),
        r.ScatterNd(indices=tf.constant([[1], [3]]), updates=y[:2], shape=tf.constant([5, 3])),
        tf.broadcast_to(y[:1], [2, 4, 3]),
        tf.where_v2(tf.constant([True, False, True]), y, tf.constant(0.5)),
        tf.where(y > 0, y, tf.zeros_like(y)),
        tf.stack(tf.unstack(y, axis=1), axis=0),
        tf.concat(tf.split(x, 3, axis=1)[::-1], 1),
        tf.concat(tf.split(x, [1, 5], axis=1)[::-1], 1),
        tf.reverse(x, [0, 1]),
        tf.squeeze(tf.expand_dims(y, 1), [1]),
        x[::-2, 1:5:2],
        tf.slice(x, [1, 2], [-1, 3]),
        tf.dynamic_stitch([[1, 0], [2, 3]], [y[:2], y[2:]]),
        tf.fill([2, 2], y[0, 0]),
        tf.identity_n([x, y])[1],
        tf.check_numerics(y, "y"),
        tf.ensure_shape(x, [None, 6]),
        tf.sparse_to_dense([[0, 1], [2, 0]], [3, 3], y[0, :2], y[1, 1]),
        r.MirrorPadGrad(
            input=tf.pad(y, [[1, 1], [0, 2]], mode="SYMMETRIC"), paddings=[[1, 1], [0, 2]], mode="SYMMETRIC"
        ),
    ]
    return x, y, outs


def test_graph_differentiated_here_runs_in_tf(tf1):
    feeds_np = {"x": _randn(5, 6), "y": _randn(4, 3)}
    g = tm.Graph()
    with g.as_default():
        x, y, outs = _forward(tm)
        with tm.Session() as sess:
            forward = sess.run(outs, {x: feeds_np["x"], y: feeds_np["y"]})
        rng = np.random.default_rng(11)
        cotangents = [rng.standard_normal(v.shape).astype(v.dtype) for v in forward]
        grad_ys = [tm.constant(c, name=f"cotangent_{i}") for i, c in enumerate(cotangents)]
        grads = [tm.convert_to_tensor(gr) for gr in tm.gradients(outs, [x, y], grad_ys=grad_ys)]
        with tm.Session() as sess:
            ours = sess.run(grads, {x: feeds_np["x"], y: feeds_np["y"]})
        graph_def = g.as_graph_def()
        out_names = [o.name for o in outs]
        grad_names = [gr.name for gr in grads]
    types = {n.op for n in graph_def.node}
    assert {"StridedSliceGrad", "ConcatOffset", "UnsortedSegmentSum", "MirrorPad", "BroadcastGradientArgs"} <= types

    tg = tf1.Graph()
    with tg.as_default():
        from tensorflow.core.framework import graph_pb2

        tf1.import_graph_def(graph_pb2.GraphDef.FromString(graph_def.SerializeToString()), name="")
        with tf1.Session(graph=tg) as sess:
            feeds = {"x:0": feeds_np["x"], "y:0": feeds_np["y"]}
            theirs = sess.run(grad_names, feeds)
        # TF's own gradients of the imported forward graph agree too.
        tf_outs = [tg.get_tensor_by_name(n) for n in out_names]
        tf_grads = tf1.gradients(
            tf_outs,
            [tg.get_tensor_by_name("x:0"), tg.get_tensor_by_name("y:0")],
            grad_ys=[tf1.constant(c) for c in cotangents],
        )
        with tf1.Session(graph=tg) as sess:
            reference = sess.run([tf1.convert_to_tensor(gr) for gr in tf_grads], feeds)
    for a, b, c in zip(ours, theirs, reference):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# Gradients TensorFlow refuses fail here the same way.


def _gradient_error(tf, build):
    g = tf.Graph()
    with g.as_default():
        x = tf.constant(np.array([1.0, 2.0, 1.0], np.float32))
        y = build(tf, x)
        try:
            tf.gradients(y, x)
        except Exception as e:
            return type(e), str(e)
    return None, None


REFUSED = {
    "prevent_gradient": lambda tf, x: _raw(tf).PreventGradient(input=x, message="not here"),
    "snapshot": lambda tf, x: _raw(tf).Snapshot(input=x),
    "unique": lambda tf, x: tf.unique(x)[0],
    "setdiff1d": lambda tf, x: tf.setdiff1d(x, tf.constant([2.0]))[0],
    "bitcast": lambda tf, x: _raw(tf).Bitcast(input=x, type=tf.int32),
    "bitcast-float": lambda tf, x: _raw(tf).Bitcast(input=x, type=tf.float16),
    "where": lambda tf, x: tf.where(x),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_gradient_matches_tf(tf1, case):
    expected = _gradient_error(tf1, REFUSED[case])
    actual = _gradient_error(tm, REFUSED[case])
    assert expected[0] is not None
    assert actual == expected


BUILD_ERRORS = {
    # StridedSliceGrad takes no int16 indices.
    "strided_slice-int16": lambda tf, x: _raw(tf).StridedSlice(
        input=x, begin=tf.constant([1], tf.int16), end=tf.constant([3], tf.int16), strides=tf.constant([1], tf.int16)
    ),
    # GatherNd(grad, sparse_indices) needs [n, rank] indices.
    "sparse_to_dense-vector-indices": lambda tf, x: tf.sparse_to_dense([0, 2], [4], x[:2], x[2]),
    # ScatterNd cannot read an int16 shape.
    "gather_nd-int16": lambda tf, x: tf.gather_nd(tf.reshape(x, [1, 3]), tf.constant([[0, 1]], tf.int16)),
}


@pytest.mark.parametrize("case", sorted(BUILD_ERRORS))
def test_unbuildable_gradient_matches_tf(tf1, case):
    expected_type, _ = _gradient_error(tf1, BUILD_ERRORS[case])
    actual_type, message = _gradient_error(tm, BUILD_ERRORS[case])
    assert expected_type is not None
    assert actual_type is expected_type, message


# ---------------------------------------------------------------------------------------------
# Run-time errors of the gradient ops.


def _i32(*v):
    return np.array(v, np.int32)


RUNTIME_ERRORS = {
    "ssg-dy-shape": lambda r, p: r.StridedSliceGrad(
        shape=p(_i32(4)), begin=_i32(1), end=_i32(3), strides=_i32(1), dy=p(np.ones(3, np.float32))
    ),
    "ssg-shape-rank": lambda r, p: r.StridedSliceGrad(
        shape=p(_i32(4).reshape(1, 1)), begin=_i32(1), end=_i32(3), strides=_i32(1), dy=p(np.ones(2, np.float32))
    ),
    "ssg-begin-size": lambda r, p: r.StridedSliceGrad(
        shape=p(_i32(4)), begin=p(_i32(1, 1)), end=_i32(3), strides=_i32(1), dy=p(np.ones(2, np.float32))
    ),
    "ssg-negative-dim": lambda r, p: r.StridedSliceGrad(
        shape=p(_i32(-2)), begin=_i32(0), end=_i32(1), strides=_i32(1), dy=p(np.ones(0, np.float32))
    ),
    "ssg-zero-stride": lambda r, p: r.StridedSliceGrad(
        shape=p(_i32(2)), begin=_i32(0), end=_i32(1), strides=p(_i32(0)), dy=p(np.ones(1, np.float32))
    ),
    "ssg-shrink-bounds": lambda r, p: r.StridedSliceGrad(
        shape=p(_i32(2)), begin=_i32(5), end=_i32(6), strides=_i32(1), dy=p(np.float32(1)), shrink_axis_mask=1
    ),
    "mpg-reflect": lambda r, p: r.MirrorPadGrad(
        input=p(np.ones((3, 4), np.float32)), paddings=p(_i32(1, 1, 0, 1).reshape(2, 2)), mode="REFLECT"
    ),
    "mpg-symmetric": lambda r, p: r.MirrorPadGrad(
        input=p(np.ones((5, 4), np.float32)), paddings=p(_i32(3, 1, 0, 1).reshape(2, 2)), mode="SYMMETRIC"
    ),
    "mpg-negative": lambda r, p: r.MirrorPadGrad(
        input=p(np.ones((3, 4), np.float32)), paddings=p(_i32(-1, 1, 0, 1).reshape(2, 2)), mode="REFLECT"
    ),
    "mpg-total": lambda r, p: r.MirrorPadGrad(
        input=p(np.ones((3, 4), np.float32)), paddings=p(_i32(2, 2, 0, 1).reshape(2, 2)), mode="REFLECT"
    ),
    "mpg-rank": lambda r, p: r.MirrorPadGrad(
        input=p(np.ones((3, 4), np.float32)), paddings=p(_i32(1, 1).reshape(1, 2)), mode="REFLECT"
    ),
    "mpg-columns": lambda r, p: r.MirrorPadGrad(
        input=p(np.ones((3, 4), np.float32)), paddings=p(np.ones((2, 3), np.int32)), mode="REFLECT"
    ),
    "bga-incompatible": lambda r, p: r.BroadcastGradientArgs(s0=p(_i32(2, 3)), s1=p(_i32(4, 3))),
    "bga-matrix": lambda r, p: r.BroadcastGradientArgs(s0=p(_i32(2, 3).reshape(1, 2)), s1=p(_i32(4, 3))),
    "bga-scalar": lambda r, p: r.BroadcastGradientArgs(s0=p(np.int32(2)), s1=p(_i32(2))),
    "scatter_nd-no-index-dims": lambda r, p: r.ScatterNd(
        indices=p(np.zeros((2, 0), np.int32)), updates=p(np.ones((2, 2, 3), np.float32)), shape=p(_i32(2, 3))
    ),
    "scatter_nd-empty-output": lambda r, p: r.ScatterNd(
        indices=p(np.zeros((1, 1), np.int32)), updates=p(np.ones((1, 3), np.float32)), shape=p(_i32(0, 3))
    ),
    "scatter_nd-scalar-updates": lambda r, p: r.ScatterNd(
        indices=p(_i32(0)), updates=p(np.float32(1)), shape=p(_i32(3))
    ),
}


def _runtime_error(tf, build):
    g = tf.Graph()
    with g.as_default():
        feeds = {}

        def p(value):
            value = np.asarray(value)
            t = tf.placeholder(tf.as_dtype(value.dtype), None)
            feeds[t] = value
            return t

        out = build(_raw(tf), p)
        with tf.Session(graph=g) as sess:
            try:
                sess.run(out, feeds)
            except Exception as e:
                return type(e).__name__, getattr(e, "message", str(e))
    return None, None


@pytest.mark.parametrize("case", sorted(RUNTIME_ERRORS))
def test_gradient_op_runtime_error_matches_tf(tf1, case):
    expected_type, expected = _runtime_error(tf1, RUNTIME_ERRORS[case])
    actual_type, actual = _runtime_error(tm, RUNTIME_ERRORS[case])
    assert expected_type == "InvalidArgumentError"
    assert actual_type == "InvalidArgumentError"
    # TF's session error ends with the kernel's message (then the indented node line).
    kernel_message = [line for line in expected.split("\n") if line and not line.startswith(("\t", " "))][-1]
    assert kernel_message in actual
