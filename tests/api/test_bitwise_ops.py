"""``tf.bitwise``: the same graph and values as TF."""

from __future__ import annotations

from tests.api.test_math_composite_ops import compare_with_tf


def _bitwise(tf, m):
    x = tf.placeholder(tf.int32, [2, 3], name="p")
    y = tf.placeholder(tf.int32, [2, 3], name="q")
    b = tf.bitwise
    return [
        b.bitwise_and(x, y),
        b.bitwise_or(x, y, name="or"),
        b.bitwise_xor(x, 5),
        b.invert(x),
        b.left_shift(x, 2),
        b.right_shift(x, tf.constant(1)),
    ]


def test_bitwise_matches_tf(tf1):
    compare_with_tf(tf1, _bitwise)
