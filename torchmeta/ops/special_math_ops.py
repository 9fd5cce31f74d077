"""Special functions: the incomplete gamma and beta integrals (Igamma, Igammac, IgammaGradA, Betainc), the
Bessel functions (BesselI0/I1/J0/J1/K0/K0e/K1/K1e/Y0/Y1; I0e/I1e are in ``unary_ops``), the Fresnel
integrals, Dawson's integral, the exponential integral and Spence's integral.

TensorFlow computes these with Eigen's and its own ports of Cephes. The kernels here compute in float64 (and
round to the input dtype): torch's ``special`` functions where torch has the function, otherwise the same
Cephes rational approximations and series TF runs, written out. Gradients mirror ``math_grad.py``.
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta.api import array_ops, math_ops
from torchmeta.framework import common_shapes
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.common_shapes import merge_shapes
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, register_gradient, register_op
from torchmeta.framework.tensor_shape import unknown_shape
from torchmeta.ops.common import invalid
from torchmeta.ops.math_ops import FLOAT_TYPES, after_grad, broadcast_shape, broadcasting

_F64_EPS = float(np.finfo(np.float64).eps)
_MACHEP = _F64_EPS / 2  # Cephes' MACHEP for double: 1 - MACHEP == 1
_BIG = 1.0 / _F64_EPS
_BIGINV = _F64_EPS
_LOG_MAX = float(np.log(np.finfo(np.float64).max))


def _in_double(fn, *args):
    """``fn`` on the arguments in float64 (broadcast), rounded back to the first argument's dtype."""
    dtype = args[0].dtype
    wide = torch.broadcast_tensors(*(t.to(torch.float64) for t in args))
    return fn(*wide).to(dtype)


def _polevl(x, coefficients):
    """Horner's rule, highest degree first (Cephes' polevl / Eigen's ppolevl)."""
    result = torch.full_like(x, coefficients[0])
    for c in coefficients[1:]:
        result = result * x + c
    return result


def _unary(name):
    return register_op(name, inputs=["x: T"], outputs=["y: T"], attrs=[FLOAT_TYPES], shape=common_shapes.unchanged)


def _scoped(op_type, x, scope):
    """``special_math_ops.<scope>(x)`` as TF's gradients call it: the op under ``name_scope(scope)``."""
    with graph_lib.name_scope(scope):
        return raw_op(op_type, x=x)


# ---------------------------------------------------------------------------------------------
# Incomplete gamma integrals


def _main_igamma_term(a, x):
    """``x**a * exp(-x) / Gamma(a)``, 0 where it underflows or is NaN (Eigen's main_igamma_term)."""
    log_ax = a * torch.log(x) - x - torch.lgamma(a)
    return torch.where((log_ax < -_LOG_MAX) | torch.isnan(log_ax), 0.0, torch.exp(log_ax))


def _igamma_series_der_a(a, x, iterations=500):
    """d/da of the power series of igamma(a, x) (Eigen's igamma_series_impl, DERIVATIVE mode), for x <= 1 or
    x <= a: forward-mode differentiation of ``ans = 1 + sum c_n``, ``c_n = prod x / (a + k)``."""
    ax = _main_igamma_term(a, x) / a
    r, c, ans = a.clone(), torch.ones_like(a), torch.ones_like(a)
    dc_da, dans_da = torch.zeros_like(a), torch.zeros_like(a)
    active = torch.ones_like(a, dtype=torch.bool)
    for _ in range(iterations):
        r = r + 1
        term = x / r
        dc_da = torch.where(active, term * dc_da - x / (r * r) * c, dc_da)
        dans_da = torch.where(active, dans_da + dc_da, dans_da)
        c = torch.where(active, c * term, c)
        ans = torch.where(active, ans + c, ans)
        active = active & ~(dc_da.abs() <= _MACHEP * dans_da.abs())
        if not bool(active.any()):
            break
    dlogax_da = torch.log(x) - torch.digamma(a + 1)
    return torch.where(ax == 0, 0.0, ans * ax * dlogax_da + dans_da * ax)


