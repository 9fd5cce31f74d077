"""The TF1 ``tf.nn`` API builds the graphs TF builds (node names, types, inputs), computes what TF
computes, and fails like TF."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from torchmeta import errors

rng = np.random.default_rng(0)
X23 = rng.standard_normal((2, 3)).astype(np.float32)
L23 = np.array([[0.2, 0.3, 0.5], [0.0, 1.0, 0.0]], np.float32)
IMG = rng.standard_normal((2, 5, 6, 3)).astype(np.float32)
FILT = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
DW = rng.standard_normal((3, 3, 3, 2)).astype(np.float32)


def _nodes(graph):
    return [(n.name, n.op, list(n.input)) for n in graph.as_graph_def().node]


def _flat(out):
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _build(tf, build, feeds):
    """Builds ``build(tf, ph)`` in a fresh graph; ``ph(name)`` makes a placeholder fed from ``feeds``."""
    g = tf.Graph()
    with g.as_default():
        phs = {}

        def ph(name, shape=None, dtype=None):
            value = feeds[name]
            t = tf.placeholder(dtype or tf.as_dtype(value.dtype.name), shape, name=name)
            phs[t] = value
            return t

        out = _flat(build(tf, ph))
    return g, out, phs


def _run(tf, g, out, phs):
    with tf.Session(graph=g) as sess:
        return sess.run(out, phs)


def _compare(tf1, build, feeds=None, names=True, values=True, rtol=1e-5, atol=1e-6):
    feeds = feeds or {}
    tg, tout, tphs = _build(tf1, build, feeds)
    mg, mout, mphs = _build(tm, build, feeds)
    if names:
        assert _nodes(mg) == _nodes(tg)
    assert [t.shape.as_list() if t.shape.rank is not None else None for t in mout] == [
        t.shape.as_list() if t.shape.rank is not None else None for t in tout
    ]
    assert [t.dtype.name for t in mout] == [t.dtype.name for t in tout]
    if values:
        for m, t in zip(_run(tm, mg, mout, mphs), _run(tf1, tg, tout, tphs)):
            np.testing.assert_allclose(np.asarray(m, np.float64), np.asarray(t, np.float64), rtol=rtol, atol=atol)


CASES = {
    "relu": lambda tf, ph: tf.nn.relu(tf.constant(X23)),
    "relu-numpy-named": lambda tf, ph: tf.nn.relu(X23, name="act"),
    "relu6": lambda tf, ph: tf.nn.relu6(X23 * 4),
    "elu-selu-softplus-softsign": lambda tf, ph: [
        tf.nn.elu(ph("x", [None, 3])),
        tf.nn.selu(ph("x2", [None, 3])),
        tf.nn.softplus(X23),
        tf.nn.softsign(X23),
    ],
    "leaky_relu": lambda tf, ph: [tf.nn.leaky_relu(X23), tf.nn.leaky_relu(X23, alpha=0.01, name="lr")],
    "leaky_relu-int": lambda tf, ph: tf.nn.leaky_relu(np.array([-2, 3], np.int32)),
    "sigmoid-tanh": lambda tf, ph: [tf.nn.sigmoid(X23), tf.nn.tanh(tf.constant(X23))],
    "softmax": lambda tf, ph: [tf.nn.softmax(ph("x", [None, 3])), tf.nn.softmax(X23, dim=-1, name="sm")],
    "log_softmax": lambda tf, ph: tf.nn.log_softmax(X23, axis=1),
    "bias_add": lambda tf, ph: [
        tf.nn.bias_add(ph("x", [None, 3]), np.array([1, 2, 3], np.float32)),
        tf.nn.bias_add(IMG, np.ones(5, np.float32), data_format="NCHW"),
        tf.nn.bias_add(X23, [1.0, 2.0, 3.0], data_format="NWC", name="b"),
    ],
    "l2_loss": lambda tf, ph: tf.nn.l2_loss(X23),
    "xw_plus_b": lambda tf, ph: tf.nn.xw_plus_b(X23, np.ones((3, 2), np.float32), np.array([1, 2], np.float32)),
    "softmax_xent_v1": lambda tf, ph: [
        tf.nn.softmax_cross_entropy_with_logits(labels=L23, logits=X23),
        tf.nn.softmax_cross_entropy_with_logits(labels=ph("x2", [None, 3]), logits=ph("x", [None, 3])),
    ],
    "softmax_xent_v2": lambda tf, ph: [
        tf.nn.softmax_cross_entropy_with_logits_v2(labels=L23, logits=X23),
        tf.nn.softmax_cross_entropy_with_logits_v2(L23, ph("x", None), name="loss"),
    ],
    "softmax_xent_v2-f16": lambda tf, ph: tf.nn.softmax_cross_entropy_with_logits_v2(
        labels=L23.astype(np.float16), logits=X23.astype(np.float16)
    ),
    "sparse_xent": lambda tf, ph: [
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=np.array([0, 2]), logits=X23),
        tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=ph("y", [None], tf.int32), logits=ph("x", [None, 3]), name="xent"
        ),
    ],
    "sparse_xent-f16": lambda tf, ph: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=np.array([0, 2]), logits=X23.astype(np.float16)
    ),
    "sigmoid_xent": lambda tf, ph: [
        tf.nn.sigmoid_cross_entropy_with_logits(labels=L23, logits=X23),
        tf.nn.sigmoid_cross_entropy_with_logits(labels=L23, logits=ph("x", [None, 3])),
    ],
    "weighted_xent": lambda tf, ph: tf.nn.weighted_cross_entropy_with_logits(labels=L23, logits=X23, pos_weight=2.5),
    "in_top_k": lambda tf, ph: [
        tf.nn.in_top_k(X23, np.array([0, 1], np.int32), 2),
        tf.nn.in_top_k(X23, np.array([0, 1], np.int32), 1, name="hit"),
    ],
    "top_k": lambda tf, ph: [tf.nn.top_k(X23, k=2), tf.nn.top_k(ph("x", [None, 3]), 1, name="best")],
    "conv2d": lambda tf, ph: [
        tf.nn.conv2d(IMG, FILT, strides=[1, 2, 2, 1], padding="SAME"),
        tf.nn.conv2d(ph("x", [None, 5, 6, 3]), FILT, [1, 1, 1, 1], "VALID", name="c"),
        tf.nn.conv2d(IMG, FILT, strides=1, padding=[[0, 0], [1, 2], [0, 1], [0, 0]], dilations=2),
    ],
    "depthwise_conv2d": lambda tf, ph: tf.nn.depthwise_conv2d(IMG, DW, strides=[1, 1, 1, 1], padding="SAME"),
    "depthwise_conv2d_native": lambda tf, ph: tf.nn.depthwise_conv2d_native(IMG, DW, [1, 2, 2, 1], "VALID"),
    # Dilated: the undilated op between SpaceToBatchND and BatchToSpaceND (TF's with_space_to_batch).
    "depthwise-dilated": lambda tf, ph: [
        tf.nn.depthwise_conv2d(IMG, DW, [1, 1, 1, 1], "SAME", rate=[2, 2]),
        tf.nn.depthwise_conv2d(ph("x", [None, None, None, 3]), DW, [1, 1, 1, 1], "VALID", rate=[1, 2], name="dv"),
    ],
    "separable-dilated": lambda tf, ph: tf.nn.separable_conv2d(
        IMG, DW, np.ones((1, 1, 6, 2), np.float32), [1, 1, 1, 1], "SAME", rate=[3, 2]
    ),
    "atrous_conv2d": lambda tf, ph: [
        tf.nn.atrous_conv2d(IMG, FILT, 2, "SAME"),
        tf.nn.convolution(ph("x", [None, 5, 6, 3]), FILT, "VALID", dilation_rate=[2, 1], name="dil"),
        tf.nn.convolution(tf.transpose(IMG, [0, 3, 1, 2]), FILT, "SAME", dilation_rate=2, data_format="NCHW"),
    ],
    "space_to_batch": lambda tf, ph: [
        tf.space_to_batch_nd(IMG, [2, 3], [[1, 0], [0, 0]]),
        tf.batch_to_space_nd(tf.space_to_batch(IMG, [[1, 0], [0, 0]], 2), [2, 2], [[1, 0], [0, 0]]),
        tf.required_space_to_batch_paddings(ph("shape", [2], tf.int32), [2, 3], [[1, 1], [0, 2]]),
        tf.nn.with_space_to_batch(IMG, [2, 2], "SAME", lambda x, n, p: tf.nn.max_pool(x, 2, 1, p), [2, 2]),
    ],
    "max_pool-avg_pool": lambda tf, ph: [
        tf.nn.max_pool(IMG, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME"),
        tf.nn.avg_pool(ph("x", [None, 5, 6, 3]), [1, 3, 3, 1], [1, 2, 2, 1], "SAME", name="pool"),
        tf.nn.max_pool(IMG, 3, 1, padding="VALID"),
    ],
    "lrn": lambda tf, ph: tf.nn.lrn(IMG, depth_radius=1, alpha=0.5),
    "moments": lambda tf, ph: [
        tf.nn.moments(tf.constant(IMG), axes=[0, 1, 2]),
        tf.nn.moments(tf.constant(X23), [1], keep_dims=True, name="m"),
    ],
    "moments-f16": lambda tf, ph: tf.nn.moments(tf.constant(X23.astype(np.float16)), axes=[0]),
    "batch_normalization": lambda tf, ph: [
        tf.nn.batch_normalization(tf.constant(X23), 0.5, 2.0, tf.constant([0.1, 0.2, 0.3]), 1.5, 1e-3),
        tf.nn.batch_normalization(tf.constant(X23), tf.constant(0.5), tf.constant(2.0), None, None, 1e-3),
    ],
    "fused_batch_norm": lambda tf, ph: tf.nn.fused_batch_norm(
        IMG, np.ones(3, np.float32), np.zeros(3, np.float32), epsilon=1e-3
    ),
    "l2_normalize": lambda tf, ph: [tf.nn.l2_normalize(X23, axis=1), tf.nn.l2_normalize(X23, dim=None, name="n")],
    "embedding_lookup": lambda tf, ph: [
        tf.nn.embedding_lookup(tf.constant(IMG[0, 0]), np.array([[1, 0], [5, 5]], np.int32)),
        tf.nn.embedding_lookup(IMG[0, 0], ph("ids", [None], tf.int64), name="emb"),
    ],
}

FEEDS = {
    "x": X23,
    "x2": X23,
    "y": np.array([2, 0], np.int32),
    "ids": np.array([3, 3, 1], np.int64),
    "shape": np.array([5, 7], np.int32),
}
# Feeds whose case builds an image placeholder use IMG instead.
IMG_CASES = {"conv2d", "max_pool-avg_pool", "depthwise-dilated", "atrous_conv2d"}


@pytest.mark.parametrize("case", list(CASES))
def test_graph_and_values_match_tf(tf1, case):
    feeds = dict(FEEDS, x=IMG) if case in IMG_CASES else FEEDS
    rtol = 2e-3 if "f16" in case else 1e-4
    _compare(tf1, CASES[case], feeds, rtol=rtol, atol=rtol)


# Graphs built differently from TF on purpose (same values): transposes for a non-last softmax
# axis and flattening for rank-3 sparse logits use static permutations/reshapes.
VALUE_CASES = {
    "softmax-axis0": lambda tf, ph: [tf.nn.softmax(IMG, axis=0), tf.nn.log_softmax(IMG, dim=2)],
    "softmax_xent-axis0": lambda tf, ph: tf.nn.softmax_cross_entropy_with_logits_v2(
        labels=np.abs(X23) / np.abs(X23).sum(0), logits=X23, axis=0
    ),
    "sparse_xent-rank3": lambda tf, ph: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=np.array([[0, 2, 1, 1, 0, 2]] * 5), logits=IMG[0]
    ),
    "embedding_lookup-mod": lambda tf, ph: tf.nn.embedding_lookup(
        [IMG[0, 0, :3], IMG[0, 1, :2], IMG[0, 2, :2]], np.array([[0, 6], [4, 1]], np.int32)
    ),
    "embedding_lookup-mod-fed": lambda tf, ph: tf.nn.embedding_lookup(
        [tf.constant(IMG[0, 0, :2]), tf.constant(IMG[0, 1, :2])], ph("ids", [None], tf.int64)
    ),
}


@pytest.mark.parametrize("case", list(VALUE_CASES))
def test_values_match_tf(tf1, case):
    _compare(tf1, VALUE_CASES[case], FEEDS, names=False, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "build",
    [
        lambda tf: tf.nn.dropout(tf.constant(X23), keep_prob=0.75),
        lambda tf: tf.nn.dropout(tf.constant(X23), rate=0.25, noise_shape=[1, 3], seed=4, name="drop"),
        lambda tf: tf.nn.dropout(tf.constant(X23), rate=tf.placeholder(tf.float32, [])),
        lambda tf: tf.nn.dropout(tf.constant(X23), keep_prob=tf.placeholder(tf.float32, [])),
    ],
)
def test_dropout_builds_tfs_graph(tf1, build):
    """TF 2.21's tf.compat.v1.nn.dropout: x * 1/keep (or x / (1 - rate)), RandomUniform >= rate, SelectV2."""
    tg, mg = tf1.Graph(), tm.Graph()
    with tg.as_default():
        theirs = build(tf1)
    with mg.as_default():
        ours = build(tm)
    assert [(n.name, n.op, list(n.input)) for n in mg.as_graph_def().node] == [
        (n.name, n.op, list(n.input)) for n in tg.as_graph_def().node
    ]
    assert ours.shape.as_list() == theirs.shape.as_list()


