"""tf.train optimizers against TensorFlow: same graphs (node names, op types, inputs), same numbers.

Every scenario is written once against the TF1 API and run with ``tensorflow.compat.v1`` and with
torchmeta from the same initial values and the same fed gradients (or the same model and data for
``minimize``); variables, slots and losses must agree (rtol 1e-5 for SGD and momentum, 1e-4 for
the adaptive optimizers).
"""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.train.helpers import graph_structure
from torchmeta.train import optimizers as tm_optimizers

STEPS = 5


def _train_module(api):
    """Where the optimizer classes live: ``tf.train`` in TensorFlow, torchmeta.train.optimizers here."""
    return tm.train if api is tm else api.train


# id -> (factory(train module), rtol)
OPTIMIZERS = {
    "sgd": (lambda T: T.GradientDescentOptimizer(0.1), 1e-5),
    "momentum": (lambda T: T.MomentumOptimizer(0.1, 0.9), 1e-5),
    "nesterov": (lambda T: T.MomentumOptimizer(0.05, 0.8, use_nesterov=True), 1e-5),
    "adam": (lambda T: T.AdamOptimizer(0.05), 1e-4),
    "adam-hyper": (lambda T: T.AdamOptimizer(0.02, beta1=0.5, beta2=0.9, epsilon=1e-3), 1e-4),
    "adagrad": (lambda T: T.AdagradOptimizer(0.1, initial_accumulator_value=0.3), 1e-4),
    "rmsprop": (lambda T: T.RMSPropOptimizer(0.01), 1e-4),
    "rmsprop-momentum": (lambda T: T.RMSPropOptimizer(0.01, decay=0.8, momentum=0.9, epsilon=1e-6), 1e-4),
    "rmsprop-centered": (lambda T: T.RMSPropOptimizer(0.01, momentum=0.5, epsilon=1e-6, centered=True), 1e-4),
    "adadelta": (lambda T: T.AdadeltaOptimizer(1.0, rho=0.9, epsilon=1e-6), 1e-4),
    "proximal-gd": (lambda T: T.ProximalGradientDescentOptimizer(0.1), 1e-5),
    "proximal-gd-l1l2": (
        lambda T: T.ProximalGradientDescentOptimizer(
            0.1, l1_regularization_strength=0.05, l2_regularization_strength=0.1
        ),
        1e-5,
    ),
    "proximal-adagrad": (lambda T: T.ProximalAdagradOptimizer(0.1), 1e-4),
    "proximal-adagrad-l1l2": (
        lambda T: T.ProximalAdagradOptimizer(
            0.1, initial_accumulator_value=0.2, l1_regularization_strength=0.05, l2_regularization_strength=0.1
        ),
        1e-4,
    ),
    "ftrl": (lambda T: T.FtrlOptimizer(0.1), 1e-4),
    "ftrl-l1l2": (
        lambda T: T.FtrlOptimizer(
            0.1, learning_rate_power=-0.3, l1_regularization_strength=0.01, l2_regularization_strength=0.1
        ),
        1e-4,
    ),
    "ftrl-shrinkage-beta": (
        lambda T: T.FtrlOptimizer(0.1, l2_shrinkage_regularization_strength=0.1, beta=0.5, accum_name="acc"),
        1e-4,
    ),
    "adagrad-da": (lambda T: T.AdagradDAOptimizer(0.1, T.get_or_create_global_step()), 1e-4),
    "adagrad-da-l1l2": (
        lambda T: T.AdagradDAOptimizer(
            0.1, T.get_or_create_global_step(), l1_regularization_strength=0.01, l2_regularization_strength=0.1
        ),
        1e-4,
    ),
}