def _igammac_cf_der_a(a, x, iterations=500):
    """d/da of the continued fraction of igammac(a, x) (Eigen's igammac_cf_impl, DERIVATIVE mode), for
    x > 1 and x > a."""
    ax = _main_igamma_term(a, x)
    zero = torch.zeros_like(a)
    y = 1 - a
    z = x + y + 1
    c = zero
    pkm2, qkm2, pkm1, qkm1 = torch.ones_like(a), x, x + 1, z * x
    ans = pkm1 / qkm1
    dpkm2, dqkm2, dpkm1, dqkm1 = zero, zero, zero, -x
    dans = (dpkm1 - ans * dqkm1) / qkm1
    active = torch.ones_like(a, dtype=torch.bool)
    for _ in range(iterations):
        c, y, z = c + 1, y + 1, z + 2
        yc = y * c
        pk = pkm1 * z - pkm2 * yc
        qk = qkm1 * z - qkm2 * yc
        dpk = dpkm1 * z - pkm1 - dpkm2 * yc + pkm2 * c
        dqk = dqkm1 * z - qkm1 - dqkm2 * yc + qkm2 * c
        update = active & (qk != 0)
        new_ans = torch.where(update, pk / qk, ans)
        new_dans = torch.where(update, (dpk - new_ans * dqk) / qk, dans)
        converged = update & ((new_dans - dans).abs() <= _MACHEP)
        ans, dans = new_ans, new_dans
        rescale = (pk.abs() > _BIG) & active & ~converged
        step = active & ~converged

        def advance(old, new, s=step, k=rescale):
            return torch.where(s, torch.where(k, new * _BIGINV, new), old)

        pkm2, pkm1 = advance(pkm2, pkm1), advance(pkm1, pk)
        qkm2, qkm1 = advance(qkm2, qkm1), advance(qkm1, qk)
        dpkm2, dpkm1 = advance(dpkm2, dpkm1), advance(dpkm1, dpk)
        dqkm2, dqkm1 = advance(dqkm2, dqkm1), advance(dqkm1, dqk)
        active = step
        if not bool(active.any()):
            break
    dax_da = ax * (torch.log(x) - torch.digamma(a))
    value = torch.where(ax == 0, 0.0, ans * dax_da + dans * ax)
    return torch.where(torch.isinf(x), 0.0, value)


def _igamma_der_a(a, x):
    nan = torch.isnan(a) | torch.isnan(x) | (x < 0) | (a <= 0)
    safe_a = torch.where(nan, 1.0, a)
    safe_x = torch.where(nan | (x == 0), 1.0, x)
    use_cf = (safe_x > 1) & (safe_x > safe_a)
    value = torch.where(use_cf, -_igammac_cf_der_a(safe_a, safe_x), _igamma_series_der_a(safe_a, safe_x))
    value = torch.where(nan, float("nan"), value)
    return torch.where(x == 0, 0.0, value)


def _igamma(a, x):
    """Eigen's igamma: 0 at x == 0 (whatever a), NaN for x < 0, a <= 0 or NaN arguments."""
    value = torch.special.gammainc(a, x)
    value = torch.where((x < 0) | (a <= 0) | torch.isnan(a) | torch.isnan(x), float("nan"), value)
    return torch.where(x == 0, 0.0, value)


def _igammac(a, x):
    """Eigen's igammac: NaN for x < 0, a <= 0 or NaN arguments."""
    value = torch.special.gammaincc(a, x)
    return torch.where((x < 0) | (a <= 0) | torch.isnan(a) | torch.isnan(x), float("nan"), value)


@register_op("Igamma", inputs=["a: T", "x: T"], outputs=["z: T"], attrs=[FLOAT_TYPES], shape=broadcast_shape)
@broadcasting
def igamma(a, x):
    """The regularized lower incomplete gamma function P(a, x)."""
    return _in_double(_igamma, a, x)


@register_op("Igammac", inputs=["a: T", "x: T"], outputs=["z: T"], attrs=[FLOAT_TYPES], shape=broadcast_shape)
@broadcasting
def igammac(a, x):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    return _in_double(_igammac, a, x)


@register_op(
    "IgammaGradA", inputs=["a: T", "x: T"], outputs=["z: T"], attrs=["T: {float, double}"], shape=broadcast_shape
)
@broadcasting
def igamma_grad_a(a, x):
    """d igamma(a, x) / da, by forward-mode differentiation of Cephes' series and continued fraction."""
    return _in_double(_igamma_der_a, a, x)


# TF registers no gradient for IgammaGradA.
no_registered_gradient("IgammaGradA")


@register_gradient("Igamma")
def _igamma_grad(op, grad):
    """d/da from IgammaGradA; d/dx = exp(-x + (a - 1) log x - lgamma(a)), both summed back to the inputs."""
    a, x = op.inputs
    sa = array_ops.shape(a)
    sx = array_ops.shape(x)
    ra, rx = raw_op("BroadcastGradientArgs", s0=sa, s1=sx)
    with after_grad(grad):
        partial_a = raw_op("IgammaGradA", a=a, x=x)
        partial_x = math_ops.exp(-x + (a - 1) * math_ops.log(x) - math_ops.lgamma(a))
        return (
            array_ops.reshape(math_ops.reduce_sum(partial_a * grad, ra), sa),
            array_ops.reshape(math_ops.reduce_sum(partial_x * grad, rx), sx),
        )


