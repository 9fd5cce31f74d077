"""Specialization's LSTM-cell passes (split from runtime/specialize.py, whose ``specialize`` calls
``fuse_lstm_cells``): an LSTM cell's element-wise ops as one native call, TF's gradient of them as another, and
the activations a cell passes to its gradient packed into one tensor (ops/lstm_cell_native.py)."""

from __future__ import annotations

import itertools

import torch

from torchmeta.framework.graph import Operation, Tensor
from torchmeta.ops import lstm_cell_native
from torchmeta.runtime import control_flow
from torchmeta.runtime.lowering import live_items
from torchmeta.runtime.specialize_common import (
    FLOATS,
    Fusion,
    fused_sum_reshape,
    item_positions,
    resolve_alias,
    value_users,
)

# ---------------------------------------------------------------------------------------------
# An LSTM cell's element-wise ops (TF's BasicLSTMCell, and LSTMCell without peepholes or projection:
# Split(gates) -> i, j, f, o; new_c = c * Sigmoid(f + forget_bias) + Sigmoid(i) * Tanh(j); new_h = Tanh(new_c) *
# Sigmoid(o); a cell written by hand may split its gates in another order and add no forget bias) as one call,
# and TF's gradient of them (two Mul per product, three SigmoidGrad and two TanhGrad, the
# AddN of c's two gradients, the ConcatV2 that is Split's gradient) as another: ten-odd kernel calls of
# [batch, units] each, per step and direction, become one pass (ops/lstm_cell_native.py). The calls compute
# every value of the ops they replace that anything else reads (the activations the gradient reads, c_prev's
# gradient), and only where every other value has no reader outside the cell.


class _CellMatch:
    """What the LSTM matchers share: the specialization and which ops may join a fusion, and which values
    have readers outside it."""

    def __init__(self, items, ops, spec, keep, targets, fed, op_set):
        self.items, self.spec, self.keep, self.targets, self.fed, self.op_set = items, spec, keep, targets, fed, op_set
        self.ops = set(ops)
        self._live = self._position = self._item_of = None
        self.recorded = {}  # the op each fusion is recorded on: the ops of its cell

    def free(self, op) -> bool:
        spec = self.spec
        return (
            op in self.ops
            and op not in spec.fusions
            and op not in spec.absorbed
            and op._info is not None
            and not op._control_inputs
            and not any(t in spec.folded or t in spec.aliases for t in op._outputs)
        )

    def users(self, t):
        """The ops that still run and need ``t``'s value (None: a fetch does). (Not those only a control edge
        makes part of the subgraph: the Sum of a constant's gradient that a tf.tuple's group waits for, where
        the tuple's Identities are aliases.)"""
        found = value_users(t, self.spec, self.op_set, self.keep)
        return None if found is None else [op for op in found if self.item_of(op) in self.live()]

    def readers(self, t) -> list:
        """The ops that still run and need ``t``'s value, fetched or not."""
        return [op for op in value_users(t, self.spec, self.op_set, ()) if self.item_of(op) in self.live()]

    def item_of(self, op):
        """The item of ``items`` that runs ``op`` (a loop, for an op of a loop's frame)."""
        if self._item_of is None:
            self._item_of = {
                o: it for it in self.items for o in (it.ops if isinstance(it, control_flow.Loop) else (it,))
            }
        return self._item_of.get(op)

    def source(self, t):
        return resolve_alias(t, self.spec)

    def live(self) -> set:
        if self._live is None:
            self._live = live_items(self.items, self.keep, self.targets, self.fed, self.spec)
        return self._live

    def record(self, kernel, inputs, kwargs, cell_ops, exposed) -> bool:
        """Records the fusion on the last op of ``cell_ops`` that runs before anything outside them reads an
        ``exposed`` tensor, when every input is computed before that op and every op of ``cell_ops`` still
        runs; whether it did. (A loop's gradient body pops the saved activations from their stacks just before
        the first op that reads them, which may be late in the cell.)"""
        if self._position is None:
            self._position = item_positions(self.items)
        position, live = self._position, self.live()
        if not exposed or any(op not in live or op not in position for op in cell_ops):  # (ops of this frame)
            return False
        readers = [op for t in exposed for op in self.readers(t) if op not in cell_ops]
        first_read = min((position.get(op, len(position)) for op in readers), default=len(position))
        before = [op for op in cell_ops if position[op] < first_read]
        if not before:
            return False
        at = max(before, key=position.__getitem__)
        for t in inputs:
            source = self.source(t)
            if source not in self.spec.folded and position.get(source._op, -1) >= position[at]:
                return False
        self.spec.fusions[at] = Fusion(kernel, list(inputs), kwargs, outputs=list(exposed))
        self.spec.absorbed.update(op for op in cell_ops if op is not at)
        self.recorded[at] = set(cell_ops)
        return True