_rng = np.random.default_rng(7)
W0 = _rng.standard_normal((5, 3)).astype(np.float32)
B0 = _rng.standard_normal(3).astype(np.float32)
GRAD_W = [_rng.standard_normal((5, 3)).astype(np.float32) for _ in range(STEPS)]
GRAD_B = [_rng.standard_normal(3).astype(np.float32) for _ in range(STEPS)]
# Sparse gradients for w: rows repeat within a step (the optimizers sum them first).
SPARSE_IDX = [np.array(i, np.int32) for i in ([0, 2, 0], [4, 1, 4, 4], [3], [2, 2], [0, 1, 2, 3])]
SPARSE_VALUES = [_rng.standard_normal((len(i), 3)).astype(np.float32) for i in SPARSE_IDX]


def _apply_scenario(api, make_opt, resource, sparse, dtype="float32", global_step=True):
    """apply_gradients on fed gradients for STEPS steps; returns {variable name: value}, the graph and the op."""
    g = api.Graph()
    with g.as_default():
        dt = api.as_dtype(dtype)
        w = api.Variable(W0.astype(dtype), name="w", use_resource=resource)
        b = api.Variable(B0.astype(dtype), name="b", use_resource=resource)
        step = api.train.get_or_create_global_step() if global_step else None
        gb = api.placeholder(dt, [3], name="gb")
        if sparse:
            values = api.placeholder(dt, [None, 3], name="values")
            indices = api.placeholder(api.int32, [None], name="indices")
            gw = api.IndexedSlices(values, indices, api.constant([5, 3]))
        else:
            gw = api.placeholder(dt, [5, 3], name="gw")
        opt = make_opt(_train_module(api))
        train = opt.apply_gradients([(gw, w), (gb, b)], global_step=step)
        variables = api.global_variables()
        with api.Session(graph=g) as sess:
            sess.run(api.global_variables_initializer())
            for i in range(STEPS):
                feed = {gb: GRAD_B[i].astype(dtype)}
                if sparse:
                    feed[values] = SPARSE_VALUES[i].astype(dtype)
                    feed[indices] = SPARSE_IDX[i]
                else:
                    feed[gw] = GRAD_W[i].astype(dtype)
                sess.run(train, feed)
            state = dict(zip([v.op.name for v in variables], sess.run(variables)))
        info = {
            "train_op": train.name,
            "train_type": train.type,
            "slot_names": opt.get_slot_names(),
            "slots_of_w": sorted(opt.get_slot(w, n).name for n in opt.get_slot_names()),
            "optimizer_variables": [v.name for v in opt.variables()],
            "train_op_collection": [op.name for op in g.get_collection("train_op")],
        }
    return state, info, g


def _assert_states_equal(ours, theirs, rtol):
    assert sorted(ours) == sorted(theirs)
    for name in theirs:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=rtol, atol=rtol * 1e-2, err_msg=name)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize("which", sorted(OPTIMIZERS))
def test_apply_gradients_matches_tf(tf1, which, resource, sparse):
    make, rtol = OPTIMIZERS[which]
    theirs, their_info, _ = _apply_scenario(tf1, make, resource, sparse)
    ours, our_info, _ = _apply_scenario(tm, make, resource, sparse)
    assert our_info == their_info
    _assert_states_equal(ours, theirs, rtol)
    assert ours["global_step"] == theirs["global_step"] == STEPS


@pytest.mark.parametrize(
    "which",
    [
        "sgd",
        "momentum",
        "adam",
        "adagrad",
        "rmsprop-centered",
        "adadelta",
        "ftrl",
        "adagrad-da",
    ],
)
def test_float64_variables_match_tf(tf1, which):
    """float64 variables: hyper-parameters (and Adam's float32 beta powers) are cast as TF casts them."""
    make, rtol = OPTIMIZERS[which]
    theirs, their_info, _ = _apply_scenario(tf1, make, False, False, dtype="float64")
    ours, our_info, _ = _apply_scenario(tm, make, False, False, dtype="float64")
    assert our_info == their_info
    _assert_states_equal(ours, theirs, rtol)


