"""Partitioned variables: ``PartitionedVariable`` and the partitioners ``get_variable`` takes.

A partitioned variable is a list of ordinary variables ``<name>/part_<i>``, each carrying its
SaveSliceInfo, so the Saver writes and reads them as slices of one checkpoint tensor ``<name>``,
exactly as TensorFlow does. Used as a Tensor, it is the concatenation of its parts.
"""

from __future__ import annotations

import math

from torchmeta import dtypes
from torchmeta.api import array_ops
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.tensor_shape import TensorShape

__all__ = [
    "PartitionedVariable",
    "variable_axis_size_partitioner",
    "min_max_variable_partitioner",
    "fixed_size_partitioner",
]


class PartitionedVariable:
    """A variable stored as partitions along one axis (what ``get_variable`` with a partitioner returns).

    Iterating gives the partitions in offset order; converting to a Tensor concatenates them
    (``<name>/ConcatPartitions/concat`` and an Identity named ``<name>``, as TF).
    """

    def __init__(self, name, shape, dtype, variable_list, partitions):
        if not isinstance(variable_list, (list, tuple)):
            raise TypeError(f"variable_list is not a list or tuple: {variable_list}")
        if not isinstance(partitions, (list, tuple)):
            raise TypeError(f"partitions is not a list or tuple: {partitions}")
        if not all(p >= 1 for p in partitions):
            raise ValueError(f"partition values must be positive: {partitions}")
        if not variable_list:
            raise ValueError("variable_list may not be empty")
        for v in variable_list:
            if v._get_save_slice_info() is None:
                raise ValueError(
                    f"All variables must have a save_slice_info available: {[v.name for v in variable_list]}"
                )
            if len(shape) != len(partitions):
                raise ValueError(f"len(shape) != len(partitions): {shape} vs. {partitions}")
            if v._get_save_slice_info().full_shape != list(shape):
                raise ValueError(
                    f"All variables' full shapes must match shape: {shape}; but full shapes were: "
                    f"{[v._get_save_slice_info().full_shape]}"
                )
        self._variable_list = sorted(variable_list, key=lambda v: v._get_save_slice_info().var_offset)
        self._name = name
        self._shape = shape if isinstance(shape, TensorShape) else TensorShape(shape)
        self._dtype = dtype
        self._partitions = partitions

    def __iter__(self):
        return iter(self._variable_list)

    def __len__(self):
        axes = self._partition_axes()
        if len(axes) > 1:
            raise ValueError(f"Cannot get a length for {len(axes)} > 1 partition axes")
        return len(self._variable_list)

    def _partition_axes(self):
        if all(p == 1 for p in self._partitions):
            return [0]
        return [i for i, p in enumerate(self._partitions) if p > 1]

    def _concat(self):
        if len(self._variable_list) == 1:
            with graph_lib.name_scope(None):
                return array_ops.identity(self._variable_list[0], name=self._name)
        partition_ix = self._partition_axes()[0]
        with graph_lib.name_scope(self._name + "/ConcatPartitions/"):
            concatenated = array_ops.concat(self._variable_list, partition_ix)
        with graph_lib.name_scope(None):
            return array_ops.identity(concatenated, name=self._name)

    def as_tensor(self):
        """The whole variable as one Tensor (built outside any control-dependency block)."""
        with graph_lib.control_dependencies(None):
            return self._concat()

    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        return self._dtype

    @property
    def shape(self):
        return self._shape

    def get_shape(self) -> TensorShape:
        return self._shape

    def _get_variable_list(self):
        return self._variable_list

    def _get_partitions(self):
        return self._partitions

    def _apply_assign_fn(self, assign_fn, value):
        axes = self._partition_axes()
        if len(axes) > 1:
            raise NotImplementedError(
                f"Cannot do assign action along more than one dimension: {axes}.  Multi-axis partition assign "
                "action is not supported "
            )
        if isinstance(value, list):
            if len(value) != len(self._variable_list):
                raise ValueError(
                    f"Assigning {len(value)} values to the {len(self._variable_list)} partitions of {self._name}"
                )
            value_list = value
        elif isinstance(value, PartitionedVariable):
            value_list = list(value)
        else:
            sizes = [var.shape.as_list()[axes[0]] for var in self._variable_list]
            value_list = array_ops.split(value, sizes, axis=axes[0])
        return [assign_fn(var, value_list[i]) for i, var in enumerate(self._variable_list)]

    def _assign_with(self, method, value, use_locking, name, read_value):
        ops = self._apply_assign_fn(
            lambda var, v: getattr(var, method)(v, use_locking=use_locking, name=name, read_value=read_value), value
        )
        return ops if read_value else [getattr(op, "op", op) for op in ops]

    def assign(self, value, use_locking=False, name=None, read_value=True):
        return self._assign_with("assign", value, use_locking, name, read_value)

    def assign_add(self, value, use_locking=False, name=None, read_value=True):
        return self._assign_with("assign_add", value, use_locking, name, read_value)

    def assign_sub(self, value, use_locking=False, name=None, read_value=True):
        return self._assign_with("assign_sub", value, use_locking, name, read_value)


