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
def _equal_value(op, index):
    x, y = (tensor_util.constant_value(t) for t in op.inputs)
    return None if x is None or y is None else np.equal(x, y)


@tensor_util.register_constant_value("NotEqual")
def _not_equal_value(op, index):
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


# Bitwise ops have no gradient (TF declares them NotDifferentiable).
not_differentiable("BitwiseAnd", "BitwiseOr", "BitwiseXor", "Invert")