@register_gradient("Igammac")
def _igammac_grad(op, grad):
    """Minus Igamma's gradient."""
    grad_a, grad_x = _igamma_grad(op, grad)
    return -grad_a, -grad_x


# ---------------------------------------------------------------------------------------------
# Regularized incomplete beta integral


def _incbps(a, b, x):
    """Cephes' power series for incbet (x <= 0.95 and b * x <= 1), run until every term is small."""
    ai = 1.0 / a
    u = (1.0 - b) * x
    v = u / (a + 1.0)
    t1, t, n, s = v, u, torch.full_like(a, 2.0), torch.zeros_like(a)
    z = _MACHEP * ai
    active = v.abs() > z
    while bool(active.any()):
        u = (n - b) * x / n
        t = torch.where(active, t * u, t)
        v = torch.where(active, t / (a + n), v)
        s = torch.where(active, s + v, s)
        n = n + 1.0
        active = active & (v.abs() > z)
    s = s + t1 + ai
    return torch.exp(torch.lgamma(a + b) - torch.lgamma(a) - torch.lgamma(b) + a * torch.log(x) + torch.log(s))


def _incbeta_cfe(a, b, x, small_branch):
    """Cephes' continued fractions #1 (``small_branch``) and #2 for incbet, 300 steps at most."""
    if small_branch:
        k1, k2, k3, k4, k5, k6, k7, k8, k26 = a, a + b, a, a + 1, torch.ones_like(a), b - 1, a + 1, a + 2, 1.0
    else:
        k1, k2, k3, k4, k5, k6, k7, k8, k26 = a, b - 1, a, a + 1, torch.ones_like(a), a + b, a + 1, a + 2, -1.0
        x = x / (1 - x)
    pkm2, qkm2 = torch.zeros_like(a), torch.ones_like(a)
    pkm1, qkm1 = torch.ones_like(a), torch.ones_like(a)
    ans = torch.ones_like(a)
    active = torch.ones_like(a, dtype=torch.bool)
    for _ in range(300):
        xk = -(x * k1 * k2) / (k3 * k4)
        pk, qk = pkm1 + pkm2 * xk, qkm1 + qkm2 * xk
        pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
        xk = (x * k5 * k6) / (k7 * k8)
        pk, qk = pkm1 + pkm2 * xk, qkm1 + qkm2 * xk
        pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
        r = torch.where(qk != 0, pk / torch.where(qk != 0, qk, 1.0), ans)
        converged = active & (qk != 0) & ((ans - r).abs() < r.abs() * 3 * _MACHEP)
        ans = torch.where(active, r, ans)
        active = active & ~converged
        if not bool(active.any()):
            break
        k1, k2, k3, k4 = k1 + 1, k2 + k26, k3 + 2, k4 + 2
        k5, k6, k7, k8 = k5 + 1, k6 - k26, k7 + 2, k8 + 2
        big = (qk.abs() + pk.abs()) > _BIG
        small = (qk.abs() < _BIGINV) | (pk.abs() < _BIGINV)
        scale = torch.where(big, _BIGINV, 1.0) * torch.where(small, _BIG, 1.0)
        pkm2, pkm1, qkm2, qkm1 = pkm2 * scale, pkm1 * scale, qkm2 * scale, qkm1 * scale
    return ans


def _betainc(aa, bb, xx):
    """Cephes' incbet (double), as Eigen's betainc_impl<double>: the power series where it converges fast,
    else a continued fraction, after swapping (a, b, x) -> (b, a, 1 - x) when x is above the mean."""
    nan = (xx < 0) | (xx > 1) | (aa <= 0) | (bb <= 0) | torch.isnan(aa) | torch.isnan(bb) | torch.isnan(xx)
    edge = nan | (xx == 0) | (xx == 1)
    result_at_edge = torch.where(nan, float("nan"), torch.where(xx == 0, 0.0, 1.0))
    aa = torch.where(edge, 1.0, aa)  # placeholders, so the iterations below see only interior points
    bb = torch.where(edge, 1.0, bb)
    xx = torch.where(edge, 0.5, xx)

    direct_series = (bb * xx <= 1.0) & (xx <= 0.95)
    reversed_ab = xx > aa / (aa + bb)
    a = torch.where(reversed_ab, bb, aa)
    b = torch.where(reversed_ab, aa, bb)
    x = torch.where(reversed_ab, 1.0 - xx, xx)
    xc = torch.where(reversed_ab, xx, 1.0 - xx)
    reversed_series = reversed_ab & (b * x <= 1.0) & (x <= 0.95)

    series = _incbps(
        torch.where(direct_series, aa, a), torch.where(direct_series, bb, b), torch.where(direct_series, xx, x)
    )
    small_branch = x * (a + b - 2.0) - (a - 1.0) < 0
    w = torch.where(small_branch, _incbeta_cfe(a, b, x, True), _incbeta_cfe(a, b, x, False) / xc)
    log_t = a * torch.log(x) + b * torch.log(xc) + torch.lgamma(a + b) - torch.lgamma(a) - torch.lgamma(b)
    t = torch.where(reversed_series, series, torch.exp(log_t + torch.log(w / a)))
    t = torch.where(reversed_ab, torch.where(t <= _MACHEP, 1.0 - _MACHEP, 1.0 - t), t)
    t = torch.where(direct_series, series, t)
    return torch.where(edge, result_at_edge, t)


