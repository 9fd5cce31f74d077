"""glibc's single-precision math, bit for bit, as torch float64 operations (on any device).

TensorFlow's CPU kernels call glibc's ``logf``, ``sincosf``, ``expf`` and ``powf`` (Box-Muller, the gamma and
Poisson samplers). Since glibc 2.28 these are ARM's optimized-routines algorithms: a small table, a
polynomial and a range reduction evaluated in double, rounded once to float. They are not correctly
rounded (up to 0.56-0.82 ulp), so reproducing TF's numbers needs their exact algorithms; plain float64
operations in glibc's order give glibc's results (checked exhaustively for Box-Muller's 2**23 inputs, and
against the C library in tests/ops/test_glibc_math.py). glibc 2.41 and later replace some of these with
correctly rounded versions; TF's numbers change with them.

``sqrtf`` is IEEE's correctly rounded square root, which torch's CPU sqrt is not always.
"""

from __future__ import annotations

import math

import torch

from torchmeta.ops.philox import MASK32

__all__ = ["logf", "sincosf", "sqrtf", "expf", "powf"]

_F64 = torch.float64


def _table(pairs):
    return [tuple(float.fromhex(v) for v in pair) for pair in pairs]


# e_logf_data.c: (invc, logc) for 16 subintervals, ln2, polynomial.
_LOGF_TAB = _table(
    [
        ("0x1.661ec79f8f3bep+0", "-0x1.57bf7808caadep-2"),
        ("0x1.571ed4aaf883dp+0", "-0x1.2bef0a7c06ddbp-2"),
        ("0x1.49539f0f010bp+0", "-0x1.01eae7f513a67p-2"),
        ("0x1.3c995b0b80385p+0", "-0x1.b31d8a68224e9p-3"),
        ("0x1.30d190c8864a5p+0", "-0x1.6574f0ac07758p-3"),
        ("0x1.25e227b0b8eap+0", "-0x1.1aa2bc79c81p-3"),
        ("0x1.1bb4a4a1a343fp+0", "-0x1.a4e76ce8c0e5ep-4"),
        ("0x1.12358f08ae5bap+0", "-0x1.1973c5a611cccp-4"),
        ("0x1.0953f419900a7p+0", "-0x1.252f438e10c1ep-5"),
        ("0x1p+0", "0x0p+0"),
        ("0x1.e608cfd9a47acp-1", "0x1.aa5aa5df25984p-5"),
        ("0x1.ca4b31f026aap-1", "0x1.c5e53aa362eb4p-4"),
        ("0x1.b2036576afce6p-1", "0x1.526e57720db08p-3"),
        ("0x1.9c2d163a1aa2dp-1", "0x1.bc2860d22477p-3"),
        ("0x1.886e6037841edp-1", "0x1.1058bc8a07ee1p-2"),
        ("0x1.767dcf5534862p-1", "0x1.4043057b6ee09p-2"),
    ]
)
_LN2 = float.fromhex("0x1.62e42fefa39efp-1")
_LOGF_A = [float.fromhex(v) for v in ("-0x1.00ea348b88334p-2", "0x1.5575b0be00b6ap-2", "-0x1.ffffef20a4123p-2")]

_tables: dict = {}


def _const(name: str, values, device) -> torch.Tensor:
    key = (name, device)
    t = _tables.get(key)
    if t is None:
        t = _tables[key] = torch.tensor(values, dtype=_F64, device=device)
    return t


def logf(x: torch.Tensor) -> torch.Tensor:
    """glibc's logf (e_logf.c) for float32 ``x`` that is zero (-inf) or positive and normal: equal to glibc's."""
    ix = x.view(torch.int32).to(torch.int64) & MASK32
    tmp = ix - 0x3F330000
    i = (tmp >> 19) & 15
    k = (tmp >> 23).to(_F64)  # tmp is the signed 32-bit value here: an arithmetic shift
    iz = (ix - ((tmp & MASK32) & 0xFF800000)) & MASK32
    z = iz.to(torch.int32).view(torch.float32).to(_F64)
    invc = _const("logf_invc", [a for a, _ in _LOGF_TAB], x.device)[i]
    logc = _const("logf_logc", [b for _, b in _LOGF_TAB], x.device)[i]
    r = z * invc - 1.0
    y0 = logc + k * _LN2
    r2 = r * r
    y = _LOGF_A[1] * r + _LOGF_A[2]
    y = _LOGF_A[0] * r2 + y
    y = y * r2 + (y0 + r)
    return torch.where(x == 0, -math.inf, y.to(torch.float32))


