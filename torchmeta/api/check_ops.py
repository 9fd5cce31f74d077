"""``tf.assert_less`` and friends (TF's check_ops): a static failure raises at build time with TF's message;
otherwise an Assert over ``reduce_all(x <op> y)`` (guarded by a cond unless its data are strings/int32)."""

from __future__ import annotations

import numpy as np

from torchmeta import errors
from torchmeta.api import array_ops, control_flow_ops, math_ops
from torchmeta.api.control_flow_assert import Assert
from torchmeta.dtypes import DType, as_dtype
from torchmeta.framework import tensor_util
from torchmeta.framework.graph import Tensor, convert_to_tensor, name_scope

__all__ = [
    "assert_equal",
    "assert_rank",
    "assert_rank_at_least",
    "assert_type",
    "assert_less",
    "assert_less_equal",
    "assert_greater",
    "assert_greater_equal",
    "assert_non_negative",
    "assert_positive",
]


def _maybe_constant_value_string(t):
    if not isinstance(t, Tensor):
        return str(t)
    const_t = tensor_util.constant_value(t)
    return str(const_t) if const_t is not None else t


def _assert_static(condition, data):
    if not condition:
        data_static = [_maybe_constant_value_string(x) for x in data]
        raise errors.InvalidArgumentError(None, None, "\n".join(str(x) for x in data_static))


def _message_prefix(message):
    return f"{message}.  " if message else ""


