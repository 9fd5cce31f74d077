"""Element-wise unary math ops: functions (Neg, Exp, Sin, ...), their gradient ops (SqrtGrad, TanhGrad, ...),
Polygamma, Cast and the complex parts (Real, Imag, ComplexAbs, Complex, Conj).

Each op's gradient follows it and mirrors TensorFlow's ``math_grad.py``.
"""

from __future__ import annotations

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
from torchmeta.framework.registry import no_registered_gradient, register_gradient, register_op
from torchmeta.ops import tanh_native
from torchmeta.ops.math_ops import (
    FLOAT_TYPES,
    TORCH_DTYPES,
    after_grad,
    broadcast_shape,
    broadcasting,
    conj_if_complex,
    is_inexact,
    reduce_gradient_args,
    truncate_div_int,
    zero_division,
)

_FLOAT_COMPLEX = "T: {bfloat16, half, float, double, complex64, complex128}"

_SIGNED = "T: {bfloat16, half, float, double, int8, int16, int32, int64, complex64, complex128}"

# PyTorch's own fused backward kernels (what autograd runs for sigmoid and tanh).
_SIGMOID_BACKWARD = torch.ops.aten.sigmoid_backward.default

_TANH_BACKWARD = torch.ops.aten.tanh_backward.default


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
    with after_grad(grad):
        x = conj_if_complex(x)
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
    with after_grad(grad):
        y = conj_if_complex(y)
        return grad * y


@_unary("Expm1", _FLOAT_COMPLEX)
def expm1(x):
    return torch.expm1(x)


@register_gradient("Expm1")
def _expm1_grad(op, grad):
    x = op.inputs[0]
    with after_grad(grad):
        x = conj_if_complex(x)
        return grad * math_ops.exp(x)


@_unary("Log", _FLOAT_COMPLEX)
def log(x):
    return torch.log(x)


@register_gradient("Log")
def _log_grad(op, grad):
    x = op.inputs[0]
    with after_grad(grad):
        x = conj_if_complex(x)
        return grad * math_ops.reciprocal(x)


@_unary("Log1p", _FLOAT_COMPLEX)
def log1p(x):
    return torch.log1p(x)


@register_gradient("Log1p")
def _log1p_grad(op, grad):
    x = op.inputs[0]
    with after_grad(grad):
        x = conj_if_complex(x)
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
    if is_inexact(x):
        return torch.reciprocal(x)
    try:
        return truncate_div_int(torch.ones_like(x), x)
    except RuntimeError as e:
        raise zero_division(e) from None


_unary("Inv", _SIGNED)(reciprocal)


@register_gradient("Reciprocal")
def _reciprocal_grad(op, grad):
    return raw_op("ReciprocalGrad", y=op.outputs[0], dy=grad)


@register_gradient("Inv")
def _inv_grad(op, grad):
    return raw_op("ReciprocalGrad", y=op.outputs[0], dy=grad)


@_unary("Floor", FLOAT_TYPES)
def floor(x):
    return torch.floor(x)


@register_gradient("Floor")
def _floor_grad(op, grad):
    return [None]


@_unary("Ceil", FLOAT_TYPES)
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


@_unary("Rint", FLOAT_TYPES)
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
    with after_grad(grad):
        x = conj_if_complex(x)
        return grad * math_ops.cos(x)


@_unary("Cos", _FLOAT_COMPLEX)
def cos(x):
    return torch.cos(x)


@register_gradient("Cos")
def _cos_grad(op, grad):
    x = op.inputs[0]
    with after_grad(grad):
        x = conj_if_complex(x)
        return -grad * math_ops.sin(x)


@_unary("Tan", _FLOAT_COMPLEX)
def tan(x):
    return torch.tan(x)


@register_gradient("Tan")
def _tan_grad(op, grad):
    """grad / cos(x)^2."""
    x = op.inputs[0]
    with after_grad(grad):
        x = conj_if_complex(x)
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
    with after_grad(grad):
        x = conj_if_complex(x)
        return grad * _one_minus_square_root_reciprocal(x, grad)


