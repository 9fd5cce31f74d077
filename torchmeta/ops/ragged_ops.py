"""Ragged-tensor ops of TF graphs, on a ragged tensor's plain parts (row-partition tensors and flat values):
RaggedRange, RaggedTensorToSparse, RaggedTensorToTensor and RaggedGather, with TF's gradients
(ragged/ragged_conversion_ops.py, ragged/ragged_gather_ops.py). The variant encodings
(RaggedTensorToVariant/FromVariant/ToVariantGradient) box a ragged tensor, or each of its rows, into variant
values (``RaggedTensorVariant``), as tf.data and map_fn carry ragged elements.
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta.api import array_ops, math_ops
from torchmeta.dtypes import DType, as_dtype, type_string
from torchmeta.framework.common_shapes import (
    format_dims,
    input_with_rank,
    merge_dim,
    shape_error,
    shape_from_shape_tensor,
    tensor_debug_string,
    with_rank,
    with_rank_at_least,
    with_rank_at_most,
)
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import name_scope
from torchmeta.framework.indexed_slices import IndexedSlices
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import (
    no_registered_gradient,
    not_differentiable,
    register_gradient,
    register_op,
)
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.framework.tensor_util import constant_value
from torchmeta.ops.common import invalid, list_output

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


# ---------------------------------------------------------------------------------------------
# The variant encoding: RaggedTensorToVariant, RaggedTensorFromVariant, RaggedTensorToVariantGradient


class RaggedTensorVariant:
    """The value of one element of an encoded-ragged ``variant`` tensor (TF's RaggedTensorVariant): a ragged
    tensor's nested row splits (torch vectors) and flat values (a torch tensor, or a numpy object array of
    strings). A scalar variant is one of these; a variant vector is a numpy object array of them."""

    __slots__ = ("nested_splits", "values")

    def __init__(self, nested_splits, values):
        self.nested_splits = list(nested_splits)
        self.values = values

    @property
    def ragged_rank(self) -> int:
        return len(self.nested_splits)

    def __repr__(self):
        return f"<RaggedTensorVariant ragged_rank={self.ragged_rank} values={tuple(self.values.shape)}>"

    def zeros_like(self) -> RaggedTensorVariant:
        """TF's registered ZerosLike of a RaggedTensorVariant: the same splits, zero values."""
        if isinstance(self.values, np.ndarray):
            values = np.full(self.values.shape, b"", dtype=object)
        else:
            values = torch.zeros_like(self.values)
        return RaggedTensorVariant(self.nested_splits, values)

    def __add__(self, other: RaggedTensorVariant) -> RaggedTensorVariant:
        """TF's registered addition of RaggedTensorVariants (how AddN sums their gradients): the values add."""
        if self.ragged_rank != other.ragged_rank:
            raise invalid(
                "ragged_rank of x and y must be the same, x ragged_rank = "
                f"{self.ragged_rank}, y ragged_rank = {other.ragged_rank}"
            )
        return RaggedTensorVariant(self.nested_splits, torch.add(self.values, other.values))


def _verify_splits(splits: torch.Tensor, num_values: int):
    """TF's RaggedTensorVerifySplits (ragged_utils.h), with its wording."""
    if splits.dim() != 1:
        raise invalid(f"Invalid ragged splits: ragged splits must be rank 1 but is rank {splits.dim()}")
    if splits.numel() < 1:
        raise invalid("Invalid ragged splits: ragged splits must have at least one splits, but is empty")
    s = splits.tolist()
    if s[0] != 0:
        raise invalid(f"Invalid ragged splits: first element of ragged splits  must be 0 but is {s[0]}")
    last = 0
    for j in range(1, len(s)):
        if s[j] < last:
            raise invalid(
                "Invalid ragged splits: ragged splits must be monotonically increasing, but "
                f"ragged_splits[{j}]={s[j]} is smaller than row_splits[{j - 1}]={last}"
            )
        last = s[j]
    if last != num_values:
        raise invalid(
            "Invalid ragged splits: last element of ragged splits must be the number of ragged "
            f"values({num_values}) but is {last}"
        )


