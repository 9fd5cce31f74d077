"""Set ops: DenseToDenseSetOperation, DenseToSparseSetOperation, SparseToSparseSetOperation and SetSize,
as TensorFlow's set_kernels.cc computes them (what ``tf.sets`` and tf.metrics' ``*_at_k`` build on).

A set is the last dimension of a dense tensor (every element, duplicates ignored) or the values of a
sparse tensor sharing the first n-1 indices (a "group"). Results are sparse tensors whose groups hold
the sorted result sets; their last dimension is the largest result set.
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta.framework.common_shapes import merge_shapes, shape_error, with_rank, with_rank_at_least
from torchmeta.framework.registry import not_differentiable, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.ops.common import invalid, is_np

_TYPES = "T: {int8, int16, int32, int64, uint8, uint16, string}"
_SET_ATTRS = ["set_operation: string", "validate_indices: bool = true", _TYPES]
_RESULT = ["result_indices: int64", "result_values: T", "result_shape: int64"]


def _np(x):
    return x if is_np(x) else x.cpu().numpy()


def _key(v):
    return bytes(v) if isinstance(v, (bytes, np.bytes_)) else v.item() if hasattr(v, "item") else v


def _group_shape(shape) -> list[int]:
    if len(shape) < 2:
        raise invalid(f"Shape [{','.join(str(int(d)) for d in shape)}] has rank {len(shape)} < 2")
    return [int(d) for d in shape[:-1]]


def _check_match(a, b):
    if a != b:
        raise invalid(f"Mismatched shapes [{','.join(map(str, a))}] vs [{','.join(map(str, b))}]")


def _dense_groups(values):
    """{group index: set} for every group of a dense tensor (its last dimension holds each set)."""
    arr = _np(values)
    groups = {}
    for index in np.ndindex(*arr.shape[:-1]):
        groups[index] = {_key(v) for v in arr[index]}
    return groups


def _sparse_groups(indices, values, shape):
    shape = [int(d) for d in _np(shape).reshape(-1)]
    if len(shape) < 2:
        raise invalid(f"Invalid rank {len(shape)}.")
    idx, vals = _np(indices), _np(values)
    if idx.ndim != 2 or vals.ndim != 1 or idx.shape[0] != vals.shape[0]:
        raise invalid(f"Invalid sparse tensor: indices {list(idx.shape)}, values {list(vals.shape)}")
    groups: dict = {}
    for row, v in zip(idx.tolist(), vals):
        if any(i < 0 or i >= d for i, d in zip(row, shape)):
            raise invalid(f"indices {row} out of bounds for shape [{','.join(map(str, shape))}]")
        groups.setdefault(tuple(row[:-1]), set()).add(_key(v))
    return groups, shape


def _apply(operation: str, a: set, b: set) -> list:
    op = operation.decode() if isinstance(operation, bytes) else operation
    op = op.lower()
    if op == "a-b":
        result = a - b
    elif op == "b-a":
        result = b - a
    elif op == "intersection":
        result = a & b
    elif op == "union":
        result = a | b
    else:
        raise invalid(f"Invalid set_operation {op}.")
    return sorted(result)


def _output(group_shape, group_indices, sets, dtype_like):
    """The result sparse tensor: indices (group index + position), values, shape (+ largest set)."""
    indices, values, max_size = [], [], 0
    for index, result in zip(group_indices, sets):
        max_size = max(max_size, len(result))
        for position, value in enumerate(result):
            indices.append([*index, position])
            values.append(value)
    rank = len(group_shape) + 1
    out_indices = torch.tensor(indices, dtype=torch.int64).reshape(-1, rank)
    out_shape = torch.tensor([*group_shape, max_size], dtype=torch.int64)
    if is_np(dtype_like):
        out_values = np.array(values, dtype=object)
    else:
        out_values = torch.tensor(values, dtype=dtype_like.dtype, device=dtype_like.device).reshape(-1)
    return out_indices.to(getattr(dtype_like, "device", "cpu")), out_values, out_shape


def _dense_to_dense_shape(op):
    a = with_rank_at_least(op, op.inputs[0].shape, 2)
    if a.rank is not None:
        b = with_rank(op, op.inputs[1].shape, a.rank)
        if b.rank is not None:
            merge_shapes(op, a[: a.rank - 1], b[: b.rank - 1])
        rank = a.rank
    else:
        b = with_rank_at_least(op, op.inputs[1].shape, 2)
        rank = b.rank
    return [TensorShape([None, rank]), TensorShape([None]), TensorShape([rank])]


@register_op(
    "DenseToDenseSetOperation",
    inputs=["set1: T", "set2: T"],
    outputs=_RESULT,
    attrs=_SET_ATTRS,
    shape=_dense_to_dense_shape,
)
def dense_to_dense_set_operation(set1, set2, set_operation):
    shape1, shape2 = list(set1.shape), list(set2.shape)
    group_shape = _group_shape(shape1)
    _check_match(group_shape, _group_shape(shape2))
    groups1, groups2 = _dense_groups(set1), _dense_groups(set2)
    kept = [(i, _apply(set_operation, groups1[i], groups2[i])) for i in np.ndindex(*group_shape)]
    kept = [(i, r) for i, r in kept if r]
    return _output(group_shape, [i for i, _ in kept], [r for _, r in kept], set1)


def _sparse_rank(op, i):
    with_rank(op, op.inputs[i].shape, 2)
    with_rank(op, op.inputs[i + 1].shape, 1)
    shape_shape = with_rank(op, op.inputs[i + 2].shape, 1)
    return shape_shape[0].value


def _dense_to_sparse_shape(op):
    rank = _sparse_rank(op, 1)
    a = with_rank_at_least(op, op.inputs[0].shape, 2)
    if a.rank is not None:
        rank = a.rank
    return [TensorShape([None, rank]), TensorShape([None]), TensorShape([rank])]


@register_op(
    "DenseToSparseSetOperation",
    inputs=["set1: T", "set2_indices: int64", "set2_values: T", "set2_shape: int64"],
    outputs=_RESULT,
    attrs=_SET_ATTRS,
    shape=_dense_to_sparse_shape,
)
def dense_to_sparse_set_operation(set1, set2_indices, set2_values, set2_shape, set_operation):
    groups2, shape2 = _sparse_groups(set2_indices, set2_values, set2_shape)
    group_shape = _group_shape(list(set1.shape))
    _check_match(group_shape, _group_shape(shape2))
    groups1 = _dense_groups(set1)
    kept = [(i, _apply(set_operation, groups1[i], groups2.get(i, set()))) for i in np.ndindex(*group_shape)]
    kept = [(i, r) for i, r in kept if r]
    return _output(group_shape, [i for i, _ in kept], [r for _, r in kept], set1)


def _sparse_to_sparse_shape(op):
    rank0, rank1 = _sparse_rank(op, 0), _sparse_rank(op, 3)
    for i, r in enumerate((rank0, rank1)):
        if r is not None and r < 2:
            raise shape_error(op, f"Input {i}, expected rank >= 2, got {r}.")
        if r is not None:
            break
    rank = rank0 if rank0 is not None else rank1
    return [TensorShape([None, rank]), TensorShape([None]), TensorShape([rank])]


@register_op(
    "SparseToSparseSetOperation",
    inputs=[
        "set1_indices: int64",
        "set1_values: T",
        "set1_shape: int64",
        "set2_indices: int64",
        "set2_values: T",
        "set2_shape: int64",
    ],
    outputs=_RESULT,
    attrs=_SET_ATTRS,
    shape=_sparse_to_sparse_shape,
)
def sparse_to_sparse_set_operation(
    set1_indices, set1_values, set1_shape, set2_indices, set2_values, set2_shape, set_operation
):
    groups1, shape1 = _sparse_groups(set1_indices, set1_values, set1_shape)
    groups2, shape2 = _sparse_groups(set2_indices, set2_values, set2_shape)
    group_shape = _group_shape(shape1)
    _check_match(group_shape, _group_shape(shape2))
    kept = [
        (i, _apply(set_operation, groups1.get(i, set()), groups2.get(i, set())))
        for i in sorted(groups1.keys() | groups2.keys())
    ]
    kept = [(i, r) for i, r in kept if r]
    return _output(group_shape, [i for i, _ in kept], [r for _, r in kept], set1_values)


@register_op(
    "SetSize",
    inputs=["set_indices: int64", "set_values: T", "set_shape: int64"],
    outputs=["size: int32"],
    attrs=["validate_indices: bool = true", _TYPES],
    shape=lambda op: [unknown_shape()],
)
def set_size(set_indices, set_values, set_shape):
    groups, shape = _sparse_groups(set_indices, set_values, set_shape)
    out = np.zeros(shape[:-1], dtype=np.int32)
    for index, values in groups.items():
        out[index] = len(values)
    device = getattr(set_indices, "device", "cpu")
    return torch.from_numpy(out).to(device)


# TF's sets_impl.py: none of them is differentiable.
not_differentiable("SetSize", "DenseToDenseSetOperation", "DenseToSparseSetOperation", "SparseToSparseSetOperation")
