"""Control flow v2 (after enable_control_flow_v2): If/StatelessIf and While/StatelessWhile over FunctionDefs.

The graphs outside the functions are TensorFlow's node for node (function names carry TF's process-wide
counter, so they are compared by their place, not by name); the numbers and gradients are TF's, here,
in TF running our export, and here running TF's export.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

import torchmeta as tm
from tests.api.cf_helpers import _names, assert_close, build, exported, run, run_imported
from torchmeta import function as tm_function

X = np.array([0.5, -1.0, 2.0], np.float32)
W = np.array([1.5, 0.5, -0.25], np.float32)
FUNC_ATTRS = ("then_branch", "else_branch", "cond", "body", "f", "branches")


@pytest.fixture
def v2(tf1):
    tf1.enable_control_flow_v2()
    tm.enable_control_flow_v2()
    yield tf1
    tf1.disable_control_flow_v2()
    tm.disable_control_flow_v2()


def _outer_nodes(graph):
    out = {}
    for n in graph.as_graph_def().node:
        ignored = ("_output_shapes", "_has_manual_control_dependencies", *FUNC_ATTRS)
        if n.name.endswith("/accumulator/element_shape"):
            # TF knows the element shapes of TensorLists from handle data, which torchmeta does not track.
            ignored = (*ignored, "value")
        attrs = {k: v.SerializeToString(deterministic=True) for k, v in n.attr.items() if k not in ignored}
        out[n.name] = (n.op, list(n.input), attrs)
    return out


def _check(tf1, fn, feeds, tmp_path, rtol=1e-5, atol=1e-6):
    tf_graph, tf_fetches = build(tf1, fn)
    tm_graph, tm_fetches = build(tm, fn)
    assert _outer_nodes(tm_graph) == _outer_nodes(tf_graph)
    assert len(tm_graph.as_graph_def().library.function) == len(tf_graph.as_graph_def().library.function)
    names = _names(tf_fetches)
    assert _names(tm_fetches) == names
    expected = run(tf1, tf_graph, names, feeds)
    assert_close(expected, run(tm, tm_graph, names, feeds), rtol, atol)
    assert_close(expected, run_imported(tf1, exported(tm, tm_graph, tmp_path / "ours.meta"), names, feeds), rtol, atol)
    assert_close(
        expected, run_imported(tm, exported(tf1, tf_graph, tmp_path / "theirs.meta"), names, feeds), rtol, atol
    )


def _cond(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    w = tf.placeholder(tf.float32, [3], name="w")
    p = tf.placeholder(tf.bool, [], name="p")
    Pair = collections.namedtuple("Pair", ["a", "b"])
    y = tf.cond(p, lambda: tf.sin(x) * w, lambda: tf.square(x))
    pair = tf.cond(p, lambda: Pair(x * 2.0, tf.reduce_sum(w)), lambda: Pair(x, tf.constant(0.0)))
    nested = tf.cond(p, lambda: tf.cond(tf.reduce_sum(x) > 0.0, lambda: x * w, lambda: w), lambda: x + 1.0)
    gx, gw = tf.gradients(tf.reduce_sum(y * nested) + tf.reduce_sum(pair.a) + pair.b, [x, w])
    return {"y": y, "a": pair.a, "b": pair.b, "nested": nested, "gx": gx, "gw": gw}


@pytest.mark.parametrize("p", [True, False])
def test_cond_v2_is_tfs_both_ways(v2, tmp_path, p):
    _check(v2, _cond, {"x:0": X, "w:0": W, "p:0": p}, tmp_path)


def _while(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    w = tf.placeholder(tf.float32, [3], name="w")
    n = tf.placeholder(tf.int32, [], name="n")
    i, y = tf.while_loop(lambda i, a: i < n, lambda i, a: (i + 1, tf.sin(a) * w), [0, x])
    ta = tf.TensorArray(tf.float32, size=3)
    _, ta = tf.while_loop(lambda j, t: j < 3, lambda j, t: (j + 1, t.write(j, x * tf.cast(j, tf.float32) * w)), [0, ta])
    stacked = ta.stack()
    capped = tf.while_loop(lambda a: tf.reduce_sum(a) < 100.0, lambda a: a * 2.0 + 1.0, [x], maximum_iterations=5)
    in_cond = tf.while_loop(
        lambda a: tf.reduce_max(a) < 10.0, lambda a: tf.cond(a[0] > 0.0, lambda: a * 2.0, lambda: a + 3.0), [x]
    )
    loss = tf.reduce_sum(y) + tf.reduce_sum(stacked * stacked) + tf.reduce_sum(capped) + tf.reduce_sum(in_cond)
    gx, gw = tf.gradients(loss, [x, w])
    return {"i": i, "y": y, "stacked": stacked, "capped": capped, "in_cond": in_cond, "gx": gx, "gw": gw}


@pytest.mark.parametrize("n", [0, 3])
def test_while_v2_is_tfs_both_ways(v2, tmp_path, n):
    _check(v2, _while, {"x:0": X, "w:0": W, "n:0": np.int32(n)}, tmp_path, rtol=1e-4)


def _map(tf):
    x = tf.placeholder(tf.float32, [4, 3], name="x")
    w = tf.placeholder(tf.float32, [3], name="w")
    y = tf.map_fn(lambda r: r * w, x)
    s = tf.scan(lambda a, e: a * 0.5 + e, x)
    gx, gw = tf.gradients(tf.reduce_sum(y * y) + tf.reduce_sum(s), [x, w])
    return {"y": y, "s": s, "gx": gx, "gw": gw}


def test_map_fn_and_scan_v2_are_tfs_both_ways(v2, tmp_path):
    _check(v2, _map, {"x:0": np.arange(12, dtype=np.float32).reshape(4, 3) / 6.0, "w:0": W}, tmp_path)


def _training(tf):
    rng = np.random.RandomState(0)
    x = tf.placeholder(tf.float32, [4, 3], name="x")
    v = tf.Variable(rng.normal(size=(3, 3)).astype(np.float32), name="v", use_resource=True)

    def body(i, h):
        return i + 1, tf.tanh(tf.matmul(h, v))

    _, h = tf.while_loop(lambda i, h: i < 3, body, [0, x])
    loss = tf.reduce_mean(tf.square(tf.cond(tf.reduce_sum(h) > 0.0, lambda: h, lambda: h * 2.0)), name="loss")
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss, name="train")
    return {"loss": loss, "train": train}


def test_v2_loop_with_a_captured_variable_trains_like_tf(v2):
    feeds = {"x:0": np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)}
    results = []
    for framework in (v2, tm):
        graph, _ = build(framework, _training)
        losses = []
        with graph.as_default(), framework.Session(graph=graph) as sess:
            sess.run(framework.global_variables_initializer())
            for _ in range(4):
                losses.append(sess.run("loss:0", {graph.get_tensor_by_name(k): a for k, a in feeds.items()}))
                sess.run(
                    graph.get_operation_by_name("train"), {graph.get_tensor_by_name(k): a for k, a in feeds.items()}
                )
        results.append(np.array(losses))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-5)
    assert results[0][-1] < results[0][0]


def test_switching_back_to_v1(v2):
    tm.disable_control_flow_v2()
    with tm.Graph().as_default():
        y = tm.cond(tm.placeholder(tm.bool, []), lambda: tm.constant(1.0), lambda: tm.constant(2.0))
    assert y.op.type == "Merge"
    tm.enable_control_flow_v2()
    assert tm.control_flow_v2_enabled()
    with tm.Graph().as_default():
        y = tm.cond(tm.placeholder(tm.bool, []), lambda: tm.constant(1.0), lambda: tm.constant(2.0))
    assert y.op.inputs[0].op.type == "StatelessIf"


def test_python_bool_predicate_fails_like_tf(v2):
    with v2.Graph().as_default(), pytest.raises(TypeError) as theirs:
        v2.cond(True, lambda: 1.0, lambda: 2.0)
    with tm.Graph().as_default(), pytest.raises(TypeError) as ours:
        tm.cond(True, lambda: 1.0, lambda: 2.0)
    assert str(ours.value) == str(theirs.value)


def _switch_case(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    w = tf.placeholder(tf.float32, [3], name="w")
    n = tf.placeholder(tf.int32, [], name="n")
    y = tf.switch_case(n, [lambda: x * w, lambda: tf.sin(x) * 2.0, lambda: w])
    z = tf.switch_case(n, {0: lambda: tf.square(x), 1: lambda: x + w}, default=lambda: x * 0.0)
    gx, gw = tf.gradients(tf.reduce_sum(y * z), [x, w])
    return {"y": y, "z": z, "gx": gx, "gw": gw}


@pytest.mark.parametrize("n", [0, 1, 2, 7])
def test_switch_case_is_tfs_both_ways(tf1, tmp_path, n):
    # tf.switch_case is a Case op in TF1 graph mode too (no v2 switch needed).
    _check(tf1, _switch_case, {"x:0": X, "w:0": W, "n:0": np.int32(n)}, tmp_path)


def test_gradients_of_imported_v2_control_flow_are_tfs(v2, tmp_path):
    """If/While/Case read from TF's MetaGraph: tf.gradients builds their gradients from the library's functions."""

    def forward(tf):
        x = tf.placeholder(tf.float32, [3], name="x")
        w = tf.placeholder(tf.float32, [3], name="w")
        n = tf.placeholder(tf.int32, [], name="n")
        y = tf.cond(tf.reduce_sum(x) > 0.0, lambda: tf.sin(x) * w, lambda: tf.square(x))
        _, z = tf.while_loop(lambda i, a: i < n, lambda i, a: (i + 1, tf.tanh(a) * w), [0, y])
        tf.add_to_collection("out", tf.switch_case(n % 2, [lambda: z * 2.0, lambda: tf.exp(z)]))
        return {}

    tf_graph, _ = build(v2, forward)
    path = exported(v2, tf_graph, tmp_path / "forward.meta")

    def differentiate(tf):
        tf.train.import_meta_graph(path, import_scope="i")
        g = tf.get_default_graph()
        gx, gw = tf.gradients(
            tf.get_collection("out")[0], [g.get_tensor_by_name("i/x:0"), g.get_tensor_by_name("i/w:0")]
        )
        return {"gx": gx, "gw": gw}

    tf_graph, tf_fetches = build(v2, differentiate)
    tm_graph, tm_fetches = build(tm, differentiate)
    assert _names(tm_fetches) == _names(tf_fetches)
    for n in (0, 3):
        feeds = {"i/x:0": X, "i/w:0": W, "i/n:0": np.int32(n)}
        assert_close(
            run(v2, tf_graph, _names(tf_fetches), feeds), run(tm, tm_graph, _names(tm_fetches), feeds), 1e-5, 1e-5
        )


@pytest.mark.parametrize("case", ["ops", "grads"])
def test_tensor_array_v2_is_tfs_both_ways(v2, tmp_path, case):
    from tests.api import test_tensor_array_ops as ta_tests

    if case == "ops":
        _check(v2, ta_tests._ops, {"x:0": ta_tests.X}, tmp_path)
    else:
        _check(v2, ta_tests._grads, {"x:0": ta_tests.X, "w:0": W}, tmp_path)


def test_functions_holding_stateful_ops_are_stateful_as_tfs(v2):
    """TF_GraphToFunction marks a FunctionDef stateful when a node in it is: Defun bodies, cond and while
    branches. Functions are compared by role (their names carry TF's hashes and counters)."""
    from tensorflow.python.framework import function as tf_function

    def flags(tf, function):
        graph = tf.Graph()
        with graph.as_default():

            @function.Defun(tf.float32)
            def noisy(x):
                return x + tf.random_uniform([])

            @function.Defun(tf.float32)
            def pure(x):
                return x * 2.0

            x = tf.placeholder(tf.float32, [], name="x")
            p = tf.placeholder(tf.bool, [], name="p")
            y = noisy(x) + pure(x)
            z = tf.cond(p, lambda: tf.random_normal([]), lambda: x)
            tf.while_loop(lambda i: i < 3.0, lambda i: i + tf.random_uniform([]), [y + z])
        library = {f.signature.name: f.signature.is_stateful for f in graph.as_graph_def().library.function}
        by_role = {}
        for name, stateful in library.items():
            role = next(
                r for r in ("noisy", "pure", "cond_true", "cond_false", "while_cond", "while_body") if r in name
            )
            by_role[role] = stateful
        return by_role

    theirs = flags(v2, tf_function)
    assert theirs == {
        "noisy": True,
        "pure": False,
        "cond_true": True,
        "cond_false": False,
        "while_cond": False,
        "while_body": True,
    }
    assert flags(tm, tm_function) == theirs


def _growing(tf):
    x = tf.placeholder(tf.float32, [3], name="x")
    n = tf.placeholder(tf.int32, [], name="n")
    i, grown = tf.while_loop(
        lambda i, g: tf.logical_and(i < n, tf.less(i, 6)),
        lambda i, g: (i + 1, tf.concat([g, tf.sin(g[-3:]) * tf.cast(i + 1, tf.float32)], 0)),
        [0, x],
        shape_invariants=[tf.TensorShape([]), tf.TensorShape([None])],
    )
    (gx,) = tf.gradients(tf.reduce_sum(grown * grown), [x])
    return {"i": i, "grown": grown, "gx": gx}


@pytest.mark.parametrize("n", [0, 4, 9])
def test_v2_loops_with_conditions_on_numbers_are_tfs(v2, tmp_path, n):
    """A While whose condition compares integer scalars runs it on Python numbers (``Function.predicate``) and
    looks its body up again where a loop variable's shape changes from one iteration to the next."""
    _check(v2, _growing, {"x:0": X, "n:0": np.int32(n)}, tmp_path)
    graph, fetches = build(tm, _growing)
    with graph.as_default(), tm.Session(graph=graph) as sess:
        sess.run(fetches["grown"], {"x:0": X, "n:0": np.int32(n)})
        functions = list(sess._env.functions._functions.values())
    conds = [f for f in functions if f.predicate() is not None]
    assert len(conds) == 1  # (the forward loop's; its gradient loop is not run)
    assert not conds[0].program.by_shapes  # the condition's module was never needed
    bodies = [f for f in functions if f.predicate() is None and f.program.by_shapes]
    assert [len(f.program.by_shapes) for f in bodies] == ([min(n, 6)] if n else [])


def _failing(tf):
    v = tf.placeholder(tf.float32, [5], name="v")
    n = tf.placeholder(tf.int32, [], name="n")
    _, total = tf.while_loop(lambda i, s: i < n, lambda i, s: (i + 1, s + tf.gather(v, i * 2)), [0, 0.0])
    return {"total": total}


def test_v2_loop_body_failing_on_an_iteration_fails_as_tf(v2):
    feeds = {"v:0": np.arange(5, dtype=np.float32), "n:0": np.int32(6)}
    for framework in (v2, tm):
        graph, fetches = build(framework, _failing)
        with pytest.raises(framework.errors.InvalidArgumentError, match=r"indices = \d+ is not in \[0, 5\)"):
            run(framework, graph, fetches["total"], feeds)  # (TF's iterations overlap: which one fails first varies)
        assert run(framework, graph, fetches["total"], {**feeds, "n:0": np.int32(3)}) == 6.0
