"""``RowPartition`` (TF's python/ops/ragged/row_partition.py): how a ragged dimension divides a sequence of values
into rows, kept as row splits plus whichever encodings it was built from (row lengths, value row ids, nrows,
uniform row length). The factories build TF's nodes, validation asserts included."""

from __future__ import annotations

import numpy as np

from torchmeta import errors
from torchmeta.api import array_ops, bincount_ops, check_ops, control_flow_ops, math_ops
from torchmeta.dtypes import DType, as_dtype
from torchmeta.framework import tensor_util
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import Tensor, convert_to_tensor, name_scope

__all__ = ["RowPartition", "convert_row_partition"]

_FACTORY_KEY = object()


def convert_row_partition(partition, name, dtype=None, dtype_hint=None) -> Tensor:
    """A row-partitioning argument as an int32/int64 tensor (int64 unless it is already int32 or ``dtype_hint``
    says otherwise), as TF's ``RowPartition._convert_row_partition``."""
    if dtype_hint is None:
        dtype_hint = DType.int64
    if isinstance(partition, np.ndarray) and partition.dtype == np.int32 and dtype is None:
        partition = convert_to_tensor(partition, name=name)
    else:
        partition = _convert_v2(partition, dtype=dtype, dtype_hint=dtype_hint, name=name)
    if partition.dtype not in (DType.int32, DType.int64):
        raise ValueError(f"{name} must have dtype int32 or int64")
    return partition


def _convert_v2(value, dtype=None, dtype_hint=None, name=None):
    """TF's convert_to_tensor_v2: ``dtype_hint`` is tried first and dropped when the value does not fit it."""
    if dtype is not None or dtype_hint is None or isinstance(value, Tensor):
        return convert_to_tensor(value, dtype=dtype, name=name)
    try:
        return convert_to_tensor(value, dtype=dtype_hint, name=name)
    except (TypeError, ValueError):
        return convert_to_tensor(value, name=name)


def _assert_monotonic_increasing(tensor, message=None):
    return check_ops.assert_non_negative(tensor[1:] - tensor[:-1], message=message)


def _assert_zero(tensor, message=None):
    return check_ops.assert_equal(tensor, constant(0, dtype=tensor.dtype), message=message)


