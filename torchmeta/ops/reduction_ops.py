"""Reductions (Sum, Mean, Max, ...), ArgMax/ArgMin, scans (Cumsum, Cumprod) and segment reductions."""

from __future__ import annotations

import torch

from torchmeta import errors
from torchmeta.framework import tensor_util
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.ops import shapes
from torchmeta.ops.math_ops import TORCH_DTYPES
from torchmeta.ops.registry import register_op

_NUMBER = (
    "T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, "
    "quint16, uint16, complex128, half, uint32, uint64}"
)
_REAL = (
    "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64, qint8, quint8, "
    "qint32, qint16, quint16}"
)
_REAL_NUMBER = "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}"
_TIDX = "Tidx: {int32, int64} = DT_INT32"


def _dims(t) -> str:
    return "[" + ",".join(str(d) for d in t.shape) + "]"


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


# ---------------------------------------------------------------------------------------------
# Reductions over ``reduction_indices`` (tf.raw_ops calls that input ``axis``)


def _reduction_axes(reduction_indices, rank: int) -> list[int]:
    """The reduced dims, non-negative, in the order given; raises TF's errors for bad axes."""
    axes = []
    for a in reduction_indices.reshape(-1).tolist():
        if not -rank <= a < rank:
            raise _invalid(f"Invalid reduction dimension ({a} for input with {rank} dimension(s)")
        a %= rank
        if a in axes:
            raise _invalid(f"Invalid reduction arguments: Axes contains duplicate dimension: {a}")
        axes.append(a)
    return axes


def _reduction_shape(op):
    axes = op.inputs[1].shape
    if axes.rank is not None and axes.rank > 1:
        raise ValueError(
            f"Shape must be at most rank 1 but is rank {axes.rank} for '{op.name}' (op: '{op.type}') with input "
            f"shapes: {shapes._fmt(op.inputs[0].shape)}, {shapes._fmt(axes)}."
        )
    return shapes.reduction(op)


def _reduce(name, types, shape=_reduction_shape):
    return register_op(
        name,
        inputs=["input: T" if types else "input: bool", "reduction_indices: Tidx"],
        outputs=["output: T" if types else "output: bool"],
        attrs=["keep_dims: bool = false", types, _TIDX] if types else ["keep_dims: bool = false", _TIDX],
        shape=shape,
    )


@_reduce("Sum", _NUMBER)
def sum_kernel(input, reduction_indices, keep_dims):
    """Integers accumulate in their own dtype (wrapping on overflow), as in TF."""
    axes = _reduction_axes(reduction_indices, input.dim())
    if not axes:
        return input.clone()
    return torch.sum(input, axes, keepdim=keep_dims, dtype=input.dtype)


@_reduce("Mean", _NUMBER)
def mean(input, reduction_indices, keep_dims):
    """Integer means truncate toward zero (an empty integer mean is 0), as in TF."""
    axes = _reduction_axes(reduction_indices, input.dim())
    if not axes:
        return input.clone()
    if input.is_floating_point() or input.is_complex():
        return torch.mean(input, axes, keepdim=keep_dims)
    count = 1
    for a in axes:
        count *= input.shape[a]
    total = torch.sum(input, axes, keepdim=keep_dims, dtype=torch.int64)
    return torch.div(total, max(count, 1), rounding_mode="trunc").to(input.dtype)


def _empty_reduction(input, axes, keep_dims, fill):
    shape = (
        [1 if i in axes else d for i, d in enumerate(input.shape)]
        if keep_dims
        else [d for i, d in enumerate(input.shape) if i not in axes]
    )
    return torch.full(shape, fill, dtype=input.dtype, device=input.device)


def _lowest(dtype):
    return float("-inf") if dtype.is_floating_point else torch.iinfo(dtype).min


def _highest(dtype):
    return float("inf") if dtype.is_floating_point else torch.iinfo(dtype).max


@_reduce("Max", _REAL)
def max_kernel(input, reduction_indices, keep_dims):
    """NaN propagates; reducing an empty dim gives -inf (the dtype's minimum for integers)."""
    axes = _reduction_axes(reduction_indices, input.dim())
    if not axes:
        return input.clone()
    if input.numel() == 0:
        return _empty_reduction(input, axes, keep_dims, _lowest(input.dtype))
    return torch.amax(input, axes, keepdim=keep_dims)


