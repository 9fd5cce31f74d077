"""function.Defun: FunctionDefs in the graph's library, called by name; TF's numbers and gradients both ways."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api.cf_helpers import _names, assert_close, build, exported, run, run_imported
from torchmeta import function as tm_function

X = np.array([0.5, -1.0, 2.0], np.float32)
W = np.array([1.5, 0.5, -0.25], np.float32)


def _function_module(tf):
    if tf is tm:
        return tm_function
    from tensorflow.python.framework import function

    return function


def _defuns(tf):
    function = _function_module(tf)
    w = tf.placeholder(tf.float32, [3], name="w")

    @function.Defun(tf.float32, tf.float32)
    def mul_add(a, b):
        return a * b + w  # w is captured: an extra argument of every call

    @function.Defun(tf.float32, func_name="Twice", out_names=["doubled", "square"])
    def twice(a):
        return a * 2.0, tf.square(a)

    @function.Defun()
    def overloaded(a, b):
        return a + b

    @function.Defun(tf.float32, python_grad_func=lambda op, grad: [grad * 10.0])
    def custom(a):
        return tf.sin(a)

    x = tf.placeholder(tf.float32, [3], name="x")
    y = mul_add(x, x + 1.0)
    z = mul_add(y, x, name="second")
    d, s = twice(z)
    o = overloaded(d, s)
    i = overloaded(tf.constant(1), tf.constant(2))
    c = custom(x)
    gx, gw = tf.gradients(tf.reduce_sum(o) + tf.reduce_sum(c), [x, w])
    return {"y": y, "z": z, "d": d, "s": s, "o": o, "i": i, "c": c, "gx": gx, "gw": gw}


def test_defun_numbers_and_gradients_are_tfs_both_ways(tf1, tmp_path):
    tf_graph, tf_fetches = build(tf1, _defuns)
    tm_graph, tm_fetches = build(tm, _defuns)
    feeds = {"x:0": X, "w:0": W}
    expected = run(tf1, tf_graph, _names(tf_fetches), feeds)
    names = _names(tm_fetches)
    assert_close(expected, run(tm, tm_graph, names, feeds))
    assert_close(expected, run_imported(tf1, exported(tm, tm_graph, tmp_path / "ours.meta"), names, feeds))
    # TF differentiates Defun calls with SymbolicGradient ops: they run here too.
    assert_close(
        expected, run_imported(tm, exported(tf1, tf_graph, tmp_path / "theirs.meta"), _names(tf_fetches), feeds)
    )


def test_defun_call_ops_and_signatures_are_tfs(tf1):
    tf_graph, _ = build(tf1, _defuns)
    tm_graph, _ = build(tm, _defuns)

    def calls(graph):
        lib = {f.signature.name for f in graph.as_graph_def().library.function}
        return [
            (n.name, len(n.input), n.attr["_disable_call_shape_inference"].b)
            for n in graph.as_graph_def().node
            if n.op in lib and not n.name.startswith("gradients/")
        ]

    def signature(graph, name):
        f = next(f for f in graph.as_graph_def().library.function if f.signature.name == name)
        return [(a.name, a.type) for a in f.signature.input_arg], [(a.name, a.type) for a in f.signature.output_arg]

    ours, theirs = calls(tm_graph), calls(tf_graph)
    assert [c[1:] for c in ours] == [c[1:] for c in theirs]
    # Calls named by the user are named the same; functions named after TF's hash of their body differ.
    assert [c[0] for c in ours if c[0] in ("second", "Twice")] == [c[0] for c in theirs if c[0] in ("second", "Twice")]
    assert signature(tm_graph, "Twice") == signature(tf_graph, "Twice")


@pytest.mark.parametrize(
    "fn",
    [
        lambda function, tf: function.Defun(tf.float32)(lambda a, b=1: a),
        lambda function, tf: function.Defun(tf.float32, tf.float32)(lambda a: a),
        lambda function, tf: function.Defun(tf.float32)(3),
    ],
    ids=["defaults", "type-count", "not-callable"],
)
def test_defun_errors_are_tfs(tf1, fn):
    with pytest.raises(ValueError) as theirs:
        fn(_function_module(tf1), tf1)
    with pytest.raises(ValueError) as ours:
        fn(tm_function, tm)
    assert str(ours.value).split(" <function")[0] == str(theirs.value).split(" <function")[0]