DROPOUT_CASES = {
    "keep_prob": lambda tf, x: tf.nn.dropout(x, keep_prob=0.75),
    "rate": lambda tf, x: tf.nn.dropout(x, rate=0.3, name="drop"),
    "fed-keep-prob": lambda tf, x: tf.nn.dropout(x, tf.placeholder(tf.float32, [], name="keep")),
    "fed-rate": lambda tf, x: tf.nn.dropout(x, rate=tf.placeholder(tf.float32, [], name="rate")),
    "noise-shape": lambda tf, x: tf.nn.dropout(x, rate=0.5, noise_shape=[2, 1], seed=3),
    "rate-zero": lambda tf, x: [tf.nn.dropout(x, rate=0.0), tf.random_uniform([2])],
}


@pytest.mark.parametrize("case", list(DROPOUT_CASES))
def test_dropout_builds_tf_graph(tf1, case):
    """TF 2.21's tf.compat.v1.nn.dropout: SelectV2(uniform >= rate, x * scale, 0), node for node (seeds
    included: rate 0 still moves the graph's op-seed counter)."""
    graphs = []
    for fw in (tf1, tm):
        g = fw.Graph()
        with g.as_default():
            fw.set_random_seed(1)
            DROPOUT_CASES[case](fw, fw.constant(X23))
        graphs.append(
            [
                (n.name, n.op, list(n.input), {k: v.SerializeToString() for k, v in n.attr.items()})
                for n in g.as_graph_def().node
            ]
        )
    assert graphs[1] == graphs[0]


