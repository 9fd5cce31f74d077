"""``tf.math.bincount`` / ``tf.bincount`` (TF1) as TF's python/ops/bincount_ops.py builds it: a DenseBincount whose
size is ``max(arr) + 1`` (0 for an empty ``arr``), clipped by ``minlength`` / ``maxlength``."""

from __future__ import annotations

from torchmeta.api import array_ops, math_ops
from torchmeta.dtypes import DType
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import Tensor, convert_to_tensor, name_scope
from torchmeta.framework.op_def_library import raw_op

__all__ = ["bincount", "bincount_v1", "validate_dense_weights"]


def validate_dense_weights(values, weights, dtype=None):
    """``weights``, or an empty tensor of ``dtype`` (the values' dtype by default) when there are none.

    Raises:
      ValueError: ``weights`` is not a Tensor.
    """
    if weights is None:
        return constant([], dtype=dtype or values.dtype)
    if not isinstance(weights, Tensor):
        raise ValueError(
            f"Argument `weights` must be a tf.Tensor if `values` is a tf.Tensor. Received weights={weights} of type: {type(weights).__name__}"
        )
    return weights


def bincount(
    arr, weights=None, minlength=None, maxlength=None, dtype=DType.int32, name=None, axis=None, binary_output=False
):
    """``tf.math.bincount`` (TF2 signature): how often each value of the non-negative ``arr`` occurs (or the sum of
    its ``weights``), along the whole array (``axis`` 0) or per row (``axis`` -1).

    Raises:
      ValueError: ``weights`` with ``binary_output``, or an unsupported ``axis``.
    """
    name = "bincount" if name is None else name
    with name_scope(name):
        arr = convert_to_tensor(arr, name="arr")
        if weights is not None:
            weights = convert_to_tensor(weights, name="weights")
        if weights is not None and binary_output:
            raise ValueError("Arguments `binary_output` and `weights` are mutually exclusive. Please specify only one.")
        if not arr.dtype.is_integer:
            arr = math_ops.cast(arr, DType.int32)
        if axis is None:
            axis = 0
        if axis not in [0, -1]:
            raise ValueError(f"Unsupported value for argument axis={axis}. Only 0 and -1 are currently supported.")
        array_is_nonempty = array_ops.size(arr) > 0
        output_size = math_ops.cast(array_is_nonempty, arr.dtype) * (math_ops.reduce_max(arr) + 1)
        if minlength is not None:
            minlength = convert_to_tensor(minlength, name="minlength", dtype=arr.dtype)
            output_size = math_ops.maximum(minlength, output_size)
        if maxlength is not None:
            maxlength = convert_to_tensor(maxlength, name="maxlength", dtype=arr.dtype)
            output_size = math_ops.minimum(maxlength, output_size)
        if axis == 0:
            if weights is not None:
                weights = array_ops.reshape(weights, [-1])
            arr = array_ops.reshape(arr, [-1])
        weights = validate_dense_weights(arr, weights, dtype)
        return raw_op("DenseBincount", input=arr, size=output_size, weights=weights, binary_output=binary_output)


def bincount_v1(arr, weights=None, minlength=None, maxlength=None, dtype=DType.int32):
    """``tf.bincount`` / ``tf.math.bincount`` in TF1 (no name, axis or binary_output)."""
    return bincount(arr, weights, minlength, maxlength, dtype)
