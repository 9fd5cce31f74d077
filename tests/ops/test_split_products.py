"""Products split over threads (matmul_ops.split_product, threads.run_parallel): with more than one intra-op
thread, a large float MatMul (and a fused MatMul + bias (+ Relu)) whose x is row-major runs as one-thread MKL
products into disjoint blocks of its result, on the calling thread and helper threads at the same time. A dense
layer's forward and input gradient take it at two threads and not at one, and must equal TensorFlow's at both."""

import numpy as np
import pytest
import torch

import torchmeta as tm
from torchmeta.ops import matmul_ops, threads

BATCH, FEATURES, UNITS, CLASSES = 32, 1024, 512, 10  # x @ w: 2.3 MB of operands and result, 34 MFLOP


@pytest.fixture
def recorded_splits(monkeypatch):
    """The number of blocks of each product ``run_parallel`` ran, in order."""
    if threads.switch.load() is None:
        pytest.skip("torch has no MKL and OpenMP whose thread-local counts can be set")
    calls = []
    run_parallel = threads.run_parallel

    def record(parts):
        calls.append(len(parts))
        return run_parallel(parts)

    monkeypatch.setattr(threads, "run_parallel", record)
    return calls


@pytest.fixture
def thread_count():
    saved = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(saved)


def _dense_layers(tf, values, config=None):
    """relu(x @ w1 + b1) @ w2 + b2, a softmax cross-entropy loss: the logits and the gradients of the loss with
    respect to x, w1 and b1."""
    x_value, labels_value, w1, b1, w2, b2 = values
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, FEATURES], name="x")
        labels = tf.placeholder(tf.int64, [None], name="labels")
        v1, c1 = tf.Variable(w1, name="w1"), tf.Variable(b1, name="b1")
        v2, c2 = tf.Variable(w2, name="w2"), tf.Variable(b2, name="b2")
        hidden = tf.nn.relu(tf.matmul(x, v1) + c1)
        logits = tf.matmul(hidden, v2) + c2
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        grads = tf.gradients(loss, [x, v1, c1])
        with tf.Session(graph=g, config=config) as sess:
            sess.run(tf.global_variables_initializer())
            return sess.run([logits, *grads], {x: x_value, labels: labels_value})


def _values():
    rng = np.random.default_rng(0)
    return (
        rng.standard_normal((BATCH, FEATURES)).astype(np.float32),
        rng.integers(0, CLASSES, BATCH),
        (rng.standard_normal((FEATURES, UNITS)) * 0.03).astype(np.float32),
        np.full(UNITS, 0.1, np.float32),
        (rng.standard_normal((UNITS, CLASSES)) * 0.05).astype(np.float32),
        np.full(CLASSES, 0.1, np.float32),
    )


@pytest.fixture
def recorded_onednn(monkeypatch):
    """The shapes of x and y of each product ``onednn_product`` computed, in order."""
    calls = []
    onednn_product = matmul_ops.onednn_product

    def record(x, y, bias=None, relu=False):
        calls.append((tuple(x.shape), tuple(y.shape)))
        return onednn_product(x, y, bias, relu)

    monkeypatch.setattr(matmul_ops, "onednn_product", record)
    return calls


