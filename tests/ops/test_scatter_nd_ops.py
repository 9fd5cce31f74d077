"""N-d scatters beyond the sample tables: TF's run-time and shape-inference errors, the tf.* functions
(tf.scatter_nd, tf.tensor_scatter_nd_*, tf.scatter_nd_update/add/sub on ref and resource variables) built
node for node as TensorFlow builds them and run to TF's values."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api.tf_programs import assert_same_graph
from tests.ops.harness import Sample, assert_same_runtime_error, assert_same_shape_error, randn
from tests.ops.samples_scatter_nd import ERROR_SAMPLES

S = Sample
i32 = np.int32


@pytest.mark.parametrize("sample", ERROR_SAMPLES, ids=lambda s: s.name)
def test_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


_T = randn(4, 3)
SHAPE_ERRORS = [
    S(op, {"tensor": tensor, "indices": idx, "updates": upd}, id=tag)
    for op in ("TensorScatterUpdate", "TensorScatterMin")
    for tag, tensor, idx, upd in [
        ("inner", _T, np.array([[1], [2]], i32), randn(2, 2)),
        ("outer", _T, np.array([[1], [2]], i32), randn(3, 3)),
        ("rank", _T, np.array([[1], [2]], i32), randn(2, 3, 1)),
        ("scalar-indices", _T, i32(1), randn(3)),
        ("empty-input", randn(0, 3), np.array([[0]], i32), randn(1, 3)),
    ]
]
SHAPE_ERRORS += [
    S("TensorScatterAdd", {"tensor": np.float32(1), "indices": np.array([[0]], i32), "updates": randn(1)}, id="scalar"),
    S(
        "ScatterNdNonAliasingAdd",
        {"input": _T, "indices": np.array([[0, 1]], i32), "updates": randn(1, 3)},
        id="non-aliasing-inner",
    ),
]


@pytest.mark.parametrize("sample", SHAPE_ERRORS, ids=lambda s: s.name)
def test_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)


def _variable_shape_error(api, use_resource):
    g = api.Graph()
    with g.as_default():
        v = api.Variable(np.zeros((4, 3), np.float32), use_resource=use_resource)
        api.scatter_nd_add(v, [[1], [2]], np.ones((2, 2), np.float32))


@pytest.mark.parametrize("use_resource", [False, True])
def test_variable_scatter_shape_error_matches_tf(tf1, use_resource):
    with pytest.raises(ValueError) as theirs:
        _variable_shape_error(tf1, use_resource)
    with pytest.raises(ValueError) as ours:
        _variable_shape_error(tm, use_resource)
    assert str(ours.value).split(" for '")[0] == str(theirs.value).split(" for '")[0]


def _tensor_scatter_program(tf):
    t = tf.constant(np.arange(12, dtype=np.float32).reshape(4, 3))
    idx = tf.constant([[3], [1]])
    upd = tf.constant(np.ones((2, 3), np.float32))
    return {
        "update": tf.tensor_scatter_nd_update(t, idx, upd),
        "update_v1": tf.tensor_scatter_update(t, idx, upd, name="old_update"),
        "add": tf.tensor_scatter_nd_add(t, idx, upd),
        "sub": tf.tensor_scatter_sub(t, idx, upd),
        "min": tf.tensor_scatter_nd_min(t, idx, upd, name="mn"),
        "max": tf.tensor_scatter_nd_max(t, [[1], [9]], upd, bad_indices_policy="IGNORE"),
        "scatter_nd": tf.scatter_nd(idx, upd, [5, 3]),
        "gather_nd": tf.gather_nd(t, [[1], [7]], bad_indices_policy="IGNORE"),
    }


def _run(api, program):
    g = api.Graph()
    with g.as_default():
        fetches = program(api)
        with api.Session(graph=g) as sess:
            sess.run(api.global_variables_initializer())
            return sess.run(fetches)


def test_tensor_scatter_functions_build_tf_graph(tf1):
    assert_same_graph(tf1, _tensor_scatter_program)
    theirs, ours = _run(tf1, _tensor_scatter_program), _run(tm, _tensor_scatter_program)
    for key in theirs:
        np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)


@pytest.mark.parametrize("use_resource", [False, True])
def test_variable_scatter_functions_match_tf(tf1, use_resource):
    def program(tf):
        v = tf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3), use_resource=use_resource, name="v")
        return [
            v,
            tf.scatter_nd_update(v, [[0, 1], [3, 2]], [10.0, 20.0]),
            tf.scatter_nd_add(v, [[1]], np.ones((1, 3), np.float32)),
            tf.scatter_nd_sub(v, [[2], [2]], np.ones((2, 3), np.float32), use_locking=True),
        ]

    assert_same_graph(tf1, program)
    results = []
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            v, *ops = program(api)
            with api.Session(graph=g) as sess:
                sess.run(api.global_variables_initializer())
                results.append([sess.run(op) for op in ops] + [sess.run(v)])
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_array_equal(ours, theirs)


def test_named_ref_scatter_nd_is_tf_graph(tf1):
    """TF's tf.scatter_nd_add(ref, ..., name=...) passes the name into bad_indices_policy; the node's kernel
    then refuses it. The same graph and error here."""

    def program(tf):
        v = tf.Variable(np.zeros(3, np.float32), use_resource=False, name="v")
        return v, tf.scatter_nd_add(v, [[1]], [1.0], name="add")

    assert_same_graph(tf1, program)
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            v, op = program(api)
            with api.Session(graph=g) as sess:
                sess.run(api.global_variables_initializer())
                with pytest.raises(Exception, match="Unknown bad indices handling attribute: add"):
                    sess.run(op)


def test_variable_scatter_applies_the_good_indices_and_reports_the_last_bad_one(tf1):
    """TF's loop skips bad indices, applies the others to the variable and reports the last bad one."""

    def program(tf):
        v = tf.Variable(np.zeros((4,), np.float32), name="v")
        idx = tf.placeholder(tf.int32, [None, 1], name="idx")
        return v, tf.scatter_nd_add(v, idx, [1.0, 2.0, 3.0, 4.0]), idx

    values = []
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            v, op, idx = program(api)
            with api.Session(graph=g) as sess:
                sess.run(api.global_variables_initializer())
                with pytest.raises(Exception, match=r"indices\[3\] = \[7\] does not index into shape \[4\]"):
                    sess.run(op, {idx: [[1], [5], [2], [7]]})
                values.append(sess.run(v))
    np.testing.assert_array_equal(values[1], values[0])
