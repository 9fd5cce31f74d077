"""Random functions: TF 2.21's graphs and seed attrs node for node, TF's numbers for the same program
(graph seed, op seeds, successive runs), TF's seeding semantics across runs and sessions, a seeded
MLP with dropout that trains to TF's losses, and random_crop."""

from __future__ import annotations

import math

import numpy as np
import pytest

import torchmeta as tm
from torchmeta.api import random_ops


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


def test_random_uniform_default_range_skips_arithmetic():
    """TF 2.21 builds no min/max for the default [0, 1) range, and only a multiply for [0, maxval)."""
    tm.random_uniform([2, 3])
    tm.random_uniform([2], maxval=4.0)
    assert [(n.name, n.op, list(n.input)) for n in tm.get_default_graph().as_graph_def().node] == [
        ("random_uniform/shape", "Const", []),
        ("random_uniform/RandomUniform", "RandomUniform", ["random_uniform/shape"]),
        ("random_uniform_1/shape", "Const", []),
        ("random_uniform_1/min", "Const", []),
        ("random_uniform_1/max", "Const", []),
        ("random_uniform_1/RandomUniform", "RandomUniform", ["random_uniform_1/shape"]),
        ("random_uniform_1/Mul", "Mul", ["random_uniform_1/RandomUniform", "random_uniform_1/max"]),
    ]


def test_random_uniform_errors():
    with pytest.raises(ValueError, match="Must specify maxval for integer dtype"):
        tm.random_uniform([2], dtype=tm.int32)
    with pytest.raises(ValueError, match="Invalid dtype"):
        tm.random_uniform([2], dtype=tm.bool)


# ---------------------------------------------------------------------------------------------
# Seeds


def _seeds(op):
    return op.get_attr("seed"), op.get_attr("seed2")


def test_get_seed_follows_tf():
    assert random_ops.get_seed(None) == (None, None)
    assert random_ops.get_seed(7) == (87654321, 7)
    assert random_ops.get_seed(2**31 + 5) == (87654321, 6)  # truncated to 32 bits
    tm.set_random_seed(3)
    assert random_ops.get_seed(9) == (3, 9)
    tm.constant(1.0)
    assert random_ops.get_seed(None) == (3, 0)  # a per-graph counter of ops seeded from the graph
    assert random_ops.get_seed(None) == (3, 1)
    assert random_ops.get_seed(4) == (3, 4)  # explicit op seeds do not move the counter
    assert random_ops.get_seed(None) == (3, 2)
    tm.set_random_seed(0)
    assert random_ops.get_seed(0) == (0, 2**31 - 1)  # (0, 0) would mean "unseeded" to the kernels
    with tm.Graph().as_default():
        tm.set_random_seed(3)
        assert random_ops.get_seed(None) == (3, 0)  # each graph counts for itself


def test_op_seeds_in_graph():
    tm.set_random_seed(42)
    a = tm.random_normal([2])
    b = tm.truncated_normal([2], seed=11)
    c = tm.random_uniform([2])
    assert _seeds(a.op.inputs[0].op.inputs[0].op) == (42, 0)
    assert _seeds(b.op.inputs[0].op.inputs[0].op) == (42, 11)
    assert _seeds(c.op) == (42, 1)


SEEDED_PROGRAMS = {
    "graph-seed": (
        1234,
        lambda tf: [
            tf.random_normal([3, 4]),
            tf.truncated_normal([2, 5], stddev=0.1),
            tf.random_uniform([6], -1.0, 1.0),
            tf.random_uniform([4], maxval=10, dtype=tf.int64),
            tf.random_shuffle(tf.constant(np.arange(10))),
            tf.multinomial(np.zeros((2, 5), np.float32), 3),
            tf.random.categorical(np.zeros((1, 4), np.float32), 5, dtype=tf.int32),
        ],
    ),
    "op-seeds": (None, lambda tf: [tf.random_normal([5], seed=3), tf.random_uniform([2, 2], seed=3, dtype=tf.float64)]),
    "mixed": (7, lambda tf: [tf.random_normal([5], seed=3), tf.random_uniform([3]), tf.truncated_normal([3], seed=0)]),
    "gamma-poisson": (
        11,
        lambda tf: [
            tf.random_gamma([5], [0.5, 2.0, 7.0]),
            tf.random_gamma([3, 2], 0.3, beta=[[1.0], [4.0]], seed=2),
            tf.random.gamma([4], [1.0, 1e-3], dtype=tf.float64),
            tf.random_poisson([2.0, 15.0], [6]),
            tf.random.poisson(3.5, [4], dtype=tf.int32, seed=8),
        ],
    ),
    "stateless": (
        None,
        lambda tf: [
            tf.random.stateless_uniform([3, 2], seed=[1, 2]),
            tf.random.stateless_uniform([4], seed=np.array([5, 6], np.int32), minval=-3, maxval=90, dtype=tf.int64),
            tf.random.stateless_uniform([4], seed=[7, 8], dtype=tf.uint32, minval=None),
            tf.random.stateless_normal([5], seed=[1, 2], mean=1.0, stddev=3.0),
            tf.random.stateless_truncated_normal([5], seed=[3, 4], dtype=tf.float16),
            tf.random.stateless_categorical(np.zeros((2, 6), np.float32), 4, seed=[1, 1]),
            tf.random.stateless_multinomial(np.zeros((1, 3), np.float32), 2, seed=[9, 1], output_dtype=tf.int32),
        ],
    ),
    "half-types": (
        5,
        lambda tf: [
            tf.random_uniform([9], dtype=tf.float16),
            tf.random_normal([9], dtype=tf.bfloat16),
            tf.truncated_normal([9], dtype=tf.float16),
        ],
    ),
}


