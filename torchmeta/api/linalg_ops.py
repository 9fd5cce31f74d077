"""``tf.linalg``: eye, qr, matrix transposes and diagonals, the solvers (solve, triangular_solve, cholesky_solve,
lstsq), the factorizations (cholesky, svd, eigh, eig) and determinants, as TF's linalg_ops.py builds them."""

from __future__ import annotations

import numbers

import numpy as np

from torchmeta import dtypes
from torchmeta.api import array_ops, math_ops
from torchmeta.api.cond import cond
from torchmeta.api.functional_ops import map_fn
from torchmeta.framework.graph import Tensor, convert_to_tensor, name_scope
from torchmeta.framework.op_def_library import raw_op

__all__ = [
    "eye",
    "qr",
    "matrix_transpose",
    "diag",
    "diag_part",
    "matrix_diag",
    "matrix_diag_part",
    "matrix_set_diag",
    "matrix_band_part",
    "matrix_triangular_solve",
    "cholesky",
    "cholesky_solve",
    "matrix_solve_ls",
    "matrix_solve",
    "matrix_inverse",
    "matrix_determinant",
    "slogdet",
    "logdet",
    "adjoint",
    "svd",
    "self_adjoint_eig",
    "self_adjoint_eigvals",
    "eig",
    "eigvals",
    "trace",
    "norm",
]


def qr(input, full_matrices=False, name=None):
    """``tf.linalg.qr``: (q, r) of each inner matrix."""
    q, r = raw_op("Qr", input=input, full_matrices=full_matrices, name=name)
    return q, r


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """``tf.linalg.matrix_transpose``: swaps the last two dimensions.

    Raises:
      ValueError: for a tensor of rank below 2.
    """
    with name_scope(name, values=[a]):
        a = convert_to_tensor(a, name="a")
        ndims = a.shape.rank
        if ndims is not None:
            if ndims < 2:
                raise ValueError(
                    f"Argument `a` should be a (batch) matrix with rank >= 2.  Received `a` = {a} with shape: {a.shape}"
                )
            perm = [*range(ndims - 2), ndims - 1, ndims - 2]
        else:
            a_rank = array_ops.rank(a)
            perm = array_ops.concat((raw_op("Range", start=0, limit=a_rank - 2, delta=1), [a_rank - 1, a_rank - 2]), 0)
        return array_ops.transpose(a, perm=perm, conjugate=conjugate)


def diag(diagonal, name=None):
    """``tf.linalg.tensor_diag``: a tensor with ``diagonal`` on its diagonal (rank doubles)."""
    return raw_op("Diag", diagonal=diagonal, name=name)


def diag_part(input, name=None):
    """``tf.linalg.tensor_diag_part``: the diagonal of a tensor of even rank (the inverse of ``diag``)."""
    return raw_op("DiagPart", input=input, name=name)


def _padding(x, padding_value):
    if getattr(x, "dtype", None) == dtypes.DType.bool:
        return bool(padding_value)
    return padding_value


def matrix_diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0, align="RIGHT_LEFT"):
    """``tf.linalg.diag``: batched matrices with ``diagonal`` on diagonal(s) ``k`` (MatrixDiagV3)."""
    return raw_op(
        "MatrixDiagV3",
        diagonal=diagonal,
        k=k,
        num_rows=num_rows,
        num_cols=num_cols,
        padding_value=_padding(diagonal, padding_value),
        align=align,
        name=name,
    )


def matrix_diag_part(input, name="diag_part", k=0, padding_value=0, align="RIGHT_LEFT"):
    """``tf.linalg.diag_part``: diagonal(s) ``k`` of batched matrices (MatrixDiagPartV3)."""
    padding_value = _padding(input, padding_value)
    return raw_op("MatrixDiagPartV3", input=input, k=k, padding_value=padding_value, align=align, name=name)


def matrix_set_diag(input, diagonal, name="set_diag", k=0, align="RIGHT_LEFT"):
    """``tf.linalg.set_diag``: ``input`` with diagonal(s) ``k`` replaced by ``diagonal`` (MatrixSetDiagV3)."""
    return raw_op("MatrixSetDiagV3", input=input, diagonal=diagonal, k=k, align=align, name=name)


