"""``tf.sparse`` (TF1 names too): SparseTensor placeholders, to_dense, reorder, reshape, concat, reduce_sum, the
sparse segment reductions and ``tf.nn.embedding_lookup_sparse``; graphs as TensorFlow 2.21 builds them."""

from __future__ import annotations

import collections.abc
import numbers

import numpy as np

from torchmeta.api import array_ops, check_ops, control_flow_ops, math_ops, nn_ops
from torchmeta.dtypes import DType
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import Tensor, convert_to_tensor, name_scope
from torchmeta.framework.indexed_slices import IndexedSlices
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.sparse_tensor import SparseTensor, SparseTensorValue
from torchmeta.framework.tensor_shape import TensorShape, dimension_value
from torchmeta.framework.tensor_util import constant_value, constant_value_as_shape

__all__ = [
    "sparse_retain",
    "sparse_fill_empty_rows",
    "sparse_slice",
    "from_dense",
    "sparse_expand_dims",
    "sparse_transpose",
    "sparse_placeholder",
    "sparse_tensor_to_dense",
    "sparse_reorder",
    "sparse_reshape",
    "sparse_concat",
    "sparse_reduce_sum",
    "sparse_segment_sum",
    "sparse_segment_mean",
    "sparse_segment_sqrt_n",
    "embedding_lookup_sparse",
    "sparse_tensor_dense_matmul",
    "sparse_reduce_max",
    "sparse_reduce_max_sparse",
    "sparse_reduce_sum_sparse",
    "sparse_add",
    "sparse_split",
    "sparse_softmax",
    "sparse_maximum",
    "sparse_minimum",
    "sparse_eye",
    "sparse_mask",
    "sparse_reset_shape",
    "sparse_merge",
    "sparse_to_indicator",
]


def _convert_to_sparse_tensor(sp_input) -> SparseTensor:
    if isinstance(sp_input, SparseTensorValue):
        return SparseTensor.from_value(sp_input)
    if not isinstance(sp_input, SparseTensor):
        raise TypeError("Input must be a SparseTensor.")
    return sp_input


def sparse_placeholder(dtype, shape=None, name=None):
    """``tf.sparse_placeholder``: a SparseTensor of three placeholders (``name/indices``, ``/values``, ``/shape``)."""
    shape_name = name + "/shape" if name is not None else None
    default_shape_name = name + "/shape_default" if name is not None else None
    if shape is None:
        rank = None
        dense_shape = array_ops.placeholder(DType.int64, shape=[rank], name=shape_name)
        dense_shape_default = constant_value_as_shape(dense_shape)
    else:
        if isinstance(shape, Tensor):
            rank = shape.shape[0]
            dense_shape_default = constant_value_as_shape(shape)
        else:
            rank = len(shape)
            dense_shape_default = TensorShape(tuple(None if dim == -1 else dim for dim in shape))
            shape = tuple(dimension_value(dim) for dim in shape)
            shape = tuple(-1 if dim is None else dim for dim in shape)
            shape = convert_to_tensor(shape, dtype=DType.int64, name=default_shape_name)
        dense_shape = array_ops.placeholder_with_default(shape, shape=shape.shape, name=shape_name)
    result = SparseTensor(
        values=array_ops.placeholder(dtype, shape=[None], name=name + "/values" if name is not None else None),
        indices=array_ops.placeholder(
            DType.int64, shape=[None, rank], name=name + "/indices" if name is not None else None
        ),
        dense_shape=dense_shape,
    )
    result.set_shape(dense_shape_default)
    return result


def sparse_tensor_to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """``tf.sparse.to_dense``: the dense tensor, ``default_value`` (zero) where no value is given."""
    sp_input = _convert_to_sparse_tensor(sp_input)
    if default_value is None:
        default_value = array_ops.zeros([], dtype=sp_input.dtype)
    return raw_op(
        "SparseToDense",
        sparse_indices=sp_input.indices,
        output_shape=sp_input.dense_shape,
        sparse_values=sp_input.values,
        default_value=default_value,
        validate_indices=validate_indices,
        name=name,
    )


def sparse_reorder(sp_input, name=None):
    """``tf.sparse.reorder``: the same SparseTensor with its entries in row-major order."""
    sp_input = _convert_to_sparse_tensor(sp_input)
    indices, values = raw_op(
        "SparseReorder",
        input_indices=sp_input.indices,
        input_values=sp_input.values,
        input_shape=sp_input.dense_shape,
        name=name,
    )
    if sp_input.shape.is_fully_defined():
        return SparseTensor(indices, values, sp_input.shape.as_list())
    output = SparseTensor(indices, values, array_ops.identity(sp_input.dense_shape))
    output.set_shape(sp_input.shape)
    return output


