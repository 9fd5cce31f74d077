"""Array ops that index: Select(V2), Gather(V2), GatherNd, ScatterNd, SparseToDense, OneHot, Where,
Unique, ListDiff, DynamicStitch and InvertPermutation, with their gradients (the rest of the family is in
``array_ops``).
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta.api import array_ops, math_ops
from torchmeta.dtypes import DType
from torchmeta.framework import common_shapes, tensor_util
from torchmeta.framework.common_shapes import (
    constant_scalar,
    format_dims,
    merge_dim,
    merge_shapes,
    scalar_dim,
    shape_error,
    shape_from_shape_tensor,
    with_rank,
    with_rank_at_least,
)
from torchmeta.framework.indexed_slices import IndexedSlices
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.framework.tensor_util import constant_value
from torchmeta.ops.array_layout_ops import broadcast_dims
from torchmeta.ops.common import (
    check_dims,
    dense_gradient,
    grad_reduce_sum,
    host_ints,
    invalid,
    is_indexed_slices,
    is_np,
)

# ---------------------------------------------------------------------------------------------
# Select, SelectV2


def _select_shape(op):
    cond, t, e = (x.shape for x in op.inputs)
    data = merge_shapes(op, t, e)
    if cond.rank is None or data.rank is None:
        return [data]
    if cond.rank == 0:
        return [data]
    if cond.rank != 1 or data.rank == 0:
        return [merge_shapes(op, data, cond)]
    merge_dim(op, cond.as_tuple()[0], data.as_tuple()[0])
    return [data]


def _where(cond, t, e):
    if is_np(t):
        c = cond.cpu().numpy() if isinstance(cond, torch.Tensor) else cond
        return np.where(c, t, e)
    return torch.where(cond, t, e)


@register_op(
    "Select",
    inputs=["condition: bool", "t: T", "e: T"],
    outputs=["output: T"],
    attrs=["T: type"],
    shape=_select_shape,
)
def select(condition, t, e):
    if tuple(t.shape) != tuple(e.shape):
        raise invalid(
            f"'then' and 'else' must have the same size.  but received: {format_dims(t.shape)} vs. {format_dims(e.shape)}"
        )
    cshape = tuple(condition.shape)
    if cshape == tuple(t.shape) or not cshape:
        return _where(condition, t, e)
    if len(cshape) != 1 or t.ndim < 1:
        raise invalid(
            f"'cond' and 'then' must have the same shape, or 'cond' must be a vector: got "
            f"{format_dims(cshape)} vs. {format_dims(t.shape)}"
        )
    if cshape[0] != t.shape[0]:
        raise invalid(f"Number of batches of 'then' must match size of 'cond', but saw: {t.shape[0]} vs. {cshape[0]}")
    return _where(condition.reshape(cshape + (1,) * (t.ndim - 1)), t, e)


def _select_v2_shape(op):
    cond, t, e = (x.shape for x in op.inputs)
    return [common_shapes.broadcast_shapes(common_shapes.broadcast_shapes(t, e, op), cond, op)]


@register_op(
    "SelectV2",
    inputs=["condition: bool", "t: T", "e: T"],
    outputs=["output: T"],
    attrs=["T: type"],
    shape=_select_v2_shape,
)
def select_v2(condition, t, e):
    if broadcast_dims(list(t.shape), list(e.shape)) is None or (
        broadcast_dims(broadcast_dims(list(t.shape), list(e.shape)), list(condition.shape)) is None
    ):
        raise invalid(
            f"condition {format_dims(condition.shape)}, then {format_dims(t.shape)}, and else {format_dims(e.shape)} must be broadcastable"
        )
    return _where(condition, t, e)


@register_gradient("Select")
def _select_grad(op, grad):
    c, x = op.inputs[0], op.inputs[1]
    zeros = array_ops.zeros_like(x)
    return [None, array_ops.where(c, grad, zeros), array_ops.where(c, zeros, grad)]


def _infer_reduction_axes(x_shape, y_shape):
    """TF's ``_InferGradientReductionAxes``: the broadcast axes of x and y from static shapes, or
    (None, None) when that depends on unknown dims."""
    if x_shape.rank is None or y_shape.rank is None:
        return None, None
    x_dims, y_dims = x_shape.as_tuple(), y_shape.as_tuple()
    rank = max(len(x_dims), len(y_dims))
    x_dims = (1,) * (rank - len(x_dims)) + x_dims
    y_dims = (1,) * (rank - len(y_dims)) + y_dims
    x_axes, y_axes = [], []
    for axis, (xd, yd) in enumerate(zip(x_dims, y_dims)):
        if xd == 1 and yd != 1:
            x_axes.append(axis)
        elif yd == 1 and xd != 1:
            y_axes.append(axis)
        elif xd is None or yd is None:
            return None, None
    return x_axes, y_axes


def _reduce_to_input(x, z, grad):
    """``grad`` (shaped like the broadcast result ``z``) summed down to ``x``'s shape, as TF's
    ``_ReduceGradientArgs`` does for one argument (static axes when the shapes tell, else
    BroadcastGradientArgs)."""
    x_shape = array_ops.shape(x)
    z_shape = array_ops.shape(z)
    axes, _ = _infer_reduction_axes(x.shape, z.shape)
    if axes is None:
        axes, _ = raw_op("BroadcastGradientArgs", s0=x_shape, s1=z_shape)
    elif not axes and x.shape.rank >= z.shape.rank:
        return grad
    return array_ops.reshape(grad_reduce_sum(grad, axes, keepdims=True), x_shape)


@register_gradient("SelectV2")
def _select_v2_grad(op, grad):
    c, x, y = op.inputs
    z = op.outputs[0]
    zeros = array_ops.zeros([], dtype=grad.dtype.base_dtype)
    gx = array_ops.where_v2(c, grad, zeros)
    gy = array_ops.where_v2(c, zeros, grad)
    return [None, _reduce_to_input(x, z, gx), _reduce_to_input(y, z, gy)]


# ---------------------------------------------------------------------------------------------
# Gather, GatherV2, GatherNd, ScatterNd


def _check_indices(indices, limit: int, label=""):
    """Raises TF's ``indices[i,j] = v is not in [0, limit)`` for the first bad index."""
    bad = (indices < 0) | (indices >= limit)
    if bool(bad.any()):
        pos = torch.nonzero(bad)[0].tolist()
        value = int(indices[tuple(pos)])
        where = f"[{','.join(str(p) for p in pos)}]" if pos else ""  # (a scalar index: "indices = v")
        raise invalid(f"indices{where} = {value} is not in [0, {limit})")