# Colocation is left out (torchmeta's Graph lets a variable's own ``_class`` win over an enclosing
# colocate_with), and so is TF's internal ``_has_manual_control_dependencies`` marker.
_IGNORED_ATTRS = ("_class", "_has_manual_control_dependencies")


def _structure(g):
    """Every node as (name, op type, inputs, control inputs, attrs)."""
    return [
        (
            op.name,
            op.type,
            [t.name for t in op.inputs],
            sorted(c.name for c in op.control_inputs),
            {
                k: v.SerializeToString(deterministic=True)
                for k, v in op.node_def.attr.items()
                if k not in _IGNORED_ATTRS
            },
        )
        for op in g.get_operations()
    ]


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize(
    "which",
    [
        "sgd",
        "momentum",
        "adam",
        "adagrad",
        "rmsprop",
        "rmsprop-centered",
        "adadelta",
        "proximal-gd-l1l2",
        "proximal-adagrad",
        "ftrl",
        "ftrl-shrinkage-beta",
        "adagrad-da",
    ],
)
def test_graph_matches_tf(tf1, which, resource, sparse):
    """The optimizer adds the nodes TF adds: same names, op types, inputs and control inputs."""
    make, _ = OPTIMIZERS[which]
    _, _, theirs = _apply_scenario(tf1, make, resource, sparse)
    _, _, ours = _apply_scenario(tm, make, resource, sparse)
    assert _structure(ours) == _structure(theirs)


def test_without_global_step_the_op_is_a_group_named_like_the_optimizer(tf1):
    make, _ = OPTIMIZERS["adam"]
    _, theirs, g_theirs = _apply_scenario(tf1, make, False, False, global_step=False)
    _, ours, g_ours = _apply_scenario(tm, make, False, False, global_step=False)
    assert ours == theirs
    assert ours["train_op"] == "Adam" and ours["train_type"] == "NoOp"
    assert _structure(g_ours) == _structure(g_theirs)


# ---------------------------------------------------------------------------------------------
# minimize() on a small model


_X = _rng.standard_normal((8, 4)).astype(np.float32)
_Y = _rng.standard_normal((8, 2)).astype(np.float32)
_MW = (0.5 * _rng.standard_normal((4, 2))).astype(np.float32)
_MB = (0.1 * _rng.standard_normal(2)).astype(np.float32)


def _minimize_scenario(api, make_opt, resource, steps=STEPS, **minimize_kwargs):
    """loss = mean((x @ w + b - y)**2), minimized STEPS steps; returns (losses, final variables, graph)."""
    g = api.Graph()
    with g.as_default():
        x = api.placeholder(api.float32, [None, 4], name="x")
        y = api.placeholder(api.float32, [None, 2], name="y")
        w = api.Variable(_MW, name="w", use_resource=resource)
        b = api.Variable(_MB, name="b", use_resource=resource)
        loss = api.reduce_mean(api.square(api.matmul(x, w) + b - y))
        step = api.train.get_or_create_global_step()
        train = make_opt(_train_module(api)).minimize(loss, global_step=step, **minimize_kwargs)
        with api.Session(graph=g) as sess:
            sess.run(api.global_variables_initializer())
            losses = [sess.run([loss, train], {x: _X, y: _Y})[0] for _ in range(steps)]
            losses.append(sess.run(loss, {x: _X, y: _Y}))
            final = sess.run([w, b, step])
    return losses, final, g


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize("which", sorted(OPTIMIZERS))
def test_minimize_matches_tf(tf1, which, resource):
    make, rtol = OPTIMIZERS[which]
    their_losses, theirs, g_theirs = _minimize_scenario(tf1, make, resource)
    our_losses, ours, g_ours = _minimize_scenario(tm, make, resource)
    np.testing.assert_allclose(our_losses, their_losses, rtol=rtol)
    for a, e in zip(ours, theirs):
        np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol * 1e-2)
    assert their_losses[-1] < their_losses[0]
    if not resource:
        # TF reads a resource variable afresh wherever the model uses it (``MatMul/ReadVariableOp``);
        # torchmeta's ResourceVariable converts to its one cached read, so only ref graphs are compared.
        assert _structure(g_ours) == _structure(g_theirs)


