"""tf.map_fn, tf.scan, tf.foldl, tf.foldr: TensorFlow's loops over TensorArrays, numbers and gradients both ways."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api.cf_helpers import check_both_ways

X = np.arange(12, dtype=np.float32).reshape(4, 3) / 5.0 - 1.0


def _map_fn(tf):
    x = tf.placeholder(tf.float32, [4, 3], name="x")
    dyn = tf.placeholder(tf.float32, [None, 3], name="dyn")
    w = tf.placeholder(tf.float32, [3], name="w")
    y = tf.map_fn(lambda r: r * w, x)
    pair = tf.map_fn(lambda r: (r[0], tf.reduce_sum(r)), dyn, dtype=(tf.float32, tf.float32))
    nested = tf.map_fn(lambda ab: ab[0] * ab[1]["k"], (x, {"k": x}), dtype=tf.float32)
    ints = tf.map_fn(lambda r: tf.cast(r > 0, tf.int32), x, dtype=tf.int32, back_prop=False)
    gx, gw = tf.gradients(tf.reduce_sum(y * y) + tf.reduce_sum(nested), [x, w])
    return {"y": y, "pair": list(pair), "nested": nested, "ints": ints, "gx": gx, "gw": gw}


def _scan(tf):
    x = tf.placeholder(tf.float32, [4, 3], name="x")
    a = tf.scan(lambda acc, e: acc * 0.5 + e, x)
    b = tf.scan(lambda acc, e: acc + e, x, initializer=tf.zeros([3]), reverse=True)
    c = tf.scan(lambda acc, e: (acc[0] + e, acc[1] * 2.0), x, initializer=(tf.zeros([3]), tf.ones([3])))
    g = tf.gradients(tf.reduce_sum(a) + tf.reduce_sum(b * b) + tf.reduce_sum(c[1]), x)[0]
    return {"a": a, "b": b, "c": list(c), "g": g}


def _folds(tf):
    x = tf.placeholder(tf.float32, [4, 3], name="x")
    left = tf.foldl(lambda acc, e: acc * e + 1.0, x)
    right = tf.foldr(lambda acc, e: acc * 0.5 + e, x, initializer=tf.ones([3]))
    pair = tf.foldl(lambda acc, e: (acc[0] + e[0], acc[1] * e[1]), (x, x), initializer=(tf.zeros([3]), tf.ones([3])))
    g = tf.gradients(tf.reduce_sum(left) + tf.reduce_sum(right) + tf.reduce_sum(pair[0]), x)[0]
    return {"left": left, "right": right, "pair": list(pair), "g": g}


MAP_FEEDS = {"x:0": X, "dyn:0": X[:3], "w:0": np.array([2.0, -1.0, 0.5], np.float32)}


@pytest.mark.parametrize(
    ("fn", "feeds"),
    [(_map_fn, MAP_FEEDS), (_scan, {"x:0": X}), (_folds, {"x:0": X})],
    ids=["map_fn", "scan", "foldl-foldr"],
)
def test_functional_ops_are_tfs_both_ways(tf1, tmp_path, fn, feeds):
    check_both_ways(tf1, fn, feeds, tmp_path)


@pytest.mark.parametrize(
    "fn",
    [
        lambda tf: tf.map_fn(lambda r: r, tf.constant(1.0)),
        lambda tf: tf.map_fn(lambda r: r, []),
        lambda tf: tf.map_fn(lambda ab: ab[0], (tf.zeros([2]), tf.zeros([2]))),
        lambda tf: tf.scan(lambda a, e: (a, a), tf.zeros([3])),
    ],
    ids=["scalar", "empty", "structure", "scan-structure"],
)
def test_functional_ops_errors_are_tfs(tf1, fn):
    with tf1.Graph().as_default(), pytest.raises((TypeError, ValueError)) as theirs:
        fn(tf1)
    with tm.Graph().as_default(), pytest.raises(type(theirs.value)) as ours:
        fn(tm)
    assert str(ours.value) == str(theirs.value).replace("SymbolicTensor", "Tensor")
