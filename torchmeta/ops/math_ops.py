"""Math ops: element-wise binary arithmetic (Add, Mul, Div, Pow, Maximum, ...), ClipByValue and Range,
plus what the math families share (type sets, broadcasting, the gradient reduction of TF's math_grad.py).

The other math families: ``unary_ops.py`` (functions, casts, complex parts), ``comparison_ops.py``
(comparisons, logic, bitwise), ``matmul_ops.py`` (matrix products), ``reduction_ops.py`` (reductions,
arg-max/min, scans and segment ops). Each op's gradient
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
from torchmeta.framework.common_shapes import format_dims, merge_all, shape_error
from torchmeta.framework.graph import Tensor
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape

# ---------------------------------------------------------------------------------------------
# Allowed types, in TF's order (the OpDef test compares them).

FLOAT_TYPES = "T: {bfloat16, half, float, double}"
_ARITH = (
    "T: {bfloat16, half, float, double, uint8, int8, uint16, int16, int32, uint32, uint64, int64, complex64, "
    "complex128}"
)
_MINMAX = "T: {bfloat16, half, float, double, int8, uint8, int16, uint16, int32, uint32, int64, uint64}"
_NUMBER = (
    "T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, "
    "quint16, uint16, complex128, half, uint32, uint64}"
)

_SIGNED_INTS = frozenset({torch.int8, torch.int16, torch.int32, torch.int64})
# DType -> torch dtype in one dict lookup (dtype attrs reach kernels as DType members).
TORCH_DTYPES = {d: d.torch for d in DType if not d.is_ref_dtype}


def incompatible_shapes(x, y) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(
        None, None, f"Incompatible shapes: {format_dims(x.shape)} vs. {format_dims(y.shape)}"
    )


def broadcasting(kernel):
    """Re-raises torch's broadcasting failure with TF's wording; costs nothing unless it fails."""

    @functools.wraps(kernel)
    def wrapper(x, y, **attrs):
        try:
            return kernel(x, y, **attrs)
        except RuntimeError as e:
            if "must match the size" in str(e):
                raise incompatible_shapes(x, y) from None
            raise

    return wrapper


def is_inexact(x) -> bool:
    return x.is_floating_point() or x.is_complex()


# ---------------------------------------------------------------------------------------------
# Shape functions


def broadcast_shape_dims(x: TensorShape, y: TensorShape, op, incompatible_shape_error: bool = True):
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
            raise shape_error(op, f"Dimensions must be equal, but are {a} and {b}")
    return TensorShape(out)


def broadcast_shape(op):
    return [broadcast_shape_dims(op.inputs[0].shape, op.inputs[1].shape, op)]


def _add_n_shape(op):
    return [merge_all(op, [t.shape for t in op.inputs])]


# ---------------------------------------------------------------------------------------------
# Gradient helpers (TF's math_grad.py). Gradients are built with the API functions (tf.shape,
# tf.reduce_sum, the Tensor operators, ...) so node names and structure are TF's; the API modules
# are imported on first use because they import the registrations made here.


def conj_if_complex(x):
    return math_ops.conj(x)


def after_grad(grad):
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
    shape=broadcast_shape,
)
@broadcasting
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
    shape=broadcast_shape,
    commutative=True,
    aggregate=True,
)
@broadcasting
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
    shape=broadcast_shape,
)
@broadcasting
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
    shape=broadcast_shape,
    commutative=True,
)
@broadcasting
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
    gx = raw_op("Mul", x=grad, y=conj_if_complex(y))
    gy = raw_op("Mul", x=conj_if_complex(x), y=grad)
    return reduce_gradient_args(x, y, gx, gy)


@register_op(
    "MulNoNan",
    inputs=["x: T", "y: T"],
    outputs=["z: T"],
    attrs=["T: {bfloat16, half, float, double, complex64, complex128}"],
    shape=broadcast_shape,
)
@broadcasting
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
    shape=broadcast_shape,
    commutative=True,
)
@broadcasting
def squared_difference(x, y):
    d = torch.sub(x, y)
    return torch.mul(d, d.conj()) if d.is_complex() else torch.mul(d, d)


@register_gradient("SquaredDifference")
def _squared_difference_grad(op, grad):
    """2 * grad * (x - y), and its negation for y."""
    x, y = op.inputs
    with after_grad(grad):
        x_grad = math_ops.scalar_mul(2.0, grad) * (x - y)
    if isinstance(grad, Tensor) and _shapes_fully_specified_and_equal(x, y, grad):
        return x_grad, -x_grad
    return reduce_gradient_args(x, y, x_grad, -x_grad)


def _cross_shape(op):
    """TF's Cross shape function: inputs of rank >= 1, merged, with a last dimension of 3."""
    a = common_shapes.with_rank_at_least(op, op.inputs[0].shape, 1)
    b = common_shapes.with_rank_at_least(op, op.inputs[1].shape, 1)
    merged = common_shapes.merge_shapes(op, a, b)
    if merged.rank is not None:
        common_shapes.with_value(op, merged[-1], 3)
    return [merged]


