"""Math ops: element-wise arithmetic and functions, casts, comparisons, logic, matrix products, Range.

Reductions, arg-max/min, scans and segment ops live in ``reduction_ops.py``. Each op's gradient
follows it and mirrors TensorFlow's ``math_grad.py`` op for op and name for name, so graphs
differentiated here are the graphs TF builds and TF can run them.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from torchmeta import errors
from torchmeta.api import array_ops, math_ops
from torchmeta.dtypes import DType
from torchmeta.framework import common_shapes, tensor_util
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import Tensor
from torchmeta.framework.indexed_slices import IndexedSlices
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape

# ---------------------------------------------------------------------------------------------
# Allowed types, in TF's order (the OpDef test compares them).

_FLOAT = "T: {bfloat16, half, float, double}"
_FLOAT_COMPLEX = "T: {bfloat16, half, float, double, complex64, complex128}"
_SIGNED = "T: {bfloat16, half, float, double, int8, int16, int32, int64, complex64, complex128}"
_ARITH = (
    "T: {bfloat16, half, float, double, uint8, int8, uint16, int16, int32, uint32, uint64, int64, complex64, "
    "complex128}"
)
_MINMAX = "T: {bfloat16, half, float, double, int8, uint8, int16, uint16, int32, uint32, int64, uint64}"
_COMPARE = "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}"
_NUMBER = (
    "T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, "
    "quint16, uint16, complex128, half, uint32, uint64}"
)

_SIGNED_INTS = frozenset({torch.int8, torch.int16, torch.int32, torch.int64})
# PyTorch's own fused backward kernels (what autograd runs for sigmoid and tanh).
_SIGMOID_BACKWARD = torch.ops.aten.sigmoid_backward.default
_TANH_BACKWARD = torch.ops.aten.tanh_backward.default
# DType -> torch dtype in one dict lookup (dtype attrs reach kernels as DType members).
TORCH_DTYPES = {d: d.torch for d in DType if not d.is_ref_dtype}


def _dims(t) -> str:
    """A runtime shape as TF prints it: ``[4,3]``."""
    return "[" + ",".join(str(d) for d in t.shape) + "]"


def _incompatible_shapes(x, y) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, f"Incompatible shapes: {_dims(x)} vs. {_dims(y)}")


def _broadcasting(kernel):
    """Re-raises torch's broadcasting failure with TF's wording; costs nothing unless it fails."""

    @functools.wraps(kernel)
    def wrapper(x, y, **attrs):
        try:
            return kernel(x, y, **attrs)
        except RuntimeError as e:
            if "must match the size" in str(e):
                raise _incompatible_shapes(x, y) from None
            raise

    return wrapper


def _is_inexact(x) -> bool:
    return x.is_floating_point() or x.is_complex()


# ---------------------------------------------------------------------------------------------
# Shape functions


def _broadcast_dims(x: TensorShape, y: TensorShape, op, incompatible_shape_error: bool = True):
    """TF's BroadcastBinaryOpOutputShapeFnHelper, including ``incompatible_shape_error=false``."""
    if x.rank is None or y.rank is None:
        return unknown_shape()
    dx, dy = x.as_tuple(), y.as_tuple()
    n = max(len(dx), len(dy))
    dx = (1,) * (n - len(dx)) + dx
    dy = (1,) * (n - len(dy)) + dy
    out = []
    for a, b in zip(dx, dy):
        if a is None or b is None:
            if (a or 0) > 1 or (b or 0) > 1:
                if not incompatible_shape_error:
                    return unknown_shape()
                out.append(a if b is None else b)
            elif a == 1:
                out.append(b)
            elif b == 1:
                out.append(a)
            elif a is None and b is None:
                out.append(None)
            else:
                if not incompatible_shape_error:
                    return unknown_shape()
                out.append(None)
        elif a == 1 or b == 1:
            out.append(b if a == 1 else a)
        elif a == b:
            out.append(a)
        else:
            if not incompatible_shape_error:
                return TensorShape([])
            raise ValueError(
                f"Dimensions must be equal, but are {a} and {b} for '{op.name}' (op: '{op.type}') with input "
                f"shapes: {common_shapes._fmt(x)}, {common_shapes._fmt(y)}."
            )
    return TensorShape(out)


def _broadcast_shape(op):
    return [_broadcast_dims(op.inputs[0].shape, op.inputs[1].shape, op)]


def _equality_shape(op):
    x, y = op.inputs
    if x is y:  # the same handle: TF keeps the shape even without incompatible_shape_error
        return [x.shape]
    return [_broadcast_dims(x.shape, y.shape, op, op.get_attr("incompatible_shape_error"))]


def _add_n_shape(op):
    out = unknown_shape()
    for i, t in enumerate(op.inputs):
        try:
            out = out.merge_with(t.shape)
        except ValueError:
            raise ValueError(
                f"Shapes must be equal for '{op.name}' (op: 'AddN'): input {i} has shape {common_shapes._fmt(t.shape)}, "
                f"the inputs before it {common_shapes._fmt(out)}. From merging shape 0 with other shapes."
            ) from None
    return [out]


# ---------------------------------------------------------------------------------------------
# Gradient helpers (TF's math_grad.py). Gradients are built with the API functions (tf.shape,
# tf.reduce_sum, the Tensor operators, ...) so node names and structure are TF's; the API modules
# are imported on first use because they import the registrations made here.


def _conj(x):
    return math_ops.conj(x)


def _after(grad):
    """``control_dependencies([grad])`` for a Tensor or an IndexedSlices gradient (its values' op, as TF)."""
    return graph_lib.control_dependencies([grad.op])


def _shapes_fully_specified_and_equal(x, y, grad) -> bool:
    """TF's shortcut: equal, fully known static shapes need no broadcasting reduction."""
    xs, ys, gs = x.shape.as_tuple(), y.shape.as_tuple(), grad.shape.as_tuple()
    return xs == ys and xs == gs and xs is not None and None not in xs


def _infer_gradient_reduction_axes(x_shape: TensorShape, y_shape: TensorShape):
    """The axes each input was broadcast along, from static shapes; (None, None) when that depends
    on dims unknown until run time."""
    if x_shape.rank is None or y_shape.rank is None:
        return None, None
    xs, ys = x_shape.as_tuple(), y_shape.as_tuple()
    b_rank = max(len(xs), len(ys))
    x_axes, y_axes = [], []
    for axis in range(b_rank):
        x_dim = 1 if axis < b_rank - len(xs) else xs[axis - (b_rank - len(xs))]
        y_dim = 1 if axis < b_rank - len(ys) else ys[axis - (b_rank - len(ys))]
        if x_dim == 1 and y_dim != 1:
            x_axes.append(axis)
        elif y_dim == 1 and x_dim != 1:
            y_axes.append(axis)
        elif x_dim is None or y_dim is None:
            return None, None
    return x_axes, y_axes


def smart_broadcast_gradient_args(x, y):
    """TF's SmartBroadcastGradientArgs: per input (shape tensor, reduction axes, must reduce).

    The axes come from static shapes when they decide broadcasting; otherwise from a
    ``BroadcastGradientArgs`` node at run time.
    """
    x_shape = array_ops.shape(x)
    y_shape = array_ops.shape(y)
    x_axes, y_axes = _infer_gradient_reduction_axes(x.shape, y.shape)
    if x_axes is None or y_axes is None:
        x_axes, y_axes = raw_op("BroadcastGradientArgs", s0=x_shape, s1=y_shape)
        x_must_reduce = y_must_reduce = True
    else:
        x_must_reduce = bool(x_axes) or x.shape.rank < y.shape.rank
        y_must_reduce = bool(y_axes) or y.shape.rank < x.shape.rank
    return (x_shape, x_axes, x_must_reduce), (y_shape, y_axes, y_must_reduce)


def _reduce_gradient_arg(grad, shape_axes_must_reduce):
    shape, axes, must_reduce = shape_axes_must_reduce
    if grad is not None and must_reduce:
        grad = math_ops.reduce_sum(grad, axes, keepdims=True)
        grad = array_ops.reshape(grad, shape)
    return grad


def reduce_gradient_args(x, y, gx, gy):
    """Sums the gradients of a broadcasting binary op's inputs back to the inputs' shapes."""
    if gx is not None or gy is not None:
        bx, by = smart_broadcast_gradient_args(x, y)
        gx = _reduce_gradient_arg(gx, bx)
        gy = _reduce_gradient_arg(gy, by)
    return gx, gy


# ---------------------------------------------------------------------------------------------
# Addition, subtraction, multiplication


@register_op(
    "Add",
    inputs=["x: T", "y: T"],
    outputs=["z: T"],
    attrs=["T: {bfloat16, half, float, double, uint8, int8, int16, int32, int64, complex64, complex128, string}"],
    shape=_broadcast_shape,
)
@_broadcasting
def add(x, y):
    """Add also concatenates strings (numpy object arrays of bytes), with broadcasting."""
    if isinstance(x, np.ndarray):
        return np.asarray(np.add(x, y), dtype=object)
    return torch.add(x, y)


