"""Sparse ops: SparseReorder, SparseReshape, SparseConcat, SparseReduce{Sum,Max}[Sparse], the SparseSegment{Sum,Mean,SqrtN}
family, SparseFillEmptyRows, SparseSlice and SparseTensorDenseMatMul (with their gradient ops), as TensorFlow's kernels compute them.

A sparse tensor is three inputs: int64 ``indices`` [N, rank], ``values`` [N] and int64 ``shape``
[rank] (SparseToDense lives with the index ops). Gradients follow TF's ``sparse_grad.py`` and
``math_grad.py``; ``sparse_gradient=True`` segment ops differentiate to IndexedSlices.
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta import errors
from torchmeta.api import array_ops, linalg_ops, math_ops
from torchmeta.framework.common_shapes import (
    format_dims,
    input_with_rank,
    merge_dim,
    shape_error,
    shape_from_shape_tensor,
    with_rank,
)
from torchmeta.framework.indexed_slices import IndexedSlices
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_gradient, register_op
from torchmeta.framework.sparse_tensor import SparseTensor
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.framework.tensor_util import constant_value, evaluate_constant_tensor
from torchmeta.ops.common import invalid

_NUMBER_TYPES = (
    "{float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, "
    "uint16, complex128, half, uint32, uint64}"
)
_SEGMENT_SUM_TYPES = "{float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}"
_FLOAT_TYPES = "{bfloat16, half, float, double}"


def _shape_list(shape) -> list[int]:
    return [int(d) for d in shape.reshape(-1).tolist()]


def _lex_order(indices: torch.Tensor) -> torch.Tensor:
    """The permutation sorting the rows of ``indices`` lexicographically (stable)."""
    if indices.shape[0] == 0:
        return torch.zeros(0, dtype=torch.long, device=indices.device)
    keys = indices.cpu().numpy()
    return torch.from_numpy(np.lexsort(keys.T[::-1]).astype(np.int64)).to(indices.device)


def _check_sparse(indices, values, shape, op: str) -> None:
    if indices.dim() != 2:
        raise invalid(f"Input indices should be a matrix but received shape {list(indices.shape)}")
    if values.ndim != 1:
        raise invalid(f"Input values should be a vector but received shape {list(values.shape)}")
    if shape.dim() != 1:
        raise invalid(f"Input shape should be a vector but received shape {list(shape.shape)}")
    if indices.shape[0] != values.shape[0]:
        raise invalid(
            f"Number of elements in input_indices ({indices.shape[0]}) and input_values ({values.shape[0]}) do "
            "not match"
        )


# ---------------------------------------------------------------------------------------------
# SparseReorder


def _reorder_shape(op):
    input_with_rank(op, 0, 2)
    input_with_rank(op, 1, 1)
    input_with_rank(op, 2, 1)
    return [op.inputs[0].shape, op.inputs[1].shape]


@register_op(
    "SparseReorder",
    inputs=["input_indices: int64", "input_values: T", "input_shape: int64"],
    outputs=["output_indices: int64", "output_values: T"],
    attrs=["T: type"],
    shape=_reorder_shape,
)
def sparse_reorder(input_indices, input_values, input_shape):
    _check_sparse(input_indices, input_values, input_shape, "SparseReorder")
    order = _lex_order(input_indices)
    values = input_values[order.numpy()] if isinstance(input_values, np.ndarray) else input_values[order]
    return input_indices[order], values


@register_gradient("SparseReorder")
def _sparse_reorder_grad(op, unused_output_indices_grad, output_values_grad):
    input_indices = op.inputs[0]
    input_shape = op.inputs[2]
    num_entries = array_ops.shape(input_indices)[0]
    entry_indices = math_ops.range(num_entries)
    sp_unordered = SparseTensor(input_indices, entry_indices, input_shape)
    _, ordered_values = raw_op(
        "SparseReorder",
        input_indices=sp_unordered.indices,
        input_values=sp_unordered.values,
        input_shape=sp_unordered.dense_shape,
    )
    inverted_permutation = array_ops.invert_permutation(ordered_values)
    return [None, array_ops.gather(output_values_grad, inverted_permutation), None]


# ---------------------------------------------------------------------------------------------
# SparseReshape


def _reshape_shape(op):
    rows = input_with_rank(op, 0, 2)[0]
    input_with_rank(op, 1, 1)
    new_rank = input_with_rank(op, 2, 1)[0]
    return [TensorShape([rows, new_rank]), op.inputs[2].shape]


@register_op(
    "SparseReshape",
    inputs=["input_indices: int64", "input_shape: int64", "new_shape: int64"],
    outputs=["output_indices: int64", "output_shape: int64"],
    shape=_reshape_shape,
)
def sparse_reshape(input_indices, input_shape, new_shape):
    """TF's ReshapeSparseTensor (reshape_util.cc): the target shape (one -1 inferred), its checks and
    wording, and each entry's row-major position re-expressed in the new shape."""
    if input_indices.dim() != 2:
        raise invalid(f"Input indices should be a matrix but received shape {format_dims(input_indices.shape)}")
    if input_shape.dim() != 1:
        raise invalid(f"Input shape should be a vector but received shape {format_dims(input_shape.shape)}")
    if new_shape.dim() != 1:
        raise invalid(f"Target shape should be a vector but received shape {format_dims(new_shape.shape)}")
    in_dims = _shape_list(input_shape)
    dense_size = int(np.prod(in_dims, dtype=np.int64)) if in_dims else 1
    out_dims, product, unknown = [], 1, -1
    for d, size in enumerate(_shape_list(new_shape)):
        if size == -1:
            if unknown != -1:
                raise invalid(f"only one output dimension may be -1, not both {unknown} and {d}")
            unknown = d
            out_dims.append(1)
        else:
            if size < 0:
                raise invalid(f"size {d} must be non-negative, not {size}")
            product *= size
            out_dims.append(size)
    if unknown != -1:
        if product <= 0:
            raise invalid(
                "reshape cannot infer the missing input size for an empty tensor unless all specified input sizes "
                "are non-zero"
            )
        missing = dense_size // product
        if product * missing != dense_size:
            raise invalid(
                f"Input to reshape is a SparseTensor with {dense_size} dense values, but the requested shape "
                f"requires a multiple of {product}. input_shape={format_dims(in_dims)} "
                f"output_shape={format_dims(out_dims)}"
            )
        out_dims[unknown] = missing
    out_size = int(np.prod(out_dims, dtype=np.int64)) if out_dims else 1
    if out_size != dense_size:
        raise invalid(
            f"Input to reshape is a tensor with {dense_size} dense values, but the requested shape has {out_size}. "
            f"input_shape={format_dims(in_dims)} output_shape={format_dims(out_dims)}"
        )
    if out_dims == in_dims:
        return input_indices, input_shape
    nnz = input_indices.shape[0]
    out_shape = torch.tensor(out_dims, dtype=torch.int64, device=input_shape.device)
    if nnz == 0:
        return input_indices.new_zeros((0, len(out_dims))), out_shape
    if dense_size <= 0 or product <= 0:
        raise invalid(
            f"Input tensor has {nnz} non zero elements but input shape ({format_dims(in_dims)}) or output shape "
            f"({format_dims(out_dims)}) is empty"
        )
    in_strides = [int(np.prod(in_dims[d + 1 :], dtype=np.int64)) for d in range(len(in_dims))]
    out_strides = [int(np.prod(out_dims[d + 1 :], dtype=np.int64)) for d in range(len(out_dims))]
    position = (input_indices * torch.tensor(in_strides, dtype=torch.int64, device=input_indices.device)).sum(1)
    columns = []
    for stride in out_strides:
        columns.append(torch.div(position, stride, rounding_mode="trunc"))
        position = torch.fmod(position, stride)  # C++ division truncates
    return torch.stack(columns, 1), out_shape


no_registered_gradient("SparseReshape")


# ---------------------------------------------------------------------------------------------
# SparseConcat


