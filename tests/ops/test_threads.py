"""Threads per kernel call (ops/threads.py): with more than one intra-op thread, a product whose operands and
result fit in the L2 cache runs on the calling thread alone, as TF's oneDNN MatMul decides
(``ExecuteSingleThreadedGemm``), and so does a small Tanh (torch splits it from 2049 elements on); larger ones
and one-thread sessions are left alone. The recurrent steps that take these paths (unrolled and while-loop
LSTMs at two threads, training and inference) must still equal TensorFlow's. A step all of whose kernels are
small runs whole on one thread (one switch of the counts per run), with the values it has otherwise."""

import ctypes
import itertools
import os

import numpy as np
import pytest
import torch

import torchmeta as tm
from torchmeta.ops import matmul_ops, tanh_native, threads
from torchmeta.runtime import specialize_lstm


@pytest.fixture
def two_threads(torch_threads):
    torch_threads(2)


@pytest.fixture
def recorded(monkeypatch):
    """The thread counts ``run_product`` and ``on_one_thread`` set, ("mkl", n) and ("omp", n) for this thread's
    MKL and OpenMP counts, recorded and passed on."""
    pair = threads.switch.load()
    if pair is None:
        pytest.skip("torch has no MKL and OpenMP whose thread-local counts can be set")
    set_mkl, set_omp = pair
    calls = []

    def record_mkl(n):
        calls.append(("mkl", n))
        return set_mkl(n)

    def record_omp(n):
        calls.append(("omp", n))
        return set_omp(n)

    monkeypatch.setattr(threads.switch, "fn", (record_mkl, record_omp))
    return calls


@pytest.fixture
def per_kernel(monkeypatch):
    """The per-kernel rules alone: no step runs whole on one thread (what steps with a large kernel take)."""
    monkeypatch.setattr(threads, "step_on_one_thread", lambda products, largest: False)


ONE_THREAD_PRODUCT = [("mkl", 1), ("mkl", 2)]  # one thread, then the previous count (torch's 2) back
ONE_THREAD_CALL = [("mkl", 1), ("omp", 1), ("omp", 2), ("mkl", 2)]


def _bytes(m, k, n):
    return 4 * (m * n + k * (m + n))


def test_the_rule_is_tfs_l2_size_times_1_01():
    assert int(1.01 * threads.l2_cache_bytes()) == threads.SINGLE_THREAD_BYTES
    assert threads.l2_cache_bytes() >= 64 * 1024


def test_a_small_product_runs_on_one_thread_and_the_count_is_restored(two_threads, recorded, monkeypatch):
    a, b = torch.randn(64, 512), torch.randn(512, 128)
    monkeypatch.setattr(threads, "SINGLE_THREAD_BYTES", _bytes(64, 512, 128) + 1)
    out = matmul_ops.mat_mul(a, b, False, False)
    assert recorded == ONE_THREAD_PRODUCT
    assert torch.equal(out, torch.mm(a, b))


def test_a_product_at_the_limit_and_one_thread_sessions_are_left_alone(two_threads, recorded, monkeypatch):
    a, b = torch.randn(64, 512), torch.randn(128, 512)
    monkeypatch.setattr(threads, "SINGLE_THREAD_BYTES", _bytes(64, 512, 128))
    matmul_ops.mat_mul(a, b, False, True)
    assert recorded == []
    monkeypatch.setattr(threads, "SINGLE_THREAD_BYTES", _bytes(64, 512, 128) + 1)
    torch.set_num_threads(1)
    matmul_ops.mat_mul(a, b, False, True)
    assert recorded == []
    torch.set_num_threads(2)
    matmul_ops.mat_mul(a, b, False, True)
    assert recorded == ONE_THREAD_PRODUCT


def test_a_product_that_fails_fails_with_matmuls_own_error(two_threads, recorded):
    with pytest.raises(tm.errors.InvalidArgumentError, match=r"Matrix size-incompatible: In\[0\]: \[2,3\]"):
        matmul_ops.mat_mul(torch.randn(2, 3), torch.randn(4, 5), False, False)
    assert recorded == ONE_THREAD_PRODUCT  # restored after the failure too