def sparse_reshape(sp_input, shape, name=None):
    """``tf.sparse.reshape``: the same entries in a dense shape of as many elements (one -1 inferred), as
    TF's sparse_ops.sparse_reshape builds it (SparseReshape, the values through an Identity, a constant
    shape when both shapes are known statically, and TF's ValueErrors for shapes that cannot match)."""
    sp_input = _convert_to_sparse_tensor(sp_input)
    shape = math_ops.cast(shape, dtype=DType.int64)
    with name_scope(name, "SparseReshape", [sp_input]) as scope:
        reshaped_ind, reshaped_shape = raw_op(
            "SparseReshape",
            input_indices=sp_input.indices,
            input_shape=sp_input.dense_shape,
            new_shape=shape,
            name=scope,
        )
        reshaped_const = constant_value_as_shape(shape)
        reshaped_const = reshaped_const.as_list() if reshaped_const.ndims is not None else None
        if reshaped_const is not None and sp_input.shape.is_fully_defined():
            by_user = constant_value(shape)
            if by_user is not None:
                n_implied_by_user = sum(d == -1 for d in np.asarray(by_user).reshape(-1).tolist())
                if n_implied_by_user > 1:
                    raise ValueError(f"At most one dimension can be inferred (-1). Found: {by_user}")
            original = list(reshaped_const)
            in_size = int(np.prod(sp_input.shape.as_list()))
            n_implied = sum(d is None for d in reshaped_const)
            if n_implied == 1 and 0 not in reshaped_const:
                implied = original.index(None)
                rest = original[:implied] + original[implied + 1 :]
                reshaped_const[implied] = int(in_size // np.prod(rest))
            if n_implied == 0 or (n_implied == 1 and 0 not in reshaped_const):
                reshaped_size = int(np.prod(reshaped_const))
                if reshaped_size != in_size:
                    raise ValueError(
                        f"Cannot reshape a tensor with {in_size} elements to shape {original} "
                        f"({reshaped_size} elements)."
                    )
                reshaped_shape = constant(reshaped_const, dtype=DType.int64)
        return SparseTensor(reshaped_ind, array_ops.identity(sp_input.values), reshaped_shape)


def sparse_concat(axis, sp_inputs, name=None, expand_nonconcat_dim=False, concat_dim=None, expand_nonconcat_dims=None):
    """``tf.sparse.concat`` (TF1 signature): concatenates SparseTensors along ``axis``.

    Raises:
      TypeError: if the inputs are not SparseTensors.
      ValueError: for ``expand_nonconcat_dim=True`` (not supported).
    """
    if expand_nonconcat_dims is not None:
        expand_nonconcat_dim = expand_nonconcat_dims
    if concat_dim is not None:
        axis = concat_dim
    if expand_nonconcat_dim:
        raise ValueError("sparse_concat(expand_nonconcat_dim=True) is not supported by torchmeta")
    if not isinstance(sp_inputs, (list, tuple)):
        raise TypeError("Inputs must be a list or tuple.")
    sp_inputs = [_convert_to_sparse_tensor(s) for s in sp_inputs]
    if len(sp_inputs) == 1:
        return sp_inputs[0]
    output_ind, output_val, output_shape = raw_op(
        "SparseConcat",
        indices=[s.indices for s in sp_inputs],
        values=[s.values for s in sp_inputs],
        shapes=[s.dense_shape for s in sp_inputs],
        concat_dim=axis,
        name=name,
    )
    input_shapes = [s.shape for s in sp_inputs]
    if all(shape.rank is not None for shape in input_shapes):
        static = input_shapes[0].as_list()
        dims = [shape.as_list()[axis] for shape in input_shapes]
        static[axis] = None if any(d is None for d in dims) else sum(dims)
    else:
        static = None
    if all(shape.is_fully_defined() for shape in input_shapes):
        return SparseTensor(output_ind, output_val, convert_to_tensor(static, dtype=DType.int64))
    output = SparseTensor(output_ind, output_val, output_shape)
    output.set_shape(TensorShape(static))
    return output


def _reduction_dims(sp_input, axis):
    if axis is not None:
        return axis
    rank = sp_input.dense_shape.shape.dims[0].value if sp_input.dense_shape.shape.is_fully_defined() else None
    if rank:
        return constant(np.arange(rank, dtype=np.int32))
    return math_ops.range(0, raw_op("Size", input=sp_input.dense_shape, out_type=DType.int32, name="Rank"))


def sparse_reduce_sum(sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None):
    """``tf.sparse.reduce_sum`` (TF1): the dense sum over ``axis`` (all axes by default)."""
    if keep_dims is not None:
        keepdims = keep_dims
    if reduction_axes is not None:
        axis = reduction_axes
    return raw_op(
        "SparseReduceSum",
        input_indices=sp_input.indices,
        input_values=sp_input.values,
        input_shape=sp_input.dense_shape,
        reduction_axes=_reduction_dims(sp_input, axis),
        keep_dims=bool(keepdims),
    )


def _sparse_reduction(op_type, sp_input, axis, keepdims, reduction_axes, keep_dims):
    if keep_dims is not None:
        keepdims = keep_dims
    if reduction_axes is not None:
        axis = reduction_axes
    return raw_op(
        op_type,
        input_indices=sp_input.indices,
        input_values=sp_input.values,
        input_shape=sp_input.dense_shape,
        reduction_axes=_reduction_dims(sp_input, axis),
        keep_dims=bool(keepdims),
    )


def sparse_reduce_max(sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None):
    """``tf.sparse.reduce_max`` (TF1): the dense max of the entries over ``axis`` (implicit zeros do not count;
    a position without entries is 0)."""
    return _sparse_reduction("SparseReduceMax", sp_input, axis, keepdims, reduction_axes, keep_dims)


def sparse_reduce_max_sparse(sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None):
    """``tf.sparse.reduce_max_sparse``: sparse_reduce_max as a SparseTensor of the positions with entries."""
    out = _sparse_reduction("SparseReduceMaxSparse", sp_input, axis, keepdims, reduction_axes, keep_dims)
    return SparseTensor(*out)


def sparse_reduce_sum_sparse(sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None):
    """``tf.sparse.reduce_sum_sparse``: sparse_reduce_sum as a SparseTensor of the positions with entries."""
    out = _sparse_reduction("SparseReduceSumSparse", sp_input, axis, keepdims, reduction_axes, keep_dims)
    return SparseTensor(*out)


def _segment(op_type: str, doc: str):
    def fn(data, indices, segment_ids, name=None, num_segments=None, sparse_gradient=False):
        if num_segments is not None:
            return raw_op(
                op_type + "WithNumSegments",
                data=data,
                indices=indices,
                segment_ids=segment_ids,
                num_segments=num_segments,
                sparse_gradient=sparse_gradient,
                name=name,
            )
        return raw_op(
            op_type, data=data, indices=indices, segment_ids=segment_ids, sparse_gradient=sparse_gradient, name=name
        )

    fn.__doc__ = doc
    return fn


sparse_segment_sum = _segment("SparseSegmentSum", "``tf.sparse.segment_sum``: sums of ``data[indices]`` per segment.")
sparse_segment_mean = _segment(
    "SparseSegmentMean", "``tf.sparse.segment_mean``: means of ``data[indices]`` per segment."
)
sparse_segment_sqrt_n = _segment(
    "SparseSegmentSqrtN", "``tf.sparse.segment_sqrt_n``: sums of ``data[indices]`` per segment over sqrt(count)."
)


def embedding_lookup_sparse(
    params,
    sp_ids,
    sp_weights,
    partition_strategy="mod",
    name=None,
    combiner=None,
    max_norm=None,
    allow_fast_lookup=False,
):
    """``tf.nn.embedding_lookup_sparse`` (TF1): combined embeddings of each row's ids (optionally weighted).

    Raises:
      ValueError: for an unknown ``combiner``.
      TypeError: if ``sp_ids``/``sp_weights`` are not SparseTensors.
    """
    if combiner is None:
        combiner = "mean"
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {combiner}")
    if isinstance(params, tuple):
        params = list(params)
    if not isinstance(params, list):
        params = [params]
    if not isinstance(sp_ids, SparseTensor):
        raise TypeError(f"sp_ids must be SparseTensor, got {type(sp_ids)}")
    ignore_weights = sp_weights is None
    if not ignore_weights:
        if not isinstance(sp_weights, SparseTensor):
            raise TypeError(f"sp_weights must be either None or SparseTensor,got {type(sp_weights)}")
        sp_ids.values.shape.assert_is_compatible_with(sp_weights.values.shape)
        sp_ids.indices.shape.assert_is_compatible_with(sp_weights.indices.shape)
        sp_ids.dense_shape.shape.assert_is_compatible_with(sp_weights.dense_shape.shape)
    with name_scope(name, "embedding_lookup_sparse", [*params, sp_ids]) as name:
        segment_ids = sp_ids.indices[:, 0]
        ids = sp_ids.values
        return _embedding_lookup_sparse_impl(
            params,
            segment_ids,
            sp_weights,
            ids,
            combiner,
            ignore_weights,
            max_norm,
            allow_fast_lookup,
            partition_strategy,
            name,
        )


def _embedding_lookup_sparse_impl(
    params,
    segment_ids,
    sp_weights,
    ids,
    combiner,
    ignore_weights,
    max_norm,
    allow_fast_lookup,
    partition_strategy,
    name,
):
    need_sparse_segment_gradient = False
    segment_ids = convert_to_tensor(segment_ids, name="segment_ids")
    if len(params) == 1 and not isinstance(params[0], Tensor):
        params = [convert_to_tensor(params[0], name="params")]
    if (
        len(params) == 1
        and params[0].device == segment_ids.device
        and max_norm is None
        and (allow_fast_lookup or ignore_weights)
    ):
        idx = ids
        embeddings = params[0]
        if not allow_fast_lookup:
            need_sparse_segment_gradient = True
    else:
        ids, idx = array_ops.unique(ids)
        embeddings = nn_ops.embedding_lookup(params, ids, partition_strategy=partition_strategy, max_norm=max_norm)
    if not ignore_weights:
        if segment_ids.dtype.base_dtype is not DType.int32:
            segment_ids = math_ops.cast(segment_ids, DType.int32)
        weights = sp_weights.values
        embeddings = array_ops.gather(embeddings, idx)
        original_dtype = embeddings.dtype.base_dtype
        if original_dtype in (DType.float16, DType.bfloat16):
            embeddings = math_ops.cast(embeddings, DType.float32)
        if weights.dtype.base_dtype is not embeddings.dtype.base_dtype:
            weights = math_ops.cast(weights, embeddings.dtype)
        ones_shape = array_ops.expand_dims(array_ops.rank(embeddings) - 1, 0)
        weights_shape = array_ops.shape(weights)
        ones = array_ops.ones(ones_shape, dtype=weights_shape.dtype)
        bcast_weights_shape = array_ops.concat([weights_shape, ones], 0)
        orig_weights_shape = weights.shape
        weights = array_ops.reshape(weights, bcast_weights_shape)
        if embeddings.shape.rank is not None:
            weights.set_shape(orig_weights_shape.concatenate([1] * (embeddings.shape.rank - 1)))
        embeddings *= weights
        if combiner == "sum":
            embeddings = math_ops.segment_sum(embeddings, segment_ids, name=name)
        elif combiner == "mean":
            embeddings = math_ops.segment_sum(embeddings, segment_ids)
            weight_sum = math_ops.segment_sum(weights, segment_ids)
            embeddings = math_ops.div_no_nan(embeddings, weight_sum, name=name)
        else:
            embeddings = math_ops.segment_sum(embeddings, segment_ids)
            weights_squared = math_ops.pow(weights, 2)
            weight_sum = math_ops.segment_sum(weights_squared, segment_ids)
            weight_sum_sqrt = math_ops.sqrt(weight_sum)
            embeddings = math_ops.div_no_nan(embeddings, weight_sum_sqrt, name=name)
        if embeddings.dtype.base_dtype is not original_dtype:
            embeddings = math_ops.cast(embeddings, original_dtype)
        return embeddings
    if segment_ids.dtype.base_dtype not in (DType.int32, DType.int64):
        segment_ids = math_ops.cast(segment_ids, DType.int32)
    fn = {"sum": sparse_segment_sum, "mean": sparse_segment_mean, "sqrtn": sparse_segment_sqrt_n}[combiner]
    return fn(embeddings, idx, segment_ids, name=name, sparse_gradient=need_sparse_segment_gradient)


def sparse_retain(sp_input, to_retain):
    """``tf.sparse_retain``: the entries of ``sp_input`` where the bool vector ``to_retain`` is True.

    Raises:
      ValueError: ``to_retain`` is not a vector, or its length differs from the number of values.
    """
    if isinstance(sp_input, SparseTensorValue):
        sp_input = SparseTensor.from_value(sp_input)
    to_retain = convert_to_tensor(to_retain)
    retain_shape = to_retain.shape
    retain_shape.assert_has_rank(1)
    if sp_input.values.shape.rank is not None:
        sp_input.values.shape[0].assert_is_compatible_with(retain_shape[0])
    where_true = array_ops.reshape(array_ops.where(to_retain), [-1])
    new_indices = array_ops.gather(sp_input.indices, where_true)
    new_values = array_ops.gather(sp_input.values, where_true)
    return SparseTensor(new_indices, new_values, array_ops.identity(sp_input.dense_shape))


def sparse_fill_empty_rows(sp_input, default_value, name=None):
    """``tf.sparse.fill_empty_rows``: each empty row of the 2-D ``sp_input`` gets ``default_value`` at column 0.

    Returns:
      (the filled SparseTensor, in row-major order, with the input's dense shape; a bool vector marking the rows
      that were empty).

    Raises:
      TypeError: ``sp_input`` is not a SparseTensor.
    """
    sp_input = _convert_to_sparse_tensor(sp_input)
    with name_scope(name, "SparseFillEmptyRows", [sp_input]):
        default_value = convert_to_tensor(default_value, dtype=sp_input.values.dtype)
        output_indices, output_values, empty_row_indicator, _ = raw_op(
            "SparseFillEmptyRows",
            indices=sp_input.indices,
            values=sp_input.values,
            dense_shape=sp_input.dense_shape,
            default_value=default_value,
        )
        return SparseTensor(output_indices, output_values, sp_input.dense_shape), empty_row_indicator


def sparse_slice(sp_input, start, size, name=None):
    """``tf.sparse.slice``: the entries of ``sp_input`` in the box ``[start, start + size)``, re-based to ``start``.

    Raises:
      TypeError: ``sp_input`` is not a SparseTensor.
    """
    sp_input = _convert_to_sparse_tensor(sp_input)
    start = convert_to_tensor(start, DType.int64)
    size = convert_to_tensor(size, DType.int64)
    with name_scope(name, "SparseSlice", [sp_input]) as name:
        output_indices, output_values, output_shape = raw_op(
            "SparseSlice",
            indices=sp_input.indices,
            values=sp_input.values,
            shape=sp_input.dense_shape,
            start=start,
            size=size,
            name=name,
        )
        return SparseTensor(output_indices, output_values, output_shape)


def from_dense(tensor, name=None):
    """``tf.sparse.from_dense``: the non-zero elements of ``tensor`` as a SparseTensor."""
    with name_scope(name, "dense_to_sparse"):
        tensor = convert_to_tensor(tensor)
        indices = array_ops.where_v2(math_ops.not_equal(tensor, array_ops.zeros_like(tensor)))
        values = array_ops.gather_nd(tensor, indices)
        shape = array_ops.shape(tensor, out_type=DType.int64)
        return SparseTensor(indices, values, shape)


def sparse_expand_dims(sp_input, axis=None, name=None):
    """``tf.sparse.expand_dims``: a size-1 dimension inserted at ``axis`` (-1: last).

    Raises:
      TypeError: ``axis`` is neither an int nor a Tensor.
    """
    rank = sp_input.dense_shape.shape.as_tuple()[0] if sp_input.dense_shape.shape.rank else None
    if rank is None:
        rank = array_ops.shape(sp_input.dense_shape)[0]
    axis = -1 if axis is None else axis
    with name_scope(name, default_name="expand_dims", values=[sp_input]):
        if isinstance(axis, (int, np.integer)):
            axis = convert_to_tensor(axis, name="axis", dtype=DType.int32)
        elif not isinstance(axis, Tensor):
            raise TypeError("axis must be an integer value in range [-rank(sp_input) - 1, rank(sp_input)]")
        axis = array_ops.where_v2(axis >= 0, axis, axis + rank + 1)
        column_size = array_ops.shape(sp_input.indices)[0]
        new_index = array_ops.zeros([column_size, 1], dtype=DType.int64)
        indices_before = array_ops.slice(sp_input.indices, [0, 0], [-1, axis])
        indices_after = array_ops.slice(sp_input.indices, [0, axis], [-1, -1])
        indices = array_ops.concat([indices_before, new_index, indices_after], axis=1)
        shape_before = array_ops.slice(sp_input.dense_shape, [0], [axis])
        shape_after = array_ops.slice(sp_input.dense_shape, [axis], [-1])
        new_shape = convert_to_tensor([1], name="new_shape", dtype=DType.int64)
        shape = array_ops.concat([shape_before, new_shape, shape_after], axis=0)
        return SparseTensor(indices=indices, values=sp_input.values, dense_shape=shape)


def sparse_transpose(sp_input, perm=None, name=None):
    """``tf.sparse.transpose``: dimensions permuted by ``perm`` (reversed by default), entries reordered."""
    with name_scope(name, "SparseTranspose", [sp_input]) as name:
        if perm is None:
            if sp_input.shape.rank is not None:
                rank = sp_input.shape.rank
                perm = (rank - 1) - np.arange(0, rank, 1)
            else:
                rank = array_ops.rank(sp_input)
                perm = (rank - 1) - math_ops.range(0, rank, 1)
        indices = sp_input.indices
        transposed_indices = array_ops.transpose(array_ops.gather(array_ops.transpose(indices), perm))
        perm_ = constant_value(convert_to_tensor(perm))
        if perm_ is not None and sp_input.get_shape().is_fully_defined():
            old_shape_ = sp_input.get_shape().as_list()
            transposed_dense_shape = list(old_shape_)
            for i, p in enumerate(perm_):
                transposed_dense_shape[i] = old_shape_[p]
        else:
            transposed_dense_shape = array_ops.gather(sp_input.dense_shape, perm)
        transposed_st = SparseTensor(transposed_indices, sp_input.values, transposed_dense_shape)
        return sparse_reorder(transposed_st)


def sparse_tensor_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None):
    """``tf.sparse.sparse_dense_matmul`` / ``tf.sparse_tensor_dense_matmul``: ``sp_a @ b`` (either operand may
    be the SparseTensor; the other is dense), optionally adjoint, as TF's SparseTensorDenseMatMul."""
    if isinstance(b, (SparseTensor, SparseTensorValue)):
        if adjoint_a != adjoint_b:
            return array_ops.transpose(sparse_tensor_dense_matmul(b, sp_a, adjoint_a, adjoint_b))
        return array_ops.transpose(
            sparse_tensor_dense_matmul(b, sp_a, adjoint_a=not adjoint_a, adjoint_b=not adjoint_b)
        )
    sp_a = _convert_to_sparse_tensor(sp_a)
    with name_scope(name, "SparseTensorDenseMatMul", [sp_a.indices, sp_a.values, b]) as name:
        b = convert_to_tensor(b, name="b")
        return raw_op(
            "SparseTensorDenseMatMul",
            a_indices=sp_a.indices,
            a_values=sp_a.values,
            a_shape=sp_a.dense_shape,
            b=b,
            adjoint_a=adjoint_a,
            adjoint_b=adjoint_b,
        )


