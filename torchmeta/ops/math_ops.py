"""Math ops: element-wise arithmetic and functions, casts, comparisons, logic, matrix products, Range.

Reductions, arg-max/min, scans and segment ops live in ``reduction_ops.py``.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from torchmeta import errors
from torchmeta.dtypes import DType
from torchmeta.framework import tensor_util
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.ops import shapes
from torchmeta.ops.registry import register_op

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
                f"shapes: {shapes._fmt(x)}, {shapes._fmt(y)}."
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
                f"Shapes must be equal for '{op.name}' (op: 'AddN'): input {i} has shape {shapes._fmt(t.shape)}, "
                f"the inputs before it {shapes._fmt(out)}. From merging shape 0 with other shapes."
            ) from None
    return [out]


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
    """Sums left to right, like TF's CPU kernel (so float results round the same way)."""
    out = inputs[0]
    for t in inputs[1:]:
        out = torch.add(out, t)
    return out


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


@register_op("Div", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_ARITH], shape=_broadcast_shape)
@_broadcasting
def div(x, y):
    """Integer Div truncates toward zero (C semantics); TF1's ``tf.div`` emits FloorDiv for ints instead."""
    if _is_inexact(x):
        return torch.div(x, y)
    try:
        return _truncate_div_int(x, y)
    except RuntimeError as e:
        raise _zero_division(e) from None


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


@register_op("TruncateDiv", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_ARITH], shape=_broadcast_shape)
@_broadcasting
def truncate_div(x, y):
    if _is_inexact(x):
        return torch.trunc(torch.div(x, y))
    try:
        return _truncate_div_int(x, y)
    except RuntimeError as e:
        raise _zero_division(e, internal=True) from None


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


@register_op("Maximum", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_MINMAX], shape=_broadcast_shape)
@_broadcasting
def maximum(x, y):
    """NaN in either input gives NaN, as in TF."""
    return torch.maximum(x, y)


@register_op("Minimum", inputs=["x: T", "y: T"], outputs=["z: T"], attrs=[_MINMAX], shape=_broadcast_shape)
@_broadcasting
def minimum(x, y):
    return torch.minimum(x, y)


@register_op("Atan2", inputs=["y: T", "x: T"], outputs=["z: T"], attrs=[_FLOAT], shape=_broadcast_shape)
@_broadcasting
def atan2(y, x):
    return torch.atan2(y, x)


# ---------------------------------------------------------------------------------------------
# Unary functions


def _unary(name, types):
    return register_op(name, inputs=["x: T"], outputs=["y: T"], attrs=[types], shape=shapes.unchanged)


@_unary("Neg", _SIGNED)
def neg(x):
    return torch.neg(x)


@_unary(
    "Square",
    "T: {bfloat16, half, float, double, int8, int16, int32, int64, uint8, uint16, uint32, uint64, complex64, "
    "complex128}",
)
def square(x):
    return torch.mul(x, x)


@_unary("Sqrt", _FLOAT_COMPLEX)
def sqrt(x):
    return torch.sqrt(x)


@_unary("Rsqrt", _FLOAT_COMPLEX)
def rsqrt(x):
    return torch.rsqrt(x)


@_unary("Exp", _FLOAT_COMPLEX)
def exp(x):
    return torch.exp(x)


@_unary("Expm1", _FLOAT_COMPLEX)
def expm1(x):
    return torch.expm1(x)


@_unary("Log", _FLOAT_COMPLEX)
def log(x):
    return torch.log(x)


@_unary("Log1p", _FLOAT_COMPLEX)
def log1p(x):
    return torch.log1p(x)


@_unary("Abs", "T: {bfloat16, half, float, double, int8, int16, int32, int64}")
def abs_kernel(x):
    return torch.abs(x)


@_unary("Sign", _SIGNED)
def sign(x):
    """sign(NaN) is NaN in TF (torch gives 0); complex x gives x / |x|."""
    if x.is_floating_point():
        return torch.where(torch.isnan(x), x, torch.sign(x))
    return torch.sgn(x)


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


@_unary("Floor", _FLOAT)
def floor(x):
    return torch.floor(x)


@_unary("Ceil", _FLOAT)
def ceil(x):
    return torch.ceil(x)


@_unary("Round", _SIGNED)
def round_kernel(x):
    """Rounds half to even; integers are unchanged (TF 2.21's CPU kernel returns 0 for them, a bug)."""
    if x.is_floating_point():
        return torch.round(x)
    if x.is_complex():
        return torch.complex(torch.round(x.real), torch.round(x.imag))
    return x


@_unary("Rint", _FLOAT)
def rint(x):
    return torch.round(x)


@_unary("Sin", _FLOAT_COMPLEX)
def sin(x):
    return torch.sin(x)


@_unary("Cos", _FLOAT_COMPLEX)
def cos(x):
    return torch.cos(x)


@_unary("Tan", _FLOAT_COMPLEX)
def tan(x):
    return torch.tan(x)


@_unary("Asin", _FLOAT_COMPLEX)
def asin(x):
    return torch.asin(x)


@_unary("Acos", _FLOAT_COMPLEX)
def acos(x):
    return torch.acos(x)


