"""tf.assert_* (torchmeta/api/check_ops.py) and tf.confusion_matrix against TensorFlow: graphs node for
node, values, and the failures (at build time for constants, at run time otherwise) with TF's errors."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api import tf_programs as P

pytest.importorskip("tensorflow")

LABELS = np.array([0, 2, 1, 1, 3, 0], np.int64)
PREDICTIONS = np.array([0, 1, 1, 2, 3, 3], np.int32)
WEIGHTS = np.array([1.0, 0.5, 2.0, 1.0, 0.25, 3.0], np.float32)


def _asserts(tf):
    x = tf.placeholder(tf.float32, [None], name="x")
    y = tf.placeholder(tf.float32, [None], name="y")
    i = tf.placeholder(tf.int32, [None], name="i")
    checks = [
        tf.assert_less(x, y),
        tf.assert_less_equal(x, 10.0, message="x too big", summarize=2),
        tf.assert_greater(y, 0.0, name="positive"),
        tf.assert_greater_equal(i, 0, data=["i negative:", i]),
        tf.assert_non_negative(x, message="x is negative"),
        tf.assert_less(i, 3),
    ]
    with tf.control_dependencies(checks):
        out = tf.identity(x, name="checked")
    return {"checked": out}


def _confusion(tf):
    labels = tf.placeholder(tf.int64, [None], name="labels")
    predictions = tf.placeholder(tf.int32, [None], name="predictions")
    weights = tf.placeholder(tf.float32, [None], name="weights")
    return {
        "counts": tf.confusion_matrix(labels, predictions),
        "fixed": tf.confusion_matrix(labels, predictions, num_classes=5, name="fixed"),
        "weighted": tf.math.confusion_matrix(labels, predictions, 4, weights=weights, dtype=tf.float32),
    }


@pytest.mark.parametrize("program", [_asserts, _confusion], ids=["asserts", "confusion_matrix"])
def test_graph_is_tfs(tf1, program):
    P.assert_same_graph(tf1, program)


def test_confusion_matrix_values_are_tfs(tf1, tmp_path):
    feeds = {"labels:0": LABELS, "predictions:0": PREDICTIONS, "weights:0": WEIGHTS}
    expected, actual = P.run_tf_then_ours(tf1, _confusion, tmp_path, feeds)
    P.assert_results_close(expected, actual)


def _failure(api, program, feeds):
    g, fetches = P.build(api, program)
    with g.as_default(), api.Session() as sess:
        try:
            sess.run(fetches, {g.get_tensor_by_name(k): v for k, v in feeds.items()})
        except Exception as e:  # the error classes of both frameworks are compared
            failed = [line.strip() for line in str(e).splitlines() if "assertion failed" in line]
            return type(e).__name__, failed[:1]
    return None


@pytest.mark.parametrize(
    ("program", "feeds"),
    [
        (_asserts, {"x:0": [1.0, 2.0], "y:0": [2.0, 3.0], "i:0": [0, 2]}),
        (_asserts, {"x:0": [1.0, 20.0], "y:0": [2.0, 30.0], "i:0": [0, 2]}),
        (_asserts, {"x:0": [-1.0, 2.0], "y:0": [2.0, 3.0], "i:0": [0, 2]}),
        (_asserts, {"x:0": [1.0, 2.0], "y:0": [2.0, 3.0], "i:0": [0, 3]}),
        (_confusion, {"labels:0": [0, 4, 1], "predictions:0": [0, 1, 1], "weights:0": [1.0, 1.0, 1.0]}),
        (_confusion, {"labels:0": [0, -1, 1], "predictions:0": [0, 1, 1], "weights:0": [1.0, 1.0, 1.0]}),
    ],
    ids=["holds", "less_equal", "non_negative", "int_less", "out_of_bound", "negative"],
)
def test_run_time_failures_are_tfs(tf1, program, feeds):
    # Each failing case breaks exactly one check (two failing Asserts would race for the message).
    ours, theirs = _failure(tm, program, feeds), _failure(tf1, program, feeds)
    assert ours == theirs
    assert (ours is None) == (feeds.get("x:0") == [1.0, 2.0] and feeds.get("i:0") == [0, 2])


def _build_errors(tf, builds):
    """Each builder's error when it builds in a fresh graph, as (type name, message), or None."""
    out = []
    for build in builds:
        with tf.Graph().as_default():
            try:
                build()
                out.append(None)
            except Exception as e:
                out.append((type(e).__name__, str(e)))
    return out


