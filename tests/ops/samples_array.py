"""Samples for array ops."""

from __future__ import annotations

import numpy as np
from ml_dtypes import bfloat16 as tf_bfloat16

from tests.ops.harness import Sample, randn


def i32(*v):
    return np.array(v, np.int32)


def i64(*v):
    return np.array(v, np.int64)


def strs(*shape):
    """A string array whose elements name their position (b"s0", b"s1", ...)."""
    n = int(np.prod(shape, dtype=np.int64))
    out = np.empty(n, dtype=object)
    out[:] = [f"s{i}".encode() for i in range(n)]
    return out.reshape(shape)


def ints(*shape, dtype=np.int32):
    return np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape).astype(dtype)


def bools(*shape):
    return (ints(*shape) % 3 == 0).reshape(shape)


F = randn(2, 3)
F3 = randn(2, 3, 4)
S = Sample

_identity = [
    S("Identity", {"input": randn(2, 3)}),
    S("Identity", {"input": np.array([b"a", b"bc"], dtype=object)}, id="string"),
    S("Identity", {"input": randn(2, 3)}, fed={"input": [None, 3]}, id="unknown-dim"),
    S("Identity", {"input": np.float16(1.5)}, id="half-scalar"),
    S("PlaceholderWithDefault", {"input": randn(4)}, {"shape": [None]}),
    S("PlaceholderWithDefault", {"input": ints(2, 2)}, {"shape": [2, 2]}, id="int32"),
    S("IdentityN", {"input": [randn(2), ints(3), strs(2)]}),
    S("StopGradient", {"input": F}),
    S("StopGradient", {"input": strs(3)}, id="string"),
    S("Snapshot", {"input": ints(2, 2, dtype=np.int64)}),
    # grad=False: TF registers no gradient for Snapshot (both raise LookupError; tests/ops/test_array_gradients.py).
    S("Snapshot", {"input": F}, fed={"input": [None, None]}, id="unknown", grad=False),
    # grad=False: its gradient raises LookupError by design (compared with TF in test_array_gradients.py).
    S("PreventGradient", {"input": F}, {"message": "no grads"}, grad=False),
    S("CheckNumerics", {"tensor": F}, {"message": "bad"}),
    S("CheckNumerics", {"tensor": randn(3).astype(np.float16)}, {"message": "bad"}, id="half"),
    S("CheckNumerics", {"tensor": randn(0, 2).astype(np.float64)}, {"message": "bad"}, id="empty-f64"),
    S("EnsureShape", {"input": F}, {"shape": [2, None]}),
    S("EnsureShape", {"input": F}, {"shape": [None, 3]}, fed={"input": [None, None]}, id="refines"),
    S("EnsureShape", {"input": strs(2)}, {"shape": [2]}, id="string"),
]

_shapes = [
    S("Shape", {"input": F}),
    S("Shape", {"input": F3}, {"out_type": "dtype:int64"}, id="int64"),
    S("Shape", {"input": np.float32(3)}, id="scalar"),
    S("Shape", {"input": strs(2, 1)}, id="string"),
    S("Shape", {"input": F}, fed={"input": [None, 3]}, id="unknown-dim"),
    S("Shape", {"input": F}, fed={"input": None}, id="unknown-rank"),
    S("ShapeN", {"input": [F, F3]}),
    S("ShapeN", {"input": [F]}, {"out_type": "dtype:int64"}, id="int64"),
    S("Size", {"input": F}),
    S("Size", {"input": randn(0, 3)}, {"out_type": "dtype:int64"}, id="empty-int64"),
    S("Size", {"input": F}, fed={"input": [None, 3]}, id="unknown"),
    S("Rank", {"input": F3}),
    S("Rank", {"input": np.int64(1)}, id="scalar"),
    S("Rank", {"input": F}, fed={"input": None}, id="unknown"),
]

_fill = [
    S("Fill", {"dims": i32(2, 3), "value": np.float32(1.5)}),
    S("Fill", {"dims": i64(2), "value": np.int64(7)}, id="int64"),
    S("Fill", {"dims": i32(2, 2), "value": np.array(b"x", dtype=object)}, id="string"),
    S("Fill", {"dims": i32(3), "value": np.bool_(True)}, id="bool"),
    S("Fill", {"dims": i32(0, 2), "value": np.float16(2)}, id="empty-half"),
    S("Fill", {"dims": np.zeros(0, np.int32), "value": np.float32(2)}, id="scalar"),
    S("Fill", {"dims": i32(2, 3), "value": np.float32(1)}, fed={"dims": [2]}, id="unknown-dims"),
    S("ZerosLike", {"x": F}),
    S("ZerosLike", {"x": ints(2, 2, dtype=np.int64)}, id="int64"),
    S("ZerosLike", {"x": bools(3)}, id="bool"),
    S("ZerosLike", {"x": randn(2).astype(np.float16)}, id="half"),
    S("ZerosLike", {"x": randn(0, 2)}, fed={"x": [None, 2]}, id="empty-unknown"),
    S("OnesLike", {"x": F}),
    S("OnesLike", {"x": ints(3, dtype=np.int64)}, id="int64"),
    S("OnesLike", {"x": bools(2, 2)}, id="bool"),
    S("OnesLike", {"x": (randn(2) + 1j * randn(2)).astype(np.complex64)}, id="complex64"),
    S("OnesLike", {"x": F}, fed={"x": None}, id="unknown"),
]