def _make_int64_tensor(value, name):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return convert_to_tensor(value, name=name, dtype=DType.int64)
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be an integer value")
    if value.dtype == DType.int64:
        return value
    return math_ops.cast(value, DType.int64)


def sparse_eye(num_rows, num_columns=None, dtype=DType.float32, name=None):
    """``tf.sparse.eye``: a SparseTensor with ones on the diagonal of a ``[num_rows, num_columns]`` matrix."""
    with name_scope(name, default_name="eye", values=[num_rows, num_columns]):
        num_rows = _make_int64_tensor(num_rows, "num_rows")
        num_columns = num_rows if num_columns is None else _make_int64_tensor(num_columns, "num_columns")
        diag_size = math_ops.minimum(num_rows, num_columns)
        diag_range = math_ops.range(diag_size, dtype=DType.int64)
        return SparseTensor(
            indices=array_ops.stack([diag_range, diag_range], axis=1),
            values=array_ops.ones(diag_size, dtype=dtype),
            dense_shape=[num_rows, num_columns],
        )


def sparse_mask(a, mask_indices, name=None):
    """``tf.sparse.mask``: the IndexedSlices ``a`` without the slices whose indices are in ``mask_indices``."""
    with name_scope(name, "sparse_mask", [a, mask_indices]) as name:
        indices = a.indices
        out_indices, to_gather = raw_op("ListDiff", x=indices, y=mask_indices)
        out_values = array_ops.gather(a.values, to_gather, name=name)
        return IndexedSlices(out_values, out_indices, a.dense_shape)


