"""tf.while_loop (v1): TensorFlow's Enter/Merge/Switch/Exit frames node for node, numbers and gradients both ways."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import torchmeta as tm
from tests.api.cf_helpers import assert_close, assert_same_graph, build, check_both_ways, exported, run

X = np.array([0.5, -2.0, 3.0], np.float32)
State = collections.namedtuple("State", ["h", "acc"])


def _counter(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    i, y = tf.while_loop(lambda i, a: i < 5, lambda i, a: (i + 1, a * 1.5), [0, x])
    return {"i": i, "y": y}


def _data_dependent_trip_count(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    limit = tf.placeholder(tf.float32, [], name="limit")
    y = tf.while_loop(lambda a: tf.reduce_sum(tf.abs(a)) < limit, lambda a: a * 2.0, [x])
    return {"y": y}


def _maximum_iterations(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    y = tf.while_loop(lambda a: tf.reduce_sum(a) < 1e9, lambda a: a + 1.0, [x], maximum_iterations=7)
    n = tf.placeholder(tf.int32, [], name="n")
    z = tf.while_loop(
        lambda a, b: True, lambda a, b: (a + b, b * 2), (tf.constant(0), tf.constant(1)), maximum_iterations=n
    )
    return {"y": y, "z": list(z)}


def _nested_structures(tf):
    x = tf.placeholder(tf.float32, [3], name="x")

    def body(i, s):
        return i + 1, State(h=tf.tanh(s.h + 1.0), acc={"sum": s.acc["sum"] + s.h, "n": s.acc["n"] + 1})

    i, s = tf.while_loop(
        lambda i, s: i < 4, body, (tf.constant(0), State(h=x, acc={"sum": tf.zeros([3]), "n": tf.constant(0)}))
    )
    return {"i": i, "h": s.h, "sum": s.acc["sum"], "n": s.acc["n"]}


def _shape_invariants(tf):
    x = tf.placeholder(tf.float32, [1, 2], name="x")
    i, y = tf.while_loop(
        lambda i, a: i < 3,
        lambda i, a: (i + 1, tf.concat([a, a], 0)),
        [0, x],
        shape_invariants=[tf.TensorShape([]), tf.TensorShape([None, 2])],
    )
    return {"y": y}


def _loops_in_conds_and_conds_in_loops(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    p = tf.placeholder(tf.bool, [], name="p")

    def inner_loop():
        return tf.while_loop(lambda j, a: j < 3, lambda j, a: (j + 1, a * x), [0, x])[1]

    def body(i, a):
        return i + 1, tf.cond(tf.reduce_sum(a) > 0.0, lambda: a - 1.0, lambda: a + 2.0)

    looped = tf.while_loop(lambda i, a: i < 4, body, [0, x])[1]
    nested = tf.while_loop(
        lambda i, a: i < 2,
        lambda i, a: (i + 1, tf.while_loop(lambda j, b: j < 2, lambda j, b: (j + 1, b + a), [0, a])[1]),
        [0, x],
    )[1]
    return {"cond_of_loop": tf.cond(p, inner_loop, lambda: x), "loop_of_cond": looped, "nested": nested}


def _swap_memory_parallel_iterations_back_prop(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    y = tf.while_loop(
        lambda a: tf.reduce_max(a) < 10.0, lambda a: a * 2.0, [x], parallel_iterations=1, swap_memory=True
    )
    z = tf.while_loop(lambda a: tf.reduce_max(a) < 10.0, lambda a: a * 3.0, [x], back_prop=False, name="nobp")
    return {"y": y, "z": z}


CASES = {
    "counter": (_counter, [{"x:0": X}]),
    "data-dependent-trip-count": (_data_dependent_trip_count, [{"x:0": X, "limit:0": np.float32(v)} for v in (1, 50)]),
    "maximum-iterations": (_maximum_iterations, [{"x:0": X, "n:0": np.int32(v)} for v in (0, 5)]),
    "nested-structures": (_nested_structures, [{"x:0": X}]),
    "shape-invariants": (_shape_invariants, [{"x:0": X[:2].reshape(1, 2)}]),
    "loops-in-conds-and-conds-in-loops": (
        _loops_in_conds_and_conds_in_loops,
        [{"x:0": X, "p:0": True}, {"x:0": -X, "p:0": False}],
    ),
    "swap-memory-parallel-iterations-back-prop": (_swap_memory_parallel_iterations_back_prop, [{"x:0": X + 4}]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_while_loop_graph_and_numbers_are_tfs_both_ways(tf1, tmp_path, case):
    fn, feed_list = CASES[case]
    for i, feeds in enumerate(feed_list):
        sub = tmp_path / str(i)
        sub.mkdir()
        check_both_ways(tf1, fn, feeds, sub)


def _gradients(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    w = tf.placeholder(tf.float32, [3], name="w")
    n = tf.placeholder(tf.int32, [], name="n")

    def body(i, a, b):
        return i + 1, tf.sin(a) * w + b, tf.cond(i > 1, lambda: b * 0.5, lambda: b + a)

    _, a, b = tf.while_loop(lambda i, a, b: i < n, body, [0, x, w])
    inner = tf.while_loop(
        lambda i, a: i < 2,
        lambda i, a: (i + 1, tf.while_loop(lambda j, c: j < 3, lambda j, c: (j + 1, c * w), [0, a])[1]),
        [0, x],
    )[1]
    loss = tf.reduce_sum(a * b) + tf.reduce_sum(inner)
    gx, gw = tf.gradients(loss, [x, w])
    return {"loss": loss, "gx": gx, "gw": gw}


def test_while_loop_gradients_are_tfs_both_ways(tf1, tmp_path):
    for v in (0, 1, 4):
        sub = tmp_path / str(v)
        sub.mkdir()
        check_both_ways(tf1, _gradients, {"x:0": X * 0.3, "w:0": X * 0.1 + 1.0, "n:0": np.int32(v)}, sub, rtol=1e-4)


def _rnn_training(tf):
    """A vanilla RNN unrolled by a while loop over a TensorArray, trained with SGD (dynamic_rnn's shape)."""
    rng = np.random.RandomState(0)
    inputs = tf.placeholder(tf.float32, [5, 4, 3], name="inputs")  # time, batch, features
    targets = tf.placeholder(tf.float32, [4, 2], name="targets")
    w_x = tf.Variable(rng.normal(0, 0.5, (3, 6)).astype(np.float32), name="w_x")
    w_h = tf.Variable(rng.normal(0, 0.5, (6, 6)).astype(np.float32), name="w_h")
    w_o = tf.Variable(rng.normal(0, 0.5, (6, 2)).astype(np.float32), name="w_o")
    input_ta = tf.TensorArray(tf.float32, size=5).unstack(inputs)
    output_ta = tf.TensorArray(tf.float32, size=5)

    def step(t, h, out):
        h = tf.tanh(tf.matmul(input_ta.read(t), w_x) + tf.matmul(h, w_h))
        return t + 1, h, out.write(t, h)

    _, h, outs = tf.while_loop(lambda t, h, out: t < 5, step, [0, tf.zeros([4, 6]), output_ta])
    mean_h = tf.reduce_mean(outs.stack(), axis=0)
    loss = tf.reduce_mean(tf.square(tf.matmul(h + mean_h, w_o) - targets), name="loss")
    train = tf.train.GradientDescentOptimizer(0.3).minimize(loss)
    return {"loss": loss, "train": train, "w_h": w_h}


def test_rnn_trained_three_steps_each_side_equals_six_in_tf(tf1, tmp_path):
    rng = np.random.RandomState(1)
    feeds = {
        "inputs:0": rng.normal(size=(5, 4, 3)).astype(np.float32),
        "targets:0": rng.normal(size=(4, 2)).astype(np.float32),
    }
    fetch = ["loss:0", "w_h:0"]
    tf_graph, _ = build(tf1, _rnn_training)
    tm_graph, _ = build(tm, _rnn_training)
    assert_same_graph(tf_graph, tm_graph)
    six_in_tf = _train(tf1, tf_graph, feeds, 6, fetch)
    # 3 in TF, then 3 here (through TF's checkpoint), and the reverse.
    assert_same_training(tf1, tf_graph, tm_graph, feeds, fetch, six_in_tf, tmp_path / "tf_then_tm")
    assert_same_training(
        tf1, tm_graph, tf_graph, feeds, fetch, six_in_tf, tmp_path / "tm_then_tf", first=tm, second=tf1
    )


def _train(framework, graph, feeds, steps, fetch, restore=None, save=None):
    with graph.as_default(), framework.Session(graph=graph) as sess:
        saver = framework.train.Saver(format="tf") if framework is tm else framework.train.Saver()
        if restore:
            saver.restore(sess, restore)
        else:
            sess.run(framework.global_variables_initializer())
        feed_dict = {graph.get_tensor_by_name(k): v for k, v in feeds.items()}
        train = graph.get_operation_by_name("GradientDescent")
        for _ in range(steps):
            sess.run(train, feed_dict)
        if save:
            saver.save(sess, save)
        return sess.run([graph.get_tensor_by_name(n) for n in fetch], feed_dict)


def assert_same_training(tf1, first_graph, second_graph, feeds, fetch, expected, path, first=None, second=None):
    first = first or tf1
    second = second or tm
    path.mkdir()
    prefix = str(path / "ckpt")
    _train(first, first_graph, feeds, 3, fetch, save=prefix)
    got = _train(second, second_graph, feeds, 3, fetch, restore=prefix)
    for e, a in zip(expected, got):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Errors


def _raises_like_tf(tf1, fn):
    with tf1.Graph().as_default(), pytest.raises((TypeError, ValueError)) as theirs:
        fn(tf1)
    with tm.Graph().as_default(), pytest.raises(type(theirs.value)) as ours:
        fn(tm)
    return str(theirs.value).replace("SymbolicTensor", "Tensor"), str(ours.value)


@pytest.mark.parametrize(
    "fn",
    [
        lambda tf: tf.while_loop(lambda a: a < 3, lambda a: tf.concat([[a], [a]], 0), [tf.constant(0)]),
        lambda tf: tf.while_loop(lambda a, b: a < 3, lambda a, b: (a + 1,), [tf.constant(0), tf.constant(1)]),
        lambda tf: tf.while_loop(1, lambda a: a, [tf.constant(0)]),
        lambda tf: tf.while_loop(lambda a: a < 3, lambda a: a, []),
        lambda tf: tf.while_loop(lambda a: a < 3, lambda a: a + 1, [tf.constant(0)], maximum_iterations=[2, 3]),
        lambda tf: tf.while_loop(lambda a: True, lambda a: a, [tf.zeros([2])], shape_invariants=[tf.TensorShape([3])]),
        lambda tf: tf.while_loop(lambda a: True, lambda a: a, [tf.constant(0)], parallel_iterations=0),
    ],
    ids=[
        "shape-changes",
        "structure",
        "cond-not-callable",
        "no-loop-vars",
        "maximum-iterations-not-scalar",
        "bad-shape-invariant",
        "parallel-iterations",
    ],
)
def test_while_loop_errors_are_tfs(tf1, fn):
    theirs, ours = _raises_like_tf(tf1, fn)
    assert ours == theirs


def test_gradient_wrt_initial_loop_value_inside_the_loop_fails_like_tf(tf1):
    def fn(tf):
        x = tf.constant(1.0, name="x")

        def body(a):
            return [tf.gradients(a, x)[0] + a]

        return tf.while_loop(lambda a: a < 3.0, body, [x])

    theirs, ours = _raises_like_tf(tf1, fn)
    assert ours == theirs


def test_loop_values_used_outside_the_loop_fail_like_tf(tf1):
    def fn(tf):
        captured = []

        def body(a):
            captured.append(a * 2.0)
            return a + 1.0

        tf.while_loop(lambda a: a < 3.0, body, [tf.constant(0.0)])
        return captured[0] + 1.0

    theirs, ours = _raises_like_tf(tf1, fn)
    assert ours == theirs


def test_loop_that_never_ends_stops_at_maximum_iterations(tf1):
    fn = lambda tf: {"y": tf.while_loop(lambda a: True, lambda a: a + 1, [tf.constant(0)], maximum_iterations=1000)}  # noqa: E731
    tm_graph, fetches = build(tm, fn)
    assert run(tm, tm_graph, fetches) == {"y": 1000}


def test_gradients_of_imported_loops_are_tfs(tf1, tmp_path):
    """Contexts read from a MetaGraph re-attach to their ops: tf.gradients then builds TF's gradient loops."""

    def forward(tf):
        x = tf.placeholder(tf.float32, [3], name="x")
        w = tf.placeholder(tf.float32, [3], name="w")

        def body(i, a):
            return i + 1, tf.cond(a[0] > 1.0, lambda: a * w, lambda: a + w)

        tf.add_to_collection("out", tf.while_loop(lambda i, a: i < 3, body, [0, x])[1])
        return {}

    tf_graph, _ = build(tf1, forward)
    path = exported(tf1, tf_graph, tmp_path / "forward.meta")

    def differentiate(tf):
        tf.train.import_meta_graph(path, import_scope="imported")
        g = tf.get_default_graph()
        out = tf.get_collection("out")[0]
        gx, gw = tf.gradients(out, [g.get_tensor_by_name("imported/x:0"), g.get_tensor_by_name("imported/w:0")])
        return {"out": out, "gx": gx, "gw": gw}

    tf_graph, tf_fetches = build(tf1, differentiate)
    tm_graph, tm_fetches = build(tm, differentiate)
    assert_same_graph(tf_graph, tm_graph)
    feeds = {"imported/x:0": X, "imported/w:0": X * 0.5 + 1.0}
    names = {k: v.name for k, v in tf_fetches.items()}
    assert_close(run(tf1, tf_graph, names, feeds), run(tm, tm_graph, names, feeds))
