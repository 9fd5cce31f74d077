"""GradientDescent's update of a large weight by its gradient's product runs as one in-place GEMM,
``var.addmm_(X^T, dY, alpha=-lr)`` (runtime/specialize.py ``_fold_gradient_descent_products``,
training_ops.gradient_descent_of_product): the values after several steps must be TensorFlow's (to the
rounding of the update: the GEMM rounds ``var - lr * grad`` once where TF rounds the product and lr * grad
too), the layer's input gradient dY @ W^T must still read the weight before its update, and a gradient that is
fetched or a variable read after the update keep their values."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import torchmeta as tm
from torchmeta.ops import training_ops

STEPS = 3
SIZES = ((300, 256), (256, 300), (300, 5))  # two weights over the fold's 65536 elements, one under
BATCH = 16
LR = 0.5  # large: an update applied before the input gradient reads its weight would show


def _data():
    rng = np.random.default_rng(5)
    x = [rng.standard_normal((BATCH, SIZES[0][0])).astype(np.float32) for _ in range(STEPS)]
    y = [rng.integers(0, SIZES[-1][1], BATCH).astype(np.int32) for _ in range(STEPS)]
    init = [
        (
            (rng.standard_normal(s) / np.sqrt(s[0])).astype(np.float32),
            rng.standard_normal(s[1]).astype(np.float32) * 0.1,
        )
        for s in SIZES
    ]
    return x, y, init


def _mlp(tf, use_resource, gate, fetch_gradient=False, read_after=False, use_locking=False):
    """STEPS GradientDescent steps of relu MLP: each step's loss (and the fetched gradient of the first weight,
    or the sum of the second weight read after the update), then the variables, and the folds in the modules."""
    xs, ys, init = _data()
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, SIZES[0][0]], name="x")
        labels = tf.placeholder(tf.int32, [None], name="labels")
        h, weights = x, []
        for i, (w0, b0) in enumerate(init):
            w = tf.Variable(w0, name=f"w{i}", use_resource=use_resource)
            b = tf.Variable(b0, name=f"b{i}", use_resource=use_resource)
            weights.append(w)
            h = tf.matmul(h, w) + b
            if i < len(init) - 1:
                h = tf.nn.relu(h)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=h))
        opt = tf.train.GradientDescentOptimizer(LR, use_locking=use_locking)
        grads = opt.compute_gradients(loss, gate_gradients=gate)
        train = opt.apply_gradients(grads)
        fetches = [loss]
        if fetch_gradient:
            fetches.append(grads[0][0])
        if read_after:
            with tf.control_dependencies([train]):
                fetches.append(tf.reduce_sum(tf.identity(weights[1])))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            out = []
            for x_value, y_value in zip(xs, ys):
                out += sess.run([*fetches, train], {x: x_value, labels: y_value})[:-1]
            out += sess.run(tf.global_variables())
            modules = sess._compiled_modules() if hasattr(sess, "_compiled_modules") else []
    return out, _folds(modules)


def _folds(modules) -> list:
    """The nodes of ``modules`` calling the folded update (itself or its use_locking wrapper)."""
    fold = training_ops.gradient_descent_of_product
    return [n for m in modules for n in m.graph.nodes if getattr(n.target, "__wrapped__", n.target) is fold]


def _assert_close(ours, theirs):
    assert len(ours) == len(theirs)
    for i, (a, e) in enumerate(zip(ours, theirs)):
        assert np.shape(a) == np.shape(e), i
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6, err_msg=f"value {i}")


@pytest.mark.parametrize("use_locking", [False, True], ids=["", "locking"])
@pytest.mark.parametrize("use_resource", [False, True], ids=["ref", "resource"])
def test_folded_steps_match_tf(tf1, use_resource, use_locking):
    """GATE_OP (the optimizers' default): the two large weights' updates are folded, the third (and the biases)
    stay in the update group; the second weight is read by the first layer's input gradient before its update."""
    gate = tf1.train.Optimizer.GATE_OP
    theirs, _ = _mlp(tf1, use_resource, gate, use_locking=use_locking)
    ours, folds = _mlp(tm, use_resource, gate, use_locking=use_locking)
    _assert_close(ours, theirs)
    assert len(folds) == 2
    assert [n.kwargs["in_place"] for n in folds] == [not use_resource] * 2
    assert all(n.kwargs["transpose_a"] and not n.kwargs["transpose_b"] for n in folds)


def test_folded_resource_steps_without_gates_match_tf(tf1):
    """GATE_NONE: nothing orders the update after the input gradient's read of the weight; a resource
    variable's read keeps its value (copy-on-write), as in TF, wherever the update runs."""
    gate = tf1.train.Optimizer.GATE_NONE
    theirs, _ = _mlp(tf1, True, gate)
    ours, folds = _mlp(tm, True, gate)
    _assert_close(ours, theirs)
    assert len(folds) == 2


@pytest.mark.parametrize("use_resource", [False, True], ids=["ref", "resource"])
def test_weight_read_after_its_update_sees_the_new_value(tf1, use_resource):
    gate = tf1.train.Optimizer.GATE_OP
    theirs, _ = _mlp(tf1, use_resource, gate, read_after=True)
    ours, folds = _mlp(tm, use_resource, gate, read_after=True)
    _assert_close(ours, theirs)
    assert len(folds) == 2


def test_fetched_gradient_is_not_folded(tf1):
    """The first weight's gradient is fetched: it must exist, so only the second weight's update is folded."""
    gate = tf1.train.Optimizer.GATE_OP
    theirs, _ = _mlp(tf1, False, gate, fetch_gradient=True)
    ours, folds = _mlp(tm, False, gate, fetch_gradient=True)
    _assert_close(ours, theirs)
    assert len(folds) == 1


def test_folded_update_is_the_unfused_one_to_rounding():
    """The kernel alone, against the product and TF's update arithmetic in float64; a variable whose shape no
    longer matches (assigned with validate_shape=False) runs the ops as they are, with their error."""
    import torch

    from torchmeta.runtime.state import VariableSlot

    rng = np.random.default_rng(2)
    x = torch.from_numpy(rng.standard_normal((16, 300)).astype(np.float32))
    dy = torch.from_numpy(rng.standard_normal((16, 256)).astype(np.float32))
    w0 = torch.from_numpy(rng.standard_normal((300, 256)).astype(np.float32))
    slot = VariableSlot("w", torch.device("cpu"))
    slot.value = w0.clone()
    alpha = torch.tensor(0.25)
    out = training_ops.gradient_descent_of_product(
        slot, alpha, x, dy, transpose_a=True, transpose_b=False, in_place=True
    )
    assert out is slot
    want = w0.double() - 0.25 * (x.double().t() @ dy.double())
    np.testing.assert_allclose(slot.value.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)
    slot.value = torch.zeros(3, 4)
    with pytest.raises(tm.errors.InvalidArgumentError):
        training_ops.gradient_descent_of_product(slot, alpha, x, dy, transpose_a=True, transpose_b=False, in_place=True)


@pytest.mark.parametrize("use_resource", [False, True], ids=["ref", "resource"])
def test_product_of_a_variable_view_is_not_folded(tf1, use_resource):
    """The first layer's input is a trained variable's value, reshaped (a view of its storage): its update may
    run before the weight's, so the weight's product stays where TF's gates put it (unfolded); the second layer's
    update is folded. Values: TF's."""
    rng = np.random.default_rng(7)
    v0 = rng.standard_normal(BATCH * 300).astype(np.float32)
    w0 = (rng.standard_normal((300, 256)) / np.sqrt(300)).astype(np.float32)
    u0 = (rng.standard_normal((256, 300)) / np.sqrt(256)).astype(np.float32)

    def steps(tf):
        with tf.Graph().as_default():
            v = tf.Variable(v0, name="v", use_resource=use_resource)
            w = tf.Variable(w0, name="w", use_resource=use_resource)
            u = tf.Variable(u0, name="u", use_resource=use_resource)
            h = tf.nn.relu(tf.matmul(tf.reshape(v, [BATCH, 300]), w))
            loss = tf.reduce_mean(tf.square(tf.matmul(h, u)))
            train = tf.train.GradientDescentOptimizer(LR).minimize(loss)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                out = [sess.run([loss, train])[0] for _ in range(STEPS)]
                out += sess.run([v, w, u])
                modules = sess._compiled_modules() if hasattr(sess, "_compiled_modules") else []
        return out, _folds(modules)

    theirs, _ = steps(tf1)
    ours, folds = steps(tm)
    _assert_close(ours, theirs)
    assert [n.args[2].name for n in folds] == ["Relu"]  # u's update (its product reads h), not w's


def test_folded_steps_at_two_threads_match_tf(tf1, monkeypatch):
    """bench/run.py's MNIST MLP shapes at two threads: the folded products are split over the threads
    (matmul_ops.add_product_) where TF's would run on several; the values are TF's."""
    import torch

    from torchmeta.ops import threads

    sizes, batch = (784, 1024, 1024, 10), 64
    rng = np.random.default_rng(9)
    xs = [rng.standard_normal((batch, sizes[0])).astype(np.float32) for _ in range(2)]
    ys = [rng.integers(0, sizes[-1], batch).astype(np.int32) for _ in range(2)]
    init = [(rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32) for a, b in itertools.pairwise(sizes)]
    splits = []
    run_parallel = threads.run_parallel
    monkeypatch.setattr(threads, "run_parallel", lambda calls: splits.append(len(calls)) or run_parallel(calls))

    def steps(tf):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [None, sizes[0]])
            labels = tf.placeholder(tf.int32, [None])
            h = x
            for i, w0 in enumerate(init):
                h = tf.matmul(h, tf.Variable(w0)) + tf.Variable(np.zeros(w0.shape[1], np.float32))
                h = tf.nn.relu(h) if i < len(init) - 1 else h
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=h))
            train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                out = [sess.run([loss, train], {x: a, labels: b})[0] for a, b in zip(xs, ys)]
                out += sess.run(tf.global_variables())
                modules = sess._compiled_modules() if hasattr(sess, "_compiled_modules") else []
        return out, _folds(modules)

    theirs, _ = steps(tf1)
    saved = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        ours, folds = steps(tm)
    finally:
        torch.set_num_threads(saved)
    _assert_close(ours, theirs)
    assert len(folds) == 2
    if threads.switch.load() is not None and not threads.product_on_one_thread(sizes[0], batch, sizes[1], 4):
        assert splits.count(2) >= 2 * len(xs)  # each step's two folded products (and oneDNN-less splits, if any)