@_unary("Acos", _FLOAT_COMPLEX)
def acos(x):
    return torch.acos(x)


@register_gradient("Acos")
def _acos_grad(op, grad):
    x = op.inputs[0]
    with after_grad(grad):
        x = conj_if_complex(x)
        inv = _one_minus_square_root_reciprocal(x, grad)
        return -grad * inv


@_unary("Atan", _FLOAT_COMPLEX)
def atan(x):
    return torch.atan(x)


@register_gradient("Atan")
def _atan_grad(op, grad):
    """grad / (1 + x^2)."""
    x = op.inputs[0]
    with after_grad(grad):
        x = conj_if_complex(x)
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
    with after_grad(grad):
        x = conj_if_complex(x)
        return grad * math_ops.cosh(x)


@_unary("Cosh", _FLOAT_COMPLEX)
def cosh(x):
    return torch.cosh(x)


@register_gradient("Cosh")
def _cosh_grad(op, grad):
    x = op.inputs[0]
    with after_grad(grad):
        x = conj_if_complex(x)
        return grad * math_ops.sinh(x)


@_unary("Asinh", _FLOAT_COMPLEX)
def asinh(x):
    return torch.asinh(x)


@register_gradient("Asinh")
def _asinh_grad(op, grad):
    """grad / cosh(y)."""
    y = op.outputs[0]
    with after_grad(grad):
        y = conj_if_complex(y)
        return grad / math_ops.cosh(y)


@_unary("Acosh", _FLOAT_COMPLEX)
def acosh(x):
    return torch.acosh(x)


@register_gradient("Acosh")
def _acosh_grad(op, grad):
    """grad / sinh(y)."""
    y = op.outputs[0]
    with after_grad(grad):
        y = conj_if_complex(y)
        return grad / math_ops.sinh(y)


@_unary("Atanh", _FLOAT_COMPLEX)
def atanh(x):
    return torch.atanh(x)


@register_gradient("Atanh")
def _atanh_grad(op, grad):
    """grad / (1 - x^2)."""
    x = op.inputs[0]
    with after_grad(grad):
        x = conj_if_complex(x)
        x2 = math_ops.square(x)
        one = constant(1, dtype=grad.dtype)
        inv = math_ops.reciprocal(math_ops.subtract(one, x2))
        return grad * inv


@_unary("Tanh", _FLOAT_COMPLEX)
def tanh(x):
    out = tanh_native.tanh(x)  # float32: TF's own formula (and not MKL's slow VML path)
    return torch.tanh(x) if out is None else out


@register_gradient("Tanh")
def _tanh_grad(op, grad):
    y = op.outputs[0]
    with after_grad(grad):
        y = conj_if_complex(y)
        return raw_op("TanhGrad", y=y, dy=grad)


@_unary("Sigmoid", _FLOAT_COMPLEX)
def sigmoid(x):
    return torch.sigmoid(x)


@register_gradient("Sigmoid")
def _sigmoid_grad(op, grad):
    y = op.outputs[0]
    with after_grad(grad):
        y = conj_if_complex(y)
        return raw_op("SigmoidGrad", y=y, dy=grad)


@_unary("Erf", FLOAT_TYPES)
def erf(x):
    return torch.erf(x)


@register_gradient("Erf")
def _erf_grad(op, grad):
    """grad * 2 / sqrt(pi) * exp(-x^2)."""
    x = op.inputs[0]
    two_over_root_pi = constant(2 / np.sqrt(np.pi), dtype=grad.dtype)
    with after_grad(grad):
        x = conj_if_complex(x)
        return grad * two_over_root_pi * math_ops.exp(-math_ops.square(x))


def _in_float(fn, x):
    """torch's special functions have no half kernels: half and bfloat16 run in float32 and round."""
    if x.dtype in (torch.float16, torch.bfloat16):
        return fn(x.float()).to(x.dtype)
    return fn(x)


