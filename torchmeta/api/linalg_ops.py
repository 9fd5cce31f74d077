"""``tf.linalg`` functions the TF1 model API needs: eye, qr, matrix transposes and diagonals."""

from __future__ import annotations

import numbers

import numpy as np

from torchmeta import dtypes
from torchmeta.api import array_ops, math_ops
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