def _gather_shape(op):
    params, indices = op.inputs[0].shape, op.inputs[1].shape
    with_rank_at_least(op, params, 1)
    if params.rank is None or indices.rank is None:
        return [unknown_shape()]
    return [TensorShape(list(indices.as_tuple()) + list(params.as_tuple()[1:]))]


@register_op(
    "Gather",
    inputs=["params: Tparams", "indices: Tindices"],
    outputs=["output: Tparams"],
    attrs=["validate_indices: bool = true", "Tparams: type", "Tindices: {int32, int64}"],
    shape=_gather_shape,
)
def gather(params, indices):
    return _gather(params, indices, 0, 0)


def _gather(params, indices, axis: int, batch_dims: int):
    limit = params.shape[axis]
    _check_indices(indices, limit)
    idx_shape = tuple(indices.shape)
    p_shape = tuple(params.shape)
    out_shape = p_shape[:axis] + idx_shape[batch_dims:] + p_shape[axis + 1 :]
    if is_np(params):
        idx = indices.cpu().numpy().astype(np.int64)
        if batch_dims == 0:
            return np.take(params, idx, axis=axis)
        out = [
            np.take(params[b], idx.reshape(-1, *idx_shape[batch_dims:])[k], axis=axis - batch_dims)
            for k, b in enumerate(np.ndindex(*p_shape[:batch_dims]))
        ]
        return np.stack(out).reshape(out_shape) if out else np.empty(out_shape, dtype=object)
    idx = indices.long()
    if batch_dims == 0:
        return torch.index_select(params, axis, idx.reshape(-1)).reshape(out_shape)
    batch = int(np.prod(p_shape[:batch_dims], dtype=np.int64))
    outer = int(np.prod(p_shape[batch_dims:axis], dtype=np.int64))
    inner = p_shape[axis + 1 :]
    p = params.reshape((batch, outer, limit, *inner))
    i = idx.reshape(batch, -1)
    b_ix = torch.arange(batch, device=params.device).view(batch, 1, 1)
    o_ix = torch.arange(outer, device=params.device).view(1, outer, 1)
    out = p[b_ix, o_ix, i.unsqueeze(1)]  # [batch, outer, n, *inner]
    return out.reshape(out_shape)


def _gather_v2_shape(op):
    params, indices, axis_t = (t.shape for t in op.inputs)
    with_rank(op, axis_t, 0)
    axis = constant_scalar(op.inputs[2])
    batch_dims = op.get_attr("batch_dims")
    if axis is None:
        if params.rank is None or indices.rank is None:
            return [unknown_shape()]
        if batch_dims < 0:
            batch_dims += indices.rank
        return [unknown_shape(params.rank + indices.rank - 1 - batch_dims)]
    if params.rank is not None:
        with_rank_at_least(op, params, axis + 1 if axis >= 0 else -axis)
    if params.rank is None or indices.rank is None:
        return [unknown_shape()]
    p_rank, i_rank = params.rank, indices.rank
    if axis < 0:
        axis += p_rank
    if batch_dims < 0:
        batch_dims += i_rank
    if batch_dims > i_rank:
        raise shape_error(op, f"batch_dims ({batch_dims}) must be less than rank(indices) ({i_rank}).")
    if batch_dims > axis:
        raise shape_error(op, f"batch_dims ({batch_dims}) must be less than or equal to axis ({axis}).")
    p_dims, i_dims = params.as_tuple(), indices.as_tuple()
    # TF takes the batch dims from params alone (not merged with the indices' dims).
    return [TensorShape(list(p_dims[:axis]) + list(i_dims[batch_dims:]) + list(p_dims[axis + 1 :]))]


@register_op(
    "GatherV2",
    inputs=["params: Tparams", "indices: Tindices", "axis: Taxis"],
    outputs=["output: Tparams"],
    attrs=["batch_dims: int = 0", "Tparams: type", "Tindices: {int16, int32, int64}", "Taxis: {int32, int64}"],
    shape=_gather_v2_shape,
)
def gather_v2(params, indices, axis, batch_dims):
    p_rank = params.ndim
    a = int(axis)
    if not -p_rank <= a < p_rank:
        raise invalid(f"Expected axis in the range [{-p_rank}, {p_rank}), but got {a}")
    if a < 0:
        a += p_rank
    b = batch_dims
    i_rank = indices.ndim
    if b != 0:
        if not -i_rank <= b <= i_rank if i_rank else b != 0:
            raise invalid(f"Expected batch_dims in the range [{-i_rank}, {i_rank}], but got {b}")
        if b < 0:
            b += i_rank
        if b > a:
            raise invalid(f"batch_dims ({b}) must be less than or equal to axis ({a}).")
        for i in range(b):
            if params.shape[i] != indices.shape[i]:
                raise invalid(
                    f"params.shape[{i}]: {params.shape[i]} should be equal to indices.shape[{i}]: {indices.shape[i]}"
                )
    return _gather(params, indices, a, b)


def _gather_nd_shape(op):
    params, indices = op.inputs[0].shape, op.inputs[1].shape
    with_rank_at_least(op, indices, 1)
    if params.rank is None or indices.rank is None:
        return [unknown_shape()]
    k = indices.as_tuple()[-1]
    if k is None:
        return [unknown_shape()]
    if k > params.rank:
        raise shape_error(
            op,
            f"indices.shape[-1] must be <= params.rank, but saw indices shape: {format_dims(indices.as_tuple())} and params "
            f"shape: {format_dims(params.as_tuple())}",
        )
    return [TensorShape(list(indices.as_tuple()[:-1]) + list(params.as_tuple()[k:]))]