@register_op(
    "Cross",
    inputs=["a: T", "b: T"],
    outputs=["product: T"],
    attrs=["T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}"],
    shape=_cross_shape,
)
def cross(a, b):
    if a.shape != b.shape:
        raise errors.InvalidArgumentError(
            None, None, f"Both inputs must be of same shape: {format_dims(a.shape)} vs. {format_dims(b.shape)}"
        )
    if a.dim() < 1 or a.shape[-1] != 3:
        raise errors.FailedPreconditionError(None, None, "Cross-products are only defined for 3-element vectors.")
    return torch.linalg.cross(a, b, dim=-1)


@register_gradient("Cross")
def _cross_grad(op, grad):
    u, v = op.inputs
    return raw_op("Cross", a=v, b=grad), raw_op("Cross", a=grad, b=u)


@register_op(
    "NextAfter",
    inputs=["x1: T", "x2: T"],
    outputs=["output: T"],
    attrs=["T: {double, float} = DT_FLOAT"],
    shape=broadcast_shape,
)
@broadcasting
def next_after(x1, x2):
    return torch.nextafter(x1, x2)


@register_gradient("NextAfter")
def _next_after_grad(op, grad):
    """Ones for x1 and zeros for x2, each reduced over its broadcast dims (TF's _NextAfterGrad)."""
    x1, x2 = op.inputs
    s_x1 = array_ops.shape(x1)
    s_x2 = array_ops.shape(x2)
    r_x1, r_x2 = raw_op("BroadcastGradientArgs", s0=s_x1, s1=s_x2)
    with graph_lib.control_dependencies([grad]):
        partial_x1 = array_ops.ones(s_x1, dtype=x1.dtype)
        partial_x2 = array_ops.zeros(s_x2, dtype=x2.dtype)
        return (
            array_ops.reshape(math_ops.reduce_sum(partial_x1 * grad, r_x1), s_x1),
            array_ops.reshape(math_ops.reduce_sum(partial_x2 * grad, r_x2), s_x2),
        )


# ---------------------------------------------------------------------------------------------
# Division. Integer division by zero raises on CPU, as in TF; torch's CPU kernels raise
# "ZeroDivisionError" (a RuntimeError), which the kernels translate without checking up front.


def zero_division(e: RuntimeError, internal: bool = False):
    if "ZeroDivisionError" not in str(e):
        return e
    if internal:  # TruncateDiv / TruncateMod report it as TF's generic binary-op failure
        return errors.InternalError(
            None, None, "Unexpected error in binary operator (only integer div and mod should have errors)"
        )
    return errors.InvalidArgumentError(None, None, "Integer division by zero")


def truncate_div_int(x, y):
    # torch's trunc-mode integer division traps (SIGFPE) on INT_MIN / -1; x - fmod(x, y) is an exact
    # multiple of y, so floor division of it truncates, and floor mode handles INT_MIN / -1.
    if x.dtype in _SIGNED_INTS:
        return torch.div(torch.sub(x, torch.fmod(x, y)), y, rounding_mode="floor")
    return torch.div(x, y, rounding_mode="trunc")


@register_op("RealDiv", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_ARITH], shape=broadcast_shape)
@broadcasting
def real_div(x, y):
    if is_inexact(x):
        return torch.div(x, y)
    try:
        return truncate_div_int(x, y)
    except RuntimeError as e:
        raise zero_division(e) from None


@register_gradient("RealDiv")
def _real_div_grad(op, grad):
    x, y = op.inputs
    cx, cy = conj_if_complex(x), conj_if_complex(y)
    gx = math_ops.realdiv(grad, cy)
    gy = grad * math_ops.realdiv(math_ops.realdiv(-cx, cy), cy)
    return reduce_gradient_args(x, y, gx, gy)


