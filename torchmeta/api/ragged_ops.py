"""``tf.ragged`` functions (TF's ragged_factory_ops, ragged_math_ops.range, ragged_functional_ops): building
RaggedTensors from Python lists and ranges, and mapping an op over a ragged tensor's flat values."""

from __future__ import annotations

import builtins

import numpy as np

from torchmeta import errors
from torchmeta.api import array_ops, math_ops
from torchmeta.api.ragged_tensor import RaggedTensor, convert_to_tensor_or_ragged_tensor, is_ragged
from torchmeta.dtypes import DType, as_dtype
from torchmeta.framework.constant_op import constant as constant_tensor
from torchmeta.framework.graph import convert_to_tensor, name_scope
from torchmeta.framework.op_def_library import raw_op

__all__ = ["constant", "range", "map_flat_values", "gather"]


def constant(pylist, dtype=None, ragged_rank=None, inner_shape=None, name=None, row_splits_dtype=DType.int64):
    """``tf.ragged.constant``: a RaggedTensor of Const nodes from nested Python lists.

    Raises:
      ValueError / TypeError: on lists TF rejects (TF's messages).
    """
    row_splits_dtype = as_dtype(row_splits_dtype)

    def ragged_factory(values, row_splits):
        row_splits = constant_tensor(row_splits, dtype=row_splits_dtype)
        return RaggedTensor.from_row_splits(values, row_splits, validate=False)

    def inner_factory(values, dtype, shape, name=None):
        return constant_tensor(values, dtype=dtype, shape=shape, name=name or "Const")

    with name_scope(name, "RaggedConstant"):
        return _constant_value(ragged_factory, inner_factory, pylist, dtype, ragged_rank, inner_shape)


def _constant_value(ragged_factory, inner_factory, pylist, dtype, ragged_rank, inner_shape):
    if is_ragged(pylist):
        raise TypeError("pylist may not be a RaggedTensor or RaggedTensorValue.")
    if not isinstance(pylist, (list, tuple)) and np.ndim(pylist) == 0:
        if ragged_rank is not None and ragged_rank != 0:
            raise ValueError(f"Invalid pylist={pylist!r}: incompatible with ragged_rank={ragged_rank}")
        if inner_shape is not None and inner_shape:
            raise ValueError(f"Invalid pylist={pylist!r}: incompatible with dim(inner_shape)={len(inner_shape)}")
        return inner_factory(pylist, dtype, ())
    if ragged_rank is not None and ragged_rank < 0:
        raise ValueError(f"Invalid ragged_rank={ragged_rank!r}: must be nonnegative")
    scalar_depth, max_depth = _find_scalar_and_max_depth(pylist)
    if scalar_depth is not None:
        if max_depth > scalar_depth:
            raise ValueError(f"Invalid pylist={pylist!r}: empty list nesting is greater than scalar value nesting")
        if ragged_rank is not None and max_depth < ragged_rank:
            raise ValueError(f"Invalid pylist={pylist}, max depth smaller than ragged_rank={ragged_rank}")
    if inner_shape is not None and ragged_rank is not None:
        expected_depth = ragged_rank + len(inner_shape) + 1
        if (scalar_depth is not None and expected_depth != scalar_depth) or (
            scalar_depth is None and expected_depth < max_depth
        ):
            raise ValueError(
                f"Invalid pylist={pylist!r}: incompatible with ragged_rank={ragged_rank} and "
                f"dim(inner_shape)={len(inner_shape)}"
            )
    if ragged_rank == 0 or (
        ragged_rank is None and ((max_depth < 2) or (inner_shape is not None and max_depth - len(inner_shape) < 2))
    ):
        return inner_factory(pylist, dtype, inner_shape)
    if inner_shape is None:
        inner_shape = () if ragged_rank is None else _default_inner_shape_for_pylist(pylist, ragged_rank)
    if ragged_rank is None:
        if scalar_depth is None:
            ragged_rank = max(1, max_depth - 1)
        else:
            ragged_rank = max(1, scalar_depth - 1 - len(inner_shape))
    nested_splits = []
    values = pylist
    for dim in builtins.range(ragged_rank):
        nested_splits.append([0])
        concatenated_values = []
        for row in values:
            nested_splits[dim].append(nested_splits[dim][-1] + len(row))
            concatenated_values.extend(row)
        values = concatenated_values
    values = inner_factory(values, dtype=dtype, shape=(len(values), *inner_shape), name="values")
    for row_splits in reversed(nested_splits):
        values = ragged_factory(values, row_splits)
    return values