def linear_index(indices, dims, node_name, what):
    """Flattens the last axis of ``indices`` into row-major offsets into ``dims``; checks the bounds."""
    k = len(dims)
    rows = int(np.prod(tuple(indices.shape[:-1]), dtype=np.int64))
    idx = indices.long().reshape(rows, k)
    if k == 0:
        return idx.new_zeros(rows), None
    limits = torch.tensor(dims, dtype=torch.long, device=idx.device)
    bad = ((idx < 0) | (idx >= limits)).any(dim=1)
    strides = [1] * k
    for i in range(k - 2, -1, -1):
        strides[i] = strides[i + 1] * dims[i + 1]
    lin = (idx * torch.tensor(strides, dtype=torch.long, device=idx.device)).sum(dim=1)
    return lin, bad


@register_op(
    "GatherNd",
    inputs=["params: Tparams", "indices: Tindices"],
    outputs=["output: Tparams"],
    attrs=["Tparams: type", "Tindices: {int16, int32, int64}", 'bad_indices_policy: string = ""'],
    shape=_gather_nd_shape,
)
def gather_nd(params, indices, bad_indices_policy, node_name):
    p_shape = tuple(params.shape)
    if indices.dim() < 1:
        raise invalid(f"indices must be at least a vector, got shape {format_dims(indices.shape)}")
    k = indices.shape[-1]
    if k > len(p_shape):
        raise invalid(f"index innermost dimension length must be <= params rank; saw: {k} vs. {len(p_shape)}")
    out_shape = tuple(indices.shape[:-1]) + p_shape[k:]
    lin, bad = linear_index(indices, p_shape[:k], node_name, "param")
    ignore = bad_indices_policy == "IGNORE"
    if bad is not None and bool(bad.any()):
        if not ignore:
            first = int(torch.nonzero(bad)[0])
            pos = np.unravel_index(first, tuple(indices.shape[:-1])) if indices.dim() > 1 else ()
            vals = indices.reshape(-1, k)[first].tolist()
            where = ",".join(str(int(p)) for p in pos)
            raise invalid(
                f"indices[{where}] = [{', '.join(str(v) for v in vals)}] does not index into param shape "
                f"{format_dims(p_shape)}, node name: {node_name}"
            )
        lin = torch.where(bad, torch.zeros_like(lin), lin)
    n_slices = int(np.prod(p_shape[:k], dtype=np.int64))
    if is_np(params):
        flat = params.reshape((n_slices, *p_shape[k:]))
        out = flat[lin.cpu().numpy()] if n_slices else np.empty((lin.shape[0], *p_shape[k:]), dtype=object)
        if ignore and bad is not None:
            out[bad.cpu().numpy()] = b""
        return out.reshape(out_shape)
    flat = params.reshape((n_slices, *p_shape[k:]))
    if n_slices == 0 and lin.numel():
        out = flat.new_zeros((lin.shape[0], *p_shape[k:]))
    else:
        out = flat[lin]
    if ignore and bad is not None:
        out = torch.where(bad.view((-1,) + (1,) * (out.dim() - 1)), torch.zeros_like(out), out)
    return out.reshape(out_shape)


def _scatter_nd_shape(op):
    indices, _, shape_t = op.inputs
    with_rank(op, shape_t.shape, 1)
    with_rank_at_least(op, indices.shape, 1)
    if shape_t.dtype.base_dtype is DType.int16 and constant_value(shape_t) is not None:
        # TF's MakeShapeFromShapeTensor reads only int32/int64 constants.
        raise shape_error(op, "Input tensor must be int32 or int64, but was int16")
    return [shape_from_shape_tensor(shape_t)]


def valid_empty_output(num_inputs: int, num_indices: int, num_updates: int) -> bool:
    """Either no indices and no updates, or all three non-empty."""
    if num_indices == 0 and num_updates == 0:
        return True
    return num_inputs != 0 and num_indices != 0 and num_updates != 0


@register_op(
    "ScatterNd",
    inputs=["indices: Tindices", "updates: T", "shape: Tindices"],
    outputs=["output: T"],
    attrs=["T: type", "Tindices: {int16, int32, int64}", 'bad_indices_policy: string = ""'],
    shape=_scatter_nd_shape,
)
def scatter_nd(indices, updates, shape, bad_indices_policy, node_name):
    out_shape = host_ints(shape)
    check_dims(out_shape)
    if indices.dim() < 1:
        raise invalid(f"Indices shape must have rank at least one. Found:{format_dims(indices.shape)}")
    if updates.dim() < 1:
        raise invalid(f"Updates shape must have rank at least one. Found:{format_dims(updates.shape)}")
    # TF's ValidEmptyOutputShape, first against the shape vector's length, later the output's size.
    if not valid_empty_output(len(out_shape), indices.numel(), updates.numel()):
        raise invalid("Indices and updates specified for empty output shape")
    k = indices.shape[-1]
    if k > len(out_shape):
        raise invalid(
            f"Dimensions [0,{k}) of indices[shape={format_dims(indices.shape)}] must match dimensions "
            f"[0,{k}) of updates[shape={format_dims(updates.shape)}]"
        )
    lin, bad = linear_index(indices, out_shape[:k], node_name, "shape")
    n_slices = int(np.prod(out_shape[:k], dtype=np.int64))
    slice_shape = tuple(out_shape[k:])
    expected = tuple(indices.shape[:-1]) + slice_shape
    if tuple(updates.shape) != expected:
        raise invalid(
            f"Dimensions [0,{indices.dim() - 1}) of indices[shape={format_dims(indices.shape)}] = "
            f"{format_dims(indices.shape[:-1])} must match dimensions [0,{updates.dim() - len(slice_shape)}) of "
            f"updates[shape={format_dims(updates.shape)}]"
        )
    if not valid_empty_output(int(np.prod(out_shape, dtype=np.int64)), indices.numel(), updates.numel()):
        raise invalid(f"Indices and updates specified for empty output.  indices shape: {format_dims(indices.shape)}")
    upd = updates.reshape((-1, *slice_shape))
    if bad is not None and bool(bad.any()):
        if bad_indices_policy != "IGNORE":
            first = int(torch.nonzero(bad)[0])
            vals = indices.reshape(-1, k)[first].tolist()
            raise invalid(
                f"indices[{first}] = [{', '.join(str(v) for v in vals)}] does not index into shape {format_dims(out_shape)}"
            )
        keep = ~bad
        lin, upd = lin[keep], upd[keep]
    base = upd.new_zeros((n_slices, *slice_shape))
    out = base.index_add(0, lin, upd) if upd.dtype != torch.bool else base.index_put((lin,), upd, accumulate=True)
    return out.reshape(out_shape)