def _concat_shape(op):
    n = op.get_attr("N")
    rank = None
    rows = 0
    for t in op.inputs[:n]:
        dims = t.shape.with_rank(2).as_tuple() if t.shape.rank is not None else (None, None)
        if dims[1] is not None:
            rank = dims[1]
        rows = None if rows is None or dims[0] is None else rows + dims[0]
    for t in op.inputs[n : 2 * n]:
        if t.shape.rank is not None and t.shape.rank != 1:
            raise shape_error(op, f"Shape must be rank 1 but is rank {t.shape.rank}")
    for t in op.inputs[2 * n :]:
        dims = t.shape.as_tuple()
        if dims is not None and dims[0] is not None:
            rank = dims[0]
    return [TensorShape([rows, rank]), TensorShape([rows]), TensorShape([rank])]


@register_op(
    "SparseConcat",
    inputs=["indices: N * int64", "values: N * T", "shapes: N * int64"],
    outputs=["output_indices: int64", "output_values: T", "output_shape: int64"],
    attrs=["concat_dim: int", "N: int >= 2", "T: type"],
    shape=_concat_shape,
)
def sparse_concat(indices, values, shapes, concat_dim):
    n = len(indices)
    dims = [_shape_list(s) for s in shapes]
    rank = len(dims[0])
    if not -rank <= concat_dim < rank:
        raise invalid(f"Concat dimension must be in range [{-rank}, {rank}), got {concat_dim}")
    axis = concat_dim % rank
    for i in range(1, n):
        if len(dims[i]) != rank:
            raise invalid(
                f"Ranks of all input tensors must match: expected {rank} but got {len(dims[i])} at position {i}"
            )
        for d in range(rank):
            if d != axis and dims[i][d] != dims[0][d]:
                raise invalid(
                    f"Input shapes must match: expected {dims[0][d]} for dimension {d} but got {dims[i][d]} at "
                    f"position {i}"
                )
    for i in range(n):
        _check_sparse(indices[i], values[i], shapes[i], "SparseConcat")
    out_indices, offset = [], 0
    for ind, d in zip(indices, dims):
        shifted = ind.clone()
        shifted[:, axis] += offset
        offset += d[axis]
        out_indices.append(shifted)
    out_shape = list(dims[0])
    out_shape[axis] = offset
    all_indices = torch.cat(out_indices) if out_indices else torch.zeros(0, rank, dtype=torch.int64)
    if isinstance(values[0], np.ndarray):
        all_values = np.concatenate(values)
    else:
        all_values = torch.cat(list(values))
    # TF's kernel reorders the inputs to the standard (row-major) order, so the result is in it too.
    order = _lex_order(all_indices)
    all_indices = all_indices[order]
    all_values = all_values[order.numpy()] if isinstance(all_values, np.ndarray) else all_values[order]
    return all_indices, all_values, torch.tensor(out_shape, dtype=torch.int64)


not_differentiable("SparseConcat")


# ---------------------------------------------------------------------------------------------
# SparseReduceSum


def _reduce_shape(op):
    input_with_rank(op, 0, 2)
    input_with_rank(op, 1, 1)
    input_with_rank(op, 2, 1)
    dense = constant_value(op.inputs[2])
    axes = constant_value(op.inputs[3])
    keep = op.get_attr("keep_dims")
    if dense is None or axes is None:
        return [unknown_shape()]
    dims = _shape_list(dense)
    rank = len(dims)
    reduced = {int(a) % rank for a in np.asarray(axes).reshape(-1)} if rank else set()
    if keep:
        return [TensorShape([1 if i in reduced else d for i, d in enumerate(dims)])]
    return [TensorShape([d for i, d in enumerate(dims) if i not in reduced])]


def _reduction_groups(input_indices, input_values, input_shape, reduction_axes, op_name):
    """TF's SparseReduce grouping: ``(dims, reduced axes, output dims, each entry's linear output position)``."""
    _check_sparse(input_indices, input_values, input_shape, op_name)
    dims = _shape_list(input_shape)
    rank = len(dims)
    axes = set()
    for a in _shape_list(reduction_axes.reshape(-1)):
        if not -rank <= a < rank:
            raise invalid(f"Invalid reduction dimension {a}, for input with {rank} dimensions.")
        axes.add(a % rank)
    kept = [i for i in range(rank) if i not in axes]
    out_dims = [dims[i] for i in kept]
    linear = torch.zeros(input_indices.shape[0], dtype=torch.int64)
    if input_indices.shape[0] and kept:
        strides = torch.tensor(
            [int(np.prod(out_dims[i + 1 :], dtype=np.int64)) for i in range(len(out_dims))], dtype=torch.int64
        )
        linear = (input_indices[:, kept] * strides).sum(dim=1)
    return dims, axes, out_dims, linear


def _reduced_dense(flat, dims, axes, out_dims, keep_dims):
    if keep_dims:
        return flat.reshape([1 if i in axes else d for i, d in enumerate(dims)])
    return flat.reshape(out_dims)


@register_op(
    "SparseReduceSum",
    inputs=["input_indices: int64", "input_values: T", "input_shape: int64", "reduction_axes: int32"],
    outputs=["output: T"],
    attrs=["keep_dims: bool = false", f"T: {_NUMBER_TYPES}"],
    shape=_reduce_shape,
)
def sparse_reduce_sum(input_indices, input_values, input_shape, reduction_axes, keep_dims):
    dims, axes, out_dims, linear = _reduction_groups(
        input_indices, input_values, input_shape, reduction_axes, "SparseReduceSum"
    )
    flat = torch.zeros(int(np.prod(out_dims, dtype=np.int64)), dtype=input_values.dtype)
    if input_indices.shape[0]:
        flat.index_add_(0, linear, input_values)
    return _reduced_dense(flat, dims, axes, out_dims, keep_dims)