@pytest.mark.parametrize("gate", [0, 1, 2], ids=["GATE_NONE", "GATE_OP", "GATE_GRAPH"])
def test_minimize_gating_matches_tf(tf1, gate):
    make, rtol = OPTIMIZERS["momentum"]
    their_losses, _, g_theirs = _minimize_scenario(tf1, make, False, gate_gradients=gate)
    our_losses, _, g_ours = _minimize_scenario(tm, make, False, gate_gradients=gate)
    np.testing.assert_allclose(our_losses, their_losses, rtol=rtol)
    assert _structure(g_ours) == _structure(g_theirs)


def _embedding_scenario(api, make_opt, resource, **minimize_kwargs):
    """A gather from an embedding table: its gradient is IndexedSlices, so the sparse updates run."""
    g = api.Graph()
    with g.as_default():
        ids = api.placeholder(api.int32, [None], name="ids")
        target = api.placeholder(api.float32, [None, 3], name="target")
        emb = api.Variable(W0, name="emb", use_resource=resource)
        rows = api.gather(emb, ids)
        loss = api.reduce_sum(api.square(rows - target))
        train = make_opt(_train_module(api)).minimize(loss, **minimize_kwargs)
        with api.Session(graph=g) as sess:
            sess.run(api.global_variables_initializer())
            losses = []
            for i in range(STEPS):
                feed = {ids: SPARSE_IDX[i], target: SPARSE_VALUES[i]}
                losses.append(sess.run([loss, train], feed)[0])
            final = sess.run(emb)
    return losses, final, g


@pytest.mark.parametrize("which", sorted(OPTIMIZERS))
def test_minimize_through_gather_matches_tf(tf1, which):
    make, rtol = OPTIMIZERS[which]
    their_losses, theirs, g_theirs = _embedding_scenario(tf1, make, False)
    our_losses, ours, g_ours = _embedding_scenario(tm, make, False)
    np.testing.assert_allclose(our_losses, their_losses, rtol=rtol)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * 1e-2)
    assert _structure(g_ours) == _structure(g_theirs)


@pytest.mark.parametrize("gate", [0, 2], ids=["GATE_NONE", "GATE_GRAPH"])
def test_sparse_gradients_stay_sparse_through_gating(tf1, gate):
    """GATE_GRAPH gates IndexedSlices without densifying them, so the sparse update still runs."""
    make, rtol = OPTIMIZERS["momentum"]
    their_losses, theirs, g_theirs = _embedding_scenario(tf1, make, False, gate_gradients=gate)
    our_losses, ours, g_ours = _embedding_scenario(tm, make, False, gate_gradients=gate)
    np.testing.assert_allclose(our_losses, their_losses, rtol=rtol)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * 1e-2)
    assert _structure(g_ours) == _structure(g_theirs)
    assert "SparseApplyMomentum" in [op.type for op in g_ours.get_operations()]


# ---------------------------------------------------------------------------------------------
# API details


def test_slot_names_and_variables(tf1):
    def run(api):
        g = api.Graph()
        with g.as_default(), api.name_scope("hidden1"):
            w = api.Variable(np.ones([2, 2], np.float32), name="weights")
            opt = _train_module(api).AdamOptimizer(0.1)
            opt.apply_gradients([(api.ones([2, 2]), w)])
            opt2 = _train_module(api).AdamOptimizer(0.1)  # a second Adam in the same graph
            opt2.apply_gradients([(api.ones([2, 2]), w)])
            return (
                opt.get_slot_names(),
                opt.get_slot(w, "m").name,
                opt.get_slot(w, "v").name,
                opt2.get_slot(w, "m").name,
                opt.get_slot(w, "nope"),
                [v.name for v in opt.variables()],
                [v.name for v in opt2.variables()],
                [v.name for v in api.trainable_variables()],
                opt.get_name(),
            )

    ours, theirs = run(tm), run(tf1)
    assert ours == theirs
    assert ours[1:3] == ("hidden1/weights/Adam:0", "hidden1/weights/Adam_1:0")


