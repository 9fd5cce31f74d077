"""Ragged-tensor ops of TF graphs, on a ragged tensor's plain parts (row-partition tensors and flat values):
RaggedRange, RaggedTensorToSparse, RaggedTensorToTensor and RaggedGather, with TF's gradients
(ragged/ragged_conversion_ops.py, ragged/ragged_gather_ops.py). The variant encodings
(RaggedTensorToVariant/FromVariant) are not here: see unregistered.py.
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta.api import array_ops, math_ops
from torchmeta.dtypes import DType
from torchmeta.framework.common_shapes import (
    format_dims,
    input_with_rank,
    merge_dim,
    shape_error,
    with_rank,
    with_rank_at_least,
    with_rank_at_most,
)
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import name_scope
from torchmeta.framework.indexed_slices import IndexedSlices
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import not_differentiable, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.framework.tensor_util import constant_value
from torchmeta.ops.common import invalid

# ---------------------------------------------------------------------------------------------
# RaggedRange


def _range_shape(op):
    dim = None
    for i in range(3):
        dims = with_rank_at_most(op, op.inputs[i].shape, 1)
        if dims.rank == 1:
            dim = merge_dim(op, dims.as_tuple()[0], dim)
    if dim is not None:
        splits = dim + 1
    elif all(t.shape.rank == 0 for t in op.inputs):
        splits = 2
    else:
        splits = None
    return [TensorShape([splits]), TensorShape([None])]


@register_op(
    "RaggedRange",
    inputs=["starts: T", "limits: T", "deltas: T"],
    outputs=["rt_nested_splits: Tsplits", "rt_dense_values: T"],
    attrs=["T: {bfloat16, float, double, int32, int64} = DT_INT32", "Tsplits: {int32, int64} = DT_INT64"],
    shape=_range_shape,
)
def ragged_range(starts, limits, deltas, T, Tsplits):
    """One range per row; values accumulate ``start + delta + delta ...`` in T, as TF's kernel."""
    for t, what in ((starts, "starts"), (limits, "limits"), (deltas, "deltas")):
        if t.dim() > 1:
            raise invalid(f"{what} must be a scalar or vector")
    sizes = [t.shape[0] for t in (starts, limits, deltas) if t.dim() == 1]
    if any(s != sizes[0] for s in sizes):
        raise invalid("starts, limits, and deltas must have the same shape")
    nrows = sizes[0] if sizes else 1
    np_dtype = T.numpy
    cols = [t.cpu().numpy().astype(np_dtype).reshape(-1) for t in (starts, limits, deltas)]
    splits = [0]
    values = []
    scalar = [t.dim() == 0 for t in (starts, limits, deltas)]
    for row in range(nrows):
        start, limit, delta = (c[0] if b else c[row] for c, b in zip(cols, scalar))
        if delta == 0:
            raise invalid("Requires delta != 0")
        if (delta > 0 and limit < start) or (delta < 0 and limit > start):
            size = 0
        elif T.is_integer:
            size = -(-abs(int(limit) - int(start)) // abs(int(delta)))
        else:
            size = int(np.ceil(abs((limit - start) / delta)))
        value = np_dtype.type(start)
        for _ in range(size):
            values.append(value)
            value = np_dtype.type(value + delta)
        splits.append(splits[-1] + size)
    return (
        torch.tensor(splits, dtype=Tsplits.torch),
        torch.from_numpy(np.array(values, dtype=np_dtype).reshape(-1)).to(T.torch),
    )


not_differentiable("RaggedRange")


# ---------------------------------------------------------------------------------------------
# Row partitions -> coordinates


def _check_splits(splits: list[torch.Tensor], nvals: int):
    """TF's ragged splits validation (RaggedTensorToSparse's wording)."""
    for i, s in enumerate(splits):
        if s.numel() == 0:
            raise invalid("ragged splits may not be empty.")
        if int(s[0]) != 0:
            raise invalid("First value of ragged splits must be 0.")
        for j in range(1, s.numel()):
            if int(s[j]) < int(s[j - 1]):
                raise invalid(
                    f"Ragged splits should be non decreasing, but we got {int(s[j - 1])} followed by {int(s[j])}"
                )
        if i > 0 and s.numel() != int(splits[i - 1][-1]) + 1:
            raise invalid("Final value of ragged splits must match the length the corresponding ragged values.")
    if nvals != int(splits[-1][-1]):
        raise invalid("Final value of ragged splits must match the length the corresponding ragged values.")


def _coordinates(splits: list[np.ndarray]) -> np.ndarray:
    """[nvals, ragged_rank + 1] coordinates of each flat value (row, then position at each ragged level)."""
    coords = np.arange(len(splits[0]) - 1, dtype=np.int64).reshape(-1, 1)
    for s in splits:
        lengths = np.diff(s)
        parents = np.repeat(np.arange(len(lengths)), lengths)
        positions = np.arange(int(s[-1]), dtype=np.int64) - np.repeat(s[:-1], lengths)
        coords = np.concatenate([coords[parents], positions.reshape(-1, 1)], axis=1)
    return coords


# ---------------------------------------------------------------------------------------------
# RaggedTensorToSparse


def _to_sparse_shape(op):
    n = op.get_attr("RAGGED_RANK")
    values = with_rank_at_least(op, op.inputs[n].shape, 1)
    for i in range(n):
        input_with_rank(op, i, 1)
    dense_dims = values.rank + n if values.rank is not None else None
    num_values = values.num_elements() if values.is_fully_defined() else None
    return [TensorShape([num_values, dense_dims]), TensorShape([num_values]), TensorShape([dense_dims])]


@register_op(
    "RaggedTensorToSparse",
    inputs=["rt_nested_splits: RAGGED_RANK * Tsplits", "rt_dense_values: T"],
    outputs=["sparse_indices: int64", "sparse_values: T", "sparse_dense_shape: int64"],
    attrs=["RAGGED_RANK: int >= 1", "T: type", "Tsplits: {int32, int64} = DT_INT64"],
    shape=_to_sparse_shape,
)
def ragged_tensor_to_sparse(rt_nested_splits, rt_dense_values):
    """The ragged tensor's elements as a SparseTensor in row-major order."""
    string = isinstance(rt_dense_values, np.ndarray)
    value_shape = tuple(rt_dense_values.shape)
    _check_splits(rt_nested_splits, value_shape[0])
    splits = [s.cpu().numpy().astype(np.int64) for s in rt_nested_splits]
    coords = _coordinates(splits)
    inner = value_shape[1:]
    inner_count = int(np.prod(inner, dtype=np.int64))
    inner_coords = np.indices(inner, dtype=np.int64).reshape(len(inner), -1).T if inner else np.zeros((1, 0), np.int64)
    indices = np.concatenate(
        [np.repeat(coords, inner_count, axis=0), np.tile(inner_coords, (coords.shape[0], 1))], axis=1
    )
    dense_shape = [len(splits[0]) - 1]
    dense_shape += [int(np.diff(s).max()) if len(s) > 1 else 0 for s in splits]
    dense_shape += list(inner)
    values = rt_dense_values.reshape(-1)
    if not string:
        values = values.clone()
    return torch.from_numpy(indices.reshape(-1, len(dense_shape))), values, torch.tensor(dense_shape, dtype=torch.int64)


@register_gradient("RaggedTensorToSparse")
def _ragged_tensor_to_sparse_grad(op, unused_indices_grad, sparse_values_grad, unused_shape_grad):
    flat_values = op.inputs[-1]
    flat_values_gradient = array_ops.reshape(sparse_values_grad, array_ops.shape(flat_values))
    return [None] * (len(op.inputs) - 1) + [flat_values_gradient]


# ---------------------------------------------------------------------------------------------
# RaggedTensorToTensor


_PARTITION_TYPES = ("FIRST_DIM_SIZE", "VALUE_ROWIDS", "ROW_SPLITS")


def _partition_types(op_or_types) -> list[str]:
    types = op_or_types if isinstance(op_or_types, list) else op_or_types.get_attr("row_partition_types")
    return [t.decode() if isinstance(t, bytes) else t for t in types]


def _ragged_rank(types: list[str]) -> int:
    return len(types) - (1 if types and types[0] == "FIRST_DIM_SIZE" else 0)


def _to_tensor_shape(op):
    types = _partition_types(op)
    ragged_rank = _ragged_rank(types)
    shape_value = constant_value(op.inputs[0])
    if shape_value is None or np.asarray(shape_value).ndim == 0:
        shape = TensorShape(None) if shape_value is None or np.asarray(shape_value).ndim == 0 else None
        if shape_value is None and op.inputs[0].shape.rank == 1 and op.inputs[0].shape.as_tuple()[0] is not None:
            shape = TensorShape([None] * op.inputs[0].shape.as_tuple()[0])
    else:
        shape = TensorShape([None if int(d) < 0 else int(d) for d in np.asarray(shape_value).reshape(-1)])
    values = op.inputs[1].shape
    if values.rank is None and shape.rank is None:
        return [TensorShape(None)]
    dims = [None] * (ragged_rank + values.rank) if shape.rank is None else list(shape.as_tuple())
    if values.rank is None:
        return [TensorShape(dims)]
    if ragged_rank + values.rank != len(dims):
        raise shape_error(
            op,
            f"rt_input.shape and shape={_shape_str(shape)} are incompatible: rt_input.rank = "
            f"{ragged_rank + values.rank} but shape.rank = {len(dims)}",
        )
    value_dims = values.as_tuple()
    for i in range(1, len(value_dims)):
        j = len(dims) - len(value_dims) + i
        if value_dims[i] is not None:
            if dims[j] is not None and dims[j] != value_dims[i]:
                raise shape_error(
                    op,
                    f"rt_input.shape and shape={_shape_str(shape)} are incompatible: rt_input.shape[{i + ragged_rank}] "
                    f"= {value_dims[i]} but shape[{i + ragged_rank}] = {dims[j]}",
                )
            dims[j] = value_dims[i]
    return [TensorShape(dims)]


def _shape_str(shape: TensorShape) -> str:
    if shape.rank is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in shape.as_tuple()) + "]"