def _mkl_verbose_threads(capfd, fn) -> list:
    """The NThr fields MKL's verbose mode prints for the products ``fn`` runs."""
    lib = ctypes.CDLL(os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so"))
    libc = ctypes.CDLL(None)
    verbose = lib.mkl_verbose
    verbose.argtypes, verbose.restype = [ctypes.POINTER(ctypes.c_int)], ctypes.c_int
    capfd.readouterr()
    previous = verbose(ctypes.c_int(1))
    try:
        fn()
    finally:
        verbose(ctypes.c_int(max(previous, 0)))
        libc.fflush(None)
    text = capfd.readouterr()
    return [w for line in (text.out + text.err).splitlines() if "GEMM" in line for w in line.split() if "NThr" in w]


def test_mkl_runs_a_small_product_on_one_thread(two_threads, capfd, monkeypatch):
    if threads.switch.load() is None:
        pytest.skip("torch has no MKL and OpenMP whose thread-local counts can be set")
    a, b = torch.randn(64, 512), torch.randn(512, 128)
    assert _mkl_verbose_threads(capfd, lambda: matmul_ops.mat_mul(a, b, False, False)) == ["NThr:1"]
    # the count was restored: without the rule, the same product is split over both threads
    monkeypatch.setattr(threads, "SINGLE_THREAD_BYTES", 0)
    assert _mkl_verbose_threads(capfd, lambda: matmul_ops.mat_mul(a, b, False, False)) == ["NThr:2"]


STEPS, BATCH, FEATURES, HIDDEN = 5, 8, 6, 16


def _lstm_training(tf, kind, xs, config=None):
    """Three GradientDescent steps of an LSTM (static_rnn or dynamic_rnn): each step's loss, then the variables."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(3)
        x = tf.placeholder(tf.float32, [BATCH, STEPS, FEATURES], name="x")
        cell = tf.nn.rnn_cell.LSTMCell(HIDDEN)
        if kind == "static":
            outputs, _ = tf.nn.static_rnn(cell, tf.unstack(x, STEPS, 1), dtype=tf.float32)
            out = tf.stack(outputs, 1)
        else:
            out, _ = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
        loss = tf.reduce_mean(tf.square(out - 0.5))
        train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        sess = tf.Session(graph=g, config=config)
        sess.run(tf.global_variables_initializer())
        losses = [sess.run([train, loss], {x: xv})[1] for xv in xs]
        values = {v.op.name: sess.run(v) for v in tf.global_variables()}
        sess.close()
    return losses, values


@pytest.mark.parametrize("kind", ["static", "dynamic"])
def test_lstm_training_at_two_threads_takes_the_one_thread_products_and_matches_tf(
    tf1, kind, two_threads, recorded, per_kernel
):
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((BATCH, STEPS, FEATURES)).astype(np.float32) for _ in range(3)]
    want_losses, want_values = _lstm_training(tf1, kind, xs)
    config = tm.ConfigProto(intra_op_parallelism_threads=2)
    losses, values = _lstm_training(tm, kind, xs, config)
    assert recorded.count(("mkl", 1)) >= 3 * STEPS  # at least one product per step ran on one thread
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5)
    assert sorted(values) == sorted(want_values)
    for name, value in want_values.items():
        np.testing.assert_allclose(values[name], value, rtol=1e-5, atol=1e-5, err_msg=name)


def _one_thread_targets(modules):
    return [
        n.target.__name__
        for m in modules
        for n in m.graph.nodes
        if n.op == "call_function" and getattr(n.target, "__name__", "").endswith("_one_thread")
    ]


@pytest.mark.parametrize("dims,fast", [((64, 128), True), ((32, 64), False), ((256, 256), False)])
@pytest.mark.parametrize("op", ["tanh", "exp", "sqrt", "sin", "floor"])
def test_a_small_vml_function_runs_on_one_thread_and_matches_tf(tf1, two_threads, recorded, per_kernel, dims, fast, op):
    """Tanh, Exp, ... of 2049 to 32768 float elements (what torch would split over its threads) run on one thread."""
    value = np.abs(np.random.default_rng(2).standard_normal(dims).astype(np.float32)) * 3

    def run(tf):
        x = tf.placeholder(tf.float32, dims, name="x")
        y = getattr(tf, op)(x * 1.0)
        with tf.Session() as sess:
            out = sess.run(y, {x: value})
            modules = sess._compiled_modules() if hasattr(sess, "_compiled_modules") else []
        return out, modules

    want, _ = run(tf1)
    got, modules = run(tm)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert _one_thread_targets(modules) == ([f"{op}_one_thread"] if fast else [])
    assert (recorded == ONE_THREAD_CALL) == fast


@pytest.mark.parametrize("fused", [False, True], ids=["ops", "fused_cell"])
def test_lstm_inference_at_two_threads_takes_one_thread_products_and_tanh_and_matches_tf(
    tf1, two_threads, recorded, per_kernel, monkeypatch, fused
):
    """The products and (the cell's ops one by one) the Tanh calls run on one thread; the fused cell
    (specialize_lstm's ``fuse_lstm_cells``) runs its native kernel on this thread alone."""
    if not fused:
        monkeypatch.setattr(specialize_lstm, "fuse_lstm_cells", lambda *args: None)
    elif not tanh_native.available():
        pytest.skip("no C compiler: the fused cell takes the torch path")
    rng = np.random.default_rng(4)
    batch, hidden = 32, 96  # the cell's tanh: 3072 elements
    xv = rng.standard_normal((batch, STEPS, FEATURES)).astype(np.float32)

    def run(tf, config=None):
        g = tf.Graph()
        with g.as_default():
            tf.set_random_seed(5)
            x = tf.placeholder(tf.float32, [None, STEPS, FEATURES], name="x")
            cell = tf.nn.rnn_cell.BasicLSTMCell(hidden)
            outputs, _ = tf.nn.static_rnn(cell, tf.unstack(x, STEPS, 1), dtype=tf.float32)
            sess = tf.Session(graph=g, config=config)
            sess.run(tf.global_variables_initializer())
            values = {v.op.name: sess.run(v) for v in tf.global_variables()}
        return sess, x, outputs, values

    tf_sess, tf_x, tf_out, values = run(tf1)
    want = tf_sess.run(tf_out, {tf_x: xv})
    sess, x, out, _ = run(tm, tm.ConfigProto(intra_op_parallelism_threads=2))
    with sess.graph.as_default():
        for name, value in values.items():  # TF's initial values (the initializers draw differently)
            sess.run(tm.assign(sess.graph.get_tensor_by_name(name + ":0"), value))
    recorded.clear()
    got = sess.run(out, {x: xv})
    if fused:
        assert _one_thread_targets(sess._compiled_modules()) == []
        assert recorded.count(("mkl", 1)) == STEPS  # each step's product
        assert recorded.count(("omp", 1)) == 0
    else:
        assert _one_thread_targets(sess._compiled_modules()) == ["tanh_one_thread"] * (2 * STEPS)
        assert recorded.count(("mkl", 1)) == 3 * STEPS  # each step's product and its two tanh calls
        assert recorded.count(("omp", 1)) == 2 * STEPS  # the tanh calls
    for a, e in zip(got, want):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)


LAYERS, CLASSES = [28, 128, 32], 10  # the seed MLP (bench/run.py seed_mlp_train)


def _mlp_training(tf, batch, config=None, runs=3):
    """``runs`` GradientDescent steps of an MLP with ReLU layers and sparse softmax cross entropy from fixed
    initial values: each step's loss, the variables after, and the session."""
    rng = np.random.default_rng(6)
    sizes = [*LAYERS, CLASSES]
    xv = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    yv = rng.integers(0, CLASSES, batch).astype(np.int32)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, sizes[0]], name="x")
        labels = tf.placeholder(tf.int32, [None], name="labels")
        h = x
        for i, (a, b) in enumerate(itertools.pairwise(sizes)):
            w = tf.Variable((rng.standard_normal((a, b)) * 0.2).astype(np.float32), name=f"w{i}")
            bias = tf.Variable((rng.standard_normal(b) * 0.1).astype(np.float32), name=f"b{i}")
            h = tf.matmul(h, w) + bias
            if i < len(sizes) - 2:
                h = tf.nn.relu(h)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=h))
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        sess = tf.Session(graph=g, config=config)
        sess.run(tf.global_variables_initializer())
        losses = [sess.run([train, loss], {x: xv, labels: yv})[1] for _ in range(runs)]
        variables = tf.global_variables()
        values = dict(zip([v.op.name for v in variables], sess.run(variables)))
    return losses, values, sess


