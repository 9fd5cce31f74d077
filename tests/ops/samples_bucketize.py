"""Samples for the searching, bucketing and counting ops (torchmeta/ops/bucketize_ops.py): LowerBound,
UpperBound, Bucketize, HistogramFixedWidth, Bincount, DenseBincount, UnravelIndex."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample, randn
from tests.ops.samples_array import i32, i64

S = Sample
f32, f64 = np.float32, np.float64

SORTED = np.sort(randn(3, 5), axis=1)
SORTED[1, 1:3] = SORTED[1, 2]  # ties: the bounds differ there
VALUES = np.concatenate([randn(3, 4), SORTED[:, :2]], axis=1)

_bounds = []
for op in ("LowerBound", "UpperBound"):
    _bounds += [
        S(op, {"sorted_inputs": SORTED, "values": VALUES}, id="f32"),
        S(op, {"sorted_inputs": SORTED, "values": VALUES}, {"out_type": "dtype:int64"}, id="int64-out"),
        S(op, {"sorted_inputs": i32([0, 2, 2, 5], [1, 1, 1, 9]), "values": i32([2, 6, -1], [1, 9, 10])}, id="i32"),
        S(op, {"sorted_inputs": SORTED.astype(f64), "values": VALUES[:, :3].astype(f64)}, id="f64"),
        S(op, {"sorted_inputs": np.zeros((2, 0), f32), "values": randn(2, 3)}, id="empty-sorted"),
        S(op, {"sorted_inputs": SORTED, "values": np.zeros((3, 0), f32)}, id="no-values"),
        S(op, {"sorted_inputs": SORTED, "values": VALUES}, fed={"values": [None, None]}, id="unknown"),
    ]
_bounds += [S("LowerBound", {"sorted_inputs": i64([1, 5, 9]).reshape(1, 3), "values": i64([5, 0, 10]).reshape(1, 3)})]

X = np.array([-np.inf, -3.5, -1.0, 0.0, 0.5, 1.0, 2.99, 3.0, 10.0, np.inf, np.nan], f32)
_bucketize = [
    S("Bucketize", {"input": X}, {"boundaries": [-1.0, 0.0, 1.0, 3.0]}, id="f32"),
    S("Bucketize", {"input": X.astype(f64)}, {"boundaries": [-1.0, 0.0, 0.0, 1.0, 3.0]}, id="f64-ties"),
    S("Bucketize", {"input": i32(-5, 0, 1, 2, 3, 100)}, {"boundaries": [0.5, 1.0, 2.5]}, id="i32"),
    S("Bucketize", {"input": i64(-5, 0, 2**40)}, {"boundaries": [0.0, 1e12]}, id="i64"),
    S("Bucketize", {"input": randn(2, 3)}, {"boundaries": []}, id="no-boundaries"),
    S("Bucketize", {"input": np.float64(0.1)}, {"boundaries": [0.1]}, id="f64-vs-float-boundary"),
    S("Bucketize", {"input": randn(0, 3)}, {"boundaries": [0.0]}, id="empty"),
    S("Bucketize", {"input": randn(2, 3)}, {"boundaries": [0.0]}, fed={"input": None}, id="unknown"),
]

H = np.array([-3.0, -1.0, 0.0, 0.2, 0.999, 1.0, 4.0, 4.99, 5.0, 7.5, np.inf, -np.inf], f32)
_histogram = [
    S("HistogramFixedWidth", {"values": H, "value_range": np.array([0.0, 5.0], f32), "nbins": i32(5)[0]}, id="f32"),
    S(
        "HistogramFixedWidth",
        {"values": randn(4, 6).astype(f64), "value_range": np.array([-1.0, 1.0]), "nbins": np.int32(7)},
        {"dtype": "dtype:int64"},
        id="f64-int64",
    ),
    S(
        "HistogramFixedWidth",
        {"values": i32(-4, 0, 1, 2, 3, 9, 10, 11), "value_range": i32(0, 10), "nbins": np.int32(3)},
        id="i32",
    ),
    S(
        "HistogramFixedWidth",
        {"values": i64(0, 5, 2**40), "value_range": i64(0, 2**41), "nbins": np.int32(2)},
        id="i64",
    ),
    S(
        "HistogramFixedWidth",
        {"values": np.zeros((0,), f32), "value_range": np.array([0.0, 1.0], f32), "nbins": np.int32(4)},
        id="empty",
    ),
    S(
        "HistogramFixedWidth",
        {"values": H, "value_range": np.array([0.0, 5.0], f32), "nbins": np.int32(5)},
        fed={"nbins": None},
        id="unknown-nbins",
    ),
]

ARR = i32(0, 1, 1, 3, 7, 2, 1, 0)
_bincount = [
    S("Bincount", {"arr": ARR, "size": np.int32(5), "weights": np.zeros(0, f32)}, id="counts"),
    S("Bincount", {"arr": ARR, "size": np.int32(9), "weights": randn(8)}, id="weights"),
    S("Bincount", {"arr": ARR.reshape(2, 4), "size": np.int32(4), "weights": i64(*range(8)).reshape(2, 4)}, id="2d"),
    S("Bincount", {"arr": ARR, "size": np.int32(0), "weights": np.zeros(0, f64)}, id="size0"),
    S("Bincount", {"arr": np.zeros(0, np.int32), "size": np.int32(3), "weights": np.zeros(0, f32)}, id="empty"),
    S("Bincount", {"arr": ARR, "size": np.int32(5), "weights": randn(8)}, fed={"size": None}, id="unknown"),
    S("DenseBincount", {"input": ARR, "size": np.int32(5), "weights": np.zeros(0, f32)}, id="counts"),
    S("DenseBincount", {"input": ARR, "size": np.int32(5), "weights": randn(8)}, id="weights"),
    S(
        "DenseBincount",
        {"input": ARR.astype(np.int64).reshape(2, 4), "size": np.int64(6), "weights": randn(2, 4).astype(f64)},
        id="2d-int64",
    ),
    S(
        "DenseBincount",
        {"input": ARR.reshape(4, 2), "size": np.int32(3), "weights": np.zeros(0, np.int32)},
        {"binary_output": True},
        id="2d-binary",
    ),
    S(
        "DenseBincount",
        {"input": ARR, "size": np.int32(4), "weights": np.zeros(0, np.int64)},
        {"binary_output": True},
        id="binary",
    ),
    S("DenseBincount", {"input": ARR, "size": np.int32(5), "weights": randn(8)}, fed={"size": None}, id="unknown"),
    S(
        "DenseBincount",
        {"input": ARR.reshape(2, 4), "size": np.int32(5), "weights": np.zeros(0, f32)},
        fed={"size": None},
        id="unknown-2d",
    ),
    S(
        "DenseBincount",
        {"input": ARR, "size": np.int32(4), "weights": randn(8)},
        {"binary_output": True},
        id="binary-weights",
    ),
]

_unravel = [
    S("UnravelIndex", {"indices": i32(0, 5, 11, 23), "dims": i32(2, 3, 4)}, id="vector"),
    S("UnravelIndex", {"indices": np.int32(17), "dims": i32(4, 5)}, id="scalar"),
    S("UnravelIndex", {"indices": i64(0, 99, 37), "dims": i64(10, 10)}, id="int64"),
    S("UnravelIndex", {"indices": i32(-1, -7), "dims": i32(2, 3)}, id="negative"),
    S("UnravelIndex", {"indices": i32(3, 4), "dims": i32(6)}, fed={"indices": None}, id="unknown"),
]

SAMPLES = _bounds + _bucketize + _histogram + _bincount + _unravel

# ---------------------------------------------------------------------------------------------
# Smaller ops of other families that frozen graphs and the peer converters carry: Mod and LinSpace
# (math_ops), UniqueV2/UniqueWithCounts/InplaceUpdate/InplaceAdd (array_index_ops), Empty (array_ops)

_F = randn(3, 4)
_more = [
    S("Mod", {"x": np.array([7, -7, 7, -7, 0], np.int32), "y": np.array([3, 3, -3, -3, 5], np.int32)}, id="int32"),
    S("Mod", {"x": np.array([7.5, -7.5, 2.0, -0.0], f32), "y": np.array([2.0, 2.0, -0.75, 3.0], f32)}, id="f32"),
    S("Mod", {"x": i64(2**40 + 3, -9), "y": i64(7)}, id="int64-broadcast"),
    S("Mod", {"x": np.array([5.25, -1.5]), "y": np.array([np.inf, 0.5])}, id="f64"),
    S("LinSpace", {"start": f32(-1.0), "stop": f32(2.0), "num": np.int32(7)}, id="f32"),
    S("LinSpace", {"start": f64(0.1), "stop": f64(0.7), "num": np.int64(5)}, id="f64-int64"),
    S("LinSpace", {"start": f32(5.0), "stop": f32(-5.0), "num": np.int32(1)}, id="one"),
    S("LinSpace", {"start": f32(0.0), "stop": f32(1.0), "num": np.int32(13)}, fed={"num": None}, id="unknown"),
    S("UniqueWithCounts", {"x": i32(4, 1, 4, 4, 9, 1)}, id="int32"),
    S("UniqueWithCounts", {"x": np.array([2.5, -1.0, 2.5], f32)}, {"out_idx": "dtype:int64"}, id="f32-int64"),
    S("UniqueWithCounts", {"x": np.zeros(0, np.int64)}, id="empty"),
    S("UniqueV2", {"x": i32(4, 1, 4, 4, 9, 1), "axis": np.zeros(0, np.int64)}, id="flat"),
    S("UniqueV2", {"x": i32([1, 2], [3, 4], [1, 2]), "axis": i64(0)}, id="rows"),
    S("UniqueV2", {"x": i32([1, 2, 1], [3, 4, 3]), "axis": i32(-1)}, {"out_idx": "dtype:int64"}, id="columns"),
    S("UniqueV2", {"x": np.stack([_F, _F[::-1], _F]), "axis": i64(0)}, id="f32-matrices"),
    S("InplaceUpdate", {"x": _F, "i": i32(2, 0), "v": randn(2, 4)}, id="f32"),
    S("InplaceUpdate", {"x": i64(1, 2, 3), "i": i32(1), "v": i64(-5)}, id="int64"),
    S("InplaceAdd", {"x": _F, "i": i32(1, 1), "v": randn(2, 4)}, id="repeated"),
    S("InplaceAdd", {"x": i32(1, 2, 3), "i": np.zeros(0, np.int32), "v": np.zeros(0, np.int32)}, id="none"),
    S("Empty", {"shape": i32(2, 3)}, {"dtype": "dtype:float32", "init": True}, id="init"),
    S("Empty", {"shape": i32(0, 4)}, {"dtype": "dtype:int64"}, id="no-elements"),
    S("Empty", {"shape": i32(3)}, {"dtype": "dtype:float64", "init": True}, fed={"shape": None}, id="unknown"),
]
SAMPLES = SAMPLES + _more
