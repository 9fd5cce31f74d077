"""Samples for fake quantization (torchmeta/ops/quantization_ops.py): the Args/Vars/VarsPerChannel ops and their
*Gradient ops over ranges that need nudging, narrow ranges, bit widths, zero ranges, values at the range ends
and outside it; errors are in test_quantization_ops.py."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample

S = Sample
f32 = np.float32
_rng = np.random.default_rng(23)


def _x(*shape, scale=4.0):
    return (_rng.standard_normal(shape) * scale).astype(f32)


_EDGES = np.array([-6.0, -5.99, -0.0, 0.0, 0.01, 0.5, 2.99, 6.0, 6.1, -7.0, 1e6, -1e6, np.nan], f32)
_RANGES = [(-6.0, 6.0), (-1.0, 3.2), (0.0, 1.0), (-0.1, 0.3), (0.2, 5.0), (-5.0, -0.5), (-127.0, 128.0)]
_BITS = [(8, False), (8, True), (4, False), (2, True), (16, False)]

SAMPLES: list[Sample] = []
for _lo, _hi in _RANGES:
    for _bits, _narrow in _BITS[:3]:
        _id = f"{_lo}:{_hi}-{_bits}{'n' if _narrow else ''}"
        _q = {"num_bits": _bits, "narrow_range": _narrow}
        x = _x(3, 5)
        SAMPLES += [
            S("FakeQuantWithMinMaxArgs", {"inputs": x}, {"min": _lo, "max": _hi, **_q}, id=_id),
            S("FakeQuantWithMinMaxVars", {"inputs": x, "min": f32(_lo), "max": f32(_hi)}, _q, id=_id),
            S(
                "FakeQuantWithMinMaxArgsGradient",
                {"gradients": _x(3, 5), "inputs": x},
                {"min": _lo, "max": _hi, **_q},
                id=_id,
            ),
            S(
                "FakeQuantWithMinMaxVarsGradient",
                {"gradients": _x(3, 5), "inputs": x, "min": f32(_lo), "max": f32(_hi)},
                _q,
                id=_id,
            ),
        ]
for _bits, _narrow in _BITS:
    _q = {"num_bits": _bits, "narrow_range": _narrow}
    _id = f"edges-{_bits}{'n' if _narrow else ''}"
    SAMPLES += [
        S("FakeQuantWithMinMaxArgs", {"inputs": _EDGES}, _q, grad=False, id=_id),
        S("FakeQuantWithMinMaxVars", {"inputs": _EDGES, "min": f32(-6), "max": f32(6)}, _q, grad=False, id=_id),
    ]
_MINS = np.array([-6.0, -1.0, 0.0, -0.1, 0.2, 0.0], f32)
_MAXS = np.array([6.0, 3.2, 1.0, 0.3, 5.0, 0.0], f32)
for _bits, _narrow in _BITS[:4]:
    _q = {"num_bits": _bits, "narrow_range": _narrow}
    _id = f"{_bits}{'n' if _narrow else ''}"
    x = _x(4, 6)
    SAMPLES += [
        S("FakeQuantWithMinMaxVarsPerChannel", {"inputs": x, "min": _MINS, "max": _MAXS}, _q, id=_id),
        S(
            "FakeQuantWithMinMaxVarsPerChannelGradient",
            {"gradients": _x(4, 6), "inputs": x, "min": _MINS, "max": _MAXS},
            _q,
            id=_id,
        ),
    ]
SAMPLES += [
    S("FakeQuantWithMinMaxVars", {"inputs": _x(2, 3), "min": f32(0), "max": f32(0)}, id="zero-range"),
    S(
        "FakeQuantWithMinMaxVarsGradient",
        {"gradients": _x(2, 3), "inputs": _x(2, 3), "min": f32(0), "max": f32(0)},
        id="zero-range",
    ),
    S("FakeQuantWithMinMaxVarsPerChannel", {"inputs": _x(2, 3, 6), "min": _MINS, "max": _MAXS}, id="rank3"),
    S("FakeQuantWithMinMaxVarsPerChannel", {"inputs": _x(6), "min": _MINS, "max": _MAXS}, id="rank1"),
    S("FakeQuantWithMinMaxArgs", {"inputs": _x(0, 3)}, id="empty"),
    S("FakeQuantWithMinMaxArgs", {"inputs": _x(2, 3)}, fed={"inputs": None}, id="unknown"),
    S(
        "FakeQuantWithMinMaxVars",
        {"inputs": _x(2, 3), "min": f32(-1), "max": f32(1)},
        fed={"inputs": [None, 3], "min": None},
        id="unknown",
    ),
    S(
        "FakeQuantWithMinMaxVarsPerChannel",
        {"inputs": _x(2, 6), "min": _MINS, "max": _MAXS},
        fed={"inputs": [None, None], "max": [None]},
        id="unknown",
    ),
    S(
        "FakeQuantWithMinMaxVarsPerChannelGradient",
        {"gradients": _x(2, 6), "inputs": _x(2, 6), "min": _MINS, "max": _MAXS},
        fed={"gradients": None, "inputs": [None, 6], "min": [None]},
        id="unknown",
    ),
]


# QuantizeV2 / Dequantize: every mode and quantized type, ties at .5 for both round modes, values outside the
# range, a range that must be widened (ensure_minimum_range), per-axis ranges, narrow_range.
def _q(values, name, base):
    return np.asarray(values, base).view(np.dtype([(name, base)]))


_F32 = np.float32
_GRID = np.array([-3.0, -1.5, -0.26, 0.0, 0.25, 0.5, 1.0, 2.37, 5.0, 7.5], _F32)
_HALVES = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 126.5, -127.5], _F32)
_QTYPES = {"qint8": np.int8, "quint8": np.uint8, "qint16": np.int16, "quint16": np.uint16, "qint32": np.int32}


def _quantize_samples():
    out = []
    lo, hi = _F32(-2.0), _F32(6.0)
    for name in ("qint8", "quint8", "qint16", "quint16"):
        for mode in ("MIN_COMBINED", "MIN_FIRST", "SCALED"):
            attrs = {"T": f"dtype:{name}", "mode": mode}
            # quint8 MIN_FIRST: fed, so that grappler does not fold it (TF's folded constants take the Eigen
            # formula, its kernel at run time the gemmlowp one: they differ by one code at some values)
            fed = {"input": None} if (name, mode) == ("quint8", "MIN_FIRST") else {}
            out.append(Sample("QuantizeV2", {"input": _GRID, "min_range": lo, "max_range": hi}, attrs, fed=fed,
                              id=f"{name}-{mode.lower()}"))  # fmt: skip
    out += [
        Sample("QuantizeV2", {"input": _GRID, "min_range": _F32(-1), "max_range": _F32(1)},
               {"T": "dtype:qint32", "mode": "SCALED"}, id="qint32-scaled"),
        Sample("QuantizeV2", {"input": _HALVES, "min_range": _F32(-127), "max_range": _F32(127)},
               {"T": "dtype:qint8", "mode": "SCALED", "round_mode": "HALF_TO_EVEN"}, id="half-to-even"),
        Sample("QuantizeV2", {"input": _HALVES, "min_range": _F32(-127), "max_range": _F32(127)},
               {"T": "dtype:qint8", "mode": "SCALED"}, id="half-away"),
        Sample("QuantizeV2", {"input": _GRID, "min_range": _F32(-2), "max_range": _F32(6)},
               {"T": "dtype:qint8", "mode": "SCALED", "narrow_range": True}, id="narrow"),
        Sample("QuantizeV2", {"input": _GRID, "min_range": _F32(1), "max_range": _F32(1)},
               {"T": "dtype:quint8"}, id="empty-range"),
        Sample("QuantizeV2", {"input": _GRID, "min_range": _F32(0.5), "max_range": _F32(0.501)},
               {"T": "dtype:quint8", "mode": "MIN_FIRST", "ensure_minimum_range": 0.1}, fed={"input": None},
               id="minimum-range"),
        Sample("QuantizeV2", {"input": _GRID.reshape(2, 5), "min_range": np.array([-1, -4, 0, -0.5, -3], _F32),
               "max_range": np.array([1, 4, 8, 0.5, 2], _F32)}, {"T": "dtype:qint8", "axis": 1}, id="axis"),
        Sample("QuantizeV2", {"input": _GRID.reshape(5, 2), "min_range": np.array([-1, -4, 0, -0.5, -3], _F32),
               "max_range": np.array([1, 4, 8, 0.5, 2], _F32)}, {"T": "dtype:quint8", "axis": 0, "mode": "SCALED"},
               id="axis-0-scaled"),
        Sample("QuantizeV2", {"input": np.zeros((0, 3), _F32), "min_range": _F32(-1), "max_range": _F32(1)},
               {"T": "dtype:qint8"}, id="empty"),
        Sample("QuantizeV2", {"input": _GRID, "min_range": _F32(-2), "max_range": _F32(6)},
               {"T": "dtype:qint8"}, fed={"input": None}, id="unknown"),
    ]  # fmt: skip
    return out


def _dequantize_samples():
    out = []
    for name, base in _QTYPES.items():
        info = np.iinfo(base)
        # (qint32's extreme codes are left out: TF's SCALED dequantization of 2**31 - 1 comes out negative)
        top = info.max - 1000 if name == "qint32" else info.max
        values = _q(np.linspace(info.min + 1, top, 9).astype(np.int64).astype(base), name, base)
        modes = ("SCALED",) if name == "qint32" else ("MIN_COMBINED", "MIN_FIRST", "SCALED")
        for mode in modes:
            out.append(Sample("Dequantize", {"input": values, "min_range": _F32(-2.0), "max_range": _F32(6.0)},
                              {"mode": mode}, id=f"{name}-{mode.lower()}"))  # fmt: skip
    q8 = _q(np.arange(-6, 6, dtype=np.int8) * 10, "qint8", np.int8)
    out += [
        Sample("Dequantize", {"input": q8, "min_range": _F32(-3), "max_range": _F32(3)},
               {"mode": "SCALED", "narrow_range": True}, id="narrow"),
        Sample("Dequantize", {"input": q8, "min_range": _F32(-3), "max_range": _F32(3)},
               {"dtype": "dtype:bfloat16"}, id="bfloat16", rtol=1e-2, atol=1e-2),
        Sample("Dequantize", {"input": q8.reshape(3, 4), "min_range": np.array([-1, -2, -3, -4], _F32),
               "max_range": np.array([1, 2, 3, 4], _F32)}, {"axis": 1}, id="axis"),
        Sample("Dequantize", {"input": q8.reshape(3, 4), "min_range": np.array([-1, -2, -3], _F32),
               "max_range": np.array([1, 2, 3], _F32)}, {"axis": 0, "mode": "SCALED"}, id="axis-0-scaled"),
        Sample("Dequantize", {"input": q8, "min_range": _F32(1), "max_range": _F32(1)}, {"mode": "MIN_FIRST"},
               id="min-first-empty-range"),
        Sample("Dequantize", {"input": q8, "min_range": _F32(-3), "max_range": _F32(3)},
               fed={"min_range": None, "max_range": None}, id="unknown"),
    ]  # fmt: skip
    return out


SAMPLES += _quantize_samples() + _dequantize_samples()


# QuantizedConcat: inputs of equal ranges copied, others requantized into the overall range (symmetric for qint32).
_QU8 = [_q(np.array([[0, 10, 255], [3, 128, 77]], np.uint8), "quint8", np.uint8),
        _q(np.array([[1, 2, 3], [250, 251, 252]], np.uint8), "quint8", np.uint8)]  # fmt: skip
_QI32 = [_q(np.array([[-(2**30), 0, 2**30]], np.int32), "qint32", np.int32),
         _q(np.array([[5, -7, 2**20]], np.int32), "qint32", np.int32)]  # fmt: skip
SAMPLES += [
    Sample("QuantizedConcat", {"concat_dim": np.int32(0), "values": _QU8, "input_mins": [_F32(-1), _F32(-1)],
           "input_maxes": [_F32(1), _F32(1)]}, id="same-range"),
    Sample("QuantizedConcat", {"concat_dim": np.int32(1), "values": _QU8, "input_mins": [_F32(-1), _F32(0.5)],
           "input_maxes": [_F32(2), _F32(3)]}, id="requantize"),
    Sample("QuantizedConcat", {"concat_dim": np.int32(0), "values": _QU8, "input_mins": [_F32(0.5), _F32(1)],
           "input_maxes": [_F32(2), _F32(3)]}, id="positive-mins"),
    Sample("QuantizedConcat", {"concat_dim": np.int32(0), "values": _QI32, "input_mins": [_F32(-4), _F32(-1)],
           "input_maxes": [_F32(2), _F32(6)]}, id="qint32-symmetric"),
]  # fmt: skip
