"""TF1 control-flow primitives: NoOp, Switch/Merge (conditionals), Enter/Exit/NextIteration/LoopCond (loops).

How these run (torchmeta.runtime.control_flow): a Switch forwards its data to one output and marks the
other ``DEAD``; every op with a dead input (data or control) is dead too and does not run, except a
Merge, which forwards its first live input, and a ControlTrigger, which is always live. That is
TensorFlow's dead-tensor semantics: an untaken branch's ops do not run, and fetching one of its
tensors raises "Retval[i] does not have value". Loops are recognised by their frames (the Enter ops'
``frame_name``) and run as a Python loop over the cond and body, each lowered once per input shapes;
the kernels of Enter, Exit, NextIteration and LoopCond below are only the identity they are within
one iteration.
"""

from __future__ import annotations

import torch

from torchmeta.framework import common_shapes
from torchmeta.framework.common_shapes import input_with_rank
from torchmeta.framework.registry import no_registered_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape

__all__ = ["DEAD", "is_dead", "truthy"]


class _Dead:
    """The value of a tensor on an untaken branch (TensorFlow's "dead" tensors)."""

    __slots__ = ()

    def __repr__(self):
        return "DEAD"

    def __bool__(self):
        raise TypeError("a dead tensor (on an untaken branch) has no value")


DEAD = _Dead()


def is_dead(value) -> bool:
    """Whether ``value`` is the dead marker (or a tuple of op outputs that are all dead)."""
    if value is DEAD:
        return True
    return type(value) is tuple and len(value) > 0 and all(v is DEAD for v in value)


def truthy(value) -> bool:
    """A predicate as TensorFlow's If/While read it: a scalar's truth value (numbers: non-zero, strings:
    non-empty); a tensor of any other shape is true when it has elements."""
    if isinstance(value, torch.Tensor):
        if value.dim() == 0:
            return bool(value)
        return value.numel() > 0
    if hasattr(value, "ndim") and value.ndim == 0:  # numpy (strings)
        item = value[()]
        return len(item) > 0 if isinstance(item, (bytes, str)) else bool(item)
    if hasattr(value, "size"):
        return value.size > 0
    return bool(value)


@register_op("NoOp", shape=common_shapes.no_outputs)
def no_op():
    return None


no_registered_gradient("NoOp")


# ---------------------------------------------------------------------------------------------
# Conditionals: Switch and Merge


def _switch_shape(op):
    input_with_rank(op, 1, 0)
    return [op.inputs[0].shape, op.inputs[0].shape]


_SWITCH = {
    "inputs": ["data: T", "pred: bool"],
    "outputs": ["output_false: T", "output_true: T"],
    "attrs": ["T: type"],
}


@register_op("Switch", **_SWITCH, shape=_switch_shape, aliases_input=True)
def switch(data, pred):
    """(data, DEAD) when ``pred`` is false, (DEAD, data) when it is true."""
    return (DEAD, data) if bool(pred) else (data, DEAD)


@register_op(
    "RefSwitch",
    inputs=["data: Ref(T)", "pred: bool"],
    outputs=["output_false: Ref(T)", "output_true: Ref(T)"],
    attrs=["T: type"],
    shape=_switch_shape,
    allows_uninitialized_input=True,
    aliases_input=True,
)
def ref_switch(data, pred):
    return (DEAD, data) if bool(pred) else (data, DEAD)


def _merge_shape(op):
    """TensorFlow's MergeShape: the inputs' common rank, a dimension only where all inputs agree."""
    first = op.inputs[0].shape
    if first.rank is None:
        return [unknown_shape(), TensorShape([])]
    dims = list(first.as_tuple())
    for t in op.inputs[1:]:
        s = t.shape
        if s.rank is None or s.rank != len(dims):
            return [unknown_shape(), TensorShape([])]
        dims = [d if d == e else None for d, e in zip(dims, s.as_tuple())]
    return [TensorShape(dims), TensorShape([])]


_INDEX = [torch.tensor(i, dtype=torch.int32) for i in range(8)]


def _merge_index(i: int):
    return _INDEX[i].clone() if i < len(_INDEX) else torch.tensor(i, dtype=torch.int32)


@register_op(
    "Merge",
    inputs=["inputs: N * T"],
    outputs=["output: T", "value_index: int32"],
    attrs=["T: type", "N: int >= 1"],
    shape=_merge_shape,
    aliases_input=True,
)
def merge(inputs):
    """The first live input and its index; dead when every input is dead."""
    for i, value in enumerate(inputs):
        if value is not DEAD:
            return value, _merge_index(i)
    return DEAD, DEAD


@register_op(
    "RefMerge",
    inputs=["inputs: N * Ref(T)"],
    outputs=["output: Ref(T)", "value_index: int32"],
    attrs=["T: type", "N: int >= 1"],
    shape=_merge_shape,
    aliases_input=True,
)
def ref_merge(inputs):
    for i, value in enumerate(inputs):
        if value is not DEAD:
            return value, _merge_index(i)
    return DEAD, DEAD


# ---------------------------------------------------------------------------------------------
# Loops: Enter, Exit, NextIteration, LoopCond (identities within one iteration; see the module doc)

_ENTER_ATTRS = ["T: type", "frame_name: string", "is_constant: bool = false", "parallel_iterations: int = 10"]


@register_op("Enter", inputs=["data: T"], outputs=["output: T"], attrs=_ENTER_ATTRS, shape=common_shapes.unchanged)
def enter(data):
    return data


@register_op(
    "RefEnter",
    inputs=["data: Ref(T)"],
    outputs=["output: Ref(T)"],
    attrs=_ENTER_ATTRS,
    shape=common_shapes.unchanged,
    aliases_input=True,
)
def ref_enter(data):
    return data


@register_op("Exit", inputs=["data: T"], outputs=["output: T"], attrs=["T: type"], shape=common_shapes.unchanged)
def exit(data):
    return data


@register_op(
    "RefExit",
    inputs=["data: Ref(T)"],
    outputs=["output: Ref(T)"],
    attrs=["T: type"],
    shape=common_shapes.unchanged,
    aliases_input=True,
)
def ref_exit(data):
    return data


@register_op(
    "NextIteration", inputs=["data: T"], outputs=["output: T"], attrs=["T: type"], shape=common_shapes.unchanged
)
def next_iteration(data):
    return data


@register_op(
    "RefNextIteration",
    inputs=["data: Ref(T)"],
    outputs=["output: Ref(T)"],
    attrs=["T: type"],
    shape=common_shapes.unchanged,
    aliases_input=True,
)
def ref_next_iteration(data):
    return data


def _loop_cond_shape(op):
    input_with_rank(op, 0, 0)
    return [TensorShape([])]


@register_op("LoopCond", inputs=["input: bool"], outputs=["output: bool"], shape=_loop_cond_shape)
def loop_cond(input):
    return input


@register_op("ControlTrigger", shape=common_shapes.no_outputs)
def control_trigger():
    """Always live, even when its control inputs are dead (TensorFlow's scheduling placeholder)."""
    return None


no_registered_gradient("ControlTrigger")
