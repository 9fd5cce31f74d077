"""ConfigProto(torch_compile=True) (runtime/compiled.py): a whole training step is one graph for torch.compile,
compiled steps give TensorFlow's numbers, variables updated by compiled steps are what eager runs see (and the
other way round), and each feed-shape signature compiles once."""

import itertools
import logging

import numpy as np
import pytest
import torch

import torchmeta as tm
from tests.runtime.tf_graphs import tf_message
from torchmeta import errors
from torchmeta.ops import batch_norm_native, depthwise_native, lrn_native, training_native


def seed_mlp(tf, batch, optimizer="adam", use_resource=False):
    """The seed MLP 28-128-32-10 with TF's sparse softmax cross entropy (int32 labels)."""
    x = tf.placeholder(tf.float32, [None, 28], name="x")
    labels = tf.placeholder(tf.int32, [None], name="labels")
    h = x
    for i, (n_in, n_out) in enumerate([(28, 128), (128, 32), (32, 10)]):
        with tf.variable_scope(f"layer{i}"):
            w = tf.get_variable(
                "weights",
                [n_in, n_out],
                initializer=tf.truncated_normal_initializer(stddev=0.2),
                use_resource=use_resource,
            )
            b = tf.get_variable("biases", [n_out], initializer=tf.zeros_initializer(), use_resource=use_resource)
            h = tf.matmul(h, w) + b
            if i < 2:
                h = tf.nn.relu(h)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=h))
    opt = tf.train.AdamOptimizer(0.01) if optimizer == "adam" else tf.train.MomentumOptimizer(0.05, 0.9)
    return x, labels, loss, opt.minimize(loss)


def mnist_deep(tf, batch, size=28, c1=32, c2=64, dense=1024):
    """TF's mnist_deep tutorial CNN (conv 5x5 + max-pool twice, dense, dense 10; NHWC; Adam 1e-4)."""
    x = tf.placeholder(tf.float32, [None, size, size, 1], name="x")
    labels = tf.placeholder(tf.int64, [None], name="labels")

    def conv_pool(h, c_in, c_out, name):
        with tf.variable_scope(name):
            w = tf.get_variable("w", [5, 5, c_in, c_out], initializer=tf.truncated_normal_initializer(stddev=0.1))
            b = tf.get_variable("b", [c_out], initializer=tf.constant_initializer(0.1))
            h = tf.nn.relu(tf.nn.conv2d(h, w, [1, 1, 1, 1], "SAME") + b)
            return tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")

    h = conv_pool(conv_pool(x, 1, c1, "conv1"), c1, c2, "conv2")
    flat = (size // 4) * (size // 4) * c2
    h = tf.reshape(h, [-1, flat])
    with tf.variable_scope("fc1"):
        w = tf.get_variable("w", [flat, dense], initializer=tf.truncated_normal_initializer(stddev=0.1))
        h = tf.nn.relu(tf.matmul(h, w) + tf.get_variable("b", [dense], initializer=tf.constant_initializer(0.1)))
    with tf.variable_scope("fc2"):
        w = tf.get_variable("w", [dense, 10], initializer=tf.truncated_normal_initializer(stddev=0.1))
        logits = tf.matmul(h, w) + tf.get_variable("b", [10], initializer=tf.constant_initializer(0.1))
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    return x, labels, loss, tf.train.AdamOptimizer(1e-4).minimize(loss)


def lstm_classifier(tf, batch, steps=6, features=8, hidden=16):
    """bench/models.py's LSTM classifier, smaller: static_rnn over a BasicLSTMCell, dense 10, Adam."""
    x = tf.placeholder(tf.float32, [None, steps, features], name="x")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    outputs, _ = tf.nn.static_rnn(tf.nn.rnn_cell.BasicLSTMCell(hidden), tf.unstack(x, steps, 1), dtype=tf.float32)
    logits = tf.layers.dense(outputs[-1], 10, name="logits")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    return x, labels, loss, tf.train.AdamOptimizer(1e-3).minimize(loss)


def resnet_block(tf, batch, stride=1):
    """bench/models.py's ResNet-style stack, one block: conv-BN-relu, conv-BN, + the input, relu (tf.layers'
    fused batch norm in training mode, its moving averages updated through UPDATE_OPS), Momentum. With
    ``stride`` 2 the block downsamples as bench's second and third do: its first 3x3 convolution has stride 2
    (TF's SAME padding then pads one more row and column after than before) and the shortcut is a 1x1
    stride-2 convolution + BN."""
    # 8 input channels, not 3: TF's oneDNN filter gradient of the 1x1 stride-2 projection is wrong with 3 or 4
    # input channels on AVX2-only CPUs (see tests/ops/test_conv_layout.py's strided 1x1 test; torchmeta's is right)
    x = tf.placeholder(tf.float32, [None, 8, 8, 8], name="x")
    labels = tf.placeholder(tf.int64, [None], name="labels")

    def conv_bn(h, name, stride=1, kernel=3):
        h = tf.layers.conv2d(h, 8, kernel, stride, padding="same", use_bias=False, name=name)
        return tf.layers.batch_normalization(h, training=True, fused=True, name=name + "_bn")

    shortcut = x if stride == 1 else conv_bn(x, "proj", stride, 1)
    h = tf.nn.relu(conv_bn(tf.nn.relu(conv_bn(x, "conv1", stride)), "conv2") + shortcut)
    logits = tf.layers.dense(tf.reduce_mean(h, axis=[1, 2]), 10, name="logits")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        return x, labels, loss, tf.train.MomentumOptimizer(0.01, 0.9).minimize(loss)


def mobilenet_block(tf, batch, stride=2):
    """bench/models.py's MobileNet-style stack, smaller: a stem conv-BN-relu, then one depthwise-separable
    block (depthwise 3x3 SAME, stride 2 or ``stride``, + BN + relu, pointwise 1x1 conv + BN + relu), Momentum."""
    x = tf.placeholder(tf.float32, [None, 8, 8, 3], name="x")
    labels = tf.placeholder(tf.int64, [None], name="labels")

    def bn(h, name):
        return tf.layers.batch_normalization(h, training=True, fused=True, name=name)

    h = tf.nn.relu(bn(tf.layers.conv2d(x, 4, 3, 1, padding="same", use_bias=False, name="stem"), "stem_bn"))
    depthwise = tf.get_variable("depthwise_kernel", [3, 3, 4, 1])
    h = tf.nn.relu(bn(tf.nn.depthwise_conv2d(h, depthwise, [1, stride, stride, 1], "SAME"), "dw_bn"))
    h = tf.nn.relu(bn(tf.layers.conv2d(h, 8, 1, 1, use_bias=False, name="pointwise"), "pw_bn"))
    logits = tf.layers.dense(tf.reduce_mean(h, axis=[1, 2]), 10, name="logits")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        return x, labels, loss, tf.train.MomentumOptimizer(0.01, 0.9).minimize(loss)


_INPUTS = {
    seed_mlp: (28,),
    mnist_deep: (28, 28, 1),
    lstm_classifier: (6, 8),
    resnet_block: (8, 8, 8),
    mobilenet_block: (8, 8, 3),
}


def _feeds(model, batch, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *_INPUTS[model])).astype(np.float32)
    return x, rng.integers(0, 10, batch).astype(np.int32 if model is seed_mlp else np.int64)