def test_static_failures_raise_while_building_as_tf(tf1):
    def errors(tf):
        return _build_errors(
            tf,
            (
                lambda: tf.assert_less(tf.constant([1, 5]), tf.constant([2, 3]), message="static"),
                lambda: tf.assert_non_negative(tf.constant([-1.0, 2.0])),
                lambda: tf.assert_greater_equal(tf.constant(2), 1),
            ),
        )

    ours = errors(tm)
    assert ours == errors(tf1)
    assert ours[0] is not None and ours[2] is None


def _equal_and_rank(tf):
    x = tf.placeholder(tf.float32, [None], name="x")
    u = tf.placeholder(tf.float32, None, name="u")
    r = tf.placeholder(tf.int32, None, name="r")
    checks = [
        tf.assert_equal(x, 2.0, message="not two"),
        tf.assert_equal(x, x),
        tf.assert_rank(x, 1),
        tf.assert_rank(u, 2, message="u rank"),
        tf.assert_rank(u, r),
        tf.assert_rank_at_least(u, 1),
        tf.assert_rank_at_least(x, 1, name="at_least"),
        tf.assert_type(x, tf.float32),
    ]
    with tf.control_dependencies(checks):
        out = tf.identity(x, name="checked")
    return {"checked": out}


def test_equal_and_rank_graphs_are_tfs(tf1):
    P.assert_same_graph(tf1, _equal_and_rank)


@pytest.mark.parametrize(
    "feeds",
    [
        {"x:0": [2.0, 2.0], "u:0": [[1.0]], "r:0": 2},
        {"x:0": [2.0, 3.0], "u:0": [[1.0]], "r:0": 2},
        {"x:0": [2.0], "u:0": [1.0], "r:0": 1},
        {"x:0": [2.0], "u:0": [[1.0]], "r:0": 1},
    ],
    ids=["holds", "equal", "rank", "rank_tensor"],
)
def test_equal_and_rank_run_time_failures_are_tfs(tf1, feeds):
    ours, theirs = _failure(tm, _equal_and_rank, feeds), _failure(tf1, _equal_and_rank, feeds)
    assert ours == theirs


def test_static_rank_and_type_errors_are_tfs(tf1):
    def errors(tf):
        return _build_errors(
            tf,
            (
                lambda: tf.assert_rank(tf.constant([1, 2]), 2, message="vector"),
                lambda: tf.assert_rank_at_least(tf.constant(1.0), 1),
                lambda: tf.assert_rank(tf.constant([1]), [1]),
                lambda: tf.assert_type(tf.constant([1]), tf.float32, message="ints"),
                lambda: tf.assert_equal(tf.constant([1, 2]), tf.constant([1, 3])),
            ),
        )

    ours = errors(tm)
    assert ours == errors(tf1)
    assert all(e is not None for e in ours)


def _more_asserts(tf):
    x = tf.placeholder(tf.float32, [None], name="x")
    y = tf.placeholder(tf.float32, [None], name="y")
    u = tf.placeholder(tf.float32, None, name="u")
    z = tf.placeholder(tf.float32, [None], name="z")
    i = tf.placeholder(tf.int32, [None], name="i")
    checks = [
        tf.assert_negative(x - 30.0),
        tf.assert_non_positive(x - 10.0, message="too big"),
        tf.assert_none_equal(x, y),
        tf.assert_near(x, z + 1.0, rtol=0.01, atol=0.001, summarize=3),
        tf.debugging.assert_near(tf.cast(i, tf.float64), tf.cast(i, tf.float64), name="near_defaults"),
        tf.assert_rank_in(u, (1, 3)),
        tf.assert_rank_in(x, [1, 2], name="static_rank_in"),
        tf.assert_integer(i),
    ]
    with tf.control_dependencies(checks):
        out = tf.identity(tf.assert_scalar(tf.constant(2.0), name="scalar") * x, name="checked")
    finite = tf.verify_tensor_all_finite(y, "y is not finite")
    return {
        "checked": out,
        "finite": tf.debugging.assert_all_finite(finite, "again", name="all_finite"),
        "non_decreasing": tf.math.is_non_decreasing(i),
        "strictly_increasing": tf.debugging.is_strictly_increasing(i),
        "x_increasing": tf.math.is_strictly_increasing(x),
        "nan": tf.debugging.is_nan(x),
    }