_reshape = [
    S("Reshape", {"tensor": F, "shape": i32(3, 2)}),
    S("Reshape", {"tensor": F3, "shape": i32(-1, 4)}, id="minus-one"),
    S("Reshape", {"tensor": F3, "shape": i64(4, -1)}, id="int64-shape"),
    S("Reshape", {"tensor": np.float32(3), "shape": i32(1, 1)}, id="scalar-in"),
    S("Reshape", {"tensor": randn(1), "shape": np.zeros(0, np.int32)}, id="to-scalar"),
    S("Reshape", {"tensor": randn(0, 3), "shape": i32(3, 0)}, id="empty"),
    S("Reshape", {"tensor": randn(0, 3), "shape": i32(-1, 3)}, id="empty-minus-one"),
    S("Reshape", {"tensor": randn(0, 3), "shape": i32(-1, 0)}, id="empty-minus-one-zero"),
    S("Reshape", {"tensor": randn(0, 3), "shape": i32(-1, 0, 2)}, id="empty-minus-one-inexact"),
    S(
        "Reshape",
        {"tensor": randn(0, 3), "shape": i32(-1, 0, 2)},
        fed={"tensor": None, "shape": [3]},
        id="empty-minus-one-inexact-fed",
    ),
    S("Reshape", {"tensor": strs(2, 3), "shape": i32(6)}, id="string"),
    S("Reshape", {"tensor": bools(2, 2), "shape": i32(4)}, id="bool"),
    S("Reshape", {"tensor": randn(4).astype(np.float16), "shape": i32(2, 2)}, id="half"),
    S("Reshape", {"tensor": F, "shape": i32(-1)}, fed={"tensor": [None, 3]}, id="unknown-in-minus-one"),
    S("Reshape", {"tensor": F3, "shape": i32(-1, 12)}, fed={"tensor": [None, 3, 4]}, id="unknown-batch"),
    S("Reshape", {"tensor": F3, "shape": i32(2, -1)}, fed={"tensor": [2, None, 4]}, id="unknown-middle"),
    S("Reshape", {"tensor": F, "shape": i32(3, 2)}, fed={"shape": [2]}, id="unknown-shape-value"),
    S("Reshape", {"tensor": F, "shape": i32(6)}, fed={"tensor": None}, id="unknown-rank-in"),
    S("ExpandDims", {"input": F, "axis": np.int32(0)}),
    S("ExpandDims", {"input": F, "axis": np.int32(-1)}, id="neg"),
    S("ExpandDims", {"input": F, "axis": np.int64(1)}, id="int64"),
    S("ExpandDims", {"input": np.float32(1), "axis": np.int32(0)}, id="scalar"),
    S("ExpandDims", {"input": F, "axis": i32(2)}, id="vector-axis"),
    S("ExpandDims", {"input": strs(2), "axis": np.int32(1)}, id="string"),
    S("ExpandDims", {"input": F, "axis": np.int32(1)}, fed={"input": [None, 3]}, id="unknown"),
    S("ExpandDims", {"input": F, "axis": np.int32(1)}, fed={"axis": []}, id="unknown-axis"),
    S("Squeeze", {"input": randn(1, 2, 1)}),
    S("Squeeze", {"input": randn(1, 2, 1)}, {"axis": [2]}, id="dims"),
    S("Squeeze", {"input": randn(1, 2, 1)}, {"axis": [-1, 0]}, id="neg-dims"),
    S("Squeeze", {"input": strs(1, 2)}, id="string"),
    S("Squeeze", {"input": randn(3, 1)}, {"axis": [1]}, fed={"input": [None, None]}, id="unknown-dims"),
    S("Squeeze", {"input": randn(3, 1)}, fed={"input": [None, 1]}, id="unknown-all"),
    S("Squeeze", {"input": randn(1, 1)}, id="to-scalar"),
    S("Transpose", {"x": F, "perm": i32(1, 0)}),
    S("Transpose", {"x": F3, "perm": i64(2, 0, 1)}, id="3d-int64"),
    S("Transpose", {"x": np.float32(1), "perm": np.zeros(0, np.int32)}, id="scalar"),
    S("Transpose", {"x": strs(2, 3), "perm": i32(1, 0)}, id="string"),
    S("Transpose", {"x": ints(2, 0, 3), "perm": i32(2, 1, 0)}, id="empty"),
    S("Transpose", {"x": F3, "perm": i32(1, 2, 0)}, fed={"x": [None, 3, None]}, id="unknown"),
    S("Transpose", {"x": F3, "perm": i32(1, 2, 0)}, fed={"perm": [3]}, id="unknown-perm"),
]

_joins = [
    S("ConcatV2", {"values": [F, randn(1, 3)], "axis": np.int32(0)}),
    S("ConcatV2", {"values": [F, randn(2, 1), randn(2, 2)], "axis": np.int32(-1)}, id="three-neg"),
    S("ConcatV2", {"values": [ints(2), ints(3)], "axis": np.int64(0)}, id="int64-axis"),
    S("ConcatV2", {"values": [strs(1, 2), strs(1, 2)], "axis": np.int32(1)}, id="string"),
    S("ConcatV2", {"values": [randn(0, 2), randn(1, 2)], "axis": np.int32(0)}, id="empty"),
    S("ConcatV2", {"values": [bools(2), bools(1)], "axis": np.int32(0)}, id="bool"),
    S("ConcatV2", {"values": [F, F], "axis": np.int32(1)}, fed={"axis": []}, id="unknown-axis"),
    S("Concat", {"concat_dim": np.int32(0), "values": [F, randn(1, 3)]}),
    S("Concat", {"concat_dim": np.int32(-1), "values": [F, randn(2, 1), randn(2, 2)]}, id="three-neg"),
    S("Concat", {"concat_dim": np.int32(1), "values": [strs(1, 2), strs(1, 2)]}, id="string"),
    S("Concat", {"concat_dim": np.int32(1), "values": [F, F]}, fed={"concat_dim": []}, id="unknown-axis"),
    S("ConcatOffset", {"concat_dim": np.int32(1), "shape": [i32(2, 3, 5), i32(2, 7, 5), i32(2, 1, 5)]}),
    S("ConcatOffset", {"concat_dim": np.int32(0), "shape": [i64(2, 3), i64(4, 3)]}, id="int64"),
    S("Pack", {"values": [F, F]}),
    S("Pack", {"values": [F, F, F]}, {"axis": 1}, id="axis1"),
    S("Pack", {"values": [F, F]}, {"axis": -1}, id="neg-axis"),
    S("Pack", {"values": [np.float32(1), np.float32(2)]}, id="scalars"),
    S("Pack", {"values": [i32(1, 2)]}, id="single"),
    S("ParallelConcat", {"values": [randn(1, 3), randn(1, 3), randn(1, 3)]}, {"shape": [3, 3]}),
    S("ParallelConcat", {"values": [np.array([[1, 2]], np.int32)]}, {"shape": [1, 2]}, id="single-int32"),
    S("Pack", {"values": [strs(2), strs(2)]}, id="string"),
    S("Pack", {"values": [bools(2), bools(2)]}, id="bool"),
    S("Pack", {"values": [randn(0), randn(0)]}, id="empty"),
    S("Unpack", {"value": F}, {"num": 2}),
    S("Unpack", {"value": F}, {"num": 3, "axis": 1}, id="axis1"),
    S("Unpack", {"value": F3}, {"num": 4, "axis": -1}, id="neg-axis"),
    S("Unpack", {"value": strs(2, 2)}, {"num": 2}, id="string"),
    S("Unpack", {"value": randn(0, 2)}, {"num": 2, "axis": 1}, id="empty"),
    S("Unpack", {"value": randn(2, 3)}, {"num": 2}, fed={"value": [None, 3]}, id="unknown"),
]

_slices = [
    S("Slice", {"input": F3, "begin": i32(0, 1, 1), "size": i32(2, 2, 3)}),
    S("Slice", {"input": F3, "begin": i64(1, 0, 2), "size": i64(-1, 2, -1)}, id="minus-one-int64"),
    S("Slice", {"input": strs(3, 2), "begin": i32(1, 0), "size": i32(2, 1)}, id="string"),
    S("Slice", {"input": F, "begin": i32(1, 1), "size": i32(0, 2)}, id="empty"),
    S("Slice", {"input": np.float32(1), "begin": np.zeros(0, np.int32), "size": np.zeros(0, np.int32)}, id="scalar"),
    S("Slice", {"input": F3, "begin": i32(0, 1, 1), "size": i32(2, 2, -1)}, fed={"input": [None, 3, None]}, id="unk"),
    S("Slice", {"input": F, "begin": i32(0, 1), "size": i32(1, 2)}, fed={"begin": [2]}, id="unknown-begin"),
    S("Slice", {"input": F, "begin": i32(0, 1), "size": i32(1, 2)}, fed={"size": [2]}, id="unknown-size"),
]