@pytest.mark.parametrize("case", list(SEEDED_PROGRAMS))
def test_seeded_program_matches_tf(tf1, case):
    """The same program builds TF's NodeDefs (seed attrs included) and draws TF's numbers, run after run."""
    graph_seed, build = SEEDED_PROGRAMS[case]
    results = {}
    for fw in (tf1, tm):
        g = fw.Graph()
        with g.as_default():
            if graph_seed is not None:
                fw.set_random_seed(graph_seed)
            out = build(fw)
            with fw.Session(graph=g) as sess:
                results[fw] = (_node_defs(g), [sess.run(out) for _ in range(2)])
    assert results[tm][0] == results[tf1][0]
    for ours, theirs in zip(results[tm][1], results[tf1][1]):
        for o, t in zip(ours, theirs):
            assert o.dtype == t.dtype
            np.testing.assert_array_equal(o, t)


def _node_defs(graph):
    return [
        (n.name, n.op, list(n.input), {k: v.SerializeToString() for k, v in n.attr.items()})
        for n in graph.as_graph_def().node
    ]


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


# ---------------------------------------------------------------------------------------------
# Training with TF's random numbers


def _train_mlp(tf, steps=20):
    data = np.random.default_rng(5)
    features = data.standard_normal((64, 20)).astype(np.float32)
    labels = data.integers(0, 5, 64)
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(2024)
        x = tf.placeholder(tf.float32, [None, 20])
        y = tf.placeholder(tf.int64, [None])
        w1 = tf.Variable(tf.truncated_normal([20, 32], stddev=0.3))
        b1 = tf.Variable(tf.random_uniform([32], -0.1, 0.1))
        hidden = tf.nn.dropout(tf.nn.relu(tf.matmul(x, w1) + b1), rate=0.3)
        w2 = tf.Variable(tf.random_normal([32, 5], stddev=0.3))
        b2 = tf.Variable(tf.zeros([5]))
        logits = tf.nn.dropout(tf.matmul(hidden, w2) + b2, keep_prob=0.9)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            initial = sess.run([w1, b1, w2])
            losses = [sess.run([train, loss], {x: features, y: labels})[1] for _ in range(steps)]
    return initial, np.array(losses)


def test_seeded_mlp_with_dropout_trains_like_tf(tf1):
    """Same program, same graph seed: the same initial weights (bit for bit), the same dropout masks
    step after step, so the 20 losses agree to float rounding (matmul summation orders differ)."""
    their_init, their_losses = _train_mlp(tf1)
    our_init, our_losses = _train_mlp(tm)
    for o, t in zip(our_init, their_init):
        np.testing.assert_array_equal(o, t)
    np.testing.assert_allclose(our_losses, their_losses, rtol=2e-5)
    assert their_losses[-1] < their_losses[0]