@_reduce("Min", _REAL)
def min_kernel(input, reduction_indices, keep_dims):
    axes = _reduction_axes(reduction_indices, input.dim())
    if not axes:
        return input.clone()
    if input.numel() == 0:
        return _empty_reduction(input, axes, keep_dims, _highest(input.dtype))
    return torch.amin(input, axes, keepdim=keep_dims)


@_reduce("Prod", _NUMBER)
def prod(input, reduction_indices, keep_dims):
    axes = _reduction_axes(reduction_indices, input.dim())
    out = input.clone() if not axes else input
    for a in sorted(axes, reverse=True):  # torch.prod takes one dim; the highest first keeps indices valid
        out = torch.prod(out, a, keepdim=keep_dims, dtype=input.dtype)
    return out


@_reduce("All", None)
def all_kernel(input, reduction_indices, keep_dims):
    axes = _reduction_axes(reduction_indices, input.dim())
    if not axes:
        return input.clone()
    return torch.all(input, tuple(axes), keepdim=keep_dims)


@_reduce("Any", None)
def any_kernel(input, reduction_indices, keep_dims):
    axes = _reduction_axes(reduction_indices, input.dim())
    if not axes:
        return input.clone()
    return torch.any(input, tuple(axes), keepdim=keep_dims)


# ---------------------------------------------------------------------------------------------
# ArgMax / ArgMin


def _arg_shape(op):
    dimension = op.inputs[1].shape
    if dimension.rank not in (None, 0):
        raise ValueError(
            f"Shape must be rank 0 but is rank {dimension.rank} for '{op.name}' (op: '{op.type}') with input shapes: "
            f"{shapes._fmt(op.inputs[0].shape)}, {shapes._fmt(dimension)}."
        )
    shape = op.inputs[0].shape
    if shape.rank is None:
        return [unknown_shape()]
    rank = shape.rank
    if rank <= 1:
        return [TensorShape([])]
    value = tensor_util.constant_value(op.inputs[1])
    if value is None:
        return [unknown_shape(rank - 1)]
    axis = int(value)
    if not -rank <= axis < rank:
        raise ValueError(
            f"Dimension ({axis}) must be in the range [{-rank}, {rank}), where {rank} is the number of dimensions "
            f"in the input. for '{op.name}' (op: '{op.type}')"
        )
    dims = list(shape.as_tuple())
    del dims[axis % rank]
    return [TensorShape(dims)]


def _arg_axis(input, dimension) -> int:
    axis = int(dimension.item())
    rank = input.dim()
    if not -rank <= axis < rank:
        raise _invalid(f"Expected dimension in the range [{-rank}, {rank}), but got {axis}")
    if input.shape[axis] == 0:
        raise _invalid(f"Reduction axis {axis} is empty in shape {_dims(input)}")
    return axis


@register_op(
    "ArgMax",
    inputs=["input: T", "dimension: Tidx"],
    outputs=["output: output_type"],
    attrs=[
        "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64, qint8, quint8, "
        "qint32, qint16, quint16, bool}",
        "Tidx: {int16, int32, int64} = DT_INT32",
        "output_type: {int16, uint16, int32, int64} = DT_INT64",
    ],
    shape=_arg_shape,
)
def arg_max(input, dimension, output_type):
    """The first maximum; NaN never wins (TF compares with >), so NaN counts as -inf here."""
    axis = _arg_axis(input, dimension)
    if input.is_floating_point():
        input = torch.where(torch.isnan(input), float("-inf"), input)
    elif input.dtype is torch.bool:
        input = input.to(torch.uint8)
    return torch.argmax(input, axis).to(TORCH_DTYPES[output_type])


@register_op(
    "ArgMin",
    inputs=["input: T", "dimension: Tidx"],
    outputs=["output: output_type"],
    attrs=[
        "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64, qint8, quint8, "
        "qint32, qint16, quint16, bool}",
        "Tidx: {int32, int64} = DT_INT32",
        "output_type: {int32, int64} = DT_INT64",
    ],
    shape=_arg_shape,
)
def arg_min(input, dimension, output_type):
    """The first minimum; NaN never wins, so NaN counts as +inf here."""
    axis = _arg_axis(input, dimension)
    if input.is_floating_point():
        input = torch.where(torch.isnan(input), float("inf"), input)
    elif input.dtype is torch.bool:
        input = input.to(torch.uint8)
    return torch.argmin(input, axis).to(TORCH_DTYPES[output_type])


# ---------------------------------------------------------------------------------------------
# Scans


