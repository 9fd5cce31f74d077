"""A step's optimizer updates of one kind run as one call (runtime/update_groups.py).

Training graphs TensorFlow builds and exports run here; the grouped call must be taken, leave variables and
slots equal to TensorFlow's, equal bit for bit to the per-variable kernels (a session without
specialization), and raise TensorFlow's errors naming the member that failed.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchmeta as tm
from tests.runtime.tf_graphs import tf_message
from torchmeta.runtime import specialize, update_groups
from torchmeta.runtime.specialize import Specialization
from torchmeta.runtime.state import VariableSlot

STEPS = 4

# id -> (factory(tf.train), rtol against TF: as tests/train/test_optimizers.py)
OPTIMIZERS = {
    "sgd": (lambda T: T.GradientDescentOptimizer(0.1), 1e-5),
    "momentum": (lambda T: T.MomentumOptimizer(0.1, 0.9), 1e-5),
    "nesterov": (lambda T: T.MomentumOptimizer(0.05, 0.8, use_nesterov=True), 1e-5),
    "adam": (lambda T: T.AdamOptimizer(0.05), 1e-4),
    "rmsprop": (lambda T: T.RMSPropOptimizer(0.01, decay=0.8, momentum=0.9, epsilon=1e-6), 1e-4),
    "rmsprop-centered": (lambda T: T.RMSPropOptimizer(0.01, momentum=0.5, epsilon=1e-6, centered=True), 1e-4),
    "adagrad": (lambda T: T.AdagradOptimizer(0.1, initial_accumulator_value=0.3), 1e-4),
}

_rng = np.random.default_rng(3)
X = [_rng.standard_normal((8, 6)).astype(np.float32) for _ in range(STEPS)]
Y = [_rng.integers(0, 3, 8).astype(np.int32) for _ in range(STEPS)]
SIZES = [(6, 5), (5, 4), (4, 3)]
INIT = [
    (_rng.standard_normal(s).astype(np.float32) * 0.5, _rng.standard_normal(s[1]).astype(np.float32) * 0.1)
    for s in SIZES
]


def _tf_training_graph(tf1, make, resource, use_locking=False):
    """A 3-layer MLP (6 variables) trained by ``make``'s optimizer, built by TensorFlow: its MetaGraphDef,
    TF's variables after STEPS steps, and the names of the variables and the train op."""
    g = tf1.Graph()
    with g.as_default():
        x = tf1.placeholder(tf1.float32, [None, 6], name="x")
        y = tf1.placeholder(tf1.int32, [None], name="y")
        h = x
        for i, (w0, b0) in enumerate(INIT):
            w = tf1.Variable(w0, name=f"w{i}", use_resource=resource)
            b = tf1.Variable(b0, name=f"b{i}", use_resource=resource)
            h = tf1.matmul(h, w) + b
            if i < len(INIT) - 1:
                h = tf1.nn.relu(h)
        loss = tf1.reduce_mean(tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h), name="loss")
        opt = make(tf1.train)
        opt._use_locking = use_locking
        train = opt.minimize(loss, global_step=tf1.train.get_or_create_global_step())
        init = tf1.global_variables_initializer()
        meta_graph_def = tf1.train.export_meta_graph()
        names = [v.name for v in tf1.global_variables()]
        with tf1.Session(graph=g) as sess:
            sess.run(init)
            for i in range(STEPS):
                sess.run(train, {x: X[i], y: Y[i]})
            theirs = sess.run(tf1.global_variables())
    return meta_graph_def, names, theirs, init.name, train.name


def _run_here(meta_graph_def, names, init, train, optimize=True):
    """The variables after STEPS steps here, and the code of the train step's module."""
    with tm.Graph().as_default():
        tm.train.import_meta_graph(meta_graph_def)
        with tm.Session(config=tm.ConfigProto(optimize=optimize)) as sess:
            sess.run(init)
            for i in range(STEPS):
                sess.run(train, {"x:0": X[i], "y:0": Y[i]})
            assert [v.name for v in tm.global_variables()] == names
            ours = sess.run(names)
            code = "\n".join(gm.code for gm in sess._compiled_modules())
    return ours, code


