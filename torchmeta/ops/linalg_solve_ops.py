"""Linear-algebra solvers: MatrixInverse, MatrixDeterminant, LogMatrixDeterminant and MatrixSolve, built on a
partially pivoted LU factorization as TensorFlow's CPU kernels are (Eigen's PartialPivLU), and MatrixSolveLs
(the normal equations' Cholesky factorization, or a minimum-norm least-squares solve), with TensorFlow's
gradients (linalg_grad.py).

TF's LinearAlgebraOp checks every matrix of a batch and fails the whole op when one is singular. A
matrix counts as singular when its smallest absolute LU pivot is not > 0 (so a NaN pivot is singular
too), which LAPACK's info does not report; the pivots are checked here. half runs in float32 (Eigen's
half LU is float arithmetic rounded per operation; TF registers half only for MatrixInverse and
MatrixSolve on CPU).
"""

from __future__ import annotations

import torch

from torchmeta.api import array_ops, linalg_ops, math_ops
from torchmeta.api.cond import cond
from torchmeta.framework.common_shapes import merge_dim, merge_shapes, with_rank, with_rank_at_least
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid

_SOLVER_T = "T: {double, float, half, complex64, complex128}"
_DET_T = "T: {half, float, double, complex64, complex128}"

# ---------------------------------------------------------------------------------------------
# Shape functions (linalg_ops.cc)


def _batch_square(op, i: int = 0):
    """MakeBatchSquareMatrix: (batch dims, n) of input ``i``, which must be [..., n, n]."""
    shape = with_rank_at_least(op, op.inputs[i].shape, 2)
    if shape.rank is None:
        return None, None
    dims = shape.as_tuple()
    return list(dims[:-2]), merge_dim(op, dims[-2], dims[-1])


def batch_unchanged_square_shape(op):
    batch, n = _batch_square(op)
    return [TensorShape(None) if batch is None else TensorShape([*batch, n, n])]


def _determinant_shape(op):
    """DeterminantShapeFn: [..., n, n] -> [...] (it merges the last dim into the one before)."""
    shape = with_rank_at_least(op, op.inputs[0].shape, 2)
    dims = shape.as_tuple()
    if dims is not None:
        merge_dim(op, dims[-1], dims[-2])
    out = TensorShape(None) if dims is None else TensorShape(dims[:-2])
    return [out] * len(op.outputs)


def _matrix_solve_shape(op):
    """MatrixSolveShapeFn(square=true): batch dims merged, lhs [..., m, m], rhs [..., m, k] -> [..., m, k]."""
    batch, n = _batch_square(op, 0)
    rhs = with_rank_at_least(op, op.inputs[1].shape, 2)
    rhs_dims = rhs.as_tuple() if rhs.rank is not None else None
    batch = merge_shapes(op, TensorShape(batch), TensorShape(None if rhs_dims is None else rhs_dims[:-2]))
    m = merge_dim(op, n, None if rhs_dims is None else rhs_dims[-2])
    n = merge_dim(op, m, n)
    if batch.rank is None:
        return [TensorShape(None)]
    return [TensorShape([*batch.as_tuple(), n, None if rhs_dims is None else rhs_dims[-1]])]


# ---------------------------------------------------------------------------------------------
# Kernels


def check_matrices(inputs, square: bool = True):
    """LinearAlgebraOp::AnalyzeInputs and ValidateSquareSolver, in TF's order and words."""
    rank = inputs[0].dim()
    if rank < 2:
        raise invalid(f"Input tensor 0 must have rank >= 2, got {rank}")
    for t in inputs[1:]:
        if t.dim() != rank:
            raise invalid("All input tensors must have the same rank.")
        if t.shape[:-2] != inputs[0].shape[:-2]:
            raise invalid("All input tensors must have the same outer dimensions.")
    if square and inputs[0].shape[-2] != inputs[0].shape[-1]:
        raise invalid("Input matrix must be square.")


def lapack_dtype(t):
    """The dtype LAPACK runs: half goes through float32."""
    return t.float() if t.dtype in (torch.float16, torch.bfloat16) else t