def _betainc_shape(op):
    """TF's shape function: scalars broadcast, the other inputs' shapes merge."""
    output = unknown_shape()
    num_scalars = 0
    some_non_scalar = None
    for t in op.inputs:
        shape = t.shape
        if shape.rank is None:
            some_non_scalar = shape
        elif shape.rank == 0:
            num_scalars += 1
        else:
            output = merge_shapes(op, output, shape)
            some_non_scalar = output
    if num_scalars == 2:
        output = some_non_scalar
    elif num_scalars == 3:
        output = op.inputs[0].shape
    return [output]


@register_op(
    "Betainc",
    inputs=["a: T", "b: T", "x: T"],
    outputs=["z: T"],
    attrs=["T: {float, double}"],
    shape=_betainc_shape,
)
def betainc(a, b, x):
    """The regularized incomplete beta integral I_x(a, b); a, b and x have one shape or are scalars."""
    shapes = {"a": a.shape, "b": b.shape, "x": x.shape}
    for (n1, s1), (n2, s2) in (
        (("a", shapes["a"]), ("b", shapes["b"])),
        (("a", shapes["a"]), ("x", shapes["x"])),
        (("b", shapes["b"]), ("x", shapes["x"])),
    ):
        if len(s1) > 0 and len(s2) > 0 and s1 != s2:
            raise invalid(
                f"Shapes of {n1} and {n2} are inconsistent: [{','.join(map(str, s1))}] vs. [{','.join(map(str, s2))}]"
            )
    return _in_double(_betainc, a, b, x)


@register_gradient("Betainc")
def _betainc_grad(op, grad):
    """Only d/dx, in log space: exp(xlog1py(b - 1, -x) + xlogy(a - 1, x) - log B(a, b)); none for a and b."""
    a, b, x = op.inputs
    sa = array_ops.shape(a)
    sx = array_ops.shape(x)
    _, rx = raw_op("BroadcastGradientArgs", s0=sa, s1=sx)
    log_beta = raw_op("Lgamma", x=a) + raw_op("Lgamma", x=b) - raw_op("Lgamma", x=a + b)
    partial_x = math_ops.exp(math_ops.xlog1py(b - 1, -x) + math_ops.xlogy(a - 1, x) - log_beta)
    return None, None, array_ops.reshape(math_ops.reduce_sum(partial_x * grad, rx), sx)


# ---------------------------------------------------------------------------------------------
# Bessel functions (torch.special's Cephes ports). Eigen gives K(x < 0) = inf and Y(x < 0) = -inf where torch
# gives NaN. Above |x| ~ 1e4 TF's single-precision J and Y lose digits in float32 argument reduction (J0(1e5)
# is off by 0.4%); these are computed in double there, so they agree with TF's float64 kernels, not its float32.


def _bessel_k(fn):
    return lambda x: torch.where(x < 0, float("inf"), fn(x))


def _bessel_y(fn):
    return lambda x: torch.where(x < 0, float("-inf"), fn(x))


@_unary("BesselI0")
def bessel_i0(x):
    return _in_double(torch.special.modified_bessel_i0, x)


@_unary("BesselI1")
def bessel_i1(x):
    return _in_double(torch.special.modified_bessel_i1, x)


@_unary("BesselK0")
def bessel_k0(x):
    return _in_double(_bessel_k(torch.special.modified_bessel_k0), x)


@_unary("BesselK0e")
def bessel_k0e(x):
    return _in_double(_bessel_k(torch.special.scaled_modified_bessel_k0), x)


@_unary("BesselK1")
def bessel_k1(x):
    return _in_double(_bessel_k(torch.special.modified_bessel_k1), x)


@_unary("BesselK1e")
def bessel_k1e(x):
    return _in_double(_bessel_k(torch.special.scaled_modified_bessel_k1), x)


@_unary("BesselJ0")
def bessel_j0(x):
    return _in_double(torch.special.bessel_j0, x)


@_unary("BesselJ1")
def bessel_j1(x):
    return _in_double(torch.special.bessel_j1, x)


@_unary("BesselY0")
def bessel_y0(x):
    return _in_double(_bessel_y(torch.special.bessel_y0), x)