class RowPartition:
    """A ragged dimension's partition of its values into rows (use the ``from_*`` factories)."""

    def __init__(
        self, row_splits, row_lengths=None, value_rowids=None, nrows=None, uniform_row_length=None, nvals=None,
        internal=None,
    ):  # fmt: skip
        if internal is not _FACTORY_KEY:
            raise ValueError(
                "RowPartition constructor is private; please use one of the factory methods instead (e.g., "
                "RowPartition.from_row_lengths())"
            )
        if not isinstance(row_splits, Tensor):
            raise TypeError(f"Row-partitioning argument must be a Tensor, got {row_splits!r}")
        if row_splits.dtype not in (DType.int32, DType.int64):
            raise ValueError("Row-partitioning argument must be int32 or int64")
        row_splits.shape.assert_has_rank(1)
        row_splits.set_shape([None])
        self._row_splits = row_splits
        for tensor in (row_lengths, value_rowids, nrows, uniform_row_length, nvals):
            if tensor is not None:
                if not isinstance(tensor, Tensor):
                    raise TypeError("Cached value must be a Tensor or None.")
                if tensor.dtype != row_splits.dtype:
                    raise ValueError(f"Inconsistent dtype for encoding tensors: {tensor} vs {row_splits}")
        self._row_lengths = row_lengths
        self._value_rowids = value_rowids
        self._nrows = nrows
        self._uniform_row_length = uniform_row_length
        self._nvals = nvals

    # -- factories ---------------------------------------------------------------------------

    @classmethod
    def from_value_rowids(cls, value_rowids, nrows=None, validate=True, dtype=None, dtype_hint=None):
        if not isinstance(validate, bool):
            raise TypeError("validate must have type bool")
        with name_scope(None, "RowPartitionFromValueRowIds", [value_rowids, nrows]):
            value_rowids = convert_row_partition(value_rowids, "value_rowids", dtype_hint=dtype_hint, dtype=dtype)
            if nrows is None:
                const_rowids = tensor_util.constant_value(value_rowids)
                if const_rowids is None:
                    nrows = array_ops.concat([value_rowids[-1:], [-1]], axis=0)[0] + 1
                    const_nrows = None
                else:
                    const_nrows = int(const_rowids[-1]) + 1 if const_rowids.size > 0 else 0
                    nrows = convert_to_tensor(const_nrows, value_rowids.dtype, name="nrows")
            else:
                nrows = convert_to_tensor(nrows, value_rowids.dtype, "nrows")
                const_nrows = tensor_util.constant_value(nrows)
                if const_nrows is not None:
                    const_nrows = int(const_nrows)
                    if const_nrows < 0:
                        raise ValueError(f"Expected nrows >= 0; got {const_nrows}")
                    const_rowids = tensor_util.constant_value(value_rowids)
                    if const_rowids is not None and const_rowids.size > 0 and not const_nrows >= const_rowids[-1] + 1:
                        raise ValueError(
                            f"Expected nrows >= value_rowids[-1] + 1; got nrows={const_nrows}, "
                            f"value_rowids[-1]={int(const_rowids[-1])}"
                        )
            value_rowids.shape.assert_has_rank(1)
            nrows.shape.assert_has_rank(0)
            if validate:
                msg = "Arguments to from_value_rowids do not form a valid RowPartition"
                checks = [
                    check_ops.assert_rank(value_rowids, 1, message=msg),
                    check_ops.assert_rank(nrows, 0, message=msg),
                    check_ops.assert_non_negative(value_rowids[:1], message=msg),
                    _assert_monotonic_increasing(value_rowids, message=msg),
                    check_ops.assert_less(value_rowids[-1:], nrows, message=msg),
                ]
                value_rowids = control_flow_ops.with_dependencies(checks, value_rowids)
            value_rowids_int32 = math_ops.cast(value_rowids, DType.int32)
            nrows_int32 = math_ops.cast(nrows, DType.int32)
            row_lengths = bincount_ops.bincount(
                value_rowids_int32, minlength=nrows_int32, maxlength=nrows_int32, dtype=value_rowids.dtype
            )
            row_splits = array_ops.concat([[0], math_ops.cumsum(row_lengths)], axis=0)
            if const_nrows is not None:
                row_lengths.set_shape([const_nrows])
                row_splits.set_shape([const_nrows + 1])
            return cls(
                row_splits=row_splits,
                row_lengths=row_lengths,
                value_rowids=value_rowids,
                nrows=nrows,
                internal=_FACTORY_KEY,
            )

    @classmethod
    def from_row_splits(cls, row_splits, validate=True, dtype=None, dtype_hint=None):
        if not isinstance(validate, bool):
            raise TypeError("validate must have type bool")
        if isinstance(row_splits, (list, tuple)) and not row_splits:
            raise ValueError("row_splits tensor may not be empty.")
        with name_scope(None, "RowPartitionFromRowSplits", [row_splits]):
            row_splits = convert_row_partition(row_splits, "row_splits", dtype_hint=dtype_hint, dtype=dtype)
            row_splits.shape.assert_has_rank(1)
            if validate:
                msg = "Arguments to from_row_splits do not form a valid RaggedTensor:"
                checks = [
                    check_ops.assert_rank(row_splits, 1, message=msg + "rank"),
                    _assert_zero(row_splits[0], message=msg + "zero"),
                    _assert_monotonic_increasing(row_splits, message=msg + "monotonic"),
                ]
                row_splits = control_flow_ops.with_dependencies(checks, row_splits)
            return cls(row_splits=row_splits, internal=_FACTORY_KEY)

    @classmethod
    def from_row_starts(cls, row_starts, nvals, validate=True, dtype=None, dtype_hint=None):
        if not isinstance(validate, bool):
            raise TypeError("validate must have type bool")
        with name_scope(None, "RowPartitionFromRowStarts", [row_starts]):
            row_starts = convert_row_partition(row_starts, "row_starts", dtype_hint=dtype_hint, dtype=dtype)
            row_starts.shape.assert_has_rank(1)
            nvals = math_ops.cast(nvals, row_starts.dtype)
            if validate:
                msg = "Arguments to from_row_starts do not form a valid RaggedTensor"
                checks = [
                    check_ops.assert_rank(row_starts, 1, message=msg),
                    _assert_zero(row_starts[:1], message=msg),
                    _assert_monotonic_increasing(row_starts, message=msg),
                    check_ops.assert_less_equal(row_starts[-1:], nvals, message=msg),
                ]
                row_starts = control_flow_ops.with_dependencies(checks, row_starts)
            row_splits = array_ops.concat([row_starts, [nvals]], axis=0)
            return cls(row_splits=row_splits, nvals=nvals, internal=_FACTORY_KEY)

    @classmethod
    def from_row_lengths(cls, row_lengths, validate=True, dtype=None, dtype_hint=None):
        if not isinstance(validate, bool):
            raise TypeError("validate must have type bool")
        with name_scope(None, "RowPartitionFromRowLengths", [row_lengths]):
            row_lengths = convert_row_partition(row_lengths, "row_lengths", dtype_hint=dtype_hint, dtype=dtype)
            row_lengths.shape.assert_has_rank(1)
            if validate:
                msg = "Arguments to from_row_lengths do not form a valid RowPartition"
                checks = [
                    check_ops.assert_rank(row_lengths, 1, message=msg),
                    check_ops.assert_non_negative(row_lengths, message=msg),
                ]
                row_lengths = control_flow_ops.with_dependencies(checks, row_lengths)
            row_limits = math_ops.cumsum(row_lengths)
            row_splits = array_ops.concat([[0], row_limits], axis=0)
            return cls(row_splits=row_splits, row_lengths=row_lengths, internal=_FACTORY_KEY)

    @classmethod
    def from_uniform_row_length(
        cls, uniform_row_length, nvals=None, nrows=None, validate=True, dtype=None, dtype_hint=None
    ):
        if not isinstance(validate, bool):
            raise TypeError("validate must have type bool")
        if nrows is None and nvals is None:
            raise ValueError("Either (or both) of nvals and nrows must be specified")
        with name_scope(None, "RowPartitionFromUniformRowLength", [uniform_row_length, nrows]):
            uniform_row_length, nvals, nrows = _convert_all(
                [(uniform_row_length, "uniform_row_length"), (nvals, "nvals"), (nrows, "nrows")], dtype, dtype_hint
            )
            uniform_row_length.shape.assert_has_rank(0)
            const_row_length = tensor_util.constant_value(uniform_row_length)
            if nrows is None:
                if const_row_length is None:
                    rowlen_or_1 = math_ops.maximum(uniform_row_length, constant(1, uniform_row_length.dtype))
                    nrows = nvals // rowlen_or_1
                elif const_row_length == 0:
                    nrows = constant(0, dtype=uniform_row_length.dtype)
                else:
                    nrows = nvals // int(const_row_length)
            const_nrows = None if nrows is None else tensor_util.constant_value(nrows)
            const_nvals = None if nvals is None else tensor_util.constant_value(nvals)
            const_uniform_row_length = tensor_util.constant_value(uniform_row_length)
            checks = []
            if const_nvals is None and const_nrows is not None and const_uniform_row_length is not None:
                const_nvals = int(const_nrows) * int(const_uniform_row_length)
                if nvals is not None and validate:
                    checks.append(check_ops.assert_equal(nvals, const_nvals))
                nvals = constant(const_nvals, uniform_row_length.dtype)
            if nvals is None:
                nvals = nrows * uniform_row_length
            if const_nrows is not None and const_row_length is not None:
                row_splits = [v * int(const_row_length) for v in range(int(const_nrows) + 1)]
                row_splits = constant(row_splits, uniform_row_length.dtype)
            else:
                row_splits = math_ops.range(nrows + 1, dtype=uniform_row_length.dtype) * uniform_row_length
            if validate:
                if const_nrows is None or const_row_length is None or const_nvals is None:
                    checks.append(
                        check_ops.assert_equal(
                            nrows * uniform_row_length,
                            nvals,
                            ("uniform_row_length", uniform_row_length, "times nrows", nrows, "must equal nvals", nvals),
                        )
                    )
                elif int(const_nrows) * int(const_row_length) != int(const_nvals):
                    raise ValueError(
                        f"uniform_row_length={int(const_row_length)} times nrows={int(const_nrows)} must equal "
                        f"nvals={int(const_nvals)}"
                    )
                if uniform_row_length.shape.rank is None:
                    checks.append(
                        check_ops.assert_rank(uniform_row_length, 0, message="uniform_row_length must be a scalar.")
                    )
                const_row_length = tensor_util.constant_value(uniform_row_length)
                if const_row_length is None:
                    checks.append(
                        check_ops.assert_greater_equal(
                            uniform_row_length,
                            constant(0, uniform_row_length.dtype),
                            message="uniform_row_length must be >= 0.",
                        )
                    )
                elif const_row_length < 0:
                    raise ValueError("uniform_row_length must be >= 0.")
                row_splits = control_flow_ops.with_dependencies(checks, row_splits)
            return cls(
                row_splits=row_splits,
                uniform_row_length=uniform_row_length,
                nrows=nrows,
                nvals=nvals,
                internal=_FACTORY_KEY,
            )

    # -- accessors ---------------------------------------------------------------------------

    @property
    def dtype(self):
        return self._row_splits.dtype

    def row_splits(self):
        return self._row_splits

    def value_rowids(self):
        """The row of each value: the value row ids this partition was built from.

        Raises:
          UnimplementedError: for a partition built from row splits or lengths (TF computes them with tf.repeat,
            which torchmeta does not have yet).
        """
        if self._value_rowids is not None:
            return self._value_rowids
        raise errors.UnimplementedError(
            None, None, "RowPartition.value_rowids of a partition built from row splits needs tf.repeat (missing)"
        )

    def nvals(self):
        return self._row_splits[-1]

    def nrows(self):
        if self._nrows is not None:
            return self._nrows
        nsplits = self._row_splits.shape.as_tuple()[0]
        if nsplits is None:
            return array_ops.shape(self._row_splits, out_type=self.dtype)[0] - 1
        return constant(nsplits - 1, dtype=self.dtype)

    def uniform_row_length(self):
        return self._uniform_row_length

    def row_lengths(self):
        if self._row_lengths is not None:
            return self._row_lengths
        splits = self._row_splits
        return splits[1:] - splits[:-1]

    @property
    def static_nrows(self):
        nrows_plus_one = self._row_splits.shape.as_tuple()[0]
        if nrows_plus_one is not None:
            return nrows_plus_one - 1
        if self._row_lengths is not None:
            nrows = self._row_lengths.shape.as_tuple()[0] if self._row_lengths.shape.rank else None
            if nrows is not None:
                return nrows
        if self._nrows is not None:
            value = tensor_util.constant_value(self._nrows)
            return None if value is None else int(value)
        return None

    @property
    def static_uniform_row_length(self):
        if self._uniform_row_length is not None:
            value = tensor_util.constant_value(self._uniform_row_length)
            return None if value is None else int(value)
        return None

    def is_uniform(self):
        return self._uniform_row_length is not None

    def has_precomputed_value_rowids(self):
        return self._value_rowids is not None

    def with_dependencies(self, dependencies):
        """This partition with its row splits computed after ``dependencies`` (TF's ``_with_dependencies``)."""
        return RowPartition(
            row_splits=control_flow_ops.with_dependencies(dependencies, self._row_splits),
            row_lengths=self._row_lengths,
            value_rowids=self._value_rowids,
            nrows=self._nrows,
            uniform_row_length=self._uniform_row_length,
            internal=_FACTORY_KEY,
        )

    def __repr__(self):
        return f"tf.RowPartition(row_splits={self._row_splits})"


def _convert_all(pairs, dtype, dtype_hint):
    """TF's ``_convert_all_to_tensors``: the values converted to one dtype (``dtype``, else the first tensor's or
    array's, else ``dtype_hint``, else int64); cast when ``dtype`` is given."""
    target = dtype
    if target is None:
        target = next((v.dtype for v, _ in pairs if isinstance(v, Tensor)), None)
    if target is None:
        target = next((as_dtype(v.dtype) for v, _ in pairs if isinstance(v, np.ndarray)), None)
    if target is None:
        target = dtype_hint if dtype_hint is not None else DType.int64
    if dtype is None:
        return [None if v is None else convert_to_tensor(v, dtype=target, name=name) for v, name in pairs]
    return [None if v is None else math_ops.cast(v, dtype=target, name=name) for v, name in pairs]
