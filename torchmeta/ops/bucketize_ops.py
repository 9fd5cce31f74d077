"""Searching, bucketing and counting ops: LowerBound, UpperBound, Bucketize, HistogramFixedWidth, Bincount,
DenseBincount and UnravelIndex. None has a gradient in TensorFlow (it registers none).

They follow TF's CPU kernels: the bounds are std::lower_bound/upper_bound per row, Bucketize compares in
float (double for double inputs) as its C++ comparison promotes, HistogramFixedWidth computes the bin
as ``int32(min((max(x, lo) - lo) in T / step in double, nbins - 1))``, the bincounts drop values >= size,
and UnravelIndex divides with C++'s truncation.
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta.framework.common_shapes import (
    format_dims,
    input_with_rank,
    shape_error,
    with_rank,
    with_rank_at_most,
    with_value,
)
from torchmeta.framework.registry import no_registered_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.framework.tensor_util import constant_value
from torchmeta.ops.common import invalid

_COUNT_T = "T: {int32, int64, float, double}"

# ---------------------------------------------------------------------------------------------
# LowerBound, UpperBound


def _bound_shape(op):
    input_with_rank(op, 0, 2)
    return [with_rank(op, op.inputs[1].shape, 2)]


def _bound(sorted_inputs, values, out_type, right: bool):
    if sorted_inputs.shape[0] != values.shape[0]:
        raise invalid("Leading dim_size of both tensors must match.")
    if sorted_inputs.shape[1] == 0 or values.numel() == 0:
        return torch.zeros(values.shape, dtype=out_type.torch)
    out = torch.searchsorted(sorted_inputs.contiguous(), values.contiguous(), right=right)
    return out.to(out_type.torch)


@register_op(
    "LowerBound",
    inputs=["sorted_inputs: T", "values: T"],
    outputs=["output: out_type"],
    attrs=["T: type", "out_type: {int32, int64} = DT_INT32"],
    shape=_bound_shape,
)
def lower_bound(sorted_inputs, values, out_type):
    return _bound(sorted_inputs, values, out_type, right=False)


@register_op(
    "UpperBound",
    inputs=["sorted_inputs: T", "values: T"],
    outputs=["output: out_type"],
    attrs=["T: type", "out_type: {int32, int64} = DT_INT32"],
    shape=_bound_shape,
)
def upper_bound(sorted_inputs, values, out_type):
    return _bound(sorted_inputs, values, out_type, right=True)


# ---------------------------------------------------------------------------------------------
# Bucketize, HistogramFixedWidth


def _unchanged(op):
    return [op.inputs[0].shape]


@register_op(
    "Bucketize",
    inputs=["input: T"],
    outputs=["output: int32"],
    attrs=[_COUNT_T, "boundaries: list(float)"],
    shape=_unchanged,
)
def bucketize(input, boundaries):
    if any(b > a for a, b in zip(boundaries[1:], boundaries)):
        raise invalid("Expected sorted boundaries")
    compute = torch.float64 if input.dtype == torch.float64 else torch.float32
    edges = torch.tensor(np.asarray(boundaries, np.float32), dtype=compute)
    if edges.numel() == 0:
        return torch.zeros(input.shape, dtype=torch.int32)
    # std::upper_bound: the first boundary > x (NaN compares false, so it lands past the end)
    out = torch.bucketize(input.to(compute), edges, right=True)
    out = torch.where(torch.isnan(input.to(compute)), torch.full_like(out, len(boundaries)), out)
    return out.to(torch.int32)


def _histogram_shape(op):
    value_range = with_rank(op, op.inputs[1].shape, 1)
    with_value(op, value_range.as_tuple()[0], 2)
    input_with_rank(op, 2, 0)
    nbins = constant_value(op.inputs[2])
    if nbins is None:
        return [TensorShape([None])]
    nbins = int(np.asarray(nbins).reshape(-1)[0])
    if nbins <= 0:
        raise shape_error(op, f"Requires nbins > 0: {nbins}")
    return [TensorShape([nbins])]


def _number(v) -> str:
    """A value as TF's StrCat prints it (%g-like for floats, six significant digits)."""
    if isinstance(v, float):
        text = f"{v:.6g}"
        return text
    return str(v)