def test_a_step_of_small_kernels_runs_whole_on_one_thread_and_matches_tf(tf1, two_threads, recorded):
    """The seed MLP's training step at two threads: one switch of the counts for the whole run (none per product,
    Log_softmax or Exp inside), TF's values, and bit for bit the values the per-kernel rules give."""
    want_losses, want_values, _ = _mlp_training(tf1, 100)
    losses, values, sess = _mlp_training(tm, 100, tm.ConfigProto(intra_op_parallelism_threads=2))
    assert recorded == ONE_THREAD_CALL * 5  # the initializer's run and the 3 steps, then the variables' read
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5)
    for name, value in want_values.items():
        np.testing.assert_allclose(values[name], value, rtol=1e-5, atol=1e-6, err_msg=name)
    recorded.clear()
    assert sess.run(sess.graph.get_tensor_by_name("Mean:0"), _feeds(sess, 100)) > 0  # the loss alone: one too
    assert recorded == ONE_THREAD_CALL
    sess.close()


def _feeds(sess, batch):
    rng = np.random.default_rng(6)
    xv = rng.standard_normal((batch, LAYERS[0])).astype(np.float32)
    yv = rng.integers(0, CLASSES, batch).astype(np.int32)
    return {sess.graph.get_tensor_by_name("x:0"): xv, sess.graph.get_tensor_by_name("labels:0"): yv}