def _session(model, batch, compile_=True, **kwargs):
    g = tm.Graph()
    with g.as_default():
        tm.set_random_seed(1)
        x, labels, loss, train = model(tm, batch, **kwargs)
        sess = tm.Session(graph=g, config=tm.ConfigProto(torch_compile=compile_))
        sess.run(tm.global_variables_initializer())
    return sess, x, labels, loss, train


@pytest.mark.parametrize(
    "model,kwargs",
    [
        (seed_mlp, {}),
        (seed_mlp, {"optimizer": "momentum", "use_resource": True}),
        pytest.param(mnist_deep, {}, marks=pytest.mark.slow),
        (lstm_classifier, {}),
        pytest.param(resnet_block, {}, marks=pytest.mark.slow),
        pytest.param(mobilenet_block, {}, marks=pytest.mark.slow),
        pytest.param(mobilenet_block, {"stride": 1}, marks=pytest.mark.slow),
    ],
    ids=[
        "seed_mlp-adam",
        "seed_mlp-momentum-resource",
        "mnist_deep",
        "static_lstm",
        "resnet_block",
        "mobilenet_block",
        "mobilenet_block-stride1",
    ],
)
def test_a_training_step_is_one_graph_without_breaks(model, kwargs):
    batch = 8
    sess, x, labels, loss, train = _session(model, batch, **kwargs)
    xv, yv = _feeds(model, batch)
    _assert_one_graph(sess.explain_compile([train, loss], {x: xv, labels: yv}))
    assert sess.compile_stats() == []  # explaining compiles nothing


def _assert_one_graph(explained):
    reasons = [(b.reason.splitlines()[0], b.user_stack[-1:] if b.user_stack else None) for b in explained.break_reasons]
    assert explained.graph_break_count == 0, reasons
    assert explained.graph_count == 1


def _tf_built_session(tf1, model, batch, tmp_path, **kwargs):
    """``model`` built by TensorFlow's own tf.compat.v1 code, initialized there and saved, then imported from
    its .meta and restored in a compiled torchmeta Session: (TF session, TF tensors, our session, our names)."""
    prefix = str(tmp_path / "model")
    g = tf1.Graph()
    with g.as_default():
        tf1.set_random_seed(1)
        tensors = model(tf1, batch, **kwargs)
        tf_sess = tf1.Session(graph=g)
        tf_sess.run(tf1.global_variables_initializer())
        tf1.train.Saver().save(tf_sess, prefix)
    with tm.Graph().as_default():
        saver = tm.train.import_meta_graph(prefix + ".meta")
        sess = tm.Session(config=tm.ConfigProto(torch_compile=True))
        saver.restore(sess, prefix)
    return tf_sess, tensors, sess, [t.name for t in tensors]


