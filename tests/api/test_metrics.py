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
    "mean_absolute_error": lambda tf, y, p, w: tf.metrics.mean_absolute_error(
        tf.cast(y, tf.float32), tf.cast(p, tf.float32) * 0.7, weights=w
    ),
    "mean_squared_error": lambda tf, y, p, w: tf.metrics.mean_squared_error(
        tf.cast(y, tf.float32), tf.cast(p, tf.float32) * 0.7 + 0.1
    ),
    "root_mean_squared_error": lambda tf, y, p, w: tf.metrics.root_mean_squared_error(
        tf.cast(y, tf.float32), tf.cast(p, tf.float32) - 0.3, weights=w, metrics_collections=["my_metrics"]
    ),
    "mean_relative_error": lambda tf, y, p, w: tf.metrics.mean_relative_error(
        tf.cast(y, tf.float32), tf.cast(p, tf.float32) * 0.5, normalizer=tf.cast(y, tf.float32) * 2.0
    ),
    "mean_per_class_accuracy": lambda tf, y, p, w: tf.metrics.mean_per_class_accuracy(y, p, 2),
    "mean_per_class_accuracy-weighted": lambda tf, y, p, w: tf.metrics.mean_per_class_accuracy(
        tf.reshape(y, [2, 3]), tf.reshape(p, [2, 3]), 3, weights=tf.reshape(w, [2, 3]), name="per_class"
    ),
    "mean_tensor": lambda tf, y, p, w: tf.metrics.mean_tensor(tf.cast(p, tf.float32) * 1.5, weights=w),
    "percentage_below": lambda tf, y, p, w: tf.metrics.percentage_below(w, 0.5),
    "mean_iou": lambda tf, y, p, w: tf.metrics.mean_iou(y, p, 2),
    "mean_iou-weighted": lambda tf, y, p, w: tf.metrics.mean_iou(
        tf.reshape(y, [3, 2]), tf.reshape(p, [3, 2]), 3, weights=tf.reshape(w, [3, 2]), name="iou"
    ),
    "auc": lambda tf, y, p, w: tf.metrics.auc(y, w),
    "auc-weighted-pr": lambda tf, y, p, w: tf.metrics.auc(
        y,
        w,
        weights=tf.cast(p, tf.float64) + 0.5,
        num_thresholds=20,
        curve="PR",
        summation_method="careful_interpolation",
    ),
    "auc-minoring": lambda tf, y, p, w: tf.metrics.auc(y, w, thresholds=[0.3, 0.6, 0.1], summation_method="minoring"),
    "auc-pr-majoring": lambda tf, y, p, w: tf.metrics.auc(y, w, curve="PR", summation_method="majoring"),
    "true_positives_at_thresholds": lambda tf, y, p, w: tf.metrics.true_positives_at_thresholds(y, w, [0.2, 0.5]),
    "false_negatives_at_thresholds": lambda tf, y, p, w: tf.metrics.false_negatives_at_thresholds(
        y, w, [0.2, 0.5], weights=tf.cast(p, tf.float32) + 1.0
    ),
    "sensitivity_at_specificity": lambda tf, y, p, w: tf.metrics.sensitivity_at_specificity(y, w, 0.6),
    "specificity_at_sensitivity": lambda tf, y, p, w: tf.metrics.specificity_at_sensitivity(
        y, w, 0.4, weights=tf.cast(p, tf.float32) + 0.5, num_thresholds=30
    ),
    "precision_at_thresholds": lambda tf, y, p, w: tf.metrics.precision_at_thresholds(y, w, [0.1, 0.4, 0.8]),
    "recall_at_thresholds": lambda tf, y, p, w: tf.metrics.recall_at_thresholds(y, w, [0.1, 0.4, 0.8], name="r"),
    # A rank known only at run time: TF decides the squeezing with tf.cond (and checks that the weights
    # broadcast with an Assert over a cond and a set difference).
    "mean-weights-unknown-rank": lambda tf, y, p, w: tf.metrics.mean(
        tf.cast(y, tf.float32), weights=tf.placeholder_with_default(w, None)
    ),
    "mean_squared_error-labels-unknown-rank": lambda tf, y, p, w: tf.metrics.mean_squared_error(
        tf.placeholder_with_default(tf.cast(y, tf.float32), None), tf.cast(p, tf.float32)
    ),
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