def test_dropout_keeps_and_scales():
    x = tm.constant(np.ones((200, 100), np.float32))
    y = tm.nn.dropout(x, keep_prob=0.25)
    z = tm.nn.dropout(x, rate=0.5, noise_shape=[200, 1])
    with tm.Session() as sess:
        a, b = sess.run([y, z])
    assert set(np.unique(a)) <= {0.0, 4.0}
    assert abs((a > 0).mean() - 0.25) < 0.02
    assert set(np.unique(b)) <= {0.0, 2.0}
    assert all(len(set(row)) == 1 for row in b)  # the mask is shared along the broadcast axis


def test_dropout_fed_keep_prob_and_no_op():
    x = tm.constant(X23)
    assert tm.nn.dropout(x, keep_prob=1.0) is x
    keep = tm.placeholder(tm.float32, [])
    y = tm.nn.dropout(x, keep)
    with tm.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {keep: 1.0}), X23)


@pytest.mark.parametrize(
    "call",
    [
        lambda tf: tf.nn.dropout(tf.constant([1, 2]), 0.5),
        lambda tf: tf.nn.dropout(tf.constant(X23), 1.5),
        lambda tf: tf.nn.dropout(tf.constant(X23), rate=tf.placeholder(tf.float64, [])),
        lambda tf: tf.nn.dropout(tf.constant(X23)),
    ],
    ids=["int", "keep-prob-range", "rate-dtype", "no-rate"],
)
def test_dropout_errors_match_tf(tf1, call):
    with pytest.raises(ValueError) as theirs:
        with tf1.Graph().as_default():
            call(tf1)
    with pytest.raises(ValueError) as ours:
        call(tm)
    assert str(ours.value) == str(theirs.value)


