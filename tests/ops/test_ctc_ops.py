"""CTCGreedyDecoder beyond the sample table: TF's kernel and shape errors, and tf.nn.ctc_greedy_decoder built node
for node as TensorFlow builds it (a SparseTensor of the decoded sequences and the log probabilities)."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api.tf_programs import assert_same_graph
from tests.ops.harness import Sample, assert_same_runtime_error, assert_same_shape_error

S = Sample
f32, i32 = np.float32, np.int32
_X = np.random.default_rng(2).standard_normal((4, 2, 3)).astype(f32)
_L = np.array([4, 2], i32)

RUNTIME_ERRORS = [
    S("CTCGreedyDecoder", {"inputs": _X[0], "sequence_length": _L}, id="rank"),
    S("CTCGreedyDecoder", {"inputs": _X[:, :, :0], "sequence_length": _L}, id="empty"),
    S("CTCGreedyDecoder", {"inputs": _X, "sequence_length": _L.reshape(2, 1)}, id="lengths-rank"),
    S("CTCGreedyDecoder", {"inputs": _X, "sequence_length": _L[:1]}, id="batch"),
    S("CTCGreedyDecoder", {"inputs": _X, "sequence_length": np.array([4, 5], i32)}, id="too-long"),
    S("CTCGreedyDecoder", {"inputs": _X, "sequence_length": _L}, {"blank_index": 3}, id="blank-high"),
    S("CTCGreedyDecoder", {"inputs": _X, "sequence_length": _L}, {"blank_index": -4}, id="blank-low"),
    S("CTCBeamSearchDecoder", {"inputs": _X, "sequence_length": _L}, {"beam_width": 2, "top_paths": 3}, id="paths"),
    S(
        "CTCBeamSearchDecoder",
        {"inputs": _X, "sequence_length": np.array([4, 5], i32)},
        {"beam_width": 2, "top_paths": 1},
        id="too-long",
    ),
]


@pytest.mark.parametrize("sample", RUNTIME_ERRORS, ids=lambda s: s.name)
def test_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


SHAPE_ERRORS = [
    S("CTCGreedyDecoder", {"inputs": _X[0], "sequence_length": _L}, id="rank"),
    S("CTCGreedyDecoder", {"inputs": _X, "sequence_length": _L.reshape(2, 1)}, id="lengths-rank"),
    S("CTCGreedyDecoder", {"inputs": _X, "sequence_length": _L[:1]}, id="batch"),
]


@pytest.mark.parametrize("sample", SHAPE_ERRORS, ids=lambda s: s.name)
def test_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)


def _program(tf):
    x = tf.placeholder(tf.float32, [4, 2, 3], name="x")
    (decoded,), log_prob = tf.nn.ctc_greedy_decoder(x, tf.constant(_L))
    (unmerged,), log_prob2 = tf.nn.ctc_greedy_decoder(x, tf.constant(_L), merge_repeated=False, blank_index=0)
    dense = tf.sparse.to_dense(decoded, default_value=-1)
    beams, log_prob3 = tf.nn.ctc_beam_search_decoder(x, tf.constant(_L), beam_width=3, top_paths=2)
    fetches = [decoded.indices, decoded.values, decoded.dense_shape, log_prob, dense, unmerged.values, log_prob2]
    return {"x": x}, [*fetches, beams[0].values, beams[1].indices, beams[1].dense_shape, log_prob3]


def test_ctc_greedy_decoder_builds_tf_graph(tf1):
    assert_same_graph(tf1, lambda tf: _program(tf)[1])
    results = []
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            inputs, fetches = _program(api)
            with api.Session(graph=g) as sess:
                results.append(sess.run(fetches, {inputs["x"]: _X}))
    for ours, theirs in zip(results[1], results[0]):
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=1e-5)


# ---------------------------------------------------------------------------------------------
# CTCLoss

_LOSS_X = np.random.default_rng(3).standard_normal((5, 2, 4)).astype(f32)
_I64 = np.int64


def _ctc_loss(indices, values, lengths=(5, 5), x=_LOSS_X, **attrs):
    inputs = {
        "inputs": x,
        "labels_indices": np.array(indices, _I64).reshape(-1, 2),
        "labels_values": np.array(values, i32),
        "sequence_length": np.array(lengths, i32),
    }
    return inputs, attrs


CTC_LOSS_RUNTIME_ERRORS = [
    S("CTCLoss", *_ctc_loss([[0, 0], [0, 1]], [1, 2]), id="labels-empty"),
    S("CTCLoss", *_ctc_loss([[0, 0], [1, 0], [1, 1], [1, 2]], [1, 0, 1, 2], lengths=(5, 2)), id="not-enough-time"),
    S("CTCLoss", *_ctc_loss([[0, 0], [0, 1], [1, 0]], [3, 1, 1]), id="label-after-blank"),
    S("CTCLoss", *_ctc_loss([[0, 0], [1, 0]], [-1, 1]), id="negative-label"),
    S("CTCLoss", *_ctc_loss([[0, 0], [1, 0]], [1, 1], lengths=(5, 6)), id="too-long"),
    S("CTCLoss", *_ctc_loss([[0, 0], [1, 0]], [1, 1], lengths=(5, -1)), id="negative-length"),
    S("CTCLoss", *_ctc_loss([[0, 0], [1, 0]], [1, 1], lengths=(5,)), id="batch"),
    S("CTCLoss", *_ctc_loss([[0, 0], [1, 0]], [1, 1, 1]), id="rows"),
    S("CTCLoss", *_ctc_loss([[1, 0], [0, 0]], [1, 1]), id="out-of-order"),
    S("CTCLoss", *_ctc_loss([[0, 0], [0, 0], [1, 0]], [1, 1, 1]), id="repeated"),
    S("CTCLoss", *_ctc_loss([[0, 0], [2, 0]], [1, 1]), id="batch-out-of-bounds"),
]


@pytest.mark.parametrize("sample", CTC_LOSS_RUNTIME_ERRORS, ids=lambda s: s.name)
def test_ctc_loss_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


CTC_LOSS_SHAPE_ERRORS = [
    S("CTCLoss", *_ctc_loss([[0, 0], [1, 0]], [1, 1], x=_LOSS_X[0]), id="rank"),
    S("CTCLoss", *_ctc_loss([[0, 0], [1, 0]], [1, 1], lengths=(5, 5, 5)), id="batch"),
    S("CTCLoss", *_ctc_loss([[0, 0], [1, 0]], [1, 1, 1]), id="rows"),
]


@pytest.mark.parametrize("sample", CTC_LOSS_SHAPE_ERRORS, ids=lambda s: s.name)
def test_ctc_loss_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)
