"""Sparse ops beyond the sample table: SparseFillEmptyRows(Grad)'s kernel and shape errors, in TF's words."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ops.harness import Sample, assert_same_runtime_error, assert_same_shape_error

S = Sample
_I = np.array([[0, 1], [2, 0]], np.int64)
_V = np.array([1.0, 2.0], np.float32)
_D = np.array([3, 2], np.int64)
_F = np.float32(0)


def _fill(indices=_I, values=_V, dense_shape=_D, default_value=_F, id=""):
    return S(
        "SparseFillEmptyRows",
        {"indices": indices, "values": values, "dense_shape": dense_shape, "default_value": default_value},
        id=id,
    )


_ORIGIN = np.array([0, 0], np.int64)
_BOX = np.array([2, 2], np.int64)


def _slice(indices=_I, values=_V, shape=_D, start=_ORIGIN, size=_BOX, id=""):
    return S("SparseSlice", {"indices": indices, "values": values, "shape": shape, "start": start, "size": size}, id=id)


def _to_dense(indices, shape=(3,), values=(1.0, 2.0), default=0.0, validate=True, id=""):
    return S(
        "SparseToDense",
        {
            "sparse_indices": np.array(indices, np.int64),
            "output_shape": np.array(shape, np.int64),
            "sparse_values": np.array(values, np.float32),
            "default_value": np.array(default, np.float32),
        },
        {"validate_indices": validate},
        id=id,
    )


RUNTIME_ERRORS = [
    _to_dense([[1], [0]], id="to-dense-unordered"),
    _to_dense([[1], [1]], id="to-dense-repeated"),
    _to_dense([[1], [5]], id="to-dense-out-of-bounds"),
    _to_dense([[1], [5]], validate=False, id="to-dense-out-of-bounds-unvalidated"),
    _to_dense([[1], [2]], values=(1.0, 2.0, 3.0), id="to-dense-values"),
    _to_dense([[1], [2]], default=[0.0], id="to-dense-default"),
    _to_dense([[1, 0], [2, 0]], id="to-dense-rank"),
    _to_dense([[[1]]], values=(1.0,), id="to-dense-indices-rank"),
    _slice(values=np.ones(3, np.float32), id="slice-values-length"),
    _slice(shape=np.array([3, 2, 1], np.int64), id="slice-shape-rank"),
    _slice(start=np.array([0], np.int64), id="slice-start-length"),
    _slice(size=np.array(2, np.int64), id="slice-size-scalar"),
    S(
        "SparseSliceGrad",
        {
            "backprop_val_grad": np.ones(1, np.float32),
            "input_indices": _I,
            "input_start": np.array([0, 0], np.int64),
            "output_indices": np.array([[5, 5]], np.int64),
        },
        id="slice-grad-unmatched",
    ),
    _fill(indices=np.array([[0, 1], [3, 0]], np.int64), id="row-out-of-range"),
    _fill(indices=np.array([[0, 1], [-1, 0]], np.int64), id="negative-row"),
    _fill(dense_shape=np.array([0, 2], np.int64), id="zero-rows-with-entries"),
    _fill(values=np.array([1.0], np.float32), id="values-length"),
    _fill(indices=np.array([0, 2], np.int64), id="indices-vector"),
    _fill(default_value=np.array([1.0], np.float32), id="default-vector"),
    _fill(dense_shape=np.array(3, np.int64), id="shape-scalar"),
    _fill(
        indices=np.zeros((0, 0), np.int64),
        values=np.zeros(0, np.float32),
        dense_shape=np.zeros(0, np.int64),
        id="empty-shape",
    ),
    S(
        "SparseFillEmptyRowsGrad",
        {"reverse_index_map": np.array([0, 5], np.int64), "grad_values": np.ones(3, np.float32)},
        id="reverse-index",
    ),
    S(
        "SparseFillEmptyRowsGrad",
        {"reverse_index_map": np.array([[0]], np.int64), "grad_values": np.ones(3, np.float32)},
        id="map-matrix",
    ),
]


@pytest.mark.parametrize("sample", RUNTIME_ERRORS, ids=lambda s: s.name)
def test_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


SHAPE_ERRORS = [
    _fill(indices=np.array([0, 2], np.int64), id="indices-vector"),
    _fill(values=np.array([1.0], np.float32), id="values-length"),
    _fill(dense_shape=np.array([3, 2, 1], np.int64), id="rank"),
    _fill(default_value=np.array([1.0], np.float32), id="default-vector"),
    _fill(
        indices=np.zeros((0, 0), np.int64),
        values=np.zeros(0, np.float32),
        dense_shape=np.zeros(0, np.int64),
        id="empty-shape",
    ),
    S(
        "SparseFillEmptyRowsGrad",
        {"reverse_index_map": np.array([0], np.int64), "grad_values": np.ones((1, 3), np.float32)},
        id="grad-matrix",
    ),
]


@pytest.mark.parametrize("sample", SHAPE_ERRORS, ids=lambda s: s.name)
def test_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)
