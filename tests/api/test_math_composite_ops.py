"""The TF1 math functions TF builds in Python (linspace, unsorted segment mean / sqrt-n, polyval, lbeta,
histograms) and the thin generated ones (unravel_index, bitcast, complex, parallel_stack, the inverse
hyperbolic functions, erfinv, ndtri, the no-NaN divisions), and ``tf.sort`` / ``tf.argsort``: the same
graph as TF node for node, its values, dtypes and static shapes, and TF's errors."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm


def _p(tf, dtype, shape, name="p"):
    return tf.placeholder(dtype, shape, name=name)


# Each case builds with (tf.compat.v1, tf.math) or (torchmeta, torchmeta.math).
CASES = {
    "linspace": lambda tf, m: tf.linspace(0.0, 1.0, 5),
    "lin_space-nd-axis": lambda tf, m: tf.lin_space([0.0, 1.0], [[2.0, 3.0], [4.0, 5.0]], 4, axis=-1),
    "linspace-one": lambda tf, m: tf.linspace(_p(tf, tf.float64, [3]), 2.0, 1),
    "sort": lambda tf, m: tf.sort(_p(tf, tf.float32, [2, 3])),
    "sort-desc-axis0": lambda tf, m: tf.sort(_p(tf, tf.float32, [2, 3]), axis=0, direction="DESCENDING"),
    "sort-int32": lambda tf, m: tf.sort(_p(tf, tf.int32, [2, 3]), axis=1),
    "sort-uint8": lambda tf, m: tf.sort(_p(tf, tf.uint8, [4]), axis=0),
    "argsort-axis0": lambda tf, m: tf.argsort(_p(tf, tf.float32, [2, 3]), axis=0),
    "argsort-stable": lambda tf, m: tf.argsort(_p(tf, tf.int32, [2, 3]), direction="ASCENDING", stable=True),
    "argsort-unknown-rank": lambda tf, m: tf.argsort(_p(tf, tf.float32, None), axis=0),
    "inverse-hyperbolic": lambda tf, m: [
        tf.acosh(_p(tf, tf.float32, [2]) + 2.0),
        tf.asinh(_p(tf, tf.float32, [2], "q")),
        tf.atanh(_p(tf, tf.float32, [2], "r")),
    ],
    "erfinv-ndtri-softsign": lambda tf, m: [
        m.erfinv(_p(tf, tf.float32, [2])),
        m.ndtri(_p(tf, tf.float32, [2], "q") * 0.5 + 0.5),
        m.softsign(_p(tf, tf.float32, [2], "r")),
    ],
    "no-nan": lambda tf, m: [
        m.divide_no_nan(_p(tf, tf.float32, [2]), 0.0),
        m.multiply_no_nan(_p(tf, tf.float32, [2], "q"), 0.0),
        m.reciprocal_no_nan(_p(tf, tf.float32, [2], "r")),
    ],
    "erfcinv": lambda tf, m: m.erfcinv(_p(tf, tf.float64, [2, 3]) + 1.0),
    "nextafter": lambda tf, m: m.nextafter(_p(tf, tf.float32, [2, 3]), 1.0),
    "lbeta": lambda tf, m: m.lbeta(_p(tf, tf.float32, [2, 3]) + 1.0),
    "polyval": lambda tf, m: [
        m.polyval([1.0, 2.0, 3.0], _p(tf, tf.float32, [2])),
        m.polyval([], _p(tf, tf.float32, [2], "q")),
    ],
    "unsorted_segment_mean": lambda tf, m: tf.unsorted_segment_mean(_p(tf, tf.float32, [4, 2]), [0, 1, 0, 2], 3),
    "unsorted_segment_sqrt_n": lambda tf, m: m.unsorted_segment_sqrt_n(
        _p(tf, tf.float32, [4, 2]), _p(tf, tf.int32, [4], "ids"), 3
    ),
    "unravel_index": lambda tf, m: tf.unravel_index([1, 5], [2, 3]),
    "histogram_fixed_width": lambda tf, m: tf.histogram_fixed_width(_p(tf, tf.float32, [6]), [-0.5, 0.5], nbins=4),
    "histogram_fixed_width_bins": lambda tf, m: tf.histogram_fixed_width_bins(
        _p(tf, tf.float32, [2, 3]), [-0.5, 0.5], nbins=4
    ),
    "bitcast": lambda tf, m: [
        tf.bitcast(_p(tf, tf.float32, [2]), tf.int32),
        tf.bitcast(_p(tf, tf.int32, [2], "q"), tf.uint8),
    ],
    "parallel_stack": lambda tf, m: tf.parallel_stack([_p(tf, tf.float32, [2]), _p(tf, tf.float32, [2], "q")]),
    "batch_gather": lambda tf, m: tf.batch_gather(_p(tf, tf.float32, [2, 3]), [[0], [2]]),
    "batch_gather-3d": lambda tf, m: tf.batch_gather(
        _p(tf, tf.float32, [2, 2, 3]), _p(tf, tf.int32, [2, 2, 2], "ids2")
    ),
    "complex": lambda tf, m: tf.complex(_p(tf, tf.float64, [2]), _p(tf, tf.float64, [2], "q")),
}


def _feed(t):
    if t.op.name == "ids":
        return np.array([0, 2, 0, 1], np.int32)
    if t.op.name == "ids2":
        return np.array([[[0, 2], [1, 1]], [[2, 0], [0, 1]]], np.int32)
    dtype = t.dtype.as_numpy_dtype
    if dtype == np.uint8:
        return np.array([3, 200, 7, 0], np.uint8)
    shape = [2, 3] if t.shape.rank is None else [3 if d is None else d for d in t.shape.as_list()]
    values = np.random.RandomState(len(t.op.name)).uniform(-0.9, 0.9, shape)
    return (values * 10 if np.issubdtype(dtype, np.integer) else values).astype(dtype)


def build_and_run(tf, math, build):
    """(nodes, values, [(dtype, static shape)]) of ``build(tf, math)`` run on fixed feeds."""
    g = tf.Graph()
    with g.as_default():
        out = build(tf, math)
        outs = out if isinstance(out, list) else [out]
        feeds = {op.outputs[0]: _feed(op.outputs[0]) for op in g.get_operations() if op.type == "Placeholder"}
        with tf.Session() as sess:
            values = sess.run(outs, feeds)
    nodes = [(n.name, n.op, list(n.input)) for n in g.as_graph_def().node]
    meta = [(o.dtype.name, None if o.shape.rank is None else o.shape.as_list()) for o in outs]
    return nodes, values, meta


def compare_with_tf(tf1, build):
    import tensorflow as tf

    expected = build_and_run(tf1, tf.math, build)
    actual = build_and_run(tm, tm.math, build)
    assert actual[0] == expected[0], "graph nodes"
    assert actual[2] == expected[2], "dtypes and static shapes"
    for a, e in zip(actual[1], expected[1]):
        a, e = np.asarray(a), np.asarray(e)
        assert (a.dtype, a.shape) == (e.dtype, e.shape)
        if e.dtype.kind in "fc":
            np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)
        else:
            np.testing.assert_array_equal(a, e)


@pytest.mark.parametrize("case", sorted(CASES))
def test_graph_and_values_match_tf(tf1, case):
    compare_with_tf(tf1, CASES[case])


ERRORS = {
    "sort-direction": (ValueError, lambda tf: tf.sort([1.0, 2.0], direction="UP")),
    "sort-axis-not-constant": (ValueError, lambda tf: tf.sort([1.0, 2.0], axis=tf.placeholder(tf.int32, []))),
    "polyval-tuple": (ValueError, lambda tf: tf.math.polyval((1.0, 2.0), 1.0)),
    "complex-mixed": (TypeError, lambda tf: tf.complex(tf.constant([1.0]), tf.constant([1.0], tf.float64))),
    "complex-int": (TypeError, lambda tf: tf.complex(tf.constant([1]), tf.constant([1]))),
    "linspace-float-num": (TypeError, lambda tf: tf.linspace(0.0, 1.0, 2.5)),
    "parallel_stack-shapes": (
        ValueError,
        lambda tf: tf.parallel_stack([tf.placeholder(tf.float32, [2]), tf.placeholder(tf.float32, [3])]),
    ),
    "parallel_stack-unknown": (
        ValueError,
        lambda tf: tf.parallel_stack([tf.placeholder(tf.float32, [2]), tf.placeholder(tf.float32, [None])]),
    ),
    "parallel_concat-first-dim": (
        ValueError,
        lambda tf: tf.raw_ops.ParallelConcat(values=[tf.placeholder(tf.float32, [2, 2])], shape=[2, 2]),
    ),
    "parallel_concat-scalar": (
        ValueError,
        lambda tf: tf.raw_ops.ParallelConcat(values=[tf.placeholder(tf.float32, [])], shape=[2, 2]),
    ),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_build_errors_match_tf(tf1, case):
    cls, build = ERRORS[case]
    messages = []
    for api in (tf1, tm):
        with api.Graph().as_default(), pytest.raises(cls) as info:
            build(api)
        messages.append(str(info.value))
    assert messages[1] == messages[0]
