"""A dense layer's weight packed once for MKL's packed product and kept between runs (matmul_ops.kept_weight_product,
specialization's ``keep_weight``): every run equals TensorFlow's, across assignments of the weight, and the packed
copy is used exactly where it is valid."""

import numpy as np
import pytest
import torch

import torchmeta as tm
from torchmeta.ops import matmul_ops
from torchmeta.runtime import specialize

ROWS, IN, OUT = 16, 1024, 512  # (a weight of 2**19 elements: matmul_ops._PACKED_MIN_WEIGHT)


@pytest.fixture
def one_thread(torch_threads):
    torch_threads(1)


@pytest.fixture
def packed_calls(monkeypatch):
    """Whether each call of kept_weight_product used the packed weight."""
    calls = []
    kept = matmul_ops.kept_weight_product

    def recording(*args):
        out = kept(*args)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(matmul_ops, "kept_weight_product", recording)
    return calls


CASES = {
    "relu": dict(relu=True),
    "transposed": dict(transpose_b=True),
    "resource": dict(relu=True, resource=True),
}


def _runs(tf, case, x_value, weights, bias_value):
    """The layer's output on seven runs: three, an assignment of the weight, two, a load of the weight, one."""
    shape = [OUT, IN] if case.get("transpose_b") else [IN, OUT]
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, IN], name="x")
        if case.get("resource"):
            w = tf.get_variable("w", initializer=weights[0].reshape(shape), use_resource=True)
        else:
            w = tf.Variable(weights[0].reshape(shape), name="w")
        b = tf.Variable(bias_value, name="b")
        y = tf.matmul(x, w, transpose_b=case.get("transpose_b", False)) + b
        if case.get("relu"):
            y = tf.nn.relu(y)
        assign = (
            tf.assign(w, weights[1].reshape(shape)) if not case.get("resource") else w.assign(weights[1].reshape(shape))
        )
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            out = [sess.run(y, {x: x_value}) for _ in range(3)]
            sess.run(assign)
            out += [sess.run(y, {x: x_value}) for _ in range(2)]
            w.load(weights[2].reshape(shape), sess)
            out.append(sess.run(y, {x: x_value}))
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_kept_packed_weight_follows_assignments(tf1, name, one_thread, packed_calls):
    case = CASES[name]
    rng = np.random.default_rng(3)
    x_value = rng.standard_normal((ROWS, IN)).astype(np.float32)
    weights = [(rng.standard_normal((IN, OUT)) * 0.05).astype(np.float32) for _ in range(3)]
    bias_value = rng.standard_normal(OUT).astype(np.float32)
    theirs = _runs(tf1, case, x_value, weights, bias_value)
    ours = _runs(tm, case, x_value, weights, bias_value)
    for i, (a, e) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5, err_msg=f"run {i}")
    # packed from the second run with the same weight on; made afresh after the assignment and the load
    assert packed_calls == [False, True, True, False, True, False]


def test_a_weight_updated_every_step_is_never_packed(tf1, one_thread, packed_calls):
    """A training step changes the weight each step: each product runs unpacked (no packing per step)."""
    rng = np.random.default_rng(4)
    x_value = rng.standard_normal((ROWS, IN)).astype(np.float32)
    w_value = (rng.standard_normal((IN, OUT)) * 0.05).astype(np.float32)

    def steps(tf):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [None, IN], name="x")
            w = tf.Variable(w_value, name="w")
            y = tf.nn.relu(tf.matmul(x, w) + tf.Variable(np.zeros(OUT, np.float32)))
            train = tf.train.GradientDescentOptimizer(0.01).minimize(tf.reduce_sum(y * y))
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                return [sess.run([y, train], {x: x_value})[0] for _ in range(4)]

    for i, (a, e) in enumerate(zip(steps(tm), steps(tf1), strict=True)):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-4, err_msg=f"step {i}")
    assert packed_calls and not any(packed_calls)


