"""Samples for the array reorder ops (torchmeta/ops/array_reorder_ops.py): SpaceToDepth, DepthToSpace,
Reverse and Roll, in several dtypes (strings and bools too), with empty tensors, unknown shapes and the
layouts TF's CPU kernels run (NHWC; NCHW only on GPU, so its samples are shape checks)."""

from __future__ import annotations

import numpy as np
from ml_dtypes import bfloat16

from tests.ops.harness import Sample, randn
from tests.ops.samples_array import bools, i32, i64, ints, strs

S = Sample

_space_to_depth = [
    S("SpaceToDepth", {"input": randn(2, 4, 6, 3)}, {"block_size": 2}, id="f32"),
    S("SpaceToDepth", {"input": randn(1, 6, 3, 2, dtype=np.float64)}, {"block_size": 3}, id="f64-b3"),
    S("SpaceToDepth", {"input": ints(2, 4, 4, 1)}, {"block_size": 4}, id="i32-b4"),
    S("SpaceToDepth", {"input": ints(1, 2, 2, 2, dtype=np.uint8)}, {"block_size": 2}, id="u8"),
    S("SpaceToDepth", {"input": randn(1, 2, 4, 3).astype(bfloat16)}, {"block_size": 2}, id="bf16"),
    S("SpaceToDepth", {"input": randn(1, 2, 4, 3).astype(np.float16)}, {"block_size": 2}, id="f16"),
    S("SpaceToDepth", {"input": np.zeros((0, 4, 4, 2), np.float32)}, {"block_size": 2}, id="empty"),
    S(
        "SpaceToDepth",
        {"input": randn(2, 4, 6, 3)},
        {"block_size": 2},
        fed={"input": [None, 4, None, 3]},
        id="partial",
    ),
    S("SpaceToDepth", {"input": randn(2, 4, 6, 3)}, {"block_size": 2}, fed={"input": None}, id="unknown"),
]

_depth_to_space = [
    S("DepthToSpace", {"input": randn(2, 2, 3, 8)}, {"block_size": 2}, id="f32"),
    S("DepthToSpace", {"input": randn(1, 2, 1, 18, dtype=np.float64)}, {"block_size": 3}, id="f64-b3"),
    S("DepthToSpace", {"input": ints(2, 1, 1, 16, dtype=np.int64)}, {"block_size": 4}, id="i64-b4"),
    S("DepthToSpace", {"input": ints(1, 2, 2, 4, dtype=np.int8)}, {"block_size": 2}, id="i8"),
    S("DepthToSpace", {"input": randn(1, 2, 2, 4).astype(np.float16)}, {"block_size": 2}, id="f16"),
    S("DepthToSpace", {"input": np.zeros((2, 0, 3, 4), np.float32)}, {"block_size": 2}, id="empty"),
    S(
        "DepthToSpace",
        {"input": randn(2, 2, 3, 8)},
        {"block_size": 2},
        fed={"input": [None, None, 3, 8]},
        id="partial",
    ),
]

_reverse = [
    S("Reverse", {"tensor": randn(2, 3, 4), "dims": np.array([True, False, True])}, id="f32"),
    S("Reverse", {"tensor": randn(2, 3, dtype=np.float64), "dims": np.array([False, False])}, id="none"),
    S("Reverse", {"tensor": ints(3, 2, dtype=np.int64), "dims": np.array([True, True])}, id="i64"),
    S("Reverse", {"tensor": ints(4, dtype=np.uint16), "dims": np.array([True])}, id="u16"),
    S("Reverse", {"tensor": bools(2, 3), "dims": np.array([False, True])}, id="bool"),
    S("Reverse", {"tensor": strs(2, 2), "dims": np.array([True, False])}, id="string"),
    S(
        "Reverse",
        {"tensor": (randn(2, 2) + 1j * randn(2, 2)).astype(np.complex64), "dims": np.array([True, True])},
        id="c64",
    ),
    S("Reverse", {"tensor": randn(2, 0, 3), "dims": np.array([True, True, False])}, id="empty"),
    S("Reverse", {"tensor": np.float32(3.5), "dims": np.zeros(0, bool)}, id="scalar"),
    S(
        "Reverse",
        {"tensor": randn(2, 3, 4), "dims": np.array([True, False, True])},
        fed={"tensor": None},
        id="unknown",
    ),
]

_roll = [
    S("Roll", {"input": randn(5), "shift": i32(2), "axis": i32(0)}, id="1d"),
    S("Roll", {"input": randn(5), "shift": np.int32(-7), "axis": np.int32(0)}, id="scalar-neg"),
    S("Roll", {"input": randn(3, 4), "shift": i64(1, -2), "axis": i64(0, 1)}, id="2d-i64"),
    S("Roll", {"input": randn(3, 4), "shift": i32(1, 2), "axis": i64(1, -1)}, id="repeated-axis"),
    S("Roll", {"input": ints(2, 3, 4, dtype=np.int64), "shift": i32(5), "axis": i32(-1)}, id="i64"),
    S("Roll", {"input": strs(2, 3), "shift": i32(1), "axis": i32(1)}, id="string"),
    S("Roll", {"input": bools(6), "shift": i32(4), "axis": i32(0)}, id="bool"),
    S("Roll", {"input": randn(0, 3), "shift": i32(1, 1), "axis": i32(0, 1)}, id="empty"),
    S("Roll", {"input": randn(2, 3).astype(np.float16), "shift": i32(), "axis": i32()}, id="no-axes"),
    S("Roll", {"input": randn(3, 4), "shift": i32(1, 2), "axis": i32(0, 1)}, fed={"input": None}, id="unknown"),
]

# torch has no flip for uint16/32/64 (ops/common.flip moves their bits as signed integers)
_unsigned = [
    S("ReverseV2", {"tensor": ints(2, 3, dtype=np.uint16), "axis": i32(1)}, id="uint16"),
    S("ReverseV2", {"tensor": ints(4, dtype=np.uint64) + np.uint64(2**63), "axis": i32(0)}, id="uint64"),
    S("Reverse", {"tensor": ints(2, 2, dtype=np.uint32), "dims": np.array([True, True])}, id="u32"),
    S("Roll", {"input": ints(2, 3, dtype=np.uint16), "shift": i32(1), "axis": i32(1)}, id="u16"),
]

_C = (randn(2, 3, 4) + 1j * randn(2, 3, 4)).astype(np.complex64)
_conjugate_transpose = [
    S("ConjugateTranspose", {"x": _C, "perm": i32(0, 2, 1)}, id="c64"),
    S("ConjugateTranspose", {"x": _C.astype(np.complex128), "perm": i64(2, 0, 1)}, id="c128-int64"),
    S("ConjugateTranspose", {"x": randn(3, 4), "perm": i32(1, 0)}, id="real"),
    S("ConjugateTranspose", {"x": ints(2, 3), "perm": i32(1, 0)}, id="int32"),
    S("ConjugateTranspose", {"x": _C, "perm": i32(1, 2, 0)}, fed={"x": None}, id="unknown"),
    S("ConjugateTranspose", {"x": np.zeros((0, 2), np.complex64), "perm": i32(1, 0)}, id="empty"),
]

SAMPLES = _conjugate_transpose + _unsigned + _space_to_depth + _depth_to_space + _reverse + _roll