@pytest.mark.parametrize("weights_shape", [[6], [6, 1], []], ids=["same", "squeezed", "scalar"])
def test_weights_of_unknown_rank_are_adjusted_by_tfs_conds(tf1, tmp_path, weights_shape):
    """metrics_impl._remove_squeezable_dimensions for weights whose rank is known only at run time:
    TF's three nested conds (scalar, squeeze, expand), node for node, and the weights they pass on."""
    from tensorflow.python.ops import metrics_impl

    from torchmeta.api import metrics as tm_metrics

    def program(tf):
        impl = tm_metrics if tf.__name__.startswith("torchmeta") else metrics_impl
        predictions = tf.placeholder(tf.float32, [6, 1], name="predictions")
        weights = tf.placeholder(tf.float32, None, name="weights")
        _, _, adjusted = impl._remove_squeezable_dimensions(predictions, None, weights)
        return {"weights": tf.identity(adjusted, name="adjusted")}

    P.assert_same_graph(tf1, program)
    feeds = {"predictions:0": np.ones((6, 1), np.float32), "weights:0": np.ones(weights_shape, np.float32) * 0.5}
    expected, actual = P.run_tf_then_ours(tf1, program, tmp_path, feeds)
    P.assert_results_close(expected, actual)


_K_BATCHES = [
    (
        _rng.integers(0, 5, 4).astype(np.int64),
        _rng.integers(0, 5, (4, 2)).astype(np.int64),
        _rng.standard_normal((4, 5)).astype(np.float32),
        _rng.uniform(0.5, 2.0, 4),
    )
    for _ in range(3)
]

AT_K = {
    "recall_at_k": lambda tf, y, ym, p, w: tf.metrics.recall_at_k(y, p, 2),
    "recall_at_k-multilabel-weighted": lambda tf, y, ym, p, w: tf.metrics.recall_at_k(ym, p, 3, weights=w),
    "recall_at_k-class": lambda tf, y, ym, p, w: tf.metrics.recall_at_k(ym, p, 2, class_id=3),
    "precision_at_k": lambda tf, y, ym, p, w: tf.metrics.precision_at_k(y, p, 1, metrics_collections=["my_metrics"]),
    "precision_at_k-multilabel-class": lambda tf, y, ym, p, w: tf.metrics.precision_at_k(
        ym, p, 3, class_id=1, weights=w, name="p3"
    ),
    "sparse_precision_at_k": lambda tf, y, ym, p, w: tf.metrics.sparse_precision_at_k(y, p, 2),
    "precision_at_top_k": lambda tf, y, ym, p, w: tf.metrics.precision_at_top_k(ym, tf.nn.top_k(p, 2)[1], k=2),
    "average_precision_at_k": lambda tf, y, ym, p, w: tf.metrics.average_precision_at_k(y, p, 3),
    "average_precision_at_k-multilabel-weighted": lambda tf, y, ym, p, w: tf.metrics.sparse_average_precision_at_k(
        ym + 2, p, 2, weights=w, name="ap"
    ),
    "recall_at_top_k-unknown-rank": lambda tf, y, ym, p, w: tf.metrics.recall_at_top_k(
        tf.placeholder_with_default(y, None), tf.nn.top_k(p, 2)[1]
    ),
    # SparseTensor labels: TF's SparseReshape under a tf.cond returning a SparseTensor (expand_labels), and
    # for average precision the sparse expand_and_tile (SparseReshape, SparseConcat) and label cleaning cond.
    "recall_at_k-sparse": lambda tf, y, ym, p, w: tf.metrics.recall_at_k(_sparse_labels(tf), p, 2),
    "precision_at_k-sparse-class-weighted": lambda tf, y, ym, p, w: tf.metrics.precision_at_k(
        _sparse_labels(tf), p, 3, class_id=1, weights=w
    ),
    "average_precision_at_k-sparse": lambda tf, y, ym, p, w: tf.metrics.average_precision_at_k(
        _sparse_labels(tf), p, 3
    ),
    "average_precision_at_k-sparse-weighted": lambda tf, y, ym, p, w: tf.metrics.sparse_average_precision_at_k(
        _sparse_labels(tf), p, 1, weights=w
    ),
    "recall_at_top_k-sparse": lambda tf, y, ym, p, w: tf.metrics.recall_at_top_k(
        _sparse_labels(tf), tf.nn.top_k(p, 2)[1]
    ),
}


