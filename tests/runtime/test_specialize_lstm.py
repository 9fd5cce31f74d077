"""An LSTM cell's element-wise ops and TF's gradient of them run as one call each (runtime/specialize_lstm.py
``fuse_lstm_cells``, ops/lstm_cell_native.py): static_rnn and dynamic_rnn (the cell in a while loop's body,
its gradient in the gradient loop's) of a BasicLSTMCell and an LSTMCell train to TF's numbers in float32 and
float64, with forget_bias 1 and 0, on the native kernel and on the torch path; the native kernel is TF's
arithmetic bit for bit; the gates' bias gradient (BiasAddGrad) is part of the gradient's call, summed as
torchmeta's BiasAddGrad sums; the fusions are in the lowered modules; graphs that only look like a cell (a value the
fusion would hide read elsewhere, the forget bias added to another gate) run op by op."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch

import torchmeta as tm
from torchmeta.ops import lstm_cell_native, nn_ops, tanh_native

from ..ops.native_helpers import choose_path, require_native

BATCH, STEPS, FEATURES, HIDDEN = 4, 3, 5, 6  # (6 units: the native loops' tail only)


def _kernels(sess) -> Counter:
    return Counter(
        getattr(n.target, "__name__", "")
        for gm in sess._compiled_modules()
        for n in gm.graph.nodes
        if n.op == "call_function"
    )


def _rnn(tf, x_value, weights, *, dynamic, dtype, forget_bias, cell_kind="basic", hidden=HIDDEN):
    """The loss (last output and final c state) and the gradients of the cell's variables, with the cell's
    variables set to ``weights`` (None: their initial values); also the session, and the weights."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        dt = tf.as_dtype(dtype)
        x = tf.placeholder(dt, x_value.shape)
        if cell_kind == "basic":
            cell = tf.nn.rnn_cell.BasicLSTMCell(hidden, forget_bias=forget_bias)
        else:
            cell = tf.nn.rnn_cell.LSTMCell(hidden, forget_bias=forget_bias)
        if dynamic:
            outputs, state = tf.nn.dynamic_rnn(cell, x, dtype=dt)
            last = outputs[:, -1]
        else:
            outputs, state = tf.nn.static_rnn(cell, tf.unstack(x, STEPS, 1), dtype=dt)
            last = outputs[-1]
        loss = tf.reduce_sum(tf.square(last)) + tf.reduce_sum(state.c)
        variables = tf.trainable_variables()
        grads = tf.gradients(loss, variables)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
        if weights is None:
            weights = sess.run(variables)
        for v, w in zip(variables, weights):
            v.load(w, sess)
        return sess.run([loss, *grads], {x: x_value}), sess, weights


def _compare(tf1, *, dynamic, dtype, forget_bias, cell_kind="basic", hidden=HIDDEN, batch=BATCH):
    x = np.random.default_rng(0).standard_normal((batch, STEPS, FEATURES)).astype(dtype) * 2
    kw = {"dynamic": dynamic, "dtype": dtype, "forget_bias": forget_bias, "cell_kind": cell_kind, "hidden": hidden}
    theirs, _, weights = _rnn(tf1, x, None, **kw)
    ours, sess, _ = _rnn(tm, x, weights, **kw)
    tol = 1e-5 if dtype == "float32" else 1e-12
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    return _kernels(sess)