@register_op(
    "AddV2",
    inputs=["x: T", "y: T"],
    outputs=["z: T"],
    attrs=[
        "T: {bfloat16, half, float, double, uint8, uint16, uint32, uint64, int8, int16, int32, int64, complex64, "
        "complex128}"
    ],
    shape=_broadcast_shape,
    commutative=True,
    aggregate=True,
)
@_broadcasting
def add_v2(x, y):
    return torch.add(x, y)


@register_gradient("Add")
@register_gradient("AddV2")
def _add_grad(op, grad):
    x, y = op.inputs
    if isinstance(grad, Tensor) and _shapes_fully_specified_and_equal(x, y, grad):
        return grad, grad
    return reduce_gradient_args(x, y, grad, grad)


@register_op(
    "AddN",
    inputs=["inputs: N * T"],
    outputs=["sum: T"],
    attrs=[
        "N: int >= 1",
        "T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, "
        "quint16, uint16, complex128, half, uint32, uint64, variant}",
    ],
    shape=_add_n_shape,
    commutative=True,
    aggregate=True,
    aliases_input=True,
)
def add_n(inputs):
    """Sums left to right, like TF's CPU kernel (so float results round the same way); variants (TensorLists,
    Optionals) add as TF's registered variant additions do."""
    out = inputs[0]
    if not isinstance(out, torch.Tensor):
        for t in inputs[1:]:
            out = out + t
        return out
    for t in inputs[1:]:
        out = torch.add(out, t)
    return out


@register_gradient("AddN")
def _add_n_grad(op, grad):
    """Every input gets the gradient (AddN does not broadcast)."""
    return [grad] * len(op.inputs)


@register_op(
    "Sub",
    inputs=["x: T", "y: T"],
    outputs=["z: T"],
    attrs=[
        "T: {bfloat16, half, float, double, uint8, int8, uint16, int16, int32, int64, complex64, complex128, "
        "uint32, uint64}"
    ],
    shape=_broadcast_shape,
)
@_broadcasting
def sub(x, y):
    return torch.sub(x, y)


@register_gradient("Sub")
def _sub_grad(op, grad):
    x, y = op.inputs
    if isinstance(grad, Tensor) and _shapes_fully_specified_and_equal(x, y, grad):
        return grad, -grad
    return reduce_gradient_args(x, y, grad, -grad)


@register_op(
    "Mul",
    inputs=["x: T", "y: T"],
    outputs=["z: T"],
    attrs=[_ARITH],
    shape=_broadcast_shape,
    commutative=True,
)
@_broadcasting
def mul(x, y):
    return torch.mul(x, y)


@register_gradient("Mul")
def _mul_grad(op, grad):
    x, y = op.inputs
    if (
        isinstance(grad, Tensor)
        and _shapes_fully_specified_and_equal(x, y, grad)
        and grad.dtype.base_dtype in (DType.int32, DType.float32)
    ):
        return raw_op("Mul", x=grad, y=y), raw_op("Mul", x=grad, y=x)
    gx = raw_op("Mul", x=grad, y=_conj(y))
    gy = raw_op("Mul", x=_conj(x), y=grad)
    return reduce_gradient_args(x, y, gx, gy)


@register_op(
    "MulNoNan",
    inputs=["x: T", "y: T"],
    outputs=["z: T"],
    attrs=["T: {bfloat16, half, float, double, complex64, complex128}"],
    shape=_broadcast_shape,
)
@_broadcasting
def mul_no_nan(x, y):
    """x * y, but 0 wherever y is 0 (even if x is NaN or infinite)."""
    return torch.where(y == 0, 0.0, torch.mul(x, y))


@register_gradient("MulNoNan")
def _mul_no_nan_grad(op, grad):
    x, y = op.inputs
    if isinstance(grad, Tensor) and _shapes_fully_specified_and_equal(x, y, grad):
        return raw_op("MulNoNan", x=grad, y=y), raw_op("MulNoNan", x=x, y=grad)
    gx = raw_op("MulNoNan", x=grad, y=y)
    gy = raw_op("MulNoNan", x=x, y=grad)
    return reduce_gradient_args(x, y, gx, gy)


@register_op(
    "SquaredDifference",
    inputs=["x: T", "y: T"],
    outputs=["z: T"],
    attrs=["T: {bfloat16, half, float, double, int32, int64, complex64, complex128}"],
    shape=_broadcast_shape,
    commutative=True,
)
@_broadcasting
def squared_difference(x, y):
    d = torch.sub(x, y)
    return torch.mul(d, d.conj()) if d.is_complex() else torch.mul(d, d)


@register_gradient("SquaredDifference")
def _squared_difference_grad(op, grad):
    """2 * grad * (x - y), and its negation for y."""
    x, y = op.inputs
    with _after(grad):
        x_grad = math_ops.scalar_mul(2.0, grad) * (x - y)
    if isinstance(grad, Tensor) and _shapes_fully_specified_and_equal(x, y, grad):
        return x_grad, -x_grad
    return reduce_gradient_args(x, y, x_grad, -x_grad)


# ---------------------------------------------------------------------------------------------
# Division. Integer division by zero raises on CPU, as in TF; torch's CPU kernels raise
# "ZeroDivisionError" (a RuntimeError), which the kernels translate without checking up front.


def _zero_division(e: RuntimeError, internal: bool = False):
    if "ZeroDivisionError" not in str(e):
        return e
    if internal:  # TruncateDiv / TruncateMod report it as TF's generic binary-op failure
        return errors.InternalError(
            None, None, "Unexpected error in binary operator (only integer div and mod should have errors)"
        )
    return errors.InvalidArgumentError(None, None, "Integer division by zero")


def _truncate_div_int(x, y):
    # torch's trunc-mode integer division traps (SIGFPE) on INT_MIN / -1; x - fmod(x, y) is an exact
    # multiple of y, so floor division of it truncates, and floor mode handles INT_MIN / -1.
    if x.dtype in _SIGNED_INTS:
        return torch.div(torch.sub(x, torch.fmod(x, y)), y, rounding_mode="floor")
    return torch.div(x, y, rounding_mode="trunc")


@register_op("RealDiv", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_ARITH], shape=_broadcast_shape)
@_broadcasting
def real_div(x, y):
    if _is_inexact(x):
        return torch.div(x, y)
    try:
        return _truncate_div_int(x, y)
    except RuntimeError as e:
        raise _zero_division(e) from None


@register_gradient("RealDiv")
def _real_div_grad(op, grad):
    x, y = op.inputs
    cx, cy = _conj(x), _conj(y)
    gx = math_ops.realdiv(grad, cy)
    gy = grad * math_ops.realdiv(math_ops.realdiv(-cx, cy), cy)
    return reduce_gradient_args(x, y, gx, gy)


# Div computes what RealDiv does on every type (integers truncate toward zero, C semantics); TF1's
# ``tf.div`` emits FloorDiv for ints instead. One kernel serves both.
div = register_op("Div", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_ARITH], shape=_broadcast_shape)(real_div)


@register_gradient("Div")
def _div_grad(op, grad):
    x, y = op.inputs
    cx, cy = _conj(x), _conj(y)
    gx = math_ops.divide(grad, cy)
    gy = grad * math_ops.divide(math_ops.divide(-cx, cy), cy)
    return reduce_gradient_args(x, y, gx, gy)


@register_op(
    "DivNoNan",
    inputs=["x: T", "y: T"],
    outputs=["z: T"],
    attrs=["T: {half, float, bfloat16, double, complex64, complex128}"],
    shape=_broadcast_shape,
)
@_broadcasting
def div_no_nan(x, y):
    """x / y, but 0 wherever y is 0; the divisor is made safe first so gradients stay finite."""
    zero = y == 0
    return torch.where(zero, 0.0, torch.div(x, torch.where(zero, 1.0, y)))


@register_gradient("DivNoNan")
def _div_no_nan_grad(op, grad):
    x, y = _conj(op.inputs[0]), _conj(op.inputs[1])
    gx = math_ops.div_no_nan(grad, y)
    gy = grad * math_ops.div_no_nan(math_ops.div_no_nan(-x, y), y)
    return reduce_gradient_args(x, y, gx, gy)


@register_op("FloorDiv", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_ARITH], shape=_broadcast_shape)
@_broadcasting
def floor_div(x, y):
    """floor(x / y) for floats (so inf / 2 is inf, as in TF; torch's floor mode gives NaN)."""
    if _is_inexact(x):
        return torch.floor(torch.div(x, y))
    try:
        return torch.div(x, y, rounding_mode="floor")
    except RuntimeError as e:
        raise _zero_division(e) from None