@pytest.mark.parametrize("avx512", [False, True], ids=["avx2", "avx512"])
@pytest.mark.parametrize("count", [1, 2])
def test_a_dense_layer_is_split_or_onednn_at_two_threads_and_matches_tf(
    tf1, recorded_splits, recorded_onednn, thread_count, monkeypatch, count, avx512
):
    """Two threads: the fused forward (x @ w1 + b1, Relu) and the input gradient (dy @ w1^T) are split in two
    blocks each on an AVX2 CPU; on an AVX-512 one they and the weight gradient (x^T @ dy) go to oneDNN. The
    10-logit products stay with MKL, and at one thread everything. (The path is chosen per CPU; both run here.)"""
    if avx512 and not torch.backends.mkldnn.is_available():
        pytest.skip("torch has no oneDNN")
    monkeypatch.setattr(matmul_ops, "_AVX512", avx512)
    values = _values()
    want = _dense_layers(tf1, values)
    thread_count(count)
    got = _dense_layers(tm, values, tm.ConfigProto(intra_op_parallelism_threads=count))
    assert recorded_splits == ([2, 2] if count == 2 and not avx512 else [])
    b, f, u = BATCH, FEATURES, UNITS
    onednn = [((b, f), (f, u)), ((b, u), (u, f)), ((f, b), (b, u))]  # forward, input and weight gradients
    assert recorded_onednn == (onednn if count == 2 and avx512 else [])
    for name, a, e in zip(["logits", "dx", "dw1", "db1"], got, want):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize(
    "m,k,n,bias",
    [
        (32, 1024, 512, False),  # columns, two blocks of 256
        (32, 1024, 520, True),  # columns: 272 + 248 (float64: 264 + 256)
        (1500, 600, 100, True),  # rows: 750 + 750 (three threads: 500 each)
        (1001, 600, 100, False),  # rows: 501 + 500 (three threads: 334 + 334 + 333)
    ],
)
@pytest.mark.parametrize("count", [2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_split_product_is_the_product(thread_count, m, k, n, bias, count, dtype):
    rng = np.random.default_rng(1)
    x = torch.from_numpy(rng.standard_normal((m, k)).astype(dtype))
    y = torch.from_numpy(rng.standard_normal((k, n)).astype(dtype))
    b = torch.from_numpy(rng.standard_normal(n).astype(dtype)) if bias else None
    thread_count(count)
    assert matmul_ops._splits(x, y, b)
    got = matmul_ops.split_product(x, y, b)
    if got is None:
        pytest.skip("torch has no MKL and OpenMP whose thread-local counts can be set")
    want = x.double() @ y.double() + (b.double() if bias else 0)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-4 * np.sqrt(k))
    # the product on one thread, to the last bits: bit for bit on the AVX2 machine where MKL keeps its order per
    # element; on an AVX-512 Xeon MKL's kernels for a third of the columns round otherwise (up to 6e-5 at
    # k = 1024, values ~30: a few ulps of the sum's terms)
    thread_count(1)
    whole = torch.mm(x, y) if b is None else torch.addmm(b, x, y)
    ulp = np.finfo(dtype).eps * np.sqrt(k) * float(x.abs().max() * y.abs().max())
    np.testing.assert_allclose(got.numpy(), whole.numpy(), rtol=1e-6, atol=16 * ulp)


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("bias", [False, True, "strided"])
@pytest.mark.parametrize("transposed", ["x", "y", None])
def test_onednn_product_is_the_product(thread_count, transposed, bias, relu):
    """oneDNN's matmul of x and y as they lie (a weight gradient's x^T, an input gradient's w^T: views), with
    a bias that may be a strided view (which torch's oneDNN linear reads as if contiguous)."""
    if not torch.backends.mkldnn.is_available():
        pytest.skip("torch has no oneDNN")
    rng = np.random.default_rng(2)
    m, k, n = 128, 784, 520
    x = torch.from_numpy(rng.standard_normal((k, m) if transposed == "x" else (m, k)).astype(np.float32))
    y = torch.from_numpy(rng.standard_normal((n, k) if transposed == "y" else (k, n)).astype(np.float32))
    x, y = (x.t() if transposed == "x" else x), (y.t() if transposed == "y" else y)
    b = torch.from_numpy(rng.standard_normal(2 * n).astype(np.float32))[:: 1 + (bias == "strided")][:n]
    b = b if bias else None
    thread_count(2)
    got = matmul_ops.onednn_product(x, y, b, relu).numpy()
    want = x.double() @ y.double() + (b.double() if bias else 0)
    want = want.clamp(min=0) if relu else want
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=1e-4 * np.sqrt(k))


