"""tf.TensorArray (TensorArrayV3 in TF1 graph mode): TF's graphs, numbers and gradients both ways."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api.cf_helpers import build, check_both_ways, run

X = np.arange(12, dtype=np.float32).reshape(4, 3) / 10.0


def _ops(tf):
    x = tf.placeholder(tf.float32, [4, 3], name="x")
    ta = tf.TensorArray(tf.float32, size=4).unstack(x)
    dyn = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[3])
    dyn = dyn.write(0, x[1]).write(1, x[3] * 2.0).write(2, x[0])
    split = tf.TensorArray(tf.float32, size=2, name="split", infer_shape=False).split(tf.reshape(x, [12]), [5, 7])
    scattered = tf.TensorArray(tf.float32, size=4, clear_after_read=False).scatter([3, 1, 0, 2], x)
    return {
        "read": ta.read(2),
        "gather": ta.gather([3, 0]),
        "stack": dyn.stack(),
        "size": dyn.size(),
        "concat": split.concat(),
        "scatter_twice": [scattered.read(1), scattered.read(1)],
        "static_size": ta.size(),
    }


def _grads(tf):
    x = tf.placeholder(tf.float32, [4, 3], name="x")
    w = tf.placeholder(tf.float32, [3], name="w")
    ta = tf.TensorArray(tf.float32, size=4).unstack(x * w)
    out = tf.TensorArray(tf.float32, size=4)
    out = out.scatter([0, 1], ta.gather([2, 3]))
    out = out.write(2, ta.read(0)).write(3, ta.read(1) * 3.0)
    split = tf.TensorArray(tf.float32, size=2, infer_shape=False).split(tf.reshape(out.stack(), [12]), [4, 8])
    loss = tf.reduce_sum(tf.square(split.concat()))
    gx, gw = tf.gradients(loss, [x, w])
    return {"loss": loss, "gx": gx, "gw": gw}


def test_tensor_array_ops_are_tfs_both_ways(tf1, tmp_path):
    check_both_ways(tf1, _ops, {"x:0": X}, tmp_path)


def test_tensor_array_gradients_are_tfs_both_ways(tf1, tmp_path):
    check_both_ways(tf1, _grads, {"x:0": X, "w:0": np.array([1.0, -2.0, 0.5], np.float32)}, tmp_path)


def test_reading_an_element_twice_fails_like_tf(tf1):
    def fn(tf):
        ta = tf.TensorArray(tf.float32, size=2).unstack(tf.constant([[1.0], [2.0]]))
        return {"twice": [ta.read(0), ta.read(0, name="again")]}

    results = []
    for framework in (tf1, tm):
        graph, fetches = build(framework, fn)
        with pytest.raises(framework.errors.InvalidArgumentError) as info:
            run(framework, graph, fetches)
        results.append(info.value.message)
    assert "Could not read index 0 twice because it was cleared after a previous read" in results[0]
    assert "Could not read index 0 twice because it was cleared after a previous read" in results[1]


@pytest.mark.parametrize(
    "fn",
    [
        lambda tf: tf.TensorArray(tf.float32),
        lambda tf: tf.TensorArray(tf.float32, size=2, element_shape=[2]).write(0, tf.zeros([3])),
        lambda tf: tf.TensorArray(tf.float32, handle=tf.constant(1.0), size=2),
    ],
    ids=["no-size", "element-shape", "handle-and-size"],
)
def test_tensor_array_errors_are_tfs(tf1, fn):
    with tf1.Graph().as_default(), pytest.raises((TypeError, ValueError)) as theirs:
        fn(tf1)
    with tm.Graph().as_default(), pytest.raises(type(theirs.value)) as ours:
        fn(tm)
    assert str(ours.value) == str(theirs.value)
