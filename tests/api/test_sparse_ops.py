"""tf.sparse functions and embedding_lookup_sparse: TF's graphs node for node (gradients included), TF's values,
graphs that run in the other framework."""

from __future__ import annotations

import re

import numpy as np
import pytest

import torchmeta as tm

SP = tm.SparseTensorValue(
    indices=np.array([[0, 0], [0, 1], [1, 2], [2, 0]], np.int64),
    values=np.array([1.5, -2.0, 3.0, 0.5], np.float32),
    dense_shape=np.array([3, 4], np.int64),
)
UNSORTED = tm.SparseTensorValue(SP.indices[[2, 1, 3, 0]], SP.values[[2, 1, 3, 0]], SP.dense_shape)
IDS = tm.SparseTensorValue(
    indices=np.array([[0, 0], [0, 1], [1, 0], [3, 0], [3, 1], [3, 2]], np.int64),
    values=np.array([1, 7, 1, 9, 0, 7], np.int64),
    dense_shape=np.array([4, 3], np.int64),
)
HOLES = tm.SparseTensorValue(SP.indices[[3, 0, 2]] * [2, 1], SP.values[:3], np.array([5, 4], np.int64))
WEIGHTS = tm.SparseTensorValue(IDS.indices, np.array([1.0, 2.0, 0.5, 1.0, 1.0, 3.0], np.float32), IDS.dense_shape)


def _nodes(graph):
    # TF 2.21 marks a Variable's Assign with _has_manual_control_dependencies (an eager-mode bookkeeping attr).
    return [
        (
            n.name,
            n.op,
            list(n.input),
            {
                k: v.SerializeToString(deterministic=True)
                for k, v in n.attr.items()
                if k != "_has_manual_control_dependencies"
            },
        )
        for n in graph.as_graph_def().node
    ]


def _build(tf):
    sp = tf.sparse_placeholder(tf.float32, name="sp")
    ids = tf.sparse_placeholder(tf.int64, name="ids")
    w = tf.sparse_placeholder(tf.float32, name="w")
    fixed = tf.sparse_placeholder(tf.float32, shape=[3, 4], name="fixed")
    params = tf.Variable(np.arange(40, dtype=np.float32).reshape(10, 4) / 10.0, name="emb")
    outs = [
        tf.sparse_tensor_to_dense(sp, name="todense"),
        tf.sparse.to_dense(tf.sparse_reorder(sp, name="reorder"), default_value=-1.0),
        tf.sparse_concat(1, [sp, sp], name="concat"),
        tf.sparse.concat(0, [fixed, fixed]),
        tf.sparse.to_dense(tf.sparse.reorder(fixed)),
        tf.sparse_reorder(fixed),
        tf.sparse_reduce_sum(sp, axis=1),
        tf.sparse.reduce_sum(sp),
        tf.sparse.reduce_sum(fixed, keepdims=True),
        tf.sparse_reshape(sp, [4, -1], name="reshape"),
        tf.sparse.reshape(sp, tf.constant([2, 2, 3], tf.int32)),
        tf.sparse.reshape(fixed, [6, -1]),  # static shapes: the new shape is a constant
        tf.sparse.reshape(fixed, [3, 4]),  # the same shape
    ]
    holes = tf.sparse_placeholder(tf.float32, shape=[5, 4], name="holes")
    filled, empty = tf.sparse.fill_empty_rows(holes, 0.0)
    filled_unsorted, empty_unsorted = tf.sparse_fill_empty_rows(fixed, -1.0, name="fill")
    outs += [filled, empty, filled_unsorted, empty_unsorted]
    outs += [tf.sparse.slice(holes, [1, 0], [3, 2]), tf.sparse_slice(sp, [0, 1], [2, 9], name="cut")]
    outs += [
        tf.sparse.from_dense(tf.constant([[0.0, 1.5], [0.0, 0.0], [-2.0, 0.0]])),
        tf.sparse.from_dense(tf.constant([b"", b"a", b"b"]), name="strs"),
        tf.sparse.expand_dims(holes, 1),
        tf.sparse.expand_dims(fixed, -1, name="exp"),
        tf.sparse.expand_dims(fixed, tf.constant(0)),
        tf.sparse.transpose(fixed),
        tf.sparse_transpose(sp, [1, 0]),
        tf.sparse.transpose(holes, [1, 0], name="tr"),
    ]
    outs += tf.gradients(tf.reduce_sum(filled.values * filled.values), [holes.values])
    outs += tf.gradients(tf.reduce_sum(tf.sparse.slice(sp, [1, 1], [2, 3]).values * 3.0), [sp.values])
    lookups = [
        tf.nn.embedding_lookup_sparse(params, ids, None, combiner="mean", name="els"),
        tf.nn.embedding_lookup_sparse(params, ids, None, combiner="sum"),
        tf.nn.embedding_lookup_sparse(params, ids, None, combiner="sqrtn"),
        tf.nn.embedding_lookup_sparse(params, ids, w, combiner="sqrtn", name="elsw"),
        tf.nn.embedding_lookup_sparse(params, ids, w, combiner="mean"),
        tf.nn.embedding_lookup_sparse(params, ids, w, combiner="sum"),
    ]
    grads = tf.gradients([tf.reduce_sum(x * x) for x in lookups], [params])
    feeds = {sp: SP, ids: IDS, w: WEIGHTS, fixed: UNSORTED, holes: HOLES}
    flat = []
    for o in [*outs, *lookups]:
        flat += [o.indices, o.values, o.dense_shape] if isinstance(o, tf.SparseTensor) else [o]
    return flat, grads, feeds