@_unary("Atan", _FLOAT_COMPLEX)
def atan(x):
    return torch.atan(x)


@_unary("Sinh", _FLOAT_COMPLEX)
def sinh(x):
    return torch.sinh(x)


@_unary("Cosh", _FLOAT_COMPLEX)
def cosh(x):
    return torch.cosh(x)


@_unary("Tanh", _FLOAT_COMPLEX)
def tanh(x):
    return torch.tanh(x)


@_unary("Sigmoid", _FLOAT_COMPLEX)
def sigmoid(x):
    return torch.sigmoid(x)


@_unary("Erf", _FLOAT)
def erf(x):
    return torch.erf(x)


@_unary("Erfc", _FLOAT)
def erfc(x):
    return torch.erfc(x)


@_unary("Lgamma", _FLOAT)
def lgamma(x):
    return torch.lgamma(x)


@_unary("Digamma", _FLOAT)
def digamma(x):
    """digamma(±0) is NaN in TF (a pole; torch gives ∓inf)."""
    return torch.where(x == 0, float("nan"), torch.digamma(x))


def _predicate(name):
    return register_op(name, inputs=["x: T"], outputs=["y: bool"], attrs=[_FLOAT], shape=shapes.unchanged)


@_predicate("IsNan")
def is_nan(x):
    return torch.isnan(x)


@_predicate("IsInf")
def is_inf(x):
    return torch.isinf(x)


@_predicate("IsFinite")
def is_finite(x):
    return torch.isfinite(x)


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
    shape=shapes.unchanged,
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
    if isinstance(x, np.ndarray):
        return _strings_equal(x, y, incompatible_shape_error, negate=False)
    try:
        return torch.eq(x, y)
    except RuntimeError as e:
        if "must match the size" not in str(e):
            raise
        if incompatible_shape_error:
            raise _incompatible_shapes(x, y) from None
        return torch.tensor(False, device=x.device)


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
    if isinstance(x, np.ndarray):
        return _strings_equal(x, y, incompatible_shape_error, negate=True)
    try:
        return torch.ne(x, y)
    except RuntimeError as e:
        if "must match the size" not in str(e):
            raise
        if incompatible_shape_error:
            raise _incompatible_shapes(x, y) from None
        return torch.tensor(True, device=x.device)


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


@register_op("LogicalNot", inputs=["x: bool"], outputs=["y: bool"], shape=shapes.unchanged)
def logical_not(x):
    return torch.logical_not(x)


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


# ---------------------------------------------------------------------------------------------
# Matrix products


def _matmul_shape(op):
    a, b = op.inputs[0].shape, op.inputs[1].shape
    for s in (a, b):
        if s.rank is not None and s.rank != 2:
            raise ValueError(
                f"Shape must be rank 2 but is rank {s.rank} for '{op.name}' (op: '{op.type}') with input shapes: "
                f"{shapes._fmt(a)}, {shapes._fmt(b)}."
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
            f"{shapes._fmt(a)}, {shapes._fmt(b)}."
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


def _batch_matmul_shape(op, broadcast: bool):
    x, y = op.inputs[0].shape, op.inputs[1].shape
    for s in (x, y):
        if s.rank is not None and s.rank < 2:
            raise ValueError(
                f"Shape must be at least rank 2 but is rank {s.rank} for '{op.name}' (op: '{op.type}') with input "
                f"shapes: {shapes._fmt(x)}, {shapes._fmt(y)}."
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
                f"input shapes: {shapes._fmt(x)}, {shapes._fmt(y)}."
            )
        try:
            batch = bx.merge_with(by)
        except ValueError:
            raise ValueError(
                f"Batch dimensions must be equal for '{op.name}' (op: '{op.type}') with input shapes: "
                f"{shapes._fmt(x)}, {shapes._fmt(y)}."
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
                + ", ".join(shapes._fmt(s.shape) for s in op.inputs)
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
    shape=shapes.unchanged,
)
def conj(input):
    return torch.conj_physical(input)


_COMPLEX_PART_ATTRS = ["T: {complex64, complex128} = DT_COMPLEX64", "Tout: {float, double} = DT_FLOAT"]


@register_op(
    "Real",
    inputs=["input: T"],
    outputs=["output: Tout"],
    attrs=_COMPLEX_PART_ATTRS,
    shape=shapes.unchanged,
    aliases_input=True,
)
def real(input):
    return torch.real(input)


@register_op(
    "Imag",
    inputs=["input: T"],
    outputs=["output: Tout"],
    attrs=_COMPLEX_PART_ATTRS,
    shape=shapes.unchanged,
    aliases_input=True,
)
def imag(input):
    return torch.imag(input)


@register_op("ComplexAbs", inputs=["x: T"], outputs=["y: Tout"], attrs=_COMPLEX_PART_ATTRS, shape=shapes.unchanged)
def complex_abs(x):
    return torch.abs(x)


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


@register_op("Invert", inputs=["x: T"], outputs=["y: T"], attrs=[_BITWISE], shape=shapes.unchanged)
def invert(x):
    return torch.bitwise_not(x)


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