@pytest.mark.parametrize("path", ["native", "torch"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("forget_bias", [1.0, 0.0])
def test_static_rnn_matches_tf_with_every_cell_fused(tf1, monkeypatch, path, dtype, forget_bias):
    choose_path(tanh_native, monkeypatch, path)
    kernels = _compare(tf1, dynamic=False, dtype=dtype, forget_bias=forget_bias)
    # each cell passes its activations to its gradient as one tensor (specialize_lstm._pack_lstm_activations)
    assert kernels["lstm_cell"] == STEPS and kernels["lstm_cell_grad_packed"] == STEPS
    assert kernels["lstm_cell_grad"] == 0
    assert kernels["sigmoid"] == kernels["tanh_grad_direct"] == kernels["sigmoid_grad_direct"] == 0
    assert kernels["bias_add_grad"] == 0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("forget_bias", [1.0, 0.0])
def test_dynamic_rnn_matches_tf_with_the_loop_bodies_fused(tf1, dtype, forget_bias):
    kernels = _compare(tf1, dynamic=True, dtype=dtype, forget_bias=forget_bias)
    assert kernels["lstm_cell"] == 1 and kernels["lstm_cell_grad"] == 1  # the forward and the gradient loop's body
    assert kernels["bias_add_grad"] == kernels["_deferred_bias_add_grad"] == 0


@pytest.mark.parametrize("path", ["native", "torch"])
@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
def test_the_bias_gradient_is_summed_in_the_cells_gradient(tf1, monkeypatch, path, dynamic):
    """16 units (64 gate columns: the native kernel sums the bias gradient itself) and 20 rows (a 16-row block
    of torch's sum and a tail): TF's numbers, and every cell's gradient call returns the bias gradient."""
    choose_path(tanh_native, monkeypatch, path)
    x = np.random.default_rng(3).standard_normal((20, STEPS, FEATURES)).astype(np.float32) * 2
    kw = {"dynamic": dynamic, "dtype": "float32", "forget_bias": 1.0, "hidden": 16}
    theirs, _, weights = _rnn(tf1, x, None, **kw)
    ours, sess, _ = _rnn(tm, x, weights, **kw)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    calls = [
        n.kwargs
        for gm in sess._compiled_modules()
        for n in gm.graph.nodes
        if n.target in (lstm_cell_native.lstm_cell_grad, lstm_cell_native.lstm_cell_grad_packed)
    ]
    assert len(calls) == (1 if dynamic else STEPS) and all(kw["bias_grad"] for kw in calls)
    assert _kernels(sess)["bias_add_grad"] == 0


@pytest.mark.parametrize("units", [16, 32, 6])
def test_the_bias_gradient_is_torchmetas_bias_add_grad_bit_for_bit(units):
    """The native column sums against BiasAddGrad's kernel (torch.sum over the rows), at row counts around
    torch's 16-row blocks and its next level (256 blocks); 6 units: torch.sum itself (not a multiple of 64
    columns)."""
    rng = np.random.default_rng(4)
    for rows in [*range(1, 40), 63, 64, 65, 255, 256, 257, 300, 1000, 4097]:
        values = [torch.tensor(rng.standard_normal((rows, units)).astype(np.float32)) for _ in range(7)]
        values[0] *= 1e3  # (sums with rounding in them)
        d_gates, d_bias = lstm_cell_native.lstm_cell_grad(*values, dc_prev=False, bias_grad=True)
        want = nn_ops.bias_add_grad(d_gates, "NHWC")
        assert torch.equal(d_bias.view(torch.int32), want.view(torch.int32)), rows


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
def test_lstm_cell_without_peepholes_is_fused_too(tf1, dynamic):
    kernels = _compare(tf1, dynamic=dynamic, dtype="float32", forget_bias=1.0, cell_kind="lstm")
    assert kernels["lstm_cell"] >= 1 and kernels["lstm_cell_grad"] + kernels["lstm_cell_grad_packed"] >= 1


def _cell(tf, gates_value, c_value, dh_value, dc_value, forget_bias, order="ijfo"):
    """The cell's values and the gradients of gates and c for incoming gradients dh and dc, fetched; the gates
    split in ``order`` (TF's cells: i, j, f, o), no forget bias added where it is None."""
    gates = tf.placeholder(tf.float32, gates_value.shape)
    c = tf.placeholder(tf.float32, c_value.shape)
    gate = dict(zip(order, tf.split(gates, 4, axis=1)))
    i, j, f, o = (gate[k] for k in "ijfo")
    sig_f = tf.sigmoid(f) if forget_bias is None else tf.sigmoid(f + forget_bias)
    new_c = c * sig_f + tf.sigmoid(i) * tf.tanh(j)
    new_h = tf.tanh(new_c) * tf.sigmoid(o)
    grads = tf.gradients([new_h, new_c], [gates, c], grad_ys=[tf.constant(dh_value), tf.constant(dc_value)])
    return [new_c, new_h, *grads], {gates: gates_value, c: c_value}


@pytest.mark.parametrize(
    ("fetch_activation", "order", "forget_bias"),
    [(False, "ijfo", 1.0), (True, "ijfo", 1.0), (False, "ifoj", None), (False, "ojif", 1.0)],
    ids=["packed", "fetched", "ifoj_no_bias", "ojif"],
)
@pytest.mark.parametrize("units", [13, 37])
def test_the_native_kernels_are_tfs_arithmetic_bit_for_bit(tf1, fetch_activation, order, forget_bias, units):
    """Gates over Sigmoid's whole range (its clamp at 16.64, -104, the flushed subnormal results, NaN,
    infinities; gradients that TF flushes to zero), 13 and 37 units (whole vectors of 4, 8 or 16 lanes, the
    width this CPU's kernels run, and a tail per row). The cell passes
    its activations to the gradient as one tensor, or, where one of them is fetched, one by one. Cells written
    by hand that split their gates in another order (bench/run.py's lstm5: i, f, o, j without a forget bias)
    are fused too, the kernels reading and writing each gate's block where the split has it."""
    require_native(tanh_native)
    rng = np.random.default_rng(5)
    batch = 64
    gates = (rng.standard_normal((batch, 4 * units)) * rng.choice([0.1, 1, 4, 30], (batch, 4 * units))).astype(
        np.float32
    )
    special = np.array([np.nan, np.inf, -np.inf, 0, -0.0, 16.6355, 16.64, -103.9, -104.1, -88, 1e-40], np.float32)
    gates[0, : special.size] = special
    gates[1, 2 * units : 2 * units + special.size] = special
    gates[2:34] = np.linspace(-110, 20, 32 * 4 * units, dtype=np.float32).reshape(32, 4 * units)
    c, dh, dc = (rng.standard_normal((batch, units)).astype(np.float32) for _ in range(3))
    results = []
    for tf in (tf1, tm):
        g = tf.Graph()
        with g.as_default():
            fetches, feed = _cell(tf, gates, c, dh, dc, forget_bias=forget_bias, order=order)
            if fetch_activation:
                fetches.append(g.get_tensor_by_name("Tanh:0"))  # tanh(j)
            with tf.Session(graph=g) as sess:
                results.append(sess.run(fetches, feed))
                if tf is tm:
                    kernels = _kernels(sess)
                    grad = "lstm_cell_grad" if fetch_activation else "lstm_cell_grad_packed"
                    assert kernels["lstm_cell"] == 1 and kernels[grad] == 1
    for theirs, ours in zip(*results):  # (some gradients are subnormal but for TF's flushing them)
        same = (ours.view(np.int32) == theirs.view(np.int32)) | (np.isnan(ours) & np.isnan(theirs))
        assert same.all(), (ours[~same][:5], theirs[~same][:5])


@pytest.mark.parametrize("path", ["native", "torch"])
@pytest.mark.parametrize("units", [16, 13])
def test_the_packed_activations_give_the_same_values(monkeypatch, path, units):
    """``lstm_cell``'s ACTIVATIONS is the five activations stacked, and ``lstm_cell_grad_packed`` of it gives
    ``lstm_cell_grad``'s values bit for bit, with and without dc_next and the bias gradient."""
    choose_path(tanh_native, monkeypatch, path)
    rng = np.random.default_rng(6)
    rows = 20
    gates, c, dh, dc = (
        torch.tensor(rng.standard_normal((rows, n)).astype(np.float32) * 3) for n in (4 * units, units, units, units)
    )
    *values, packed = lstm_cell_native.lstm_cell(gates, c, forget_bias=1.0, want=(0, 1, 7))
    separate = lstm_cell_native.lstm_cell(gates, c, forget_bias=1.0, want=tuple(range(7)))
    assert packed.shape == (5, rows, units)
    for a, b in zip([*values, *packed.unbind(0)], separate):
        assert torch.equal(a, b)
    for dc_next in (None, dc):
        kw = {"dc_prev": True, "bias_grad": True}
        ours = lstm_cell_native.lstm_cell_grad_packed(dh, packed, c, dc_next, **kw)
        theirs = lstm_cell_native.lstm_cell_grad(dh, *separate[2:], c, dc_next, **kw)
        for a, b in zip(ours, theirs, strict=True):
            assert torch.equal(a.view(torch.int32), b.view(torch.int32))


def test_the_packed_gradient_refuses_unpacked_activations():
    """``lstm_cell_grad_packed`` applies only with its packed forward: given one activation (what it would get if
    that forward ran unpacked), it raises InternalError instead of reading rows as planes, even with 5 rows."""
    c = torch.zeros(5, 8)
    for activations in (torch.zeros(5, 8), torch.zeros(4, 5, 8), torch.zeros(5, 5, 9)):
        with pytest.raises(tm.errors.InternalError, match=r"packed activations \[5, 5, 8\]"):
            lstm_cell_native.lstm_cell_grad_packed(torch.zeros(5, 8), activations, c, dc_prev=True)


def _lookalike(tf, x_value, variant):
    """One cell of gates ``x @ w`` whose graph differs from a BasicLSTMCell's in ``variant``, its loss and
    gradients."""
    w = tf.constant(np.linspace(-1, 1, 5 * 4 * HIDDEN, dtype=np.float32).reshape(5, 4 * HIDDEN))
    x = tf.constant(x_value)
    c = tf.constant(np.linspace(-2, 2, BATCH * HIDDEN, dtype=np.float32).reshape(BATCH, HIDDEN))
    i, j, f, o = tf.split(tf.matmul(x, w), 4, axis=1)
    if variant == "bias_on_i":
        f_gate, i_gate = tf.sigmoid(f), tf.sigmoid(i + 1.0)
    else:
        f_plus = f + 1.0
        f_gate, i_gate = tf.sigmoid(f_plus), tf.sigmoid(i)
    kept = c * f_gate
    new_c = kept + i_gate * tf.tanh(j)
    new_h = tf.tanh(new_c) * tf.sigmoid(o)
    loss = tf.reduce_sum(new_h * new_h)
    if variant == "reads_product":
        loss += tf.reduce_sum(kept)  # a value the fused call does not return
    elif variant == "reads_forget_sum":
        loss += tf.reduce_sum(f_plus * f_plus)
    return [loss, *tf.gradients(loss, [w, x])]


@pytest.mark.parametrize("variant", ["reads_product", "reads_forget_sum", "bias_on_i"])
def test_graphs_that_only_look_like_a_cell_run_op_by_op(tf1, variant):
    x = np.random.default_rng(1).standard_normal((BATCH, 5)).astype(np.float32)
    results = []
    for tf in (tf1, tm):
        g = tf.Graph()
        with g.as_default():
            fetches = _lookalike(tf, x, variant)
            with tf.Session(graph=g) as sess:
                results.append(sess.run(fetches))
                if tf is tm:
                    assert _kernels(sess)["lstm_cell"] == 0
    for theirs, ours in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_inference_computes_only_the_states(tf1):
    """Without a gradient nothing reads the activations: each cell returns new_c and new_h alone (the last
    step's new_h only, where the final c is not fetched)."""
    g = tm.Graph()
    with g.as_default():
        x = tm.placeholder(tm.float32, [BATCH, STEPS, FEATURES])
        outputs, _ = tm.nn.static_rnn(tm.nn.rnn_cell.BasicLSTMCell(HIDDEN), tm.unstack(x, STEPS, 1), dtype=tm.float32)
        with tm.Session(graph=g) as sess:
            sess.run(tm.global_variables_initializer())
            sess.run(outputs[-1], {x: np.ones((BATCH, STEPS, FEATURES), np.float32)})
            wants = [
                n.kwargs["want"]
                for gm in sess._compiled_modules()
                for n in gm.graph.nodes
                if n.target is lstm_cell_native.lstm_cell
            ]
    names = lstm_cell_native.CELL_VALUES
    assert [tuple(names[k] for k in w) for w in wants] == [("new_c", "new_h")] * (STEPS - 1) + [("new_h",)]


def test_the_torch_path_takes_other_dtypes_and_autograd():
    rng = np.random.default_rng(2)
    gates = torch.tensor(rng.standard_normal((3, 4 * HIDDEN)), requires_grad=True)
    c = torch.tensor(rng.standard_normal((3, HIDDEN)))
    new_c, new_h = lstm_cell_native.lstm_cell(gates, c, forget_bias=1.0, want=(0, 1))
    i, j, f, o = gates.detach().chunk(4, 1)
    want_c = c * torch.sigmoid(f + 1.0) + torch.sigmoid(i) * torch.tanh(j)
    torch.testing.assert_close(new_c.detach(), want_c)
    torch.testing.assert_close(new_h.detach(), torch.tanh(want_c) * torch.sigmoid(o))
    new_h.sum().backward()
    assert gates.grad.shape == gates.shape


def _hand_written_rnn(tf, x_value, w_value, target_value, steps):
    """bench/run.py's lstm5 recurrence (gates split i, f, o, g; no forget bias; the initial state zeros), one
    GradientDescent step: the loss, then w and b after the step."""
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(w_value)
        b = tf.Variable(np.linspace(-0.5, 0.5, w_value.shape[1], dtype=np.float32))
        batch, hidden = target_value.shape
        h = tf.zeros([batch, hidden])
        c = tf.zeros([batch, hidden])
        for t in range(steps):
            gates = tf.matmul(tf.concat([tf.constant(x_value[t]), h], 1), w) + b
            i, f, o, j = tf.split(gates, 4, axis=1)
            c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(j)
            h = tf.sigmoid(o) * tf.tanh(c)
        loss = tf.reduce_mean(tf.square(h - tf.constant(target_value)))
        train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            values = [sess.run([loss, train])[0], *sess.run([w, b])]
            return values, (_kernels(sess) if tf is tm else None)


@pytest.mark.parametrize("path", ["native", "torch"])
@pytest.mark.parametrize("hidden", [6, 16])
def test_a_hand_written_cell_in_another_gate_order_trains_to_tfs_numbers(tf1, monkeypatch, path, hidden):
    """Every forward cell and every cell gradient of the hand-written recurrence runs fused (the first cell's
    c_prev the zeros constant, no gradient of it asked), the gradient of the bias added by AddV2 (a Sum over the
    rows) summed in the cell gradient's call (by the native kernel at 16 units: 64 gate columns), and the step
    is TF's to float32 rounding."""
    choose_path(tanh_native, monkeypatch, path)
    rng = np.random.default_rng(7)
    steps = 4
    x = rng.standard_normal((steps, BATCH, hidden)).astype(np.float32)
    w = (rng.standard_normal((2 * hidden, 4 * hidden)) * 0.5).astype(np.float32)
    target = rng.standard_normal((BATCH, hidden)).astype(np.float32)
    theirs, _ = _hand_written_rnn(tf1, x, w, target, steps)
    ours, kernels = _hand_written_rnn(tm, x, w, target, steps)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert kernels["lstm_cell"] == steps and kernels["lstm_cell_grad_packed"] == steps
    assert kernels["sigmoid"] == kernels["tanh_grad_direct"] == kernels["sigmoid_grad_direct"] == 0
    assert kernels["fused_sum_reshape"] == 0


@pytest.mark.parametrize("path", ["native", "torch"])
def test_the_kernels_read_and_write_the_gates_blocks(monkeypatch, path):
    """``blocks`` permutes the gates' column blocks: the values of a cell are those of TF's order with the
    gates' columns (and the gates' gradient's) moved to those blocks, bit for bit."""
    choose_path(tanh_native, monkeypatch, path)
    rng = np.random.default_rng(8)
    units = 13
    gates, c, dh, dc = (
        torch.tensor(rng.standard_normal((9, n)).astype(np.float32) * 3) for n in (4 * units, units, units, units)
    )
    blocks = (0, 3, 1, 2)
    chunks = gates.chunk(4, 1)
    moved = torch.cat([chunks[blocks.index(k)] for k in range(4)], 1)  # gate q's columns in block blocks[q]
    ours = lstm_cell_native.lstm_cell(moved, c, forget_bias=0.0, want=tuple(range(7)), blocks=blocks)
    theirs = lstm_cell_native.lstm_cell(gates, c, forget_bias=0.0, want=tuple(range(7)))
    for a, b in zip(ours, theirs, strict=True):
        assert torch.equal(a.view(torch.int32), b.view(torch.int32))
    kw = {"dc_prev": True, "bias_grad": True}
    d_moved, dc_ours, bias_ours = lstm_cell_native.lstm_cell_grad(dh, *ours[2:], c, dc, blocks=blocks, **kw)
    d_gates, dc_theirs, _ = lstm_cell_native.lstm_cell_grad(dh, *theirs[2:], c, dc, **kw)
    parts = d_gates.chunk(4, 1)
    assert torch.equal(d_moved, torch.cat([parts[blocks.index(k)] for k in range(4)], 1))
    assert torch.equal(dc_ours, dc_theirs)
    assert torch.equal(bias_ours, nn_ops.bias_add_grad(d_moved, "NHWC"))
