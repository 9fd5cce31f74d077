"""Samples for the fused RNN cells (torchmeta/ops/rnn_ops.py): LSTMBlockCell, BlockLSTM, BlockLSTMV2 (with and
without peepholes, cell clipping, a forget bias, seq_len_max short of the sequence), GRUBlockCell and the
gradient ops; float32 and half."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample

S = Sample
f16, f32, i64 = np.float16, np.float32, np.int64
_rng = np.random.default_rng(53)
HALF = {"rtol": 2e-2, "atol": 2e-2}


def _r(*shape, scale=0.5, dtype=f32):
    return (_rng.standard_normal(shape) * scale).astype(dtype)


B, IN, CELL, TIME = 3, 4, 5, 4


def _lstm_weights(dtype=f32):
    return {
        "w": _r(IN + CELL, 4 * CELL, dtype=dtype),
        "wci": _r(CELL, dtype=dtype),
        "wcf": _r(CELL, dtype=dtype),
        "wco": _r(CELL, dtype=dtype),
        "b": _r(4 * CELL, dtype=dtype),
    }


def _cell_inputs(dtype=f32):
    return {"x": _r(B, IN, dtype=dtype), "cs_prev": _r(B, CELL, scale=2, dtype=dtype), "h_prev": _r(B, CELL, dtype=dtype),
            **_lstm_weights(dtype)}  # fmt: skip


def _block_inputs(steps=TIME, dtype=f32):
    return {"seq_len_max": i64(steps), "x": _r(TIME, B, IN, dtype=dtype), "cs_prev": _r(B, CELL, dtype=dtype),
            "h_prev": _r(B, CELL, dtype=dtype), **_lstm_weights(dtype)}  # fmt: skip


def _lstm_cell_grad_inputs(use_peephole):
    import torch

    from torchmeta.ops import rnn_ops

    inputs = _cell_inputs()
    outputs = rnn_ops.lstm_block_cell(*(torch.tensor(v) for v in inputs.values()), 1.0, 3.0, use_peephole)
    names = ("i", "cs", "f", "o", "ci", "co")
    return {**inputs, **{n: v.numpy() for n, v in zip(names, outputs)}, "cs_grad": _r(B, CELL), "h_grad": _r(B, CELL)}


def _block_grad_inputs(v2, steps=TIME, use_peephole=False):
    import torch

    from torchmeta.ops import rnn_ops

    inputs = _block_inputs(steps)
    args = [torch.tensor(v) for v in inputs.values()]
    if v2:
        outputs = rnn_ops.block_lstm_v2(*args, 0.0, use_peephole)
    else:
        outputs = rnn_ops.block_lstm(*args, 1.0, 3.0, use_peephole)
    names = ("i", "cs", "f", "o", "ci", "co", "h")
    grads = {"cs_grad": _r(TIME, B, CELL), "h_grad": _r(TIME, B, CELL)}
    return {**inputs, **{n: v.numpy() for n, v in zip(names, outputs)}, **grads}


def _gru_inputs():
    return {"x": _r(B, IN), "h_prev": _r(B, CELL), "w_ru": _r(IN + CELL, 2 * CELL), "w_c": _r(IN + CELL, CELL),
            "b_ru": _r(2 * CELL), "b_c": _r(CELL)}  # fmt: skip


def _gru_grad_inputs():
    import torch

    from torchmeta.ops import rnn_ops

    inputs = _gru_inputs()
    r, u, c, _ = rnn_ops.gru_block_cell(*(torch.tensor(v) for v in inputs.values()))
    return {**inputs, "r": r.numpy(), "u": u.numpy(), "c": c.numpy(), "d_h": _r(B, CELL)}


# After seq_len_max TF leaves i, f, o, ci, co unwritten (only cs and h are zeroed): only dtypes compared there.
_UNWRITTEN = (0, 2, 3, 4, 5)

SAMPLES: list[Sample] = [
    S("LSTMBlockCell", _cell_inputs(), id="default"),
    S(
        "LSTMBlockCell",
        _cell_inputs(),
        {"use_peephole": True, "forget_bias": 0.5, "cell_clip": 0.7},
        id="peephole-clip",
    ),
    S("LSTMBlockCell", _cell_inputs(), {"cell_clip": -1.0}, id="no-clip"),
    S("LSTMBlockCell", _cell_inputs(f16), {"use_peephole": True}, id="f16", **HALF),
    S("LSTMBlockCell", _cell_inputs(), fed={"x": [None, IN], "cs_prev": None}, id="unknown"),
    S("LSTMBlockCellGrad", _lstm_cell_grad_inputs(False), {"use_peephole": False}, id="default"),
    S("LSTMBlockCellGrad", _lstm_cell_grad_inputs(True), {"use_peephole": True}, id="peephole"),
    S("BlockLSTM", _block_inputs(), id="default", rtol=1e-5),
    S("BlockLSTM", _block_inputs(), {"use_peephole": True, "forget_bias": 0.0, "cell_clip": 0.5}, id="peephole"),
    S("BlockLSTM", _block_inputs(2), opaque_outputs=_UNWRITTEN, grad=False, id="short"),
    S("BlockLSTM", _block_inputs(0), opaque_outputs=_UNWRITTEN, grad=False, id="zero-steps"),
    S("BlockLSTM", _block_inputs(dtype=f16), id="f16", **HALF),
    S("BlockLSTM", _block_inputs(), fed={"x": [None, None, IN], "b": None}, id="unknown"),
    S("BlockLSTMV2", _block_inputs(), id="default"),
    S("BlockLSTMV2", _block_inputs(), {"use_peephole": True, "cell_clip": 1.0}, id="peephole-clip"),
    S("BlockLSTMV2", _block_inputs(3), opaque_outputs=_UNWRITTEN, grad=False, id="short"),
    S("BlockLSTMGrad", _block_grad_inputs(False), {"use_peephole": False}, id="default"),
    S("BlockLSTMGrad", _block_grad_inputs(False, 3, True), {"use_peephole": True}, id="peephole-short"),
    S("BlockLSTMGradV2", _block_grad_inputs(True), {"use_peephole": False}, id="default"),
    S("BlockLSTMGradV2", _block_grad_inputs(True, 2, True), {"use_peephole": True}, id="peephole-short"),
    S("GRUBlockCell", _gru_inputs(), id="default"),
    S("GRUBlockCell", _gru_inputs(), fed={"x": [None, None], "h_prev": None}, id="unknown"),
    S("GRUBlockCellGrad", _gru_grad_inputs(), id="default"),
]
