"""Helpers shared by the op families (one definition each; the families import them from here)."""

from __future__ import annotations

import math
import sys

import torch

from torchmeta import errors
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape

__all__ = [
    "NUMBER_TYPES",
    "TRAINING_T",
    "TINDICES",
    "USE_LOCKING",
    "mark_owned",
    "take_owned",
    "resource_key",
    "session_resource",
    "format_shape",
    "shape_error",
    "merge_shapes",
    "with_rank",
    "apply_op_shape",
    "scatter_update_shape",
    "debug_shape",
    "invalid_argument",
    "check_scalar",
    "check_same_shape",
    "check_sparse_update",
    "distinct_rounds",
    "one_like",
    "updated_value",
    "store_values",
    "update_rows",
]

# Tensors a kernel allocated for the sole purpose of being stored (RestoreV2's outputs) carry this
# attribute; an Assign may then keep them instead of copying, so a restore needs no second copy.
_OWNED = "_torchmeta_owned"


def mark_owned(tensor):
    """Marks a freshly allocated tensor that nothing else references as adoptable by an Assign."""
    setattr(tensor, _OWNED, True)
    return tensor


def take_owned(value, device, dtype) -> bool:
    """Whether a variable may keep ``value`` itself (marked owned, on ``device``, contiguous, of ``dtype``).

    The mark is consumed: a tensor is adopted at most once.
    """
    if getattr(value, _OWNED, False) and value.device == device and value.is_contiguous():
        delattr(value, _OWNED)
        return dtype is None or value.dtype == dtype
    return False


# ======================================================================================

# Training ops (ops/training_ops.py, ops/training_proximal_ops.py): shapes, checks, in-place updates

NUMBER_TYPES = (
    "{float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, "
    "uint16, complex128, half, uint32, uint64}"
)
TRAINING_T = f"T: {NUMBER_TYPES}"
TINDICES = "Tindices: {int32, int64}"
USE_LOCKING = "use_locking: bool = false"


# Shape functions (TF's ApplyXShapeFn: merge var with its slots and the gradient, scalars rank 0)


def format_shape(shape: TensorShape) -> str:
    if shape.rank is None:
        return "?"
    return "[" + ",".join("?" if d is None else str(d) for d in shape.as_tuple()) + "]"


def shape_error(op, message: str) -> ValueError:
    inputs = ", ".join(format_shape(t.shape) for t in op.inputs)
    return ValueError(f"{message} for '{op.name}' (op: '{op.type}') with input shapes: {inputs}.")


def merge_shapes(op, a: TensorShape, b: TensorShape) -> TensorShape:
    """InferenceContext::Merge with TF's wording."""
    if a.rank is None:
        return b
    if b.rank is None:
        return a
    if a.rank != b.rank:
        raise shape_error(op, f"Shapes must be equal rank, but are {a.rank} and {b.rank}")
    dims = []
    for i, (x, y) in enumerate(zip(a.as_tuple(), b.as_tuple())):
        if x is not None and y is not None and x != y:
            raise shape_error(
                op,
                f"Dimension {i} in both shapes must be equal, but are {x} and {y}. Shapes are {format_shape(a)} and {format_shape(b)}.",
            )
        dims.append(x if x is not None else y)
    return TensorShape(dims)


def with_rank(op, shape: TensorShape, rank: int) -> TensorShape:
    if shape.rank is not None and shape.rank != rank:
        raise shape_error(op, f"Shape must be rank {rank} but is rank {shape.rank}")
    return shape if shape.rank is not None else unknown_shape(rank)


def apply_op_shape(slots: int, scalars, grad: int, sparse: bool = False):
    """Output shape of an Apply op: inputs 0..slots-1 are var and its slots, ``scalars`` rank 0."""

    def fn(op):
        inputs = op.inputs
        s = inputs[0].shape
        for i in range(1, slots):
            s = merge_shapes(op, s, inputs[i].shape)
        for i in scalars:
            with_rank(op, inputs[i].shape, 0)
        g = inputs[grad].shape
        if not sparse:
            s = merge_shapes(op, s, g)
        else:
            indices = with_rank(op, inputs[grad + 1].shape, 1)
            if g.rank is not None:
                if g.rank < 1:
                    raise shape_error(op, f"Shape must be at least rank 1 but is rank {g.rank}")
                n, m = indices.as_tuple()[0], g.as_tuple()[0]
                if n is not None and m is not None and n != m:
                    raise shape_error(op, f"Dimensions must be equal, but are {n} and {m}")
                g = TensorShape([None, *g.as_tuple()[1:]])
            s = merge_shapes(op, s, g)
        return [s] if op.outputs else []

    return fn


