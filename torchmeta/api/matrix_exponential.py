"""``tf.linalg.expm`` (TF's linalg_impl.matrix_exponential): Pade approximants of order 3 to 7 (float32,
complex64) or 13 (float64, complex128) chosen per matrix by its 1-norm, then scaling and squaring in a
while loop, node for node as TF builds it."""

from __future__ import annotations

import numpy as np

from torchmeta.api import array_ops, linalg_ops, math_ops
from torchmeta.api.cond import cond
from torchmeta.api.while_loop import while_loop
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import name_scope

__all__ = ["expm"]


def _ident(matrix):
    return linalg_ops.eye(array_ops.shape(matrix)[-2], batch_shape=array_ops.shape(matrix)[:-2], dtype=matrix.dtype)


def _pade3(matrix):
    b = [constant(x, matrix.dtype) for x in [120.0, 60.0, 12.0]]
    ident = _ident(matrix)
    matrix_2 = math_ops.matmul(matrix, matrix)
    tmp = matrix_2 + b[1] * ident
    return math_ops.matmul(matrix, tmp), b[2] * matrix_2 + b[0] * ident


def _pade5(matrix):
    b = [constant(x, matrix.dtype) for x in [30240.0, 15120.0, 3360.0, 420.0, 30.0]]
    ident = _ident(matrix)
    matrix_2 = math_ops.matmul(matrix, matrix)
    matrix_4 = math_ops.matmul(matrix_2, matrix_2)
    tmp = matrix_4 + b[3] * matrix_2 + b[1] * ident
    return math_ops.matmul(matrix, tmp), b[4] * matrix_4 + b[2] * matrix_2 + b[0] * ident


def _pade7(matrix):
    b = [constant(x, matrix.dtype) for x in [17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0]]
    ident = _ident(matrix)
    matrix_2 = math_ops.matmul(matrix, matrix)
    matrix_4 = math_ops.matmul(matrix_2, matrix_2)
    matrix_6 = math_ops.matmul(matrix_4, matrix_2)
    tmp = matrix_6 + b[5] * matrix_4 + b[3] * matrix_2 + b[1] * ident
    matrix_u = math_ops.matmul(matrix, tmp)
    return matrix_u, b[6] * matrix_6 + b[4] * matrix_4 + b[2] * matrix_2 + b[0] * ident


def _pade9(matrix):
    b = [
        17643225600.0, 8821612800.0, 2075673600.0, 302702400.0, 30270240.0, 2162160.0, 110880.0, 3960.0, 90.0,
    ]  # fmt: skip
    b = [constant(x, matrix.dtype) for x in b]
    ident = _ident(matrix)
    matrix_2 = math_ops.matmul(matrix, matrix)
    matrix_4 = math_ops.matmul(matrix_2, matrix_2)
    matrix_6 = math_ops.matmul(matrix_4, matrix_2)
    matrix_8 = math_ops.matmul(matrix_6, matrix_2)
    tmp = matrix_8 + b[7] * matrix_6 + b[5] * matrix_4 + b[3] * matrix_2 + b[1] * ident
    matrix_u = math_ops.matmul(matrix, tmp)
    matrix_v = b[8] * matrix_8 + b[6] * matrix_6 + b[4] * matrix_4 + b[2] * matrix_2 + b[0] * ident
    return matrix_u, matrix_v


def _pade13(matrix):
    b = [
        64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
        10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0,
    ]  # fmt: skip
    b = [constant(x, matrix.dtype) for x in b]
    ident = _ident(matrix)
    matrix_2 = math_ops.matmul(matrix, matrix)
    matrix_4 = math_ops.matmul(matrix_2, matrix_2)
    matrix_6 = math_ops.matmul(matrix_4, matrix_2)
    tmp_u = (
        math_ops.matmul(matrix_6, matrix_6 + b[11] * matrix_4 + b[9] * matrix_2)
        + b[7] * matrix_6
        + b[5] * matrix_4
        + b[3] * matrix_2
        + b[1] * ident
    )
    matrix_u = math_ops.matmul(matrix, tmp_u)
    tmp_v = b[12] * matrix_6 + b[10] * matrix_4 + b[8] * matrix_2
    matrix_v = math_ops.matmul(matrix_6, tmp_v) + b[6] * matrix_6 + b[4] * matrix_4 + b[2] * matrix_2 + b[0] * ident
    return matrix_u, matrix_v