def _scan(fn, x, axis, exclusive, reverse, initial):
    if axis.dim() != 0:
        raise _invalid(f"ScanOp: axis must be a scalar, not {_dims(axis)}")
    ax = int(axis.item())
    rank = x.dim()
    if not -rank <= ax < rank:
        raise _invalid(f"ScanOp: Expected scan axis in the range [{-rank}, {rank}), but got {ax}")
    if reverse:
        x = torch.flip(x, (ax,))
    if exclusive and x.shape[ax]:
        first = torch.full_like(x.narrow(ax, 0, 1), initial)
        x = torch.cat([first, x.narrow(ax, 0, x.shape[ax] - 1)], ax)
    out = fn(x, ax, dtype=x.dtype)
    return torch.flip(out, (ax,)) if reverse else out


_SCAN_ATTRS = ["exclusive: bool = false", "reverse: bool = false", _NUMBER, _TIDX]


@register_op("Cumsum", inputs=["x: T", "axis: Tidx"], outputs=["out: T"], attrs=_SCAN_ATTRS, shape=shapes.unchanged)
def cumsum(x, axis, exclusive, reverse):
    return _scan(torch.cumsum, x, axis, exclusive, reverse, 0)


@register_op("Cumprod", inputs=["x: T", "axis: Tidx"], outputs=["out: T"], attrs=_SCAN_ATTRS, shape=shapes.unchanged)
def cumprod(x, axis, exclusive, reverse):
    return _scan(torch.cumprod, x, axis, exclusive, reverse, 1)


# ---------------------------------------------------------------------------------------------
# Segment reductions


def _segment_shape(op):
    data, ids = op.inputs[0].shape, op.inputs[1].shape
    if ids.rank not in (None, 1):
        raise ValueError(
            f"Shape must be rank 1 but is rank {ids.rank} for '{op.name}' (op: '{op.type}') with input shapes: "
            f"{shapes._fmt(data)}, {shapes._fmt(ids)}."
        )
    if data.rank is None:
        return [unknown_shape()]
    if data.rank == 0:
        raise ValueError(f"Shape must be at least rank 1 but is rank 0 for '{op.name}' (op: '{op.type}')")
    return [TensorShape([None]).concatenate(data[1:])]


@register_op(
    "SegmentSum",
    inputs=["data: T", "segment_ids: Tindices"],
    outputs=["output: T"],
    attrs=[_NUMBER, "Tindices: {int32, int64}"],
    shape=_segment_shape,
)
def segment_sum(data, segment_ids):
    """Sorted ids; the output has ``segment_ids[-1] + 1`` rows, empty segments are 0."""
    if segment_ids.dim() != 1:
        raise _invalid("segment_ids should be a vector.")
    n = segment_ids.shape[0]
    if data.dim() == 0 or data.shape[0] != n:
        raise _invalid("segment_ids should be the same size as dimension 0 of input.")
    rest = tuple(data.shape[1:])
    if n == 0:
        return data.new_zeros((0, *rest))
    ids = segment_ids.to(torch.int64)
    rows = int(ids[-1]) + 1
    if n > 1 and bool((ids[1:] < ids[:-1]).any()):
        raise _invalid("segment ids are not increasing")
    first = int(ids[0])
    if first < 0:
        raise _invalid(
            f"Segment id {first} out of range [0, {rows}), possibly because 'segment_ids' input is not sorted."
        )
    return data.new_zeros((rows, *rest)).index_add(0, ids, data)


def _unsorted_segment_shape(op):
    data, ids, num = (t.shape for t in op.inputs)
    if num.rank not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {num.rank} for '{op.name}' (op: '{op.type}')")
    if ids.rank is None:
        return [unknown_shape()]
    if data.rank is not None:
        if data.rank < ids.rank:
            raise ValueError(
                f"Shape must be at least rank {ids.rank} but is rank {data.rank} for '{op.name}' (op: '{op.type}')"
            )
        for a, b in zip(data.as_tuple(), ids.as_tuple()):
            if a is not None and b is not None and a != b:
                raise ValueError(
                    f"Dimensions must be equal, but are {a} and {b} for '{op.name}' (op: '{op.type}') with input "
                    f"shapes: {shapes._fmt(data)}, {shapes._fmt(ids)}, {shapes._fmt(num)}."
                )
    value = tensor_util.constant_value(op.inputs[2])
    rows = None if value is None else int(value)
    if rows is not None and rows < 0:
        raise ValueError(
            f"Dimension size, given by scalar input 2, must be non-negative but is {rows} for '{op.name}' "
            f"(op: '{op.type}')"
        )
    return [TensorShape([rows]).concatenate(data[ids.rank :])]