def _ss(x, begin, end, strides, id, dtype=np.int32, fed=None, grad=True, **masks):
    return S(
        "StridedSlice",
        {"input": x, "begin": np.array(begin, dtype), "end": np.array(end, dtype), "strides": np.array(strides, dtype)},
        masks,
        id=id,
        fed=fed or {},
        grad=grad,
    )


X4 = randn(4, 5, 6)
_strided = [
    _ss(X4, [1], [3], [1], "basic"),
    _ss(X4, [0, 1], [4, 5], [2, 2], "strides"),
    _ss(X4, [3], [0], [-1], "neg-stride"),
    _ss(X4, [-1, 0], [-5, 5], [-2, 1], "neg-begin-neg-stride"),
    _ss(X4, [0, 0, 5], [0, 0, 0], [1, 1, -2], "masked-neg", begin_mask=3, end_mask=7),
    _ss(X4, [0], [0], [-1], "reverse-all", begin_mask=1, end_mask=1),
    _ss(X4, [1, 0], [2, 0], [1, 1], "shrink", shrink_axis_mask=1),
    _ss(X4, [-1], [0], [1], "shrink-neg", shrink_axis_mask=1),
    _ss(X4, [0, 2], [0, 3], [1, 1], "ellipsis-shrink", ellipsis_mask=1, shrink_axis_mask=2),
    _ss(X4, [0, 0, 1], [0, 0, 3], [1, 1, 1], "newaxis-ellipsis", new_axis_mask=1, ellipsis_mask=2),
    _ss(X4, [0, 0, 0], [0, 2, 0], [1, 1, 1], "newaxis-middle", begin_mask=5, end_mask=5, new_axis_mask=2),
    _ss(X4, [0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1], "ellipsis-newaxis-end", ellipsis_mask=1, new_axis_mask=8),
    _ss(X4, [-100, 2], [100, -100], [1, -1], "clamp"),
    _ss(X4, [3, 0], [1, 5], [1, 1], "empty-range"),
    _ss(X4, [1, 2, 3], [2, 3, 4], [1, 1, 1], "all-shrink", shrink_axis_mask=7),
    _ss(X4, [1], [3], [1], "int64", dtype=np.int64),
    _ss(X4, [1, -1], [3, -4], [1, -1], "int64-neg", dtype=np.int64),
    _ss(strs(4, 3), [3, 0], [0, 3], [-2, 2], "string"),
    _ss(bools(5), [4], [0], [-3], "bool"),
    _ss(randn(0, 3), [0, 1], [0, 2], [1, 1], "empty-input", begin_mask=1, end_mask=1),
    _ss(np.float32(3), [0], [0], [1], "scalar-ellipsis", ellipsis_mask=1),
    _ss(np.float32(3), [0], [0], [1], "scalar-newaxis", new_axis_mask=1),
    _ss(X4, [1, 0], [3, 2], [1, 1], "unknown-dims", fed={"input": [None, 5, None]}),
    _ss(X4, [0, 0], [0, 2], [1, 1], "unknown-masked", fed={"input": [None, 5, None]}, begin_mask=1, end_mask=1),
    _ss(X4, [1], [2], [1], "unknown-shrink", fed={"input": [None, None, 6]}, shrink_axis_mask=1),
    _ss(X4, [1], [3], [1], "unknown-rank", fed={"input": None}),
    _ss(X4, [1, 0], [3, 0], [1, 1], "unknown-begin", fed={"begin": [2]}, end_mask=2),
    _ss(X4, [0, 0], [0, 0], [1, 1], "unknown-begin-masked", fed={"begin": [2]}, begin_mask=3, end_mask=3),
    _ss(X4, [1, 0], [3, 0], [1, 1], "unknown-strides", fed={"strides": [2]}),
]

_tile = [
    S("Tile", {"input": F, "multiples": i32(2, 3)}),
    S("Tile", {"input": F, "multiples": i64(1, 0)}, id="zero-int64"),
    S("Tile", {"input": np.float32(2), "multiples": np.zeros(0, np.int32)}, id="scalar"),
    S("Tile", {"input": strs(2), "multiples": i32(3)}, id="string"),
    S("Tile", {"input": bools(1, 2), "multiples": i32(2, 1)}, id="bool"),
    S("Tile", {"input": F, "multiples": i32(2, 1)}, fed={"input": [None, 3]}, id="unknown"),
    S("Tile", {"input": F, "multiples": i32(2, 1)}, fed={"multiples": [2]}, id="unknown-multiples"),
    S("BroadcastTo", {"input": randn(3), "shape": i32(2, 3)}),
    S("BroadcastTo", {"input": np.float32(1), "shape": i64(2, 2)}, id="scalar-int64"),
    S("BroadcastTo", {"input": randn(2, 1), "shape": i32(4, 2, 3)}, id="rank-up"),
    S("BroadcastTo", {"input": strs(1, 2), "shape": i32(2, 2)}, id="string"),
    S("BroadcastTo", {"input": randn(1, 3), "shape": i32(0, 3)}, id="empty"),
    S("BroadcastTo", {"input": randn(3), "shape": i32(2, 3)}, fed={"input": [None]}, id="unknown-in"),
    S("BroadcastTo", {"input": randn(3), "shape": i32(2, 3)}, fed={"shape": [2]}, id="unknown-shape"),
    S("BroadcastArgs", {"s0": i32(2, 1), "s1": i32(3)}),
    S("BroadcastArgs", {"s0": i64(1), "s1": i64(4, 1, 5)}, id="int64"),
    S("BroadcastArgs", {"s0": np.zeros(0, np.int32), "s1": i32(2, 2)}, id="scalar"),
]

_select = [
    S("Select", {"condition": bools(2, 3), "x": F, "y": randn(2, 3)}),
    S("Select", {"condition": np.array([True, False]), "x": F, "y": randn(2, 3)}, id="vector-cond"),
    S("Select", {"condition": np.bool_(False), "x": ints(2), "y": ints(2) + 5}, id="scalar-cond"),
    S("Select", {"condition": bools(2), "x": strs(2), "y": strs(2)[::-1].copy()}, id="string"),
    S("Select", {"condition": bools(2, 3), "x": F, "y": F}, fed={"x": [None, 3]}, id="unknown"),
    S("SelectV2", {"condition": bools(2, 1), "t": randn(1, 3), "e": np.float32(0)}),
    S("SelectV2", {"condition": np.bool_(True), "t": ints(2, dtype=np.int64), "e": ints(2, dtype=np.int64)}, id="i64"),
    S("SelectV2", {"condition": bools(3), "t": strs(3), "e": np.array(b"-", dtype=object)}, id="string"),
    S("SelectV2", {"condition": bools(2, 3), "t": F, "e": F}, fed={"condition": [None, 3]}, id="unknown"),
]