def test_dropout_errors():
    with pytest.raises(ValueError, match="floating point"):
        tm.nn.dropout(tm.constant([1, 2]), 0.5)
    with pytest.raises(ValueError, match=r"range \[0, 1\). Received: rate=-0.5"):
        tm.nn.dropout(tm.constant(X23), 1.5)
    with pytest.raises(ValueError, match="both 'keep_prob' and 'rate'"):
        tm.nn.dropout(tm.constant(X23), 0.5, rate=0.5)
    with pytest.raises(
        ValueError,
        match=r"`x.dtype` must be compatible with `rate.dtype`. Received: x.dtype=<dtype: 'float32'> and rate.dtype=<dtype: 'float64'>",
    ):
        tm.nn.dropout(tm.constant(X23), rate=tm.placeholder(tm.float64, []))


def test_xent_v1_requires_keywords():
    with pytest.raises(ValueError, match=r"Only call `softmax_cross_entropy_with_logits` with named arguments"):
        tm.nn.softmax_cross_entropy_with_logits(L23, X23)
    with pytest.raises(ValueError, match=r"Only call `sparse_softmax_cross_entropy_with_logits` with named"):
        tm.nn.sparse_softmax_cross_entropy_with_logits(np.array([0, 1]), X23)
    with pytest.raises(ValueError, match=r"Only call `sigmoid_cross_entropy_with_logits` with named"):
        tm.nn.sigmoid_cross_entropy_with_logits(L23, X23)


