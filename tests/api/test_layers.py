"""tf.layers against TensorFlow (TF 2.21's tf.compat.v1.layers, i.e. tf_keras' legacy layers).

Each program builds the same graph node for node (names, ops, inputs, attrs), names its variables
and collections alike, and computes TF's numbers from TF's variable values (a checkpoint moves both
ways); forward values and gradients are compared.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api import tf_programs as P

pytest.importorskip("tensorflow")

_rng = np.random.default_rng(7)
IMAGES = _rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
SEQ = _rng.standard_normal((2, 9, 3)).astype(np.float32)
VOLUME = _rng.standard_normal((2, 4, 6, 4, 2)).astype(np.float32)
VECTORS = _rng.standard_normal((4, 5)).astype(np.float32)


def _with_gradients(tf, out, loss_inputs):
    loss = tf.add_n([tf.reduce_sum(tf.square(t)) for t in loss_inputs], name="loss")
    variables = tf.trainable_variables()
    grads = tf.gradients(loss, variables)
    out.update({"loss": loss})
    out.update({f"grad/{v.op.name}": g for v, g in zip(variables, grads)})
    return out


def _dense(tf):
    x = tf.placeholder(tf.float32, [None, 5], name="x")
    h = tf.layers.dense(x, 8, activation=tf.nn.relu, kernel_regularizer=lambda w: 0.01 * tf.reduce_sum(tf.abs(w)))
    h = tf.layers.dense(h, 8, use_bias=False, name="hidden")
    shared = tf.layers.Dense(3, activation=tf.nn.tanh, name="shared")
    a, b = shared(h), shared(h * 2.0)
    with tf.variable_scope("tower"):
        c = tf.layers.dense(h, 3, name="out")
    with tf.variable_scope("tower", reuse=True):
        d = tf.layers.dense(h * 0.5, 3, name="out")
    e = tf.layers.dense(tf.reshape(h, [-1, 2, 4]), 2, bias_initializer=tf.constant_initializer(0.5))
    assert [v.name for v in shared.trainable_weights] == ["shared/kernel:0", "shared/bias:0"]
    reg = tf.add_n(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES), name="reg")
    return _with_gradients(tf, {"a": a, "b": b, "c": c, "d": d, "e": e, "reg": reg}, [a, b, c, d, e])


def _convolutions(tf):
    img = tf.placeholder(tf.float32, [None, 8, 8, 3], name="images")
    seq = tf.placeholder(tf.float32, [None, 9, 3], name="seq")
    vol = tf.placeholder(tf.float32, [None, 4, 6, 4, 2], name="volume")
    c2 = tf.layers.conv2d(img, 4, 3, padding="same", activation=tf.nn.relu)
    c2b = tf.layers.conv2d(c2, 5, (3, 2), strides=2, kernel_initializer=tf.truncated_normal_initializer(stddev=0.1))
    p2 = tf.layers.max_pooling2d(c2, 2, 2)
    a2 = tf.layers.average_pooling2d(c2, 3, 2, padding="same")
    s2 = tf.layers.separable_conv2d(img, 6, 3, depth_multiplier=2, padding="same")
    t2 = tf.layers.conv2d_transpose(p2, 2, 3, strides=2, padding="same")
    t2v = tf.layers.conv2d_transpose(a2, 3, 2, strides=2)
    c1 = tf.layers.conv1d(seq, 4, 3, strides=2)
    c1c = tf.layers.conv1d(seq, 2, 2, padding="causal", dilation_rate=1)
    s1 = tf.layers.separable_conv1d(seq, 4, 3, padding="same")
    p1 = tf.layers.max_pooling1d(c1, 2, 1)
    a1 = tf.layers.average_pooling1d(seq, 3, 2, padding="same")
    c3 = tf.layers.conv3d(vol, 3, 2, padding="same")
    p3 = tf.layers.max_pooling3d(c3, 2, 2)
    a3 = tf.layers.average_pooling3d(vol, 2, (1, 2, 2))
    t3 = tf.layers.conv3d_transpose(p3, 2, 2, strides=2)
    f = tf.layers.flatten(p2)
    f3 = tf.layers.flatten(vol)
    # Dilated: SpaceToBatchND, the undilated op, BatchToSpaceND (as TF builds them)
    d2 = tf.layers.conv2d(img, 2, 3, dilation_rate=2, padding="same")
    d1 = tf.layers.conv1d(seq, 2, 2, padding="causal", dilation_rate=3)
    d3 = tf.layers.conv3d(vol, 2, 2, dilation_rate=(1, 2, 2))
    ds2 = tf.layers.separable_conv2d(img, 3, 3, dilation_rate=(2, 1))
    ds1 = tf.layers.separable_conv1d(seq, 2, 2, dilation_rate=2, padding="same")
    outs = {
        "c2": c2,
        "c2b": c2b,
        "p2": p2,
        "a2": a2,
        "s2": s2,
        "t2": t2,
        "t2v": t2v,
        "c1": c1,
        "c1c": c1c,
        "s1": s1,
        "p1": p1,
        "a1": a1,
        "c3": c3,
        "p3": p3,
        "a3": a3,
        "t3": t3,
        "f": f,
        "f3": f3,
        "d2": d2,
        "d1": d1,
        "d3": d3,
        "ds2": ds2,
        "ds1": ds1,
    }
    return _with_gradients(tf, outs, list(outs.values()))


def _batch_norm(tf):
    img = tf.placeholder(tf.float32, [None, 8, 8, 3], name="images")
    vec = tf.placeholder(tf.float32, [None, 5], name="vectors")
    train = tf.layers.batch_normalization(img, training=True, momentum=0.9)
    infer = tf.layers.batch_normalization(img, training=False, name="frozen", center=False)
    v_train = tf.layers.batch_normalization(vec, training=True, scale=False)
    v_infer = tf.layers.batch_normalization(vec, training=False, name="v_frozen", epsilon=1e-2)
    nchw = tf.layers.batch_normalization(tf.transpose(img, [0, 3, 1, 2]), axis=1, training=True, name="nchw")
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert [u.name for u in updates] == [
        "batch_normalization/AssignMovingAvg",
        "batch_normalization/AssignMovingAvg_1",
        "batch_normalization_1/AssignMovingAvg",
        "batch_normalization_1/AssignMovingAvg_1",
        "nchw/AssignMovingAvg",
        "nchw/AssignMovingAvg_1",
    ]
    with tf.control_dependencies(updates):
        step = tf.no_op(name="update_moving_averages")
    outs = {"train": train, "infer": infer, "v_train": v_train, "v_infer": v_infer, "nchw": nchw}
    out = _with_gradients(tf, outs, list(outs.values()))
    out["step"] = step
    out.update({v.op.name: v for v in tf.global_variables() if "moving" in v.op.name})
    return out


def _dropout(tf):
    x = tf.placeholder(tf.float32, [None, 5], name="x")
    y = tf.layers.dropout(x, 0.4, training=True, seed=3)
    z = tf.layers.dropout(x, 0.4, noise_shape=[None, 1], training=True)
    w = tf.layers.dropout(x, 0.4)
    v = tf.layers.Dropout(0.0)(x, training=True)
    return {"y": y, "z": z, "w": w, "v": v}


def _training_switch(tf):
    """Batch norm (fused and not) and dropout behind an ``is_training`` placeholder: smart_cond builds tf.cond."""
    img = tf.placeholder(tf.float32, [None, 8, 8, 3], name="images")
    vec = tf.placeholder(tf.float32, [None, 5], name="vectors")
    is_training = tf.placeholder(tf.bool, [], name="is_training")
    fused = tf.layers.batch_normalization(img, training=is_training, momentum=0.9)
    plain = tf.layers.batch_normalization(vec, training=is_training, center=False)
    nchw = tf.layers.BatchNormalization(axis=1, fused=False, name="nchw")
    channels_first = nchw(tf.transpose(img, [0, 3, 1, 2]), training=is_training)
    dropped = tf.layers.dropout(plain, 0.4, training=is_training, seed=5)
    kept = tf.layers.Dropout(0.3, noise_shape=[None, 1], seed=2)(vec, training=is_training)
    outs = {"fused": fused, "plain": plain, "nchw": channels_first, "dropped": dropped, "kept": kept}
    assert [u.name for u in tf.get_collection(tf.GraphKeys.UPDATE_OPS)] == [
        "batch_normalization/AssignMovingAvg",
        "batch_normalization/AssignMovingAvg_1",
        "batch_normalization_1/cond_2/Merge",
        "batch_normalization_1/cond_3/Merge",
        "nchw/cond_2/Merge",
        "nchw/cond_3/Merge",
    ]
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        step = tf.no_op(name="update_moving_averages")
    out = _with_gradients(tf, outs, list(outs.values()))
    out["step"] = step
    out.update({v.op.name: v for v in tf.global_variables() if "moving" in v.op.name})
    return out


def _training_variable(tf):
    """A bool Variable as ``training`` (tf_keras' smart_cond builds tf.cond on it) and a constant Tensor
    (decided while building)."""
    img = tf.placeholder(tf.float32, [None, 8, 8, 3], name="images")
    flag = tf.Variable(True, trainable=False, name="flag")
    normalized = tf.layers.batch_normalization(img, training=flag)
    dropped = tf.layers.dropout(img, 0.3, training=flag, seed=1)
    kept = tf.layers.dropout(img, 0.3, training=tf.constant(False))
    return {"normalized": normalized, "dropped": dropped, "kept": kept}


PROGRAMS = {
    "dense": _dense,
    "convolutions": _convolutions,
    "batch_norm": _batch_norm,
    "dropout": _dropout,
    "training_switch": _training_switch,
    "training_variable": _training_variable,
}
FEEDS = {
    "dense": {"x:0": VECTORS},
    "convolutions": {"images:0": IMAGES, "seq:0": SEQ, "volume:0": VOLUME},
    "batch_norm": {"images:0": IMAGES, "vectors:0": VECTORS},
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_graph_is_tfs_node_for_node(tf1, name):
    P.assert_same_graph(tf1, PROGRAMS[name])


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_variables_and_collections_are_tfs(tf1, name):
    (tf_graph, _), (tm_graph, _) = P.build(tf1, PROGRAMS[name]), P.build(tm, PROGRAMS[name])
    for key in ("variables", "trainable_variables", "update_ops", "regularization_losses", "losses"):
        expected = [getattr(v, "name", None) for v in tf_graph.get_collection(key)]
        assert [getattr(v, "name", None) for v in tm_graph.get_collection(key)] == expected, key


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_checkpoint_from_tf_runs_here_to_tfs_numbers(tf1, tmp_path, name):
    runs = ("step", "") if name == "batch_norm" else ("",)
    expected, actual = P.run_tf_then_ours(tf1, PROGRAMS[name], tmp_path, FEEDS[name], runs=runs)
    P.assert_results_close(expected, actual, rtol=1e-4, atol=1e-5, gradient_rtol=1e-6)


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_checkpoint_from_here_runs_in_tf_to_our_numbers(tf1, tmp_path, name):
    runs = ("step", "") if name == "batch_norm" else ("",)
    expected, actual = P.run_ours_then_tf(tf1, PROGRAMS[name], tmp_path, FEEDS[name], runs=runs)
    P.assert_results_close(expected, actual, rtol=1e-4, atol=1e-5, gradient_rtol=1e-6)


@pytest.mark.parametrize("is_training", [True, False])
@pytest.mark.parametrize("direction", ["tf_then_ours", "ours_then_tf"])
def test_training_switch_runs_to_tfs_numbers(tf1, tmp_path, is_training, direction):
    """An update step then the outputs, gradients and moving statistics with ``is_training`` fed True
    (batch statistics, updated moving averages, dropout's seeded masks: TF's random streams) or False
    (moving statistics, no update, dropout an identity), each way across a checkpoint."""
    feeds = {"images:0": IMAGES, "vectors:0": VECTORS, "is_training:0": is_training}
    run = P.run_tf_then_ours if direction == "tf_then_ours" else P.run_ours_then_tf
    expected, actual = run(tf1, _training_switch, tmp_path, feeds, runs=("step", ""))
    P.assert_results_close(expected, actual, rtol=1e-4, atol=1e-5, gradient_rtol=1e-6)


def test_dropout_keeps_and_scales_when_training():
    x = tm.constant(np.ones((400, 50), np.float32))
    y = tm.layers.dropout(x, 0.25, training=True)
    z = tm.layers.dropout(x, 0.25)
    with tm.Session() as sess:
        a, b = sess.run([y, z])
    assert set(np.unique(a)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((a == 0).mean() - 0.25) < 0.02
    np.testing.assert_array_equal(b, np.ones((400, 50), np.float32))


def test_dropout_behind_a_training_tensor():
    """tf.layers.dropout with a bool placeholder: the cond's dropout branch drops and scales when fed
    True, its Identity branch passes the input through when fed False."""
    x = tm.constant(np.ones((400, 50), np.float32))
    is_training = tm.placeholder_with_default(False, [], name="is_training")
    y = tm.layers.dropout(x, 0.25, training=is_training)
    assert y.op.type == "Merge"
    with tm.Session() as sess:
        a = sess.run(y, {is_training: True})
        b = sess.run(y)
    assert set(np.unique(a)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((a == 0).mean() - 0.25) < 0.02
    np.testing.assert_array_equal(b, np.ones((400, 50), np.float32))


def test_layer_errors_are_tfs(tf1):
    def errors(tf):
        out = []
        for build in (
            lambda: tf.layers.dense(tf.placeholder(tf.float32, [3]), 2),
            lambda: tf.layers.Dense(2)(tf.placeholder(tf.float32, [None, None])),
            lambda: tf.layers.conv2d(tf.placeholder(tf.float32, [None, 4, 4]), 2, 3),
            lambda: tf.layers.max_pooling2d(tf.placeholder(tf.float32, [None, 4, 4]), 2, 2),
            lambda: tf.layers.batch_normalization(tf.placeholder(tf.float32, [None, None])),
            lambda: tf.layers.conv2d(tf.placeholder(tf.float32, [None, 4, 4, 3]), 2, 3, padding="full"),
        ):
            with tf.Graph().as_default():
                try:
                    build()
                    out.append(None)
                except (ValueError, TypeError) as e:
                    out.append((type(e).__name__, str(e)))
        return out

    assert errors(tm) == errors(tf1)


def test_shared_layer_reuses_its_scope_and_variables(tf1):
    def program(tf):
        layer = tf.layers.Dense(3)
        x = tf.placeholder(tf.float32, [None, 2])
        first, second = layer(x), layer(x)
        try:
            tf.layers.dense(x, 3, name="dense")
            error = None
        except ValueError as e:
            error = str(e).split(" Originally defined at:")[0]
        reused = tf.layers.dense(x, 3, name="dense", reuse=True)
        names = [v.op.name for v in tf.global_variables()]
        return [layer.name, layer.scope_name, first.name, second.name, error, reused.name, names]

    with tf1.Graph().as_default():
        expected = program(tf1)
    with tm.Graph().as_default():
        assert program(tm) == expected
    assert expected[-1] == ["dense/kernel", "dense/bias"]


def test_custom_layer_subclass_is_tfs(tf1, tmp_path):
    """A TF1-style Layer subclass (build with add_variable, call) gets TF's scopes, names and values."""

    def program(tf):
        class Scale(tf.layers.Layer):
            def build(self, input_shape):
                self.w = self.add_variable("w", [input_shape[-1]], initializer=tf.constant_initializer(2.0))
                self.built = True

            def call(self, inputs):
                return inputs * self.w

        x = tf.placeholder(tf.float32, [None, 5], name="x")
        layer = Scale(name="scale")
        y = layer(x)
        z = layer(y)
        assert [v.name for v in layer.weights] == ["scale/w:0"]
        return {"y": y, "z": z}

    P.assert_same_graph(tf1, program)
    expected, actual = P.run_tf_then_ours(tf1, program, tmp_path, {"x:0": VECTORS})
    P.assert_results_close(expected, actual)