def _lu(a, message: str):
    """The LU factors of every matrix of ``a``; raises ``message`` when one has a pivot that is not > 0."""
    lu, pivots, _ = torch.linalg.lu_factor_ex(a)
    min_pivot = lu.diagonal(dim1=-2, dim2=-1).abs().amin(dim=-1)
    if not bool((min_pivot > 0).all()):
        raise invalid(message)
    return lu, pivots


@register_op(
    "MatrixInverse",
    inputs=["input: T"],
    outputs=["output: T"],
    attrs=["adjoint: bool = false", _SOLVER_T],
    shape=batch_unchanged_square_shape,
)
def matrix_inverse(input, adjoint):
    check_matrices([input])
    a = lapack_dtype(input)
    if a.numel() == 0:
        return input.clone()
    lu, pivots = _lu(a, "Input is not invertible.")
    eye = torch.eye(a.shape[-1], dtype=a.dtype, device=a.device).expand(a.shape)
    return torch.linalg.lu_solve(lu, pivots, eye, adjoint=adjoint).to(input.dtype)


@register_gradient("MatrixInverse")
def _matrix_inverse_grad(op, grad):
    ainv = op.outputs[0]
    adjoint = op.get_attr("adjoint")
    return -math_ops.matmul(
        ainv, math_ops.matmul(grad, ainv, adjoint_a=adjoint, adjoint_b=not adjoint), adjoint_a=not adjoint
    )


def _slogdet(input):
    """TF's SLogDet from the LU factors: sign = the permutation's sign times the product of the pivots'
    signs (NaN for a NaN pivot, 0 for a zero one), log|det| = the sum of log|pivot|; an empty matrix
    has sign 1 and log|det| 0."""
    check_matrices([input])
    a = lapack_dtype(input)
    if a.shape[-1] == 0:
        return torch.ones(a.shape[:-2], dtype=a.dtype), torch.zeros(a.shape[:-2], dtype=a.dtype)
    lu, pivots, _ = torch.linalg.lu_factor_ex(a)
    diag = lu.diagonal(dim1=-2, dim2=-1)
    swaps = (pivots != torch.arange(1, a.shape[-1] + 1, dtype=pivots.dtype)).sum(-1)
    perm_sign = 1 - 2 * (swaps % 2)
    signs = torch.sgn(diag)
    signs = torch.where(torch.isnan(diag), torch.full_like(signs, float("nan")), signs)
    sign = perm_sign.to(a.dtype) * signs.prod(-1)
    log_abs = diag.abs().log().sum(-1).to(a.dtype)
    return sign, log_abs


@register_op("MatrixDeterminant", inputs=["input: T"], outputs=["output: T"], attrs=[_DET_T], shape=_determinant_shape)
def matrix_determinant(input):
    sign, log_abs = _slogdet(input)
    return (sign * torch.exp(log_abs)).to(input.dtype)


@register_gradient("MatrixDeterminant")
def _matrix_determinant_grad(op, grad):
    a = op.inputs[0]
    c = op.outputs[0]
    a_adj_inv = raw_op("MatrixInverse", input=a, adjoint=True)
    multipliers = array_ops.reshape(grad * c, array_ops.concat([array_ops.shape(c), [1, 1]], 0))
    return multipliers * a_adj_inv


@register_op(
    "LogMatrixDeterminant",
    inputs=["input: T"],
    outputs=["sign: T", "log_abs_determinant: T"],
    attrs=[_DET_T],
    shape=_determinant_shape,
)
def log_matrix_determinant(input):
    sign, log_abs = _slogdet(input)
    return sign.to(input.dtype), log_abs.to(input.dtype)


@register_gradient("LogMatrixDeterminant")
def _log_matrix_determinant_grad(op, _, grad_b):
    a = op.inputs[0]
    c = op.outputs[1]
    a_adj_inv = raw_op("MatrixInverse", input=a, adjoint=True)
    multipliers = array_ops.reshape(grad_b, array_ops.concat([array_ops.shape(c), [1, 1]], 0))
    return multipliers * a_adj_inv


