"""tf.train.ExponentialMovingAverage against TensorFlow: graphs, values, names, checkpoints both ways."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.train.helpers import Api, graph_structure

STEPS = 4


def _model(api, dtype="float32"):
    w = api.Variable(np.array([1.0, -2.0], dtype), name="w")
    b = api.Variable(np.array(0.5, dtype), name="b", use_resource=True)
    step = api.train.get_or_create_global_step()
    loss = api.reduce_sum(api.square(w)) + b * b
    train = api.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    return w, b, step, train


def _scenario(api, num_updates, dtype="float32"):
    g = api.Graph()
    with g.as_default():
        w, b, step, train = _model(api, dtype)
        ema = api.train.ExponentialMovingAverage(0.8, num_updates=step if num_updates else None)
        with api.control_dependencies([train]):
            train_and_average = ema.apply([w, b])
        names = (ema.average_name(w), ema.average(b).op.name, sorted(ema.variables_to_restore()))
        with api.Session(graph=g) as sess:
            sess.run(api.global_variables_initializer())
            history = []
            for _ in range(STEPS):
                sess.run(train_and_average)
                history.append(sess.run([ema.average(w), ema.average(b)]))
    return g, names, history


@pytest.mark.parametrize("num_updates", [False, True], ids=["decay", "num_updates"])
def test_matches_tf(tf1, num_updates):
    g_tm, names_tm, hist_tm = _scenario(tm, num_updates)
    g_tf, names_tf, hist_tf = _scenario(tf1, num_updates)
    assert names_tm == names_tf
    assert names_tm[0] == "w/ExponentialMovingAverage"
    assert graph_structure(g_tm, ignored_attrs=()) == graph_structure(g_tf, ignored_attrs=())
    for ours, theirs in zip(hist_tm, hist_tf):
        for a, e in zip(ours, theirs):
            np.testing.assert_allclose(a, e, rtol=1e-6)
    assert [v.name for v in g_tm.get_collection("moving_average_variables")] == ["w:0", "b:0"]


def test_float64_variables_match_tf(tf1):
    _, _, ours = _scenario(tm, True, "float64")
    _, _, theirs = _scenario(tf1, True, "float64")
    for step_ours, step_theirs in zip(ours, theirs):
        for a, e in zip(step_ours, step_theirs):
            assert a.dtype == e.dtype == np.float64
            np.testing.assert_allclose(a, e, rtol=1e-12)


def _save(api, path, fmt):
    g = api.Graph()
    with g.as_default():
        w, b, step, train = _model(api)
        ema = api.train.ExponentialMovingAverage(0.5)
        with api.control_dependencies([train]):
            op = ema.apply([w, b])
        with api.Session(graph=g) as sess:
            sess.run(api.global_variables_initializer())
            for _ in range(STEPS):
                sess.run(op)
            Api(api, fmt).Saver().save(sess, path)
            return sess.run([ema.average(w), ema.average(b)])


def _restore_averages(api, path):
    """An evaluation graph restoring the shadows into the model's variables (variables_to_restore)."""
    g = api.Graph()
    with g.as_default():
        w = api.Variable([0.0, 0.0], name="w")
        b = api.Variable(0.0, name="b", use_resource=True)
        api.train.get_or_create_global_step()
        ema = api.train.ExponentialMovingAverage(0.5)
        saver = api.train.Saver(ema.variables_to_restore())
        with api.Session(graph=g) as sess:
            saver.restore(sess, path)
            return sess.run([w, b])


@pytest.mark.parametrize("writer", ["torchmeta", "tensorflow"])
def test_checkpoints_interchange(tf1, tmp_path, writer):
    """Shadows saved by one framework restore into the other's model variables through variables_to_restore."""
    path = str(tmp_path / "ema")
    saved = _save(tm if writer == "torchmeta" else tf1, path, "tf")
    reader = tf1 if writer == "torchmeta" else tm
    restored = _restore_averages(reader, path)
    for a, e in zip(restored, saved):
        np.testing.assert_allclose(a, e, rtol=1e-6)


