"""``tf.RaggedTensor`` (TF's python/ops/ragged/ragged_tensor.py): values split into rows of varying length, one
RowPartition per ragged dimension. The factories and conversions build TF's graph node for node;
``Session.run`` fetches a RaggedTensor as a ``RaggedTensorValue`` and feeds one from it."""

from __future__ import annotations

import numpy as np

from torchmeta import errors
from torchmeta.api import array_ops, check_ops, control_flow_assert, math_ops
from torchmeta.api.row_partition import RowPartition, convert_row_partition
from torchmeta.dtypes import DType, as_dtype
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import (
    Tensor,
    control_dependencies,
    convert_to_tensor,
    name_scope,
    register_tensor_conversion_function,
)
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.ragged_tensor_value import RaggedTensorValue
from torchmeta.framework.sparse_tensor import (
    SparseTensor,
    convert_to_tensor_or_sparse_tensor,
    is_sparse,
    refuse_tensor_conversion,
)
from torchmeta.framework.tensor_shape import TensorShape, as_shape
from torchmeta.framework.tensor_util import register_tensor_type

__all__ = ["RaggedTensor", "RaggedTensorValue", "is_ragged", "convert_to_tensor_or_ragged_tensor"]


@register_tensor_type
class RaggedTensor:
    """``tf.RaggedTensor``: build one with a ``from_*`` factory or ``tf.ragged.constant``."""

    def __init__(self, values, row_partition, internal=False):
        if not internal:
            raise ValueError(
                "RaggedTensor constructor is private; please use one of the factory methods instead (e.g., "
                "RaggedTensor.from_row_lengths())"
            )
        if not isinstance(values, (Tensor, RaggedTensor)):
            raise TypeError(f"type(values) must be one of: 'Tensor, RaggedTensor', got {type(values).__name__}")
        if not isinstance(row_partition, RowPartition):
            raise TypeError(f"Argument `row_partition` must be a RowPartition. Received {row_partition}.")
        values.shape.with_rank_at_least(1)
        self._values = values
        self._row_partition = row_partition

    # -- factories ---------------------------------------------------------------------------

    @classmethod
    def _from_row_partition(cls, values, row_partition, validate=True):
        if not isinstance(row_partition, RowPartition):
            raise TypeError(f"Argument `row_partition` must be a RowPartition. Received {row_partition}.")
        if not isinstance(validate, bool):
            raise TypeError(f"Argument `validate` must have type bool. Received {validate}.")
        values = _convert_values(values, row_partition)
        if row_partition.has_precomputed_value_rowids():
            values.shape[:1].assert_is_compatible_with(row_partition.value_rowids().shape)
        if validate:
            msg = "Arguments to _from_row_partition do not form a valid RaggedTensor"
            nvals = _nrows(values, row_partition.dtype)
            checks = [
                check_ops.assert_equal(math_ops.cast(row_partition.nvals(), row_partition.dtype), nvals, message=msg)
            ]
            if not isinstance(values, RaggedTensor):
                checks.append(check_ops.assert_rank_at_least(values, 1))
            row_partition = row_partition.with_dependencies(checks)
        return cls(values=values, internal=True, row_partition=row_partition)

    @classmethod
    def from_value_rowids(cls, values, value_rowids, nrows=None, name=None, validate=True):
        """``tf.RaggedTensor.from_value_rowids``: value ``i`` goes to row ``value_rowids[i]``."""
        _check_validate(validate)
        with name_scope(name, "RaggedFromValueRowIds", [values, value_rowids, nrows]):
            row_partition = RowPartition.from_value_rowids(
                value_rowids=value_rowids, nrows=nrows, validate=validate, dtype_hint=_partition_dtype(values)
            )
            return cls._from_row_partition(values, row_partition, validate=validate)

    @classmethod
    def from_row_splits(cls, values, row_splits, name=None, validate=True):
        """``tf.RaggedTensor.from_row_splits``: row ``i`` is ``values[row_splits[i]:row_splits[i + 1]]``."""
        _check_validate(validate)
        with name_scope(name, "RaggedFromRowSplits", [values, row_splits]):
            row_partition = RowPartition.from_row_splits(
                row_splits=row_splits, validate=validate, dtype_hint=_partition_dtype(values)
            )
            return cls._from_row_partition(values, row_partition, validate=validate)

    @classmethod
    def from_row_starts(cls, values, row_starts, name=None, validate=True):
        """``tf.RaggedTensor.from_row_starts``: row ``i`` starts at ``values[row_starts[i]]``."""
        _check_validate(validate)
        with name_scope(name, "RaggedFromRowStarts", [values, row_starts]):
            values = _convert_to_values(values)
            row_partition = RowPartition.from_row_starts(
                row_starts=row_starts, nvals=_nrows(values), validate=validate, dtype_hint=_partition_dtype(values)
            )
            return cls._from_row_partition(values, row_partition, validate=validate)

    @classmethod
    def from_row_lengths(cls, values, row_lengths, name=None, validate=True):
        """``tf.RaggedTensor.from_row_lengths``: row ``i`` holds the next ``row_lengths[i]`` values."""
        _check_validate(validate)
        with name_scope(name, "RaggedFromRowLengths", [values, row_lengths]):
            row_partition = RowPartition.from_row_lengths(
                row_lengths=row_lengths, validate=validate, dtype_hint=_partition_dtype(values)
            )
            return cls._from_row_partition(values, row_partition, validate=validate)

    @classmethod
    def from_uniform_row_length(cls, values, uniform_row_length, nrows=None, validate=True, name=None):
        """``tf.RaggedTensor.from_uniform_row_length``: rows of ``uniform_row_length`` values each."""
        _check_validate(validate)
        with name_scope(name, "RaggedFromUniformRowLength", [values, uniform_row_length, nrows]):
            values = _convert_to_values(values)
            uniform_row_length = convert_row_partition(uniform_row_length, "UniformRowLength", _partition_dtype(values))
            nvals = _nvals_uniform_row_length(values, uniform_row_length)
            row_partition = RowPartition.from_uniform_row_length(
                uniform_row_length=uniform_row_length,
                nvals=nvals,
                nrows=nrows,
                validate=validate,
                dtype_hint=_partition_dtype(values),
            )
            return cls._from_row_partition(values, row_partition, validate=validate)

    @classmethod
    def from_nested_value_rowids(cls, flat_values, nested_value_rowids, nested_nrows=None, name=None, validate=True):
        _check_validate(validate)
        if isinstance(nested_value_rowids, Tensor):
            raise TypeError(
                f"Argument `nested_value_rowids` must be a list of Tensors. Received {nested_value_rowids}."
            )
        if nested_nrows is None:
            nested_nrows = [None] * len(nested_value_rowids)
        elif len(nested_nrows) != len(nested_value_rowids):
            raise ValueError(
                "Argument `nested_nrows` must have the same length as argument `nested_value_rowids`. "
                f"len(nested_nrows) = {len(nested_nrows)} vs. len(nested_values_rowids) = {len(nested_value_rowids)}."
            )
        with name_scope(
            name, "RaggedFromNestedValueRowIds", [flat_values, *nested_value_rowids, *nested_nrows]
        ):  # fmt: skip
            result = flat_values
            for value_rowids, nrows in reversed(list(zip(nested_value_rowids, nested_nrows))):
                result = cls.from_value_rowids(result, value_rowids, nrows, validate=validate)
            return result

    @classmethod
    def from_nested_row_splits(cls, flat_values, nested_row_splits, name=None, validate=True):
        _check_validate(validate)
        if isinstance(nested_row_splits, Tensor):
            raise TypeError(f"Argument `nested_row_splits` must be a list of Tensors. Received {nested_row_splits}.")
        with name_scope(name, "RaggedFromNestedRowSplits", [flat_values, *nested_row_splits]):
            result = flat_values
            for splits in reversed(nested_row_splits):
                result = cls.from_row_splits(result, splits, validate=validate)
            return result

    @classmethod
    def from_nested_row_lengths(cls, flat_values, nested_row_lengths, name=None, validate=True):
        _check_validate(validate)
        if isinstance(nested_row_lengths, Tensor):
            raise TypeError(f"Argument `nested_row_lengths` must be a list of Tensors. Received {nested_row_lengths}.")
        with name_scope(name, "RaggedFromNestedRowlengths", [flat_values, *nested_row_lengths]):
            result = flat_values
            for lengths in reversed(nested_row_lengths):
                result = cls.from_row_lengths(result, lengths, validate=validate)
            return result

    @classmethod
    def from_tensor(cls, tensor, lengths=None, padding=None, ragged_rank=1, name=None, row_splits_dtype=DType.int64):
        """``tf.RaggedTensor.from_tensor``: each row of a dense tensor, cut to ``lengths`` when given.

        Raises:
          ValueError / TypeError: on TF's argument errors.
          UnimplementedError: with ``lengths`` or ``padding`` (not supported yet).
        """
        row_splits_dtype = as_dtype(row_splits_dtype)
        if lengths is not None and padding is not None:
            raise ValueError("Specify argument `lengths` or `padding`, but not both.")
        if not isinstance(ragged_rank, int):
            raise TypeError(f"Argument `ragged_rank` must be an int. Received {ragged_rank}.")
        if ragged_rank <= 0:
            raise ValueError(f"Argument `ragged_rank` must be greater than 0. Received {ragged_rank}.")
        with name_scope(name, "RaggedFromTensor", [tensor, lengths, padding]):
            tensor = convert_to_tensor(tensor, name="tensor")
            if tensor.shape.rank is not None and tensor.shape.rank < 2:
                raise ValueError(
                    "The rank of a RaggedTensor must be greater than 1, i.e., a list of scalars won't have ragged "
                    f"dimensions. Received argument `tensor` with rank {tensor.shape.rank}."
                )
            tensor.shape.with_rank_at_least(ragged_rank + 1)
            input_shape = array_ops.shape(tensor, out_type=row_splits_dtype)
            ncols = input_shape[1]
            if ragged_rank > 1:
                if tensor.shape.is_fully_defined():
                    dims = tensor.shape.as_list()
                    dim_size = np.cumprod(dims)
                    new_shape = [int(dim_size[ragged_rank - 1]), *dims[ragged_rank:]]
                else:
                    dim_size = math_ops.cumprod(input_shape)
                    new_shape = array_ops.concat([[dim_size[ragged_rank - 1]], input_shape[ragged_rank:]], axis=0)
                flattened = array_ops.reshape(tensor, new_shape)
                result = cls.from_tensor(flattened, lengths, padding, row_splits_dtype=row_splits_dtype)
                for axis in range(ragged_rank - 1, 0, -1):
                    dim_len = tensor.shape.as_tuple()[axis]
                    if dim_len is None:
                        dim_len = input_shape[axis]
                    else:
                        dim_len = constant(dim_len, row_splits_dtype)
                    nrows = dim_size[axis - 1]
                    if isinstance(nrows, np.generic):
                        nrows = int(nrows)
                    result = RaggedTensor.from_uniform_row_length(
                        values=result, uniform_row_length=dim_len, nrows=nrows, validate=False
                    )
                return result
            if padding is not None or lengths is not None:
                raise errors.UnimplementedError(
                    None, None, "RaggedTensor.from_tensor with `lengths` or `padding` is not supported yet"
                )
            values_shape = array_ops.concat([[input_shape[0] * input_shape[1]], input_shape[2:]], axis=0)
            values = array_ops.reshape(tensor, values_shape)
            const_nrows, const_ncols = tensor.shape.as_tuple()[:2]
            nrows = constant(const_nrows, row_splits_dtype) if const_nrows is not None else input_shape[0]
            ncols = constant(const_ncols, row_splits_dtype) if const_ncols is not None else input_shape[1]
            return RaggedTensor.from_uniform_row_length(
                values=values, uniform_row_length=ncols, nrows=nrows, validate=False
            )

    @classmethod
    def from_sparse(cls, st_input, name=None, row_splits_dtype=DType.int64):
        """``tf.RaggedTensor.from_sparse``: a right-ragged 2-D SparseTensor's rows.

        Raises:
          TypeError: if ``st_input`` is not a SparseTensor; ValueError: if its rank is not 2.
        """
        row_splits_dtype = as_dtype(row_splits_dtype)
        if not is_sparse(st_input):
            raise TypeError(
                f"Argument `st_input` must be of type SparseTensor, but is of type {type(st_input).__name__}."
            )
        with name_scope(name, "RaggedFromSparse", [st_input]):
            st_input = convert_to_tensor_or_sparse_tensor(st_input, name="st_input")
            dense_shape_shape = st_input.dense_shape.shape
            static_rank_from_dense_shape = dense_shape_shape.as_tuple()[0] if dense_shape_shape.rank else None
            indices_shape = st_input.indices.shape
            static_rank_from_indices = indices_shape.as_tuple()[1] if indices_shape.rank else None
            if static_rank_from_dense_shape != 2 and static_rank_from_indices != 2:
                raise ValueError("rank(st_input) must be 2.")
            with control_dependencies(_assert_sparse_indices_are_ragged_right(st_input.indices)):
                segment_ids = math_ops.cast(st_input.indices[:, 0], row_splits_dtype)
                num_segments = math_ops.cast(st_input.dense_shape[0], row_splits_dtype)
                return cls.from_value_rowids(st_input.values, segment_ids, num_segments, validate=False)

    @classmethod
    def _from_variant(
        cls, variant, dtype, output_ragged_rank, input_ragged_rank=None, row_splits_dtype=DType.int64, name=None
    ):
        variant = convert_to_tensor(variant, name="variant", dtype=DType.variant)
        if (
            variant.shape.rank is not None
            and input_ragged_rank is not None
            and output_ragged_rank != input_ragged_rank + variant.shape.rank
        ):
            raise ValueError(
                f"Argument `output_ragged_rank` ({output_ragged_rank}) must be equal to `input_ragged_rank` + "
                f"`variant.shape.ndims` ({input_ragged_rank} + {variant.shape.rank})."
            )
        input_ragged_rank = -1 if input_ragged_rank is None else input_ragged_rank
        with name_scope(name, "RaggedFromVariant", [variant, dtype, input_ragged_rank, output_ragged_rank]):
            splits, values = raw_op(
                "RaggedTensorFromVariant",
                encoded_ragged=variant,
                input_ragged_rank=input_ragged_rank,
                output_ragged_rank=max(output_ragged_rank, 0),
                Tvalues=as_dtype(dtype),
                Tsplits=as_dtype(row_splits_dtype),
                name=name,
            )
            return cls.from_nested_row_splits(values, splits, validate=False)

    # -- properties --------------------------------------------------------------------------

    @property
    def dtype(self):
        return self._values.dtype

    @property
    def shape(self) -> TensorShape:
        nrows = self._row_partition.static_nrows
        ncols = self._row_partition.static_uniform_row_length
        value_shape = self._values.shape[1:]
        return TensorShape([nrows, ncols]).concatenate(value_shape)

    def get_shape(self) -> TensorShape:
        return self.shape

    @property
    def ragged_rank(self) -> int:
        return self._values.ragged_rank + 1 if isinstance(self._values, RaggedTensor) else 1

    @property
    def graph(self):
        return self._values.graph

    @property
    def values(self):
        return self._values

    @property
    def flat_values(self):
        rt_values = self.values
        while isinstance(rt_values, RaggedTensor):
            rt_values = rt_values.values
        return rt_values

    @property
    def row_splits(self):
        return self._row_partition.row_splits()

    @property
    def nested_row_splits(self):
        rt_nested_splits = [self.row_splits]
        rt_values = self.values
        while isinstance(rt_values, RaggedTensor):
            rt_nested_splits.append(rt_values.row_splits)
            rt_values = rt_values.values
        return tuple(rt_nested_splits)

    @property
    def _nested_row_partitions(self):
        partitions = [self._row_partition]
        rt_values = self.values
        while isinstance(rt_values, RaggedTensor):
            partitions.append(rt_values._row_partition)
            rt_values = rt_values.values
        return tuple(partitions)

    @property
    def uniform_row_length(self):
        return self._row_partition.uniform_row_length()

    def value_rowids(self, name=None):
        with name_scope(name, "RaggedValueRowIds", [self]):
            return self._row_partition.value_rowids()

    def nrows(self, out_type=None, name=None):
        with name_scope(name, "RaggedNRows", [self]):
            if out_type is None:
                return self._row_partition.nrows()
            return math_ops.cast(self._row_partition.nrows(), dtype=out_type)

    def row_starts(self, name=None):
        with name_scope(name, "RaggedRowStarts", [self]):
            return self.row_splits[:-1]

    def row_limits(self, name=None):
        with name_scope(name, "RaggedRowLimits", [self]):
            return self.row_splits[1:]

    def row_lengths(self, axis=1, name=None):
        """The length of each row (``axis`` 1), or of the rows of an inner dimension."""
        if axis == 0:
            return self._row_partition.nrows()
        if axis == 1:
            return self._row_partition.row_lengths()
        with name_scope(name, "RaggedRowLengths", [self]):
            rank = self.shape.rank
            if rank is not None and not -rank <= axis < rank:
                raise ValueError(f"axis={axis} out of bounds: expected {-rank}<=axis<{rank}")
            if axis < 0:
                axis += rank
            if axis == 0:
                return self.nrows()
            if axis == 1:
                splits = self.row_splits
                return splits[1:] - splits[:-1]
            if isinstance(self.values, RaggedTensor):
                return self.with_values(self.values.row_lengths(axis - 1))
            shape = array_ops.shape(self.values, out_type=self._row_partition.dtype)
            return self.with_values(array_ops.ones(shape[: axis - 1], self._row_partition.dtype) * shape[axis - 1])

    def nested_row_lengths(self, name=None):
        with name_scope(name, "RaggedNestedRowLengths", [self]):
            lengths = []
            rt = self
            while isinstance(rt, RaggedTensor):
                lengths.append(rt.row_lengths())
                rt = rt.values
            return tuple(lengths)

    def with_values(self, new_values):
        """This tensor's outer row partition over ``new_values``."""
        new_values = _convert_to_values(new_values)
        new_values.shape.with_rank_at_least(1)
        self.values.shape[:1].assert_is_compatible_with(new_values.shape[:1])
        if isinstance(new_values, RaggedTensor) and self._row_partition.dtype != new_values.row_splits.dtype:
            raise ValueError(
                "self and new_values have mismatched row_splits dtypes; use RaggedTensor.with_row_splits_dtype() "
                "to convert them to compatible dtypes."
            )
        return RaggedTensor(values=new_values, row_partition=self._row_partition, internal=True)

    def with_flat_values(self, new_values):
        """This tensor's row partitions over new flat values."""
        if isinstance(self._values, RaggedTensor):
            return self.with_values(self.values.with_flat_values(new_values))
        return self.with_values(_convert_to_values(new_values))

    # -- conversions -------------------------------------------------------------------------

    def to_tensor(self, default_value=None, name=None, shape=None):
        """``RaggedTensor.to_tensor``: a dense tensor padded with ``default_value`` (RaggedTensorToTensor)."""
        with name_scope(name, "RaggedToTensor", [self, default_value, shape]):
            if default_value is not None:
                default_value = convert_to_tensor(default_value, name="default_value", dtype=self.dtype)
            pairs = _partition_type_tensor_pairs(self)
            row_partition_types = [x[0] for x in pairs]
            row_partition_tensors = [x[1] for x in pairs]
            if default_value is None:
                default_value = array_ops.zeros((), self.dtype)
            if (
                isinstance(shape, (list, tuple))
                and any(isinstance(v, Tensor) for v in shape)
                and all(isinstance(v, (int, Tensor)) for v in shape)
            ):
                shape = array_ops.stack(shape)
            shape_tensor = _shape_as_tensor(shape, row_partition_tensors[0].dtype)
            tensor = raw_op(
                "RaggedTensorToTensor",
                shape=shape_tensor,
                values=self.flat_values,
                default_value=default_value,
                row_partition_types=row_partition_types,
                row_partition_tensors=row_partition_tensors,
            )
            ragged_shape = self.shape
            if ragged_shape.rank is not None and not isinstance(shape, Tensor):
                shape = as_shape(shape)
                if shape.rank is None:
                    output_shape = ragged_shape
                else:
                    output_shape = [
                        s1 if s1 is not None else s2 for s1, s2 in zip(shape.as_list(), ragged_shape.as_list())
                    ]
                tensor.set_shape(output_shape)
            return tensor

    def to_sparse(self, name=None):
        """``RaggedTensor.to_sparse``: a SparseTensor of the same values (RaggedTensorToSparse)."""
        with name_scope(name, "RaggedToSparse", [self]):
            indices, values, dense_shape = raw_op(
                "RaggedTensorToSparse",
                rt_nested_splits=list(self.nested_row_splits),
                rt_dense_values=self.flat_values,
                name=name,
            )
            return SparseTensor(indices, values, dense_shape)

    def set_static_shape(self, shape):
        """TF's ``RaggedTensor._set_shape``: narrows the static shapes of the row partitions and flat values (a
        known uniform row length is recorded as ``ones([]) * size``, as TF does)."""
        shape = as_shape(shape)
        if shape.rank is None:
            return
        dims = shape.as_list()
        if dims[0] is not None:
            self._row_partition._row_splits.set_shape([dims[0] + 1])
        dtype = self._row_partition.dtype
        for i, partition in enumerate(self._nested_row_partitions):
            size = dims[i + 1]
            if size is None:
                continue
            if partition._uniform_row_length is not None:
                old = partition.static_uniform_row_length
                if old is not None:
                    if size == old:
                        continue
                    raise ValueError(f"Inconsistent size for axis {i + 1}: {old} vs. {size}.")
            partition._uniform_row_length = array_ops.ones([], dtype) * size
            if partition._nrows is None:
                partition._nrows = array_ops.size(partition._row_splits, out_type=dtype) - 1
        self.flat_values.set_shape(as_shape([None, *dims[self.ragged_rank + 1 :]]))

    def _to_variant(self, batched_input=False, name=None):
        with name_scope(name, "RaggedToVariant", [self, batched_input]):
            return raw_op(
                "RaggedTensorToVariant",
                rt_nested_splits=list(self.nested_row_splits),
                rt_dense_values=self.flat_values,
                batched_input=batched_input,
                name=name,
            )

    def __getitem__(self, key):
        """``rt[i]`` (TF's ragged __getitem__ with one integer row key, or row key then dense-tensor keys).

        Raises:
          UnimplementedError: for slices, Ellipsis and newaxis on the ragged dimension, or a row of a ragged rank
            above 1 (not supported yet).
        """
        keys = list(key) if isinstance(key, (list, tuple)) else [key]
        scope = [self, *(k for k in keys if isinstance(k, Tensor))]
        with name_scope(None, "RaggedGetItem", scope):
            row_key, inner_keys = keys[0], keys[1:]
            if (
                isinstance(row_key, slice)
                or row_key is Ellipsis
                or row_key is None
                or isinstance(self._values, RaggedTensor)
            ):
                raise errors.UnimplementedError(
                    None, None, f"RaggedTensor.__getitem__ supports integer row keys only, got {key!r}"
                )
            starts = self.row_splits[:-1]
            limits = self.row_splits[1:]
            row = self._values[starts[row_key] : limits[row_key]]
            return row.__getitem__(inner_keys)

    def consumers(self):
        return sorted(
            {op for t in (*self.nested_row_splits, self.flat_values) for op in t.consumers()}, key=lambda op: op._id
        )

    def __repr__(self):
        return f"tf.RaggedTensor(values={self._values}, row_splits={self.row_splits})"

    def __str__(self):
        return self.__repr__()


