"""Samples for the LU-based linear-algebra ops (torchmeta/ops/linalg_solve_ops.py): MatrixInverse,
MatrixDeterminant, LogMatrixDeterminant, MatrixSolve, MatrixSolveLs; batches, adjoint, complex, empty matrices,
singular and non-finite inputs (where TF returns values rather than failing)."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample

S = Sample
f16, f32, f64, c64, c128 = np.float16, np.float32, np.float64, np.complex64, np.complex128

_rng = np.random.default_rng(17)


def well_conditioned(*shape, dtype=f32):
    """Matrices [..., n, n] dominated by their diagonal, so float32 LU results agree to ~1e-6."""
    n = shape[-1]
    x = _rng.standard_normal(shape) + 2 * n * np.eye(n) * np.sign(_rng.standard_normal((*shape[:-1], 1)))
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * _rng.standard_normal(shape)
    return x.astype(dtype)


def rhs(*shape, dtype=f32):
    x = _rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * _rng.standard_normal(shape)
    return x.astype(dtype)


A3 = well_conditioned(3, 3)
_inverse = [
    S("MatrixInverse", {"input": A3}, id="f32"),
    S("MatrixInverse", {"input": A3}, {"adjoint": True}, id="adjoint"),
    S("MatrixInverse", {"input": well_conditioned(2, 3, 4, 4, dtype=f64)}, id="f64-batch"),
    S("MatrixInverse", {"input": well_conditioned(2, 3, 3, dtype=c64)}, {"adjoint": True}, id="c64-adjoint"),
    S("MatrixInverse", {"input": well_conditioned(3, 3, dtype=c128)}, id="c128"),
    S("MatrixInverse", {"input": well_conditioned(2, 2, dtype=f16)}, rtol=2e-3, atol=1e-3, id="f16"),
    S("MatrixInverse", {"input": np.array([[0.0, 2.0], [4.0, 1.0]], f32)}, id="pivoting"),
    S("MatrixInverse", {"input": np.zeros((2, 0, 0), f32)}, id="empty"),
    S("MatrixInverse", {"input": np.zeros((0, 3, 3), f32)}, id="empty-batch"),
    S("MatrixInverse", {"input": A3}, fed={"input": None}, id="unknown"),
    S("MatrixInverse", {"input": well_conditioned(2, 3, 3)}, fed={"input": [None, 3, None]}, id="partial"),
]

_determinant = [
    S("MatrixDeterminant", {"input": A3}, id="f32"),
    S("MatrixDeterminant", {"input": well_conditioned(2, 3, 5, 5, dtype=f64)}, id="f64-batch"),
    S("MatrixDeterminant", {"input": well_conditioned(2, 3, 3, dtype=c64)}, id="c64"),
    S("MatrixDeterminant", {"input": well_conditioned(4, 4, dtype=c128)}, id="c128"),
    S("MatrixDeterminant", {"input": np.ones((2, 2), f32)}, grad=False, id="singular"),
    S("MatrixDeterminant", {"input": np.diag([1e30, 1e30, 1e30]).astype(f32)}, grad=False, id="overflow"),
    S("MatrixDeterminant", {"input": np.full((2, 2), np.nan, f32)}, grad=False, id="nan"),
    S("MatrixDeterminant", {"input": np.array([[np.inf, 0], [0, 1]], f32)}, grad=False, id="inf"),
    S("MatrixDeterminant", {"input": np.array([[1, 2], [np.inf, 1]], f32)}, grad=False, id="inf-pivot"),
    S("MatrixDeterminant", {"input": np.array([[np.inf, 0], [0, 0]], f32)}, grad=False, id="inf-zero"),
    S("MatrixDeterminant", {"input": np.diag([1e-30, 1e-30]).astype(f32)}, grad=False, id="underflow"),
    S("MatrixDeterminant", {"input": np.zeros((3, 0, 0), f32)}, id="empty"),
    S("MatrixDeterminant", {"input": A3}, fed={"input": [None, None]}, id="unknown-dims"),
    S("LogMatrixDeterminant", {"input": A3}, id="f32"),
    S("LogMatrixDeterminant", {"input": -well_conditioned(2, 4, 4, dtype=f64)}, id="f64-batch"),
    S("LogMatrixDeterminant", {"input": well_conditioned(2, 3, 3, dtype=c64)}, id="c64"),
    S("LogMatrixDeterminant", {"input": well_conditioned(3, 3, dtype=c128)}, id="c128"),
    S("LogMatrixDeterminant", {"input": np.ones((2, 2), f32)}, grad=False, id="singular"),
    S("LogMatrixDeterminant", {"input": np.diag([1e30, 1e30, 1e30]).astype(f32)}, grad=False, id="large"),
    S("LogMatrixDeterminant", {"input": np.full((2, 2), np.inf, f32)}, grad=False, id="inf"),
    S("LogMatrixDeterminant", {"input": np.array([[1, np.nan], [1, 1]], f32)}, grad=False, id="nan"),
    S("LogMatrixDeterminant", {"input": np.array([[np.inf, 0], [0, 0]], f32)}, grad=False, id="inf-zero"),
    S("LogMatrixDeterminant", {"input": np.array([[-np.inf, 0], [0, 1]], f32)}, grad=False, id="neg-inf"),
    S("LogMatrixDeterminant", {"input": np.array([[np.inf, 0], [0, 1]], f32)}, grad=False, id="inf-diag"),
    S("LogMatrixDeterminant", {"input": np.zeros((0, 0), f32)}, id="empty"),
    S("LogMatrixDeterminant", {"input": A3}, fed={"input": None}, id="unknown"),
]

_solve = [
    S("MatrixSolve", {"matrix": A3, "rhs": rhs(3, 2)}, id="f32"),
    S("MatrixSolve", {"matrix": A3, "rhs": rhs(3, 2)}, {"adjoint": True}, id="adjoint"),
    S("MatrixSolve", {"matrix": well_conditioned(2, 4, 4, dtype=f64), "rhs": rhs(2, 4, 1, dtype=f64)}, id="f64-batch"),
    S(
        "MatrixSolve",
        {"matrix": well_conditioned(2, 3, 3, dtype=c64), "rhs": rhs(2, 3, 2, dtype=c64)},
        {"adjoint": True},
        id="c64-adjoint",
    ),
    S("MatrixSolve", {"matrix": well_conditioned(3, 3, dtype=c128), "rhs": rhs(3, 3, dtype=c128)}, id="c128"),
    S("MatrixSolve", {"matrix": A3, "rhs": np.zeros((3, 0), f32)}, id="no-columns"),
    S("MatrixSolve", {"matrix": np.zeros((0, 0), f32), "rhs": np.zeros((0, 2), f32)}, id="empty"),
    S("MatrixSolve", {"matrix": A3, "rhs": rhs(3, 2)}, fed={"matrix": None, "rhs": [None, None]}, id="unknown"),
]


def _tall(*shape, dtype=f32):
    """Full-rank [..., m, n] matrices (a shifted identity block keeps the normal equations well conditioned)."""
    m, n = shape[-2:]
    x = _rng.standard_normal(shape) + 3 * np.eye(m, n)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * _rng.standard_normal(shape)
    return x.astype(dtype)


_L2 = np.float64(0.0)
_rank_deficient = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]], f64)
_solve_ls = [
    S("MatrixSolveLs", {"matrix": _tall(5, 3), "rhs": rhs(5, 2), "l2_regularizer": _L2}, rtol=1e-4, id="over"),
    S("MatrixSolveLs", {"matrix": _tall(2, 4), "rhs": rhs(2, 3), "l2_regularizer": _L2}, rtol=1e-4, id="under"),
    S(
        "MatrixSolveLs",
        {"matrix": _tall(2, 4, 3, dtype=f64), "rhs": rhs(2, 4, 1, dtype=f64), "l2_regularizer": np.float64(0.5)},
        id="f64-batch-l2",
    ),
    S(
        "MatrixSolveLs",
        {"matrix": _tall(3, 5, dtype=f64), "rhs": rhs(3, 2, dtype=f64), "l2_regularizer": np.float64(2.0)},
        id="f64-under-l2",
    ),
    S(
        "MatrixSolveLs",
        {"matrix": _tall(4, 2, dtype=c64), "rhs": rhs(4, 2, dtype=c64), "l2_regularizer": np.float64(0.1)},
        rtol=1e-4,
        id="c64-l2",
    ),
    S(
        "MatrixSolveLs",
        {"matrix": _tall(4, 3, dtype=c128), "rhs": rhs(4, 1, dtype=c128), "l2_regularizer": _L2},
        id="c128",
    ),
    S(
        "MatrixSolveLs",
        {"matrix": _tall(6, 3, dtype=f64), "rhs": rhs(6, 2, dtype=f64), "l2_regularizer": _L2},
        {"fast": False},
        grad=False,  # TF: "Gradient not defined for fast=False" (test_linalg_solve_ops.py)
        id="f64-complete-orthogonal",
    ),
    S(
        "MatrixSolveLs",
        {"matrix": _rank_deficient, "rhs": rhs(3, 1, dtype=f64), "l2_regularizer": np.float64(1.0)},
        {"fast": False},
        grad=False,  # TF: "Gradient not defined for fast=False"
        id="rank-deficient-min-norm",
    ),
    S(
        "MatrixSolveLs",
        {"matrix": _tall(3, 4, 2), "rhs": rhs(3, 4, 2), "l2_regularizer": _L2},
        fed={"matrix": [None, None, 2], "rhs": None},
        rtol=1e-4,
        grad=False,  # TF's gradient cond fails on its None branch output (test_linalg_solve_ops.py)
        id="unknown",
    ),
    # (No sample with 0 rows and n > 0 columns: TF returns its [n, k] output unwritten, whatever memory held.)
    S("MatrixSolveLs", {"matrix": rhs(3, 0), "rhs": rhs(3, 2), "l2_regularizer": _L2}, id="empty-cols"),
    S("MatrixSolveLs", {"matrix": rhs(3, 2), "rhs": rhs(3, 0), "l2_regularizer": _L2}, id="empty-rhs"),
    S("MatrixSolveLs", {"matrix": rhs(0, 3, 2), "rhs": rhs(0, 3, 2), "l2_regularizer": _L2}, id="empty-batch"),
    S(
        "MatrixSolveLs",
        {"matrix": np.array([[np.nan, 1.0], [1.0, 2.0], [0.0, 1.0]], f32), "rhs": rhs(3, 1), "l2_regularizer": _L2},
        grad=False,
        id="nan",
    ),
]

SAMPLES = _inverse + _determinant + _solve + _solve_ls