@_unary("BesselY1")
def bessel_y1(x):
    """Eigen's single-precision Y1 is NaN at 0 (its log(x) * j1(x) term is -inf * 0); double gives -inf."""
    y = _in_double(_bessel_y(torch.special.bessel_y1), x)
    return y if x.dtype == torch.float64 else torch.where(x == 0, float("nan"), y)


@register_gradient("BesselI0")
def _bessel_i0_grad(op, grad):
    with after_grad(grad):
        return grad * _scoped("BesselI1", op.inputs[0], "bessel_i1")


@register_gradient("BesselI1")
def _bessel_i1_grad(op, grad):
    """i0(x) - y / x, 1 at x = 0."""
    x, y = op.inputs[0], op.outputs[0]
    with after_grad(grad):
        dy_dx = array_ops.where_v2(
            math_ops.equal(x, 0.0),
            math_ops.cast(1.0, x.dtype),
            _scoped("BesselI0", x, "bessel_i0") - math_ops.div(y, x),
        )
        return grad * dy_dx


@register_gradient("BesselK0")
def _bessel_k0_grad(op, grad):
    with after_grad(grad):
        return grad * -_scoped("BesselK1", op.inputs[0], "bessel_k1")


@register_gradient("BesselK0e")
def _bessel_k0e_grad(op, grad):
    x, y = op.inputs[0], op.outputs[0]
    with after_grad(grad):
        return grad * (y - _scoped("BesselK1e", x, "bessel_k1e"))


@register_gradient("BesselK1")
def _bessel_k1_grad(op, grad):
    """-k0(x) - y / x (NaN at 0, where the derivative is undefined)."""
    x, y = op.inputs[0], op.outputs[0]
    with after_grad(grad):
        return grad * (-_scoped("BesselK0", x, "bessel_k0") - math_ops.div(y, x))


@register_gradient("BesselK1e")
def _bessel_k1e_grad(op, grad):
    x, y = op.inputs[0], op.outputs[0]
    with after_grad(grad):
        return grad * (y * (1.0 - math_ops.reciprocal(x)) - _scoped("BesselK0e", x, "bessel_k0e"))


@register_gradient("BesselJ0")
def _bessel_j0_grad(op, grad):
    with after_grad(grad):
        return grad * -_scoped("BesselJ1", op.inputs[0], "bessel_j1")


@register_gradient("BesselJ1")
def _bessel_j1_grad(op, grad):
    """j0(x) - y / x, 0.5 at x = 0."""
    x, y = op.inputs[0], op.outputs[0]
    with after_grad(grad):
        dy_dx = array_ops.where_v2(
            math_ops.equal(x, 0.0),
            math_ops.cast(0.5, x.dtype),
            _scoped("BesselJ0", x, "bessel_j0") - math_ops.div(y, x),
        )
        return grad * dy_dx


@register_gradient("BesselY0")
def _bessel_y0_grad(op, grad):
    with after_grad(grad):
        return grad * -_scoped("BesselY1", op.inputs[0], "bessel_y1")


@register_gradient("BesselY1")
def _bessel_y1_grad(op, grad):
    x, y = op.inputs[0], op.outputs[0]
    with after_grad(grad):
        return grad * (_scoped("BesselY0", x, "bessel_y0") - math_ops.div(y, x))


# ---------------------------------------------------------------------------------------------
# Fresnel, Dawson, exponential and Spence integrals (TF's special_math_op_misc_impl.h, from Cephes)

_FRESNEL_SN = (-2.99181919401019853726e3, 7.08840045257738576863e5, -6.29741486205862506537e7,
               2.54890880573376359104e9, -4.42979518059697779103e10, 3.18016297876567817986e11)  # fmt: skip
_FRESNEL_SD = (1.0, 2.81376268889994315696e2, 4.55847810806532581675e4, 5.17343888770096400730e6,
               4.19320245898111231129e8, 2.24411795645340920940e10, 6.07366389490084639049e11)  # fmt: skip
_FRESNEL_CN = (-4.98843114573573548651e-8, 9.50428062829859605134e-6, -6.45191435683965050962e-4,
               1.88843319396703850064e-2, -2.05525900955013891793e-1, 9.99999999999999998822e-1)  # fmt: skip
_FRESNEL_CD = (3.99982968972495980367e-12, 9.15439215774657478799e-10, 1.25001862479598821474e-7,
               1.22262789024179030997e-5, 8.68029542941784300606e-4, 4.12142090722199792936e-2,
               1.00000000000000000118e0)  # fmt: skip
_FRESNEL_FN = (4.21543555043677546506e-1, 1.43407919780758885261e-1, 1.15220955073585758835e-2,
               3.45017939782574027900e-4, 4.63613749287867322088e-6, 3.05568983790257605827e-8,
               1.02304514164907233465e-10, 1.72010743268161828879e-13, 1.34283276233062758925e-16,
               3.76329711269987889006e-20)  # fmt: skip