def eye(num_rows, num_columns=None, batch_shape=None, dtype=dtypes.DType.float32, name=None):
    """``tf.eye``: (batched) identity matrices, a MatrixDiagV3 of ones, or ones set into zeros when not square.

    Raises:
      TypeError: for static sizes that are not integers.
    """
    with name_scope(name, "eye", [num_rows, num_columns, batch_shape]):
        is_square = num_columns is None
        batch_shape = [] if batch_shape is None else batch_shape
        num_columns = num_rows if num_columns is None else num_columns
        if isinstance(num_rows, Tensor) or isinstance(num_columns, Tensor):
            diag_size = math_ops.minimum(num_rows, num_columns)
        else:
            if not isinstance(num_rows, numbers.Integral) or not isinstance(num_columns, numbers.Integral):
                raise TypeError(
                    "Arguments `num_rows` and `num_columns` must be positive integer values. Received: "
                    f"num_rows={num_rows}, num_columns={num_columns}"
                )
            is_square = num_rows == num_columns
            diag_size = int(np.minimum(num_rows, num_columns))
        if isinstance(batch_shape, Tensor) or isinstance(diag_size, Tensor):
            batch_shape = convert_to_tensor(batch_shape, name="shape", dtype=dtypes.DType.int32)
            diag_shape = array_ops.concat((batch_shape, [diag_size]), axis=0)
            if not is_square:
                shape = array_ops.concat((batch_shape, [num_rows, num_columns]), axis=0)
        else:
            batch_shape = list(batch_shape)
            diag_shape = [*batch_shape, diag_size]
            if not is_square:
                shape = [*batch_shape, num_rows, num_columns]
        diag_ones = array_ops.ones(diag_shape, dtype=dtype)
        if is_square:
            return matrix_diag(diag_ones)
        return matrix_set_diag(array_ops.zeros(shape, dtype=dtype), diag_ones)


def matrix_band_part(input, num_lower, num_upper, name=None):
    """``tf.linalg.band_part``: keeps ``num_lower`` subdiagonals and ``num_upper`` superdiagonals (-1: all)."""
    return raw_op("MatrixBandPart", input=input, num_lower=num_lower, num_upper=num_upper, name=name)


def matrix_triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """``tf.linalg.triangular_solve``: x with ``matrix @ x = rhs`` for a triangular ``matrix``."""
    with name_scope(name, "triangular_solve", [matrix, rhs]):
        return raw_op("MatrixTriangularSolve", matrix=matrix, rhs=rhs, lower=lower, adjoint=adjoint)


def cholesky(input, name=None):
    """``tf.linalg.cholesky``: the lower Cholesky factor of each inner matrix."""
    return raw_op("Cholesky", input=input, name=name)


def matrix_solve(matrix, rhs, adjoint=False, name=None):
    """``tf.linalg.solve``: x with ``matrix @ x = rhs`` (or ``adjoint(matrix) @ x = rhs``)."""
    return raw_op("MatrixSolve", matrix=matrix, rhs=rhs, adjoint=adjoint, name=name)


def matrix_inverse(input, adjoint=False, name=None):
    """``tf.linalg.inv``: the inverse (or the inverse's adjoint) of each inner matrix."""
    return raw_op("MatrixInverse", input=input, adjoint=adjoint, name=name)


def matrix_determinant(input, name=None):
    """``tf.linalg.det``: the determinant of each inner matrix."""
    return raw_op("MatrixDeterminant", input=input, name=name)


def slogdet(input, name=None):
    """``tf.linalg.slogdet``: (sign, log|det|) of each inner matrix."""
    sign, log_abs_determinant = raw_op("LogMatrixDeterminant", input=input, name=name)
    return sign, log_abs_determinant


def logdet(matrix, name=None):
    """``tf.linalg.logdet``: log det of Hermitian positive definite matrices, from their Cholesky factors."""
    with name_scope(name, "logdet", [matrix]):
        chol = raw_op("Cholesky", input=matrix)
        return 2.0 * math_ops.reduce_sum(math_ops.log(math_ops.real(matrix_diag_part(chol))), axis=[-1])


def adjoint(matrix, name=None):
    """``tf.linalg.adjoint``: the conjugate transpose of the inner matrices."""
    with name_scope(name, "adjoint", [matrix]):
        matrix = convert_to_tensor(matrix, name="matrix")
        return matrix_transpose(matrix, conjugate=True)


def cholesky_solve(chol, rhs, name=None):
    """``tf.linalg.cholesky_solve``: x with ``A @ x = rhs`` given ``chol = cholesky(A)``: two triangular solves."""
    with name_scope(name, "cholesky_solve", [chol, rhs]):
        y = raw_op("MatrixTriangularSolve", matrix=chol, rhs=rhs, adjoint=False, lower=True)
        return raw_op("MatrixTriangularSolve", matrix=chol, rhs=y, adjoint=True, lower=True)


