"""Comparison, logical and bitwise ops (Equal, Less, LogicalAnd, BitwiseAnd, ...): none has a gradient in TF."""

from __future__ import annotations

import numpy as np
import torch

from torchmeta import errors
from torchmeta.framework import common_shapes, tensor_util
from torchmeta.framework.common_shapes import format_dims
from torchmeta.framework.registry import not_differentiable, register_op
from torchmeta.ops.math_ops import broadcast_shape, broadcast_shape_dims, broadcasting, incompatible_shapes

_COMPARE = "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}"


def _equality_shape(op):
    x, y = op.inputs
    if x is y:  # the same handle: TF keeps the shape even without incompatible_shape_error
        return [x.shape]
    return [broadcast_shape_dims(x.shape, y.shape, op, op.get_attr("incompatible_shape_error"))]


# ---------------------------------------------------------------------------------------------
# Comparisons and logic


def _strings_equal(x, y, incompatible_shape_error, negate):
    try:
        eq = np.equal(x, y) if not negate else np.not_equal(x, y)
    except ValueError:
        if incompatible_shape_error:
            raise errors.InvalidArgumentError(
                None, None, f"Incompatible shapes: {format_dims(np.shape(x))} vs. {format_dims(np.shape(y))}"
            ) from None
        return torch.tensor(negate)
    return torch.from_numpy(np.asarray(eq, dtype=bool))


def _equality(compare, x, y, incompatible_shape_error, negate):
    """Equal (``negate=False``) / NotEqual: element-wise, or one scalar when shapes cannot broadcast."""
    if isinstance(x, np.ndarray):
        return _strings_equal(x, y, incompatible_shape_error, negate=negate)
    try:
        return compare(x, y)
    except RuntimeError as e:
        if "must match the size" not in str(e):
            raise
        if incompatible_shape_error:
            raise incompatible_shapes(x, y) from None
        return torch.tensor(negate, device=x.device)


@register_op(
    "Equal",
    inputs=["x: T", "y: T"],
    outputs=["z: bool"],
    attrs=["T: type", "incompatible_shape_error: bool = true"],
    shape=_equality_shape,
    commutative=True,
)
def equal(x, y, incompatible_shape_error):
    """Strings compare as bytes. Without ``incompatible_shape_error``, unbroadcastable shapes give False."""
    return _equality(torch.eq, x, y, incompatible_shape_error, negate=False)


@register_op(
    "NotEqual",
    inputs=["x: T", "y: T"],
    outputs=["z: bool"],
    attrs=["T: type", "incompatible_shape_error: bool = true"],
    shape=_equality_shape,
    commutative=True,
)
def not_equal(x, y, incompatible_shape_error):
    """Without ``incompatible_shape_error``, unbroadcastable shapes give True."""
    return _equality(torch.ne, x, y, incompatible_shape_error, negate=True)


@tensor_util.register_constant_value("Equal")
def _equal_value(op, index, partial):
    x, y = (tensor_util.constant_value(t) for t in op.inputs)
    return None if x is None or y is None else np.equal(x, y)


@tensor_util.register_constant_value("NotEqual")
def _not_equal_value(op, index, partial):
    x, y = (tensor_util.constant_value(t) for t in op.inputs)
    return None if x is None or y is None else np.not_equal(x, y)


def _comparison(name):
    return register_op(name, inputs=["x: T", "y: T"], outputs=["z: bool"], attrs=[_COMPARE], shape=broadcast_shape)


@_comparison("Less")
@broadcasting
def less(x, y):
    return torch.lt(x, y)


@_comparison("LessEqual")
@broadcasting
def less_equal(x, y):
    return torch.le(x, y)


@_comparison("Greater")
@broadcasting
def greater(x, y):
    return torch.gt(x, y)


@_comparison("GreaterEqual")
@broadcasting
def greater_equal(x, y):
    return torch.ge(x, y)


@register_op("LogicalAnd", inputs=["x: bool", "y: bool"], outputs=["z: bool"], shape=broadcast_shape, commutative=True)
@broadcasting
def logical_and(x, y):
    return torch.logical_and(x, y)


@register_op("LogicalOr", inputs=["x: bool", "y: bool"], outputs=["z: bool"], shape=broadcast_shape, commutative=True)
@broadcasting
def logical_or(x, y):
    return torch.logical_or(x, y)


