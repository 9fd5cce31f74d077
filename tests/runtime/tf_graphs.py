"""Graphs TensorFlow builds, run in TensorFlow and in torchmeta side by side.

``run_in_both(build, feeds)``: ``build(tf, v1)`` builds a graph with TensorFlow's API and returns the
fetches (names or tensors, a list); the graph's GraphDef is imported into torchmeta, both run with the
same feeds (placeholder name -> value), and the results (or the errors) come back for comparison.
``train_in_both`` does the same for a training graph exported as a ``.meta`` + checkpoint.
"""

from __future__ import annotations

import numpy as np

import torchmeta as tm


def _name(x) -> str:
    return x if isinstance(x, str) else x.name


def _run(sess, fetches, feeds):
    try:
        return sess.run(fetches, feeds), None
    except Exception as e:  # the error is the result being compared
        return None, e


def run_in_both(build, feeds=None, runs=1):
    """(TF results, TF error, our results, our error, our graph) for the graph ``build`` makes."""
    import tensorflow as tf

    v1 = tf.compat.v1
    feeds = feeds or {}
    g = tf.Graph()
    with g.as_default():
        fetches = [_name(f) for f in build(tf, v1)]
        graph_def = g.as_graph_def()
    imported = tf.Graph()  # TF runs the exported graph too (in the building graph, TF1 marks ops in
    with imported.as_default():  # control-flow contexts unfetchable)
        tf.graph_util.import_graph_def(graph_def, name="")
        with v1.Session(graph=imported) as sess:
            for _ in range(runs):
                want, want_error = _run(sess, fetches, {f"{k}:0": v for k, v in feeds.items()})
    ours = tm.Graph()
    with ours.as_default():
        tm.import_graph_def(graph_def, name="")
        with tm.Session() as sess:
            for _ in range(runs):
                got, got_error = _run(sess, fetches, {f"{k}:0": v for k, v in feeds.items()})
    return want, want_error, got, got_error, ours


def assert_same(want, got, rtol=1e-5, atol=1e-6):
    """Shape, then dtype, then values (floats to rtol, everything else exactly)."""
    assert len(want) == len(got)
    for w, g in zip(want, got):
        if isinstance(w, tuple) and hasattr(w, "_fields"):  # TF's namedtuple results of multi-output ops
            assert_same(list(w), list(g), rtol, atol)
            continue
        w, g = np.asarray(w), np.asarray(g)
        assert g.shape == w.shape
        assert g.dtype == w.dtype
        if w.dtype.kind == "f":
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
        else:
            np.testing.assert_array_equal(g, w)


def tf_message(error) -> str:
    """The kernel message of a TF session error, without TF's "Graph execution error" and node trailer."""
    text = error.message if hasattr(error, "message") else str(error)
    if "Node:" in text:  # TF 2.21 prefixes "Detected at node ... Node: 'x'\n"
        text = text.split("Node:", 1)[1].split("\n", 1)[1]
    text = text.replace("Graph execution error:\n\n", "")
    return text.split("\n\t [[", 1)[0].strip()


def assert_same_error(want_error, got_error, message=True):
    """Same error class (by name) and, with ``message``, the same kernel message."""
    assert want_error is not None, "TensorFlow did not fail"
    assert got_error is not None, f"torchmeta did not fail; TensorFlow raised {want_error!r}"
    assert type(got_error).__name__ == type(want_error).__name__, (want_error, got_error)
    assert isinstance(got_error, tm.errors.OpError)
    if message:
        assert tf_message(want_error) in got_error.message, (tf_message(want_error), got_error.message)


def train_in_both(build, feeds, tmp_path, steps=3, lr=0.1):
    """Trains ``build(tf, v1) -> loss`` with GradientDescent: ``steps`` in TF, and from the same initial
    checkpoint ``steps`` here (the graph exported as a .meta). Returns (TF losses, our losses), each with
    one loss per step and the loss after the last step."""
    import tensorflow as tf

    v1 = tf.compat.v1
    prefix = str(tmp_path / "model")
    g = tf.Graph()
    with g.as_default():
        v1.set_random_seed(1)
        loss = build(tf, v1)
        train = v1.train.GradientDescentOptimizer(lr).minimize(loss, name="train")
        init = v1.global_variables_initializer()
        saver = v1.train.Saver()
        with v1.Session(graph=g) as sess:
            sess.run(init)
            saver.save(sess, prefix)
            tf_feeds = {f"{k}:0": v for k, v in feeds.items()}
            want = [sess.run([loss, train], tf_feeds)[0] for _ in range(steps)]
            want.append(sess.run(loss, tf_feeds))
        loss_name = loss.name
    ours = tm.Graph()
    with ours.as_default():
        tm_saver = tm.train.import_meta_graph(prefix + ".meta")
        with tm.Session() as sess:
            tm_saver.restore(sess, prefix)
            tm_feeds = {f"{k}:0": v for k, v in feeds.items()}
            got = [sess.run([loss_name, "train"], tm_feeds)[0] for _ in range(steps)]
            got.append(sess.run(loss_name, tm_feeds))
    return want, got