@pytest.mark.slow
@pytest.mark.parametrize("model", [mnist_deep, resnet_block, mobilenet_block, lstm_classifier])
def test_a_tensorflow_built_training_step_is_one_graph_without_breaks(tf1, tmp_path, model):
    """The CNN, ResNet, MobileNet and LSTM classifier training steps as TensorFlow builds them (tf.layers,
    static_rnn, its optimizers' graphs), imported from a .meta: one graph for torch.compile, no breaks."""
    batch = 4
    tf_sess, _, sess, (x, labels, loss, train) = _tf_built_session(tf1, model, batch, tmp_path)
    tf_sess.close()
    xv, yv = _feeds(model, batch)
    _assert_one_graph(sess.explain_compile([train, loss], {x: xv, labels: yv}))


def _tf_steps(tf1, model, batch, feeds, steps, **kwargs):
    g = tf1.Graph()
    with g.as_default():
        tf1.set_random_seed(1)
        x, labels, loss, train = model(tf1, batch, **kwargs)
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            losses = [sess.run([train, loss], {x: xv, labels: yv})[1] for xv, yv in feeds[:steps]]
            values = {v.op.name: sess.run(v) for v in tf1.global_variables()}
    return losses, values


def _tf_error(tf1, model, batch, feed, **kwargs):
    """The error TF raises for a training step on ``feed``."""
    g = tf1.Graph()
    with g.as_default():
        x, labels, loss, train = model(tf1, batch, **kwargs)
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            try:
                sess.run(train, {x: feed[0], labels: feed[1]})
            except tf1.errors.OpError as e:
                return e
    raise AssertionError("TensorFlow did not fail")


def _check_variables(sess, want):
    got = sess.variable_values()
    assert sorted(got) == sorted(want)
    for name, value in want.items():
        # (Adam divides by sqrt(v): a last-bit difference in v moves a weight by a few 1e-6 after some steps)
        np.testing.assert_allclose(got[name].numpy(), value, rtol=1e-5, atol=1e-5, err_msg=name)


@pytest.mark.slow
def test_compiled_steps_give_tensorflows_numbers_and_share_variables_with_eager_runs(tf1):
    """Seed MLP, Adam: steps 1, 2 and 4 compiled, step 3 traced (which runs the module eagerly); losses and all
    variables (Adam's slots and beta powers included) equal TF's after each. A compiled update bumps the
    variable tensor's version counter, and a label out of range fails the step before it updates anything."""
    batch = 16
    feeds = [_feeds(seed_mlp, batch, seed) for seed in range(4)]
    want_losses, want_values = _tf_steps(tf1, seed_mlp, batch, feeds, 4)
    want_loss_after = _tf_steps(tf1, seed_mlp, batch, [*feeds, feeds[0]], 5)[0][-1]
    sess, x, labels, loss, train = _session(seed_mlp, batch)
    weights = sess._variable_slot("layer0/weights")
    tensor, version = weights.value, weights.value._version
    got = []
    for step, (xv, yv) in enumerate(feeds):
        if step == 2:
            options = tm.RunOptions(trace_level=tm.RunOptions.FULL_TRACE)
            got.append(sess.run([train, loss], {x: xv, labels: yv}, options, tm.RunMetadata())[1])
        else:
            got.append(sess.run([train, loss], {x: xv, labels: yv})[1])
    np.testing.assert_allclose(got, want_losses, rtol=1e-5)
    _check_variables(sess, want_values)
    assert weights.value is tensor and weights.value._version > version  # updated in place, version bumped

    (record,) = sess.compile_stats()
    assert record["graphs"] == 1 and record["feed_shapes"] == [(batch, 28), (batch,)] and record["seconds"] > 0

    bad = feeds[0][1].copy()
    bad[3] = 10
    tf_error = _tf_error(tf1, seed_mlp, batch, (feeds[0][0], bad))
    with pytest.raises(errors.InvalidArgumentError) as info:
        sess.run(train, {x: feeds[0][0], labels: bad})
    # TF's message with the label's value (the compiled step's assertion cannot read it: the step runs again
    # eagerly, which raises TF's error) and the node that failed
    assert tf_message(tf_error) in info.value.message, (tf_message(tf_error), info.value.message)
    assert "Received a label value of 10 " in info.value.message
    assert info.value.op is not None and info.value.op.name == tf_error.op.name
    _check_variables(sess, want_values)  # the failed step changed nothing
    assert "error" not in sess.compile_stats()[0]  # the compiled module is fine: it keeps running compiled
    np.testing.assert_allclose(sess.run(loss, {x: feeds[0][0], labels: feeds[0][1]}), want_loss_after, rtol=1e-5)