def _unbatch(splits: list[torch.Tensor], values) -> list[RaggedTensorVariant]:
    """The rows of a ragged tensor (or of a dense one, without splits), each as a RaggedTensorVariant."""
    if not splits:
        return [RaggedTensorVariant([], values[i]) for i in range(values.shape[0])]
    for i, s in enumerate(splits):
        _verify_splits(s, splits[i + 1].numel() - 1 if i + 1 < len(splits) else values.shape[0])
    tops = splits[0].tolist()
    inner = [s.tolist() for s in splits[1:]]
    rows = []
    for i in range(len(tops) - 1):
        lo, hi = tops[i], tops[i + 1]
        parts = []
        for s, level in zip(splits[1:], inner):
            parts.append(s[lo : hi + 1] - s[lo])
            lo, hi = level[lo], level[hi]
        rows.append(RaggedTensorVariant(parts, values[lo:hi]))
    return rows


def _to_variant_shape(op):
    n = op.get_attr("RAGGED_RANK")
    with_rank_at_least(op, op.inputs[n].shape, 1)
    for i in range(n):
        with_rank(op, op.inputs[i].shape, 1)
    if not op.get_attr("batched_input"):
        return [TensorShape([])]
    # TF reads the row count from input 0 even when RAGGED_RANK is 0 (then input 0 is the values)
    first = op.inputs[0].shape
    dim = first.as_tuple()[0] if first.rank else None
    return [TensorShape([None if dim is None else dim - 1])]


@register_op(
    "RaggedTensorToVariant",
    inputs=["rt_nested_splits: RAGGED_RANK * Tsplits", "rt_dense_values: Tvalues"],
    outputs=["encoded_ragged: variant"],
    attrs=["RAGGED_RANK: int >= 0", "Tvalues: type", "Tsplits: {int32, int64} = DT_INT64", "batched_input: bool"],
    shape=_to_variant_shape,
)
def ragged_tensor_to_variant(rt_nested_splits, rt_dense_values, batched_input):
    """The ragged tensor as one variant scalar, or (``batched_input``) its rows as a variant vector."""
    if not batched_input:
        return RaggedTensorVariant(rt_nested_splits, rt_dense_values)
    rows = _unbatch(list(rt_nested_splits), rt_dense_values)
    out = np.empty(len(rows), dtype=object)
    for i, row in enumerate(rows):
        out[i] = row
    return out


@register_gradient("RaggedTensorToVariant")
def _ragged_tensor_to_variant_grad(op, encoded_ragged_grad):
    dense_values = op.inputs[-1]
    ragged_rank = len(op.inputs) - 1
    row_splits = 0 if ragged_rank == 0 else op.inputs[0]
    values_grad = raw_op(
        "RaggedTensorToVariantGradient",
        encoded_ragged_grad=encoded_ragged_grad,
        row_splits=row_splits,
        dense_values_shape=array_ops.shape(dense_values),
        Tvalues=op.inputs[-1].dtype,
    )
    return [None] * ragged_rank + [values_grad]


def _from_variant_shape(op):
    input_ragged_rank = op.get_attr("input_ragged_rank")
    output_ragged_rank = op.get_attr("output_ragged_rank")
    if op.inputs[0].shape.rank is not None and input_ragged_rank >= 0:
        with_rank(op, op.inputs[0].shape, output_ragged_rank - input_ragged_rank)
    return [TensorShape([None])] * output_ragged_rank + [TensorShape(None)]


def _check_component(i, rt, input_ragged_rank, output_ragged_rank, Tvalues, Tsplits):
    if not isinstance(rt, RaggedTensorVariant):
        raise invalid(f"Input Variant element at index {i} doesn't hold a RaggedTensorVariant: {rt!r}")
    if rt.ragged_rank != input_ragged_rank:
        raise invalid(
            f"Encoded input RaggedTensorVariant has ragged_rank={rt.ragged_rank}.  "
            f"Expected ragged_rank={input_ragged_rank}."
        )
    string = isinstance(rt.values, np.ndarray)
    values_dtype = DType.string if string else as_dtype(rt.values.dtype)
    if values_dtype is not Tvalues:
        raise invalid(f"Expected values Tensor dtype: {type_string(Tvalues)}, found: {type_string(values_dtype)}")
    if rt.values.ndim < 1 and output_ragged_rank != 0:
        raise invalid(
            f"Ragged values must have rank >= 1; encoded scalar element at index {i} has values Tensor: "
            f"{tensor_debug_string(np.asarray(rt.values) if string else rt.values.cpu().numpy(), type_string(values_dtype))}"
        )
    for s in rt.nested_splits:
        if as_dtype(s.dtype) is not Tsplits:
            raise invalid(
                f"Expected row_splits Tensor dtype: {type_string(Tsplits)}, found: {type_string(as_dtype(s.dtype))}"
            )