def sparse_reset_shape(sp_input, new_shape=None):
    """``tf.sparse.reset_shape``: the same entries with ``new_shape`` (which may not be smaller), or the tight
    bounding box of the indices when None.

    Raises:
      ValueError: a static ``new_shape`` smaller than a static input shape, or of another rank.
    """
    sp_input = _convert_to_sparse_tensor(sp_input)
    in_indices = array_ops.identity(sp_input.indices)
    in_values = array_ops.identity(sp_input.values)
    in_shape = array_ops.identity(sp_input.dense_shape)
    if new_shape is None:
        dim_low_bound = math_ops.reduce_max(in_indices, axis=0)
        output_shape_tensor = math_ops.maximum(
            constant(0, dtype=DType.int64), math_ops.add(dim_low_bound, array_ops.ones_like(in_shape))
        )
    else:
        output_shape_tensor = convert_to_tensor(new_shape)
        output_shape_tensor.get_shape().assert_has_rank(1)
        output_shape_tensor = math_ops.cast(output_shape_tensor, DType.int64)
        if output_shape_tensor.get_shape().rank is not None:
            output_shape_tensor.get_shape().dims[0].assert_is_compatible_with(in_shape.get_shape().dims[0])
        output_shape_tensor_const = constant_value(output_shape_tensor)
        if output_shape_tensor_const is not None and sp_input.get_shape().is_fully_defined():
            in_shape_const = np.array(sp_input.get_shape().as_list())
            if not np.all(in_shape_const <= output_shape_tensor_const):
                raise ValueError(
                    "Requested new_shape should have dimension sizes >= sp_input.shape.  Found new_shape "
                    f"({in_shape_const}), sp_input.shape ({output_shape_tensor_const})."
                )
            output_shape_tensor = output_shape_tensor_const
        else:
            output_shape_tensor = control_flow_ops.with_dependencies(
                [check_ops.assert_equal(array_ops.shape(in_shape), array_ops.shape(output_shape_tensor))],
                output_shape_tensor,
            )
            output_shape_tensor = control_flow_ops.with_dependencies(
                [check_ops.assert_less_equal(in_shape, output_shape_tensor)], output_shape_tensor
            )
    return SparseTensor(in_indices, in_values, output_shape_tensor)