@register_gradient("FloorDiv")
def _floor_div_grad(op, grad):
    """Piecewise constant: TF returns no gradient."""
    return None, None


@register_op(
    "FloorMod",
    inputs=["x: T", "y: T"],
    outputs=["z: T"],
    attrs=["T: {int8, int16, int32, int64, uint8, uint16, uint32, uint64, bfloat16, half, float, double}"],
    shape=_broadcast_shape,
)
@_broadcasting
def floor_mod(x, y):
    """The result has the sign of the divisor. Floats use TF's formula (fmod, then + y when signs differ)."""
    if x.is_floating_point():
        r = torch.fmod(x, y)
        return torch.where((r != 0) & ((y < 0) != (r < 0)), r + y, r)
    try:
        return torch.remainder(x, y)
    except RuntimeError as e:
        raise _zero_division(e) from None


@register_gradient("FloorMod")
def _floor_mod_grad(op, grad):
    """grad for x, -floor(x / y) * grad for y."""
    x, y = _conj(op.inputs[0]), _conj(op.inputs[1])
    floor_xy = math_ops.floor_div(x, y)
    gy = grad * math_ops.negative(floor_xy)
    return reduce_gradient_args(x, y, grad, gy)


@register_op("TruncateDiv", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_ARITH], shape=_broadcast_shape)
@_broadcasting
def truncate_div(x, y):
    if _is_inexact(x):
        return torch.trunc(torch.div(x, y))
    try:
        return _truncate_div_int(x, y)
    except RuntimeError as e:
        raise _zero_division(e, internal=True) from None


@register_gradient("TruncateDiv")
def _truncate_div_grad(op, grad):
    return None, None


@register_op(
    "TruncateMod",
    inputs=["x: T", "y: T"],
    outputs=["z: T"],
    attrs=["T: {int32, int64, bfloat16, half, float, double}"],
    shape=_broadcast_shape,
)
@_broadcasting
def truncate_mod(x, y):
    """C's fmod: the result has the sign of the dividend."""
    try:
        return torch.fmod(x, y)
    except RuntimeError as e:
        raise _zero_division(e, internal=True) from None


# TF registers no gradient for TruncateMod: tf.gradients through it raises LookupError.
no_registered_gradient("TruncateMod")


@register_op(
    "Pow",
    inputs=["x: T", "y: T"],
    outputs=["z: T"],
    attrs=["T: {bfloat16, float, half, double, int8, int16, int32, int64, complex64, complex128}"],
    shape=_broadcast_shape,
)
@_broadcasting
def pow_kernel(x, y):
    """Integer powers wrap on overflow like TF; negative integer exponents are an error, as in TF."""
    if not _is_inexact(x) and bool((y < 0).any()):
        raise errors.InvalidArgumentError(None, None, "Integers to negative integer powers are not allowed")
    return torch.pow(x, y)


@register_gradient("Pow")
def _pow_grad(op, grad):
    """grad * y * x^(y - 1) for x; grad * z * log(x) for y, 0 where x <= 0 (x == 0 for complex)."""
    x, y = op.inputs
    cx, cy = _conj(x), _conj(y)
    gx = grad * cy * math_ops.pow(cx, cy - 1)
    mask = math_ops.not_equal(cx, 0) if x.dtype.is_complex else cx > 0
    safe_x = array_ops.where(mask, cx, array_ops.ones_like(x))
    log_x = array_ops.where(mask, math_ops.log(safe_x), array_ops.zeros_like(x))
    gy = grad * _conj(op.outputs[0]) * log_x
    return reduce_gradient_args(x, y, gx, gy)


@register_op("Maximum", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_MINMAX], shape=_broadcast_shape)
@_broadcasting
def maximum(x, y):
    """NaN in either input gives NaN, as in TF."""
    return torch.maximum(x, y)


def _maximum_minimum_grad(op, grad, selector):
    """The gradient goes to x where ``selector(x, y)`` holds (ties go to x), else to y."""
    x, y = op.inputs
    zeros = array_ops.zeros_like(grad)
    xmask = selector(x, y)
    gx = array_ops.where_v2(xmask, grad, zeros)
    gy = array_ops.where_v2(xmask, zeros, grad)
    return reduce_gradient_args(x, y, gx, gy)


@register_gradient("Maximum")
def _maximum_grad(op, grad):
    return _maximum_minimum_grad(op, grad, math_ops.greater_equal)


@register_op("Minimum", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_MINMAX], shape=_broadcast_shape)
@_broadcasting
def minimum(x, y):
    return torch.minimum(x, y)


@register_gradient("Minimum")
def _minimum_grad(op, grad):
    return _maximum_minimum_grad(op, grad, math_ops.less_equal)


@register_op("Atan2", inputs=["y: T", "x: T"], outputs=["z: T"], attrs=[_FLOAT], shape=_broadcast_shape)
@_broadcasting
def atan2(y, x):
    return torch.atan2(y, x)


@register_gradient("Atan2")
def _atan2_grad(op, grad):
    """grad * x / (x^2 + y^2) for y, grad * -y / (x^2 + y^2) for x."""
    y, x = op.inputs
    with _after(grad):
        grad_inv = grad / (math_ops.square(y) + math_ops.square(x))
        gy = x * grad_inv
        gx = -y * grad_inv
        return reduce_gradient_args(y, x, gy, gx)


# ---------------------------------------------------------------------------------------------
# Unary functions


def _unary(name, types):
    return register_op(name, inputs=["x: T"], outputs=["y: T"], attrs=[types], shape=common_shapes.unchanged)


@_unary("Neg", _SIGNED)
def neg(x):
    return torch.neg(x)


@register_gradient("Neg")
def _neg_grad(op, grad):
    return -grad


@_unary(
    "Square",
    "T: {bfloat16, half, float, double, int8, int16, int32, int64, uint8, uint16, uint32, uint64, complex64, "
    "complex128}",
)
def square(x):
    return torch.mul(x, x)


@register_gradient("Square")
def _square_grad(op, grad):
    """grad * 2x (the control dependency keeps 2x from being computed before it is needed)."""
    x = op.inputs[0]
    with _after(grad):
        x = _conj(x)
        y = constant(2.0, dtype=x.dtype)
        return math_ops.multiply(grad, math_ops.multiply(x, y))


@_unary("Sqrt", _FLOAT_COMPLEX)
def sqrt(x):
    return torch.sqrt(x)


@register_gradient("Sqrt")
def _sqrt_grad(op, grad):
    return raw_op("SqrtGrad", y=op.outputs[0], dy=grad)


@_unary("Rsqrt", _FLOAT_COMPLEX)
def rsqrt(x):
    return torch.rsqrt(x)


@register_gradient("Rsqrt")
def _rsqrt_grad(op, grad):
    return raw_op("RsqrtGrad", y=op.outputs[0], dy=grad)


@_unary("Exp", _FLOAT_COMPLEX)
def exp(x):
    return torch.exp(x)


@register_gradient("Exp")
def _exp_grad(op, grad):
    y = op.outputs[0]
    with _after(grad):
        y = _conj(y)
        return grad * y


@_unary("Expm1", _FLOAT_COMPLEX)
def expm1(x):
    return torch.expm1(x)


@register_gradient("Expm1")
def _expm1_grad(op, grad):
    x = op.inputs[0]
    with _after(grad):
        x = _conj(x)
        return grad * math_ops.exp(x)


@_unary("Log", _FLOAT_COMPLEX)
def log(x):
    return torch.log(x)


@register_gradient("Log")
def _log_grad(op, grad):
    x = op.inputs[0]
    with _after(grad):
        x = _conj(x)
        return grad * math_ops.reciprocal(x)


@_unary("Log1p", _FLOAT_COMPLEX)
def log1p(x):
    return torch.log1p(x)


@register_gradient("Log1p")
def _log1p_grad(op, grad):
    x = op.inputs[0]
    with _after(grad):
        x = _conj(x)
        return grad * math_ops.reciprocal(1 + x)


@_unary("Abs", "T: {bfloat16, half, float, double, int8, int16, int32, int64}")
def abs_kernel(x):
    return torch.abs(x)


@register_gradient("Abs")
def _abs_grad(op, grad):
    return grad * math_ops.sign(op.inputs[0])


@_unary("Sign", _SIGNED)
def sign(x):
    """sign(NaN) is NaN in TF (torch gives 0); complex x gives x / |x|."""
    if x.is_floating_point():
        return torch.where(torch.isnan(x), x, torch.sign(x))
    return torch.sgn(x)


@register_gradient("Sign")
def _sign_grad(op, grad):
    """Zero almost everywhere: zeros, not None, as in TF."""
    return array_ops.zeros_like(op.inputs[0])


@_unary("Reciprocal", _SIGNED)
def reciprocal(x):
    """1 / x; integer inputs divide with truncation, keeping their dtype."""
    if _is_inexact(x):
        return torch.reciprocal(x)
    try:
        return _truncate_div_int(torch.ones_like(x), x)
    except RuntimeError as e:
        raise _zero_division(e) from None