# ---------------------------------------------------------------------------------------------
# Helpers (TF's module-level functions of ragged_tensor.py)


def is_ragged(value) -> bool:
    """Whether ``value`` is a RaggedTensor or a RaggedTensorValue."""
    return isinstance(value, (RaggedTensor, RaggedTensorValue))


def convert_to_tensor_or_ragged_tensor(value, dtype=None, preferred_dtype=None, name=None):
    """A RaggedTensor as is, a RaggedTensorValue as constants, anything else as a Tensor."""
    if isinstance(value, RaggedTensor):
        if dtype and not as_dtype(dtype).is_compatible_with(value.dtype):
            raise ValueError(
                f"Tensor conversion requested dtype {as_dtype(dtype).name} for RaggedTensor with dtype "
                f"{value.dtype.name}: {value}."
            )
        return value
    if isinstance(value, RaggedTensorValue):
        with name_scope(name, "ConvertToTensorOrRaggedTensor", []):
            flat_values = convert_to_tensor(
                value.flat_values, dtype=dtype, preferred_dtype=preferred_dtype, name="flat_values"
            )
            return RaggedTensor.from_nested_row_splits(flat_values, value.nested_row_splits, validate=False)
    return convert_to_tensor(value, dtype=dtype, preferred_dtype=preferred_dtype, name=name)


