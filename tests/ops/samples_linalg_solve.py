"""Samples for the LU-based linear-algebra ops (torchmeta/ops/linalg_solve_ops.py): MatrixInverse,
MatrixDeterminant, LogMatrixDeterminant, MatrixSolve; batches, adjoint, complex, empty matrices,
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

SAMPLES = _inverse + _determinant + _solve
