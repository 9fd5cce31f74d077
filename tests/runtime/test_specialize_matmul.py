"""The AddN of MatMuls a shared weight's gradient is in an unrolled recurrence (one x_t^T @ dy_t per step)
runs as one call accumulating the products (runtime/specialize.py ``sum_of_matmuls``): the gradient
must equal TensorFlow's, gated (an optimizer's tf.tuple) or not, and the fused call must be in the module."""

import numpy as np
import pytest

import torchmeta as tm
from torchmeta.runtime import specialize, specialize_common

STEPS, BATCH, FEATURES, HIDDEN = 6, 4, 5, 3


def _unrolled(tf, gated, xs_value):
    xs = [tf.placeholder(tf.float32, [BATCH, FEATURES], name=f"x{t}") for t in range(STEPS)]
    w = tf.Variable(np.linspace(-1, 1, FEATURES * HIDDEN, dtype=np.float32).reshape(FEATURES, HIDDEN), name="w")
    u = tf.Variable(np.linspace(1, -1, HIDDEN * HIDDEN, dtype=np.float32).reshape(HIDDEN, HIDDEN), name="u")
    h = tf.zeros([BATCH, HIDDEN])
    for x in xs:
        h = tf.tanh(tf.matmul(x, w) + tf.matmul(h, u))
    loss = tf.reduce_sum(h * h)
    feed = dict(zip(xs, xs_value))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        if gated:
            sess.run(tf.train.GradientDescentOptimizer(0.1).minimize(loss), feed)
            out = sess.run([w, u])
        else:
            out = sess.run(tf.gradients(loss, [w, u]), feed)
        modules = sess._compiled_modules() if hasattr(sess, "_compiled_modules") else None
    return out, modules


@pytest.mark.parametrize("gated", [False, True], ids=["gradients", "minimize"])
def test_weight_gradient_of_an_unrolled_recurrence_matches_tf(tf1, gated):
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((BATCH, FEATURES)).astype(np.float32) for _ in range(STEPS)]
    theirs, _ = _unrolled(tf1, gated, xs)
    ours, modules = _unrolled(tm, gated, xs)
    for a, e in zip(ours, theirs):
        assert a.shape == e.shape and a.dtype == e.dtype
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5)
    targets = [n.target for m in modules for n in m.graph.nodes if n.op == "call_function"]
    # w's gradient sums STEPS MatMuls; u's sums STEPS - 1 (the first step's h is a constant).
    assert targets.count(specialize.sum_of_matmuls) == 2


@pytest.mark.parametrize("transpose_a", [False, True], ids=["a", "a_t"])
@pytest.mark.parametrize("transpose_b", [False, True], ids=["b", "b_t"])
def test_sum_of_matmuls_is_the_sum_of_the_products(transpose_a, transpose_b):
    """Every combination of transposed operands: the sum of the products."""
    import torch

    rng = np.random.default_rng(1)
    pairs = []
    for _ in range(4):
        a = rng.standard_normal((FEATURES, BATCH) if transpose_a else (BATCH, FEATURES)).astype(np.float32)
        b = rng.standard_normal((HIDDEN, FEATURES) if transpose_b else (FEATURES, HIDDEN)).astype(np.float32)
        pairs += [torch.from_numpy(a), torch.from_numpy(b)]
    got = specialize.sum_of_matmuls(*pairs, transpose_a=transpose_a, transpose_b=transpose_b)
    want = sum(
        (a.t() if transpose_a else a).double() @ (b.t() if transpose_b else b).double()
        for a, b in zip(pairs[0::2], pairs[1::2])
    )
    assert got.shape == (BATCH, HIDDEN) and got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)


