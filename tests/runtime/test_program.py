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
    comes from the cell's fused gradient (specialize.py's LSTM fusion); the gradients equal TF's, before and
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