def sparse_merge(sp_ids, sp_values, vocab_size, name=None, already_sorted=False):
    """``tf.sparse.merge`` (deprecated in TF): ids and values SparseTensors as one SparseTensor whose last
    dimension is indexed by the ids (one id column per ``sp_ids`` entry)."""
    if isinstance(sp_ids, (SparseTensorValue, SparseTensor)):
        sp_ids = [sp_ids]
        if not isinstance(vocab_size, (Tensor, numbers.Integral)):
            raise TypeError(f"vocab_size has to be a Tensor or Python int. Found {type(vocab_size)}")
        vocab_size = [vocab_size]
    else:
        if not isinstance(sp_ids, collections.abc.Iterable):
            raise TypeError(f"sp_ids has to be a SparseTensor or list thereof. Found {type(sp_ids)}")
        if not isinstance(vocab_size, collections.abc.Iterable):
            raise TypeError(f"vocab_size has to be a list of Tensors or Python ints. Found {type(vocab_size)}")
        for dim in vocab_size:
            if not isinstance(dim, (Tensor, numbers.Integral)):
                raise TypeError(f"vocab_size has to be a list of Tensors or Python ints. Found {type(dim)}")
    if len(sp_ids) != len(vocab_size):
        raise ValueError("sp_ids and vocab_size have to have equal lengths.")
    with name_scope(name, "SparseMerge", [sp_ids, sp_values]):
        sp_ids = [_convert_to_sparse_tensor(sp_ids_dim) for sp_ids_dim in sp_ids]
        sp_values = _convert_to_sparse_tensor(sp_values)
        ids = []
        for sp_ids_dim in sp_ids:
            ids_dim = sp_ids_dim.values
            if sp_ids_dim.dtype != DType.int64:
                ids_dim = math_ops.cast(ids_dim, DType.int64)
            ids += [array_ops.expand_dims(ids_dim, axis=1)]
        vocab_size = [math_ops.cast(x, DType.int64) for x in vocab_size]
        indices_columns_to_preserve = sp_ids[0].indices[:, :-1]
        new_indices = array_ops.concat([indices_columns_to_preserve, *ids], 1)
        new_values = sp_values.values
        new_shape = array_ops.concat([sp_ids[0].dense_shape[:-1], vocab_size], 0)
        result = SparseTensor(new_indices, new_values, new_shape)
        if already_sorted:
            return result
        sorted_result = sparse_reorder(result)
        return SparseTensor(sorted_result.indices, sorted_result.values, new_shape)


