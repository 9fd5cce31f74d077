"""nn_impl's small layers, losses and moment helpers, ``crelu``, the single-replica distribution losses and
``safe_embedding_lookup_sparse`` build TF's graph, compute TF's values and gradients, and fail like TF."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api.test_nn_ops import _compare

rng = np.random.default_rng(2)
X = rng.standard_normal((4, 3)).astype(np.float32)
W = rng.standard_normal((3, 5)).astype(np.float32)
B = rng.standard_normal(5).astype(np.float32)
IMG = rng.standard_normal((2, 3, 4, 3)).astype(np.float32)
EMB = rng.standard_normal((6, 4)).astype(np.float32)


def _grads(tf, out, wrt):
    return [out, *tf.gradients(tf.reduce_sum(out * out), wrt)]


def _sparse(tf, indices, values, shape, dtype=None):
    return tf.SparseTensor(np.array(indices, np.int64), np.array(values, dtype), np.array(shape, np.int64))


CASES = {
    "crelu": lambda tf, ph: _grads(
        tf, tf.nn.crelu(ph("x", [None, 3])), tf.get_default_graph().get_tensor_by_name("x:0")
    ),
    "crelu-axis-named": lambda tf, ph: tf.nn.crelu(IMG, name="cr", axis=1),
    "swish-silu": lambda tf, ph: [
        *_grads(tf, tf.nn.swish(ph("x", [None, 3])), tf.get_default_graph().get_tensor_by_name("x:0")),
        *tf.gradients(tf.nn.silu(X, beta=ph("b", [])) * X, [tf.get_default_graph().get_tensor_by_name("b:0")]),
        tf.nn.swish(X.astype(np.float64), 0.5),
    ],
    "relu_layer": lambda tf, ph: _grads(
        tf, tf.nn.relu_layer(ph("x", [None, 3]), W, B), tf.get_default_graph().get_tensor_by_name("x:0")
    ),
    "log_poisson_loss": lambda tf, ph: [
        tf.nn.log_poisson_loss(np.abs(X) * 3, X),
        tf.nn.log_poisson_loss(ph("t", [None, 3]), X, compute_full_loss=True, name="lp"),
    ],
    "sufficient_statistics-normalize_moments": lambda tf, ph: [
        *[t for t in tf.nn.sufficient_statistics(IMG, [0, 1, 2]) if t is not None],
        *tf.nn.sufficient_statistics(ph("i", [None, 3, 4, 3]), [0, -2], shift=0.5, keepdims=True),
        *tf.nn.normalize_moments(*tf.nn.sufficient_statistics(IMG, [0, 1, 2])),
        *tf.nn.normalize_moments(4.0, X.sum(0), (X * X).sum(0), tf.constant(0.25), name="nm"),
    ],
    "weighted_moments": lambda tf, ph: [
        *tf.nn.weighted_moments(IMG, [1, 2], np.ones((2, 3, 4, 1), np.float32) * 2),
        *tf.nn.weighted_moments(X, [0], np.arange(4, dtype=np.int32).reshape(4, 1), keep_dims=True, name="wm"),
        *tf.nn.weighted_moments(X.astype(np.float16), [1], np.float16(3)),
    ],
    "batch_norm_with_global_normalization": lambda tf, ph: [
        tf.nn.batch_norm_with_global_normalization(IMG, B[:3], np.abs(B[:3]), B[2:], B[1:4], 0.001, True),
        tf.nn.batch_norm_with_global_normalization(
            input=IMG,
            mean=B[:3],
            variance=np.abs(B[:3]),
            beta=B[2:],
            gamma=B[1:4],
            variance_epsilon=0.01,
            scale_after_normalization=False,
            name="bn",
        ),
    ],
    "scale_regularization_loss": lambda tf, ph: tf.nn.scale_regularization_loss(tf.constant(X)),
    "compute_average_loss": lambda tf, ph: [
        tf.nn.compute_average_loss(ph("l", [None])),
        tf.nn.compute_average_loss(ph("l2", None), sample_weight=ph("w", None)),
        tf.nn.compute_average_loss(np.arange(6, dtype=np.float32), sample_weight=[[1.0]] * 6, global_batch_size=8),
        tf.nn.compute_average_loss(X, sample_weight=np.arange(4, dtype=np.float32)),
    ],
    "safe_embedding_lookup_sparse": lambda tf, ph: [
        tf.nn.safe_embedding_lookup_sparse(
            EMB, _sparse(tf, [[0, 0], [0, 1], [2, 0], [3, 1]], [1, -1, 5, 2], [4, 2], np.int64)
        ),
        tf.nn.safe_embedding_lookup_sparse(
            [EMB[:3], EMB[3:]],
            _sparse(tf, [[0, 0, 0], [0, 1, 1], [1, 1, 0], [1, 0, 0]], [1, 4, 5, 2], [2, 2, 2], np.int64),
            _sparse(tf, [[0, 0, 0], [0, 1, 1], [1, 1, 0], [1, 0, 0]], [0.5, -1.0, 2.0, 1.0], [2, 2, 2], np.float32),
            combiner="sqrtn",
            default_id=3,
            name="safe",
        ),
    ],
}
FEEDS = {
    "x": X,
    "b": np.float32(1.5),
    "t": np.abs(X) * 2,
    "i": IMG,
    "l": np.arange(5, dtype=np.float32),
    "l2": np.arange(5, dtype=np.float32),
    "w": np.arange(5, dtype=np.float32).reshape(5, 1),
}


@pytest.mark.parametrize("case", list(CASES))
def test_graph_and_values_match_tf(tf1, case):
    _compare(tf1, CASES[case], FEEDS, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "call",
    [
        lambda tf: tf.nn.log_poisson_loss(X, X[:2]),
        lambda tf: tf.nn.compute_average_loss(3.0),
        lambda tf: tf.nn.safe_embedding_lookup_sparse(None, None),
        lambda tf: tf.nn.safe_embedding_lookup_sparse([], None),
    ],
    ids=["log_poisson-shapes", "average-scalar", "safe-none", "safe-empty"],
)
def test_value_errors_match_tf(tf1, call):
    with tf1.Graph().as_default():
        with pytest.raises(ValueError) as theirs:
            call(tf1)
    with tm.Graph().as_default():
        with pytest.raises(ValueError) as ours:
            call(tm)
    assert str(ours.value).replace("tm.", "tf.") == str(theirs.value)