@register_gradient("Gather")
def _gather_grad(op, grad):
    """IndexedSlices: the rows ``indices`` of a tensor shaped like ``params``."""
    params, indices = op.inputs
    with params.graph.colocate_with(params.op):
        params_shape = array_ops.shape(params)
    size = array_ops.expand_dims(array_ops.size(indices), 0)
    values_shape = array_ops.concat([size, params_shape[1:]], 0)
    values = array_ops.reshape(dense_gradient(grad), values_shape)
    indices = array_ops.reshape(indices, size)
    return [IndexedSlices(values, indices, params_shape), None]


def _batch_indices(params_shape, indices, batch_dims):
    """TF's ``_GetBatchIndices``: ``indices`` offset by each batch position's row in the flattened
    ``params``."""
    dtype = indices.dtype.base_dtype
    batch_indices = indices
    shape = raw_op("Cast", x=params_shape, DstT=dtype, name="Cast")
    accum = array_ops.ones((), dtype=dtype)
    for dim in range(batch_dims, 0, -1):
        dim_value = shape[dim - 1]
        accum = raw_op("Mul", x=accum, y=shape[dim], name="mul")
        start = array_ops.zeros((), dtype=dtype)
        step = array_ops.ones((), dtype=dtype)
        dim_indices = raw_op("Range", start=start, limit=dim_value, delta=step, name="range")
        dim_indices = raw_op("Mul", x=dim_indices, y=accum, name="mul")
        dim_shape = array_ops.concat(
            [
                array_ops.tile([1], [dim - 1]),
                [dim_value],
                array_ops.tile([1], [raw_op("Sub", x=array_ops.rank(indices), y=dim, name="sub")]),
            ],
            axis=0,
        )
        batch_indices = raw_op("AddV2", x=batch_indices, y=array_ops.reshape(dim_indices, dim_shape), name="add")
    return batch_indices


def _batch_gather_grad(params_shape, values, indices, batch_dims, gather_dim_size):
    """TF's ``_BatchGatherGrad``: a dense UnsortedSegmentSum of ``values`` into the gathered dim."""
    indices_size = array_ops.expand_dims(array_ops.size(indices), 0)
    if batch_dims:
        values_shape = array_ops.shape(values)
        outer_shape = values_shape[:batch_dims]
        inner_shape = values_shape[batch_dims:][1:]
        batch_size = raw_op("Prod", input=outer_shape, reduction_indices=[0], keep_dims=False)
        flat_values_shape = array_ops.concat([[-1], inner_shape], 0)
        gather_dim_size = raw_op("Mul", x=gather_dim_size, y=batch_size, name="mul")
        indices = _batch_indices(params_shape, indices, batch_dims)
        values = array_ops.reshape(dense_gradient(values), flat_values_shape)
    indices = array_ops.reshape(indices, indices_size)
    params_grad = raw_op("UnsortedSegmentSum", data=values, segment_ids=indices, num_segments=gather_dim_size)
    if batch_dims:
        params_grad = array_ops.reshape(params_grad, array_ops.concat([outer_shape, flat_values_shape], 0))
    return params_grad


@register_gradient("GatherV2")
def _gather_v2_grad(op, grad):
    """Axis 0: IndexedSlices rows of ``params``. Other axes (and batch_dims): move the gathered axis
    next to the batch dims, segment-sum, and transpose back."""
    params, indices, axis = op.inputs
    with params.graph.colocate_with(params.op):
        params_shape = array_ops.shape(params)
    indices_size = array_ops.expand_dims(array_ops.size(indices), 0)
    axis_static = tensor_util.constant_value(axis)
    batch_dims = int(op.get_attr("batch_dims"))
    if batch_dims < 0:
        if indices.shape.rank is None:
            raise ValueError(
                "Currently, it is unsupported to take the gradient of tf.gather when batch_dims < 0 and the rank of "
                "the indices is unknown. Please pass a positive batch_dims or use tf.ensure_shape to update the "
                f"shape of indices when calling tf.gather. Got batch_dims={batch_dims} and indices={indices}"
            )
        batch_dims += indices.shape.rank
    if axis_static is not None and int(axis_static) == 0:
        values_shape = array_ops.concat([indices_size, params_shape[1:]], 0)
        values = array_ops.reshape(dense_gradient(grad), values_shape)
        indices = array_ops.reshape(indices, indices_size)
        return [IndexedSlices(values, indices, params_shape), None, None]
    outer_shape = params_shape[:axis]
    inner_shape = params_shape[axis:][1:]
    values_shape = array_ops.concat([outer_shape, [-1], inner_shape], 0)
    values_dims = array_ops.size(values_shape)
    axis_dims = array_ops.size(outer_shape)
    outer_batches_indices = raw_op("Range", start=0, limit=batch_dims, delta=1, name="range")
    batch_axis_indices = raw_op("Range", start=batch_dims, limit=axis_dims, delta=1, name="range")
    inner_axes_indices = raw_op(
        "Range", start=raw_op("AddV2", x=axis_dims, y=1, name="add"), limit=values_dims, delta=1, name="range"
    )
    values = array_ops.reshape(dense_gradient(grad), values_shape)
    # Move values[axis] up to values[batch_dims].
    transpose_dims = array_ops.concat([outer_batches_indices, [axis_dims], batch_axis_indices, inner_axes_indices], 0)
    values_transpose = array_ops.transpose(values, transpose_dims)
    params_shape_transpose = array_ops.gather(params_shape, transpose_dims)
    params_grad = _batch_gather_grad(params_shape_transpose, values_transpose, indices, batch_dims, params_shape[axis])
    # Move dimension batch_dims back to axis.
    invert_transpose_dims = array_ops.concat(
        [
            outer_batches_indices,
            raw_op("AddV2", x=batch_axis_indices, y=1, name="add"),
            [batch_dims],
            inner_axes_indices,
        ],
        0,
    )
    params_grad = array_ops.transpose(params_grad, invert_transpose_dims)
    # Keeps the shape right when some dims are zero.
    params_grad = array_ops.reshape(params_grad, array_ops.shape(params))
    return [params_grad, None, None]


