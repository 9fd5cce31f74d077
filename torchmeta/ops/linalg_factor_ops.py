"""Matrix factorizations: Cholesky, SelfAdjointEigV2, Eig and Svd, with TensorFlow's gradients (linalg_grad.py).

TF's CPU kernels use Eigen (LLT, SelfAdjointEigenSolver, BDCSVD); these use LAPACK through torch. The
values agree to rounding; eigen- and singular vectors are unique only up to sign (or phase), so they may
differ from TF's by one. Where the two libraries disagree on failure, TF's behaviour is kept: Eigen's LLT
fails only on a pivot <= 0 (a NaN pivot goes on, LAPACK stops), and then TF returns NaN in the lower
triangle; a non-finite matrix has no eigen decomposition (an error) and an all-NaN SVD. half runs in
float32.

Eig (general matrices) is LAPACK's geev, not Eigen's (Complex)EigenSolver: every (e_i, v_i) is an eigenpair of
the input and the eigenvalues are TF's. For complex inputs they are sorted by magnitude as Eigen's
ComplexEigenSolver sorts them (so the order is TF's but for ties); for real inputs Eigen's EigenSolver keeps its
real Schur form's order, which LAPACK's can differ from. Each eigenvector's phase can differ too.
"""

from __future__ import annotations

import torch

from torchmeta.api import array_ops, linalg_ops, math_ops
from torchmeta.framework.common_shapes import merge_dim, with_rank_at_least
from torchmeta.framework.graph import control_dependencies
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid
from torchmeta.ops.linalg_solve_ops import batch_unchanged_square_shape, check_matrices, lapack_dtype

_SOLVER_T = "T: {double, float, half, complex64, complex128}"


# ---------------------------------------------------------------------------------------------
# Cholesky


def _eigen_llt(a):
    """Eigen's unblocked LLT of one matrix (lower triangle read): None when a pivot is <= 0."""
    n = a.shape[-1]
    lower = torch.zeros_like(a)
    for k in range(n):
        x = a[k, k].real - (lower[k, :k].abs() ** 2).sum()
        if bool(x <= 0):
            return None
        d = torch.sqrt(x)
        lower[k, k] = d
        if k + 1 < n:
            lower[k + 1 :, k] = (a[k + 1 :, k] - lower[k + 1 :, :k] @ lower[k, :k].conj()) / d
    return lower


@register_op(
    "Cholesky", inputs=["input: T"], outputs=["output: T"], attrs=[_SOLVER_T], shape=batch_unchanged_square_shape
)
def cholesky(input):
    check_matrices([input])
    a = lapack_dtype(input)
    if a.numel() == 0:
        return input.clone()
    lower, info = torch.linalg.cholesky_ex(a)
    if bool((info > 0).any()):
        flat_a = a.reshape(-1, *a.shape[-2:])
        flat = lower.reshape(flat_a.shape).clone()
        failed_rows = torch.ones(a.shape[-2:], dtype=torch.bool).tril()
        for i in torch.nonzero(info.reshape(-1) > 0).reshape(-1).tolist():
            redone = _eigen_llt(flat_a[i])
            if redone is None:  # TF fills the lower triangle with NaN (its upper triangle is left unwritten)
                redone = torch.zeros_like(flat_a[i]).masked_fill(failed_rows, float("nan"))
            flat[i] = redone
        lower = flat.reshape(a.shape)
    return lower.to(input.dtype)


@register_gradient("Cholesky")
def _cholesky_grad(op, grad):
    """l^-H @ ((l^H @ grad) * (tril(ones) - 1/2 eye)) @ l^-1, symmetrized."""
    l = op.outputs[0]  # noqa: E741 - TF's name
    num_rows = array_ops.shape(l)[-1]
    batch_shape = array_ops.shape(l)[:-2]
    l_inverse = linalg_ops.matrix_triangular_solve(l, linalg_ops.eye(num_rows, batch_shape=batch_shape, dtype=l.dtype))
    middle = math_ops.matmul(l, grad, adjoint_a=True)
    middle = linalg_ops.matrix_set_diag(middle, 0.5 * linalg_ops.matrix_diag_part(middle))
    middle = linalg_ops.matrix_band_part(middle, -1, 0)
    grad_a = math_ops.matmul(math_ops.matmul(l_inverse, middle, adjoint_a=True), l_inverse)
    grad_a += linalg_ops.adjoint(grad_a)
    return grad_a * 0.5


# ---------------------------------------------------------------------------------------------
# SelfAdjointEigV2


