"""``tf.metrics`` (TF1's metrics_impl): streaming metrics as local variables (LOCAL_VARIABLES and
METRIC_VARIABLES) updated by ``update_op``s, with TensorFlow's scopes and graphs: mean, accuracy,
precision, recall, true/false positives/negatives.

Run ``tf.local_variables_initializer()`` first, then the update ops per batch, then the value.
"""

from __future__ import annotations

from torchmeta import dtypes
from torchmeta.api import array_ops, control_flow_ops, math_ops, state_ops
from torchmeta.api import variable_scope as vs
from torchmeta.api.losses import broadcast_weights, remove_squeezable_dimensions
from torchmeta.api.variables import Variable
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import tensor_util
from torchmeta.framework.graph import GraphKeys, convert_to_tensor, name_scope

__all__ = [
    "mean",
    "accuracy",
    "precision",
    "recall",
    "true_positives",
    "false_positives",
    "true_negatives",
    "false_negatives",
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
    if predictions_rank is None or weights_rank is None:
        raise ValueError(
            "tf.metrics: torchmeta needs the static ranks of predictions and weights (TF decides an unknown rank "
            "at run time with tf.cond)"
        )
    if weights_rank - predictions_rank == 1:
        weights = array_ops.squeeze(weights, [-1])
    elif predictions_rank - weights_rank == 1:
        weights = array_ops.expand_dims(weights, [-1])
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