@pytest.mark.parametrize(
    "call",
    [
        lambda tf: tf.nn.softmax_cross_entropy_with_logits(logits=X23),
        lambda tf: tf.nn.sigmoid_cross_entropy_with_logits(labels=L23),
        lambda tf: tf.nn.sigmoid_cross_entropy_with_logits(labels=L23[0], logits=X23),
        lambda tf: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=np.array([0, 1, 2]), logits=X23),
        lambda tf: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=np.array(0), logits=X23),
        lambda tf: tf.nn.conv2d(IMG, FILT, strides=[1, 1], padding="EXPLICIT"),
        lambda tf: tf.nn.conv2d(IMG, FILT, strides=[1, 1, 1], padding="SAME"),
        lambda tf: tf.nn.bias_add(X23, [1.0, 2.0, 3.0], data_format="HWC"),
        lambda tf: tf.nn.fused_batch_norm(IMG, np.ones(3, np.float32), np.zeros(3, np.float32), is_training=False),
        lambda tf: tf.nn.max_pool(IMG, [1, 0, 2, 1], [1, 1, 1, 1], "SAME"),
    ],
    ids=[
        "xent-no-labels",
        "sigmoid-no-logits",
        "sigmoid-shapes",
        "sparse-shapes",
        "sparse-rank",
        "conv-explicit-string",
        "conv-strides-length",
        "bias-format",
        "fused-bn-needs-mean",
        "pool-ksize-zero",
    ],
)
def test_value_errors_match_tf(tf1, call):
    with tf1.Graph().as_default():
        with pytest.raises(ValueError) as theirs:
            call(tf1)
    with tm.Graph().as_default():
        with pytest.raises(ValueError) as ours:
            call(tm)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    "build",
    [
        lambda tf: tf.nn.conv2d(
            tf.placeholder(tf.float32, [1, 2, 2, 1]), np.ones((3, 3, 1, 1), np.float32), 1, "VALID"
        ),
        lambda tf: tf.nn.conv2d(tf.placeholder(tf.float32, [1, 5, 5, 3]), FILT[:, :, :2], 1, "VALID"),
        lambda tf: tf.nn.bias_add(tf.placeholder(tf.float32, [2, 3]), [1.0, 2.0]),
        lambda tf: tf.nn.softmax(tf.placeholder(tf.float32, [])),
        lambda tf: tf.nn.top_k(tf.placeholder(tf.float32, [2, 3]), 4),
        lambda tf: tf.nn.softmax_cross_entropy_with_logits_v2(
            labels=tf.placeholder(tf.float32, [2, 4]), logits=tf.placeholder(tf.float32, [2, 3])
        ),
        lambda tf: tf.nn.fused_batch_norm(
            tf.placeholder(tf.float32, [2, 3, 3, 2]), np.ones(3, np.float32), np.ones(3, np.float32)
        ),
        lambda tf: tf.nn.max_pool(tf.placeholder(tf.float32, [1, 1, 5, 4]), 2, 1, "VALID"),
        lambda tf: tf.space_to_batch_nd(tf.placeholder(tf.float32, [1, 5, 4, 1]), [2, 2], [[0, 0], [0, 0]]),
        lambda tf: tf.batch_to_space_nd(tf.placeholder(tf.float32, [3, 5, 4, 1]), [2, 2], [[0, 0], [0, 0]]),
        lambda tf: tf.space_to_batch_nd(tf.placeholder(tf.float32, [1, 4]), [2, 2], [[0, 0], [0, 0]]),
        lambda tf: tf.space_to_batch_nd(tf.placeholder(tf.float32, [1, 4, 4]), [2], [[-1, 1]]),
    ],
    ids=[
        "conv-negative",
        "conv-depth",
        "bias-dims",
        "softmax-rank",
        "top_k-k",
        "xent-dims",
        "bn-channels",
        "pool",
        "space_to_batch-indivisible",
        "batch_to_space-batch",
        "space_to_batch-rank",
        "space_to_batch-negative",
    ],
)
def test_shape_errors_match_tf(tf1, build):
    """Static shape errors: same message up to TF's node-def rendering (``'{{node X}} = ...'``)."""
    with tf1.Graph().as_default():
        with pytest.raises(ValueError) as theirs:
            build(tf1)
    with tm.Graph().as_default():
        with pytest.raises(ValueError) as ours:
            build(tm)
    assert str(ours.value).split(" for '")[0] == str(theirs.value).split(" for '")[0]
    assert str(ours.value).split("with input shapes: ")[1] == str(theirs.value).split("with input shapes: ")[1]