def _eig_shape(op):
    shape = with_rank_at_least(op, op.inputs[0].shape, 2)
    if shape.rank is None:
        e = TensorShape(None)
        return [e, TensorShape(None) if op.get_attr("compute_v") else TensorShape([0])]
    *batch, rows, cols = shape.as_tuple()
    n = merge_dim(op, rows, cols)
    v = TensorShape([*batch, n, n]) if op.get_attr("compute_v") else TensorShape([0])
    return [TensorShape([*batch, n]), v]


@register_op(
    "SelfAdjointEigV2",
    inputs=["input: T"],
    outputs=["e: T", "v: T"],
    attrs=["compute_v: bool = true", _SOLVER_T],
    shape=_eig_shape,
)
def self_adjoint_eig_v2(input, compute_v):
    check_matrices([input])
    a = lapack_dtype(input)
    if not bool(torch.isfinite(a.tril()).all()):
        raise invalid("Self-adjoint eigen decomposition was not successful. The input might not be valid.")
    if compute_v:
        e, v = torch.linalg.eigh(a, UPLO="L")
        return e.to(input.dtype), v.to(input.dtype)
    e = torch.linalg.eigvalsh(a, UPLO="L")
    return e.to(input.dtype), torch.zeros((), dtype=input.dtype)  # TF's kernel: an unwritten scalar


def _safe_reciprocal(x, epsilon=1e-20):
    return x * math_ops.reciprocal(x * x + epsilon)


@register_gradient("SelfAdjointEigV2")
def _self_adjoint_eig_v2_grad(op, grad_e, grad_v):
    e = op.outputs[0]
    compute_v = op.get_attr("compute_v")
    with control_dependencies([grad_e, grad_v]):
        if compute_v:
            v = op.outputs[1]
            # f(i, j) = 1 / (e_i - e_j) off the diagonal, 0 on it (infinite for repeated eigenvalues, as TF)
            f = linalg_ops.matrix_set_diag(
                _safe_reciprocal(array_ops.expand_dims(e, -2) - array_ops.expand_dims(e, -1)),
                array_ops.zeros_like(e),
            )
            grad_a = math_ops.matmul(
                v,
                math_ops.matmul(
                    linalg_ops.matrix_diag(grad_e) + f * math_ops.matmul(v, grad_v, adjoint_a=True),
                    v,
                    adjoint_b=True,
                ),
            )
        else:
            _, v = raw_op("SelfAdjointEigV2", input=op.inputs[0], compute_v=True)
            grad_a = math_ops.matmul(v, math_ops.matmul(linalg_ops.matrix_diag(grad_e), v, adjoint_b=True))
        # the forward op reads only the lower triangle: symmetrize and keep the lower triangle
        grad_a = linalg_ops.matrix_band_part(grad_a + linalg_ops.adjoint(grad_a), -1, 0)
        grad_a = linalg_ops.matrix_set_diag(grad_a, 0.5 * linalg_ops.matrix_diag_part(grad_a))
        return grad_a


# ---------------------------------------------------------------------------------------------
# Eig


@register_op(
    "Eig",
    inputs=["input: T"],
    outputs=["e: Tout", "v: Tout"],
    attrs=["compute_v: bool = true", "T: {float, double, complex64, complex128}", "Tout: {complex64, complex128}"],
    shape=_eig_shape,
)
def eig(input, compute_v, Tout):
    check_matrices([input])
    out_dtype = Tout.torch
    if not bool(torch.isfinite(input).all()):
        raise invalid("Eigen decomposition was not successful. The input might not be valid.")
    if input.shape[-1] == 0:
        e = torch.zeros(input.shape[:-1], dtype=out_dtype)
        return e, torch.zeros(input.shape if compute_v else (), dtype=out_dtype)
    if compute_v:
        e, v = torch.linalg.eig(input)
    else:
        e, v = torch.linalg.eigvals(input), None
    if input.is_complex():
        e, v = _sort_by_magnitude(e, v)
    e = e.to(out_dtype)
    if v is None:
        return e, torch.zeros((), dtype=out_dtype)  # TF: an unwritten scalar
    return e, v.to(out_dtype)


def _sort_by_magnitude(e, v):
    """Eigen's ComplexEigenSolver::sortEigenvalues (complex inputs): a selection sort by |e|, ascending, each
    step swapping the first smallest of the rest into place (and its eigenvector column with it)."""
    e = e.clone()
    v = None if v is None else v.clone()
    flat_e = e.reshape(-1, e.shape[-1])
    flat_v = None if v is None else v.reshape(-1, *v.shape[-2:])
    n = e.shape[-1]
    for b in range(flat_e.shape[0]):
        for i in range(n):
            k = i + int(torch.argmin(flat_e[b, i:].abs()))
            if k != i:
                flat_e[b, [i, k]] = flat_e[b, [k, i]]
                if flat_v is not None:
                    flat_v[b, :, [i, k]] = flat_v[b, :, [k, i]]
    return flat_e.reshape(e.shape), None if v is None else flat_v.reshape(v.shape)


