"""``tf.assert_less`` and friends (TF's check_ops): a static failure raises at build time with TF's message;
otherwise an Assert over ``reduce_all(x <op> y)`` (guarded by a cond unless its data are strings/int32)."""

from __future__ import annotations

import numpy as np

from torchmeta import errors
from torchmeta.api import array_ops, control_flow_ops, math_ops
from torchmeta.api.cond import cond
from torchmeta.api.control_flow_assert import Assert
from torchmeta.dtypes import DType, as_dtype
from torchmeta.framework import tensor_util
from torchmeta.framework.graph import Tensor, colocate_with, convert_to_tensor, name_scope
from torchmeta.framework.sparse_tensor import SparseTensor

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
    "assert_negative",
    "assert_non_positive",
    "assert_none_equal",
    "assert_near",
    "assert_rank_in",
    "assert_integer",
    "assert_scalar",
    "assert_proper_iterable",
    "assert_same_float_dtype",
    "verify_tensor_all_finite",
    "is_numeric_tensor",
    "is_non_decreasing",
    "is_strictly_increasing",
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


def assert_negative(x, data=None, summarize=None, message=None, name=None):
    """``tf.assert_negative``: an op failing the run unless ``x < 0`` element-wise (``assert_less(x, 0)``)."""
    message = _message_prefix(message)
    with name_scope(name, "assert_negative", [x, data]):
        x = convert_to_tensor(x, name="x")
        if data is None:
            data = [message, "Condition x < 0 did not hold element-wise:", f"x ({x.name}) = ", x]
        zero = convert_to_tensor(0, dtype=x.dtype)
        return assert_less(x, zero, data=data, summarize=summarize)


def assert_non_positive(x, data=None, summarize=None, message=None, name=None):
    """``tf.assert_non_positive``: an op failing the run unless ``x <= 0`` element-wise."""
    message = _message_prefix(message)
    with name_scope(name, "assert_non_positive", [x, data]):
        x = convert_to_tensor(x, name="x")
        if data is None:
            # TF's two strings are one (no comma between them in check_ops.py): kept, the output is TF's
            data = [message, f"Condition x <= 0 did not hold element-wise:x ({x.name}) = ", x]
        zero = convert_to_tensor(0, dtype=x.dtype)
        return assert_less_equal(x, zero, data=data, summarize=summarize)


def assert_none_equal(x, y, data=None, summarize=None, message=None, name=None):
    """``tf.assert_none_equal``: an op failing the run unless ``x != y`` element-wise.

    Raises:
      InvalidArgumentError: at build time when both are constant and some elements are equal (TF's message).
    """
    return _binary_assert(
        "!=", "assert_none_equal", math_ops.not_equal, np.not_equal, x, y, data, summarize, message, name
    )


def assert_near(x, y, rtol=None, atol=None, data=None, summarize=None, message=None, name=None):
    """``tf.assert_near``: an op failing the run unless ``|x - y| < atol + rtol * |y|`` element-wise (the
    tolerances default to 10 machine epsilons of ``x``'s real dtype)."""
    message = _message_prefix(message)
    with name_scope(name, "assert_near", [x, y, rtol, atol, data]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype)
        dtype = x.dtype.real_dtype if x.dtype.is_complex else x.dtype
        eps = np.finfo(dtype.as_numpy_dtype).eps
        rtol = convert_to_tensor(10 * eps if rtol is None else rtol, name="rtol", dtype=dtype)
        atol = convert_to_tensor(10 * eps if atol is None else atol, name="atol", dtype=dtype)
        if data is None:
            data = [
                message,
                f"x and y not equal to tolerance rtol = {rtol}, atol = {atol}",
                f"x ({x.name}) = ",
                x,
                f"y ({y.name}) = ",
                y,
            ]
        tol = atol + rtol * math_ops.abs(y)
        diff = math_ops.abs(x - y)
        condition = math_ops.reduce_all(math_ops.less(diff, tol))
        return Assert(condition, data, summarize=summarize)


def _rank_in(actual_rank, given_ranks):
    if not given_ranks:
        return convert_to_tensor(False)
    result = math_ops.equal(given_ranks[0], actual_rank)
    for given_rank in given_ranks[1:]:
        result = math_ops.logical_or(result, math_ops.equal(given_rank, actual_rank))
    return result


def assert_rank_in(x, ranks, data=None, summarize=None, message=None, name=None):
    """``tf.assert_rank_in``: a NoOp when the static rank of ``x`` is one of ``ranks``, else an Assert.

    Raises:
      ValueError: when the static rank is none of them (TF's message).
    """
    with name_scope(name, "assert_rank_in", (x, *ranks, *(data or []))):
        if not isinstance(x, SparseTensor):
            x = convert_to_tensor(x, name="x")
        ranks = tuple(convert_to_tensor(rank, name="rank") for rank in ranks)
        message = _message_prefix(message)
        x_name = "" if isinstance(x, SparseTensor) else x.name
        if data is None:
            data = [message, f"Tensor {x_name} must have rank in", *ranks, "Received shape: ", array_ops.shape(x)]
        for rank in ranks:
            assert_type(rank, DType.int32)
        ranks_static = tuple(tensor_util.constant_value(rank) for rank in ranks)
        if not any(r is None for r in ranks_static):
            if any(r.ndim != 0 for r in ranks_static):
                raise ValueError("Rank must be a scalar.")
            x_rank_static = x.shape.rank
            if x_rank_static is not None:
                if x_rank_static not in ranks_static:
                    raise ValueError(
                        f"{message}Tensor {x_name} must have rank in {tuple(r.item() for r in ranks_static)}.  "
                        f"Received rank {x_rank_static}, shape {x.shape}"
                    )
                return control_flow_ops.no_op(name="static_checks_determined_all_ok")
        condition = _rank_in(array_ops.rank(x), ranks)
        for rank, rank_static in zip(ranks, ranks_static):
            if rank_static is None:
                rank_check = assert_rank(rank, 0, data=["Rank must be a scalar. Received rank: ", rank])
                condition = control_flow_ops.with_dependencies([rank_check], condition)
        return Assert(condition, data, summarize=summarize)