def test_more_assert_graphs_are_tfs(tf1):
    P.assert_same_graph(tf1, _more_asserts)


def test_more_assert_values_are_tfs(tf1, tmp_path):
    feeds = {"x:0": [1.0, 2.0], "y:0": [0.0, 1.5], "z:0": [0.0, 1.0005], "u:0": [[[1.0]]], "i:0": [1, 1, 4]}
    expected, actual = P.run_tf_then_ours(tf1, _more_asserts, tmp_path, feeds)
    P.assert_results_close(expected, actual)
    assert actual["non_decreasing"] and not actual["strictly_increasing"] and actual["x_increasing"]


@pytest.mark.parametrize(
    "feeds",
    [
        {"x:0": [1.0, 12.0], "y:0": [0.0, 11.0], "z:0": [0.0, 11.0], "u:0": [1.0], "i:0": [1]},
        {"x:0": [1.0, 2.0], "y:0": [0.0, 2.0], "z:0": [0.0, 1.0], "u:0": [1.0], "i:0": [1]},
        {"x:0": [1.0, 2.0], "y:0": [0.0, 1.5], "z:0": [0.0, 1.5], "u:0": [1.0], "i:0": [1]},
        {"x:0": [1.0, 2.0], "y:0": [0.0, 1.0], "z:0": [0.0, 1.0], "u:0": [[1.0]], "i:0": [1]},
        {"x:0": [1.0, 2.0], "y:0": [0.0, float("inf")], "z:0": [0.0, 1.0], "u:0": [1.0], "i:0": [1]},
    ],
    ids=["non_positive", "none_equal", "near", "rank_in", "finite"],
)
def test_more_assert_run_time_failures_are_tfs(tf1, feeds):
    def failure(api):
        g, fetches = P.build(api, _more_asserts)
        with g.as_default(), api.Session() as sess:
            try:
                sess.run(fetches, {g.get_tensor_by_name(k): v for k, v in feeds.items()})
            except Exception as e:  # the error classes of both frameworks are compared
                lines = [line.strip() for line in str(e).splitlines()]
                failed = [line for line in lines if "assertion failed" in line or "y is not finite" in line]
                return type(e).__name__, failed[:1]
        return None

    ours, theirs = failure(tm), failure(tf1)
    assert ours == theirs
    assert ours is not None


def test_more_static_errors_are_tfs(tf1):
    def errors(tf):
        return _build_errors(
            tf,
            (
                lambda: tf.assert_negative(tf.constant([-1.0, 2.0]), message="static"),
                lambda: tf.assert_none_equal(tf.constant([1, 2]), tf.constant([3, 2])),
                lambda: tf.assert_rank_in(tf.constant([[1]]), (0, 1), message="matrix"),
                lambda: tf.assert_rank_in(tf.constant([1]), ([1],)),
                lambda: tf.assert_integer(tf.constant([1.0]), message="floats"),
                lambda: tf.assert_scalar(tf.constant([1.0]), message="vector"),
                lambda: tf.assert_scalar(tf.placeholder(tf.float32, None, name="p")),
                lambda: tf.assert_proper_iterable(3),
                lambda: tf.assert_proper_iterable("text"),
                lambda: tf.assert_same_float_dtype([tf.constant(1.0), tf.constant(1.0, tf.float64)]),
                lambda: tf.assert_same_float_dtype([tf.constant(1)]),
                lambda: tf.assert_same_float_dtype(None, tf.int32),
                lambda: tf.is_non_decreasing(tf.constant(["a"])),
            ),
        )

    ours = errors(tm)
    assert ours == errors(tf1)
    assert all(e is not None for e in ours)


def test_static_checks_that_hold_return_tfs_values(tf1):
    def values(tf):
        with tf.Graph().as_default():
            return [
                tf.assert_same_float_dtype([tf.constant(1.0, tf.float64), None]),
                tf.assert_same_float_dtype(),
                tf.assert_same_float_dtype(dtype=tf.float16),
                tf.assert_proper_iterable([1, 2]),
                tf.is_numeric_tensor(tf.constant([1])),
                tf.is_numeric_tensor(tf.constant([True])),
                tf.is_numeric_tensor(3),
                tf.assert_integer(tf.constant([1])).type,
            ]

    ours, theirs = values(tm), values(tf1)
    assert [str(v) for v in ours] == [str(v) for v in theirs]