def test_a_step_on_one_thread_gives_the_values_of_the_per_kernel_rules_and_of_one_thread(monkeypatch, two_threads):
    _, whole, _ = _mlp_training(tm, 100, runs=5)
    torch.set_num_threads(1)
    _, one, _ = _mlp_training(tm, 100, runs=5)
    torch.set_num_threads(2)
    monkeypatch.setattr(threads, "step_on_one_thread", lambda products, largest: False)
    _, kernels, _ = _mlp_training(tm, 100, runs=5)
    for name, value in whole.items():
        assert np.array_equal(value, kernels[name]) and np.array_equal(value, one[name]), name


def test_a_step_with_a_kernel_over_the_limits_is_left_to_its_kernels(tf1, two_threads, recorded, monkeypatch):
    """Batch 200: the first layer's 200x128 = 25600 elements. At ONE_THREAD_ELEMENTS 25600 the step runs whole
    on one thread, at 25599 its products switch one by one; a product over SINGLE_THREAD_BYTES keeps it off too.
    One-thread sessions switch nothing."""
    monkeypatch.setattr(threads, "ONE_THREAD_ELEMENTS", 200 * 128)
    want_losses, _, _ = _mlp_training(tf1, 200)
    losses, _, sess = _mlp_training(tm, 200, tm.ConfigProto(intra_op_parallelism_threads=2))
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5)
    assert recorded == ONE_THREAD_CALL * 5
    sess.close()
    for patch in [("ONE_THREAD_ELEMENTS", 200 * 128 - 1), ("SINGLE_THREAD_BYTES", _bytes(200, 28, 128))]:
        monkeypatch.setattr(threads, *patch)
        recorded.clear()
        losses, _, sess = _mlp_training(tm, 200, tm.ConfigProto(intra_op_parallelism_threads=2))
        np.testing.assert_allclose(losses, want_losses, rtol=1e-5)
        # whole on one thread: the initializer's run and the variables' read; not the steps (and the cross
        # entropy makes no small VML call of its own)
        assert recorded.count(("omp", 1)) == 2, patch
        assert recorded.count(("mkl", 1)) >= 3 * 3, patch  # products switched one by one
        sess.close()
    monkeypatch.setattr(threads, "ONE_THREAD_ELEMENTS", 200 * 128)
    recorded.clear()
    _mlp_training(tm, 200, tm.ConfigProto(intra_op_parallelism_threads=1))
    assert recorded == []