def _concat_values(parts, Tvalues, inner=()):
    if Tvalues is DType.string:
        return np.concatenate([np.asarray(p, dtype=object) for p in parts]) if parts else np.empty((0, *inner), object)
    return torch.cat(parts) if parts else torch.empty((0, *inner), dtype=Tvalues.torch)


def _stack(components, dims, input_ragged_rank, output_ragged_rank, Tvalues, Tsplits):
    """TF's NestedStackRaggedTensors: the components (in row-major order of the encoded tensor's ``dims``)
    as one ragged tensor of ragged rank ``output_ragged_rank``."""
    if output_ragged_rank == 0:
        if input_ragged_rank > 0:
            raise invalid(
                f"Expected input_ragged_rank=0 if output_ragged_rank==0.  Got input_ragged_rank={input_ragged_rank}"
            )
        if not components:
            return [], _concat_values([], Tvalues)
        first = tuple(components[0].values.shape)
        for i, c in enumerate(components):
            if tuple(c.values.shape) != first:
                raise invalid(
                    f"All flat_values must have compatible shapes.  Shape at index 0: {format_dims(first)}.  "
                    f"Shape at index {i}: {format_dims(c.values.shape)}"
                )
        if Tvalues is DType.string:
            out = np.empty((len(components), *first), dtype=object)
            for i, c in enumerate(components):
                out[i] = c.values
            return [], out
        return [], torch.stack([c.values for c in components])
    splits = []
    for i in range(len(dims) - 1):
        splits.append(torch.arange(dims[i] + 1, dtype=Tsplits.torch) * dims[i + 1])
    rows = [0]
    for c in components:
        n = c.values.shape[0] if input_ragged_rank == 0 or not c.nested_splits else c.nested_splits[0].numel() - 1
        rows.append(rows[-1] + n)
    splits.append(torch.tensor(rows, dtype=Tsplits.torch))
    for level in range(input_ragged_rank):
        pieces, offset = [torch.zeros(1, dtype=Tsplits.torch)], 0
        for c in components:
            s = c.nested_splits[level]
            pieces.append(s[1:] + offset)
            if s.numel() > 1:
                offset = int(s[-1]) + offset
        splits.append(torch.cat(pieces))
    first = tuple(components[0].values.shape) if components else (0,)
    for i, c in enumerate(components[1:], 1):
        if c.values.ndim != len(first):
            raise invalid(
                "Rank of values must match for all components; values shape at index 0: "
                f"{format_dims(first)}, values shape at index {i}: {format_dims(c.values.shape)}"
            )
    for i, c in enumerate(components):
        if tuple(c.values.shape[1:]) != first[1:]:
            raise invalid(
                f"All flat_values must have compatible shapes.  Shape at index 0: {format_dims(first[1:])}.  "
                f"Shape at index {i}: {format_dims(c.values.shape[1:])}.  If you are using tf.map_fn, then you may "
                "need to specify an explicit fn_output_signature with appropriate ragged_rank, and/or convert "
                "output tensors to RaggedTensors."
            )
    return splits, _concat_values([c.values for c in components], Tvalues, first[1:])


