"""tf.eye, tf.linalg.qr, the matrix transpose/diagonal functions, the solvers, factorizations and determinants
against TensorFlow (graphs and values)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.api import tf_programs as P

pytest.importorskip("tensorflow")

A = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7 - 1


PROGRAMS = {
    "eye-square": lambda tf: {"e": tf.eye(3)},
    "eye-wide": lambda tf: {"e": tf.eye(2, 4, dtype=tf.float64)},
    "eye-batch": lambda tf: {"e": tf.eye(3, batch_shape=[2])},
    "eye-tensor": lambda tf: {"e": tf.eye(tf.constant(3), tf.constant(2))},
    "matrix-transpose": lambda tf: {"t": tf.matrix_transpose(tf.constant(A))},
    "qr": lambda tf: dict(zip("qr", tf.linalg.qr(tf.constant(A[0].T)), strict=True)),
    "qr-full": lambda tf: dict(zip("qr", tf.qr(tf.constant(A[0]), full_matrices=True), strict=True)),
    "tensor-diag": lambda tf: {
        "d": tf.linalg.tensor_diag(tf.constant(A[0, 0])),
        "p": tf.diag_part(tf.constant(A[0, :3, :3])),
    },
    "diag": lambda tf: {"d": tf.linalg.diag(tf.constant(A[:, :2]), k=(-1, 0)), "m": tf.matrix_diag(tf.constant(A))},
    "diag-part": lambda tf: {"d": tf.linalg.diag_part(tf.constant(A)), "m": tf.matrix_diag_part(tf.constant(A))},
    "set-diag": lambda tf: {"d": tf.linalg.set_diag(tf.constant(A), tf.constant(A[:, 0, :3]))},
    "band-part": lambda tf: {"b": tf.linalg.band_part(tf.constant(A), 1, -1), "m": tf.matrix_band_part(A, 0, 0)},
    "triangular-solve": lambda tf: {
        "x": tf.linalg.triangular_solve(
            tf.constant(A[:, :3, :3] + 3 * np.eye(3, dtype=np.float32)), tf.constant(A[:, :, :2])
        ),
        "y": tf.matrix_triangular_solve(A[0, :, :3] + 3 * np.eye(3, dtype=np.float32), A[1], lower=False, adjoint=True),
    },
}

_SPD = (A[0, :3] @ A[0, :3].T + 3 * np.eye(3)).astype(np.float32)
_TALL = (A[0].T + np.eye(4, 3)).astype(np.float32)  # 4 x 3, full rank
_B = A[1].T[:, :2].copy()  # 4 x 2

PROGRAMS.update(
    {
        "inv-det-slogdet": lambda tf: {
            "i": tf.linalg.inv(tf.constant(_SPD)),
            "ia": tf.matrix_inverse(_SPD, adjoint=True, name="adj"),
            "d": tf.linalg.det(tf.constant(_SPD)),
            "m": tf.matrix_determinant(_SPD),
            **dict(zip(("sign", "logabs"), tf.linalg.slogdet(tf.constant(_SPD)), strict=True)),
            "logdet": tf.linalg.logdet(tf.constant(_SPD)),
        },
        "cholesky-solve": lambda tf: {
            "l": tf.linalg.cholesky(tf.constant(_SPD)),
            "c": tf.cholesky(_SPD),
            "x": tf.linalg.cholesky_solve(tf.linalg.cholesky(tf.constant(_SPD)), tf.constant(_B[:3])),
            "s": tf.linalg.solve(tf.constant(_SPD), tf.constant(_B[:3]), adjoint=True),
            "t": tf.matrix_solve(_SPD, _B[:3]),
            "a": tf.linalg.adjoint(tf.constant(A[0])),
        },
        "lstsq": lambda tf: {
            "over": tf.linalg.lstsq(tf.constant(_TALL), tf.constant(_B)),
            "under": tf.matrix_solve_ls(tf.constant(_TALL.T), tf.constant(_B[:3]), l2_regularizer=0.5),
            "l2-tensor": tf.linalg.lstsq(tf.constant(_TALL), tf.constant(_B), l2_regularizer=tf.constant(0.25)),
            "slow": tf.linalg.lstsq(tf.constant(_TALL.astype(np.float64)), _B.astype(np.float64), fast=False),
        },
        "lstsq-unknown-shape": lambda tf: {
            "x": tf.linalg.lstsq(tf.placeholder_with_default(_TALL, [None, None]), tf.constant(_B), name="unknown")
        },
        "trace": lambda tf: {"t": tf.linalg.trace(tf.constant(A)), "u": tf.trace(A[0], name="tr")},
        "norm-vector": lambda tf: {
            "e": tf.norm(tf.constant(A)),
            "1": tf.norm(tf.constant(A), ord=1, axis=-1),
            "inf": tf.linalg.norm(tf.constant(A), ord=np.inf, axis=1, keepdims=True),
            "p3": tf.norm(tf.constant(A), ord=3, axis=0, keep_dims=True),
        },
        "norm-matrix": lambda tf: {
            "fro": tf.norm(tf.constant(A), ord="fro", axis=[-2, -1]),
            "1": tf.norm(tf.constant(A), ord=1, axis=(1, 2)),
            "inf": tf.norm(tf.constant(A), ord=np.inf, axis=[2, 1]),
            "2": tf.norm(tf.constant(A), ord=2, axis=[-2, -1], name="spectral"),
        },
        "svd-eigh": lambda tf: {
            "s": tf.linalg.svd(tf.constant(A[0]), compute_uv=False),
            "sv": tf.svd(A[0], full_matrices=True)[0],
            "e": tf.linalg.eigvalsh(tf.constant(_SPD)),
            "ev": tf.self_adjoint_eig(_SPD)[0],
            "ev2": tf.self_adjoint_eigvals(_SPD),
            "eh": tf.linalg.eigh(tf.constant(_SPD))[0],
        },
    }
)


@pytest.mark.parametrize(
    "kwargs",
    [{"ord": "nuc", "axis": [0, 1]}, {"ord": -1}, {"axis": [0, 0]}, {"axis": "x"}],
    ids=["nuc", "neg", "same", "s"],
)
def test_norm_argument_errors_are_tfs(tf1, kwargs):
    import torchmeta as tm

    messages = []
    for api in (tf1, tm):
        with api.Graph().as_default(), pytest.raises(ValueError) as error:
            api.norm(api.constant(A), **kwargs)
        messages.append(str(error.value))
    assert messages[1] == messages[0]


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_graph_is_tfs(tf1, name):
    P.assert_same_graph(tf1, PROGRAMS[name])


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_values_are_tfs(tf1, tmp_path, name):
    expected, actual = P.run_tf_then_ours(tf1, PROGRAMS[name], tmp_path)
    P.assert_results_close(expected, actual, rtol=1e-4, atol=1e-5)
