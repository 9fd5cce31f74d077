"""tf.sets against TensorFlow: the set ops each call builds, node for node, and their sparse results."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api import tf_programs as P

pytest.importorskip("tensorflow")

A = np.array([[3, 1, 3, 7], [5, 5, 2, 0]], np.int64)
B = np.array([[1, 4, 3], [0, 1, 2]], np.int64)


def _program(tf):
    a = tf.placeholder(tf.int64, [2, None], name="a")
    b = tf.placeholder(tf.int64, [2, 3], name="b")
    sp = tf.SparseTensor([[0, 0], [1, 0], [1, 1]], tf.constant([3, 2, 9], tf.int64), [2, 3])
    out = {}
    for key, result in (
        ("intersection", tf.sets.set_intersection(a, b)),
        ("difference", tf.sets.set_difference(a, b)),
        ("b_minus_a", tf.sets.difference(a, b, aminusb=False)),
        ("union", tf.sets.union(a, b)),
        ("dense_sparse", tf.sets.intersection(a, sp)),
        ("sparse_dense", tf.sets.set_difference(sp, a)),
        ("sparse_sparse", tf.sets.union(sp, tf.sets.intersection(a, b))),
    ):
        out.update(
            {f"{key}/indices": result.indices, f"{key}/values": result.values, f"{key}/shape": result.dense_shape}
        )
        out[f"{key}/size"] = tf.sets.size(result)
    return out


def test_graph_is_tfs(tf1):
    P.assert_same_graph(tf1, _program)


def test_values_are_tfs(tf1, tmp_path):
    expected, actual = P.run_tf_then_ours(tf1, _program, tmp_path, {"a:0": A, "b:0": B})
    P.assert_results_close(expected, actual)


def test_errors_are_tfs(tf1):
    def errors(tf):
        out = []
        for build in (
            lambda: tf.sets.size(tf.constant([[1, 2]])),
            lambda: tf.sets.intersection(tf.constant([[1.0]]), tf.constant([[1.0]])),
            lambda: tf.sets.union(tf.constant([[1]]), tf.constant([[1]], tf.int64)),
        ):
            with tf.Graph().as_default():
                try:
                    build()
                    out.append(None)
                except (TypeError, ValueError) as e:
                    out.append((type(e).__name__, str(e).split(" not in supported dtypes")[0]))
        return out

    ours = errors(tm)
    assert ours == errors(tf1)
    assert None not in ours
