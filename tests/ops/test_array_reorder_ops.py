"""Array reorder ops beyond the sample table: bad inputs get TF's error class and wording (kernel and
shape function)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ops.harness import Sample, assert_same_runtime_error, assert_same_shape_error, randn, run_tf, run_tm
from tests.ops.samples_array import i32, i64

S = Sample

RUNTIME_ERRORS = [
    S("SpaceToDepth", {"input": randn(2, 3, 4, 1)}, {"block_size": 2}, id="height"),
    S("SpaceToDepth", {"input": randn(2, 4, 4)}, {"block_size": 2}, id="rank3"),
    S("DepthToSpace", {"input": randn(1, 2, 2, 6)}, {"block_size": 2}, id="depth"),
    S("DepthToSpace", {"input": randn(2, 2, 4)}, {"block_size": 2}, id="rank3"),
    S("Reverse", {"tensor": randn(2, 3), "dims": np.array([True])}, id="count"),
    S("Reverse", {"tensor": randn(2, 3), "dims": np.array([[True, False]])}, id="dims-rank"),
    S("Roll", {"input": np.float32(1), "shift": i32(1), "axis": i32(0)}, id="scalar"),
    S("Roll", {"input": randn(2, 3), "shift": i32(1, 2), "axis": i32(0)}, id="sizes"),
    S("Roll", {"input": randn(2, 3), "shift": i32(1), "axis": i32(2)}, id="axis-range"),
    S("Roll", {"input": randn(2, 3), "shift": np.ones((1, 1), np.int32), "axis": i64(0)}, id="shift-rank"),
    S("Roll", {"input": randn(2, 3), "shift": i32(1), "axis": np.ones((1, 1), np.int32)}, id="axis-rank"),
]


@pytest.mark.parametrize("sample", RUNTIME_ERRORS, ids=lambda s: s.name)
def test_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


SHAPE_ERRORS = [
    S("SpaceToDepth", {"input": randn(2, 3, 4, 1)}, {"block_size": 2}, id="height"),
    S("SpaceToDepth", {"input": randn(2, 4, 5, 1)}, {"block_size": 2}, id="width"),
    S("SpaceToDepth", {"input": randn(2, 4, 4)}, {"block_size": 2}, id="rank3"),
    S("DepthToSpace", {"input": randn(1, 2, 2, 6)}, {"block_size": 2}, id="depth"),
    S("DepthToSpace", {"input": randn(2, 2, 4)}, {"block_size": 2}, id="rank3"),
    S("Reverse", {"tensor": randn(2, 3), "dims": np.array([True])}, id="count"),
    S("Reverse", {"tensor": randn(2, 3), "dims": np.array(True)}, id="dims-scalar"),
    S("Reverse", {"tensor": np.zeros((1,) * 9, np.float32), "dims": np.zeros(9, bool)}, id="rank9"),
    S("Roll", {"input": np.float32(1), "shift": i32(1), "axis": i32(0)}, id="scalar"),
    S("Roll", {"input": randn(2, 3), "shift": i32(1, 2), "axis": i32(0)}, id="sizes"),
    S("Roll", {"input": randn(2, 3), "shift": np.ones((1, 1), np.int32), "axis": i32(0)}, id="shift-rank"),
]


@pytest.mark.parametrize("sample", SHAPE_ERRORS, ids=lambda s: s.name)
def test_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)


@pytest.mark.parametrize("op", ["SpaceToDepth", "DepthToSpace"])
def test_nchw_is_nhwc_transposed(tf1, op):
    """TF runs NCHW only on its GPU kernels; NCHW here equals TF's NHWC result with the axes moved."""
    x = randn(2, 8, 4, 6)  # NCHW
    nchw = run_tm(S(op, {"input": x}, {"block_size": 2, "data_format": "NCHW"}))[0][0]
    nhwc = run_tf(tf1, S(op, {"input": x.transpose(0, 2, 3, 1).copy()}, {"block_size": 2}))[0][0]
    np.testing.assert_array_equal(nchw, nhwc.transpose(0, 3, 1, 2))
