"""Specializations (runtime/specialize.py) rewrite what runs, never the numbers: graphs built by TensorFlow
run here with TF's results, and the generated code shows that the rewrite happened."""

import numpy as np
import pytest

import torchmeta as tm
from tests.runtime.tf_graphs import assert_same
from torchmeta.runtime import specialize_lstm

RNG = np.random.RandomState(0)


@pytest.fixture
def v1_control_flow(tf1):
    import tensorflow as tf

    tf.compat.v1.disable_control_flow_v2()
    return tf1


def _run_both(build, feed_sets):
    """Runs ``build(tf, v1) -> fetches`` in TF and here, once per feed dict (placeholder name -> value);
    returns TF's results, ours, and the code of every module we lowered (loop bodies included). The GraphDef
    keeps the static shapes TF knew (``_output_shapes``, as a MetaGraph does), which specializing needs in
    gradient loops (a StackPopV2 has no shape of its own)."""
    import tensorflow as tf

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        fetches = [f.name for f in build(tf, v1)]
        graph_def = g.as_graph_def(add_shapes=True)
    with v1.Session(graph=g) as sess:
        want = [sess.run(fetches, {f"{k}:0": v for k, v in feeds.items()}) for feeds in feed_sets]
    ours = tm.Graph()
    with ours.as_default():
        tm.import_graph_def(graph_def, name="")
        with tm.Session() as sess:
            got = [sess.run(fetches, {f"{k}:0": v for k, v in feeds.items()}) for feeds in feed_sets]
            code = "\n".join(gm.code for gm in sess._compiled_modules())
    return want, got, code


@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
@pytest.mark.parametrize(("begin", "size"), [([0, 3], [-1, 4]), ([1, 0], [3, -1]), ([2, 1], [2, 5])])
def test_a_slice_of_a_product_multiplies_only_what_it_keeps(tf1, transpose_a, transpose_b, begin, size):
    a_shape = [6, 5] if transpose_a else [5, 6]
    b_shape = [8, 6] if transpose_b else [6, 8]

    def build(tf, v1):
        a = v1.placeholder(tf.float32, a_shape, name="a")
        b = v1.placeholder(tf.float32, b_shape, name="b")
        product = tf.matmul(a, b, transpose_a=transpose_a, transpose_b=transpose_b)
        return [tf.slice(product, begin, size)]

    feeds = {"a": RNG.randn(*a_shape).astype(np.float32), "b": RNG.randn(*b_shape).astype(np.float32)}
    want, got, code = _run_both(build, [feeds])
    assert_same(want[0], got[0])
    assert "sliced_matmul" in code and "mat_mul" not in code


def test_a_product_read_elsewhere_is_multiplied_whole(tf1):
    def build(tf, v1):
        a = v1.placeholder(tf.float32, [4, 3], name="a")
        b = v1.placeholder(tf.float32, [3, 6], name="b")
        product = tf.matmul(a, b)
        return [tf.slice(product, [0, 2], [-1, 2]), tf.reduce_sum(product)]

    feeds = {"a": RNG.randn(4, 3).astype(np.float32), "b": RNG.randn(3, 6).astype(np.float32)}
    want, got, code = _run_both(build, [feeds])
    assert_same(want[0], got[0])
    assert "sliced_matmul" not in code and "mat_mul" in code


def _recurrent_gradients(tf, v1):
    """h = tanh(concat([x_t, h]) @ w + b) over 6 steps; the gradients of sum(h^2) for w, b and h0 (not x:
    only the h half of concat's gradient is used in the gradient loop)."""
    x = v1.placeholder(tf.float32, [6, 4, 3], name="x")
    w = v1.placeholder(tf.float32, [8, 5], name="w")
    b = v1.placeholder(tf.float32, [5], name="b")
    h0 = v1.placeholder(tf.float32, [4, 5], name="h0")

    def body(i, h):
        return i + 1, tf.tanh(tf.nn.bias_add(tf.matmul(tf.concat([tf.gather(x, i), h], 1), w), b))

    _, h = tf.while_loop(lambda i, h: i < 6, body, [tf.constant(0), h0])
    loss = tf.reduce_sum(h * h)
    return [loss, *tf.gradients(loss, [w, b, h0])]


def test_gradient_loop_multiplies_only_the_used_half_by_the_invariant_weight(v1_control_flow):
    def feeds():
        return {
            "x": RNG.randn(6, 4, 3).astype(np.float32),
            "w": (RNG.randn(8, 5) * 0.5).astype(np.float32),
            "b": RNG.randn(5).astype(np.float32),
            "h0": RNG.randn(4, 5).astype(np.float32),
        }

    # Two runs with different weights: the weight's laid-out half is made again for the new one.
    want, got, code = _run_both(_recurrent_gradients, [feeds(), feeds()])
    for w, g in zip(want, got):
        assert_same(w, g)
    assert "sliced_matmul_invariant_b" in code


