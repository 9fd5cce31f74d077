"""An LSTM cell's element-wise work as one call each way (what specialization fuses TF's BasicLSTMCell ops into:
runtime/specialize_lstm.py's ``fuse_lstm_cells``).

Forward, from the gates [batch, 4 * units] (i, j, f, o, TF's order; a cell written by hand may split its gates in
another order: ``blocks``, the column block of i, j, f and o) and the previous cell state:
new_c = c_prev * sigmoid(f + forget_bias) + sigmoid(i) * tanh(j), new_h = tanh(new_c) * sigmoid(o), with the
activations the gradient graph reads. Backward, TF's gradient of those ops: the gates' gradient (the ConcatV2
that is Split's gradient) and c_prev's, from new_h's and new_c's gradients and the saved activations, and the
gates' bias gradient (the BiasAddGrad that reads the gates' gradient, summed in torch.sum's order).

float32 CPU tensors run the native kernels of ``_tanh_native.c`` (TF's own Sigmoid and Tanh formulas, every
product and sum rounded as TF's ops round them, one pass over the rows instead of ten or so kernels); other
dtypes and devices, autograd, ``TORCHMETA_NATIVE=0`` and torch.compile run the same ops in torch. Each native
kernel is also a ``torch.library`` custom op (tested as one), but a step traced by torch.compile runs the torch ops:
inductor fuses each cell's into one loop of its own, where a custom op's call goes through the dispatcher's Python
round trip (20-70 us, 56 calls in bench/run.py's LSTM classifier step: compiled/eager 1.13 with the custom ops,
0.95 without, bench/results/compiled11.txt)."""

from __future__ import annotations

import torch

from torchmeta import errors
from torchmeta.ops import native_build, nn_ops, tanh_native

__all__ = ["lstm_cell", "lstm_cell_grad", "lstm_cell_grad_packed", "CELL_VALUES", "ACTIVATIONS"]

# The values the forward computes, in the order ``lstm_cell``'s ``want`` indexes them; the last, "activations",
# is the five before it (what the gradient reads) as one tensor [5, batch, units], what ``lstm_cell_grad_packed``
# takes: a call that passes them so makes 3 tensors instead of 7 and its gradient checks 3 instead of 7.
CELL_VALUES = ("new_c", "new_h", "sig_i", "tanh_j", "sig_f", "sig_o", "tanh_c", "activations")
ACTIVATIONS = 7
TF_BLOCKS = (0, 1, 2, 3)  # the column blocks of gates i, j, f, o in TF's cells
_SAVED = frozenset(range(2, 7))
_FLOAT32 = torch.float32


def _ptr(t):
    return None if t is None else t.data_ptr()


def _order(blocks) -> int:
    """``blocks`` (the column block of i, j, f, o) as the native kernels take it: 2 bits per gate."""
    return blocks[0] | blocks[1] << 2 | blocks[2] << 4 | blocks[3] << 6


def _forward_into(gates: torch.Tensor, c_prev: torch.Tensor, forget_bias: float, order: int, pointers) -> None:
    """Runs the forward kernel into the buffers at ``pointers`` (new_c, new_h, then the five saved activations
    or none)."""
    rows, units = c_prev.shape
    tanh_native.library.load().tm_lstm_cell_f32(
        gates.data_ptr(), c_prev.data_ptr(), forget_bias, rows, units, order, *pointers,
        *([None] * (7 - len(pointers))),
    )  # fmt: skip


def _planes(t: torch.Tensor, n: int) -> list:
    """The addresses of the ``n`` contiguous [rows, units] planes of ``t`` [n, rows, units]."""
    base, step = t.data_ptr(), t.stride(0) * t.element_size()
    return [base + k * step for k in range(n)]


# ``saved``: 0, only new_c and new_h; 1, the five activations too, each a tensor; 2, the five as one tensor
def _forward_kernel(
    gates: torch.Tensor, c_prev: torch.Tensor, forget_bias: float, saved: int, order: int
) -> list[torch.Tensor]:
    outs = [torch.empty_like(c_prev) for _ in range(7 if saved == 1 else 2)]
    pointers = [o.data_ptr() for o in outs]
    if saved == 2:
        outs.append(c_prev.new_empty((5, *c_prev.shape)))
        pointers += _planes(outs[2], 5)
    _forward_into(gates, c_prev, forget_bias, order, pointers)
    return outs


def _forward_fake(gates, c_prev, forget_bias, saved, order):
    outs = [torch.empty_like(c_prev) for _ in range(7 if saved == 1 else 2)]
    return [*outs, c_prev.new_empty((5, *c_prev.shape))] if saved == 2 else outs