_unary("Inv", _SIGNED)(reciprocal)


@register_gradient("Reciprocal")
def _reciprocal_grad(op, grad):
    return raw_op("ReciprocalGrad", y=op.outputs[0], dy=grad)


@register_gradient("Inv")
def _inv_grad(op, grad):
    return raw_op("ReciprocalGrad", y=op.outputs[0], dy=grad)


@_unary("Floor", _FLOAT)
def floor(x):
    return torch.floor(x)


@register_gradient("Floor")
def _floor_grad(op, grad):
    return [None]


@_unary("Ceil", _FLOAT)
def ceil(x):
    return torch.ceil(x)


@register_gradient("Ceil")
def _ceil_grad(op, grad):
    return [None]


@_unary("Round", _SIGNED)
def round_kernel(x):
    """Rounds half to even; integers are unchanged (TF 2.21's CPU kernel returns 0 for them, a bug)."""
    if x.is_floating_point():
        return torch.round(x)
    if x.is_complex():
        return torch.complex(torch.round(x.real), torch.round(x.imag))
    return x


@register_gradient("Round")
def _round_grad(op, grad):
    return [None]


@_unary("Rint", _FLOAT)
def rint(x):
    return torch.round(x)


@register_gradient("Rint")
def _rint_grad(op, grad):
    return [None]


@_unary("Sin", _FLOAT_COMPLEX)
def sin(x):
    return torch.sin(x)


@register_gradient("Sin")
def _sin_grad(op, grad):
    x = op.inputs[0]
    with _after(grad):
        x = _conj(x)
        return grad * math_ops.cos(x)


@_unary("Cos", _FLOAT_COMPLEX)
def cos(x):
    return torch.cos(x)


@register_gradient("Cos")
def _cos_grad(op, grad):
    x = op.inputs[0]
    with _after(grad):
        x = _conj(x)
        return -grad * math_ops.sin(x)


@_unary("Tan", _FLOAT_COMPLEX)
def tan(x):
    return torch.tan(x)


@register_gradient("Tan")
def _tan_grad(op, grad):
    """grad / cos(x)^2."""
    x = op.inputs[0]
    with _after(grad):
        x = _conj(x)
        secx = math_ops.reciprocal(math_ops.cos(x))
        secx2 = math_ops.square(secx)
        return secx2 * grad


@_unary("Asin", _FLOAT_COMPLEX)
def asin(x):
    return torch.asin(x)


def _one_minus_square_root_reciprocal(x, grad):
    """1 / sqrt(1 - x^2), built as TF's Asin/Acos gradients build it."""
    x2 = math_ops.square(x)
    one = constant(1, dtype=grad.dtype)
    den = math_ops.sqrt(math_ops.subtract(one, x2))
    return math_ops.reciprocal(den)


@register_gradient("Asin")
def _asin_grad(op, grad):
    x = op.inputs[0]
    with _after(grad):
        x = _conj(x)
        return grad * _one_minus_square_root_reciprocal(x, grad)


@_unary("Acos", _FLOAT_COMPLEX)
def acos(x):
    return torch.acos(x)


@register_gradient("Acos")
def _acos_grad(op, grad):
    x = op.inputs[0]
    with _after(grad):
        x = _conj(x)
        inv = _one_minus_square_root_reciprocal(x, grad)
        return -grad * inv


@_unary("Atan", _FLOAT_COMPLEX)
def atan(x):
    return torch.atan(x)


@register_gradient("Atan")
def _atan_grad(op, grad):
    """grad / (1 + x^2)."""
    x = op.inputs[0]
    with _after(grad):
        x = _conj(x)
        x2 = math_ops.square(x)
        one = constant(1, dtype=grad.dtype)
        inv = math_ops.reciprocal(math_ops.add(one, x2))
        return grad * inv


@_unary("Sinh", _FLOAT_COMPLEX)
def sinh(x):
    return torch.sinh(x)


@register_gradient("Sinh")
def _sinh_grad(op, grad):
    x = op.inputs[0]
    with _after(grad):
        x = _conj(x)
        return grad * math_ops.cosh(x)


@_unary("Cosh", _FLOAT_COMPLEX)
def cosh(x):
    return torch.cosh(x)


@register_gradient("Cosh")
def _cosh_grad(op, grad):
    x = op.inputs[0]
    with _after(grad):
        x = _conj(x)
        return grad * math_ops.sinh(x)


@_unary("Tanh", _FLOAT_COMPLEX)
def tanh(x):
    return torch.tanh(x)


@register_gradient("Tanh")
def _tanh_grad(op, grad):
    y = op.outputs[0]
    with _after(grad):
        y = _conj(y)
        return raw_op("TanhGrad", y=y, dy=grad)


@_unary("Sigmoid", _FLOAT_COMPLEX)
def sigmoid(x):
    return torch.sigmoid(x)


@register_gradient("Sigmoid")
def _sigmoid_grad(op, grad):
    y = op.outputs[0]
    with _after(grad):
        y = _conj(y)
        return raw_op("SigmoidGrad", y=y, dy=grad)


@_unary("Erf", _FLOAT)
def erf(x):
    return torch.erf(x)


@register_gradient("Erf")
def _erf_grad(op, grad):
    """grad * 2 / sqrt(pi) * exp(-x^2)."""
    x = op.inputs[0]
    two_over_root_pi = constant(2 / np.sqrt(np.pi), dtype=grad.dtype)
    with _after(grad):
        x = _conj(x)
        return grad * two_over_root_pi * math_ops.exp(-math_ops.square(x))


@_unary("Erfc", _FLOAT)
def erfc(x):
    return torch.erfc(x)


@register_gradient("Erfc")
def _erfc_grad(op, grad):
    """-grad * 2 / sqrt(pi) * exp(-x^2)."""
    x = op.inputs[0]
    minus_two_over_root_pi = constant(-2 / np.sqrt(np.pi), dtype=grad.dtype)
    with _after(grad):
        x = _conj(x)
        return grad * minus_two_over_root_pi * math_ops.exp(-math_ops.square(x))


@_unary("Lgamma", _FLOAT)
def lgamma(x):
    return torch.lgamma(x)


@register_gradient("Lgamma")
def _lgamma_grad(op, grad):
    x = op.inputs[0]
    with _after(grad):
        x = _conj(x)
        return grad * math_ops.digamma(x)


@_unary("Digamma", _FLOAT)
def digamma(x):
    """digamma(±0) is NaN in TF (a pole; torch gives ∓inf)."""
    return torch.where(x == 0, float("nan"), torch.digamma(x))


@register_gradient("Digamma")
def _digamma_grad(op, grad):
    """grad * polygamma(1, x)."""
    x = op.inputs[0]
    with _after(grad):
        x = _conj(x)
        partial_x = raw_op("Polygamma", a=constant(1, dtype=x.dtype), x=x)
        return grad * partial_x


def _predicate(name):
    return register_op(name, inputs=["x: T"], outputs=["y: bool"], attrs=[_FLOAT], shape=common_shapes.unchanged)


@_predicate("IsNan")
def is_nan(x):
    return torch.isnan(x)


@_predicate("IsInf")
def is_inf(x):
    return torch.isinf(x)


@_predicate("IsFinite")
def is_finite(x):
    return torch.isfinite(x)


# TF registers no gradient for these; their bool outputs never carry one.
no_registered_gradient("IsNan", "IsInf", "IsFinite")


# ---------------------------------------------------------------------------------------------
# The gradient ops TF's unary gradients emit, ``f(y, dy)`` with y the forward output, and their own
# (second-order) gradients. Where TF's kernel skips ``dy == 0`` the result is 0 even for an
# infinite or NaN ``y``.


def _unary_grad_op(name):
    """TF's shape function keeps y's shape; the kernel only needs as many elements in dy."""
    return register_op(
        name, inputs=["y: T", "dy: T"], outputs=["z: T"], attrs=[_FLOAT_COMPLEX], shape=common_shapes.unchanged
    )


def _same_elements(y, dy):
    """``dy`` with ``y``'s shape; TF's element-wise gradient kernels only compare element counts."""
    if y.shape == dy.shape:
        return dy
    if y.numel() != dy.numel():
        raise errors.InvalidArgumentError(
            None,
            None,
            f"The two arguments to a cwise op must have same number of elements, got {y.numel()} and {dy.numel()}",
        )
    return dy.reshape(y.shape)


def _where_dy_zero(dy, value):
    return torch.where(dy == 0, torch.zeros((), dtype=dy.dtype, device=dy.device), value)


@_unary_grad_op("SqrtGrad")
def sqrt_grad(y, dy):
    """``0.5 * dy / conj(y)``: the gradient of ``y = sqrt(x)``."""
    dy = _same_elements(y, dy)
    return _where_dy_zero(dy, torch.div(torch.mul(dy, 0.5), y.conj()))


