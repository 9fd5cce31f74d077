"""Ragged ops beyond the sample table: TF's kernel errors (class and wording) and shape-function errors."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ops.harness import Sample, assert_same_runtime_error, assert_same_shape_error

S = Sample
_V = np.arange(5, dtype=np.float32)

RUNTIME_ERRORS = [
    S("RaggedRange", {"starts": np.int32(0), "limits": np.int32(3), "deltas": np.int32(0)}, id="zero-delta"),
    S(
        "RaggedRange",
        {"starts": np.array([0, 1], np.int32), "limits": np.array([3, 4, 5], np.int32), "deltas": np.int32(1)},
        fed={"starts": [None], "limits": [None]},
        id="sizes",
    ),
    S("RaggedTensorToSparse", {"rt_nested_splits": [np.array([1, 5], np.int64)], "rt_dense_values": _V}, id="start"),
    S("RaggedTensorToSparse", {"rt_nested_splits": [np.array([0, 4], np.int64)], "rt_dense_values": _V}, id="end"),
    S(
        "RaggedTensorToSparse",
        {"rt_nested_splits": [np.array([0, 3, 2, 5], np.int64)], "rt_dense_values": _V},
        id="decreasing",
    ),
    S(
        "RaggedTensorToSparse",
        {"rt_nested_splits": [np.array([0, 2], np.int64), np.array([0, 5], np.int64)], "rt_dense_values": _V},
        id="nested-length",
    ),
    S(
        "RaggedGather",
        {
            "params_nested_splits": [np.array([0, 2, 5], np.int64)],
            "params_dense_values": _V,
            "indices": np.array([1, 2], np.int32),
        },
        {"OUTPUT_RAGGED_RANK": 1},
        id="index-range",
    ),
]


@pytest.mark.parametrize("sample", RUNTIME_ERRORS, ids=lambda s: s.name)
def test_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample, fed=False)


SHAPE_ERRORS = [
    S(
        "RaggedRange",
        {"starts": np.zeros((2, 2), np.int32), "limits": np.int32(3), "deltas": np.int32(1)},
        id="rank",
    ),
    S(
        "RaggedRange",
        {"starts": np.zeros(2, np.int32), "limits": np.zeros(3, np.int32), "deltas": np.int32(1)},
        id="sizes",
    ),
    S(
        "RaggedTensorToSparse",
        {"rt_nested_splits": [np.zeros((1, 2), np.int64)], "rt_dense_values": _V},
        id="splits-rank",
    ),
    S(
        "RaggedTensorToSparse",
        {"rt_nested_splits": [np.array([0, 5], np.int64)], "rt_dense_values": np.float32(1)},
        id="scalar-values",
    ),
    S(
        "RaggedTensorToTensor",
        {
            "shape": np.array([2, 3, 4], np.int64),
            "values": _V,
            "default_value": np.float32(0),
            "row_partition_tensors": [np.array([0, 2, 5], np.int64)],
        },
        {"row_partition_types": ["ROW_SPLITS"]},
        id="shape-rank",
    ),
    S(
        "RaggedGather",
        {
            "params_nested_splits": [np.array([0, 2, 5], np.int64)],
            "params_dense_values": _V,
            "indices": np.array([1, 0], np.int32),
        },
        {"OUTPUT_RAGGED_RANK": 2},
        id="output-ragged-rank",
    ),
]


@pytest.mark.parametrize("sample", SHAPE_ERRORS, ids=lambda s: s.name)
def test_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)