def _run_error(tf, build, feeds):
    g = tf.Graph()
    with g.as_default():
        out, fd = build(tf)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.OpError) as info:
                sess.run(out, dict(zip(fd, feeds)))
    return info.value


@pytest.mark.parametrize(
    "build, feeds",
    [
        (
            lambda tf: (lambda lab: (tf.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=X23), [lab]))(
                tf.placeholder(tf.int32, [2])
            ),
            [np.array([1, 3], np.int32)],
        ),
        (
            lambda tf: (lambda lab: (tf.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=X23), [lab]))(
                tf.placeholder(tf.int64, [2])
            ),
            [np.array([-1, 0], np.int64)],
        ),
        (
            lambda tf: (lambda k: (tf.nn.top_k(X23, k)[0], [k]))(tf.placeholder(tf.int32, [])),
            [np.int32(5)],
        ),
        (
            lambda tf: (lambda x: (tf.nn.softmax_cross_entropy_with_logits_v2(labels=x, logits=X23[:, :2]), [x]))(
                tf.placeholder(tf.float32, [None, None])
            ),
            [L23],
        ),
        (
            lambda tf: (lambda p: (tf.space_to_batch_nd(IMG, [2, 2], p), [p]))(tf.placeholder(tf.int32, [2, 2])),
            [np.array([[0, 0], [0, 1]], np.int32)],
        ),
        (
            lambda tf: (lambda p: (tf.space_to_batch_nd(IMG, [2, 2], p), [p]))(tf.placeholder(tf.int32, [2, 2])),
            [np.array([[-1, 2], [0, 0]], np.int32)],
        ),
        (
            lambda tf: (lambda x: (tf.batch_to_space_nd(x, [2, 2], [[0, 0], [0, 0]]), [x]))(
                tf.placeholder(tf.float32, None)
            ),
            [IMG],
        ),
        (
            lambda tf: (lambda c: (tf.batch_to_space_nd(IMG, [1, 2], c), [c]))(tf.placeholder(tf.int32, [2, 2])),
            [np.array([[0, 0], [7, 6]], np.int32)],
        ),
    ],
    ids=[
        "sparse-label-high",
        "sparse-label-negative",
        "top_k-k",
        "xent-mismatch",
        "space_to_batch-indivisible",
        "space_to_batch-negative",
        "batch_to_space-batch",
        "batch_to_space-crops",
    ],
)
def test_runtime_errors_match_tf(tf1, build, feeds):
    theirs = _run_error(tf1, build, feeds)
    ours = _run_error(tm, build, feeds)
    assert type(ours).__name__ == type(theirs).__name__
    assert _tf_message(theirs) in ours.message