def _tensor_averages(api, zero_debias):
    """Averages of tensors (zero slots, debiased when asked) next to a variable's, over feeds."""
    g = api.Graph()
    with g.as_default():
        w = api.Variable([1.0, -2.0], name="w")
        x = api.placeholder(api.float32, [3], name="x")
        t = api.reduce_sum(w) * x
        ema = api.train.ExponentialMovingAverage(0.7, zero_debias=zero_debias)
        op = ema.apply([w, t, x])
        other = api.train.ExponentialMovingAverage(0.5, name="fast")
        op2 = other.apply([t])
        with api.Session(graph=g) as sess:
            sess.run(api.global_variables_initializer())
            history = []
            for i in range(STEPS):
                sess.run([op, op2], {x: np.array([1.0, 2.0, 3.0], np.float32) * (i + 1)})
                history.append(sess.run([ema.average(w), ema.average(t), ema.average(x), other.average(t)]))
        names = sorted(v.op.name for v in api.global_variables())
    return g, names, history


@pytest.mark.parametrize("zero_debias", [False, True], ids=["biased", "zero_debias"])
def test_averages_of_tensors_match_tf(tf1, zero_debias):
    """Tensor averages start from zero slots; zero_debias adds TF's biased/local_step variables and
    divides by 1 - decay ** step: graph node for node (colocations included), names and values."""
    g_tm, names_tm, hist_tm = _tensor_averages(tm, zero_debias)
    g_tf, names_tf, hist_tf = _tensor_averages(tf1, zero_debias)
    assert names_tm == names_tf
    if zero_debias:
        assert "mul/ExponentialMovingAverage/biased" in names_tm
        assert "mul/ExponentialMovingAverage/local_step" in names_tm
    assert graph_structure(g_tm, ignored_attrs=()) == graph_structure(g_tf, ignored_attrs=())
    for ours, theirs in zip(hist_tm, hist_tf):
        for a, e in zip(ours, theirs):
            np.testing.assert_allclose(a, e, rtol=1e-6)


def test_shadow_of_a_trained_variable_starts_at_its_value(tf1):
    """apply() after training: the shadow's initializer reads the variable through TF's
    cond(is_variable_initialized, read_value, initial_value), so it starts at the trained value."""

    def run(api):
        g = api.Graph()
        with g.as_default():
            w, b, step, train = _model(api)
            with api.Session(graph=g) as sess:
                sess.run(api.global_variables_initializer())
                for _ in range(3):
                    sess.run(train)
                ema = api.train.ExponentialMovingAverage(0.9)
                op = ema.apply([w, b])
                sess.run([ema.average(w).initializer, ema.average(b).initializer])
                start = sess.run([ema.average(w), ema.average(b)])
                sess.run(op)
                return start, sess.run([ema.average(w), ema.average(b)]), sess.run([w, b]), graph_structure(g)

    ours, theirs = run(tm), run(tf1)
    assert ours[3] == theirs[3]
    for a, e in zip(ours[0] + ours[1], theirs[0] + theirs[1]):
        np.testing.assert_allclose(a, e, rtol=1e-6)
    np.testing.assert_allclose(ours[0][0], ours[2][0], rtol=1e-6)  # the trained value, not [1, -2]


def test_assign_moving_average_zero_debias_matches_tf(tf1):
    """assign_moving_average's default zero_debias=True on a zero-initialized variable (TF's
    training/moving_averages.py; twice on one variable: ``biased_1``/``local_step_1``)."""

    def run(api):
        if api is tm:
            from torchmeta.train.moving_averages import assign_moving_average
        else:
            from tensorflow.python.training.moving_averages import assign_moving_average
        g = api.Graph()
        with g.as_default():
            v = api.Variable(api.zeros([2]), name="v", trainable=False)
            x = api.placeholder(api.float32, [2], name="x")
            with api.variable_scope("scope"):
                up = assign_moving_average(v, x, 0.9)
                up2 = assign_moving_average(v, x * 2.0, 0.5, name="again")
            with api.Session(graph=g) as sess:
                sess.run(api.global_variables_initializer())
                values = [sess.run(op, {x: [1.0 + i, -1.0]}) for i in range(3) for op in (up, up2)]
            return values, sorted(v.op.name for v in api.global_variables()), graph_structure(g, ignored_attrs=())

    ours, theirs = run(tm), run(tf1)
    assert ours[1] == theirs[1]
    assert ours[2] == theirs[2]
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)


def test_errors_match_tf(tf1):
    def err(api):
        with api.Graph().as_default():
            v = api.Variable(1, name="i")
            try:
                api.train.ExponentialMovingAverage(0.9).apply([v])
            except Exception as e:
                return type(e).__name__, str(e)

    assert err(tm) == err(tf1) == ("TypeError", "The variables must be half, float, or double: i:0")
