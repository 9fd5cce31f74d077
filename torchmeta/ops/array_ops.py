"""Array ops: constants, placeholders, identity, shapes and shape manipulation, slicing, joining."""

from __future__ import annotations

from torchmeta import errors
from torchmeta.framework import tensor_util
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops import shapes
from torchmeta.ops.registry import not_differentiable, register_gradient, register_op

# ---------------------------------------------------------------------------------------------
# Const, Placeholder, PlaceholderWithDefault


def _const_shape(op):
    return [TensorShape(op.get_attr("value").tensor_shape)]


# Const is lowered from the environment (a buffer), never called; the kernel documents that.
@register_op("Const", outputs=["output: dtype"], attrs=["value: tensor", "dtype: type"], shape=_const_shape)
def const(value=None):
    raise AssertionError("Const nodes are lowered to module attributes")


not_differentiable("Const")


@tensor_util.register_constant_value("Const")
def _const_value(op, index):
    return tensor_util.MakeNdarray(op.get_attr("value"))


@register_op(
    "Placeholder",
    outputs=["output: dtype"],
    attrs=["dtype: type", "shape: shape = { unknown_rank: true }"],
    shape=shapes.from_attr("shape"),
)
def placeholder(dtype, shape, node_name):
    dims = "<unknown>" if shape is None else "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"
    raise errors.InvalidArgumentError(
        None,
        None,
        f"You must feed a value for placeholder tensor '{node_name}' with dtype {dtype.name} and shape {dims}",
    )


not_differentiable("Placeholder")


def _placeholder_with_default_shape(op):
    return [TensorShape(op.get_attr("shape"))]


@register_op(
    "PlaceholderWithDefault",
    inputs=["input: dtype"],
    outputs=["output: dtype"],
    attrs=["dtype: type", "shape: shape"],
    shape=_placeholder_with_default_shape,
    aliases_input=True,
)
def placeholder_with_default(input):
    return input


@register_gradient("PlaceholderWithDefault")
def _placeholder_with_default_grad(op, grad):
    return [grad]


# ---------------------------------------------------------------------------------------------
# Identity


@register_op(
    "Identity",
    inputs=["input: T"],
    outputs=["output: T"],
    attrs=["T: type"],
    shape=shapes.unchanged,
    aliases_input=True,
)
def identity_kernel(input):
    return input


@register_gradient("Identity")
def _identity_grad(op, grad):
    return [grad]


@tensor_util.register_constant_value("Identity", "StopGradient")
def _identity_value(op, index):
    return tensor_util.constant_value(op.inputs[0])
