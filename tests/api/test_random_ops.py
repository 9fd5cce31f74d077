"""Random functions: TF's graphs and seeds (TF1's ``get_seed``), the distributions of the draws
(compared with TF's own draws where a statistic allows), and TF's seeding semantics across runs
and sessions."""

from __future__ import annotations

import math

import numpy as np
import pytest

import torchmeta as tm
from torchmeta.api import random_ops

N = 200_000


def _nodes(graph):
    return [(n.name, n.op, list(n.input)) for n in graph.as_graph_def().node]


def _run(tf, build, graph_seed=None):
    g = tf.Graph()
    with g.as_default():
        if graph_seed is not None:
            tf.set_random_seed(graph_seed)
        out = build(tf)
        with tf.Session(graph=g) as sess:
            return sess.run(out)


# ---------------------------------------------------------------------------------------------
# Graphs


GRAPH_CASES = {
    "truncated_normal": lambda tf: tf.truncated_normal([28, 128], stddev=1.0 / math.sqrt(28)),
    "random_normal": lambda tf: [tf.random_normal([3, 2], mean=1.0, stddev=2.0, seed=5), tf.random_normal([2])],
    "random_normal-f64-tensor-shape": lambda tf: tf.random_normal(
        tf.constant([4], tf.int64), dtype=tf.float64, name="noise"
    ),
    "random_uniform-range": lambda tf: tf.random_uniform([4, 4], -0.5, 0.5, seed=3),
    "random_uniform-default-range": lambda tf: tf.random_uniform([2, 3]),
    "random_uniform-maxval": lambda tf: tf.random_uniform([2, 3], maxval=4, seed=2),
    "random_uniform-float-bounds": lambda tf: tf.random_uniform([2], 0.0, 1.0),
    "random_uniform-int": lambda tf: tf.random_uniform([5], minval=2, maxval=9, dtype=tf.int32),
    "random_uniform-int64": lambda tf: tf.random_uniform([], maxval=10, dtype=tf.int64, name="die"),
    "random_shuffle": lambda tf: [tf.random_shuffle(tf.constant(np.arange(5))), tf.random_shuffle([1.0, 2.0], seed=1)],
    "multinomial": lambda tf: [
        tf.multinomial(np.zeros((2, 3), np.float32), 4),
        tf.multinomial(tf.constant(np.zeros((1, 3), np.float32)), 2, output_dtype=tf.int32, name="draw"),
    ],
}


@pytest.mark.parametrize("case", list(GRAPH_CASES))
def test_graph_matches_tf(tf1, case):
    tg = tf1.Graph()
    with tg.as_default():
        theirs = GRAPH_CASES[case](tf1)
    mg = tm.Graph()
    with mg.as_default():
        ours = GRAPH_CASES[case](tm)
    assert _nodes(mg) == _nodes(tg)
    theirs, ours = (o if isinstance(o, list) else [o] for o in (theirs, ours))
    assert [t.shape.as_list() for t in ours] == [t.shape.as_list() for t in theirs]
    assert [t.dtype.name for t in ours] == [t.dtype.name for t in theirs]


def test_random_uniform_errors():
    with pytest.raises(ValueError, match="Must specify maxval for integer dtype"):
        tm.random_uniform([2], dtype=tm.int32)
    with pytest.raises(ValueError, match="Invalid dtype"):
        tm.random_uniform([2], dtype=tm.bool)


# ---------------------------------------------------------------------------------------------
# Seeds


def _seeds(op):
    return op.get_attr("seed"), op.get_attr("seed2")


def test_get_seed_follows_tf1():
    assert random_ops.get_seed(None) == (None, None)
    assert random_ops.get_seed(7) == (87654321, 7)
    assert random_ops.get_seed(2**31 + 5) == (87654321, 6)  # truncated to 32 bits
    tm.set_random_seed(3)
    assert random_ops.get_seed(9) == (3, 9)
    tm.constant(1.0)
    tm.constant(2.0)
    assert random_ops.get_seed(None) == (3, 2)  # graph seed + the graph's _last_id
    tm.set_random_seed(0)
    assert random_ops.get_seed(0) == (0, 2**31 - 1)  # (0, 0) would mean "unseeded" to the kernels


