"""Slicing ops: Slice, StridedSlice and StridedSliceGrad, with TF's index semantics, shape rules and gradients.

Index inputs (begin, end, strides, size) are read on the host, as TF keeps them in host memory.
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta import errors
from torchmeta.api import array_ops
from torchmeta.framework import tensor_util
from torchmeta.framework.common_shapes import (
    format_dims,
    merge_dim,
    merge_shapes,
    shape_error,
    shape_from_shape_tensor,
    with_rank,
)
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import (
    register_gradient,
    register_op,
)
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.framework.tensor_util import constant_value
from torchmeta.ops.common import (
    check_dims,
    host_ints,
    invalid,
    is_np,
)

# ---------------------------------------------------------------------------------------------
# Slice, StridedSlice


def _slice_shape(op):
    x, begin_t, size_t = op.inputs
    begin_shape = with_rank(op, begin_t.shape, 1)
    size_shape = with_rank(op, size_t.shape, 1)
    n = merge_dim(op, begin_shape.as_tuple()[0], size_shape.as_tuple()[0])
    if x.shape.rank is not None and n is not None and x.shape.rank != n:
        raise shape_error(op, f"Shape must be rank {n} but is rank {x.shape.rank}")
    rank = x.shape.rank if x.shape.rank is not None else n
    begin = constant_value(begin_t)
    sizes = constant_value(size_t)
    if rank is None:
        return [unknown_shape()]
    dims = x.shape.as_tuple() if x.shape.rank is not None else (None,) * rank
    if begin is not None and sizes is not None:
        out = []
        for i, (b, s, d) in enumerate(zip(begin.reshape(-1).tolist(), sizes.reshape(-1).tolist(), dims)):
            b, s = int(b), int(s)
            if s == -1:
                out.append(None if d is None else d - b)
            else:
                if s < -1:
                    raise shape_error(op, f"Expected size[{i}] in [0, {d}], but got {s}")
                if d is not None and b + s > d:
                    raise shape_error(op, f"Expected size[{i}] in [0, {d - b}], but got {s}")
                out.append(s)
        return [TensorShape(out)]
    if sizes is not None:
        out = []
        for s in sizes.reshape(-1).tolist():
            s = int(s)
            out.append(None if s == -1 else s)
        return [TensorShape(out)]
    partial = shape_from_shape_tensor(size_t)
    if partial.rank == rank:
        return [TensorShape([d if d is not None and d >= 0 else None for d in partial.as_tuple()])]
    return [unknown_shape(rank)]


@register_op(
    "Slice",
    inputs=["input: T", "begin: Index", "size: Index"],
    outputs=["output: T"],
    attrs=["T: type", "Index: {int32, int64}"],
    shape=_slice_shape,
    aliases_input=True,
)
def slice_kernel(input, begin, size):
    rank = input.ndim
    b = host_ints(begin)
    s = host_ints(size)
    if begin.dim() != 1 or size.dim() != 1 or len(b) != rank or len(s) != rank:
        raise invalid(
            f"Expected begin and size arguments to be 1-D tensors of size {rank}, but got shapes "
            f"{format_dims(begin.shape)} and {format_dims(size.shape)} instead."
        )
    index = []
    for i in range(rank):
        d = input.shape[i]
        bi, si = b[i], s[i]
        if si == -1:
            si = d - bi
        if not (0 <= bi <= d and 0 <= si <= d - bi):
            raise invalid(f"Expected size[{i}] in [0, {d - bi}], but got {s[i]}")
        index.append(slice(bi, bi + si))
    return input[tuple(index)]


def _strided_slice_spec(begin, end, strides, dims, begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_mask):
    """TF's ValidateStridedSliceOp: per input dim (begin, end, stride, size) and the final shape.

    ``begin``/``end`` may be None (not static) and ``dims`` entries may be None (unknown); sizes are
    then None where TF's shape inference cannot know them. Raises InvalidArgumentError with TF's
    wording.
    """
    n = len(strides)
    if ellipsis_mask & (ellipsis_mask - 1):
        raise invalid("Multiple ellipses in slice spec not allowed")
    ellipsis_seen = False
    new_after_ellipsis = 0
    for i in range(n):
        if ellipsis_seen and (1 << i) & new_axis_mask:
            new_after_ellipsis += 1
        if (1 << i) & ellipsis_mask:
            ellipsis_seen = True
    sparse_dims = n
    if not ellipsis_seen:
        ellipsis_mask |= 1 << n
        sparse_dims += 1
    rank = len(dims)
    d_begin, d_end, d_stride = [0] * rank, [0] * rank, [1] * rank
    d_bmask = d_emask = d_shrink = 0
    gather = []  # output dims: a dense index, or "new" for new axes
    full = 0
    for i in range(sparse_dims):
        if (1 << i) & ellipsis_mask:
            nxt = min(rank - (sparse_dims - i) + 1 + new_after_ellipsis, rank)
            while full < nxt:
                d_bmask |= 1 << full
                d_emask |= 1 << full
                gather.append(full)
                full += 1
        elif (1 << i) & new_axis_mask:
            gather.append("new")
        else:
            if full == rank:
                raise invalid(f"Index out of range using input dim {full}; input has only {rank} dims")
            if begin is not None:
                d_begin[full] = begin[i]
            if end is not None:
                d_end[full] = end[i]
            d_stride[full] = strides[i]
            if begin_mask & (1 << i):
                d_bmask |= 1 << full
            if end_mask & (1 << i):
                d_emask |= 1 << full
            if shrink_mask & (1 << i):
                gather.append("shrink")
                d_shrink |= 1 << full
            else:
                gather.append(full)
            full += 1
    known = begin is not None and end is not None
    sizes = []
    for i in range(rank):
        stride = d_stride[i]
        if stride == 0:
            raise invalid(f"strides[{i}] must be non-zero")
        shrink = bool(d_shrink & (1 << i))
        dim = dims[i]
        if dim is None:
            sizes.append(1 if shrink else None)
            continue
        if shrink and stride <= 0:
            raise invalid("only stride 1 allowed on non-range indexing.")
        bm, em = bool(d_bmask & (1 << i)), bool(d_emask & (1 << i))
        if known:
            if shrink:
                b = d_begin[i]
                fwd = b + dim if b < 0 else b
                if fwd < 0 or fwd >= dim:
                    raise invalid(f"slice index {fwd} of dimension {i} out of bounds.")
                d_begin[i], d_end[i] = fwd, fwd + 1
            else:
                lo, hi = (0, dim) if stride > 0 else (-1, dim - 1)

                def canonical(x, masked, which, lo=lo, hi=hi, stride=stride, dim=dim):
                    if masked:
                        return (lo, hi)[which] if stride > 0 else (lo, hi)[1 - which]
                    x = x + dim if x < 0 else x
                    return lo if x < lo else (hi if x > hi else x)

                d_begin[i] = canonical(d_begin[i], bm, 0)
                d_end[i] = canonical(d_end[i], em, 1)
            length = d_end[i] - d_begin[i]
        elif shrink:
            length = 1
        elif bm and em and dim > 0:
            length = -dim if stride < 0 else dim
        else:
            sizes.append(None)
            continue
        if length == 0 or (length < 0) != (stride < 0):
            sizes.append(0)
        else:
            sizes.append(_ceil_div(length, stride))
    final = []
    for g in gather:
        if g == "new":
            final.append(1)
        elif g != "shrink":
            final.append(sizes[g])
    return d_begin, d_end, d_stride, sizes, final


def _ceil_div(length: int, stride: int) -> int:
    """C++'s ``length / stride + (length % stride != 0)`` for same-signed operands."""
    q, r = abs(length) // abs(stride), abs(length) % abs(stride)
    return q + (1 if r else 0)


