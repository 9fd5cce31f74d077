"""Samples for math ops: element-wise arithmetic, functions, casts, comparisons, matrix products, Range,
reductions, arg-max/min, scans and segment reductions.

Integer division by zero, negative integer powers and other run-time errors are checked against TF
in tests/api/test_math_ops.py.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

from tests.ops.harness import Sample, randn

f16, f32, f64 = np.float16, np.float32, np.float64
i8, i16, i32, i64, u8 = np.int8, np.int16, np.int32, np.int64, np.uint8
bf16 = ml_dtypes.bfloat16
HALF = {"rtol": 1e-2, "atol": 1e-2}
_NARROW_RNG = np.random.default_rng(11)


def _narrow(*shape):
    return _NARROW_RNG.standard_normal(shape).astype(f32)


NAN, INF = np.nan, np.inf


def a(values, dtype=f32):
    return np.array(values, dtype)


def _ints(*shape, dtype=i32, low=-9, high=10, nonzero=False):
    values = np.random.default_rng(len(shape) + sum(shape)).integers(low, high, shape).astype(dtype)
    if nonzero:
        values[values == 0] = 3
    return values


# Ops TF registers no half-precision CPU kernel for.
_NO_CPU_HALF = {"TruncateMod", "Rint", "Erfinv", "Ndtri"}
_F64_XFAIL = {"Erf": "TF 2.21's CPU Erf for float64 gives NaN at +-inf (its rational approximation); torch gives +-1"}
# Gradient tests skip a sample only where TF cannot build or run its gradient:
# - TF registers no gradient for TruncateMod (tf.gradients raises LookupError; test_math_gradients_tf_runs checks
#   that torchmeta raises it too);
# - Digamma's gradient is a Polygamma, which has no float16 kernel (TF raises TypeError building it; checked there);
# - the xfail of Erf's special-f64 sample is about TF's forward Erf, which the gradient does not use; the
#   special-f64-finite sample covers that gradient.
# - the gradient ops accept dy of another shape with as many elements (flat-dy), but their own gradients in TF
#   broadcast dy against y and fail to build.
_NO_GRADIENT_SAMPLES = {("TruncateMod", None), ("Digamma", "special-f16"), ("Erf", "special-f64")}
_NO_GRADIENT_SAMPLES |= {
    (op, "flat-dy") for op in ("SqrtGrad", "RsqrtGrad", "ReciprocalGrad", "InvGrad", "TanhGrad", "SigmoidGrad")
}

# Every finite/non-finite pairing for binary float ops.
_SPECIAL_X = a([NAN, INF, -INF, 0.0, -0.0, 1.5, -2.5, 3.0, NAN, 7.0, -INF, 0.0])
_SPECIAL_Y = a([1.0, 2.0, 3.0, 0.0, 5.0, 0.0, -0.0, INF, NAN, -INF, -INF, -2.0])


def _binary_samples():
    out = []
    float_ops = ("Add", "AddV2", "Sub", "Mul", "RealDiv", "Div", "FloorDiv", "FloorMod", "TruncateDiv")
    float_ops += ("TruncateMod", "Pow", "Maximum", "Minimum", "SquaredDifference", "MulNoNan", "DivNoNan", "Atan2")
    for op in float_ops:
        xn, yn = ("y", "x") if op == "Atan2" else ("x", "y")
        out += [
            Sample(op, {xn: randn(2, 3), yn: randn(3)}, id="broadcast"),
            Sample(op, {xn: randn(4, 1, 3).astype(f64), yn: randn(2, 1).astype(f64)}, id="f64-broadcast-both"),
            Sample(op, {xn: f32(1.75), yn: f32(-0.5)}, id="scalar"),
            Sample(op, {xn: randn(0, 3), yn: randn(1, 3)}, id="empty"),
            Sample(op, {xn: randn(2, 3), yn: randn(2, 3)}, fed={xn: [None, 3], yn: None}, id="unknown"),
            Sample(op, {xn: randn(2, 3), yn: randn(3)}, fed={xn: [None, None], yn: [None]}, id="unknown-dims"),
        ]
        if op not in _NO_CPU_HALF:
            out.append(Sample(op, {xn: randn(2, 3).astype(f16), yn: randn(2, 3).astype(f16)}, id="f16", **HALF))
        if op != "Pow":  # Pow's special values have their own sample below
            out.append(Sample(op, {xn: _SPECIAL_X, yn: _SPECIAL_Y}, id="nonfinite"))
    out.append(
        Sample(
            "Pow",
            {"x": a([NAN, INF, -INF, 0.0, -0.0, 2.0, -2.0, 0.5]), "y": a([2.0, -1, 3, -1, -3, INF, 0.5, -INF])},
            id="nonfinite",
        )
    )

    int_ops = ("Add", "AddV2", "Sub", "Mul", "Div", "FloorDiv", "FloorMod", "TruncateDiv", "TruncateMod")
    int_ops += ("Maximum", "Minimum", "SquaredDifference")
    signed = a([7, -7, 7, -7, 0, 5, -(2**31), 9], i32)
    divisor = a([2, 2, -2, -2, 3, -1, -1, 10], i32)
    for op in int_ops:
        out += [
            Sample(op, {"x": signed, "y": divisor}, id="int32-signs"),
            Sample(op, {"x": _ints(2, 3, dtype=i64), "y": _ints(3, dtype=i64, nonzero=True)}, id="int64-broadcast"),
            Sample(op, {"x": i32(-17), "y": i32(5)}, id="int32-scalar"),
            Sample(
                op,
                {"x": _ints(3, dtype=i32), "y": _ints(3, dtype=i32, nonzero=True)},
                fed={"x": [None]},
                id="int32-unknown",
            ),
        ]
        if op not in ("TruncateMod", "SquaredDifference"):
            out.append(Sample(op, {"x": a([200, 7, 255, 0], u8), "y": a([3, 2, 255, 9], u8)}, id="uint8"))
        if op in ("Add", "AddV2", "Sub", "Mul", "Maximum", "Minimum", "FloorDiv", "FloorMod", "Div", "TruncateDiv"):
            out.append(Sample(op, {"x": a([100, -128, 127], i8), "y": a([3, -1, 2], i8)}, id="int8"))
            out.append(Sample(op, {"x": a([30000, -32768], i16), "y": a([7, -1], i16)}, id="int16"))
    out += [
        Sample("Add", {"x": a([b"ab", b"c"], object), "y": np.array(b"Z", object)}, id="string"),
        Sample("Add", {"x": a([[b"a"], [b""]], object), "y": a([b"x", b"yz"], object)}, id="string-broadcast"),
        Sample("AddV2", {"x": a([2**31 - 1, 5], i32), "y": a([1, -9], i32)}, id="int32-wraps"),
        Sample("Mul", {"x": a([2**30, 3], i32), "y": a([4, -3], i32)}, id="int32-wraps"),
        Sample("Add", {"x": randn(2, 3).astype(bf16), "y": randn(3).astype(bf16)}, id="bf16", rtol=1e-2, atol=1e-2),
        Sample("Mul", {"x": randn(3).astype(bf16), "y": randn(3).astype(bf16)}, id="bf16", rtol=1e-2, atol=1e-2),
        Sample("Add", {"x": a([1 + 2j, 3j], np.complex64), "y": a([2 - 1j, 1], np.complex64)}, id="complex64"),
        Sample("Mul", {"x": a([1 + 2j, 3j], np.complex128), "y": a([2 - 1j, 1], np.complex128)}, id="complex128"),
        Sample("RealDiv", {"x": a([1 + 2j, 3j], np.complex64), "y": a([2 - 1j, 1j], np.complex64)}, id="complex64"),
        Sample("SquaredDifference", {"x": a([1 + 2j], np.complex64), "y": a([2 - 1j], np.complex64)}, id="complex64"),
        Sample("Pow", {"x": a([2, 0, -2, 1, -1, 3], i32), "y": a([3, 0, 3, 7, 5, 4], i32)}, id="int32"),
        Sample("Pow", {"x": a([2, 3], i64), "y": a([70, 39], i64)}, id="int64-overflow"),
        Sample("Pow", {"x": a([3, -2], i8), "y": a([5, 7], i8)}, id="int8-overflow"),
        Sample("Pow", {"x": randn(2, 3).__abs__(), "y": f32(0.5)}, id="sqrt"),
        Sample("MulNoNan", {"x": a([NAN, INF, 1.0, 0.0, 2.0]), "y": a([0.0, -0.0, NAN, INF, 3.0])}, id="zeros"),
        Sample("DivNoNan", {"x": a([NAN, INF, 1.0, 0.0, 2.0]), "y": a([0.0, -0.0, NAN, 0.0, 4.0])}, id="zeros"),
        Sample("DivNoNan", {"x": a([1 + 1j, 2j], np.complex64), "y": a([0, 1 + 1j], np.complex64)}, id="complex64"),
        Sample(
            "FloorMod",
            {"x": a([-1.0, 1.0, -5.0, 5.0, -0.0]), "y": a([INF, -INF, 3.0, -3.0, 3.0])},
            id="sign-of-divisor",
        ),
        Sample("FloorDiv", {"x": a([-1.0, 1.0, INF, -7.5]), "y": a([INF, -INF, 2.0, 2.0])}, id="inf"),
        Sample("Maximum", {"x": a([NAN, 1.0, 2.0, NAN]), "y": a([1.0, NAN, 0.0, NAN])}, id="nan"),
        Sample("Minimum", {"x": a([NAN, 1.0, 2.0, -0.0]), "y": a([1.0, NAN, 0.0, 0.0])}, id="nan"),
        Sample(
            "Atan2",
            {"y": a([0.0, -0.0, 1.0, -1.0, 0.0, INF]), "x": a([-0.0, -0.0, 0.0, 0.0, 0.0, INF])},
            id="signed-zeros",
        ),
    ]
    return out


def _add_n_samples():
    return [
        Sample("AddN", {"inputs": [randn(2, 3)]}, id="one"),
        Sample("AddN", {"inputs": [randn(2, 3), randn(2, 3), randn(2, 3)]}, id="three"),
        Sample("AddN", {"inputs": [_ints(4, dtype=i32), _ints(4, dtype=i32)]}, id="int32"),
        Sample("AddN", {"inputs": [randn(3).astype(f16)] * 4}, id="f16", **HALF),
        Sample("AddN", {"inputs": [randn(0, 2), randn(0, 2)]}, id="empty"),
        Sample("AddN", {"inputs": [f64(1.5), f64(2.0)]}, id="scalar"),
    ]


_UNARY_VALUES = a([-INF, -3.7, -2.5, -1.5, -0.5, -0.0, 0.0, 0.3, 0.5, 1.0, 1.5, 2.5, 7.9, INF, NAN])
_PROBABILITIES = a([0.0, 1e-30, 1e-7, 0.02, 0.3, 0.5, 0.7, 0.999, 1.0, -0.5, 1.5, NAN])
_UNIT_VALUES = a([-1.0, -0.7, -0.0, 0.0, 0.2, 0.99, 1.0, 1.5, -3.0, NAN, INF])


def _unary_samples():
    out = []
    ops = ("Neg", "Square", "Sqrt", "Rsqrt", "Exp", "Expm1", "Log", "Log1p", "Abs", "Sign", "Reciprocal")
    ops += ("Inv", "Floor", "Ceil", "Round", "Rint", "Sin", "Cos", "Tan", "Atan", "Asin", "Acos", "Sinh", "Cosh")
    ops += ("Tanh", "Sigmoid", "Erf", "Erfc", "Lgamma", "Digamma", "IsNan", "IsInf", "IsFinite")
    ops += ("Asinh", "Acosh", "Atanh", "Erfinv", "Ndtri", "BesselI0e", "BesselI1e")
    for op in ops:
        values = _UNIT_VALUES if op in ("Asin", "Acos", "Atanh", "Erfinv") else _UNARY_VALUES
        values = _PROBABILITIES if op == "Ndtri" else values
        out += [
            Sample(op, {"x": randn(3, 4)}),
            Sample(op, {"x": values}, id="special", rtol=1e-5, atol=1e-5),
            Sample(op, {"x": values.astype(f64)}, id="special-f64", xfail=_F64_XFAIL.get(op)),
            Sample(op, {"x": randn(2, 3).astype(f64)}, id="f64"),
            Sample(op, {"x": randn(0, 3)}, id="empty"),
            Sample(op, {"x": f32(0.75)}, id="scalar"),
            Sample(op, {"x": randn(2, 3)}, fed={"x": [None, 3]}, id="unknown-dim"),
            Sample(op, {"x": randn(2, 3)}, fed={"x": None}, id="unknown-rank"),
        ]
        if op not in _NO_CPU_HALF:
            out.append(Sample(op, {"x": values.astype(f16)}, id="special-f16", **HALF))
    ints = a([-7, -1, 0, 3, 12], i32)
    for op in ("Neg", "Square", "Abs", "Sign"):
        out += [
            Sample(op, {"x": ints}, id="int32"),
            Sample(op, {"x": ints.astype(i64)}, id="int64"),
            Sample(op, {"x": ints.astype(i8)}, id="int8"),
        ]
    complex_values = a([1 + 2j, -3.5j, 0, -2 + 0.5j], np.complex64)
    for op in ("Neg", "Square", "Sqrt", "Exp", "Log", "Sign", "Reciprocal", "Sin", "Tanh", "Sigmoid", "Asinh", "Atanh"):
        out.append(Sample(op, {"x": complex_values}, id="complex64", rtol=1e-5, atol=1e-5))
    out += [
        Sample("Neg", {"x": a([-(2**31), 2**31 - 1], i32)}, id="int32-min"),
        Sample("Abs", {"x": a([-(2**31), -5], i32)}, id="int32-min"),
        Sample("Square", {"x": a([70000, -3], i32)}, id="int32-wraps"),
        Sample("Square", {"x": a([200, 3], u8)}, id="uint8-wraps"),
        Sample("Round", {"x": a([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5000002, 2.4999998])}, id="half-to-even"),
        Sample("Rint", {"x": a([0.5, 1.5, 2.5, -0.5, -1.5, -2.5])}, id="half-to-even"),
        Sample(
            "Round", {"x": a([1, 2, -3], i32)}, id="int32", xfail="TF 2.21's CPU Round kernel returns 0 for integers"
        ),
        Sample("Sigmoid", {"x": a([-100.0, -20.0, 20.0, 100.0])}, id="saturation"),
        Sample("Digamma", {"x": a([-2.0, -1.0, -0.0, 0.0, -0.5, 1e-8])}, id="poles"),
        Sample("Lgamma", {"x": a([-2.0, -1.0, -0.0, 0.0, -0.5, -2.5, 1e-8, 1e30])}, id="poles"),
        Sample("Exp", {"x": randn(3).astype(bf16)}, id="bf16", rtol=1e-2, atol=1e-2),
    ]
    return out


def _cast_samples():
    fractions = a([-2.7, -1.5, -0.5, -0.0, 0.4, 1.5, 2.9, 100.2])
    out = []
    for dst in ("int32", "int64", "int8", "int16", "uint8", "bool", "float64", "float16", "bfloat16"):
        out.append(Sample("Cast", {"x": fractions}, {"DstT": f"dtype:{dst}"}, id=f"float32-{dst}"))
    for src, dst in [
        ("int32", "float32"),
        ("int32", "int64"),
        ("int32", "uint8"),
        ("int32", "bool"),
        ("int64", "int32"),
        ("int64", "float64"),
        ("int8", "int32"),
        ("uint8", "int32"),
        ("uint8", "float32"),
        ("int16", "float16"),
    ]:
        values = a([-300, -129, -1, 0, 1, 127, 255, 70000]).astype(src)
        out.append(Sample("Cast", {"x": values}, {"DstT": f"dtype:{dst}"}, id=f"{src}-{dst}"))
    bools = a([True, False, True], bool)
    for dst in ("float32", "int32", "int64", "uint8", "float16"):
        out.append(Sample("Cast", {"x": bools}, {"DstT": f"dtype:{dst}"}, id=f"bool-{dst}"))
    thirds = a([1 / 3, 0.1, 2049.0, 65519.0, -1 / 3, 1e-8, 1e300, NAN, INF], f64)
    thirds32 = a([1 / 3, 0.1, 2049.0, 65519.0, -1 / 3, 1e-8, 1e30, NAN, INF], f32)
    out += [
        Sample("Cast", {"x": thirds}, {"DstT": "dtype:float32"}, id="float64-float32"),
        Sample("Cast", {"x": thirds}, {"DstT": "dtype:float32", "Truncate": True}, id="float64-float32-truncate"),
        Sample(
            "Cast",
            {"x": thirds32},
            {"DstT": "dtype:float16", "Truncate": True},
            id="float32-float16-truncate",
        ),
        Sample("Cast", {"x": thirds32}, {"DstT": "dtype:bfloat16"}, id="float32-bfloat16"),
        Sample(
            "Cast",
            {"x": thirds32},
            {"DstT": "dtype:bfloat16", "Truncate": True},
            id="float32-bfloat16-truncate",
        ),
        Sample(
            "Cast",
            {"x": a([NAN, INF, -INF, 3e10, -3e10, -1.7])},
            {"DstT": "dtype:int32"},
            id="float32-int32-out-of-range",
        ),
        Sample("Cast", {"x": a([NAN, INF, -INF, -1.7, 0.0])}, {"DstT": "dtype:bool"}, id="nonfinite-bool"),
        Sample("Cast", {"x": a([1 + 2j, -3.5j], np.complex64)}, {"DstT": "dtype:float32"}, id="complex64-float32"),
        Sample("Cast", {"x": a([1.5, -2.0])}, {"DstT": "dtype:complex64"}, id="float32-complex64"),
        Sample("Cast", {"x": a([1 + 2j], np.complex64)}, {"DstT": "dtype:complex128"}, id="complex64-complex128"),
        Sample("Cast", {"x": a([b"a", b"bc"], object)}, {"DstT": "dtype:string"}, id="string-string"),
        Sample("Cast", {"x": randn(2, 3)}, {"DstT": "dtype:float32"}, id="same-type"),
        Sample("Cast", {"x": randn(0, 3)}, {"DstT": "dtype:int32"}, id="empty"),
        Sample("Cast", {"x": f32(-3.5)}, {"DstT": "dtype:int64"}, id="scalar"),
        Sample("Cast", {"x": randn(2, 3)}, {"DstT": "dtype:float64"}, fed={"x": [None, 3]}, id="unknown-dim"),
        Sample("Cast", {"x": randn(2, 3).astype(bf16)}, {"DstT": "dtype:float32"}, id="bfloat16-float32"),
    ]
    return out


def _comparison_samples():
    out = []
    for op in ("Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual"):
        out += [
            Sample(op, {"x": a([NAN, 1.0, 2.0, -0.0, INF]), "y": a([NAN, NAN, 1.0, 0.0, INF])}, id="nan"),
            Sample(op, {"x": _ints(2, 3), "y": _ints(3)}, id="int32-broadcast"),
            Sample(op, {"x": _ints(4, dtype=i64), "y": i64(2)}, id="int64-scalar"),
            Sample(op, {"x": a([3, 200], u8), "y": a([200, 200], u8)}, id="uint8"),
            Sample(op, {"x": randn(3).astype(f16), "y": randn(3).astype(f16)}, id="f16"),
            Sample(op, {"x": randn(3).astype(f64), "y": randn(2, 1).astype(f64)}, id="f64"),
            Sample(op, {"x": randn(0, 2), "y": randn(2)}, id="empty"),
            Sample(op, {"x": randn(2, 3), "y": randn(3)}, fed={"x": [None, 3]}, id="unknown"),
        ]
    for op in ("Equal", "NotEqual"):
        out += [
            Sample(op, {"x": a([b"a", b"b"], object), "y": np.array(b"a", object)}, id="string"),
            Sample(op, {"x": a([True, False], bool), "y": a([True, True], bool)}, id="bool"),
            Sample(op, {"x": a([1 + 1j, 2], np.complex64), "y": a([1 + 1j, 2j], np.complex64)}, id="complex"),
            Sample(op, {"x": _ints(3), "y": _ints(2)}, {"incompatible_shape_error": False}, id="incompatible"),
            Sample(op, {"x": _ints(3), "y": _ints(1)}, {"incompatible_shape_error": False}, id="compatible"),
            Sample(
                op,
                {"x": _ints(2, 3), "y": _ints(3)},
                {"incompatible_shape_error": False},
                fed={"x": [None, 3]},
                id="no-error-unknown",
            ),
            Sample(
                op,
                {"x": _ints(3), "y": _ints(2)},
                {"incompatible_shape_error": False},
                fed={"x": [None], "y": [None]},
                id="incompatible-fed",
            ),
            Sample(
                op,
                {"x": _ints(3), "y": _ints(2)},
                {"incompatible_shape_error": False},
                fed={"x": [3], "y": [None]},
                id="incompatible-half-fed",
            ),
            Sample(
                op,
                {"x": a([b"a", b"b"], object), "y": a([b"a", b"b", b"c"], object)},
                {"incompatible_shape_error": False},
                id="string-incompatible",
            ),
        ]
    bools_x, bools_y = a([[True, False], [False, True]], bool), a([True, False], bool)
    out += [
        Sample("LogicalAnd", {"x": bools_x, "y": bools_y}),
        Sample("LogicalOr", {"x": bools_x, "y": bools_y}),
        Sample("LogicalAnd", {"x": bools_x, "y": np.bool_(True)}, fed={"x": [None, 2]}, id="unknown"),
        Sample("LogicalOr", {"x": a([], bool), "y": np.bool_(False)}, id="empty"),
        Sample("LogicalNot", {"x": bools_x}),
        Sample("LogicalNot", {"x": np.bool_(True)}, id="scalar"),
    ]
    return out


def _clip_samples():
    return [
        Sample("ClipByValue", {"t": a([1, 5, NAN, -3, INF]), "clip_value_min": f32(0), "clip_value_max": f32(4)}),
        Sample(
            "ClipByValue",
            {"t": a([1, 5, 2, -3]), "clip_value_min": f32(4), "clip_value_max": f32(0)},
            id="min-above-max",
        ),
        Sample(
            "ClipByValue",
            {"t": a([1, 5, 2, -3]), "clip_value_min": a([0, 0, 3, -5]), "clip_value_max": a([4, 4, 4, -4])},
            id="elementwise",
        ),
        Sample("ClipByValue", {"t": a([1, 5]), "clip_value_min": f32(NAN), "clip_value_max": f32(4)}, id="nan-bound"),
        Sample("ClipByValue", {"t": _ints(2, 3), "clip_value_min": i32(-2), "clip_value_max": i32(3)}, id="int32"),
        Sample(
            "ClipByValue",
            {"t": randn(3, 2).astype(f64), "clip_value_min": f64(-0.5), "clip_value_max": f64(0.5)},
            fed={"t": [None, 2]},
            id="unknown",
        ),
        Sample("ClipByValue", {"t": randn(0, 2), "clip_value_min": f32(-0.5), "clip_value_max": f32(0.5)}, id="empty"),
    ]


def _matmul_samples():
    c64 = (randn(2, 3) + 1j * randn(2, 3)).astype(np.complex64)
    c64b = (randn(2, 4) + 1j * randn(2, 4)).astype(np.complex64)
    out = [
        Sample("MatMul", {"a": randn(2, 3), "b": randn(3, 4)}),
        Sample("MatMul", {"a": randn(3, 2), "b": randn(4, 3)}, {"transpose_a": True, "transpose_b": True}, id="tt"),
        Sample("MatMul", {"a": randn(2, 3), "b": randn(4, 3)}, {"transpose_b": True}, id="tb"),
        Sample("MatMul", {"a": randn(2, 3).astype(f64), "b": randn(3, 1).astype(f64)}, id="f64"),
        Sample("MatMul", {"a": randn(2, 3).astype(f16), "b": randn(3, 2).astype(f16)}, id="f16", **HALF),
        Sample("MatMul", {"a": _ints(2, 3), "b": _ints(3, 2)}, id="int32"),
        Sample("MatMul", {"a": _ints(2, 3, dtype=i64), "b": _ints(3, 2, dtype=i64)}, id="int64"),
        Sample("MatMul", {"a": randn(2, 0), "b": randn(0, 3)}, id="empty-inner"),
        # few columns, large enough to be computed transposed (matmul_ops.matrix_product); their own generator,
        # so that the samples after them keep their values
        Sample("MatMul", {"a": _narrow(300, 128), "b": _narrow(128, 10)}, id="narrow", rtol=1e-5, atol=1e-4),
        Sample(
            "MatMul",
            {"a": _narrow(128, 300).astype(f64), "b": _narrow(10, 128).astype(f64)},
            {"transpose_a": True, "transpose_b": True},
            id="narrow-tt",
        ),
        Sample("MatMul", {"a": randn(5, 3), "b": randn(3, 4)}, fed={"a": [None, 3]}, id="unknown-batch"),
        Sample("MatMul", {"a": randn(5, 3), "b": randn(3, 4)}, fed={"a": None, "b": [None, None]}, id="unknown"),
        Sample("MatMul", {"a": c64, "b": c64b}, {"transpose_a": True}, id="complex-transpose", rtol=1e-5, atol=1e-5),
    ]
    for op in ("BatchMatMul", "BatchMatMulV2"):
        out += [
            Sample(op, {"x": randn(2, 2, 3), "y": randn(2, 3, 4)}),
            Sample(op, {"x": randn(2, 3, 2), "y": randn(2, 4, 3)}, {"adj_x": True, "adj_y": True}, id="adj"),
            Sample(op, {"x": randn(2, 3), "y": randn(3, 4)}, id="2d"),
            Sample(op, {"x": randn(2, 1, 2, 3).astype(f64), "y": randn(2, 1, 3, 1).astype(f64)}, id="4d-f64"),
            Sample(op, {"x": _ints(2, 2, 3), "y": _ints(2, 3, 2)}, id="int32"),
            Sample(op, {"x": randn(0, 2, 3), "y": randn(0, 3, 4)}, id="empty-batch"),
            Sample(
                op,
                {"x": randn(2, 4, 3), "y": randn(2, 3, 2)},
                fed={"x": [None, 4, 3], "y": [2, None, None]},
                id="unknown-dims",
            ),
            Sample(op, {"x": randn(2, 4, 3), "y": randn(2, 3, 2)}, fed={"x": None}, id="unknown-rank"),
            Sample(op, {"x": c64[None], "y": c64b[None]}, {"adj_x": True}, id="complex-adjoint", rtol=1e-5, atol=1e-5),
        ]
    out += [
        Sample("BatchMatMulV2", {"x": randn(2, 1, 2, 3), "y": randn(3, 3, 4)}, id="broadcast"),
        Sample("BatchMatMulV2", {"x": randn(4, 2, 3), "y": randn(3, 5)}, id="broadcast-2d"),
        Sample(
            "BatchMatMulV2", {"x": randn(2, 4, 3), "y": randn(1, 3, 2)}, fed={"y": [None, 3, 2]}, id="unknown-batch"
        ),
        Sample(
            "BatchMatMulV2",
            {"x": randn(2, 4, 3), "y": randn(5, 1, 3, 2)},
            fed={"x": [None, 4, 3], "y": [5, None, 3, 2]},
            id="partial",
        ),
        Sample("BatchMatMulV3", {"x": randn(2, 2, 3), "y": randn(1, 3, 4)}, {"Tout": "dtype:float32"}),
        Sample(
            "BatchMatMulV3",
            {"x": _ints(2, 2, 3, dtype=i8), "y": _ints(2, 3, 4, dtype=i8)},
            {"Tout": "dtype:int32"},
            id="int8-int32",
        ),
        Sample(
            "BatchMatMulV3",
            {"x": randn(3, 2).astype(f64), "y": randn(3, 2).astype(f64)},
            {"Tout": "dtype:float64", "adj_x": True},
            id="adj-f64",
        ),
    ]
    return out


def _range_samples():
    def r(start, limit, delta, dtype=i32, **kw):
        return {"start": np.array(start, dtype), "limit": np.array(limit, dtype), "delta": np.array(delta, dtype)}

    return [
        Sample("Range", r(0, 10, 3), id="int32"),
        Sample("Range", r(10, 0, -3), id="negative-delta"),
        Sample("Range", r(-5, 5, 1, i64), id="int64"),
        Sample("Range", r(4, 4, 1), id="empty"),
        Sample("Range", r(0.0, 1.0, 0.1, f32), id="float32"),
        Sample("Range", r(0.0, 0.3, 0.1, f32), id="float32-rounding"),
        Sample("Range", r(1.0, 2.0, 0.3, f64), id="float64"),
        Sample("Range", r(2.5, -1.0, -0.7, f32), id="float32-negative-delta"),
        Sample("Range", r(0.0, 100.0, 0.37, f32), id="float32-accumulates"),
        Sample("Range", r(2, 10, 3), fed={"start": [], "limit": [], "delta": []}, id="unknown"),
        Sample("Range", r(2, 10, 3), fed={"limit": None}, id="unknown-rank"),
    ]


def _arg_samples():
    out = []
    for op in ("ArgMax", "ArgMin"):
        out += [
            Sample(op, {"input": randn(3, 4), "dimension": i32(1)}),
            Sample(op, {"input": randn(3, 4), "dimension": i32(0)}, id="axis0"),
            Sample(op, {"input": randn(2, 3, 4), "dimension": i32(-1)}, id="negative-axis"),
            Sample(op, {"input": randn(2, 3, 4), "dimension": i64(1)}, id="tidx-int64"),
            Sample(
                op,
                {"input": a([[3, 1, 3], [0, 0, -1]], i32), "dimension": i32(1)},
                {"output_type": "dtype:int32"},
                id="ties-int32",
            ),
            Sample(
                op,
                {
                    "input": a([[NAN, 1.0, 3.0], [1.0, NAN, 3.0], [NAN, NAN, NAN], [-INF, NAN, INF]]),
                    "dimension": i32(1),
                },
                id="nan",
            ),
            Sample(op, {"input": a([True, False, True], bool), "dimension": i32(0)}, id="bool"),
            Sample(op, {"input": a([3, 200, 7], u8), "dimension": i32(0)}, id="uint8"),
            Sample(op, {"input": randn(4).astype(f16), "dimension": i32(0)}, id="f16"),
            Sample(op, {"input": randn(0, 3), "dimension": i32(1)}, id="empty-other-axis"),
            Sample(op, {"input": randn(3, 4), "dimension": i32(1)}, fed={"input": [None, 4]}, id="unknown-dim"),
            Sample(op, {"input": randn(3, 4), "dimension": i32(1)}, fed={"input": None}, id="unknown-rank"),
            Sample(op, {"input": randn(3, 4), "dimension": i32(1)}, fed={"dimension": []}, id="unknown-axis"),
        ]
    out.append(
        Sample("ArgMax", {"input": randn(3, 4), "dimension": i32(1)}, {"output_type": "dtype:int16"}, id="int16")
    )
    return out


def _reduction_samples():
    out = []
    for op in ("Sum", "Mean", "Max", "Min", "Prod", "EuclideanNorm"):
        x = randn(2, 3, 4)
        out += [
            Sample(op, {"input": x, "axis": i32(1)}),
            Sample(op, {"input": x, "axis": a([0, 2], i32)}, {"keep_dims": True}, id="keep-dims"),
            Sample(op, {"input": x, "axis": a([-1, 0], i64)}, id="negative-axes"),
            Sample(op, {"input": x, "axis": a([], i32)}, id="no-axes"),
            Sample(op, {"input": x, "axis": a([[0], [1]], i32)}, fed={"axis": None}, id="2d-axes"),
            Sample(op, {"input": x, "axis": a([0, 1, 2], i32)}, id="all"),
            Sample(op, {"input": f32(2.5), "axis": a([], i32)}, id="scalar"),
            Sample(op, {"input": randn(2, 3).astype(f64), "axis": i32(0)}, id="f64"),
            Sample(op, {"input": randn(3, 5).astype(f16), "axis": i32(1)}, id="f16", **HALF),
            Sample(op, {"input": a([[-7, 0, 5], [7, 1, 2]], i32), "axis": i32(1)}, id="int32"),
            Sample(op, {"input": a([[-7, 0, 5], [7, 1, 2]], i64), "axis": i32(0)}, id="int64"),
            Sample(op, {"input": a([100, 100, 27], i8), "axis": i32(0)}, id="int8-overflow"),
            Sample(op, {"input": a([200, 100, 3], u8), "axis": i32(0)}, id="uint8"),
            Sample(op, {"input": randn(2, 0), "axis": i32(1)}, id="empty"),
            Sample(op, {"input": randn(0, 2), "axis": i32(1)}, id="empty-kept-axis"),
            Sample(op, {"input": np.zeros((2, 0), i32), "axis": i32(1)}, id="empty-int32"),
            Sample(op, {"input": a([[1.0, NAN, 3.0], [INF, -INF, 2.0]]), "axis": i32(1)}, id="nonfinite"),
            Sample(op, {"input": x, "axis": a([0, 2], i32)}, fed={"input": [None, 3, None]}, id="unknown-dims"),
            Sample(op, {"input": x, "axis": a([1], i32)}, {"keep_dims": True}, fed={"input": None}, id="unknown-rank"),
            Sample(op, {"input": x, "axis": a([1], i32)}, fed={"axis": [None]}, id="unknown-axes"),
            Sample(
                op, {"input": x, "axis": a([1], i32)}, {"keep_dims": True}, fed={"axis": [1]}, id="unknown-axes-keep"
            ),
        ]
    out += [
        Sample("Mean", {"input": a([[-7, -8, 1], [7, 8, 2]], i32), "axis": i32(1)}, id="int32-truncates"),
        Sample("Mean", {"input": a([1 + 2j, 3 - 1j], np.complex64), "axis": i32(0)}, id="complex64"),
        Sample("Sum", {"input": a([1 + 2j, 3 - 1j], np.complex64), "axis": i32(0)}, id="complex64"),
        Sample("Prod", {"input": a([[2**20, 2**12]], i32), "axis": i32(1)}, id="int32-wraps"),
        Sample("EuclideanNorm", {"input": a([3 + 4j, 1j], np.complex64), "axis": i32(0)}, id="complex64"),
        Sample("EuclideanNorm", {"input": a([[3, 4], [5, 12], [2, 2]], i32), "axis": i32(1)}, id="int32-truncates"),
        Sample("EuclideanNorm", {"input": a([1e30, 1e30]), "axis": i32(0)}, grad=False, id="overflow"),
        Sample("EuclideanNorm", {"input": a([1e-30, 1e-30]), "axis": i32(0)}, grad=False, id="underflow"),
    ]
    for op in ("All", "Any"):
        b = a([[True, False, True], [True, True, True]], bool)
        out += [
            Sample(op, {"input": b, "axis": i32(1)}),
            Sample(op, {"input": b, "axis": a([0, 1], i32)}, {"keep_dims": True}, id="keep-dims"),
            Sample(op, {"input": b, "axis": a([], i32)}, id="no-axes"),
            Sample(op, {"input": np.zeros((2, 0), bool), "axis": i32(1)}, id="empty"),
            Sample(op, {"input": b, "axis": i32(-1)}, fed={"input": [None, 3]}, id="unknown-dim"),
        ]
    return out


def _scan_samples():
    out = []
    for op in ("Cumsum", "Cumprod"):
        x = randn(2, 3, 4)
        out += [
            Sample(op, {"x": x, "axis": i32(1)}),
            Sample(op, {"x": x, "axis": i32(2)}, {"exclusive": True}, id="exclusive"),
            Sample(op, {"x": x, "axis": i32(0)}, {"reverse": True}, id="reverse"),
            Sample(op, {"x": x, "axis": i32(-1)}, {"exclusive": True, "reverse": True}, id="exclusive-reverse"),
            Sample(op, {"x": x, "axis": i64(1)}, id="tidx-int64"),
            Sample(op, {"x": a([[1, 2, 3], [4, 5, -6]], i32), "axis": i32(1)}, {"exclusive": True}, id="int32"),
            Sample(op, {"x": a([100, 100, 100], i8), "axis": i32(0)}, id="int8-overflow"),
            Sample(op, {"x": randn(3, 4).astype(f64), "axis": i32(0)}, id="f64"),
            Sample(op, {"x": randn(5).astype(f16), "axis": i32(0)}, id="f16", **HALF),
            Sample(op, {"x": randn(0, 3), "axis": i32(0)}, {"exclusive": True}, id="empty"),
            Sample(op, {"x": a([1.0, NAN, 2.0, INF]), "axis": i32(0)}, id="nonfinite"),
            Sample(op, {"x": x, "axis": i32(1)}, fed={"x": [None, 3, None]}, id="unknown-dims"),
        ]
    return out


def _logsumexp_scan_samples():
    op = "CumulativeLogsumexp"
    x = randn(2, 3, 4)
    return [
        Sample(op, {"x": x, "axis": i32(1)}),
        Sample(op, {"x": x, "axis": i32(2)}, {"exclusive": True}, id="exclusive"),
        Sample(op, {"x": x, "axis": i32(0)}, {"reverse": True}, id="reverse"),
        Sample(op, {"x": x, "axis": i32(-1)}, {"exclusive": True, "reverse": True}, id="exclusive-reverse"),
        Sample(op, {"x": x, "axis": i64(1)}, id="tidx-int64"),
        Sample(op, {"x": randn(3, 4).astype(f64), "axis": i32(0)}, id="f64"),
        Sample(op, {"x": randn(5).astype(f16), "axis": i32(0)}, id="f16", **HALF),
        Sample(op, {"x": a([1000.0, 1000.0, -1000.0, 80.0]), "axis": i32(0)}, id="large"),
        Sample(op, {"x": randn(0, 3), "axis": i32(0)}, {"exclusive": True}, id="empty"),
        Sample(op, {"x": a([1.0, -INF, INF, 2.0]), "axis": i32(0)}, grad=False, id="inf"),
        Sample(op, {"x": a([NAN, 1.0, NAN, 2.0, -INF, -INF]), "axis": i32(0)}, grad=False, id="nan"),
        Sample(op, {"x": a([-INF, -INF, 1.0]), "axis": i32(0)}, grad=False, id="all-minus-inf"),
        Sample(op, {"x": x, "axis": i32(1)}, fed={"x": [None, 3, None]}, id="unknown-dims"),
    ]


def _more_segment_samples():
    out = []
    for op in ("SegmentMean", "SegmentMax", "SegmentMin", "SegmentProd"):
        out += [
            Sample(op, {"data": a([1, 2, 3, 4, 5]), "segment_ids": a([0, 0, 2, 2, 5], i32)}),
            Sample(op, {"data": randn(4, 3), "segment_ids": a([0, 1, 1, 3], i64)}, id="2d-int64-ids"),
            Sample(op, {"data": a([[1, 2], [-3, 4], [5, 6]], i32), "segment_ids": a([1, 1, 1], i32)}, id="int32"),
            Sample(op, {"data": a([7, 253, 4, 5], u8), "segment_ids": a([0, 0, 0, 3], i32)}, id="uint8"),
            Sample(op, {"data": randn(0, 3), "segment_ids": a([], i32)}, id="empty"),
            Sample(
                op,
                {
                    "data": a([1, NAN, 3, -INF, 5, NAN, 1, 2, NAN, 3, NAN, NAN]),
                    "segment_ids": a([0, 0, 2, 2, 4, 5, 5, 5, 6, 6, 7, 7], i32),
                },
                grad=False,
                id="nonfinite",
            ),
            Sample(
                op,
                {"data": a([[1, NAN], [NAN, 2], [3, 0]]), "segment_ids": a([0, 0, 0], i32)},
                grad=False,
                id="nan-columns",
            ),
            Sample(
                op,
                {"data": randn(4, 3).astype(f64), "segment_ids": a([0, 0, 1, 2], i32)},
                fed={"data": [None, 3]},
                id="unknown-dims",
            ),
            Sample(
                op, {"data": randn(4, 3), "segment_ids": a([0, 0, 1, 2], i32)}, fed={"data": None}, id="unknown-rank"
            ),
        ]
    out += [
        Sample("SegmentMean", {"data": a([1 + 2j, 3j], np.complex64), "segment_ids": a([1, 1], i32)}, id="complex64"),
        Sample(
            "SegmentProd", {"data": a([1 + 2j, 3j, 2], np.complex64), "segment_ids": a([0, 0, 2], i32)}, id="complex64"
        ),
        Sample(
            "SegmentProd",
            {"data": a([[0, 2], [3, 0], [0, 1], [2, 5]]), "segment_ids": a([0, 0, 0, 1], i32)},
            id="zeros",
        ),
        Sample("SegmentMax", {"data": a([[1, 2], [2, 2], [0, 5]]), "segment_ids": a([0, 0, 1], i32)}, id="ties"),
        Sample("SegmentMin", {"data": a([1.0, 1.0, 3.0]), "segment_ids": a([0, 0, 0], i32)}, id="ties"),
    ]
    return out


def _segment_samples():
    out = [
        Sample("SegmentSum", {"data": a([1, 2, 3, 4, 5]), "segment_ids": a([0, 0, 2, 2, 5], i32)}),
        Sample("SegmentSum", {"data": randn(4, 3), "segment_ids": a([0, 1, 1, 3], i64)}, id="2d-int64-ids"),
        Sample("SegmentSum", {"data": a([[1, 2], [3, 4], [5, 6]], i32), "segment_ids": a([1, 1, 1], i32)}, id="int32"),
        Sample("SegmentSum", {"data": randn(0, 3), "segment_ids": a([], i32)}, id="empty"),
        Sample(
            "SegmentSum",
            {"data": randn(4, 3).astype(f64), "segment_ids": a([0, 0, 1, 2], i32)},
            fed={"data": [None, 3]},
            id="unknown-dims",
        ),
        Sample(
            "SegmentSum",
            {"data": randn(4, 3), "segment_ids": a([0, 0, 1, 2], i32)},
            fed={"data": None},
            id="unknown-rank",
        ),
    ]
    for op in ("UnsortedSegmentSum", "UnsortedSegmentMax", "UnsortedSegmentMin", "UnsortedSegmentProd"):
        n4 = i32(4)
        out += [
            Sample(op, {"data": a([1, 2, 3, 4, 5]), "segment_ids": a([0, -1, 2, 0, 2], i32), "num_segments": n4}),
            Sample(op, {"data": randn(4, 3), "segment_ids": a([3, 1, 3, 0], i64), "num_segments": i64(5)}, id="2d"),
            Sample(
                op,
                {"data": randn(2, 2, 3), "segment_ids": a([[0, 1], [1, 1]], i32), "num_segments": i32(2)},
                id="2d-ids",
            ),
            Sample(
                op,
                {"data": a([[1, -2], [3, 4], [5, 6]], i32), "segment_ids": a([2, 2, 0], i32), "num_segments": n4},
                id="int32",
            ),
            Sample(
                op,
                {"data": a([1.0, NAN, 3.0, -INF]), "segment_ids": a([0, 0, 1, 1], i32), "num_segments": i32(3)},
                id="nonfinite",
            ),
            Sample(op, {"data": randn(0, 3), "segment_ids": a([], i32), "num_segments": i32(2)}, id="empty"),
            Sample(
                op,
                {"data": randn(4, 3).astype(f64), "segment_ids": a([0, 2, 2, 1], i32), "num_segments": i32(3)},
                fed={"data": [None, 3]},
                id="unknown-dims",
            ),
            Sample(
                op,
                {"data": randn(4, 3), "segment_ids": a([0, 2, 2, 1], i32), "num_segments": i32(3)},
                fed={"num_segments": []},
                id="unknown-count",
            ),
            Sample(
                op,
                {"data": randn(4, 3), "segment_ids": a([0, 2, 2, 1], i32), "num_segments": i32(3)},
                fed={"segment_ids": None},
                id="unknown-ids",
            ),
        ]
    out.append(
        Sample(
            "UnsortedSegmentSum",
            {"data": a([1, 2, 3]), "segment_ids": a([0, 1, 0], i16), "num_segments": i32(2)},
            id="int16-ids",
        )
    )
    return out


def _complex_and_bitwise_samples():
    c = a([1 + 2j, -3.5j, 0, -2 + 0.5j], np.complex64)
    out = [
        Sample("Conj", {"input": c}),
        Sample("Conj", {"input": c.astype(np.complex128)}, fed={"input": [None]}, id="complex128"),
        Sample("Real", {"input": c}),
        Sample("Real", {"input": c.astype(np.complex128)}, {"Tout": "dtype:float64"}, id="complex128"),
        Sample("Imag", {"input": c}),
        Sample("Imag", {"input": c.astype(np.complex128)}, {"Tout": "dtype:float64"}, id="complex128"),
        Sample("Angle", {"input": c}),
        Sample("Angle", {"input": c.astype(np.complex128)}, {"Tout": "dtype:float64"}, fed={"input": None}, id="c128"),
        Sample(
            "Angle",
            {"input": np.array([0, -1, 1j, -1j, -1 - 0j, complex(0, -0.0), complex(-1, -0.0)], np.complex64)},
            fed={"input": None},  # fed: tm.constant drops the sign of a complex -0 imaginary part (framework)
            grad=False,
            id="axes",
        ),
        Sample("ComplexAbs", {"x": c}),
        Sample(
            "ComplexAbs", {"x": c.astype(np.complex128)}, {"Tout": "dtype:float64"}, fed={"x": None}, id="complex128"
        ),
        Sample("SparseMatMul", {"a": randn(2, 3), "b": randn(3, 4)}, {"a_is_sparse": True}),
        Sample(
            "SparseMatMul", {"a": randn(3, 2), "b": randn(4, 3)}, {"transpose_a": True, "transpose_b": True}, id="tt"
        ),
        Sample("SparseMatMul", {"a": randn(2, 3).astype(bf16), "b": randn(3, 2)}, id="bf16", rtol=1e-2, atol=1e-2),
    ]
    for op in ("BitwiseAnd", "BitwiseOr", "BitwiseXor"):
        out += [
            Sample(op, {"x": a([12, -7, 0, 255], i32), "y": a([10, 3, -1, 15], i32)}, id="int32"),
            Sample(op, {"x": a([[12], [7]], u8), "y": a([10, 3, 255], u8)}, id="uint8-broadcast"),
            Sample(op, {"x": a([-(2**62), 5], i64), "y": i64(-1)}, id="int64"),
        ]
    shifts = a([0, 1, 3, 7, 8, 9, 15, 31, 63, 64, 100, -1, -5])
    values = a([1, -1, 5, -128, 127, 3, -7, 2, 1, -1, 6, 9, 13])
    for op in ("LeftShift", "RightShift"):
        for dt in (np.int8, np.uint8, np.int16, np.uint16, i32, np.uint32, i64, np.uint64):
            out.append(Sample(op, {"x": values.astype(dt), "y": shifts.astype(dt)}, id=np.dtype(dt).name))
        out += [
            Sample(op, {"x": a([[1], [-3]], i32), "y": a([0, 2, 31], i32)}, id="broadcast"),
            Sample(op, {"x": a([2**63 + 5], np.uint64), "y": a([1], np.uint64)}, id="uint64-high"),
            Sample(op, {"x": np.zeros((0, 2), i32), "y": a([1, 2], i32)}, id="empty"),
        ]
    for dt in (np.int8, np.uint8, np.int16, np.uint16, i32, np.uint32, i64, np.uint64):
        out.append(Sample("PopulationCount", {"x": values.astype(dt)}, id=np.dtype(dt).name))
    out += [
        Sample("PopulationCount", {"x": a([-(2**63), 2**63 - 1, 0], i64)}, id="int64-extremes"),
        Sample("PopulationCount", {"x": np.zeros((2, 0), i32)}, id="empty"),
        Sample("Invert", {"x": a([0, -1, 5, 2**31 - 1], i32)}, id="int32"),
        Sample("Invert", {"x": a([0, 255, 5], u8)}, id="uint8"),
    ]
    return out


def _gradient_op_samples():
    """The ops TF's unary gradients emit, f(y, dy) (y the forward output), and Polygamma, Complex."""
    out = []
    special_y = a([0.0, 0.0, INF, INF, 2.0, NAN, NAN, -0.0, 1e-30, -INF, 0.5])
    special_dy = a([0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, -3.0])
    complex_y = a([1 + 2j, -0.5j, 3, 2 - 1j], np.complex64)
    complex_dy = a([2 - 1j, 1, 0, 0.5j], np.complex64)
    for op in ("SqrtGrad", "RsqrtGrad", "ReciprocalGrad", "InvGrad", "TanhGrad", "SigmoidGrad"):
        out += [
            Sample(op, {"y": randn(3, 4), "dy": randn(3, 4)}),
            Sample(op, {"y": randn(2, 3).astype(f64), "dy": randn(2, 3).astype(f64)}, id="f64"),
            Sample(op, {"y": special_y, "dy": special_dy}, id="special"),
            Sample(op, {"y": special_y.astype(f64), "dy": special_dy.astype(f64)}, id="special-f64"),
            Sample(op, {"y": complex_y, "dy": complex_dy}, id="complex64", rtol=1e-5, atol=1e-5),
            Sample(op, {"y": complex_y.astype(np.complex128), "dy": complex_dy.astype(np.complex128)}, id="complex128"),
            Sample(op, {"y": randn(4).astype(f16), "dy": randn(4).astype(f16)}, id="f16", **HALF),
            Sample(op, {"y": randn(0, 3), "dy": randn(0, 3)}, id="empty"),
            Sample(op, {"y": f32(0.75), "dy": f32(-2.0)}, id="scalar"),
            Sample(op, {"y": randn(2, 3), "dy": randn(2, 3)}, fed={"y": [None, 3], "dy": None}, id="unknown"),
            Sample(op, {"y": randn(2, 3), "dy": randn(6)}, id="flat-dy"),
        ]
    orders = a([[0.0], [1.0], [2.0], [3.0]])
    out += [
        Sample("Polygamma", {"a": orders, "x": np.abs(randn(4, 3)) + 0.5}, rtol=1e-4),
        Sample("Polygamma", {"a": orders.astype(f64), "x": (randn(3) * 3).astype(f64)}, id="f64-negative-x"),
        Sample(
            "Polygamma",
            {
                "a": a([0, 1, 1, 1, 1, 1, 2, 3, 4, 0, 0, 0.5, -1, INF, NAN, 1, 2, 0, 3, 2, 2, 5], f64),
                "x": a(
                    [
                        INF,
                        INF,
                        -INF,
                        NAN,
                        0,
                        -0.0,
                        -3,
                        -2.5,
                        1e-8,
                        INF,
                        -INF,
                        2,
                        2,
                        2,
                        2,
                        -1e30,
                        0,
                        -1,
                        -0.0,
                        -4,
                        1e300,
                        -2,
                    ],
                    f64,
                ),
            },
            id="special-f64",
        ),
        Sample("Polygamma", {"a": f32(1.0), "x": a([0.5, 1.5, -1.5, 0.0, NAN, INF])}, id="scalar-order"),
        Sample("Polygamma", {"a": a([], f32), "x": f32(2.0)}, id="empty"),
        Sample(
            "Polygamma",
            {"a": a([1.0, 2.0]), "x": np.abs(randn(3, 2)) + 0.5},
            fed={"a": [None], "x": [None, None]},
            id="unknown-dims",
            rtol=1e-4,
        ),
        Sample("Complex", {"real": randn(2, 3), "imag": randn(2, 3)}),
        Sample(
            "Complex",
            {"real": randn(3).astype(f64), "imag": randn(2, 1).astype(f64)},
            {"Tout": "dtype:complex128"},
            id="f64-broadcast",
        ),
        Sample("Complex", {"real": f32(1.5), "imag": randn(3)}, id="scalar-real"),
        Sample("Complex", {"real": a([NAN, INF, -0.0]), "imag": a([1.0, -INF, NAN])}, id="nonfinite"),
        Sample("Complex", {"real": randn(0, 2), "imag": randn(1, 2)}, id="empty"),
        Sample("Complex", {"real": randn(2, 3), "imag": randn(3)}, fed={"real": [None, 3], "imag": None}, id="unknown"),
    ]
    return out