P = randn(5, 3)
_gather = [
    S("Gather", {"params": P, "indices": i32(4, 0, 2)}),
    S("Gather", {"params": P, "indices": i64(1, 1, 3, 0).reshape(2, 2)}, id="2d-int64"),
    S("Gather", {"params": strs(4), "indices": i32(3, 0)}, id="string"),
    S("Gather", {"params": P, "indices": np.int32(2)}, id="scalar-index"),
    S("Gather", {"params": P, "indices": np.zeros(0, np.int32)}, id="empty"),
    S("Gather", {"params": P, "indices": i32(1)}, {"validate_indices": False}, id="no-validate"),
    S("GatherV2", {"params": P, "indices": i32(2, 0), "axis": np.int32(1)}),
    S("GatherV2", {"params": F3, "indices": i64(3, 3, 0), "axis": np.int64(-1)}, id="neg-axis-int64"),
    S("GatherV2", {"params": F3, "indices": np.array([[1, 0], [0, 2]], np.int16), "axis": np.int32(1)}, id="int16"),
    S(
        "GatherV2",
        {"params": F3, "indices": i32(0, 2, 1, 1).reshape(2, 2), "axis": np.int32(2)},
        {"batch_dims": 1},
        id="batch-dims",
    ),
    S(
        "GatherV2",
        {"params": F3, "indices": i32(0, 2, 1, 1).reshape(2, 2), "axis": np.int32(1)},
        {"batch_dims": -1},
        id="batch-dims-neg",
    ),
    S(
        "GatherV2",
        {"params": randn(2, 3, 4, 2), "indices": ints(2, 3) % 4, "axis": np.int32(2)},
        {"batch_dims": 2},
        id="batch-dims-2",
    ),
    S("GatherV2", {"params": strs(2, 3), "indices": i32(2, 2), "axis": np.int32(1)}, id="string"),
    S(
        "GatherV2",
        {"params": F3, "indices": i32(1, 0), "axis": np.int32(1)},
        fed={"params": [None, 3, None]},
        id="unknown",
    ),
    S("GatherV2", {"params": F3, "indices": i32(1, 0), "axis": np.int32(1)}, fed={"axis": []}, id="unknown-axis"),
    S("GatherNd", {"params": F3, "indices": i32(1, 2, 3, 0, 0, 0).reshape(2, 3)}),
    S("GatherNd", {"params": F3, "indices": i64(1, 0).reshape(2, 1)}, id="slices-int64"),
    S("GatherNd", {"params": F3, "indices": np.array([[[0, 1]], [[1, 2]]], np.int32)}, id="batched"),
    # grad=False: TF's gradient is a ScatterNd with 0-length indices, which TF's kernel rejects.
    S("GatherNd", {"params": F, "indices": np.zeros((2, 0), np.int32)}, id="k0", grad=False),
    S("GatherNd", {"params": strs(2, 2), "indices": i32(1, 0).reshape(1, 2)}, id="string"),
    # grad=False: TF's gradient needs an int16 shape tensor, which ScatterNd's shape function rejects.
    S("GatherNd", {"params": F, "indices": np.array([[1, 2]], np.int16)}, id="int16", grad=False),
    S("GatherNd", {"params": F3, "indices": i32(1, 2).reshape(1, 2)}, fed={"params": [None, None, 4]}, id="unknown"),
    S("ScatterNd", {"indices": i32(4, 3, 1, 7).reshape(4, 1), "updates": randn(4), "shape": i32(8)}),
    S("ScatterNd", {"indices": i64(0, 2).reshape(2, 1), "updates": randn(2, 3), "shape": i64(4, 3)}, id="slices"),
    S("ScatterNd", {"indices": i32(1, 1, 1).reshape(3, 1), "updates": ints(3), "shape": i32(3)}, id="dups-int32"),
    S("ScatterNd", {"indices": i32(0, 1, 1, 0).reshape(2, 2), "updates": randn(2), "shape": i32(2, 2)}, id="2d"),
    S(
        "ScatterNd",
        {"indices": i32(1).reshape(1, 1), "updates": randn(1), "shape": i32(3)},
        fed={"shape": [1]},
        id="unknown-shape",
    ),
]

# TF's SparseToDense gradient gathers with GatherNd(grad, sparse_indices), so it only builds for
# [n, rank] indices: the samples with scalar or vector indices set grad=False (TF fails to build it too).
_sparse = [
    S(
        "SparseToDense",
        {
            "sparse_indices": i32(0, 2),
            "output_shape": i32(4),
            "sparse_values": randn(2),
            "default_value": np.float32(-1),
        },
        grad=False,
    ),
    S(
        "SparseToDense",
        {
            "sparse_indices": i32(0, 2).reshape(2, 1),
            "output_shape": i32(4),
            "sparse_values": randn(2),
            "default_value": np.float32(-1),
        },
        id="column-indices",
    ),
    S(
        "SparseToDense",
        {
            "sparse_indices": i64(0, 1, 2, 0).reshape(2, 2),
            "output_shape": i64(3, 2),
            "sparse_values": randn(2).astype(np.float64),
            "default_value": np.float64(0.5),
        },
        fed={"sparse_values": [None]},
        id="2d-f64-unknown",
    ),
    S(
        "SparseToDense",
        {
            "sparse_indices": i64(0, 1, 2, 0).reshape(2, 2),
            "output_shape": i64(3, 2),
            "sparse_values": np.int64(5),
            "default_value": np.int64(0),
        },
        id="2d-scalar-value",
    ),
    S(
        "SparseToDense",
        {
            "sparse_indices": np.int32(1),
            "output_shape": i32(3),
            "sparse_values": np.float32(2),
            "default_value": np.float32(0),
        },
        id="scalar-index",
        grad=False,
    ),
    S(
        "SparseToDense",
        {
            "sparse_indices": i32(2, 0),
            "output_shape": i32(3),
            "sparse_values": randn(2),
            "default_value": np.float32(0),
        },
        {"validate_indices": False},
        id="unsorted-no-validate",
        grad=False,
    ),
    S(
        "SparseToDense",
        {
            "sparse_indices": i32(1),
            "output_shape": i32(2),
            "sparse_values": strs(1),
            "default_value": np.array(b"d", dtype=object),
        },
        id="string",
    ),
    S(
        "SparseToDense",
        {"sparse_indices": i32(1), "output_shape": i32(3), "sparse_values": randn(1), "default_value": np.float32(0)},
        fed={"output_shape": [1]},
        id="unknown-shape",
        grad=False,
    ),
    S(
        "OneHot",
        {"indices": i64(0, 2, -1, 5), "depth": np.int32(4), "on_value": np.float32(1), "off_value": np.float32(0)},
    ),
    S(
        "OneHot",
        {
            "indices": i32(1, 0, 2, 1).reshape(2, 2),
            "depth": np.int32(3),
            "on_value": np.int32(5),
            "off_value": np.int32(-1),
        },
        {"axis": 0},
        id="axis0-int32",
    ),
    S(
        "OneHot",
        {
            "indices": np.array([1, 0], np.uint8),
            "depth": np.int32(2),
            "on_value": np.bool_(True),
            "off_value": np.bool_(False),
        },
        {"axis": 1},
        id="uint8-bool",
    ),
    S(
        "OneHot",
        {"indices": np.array(2, np.int8), "depth": np.int32(3), "on_value": np.float64(1), "off_value": np.float64(0)},
        id="scalar-int8",
    ),
    S(
        "OneHot",
        {
            "indices": i64(1, 2),
            "depth": np.int32(3),
            "on_value": np.array(b"y", dtype=object),
            "off_value": np.array(b"n", dtype=object),
        },
        id="string",
    ),
    S(
        "OneHot",
        {"indices": i64(1, 2), "depth": np.int32(3), "on_value": np.float32(1), "off_value": np.float32(0)},
        fed={"depth": []},
        id="unknown-depth",
    ),
    S("Where", {"condition": bools(2, 3)}),
    S("Where", {"condition": F}, id="float"),
    S("Where", {"condition": ints(3, dtype=np.int64)}, id="int64"),
    S("Where", {"condition": bools(0, 2)}, id="empty"),
    S("Where", {"condition": bools(2, 3)}, fed={"condition": None}, id="unknown-rank"),
]