def _strided_slice_shape(op):
    x, begin_t, end_t, strides_t = op.inputs
    begin_shape = with_rank(op, begin_t.shape, 1)
    end_shape = with_rank(op, end_t.shape, 1)
    strides_shape = with_rank(op, strides_t.shape, 1)
    n = merge_shapes(op, merge_shapes(op, begin_shape, end_shape), strides_shape).as_tuple()[0]
    strides = constant_value(strides_t)
    if x.shape.rank is None or n is None or strides is None:
        return [unknown_shape()]
    begin = constant_value(begin_t)
    end = constant_value(end_t)
    attrs = [op.get_attr(a) for a in _SS_MASKS]
    try:
        *_, final = _strided_slice_spec(
            None if begin is None else [int(v) for v in begin.reshape(-1)],
            None if end is None else [int(v) for v in end.reshape(-1)],
            [int(v) for v in strides.reshape(-1)],
            list(x.shape.as_tuple()),
            *attrs,
        )
    except errors.InvalidArgumentError as e:
        raise shape_error(op, e.message) from None
    return [TensorShape(final)]


_SS_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


@register_op(
    "StridedSlice",
    inputs=["input: T", "begin: Index", "end: Index", "strides: Index"],
    outputs=["output: T"],
    attrs=[
        "T: type",
        "Index: {int16, int32, int64}",
        "begin_mask: int = 0",
        "end_mask: int = 0",
        "ellipsis_mask: int = 0",
        "new_axis_mask: int = 0",
        "shrink_axis_mask: int = 0",
    ],
    shape=_strided_slice_shape,
    aliases_input=True,
)
def strided_slice(input, begin, end, strides, begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask):
    b, e, s = host_ints(begin), host_ints(end), host_ints(strides)
    if not (begin.dim() == 1 and end.dim() == 1 and strides.dim() == 1 and len(b) == len(s) == len(e) and len(b) < 32):
        raise invalid(
            f"Expected begin, end, and strides to be 1D equal size tensors, but got shapes {format_dims(begin.shape)}, "
            f"{format_dims(end.shape)}, and {format_dims(strides.shape)} instead."
        )
    d_begin, _, d_stride, sizes, final = _strided_slice_spec(
        b, e, s, list(input.shape), begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask
    )
    index = []
    flips = []
    for i, (lo, st, n) in enumerate(zip(d_begin, d_stride, sizes)):
        if n == 0:
            index.append(slice(0, 0))
        elif st > 0:
            index.append(slice(lo, lo + (n - 1) * st + 1, st))
        else:
            last = lo + (n - 1) * st  # the smallest index taken
            index.append(slice(last, lo + 1, -st))
            flips.append(i)
    out = input[tuple(index)]
    if flips:
        out = np.flip(out, flips) if is_np(out) else torch.flip(out, flips)
    return out.reshape(final)