def test_graphs_and_values_match_tf(tf1):
    results = []
    graphs = []
    for framework in (tf1, tm):
        g = framework.Graph()
        with g.as_default():
            flat, grads, feeds = _build(framework)
            with framework.Session() as sess:
                sess.run(framework.global_variables_initializer())
                values = sess.run(flat, feeds)
                grad = sess.run(grads, feeds)[0]
                if hasattr(grad, "indices"):  # IndexedSlicesValue -> dense
                    dense = np.zeros(grad.dense_shape, np.float32)
                    np.add.at(dense, grad.indices, grad.values)
                    grad = dense
                results.append((values, grad))
        graphs.append(g)
    assert _nodes(graphs[1]) == _nodes(graphs[0])
    (expected, expected_grad), (actual, actual_grad) = results
    for e, a in zip(expected, actual):
        assert np.asarray(a).dtype == np.asarray(e).dtype and np.shape(a) == np.shape(e)
        if np.asarray(e).dtype == object:
            np.testing.assert_array_equal(a, e)
        else:
            np.testing.assert_allclose(a, e, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(actual_grad, expected_grad, rtol=1e-5)


def test_static_shapes():
    with tm.Graph().as_default():
        fixed = tm.sparse_placeholder(tm.float32, shape=[3, None], name="fixed")
        assert fixed.shape.as_list() == [3, None]
        assert fixed.indices.shape.as_list() == [None, 2]
        full = tm.sparse_placeholder(tm.float32, shape=[3, 4])
        assert tm.sparse.concat(1, [full, full]).shape.as_list() == [3, 8]
        unknown = tm.sparse_placeholder(tm.float32)
        assert unknown.shape.rank is None


def test_our_graph_trains_in_tf(tf1):
    """embedding_lookup_sparse + GradientDescent built here: TF imports the MetaGraph and takes the same steps."""
    import tensorflow as tf

    def train(framework, steps):
        ids = framework.sparse_placeholder(framework.int64, name="ids")
        params = framework.Variable(np.ones((10, 4), np.float32), name="emb")
        loss = framework.reduce_sum(framework.nn.embedding_lookup_sparse(params, ids, None) ** 2)
        step = framework.train.GradientDescentOptimizer(0.1).minimize(loss)
        return ids, params, step

    g = tm.Graph()
    with g.as_default():
        ids, params, step = train(tm, 3)
        meta = tm.train.export_meta_graph()
        with tm.Session() as sess:
            sess.run(tm.global_variables_initializer())
            for _ in range(3):
                sess.run(step, {ids: IDS})
            ours = sess.run(params)
    tg = tf.Graph()
    with tg.as_default():
        tf1.train.import_meta_graph(meta.SerializeToString() and _to_tf_meta(meta))
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            feed = {"ids/indices:0": IDS.indices, "ids/values:0": IDS.values, "ids/shape:0": IDS.dense_shape}
            for _ in range(3):
                sess.run(step.name, feed)
            theirs = sess.run(params.name)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def _to_tf_meta(meta):
    from tensorflow.core.protobuf import meta_graph_pb2

    return meta_graph_pb2.MetaGraphDef.FromString(meta.SerializeToString())


def _sparse_cond(tf):
    sp = tf.sparse_placeholder(tf.float32, name="sp")
    pred = tf.placeholder(tf.bool, [], name="pred")
    out = tf.cond(pred, lambda: tf.sparse.reshape(sp, tf.concat((sp.dense_shape, (1,)), 0)), lambda: sp)
    return [out.indices, out.values, out.dense_shape, tf.sparse.to_dense(out, validate_indices=False)], sp, pred


@pytest.mark.parametrize("branch", [True, False])
def test_cond_returning_a_sparse_tensor_matches_tf(tf1, branch):
    """tf.cond of SparseTensors (what the *_at_k metrics build for sparse labels): a Switch/Merge per component."""
    import tensorflow as tf

    tf.compat.v1.disable_control_flow_v2()
    results, graphs = [], []
    for framework in (tf1, tm):
        g = framework.Graph()
        with g.as_default():
            fetches, sp, pred = _sparse_cond(framework)
            with framework.Session() as sess:
                results.append(sess.run(fetches, {sp: SP, pred: branch}))
        graphs.append(g)
    assert _nodes(graphs[1]) == _nodes(graphs[0])
    for e, a in zip(*results):
        assert np.asarray(a).dtype == np.asarray(e).dtype and np.shape(a) == np.shape(e)
        np.testing.assert_array_equal(a, e)


def test_sparse_reshape_static_errors_match_tf(tf1):
    for framework in (tf1, tm):
        with framework.Graph().as_default():
            fixed = framework.sparse_placeholder(framework.float32, shape=[3, 4])
            with pytest.raises(ValueError, match=r"Cannot reshape a tensor with 12 elements to shape \[5, None\]"):
                framework.sparse.reshape(fixed, [5, -1])
            with pytest.raises(ValueError, match=r"At most one dimension can be inferred \(-1\). Found: \[-1 -1\]"):
                framework.sparse.reshape(fixed, [-1, -1])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda tf, sp: tf.sparse.reshape(sp, [5, -1]).indices,
            "Input to reshape is a SparseTensor with 12 dense values, but the requested shape requires a multiple "
            "of 5. input_shape=[3,4] output_shape=[5,1]",
        ),
        (
            lambda tf, sp: tf.sparse.reshape(sp, [5, 2]).indices,
            "Input to reshape is a tensor with 12 dense values, but the requested shape has 10. input_shape=[3,4] "
            "output_shape=[5,2]",
        ),
        (
            lambda tf, sp: tf.sparse.reshape(sp, [-1, -1]).indices,
            "only one output dimension may be -1, not both 0 and 1",
        ),
        (
            lambda tf, sp: tf.sparse.reshape(sp, [0, -1]).indices,
            "reshape cannot infer the missing input size for an empty tensor unless all specified input sizes are "
            "non-zero",
        ),
        (
            lambda tf, sp: tf.sparse.reshape(sp, [-2, 6]).indices,
            "size 0 must be non-negative, not -2",
        ),
        (
            lambda tf, sp: tf.sparse.reduce_sum(sp, axis=3),
            "Invalid reduction dimension 3, for input with 2 dimensions.",
        ),
        (
            lambda tf, sp: tf.sparse_concat(0, [sp, tf.SparseTensor([[0, 0, 0]], [1.0], [1, 1, 1])]),
            "Ranks of all input tensors must match: expected 2 but got 3 at position 1",
        ),
        (
            lambda tf, sp: tf.sparse_concat(0, [sp, tf.SparseTensor([[0, 0]], [1.0], [1, 5])]),
            "Input shapes must match: expected 4 for dimension 1 but got 5 at position 1",
        ),
    ],
)
def test_bad_input_matches_tf(tf1, build, message):
    import tensorflow as tf

    from torchmeta import errors

    for framework, error in ((tf1, tf.errors.InvalidArgumentError), (tm, errors.InvalidArgumentError)):
        with framework.Graph().as_default():
            sp = framework.sparse_placeholder(framework.float32)
            out = build(framework, sp)
            with framework.Session() as sess, pytest.raises(error, match=re.escape(message)):
                sess.run(out, {sp: SP})