def _unsorted_segments(data, segment_ids, num_segments):
    """(flat ids with negative ones sent to an extra last row, data as [ids, ...], row count)."""
    if num_segments.dim() != 0:
        raise _invalid(f"num_segments should be a scalar, not shape {_dims(num_segments)}")
    rows = int(num_segments.item())
    k = segment_ids.dim()
    if tuple(data.shape[:k]) != tuple(segment_ids.shape):
        raise _invalid(f"data.shape = {_dims(data)} does not start with segment_ids.shape = {_dims(segment_ids)}")
    ids = segment_ids.reshape(-1).to(torch.int64)
    too_big = ids >= rows
    if bool(too_big.any()):
        i = int(torch.nonzero(too_big)[0, 0])
        raise _invalid(f"segment_ids[{i}] = {int(ids[i])} is out of range [0, {rows})")
    ids = torch.where(ids < 0, rows, ids)
    return ids, data.reshape(ids.shape[0], *data.shape[k:]), rows


_UNSORTED_ATTRS = ["Tindices: {int32, int64}", "Tnumsegments: {int32, int64} = DT_INT32"]


@register_op(
    "UnsortedSegmentSum",
    inputs=["data: T", "segment_ids: Tindices", "num_segments: Tnumsegments"],
    outputs=["output: T"],
    attrs=[_NUMBER, "Tindices: {int16, int32, int64}", "Tnumsegments: {int32, int64} = DT_INT32"],
    shape=_unsorted_segment_shape,
)
def unsorted_segment_sum(data, segment_ids, num_segments):
    """Rows of negative ids are dropped; empty segments are 0."""
    ids, flat, rows = _unsorted_segments(data, segment_ids, num_segments)
    return flat.new_zeros((rows + 1, *flat.shape[1:])).index_add(0, ids, flat)[:rows]


def _scatter_reduce(data, segment_ids, num_segments, reduce, empty):
    ids, flat, rows = _unsorted_segments(data, segment_ids, num_segments)
    index = ids.reshape(-1, *([1] * (flat.dim() - 1))).expand_as(flat)
    out = torch.full((rows + 1, *flat.shape[1:]), empty, dtype=flat.dtype, device=flat.device)
    return out.scatter_reduce(0, index, flat, reduce, include_self=False)[:rows]


def _finite_lowest(dtype):
    return torch.finfo(dtype).min if dtype.is_floating_point else torch.iinfo(dtype).min


def _finite_highest(dtype):
    return torch.finfo(dtype).max if dtype.is_floating_point else torch.iinfo(dtype).max


@register_op(
    "UnsortedSegmentMax",
    inputs=["data: T", "segment_ids: Tindices", "num_segments: Tnumsegments"],
    outputs=["output: T"],
    attrs=[_REAL_NUMBER, *_UNSORTED_ATTRS],
    shape=_unsorted_segment_shape,
)
def unsorted_segment_max(data, segment_ids, num_segments):
    """Empty segments hold the dtype's lowest finite value, as in TF; NaN propagates."""
    return _scatter_reduce(data, segment_ids, num_segments, "amax", _finite_lowest(data.dtype))


@register_op(
    "UnsortedSegmentMin",
    inputs=["data: T", "segment_ids: Tindices", "num_segments: Tnumsegments"],
    outputs=["output: T"],
    attrs=[_REAL_NUMBER, *_UNSORTED_ATTRS],
    shape=_unsorted_segment_shape,
)
def unsorted_segment_min(data, segment_ids, num_segments):
    """Empty segments hold the dtype's highest finite value."""
    return _scatter_reduce(data, segment_ids, num_segments, "amin", _finite_highest(data.dtype))


@register_op(
    "UnsortedSegmentProd",
    inputs=["data: T", "segment_ids: Tindices", "num_segments: Tnumsegments"],
    outputs=["output: T"],
    attrs=[_NUMBER, *_UNSORTED_ATTRS],
    shape=_unsorted_segment_shape,
)
def unsorted_segment_prod(data, segment_ids, num_segments):
    """Empty segments are 1."""
    return _scatter_reduce(data, segment_ids, num_segments, "prod", 1)
