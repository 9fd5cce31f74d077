"""tf.variable_scope / tf.get_variable / make_template / partitioned variables against TensorFlow.

Each program runs unchanged in TensorFlow and here: the graphs are equal node for node (names, op
types, inputs, attrs), the variables and collections carry the same names, a checkpoint moves both
ways, and misuse raises TensorFlow's error with TensorFlow's message.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api import tf_programs as P

pytest.importorskip("tensorflow")


def _scopes(tf):
    with tf.variable_scope("a", initializer=tf.constant_initializer(0.5)):
        w = tf.get_variable("w", [3, 4])
        with tf.variable_scope("b", dtype=tf.float64):
            tf.get_variable("v", [2])
            tf.get_variable("i", [2], dtype=tf.int32, initializer=tf.zeros_initializer())
    with tf.variable_scope(None, default_name="layer"):
        tf.get_variable("k", [2, 2])
    with tf.variable_scope(None, default_name="layer") as sc:
        tf.get_variable("k", [2, 2])
    with tf.variable_scope(sc, reuse=True):
        k = tf.get_variable("k")
        x = tf.identity(k)
    with tf.variable_scope(sc, auxiliary_name_scope=False):
        y = tf.identity(k)
    with tf.variable_scope("a"):  # re-entered by name: a new name scope "a_1", the same variables
        z = tf.identity(w)
        with tf.variable_scope("c", reuse=tf.AUTO_REUSE):
            auto = tf.get_variable("auto", [2], initializer=tf.ones_initializer())
            assert tf.get_variable("auto", [2]) is auto
    with tf.variable_scope("r", regularizer=lambda t: tf.reduce_sum(t) * 0.1):
        tf.get_variable("r", [3], initializer=tf.ones_initializer())
        tf.get_variable("no_reg", [3], regularizer=tf.no_regularizer)
    tf.get_local_variable("local", [2], initializer=tf.zeros_initializer())
    with tf.variable_scope("p", partitioner=tf.fixed_size_partitioner(3)):
        p = tf.get_variable("p", [7, 2], initializer=tf.random_normal_initializer(seed=3))
    pt = tf.identity(tf.convert_to_tensor(p), name="pt")
    c = tf.get_variable("c", initializer=tf.constant([1.0, 2.0]))
    ints = tf.get_variable("ints", [3], dtype=tf.int64, trainable=False)
    reg = tf.add_n(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES))
    scope = tf.get_variable_scope()
    assert scope.name == "" and not scope.reuse
    return {"w": w, "x": x, "y": y, "z": z, "pt": pt, "reg": reg, "c": c, "auto": auto, "ints": ints}


def _custom_getters(tf):
    def scale(getter, name, *args, **kwargs):
        return getter(name + "_scaled", *args, **kwargs) * 2.0

    def outer(getter, name, *args, **kwargs):
        kwargs["trainable"] = False
        return getter(name, *args, **kwargs)

    with tf.variable_scope("outer", custom_getter=outer):
        with tf.variable_scope("inner", custom_getter=scale):
            v = tf.get_variable("v", [2], initializer=tf.ones_initializer())
    return {"v": v}


def _template(tf):
    def layer(x, units):
        w = tf.get_variable("w", [2, units], initializer=tf.constant_initializer(0.25))
        b = tf.get_variable("b", [units], initializer=tf.zeros_initializer())
        return tf.matmul(x, w) + b

    shared = tf.make_template("shared", layer, units=3)
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    y1 = shared(x)
    y2 = shared(x * 2.0)
    now = tf.make_template("now", layer, create_scope_now_=True, units=1)
    y3 = now(x)
    assert [v.op.name for v in shared.trainable_variables] == ["shared/w", "shared/b"]
    assert shared.variable_scope_name == "shared/"
    return {"y1": y1, "y2": y2, "y3": y3}


PROGRAMS = {"scopes": _scopes, "custom_getters": _custom_getters, "template": _template}
FEEDS = {"template": {"x:0": np.array([[1.0, 2.0], [-1.0, 0.5]], np.float32)}}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_graph_is_tfs_node_for_node(tf1, name):
    P.assert_same_graph(tf1, PROGRAMS[name])


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_collections_hold_the_same_names(tf1, name):
    keys = ("variables", "trainable_variables", "local_variables", "regularization_losses", "model_variables")
    (tf_graph, _), (tm_graph, _) = P.build(tf1, PROGRAMS[name]), P.build(tm, PROGRAMS[name])
    for key in keys:
        expected = [getattr(v, "name", None) for v in tf_graph.get_collection(key)]
        assert [getattr(v, "name", None) for v in tm_graph.get_collection(key)] == expected, key


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_checkpoint_from_tf_restores_here(tf1, tmp_path, name):
    expected, actual = P.run_tf_then_ours(tf1, PROGRAMS[name], tmp_path, FEEDS.get(name))
    P.assert_results_close(expected, actual)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_checkpoint_from_here_restores_in_tf(tf1, tmp_path, name):
    expected, actual = P.run_ours_then_tf(tf1, PROGRAMS[name], tmp_path, FEEDS.get(name))
    P.assert_results_close(expected, actual)


def test_reused_variables_are_the_same_objects():
    with tm.variable_scope("s") as s:
        v = tm.get_variable("v", [1])
    with tm.variable_scope(s, reuse=True):
        assert tm.get_variable("v") is v
    with tm.variable_scope("s", reuse=True):
        assert tm.get_variable("v", [1]) is v
    with tm.variable_scope("s"):
        tm.get_variable_scope().reuse_variables()
        assert tm.get_variable("v") is v
        with tm.variable_scope("inner"):
            assert tm.get_variable_scope().reuse is True


# ---------------------------------------------------------------------------------------------
# Errors: TensorFlow's type and message


class _Named:
    def __repr__(self):
        return "<a value>"


def _duplicate_partitioned(tf):
    tf.get_variable("w", [4], partitioner=tf.fixed_size_partitioner(2))
    tf.get_variable("w", [4], partitioner=tf.fixed_size_partitioner(2))


def _improper_nesting(tf):
    a, b = tf.variable_scope("a"), tf.variable_scope("b")
    a.__enter__()
    b.__enter__()
    a.__exit__(None, None, None)


def _reuse(tf):
    tf.variable_scope("s", reuse=True).__enter__()


def _shared(tf):
    tf.get_variable("w", [1])
    tf.get_variable_scope().reuse_variables()


def _template_new_variable(tf):
    t = tf.make_template("t", lambda: tf.Variable(1.0))
    t()
    t()


ERRORS = {
    "duplicate": lambda tf: [tf.get_variable("w", [1]), tf.get_variable("w", [1])],
    "duplicate-resource": lambda tf: [tf.get_variable("w", [1], use_resource=True), tf.get_variable("w", [1])],
    "missing": lambda tf: [_reuse(tf), tf.get_variable("w", [1])],
    "shape": lambda tf: [_shared(tf), tf.get_variable("w", [2])],
    "dtype": lambda tf: [_shared(tf), tf.get_variable("w", [1], dtype=tf.float64)],
    "no-shape": lambda tf: tf.get_variable("w"),
    "constant-and-shape": lambda tf: tf.get_variable("w", [2], initializer=tf.constant([1.0, 2.0])),
    "initializer-dtype": lambda tf: tf.get_variable("w", initializer=tf.constant([1.0, 2.0]), dtype=tf.int32),
    "reuse-value": lambda tf: tf.variable_scope("a", reuse=1),
    "no-name": lambda tf: tf.variable_scope(None),
    "reuse-without-name": lambda tf: tf.variable_scope(None, default_name="x", reuse=True).__enter__(),
    "name-type": lambda tf: tf.variable_scope(3).__enter__(),
    "auxiliary-type": lambda tf: tf.variable_scope("a", auxiliary_name_scope=1),
    "partitioned-duplicate": _duplicate_partitioned,
    "partitioned-then-plain": lambda tf: [
        tf.get_variable("w", [4], partitioner=tf.fixed_size_partitioner(2)),
        tf.get_variable("w", [4]),
    ],
    "plain-then-partitioned": lambda tf: [
        tf.get_variable("w", [4]),
        tf.get_variable("w", [4], partitioner=tf.fixed_size_partitioner(2)),
    ],
    "partitioned-missing": lambda tf: [
        _reuse(tf),
        tf.get_variable("w", [4], partitioner=tf.fixed_size_partitioner(2)),
    ],
    "partitioned-unknown-shape": lambda tf: tf.get_variable("w", [None, 2], partitioner=tf.fixed_size_partitioner(2)),
    "partitioner-rank": lambda tf: tf.get_variable("w", [4], partitioner=lambda shape, dtype: [1, 2]),
    "partitioner-two-axes": lambda tf: tf.get_variable("w", [4, 4], partitioner=lambda shape, dtype: [2, 2]),
    "complex-without-initializer": lambda tf: tf.get_variable("w", [2], dtype=tf.complex64),
    "custom-getter-type": lambda tf: tf.get_variable("w", [2], custom_getter=3),
    "template-name": lambda tf: tf.make_template(None, lambda: 1),
    "template-new-variable": _template_new_variable,
    "improper-nesting": _improper_nesting,
    "constant-initializer-type": lambda tf: tf.constant_initializer(_Named()),
    "variance-scaling-scale": lambda tf: tf.variance_scaling_initializer(scale=-1),
    "variance-scaling-mode": lambda tf: tf.variance_scaling_initializer(mode="x"),
    "variance-scaling-distribution": lambda tf: tf.variance_scaling_initializer(distribution="x"),
    "orthogonal-rank": lambda tf: tf.get_variable("w", [3], initializer=tf.orthogonal_initializer()),
    "random-normal-dtype": lambda tf: tf.random_normal_initializer(dtype=tf.int32),
}


def _error(api, program):
    with api.Graph().as_default():
        try:
            program(api)
        except Exception as e:  # the test compares whatever is raised
            # The part naming where the variable was created is the creator's stack (differs by design).
            message = str(e).split(" Originally defined at:")[0].split("\n\noriginally defined at:")[0]
            return type(e).__name__, message
    return None


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_is_tfs(tf1, name):
    expected = _error(tf1, ERRORS[name])
    assert expected is not None
    assert _error(tm, ERRORS[name]) == expected


def test_duplicate_variable_error_names_where_it_was_defined():
    with pytest.raises(ValueError) as info:
        tm.get_variable("w", [1])  # the line the error points at
        tm.get_variable("w", [1])
    message = str(info.value)
    assert "Originally defined at:" in message
    assert 'tm.get_variable("w", [1])  # the line the error points at' in message


# ---------------------------------------------------------------------------------------------
# Partitioned variables


@pytest.mark.parametrize(
    "partitioner",
    [
        ("fixed", 3, 0),
        ("fixed", 10, 1),
        ("min_max", 4, 1 << 10),
        ("min_max", 2, 64),
        ("axis_size", 4096, None),
        ("axis_size", 100, 3),
    ],
    ids=str,
)
@pytest.mark.parametrize("shape", [(40, 30), (7, 5), (1000, 4)], ids=str)
def test_partitioners_partition_as_tfs(tf1, partitioner, shape):
    kind, a, b = partitioner

    def make(tf):
        if kind == "fixed":
            return tf.fixed_size_partitioner(a, axis=b % len(shape))
        if kind == "min_max":
            return tf.min_max_variable_partitioner(max_partitions=a, min_slice_size=b)
        return tf.variable_axis_size_partitioner(a, max_shards=b)

    expected = make(tf1)(shape=tf1.TensorShape(shape), dtype=tf1.float32)
    assert make(tm)(shape=tm.TensorShape(shape), dtype=tm.float32) == expected


def _partitioned(tf, lookup=True):
    with tf.variable_scope("emb"):
        table = tf.get_variable(
            "table", [10, 3], initializer=tf.random_uniform_initializer(-1, 1), partitioner=tf.fixed_size_partitioner(4)
        )
        wide = tf.get_variable(
            "wide",
            [2, 9],
            initializer=tf.glorot_uniform_initializer(),
            partitioner=tf.min_max_variable_partitioner(max_partitions=3, axis=1, min_slice_size=8),
        )
    total = tf.reduce_sum(tf.convert_to_tensor(wide))
    assign = table.assign(tf.ones([10, 3]))
    assert len(assign) == 4 and len(table) == 4
    out = {"total": total, "table": tf.convert_to_tensor(table)}
    if lookup:
        out["rows"] = tf.nn.embedding_lookup(table, tf.constant([0, 3, 9, 4], name="ids"))
    return out


def test_partitioned_graph_is_tfs(tf1):
    P.assert_same_graph(tf1, _partitioned)


def test_partitioned_variables_checkpoint_both_ways(tf1, tmp_path):
    expected, actual = P.run_tf_then_ours(tf1, _partitioned, tmp_path)
    P.assert_results_close(expected, actual)
    expected, actual = P.run_ours_then_tf(tf1, _partitioned, tmp_path)
    P.assert_results_close(expected, actual)


def test_saver_takes_partitioned_variables_in_var_list(tmp_path):
    pv = tm.get_variable("pv", [6, 2], initializer=tm.ones_initializer(), partitioner=tm.fixed_size_partitioner(3))
    other = tm.get_variable("other", [2], initializer=tm.zeros_initializer())
    with tm.Session() as sess:
        sess.run(tm.global_variables_initializer())
        as_list = tm.train.Saver([pv, other]).save(sess, str(tmp_path / "list"))
        as_dict = tm.train.Saver({"renamed": pv}).save(sess, str(tmp_path / "dict"))
    assert dict(tm.train.list_variables(as_list)) == {"pv": [6, 2], "other": [2]}
    assert dict(tm.train.list_variables(as_dict)) == {"renamed": [6, 2]}
    np.testing.assert_array_equal(tm.train.load_variable(as_dict, "renamed"), np.ones((6, 2), np.float32))


def test_create_partitioned_variables_returns_the_parts(tf1):
    def program(tf):
        parts = tf.create_partitioned_variables([4, 2], [2, 1], tf.zeros_initializer(), name="cp")
        return {"parts": [tf.identity(p) for p in parts]}

    P.assert_same_graph(tf1, program)


def _creators(tf):
    seen = []

    def not_trainable(next_creator, **kwargs):
        seen.append(kwargs["name"])
        kwargs["trainable"] = False
        return next_creator(**kwargs)

    def renamed(next_creator, **kwargs):
        kwargs["name"] = kwargs["name"] + "_renamed"
        return next_creator(**kwargs)

    with tf.variable_creator_scope(not_trainable):
        a = tf.get_variable("a", [2], initializer=tf.zeros_initializer())
        with tf.variable_creator_scope(renamed):
            b = tf.Variable(tf.ones([2]), name="b")
        c = tf.layers.dense(tf.ones([1, 2]), 3, name="layer")
    d = tf.Variable(1.0, name="d")
    assert seen == ["a", "b_renamed", "layer/kernel", "layer/bias"]
    assert [v.op.name for v in tf.trainable_variables()] == ["d"]
    return {"a": a, "b": b, "c": c, "d": d}


def test_variable_creator_scope_is_tfs(tf1):
    P.assert_same_graph(tf1, _creators)


def test_variables_ignore_control_dependencies_as_tf(tf1):
    def program(tf):
        x = tf.placeholder(tf.float32, [2], name="x")
        with tf.control_dependencies([tf.identity(x, name="y")]):
            v = tf.get_variable("v", [2])
            w = tf.Variable(tf.zeros([2]), name="w")
            r = tf.Variable(tf.zeros([2]), name="r", use_resource=True)
            z = v + w + r
        return {"z": z}

    P.assert_same_graph(tf1, program)


def _variable_kinds(fw):
    """Which variables are resource variables: tf.Variable and get_variable in a use_resource scope, then under
    enable_resource_variables() (tf.layers' weights too), in a use_resource=False scope, and after
    disable_resource_variables()."""
    kinds = []
    with fw.Graph().as_default():
        with fw.variable_scope("scoped", use_resource=True):
            kinds += [fw.Variable(1.0, name="a"), fw.get_variable("b", [])]
        kinds.append(fw.resource_variables_enabled())
        fw.enable_resource_variables()
        try:
            kinds += [fw.Variable(1.0, name="c"), fw.get_variable("d", []), fw.resource_variables_enabled()]
            kinds += (
                fw.layers.Dense(2, name="dense").apply(fw.zeros([1, 3])) is not None and fw.trainable_variables()[-2:]
            )
            with fw.variable_scope("ref", use_resource=False):
                kinds += [fw.Variable(1.0, name="e"), fw.get_variable("f", [])]
        finally:
            fw.disable_resource_variables()
        kinds += [fw.Variable(1.0, name="g"), fw.resource_variables_enabled()]
    return [k if isinstance(k, bool) else type(k).__name__ for k in kinds]


def test_resource_variables_switch_as_tf(tf1):
    kinds = _variable_kinds(tm)
    assert kinds == _variable_kinds(tf1)
    assert kinds[:3] == ["ResourceVariable", "ResourceVariable", False]
    assert kinds[3:8] == ["ResourceVariable", "ResourceVariable", True, "ResourceVariable", "ResourceVariable"]


def test_disable_v2_behavior_turns_resource_variables_off_as_tf(tf1):
    tm.enable_resource_variables()
    tm.disable_v2_behavior()
    assert tm.resource_variables_enabled() is False
    tf1.enable_resource_variables()
    tf1.disable_v2_behavior()
    assert tf1.resource_variables_enabled() is False