def _partitioned_to_tensor(v, dtype=None, name=None, as_ref=False):
    if dtype is not None and not dtypes.as_dtype(dtype).is_compatible_with(v.dtype):
        raise ValueError(
            f"Incompatible type conversion requested to type '{dtypes.as_dtype(dtype).name}' for variable of type "
            f"'{v.dtype.name}'"
        )
    if as_ref:
        raise NotImplementedError("PartitionedVariable doesn't support being used as a reference.")
    return v.as_tensor()


graph_lib.register_tensor_conversion_function(PartitionedVariable, _partitioned_to_tensor)


# ---------------------------------------------------------------------------------------------
# Partitioners: fn(shape: TensorShape, dtype) -> partitions per dimension


def variable_axis_size_partitioner(max_shard_bytes, axis=0, bytes_per_string_element=16, max_shards=None):
    """Shards along ``axis`` so that each shard holds at most ``max_shard_bytes``.

    Raises:
      ValueError: for non-positive sizes.
    """
    if max_shard_bytes < 1 or bytes_per_string_element < 1:
        raise ValueError(
            "Both max_shard_bytes and bytes_per_string_element must be positive. Currently, max_shard_bytes is "
            f"{max_shard_bytes} andbytes_per_string_element is {bytes_per_string_element}"
        )
    if max_shards and max_shards < 1:
        raise ValueError("max_shards must be positive.")

    def _partitioner(shape, dtype):
        if not isinstance(shape, TensorShape):
            raise ValueError(f"shape is not a TensorShape: {shape}")
        if not shape.is_fully_defined():
            raise ValueError(f"shape is not fully defined: {shape}")
        dtype = dtypes.as_dtype(dtype)
        element_size = bytes_per_string_element if dtype.base_dtype == dtypes.DType.string else dtype.size
        dims = shape.as_list()
        partitions = [1] * len(dims)
        bytes_per_slice = 1.0 * (shape.num_elements() / dims[axis]) * element_size
        slices_per_shard = max(1, math.floor(max_shard_bytes / bytes_per_slice))
        axis_shards = math.ceil(1.0 * dims[axis] / slices_per_shard)
        if max_shards:
            axis_shards = min(max_shards, axis_shards)
        partitions[axis] = axis_shards
        return partitions

    return _partitioner


def min_max_variable_partitioner(max_partitions=1, axis=0, min_slice_size=256 << 10, bytes_per_string_element=16):
    """At most ``max_partitions`` shards along ``axis``, each of at least ``min_slice_size`` bytes."""

    def _partitioner(shape, dtype):
        if axis >= len(shape):
            raise ValueError(f"Cannot partition variable along axis {axis} when shape is only {shape}")
        dtype = dtypes.as_dtype(dtype)
        bytes_per_element = bytes_per_string_element if dtype.base_dtype == dtypes.DType.string else dtype.size
        total_size_bytes = shape.num_elements() * bytes_per_element
        partitions = total_size_bytes / min_slice_size
        partitions_list = [1] * len(shape)
        partitions_list[axis] = max(1, min(shape.as_list()[axis], max_partitions, math.ceil(partitions)))
        return partitions_list

    return _partitioner


def fixed_size_partitioner(num_shards, axis=0):
    """``num_shards`` shards along ``axis`` (fewer when the dimension is smaller)."""

    def _partitioner(shape, **unused_args):
        partitions_list = [1] * len(shape)
        partitions_list[axis] = min(num_shards, shape.as_list()[axis])
        return partitions_list

    return _partitioner