@register_gradient("SqrtGrad")
def _sqrt_grad_grad(op, grad):
    a = op.inputs[0]
    y = op.outputs[0]  # 0.5 * b / conj(a)
    with _after(grad):
        ga = grad / a
        return -_conj(ga) * y, 0.5 * ga


@_unary_grad_op("RsqrtGrad")
def rsqrt_grad(y, dy):
    """``-0.5 * dy * conj(y)^3``: the gradient of ``y = 1 / sqrt(x)``."""
    dy = _same_elements(y, dy)
    cy = y.conj()
    return _where_dy_zero(dy, torch.mul(torch.mul(torch.mul(dy, cy), -0.5), torch.mul(cy, cy)))


@register_gradient("RsqrtGrad")
def _rsqrt_grad_grad(op, grad):
    """For f(a, b) = -0.5 * b * conj(a)^3."""
    a, b = op.inputs
    with _after(grad):
        ca = _conj(a)
        cg = _conj(grad)
        grad_a = -1.5 * cg * b * math_ops.square(ca)
        grad_b = raw_op("RsqrtGrad", y=ca, dy=grad)
        return grad_a, grad_b


def _reciprocal_grad_kernel(y, dy):
    """``-dy * conj(y)^2``: the gradient of ``y = 1 / x``."""
    dy = _same_elements(y, dy)
    cy = y.conj()
    return _where_dy_zero(dy, torch.mul(torch.mul(torch.neg(cy), cy), dy))


def reciprocal_grad(y, dy):
    return _reciprocal_grad_kernel(y, dy)


def inv_grad(y, dy):
    return _reciprocal_grad_kernel(y, dy)


_unary_grad_op("ReciprocalGrad")(reciprocal_grad)
_unary_grad_op("InvGrad")(inv_grad)


@register_gradient("ReciprocalGrad")
@register_gradient("InvGrad")
def _reciprocal_grad_grad(op, grad):
    """For f(a, b) = -b * conj(a)^2."""
    b = op.inputs[1]
    with _after(grad):
        ca = _conj(op.inputs[0])
        cg = _conj(grad)
        return cg * -2.0 * b * ca, raw_op("ReciprocalGrad", y=ca, dy=grad)


@_unary_grad_op("TanhGrad")
def tanh_grad(y, dy):
    """``dy * (1 - y^2)``: the gradient of ``y = tanh(x)`` (callers pass ``conj(y)`` for complex)."""
    dy = _same_elements(y, dy)
    if y.is_floating_point() and y.shape == dy.shape and y.dtype == dy.dtype:
        return _TANH_BACKWARD(dy, y)  # one fused pass
    return torch.mul(dy, torch.sub(1, torch.mul(y, y)))


@register_gradient("TanhGrad")
def _tanh_grad_grad(op, grad):
    with _after(grad):
        a = _conj(op.inputs[0])
        b = _conj(op.inputs[1])
        return grad * -2.0 * b * a, raw_op("TanhGrad", y=a, dy=grad)


@_unary_grad_op("SigmoidGrad")
def sigmoid_grad(y, dy):
    """``dy * y * (1 - y)``: the gradient of ``y = sigmoid(x)``."""
    dy = _same_elements(y, dy)
    if y.is_floating_point() and y.shape == dy.shape and y.dtype == dy.dtype:
        return _SIGMOID_BACKWARD(dy, y)  # one fused pass
    return torch.mul(torch.mul(dy, y), torch.sub(1, y))


@register_gradient("SigmoidGrad")
def _sigmoid_grad_grad(op, grad):
    with _after(grad):
        a = _conj(op.inputs[0])
        b = _conj(op.inputs[1])
        gb = grad * b
        return gb - 2.0 * gb * a, raw_op("SigmoidGrad", y=a, dy=grad)


# ---------------------------------------------------------------------------------------------
# Polygamma (Digamma's gradient)


def _zeta(s, q):
    """Hurwitz zeta as TF's (Eigen's) kernel: 0 at q = inf; at a pole q = 0, -1, ... it is inf only for
    an even integer s (torch gives inf for every s > 1)."""
    z = torch.special.zeta(s, q)
    above_one = s > 1
    pole = (q <= 0) & (torch.floor(q) == q) & above_one & ~((torch.floor(s) == s) & (torch.fmod(s, 2) == 0))
    z = torch.where(pole, float("nan"), z)
    return torch.where(torch.isposinf(q) & above_one, 0.0, z)


@register_op(
    "Polygamma", inputs=["a: T", "x: T"], outputs=["z: T"], attrs=["T: {float, double}"], shape=_broadcast_shape
)
@_broadcasting
def polygamma(a, x):
    """The ``a``-th derivative of digamma; NaN unless ``a`` is a non-negative integer.

    ``(-1)^(a+1) * a! * zeta(a + 1, x)``, digamma for ``a == 0``. TF has no gradient for ``a``, so
    autograd does not track it either (torch's zeta has no derivative in its first argument).
    """
    n = a.detach()
    n_plus = torch.add(n, 1)
    value = torch.pow(-1.0, n_plus) * torch.exp(torch.lgamma(n_plus)) * _zeta(n_plus, x)
    value = torch.where(n == 0, digamma(x), value)
    return torch.where(torch.floor(n) != n, float("nan"), value)


@register_gradient("Polygamma")
def _polygamma_grad(op, grad):
    """polygamma(a + 1, x) * grad for x; TF gives none for a."""
    n, x = op.inputs
    sn = array_ops.shape(n)
    sx = array_ops.shape(x)
    _, rx = raw_op("BroadcastGradientArgs", s0=sn, s1=sx)
    with _after(grad):
        n = _conj(n)
        x = _conj(x)
        partial_x = raw_op("Polygamma", a=n + 1, x=x)
        return None, array_ops.reshape(math_ops.reduce_sum(partial_x * grad, rx), sx)


# ---------------------------------------------------------------------------------------------
# Cast

# Explicit mantissa bits; Truncate=True zeroes the ones the destination lacks, so the conversion
# truncates instead of rounding to nearest (TF's LSBZeroSetter).
_MANTISSA_BITS = {torch.float64: 52, torch.float32: 23, torch.float16: 10, torch.bfloat16: 7}
_INT_VIEW = {
    torch.float64: torch.int64,
    torch.float32: torch.int32,
    torch.float16: torch.int16,
    torch.bfloat16: torch.int16,
}
_TF_TYPE_NAMES = {DType.float32: "float", DType.float64: "double", DType.float16: "half"}


def _truncate_mantissa(x, dst):
    drop = _MANTISSA_BITS[x.dtype] - _MANTISSA_BITS.get(dst, 64)
    if drop <= 0:
        return x
    bits = x.detach().view(_INT_VIEW[x.dtype])
    truncated = torch.bitwise_and(bits, ~((1 << drop) - 1)).view(x.dtype)
    truncated = torch.where(torch.isnan(x), x.detach(), truncated)
    if x.requires_grad:  # Cast's gradient is the identity: pass it straight through
        return torch.where(torch.isfinite(x), x + (truncated - x).detach(), x)
    return truncated


@register_op(
    "Cast",
    inputs=["x: SrcT"],
    outputs=["y: DstT"],
    attrs=["SrcT: type", "DstT: type", "Truncate: bool = false"],
    shape=common_shapes.unchanged,
    aliases_input=True,
)
def cast(x, SrcT, DstT, Truncate):
    """Float to int truncates toward zero (out-of-range values give what the CPU gives, as in TF);
    complex to real keeps the real part; anything to bool is ``x != 0``."""
    if SrcT is DstT:
        return x
    if SrcT is DType.string or DstT is DType.string:
        raise errors.UnimplementedError(
            None,
            None,
            f"Cast {_TF_TYPE_NAMES.get(SrcT, SrcT.name)} to {_TF_TYPE_NAMES.get(DstT, DstT.name)} is not supported",
        )
    dst = TORCH_DTYPES[DstT]
    if x.is_complex() and not dst.is_complex:
        if dst is torch.bool:
            return x != 0
        x = x.real
    if Truncate and x.is_floating_point() and dst.is_floating_point:
        x = _truncate_mantissa(x, dst)
    return x.to(dst)


@tensor_util.register_constant_value("Cast")
def _cast_value(op, index):
    value = tensor_util.constant_value(op.inputs[0])
    if value is None:
        return None
    return value.astype(op.get_attr("DstT").numpy)


_CAST_GRAD_TYPES = frozenset(
    {DType.float16, DType.float32, DType.float64, DType.bfloat16, DType.complex64, DType.complex128}
)