def _matmuls(tf):
    sp = tf.SparseTensor(SP.indices, SP.values, SP.dense_shape)
    dense = tf.constant(np.arange(8, dtype=np.float32).reshape(4, 2))
    left = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    out = {
        "plain": tf.sparse.sparse_dense_matmul(sp, dense),
        "adjoint_a": tf.sparse_tensor_dense_matmul(sp, tf.ones([3, 2]), adjoint_a=True),
        "dense_times_sparse": tf.sparse.matmul(left, sp),
        "dense_times_sparse_adjoint": tf.sparse.matmul(tf.ones([4, 3]), sp, adjoint_a=True, adjoint_b=True),
    }
    out["grad_values"], out["grad_b"] = tf.gradients(tf.reduce_sum(out["plain"] * out["plain"]), [sp.values, dense])
    return out


def test_sparse_tensor_dense_matmul_like_tensorflow(tf1):
    results = []
    for tf in (tf1, tm):
        with tf.Graph().as_default() as graph:
            out = _matmuls(tf)
            static = {k: v.shape.as_list() for k, v in out.items()}
            with tf.Session() as sess:
                results.append((_nodes(graph), static, sess.run(out)))
    assert results[1][0] == results[0][0]
    assert results[1][1] == results[0][1]
    for key in results[0][2]:
        np.testing.assert_allclose(results[1][2][key], results[0][2][key], rtol=1e-5, err_msg=key)