_pad = [
    S("Pad", {"input": F, "paddings": i32(1, 0, 2, 1).reshape(2, 2)}),
    S("Pad", {"input": ints(2, 2, dtype=np.int64), "paddings": i64(0, 1, 1, 0).reshape(2, 2)}, id="int64"),
    S("Pad", {"input": strs(2), "paddings": i32(1, 1).reshape(1, 2)}, id="string"),
    S("Pad", {"input": bools(2), "paddings": i32(1, 0).reshape(1, 2)}, id="bool"),
    S("Pad", {"input": np.float32(1), "paddings": np.zeros((0, 2), np.int32)}, id="scalar"),
    S("Pad", {"input": randn(0, 2), "paddings": i32(1, 1, 0, 0).reshape(2, 2)}, id="empty"),
    S("Pad", {"input": F, "paddings": i32(1, 0, 2, 1).reshape(2, 2)}, fed={"input": [None, 3]}, id="unknown"),
    S("Pad", {"input": F, "paddings": i32(1, 0, 2, 1).reshape(2, 2)}, fed={"paddings": [2, 2]}, id="unknown-pads"),
    S("PadV2", {"input": F, "paddings": i32(1, 1, 0, 2).reshape(2, 2), "constant_values": np.float32(9)}),
    S("PadV2", {"input": ints(3), "paddings": i64(2, 0).reshape(1, 2), "constant_values": np.int32(-4)}, id="int"),
    S(
        "PadV2",
        {"input": strs(1), "paddings": i32(0, 1).reshape(1, 2), "constant_values": np.array(b"p", object)},
        id="string",
    ),
    S("MirrorPad", {"input": F, "paddings": i32(1, 1, 2, 2).reshape(2, 2)}, {"mode": "REFLECT"}),
    S("MirrorPad", {"input": F, "paddings": i64(2, 1, 3, 0).reshape(2, 2)}, {"mode": "SYMMETRIC"}, id="symmetric"),
    S("MirrorPad", {"input": F3, "paddings": i32(1, 0, 0, 2, 3, 3).reshape(3, 2)}, {"mode": "REFLECT"}, id="3d"),
    S("MirrorPad", {"input": strs(3), "paddings": i32(1, 2).reshape(1, 2)}, {"mode": "SYMMETRIC"}, id="string"),
    S("MirrorPad", {"input": ints(3), "paddings": i32(2, 2).reshape(1, 2)}, {"mode": "REFLECT"}, id="int32"),
    S("MirrorPad", {"input": F, "paddings": i32(0, 0, 0, 0).reshape(2, 2)}, {"mode": "REFLECT"}, id="none"),
    S("ReverseV2", {"tensor": F3, "axis": i32(1)}),
    S("ReverseV2", {"tensor": F3, "axis": i64(0, -1)}, id="two-int64"),
    S("ReverseV2", {"tensor": F, "axis": np.zeros(0, np.int32)}, id="none"),
    S("ReverseV2", {"tensor": strs(2, 2), "axis": i32(1)}, id="string"),
    S("ReverseV2", {"tensor": bools(4), "axis": i32(0)}, id="bool"),
    S("ReverseV2", {"tensor": F, "axis": i32(1)}, fed={"tensor": [None, None]}, id="unknown"),
    S("ReverseSequence", {"input": F3, "seq_lengths": i64(3, 1)}, {"seq_dim": 1}),
    S("ReverseSequence", {"input": F3, "seq_lengths": i32(4, 0, 2)}, {"seq_dim": 2, "batch_dim": 1}, id="batch-1"),
    S(
        "ReverseSequence",
        {"input": np.swapaxes(F3, 0, 1).copy(), "seq_lengths": i64(2, 1)},
        {"seq_dim": 0, "batch_dim": 1},
        id="time-major",
    ),
    S("ReverseSequence", {"input": strs(2, 3), "seq_lengths": i64(2, 3)}, {"seq_dim": 1}, id="string"),
    S(
        "SpaceToBatchND",
        {"input": randn(2, 4, 6, 3), "block_shape": i32(2, 3), "paddings": i32(0, 0, 0, 0).reshape(2, 2)},
    ),
    S(
        "SpaceToBatchND",
        {"input": randn(1, 5, 4, 2), "block_shape": i64(2, 2), "paddings": i64(1, 0, 0, 2).reshape(2, 2)},
        id="padded-int64",
    ),
    S("SpaceToBatchND", {"input": randn(2, 5, 3), "block_shape": i32(3), "paddings": i32(1, 0).reshape(1, 2)}, id="1d"),
    S(
        "SpaceToBatchND",
        {"input": randn(2, 2, 4, 3, 2), "block_shape": i32(1, 2, 3), "paddings": i32(0, 0, 0, 0, 0, 0).reshape(3, 2)},
        id="3d",
    ),
    S(
        "SpaceToBatchND",
        {"input": randn(2, 4, 6, 3), "block_shape": i32(2, 2), "paddings": i32(0, 0, 1, 1).reshape(2, 2)},
        fed={"input": [None, None, None, 3], "paddings": [2, 2]},
        id="fed",
    ),
    S(
        "SpaceToBatchND",
        {"input": ints(1, 4, 4, 1), "block_shape": i32(2, 2), "paddings": i32(0, 0, 0, 0).reshape(2, 2)},
        id="int32",
        grad=False,
    ),
    S("BatchToSpaceND", {"input": randn(6, 2, 2, 3), "block_shape": i32(2, 3), "crops": i32(0, 0, 0, 0).reshape(2, 2)}),
    S(
        "BatchToSpaceND",
        {"input": randn(4, 3, 2, 2), "block_shape": i64(2, 2), "crops": i64(1, 0, 0, 2).reshape(2, 2)},
        id="cropped-int64",
    ),
    S("BatchToSpaceND", {"input": randn(3, 2, 2), "block_shape": i32(3), "crops": i32(0, 2).reshape(1, 2)}, id="1d"),
    S(
        "BatchToSpaceND",
        {"input": randn(8, 2, 3, 2), "block_shape": i32(2, 2), "crops": i32(1, 1, 0, 1).reshape(2, 2)},
        fed={"input": [None, None, None, 2], "block_shape": [2]},
        id="fed",
    ),
    S(
        "ReverseSequence",
        {"input": F3, "seq_lengths": i64(3, 2)},
        {"seq_dim": 1},
        fed={"input": [None, None, 4]},
        id="unknown",
    ),
]