@pytest.mark.slow
def test_each_feed_signature_compiles_once():
    """Steps with batch 16, then 4, then 16 again: two compiled modules, each one graph, none recompiled."""
    sess, x, labels, loss, train = _session(seed_mlp, 16, optimizer="momentum", use_resource=True)
    eager, ex, el, _, etrain = _session(seed_mlp, 16, compile_=False, optimizer="momentum", use_resource=True)
    for batch in (16, 16, 4, 4, 16):
        xv, yv = _feeds(seed_mlp, batch, batch)
        sess.run(train, {x: xv, labels: yv})
        eager.run(etrain, {ex: xv, el: yv})
    stats = sess.compile_stats()
    assert [s["feed_shapes"] for s in stats] == [[(16, 28), (16,)], [(4, 28), (4,)]]
    assert [s["graphs"] for s in stats] == [1, 1]
    want = eager.variable_values()
    for name, value in sess.variable_values().items():  # resource variables: the slots' tensors are replaced
        torch.testing.assert_close(value, want[name], rtol=1e-5, atol=1e-6, msg=name)


def _steps_and_native_ops(sess, fetches, feeds):
    """``fetches`` run once per feed; the third run (the first call of the compiled module after the one
    that compiled it, runtime/compiled.py's trials) profiled: (the fetched values, the native custom ops
    (``torchmeta::*``, ops/native_build.py) that compiled step ran)."""
    got, ran = [], set()
    for step, feed in enumerate(feeds):
        if step != 2:
            got.append(sess.run(fetches, feed))
            continue
        with torch.profiler.profile() as prof:
            got.append(sess.run(fetches, feed))
        ran = {e.name.removeprefix("torchmeta::") for e in prof.events() if e.name.startswith("torchmeta::")}
    return got, ran


def _native(*modules):
    """Whether the native kernels of ``modules`` are built here (without a C compiler the torch path runs)."""
    return all(m.available() for m in modules)


@pytest.mark.slow
def test_a_compiled_cnn_gives_tensorflows_numbers(tf1):
    """A small mnist_deep CNN (convolutions, their filter and input gradients, max-pool, Adam), three steps;
    the compiled step runs no native custom op (inductor's own pooling and Adam loops)."""
    batch, kwargs = 4, {"size": 8, "c1": 4, "c2": 8, "dense": 16}
    rng = np.random.default_rng(0)
    feeds = [
        (rng.standard_normal((batch, 8, 8, 1)).astype(np.float32), rng.integers(0, 10, batch).astype(np.int64))
        for _ in range(3)
    ]
    want_losses, want_values = _tf_steps(tf1, mnist_deep, batch, feeds, 3, **kwargs)
    sess, x, labels, loss, train = _session(mnist_deep, batch, **kwargs)
    got, ran = _steps_and_native_ops(sess, [train, loss], [{x: xv, labels: yv} for xv, yv in feeds])
    np.testing.assert_allclose([g[1] for g in got], want_losses, rtol=1e-5)
    _check_variables(sess, want_values)
    assert [s["graphs"] for s in sess.compile_stats()] == [1]
    # no custom op: inductor's own max pooling (pool_ops._max_pool) and Adam (training_ops._natively)
    assert ran == set(), ran


