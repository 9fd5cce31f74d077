"""``tf.bitwise``: element-wise bit operations on integers (TF exports the generated ops themselves)."""

from __future__ import annotations

from torchmeta.framework.op_def_library import raw_op

__all__ = ["bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift"]


def bitwise_and(x, y, name=None):
    """``tf.bitwise.bitwise_and``: ``x & y``."""
    return raw_op("BitwiseAnd", x=x, y=y, name=name)


def bitwise_or(x, y, name=None):
    """``tf.bitwise.bitwise_or``: ``x | y``."""
    return raw_op("BitwiseOr", x=x, y=y, name=name)


def bitwise_xor(x, y, name=None):
    """``tf.bitwise.bitwise_xor``: ``x ^ y``."""
    return raw_op("BitwiseXor", x=x, y=y, name=name)


def invert(x, name=None):
    """``tf.bitwise.invert``: ``~x``."""
    return raw_op("Invert", x=x, name=name)


def left_shift(x, y, name=None):
    """``tf.bitwise.left_shift``: ``x << y``."""
    return raw_op("LeftShift", x=x, y=y, name=name)


def right_shift(x, y, name=None):
    """``tf.bitwise.right_shift``: ``x >> y``, arithmetic for signed types."""
    return raw_op("RightShift", x=x, y=y, name=name)