def _backward_outputs(dh, bias_grad):
    rows, units = dh.shape
    return [dh.new_empty((rows, 4 * units)), torch.empty_like(dh)] + ([dh.new_empty(4 * units)] if bias_grad else [])


def _backward_into(dh, dc_next, saved, c_prev, order, outs) -> None:
    """Runs the gradient kernel from the five activations at the addresses ``saved`` into ``outs``."""
    rows, units = dh.shape
    tanh_native.library.load().tm_lstm_cell_grad_f32(
        dh.data_ptr(), _ptr(dc_next), *saved, c_prev.data_ptr(), rows, units, order, *[o.data_ptr() for o in outs],
        *([None] * (3 - len(outs))),
    )  # fmt: skip


def _backward_kernel(
    dh: torch.Tensor,
    dc_next: torch.Tensor | None,
    sig_i: torch.Tensor,
    tanh_j: torch.Tensor,
    sig_f: torch.Tensor,
    sig_o: torch.Tensor,
    tanh_c: torch.Tensor,
    c_prev: torch.Tensor,
    bias_grad: bool,
    order: int,
) -> list[torch.Tensor]:
    outs = _backward_outputs(dh, bias_grad)
    saved = [t.data_ptr() for t in (sig_i, tanh_j, sig_f, sig_o, tanh_c)]
    _backward_into(dh, dc_next, saved, c_prev, order, outs)
    return outs


def _backward_fake(dh, dc_next, sig_i, tanh_j, sig_f, sig_o, tanh_c, c_prev, bias_grad, order):
    return _backward_outputs(dh, bias_grad)


def _backward_packed_kernel(
    dh: torch.Tensor,
    dc_next: torch.Tensor | None,
    activations: torch.Tensor,
    c_prev: torch.Tensor,
    bias_grad: bool,
    order: int,
) -> list[torch.Tensor]:
    outs = _backward_outputs(dh, bias_grad)
    _backward_into(dh, dc_next, _planes(activations, 5), c_prev, order, outs)
    return outs


def _backward_packed_fake(dh, dc_next, activations, c_prev, bias_grad, order):
    return _backward_outputs(dh, bias_grad)


_forward_op = native_build.custom_op("lstm_cell", _forward_kernel, _forward_fake)
_backward_op = native_build.custom_op("lstm_cell_grad", _backward_kernel, _backward_fake)
_backward_packed_op = native_build.custom_op("lstm_cell_grad_packed", _backward_packed_kernel, _backward_packed_fake)


def _native(tensors) -> bool:
    """Whether the native kernels take ``tensors``: float32 CPU matrices outside autograd, the library built, and
    not traced by torch.compile. (A plain loop of attribute reads: the cells call it twice per step and
    direction, 1.2 us under all() of generators for seven tensors.)"""
    if torch.compiler.is_compiling():
        return False
    for t in tensors:
        if t.dtype is not _FLOAT32 or not t.is_cpu or t.requires_grad or t.dim() != 2:
            return False
    return tanh_native.library.available()


def lstm_cell(gates, c_prev, *, forget_bias, want, blocks=TF_BLOCKS):
    """The cell's values named by the indices ``want`` into ``CELL_VALUES``, as a tuple in that order, from
    ``gates`` [batch, 4 * units] (gates i, j, f, o in the column blocks ``blocks``) and ``c_prev`` [batch, units]
    of one dtype. ``want`` holds ``ACTIVATIONS`` or
    single activations, not both. Not an op (specialization's)."""
    if _native((gates, c_prev)):
        saved = 2 if ACTIVATIONS in want else int(not _SAVED.isdisjoint(want))
        outs = _forward_op(gates.contiguous(), c_prev.contiguous(), float(forget_bias), saved, _order(blocks))
        if saved == 2:
            outs = (*outs[:2], None, None, None, None, None, outs[2])
        return _picked(outs, want)
    chunks = torch.chunk(gates, 4, 1)
    i, j, f, o = (chunks[b] for b in blocks)
    sig_f = torch.sigmoid(torch.add(f, forget_bias))
    sig_i, tanh_j = torch.sigmoid(i), torch.tanh(j)
    new_c = torch.add(torch.mul(c_prev, sig_f), torch.mul(sig_i, tanh_j))
    tanh_c, sig_o = torch.tanh(new_c), torch.sigmoid(o)
    values = [new_c, torch.mul(tanh_c, sig_o), sig_i, tanh_j, sig_f, sig_o, tanh_c]
    if ACTIVATIONS in want:
        values.append(torch.stack(values[2:]))
    return _picked(values, want)


def _picked(values, want):
    """The values at ``want``: a tuple, or the one value (what a fusion with one output returns)."""
    return values[want[0]] if len(want) == 1 else tuple([values[k] for k in want])


