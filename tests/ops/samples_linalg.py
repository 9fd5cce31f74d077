"""Samples for the linear-algebra ops (QR, triangular solves, band parts, diagonals)."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample, randn

f32, f64 = np.float32, np.float64
i32 = np.int32


def _upper(*shape):
    a = randn(*shape)
    return np.triu(a) + 3 * np.eye(shape[-1], dtype=f32)


def _lower(*shape):
    return np.swapaxes(_upper(*shape), -1, -2).copy()


SAMPLES = [
    # QR is unique up to the signs of R's diagonal; TF's Eigen and torch's LAPACK Householder agree.
    Sample("Qr", {"input": randn(5, 3)}, id="deep", rtol=1e-4, atol=1e-5),
    Sample("Qr", {"input": randn(4, 4)}, id="square", rtol=1e-4, atol=1e-5),
    Sample("Qr", {"input": randn(3, 5)}, id="wide", rtol=1e-4, atol=1e-5),
    Sample("Qr", {"input": randn(2, 4, 3).astype(f64)}, {"full_matrices": False}, id="batch-f64"),
    Sample("Qr", {"input": randn(4, 3)}, {"full_matrices": True}, id="full", rtol=1e-4, atol=1e-5, grad=False),
    Sample("Qr", {"input": randn(3, 4)}, id="fed", fed={"input": [None, 4]}, rtol=1e-4, atol=1e-5, grad=False),
    Sample("MatrixTriangularSolve", {"matrix": _lower(3, 3), "rhs": randn(3, 2)}, rtol=1e-4),
    Sample(
        "MatrixTriangularSolve", {"matrix": _upper(3, 3), "rhs": randn(3, 2)}, {"lower": False}, id="upper", rtol=1e-4
    ),
    Sample(
        "MatrixTriangularSolve",
        {"matrix": _lower(2, 3, 3), "rhs": randn(2, 3, 4)},
        {"adjoint": True},
        id="adjoint-batch",
        rtol=1e-4,
    ),
    Sample(
        "MatrixTriangularSolve",
        {"matrix": _upper(3, 3).astype(f64), "rhs": randn(2, 3, 1).astype(f64)},
        {"lower": False},
        id="broadcast-f64",
    ),
    Sample("MatrixBandPart", {"input": randn(4, 5), "num_lower": np.int64(1), "num_upper": np.int64(2)}),
    Sample("MatrixBandPart", {"input": randn(2, 4, 3), "num_lower": i32(-1), "num_upper": i32(0)}, id="lower-i32"),
    Sample("MatrixBandPart", {"input": randn(3, 3), "num_lower": np.int64(0), "num_upper": np.int64(-1)}, id="upper"),
    Sample("Diag", {"diagonal": randn(3)}),
    Sample("Diag", {"diagonal": randn(2, 3).astype(f64)}, id="rank2"),
    Sample("Diag", {"diagonal": np.arange(4, dtype=i32)}, id="i32", grad=False),
    Sample("DiagPart", {"input": randn(3, 3)}),
    Sample("DiagPart", {"input": randn(2, 3, 2, 3)}, id="rank4"),
    Sample(
        "MatrixDiagV3",
        {"diagonal": randn(3), "k": i32(0), "num_rows": i32(-1), "num_cols": i32(-1), "padding_value": f32(0)},
    ),
    Sample(
        "MatrixDiagV3",
        {"diagonal": randn(2, 3), "k": i32(1), "num_rows": i32(-1), "num_cols": i32(-1), "padding_value": f32(0)},
        id="super-batch",
    ),
    Sample(
        "MatrixDiagV3",
        {"diagonal": randn(3), "k": i32(-1), "num_rows": i32(4), "num_cols": i32(5), "padding_value": f32(9)},
        id="sub-sized",
    ),
    Sample(
        "MatrixDiagV3",
        {
            "diagonal": randn(3, 3),
            "k": np.array([-1, 1], i32),
            "num_rows": i32(-1),
            "num_cols": i32(-1),
            "padding_value": f32(0),
        },
        id="band",
    ),
    Sample(
        "MatrixDiagV3",
        {
            "diagonal": randn(3, 3),
            "k": np.array([-1, 1], i32),
            "num_rows": i32(3),
            "num_cols": i32(4),
            "padding_value": f32(0),
        },
        {"align": "LEFT_RIGHT"},
        id="band-left-right",
    ),
    Sample("MatrixDiagPartV3", {"input": randn(4, 4), "k": i32(0), "padding_value": f32(0)}),
    Sample("MatrixDiagPartV3", {"input": randn(2, 3, 5), "k": i32(2), "padding_value": f32(0)}, id="super-batch"),
    Sample("MatrixDiagPartV3", {"input": randn(4, 3), "k": np.array([-2, 1], i32), "padding_value": f32(7)}, id="band"),
    Sample(
        "MatrixDiagPartV3",
        {"input": randn(4, 3), "k": np.array([-2, 1], i32), "padding_value": f32(7)},
        {"align": "LEFT_LEFT"},
        id="band-left-left",
    ),
    Sample(
        "MatrixDiagPartV3",
        {"input": randn(3, 4), "k": np.array([-1, 2], i32), "padding_value": f32(0)},
        {"align": "RIGHT_RIGHT"},
        id="band-right-right",
    ),
    Sample("MatrixSetDiagV3", {"input": randn(3, 4), "diagonal": randn(3), "k": i32(0)}),
    Sample("MatrixSetDiagV3", {"input": randn(2, 4, 3), "diagonal": randn(2, 3), "k": i32(-1)}, id="sub-batch"),
    Sample("MatrixSetDiagV3", {"input": randn(4, 3), "diagonal": randn(4, 3), "k": np.array([-2, 1], i32)}, id="band"),
    Sample(
        "MatrixSetDiagV3", {"input": randn(3, 4), "diagonal": randn(3), "k": i32(0)}, id="fed", fed={"diagonal": [None]}
    ),
    # The older forms: V1 on the main diagonal, V2 with diagonals k packed LEFT_LEFT.
    Sample("MatrixDiag", {"diagonal": randn(3)}),
    Sample("MatrixDiag", {"diagonal": randn(2, 4).astype(f64)}, id="batch-f64"),
    Sample("MatrixDiag", {"diagonal": np.arange(3, dtype=i32)}, id="i32", grad=False),
    Sample("MatrixDiag", {"diagonal": randn(2, 3)}, fed={"diagonal": [None, None]}, id="unknown"),
    Sample("MatrixDiagPart", {"input": randn(4, 4)}),
    Sample("MatrixDiagPart", {"input": randn(2, 3, 5)}, id="wide-batch"),
    Sample("MatrixDiagPart", {"input": randn(5, 2)}, id="tall"),
    Sample("MatrixDiagPart", {"input": randn(2, 3, 3)}, fed={"input": [None, 3, None]}, id="unknown"),
    Sample("MatrixSetDiag", {"input": randn(3, 4), "diagonal": randn(3)}),
    Sample("MatrixSetDiag", {"input": randn(2, 4, 3), "diagonal": randn(2, 3)}, id="batch"),
    Sample("MatrixSetDiag", {"input": randn(2, 3, 3), "diagonal": randn(2, 3)}, fed={"input": None}, id="unknown"),
    Sample(
        "MatrixDiagV2",
        {
            "diagonal": randn(3, 3),
            "k": np.array([-1, 1], i32),
            "num_rows": i32(-1),
            "num_cols": i32(-1),
            "padding_value": f32(0),
        },
        id="band",
    ),
    Sample(
        "MatrixDiagV2",
        {"diagonal": randn(3), "k": i32(-1), "num_rows": i32(4), "num_cols": i32(5), "padding_value": f32(9)},
        id="sub-sized",
    ),
    Sample("MatrixDiagPartV2", {"input": randn(4, 3), "k": np.array([-2, 1], i32), "padding_value": f32(7)}, id="band"),
    Sample("MatrixDiagPartV2", {"input": randn(2, 3, 5), "k": i32(2), "padding_value": f32(0)}, id="super-batch"),
    Sample("MatrixSetDiagV2", {"input": randn(4, 3), "diagonal": randn(4, 3), "k": np.array([-2, 1], i32)}, id="band"),
    Sample("MatrixSetDiagV2", {"input": randn(2, 4, 3), "diagonal": randn(2, 3), "k": i32(-1)}, id="sub-batch"),
]