def assert_integer(x, message=None, name=None):
    """``tf.assert_integer``: a NoOp when ``x`` has an integer dtype.

    Raises:
      TypeError: for any other dtype (TF's message).
    """
    with name_scope(name, "assert_integer", [x]):
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_integer:
            raise TypeError(
                f'{_message_prefix(message)}Expected "x" to be integer type.  Found: {x.name} of dtype {x.dtype}'
            )
        return control_flow_ops.no_op("statically_determined_was_integer")


def assert_scalar(tensor, name=None, message=None):
    """``tf.assert_scalar``: ``tensor`` (converted) when its static shape is a scalar's.

    Raises:
      ValueError: when its rank is not 0 or is unknown (TF's message).
    """
    with name_scope(name, "assert_scalar", [tensor]) as scope:
        tensor = convert_to_tensor(tensor, name=scope)
        if tensor.shape.rank != 0:
            raise ValueError(
                f"{_message_prefix(message)}Expected scalar shape for {tensor.name}, saw shape: {tensor.shape}."
            )
        return tensor


def assert_proper_iterable(values):
    """``tf.assert_proper_iterable``: a static check that ``values`` is an iterable of values, not one value.

    Raises:
      TypeError: for a Tensor, SparseTensor, ndarray, bytes or str, or a non-iterable (TF's message).
    """
    if isinstance(values, (Tensor, SparseTensor, np.ndarray, bytes, str)):
        raise TypeError(f'Expected argument "values" to be a "proper" iterable.  Found: {type(values)}')
    if not hasattr(values, "__iter__"):
        raise TypeError(f'Expected argument "values" to be iterable.  Found: {type(values)}')


def _item_text(item) -> str:
    return item.name if hasattr(item, "name") else str(item)


def assert_same_float_dtype(tensors=None, dtype=None):
    """``tf.assert_same_float_dtype``: the one floating dtype of ``tensors`` (and ``dtype``), float32 when
    neither is given.

    Raises:
      ValueError: when the items' base dtypes differ, or the dtype is not floating (TF's messages).
    """
    if tensors:
        expected = dtype
        first = None
        for item in tensors:
            if item is None:
                continue
            item_type = item.dtype.base_dtype
            if not expected:
                expected, first = item_type, _item_text(item)
            elif expected != item_type:
                suffix = f" as {first}" if first else ""
                raise ValueError(
                    f"{_item_text(item)}, type={item_type}, must be of the same type ({expected}){suffix}."
                )
        dtype = expected
    if not dtype:
        return DType.float32
    dtype = as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"Expected floating point type, got {dtype}.")
    return dtype


def verify_tensor_all_finite(t=None, msg=None, name=None, x=None, message=None):
    """``tf.verify_tensor_all_finite`` (``tf.debugging.assert_all_finite``): ``t``, after a CheckNumerics of it
    with ``msg`` (TF's numerics.py: the identity runs after the check)."""
    x = t if x is None else x
    message = msg if message is None else message
    with name_scope(name, "VerifyFinite", [x]):
        x = convert_to_tensor(x, name="x")
        with colocate_with(x):
            verify_input = array_ops.check_numerics(x, message=message)
            return control_flow_ops.with_dependencies([verify_input], x)


assert_all_finite = verify_tensor_all_finite

# TF's check_ops.NUMERIC_TYPES
_NUMERIC_TYPES = frozenset(
    as_dtype(name)
    for name in (
        "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "qint8", "qint16", "qint32", "quint8", "quint16", "complex64", "complex128", "bfloat16",
    )
)  # fmt: skip


def is_numeric_tensor(tensor) -> bool:
    """``tf.is_numeric_tensor``: whether ``tensor`` is a Tensor of a numeric dtype (not bool or string)."""
    return isinstance(tensor, Tensor) and tensor.dtype in _NUMERIC_TYPES


def _monotonic_comparison(x, compare_op):
    x = array_ops.reshape(x, [-1])
    if not is_numeric_tensor(x):
        raise TypeError(f"Expected x to be numeric, instead found: {x}")
    is_shorter_than_two = math_ops.less(array_ops.size(x), 2)
    s_len = array_ops.shape(x) - 1
    return cond(
        is_shorter_than_two,
        lambda: convert_to_tensor([], dtype=DType.bool),
        # [1] + s_len is a Tensor (an AddV2 of [1] and the shape), as in TF
        lambda: compare_op(array_ops.strided_slice(x, [1], [1] + s_len), array_ops.strided_slice(x, [0], s_len)),  # noqa: RUF005
    )


def is_non_decreasing(x, name=None):
    """``tf.math.is_non_decreasing``: whether ``x`` (flattened) never decreases (True for fewer than 2 elements).

    Raises:
      TypeError: if ``x`` is not numeric.
    """
    with name_scope(name, "is_non_decreasing", [x]):
        return math_ops.reduce_all(_monotonic_comparison(x, math_ops.greater_equal))


def is_strictly_increasing(x, name=None):
    """``tf.math.is_strictly_increasing``: whether ``x`` (flattened) always increases.

    Raises:
      TypeError: if ``x`` is not numeric.
    """
    with name_scope(name, "is_strictly_increasing", [x]):
        return math_ops.reduce_all(_monotonic_comparison(x, math_ops.greater))