def test_op_seeds_in_graph():
    tm.set_random_seed(42)
    a = tm.random_normal([2])  # shape, mean, stddev consts exist before get_seed: _last_id 3
    b = tm.truncated_normal([2], seed=11)
    c = tm.random_uniform([2], -1, 1)  # after a's and b's 6 ops each, and shape, min, max: _last_id 15
    d = tm.random_uniform([2])  # [0, 1): the RandomUniform alone, after c's 4 more ops and shape: _last_id 20
    assert _seeds(a.op.inputs[0].op.inputs[0].op) == (42, 3)
    assert _seeds(b.op.inputs[0].op.inputs[0].op) == (42, 11)
    assert _seeds(c.op.inputs[0].op.inputs[0].op) == (42, 15)
    assert _seeds(d.op) == (42, 20)


@pytest.mark.parametrize("graph_seed, op_seed", [(None, None), (None, 5), (9, 5)])
def test_seed_attrs_match_tf(tf1, graph_seed, op_seed):
    """Where TF1 and TF 2.x agree (an explicit op seed, or none at all) the attrs equal TF's."""

    def build(tf):
        g = tf.Graph()
        with g.as_default():
            if graph_seed is not None:
                tf.set_random_seed(graph_seed)
            out = tf.random_shuffle([1, 2, 3], seed=op_seed)
        return out.op.get_attr("seed"), out.op.get_attr("seed2")

    assert build(tm) == build(tf1)


# ---------------------------------------------------------------------------------------------
# Distributions


def _draw(build, graph_seed=None):
    return np.asarray(_run(tm, build, graph_seed))


def test_uniform_distribution():
    x = _draw(lambda tf: tf.random_uniform([N]))
    assert x.dtype == np.float32 and x.min() >= 0.0 and x.max() < 1.0
    assert abs(x.mean() - 0.5) < 0.01 and abs(x.std() - math.sqrt(1 / 12)) < 0.01
    y = _draw(lambda tf: tf.random_uniform([N], -3.0, 5.0, dtype=tf.float64))
    assert y.dtype == np.float64 and y.min() >= -3.0 and y.max() < 5.0
    assert abs(y.mean() - 1.0) < 0.05 and abs(y.std() - 8 / math.sqrt(12)) < 0.05


def test_uniform_int_distribution():
    x = _draw(lambda tf: tf.random_uniform([N], minval=-2, maxval=3, dtype=tf.int64))
    assert x.dtype == np.int64
    values, counts = np.unique(x, return_counts=True)
    assert values.tolist() == [-2, -1, 0, 1, 2]
    assert np.all(np.abs(counts / N - 0.2) < 0.01)


def test_normal_distribution():
    x = _draw(lambda tf: tf.random_normal([N], mean=2.0, stddev=3.0))
    assert abs(x.mean() - 2.0) < 0.05 and abs(x.std() - 3.0) < 0.05
    h = _draw(lambda tf: tf.random_normal([1000], dtype=tf.float16))
    assert h.dtype == np.float16 and abs(float(h.astype(np.float32).std()) - 1.0) < 0.1


# std of a standard normal truncated to [-2, 2]
_TRUNCATED_STD = math.sqrt(1 - 4 * math.exp(-2) / math.sqrt(2 * math.pi) / math.erf(math.sqrt(2)))


def test_truncated_normal_distribution(tf1):
    x = _draw(lambda tf: tf.truncated_normal([N], mean=1.0, stddev=0.5))
    assert x.min() >= 0.0 and x.max() <= 2.0  # two standard deviations around the mean
    assert abs(x.mean() - 1.0) < 0.01 and abs(x.std() - 0.5 * _TRUNCATED_STD) < 0.01
    theirs = np.asarray(_run(tf1, lambda tf: tf.truncated_normal([N], mean=1.0, stddev=0.5)))
    quantiles = np.linspace(0.01, 0.99, 25)
    np.testing.assert_allclose(np.quantile(x, quantiles), np.quantile(theirs, quantiles), atol=0.02)


def test_truncated_normal_dtypes():
    for dtype, np_dtype in ((tm.float64, np.float64), (tm.float16, np.float16), (tm.bfloat16, None)):
        x = _draw(lambda tf, dtype=dtype: tf.truncated_normal([5000], dtype=dtype))
        if np_dtype is not None:
            assert x.dtype == np_dtype
        x = x.astype(np.float64)
        assert np.abs(x).max() <= 2.0 and abs(x.std() - _TRUNCATED_STD) < 0.05


def test_shuffle_is_a_permutation():
    x = _draw(lambda tf: tf.random_shuffle(tf.constant(np.arange(1000).reshape(500, 2))))
    assert sorted(x[:, 0].tolist()) == list(range(0, 1000, 2))
    np.testing.assert_array_equal(x[:, 1], x[:, 0] + 1)  # rows move whole
    assert not np.array_equal(x[:, 0], np.arange(0, 1000, 2))