def _check_validate(validate):
    if not isinstance(validate, bool):
        raise TypeError(f"Argument `validate` must have type bool. Received {validate}.")


def _convert_to_values(value):
    if isinstance(value, (Tensor, RaggedTensor)):
        return value
    return convert_to_tensor_or_ragged_tensor(value, name="values")


def _convert_values(values, row_partition):
    if isinstance(values, RaggedTensor):
        if values._row_partition.dtype != row_partition.dtype:
            raise ValueError(
                "Argument `row_partition` of RaggedTensor with name: partition must have same dtype as Argument "
                f"`values`. ({row_partition.dtype} vs. {values._row_partition.dtype})."
            )
        return values
    return _convert_to_values(values)


def _partition_dtype(values):
    return values._row_partition.dtype if isinstance(values, RaggedTensor) else None


def _nrows(tensor, out_type=DType.int32):
    if isinstance(tensor, RaggedTensor):
        return tensor.nrows(out_type=out_type)
    return array_ops.shape(tensor, out_type=out_type)[0]


def _nvals_uniform_row_length(values, uniform_row_length):
    const_nvals = values.shape.as_tuple()[0] if values.shape.rank else None
    if const_nvals is not None:
        return constant(const_nvals, uniform_row_length.dtype)
    if isinstance(values, RaggedTensor):
        return values.nrows(out_type=uniform_row_length.dtype)
    return array_ops.shape(values, out_type=uniform_row_length.dtype)[0]