def _strided_slice_grad_shape(op):
    with_rank(op, op.inputs[0].shape, 1)
    return [shape_from_shape_tensor(op.inputs[0])]


@register_op(
    "StridedSliceGrad",
    inputs=["shape: Index", "begin: Index", "end: Index", "strides: Index", "dy: T"],
    outputs=["output: T"],
    attrs=[
        "T: type",
        "Index: {int32, int64}",
        "begin_mask: int = 0",
        "end_mask: int = 0",
        "ellipsis_mask: int = 0",
        "new_axis_mask: int = 0",
        "shrink_axis_mask: int = 0",
    ],
    shape=_strided_slice_grad_shape,
)
def strided_slice_grad(
    shape, begin, end, strides, dy, begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask
):
    """Zeros of ``shape`` with ``dy`` written where StridedSlice(begin, end, strides, masks) reads."""
    if shape.dim() != 1:
        raise invalid(f"shape must be 1-D, got shape.shape = {format_dims(shape.shape)}")
    dims = host_ints(shape)
    check_dims(dims)
    b, e, s = host_ints(begin), host_ints(end), host_ints(strides)
    if not (begin.dim() == 1 and end.dim() == 1 and strides.dim() == 1 and len(b) == len(s) == len(e) and len(b) < 32):
        raise invalid(
            f"Expected begin, end, and strides to be 1D equal size tensors, but got shapes {format_dims(begin.shape)}, "
            f"{format_dims(end.shape)}, and {format_dims(strides.shape)} instead."
        )
    d_begin, _, d_stride, sizes, final = _strided_slice_spec(
        b, e, s, dims, begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask
    )
    if tuple(dy.shape) != tuple(final):
        raise invalid(f"shape of dy was {format_dims(dy.shape)} instead of {format_dims(final)}")
    # Positions read along each input dim (descending for negative strides).
    positions = [range(lo, lo + n * st, st) for lo, st, n in zip(d_begin, d_stride, sizes)]
    if is_np(dy):
        out = np.empty(dims, dtype=object)
        out.fill(b"")
        if dy.size:
            out[np.ix_(*[np.array(p, dtype=np.int64) for p in positions])] = dy.reshape(sizes)
        return out
    if not dims:
        return dy.reshape(()).clone()
    out = dy.new_zeros(dims)
    if not dy.numel():
        return out
    values = dy.reshape(sizes)
    if not dy.requires_grad:
        index, flips = [], []
        for i, (lo, st, n) in enumerate(zip(d_begin, d_stride, sizes)):
            if st > 0:
                index.append(slice(lo, lo + (n - 1) * st + 1, st))
            else:
                index.append(slice(lo + (n - 1) * st, lo + 1, -st))
                flips.append(i)
        out[tuple(index)] = torch.flip(values, flips) if flips else values
        return out
    grids = torch.meshgrid(*[torch.tensor(p, dtype=torch.long, device=dy.device) for p in positions], indexing="ij")
    return out.index_put(tuple(g.reshape(-1) for g in grids), values.reshape(-1))


