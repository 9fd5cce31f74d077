"""Run one TF1 program in TensorFlow and in torchmeta and compare what they build, compute and save.

A program is a function ``build(tf)`` that builds a graph with the module it is given (TensorFlow's
``tf.compat.v1`` or ``torchmeta``) and returns a dict of named fetches. The helpers compare the two
graphs node for node, and run both with the same variable values by moving a checkpoint from one
framework to the other (which also tests that the variables are named alike).
"""

from __future__ import annotations

import difflib

import numpy as np

import torchmeta as tm

# TF marks ops used as control inputs; graph.py does not (see tests/ops/test_math_gradients_tf_runs.py).
IGNORED_ATTRS = frozenset({"_has_manual_control_dependencies"})


def build(api, program):
    """(graph, fetches) of ``program`` built with ``api`` in a fresh graph."""
    g = api.Graph()
    with g.as_default():
        fetches = program(api)
    return g, fetches


def _tf_graph_def(graph_def):
    from tensorflow.core.framework import graph_pb2

    return graph_pb2.GraphDef.FromString(graph_def.SerializeToString())


def nodes(graph, ignore_attrs=IGNORED_ATTRS, ignore_nodes=()):
    """(name, op, inputs, device, attrs) per node; Const values compared by dtype, shape and bytes."""
    from tensorflow.python.framework import tensor_util as tf_tensor_util

    out = []
    for n in _tf_graph_def(graph.as_graph_def()).node:
        if any(n.name.startswith(prefix) for prefix in ignore_nodes):
            continue
        attrs = {}
        for key in sorted(set(n.attr) - set(ignore_attrs)):
            value = n.attr[key]
            if key == "value" and value.HasField("tensor"):
                arr = tf_tensor_util.MakeNdarray(value.tensor)
                data = arr.tolist() if arr.dtype == object else arr.tobytes()  # strings by value, not pointer
                attrs[key] = (value.tensor.dtype, arr.shape, data)
            else:
                attrs[key] = value.SerializeToString(deterministic=True)
        out.append((n.name, n.op, tuple(n.input), n.device, attrs))
    return out


def assert_same_graph(tf1, program, ignore_attrs=IGNORED_ATTRS, ignore_nodes=()):
    """Builds ``program`` in both frameworks and asserts the GraphDefs are equal node for node."""
    tf_graph, tf_fetches = build(tf1, program)
    tm_graph, tm_fetches = build(tm, program)
    expected = nodes(tf_graph, ignore_attrs, ignore_nodes)
    actual = nodes(tm_graph, ignore_attrs, ignore_nodes)
    ours, theirs = [f"{n[0]} {n[1]}" for n in actual], [f"{n[0]} {n[1]}" for n in expected]
    assert ours == theirs, "nodes differ (- TF, + ours):\n" + "\n".join(
        difflib.unified_diff(theirs, ours, lineterm="", n=2)
    )
    for a, e in zip(actual, expected):
        assert a == e, f"node {e[0]} differs:\n ours: {a}\n TF's: {e}"
    return (tf_graph, tf_fetches), (tm_graph, tm_fetches)


def variable_names(api, graph):
    with graph.as_default():
        return [v.op.name for v in api.global_variables()]


def _fetch(sess, fetches, feeds, graph):
    feed_dict = {graph.get_tensor_by_name(k): v for k, v in (feeds or {}).items()}
    return sess.run(fetches, feed_dict)


def run_tf_then_ours(tf1, program, path, feeds=None, runs=("",)):
    """Initializes and runs ``program`` in TensorFlow, saves a checkpoint, restores it into the same
    program built here and runs it again: returns (TF's results, ours) for each fetch key.

    ``runs`` lists fetch keys run (in order, each once) before the compared fetch ``""`` (the dict
    without those keys), e.g. a training step.
    """
    tf_graph, tf_fetches = build(tf1, program)
    with tf_graph.as_default(), tf1.Session() as sess:
        sess.run(tf1.global_variables_initializer())
        sess.run(tf1.local_variables_initializer())
        prefix = tf1.train.Saver().save(sess, str(path / "tf_model")) if tf1.global_variables() else None
        tf_results = _run_sequence(sess, tf_fetches, feeds, tf_graph, runs)
    tm_graph, tm_fetches = build(tm, program)
    with tm_graph.as_default(), tm.Session() as sess:
        sess.run(tm.local_variables_initializer())
        if prefix is not None:
            tm.train.Saver().restore(sess, prefix)
        tm_results = _run_sequence(sess, tm_fetches, feeds, tm_graph, runs)
    return tf_results, tm_results


def run_ours_then_tf(tf1, program, path, feeds=None, runs=("",)):
    """As run_tf_then_ours, the other way: torchmeta initializes and saves, TensorFlow restores."""
    tm_graph, tm_fetches = build(tm, program)
    with tm_graph.as_default(), tm.Session() as sess:
        sess.run(tm.global_variables_initializer())
        sess.run(tm.local_variables_initializer())
        prefix = tm.train.Saver(format="tf").save(sess, str(path / "tm_model")) if tm.global_variables() else None
        tm_results = _run_sequence(sess, tm_fetches, feeds, tm_graph, runs)
    tf_graph, tf_fetches = build(tf1, program)
    with tf_graph.as_default(), tf1.Session() as sess:
        sess.run(tf1.local_variables_initializer())
        if prefix is not None:
            tf1.train.Saver().restore(sess, prefix)
        tf_results = _run_sequence(sess, tf_fetches, feeds, tf_graph, runs)
    return tf_results, tm_results


def _run_sequence(sess, fetches, feeds, graph, runs):
    results = {}
    compared = {k: v for k, v in fetches.items() if k not in runs}
    for key in runs:
        if key == "":
            results.update(_fetch(sess, compared, feeds, graph))
        else:
            results[key] = _fetch(sess, fetches[key], feeds, graph)
    return results


def assert_results_close(expected, actual, rtol=1e-5, atol=1e-6, gradient_rtol=None):
    """Shape, then dtype, then values of each result (ints and bools exactly).

    ``gradient_rtol``: a ``grad/...`` result is a sum over many positions, and where an element
    cancels to near zero its rounding error follows the size of the terms, not of the element. Its
    atol is then at least ``gradient_rtol`` times the result's largest magnitude (for a bias
    gradient of terms ~100 summing to 0.013, float32 orders differ by ~1e-5 between TF and torch)."""
    assert sorted(expected) == sorted(actual)
    for key in expected:
        e, a = expected[key], actual[key]
        if e is None:
            assert a is None, key
            continue
        e, a = np.asarray(e), np.asarray(a)
        assert a.shape == e.shape, f"{key}: shape {a.shape} != {e.shape}"
        assert a.dtype == e.dtype, f"{key}: dtype {a.dtype} != {e.dtype}"
        if e.dtype.kind in "fc":
            key_atol = atol
            if gradient_rtol is not None and key.startswith("grad/") and e.size:
                key_atol = max(atol, gradient_rtol * float(np.abs(e).max()))
            np.testing.assert_allclose(a, e, rtol=rtol, atol=key_atol, err_msg=key)
        else:
            np.testing.assert_array_equal(a, e, err_msg=key)