@pytest.mark.parametrize("own_scope", [False, True], ids=["default", "own-namescope-for-non-slot-vars"])
def test_slots_are_get_variables_of_the_current_variable_scope(tf1, own_scope):
    """TF creates a slot with get_variable inside ``variable_scope(None, "<var>/<opt>")``, opened in the
    current variable scope: an optimizer built in ``variable_scope("model")`` names ``model/model/w/Adam``,
    the slot is in the variable store (a reusing scope finds it) and the scope's regularizer applies to it."""

    def run(api):
        g = api.Graph()
        with g.as_default():
            with api.variable_scope("model", regularizer=lambda v: api.reduce_sum(v) * 0.5):
                w = api.get_variable("w", [2], initializer=api.ones_initializer())
                opt = _train_module(api).AdamOptimizer(0.1, use_own_namescope_for_non_slot_vars=own_scope)
                train = opt.minimize(api.reduce_sum(w * w))
            with api.variable_scope("model", reuse=True):
                found = api.get_variable("model/w/Adam/", [2])  # TF keys the slot by its scope + "/"
            with api.Session() as sess:
                sess.run(api.global_variables_initializer())
                sess.run(train)
                values = sess.run([opt.get_slot(w, "m"), opt.get_slot(w, "v"), w])
            return (
                [v.op.name for v in api.global_variables()],
                found is opt.get_slot(w, "m"),
                [t.name for t in api.get_collection(api.GraphKeys.REGULARIZATION_LOSSES)],
                [op.name for op in g.get_operations() if op.type in ("VariableV2", "VarHandleOp")],
            ), values

    (ours, our_values), (theirs, their_values) = run(tm), run(tf1)
    assert ours == theirs
    assert "model/model/w/Adam_1" in ours[0] and ours[1]
    for a, b in zip(our_values, their_values):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def _error(api, build):
    g = api.Graph()
    with g.as_default(), pytest.raises(Exception) as info:
        build(api)
    return type(info.value).__name__, str(info.value)


@pytest.mark.parametrize(
    "case",
    ["no-gradients", "no-variables", "apply-nothing", "apply-no-grads", "int-loss", "bad-gate", "adagrad-init"],
)
def test_errors_match_tf(tf1, case):
    def build(api):
        T = _train_module(api)
        if case == "adagrad-init":
            T.AdagradOptimizer(0.1, initial_accumulator_value=0.0)
        opt = T.GradientDescentOptimizer(0.1)
        if case == "no-variables":
            opt.minimize(api.constant(1.0))
        w = api.Variable(np.ones(2, np.float32), name="w")
        if case == "no-gradients":
            opt.minimize(api.constant(1.0) * 2.0)
        if case == "apply-nothing":
            opt.apply_gradients([])
        if case == "apply-no-grads":
            opt.apply_gradients([(None, w)])
        if case == "int-loss":
            opt.minimize(api.constant(1))
        if case == "bad-gate":
            opt.minimize(api.reduce_sum(w), gate_gradients=7)

    (our_type, ours), (their_type, theirs) = _error(tm, build), _error(tf1, build)
    assert our_type == their_type
    # Variables and tensors print differently in the two frameworks; the wording up to them is TF's.
    cut = {"no-gradients": " between", "apply-no-grads": ": [", "int-loss": " for "}.get(case)
    if cut:
        ours, theirs = ours.split(cut)[0], theirs.split(cut)[0]
    assert ours == theirs