_FRESNEL_FD = (1.0, 7.51586398353378947175e-1, 1.16888925859191382142e-1, 6.44051526508858611005e-3,
               1.55934409164153020873e-4, 1.84627567348930545870e-6, 1.12699224763999035261e-8,
               3.60140029589371370404e-11, 5.88754533621578410010e-14, 4.52001434074129701496e-17,
               1.25443237090011264384e-20)  # fmt: skip
_FRESNEL_GN = (5.04442073643383265887e-1, 1.97102833525523411709e-1, 1.87648584092575249293e-2,
               6.84079380915393090172e-4, 1.15138826111884280931e-5, 9.82852443688422223854e-8,
               4.45344415861750144738e-10, 1.08268041139020870318e-12, 1.37555460633261799868e-15,
               8.36354435630677421531e-19, 1.86958710162783235106e-22)  # fmt: skip
_FRESNEL_GD = (1.0, 1.47495759925128324529e0, 3.37748989120019970451e-1, 2.53603741420338795122e-2,
               8.14679107184306179049e-4, 1.27545075667729118702e-5, 1.04314589657571990585e-7,
               4.60680728146520428211e-10, 1.10273215066240270757e-12, 1.38796531259578871258e-15,
               8.39158816283118707363e-19, 1.86958710162783236342e-22)  # fmt: skip


def _fresnel(x, use_sin):
    """S(x) or C(x): a rational approximation for x^2 < 2.5625, the auxiliary functions f and g beyond,
    +-0.5 beyond 36974; odd in x."""
    abs_x = x.abs()
    x2 = abs_x * abs_x
    x4 = x2 * x2
    if use_sin:
        near = abs_x * x2 * _polevl(x4, _FRESNEL_SN) / _polevl(x4, _FRESNEL_SD)
    else:
        near = abs_x * _polevl(x4, _FRESNEL_CN) / _polevl(x4, _FRESNEL_CD)
    t = 1.0 / (np.pi * x2)
    u = t * t
    f = 1.0 - u * _polevl(u, _FRESNEL_FN) / _polevl(u, _FRESNEL_FD)
    g = t * _polevl(u, _FRESNEL_GN) / _polevl(u, _FRESNEL_GD)
    z = (np.pi / 2) * x2
    c, s = torch.cos(z), torch.sin(z)
    y = 1.0 / (np.pi * abs_x)
    far = 0.5 - (f * c + g * s) * y if use_sin else 0.5 + (f * s - g * c) * y
    value = torch.where(x2 < 2.5625, near, far)
    value = torch.where(abs_x > 36974.0, 0.5, value)
    return torch.where(x < 0, -value, value)


@_unary("FresnelCos")
def fresnel_cos(x):
    return _in_double(lambda v: _fresnel(v, use_sin=False), x)


@_unary("FresnelSin")
def fresnel_sin(x):
    return _in_double(lambda v: _fresnel(v, use_sin=True), x)


@register_gradient("FresnelCos")
def _fresnel_cos_grad(op, grad):
    with after_grad(grad):
        return grad * math_ops.cos((np.pi / 2.0) * math_ops.square(op.inputs[0]))


@register_gradient("FresnelSin")
def _fresnel_sin_grad(op, grad):
    with after_grad(grad):
        return grad * math_ops.sin((np.pi / 2.0) * math_ops.square(op.inputs[0]))


_DAWSN_AN = (1.13681498971755972054e-11, 8.49262267667473811108e-10, 1.94434204175553054283e-8,
             9.53151741254484363489e-7, 3.07828309874913200438e-6, 3.52513368520288738649e-4,
             -8.50149846724410912031e-4, 4.22618223005546594270e-2, -9.17480371773452345351e-2,
             9.99999999999999994612e-1)  # fmt: skip
_DAWSN_AD = (2.40372073066762605484e-11, 1.48864681368493396752e-9, 5.21265281010541664570e-8,
             1.27258478273186970203e-6, 2.32490249820789513991e-5, 3.25524741826057911661e-4,
             3.48805814657162590916e-3, 2.79448531198828973716e-2, 1.58874241960120565368e-1,
             5.74918629489320327824e-1, 1.00000000000000000539e0)  # fmt: skip
_DAWSN_BN = (5.08955156417900903354e-1, -2.44754418142697847934e-1, 9.41512335303534411857e-2,
             -2.18711255142039025206e-2, 3.66207612329569181322e-3, -4.23209114460388756528e-4,
             3.59641304793896631888e-5, -2.14640351719968974225e-6, 9.10010780076391431042e-8,
             -2.40274520828250956942e-9, 3.59233385440928410398e-11)  # fmt: skip
