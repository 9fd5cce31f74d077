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