@register_gradient("Cast")
def _cast_grad(op, grad):
    """The gradient is cast back to the source type, between float/complex types only."""
    src_type = op.inputs[0].dtype.base_dtype
    if src_type not in _CAST_GRAD_TYPES or grad.dtype.base_dtype not in _CAST_GRAD_TYPES:
        return None
    if isinstance(grad, Tensor):
        return math_ops.cast(grad, src_type)
    # tf.cast of IndexedSlices casts the values and keeps the rows sparse.
    with graph_lib.name_scope(None, "Cast", [grad]) as name:
        values = math_ops.cast(grad.values, src_type, name=name)
    return IndexedSlices(values, grad.indices, grad.dense_shape)


# ---------------------------------------------------------------------------------------------
# Comparisons and logic


def _strings_equal(x, y, incompatible_shape_error, negate):
    try:
        eq = np.equal(x, y) if not negate else np.not_equal(x, y)
    except ValueError:
        if incompatible_shape_error:
            raise errors.InvalidArgumentError(
                None, None, f"Incompatible shapes: {_dims(np.asarray(x))} vs. {_dims(np.asarray(y))}"
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
            raise _incompatible_shapes(x, y) from None
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
    return register_op(name, inputs=["x: T", "y: T"], outputs=["z: bool"], attrs=[_COMPARE], shape=_broadcast_shape)


@_comparison("Less")
@_broadcasting
def less(x, y):
    return torch.lt(x, y)


@_comparison("LessEqual")
@_broadcasting
def less_equal(x, y):
    return torch.le(x, y)


@_comparison("Greater")
@_broadcasting
def greater(x, y):
    return torch.gt(x, y)


@_comparison("GreaterEqual")
@_broadcasting
def greater_equal(x, y):
    return torch.ge(x, y)


@register_op("LogicalAnd", inputs=["x: bool", "y: bool"], outputs=["z: bool"], shape=_broadcast_shape, commutative=True)
@_broadcasting
def logical_and(x, y):
    return torch.logical_and(x, y)


@register_op("LogicalOr", inputs=["x: bool", "y: bool"], outputs=["z: bool"], shape=_broadcast_shape, commutative=True)
@_broadcasting
def logical_or(x, y):
    return torch.logical_or(x, y)


@register_op("LogicalNot", inputs=["x: bool"], outputs=["y: bool"], shape=common_shapes.unchanged)
def logical_not(x):
    return torch.logical_not(x)


# Comparisons and logic have no gradient (TF declares them NotDifferentiable).
not_differentiable("Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual")
not_differentiable("LogicalAnd", "LogicalOr", "LogicalNot")


# ---------------------------------------------------------------------------------------------
# ClipByValue


def _clip_shape(op):
    return [op.inputs[0].shape]


@register_op(
    "ClipByValue",
    inputs=["t: T", "clip_value_min: T", "clip_value_max: T"],
    outputs=["output: T"],
    attrs=[_NUMBER],
    shape=_clip_shape,
)
def clip_by_value(t, clip_value_min, clip_value_max):
    """TF's max(min(t, hi), lo): NaN in ``t`` stays, a NaN bound is ignored, lo > hi gives lo."""
    lo, hi = clip_value_min, clip_value_max
    if (lo.dim() and lo.shape != t.shape) or (hi.dim() and hi.shape != t.shape):
        raise errors.InvalidArgumentError(
            None,
            None,
            "clip_value_min and clip_value_max must be either of the same shape as input, or a scalar. input shape: "
            f"{_dims(t)}clip_value_min shape: {_dims(lo)}clip_value_max shape: {_dims(hi)}",
        )
    t = torch.where(hi < t, hi, t)
    return torch.where(t < lo, lo, t)


@register_gradient("ClipByValue")
def _clip_by_value_grad(op, grad):
    """grad where t is inside [min, max]; the rest goes to the bound it was clipped to, summed over
    the bound's broadcast axes (TF's clip_ops gradient)."""
    x, y, z = op.inputs
    sx = array_ops.shape(x)
    sy = array_ops.shape(y)
    sz = array_ops.shape(z)
    gradshape = array_ops.shape(grad)
    zeros = array_ops.zeros(gradshape, grad.dtype)
    xymask = math_ops.less(x, y)
    xzmask = math_ops.greater(x, z)
    _, ry = raw_op("BroadcastGradientArgs", s0=sx, s1=sy)
    _, rz = raw_op("BroadcastGradientArgs", s0=sx, s1=sz)
    xgrad = array_ops.where(math_ops.logical_or(xymask, xzmask), zeros, grad)
    ygrad = array_ops.where(xymask, grad, zeros)
    zgrad = array_ops.where(xzmask, grad, zeros)
    gy = array_ops.reshape(math_ops.reduce_sum(ygrad, ry), sy)
    gz = array_ops.reshape(math_ops.reduce_sum(zgrad, rz), sz)
    return xgrad, gy, gz


# ---------------------------------------------------------------------------------------------
# Matrix products


def _matmul_shape(op):
    a, b = op.inputs[0].shape, op.inputs[1].shape
    for s in (a, b):
        if s.rank is not None and s.rank != 2:
            raise ValueError(
                f"Shape must be rank 2 but is rank {s.rank} for '{op.name}' (op: '{op.type}') with input shapes: "
                f"{common_shapes._fmt(a)}, {common_shapes._fmt(b)}."
            )
    da = a.as_tuple() or (None, None)
    db = b.as_tuple() or (None, None)
    m, k1 = (da[1], da[0]) if op.get_attr("transpose_a") else da
    k2, n = (db[1], db[0]) if op.get_attr("transpose_b") else db
    _check_inner(k1, k2, op, a, b)
    return [TensorShape([m, n])]


def _check_inner(k1, k2, op, a, b):
    if k1 is not None and k2 is not None and k1 != k2:
        raise ValueError(
            f"Dimensions must be equal, but are {k1} and {k2} for '{op.name}' (op: '{op.type}') with input shapes: "
            f"{common_shapes._fmt(a)}, {common_shapes._fmt(b)}."
        )


def _matmul_error(a, b, e):
    if "cannot be multiplied" in str(e) or "size mismatch" in str(e):
        return errors.InvalidArgumentError(
            None, None, f"Matrix size-incompatible: In[0]: {_dims(a)}, In[1]: {_dims(b)}"
        )
    return e


@register_op(
    "MatMul",
    inputs=["a: T", "b: T"],
    outputs=["product: T"],
    attrs=[
        "transpose_a: bool = false",
        "transpose_b: bool = false",
        "T: {bfloat16, half, float, double, int32, int64, uint8, uint16, uint32, uint64, complex64, complex128}",
        "grad_a: bool = false",
        "grad_b: bool = false",
    ],
    shape=_matmul_shape,
)
def mat_mul(a, b, transpose_a, transpose_b):
    x = a.t() if transpose_a else a
    y = b.t() if transpose_b else b
    try:
        return torch.mm(x, y)
    except RuntimeError as e:
        raise _matmul_error(a, b, e) from None


@register_gradient("MatMul")
def _mat_mul_grad(op, grad):
    """MatMuls of the gradient with the conjugated other operand, one per transpose combination."""
    t_a = op.get_attr("transpose_a")
    t_b = op.get_attr("transpose_b")
    a = _conj(op.inputs[0])
    b = _conj(op.inputs[1])
    if not t_a and not t_b:
        grad_a = raw_op("MatMul", a=grad, b=b, transpose_b=True, grad_a=True)
        grad_b = raw_op("MatMul", a=a, b=grad, transpose_a=True, grad_b=True)
    elif not t_a and t_b:
        grad_a = raw_op("MatMul", a=grad, b=b, grad_a=True)
        grad_b = raw_op("MatMul", a=grad, b=a, transpose_a=True, grad_b=True)
    elif t_a and not t_b:
        grad_a = raw_op("MatMul", a=b, b=grad, transpose_b=True, grad_a=True)
        grad_b = raw_op("MatMul", a=a, b=grad, grad_b=True)
    else:
        grad_a = raw_op("MatMul", a=b, b=grad, transpose_a=True, transpose_b=True, grad_a=True)
        grad_b = raw_op("MatMul", a=grad, b=a, transpose_a=True, transpose_b=True, grad_b=True)
    return grad_a, grad_b


def _batch_matmul_shape(op, broadcast: bool):
    x, y = op.inputs[0].shape, op.inputs[1].shape
    for s in (x, y):
        if s.rank is not None and s.rank < 2:
            raise ValueError(
                f"Shape must be at least rank 2 but is rank {s.rank} for '{op.name}' (op: '{op.type}') with input "
                f"shapes: {common_shapes._fmt(x)}, {common_shapes._fmt(y)}."
            )
    if broadcast and (x.rank is None or y.rank is None):
        return [unknown_shape()]
    dx = x.as_tuple()
    dy = y.as_tuple()
    m, k1 = (None, None) if dx is None else dx[-2:]
    k2, n = (None, None) if dy is None else dy[-2:]
    if op.get_attr("adj_x"):
        m, k1 = k1, m
    if op.get_attr("adj_y"):
        k2, n = n, k2
    _check_inner(k1, k2, op, x, y)
    bx, by = x[:-2] if dx is not None else unknown_shape(), y[:-2] if dy is not None else unknown_shape()
    if broadcast:
        batch = _broadcast_dims(bx, by, op)
    else:
        if bx.rank is not None and by.rank is not None and bx.rank != by.rank:
            raise ValueError(
                f"Shapes must be equal rank, but are {bx.rank} and {by.rank} for '{op.name}' (op: '{op.type}') with "
                f"input shapes: {common_shapes._fmt(x)}, {common_shapes._fmt(y)}."
            )
        try:
            batch = bx.merge_with(by)
        except ValueError:
            raise ValueError(
                f"Batch dimensions must be equal for '{op.name}' (op: '{op.type}') with input shapes: "
                f"{common_shapes._fmt(x)}, {common_shapes._fmt(y)}."
            ) from None
    return [batch.concatenate(TensorShape([m, n]))]


def _batch_matmul_v1_shape(op):
    return _batch_matmul_shape(op, broadcast=False)


def _batch_matmul_v2_shape(op):
    return _batch_matmul_shape(op, broadcast=True)


def _adjoint(t):
    return t.mH if t.is_complex() else t.mT


_BMM_ATTRS = ["adj_x: bool = false", "adj_y: bool = false", "grad_x: bool = false", "grad_y: bool = false"]


@register_op(
    "BatchMatMul",
    inputs=["x: T", "y: T"],
    outputs=["output: T"],
    attrs=["T: {bfloat16, half, float, double, int32, int64, complex64, complex128}", *_BMM_ATTRS],
    shape=_batch_matmul_v1_shape,
)
def batch_mat_mul(x, y, adj_x, adj_y):
    return batch_mat_mul_v2(x, y, adj_x, adj_y)


@register_gradient("BatchMatMul")
def _batch_mat_mul_grad(op, grad):
    """tf.matmul of the gradient with the other operand (adjoints chosen per ``adj_*``)."""
    matmul = math_ops.matmul
    x, y = op.inputs
    adj_x = op.get_attr("adj_x")
    adj_y = op.get_attr("adj_y")
    if not adj_x:
        if not adj_y:
            grad_x = matmul(grad, y, adjoint_a=False, adjoint_b=True)
            grad_y = matmul(x, grad, adjoint_a=True, adjoint_b=False)
        else:
            grad_x = matmul(grad, y, adjoint_a=False, adjoint_b=False)
            grad_y = matmul(grad, x, adjoint_a=True, adjoint_b=False)
    elif not adj_y:
        grad_x = matmul(y, grad, adjoint_a=False, adjoint_b=True)
        grad_y = matmul(x, grad, adjoint_a=False, adjoint_b=False)
    else:
        grad_x = matmul(y, grad, adjoint_a=True, adjoint_b=True)
        grad_y = matmul(grad, x, adjoint_a=True, adjoint_b=True)
    return grad_x, grad_y


@register_op(
    "BatchMatMulV2",
    inputs=["x: T", "y: T"],
    outputs=["output: T"],
    attrs=[
        "T: {bfloat16, half, float, double, int16, int32, int64, uint8, uint16, uint32, uint64, complex64, complex128}",
        *_BMM_ATTRS,
    ],
    shape=_batch_matmul_v2_shape,
)
def batch_mat_mul_v2(x, y, adj_x, adj_y):
    """``adj_*`` takes the conjugate transpose of the last two dims; batch dims broadcast."""
    a = _adjoint(x) if adj_x else x
    b = _adjoint(y) if adj_y else y
    try:
        return torch.matmul(a, b)
    except RuntimeError as e:
        raise _matmul_error(x, y, e) from None


_BMM3_TYPES = "{bfloat16, half, float, double, uint8, int8, int16, int32, int64, complex64, complex128}"


@register_op(
    "BatchMatMulV3",
    inputs=["x: Ta", "y: Tb"],
    outputs=["output: Tout"],
    attrs=[
        f"Ta: {_BMM3_TYPES}",
        f"Tb: {_BMM3_TYPES}",
        "Tout: {bfloat16, half, float, double, int16, int32, int64, complex64, complex128}",
        *_BMM_ATTRS,
    ],
    shape=_batch_matmul_v2_shape,
)
def batch_mat_mul_v3(x, y, Tout, adj_x, adj_y):
    """Operands are converted to ``Tout`` first (int8 x int8 -> int32 is the common mixed case)."""
    dst = TORCH_DTYPES[Tout]
    return batch_mat_mul_v2(x.to(dst), y.to(dst), adj_x, adj_y)


@register_gradient("BatchMatMulV2")
@register_gradient("BatchMatMulV3")
def _batch_mat_mul_v2_grad(op, grad):
    """As BatchMatMul's, then summed over the batch dims each operand was broadcast along."""
    matmul = math_ops.matmul
    x, y = op.inputs
    adj_x = op.get_attr("adj_x")
    adj_y = op.get_attr("adj_y")
    if not adj_x:
        if not adj_y:
            grad_x = matmul(grad, y, adjoint_a=False, adjoint_b=True, grad_a=True)
            grad_y = matmul(x, grad, adjoint_a=True, adjoint_b=False, grad_b=True)
        else:
            grad_x = matmul(grad, y, adjoint_a=False, adjoint_b=False, grad_a=True)
            grad_y = matmul(grad, x, adjoint_a=True, adjoint_b=False, grad_b=True)
    elif not adj_y:
        grad_x = matmul(y, grad, adjoint_a=False, adjoint_b=True, grad_a=True)
        grad_y = matmul(x, grad, adjoint_a=False, adjoint_b=False, grad_b=True)
    else:
        grad_x = matmul(y, grad, adjoint_a=True, adjoint_b=True, grad_a=True)
        grad_y = matmul(grad, x, adjoint_a=True, adjoint_b=True, grad_b=True)
    shape_x, shape_y = x.shape, y.shape
    may_have_batch = shape_x.rank is None or shape_x.rank > 2 or shape_y.rank is None or shape_y.rank > 2
    batch_shapes_match = (
        shape_x[:-2].is_fully_defined() and shape_y[:-2].is_fully_defined() and shape_x[:-2] == shape_y[:-2]
    )
    if not may_have_batch or batch_shapes_match:
        return grad_x, grad_y
    sx = array_ops.shape(x)
    sy = array_ops.shape(y)
    rx, ry = raw_op("BroadcastGradientArgs", s0=sx[:-2], s1=sy[:-2])
    grad_x = array_ops.reshape(math_ops.reduce_sum(grad_x, rx), sx)
    grad_y = array_ops.reshape(math_ops.reduce_sum(grad_y, ry), sy)
    return grad_x, grad_y


# ---------------------------------------------------------------------------------------------
# Range


def _range_size(start, limit, delta) -> int:
    """Element count by TF's rule (computed in the op's dtype); raises ValueError with TF's wording."""
    if delta == 0:
        raise ValueError(f"Requires delta != 0: {delta}")
    if delta > 0 and start > limit:
        raise ValueError(f"Requires start <= limit when delta > 0: {start}/{limit}")
    if delta < 0 and start < limit:
        raise ValueError(f"Requires start >= limit when delta < 0: {start}/{limit}")
    if isinstance(start, (np.integer, int)):
        return (abs(int(limit) - int(start)) + abs(int(delta)) - 1) // abs(int(delta))
    size = np.ceil(np.abs((limit - start) / delta))
    if not size <= np.iinfo(np.int64).max:
        raise ValueError(f"Requires ((limit - start) / delta) <= {np.iinfo(np.int64).max}")
    return int(size)


def _range_shape(op):
    for t in op.inputs:
        if t.shape.rank not in (None, 0):
            raise ValueError(
                f"Shape must be rank 0 but is rank {t.shape.rank} for '{op.name}' (op: 'Range') with input shapes: "
                + ", ".join(common_shapes._fmt(s.shape) for s in op.inputs)
                + "."
            )
    values = [tensor_util.constant_value(t) for t in op.inputs]
    if any(v is None for v in values):
        return [TensorShape([None])]
    np_dtype = op.get_attr("Tidx").numpy
    start, limit, delta = (np_dtype.type(v) for v in values)
    try:
        return [TensorShape([_range_size(start, limit, delta)])]
    except ValueError as e:
        raise ValueError(f"{e} for '{op.name}' (op: 'Range')") from None


@register_op(
    "Range",
    inputs=["start: Tidx", "limit: Tidx", "delta: Tidx"],
    outputs=["output: Tidx"],
    attrs=["Tidx: {bfloat16, half, float, double, int8, int16, int32, int64, uint16, uint32, uint64} = DT_INT32"],
    shape=_range_shape,
)
def range_kernel(start, limit, delta, Tidx, device):
    """Values are accumulated (``val += delta``) in the op's dtype, like TF's CPU kernel."""
    np_dtype = Tidx.numpy
    for name, v in (("start", start), ("limit", limit), ("delta", delta)):
        if v.dim() > 1 or (v.dim() == 1 and v.shape[0] != 1):
            raise errors.InvalidArgumentError(None, None, f"{name} must be a scalar, not shape {_dims(v)}")
    s, lim, d = (np_dtype.type(v.reshape(()).item()) for v in (start, limit, delta))
    try:
        size = _range_size(s, lim, d)
    except ValueError as e:
        raise errors.InvalidArgumentError(None, None, str(e)) from None
    if Tidx.is_integer:
        values = np.arange(size, dtype=np_dtype) * d + s
    else:
        steps = np.full(size, d, dtype=np_dtype)
        if size:
            steps[0] = s
        values = np.add.accumulate(steps, dtype=np_dtype)
    return torch.from_numpy(np.ascontiguousarray(values)).to(device=device, dtype=Tidx.torch)


not_differentiable("Range")


@tensor_util.register_constant_value("Range")
def _range_value(op, index):
    """TF's Python constant_value uses np.arange (start + i * delta), not the kernel's accumulation."""
    values = [tensor_util.constant_value(t) for t in op.inputs]
    if any(v is None for v in values):
        return None
    return np.arange(*values, dtype=op.get_attr("Tidx").numpy)


# ---------------------------------------------------------------------------------------------
# Complex parts


@register_op(
    "Conj",
    inputs=["input: T"],
    outputs=["output: T"],
    attrs=["T: {complex64, complex128, variant} = DT_COMPLEX64"],
    shape=common_shapes.unchanged,
)
def conj(input):
    return torch.conj_physical(input)


@register_gradient("Conj")
def _conj_grad(op, grad):
    return math_ops.conj(grad)


_COMPLEX_PART_ATTRS = ["T: {complex64, complex128} = DT_COMPLEX64", "Tout: {float, double} = DT_FLOAT"]


@register_op(
    "Real",
    inputs=["input: T"],
    outputs=["output: Tout"],
    attrs=_COMPLEX_PART_ATTRS,
    shape=common_shapes.unchanged,
    aliases_input=True,
)
def real(input):
    return torch.real(input)


def _complex(real, imag):
    """tf.complex as TF builds it (a ``Complex`` node named ``Complex``)."""
    real = graph_lib.convert_to_tensor(real, name="real")
    imag = graph_lib.convert_to_tensor(imag, name="imag")
    with graph_lib.name_scope(None, "Complex", [real, imag]) as name:
        input_types = (real.dtype.base_dtype, imag.dtype.base_dtype)
        if input_types == (DType.float64, DType.float64):
            tout = DType.complex128
        elif input_types == (DType.float32, DType.float32):
            tout = DType.complex64
        else:
            raise TypeError(
                f"The `real` and `imag` components have incorrect types: {real.dtype.name} {imag.dtype.name}. They "
                "must be consistent, and one of [tf.float32, tf.float64]"
            )
        return raw_op("Complex", real=real, imag=imag, Tout=tout, name=name)


@register_gradient("Real")
def _real_grad(op, grad):
    """The gradient as the real part, zero imaginary part."""
    zero = constant(0, dtype=grad.dtype)
    return _complex(grad, zero)


@register_op(
    "Imag",
    inputs=["input: T"],
    outputs=["output: Tout"],
    attrs=_COMPLEX_PART_ATTRS,
    shape=common_shapes.unchanged,
    aliases_input=True,
)
def imag(input):
    return torch.imag(input)


@register_gradient("Imag")
def _imag_grad(op, grad):
    """The gradient as the imaginary part, zero real part."""
    zero = constant(0, dtype=grad.dtype)
    return _complex(zero, grad)


@register_op(
    "ComplexAbs", inputs=["x: T"], outputs=["y: Tout"], attrs=_COMPLEX_PART_ATTRS, shape=common_shapes.unchanged
)
def complex_abs(x):
    return torch.abs(x)


@register_gradient("ComplexAbs")
def _complex_abs_grad(op, grad):
    """grad * x / |x| (0 where x is 0)."""
    zeros_like = array_ops.zeros_like
    return math_ops.div_no_nan(
        _complex(grad, zeros_like(grad)) * op.inputs[0],
        _complex(op.outputs[0], zeros_like(op.outputs[0])),
    )


@register_op(
    "Complex",
    inputs=["real: T", "imag: T"],
    outputs=["out: Tout"],
    attrs=["T: {float, double} = DT_FLOAT", "Tout: {complex64, complex128} = DT_COMPLEX64"],
    shape=_broadcast_shape,
)
@_broadcasting
def complex_kernel(real, imag):
    """``real + imag * 1j``, broadcasting."""
    return torch.complex(real, imag)


@register_gradient("Complex")
def _complex_grad(op, grad):
    """The real part of the gradient for ``real``, the imaginary part for ``imag``."""
    x, y = op.inputs
    gx = math_ops.real(grad)
    gy = math_ops.imag(grad)
    return reduce_gradient_args(x, y, gx, gy)


# ---------------------------------------------------------------------------------------------
# Bitwise ops (the integer forms of ``& | ^ ~``)

_BITWISE = "T: {int8, int16, int32, int64, uint8, uint16, uint32, uint64}"


def _bitwise(name):
    return register_op(
        name, inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_BITWISE], shape=_broadcast_shape, commutative=True
    )