def test_debugging_module_has_tfs_names_for_the_checks(tf1):
    """tf.debugging holds TF's compat.v1 names except the ones its docstring lists as not covered."""
    missing = {
        "enable_check_numerics",
        "disable_check_numerics",
        "enable_traceback_filtering",
        "disable_traceback_filtering",
        "is_traceback_filtering_enabled",
        "set_log_device_placement",
        "get_log_device_placement",
        "experimental",
    }
    theirs = {n for n in dir(tf1.debugging) if not n.startswith("_")}
    ours = {n for n in dir(tm.debugging) if not n.startswith("_") and n != "annotations"}
    assert theirs - missing <= ours
    assert missing <= theirs
    assert not hasattr(tm, "assert_shapes") and not hasattr(tf1, "assert_shapes")  # tf.debugging only


def _shapes(tf):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    y = tf.placeholder(tf.float32, [None, None, 3], name="y")
    u = tf.placeholder(tf.float32, None, name="u")
    z = tf.placeholder(tf.float32, [None], name="z")
    w = tf.placeholder(tf.float32, [None], name="w")
    s = tf.placeholder(tf.float32, [], name="s")
    checks = [
        tf.debugging.assert_shapes([(x, ("N", 3)), (y, ("B", "N", 3)), (s, [])]),
        tf.debugging.assert_shapes({u: ("*", "M", "."), z: ("M",), x: (..., 3)}, message="u", name="dict"),
        tf.debugging.assert_shapes([(w, (2,)), (x, None)], summarize=2),
    ]
    with tf.control_dependencies(checks):
        out = tf.identity(x, name="checked")
    return {"checked": out}


def test_assert_shapes_graph_is_tfs(tf1):
    P.assert_same_graph(tf1, _shapes)


_SHAPES_HOLD = {"x:0": (2, 3), "y:0": (4, 2, 3), "u:0": (5, 6, 7), "z:0": (6,), "w:0": (2,), "s:0": ()}


@pytest.mark.parametrize(
    "changed",
    [{}, {"y:0": (4, 5, 3)}, {"z:0": (7,)}, {"w:0": (3,)}, {"u:0": (6,)}],
    ids=["holds", "size_by_name", "size_by_other_tensor", "size_explicit", "rank"],
)
def test_assert_shapes_run_time_failures_are_tfs(tf1, changed):
    # each failing case breaks exactly one check (two failing Asserts would race for the message)
    feeds = {k: np.zeros(v, np.float32) for k, v in {**_SHAPES_HOLD, **changed}.items()}

    def failure(api):
        g, fetches = P.build(api, _shapes)
        with g.as_default(), api.Session() as sess:
            try:
                sess.run(fetches, {g.get_tensor_by_name(k): v for k, v in feeds.items()})
            except Exception as e:  # the error classes of both frameworks are compared
                lines = [line.strip() for line in str(e).splitlines() if "assertion failed" in line]
                return type(e).__name__, lines[:1]
        return None

    ours, theirs = failure(tm), failure(tf1)
    assert ours == theirs
    assert (ours is None) == (not changed)


def test_assert_shapes_static_errors_are_tfs(tf1):
    def errors(tf):
        a, b = tf.zeros([2, 3]), tf.zeros([4, 3])
        return _build_errors(
            tf,
            (
                lambda: tf.debugging.assert_shapes([(tf.zeros([2, 3]), ("N", 4))], message="explicit"),
                lambda: tf.debugging.assert_shapes([(tf.zeros([2, 3]), ("N", 3)), (tf.zeros([4]), ("N",))]),
                lambda: tf.debugging.assert_shapes([(tf.zeros([2, 3]), (2, 3, 1))]),
                lambda: tf.debugging.assert_shapes([(tf.zeros([2, 3]), (2, ..., 3))]),
                lambda: tf.debugging.assert_shapes([(tf.zeros([2, 3]), 5)]),
                lambda: tf.debugging.assert_shapes([(tf.zeros([2, 3]), (..., 3)), (tf.zeros([3]), ("*", 3))]),
            ),
        ), (a, b)

    ours = errors(tm)[0]
    assert ours == errors(tf1)[0]
    assert all(e is not None for e in ours[:5]) and ours[5] is None