_split = [
    S("Split", {"axis": np.int32(0), "value": randn(4, 3)}, {"num_split": 2}),
    S("Split", {"axis": np.int32(-1), "value": F3}, {"num_split": 4}, id="neg-axis"),
    S("Split", {"axis": np.int32(1), "value": F}, {"num_split": 1}, id="one"),
    S("Split", {"axis": np.int32(0), "value": strs(4)}, {"num_split": 2}, id="string"),
    S("Split", {"axis": np.int32(0), "value": randn(0, 2)}, {"num_split": 2}, id="empty"),
    S("Split", {"axis": np.int32(1), "value": randn(2, 4)}, {"num_split": 2}, fed={"value": [None, 4]}, id="unk"),
    S("Split", {"axis": np.int32(1), "value": randn(2, 4)}, {"num_split": 2}, fed={"axis": []}, id="unknown-axis"),
    S("SplitV", {"value": randn(6, 2), "size_splits": i64(1, 2, 3), "axis": np.int32(0)}, {"num_split": 3}),
    S("SplitV", {"value": randn(2, 6), "size_splits": i32(4, -1), "axis": np.int32(-1)}, {"num_split": 2}, id="m1"),
    S("SplitV", {"value": strs(3), "size_splits": i32(0, 3), "axis": np.int32(0)}, {"num_split": 2}, id="string-zero"),
    S(
        "SplitV",
        {"value": randn(2, 6), "size_splits": i32(4, 2), "axis": np.int32(1)},
        {"num_split": 2},
        fed={"value": [2, None]},
        id="unknown",
    ),
    S(
        "SplitV",
        {"value": randn(2, 6), "size_splits": i32(4, 2), "axis": np.int32(1)},
        {"num_split": 2},
        fed={"size_splits": [2]},
        id="unknown-sizes",
    ),
]

_misc = [
    S("InvertPermutation", {"x": i32(3, 0, 1, 2)}),
    S("InvertPermutation", {"x": i64(1, 0)}, id="int64"),
    S("InvertPermutation", {"x": np.zeros(0, np.int32)}, id="empty"),
    S("InvertPermutation", {"x": i32(2, 0, 1)}, fed={"x": [None]}, id="unknown"),
    # grad=False: TF registers no gradient for Unique (both raise LookupError).
    S("Unique", {"x": np.array([3, 1, 3, 2, 1, 5], np.float32)}, grad=False),
    S("Unique", {"x": i64(4, 4, -1, 0, -1)}, {"out_idx": "dtype:int64"}, id="int64"),
    S("Unique", {"x": np.array([b"b", b"a", b"b"], dtype=object)}, id="string"),
    S("Unique", {"x": np.array([True, True, False])}, id="bool"),
    S("Unique", {"x": np.zeros(0, np.int32)}, id="empty"),
    S("Unique", {"x": i32(1, 1, 2)}, fed={"x": [None]}, id="unknown"),
    S("ListDiff", {"x": i32(1, 2, 3, 4, 5, 6), "y": i32(1, 3, 5)}),
    S(
        "ListDiff",
        {"x": np.array([1.5, 2.5, 1.5], np.float32), "y": np.array([2.5], np.float32)},
        {"out_idx": "dtype:int64"},
        id="float-int64",
        grad=False,  # TF registers no gradient for ListDiff (both raise LookupError)
    ),
    S("ListDiff", {"x": np.array([b"a", b"b"], dtype=object), "y": np.array([b"b"], dtype=object)}, id="string"),
    S("ListDiff", {"x": i32(1, 2), "y": np.zeros(0, np.int32)}, id="empty-y"),
    S(
        "DynamicStitch",
        {
            "indices": [np.int32(6), i32(4, 1), i32(5, 2, 0, 3).reshape(2, 2)],
            "data": [randn(2), randn(2, 2), randn(2, 2, 2)],
        },
    ),
    S("DynamicStitch", {"indices": [i32(0, 1, 2), i32(1, 2)], "data": [ints(3), ints(2) + 10]}, id="overlap-int32"),
    S("DynamicStitch", {"indices": [i32(1, 0)], "data": [strs(2)]}, id="string"),
    S(
        "ParallelDynamicStitch",
        {"indices": [i32(0, 3), i32(4, 1, 2).reshape(1, 3)], "data": [randn(2, 2), randn(1, 3, 2)]},
    ),
    S("ParallelDynamicStitch", {"indices": [i32(1, 0), i32(2)], "data": [strs(2), strs(1)]}, id="string"),
    S("DynamicPartition", {"data": randn(6, 2), "partitions": i32(1, 0, 2, 1, 1, 0)}, {"num_partitions": 3}),
    S(
        "DynamicPartition",
        {"data": randn(2, 3, 2), "partitions": i32(0, 1, 1, 0, 0, 0).reshape(2, 3)},
        {"num_partitions": 2},
        id="2d-partitions",
    ),
    S("DynamicPartition", {"data": ints(5), "partitions": i32(2, 2, 0, 0, 2)}, {"num_partitions": 4}, id="empty-part"),
    S("DynamicPartition", {"data": strs(3), "partitions": i32(1, 0, 1)}, {"num_partitions": 2}, id="string"),
    S(
        "DynamicStitch",
        {"indices": [i32(1, 0), np.zeros(0, np.int32)], "data": [randn(2, 3), randn(0, 3)]},
        id="with-empty",
    ),
    S("Bitcast", {"input": F}, {"type": "dtype:int32"}),
    S("Bitcast", {"input": F}, {"type": "dtype:uint8"}, id="to-smaller"),
    S("Bitcast", {"input": ints(3, 4, dtype=np.uint8)}, {"type": "dtype:float32"}, id="to-bigger"),
    S("Bitcast", {"input": ints(3, dtype=np.int64)}, {"type": "dtype:int32"}, id="int64-int32"),
    S("Bitcast", {"input": randn(2).astype(np.float16)}, {"type": "dtype:int16"}, id="half-int16"),
    S("Bitcast", {"input": np.float64(1.5)}, {"type": "dtype:int64"}, id="f64-scalar"),
    # grad=False: TF registers no gradient for Bitcast (both raise LookupError).
    S("Bitcast", {"input": randn(2, 2).astype(np.float64)}, {"type": "dtype:complex128"}, id="f64-c128", grad=False),
]

