"""Loop programs (runtime/program.py): what LoopRunner rewrites in a TF1 gradient loop keeps TF's numbers."""

import numpy as np
import pytest

import torchmeta as tm
from torchmeta.runtime.program import LoopRunner


@pytest.fixture
def v1_control_flow(tf1):
    import tensorflow as tf

    tf.compat.v1.disable_control_flow_v2()
    return tf1


def _gradients_in_both(build, feeds, tmp_path, runs=2):
    """``build(tf, v1) -> (loss, variables)`` in TF: the loss and its gradients for the variables, run
    ``runs`` times with a GradientDescent step between runs; then the same here from TF's .meta and
    initial checkpoint. Returns (TF's results, ours, the code of every module we lowered)."""
    import tensorflow as tf

    v1 = tf.compat.v1
    prefix = str(tmp_path / "model")
    g = tf.Graph()
    with g.as_default():
        v1.set_random_seed(3)
        loss, variables = build(tf, v1)
        grads = tf.gradients(loss, variables)
        train = v1.train.GradientDescentOptimizer(0.5).apply_gradients(list(zip(grads, variables)), name="train")
        fetches = [loss.name] + [t.name for t in grads]
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            v1.train.Saver().save(sess, prefix)
            want = []
            for _ in range(runs):
                want.append(sess.run(fetches, {f"{k}:0": v for k, v in feeds.items()}))
                sess.run(train, {f"{k}:0": v for k, v in feeds.items()})
    ours = tm.Graph()
    with ours.as_default():
        saver = tm.train.import_meta_graph(prefix + ".meta")
        with tm.Session() as sess:
            saver.restore(sess, prefix)
            got = []
            for _ in range(runs):
                got.append(sess.run(fetches, {f"{k}:0": v for k, v in feeds.items()}))
                sess.run("train", {f"{k}:0": v for k, v in feeds.items()})
            code = "\n".join(gm.code for gm in sess._compiled_modules())
    return want, got, code


def _dynamic_rnn_gradients(make_cell, tmp_path, rtol=1e-5, atol=1e-6):
    """Our gradients of a dynamic_rnn over ``make_cell(v1)`` checked against TF's; the code of our modules."""

    def build(tf, v1):
        x = v1.placeholder(tf.float32, [4, 6, 3], name="x")
        cell = make_cell(v1)
        out, _ = v1.nn.dynamic_rnn(cell, x, dtype=tf.float32)
        return tf.reduce_sum(out * out, name="loss"), cell.trainable_variables

    xv = np.random.RandomState(0).randn(4, 6, 3).astype(np.float32)
    want, got, code = _gradients_in_both(build, {"x": xv}, tmp_path)
    for w_run, g_run in zip(want, got):
        for w, g in zip(w_run, g_run):
            assert np.shape(g) == np.shape(w)
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
    return code


def test_dynamic_rnn_lstm_gradients_equal_tfs(v1_control_flow, tmp_path):
    """The LSTM's gradient loop: concat([x, h])'s gradient multiplies only the h half of the weight (laid out
    once per weight value), the kernel's gradient is added into its accumulator in place (addmm_), the bias's
    comes from the cell's fused gradient (specialize_lstm.py's LSTM fusion); the gradients equal TF's, before and
    after a training step changed the weights."""
    code = _dynamic_rnn_gradients(lambda v1: v1.nn.rnn_cell.LSTMCell(8), tmp_path)
    assert "sliced_matmul_invariant_b" in code
    assert "_deferred_matmul" in code and "lstm_cell_grad" in code and "_deferred_bias_add_grad" not in code


def test_dynamic_rnn_basic_cell_bias_gradient_is_added_in_place(v1_control_flow, tmp_path):
    """A BasicRNNCell's gradient loop (no cell fusion): the kernel's and the bias's gradients are added into
    their accumulators in place (addmm_, addmv_), with TF's numbers (to 1e-4: tanh's recurrence through 6 steps
    carries the products' last-bit differences further than the LSTM's gates do, 4e-6 at most here)."""
    code = _dynamic_rnn_gradients(lambda v1: v1.nn.rnn_cell.BasicRNNCell(8), tmp_path, rtol=1e-4, atol=1e-5)
    assert "_deferred_bias_add_grad" in code and "_deferred_matmul" in code


def _count_flushes(monkeypatch, min_bytes=0):
    """The number of pending products each flush of ``_PendingProducts`` added (a list, filled as they run);
    accumulators of ``min_bytes`` or more keep products (DEFER_MIN_BYTES; 0: the small ones of these tests)."""
    from torchmeta.runtime import program

    if min_bytes is not None:
        monkeypatch.setattr(program, "DEFER_MIN_BYTES", min_bytes)
    sizes = []
    flush = program._PendingProducts.flush

    def counted(acc):
        pending = getattr(acc, "_torchmeta_pending", None)
        if pending is not None and pending.a:
            sizes.append(len(pending.a))
        return flush(acc)

    monkeypatch.setattr(program._PendingProducts, "flush", staticmethod(counted))
    return sizes