@register_op(
    "RaggedTensorFromVariant",
    inputs=["encoded_ragged: variant"],
    outputs=["output_nested_splits: output_ragged_rank * Tsplits", "output_dense_values: Tvalues"],
    attrs=[
        "input_ragged_rank: int >= -1",
        "output_ragged_rank: int >= 0",
        "Tvalues: type",
        "Tsplits: {int32, int64} = DT_INT64",
    ],
    shape=_from_variant_shape,
)
def ragged_tensor_from_variant(encoded_ragged, input_ragged_rank, output_ragged_rank, Tvalues, Tsplits):
    """The encoded ragged tensors stacked (along the encoded tensor's dimensions, which become the outer ragged
    dimensions) into one ragged tensor."""
    if isinstance(encoded_ragged, np.ndarray) and encoded_ragged.ndim == 0:  # a scalar sliced from a variant vector
        encoded_ragged = encoded_ragged.item()
    dims = tuple(encoded_ragged.shape) if isinstance(encoded_ragged, np.ndarray) else ()
    if input_ragged_rank == -1:
        input_ragged_rank = output_ragged_rank - len(dims)
        if output_ragged_rank == 0 and input_ragged_rank < 0:
            input_ragged_rank = 0
        if input_ragged_rank < 0:
            raise invalid(
                "Inferred input_ragged_rank (output_ragged_rank - encoded_variant.dims()) must be >= 0, found "
                f"output_ragged_rank: {output_ragged_rank}, encoded_variant.dims(): {len(dims)}, inferred "
                f"input_ragged_rank: {input_ragged_rank}"
            )
    if not (output_ragged_rank == 0 and input_ragged_rank == 0) and output_ragged_rank != len(dims) + input_ragged_rank:
        raise invalid(
            "output_ragged_rank must be equal to input_ragged_rank + encoded_ragged.dims(); output_ragged_rank: "
            f"{output_ragged_rank}, input_ragged_rank: {input_ragged_rank}, encoded_variant.dims(): {len(dims)}."
        )
    components = list(encoded_ragged.reshape(-1)) if dims else [encoded_ragged]
    for i, c in enumerate(components):
        _check_component(i, c, input_ragged_rank, output_ragged_rank, Tvalues, Tsplits)
    if not dims:
        splits, values = components[0].nested_splits, components[0].values
    else:
        splits, values = _stack(components, dims, input_ragged_rank, output_ragged_rank, Tvalues, Tsplits)
    return list_output([*splits, values])


@register_gradient("RaggedTensorFromVariant")
def _ragged_tensor_from_variant_grad(op, *grads):
    variant_rank = op.inputs[0].shape.rank
    if variant_rank == 0:
        batched_input = False
    elif variant_rank == 1:
        batched_input = True
    elif variant_rank is None:
        batched_input = op.get_attr("output_ragged_rank") > 0
    else:
        raise ValueError(
            "Unable to compute gradient: RaggedTensorToVariant can currently only generate 0D or 1D output."
        )
    return [
        raw_op(
            "RaggedTensorToVariant",
            rt_nested_splits=list(op.outputs[:-1]),
            rt_dense_values=grads[-1],
            batched_input=batched_input,
        )
    ]


def _to_variant_gradient_shape(op):
    return [shape_from_shape_tensor(op.inputs[2])]


@register_op(
    "RaggedTensorToVariantGradient",
    inputs=["encoded_ragged_grad: variant", "row_splits: Tsplits", "dense_values_shape: int32"],
    outputs=["dense_values_grad: Tvalues"],
    attrs=["Tvalues: type", "Tsplits: {int32, int64} = DT_INT64"],
    shape=_to_variant_gradient_shape,
)
def ragged_tensor_to_variant_gradient(encoded_ragged_grad, row_splits, dense_values_shape, Tvalues):
    """The flat values of the encoded gradients concatenated (an element without one, zeros of its row's
    size), shaped as the encoded tensor's flat values."""
    shape = [int(d) for d in dense_values_shape.tolist()]
    flat = (
        list(encoded_ragged_grad.reshape(-1)) if isinstance(encoded_ragged_grad, np.ndarray) else [encoded_ragged_grad]
    )
    splits = row_splits.reshape(-1).tolist()
    values = []
    for i, g in enumerate(flat):
        if isinstance(g, RaggedTensorVariant):
            values.append(g.values)
        else:  # an element no gradient reached: zeros of its row's size
            values.append(torch.zeros((splits[i + 1] - splits[i], *shape[1:]), dtype=Tvalues.torch))
    if len(values) == 1:
        return values[0]
    return torch.cat([v.reshape(-1) for v in values]).reshape(shape)


no_registered_gradient("RaggedTensorToVariantGradient")
