"""Samples for the special functions (torchmeta/ops/special_math_ops.py), Zeta and Xlogy/Xlog1py/Xdivy.

TF's single-precision kernels run Cephes' float algorithms and ours compute in double, so float32 samples
allow the float algorithms' documented error (Betainc: 3.7e-5 peak); J and Y stay below |x| = 1e4, above which
TF's float32 argument reduction loses digits (see special_math_ops.py).
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

from tests.ops.harness import Sample

f16, f32, f64 = np.float16, np.float32, np.float64
bf16 = ml_dtypes.bfloat16
NAN, INF = np.nan, np.inf
HALF = {"rtol": 1e-2, "atol": 1e-2}

_rng = np.random.default_rng(17)


def _uniform(low, high, *shape, dtype=f32):
    return _rng.uniform(low, high, shape).astype(dtype)


def a(values, dtype=f32):
    return np.array(values, dtype)


_UNARY = ("BesselI0", "BesselI1", "BesselK0", "BesselK0e", "BesselK1", "BesselK1e", "BesselJ0", "BesselJ1")
_UNARY += ("BesselY0", "BesselY1", "FresnelCos", "FresnelSin", "Dawsn", "Expint", "Spence")
_SPECIAL_X = a([-INF, -40.0, -3.5, -1.0, -0.0, 0.0, 1e-20, 0.3, 1.0, 1.6, 2.5, 3.3, 6.5, 20.0, 70.0, INF, NAN])
# Large arguments in double only: TF's float32 kernels reduce cos/sin arguments in single precision (J0(9000) is
# off by 0.2%, FresnelCos(9000) by 7e-5).
_SPECIAL_X64 = np.concatenate([_SPECIAL_X.astype(f64), [9000.0, 1e5, 4e4]])
_HALF_KERNELS = {op for op in _UNARY if op.startswith("Bessel")}  # TF has no CPU half kernel for the others


def _unary_samples():
    out = []
    for op in _UNARY:
        out += [
            Sample(op, {"x": _uniform(0.1, 12.0, 3, 4)}),
            Sample(op, {"x": _uniform(-12.0, 12.0, 2, 5).astype(f64)}, id="f64"),
            Sample(op, {"x": _SPECIAL_X}, id="special", grad=False),
            Sample(op, {"x": _SPECIAL_X64}, id="special-f64", grad=False),
            Sample(op, {"x": a([], f32).reshape(0, 3)}, id="empty"),
            Sample(op, {"x": f32(1.25)}, id="scalar"),
            Sample(op, {"x": _uniform(0.5, 3.0, 2, 3)}, fed={"x": [None, 3]}, id="unknown-dim"),
            Sample(op, {"x": _uniform(0.5, 3.0, 2, 3)}, fed={"x": None}, id="unknown-rank"),
        ]
        if op in _HALF_KERNELS:
            out.append(Sample(op, {"x": _uniform(0.2, 4.0, 5).astype(f16)}, id="f16", **HALF))
    # The gradients' special cases: where_v2 at x = 0 (I1, J1), x = 1 (Spence).
    out += [
        Sample("BesselI1", {"x": a([0.0, 0.5, -2.0])}, id="grad-at-zero"),
        Sample("BesselJ1", {"x": a([0.0, 0.5, -2.0])}, id="grad-at-zero"),
        Sample("Spence", {"x": a([1.0, 0.5, 2.0])}, id="grad-at-one"),
    ]
    return out


# a, x pairs across the series / continued-fraction boundary (x > 1 and x > a), the domain's edges and NaN.
_IGAMMA_A = a([0.5, 1.0, 3.0, 3.0, 20.0, 0.01, 100.0, 2.0, 0.0, -1.0, 1.0, NAN, 2.0, INF, 5.0])
_IGAMMA_X = a([0.2, 1.0, 2.0, 9.0, 25.0, 0.5, 90.0, 0.0, 1.0, 1.0, -1.0, 1.0, NAN, 1.0, INF])


def _igamma_samples():
    out = []
    for op in ("Igamma", "Igammac"):
        out += [
            Sample(op, {"a": _uniform(0.1, 10.0, 2, 3), "x": _uniform(0.0, 12.0, 3)}, id="broadcast", rtol=2e-5),
            Sample(op, {"a": _uniform(0.1, 30.0, 4, 1).astype(f64), "x": _uniform(0, 40, 5).astype(f64)}, id="f64"),
            Sample(op, {"a": _IGAMMA_A, "x": _IGAMMA_X}, id="special", grad=False),
            Sample(op, {"a": _IGAMMA_A.astype(f64), "x": _IGAMMA_X.astype(f64)}, id="special-f64", grad=False),
            Sample(op, {"a": a([], f32), "x": f32(1.0)}, id="empty"),
            Sample(op, {"a": f32(2.5), "x": f32(1.5)}, id="scalar"),
            Sample(
                op,
                {"a": _uniform(0.5, 4, 2, 3), "x": _uniform(0.1, 5, 3)},
                fed={"a": [None, 3], "x": None},
                id="unknown",
                rtol=2e-5,
            ),
        ]
    out += [
        Sample("IgammaGradA", {"a": _uniform(0.1, 10.0, 3, 4), "x": _uniform(0.0, 12.0, 4)}, rtol=1e-4),
        Sample(
            "IgammaGradA", {"a": _uniform(0.1, 30, 4, 1).astype(f64), "x": _uniform(0, 40, 5).astype(f64)}, id="f64"
        ),
        Sample("IgammaGradA", {"a": _IGAMMA_A.astype(f64), "x": _IGAMMA_X.astype(f64)}, id="special-f64"),
        Sample("IgammaGradA", {"a": a([], f64), "x": f64(1.0)}, id="empty"),
        Sample("Zeta", {"x": _uniform(1.1, 8.0, 2, 3), "q": _uniform(0.2, 6.0, 3)}, id="broadcast"),
        Sample("Zeta", {"x": _uniform(1.1, 8, 3).astype(f64), "q": _uniform(-4, 6, 3).astype(f64)}, id="f64"),
        Sample(
            "Zeta",
            {
                "x": a([2.0, 3.0, 2.0, 0.5, 1.0, NAN, 2.0, 4.0], f64),
                "q": a([0.0, -1.0, -2.0, 1.0, 1.0, 1.0, INF, -2.5], f64),
            },
            id="special",
            grad=False,
        ),
        Sample("Zeta", {"x": a([], f32), "q": f32(1.0)}, id="empty"),
    ]
    return out


def _betainc_samples():
    av, bv, xv = _uniform(0.1, 20, 12), _uniform(0.1, 20, 12), _uniform(0.0, 1.0, 12)
    edges_a = a([1.0, 2.0, 0.5, 0.0, -1.0, 2.0, 1.0, NAN, 50.0, 0.001, 3.0, 3.0])
    edges_b = a([1.0, 3.0, 0.5, 2.0, 2.0, 0.0, 1.0, 1.0, 0.5, 1000.0, 3.0, 3.0])
    edges_x = a([0.0, 1.0, 0.5, 0.5, 0.5, 0.5, -0.1, 0.5, 0.999, 0.001, 1.2, NAN])
    return [
        Sample("Betainc", {"a": av, "b": bv, "x": xv}, rtol=5e-5),
        Sample("Betainc", {"a": av.astype(f64), "b": bv.astype(f64), "x": xv.astype(f64)}, id="f64"),
        Sample("Betainc", {"a": edges_a, "b": edges_b, "x": edges_x}, id="special", grad=False, rtol=5e-5),
        Sample(
            "Betainc", {"a": edges_a.astype(f64), "b": edges_b.astype(f64), "x": edges_x.astype(f64)}, id="edges-f64"
        ),
        Sample("Betainc", {"a": f32(2.0), "b": f32(3.0), "x": xv.reshape(3, 4)}, id="scalar-ab", rtol=5e-5),
        Sample("Betainc", {"a": av.reshape(3, 4), "b": f32(0.5), "x": f32(0.3)}, id="scalar-bx", rtol=5e-5),
        Sample("Betainc", {"a": av.reshape(2, 6), "b": bv.reshape(2, 6), "x": f32(0.7)}, id="scalar-x", rtol=5e-5),
        Sample("Betainc", {"a": f64(2.0), "b": f64(3.0), "x": f64(0.25)}, id="scalar"),
        Sample("Betainc", {"a": a([], f32), "b": a([], f32), "x": a([], f32)}, id="empty"),
        Sample("Betainc", {"a": av, "b": bv, "x": xv}, fed={"a": None, "b": [None]}, id="unknown", rtol=5e-5),
        Sample(
            "Betainc", {"a": f32(1.5), "b": f32(2.0), "x": xv}, fed={"a": None, "b": None}, id="unknown-rank-scalars"
        ),
    ]


_XY_X = a([0.0, -0.0, 0.0, 0.0, 1.0, 2.0, -1.5, NAN, INF, 3.0])
_XY_Y = a([NAN, INF, 0.0, -1.0, 0.0, -1.0, 2.0, 1.0, 0.5, 1e-30])


def _xlogy_samples():
    out = []
    for op in ("Xlogy", "Xlog1py", "Xdivy"):
        positive = _uniform(0.1, 3.0, 3)
        out += [
            Sample(op, {"x": _uniform(-2, 2, 2, 3), "y": positive}, id="broadcast"),
            Sample(op, {"x": _uniform(-2, 2, 4, 1).astype(f64), "y": _uniform(0.1, 3, 2).astype(f64)}, id="f64"),
            Sample(op, {"x": _XY_X, "y": _XY_Y}, id="special", grad=False),
            Sample(op, {"x": _uniform(-2, 2, 3).astype(f16), "y": positive.astype(f16)}, id="f16", **HALF),
            Sample(
                op,
                {"x": a([0, 1 + 1j, 2j], np.complex64), "y": a([NAN, 2 - 1j, 0.5 + 0.5j], np.complex64)},
                id="complex64",
            ),
            Sample(op, {"x": a([], f32), "y": f32(1.0)}, id="empty"),
            Sample(op, {"x": _uniform(-2, 2, 2, 3), "y": positive}, fed={"x": [None, 3], "y": None}, id="unknown"),
        ]
    return out


SAMPLES: list[Sample] = _unary_samples() + _igamma_samples() + _betainc_samples() + _xlogy_samples()