_DAWSN_BD = (1.0, -6.31839869873368190192e-1, 2.36706788228248691528e-1, -5.31806367003223277662e-2,
             8.48041718586295374409e-3, -9.47996768486665330168e-4, 7.81025592944552338085e-5,
             -4.55875153252442634831e-6, 1.89100358111421846170e-7, -4.91324691331920606875e-9,
             7.18466403235734541950e-11)  # fmt: skip
_DAWSN_CN = (-5.90592860534773254987e-1, 6.29235242724368800674e-1, -1.72858975380388136411e-1,
             1.64837047825189632310e-2, -4.86827613020462700845e-4)  # fmt: skip
_DAWSN_CD = (1.0, -2.69820057197544900361e0, 1.73270799045947845857e0, -3.93708582281939493482e-1,
             3.44278924041233391079e-2, -9.73655226040941223894e-4)  # fmt: skip


def _dawsn(x):
    """Dawson's integral: rational approximations on [0, 3.25), [3.25, 6.25), [6.25, 1e9), 0.5 / x beyond."""
    ax = x.abs()
    x2 = ax * ax
    near = ax * _polevl(x2, _DAWSN_AN) / _polevl(x2, _DAWSN_AD)
    inv2 = 1.0 / x2
    middle = 0.5 * (inv2 * (_polevl(inv2, _DAWSN_BN) / (ax * _polevl(inv2, _DAWSN_BD))) + 1.0 / ax)
    far = 0.5 * (inv2 * (_polevl(inv2, _DAWSN_CN) / (ax * _polevl(inv2, _DAWSN_CD))) + 1.0 / ax)
    value = torch.where(ax < 3.25, near, torch.where(ax < 6.25, middle, torch.where(ax < 1.0e9, far, 0.5 / ax)))
    return torch.where(x < 0, -value, value)


@_unary("Dawsn")
def dawsn(x):
    return _in_double(_dawsn, x)


@register_gradient("Dawsn")
def _dawsn_grad(op, grad):
    x, y = op.inputs[0], op.outputs[0]
    with after_grad(grad):
        return grad * (1.0 - 2 * x * y)


_EXPINT_A = (-5.350447357812542947283e0, 2.185049168816613393830e2, -4.176572384826693777058e3,
             5.541176756393557601232e4, -3.313381331178144034309e5, 1.592627163384945414220e6)  # fmt: skip
_EXPINT_B = (1.0, -5.250547959112862969197e1, 1.259616186786790571525e3, -1.756549581973534652631e4,
             1.493062117002725991967e5, -7.294949239640527645655e5, 1.592627163384945429726e6)  # fmt: skip
# (upper bound of the interval, numerator, denominator) of x exp(-x) Ei(x) - 1 = 1/x N(1/x) / D(1/x).
_EXPINT_TAIL = (
    (4.0, (1.981808503259689673238e-2, -1.271645625984917501326e0, -2.088160335681228318920e0,
           2.755544509187936721172e0, -4.409507048701600257171e-1, 4.665623805935891391017e-2,
           -1.545042679673485262580e-3, 7.059980605299617478514e-5),
          (1.0, 1.476498670914921440652e0, 5.629177174822436244827e-1, 1.699017897879307263248e-1,
           2.291647179034212017463e-2, 4.450150439728752875043e-3, 1.727439612206521482874e-4,
           3.953167195549672482304e-5)),
    (8.0, (-1.373215375871208729803e0, -7.084559133740838761406e-1, 1.580806855547941010501e0,
           -2.601500427425622944234e-1, 2.994674694113713763365e-2, -1.038086040188744005513e-3,
           4.371064420753005429514e-5, 2.141783679522602903795e-6),
          (1.0, 8.585231423622028380768e-1, 4.483285822873995129957e-1, 7.687932158124475434091e-2,
           2.449868241021887685904e-2, 8.832165941927796567926e-4, 4.590952299511353531215e-4,
           -4.729848351866523044863e-6, 2.665195537390710170105e-6)),
    (16.0, (-2.106934601691916512584e0, 1.732733869664688041885e0, -2.423619178935841904839e-1,
            2.322724180937565842585e-2, 2.372880440493179832059e-4, -8.343219561192552752335e-5,
            1.363408795605250394881e-5, -3.655412321999253963714e-7, 1.464941733975961318456e-8,
            6.176407863710360207074e-10),
           (1.0, -2.298062239901678075778e-1, 1.105077041474037862347e-1, -1.566542966630792353556e-2,
            2.761106850817352773874e-3, -2.089148012284048449115e-4, 1.708528938807675304186e-5,
            -4.459311796356686423199e-7, 1.394634930353847498145e-8, 6.150865933977338354138e-10)),
    (32.0, (-2.458119367674020323359e-1, -1.483382253322077687183e-1, 7.248291795735551591813e-2,
            -1.348315687380940523823e-2, 1.342775069788636972294e-3, -7.942465637159712264564e-5,
            2.644179518984235952241e-6, -4.239473659313765177195e-8),
           (1.0, -1.044225908443871106315e-1, -2.676453128101402655055e-1, 9.695000254621984627876e-2,
            -1.601745692712991078208e-2, 1.496414899205908021882e-3, -8.462452563778485013756e-5,
            2.728938403476726394024e-6, -4.239462431819542051337e-8)),
    (64.0, (1.212561118105456670844e-1, -5.823133179043894485122e-1, 2.348887314557016779211e-1,
            -3.040034318113248237280e-2, 1.510082146865190661777e-3, -2.523137095499571377122e-5),
           (1.0, -1.002252150365854016662e0, 2.928709694872224144953e-1, -3.337004338674007801307e-2,
            1.560544881127388842819e-3, -2.523137093603234562648e-5)),
    (float("inf"), (-7.657847078286127362028e-1, 6.886192415566705051750e-1, -2.132598113545206124553e-1,
                    3.346107552384193813594e-2, -3.076541477344756050249e-3, 1.747119316454907477380e-4,
                    -6.103711682274170530369e-6, 1.218032765428652199087e-7, -1.086076102793290233007e-9),
                   (1.0, -1.888802868662308731041e0, 1.066691687211408896850e0, -2.751915982306380647738e-1,
                    3.930852688233823569726e-2, -3.414684558602365085394e-3, 1.866844370703555398195e-4,
                    -6.345146083130515357861e-6, 1.239754287483206878024e-7, -1.086076102793126632978e-9)),
)  # fmt: skip