def _sparse_labels(tf):
    return tf.sparse_placeholder(tf.int64, name="sparse_labels")


def _sparse_feed(multilabels):
    """The multilabels as a SparseTensor feed [4, 2] in row-major order, dropping every third entry (rows of
    different lengths) and making one label out of range (>= the 5 classes: cleaned to -1 by TF)."""
    indices = [[i, j] for i in range(4) for j in range(2) if (2 * i + j) % 3 != 2]
    values = np.array([multilabels[i, j] for i, j in indices], np.int64)
    values[1] = 7
    return {
        "sparse_labels/indices:0": np.array(indices, np.int64),
        "sparse_labels/values:0": values,
        "sparse_labels/shape:0": np.array([4, 2], np.int64),
    }


def _k_program(name):
    def program(tf):
        labels = tf.placeholder(tf.int64, [4], name="labels")
        multilabels = tf.placeholder(tf.int64, [4, 2], name="multilabels")
        predictions = tf.placeholder(tf.float32, [4, 5], name="predictions")
        weights = tf.placeholder(tf.float64, [4], name="weights")
        value, update = AT_K[name](tf, labels, multilabels, predictions, weights)
        return {"value": value, "update": update}

    return program


@pytest.mark.parametrize("name", sorted(AT_K))
def test_at_k_metric_graph_and_values_are_tfs(tf1, name):
    """precision/recall at k: TF's set ops over the top-k ids and the labels (class_id through a set
    intersection with a filled class), float64 local variables, the values after each batch."""
    import torchmeta as tm

    (tf_graph, _), (tm_graph, _) = P.assert_same_graph(tf1, _k_program(name))
    for key in ("local_variables", "my_metrics"):
        names = [getattr(v, "name", None) for v in tf_graph.get_collection(key)]
        assert [getattr(v, "name", None) for v in tm_graph.get_collection(key)] == names

    def run(api):
        g, fetches = P.build(api, _k_program(name))
        out = []
        with g.as_default(), api.Session() as sess:
            sess.run(api.local_variables_initializer())
            for labels, multilabels, predictions, weights in _K_BATCHES:
                feed = {
                    "labels:0": labels,
                    "multilabels:0": multilabels,
                    "predictions:0": predictions,
                    "weights:0": weights,
                }
                if "sparse" in name and name != "sparse_precision_at_k":
                    feed.update(_sparse_feed(multilabels))
                out.append((sess.run(fetches["update"], feed), sess.run(fetches["value"])))
        return out

    for (e_update, e_value), (a_update, a_value) in zip(run(tf1), run(tm)):
        np.testing.assert_allclose(a_update, e_update, rtol=1e-6)
        np.testing.assert_allclose(a_value, e_value, rtol=1e-6)
        assert np.asarray(a_value).dtype == np.asarray(e_value).dtype


def test_weights_that_do_not_broadcast_fail_the_run_as_in_tf(tf1):
    """Weights whose shape is known only at run time: TF's assert_broadcastable fails the update."""
    import torchmeta as tm

    def failure(api):
        with api.Graph().as_default():
            values = api.placeholder(api.float32, [6], name="values")
            weights = api.placeholder(api.float32, None, name="weights")
            _, update = api.metrics.mean(values, weights=weights)
            with api.Session() as sess:
                sess.run(api.local_variables_initializer())
                ok = sess.run(update, {values: np.ones(6), weights: np.full((6,), 0.5)})
                try:
                    sess.run(update, {values: np.ones(6), weights: np.ones((3,))})
                except Exception as e:  # both frameworks' InvalidArgumentError
                    lines = [line.strip() for line in str(e).splitlines() if "assertion failed" in line]
                    return ok, type(e).__name__, lines[:1]
        return ok, None, None

    ours, theirs = failure(tm), failure(tf1)
    assert ours == theirs
    assert ours[1] == "InvalidArgumentError"
