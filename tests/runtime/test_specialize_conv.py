"""Convolution fusions made when a subgraph is specialized (runtime/specialize_conv.py): a Conv2D's
Conv2DBackpropInput and Conv2DBackpropFilter run as one convolution_backward call. The gradients must
equal TensorFlow's, and the fused call must actually be in the lowered module."""

import numpy as np
import pytest
import torch

import torchmeta as tm
from torchmeta.ops import conv_grad_ops, conv_ops, math_ops, nn_ops
from torchmeta.runtime import specialize_conv

CASES = {
    "same": dict(strides=[1, 1, 1, 1], padding="SAME"),
    "valid": dict(strides=[1, 1, 1, 1], padding="VALID"),
    "same-s2-asymmetric": dict(strides=[1, 2, 2, 1], padding="SAME"),
    "valid-s2x3": dict(strides=[1, 2, 3, 1], padding="VALID"),
    "same-dilated": dict(strides=[1, 1, 1, 1], padding="SAME", dilations=[1, 2, 2, 1]),
    "explicit-asymmetric": dict(strides=[1, 1, 1, 1], padding=[[0, 0], [1, 2], [0, 1], [0, 0]]),
    "1x1-s2": dict(strides=[1, 2, 2, 1], padding="SAME", kernel=1),
    "grouped": dict(strides=[1, 1, 1, 1], padding="SAME", in_channels=4, filter_in=2),
}


def _conv_grads(tf, case, x_value, w_value, dy_value):
    x = tf.placeholder(tf.float32, x_value.shape, name="x")
    w = tf.Variable(w_value, name="w")
    kwargs = {k: v for k, v in case.items() if k in ("strides", "padding", "dilations")}
    y = tf.nn.conv2d(x, w, **kwargs)
    loss = tf.reduce_sum(y * tf.constant(dy_value))
    gx, gw = tf.gradients(loss, [x, w])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out = sess.run([y, gx, gw], {x: x_value})
        modules = sess._compiled_modules() if hasattr(sess, "_compiled_modules") else None
    return out, modules


def _case_values(case):
    rng = np.random.default_rng(0)
    k = case.get("kernel", 3)
    c_in, f_in = case.get("in_channels", 3), case.get("filter_in", case.get("in_channels", 3))
    x = rng.standard_normal((2, 9, 8, c_in)).astype(np.float32)
    w = rng.standard_normal((k, k, f_in, 4)).astype(np.float32)
    return x, w


@pytest.mark.parametrize("name", sorted(CASES))
def test_fused_conv_gradients_match_tf(tf1, name):
    case = CASES[name]
    x, w = _case_values(case)
    tf1.reset_default_graph()
    with tf1.Session() as probe:  # the output shape, for the upstream gradient
        kwargs = {k: v for k, v in case.items() if k in ("strides", "padding", "dilations")}
        y_shape = probe.run(tf1.nn.conv2d(tf1.constant(x), tf1.constant(w), **kwargs)).shape
    dy = np.random.default_rng(1).standard_normal(y_shape).astype(np.float32)
    theirs, _ = _conv_grads(tf1, case, x, w, dy)
    ours, modules = _conv_grads(tm, case, x, w, dy)
    for a, b, what in zip(ours, theirs, ("output", "input gradient", "filter gradient")):
        assert a.shape == b.shape and a.dtype == b.dtype, what
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4, err_msg=what)
    targets = [n.target for m in modules for n in m.graph.nodes if n.op == "call_function"]
    ops = [n.meta.get("tf_op") for m in modules for n in m.graph.nodes if n.op == "call_function"]
    assert targets.count(conv_grad_ops.conv2d_backprop_input_and_filter) == 1
    assert targets.count(torch.ops.aten.convolution_backward) == 0
    assert "Conv2DBackpropFilter" not in ops


POINTWISE = {
    "biasadd-relu": dict(add="BiasAdd", relu=True),
    "addv2-relu": dict(add="AddV2", relu=True),
    "bias-first-addv2-relu": dict(add="AddV2-bias-first", relu=True),
    "biasadd": dict(add="BiasAdd", relu=False),
    "relu": dict(add=None, relu=True),
    "biasadd-relu-s2-asymmetric": dict(add="BiasAdd", relu=True, strides=[1, 2, 2, 1]),
    "biasadd-relu-valid-dilated": dict(add="BiasAdd", relu=True, padding="VALID", dilations=[1, 2, 2, 1]),
    "nchw-biasadd-relu": dict(add="BiasAdd", relu=True, data_format="NCHW"),
    "biasadd-residual-relu": dict(add="BiasAdd", relu=True, residual=True),
    "residual-relu": dict(add=None, relu=True, residual=True),
    "residual-first-relu-s2": dict(add=None, relu=True, residual="first", strides=[1, 2, 2, 1]),
}


def _pointwise(tf, case, x_value, w_value, b_value, dy_value):
    fmt = case.get("data_format", "NHWC")
    x = tf.placeholder(tf.float32, x_value.shape, name="x")
    w = tf.Variable(w_value, name="w")
    b = tf.Variable(b_value, name="b")
    strides = case.get("strides", [1, 1, 1, 1])
    dilations = case.get("dilations", [1, 1, 1, 1])
    if fmt == "NCHW":
        strides, dilations = [strides[i] for i in (0, 3, 1, 2)], [dilations[i] for i in (0, 3, 1, 2)]
    y = tf.nn.conv2d(x, w, strides, case.get("padding", "SAME"), data_format=fmt, dilations=dilations)
    if case["add"] == "BiasAdd":
        y = tf.nn.bias_add(y, b, data_format=fmt)
    elif case["add"] == "AddV2":
        y = y + b
    elif case["add"] == "AddV2-bias-first":
        y = b + y
    if case.get("residual"):  # a residual connection of the result's shape (fixed values)
        r = tf.constant(np.linspace(-1, 1, dy_value.size, dtype=np.float32).reshape(dy_value.shape))
        y = r + y if case["residual"] == "first" else y + r
    if case["relu"]:
        y = tf.nn.relu(y)
    loss = tf.reduce_sum(y * tf.constant(dy_value))
    grads = tf.gradients(loss, [x, w, b] if case["add"] else [x, w])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out = sess.run([y, *grads], {x: x_value})
        modules = sess._compiled_modules() if hasattr(sess, "_compiled_modules") else None
    return out, modules


