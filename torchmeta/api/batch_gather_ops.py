"""``tf.batch_gather`` (TF1, deprecated): TF's ``_batch_gather``, a gather from flattened batches whose
indices are offset per batch, node for node as TF builds it."""

from __future__ import annotations

from torchmeta.api import array_ops
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import name_scope
from torchmeta.framework.op_def_library import raw_op

__all__ = ["batch_gather"]


def batch_gather(params, indices, name=None):
    """``tf.batch_gather``: ``params[b..., indices[b..., i]]`` with every dimension of ``indices`` but the
    last a batch dimension.

    Raises:
      ValueError: for indices of unknown rank, or params of too small a rank.
    """
    with name_scope(name, "BatchGather", [params, indices]):
        indices = graph_lib.convert_to_tensor(indices, name="indices")
        params = graph_lib.convert_to_tensor(params, name="params")
        if indices.shape.ndims is None:
            raise ValueError("batch_gather does not allow indices with unknown shape.")
        return _batch_gather(params, indices, batch_dims=indices.shape.ndims - 1)


def _batch_gather(params, indices, batch_dims):
    indices = graph_lib.convert_to_tensor(indices, name="indices")
    params = graph_lib.convert_to_tensor(params, name="params")
    indices_ndims = indices.shape.ndims
    if batch_dims < 0:
        batch_dims += indices_ndims
    if batch_dims < 0 or batch_dims >= indices_ndims:
        raise ValueError(f"Argument `batch_dims` = {batch_dims} must be less than rank(`indices`) = {indices_ndims}")
    if params.shape.ndims is not None and batch_dims >= params.shape.ndims:
        raise ValueError(
            f"Argument `batch_dims` = {batch_dims} must be less than rank(`params`) = {params.shape.ndims}"
        )
    indices_shape = array_ops.shape(indices)
    params_shape = array_ops.shape(params)
    batch_indices = indices
    indices_dtype = indices.dtype.base_dtype
    accum_dim_value = array_ops.ones((), dtype=indices_dtype)
    casted_params_shape = raw_op("Cast", x=params_shape, DstT=indices_dtype, Truncate=False)
    for dim in range(batch_dims, 0, -1):
        dim_value = casted_params_shape[dim - 1]
        accum_dim_value *= casted_params_shape[dim]
        start = array_ops.zeros((), dtype=indices_dtype)
        step = array_ops.ones((), dtype=indices_dtype)
        dim_indices = raw_op("Range", start=start, limit=dim_value, delta=step)
        dim_indices *= accum_dim_value
        dim_shape = array_ops.stack([1] * (dim - 1) + [dim_value] + [1] * (indices_ndims - dim), axis=0)
        batch_indices += array_ops.reshape(dim_indices, dim_shape)
    flat_indices = array_ops.reshape(batch_indices, [-1])
    outer_shape = params_shape[batch_dims + 1 :]
    flat_inner_shape = raw_op("Prod", input=params_shape[: batch_dims + 1], reduction_indices=[0], keep_dims=False)
    flat_params = array_ops.reshape(params, array_ops.concat([[flat_inner_shape], outer_shape], axis=0))
    flat_result = array_ops.gather(flat_params, flat_indices)
    result = array_ops.reshape(flat_result, array_ops.concat([indices_shape, outer_shape], axis=0))
    final_shape = indices.shape[:batch_dims].merge_with(params.shape[:batch_dims])
    final_shape = final_shape.concatenate(indices.shape.dims[batch_dims:])
    final_shape = final_shape.concatenate(params.shape[batch_dims + 1 :])
    result.set_shape(final_shape)
    return result
