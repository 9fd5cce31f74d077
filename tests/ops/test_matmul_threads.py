"""Threads per product (ops/matmul_ops.py ``run_product``): with more than one intra-op thread, a product whose
operands and result fit in the L2 cache runs on the calling thread alone, as TF's oneDNN MatMul decides
(``ExecuteSingleThreadedGemm``); larger ones and one-thread sessions are left alone. The recurrent training
steps that take this path (unrolled and while-loop LSTMs at two threads) must still equal TensorFlow's."""

import ctypes
import os

import numpy as np
import pytest
import torch

import torchmeta as tm
from torchmeta.ops import matmul_ops


@pytest.fixture
def two_threads():
    saved = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(saved)


@pytest.fixture
def recorded(monkeypatch):
    """The thread counts ``run_product`` sets (MKL's thread-local count), recorded and passed on."""
    set_threads = matmul_ops.mkl_local_threads.load()
    if set_threads is None:
        pytest.skip("torch has no MKL whose thread-local thread count can be set")
    calls = []

    def record(n):
        calls.append(n)
        return set_threads(n)

    monkeypatch.setattr(matmul_ops.mkl_local_threads, "fn", record)
    return calls


def _bytes(m, k, n):
    return 4 * (m * n + k * (m + n))


def test_the_rule_is_tfs_l2_size_times_1_01():
    assert int(1.01 * matmul_ops.l2_cache_bytes()) == matmul_ops.SINGLE_THREAD_BYTES
    assert matmul_ops.l2_cache_bytes() >= 64 * 1024


def test_a_small_product_runs_on_one_thread_and_the_count_is_restored(two_threads, recorded, monkeypatch):
    a, b = torch.randn(64, 512), torch.randn(512, 128)
    monkeypatch.setattr(matmul_ops, "SINGLE_THREAD_BYTES", _bytes(64, 512, 128) + 1)
    out = matmul_ops.mat_mul(a, b, False, False)
    assert recorded[0] == 1 and len(recorded) == 2  # one thread, then the previous count back
    assert torch.equal(out, torch.mm(a, b))


def test_a_product_at_the_limit_and_one_thread_sessions_are_left_alone(two_threads, recorded, monkeypatch):
    a, b = torch.randn(64, 512), torch.randn(128, 512)
    monkeypatch.setattr(matmul_ops, "SINGLE_THREAD_BYTES", _bytes(64, 512, 128))
    matmul_ops.mat_mul(a, b, False, True)
    assert recorded == []
    monkeypatch.setattr(matmul_ops, "SINGLE_THREAD_BYTES", _bytes(64, 512, 128) + 1)
    torch.set_num_threads(1)
    matmul_ops.mat_mul(a, b, False, True)
    assert recorded == []
    torch.set_num_threads(2)
    matmul_ops.mat_mul(a, b, False, True)
    assert recorded[0] == 1


def test_a_product_that_fails_fails_with_matmuls_own_error(two_threads, recorded):
    with pytest.raises(tm.errors.InvalidArgumentError, match=r"Matrix size-incompatible: In\[0\]: \[2,3\]"):
        matmul_ops.mat_mul(torch.randn(2, 3), torch.randn(4, 5), False, False)
    assert recorded == [1, recorded[1]]  # restored after the failure too


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
    if matmul_ops.mkl_local_threads.load() is None:
        pytest.skip("torch has no MKL whose thread-local thread count can be set")
    a, b = torch.randn(64, 512), torch.randn(512, 128)
    assert _mkl_verbose_threads(capfd, lambda: matmul_ops.mat_mul(a, b, False, False)) == ["NThr:1"]
    # the count was restored: without the rule, the same product is split over both threads
    monkeypatch.setattr(matmul_ops, "SINGLE_THREAD_BYTES", 0)
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
def test_lstm_training_at_two_threads_takes_the_one_thread_products_and_matches_tf(tf1, kind, two_threads, recorded):
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((BATCH, STEPS, FEATURES)).astype(np.float32) for _ in range(3)]
    want_losses, want_values = _lstm_training(tf1, kind, xs)
    config = tm.ConfigProto(intra_op_parallelism_threads=2)
    losses, values = _lstm_training(tm, kind, xs, config)
    assert recorded.count(1) >= 3 * STEPS  # at least one product per step ran on one thread
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5)
    assert sorted(values) == sorted(want_values)
    for name, value in want_values.items():
        np.testing.assert_allclose(values[name], value, rtol=1e-5, atol=1e-5, err_msg=name)