def _find_scalar_and_max_depth(pylist):
    if isinstance(pylist, (list, tuple)) or np.ndim(pylist) != 0:
        scalar_depth = None
        max_depth = 1
        for child in pylist:
            child_scalar_depth, child_max_depth = _find_scalar_and_max_depth(child)
            if child_scalar_depth is not None:
                if scalar_depth is not None and scalar_depth != child_scalar_depth + 1:
                    raise ValueError("all scalar values must have the same nesting depth")
                scalar_depth = child_scalar_depth + 1
            max_depth = max(max_depth, child_max_depth + 1)
        return scalar_depth, max_depth
    return 0, 0


def _default_inner_shape_for_pylist(pylist, ragged_rank):
    def get_inner_shape(item):
        if not isinstance(item, (list, tuple)) and np.ndim(item) == 0:
            return ()
        if len(item) > 0:
            return (len(item), *get_inner_shape(item[0]))
        return (0,)

    def check_inner_shape(item, shape):
        is_nested = isinstance(item, (list, tuple)) or np.ndim(item) != 0
        if is_nested != bool(shape):
            raise ValueError("inner values have inconsistent shape")
        if is_nested:
            if shape[0] != len(item):
                raise ValueError("inner values have inconsistent shape")
            for child in item:
                check_inner_shape(child, shape[1:])

    flat_values = pylist
    for dim in builtins.range(ragged_rank):
        if not all(isinstance(v, (list, tuple)) or np.ndim(v) != 0 for v in flat_values):
            raise ValueError(
                f"pylist has scalar values depth {dim + 1}, but ragged_rank={ragged_rank} requires scalar value "
                f"depth greater than {ragged_rank}"
            )
        flat_values = [x for v in flat_values for x in v]
    inner_shape = get_inner_shape(flat_values)
    check_inner_shape(flat_values, inner_shape)
    return inner_shape[1:]


def range(starts, limits=None, deltas=1, dtype=None, name=None, row_splits_dtype=DType.int64):
    """``tf.ragged.range``: one ``range(start, limit, delta)`` per row (RaggedRange)."""
    row_splits_dtype = as_dtype(row_splits_dtype)
    if limits is None:
        starts, limits = 0, starts
    with name_scope(name, "RaggedRange", [starts, limits, deltas]) as name:
        starts = convert_to_tensor(starts, dtype=dtype, name="starts")
        limits = convert_to_tensor(limits, dtype=dtype, name="limits")
        deltas = convert_to_tensor(deltas, dtype=dtype, name="deltas")
        if dtype is None:
            hierarchy = [DType.int32, DType.int64, DType.float32, DType.float64]
            inferred = max((t.dtype for t in (starts, limits, deltas)), key=hierarchy.index)
            starts, limits, deltas = (math_ops.cast(t, inferred) for t in (starts, limits, deltas))
        splits, values = raw_op(
            "RaggedRange", starts=starts, limits=limits, deltas=deltas, Tsplits=row_splits_dtype, name=name
        )
        return RaggedTensor.from_row_splits(values, splits, validate=False)


def map_flat_values(op, *args, **kwargs):
    """``tf.ragged.map_flat_values``: ``op`` applied to the flat values of the ragged arguments, the result
    partitioned like them.

    Raises:
      ValueError: when the ragged arguments' flat values or the result's outer dimension disagree (TF's messages).
    """
    partition_lists = []
    flat_values_nrows = []
    inner_args = _replace_ragged_with_flat_values(args, partition_lists, flat_values_nrows)
    inner_kwargs = _replace_ragged_with_flat_values(kwargs, partition_lists, flat_values_nrows)
    if not partition_lists:
        return op(*args, **kwargs)
    if flat_values_nrows:
        sizes = set(flat_values_nrows)
        if len(sizes) != 1:
            raise ValueError(
                f"Input RaggedTensors' flat_values must all have the same outer-dimension size.  Got sizes: {sizes}"
            )
        flat_values_nrows = sizes.pop()
    else:
        flat_values_nrows = None
    if len({p[0].dtype for p in partition_lists}) > 1:
        raise ValueError(
            "Input RaggedTensors have mismatched row partition dtypes; use RaggedTensor.with_row_splits_dtype() to "
            "convert them to compatible dtypes."
        )
    op_output = op(*inner_args, **inner_kwargs)
    if flat_values_nrows is not None and not op_output.shape[:1].is_compatible_with([flat_values_nrows]):
        raise ValueError(
            "tf.ragged.map_flat_values requires that the output of `op` have the same outer-dimension size as "
            f"flat_values of any ragged inputs. (output shape: {op_output.shape}; expected outer dimension size: "
            f"{flat_values_nrows})"
        )
    return from_nested_row_partitions(op_output, _merge_partition_lists(partition_lists), validate=False)