def test_arithmetic_of_known_shapes_calls_torch_directly(tf1):
    def build(tf, v1):
        x = v1.placeholder(tf.float32, [3, 4], name="x")
        y = v1.placeholder(tf.float32, [4], name="y")
        n = v1.placeholder(tf.int32, [], name="n")
        z = v1.placeholder(tf.float32, [None, 4], name="z")
        return [(x * y + x) - y, n * 3 + n - 1, z * y]

    feeds = {
        "x": RNG.randn(3, 4).astype(np.float32),
        "y": RNG.randn(4).astype(np.float32),
        "n": np.int32(7),
        "z": RNG.randn(2, 4).astype(np.float32),
    }
    want, got, code = _run_both(build, [feeds])
    assert_same(want[0], got[0])
    assert "torch.mul(" in code and "torch.add(" in code and "torch.sub(" in code
    assert "math_ops_mul" not in code  # z's rows are known once fed: its Mul is direct too


def _lstm_cell_gradients(tf, v1):
    """Two steps of an LSTM cell (TF's BasicLSTMCell arithmetic: sigmoid gates, tanh of j and of c) and the
    gradients of its last h for the gates' weight, bias and the first state; SigmoidGrad and TanhGrad of
    fully known shapes throughout."""
    x = v1.placeholder(tf.float32, [2, 4, 3], name="x")
    w = v1.placeholder(tf.float32, [8, 20], name="w")
    b = v1.placeholder(tf.float32, [20], name="b")
    c0 = v1.placeholder(tf.float32, [4, 5], name="c0")
    h, c = tf.zeros([4, 5]), c0
    for t in range(2):
        gates = tf.nn.bias_add(tf.matmul(tf.concat([x[t], h], 1), w), b)
        i, j, f, o = tf.split(gates, 4, axis=1)
        c = c * tf.sigmoid(f + 1.0) + tf.sigmoid(i) * tf.tanh(j)
        h = tf.tanh(c) * tf.sigmoid(o)
    loss = tf.reduce_sum(h * h)
    return [loss, *tf.gradients(loss, [w, b, c0])]


def test_sigmoid_and_tanh_gradients_of_known_shapes_call_torchs_backward_directly(tf1, monkeypatch):
    """SigmoidGrad/TanhGrad of float operands of one known shape run as torch's one-pass backward without the
    registered kernel's checks (specialize.sigmoid_grad_direct/tanh_grad_direct), with TF's values; y and dy
    of different shapes (TF only compares element counts) keep the registered kernel. (The LSTM cell's ops
    one by one: its fusion, test_specialize_lstm.py, would take them.)"""
    monkeypatch.setattr(specialize_lstm, "fuse_lstm_cells", lambda *args: None)
    feeds = {
        "x": RNG.randn(2, 4, 3).astype(np.float32),
        "w": (RNG.randn(8, 20) * 0.5).astype(np.float32),
        "b": RNG.randn(20).astype(np.float32),
        "c0": RNG.randn(4, 5).astype(np.float32),
    }
    want, got, code = _run_both(_lstm_cell_gradients, [feeds])
    assert_same(want[0], got[0])
    assert "sigmoid_grad_direct(" in code and "tanh_grad_direct(" in code
    assert "unary_ops_sigmoid_grad(" not in code and "unary_ops_tanh_grad(" not in code

    def build(tf, v1):
        y = v1.placeholder(tf.float32, [2, 3], name="y")
        dy = v1.placeholder(tf.float32, [6], name="dy")
        return [tf.raw_ops.SigmoidGrad(y=y, dy=dy), tf.raw_ops.TanhGrad(y=y, dy=dy)]

    feeds = {"y": RNG.rand(2, 3).astype(np.float32), "dy": RNG.randn(6).astype(np.float32)}
    want, got, code = _run_both(build, [feeds])
    assert_same(want[0], got[0])
    assert "unary_ops_sigmoid_grad(" in code and "unary_ops_tanh_grad(" in code
    assert "_grad_direct(" not in code


def test_broadcasting_failure_keeps_tfs_error(tf1):
    def build(tf, v1):
        x = v1.placeholder(tf.float32, [None], name="x")
        y = v1.placeholder(tf.float32, [None], name="y")
        return [x * y]

    import tensorflow as tf

    feeds = {"x": np.ones(3, np.float32), "y": np.ones(2, np.float32)}
    with pytest.raises(tf.errors.InvalidArgumentError):
        _run_both(build, [feeds])
    g = tm.Graph()
    with g.as_default():
        x = tm.placeholder(tm.float32, [None], name="x")
        y = tm.placeholder(tm.float32, [None], name="y")
        with (
            tm.Session() as sess,
            pytest.raises(tm.errors.InvalidArgumentError, match=r"Incompatible shapes: \[3\] vs. \[2\]"),
        ):
            sess.run(x * y, {x: feeds["x"], y: feeds["y"]})


