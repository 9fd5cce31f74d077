"""Samples for the ragged ops (torchmeta/ops/ragged_ops.py): RaggedRange (broadcast scalars, empty and negative
ranges, float accumulation), RaggedTensorToSparse and RaggedTensorToTensor (row splits, value row ids, first-dim
size, padding and truncation to a given shape, inner dimensions, strings) and RaggedGather (nested, with
multi-dimensional indices); gradients where TF has them."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample, randn

S = Sample


def i64(*v):
    return np.array(v, np.int64)


def i32(*v):
    return np.array(v, np.int32)


_SPLITS = i64(0, 2, 2, 5)  # rows of 2, 0 and 3 values
_INNER = i64(0, 1, 3, 3, 5)  # 4 inner rows over 5 values, nested under the 3 outer rows of _OUTER
_OUTER = i64(0, 2, 3, 4)

SAMPLES: list[Sample] = [
    S("RaggedRange", {"starts": i32(0, 5, 2), "limits": i32(3, 5, 9), "deltas": i32(1, 1, 3)}),
    S("RaggedRange", {"starts": np.int64(0), "limits": i64(4, -1, 7), "deltas": i64(-1, -2, 2)}, id="broadcast"),
    S("RaggedRange", {"starts": np.float32(0.1), "limits": np.float32(1.0), "deltas": np.float32(0.1)}, id="float"),
    S(
        "RaggedRange",
        {"starts": np.array([0.5, 3.0]), "limits": np.array([2.0, 0.0]), "deltas": np.float64(0.25)},
        {"Tsplits": "dtype:int32"},
        id="double-int32-splits",
    ),
    S("RaggedRange", {"starts": i32(), "limits": i32(), "deltas": i32()}, id="empty"),
    S(
        "RaggedRange",
        {"starts": i32(0, 1), "limits": i32(3, 4), "deltas": np.int32(1)},
        fed={"starts": [None], "limits": [2]},
        id="fed",
    ),
    S("RaggedTensorToSparse", {"rt_nested_splits": [_SPLITS], "rt_dense_values": randn(5)}),
    S(
        "RaggedTensorToSparse",
        {"rt_nested_splits": [_OUTER, _INNER], "rt_dense_values": randn(5, 2)},
        id="nested-inner-dims",
    ),
    S(
        "RaggedTensorToSparse",
        {"rt_nested_splits": [i32(0, 1, 3)], "rt_dense_values": np.array([b"a", b"\xc3\xa9", b""], object)},
        id="strings-int32",
    ),
    S(
        "RaggedTensorToTensor",
        {
            "shape": i64(-1, -1),
            "values": randn(5),
            "default_value": np.float32(0.5),
            "row_partition_tensors": [_SPLITS],
        },
        {"row_partition_types": ["ROW_SPLITS"]},
    ),
    S(
        "RaggedTensorToTensor",
        {
            "shape": i32(4, 2),
            "values": randn(5),
            "default_value": np.float32(-1),
            "row_partition_tensors": [_SPLITS],
        },
        {"row_partition_types": ["ROW_SPLITS"]},
        id="pad-and-truncate",
    ),
    S(
        "RaggedTensorToTensor",
        {
            "shape": np.int64(-1),
            "values": randn(5, 2),
            "default_value": np.array([7.0, 8.0], np.float32),
            "row_partition_tensors": [np.int64(4), i64(0, 0, 2, 2, 2)],
        },
        {"row_partition_types": ["FIRST_DIM_SIZE", "VALUE_ROWIDS"]},
        id="rowids-inner",
    ),
    S(
        "RaggedTensorToTensor",
        {
            "shape": i64(3, -1, 2),
            "values": np.arange(5, dtype=np.int32),
            "default_value": np.int32(0),
            "row_partition_tensors": [_OUTER, _INNER],
        },
        {"row_partition_types": ["ROW_SPLITS", "ROW_SPLITS"]},
        id="nested",
        grad=False,
    ),
    S(
        "RaggedTensorToTensor",
        {
            "shape": i64(-1, -1),
            "values": np.array([b"x", b"y", b"z"], object),
            "default_value": np.array(b"", object),
            "row_partition_tensors": [i64(0, 3, 3)],
        },
        {"row_partition_types": ["ROW_SPLITS"]},
        id="strings",
        grad=False,
    ),
    S(
        "RaggedGather",
        {"params_nested_splits": [_SPLITS], "params_dense_values": randn(5), "indices": i32(2, 0, 2, 1)},
        {"OUTPUT_RAGGED_RANK": 1},
    ),
    S(
        "RaggedGather",
        {"params_nested_splits": [_OUTER, _INNER], "params_dense_values": randn(5, 3), "indices": i64(2, 1)},
        {"OUTPUT_RAGGED_RANK": 2},
        id="nested",
    ),
    S(
        "RaggedGather",
        {"params_nested_splits": [_SPLITS], "params_dense_values": randn(5), "indices": i32(0, 2, 2, 1).reshape(2, 2)},
        {"OUTPUT_RAGGED_RANK": 2},
        id="matrix-indices",
    ),
]
