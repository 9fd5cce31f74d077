"""Optional kernels against TensorFlow, and their gradients (TF's optional_grad.py)."""

import numpy as np

import torchmeta as tm
from tests.runtime.tf_graphs import assert_same, assert_same_error, run_in_both


def test_optionals(tf1):
    def build(tf, v1):
        R = tf.raw_ops
        x = v1.placeholder(tf.float32, [2], name="x")
        o = R.OptionalFromValue(components=[x, x * 2.0])
        none = R.OptionalNone()
        a, b = R.OptionalGetValue(optional=o, output_types=[tf.float32] * 2, output_shapes=[[2], [2]])
        return [a, b, R.OptionalHasValue(optional=o), R.OptionalHasValue(optional=none)]

    want, want_error, got, error, _ = run_in_both(build, {"x": np.array([1.0, 2.0], np.float32)})
    assert want_error is None and error is None
    assert_same(want, got)

    def build_none(tf, v1):
        none = tf.raw_ops.OptionalNone()
        return tf.raw_ops.OptionalGetValue(optional=none, output_types=[tf.float32], output_shapes=[[2]])

    _, want_error, _, got_error, _ = run_in_both(build_none)
    assert_same_error(want_error, got_error)


def test_optional_gradients_pass_through(tf1):
    import tensorflow as tf

    def grads(framework, raw_ops, session_cls, v1):
        with framework.Graph().as_default():
            x = v1.placeholder(framework.float32, [2], name="x")
            o = raw_ops.OptionalFromValue(components=[x * 3.0])
            (y,) = raw_ops.OptionalGetValue(optional=o, output_types=[framework.float32], output_shapes=[[2]])
            (g,) = v1.gradients(y * y, [x])
            with session_cls() as sess:
                return sess.run(g, {x: np.array([1.0, -2.0], np.float32)})

    want = grads(tf, tf.raw_ops, tf.compat.v1.Session, tf.compat.v1)
    got = grads(tm, tm.raw_ops, tm.Session, tm)
    assert_same([want], [got])