def test_dynamic_rnn_weight_gradient_is_one_product_at_the_loop_end(v1_control_flow, tmp_path, monkeypatch):
    """The kernel's gradient in the LSTM's gradient loop: the first iteration's product makes the accumulator,
    the other five (6 steps) are kept and added by one product when the loop ends; TF's numbers (the rows
    summed in another order)."""
    sizes = _count_flushes(monkeypatch)
    _dynamic_rnn_gradients(lambda v1: v1.nn.rnn_cell.LSTMCell(8), tmp_path)
    assert sizes == [5] * 4  # two runs of the gradients, two training steps


def test_small_accumulator_adds_each_product(v1_control_flow, tmp_path, monkeypatch):
    """Under DEFER_MIN_BYTES (the 8-unit LSTM's [11, 32] kernel) each iteration's product is added in place,
    as before products were kept; TF's numbers."""
    sizes = _count_flushes(monkeypatch, min_bytes=None)
    code = _dynamic_rnn_gradients(lambda v1: v1.nn.rnn_cell.LSTMCell(8), tmp_path)
    assert "_deferred_matmul" in code and sizes == []


def test_pending_products_are_added_when_they_reach_the_byte_limit(v1_control_flow, tmp_path, monkeypatch):
    """Past PENDING_PRODUCT_BYTES the kept products are added at once (a long loop keeps no more); TF's
    numbers either way, for the LSTM and for a BasicRNNCell (whose bias gradient goes by addmv_)."""
    from torchmeta.runtime import program

    # One LSTM product's operands: [4, 11] (x and h) and [4, 32] (the gates' gradient), 172 floats.
    monkeypatch.setattr(program, "PENDING_PRODUCT_BYTES", 2 * 172 * 4)
    sizes = _count_flushes(monkeypatch)
    _dynamic_rnn_gradients(lambda v1: v1.nn.rnn_cell.LSTMCell(8), tmp_path)
    assert sizes == [2, 2, 1] * 4
    sizes.clear()
    monkeypatch.setattr(program, "PENDING_PRODUCT_BYTES", 2 * 76 * 4)  # [4, 11] and [4, 8]
    _dynamic_rnn_gradients(lambda v1: v1.nn.rnn_cell.BasicRNNCell(8), tmp_path / "basic", rtol=1e-4, atol=1e-5)
    assert sizes == [2, 2, 1] * 4


def test_product_of_a_loop_invariant_is_added_on_each_iteration(v1_control_flow, tmp_path, monkeypatch):
    """A weight gradient whose product reads a value entering the loop (x, multiplied on each step) is added
    in place on each iteration, not kept: an invariant may be a variable the loop assigns. TF's numbers."""
    sizes = _count_flushes(monkeypatch)

    def build(tf, v1):
        x = v1.placeholder(tf.float32, [4, 3], name="x")
        w = v1.get_variable("w", [3, 5])
        u = v1.get_variable("u", [5, 5])

        def body(i, h):
            return i + 1, tf.tanh(tf.matmul(x, w) + tf.matmul(h, u))

        _, h = tf.while_loop(lambda i, h: i < 4, body, [tf.constant(0), tf.zeros([4, 5])])
        return tf.reduce_sum(h * h, name="loss"), [w, u]

    xv = np.random.RandomState(1).randn(4, 3).astype(np.float32)
    want, got, code = _gradients_in_both(build, {"x": xv}, tmp_path)
    for w_run, g_run in zip(want, got):
        for w, g in zip(w_run, g_run):
            # (atol 1e-5: one of w's gradients is -0.0158 summed from terms near 3; it differs from TF's by
            # 1.5e-6 with the products added on each iteration as before this change, too)
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    assert "_deferred_matmul" in code
    assert sizes == [3] * 4  # u's products (h is pushed on a stack by the forward loop); w's none


