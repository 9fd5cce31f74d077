"""Samples for math ops."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample, randn

SAMPLES: list[Sample] = [
    Sample("AddV2", {"x": randn(2, 3), "y": randn(3)}, id="broadcast"),
    Sample("AddV2", {"x": np.array(3, np.int32), "y": np.array([1, 2], np.int32)}, id="int32-scalar"),
    Sample("AddV2", {"x": randn(0, 3), "y": randn(1, 3)}, id="empty"),
    Sample("AddV2", {"x": randn(2, 3), "y": randn(2, 3)}, fed={"x": [None, 3], "y": None}, id="unknown"),
    Sample("MatMul", {"a": randn(2, 3), "b": randn(3, 4)}),
    Sample("MatMul", {"a": randn(3, 2), "b": randn(4, 3)}, {"transpose_a": True, "transpose_b": True}, id="tt"),
    Sample("MatMul", {"a": randn(2, 3).astype(np.float64), "b": randn(3, 1).astype(np.float64)}, id="f64"),
    Sample("MatMul", {"a": np.ones((2, 3), np.int32), "b": np.ones((3, 2), np.int32)}, id="int32"),
    Sample("MatMul", {"a": randn(5, 3), "b": randn(3, 4)}, fed={"a": [None, 3]}, id="unknown-batch"),
]