# Less common element types through the structural kernels.
_dtypes = [
    S("Reshape", {"tensor": ints(2, 3, dtype=np.uint8), "shape": i32(3, 2)}, id="uint8"),
    S("Reshape", {"tensor": randn(2, 2).astype(tf_bfloat16), "shape": i32(4)}, id="bfloat16"),
    S("Transpose", {"x": ints(2, 3, dtype=np.int8), "perm": i32(1, 0)}, id="int8"),
    S("Transpose", {"x": randn(2, 3).astype(np.complex128), "perm": i32(1, 0)}, id="complex128"),
    S("ConcatV2", {"values": [ints(2, dtype=np.int16), ints(3, dtype=np.int16)], "axis": np.int32(0)}, id="int16"),
    S("ConcatV2", {"values": [randn(2).astype(tf_bfloat16)] * 2, "axis": np.int32(0)}, id="bfloat16"),
    S("Pack", {"values": [randn(2).astype(np.complex64)] * 2}, id="complex64"),
    S("GatherV2", {"params": bools(4), "indices": i32(3, 0), "axis": np.int32(0)}, id="bool"),
    S("GatherV2", {"params": randn(4).astype(np.float16), "indices": i64(1), "axis": np.int64(0)}, id="half"),
    S("Tile", {"input": ints(2, dtype=np.uint8), "multiples": i32(2)}, id="uint8"),
    S("Pad", {"input": randn(2).astype(np.float16), "paddings": i32(1, 1).reshape(1, 2)}, id="half"),
    S("ReverseV2", {"tensor": ints(3, dtype=np.uint8), "axis": i32(0)}, id="uint8"),
    S("Slice", {"input": randn(3).astype(np.float64), "begin": i32(1), "size": i32(1)}, id="f64"),
    # grad=False below: StridedSliceGrad takes no int16 indices, so TF cannot build this gradient either.
    _ss(X4, [1, -1], [3, -4], [1, -1], "int16", dtype=np.int16, grad=False),
    S("Select", {"condition": bools(3), "x": randn(3).astype(np.float16), "y": randn(3).astype(np.float16)}, id="half"),
    S("Unique", {"x": np.array([2, 2, 1], np.int8)}, id="int8"),
    S("Split", {"axis": np.int32(0), "value": ints(4, dtype=np.int64)}, {"num_split": 4}, id="int64"),
]


def _ssg(shape, begin, end, strides, dy, id, dtype=np.int32, fed=None, **masks):
    return S(
        "StridedSliceGrad",
        {
            "shape": np.array(shape, dtype),
            "begin": np.array(begin, dtype),
            "end": np.array(end, dtype),
            "strides": np.array(strides, dtype),
            "dy": dy,
        },
        masks,
        id=id,
        fed=fed or {},
    )


# Ops that gradients emit (StridedSliceGrad, MirrorPadGrad, BroadcastGradientArgs).
_grad_ops = [
    _ssg([4, 5, 6], [1], [3], [1], randn(2, 5, 6), "basic"),
    _ssg([4, 5, 6], [0, 1], [4, 5], [2, 2], randn(2, 2, 6), "strides"),
    _ssg([4, 5, 6], [3], [0], [-1], randn(3, 5, 6), "neg-stride"),
    _ssg([4, 5, 6], [-1, 0], [-5, 5], [-2, 1], randn(2, 5, 6), "neg-begin-neg-stride"),
    _ssg([4, 5, 6], [0, 0, 5], [0, 0, 0], [1, 1, -2], randn(4, 5, 3), "masked-neg", begin_mask=3, end_mask=7),
    _ssg([4, 5, 6], [1, 0], [2, 0], [1, 1], randn(5, 6), "shrink", shrink_axis_mask=1, end_mask=2),
    _ssg([4, 5, 6], [0, 2], [0, 3], [1, 1], randn(4, 5), "ellipsis-shrink", ellipsis_mask=1, shrink_axis_mask=2),
    _ssg([4, 5, 6], [0, 0, 1], [0, 0, 3], [1, 1, 1], randn(1, 4, 5, 2), "newaxis", new_axis_mask=1, ellipsis_mask=2),
    _ssg([4, 5, 6], [3, 0], [1, 5], [1, 1], randn(0, 5, 6), "empty-range"),
    _ssg([4, 5], [1, -1], [3, -4], [1, -1], randn(2, 3).astype(np.float64), "int64-f64", dtype=np.int64),
    _ssg([4, 3], [3, 0], [0, 3], [-2, 2], strs(2, 2), "string"),
    _ssg([5], [4], [0], [-3], bools(2), "bool"),
    _ssg([4], [1], [3], [1], ints(2), "int32"),
    _ssg([], [0], [0], [1], np.float32(3), "scalar", ellipsis_mask=1),
    _ssg([4, 5, 6], [1], [3], [1], randn(2, 5, 6), "unknown-shape", fed={"shape": [3]}),
    _ssg([4, 5, 6], [1], [3], [1], randn(2, 5, 6), "unknown-dy", fed={"dy": [None, None, 6]}),
    _ssg([4, 5, 6], [1], [3], [1], randn(2, 5, 6), "unknown-begin", fed={"begin": [1]}),
    S("MirrorPadGrad", {"input": randn(4, 7), "paddings": i32(1, 1, 2, 2).reshape(2, 2)}, {"mode": "REFLECT"}),
    S(
        "MirrorPadGrad",
        {"input": randn(5, 7), "paddings": i64(2, 1, 3, 0).reshape(2, 2)},
        {"mode": "SYMMETRIC"},
        id="symmetric-int64",
    ),
    S(
        "MirrorPadGrad",
        {"input": randn(3, 5, 10).astype(np.float64), "paddings": i32(1, 0, 0, 2, 3, 3).reshape(3, 2)},
        {"mode": "REFLECT"},
        id="3d-f64",
    ),
    S("MirrorPadGrad", {"input": ints(7), "paddings": i32(2, 2).reshape(1, 2)}, {"mode": "REFLECT"}, id="int32"),
    S(
        "MirrorPadGrad",
        {"input": randn(6).astype(np.float16), "paddings": i32(2, 1).reshape(1, 2)},
        {"mode": "SYMMETRIC"},
        id="half",
        rtol=1e-3,
        atol=1e-3,
    ),
    S("MirrorPadGrad", {"input": F, "paddings": i32(0, 0, 0, 0).reshape(2, 2)}, {"mode": "REFLECT"}, id="none"),
    S(
        "MirrorPadGrad",
        {"input": np.float32(2), "paddings": np.zeros((0, 2), np.int32)},
        {"mode": "SYMMETRIC"},
        id="scalar",
    ),
    S(
        "MirrorPadGrad",
        {"input": randn(4, 7), "paddings": i32(1, 1, 2, 2).reshape(2, 2)},
        {"mode": "REFLECT"},
        fed={"input": [None, 7]},
        id="unknown-dim",
    ),
    S(
        "MirrorPadGrad",
        {"input": randn(4, 7), "paddings": i32(1, 1, 2, 2).reshape(2, 2)},
        {"mode": "SYMMETRIC"},
        fed={"paddings": [2, 2]},
        id="unknown-paddings",
    ),
    S(
        "MirrorPadGrad",
        {"input": randn(4, 7), "paddings": i32(1, 1, 2, 2).reshape(2, 2)},
        {"mode": "SYMMETRIC"},
        fed={"paddings": [None, 2]},
        id="unknown-rank",
    ),
    S("BroadcastGradientArgs", {"s0": i32(2, 1, 3), "s1": i32(4, 3)}),
    S("BroadcastGradientArgs", {"s0": i32(1, 1), "s1": i32(1)}, id="all-ones"),
    S("BroadcastGradientArgs", {"s0": i32(1, 3), "s1": i32(1, 3)}, id="equal"),
    S("BroadcastGradientArgs", {"s0": np.zeros(0, np.int32), "s1": i32(2, 3)}, id="scalar"),
    S("BroadcastGradientArgs", {"s0": i32(2, 1, 1), "s1": i32(1, 1)}, id="trailing-ones"),
    S("BroadcastGradientArgs", {"s0": i32(0, 1), "s1": i32(1, 5)}, id="zero-dim"),
    S("BroadcastGradientArgs", {"s0": i64(5, 1), "s1": i64(1)}, id="int64"),
    S("BroadcastGradientArgs", {"s0": i32(2, 1, 3), "s1": i32(4, 3)}, fed={"s0": [None]}, id="unknown"),
]