@register_op(
    "MatrixSolve",
    inputs=["matrix: T", "rhs: T"],
    outputs=["output: T"],
    attrs=["adjoint: bool = false", _SOLVER_T],
    shape=_matrix_solve_shape,
)
def matrix_solve(matrix, rhs, adjoint):
    check_matrices([matrix, rhs], square=False)
    if matrix.shape[-2] != matrix.shape[-1]:
        raise invalid("First input (lhs) must be a square matrix.")
    if matrix.shape[-2] != rhs.shape[-2]:
        raise invalid("Input matrix and rhs are incompatible.")
    a, b = lapack_dtype(matrix), lapack_dtype(rhs)
    if a.shape[-1] == 0 or b.shape[-1] == 0 or a.numel() == 0:
        return torch.zeros(rhs.shape, dtype=rhs.dtype, device=rhs.device)
    lu, pivots = _lu(a, "Input matrix is not invertible.")
    return torch.linalg.lu_solve(lu, pivots, b, adjoint=adjoint).to(rhs.dtype)


@register_gradient("MatrixSolve")
def _matrix_solve_grad(op, grad):
    a = op.inputs[0]
    adjoint_a = op.get_attr("adjoint")
    c = op.outputs[0]
    grad_b = raw_op("MatrixSolve", matrix=a, rhs=grad, adjoint=not adjoint_a)
    if adjoint_a:
        grad_a = -math_ops.matmul(c, grad_b, adjoint_b=True)
    else:
        grad_a = -math_ops.matmul(grad_b, c, adjoint_b=True)
    return (grad_a, grad_b)


# ---------------------------------------------------------------------------------------------
# MatrixSolveLs


def _matrix_solve_ls_shape(op):
    """l2_regularizer a scalar; MatrixSolveShapeFn(square=false): lhs [..., m, n], rhs [..., m, k] -> [..., n, k]."""
    with_rank(op, op.inputs[2].shape, 0)
    lhs = with_rank_at_least(op, op.inputs[0].shape, 2)
    rhs = with_rank_at_least(op, op.inputs[1].shape, 2)
    lhs_dims = lhs.as_tuple() if lhs.rank is not None else None
    rhs_dims = rhs.as_tuple() if rhs.rank is not None else None
    batch = merge_shapes(
        op,
        TensorShape(None if lhs_dims is None else lhs_dims[:-2]),
        TensorShape(None if rhs_dims is None else rhs_dims[:-2]),
    )
    merge_dim(op, None if lhs_dims is None else lhs_dims[-2], None if rhs_dims is None else rhs_dims[-2])
    if batch.rank is None:
        return [TensorShape(None)]
    n = None if lhs_dims is None else lhs_dims[-1]
    return [TensorShape([*batch.as_tuple(), n, None if rhs_dims is None else rhs_dims[-1]])]


def _normal_equations_solve(a, b, l2, first_kind):
    """(A^H A + l2 I) X = A^H B (first kind) or X = A^H (A A^H + l2 I)^-1 B, through the Cholesky factor; None
    where a factorization fails (a pivot <= 0; a NaN gramian gives NaN as Eigen's LLT does)."""
    ah = a.mH
    gramian = ah @ a if first_kind else a @ ah
    if l2 > 0:
        gramian = gramian + l2 * torch.eye(gramian.shape[-1], dtype=a.dtype, device=a.device)
    chol, info = torch.linalg.cholesky_ex(gramian)
    failed = (info > 0) & torch.isfinite(gramian).flatten(-2).all(-1)
    if bool(failed.any()):
        return None
    if first_kind:
        return torch.cholesky_solve(ah @ b, chol)
    return ah @ torch.cholesky_solve(b, chol)