@_unary("Erfinv", FLOAT_TYPES)
def erfinv(x):
    return _in_float(torch.erfinv, x)


@register_gradient("Erfinv")
def _erfinv_grad(op, grad):
    """grad * sqrt(pi) / 2 * exp(erfinv(x)^2)."""
    root_pi_over_two = constant(np.sqrt(np.pi) / 2, dtype=grad.dtype)
    with after_grad(grad):
        return grad * root_pi_over_two * math_ops.exp(math_ops.square(op.outputs[0]))


@_unary("Ndtri", FLOAT_TYPES)
def ndtri(x):
    return _in_float(torch.special.ndtri, x)


@register_gradient("Ndtri")
def _ndtri_grad(op, grad):
    """grad * sqrt(2 pi) * exp(ndtri(x)^2 / 2)."""
    root_two_pi = constant(np.sqrt(2 * np.pi), dtype=grad.dtype)
    with after_grad(grad):
        return grad * root_two_pi * math_ops.exp(math_ops.square(op.outputs[0]) / 2.0)


@_unary("BesselI0e", FLOAT_TYPES)
def bessel_i0e(x):
    return _in_float(torch.special.i0e, x)


@_unary("BesselI1e", FLOAT_TYPES)
def bessel_i1e(x):
    return _in_float(torch.special.i1e, x)


@register_gradient("BesselI0e")
def _bessel_i0e_grad(op, grad):
    """grad * (i1e(x) - sign(x) * i0e(x)), i1e built as tf.math.special.bessel_i1e builds it."""
    x = op.inputs[0]
    y = op.outputs[0]
    with after_grad(grad):
        with graph_lib.name_scope("bessel_i1e"):
            i1e = raw_op("BesselI1e", x=x)
        partial_x = i1e - math_ops.sign(x) * y
        return grad * partial_x


@register_gradient("BesselI1e")
def _bessel_i1e_grad(op, grad):
    """grad * (i0e(x) - y * (sign(x) + 1/x)), 0.5 at x = 0 (where the formula divides by zero)."""
    x = op.inputs[0]
    y = op.outputs[0]
    with after_grad(grad):
        is_zero = math_ops.equal(x, 0.0)
        half = math_ops.cast(0.5, x.dtype)
        with graph_lib.name_scope("bessel_i0e"):
            i0e = raw_op("BesselI0e", x=x)
        dy_dx = array_ops.where_v2(is_zero, half, i0e - y * (math_ops.sign(x) + math_ops.reciprocal(x)))
        return grad * dy_dx


@_unary("Erfc", FLOAT_TYPES)
def erfc(x):
    return torch.erfc(x)


@register_gradient("Erfc")
def _erfc_grad(op, grad):
    """-grad * 2 / sqrt(pi) * exp(-x^2)."""
    x = op.inputs[0]
    minus_two_over_root_pi = constant(-2 / np.sqrt(np.pi), dtype=grad.dtype)
    with after_grad(grad):
        x = conj_if_complex(x)
        return grad * minus_two_over_root_pi * math_ops.exp(-math_ops.square(x))


@_unary("Lgamma", FLOAT_TYPES)
def lgamma(x):
    return torch.lgamma(x)


@register_gradient("Lgamma")
def _lgamma_grad(op, grad):
    x = op.inputs[0]
    with after_grad(grad):
        x = conj_if_complex(x)
        return grad * math_ops.digamma(x)


@_unary("Digamma", FLOAT_TYPES)
def digamma(x):
    """digamma(±0) is NaN in TF (a pole; torch gives ∓inf)."""
    return torch.where(x == 0, float("nan"), torch.digamma(x))


@register_gradient("Digamma")
def _digamma_grad(op, grad):
    """grad * polygamma(1, x)."""
    x = op.inputs[0]
    with after_grad(grad):
        x = conj_if_complex(x)
        partial_x = raw_op("Polygamma", a=constant(1, dtype=x.dtype), x=x)
        return grad * partial_x


