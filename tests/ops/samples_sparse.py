"""Samples for sparse ops: SparseReorder, SparseReshape, SparseConcat, SparseReduceSum, SparseSegment* and their gradient ops,
and the set ops (DenseToDense/DenseToSparse/SparseToSparseSetOperation, SetSize)."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample, randn

S = Sample


def i64(*rows):
    return np.array(rows, np.int64)


def i32(*v):
    return np.array(v, np.int32)


_IDX = i64([1, 2], [0, 1], [2, 0], [0, 0], [1, 0])  # unordered
_VALS = randn(5)
_SHAPE = i64(3, 4)
_DATA = randn(6, 3)

_sparse = [
    S("SparseReorder", {"input_indices": _IDX, "input_values": _VALS, "input_shape": _SHAPE}),
    S(
        "SparseReorder",
        {
            "input_indices": i64([0, 1, 1], [0, 0, 2], [1, 0, 0]),
            "input_values": np.array([b"a", b"b", b"c"], dtype=object),
            "input_shape": i64(2, 2, 3),
        },
        id="string-3d",
    ),
    S(
        "SparseReorder",
        {"input_indices": _IDX, "input_values": _VALS, "input_shape": _SHAPE},
        fed={"input_indices": [None, 2], "input_values": [None]},
        id="fed",
    ),
    S("SparseReshape", {"input_indices": _IDX, "input_shape": _SHAPE, "new_shape": i64(2, 6)}),
    S("SparseReshape", {"input_indices": _IDX, "input_shape": _SHAPE, "new_shape": i64(-1, 2, 3)}, id="infer-3d"),
    S("SparseReshape", {"input_indices": _IDX, "input_shape": _SHAPE, "new_shape": i64(3, 4)}, id="same"),
    S(
        "SparseReshape",
        {"input_indices": i64([0, 1, 1], [1, 0, 2], [1, 1, 0]), "input_shape": i64(2, 2, 3), "new_shape": i64(12, -1)},
        id="3d-to-column",
    ),
    S(
        "SparseReshape",
        {"input_indices": np.zeros((0, 2), np.int64), "input_shape": _SHAPE, "new_shape": i64(4, 3, 1)},
        id="empty",
    ),
    S(
        "SparseReshape",
        {"input_indices": _IDX, "input_shape": _SHAPE, "new_shape": i64(6, -1)},
        fed={"input_indices": [None, 2], "new_shape": [None]},
        id="fed",
    ),
    S(
        "SparseConcat",
        {
            "indices": [i64([0, 1], [1, 0]), i64([0, 0], [1, 2], [0, 2])],
            "values": [np.array([1, 2], np.int32), np.array([3, 4, 5], np.int32)],
            "shapes": [i64(2, 2), i64(2, 3)],
        },
        {"concat_dim": 1},
    ),
    S(
        "SparseConcat",
        {
            "indices": [i64([1, 1], [0, 0]), i64([0, 1]), i64([1, 0])],
            "values": [randn(2), randn(1), randn(1)],
            "shapes": [i64(2, 2), i64(1, 2), i64(3, 2)],
        },
        {"concat_dim": 0},
        id="dim0-unordered",
    ),
    S(
        "SparseConcat",
        {
            "indices": [i64([0, 1]), i64([0, 0])],
            "values": [randn(1), randn(1)],
            "shapes": [i64(1, 2), i64(1, 2)],
        },
        {"concat_dim": -1},
        id="negative",
    ),
    S(
        "SparseReduceSum",
        {"input_indices": _IDX, "input_values": _VALS, "input_shape": _SHAPE, "reduction_axes": i32(1)},
    ),
    S(
        "SparseReduceSum",
        {"input_indices": _IDX, "input_values": _VALS, "input_shape": _SHAPE, "reduction_axes": i32(0, -1)},
        id="all",
    ),
    S(
        "SparseReduceSum",
        {
            "input_indices": i64([0, 1, 1], [0, 1, 1], [1, 0, 2]),
            "input_values": np.array([1, 2, 3], np.int64),
            "input_shape": i64(2, 2, 3),
            "reduction_axes": i32(2),
        },
        {"keep_dims": True},
        id="keep-dims-duplicates-int64",
    ),
    S(
        "SparseReduceSum",
        {"input_indices": _IDX, "input_values": _VALS, "input_shape": _SHAPE, "reduction_axes": i32(0)},
        fed={"input_shape": [2]},
        id="fed-shape",
    ),
]

_segments = []
for _op in ("SparseSegmentSum", "SparseSegmentMean", "SparseSegmentSqrtN"):
    _segments += [
        S(_op, {"data": _DATA, "indices": i32(0, 2, 2, 5, 1), "segment_ids": i32(0, 0, 1, 3, 3)}),
        S(
            _op,
            {
                "data": randn(4, 2, 2, dtype=np.float64),
                "indices": np.array([3, 0], np.int64),
                "segment_ids": np.array([1, 1], np.int64),
            },
            id="f64-int64",
        ),
        S(
            _op,
            {"data": _DATA, "indices": i32(0, 2, 2, 5, 1), "segment_ids": i32(0, 0, 1, 3, 3)},
            {"sparse_gradient": True},
            id="sparse-gradient",
        ),
        S(
            _op + "WithNumSegments",
            {"data": _DATA, "indices": i32(4, 1, 1), "segment_ids": i32(0, 2, 2), "num_segments": np.int32(5)},
        ),
        S(
            _op + "Grad",
            {
                "grad": randn(4, 3),
                "indices": i32(0, 2, 2, 5, 1),
                "segment_ids": i32(0, 0, 1, 3, 3),
                "output_dim0": np.int32(6),
            },
        ),
        S(
            _op + "GradV2",
            {
                "grad": randn(4, 3),
                "indices": i32(5, 2, 2, 0, 1),
                "segment_ids": i32(0, 0, 1, 3, 3),
                "dense_output_dim0": np.int32(6),
            },
        ),
    ]
_segments.append(
    S(
        "SparseSegmentSum",
        {"data": np.arange(12, dtype=np.int32).reshape(4, 3), "indices": i32(3, 1), "segment_ids": i32(0, 2)},
        id="int32",
    )
)

_A = np.array([[3, 1, 3, 7], [5, 5, 2, 0], [9, 8, 7, 6]], np.int64)
_B = np.array([[1, 4, 3], [0, 1, 2], [6, 6, 6]], np.int64)
_SP_IDX = i64([0, 0], [0, 1], [2, 0], [2, 2])  # rows 0 and 2 of a [3, 4] sparse set
_SP_VALS = np.array([3, 4, 6, 1], np.int64)
_SP_SHAPE = i64(3, 4)
_STR = np.array([[b"a", b"c", b"a"], [b"b", b"z", b"y"]], dtype=object)
_STR2 = np.array([[b"c", b"d", b"c"], [b"y", b"b", b"q"]], dtype=object)

_sets = [
    *[
        S("DenseToDenseSetOperation", {"set1": _A[:, :3], "set2": _B}, {"set_operation": op}, id=op)
        for op in ("a-b", "b-a", "intersection", "union")
    ],
    S("DenseToDenseSetOperation", {"set1": _A, "set2": _B}, {"set_operation": "Intersection"}, id="wider-a"),
    S("DenseToDenseSetOperation", {"set1": _STR, "set2": _STR2}, {"set_operation": "union"}, id="string"),
    S(
        "DenseToDenseSetOperation",
        {"set1": _A.astype(np.int32).reshape(3, 2, 2), "set2": np.tile(_B.astype(np.int32), 2).reshape(3, 2, 3)},
        {"set_operation": "a-b"},
        id="rank3-int32",
    ),
    S(
        "DenseToDenseSetOperation",
        {"set1": _A[:, :3], "set2": _B},
        {"set_operation": "intersection"},
        fed={"set1": [None, 3], "set2": [3, None]},
        id="fed",
    ),
    *[
        S(
            "DenseToSparseSetOperation",
            {"set1": _A, "set2_indices": _SP_IDX, "set2_values": _SP_VALS, "set2_shape": _SP_SHAPE},
            {"set_operation": op},
            id=op,
        )
        for op in ("a-b", "b-a", "intersection", "union")
    ],
    S(
        "SparseToSparseSetOperation",
        {
            "set1_indices": i64([0, 0], [1, 1], [1, 2]),
            "set1_values": np.array([3, 5, 2], np.int64),
            "set1_shape": _SP_SHAPE,
            "set2_indices": _SP_IDX,
            "set2_values": _SP_VALS,
            "set2_shape": _SP_SHAPE,
        },
        {"set_operation": "union"},
    ),
    S(
        "SparseToSparseSetOperation",
        {
            "set1_indices": i64([0, 0], [1, 1], [1, 2]),
            "set1_values": np.array([3, 5, 2], np.int64),
            "set1_shape": _SP_SHAPE,
            "set2_indices": _SP_IDX,
            "set2_values": _SP_VALS,
            "set2_shape": _SP_SHAPE,
        },
        {"set_operation": "b-a"},
        id="b-a",
    ),
    S("SetSize", {"set_indices": _SP_IDX, "set_values": _SP_VALS, "set_shape": _SP_SHAPE}),
    S(
        "SetSize",
        {
            "set_indices": i64([0, 0, 0], [0, 0, 1], [1, 2, 0]),
            "set_values": np.array([b"x", b"x", b"y"], dtype=object),
            "set_shape": i64(2, 3, 2),
        },
        id="string-rank3",
    ),
]

_FILL = i64([1, 0], [1, 3], [4, 2], [2, 1])  # rows 0 and 3 empty
_fill_empty_rows = [
    S(
        "SparseFillEmptyRows",
        {"indices": _FILL, "values": randn(4), "dense_shape": i64(5, 4), "default_value": np.float32(-1.5)},
    ),
    S(
        "SparseFillEmptyRows",
        {"indices": _FILL[[2, 0, 3, 1]], "values": randn(4), "dense_shape": i64(6, 4), "default_value": np.float32(0)},
        id="unordered-trailing-empty",
    ),
    S(
        "SparseFillEmptyRows",
        {
            "indices": i64([0, 1], [1, 0], [1, 2]),
            "values": np.array([3, 4, 5], np.int32),
            "dense_shape": i64(2, 3),
            "default_value": np.int32(9),
        },
        id="no-empty-rows",
    ),
    S(
        "SparseFillEmptyRows",
        {
            "indices": i64([1, 0, 0]),
            "values": np.array([b"x"], object),
            "dense_shape": i64(3, 2, 2),
            "default_value": np.array(b"\xc3\xa4", object),
        },
        id="string-3d",
        grad=False,
    ),
    S(
        "SparseFillEmptyRows",
        {
            "indices": np.zeros((0, 2), np.int64),
            "values": randn(0),
            "dense_shape": i64(3, 2),
            "default_value": np.float32(7),
        },
        id="all-empty",
    ),
    S(
        "SparseFillEmptyRows",
        {
            "indices": np.zeros((0, 2), np.int64),
            "values": randn(0),
            "dense_shape": i64(0, 2),
            "default_value": np.float32(7),
        },
        id="zero-rows",
    ),
    S(
        "SparseFillEmptyRows",
        {"indices": _FILL, "values": randn(4), "dense_shape": i64(5, 4), "default_value": np.float32(2)},
        fed={"indices": [None, 2], "values": [None], "dense_shape": [2]},
        id="fed",
    ),
    S("SparseFillEmptyRowsGrad", {"reverse_index_map": i64(1, 4, 0), "grad_values": randn(6)}),
    S("SparseFillEmptyRowsGrad", {"reverse_index_map": i64(), "grad_values": np.array([1, 2], np.int64)}, id="empty"),
]

_SLICE_IDX = i64([0, 0], [0, 3], [1, 1], [2, 2], [3, 0], [3, 4])
_slices = [
    S(
        "SparseSlice",
        {"indices": _SLICE_IDX, "values": randn(6), "shape": i64(4, 5), "start": i64(1, 1), "size": i64(3, 3)},
    ),
    S(
        "SparseSlice",
        {"indices": _SLICE_IDX, "values": randn(6), "shape": i64(4, 5), "start": i64(2, 2), "size": i64(9, 9)},
        id="beyond",
    ),
    S(
        "SparseSlice",
        {
            "indices": _SLICE_IDX,
            "values": np.arange(6, dtype=np.int32),
            "shape": i64(4, 5),
            "start": i64(5, 0),
            "size": i64(2, 2),
        },
        id="outside",
    ),
    S(
        "SparseSlice",
        {
            "indices": _SLICE_IDX,
            "values": np.array([b"a", b"b", b"c", b"d", b"e", b"f"], object),
            "shape": i64(4, 5),
            "start": i64(0, 0),
            "size": i64(4, 2),
        },
        id="strings",
        grad=False,
    ),
    S(
        "SparseSlice",
        {"indices": _SLICE_IDX, "values": randn(6), "shape": i64(4, 5), "start": i64(0, 2), "size": i64(4, 3)},
        fed={"indices": [None, 2], "values": [None], "shape": [2]},
        id="fed",
    ),
    S(
        "SparseSliceGrad",
        {
            "backprop_val_grad": randn(2),
            "input_indices": _SLICE_IDX,
            "input_start": i64(1, 1),
            "output_indices": i64([0, 0], [1, 1]),
        },
    ),
]


_edit_distance = [
    S(
        "EditDistance",
        {
            "hypothesis_indices": i64([0, 0, 0], [0, 0, 1], [1, 0, 0], [1, 1, 0], [1, 1, 2]),
            "hypothesis_values": np.array([b"a", b"b", b"c", b"d", b"e"], object),
            "hypothesis_shape": np.array([2, 3, 3], np.int64),
            "truth_indices": i64([0, 0, 0], [0, 0, 2], [0, 1, 0], [1, 0, 0], [1, 0, 1]),
            "truth_values": np.array([b"a", b"c", b"x", b"c", b"y"], object),
            "truth_shape": np.array([2, 2, 3], np.int64),
        },
        id="strings",
    ),
    S(
        "EditDistance",
        {
            "hypothesis_indices": i64([0, 0], [0, 1], [1, 0]),
            "hypothesis_values": np.array([1, 2, 3], np.int32),
            "hypothesis_shape": np.array([2, 2], np.int64),
            "truth_indices": i64([0, 0], [0, 1], [0, 2]),
            "truth_values": np.array([1, 5, 2], np.int32),
            "truth_shape": np.array([3, 3], np.int64),
        },
        {"normalize": False},
        id="int32-unnormalized",
    ),
]

_MM_IDX = i64([0, 1], [2, 0], [1, 2], [2, 2], [0, 0])
_sparse_dense_matmul = [
    S("SparseTensorDenseMatMul", {"a_indices": _MM_IDX, "a_values": randn(5), "a_shape": i64(3, 4), "b": randn(4, 2)}),
    S(
        "SparseTensorDenseMatMul",
        {"a_indices": _MM_IDX, "a_values": randn(5), "a_shape": i64(3, 4), "b": randn(2, 3)},
        attrs={"adjoint_a": True, "adjoint_b": True},
        id="adjoint-both",
    ),
    S(
        "SparseTensorDenseMatMul",
        {"a_indices": _MM_IDX, "a_values": randn(5), "a_shape": i64(3, 4), "b": randn(3, 2)},
        attrs={"adjoint_a": True},
        id="adjoint-a",
    ),
    S(
        "SparseTensorDenseMatMul",
        {"a_indices": _MM_IDX.astype(np.int32), "a_values": randn(5), "a_shape": i64(3, 4), "b": randn(5, 4)},
        attrs={"adjoint_b": True},
        id="adjoint-b-int32",
    ),
    S(
        "SparseTensorDenseMatMul",
        {
            "a_indices": _MM_IDX,
            "a_values": np.arange(5, dtype=np.int32),
            "a_shape": i64(3, 4),
            "b": np.ones((4, 2), np.int32),
        },
        id="int32",
        grad=False,
    ),
    S(
        "SparseTensorDenseMatMul",
        {"a_indices": _MM_IDX, "a_values": randn(5), "a_shape": i64(3, 4), "b": randn(4, 2)},
        fed={"a_indices": [None, 2], "a_values": [None], "a_shape": [2], "b": [None, 2]},
        id="fed",
    ),
]

_R_IDX = i64([0, 1, 0], [0, 1, 2], [1, 0, 1], [1, 2, 2], [1, 2, 0])
_R_VALS = np.array([3.0, -1.0, -2.5, 4.0, -7.0], np.float32)
_reductions = []
for _op in ("SparseReduceMax", "SparseReduceMaxSparse", "SparseReduceSumSparse"):
    _reductions += [
        S(
            _op,
            {"input_indices": _R_IDX, "input_values": _R_VALS, "input_shape": i64(2, 3, 3), "reduction_axes": i32(1)},
        ),
        S(
            _op,
            {
                "input_indices": _R_IDX,
                "input_values": _R_VALS,
                "input_shape": i64(2, 3, 3),
                "reduction_axes": i32(-1, 0),
            },
            attrs={"keep_dims": True},
            id="keep-dims",
        ),
        S(
            _op,
            {
                "input_indices": _R_IDX,
                "input_values": np.array([5, 1, -3, 2, 9], np.int32),
                "input_shape": i64(2, 3, 3),
                "reduction_axes": i32(0, 1, 2),
            },
            id="all-int32",
        ),
    ]

_SM_IDX = i64([0, 0, 1], [0, 0, 3], [0, 2, 0], [1, 1, 1], [1, 1, 2], [1, 1, 3])
_B_IDX = i64([0, 0, 3], [0, 1, 0], [1, 1, 1], [1, 2, 2])
_sparse_elementwise = [
    S("SparseSoftmax", {"sp_indices": _SM_IDX, "sp_values": randn(6), "sp_shape": i64(2, 3, 4)}),
    S(
        "SparseSoftmax",
        {"sp_indices": i64([0, 0], [0, 2], [2, 1]), "sp_values": randn(3).astype(np.float64), "sp_shape": i64(3, 3)},
        id="2d-float64",
    ),
    S(
        "SparseDenseCwiseAdd",
        {"sp_indices": _SM_IDX, "sp_values": randn(6), "sp_shape": i64(2, 3, 4), "dense": randn(3, 1)},
        grad=False,
    ),
    S(
        "SparseDenseCwiseAdd",
        {
            "sp_indices": _SM_IDX,
            "sp_values": np.arange(6, dtype=np.int32),
            "sp_shape": i64(2, 3, 4),
            "dense": i32(1, 2, 3, 4),
        },
        id="int32-row",
        grad=False,
    ),
]
for _op in ("SparseSparseMaximum", "SparseSparseMinimum"):
    _sparse_elementwise += [
        S(
            _op,
            {
                "a_indices": _SM_IDX,
                "a_values": randn(6),
                "a_shape": i64(2, 3, 4),
                "b_indices": _B_IDX,
                "b_values": randn(4),
                "b_shape": i64(2, 3, 4),
            },
            grad=False,
        ),
        S(
            _op,
            {
                "a_indices": _B_IDX,
                "a_values": i32(-3, 4, 5, -6),
                "a_shape": i64(2, 3, 4),
                "b_indices": i64([0, 1, 0], [1, 0, 0]),
                "b_values": i32(7, -2),
                "b_shape": i64(2, 3, 4),
            },
            id="int32",
            grad=False,
        ),
    ]

_sparse_add = [
    S(
        "SparseAdd",
        {
            "a_indices": _SM_IDX,
            "a_values": randn(6),
            "a_shape": i64(2, 3, 4),
            "b_indices": _B_IDX,
            "b_values": randn(4),
            "b_shape": i64(2, 3, 4),
            "thresh": np.float32(0.0),
        },
    ),
    S(
        "SparseAdd",
        {
            "a_indices": i64([0, 0], [1, 1], [2, 0]),
            "a_values": np.array([1.0, 0.5, 0.05], np.float32),
            "a_shape": i64(3, 2),
            "b_indices": i64([0, 0], [1, 0], [1, 1]),
            "b_values": np.array([-0.9, 0.01, 2.0], np.float32),
            "b_shape": i64(3, 2),
            "thresh": np.float32(0.2),
        },
        id="thresh",
    ),
    S(
        "SparseAddGrad",
        {
            "backprop_val_grad": randn(4),
            "a_indices": i64([0, 0], [1, 1], [2, 0]),
            "b_indices": i64([0, 0], [1, 0], [1, 1]),
            "sum_indices": i64([1, 0], [1, 1], [2, 0], [2, 1]),
        },
    ),
    S(
        "SparseTensorDenseAdd",
        {"a_indices": _SM_IDX, "a_values": randn(6), "a_shape": i64(2, 3, 4), "b": randn(2, 3, 4)},
    ),
    S(
        "SparseTensorDenseAdd",
        {"a_indices": i32([0, 1], [0, 1]), "a_values": i32(3, 4), "a_shape": i32(2, 2), "b": np.ones((2, 2), np.int32)},
        id="int32-duplicates",
        grad=False,
    ),
]

_splits = [
    S(
        "SparseSplit",
        {"split_dim": np.int64(1), "indices": _SM_IDX, "values": randn(6), "shape": i64(2, 3, 4)},
        attrs={"num_split": 2},
        grad=False,
    ),
    S(
        "SparseSplit",
        {"split_dim": np.int64(-1), "indices": _SM_IDX, "values": np.arange(6, dtype=np.int64), "shape": i64(2, 3, 4)},
        attrs={"num_split": 3},
        id="residual",
        grad=False,
    ),
    S(
        "SparseSplit",
        {"split_dim": np.int64(0), "indices": _SM_IDX, "values": randn(6), "shape": i64(2, 3, 4)},
        attrs={"num_split": 2},
        id="rows",
        grad=False,
    ),
]

SAMPLES: list[Sample] = (
    _splits
    + _sparse_add
    + (
        _sparse
        + _segments
        + _sets
        + _fill_empty_rows
        + _slices
        + _sparse_dense_matmul
        + _reductions
        + _sparse_elementwise
        + _edit_distance
    )
)