# Div computes what RealDiv does on every type (integers truncate toward zero, C semantics); TF1's
# ``tf.div`` emits FloorDiv for ints instead. One kernel serves both.
div = register_op("Div", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_ARITH], shape=broadcast_shape)(real_div)


@register_gradient("Div")
def _div_grad(op, grad):
    x, y = op.inputs
    cx, cy = conj_if_complex(x), conj_if_complex(y)
    gx = math_ops.divide(grad, cy)
    gy = grad * math_ops.divide(math_ops.divide(-cx, cy), cy)
    return reduce_gradient_args(x, y, gx, gy)


@register_op(
    "DivNoNan",
    inputs=["x: T", "y: T"],
    outputs=["z: T"],
    attrs=["T: {half, float, bfloat16, double, complex64, complex128}"],
    shape=broadcast_shape,
)
@broadcasting
def div_no_nan(x, y):
    """x / y, but 0 wherever y is 0; the divisor is made safe first so gradients stay finite."""
    zero = y == 0
    return torch.where(zero, 0.0, torch.div(x, torch.where(zero, 1.0, y)))


@register_gradient("DivNoNan")
def _div_no_nan_grad(op, grad):
    x, y = conj_if_complex(op.inputs[0]), conj_if_complex(op.inputs[1])
    gx = math_ops.div_no_nan(grad, y)
    gy = grad * math_ops.div_no_nan(math_ops.div_no_nan(-x, y), y)
    return reduce_gradient_args(x, y, gx, gy)


@register_op("FloorDiv", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_ARITH], shape=broadcast_shape)
@broadcasting
def floor_div(x, y):
    """floor(x / y) for floats (so inf / 2 is inf, as in TF; torch's floor mode gives NaN)."""
    if is_inexact(x):
        return torch.floor(torch.div(x, y))
    try:
        return torch.div(x, y, rounding_mode="floor")
    except RuntimeError as e:
        raise zero_division(e) from None


@register_gradient("FloorDiv")
def _floor_div_grad(op, grad):
    """Piecewise constant: TF returns no gradient."""
    return None, None


@register_op(
    "FloorMod",
    inputs=["x: T", "y: T"],
    outputs=["z: T"],
    attrs=["T: {int8, int16, int32, int64, uint8, uint16, uint32, uint64, bfloat16, half, float, double}"],
    shape=broadcast_shape,
)
@broadcasting
def floor_mod(x, y):
    """The result has the sign of the divisor. Floats use TF's formula (fmod, then + y when signs differ)."""
    if x.is_floating_point():
        r = torch.fmod(x, y)
        return torch.where((r != 0) & ((y < 0) != (r < 0)), r + y, r)
    try:
        return torch.remainder(x, y)
    except RuntimeError as e:
        raise zero_division(e) from None


@register_gradient("FloorMod")
def _floor_mod_grad(op, grad):
    """grad for x, -floor(x / y) * grad for y."""
    x, y = conj_if_complex(op.inputs[0]), conj_if_complex(op.inputs[1])
    floor_xy = math_ops.floor_div(x, y)
    gy = grad * math_ops.negative(floor_xy)
    return reduce_gradient_args(x, y, grad, gy)


@register_op("TruncateDiv", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_ARITH], shape=broadcast_shape)
@broadcasting
def truncate_div(x, y):
    if is_inexact(x):
        return torch.trunc(torch.div(x, y))
    try:
        return truncate_div_int(x, y)
    except RuntimeError as e:
        raise zero_division(e, internal=True) from None


@register_gradient("TruncateDiv")
def _truncate_div_grad(op, grad):
    return None, None


@register_op(
    "TruncateMod",
    inputs=["x: T", "y: T"],
    outputs=["z: T"],
    attrs=["T: {int32, int64, bfloat16, half, float, double}"],
    shape=broadcast_shape,
)
@broadcasting
def truncate_mod(x, y):
    """C's fmod: the result has the sign of the dividend."""
    try:
        return torch.fmod(x, y)
    except RuntimeError as e:
        raise zero_division(e, internal=True) from None