@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_conv_bias_relu_fusion_matches_tf(tf1, name):
    """Conv2D + bias add + Relu run as one oneDNN call (conv_ops.conv2d_bias_relu): the forward value and
    every gradient equal TensorFlow's, and the lowered module has the fused call instead of the chain."""
    case = POINTWISE[name]
    rng = np.random.default_rng(2)
    fmt = case.get("data_format", "NHWC")
    x = rng.standard_normal((2, 9, 9, 3) if fmt == "NHWC" else (2, 3, 9, 9)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    probe = dict(case, residual=False)  # the output shape, for the upstream gradient and the residual
    theirs0, _ = _pointwise(tf1, probe, x, w, b, np.zeros(1, np.float32))
    dy = rng.standard_normal(theirs0[0].shape).astype(np.float32)
    theirs, _ = _pointwise(tf1, case, x, w, b, dy)
    ours, modules = _pointwise(tm, case, x, w, b, dy)
    for i, (a, e) in enumerate(zip(ours, theirs)):
        assert a.shape == e.shape and a.dtype == e.dtype, i
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-4, err_msg=f"value {i}")
    nodes = [n for m in modules for n in m.graph.nodes if n.op == "call_function"]
    fused = [n for n in nodes if n.target in (conv_ops.conv2d_bias_relu, conv_ops.conv2d_add_relu)]
    assert len(fused) == 1
    assert fused[0].kwargs["relu"] is case["relu"]
    targets = {n.target for n in nodes}
    assert not {conv_ops.conv2d, nn_ops.relu, nn_ops.bias_add, math_ops.add_v2} & targets


def _conv_bn(tf, relu, x_value, w_value, stats, with_grad):
    x = tf.placeholder(tf.float32, x_value.shape, name="x")
    w = tf.Variable(w_value, name="w")
    scale, offset, mean, variance = (tf.Variable(v, name=n) for n, v in zip(("s", "o", "m", "v"), stats))
    y = tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME")
    y, _, _ = tf.nn.fused_batch_norm(y, scale, offset, mean, variance, epsilon=1e-3, is_training=False)
    if relu:
        y = tf.nn.relu(y)
    fetches = [y, *tf.gradients(tf.reduce_sum(y * y), [x, w, scale])] if with_grad else [y]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out = sess.run(fetches, {x: x_value})
        modules = sess._compiled_modules() if hasattr(sess, "_compiled_modules") else None
    return out, modules


@pytest.mark.parametrize("relu", [True, False], ids=["relu", "no-relu"])
@pytest.mark.parametrize("with_grad", [False, True], ids=["inference", "with-gradients"])
def test_inference_batch_norm_folds_into_the_conv(tf1, relu, with_grad):
    """Conv2D + inference FusedBatchNorm (+ Relu) runs as one convolution with the batch norm folded into
    its filter and bias, to TF's numbers; not where a gradient needs the convolution's own output."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 5)).astype(np.float32)
    stats = [
        (rng.random(5) + 0.5).astype(np.float32),
        rng.standard_normal(5).astype(np.float32),
        rng.standard_normal(5).astype(np.float32),
        (rng.random(5) + 0.1).astype(np.float32),
    ]
    theirs, _ = _conv_bn(tf1, relu, x, w, stats, with_grad)
    ours, modules = _conv_bn(tm, relu, x, w, stats, with_grad)
    for i, (a, e) in enumerate(zip(ours, theirs)):
        assert a.shape == e.shape and a.dtype == e.dtype, i
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-4, err_msg=f"value {i}")
    targets = [n.target for m in modules for n in m.graph.nodes if n.op == "call_function"]
    assert targets.count(conv_ops.conv2d_batch_norm_relu) == (0 if with_grad else 1)


FOLD_CASES = {
    "conv": dict(strides=[1, 1, 1, 1]),
    "conv-s2-asymmetric": dict(strides=[1, 2, 2, 1]),
    "residual": dict(strides=[1, 1, 1, 1], residual=True),
    "depthwise-s2": dict(strides=[1, 2, 2, 1], depthwise=True),
    "bias-no-batch-norm": dict(strides=[1, 1, 1, 1], batch_norm=False),
}


def _conv_bn_runs(tf, case, x_value, w_value, stats):
    """Runs a Conv2D (or depthwise) + inference FusedBatchNorm (or a BiasAdd) + Relu three times, then again after
    assigning a batch norm statistic and then the filter, so a kept fold must notice each change."""
    x = tf.placeholder(tf.float32, x_value.shape, name="x")
    w = tf.Variable(w_value, name="w")
    scale, offset, mean, variance = (tf.Variable(v, name=n) for n, v in zip(("s", "o", "m", "v"), stats))
    conv = tf.nn.depthwise_conv2d if case.get("depthwise") else tf.nn.conv2d
    y = conv(x, w, case["strides"], "SAME")
    if case.get("batch_norm", True):
        y, _, _ = tf.nn.fused_batch_norm(y, scale, offset, mean, variance, epsilon=1e-3, is_training=False)
    else:
        y = tf.nn.bias_add(y, offset)
    if case.get("residual"):
        y = y + x
    y = tf.nn.relu(y)
    out = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out += [sess.run(y, {x: x_value}) for _ in range(3)]
        sess.run(variance.assign(variance * 2.0))
        out += [sess.run(y, {x: x_value}) for _ in range(2)]
        sess.run(w.assign(-w))
        out += [sess.run(y, {x: x_value}) for _ in range(2)]
    return out


@pytest.mark.parametrize("name", sorted(FOLD_CASES))
def test_kept_batch_norm_fold_follows_assignments(tf1, name, monkeypatch):
    """The folded filter and bias (and oneDNN's reordered filter, also of a convolution without a batch norm) are
    kept between runs, and made afresh when a batch norm statistic or the filter is assigned: every run equals
    TensorFlow's."""
    case = FOLD_CASES[name]
    rng = np.random.default_rng(5)
    channels = 4
    x = rng.standard_normal((2, 9, 8, channels)).astype(np.float32)
    w = rng.standard_normal((3, 3, channels, 1 if case.get("depthwise") else channels)).astype(np.float32)
    stats = [
        (rng.random(channels) + 0.5).astype(np.float32),
        rng.standard_normal(channels).astype(np.float32),
        rng.standard_normal(channels).astype(np.float32),
        (rng.random(channels) + 0.1).astype(np.float32),
    ]
    weights = _recording_weights(monkeypatch)
    theirs = _conv_bn_runs(tf1, case, x, w, stats)
    ours = _conv_bn_runs(tm, case, x, w, stats)
    for i, (a, e) in enumerate(zip(ours, theirs, strict=True)):
        assert a.shape == e.shape and a.dtype == e.dtype, i
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-4, err_msg=f"run {i}")
    if case.get("depthwise"):  # (the depthwise runs on the native kernel, without oneDNN)
        return
    if case.get("batch_norm", True):  # from the third run with a fold on, the second run's plan (conv_ops._ConvPlan)
        assert weights == ["plain", "reordered", "planned", "plain", "reordered", "plain", "reordered"]
    else:  # (no batch norm: the statistic's assignment changes nothing; conv2d_bias_relu makes no plans)
        assert weights == ["plain", "reordered", "reordered", "reordered", "reordered", "plain", "reordered"]