def test_tfs_own_mlp_graph_with_dropout_trains_here_to_tfs_losses(tf1, tmp_path):
    """The graph TF built (seed attrs, dropout, GradientDescent), exported as a MetaGraph and imported here:
    the same initial weights and dropout masks, so 20 steps give TF's losses."""
    data = np.random.default_rng(5)
    features = data.standard_normal((64, 20)).astype(np.float32)
    labels = data.integers(0, 5, 64)
    g = tf1.Graph()
    with g.as_default():
        tf1.set_random_seed(7)
        x = tf1.placeholder(tf1.float32, [None, 20], name="x")
        y = tf1.placeholder(tf1.int64, [None], name="y")
        w1 = tf1.Variable(tf1.truncated_normal([20, 32], stddev=0.3), name="w1")
        hidden = tf1.nn.dropout(tf1.nn.relu(tf1.matmul(x, w1)), rate=0.4)
        w2 = tf1.Variable(tf1.random_uniform([32, 5], -0.3, 0.3), name="w2")
        logits = tf1.matmul(hidden, w2)
        loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits), name="loss")
        tf1.train.GradientDescentOptimizer(0.5).minimize(loss, name="train")
        init = tf1.global_variables_initializer()
        tf1.train.export_meta_graph(str(tmp_path / "mlp.meta"))
        with tf1.Session(graph=g) as sess:
            sess.run(init)
            their_w1 = sess.run(w1)
            theirs = [sess.run(["train", "loss:0"], {x: features, y: labels})[1] for _ in range(20)]
    with tm.Graph().as_default() as mg:
        tm.train.import_meta_graph(str(tmp_path / "mlp.meta"))
        with tm.Session(graph=mg) as sess:
            sess.run(tm.global_variables_initializer())
            np.testing.assert_array_equal(sess.run("w1:0"), their_w1)
            ours = [sess.run(["train", "loss:0"], {"x:0": features, "y:0": labels})[1] for _ in range(20)]
    np.testing.assert_allclose(ours, theirs, rtol=2e-5)


def test_to_module_draws_the_session_numbers():
    """A module keeps each random op's stream: its forward calls draw what successive Session.run calls draw."""
    import torch

    g = tm.Graph()
    with g.as_default():
        x = tm.placeholder(tm.float32, [2, 3], name="x")
        outs = [tm.nn.dropout(x, rate=0.5, seed=1), tm.random_normal([2], seed=2)]
    module = tm.to_module(g, [x], outs)
    forwards = [module(torch.ones(2, 3)) for _ in range(2)]
    with g.as_default(), tm.Session() as sess:
        runs = [sess.run(outs, {x: np.ones((2, 3), np.float32)}) for _ in range(2)]
    for forward, run in zip(forwards, runs):
        for f, r in zip(forward, run):
            np.testing.assert_array_equal(f.detach().numpy(), r)


# ---------------------------------------------------------------------------------------------
# random_crop (python/ops/random_crop_ops.py)

CROP_CASES = {
    "image-op-seed": (
        None,
        lambda tf: tf.random_crop(tf.constant(np.arange(5 * 7 * 3).reshape(5, 7, 3)), [3, 4, 3], seed=4),
    ),
    "graph-seed-named": (
        11,
        lambda tf: tf.image.random_crop(
            tf.constant(np.arange(60, dtype=np.float32).reshape(6, 10)), [2, 5], name="crop"
        ),
    ),
    "full-size-and-batch": (
        3,
        lambda tf: [
            tf.random_crop(tf.constant(np.arange(24).reshape(2, 3, 4)), tf.constant([2, 3, 4])),
            tf.random_crop(tf.constant(np.arange(2 * 8 * 8).reshape(2, 8, 8, 1).astype(np.uint8)), [2, 3, 3, 1]),
        ],
    ),
}


@pytest.mark.parametrize("case", list(CROP_CASES))
def test_random_crop_is_tfs(tf1, case):
    """TF's graph node for node (Assert, control_dependency, RandomUniformInt % limit, Slice) and TF's crops,
    run after run."""
    graph_seed, build = CROP_CASES[case]
    results = {}
    for fw in (tf1, tm):
        g = fw.Graph()
        with g.as_default():
            if graph_seed is not None:
                fw.set_random_seed(graph_seed)
            out = build(fw)
            with fw.Session(graph=g) as sess:
                results[fw] = (_node_defs(g), [sess.run(out) for _ in range(4)])
    assert results[tm][0] == results[tf1][0]
    for ours, theirs in zip(results[tm][1], results[tf1][1]):
        for o, t in zip(ours if isinstance(ours, list) else [ours], theirs if isinstance(theirs, list) else [theirs]):
            assert o.shape == t.shape and o.dtype == t.dtype
            np.testing.assert_array_equal(o, t)


def test_random_crop_larger_than_value_fails_as_tf(tf1):
    import tensorflow

    messages = []
    for fw, error in ((tf1, tensorflow.errors.InvalidArgumentError), (tm, tm.errors.InvalidArgumentError)):
        with fw.Graph().as_default():
            value = fw.placeholder(fw.float32, [None, 4])
            crop = fw.random_crop(value, [3, 2], seed=1)
            with fw.Session() as sess, pytest.raises(error) as caught:
                sess.run(crop, {value: np.zeros((2, 4), np.float32)})
            messages.append([line for line in caught.value.message.split("\n") if "Need value.shape" in line])
    assert messages[0] == ["assertion failed: [Need value.shape >= size, got ] [2 4] [3 2]"]
    assert messages[1] == messages[0]