def _lstm_classifier_steps(tf, cell_kind, feeds):
    """A static_rnn LSTM classifier (concat([x, h]) @ W per step), Adam: the loss of each step, then every
    variable, and the session."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        x = tf.placeholder(tf.float32, [None, STEPS, FEATURES], name="x")
        labels = tf.placeholder(tf.int64, [None], name="labels")
        cell = tf.nn.rnn_cell.BasicLSTMCell(HIDDEN) if cell_kind == "basic" else tf.nn.rnn_cell.LSTMCell(HIDDEN)
        outputs, _ = tf.nn.static_rnn(cell, tf.unstack(x, STEPS, 1), dtype=tf.float32)
        logits = tf.layers.dense(outputs[-1], 4, name="logits")
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        train = tf.train.AdamOptimizer(0.05).minimize(loss)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
        losses = [sess.run([train, loss], {x: xv, labels: yv})[1] for xv, yv in feeds]
        values = {v.op.name: sess.run(v) for v in tf.global_variables()}
    return losses, values, sess


@pytest.mark.parametrize("cell_kind", ["basic", "lstm"])
def test_the_steps_of_an_unrolled_lstm_share_one_layout_of_the_recurrent_weight(tf1, cell_kind):
    """The gradient of concat([x, h]) @ W for h is a product by W's h rows in every step: one node of the module
    lays those rows out (once per value of W: Adam updates it in place between runs, bumping its version) and
    every step's product reads it, which is also what makes the layout once per compiled step
    (lowering._share_kept_columns); three steps train to TF's numbers."""
    rng = np.random.default_rng(0)
    feeds = [
        (rng.standard_normal((BATCH, STEPS, FEATURES)).astype(np.float32), rng.integers(0, 4, BATCH).astype(np.int64))
        for _ in range(3)
    ]
    want_losses, want_values, _ = _lstm_classifier_steps(tf1, cell_kind, feeds)
    losses, values, sess = _lstm_classifier_steps(tm, cell_kind, feeds)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5)
    assert sorted(values) == sorted(want_values)
    for name, value in want_values.items():
        np.testing.assert_allclose(values[name], value, rtol=1e-5, atol=1e-5, err_msg=name)
    nodes = [n for m in sess._compiled_modules() for n in m.graph.nodes if n.op == "call_function"]
    kernels = {n.target for n in nodes if getattr(n.target, "__name__", "") == "invariant_kept_columns"}
    assert len(kernels) == 1  # one shared kernel (one cache) for the STEPS - 1 products
    (kept,) = [n for n in nodes if n.target in kernels]  # called once, each product reading its result
    products = [n for n in nodes if n.target is specialize.sliced_matmul_kept]
    assert len(products) == STEPS - 1 and all(n.args[1] is kept for n in products)
    assert not [n for n in nodes if getattr(n.target, "__name__", "") == "sliced_matmul_invariant_b"]


def _products_of_one_ref(writer_between):
    """A graph calling one invariant_sliced_matmul kernel twice on reads of the same ref variable (its slot, a
    placeholder here), with or without another user of the slot (an assignment) between the two calls."""
    import torch.fx as fx

    from torchmeta.runtime import lowering
    from torchmeta.runtime.state import read_ref

    kernel = specialize.invariant_sliced_matmul()
    kwargs = {"rows": None, "cols": slice(1, 3), "transpose_a": False, "transpose_b": True}
    graph = fx.Graph()
    a, slot = graph.placeholder("a"), graph.placeholder("slot")
    first = graph.call_function(kernel, (a, graph.call_function(read_ref, (slot,))), dict(kwargs))
    if writer_between:
        graph.call_function(print, (slot,))
    second = graph.call_function(kernel, (a, graph.call_function(read_ref, (slot,))), dict(kwargs))
    graph.output((first, second))
    lowering._share_kept_columns(graph)
    return [n.target for n in graph.nodes if n.op == "call_function"]


def test_reads_of_a_ref_variable_share_one_layout_only_where_nothing_else_uses_the_variable_between():
    """Where the two products read the same ref variable with nothing between them that could assign it, one node
    lays its columns out for both; with an assignment (any other user of the slot) between them, each call lays
    out (or finds in its cache) the value it reads."""
    shared = _products_of_one_ref(writer_between=False)
    assert shared.count(specialize.sliced_matmul_kept) == 2
    assert [getattr(t, "__name__", "") for t in shared].count("invariant_kept_columns") == 1
    separate = _products_of_one_ref(writer_between=True)
    assert specialize.sliced_matmul_kept not in separate
    assert [getattr(t, "__name__", "") for t in separate].count("sliced_matmul_invariant_b") == 2


