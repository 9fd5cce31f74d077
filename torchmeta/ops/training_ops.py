"""Training ops: the Apply* / ResourceApply* / SparseApply* updates TF1 optimizers emit, and the scatter ops.

Kernels follow TensorFlow's training_ops.cc arithmetic step for step (same operation order, same
epsilon placement), so N steps here equal N steps in TensorFlow to rounding.

Ref variants (``var: Ref(T)``) receive the variable's ``VariableSlot`` and update its tensor in place,
as TF updates a ref variable's buffer (reads that alias it see the update); their output is the ref.
Resource variants follow the copy-on-write semantics of resource variables (see ops/state_ops.py): the
new values are computed into fresh tensors that replace the slot's, so values read earlier keep their
contents.

Sparse variants apply the update row by row in ``indices`` order, as TF's CPU kernels do: a repeated
index is updated once per occurrence (the optimizers de-duplicate first, so they never send any).
"""

from __future__ import annotations

import math
import sys

import torch

from torchmeta import errors
from torchmeta.framework import common_shapes
from torchmeta.framework.registry import not_differentiable, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape

_NUMBER_TYPES = (
    "{float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, "
    "uint16, complex128, half, uint32, uint64}"
)
_T = f"T: {_NUMBER_TYPES}"
_TINDICES = "Tindices: {int32, int64}"
_LOCKING = "use_locking: bool = false"


# ---------------------------------------------------------------------------------------------
# Shape functions (TF's ApplyXShapeFn: merge var with its slots and the gradient, scalars rank 0)


def _fmt(shape: TensorShape) -> str:
    if shape.rank is None:
        return "?"
    return "[" + ",".join("?" if d is None else str(d) for d in shape.as_tuple()) + "]"


def _shape_error(op, message: str) -> ValueError:
    inputs = ", ".join(_fmt(t.shape) for t in op.inputs)
    return ValueError(f"{message} for '{op.name}' (op: '{op.type}') with input shapes: {inputs}.")


def _merge(op, a: TensorShape, b: TensorShape) -> TensorShape:
    """InferenceContext::Merge with TF's wording."""
    if a.rank is None:
        return b
    if b.rank is None:
        return a
    if a.rank != b.rank:
        raise _shape_error(op, f"Shapes must be equal rank, but are {a.rank} and {b.rank}")
    dims = []
    for i, (x, y) in enumerate(zip(a.as_tuple(), b.as_tuple())):
        if x is not None and y is not None and x != y:
            raise _shape_error(
                op,
                f"Dimension {i} in both shapes must be equal, but are {x} and {y}. Shapes are {_fmt(a)} and {_fmt(b)}.",
            )
        dims.append(x if x is not None else y)
    return TensorShape(dims)


def _with_rank(op, shape: TensorShape, rank: int) -> TensorShape:
    if shape.rank is not None and shape.rank != rank:
        raise _shape_error(op, f"Shape must be rank {rank} but is rank {shape.rank}")
    return shape if shape.rank is not None else unknown_shape(rank)


def _apply_shape(slots: int, scalars, grad: int, sparse: bool = False):
    """Output shape of an Apply op: inputs 0..slots-1 are var and its slots, ``scalars`` rank 0."""

    def fn(op):
        inputs = op.inputs
        s = inputs[0].shape
        for i in range(1, slots):
            s = _merge(op, s, inputs[i].shape)
        for i in scalars:
            _with_rank(op, inputs[i].shape, 0)
        g = inputs[grad].shape
        if not sparse:
            s = _merge(op, s, g)
        else:
            indices = _with_rank(op, inputs[grad + 1].shape, 1)
            if g.rank is not None:
                if g.rank < 1:
                    raise _shape_error(op, f"Shape must be at least rank 1 but is rank {g.rank}")
                n, m = indices.as_tuple()[0], g.as_tuple()[0]
                if n is not None and m is not None and n != m:
                    raise _shape_error(op, f"Dimensions must be equal, but are {n} and {m}")
                g = TensorShape([None, *g.as_tuple()[1:]])
            s = _merge(op, s, g)
        return [s] if op.outputs else []

    return fn


def _scatter_shape(op):
    """ScatterUpdateShape: updates is scalar or indices.shape + ref.shape[1:]; the output is the ref."""
    ref, indices, updates = (t.shape for t in op.inputs)
    if ref.rank is not None and ref.rank < 1:
        raise _shape_error(op, f"Shape must be at least rank 1 but is rank {ref.rank}")
    if updates.rank != 0 and ref.rank is not None and indices.rank is not None:
        _merge(op, updates, TensorShape([*indices.as_tuple(), *ref.as_tuple()[1:]]))
    return [ref]


# ---------------------------------------------------------------------------------------------
# Runtime checks (TF's wording)