def test_scalar_condition_rereads_a_ref_bound_assigned_in_the_loop(v1_control_flow):
    """``i < v`` with v a ref variable the body decrements: the condition reads v's new value each time."""
    import tensorflow as tf

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        v = v1.Variable(10, name="v")

        def body(i):
            with tf.control_dependencies([v1.assign_sub(v, 2)]):
                return i + 1

        n = tf.while_loop(lambda i: i < v, body, [tf.constant(0)])
        out = tf.identity(n, name="n")
        init = v1.global_variables_initializer()
        with v1.Session(graph=g) as sess:
            sess.run(init)
            want = [sess.run(out) for _ in range(2)]
        graph_def = g.as_graph_def(add_shapes=True)  # the scalar shapes of the loop (a Merge has none)
    ours = tm.Graph()
    with ours.as_default():
        tm.import_graph_def(graph_def, name="")
        with tm.Session() as sess:
            sess.run("init")
            got = [sess.run("n:0") for _ in range(2)]
            runners = [r for gm in sess._compiled_modules() for r in vars(gm).values() if isinstance(r, LoopRunner)]
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(want, [[4], [1]])  # v: 10, 8, 6, 4, 2 against i: 0..4; then v: 2, 0 against i: 0, 1
    assert [r.scalar_cond for r in runners] == [True]  # the condition ran on Python numbers


@pytest.mark.parametrize("one_thread", [False, True])
def test_scalar_condition_of_constants_and_logical_ops(v1_control_flow, monkeypatch, one_thread):
    """A condition on Python numbers with a constant, a unary op (LogicalNot) and LogicalAnd, run for zero,
    some and the constant's bound of iterations; a body of one loop variable (gathered alone): TF's counts.
    At one thread the body's one-thread wrapper is not called per iteration (LoopRunner calls its module)."""
    import tensorflow as tf
    import torch

    from torchmeta.ops import threads

    calls = []
    wrapped = threads.on_one_thread

    def counted(fn, *args):
        calls.append(fn)
        return wrapped(fn, *args)

    monkeypatch.setattr(threads, "on_one_thread", counted)
    before = torch.get_num_threads()

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        n = v1.placeholder(tf.int32, [], name="n")
        out = tf.while_loop(
            lambda i: tf.logical_and(tf.logical_not(i >= n), i < tf.constant(7)), lambda i: i + 2, [tf.constant(0)]
        )
        out = tf.identity(out, name="out")
        feeds = [0, 3, 4, 30]
        with v1.Session(graph=g) as sess:
            want = [sess.run(out, {n: k}) for k in feeds]
        graph_def = g.as_graph_def(add_shapes=True)
    ours = tm.Graph()
    with ours.as_default():
        tm.import_graph_def(graph_def, name="")
        with tm.Session() as sess:
            sess.run("out:0", {"n:0": 30})  # (lowered at the default thread count)
            calls.clear()
            try:
                if one_thread:
                    torch.set_num_threads(1)
                got = [sess.run("out:0", {"n:0": k}) for k in feeds]
            finally:
                torch.set_num_threads(before)
            runners = [r for gm in sess._compiled_modules() for r in vars(gm).values() if isinstance(r, LoopRunner)]
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(want, [[0], [4], [4], [8]])
    assert [r.scalar_cond for r in runners] == [True]
    body_calls = [fn for fn in calls if any(fn == gm.forward for r in runners for gm in r.compiled_modules())]
    if one_thread:
        assert body_calls == []


@pytest.mark.parametrize("optimizer", ["adam", "momentum", "sgd"])
def test_loop_weight_caches_follow_every_optimizer_update(v1_control_flow, tmp_path, optimizer):
    """The gradient loop lays out (half of) the kernel once per value of the weight, keyed on the tensor and its
    version: every optimizer's in-place update must be seen (fused Adam/Momentum kernels included), so four
    training steps here equal TF's, loss by loss."""
    import tensorflow as tf

    v1 = tf.compat.v1
    prefix = str(tmp_path / "model")
    xv = np.random.RandomState(1).randn(4, 5, 3).astype(np.float32)
    make = {
        "adam": lambda api: api.train.AdamOptimizer(0.05),
        "momentum": lambda api: api.train.MomentumOptimizer(0.1, 0.9),
        "sgd": lambda api: api.train.GradientDescentOptimizer(0.2),
    }[optimizer]
    g = tf.Graph()
    with g.as_default():
        v1.set_random_seed(2)
        x = v1.placeholder(tf.float32, [4, 5, 3], name="x")
        out, _ = v1.nn.dynamic_rnn(v1.nn.rnn_cell.LSTMCell(6), x, dtype=tf.float32)
        loss = tf.reduce_sum(out * out, name="loss")
        make(v1).minimize(loss, name="train")
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            v1.train.Saver().save(sess, prefix)
            want = [sess.run(["loss:0", "train"], {"x:0": xv})[0] for _ in range(4)]
    ours = tm.Graph()
    with ours.as_default():
        saver = tm.train.import_meta_graph(prefix + ".meta")
        with tm.Session() as sess:
            saver.restore(sess, prefix)
            got = [sess.run(["loss:0", "train"], {"x:0": xv})[0] for _ in range(4)]
            code = "\n".join(gm.code for gm in sess._compiled_modules())
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert "sliced_matmul_invariant_b" in code