def _tf_message(error):
    lines = error.message.split("\n")
    marks = [i for i, line in enumerate(lines) if line.startswith("\t [[")]
    return lines[marks[0] - 1] if marks else lines[-1]


def test_unsupported_embedding_options():
    with pytest.raises(ValueError, match="Unrecognized partition strategy"):
        tm.nn.embedding_lookup([IMG[0, 0], IMG[0, 1]], [0], partition_strategy="x")
    with pytest.raises(errors.InvalidArgumentError, match="must be in the range"):
        tm.nn.softmax(X23, axis=3)


_EMB = np.arange(40, dtype=np.float32).reshape(10, 4) / 10 - 1
_IDS = {
    "one": [[1, 9], [3, 3]],
    "mod": [0, 5, 9, 4, 4],
    "div": [[0, 5], [9, 3]],
    "max-norm": [2, 7],
    "shards": [1, 8, 2],
}
_LOOKUPS = {
    "one": lambda tf, ids: tf.nn.embedding_lookup(tf.constant(_EMB), ids),
    "mod": lambda tf, ids: tf.nn.embedding_lookup([tf.constant(_EMB[i::3]) for i in range(3)], ids),
    "div": lambda tf, ids: tf.nn.embedding_lookup(
        [tf.constant(_EMB[:4]), tf.constant(_EMB[4:7]), tf.constant(_EMB[7:])], ids, partition_strategy="div", name="d"
    ),
    "max-norm": lambda tf, ids: tf.nn.embedding_lookup(tf.constant(_EMB), ids, max_norm=0.5),
    "shards": lambda tf, ids: tf.nn.embedding_lookup(
        [tf.constant(_EMB[0::2]), tf.constant(_EMB[1::2])], ids, max_norm=1.0
    ),
}


@pytest.mark.parametrize("name", sorted(_LOOKUPS))
def test_embedding_lookup_is_tfs(tf1, name):
    from tests.api import tf_programs as P

    def program(tf):
        ids = tf.placeholder(tf.int64, np.shape(_IDS[name]), name="ids")
        out = _LOOKUPS[name](tf, ids)
        params = [op.outputs[0] for op in tf.get_default_graph().get_operations() if op.type == "Const"]
        grad = tf.gradients(tf.reduce_sum(out * out), params[0])[0]
        return {"out": out, "grad": tf.convert_to_tensor(grad)}

    P.assert_same_graph(tf1, program)
    expected, actual = P.run_tf_then_ours(tf1, program, None, {"ids:0": np.array(_IDS[name], np.int64)})
    P.assert_results_close(expected, actual, rtol=1e-6)
