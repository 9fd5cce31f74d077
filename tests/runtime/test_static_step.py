"""Session.make_static_step (runtime/static_step.py): a training step from static buffers, captured into a
CUDA graph on a GPU. The CPU tests check everything but the capture itself: the same values as Session.run
step after step, variables and optimizer slots updated in place (what a CUDA graph replays on), placement on
the session's device, and the refusals. The CUDA tests skip cleanly without a GPU."""

import numpy as np
import pytest
import torch

import torchmeta as tm
from torchmeta import errors

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _model(optimizer="adam", dropout=False):
    """A small MLP classifier trained with Adam or Momentum, seeded (the same weights in every session)."""
    g = tm.Graph()
    with g.as_default():
        tm.set_random_seed(3)
        x = tm.placeholder(tm.float32, [8, 5], name="x")
        labels = tm.placeholder(tm.int64, [8], name="labels")
        h = tm.layers.dense(x, 16, activation=tm.nn.relu, name="hidden")
        if dropout:
            h = tm.nn.dropout(h, rate=0.5)
        logits = tm.layers.dense(h, 3, name="logits")
        loss = tm.reduce_mean(tm.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        step = tm.train.get_or_create_global_step()
        opt = tm.train.AdamOptimizer(0.05) if optimizer == "adam" else tm.train.MomentumOptimizer(0.05, 0.9)
        train = opt.minimize(loss, global_step=step)
        init = tm.global_variables_initializer()
    return g, x, labels, loss, train, init


def _feeds(seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((8, 5)).astype(np.float32), rng.integers(0, 3, 8)


@pytest.mark.parametrize("optimizer", ["adam", "momentum"])
def test_static_step_matches_session_run_and_updates_variables_in_place(optimizer):
    g, x, labels, loss, train, init = _model(optimizer)
    with g.as_default():
        ref = tm.Session(graph=g)
        ref.run(init)
        sess = tm.Session(graph=g)
        sess.run(init)
        xv, yv = _feeds(0)
        step = sess.make_static_step([loss, train], {x: xv, labels: yv})
        assert not step.captured  # no CUDA graph on the CPU
        before = {name: (v, v.data_ptr()) for name, v in sess.variable_values().items()}
        assert any("Adam" in n or "Momentum" in n for n in before)  # the optimizer's slots are there
        for i in range(4):
            xv, yv = _feeds(i)
            (ours, _), (theirs, _) = step({x: xv, labels: yv}), ref.run([loss, train], {x: xv, labels: yv})
            assert np.asarray(ours).dtype == np.asarray(theirs).dtype
            np.testing.assert_allclose(ours, theirs, rtol=1e-6)
        after = sess.variable_values()
        expected = ref.variable_values()
        for name, (tensor, ptr) in before.items():
            assert after[name] is tensor and after[name].data_ptr() == ptr, f"{name} was replaced"
            torch.testing.assert_close(after[name], expected[name], rtol=1e-6, atol=1e-7)
        assert int(sess.run(tm.train.get_global_step())) == 4
        out = step.device_outputs()
        assert isinstance(out[0], torch.Tensor) and out[0].device.type == "cpu"


def test_static_step_checks_its_feeds():
    g, x, labels, loss, train, init = _model()
    with g.as_default():
        sess = tm.Session(graph=g)
        sess.run(init)
        xv, yv = _feeds(0)
        step = sess.make_static_step(loss, {x: xv, labels: yv})
        with pytest.raises(errors.InvalidArgumentError, match="same keys"):
            step({x: xv})
        with pytest.raises(errors.InvalidArgumentError, match="Cannot feed value of shape"):
            step({x: xv[:4], labels: yv})
        with pytest.raises(errors.InvalidArgumentError, match="Cannot feed value of dtype"):
            step({x: xv, labels: yv.astype(np.float32)})


def test_cuda_graph_needs_a_cuda_session():
    g, x, labels, loss, train, init = _model()
    with g.as_default():
        sess = tm.Session(graph=g)
        sess.run(init)
        xv, yv = _feeds(0)
        with pytest.raises(errors.InvalidArgumentError, match="CUDA graphs need a session on a CUDA device"):
            sess.make_static_step([loss, train], {x: xv, labels: yv}, cuda_graph=True)


def test_capture_refuses_random_ops_by_name():
    """TF's Philox counters advance on the host: a replayed graph would draw the same numbers every step."""
    g, x, labels, loss, train, init = _model(dropout=True)
    with g.as_default():
        sess = tm.Session(graph=g)
        sess.run(init)
        xv, yv = _feeds(0)
        with pytest.raises(errors.UnimplementedError, match=r"cannot be captured.*dropout.*random op"):
            sess.make_static_step([loss, train], {x: xv, labels: yv}, cuda_graph=True)


def test_variables_and_optimizer_slots_are_placed_on_the_session_device():
    """Placement by inspection (no GPU needed): every variable, optimizer slot, beta power and the global step
    of a session on cuda is placed on cuda; a variable pinned to the CPU stays there."""
    g, x, labels, loss, train, init = _model()
    with g.as_default():
        with tm.device("/cpu:0"):
            pinned = tm.Variable(1.0, name="pinned")
        sess = tm.Session(graph=g, config=tm.ConfigProto(device="cuda"))
        variables = [op for op in g.get_operations() if op.type in ("VariableV2", "VarHandleOp")]
        names = {op.name for op in variables}
        assert {"hidden/kernel/Adam", "hidden/kernel/Adam_1", "beta1_power", "global_step"} <= names
        for op in variables:
            expected = "cpu" if op is pinned.op else "cuda"
            assert sess._op_device(op).type == expected, op.name
        apply_ops = [op for op in g.get_operations() if op.type in ("ApplyAdam", "ResourceApplyAdam")]
        assert apply_ops and all(sess._op_device(op).type == "cuda" for op in apply_ops)


@CUDA
@pytest.mark.parametrize("optimizer", ["adam", "momentum"])
def test_cuda_graph_training_step_matches_eager_steps(optimizer):
    g, x, labels, loss, train, init = _model(optimizer)
    with g.as_default():
        config = tm.ConfigProto(device="cuda")
        ref = tm.Session(graph=g, config=config)
        ref.run(init)
        sess = tm.Session(graph=g, config=config)
        sess.run(init)
        xv, yv = _feeds(0)
        step = sess.make_static_step([loss, train], {x: xv, labels: yv})
        assert step.captured
        for name, value in sess.variable_values().items():
            assert value.device.type == "cuda", name
        for i in range(5):
            xv, yv = _feeds(i)
            ours, theirs = step({x: xv, labels: yv})[0], ref.run(loss, {x: xv, labels: yv})
            ref.run(train, {x: xv, labels: yv})
            np.testing.assert_allclose(ours, theirs, rtol=1e-5)
        expected = ref.variable_values()
        for name, value in sess.variable_values().items():
            assert value.device.type == "cuda", name
            torch.testing.assert_close(value, expected[name], rtol=1e-5, atol=1e-6)
        assert int(sess.run(tm.train.get_global_step())) == 5  # the warm-up runs were undone


@CUDA
def test_cuda_graph_capture_refuses_a_replaced_variable():
    g = tm.Graph()
    with g.as_default():
        v = tm.Variable(tm.zeros([4]), name="v")
        x = tm.placeholder(tm.float32, [4], name="x")
        assign = tm.assign(v, x * 2.0, validate_shape=False)
        sess = tm.Session(graph=g, config=tm.ConfigProto(device="cuda"))
        sess.run(tm.global_variables_initializer())
        try:
            step = sess.make_static_step(assign, {x: np.ones(4, np.float32)})
        except errors.UnimplementedError as e:
            assert "v" in str(e)
        else:  # assigned in place: replays must then track the feed
            step({x: np.full(4, 3.0, np.float32)})
            np.testing.assert_allclose(sess.run(v), np.full(4, 6.0, np.float32))