def scatter_update_shape(op):
    """ScatterUpdateShape: updates is scalar or indices.shape + ref.shape[1:]; the output is the ref."""
    ref, indices, updates = (t.shape for t in op.inputs)
    if ref.rank is not None and ref.rank < 1:
        raise shape_error(op, f"Shape must be at least rank 1 but is rank {ref.rank}")
    if updates.rank != 0 and ref.rank is not None and indices.rank is not None:
        merge_shapes(op, updates, TensorShape([*indices.as_tuple(), *ref.as_tuple()[1:]]))
    return [ref]


# ---------------------------------------------------------------------------------------------
# Runtime checks (TF's wording)


def debug_shape(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def invalid_argument(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def check_scalar(t, what: str, sep: str = ": "):
    if t.dim() != 0:
        raise invalid_argument(f"{what} is not a scalar{sep}{debug_shape(t.shape)}")
    return t


def check_same_shape(var, other, name: str):
    if var.shape != other.shape:
        raise invalid_argument(
            f"var and {name} do not have the same shape{debug_shape(var.shape)} {debug_shape(other.shape)}"
        )


def check_sparse_update(var, grad, indices, slots=(), inner_dim_check=False):
    """SparseApply* validation: shapes, then every index in [0, var.shape[0])."""
    for name, slot in slots:
        check_same_shape(var, slot, name)
    if var.dim() < 1:
        raise invalid_argument("var must be at least 1 dimensional")
    if indices.dim() != 1:
        raise invalid_argument("indices must be one-dimensional")
    for d in range(1, var.dim()):
        if grad.dim() <= d or var.shape[d] != grad.shape[d]:
            raise invalid_argument(f"var and grad must match in dimension {d}")
    n = indices.shape[0]
    if grad.dim() < 1 or grad.shape[0] != n:
        raise invalid_argument("grad must be the same size as indices in the first dimension.")
    if inner_dim_check and math.prod(var.shape[1:]) == 0:
        raise invalid_argument("Inner dimension should be greater than zero.")
    if n:
        bad = (indices < 0) | (indices >= var.shape[0])
        if bool(bad.any()):
            i = int(torch.nonzero(bad)[0, 0])
            raise invalid_argument(f"Index {int(indices[i])} at offset {i} in indices is out of range")


def distinct_rounds(indices):
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


def one_like(t):
    return torch.ones((), dtype=t.dtype, device=t.device)


def updated_value(slot, in_place: bool):
    """The tensor a kernel updates: the slot's own (ref variables), or for resource variables a copy when
    something else still holds the current value (TF's copy-on-write), else the value itself."""
    value = slot.read()
    if in_place or sys.getrefcount(value) <= _UNSHARED_REFS:
        return value
    return value.clone()


# References to a slot's tensor nobody else holds: the slot, the local in updated_value, getrefcount's argument.
_UNSHARED_REFS = 3


def store_values(slots, values, in_place: bool):
    if not in_place:
        for slot, value in zip(slots, values):
            slot.value = value


def update_rows(tensors, grad, indices, row_fn):
    """Applies ``row_fn(rows..., grad_rows)`` to the rows ``indices`` of ``tensors`` (updated in place)."""
    indices = indices.long()
    flat = [t.reshape(t.shape[0], -1) if t.dim() != 1 else t for t in tensors]
    g = grad.reshape(grad.shape[0], -1) if tensors[0].dim() != 1 else grad
    for positions in distinct_rounds(indices):
        idx = indices if positions is None else indices[positions]
        rows = [t.index_select(0, idx) for t in flat]
        g_rows = g if positions is None else g.index_select(0, positions)
        row_fn(*rows, g_rows)
        for t, r in zip(flat, rows):
            t.index_copy_(0, idx, r)


def resource_key(kind: str, container: str, shared_name: str, node_name: str):
    """How a session finds one resource (a queue, a reader, an iterator): by ``shared_name`` when given,
    else by the op that creates it."""
    return (kind, container, shared_name or node_name)


def session_resource(state, key, factory):
    """The resource ``key`` of a session's state, created by ``factory()`` on first use (once, across threads)."""
    with state.resource_lock:
        resource = state.resources.get(key)
        if resource is None:
            resource = factory()
            state.resources[key] = resource
        return resource
