"""Samples for the matrix factorizations (torchmeta/ops/linalg_factor_ops.py): Cholesky, SelfAdjointEigV2
and Svd. Eigen- and singular vectors are unique only up to sign (phase), so their samples here are the
values (compute_v/compute_uv off, whose gradients still build the vectors); tests/ops/test_linalg_factor_ops.py
compares the vectors up to sign and the gradients that do not depend on it."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample
from tests.ops.samples_linalg_solve import rhs

S = Sample
f16, f32, f64, c64, c128 = np.float16, np.float32, np.float64, np.complex64, np.complex128

_rng = np.random.default_rng(23)


def spd(*shape, dtype=f32):
    """Hermitian positive-definite matrices [..., n, n] with well-separated eigenvalues."""
    n = shape[-1]
    x = rhs(*shape, dtype=dtype).astype(np.complex128 if np.issubdtype(dtype, np.complexfloating) else np.float64)
    a = x @ np.conj(np.swapaxes(x, -1, -2)) + np.diag(np.arange(1, n + 1) * 1.5)
    return a.astype(dtype)


def upper_garbage(a):
    """``a`` with its strict upper triangle overwritten: Cholesky and SelfAdjointEig read only the lower."""
    out = a.copy()
    iu = np.triu_indices(a.shape[-1], 1)
    out[..., iu[0], iu[1]] = 1e3
    return out


_cholesky = [
    S("Cholesky", {"input": spd(3, 3)}, rtol=1e-4, atol=1e-5, id="f32"),
    S("Cholesky", {"input": spd(2, 3, 4, 4, dtype=f64)}, id="f64-batch"),
    S("Cholesky", {"input": spd(2, 3, 3, dtype=c64)}, rtol=1e-4, atol=1e-5, id="c64"),
    S("Cholesky", {"input": spd(3, 3, dtype=c128)}, id="c128"),
    S("Cholesky", {"input": upper_garbage(spd(4, 4, dtype=f64))}, grad=False, id="reads-lower"),
    S("Cholesky", {"input": np.array([[1.0, 0], [0, np.nan]], f32)}, grad=False, id="nan-pivot"),
    S("Cholesky", {"input": np.array([[np.inf, 0], [0, 1.0]], f32)}, grad=False, id="inf"),
    S("Cholesky", {"input": np.zeros((2, 0, 0), f32)}, id="empty"),
    S("Cholesky", {"input": spd(3, 3)}, rtol=1e-4, atol=1e-5, fed={"input": None}, id="unknown"),
]

_eig = [
    S(
        "SelfAdjointEigV2",
        {"input": spd(4, 4)},
        {"compute_v": False},
        opaque_outputs=(1,),
        rtol=1e-4,
        atol=1e-4,
        id="f32",
    ),
    S(
        "SelfAdjointEigV2",
        {"input": spd(2, 5, 5, dtype=f64)},
        {"compute_v": False},
        opaque_outputs=(1,),
        id="f64-batch",
    ),
    S(
        "SelfAdjointEigV2",
        {"input": spd(3, 3, dtype=c64)},
        {"compute_v": False},
        opaque_outputs=(1,),
        rtol=1e-4,
        atol=1e-4,
        id="c64",
    ),
    S("SelfAdjointEigV2", {"input": spd(2, 3, 3, dtype=c128)}, {"compute_v": False}, opaque_outputs=(1,), id="c128"),
    S(
        "SelfAdjointEigV2",
        {"input": upper_garbage(spd(3, 3, dtype=f64)) - 10 * np.eye(3)},
        {"compute_v": False},
        opaque_outputs=(1,),
        id="reads-lower-negative",
    ),
    S("SelfAdjointEigV2", {"input": np.zeros((0, 0), f32)}, {"compute_v": False}, opaque_outputs=(1,), id="empty"),
    S("SelfAdjointEigV2", {"input": np.zeros((2, 0, 0), f32)}, id="empty-v"),
    S(
        "SelfAdjointEigV2",
        {"input": spd(3, 3, dtype=f64)},
        {"compute_v": False},
        opaque_outputs=(1,),
        fed={"input": [None, None]},
        id="unknown",
    ),
]

_svd = [
    S("Svd", {"input": rhs(4, 3)}, {"compute_uv": False}, opaque_outputs=(1, 2), rtol=1e-4, atol=1e-5, id="deep"),
    S("Svd", {"input": rhs(3, 5, dtype=f64)}, {"compute_uv": False}, opaque_outputs=(1, 2), id="wide-f64"),
    S("Svd", {"input": rhs(2, 3, 3, dtype=f64)}, {"compute_uv": False}, opaque_outputs=(1, 2), id="batch"),
    S(
        "Svd",
        {"input": rhs(3, 2, dtype=c64)},
        {"compute_uv": False},
        opaque_outputs=(1, 2),
        rtol=1e-4,
        atol=1e-5,
        id="c64",
    ),
    S("Svd", {"input": rhs(2, 4, dtype=c128)}, {"compute_uv": False}, opaque_outputs=(1, 2), id="c128"),
    S(
        "Svd",
        {"input": np.full((2, 2), np.nan, f32)},
        {"compute_uv": False},
        opaque_outputs=(1, 2),
        grad=False,
        id="nan",
    ),
    S("Svd", {"input": np.full((2, 3), np.nan, f32)}, grad=False, id="nan-uv"),
    S("Svd", {"input": np.zeros((3, 0), f32)}, {"compute_uv": False}, opaque_outputs=(1, 2), id="empty"),
    S("Svd", {"input": np.zeros((0, 3), f32)}, {"full_matrices": True}, grad=False, id="empty-full"),
    S(
        "Svd",
        {"input": rhs(4, 3)},
        {"compute_uv": False},
        opaque_outputs=(1, 2),
        fed={"input": [None, 3]},
        rtol=1e-4,
        id="unknown",
    ),
]

# Eig: LAPACK's eigenvalue order is Eigen's for real 2x2, upper-triangular and diagonal matrices and complex ones
# sorted by magnitude as Eigen sorts them (real matrices in general differ:
# tests/ops/test_linalg_factor_ops.py compares the rest order-free); eigenvectors there too.
_general_eig = [
    S("Eig", {"input": rhs(3, 2, 2)}, {"compute_v": False, "Tout": "dtype:complex64"}, opaque_outputs=(1,), rtol=1e-5,
      id="f32-2x2"),
    S("Eig", {"input": rhs(2, 2, dtype=f64)}, {"compute_v": False, "Tout": "dtype:complex128"}, opaque_outputs=(1,),
      id="f64-2x2"),
    S("Eig", {"input": np.triu(rhs(4, 4, dtype=f64))}, {"compute_v": False, "Tout": "dtype:complex128"},
      opaque_outputs=(1,), id="upper-triangular"),
    S("Eig", {"input": np.array([[0.0, -1.0], [1.0, 0.0]], f32)}, {"compute_v": False, "Tout": "dtype:complex64"},
      opaque_outputs=(1,), id="rotation"),
    S("Eig", {"input": np.diag([3.0, -1.0, 2.0]).astype(c64)}, {"compute_v": False, "Tout": "dtype:complex64"},
      opaque_outputs=(1,), id="c64-diagonal"),
    S("Eig", {"input": rhs(2, 3, 3, dtype=c128)}, {"compute_v": False, "Tout": "dtype:complex128"},
      opaque_outputs=(1,), id="c128-batch"),
    S("Eig", {"input": np.zeros((2, 0, 0), f32)}, {"Tout": "dtype:complex64"}, id="empty"),
    S("Eig", {"input": np.zeros((0, 0), f64)}, {"compute_v": False, "Tout": "dtype:complex128"}, opaque_outputs=(1,),
      id="empty-no-v"),
    S("Eig", {"input": rhs(2, 2, dtype=f64)}, {"compute_v": False, "Tout": "dtype:complex128"}, opaque_outputs=(1,),
      fed={"input": None}, id="unknown"),
]  # fmt: skip

SAMPLES = _cholesky + _eig + _general_eig + _svd