# ---------------------------------------------------------------------------------------------
# An MLP's hidden layers relu(x @ W + b): each ReluGrad and the bias gradient summing it (the AddV2's gradient,
# Sum + Reshape) run as one call (specialize.relu_grad_bias_sum), the ReluGrad in place where its incoming
# gradient is private; the values are the unfused ops', bit for bit, and TF's.


def _mlp_steps(tf, steps, fetch_incoming=False):
    """bench/run.py's MNIST MLP, small (widths 40 and 24: torch.sum adds their columns in both of its orders):
    GradientDescent steps; the losses (and, with ``fetch_incoming``, each ReluGrad's incoming gradient), then
    the variables, and the modules."""
    with tf.Graph().as_default():
        rng = np.random.default_rng(3)
        x_value = rng.standard_normal((20, 12)).astype(np.float32)
        labels_value = rng.integers(0, 5, 20).astype(np.int32)
        x = tf.placeholder(tf.float32, [None, 12], name="x")
        labels = tf.placeholder(tf.int32, [None], name="labels")
        h = x
        for i, (n_in, n_out) in enumerate(((12, 40), (40, 24), (24, 5))):
            w = tf.Variable(rng.standard_normal((n_in, n_out)).astype(np.float32) * 0.4, name=f"w{i}")
            b = tf.Variable(rng.standard_normal(n_out).astype(np.float32) * 0.2, name=f"b{i}")
            h = tf.matmul(h, w) + b
            if i < 2:
                h = tf.nn.relu(h)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=h))
        train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        fetches = [loss]
        if fetch_incoming:
            fetches += [op.inputs[0] for op in tf.get_default_graph().get_operations() if op.type == "ReluGrad"]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            feed = {x: x_value, labels: labels_value}
            out = [v for _ in range(steps) for v in sess.run([*fetches, train], feed)[:-1]]
            out += sess.run(tf.global_variables())
            modules = sess._compiled_modules() if hasattr(sess, "_compiled_modules") else None
        return out, modules


@pytest.mark.parametrize("fetch_incoming", [False, True], ids=["private", "fetched"])
def test_relu_grad_and_bias_gradient_in_one_call_train_like_tf(tf1, fetch_incoming, monkeypatch):
    from torchmeta.ops import nn_ops

    theirs, _ = _mlp_steps(tf1, 3, fetch_incoming)
    ours, modules = _mlp_steps(tm, 3, fetch_incoming)
    assert len(ours) == len(theirs) == 3 * (1 + 2 * fetch_incoming) + 6
    for i, (a, e) in enumerate(zip(ours, theirs)):
        assert np.shape(a) == np.shape(e), i
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5, err_msg=f"value {i}")
    targets = [n.target for m in modules for n in m.graph.nodes if n.op == "call_function"]
    assert targets.count(specialize.relu_grad_bias_sum) == 2
    assert targets.count(specialize_common.fused_sum_reshape) == 1  # the logits' bias: its gradient is no ReluGrad's
    assert nn_ops.relu_grad_ not in targets and nn_ops.relu_grad not in targets
    in_place = [
        n.kwargs["in_place"] for m in modules for n in m.graph.nodes if n.target is specialize.relu_grad_bias_sum
    ]
    assert in_place == [not fetch_incoming] * 2
    # the separate ops' values, bit for bit
    monkeypatch.setattr(specialize, "_fuse_relu_grad_bias_sum", lambda *args: None)
    unfused, modules = _mlp_steps(tm, 3, fetch_incoming)
    assert specialize.relu_grad_bias_sum not in [n.target for m in modules for n in m.graph.nodes]
    for i, (a, e) in enumerate(zip(ours, unfused)):
        np.testing.assert_array_equal(np.asarray(a).view(np.int32), np.asarray(e).view(np.int32), err_msg=f"value {i}")
