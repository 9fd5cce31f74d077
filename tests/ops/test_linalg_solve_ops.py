"""LU-based linear-algebra ops beyond the sample table: bad and singular inputs get TF's error class and
wording (kernel and shape function)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ops.harness import Sample, assert_same_runtime_error, assert_same_shape_error, randn
from tests.ops.samples_linalg_solve import well_conditioned

S = Sample
f32 = np.float32

RUNTIME_ERRORS = [
    S("MatrixInverse", {"input": randn(3)}, id="rank1"),
    S("MatrixInverse", {"input": randn(2, 3)}, id="not-square"),
    S("MatrixInverse", {"input": np.ones((2, 2), f32)}, id="singular"),
    S("MatrixInverse", {"input": np.stack([np.eye(2, dtype=f32), np.zeros((2, 2), f32)])}, id="one-singular"),
    S("MatrixInverse", {"input": np.full((2, 2), np.nan, f32)}, id="nan"),
    S("MatrixDeterminant", {"input": randn(3)}, id="rank1"),
    S("MatrixDeterminant", {"input": randn(2, 3)}, id="not-square"),
    S("LogMatrixDeterminant", {"input": randn(4, 2, 3)}, id="not-square"),
    S("MatrixSolve", {"matrix": np.eye(2, dtype=f32), "rhs": randn(3, 1)}, id="rows"),
    S("MatrixSolve", {"matrix": randn(2, 3), "rhs": randn(2, 1)}, id="not-square"),
    S("MatrixSolve", {"matrix": np.ones((2, 2), f32), "rhs": randn(2, 1)}, id="singular"),
    S("MatrixSolve", {"matrix": well_conditioned(2, 2, 2), "rhs": randn(3, 2, 1)}, id="batch"),
    S("MatrixSolve", {"matrix": well_conditioned(2, 2), "rhs": randn(2)}, id="rank"),
    S("MatrixSolve", {"matrix": randn(2), "rhs": randn(2)}, id="rank1"),
]


@pytest.mark.parametrize("sample", RUNTIME_ERRORS, ids=lambda s: s.name)
def test_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


SHAPE_ERRORS = [
    S("MatrixInverse", {"input": randn(3)}, id="rank1"),
    S("MatrixInverse", {"input": randn(2, 3)}, id="not-square"),
    S("MatrixDeterminant", {"input": randn(2, 4, 3)}, id="not-square"),
    S("LogMatrixDeterminant", {"input": f32(1)}, id="scalar"),
    S("MatrixSolve", {"matrix": np.eye(2, dtype=f32), "rhs": randn(3, 1)}, id="rows"),
    S("MatrixSolve", {"matrix": randn(2, 3), "rhs": randn(2, 1)}, id="not-square"),
    S("MatrixSolve", {"matrix": well_conditioned(2, 2, 2), "rhs": randn(3, 2, 1)}, id="batch"),
    S("MatrixSolve", {"matrix": well_conditioned(2, 2, 2), "rhs": randn(2, 1)}, id="batch-rank"),
    S("MatrixSolve", {"matrix": well_conditioned(2, 2), "rhs": randn(2)}, id="rhs-rank1"),
]


@pytest.mark.parametrize("sample", SHAPE_ERRORS, ids=lambda s: s.name)
def test_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)