def from_nested_row_partitions(flat_values, nested_row_partitions, name=None, validate=True):
    """TF's ``RaggedTensor._from_nested_row_partitions``."""
    with name_scope(name, "RaggedFromNestedRowPartitions", [flat_values, *nested_row_partitions]):
        result = flat_values
        for partition in reversed(nested_row_partitions):
            result = RaggedTensor._from_row_partition(result, partition, validate=validate)
        return result


def _replace_ragged_with_flat_values(value, partition_lists, flat_values_nrows):
    if is_ragged(value):
        value = convert_to_tensor_or_ragged_tensor(value)
        partition_lists.append(value._nested_row_partitions)
        shape = value.flat_values.shape
        nrows = shape.as_tuple()[0] if shape.rank else None
        if nrows is not None:
            flat_values_nrows.append(nrows)
        return value.flat_values

    def recurse(v):
        return _replace_ragged_with_flat_values(v, partition_lists, flat_values_nrows)

    if isinstance(value, list):
        return [recurse(v) for v in value]
    if isinstance(value, tuple):
        return tuple(recurse(v) for v in value)
    if isinstance(value, dict):
        return {k: recurse(v) for k, v in value.items()}
    return value


def _merge_partition_lists(partition_lists):
    """The partitions of the first ragged argument; the others must be the same partitions.

    Raises:
      ValueError: for ragged arguments of different ragged ranks (TF's message) or with partitions of their own.
    """
    dst = list(partition_lists[0])
    for src in partition_lists[1:]:
        if len(src) != len(dst):
            raise ValueError("All ragged inputs must have the same ragged_rank.")
        for a, b in zip(dst, src):
            if a is not b and a.row_splits() is not b.row_splits():
                raise ValueError(
                    "tf.ragged.map_flat_values over RaggedTensors with different row partitions is not supported "
                    "(TF merges them with runtime checks)"
                )
    return dst


def gather(params, indices, validate_indices=None, name=None, axis=None, batch_dims=0):
    """``tf.gather`` with TF's ragged dispatch: rows of a ragged ``params`` (RaggedGather); dense arguments go to
    the dense ``tf.gather`` unchanged.

    Raises:
      ValueError: TF's argument errors; UnimplementedError: ragged ``indices``, ``axis`` > 0 or ``batch_dims`` > 0
        with ragged arguments (not supported yet).
    """
    if not (is_ragged(params) or is_ragged(indices)):
        return array_ops.gather(params, indices, validate_indices=validate_indices, name=name, axis=axis,
                                batch_dims=batch_dims)  # fmt: skip
    with name_scope(name, "RaggedGather", [params, indices]):
        params = convert_to_tensor_or_ragged_tensor(params, name="params")
        indices = convert_to_tensor_or_ragged_tensor(indices, name="indices")
        if is_ragged(indices) or batch_dims != 0 or axis not in (None, 0):
            raise errors.UnimplementedError(
                None, None, "tf.gather of RaggedTensors supports dense indices on axis 0 without batch_dims only"
            )
        if indices.shape.rank is None:
            raise ValueError("rank(indices) must be known statically")
        out_ragged_rank = indices.shape.rank + len(params.nested_row_splits) - 1
        splits, values = raw_op(
            "RaggedGather",
            indices=indices,
            params_dense_values=params.flat_values,
            params_nested_splits=list(params.nested_row_splits),
            OUTPUT_RAGGED_RANK=out_ragged_rank,
        )
        result = RaggedTensor.from_nested_row_splits(values, splits, validate=False)
        if indices.shape.rank > 1:
            # TF caches each outer dimension's size on the result (unused since): the same nodes
            indices_shape = array_ops.shape(indices, out_type=params.row_splits.dtype)
            shape_cumprod = math_ops.cumprod(indices_shape)
            for dim in builtins.range(indices.shape.rank - 1):
                _ = (shape_cumprod[dim], indices_shape[dim + 1])
        return result
