"""Linear-algebra ops: Qr, MatrixTriangularSolve, MatrixBandPart and the diagonal ops (Diag, DiagPart,
MatrixDiag/MatrixDiagPart/MatrixSetDiag in their V1-V3 forms), each with TF's gradient (linalg_grad.py, array_grad.py).

Diagonals ``k`` of the V3 ops are a scalar or a band ``[k_lo, k_hi]``; a band is stored from ``k_hi``
down to ``k_lo``, one row per diagonal, each row ``max_diag_len`` long. Rows of shorter diagonals are
padded: ``align`` = "<superdiagonals>_<subdiagonals>", LEFT keeps values first, RIGHT pads first.
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta.api import array_ops as array_api
from torchmeta.api import linalg_ops as linalg_api
from torchmeta.framework import common_shapes, tensor_util
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.common_shapes import input_with_rank_at_least, shape_error
from torchmeta.framework.constant_op import constant
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.ops.common import invalid

_ALIGN = "align: {'LEFT_RIGHT', 'RIGHT_LEFT', 'LEFT_LEFT', 'RIGHT_RIGHT'} = \"RIGHT_LEFT\""
_DIAG_TYPES = "T: {bfloat16, half, float, double, int32, int64, complex64, complex128}"


# ---------------------------------------------------------------------------------------------
# Graph-building helpers for the gradients (TF's math_ops.matmul and linalg.adjoint, from raw ops)


def _adjoint(x):
    """The conjugate transpose of the inner matrices (TF's tf.linalg.adjoint)."""
    with graph_lib.name_scope("adjoint"):
        rank = x.shape.rank
        perm = [*range(rank - 2), rank - 1, rank - 2]
        with graph_lib.name_scope("matrix_transpose"):
            if x.dtype.is_complex:
                x = raw_op("Conj", input=x)
            return raw_op("Transpose", x=x, perm=np.asarray(perm, np.int32), name="transpose")


def _matmul(a, b, adjoint_a=False, adjoint_b=False):
    """TF's math_ops.matmul for the gradients: a MatMul for real matrices, else a BatchMatMulV2."""
    if a.shape.rank == 2 and b.shape.rank == 2 and not a.dtype.is_complex:
        return raw_op("MatMul", a=a, b=b, transpose_a=adjoint_a, transpose_b=adjoint_b)
    return raw_op("BatchMatMulV2", x=a, y=b, adj_x=adjoint_a, adj_y=adjoint_b)


def _zeros(shape, dtype):
    """TF's array_ops.zeros of a static shape: a Const below 1000 elements, else a Fill."""
    with graph_lib.name_scope("zeros") as scope:
        if int(np.prod(shape)) < 1000:
            return constant(np.zeros(shape, dtype.numpy), dtype=dtype, name=scope)
        dims = constant(np.asarray(shape, np.int32), name="shape_as_tensor")
        return raw_op("Fill", dims=dims, value=constant(np.zeros((), dtype.numpy), dtype=dtype), name=scope)


def _band_part(x, lower, upper):
    return raw_op("MatrixBandPart", input=x, num_lower=np.int64(lower), num_upper=np.int64(upper))


# ---------------------------------------------------------------------------------------------
# Qr


def _qr_shape(op):
    dims = input_with_rank_at_least(op, 0, 2)
    if dims is None:
        return [unknown_shape(), unknown_shape()]
    *batch, m, n = dims
    if op.get_attr("full_matrices"):
        return [TensorShape([*batch, m, m]), TensorShape([*batch, m, n])]
    p = None if m is None or n is None else min(m, n)
    return [TensorShape([*batch, m, p]), TensorShape([*batch, p, n])]


@register_op(
    "Qr",
    inputs=["input: T"],
    outputs=["q: T", "r: T"],
    attrs=["full_matrices: bool = false", "T: {double, float, half, complex64, complex128}"],
    shape=_qr_shape,
)
def qr(input, full_matrices):
    """Householder QR (LAPACK's geqrf via torch; TF's CPU kernel uses Eigen's Householder QR)."""
    work = input.float() if input.dtype == torch.float16 else input
    q, r = torch.linalg.qr(work, mode="complete" if full_matrices else "reduced")
    return q.to(input.dtype), r.to(input.dtype)


@register_gradient("Qr")
def _qr_grad(op, dq, dr):
    """TF's _QrGrad (linalg_grad.py): for M >= N, and for M < N through the leading square block."""
    q, r = op.outputs
    if r.shape.rank is None or r.shape.as_list()[-2] is None or r.shape.as_list()[-1] is None:
        raise NotImplementedError(f"QrGrad not implemented with dynamic shapes. Received r.shape: {r.shape}")
    rows, cols = r.shape.as_list()[-2:]
    if rows > cols and q.shape.as_list()[-2] == q.shape.as_list()[-1]:
        raise NotImplementedError(
            f"QrGrad not implemented when nrows > ncols and full_matrices is true. Received r.shape={r.shape} with "
            f"nrows={rows}and ncols={cols}."
        )

    def triangular_solve(x, r):
        # matmul(x, adjoint(matrix_inverse(r))) for upper-triangular r.
        return _adjoint(raw_op("MatrixTriangularSolve", matrix=r, rhs=_adjoint(x), lower=False, adjoint=False))

    def square_and_deep(q, r, dq, dr):
        qdq = _matmul(q, dq, adjoint_a=True)
        qdq_ = qdq - _adjoint(qdq)
        rdr = _matmul(r, dr, adjoint_b=True)
        rdr_ = rdr - _adjoint(rdr)
        tril = _band_part(qdq_ + rdr_, -1, 0)
        grad_a = _matmul(q, dr + triangular_solve(tril, r))
        grad_b = triangular_solve(dq - _matmul(q, qdq), r)
        ret = grad_a + grad_b
        if q.dtype.is_complex:
            m = rdr - _adjoint(qdq)
            diag = raw_op("MatrixDiagPartV3", input=m, k=0, padding_value=0, name="diag_part")
            eyem = raw_op("MatrixSetDiagV3", input=raw_op("ZerosLike", x=m), diagonal=diag, k=0, name="set_diag")
            real = raw_op("Cast", x=raw_op("Real", input=eyem, Tout=q.dtype.real_dtype), DstT=q.dtype)
            ret = ret + triangular_solve(_matmul(q, _adjoint(eyem - real)), r)
        return ret

    num_rows = q.shape.as_list()[-2]
    if num_rows >= cols:
        return [square_and_deep(q, r, dq, dr)]
    a = op.inputs[0]
    y = a[..., :, num_rows:]
    u = r[..., :, :num_rows]
    dv = dr[..., :, num_rows:]
    du = dr[..., :, :num_rows]
    dy = _matmul(q, dv)
    dx = square_and_deep(q, u, dq + _matmul(y, dv, adjoint_b=True), du)
    return [raw_op("ConcatV2", values=[dx, dy], axis=-1, name="concat")]


# ---------------------------------------------------------------------------------------------
# MatrixTriangularSolve


def _triangular_solve_shape(op):
    a = input_with_rank_at_least(op, 0, 2)
    b = input_with_rank_at_least(op, 1, 2)
    if a is None or b is None:
        return [unknown_shape()]
    if a[-1] is not None and a[-2] is not None and a[-1] != a[-2]:
        raise shape_error(op, f"Dimensions must be equal, but are {a[-2]} and {a[-1]}")
    if a[-1] is not None and b[-2] is not None and a[-1] != b[-2]:
        raise shape_error(op, f"Dimensions must be equal, but are {a[-1]} and {b[-2]}")
    batch = common_shapes.broadcast_shapes(TensorShape(a[:-2]), TensorShape(b[:-2]), op)
    return [batch.concatenate(TensorShape(b[-2:]))]


@register_op(
    "MatrixTriangularSolve",
    inputs=["matrix: T", "rhs: T"],
    outputs=["output: T"],
    attrs=["lower: bool = true", "adjoint: bool = false", "T: {bfloat16, double, float, half, complex64, complex128}"],
    shape=_triangular_solve_shape,
)
def matrix_triangular_solve(matrix, rhs, lower, adjoint):
    """Solves ``matrix @ x = rhs`` (``adjoint(matrix) @ x`` with ``adjoint``), batch dims broadcast.

    Only the lower (``lower``) or upper triangle of ``matrix`` is read, as TF.
    """
    dtype = matrix.dtype
    work = torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype
    a, b = matrix.to(work), rhs.to(work)
    a = torch.tril(a) if lower else torch.triu(a)
    upper = not lower
    if adjoint:
        a = a.mH
        upper = lower
    batch = torch.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = a.expand(*batch, *a.shape[-2:])
    b = b.expand(*batch, *b.shape[-2:])
    return torch.linalg.solve_triangular(a, b, upper=upper).to(dtype)


@register_gradient("MatrixTriangularSolve")
def _matrix_triangular_solve_grad(op, grad):
    """TF's _MatrixTriangularSolveGrad: solves with the adjoint, masks to the triangle, un-broadcasts."""
    a, b = op.inputs
    adjoint_a = op.get_attr("adjoint")
    lower_a = op.get_attr("lower")
    c = op.outputs[0]
    grad_b = raw_op("MatrixTriangularSolve", matrix=a, rhs=grad, lower=lower_a, adjoint=not adjoint_a)
    if adjoint_a:
        grad_a = -_matmul(c, grad_b, adjoint_b=True)
    else:
        grad_a = -_matmul(grad_b, c, adjoint_b=True)
    grad_a = _band_part(grad_a, -1, 0) if lower_a else _band_part(grad_a, 0, -1)
    if a.shape.is_fully_defined() and b.shape.is_fully_defined() and a.shape[:-2] == b.shape[:-2]:
        return [grad_a, grad_b]
    a_shape = raw_op("Shape", input=a)
    b_shape = raw_op("Shape", input=b)
    ra, rb = raw_op("BroadcastGradientArgs", s0=a_shape[:-2], s1=b_shape[:-2])
    grad_a = raw_op("Reshape", tensor=raw_op("Sum", input=grad_a, reduction_indices=ra), shape=a_shape)
    grad_b = raw_op("Reshape", tensor=raw_op("Sum", input=grad_b, reduction_indices=rb), shape=b_shape)
    return [grad_a, grad_b]


# ---------------------------------------------------------------------------------------------
# MatrixBandPart


@register_op(
    "MatrixBandPart",
    inputs=["input: T", "num_lower: Tindex", "num_upper: Tindex"],
    outputs=["band: T"],
    attrs=["T: type", "Tindex: {int32, int64} = DT_INT64"],
    shape=common_shapes.unchanged,
)
def matrix_band_part(input, num_lower, num_upper):
    """Keeps ``num_lower`` subdiagonals and ``num_upper`` superdiagonals (negative: all)."""
    m, n = input.shape[-2], input.shape[-1]
    lower, upper = int(num_lower), int(num_upper)
    if lower > m:
        raise invalid(f"num_lower must be negative or less or equal to number of rows ({m}) got: {lower}")
    if upper > n:
        raise invalid(f"num_upper must be negative or less or equal to number of columns ({n}) got: {upper}")
    rows = torch.arange(m, device=input.device).unsqueeze(1)
    cols = torch.arange(n, device=input.device).unsqueeze(0)
    keep = torch.ones(m, n, dtype=torch.bool, device=input.device)
    if lower >= 0:
        keep &= rows - cols <= lower
    if upper >= 0:
        keep &= cols - rows <= upper
    return torch.where(keep, input, torch.zeros((), dtype=input.dtype, device=input.device))


@register_gradient("MatrixBandPart")
def _matrix_band_part_grad(op, grad):
    return [raw_op("MatrixBandPart", input=grad, num_lower=op.inputs[1], num_upper=op.inputs[2]), None, None]


# ---------------------------------------------------------------------------------------------
# Diag, DiagPart


def _diag_shape(op):
    dims = op.inputs[0].shape.as_tuple()
    if dims is None:
        return [unknown_shape()]
    return [TensorShape(dims + dims)]


def _diag_part_shape(op):
    dims = op.inputs[0].shape.as_tuple()
    if dims is None:
        return [unknown_shape()]
    if len(dims) % 2:
        raise shape_error(op, f"Input must have even rank <= 6, input rank is {len(dims)}")
    half = len(dims) // 2
    out = []
    for a, b in zip(dims[:half], dims[half:]):
        if a is not None and b is not None and a != b:
            raise shape_error(op, f"Dimensions must be equal, but are {a} and {b}")
        out.append(a if a is not None else b)
    return [TensorShape(out)]


@register_op("Diag", inputs=["diagonal: T"], outputs=["output: T"], attrs=[_DIAG_TYPES], shape=_diag_shape)
def diag(diagonal):
    """``output[i1..ik, i1..ik] = diagonal[i1..ik]``, zeros elsewhere (rank doubles)."""
    n = diagonal.numel()
    flat = torch.zeros(n, n, dtype=diagonal.dtype, device=diagonal.device)
    flat.diagonal().copy_(diagonal.reshape(-1))
    return flat.reshape(*diagonal.shape, *diagonal.shape)


@register_op("DiagPart", inputs=["input: T"], outputs=["diagonal: T"], attrs=[_DIAG_TYPES], shape=_diag_part_shape)
def diag_part(input):
    """The inverse of Diag: ``diagonal[i1..ik] = input[i1..ik, i1..ik]``."""
    if input.dim() % 2:
        raise invalid(f"The rank of the tensor should be even and positive, got shape {list(input.shape)}")
    half = input.dim() // 2
    if input.shape[:half] != input.shape[half:]:
        raise invalid(f"Invalid shape {list(input.shape)}: dimensions {half} and after must equal the first {half}")
    out_shape = input.shape[:half]
    n = int(np.prod(out_shape)) if half else 1
    return input.reshape(n, n).diagonal().reshape(out_shape).clone()


@register_gradient("Diag")
def _diag_grad(op, grad):
    return [raw_op("DiagPart", input=grad)]


@register_gradient("DiagPart")
def _diag_part_grad(op, grad):
    return [raw_op("Diag", diagonal=grad)]


# ---------------------------------------------------------------------------------------------
# MatrixDiagV3, MatrixDiagPartV3, MatrixSetDiagV3


def _k_range(k, node=""):
    """(k_lo, k_hi) of a scalar or 1-2 element ``k``."""
    values = [int(v) for v in np.asarray(k).reshape(-1)]
    if not 1 <= len(values) <= 2:
        raise invalid(f"diag_index must have only one or two elements, received {len(values)} elements.")
    lo, hi = values[0], values[-1]
    if lo > hi:
        raise invalid(f"lower_diag_index must not be larger than upper_diag_index: {lo} > {hi}")
    return lo, hi


def _diag_len(m, n, d):
    return min(m + min(0, d), n - max(0, d))


def _left_aligned(align: str, d: int) -> bool:
    sup, sub = align.split("_")
    return (d >= 0 and sup == "LEFT") or (d <= 0 and sub == "LEFT")


def _diag_layout(m, n, lo, hi, align):
    """(diagonal index, row in the packed layout, content offset, length) for each diagonal of the band."""
    max_len = _diag_len(m, n, hi) if hi <= 0 else _diag_len(m, n, max(lo, 0))
    max_len = max(_diag_len(m, n, d) for d in range(lo, hi + 1)) if lo <= hi else max_len
    out = []
    for row, d in enumerate(range(hi, lo - 1, -1)):
        length = _diag_len(m, n, d)
        offset = 0 if _left_aligned(align, d) else max_len - length
        out.append((d, row, offset, length))
    return max_len, out


def _as_k(k):
    return k.detach().cpu().numpy() if isinstance(k, torch.Tensor) else np.asarray(k)


def _check_band(m, n, lo, hi):
    if (lo != 0 and -lo >= m) or (hi != 0 and hi >= n):
        raise invalid(
            f"lower_diag_index is out of bound: {lo}. It must be between {-m} and {n}"
            if -lo >= m
            else f"upper_diag_index is out of bound: {hi} It must be between {-m} and {n}"
        )


@register_op(
    "MatrixDiagPartV3",
    inputs=["input: T", "k: int32", "padding_value: T"],
    outputs=["diagonal: T"],
    attrs=["T: type", _ALIGN],
    shape=lambda op: _matrix_diag_part_shape(op),
)
def matrix_diag_part_v3(input, k, padding_value, align):
    lo, hi = _k_range(_as_k(k))
    m, n = input.shape[-2], input.shape[-1]
    _check_band(m, n, lo, hi)
    max_len, layout = _diag_layout(m, n, lo, hi, align.decode() if isinstance(align, bytes) else align)
    batch = input.shape[:-2]
    out = torch.full((*batch, len(layout), max_len), 0, dtype=input.dtype, device=input.device)
    out[...] = padding_value.to(input.dtype)
    for d, row, offset, length in layout:
        if length > 0:
            out[..., row, offset : offset + length] = torch.diagonal(input, offset=d, dim1=-2, dim2=-1)
    return out[..., 0, :] if lo == hi else out


def _static_k(op, i):
    value = tensor_util.constant_value(op.inputs[i])
    return None if value is None else _k_range(value)


def _matrix_diag_part_shape(op):
    dims = input_with_rank_at_least(op, 0, 2)
    k = _static_k(op, 1)
    if dims is None or k is None:
        if dims is not None and k is not None and k[0] == k[1]:
            return [unknown_shape(len(dims) - 1)]
        return [unknown_shape()]
    *batch, m, n = dims
    lo, hi = k
    if m is None or n is None:
        return [TensorShape([*batch, None] if lo == hi else [*batch, hi - lo + 1, None])]
    max_len, _ = _diag_layout(m, n, lo, hi, "RIGHT_LEFT")
    return [TensorShape([*batch, max_len] if lo == hi else [*batch, hi - lo + 1, max_len])]


def _diag_output_size(diag_shape, lo, hi, num_rows, num_cols):
    max_len = diag_shape[-1]
    min_rows = max_len - min(hi, 0)
    min_cols = max_len + max(lo, 0)
    if num_rows == -1 and num_cols == -1:
        num_rows = num_cols = max(min_rows, min_cols)
    elif num_rows == -1:
        num_rows = min_rows
    elif num_cols == -1:
        num_cols = min_cols
    if num_rows != min_rows and num_cols != min_cols:
        raise invalid(
            f"The number of rows or columns is not consistent with the specified d_lower, d_upper, and diagonal."
            f" num_rows={num_rows}, num_cols={num_cols}, min_num_rows={min_rows}, min_num_cols={min_cols}"
        )
    return num_rows, num_cols


@register_op(
    "MatrixDiagV3",
    inputs=["diagonal: T", "k: int32", "num_rows: int32", "num_cols: int32", "padding_value: T"],
    outputs=["output: T"],
    attrs=["T: type", _ALIGN],
    shape=lambda op: _matrix_diag_shape(op),
)
def matrix_diag_v3(diagonal, k, num_rows, num_cols, padding_value, align):
    lo, hi = _k_range(_as_k(k))
    diag = diagonal.unsqueeze(-2) if lo == hi else diagonal
    if lo != hi and diag.shape[-2] != hi - lo + 1:
        raise invalid(
            f"The number of diagonals provided in the input does not match the lower_diag_index and "
            f"upper_diag_index range. Expected {hi - lo + 1} but got {diag.shape[-2]}"
        )
    m, n = _diag_output_size(list(diag.shape), lo, hi, int(num_rows), int(num_cols))
    max_len = diag.shape[-1]
    out = torch.empty((*diag.shape[:-2], m, n), dtype=diag.dtype, device=diag.device)
    out[...] = padding_value.to(diag.dtype)
    align = align.decode() if isinstance(align, bytes) else align
    for row, d in enumerate(range(hi, lo - 1, -1)):
        length = _diag_len(m, n, d)
        offset = 0 if _left_aligned(align, d) else max_len - length
        if length > 0:
            torch.diagonal(out, offset=d, dim1=-2, dim2=-1).copy_(diag[..., row, offset : offset + length])
    return out


def _matrix_diag_shape(op):
    k = _static_k(op, 1)
    dims = op.inputs[0].shape.as_tuple()
    rows = tensor_util.constant_value(op.inputs[2])
    cols = tensor_util.constant_value(op.inputs[3])
    if k is None:
        return [unknown_shape()]
    lo, hi = k
    if dims is None:
        return [unknown_shape()]
    batch = dims[:-1] if lo == hi else dims[:-2]
    if dims[-1] is None or rows is None or cols is None:
        return [TensorShape([*batch, None, None])]
    diag_shape = [*dims[:-1], dims[-1]]
    m, n = _diag_output_size(diag_shape, lo, hi, int(rows), int(cols))
    return [TensorShape([*batch, m, n])]


@register_op(
    "MatrixSetDiagV3",
    inputs=["input: T", "diagonal: T", "k: int32"],
    outputs=["output: T"],
    attrs=["T: type", _ALIGN],
    shape=common_shapes.unchanged,
)
def matrix_set_diag_v3(input, diagonal, k, align):
    lo, hi = _k_range(_as_k(k))
    m, n = input.shape[-2], input.shape[-1]
    _check_band(m, n, lo, hi)
    diag = diagonal.unsqueeze(-2) if lo == hi else diagonal
    max_len, layout = _diag_layout(m, n, lo, hi, align.decode() if isinstance(align, bytes) else align)
    if diag.shape[-1] != max_len:
        raise invalid(f"diagonal must be at least 1-dim, and the last dim must be {max_len}, got {diag.shape[-1]}")
    out = input.clone()
    for d, row, offset, length in layout:
        if length > 0:
            torch.diagonal(out, offset=d, dim1=-2, dim2=-1).copy_(diag[..., row, offset : offset + length])
    return out


@register_gradient("MatrixDiagV3")
def _matrix_diag_v3_grad(op, grad):
    part = raw_op(
        "MatrixDiagPartV3", input=grad, k=op.inputs[1], padding_value=0, align=op.get_attr("align"), name="diag_part"
    )
    return [part, None, None, None, None]


@register_gradient("MatrixDiagPartV3")
def _matrix_diag_part_v3_grad(op, grad):
    matrix_shape = op.inputs[0].shape[-2:]
    align = op.get_attr("align")
    if matrix_shape.is_fully_defined():
        rows, cols = matrix_shape.as_list()
        out = raw_op(
            "MatrixDiagV3",
            diagonal=grad,
            k=op.inputs[1],
            num_rows=rows,
            num_cols=cols,
            padding_value=0,
            align=align,
            name="diag",
        )
    else:
        zeros = raw_op("ZerosLike", x=op.inputs[0])
        out = raw_op("MatrixSetDiagV3", input=zeros, diagonal=grad, k=op.inputs[1], align=align, name="set_diag")
    return [out, None, None]


@register_gradient("MatrixSetDiagV3")
def _matrix_set_diag_v3_grad(op, grad):
    return _set_diag_k_grad(op, grad, op.get_attr("align"))


def _set_diag_k_grad(op, grad, align):
    """TF's _MatrixSetDiagGradV3 (and V2, which builds the V3 ops with their default align) with a static
    diagonal shape.

    With a dynamic one TF sizes the zeros with tf.cond; here the same sizes come from Minimum/Maximum
    and a slice (another graph, the same numbers).
    """
    diag_shape = op.inputs[1].shape
    if diag_shape.is_fully_defined():
        zeros = _zeros(diag_shape.as_list(), grad.dtype)
    else:
        grad_shape = raw_op("Shape", input=grad)
        batch_shape = grad_shape[:-2]
        matrix_shape = grad_shape[-2:]
        diag_index = raw_op("Reshape", tensor=op.inputs[2], shape=np.asarray([-1], np.int32))
        d_lower, d_upper = diag_index[0], diag_index[-1]
        y_offset = raw_op("Minimum", x=d_upper, y=0)
        x_offset = raw_op("Minimum", x=-d_lower, y=0)
        max_diag_len = raw_op("Minimum", x=matrix_shape[0] + y_offset, y=matrix_shape[1] + x_offset)
        both = raw_op("Pack", values=[d_upper - d_lower + 1, max_diag_len], axis=0)
        single = raw_op("Cast", x=raw_op("Equal", x=d_lower, y=d_upper), DstT=both.dtype)
        postfix = raw_op("Slice", input=both, begin=raw_op("Reshape", tensor=single, shape=[1]), size=[-1])
        shape = raw_op("ConcatV2", values=[batch_shape, postfix], axis=0)
        with graph_lib.name_scope("zeros") as scope:
            zeros = raw_op("Fill", dims=shape, value=np.zeros((), grad.dtype.numpy), name=scope)
    grad_input = raw_op("MatrixSetDiagV3", input=grad, diagonal=zeros, k=op.inputs[2], align=align, name="set_diag")
    grad_diag = raw_op("MatrixDiagPartV3", input=grad, k=op.inputs[2], padding_value=0, align=align, name="diag_part")
    return [grad_input, grad_diag, None]


# ---------------------------------------------------------------------------------------------
# The older diagonal ops: MatrixDiag/MatrixDiagPart/MatrixSetDiag (the main diagonal) and their V2 forms
# (diagonals k, packed LEFT_LEFT as V3's align calls it), on the V3 kernels.

_V2_ALIGN = "LEFT_LEFT"
_K0 = np.zeros((), np.int32)


def _matrix_diag_v1_shape(op):
    dims = input_with_rank_at_least(op, 0, 1)
    if dims is None:
        return [unknown_shape()]
    return [TensorShape([*dims, dims[-1]])]


def _matrix_diag_part_v1_shape(op):
    dims = input_with_rank_at_least(op, 0, 2)
    if dims is None:
        return [unknown_shape()]
    *batch, m, n = dims
    return [TensorShape([*batch, None if m is None or n is None else min(m, n)])]


def _matrix_set_diag_v1_shape(op):
    """TF's shape function: the diagonal's rank one less than the input's, its last dim the smaller matrix dim,
    and the output's batch dims filled in from the diagonal's."""
    x = common_shapes.with_rank_at_least(op, op.inputs[0].shape, 2)
    d = common_shapes.with_rank_at_least(op, op.inputs[1].shape, 1)
    if x.rank is not None:
        d = common_shapes.with_rank(op, d, x.rank - 1)
        m, n = x.as_tuple()[-2:]
        if m is not None and n is not None and d.rank is not None:
            common_shapes.merge_dim(op, d.as_tuple()[-1], min(m, n))
    if d.rank is not None and not x.is_fully_defined():
        return [common_shapes.merge_shapes(op, x, TensorShape([*d.as_tuple()[:-1], None, None]))]
    return [x]


@register_op(
    "MatrixDiag", inputs=["diagonal: T"], outputs=["output: T"], attrs=["T: type"], shape=_matrix_diag_v1_shape
)
def matrix_diag(diagonal):
    if diagonal.dim() < 1:
        raise invalid(f"input must be at least 1-dim, received shape: {list(diagonal.shape)}")
    return matrix_diag_v3(diagonal, _K0, -1, -1, torch.zeros((), dtype=diagonal.dtype), "RIGHT_LEFT")


@register_op(
    "MatrixDiagPart", inputs=["input: T"], outputs=["diagonal: T"], attrs=["T: type"], shape=_matrix_diag_part_v1_shape
)
def matrix_diag_part(input):
    if input.dim() < 2:
        raise invalid(f"input must be at least 2-dim, received shape: {list(input.shape)}")
    return matrix_diag_part_v3(input, _K0, torch.zeros((), dtype=input.dtype), "RIGHT_LEFT")


@register_op(
    "MatrixSetDiag",
    inputs=["input: T", "diagonal: T"],
    outputs=["output: T"],
    attrs=["T: type"],
    shape=_matrix_set_diag_v1_shape,
)
def matrix_set_diag(input, diagonal):
    return matrix_set_diag_v3(input, diagonal, _K0, "RIGHT_LEFT")


@register_op(
    "MatrixDiagV2",
    inputs=["diagonal: T", "k: int32", "num_rows: int32", "num_cols: int32", "padding_value: T"],
    outputs=["output: T"],
    attrs=["T: type"],
    shape=lambda op: _matrix_diag_shape(op),
)
def matrix_diag_v2(diagonal, k, num_rows, num_cols, padding_value):
    return matrix_diag_v3(diagonal, k, num_rows, num_cols, padding_value, _V2_ALIGN)


@register_op(
    "MatrixDiagPartV2",
    inputs=["input: T", "k: int32", "padding_value: T"],
    outputs=["diagonal: T"],
    attrs=["T: type"],
    shape=lambda op: _matrix_diag_part_shape(op),
)
def matrix_diag_part_v2(input, k, padding_value):
    return matrix_diag_part_v3(input, k, padding_value, _V2_ALIGN)


@register_op(
    "MatrixSetDiagV2",
    inputs=["input: T", "diagonal: T", "k: int32"],
    outputs=["output: T"],
    attrs=["T: type"],
    shape=common_shapes.unchanged,
)
def matrix_set_diag_v2(input, diagonal, k):
    return matrix_set_diag_v3(input, diagonal, k, _V2_ALIGN)


@register_gradient("MatrixDiag")
def _matrix_diag_grad(op, grad):
    return linalg_api.matrix_diag_part(grad)


@register_gradient("MatrixDiagV2")
def _matrix_diag_v2_grad(op, grad):
    return linalg_api.matrix_diag_part(grad, k=op.inputs[1]), None, None, None, None


@register_gradient("MatrixDiagPart")
def _matrix_diag_part_grad(op, grad):
    matrix_shape = op.inputs[0].shape[-2:]
    if matrix_shape.is_fully_defined() and matrix_shape[0] == matrix_shape[1]:
        return linalg_api.matrix_diag(grad)
    return linalg_api.matrix_set_diag(array_api.zeros_like(op.inputs[0]), grad)


@register_gradient("MatrixDiagPartV2")
def _matrix_diag_part_v2_grad(op, grad):
    matrix_shape = op.inputs[0].shape[-2:]
    if matrix_shape.is_fully_defined():
        rows, cols = matrix_shape.as_list()
        return linalg_api.matrix_diag(grad, k=op.inputs[1], num_rows=rows, num_cols=cols), None, None
    return linalg_api.matrix_set_diag(array_api.zeros_like(op.inputs[0]), grad, k=op.inputs[1]), None, None


@register_gradient("MatrixSetDiag")
def _matrix_set_diag_grad(op, grad):
    """TF's _MatrixSetDiagGrad for static shapes (zeros of the diagonal's shape set into the gradient)."""
    input_shape = op.inputs[0].shape.merge_with(grad.shape)
    diag_shape = op.inputs[1].shape
    batch_shape = input_shape[:-2].merge_with(diag_shape[:-1])
    matrix_shape = input_shape[-2:]
    if batch_shape.is_fully_defined() and matrix_shape.is_fully_defined():
        zeros_shape = [*batch_shape.as_list(), min(matrix_shape.as_list())]
        zeros = _zeros(zeros_shape, grad.dtype)
    else:
        grad_shape = raw_op("Shape", input=grad)
        grad_rank = raw_op("Rank", input=grad)
        batch = raw_op("Slice", input=grad_shape, begin=[0], size=raw_op("Pack", values=[grad_rank - 2], axis=0))
        matrix = raw_op("Slice", input=grad_shape, begin=raw_op("Pack", values=[grad_rank - 2], axis=0), size=[2])
        min_dim = raw_op("Min", input=matrix, reduction_indices=np.zeros((1,), np.int32))
        zeros_shape = raw_op("ConcatV2", values=[batch, raw_op("Pack", values=[min_dim], axis=0)], axis=0)
        zeros = raw_op("Fill", dims=zeros_shape, value=np.zeros((), grad.dtype.numpy))
    grad_input = linalg_api.matrix_set_diag(grad, zeros)
    grad_diag = linalg_api.matrix_diag_part(grad)
    return grad_input, grad_diag


@register_gradient("MatrixSetDiagV2")
def _matrix_set_diag_v2_grad(op, grad):
    """TF's _MatrixSetDiagGradV2: the V3 ops with their default RIGHT_LEFT align (not V2's LEFT_LEFT)."""
    return _set_diag_k_grad(op, grad, "RIGHT_LEFT")
