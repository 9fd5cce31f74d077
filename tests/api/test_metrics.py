"""tf.metrics against TensorFlow 2.21: graphs node for node, local variables, and the values after
several update steps."""

from __future__ import annotations

import numpy as np
import pytest

from tests.api import tf_programs as P

pytest.importorskip("tensorflow")

_rng = np.random.default_rng(9)
BATCHES = [
    (_rng.integers(0, 2, 6).astype(np.int64), _rng.integers(0, 2, 6).astype(np.int64), _rng.uniform(0, 1, 6))
    for _ in range(3)
]

METRICS = {
    "accuracy": lambda tf, y, p, w: tf.metrics.accuracy(y, p),
    "accuracy-weighted": lambda tf, y, p, w: tf.metrics.accuracy(y, p, weights=w, name="acc"),
    "mean": lambda tf, y, p, w: tf.metrics.mean(tf.cast(p, tf.float32) * 2.0),
    "mean-weighted": lambda tf, y, p, w: tf.metrics.mean(tf.cast(y, tf.float32), weights=w),
    "precision": lambda tf, y, p, w: tf.metrics.precision(y, p),
    "recall-weighted": lambda tf, y, p, w: tf.metrics.recall(y, p, weights=w),
    "true_positives": lambda tf, y, p, w: tf.metrics.true_positives(y, p),
    "false_positives": lambda tf, y, p, w: tf.metrics.false_positives(y, p, weights=w),
    "true_negatives": lambda tf, y, p, w: tf.metrics.true_negatives(y, p),
    "false_negatives": lambda tf, y, p, w: tf.metrics.false_negatives(y, p),
    "collections": lambda tf, y, p, w: tf.metrics.accuracy(
        y, p, metrics_collections=["my_metrics"], updates_collections=["my_updates"]
    ),
}


def _program(name):
    def program(tf):
        labels = tf.placeholder(tf.int64, [6], name="labels")
        predictions = tf.placeholder(tf.int64, [6], name="predictions")
        weights = tf.placeholder(tf.float64, [6], name="weights")
        value, update = METRICS[name](tf, labels, predictions, weights)
        return {"value": value, "update": update}

    return program


@pytest.mark.parametrize("name", sorted(METRICS))
def test_metric_graph_is_tfs(tf1, name):
    (tf_graph, _), (tm_graph, _) = P.assert_same_graph(tf1, _program(name))
    for key in ("local_variables", "metric_variables", "my_metrics", "my_updates"):
        names = [getattr(v, "name", None) for v in tf_graph.get_collection(key)]
        assert [getattr(v, "name", None) for v in tm_graph.get_collection(key)] == names


def _run(api, name):
    g, fetches = P.build(api, _program(name))
    out = []
    with g.as_default(), api.Session() as sess:
        sess.run(api.local_variables_initializer())
        for labels, predictions, weights in BATCHES:
            feed = {"labels:0": labels, "predictions:0": predictions, "weights:0": weights}
            update = sess.run(fetches["update"], feed)
            out.append((update, sess.run(fetches["value"])))
    return out


@pytest.mark.parametrize("name", sorted(METRICS))
def test_metric_values_after_updates_are_tfs(tf1, name):
    import torchmeta as tm

    expected, actual = _run(tf1, name), _run(tm, name)
    for (e_update, e_value), (a_update, a_value) in zip(expected, actual):
        np.testing.assert_allclose(a_update, e_update, rtol=1e-6)
        np.testing.assert_allclose(a_value, e_value, rtol=1e-6)
        assert np.asarray(a_value).dtype == np.asarray(e_value).dtype
