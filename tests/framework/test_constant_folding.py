"""framework/constant_folding: shape functions see the constant values TF's C++ shape refiner evaluates
(EvaluateConstantTensor), so static shapes equal TF's."""

from __future__ import annotations

import pytest

import torchmeta as tm
from torchmeta.framework import tensor_util

# Each case builds with the given module (TF's tf.compat.v1 or torchmeta); its static shape is compared.
SHAPE_CASES = {
    # Reductions of constants: TF's refiner runs their kernels.
    "repeat-constant-repeats": lambda tf: tf.repeat([[1, 2], [3, 4]], [2, 3], axis=1),
    "repeat-constant-axis0": lambda tf: tf.repeat([[1, 2], [3, 4]], [1, 0], axis=0),
    "repeat-scalar": lambda tf: tf.repeat(5.0, 3),
    "sequence_mask-empty": lambda tf: tf.sequence_mask(tf.constant([], tf.int32)),
    "sequence_mask-constant": lambda tf: tf.sequence_mask([1, 3, 2]),
    "bincount-through-max": lambda tf: tf.math.bincount(tf.constant([1, 2, 5])),
    "reshape-reduce_prod": lambda tf: tf.reshape(tf.placeholder(tf.float32, None), [tf.reduce_prod([2, 3])]),
    "fill-reduce_max": lambda tf: tf.fill([tf.reduce_max([2, 5, 3]), 2], 1.0),
    "zeros-reduce_sum": lambda tf: tf.zeros([tf.reduce_sum([1, 2])]),
    "zeros-range-of-min": lambda tf: tf.zeros(tf.range(tf.reduce_min([3, 4]))),
    # Any stateless kernel, float ones too.
    "float-arithmetic": lambda tf: tf.zeros(
        [tf.cast(tf.sqrt(16.0), tf.int32), tf.cast(tf.reduce_mean([2.0, 4.0]), tf.int32)]
    ),
    "matmul": lambda tf: tf.zeros(tf.cast(tf.reshape(tf.matmul([[1.0, 2.0]], [[1.0], [1.0]]), [1]), tf.int32)),
    "stateless-random": lambda tf: tf.zeros([tf.random.stateless_uniform([], [1, 2], 1, 5, tf.int32)]),
    "strided_slice-of-const": lambda tf: tf.zeros(tf.constant([3, 4, 5])[1:]),
    "shape-of-one_hot": lambda tf: tf.reshape(tf.placeholder(tf.float32, None), tf.shape(tf.one_hot([0, 1], 3))),
    "size-of-split-strings": lambda tf: tf.zeros([tf.size(tf.strings.split(["a b", "c"]).values)]),
    # Values from static shapes (TryInferFromShapes): tf.shape(x)[i], tf.unstack(tf.shape(x))[i].
    "shape-index": lambda tf: tf.zeros([tf.shape(tf.placeholder(tf.float32, [None, 4]))[1]]),
    "unstack-shape": lambda tf: tf.zeros([tf.unstack(tf.shape(tf.placeholder(tf.float32, [None, 4])))[1]]),
    "gather-of-partial-shape": lambda tf: tf.zeros(
        tf.gather(tf.shape(tf.placeholder(tf.float32, [None, 4, 5])), [2, 1])
    ),
    # Partial shapes: TF's ConstantPartialShape reads Shape and ShapeN (the conv gradients' sizes).
    "conv2d-input-gradient": lambda tf: tf.gradients(
        tf.nn.conv2d(tf.placeholder(tf.float32, [None, 8, 8, 3]), tf.ones([3, 3, 3, 2]), [1, 1, 1, 1], "SAME"),
        tf.get_default_graph().get_tensor_by_name("Placeholder:0"),
    )[0],
    # What TF does not evaluate: stateful ops, PlaceholderWithDefault, control flow.
    "stateful-random": lambda tf: tf.zeros([tf.random.uniform([], 1, 5, tf.int32)]),
    "placeholder_with_default": lambda tf: tf.zeros([tf.placeholder_with_default(3, [])]),
    "while_loop": lambda tf: tf.zeros([tf.while_loop(lambda i: i < 3, lambda i: i + 1, [0])]),
    "cond": lambda tf: tf.zeros([tf.cond(tf.constant(True), lambda: tf.constant(2), lambda: tf.constant(3))]),
}


@pytest.mark.parametrize("case", sorted(SHAPE_CASES))
def test_static_shape_matches_tf(tf1, case):
    build = SHAPE_CASES[case]
    with tf1.Graph().as_default():
        expected = build(tf1).shape
    with tm.Graph().as_default():
        got = build(tm).shape
    assert (None if got.rank is None else got.as_list()) == (None if expected.rank is None else expected.as_list())


def test_evaluate_constant_tensor_is_wider_than_constant_value():
    with tm.Graph().as_default():
        total = tm.reduce_sum([1, 2, 3])
        assert tensor_util.constant_value(total) is None  # TF's Python constant_value: no Sum
        assert int(tensor_util.evaluate_constant_tensor(total)) == 6
        assert tensor_util.evaluate_constant_tensor(tm.placeholder(tm.int32, [])) is None


def test_folding_stops_at_fold_limit():
    """A design bound TF does not have: values over registry.FOLD_LIMIT elements are not folded."""
    from torchmeta.framework import registry

    with tm.Graph().as_default():
        big = tm.ones([registry.FOLD_LIMIT + 1], tm.int32)
        assert tensor_util.evaluate_constant_tensor(tm.reduce_sum(big)) is None
        small = tm.ones([4], tm.int32)
        assert int(tensor_util.evaluate_constant_tensor(tm.reduce_sum(small))) == 4