def lrn_cnn(tf, batch):
    """The cifar10 tutorial's conv + LRN (depth_radius 4, alpha 0.001 / 9, beta 0.75), small, SGD."""
    x = tf.placeholder(tf.float32, [batch, 6, 6, 3], name="x")
    labels = tf.placeholder(tf.int64, [batch], name="labels")
    w = tf.get_variable("w", [3, 3, 3, 16], initializer=tf.truncated_normal_initializer(stddev=0.5))
    h = tf.nn.relu(tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME"))
    h = tf.nn.lrn(h, 4, bias=1.0, alpha=0.001 / 9.0, beta=0.75)
    v = tf.get_variable("v", [6 * 6 * 16, 10], initializer=tf.truncated_normal_initializer(stddev=0.1))
    logits = tf.matmul(tf.reshape(h, [batch, -1]), v)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    return x, labels, loss, tf.train.GradientDescentOptimizer(0.1).minimize(loss)


def test_a_compiled_lrn_step_runs_the_native_window_sums_to_tensorflows_numbers(tf1):
    """LRN and LRNGrad in a compiled step: the native window sums as custom ops (ops/lrn_native.py), TF's
    losses and weights after three steps."""
    batch, rng = 4, np.random.default_rng(3)
    feeds = [
        (rng.standard_normal((batch, 6, 6, 3)).astype(np.float32), rng.integers(0, 10, batch).astype(np.int64))
        for _ in range(3)
    ]
    want_losses, want_values = _tf_steps(tf1, lrn_cnn, batch, feeds, 3)
    sess, x, labels, loss, train = _session(lrn_cnn, batch)
    got, ran = _steps_and_native_ops(sess, [train, loss], [{x: xv, labels: yv} for xv, yv in feeds])
    np.testing.assert_allclose([g[1] for g in got], want_losses, rtol=1e-5)
    _check_variables(sess, want_values)
    assert [s["graphs"] for s in sess.compile_stats()] == [1]
    if _native(lrn_native):
        assert {"lrn_norm", "lrn_grad"} <= ran, ran


@pytest.mark.slow
def test_the_compiled_cnn_step_writes_its_max_pool_gradients_without_a_buffer_of_their_own(monkeypatch):
    """CompiledForward.INDUCTOR_CONFIG: with inductor's default realize_reads_threshold (4) the mnist_deep CNN's
    max-pool gradients (pool_ops._tiled_max_pool_grad: a window's 4 inputs and the gradient) are stored to buffers
    of their own in another layout before their ReluGrad reads them back; with CompiledForward's settings the step
    allocates fewer buffers. Both compiled steps give the eager step's (TF-checked) numbers."""
    from torch._inductor import config as inductor_config
    from torch._inductor.utils import run_and_get_code

    from torchmeta.runtime.compiled import CompiledForward

    batch, kwargs = 4, {"size": 28, "c1": 32, "c2": 64, "dense": 16}  # mnist_deep's shapes but the dense layer
    rng = np.random.default_rng(0)
    feed = (rng.standard_normal((batch, 28, 28, 1)).astype(np.float32), rng.integers(0, 10, batch).astype(np.int64))
    eager, x, labels, loss, train = _session(mnist_deep, batch, compile_=False, **kwargs)
    want = [eager.run([train, loss], {x: feed[0], labels: feed[1]})[1] for _ in range(2)]
    buffers = {}
    for name, config in [("default", {}), ("ours", CompiledForward.INDUCTOR_CONFIG)]:
        monkeypatch.setattr(CompiledForward, "INDUCTOR_CONFIG", config)
        torch._dynamo.reset()
        sess, x, labels, loss, train = _session(mnist_deep, batch, **kwargs)
        feeds = {x: feed[0], labels: feed[1]}
        got = [sess.run([train, loss], feeds)[1]]  # eager
        with inductor_config.patch(fx_graph_cache=False):  # (a cached graph gives no code)
            (_, compiled_loss), code = run_and_get_code(sess.run, [train, loss], feeds)  # compiles
        got.append(compiled_loss)
        np.testing.assert_allclose(got, want, rtol=1e-5)
        _check_variables(sess, {k: v.numpy() for k, v in eager.variable_values().items()})
        assert [s["graphs"] for s in sess.compile_stats()] == [1]
        buffers[name] = _calls("\n".join(code), "empty_strided")
    assert buffers["ours"] < buffers["default"], buffers


@pytest.mark.slow
@pytest.mark.parametrize(
    "model,kwargs",
    [(resnet_block, {}), (resnet_block, {"stride": 2}), (mobilenet_block, {}), (mobilenet_block, {"stride": 1})],
    ids=["resnet_block", "resnet_block-stride2", "mobilenet_block", "mobilenet_block-stride1"],
)
def test_compiled_batch_norm_models_give_tensorflows_numbers(tf1, tmp_path, model, kwargs):
    """The ResNet blocks and the MobileNet block (training-mode FusedBatchNormV3 and its gradient, ReluGrad, a
    residual add, stride-2 SAME convolutions and a stride-2 depthwise one, whose padded inputs are F.pad under
    torch.compile, and their gradients, Momentum, the moving averages), built and initialized by TensorFlow,
    three steps here compiled as one graph and in TF: losses and every variable (moving statistics and
    Momentum's slots included) equal TF's."""
    batch = 8
    feeds = [_feeds(model, batch, seed) for seed in range(3)]
    tf_sess, (tx, tlabels, tloss, ttrain), sess, (x, labels, loss, train) = _tf_built_session(
        tf1, model, batch, tmp_path, **kwargs
    )
    with tf_sess:
        want_losses = [tf_sess.run([ttrain, tloss], {tx: xv, tlabels: yv})[1] for xv, yv in feeds]
        want_values = {v.op.name: tf_sess.run(v) for v in tf_sess.graph.get_collection("variables")}
    got, ran = _steps_and_native_ops(sess, [train, loss], [{x: xv, labels: yv} for xv, yv in feeds])
    np.testing.assert_allclose([g[1] for g in got], want_losses, rtol=1e-5)
    _check_variables(sess, want_values)
    (record,) = sess.compile_stats()
    assert record["graphs"] == 1 and "error" not in record and record["seconds"] > 0
    # the native batch norm (forward, gradient) and depthwise kernels ran in the compiled step (a
    # stride-1 3x3 depthwise layer natively where the kernel's stride-1 code runs, both gradients in one call)
    if _native(batch_norm_native, training_native, depthwise_native):
        want = {"batch_norm_train"}  # (Momentum is inductor's loop: training_ops._natively)
        if model is mobilenet_block and (kwargs.get("stride", 2) == 2 or depthwise_native.stride1()):
            want.add("depthwise_forward")
            assert ran & {"depthwise_backprop_both", "depthwise_backprop_input"}, ran
        assert want <= ran and ran & {"batch_norm_grad_train", "batch_norm_grad_train_"}, ran


@pytest.mark.slow
def test_a_compiled_lstm_classifier_gives_tensorflows_numbers(tf1):
    """A TF-built static_rnn BasicLSTMCell classifier, Adam, four steps compiled as one graph: losses and
    every variable (Adam's slots included) equal TF's. The compiled step runs no native custom op: the cells
    (specialization's lstm_cell_native calls) and Adam are inductor's own loops."""
    batch = 8
    feeds = [_feeds(lstm_classifier, batch, seed) for seed in range(4)]
    want_losses, want_values = _tf_steps(tf1, lstm_classifier, batch, feeds, 4)
    sess, x, labels, loss, train = _session(lstm_classifier, batch)
    got, ran = _steps_and_native_ops(sess, [train, loss], [{x: xv, labels: yv} for xv, yv in feeds])
    np.testing.assert_allclose([g[1] for g in got], want_losses, rtol=1e-5)
    assert ran == set(), ran
    _check_variables(sess, want_values)
    (record,) = sess.compile_stats()
    assert record["graphs"] == 1 and "error" not in record


def test_host_subgraphs_are_not_compiled(tmp_path):
    """A Saver's save and restore (string tensors, files) run eagerly however often they run."""
    with tm.Graph().as_default():
        v = tm.Variable(tm.ones([3]), name="v")
        sess = tm.Session(config=tm.ConfigProto(torch_compile=True))
        sess.run(tm.global_variables_initializer())
        saver = tm.train.Saver()
        for _ in range(3):
            saver.save(sess, str(tmp_path / "model"))
            saver.restore(sess, str(tmp_path / "model"))
        np.testing.assert_array_equal(sess.run(v), [1, 1, 1])
    assert sess.compile_stats() == []


def _counter_step():
    """A session adding a fed batch's column sums to a variable, compiled, after its signature's first (eager)
    run; its step, feed, and the signature's CompiledForward."""
    with tm.Graph().as_default():
        x = tm.placeholder(tm.float32, [None, 3], name="x")
        v = tm.Variable(tm.ones([3]), name="v")
        step = tm.assign_add(v, tm.reduce_sum(x, 0))
        sess = tm.Session(config=tm.ConfigProto(torch_compile=True))
        sess.run(tm.global_variables_initializer())
    feed = {x: np.ones((2, 3), np.float32)}
    np.testing.assert_array_equal(sess.run(step, feed), [3, 3, 3])  # a signature's first run is eager
    plan = sess._make_plan(step, feed)
    return sess, step, feed, plan.program.get(plan.feed_values(feed)).forward


def test_a_compiled_module_that_fails_where_eager_runs_falls_back_to_eager():
    """If the compiled module itself fails (a compiler error) and the eager module runs, the step's result is
    the eager one, that signature stays eager (each step runs once: the variable is added to once per run),
    and compile_stats says why."""
    sess, step, feed, forward = _counter_step()
    calls = []

    def broken(*args):
        calls.append(1)
        raise RuntimeError("the compiler failed\nmore lines")

    forward._compiled = broken  # the second run would compile: it fails instead
    np.testing.assert_array_equal(sess.run(step, feed), [5, 5, 5])
    np.testing.assert_array_equal(sess.run(step, feed), [7, 7, 7])
    assert len(calls) == 1  # not tried again
    (record,) = sess.compile_stats()
    assert record["error"] == "RuntimeError: the compiler failed"


def test_a_step_split_into_several_compiled_graphs_is_not_run_again_when_it_fails():
    """A failure after a first graph ran (it may have updated variables) is raised, not retried eagerly."""
    sess, step, feed, forward = _counter_step()

    def broken(*args):
        forward.record.graphs = 2  # as if a graph break had split the step and the second graph failed
        raise RuntimeError("the second graph failed")

    forward._compiled = broken
    with pytest.raises(errors.OpError, match="the second graph failed"):
        sess.run(step, feed)
    np.testing.assert_array_equal(sess.run(step.op.inputs[0], {}), [3, 3, 3])  # not run again


def _stand_in_module(now, used, eager):
    """``costing(kind, cost)``: a module that runs ``eager``, records ``kind`` in ``used`` and advances the
    stand-in clock ``now`` by ``cost``."""

    def costing(kind, cost):
        def run(*args):
            used.append(kind)
            now[0] += cost
            return eager(*args)

        return run

    return costing


@pytest.mark.parametrize("faster", ["compiled", "eager"])
def test_a_signature_keeps_the_faster_of_its_compiled_and_eager_modules(faster):
    """After the compiling call, TRIALS calls alternate between the two modules (each a real step), timed; the
    signature then keeps the faster one. (The clock and the modules' costs are stand-ins: no timing here.)"""
    sess, step, feed, forward = _counter_step()
    now, used, eager = [0.0], [], forward._eager
    costing = _stand_in_module(now, used, eager)

    forward.clock = lambda: now[0]
    forward._compiled = costing("compiled", 1.0 if faster == "compiled" else 3.0)
    forward._eager = costing("eager", 2.0)
    calls = 1 + forward.TRIALS + 2
    for i in range(calls):
        np.testing.assert_array_equal(sess.run(step, feed), [5 + 2 * i] * 3)  # every call is one step
    assert used == ["compiled"] + ["compiled", "eager"] * (forward.TRIALS // 2) + [faster] * 2
    (record,) = sess.compile_stats()
    assert record["kept"] == faster
    assert record["compiled_seconds"] == (1.0 if faster == "compiled" else 3.0) and record["eager_seconds"] == 2.0


def test_a_short_step_gets_more_trial_calls_until_each_module_ran_trial_seconds():
    """A step of 4 ms (stand-in clock): the trials go on past TRIALS until each module's calls took
    TRIAL_SECONDS together (13 calls each for 0.05 s), then the faster module's best call decides."""
    sess, step, feed, forward = _counter_step()
    now, used, eager = [0.0], [], forward._eager
    costing = _stand_in_module(now, used, eager)

    forward.clock = lambda: now[0]
    forward._compiled = costing("compiled", 0.004)
    forward._eager = costing("eager", 0.005)
    for _ in range(1 + 26 + 1):
        sess.run(step, feed)
    assert used == ["compiled"] + ["compiled", "eager"] * 13 + ["compiled"]
    (record,) = sess.compile_stats()
    assert record["kept"] == "compiled"


@pytest.mark.slow
def test_the_compiled_lstm_classifier_step_lays_out_its_recurrent_weight_once(tf1, monkeypatch):
    """Every step's h gradient in the compiled classifier is a product by the same contiguous copy of the
    weight's h rows, made once in the compiled step (a product by the transposed view is ~40% slower: 64x512 by
    512x128), and the step still gives TF's numbers in one graph."""
    from torchmeta.runtime.compiled import CompiledForward

    graphs = []
    backend = CompiledForward._backend

    def recording(self, graph_module, example_inputs):
        graphs.append(graph_module)
        return backend(self, graph_module, example_inputs)

    monkeypatch.setattr(CompiledForward, "_backend", recording)
    batch, steps = 8, 6
    feeds = [_feeds(lstm_classifier, batch, seed) for seed in range(3)]
    want_losses, want_values = _tf_steps(tf1, lstm_classifier, batch, feeds, 3)
    sess, x, labels, loss, train = _session(lstm_classifier, batch)
    losses = [sess.run([train, loss], {x: xv, labels: yv})[1] for xv, yv in feeds]
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5)
    _check_variables(sess, want_values)
    (record,) = sess.compile_stats()
    assert record["graphs"] == 1 and "error" not in record
    (graph,) = [g.graph for g in graphs]
    kept = {
        n.args[1]
        for n in graph.nodes
        if n.target is torch.mm and isinstance(n.args[1], torch.fx.Node) and n.args[1].target == "contiguous"
    }
    products = [n for n in graph.nodes if n.target is torch.mm and n.args[1] in kept]
    assert len(kept) == 1 and len(products) == steps - 1


def sgd_mlp(tf, batch, sizes=(300, 256, 512, 128, 10)):
    """An MLP with GradientDescent (bench/run.py's mnist_mlp_train, smaller): weights of 76800, 131072 and 65536
    elements (runtime/compiled.ProductUpdates folds their updates into their gradients' products, scaling the
    gradient's operand in the first and third, the transposed activations in the second) and a small one."""
    x = tf.placeholder(tf.float32, [None, sizes[0]], name="x")
    labels = tf.placeholder(tf.int32, [None], name="labels")
    h = x
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        w = tf.Variable(tf.truncated_normal([n_in, n_out], stddev=0.1, seed=i), name=f"w{i}")
        h = tf.matmul(h, w) + tf.Variable(tf.zeros([n_out]) + 0.01, name=f"b{i}")
        if i < len(sizes) - 2:
            h = tf.nn.relu(h)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=h))
    return x, labels, loss, tf.train.GradientDescentOptimizer(0.1).minimize(loss)