def test_multinomial_frequencies():
    logits = np.log(np.array([[0.1, 0.6, 0.3], [0.5, 0.0, 0.5]], np.float32) + 1e-30)
    x = _draw(lambda tf: tf.multinomial(logits, 20000))
    assert x.shape == (2, 20000) and x.dtype == np.int64
    for row, probs in zip(x, np.exp(logits)):
        np.testing.assert_allclose(np.bincount(row, minlength=3) / 20000, probs, atol=0.015)


def test_gamma_moments():
    alpha = np.array([0.5, 2.0, 9.0], np.float32)
    x = _draw(lambda tf: tf.raw_ops.RandomGamma(shape=[50000], alpha=alpha))
    assert x.shape == (50000, 3) and x.min() >= 0
    np.testing.assert_allclose(x.mean(0), alpha, rtol=0.03)
    np.testing.assert_allclose(x.var(0), alpha, rtol=0.06)


# ---------------------------------------------------------------------------------------------
# Seeding semantics


def _session_values(build, graph_seed=None, runs=1):
    """Builds once; returns [[run values] per session] for two sessions."""
    g = tm.Graph()
    with g.as_default():
        if graph_seed is not None:
            tm.set_random_seed(graph_seed)
        out = build(tm)
    result = []
    for _ in range(2):
        with tm.Session(graph=g) as sess:
            result.append([sess.run(out) for _ in range(runs)])
    return result


def test_graph_seed_repeats_across_sessions():
    (a,), (b,) = _session_values(lambda tf: [tf.random_normal([5]), tf.random_uniform([5])], graph_seed=1)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], a[1])


def test_op_seed_repeats_across_sessions_and_graphs():
    (a,), (b,) = _session_values(lambda tf: tf.truncated_normal([5], seed=4))
    np.testing.assert_array_equal(a, b)
    (c,), _ = _session_values(lambda tf: tf.truncated_normal([5], seed=4))
    np.testing.assert_array_equal(a, c)


def test_same_graph_rebuilt_with_graph_seed_repeats():
    (a,), _ = _session_values(lambda tf: [tf.constant(0.0), tf.random_uniform([4])], graph_seed=7)
    (b,), _ = _session_values(lambda tf: [tf.constant(0.0), tf.random_uniform([4])], graph_seed=7)
    np.testing.assert_array_equal(a[1], b[1])


def test_unseeded_ops_differ():
    (a,), (b,) = _session_values(lambda tf: [tf.random_normal([5]), tf.random_normal([5])])
    assert not np.array_equal(a[0], a[1])  # two ops
    assert not np.array_equal(a[0], b[0])  # two sessions


def test_successive_runs_give_new_numbers():
    (runs, runs_again) = _session_values(lambda tf: tf.random_uniform([5], seed=3), runs=3)
    assert not np.array_equal(runs[0], runs[1]) and not np.array_equal(runs[1], runs[2])
    for x, y in zip(runs, runs_again):  # the sequence repeats in a new session
        np.testing.assert_array_equal(x, y)


def test_seed_changes_numbers():
    (a,), _ = _session_values(lambda tf: tf.random_uniform([5], seed=1))
    (b,), _ = _session_values(lambda tf: tf.random_uniform([5], seed=2))
    assert not np.array_equal(a, b)


# ---------------------------------------------------------------------------------------------
# Runtime errors worded like TF's


def _error(tf, build, feed):
    g = tf.Graph()
    with g.as_default():
        ph = tf.placeholder(tf.int32, None)
        out = build(tf, ph)
        with tf.Session(graph=g) as sess:
            with pytest.raises(tf.errors.InvalidArgumentError) as info:
                sess.run(out, {ph: feed})
    lines = info.value.message.split("\n")
    marks = [i for i, line in enumerate(lines) if line.startswith("\t [[")]
    return lines[marks[0] - 1] if marks else lines[-1]


@pytest.mark.parametrize(
    "build, feed",
    [
        (lambda tf, ph: tf.random_uniform(ph), np.array([2, -3], np.int32)),
        (lambda tf, ph: tf.random_uniform([3], minval=ph, maxval=3, dtype=tf.int32), np.int32(5)),
        (lambda tf, ph: tf.multinomial(np.zeros((2, 0), np.float32), ph), np.int32(2)),
        (lambda tf, ph: tf.multinomial(np.zeros((2, 3), np.float32), ph), np.int32(-1)),
    ],
    ids=["negative-dim", "empty-range", "no-classes", "negative-samples"],
)
def test_runtime_errors_match_tf(tf1, build, feed):
    theirs = _error(tf1, build, feed)
    assert theirs in _error(tm, build, feed)
