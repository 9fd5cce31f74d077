"""Reductions (Sum, Mean, Max, ...), ArgMax/ArgMin, scans (Cumsum, Cumprod) and segment reductions.

Gradients follow their ops and mirror TensorFlow's ``math_grad.py`` (same ops, same node names).
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta.api import array_ops, math_ops
from torchmeta.dtypes import DType
from torchmeta.framework import common_shapes, tensor_util
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.common_shapes import format_dims, shape_error, with_rank, with_rank_at_most
from torchmeta.framework.constant_op import constant
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.ops.common import host_ints, invalid
from torchmeta.ops.math_ops import TORCH_DTYPES

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


# ---------------------------------------------------------------------------------------------
# Reductions over ``reduction_indices`` (tf.raw_ops calls that input ``axis``)


def _reduction_axes(reduction_indices, rank: int) -> list[int]:
    """The reduced dims, non-negative, in the order given; raises TF's errors for bad axes."""
    axes = []
    for a in host_ints(reduction_indices):
        if not -rank <= a < rank:
            raise invalid(f"Invalid reduction dimension ({a} for input with {rank} dimension(s)")
        a %= rank
        if a in axes:
            raise invalid(f"Invalid reduction arguments: Axes contains duplicate dimension: {a}")
        axes.append(a)
    return axes


def _reduction_shape(op):
    axes = op.inputs[1].shape
    with_rank_at_most(op, axes, 1)
    return common_shapes.reduction(op)


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


@_reduce("EuclideanNorm", _NUMBER)
def euclidean_norm(input, reduction_indices, keep_dims):
    """``sqrt(sum(x * conj(x)))`` without rescaling (1e30 overflows to inf, as in TF); integers square and
    sum in their own dtype (wrapping) and truncate the square root; complex inputs give a complex norm."""
    axes = _reduction_axes(reduction_indices, input.dim())
    squares = input * input.conj() if input.is_complex() else input * input
    total = torch.sum(squares, axes, keepdim=keep_dims, dtype=input.dtype) if axes else squares  # no axes: |x|
    if input.is_floating_point() or input.is_complex():
        return torch.sqrt(total)
    return torch.sqrt(total.to(torch.float64)).to(input.dtype)


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
# Reduction gradients (TF's math_grad.py: _SumGrad, _MeanGrad, _MinOrMaxGrad, _ProdGrad)