def _predicate(name):
    return register_op(name, inputs=["x: T"], outputs=["y: bool"], attrs=[FLOAT_TYPES], shape=common_shapes.unchanged)


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
    with after_grad(grad):
        ga = grad / a
        return -conj_if_complex(ga) * y, 0.5 * ga


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
    with after_grad(grad):
        ca = conj_if_complex(a)
        cg = conj_if_complex(grad)
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
    with after_grad(grad):
        ca = conj_if_complex(op.inputs[0])
        cg = conj_if_complex(grad)
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
    with after_grad(grad):
        a = conj_if_complex(op.inputs[0])
        b = conj_if_complex(op.inputs[1])
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
    with after_grad(grad):
        a = conj_if_complex(op.inputs[0])
        b = conj_if_complex(op.inputs[1])
        gb = grad * b
        return gb - 2.0 * gb * a, raw_op("SigmoidGrad", y=a, dy=grad)


# ---------------------------------------------------------------------------------------------
# Polygamma (Digamma's gradient) and Zeta


def _zeta(s, q):
    """Hurwitz zeta as TF's (Eigen's) kernel: 0 at q = inf; at a pole q = 0, -1, ... it is inf only for
    an even integer s (torch gives inf for every s > 1)."""
    z = torch.special.zeta(s, q)
    above_one = s > 1
    pole = (q <= 0) & (torch.floor(q) == q) & above_one & ~((torch.floor(s) == s) & (torch.fmod(s, 2) == 0))
    z = torch.where(pole, float("nan"), z)
    return torch.where(torch.isposinf(q) & above_one, 0.0, z)


@register_op(
    "Polygamma", inputs=["a: T", "x: T"], outputs=["z: T"], attrs=["T: {float, double}"], shape=broadcast_shape
)
@broadcasting
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
    with after_grad(grad):
        n = conj_if_complex(n)
        x = conj_if_complex(x)
        partial_x = raw_op("Polygamma", a=n + 1, x=x)
        return None, array_ops.reshape(math_ops.reduce_sum(partial_x * grad, rx), sx)


@register_op("Zeta", inputs=["x: T", "q: T"], outputs=["z: T"], attrs=["T: {float, double}"], shape=broadcast_shape)
@broadcasting
def zeta(x, q):
    """The Hurwitz zeta function, sum over n >= 0 of (q + n)^-x (NaN for x < 1, as Eigen's)."""
    return _zeta(x, q)


@register_gradient("Zeta")
def _zeta_grad(op, grad):
    """-x * zeta(x + 1, q) * grad for q; TF gives none for x."""
    x, q = op.inputs
    sx = array_ops.shape(x)
    sq = array_ops.shape(q)
    _, rq = raw_op("BroadcastGradientArgs", s0=sx, s1=sq)
    with after_grad(grad):
        x = conj_if_complex(x)
        q = conj_if_complex(q)
        partial_q = -x * raw_op("Zeta", x=x + 1, q=q)
        return None, array_ops.reshape(math_ops.reduce_sum(partial_q * grad, rq), sq)


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
def _cast_value(op, index, partial):
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
    "Angle", inputs=["input: T"], outputs=["output: Tout"], attrs=_COMPLEX_PART_ATTRS, shape=common_shapes.unchanged
)
def angle(input):
    """atan2(imag, real) (so a negative real with a -0 imaginary part is -pi, as std::arg gives)."""
    return torch.atan2(input.imag, input.real)


@register_gradient("Angle")
def _angle_grad(op, grad):
    """-grad / (Im(x) + i Re(x))."""
    x = op.inputs[0]
    with graph_lib.control_dependencies([grad]):
        re = math_ops.real(x)
        im = math_ops.imag(x)
        z = math_ops.reciprocal(_complex(im, re))
        zero = constant(0, dtype=grad.dtype)
        complex_grad = _complex(grad, zero)
        return -complex_grad * z


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
    shape=broadcast_shape,
)
@broadcasting
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