def sparse_to_indicator(sp_input, vocab_size, name=None):
    """``tf.sparse.to_indicator``: a dense bool tensor, True at ``[..., id]`` for each id in a row's values."""
    sp_input = _convert_to_sparse_tensor(sp_input)
    with name_scope(name, "SparseToIndicator", [sp_input]) as name:
        num_entries = array_ops.shape(sp_input.indices)[0]
        new_values = array_ops.fill(array_ops.expand_dims(num_entries, 0), True)
        sp_values = SparseTensor(sp_input.indices, new_values, sp_input.dense_shape)
        sp_new = sparse_merge(sp_input, sp_values, vocab_size, name)
        return sparse_tensor_to_dense(sp_new, default_value=False, validate_indices=False, name=name)


def sparse_softmax(sp_input, name=None):
    """``tf.sparse.softmax``: a softmax over each row's entries along the last dimension (implicit entries
    take no part); the input in canonical order, as TF requires."""
    with name_scope(name, "SparseSoftmax", [sp_input.indices, sp_input.values]) as name:
        out_vals = raw_op(
            "SparseSoftmax", sp_indices=sp_input.indices, sp_values=sp_input.values, sp_shape=sp_input.dense_shape
        )
        return SparseTensor(sp_input.indices, out_vals, sp_input.dense_shape)


