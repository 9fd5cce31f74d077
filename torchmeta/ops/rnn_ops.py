"""The fused RNN cells of frozen TF1 graphs (tf.contrib.rnn's LSTMBlockCell / LSTMBlockFusedCell / GRUBlockCell):
LSTMBlockCell, BlockLSTM, BlockLSTMV2, GRUBlockCell and their gradient ops, as TensorFlow's kernels
(core/kernels/rnn/lstm_ops.cc, gru_ops.cc) compute them, with rnn_grad.py's gradients.

Gate layouts: LSTMBlockCell and BlockLSTM pack ``w``'s columns as [i, c, f, o] (ICFO), BlockLSTMV2 as [i, f, c, o]
(IFCO, with no forget bias). BlockLSTM runs ``seq_len_max`` steps; TF zeroes only ``cs`` and ``h`` of the steps
after it and leaves the other outputs' memory unwritten (zeros here). TF 2.21 registers gradients only for
BlockLSTM and BlockLSTMV2, both through BlockLSTMGrad (the ICFO kernel, also for V2's IFCO weights, as
rnn_grad.py builds it).
"""

from __future__ import annotations

import torch

from torchmeta.framework.common_shapes import shape_error, with_rank
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid

_T = "T: {half, float}"
_CELL_INPUTS = ["x: T", "cs_prev: T", "h_prev: T", "w: T", "wci: T", "wcf: T", "wco: T", "b: T"]
_CELL_OUTPUTS = ["i: T", "cs: T", "f: T", "o: T", "ci: T", "co: T", "h: T"]


def _dims(shape, rank):
    return shape.as_tuple() if shape.rank is not None else (None,) * rank


def _lstm_cell_shape(op):
    batch = _dims(with_rank(op, op.inputs[0].shape, 2), 2)[0]
    cell = _dims(with_rank(op, op.inputs[1].shape, 2), 2)[1]
    return [TensorShape([batch, cell])] * 7