# s_sincosf_data.c (the non-TOINT_INTRINSICS layout x86-64 uses): 2/pi * 2**24, pi/2, cos and sin polys.
_SC = {
    name: float.fromhex(v)
    for name, v in (
        ("hpi_inv", "0x1.45F306DC9C883p+23"),
        ("hpi", "0x1.921FB54442D18p0"),
        ("c0", "0x1p0"),
        ("c1", "-0x1.ffffffd0c621cp-2"),
        ("c2", "0x1.55553e1068f19p-5"),
        ("c3", "-0x1.6c087e89a359dp-10"),
        ("c4", "0x1.99343027bf8c3p-16"),
        ("s1", "-0x1.555545995a603p-3"),
        ("s2", "0x1.1107605230bc4p-7"),
        ("s3", "-0x1.994eb3774cf24p-13"),
    )
}
_ABSTOP12_PIO4 = 0x3F4  # abstop12(0x1.921FB6p-1f)
_ABSTOP12_TINY = 0x398  # abstop12(0x1p-12f)


def sincosf(v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """glibc's sincosf (s_sincosf.c) for float32 ``v`` with |v| < 120: (sin, cos) equal to glibc's."""
    x = v.to(_F64)
    top = (v.view(torch.int32).to(torch.int64) >> 20) & 0x7FF
    # reduce_fast: the quadrant n from x * (2/pi * 2**24), then x - n * pi/2.
    n = ((x * _SC["hpi_inv"]).to(torch.int32).to(torch.int64) + 0x800000) >> 24
    small = top < _ABSTOP12_PIO4
    n = torch.where(small, torch.zeros_like(n), n)
    xr = torch.where(small, x, x - n.to(_F64) * _SC["hpi"])
    # sin's sign per quadrant; quadrants 2 and 3 use the negated cosine polynomial.
    sign = 1.0 - 2.0 * (((n + 1) >> 1) & 1).to(_F64)
    cos_sign = 1.0 - 2.0 * ((n >> 1) & 1).to(_F64)
    xs = xr * sign
    x2 = xr * xr
    x4 = x2 * x2
    x3 = x2 * xs
    c2 = cos_sign * _SC["c3"] + x2 * (cos_sign * _SC["c4"])
    s1 = _SC["s2"] + x2 * _SC["s3"]
    c1 = cos_sign * _SC["c0"] + x2 * (cos_sign * _SC["c1"])
    x5 = x3 * x2
    x6 = x4 * x2
    s = xs + x3 * _SC["s1"]
    c = c1 + x4 * (cos_sign * _SC["c2"])
    sin_poly = (s + x5 * s1).to(torch.float32)
    cos_poly = (c + x6 * c2).to(torch.float32)
    odd = (n & 1) == 1
    sin_v = torch.where(odd, cos_poly, sin_poly)
    cos_v = torch.where(odd, sin_poly, cos_poly)
    tiny = top < _ABSTOP12_TINY
    return torch.where(tiny, v, sin_v), torch.where(tiny, torch.ones_like(v), cos_v)


def sqrtf(x: torch.Tensor) -> torch.Tensor:
    """Correctly rounded float32 sqrt of non-negative finite ``x`` (C's ``sqrtf``).

    torch's CPU sqrt is off by one ulp for ~0.7% of inputs (float32 and float64 alike), so the float64 result
    rounded to float32 is only a candidate: it is moved to the neighbour whose rounding interval holds
    sqrt(x), decided with exact float64 squares of the interval's ends (25-bit numbers).
    """
    s = torch.sqrt(x.to(_F64)).to(torch.float32)
    bits = s.view(torch.int32).to(torch.int64)
    exponent = (bits >> 23) & 0xFF
    half_ulp = ((exponent - 151 + 1023).clamp_min(1) << 52).view(_F64)
    below = torch.where((bits & 0x7FFFFF) == 0, half_ulp * 0.5, half_ulp)  # a power of two: finer below
    s64, x64 = s.to(_F64), x.to(_F64)
    up = x64 >= (s64 + half_ulp) * (s64 + half_ulp)
    down = x64 < (s64 - below) * (s64 - below)
    step = up.to(torch.int32) - down.to(torch.int32)
    fixed = (s.view(torch.int32) + step).view(torch.float32)
    return torch.where(s > 0, fixed, s)


# e_exp2f_data.c: 2^(i/32) table (as bit patterns minus i << 47), shifts and polynomials.
_EXP2F_TAB = [
    0x3FF0000000000000, 0x3FEFD9B0D3158574, 0x3FEFB5586CF9890F, 0x3FEF9301D0125B51,
    0x3FEF72B83C7D517B, 0x3FEF54873168B9AA, 0x3FEF387A6E756238, 0x3FEF1E9DF51FDEE1,
    0x3FEF06FE0A31B715, 0x3FEEF1A7373AA9CB, 0x3FEEDEA64C123422, 0x3FEECE086061892D,
    0x3FEEBFDAD5362A27, 0x3FEEB42B569D4F82, 0x3FEEAB07DD485429, 0x3FEEA47EB03A5585,
    0x3FEEA09E667F3BCD, 0x3FEE9F75E8EC5F74, 0x3FEEA11473EB0187, 0x3FEEA589994CCE13,
    0x3FEEACE5422AA0DB, 0x3FEEB737B0CDC5E5, 0x3FEEC49182A3F090, 0x3FEED503B23E255D,
    0x3FEEE89F995AD3AD, 0x3FEEFF76F2FB5E47, 0x3FEF199BDD85529C, 0x3FEF3720DCEF9069,
    0x3FEF5818DCFBA487, 0x3FEF7C97337B9B5F, 0x3FEFA4AFA2A490DA, 0x3FEFD0765B6E4540,
]  # fmt: skip
_EXP2F_N = 32
_EXP2F_SHIFT = float.fromhex("0x1.8p+52")
_EXP2F_SHIFT_SCALED = _EXP2F_SHIFT / _EXP2F_N
_EXP2F_POLY = [float.fromhex(v) for v in ("0x1.c6af84b912394p-5", "0x1.ebfce50fac4f3p-3", "0x1.62e42ff0c52d6p-1")]
_EXP2F_POLY_SCALED = [
    _EXP2F_POLY[0] / _EXP2F_N / _EXP2F_N / _EXP2F_N,
    _EXP2F_POLY[1] / _EXP2F_N / _EXP2F_N,
    _EXP2F_POLY[2] / _EXP2F_N,
]
_INVLN2_SCALED = float.fromhex("0x1.71547652b82fep+0") * _EXP2F_N


def _exp2_table(ki: torch.Tensor, sign_bias: int = 0) -> torch.Tensor:
    """s = 2^(k/N) from the table: T[k % N] + (k + sign_bias) << (52 - 5), as a double."""
    table = _int_const("exp2f_tab", _EXP2F_TAB, ki.device)
    t = table[ki & (_EXP2F_N - 1)] + ((ki + sign_bias) << 47)
    return t.view(_F64)


def expf(x: torch.Tensor) -> torch.Tensor:
    """glibc's expf (e_expf.c) for float32 ``x``: over/underflow as glibc, without errno."""
    xd = x.to(_F64)
    z = _INVLN2_SCALED * xd
    kd = z + _EXP2F_SHIFT  # rounds to an integer in double
    ki = kd.view(torch.int64)
    kd = kd - _EXP2F_SHIFT
    r = z - kd
    s = _exp2_table(ki)
    c = _EXP2F_POLY_SCALED
    zz = c[0] * r + c[1]
    r2 = r * r
    y = c[2] * r + 1.0
    y = zz * r2 + y
    y = (y * s).to(torch.float32)
    y = torch.where(x > float.fromhex("0x1.62e42ep6"), math.inf, y)
    y = torch.where(x < float.fromhex("-0x1.9fe368p6"), 0.0, y)
    return torch.where(torch.isnan(x), x, y)


# e_powf_log2_data.c (POWF_SCALE = 1 without TOINT_INTRINSICS): (invc, log2(c)) and the log2 polynomial.
_POWF_TAB = [
    (float.fromhex(a), float.fromhex(b))
    for a, b in (
        ("0x1.661ec79f8f3bep+0", "-0x1.efec65b963019p-2"),
        ("0x1.571ed4aaf883dp+0", "-0x1.b0b6832d4fca4p-2"),
        ("0x1.49539f0f010bp+0", "-0x1.7418b0a1fb77bp-2"),
        ("0x1.3c995b0b80385p+0", "-0x1.39de91a6dcf7bp-2"),
        ("0x1.30d190c8864a5p+0", "-0x1.01d9bf3f2b631p-2"),
        ("0x1.25e227b0b8eap+0", "-0x1.97c1d1b3b7afp-3"),
        ("0x1.1bb4a4a1a343fp+0", "-0x1.2f9e393af3c9fp-3"),
        ("0x1.12358f08ae5bap+0", "-0x1.960cbbf788d5cp-4"),
        ("0x1.0953f419900a7p+0", "-0x1.a6f9db6475fcep-5"),
        ("0x1p+0", "0x0p+0"),
        ("0x1.e608cfd9a47acp-1", "0x1.338ca9f24f53dp-4"),
        ("0x1.ca4b31f026aap-1", "0x1.476a9543891bap-3"),
        ("0x1.b2036576afce6p-1", "0x1.e840b4ac4e4d2p-3"),
        ("0x1.9c2d163a1aa2dp-1", "0x1.40645f0c6651cp-2"),
        ("0x1.886e6037841edp-1", "0x1.88e9c2c1b9ff8p-2"),
        ("0x1.767dcf5534862p-1", "0x1.ce0a44eb17bccp-2"),
    )
]
_POWF_POLY = [
    float.fromhex(v)
    for v in (
        "0x1.27616c9496e0bp-2",
        "-0x1.71969a075c67ap-2",
        "0x1.ec70a6ca7baddp-2",
        "-0x1.7154748bef6c8p-1",
        "0x1.71547652ab82bp0",
    )
]


def _log2_inline(ix: torch.Tensor) -> torch.Tensor:
    tmp = (ix - 0x3F330000) & MASK32
    i = (tmp >> 19) & 15
    top = tmp & 0xFF800000
    iz = (ix - top) & MASK32
    k = (top - ((top >> 31) << 32)) >> 23  # (int32) top >> 23
    invc = _const("powf_invc", [a for a, _ in _POWF_TAB], ix.device)[i]
    logc = _const("powf_logc", [b for _, b in _POWF_TAB], ix.device)[i]
    z = iz.to(torch.int32).view(torch.float32).to(_F64)
    a = _POWF_POLY
    r = z * invc - 1.0
    y0 = logc + k.to(_F64)
    r2 = r * r
    y = a[0] * r + a[1]
    p = a[2] * r + a[3]
    r4 = r2 * r2
    q = a[4] * r + y0
    q = p * r2 + q
    return y * r4 + q


def powf(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """glibc's powf (e_powf.c) for float32 ``x >= 0`` (normal or zero) and finite ``y``."""
    ix = x.view(torch.int32).to(torch.int64) & MASK32
    ylogx = y.to(_F64) * _log2_inline(ix)
    # exp2_inline without the sign bias (x >= 0).
    kd = ylogx + _EXP2F_SHIFT_SCALED
    ki = kd.view(torch.int64)
    kd = kd - _EXP2F_SHIFT_SCALED
    r = ylogx - kd
    s = _exp2_table(ki)
    c = _EXP2F_POLY
    z = c[0] * r + c[1]
    r2 = r * r
    out = c[2] * r + 1.0
    out = z * r2 + out
    out = (out * s).to(torch.float32)
    out = torch.where(ylogx <= -150.0, 0.0, out)
    out = torch.where(ylogx > float.fromhex("0x1.fffffffd1d571p+6"), math.inf, out)
    zero = x == 0
    out = torch.where(zero & (y > 0), 0.0, torch.where(zero & (y < 0), math.inf, out))
    return torch.where(y == 0, 1.0, out)


def _int_const(name: str, values, device) -> torch.Tensor:
    key = (name, device)
    t = _tables.get(key)
    if t is None:
        t = _tables[key] = torch.tensor(
            [v - (1 << 64) if v >= 1 << 63 else v for v in values], dtype=torch.int64, device=device
        )
    return t