@register_gradient("GatherNd")
def _gather_nd_grad(op, grad):
    """ScatterNd of ``grad`` into ``params``' shape (IndexedSlices for [n, 1] row indices)."""
    ref, indices = op.inputs
    ref_shape = array_ops.shape(ref, out_type=indices.dtype.base_dtype)
    if indices.shape.rank == 2 and indices.shape.as_tuple()[-1] == 1:
        return [IndexedSlices(grad, array_ops.squeeze(indices, axis=-1), ref_shape), None]
    ref_grad = raw_op(
        "ScatterNd",
        indices=indices,
        updates=grad,
        shape=ref_shape,
        bad_indices_policy=op.get_attr("bad_indices_policy"),
    )
    return [ref_grad, None]


@register_gradient("ScatterNd")
def _scatter_nd_grad(op, grad):
    return [None, array_ops.gather_nd(grad, op.inputs[0]), None]


# ---------------------------------------------------------------------------------------------
# SparseToDense, OneHot


def _sparse_to_dense_shape(op):
    return [shape_from_shape_tensor(op.inputs[1])]


@register_op(
    "SparseToDense",
    inputs=["sparse_indices: Tindices", "output_shape: Tindices", "sparse_values: T", "default_value: T"],
    outputs=["dense: T"],
    attrs=["validate_indices: bool = true", "T: type", "Tindices: {int32, int64}"],
    shape=_sparse_to_dense_shape,
)
def sparse_to_dense(sparse_indices, output_shape, sparse_values, default_value, validate_indices):
    """TF's SparseToDense kernel: its checks in its order and wording, then the scatter."""
    idx = sparse_indices.long()
    if idx.dim() > 2:
        raise invalid(f"sparse_indices should be a scalar, vector, or matrix, got shape {format_dims(idx.shape)}")
    n = idx.shape[0] if idx.dim() > 0 else 1
    ndims = idx.shape[1] if idx.dim() == 2 else 1
    if output_shape.dim() != 1:
        raise invalid(f"output_shape must be rank 1, got shape {format_dims(output_shape.shape)}")
    dims = host_ints(output_shape)
    rank = len(dims)
    idx = idx.reshape(n, ndims)
    if ndims != rank:
        raise invalid(f"output_shape has incorrect number of elements: {rank} should be: {ndims}")
    nvals = sparse_values.size if is_np(sparse_values) else sparse_values.numel()
    scalar_values = sparse_values.ndim == 0
    if not scalar_values and (sparse_values.ndim != 1 or nvals != n):
        raise invalid(f"sparse_values has incorrect shape {format_dims(sparse_values.shape)}, should be [] or [{n}]")
    dsize = default_value.size if is_np(default_value) else default_value.numel()
    if default_value.ndim != 0 or dsize != 1:
        raise invalid("default_value should be a scalar.")
    if validate_indices and n:
        rows = idx.tolist()
        prev = None
        for i, row in enumerate(rows):
            if any(not 0 <= v < d for v, d in zip(row, dims)):
                raise invalid(
                    f"indices[{i}] = [{','.join(map(str, row))}] is out of bounds: need 0 <= index < {format_dims(dims)}"
                )
            if prev is not None:
                if row == prev:
                    raise invalid(f"indices[{i}] = [{','.join(map(str, row))}] is repeated")
                if row < prev:
                    raise invalid(
                        f"indices[{i}] = [{','.join(map(str, row))}] is out of order. Many sparse ops require sorted "
                        "indices.\n    Use `tf.sparse.reorder` to create a correctly ordered copy."
                    )
            prev = row
    elif n:
        limits = torch.tensor(dims, dtype=torch.long, device=idx.device)
        bad = ((idx < 0) | (idx >= limits)).any(dim=1)
        if bool(bad.any()):
            # without validation TF's scatter finds the bad index and says only this
            raise invalid(f"Indices are not valid (out of bounds).  Shape: {format_dims(dims)}")
    cols = tuple(idx[:, j] for j in range(rank))
    if is_np(default_value):
        out = np.empty(dims, dtype=object)
        out.fill(default_value.reshape(-1)[0])
        if n:
            out[tuple(c.cpu().numpy() for c in cols)] = sparse_values
        return out
    out = default_value.reshape(()).expand(dims).contiguous()
    if n == 0:
        return out
    values = sparse_values.expand(n) if scalar_values else sparse_values
    return out.index_put(cols, values)


def _one_hot_shape(op):
    indices, depth_t, on, off = op.inputs
    axis = op.get_attr("axis")
    with_rank(op, depth_t.shape, 0)
    with_rank(op, on.shape, 0)
    with_rank(op, off.shape, 0)
    if axis < -1:
        raise shape_error(op, f"axis must be >= -1, got {axis}")
    depth = scalar_dim(op, 1)
    if indices.shape.rank is None:
        return [unknown_shape()]
    dims = list(indices.shape.as_tuple())
    if axis >= 0 and axis > len(dims):
        raise shape_error(op, f"axis must be >= -1 and <= {len(dims)}, got {axis}")
    pos = len(dims) if axis == -1 else axis
    return [TensorShape([*dims[:pos], depth, *dims[pos:]])]


