"""Searching, bucketing and counting ops beyond the sample table: bad inputs get TF's error class and
wording (kernel and shape function)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ops.harness import Sample, assert_same_runtime_error, assert_same_shape_error, randn
from tests.ops.samples_array import i32

S = Sample
f32 = np.float32
E32 = np.zeros(0, f32)

RUNTIME_ERRORS = [
    S("LowerBound", {"sorted_inputs": randn(2, 3), "values": randn(3, 1)}, id="rows"),
    S("UpperBound", {"sorted_inputs": randn(2, 3), "values": randn(1, 1)}, id="rows"),
    S("Bucketize", {"input": randn(3)}, {"boundaries": [1.0, 0.0]}, id="unsorted"),
    S("HistogramFixedWidth", {"values": randn(3), "value_range": np.array([1.5, 1.25], f32), "nbins": np.int32(3)}),
    S(
        "HistogramFixedWidth",
        {"values": randn(3), "value_range": np.array([1e8, 1e-7], f32), "nbins": np.int32(3)},
        id="g-format",
    ),
    S("HistogramFixedWidth", {"values": randn(3), "value_range": np.array([0, 1], f32), "nbins": np.int32(0)}, id="0"),
    S("HistogramFixedWidth", {"values": randn(3), "value_range": np.ones(3, f32), "nbins": np.int32(2)}, id="range3"),
    S("HistogramFixedWidth", {"values": randn(3), "value_range": f32(1), "nbins": np.int32(2)}, id="range-scalar"),
    S("HistogramFixedWidth", {"values": randn(3), "value_range": np.array([0, 1], f32), "nbins": i32(2)}, id="nbins1"),
    S("Bincount", {"arr": i32(1, 2), "size": np.int32(3), "weights": np.ones(3, f32)}, id="weights"),
    S("Bincount", {"arr": i32(1, -2), "size": np.int32(3), "weights": E32}, id="negative"),
    S("Bincount", {"arr": i32(1, 2), "size": np.int32(-1), "weights": E32}, id="size"),
    S("Bincount", {"arr": i32(1, 2), "size": i32(3), "weights": E32}, id="size-rank"),
    S("DenseBincount", {"input": i32(1, 2), "size": np.int32(3), "weights": np.ones(3, f32)}, id="weights"),
    S("DenseBincount", {"input": np.ones((2, 2, 2), np.int32), "size": np.int32(3), "weights": E32}, id="rank3"),
    S("DenseBincount", {"input": i32(1, -2), "size": np.int32(3), "weights": E32}, id="negative"),
    S("DenseBincount", {"input": i32([1, -2]), "size": np.int32(3), "weights": E32}, id="negative-2d"),
    S("DenseBincount", {"input": i32(1, 2), "size": np.int32(-3), "weights": E32}, id="size"),
    S("UnravelIndex", {"indices": np.zeros(0, np.int32), "dims": i32(3, 3)}, id="empty"),
    S("UnravelIndex", {"indices": np.int32(1), "dims": np.zeros(0, np.int32)}, id="no-dims"),
    S("UnravelIndex", {"indices": i32(3, 9), "dims": i32(3, 3)}, id="out-of-bounds"),
    S("UnravelIndex", {"indices": i32([1]), "dims": i32(2, 3)}, id="indices-rank"),
    S("UnravelIndex", {"indices": i32(1), "dims": i32([2, 3])}, id="dims-rank"),
    S("UnravelIndex", {"indices": i32(1), "dims": i32(2, 0)}, id="zero-dim"),
    S("LinSpace", {"start": f32(0), "stop": f32(1), "num": np.int32(0)}, id="num0"),
    S("LinSpace", {"start": np.zeros(1, f32), "stop": f32(1), "num": np.int32(3)}, id="start-vector"),
    S("UniqueV2", {"x": randn(2, 3), "axis": np.zeros(0, np.int64)}, id="not-vector"),
    S("UniqueV2", {"x": randn(2, 3), "axis": np.array([0, 1], np.int64)}, id="two-axes"),
    S("UniqueV2", {"x": randn(2, 3), "axis": np.array([2], np.int64)}, id="axis-range"),
    S("UniqueWithCounts", {"x": randn(2, 3)}, id="not-vector"),
    S("InplaceUpdate", {"x": randn(3, 2), "i": i32(0), "v": randn(2)}, id="ranks"),
    S("InplaceUpdate", {"x": randn(3, 2), "i": i32(0), "v": randn(1, 3)}, id="columns"),
    S("InplaceAdd", {"x": randn(3, 2), "i": i32(0, 1), "v": randn(1, 2)}, id="rows"),
    S("Empty", {"shape": i32([2, 3])}, {"dtype": "dtype:float32"}, id="shape-rank"),
]


@pytest.mark.parametrize("sample", RUNTIME_ERRORS, ids=lambda s: s.name)
def test_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


SHAPE_ERRORS = [
    S("LowerBound", {"sorted_inputs": randn(3), "values": randn(3, 1)}, id="sorted-rank"),
    S("UpperBound", {"sorted_inputs": randn(2, 3), "values": randn(2)}, id="values-rank"),
    S("HistogramFixedWidth", {"values": randn(3), "value_range": np.ones(3, f32), "nbins": np.int32(2)}, id="range3"),
    S("HistogramFixedWidth", {"values": randn(3), "value_range": f32(1), "nbins": np.int32(2)}, id="range-scalar"),
    S("HistogramFixedWidth", {"values": randn(3), "value_range": np.array([0, 1], f32), "nbins": np.int32(0)}, id="0"),
    S("HistogramFixedWidth", {"values": randn(3), "value_range": np.array([0, 1], f32), "nbins": i32(2)}, id="nbins1"),
    S("Bincount", {"arr": i32(1, 2), "size": np.int32(-1), "weights": E32}, id="size"),
    S("Bincount", {"arr": i32(1, 2), "size": i32(3), "weights": E32}, id="size-rank"),
    S("DenseBincount", {"input": np.ones((2, 2, 2), np.int32), "size": np.int32(3), "weights": E32}, id="rank3"),
    S("DenseBincount", {"input": i32(1, 2), "size": np.int32(-3), "weights": E32}, id="size"),
    S("UnravelIndex", {"indices": i32(1), "dims": i32([2, 3])}, id="dims-rank"),
    S("LinSpace", {"start": f32(0), "stop": f32(1), "num": np.int32(-2)}, id="num"),
    S("LinSpace", {"start": f32(0), "stop": np.ones(2, f32), "num": np.int32(3)}, id="stop-vector"),
]


@pytest.mark.parametrize("sample", SHAPE_ERRORS, ids=lambda s: s.name)
def test_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)