def _grouped_calls(code) -> int:
    return code.count("update_groups_grouped_update(")


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize("which", sorted(OPTIMIZERS))
def test_tf_training_graph_runs_its_updates_as_one_call(tf1, which, resource, monkeypatch):
    make, rtol = OPTIMIZERS[which]
    meta_graph_def, names, theirs, init, train = _tf_training_graph(tf1, make, resource)
    ours, code = _run_here(meta_graph_def, names, init, train)
    assert _grouped_calls(code) == 1  # the six updates: one call
    assert "training_ops_apply" not in code and "training_ops_resource_apply" not in code
    for name, a, e in zip(names, ours, theirs):
        np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol * 1e-2, err_msg=name)
    # The per-variable kernels give the same bits: the same specialized step with no update grouped. (Not the
    # unspecialized step: its MatMul and BiasAdd are two calls where specialization makes one addmm, and MKL's
    # AVX2 code rounds the two differently.)
    monkeypatch.setattr(specialize, "find_groups", lambda *args: [])
    per_variable, code = _run_here(meta_graph_def, names, init, train)
    assert _grouped_calls(code) == 0
    for name, a, e in zip(names, ours, per_variable):
        assert a.dtype == e.dtype and np.array_equal(a, e), name


def test_use_locking_updates_are_grouped_under_all_their_locks(tf1):
    make, rtol = OPTIMIZERS["momentum"]
    meta_graph_def, names, theirs, init, train = _tf_training_graph(tf1, make, False, use_locking=True)
    ours, code = _run_here(meta_graph_def, names, init, train)
    assert _grouped_calls(code) == 1
    for name, a, e in zip(names, ours, theirs):
        np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol * 1e-2, err_msg=name)


def _error(api, build, run):
    g = api.Graph()
    with g.as_default():
        fetch, feed, init = build(api)
        with api.Session(graph=g) as sess, pytest.raises(api.errors.OpError) as info:
            sess.run(init)
            run(sess, fetch, feed)
    e = info.value
    return type(e).__name__, e.op.name if e.op is not None else None, tf_message(e)


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_an_uninitialized_variable_is_named_by_its_own_update(tf1, resource):
    """TF's FailedPreconditionError, naming the update whose slot was not initialized (the second of three
    updates, so neither the first nor the last member of the group)."""

    def build(api):
        vs = [api.Variable(np.ones(3, np.float32) * i, name=f"v{i}", use_resource=resource) for i in range(3)]
        loss = api.add_n([api.reduce_sum(v * v) for v in vs])
        train = api.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
        others = [v for v in api.global_variables() if v.op.name != "v1/Momentum"]
        return train, {}, api.variables_initializer(others)

    def run(sess, fetch, feed):
        sess.run(fetch, feed)

    ours, theirs = _error(tm, build, run), _error(tf1, build, run)
    assert ours[1] == theirs[1] == f"Momentum/update_v1/{'Resource' if resource else ''}ApplyMomentum"
    if not resource:  # (a resource update's TF error is InternalError "Invalid variable reference.", not ours)
        assert ours == theirs


def test_a_gradient_of_the_wrong_shape_is_named_by_its_own_update(tf1):
    """The fed gradient of the second of three variables has the wrong shape: TF's InvalidArgumentError, its
    wording, naming that variable's update (a member in the middle of the group)."""

    def build(api):
        vs = [api.Variable(np.ones((2, 3), np.float32), name=f"v{i}") for i in range(3)]
        grads = [api.placeholder(api.float32, None, name=f"g{i}") for i in range(3)]
        train = api.train.GradientDescentOptimizer(0.1).apply_gradients(list(zip(grads, vs)))
        feed = {grads[0]: np.ones((2, 3), np.float32), grads[2]: np.ones((2, 3), np.float32)}
        feed[grads[1]] = np.ones((3, 2), np.float32)
        return train, feed, api.global_variables_initializer()

    def run(sess, fetch, feed):
        sess.run(fetch, feed)

    ours, theirs = _error(tm, build, run), _error(tf1, build, run)
    assert ours == theirs
    assert ours[1] == "GradientDescent/update_v1/ApplyGradientDescent"


