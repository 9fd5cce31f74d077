"""tf.scatter_update / scatter_add / scatter_sub / scatter_mul / scatter_div / scatter_min / scatter_max and
tf.count_up_to on ref and resource variables: TF's graphs node for node
and TF's values, run after run."""

import numpy as np
import pytest

import torchmeta as tm
from tests.api import tf_programs as P


def _scatter_program(use_resource, fn_name, indices, updates, name=None):
    def program(api):
        v = api.Variable(np.arange(12, dtype=np.float32).reshape(4, 3), name="v", use_resource=use_resource)
        idx = api.placeholder(api.int32, [None], name="idx")
        upd = api.placeholder(api.float32, [None, 3], name="upd")
        out = getattr(api, fn_name)(v, idx, upd, name=name)
        api.global_variables_initializer()
        return {"out": out, "v": v}

    return program


def _run(api, graph, fetches, feeds, runs=3):
    with graph.as_default(), api.Session(graph=graph) as sess:
        sess.run(api.global_variables_initializer())
        feed = {graph.get_tensor_by_name(k): v for k, v in feeds.items()}
        results = [sess.run(fetches["out"], feed) for _ in range(runs)]
        results.append(sess.run(fetches["v"]))
    return results


@pytest.mark.parametrize("use_resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize(
    "fn_name",
    ["scatter_update", "scatter_add", "scatter_sub", "scatter_mul", "scatter_div", "scatter_min", "scatter_max"],
)
@pytest.mark.parametrize("name", [None, "scatter"])
def test_scatter_graphs_and_values_match_tf(tf1, use_resource, fn_name, name):
    indices = np.array([2, 0, 2], np.int32)  # a repeated index adds twice (an update: either one, TF too)
    updates = np.arange(9, dtype=np.float32).reshape(3, 3) * 0.5 + 0.3
    if fn_name == "scatter_update":
        indices = np.array([3, 0], np.int32)
        updates = updates[:2]
    program = _scatter_program(use_resource, fn_name, indices, updates, name)
    (tf_graph, tf_fetches), (tm_graph, tm_fetches) = P.assert_same_graph(tf1, program)
    feeds = {"idx:0": indices, "upd:0": updates}
    want = _run(tf1, tf_graph, tf_fetches, feeds)
    got = _run(tm, tm_graph, tm_fetches, feeds)
    for w, g in zip(want, got):
        assert np.asarray(g).shape == np.asarray(w).shape and np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("use_resource", [False, True], ids=["ref", "resource"])
def test_scatter_out_of_range_index_matches_tfs_error(tf1, use_resource):
    import tensorflow as tf

    program = _scatter_program(use_resource, "scatter_add", None, None)
    (tf_graph, tf_fetches), (tm_graph, tm_fetches) = P.assert_same_graph(tf1, program)
    feeds = {"idx:0": np.array([1, 4], np.int32), "upd:0": np.ones((2, 3), np.float32)}
    with pytest.raises(tf.errors.InvalidArgumentError) as want:
        _run(tf1, tf_graph, tf_fetches, feeds, runs=1)
    with pytest.raises(tm.errors.InvalidArgumentError) as got:
        _run(tm, tm_graph, tm_fetches, feeds, runs=1)
    assert "indices[1] = 4 is not in [0, 4)" in str(want.value)
    assert "indices[1] = 4 is not in [0, 4)" in str(got.value)


@pytest.mark.parametrize("use_resource", [False, True], ids=["ref", "resource"])
def test_count_up_to_matches_tf(tf1, use_resource):
    import tensorflow as tf

    def program(api):
        v = api.Variable(0, name="counter", use_resource=use_resource)
        return {"out": api.count_up_to(v, 2, name="count"), "v": v, "init": api.initialize_variables([v])}

    (tf_graph, tf_fetches), (tm_graph, tm_fetches) = P.assert_same_graph(tf1, program)
    results = []
    for api, graph, fetches, error in (
        (tf1, tf_graph, tf_fetches, tf.errors.OutOfRangeError),
        (tm, tm_graph, tm_fetches, tm.errors.OutOfRangeError),
    ):
        with graph.as_default(), api.Session(graph=graph) as sess:
            sess.run(fetches["init"])
            got = [sess.run(fetches["out"]) for _ in range(2)]
            with pytest.raises(error, match="Reached limit of 2"):
                sess.run(fetches["out"])
            results.append((got, sess.run(fetches["v"])))
    assert results[1] == results[0]