@register_gradient("Eig")
def _eig_grad(op, grad_e, grad_v):
    """TF's _EigGrad: grad_a = v^-H (diag(grad_e) + f * (v^H grad_v - v^H v diag(Re(v^H grad_v)))) v^H, with
    f(i, j) = conj(1 / (e_i - e_j)) off the diagonal; without v, a second Eig computes it."""
    e = op.outputs[0]
    compute_v = op.get_attr("compute_v")
    with control_dependencies([grad_e, grad_v]):
        if compute_v:
            v = op.outputs[1]
            vt = linalg_ops.adjoint(v)
            f = linalg_ops.matrix_set_diag(
                _safe_reciprocal(array_ops.expand_dims(e, -2) - array_ops.expand_dims(e, -1)),
                array_ops.zeros_like(e),
            )
            f = math_ops.conj(f)
            vgv = math_ops.matmul(vt, grad_v)
            mid = linalg_ops.matrix_diag(grad_e)
            diag_grad_part = linalg_ops.matrix_diag(
                linalg_ops.matrix_diag_part(math_ops.cast(math_ops.real(vgv), vgv.dtype))
            )
            mid += f * (vgv - math_ops.matmul(math_ops.matmul(vt, v), diag_grad_part))
            grad_a = linalg_ops.matrix_solve(vt, math_ops.matmul(mid, vt))
        else:
            _, v = linalg_ops.eig(op.inputs[0])
            vt = linalg_ops.adjoint(v)
            grad_a = linalg_ops.matrix_solve(vt, math_ops.matmul(linalg_ops.matrix_diag(grad_e), vt))
        return math_ops.cast(grad_a, op.inputs[0].dtype)


# ---------------------------------------------------------------------------------------------
# Svd


def _svd_shape(op):
    shape = with_rank_at_least(op, op.inputs[0].shape, 2)
    compute_uv = op.get_attr("compute_uv")
    if shape.rank is None:
        unknown = TensorShape(None)
        return [unknown, unknown, unknown] if compute_uv else [unknown, TensorShape([0]), TensorShape([0])]
    *batch, m, n = shape.as_tuple()
    # InferenceContext::Min: a known 0 wins, else unknown if either is
    if m == 0 or n == 0:
        p = 0
    elif m is None or n is None:
        p = None
    else:
        p = min(m, n)
    s = TensorShape([*batch, p])
    if not compute_uv:
        return [s, TensorShape([0]), TensorShape([0])]
    if op.get_attr("full_matrices"):
        return [s, TensorShape([*batch, m, m]), TensorShape([*batch, n, n])]
    return [s, TensorShape([*batch, m, p]), TensorShape([*batch, n, p])]


@register_op(
    "Svd",
    inputs=["input: T"],
    outputs=["s: T", "u: T", "v: T"],
    attrs=["compute_uv: bool = true", "full_matrices: bool = false", _SOLVER_T],
    shape=_svd_shape,
)
def svd(input, compute_uv, full_matrices):
    check_matrices([input], square=False)
    a = lapack_dtype(input)
    finite = torch.isfinite(a).flatten(-2).all(-1)
    safe = torch.where(finite[..., None, None], a, torch.zeros_like(a))
    if compute_uv:
        u, s, vh = torch.linalg.svd(safe, full_matrices=full_matrices)
        v = vh.mH
    else:
        s = torch.linalg.svdvals(safe)
    nan = float("nan")
    s = torch.where(finite[..., None], s, torch.full_like(s, nan)).to(s.dtype)
    if not compute_uv:
        unwritten = torch.zeros((), dtype=input.dtype)  # TF's kernel: unwritten scalars (static shape [0])
        return s.to(input.dtype), unwritten, unwritten
    u = torch.where(finite[..., None, None], u, torch.full_like(u, nan))
    v = torch.where(finite[..., None, None], v, torch.full_like(v, nan))
    return s.to(input.dtype), u.to(input.dtype), v.to(input.dtype)