def _partitions_to_coords(types: list[str], partitions: list[np.ndarray], nvals: int):
    """(nrows, per-level max lengths, [nvals, ragged_rank + 1] coordinates) of a ragged tensor's values."""
    if types[0] == "FIRST_DIM_SIZE":
        nrows = int(partitions[0].reshape(-1)[0])
        rest_types, rest = types[1:], partitions[1:]
    elif types[0] == "ROW_SPLITS":
        nrows = len(partitions[0]) - 1
        rest_types, rest = types, partitions
    else:
        raise invalid("Invalid first partition input. Tensor requires at least one element.")
    coords = np.arange(nrows, dtype=np.int64).reshape(-1, 1)
    maxes = []
    for level, (kind, part) in enumerate(zip(rest_types, rest)):
        count = (
            len(rest[level + 1]) - (1 if rest_types[level + 1] == "ROW_SPLITS" else 0)
            if level + 1 < len(rest)
            else nvals
        )
        if kind == "ROW_SPLITS":
            lengths = np.diff(part)
            parents = np.repeat(np.arange(len(lengths)), lengths)
            positions = np.arange(int(part[-1]) if len(part) else 0, dtype=np.int64) - np.repeat(part[:-1], lengths)
        elif kind == "VALUE_ROWIDS":
            parents = part.astype(np.int64)
            first = np.searchsorted(parents, parents, side="left")
            positions = np.arange(len(parents), dtype=np.int64) - first
            lengths = np.bincount(parents, minlength=coords.shape[0]) if len(parents) else np.zeros(0, np.int64)
        else:
            raise invalid(f"Cannot handle partition type {kind}")
        del count
        maxes.append(int(lengths.max()) if len(lengths) else 0)
        coords = np.concatenate([coords[parents], positions.reshape(-1, 1)], axis=1)
    return nrows, maxes, coords


