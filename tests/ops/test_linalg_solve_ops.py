"""Linear-algebra solvers beyond the sample table: bad and singular inputs get TF's error class and wording
(kernel and shape function); MatrixSolveLs's gradient refuses fast=False and unknown matrix shapes as TF's."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.ops.harness import Sample, assert_same_runtime_error, assert_same_shape_error, randn
from tests.ops.samples_linalg_solve import well_conditioned

S = Sample
f32, f64 = np.float32, np.float64
_L2 = f64(0.0)

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
    S(
        "MatrixSolveLs",
        {"matrix": np.zeros((3, 2), f32), "rhs": randn(3, 1), "l2_regularizer": _L2},
        id="rank-deficient",
    ),
    S(
        "MatrixSolveLs",
        {"matrix": np.zeros((2, 3), f32), "rhs": randn(2, 1), "l2_regularizer": _L2},
        id="under-deficient",
    ),
    S("MatrixSolveLs", {"matrix": randn(3, 2), "rhs": randn(3, 1), "l2_regularizer": f64(-1)}, id="negative-l2"),
    S("MatrixSolveLs", {"matrix": randn(3, 2), "rhs": randn(3, 1), "l2_regularizer": np.zeros(2)}, id="l2-vector"),
    S("MatrixSolveLs", {"matrix": randn(3, 2), "rhs": randn(2, 1), "l2_regularizer": _L2}, id="rows"),
    S("MatrixSolveLs", {"matrix": randn(3), "rhs": randn(3, 1), "l2_regularizer": _L2}, id="rank1"),
    S("MatrixSolveLs", {"matrix": randn(2, 3, 2), "rhs": randn(3, 3, 1), "l2_regularizer": _L2}, id="batch"),
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
    S("MatrixSolveLs", {"matrix": randn(3, 2), "rhs": randn(3, 1), "l2_regularizer": np.zeros(2)}, id="l2-vector"),
    S("MatrixSolveLs", {"matrix": randn(3, 2), "rhs": randn(2, 1), "l2_regularizer": _L2}, id="rows"),
    S("MatrixSolveLs", {"matrix": randn(2, 3, 2), "rhs": randn(3, 3, 1), "l2_regularizer": _L2}, id="batch"),
    S("MatrixSolveLs", {"matrix": randn(3), "rhs": randn(3, 1), "l2_regularizer": _L2}, id="rank1"),
]


@pytest.mark.parametrize("sample", SHAPE_ERRORS, ids=lambda s: s.name)
def test_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)


@pytest.mark.parametrize("case", ["slow", "unknown-shape"])
def test_matrix_solve_ls_gradient_refusals_are_tfs(tf1, case):
    """fast=False has no gradient (TF's ValueError); with an unknown matrix shape TF's gradient builds a cond
    whose branches return None for l2_regularizer, which its cond rejects (ValueError): so does ours."""
    import tensorflow as tf

    messages = []
    for api, raw_ops in ((tf1, tf.raw_ops), (tm, tm.raw_ops)):
        with api.Graph().as_default():
            shape = [4, 3] if case == "slow" else [None, None]
            a = api.placeholder(api.float64, shape)
            x = raw_ops.MatrixSolveLs(
                matrix=a,
                rhs=api.constant(np.ones((4, 1))),
                l2_regularizer=api.constant(0.0, api.float64),
                fast=case != "slow",
            )
            with pytest.raises(ValueError) as error:
                api.gradients(x, a)
            messages.append(str(error.value))
    assert messages[1] == messages[0]
