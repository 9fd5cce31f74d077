"""``tf.*`` array functions: placeholder, identity, constant, ..."""

from __future__ import annotations

from torchmeta.framework import graph as graph_lib
from torchmeta.framework.constant_op import constant
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.tensor_shape import TensorShape

__all__ = ["placeholder", "placeholder_with_default", "identity", "constant"]


def placeholder(dtype, shape=None, name=None):
    """``tf.placeholder``: a tensor whose value must be fed."""
    return raw_op("Placeholder", dtype=dtype, shape=TensorShape(shape), name=name)


def placeholder_with_default(input, shape, name=None):
    """``tf.placeholder_with_default``: ``input`` unless fed."""
    input = graph_lib.convert_to_tensor(input)
    return raw_op("PlaceholderWithDefault", input=input, shape=TensorShape(shape), name=name)


def identity(input, name=None):
    """``tf.identity``."""
    return raw_op("Identity", input=input, name=name)