def _dueling_conv_training(tf, batch, size, config=None, runs=2):
    """``runs`` GradientDescent steps of examples/dqn.py's network (two small convolutions, a dueling head: a
    state value of shape (batch, 1) broadcast against mean-centred advantages (batch, 4)) on ``size`` x ``size``
    x 2 images from fixed initial values: each step's loss and the session. The head's gradient sums the (batch,
    4) gradient over its broadcast axis, with axes from BroadcastGradientArgs: folded for the fed shapes, (?,)
    to the graph."""
    rng = np.random.default_rng(7)
    xv = rng.random((batch, size, size, 2)).astype(np.float32)
    tv = rng.standard_normal(batch).astype(np.float32)

    def variable(*shape):
        return tf.Variable((rng.standard_normal(shape) * 0.1).astype(np.float32))

    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, size, size, 2], name="x")
        target = tf.placeholder(tf.float32, [None], name="target")
        h = tf.nn.relu(tf.nn.conv2d(x, variable(3, 3, 2, 8), [1, 1, 1, 1], "SAME") + variable(8))
        h = tf.nn.relu(tf.nn.conv2d(h, variable(3, 3, 8, 16), [1, 2, 2, 1], "VALID") + variable(16))
        flat = (size - 1) // 2 * ((size - 1) // 2) * 16
        h = tf.reshape(h, [-1, flat])
        advantages = tf.matmul(h, variable(flat, 4)) + variable(4)
        value = tf.matmul(h, variable(flat, 1)) + variable(1)
        q = value + (advantages - tf.reduce_mean(advantages, 1, keepdims=True))
        loss = tf.reduce_mean(tf.square(tf.reduce_max(q, 1) - target))
        train = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
        sess = tf.Session(graph=g, config=config)
        sess.run(tf.global_variables_initializer())
        losses = [sess.run([train, loss], {x: xv, target: tv})[1] for _ in range(runs)]
    return losses, sess


def test_a_small_conv_step_with_a_broadcast_gradient_runs_whole_on_one_thread(tf1, two_threads, recorded):
    """dqn.py's training step (batch 16, 5x5 images: 3200 elements at most): its broadcast gradient's Sum reads
    folded axes of unknown static shape, counted by their value, so the step still runs whole on one thread, as
    TF runs its kernels; it ran kernel by kernel at two threads, 30x the CPU time on a loaded machine."""
    want, _ = _dueling_conv_training(tf1, 16, 5)
    losses, sess = _dueling_conv_training(tm, 16, 5, tm.ConfigProto(intra_op_parallelism_threads=2))
    np.testing.assert_allclose(losses, want, rtol=1e-5)
    assert recorded == ONE_THREAD_CALL * 3  # the initializer's run and the 2 steps
    sess.close()


def test_a_large_conv_step_with_a_broadcast_gradient_is_left_to_its_kernels(two_threads, recorded):
    """The same network on 32x32 images: the first convolution's output, 16x32x32x8 elements, is over
    ONE_THREAD_ELEMENTS, so the step runs multi-threaded (only the initializer's run switches)."""
    _, sess = _dueling_conv_training(tm, 16, 32, tm.ConfigProto(intra_op_parallelism_threads=2))
    assert recorded.count(("omp", 1)) == 1
    sess.close()