def _gradient_coverage_samples():
    """Cases that forward samples do not need but gradients do (transpose/adjoint combinations, ties,
    zeros under products, inputs broadcast only by rank, dynamic casts of reduction axes)."""
    out = []
    for op in ("Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "SquaredDifference", "Pow"):
        out += [
            Sample(op, {"x": np.abs(randn(3)) + 0.5, "y": randn(1, 3)}, id="broadcast-rank"),
            Sample(
                op, {"x": randn(2, 1, 3), "y": np.abs(randn(4, 1)) + 0.5}, fed={"x": [None, 1, 3]}, id="fed-broadcast"
            ),
        ]
    out += [
        Sample("Maximum", {"x": a([1.0, 2.0, 3.0]), "y": a([1.0, 0.0, 3.0])}, id="ties"),
        Sample("Minimum", {"x": a([1.0, 2.0, 3.0]), "y": a([1.0, 0.0, 3.0])}, id="ties"),
        Sample("Erf", {"x": _UNARY_VALUES[np.isfinite(_UNARY_VALUES)].astype(f64)}, id="special-f64-finite"),
        Sample("MatMul", {"a": randn(3, 2), "b": randn(3, 4)}, {"transpose_a": True}, id="ta"),
        Sample(
            "MatMul",
            {"a": randn(3, 2).astype(f64), "b": randn(4, 3).astype(f64)},
            {"transpose_a": True, "transpose_b": True},
            fed={"a": [None, None]},
            id="tt-f64-unknown",
        ),
        Sample("SparseMatMul", {"a": randn(3, 2), "b": randn(3, 4)}, {"transpose_a": True}, id="ta"),
        Sample(
            "SparseMatMul", {"a": randn(2, 3), "b": randn(4, 3)}, {"transpose_b": True, "b_is_sparse": True}, id="tb"
        ),
        Sample("Max", {"input": a([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]), "axis": i32(1)}, id="ties"),
        Sample("Min", {"input": a([[1.0, 1.0, 3.0], [2.0, 2.0, 2.0]]), "axis": a([0, 1], i32)}, id="ties-all"),
        Sample("Prod", {"input": a([[0.0, 2.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, 3.0]]), "axis": i32(1)}, id="zeros"),
        # keep_dims: without it TF's gradient itself fails for int64 axes and unknown dims (a DynamicStitch of
        # int64 indices; test_math_gradients_tf_runs checks that both raise).
        Sample(
            "Mean",
            {"input": randn(2, 3, 4), "axis": a([0, 2], i64)},
            {"keep_dims": True},
            fed={"input": [None, 3, None]},
            id="unknown-dims-int64-axes",
        ),
        Sample(
            "Sum",
            {"input": randn(2, 3, 4), "axis": a([2, 0], i32)},
            {"keep_dims": True},
            fed={"input": [2, None, 4]},
            id="keep-dims-unknown",
        ),
        Sample("Cumprod", {"x": a([[1.0, 0.0, 2.0, 3.0], [0.0, 0.0, 1.0, 2.0]]), "axis": i32(1)}, id="zeros"),
        Sample(
            "UnsortedSegmentProd",
            {
                "data": a([0.0, 2.0, 0.0, 0.0, 3.0, 4.0]),
                "segment_ids": a([0, 0, 1, 1, 2, -1], i32),
                "num_segments": i32(3),
            },
            id="zeros",
        ),
        Sample(
            "UnsortedSegmentMax",
            {"data": a([1.0, 3.0, 3.0, 2.0]), "segment_ids": a([0, 0, 0, 1], i32), "num_segments": i32(2)},
            id="ties",
        ),
    ]
    for op in ("BatchMatMul", "BatchMatMulV2"):
        out += [
            Sample(op, {"x": randn(2, 3, 2), "y": randn(2, 3, 4)}, {"adj_x": True}, id="adj-x"),
            Sample(op, {"x": randn(2, 2, 3), "y": randn(2, 4, 3)}, {"adj_y": True}, id="adj-y"),
        ]
    out += [
        Sample("BatchMatMulV2", {"x": randn(2, 3, 2), "y": randn(3, 4)}, {"adj_x": True}, id="broadcast-adj-x"),
        Sample(
            "BatchMatMulV2",
            {"x": randn(1, 2, 3), "y": randn(2, 4, 3).astype(f32)},
            {"adj_y": True},
            fed={"x": [None, 2, 3]},
            id="fed-broadcast-adj-y",
        ),
    ]
    return out


SAMPLES: list[Sample] = (
    _binary_samples()
    + _add_n_samples()
    + _unary_samples()
    + _cast_samples()
    + _comparison_samples()
    + _clip_samples()
    + _matmul_samples()
    + _range_samples()
    + _arg_samples()
    + _reduction_samples()
    + _scan_samples()
    + _segment_samples()
    + _logsumexp_scan_samples()
    + _more_segment_samples()
    + _complex_and_bitwise_samples()
    + _gradient_op_samples()
    + _gradient_coverage_samples()
    + [
        Sample("Cross", {"a": randn(2, 3), "b": randn(2, 3)}),
        Sample("NextAfter", {"x1": randn(2, 3), "x2": randn(3)}),
        Sample("NextAfter", {"x1": randn(4, dtype=np.float64), "x2": np.float64(0.0)}, id="f64-to-zero"),
        Sample("Cross", {"a": randn(3, dtype=np.float64), "b": randn(3, dtype=np.float64)}, id="f64"),
        Sample("Cross", {"a": np.array([[1, 2, 3]], np.int32), "b": np.array([[4, -5, 6]], np.int32)}, id="int32"),
    ]
)

for _sample in SAMPLES:
    if (_sample.op, None) in _NO_GRADIENT_SAMPLES or (_sample.op, _sample.id) in _NO_GRADIENT_SAMPLES:
        _sample.grad = False
