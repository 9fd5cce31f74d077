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


def _without_cond(g):
    """TF's graph minus what it builds for tf.cond (the shadows' initial values), which torchmeta lacks."""
    out = []
    for node in graph_structure(g):
        name, op_type, inputs, controls, attrs = node
        if "cond" in name or op_type in ("IsVariableInitialized", "VarIsInitializedOp"):
            continue
        if name.endswith("/ExponentialMovingAverage/Assign"):
            inputs = inputs[:1]  # TF: the cond's Merge; torchmeta: the variable's initial value
        out.append((name, op_type, inputs, controls, attrs))
    return out


@pytest.mark.parametrize("num_updates", [False, True], ids=["decay", "num_updates"])
def test_matches_tf(tf1, num_updates):
    g_tm, names_tm, hist_tm = _scenario(tm, num_updates)
    g_tf, names_tf, hist_tf = _scenario(tf1, num_updates)
    assert names_tm == names_tf
    assert names_tm[0] == "w/ExponentialMovingAverage"
    assert _without_cond(g_tm) == _without_cond(g_tf)
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


def test_errors_match_tf(tf1):
    def err(api):
        with api.Graph().as_default():
            v = api.Variable(1, name="i")
            try:
                api.train.ExponentialMovingAverage(0.9).apply([v])
            except Exception as e:
                return type(e).__name__, str(e)

    assert err(tm) == err(tf1) == ("TypeError", "The variables must be half, float, or double: i:0")