def _recording_weights(monkeypatch):
    """A list that records, for each oneDNN convolution of a kept fold, whether it read the filter as folded
    ("plain"), reordered by ``_Folded.onednn_weight`` ("reordered") or through a kept plan ("planned")."""
    weights = []
    onednn_weight, run = conv_ops._Folded.onednn_weight, conv_ops._ConvPlan.run

    def recording(self, weight, *args):
        result = onednn_weight(self, weight, *args)
        weights.append("reordered" if result.is_mkldnn else "plain")
        return result

    def planned(self, *args):
        assert self.weight.is_mkldnn
        weights.append("planned")
        return run(self, *args)

    monkeypatch.setattr(conv_ops._Folded, "onednn_weight", recording)
    monkeypatch.setattr(conv_ops._ConvPlan, "run", planned)
    return weights


def _shared_fold_runs(tf, x_values):
    """One filter and one batch norm's statistics in two inference convolutions of the same input (stride 1
    SAME + Relu; stride 2 SAME (asymmetric), + a residual of the first's stride-2 slice): both results per run."""
    rng = np.random.default_rng(11)
    x = tf.placeholder(tf.float32, [None, 9, 8, 4], name="x")
    w = tf.Variable(rng.standard_normal((3, 3, 4, 4)).astype(np.float32), name="w")
    stats = [(rng.random(4) + 0.5), rng.standard_normal(4), rng.standard_normal(4), (rng.random(4) + 0.1)]
    scale, offset, mean, variance = (tf.Variable(v.astype(np.float32), name=f"s{i}") for i, v in enumerate(stats))

    def conv_bn(h, strides):
        y = tf.nn.conv2d(h, w, strides, "SAME")
        return tf.nn.fused_batch_norm(y, scale, offset, mean, variance, epsilon=1e-3, is_training=False)[0]

    side = tf.nn.relu(x[:, ::2, ::2, :] * 0.5)
    y1 = tf.nn.relu(conv_bn(x, [1, 1, 1, 1]))
    y2 = tf.nn.relu(conv_bn(x, [1, 2, 2, 1]) + side)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return [sess.run([y1, y2], {x: v}) for v in x_values]


def test_kept_plans_follow_shapes_and_attrs(tf1, monkeypatch):
    """Two inference convolutions share one kept fold with different strides (one asymmetrically padded, one with a
    residual add), over batches of two sizes: each keeps its own plan per input shape, every run equal to TF's."""
    rng = np.random.default_rng(12)
    a, b = (rng.standard_normal((n, 9, 8, 4)).astype(np.float32) for n in (2, 3))
    x_values = [a, a, a, b, b, b, a]
    weights = _recording_weights(monkeypatch)
    theirs = _shared_fold_runs(tf1, x_values)
    ours = _shared_fold_runs(tm, x_values)
    for i, (run_a, run_e) in enumerate(zip(ours, theirs, strict=True)):
        for a_, e_ in zip(run_a, run_e, strict=True):
            assert a_.shape == e_.shape and a_.dtype == e_.dtype, i
            np.testing.assert_allclose(a_, e_, rtol=1e-5, atol=1e-4, err_msg=f"run {i}")
    # run 1: one convolution folds, the other reuses the fold (reordered); run 2: the first reorders, the second
    # its plan; then both plans; a new batch size: both reorder once more, then plans; the first size's plans kept
    assert weights.count("planned") == 0 + 1 + 2 + 0 + 2 + 2 + 2 and weights.count("plain") == 1


@pytest.mark.parametrize("batch_norm", [False, True], ids=["bias", "batch-norm"])
def test_a_fed_filter_refilled_outside_torch_is_folded_afresh(tf1, batch_norm):
    """A filter fed as the same torch tensor on every run and refilled through a numpy view in between (no version
    change): its fusion does not keep the filter (``keep_filter`` is not set), so each run reads what it is given."""
    rng = np.random.default_rng(11)
    x_value = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
    filters = [rng.standard_normal((3, 3, 3, 4)).astype(np.float32) for _ in range(3)]
    stats = [(rng.random(4) + 0.5).astype(np.float32) for _ in range(4)]

    def build(tf):
        w = tf.placeholder(tf.float32, [3, 3, 3, 4], name="w")
        y = tf.nn.conv2d(tf.constant(x_value), w, [1, 1, 1, 1], "SAME")
        if batch_norm:
            y, _, _ = tf.nn.fused_batch_norm(y, *(tf.constant(v) for v in stats), epsilon=1e-3, is_training=False)
        else:
            y = tf.nn.bias_add(y, tf.constant(stats[0]))
        return w, tf.nn.relu(y)

    with tf1.Graph().as_default():
        w, y = build(tf1)
        with tf1.Session() as sess:
            theirs = [sess.run(y, {w: v}) for v in filters]
    with tm.Graph().as_default():
        w, y = build(tm)
        with tm.Session() as sess:
            fed = torch.from_numpy(filters[0].copy())
            ours = []
            for v in filters:
                fed.numpy()[:] = v
                ours.append(sess.run(y, {w: fed}))
            modules = sess._compiled_modules()
    for run, (a, e) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-4, err_msg=f"run {run}")
    kernels = (conv_ops.conv2d_bias_relu, conv_ops.conv2d_batch_norm_relu)
    fused = [n for m in modules for n in m.graph.nodes if n.target in kernels]
    assert fused and not any(n.kwargs.get("keep_filter") for n in fused)


def _residual_block(tf, training, x_value, labels_value):
    """A ResNet-style block as tf.layers builds it (conv-BN-relu, conv-BN, a strided 1x1 projection, the
    residual add and relu), global average pool and a dense layer; seeded, so TF and torchmeta start from
    the same weights. Returns the logits of a run, then (training) the variables after one Momentum step."""
    tf.set_random_seed(7)
    x = tf.placeholder(tf.float32, x_value.shape, name="x")
    labels = tf.placeholder(tf.int64, [x_value.shape[0]], name="labels")

    def conv(h, filters, kernel, stride, name):
        return tf.layers.conv2d(h, filters, kernel, stride, padding="same", use_bias=False, name=name)

    def bn(h, name):
        return tf.layers.batch_normalization(h, training=training, fused=True, name=name)

    shortcut = bn(conv(x, 8, 1, 2, "proj"), "proj_bn")
    y = tf.nn.relu(bn(conv(x, 8, 3, 2, "conv1"), "bn1"))
    y = bn(conv(y, 8, 3, 1, "conv2"), "bn2")
    h = tf.nn.relu(y + shortcut)
    logits = tf.layers.dense(tf.reduce_mean(h, axis=[1, 2]), 4, name="logits")
    fetches = [logits]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        if training:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
            with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
                train = tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
            sess.run(tf.variables_initializer(tf.global_variables()))
            sess.run(train, {x: x_value, labels: labels_value})
            fetches = [logits, *tf.global_variables()]
        else:  # moving statistics away from their initial values, so the folded batch norm matters
            for v in tf.global_variables():
                if "moving" in v.op.name:
                    sess.run(v.assign(v + tf.random_uniform(v.shape, 0.2, 0.9, seed=3)))
        out = sess.run(fetches, {x: x_value, labels: labels_value})
        modules = sess._compiled_modules() if hasattr(sess, "_compiled_modules") else None
    return out, modules