def _binary_assert(sym, opname, op_func, static_func, x, y, data, summarize, message, name):
    with name_scope(name, opname, [x, y, data]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y")
        if data is None:
            data = [f"Condition x {sym} y did not hold element-wise:", f"x ({x.name}) = ", x, f"y ({y.name}) = ", y]
        if message is not None:
            data = [message, *data]
        condition = math_ops.reduce_all(op_func(x, y))
        x_static = tensor_util.constant_value(x)
        y_static = tensor_util.constant_value(y)
        if x_static is not None and y_static is not None:
            _assert_static(np.all(static_func(x_static, y_static)), data)
        return Assert(condition, data, summarize=summarize)


def assert_less(x, y, data=None, summarize=None, message=None, name=None):
    """``tf.assert_less``: an op failing the run unless ``x < y`` element-wise.

    Raises:
      InvalidArgumentError: at build time when both are constant and the condition fails (TF's message).
    """
    return _binary_assert("<", "assert_less", math_ops.less, np.less, x, y, data, summarize, message, name)


def assert_less_equal(x, y, data=None, summarize=None, message=None, name=None):
    """``tf.assert_less_equal``: an op failing the run unless ``x <= y`` element-wise."""
    return _binary_assert(
        "<=", "assert_less_equal", math_ops.less_equal, np.less_equal, x, y, data, summarize, message, name
    )


def assert_greater(x, y, data=None, summarize=None, message=None, name=None):
    """``tf.assert_greater``: an op failing the run unless ``x > y`` element-wise."""
    return _binary_assert(">", "assert_greater", math_ops.greater, np.greater, x, y, data, summarize, message, name)


def assert_greater_equal(x, y, data=None, summarize=None, message=None, name=None):
    """``tf.assert_greater_equal``: an op failing the run unless ``x >= y`` element-wise."""
    return _binary_assert(
        ">=", "assert_greater_equal", math_ops.greater_equal, np.greater_equal, x, y, data, summarize, message, name
    )


def assert_non_negative(x, data=None, summarize=None, message=None, name=None):
    """``tf.assert_non_negative``: an op failing the run unless ``x >= 0`` element-wise."""
    message = _message_prefix(message)
    with name_scope(name, "assert_non_negative", [x, data]):
        x = convert_to_tensor(x, name="x")
        if data is None:
            data = [message, "Condition x >= 0 did not hold element-wise:", f"x ({x.name}) = ", x]
        zero = convert_to_tensor(0, dtype=x.dtype)
        return assert_less_equal(zero, x, data=data, summarize=summarize)


def assert_positive(x, data=None, summarize=None, message=None, name=None):
    """``tf.assert_positive``: an op failing the run unless ``x > 0`` element-wise (``assert_less(0, x)``)."""
    message = _message_prefix(message)
    with name_scope(name, "assert_positive", [x, data]):
        x = convert_to_tensor(x, name="x")
        if data is None:
            data = [message, "Condition x > 0 did not hold element-wise:", f"x ({x.name}) = ", x]
        zero = convert_to_tensor(0, dtype=x.dtype)
        return assert_less(zero, x, data=data, summarize=summarize)


def assert_equal(x, y, data=None, summarize=None, message=None, name=None):
    """``tf.assert_equal``: an op failing the run unless ``x == y`` element-wise (a NoOp when ``x is y``).

    Raises:
      InvalidArgumentError: at build time when both are constant and differ (TF's message).
    """
    with name_scope(name, "assert_equal", [x, y, data]):
        if x is y:
            return control_flow_ops.no_op()
    return _binary_assert("==", "assert_equal", math_ops.equal, np.equal, x, y, data, summarize, message, name)


def assert_type(tensor, tf_type, message=None, name=None):
    """``tf.assert_type``: a NoOp when ``tensor`` has dtype ``tf_type``.

    Raises:
      TypeError: when it has another dtype (TF's message).
    """
    tf_type = as_dtype(tf_type)
    with name_scope(name, "assert_type", [tensor]):
        tensor = convert_to_tensor(tensor, name="tensor")
        if tensor.dtype != tf_type:
            raise TypeError(
                f"{_message_prefix(message)}{tensor.name} must be of type {tf_type!r}; got {tensor.dtype!r}"
            )
        return control_flow_ops.no_op("statically_determined_correct_type")


class _StaticRankError(ValueError):
    pass


def _assert_rank_condition(x, rank, static_condition, dynamic_condition, data, summarize):
    assert_type(rank, DType.int32)
    rank_static = tensor_util.constant_value(rank)
    if rank_static is not None:
        if rank_static.ndim != 0:
            raise ValueError("Rank must be a scalar.")
        x_rank_static = x.shape.rank
        if x_rank_static is not None:
            if not static_condition(x_rank_static, int(rank_static)):
                raise _StaticRankError(x_rank_static, int(rank_static))
            return control_flow_ops.no_op(name="static_checks_determined_all_ok")
    condition = dynamic_condition(array_ops.rank(x), rank)
    if rank_static is None:
        this_data = ["Rank must be a scalar. Received rank: ", rank]
        rank_check = assert_rank(rank, 0, data=this_data)
        condition = control_flow_ops.with_dependencies([rank_check], condition)
    return Assert(condition, data, summarize=summarize)


def _assert_rank(opname, what, static_condition, dynamic_condition, x, rank, data, summarize, message, name):
    with name_scope(name, opname, [x, rank, *(data or [])]):
        x = convert_to_tensor(x, name="x")
        rank = convert_to_tensor(rank, name="rank")
        message = _message_prefix(message)
        if data is None:
            data = [message, f"Tensor {x.name} must have {what}", rank, "Received shape: ", array_ops.shape(x)]
        try:
            return _assert_rank_condition(x, rank, static_condition, dynamic_condition, data, summarize)
        except _StaticRankError as e:
            raise ValueError(
                f"{message}Tensor {x.name} must have {what} {e.args[1]}.  Received rank {e.args[0]}, shape {x.shape}"
            ) from None


def assert_rank(x, rank, data=None, summarize=None, message=None, name=None):
    """``tf.assert_rank``: a NoOp when the static rank of ``x`` is ``rank``, else an Assert on ``rank(x)``.

    Raises:
      ValueError: when the static rank differs (TF's message).
    """
    return _assert_rank(
        "assert_rank", "rank", lambda a, b: a == b, math_ops.equal, x, rank, data, summarize, message, name
    )


def assert_rank_at_least(x, rank, data=None, summarize=None, message=None, name=None):
    """``tf.assert_rank_at_least``: like ``assert_rank`` with ``rank(x) >= rank``.

    Raises:
      ValueError: when the static rank is lower (TF's message).
    """
    return _assert_rank(
        "assert_rank_at_least",
        "rank at least",
        lambda a, b: a >= b,
        math_ops.greater_equal,
        x,
        rank,
        data,
        summarize,
        message,
        name,
    )