@register_gradient("Slice")
def _slice_grad(op, grad):
    """Pads ``grad`` back to the input's shape: ``begin`` zeros before, the rest after."""
    x, begin = op.inputs[0], op.inputs[1]
    input_rank = array_ops.rank(x)
    index_dtype = begin.dtype.base_dtype
    slice_size = array_ops.shape(op.outputs[0], out_type=index_dtype)
    shape = array_ops.stack([input_rank, 1])
    before_pad = array_ops.reshape(begin, shape)
    remaining = raw_op("Sub", x=array_ops.shape(x, out_type=index_dtype), y=slice_size, name="sub")
    after_pad = array_ops.reshape(raw_op("Sub", x=remaining, y=begin, name="sub"), shape)
    paddings = array_ops.concat([before_pad, after_pad], 1)
    return [array_ops.pad(grad, paddings), None, None]


def _static_or(t):
    value = tensor_util.constant_value(t)
    return t if value is None else value


@register_gradient("StridedSlice")
def _strided_slice_grad(op, grad):
    begin, end, strides = op.inputs[1:]
    shape = array_ops.shape(op.inputs[0], out_type=begin.dtype.base_dtype)
    return [
        raw_op(
            "StridedSliceGrad",
            shape=_static_or(shape),
            begin=_static_or(begin),
            end=_static_or(end),
            strides=_static_or(strides),
            dy=grad,
            **{m: op.get_attr(m) for m in _SS_MASKS},
        ),
        None,
        None,
        None,
    ]


@register_gradient("StridedSliceGrad")
def _strided_slice_grad_grad(op, grad):
    begin, end, strides = op.inputs[1:4]
    masks = {m: op.get_attr(m) for m in _SS_MASKS}
    return [None, None, None, None, array_ops.strided_slice(grad, begin, end, strides, **masks)]