def expm(input, name=None):
    """``tf.linalg.expm``: the matrix exponential of each matrix in the last two dims.

    Raises:
      ValueError: for dtypes other than float16/32/64 and complex64/128 (TF's message).
    """
    with name_scope(name, "matrix_exponential", [input]):
        matrix = graph_lib.convert_to_tensor(input, name="input")
        if matrix.shape[-2:] == [0, 0]:
            return matrix
        batch_shape = matrix.shape[:-2]
        if not batch_shape.is_fully_defined():
            batch_shape = array_ops.shape(matrix)[:-2]
        matrix = array_ops.reshape(matrix, array_ops.concat(([-1], array_ops.shape(matrix)[-2:]), axis=0))
        l1_norm = math_ops.reduce_max(
            math_ops.reduce_sum(math_ops.abs(matrix), axis=array_ops.size(array_ops.shape(matrix)) - 2), axis=-1
        )[..., array_ops.newaxis, array_ops.newaxis]

        def const(x):
            return constant(x, l1_norm.dtype)

        def _nest_where(vals, cases):
            if len(vals) == 1:
                return array_ops.where_v2(math_ops.less(l1_norm, const(vals[0])), cases[0], cases[1])
            return array_ops.where_v2(
                math_ops.less(l1_norm, const(vals[0])), cases[0], _nest_where(vals[1:], cases[1:])
            )

        def _squarings(maxnorm):
            return math_ops.maximum(math_ops.floor(math_ops.log(l1_norm / maxnorm) / math_ops.log(const(2.0))), 0)

        def _scaled(squarings):
            return matrix / math_ops.cast(math_ops.pow(const(2.0), squarings), matrix.dtype)

        if matrix.dtype in (DType.float16, DType.float32, DType.complex64):
            squarings = _squarings(const(3.925724783138660))
            u3, v3 = _pade3(matrix)
            u5, v5 = _pade5(matrix)
            u7, v7 = _pade7(_scaled(squarings))
            conds = (4.258730016922831e-001, 1.880152677804762e000)
            u = _nest_where(conds, (u3, u5, u7))
            v = _nest_where(conds, (v3, v5, v7))
        elif matrix.dtype in (DType.float64, DType.complex128):
            squarings = _squarings(const(5.371920351148152))
            u3, v3 = _pade3(matrix)
            u5, v5 = _pade5(matrix)
            u7, v7 = _pade7(matrix)
            u9, v9 = _pade9(matrix)
            u13, v13 = _pade13(_scaled(squarings))
            conds = (1.495585217958292e-002, 2.539398330063230e-001, 9.504178996162932e-001, 2.097847961257068e000)
            u = _nest_where(conds, (u3, u5, u7, u9, u13))
            v = _nest_where(conds, (v3, v5, v7, v9, v13))
        else:
            raise ValueError(f"tf.linalg.expm does not support matrices of type {matrix.dtype}")
        is_finite = math_ops.is_finite(math_ops.reduce_max(l1_norm))
        nan = constant(np.nan, matrix.dtype)
        result = cond(
            is_finite,
            lambda: linalg_ops.matrix_solve(-u + v, u + v),
            lambda: array_ops.fill(array_ops.shape(matrix), nan),
        )
        max_squarings = math_ops.reduce_max(squarings)
        i = const(0.0)

        def c(i, _):
            return cond(is_finite, lambda: math_ops.less(i, max_squarings), lambda: constant(False))

        def b(i, r):
            return i + 1, array_ops.where_v2(math_ops.less(i, squarings), math_ops.matmul(r, r), r)

        _, result = while_loop(c, b, [i, result])
        if not matrix.shape.is_fully_defined():
            return array_ops.reshape(result, array_ops.concat((batch_shape, array_ops.shape(result)[-2:]), axis=0))
        return array_ops.reshape(result, batch_shape.concatenate(result.shape[-2:]))
