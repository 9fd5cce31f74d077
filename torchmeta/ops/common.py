"""Helpers shared by the op families (one definition each; the families import them from here).

Shape-inference helpers (TF's checks and error wording) are in ``framework/common_shapes.py``, graph-time
constant folding in ``framework/constant_folding.py``; this module has what kernels and gradient functions
share.
"""

from __future__ import annotations

import contextlib
import math
import sys

import numpy as np
import torch

from torchmeta import errors
from torchmeta.api import array_ops
from torchmeta.framework.common_shapes import format_dims, merge_shapes, shape_error, with_rank
from torchmeta.framework.graph import convert_to_tensor
from torchmeta.framework.indexed_slices import IndexedSlices
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.tensor_shape import TensorShape

__all__ = [
    "CPU_FLAGS",
    "mark_owned",
    "take_owned",
    "invalid",
    "inputs_not_same_shape",
    "raised_by",
    "host_ints",
    "check_dims",
    "list_output",
    "is_np",
    "string_scalar",
    "str_attr",
    "partial_shape_str",
    "partial_shapes_compatible",
    "merge_partial_shapes",
    "partial_shape_fully_defined",
    "is_indexed_slices",
    "dense_gradient",
    "grad_reduce_sum",
    "NUMBER_TYPES",
    "TRAINING_T",
    "TINDICES",
    "USE_LOCKING",
    "resource_key",
    "session_resource",
    "apply_op_shape",
    "scatter_update_shape",
    "check_scalar",
    "check_same_shape",
    "check_sparse_update",
    "distinct_rounds",
    "one_like",
    "updated_value",
    "store_values",
    "update_rows",
]


def _read_cpu_flags() -> frozenset:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


# This CPU's feature flags (/proc/cpuinfo's, e.g. "avx512f"), read once at import: kernels traced by torch.compile
# must not open files.
CPU_FLAGS = _read_cpu_flags()


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


# ---------------------------------------------------------------------------------------------
# Kernels: errors, host values, list outputs


def invalid(message: str) -> errors.InvalidArgumentError:
    """The InvalidArgumentError a kernel raises (the Session adds the node's name and type)."""
    return errors.InvalidArgumentError(None, None, message)


def inputs_not_same_shape(a, b) -> errors.InvalidArgumentError:
    """TF's error for an element-wise kernel's inputs of different shapes (OpKernelContext's
    ValidateInputsAreSameShape: ReluGrad and the other activation gradients). TF's message names the node and its
    type, which a kernel does not know: the Session writes them in (``node_message``, read by
    ``program.node_error`` on the failure path)."""
    shapes = f"Input 0: {format_dims(a.shape)} != input 1: {format_dims(b.shape)}"
    error = invalid(f"Inputs to operation must have the same size and shape.  {shapes}")
    error.node_message = lambda name, op_type: (
        f"Inputs to operation {name} of type {op_type} must have the same size and shape.  {shapes}"
    )
    return error


def raised_by(op_type: str, error: errors.OpError) -> errors.OpError:
    """``error``, raised by a kernel computing several ops as one call (specialization's fusions), marked as the
    error of its ``op_type`` op, the node TF's own kernel would name: the Session names that op (an input of the
    op the fusion replaces, ``program.node_error``) instead of the fusion's. For the kernel's failure path."""
    error.failed_op_type = op_type
    return error


def unimplemented(message: str) -> errors.UnimplementedError:
    """The UnimplementedError a kernel raises for a case TF supports and torchmeta does not."""
    return errors.UnimplementedError(None, None, message)


def host_ints(t) -> list[int]:
    """A small integer tensor (shape, axes, paddings) as Python ints, flattened. A tuple of ints is taken as
    it is: specialization (runtime/specialize.py) passes a folded argument so, which torch.compile can trace."""
    if isinstance(t, tuple):
        return list(t)
    return [int(v) for v in t.reshape(-1).tolist()]


def check_dims(dims) -> None:
    """Output dimensions read on the host (Fill's dims, ...) must be non-negative, as TF checks them."""
    for d in dims:
        if d < 0:
            raise invalid(f"Dimension {d} must be >= 0")


def list_output(values):
    """A kernel's result for a list output: a tuple, or the value itself when there is exactly one."""
    return values[0] if len(values) == 1 else tuple(values)


def is_np(x) -> bool:
    """Whether a kernel value is a numpy array (string tensors are numpy object arrays)."""
    return isinstance(x, np.ndarray)


_SAME_BITS_SIGNED = {torch.uint16: torch.int16, torch.uint32: torch.int32, torch.uint64: torch.int64}


def flip(tensor, dims):
    """A reversed copy of a kernel value along ``dims`` (numpy strings too; torch has no flip for
    uint16/32/64, so those move as the signed integers of the same bits)."""
    if is_np(tensor):
        return np.flip(tensor, dims).copy() if dims else tensor.copy()
    if not dims:
        return tensor.clone()
    signed = _SAME_BITS_SIGNED.get(tensor.dtype)
    if signed is None:
        return torch.flip(tensor, dims)
    return torch.flip(tensor.view(signed), dims).view(tensor.dtype)


def string_scalar(data) -> np.ndarray:
    """A scalar string tensor value (a 0-d numpy object array) holding ``data`` (str is UTF-8 encoded)."""
    out = np.empty((), dtype=object)
    out[()] = data.encode() if isinstance(data, str) else data
    return out


def str_attr(op, name: str) -> str:
    """A string attr as str (``Operation.get_attr`` gives bytes, like TF)."""
    return op.get_attr(name).decode()