def regularized_gramian_cholesky(matrix, l2_regularizer, first_kind):
    """TF's _RegularizedGramianCholesky: cholesky(A^H A + l2 I) (first kind) or cholesky(A A^H + l2 I)."""
    gramian = math_ops.matmul(matrix, matrix, adjoint_a=first_kind, adjoint_b=not first_kind)
    if isinstance(l2_regularizer, Tensor) or l2_regularizer != 0:
        matrix_shape = array_ops.shape(matrix)
        batch_shape = matrix_shape[:-2]
        small_dim = matrix_shape[-1] if first_kind else matrix_shape[-2]
        identity = eye(small_dim, batch_shape=batch_shape, dtype=matrix.dtype)
        small_dim_static = matrix.shape[-1 if first_kind else -2]
        identity.set_shape(matrix.shape[:-2].concatenate([small_dim_static, small_dim_static]))
        gramian += l2_regularizer * identity
    return raw_op("Cholesky", input=gramian)


def _use_composite_impl(fast, matrix):
    """TF's choice: the Cholesky graph unless fast=False, or a big batch of small matrices that is IO-bound."""
    if fast is False:
        return False
    shape = matrix.shape
    if not shape.is_fully_defined():
        return True
    dims = shape.as_list()
    tensor_size = int(np.prod(dims)) * matrix.dtype.size
    is_io_bound = int(np.prod(dims[:-2])) > np.min(dims[-2:])
    return not (tensor_size > 256000 and is_io_bound)