@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
def test_resnet_style_block_matches_tf(tf1, training):
    """End to end through the fusions: inference folds every conv + batch norm (+ residual add) (+ relu)
    into one oneDNN call; training fuses the convolutions' gradients. Logits and, after a Momentum step,
    every variable equal TensorFlow's."""
    rng = np.random.default_rng(4)
    # 8 input channels, not 3: TF's oneDNN filter gradient of the 1x1 stride-2 projection is wrong with 3 or 4
    # input channels on AVX2-only CPUs (see tests/ops/test_conv_layout.py's strided 1x1 test; torchmeta's is right)
    x = rng.standard_normal((4, 10, 10, 8)).astype(np.float32)
    labels = rng.integers(0, 4, 4)
    theirs, _ = _residual_block(tf1, training, x, labels)
    ours, modules = _residual_block(tm, training, x, labels)
    assert len(ours) == len(theirs)
    for i, (a, e) in enumerate(zip(ours, theirs)):
        assert np.shape(a) == np.shape(e), i
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5, err_msg=f"value {i}")
    targets = [n.target for m in modules for n in m.graph.nodes if n.op == "call_function"]
    if training:
        assert targets.count(conv_grad_ops.conv2d_backprop_input_and_filter) == 1  # conv2 (x is fed: filters only)
        # relu(bn1) runs in place on the training batch norm's y, relu(bn2 + shortcut) in bn2's output pass
        # (per module that runs the block: the training step's and the logits run's)
        runs = [[n.target for n in m.graph.nodes if n.op == "call_function"] for m in modules]
        assert {r.count(specialize_conv.fused_batch_norm_relu) for r in runs} == {0, 1}
        assert {r.count(specialize_conv.fused_batch_norm_add_relu) for r in runs} == {0, 1}
        assert nn_ops.relu not in targets
    else:
        (gm,) = [m for m in modules if any(n.target is conv_ops.conv2d_batch_norm_relu for n in m.graph.nodes)]
        run = [n.target for n in gm.graph.nodes if n.op == "call_function"]
        assert run.count(conv_ops.conv2d_batch_norm_relu) == 3
        assert nn_ops.relu not in run and math_ops.add_v2 not in run


def _separable_block(tf, training, x_value, labels_value, multiplier):
    """MobileNet-style: a stem conv-BN-relu, then depthwise 3x3 (stride 2: TF's asymmetric SAME padding;
    ``multiplier`` channels per input channel) + BN + relu, a 1x1 pointwise conv + BN + relu, a stride-1
    depthwise + BN + relu, global average pool and a dense layer; seeded as ``_residual_block``."""
    tf.set_random_seed(11)
    x = tf.placeholder(tf.float32, x_value.shape, name="x")
    labels = tf.placeholder(tf.int64, [x_value.shape[0]], name="labels")

    def bn(h, name):
        return tf.layers.batch_normalization(h, training=training, fused=True, name=name)

    h = tf.nn.relu(bn(tf.layers.conv2d(x, 4, 3, 1, padding="same", use_bias=False, name="stem"), "stem_bn"))
    w1 = tf.get_variable("dw1", [3, 3, 4, multiplier])
    h = tf.nn.relu(bn(tf.nn.depthwise_conv2d(h, w1, [1, 2, 2, 1], "SAME"), "dw1_bn"))
    h = tf.nn.relu(bn(tf.layers.conv2d(h, 6, 1, 1, use_bias=False, name="pw"), "pw_bn"))
    w2 = tf.get_variable("dw2", [3, 3, 6, 1])
    h = tf.nn.relu(bn(tf.nn.depthwise_conv2d(h, w2, [1, 1, 1, 1], "SAME"), "dw2_bn"))
    logits = tf.layers.dense(tf.reduce_mean(h, axis=[1, 2]), 4, name="logits")
    fetches = [logits]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        if training:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
            with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
                train = tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
            sess.run(tf.variables_initializer(tf.global_variables()))
            sess.run(train, {x: x_value, labels: labels_value})
            fetches = [logits, *tf.global_variables()]
        else:
            for v in tf.global_variables():
                if "moving" in v.op.name:
                    sess.run(v.assign(v + tf.random_uniform(v.shape, 0.2, 0.9, seed=3)))
        out = sess.run(fetches, {x: x_value, labels: labels_value})
        modules = sess._compiled_modules() if hasattr(sess, "_compiled_modules") else None
    return out, modules


