"""Optionals (OptionalFromValue, OptionalNone, OptionalGetValue, OptionalHasValue): ``variant`` values that
hold a tuple of tensors or nothing. TF2's cond gradients carry a branch's intermediates out of the If
in them (the untaken branch returns OptionalNone)."""

from __future__ import annotations

import torch

from torchmeta import errors
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape

__all__ = ["Optional"]


class Optional:
    """The value of an Optional ``variant`` tensor: ``components`` (a tuple), or None when empty."""

    __slots__ = ("components",)

    def __init__(self, components=None):
        self.components = components

    def __repr__(self):
        return "<Optional empty>" if self.components is None else f"<Optional of {len(self.components)}>"

    def zeros_like(self) -> Optional:
        """TF's OptionalZerosLike: zeros of each component, or empty."""
        if self.components is None:
            return self
        return Optional(
            tuple(torch.zeros_like(c) if isinstance(c, torch.Tensor) else c.zeros_like() for c in self.components)
        )

    def __add__(self, other: Optional) -> Optional:
        """TF's OptionalBinaryAdd: component by component; an empty one adds nothing."""
        if self.components is None:
            return other
        if other.components is None:
            return self
        return Optional(tuple(a + b for a, b in zip(self.components, other.components)))


_NONE = Optional()


@register_op(
    "OptionalFromValue",
    inputs=["components: Toutput_types"],
    outputs=["optional: variant"],
    attrs=["Toutput_types: list(type) >= 1"],
    shape=lambda op: [TensorShape([])],
)
def optional_from_value(components):
    return Optional(tuple(components))


@register_op("OptionalNone", outputs=["optional: variant"], shape=lambda op: [TensorShape([])])
def optional_none():
    return _NONE


@register_op(
    "OptionalGetValue",
    inputs=["optional: variant"],
    outputs=["components: output_types"],
    attrs=["output_types: list(type) >= 1", "output_shapes: list(shape) >= 1"],
    shape=lambda op: [TensorShape(s) for s in op.get_attr("output_shapes")],
)
def optional_get_value(optional, output_types):
    if optional.components is None:
        raise errors.InvalidArgumentError(None, None, "The given optional does not have a value.")
    values = optional.components
    return values[0] if len(output_types) == 1 else tuple(values)


@register_op(
    "OptionalHasValue",
    inputs=["optional: variant"],
    outputs=["has_value: bool"],
    shape=lambda op: [TensorShape([])],
)
def optional_has_value(optional):
    return torch.tensor(optional.components is not None)


@register_gradient("OptionalFromValue")
def _optional_from_value_grad(op, grad):
    out = raw_op(
        "OptionalGetValue",
        optional=grad,
        output_types=[t.dtype for t in op.inputs],
        output_shapes=[t.shape for t in op.inputs],
    )
    return list(out) if isinstance(out, (list, tuple)) else [out]


@register_gradient("OptionalGetValue")
def _optional_get_value_grad(op, *grads):
    return [raw_op("OptionalFromValue", components=list(grads))]


no_registered_gradient("OptionalNone", "OptionalHasValue")