# More shapes for the gradient tests: unknown dims (Shape/ShapeN/BroadcastGradientArgs paths), many
# inputs, float64 and broadcasting.
G = randn(3, 4).astype(np.float64)
_grad_shapes = [
    S("ConcatV2", {"values": [F, randn(2, 2)], "axis": np.int32(1)}, fed={"values": [None, None]}, id="axis1"),
    S("ConcatV2", {"values": [randn(1, 2)] * 18, "axis": np.int32(0)}, id="many"),
    S("ConcatV2", {"values": [G, G], "axis": np.int32(-2)}, id="f64-neg"),
    S("Pack", {"values": [G, G]}, {"axis": 2}, id="f64-axis2"),
    S("Tile", {"input": G, "multiples": i64(2, 1)}, fed={"input": [None, None]}, id="f64-unknown-int64"),
    S("Tile", {"input": randn(2, 1, 3), "multiples": i32(1, 4, 2)}, id="3d"),
    S("BroadcastTo", {"input": randn(1, 3, 1), "shape": i32(2, 4, 3, 5)}, fed={"input": [None, 3, 1]}, id="unk-4d"),
    S("BroadcastTo", {"input": G, "shape": i64(3, 4)}, id="f64-same"),
    S("SelectV2", {"condition": bools(2, 3), "t": randn(3), "e": randn(2, 1)}, id="broadcast-both"),
    S(
        "SelectV2",
        {"condition": bools(2, 3), "t": randn(2, 3), "e": randn(1, 3)},
        fed={"t": [None, 3], "e": [None, 3]},
        id="unknown-broadcast",
    ),
    S("SelectV2", {"condition": bools(4), "t": G[0], "e": G[1]}, fed={"condition": None}, id="f64-unknown-cond"),
    S("Select", {"condition": np.array([True, False, True]), "x": G, "y": G * 2}, id="f64-vector-cond"),
    S("Gather", {"params": G, "indices": i32(2, 0, 2)}, fed={"params": [None, 4]}, id="f64-unknown"),
    S("GatherV2", {"params": G, "indices": i64(2, 1, 2), "axis": np.int32(0)}, id="axis0-dups"),
    S("GatherV2", {"params": F3, "indices": i32(2, 0), "axis": np.int32(1)}, fed={"axis": []}, id="dynamic-axis"),
    S(
        "GatherV2",
        {"params": F3, "indices": i32(1, 0, 2, 2).reshape(2, 2), "axis": np.int32(1)},
        {"batch_dims": 1},
        fed={"params": [None, 3, None]},
        id="batch-dims-unknown",
    ),
    S("GatherNd", {"params": G, "indices": i32(2, 0, 1).reshape(3, 1)}, fed={"params": [None, 4]}, id="rows-unk"),
    S("ScatterNd", {"indices": i32(0, 2, 0).reshape(3, 1), "updates": G, "shape": i32(4, 4)}, id="f64-dups"),
    S("Reshape", {"tensor": G, "shape": i32(2, 6)}, fed={"tensor": [None, None]}, id="f64-unknown-all"),
    S("ExpandDims", {"input": G, "axis": np.int32(1)}, fed={"input": None}, id="f64-unknown-rank"),
    S("Squeeze", {"input": randn(2, 1, 3)}, {"axis": [1]}, fed={"input": [None, 1, None]}, id="grad-unknown"),
    S("Transpose", {"x": F3, "perm": i32(2, 0, 1)}, fed={"x": None}, id="unknown-rank"),
    S("Slice", {"input": G, "begin": i64(1, 1), "size": i64(-1, 2)}, fed={"input": [None, None]}, id="f64-int64"),
    _ss(G, [2, -1], [0, 0], [-1, -2], "f64-unknown", fed={"input": [None, None]}, end_mask=2),
    _ss(G, [1], [3], [1], "unknown-end", fed={"end": [1]}),
    S("Pad", {"input": G, "paddings": i64(0, 2, 1, 1).reshape(2, 2)}, fed={"input": None}, id="f64-unknown-rank"),
    S(
        "PadV2",
        {"input": G, "paddings": i32(1, 0, 0, 1).reshape(2, 2), "constant_values": np.float64(2)},
        fed={"input": [None, 4]},
        id="f64-unknown",
    ),
    S("MirrorPad", {"input": G, "paddings": i32(2, 2, 1, 3).reshape(2, 2)}, {"mode": "SYMMETRIC"}, id="f64-sym"),
    S(
        "MirrorPad",
        {"input": F3, "paddings": i32(1, 0, 0, 2, 3, 3).reshape(3, 2)},
        {"mode": "REFLECT"},
        fed={"input": [None, None, 4]},
        id="unknown",
    ),
    S("ReverseV2", {"tensor": G, "axis": i32(0, 1)}, fed={"tensor": [None, 4]}, id="f64-both"),
    S("Split", {"axis": np.int32(-1), "value": G}, {"num_split": 2}, fed={"value": [3, None]}, id="f64-unk"),
    S(
        "SplitV",
        {"value": G, "size_splits": i32(1, -1, 1), "axis": np.int32(1)},
        {"num_split": 3},
        fed={"value": [None, 4]},
        id="f64-unknown",
    ),
    S("Unpack", {"value": G}, {"num": 4, "axis": 1}, fed={"value": [None, 4]}, id="f64-unknown"),
    S("Fill", {"dims": i32(2, 3), "value": np.float64(1.5)}, fed={"dims": [2]}, id="f64-unknown"),
    S("Fill", {"dims": np.zeros(0, np.int32), "value": np.float32(2)}, fed={"dims": [None]}, id="scalar-unknown"),
    S(
        "DynamicStitch",
        {"indices": [i32(0, 2), i32(1, 3)], "data": [G[:2], G[1:]]},
        id="f64-overlap",
    ),
    S("IdentityN", {"input": [G, randn(2)]}, id="floats"),
    S("CheckNumerics", {"tensor": G}, {"message": "grad"}, fed={"tensor": [None, 4]}, id="f64-unknown"),
    S("EnsureShape", {"input": G}, {"shape": [3, None]}, fed={"input": None}, id="f64-unknown"),
    S("PlaceholderWithDefault", {"input": G}, {"shape": [None, 4]}, id="f64"),
]

SAMPLES: list[Sample] = (
    _identity
    + _shapes
    + _fill
    + _reshape
    + _joins
    + _slices
    + _strided
    + _tile
    + _select
    + _gather
    + _sparse
    + _pad
    + _split
    + _misc
    + _dtypes
    + _grad_ops
    + _grad_shapes
)
