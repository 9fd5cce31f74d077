"""Matrix factorizations beyond the sample table: eigen- and singular vectors against TF's up to sign
(phase), gradients through them for losses that do not depend on the sign, Cholesky's failure output,
and bad inputs with TF's error class and wording."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.ops.harness import Sample, assert_same_runtime_error, assert_same_shape_error, randn, run_tf, run_tm
from tests.ops.samples_linalg_factor import spd
from tests.ops.samples_linalg_solve import rhs

S = Sample
f32, f64 = np.float32, np.float64

VECTORS = [
    S("SelfAdjointEigV2", {"input": spd(4, 4, dtype=f64)}, id="f64"),
    S("SelfAdjointEigV2", {"input": spd(2, 3, 3)}, id="f32-batch"),
    S("SelfAdjointEigV2", {"input": spd(3, 3, dtype=np.complex128)}, id="c128"),
    S("Svd", {"input": rhs(4, 3, dtype=f64)}, id="deep"),
    S("Svd", {"input": rhs(2, 3, 5)}, id="wide-batch"),
    S("Svd", {"input": rhs(3, 4, dtype=f64)}, {"full_matrices": True}, id="full"),
    S("Svd", {"input": rhs(3, 2, dtype=np.complex128)}, id="c128"),
]


@pytest.mark.parametrize("sample", VECTORS, ids=lambda s: s.name)
def test_vectors_match_tf_up_to_sign(tf1, sample):
    theirs, _, their_dtypes = run_tf(tf1, sample)
    ours, _, our_dtypes = run_tm(sample)
    assert our_dtypes == their_dtypes
    rtol = 1e-4 if ours[0].dtype in (np.float32, np.complex64) else 1e-9
    np.testing.assert_allclose(ours[0], theirs[0], rtol=rtol, atol=rtol)
    for mine, tf_value in zip(ours[1:], theirs[1:]):
        assert mine.shape == tf_value.shape
        # each column is unique up to a sign (a phase for complex): its magnitudes are not
        np.testing.assert_allclose(np.abs(mine), np.abs(tf_value), rtol=rtol * 10, atol=rtol * 10)


def _sign_free_gradient(lib, raw_ops, op, a, attrs):
    """d/da of sum(|outputs|^2 * weights): the same for every sign (phase) choice of the vectors."""
    g = lib.Graph()
    with g.as_default():
        x = lib.constant(a)
        outs = getattr(raw_ops, op)(input=x, **attrs)
        loss = 0
        for i, out in enumerate(outs):
            weights = lib.constant(
                np.linspace(0.5, 1.5, int(np.prod(out.shape.as_list()))).reshape(out.shape.as_list())
            )
            mag = lib.math.real(out * lib.math.conj(out)) if out.dtype.is_complex else out * out
            loss = loss + lib.reduce_sum(lib.cast(mag, lib.float64) * weights) * (i + 1)
        (grad,) = lib.gradients(loss, [x])
        with lib.Session(graph=g) as sess:
            return sess.run(grad)


@pytest.mark.parametrize(
    "op, a, attrs",
    [
        ("SelfAdjointEigV2", spd(4, 4, dtype=f64), {}),
        ("Svd", rhs(4, 3, dtype=f64), {}),
        ("Svd", rhs(3, 5, dtype=f64), {}),
        ("Svd", rhs(3, 4, dtype=f64), {"full_matrices": True}),
        ("Svd", rhs(3, 3, dtype=f64), {}),
    ],
    ids=["eig", "svd-deep", "svd-wide", "svd-full", "svd-square"],
)
def test_gradients_through_vectors_match_tf(tf1, op, a, attrs):
    import tensorflow as tf

    theirs = _sign_free_gradient(tf1, tf.raw_ops, op, a, attrs)
    ours = _sign_free_gradient(tm, tm.raw_ops, op, a, attrs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-9)


def test_failed_cholesky_is_nan_in_the_lower_triangle_as_tf(tf1):
    """Not positive definite (one matrix of the batch): TF writes NaN into its lower triangle (the upper
    one is left unwritten, so only the lower triangles are compared); the other matrix is factored."""
    a = np.stack([spd(3, 3), np.array([[4.0, 2, 0], [2, 1, 0], [0, 0, 1]], f32)])
    sample = S("Cholesky", {"input": a})
    theirs = run_tf(tf1, sample)[0][0]
    ours = run_tm(sample)[0][0]
    np.testing.assert_allclose(np.tril(ours), np.tril(theirs), rtol=1e-5)
    assert np.isnan(np.tril(ours[1])[np.tril_indices(3)]).all()


RUNTIME_ERRORS = [
    S("Cholesky", {"input": randn(3)}, id="rank1"),
    S("Cholesky", {"input": randn(2, 3)}, id="not-square"),
    S("SelfAdjointEigV2", {"input": randn(2, 3)}, id="not-square"),
    S("SelfAdjointEigV2", {"input": np.full((2, 2), np.nan, f32)}, id="nan"),
    S("Svd", {"input": randn(3)}, id="rank1"),
    S("Eig", {"input": randn(2, 3)}, {"Tout": "dtype:complex64"}, id="not-square"),
    S("Eig", {"input": np.array([[np.nan, 1], [1, 1]], f32)}, {"Tout": "dtype:complex64"}, id="nan"),
    S("Eig", {"input": np.array([[np.inf, 1], [1, 1]], f64)}, {"Tout": "dtype:complex128"}, id="inf"),
]


@pytest.mark.parametrize("sample", RUNTIME_ERRORS, ids=lambda s: s.name)
def test_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


SHAPE_ERRORS = [
    S("Cholesky", {"input": randn(3)}, id="rank1"),
    S("Cholesky", {"input": randn(2, 3)}, id="not-square"),
    S("SelfAdjointEigV2", {"input": randn(2, 4, 3)}, id="not-square"),
    S("Svd", {"input": randn(3)}, id="rank1"),
    S("Eig", {"input": randn(2, 3)}, {"Tout": "dtype:complex64"}, id="not-square"),
]


@pytest.mark.parametrize("sample", SHAPE_ERRORS, ids=lambda s: s.name)
def test_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)


def _general(*shape, dtype=f64):
    x = np.random.default_rng(sum(shape)).standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * np.random.default_rng(7).standard_normal(shape)
    return x.astype(dtype)


@pytest.mark.parametrize(
    "a, tout",
    [
        (_general(5, 5), "complex128"),
        (_general(2, 4, 4).astype(f32), "complex64"),
        (_general(6, 6), "complex128"),
        (_general(4, 4, dtype=np.complex128), "complex128"),
        (_general(3, 3, dtype=np.complex64), "complex64"),
    ],
    ids=["f64", "f32-batch", "f64-6", "c128", "c64"],
)
def test_eig_pairs_match_tf_in_any_order(tf1, a, tout):
    """Every eigenvalue of TF's is ours (complex inputs: in TF's order, sorted by magnitude as Eigen's
    ComplexEigenSolver sorts; real inputs: each Schur form's own order, matched here), and the matched
    eigenvectors agree up to a unit phase; ours satisfy A v = e v."""
    sample = S("Eig", {"input": a}, {"Tout": f"dtype:{tout}"})
    (their_e, their_v), _, their_dtypes = run_tf(tf1, sample)
    (our_e, our_v), _, our_dtypes = run_tm(sample)
    assert our_dtypes == their_dtypes and our_e.shape == their_e.shape and our_v.shape == their_v.shape
    tol = 1e-4 if our_e.dtype == np.complex64 else 1e-9
    flat = zip(our_e.reshape(-1, a.shape[-1]), our_v.reshape(-1, *a.shape[-2:]), their_e.reshape(-1, a.shape[-1]),
               their_v.reshape(-1, *a.shape[-2:]), a.reshape(-1, *a.shape[-2:]))  # fmt: skip
    for e, v, te, tv, m in flat:
        np.testing.assert_allclose(m @ v, v * e, rtol=tol * 10, atol=tol * 10)
        if np.iscomplexobj(a):
            np.testing.assert_allclose(e, te, rtol=tol, atol=tol)
        order = [int(np.argmin(np.abs(e - t))) for t in te]
        assert sorted(order) == list(range(len(e)))
        np.testing.assert_allclose(e[order], te, rtol=tol, atol=tol)
        for j, k in enumerate(order):
            phase = np.vdot(v[:, k], tv[:, j])
            np.testing.assert_allclose(abs(phase), 1.0, rtol=tol * 10)
            np.testing.assert_allclose(v[:, k] * phase, tv[:, j], rtol=tol * 10, atol=tol * 10)


@pytest.mark.parametrize("compute_v", [True, False], ids=["with-v", "values-only"])
def test_eig_gradient_matches_tf_for_order_and_phase_free_losses(tf1, compute_v):
    """d/da of sum(Re(e)^2 + Im(e)^3) + sum_i w_i sum_j |v_ij|^2: the same for any eigenvalue order and
    eigenvector phases, so LAPACK's and Eigen's choices give TF's gradient."""
    import tensorflow as tf

    a = _general(4, 4)
    results = []
    for lib, raw_ops in ((tf1, tf.raw_ops), (tm, tm.raw_ops)):
        g = lib.Graph()
        with g.as_default():
            x = lib.constant(a)
            e, v = raw_ops.Eig(input=x, Tout=lib.complex128, compute_v=compute_v)
            loss = lib.reduce_sum(lib.math.real(e) ** 2 + lib.math.imag(e) ** 3)
            if compute_v:
                weights = lib.constant(np.linspace(0.5, 2.0, 4).reshape(4, 1))
                loss = loss + lib.reduce_sum(lib.math.real(v * lib.math.conj(v)) * weights)
            (grad,) = lib.gradients(loss, [x])
            with lib.Session(graph=g) as sess:
                results.append(sess.run(grad))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-7, atol=1e-9)