@pytest.mark.parametrize(
    "indices, shape, b_shape, adjoint_a",
    [
        ([[0, 0], [1, 5]], [3, 4], [4, 2], False),
        ([[0, 0], [7, 1]], [3, 4], [4, 2], False),
        ([[0, 0], [3, 1]], [3, 4], [3, 2], True),
        ([[0, 0]], [3, 4], [5, 2], False),
    ],
    ids=["k", "m", "adjoint-m", "inner"],
)
def test_sparse_tensor_dense_matmul_errors_like_tensorflow(tf1, indices, shape, b_shape, adjoint_a):
    from tests.train.helpers import outcome

    def run(tf):
        with tf.Graph().as_default():
            a_indices = tf.placeholder(tf.int64, [None, 2])
            a_shape = tf.placeholder(tf.int64, [2])
            b = tf.placeholder(tf.float32, [None, None])
            values = tf.ones([len(indices)])
            product = tf.sparse.sparse_dense_matmul(tf.SparseTensor(a_indices, values, a_shape), b, adjoint_a=adjoint_a)
            feed = {a_indices: np.array(indices, np.int64), a_shape: np.array(shape, np.int64), b: np.ones(b_shape)}
            with tf.Session() as sess:
                return outcome(sess.run, product, feed)

    expected = run(tf1)
    assert expected[0] == "InvalidArgumentError"
    assert run(tm) == expected


def _pure_python_builders(tf):
    sp = tf.SparseTensor(SP.indices, SP.values, SP.dense_shape)
    ids = tf.SparseTensor(IDS.indices, IDS.values, IDS.dense_shape)
    weights = tf.SparseTensor(WEIGHTS.indices, WEIGHTS.values, WEIGHTS.dense_shape)
    n = tf.placeholder_with_default(np.int32(3), [])
    slices = tf.IndexedSlices(tf.constant(np.arange(8, dtype=np.float32).reshape(4, 2)), tf.constant([0, 3, 5, 7]))
    masked = tf.sparse.mask(slices, tf.constant([3, 4]))
    out = {
        "eye": tf.sparse.eye(3, 4, dtype=tf.int32),
        "eye_tensor": tf.sparse.eye(n),
        "reset_tight": tf.sparse.reset_shape(sp),
        "reset_static": tf.sparse_reset_shape(sp, [5, 6]),
        "reset_fed": tf.sparse.reset_shape(sp, tf.placeholder_with_default(np.array([4, 4], np.int64), [None])),
        "merge": tf.sparse.merge(ids, weights, 10),
        "merge_two": tf.sparse_merge([ids, ids], weights, [10, 12], already_sorted=True),
        "indicator": tf.sparse_to_indicator(ids, 10),
    }
    fetch = {k: (v.indices, v.values, v.dense_shape) if isinstance(v, tf.SparseTensor) else v for k, v in out.items()}
    fetch["masked"] = (masked.values, masked.indices)
    return fetch


def test_pure_python_sparse_builders_like_tensorflow(tf1):
    results = []
    for tf in (tf1, tm):
        with tf.Graph().as_default() as graph:
            fetch = _pure_python_builders(tf)
            static = {
                k: [t.shape.as_list() if t.shape.rank is not None else None for t in v]
                if isinstance(v, tuple)
                else v.shape.as_list()
                for k, v in fetch.items()
            }
            with tf.Session() as sess:
                results.append((_nodes(graph), static, sess.run(fetch)))
    assert results[1][0] == results[0][0]
    assert results[1][1] == results[0][1]
    for key, expected in results[0][2].items():
        got = results[1][2][key]
        for g, e in zip(
            got if isinstance(got, tuple) else [got],
            expected if isinstance(expected, tuple) else [expected],
            strict=True,
        ):
            np.testing.assert_array_equal(g, e, err_msg=key)


