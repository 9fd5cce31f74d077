"""tf.cond and tf.case (v1): TensorFlow's Switch/Merge graphs node for node, their numbers both ways, TF's errors."""

from __future__ import annotations

import collections
import re

import numpy as np
import pytest

import torchmeta as tm
from tests.api.cf_helpers import assert_same_graph, build, check_both_ways, exported, run, run_imported

X = np.array([0.5, -2.0, 3.0], np.float32)


def _simple(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    p = tf.placeholder(tf.bool, [], name="p")
    return {"y": tf.cond(p, lambda: x * 2.0, lambda: tf.square(x) + 1.0)}


def _outside_values_and_structures(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    p = tf.placeholder(tf.bool, [], name="p")
    c = tf.constant([1.0, 2.0, 3.0], name="c")
    Pair = collections.namedtuple("Pair", ["a", "b"])
    out = tf.cond(
        p,
        lambda: Pair(a=x, b={"k": c, "j": tf.reduce_sum(x)}),  # an outside tensor returned as is
        lambda: Pair(a=x - c, b={"k": c * 0.0, "j": tf.constant(0.0)}),
        name="pairs",
    )
    return {"a": out.a, "k": out.b["k"], "j": out.b["j"]}


def _nested(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    p = tf.placeholder(tf.bool, [], name="p")
    q = tf.placeholder(tf.bool, [], name="q")

    def outer_true():
        return tf.cond(q, lambda: x * 3.0, lambda: x - 1.0)

    return {"y": tf.cond(p, outer_true, lambda: tf.cond(q, lambda: -x, lambda: x * x))}


def _with_variables_and_strict(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    p = tf.placeholder(tf.bool, [], name="p")
    v = tf.Variable(np.ones(3, np.float32), name="v")
    r = tf.Variable(np.full(3, 2.0, np.float32), name="r", use_resource=True)
    single = tf.cond(p, lambda: [x * v], lambda: [x * r], strict=True)
    ops_only = tf.cond(p, lambda: tf.no_op(), lambda: tf.group(x + 1.0))
    return {"single": single, "ops": ops_only}


def _int_and_bool_results(tf):
    n = tf.placeholder(tf.int32, [], name="n")
    return {"y": tf.cond(n > 2, lambda: (n * 2, tf.constant(True)), lambda: (n - 1, n > 0))}


CASES = {
    "simple": (_simple, [{"x:0": X, "p:0": True}, {"x:0": X, "p:0": False}]),
    "outside-values-and-structures": (_outside_values_and_structures, [{"x:0": X, "p:0": v} for v in (True, False)]),
    "nested": (_nested, [{"x:0": X, "p:0": p, "q:0": q} for p in (True, False) for q in (True, False)]),
    "int-and-bool": (_int_and_bool_results, [{"n:0": np.int32(v)} for v in (5, 1)]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_cond_graph_and_numbers_are_tfs_both_ways(tf1, tmp_path, case):
    fn, feed_list = CASES[case]
    for i, feeds in enumerate(feed_list):
        sub = tmp_path / str(i)
        sub.mkdir()
        check_both_ways(tf1, fn, feeds, sub)


def test_cond_with_variables_and_ops_as_results(tf1, tmp_path):
    for p in (True, False):
        sub = tmp_path / str(p)
        sub.mkdir()
        check_both_ways(tf1, _with_variables_and_strict, {"x:0": X, "p:0": p}, sub, init=True)


def _grads(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    w = tf.placeholder(tf.float32, [3], name="w")
    p = tf.placeholder(tf.bool, [], name="p")
    q = tf.placeholder(tf.bool, [], name="q")
    y = tf.cond(p, lambda: tf.cond(q, lambda: x * w, lambda: tf.sin(x)), lambda: tf.square(w))
    g = tf.gradients(tf.reduce_sum(y * y), [x, w])
    return {"y": y, "gx": g[0], "gw": g[1]}


def test_cond_gradients_are_tfs_both_ways(tf1, tmp_path):
    for i, (p, q) in enumerate([(True, True), (True, False), (False, True)]):
        sub = tmp_path / str(i)
        sub.mkdir()
        check_both_ways(tf1, _grads, {"x:0": X, "w:0": X + 1, "p:0": p, "q:0": q}, sub)


def _case(tf):
    n = tf.placeholder(tf.int32, [], name="n")
    pairs = [(tf.less(n, 2), lambda: tf.constant(1.0)), (tf.less(n, 5), lambda: tf.constant(2.0))]
    return {
        "default": tf.case(pairs, default=lambda: tf.constant(3.0)),
        "exclusive": tf.case(
            [(tf.equal(n, 1), lambda: n * 10), (tf.equal(n, 4), lambda: n * 100)], default=lambda: n, exclusive=True
        ),
    }


def test_case_is_tfs_both_ways(tf1, tmp_path):
    for v in (1, 4, 7):
        sub = tmp_path / str(v)
        sub.mkdir()
        check_both_ways(tf1, _case, {"n:0": np.int32(v)}, sub)


def test_case_without_default_asserts_like_tf(tf1):
    def fn(tf):
        n = tf.placeholder(tf.int32, [], name="n")
        return {"y": tf.case([(tf.less(n, 2), lambda: n), (tf.less(n, 5), lambda: n * 2)])}

    tf_graph, _ = build(tf1, fn)
    tm_graph, _ = build(tm, fn)
    assert_same_graph(tf_graph, tm_graph)
    assert run(tm, tm_graph, "case/cond/Merge:0", {"n:0": np.int32(3)}) == 6
    with pytest.raises(tf1.errors.InvalidArgumentError) as theirs:
        run(tf1, tf_graph, "case/cond/Merge:0", {"n:0": np.int32(9)})
    with pytest.raises(tm.errors.InvalidArgumentError) as ours:
        run(tm, tm_graph, "case/cond/Merge:0", {"n:0": np.int32(9)})
    expected = theirs.value.message[theirs.value.message.index("assertion failed") :].split("\n")[0]
    assert expected in str(ours.value)


def test_fetching_inside_a_branch_fails_like_tf(tf1, tmp_path):
    tf_graph, _ = build(tf1, _simple)
    tm_graph, _ = build(tm, _simple)
    feeds = {"x:0": X, "p:0": False}
    # Built here: branch ops are not fetchable (TF's InaccessibleTensorError, a ValueError).
    with pytest.raises(ValueError) as theirs:
        run(tf1, tf_graph, "cond/mul/Switch:1", feeds)
    with pytest.raises(tm.errors.InaccessibleTensorError) as ours:
        run(tm, tm_graph, "cond/mul/Switch:1", feeds)
    assert str(ours.value) == str(theirs.value)
    # Imported: fetching the untaken branch fails at run time in both.
    ours_path = exported(tm, tm_graph, tmp_path / "ours.meta")
    for framework in (tf1, tm):
        with pytest.raises(framework.errors.InvalidArgumentError):
            run_imported(framework, ours_path, "cond/mul:0", feeds)


# ---------------------------------------------------------------------------------------------
# Errors


def _raises_like_tf(tf1, fn):
    with tf1.Graph().as_default(), pytest.raises((TypeError, ValueError)) as theirs:
        fn(tf1)
    with tm.Graph().as_default(), pytest.raises(type(theirs.value)) as ours:
        fn(tm)
    return str(theirs.value), str(ours.value)


@pytest.mark.parametrize(
    "fn",
    [
        lambda tf: tf.cond(True, lambda: tf.constant(1), lambda: tf.constant(2)),
        lambda tf: tf.cond(tf.constant(True), lambda: tf.constant(1), lambda: [tf.constant(2), tf.constant(3)]),
        lambda tf: tf.cond(tf.constant(True), lambda: tf.constant(1), lambda: tf.constant(2.0)),
        lambda tf: tf.cond(tf.constant(True), lambda: None, lambda: tf.constant(2)),
        lambda tf: tf.cond(tf.constant(True), 1, lambda: tf.constant(2)),
        lambda tf: tf.cond(tf.constant(True), lambda: {"a": tf.constant(1)}, lambda: {"b": tf.constant(1)}),
        lambda tf: tf.cond(tf.constant(True), true_fn=lambda: 1, fn1=lambda: 1, false_fn=lambda: 2),
        lambda tf: tf.case([(tf.constant(1), lambda: tf.constant(1))]),
        lambda tf: tf.case(tf.constant(True)),
    ],
    ids=[
        "python-bool",
        "structure",
        "dtypes",
        "no-result",
        "not-callable",
        "dict-keys",
        "fn1-and-true_fn",
        "case-int-pred",
        "case-not-list",
    ],
)
def test_cond_errors_are_tfs(tf1, fn):
    theirs, ours = _raises_like_tf(tf1, fn)
    # Only the classes' own names differ (SymbolicTensor / tensorflow's module paths).
    theirs = re.sub(r"<class '[\w.]*\.(\w+)'>", r"<class '\1'>", theirs.replace("SymbolicTensor", "Tensor"))
    ours = re.sub(r"<class '[\w.]*\.(\w+)'>", r"<class '\1'>", ours)
    assert ours == theirs


# ---------------------------------------------------------------------------------------------
# A batch-norm + dropout network switched by an is_training placeholder, trained


def _bn_dropout_network(tf):
    rng = np.random.RandomState(3)
    x = tf.placeholder(tf.float32, [8, 4], name="x")
    y = tf.placeholder(tf.float32, [8, 1], name="y")
    noise = tf.placeholder(tf.float32, [8, 6], name="noise")  # dropout's uniform noise, fed for exact numbers
    is_training = tf.placeholder(tf.bool, [], name="is_training")
    w1 = tf.Variable(rng.normal(0, 0.5, (4, 6)).astype(np.float32), name="w1")
    w2 = tf.Variable(rng.normal(0, 0.5, (6, 1)).astype(np.float32), name="w2")
    gamma = tf.Variable(np.ones(6, np.float32), name="gamma")
    beta = tf.Variable(np.zeros(6, np.float32), name="beta")
    moving_mean = tf.Variable(np.zeros(6, np.float32), name="moving_mean", trainable=False)
    moving_var = tf.Variable(np.ones(6, np.float32), name="moving_var", trainable=False)
    h = tf.matmul(x, w1)

    def train_stats():
        mean, var = tf.nn.moments(h, [0])
        update_mean = tf.assign(moving_mean, moving_mean * 0.9 + mean * 0.1)
        update_var = tf.assign(moving_var, moving_var * 0.9 + var * 0.1)
        with tf.control_dependencies([update_mean, update_var]):
            return tf.identity(mean), tf.identity(var)

    mean, var = tf.cond(is_training, train_stats, lambda: (tf.identity(moving_mean), tf.identity(moving_var)))
    bn = tf.nn.relu((h - mean) * tf.rsqrt(var + 1e-3) * gamma + beta)
    keep = 0.75
    dropped = tf.cond(is_training, lambda: bn * tf.cast(noise < keep, tf.float32) / keep, lambda: bn)
    loss = tf.reduce_mean(tf.square(tf.matmul(dropped, w2) - y), name="loss")
    train = tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss, name="train")
    return {"loss": loss, "train": train, "mean": moving_mean, "w1": w1}


def test_batch_norm_and_dropout_switched_by_is_training_train_like_tf(tf1, tmp_path):
    rng = np.random.RandomState(4)
    batches = [
        {
            "x:0": rng.normal(size=(8, 4)).astype(np.float32),
            "y:0": rng.normal(size=(8, 1)).astype(np.float32),
            "noise:0": rng.uniform(size=(8, 6)).astype(np.float32),
        }
        for _ in range(5)
    ]
    tf_graph, _ = build(tf1, _bn_dropout_network)
    tm_graph, _ = build(tm, _bn_dropout_network)
    assert_same_graph(tf_graph, tm_graph)
    fetch = ["loss:0", "moving_mean:0", "w1:0"]
    results = []
    for framework, graph in ((tf1, tf_graph), (tm, tm_graph)):
        with graph.as_default(), framework.Session(graph=graph) as sess:
            sess.run(framework.global_variables_initializer())
            trace = []
            for batch in batches:
                feeds = {graph.get_tensor_by_name(k): v for k, v in batch.items()}
                feeds[graph.get_tensor_by_name("is_training:0")] = True
                sess.run(graph.get_operation_by_name("train"), feeds)
                feeds[graph.get_tensor_by_name("is_training:0")] = False
                trace.append(sess.run(fetch, feeds))
            results.append(trace)
    for expected, actual in zip(*results):
        for e, a in zip(expected, actual):
            np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)
    # The inference path did not touch the moving averages; training did.
    assert not np.allclose(results[0][-1][1], 0.0)