@register_gradient("SparseReduceSum")
def _sparse_reduce_sum_grad(op, out_grad):
    sp_indices = op.inputs[0]
    sp_shape = op.inputs[2]
    output_shape_kept_dims = math_ops.reduced_shape(sp_shape, op.inputs[3])
    out_grad_reshaped = array_ops.reshape(out_grad, output_shape_kept_dims)
    scale = sp_shape // math_ops.cast(output_shape_kept_dims, sp_shape.dtype)
    return [None, array_ops.gather_nd(out_grad_reshaped, sp_indices // scale), None, None]


_REDUCE_MAX_TYPES = "{float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}"
_REDUCE_INPUTS = ["input_indices: int64", "input_values: T", "input_shape: int64", "reduction_axes: int32"]
_SPARSE_OUTPUTS = ["output_indices: int64", "output_values: T", "output_shape: int64"]
_SPARSE_SPARSE_INPUTS = [
    "a_indices: int64",
    "a_values: T",
    "a_shape: int64",
    "b_indices: int64",
    "b_values: T",
    "b_shape: int64",
]


@register_op(
    "SparseReduceMax",
    inputs=_REDUCE_INPUTS,
    outputs=["output: T"],
    attrs=["keep_dims: bool = false", f"T: {_REDUCE_MAX_TYPES}"],
    shape=_reduce_shape,
)
def sparse_reduce_max(input_indices, input_values, input_shape, reduction_axes, keep_dims):
    """The max over the entries only (implicit zeros do not count); an output with no entry is 0, as TF's."""
    dims, axes, out_dims, linear = _reduction_groups(
        input_indices, input_values, input_shape, reduction_axes, "SparseReduceMax"
    )
    flat = torch.zeros(int(np.prod(out_dims, dtype=np.int64)), dtype=input_values.dtype)
    if input_indices.shape[0]:
        flat.scatter_reduce_(0, linear, input_values, "amax", include_self=False)
    return _reduced_dense(flat, dims, axes, out_dims, keep_dims)


def _sparse_reduction(input_indices, input_values, input_shape, reduction_axes, keep_dims, op_name, how):
    dims, axes, out_dims, linear = _reduction_groups(input_indices, input_values, input_shape, reduction_axes, op_name)
    groups, inverse = torch.unique(linear, sorted=True, return_inverse=True)
    values = torch.zeros(groups.shape[0], dtype=input_values.dtype)
    if how == "sum":
        values.index_add_(0, inverse, input_values)
    else:
        values.scatter_reduce_(0, inverse, input_values, "amax", include_self=False)
    coords = []
    rest = groups.clone()
    for d in reversed(out_dims):
        coords.append(rest % d if d else rest)
        rest = rest // d if d else rest
    coords.reverse()
    if keep_dims:
        columns, k = [], 0
        for i in range(len(dims)):
            if i in axes:
                columns.append(torch.zeros_like(groups))
            else:
                columns.append(coords[k])
                k += 1
        shape = [1 if i in axes else d for i, d in enumerate(dims)]
    else:
        columns, shape = coords, out_dims
    indices = torch.stack(columns, 1) if columns else torch.zeros((groups.shape[0], 0), dtype=torch.int64)
    return indices, values, torch.tensor(shape, dtype=torch.int64)


@register_op(
    "SparseReduceMaxSparse",
    inputs=_REDUCE_INPUTS,
    outputs=_SPARSE_OUTPUTS,
    attrs=["keep_dims: bool = false", f"T: {_REDUCE_MAX_TYPES}"],
)
def sparse_reduce_max_sparse(input_indices, input_values, input_shape, reduction_axes, keep_dims):
    """SparseReduceMax's sparse form: an entry per output position that has entries (sorted)."""
    return _sparse_reduction(
        input_indices, input_values, input_shape, reduction_axes, keep_dims, "SparseReduceMaxSparse", "max"
    )


@register_op(
    "SparseReduceSumSparse",
    inputs=_REDUCE_INPUTS,
    outputs=_SPARSE_OUTPUTS,
    attrs=["keep_dims: bool = false", f"T: {_NUMBER_TYPES}"],
)
def sparse_reduce_sum_sparse(input_indices, input_values, input_shape, reduction_axes, keep_dims):
    """SparseReduceSum's sparse form: an entry per output position that has entries (sorted)."""
    return _sparse_reduction(
        input_indices, input_values, input_shape, reduction_axes, keep_dims, "SparseReduceSumSparse", "sum"
    )


no_registered_gradient("SparseReduceMax", "SparseReduceMaxSparse", "SparseReduceSumSparse")


# ---------------------------------------------------------------------------------------------
# SparseSegment{Sum,Mean,SqrtN}[WithNumSegments]


def _segment_shape(op):
    data = op.inputs[0].shape
    input_with_rank(op, 1, 1)
    input_with_rank(op, 2, 1)
    rows = None
    if len(op.inputs) == 4:
        value = constant_value(op.inputs[3])
        rows = None if value is None else int(value)
    if data.rank is None:
        return [unknown_shape()]
    if data.rank < 1:
        raise shape_error(op, f"Shape must be at least rank 1 but is rank {data.rank}")
    return [TensorShape([rows]).concatenate(data[1:])]


def _segment_reduce(data, indices, segment_ids, num_segments, norm, op_name):
    n_idx = indices.shape[0]
    if segment_ids.shape[0] != n_idx:
        raise invalid(
            f"segment_ids and indices should have same size. segment_ids.shape = {list(segment_ids.shape)} "
            f"indices.shape = {list(indices.shape)}"
        )
    rows = data.shape[0]
    idx = indices.long()
    seg = segment_ids.long()
    if n_idx:
        bad = (idx < 0) | (idx >= rows)
        if bool(bad.any()):
            j = int(bad.nonzero()[0])
            raise invalid(f"Index {int(idx[j])} out of range [0, {rows}).")
        if bool((seg[1:] < seg[:-1]).any()) or int(seg[0]) < 0:
            raise invalid("segment ids are not increasing")
    if num_segments is None:
        out_rows = int(seg[-1]) + 1 if n_idx else 0
    else:
        out_rows = int(num_segments)
        if n_idx and int(seg[-1]) >= out_rows:
            raise invalid("segment ids must be < num_segments")
    out = torch.zeros((out_rows, *data.shape[1:]), dtype=data.dtype, device=data.device)
    if not n_idx:
        return out
    out.index_add_(0, seg, data.index_select(0, idx))
    if norm is not None:
        counts = torch.bincount(seg, minlength=out_rows).to(data.dtype)
        scale = counts if norm == "mean" else counts.sqrt()
        scale = torch.where(counts > 0, scale, torch.ones_like(scale))
        out = out / scale.reshape((-1,) + (1,) * (data.dim() - 1))
    return out


def _register_segment(name: str, norm, types: str):
    @register_op(
        name,
        inputs=["data: T", "indices: Tidx", "segment_ids: Tsegmentids"],
        outputs=["output: T"],
        attrs=[
            f"T: {types}",
            "Tidx: {int32, int64} = DT_INT32",
            "Tsegmentids: {int32, int64} = DT_INT32",
            "sparse_gradient: bool = false",
        ],
        shape=_segment_shape,
    )
    def kernel(data, indices, segment_ids):
        return _segment_reduce(data, indices, segment_ids, None, norm, name)

    @register_op(
        name + "WithNumSegments",
        inputs=["data: T", "indices: Tidx", "segment_ids: Tsegmentids", "num_segments: Tnumsegments"],
        outputs=["output: T"],
        attrs=[
            f"T: {types}",
            "Tidx: {int32, int64} = DT_INT32",
            "Tnumsegments: {int32, int64} = DT_INT32",
            "Tsegmentids: {int32, int64} = DT_INT32",
            "sparse_gradient: bool = false",
        ],
        shape=_segment_shape,
    )
    def kernel_n(data, indices, segment_ids, num_segments):
        return _segment_reduce(data, indices, segment_ids, num_segments, norm, name)

    kernel.__name__ = kernel.__qualname__ = _snake(name)
    kernel_n.__name__ = kernel_n.__qualname__ = _snake(name) + "_with_num_segments"
    return kernel, kernel_n


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


sparse_segment_sum, sparse_segment_sum_with_num_segments = _register_segment(
    "SparseSegmentSum", None, _SEGMENT_SUM_TYPES
)
sparse_segment_mean, sparse_segment_mean_with_num_segments = _register_segment(
    "SparseSegmentMean", "mean", _FLOAT_TYPES
)
sparse_segment_sqrt_n, sparse_segment_sqrt_n_with_num_segments = _register_segment(
    "SparseSegmentSqrtN", "sqrtn", _FLOAT_TYPES
)


def _grad_weights(segment_ids, norm, dtype):
    seg = segment_ids.long()
    if norm is None or seg.numel() == 0:
        return None
    counts = torch.bincount(seg).to(dtype)
    scale = counts if norm == "mean" else counts.sqrt()
    return 1.0 / scale[seg]


def _segment_grad(grad, indices, segment_ids, output_dim0, norm):
    rows = int(output_dim0)
    idx = indices.long()
    seg = segment_ids.long()
    out = torch.zeros((rows, *grad.shape[1:]), dtype=grad.dtype, device=grad.device)
    if idx.numel():
        if bool(((idx < 0) | (idx >= rows)).any()):
            j = int(((idx < 0) | (idx >= rows)).nonzero()[0])
            raise invalid(f"Index {int(idx[j])} out of range [0, {rows}).")
        contrib = grad.index_select(0, seg)
        weights = _grad_weights(seg, norm, grad.dtype)
        if weights is not None:
            contrib = contrib * weights.reshape((-1,) + (1,) * (grad.dim() - 1))
        out.index_add_(0, idx, contrib)
    return out


def _segment_grad_shape(op):
    grad = op.inputs[0].shape
    value = constant_value(op.inputs[3])
    rows = None if value is None else int(value)
    if grad.rank is None:
        return [unknown_shape()]
    return [TensorShape([rows]).concatenate(grad[1:])]


def _segment_grad_v2_shape(op):
    grad = op.inputs[0].shape
    if grad.rank is None:
        return [unknown_shape(), TensorShape([None])]
    return [TensorShape([None]).concatenate(grad[1:]), TensorShape([None])]


def _register_segment_grads(name: str, norm):
    @register_op(
        name + "Grad",
        inputs=["grad: T", "indices: Tidx", "segment_ids: Tsegmentids", "output_dim0: int32"],
        outputs=["output: T"],
        attrs=[f"T: {_FLOAT_TYPES}", "Tidx: {int32, int64} = DT_INT32", "Tsegmentids: {int32, int64} = DT_INT32"],
        shape=_segment_grad_shape,
    )
    def grad_v1(grad, indices, segment_ids, output_dim0):
        return _segment_grad(grad, indices, segment_ids, output_dim0, norm)

    @register_op(
        name + "GradV2",
        inputs=["grad: T", "indices: Tidx", "segment_ids: Tsegmentids", "dense_output_dim0: int32"],
        outputs=["output: T", "sorted_unique_indices: Tidx"],
        attrs=[f"T: {_FLOAT_TYPES}", "Tidx: {int32, int64} = DT_INT32", "Tsegmentids: {int32, int64} = DT_INT32"],
        shape=_segment_grad_v2_shape,
    )
    def grad_v2(grad, indices, segment_ids, dense_output_dim0):
        """The gradient rows of the distinct ``indices`` only (sorted), for an IndexedSlices gradient."""
        dense = _segment_grad(grad, indices, segment_ids, dense_output_dim0, norm)
        unique = torch.unique(indices.long(), sorted=True)
        return dense.index_select(0, unique), unique.to(indices.dtype)

    grad_v1.__name__ = grad_v1.__qualname__ = _snake(name) + "_grad"
    grad_v2.__name__ = grad_v2.__qualname__ = _snake(name) + "_grad_v2"
    no_registered_gradient(name + "Grad", name + "GradV2")
    return grad_v1, grad_v2


sparse_segment_sum_grad, sparse_segment_sum_grad_v2 = _register_segment_grads("SparseSegmentSum", None)
sparse_segment_mean_grad, sparse_segment_mean_grad_v2 = _register_segment_grads("SparseSegmentMean", "mean")
sparse_segment_sqrt_n_grad, sparse_segment_sqrt_n_grad_v2 = _register_segment_grads("SparseSegmentSqrtN", "sqrtn")


def _segment_reduce_grad_v2(op, grad, name):
    indices = op.inputs[1]
    segment_ids = op.inputs[2]
    data_shape = array_ops.shape(op.inputs[0])
    dense_output_dim0 = data_shape[0]
    values, unique = raw_op(
        name + "GradV2", grad=grad, indices=indices, segment_ids=segment_ids, dense_output_dim0=dense_output_dim0
    )
    return IndexedSlices(values, unique, data_shape)


def _segment_gradient(name: str, with_num_segments: bool):
    def fn(op, grad):
        extra = [None, None, None] if with_num_segments else [None, None]
        if op.get_attr("sparse_gradient"):
            return [_segment_reduce_grad_v2(op, grad, name), *extra]
        dim0 = array_ops.shape(op.inputs[0])[0]
        return [
            raw_op(name + "Grad", grad=grad, indices=op.inputs[1], segment_ids=op.inputs[2], output_dim0=dim0),
            *extra,
        ]

    return fn


for _name in ("SparseSegmentSum", "SparseSegmentMean", "SparseSegmentSqrtN"):
    register_gradient(_name)(_segment_gradient(_name, False))
    register_gradient(_name + "WithNumSegments")(_segment_gradient(_name, True))


# ---------------------------------------------------------------------------------------------
# SparseFillEmptyRows


def _fill_empty_rows_shape(op):
    n = input_with_rank(op, 0, 2)
    values = input_with_rank(op, 1, 1)
    rank = input_with_rank(op, 2, 1)[0]
    input_with_rank(op, 3, 0)
    rows = merge_dim(op, n[0], values[0])
    merge_dim(op, n[1], rank)
    if rank == 0:
        raise shape_error(op, "dense_shape must not be empty")
    dense = shape_from_shape_tensor(op.inputs[2])
    return [
        TensorShape([None, rank]),
        TensorShape([None]),
        TensorShape([dense.as_tuple()[0] if dense.rank else None]),
        TensorShape([rows]),
    ]


@register_op(
    "SparseFillEmptyRows",
    inputs=["indices: int64", "values: T", "dense_shape: int64", "default_value: T"],
    outputs=["output_indices: int64", "output_values: T", "empty_row_indicator: bool", "reverse_index_map: int64"],
    attrs=["T: type"],
    shape=_fill_empty_rows_shape,
)
def sparse_fill_empty_rows(indices, values, dense_shape, default_value):
    """Entries stay in their rows' order; each empty row gets one ``default_value`` at column 0."""
    if dense_shape.dim() != 1:
        raise invalid(f"dense_shape must be a vector, saw: {format_dims(dense_shape.shape)}")
    if indices.dim() != 2:
        raise invalid(f"indices must be a matrix, saw: {format_dims(indices.shape)}")
    if values.ndim != 1:
        raise invalid(f"values must be a vector, saw: {format_dims(values.shape)}")
    if indices.shape[0] != values.shape[0]:
        raise invalid(
            f"The length of `values` ({values.shape[0]}) must match the first dimension of `indices` "
            f"({indices.shape[0]})."
        )
    if default_value.ndim != 0:
        raise invalid(f"default_value must be a scalar, saw: {format_dims(default_value.shape)}")
    if dense_shape.numel() == 0:
        raise invalid("Dense shape cannot be empty.")
    n, rank = indices.shape
    dense_rows = int(dense_shape[0])
    string = isinstance(values, np.ndarray)
    if dense_rows == 0:
        if n != 0:
            raise invalid(f"Received SparseTensor with dense_shape[0] = 0 but indices.shape[0] = {n}")
        empty_values = values[:0] if string else values.new_zeros(0)
        return (
            indices.new_zeros((0, rank)),
            empty_values,
            torch.zeros(0, dtype=torch.bool),
            torch.zeros(0, dtype=torch.int64),
        )
    rows = indices[:, 0].cpu()
    for i, row in enumerate(rows.tolist()):
        if row < 0 or row >= dense_rows:
            raise invalid(f"indices({i}, 0) is invalid: {row} >= {dense_rows}")
    counts = torch.bincount(rows, minlength=dense_rows)
    empty = counts == 0
    ordered = bool((rows[1:] >= rows[:-1]).all()) if n > 1 else True
    if not bool(empty.any()) and ordered:
        return indices, values, empty, torch.arange(n, dtype=torch.int64)
    filled = counts.clamp(min=1)
    starts = torch.cumsum(filled, 0) - filled
    # entry i goes to its row's start plus the number of earlier entries of the same row
    order = torch.argsort(rows, stable=True)
    rank_in_row = torch.empty(n, dtype=torch.int64)
    rank_in_row[order] = torch.arange(n) - (torch.cumsum(counts, 0) - counts)[rows[order]]
    reverse = starts[rows] + rank_in_row
    total = int(filled.sum())
    out_indices = indices.new_zeros((total, rank))
    out_indices[reverse.to(indices.device)] = indices
    empty_rows = torch.nonzero(empty).reshape(-1)
    out_indices[starts[empty_rows].to(indices.device), 0] = empty_rows.to(indices.device)
    if string:
        out_values = np.empty(total, dtype=object)
        out_values[reverse.numpy()] = values
        out_values[starts[empty_rows].numpy()] = default_value.reshape(())
    else:
        out_values = values.new_empty(total)
        out_values[reverse.to(values.device)] = values
        out_values[starts[empty_rows].to(values.device)] = default_value
    return out_indices, out_values, empty, reverse


def _fill_empty_rows_grad_shape(op):
    rows = input_with_rank(op, 0, 1)
    input_with_rank(op, 1, 1)
    return [TensorShape(list(rows)), TensorShape([])]


@register_op(
    "SparseFillEmptyRowsGrad",
    inputs=["reverse_index_map: int64", "grad_values: T"],
    outputs=["d_values: T", "d_default_value: T"],
    attrs=["T: type"],
    shape=_fill_empty_rows_grad_shape,
)
def sparse_fill_empty_rows_grad(reverse_index_map, grad_values):
    if reverse_index_map.dim() != 1:
        raise invalid(f"reverse_index_map must be a vector, saw: {format_dims(reverse_index_map.shape)}")
    if grad_values.dim() != 1:
        raise invalid(f"grad_values must be a vector, saw: {format_dims(grad_values.shape)}")
    n_full = grad_values.shape[0]
    for r in reverse_index_map.tolist():
        if r < 0 or r >= n_full:
            raise invalid(f"Elements in reverse index must be in [0, {n_full}) but got {r}")
    index = reverse_index_map.to(grad_values.device)
    visited = torch.zeros(n_full, dtype=torch.bool, device=grad_values.device)
    visited[index] = True
    return grad_values[index], grad_values[~visited].sum().to(grad_values.dtype)


@register_gradient("SparseFillEmptyRows")
def _sparse_fill_empty_rows_grad(op, unused_grad_indices, output_grad_values, unused_grad_empty, unused_grad_map):
    d_values, d_default_value = raw_op(
        "SparseFillEmptyRowsGrad", reverse_index_map=op.outputs[3], grad_values=output_grad_values
    )
    return [None, d_values, None, d_default_value]


no_registered_gradient("SparseFillEmptyRowsGrad")


# ---------------------------------------------------------------------------------------------
# SparseSlice


def _validate_sparse(indices, values, shape) -> None:
    """TF's sparse_utils::ValidateSparseTensor shape checks."""
    if indices.dim() != 2:
        raise invalid(f"Sparse indices must be rank 2 but is rank {indices.dim()}")
    if values.ndim != 1:
        raise invalid(f"Sparse values must be rank 1 but is rank {values.ndim}")
    if shape.dim() != 1:
        raise invalid(f"Sparse shape must be rank 1 but is rank {shape.dim()}")
    if values.shape[0] != indices.shape[0]:
        raise invalid(f"Number of elements in indices ({indices.shape[0]}) and values ({values.shape[0]}) do not match")
    if shape.numel() != indices.shape[1]:
        raise invalid(f"Index rank ({indices.shape[1]}) and shape rank ({shape.numel()}) do not match")


def _slice_shape(op):
    rank = op.inputs[2].shape.as_tuple()[0] if op.inputs[2].shape.rank == 1 else None
    return [TensorShape([None, rank]), TensorShape([None]), op.inputs[2].shape]


@register_op(
    "SparseSlice",
    inputs=["indices: int64", "values: T", "shape: int64", "start: int64", "size: int64"],
    outputs=["output_indices: int64", "output_values: T", "output_shape: int64"],
    attrs=["T: type"],
    shape=_slice_shape,
)
def sparse_slice(indices, values, shape, start, size):
    """The entries with ``start <= index < start + size`` in every dimension, re-based to ``start``; the shape is
    the slice's overlap with the input's."""
    _validate_sparse(indices, values, shape)
    for name, t in (("start", start), ("size", size)):
        if t.dim() != 1:
            raise invalid(f"Input {name} should be a vector but received shape {format_dims(t.shape)}")
    dims = shape.numel()
    for name, t in (("start", start), ("size", size)):
        if t.numel() != dims:
            raise invalid(f"Expected {name} to be a vector of length {dims} but got length {t.numel()}")
    out_shape = []
    for d, (n, s, z) in enumerate(zip(_shape_list(shape), _shape_list(start), _shape_list(size))):
        del d
        out_shape.append(z if s < n - z else n - s if s < n else 0)
    begin = start.to(indices.device).reshape(1, -1)
    hit = ((indices >= begin) & (indices < begin + size.to(indices.device).reshape(1, -1))).all(dim=1)
    keep = torch.nonzero(hit).reshape(-1)
    out_values = values[keep.cpu().numpy()] if isinstance(values, np.ndarray) else values[keep.to(values.device)]
    return indices[keep] - begin, out_values, torch.tensor(out_shape, dtype=torch.int64)


@register_gradient("SparseSlice")
def _sparse_slice_grad(op, *grads):
    backprop_val_grad = grads[1]
    val_grad = raw_op(
        "SparseSliceGrad",
        backprop_val_grad=backprop_val_grad,
        input_indices=op.inputs[0],
        input_start=op.inputs[3],
        output_indices=op.outputs[0],
    )
    val_grad.set_shape(op.inputs[1].shape)
    return (None, val_grad, None, None, None)


@register_op(
    "SparseSliceGrad",
    inputs=["backprop_val_grad: T", "input_indices: int64", "input_start: int64", "output_indices: int64"],
    outputs=["val_grad: T"],
    attrs=[f"T: {_NUMBER_TYPES}"],
    shape=lambda op: [TensorShape([input_with_rank(op, 1, 2)[0]])],
)
def sparse_slice_grad(backprop_val_grad, input_indices, input_start, output_indices):
    """The slice's value gradients put back at the entries they came from (zeros elsewhere)."""
    if input_indices.dim() != 2 or output_indices.dim() != 2:
        raise invalid(
            "Input and output indices should be matrices but received shapes: "
            f"{format_dims(input_indices.shape)} and {format_dims(output_indices.shape)}"
        )
    if backprop_val_grad.dim() != 1:
        raise invalid(
            f"Input backprop_val_grad should be a vector but received shape: {format_dims(backprop_val_grad.shape)}"
        )
    if input_indices.shape[1] != output_indices.shape[1]:
        raise invalid(
            f"The input and output should have the same ndims: got: {input_indices.shape[1]} and "
            f"{output_indices.shape[1]}"
        )
    if output_indices.shape[0] > input_indices.shape[0]:
        raise invalid(
            "# rows of output_indices should be not greater than of input_indices, got "
            f"{output_indices.shape[0]} and {input_indices.shape[0]}"
        )
    if backprop_val_grad.numel() != output_indices.shape[0]:
        raise invalid(
            "# elements of backprop_val_grad and # rows of output_indices should match (#nnz of sum): got "
            f"{backprop_val_grad.numel()} and {output_indices.shape[0]}"
        )
    if input_start.dim() != 1:
        raise invalid(f"The input_start should be a vector but received shape {format_dims(input_start.shape)}")
    if input_start.numel() != input_indices.shape[1]:
        raise invalid(
            f"Expected input_start to be a vector of length {input_indices.shape[1]} but got length "
            f"{input_start.numel()}"
        )
    shifted = (input_indices - input_start.reshape(1, -1)).tolist()
    wanted = output_indices.tolist()
    positions = []
    j = 0
    for i, row in enumerate(shifted):
        if j < len(wanted) and row == wanted[j]:
            positions.append(i)
            j += 1
    if j != len(wanted):
        raise errors.InternalError(
            None, None, f"Elements of backprop_val_grad aren't all propagated. Num elements:{len(wanted)}, used: {j}"
        )
    out = backprop_val_grad.new_zeros(input_indices.shape[0])
    if positions:
        out[torch.tensor(positions, device=out.device)] = backprop_val_grad
    return out


no_registered_gradient("SparseSliceGrad")


# ---------------------------------------------------------------------------------------------
# EditDistance


def _validate_sparse_shapes(op, first):
    """TF's shape_inference::ValidateSparseTensor for the sparse tensor at inputs ``first .. first + 2``."""
    indices = input_with_rank(op, first, 2)
    values = input_with_rank(op, first + 1, 1)
    shape = input_with_rank(op, first + 2, 1)
    if indices[0] is not None and values[0] is not None and indices[0] != values[0]:
        raise shape_error(op, f"Number of elements in index ({indices[0]}) and values ({values[0]}) do not match.")
    if indices[1] is not None and shape[0] is not None and indices[1] != shape[0]:
        raise shape_error(op, f"Index rank ({indices[1]}) and shape rank ({shape[0]}) do not match.")


def _edit_distance_shape(op):
    _validate_sparse_shapes(op, 0)
    _validate_sparse_shapes(op, 3)
    hypothesis_shape = evaluate_constant_tensor(op.inputs[2])
    truth_shape = evaluate_constant_tensor(op.inputs[5])
    if hypothesis_shape is None or truth_shape is None:
        return [unknown_shape()]
    h, t = np.asarray(hypothesis_shape).ravel().tolist(), np.asarray(truth_shape).ravel().tolist()
    if len(h) != len(t):
        raise shape_error(op, f"Num elements of hypothesis_shape does not match truth_shape: {len(h)} vs. {len(t)}")
    return [TensorShape([max(a, b) for a, b in zip(h[:-1], t[:-1])])]


def _levenshtein(s, t) -> int:
    if not s:
        return len(t)
    if not t:
        return len(s)
    row = list(range(len(t) + 1))
    for i, a in enumerate(s, 1):
        prev, row[0] = row[0], i
        for j, b in enumerate(t, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (a != b))
    return row[-1]


def _sequences(indices, values) -> dict:
    """The values of a sparse tensor grouped by all index dims but the last, in index order."""
    groups: dict = {}
    keys = indices[:, :-1].tolist()
    vals = values.tolist()
    for key, value in zip(keys, vals):
        groups.setdefault(tuple(key), []).append(value)
    return groups


@register_op(
    "EditDistance",
    inputs=[
        "hypothesis_indices: int64",
        "hypothesis_values: T",
        "hypothesis_shape: int64",
        "truth_indices: int64",
        "truth_values: T",
        "truth_shape: int64",
    ],
    outputs=["output: float"],
    attrs=["normalize: bool = true", "T: type"],
    shape=_edit_distance_shape,
)
def edit_distance(
    hypothesis_indices, hypothesis_values, hypothesis_shape, truth_indices, truth_values, truth_shape, normalize
):
    """The Levenshtein distance between the hypothesis and truth sequences of each batch position (the last
    index dim is the position in a sequence); normalized by the truth's length (an empty truth gives inf
    against a non-empty hypothesis, an empty hypothesis 1)."""
    for name, t in (("hypothesis_indices", hypothesis_indices), ("truth_indices", truth_indices)):
        if t.dim() != 2:
            raise invalid(f"{name} should be a matrix, but got shape: {format_dims(t.shape)}")
    for name, t in (
        ("hypothesis_values", hypothesis_values),
        ("truth_values", truth_values),
        ("hypothesis_shape", hypothesis_shape),
        ("truth_shape", truth_shape),
    ):
        if len(t.shape) != 1:
            raise invalid(f"{name} should be a vector, but got shape: {format_dims(t.shape)}")
    if truth_shape.numel() < 2:
        raise invalid(f"Input SparseTensors must have rank at least 2, but truth_shape rank is: {truth_shape.numel()}")
    if hypothesis_shape.numel() != truth_shape.numel():
        raise invalid(
            "Expected truth and hypothesis to have matching ranks, but their shapes are: "
            f"{format_dims(hypothesis_shape.shape)} and {format_dims(truth_shape.shape)}"
        )
    h_shape, t_shape = hypothesis_shape.tolist(), truth_shape.tolist()
    out_shape = [max(a, b) for a, b in zip(h_shape[:-1], t_shape[:-1])]
    out = np.zeros(out_shape, np.float32)
    hyp = _sequences(hypothesis_indices, hypothesis_values)
    truth = _sequences(truth_indices, truth_values)
    for key in set(hyp) | set(truth):
        h, t = hyp.get(key, []), truth.get(key, [])
        if not t:
            d = float(len(h))
            out[key] = np.inf if normalize and d else d
        elif not h:
            out[key] = 1.0 if normalize else float(len(t))
        else:
            out[key] = np.float32(_levenshtein(t, h)) / np.float32(len(t)) if normalize else _levenshtein(t, h)
    return torch.from_numpy(out)


not_differentiable("EditDistance")


# ---------------------------------------------------------------------------------------------
# SparseTensorDenseMatMul


def _sparse_dense_matmul_shape(op):
    input_with_rank(op, 0, 2)
    input_with_rank(op, 1, 1)
    a_shape = with_rank(op, shape_from_shape_tensor(op.inputs[2]), 2).as_tuple()
    b = input_with_rank(op, 3, 2)
    adjoint_a, adjoint_b = op.get_attr("adjoint_a"), op.get_attr("adjoint_b")
    merge_dim(op, a_shape[0 if adjoint_a else 1], b[1 if adjoint_b else 0])
    return [TensorShape([a_shape[1 if adjoint_a else 0], b[0 if adjoint_b else 1]])]


@register_op(
    "SparseTensorDenseMatMul",
    inputs=["a_indices: Tindices", "a_values: T", "a_shape: int64", "b: T"],
    outputs=["product: T"],
    attrs=["T: type", "Tindices: {int32, int64} = DT_INT64", "adjoint_a: bool = false", "adjoint_b: bool = false"],
    shape=_sparse_dense_matmul_shape,
)
def sparse_tensor_dense_mat_mul(a_indices, a_values, a_shape, b, adjoint_a=False, adjoint_b=False):
    """The sparse matrix ``A`` (optionally adjoint) times the dense ``b`` (optionally adjoint)."""
    if a_shape.numel() != 2:
        raise invalid("Tensor 'a_shape' is not a vector")
    if a_values.ndim != 1:
        raise invalid("Tensor 'a_values' is not a vector")
    if b.ndim != 2:
        raise invalid("Tensor 'b' is not a matrix")
    if a_indices.dim() != 2:
        raise invalid("Tensor 'a_indices' is not a matrix")
    nnz = a_indices.shape[0]
    if nnz != a_values.shape[0]:
        raise invalid("Number of rows of a_indices does not match number of entries in a_values")
    if a_indices.shape[1] != a_shape.numel():
        raise invalid("Number of columns of a_indices does not match number of entries in a_shape")
    rows_a, cols_a = (int(d) for d in a_shape.tolist())
    if adjoint_a:
        rows_a, cols_a = cols_a, rows_a
    if adjoint_b:
        b = b.conj().transpose(0, 1) if b.is_complex() else b.transpose(0, 1)
    if cols_a != b.shape[0]:
        raise invalid(
            f"Cannot multiply A and B because inner dimension does not match: {cols_a} vs. {b.shape[0]}.  "
            f"Did you forget a transpose?  Dimensions of A: [{rows_a}, {cols_a}).  "
            f"Dimensions of B: {format_dims(b.shape)}"
        )
    indices = a_indices.long()
    m_col, k_col = (1, 0) if adjoint_a else (0, 1)
    m, k = indices[:, m_col], indices[:, k_col]
    for i in range(nnz):  # TF's bounds checks, first failing entry reported
        if not 0 <= int(k[i]) < cols_a:
            raise invalid(f"k ({int(k[i])}) from index[{i},{k_col}] out of bounds (>={cols_a})")
        if not 0 <= int(m[i]) < rows_a:
            raise invalid(f"m ({int(m[i])}) from index[{i},{m_col}] out of bounds (>={rows_a})")
    values = a_values.conj() if adjoint_a and a_values.is_complex() else a_values
    out = torch.zeros((rows_a, b.shape[1]), dtype=b.dtype, device=b.device)
    if nnz:
        out.index_add_(0, m, values.unsqueeze(1) * b[k])
    return out


@register_gradient("SparseTensorDenseMatMul")
def _sparse_tensor_dense_matmul_grad(op, grad):
    a_indices, a_values, a_shape = op.inputs[:3]
    b = op.inputs[3]
    adj_a = op.get_attr("adjoint_a")
    adj_b = op.get_attr("adjoint_b")
    a_type = a_values.dtype.base_dtype
    b_type = b.dtype.base_dtype
    if a_type != b_type:
        raise TypeError(
            f"SparseTensorDenseMatMul op received operands with different types: `{a_type}` and `{b_type}`."
        )
    b_grad = raw_op(
        "SparseTensorDenseMatMul", a_indices=a_indices, a_values=a_values, a_shape=a_shape, b=grad, adjoint_a=not adj_a
    )
    if adj_b:
        b_grad = linalg_ops.matrix_transpose(b_grad, conjugate=True)
    rows = a_indices[:, 0]
    cols = a_indices[:, 1]
    parts_a = array_ops.gather(grad, rows if not adj_a else cols)
    parts_b = array_ops.gather(b if not adj_b else array_ops.transpose(b), cols if not adj_a else rows)
    if not adj_a and not adj_b:
        a_values_grad = math_ops.matmul(
            array_ops.expand_dims(parts_a, -2), array_ops.expand_dims(parts_b, -2), adjoint_b=True
        )
    elif adj_a and not adj_b:
        a_values_grad = math_ops.matmul(
            array_ops.expand_dims(parts_a, -1), array_ops.expand_dims(parts_b, -1), adjoint_a=True
        )
    elif not adj_a and adj_b:
        a_values_grad = math_ops.matmul(array_ops.expand_dims(parts_a, -2), array_ops.expand_dims(parts_b, -1))
    else:
        a_values_grad = math_ops.matmul(
            array_ops.expand_dims(parts_a, -1), array_ops.expand_dims(parts_b, -2), adjoint_a=True, adjoint_b=True
        )
    return [None, array_ops.squeeze(a_values_grad, axis=[-2, -1]), None, b_grad]


# ---------------------------------------------------------------------------------------------
# SparseSoftmax, SparseDenseCwiseAdd, SparseSparse{Maximum,Minimum}


def _sparse_softmax_shape(op):
    input_with_rank(op, 0, 2)
    values = with_rank(op, op.inputs[1].shape, 1)
    input_with_rank(op, 2, 1)
    return [values]


@register_op(
    "SparseSoftmax",
    inputs=["sp_indices: int64", "sp_values: T", "sp_shape: int64"],
    outputs=["output: T"],
    attrs=["T: {half, float, double}"],
    shape=_sparse_softmax_shape,
)
def sparse_softmax(sp_indices, sp_values, sp_shape):
    """A softmax over each run of entries sharing all but the last index (the input in canonical order, as
    TF's kernel assumes); the output is in the input's order."""
    if sp_indices.dim() != 2:
        raise invalid(f"Input should be a matrix but received shape: {format_dims(sp_indices.shape)}")
    if sp_values.ndim != 1:
        raise invalid(f"Input should be a vector but received shape: {format_dims(sp_values.shape)}")
    if sp_shape.dim() != 1:
        raise invalid(f"Input should be a vector but received shape: {format_dims(sp_shape.shape)}")
    if sp_shape.numel() < 2:
        raise invalid(f"Input should have rank >= 2, but received shape: {format_dims(sp_shape.shape)}")
    nnz = sp_values.shape[0]
    out = torch.empty_like(sp_values)
    if nnz == 0:
        return out
    leading = sp_indices[:, :-1]
    starts = torch.ones(nnz, dtype=torch.bool)
    starts[1:] = (leading[1:] != leading[:-1]).any(dim=1)
    group = torch.cumsum(starts.long(), 0) - 1
    groups = int(group[-1]) + 1
    maxes = torch.full((groups,), float("-inf"), dtype=sp_values.dtype).scatter_reduce(
        0, group, sp_values, "amax", include_self=True
    )
    exps = torch.exp(sp_values - maxes[group])
    sums = torch.zeros(groups, dtype=sp_values.dtype).index_add_(0, group, exps)
    return exps / sums[group]


@register_gradient("SparseSoftmax")
def _sparse_softmax_grad(op, grad):
    indices, shape = op.inputs[0], op.inputs[2]
    out_vals = op.outputs[0]
    sp_output = SparseTensor(indices, out_vals, shape)
    sp_grad = SparseTensor(indices, grad, shape)
    sp_product = SparseTensor(indices, sp_output.values * sp_grad.values, shape)
    sum_reduced = -raw_op(
        "SparseReduceSum",
        input_indices=sp_product.indices,
        input_values=sp_product.values,
        input_shape=sp_product.dense_shape,
        reduction_axes=[-1],
        keep_dims=True,
    )
    sp_sum_values = raw_op(
        "SparseDenseCwiseAdd",
        sp_indices=sp_grad.indices,
        sp_values=sp_grad.values,
        sp_shape=sp_grad.dense_shape,
        dense=sum_reduced,
    )
    grad_x = sp_sum_values * sp_output.values
    return [None, grad_x, None]


def _sparse_dense_cwise_shape(op):
    indices = input_with_rank(op, 0, 2)
    return [TensorShape([indices[0]])]


@register_op(
    "SparseDenseCwiseAdd",
    inputs=["sp_indices: int64", "sp_values: T", "sp_shape: int64", "dense: T"],
    outputs=["output: T"],
    attrs=[f"T: {_NUMBER_TYPES}"],
    shape=_sparse_dense_cwise_shape,
)
def sparse_dense_cwise_add(sp_indices, sp_values, sp_shape, dense):
    """Each entry plus the dense tensor's value at its index (the dense side broadcast to the sparse shape)."""
    dims = _shape_list(sp_shape)
    if dense.ndim > len(dims) or any(
        d not in (1, s) for d, s in zip(reversed(dense.shape), reversed(dims), strict=False)
    ):
        raise invalid(
            f"SparseDenseBinaryOpShared broadcasts dense to sparse only; got incompatible shapes: "
            f"[{','.join(str(d) for d in dims)}] vs. [{','.join(str(d) for d in dense.shape)}]"
        )
    full = dense.reshape([1] * (len(dims) - dense.ndim) + list(dense.shape)).expand(dims)
    if sp_indices.shape[0] == 0:
        return sp_values.clone()
    return sp_values + full[tuple(sp_indices.long().t())]


@register_gradient("SparseDenseCwiseAdd")
def _sparse_dense_cwise_add_grad(unused_op, unused_grad):
    raise NotImplementedError(
        "Gradient for SparseDenseCwiseAdd is not implemented. Please use SparseAdd instead if possible."
    )


def _check_same_shapes(a_shape, b_shape) -> None:
    """TF's check that two SparseTensor operands have one shape (no broadcasting)."""
    a_dims, b_dims = _shape_list(a_shape), _shape_list(b_shape)
    if len(a_dims) != len(b_dims):
        raise invalid(
            f"Operands do not have the same ranks; got shapes: {' '.join(map(str, a_dims))} and "
            f"{' '.join(map(str, b_dims))}"
        )
    for i, (a, b) in enumerate(zip(a_dims, b_dims, strict=True)):
        if a != b:
            raise invalid(f"Operands' shapes do not match: got {a} and {b} for dimension {i}")


def _sparse_sparse_binary(a_indices, a_values, a_shape, b_indices, b_values, b_shape, how):
    for name, t in (("a_indices", a_indices), ("b_indices", b_indices)):
        if t.dim() != 2:
            raise invalid(f"Input {name} should be a matrix but received shape: {format_dims(t.shape)}")
    _check_same_shapes(a_shape, b_shape)
    keys = {}
    for indices, values, side in ((a_indices, a_values, 0), (b_indices, b_values, 1)):
        for row, value in zip(indices.tolist(), values.tolist(), strict=True):
            keys.setdefault(tuple(row), [0, 0])[side] = value
    ordered = sorted(keys)
    pick = max if how == "max" else min
    out_values = torch.tensor([pick(*keys[k]) for k in ordered], dtype=a_values.dtype)
    out_indices = torch.tensor(ordered, dtype=torch.int64).reshape(len(ordered), a_indices.shape[1])
    return out_indices, out_values


def _sparse_sparse_shape(op):
    return [TensorShape([None, None]), TensorShape([None])]


@register_op(
    "SparseSparseMaximum",
    inputs=_SPARSE_SPARSE_INPUTS,
    outputs=["output_indices: int64", "output_values: T"],
    attrs=[f"T: {_REDUCE_MAX_TYPES}"],
    shape=_sparse_sparse_shape,
)
def sparse_sparse_maximum(a_indices, a_values, a_shape, b_indices, b_values, b_shape):
    """The elementwise max over the union of both operands' indices (a missing entry is 0)."""
    return _sparse_sparse_binary(a_indices, a_values, a_shape, b_indices, b_values, b_shape, "max")


@register_op(
    "SparseSparseMinimum",
    inputs=_SPARSE_SPARSE_INPUTS,
    outputs=["output_indices: int64", "output_values: T"],
    attrs=[f"T: {_NUMBER_TYPES}"],
    shape=_sparse_sparse_shape,
)
def sparse_sparse_minimum(a_indices, a_values, a_shape, b_indices, b_values, b_shape):
    """The elementwise min over the union of both operands' indices (a missing entry is 0)."""
    return _sparse_sparse_binary(a_indices, a_values, a_shape, b_indices, b_values, b_shape, "min")


@register_gradient("SparseSparseMaximum")
def _sparse_sparse_maximum_grad(unused_op, unused_grad):
    raise NotImplementedError("Gradient for SparseSparseMaximum is not implemented.")


@register_gradient("SparseSparseMinimum")
def _sparse_sparse_minimum_grad(unused_op, unused_grad):
    raise NotImplementedError("Gradient for SparseSparseMinimum is not implemented.")


# ---------------------------------------------------------------------------------------------
# SparseAdd, SparseAddGrad, SparseTensorDenseAdd


def _sparse_add_shape(op):
    a_shape = with_rank(op, op.inputs[2].shape, 1).as_tuple()
    return [TensorShape([None, a_shape[0]]), TensorShape([None]), TensorShape([a_shape[0]])]


def _merge_order(a_indices, b_indices):
    """TF's two-pointer merge of two canonically ordered index lists: ``[(a row or None, b row or None)]``."""
    a, b = a_indices.tolist(), b_indices.tolist()
    i = j = 0
    out = []
    while i < len(a) and j < len(b):
        if a[i] < b[j]:
            out.append((i, None))
            i += 1
        elif a[i] > b[j]:
            out.append((None, j))
            j += 1
        else:
            out.append((i, j))
            i += 1
            j += 1
    out += [(k, None) for k in range(i, len(a))] + [(None, k) for k in range(j, len(b))]
    return out


@register_op(
    "SparseAdd",
    inputs=[*_SPARSE_SPARSE_INPUTS, "thresh: Treal"],
    outputs=["sum_indices: int64", "sum_values: T", "sum_shape: int64"],
    attrs=[f"T: {_NUMBER_TYPES}", f"Treal: {_REDUCE_MAX_TYPES}"],
    shape=_sparse_add_shape,
)
def sparse_add(a_indices, a_values, a_shape, b_indices, b_values, b_shape, thresh):
    """The sum of two same-shaped SparseTensors in canonical order; a sum of two entries is kept only where
    ``|sum| >= thresh`` (an entry of one operand alone is always kept), as TF's kernel."""
    for name, t in (("a_indices", a_indices), ("b_indices", b_indices)):
        if t.dim() != 2:
            raise invalid(f"Input {name} should be a matrix but received shape: {format_dims(t.shape)}")
    if a_indices.shape[1] != b_indices.shape[1]:
        raise invalid(f"Input indices must have the same dimension, got {a_indices.shape[1]} and {b_indices.shape[1]}")
    _check_same_shapes(a_shape, b_shape)
    limit = float(thresh.item())
    rows, values = [], []
    for i, j in _merge_order(a_indices, b_indices):
        if i is not None and j is not None:
            total = a_values[i] + b_values[j]
            if limit <= float(torch.abs(total)):
                rows.append(a_indices[i])
                values.append(total)
        elif i is not None:
            rows.append(a_indices[i])
            values.append(a_values[i])
        else:
            rows.append(b_indices[j])
            values.append(b_values[j])
    rank = a_indices.shape[1]
    out_indices = torch.stack(rows) if rows else torch.zeros((0, rank), dtype=torch.int64)
    out_values = torch.stack(values) if values else torch.zeros(0, dtype=a_values.dtype)
    return out_indices, out_values, a_shape.clone()


def _sparse_add_grad_shape(op):
    a = input_with_rank(op, 1, 2)
    b = input_with_rank(op, 2, 2)
    return [TensorShape([a[0]]), TensorShape([b[0]])]


@register_op(
    "SparseAddGrad",
    inputs=["backprop_val_grad: T", "a_indices: int64", "b_indices: int64", "sum_indices: int64"],
    outputs=["a_val_grad: T", "b_val_grad: T"],
    attrs=[f"T: {_NUMBER_TYPES}"],
    shape=_sparse_add_grad_shape,
)
def sparse_add_grad(backprop_val_grad, a_indices, b_indices, sum_indices):
    """Each operand entry's share of the sum's gradient (0 where a thresholded sum dropped it)."""
    sums = {tuple(row): k for k, row in enumerate(sum_indices.tolist())}
    grads = []
    for indices in (a_indices, b_indices):
        picks = [sums.get(tuple(row), -1) for row in indices.tolist()]
        out = torch.zeros(len(picks), dtype=backprop_val_grad.dtype)
        for i, k in enumerate(picks):
            if k >= 0:
                out[i] = backprop_val_grad[k]
        grads.append(out)
    return tuple(grads)


@register_gradient("SparseAdd")
def _sparse_add_grad(op, *grads):
    val_grad = grads[1]
    a_val_grad, b_val_grad = raw_op(
        "SparseAddGrad",
        backprop_val_grad=val_grad,
        a_indices=op.inputs[0],
        b_indices=op.inputs[3],
        sum_indices=op.outputs[0],
    )
    a_val_grad.set_shape(op.inputs[1].get_shape())
    b_val_grad.set_shape(op.inputs[4].get_shape())
    return [None, a_val_grad, None, None, b_val_grad, None, None]


not_differentiable("SparseAddGrad")


@register_op(
    "SparseTensorDenseAdd",
    inputs=["a_indices: Tindices", "a_values: T", "a_shape: Tindices", "b: T"],
    outputs=["output: T"],
    attrs=[f"T: {_NUMBER_TYPES}", "Tindices: {int32, int64}"],
    shape=lambda op: [op.inputs[3].shape],
)
def sparse_tensor_dense_add(a_indices, a_values, a_shape, b):
    """The dense ``b`` plus the SparseTensor's entries (same shapes)."""
    dims = _shape_list(a_shape)
    if dims != list(b.shape):
        raise invalid(f"a.shape and b.shape must match; got {format_dims(dims)} and {format_dims(list(b.shape))}")
    out = b.clone()
    if a_indices.shape[0]:
        out.index_put_(tuple(a_indices.long().t()), a_values, accumulate=True)
    return out


@register_gradient("SparseTensorDenseAdd")
def _sparse_tensor_dense_add_grad(op, out_grad):
    sp_indices = op.inputs[0]
    return [None, array_ops.gather_nd(out_grad, sp_indices), None, out_grad]


# ---------------------------------------------------------------------------------------------
# SparseSplit


def _sparse_split_shape(op):
    n = op.get_attr("num_split")
    shape = op.inputs[3].shape
    rank = shape.dims[0].value if shape.rank == 1 else None
    return [TensorShape([None, rank])] * n + [TensorShape([None])] * n + [shape] * n


@register_op(
    "SparseSplit",
    inputs=["split_dim: int64", "indices: int64", "values: T", "shape: int64"],
    outputs=["output_indices: num_split * int64", "output_values: num_split * T", "output_shape: num_split * int64"],
    attrs=["num_split: int >= 1", "T: type"],
    shape=_sparse_split_shape,
)
def sparse_split(split_dim, indices, values, shape, num_split):
    """``num_split`` SparseTensors along ``split_dim``: the first ``size % num_split`` one longer, entries in the
    input's order, as TF's SparseTensor::Split."""
    _validate_sparse(indices, values, shape)
    dims = _shape_list(shape)
    rank = len(dims)
    axis = int(split_dim.reshape(-1)[0])
    if not -rank <= axis < rank:
        raise invalid(f"Input split_dim should be between {-rank} and {rank}, got {axis}")
    axis %= rank
    size = dims[axis]
    if not 0 < num_split <= size:
        raise invalid(f"num_split must be in the interval (0, {size}]")
    split_size, residual = size // num_split, size % num_split
    coord = indices[:, axis] if indices.shape[0] else torch.zeros(0, dtype=torch.int64)
    offset = residual * (split_size + 1)
    if residual == 0:
        part = coord // split_size
        within = coord % split_size
    else:
        big = coord < offset
        part = torch.where(big, coord // (split_size + 1), residual + (coord - offset) // max(split_size, 1))
        within = torch.where(big, coord % (split_size + 1), (coord - offset) % max(split_size, 1))
    out_indices, out_values, out_shapes = [], [], []
    for i in range(num_split):
        mask = part == i
        idx = indices[mask].clone()
        if idx.shape[0]:
            idx[:, axis] = within[mask]
        out_indices.append(idx.reshape(-1, rank))
        out_values.append(values[mask.numpy()] if isinstance(values, np.ndarray) else values[mask])  # strings
        part_dims = list(dims)
        part_dims[axis] = split_size + 1 if i < residual else split_size
        out_shapes.append(torch.tensor(part_dims, dtype=torch.int64))
    return (*out_indices, *out_values, *out_shapes)


no_registered_gradient("SparseSplit")