def test_sparse_builders_errors_like_tensorflow(tf1):
    from tests.train.helpers import outcome

    def attempt(tf, build):
        with tf.Graph().as_default():
            sp = tf.SparseTensor(SP.indices, SP.values, SP.dense_shape)
            return outcome(build, tf, sp)

    cases = [
        lambda tf, sp: tf.sparse.reset_shape(sp, [2, 6]),
        lambda tf, sp: tf.sparse.reset_shape(sp, [2, 6, 1]),
        lambda tf, sp: tf.sparse.eye(2.5),
        lambda tf, sp: tf.sparse.merge(sp, sp, 2.5),
        lambda tf, sp: tf.sparse.merge([sp], sp, [3, 4]),
    ]
    for build in cases:
        expected = attempt(tf1, build)
        assert expected[0] != "ok"
        assert attempt(tm, build) == expected


def test_sparse_reductions_like_tensorflow(tf1):
    results = []
    for tf in (tf1, tm):
        with tf.Graph().as_default() as graph:
            sp = tf.SparseTensor(SP.indices, SP.values, SP.dense_shape)
            max_sparse = tf.sparse.reduce_max_sparse(sp, 1, keepdims=True)
            sum_sparse = tf.sparse_reduce_sum_sparse(sp, reduction_axes=[0])
            fetch = {
                "max": tf.sparse.reduce_max(sp),
                "max_rows": tf.sparse_reduce_max(sp, axis=1),
                "max_sparse": (max_sparse.indices, max_sparse.values, max_sparse.dense_shape),
                "sum_sparse": (sum_sparse.indices, sum_sparse.values, sum_sparse.dense_shape),
            }
            static = [fetch["max"].shape.as_list(), fetch["max_rows"].shape.as_list()]
            with tf.Session() as sess:
                results.append((_nodes(graph), static, sess.run(fetch)))
    assert results[1][0] == results[0][0]
    assert results[1][1] == results[0][1]
    for key, expected in results[0][2].items():
        got = results[1][2][key]
        for g, e in zip(
            got if isinstance(got, tuple) else [got],
            expected if isinstance(expected, tuple) else [expected],
            strict=True,
        ):
            np.testing.assert_array_equal(g, e, err_msg=key)


def test_sparse_softmax_maximum_minimum_like_tensorflow(tf1):
    other = tm.SparseTensorValue(
        np.array([[0, 1], [1, 0], [2, 0], [2, 3]], np.int64),
        np.array([-1.0, 4.0, 0.25, -3.0], np.float32),
        SP.dense_shape,
    )
    results = []
    for tf in (tf1, tm):
        with tf.Graph().as_default() as graph:
            sp = tf.SparseTensor(SP.indices, SP.values, SP.dense_shape)
            sp_other = tf.SparseTensor(other.indices, other.values, other.dense_shape)
            soft = tf.sparse.softmax(sp)
            hi, lo = tf.sparse.maximum(sp, sp_other), tf.sparse_minimum(sp, sp_other)
            fetch = {
                "softmax": soft.values,
                "softmax_alias": tf.sparse_softmax(sp, name="again").values,
                "maximum": (hi.indices, hi.values, hi.dense_shape),
                "minimum": (lo.indices, lo.values),
                "grad": tf.gradients(tf.reduce_sum(soft.values * [1.0, 2.0, 3.0, 4.0]), sp.values)[0],
            }
            with tf.Session() as sess:
                results.append((_nodes(graph), sess.run(fetch)))
    assert results[1][0] == results[0][0]
    for key, expected in results[0][1].items():
        got = results[1][1][key]
        for g, e in zip(
            got if isinstance(got, tuple) else [got],
            expected if isinstance(expected, tuple) else [expected],
            strict=True,
        ):
            np.testing.assert_allclose(g, e, rtol=1e-6, err_msg=key)