class _Records(logging.Handler):
    """The log records a logger passes on (after its filters)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def _calls(code, name) -> int:
    """How many times the code inductor generated calls ``name``: an ATen op ("aten.addmm_") as the Python
    wrapper writes it (``aten.addmm_.default(``) or the C++ one (CompiledForward's cpp_wrapper: the dispatcher's
    ``"aten::addmm_"``, an op without a C shim) or ``empty_strided`` (``empty_strided_cpu(``,
    ``aoti_torch_empty_strided(``)."""
    if name == "empty_strided":
        return code.count("empty_strided_cpu(") + code.count("aoti_torch_empty_strided(")
    return code.count(f"{name}.default(") + code.count('"{}"'.format(name.replace(".", "::")))


def _steps_with_code(sess, x, labels, loss, train, feeds):
    """The losses of a training step per feed, and the code inductor generated when the second step compiled."""
    from torch._inductor import config as inductor_config
    from torch._inductor.utils import run_and_get_code

    got, code = [], []
    for step, (xv, yv) in enumerate(feeds):
        if step == 1:
            with inductor_config.patch(fx_graph_cache=False):  # (a cached graph gives no code)
                (_, value), code = run_and_get_code(sess.run, [train, loss], {x: xv, labels: yv})  # compiles
        else:
            value = sess.run([train, loss], {x: xv, labels: yv})[1]
        got.append(value)
    return got, code


@pytest.mark.slow
def test_a_compiled_sgd_step_updates_its_large_weights_inside_their_gradient_products(tf1):
    """GradientDescent's ``var -= lr * (a @ b)`` for the three large weights is one in-place ``addmm_`` each in the
    compiled step (compiled.ProductUpdates: the gradient is never stored and read back), the small weight and
    the biases inductor's update loop, and no product copies its bias into its output (the loops reading the
    products add it); the module calling the kernels is C++ (CompiledForward.INDUCTOR_CONFIG's cpp_wrapper); four
    steps give TF's losses and variables."""
    batch = 32
    rng = np.random.default_rng(0)
    feeds = [
        (rng.standard_normal((batch, 300)).astype(np.float32), rng.integers(0, 10, batch).astype(np.int32))
        for _ in range(4)
    ]
    want_losses, want_values = _tf_steps(tf1, sgd_mlp, batch, feeds, 4)
    sess, x, labels, loss, train = _session(sgd_mlp, batch)
    warnings = _Records()
    ir_log = logging.getLogger("torch._inductor.ir")
    ir_log.addHandler(warnings)
    try:
        got, code = _steps_with_code(sess, x, labels, loss, train, feeds)
    finally:
        ir_log.removeHandler(warnings)
    np.testing.assert_allclose(got, want_losses, rtol=1e-5)
    _check_variables(sess, want_values)
    (record,) = sess.compile_stats()
    assert record["graphs"] == 1 and "error" not in record
    code = "\n".join(code)
    assert _calls(code, "aten.addmm_") == 3
    # inductor's "no C shim" warning for our addmm_ is filtered by its text (compiled._no_shim_warning_for_addmm_):
    # a torch whose wording changed would print it once per folded update again
    assert not [r for r in warnings.records if "shim" in r.getMessage()], warnings.records
    assert "extern_kernels.addmm(" not in code and "addmm_out(" not in code  # each bias added by the loop reading it
    assert "CppWrapperCodeCache" in code and "def call(" not in code


@pytest.mark.slow
def test_a_compiled_lstm_classifier_adds_its_weight_gradient_products_into_one_buffer(tf1):
    """The static LSTM classifier's kernel gradient is a running sum of one product per step (``mm``, then five
    ``addmm``); compiled, each later product adds itself into the first one's buffer in place (``addmm_``:
    compiled.ProductUpdates), where inductor's ``addmm`` would copy the sum first. Four steps give TF's losses
    and variables."""
    batch = 8
    feeds = [_feeds(lstm_classifier, batch, seed) for seed in range(4)]
    want_losses, want_values = _tf_steps(tf1, lstm_classifier, batch, feeds, 4)
    sess, x, labels, loss, train = _session(lstm_classifier, batch)
    got, code = _steps_with_code(sess, x, labels, loss, train, feeds)
    np.testing.assert_allclose(got, want_losses, rtol=1e-5)
    _check_variables(sess, want_values)
    assert [s["graphs"] for s in sess.compile_stats()] == [1]
    assert _calls("\n".join(code), "aten.addmm_") == 5


@pytest.mark.slow
def test_a_compiled_step_of_small_kernels_runs_on_one_thread(tf1):
    """At two threads the static LSTM classifier's step (small products, tensors of at most a few thousand
    elements) is compiled and run on the calling thread alone (specialization's compiled_one_thread): inductor
    writes no parallel loop for it (each would wake the second thread); two steps give TF's numbers."""
    from torch._inductor import config as inductor_config
    from torch._inductor.utils import run_and_get_code

    batch = 8
    feeds = [_feeds(lstm_classifier, batch, seed) for seed in range(2)]
    want_losses, want_values = _tf_steps(tf1, lstm_classifier, batch, feeds, 2)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        sess, x, labels, loss, train = _session(lstm_classifier, batch)
        got = [sess.run([train, loss], {x: feeds[0][0], labels: feeds[0][1]})[1]]
        with inductor_config.patch(fx_graph_cache=False):  # (a cached graph gives no code)
            (_, value), code = run_and_get_code(sess.run, [train, loss], {x: feeds[1][0], labels: feeds[1][1]})
        got.append(value)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_allclose(got, want_losses, rtol=1e-5)
    _check_variables(sess, want_values)
    assert [s["graphs"] for s in sess.compile_stats()] == [1]
    assert "omp parallel" not in "\n".join(code)