def _partition_type_tensor_pairs(rt_input):
    partitions = rt_input._nested_row_partitions
    tail = [
        ("VALUE_ROWIDS", p.value_rowids()) if p.has_precomputed_value_rowids() else ("ROW_SPLITS", p.row_splits())
        for p in partitions[1:]
    ]
    if partitions[0].has_precomputed_value_rowids():
        return [("FIRST_DIM_SIZE", partitions[0].nrows()), ("VALUE_ROWIDS", partitions[0].value_rowids()), *tail]
    return [("ROW_SPLITS", partitions[0].row_splits()), *tail]


def _shape_as_tensor(shape, dtype):
    if isinstance(shape, Tensor):
        if shape.dtype not in (DType.int64, DType.int32):
            return math_ops.cast(shape, dtype)
        return shape
    shape = as_shape(shape)
    if not shape:
        return constant(-1, dtype=dtype)
    return constant([-1 if x is None else x for x in shape.as_list()], dtype=dtype)


def _assert_sparse_indices_are_ragged_right(indices):
    index_prefix = indices[:, :-1]
    index_suffix = indices[:, -1]
    index_prefix_changed = math_ops.reduce_any(math_ops.not_equal(index_prefix[1:], index_prefix[:-1]), axis=1)
    index_ok = array_ops.where(
        index_prefix_changed,
        math_ops.equal(index_suffix[1:], 0),
        math_ops.equal(index_suffix[1:], index_suffix[:-1] + 1),
    )
    sparse_indices_are_ragged_right = math_ops.logical_and(
        math_ops.reduce_all(math_ops.equal(index_suffix[:1], 0)), math_ops.reduce_all(index_ok)
    )
    message = ["SparseTensor is not right-ragged", "SparseTensor.indices =", indices]
    return [control_flow_assert.Assert(sparse_indices_are_ragged_right, message)]