@register_op(
    "OneHot",
    inputs=["indices: TI", "depth: int32", "on_value: T", "off_value: T"],
    outputs=["output: T"],
    attrs=["axis: int = -1", "T: type", "TI: {uint8, int8, int32, int64} = DT_INT64"],
    shape=_one_hot_shape,
)
def one_hot(indices, depth, on_value, off_value, axis):
    rank = indices.dim()
    if not -1 <= axis <= rank:
        raise invalid(f"Expected axis to be -1 or between [0, {rank + 1}).  But received: {axis}")
    if depth.dim() != 0:
        raise invalid(f"depth must be a scalar, but got: {format_dims(depth.shape)}")
    d = int(depth)
    if d < 0:
        raise invalid(f"depth must be non-negative, got: {d}")
    for name, v in (("on_value", on_value), ("off_value", off_value)):
        if v.ndim != 0:
            raise invalid(f"{name} must be a scalar, but got: {format_dims(v.shape)}")
    pos = rank if axis == -1 else axis
    view = [1] * (rank + 1)
    view[pos] = d
    classes = torch.arange(d, device=indices.device).view(view)
    mask = indices.long().unsqueeze(pos) == classes
    if is_np(on_value):
        return np.where(mask.cpu().numpy(), on_value, off_value)
    return torch.where(mask, on_value, off_value)


not_differentiable("OneHot")


@register_gradient("SparseToDense")
def _sparse_to_dense_grad(op, grad):
    """Values: the gradient at their indices; default_value: the rest of the gradient's sum."""
    sparse_indices, output_shape = op.inputs[0], op.inputs[1]
    sparse_values_grad = array_ops.gather_nd(grad, sparse_indices)
    default_value_grad = raw_op("Sub", x=grad_reduce_sum(grad), y=grad_reduce_sum(sparse_values_grad), name="sub")
    return [
        array_ops.zeros_like(sparse_indices),
        array_ops.zeros_like(output_shape),
        sparse_values_grad,
        default_value_grad,
    ]


# ---------------------------------------------------------------------------------------------
# InvertPermutation, Unique, ListDiff, DynamicStitch, Where


def _vector_shape(op):
    return [with_rank(op, op.inputs[0].shape, 1)]


@register_op(
    "InvertPermutation",
    inputs=["x: T"],
    outputs=["y: T"],
    attrs=["T: {int32, int64} = DT_INT32"],
    shape=_vector_shape,
)
def invert_permutation(x):
    if x.dim() != 1:
        raise invalid("invert_permutation expects a 1D vector.")
    values = host_ints(x)
    n = len(values)
    inverse = [-1] * n
    for i, v in enumerate(values):
        if not 0 <= v < n:
            raise invalid(f"{v} is not between 0 and {n}")
        if inverse[v] != -1:
            raise invalid(f"{v} is duplicated in the input.")
        inverse[v] = i
    return torch.tensor(inverse, dtype=x.dtype, device=x.device)


not_differentiable("InvertPermutation")


def _unique_shape(op):
    x = with_rank(op, op.inputs[0].shape, 1)
    return [unknown_shape(1), x]


def _first_occurrence_unique(x):
    """(unique values in order of first appearance, index of each element's value) like TF's Unique."""
    if is_np(x):
        seen: dict = {}
        idx = [seen.setdefault(v, len(seen)) for v in x.tolist()]
        y = np.empty(len(seen), dtype=object)
        y[:] = list(seen)
        return y, torch.tensor(idx, dtype=torch.long)
    n = x.shape[0]
    if n == 0:
        return x, torch.zeros(0, dtype=torch.long, device=x.device)
    uniq, inverse = torch.unique(x, sorted=True, return_inverse=True)
    positions = torch.arange(n, device=x.device)
    first = torch.full((uniq.shape[0],), n, dtype=torch.long, device=x.device)
    first = first.scatter_reduce(0, inverse, positions, reduce="amin")
    order = torch.argsort(first)
    rank = torch.empty_like(order)
    rank[order] = torch.arange(order.shape[0], device=x.device)
    return uniq[order], rank[inverse]


@register_op(
    "Unique",
    inputs=["x: T"],
    outputs=["y: T", "idx: out_idx"],
    attrs=["T: type", "out_idx: {int32, int64} = DT_INT32"],
    shape=_unique_shape,
)
def unique(x, out_idx):
    if x.ndim != 1:
        raise invalid("unique expects a 1D vector.")
    y, idx = _first_occurrence_unique(x)
    return y, idx.to(out_idx.torch)


def _list_diff_shape(op):
    with_rank(op, op.inputs[0].shape, 1)
    with_rank(op, op.inputs[1].shape, 1)
    return [unknown_shape(1), unknown_shape(1)]


@register_op(
    "ListDiff",
    inputs=["x: T", "y: T"],
    outputs=["out: T", "idx: out_idx"],
    attrs=["T: type", "out_idx: {int32, int64} = DT_INT32"],
    shape=_list_diff_shape,
)
def list_diff(x, y, out_idx, device):
    if x.ndim != 1:
        raise invalid("x should be a 1D vector.")
    if y.ndim != 1:
        raise invalid("y should be a 1D vector.")
    if is_np(x):
        drop = set(y.tolist())
        keep = [i for i, v in enumerate(x.tolist()) if v not in drop]
        return x[keep], torch.tensor(keep, dtype=out_idx.torch, device=device)
    keep = torch.nonzero(~torch.isin(x, y)).reshape(-1)
    return x[keep], keep.to(out_idx.torch)


def _unique_with_counts_shape(op):
    x = with_rank(op, op.inputs[0].shape, 1)
    return [unknown_shape(1), x, unknown_shape(1)]


@register_op(
    "UniqueWithCounts",
    inputs=["x: T"],
    outputs=["y: T", "idx: out_idx", "count: out_idx"],
    attrs=["T: type", "out_idx: {int32, int64} = DT_INT32"],
    shape=_unique_with_counts_shape,
)
def unique_with_counts(x, out_idx):
    if x.ndim != 1:
        raise invalid("unique expects a 1D vector.")
    y, idx = _first_occurrence_unique(x)
    count = torch.bincount(idx, minlength=len(y)) if idx.numel() else torch.zeros(len(y), dtype=torch.long)
    return y, idx.to(out_idx.torch), count.to(out_idx.torch)