@register_op(
    "MatrixSolveLs",
    inputs=["matrix: T", "rhs: T", "l2_regularizer: double"],
    outputs=["output: T"],
    attrs=[_SOLVER_T, "fast: bool = true"],
    shape=_matrix_solve_ls_shape,
)
def matrix_solve_ls(matrix, rhs, l2_regularizer, fast):
    """fast: the regularized normal equations by Cholesky (TF's fast path); otherwise the minimum-norm
    least-squares solution (TF: Eigen's complete orthogonal decomposition; here LAPACK's gelsd, or the
    pseudo-inverse off the CPU), which ignores ``l2_regularizer`` as TF does."""
    check_matrices([matrix, rhs], square=False)
    if matrix.shape[-2] != rhs.shape[-2]:
        raise invalid("Input matrix and rhs are incompatible.")
    if l2_regularizer.dim() != 0:
        raise invalid(f"l2_regularizer must be scalar, got shape [{','.join(map(str, l2_regularizer.shape))}]")
    l2 = float(l2_regularizer)
    if not l2 >= 0:
        raise invalid("l2_regularizer must be >= 0.")
    rows, cols = matrix.shape[-2], matrix.shape[-1]
    out_shape = (*matrix.shape[:-2], cols, rhs.shape[-1])
    if rows == 0 or cols == 0 or rhs.shape[-1] == 0:
        return torch.zeros(out_shape, dtype=rhs.dtype, device=rhs.device)
    a, b = lapack_dtype(matrix), lapack_dtype(rhs)
    if not fast:
        if a.device.type == "cpu":
            return torch.linalg.lstsq(a, b, driver="gelsd").solution.to(rhs.dtype)
        return (torch.linalg.pinv(a) @ b).to(rhs.dtype)
    x = _normal_equations_solve(a, b, l2, first_kind=rows >= cols)
    if x is None:
        hint = "provide a larger l2_regularizer > 0." if rows >= cols else "provide an l2_regularizer > 0."
        raise invalid(f"Input matrix was rank deficient or ill-conditioned. Try setting fast=False or {hint}")
    return x.to(rhs.dtype)


@register_gradient("MatrixSolveLs")
def _matrix_solve_ls_grad(op, grad):
    """Through the regularized normal equations (TF has no gradient for fast=False: ValueError)."""

    def overdetermined():
        a, b = op.inputs[0], op.inputs[1]
        x = op.outputs[0]
        l2_regularizer = math_ops.cast(op.inputs[2], a.dtype.base_dtype)
        chol = linalg_ops.regularized_gramian_cholesky(a, l2_regularizer=l2_regularizer, first_kind=True)
        z = linalg_ops.cholesky_solve(chol, grad)
        xzt = math_ops.matmul(x, z, adjoint_b=True)
        zx_sym = xzt + linalg_ops.matrix_transpose(xzt)
        grad_a = -math_ops.matmul(a, zx_sym) + math_ops.matmul(b, z, adjoint_b=True)
        grad_b = math_ops.matmul(a, z)
        return grad_a, grad_b, None

    def underdetermined():
        a, b = op.inputs[0], op.inputs[1]
        l2_regularizer = math_ops.cast(op.inputs[2], a.dtype.base_dtype)
        chol = linalg_ops.regularized_gramian_cholesky(a, l2_regularizer=l2_regularizer, first_kind=False)
        grad_b = linalg_ops.cholesky_solve(chol, math_ops.matmul(a, grad))
        tmp = linalg_ops.cholesky_solve(chol, b)
        a1 = math_ops.matmul(tmp, a, adjoint_a=True)
        a1 = -math_ops.matmul(grad_b, a1)
        a2 = grad - math_ops.matmul(a, grad_b, adjoint_a=True)
        a2 = math_ops.matmul(tmp, a2, adjoint_b=True)
        return a1 + a2, grad_b, None

    if op.get_attr("fast") is False:
        raise ValueError("Gradient not defined for fast=False")
    matrix_shape = op.inputs[0].shape[-2:]
    if matrix_shape.is_fully_defined():
        return overdetermined() if matrix_shape[-2] >= matrix_shape[-1] else underdetermined()
    matrix_shape = array_ops.shape(op.inputs[0])[-2:]
    return cond(matrix_shape[-2] >= matrix_shape[-1], overdetermined, underdetermined)