@register_op(
    "HistogramFixedWidth",
    inputs=["values: T", "value_range: T", "nbins: int32"],
    outputs=["out: dtype"],
    attrs=[_COUNT_T, "dtype: {int32, int64} = DT_INT32"],
    shape=_histogram_shape,
)
def histogram_fixed_width(values, value_range, nbins, dtype):
    if value_range.dim() != 1:
        raise invalid("value_range should be a vector.")
    if value_range.numel() != 2:
        raise invalid("value_range should be a vector of 2 elements.")
    if nbins.dim() != 0:
        raise invalid("nbins should be a scalar.")
    lo, hi = value_range[0], value_range[1]
    n = int(nbins)
    if not bool(lo < hi):
        raise invalid(
            f"value_range should satisfy value_range[0] < value_range[1], but got '[{_number(lo.item())}, "
            f"{_number(hi.item())}]'"
        )
    if n <= 0:
        raise invalid(f"nbins should be a positive number, but got '{n}'")
    step = float(hi - lo) / float(n)
    offset = (torch.maximum(values, lo) - lo).to(torch.float64)
    index = torch.clamp(offset / step, max=float(n - 1)).to(torch.int64).reshape(-1)
    return torch.bincount(index, minlength=n).to(dtype.torch)


# ---------------------------------------------------------------------------------------------
# Bincount, DenseBincount


def _size_value(op):
    """The static value of the scalar ``size`` input, checked as TF's bincount shape functions do."""
    input_with_rank(op, 1, 0)
    size = constant_value(op.inputs[1])
    if size is None:
        return None
    size = int(np.asarray(size).reshape(-1)[0])
    if size < 0:
        raise shape_error(op, f"size ({size}) must be non-negative")
    return size


def _bincount_shape(op):
    return [TensorShape([_size_value(op)])]


def _count(arr, size: int, weights, dtype, binary: bool = False):
    """Counts of ``arr``'s values below ``size`` along its last axis (weighted when weights has elements)."""
    if arr.numel() and bool((arr < 0).any()):
        if arr.dim() == 2:
            raise invalid(f"Input 'in' must be non-negative! Negative input value found: {int(arr.min())}")
        raise invalid("Input arr must be non-negative!")
    if size == 0 or arr.numel() == 0:
        return torch.zeros((*arr.shape[:-1], size) if arr.dim() == 2 else (size,), dtype=dtype)
    rows = arr.reshape(-1, arr.shape[-1]) if arr.dim() == 2 else arr.reshape(1, -1)
    out = torch.zeros(rows.shape[0], size, dtype=dtype)
    keep = rows < size
    index = torch.where(keep, rows, torch.zeros_like(rows)).to(torch.int64)
    if binary:
        out.scatter_(1, index, keep.to(dtype))
        out = torch.where(out > 0, torch.ones_like(out), out)
    else:
        w = weights.reshape(rows.shape).to(dtype) if weights.numel() else torch.ones(rows.shape, dtype=dtype)
        out.scatter_add_(1, index, torch.where(keep, w, torch.zeros_like(w)))
    return out if arr.dim() == 2 else out.reshape(size)


@register_op(
    "Bincount",
    inputs=["arr: int32", "size: int32", "weights: T"],
    outputs=["bins: T"],
    attrs=[_COUNT_T],
    shape=_bincount_shape,
)
def bincount(arr, size, weights):
    if size.dim() != 0:
        raise invalid(f"Shape must be rank 0 but is rank {size.dim()}")
    n = int(size)
    if n < 0:
        raise invalid(f"size ({n}) must be non-negative")
    if weights.numel() and weights.numel() != arr.numel():
        raise invalid("Input indices and weights must have the same size.")
    return _count(arr.reshape(-1), n, weights.reshape(-1), weights.dtype)