# ---------------------------------------------------------------------------------------------
# Operators (TF's ragged_operators.py over its elementwise dispatch, ragged_dispatch.py)


def ragged_binary_elementwise_op(op, x, y):
    """``op`` (a ``tf.math`` function) of a RaggedTensor and a RaggedTensor or dense value: applied to the flat
    values, under the ragged operand's row partitions (TF's ``ragged_binary_elementwise_op_impl``).

    Raises:
      UnimplementedError: where TF broadcasts the operands' ragged shapes (two RaggedTensors, or a dense operand
        whose rank reaches the ragged one's flat values).
    """
    x_is_ragged, y_is_ragged = is_ragged(x), is_ragged(y)
    x = convert_to_tensor_or_ragged_tensor(x, preferred_dtype=y.dtype if y_is_ragged else None)
    y = convert_to_tensor_or_ragged_tensor(y, preferred_dtype=x.dtype)
    ragged, dense = (x, y) if x_is_ragged else (y, x)
    if (x_is_ragged and y_is_ragged) or (
        dense.shape.rank is not None
        and ragged.flat_values.shape.rank is not None
        and ragged.flat_values.shape.rank <= dense.shape.rank
    ):
        raise errors.UnimplementedError(
            None,
            None,
            f"{op.__name__} of a RaggedTensor and a {type(dense).__name__} of shape {dense.shape}: broadcasting "
            "ragged shapes is not supported yet; apply the op to rt.flat_values (tf.ragged.map_flat_values).",
        )
    x_values = x.flat_values if x_is_ragged else x
    y_values = y.flat_values if y_is_ragged else y
    return ragged.with_flat_values(op(x_values, y_values))


