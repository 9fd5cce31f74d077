"""Stacks (StackV2, StackPushV2, StackPopV2, StackCloseV2): the accumulators of TF1's while-loop gradients.

A stack is a per-run resource: StackV2 creates a fresh ``Stack`` object each time it runs, and its handle
(that object) flows to the pushes in the forward loop and the pops in the gradient loop. As in
TensorFlow's kernels, pushes check neither ``max_size`` nor the element type; popping an empty stack
fails, and so do pushes and pops after StackCloseV2.
"""

from __future__ import annotations

import itertools

import torch

from torchmeta import errors
from torchmeta.dtypes import type_string
from torchmeta.framework import common_shapes
from torchmeta.framework.registry import no_registered_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.math_ops import TORCH_DTYPES

__all__ = ["Stack"]

_ids = itertools.count()
_TORCH_OF = {d.value: t for d, t in TORCH_DTYPES.items()}  # by TF's type number (a dict lookup of an int)


class Stack:
    """The resource behind a StackV2 handle."""

    __slots__ = ("name", "elem_type", "max_size", "items", "closed")

    def __init__(self, name: str, elem_type, max_size: int):
        self.name = name
        self.elem_type = elem_type
        self.max_size = max_size
        self.items: list = []
        self.closed = False

    def __repr__(self):
        return f"<Stack {self.name!r} depth={len(self.items)}>"


def _handle_shape(op):
    return [TensorShape([2])]


@register_op(
    "StackV2",
    inputs=["max_size: int32"],
    outputs=["handle: resource"],
    attrs=["elem_type: type", 'stack_name: string = ""'],
    shape=_handle_shape,
    stateful=True,
)
def stack_v2(max_size, elem_type, stack_name, node_name):
    return Stack(f"{stack_name or node_name}_{next(_ids)}", elem_type, int(max_size))


def _check_not_closed(handle):
    if handle.closed:
        raise errors.InvalidArgumentError(None, None, f"Stack[{handle.name}] has already been closed.")


@register_op(
    "StackPushV2",
    inputs=["handle: resource", "elem: T"],
    outputs=["output: T"],
    attrs=["T: type", "swap_memory: bool = false"],
    shape=lambda op: [op.inputs[1].shape],
    stateful=True,
)
def stack_push_v2(handle, elem):
    if handle.closed:  # (inline: a gradient loop pushes and pops on every iteration)
        _check_not_closed(handle)
    handle.items.append(elem)
    return elem


@register_op(
    "StackPopV2",
    inputs=["handle: resource"],
    outputs=["elem: elem_type"],
    attrs=["elem_type: type"],
    shape=common_shapes.unknown,
    stateful=True,
)
def stack_pop_v2(handle, elem_type):
    if handle.closed:
        _check_not_closed(handle)
    items = handle.items
    if not items:
        raise errors.InvalidArgumentError(None, None, f"Stack[{handle.name}] is empty when calling Pop().")
    value = items.pop()
    if value.__class__ is torch.Tensor and value.dtype is _TORCH_OF.get(elem_type._value_):
        return value  # the common case, checked with two identity tests
    want = TORCH_DTYPES.get(elem_type)
    if want is not None and isinstance(value, torch.Tensor) and value.dtype != want:
        raise errors.InternalError(
            None,
            None,
            f"Output 0 of type {type_string(value.dtype)} does not match declared output type {type_string(elem_type)}",
        )
    return value


@register_op("StackCloseV2", inputs=["handle: resource"], shape=common_shapes.no_outputs, stateful=True)
def stack_close_v2(handle):
    handle.items.clear()
    handle.closed = True


no_registered_gradient("StackV2", "StackPushV2", "StackPopV2", "StackCloseV2")