@pytest.mark.parametrize("case", ["shape", "rank"])
def test_sparse_maximum_errors_like_tensorflow(tf1, case):
    from tests.train.helpers import outcome

    def run(tf):
        with tf.Graph().as_default():
            a = tf.SparseTensor(np.array([[0, 0]], np.int64), np.array([1.0], np.float32), np.array([2, 2], np.int64))
            shape = [2, 3] if case == "shape" else [2, 2, 1]
            b = tf.SparseTensor(
                np.zeros((1, len(shape)), np.int64), np.array([1.0], np.float32), np.array(shape, np.int64)
            )
            with tf.Session() as sess:
                return outcome(sess.run, tf.sparse.maximum(a, b).values)

    expected = run(tf1)
    assert expected[0] == "InvalidArgumentError"
    assert run(tm) == expected


def test_sparse_add_like_tensorflow(tf1):
    other = tm.SparseTensorValue(
        np.array([[0, 1], [1, 0], [2, 0], [2, 3]], np.int64),
        np.array([2.0, 4.0, -0.45, -3.0], np.float32),
        SP.dense_shape,
    )
    results = []
    for tf in (tf1, tm):
        with tf.Graph().as_default() as graph:
            sp = tf.SparseTensor(SP.indices, SP.values, SP.dense_shape)
            sp_other = tf.SparseTensor(other.indices, other.values, other.dense_shape)
            total = tf.sparse.add(sp, sp_other)
            dropped = tf.sparse_add(sp, sp_other, thresh=0.1)
            dense = tf.constant(np.arange(12, dtype=np.float32).reshape(3, 4))
            mixed = tf.sparse.add(dense, sp)
            grads = tf.gradients(
                tf.reduce_sum(total.values * total.values) + tf.reduce_sum(mixed * mixed),
                [sp.values, sp_other.values, dense],
            )
            fetch = {
                "total": (total.indices, total.values, total.dense_shape),
                "dropped": (dropped.indices, dropped.values),
                "mixed": mixed,
                "grads": tuple(grads),
            }
            static = [total.indices.shape.as_list(), mixed.shape.as_list()]
            with tf.Session() as sess:
                results.append((_nodes(graph), static, sess.run(fetch)))
    assert results[1][0] == results[0][0]
    assert results[1][1] == results[0][1]
    for key, expected in results[0][2].items():
        got = results[1][2][key]
        for g, e in zip(
            got if isinstance(got, tuple) else [got],
            expected if isinstance(expected, tuple) else [expected],
            strict=True,
        ):
            np.testing.assert_allclose(g, e, rtol=1e-6, err_msg=key)


def test_sparse_add_errors_like_tensorflow(tf1):
    from tests.train.helpers import outcome

    def run(tf, shape):
        with tf.Graph().as_default():
            if shape is None:
                return outcome(tf.sparse.add, tf.ones([2]), tf.ones([2]))[:1]
            a = tf.SparseTensor(np.array([[0, 0]], np.int64), np.array([1.0], np.float32), np.array([2, 2], np.int64))
            b = tf.SparseTensor(
                np.zeros((1, len(shape)), np.int64),
                np.array([1.0], np.float32),
                tf.placeholder_with_default(np.array(shape, np.int64), [None]),
            )
            with tf.Session() as sess:
                return outcome(sess.run, tf.sparse.add(a, b).values)

    for shape in (None, [2, 3], [2, 2, 1]):
        expected = run(tf1, shape)
        assert expected[0] in ("InvalidArgumentError", "TypeError")
        assert run(tm, shape) == expected


def test_sparse_split_like_tensorflow(tf1):
    from tests.train.helpers import outcome

    results = []
    for tf in (tf1, tm):
        with tf.Graph().as_default() as graph:
            sp = tf.SparseTensor(SP.indices, SP.values, SP.dense_shape)
            parts = tf.sparse.split(sp_input=sp, num_split=3, axis=1) + tf.sparse_split(
                sp_input=sp, num_split=2, axis=0
            )
            errors = [
                outcome(tf.sparse.split, sp, 2, 1)[:1],
                outcome(tf.sparse.split, sp_input=sp, num_split=2)[1],
                outcome(tf.sparse.split, sp_input=sp, num_split=2, axis=1, split_dim=1)[1],
            ]
            static = [[t.shape.as_list() for t in (p.indices, p.values, p.dense_shape)] for p in parts]
            with tf.Session() as sess:
                values = sess.run([(p.indices, p.values, p.dense_shape) for p in parts])
            results.append((_nodes(graph), static, errors, values))
    assert results[1][:3] == results[0][:3]
    for got, expected in zip(results[1][3], results[0][3], strict=True):
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_array_equal(g, e)