@pytest.mark.parametrize("multiplier", [1, 2])
@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
def test_depthwise_separable_block_matches_tf(tf1, training, multiplier):
    """Depthwise convolutions through the fusions: inference folds each depthwise conv + batch norm + relu
    into one oneDNN call (groups = channels); training runs each depthwise conv's input and filter gradients
    as one convolution_backward, and the 1x1 conv and its gradients as matmuls. Logits and, after a Momentum
    step, every variable equal TensorFlow's."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 9, 9, 3)).astype(np.float32)
    labels = rng.integers(0, 4, 4)
    theirs, _ = _separable_block(tf1, training, x, labels, multiplier)
    ours, modules = _separable_block(tm, training, x, labels, multiplier)
    assert len(ours) == len(theirs)
    for i, (a, e) in enumerate(zip(ours, theirs)):
        assert np.shape(a) == np.shape(e), i
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5, err_msg=f"value {i}")
    targets = [n.target for m in modules for n in m.graph.nodes if n.op == "call_function"]
    if training:
        assert targets.count(conv_grad_ops.depthwise_conv2d_backprop_input_and_filter) == 2
        assert conv_grad_ops.depthwise_conv2d_native_backprop_filter not in targets
        # per module that runs the block (the training step's and the logits run's)
        fused = specialize_conv.fused_batch_norm_relu
        assert {[n.target for n in m.graph.nodes].count(fused) for m in modules} == {0, 4}
        assert nn_ops.relu not in targets
    else:
        (gm,) = [m for m in modules if any(n.target is conv_ops.conv2d_batch_norm_relu for n in m.graph.nodes)]
        fused = [n for n in gm.graph.nodes if n.target is conv_ops.conv2d_batch_norm_relu]
        assert sorted(bool(n.kwargs.get("depthwise")) for n in fused) == [False, False, True, True]
        assert conv_ops.depthwise_conv2d_native not in [n.target for n in gm.graph.nodes]


def _train_steps(tf, build, x_value, labels_value, steps):
    """``build(tf, x, labels)``'s logits trained with Momentum (batch norm moving averages through
    UPDATE_OPS) for ``steps`` steps, seeded: the loss of each step, then every variable, and the modules."""
    tf.set_random_seed(13)
    x = tf.placeholder(tf.float32, x_value.shape, name="x")
    labels = tf.placeholder(tf.int64, [x_value.shape[0]], name="labels")
    logits = build(tf, x)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train = tf.train.MomentumOptimizer(0.05, 0.9).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        feed = {x: x_value, labels: labels_value}
        losses = [sess.run([loss, train], feed)[0] for _ in range(steps)]
        out = [*losses, *sess.run(tf.global_variables())]
        modules = sess._compiled_modules() if hasattr(sess, "_compiled_modules") else None
    return out, modules


def _bn(tf, h, name):
    return tf.layers.batch_normalization(h, training=True, fused=True, name=name)


def _two_residual_blocks(tf, x):
    """bench/models.py's resnet shape, small: a stem, an identity block, a block with a strided 1x1
    projection; the stem's output feeds both the identity shortcut and a conv (its gradient is an AddN)."""

    def conv(h, filters, kernel, stride, name):
        return tf.layers.conv2d(h, filters, kernel, stride, padding="same", use_bias=False, name=name)

    h = tf.nn.relu(_bn(tf, conv(x, 8, 3, 1, "stem"), "stem_bn"))
    for i, (filters, stride) in enumerate(((8, 1), (16, 2))):
        with tf.variable_scope(f"block{i}"):
            shortcut = h
            if stride != 1:
                shortcut = _bn(tf, conv(h, filters, 1, stride, "proj"), "proj_bn")
            y = tf.nn.relu(_bn(tf, conv(h, filters, 3, stride, "conv1"), "bn1"))
            h = tf.nn.relu(_bn(tf, conv(y, filters, 3, 1, "conv2"), "bn2") + shortcut)
    return tf.layers.dense(tf.reduce_mean(h, axis=[1, 2]), 4, name="logits")


def _separable_blocks(tf, x):
    """bench/models.py's mobilenet shape, small: stem conv-BN-relu, then depthwise (stride 1, then 2) +
    BN + relu and pointwise 1x1 + BN + relu blocks."""
    h = tf.nn.relu(_bn(tf, tf.layers.conv2d(x, 8, 3, 1, padding="same", use_bias=False, name="stem"), "stem_bn"))
    for i, (filters, stride) in enumerate(((12, 1), (16, 2))):
        with tf.variable_scope(f"block{i}"):
            w = tf.get_variable("depthwise_kernel", [3, 3, h.shape[-1], 1])
            h = tf.nn.relu(_bn(tf, tf.nn.depthwise_conv2d(h, w, [1, stride, stride, 1], "SAME"), "dw_bn"))
            h = tf.nn.relu(_bn(tf, tf.layers.conv2d(h, filters, 1, 1, use_bias=False, name="pointwise"), "pw_bn"))
    return tf.layers.dense(tf.reduce_mean(h, axis=[1, 2]), 4, name="logits")


@pytest.mark.parametrize("model", ["resnet", "mobilenet"])
def test_gradients_in_place_train_like_tf(tf1, model):
    """ReluGrad over a gradient only it reads runs in place (nn_ops.relu_grad_): the fast path is in the
    training step's module, and three Momentum steps give TF's losses and variables."""
    build = _two_residual_blocks if model == "resnet" else _separable_blocks
    rng = np.random.default_rng(8)
    x = rng.standard_normal((4, 12, 12, 3)).astype(np.float32)
    labels = rng.integers(0, 4, 4)
    theirs, _ = _train_steps(tf1, build, x, labels, 3)
    ours, modules = _train_steps(tm, build, x, labels, 3)
    assert len(ours) == len(theirs)
    for i, (a, e) in enumerate(zip(ours, theirs)):
        assert np.shape(a) == np.shape(e), i
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5, err_msg=f"value {i}")
    targets = [n.target for m in modules for n in m.graph.nodes if n.op == "call_function"]
    # every ReluGrad of the step (the one over a stride-2 conv's cropped input gradient allocates at run time),
    # those read only by a batch norm gradient fused into it (its kernel's ReluGrad runs in place when not native),
    # the one over the downsampling block's AddN of its two branches' input gradients fused with the AddN (the
    # strided 1x1 projection's term added from its strided pixels alone: add_n_strided_relu_grad)
    fused = targets.count(nn_ops.fused_batch_norm_grad_relu) + targets.count(specialize_conv.add_n_strided_relu_grad)
    in_place = targets.count(nn_ops.relu_grad_) + fused
    assert in_place == 5, in_place
    assert targets.count(specialize_conv.add_n_strided_relu_grad) == (1 if model == "resnet" else 0)
    assert specialize_conv.add_n_relu_grad not in targets
    assert targets.count(nn_ops.relu_grad) == 0


def test_stride_2_layers_read_the_batch_norm_written_inside_a_border(tf1, monkeypatch):
    """The identity block's output (its bn2 + shortcut + Relu, one native batch norm call) feeds the next block's
    stride-2 convolutions, which pad it asymmetrically (TF's SAME over an even size): the batch norm writes it
    inside that zero border (``padded_for``), and no step makes a padded copy, forward or gradient. Three
    Momentum steps give TF's losses and variables."""
    from torchmeta.ops import batch_norm_native

    if not batch_norm_native.available():
        pytest.skip("needs the native batch norm")
    rng = np.random.default_rng(12)
    x = rng.standard_normal((4, 12, 12, 3)).astype(np.float32)
    labels = rng.integers(0, 4, 4)
    theirs, _ = _train_steps(tf1, _two_residual_blocks, x, labels, 3)
    pads = []
    pad = conv_ops._pad
    monkeypatch.setattr(conv_ops, "_pad", lambda x, *p: pads.append(p) or pad(x, *p))
    ours, modules = _train_steps(tm, _two_residual_blocks, x, labels, 3)
    assert len(ours) == len(theirs)
    for i, (a, e) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5, err_msg=f"value {i}")
    # one: specialization probing the filter gradient's static arguments on its own tensors (before: one a step more)
    assert len(pads) == 1, pads
    bordered = [n for m in modules for n in m.graph.nodes if n.kwargs.get("padded_for")]
    assert [n.target for n in bordered] == [specialize_conv.fused_batch_norm_add_relu]
    assert bordered[0].kwargs["padded_for"] == ((3, 3), [1, 2, 2, 1], "SAME", [], [1, 1, 1, 1])


