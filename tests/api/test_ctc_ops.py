"""``tf.nn.ctc_loss`` (TF1) builds TF's graph (CTCLoss on time-major logits, a transpose for batch-major ones,
float32 for float16) and gives TF's losses and gradients with respect to the logits."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api.test_nn_ops import _compare

rng = np.random.default_rng(5)
LOGITS = rng.standard_normal((6, 2, 5)).astype(np.float32)
INDICES = np.array([[0, 0], [0, 1], [0, 2], [1, 0], [1, 1]], np.int64)
VALUES = np.array([2, 2, 1, 0, 3], np.int32)


def _labels(tf):
    return tf.SparseTensor(INDICES, VALUES, [2, 3])


def _loss_and_grad(tf, ph, **kwargs):
    x = ph("x", [None, None, 5])
    loss = tf.nn.ctc_loss(_labels(tf), x, ph("n", [None]), **kwargs)
    return [loss, *tf.gradients(loss * [1.0, 2.0], x)]


CASES = {
    "default": lambda tf, ph: _loss_and_grad(tf, ph),
    "no-merge": lambda tf, ph: _loss_and_grad(tf, ph, ctc_merge_repeated=False),
    "collapse": lambda tf, ph: _loss_and_grad(tf, ph, preprocess_collapse_repeated=True),
    "ignore-longer": lambda tf, ph: _loss_and_grad(tf, ph, ignore_longer_outputs_than_inputs=True),
    "batch-major-logits": lambda tf, ph: tf.nn.ctc_loss(
        _labels(tf), logits=np.transpose(LOGITS, (1, 0, 2)), sequence_length=[6, 4], time_major=False
    ),
    "float16": lambda tf, ph: tf.nn.ctc_loss(_labels(tf), LOGITS.astype(np.float16), [6, 5]),
    "collapse_repeated": lambda tf, ph: [
        *tf.nn.collapse_repeated(DENSE, [5, 3, 0]),
        *tf.nn.collapse_repeated(ph("d", [None, None]), ph("dn", [None]), name="cr"),
    ],
    "ctc_unique_labels": lambda tf, ph: [*tf.nn.ctc_unique_labels(DENSE), *tf.nn.ctc_unique_labels(DENSE[:1], "u")],
    "ctc_beam_search_decoder_v2": lambda tf, ph: (
        [
            (t.indices, t.values, t.dense_shape) if hasattr(t, "indices") else t
            for t in [*tf.nn.ctc_beam_search_decoder_v2(LOGITS, [6, 4], beam_width=3, top_paths=2)[0]]
        ]
        + [tf.nn.ctc_beam_search_decoder_v2(LOGITS, [6, 4], beam_width=3, top_paths=2)[1]]
    ),
}
DENSE = np.array([[1, 1, 2, 2, 3], [4, 4, 4, 0, 0], [5, 5, 0, 0, 0]], np.int32)
FEEDS = {
    "d": DENSE,
    "dn": np.array([4, 5, 2], np.int32),
    "x": LOGITS,
    "n": np.array([6, 1], np.int32),
}  # entry 1: two labels, one step


@pytest.mark.parametrize("case", list(CASES))
def test_graph_and_values_match_tf(tf1, case):
    feeds = FEEDS if case == "ignore-longer" else dict(FEEDS, n=np.array([6, 3], np.int32))
    _compare(tf1, CASES[case], feeds, rtol=1e-5 if case != "float16" else 1e-3, atol=1e-5)


def test_second_derivative_is_refused(tf1):
    for tf in (tf1, tm):
        with tf.Graph().as_default():
            x = tf.constant(LOGITS)
            (grad,) = tf.gradients(tf.nn.ctc_loss(_labels(tf), x, [6, 3]), x)
            with pytest.raises(LookupError, match="second  derivative of ctc_loss"):
                tf.gradients(grad, x)


def test_labels_must_be_sparse(tf1):
    messages = []
    for tf in (tf1, tm):
        with tf.Graph().as_default(), pytest.raises(TypeError) as error:
            tf.nn.ctc_loss([[1, 2]], LOGITS, [6, 6])
        messages.append(str(error.value))
    assert messages[0] == messages[1]