@register_op(
    "RaggedTensorToTensor",
    inputs=[
        "shape: Tshape",
        "values: T",
        "default_value: T",
        "row_partition_tensors: num_row_partition_tensors * Tindex",
    ],
    outputs=["result: T"],
    attrs=[
        "T: type",
        "Tindex: {int64, int32}",
        "Tshape: {int64, int32}",
        "num_row_partition_tensors: int >= 1",
        "row_partition_types: list(string)",
    ],
    shape=_to_tensor_shape,
)
def ragged_tensor_to_tensor(shape, values, default_value, row_partition_tensors, row_partition_types):
    """The ragged tensor padded with ``default_value`` to ``shape`` (-1 entries: the ragged tensor's bounding box);
    values outside ``shape`` are dropped."""
    types = _partition_types(list(row_partition_types))
    ragged_rank = _ragged_rank(types)
    string = isinstance(values, np.ndarray)
    parts = [p.cpu().numpy().astype(np.int64).reshape(-1) for p in row_partition_tensors]
    nrows, maxes, coords = _partitions_to_coords(types, parts, values.shape[0])
    inner = tuple(values.shape[1:])
    natural = [nrows, *maxes, *inner]
    want = shape.cpu().numpy().reshape(-1) if shape.dim() else None
    if want is not None and len(want) != len(natural):
        raise invalid(
            f"rt_input.shape and shape={format_dims([int(d) for d in want])} are incompatible: rt_input.rank = "
            f"{len(natural)} but shape.rank = {len(want)}"
        )
    out_shape = [
        n if want is None or int(w) < 0 else int(w) for n, w in zip(natural, natural if want is None else want)
    ]
    if tuple(out_shape[ragged_rank + 1 :]) != inner:
        raise invalid(
            f"rt_input.shape and shape={format_dims(out_shape)} are incompatible: rt_input.shape = "
            f"{format_dims(natural)}"
        )
    try:
        fill = np.broadcast_to(np.asarray(default_value if string else default_value.cpu().numpy()), inner)
    except ValueError:
        raise invalid(
            f"default_value.shape={format_dims(default_value.shape)} and rt_input.flat_values.shape="
            f"{format_dims(values.shape)} are incompatible: default_value.rank = {default_value.ndim} must be less "
            f"than rt_input.flat_values.rank = {values.ndim}"
        ) from None
    keep = np.all(coords < np.array(out_shape[: ragged_rank + 1]), axis=1) if coords.size else np.zeros(0, bool)
    if string:
        out = np.empty((*out_shape[: ragged_rank + 1], *inner), dtype=object)
        out[...] = fill
        flat_values = np.asarray(values)
        out[tuple(coords[keep].T)] = flat_values[keep]
        return out
    result = torch.from_numpy(np.ascontiguousarray(np.broadcast_to(fill, (*out_shape[: ragged_rank + 1], *inner))))
    result = result.to(values.device).clone()
    if keep.any():
        index = tuple(torch.from_numpy(c).to(values.device) for c in coords[keep].T)
        result[index] = values[torch.from_numpy(np.nonzero(keep)[0]).to(values.device)]
    return result