@register_op("LogicalNot", inputs=["x: bool"], outputs=["y: bool"], shape=common_shapes.unchanged)
def logical_not(x):
    return torch.logical_not(x)


# Comparisons and logic have no gradient (TF declares them NotDifferentiable).
not_differentiable("Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual")
not_differentiable("LogicalAnd", "LogicalOr", "LogicalNot")


# ---------------------------------------------------------------------------------------------
# Bitwise ops (the integer forms of ``& | ^ ~``)

_BITWISE = "T: {int8, int16, int32, int64, uint8, uint16, uint32, uint64}"


def _bitwise(name):
    return register_op(
        name, inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_BITWISE], shape=broadcast_shape, commutative=True
    )


@_bitwise("BitwiseAnd")
@broadcasting
def bitwise_and(x, y):
    return torch.bitwise_and(x, y)


@_bitwise("BitwiseOr")
@broadcasting
def bitwise_or(x, y):
    return torch.bitwise_or(x, y)


@_bitwise("BitwiseXor")
@broadcasting
def bitwise_xor(x, y):
    return torch.bitwise_xor(x, y)


@register_op("Invert", inputs=["x: T"], outputs=["y: T"], attrs=[_BITWISE], shape=common_shapes.unchanged)
def invert(x):
    return torch.bitwise_not(x)


_BITS = {
    torch.int8: 8,
    torch.uint8: 8,
    torch.int16: 16,
    torch.uint16: 16,
    torch.int32: 32,
    torch.uint32: 32,
    torch.int64: 64,
    torch.uint64: 64,
}
_UNSIGNED = (torch.uint8, torch.uint16, torch.uint32, torch.uint64)


def _shift(x, y, left: bool):
    """TF's left_shift_op/right_shift_op: the shift clamped to [0, bits - 1]; a left shift wraps (it runs on
    the unsigned type), a right shift is arithmetic for signed and logical for unsigned types. Runs on
    int64, where every narrower type's value fits (uint64 as its bits)."""
    bits = _BITS[x.dtype]
    x, y = torch.broadcast_tensors(x, y)
    wide = x.view(torch.int64) if x.dtype == torch.uint64 else x.to(torch.int64)
    amount = (y.view(torch.int64) if y.dtype == torch.uint64 else y.to(torch.int64)).clamp(0, bits - 1)
    if y.dtype == torch.uint64:  # a uint64 shift above 2**63 reads negative as int64: clamp it high
        amount = torch.where(y.view(torch.int64) < 0, torch.full_like(amount, bits - 1), amount)
    if left:
        out = torch.bitwise_left_shift(wide, amount)
    elif x.dtype == torch.uint64:  # logical: shift, then clear the sign bits the arithmetic shift copied
        mask = torch.bitwise_left_shift(torch.ones_like(amount), 64 - amount) - 1
        out = torch.bitwise_right_shift(wide, amount)
        out = torch.where(amount == 0, out, out & mask)
    else:
        out = torch.bitwise_right_shift(wide, amount)
    if x.dtype == torch.uint64:
        return out.view(torch.uint64)
    if bits < 64 and x.dtype in _UNSIGNED:
        out = out & ((1 << bits) - 1)
    elif bits < 64:  # wrap into the signed range
        out = ((out + (1 << (bits - 1))) & ((1 << bits) - 1)) - (1 << (bits - 1))
    return out.to(x.dtype)


@register_op("LeftShift", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_BITWISE], shape=broadcast_shape)
@broadcasting
def left_shift(x, y):
    return _shift(x, y, left=True)


@register_op("RightShift", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_BITWISE], shape=broadcast_shape)
@broadcasting
def right_shift(x, y):
    return _shift(x, y, left=False)


@register_op("PopulationCount", inputs=["x: T"], outputs=["y: uint8"], attrs=[_BITWISE], shape=common_shapes.unchanged)
def population_count(x):
    bits = _BITS[x.dtype]
    wide = x.view(torch.int64) if x.dtype == torch.uint64 else x.to(torch.int64)
    count = torch.zeros(x.shape, dtype=torch.int64)
    for i in range(bits):
        count += torch.bitwise_right_shift(wide, i) & 1
    return count.to(torch.uint8)


# Bitwise ops have no gradient (TF declares them NotDifferentiable).
not_differentiable("BitwiseAnd", "BitwiseOr", "BitwiseXor", "Invert", "LeftShift", "RightShift", "PopulationCount")