@register_gradient("Svd")
def _svd_grad(op, grad_s, grad_u, grad_v):
    """TF's _SvdGrad (Giles 2008; Townsend's full_matrices=False case; the complex term)."""
    a = op.inputs[0]
    a_shape = a.shape.with_rank_at_least(2)
    grad_s = math_ops.cast(grad_s, a.dtype)
    grad_s_mat = linalg_ops.matrix_diag(grad_s)

    if not op.get_attr("compute_uv"):
        _, u, v = raw_op("Svd", input=a, compute_uv=True)
        grad_a = math_ops.matmul(u, math_ops.matmul(grad_s_mat, v, adjoint_b=True))
        grad_a.set_shape(a_shape)
        return grad_a

    full_matrices = op.get_attr("full_matrices")
    grad_u_shape = grad_u.shape.with_rank_at_least(2)
    grad_v_shape = grad_v.shape.with_rank_at_least(2)
    m = a_shape.dims[-2].merge_with(grad_u_shape.dims[-2])
    n = a_shape.dims[-1].merge_with(grad_v_shape.dims[-2])
    batch_shape = a_shape[:-2].merge_with(grad_u_shape[:-2]).merge_with(grad_v_shape[:-2])
    a_shape = batch_shape.concatenate([m, n])
    m = a_shape.dims[-2].value
    n = a_shape.dims[-1].value
    if m is None or n is None:
        raise NotImplementedError("SVD gradient has not been implemented for input with unknown inner matrix shape.")

    s, u, v = op.outputs
    s = math_ops.cast(s, a.dtype)
    use_adjoint = False
    if m > n:
        # the gradient of A^H = V S^T U^H, transposed back at the end
        use_adjoint = True
        m, n = n, m
        u, v = v, u
        grad_u, grad_v = grad_v, grad_u

    with control_dependencies([grad_s, grad_u, grad_v]):
        if full_matrices and abs(m - n) > 1:
            raise NotImplementedError(
                "svd gradient is not implemented for abs(m - n) > 1 "
                f"when full_matrices is True. Received: m={m} and n={n} from "
                f"op input={a} with shape={a_shape}."
            )
        s_mat = linalg_ops.matrix_diag(s)
        s2 = math_ops.square(s)
        s_shape = array_ops.shape(s)
        f = linalg_ops.matrix_set_diag(
            _safe_reciprocal(array_ops.expand_dims(s2, -2) - array_ops.expand_dims(s2, -1)), array_ops.zeros_like(s)
        )
        s_inv_mat = linalg_ops.matrix_diag(_safe_reciprocal(s))

        v1 = v[..., :, :m]
        grad_v1 = grad_v[..., :, :m]
        u_gu = math_ops.matmul(u, grad_u, adjoint_a=True)
        v_gv = math_ops.matmul(v1, grad_v1, adjoint_a=True)
        f_u = f * u_gu
        f_v = f * v_gv
        term1_nouv = (
            grad_s_mat
            + math_ops.matmul(f_u + linalg_ops.adjoint(f_u), s_mat)
            + math_ops.matmul(s_mat, f_v + linalg_ops.adjoint(f_v))
        )
        term1 = math_ops.matmul(u, math_ops.matmul(term1_nouv, v1, adjoint_b=True))

        if m == n:
            grad_a_before_transpose = term1
        else:
            gv1t = linalg_ops.matrix_transpose(grad_v1, conjugate=True)
            gv1t_v1 = math_ops.matmul(gv1t, v1)
            term2_nous = gv1t - math_ops.matmul(gv1t_v1, v1, adjoint_b=True)
            if full_matrices:
                v2 = v[..., :, m:n]
                grad_v2 = grad_v[..., :, m:n]
                v1t_gv2 = math_ops.matmul(v1, grad_v2, adjoint_a=True)
                term2_nous -= math_ops.matmul(v1t_gv2, v2, adjoint_b=True)
            u_s_inv = math_ops.matmul(u, s_inv_mat)
            term2 = math_ops.matmul(u_s_inv, term2_nous)
            grad_a_before_transpose = term1 + term2

        if a.dtype.is_complex:
            eye = linalg_ops.eye(s_shape[-1], batch_shape=s_shape[:-1], dtype=a.dtype)
            l = eye * v_gv  # noqa: E741 - TF's name
            term3_nouv = math_ops.matmul(s_inv_mat, linalg_ops.adjoint(l) - l)
            term3 = 1 / 2.0 * math_ops.matmul(u, math_ops.matmul(term3_nouv, v1, adjoint_b=True))
            grad_a_before_transpose += term3

        if use_adjoint:
            grad_a = linalg_ops.matrix_transpose(grad_a_before_transpose, conjugate=True)
        else:
            grad_a = grad_a_before_transpose
        grad_a.set_shape(a_shape)
        return grad_a
