"""``tf.linalg`` functions TF builds in Python (linalg_impl, nn_impl.normalize, math_ops.matvec, the Cross
op's ``tf.cross``), node for node as TF builds them."""

from __future__ import annotations

import numpy as np

from torchmeta.api import array_ops, linalg_ops, math_ops
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import tensor_shape
from torchmeta.framework.graph import name_scope
from torchmeta.framework.op_def_library import raw_op

__all__ = ["cross", "matvec", "normalize", "pinv", "matrix_rank"]


def cross(a, b, name=None):
    """``tf.cross`` / ``tf.linalg.cross``: the cross product of 3-vectors along the last axis."""
    return raw_op("Cross", a=a, b=b, name=name)


def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False, name=None):
    """``tf.linalg.matvec``: ``a @ b`` for a (batch of) matrix ``a`` and vector ``b``."""
    with name_scope(name, "MatVec", [a, b]):
        output = math_ops.matmul(
            a,
            array_ops.expand_dims(b, axis=-1),
            transpose_a=transpose_a,
            adjoint_a=adjoint_a,
            a_is_sparse=a_is_sparse,
            b_is_sparse=b_is_sparse,
        )
        return array_ops.squeeze(output, axis=-1)


def normalize(tensor, ord="euclidean", axis=None, name=None):
    """``tf.linalg.normalize``: ``(tensor / norm, norm)`` with the norm of ``tf.norm`` kept as dims."""
    with name_scope(name, "normalize", [tensor]):
        tensor = graph_lib.convert_to_tensor(tensor)
        norm = linalg_ops.norm(tensor, ord, axis, keepdims=True)
        norm = math_ops.cast(norm, tensor.dtype)
        return tensor / norm, norm


def _check_matrix(a):
    """TF's _maybe_validate_matrix without validate_args' run-time assert (rank known here or not checked)."""
    if not a.dtype.is_floating:
        raise TypeError(f"Input `a` must have `float`-like `dtype` (saw {a.dtype.name}).")
    if a.shape.rank is not None and a.shape.rank < 2:
        raise ValueError(f"Input `a` must have at least 2 dimensions (saw: {a.shape.rank}).")


def matrix_rank(a, tol=None, validate_args=False, name=None):
    """``tf.linalg.matrix_rank``: the number of singular values above ``tol`` (by default
    ``eps * max(rows, cols) * max(s)``)."""
    with name_scope(name or "matrix_rank"):
        a = graph_lib.convert_to_tensor(a, preferred_dtype=DType.float32, name="a")
        _check_matrix(a)
        s = linalg_ops.svd(a, compute_uv=False)
        if tol is None:
            if a.shape[-2:].is_fully_defined():
                m = np.max(a.shape[-2:].as_list())
            else:
                m = math_ops.reduce_max(array_ops.shape(a)[-2:])
            eps = np.finfo(a.dtype.as_numpy_dtype).eps
            tol = eps * math_ops.cast(m, a.dtype) * math_ops.reduce_max(s, axis=-1, keepdims=True)
        return math_ops.reduce_sum(math_ops.cast(s > tol, DType.int32), axis=-1)


def pinv(a, rcond=None, validate_args=False, name=None):
    """``tf.linalg.pinv``: the Moore-Penrose pseudo-inverse by SVD (singular values below ``rcond`` times the
    largest count as zero)."""
    with name_scope(name or "pinv"):
        a = graph_lib.convert_to_tensor(a, name="a")
        _check_matrix(a)
        dtype = a.dtype.as_numpy_dtype
        if rcond is None:

            def get_dim_size(dim):
                dim_val = tensor_shape.dimension_value(a.shape[dim])
                return dim_val if dim_val is not None else array_ops.shape(a)[dim]

            num_rows = get_dim_size(-2)
            num_cols = get_dim_size(-1)
            if isinstance(num_rows, int) and isinstance(num_cols, int):
                max_rows_cols = float(max(num_rows, num_cols))
            else:
                max_rows_cols = math_ops.cast(math_ops.maximum(num_rows, num_cols), dtype)
            rcond = 10.0 * max_rows_cols * np.finfo(dtype).eps
        rcond = graph_lib.convert_to_tensor(rcond, dtype=a.dtype.base_dtype, name="rcond")
        singular_values, left_singular_vectors, right_singular_vectors = linalg_ops.svd(
            a, full_matrices=False, compute_uv=True
        )
        cutoff = rcond * math_ops.reduce_max(singular_values, axis=-1)
        singular_values = array_ops.where_v2(
            singular_values > array_ops.expand_dims(cutoff, -1), singular_values, np.array(np.inf, dtype)
        )
        a_pinv = math_ops.matmul(
            right_singular_vectors / array_ops.expand_dims(singular_values, -2), left_singular_vectors, adjoint_b=True
        )
        if a.shape.rank is not None:
            a_pinv.set_shape(a.shape[:-2].concatenate([a.shape[-1], a.shape[-2]]))
        return a_pinv