@register_op(
    "Mod",
    inputs=["x: T", "y: T"],
    outputs=["z: T"],
    attrs=["T: {int32, int64, half, half, bfloat16, float, double}"],
    shape=broadcast_shape,
)
def mod(x, y):
    """Mod is TruncateMod's older name: C's fmod (TF's kernels are the same functor)."""
    return truncate_mod(x, y)


# TF registers no gradient for TruncateMod and Mod: tf.gradients through them raises LookupError.
no_registered_gradient("TruncateMod", "Mod")


@register_op(
    "Pow",
    inputs=["x: T", "y: T"],
    outputs=["z: T"],
    attrs=["T: {bfloat16, float, half, double, int8, int16, int32, int64, complex64, complex128}"],
    shape=broadcast_shape,
)
@broadcasting
def pow_kernel(x, y):
    """Integer powers wrap on overflow like TF; negative integer exponents are an error, as in TF."""
    if not is_inexact(x) and bool((y < 0).any()):
        raise errors.InvalidArgumentError(None, None, "Integers to negative integer powers are not allowed")
    return torch.pow(x, y)


@register_gradient("Pow")
def _pow_grad(op, grad):
    """grad * y * x^(y - 1) for x; grad * z * log(x) for y, 0 where x <= 0 (x == 0 for complex)."""
    x, y = op.inputs
    cx, cy = conj_if_complex(x), conj_if_complex(y)
    gx = grad * cy * math_ops.pow(cx, cy - 1)
    mask = math_ops.not_equal(cx, 0) if x.dtype.is_complex else cx > 0
    safe_x = array_ops.where(mask, cx, array_ops.ones_like(x))
    log_x = array_ops.where(mask, math_ops.log(safe_x), array_ops.zeros_like(x))
    gy = grad * conj_if_complex(op.outputs[0]) * log_x
    return reduce_gradient_args(x, y, gx, gy)


@register_op("Maximum", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_MINMAX], shape=broadcast_shape)
@broadcasting
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


@register_op("Minimum", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_MINMAX], shape=broadcast_shape)
@broadcasting
def minimum(x, y):
    return torch.minimum(x, y)


@register_gradient("Minimum")
def _minimum_grad(op, grad):
    return _maximum_minimum_grad(op, grad, math_ops.less_equal)


@register_op("Atan2", inputs=["y: T", "x: T"], outputs=["z: T"], attrs=[FLOAT_TYPES], shape=broadcast_shape)
@broadcasting
def atan2(y, x):
    return torch.atan2(y, x)


@register_gradient("Atan2")
def _atan2_grad(op, grad):
    """grad * x / (x^2 + y^2) for y, grad * -y / (x^2 + y^2) for x."""
    y, x = op.inputs
    with after_grad(grad):
        grad_inv = grad / (math_ops.square(y) + math_ops.square(x))
        gy = x * grad_inv
        gx = -y * grad_inv
        return reduce_gradient_args(y, x, gy, gx)


# Xlogy, Xlog1py, Xdivy: 0 wherever x is 0, whatever y is (NaN and inf included).

_X_TYPES = "T: {half, bfloat16, float, double, complex64, complex128}"


def _zero_where_x_is_zero(x, value):
    return torch.where(x == 0, torch.zeros((), dtype=value.dtype), value)


@register_op("Xlogy", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_X_TYPES], shape=broadcast_shape)
@broadcasting
def xlogy(x, y):
    return _zero_where_x_is_zero(x, x * torch.log(y))


@register_op("Xlog1py", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_X_TYPES], shape=broadcast_shape)
@broadcasting
def xlog1py(x, y):
    return _zero_where_x_is_zero(x, x * torch.log1p(y))


@register_op("Xdivy", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_X_TYPES], shape=broadcast_shape)
@broadcasting
def xdivy(x, y):
    return _zero_where_x_is_zero(x, x / y)


def _x_op_grad(op, grad, partials):
    """TF's _XLogyGrad / _XLog1pyGrad / _XDivyGrad: ``partials(not_zero_x, x, y)`` -> (d/dx, d/dy)."""
    x, y = op.inputs
    sx = array_ops.shape(x)
    sy = array_ops.shape(y)
    rx, ry = raw_op("BroadcastGradientArgs", s0=sx, s1=sy)
    with after_grad(grad):
        not_zero_x = math_ops.cast(math_ops.not_equal(x, math_ops.cast(0.0, dtype=x.dtype)), dtype=x.dtype)
        partial_x, partial_y = partials(not_zero_x, x, y)
        return (
            array_ops.reshape(math_ops.reduce_sum(partial_x * grad, rx), sx),
            array_ops.reshape(math_ops.reduce_sum(partial_y * grad, ry), sy),
        )


