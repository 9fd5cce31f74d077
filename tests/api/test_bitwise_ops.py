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


def test_bitwise_values_are_the_bit_operations(tf1):
    """The values themselves, not only their agreement with TF: 12 = 0b1100, 10 = 0b1010."""
    import numpy as np

    import torchmeta as tm

    with tm.Graph().as_default(), tm.Session() as sess:
        b = tm.bitwise
        x, y = tm.constant(np.int32(12)), tm.constant(np.int32(10))
        got = sess.run([b.bitwise_and(x, y), b.bitwise_or(x, y), b.bitwise_xor(x, y), b.invert(x)])
        got += sess.run([b.left_shift(x, 2), b.right_shift(x, 2)])
    assert [int(v) for v in got] == [8, 14, 6, ~12, 48, 3]