def _shape_2d(t: Tensor):
    shape = t.shape
    return tuple(shape.as_list()) if shape.rank == 2 and shape.is_fully_defined() else None


def _product_of(t: Tensor, factor: Tensor, m: _CellMatch):
    """For ``t`` the output of a free Mul of ``factor`` and another tensor of ``factor``'s shape, (the Mul, the
    other tensor); else None."""
    t = m.source(t)
    op = t._op
    if op.type != "Mul" or t is not op._outputs[0] or not m.free(op):
        return None
    a, b = op._inputs
    if m.source(a) is m.source(factor):
        other = b
    elif m.source(b) is m.source(factor):
        other = a
    else:
        return None
    return (op, other) if _shape_2d(other) == _shape_2d(factor) else None


def _only_reader(t: Tensor, op: Operation, m: _CellMatch) -> bool:
    return m.users(t) == [op]


def _folded_axis(t: Tensor, m: _CellMatch):
    value = m.spec.folded.get(t)
    if not isinstance(value, torch.Tensor) or value.numel() != 1 or value.is_floating_point():
        return None
    return int(value) % 2


def _single_user(t: Tensor, op_types, m: _CellMatch):
    """The one free op of a type in ``op_types`` that reads ``t``, where nothing else does; else None."""
    users = m.users(t)
    if not users or len(users) != 1 or users[0].type not in op_types or not m.free(users[0]):
        return None
    return users[0]


def _gate_roles(kinds: list, tanh_kind: str):
    """The assignments of gates i, j, f, o to the four blocks whose ops are ``kinds``: j the one block of
    ``tanh_kind``, i, f and o the others in every order (the cell's products tell which is which: the matchers
    try each, TF's order first)."""
    if kinds.count(tanh_kind) != 1:
        return []
    j = kinds.index(tanh_kind)
    return [(i, j, f, o) for i, f, o in itertools.permutations([k for k in range(4) if k != j])]


def _match_lstm_cell(split: Operation, m: _CellMatch) -> bool:
    """Records ``lstm_cell_native.lstm_cell`` for the cell whose gates ``split`` splits; whether it did."""
    if split.type != "Split" or len(split._outputs) != 4 or not m.free(split):
        return False
    axis_t, gates = split._inputs
    shape = _shape_2d(gates)
    if _folded_axis(axis_t, m) != 1 or shape is None or shape[1] % 4 or gates.dtype.base_dtype not in FLOATS:
        return False
    users = [_single_user(t, ("Sigmoid", "Tanh", "AddV2", "Add"), m) for t in split._outputs]
    if None in users:
        return False
    return any(_match_cell_blocks(split, blocks, users, m) for blocks in _gate_roles([u.type for u in users], "Tanh"))