def _debug(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _scalar(t, what: str, sep: str = ": "):
    if t.dim() != 0:
        raise _invalid(f"{what} is not a scalar{sep}{_debug(t.shape)}")
    return t


def _same_shape(var, other, name: str):
    if var.shape != other.shape:
        raise _invalid(f"var and {name} do not have the same shape{_debug(var.shape)} {_debug(other.shape)}")


def _sparse_checks(var, grad, indices, slots=(), inner_dim_check=False):
    """SparseApply* validation: shapes, then every index in [0, var.shape[0])."""
    for name, slot in slots:
        _same_shape(var, slot, name)
    if var.dim() < 1:
        raise _invalid("var must be at least 1 dimensional")
    if indices.dim() != 1:
        raise _invalid("indices must be one-dimensional")
    for d in range(1, var.dim()):
        if grad.dim() <= d or var.shape[d] != grad.shape[d]:
            raise _invalid(f"var and grad must match in dimension {d}")
    n = indices.shape[0]
    if grad.dim() < 1 or grad.shape[0] != n:
        raise _invalid("grad must be the same size as indices in the first dimension.")
    if inner_dim_check and math.prod(var.shape[1:]) == 0:
        raise _invalid("Inner dimension should be greater than zero.")
    if n:
        bad = (indices < 0) | (indices >= var.shape[0])
        if bool(bad.any()):
            i = int(torch.nonzero(bad)[0, 0])
            raise _invalid(f"Index {int(indices[i])} at offset {i} in indices is out of range")


def _rounds(indices):
    """Positions of ``indices`` split into rounds of distinct indices, keeping each index's order.

    One round (all positions) when the indices are unique, which is what the optimizers send.
    """
    n = indices.shape[0]
    if n <= 1 or torch.unique(indices).shape[0] == n:
        return [None]
    _, order = torch.sort(indices, stable=True)
    sorted_idx = indices[order]
    positions = torch.arange(n, device=indices.device)
    starts = torch.ones(n, dtype=torch.bool, device=indices.device)
    starts[1:] = sorted_idx[1:] != sorted_idx[:-1]
    group_start = torch.cummax(torch.where(starts, positions, torch.zeros_like(positions)), 0).values
    rank = torch.empty_like(positions)
    rank[order] = positions - group_start
    return [torch.nonzero(rank == r).reshape(-1) for r in range(int(rank.max()) + 1)]


def _one(t):
    return torch.ones((), dtype=t.dtype, device=t.device)


def _updated(slot, in_place: bool):
    """The tensor a kernel updates: the slot's own (ref variables), or for resource variables a copy when
    something else still holds the current value (TF's copy-on-write), else the value itself."""
    value = slot.read()
    if in_place or sys.getrefcount(value) <= _UNSHARED_REFS:
        return value
    return value.clone()


# References to a slot's tensor nobody else holds: the slot, the local in _updated, getrefcount's argument.
_UNSHARED_REFS = 3


def _store(slots, values, in_place: bool):
    if not in_place:
        for slot, value in zip(slots, values):
            slot.value = value


def _sparse_update(tensors, grad, indices, row_fn):
    """Applies ``row_fn(rows..., grad_rows)`` to the rows ``indices`` of ``tensors`` (updated in place)."""
    indices = indices.long()
    flat = [t.reshape(t.shape[0], -1) if t.dim() != 1 else t for t in tensors]
    g = grad.reshape(grad.shape[0], -1) if tensors[0].dim() != 1 else grad
    for positions in _rounds(indices):
        idx = indices if positions is None else indices[positions]
        rows = [t.index_select(0, idx) for t in flat]
        g_rows = g if positions is None else g.index_select(0, positions)
        row_fn(*rows, g_rows)
        for t, r in zip(flat, rows):
            t.index_copy_(0, idx, r)


# ---------------------------------------------------------------------------------------------
# Gradient descent


def _gradient_descent(var_slot, alpha, delta, in_place):
    var = _updated(var_slot, in_place)
    _scalar(alpha, "alpha")
    _same_shape(var, delta, "delta")
    var.addcmul_(delta, alpha, value=-1)  # var -= delta * alpha, in one pass
    _store([var_slot], [var], in_place)


@register_op(
    "ApplyGradientDescent",
    inputs=["var: Ref(T)", "alpha: T", "delta: T"],
    outputs=["out: Ref(T)"],
    attrs=[_T, _LOCKING],
    shape=_apply_shape(1, [1], 2),
)
def apply_gradient_descent(var, alpha, delta):
    _gradient_descent(var, alpha, delta, True)
    return var


@register_op(
    "ResourceApplyGradientDescent",
    inputs=["var: resource", "alpha: T", "delta: T"],
    attrs=[_T, _LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_gradient_descent(var, alpha, delta):
    _gradient_descent(var, alpha, delta, False)


# ---------------------------------------------------------------------------------------------
# Momentum (and Keras momentum, which ResourceApplyKerasMomentum implements)


def _momentum(var_slot, accum_slot, lr, grad, momentum, use_nesterov, in_place):
    var, accum = _updated(var_slot, in_place), _updated(accum_slot, in_place)
    _scalar(lr, "lr")
    _same_shape(var, accum, "accum")
    _same_shape(var, grad, "grad")
    _scalar(momentum, "momentum")
    accum.mul_(momentum).add_(grad)
    if use_nesterov:
        var.sub_(grad * lr + accum * momentum * lr)
    else:
        var.sub_(accum * lr)
    _store([var_slot, accum_slot], [var, accum], in_place)


@register_op(
    "ApplyMomentum",
    inputs=["var: Ref(T)", "accum: Ref(T)", "lr: T", "grad: T", "momentum: T"],
    outputs=["out: Ref(T)"],
    attrs=[_T, _LOCKING, "use_nesterov: bool = false"],
    shape=_apply_shape(2, [2, 4], 3),
)
def apply_momentum(var, accum, lr, grad, momentum, use_nesterov):
    _momentum(var, accum, lr, grad, momentum, use_nesterov, True)
    return var


@register_op(
    "ResourceApplyMomentum",
    inputs=["var: resource", "accum: resource", "lr: T", "grad: T", "momentum: T"],
    attrs=[_T, _LOCKING, "use_nesterov: bool = false"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_momentum(var, accum, lr, grad, momentum, use_nesterov):
    _momentum(var, accum, lr, grad, momentum, use_nesterov, False)


@register_op(
    "ResourceApplyKerasMomentum",
    inputs=["var: resource", "accum: resource", "lr: T", "grad: T", "momentum: T"],
    attrs=[_T, _LOCKING, "use_nesterov: bool = false"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_keras_momentum(var, accum, lr, grad, momentum, use_nesterov):
    var_slot, accum_slot = var, accum
    var, accum = var_slot.read().clone(), accum_slot.read().clone()
    _scalar(lr, "lr")
    _same_shape(var, accum, "accum")
    _same_shape(var, grad, "grad")
    _scalar(momentum, "momentum")
    accum.mul_(momentum).sub_(grad * lr)
    if use_nesterov:
        var.add_(accum * momentum - grad * lr)
    else:
        var.add_(accum)
    _store([var_slot, accum_slot], [var, accum], False)


@register_op(
    "ResourceSparseApplyKerasMomentum",
    inputs=["var: resource", "accum: resource", "lr: T", "grad: T", "indices: Tindices", "momentum: T"],
    attrs=[_T, _TINDICES, _LOCKING, "use_nesterov: bool = false"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_sparse_apply_keras_momentum(var, accum, lr, grad, indices, momentum, use_nesterov):
    var_slot, accum_slot = var, accum
    var, accum = var_slot.read().clone(), accum_slot.read().clone()
    _same_shape(var, accum, "accum")
    if var.dim() < 1:
        raise _invalid("var must be at least 1 dimensional")
    _scalar(lr, "lr")
    _sparse_checks(var, grad, indices)
    _scalar(momentum, "momentum")

    def rows(v, a, g):
        a.copy_(a * momentum - g * lr)
        if use_nesterov:
            v.add_(a * momentum - g * lr)
        else:
            v.add_(a)

    if indices.shape[0]:
        _sparse_update([var, accum], grad, indices, rows)
    _store([var_slot, accum_slot], [var, accum], False)


def _sparse_momentum(var_slot, accum_slot, lr, grad, indices, momentum, use_nesterov, in_place):
    var, accum = _updated(var_slot, in_place), _updated(accum_slot, in_place)
    _same_shape(var, accum, "accum")
    if var.dim() < 1:
        raise _invalid("var must be at least 1 dimensional")
    _scalar(lr, "lr", " : ")
    _sparse_checks(var, grad, indices)
    _scalar(momentum, "momentum")

    def rows(v, a, g):
        a.mul_(momentum).add_(g)
        if use_nesterov:
            v.sub_(lr * g + lr * momentum * a)
        else:
            v.sub_(lr * a)

    if indices.shape[0]:
        _sparse_update([var, accum], grad, indices, rows)
    _store([var_slot, accum_slot], [var, accum], in_place)


@register_op(
    "SparseApplyMomentum",
    inputs=["var: Ref(T)", "accum: Ref(T)", "lr: T", "grad: T", "indices: Tindices", "momentum: T"],
    outputs=["out: Ref(T)"],
    attrs=[_T, _TINDICES, _LOCKING, "use_nesterov: bool = false"],
    shape=_apply_shape(2, [2, 5], 3, sparse=True),
)
def sparse_apply_momentum(var, accum, lr, grad, indices, momentum, use_nesterov):
    _sparse_momentum(var, accum, lr, grad, indices, momentum, use_nesterov, True)
    return var


@register_op(
    "ResourceSparseApplyMomentum",
    inputs=["var: resource", "accum: resource", "lr: T", "grad: T", "indices: Tindices", "momentum: T"],
    attrs=[_T, _TINDICES, _LOCKING, "use_nesterov: bool = false"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_sparse_apply_momentum(var, accum, lr, grad, indices, momentum, use_nesterov):
    _sparse_momentum(var, accum, lr, grad, indices, momentum, use_nesterov, False)


# ---------------------------------------------------------------------------------------------
# Adam


def _adam(var_slot, m_slot, v_slot, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, use_nesterov, in_place):
    var, m, v = _updated(var_slot, in_place), _updated(m_slot, in_place), _updated(v_slot, in_place)
    _scalar(beta1_power, "beta1_power")
    _scalar(beta2_power, "beta2_power")
    _scalar(lr, "lr", " : ")
    _scalar(beta1, "beta1")
    _scalar(beta2, "beta2")
    _scalar(epsilon, "epsilon")
    _same_shape(var, m, "m")
    _same_shape(var, v, "v")
    _same_shape(var, grad, "grad")
    one = _one(var)
    alpha = lr * torch.sqrt(one - beta2_power) / (one - beta1_power)
    m.add_((grad - m) * (one - beta1))
    v.add_((grad.square() - v) * (one - beta2))
    if use_nesterov:
        var.sub_(((grad * (one - beta1) + beta1 * m) * alpha) / (v.sqrt() + epsilon))
    else:
        var.sub_((m * alpha) / (v.sqrt() + epsilon))
    _store([var_slot, m_slot, v_slot], [var, m, v], in_place)


_ADAM_INPUTS = ["beta1_power: T", "beta2_power: T", "lr: T", "beta1: T", "beta2: T", "epsilon: T", "grad: T"]


@register_op(
    "ApplyAdam",
    inputs=["var: Ref(T)", "m: Ref(T)", "v: Ref(T)", *_ADAM_INPUTS],
    outputs=["out: Ref(T)"],
    attrs=[_T, _LOCKING, "use_nesterov: bool = false"],
    shape=_apply_shape(3, range(3, 9), 9),
)
def apply_adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, use_nesterov):
    _adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, use_nesterov, True)
    return var


@register_op(
    "ResourceApplyAdam",
    inputs=["var: resource", "m: resource", "v: resource", *_ADAM_INPUTS],
    attrs=[_T, _LOCKING, "use_nesterov: bool = false"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, use_nesterov):
    _adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, use_nesterov, False)


# ---------------------------------------------------------------------------------------------
# Adagrad


def _adagrad(var_slot, accum_slot, lr, epsilon, grad, update_slots, in_place):
    var, accum = _updated(var_slot, in_place), _updated(accum_slot, in_place)
    _scalar(lr, "lr")
    if epsilon is not None:
        _scalar(epsilon, "epsilon")
    _same_shape(var, accum, "accum")
    _same_shape(var, grad, "grad")
    if update_slots:
        accum.add_(grad.square())
    if epsilon is None:
        var.sub_(grad * lr * accum.rsqrt())
    else:
        var.sub_(grad * lr / (accum.sqrt() + epsilon))
    _store([var_slot, accum_slot], [var, accum], in_place)


@register_op(
    "ApplyAdagrad",
    inputs=["var: Ref(T)", "accum: Ref(T)", "lr: T", "grad: T"],
    outputs=["out: Ref(T)"],
    attrs=[_T, _LOCKING, "update_slots: bool = true"],
    shape=_apply_shape(2, [2], 3),
)
def apply_adagrad(var, accum, lr, grad, update_slots):
    _adagrad(var, accum, lr, None, grad, update_slots, True)
    return var


@register_op(
    "ApplyAdagradV2",
    inputs=["var: Ref(T)", "accum: Ref(T)", "lr: T", "epsilon: T", "grad: T"],
    outputs=["out: Ref(T)"],
    attrs=[_T, _LOCKING, "update_slots: bool = true"],
    shape=_apply_shape(2, [2, 3], 4),
)
def apply_adagrad_v2(var, accum, lr, epsilon, grad, update_slots):
    _adagrad(var, accum, lr, epsilon, grad, update_slots, True)
    return var


@register_op(
    "ResourceApplyAdagrad",
    inputs=["var: resource", "accum: resource", "lr: T", "grad: T"],
    attrs=[_T, _LOCKING, "update_slots: bool = true"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_adagrad(var, accum, lr, grad, update_slots):
    _adagrad(var, accum, lr, None, grad, update_slots, False)


@register_op(
    "ResourceApplyAdagradV2",
    inputs=["var: resource", "accum: resource", "lr: T", "epsilon: T", "grad: T"],
    attrs=[_T, _LOCKING, "update_slots: bool = true"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_adagrad_v2(var, accum, lr, epsilon, grad, update_slots):
    _adagrad(var, accum, lr, epsilon, grad, update_slots, False)


def _sparse_adagrad(var_slot, accum_slot, lr, epsilon, grad, indices, update_slots, in_place):
    var, accum = _updated(var_slot, in_place), _updated(accum_slot, in_place)
    _same_shape(var, accum, "accum")
    if var.dim() < 1:
        raise _invalid("var must be at least 1 dimensional")
    _scalar(lr, "lr")
    if epsilon is not None:
        _scalar(epsilon, "epsilon")
    _sparse_checks(var, grad, indices, inner_dim_check=True)
    scalar_rows = math.prod(var.shape[1:]) == 1  # TF's inner_dim == 1 path divides by sqrt, not rsqrt

    def rows(v, a, g):
        if update_slots:
            a.add_(g * g if scalar_rows else g.square())
        if epsilon is not None:
            v.sub_(lr * g / (a.sqrt() + epsilon))
        elif scalar_rows:
            v.sub_(lr * g / a.sqrt())
        else:
            v.sub_(lr * g * a.rsqrt())

    if indices.shape[0]:
        _sparse_update([var, accum], grad, indices, rows)
    _store([var_slot, accum_slot], [var, accum], in_place)


@register_op(
    "SparseApplyAdagrad",
    inputs=["var: Ref(T)", "accum: Ref(T)", "lr: T", "grad: T", "indices: Tindices"],
    outputs=["out: Ref(T)"],
    attrs=[_T, _TINDICES, _LOCKING, "update_slots: bool = true"],
    shape=_apply_shape(2, [2], 3, sparse=True),
)
def sparse_apply_adagrad(var, accum, lr, grad, indices, update_slots):
    _sparse_adagrad(var, accum, lr, None, grad, indices, update_slots, True)
    return var


@register_op(
    "SparseApplyAdagradV2",
    inputs=["var: Ref(T)", "accum: Ref(T)", "lr: T", "epsilon: T", "grad: T", "indices: Tindices"],
    outputs=["out: Ref(T)"],
    attrs=[_T, _TINDICES, _LOCKING, "update_slots: bool = true"],
    shape=_apply_shape(2, [2, 3], 4, sparse=True),
)
def sparse_apply_adagrad_v2(var, accum, lr, epsilon, grad, indices, update_slots):
    _sparse_adagrad(var, accum, lr, epsilon, grad, indices, update_slots, True)
    return var


@register_op(
    "ResourceSparseApplyAdagrad",
    inputs=["var: resource", "accum: resource", "lr: T", "grad: T", "indices: Tindices"],
    attrs=[_T, _TINDICES, _LOCKING, "update_slots: bool = true"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_sparse_apply_adagrad(var, accum, lr, grad, indices, update_slots):
    _sparse_adagrad(var, accum, lr, None, grad, indices, update_slots, False)


@register_op(
    "ResourceSparseApplyAdagradV2",
    inputs=["var: resource", "accum: resource", "lr: T", "epsilon: T", "grad: T", "indices: Tindices"],
    attrs=[_T, _TINDICES, _LOCKING, "update_slots: bool = true"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_sparse_apply_adagrad_v2(var, accum, lr, epsilon, grad, indices, update_slots):
    _sparse_adagrad(var, accum, lr, epsilon, grad, indices, update_slots, False)


# ---------------------------------------------------------------------------------------------
# RMSProp (plain and centered)


def _rms_scalars(lr, rho, momentum, epsilon, lr_sep):
    _scalar(lr, "lr", lr_sep)
    _scalar(rho, "rho")
    _scalar(momentum, "momentum")
    _scalar(epsilon, "epsilon")


def _rms_prop(var_slot, mg_slot, ms_slot, mom_slot, lr, rho, momentum, epsilon, grad, in_place):
    slots = [var_slot, ms_slot, mom_slot] if mg_slot is None else [var_slot, mg_slot, ms_slot, mom_slot]
    values = [_updated(s, in_place) for s in slots]
    if mg_slot is None:
        var, ms, mom = values
        mg = None
    else:
        var, mg, ms, mom = values
    _rms_scalars(lr, rho, momentum, epsilon, " : ")
    if mg is not None and var.shape != mg.shape:
        # TF's message names ms's shape here.
        raise _invalid(f"var and mg do not have the same shape{_debug(var.shape)} {_debug(ms.shape)}")
    _same_shape(var, ms, "ms")
    _same_shape(var, mom, "mom")
    _same_shape(var, grad, "grad")
    one = _one(var)
    ms.add_((grad.square() - ms) * (one - rho))
    if mg is None:
        denom = (ms + epsilon).sqrt()
    else:
        mg.add_((grad - mg) * (one - rho))
        denom = ((ms - mg.square()) + epsilon).sqrt()
    mom.mul_(momentum).add_((grad * lr) / denom)
    var.sub_(mom)
    _store(slots, values, in_place)


_RMS_INPUTS = ["lr: T", "rho: T", "momentum: T", "epsilon: T", "grad: T"]


@register_op(
    "ApplyRMSProp",
    inputs=["var: Ref(T)", "ms: Ref(T)", "mom: Ref(T)", *_RMS_INPUTS],
    outputs=["out: Ref(T)"],
    attrs=[_T, _LOCKING],
    shape=_apply_shape(3, range(3, 7), 7),
)
def apply_rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad):
    _rms_prop(var, None, ms, mom, lr, rho, momentum, epsilon, grad, True)
    return var


@register_op(
    "ResourceApplyRMSProp",
    inputs=["var: resource", "ms: resource", "mom: resource", *_RMS_INPUTS],
    attrs=[_T, _LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad):
    _rms_prop(var, None, ms, mom, lr, rho, momentum, epsilon, grad, False)


@register_op(
    "ApplyCenteredRMSProp",
    inputs=["var: Ref(T)", "mg: Ref(T)", "ms: Ref(T)", "mom: Ref(T)", *_RMS_INPUTS],
    outputs=["out: Ref(T)"],
    attrs=[_T, _LOCKING],
    shape=_apply_shape(4, range(4, 8), 8),
)
def apply_centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad):
    _rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad, True)
    return var


@register_op(
    "ResourceApplyCenteredRMSProp",
    inputs=["var: resource", "mg: resource", "ms: resource", "mom: resource", *_RMS_INPUTS],
    attrs=[_T, _LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad):
    _rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad, False)


def _sparse_rms_prop(var_slot, mg_slot, ms_slot, mom_slot, lr, rho, momentum, epsilon, grad, indices, in_place):
    slots = [var_slot, ms_slot, mom_slot] if mg_slot is None else [var_slot, mg_slot, ms_slot, mom_slot]
    values = [_updated(s, in_place) for s in slots]
    var = values[0]
    _rms_scalars(lr, rho, momentum, epsilon, ": ")
    named = [("ms", values[1]), ("mom", values[2])] if mg_slot is None else list(zip(("mg", "ms", "mom"), values[1:]))
    _sparse_checks(var, grad, indices, named)
    one = _one(var)

    def rows_plain(v, ms, mom, g):
        ms.copy_(ms * rho + g.square() * (one - rho))
        mom.copy_(mom * momentum + (ms + epsilon).rsqrt() * lr * g)
        v.sub_(mom)

    def rows_centered(v, mg, ms, mom, g):
        ms.copy_(ms * rho + g.square() * (one - rho))
        mg.copy_(mg * rho + g * (one - rho))
        denom = ms + epsilon - mg.square()
        mom.copy_(mom * momentum + denom.rsqrt() * lr * g)
        v.sub_(mom)

    if indices.shape[0]:
        _sparse_update(values, grad, indices, rows_plain if mg_slot is None else rows_centered)
    _store(slots, values, in_place)


@register_op(
    "SparseApplyRMSProp",
    inputs=["var: Ref(T)", "ms: Ref(T)", "mom: Ref(T)", *_RMS_INPUTS, "indices: Tindices"],
    outputs=["out: Ref(T)"],
    attrs=[_T, _TINDICES, _LOCKING],
    shape=_apply_shape(3, range(3, 7), 7, sparse=True),
)
def sparse_apply_rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad, indices):
    _sparse_rms_prop(var, None, ms, mom, lr, rho, momentum, epsilon, grad, indices, True)
    return var


@register_op(
    "ResourceSparseApplyRMSProp",
    inputs=["var: resource", "ms: resource", "mom: resource", *_RMS_INPUTS, "indices: Tindices"],
    attrs=[_T, _TINDICES, _LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_sparse_apply_rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad, indices):
    _sparse_rms_prop(var, None, ms, mom, lr, rho, momentum, epsilon, grad, indices, False)


@register_op(
    "SparseApplyCenteredRMSProp",
    inputs=["var: Ref(T)", "mg: Ref(T)", "ms: Ref(T)", "mom: Ref(T)", *_RMS_INPUTS, "indices: Tindices"],
    outputs=["out: Ref(T)"],
    attrs=[_T, _TINDICES, _LOCKING],
    shape=_apply_shape(4, range(4, 8), 8, sparse=True),
)
def sparse_apply_centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad, indices):
    _sparse_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad, indices, True)
    return var


@register_op(
    "ResourceSparseApplyCenteredRMSProp",
    inputs=["var: resource", "mg: resource", "ms: resource", "mom: resource", *_RMS_INPUTS, "indices: Tindices"],
    attrs=[_T, _TINDICES, _LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_sparse_apply_centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad, indices):
    _sparse_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad, indices, False)


# ---------------------------------------------------------------------------------------------
# Adadelta


def _adadelta(var_slot, accum_slot, update_slot, lr, rho, epsilon, grad, in_place):
    slots = [var_slot, accum_slot, update_slot]
    var, accum, accum_update = values = [_updated(s, in_place) for s in slots]
    _scalar(lr, "lr")
    _scalar(rho, "rho")
    _scalar(epsilon, "epsilon")
    _same_shape(var, accum, "accum")
    _same_shape(var, grad, "grad")
    one = _one(var)
    accum.mul_(rho).add_(grad.square() * (one - rho))
    update = (accum_update + epsilon).sqrt() * (accum + epsilon).rsqrt() * grad
    var.sub_(update * lr)
    accum_update.mul_(rho).add_(update.square() * (one - rho))
    _store(slots, values, in_place)


_ADADELTA_INPUTS = ["lr: T", "rho: T", "epsilon: T", "grad: T"]


@register_op(
    "ApplyAdadelta",
    inputs=["var: Ref(T)", "accum: Ref(T)", "accum_update: Ref(T)", *_ADADELTA_INPUTS],
    outputs=["out: Ref(T)"],
    attrs=[_T, _LOCKING],
    shape=_apply_shape(3, range(3, 6), 6),
)
def apply_adadelta(var, accum, accum_update, lr, rho, epsilon, grad):
    _adadelta(var, accum, accum_update, lr, rho, epsilon, grad, True)
    return var


@register_op(
    "ResourceApplyAdadelta",
    inputs=["var: resource", "accum: resource", "accum_update: resource", *_ADADELTA_INPUTS],
    attrs=[_T, _LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_adadelta(var, accum, accum_update, lr, rho, epsilon, grad):
    _adadelta(var, accum, accum_update, lr, rho, epsilon, grad, False)


def _sparse_adadelta(var_slot, accum_slot, update_slot, lr, rho, epsilon, grad, indices, in_place):
    slots = [var_slot, accum_slot, update_slot]
    var, accum, accum_update = values = [_updated(s, in_place) for s in slots]
    _same_shape(var, accum, "accum_grad")
    _same_shape(var, accum_update, "accum_update")
    if var.dim() < 1:
        raise _invalid("var must be at least 1 dimensional")
    _scalar(lr, "lr")
    _scalar(rho, "rho")
    _scalar(epsilon, "epsilon")
    _sparse_checks(var, grad, indices)
    one = _one(var)

    def rows(v, a, au, g):
        a.copy_(a * rho + g.square() * (one - rho))
        update = (au + epsilon).sqrt() * (a + epsilon).rsqrt() * g
        v.sub_(update * lr)
        au.copy_(au * rho + update.square() * (one - rho))

    if indices.shape[0]:
        _sparse_update(values, grad, indices, rows)
    _store(slots, values, in_place)


@register_op(
    "SparseApplyAdadelta",
    inputs=["var: Ref(T)", "accum: Ref(T)", "accum_update: Ref(T)", *_ADADELTA_INPUTS, "indices: Tindices"],
    outputs=["out: Ref(T)"],
    attrs=[_T, _TINDICES, _LOCKING],
    shape=_apply_shape(3, range(3, 6), 6, sparse=True),
)
def sparse_apply_adadelta(var, accum, accum_update, lr, rho, epsilon, grad, indices):
    _sparse_adadelta(var, accum, accum_update, lr, rho, epsilon, grad, indices, True)
    return var


@register_op(
    "ResourceSparseApplyAdadelta",
    inputs=["var: resource", "accum: resource", "accum_update: resource", *_ADADELTA_INPUTS, "indices: Tindices"],
    attrs=[_T, _TINDICES, _LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_sparse_apply_adadelta(var, accum, accum_update, lr, rho, epsilon, grad, indices):
    _sparse_adadelta(var, accum, accum_update, lr, rho, epsilon, grad, indices, False)


# ---------------------------------------------------------------------------------------------
# Scatter ops on ref and resource variables (what TF1 optimizers emit for sparse gradients)


def _scatter_rows(params, indices, updates):
    """Validates a scatter and returns (flat indices, updates shaped [n] + params.shape[1:])."""
    if params.dim() < 1:
        raise _invalid(f"params must be at least 1-D, got shape {_debug(params.shape)}")
    tail = tuple(params.shape[1:])
    if updates.dim() != 0 and tuple(updates.shape) != tuple(indices.shape) + tail:
        raise _invalid(
            "Must have updates.shape = indices.shape + params.shape[1:] or updates.shape = [], got updates.shape "
            f"{_debug(updates.shape)}, indices.shape {_debug(indices.shape)}, params.shape {_debug(params.shape)}"
        )
    flat = indices.reshape(-1).long()
    if flat.numel():
        bad = (flat < 0) | (flat >= params.shape[0])
        if bool(bad.any()):
            i = int(torch.nonzero(bad)[0, 0])
            where = _slice_debug(tuple(indices.shape), i)
            raise _invalid(f"indices{where} = {int(flat[i])} is not in [0, {params.shape[0]})")
    rows = updates.expand(*indices.shape, *tail) if updates.dim() == 0 else updates
    return flat, rows.reshape(flat.shape[0], *tail)


def _slice_debug(shape, flat_index: int) -> str:
    """TF's SliceDebugString: ``[i,j]`` for the position of a flat index in ``shape``."""
    if not shape:
        return ""
    coords = []
    for d in reversed(shape):
        coords.append(flat_index % d)
        flat_index //= d
    return "[" + ",".join(str(c) for c in reversed(coords)) + "]"


def _ref_scatter(ref, indices, updates, mode):
    params = ref.read()
    flat, rows = _scatter_rows(params, indices, updates)
    if mode == "add":
        params.index_add_(0, flat, rows)
    elif mode == "sub":
        params.index_add_(0, flat, rows, alpha=-1)
    else:
        params.index_copy_(0, flat, rows)
    return ref


def _resource_scatter(resource, indices, updates, mode):
    params = resource.read()
    flat, rows = _scatter_rows(params, indices, updates)
    if mode == "add":
        resource.value = params.index_add(0, flat, rows)
    elif mode == "sub":
        resource.value = params.index_add(0, flat, rows, alpha=-1)
    else:
        resource.value = params.index_copy(0, flat, rows)


_SCATTER_INPUTS = ["ref: Ref(T)", "indices: Tindices", "updates: T"]


@register_op(
    "ScatterAdd",
    inputs=_SCATTER_INPUTS,
    outputs=["output_ref: Ref(T)"],
    attrs=[_T, _TINDICES, _LOCKING],
    shape=_scatter_shape,
)
def scatter_add(ref, indices, updates):
    return _ref_scatter(ref, indices, updates, "add")


@register_op(
    "ScatterSub",
    inputs=_SCATTER_INPUTS,
    outputs=["output_ref: Ref(T)"],
    attrs=[_T, _TINDICES, _LOCKING],
    shape=_scatter_shape,
)
def scatter_sub(ref, indices, updates):
    return _ref_scatter(ref, indices, updates, "sub")


@register_op(
    "ScatterUpdate",
    inputs=_SCATTER_INPUTS,
    outputs=["output_ref: Ref(T)"],
    attrs=["T: type", _TINDICES, "use_locking: bool = true"],
    shape=_scatter_shape,
)
def scatter_update(ref, indices, updates):
    return _ref_scatter(ref, indices, updates, "update")


_RESOURCE_SCATTER_INPUTS = ["resource: resource", "indices: Tindices", "updates: dtype"]


@register_op(
    "ResourceScatterAdd",
    inputs=_RESOURCE_SCATTER_INPUTS,
    attrs=[f"dtype: {_NUMBER_TYPES}", _TINDICES],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_scatter_add(resource, indices, updates):
    _resource_scatter(resource, indices, updates, "add")


@register_op(
    "ResourceScatterSub",
    inputs=_RESOURCE_SCATTER_INPUTS,
    attrs=[f"dtype: {_NUMBER_TYPES}", _TINDICES],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_scatter_sub(resource, indices, updates):
    _resource_scatter(resource, indices, updates, "sub")


@register_op(
    "ResourceScatterUpdate",
    inputs=_RESOURCE_SCATTER_INPUTS,
    attrs=["dtype: type", _TINDICES],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_scatter_update(resource, indices, updates):
    _resource_scatter(resource, indices, updates, "update")


not_differentiable(
    "ApplyGradientDescent",
    "ResourceApplyGradientDescent",
    "ApplyMomentum",
    "ResourceApplyMomentum",
    "ResourceApplyKerasMomentum",
    "ResourceSparseApplyKerasMomentum",
    "SparseApplyMomentum",
    "ResourceSparseApplyMomentum",
    "ApplyAdam",
    "ResourceApplyAdam",
    "ApplyAdagrad",
    "ApplyAdagradV2",
    "ResourceApplyAdagrad",
    "ResourceApplyAdagradV2",
    "SparseApplyAdagrad",
    "SparseApplyAdagradV2",
    "ResourceSparseApplyAdagrad",
    "ResourceSparseApplyAdagradV2",
    "ApplyRMSProp",
    "ResourceApplyRMSProp",
    "ApplyCenteredRMSProp",
    "ResourceApplyCenteredRMSProp",
    "SparseApplyRMSProp",
    "ResourceSparseApplyRMSProp",
    "SparseApplyCenteredRMSProp",
    "ResourceSparseApplyCenteredRMSProp",
    "ApplyAdadelta",
    "ResourceApplyAdadelta",
    "SparseApplyAdadelta",
    "ResourceSparseApplyAdadelta",
    "ScatterAdd",
    "ScatterSub",
    "ScatterUpdate",
    "ResourceScatterAdd",
    "ResourceScatterSub",
    "ResourceScatterUpdate",
)