def test_a_narrow_dense_layer_and_its_gradients_are_tfs(tf1):
    """A MatMul + bias add with 10 columns (a classifier's logits), and the gradient of its weight, are computed
    as their transposes (matmul_ops.matrix_product); the values are TF's."""
    rng = np.random.RandomState(7)  # (the module's RNG would change the values of the tests after this one)

    def build(tf, v1):
        x = v1.placeholder(tf.float32, [None, 1024], name="x")
        w = tf.constant(rng.randn(1024, 10).astype(np.float32))
        b = tf.constant(rng.randn(10).astype(np.float32))
        logits = tf.nn.bias_add(tf.matmul(x, w), b)
        return [logits, *tf.gradients(tf.reduce_sum(logits * logits), [x, w, b])]

    want, got, code = _run_both(build, [{"x": rng.randn(64, 1024).astype(np.float32)}])
    assert_same(want[0], got[0], rtol=1e-5, atol=1e-3)
    assert "fused_matmul_bias(" in code


@pytest.mark.parametrize("fetch_sum", [False, True], ids=["relu-only", "sum-fetched"])
def test_matmul_bias_relu_is_one_call_and_its_gradients_are_tfs(tf1, fetch_sum):
    """MatMul + BiasAdd + Relu (tf.layers.dense with a relu) and MatMul + AddV2 + Relu run as one call whose
    sum is rectified in place, unless the sum is read elsewhere (here: fetched); outputs and the gradients
    (through ReluGrad of the Relu's output) are TF's."""

    def build(tf, v1):
        x = v1.placeholder(tf.float32, [None, 5], name="x")
        w1 = tf.constant(RNG.randn(5, 7).astype(np.float32))
        b1 = tf.constant(RNG.randn(7).astype(np.float32))
        pre = tf.nn.bias_add(tf.matmul(x, w1), b1)
        h = tf.nn.relu(pre)
        w2 = tf.constant(RNG.randn(7, 3).astype(np.float32))
        out = tf.nn.relu(tf.matmul(h, w2) + tf.constant(RNG.randn(3).astype(np.float32)))
        grads = tf.gradients(tf.reduce_sum(out * out), [x, w1, b1])
        return [out, *grads, *([pre] if fetch_sum else [])]

    want, got, code = _run_both(build, [{"x": RNG.randn(4, 5).astype(np.float32)}])
    assert_same(want[0], got[0])
    assert code.count("fused_matmul_bias_relu(") == (1 if fetch_sum else 2)


def test_a_large_mean_loss_uniform_gradient_is_folded(tf1):
    """reduce_mean's gradient over 80,000 elements (over FOLD_LIMIT): the Tile of the incoming gradient and its
    RealDiv by the count have one value everywhere and are folded (specialize_common.uniform); a Tile of two
    values as large is not. TF's numbers bit for bit."""

    def build(tf, v1):
        x = v1.placeholder(tf.float32, [40, 20, 100], name="x")
        t = v1.placeholder(tf.float32, [40, 20, 100], name="t")
        loss = tf.reduce_mean(tf.square(x - t))
        other = tf.tile(tf.constant([[1.5, -2.0]]), [40000, 1]) * x[0, 0, 0]
        return [loss, *tf.gradients(loss, [x]), other]

    feeds = {"x": RNG.randn(40, 20, 100).astype(np.float32), "t": RNG.randn(40, 20, 100).astype(np.float32)}
    want, got, code = _run_both(build, [feeds])
    assert_same(want[0][:1], got[0][:1])
    assert_same(want[0][1:], got[0][1:], rtol=0, atol=0)  # (the gradient's products, and the Tile's)
    assert "real_div" not in code and code.count("tile(") == 1  # (the Tile of [1.5, -2.0] runs)


def test_uniform_values_are_those_of_one_bit_pattern():
    """Folding keeps a large value as one element broadcast only where every element has that element's bits:
    not -0.0 among 0.0, a NaN among the same NaNs; ``whole`` gives it back as a tensor of its own."""
    import torch

    from torchmeta.runtime.specialize_common import UNIFORM_FOLD_BYTES, uniform, whole

    n = 70_000
    zeros = torch.zeros(n)
    folded = uniform(zeros.reshape(7, -1))
    assert folded.shape == (7, 10_000) and folded.stride() == (0, 0)
    assert torch.equal(whole(folded), torch.zeros(7, 10_000)) and whole(folded).stride() == (10_000, 1)
    signed = zeros.clone()
    signed[-1] = -0.0
    assert uniform(signed) is None
    assert uniform(torch.full((n,), float("nan"))) is not None
    assert uniform(torch.arange(n)) is None
    assert uniform(torch.ones(UNIFORM_FOLD_BYTES // 4 + 1)) is None
    assert uniform(torch.ones(n, dtype=torch.bool)).dtype == torch.bool
