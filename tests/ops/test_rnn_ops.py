"""Fused RNN cells beyond the sample table: TF's kernel errors, and BlockLSTM/BlockLSTMV2 gradients built node for
node as rnn_grad.py builds them (one BlockLSTMGrad, also for V2) and run to TF's values. The cells come from
tf.raw_ops: TF 2.21 has no Python class building them (tf.contrib.rnn is gone)."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api.tf_programs import assert_same_graph
from tests.ops.harness import Sample, assert_same_runtime_error
from tests.ops.samples_rnn import _block_inputs, _cell_inputs, _gru_inputs

S = Sample
i64 = np.int64

RUNTIME_ERRORS = [
    S("LSTMBlockCell", {**_cell_inputs(), "h_prev": _cell_inputs()["h_prev"][:2]}, id="h-batch"),
    S("LSTMBlockCell", {**_cell_inputs(), "b": _cell_inputs()["b"][:4]}, id="b-size"),
    S("BlockLSTM", {**_block_inputs(), "seq_len_max": np.array([2], i64)}, id="seq-len-max-rank"),
    S("BlockLSTM", {**_block_inputs(), "x": _block_inputs()["x"][0]}, id="x-rank"),
    S("BlockLSTM", {**_block_inputs(), "w": _block_inputs()["w"][:, :8]}, id="w-columns"),
    S("BlockLSTMV2", {**_block_inputs(), "wcf": _block_inputs()["wcf"][:2]}, id="wcf-size"),
    S("GRUBlockCell", {**_gru_inputs(), "b_c": _gru_inputs()["b_c"][:2]}, id="b-c-size"),
]


@pytest.mark.parametrize("sample", RUNTIME_ERRORS, ids=lambda s: s.name)
def test_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


@pytest.mark.parametrize("op", ["BlockLSTM", "BlockLSTMV2"])
@pytest.mark.parametrize("use_peephole", [False, True], ids=["plain", "peephole"])
def test_block_lstm_gradient_graph_is_tfs(tf1, op, use_peephole):
    import tensorflow as tf

    values = _block_inputs(3)

    def program(api):
        raw = tf.raw_ops if api is tf1 else tm.raw_ops
        tensors = {k: api.constant(v, name=k) for k, v in values.items()}
        outs = getattr(raw, op)(**tensors, use_peephole=use_peephole)
        h, cs = outs[6], outs[1]  # (TF returns a namedtuple, torchmeta a list)
        loss = api.reduce_sum(h * h) + api.reduce_sum(cs)
        wrt = [tensors[k] for k in ("x", "cs_prev", "h_prev", "w", "wci", "wcf", "wco", "b")]
        return [h, *api.gradients(loss, wrt)]

    assert_same_graph(tf1, program)
    results = []
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            fetches = program(api)
            with api.Session(graph=g) as sess:
                results.append(sess.run(fetches))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
