"""``tf.confusion_matrix`` (TF's confusion_matrix.py): label/prediction counts scattered into a
``[num_classes, num_classes]`` matrix, behind TF's run-time range checks."""

from __future__ import annotations

from torchmeta import dtypes
from torchmeta.api import array_ops, check_ops, control_flow_ops, math_ops
from torchmeta.api.losses import remove_squeezable_dimensions
from torchmeta.framework.graph import convert_to_tensor, name_scope
from torchmeta.framework.op_def_library import raw_op

__all__ = ["confusion_matrix", "remove_squeezable_dimensions"]


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=dtypes.DType.int32, name=None):
    """``tf.confusion_matrix``: entry ``[i, j]`` counts (or sums the weights of) examples of label ``i``
    predicted as ``j``. ``num_classes`` defaults to one more than the largest label or prediction.

    Running it fails (InvalidArgumentError) for negative labels or predictions, or ones of ``num_classes``
    or more, as in TF.
    """
    with name_scope(name, "confusion_matrix", (predictions, labels, num_classes, weights)):
        labels, predictions = remove_squeezable_dimensions(
            convert_to_tensor(labels, name="labels"), convert_to_tensor(predictions, name="predictions")
        )
        predictions = math_ops.cast(predictions, dtypes.DType.int64)
        labels = math_ops.cast(labels, dtypes.DType.int64)
        labels = control_flow_ops.with_dependencies(
            [check_ops.assert_non_negative(labels, message="`labels` contains negative values")], labels
        )
        predictions = control_flow_ops.with_dependencies(
            [check_ops.assert_non_negative(predictions, message="`predictions` contains negative values")], predictions
        )
        if num_classes is None:
            num_classes = math_ops.maximum(math_ops.reduce_max(predictions), math_ops.reduce_max(labels)) + 1
        else:
            num_classes_int64 = math_ops.cast(num_classes, dtypes.DType.int64)
            labels = control_flow_ops.with_dependencies(
                [check_ops.assert_less(labels, num_classes_int64, message="`labels` out of bound")], labels
            )
            predictions = control_flow_ops.with_dependencies(
                [check_ops.assert_less(predictions, num_classes_int64, message="`predictions` out of bound")],
                predictions,
            )
        if weights is not None:
            weights = convert_to_tensor(weights, name="weights")
            predictions.shape.assert_is_compatible_with(weights.shape)
            weights = math_ops.cast(weights, dtype)
        shape = array_ops.stack([num_classes, num_classes])
        indices = array_ops.stack([labels, predictions], axis=1)
        values = array_ops.ones_like(predictions, dtype) if weights is None else weights
        return raw_op(
            "ScatterNd", indices=indices, updates=values, shape=math_ops.cast(shape, dtypes.DType.int64), name=None
        )
