"""``tf.edit_distance``: TF's graph, values (normalized, empty truths and hypotheses) and errors."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm


def _program(tf):
    hyp = tf.SparseTensor([[0, 0, 0], [0, 0, 1], [1, 0, 0], [1, 1, 0], [1, 1, 2]], ["a", "b", "c", "d", "e"], [2, 3, 3])
    truth = tf.SparseTensor(
        [[0, 0, 0], [0, 0, 2], [0, 1, 0], [1, 0, 0], [1, 0, 1]], ["a", "c", "x", "c", "y"], [2, 2, 3]
    )
    hp, tp = tf.sparse_placeholder(tf.int32, name="h"), tf.sparse_placeholder(tf.int32, name="t")
    outs = [tf.edit_distance(hyp, truth), tf.edit_distance(hyp, truth, normalize=False), tf.edit_distance(hp, tp)]
    feeds = {
        hp: tf.SparseTensorValue([[0, 0], [0, 1], [1, 0]], [1, 2, 3], [2, 2]),
        tp: tf.SparseTensorValue([[0, 0], [0, 1], [0, 2]], [1, 5, 2], [3, 3]),
    }
    return outs, feeds


def test_edit_distance_matches_tf(tf1):
    results = []
    for api in (tf1, tm):
        with api.Graph().as_default() as g:
            outs, feeds = _program(api)
            with api.Session() as sess:
                values = sess.run(outs, feeds)
        shapes = [None if o.shape.rank is None else o.shape.as_list() for o in outs]
        results.append(([(n.name, n.op, list(n.input)) for n in g.as_graph_def().node], shapes, values))
    assert results[1][:2] == results[0][:2]
    for a, e in zip(results[1][2], results[0][2]):
        assert a.dtype == e.dtype == np.float32
        np.testing.assert_array_equal(a, e)


def test_dense_arguments_raise_tfs_type_error(tf1):
    for api in (tf1, tm):
        with api.Graph().as_default():
            sparse = api.SparseTensor([[0, 0]], [1], [1, 1])
            with pytest.raises(TypeError, match=r"^Hypothesis must be a SparseTensor\.$"):
                api.edit_distance(api.constant([[1]]), sparse)
            with pytest.raises(TypeError, match=r"^Truth must be a SparseTensor\.$"):
                api.edit_distance(sparse, api.constant([[1]]))