def _rank_ignoring_leading_dims_with_size_1(value):
    """TF's helper of the RaggedTensorToTensor gradient: the rank of ``value`` without its leading 1-sized dims."""
    if value.shape.rank is not None:
        dims = value.shape.as_tuple()
        leading = 0
        for d in dims:
            if d != 1:
                break
            leading += 1
        if all(d is not None for d in dims[:leading]) and (leading == len(dims) or dims[leading] is not None):
            return len(dims) - leading
    shape = array_ops.shape(value)
    dims_equal_to_1 = math_ops.cast(math_ops.equal(shape, 1), DType.int32)
    dims_equal_to_1 = array_ops.concat([dims_equal_to_1, [0]], axis=0)
    return array_ops.rank(value) - math_ops.argmin(dims_equal_to_1, output_type=DType.int32)


@register_gradient("RaggedTensorToTensor")
def _ragged_tensor_to_tensor_grad(op, grad):
    flat_values = op.inputs[1]
    default_value = op.inputs[2]
    row_partition_tensors = op.inputs[3:]
    row_partition_types = op.get_attr("row_partition_types")
    flat_value_shape = array_ops.shape(flat_values)
    ragged_rank = sum(1 for typ in row_partition_types if typ not in (b"FIRST_DIM_SIZE", "FIRST_DIM_SIZE"))
    indices = raw_op(
        "RaggedTensorToTensor",
        shape=array_ops.shape(grad)[: 1 + ragged_rank],
        values=math_ops.range(flat_value_shape[0]),
        default_value=-1,
        row_partition_types=row_partition_types,
        row_partition_tensors=list(row_partition_tensors),
    )
    mask = math_ops.not_equal(indices, -1)
    values_grad = IndexedSlices(
        values=array_ops.boolean_mask(grad, mask),
        indices=array_ops.boolean_mask(indices, mask),
        dense_shape=flat_value_shape,
    )
    default_grads = array_ops.boolean_mask(grad, math_ops.logical_not(mask))
    dims_to_reduce = math_ops.range(
        array_ops.rank(default_grads) - _rank_ignoring_leading_dims_with_size_1(default_value)
    )
    default_grad = math_ops.reduce_sum(default_grads, axis=dims_to_reduce)
    default_grad = array_ops.reshape(default_grad, array_ops.shape(default_value))
    return [None, values_grad, default_grad] + [None for _ in row_partition_tensors]