def test_a_fed_weight_is_not_kept(tf1, one_thread):
    """A weight fed as the same torch tensor on every run, refilled through a numpy view in between (no version
    change): its fusion does not keep the weight (no ``keep_weight``), so each run reads what it is given."""
    rng = np.random.default_rng(5)
    x_value = rng.standard_normal((ROWS, IN)).astype(np.float32)
    weights = [(rng.standard_normal((IN, OUT)) * 0.05).astype(np.float32) for _ in range(3)]
    bias_value = rng.standard_normal(OUT).astype(np.float32)

    def build(tf):
        w = tf.placeholder(tf.float32, [IN, OUT], name="w")
        return w, tf.nn.relu(tf.matmul(tf.constant(x_value), w) + tf.constant(bias_value))

    with tf1.Graph().as_default():
        w, y = build(tf1)
        with tf1.Session() as sess:
            theirs = [sess.run(y, {w: v}) for v in weights]
    with tm.Graph().as_default():
        w, y = build(tm)
        with tm.Session() as sess:
            fed = torch.from_numpy(weights[0].copy())
            ours = []
            for v in weights:
                fed.numpy()[:] = v
                ours.append(sess.run(y, {w: fed}))
            modules = sess._compiled_modules()
    for run, (a, e) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5, err_msg=f"run {run}")
    fused = [n for m in modules for n in m.graph.nodes if n.target is specialize.fused_matmul_bias_relu]
    assert fused and not any(n.kwargs.get("keep_weight") for n in fused)


def test_a_fed_input_of_another_inner_size_after_packing_fails_as_before(tf1, one_thread, packed_calls):
    """x of unknown static shape: once the weight is packed, a run with an x whose inner size differs from the
    weight's fails as it did before (MKL's packed product would read past x: kept_weight_product checks the sizes,
    and the run's shapes are checked before it)."""
    rng = np.random.default_rng(6)
    w_value = (rng.standard_normal((IN, OUT)) * 0.05).astype(np.float32)
    good = rng.standard_normal((ROWS, IN)).astype(np.float32)
    with tm.Graph().as_default():
        x = tm.placeholder(tm.float32, [None, None], name="x")
        y = tm.nn.relu(tm.matmul(x, tm.Variable(w_value)) + tm.Variable(np.zeros(OUT, np.float32)))
        with tm.Session() as sess:
            sess.run(tm.global_variables_initializer())
            for _ in range(2):
                sess.run(y, {x: good})
            with pytest.raises(tm.errors.InvalidArgumentError):
                sess.run(y, {x: good[:, : IN - 24]})
    assert packed_calls[:2] == [False, True]


@pytest.mark.parametrize("second", ["other-rows", "transposed"])
def test_a_tied_weight_keeps_a_packed_copy_for_each_of_its_products(tf1, second, one_thread, packed_calls):
    """One weight read by two dense layers of a step (tied: another batch of rows, or the transposed weight, as a
    decoder tied to its embedding): every run equals TensorFlow's, and each product uses its own packed copy from
    the second run on (one copy kept per weight value made them evict each other: never packed)."""
    rng = np.random.default_rng(7)
    w_value = (rng.standard_normal((IN, OUT)) * 0.05).astype(np.float32)
    x1 = rng.standard_normal((ROWS, IN)).astype(np.float32)
    x2 = rng.standard_normal((ROWS, OUT) if second == "transposed" else (2 * ROWS, IN)).astype(np.float32)
    bias = rng.standard_normal(OUT).astype(np.float32)

    def runs(tf):
        with tf.Graph().as_default():
            w = tf.Variable(w_value, name="w")
            a = tf.placeholder(tf.float32, [None, IN], name="a")
            y1 = tf.nn.relu(tf.matmul(a, w) + tf.Variable(bias))
            b = tf.placeholder(tf.float32, [None, x2.shape[1]], name="b")
            n = IN if second == "transposed" else OUT
            y2 = tf.matmul(b, w, transpose_b=second == "transposed") + tf.Variable(np.ones(n, np.float32))
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                return [sess.run([y1, y2], {a: x1, b: x2}) for _ in range(3)]

    theirs = runs(tf1)
    packed_calls.clear()
    ours = runs(tm)
    for run, (a, e) in enumerate(zip(ours, theirs, strict=True)):
        for got, want in zip(a, e, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=f"run {run}")
    assert packed_calls == [False, False, True, True, True, True]