@_bitwise("BitwiseAnd")
@_broadcasting
def bitwise_and(x, y):
    return torch.bitwise_and(x, y)


@_bitwise("BitwiseOr")
@_broadcasting
def bitwise_or(x, y):
    return torch.bitwise_or(x, y)


@_bitwise("BitwiseXor")
@_broadcasting
def bitwise_xor(x, y):
    return torch.bitwise_xor(x, y)


@register_op("Invert", inputs=["x: T"], outputs=["y: T"], attrs=[_BITWISE], shape=common_shapes.unchanged)
def invert(x):
    return torch.bitwise_not(x)


# Bitwise ops have no gradient (TF declares them NotDifferentiable).
not_differentiable("BitwiseAnd", "BitwiseOr", "BitwiseXor", "Invert")


# ---------------------------------------------------------------------------------------------
# SparseMatMul: a MatMul that TF may run with sparse kernels; always float32 out


@register_op(
    "SparseMatMul",
    inputs=["a: Ta", "b: Tb"],
    outputs=["product: float"],
    attrs=[
        "transpose_a: bool = false",
        "transpose_b: bool = false",
        "a_is_sparse: bool = false",
        "b_is_sparse: bool = false",
        "Ta: {float, bfloat16} = DT_FLOAT",
        "Tb: {float, bfloat16} = DT_FLOAT",
    ],
    shape=_matmul_shape,
)
def sparse_mat_mul(a, b, transpose_a, transpose_b):
    return mat_mul(a.float(), b.float(), transpose_a, transpose_b)


