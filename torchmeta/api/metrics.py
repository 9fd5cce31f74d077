"""``tf.metrics`` (TF1's metrics_impl): streaming metrics as local variables (LOCAL_VARIABLES and
METRIC_VARIABLES) updated by ``update_op``s, with TensorFlow's scopes and graphs: mean, accuracy,
precision, recall, true/false positives/negatives, mean_absolute_error, mean_squared_error,
root_mean_squared_error, mean_relative_error, mean_per_class_accuracy, mean_tensor, percentage_below,
mean_iou (over a streaming confusion matrix), auc and the *_at_thresholds metrics (counts per threshold
behind TF's [0, 1] range checks).

Run ``tf.local_variables_initializer()`` first, then the update ops per batch, then the value.
"""

from __future__ import annotations

from torchmeta import dtypes
from torchmeta.api import array_ops, check_ops, control_flow_ops, linalg_ops, math_ops, nn_ops, sets_impl, state_ops
from torchmeta.api import variable_scope as vs
from torchmeta.api.cond import cond
from torchmeta.api.confusion_matrix import confusion_matrix
from torchmeta.api.losses import assert_broadcastable, broadcast_weights, remove_squeezable_dimensions
from torchmeta.api.sparse_ops import sparse_concat, sparse_reshape, sparse_retain
from torchmeta.api.variables import Variable
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import tensor_util
from torchmeta.framework.graph import GraphKeys, convert_to_tensor, name_scope
from torchmeta.framework.sparse_tensor import SparseTensor, SparseTensorValue, convert_to_tensor_or_sparse_tensor
from torchmeta.platform import tf_logging

__all__ = [
    "mean",
    "accuracy",
    "precision",
    "recall",
    "true_positives",
    "false_positives",
    "true_negatives",
    "false_negatives",
    "mean_absolute_error",
    "mean_squared_error",
    "root_mean_squared_error",
    "mean_relative_error",
    "mean_per_class_accuracy",
    "mean_tensor",
    "percentage_below",
    "mean_iou",
    "auc",
    "true_positives_at_thresholds",
    "false_positives_at_thresholds",
    "true_negatives_at_thresholds",
    "false_negatives_at_thresholds",
    "precision_at_thresholds",
    "recall_at_thresholds",
    "sensitivity_at_specificity",
    "specificity_at_sensitivity",
    "recall_at_k",
    "recall_at_top_k",
    "precision_at_k",
    "precision_at_top_k",
    "sparse_precision_at_k",
    "average_precision_at_k",
    "sparse_average_precision_at_k",
]

_F32 = dtypes.DType.float32


def metric_variable(shape, dtype, validate_shape=True, name=None):
    """A zero-initialized local variable in LOCAL_VARIABLES and METRIC_VARIABLES (TF's metric_variable)."""
    return Variable(
        lambda: array_ops.zeros(shape, dtype),
        trainable=False,
        collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.METRIC_VARIABLES],
        validate_shape=validate_shape,
        synchronization=vs.VariableSynchronization.ON_READ,
        aggregation=vs.VariableAggregation.SUM,
        name=name,
    )


def _aggregate(metrics_collections, metric_value_fn, *args):
    """The metric's value (one replica here), added to ``metrics_collections``."""
    metric_value = metric_value_fn(None, *args)
    if metrics_collections:
        graph_lib.add_to_collections(metrics_collections, metric_value)
    return metric_value


def _aggregate_variable(v, collections):
    return _aggregate(collections, lambda _, value: array_ops.identity(value), v)


def _assert_type(tensor, tf_type, name=None):
    """TF's check_ops.assert_type: a NoOp when the dtype matches.

    Raises:
      TypeError: TF's message when it does not.
    """
    with name_scope(name, "assert_type", [tensor]):
        tensor = convert_to_tensor(tensor, name="tensor")
        if tensor.dtype != tf_type:
            raise TypeError(f"{tensor.name} must be of type {tf_type!r}; got {tensor.dtype!r}")
        return control_flow_ops.no_op("statically_determined_correct_type")


def _static_rank_check(x, ranks, name):
    """TF's check_ops.assert_rank_in where ranks are static (a NoOp), raising TF's error otherwise.

    Raises:
      ValueError: when the rank is not among ``ranks``, or is not known statically (TF then checks at
        run time with tf.Assert, which torchmeta does not build yet).
    """
    with name_scope(name, "assert_rank_in", (x, *ranks)):
        x = convert_to_tensor(x, name="x")
        ranks = tuple(convert_to_tensor(rank, name="rank") for rank in ranks)
        array_ops.shape(x)  # TF builds it for the message
        for rank in ranks:
            _assert_type(rank, dtypes.DType.int32)
        ranks_static = tuple(tensor_util.constant_value(rank) for rank in ranks)
        if any(r is None for r in ranks_static) or x.shape.rank is None:
            raise ValueError(
                f"Tensor {x.name}: torchmeta checks the weights' rank statically only; give them a known rank"
            )
        if x.shape.rank not in [int(r) for r in ranks_static]:
            raise ValueError(
                f"Tensor {x.name} must have rank in {tuple(int(r) for r in ranks_static)}.  Received rank "
                f"{x.shape.rank}, shape {x.shape}"
            )
        return control_flow_ops.no_op(name="static_checks_determined_all_ok")


def _remove_squeezable_dimensions(predictions, labels, weights):
    predictions = convert_to_tensor(predictions)
    if labels is not None:
        labels, predictions = remove_squeezable_dimensions(labels, predictions)
        predictions.shape.assert_is_compatible_with(labels.shape)
    if weights is None:
        return predictions, labels, None
    weights = convert_to_tensor(weights)
    weights_rank = weights.shape.rank
    if weights_rank == 0:
        return predictions, labels, weights
    predictions_rank = predictions.shape.rank
    if predictions_rank is not None and weights_rank is not None:
        if weights_rank - predictions_rank == 1:
            weights = array_ops.squeeze(weights, [-1])
        elif predictions_rank - weights_rank == 1:
            weights = array_ops.expand_dims(weights, [-1])
        return predictions, labels, weights
    # A rank known only at run time: TF's nested tf.conds.
    weights_rank_tensor = array_ops.rank(weights)
    rank_diff = weights_rank_tensor - array_ops.rank(predictions)

    def maybe_expand_weights():
        return cond(math_ops.equal(rank_diff, -1), lambda: array_ops.expand_dims(weights, [-1]), lambda: weights)

    if weights_rank is not None and not weights.shape[-1].is_compatible_with(1):
        maybe_squeeze_weights = lambda: weights  # noqa: E731 - TF's shape
    else:
        maybe_squeeze_weights = lambda: array_ops.squeeze(weights, [-1])  # noqa: E731

    def maybe_adjust_weights():
        return cond(math_ops.equal(rank_diff, 1), maybe_squeeze_weights, maybe_expand_weights)

    weights = cond(math_ops.equal(weights_rank_tensor, 0), lambda: weights, maybe_adjust_weights)
    return predictions, labels, weights