def test_update_of_a_tensor_is_not_implemented(tf1):
    def build(api):
        x = api.constant([1.0, 2.0])
        loss = api.reduce_sum(x * x)
        opt = _train_module(api).GradientDescentOptimizer(0.1)
        grads = opt.compute_gradients(loss, var_list=[x])
        assert grads[0][1] is x and grads[0][0] is not None
        opt.apply_gradients(grads)

    assert _error(tm, build)[0] == _error(tf1, build)[0] == "NotImplementedError"


def test_compute_gradients_defaults_to_trainable_variables(tf1):
    def run(api):
        g = api.Graph()
        with g.as_default():
            w = api.Variable(np.ones(2, np.float32), name="w")
            r = api.Variable(np.ones(2, np.float32), name="r", use_resource=True)
            api.Variable(np.ones(2, np.float32), name="frozen", trainable=False)
            loss = api.reduce_sum(w * r)
            pairs = _train_module(api).GradientDescentOptimizer(0.1).compute_gradients(loss)
            return [(None if gr is None else gr.op.type, v.name) for gr, v in pairs]

    assert run(tm) == run(tf1)


# ---------------------------------------------------------------------------------------------
# Checkpoints: slot and non-slot variables carry TF's names, so training continues across frameworks


def _checkpoint_phase(api, make_opt, resource, prefix, restore, steps=3):
    """Builds the model, restores ``prefix`` (or initializes), trains ``steps`` steps, saves to ``prefix``."""
    g = api.Graph()
    with g.as_default():
        x = api.placeholder(api.float32, [None, 4], name="x")
        y = api.placeholder(api.float32, [None, 2], name="y")
        w = api.Variable(_MW, name="w", use_resource=resource)
        b = api.Variable(_MB, name="b", use_resource=resource)
        loss = api.reduce_mean(api.square(api.matmul(x, w) + b - y))
        step = api.train.get_or_create_global_step()
        train = make_opt(_train_module(api)).minimize(loss, global_step=step)
        saver = api.train.Saver(format="tf") if api is tm else api.train.Saver()
        with api.Session(graph=g) as sess:
            if restore:
                saver.restore(sess, prefix)
            else:
                sess.run(api.global_variables_initializer())
            losses = [sess.run([loss, train], {x: _X, y: _Y})[0] for _ in range(steps)]
            saver.save(sess, prefix)
            names = [v.op.name for v in api.global_variables()]
            state = dict(zip(names, sess.run(api.global_variables())))
    return losses, state


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize("which", sorted(OPTIMIZERS))
def test_training_continues_across_frameworks(tf1, tmp_path, which, resource):
    """3 steps in one framework, saved, then 3 in the other equal 6 steps in TensorFlow (both ways)."""
    make, rtol = OPTIMIZERS[which]
    ref_losses, ref_state = _checkpoint_phase(tf1, make, resource, str(tmp_path / "tf" / "ckpt"), False, steps=6)
    for first, second in [(tm, tf1), (tf1, tm)]:
        prefix = str(tmp_path / f"{first.__name__}-{second.__name__}" / "ckpt")
        losses_a, _ = _checkpoint_phase(first, make, resource, prefix, False)
        losses_b, state = _checkpoint_phase(second, make, resource, prefix, True)
        np.testing.assert_allclose(losses_a + losses_b, ref_losses, rtol=rtol)
        _assert_states_equal(state, ref_state, rtol)
        assert state["global_step"] == 6


def test_exported_under_tf_train():
    for name in tm_optimizers.__all__:
        assert getattr(tm.train, name) is getattr(tm_optimizers, name)
    assert tm.train.Optimizer.GATE_OP == 1


# ---------------------------------------------------------------------------------------------
# Training graphs TensorFlow exported run here