def _block_lstm_shape(op):
    time, batch, _ = _dims(with_rank(op, op.inputs[1].shape, 3), 3)
    (b,) = _dims(with_rank(op, op.inputs[-1].shape, 1), 1)
    if b is not None and b % 4:
        raise shape_error(op, f"Dimension size must be evenly divisible by 4 but is {b}")
    return [TensorShape([time, batch, None if b is None else b // 4])] * 7


def _gate_slices(cell, layout):
    """Column ranges of the i, c, f, o gates in ``w``/``b`` for the ICFO or IFCO layout."""
    c_at, f_at = (cell, 2 * cell) if layout == "ICFO" else (2 * cell, cell)
    return slice(0, cell), slice(c_at, c_at + cell), slice(f_at, f_at + cell), slice(3 * cell, 4 * cell)


def _cell_forward(x, cs_prev, h_prev, w, wci, wcf, wco, b, forget_bias, cell_clip, use_peephole, layout):
    """LSTMBlockCellFprop: gates = [x, h_prev] w + b; i, f, o sigmoid (peepholes on cs_prev / cs); ci tanh;
    cs = i ci + f cs_prev clipped to +-cell_clip (when > 0); co = tanh(cs); h = o co."""
    cell = cs_prev.shape[1]
    gi, gc, gf, go = _gate_slices(cell, layout)
    gates = torch.cat([x, h_prev], 1) @ w + b
    i = torch.sigmoid(gates[:, gi] + cs_prev * wci) if use_peephole else torch.sigmoid(gates[:, gi])
    ci = torch.tanh(gates[:, gc])
    f_in = gates[:, gf] + torch.tensor(forget_bias, dtype=x.dtype)
    f = torch.sigmoid(f_in + cs_prev * wcf) if use_peephole else torch.sigmoid(f_in)
    cs = i * ci + f * cs_prev
    if cell_clip > 0:
        cs = cs.clamp(-cell_clip, cell_clip)
    co = torch.tanh(cs)
    o = torch.sigmoid(gates[:, go] + cs * wco) if use_peephole else torch.sigmoid(gates[:, go])
    return i, cs, f, o, ci, co, o * co


def _cell_backward(cs_prev, i, cs, f, o, ci, co, cs_grad, h_grad, wci, wcf, wco, use_peephole, layout):
    """LSTMBlockCellBprop: (dgates in the layout's order, cs_prev_grad, di, df, do)."""
    do = o * (1 - o) * h_grad * co
    dcs = (1 - co * co) * h_grad * o + cs_grad
    if use_peephole:
        dcs = dcs + do * wco
    dci = (1 - ci * ci) * dcs * i
    df = f * (1 - f) * dcs * cs_prev
    di = i * (1 - i) * dcs * ci
    parts = (di, dci, df, do) if layout == "ICFO" else (di, df, dci, do)
    cs_prev_grad = dcs * f
    if use_peephole:
        cs_prev_grad = cs_prev_grad + di * wci + df * wcf
    return torch.cat(parts, 1), cs_prev_grad, di, df, do


def _check_cell(x, cs_prev, h_prev, w, b):
    """LSTMBlockCellOp's first checks, in TF's order and words."""
    batch, input_size, cell = x.shape[0], x.shape[1], cs_prev.shape[1]
    checks = [
        (h_prev.shape[0] == batch, f"h_prev.dims(0) != batch_size: {h_prev.shape[0]} vs. {batch}"),
        (h_prev.shape[1] == cell, f"h_prev.dims(1) != cell_size: {h_prev.shape[1]} vs. {cell}"),
        (
            w.shape[0] == input_size + cell,
            f"w.dim_size(0) != input_size + cell_size: {w.shape[0]} vs. {input_size + cell}",
        ),
        (w.shape[1] == cell * 4, f"w.dim_size(1) != cell_size * 4: {w.shape[1]} vs. {cell * 4}"),
        (b.shape[0] == cell * 4, f"b.dim_size(0) != cell_size * 4: {b.shape[0]} vs. {cell * 4}"),
    ]
    if cs_prev.shape[0] != batch:
        raise invalid(f"cs_prev.dims(0) != batch_size: {cs_prev.shape[0]} vs. {batch}")
    for ok, message in checks:
        if not ok:
            raise invalid(message)


@register_op(
    "LSTMBlockCell",
    inputs=_CELL_INPUTS,
    outputs=_CELL_OUTPUTS,
    attrs=["forget_bias: float = 1.0", "cell_clip: float = 3.0", "use_peephole: bool = false", _T],
    shape=_lstm_cell_shape,
)
def lstm_block_cell(x, cs_prev, h_prev, w, wci, wcf, wco, b, forget_bias, cell_clip, use_peephole):
    _check_cell(x, cs_prev, h_prev, w, b)
    return _cell_forward(x, cs_prev, h_prev, w, wci, wcf, wco, b, forget_bias, cell_clip, use_peephole, "ICFO")


def _lstm_cell_grad_shape(op):
    batch = _dims(with_rank(op, op.inputs[0].shape, 2), 2)[0]
    cell = _dims(with_rank(op, op.inputs[1].shape, 2), 2)[1]
    for i, rank in ((2, 2), (3, 2), (4, 1), (5, 1), (6, 1), (7, 1)):
        with_rank(op, op.inputs[i].shape, rank)
    vec = TensorShape([cell])
    return [TensorShape([batch, cell]), TensorShape([batch, None if cell is None else cell * 4]), vec, vec, vec]


@register_op(
    "LSTMBlockCellGrad",
    inputs=[*_CELL_INPUTS, "i: T", "cs: T", "f: T", "o: T", "ci: T", "co: T", "cs_grad: T", "h_grad: T"],
    outputs=["cs_prev_grad: T", "dicfo: T", "wci_grad: T", "wcf_grad: T", "wco_grad: T"],
    attrs=["use_peephole: bool", _T],
    shape=_lstm_cell_grad_shape,
)
def lstm_block_cell_grad(x, cs_prev, h_prev, w, wci, wcf, wco, b, i, cs, f, o, ci, co, cs_grad, h_grad, use_peephole):
    _check_cell(x, cs_prev, h_prev, w, b)
    dgates, cs_prev_grad, di, df, do = _cell_backward(
        cs_prev, i, cs, f, o, ci, co, cs_grad, h_grad, wci, wcf, wco, use_peephole, "ICFO"
    )
    if use_peephole:
        peepholes = (di * cs_prev).sum(0), (df * cs_prev).sum(0), (do * cs).sum(0)
    else:
        peepholes = tuple(torch.zeros_like(v) for v in (wci, wcf, wco))
    return (cs_prev_grad, dgates, *peepholes)


def _check_block(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b):
    """BlockLSTMOp's checks, in TF's order and words; returns seq_len_max as an int."""
    if seq_len_max.dim() != 0:
        raise invalid(f"`seq_len_max_tensor` must be rank 0 but is rank {seq_len_max.dim()}")
    if x.dim() != 3:
        raise invalid("x must be 3D")
    time, batch, input_size = x.shape
    if cs_prev.dim() != 2:
        raise invalid("cs_prev must be 2D")
    if cs_prev.shape[0] != batch:
        raise invalid(f"cs_prev.dims(0) != batch_size: {cs_prev.shape[0]} vs. {batch}")
    cell = cs_prev.shape[1]
    if h_prev.dim() != 2:
        raise invalid("h_prev must be 2D")
    if h_prev.shape[0] != batch:
        raise invalid(f"h_prev.dims(0) != batch_size: {h_prev.shape[0]} vs. {batch}")
    if h_prev.shape[1] != cell:
        raise invalid(f"h_prev.dims(1) != cell_size: {h_prev.shape[1]} vs. {cell}")
    if w.dim() != 2:
        raise invalid("w must be 2D")
    if w.shape[0] != input_size + cell:
        raise invalid(f"w.dim_size(0) != input_size + cell_size: {w.shape[0]} vs. {input_size + cell}")
    if w.shape[1] != cell * 4:
        raise invalid(f"w.dim_size(1) != cell_size * 4: {w.shape[1]} vs. {cell * 4}")
    for name, peephole in (("wci", wci), ("wcf", wcf), ("wco", wco)):
        if peephole.dim() != 1:
            raise invalid(f"{name} must be 1D")
        if peephole.shape[0] != cell:
            raise invalid(f"{name}.dim_size(0) != cell_size: {peephole.shape[0]} vs. {cell}")
    if b.dim() != 1:
        raise invalid("b must be 1D")
    if b.shape[0] != cell * 4:
        raise invalid(f"b.dim_size(0) != cell_size * 4: {b.shape[0]} vs. {cell * 4}")
    steps = int(seq_len_max)
    if not 0 <= steps <= time:
        raise invalid(f"seq_len_max must be between 0 and {time} but is {steps}")
    return steps


def _block_lstm(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b, forget_bias, cell_clip, use_peephole, layout):
    steps = _check_block(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b)
    outputs = [torch.zeros((x.shape[0], x.shape[1], cs_prev.shape[1]), dtype=x.dtype) for _ in range(7)]
    cs_t, h_t = cs_prev, h_prev
    for t in range(steps):
        step = _cell_forward(x[t], cs_t, h_t, w, wci, wcf, wco, b, forget_bias, cell_clip, use_peephole, layout)
        for out, value in zip(outputs, step):
            out[t] = value
        cs_t, h_t = step[1], step[6]
    return tuple(outputs)


_BLOCK_INPUTS = ["seq_len_max: int64", *_CELL_INPUTS]


@register_op(
    "BlockLSTM",
    inputs=_BLOCK_INPUTS,
    outputs=_CELL_OUTPUTS,
    attrs=["forget_bias: float = 1.0", "cell_clip: float = 3.0", "use_peephole: bool = false", _T],
    shape=_block_lstm_shape,
)
def block_lstm(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b, forget_bias, cell_clip, use_peephole):
    return _block_lstm(
        seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b, forget_bias, cell_clip, use_peephole, "ICFO"
    )


@register_op(
    "BlockLSTMV2",
    inputs=_BLOCK_INPUTS,
    outputs=_CELL_OUTPUTS,
    attrs=["cell_clip: float = 0.0", "use_peephole: bool = false", _T],
    shape=_block_lstm_shape,
)
def block_lstm_v2(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b, cell_clip, use_peephole):
    return _block_lstm(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b, 0.0, cell_clip, use_peephole, "IFCO")


def _block_lstm_grad_shape(op):
    with_rank(op, op.inputs[1].shape, 3)
    for i, rank in ((2, 2), (3, 2), (4, 2), (5, 1), (6, 1), (7, 1), (8, 1)):
        with_rank(op, op.inputs[i].shape, rank)
    return [op.inputs[i].shape for i in range(1, 9)]


def _block_lstm_backward(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b, i, cs, f, o, ci, co, h, cs_grad,
                         h_grad, use_peephole, layout):  # fmt: skip
    """BlockLSTMGradOp: the steps backwards, carrying cs_prev_grad and h_prev_grad; x_grad zero past seq_len_max."""
    steps = _check_block(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b)
    input_size = x.shape[2]
    x_grad = torch.zeros_like(x)
    cs_prev_grad, h_prev_grad = torch.zeros_like(cs_prev), torch.zeros_like(h_prev)
    w_grad, b_grad = torch.zeros_like(w), torch.zeros_like(b)
    wci_grad, wcf_grad, wco_grad = torch.zeros_like(wci), torch.zeros_like(wcf), torch.zeros_like(wco)
    for t in reversed(range(steps)):
        c_prev = cs_prev if t == 0 else cs[t - 1]
        hp = h_prev if t == 0 else h[t - 1]
        dgates, cs_prev_grad, di, df, do = _cell_backward(
            c_prev, i[t], cs[t], f[t], o[t], ci[t], co[t], cs_prev_grad + cs_grad[t], h_prev_grad + h_grad[t],
            wci, wcf, wco, use_peephole, layout,
        )  # fmt: skip
        xh_grad = dgates @ w.T
        x_grad[t] = xh_grad[:, :input_size]
        h_prev_grad = xh_grad[:, input_size:]
        w_grad = w_grad + torch.cat([x[t], hp], 1).T @ dgates
        b_grad = b_grad + dgates.sum(0)
        if use_peephole:
            wci_grad = wci_grad + (di * c_prev).sum(0)
            wcf_grad = wcf_grad + (df * c_prev).sum(0)
            wco_grad = wco_grad + (do * cs[t]).sum(0)
    return x_grad, cs_prev_grad, h_prev_grad, w_grad, wci_grad, wcf_grad, wco_grad, b_grad


_GRAD_INPUTS = [*_BLOCK_INPUTS, "i: T", "cs: T", "f: T", "o: T", "ci: T", "co: T", "h: T", "cs_grad: T", "h_grad: T"]
_GRAD_OUTPUTS = ["x_grad: T", "cs_prev_grad: T", "h_prev_grad: T", "w_grad: T", "wci_grad: T", "wcf_grad: T"]
_GRAD_OUTPUTS += ["wco_grad: T", "b_grad: T"]


@register_op(
    "BlockLSTMGrad",
    inputs=_GRAD_INPUTS,
    outputs=_GRAD_OUTPUTS,
    attrs=["use_peephole: bool", _T],
    shape=_block_lstm_grad_shape,
)
def block_lstm_grad(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b, i, cs, f, o, ci, co, h, cs_grad, h_grad,
                    use_peephole):  # fmt: skip
    args = (seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b, i, cs, f, o, ci, co, h, cs_grad, h_grad)
    return _block_lstm_backward(*args, use_peephole, "ICFO")


@register_op(
    "BlockLSTMGradV2",
    inputs=_GRAD_INPUTS,
    outputs=_GRAD_OUTPUTS,
    attrs=["use_peephole: bool", _T],
    shape=_block_lstm_grad_shape,
)
def block_lstm_grad_v2(seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b, i, cs, f, o, ci, co, h, cs_grad, h_grad,
                       use_peephole):  # fmt: skip
    args = (seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b, i, cs, f, o, ci, co, h, cs_grad, h_grad)
    return _block_lstm_backward(*args, use_peephole, "IFCO")


def _block_lstm_grad(op, *grads):
    """rnn_grad.py's _block_lstm_grad, for BlockLSTM and BlockLSTMV2 alike: one BlockLSTMGrad."""
    seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b = op.inputs
    i, cs, f, o, ci, co, h = op.outputs
    _, cs_grad, _, _, _, _, h_grad = grads
    x_grad, cs_prev_grad, h_prev_grad, w_grad, wci_grad, wcf_grad, wco_grad, b_grad = raw_op(
        "BlockLSTMGrad",
        seq_len_max=seq_len_max, x=x, cs_prev=cs_prev, h_prev=h_prev, w=w, wci=wci, wcf=wcf, wco=wco, b=b,
        i=i, cs=cs, f=f, o=o, ci=ci, co=co, h=h, cs_grad=cs_grad, h_grad=h_grad,
        use_peephole=op.get_attr("use_peephole"),
    )  # fmt: skip
    return None, x_grad, cs_prev_grad, h_prev_grad, w_grad, wci_grad, wcf_grad, wco_grad, b_grad


register_gradient("BlockLSTM")(_block_lstm_grad)
register_gradient("BlockLSTMV2")(_block_lstm_grad)


# ---------------------------------------------------------------------------------------------
# GRUBlockCell


def _gru_cell_shape(op):
    batch = _dims(with_rank(op, op.inputs[0].shape, 2), 2)[0]
    cell = _dims(with_rank(op, op.inputs[1].shape, 2), 2)[1]
    return [TensorShape([batch, cell])] * 4


def _check_gru(x, h_prev, w_ru, w_c, b_ru, b_c):
    batch, input_size, cell = x.shape[0], x.shape[1], h_prev.shape[1]
    checks = [
        (h_prev.shape[0] == batch, f"h_prev.dims(0) != batch_size: {h_prev.shape[0]} vs. {batch}"),
        (w_ru.shape[0] == input_size + cell, f"w_ru.dim_size(0) != input_size + cell_size: {w_ru.shape[0]} vs. {input_size + cell}"),
        (w_ru.shape[1] == cell * 2, f"w_ru.dim_size(1) != cell_size * 2: {w_ru.shape[1]} vs. {cell * 2}"),
        (w_c.shape[0] == input_size + cell, f"w_c.dim_size(0) != input_size + cell_size: {w_c.shape[0]} vs. {input_size + cell}"),
        (w_c.shape[1] == cell, f"w_c.dim_size(1) != cell_size: {w_c.shape[1]} vs. {cell}"),
        (b_ru.shape[0] == cell * 2, f"b_ru.dim_size(0) != cell_size * 2: {b_ru.shape[0]} vs. {cell * 2}"),
        (b_c.shape[0] == cell, f"b_c.dim_size(0) != cell_size: {b_c.shape[0]} vs. {cell}"),
    ]  # fmt: skip
    for ok, message in checks:
        if not ok:
            raise invalid(message)


@register_op(
    "GRUBlockCell",
    inputs=["x: T", "h_prev: T", "w_ru: T", "w_c: T", "b_ru: T", "b_c: T"],
    outputs=["r: T", "u: T", "c: T", "h: T"],
    attrs=["T: {float}"],
    shape=_gru_cell_shape,
)
def gru_block_cell(x, h_prev, w_ru, w_c, b_ru, b_c):
    """[r, u] = sigmoid([x, h_prev] w_ru + b_ru); c = tanh([x, r h_prev] w_c + b_c); h = u (h_prev - c) + c."""
    _check_gru(x, h_prev, w_ru, w_c, b_ru, b_c)
    cell = h_prev.shape[1]
    r_u = torch.sigmoid(torch.cat([x, h_prev], 1) @ w_ru + b_ru)
    r, u = r_u[:, :cell], r_u[:, cell:]
    c = torch.tanh(torch.cat([x, h_prev * r], 1) @ w_c + b_c)
    return r, u, c, u * (h_prev - c) + c


def _gru_cell_grad_shape(op):
    batch = _dims(with_rank(op, op.inputs[0].shape, 2), 2)[0]
    cell = _dims(with_rank(op, op.inputs[1].shape, 2), 2)[1]
    twice = _dims(with_rank(op, op.inputs[2].shape, 2), 2)[1]
    batch_cell = TensorShape([batch, cell])
    return [op.inputs[0].shape, batch_cell, batch_cell, TensorShape([batch, twice])]


@register_op(
    "GRUBlockCellGrad",
    inputs=["x: T", "h_prev: T", "w_ru: T", "w_c: T", "b_ru: T", "b_c: T", "r: T", "u: T", "c: T", "d_h: T"],
    outputs=["d_x: T", "d_h_prev: T", "d_c_bar: T", "d_r_bar_u_bar: T"],
    attrs=["T: {float}"],
    shape=_gru_cell_grad_shape,
)
def gru_block_cell_grad(x, h_prev, w_ru, w_c, b_ru, b_c, r, u, c, d_h):
    _check_gru(x, h_prev, w_ru, w_c, b_ru, b_c)
    input_size = x.shape[1]
    d_c_bar = d_h * (1 - u) * (1 - c * c)
    d_u_bar = d_h * (h_prev - c) * u * (1 - u)
    d_x2_hr = d_c_bar @ w_c.T
    d_hr = d_x2_hr[:, input_size:]
    d_r_bar = d_hr * h_prev * r * (1 - r)
    d_r_bar_u_bar = torch.cat([d_r_bar, d_u_bar], 1)
    d_x1_h1 = d_r_bar_u_bar @ w_ru.T
    d_x = d_x1_h1[:, :input_size] + d_x2_hr[:, :input_size]
    d_h_prev = d_x1_h1[:, input_size:] + d_hr * r + d_h * u
    return d_x, d_h_prev, d_c_bar, d_r_bar_u_bar


# TF 2.21 registers no gradient for the single-step cells (tf.contrib's lstm_ops.py / gru_ops.py, which did,
# are gone) nor for the gradient ops.
no_registered_gradient("LSTMBlockCell", "LSTMBlockCellGrad", "GRUBlockCell", "GRUBlockCellGrad")
no_registered_gradient("BlockLSTMGrad", "BlockLSTMGradV2")