def test_a_read_between_two_updates_closes_the_group(tf1):
    """A read of the first update's variable that must run after it (a control edge) and before the second
    update (whose gradient it computes): the updates stay apart, and the read sees the first one's result."""

    def build(api):
        a = api.Variable(np.array([1.0, 2.0], np.float32), name="a")
        b = api.Variable(np.array([3.0, 4.0], np.float32), name="b")
        opt = api.train.GradientDescentOptimizer(0.5)
        update_a = opt.apply_gradients([(api.constant([1.0, 1.0]), a)])
        with api.control_dependencies([update_a]):
            seen = api.identity(a.read_value() if hasattr(a, "read_value") else a.value())
        update_b = opt.apply_gradients([(seen, b)])
        return api.group(update_a, update_b), a, b

    results = {}
    for api in (tm, tf1):
        g = api.Graph()
        with g.as_default():
            train, a, b = build(api)
            with api.Session(graph=g) as sess:
                sess.run(api.global_variables_initializer())
                sess.run(train)
                results[api] = sess.run([a, b])
                if api is tm:
                    code = "\n".join(gm.code for gm in sess._compiled_modules())
    assert _grouped_calls(code) == 0
    for ours, theirs in zip(results[tm], results[tf1]):
        np.testing.assert_array_equal(ours, theirs)


def test_find_groups_closes_at_a_read_of_a_member_variable():
    """Between two updates sits a read of the first one's variable (no edge orders it): no group, since the
    read would move across the first update."""
    g = tm.Graph()
    with g.as_default():
        a = tm.Variable(np.ones(2, np.float32), name="a")
        b = tm.Variable(np.ones(2, np.float32), name="b")
        lr = tm.constant(0.1)
        update_a = tm.raw_ops.ApplyGradientDescent(var=a._ref(), alpha=lr, delta=tm.constant([1.0, 1.0]))
        with tm.control_dependencies([update_a]):
            read = tm.identity(a._ref())
        with tm.control_dependencies([read]):
            update_b = tm.raw_ops.ApplyGradientDescent(var=b._ref(), alpha=lr, delta=tm.constant([1.0, 1.0]))
    items = [a.op, b.op, lr.op, update_a.op.inputs[2].op, update_a.op, read.op, update_b.op.inputs[2].op, update_b.op]
    spec = Specialization()
    assert update_groups.find_groups(items, spec, set(items), set()) == []
    without_read = [it for it in items if it is not read.op]
    assert update_groups.find_groups(without_read, spec, set(without_read), set()) == [[update_a.op, update_b.op]]


def test_members_reading_different_hyper_parameter_values_update_with_their_own():
    """A resource update reads its hyper-parameters itself; two reads of one variable are one tensor unless
    it was assigned in between. The group's call runs each run of members sharing the tensors on its own:
    every member updates with the values it read."""
    g = tm.Graph()
    with g.as_default():
        a = tm.Variable(np.ones(2, np.float32), name="a", use_resource=True)
        b = tm.Variable(np.ones(2, np.float32), name="b", use_resource=True)
        grads = [(tm.constant([1.0, 2.0]), a), (tm.constant([1.0, 2.0]), b)]
        tm.train.GradientDescentOptimizer(0.5).apply_gradients(grads)
    updates = [op for op in g.get_operations() if op.type == "ResourceApplyGradientDescent"]
    kernel, inputs, refs, kwargs = update_groups.group_call(updates)
    assert len(inputs) == 6 and not refs  # (alpha, var, delta) per member
    slots = [VariableSlot(name, torch.device("cpu"), is_resource=True) for name in ("a", "b")]
    for slot in slots:
        slot.value = torch.ones(2)
    delta = torch.tensor([1.0, 2.0])
    shared = torch.tensor(0.5)
    kernel(shared, slots[0], delta, shared, slots[1], delta, **kwargs)  # one run
    np.testing.assert_array_equal(slots[0].value.numpy(), [0.5, 0.0])
    np.testing.assert_array_equal(slots[1].value.numpy(), [0.5, 0.0])
    kernel(torch.tensor(0.5), slots[0], delta, torch.tensor(0.25), slots[1], delta, **kwargs)  # two runs
    np.testing.assert_array_equal(slots[0].value.numpy(), [0.0, -1.0])
    np.testing.assert_array_equal(slots[1].value.numpy(), [0.25, -0.5])
