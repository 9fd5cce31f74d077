"""Samples for the image colour ops (torchmeta/ops/image_color_ops.py): AdjustContrastv2, AdjustHue,
AdjustSaturation, RGBToHSV, HSVToRGB.

AdjustContrastv2/AdjustHue/AdjustSaturation have only float32 CPU kernels in TensorFlow (half runs on
its GPU only), so their samples are float32; torchmeta computes half in float32 and rounds.
"""

from __future__ import annotations

import numpy as np
from ml_dtypes import bfloat16

from tests.ops.harness import Sample, randn

S = Sample
f16, f32, f64 = np.float16, np.float32, np.float64

_rng = np.random.default_rng(7)


def _rgb(*shape):
    """Colours in [0, 1] with the ties the conversions branch on (greys, two equal channels, black)."""
    x = _rng.random((*shape, 3)).astype(f32)
    flat = x.reshape(-1, 3)
    specials = [[0.5, 0.5, 0.5], [0.2, 0.7, 0.7], [0.7, 0.7, 0.2], [0.0, 0.0, 0.0], [0.9, 0.2, 0.9], [1, 0, 0]]
    flat[: len(specials)] = specials
    return x


RGB = _rgb(2, 4, 5)


def _adjust_samples():
    out = []
    for factor in (0.0, 0.5, 1.7, -2.0):
        out += [
            S("AdjustContrastv2", {"images": RGB * 255, "contrast_factor": f32(factor)}, id=str(factor)),
            S("AdjustSaturation", {"images": RGB, "scale": f32(factor)}, id=str(factor)),
        ]
    for delta in (0.0, 0.3, -0.7, 1.5, -2.6, 0.999):
        out.append(S("AdjustHue", {"images": RGB, "delta": f32(delta)}, id=str(delta)))
    out += [
        S("AdjustContrastv2", {"images": randn(3, 17, 33, 5), "contrast_factor": f32(1.3)}, id="odd-sizes"),
        S("AdjustContrastv2", {"images": randn(2, 1, 1, 3), "contrast_factor": f32(1.3)}, id="1x1"),
        S("AdjustContrastv2", {"images": randn(4, 6, 2), "contrast_factor": f32(0.3)}, id="rank3"),
        S("AdjustContrastv2", {"images": randn(2, 2, 3, 4, 2), "contrast_factor": f32(2)}, id="rank5"),
        S("AdjustContrastv2", {"images": randn(2, 0, 1, 3), "contrast_factor": f32(1.3)}, id="empty"),
        S(
            "AdjustContrastv2",
            {"images": randn(2, 3, 3, 2), "contrast_factor": f32(1.3)},
            fed={"images": [None, None, None, 2]},
            id="unknown",
        ),
        S("AdjustHue", {"images": RGB[0], "delta": f32(0.25)}, id="rank3"),
        S("AdjustHue", {"images": np.zeros((0, 2, 3), f32), "delta": f32(0.25)}, id="empty"),
        S("AdjustHue", {"images": RGB, "delta": f32(0.1)}, fed={"images": None}, id="unknown-rank"),
        S("AdjustSaturation", {"images": RGB[0], "scale": f32(3.0)}, id="rank3"),
        S("AdjustSaturation", {"images": np.zeros((2, 0, 3), f32), "scale": f32(3.0)}, id="empty"),
    ]
    return out


def _colorspace_samples():
    out = []
    for op in ("RGBToHSV", "HSVToRGB"):
        out += [
            S(op, {"images": RGB}),
            S(op, {"images": RGB.astype(f64)}, id="f64"),
            S(op, {"images": RGB.astype(f16)}, id="half", rtol=1e-3, atol=1e-3),
            S(op, {"images": RGB.astype(bfloat16)}, id="bf16", rtol=1e-2, atol=1e-2),
            S(op, {"images": RGB[0, 0, 0]}, id="rank1"),
            S(op, {"images": np.zeros((0, 3), f32)}, id="empty"),
            S(op, {"images": RGB}, fed={"images": [None, None, None, 3]}, id="unknown-dims"),
            S(op, {"images": RGB}, fed={"images": None}, id="unknown-rank"),
        ]
    # Gradients are compared away from ties, where TF's piecewise formula is the derivative.
    out.append(S("RGBToHSV", {"images": _rng.random((3, 4, 3)).astype(f32) * 0.8 + 0.1}, id="generic"))
    out.append(S("RGBToHSV", {"images": _rng.random((3, 3)).astype(f64)}, id="generic-f64"))
    out.append(S("HSVToRGB", {"images": np.array([[1.2, 0.5, 0.5], [-0.3, 2.0, 0.5]], f32)}, id="out-of-range"))
    return out


SAMPLES = _adjust_samples() + _colorspace_samples()