def _static_tile_scaling(input_shape: tuple, output_shape_kept_dims: tuple) -> tuple:
    """``input_shape // max(kept, 1)``. TF builds this as graph ops (a Maximum and a floordiv that
    nothing consumes) and evaluates them; the same ops are built here, the value computed directly."""
    _ = input_shape // math_ops.maximum(np.array(output_shape_kept_dims, dtype=np.int32), 1)
    return tuple(int(d) for d in np.array(input_shape) // np.maximum(np.array(output_shape_kept_dims), 1))


@register_gradient("Sum")
def _sum_grad(op, grad):
    """Reshape the gradient to the kept-dims shape and tile or broadcast it back to the input.

    TF's fast paths: a static reduction to a scalar is a Reshape + Tile; a static shape and axes give
    constant Reshape/Tile arguments (cached per graph, so the evaluated Maximum/floordiv appear once).
    """
    input_0_shape = op.inputs[0].shape.as_tuple()
    if input_0_shape is not None:
        axes = tensor_util.constant_value(op.inputs[1])
        if axes is not None:
            rank = len(input_0_shape)
            if np.array_equal(axes, np.arange(rank)):
                grad = array_ops.reshape(grad, [1] * rank)
                if None not in input_0_shape:
                    input_shape = constant(list(input_0_shape), dtype=DType.int32)
                else:
                    input_shape = array_ops.shape(op.inputs[0])
                return [array_ops.tile(grad, input_shape), None]
            if None not in input_0_shape:
                cache = op.graph.__dict__.setdefault("_reduced_shape_cache", {})
                axes = tuple(int(a) for a in np.reshape(axes, -1))
                key = (input_0_shape, axes)
                if key not in cache:
                    output_shape_kept_dims = tuple(int(d) for d in math_ops.reduced_shape(input_0_shape, axes))
                    tile_scaling = _static_tile_scaling(input_0_shape, output_shape_kept_dims)
                    cache[key] = (output_shape_kept_dims, tile_scaling)
                output_shape_kept_dims, tile_scaling = cache[key]
                grad = array_ops.reshape(grad, output_shape_kept_dims)
                return [array_ops.tile(grad, tile_scaling), None]
    input_shape = array_ops.shape(op.inputs[0])
    if not op.get_attr("keep_dims"):
        with graph_lib.colocate_with(input_shape):
            output_shape_kept_dims = math_ops.reduced_shape(input_shape, op.inputs[1])
        grad = array_ops.reshape(grad, output_shape_kept_dims)
    return [array_ops.broadcast_to(grad, input_shape), None]


@register_gradient("Mean")
def _mean_grad(op, grad):
    """Sum's gradient divided by the number of reduced elements (static, or Prod of gathered dims)."""
    sum_grad = _sum_grad(op, grad)[0]
    input_shape = op.inputs[0].shape.as_tuple()
    output_shape = op.outputs[0].shape.as_tuple()
    if input_shape is not None and output_shape is not None and None not in input_shape and None not in output_shape:
        input_size = int(np.prod(input_shape, dtype=np.int64))
        output_size = int(np.prod(output_shape, dtype=np.int64))
        factor = input_size // max(output_size, 1)
        factor = constant(factor, dtype=sum_grad.dtype.base_dtype)
    else:
        input_shape = array_ops.shape(op.inputs[0])
        input_rank = array_ops.size(input_shape)
        axes = math_ops.cast(op.inputs[1], input_rank.dtype.base_dtype)
        axes = (axes + input_rank) % input_rank
        factor = math_ops.reduce_prod(array_ops.gather(input_shape, axes))
    return math_ops.truediv(sum_grad, math_ops.cast(factor, sum_grad.dtype.base_dtype)), None


def _min_or_max_grad(op, grad):
    """The gradient goes to the selected elements, split evenly between ties."""
    input_shape = array_ops.shape(op.inputs[0])
    y = op.outputs[0]
    if not op.get_attr("keep_dims"):
        output_shape_kept_dims = math_ops.reduced_shape(input_shape, op.inputs[1])
        y = array_ops.reshape(y, output_shape_kept_dims)
        grad = array_ops.reshape(grad, output_shape_kept_dims)
    else:
        output_shape_kept_dims = array_ops.shape(y)
    indicators = math_ops.cast(math_ops.equal(y, op.inputs[0]), grad.dtype.base_dtype)
    num_selected = array_ops.reshape(math_ops.reduce_sum(indicators, op.inputs[1]), output_shape_kept_dims)
    return [math_ops.divide(indicators, num_selected) * grad, None]


@register_gradient("Max")
def _max_grad(op, grad):
    return _min_or_max_grad(op, grad)


@register_gradient("Min")
def _min_grad(op, grad):
    return _min_or_max_grad(op, grad)


@register_gradient("Prod")
def _prod_grad(op, grad):
    """The product of all other elements, as an exclusive cumprod from each side (no division, so
    zeros are fine) over the reduced dims moved to the front and flattened."""
    input_shape = array_ops.shape(op.inputs[0])
    reduction_indices = array_ops.reshape(op.inputs[1], [-1])
    if not op.get_attr("keep_dims"):
        output_shape_kept_dims = math_ops.reduced_shape(input_shape, op.inputs[1])
        grad = array_ops.reshape(grad, output_shape_kept_dims)
    grad = array_ops.broadcast_to(grad, input_shape)
    with graph_lib.device("/cpu:0"):
        rank = array_ops.rank(op.inputs[0])
        reduction_indices = math_ops.cast(reduction_indices, rank.dtype.base_dtype)
        reduced = (reduction_indices + rank) % rank
        idx = math_ops.range(0, rank)
        other, _ = raw_op("ListDiff", x=idx, y=reduced, out_idx=reduced.dtype.base_dtype)
        perm = array_ops.concat([reduced, other], 0)
        reduced_num = math_ops.reduce_prod(array_ops.gather(input_shape, reduced))
        other_num = math_ops.reduce_prod(array_ops.gather(input_shape, other))
    permuted = array_ops.transpose(op.inputs[0], perm)
    permuted_shape = array_ops.shape(permuted)
    reshaped = array_ops.reshape(permuted, (reduced_num, other_num))
    left = math_ops.cumprod(reshaped, axis=0, exclusive=True)
    right = math_ops.cumprod(reshaped, axis=0, exclusive=True, reverse=True)
    y = array_ops.reshape(math_ops.conj(left) * math_ops.conj(right), permuted_shape)
    out = grad * array_ops.transpose(y, array_ops.invert_permutation(perm))
    return array_ops.reshape(out, input_shape), None


# TF registers no gradient for All/Any; their bool outputs never carry one.
no_registered_gradient("All", "Any")


# ---------------------------------------------------------------------------------------------
# ArgMax / ArgMin


def _arg_shape(op):
    dimension = op.inputs[1].shape
    with_rank(op, dimension, 0)
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
        raise shape_error(
            op,
            f"Dimension ({axis}) must be in the range [{-rank}, {rank}), where {rank} is the number of dimensions "
            "in the input.",
        )
    dims = list(shape.as_tuple())
    del dims[axis % rank]
    return [TensorShape(dims)]


def _arg_axis(input, dimension) -> int:
    axis = int(dimension.item())
    rank = input.dim()
    if not -rank <= axis < rank:
        raise invalid(f"Expected dimension in the range [{-rank}, {rank}), but got {axis}")
    if input.shape[axis] == 0:
        raise invalid(f"Reduction axis {axis} is empty in shape {format_dims(input.shape)}")
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


@register_gradient("ArgMax")
def _arg_max_grad(op, grad):
    return [None, None]


@register_gradient("ArgMin")
def _arg_min_grad(op, grad):
    return [None, None]


@register_gradient("EuclideanNorm")
def _euclidean_norm_grad(op, grad):
    """x / (norm / grad), with the norm and the gradient reshaped to the kept-dims shape."""
    output = op.outputs[0]
    if not op.get_attr("keep_dims"):
        output_shape_kept_dims = math_ops.reduced_shape(array_ops.shape(op.inputs[0]), op.inputs[1])
        output = array_ops.reshape(output, output_shape_kept_dims)
        grad = array_ops.reshape(grad, output_shape_kept_dims)
    return math_ops.truediv(op.inputs[0], output / grad), None


# ---------------------------------------------------------------------------------------------
# Scans


def _scan(fn, x, axis, exclusive, reverse, initial):
    if axis.dim() != 0:
        raise invalid(f"ScanOp: axis must be a scalar, not {format_dims(axis.shape)}")
    ax = int(axis.item())
    rank = x.dim()
    if not -rank <= ax < rank:
        raise invalid(f"ScanOp: Expected scan axis in the range [{-rank}, {rank}), but got {ax}")
    if reverse:
        x = torch.flip(x, (ax,))
    if exclusive and x.shape[ax]:
        first = torch.full_like(x.narrow(ax, 0, 1), initial)
        x = torch.cat([first, x.narrow(ax, 0, x.shape[ax] - 1)], ax)
    out = fn(x, ax, dtype=x.dtype)
    return torch.flip(out, (ax,)) if reverse else out


_SCAN_ATTRS = ["exclusive: bool = false", "reverse: bool = false", _NUMBER, _TIDX]


@register_op(
    "Cumsum", inputs=["x: T", "axis: Tidx"], outputs=["out: T"], attrs=_SCAN_ATTRS, shape=common_shapes.unchanged
)
def cumsum(x, axis, exclusive, reverse):
    return _scan(torch.cumsum, x, axis, exclusive, reverse, 0)


@register_op(
    "Cumprod", inputs=["x: T", "axis: Tidx"], outputs=["out: T"], attrs=_SCAN_ATTRS, shape=common_shapes.unchanged
)
def cumprod(x, axis, exclusive, reverse):
    return _scan(torch.cumprod, x, axis, exclusive, reverse, 1)


def _logsumexp_pair(acc, x):
    """TF's LogSumExpReducer (scan_ops.h): Eigen's min/max (a NaN in ``x`` leaves ``acc`` as both, a NaN
    ``acc`` takes ``x``'s place as neither compares), ``max + log1p(exp(min - max))``, and ``max`` itself
    below the lowest finite value (-inf)."""
    mi = torch.where(x < acc, x, acc)
    ma = torch.where(acc < x, x, acc)
    return torch.where(ma < torch.finfo(ma.dtype).min, ma, torch.log1p(torch.exp(mi - ma)) + ma)


@register_op(
    "CumulativeLogsumexp",
    inputs=["x: T", "axis: Tidx"],
    outputs=["out: T"],
    attrs=["exclusive: bool = false", "reverse: bool = false", "T: {bfloat16, half, float, double}", _TIDX],
    shape=common_shapes.unchanged,
)
def cumulative_logsumexp(x, axis, exclusive, reverse):
    """A sequential scan from -inf with TF's pairwise reducer (so NaN inputs are absorbed as TF's are)."""

    def scan(t, ax, dtype):
        if t.shape[ax] == 0:
            return t.clone()
        acc = torch.full_like(t.narrow(ax, 0, 1), float("-inf"))
        outs = []
        for i in range(t.shape[ax]):
            acc = _logsumexp_pair(acc, t.narrow(ax, i, 1))
            outs.append(acc)
        return torch.cat(outs, ax) if outs else t.clone()

    out = _scan(scan, x, axis, exclusive, reverse, float("-inf"))
    if x.requires_grad:
        # TF's reducer picks one side at ties, which autograd would follow; torch's logcumsumexp carries the
        # (symmetric) derivative while the values stay TF's.
        smooth = _scan(lambda t, ax, dtype: torch.logcumsumexp(t, ax), x, axis, exclusive, reverse, float("-inf"))
        out = out.detach() + torch.where(torch.isfinite(smooth), smooth - smooth.detach(), 0.0)
    return out


@register_gradient("CumulativeLogsumexp")
def _cumulative_logsumexp_grad(op, grad):
    """exp(cumulative_logsumexp(log|grad| - out, other direction) + x) for the positive and negative parts."""
    x = op.inputs[0]
    axis = op.inputs[1]
    cumulative_logsumexp = op.outputs[0]
    exclusive = op.get_attr("exclusive")
    reverse = op.get_attr("reverse")
    log_grad_positive = array_ops.where_v2(math_ops.greater(grad, 0), math_ops.log(grad), grad.dtype.min)
    log_grad_negative = array_ops.where_v2(math_ops.less(grad, 0), math_ops.log(-grad), grad.dtype.min)
    output_pos = math_ops.exp(
        math_ops.cumulative_logsumexp(
            log_grad_positive - cumulative_logsumexp, axis=axis, reverse=not reverse, exclusive=exclusive
        )
        + x
    )
    output_neg = math_ops.exp(
        math_ops.cumulative_logsumexp(
            log_grad_negative - cumulative_logsumexp, axis=axis, reverse=not reverse, exclusive=exclusive
        )
        + x
    )
    return [output_pos - output_neg, None]


@register_gradient("Cumsum")
def _cumsum_grad(op, grad):
    """A cumsum of the gradient in the other direction."""
    axis = op.inputs[1]
    exclusive = op.get_attr("exclusive")
    reverse = op.get_attr("reverse")
    return [math_ops.cumsum(grad, axis, exclusive=exclusive, reverse=not reverse), None]


@register_gradient("Cumprod")
def _cumprod_grad(op, grad):
    """cumsum(cumprod(x) * grad, other direction) / x (0 where x is 0, as TF's div_no_nan)."""
    x = op.inputs[0]
    axis = op.inputs[1]
    exclusive = op.get_attr("exclusive")
    reverse = op.get_attr("reverse")
    prod = math_ops.cumprod(x, axis, exclusive=exclusive, reverse=reverse)
    out = math_ops.cumsum(prod * grad, axis, exclusive=exclusive, reverse=not reverse)
    return [math_ops.div_no_nan(out, x), None]


# ---------------------------------------------------------------------------------------------
# Segment reductions


def _segment_shape(op):
    data, ids = op.inputs[0].shape, op.inputs[1].shape
    with_rank(op, ids, 1)
    if data.rank is None:
        return [unknown_shape()]
    if data.rank == 0:
        raise shape_error(op, "Shape must be at least rank 1 but is rank 0")
    return [TensorShape([None]).concatenate(data[1:])]


def _sorted_segments(data, segment_ids):
    """TF's SegmentReductionOp checks; returns (int64 ids, output rows), rows None for no ids."""
    if segment_ids.dim() != 1:
        raise invalid("segment_ids should be a vector.")
    n = segment_ids.shape[0]
    if data.dim() == 0 or data.shape[0] != n:
        raise invalid("segment_ids should be the same size as dimension 0 of input.")
    if n == 0:
        return None, None
    ids = segment_ids.to(torch.int64)
    rows = int(ids[-1]) + 1
    if n > 1 and bool((ids[1:] < ids[:-1]).any()):
        raise invalid("segment ids are not increasing")
    first = int(ids[0])
    if first < 0:
        raise invalid(
            f"Segment id {first} out of range [0, {rows}), possibly because 'segment_ids' input is not sorted."
        )
    return ids, rows


def _segment_op(name, types):
    return register_op(
        name,
        inputs=["data: T", "segment_ids: Tindices"],
        outputs=["output: T"],
        attrs=[types, "Tindices: {int32, int64}"],
        shape=_segment_shape,
    )


@_segment_op("SegmentSum", _NUMBER)
def segment_sum(data, segment_ids):
    """Sorted ids; the output has ``segment_ids[-1] + 1`` rows, empty segments are 0."""
    ids, rows = _sorted_segments(data, segment_ids)
    if ids is None:
        return data.new_zeros((0, *data.shape[1:]))
    return data.new_zeros((rows, *data.shape[1:])).index_add(0, ids, data)


@_segment_op("SegmentMean", _NUMBER)
def segment_mean(data, segment_ids):
    """Sums (in the data's dtype, wrapping for integers) divided by the counts (truncating for integers);
    empty segments are 0."""
    ids, rows = _sorted_segments(data, segment_ids)
    if ids is None:
        return data.new_zeros((0, *data.shape[1:]))
    total = data.new_zeros((rows, *data.shape[1:])).index_add(0, ids, data)
    counts = torch.bincount(ids, minlength=rows).clamp(min=1).reshape(-1, *([1] * (data.dim() - 1)))
    if data.is_floating_point() or data.is_complex():
        return total / counts.to(data.dtype)
    return torch.div(total.to(torch.int64), counts, rounding_mode="trunc").to(data.dtype)


@_segment_op("SegmentProd", _NUMBER)
def segment_prod(data, segment_ids):
    """Products in the data's dtype; empty segments are 1."""
    ids, rows = _sorted_segments(data, segment_ids)
    if ids is None:
        return data.new_zeros((0, *data.shape[1:]))
    out = torch.ones((rows, *data.shape[1:]), dtype=data.dtype, device=data.device)
    if data.is_complex():  # scatter_reduce has no complex product
        prods = list(out.unbind(0))
        for i, segment in enumerate(ids.tolist()):
            prods[segment] = prods[segment] * data[i]
        return torch.stack(prods)
    index = ids.reshape(-1, *([1] * (data.dim() - 1))).expand_as(data)
    return out.scatter_reduce(0, index, data, "prod", include_self=True)


def _segment_extreme(data, segment_ids, reduce):
    """Max/Min as TF's reducer folds a segment: ``acc = x`` unless ``acc`` compares strictly better, so a
    NaN replaces the running value and the next element replaces a NaN: what counts is the elements after
    a segment's last NaN (NaN when a NaN ends it). Empty segments are 0."""
    ids, rows = _sorted_segments(data, segment_ids)
    if ids is None:
        return data.new_zeros((0, *data.shape[1:]))
    index = ids.reshape(-1, *([1] * (data.dim() - 1))).expand_as(data)
    filled = torch.bincount(ids, minlength=rows) > 0
    filled = filled.reshape(-1, *([1] * (data.dim() - 1)))
    if data.is_floating_point():
        pos = torch.arange(data.shape[0], device=data.device).reshape(index.shape[:1] + (1,) * (data.dim() - 1))
        pos = pos.expand_as(data)
        nan = torch.isnan(data)
        last_nan = torch.full((rows, *data.shape[1:]), -1, dtype=torch.long, device=data.device)
        last_nan = last_nan.scatter_reduce(0, index, torch.where(nan, pos, -1), "amax", include_self=True)
        after = pos > last_nan.gather(0, index)
        sentinel = float("-inf") if reduce == "amax" else float("inf")
        values = torch.where(after, data, torch.full_like(data, sentinel))
        out = torch.full((rows, *data.shape[1:]), sentinel, dtype=data.dtype, device=data.device)
        out = out.scatter_reduce(0, index, values, reduce, include_self=True)
        any_after = torch.zeros((rows, *data.shape[1:]), dtype=torch.bool, device=data.device)
        any_after = any_after.scatter_reduce(0, index, after, "amax", include_self=True)
        out = torch.where(any_after, out, torch.full_like(out, float("nan")))
    else:
        out = torch.zeros((rows, *data.shape[1:]), dtype=data.dtype, device=data.device)
        out = out.scatter_reduce(0, index, data, reduce, include_self=False)
    return torch.where(filled, out, torch.zeros_like(out))


@_segment_op("SegmentMax", _REAL_NUMBER)
def segment_max(data, segment_ids):
    return _segment_extreme(data, segment_ids, "amax")


@_segment_op("SegmentMin", _REAL_NUMBER)
def segment_min(data, segment_ids):
    return _segment_extreme(data, segment_ids, "amin")


@register_gradient("SegmentSum")
def _segment_sum_grad(op, grad):
    return array_ops.gather(grad, op.inputs[1]), None


@register_gradient("SegmentMean")
def _segment_mean_grad(op, grad):
    """The gradient of each segment divided by its size, gathered back to the rows."""
    data_rank = array_ops.rank(op.inputs[0])
    segment_ids_shape = array_ops.shape(op.inputs[1])
    remaining_shape = array_ops.ones(array_ops.expand_dims(data_rank - 1, 0), dtype=segment_ids_shape.dtype)
    ones_shape = array_ops.concat([segment_ids_shape, remaining_shape], 0)
    ones = array_ops.ones(ones_shape, dtype=grad.dtype)
    scaled_grad = math_ops.divide(grad, math_ops.segment_sum(ones, op.inputs[1]))
    return array_ops.gather(scaled_grad, op.inputs[1]), None


def _segment_min_or_max_grad(op, grad):
    """The gradient of each segment split evenly between its selected (extreme) elements."""
    zeros = array_ops.zeros_like(op.inputs[0], dtype=op.inputs[0].dtype)
    gathered_outputs = array_ops.gather(op.outputs[0], op.inputs[1])
    is_selected = math_ops.equal(op.inputs[0], gathered_outputs)
    num_selected = math_ops.segment_sum(math_ops.cast(is_selected, grad.dtype), op.inputs[1])
    weighted_grads = math_ops.divide(grad, num_selected)
    gathered_grads = array_ops.gather(weighted_grads, op.inputs[1])
    return array_ops.where_v2(is_selected, gathered_grads, zeros), None


register_gradient("SegmentMin")(_segment_min_or_max_grad)
register_gradient("SegmentMax")(_segment_min_or_max_grad)


@register_gradient("SegmentProd")
def _segment_prod_grad(op, grad):
    """prod / x without zeros; the product of the other elements for a segment's single zero; 0 for
    segments with several zeros (TF's three cases)."""
    data = op.inputs[0]
    segment_ids = op.inputs[1]
    is_zero = math_ops.equal(data, 0)
    num_zeros = math_ops.segment_sum(math_ops.cast(is_zero, dtype=DType.int32), segment_ids)
    grad = array_ops.where_v2(math_ops.greater(num_zeros, 1), array_ops.zeros_like(grad), grad)
    non_zero_data = array_ops.where_v2(is_zero, array_ops.ones_like(data), data)
    non_zero_prod = math_ops.segment_prod(non_zero_data, segment_ids)
    gathered_prod = array_ops.gather(op.outputs[0], segment_ids)
    gathered_non_zero_prod = array_ops.gather(non_zero_prod, segment_ids)
    prod_divided_by_el = gathered_prod / non_zero_data
    partial_derivative = array_ops.where_v2(is_zero, gathered_non_zero_prod, prod_divided_by_el)
    gathered_grad = array_ops.gather(grad, segment_ids)
    return gathered_grad * partial_derivative, None


def _unsorted_segment_shape(op):
    data, ids, num = (t.shape for t in op.inputs)
    if num.rank not in (None, 0):
        raise shape_error(op, f"Shape must be rank 0 but is rank {num.rank}")
    if ids.rank is None:
        return [unknown_shape()]
    if data.rank is not None:
        if data.rank < ids.rank:
            raise shape_error(op, f"Shape must be at least rank {ids.rank} but is rank {data.rank}")
        for a, b in zip(data.as_tuple(), ids.as_tuple()):
            if a is not None and b is not None and a != b:
                raise shape_error(op, f"Dimensions must be equal, but are {a} and {b}")
    value = tensor_util.constant_value(op.inputs[2])
    rows = None if value is None else int(value)
    if rows is not None and rows < 0:
        raise shape_error(op, f"Dimension size, given by scalar input 2, must be non-negative but is {rows}")
    return [TensorShape([rows]).concatenate(data[ids.rank :])]


def _unsorted_segments(data, segment_ids, num_segments):
    """(flat ids with negative ones sent to an extra last row, data as [ids, ...], row count)."""
    if num_segments.dim() != 0:
        raise invalid(f"num_segments should be a scalar, not shape {format_dims(num_segments.shape)}")
    rows = int(num_segments.item())
    k = segment_ids.dim()
    if tuple(data.shape[:k]) != tuple(segment_ids.shape):
        raise invalid(
            f"data.shape = {format_dims(data.shape)} does not start with segment_ids.shape = {format_dims(segment_ids.shape)}"
        )
    ids = segment_ids.reshape(-1).to(torch.int64)
    too_big = ids >= rows
    if bool(too_big.any()):
        i = int(torch.nonzero(too_big)[0, 0])
        raise invalid(f"segment_ids[{i}] = {int(ids[i])} is out of range [0, {rows})")
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


# ---------------------------------------------------------------------------------------------
# Unsorted segment gradients: gathers of the gradient by segment id, 0 for negative ids


def _gather_drop_negatives(params, ids, zero_clipped_indices=None, is_positive=None):
    """Gathers ``params`` at ``max(ids, 0)`` and zeroes the rows of negative ids; returns the
    gathered rows, the clipped indices and the mask (pass them back in to reuse them)."""
    if zero_clipped_indices is None:
        zero_clipped_indices = math_ops.maximum(ids, array_ops.zeros_like(ids))
    gathered = array_ops.gather(params, zero_clipped_indices)
    if is_positive is None:
        is_positive = math_ops.greater_equal(ids, 0)
        is_positive_shape = array_ops.shape(is_positive)
        broadcastable_shape = array_ops.concat(
            [
                is_positive_shape,
                array_ops.ones(
                    [array_ops.rank(gathered) - array_ops.rank(is_positive)], dtype=is_positive_shape.dtype.base_dtype
                ),
            ],
            axis=0,
        )
        is_positive = array_ops.reshape(is_positive, broadcastable_shape)
        is_positive = is_positive & array_ops.ones_like(gathered, dtype=DType.bool)
    zero_slice = array_ops.zeros_like(gathered)
    return array_ops.where_v2(is_positive, gathered, zero_slice), zero_clipped_indices, is_positive


def _unsorted_segment_min_or_max_grad(op, grad):
    """The gradient goes to the selected elements of each segment, split evenly between ties."""
    gathered_outputs, zero_clipped_indices, is_positive = _gather_drop_negatives(op.outputs[0], op.inputs[1])
    is_selected = math_ops.equal(op.inputs[0], gathered_outputs)
    is_selected = math_ops.logical_and(is_selected, is_positive)
    num_selected = math_ops.unsorted_segment_sum(
        math_ops.cast(is_selected, grad.dtype.base_dtype), op.inputs[1], op.inputs[2]
    )
    weighted_grads = math_ops.divide(grad, num_selected)
    gathered_grads, _, _ = _gather_drop_negatives(weighted_grads, None, zero_clipped_indices, is_positive)
    zeros = array_ops.zeros_like(gathered_grads)
    return array_ops.where_v2(is_selected, gathered_grads, zeros), None, None


@register_gradient("UnsortedSegmentSum")
def _unsorted_segment_sum_grad(op, grad):
    return _gather_drop_negatives(grad, op.inputs[1])[0], None, None


@register_gradient("UnsortedSegmentMax")
def _unsorted_segment_max_grad(op, grad):
    return _unsorted_segment_min_or_max_grad(op, grad)


@register_gradient("UnsortedSegmentMin")
def _unsorted_segment_min_grad(op, grad):
    return _unsorted_segment_min_or_max_grad(op, grad)


@register_gradient("UnsortedSegmentProd")
def _unsorted_segment_prod_grad(op, grad):
    """The product of the segment's other elements: prod / x without zeros, the product of the
    non-zero elements for a segment's single zero, 0 for segments with several zeros."""
    data, segment_ids, num_segments = op.inputs
    is_zero = math_ops.equal(data, 0)
    num_zeros = raw_op(
        "UnsortedSegmentSum",
        data=math_ops.cast(is_zero, DType.int32),
        segment_ids=segment_ids,
        num_segments=num_segments,
    )
    grad = array_ops.where_v2(math_ops.greater(num_zeros, 1), array_ops.zeros_like(grad), grad)
    non_zero_data = array_ops.where_v2(is_zero, array_ops.ones_like(data), data)
    non_zero_prod = raw_op(
        "UnsortedSegmentProd", data=non_zero_data, segment_ids=segment_ids, num_segments=num_segments
    )
    zero_clipped_indices = math_ops.maximum(segment_ids, array_ops.zeros_like(segment_ids))
    gathered_prod = array_ops.gather(op.outputs[0], zero_clipped_indices)
    gathered_non_zero_prod = array_ops.gather(non_zero_prod, zero_clipped_indices)
    prod_divided_by_el = gathered_prod / data  # may hold inf/NaN where data is 0; not selected there
    partial_derivative = array_ops.where_v2(is_zero, gathered_non_zero_prod, prod_divided_by_el)
    gathered_grad = _gather_drop_negatives(grad, segment_ids, zero_clipped_indices)[0]
    return gathered_grad * partial_derivative, None, None