def mean(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """``tf.metrics.mean``: (mean of all values so far, update_op); local variables ``mean/total`` and
    ``mean/count``."""
    with vs.variable_scope(name, "mean", (values, weights)):
        values = math_ops.cast(values, _F32)
        total = metric_variable([], _F32, name="total")
        count = metric_variable([], _F32, name="count")
        if weights is None:
            num_values = math_ops.cast(array_ops.size(values), _F32)
        else:
            values, _, weights = _remove_squeezable_dimensions(predictions=values, labels=None, weights=weights)
            weights = broadcast_weights(math_ops.cast(weights, _F32), values)
            values = math_ops.multiply(values, weights)
            num_values = math_ops.reduce_sum(weights)
        update_total_op = state_ops.assign_add(total, math_ops.reduce_sum(values))
        with graph_lib.control_dependencies([values]):
            update_count_op = state_ops.assign_add(count, num_values)

        def compute_mean(_, t, c):
            return math_ops.div_no_nan(t, math_ops.maximum(c, 0), name="value")

        mean_t = _aggregate(metrics_collections, compute_mean, total, count)
        update_op = math_ops.div_no_nan(update_total_op, math_ops.maximum(update_count_op, 0), name="update_op")
        if updates_collections:
            graph_lib.add_to_collections(updates_collections, update_op)
        return mean_t, update_op


def accuracy(labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """``tf.metrics.accuracy``: the (weighted) frequency of ``predictions == labels`` so far."""
    predictions, labels, weights = _remove_squeezable_dimensions(
        predictions=predictions, labels=labels, weights=weights
    )
    predictions.shape.assert_is_compatible_with(labels.shape)
    if labels.dtype != predictions.dtype:
        predictions = math_ops.cast(predictions, labels.dtype)
    is_correct = math_ops.cast(math_ops.equal(predictions, labels), _F32)
    return mean(is_correct, weights, metrics_collections, updates_collections, name or "accuracy")


def _count_condition(values, weights=None, metrics_collections=None, updates_collections=None):
    _assert_type(values, dtypes.DType.bool)
    count = metric_variable([], _F32, name="count")
    values = math_ops.cast(values, _F32)
    if weights is not None:
        with graph_lib.control_dependencies((_static_rank_check(weights, (0, array_ops.rank(values)), None),)):
            weights = math_ops.cast(weights, _F32)
            values = math_ops.multiply(values, weights)
    value_tensor = _aggregate_variable(count, metrics_collections)
    update_op = state_ops.assign_add(count, math_ops.reduce_sum(values))
    if updates_collections:
        graph_lib.add_to_collections(updates_collections, update_op)
    return value_tensor, update_op


def _condition_metric(default_name, label_value, prediction_value):
    def metric(labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None):
        with vs.variable_scope(name, default_name, (predictions, labels, weights)):
            predictions, labels, weights = _remove_squeezable_dimensions(
                predictions=math_ops.cast(predictions, dtype=dtypes.DType.bool),
                labels=math_ops.cast(labels, dtype=dtypes.DType.bool),
                weights=weights,
            )
            condition = math_ops.logical_and(
                math_ops.equal(labels, label_value), math_ops.equal(predictions, prediction_value)
            )
            return _count_condition(condition, weights, metrics_collections, updates_collections)

    metric.__name__ = metric.__qualname__ = default_name
    metric.__doc__ = f"``tf.metrics.{default_name}``: the (weighted) count so far; a local variable ``count``."
    return metric


true_positives = _condition_metric("true_positives", True, True)
false_positives = _condition_metric("false_positives", False, True)
true_negatives = _condition_metric("true_negatives", False, False)
false_negatives = _condition_metric("false_negatives", True, False)


def _ratio_metric(default_name, other, doc):
    def metric(labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None):
        with vs.variable_scope(name, default_name, (predictions, labels, weights)):
            predictions, labels, weights = _remove_squeezable_dimensions(
                predictions=math_ops.cast(predictions, dtype=dtypes.DType.bool),
                labels=math_ops.cast(labels, dtype=dtypes.DType.bool),
                weights=weights,
            )
            true_p, true_p_update = true_positives(labels, predictions, weights)
            other_v, other_update = other(labels, predictions, weights)

            def compute(tp, o, name):
                return array_ops.where(math_ops.greater(tp + o, 0), math_ops.divide(tp, tp + o), 0, name)

            value = _aggregate(metrics_collections, lambda _, tp, o: compute(tp, o, "value"), true_p, other_v)
            update_op = compute(true_p_update, other_update, "update_op")
            if updates_collections:
                graph_lib.add_to_collections(updates_collections, update_op)
            return value, update_op

    metric.__name__ = metric.__qualname__ = default_name
    metric.__doc__ = doc
    return metric


precision = _ratio_metric(
    "precision", false_positives, "``tf.metrics.precision``: true positives / (true + false positives) so far."
)
recall = _ratio_metric(
    "recall", false_negatives, "``tf.metrics.recall``: true positives / (true positives + false negatives) so far."
)


def mean_absolute_error(
    labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    """``tf.metrics.mean_absolute_error``: the (weighted) mean of ``|predictions - labels|`` so far."""
    predictions, labels, weights = _remove_squeezable_dimensions(
        predictions=predictions, labels=labels, weights=weights
    )
    absolute_errors = math_ops.abs(predictions - labels)
    return mean(absolute_errors, weights, metrics_collections, updates_collections, name or "mean_absolute_error")


def mean_squared_error(
    labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    """``tf.metrics.mean_squared_error``: the (weighted) mean of ``(labels - predictions) ** 2`` so far."""
    predictions, labels, weights = _remove_squeezable_dimensions(
        predictions=predictions, labels=labels, weights=weights
    )
    squared_error = math_ops.squared_difference(labels, predictions)
    return mean(squared_error, weights, metrics_collections, updates_collections, name or "mean_squared_error")


def root_mean_squared_error(
    labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    """``tf.metrics.root_mean_squared_error``: the square root of the streaming mean squared error."""
    predictions, labels, weights = _remove_squeezable_dimensions(
        predictions=predictions, labels=labels, weights=weights
    )
    mse, update_mse_op = mean_squared_error(labels, predictions, weights, None, None, name or "root_mean_squared_error")
    rmse = _aggregate(metrics_collections, lambda _, m: math_ops.sqrt(m), mse)
    update_rmse_op = math_ops.sqrt(update_mse_op)
    if updates_collections:
        graph_lib.add_to_collections(updates_collections, update_rmse_op)
    return rmse, update_rmse_op


def mean_relative_error(
    labels, predictions, normalizer, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    """``tf.metrics.mean_relative_error``: the mean of ``|labels - predictions| / normalizer`` (0 where the
    normalizer is 0) so far."""
    predictions, labels, weights = _remove_squeezable_dimensions(
        predictions=predictions, labels=labels, weights=weights
    )
    predictions, normalizer = remove_squeezable_dimensions(predictions, normalizer)
    predictions.shape.assert_is_compatible_with(normalizer.shape)
    relative_errors = array_ops.where(
        math_ops.equal(normalizer, 0.0),
        array_ops.zeros_like(labels),
        math_ops.divide(math_ops.abs(labels - predictions), normalizer),
    )
    return mean(relative_errors, weights, metrics_collections, updates_collections, name or "mean_relative_error")


def mean_per_class_accuracy(
    labels, predictions, num_classes, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    """``tf.metrics.mean_per_class_accuracy``: the mean over classes of each class's accuracy so far; local
    variables ``mean_accuracy/total`` and ``mean_accuracy/count`` of ``num_classes`` entries."""
    with vs.variable_scope(name, "mean_accuracy", (predictions, labels, weights)):
        labels = math_ops.cast(labels, dtypes.DType.int64)
        if labels.shape.ndims > 1:
            labels = array_ops.reshape(labels, [-1])
        if predictions.shape.ndims > 1:
            predictions = array_ops.reshape(predictions, [-1])
        predictions.shape.assert_is_compatible_with(labels.shape)
        total = metric_variable([num_classes], _F32, name="total")
        count = metric_variable([num_classes], _F32, name="count")
        ones = array_ops.ones([array_ops.size(labels)], _F32)
        if labels.dtype != predictions.dtype:
            predictions = math_ops.cast(predictions, labels.dtype)
        is_correct = math_ops.cast(math_ops.equal(predictions, labels), _F32)
        if weights is not None:
            if weights.shape.ndims > 1:
                weights = array_ops.reshape(weights, [-1])
            weights = math_ops.cast(weights, _F32)
            is_correct *= weights
            ones *= weights
        update_total_op = state_ops.scatter_add(total, labels, ones)
        update_count_op = state_ops.scatter_add(count, labels, is_correct)

        def compute_mean_accuracy(_, count, total):
            per_class_accuracy = math_ops.div_no_nan(count, math_ops.maximum(total, 0), name=None)
            return math_ops.reduce_mean(per_class_accuracy, name="mean_accuracy")

        mean_accuracy_v = _aggregate(metrics_collections, compute_mean_accuracy, count, total)
        update_op = math_ops.div_no_nan(update_count_op, math_ops.maximum(update_total_op, 0), name="update_op")
        if updates_collections:
            graph_lib.add_to_collections(updates_collections, update_op)
        return mean_accuracy_v, update_op


def mean_tensor(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """``tf.metrics.mean_tensor``: the element-wise (weighted) mean of ``values`` so far; local variables
    ``mean/total_tensor`` and ``mean/count_tensor`` shaped like ``values``."""
    with vs.variable_scope(name, "mean", (values, weights)):
        values = math_ops.cast(values, _F32)
        total = metric_variable(values.shape, _F32, name="total_tensor")
        count = metric_variable(values.shape, _F32, name="count_tensor")
        num_values = array_ops.ones_like(values)
        if weights is not None:
            values, _, weights = _remove_squeezable_dimensions(predictions=values, labels=None, weights=weights)
            weights = broadcast_weights(math_ops.cast(weights, _F32), values)
            values = math_ops.multiply(values, weights)
            num_values = math_ops.multiply(num_values, weights)
        update_total_op = state_ops.assign_add(total, values)
        with graph_lib.control_dependencies([values]):
            update_count_op = state_ops.assign_add(count, num_values)
        mean_t = _aggregate(
            metrics_collections,
            lambda _, t, c: math_ops.div_no_nan(t, math_ops.maximum(c, 0), name="value"),
            total,
            count,
        )
        update_op = math_ops.div_no_nan(update_total_op, math_ops.maximum(update_count_op, 0), name="update_op")
        if updates_collections:
            graph_lib.add_to_collections(updates_collections, update_op)
        return mean_t, update_op


def percentage_below(values, threshold, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """``tf.metrics.percentage_below``: the (weighted) fraction of ``values`` below ``threshold`` so far."""
    is_below_threshold = math_ops.cast(math_ops.less(values, threshold), _F32)
    return mean(
        is_below_threshold, weights, metrics_collections, updates_collections, name or "percentage_below_threshold"
    )


# ---------------------------------------------------------------------------------------------
# Confusion matrices: mean_iou, and the counts per threshold behind auc and the *_at_thresholds metrics


def _streaming_confusion_matrix(labels, predictions, num_classes, weights=None):
    total_cm = metric_variable([num_classes, num_classes], dtypes.DType.float64, name="total_confusion_matrix")
    predictions = math_ops.cast(predictions, dtypes.DType.int64)
    labels = math_ops.cast(labels, dtypes.DType.int64)
    num_classes = math_ops.cast(num_classes, dtypes.DType.int64)
    if predictions.shape.ndims > 1:
        predictions = array_ops.reshape(predictions, [-1])
    if labels.shape.ndims > 1:
        labels = array_ops.reshape(labels, [-1])
    if weights is not None and weights.shape.ndims > 1:
        weights = array_ops.reshape(weights, [-1])
    current_cm = confusion_matrix(labels, predictions, num_classes, weights=weights, dtype=dtypes.DType.float64)
    update_op = state_ops.assign_add(total_cm, current_cm)
    return total_cm, update_op


def mean_iou(
    labels, predictions, num_classes, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    """``tf.metrics.mean_iou``: the mean over classes present of intersection / union, from a streaming
    confusion matrix (local variable ``mean_iou/total_confusion_matrix``, float64)."""
    with vs.variable_scope(name, "mean_iou", (predictions, labels, weights)):
        predictions.shape.assert_is_compatible_with(labels.shape)
        total_cm, update_op = _streaming_confusion_matrix(labels, predictions, num_classes, weights)

        def compute_mean_iou(_, total_cm):
            sum_over_row = math_ops.cast(math_ops.reduce_sum(total_cm, 0), _F32)
            sum_over_col = math_ops.cast(math_ops.reduce_sum(total_cm, 1), _F32)
            cm_diag = math_ops.cast(linalg_ops.diag_part(total_cm), _F32)
            denominator = sum_over_row + sum_over_col - cm_diag
            num_valid_entries = math_ops.reduce_sum(math_ops.cast(math_ops.not_equal(denominator, 0), dtype=_F32))
            denominator = array_ops.where(
                math_ops.greater(denominator, 0), denominator, array_ops.ones_like(denominator)
            )
            iou = math_ops.divide(cm_diag, denominator)
            return array_ops.where(
                math_ops.greater(num_valid_entries, 0), math_ops.reduce_sum(iou, name="mean_iou") / num_valid_entries, 0
            )

        mean_iou_v = _aggregate(metrics_collections, compute_mean_iou, total_cm)
        if updates_collections:
            graph_lib.add_to_collections(updates_collections, update_op)
        return mean_iou_v, update_op


def _confusion_matrix_at_thresholds(labels, predictions, thresholds, weights=None, includes=None):
    """TF's per-threshold tp/fn/tn/fp local variables and their update ops (predictions checked in [0, 1])."""
    all_includes = ("tp", "fn", "tn", "fp")
    if includes is None:
        includes = all_includes
    else:
        for include in includes:
            if include not in all_includes:
                raise ValueError(f"Invalid key: {include}")
    with graph_lib.control_dependencies(
        [
            check_ops.assert_greater_equal(
                predictions, math_ops.cast(0.0, dtype=predictions.dtype), message="predictions must be in [0, 1]"
            ),
            check_ops.assert_less_equal(
                predictions, math_ops.cast(1.0, dtype=predictions.dtype), message="predictions must be in [0, 1]"
            ),
        ]
    ):
        predictions, labels, weights = _remove_squeezable_dimensions(
            predictions=math_ops.cast(predictions, _F32),
            labels=math_ops.cast(labels, dtype=dtypes.DType.bool),
            weights=weights,
        )
    num_thresholds = len(thresholds)
    predictions_2d = array_ops.reshape(predictions, [-1, 1])
    labels_2d = array_ops.reshape(math_ops.cast(labels, dtype=dtypes.DType.bool), [1, -1])
    num_predictions = predictions_2d.shape.as_list()[0]
    if num_predictions is None:
        num_predictions = array_ops.shape(predictions_2d)[0]
    thresh_tiled = array_ops.tile(
        array_ops.expand_dims(array_ops.constant(thresholds), [1]), array_ops.stack([1, num_predictions])
    )
    pred_is_pos = math_ops.greater(
        array_ops.tile(array_ops.transpose(predictions_2d), [num_thresholds, 1]), thresh_tiled
    )
    if "fn" in includes or "tn" in includes:
        pred_is_neg = math_ops.logical_not(pred_is_pos)
    label_is_pos = array_ops.tile(labels_2d, [num_thresholds, 1])
    if "fp" in includes or "tn" in includes:
        label_is_neg = math_ops.logical_not(label_is_pos)
    if weights is not None:
        weights = broadcast_weights(math_ops.cast(weights, _F32), predictions)
        weights_tiled = array_ops.tile(array_ops.reshape(weights, [1, -1]), [num_thresholds, 1])
        thresh_tiled.shape.assert_is_compatible_with(weights_tiled.shape)
    else:
        weights_tiled = None
    values, update_ops = {}, {}
    cases = (
        ("tp", "true_positives", lambda: (label_is_pos, pred_is_pos)),
        ("fn", "false_negatives", lambda: (label_is_pos, pred_is_neg)),
        ("tn", "true_negatives", lambda: (label_is_neg, pred_is_neg)),
        ("fp", "false_positives", lambda: (label_is_neg, pred_is_pos)),
    )
    for key, var_name, operands in cases:
        if key not in includes:
            continue
        variable = metric_variable([num_thresholds], _F32, name=var_name)
        is_case = math_ops.cast(math_ops.logical_and(*operands()), _F32)
        if weights_tiled is not None:
            is_case *= weights_tiled
        update_ops[key] = state_ops.assign_add(variable, math_ops.reduce_sum(is_case, 1))
        values[key] = variable
    return values, update_ops


def auc(
    labels,
    predictions,
    weights=None,
    num_thresholds=200,
    metrics_collections=None,
    updates_collections=None,
    curve="ROC",
    name=None,
    summation_method="trapezoidal",
    thresholds=None,
):
    """``tf.metrics.auc``: the area under the ROC or PR curve, from tp/fn/tn/fp counted at
    ``num_thresholds`` thresholds (or the given ones) over all batches so far.

    Raises:
      ValueError: an unknown ``curve`` or ``summation_method`` (TF's messages).
    """
    with vs.variable_scope(name, "auc", (labels, predictions, weights)):
        if curve != "ROC" and curve != "PR":
            raise ValueError(f"Curve must be either ROC or PR. Curve {curve} is unknown.")
        kepsilon = 1e-7
        if thresholds is not None:
            thresholds = sorted(thresholds)
            num_thresholds = len(thresholds) + 2
        else:
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        thresholds = [0.0 - kepsilon, *thresholds, 1.0 + kepsilon]
        values, update_ops = _confusion_matrix_at_thresholds(labels, predictions, thresholds, weights)
        epsilon = 1.0e-6

        def interpolate_pr_auc(tp, fp, fn):
            dtp = tp[: num_thresholds - 1] - tp[1:]
            p = tp + fp
            prec_slope = math_ops.div_no_nan(
                dtp, math_ops.maximum(p[: num_thresholds - 1] - p[1:], 0), name="prec_slope"
            )
            intercept = tp[1:] - math_ops.multiply(prec_slope, p[1:])
            safe_p_ratio = array_ops.where(
                math_ops.logical_and(p[: num_thresholds - 1] > 0, p[1:] > 0),
                math_ops.div_no_nan(p[: num_thresholds - 1], math_ops.maximum(p[1:], 0), name="recall_relative_ratio"),
                array_ops.ones_like(p[1:]),
            )
            return math_ops.reduce_sum(
                math_ops.div_no_nan(
                    prec_slope * (dtp + intercept * math_ops.log(safe_p_ratio)),
                    math_ops.maximum(tp[1:] + fn[1:], 0),
                    name="pr_auc_increment",
                ),
                name="interpolate_pr_auc",
            )

        def compute_auc(tp, fn, tn, fp, name):
            if curve == "PR" and summation_method == "trapezoidal":
                tf_logging.warning(
                    'Trapezoidal rule is known to produce incorrect PR-AUCs; please switch to "careful_interpolation" '
                    "instead."
                )
            elif curve == "PR" and summation_method == "careful_interpolation":
                return interpolate_pr_auc(tp, fp, fn)
            rec = math_ops.divide(tp + epsilon, tp + fn + epsilon)
            if curve == "ROC":
                x, y = math_ops.divide(fp, fp + tn + epsilon), rec
            else:
                x, y = rec, math_ops.divide(tp + epsilon, tp + fp + epsilon)
            if summation_method in ("trapezoidal", "careful_interpolation"):
                return math_ops.reduce_sum(
                    math_ops.multiply(x[: num_thresholds - 1] - x[1:], (y[: num_thresholds - 1] + y[1:]) / 2.0),
                    name=name,
                )
            if summation_method == "minoring":
                return math_ops.reduce_sum(
                    math_ops.multiply(
                        x[: num_thresholds - 1] - x[1:], math_ops.minimum(y[: num_thresholds - 1], y[1:])
                    ),
                    name=name,
                )
            if summation_method == "majoring":
                return math_ops.reduce_sum(
                    math_ops.multiply(
                        x[: num_thresholds - 1] - x[1:], math_ops.maximum(y[: num_thresholds - 1], y[1:])
                    ),
                    name=name,
                )
            raise ValueError(
                f"Invalid summation_method: {summation_method} summation_method should be 'trapezoidal', "
                "'careful_interpolation', 'minoring', or 'majoring'."
            )

        auc_value = _aggregate(
            metrics_collections, lambda _, v: compute_auc(v["tp"], v["fn"], v["tn"], v["fp"], "value"), values
        )
        update_op = compute_auc(update_ops["tp"], update_ops["fn"], update_ops["tn"], update_ops["fp"], "update_op")
        if updates_collections:
            graph_lib.add_to_collections(updates_collections, update_op)
        return auc_value, update_op


def _count_at_thresholds(default_name, key):
    def metric(
        labels, predictions, thresholds, weights=None, metrics_collections=None, updates_collections=None, name=None
    ):
        with vs.variable_scope(name, default_name, (predictions, labels, weights)):
            values, update_ops = _confusion_matrix_at_thresholds(
                labels, predictions, thresholds, weights=weights, includes=(key,)
            )
            value = _aggregate_variable(values[key], metrics_collections)
            if updates_collections:
                graph_lib.add_to_collections(updates_collections, update_ops[key])
            return value, update_ops[key]

    metric.__name__ = metric.__qualname__ = f"{default_name}_at_thresholds"
    metric.__doc__ = f"``tf.metrics.{default_name}_at_thresholds``: the (weighted) count at each threshold so far."
    return metric


true_positives_at_thresholds = _count_at_thresholds("true_positives", "tp")
false_positives_at_thresholds = _count_at_thresholds("false_positives", "fp")
true_negatives_at_thresholds = _count_at_thresholds("true_negatives", "tn")
false_negatives_at_thresholds = _count_at_thresholds("false_negatives", "fn")


def _ratio_at_thresholds(default_name, other, doc):
    def metric(
        labels, predictions, thresholds, weights=None, metrics_collections=None, updates_collections=None, name=None
    ):
        with vs.variable_scope(name, f"{default_name}_at_thresholds", (predictions, labels, weights)):
            values, update_ops = _confusion_matrix_at_thresholds(
                labels, predictions, thresholds, weights, includes=("tp", other)
            )
            epsilon = 1e-7

            def compute(tp, o, name):
                return math_ops.divide(tp, epsilon + tp + o, name=f"{default_name}_{name}")

            value = _aggregate(metrics_collections, lambda _, v: compute(v["tp"], v[other], "value"), values)
            update_op = compute(update_ops["tp"], update_ops[other], "update_op")
            if updates_collections:
                graph_lib.add_to_collections(updates_collections, update_op)
            return value, update_op

    metric.__name__ = metric.__qualname__ = f"{default_name}_at_thresholds"
    metric.__doc__ = doc
    return metric


precision_at_thresholds = _ratio_at_thresholds(
    "precision", "fp", "``tf.metrics.precision_at_thresholds``: tp / (tp + fp) at each threshold so far."
)
recall_at_thresholds = _ratio_at_thresholds(
    "recall", "fn", "``tf.metrics.recall_at_thresholds``: tp / (tp + fn) at each threshold so far."
)


def sensitivity_at_specificity(
    labels,
    predictions,
    specificity,
    weights=None,
    num_thresholds=200,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """``tf.metrics.sensitivity_at_specificity``: the recall at the threshold whose specificity is closest
    to ``specificity``, from counts at ``num_thresholds`` thresholds so far.

    Raises:
      ValueError: ``specificity`` outside [0, 1] (TF's message).
    """
    if specificity < 0 or specificity > 1:
        raise ValueError(f"`specificity` must be in the range [0, 1]. Currently, `specificity` got {specificity}.")
    with vs.variable_scope(name, "sensitivity_at_specificity", (predictions, labels, weights)):
        kepsilon = 1e-7
        thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        thresholds = [0.0 - kepsilon, *thresholds, 1.0 + kepsilon]
        values, update_ops = _confusion_matrix_at_thresholds(labels, predictions, thresholds, weights)

        def compute(tp, tn, fp, fn, name):
            specificities = math_ops.divide(tn, tn + fp + kepsilon)
            tf_index = math_ops.argmin(math_ops.abs(specificities - specificity), 0)
            tf_index = math_ops.cast(tf_index, dtypes.DType.int32)
            return math_ops.divide(tp[tf_index], tp[tf_index] + fn[tf_index] + kepsilon, name)

        sensitivity = _aggregate(
            metrics_collections, lambda _, v: compute(v["tp"], v["tn"], v["fp"], v["fn"], "value"), values
        )
        update_op = compute(update_ops["tp"], update_ops["tn"], update_ops["fp"], update_ops["fn"], "update_op")
        if updates_collections:
            graph_lib.add_to_collections(updates_collections, update_op)
        return sensitivity, update_op


def specificity_at_sensitivity(
    labels,
    predictions,
    sensitivity,
    weights=None,
    num_thresholds=200,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """``tf.metrics.specificity_at_sensitivity``: the specificity at the (last) threshold whose recall is
    closest to ``sensitivity``, from counts at ``num_thresholds`` thresholds so far.

    Raises:
      ValueError: ``sensitivity`` outside [0, 1] (TF's message).
    """
    if sensitivity < 0 or sensitivity > 1:
        raise ValueError(f"`sensitivity` must be in the range [0, 1]. Currently, `sensitivity` is {sensitivity}.")
    with vs.variable_scope(name, "specificity_at_sensitivity", (predictions, labels, weights)):
        kepsilon = 1e-7
        thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        thresholds = [0.0 - kepsilon, *thresholds, 1.0 - kepsilon]
        values, update_ops = _confusion_matrix_at_thresholds(labels, predictions, thresholds, weights)

        def compute(tp, tn, fp, fn, name):
            sensitivities = math_ops.divide(tp, tp + fn + kepsilon)
            min_val = math_ops.reduce_min(math_ops.abs(sensitivities - sensitivity))
            indices_at_minval = math_ops.equal(math_ops.abs(sensitivities - sensitivity), min_val)
            indices_at_minval = math_ops.cast(indices_at_minval, dtypes.DType.int64)
            indices_at_minval = math_ops.cumsum(indices_at_minval)
            tf_index = math_ops.argmax(indices_at_minval, 0)
            tf_index = math_ops.cast(tf_index, dtypes.DType.int32)
            return math_ops.divide(tn[tf_index], tn[tf_index] + fp[tf_index] + kepsilon, name)

        specificity = _aggregate(
            metrics_collections, lambda _, v: compute(v["tp"], v["tn"], v["fp"], v["fn"], "value"), values
        )
        update_op = compute(update_ops["tp"], update_ops["tn"], update_ops["fp"], update_ops["fn"], "update_op")
        if updates_collections:
            graph_lib.add_to_collections(updates_collections, update_op)
        return specificity, update_op


# ---------------------------------------------------------------------------------------------
# Precision and recall at k (set intersections and differences of the top-k ids and the labels)


def _at_k_name(name, k=None, class_id=None):
    name = f"{name}_at_{k}" if k is not None else f"{name}_at_k"
    return f"{name}_class{class_id}" if class_id is not None else name


def _maybe_expand_labels(labels, predictions):
    """Labels of rank ``rank(predictions) - 1`` get a trailing dimension (a tf.cond when a rank is not static).

    SparseTensor labels get theirs by SparseReshape, always under a tf.cond on the ranks (as TF builds it).

    Raises:
      ValueError: static ranks that fit neither way (TF's message).
    """
    with name_scope(None, "expand_labels", (labels, predictions)) as scope:
        labels = convert_to_tensor_or_sparse_tensor(labels)
        if isinstance(labels, SparseTensor):
            return cond(
                math_ops.equal(array_ops.rank(predictions), array_ops.size(labels.dense_shape) + 1),
                lambda: sparse_reshape(labels, shape=array_ops.concat((labels.dense_shape, (1,)), 0), name=scope),
                lambda: labels,
            )
        labels_rank = labels.shape.ndims
        if labels_rank is not None:
            predictions_rank = predictions.shape.ndims
            if predictions_rank is not None:
                if predictions_rank == labels_rank:
                    return labels
                if predictions_rank == labels_rank + 1:
                    return array_ops.expand_dims(labels, -1, name=scope)
                raise ValueError(
                    f"Unexpected labels shape {labels.shape} for predictions shape {predictions.shape}. Predictions "
                    "rank should be the same rank as labels rank or labels rank plus one ."
                )
        return cond(
            math_ops.equal(array_ops.rank(predictions), array_ops.rank(labels) + 1),
            lambda: array_ops.expand_dims(labels, -1, name=scope),
            lambda: labels,
        )


def _select_class_id(ids, selected_id):
    ids = convert_to_tensor_or_sparse_tensor(ids)
    if isinstance(ids, SparseTensor):
        return sparse_retain(ids, math_ops.equal(ids.values, selected_id))
    ids_shape = array_ops.shape(ids, out_type=dtypes.DType.int64)
    ids_last_dim = array_ops.size(ids_shape) - 1
    filled_selected_id_shape = math_ops.reduced_shape(ids_shape, array_ops.reshape(ids_last_dim, [1]))
    filled_selected_id = array_ops.fill(filled_selected_id_shape, math_ops.cast(selected_id, dtypes.DType.int64))
    result = sets_impl.set_intersection(filled_selected_id, ids)
    return SparseTensor(indices=result.indices, values=result.values, dense_shape=ids_shape)


def _maybe_select_class_id(labels, predictions_idx, selected_id=None):
    if selected_id is None:
        return labels, predictions_idx
    return _select_class_id(labels, selected_id), _select_class_id(predictions_idx, selected_id)


def _weighted_set_counts(counts, weights):
    counts = math_ops.cast(counts, dtypes.DType.float64)
    if weights is not None:
        with graph_lib.control_dependencies((assert_broadcastable(weights, counts),)):
            weights = math_ops.cast(weights, dtypes.DType.float64)
            counts = math_ops.multiply(counts, weights)
    return counts


def _sparse_true_positive_at_k(labels, predictions_idx, class_id=None, weights=None, name=None):
    with name_scope(name, "true_positives", (predictions_idx, labels, weights)):
        labels, predictions_idx = _maybe_select_class_id(labels, predictions_idx, class_id)
        tp = sets_impl.set_size(sets_impl.set_intersection(predictions_idx, labels))
        return _weighted_set_counts(tp, weights)


def _sparse_false_negative_at_k(labels, predictions_idx, class_id=None, weights=None):
    with name_scope(None, "false_negatives", (predictions_idx, labels, weights)):
        labels, predictions_idx = _maybe_select_class_id(labels, predictions_idx, class_id)
        fn = sets_impl.set_size(sets_impl.set_difference(predictions_idx, labels, aminusb=False))
        return _weighted_set_counts(fn, weights)


def _sparse_false_positive_at_k(labels, predictions_idx, class_id=None, weights=None):
    with name_scope(None, "false_positives", (predictions_idx, labels, weights)):
        labels, predictions_idx = _maybe_select_class_id(labels, predictions_idx, class_id)
        fp = sets_impl.set_size(sets_impl.set_difference(predictions_idx, labels, aminusb=True))
        return _weighted_set_counts(fp, weights)


def _streaming_sparse_count_at_k(kind, count_fn, labels, predictions_idx, k=None, class_id=None, weights=None):
    with name_scope(None, _at_k_name(kind, k, class_id=class_id), (predictions_idx, labels, weights)) as scope:
        counts = count_fn(predictions_idx=predictions_idx, labels=labels, class_id=class_id, weights=weights)
        batch_total = math_ops.cast(math_ops.reduce_sum(counts), dtypes.DType.float64)
        var = metric_variable([], dtypes.DType.float64, name=scope)
        return var, state_ops.assign_add(var, batch_total, name="update")


def _ratio_at_top_k(kind, other_kind, other_fn):
    def metric(
        labels,
        predictions_idx,
        k=None,
        class_id=None,
        weights=None,
        metrics_collections=None,
        updates_collections=None,
        name=None,
    ):
        with name_scope(name, _at_k_name(kind, k, class_id=class_id), (predictions_idx, labels, weights)) as scope:
            labels = _maybe_expand_labels(labels, predictions_idx)
            top_k_idx = math_ops.cast(predictions_idx, dtypes.DType.int64)
            tp, tp_update = _streaming_sparse_count_at_k(
                "true_positive", _sparse_true_positive_at_k, labels, top_k_idx, k, class_id, weights
            )
            other, other_update = _streaming_sparse_count_at_k(
                other_kind, other_fn, labels, top_k_idx, k, class_id, weights
            )
            value = _aggregate(
                metrics_collections, lambda _, t, o: math_ops.divide(t, math_ops.add(t, o), name=scope), tp, other
            )
            update = math_ops.divide(tp_update, math_ops.add(tp_update, other_update), name="update")
            if updates_collections:
                graph_lib.add_to_collections(updates_collections, update)
            return value, update

    metric.__name__ = metric.__qualname__ = f"{kind}_at_top_k"
    return metric


recall_at_top_k = _ratio_at_top_k("recall", "false_negative", _sparse_false_negative_at_k)
recall_at_top_k.__doc__ = (
    """``tf.metrics.recall_at_top_k``: recall of the given top-k class ids against the labels so far."""
)
precision_at_top_k = _ratio_at_top_k("precision", "false_positive", _sparse_false_positive_at_k)
precision_at_top_k.__doc__ = """``tf.metrics.precision_at_top_k``: precision of the given top-k class ids so far."""


def recall_at_k(
    labels, predictions, k, class_id=None, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    """``tf.metrics.recall_at_k``: how many of the label classes are among the ``k`` highest predictions,
    over all batches so far (local variables ``true_positive_at_<k>`` and ``false_negative_at_<k>``)."""
    with name_scope(name, _at_k_name("recall", k, class_id=class_id), (predictions, labels, weights)) as scope:
        _, top_k_idx = nn_ops.top_k(predictions, k)
        return recall_at_top_k(
            labels=labels,
            predictions_idx=top_k_idx,
            k=k,
            class_id=class_id,
            weights=weights,
            metrics_collections=metrics_collections,
            updates_collections=updates_collections,
            name=scope,
        )


def precision_at_k(
    labels, predictions, k, class_id=None, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    """``tf.metrics.precision_at_k``: how many of the ``k`` highest predictions are label classes, over all
    batches so far (local variables ``true_positive_at_<k>`` and ``false_positive_at_<k>``)."""
    with name_scope(name, _at_k_name("precision", k, class_id=class_id), (predictions, labels, weights)) as scope:
        _, top_k_idx = nn_ops.top_k(predictions, k)
        return precision_at_top_k(
            labels=labels,
            predictions_idx=top_k_idx,
            k=k,
            class_id=class_id,
            weights=weights,
            metrics_collections=metrics_collections,
            updates_collections=updates_collections,
            name=scope,
        )


def sparse_precision_at_k(
    labels, predictions, k, class_id=None, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    """``tf.metrics.sparse_precision_at_k``: the deprecated name of ``precision_at_k``."""
    return precision_at_k(
        labels=labels,
        predictions=predictions,
        k=k,
        class_id=class_id,
        weights=weights,
        metrics_collections=metrics_collections,
        updates_collections=updates_collections,
        name=name,
    )


def _expand_and_tile(tensor, multiple, dim=0, name=None):
    if multiple < 1:
        raise ValueError(
            f"Invalid argument multiple={multiple} for expand_and_tile  call. `multiple` must be an integer > 0"
        )
    with name_scope(name, "expand_and_tile", (tensor, multiple, dim)) as scope:
        tensor = convert_to_tensor_or_sparse_tensor(tensor)
        if isinstance(tensor, SparseTensor):
            if dim < 0:
                expand_dims = array_ops.reshape(array_ops.size(tensor.dense_shape) + dim, [1])
            else:
                expand_dims = [dim]
            expanded_shape = array_ops.concat(
                (
                    array_ops.slice(tensor.dense_shape, [0], expand_dims),
                    [1],
                    array_ops.slice(tensor.dense_shape, expand_dims, [-1]),
                ),
                0,
                name="expanded_shape",
            )
            expanded = sparse_reshape(tensor, shape=expanded_shape, name="expand")
            if multiple == 1:
                return expanded
            return sparse_concat(dim - 1 if dim < 0 else dim, [expanded] * multiple, name=scope)
        expanded = array_ops.expand_dims(tensor, dim if dim >= 0 else dim - 1, name="expand")
        if multiple == 1:
            return expanded
        ones = array_ops.ones_like(array_ops.shape(tensor))
        tile_multiples = array_ops.concat((ones[:dim], (multiple,), ones[dim:]), 0, name="multiples")
        return array_ops.tile(expanded, tile_multiples, name=scope)


def _num_relevant(labels, k):
    if k < 1:
        raise ValueError(f"Invalid k={k}")
    with name_scope(None, "num_relevant", (labels,)) as scope:
        labels = convert_to_tensor_or_sparse_tensor(labels)
        if isinstance(labels, SparseTensor):
            return math_ops.minimum(sets_impl.set_size(labels), k, name=scope)
        num_labels = math_ops.reduce_sum(
            array_ops.where_v2(
                math_ops.greater_equal(labels, 0), array_ops.ones_like(labels), array_ops.zeros_like(labels)
            ),
            axis=-1,
        )
        return math_ops.minimum(num_labels, k, name=scope)


def _sparse_average_precision_at_top_k(labels, predictions_idx):
    with name_scope(None, "average_precision", (predictions_idx, labels)) as scope:
        predictions_idx = math_ops.cast(predictions_idx, dtypes.DType.int64, name="predictions_idx")
        if predictions_idx.shape.ndims == 0:
            raise ValueError("The rank of `predictions_idx` must be at least 1.")
        k = predictions_idx.shape.as_list()[-1]
        if k is None:
            raise ValueError("The last dimension of predictions_idx must be set. Currently, it is None.")
        labels = _maybe_expand_labels(labels, predictions_idx)
        predictions_idx_per_k = array_ops.expand_dims(predictions_idx, -1, name="predictions_idx_per_k")
        labels_per_k = _expand_and_tile(labels, multiple=k, dim=-1, name="labels_per_k")
        relevant_per_k = _sparse_true_positive_at_k(labels_per_k, predictions_idx_per_k, name="relevant_per_k")
        tp_per_k = math_ops.cumsum(relevant_per_k, axis=-1, name="tp_per_k")
        retrieved_per_k = math_ops.cumsum(array_ops.ones_like(relevant_per_k), axis=-1, name="retrieved_per_k")
        precision_per_k = math_ops.divide(
            math_ops.cast(tp_per_k, dtypes.DType.float64),
            math_ops.cast(retrieved_per_k, dtypes.DType.float64),
            name="precision_per_k",
        )
        relevant_precision_per_k = math_ops.multiply(
            precision_per_k, math_ops.cast(relevant_per_k, dtypes.DType.float64), name="relevant_precision_per_k"
        )
        precision_sum = math_ops.reduce_sum(relevant_precision_per_k, axis=(-1,), name="precision_sum")
        num_relevant_items = math_ops.cast(_num_relevant(labels, k), dtypes.DType.float64)
        return math_ops.divide(precision_sum, num_relevant_items, name=scope)


def _safe_scalar_div(numerator, denominator, name):
    numerator.shape.with_rank_at_most(1)
    denominator.shape.with_rank_at_most(1)
    return math_ops.div_no_nan(numerator, denominator, name=name)


def _streaming_sparse_average_precision_at_top_k(
    labels, predictions_idx, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    with name_scope(name, "average_precision_at_top_k", (predictions_idx, labels, weights)) as scope:
        average_precision = _sparse_average_precision_at_top_k(predictions_idx=predictions_idx, labels=labels)
        if weights is not None:
            weights = broadcast_weights(math_ops.cast(weights, dtypes.DType.float64), average_precision)
            average_precision = math_ops.multiply(average_precision, weights)
        with name_scope(None, "max", (average_precision,)) as max_scope:
            max_var = metric_variable([], dtypes.DType.float64, name=max_scope)
            if weights is None:
                batch_max = math_ops.cast(array_ops.size(average_precision, name="batch_max"), dtypes.DType.float64)
            else:
                batch_max = math_ops.reduce_sum(weights, name="batch_max")
            max_update = state_ops.assign_add(max_var, batch_max, name="update")
        with name_scope(None, "total", (average_precision,)) as total_scope:
            total_var = metric_variable([], dtypes.DType.float64, name=total_scope)
            batch_total = math_ops.reduce_sum(average_precision, name="batch_total")
            total_update = state_ops.assign_add(total_var, batch_total, name="update")
        mean_average_precision = _aggregate(
            metrics_collections, lambda _, t, m: _safe_scalar_div(t, m, name="mean"), total_var, max_var
        )
        update = _safe_scalar_div(total_update, max_update, name=scope)
        if updates_collections:
            graph_lib.add_to_collections(updates_collections, update)
        return mean_average_precision, update


def _clean_out_of_range_indices(labels, num_classes):
    is_sparse = isinstance(labels, (SparseTensor, SparseTensorValue))

    def clean_out_of_range(values):
        return array_ops.where_v2(math_ops.greater_equal(values, num_classes), -1 * array_ops.ones_like(values), values)

    def clean_labels_out_of_range():
        if is_sparse:
            return type(labels)(
                indices=labels.indices, values=clean_out_of_range(labels.values), dense_shape=labels.dense_shape
            )
        return clean_out_of_range(labels)

    max_labels = math_ops.reduce_max(labels.values if is_sparse else labels)
    return cond(math_ops.greater_equal(max_labels, num_classes), clean_labels_out_of_range, lambda: labels)


def average_precision_at_k(
    labels, predictions, k, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    """``tf.metrics.average_precision_at_k``: the mean over examples of the average precision of the top
    ``k`` predictions against the labels (labels of classes past the predictions' last dimension count
    as absent, through TF's tf.cond), over all batches so far.

    Raises:
      ValueError: ``k < 1`` (TF's message).
    """
    if k < 1:
        raise ValueError(f"Invalid k={k}. `k` should be >= 1.")
    with name_scope(name, _at_k_name("average_precision", k), (predictions, labels, weights)) as scope:
        _, predictions_idx = nn_ops.top_k(predictions, k)
        labels = _clean_out_of_range_indices(
            labels, math_ops.cast(array_ops.shape(predictions)[-1], dtypes.DType.int64)
        )
        return _streaming_sparse_average_precision_at_top_k(
            labels=labels,
            predictions_idx=predictions_idx,
            weights=weights,
            metrics_collections=metrics_collections,
            updates_collections=updates_collections,
            name=scope,
        )


def sparse_average_precision_at_k(
    labels, predictions, k, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    """``tf.metrics.sparse_average_precision_at_k``: the deprecated name of ``average_precision_at_k``."""
    return average_precision_at_k(
        labels=labels,
        predictions=predictions,
        k=k,
        weights=weights,
        metrics_collections=metrics_collections,
        updates_collections=updates_collections,
        name=name,
    )