def _unique_v2_shape(op):
    """y: x's rank, dims unknown; idx: [x.shape[axis]] when the axis is known ([len(x)] for an empty axis)."""
    x = op.inputs[0].shape
    y = unknown_shape(x.rank) if x.rank is not None else unknown_shape()
    axis = constant_value(op.inputs[1])
    if axis is None or x.rank is None:
        return [y, unknown_shape(1)]
    axis = [int(a) for a in np.asarray(axis).reshape(-1)]
    if not axis:
        return [y, TensorShape([x.as_tuple()[0] if x.rank == 1 else None])]
    a = axis[0] + x.rank if axis[0] < 0 else axis[0]
    return [y, TensorShape([x.as_tuple()[a] if 0 <= a < x.rank else None])]


@register_op(
    "UniqueV2",
    inputs=["x: T", "axis: Taxis"],
    outputs=["y: T", "idx: out_idx"],
    attrs=["T: type", "Taxis: {int32, int64} = DT_INT64", "out_idx: {int32, int64} = DT_INT32"],
    shape=_unique_v2_shape,
)
def unique_v2(x, axis, out_idx):
    """Unique slices along ``axis`` (all of x, which must be a vector, when ``axis`` is empty), in order of
    first appearance."""
    if axis.dim() != 1:
        raise invalid("axis expects a 1D vector.")
    if axis.numel() > 1:
        raise invalid("axis does not support input tensors larger than 1 elements")
    if axis.numel() == 0:
        if x.ndim != 1:
            raise invalid("unique expects a 1D vector.")
        y, idx = _first_occurrence_unique(x)
        return y, idx.to(out_idx.torch)
    a = int(axis.reshape(-1)[0])
    a = a + x.ndim if a < 0 else a
    if not 0 <= a < x.ndim:
        raise invalid(f"axis has to be between [0, {x.ndim})")
    moved = np.moveaxis(x, a, 0) if is_np(x) else x.movedim(a, 0)
    rows = [tuple(r) for r in moved.reshape(moved.shape[0], -1).tolist()]
    seen: dict = {}
    idx = [seen.setdefault(r, len(seen)) for r in rows]
    first = {}
    for i, k in enumerate(idx):
        first.setdefault(k, i)
    keep = [first[k] for k in range(len(seen))]
    y = moved[keep] if is_np(moved) else moved.index_select(0, torch.tensor(keep, dtype=torch.long))
    y = np.moveaxis(y, 0, a) if is_np(y) else y.movedim(0, a).contiguous()
    return y, torch.tensor(idx, dtype=out_idx.torch)


# TF registers no gradient for the Unique ops and ListDiff: tf.gradients through them raises LookupError.
no_registered_gradient("Unique", "UniqueV2", "UniqueWithCounts", "ListDiff")


# ---------------------------------------------------------------------------------------------
# InplaceUpdate, InplaceAdd


def _inplace(x, i, v, add: bool):
    if x.dim() != v.dim():
        raise invalid(f"x and v shape doesn't match (ranks differ): {format_dims(x.shape)} vs. {format_dims(v.shape)}")
    for d in range(1, x.dim()):
        if x.shape[d] != v.shape[d]:
            raise invalid(
                f"x and v shape doesn't match at index {d} : {format_dims(x.shape)} vs. {format_dims(v.shape)}"
            )
    if i.dim() != 1 or (v.dim() and i.shape[0] != v.shape[0]):
        raise invalid(f"i and x shape doesn't match at index 0: {format_dims(i.shape)} vs. {format_dims(v.shape)}")
    rows = i.to(torch.int64)
    if rows.numel() and bool(((rows < 0) | (rows >= x.shape[0])).any()):
        bad = int(rows[(rows < 0) | (rows >= x.shape[0])][0])
        raise invalid(f"Index {bad} is out of range [0, {x.shape[0]})")
    y = x.clone()
    if add:
        y.index_add_(0, rows, v)
    else:
        y[rows] = v
    return y


@register_op(
    "InplaceUpdate",
    inputs=["x: T", "i: int32", "v: T"],
    outputs=["y: T"],
    attrs=["T: type"],
    shape=common_shapes.unchanged,
)
def inplace_update(x, i, v):
    return _inplace(x, i, v, add=False)


@register_op(
    "InplaceAdd",
    inputs=["x: T", "i: int32", "v: T"],
    outputs=["y: T"],
    attrs=["T: type"],
    shape=common_shapes.unchanged,
)
def inplace_add(x, i, v):
    return _inplace(x, i, v, add=True)


no_registered_gradient("InplaceUpdate", "InplaceAdd")


def _dynamic_stitch_shape(op):
    n = op.get_attr("N")
    indices, data = op.inputs[:n], op.inputs[n:]
    inner = None
    for idx, d in zip(indices, data):
        if idx.shape.rank is None or d.shape.rank is None:
            continue
        if d.shape.rank < idx.shape.rank:
            raise shape_error(op, f"Shape must be at least rank {idx.shape.rank} but is rank {d.shape.rank}")
        rest = TensorShape(list(d.shape.as_tuple()[idx.shape.rank :]))
        inner = rest if inner is None else merge_shapes(op, inner, rest)
    values = [constant_value(i) for i in indices]
    first = None
    if all(v is not None for v in values):
        first = max((int(v.max()) for v in values if v.size), default=-1) + 1
    if inner is None:
        return [unknown_shape()]
    return [TensorShape([first, *list(inner.as_tuple())])]