def _match_cell_blocks(split: Operation, blocks: tuple, users: list, m: _CellMatch) -> bool:
    """``_match_lstm_cell`` with gates i, j, f, o the split's outputs ``blocks``, read by ``users``."""
    gates = split._inputs[1]
    shape = _shape_2d(gates)
    cell = (shape[0], shape[1] // 4)
    f = split._outputs[blocks[2]]
    sig_i_op, tanh_j_op, add_f, sig_o_op = (users[b] for b in blocks)
    if sig_i_op.type != "Sigmoid" or sig_o_op.type != "Sigmoid":
        return False
    if add_f.type == "Sigmoid":  # no forget bias: sigmoid(f + 0) is sigmoid(f) (+0 and -0 alike give 0.5)
        sig_f_op, add_f, bias_value = add_f, None, torch.zeros(())
    else:
        if len(add_f._inputs) != 2:
            return False
        bias = add_f._inputs[1] if add_f._inputs[0] is f else add_f._inputs[0]
        bias_value = m.spec.folded.get(m.source(bias))
        if not isinstance(bias_value, torch.Tensor) or bias_value.numel() != 1 or bias_value.dim() > 2:
            return False
        if bias.dtype.base_dtype is not gates.dtype.base_dtype or _shape_2d(add_f._outputs[0]) != cell:
            return False
        sig_f_op = _single_user(add_f._outputs[0], ("Sigmoid",), m)
        if sig_f_op is None:
            return False
    sig_i, tanh_j, sig_f, sig_o = (op._outputs[0] for op in (sig_i_op, tanh_j_op, sig_f_op, sig_o_op))

    def product(a, b):
        """The free Mul of a and b among a's readers."""
        for op in m.readers(a):
            found = _product_of(op._outputs[0], a, m) if op.type == "Mul" else None
            if found is not None and m.source(found[1]) is m.source(b):
                return op
        return None

    mul_ij = product(sig_i, tanh_j)
    mul_cf = next((op for op in m.readers(sig_f) if op.type == "Mul" and _product_of(op._outputs[0], sig_f, m)), None)
    if mul_ij is None or mul_cf is None:
        return False
    c_prev = _product_of(mul_cf._outputs[0], sig_f, m)[1]
    if c_prev.dtype.base_dtype is not gates.dtype.base_dtype:
        return False
    add_c = _single_user(mul_ij._outputs[0], ("AddV2", "Add"), m)
    if add_c is None or m.users(mul_cf._outputs[0]) != [add_c]:
        return False
    new_c = add_c._outputs[0]
    tanh_c_op = next((op for op in m.readers(new_c) if op.type == "Tanh" and m.free(op)), None)
    if tanh_c_op is None:
        return False
    tanh_c = tanh_c_op._outputs[0]
    mul_h = product(tanh_c, sig_o)
    if mul_h is None:
        return False
    values = (new_c, mul_h._outputs[0], sig_i, tanh_j, sig_f, sig_o, tanh_c)
    if any(_shape_2d(t) != cell for t in values):
        return False
    cell_ops = [split, sig_i_op, tanh_j_op, sig_f_op, sig_o_op, mul_ij, mul_cf, add_c, tanh_c_op, mul_h]
    cell_ops += [] if add_f is None else [add_f]
    if len(set(cell_ops)) != len(cell_ops):
        return False
    # exposed: the values read outside the cell, or fetched
    want = tuple(k for k, t in enumerate(values) if m.users(t) is None or set(m.users(t)) - set(cell_ops))
    kwargs = {"forget_bias": bias_value.item(), "want": want}
    if blocks != lstm_cell_native.TF_BLOCKS:
        kwargs["blocks"] = blocks
    return m.record(lstm_cell_native.lstm_cell, [gates, c_prev], kwargs, cell_ops, [values[k] for k in want])


def _match_lstm_cell_grad(concat: Operation, m: _CellMatch) -> bool:
    """Records ``lstm_cell_native.lstm_cell_grad`` for the cell gradient whose gates' gradient ``concat``
    joins; whether it did."""
    if concat.type != "ConcatV2" or len(concat._inputs) != 5 or not m.free(concat):
        return False
    *parts, axis_t = concat._inputs
    shape = _shape_2d(concat._outputs[0])
    if _folded_axis(axis_t, m) != 1 or shape is None or shape[1] % 4:
        return False
    if concat._outputs[0].dtype.base_dtype not in FLOATS:
        return False
    blocks_grads = [m.source(t)._op for t in parts]
    if any(g.type not in ("SigmoidGrad", "TanhGrad") for g in blocks_grads) or len(set(blocks_grads)) != 4:
        return False
    if any(not m.free(g) or not _only_reader(g._outputs[0], concat, m) for g in blocks_grads):
        return False
    return any(
        _match_cell_grad_blocks(concat, blocks, [blocks_grads[b] for b in blocks], m)
        for blocks in _gate_roles([g.type for g in blocks_grads], "TanhGrad")
    )


def _match_cell_grad_blocks(concat: Operation, blocks: tuple, grads: list, m: _CellMatch) -> bool:
    """``_match_lstm_cell_grad`` with ``grads`` the gradient ops of gates i, j, f, o, in the concat's
    ``blocks``."""
    shape = _shape_2d(concat._outputs[0])
    cell = (shape[0], shape[1] // 4)
    dtype = concat._outputs[0].dtype.base_dtype
    (y_i, d_i), (y_j, d_j), (y_f, d_f), (y_o, d_o) = (g._inputs for g in grads)
    if any(_shape_2d(t) != cell or t.dtype.base_dtype is not dtype for t in (y_i, y_j, y_f, y_o, d_i, d_j, d_f, d_o)):
        return False
    # the products' gradients: d_i = dc * tanh_j, d_j = dc * sig_i, d_f = dc * c_prev, d_o = dh * tanh_c
    found = [_product_of(d, y, m) for d, y in ((d_i, y_j), (d_j, y_i))]
    if None in found or m.source(found[0][1]) is not m.source(found[1][1]):
        return False
    (mul_i, dc), (mul_j, _) = found
    dc = m.source(dc)
    found_f = _product_of(m.source(d_f), dc, m)
    if found_f is None:
        return False
    mul_f, c_prev = found_f
    # dc: TanhGrad(tanh_c, dh * sig_o), plus the gradient from the next step (a two-term AddN) where there is one
    dc_op, dc_next = dc._op, None
    tanh_grad = dc_op
    if dc_op.type == "AddN" and len(dc_op._inputs) == 2 and m.free(dc_op):
        a, b = (m.source(t) for t in dc_op._inputs)
        tanh_grad, dc_next = (a._op, b) if a._op.type == "TanhGrad" else (b._op, a)
    if tanh_grad.type != "TanhGrad" or not m.free(tanh_grad):
        return False
    tanh_c, x = tanh_grad._inputs
    found_o = _product_of(m.source(x), y_o, m)
    found_h = _product_of(m.source(d_o), tanh_c, m)
    if found_o is None or found_h is None or m.source(found_o[1]) is not m.source(found_h[1]):
        return False
    (mul_x, dh), (mul_o, _) = found_o, found_h
    if _shape_2d(tanh_c) != cell or (dc_next is not None and _shape_2d(dc_next) != cell):
        return False
    if not _only_reader(x, tanh_grad, m) or not _only_reader(d_o, grads[3], m):
        return False
    for mul, grad in ((mul_i, grads[0]), (mul_j, grads[1]), (mul_f, grads[2])):
        if not _only_reader(mul._outputs[0], grad, m):
            return False
    if dc_op is not tanh_grad and not _only_reader(tanh_grad._outputs[0], dc_op, m):
        return False
    # c_prev's gradient: dc * sig_f, where something reads it
    dc_users = m.users(dc)
    if dc_users is None:
        return False
    extra = [op for op in dc_users if op not in (mul_i, mul_j, mul_f)]
    mul_c = None
    if extra:
        found_c = _product_of(extra[0]._outputs[0], dc, m) if len(extra) == 1 else None
        if found_c is None or m.source(found_c[1]) is not m.source(y_f):
            return False
        mul_c = extra[0]
    cell_ops = [concat, *grads, mul_i, mul_j, mul_f, tanh_grad, mul_x, mul_o]
    if dc_op is not tanh_grad:
        cell_ops.append(dc_op)
    exposed = [concat._outputs[0]]
    kwargs = {"dc_prev": mul_c is not None and mul_c in m.live(), "bias_grad": False}
    if blocks != lstm_cell_native.TF_BLOCKS:
        kwargs["blocks"] = blocks
    if kwargs["dc_prev"]:  # (one that does not run is left as it is)
        cell_ops.append(mul_c)
        exposed.append(mul_c._outputs[0])
    # the gates' bias gradient (of the BiasAdd of the gates' product): BiasAddGrad of the gates' gradient, a
    # rank-2 tensor (its channel axis the last in either data format)
    bias_grad = next((op for op in m.readers(concat._outputs[0]) if op.type == "BiasAddGrad" and m.free(op)), None)
    # or, for a cell written as ``x @ W + b`` (an AddV2), the Sum over the rows + Reshape of its gradient
    summed = None if bias_grad is not None else _rows_sum(concat._outputs[0], m)
    if bias_grad is not None or summed is not None:
        cell_ops.append(bias_grad or summed)
        exposed.append((bias_grad or summed)._outputs[0])
        kwargs["bias_grad"] = True
    if len(set(cell_ops)) != len(cell_ops):
        return False
    inputs = [dh, y_i, y_j, y_f, y_o, tanh_c, c_prev] + ([] if dc_next is None else [dc_next])
    if summed is None:
        return m.record(lstm_cell_native.lstm_cell_grad, inputs, kwargs, cell_ops, exposed)
    # the Reshape's own fusion (fused_sum_reshape) runs where the cell's is dropped (lowering's _live_fusions)
    m.spec.fallbacks[summed] = m.spec.fusions.pop(summed)
    if m.record(lstm_cell_native.lstm_cell_grad, inputs, kwargs, cell_ops, exposed):
        return True
    m.spec.fusions[summed] = m.spec.fallbacks.pop(summed)
    return False


def _rows_sum(t: Tensor, m: _CellMatch):
    """The Reshape whose ``fused_sum_reshape`` sums the rank-2 ``t`` over its rows (the gradient of a bias vector
    added by AddV2: Sum(keep_dims) over axis 0 + Reshape, which ``_fuse`` made one call; torch.sum over dim 0,
    which the cell gradient's bias sums equal bit for bit), else None."""
    spec = m.spec
    for sum_op in m.readers(t):
        if sum_op.type != "Sum" or sum_op not in spec.absorbed:
            continue
        reshape = next((c for c in sum_op._outputs[0]._consumers if c in m.op_set), None)
        fusion = spec.fusions.get(reshape)
        if fusion is None or fusion.kernel is not fused_sum_reshape or fusion.kwargs["axes"] != [0]:
            continue
        if resolve_alias(fusion.inputs[0], spec) is t and reshape not in spec.fallbacks:
            return reshape
    return None


def fuse_lstm_cells(items, ops, spec, keep, targets, fed, op_set) -> None:
    m = _CellMatch(items, ops, spec, keep, targets, fed, op_set)
    for op in ops:
        if op.type == "Split":
            _match_lstm_cell(op, m)
        elif op.type == "ConcatV2":
            _match_lstm_cell_grad(op, m)
    _pack_lstm_activations(m)


def _pack_lstm_activations(m: _CellMatch) -> None:
    """Where a fused cell's five activations are read by its fused gradient alone (static_rnn's cells; not a loop's,
    which pushes them on stacks), the cell returns them as one tensor (``lstm_cell_native.ACTIVATIONS``, carried
    by the sig_i tensor) and the gradient reads that one (``lstm_cell_grad_packed``): 3 tensors made per cell
    instead of 7, 3 checked per gradient instead of 7. (Both were recorded for the live ops lowering runs, every
    op of both cells live: they apply together, as lowering's _live_fusions drops neither.)"""
    fusions = m.spec.fusions
    made = {}  # the forward fusions exposing all five activations, by their sig_i
    for at, fusion in fusions.items():
        if fusion.kernel is lstm_cell_native.lstm_cell and fusion.kwargs["want"][-5:] == (2, 3, 4, 5, 6):
            made[fusion.outputs[-5]] = at
    for at, gradient in list(fusions.items()):
        if gradient.kernel is not lstm_cell_native.lstm_cell_grad:
            continue
        saved = [m.source(t) for t in gradient.inputs[1:6]]
        cell = made.pop(saved[0], None)
        if cell is None or any(a is not b for a, b in zip(saved, fusions[cell].outputs[-5:])):
            continue
        ops = m.recorded[cell] | m.recorded[at]
        if any(m.users(t) is None or not set(m.users(t)) <= ops for t in saved):
            continue
        forward = fusions[cell]
        want = (*forward.kwargs["want"][:-5], lstm_cell_native.ACTIVATIONS)
        fusions[cell] = Fusion(
            forward.kernel, forward.inputs, {**forward.kwargs, "want": want}, [*forward.outputs[:-5], saved[0]]
        )
        inputs = [gradient.inputs[0], saved[0], *gradient.inputs[6:]]
        fusions[at] = Fusion(lstm_cell_native.lstm_cell_grad_packed, inputs, gradient.kwargs, gradient.outputs)