def _sparse_sparse(op_type, sp_a, sp_b, name):
    with name_scope(name, op_type, [sp_a.indices, sp_a.values, sp_b.indices, sp_b.values]) as name:
        out_indices, out_values = raw_op(
            op_type,
            a_indices=sp_a.indices,
            a_values=sp_a.values,
            a_shape=sp_a.dense_shape,
            b_indices=sp_b.indices,
            b_values=sp_b.values,
            b_shape=sp_b.dense_shape,
            name=name,
        )
    return SparseTensor(out_indices, out_values, sp_a.dense_shape)


def sparse_maximum(sp_a, sp_b, name=None):
    """``tf.sparse.maximum``: the elementwise max of two same-shaped SparseTensors (missing entries are 0)."""
    return _sparse_sparse("SparseSparseMaximum", sp_a, sp_b, name)


def sparse_minimum(sp_a, sp_b, name=None):
    """``tf.sparse.minimum``: the elementwise min of two same-shaped SparseTensors (missing entries are 0)."""
    return _sparse_sparse("SparseSparseMinimum", sp_a, sp_b, name)


def sparse_add(a, b, threshold=None, thresh=None):
    """``tf.sparse.add`` (TF1): SparseTensor + SparseTensor (a SparseTensor; sums of two entries with
    ``|sum| < threshold`` dropped) or SparseTensor + dense (a dense Tensor).

    Raises:
      TypeError: neither operand is a SparseTensor (TF's wording).
    """
    if threshold is None:
        threshold = thresh if thresh is not None else 0
    sparse_classes = (SparseTensor, SparseTensorValue)
    if not any(isinstance(inp, sparse_classes) for inp in [a, b]):
        raise TypeError("At least one input should be SparseTensor; do you mean to use tf.add()?")
    if all(isinstance(inp, sparse_classes) for inp in [a, b]):
        a = _convert_to_sparse_tensor(a)
        b = _convert_to_sparse_tensor(b)
        threshold = convert_to_tensor(threshold, dtype=a.values.dtype.real_dtype.base_dtype, name="threshold")
        output_ind, output_val, output_shape = raw_op(
            "SparseAdd",
            a_indices=a.indices,
            a_values=a.values,
            a_shape=a.dense_shape,
            b_indices=b.indices,
            b_values=b.values,
            b_shape=b.dense_shape,
            thresh=threshold,
        )
        a.get_shape().assert_is_compatible_with(b.get_shape())
        static_shape = array_ops.broadcast_static_shape(a.get_shape(), b.get_shape())
        if static_shape.is_fully_defined():
            output_shape = static_shape.as_list()
        return SparseTensor(output_ind, output_val, output_shape)
    if isinstance(b, sparse_classes):
        a, b = b, a
    return raw_op("SparseTensorDenseAdd", a_indices=a.indices, a_values=a.values, a_shape=a.dense_shape, b=b)