@register_op(
    "DynamicStitch",
    inputs=["indices: N * int32", "data: N * T"],
    outputs=["merged: T"],
    attrs=["N: int >= 1", "T: type"],
    shape=_dynamic_stitch_shape,
)
def dynamic_stitch(indices, data):
    inner = None
    flat_idx, flat_data = [], []
    for m, (idx, d) in enumerate(zip(indices, data)):
        ishape, dshape = tuple(idx.shape), tuple(d.shape)
        if dshape[: len(ishape)] != ishape:
            raise invalid(
                f"data[{m}].shape = {format_dims(dshape)} does not start with indices[{m}].shape = {format_dims(ishape)}"
            )
        rest = dshape[len(ishape) :]
        if inner is None:
            inner = rest
        elif rest != inner:
            raise invalid(
                f"Need data[{m}].shape[{len(ishape)}:] = {format_dims(rest)} to match data[0].shape[{len(indices[0].shape)}:] "
                f"= {format_dims(inner)}"
            )
        flat_idx.append(idx.reshape(-1).long())
        flat_data.append(d.reshape((-1, *rest)))
    all_idx = torch.cat(flat_idx)
    if bool((all_idx < 0).any()):
        bad = int(all_idx[all_idx < 0][0])
        raise invalid(f"indices[{bad}] is out of range")
    size = int(all_idx.max()) + 1 if all_idx.numel() else 0
    positions = torch.arange(all_idx.shape[0], device=all_idx.device)
    last = torch.full((size,), -1, dtype=torch.long, device=all_idx.device)
    last = last.scatter_reduce(0, all_idx, positions, reduce="amax")
    if is_np(data[0]):
        stacked = np.concatenate(flat_data) if flat_data else np.empty((0, *inner), dtype=object)
        out = np.empty((size, *inner), dtype=object)
        out.fill(b"")
        sel = last.cpu().numpy()
        have = sel >= 0
        out[have] = stacked[sel[have]]
        return out
    stacked = torch.cat(flat_data)
    picked = stacked[last.clamp(min=0)] if stacked.shape[0] else stacked.new_zeros((size, *inner))
    if bool((last < 0).any()):
        missing = (last < 0).view((-1,) + (1,) * len(inner))
        picked = torch.where(missing, torch.zeros_like(picked), picked)
    return picked


@register_op(
    "ParallelDynamicStitch",
    inputs=["indices: N * int32", "data: N * T"],
    outputs=["merged: T"],
    attrs=["N: int >= 1", "T: type"],
    shape=_dynamic_stitch_shape,
)
def parallel_dynamic_stitch(indices, data):
    """DynamicStitch whose indices are a partition (each index once, as DynamicPartition makes them)."""
    return dynamic_stitch(indices, data)


def _dynamic_partition_shape(op):
    n = op.get_attr("num_partitions")
    data, partitions = op.inputs[0].shape, op.inputs[1].shape
    if data.rank is None or partitions.rank is None:
        return [unknown_shape()] * n
    if data.rank < partitions.rank:
        raise shape_error(op, f"Shape must be at least rank {partitions.rank} but is rank {data.rank}")
    for i, (d, p) in enumerate(zip(data.as_tuple(), partitions.as_tuple())):
        if d is not None and p is not None and d != p:
            raise shape_error(op, f"Dimension {i} in both shapes must be equal, but are {d} and {p}")
    return [TensorShape([None, *data.as_tuple()[partitions.rank :]])] * n


@register_op(
    "DynamicPartition",
    inputs=["data: T", "partitions: int32"],
    outputs=["outputs: num_partitions * T"],
    attrs=["num_partitions: int >= 1", "T: type"],
    shape=_dynamic_partition_shape,
)
def dynamic_partition(data, partitions, num_partitions):
    """``outputs[i]``: the slices of ``data`` whose ``partitions`` entry is ``i``, in order."""
    if tuple(data.shape[: partitions.ndim]) != tuple(partitions.shape):
        raise invalid(
            f"data.shape must start with partitions.shape, got data.shape = {format_dims(tuple(data.shape))}, "
            f"partitions.shape = {format_dims(tuple(partitions.shape))}"
        )
    flat_p = partitions.reshape(-1)
    bad = flat_p[(flat_p < 0) | (flat_p >= num_partitions)]
    if bad.numel():
        index = int(torch.nonzero((flat_p < 0) | (flat_p >= num_partitions))[0])
        raise invalid(f"partitions[{index}] = {int(bad[0])} is not in [0, {num_partitions})")
    flat_data = data.reshape((-1, *data.shape[partitions.ndim :]))
    if is_np(data):
        p = flat_p.cpu().numpy() if isinstance(flat_p, torch.Tensor) else flat_p
        return [flat_data[p == i] for i in range(num_partitions)]
    return [flat_data[flat_p == i] for i in range(num_partitions)]


@register_gradient("DynamicPartition")
def _dynamic_partition_grad(op, *grads):
    """Stitches the partitions' gradients back into the data's layout."""
    data, indices = op.inputs
    num_partitions = op.get_attr("num_partitions")
    prefix_shape = array_ops.shape(indices)
    original_indices = array_ops.reshape(math_ops.range(math_ops.reduce_prod(prefix_shape)), prefix_shape)
    partitioned_indices = raw_op(
        "DynamicPartition", data=original_indices, partitions=indices, num_partitions=num_partitions
    )
    reconstructed = raw_op("ParallelDynamicStitch", indices=partitioned_indices, data=list(grads))
    return [array_ops.reshape(reconstructed, array_ops.shape(data)), None]


@register_gradient("ParallelDynamicStitch")
def _parallel_dynamic_stitch_grad(op, grad):
    return _dynamic_stitch_grad(op, grad)


@register_gradient("DynamicStitch")
def _dynamic_stitch_grad(op, grad):
    """Each data input gets the gradient rows its indices were stitched into."""
    n = op.get_attr("N")
    if is_indexed_slices(grad):
        output_rows = array_ops.shape(op.outputs[0])[0]
        grad = raw_op("UnsortedSegmentSum", data=grad.values, segment_ids=grad.indices, num_segments=output_rows)
    return [None] * n + [array_ops.gather(grad, op.inputs[i]) for i in range(n)]


def _where_shape(op):
    return [TensorShape([None, op.inputs[0].shape.rank])]


@register_op(
    "Where",
    inputs=["input: T"],
    outputs=["index: int64"],
    attrs=[
        "T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, "
        "quint16, uint16, complex128, half, uint32, uint64, bool} = DT_BOOL"
    ],
    shape=_where_shape,
)
def where(input):
    if input.dim() == 0:
        raise invalid("WhereOp : Unhandled input dimensions: 0")
    return torch.nonzero(input if input.dtype == torch.bool else input != 0)


# TF registers no gradient for Where (its output is int64 coordinates).
no_registered_gradient("Where")