def test_transposed_small_or_one_thread_products_are_not_split(thread_count):
    thread_count(2)
    x, y = torch.randn(32, 1024), torch.randn(1024, 512)
    assert matmul_ops._splits(x, y, None)
    assert not matmul_ops._splits(x.t().contiguous().t(), y, None)  # a weight gradient's x^T
    assert not matmul_ops._splits(x[:, :64], y[:64], None)  # 2 MFLOP
    assert not matmul_ops._splits(x[:16], y, None)  # 17 MFLOP: one block's worth
    assert not matmul_ops._splits(x.double(), y, None)
    assert not matmul_ops._splits(x.requires_grad_(), y, None)


def test_an_error_in_a_block_is_raised_and_the_helpers_go_on(thread_count):
    if threads.switch.load() is None:
        pytest.skip("torch has no MKL and OpenMP whose thread-local counts can be set")
    ran = []

    def fails():
        raise RuntimeError("block failed")

    with pytest.raises(RuntimeError, match="block failed"):
        threads.run_parallel([lambda: ran.append(0), fails])
    assert ran == [0]
    threads.run_parallel([lambda: ran.append(1), lambda: ran.append(2), lambda: ran.append(3)])
    assert sorted(ran) == [0, 1, 2, 3]


@pytest.mark.parametrize("avx512", [False, True], ids=["avx2", "avx512"])
def test_a_narrow_product_is_transposed_except_on_avx512(monkeypatch, avx512):
    """A 10-column product (a classifier's logits) is computed as its transpose where MKL's narrow product is
    slow (the AVX2 EPYC), and as it is on an AVX-512 CPU, where MKL's is the faster; the value is the same."""
    monkeypatch.setattr(matmul_ops, "_AVX512", avx512)
    calls = []
    run_product = matmul_ops.run_product

    def record(fn, *args):
        calls.append(tuple(args[-2].shape))
        return run_product(fn, *args)

    monkeypatch.setattr(matmul_ops, "run_product", record)
    rng = np.random.default_rng(3)
    x = torch.from_numpy(rng.standard_normal((BATCH * 4, FEATURES)).astype(np.float32))
    y = torch.from_numpy(rng.standard_normal((FEATURES, CLASSES)).astype(np.float32))
    b = torch.from_numpy(rng.standard_normal(CLASSES).astype(np.float32))
    got = matmul_ops.matrix_product(x, y, b)
    assert calls == [(BATCH * 4, FEATURES) if avx512 else (CLASSES, FEATURES)]
    want = x.double() @ y.double() + b.double()
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-4 * np.sqrt(FEATURES))


@pytest.mark.parametrize(
    "m,k,n",
    [
        (784, 128, 1024),  # a weight gradient x^T @ dy added into its weight: columns, two blocks of 512
        (1500, 64, 300),  # rows: 750 + 750 (three threads: 500 each)
    ],
)
@pytest.mark.parametrize("count", [1, 2, 3])
def test_add_product_adds_the_scaled_product_in_place(thread_count, recorded_splits, m, k, n, count):
    """matmul_ops.add_product_ (GradientDescent folded into a weight gradient's product): out += alpha * x^T @ dy
    in place, x^T a transposed view, split over the threads where the product is one TF runs on several."""
    rng = np.random.default_rng(4)
    x = torch.from_numpy(rng.standard_normal((k, m)).astype(np.float32))
    dy = torch.from_numpy(rng.standard_normal((k, n)).astype(np.float32))
    w0 = torch.from_numpy(rng.standard_normal((m, n)).astype(np.float32))
    out = w0.clone()
    thread_count(count)
    assert matmul_ops.add_product_(out, x.t(), dy, -0.125) is out
    assert recorded_splits == ([count] if count > 1 else [])
    want = w0.double() - 0.125 * (x.double().t() @ dy.double())
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)