def _dense_bincount_shape(op):
    shape = with_rank_at_most(op, op.inputs[0].shape, 2)
    size = _size_value(op)
    if shape.rank is None:
        return [TensorShape(None)]
    if size is None:
        return [TensorShape([None] * shape.rank)]
    if shape.rank == 2:
        return [TensorShape([shape.as_tuple()[0], size])]
    if shape.rank == 1:
        return [TensorShape([size])]
    return [TensorShape(None)]


@register_op(
    "DenseBincount",
    inputs=["input: Tidx", "size: Tidx", "weights: T"],
    outputs=["output: T"],
    attrs=["Tidx: {int32, int64}", _COUNT_T, "binary_output: bool = false"],
    shape=_dense_bincount_shape,
)
def dense_bincount(input, size, weights, binary_output):
    if size.dim() != 0:
        raise invalid(f"Shape must be rank 0 but is rank {size.dim()}")
    n = int(size)
    if n < 0:
        raise invalid(f"size ({n}) must be non-negative")
    if input.dim() > 2:
        raise invalid(f"Shape must be at most rank 2 but is rank {input.dim()}")
    if weights.numel() and weights.shape != input.shape:
        raise invalid(
            "`weights` must be the same shape as `arr` or a length-0 `Tensor`, in which case it acts as all "
            f"weights equal to 1. Received {format_dims(weights.shape)}"
        )
    return _count(input, n, weights, weights.dtype, binary=binary_output)


no_registered_gradient("LowerBound", "UpperBound", "Bucketize", "HistogramFixedWidth", "Bincount", "DenseBincount")

# ---------------------------------------------------------------------------------------------
# UnravelIndex


def _unravel_index_shape(op):
    dims = with_rank(op, op.inputs[1].shape, 1).as_tuple()
    indices = op.inputs[0].shape
    if indices.rank is None:
        return [TensorShape(None)]
    if indices.rank == 0:
        return [TensorShape([dims[0]])]
    return [TensorShape([dims[0], indices.num_elements()])]


@register_op(
    "UnravelIndex",
    inputs=["indices: Tidx", "dims: Tidx"],
    outputs=["output: Tidx"],
    attrs=["Tidx: {int32, int64} = DT_INT32"],
    shape=_unravel_index_shape,
)
def unravel_index(indices, dims):
    if indices.dim() > 1:
        raise invalid(f'The indices can only be scalar or vector, got "{format_dims(indices.shape)}"')
    if dims.dim() != 1:
        raise invalid(f'The indices can only be 1-D, got "{format_dims(dims.shape)}"')
    sizes = [int(d) for d in dims.tolist()]
    for i, d in enumerate(sizes):
        if d == 0:
            raise invalid(f"Input dims cannot contain a dim of zero, but dims contains zero at index {i}")
    if indices.numel() == 0:
        dtype = "int32" if indices.dtype == torch.int32 else "int64"
        raise invalid(
            f"received empty tensor indices: Tensor<type: {dtype} shape: {format_dims(indices.shape)} values: >"
        )
    prod = int(torch.prod(dims).item()) if sizes else 1
    if bool((indices >= prod).any()):
        raise invalid("index is out of bound as with dims")
    strides = [1] * len(sizes)
    for i in range(len(sizes) - 2, -1, -1):
        strides[i] = strides[i + 1] * sizes[i + 1]
    flat = indices.reshape(-1, 1).to(torch.int64)
    stride_t = torch.tensor(strides, dtype=torch.int64).reshape(1, -1)
    size_t = torch.tensor(sizes, dtype=torch.int64).reshape(1, -1)
    out = torch.fmod(torch.div(flat, stride_t, rounding_mode="trunc"), size_t).T.to(indices.dtype)
    return out.reshape(len(sizes)) if indices.dim() == 0 else out


no_registered_gradient("UnravelIndex")