def _ragged_operator(op):
    def operator(x, y):
        return ragged_binary_elementwise_op(op, x, y)

    def r_operator(y, x):
        return ragged_binary_elementwise_op(op, x, y)

    return operator, r_operator


def _ragged_unary_operator(op):
    def operator(x):
        return x.with_flat_values(op(x.flat_values))

    return operator


register_tensor_conversion_function(RaggedTensor, refuse_tensor_conversion)
for _name, _op in {
    "add": math_ops.add,
    "sub": math_ops.subtract,
    "mul": math_ops.multiply,
    "truediv": math_ops.truediv,
    "floordiv": math_ops.floordiv,
    "mod": math_ops.floormod,
    "pow": math_ops.pow,
    "and": math_ops.logical_and,
    "or": math_ops.logical_or,
    "xor": math_ops.logical_xor,
}.items():
    _forward, _reflected = _ragged_operator(_op)
    setattr(RaggedTensor, f"__{_name}__", _forward)
    setattr(RaggedTensor, f"__r{_name}__", _reflected)
for _name, _op in {
    "lt": math_ops.less,
    "le": math_ops.less_equal,
    "gt": math_ops.greater,
    "ge": math_ops.greater_equal,
}.items():
    setattr(RaggedTensor, f"__{_name}__", _ragged_operator(_op)[0])
for _name, _op in {"neg": math_ops.negative, "abs": math_ops.abs, "invert": math_ops.logical_not}.items():
    setattr(RaggedTensor, f"__{_name}__", _ragged_unary_operator(_op))
