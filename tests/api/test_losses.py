"""tf.losses against TensorFlow 2.21: graphs node for node, values and gradients, collections."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api import tf_programs as P

pytest.importorskip("tensorflow")

_rng = np.random.default_rng(3)
LOGITS = _rng.standard_normal((4, 3)).astype(np.float32)
ONEHOT = np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]
SPARSE = np.array([0, 2, 1, 2], np.int64)
PRED = _rng.uniform(0.05, 0.95, (4, 3)).astype(np.float32)
TARGET = _rng.uniform(0, 1, (4, 3)).astype(np.float32)
BINARY = (TARGET > 0.5).astype(np.float32)
WEIGHTS = np.array([[1.0], [0.0], [2.0], [0.5]], np.float32)
UNIT = (PRED / np.linalg.norm(PRED, axis=1, keepdims=True)).astype(np.float32)


def _loss(fn):
    def program(tf):
        logits = tf.placeholder(tf.float32, [4, 3], name="logits")
        loss = fn(tf, logits)
        out = {"loss": loss, "grad": tf.gradients(loss, logits)[0]}
        out["collection"] = tf.add_n(tf.get_collection(tf.GraphKeys.LOSSES), name="collected")
        return out

    return program


LOSSES = {
    "softmax": lambda tf, x: tf.losses.softmax_cross_entropy(ONEHOT, x),
    "softmax-smoothing-weights": lambda tf, x: tf.losses.softmax_cross_entropy(
        ONEHOT, x, weights=WEIGHTS[:, 0], label_smoothing=0.1
    ),
    "softmax-none": lambda tf, x: tf.losses.softmax_cross_entropy(ONEHOT, x, reduction=tf.losses.Reduction.NONE),
    "sparse-softmax": lambda tf, x: tf.losses.sparse_softmax_cross_entropy(SPARSE, x),
    "sparse-softmax-weights": lambda tf, x: tf.losses.sparse_softmax_cross_entropy(
        SPARSE[:, None], x, weights=WEIGHTS, reduction=tf.losses.Reduction.MEAN
    ),
    "sigmoid": lambda tf, x: tf.losses.sigmoid_cross_entropy(BINARY, x),
    "sigmoid-smoothing": lambda tf, x: tf.losses.sigmoid_cross_entropy(
        BINARY, x, weights=2.0, label_smoothing=0.2, reduction=tf.losses.Reduction.SUM
    ),
    "mse": lambda tf, x: tf.losses.mean_squared_error(TARGET, x),
    "mse-weights-batch-size": lambda tf, x: tf.losses.mean_squared_error(
        TARGET, x, weights=WEIGHTS, reduction=tf.losses.Reduction.SUM_OVER_BATCH_SIZE
    ),
    "absolute": lambda tf, x: tf.losses.absolute_difference(TARGET, x, scope="abs"),
    "huber": lambda tf, x: tf.losses.huber_loss(TARGET, x * 2.0, delta=0.5),
    "hinge": lambda tf, x: tf.losses.hinge_loss(BINARY, x),
    "log": lambda tf, x: tf.losses.log_loss(BINARY, tf.sigmoid(x), weights=WEIGHTS),
    "cosine": lambda tf, x: tf.losses.cosine_distance(UNIT, tf.nn.l2_normalize(x, 1), axis=1),
    "pairwise": lambda tf, x: tf.losses.mean_pairwise_squared_error(TARGET, x, weights=WEIGHTS),
    "weighted": lambda tf, x: tf.losses.compute_weighted_loss(tf.square(x), weights=WEIGHTS),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_graph_is_tfs(tf1, name):
    P.assert_same_graph(tf1, _loss(LOSSES[name]))


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_values_and_gradients_are_tfs(tf1, tmp_path, name):
    expected, actual = P.run_tf_then_ours(tf1, _loss(LOSSES[name]), tmp_path, {"logits:0": LOGITS})
    P.assert_results_close(expected, actual, rtol=1e-5, atol=1e-6)


def _total(tf):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    h = tf.layers.dense(x, 3, kernel_regularizer=lambda w: 0.1 * tf.reduce_sum(tf.square(w)))
    w = tf.get_variable("w", [3], regularizer=lambda v: tf.reduce_sum(tf.abs(v)))
    tf.losses.mean_squared_error(TARGET, h * w)
    tf.losses.add_loss(tf.reduce_mean(h), loss_collection="my_losses")
    return {
        "total": tf.losses.get_total_loss(),
        "data_only": tf.losses.get_total_loss(add_regularization_losses=False, name="data_only"),
        "reg": tf.losses.get_regularization_loss(),
        "mine": tf.add_n(tf.losses.get_losses(loss_collection="my_losses")),
    }


def test_total_and_regularization_losses_are_tfs(tf1, tmp_path):
    P.assert_same_graph(tf1, _total)
    expected, actual = P.run_tf_then_ours(tf1, _total, tmp_path, {"x:0": TARGET})
    P.assert_results_close(expected, actual)


def test_empty_regularization_loss_is_a_zero_constant(tf1):
    P.assert_same_graph(tf1, lambda tf: {"reg": tf.losses.get_regularization_loss()})


def test_loss_errors_are_tfs(tf1):
    def errors(tf):
        out = []
        for build in (
            lambda: tf.losses.mean_squared_error(None, LOGITS),
            lambda: tf.losses.cosine_distance(ONEHOT, LOGITS),
            lambda: tf.losses.compute_weighted_loss(LOGITS, reduction="bad"),
            lambda: tf.losses.mean_squared_error(ONEHOT, LOGITS, weights=np.ones((3, 3), np.float32)),
            lambda: tf.losses.softmax_cross_entropy(ONEHOT, LOGITS[:, :2]),
        ):
            with tf.Graph().as_default():
                try:
                    build()
                    out.append(None)
                except (ValueError, TypeError) as e:
                    out.append((type(e).__name__, str(e).split(" Received weights=")[0]))
        return out

    from torchmeta import __name__ as _  # noqa: F401

    assert errors(tm) == errors(tf1)


REGULARIZERS = {
    "l2": lambda tf: tf.keras.regularizers.l2(0.05),
    "l1": lambda tf: tf.keras.regularizers.l1(),
    "l1_l2": lambda tf: tf.keras.regularizers.l1_l2(0.01, 0.02),
    "L1L2-l1-only": lambda tf: tf.keras.regularizers.L1L2(l1=0.3),
    "callable": lambda tf: lambda w: tf.nn.l2_loss(w) * 1e-3,
}


@pytest.mark.parametrize("name", sorted(REGULARIZERS))
def test_regularizers_are_tfs(tf1, tmp_path, name):
    def program(tf):
        with tf.variable_scope("net", regularizer=REGULARIZERS[name](tf)):
            w = tf.get_variable("w", [3, 2], initializer=tf.constant_initializer(0.5))
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        h = tf.layers.dense(x, 2, kernel_regularizer=REGULARIZERS[name](tf), bias_regularizer=REGULARIZERS[name](tf))
        y = tf.matmul(x, w) + h
        reg = tf.losses.get_regularization_loss()
        return {"y": y, "reg": reg, "grads": tf.gradients(reg, tf.trainable_variables())}

    P.assert_same_graph(tf1, program)
    expected, actual = P.run_tf_then_ours(tf1, program, tmp_path, {"x:0": TARGET})
    expected["grads"], actual["grads"] = (
        np.concatenate([g.ravel() for g in expected["grads"]]),
        np.concatenate([g.ravel() for g in actual["grads"]]),
    )
    P.assert_results_close(expected, actual)
