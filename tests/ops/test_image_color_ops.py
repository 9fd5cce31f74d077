"""Image colour ops beyond the sample table: bad inputs get TF's error class and wording (kernel and
shape function)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ops.harness import Sample, assert_same_runtime_error, assert_same_shape_error, randn

S = Sample
f32 = np.float32

RUNTIME_ERRORS = [
    S("AdjustContrastv2", {"images": randn(4, 3), "contrast_factor": f32(1)}, id="rank2"),
    S("AdjustContrastv2", {"images": randn(2, 4, 3), "contrast_factor": np.ones(1, f32)}, id="factor"),
    S("AdjustHue", {"images": randn(2, 4, 3), "delta": np.ones(1, f32)}, id="delta"),
    S("AdjustHue", {"images": randn(2, 4, 4), "delta": f32(0.1)}, id="channels"),
    S("AdjustHue", {"images": randn(4, 3), "delta": f32(0.1)}, id="rank2"),
    S("AdjustSaturation", {"images": randn(2, 4, 2), "scale": f32(0.1)}, id="channels"),
    S("AdjustSaturation", {"images": randn(2, 4, 3), "scale": np.ones(2, f32)}, id="scale"),
    S("RGBToHSV", {"images": randn(2, 4)}, id="channels"),
    S("RGBToHSV", {"images": f32(1)}, id="scalar"),
    S("HSVToRGB", {"images": randn(5)}, id="channels"),
]


@pytest.mark.parametrize("sample", RUNTIME_ERRORS, ids=lambda s: s.name)
def test_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


SHAPE_ERRORS = [
    S("AdjustContrastv2", {"images": randn(2, 5), "contrast_factor": f32(1)}, id="rank2"),
    S("AdjustContrastv2", {"images": randn(2, 5, 3), "contrast_factor": np.ones(1, f32)}, id="factor"),
    S("AdjustSaturation", {"images": randn(2, 5), "scale": f32(1)}, id="rank2"),
    S("AdjustHue", {"images": randn(3), "delta": f32(1)}, id="rank1"),
    S("RGBToHSV", {"images": randn(2, 5)}, id="channels"),
    S("HSVToRGB", {"images": f32(1)}, id="scalar"),
]


@pytest.mark.parametrize("sample", SHAPE_ERRORS, ids=lambda s: s.name)
def test_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)
