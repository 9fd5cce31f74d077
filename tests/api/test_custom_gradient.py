"""User-defined gradients as TF builds and runs them: ``tf.RegisterGradient`` with ``gradient_override_map``,
``tf.NotDifferentiable``, ``tf.custom_gradient`` (graph mode), ``tf.grad_pass_through`` and ``tf.hessians``."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api.tf_programs import IGNORED_ATTRS, assert_results_close, assert_same_graph, run_tf_then_ours

X = np.array([1.0, -2.0, 3.0], np.float32)
# The CustomGradient-<uid> names count every op built in the process, so they differ between frameworks.
IGNORE_GRADIENT_NAME = IGNORED_ATTRS | {"_gradient_op_type"}


def _register(api):
    """Registers this module's gradient names once per framework (the registries are per process)."""
    if getattr(api, "_api17_registered", False):
        return
    api.RegisterGradient("Api17DoubleGrad")(lambda op, grad: [grad * 2.0])
    api.NotDifferentiable("Api17NoGrad")
    api._api17_registered = True


def _override_program(tf):
    _register(tf)
    g = tf.get_default_graph()
    x = tf.placeholder(tf.float32, [3], name="x")
    with g.gradient_override_map({"Identity": "Api17DoubleGrad", "Square": "Api17NoGrad"}):
        y = tf.identity(x, name="y")
        sq = tf.square(x, name="sq")
    # Asked for after the with-block: the override is recorded on the ops when they are built.
    dy = tf.gradients(y * y, x)[0]
    dsq = tf.gradients(sq + x, x)[0]
    return {"dy": dy, "dsq": dsq}


def test_register_gradient_and_override_map_match_tf(tf1, tmp_path):
    (tf_graph, _), _ = assert_same_graph(tf1, _override_program)
    assert tf_graph.get_operation_by_name("y").get_attr("_gradient_op_type") == b"Api17DoubleGrad"
    expected, actual = run_tf_then_ours(tf1, _override_program, tmp_path, feeds={"x:0": X})
    assert_results_close(expected, actual)
    np.testing.assert_array_equal(actual["dy"], 4 * X)  # 2x, doubled by the override
    np.testing.assert_array_equal(actual["dsq"], np.ones(3, np.float32))  # Square passes nothing


def test_override_recorded_on_imported_ops():
    g = tm.Graph()
    with g.as_default():
        tm.identity(tm.placeholder(tm.float32, [3], name="x"), name="y")
    with tm.Graph().as_default() as g2:
        _register(tm)
        with g2.gradient_override_map({"Identity": "Api17DoubleGrad"}):
            tm.import_graph_def(g.as_graph_def(), name="")
        x, y = g2.get_tensor_by_name("x:0"), g2.get_tensor_by_name("y:0")
        with tm.Session() as sess:
            np.testing.assert_array_equal(sess.run(tm.gradients(y, x)[0], {x: X}), [2.0, 2.0, 2.0])


@pytest.mark.parametrize("name", ["Api17DoubleGrad", "Square", "Size"])
def test_duplicate_registration_raises_tfs_key_error(tf1, name):
    _register(tf1)
    _register(tm)
    for api in (tf1, tm):
        with pytest.raises(KeyError) as info:
            api.RegisterGradient(name)(lambda op, grad: grad)
        assert info.value.args[0].startswith(
            f"Registering two gradient with name '{name}'! (Previous registration was in register"
        ), info.value.args[0]
        with pytest.raises(KeyError, match="Registering two gradient"):
            api.no_gradient(name)


def test_bad_names_raise_tfs_type_error(tf1):
    for api in (tf1, tm):
        with pytest.raises(TypeError, match=r"^op_type must be a string$"):
            api.RegisterGradient(3)
        with pytest.raises(TypeError, match=r"^op_type must be a string$"):
            api.NotDifferentiable(None)


def _custom_program(tf):
    x = tf.placeholder(tf.float32, [3], name="x")

    @tf.custom_gradient
    def clipped_square(v):
        def grad(dy):
            return tf.clip_by_value(dy * v, -0.5, 0.5)

        return tf.square(v), grad

    @tf.custom_gradient
    def scaled(a, b):
        def grad(dy):
            return dy * 3.0, None

        return a * b, grad

    z = clipped_square(x)
    w = scaled(x, tf.constant(2.0))
    with tf.variable_scope("vs", use_resource=True):
        var = tf.get_variable("v", initializer=tf.constant([0.5, 1.0, 2.0]))

    @tf.custom_gradient
    def uses_var(v):
        def grad(dy, variables=None):
            return dy * 10.0, [dy * v]

        return v * var, grad

    u = uses_var(x)
    p = tf.grad_pass_through(tf.round)(x * 1.5)
    return {
        "z": z,
        "dz": tf.gradients(z, x)[0],
        "dw": tf.gradients(w, x)[0],
        "u": u,
        "du": tf.gradients(u, [x, var]),
        "dp": tf.gradients(p * 3.0, x)[0],
    }


def test_custom_gradient_matches_tf(tf1, tmp_path):
    (tf_graph, _), (tm_graph, _) = assert_same_graph(tf1, _custom_program, ignore_attrs=IGNORE_GRADIENT_NAME)
    for graph in (tf_graph, tm_graph):
        kinds = [op.get_attr("_gradient_op_type") for op in graph.get_operations() if op.type == "IdentityN"]
        assert len(kinds) == 4 and all(k.startswith(b"CustomGradient-") for k in kinds)
    expected, actual = run_tf_then_ours(tf1, _custom_program, tmp_path, feeds={"x:0": X})
    assert_results_close(expected, actual)


def _check_custom_gradient_errors(api):
    x = api.constant([1.0])
    v = api.Variable([2.0], use_resource=True)

    @api.custom_gradient
    def f(a):
        return a * v, lambda dy: dy

    with pytest.raises(TypeError, match="grad_fn must accept keyword argument 'variables', since function"):
        f(x)
    with pytest.raises(ValueError, match="keywords arguments only when eager execution is enabled"):
        f(a=x)

    @api.custom_gradient
    def makes_ref_variable(a):
        with api.variable_scope("r", use_resource=False):
            r = api.get_variable("r", [1])
        return a * r, lambda dy, variables=None: (dy, [dy])

    with pytest.raises(TypeError, match="must be `ResourceVariable`s"):
        makes_ref_variable(x)


def test_custom_gradient_errors_match_tf(tf1):
    for api in (tf1, tm):
        with api.Graph().as_default():
            _check_custom_gradient_errors(api)


def _hessians_program(tf):
    x = tf.placeholder(tf.float32, [2, 2], name="x")
    y = tf.reduce_sum(x * x * x) + tf.reduce_prod(x)
    return {"h": tf.hessians(y, x)[0], "h2": tf.hessians([y, tf.reduce_sum(x * x)], [x])}


def test_hessians_match_tf(tf1, tmp_path):
    assert_same_graph(tf1, _hessians_program)
    expected, actual = run_tf_then_ours(tf1, _hessians_program, tmp_path, feeds={"x:0": X[[0, 1, 2, 0]].reshape(2, 2)})
    assert_results_close(expected, actual)
    assert actual["h"].shape == (2, 2, 2, 2)