def matrix_solve_ls(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """``tf.linalg.lstsq`` (``tf.matrix_solve_ls``): regularized least squares. With ``fast`` (and unless the
    batch is large and IO-bound) TF builds the normal equations' Cholesky solve as a graph; otherwise one
    MatrixSolveLs op.

    Raises:
      NotImplementedError: for complex128 with a nonzero ``l2_regularizer`` (TF's message).
    """

    def overdetermined(matrix, rhs, l2_regularizer):
        chol = regularized_gramian_cholesky(matrix, l2_regularizer=l2_regularizer, first_kind=True)
        return cholesky_solve(chol, math_ops.matmul(matrix, rhs, adjoint_a=True))

    def underdetermined(matrix, rhs, l2_regularizer):
        chol = regularized_gramian_cholesky(matrix, l2_regularizer=l2_regularizer, first_kind=False)
        return math_ops.matmul(matrix, cholesky_solve(chol, rhs), adjoint_a=True)

    matrix = convert_to_tensor(matrix, name="matrix")
    if matrix.dtype == dtypes.DType.complex128 and l2_regularizer != 0:
        raise NotImplementedError(
            "matrix_solve_ls is currently disabled for complex128 and l2_regularizer != 0 due to poor accuracy."
        )
    if not _use_composite_impl(fast, matrix):
        return raw_op("MatrixSolveLs", matrix=matrix, rhs=rhs, l2_regularizer=l2_regularizer, fast=fast, name=name)
    with name_scope(name, "matrix_solve_ls", [matrix, rhs, l2_regularizer]):
        matrix_shape = matrix.shape[-2:]
        if matrix_shape.is_fully_defined():
            if matrix_shape[-2] >= matrix_shape[-1]:
                return overdetermined(matrix, rhs, l2_regularizer)
            return underdetermined(matrix, rhs, l2_regularizer)
        matrix_shape = array_ops.shape(matrix)[-2:]
        return cond(
            matrix_shape[-2] >= matrix_shape[-1],
            lambda: overdetermined(matrix, rhs, l2_regularizer),
            lambda: underdetermined(matrix, rhs, l2_regularizer),
        )


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """``tf.linalg.svd``: (s, u, v), or s alone without ``compute_uv``."""
    s, u, v = raw_op("Svd", input=tensor, compute_uv=compute_uv, full_matrices=full_matrices, name=name)
    if compute_uv:
        return math_ops.real(s), u, v
    return math_ops.real(s)


def self_adjoint_eig(tensor, name=None):
    """``tf.linalg.eigh``: (eigenvalues ascending, eigenvectors) of Hermitian matrices."""
    e, v = raw_op("SelfAdjointEigV2", input=tensor, compute_v=True, name=name)
    return e, v


def self_adjoint_eigvals(tensor, name=None):
    """``tf.linalg.eigvalsh``: the eigenvalues of Hermitian matrices, ascending."""
    e, _ = raw_op("SelfAdjointEigV2", input=tensor, compute_v=False, name=name)
    return e


def _eig_out_dtype(tensor):
    tensor = convert_to_tensor(tensor)
    if tensor.dtype in (dtypes.DType.float32, dtypes.DType.complex64):
        return tensor, dtypes.DType.complex64
    return tensor, dtypes.DType.complex128


def eig(tensor, name=None):
    """``tf.linalg.eig`` (TF2 only): complex eigenvalues and eigenvectors of general matrices."""
    tensor, out_dtype = _eig_out_dtype(tensor)
    e, v = raw_op("Eig", input=tensor, Tout=out_dtype, compute_v=True, name=name)
    return e, v


def eigvals(tensor, name=None):
    """``tf.linalg.eigvals`` (TF2 only): the complex eigenvalues of general matrices."""
    tensor, out_dtype = _eig_out_dtype(tensor)
    e, _ = raw_op("Eig", input=tensor, Tout=out_dtype, compute_v=False, name=name)
    return e


def trace(x, name=None):
    """``tf.linalg.trace`` (``tf.trace``): the sum of the main diagonal of each inner matrix."""
    with name_scope(name, "Trace", [x]) as name:
        x = convert_to_tensor(x, name="x")
        return math_ops.reduce_sum(matrix_diag_part(x), [-1], name=name)


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None, keep_dims=None):
    """``tf.norm`` / ``tf.linalg.norm`` (TF1): vector norms (euclidean, 1, inf, p > 0) over ``axis`` or matrix
    norms ('fro', 'euclidean', 1, 2, inf) over a pair of axes, as TF's linalg_ops.norm builds them (the matrix
    2-norm through an Svd, the permutation computed with map_fn).

    Raises:
      ValueError: for an unsupported ``ord`` or ``axis`` (TF's messages).
    """
    keepdims = keep_dims if keepdims is None else keepdims
    if keepdims is None:
        keepdims = False
    is_matrix_norm = isinstance(axis, (tuple, list)) and len(axis) == 2
    if is_matrix_norm:
        axis = tuple(axis)
        if not isinstance(axis[0], int) or not isinstance(axis[1], int) or axis[0] == axis[1]:
            raise ValueError(f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}")
        supported_matrix_norms = ["euclidean", "fro", 1, 2, np.inf]
        if ord not in supported_matrix_norms:
            raise ValueError(f"'ord' must be a supported matrix norm in {supported_matrix_norms}, got {ord}")
    else:
        if not (isinstance(axis, int) or axis is None):
            raise ValueError(f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}")
        supported_vector_norms = ["euclidean", 1, 2, np.inf]
        if (not np.isreal(ord) or ord <= 0) and ord not in supported_vector_norms:
            raise ValueError(f"'ord' must be a supported vector norm, got {ord}")
        if axis is not None:
            axis = (axis,)
    with name_scope(name, "norm", [tensor]):
        tensor = convert_to_tensor(tensor)
        if ord in ["fro", "euclidean", 2, 2.0]:
            if is_matrix_norm and ord in [2, 2.0]:
                rank = array_ops.rank(tensor)
                positive_axis = map_fn(lambda i: cond(i >= 0, lambda: i, lambda: i + rank), convert_to_tensor(axis))
                axes = math_ops.range(rank)
                perm_before = array_ops.concat(
                    [array_ops.setdiff1d(axes, positive_axis, dtypes.DType.int32)[0], positive_axis], axis=0
                )
                perm_after = map_fn(
                    lambda i: math_ops.cast(
                        array_ops.squeeze(array_ops.where_v2(math_ops.equal(perm_before, i))), dtype=dtypes.DType.int32
                    ),
                    axes,
                )
                permed = array_ops.transpose(tensor, perm=perm_before)
                singular = raw_op("Svd", input=permed, compute_uv=False)[0]
                matrix_2_norm = array_ops.expand_dims(
                    math_ops.reduce_max(math_ops.abs(singular), axis=-1, keepdims=True), axis=-1
                )
                result = array_ops.transpose(matrix_2_norm, perm=perm_after)
            else:
                result = math_ops.sqrt(math_ops.reduce_sum(tensor * math_ops.conj(tensor), axis, keepdims=True))
        else:
            result = math_ops.abs(tensor)
            if ord == 1:
                sum_axis = None if axis is None else axis[0]
                result = math_ops.reduce_sum(result, sum_axis, keepdims=True)
                if is_matrix_norm:
                    result = math_ops.reduce_max(result, axis[-1], keepdims=True)
            elif ord == np.inf:
                if is_matrix_norm:
                    result = math_ops.reduce_sum(result, axis[1], keepdims=True)
                max_axis = None if axis is None else axis[0]
                result = math_ops.reduce_max(result, max_axis, keepdims=True)
            else:
                result = math_ops.pow(math_ops.reduce_sum(math_ops.pow(result, ord), axis, keepdims=True), 1.0 / ord)
        if not keepdims:
            result = array_ops.squeeze(result, axis)
        return result
