"""Shared checks for the control-flow API tests: one builder function, run with TensorFlow and with torchmeta.

A case is ``build(tf) -> {name: tensor or op or list}`` written once against the TF1 API, so it builds with
``tensorflow.compat.v1`` and with ``torchmeta`` alike. The checks:

- ``assert_same_graph``: the two GraphDefs have the same nodes (name, op, inputs, attrs) and the
  ``cond_context`` / ``while_context`` collections hold the same protos.
- ``run_tf`` / ``run_tm``: a graph's fetches with feeds, in TensorFlow or here.
- ``run_exported_in_tf``: our graph exported to a MetaGraph, imported into TensorFlow and run there.
- ``run_tf_exported_here``: TensorFlow's graph exported, imported here and run.
"""

from __future__ import annotations

import numpy as np

import torchmeta as tm

IGNORED_ATTRS = ("_output_shapes", "_has_manual_control_dependencies")
CONTEXT_KEYS = ("cond_context", "while_context")


def build(framework, fn):
    """(graph, fetches) of ``fn`` built with ``framework`` (tf.compat.v1 or torchmeta)."""
    g = framework.Graph()
    with g.as_default():
        fetches = fn(framework)
    return g, fetches


def _nodes(graph_def):
    out = {}
    for n in graph_def.node:
        attrs = {
            k: v.SerializeToString(deterministic=True) for k, v in sorted(n.attr.items()) if k not in IGNORED_ATTRS
        }
        out[n.name] = (n.op, list(n.input), n.device, attrs)
    return out


def graph_differences(tf_graph, tm_graph) -> list[str]:
    """Human-readable differences between TF's graph and ours (empty when they are the same)."""
    a, b = _nodes(tf_graph.as_graph_def()), _nodes(tm_graph.as_graph_def())
    diffs = []
    for name in sorted(set(a) | set(b)):
        if name not in b:
            diffs.append(f"missing here: {name} {a[name][:2]}")
        elif name not in a:
            diffs.append(f"not in TF: {name} {b[name][:2]}")
        elif a[name] != b[name]:
            changed = [k for k in set(a[name][3]) | set(b[name][3]) if a[name][3].get(k) != b[name][3].get(k)]
            diffs.append(f"differs: {name}: TF {a[name][:3]} attrs {changed} / here {b[name][:3]}")
    for key in CONTEXT_KEYS:
        ours = [c.to_proto().SerializeToString(deterministic=True) for c in tm_graph.get_collection(key)]
        theirs = [c.to_proto().SerializeToString(deterministic=True) for c in tf_graph.get_collection(key)]
        if ours != theirs:
            diffs.append(f"collection {key} differs ({len(theirs)} in TF, {len(ours)} here)")
    return diffs


def assert_same_graph(tf_graph, tm_graph):
    diffs = graph_differences(tf_graph, tm_graph)
    assert diffs == [], "\n".join(diffs[:40])


def _names(fetches):
    if isinstance(fetches, dict):
        return {k: _names(v) for k, v in fetches.items()}
    if isinstance(fetches, (list, tuple)):
        return [_names(v) for v in fetches]
    if fetches is None or isinstance(fetches, str):
        return fetches
    return fetches.name


def _by_name(graph, names):
    if isinstance(names, dict):
        return {k: _by_name(graph, v) for k, v in names.items()}
    if isinstance(names, list):
        return [_by_name(graph, v) for v in names]
    if names is None:
        return None
    return graph.as_graph_element(names)


def run(framework, graph, fetches, feeds=None, init=False, steps=None):
    """Runs ``fetches`` (names or graph elements) of ``graph``; ``feeds`` maps tensor names to values.

    ``init`` runs the global variables initializer first; ``steps`` (a fetch) is run that many times
    before the fetches.
    """
    with graph.as_default(), framework.Session(graph=graph) as sess:
        if init:
            sess.run(framework.global_variables_initializer())
        feed_dict = {graph.get_tensor_by_name(k): v for k, v in (feeds or {}).items()}
        if steps:
            op, count = steps
            for _ in range(count):
                sess.run(_by_name(graph, _names(op)), feed_dict)
        return sess.run(_by_name(graph, _names(fetches)), feed_dict)


def exported(framework, graph, path):
    """Writes ``graph`` (with its collections) to the MetaGraph file ``path``."""
    with graph.as_default():
        framework.train.export_meta_graph(filename=str(path))
    return str(path)


def run_imported(framework, path, fetch_names, feeds=None, init=False, steps=None):
    """Imports the MetaGraph at ``path`` into a new graph of ``framework`` and runs ``fetch_names``."""
    g = framework.Graph()
    with g.as_default():
        framework.train.import_meta_graph(path)
    return run(framework, g, fetch_names, feeds, init=init, steps=steps)


def assert_close(expected, actual, rtol=1e-5, atol=1e-6):
    """Structures of arrays equal: shape, then dtype, then values (exactly for ints and bools)."""
    if isinstance(expected, dict):
        assert set(expected) == set(actual)
        for k in expected:
            assert_close(expected[k], actual[k], rtol, atol)
        return
    if isinstance(expected, (list, tuple)):
        assert len(expected) == len(actual)
        for e, a in zip(expected, actual):
            assert_close(e, a, rtol, atol)
        return
    if expected is None:
        assert actual is None
        return
    expected, actual = np.asarray(expected), np.asarray(actual)
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype
    if expected.dtype.kind in "biu":
        np.testing.assert_array_equal(actual, expected)
    else:
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def check_both_ways(tf1, fn, feeds, tmp_path, same_graph=True, init=False, rtol=1e-5, atol=1e-6):
    """The full round: same graph as TF's; TF's numbers here; ours exported run in TF; TF's exported run here.

    Returns TF's values.
    """
    tf_graph, tf_fetches = build(tf1, fn)
    tm_graph, tm_fetches = build(tm, fn)
    if same_graph:
        assert_same_graph(tf_graph, tm_graph)
    names = _names(tf_fetches)
    assert _names(tm_fetches) == names
    expected = run(tf1, tf_graph, names, feeds, init=init)
    assert_close(expected, run(tm, tm_graph, names, feeds, init=init), rtol, atol)
    ours = exported(tm, tm_graph, tmp_path / "ours.meta")
    assert_close(expected, run_imported(tf1, ours, names, feeds, init=init), rtol, atol)
    theirs = exported(tf1, tf_graph, tmp_path / "theirs.meta")
    assert_close(expected, run_imported(tm, theirs, names, feeds, init=init), rtol, atol)
    return expected