@register_gradient("Xlogy")
def _xlogy_grad(op, grad):
    return _x_op_grad(op, grad, lambda nz, x, y: (raw_op("Xlogy", x=nz, y=y), raw_op("Xdivy", x=x, y=y)))


@register_gradient("Xlog1py")
def _xlog1py_grad(op, grad):
    return _x_op_grad(op, grad, lambda nz, x, y: (raw_op("Xlog1py", x=nz, y=y), raw_op("Xdivy", x=x, y=y + 1.0)))


@register_gradient("Xdivy")
def _xdivy_grad(op, grad):
    return _x_op_grad(
        op, grad, lambda nz, x, y: (raw_op("Xdivy", x=nz, y=y), raw_op("Xdivy", x=math_ops.negative(x), y=y**2))
    )


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
            f"{format_dims(t.shape)}clip_value_min shape: {format_dims(lo.shape)}clip_value_max shape: {format_dims(hi.shape)}",
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
    for name, t in zip(("start", "limit", "delta"), op.inputs):
        if t.shape.rank not in (None, 0):
            raise shape_error(op, f"Shape must be rank 0 but is rank {t.shape.rank}\n\t for '{name}'")
    values = [tensor_util.constant_value(t) for t in op.inputs]
    if any(v is None for v in values):
        return [TensorShape([None])]
    np_dtype = op.get_attr("Tidx").numpy
    start, limit, delta = (np_dtype.type(v) for v in values)
    try:
        return [TensorShape([_range_size(start, limit, delta)])]
    except ValueError as e:
        raise shape_error(op, str(e)) from None


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
            raise errors.InvalidArgumentError(None, None, f"{name} must be a scalar, not shape {format_dims(v.shape)}")
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


def _lin_space_shape(op):
    for i, name in enumerate(("start", "stop", "num")):
        if op.inputs[i].shape.rank not in (None, 0):
            raise shape_error(op, f"Shape must be rank 0 but is rank {op.inputs[i].shape.rank}\n\t for '{name}'")
    num = tensor_util.constant_value(op.inputs[2])
    if num is None:
        return [TensorShape([None])]
    num = int(np.asarray(num).reshape(-1)[0])
    if num <= 0:
        raise shape_error(op, f"Requires num > 0: {num}")
    return [TensorShape([num])]


@register_op(
    "LinSpace",
    inputs=["start: T", "stop: T", "num: Tidx"],
    outputs=["output: T"],
    attrs=["T: {bfloat16, half, float, double}", "Tidx: {int32, int64} = DT_INT32"],
    shape=_lin_space_shape,
)
def lin_space(start, stop, num, T, device):
    """TF's kernel in T's arithmetic: step = (stop - start) / (num - 1); start + step * i; the last is stop."""
    for name, v in (("start", start), ("stop", stop), ("num", num)):
        if v.dim() != 0:
            raise errors.InvalidArgumentError(None, None, f"{name} must be a scalar, not shape {format_dims(v.shape)}")
    n = int(num)
    if n <= 0:
        raise errors.InvalidArgumentError(None, None, f"Requires num > 0: {n}")
    np_dtype = T.numpy
    first, last = np_dtype.type(start.float().item()), np_dtype.type(stop.float().item())
    values = np.empty(n, dtype=np_dtype)
    values[0] = first
    if n > 1:
        step = np_dtype.type((last - first) / np_dtype.type(n - 1))
        values[1:-1] = first + step * np.arange(1, n - 1).astype(np_dtype)
        values[-1] = last
    return torch.from_numpy(values.astype(np.float32) if DType.bfloat16 == T else values).to(
        device=device, dtype=T.torch
    )


not_differentiable("LinSpace")


@tensor_util.register_constant_value("Range")
def _range_value(op, index, partial):
    """TF's Python constant_value uses np.arange (start + i * delta), not the kernel's accumulation."""
    values = [tensor_util.constant_value(t) for t in op.inputs]
    if any(v is None for v in values):
        return None
    return np.arange(*values, dtype=op.get_attr("Tidx").numpy)