@pytest.mark.parametrize(
    ("model", "resource"),
    [("dense", False), ("dense", True), ("gather", False), ("gather", True)],
    ids=["dense-ref", "dense-resource", "gather-ref", "gather-resource"],
)
@pytest.mark.parametrize("which", sorted(OPTIMIZERS))
def test_training_graph_exported_by_tf_runs_here(tf1, which, resource, model):
    """TF builds and exports the training graph (its own gradients and update ops); torchmeta imports and runs it."""
    make, rtol = OPTIMIZERS[which]
    g = tf1.Graph()
    with g.as_default():
        if model == "dense":
            x = tf1.placeholder(tf1.float32, [None, 4], name="x")
            y = tf1.placeholder(tf1.float32, [None, 2], name="y")
            w = tf1.Variable(_MW, name="w", use_resource=resource)
            b = tf1.Variable(_MB, name="b", use_resource=resource)
            loss = tf1.reduce_mean(tf1.square(tf1.matmul(x, w) + b - y), name="loss")
            feeds = [{"x:0": _X, "y:0": _Y}] * STEPS
        else:
            ids = tf1.placeholder(tf1.int32, [None], name="ids")
            target = tf1.placeholder(tf1.float32, [None, 3], name="target")
            emb = tf1.Variable(W0, name="emb", use_resource=resource)
            loss = tf1.reduce_sum(tf1.square(tf1.gather(emb, ids) - target), name="loss")
            feeds = [{"ids:0": SPARSE_IDX[i], "target:0": SPARSE_VALUES[i]} for i in range(STEPS)]
        train = make(tf1.train).minimize(loss, global_step=tf1.train.get_or_create_global_step())
        init = tf1.global_variables_initializer()
        meta_graph_def = tf1.train.export_meta_graph()
        variables = [v.name for v in tf1.global_variables()]
        with tf1.Session(graph=g) as sess:
            sess.run(init)
            their_losses = [sess.run([loss, train], f)[0] for f in feeds]
            theirs = sess.run(tf1.global_variables())
    with tm.Graph().as_default():
        tm.train.import_meta_graph(meta_graph_def)
        with tm.Session() as sess:
            sess.run(init.name)
            our_losses = [sess.run([loss.name, train.name], f)[0] for f in feeds]
            assert [v.name for v in tm.global_variables()] == variables
            ours = sess.run(tm.global_variables())
    np.testing.assert_allclose(our_losses, their_losses, rtol=rtol)
    assert len(ours) == len(theirs) == len(variables)
    for name, a, e in zip(variables, ours, theirs):
        np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol * 1e-2, err_msg=name)


# ---------------------------------------------------------------------------------------------
# var_list forms


def _var_list_graph(api, form):
    g = api.Graph()
    with g.as_default():
        weights = {"b": api.Variable(2.0, name="b"), "a": api.Variable(1.0, name="a"), "c": api.Variable(3.0, name="c")}
        loss = weights["a"] * weights["b"] + weights["c"]
        var_list = {
            "values": lambda: weights.values(),
            "dict": lambda: weights,
            "list": lambda: [weights["b"], weights["a"], weights["c"]],
            "nested": lambda: ([weights["b"]], (weights["a"], [weights["c"]])),
            "sorted": lambda: [weights["a"], weights["b"], weights["c"]],
            "generator": lambda: (v for v in weights.values()),
            "set": lambda: set(weights.values()),
        }[form]()
        train = api.train.MomentumOptimizer(0.1, 0.9).minimize(loss, var_list=var_list)
        with api.Session(graph=g) as sess:
            sess.run(api.global_variables_initializer())
            sess.run(train)
            values = sess.run([weights["a"], weights["b"], weights["c"]])
    return graph_structure(g), values


@pytest.mark.parametrize(
    "form, tf_form",
    [
        ("values", "values"),
        ("dict", "dict"),
        ("nested", "list"),
        # TensorFlow raises AttributeError for these; torchmeta takes any iterable (a set in name order)
        ("generator", "list"),
        ("set", "sorted"),
    ],
)
def test_minimize_accepts_any_iterable_var_list(tf1, form, tf_form):
    ours, our_values = _var_list_graph(tm, form)
    theirs, their_values = _var_list_graph(tf1, tf_form)
    assert ours == theirs
    np.testing.assert_allclose(our_values, their_values, rtol=1e-6)