@register_gradient("SparseMatMul")
def _sparse_mat_mul_grad(op, grad):
    """MatMul-like gradients through tf.matmul with the operands' sparsity hints; a gradient coming
    from a ReluGrad is assumed sparse, as in TF."""
    t_a = op.get_attr("transpose_a")
    t_b = op.get_attr("transpose_b")
    a, b = op.inputs
    is_sparse = {id(a): op.get_attr("a_is_sparse"), id(b): op.get_attr("b_is_sparse")}
    is_sparse[id(grad)] = grad.op.type == "ReluGrad"

    def sparse_matmul(t1, t2, out_dtype, transpose_a=False, transpose_b=False):
        t1_sparse = is_sparse[id(t1)]
        t2_sparse = is_sparse[id(t2)]
        if transpose_b:
            t2 = array_ops.transpose(t2)
            transpose_b = False
        prod = math_ops.matmul(
            t1, t2, transpose_a=transpose_a, transpose_b=transpose_b, a_is_sparse=t1_sparse, b_is_sparse=t2_sparse
        )
        if prod.dtype.base_dtype is not out_dtype:
            prod = math_ops.cast(prod, out_dtype)
        return prod

    dtype_a = a.dtype.base_dtype
    dtype_b = b.dtype.base_dtype
    if not t_a and not t_b:
        return sparse_matmul(grad, b, dtype_a, transpose_b=True), sparse_matmul(a, grad, dtype_b, transpose_a=True)
    if not t_a and t_b:
        return sparse_matmul(grad, b, dtype_a), sparse_matmul(grad, a, dtype_b, transpose_a=True)
    if t_a and not t_b:
        return sparse_matmul(b, grad, dtype_a, transpose_b=True), sparse_matmul(a, grad, dtype_b)
    return (
        sparse_matmul(b, grad, dtype_a, transpose_a=True, transpose_b=True),
        sparse_matmul(grad, a, dtype_b, transpose_a=True, transpose_b=True),
    )
