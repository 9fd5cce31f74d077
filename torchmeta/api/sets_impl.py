"""``tf.sets``: set operations along the last dimension of dense or sparse tensors (TF's sets_impl.py),
results as SparseTensors built from the set ops (ops/set_ops.py)."""

from __future__ import annotations

from torchmeta.dtypes import DType
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.sparse_tensor import SparseTensor, convert_to_tensor_or_sparse_tensor

__all__ = ["set_size", "set_intersection", "set_difference", "set_union"]

_VALID_DTYPES = frozenset([DType.int8, DType.int16, DType.int32, DType.int64, DType.uint8, DType.uint16, DType.string])


def set_size(a, validate_indices=True):
    """``tf.sets.size``: the number of unique values in each set of the SparseTensor ``a`` (int32).

    Raises:
      TypeError: ``a`` is not a SparseTensor, or of a type sets do not support (TF's messages).
    """
    a = convert_to_tensor_or_sparse_tensor(a, name="a")
    if not isinstance(a, SparseTensor):
        raise TypeError(f"Expected `SparseTensor`, got {a}.")
    if a.values.dtype.base_dtype not in _VALID_DTYPES:
        raise TypeError(f"Invalid dtype `{a.values.dtype}` not in supported dtypes: `{_VALID_DTYPES}`.")
    return raw_op(
        "SetSize",
        set_indices=a.indices,
        set_values=a.values,
        set_shape=a.dense_shape,
        validate_indices=validate_indices,
    )


def _convert_to_tensors_or_sparse_tensors(a, b):
    a = convert_to_tensor_or_sparse_tensor(a, name="a")
    if a.dtype.base_dtype not in _VALID_DTYPES:
        raise TypeError(f"'a' has invalid dtype `{a.dtype}` not in supported dtypes: `{_VALID_DTYPES}`.")
    b = convert_to_tensor_or_sparse_tensor(b, name="b")
    if b.dtype.base_dtype != a.dtype.base_dtype:
        raise TypeError(f"Types don't match, {a.dtype} vs {b.dtype}.")
    if isinstance(a, SparseTensor) and not isinstance(b, SparseTensor):
        return b, a, True
    return a, b, False


def _set_operation(a, b, set_operation, validate_indices=True):
    if isinstance(a, SparseTensor):
        if not isinstance(b, SparseTensor):
            raise ValueError(
                "Sparse,Dense is not supported, but Dense,Sparse is. Please flip the order of your inputs."
            )
        indices, values, shape = raw_op(
            "SparseToSparseSetOperation",
            set1_indices=a.indices,
            set1_values=a.values,
            set1_shape=a.dense_shape,
            set2_indices=b.indices,
            set2_values=b.values,
            set2_shape=b.dense_shape,
            set_operation=set_operation,
            validate_indices=validate_indices,
        )
    elif isinstance(b, SparseTensor):
        indices, values, shape = raw_op(
            "DenseToSparseSetOperation",
            set1=a,
            set2_indices=b.indices,
            set2_values=b.values,
            set2_shape=b.dense_shape,
            set_operation=set_operation,
            validate_indices=validate_indices,
        )
    else:
        indices, values, shape = raw_op(
            "DenseToDenseSetOperation", set1=a, set2=b, set_operation=set_operation, validate_indices=validate_indices
        )
    return SparseTensor(indices, values, shape)


def set_intersection(a, b, validate_indices=True):
    """``tf.sets.intersection``: the values in both sets, per set (a SparseTensor, sorted)."""
    a, b, _ = _convert_to_tensors_or_sparse_tensors(a, b)
    return _set_operation(a, b, "intersection", validate_indices)


def set_difference(a, b, aminusb=True, validate_indices=True):
    """``tf.sets.difference``: ``a - b`` (or ``b - a`` when not ``aminusb``), per set."""
    a, b, flipped = _convert_to_tensors_or_sparse_tensors(a, b)
    if flipped:
        aminusb = not aminusb
    return _set_operation(a, b, "a-b" if aminusb else "b-a", validate_indices)


def set_union(a, b, validate_indices=True):
    """``tf.sets.union``: the values in either set, per set."""
    a, b, _ = _convert_to_tensors_or_sparse_tensors(a, b)
    return _set_operation(a, b, "union", validate_indices)
