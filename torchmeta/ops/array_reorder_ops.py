"""Array ops that move elements without changing them: SpaceToDepth, DepthToSpace, Reverse (the
bool-mask V1 of ReverseV2) and Roll, with TensorFlow's gradients (array_grad.py, manip_grad.py).

The block rearrangements are reshape/permute views (NHWC, NCHW and NCHW_VECT_C); Roll is torch.roll
with TF's shift accumulation per axis. Strings (numpy object arrays) go through the same index plan.
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta.framework.common_shapes import format_dims, merge_shapes, shape_error, with_rank
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import flip, invalid, str_attr

# ---------------------------------------------------------------------------------------------
# SpaceToDepth, DepthToSpace


def _layout(data_format: str):
    """(rank, height axis, width axis, depth axis) of the 4-D (or NCHW_VECT_C 5-D) layout."""
    if data_format == "NHWC":
        return 4, 1, 2, 3
    if data_format == "NCHW":
        return 4, 2, 3, 1
    return 5, 2, 3, 1  # NCHW_VECT_C: [batch, depth / 4, height, width, 4]


def _block_shape(op, to_depth: bool):
    data_format = str_attr(op, "data_format")
    block = op.get_attr("block_size")
    rank, h_axis, w_axis, d_axis = _layout(data_format)
    shape = with_rank(op, op.inputs[0].shape, rank)
    dims = list(shape.as_tuple()) if shape.rank is not None else [None] * rank
    vect = 4 if data_format == "NCHW_VECT_C" else 1
    h, w, d = dims[h_axis], dims[w_axis], dims[d_axis]
    if to_depth:
        for v in (w, h):
            if v is not None and v % block:
                raise shape_error(op, f"Dimension size must be evenly divisible by {block} but is {v}")
        dims[h_axis] = None if h is None else h // block
        dims[w_axis] = None if w is None else w // block
        dims[d_axis] = None if d is None else d * block * block
    else:
        if d is not None and (d * vect) % (block * block):
            raise shape_error(op, f"Dimension size must be evenly divisible by {block * block} but is {d * vect}")
        dims[h_axis] = None if h is None else h * block
        dims[w_axis] = None if w is None else w * block
        dims[d_axis] = None if d is None else d // (block * block)
    return [TensorShape(dims)]


def _as_nhwc(x, data_format: str):
    """The input as [batch, height, width, depth] (a view; NCHW_VECT_C's depth is depth / 4 x 4)."""
    if data_format == "NHWC":
        return x
    if data_format == "NCHW":
        return x.permute(0, 2, 3, 1) if not isinstance(x, np.ndarray) else x.transpose(0, 2, 3, 1)
    perm = (0, 2, 3, 1, 4)
    y = x.permute(*perm) if not isinstance(x, np.ndarray) else x.transpose(*perm)
    return y.reshape(*y.shape[:3], y.shape[3] * y.shape[4])


def _from_nhwc(y, data_format: str):
    if data_format == "NHWC":
        return y
    if data_format == "NCHW":
        return y.permute(0, 3, 1, 2) if not isinstance(y, np.ndarray) else y.transpose(0, 3, 1, 2)
    b, h, w, d = y.shape
    y = y.reshape(b, h, w, d // 4, 4)
    return y.permute(0, 3, 1, 2, 4) if not isinstance(y, np.ndarray) else y.transpose(0, 3, 1, 2, 4)


def _contiguous(x):
    return np.ascontiguousarray(x) if isinstance(x, np.ndarray) else x.contiguous()


def _permute(x, perm):
    return x.transpose(perm) if isinstance(x, np.ndarray) else x.permute(*perm)


def _check_block_input(x, data_format: str, sep: str):
    """TF's SpaceToDepth says ``should be 4 instead of 3``, DepthToSpace ``should be: 4 instead of: 3``."""
    rank = 5 if data_format == "NCHW_VECT_C" else 4
    if x.ndim != rank:
        raise invalid(f"Input rank should be{sep} {rank} instead of{sep} {x.ndim}")


@register_op(
    "SpaceToDepth",
    inputs=["input: T"],
    outputs=["output: T"],
    attrs=["T: type", "block_size: int >= 2", "data_format: {'NHWC', 'NCHW', 'NCHW_VECT_C'} = \"NHWC\""],
    shape=lambda op: _block_shape(op, True),
)
def space_to_depth(input, block_size, data_format):
    _check_block_input(input, data_format, "")
    x = _as_nhwc(input, data_format)
    b, h, w, d = x.shape
    if h % block_size or w % block_size:
        raise invalid(f"Image width {w} and height {h} should be divisible by block_size: {block_size}")
    x = x.reshape(b, h // block_size, block_size, w // block_size, block_size, d)
    y = _contiguous(_permute(x, (0, 1, 3, 2, 4, 5))).reshape(b, h // block_size, w // block_size, d * block_size**2)
    return _contiguous(_from_nhwc(y, data_format))


@register_op(
    "DepthToSpace",
    inputs=["input: T"],
    outputs=["output: T"],
    attrs=["T: type", "block_size: int >= 2", "data_format: {'NHWC', 'NCHW', 'NCHW_VECT_C'} = \"NHWC\""],
    shape=lambda op: _block_shape(op, False),
)
def depth_to_space(input, block_size, data_format):
    _check_block_input(input, data_format, ":")
    x = _as_nhwc(input, data_format)
    b, h, w, d = x.shape
    if d % (block_size * block_size):
        raise invalid(f"Input depth dimension {d} should be divisible by: {block_size * block_size}")
    out_d = d // (block_size * block_size)
    x = _contiguous(x).reshape(b, h, w, block_size, block_size, out_d)
    y = _contiguous(_permute(x, (0, 1, 3, 2, 4, 5))).reshape(b, h * block_size, w * block_size, out_d)
    return _contiguous(_from_nhwc(y, data_format))


def _block_grad(op, grad, inverse: str):
    data_format = str_attr(op, "data_format")
    if data_format == "NCHW_VECT_C":
        raise ValueError(f"Cannot compute {op.type} gradient with NCHW_VECT_C. NCHW_VECT_C requires qint8 data type.")
    return raw_op(inverse, input=grad, block_size=op.get_attr("block_size"), data_format=data_format)


@register_gradient("SpaceToDepth")
def _space_to_depth_grad(op, grad):
    return [_block_grad(op, grad, "DepthToSpace")]


@register_gradient("DepthToSpace")
def _depth_to_space_grad(op, grad):
    return [_block_grad(op, grad, "SpaceToDepth")]


# ---------------------------------------------------------------------------------------------
# Reverse (V1: a bool per dimension)


def _reverse_shape(op):
    x, dims = op.inputs
    n = with_rank(op, dims.shape, 1).as_tuple()[0]
    shape = x.shape if n is None else with_rank(op, x.shape, n)
    if shape.rank is not None and shape.rank > 8:
        raise shape_error(op, "reverse does not work on tensors with more than 8 dimensions")
    return [shape]


@register_op(
    "Reverse",
    inputs=["tensor: T", "dims: bool"],
    outputs=["output: T"],
    attrs=[
        "T: {uint8, int8, uint16, int16, uint32, int32, uint64, int64, bool, bfloat16, half, float, double, "
        "complex64, complex128, string}"
    ],
    shape=_reverse_shape,
)
def reverse(tensor, dims):
    if dims.dim() != 1:
        raise invalid(f"'dims' must be 1-dimension, not {dims.dim()}")
    flags = [bool(v) for v in dims.tolist()]
    if len(flags) != tensor.ndim:
        raise invalid(
            f"'dims' must have the same number of values as 'input' has dimensions. 'input' has "
            f"{tensor.ndim}'dims' has {len(flags)} values"
        )
    if tensor.ndim > 8:
        raise invalid("reverse is not implemented for tensors of rank > 8.")
    axes = [i for i, f in enumerate(flags) if f]
    return flip(tensor, axes)


@register_gradient("Reverse")
def _reverse_grad(op, grad):
    return [raw_op("Reverse", tensor=grad, dims=op.inputs[1]), None]


# ---------------------------------------------------------------------------------------------
# Roll


def _roll_shape(op):
    x, shift, axis = op.inputs
    if x.shape.rank is not None and x.shape.rank < 1:
        raise shape_error(op, f"Shape must be at least rank 1 but is rank {x.shape.rank}")
    for t in (shift, axis):
        if t.shape.rank is not None and t.shape.rank > 1:
            raise shape_error(op, f"Shape must be at most rank 1 but is rank {t.shape.rank}")
    merge_shapes(op, shift.shape, axis.shape)
    return [x.shape]


@register_op(
    "Roll",
    inputs=["input: T", "shift: Tshift", "axis: Taxis"],
    outputs=["output: T"],
    attrs=["T: type", "Tshift: {int32, int64}", "Taxis: {int32, int64}"],
    shape=_roll_shape,
)
def roll(input, shift, axis):
    rank = input.ndim
    if rank < 1:
        raise invalid("input must be 1-D or higher")
    if shift.dim() > 1:
        raise invalid(f"shift must be a scalar or a 1-D vector. Found: {format_dims(shift.shape)}")
    if axis.dim() > 1:
        raise invalid(f"axis must be a scalar or a 1-D vector. Found: {format_dims(axis.shape)}")
    shifts = [int(v) for v in shift.reshape(-1).tolist()]
    axes = [int(v) for v in axis.reshape(-1).tolist()]
    if len(shifts) != len(axes):
        raise invalid("shift and axis must have the same size")
    total = [0] * rank
    for s, a in zip(shifts, axes):
        ax = a + rank if a < 0 else a
        if ax < 0 or ax >= rank:
            raise invalid(f"axis {a} is out of range")
        total[ax] += s
    dims = [i for i in range(rank) if input.shape[i] and total[i] % input.shape[i]]
    amounts = [total[i] % input.shape[i] for i in dims]
    if isinstance(input, np.ndarray):
        return np.roll(input, amounts, dims) if dims else input.copy()
    return torch.roll(input, amounts, dims) if dims else input.clone()


@register_gradient("Roll")
def _roll_grad(op, grad):
    shift = op.inputs[1]
    axis = op.inputs[2]
    roll_grad = raw_op("Roll", input=grad, shift=-shift, axis=axis)
    return [roll_grad, None, None]