def _conv_bn_relu_then_stride_2(tf, x):
    """conv-BN-relu, then a stride-2 conv-BN-relu over it (TF's SAME pads the 12x12 input after only)."""
    h = tf.nn.relu(_bn(tf, tf.layers.conv2d(x, 8, 3, 1, padding="same", use_bias=False, name="c1"), "bn1"))
    h = tf.nn.relu(_bn(tf, tf.layers.conv2d(h, 8, 3, 2, padding="same", use_bias=False, name="c2"), "bn2"))
    return tf.layers.dense(tf.reduce_mean(h, axis=[1, 2]), 4, name="logits")


def test_a_batch_norm_whose_relu_gradient_is_fused_writes_no_border(tf1):
    """bn1's Relu gradient runs inside its batch norm gradient's native call, which reads the Relu's output
    contiguous only: bn1 keeps writing a plain y (the stride-2 convolution pads a copy), and the steps give TF's
    numbers."""
    rng = np.random.default_rng(14)
    x = rng.standard_normal((4, 12, 12, 3)).astype(np.float32)
    labels = rng.integers(0, 4, 4)
    theirs, _ = _train_steps(tf1, _conv_bn_relu_then_stride_2, x, labels, 2)
    ours, modules = _train_steps(tm, _conv_bn_relu_then_stride_2, x, labels, 2)
    for i, (a, e) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5, err_msg=f"value {i}")
    nodes = [n for m in modules for n in m.graph.nodes if n.op == "call_function"]
    assert [n.target for n in nodes].count(nn_ops.fused_batch_norm_grad_relu) == 2
    assert conv_ops.conv2d_keeping_padded_and_filter in [n.target for n in nodes]  # (and its filter: a variable)
    assert not any(n.kwargs.get("padded_for") for n in nodes)


def _block_output_read_by_a_pointwise_conv(tf, x):
    """An identity block's output read by a stride-2 3x3 conv and by a stride-1 1x1 conv (which would copy a
    bordered y to make its rows contiguous)."""

    def conv(h, filters, kernel, stride, name):
        return tf.layers.conv2d(h, filters, kernel, stride, padding="same", use_bias=False, name=name)

    stem = tf.nn.relu(_bn(tf, conv(x, 8, 3, 1, "stem"), "stem_bn"))
    h = tf.nn.relu(_bn(tf, conv(stem, 8, 3, 1, "c1"), "bn1") + stem)
    down = tf.reduce_mean(tf.nn.relu(_bn(tf, conv(h, 8, 3, 2, "c2"), "bn2")), axis=[1, 2])
    wide = tf.reduce_mean(conv(h, 8, 1, 1, "c3"), axis=[1, 2])
    return tf.layers.dense(down + wide, 4, name="logits")


def test_a_batch_norm_read_by_a_convolution_that_would_copy_writes_no_border(tf1):
    """y is read by a stride-1 1x1 convolution too, which takes contiguous rows: no border (the stride-2
    convolution pads a copy as before), and the steps give TF's numbers."""
    rng = np.random.default_rng(15)
    x = rng.standard_normal((4, 12, 12, 3)).astype(np.float32)
    labels = rng.integers(0, 4, 4)
    theirs, _ = _train_steps(tf1, _block_output_read_by_a_pointwise_conv, x, labels, 2)
    ours, modules = _train_steps(tm, _block_output_read_by_a_pointwise_conv, x, labels, 2)
    for i, (a, e) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5, err_msg=f"value {i}")
    nodes = [n for m in modules for n in m.graph.nodes if n.op == "call_function"]
    assert specialize_conv.fused_batch_norm_add_relu in [n.target for n in nodes]
    assert conv_ops.conv2d_keeping_padded_and_filter in [n.target for n in nodes]  # (and its filter: a variable)
    assert not any(n.kwargs.get("padded_for") for n in nodes)


# A residual block that downsamples: h = relu(conv0(x)); relu(conv2(relu(conv1(h))) + proj(h)), conv1 and the
# projection both stride 2 over h with the case's padding. TF's SAME padding of a stride-2 window over an even
# size (or a 4-wide one over an odd size), and asymmetric EXPLICIT padding, pad one more after than before:
# torch needs a padded copy of h for those. ``pads``: how many copies a training step makes (h's, once: the
# projection's forward and both gradients reuse conv1's).
DOWNSAMPLING = {
    "same-even": dict(size=10, kernel=3, padding="SAME", pads=1),
    "same-odd": dict(size=9, kernel=3, padding="SAME", pads=0),
    "same-odd-4x4": dict(size=9, kernel=4, padding="SAME", pads=1),
    "valid-even": dict(size=10, kernel=3, padding="VALID", pads=0),
    "explicit-asymmetric": dict(size=9, kernel=3, padding=[[0, 0], [0, 1], [1, 2], [0, 0]], pads=1),
    "nchw-same-even": dict(size=10, kernel=3, padding="SAME", pads=1, data_format="NCHW"),
    "nchw-explicit-asymmetric": dict(
        size=9, kernel=3, padding=[[0, 0], [0, 1], [1, 2], [0, 0]], pads=1, data_format="NCHW"
    ),
}


def _downsampling_block(tf, case, x_value, weights, dy_value, between=lambda: None):
    fmt = case.get("data_format", "NHWC")
    x = tf.placeholder(tf.float32, x_value.shape, name="x")
    w0, w1, w2, wp = (tf.Variable(v, name=n) for n, v in zip(("w0", "w1", "w2", "wp"), weights))

    def conv(h, w, stride, padding):
        strides = [1, 1, stride, stride] if fmt == "NCHW" else [1, stride, stride, 1]
        if isinstance(padding, list) and fmt == "NCHW":
            padding = [padding[i] for i in (0, 3, 1, 2)]
        return tf.nn.conv2d(h, w, strides, padding, data_format=fmt)

    h = tf.nn.relu(conv(x, w0, 1, "SAME"))
    y = conv(tf.nn.relu(conv(h, w1, 2, case["padding"])), w2, 1, "SAME")
    out = tf.nn.relu(y + conv(h, wp, 2, case["padding"]))
    loss = tf.reduce_sum(out * tf.constant(dy_value))
    fetches = [out, *tf.gradients(loss, [x, w0, w1, w2, wp])]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(fetches, {x: x_value})  # specializing runs some kernels once, to check their arguments
        between()
        result = sess.run(fetches, {x: x_value})
        modules = sess._compiled_modules() if hasattr(sess, "_compiled_modules") else None
    return result, modules