def lstm_cell_grad(
    dh, sig_i, tanh_j, sig_f, sig_o, tanh_c, c_prev, dc_next=None, *, dc_prev, bias_grad=False, blocks=TF_BLOCKS
):
    """The gates' gradient [batch, 4 * units], then c_prev's gradient where ``dc_prev``, then the gates' bias
    gradient [4 * units] (BiasAddGrad of the gates' gradient, summed as ``nn_ops.bias_add_grad`` sums: torch.sum
    over the rows) where ``bias_grad``: a tuple where there is more than the first. From new_h's gradient ``dh``
    and the part ``dc_next`` of new_c's that does not come through new_h (None: nothing), all of one dtype and
    shape [batch, units]: TF's gradient ops of the cell, the last one the ConcatV2 of the four gates'
    gradients (in the column blocks ``blocks``, as the forward's). Not an op (specialization's)."""
    tensors = (dh, sig_i, tanh_j, sig_f, sig_o, tanh_c, c_prev)
    if _native(tensors if dc_next is None else (*tensors, dc_next)):
        contiguous = [t.contiguous() for t in tensors]
        native_sums = bias_grad and dh.shape[1] % 16 == 0  # (the kernel's column sums: see _tanh_native.c)
        outs = _backward_op(
            contiguous[0],
            None if dc_next is None else dc_next.contiguous(),
            *contiguous[1:],
            native_sums,
            _order(blocks),
        )
        return _native_gradients(outs, dc_prev, bias_grad)
    dc = torch.ops.aten.tanh_backward.default(torch.mul(dh, sig_o), tanh_c)
    if dc_next is not None:
        dc = torch.add(dc_next, dc)
    parts = [
        torch.ops.aten.sigmoid_backward.default(torch.mul(dc, tanh_j), sig_i),
        torch.ops.aten.tanh_backward.default(torch.mul(dc, sig_i), tanh_j),
        torch.ops.aten.sigmoid_backward.default(torch.mul(dc, c_prev), sig_f),
        torch.ops.aten.sigmoid_backward.default(torch.mul(dh, tanh_c), sig_o),
    ]
    d_gates = torch.cat([parts[blocks.index(k)] for k in range(4)], 1)
    outs = [d_gates, torch.mul(dc, sig_f)] + ([nn_ops.bias_add_grad(d_gates, "NHWC")] if bias_grad else [])
    return _picked_gradients(outs, dc_prev, bias_grad)


def lstm_cell_grad_packed(dh, activations, c_prev, dc_next=None, *, dc_prev, bias_grad=False, blocks=TF_BLOCKS):
    """``lstm_cell_grad`` from the five activations as ``lstm_cell``'s ``ACTIVATIONS`` gives them: one tensor
    [5, batch, units]. Not an op (specialization's): it applies only with the packed forward it was paired with;
    anything else (that forward dropped, its sig_i alone) raises here rather than reading the wrong values."""
    if activations.dim() != 3 or activations.shape[0] != 5 or activations.shape[1:] != c_prev.shape:
        raise errors.InternalError(
            None,
            None,
            f"LSTM cell gradient: expected the cell's packed activations [5, {', '.join(map(str, c_prev.shape))}], "
            f"got a tensor of shape {list(activations.shape)}",
        )
    tensors = (dh, c_prev) if dc_next is None else (dh, c_prev, dc_next)
    if _native(tensors) and activations.dtype is _FLOAT32 and activations.is_cpu and not activations.requires_grad:
        native_sums = bias_grad and dh.shape[1] % 16 == 0
        outs = _backward_packed_op(
            dh.contiguous(), None if dc_next is None else dc_next.contiguous(), activations.contiguous(),
            c_prev.contiguous(), native_sums, _order(blocks),
        )  # fmt: skip
        return _native_gradients(outs, dc_prev, bias_grad)
    return lstm_cell_grad(
        dh, *activations.unbind(0), c_prev, dc_next, dc_prev=dc_prev, bias_grad=bias_grad, blocks=blocks
    )


def _native_gradients(outs, dc_prev, bias_grad):
    """The native kernel's ``outs`` as ``lstm_cell_grad`` returns them: the bias gradient summed by
    ``nn_ops.bias_add_grad`` where the kernel did not sum it (4 * units not a multiple of 64)."""
    if bias_grad and len(outs) < 3:
        outs.append(nn_ops.bias_add_grad(outs[0], "NHWC"))
    return _picked_gradients(outs, dc_prev, bias_grad)


def _picked_gradients(outs, dc_prev, bias_grad):
    picked = [outs[0]] + ([outs[1]] if dc_prev else []) + ([outs[2]] if bias_grad else [])
    return picked[0] if len(picked) == 1 else tuple(picked)