class KeywordRequired:
    """TF's marker making ``sparse_split``'s arguments keyword-only."""

    def __repr__(self):
        return "KeywordRequired()"


_KEYWORD_REQUIRED = KeywordRequired()


def sparse_split(
    keyword_required=_KEYWORD_REQUIRED, sp_input=None, num_split=None, axis=None, name=None, split_dim=None
):
    """``tf.sparse.split`` (TF1): ``num_split`` SparseTensors along ``axis`` (keyword arguments only).

    Raises:
      ValueError: TF's, for a positional argument or a missing ``sp_input``/``num_split``/``axis``.
    """
    if not isinstance(keyword_required, KeywordRequired):
        raise ValueError("Keyword arguments are required for this function.")
    if sp_input is None:
        raise ValueError("sp_input is required")
    if num_split is None:
        raise ValueError("num_split is required")
    if axis is None:
        raise ValueError("axis is required")
    if split_dim is not None:
        raise ValueError("Cannot specify both 'split_dim' and 'axis'.")
    sp_input = _convert_to_sparse_tensor(sp_input)
    out = raw_op(
        "SparseSplit",
        split_dim=axis,
        indices=sp_input.indices,
        values=sp_input.values,
        shape=sp_input.dense_shape,
        num_split=num_split,
        name=name,
    )
    output_inds, output_vals, output_shapes = out
    return [SparseTensor(output_inds[i], output_vals[i], output_shapes[i]) for i in range(num_split)]