@pytest.mark.parametrize("name", sorted(DOWNSAMPLING))
def test_downsampling_block_pads_once_and_matches_tf(tf1, name, monkeypatch):
    """A training step of a downsampling residual block: the padded copy of the block input that asymmetric
    padding needs is made once (conv1's forward) and reused by the projection and both convolutions' gradients
    (conv_ops.padded_input); the block input's gradient, the AddN of the two branches' input gradients
    through the Relu, is one native pass (specialize_conv.add_n_relu_grad). The output and every gradient equal
    TensorFlow's."""
    case = DOWNSAMPLING[name]
    fmt, size, k = case.get("data_format", "NHWC"), case["size"], case["kernel"]
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, size, size, 3) if fmt == "NHWC" else (2, 3, size, size)).astype(np.float32)
    weights = [
        rng.standard_normal(shape).astype(np.float32) * 0.5
        for shape in ((3, 3, 3, 4), (k, k, 4, 6), (3, 3, 6, 6), (k, k, 4, 6))
    ]
    # TF's reference runs NHWC (its CPU kernels reject some NCHW gradients), transposed for NCHW cases
    nhwc = dict(case, data_format="NHWC")
    to_nhwc, to_nchw = (0, 2, 3, 1), (0, 3, 1, 2)
    x_ref = x.transpose(to_nhwc) if fmt == "NCHW" else x
    probe, _ = _downsampling_block(tf1, nhwc, x_ref, weights, np.zeros(1, np.float32))
    dy = rng.standard_normal(probe[0].shape).astype(np.float32)
    theirs, _ = _downsampling_block(tf1, nhwc, x_ref, weights, dy)
    if fmt == "NCHW":
        theirs[:2] = [theirs[0].transpose(to_nchw), theirs[1].transpose(to_nchw)]
        dy = np.ascontiguousarray(dy.transpose(to_nchw))
    pads = []
    pad = conv_ops._pad
    monkeypatch.setattr(conv_ops, "_pad", lambda x, *p: pads.append(p) or pad(x, *p))
    ours, modules = _downsampling_block(tm, case, x, weights, dy, between=pads.clear)
    for i, (a, e) in enumerate(zip(ours, theirs)):
        assert a.shape == e.shape and a.dtype == e.dtype, i
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-4, err_msg=f"value {i}")
    assert len(pads) == case["pads"], pads
    targets = [n.target for m in modules for n in m.graph.nodes if n.op == "call_function"]
    assert targets.count(specialize_conv.add_n_relu_grad) == 1
    assert math_ops.add_n not in targets
    assert targets.count(conv_grad_ops.conv2d_backprop_input_and_filter) == 4


def _projection_block(
    tf, size, proj_padding, x_value, weights, dy_value, fetch_projection_grad=False, projection_first=True
):
    """A ResNet downsampling block whose shortcut is a 1x1 stride-2 projection (as bench/models.py's resnet
    builds it, its input gradient is the AddN's first term; unless ``projection_first``, the shortcut is scaled
    twice, which makes TF's gradients reach the projection later: the second term); the output and the gradients
    of x and every filter, and with ``fetch_projection_grad`` the projection's input gradient itself."""
    x = tf.placeholder(tf.float32, x_value.shape, name="x")
    w0, w1, w2, wp = (tf.Variable(v, name=n) for n, v in zip(("w0", "w1", "w2", "wp"), weights))
    h = tf.nn.relu(tf.nn.conv2d(x, w0, [1, 1, 1, 1], "SAME"))
    shortcut = tf.nn.conv2d(h, wp, [1, 2, 2, 1], proj_padding)
    if not projection_first:
        shortcut = shortcut * 0.5 * 2.0
    y = tf.nn.conv2d(tf.nn.relu(tf.nn.conv2d(h, w1, [1, 2, 2, 1], "SAME")), w2, [1, 1, 1, 1], "SAME")
    out = tf.nn.relu(y + shortcut)
    loss = tf.reduce_sum(out * tf.constant(dy_value))
    fetches = [out, *tf.gradients(loss, [x, w0, w1, w2, wp])]
    if fetch_projection_grad:
        grads = [op for op in tf.get_default_graph().get_operations() if op.type == "Conv2DBackpropInput"]
        fetches += [op.outputs[0] for op in grads if op.inputs[1].op.name.startswith("wp")]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(fetches, {x: x_value})
        result = sess.run(fetches, {x: x_value})
        modules = sess._compiled_modules() if hasattr(sess, "_compiled_modules") else None
    return result, modules


def _projection_case(size):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, size, size, 3)).astype(np.float32)
    weights = [
        rng.standard_normal(shape).astype(np.float32) * 0.5
        for shape in ((3, 3, 3, 4), (3, 3, 4, 6), (3, 3, 6, 6), (1, 1, 4, 6))
    ]
    out = -(-size // 2)
    dy = rng.standard_normal((2, out, out, 6)).astype(np.float32)
    return x, weights, dy


@pytest.mark.parametrize(
    ("size", "proj_padding", "projection_first"),
    [(10, "SAME", True), (9, "SAME", True), (10, "VALID", True), (9, "VALID", True), (10, "SAME", False)],
)
def test_a_strided_projection_input_gradient_is_summed_from_its_strided_pixels(
    tf1, size, proj_padding, projection_first, monkeypatch
):
    """A 1x1 stride-2 projection's input gradient is zero but at the strided pixels: its fused gradients give
    those pixels alone (``compact_input_grad``) and the block input's gradient, AddN of the two branches through
    the Relu, adds them where they belong in one native pass (``add_n_strided_relu_grad``), with no zero-filled
    tensor. TensorFlow's values, and bit for bit what the zero-filled path gives."""
    x, weights, dy = _projection_case(size)
    theirs, _ = _projection_block(tf1, size, proj_padding, x, weights, dy, projection_first=projection_first)
    ours, modules = _projection_block(tm, size, proj_padding, x, weights, dy, projection_first=projection_first)
    for i, (a, e) in enumerate(zip(ours, theirs)):
        assert a.shape == e.shape and a.dtype == e.dtype, i
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-4, err_msg=f"value {i}")
    nodes = [n for m in modules for n in m.graph.nodes if n.op == "call_function"]
    targets = [n.target for n in nodes]
    assert targets.count(specialize_conv.add_n_strided_relu_grad) == 1
    assert specialize_conv.add_n_relu_grad not in targets and math_ops.add_n not in targets
    compact = [n for n in nodes if n.kwargs.get("compact_input_grad")]
    assert len(compact) == 1 and compact[0].kwargs["strides"] == [1, 2, 2, 1]
    monkeypatch.setattr(specialize_conv, "_strided_pointwise_grads", lambda *args: None)
    zero_filled, modules = _projection_block(tm, size, proj_padding, x, weights, dy, projection_first=projection_first)
    assert specialize_conv.add_n_strided_relu_grad not in [
        n.target for m in modules for n in m.graph.nodes if n.op == "call_function"
    ]
    for a, e in zip(ours, zero_filled):
        np.testing.assert_array_equal(a.view(np.int32), e.view(np.int32))


