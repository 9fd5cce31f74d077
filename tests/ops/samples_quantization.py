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