def _expint(x):
    """The exponential integral Ei(x): x A(x)/B(x) + gamma + log x below 2, then per interval
    exp(x) / x (1 + 1/x N(1/x) / D(1/x)); NaN for x < 0."""
    euler = 0.5772156649015329
    value = x * _polevl(x, _EXPINT_A) / _polevl(x, _EXPINT_B) + euler + torch.log(x)
    w = 1.0 / x
    lower = 2.0
    for upper, numerator, denominator in _EXPINT_TAIL:
        f = w * (_polevl(w, numerator) / _polevl(w, denominator)) + 1.0
        value = torch.where((x >= lower) & (x < upper), torch.exp(x) * w * f, value)
        lower = upper
    return torch.where(x < 0, float("nan"), value)


@_unary("Expint")
def expint(x):
    return _in_double(_expint, x)


@register_gradient("Expint")
def _expint_grad(op, grad):
    x = op.inputs[0]
    with after_grad(grad):
        return grad * math_ops.exp(x) / x


_SPENCE_A = (4.65128586073990045278e-5, 7.31589045238094711071e-3, 1.33847639578309018650e-1,
             8.79691311754530315341e-1, 2.71149851196553469920e0, 4.25697156008121755724e0,
             3.29771340985225106936e0, 1.00000000000000000126e0)  # fmt: skip
_SPENCE_B = (6.90990488912553276999e-4, 2.54043763932544379113e-2, 2.82974860602568089943e-1,
             1.41172597751831069617e0, 3.63800533345137075418e0, 5.03278880143316990390e0,
             3.54771340985225096217e0, 9.99999999999999998740e-1)  # fmt: skip


def _spence(x):
    """Spence's integral (the dilogarithm of 1 - x): pi^2/6 at 0, 0 at 1, NaN below 0."""
    pi2o6 = np.pi * np.pi / 6.0
    y = torch.where(x < 2, x, 1.0 / x)
    w = torch.where(y > 1.5, 1.0 / y - 1.0, torch.where(y < 0.5, -y, y - 1.0))
    value = -w * (_polevl(w, _SPENCE_A) / _polevl(w, _SPENCE_B))
    z = torch.log(y)
    value = torch.where(y < 0.5, -z * torch.log1p(-y) + pi2o6 - value, value)
    value = torch.where(x > 1.5, -0.5 * z * z - value, value)
    value = torch.where(x == 1, 0.0, torch.where(x == 0, pi2o6, value))
    return torch.where(x < 0, float("nan"), value)


@_unary("Spence")
def spence(x):
    return _in_double(_spence, x)


@register_gradient("Spence")
def _spence_grad(op, grad):
    """log(x) / (1 - x), -1 at x = 1."""
    x = op.inputs[0]
    with after_grad(grad):
        partial_x = math_ops.log(x) / (1 - x)
        partial_x = array_ops.where(math_ops.equal(x, 1.0), -array_ops.ones_like(x), partial_x)
        return grad * partial_x