# ---------------------------------------------------------------------------------------------
# Partial shapes at run time (TensorArray / TensorList element shapes): a tuple of ints and Nones,
# or None for an unknown rank


def partial_shape_str(dims) -> str:
    """A partial shape as TF's PartialTensorShape::DebugString prints it: ``[2,?]``, ``<unknown>``."""
    return "<unknown>" if dims is None else "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def partial_shapes_compatible(partial, dims) -> bool:
    """Whether the concrete ``dims`` fit the partial shape ``partial``."""
    if partial is None:
        return True
    return len(partial) == len(dims) and all(p is None or p == d for p, d in zip(partial, dims))


def merge_partial_shapes(a, b):
    """The two partial shapes merged (ValueError naming both when they conflict; callers word the error)."""
    if a is None:
        return b
    if b is None:
        return a
    if len(a) != len(b) or any(x is not None and y is not None and x != y for x, y in zip(a, b)):
        raise ValueError(f"{partial_shape_str(a)} and {partial_shape_str(b)}")
    return tuple(x if x is not None else y for x, y in zip(a, b))


def partial_shape_fully_defined(dims) -> bool:
    return dims is not None and all(d is not None for d in dims)


# ---------------------------------------------------------------------------------------------
# Gradient functions (TF's python/ops/*_grad.py helpers)


def is_indexed_slices(x) -> bool:
    return isinstance(x, IndexedSlices)


def dense_gradient(grad):
    """TF's ``_IndexedSlicesToTensorNoWarning``: an IndexedSlices gradient summed into a dense tensor
    (UnsortedSegmentSum over ``dense_shape[0]`` rows); Tensors pass through."""
    if isinstance(grad, IndexedSlices):
        return convert_to_tensor(grad)
    return grad


def grad_reduce_sum(x, axis=None, keepdims=False):
    """``tf.reduce_sum`` as TF's gradient functions build it: a Sum over ``axis`` (all dims when None: a
    Const range when the rank is known and non-zero, else Range(0, Rank(x)))."""
    if axis is None:
        rank = x.shape.rank
        if rank:
            axis = np.arange(rank, dtype=np.int32)
        else:
            axis = raw_op("Range", start=np.int32(0), limit=array_ops.rank(x), delta=np.int32(1), name="range")
    elif isinstance(axis, (list, tuple)):
        axis = np.array(axis, dtype=np.int32)
    return raw_op("Sum", input=x, reduction_indices=axis, keep_dims=bool(keepdims))


# =============================================================================================
# Training ops (ops/training_ops.py, ops/training_proximal_ops.py): shapes, checks, in-place updates

NUMBER_TYPES = (
    "{float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, "
    "uint16, complex128, half, uint32, uint64}"
)
TRAINING_T = f"T: {NUMBER_TYPES}"
TINDICES = "Tindices: {int32, int64}"
USE_LOCKING = "use_locking: bool = false"


# Shape functions (TF's ApplyXShapeFn: merge var with its slots and the gradient, scalars rank 0)


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


def check_scalar(t, what: str, sep: str = ": "):
    if t.dim() != 0:
        raise invalid(f"{what} is not a scalar{sep}{format_dims(t.shape)}")
    return t


def check_same_shape(var, other, name: str):
    if var.shape != other.shape:
        raise invalid(f"var and {name} do not have the same shape{format_dims(var.shape)} {format_dims(other.shape)}")


def check_sparse_update(var, grad, indices, slots=(), inner_dim_check=False):
    """SparseApply* validation: shapes, then every index in [0, var.shape[0])."""
    for name, slot in slots:
        check_same_shape(var, slot, name)
    if var.dim() < 1:
        raise invalid("var must be at least 1 dimensional")
    if indices.dim() != 1:
        raise invalid("indices must be one-dimensional")
    for d in range(1, var.dim()):
        if grad.dim() <= d or var.shape[d] != grad.shape[d]:
            raise invalid(f"var and grad must match in dimension {d}")
    n = indices.shape[0]
    if grad.dim() < 1 or grad.shape[0] != n:
        raise invalid("grad must be the same size as indices in the first dimension.")
    if inner_dim_check and math.prod(var.shape[1:]) == 0:
        raise invalid("Inner dimension should be greater than zero.")
    if n:
        bad = (indices < 0) | (indices >= var.shape[0])
        if bool(bad.any()):
            i = int(torch.nonzero(bad)[0, 0])
            raise invalid(f"Index {int(indices[i])} at offset {i} in indices is out of range")


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
    something else still holds the current value (TF's copy-on-write), else the value itself. Only training
    ops call it: an uninitialized variable fails with their error (``VariableSlot.read_for_update``)."""
    value = slot.read_for_update()
    if in_place:
        return value
    # (Under torch.compile the copy is functional anyway, and reference counts cannot be traced.)
    if not torch.compiler.is_compiling() and sys.getrefcount(value) <= _UNSHARED_REFS:
        return value
    return value.clone()


# References to a slot's tensor nobody else holds: the slot, the local in updated_value, getrefcount's argument.
_UNSHARED_REFS = 3


_NO_LOCK = contextlib.nullcontext()


def update_lock(slot):
    """The lock a read-modify-write of ``slot`` (AssignAdd...) holds, so that concurrent runs lose no update.
    None under torch.compile: a compiled step writes its variables back after it ran (and a lock cannot be
    traced)."""
    return _NO_LOCK if torch.compiler.is_compiling() else slot.lock


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