# ---------------------------------------------------------------------------------------------
# RaggedGather


def _gather_shape(op):
    n_params = op.get_attr("PARAMS_RAGGED_RANK")
    n_out = op.get_attr("OUTPUT_RAGGED_RANK")
    with_rank(op, op.inputs[-1].shape, n_out - n_params + 1)
    for i in range(n_params):
        with_rank(op, op.inputs[i].shape, 1)
    values = with_rank_at_least(op, op.inputs[n_params].shape, 1)
    out_values = TensorShape(None) if values.rank is None else TensorShape([None, *values.as_tuple()[1:]])
    return [TensorShape([None])] * n_out + [out_values]


@register_op(
    "RaggedGather",
    inputs=[
        "params_nested_splits: PARAMS_RAGGED_RANK * Tsplits",
        "params_dense_values: Tvalues",
        "indices: Tindices",
    ],
    outputs=["output_nested_splits: OUTPUT_RAGGED_RANK * Tsplits", "output_dense_values: Tvalues"],
    attrs=[
        "Tvalues: type",
        "Tindices: {int32, int64}",
        "Tsplits: {int32, int64} = DT_INT64",
        "PARAMS_RAGGED_RANK: int >= 1",
        "OUTPUT_RAGGED_RANK: int >= 0",
    ],
    shape=_gather_shape,
)
def ragged_gather(params_nested_splits, params_dense_values, indices, OUTPUT_RAGGED_RANK):
    """Rows of a ragged ``params`` gathered by ``indices`` (whose own dimensions become outer ragged dimensions)."""
    splits = [s.cpu().numpy().astype(np.int64) for s in params_nested_splits]
    split_dtype = params_nested_splits[0].dtype
    idx = indices.cpu().numpy().astype(np.int64)
    nrows = len(splits[0]) - 1
    flat_idx = idx.reshape(-1)
    for i in flat_idx:
        if i < 0 or i >= nrows:
            raise invalid(f"indices[{int(np.nonzero(flat_idx == i)[0][0])}] = {int(i)} is not in [0, {nrows})")
    out_splits = []
    # the outer splits describing the dimensions of ``indices`` beyond the first
    for d in range(1, idx.ndim):
        rows = int(np.prod(idx.shape[:d]))
        out_splits.append(np.arange(rows + 1, dtype=np.int64) * idx.shape[d])
    # gather the nested rows level by level
    rows = flat_idx
    for s in splits:
        starts, limits = s[rows], s[rows + 1]
        lengths = limits - starts
        out_splits.append(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))
        rows = (
            np.concatenate([np.arange(a, b) for a, b in zip(starts, limits)]).astype(np.int64)
            if len(starts)
            else np.zeros(0, np.int64)
        )
    if isinstance(params_dense_values, np.ndarray):
        values = params_dense_values[rows]
    else:
        values = params_dense_values[torch.from_numpy(rows).to(params_dense_values.device)]
    out = [torch.from_numpy(s).to(split_dtype) for s in out_splits]
    assert len(out) == OUTPUT_RAGGED_RANK
    return (*out, values)


@register_gradient("RaggedGather")
def _ragged_gather_grad(op, *grads):
    param_nested_splits = op.inputs[:-2]
    param_inner_values = op.inputs[-2]
    indices = op.inputs[-1]
    grad_inner_values = grads[-1]
    combined_splits = param_nested_splits[0]
    for row_splits in param_nested_splits[1:]:
        combined_splits = array_ops.gather(row_splits, combined_splits)
    flat_indices = array_ops.reshape(indices, [-1])
    # TF's ragged_math_ops.range(starts, limits).values: int64 row splits, deltas in the starts' dtype
    with name_scope(None, "RaggedRange"):
        starts = array_ops.gather(combined_splits, flat_indices)
        _, grad_indices = raw_op(
            "RaggedRange",
            starts=starts,
            limits=array_ops.gather(combined_splits[1:], flat_indices),
            deltas=constant(1, dtype=starts.dtype.base_dtype, name="deltas"),
            Tsplits=DType.int64,
        )
    param_inner_values_grad = IndexedSlices(
        values=grad_inner_values, indices=grad_indices, dense_shape=array_ops.shape(param_inner_values)
    )
    return [None for _ in param_nested_splits] + [param_inner_values_grad, None]
