"""tf.train learning-rate schedules against TensorFlow: the same nodes, and the same value at every step."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.train.helpers import graph_structure

# id -> schedule(train module, global step)
SCHEDULES = {
    "exponential": lambda T, s: T.exponential_decay(0.1, s, 10, 0.96),
    "exponential-staircase": lambda T, s: T.exponential_decay(0.1, s, 10, 0.96, staircase=True),
    "exponential-named": lambda T, s: T.exponential_decay(0.5, s, 3, 0.5, name="lr"),
    "natural-exp": lambda T, s: T.natural_exp_decay(0.1, s, 10, 0.5),
    "natural-exp-staircase": lambda T, s: T.natural_exp_decay(0.1, s, 10, 0.5, staircase=True),
    "inverse-time": lambda T, s: T.inverse_time_decay(0.1, s, 10, 0.5),
    "inverse-time-staircase": lambda T, s: T.inverse_time_decay(0.1, s, 7, 0.5, staircase=True),
    "polynomial": lambda T, s: T.polynomial_decay(0.1, s, 20),
    "polynomial-power": lambda T, s: T.polynomial_decay(0.1, s, 20, 0.01, power=0.5),
    "polynomial-cycle": lambda T, s: T.polynomial_decay(0.1, s, 8, 0.01, power=2.0, cycle=True),
    "cosine": lambda T, s: T.cosine_decay(0.1, s, 20),
    "cosine-alpha": lambda T, s: T.cosine_decay(0.1, s, 20, alpha=0.1),
    "linear-cosine": lambda T, s: T.linear_cosine_decay(0.1, s, 20),
    "linear-cosine-periods": lambda T, s: T.linear_cosine_decay(0.1, s, 20, num_periods=2.0, alpha=0.1, beta=0.01),
    "piecewise": lambda T, s: T.piecewise_constant(s, [5, 10, 20], [1.0, 0.5, 0.1, 0.01]),
    "piecewise-two": lambda T, s: T.piecewise_constant(s, [10], [0.3, 0.03], name="lr"),
    "cosine-restarts": lambda T, s: T.cosine_decay_restarts(0.1, s, 5),
    "cosine-restarts-flat": lambda T, s: T.cosine_decay_restarts(0.1, s, 4, t_mul=1.0, m_mul=0.5, alpha=0.1),
    "cosine-restarts-mul": lambda T, s: T.cosine_decay_restarts(0.2, s, 3, t_mul=1.5, m_mul=0.8),
}
STEPS = [0, 1, 2, 5, 9, 10, 11, 19, 20, 21, 37, 100]


def _build(api, make, step_kind):
    g = api.Graph()
    with g.as_default():
        if step_kind == "variable":
            step = api.train.get_or_create_global_step()
        else:
            step = api.placeholder(api.int64 if step_kind == "int64" else api.int32, [], name="step")
        lr = make(api.train, step)
    return g, step, lr


def _values(api, make, step_kind="int64"):
    g, step, lr = _build(api, make, step_kind)
    with api.Session(graph=g) as sess:
        return [sess.run(lr, {step: s}) for s in STEPS], lr.dtype.name, lr.name


@pytest.mark.parametrize("which", sorted(SCHEDULES))
def test_graph_matches_tf(tf1, which):
    theirs, _, lr_theirs = _build(tf1, SCHEDULES[which], "variable")
    ours, _, lr_ours = _build(tm, SCHEDULES[which], "variable")
    assert graph_structure(ours) == graph_structure(theirs)
    assert lr_ours.name == lr_theirs.name


@pytest.mark.parametrize("step_kind", ["int64", "int32"])
@pytest.mark.parametrize("which", sorted(SCHEDULES))
def test_values_match_tf(tf1, which, step_kind):
    theirs = _values(tf1, SCHEDULES[which], step_kind)
    ours = _values(tm, SCHEDULES[which], step_kind)
    assert ours[1:] == theirs[1:]
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5)


def test_piecewise_constant_errors_are_tfs(tf1):
    def errors(api):
        out = []
        for boundaries, values, step_dtype in (
            ([5, 10], [1.0, 0.5], "int64"),
            ([5.0], [1.0, 0.5], "int64"),
            ([5], [1.0, 1], "int32"),
            ([api.constant(5, api.int64)], [1.0, 0.5], "int32"),
        ):
            with api.Graph().as_default():
                step = api.placeholder(getattr(api, step_dtype), [])
                try:
                    api.train.piecewise_constant_decay(step, boundaries, values)
                    out.append(None)
                except ValueError as e:
                    out.append(str(e))
        return out

    ours = errors(tm)
    assert ours == errors(tf1)
    assert None not in ours


def test_piecewise_constant_drives_an_optimizer_in_a_monitored_session(tf1):
    """The tf.case rate switches at its boundaries while SGD steps the global step, as TF's does."""

    def train(api):
        with api.Graph().as_default():
            step = api.train.get_or_create_global_step()
            w = api.Variable([1.0, -2.0], name="w")
            lr = api.train.piecewise_constant(step, [2, 4], [0.2, 0.1, 0.05])
            train_op = api.train.GradientDescentOptimizer(lr).minimize(api.reduce_sum(api.square(w)), global_step=step)
            rates = []
            with api.train.MonitoredSession() as sess:
                for _ in range(6):
                    rates.append(sess.run(lr))
                    sess.run(train_op)
                return rates, sess.run(w)

    (r1, w1), (r2, w2) = train(tm), train(tf1)
    np.testing.assert_allclose(r1, r2, rtol=1e-7)
    np.testing.assert_allclose(w1, w2, rtol=1e-6)
    np.testing.assert_allclose(r1, [0.2, 0.2, 0.2, 0.1, 0.1, 0.05], rtol=1e-7)


def test_two_schedules_get_unique_scopes(tf1):
    def build(api):
        g = api.Graph()
        with g.as_default():
            s = api.train.get_or_create_global_step()
            return [api.train.exponential_decay(0.1, s, 10, 0.9).name for _ in range(2)]

    assert build(tm) == build(tf1) == ["ExponentialDecay:0", "ExponentialDecay_1:0"]


def test_schedule_drives_an_optimizer(tf1):
    """The decayed rate is what the optimizer uses: 5 SGD steps on w equal TensorFlow's."""

    def train(api):
        g = api.Graph()
        with g.as_default():
            step = api.train.get_or_create_global_step()
            w = api.Variable([1.0, -2.0], name="w")
            loss = api.reduce_sum(api.square(w))
            lr = api.train.exponential_decay(0.3, step, 2, 0.5, staircase=True)
            train_op = api.train.GradientDescentOptimizer(lr).minimize(loss, global_step=step)
            with api.Session(graph=g) as sess:
                sess.run(api.global_variables_initializer())
                rates = []
                for _ in range(5):
                    rates.append(sess.run(lr))
                    sess.run(train_op)
                return rates, sess.run(w)

    (r1, w1), (r2, w2) = train(tm), train(tf1)
    np.testing.assert_allclose(r1, r2, rtol=1e-7)
    np.testing.assert_allclose(w1, w2, rtol=1e-6)