def test_a_fetched_projection_input_gradient_stays_whole(tf1):
    """Where the projection's input gradient is fetched (read by more than the AddN), it is computed whole, as
    TF's op gives it, and the AddN + ReluGrad read it as before."""
    x, weights, dy = _projection_case(10)
    theirs, _ = _projection_block(tf1, 10, "SAME", x, weights, dy, fetch_projection_grad=True)
    ours, modules = _projection_block(tm, 10, "SAME", x, weights, dy, fetch_projection_grad=True)
    assert len(ours) == len(theirs) == 7
    for i, (a, e) in enumerate(zip(ours, theirs)):
        assert a.shape == e.shape, i
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-4, err_msg=f"value {i}")
    assert not ours[-1][:, 1::2].any() and not ours[-1][:, :, 1::2].any()
    targets = [n.target for m in modules for n in m.graph.nodes if n.op == "call_function"]
    assert specialize_conv.add_n_strided_relu_grad not in targets
    assert targets.count(specialize_conv.add_n_relu_grad) == 1


def test_a_fed_tensor_refilled_outside_torch_is_padded_afresh(tf1):
    """A torch tensor fed on every run and refilled through a numpy view in between (no version change): its
    stride-2 convolution and gradient are not marked to keep a padded copy, so each run pads what it is given."""
    rng = np.random.default_rng(9)
    w_value = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    values = [rng.standard_normal((2, 8, 8, 3)).astype(np.float32) for _ in range(2)]

    def build(tf):
        x = tf.placeholder(tf.float32, [2, 8, 8, 3], name="x")
        w = tf.Variable(w_value, name="w")
        y = tf.nn.relu(tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME"))
        return x, [y, *tf.gradients(tf.reduce_sum(y * y), [w])]

    theirs = []
    with tf1.Graph().as_default():
        x, fetches = build(tf1)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            theirs = [sess.run(fetches, {x: v}) for v in values]
    with tm.Graph().as_default():
        x, fetches = build(tm)
        with tm.Session() as sess:
            sess.run(tm.global_variables_initializer())
            fed = torch.from_numpy(values[0].copy())
            ours = [sess.run(fetches, {x: fed})]
            fed.numpy()[:] = values[1]
            ours.append(sess.run(fetches, {x: fed}))
    for run, (a, e) in enumerate(zip(ours, theirs)):
        for i, (u, v) in enumerate(zip(a, e)):
            np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-4, err_msg=f"run {run} value {i}")


def test_a_training_step_copies_each_filter_once_for_its_convolution_and_gradients(tf1, monkeypatch):
    """The variables' filters are never fed: each Conv2D runs as ``conv2d_keeping_filter`` (or with its padded copy,
    ``conv2d_keeping_padded_and_filter``) and each fused input + filter gradient with ``keep_filter``: one step
    copies each 3x3 filter into oneDNN's layout once, in its forward, and its gradient reads that copy. Three
    Momentum steps give TF's losses and variables."""
    rng = np.random.default_rng(16)
    x = rng.standard_normal((4, 12, 12, 3)).astype(np.float32)
    labels = rng.integers(0, 4, 4)
    theirs, _ = _train_steps(tf1, _two_residual_blocks, x, labels, 3)
    copies = []
    oihw = conv_ops._oihw

    def counted(filter, keep):
        held = getattr(filter, "_tm_oihw", None)
        copies.append(not (keep and held is not None and held[0] == filter._version))
        return oihw(filter, keep)

    monkeypatch.setattr(conv_ops, "_oihw", counted)
    ours, modules = _train_steps(tm, _two_residual_blocks, x, labels, 3)
    for i, (a, e) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5, err_msg=f"value {i}")
    nodes = [n for m in modules for n in m.graph.nodes if n.op == "call_function"]
    targets = [n.target for n in nodes]
    assert conv_ops.conv2d not in targets and conv_ops.conv2d_keeping_padded not in targets
    assert targets.count(conv_ops.conv2d_keeping_filter) == 5  # (the 1x1 projection's too: it runs as a product)
    assert targets.count(conv_ops.conv2d_keeping_padded_and_filter) == 1
    fused = [n for n in nodes if n.target is conv_grad_ops.conv2d_backprop_input_and_filter]
    assert len(fused) == 5 and all(n.kwargs["keep_filter"] for n in fused)  # (the stem's: a filter gradient only)
    # per step: the 5 forwards of 3x3 filters copy theirs, the 4 fused gradients of 3x3 filters reuse it
    assert copies.count(True) == 3 * 5 and copies.count(False) == 3 * 4, copies


def test_a_fed_filter_refilled_outside_torch_keeps_no_copy_for_its_gradients(tf1):
    """A filter fed as the same torch tensor on every run and refilled through a numpy view in between (no version
    change): its convolution and gradients keep no copy of it (``keep_filter`` is not set), so each run's
    gradients are of what it is given."""
    rng = np.random.default_rng(17)
    x_value = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
    filters = [rng.standard_normal((3, 3, 3, 4)).astype(np.float32) for _ in range(3)]

    def build(tf):
        x = tf.placeholder(tf.float32, x_value.shape, name="x")
        w = tf.placeholder(tf.float32, [3, 3, 3, 4], name="w")
        y = tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME")
        return x, w, [y, *tf.gradients(tf.reduce_sum(y * y), [x, w])]

    with tf1.Graph().as_default():
        x, w, fetches = build(tf1)
        with tf1.Session() as sess:
            theirs = [sess.run(fetches, {x: x_value, w: v}) for v in filters]
    with tm.Graph().as_default():
        x, w, fetches = build(tm)
        with tm.Session() as sess:
            fed = torch.from_numpy(filters[0].copy())
            ours = []
            for v in filters:
                fed.numpy()[:] = v
                ours.append(sess.run(fetches, {x: x_value, w: fed}))
            modules = sess._compiled_modules()
    for run, (a, e) in enumerate(zip(ours, theirs, strict=True)):
        for i, (u, v) in enumerate(zip(a, e, strict=True)):
            np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-4, err_msg=f"run {run}, value {i}")
    nodes = [n for m in modules for n in m.graph.nodes if n.op == "call_function"]
    targets = [n.target for n in nodes]
    assert conv_ops.conv2d_keeping_filter not in targets and conv_ops.conv2d_keeping_padded_and_filter not in targets
    fused = [n for n in nodes if n.target is conv_grad_ops.conv2d_backprop_input_and_filter]
    assert len(fused) == 1 and not fused[0].kwargs.get("keep_filter")
