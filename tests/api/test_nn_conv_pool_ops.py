"""``tf.nn``'s convolution gradients, transposed convolutions and pooling variants build TF's graph, compute
TF's values and gradients, and fail with TF's errors."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api.test_nn_ops import _compare
from tests.ops.harness import Sample, assert_same_runtime_error

rng = np.random.default_rng(1)
IMG = rng.standard_normal((2, 6, 7, 3)).astype(np.float32)
FILT = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
DY = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
DW = rng.standard_normal((3, 3, 3, 2)).astype(np.float32)
SEQ = rng.standard_normal((2, 9, 3)).astype(np.float32)
VOL = rng.standard_normal((1, 4, 5, 6, 2)).astype(np.float32)


def _grads(tf, out, wrt):
    return [out, *tf.gradients(tf.reduce_sum(out * out), wrt)]


def _fractional_grads(tf):
    x = tf.constant(IMG)
    return _grads(
        tf, tf.nn.fractional_max_pool(x, [1, 2.5, 1.5, 1], overlapping=True, deterministic=True, seed=9)[0], x
    )


CASES = {
    "conv2d_backprop_input": lambda tf, ph: tf.nn.conv2d_backprop_input(
        [2, 6, 7, 3], FILT, ph("dy", [None, 3, 4, 4]), [1, 2, 2, 1], "SAME"
    ),
    "conv2d_backprop_input-explicit-filters": lambda tf, ph: tf.nn.conv2d_backprop_input(
        [2, 6, 7, 3], filters=FILT, out_backprop=DY, strides=[1, 2, 2, 1], padding=[[0, 0], [1, 1], [1, 1], [0, 0]]
    ),
    "conv2d_backprop_filter": lambda tf, ph: tf.nn.conv2d_backprop_filter(
        ph("x", [2, 6, 7, 3]), [3, 3, 3, 4], DY, [1, 2, 2, 1], "SAME", name="bf"
    ),
    "conv3d_backprop_filter": lambda tf, ph: [
        tf.nn.conv3d_backprop_filter(VOL, [2, 2, 2, 2, 3], tf.ones([1, 3, 4, 5, 3]), [1, 1, 1, 1, 1], "VALID"),
        tf.nn.conv3d_backprop_filter_v2(VOL, [2, 2, 2, 2, 3], tf.ones([1, 2, 3, 3, 3]), [1, 2, 2, 2, 1], "SAME"),
    ],
    "depthwise_backprop": lambda tf, ph: [
        tf.nn.depthwise_conv2d_backprop_input([2, 6, 7, 3], DW, tf.ones([2, 6, 7, 6]), [1, 1, 1, 1], "SAME"),
        tf.nn.depthwise_conv2d_native_backprop_input([2, 6, 7, 3], DW, tf.ones([2, 3, 4, 6]), [1, 2, 2, 1], "SAME"),
        tf.nn.depthwise_conv2d_backprop_filter(IMG, [3, 3, 3, 2], tf.ones([2, 4, 5, 6]), [1, 1, 1, 1], "VALID"),
        tf.nn.depthwise_conv2d_native_backprop_filter(IMG, [3, 3, 3, 2], tf.ones([2, 6, 7, 6]), [1, 1, 1, 1], "SAME"),
    ],
    "conv1d_transpose": lambda tf, ph: _grads(
        tf,
        tf.nn.conv1d_transpose(ph("s", [2, 5, 4]), FILT[0], [2, 9, 3], 2, padding="SAME"),
        tf.get_default_graph().get_tensor_by_name("s:0"),
    ),
    "conv1d_transpose-ncw-valid": lambda tf, ph: tf.nn.conv1d_transpose(
        np.ones((2, 4, 7), np.float32), FILT[0], [2, 3, 9], 1, padding="VALID", data_format="NCW", name="t1"
    ),
    "conv_transpose": lambda tf, ph: [
        tf.nn.conv_transpose(DY, FILT, [2, 6, 7, 3], [1, 2, 2, 1]),
        tf.nn.conv_transpose(np.ones((2, 5, 4), np.float32), FILT[0], [2, 9, 3], 2, name="ct1"),
        tf.nn.conv_transpose(
            np.ones((1, 2, 3, 3, 3), np.float32), np.ones((2, 2, 2, 2, 3), np.float32), tf.constant([1, 4, 5, 6, 2]), 2
        ),
    ],
    "atrous_conv2d_transpose": lambda tf, ph: [
        tf.nn.atrous_conv2d_transpose(np.ones((2, 6, 7, 4), np.float32), FILT, [2, 6, 7, 3], 2, "SAME"),
        tf.nn.atrous_conv2d_transpose(np.ones((2, 2, 3, 4), np.float32), FILT, (2, 6, 7, 3), 2, "VALID"),
        tf.nn.atrous_conv2d_transpose(np.ones((2, 6, 7, 4), np.float32), FILT, [2, 6, 7, 3], 1, "SAME"),
    ],
    "max_pool2d-avg_pool2d": lambda tf, ph: _grads(
        tf,
        tf.nn.max_pool2d(ph("x", [None, 6, 7, 3]), 3, 2, "SAME")
        + tf.nn.avg_pool2d(tf.get_default_graph().get_tensor_by_name("x:0"), [1, 3, 3, 1], 2, "SAME"),
        tf.get_default_graph().get_tensor_by_name("x:0"),
    ),
    "max_pool1d-avg_pool1d": lambda tf, ph: [
        tf.nn.max_pool1d(SEQ, 2, 2, "VALID"),
        tf.nn.max_pool1d(SEQ, 3, 1, [[0, 0], [1, 1], [0, 0]], name="mp"),
        tf.nn.avg_pool1d(SEQ, [3], [2], "SAME"),
        tf.nn.avg_pool1d(np.transpose(SEQ, (0, 2, 1)), 2, 1, "VALID", data_format="NCW"),
    ],
    "max_pool_v2-avg_pool_v2": lambda tf, ph: [
        tf.nn.max_pool_v2(SEQ, 2, 2, "VALID"),
        tf.nn.max_pool_v2(IMG, [2, 3], 2, "SAME"),
        tf.nn.max_pool_v2(VOL, 2, 1, "VALID", name="mp3"),
        tf.nn.avg_pool_v2(SEQ, 2, 2, "SAME"),
        tf.nn.avg_pool_v2(IMG, 3, [1, 2], "VALID"),
        tf.nn.avg_pool_v2(VOL, 2, 2, "SAME"),
    ],
    "pool": lambda tf, ph: [
        tf.nn.pool(IMG, [2, 2], "MAX", "SAME", strides=[2, 2]),
        tf.nn.pool(IMG, [3, 2], "AVG", "VALID", dilation_rate=[2, 1]),
        tf.nn.pool(SEQ, [3], "MAX", "VALID", dilation_rate=[2], name="p1"),
        tf.nn.pool(VOL, [2, 2, 2], "AVG", "SAME"),
        tf.nn.pool(np.transpose(IMG, (0, 3, 1, 2)), [2, 2], "MAX", "VALID", data_format="NCHW", dilations=[1, 2]),
    ],
    "max_pool_with_argmax": lambda tf, ph: [
        *tf.nn.max_pool_with_argmax(IMG, [1, 2, 2, 1], [1, 2, 2, 1], "SAME"),
        *tf.nn.max_pool_with_argmax(
            IMG, [1, 3, 3, 1], [1, 1, 1, 1], "VALID", Targmax=tf.int32, include_batch_in_index=True, name="mpa"
        ),
    ],
    "space_to_batch": lambda tf, ph: tf.nn.space_to_batch(IMG[:, :6, :6], [[0, 0], [0, 0]], 2),
    "fractional_pools": lambda tf, ph: [
        *tf.nn.fractional_max_pool(ph("x", [None, 6, 7, 3]), [1, 1.4, 1.6, 1], deterministic=True, seed=1, seed2=2),
        *tf.nn.fractional_avg_pool(
            IMG, [1.0, 1.7, 1.3, 1.0], True, True, deterministic=True, seed=4, seed2=0, name="fap"
        ),
        *_fractional_grads(tf),
    ],
}
FEEDS = {"dy": DY, "x": IMG, "s": rng.standard_normal((2, 5, 4)).astype(np.float32)}


@pytest.mark.parametrize("case", list(CASES))
def test_graph_and_values_match_tf(tf1, case):
    _compare(tf1, CASES[case], FEEDS, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "call",
    [
        lambda tf: tf.nn.conv1d_transpose(SEQ, FILT[0], [2, 9, 3], 1, data_format="NHWC"),
        lambda tf: tf.nn.conv_transpose(SEQ, FILT[0], [2, 9], 1),
        lambda tf: tf.nn.conv_transpose(SEQ, FILT[0], 5, 1),
        lambda tf: tf.nn.atrous_conv2d_transpose(np.ones((2, 6, 7, 5), np.float32), FILT, [2, 6, 7, 3], 2, "SAME"),
        lambda tf: tf.nn.atrous_conv2d_transpose(np.ones((2, 6, 7, 4), np.float32), FILT, [2, 6, 7, 3], 0, "SAME"),
        lambda tf: tf.nn.atrous_conv2d_transpose(np.ones((2, 6, 7, 4), np.float32), FILT, [2, 6, 7], 2, "SAME"),
        lambda tf: tf.nn.atrous_conv2d_transpose(np.ones((2, 6, 7, 4), np.float32), FILT, [2, 6, 7, 5], 2, "SAME"),
        lambda tf: tf.nn.atrous_conv2d_transpose(np.ones((2, 6, 7, 4), np.float32), FILT, [2, 6, 7, 3], 2, "FULL"),
        lambda tf: tf.nn.max_pool_v2(np.ones((2, 3), np.float32), 2, 2, "VALID"),
        lambda tf: tf.nn.max_pool_v2(VOL, 2, 2, [[0, 0]] * 5),
        lambda tf: tf.nn.avg_pool_v2(tf.placeholder(tf.float32), 2, 2, "VALID"),
        lambda tf: tf.nn.pool(IMG, [2, 2], "MAX", "SAME", dilation_rate=[2, 2]),
        lambda tf: tf.nn.pool(IMG, [2, 2], "MAX", "VALID", strides=[3, 1]),
        lambda tf: tf.nn.pool(IMG, [2, 2], "MAX", "VALID", strides=[2, 2], dilation_rate=[2, 1]),
        lambda tf: tf.nn.pool(IMG, [2, 2], "MIN", "VALID"),
        lambda tf: tf.nn.pool(IMG, [2, 2, 2, 2], "MAX", "VALID"),
        lambda tf: tf.nn.pool(SEQ, [2], "MAX", "VALID", data_format="NHWC"),
        lambda tf: tf.nn.max_pool_with_argmax(IMG, 2, 2, "SAME", data_format="NCHW"),
    ],
    ids=[
        "conv1d_transpose-format",
        "conv_transpose-length",
        "conv_transpose-unsized",
        "atrous-in-channels",
        "atrous-rate",
        "atrous-output-rank",
        "atrous-out-channels",
        "atrous-padding",
        "max_pool_v2-rank",
        "max_pool_v2-explicit-3d",
        "avg_pool_v2-unknown",
        "pool-same-dilated",
        "pool-strides-window",
        "pool-strides-dilation",
        "pool-type",
        "pool-rank",
        "pool-1d-format",
        "argmax-format",
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


def test_unseeded_fractional_pools_draw_regions_each_run():
    """Unseeded (non-deterministic) regions are random per run; the shapes are TF's."""
    with tm.Graph().as_default():
        out, rows, cols = tm.nn.fractional_max_pool(np.ones((1, 40, 40, 1), np.float32), [1, 1.5, 1.5, 1])
        assert out.shape.as_list() == [1, 26, 26, 1] and rows.shape.as_list() == [26]
        with tm.Session() as sess:
            draws = {tuple(sess.run(rows)) for _ in range(8)}
    assert len(draws) > 1 and all(len(d) == 27 and d[0] == 0 and d[-1] == 40 for d in draws)


@pytest.mark.parametrize(
    "sample",
    [
        Sample("FractionalMaxPool", {"value": IMG}, {"pooling_ratio": [1.0, 1.5, 1.5, 1.0], "seed": 1}, id="seed"),
        Sample("FractionalAvgPool", {"value": IMG}, {"pooling_ratio": [2.0, 1.5, 1.5, 2.0]}, id="batch"),
        Sample("FractionalMaxPool", {"value": IMG}, {"pooling_ratio": [2.0, 1.5, 1.5, 2.0]}, id="batch-max"),
    ],
    ids=lambda s: s.name,
)
def test_fractional_pool_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


def test_multi_output_pools_return_tfs_named_tuples(tf1):
    def fields(tf):
        with tf.Graph().as_default():
            return [
                type(r).__name__ + str(r._fields)
                for r in (
                    tf.nn.max_pool_with_argmax(IMG, [1, 2, 2, 1], [1, 2, 2, 1], "SAME"),
                    tf.nn.fractional_max_pool(IMG, [1, 1.5, 1.5, 1]),
                    tf.nn.fractional_avg_pool(IMG, [1, 1.5, 1.5, 1]),
                )
            ]

    assert fields(tm) == fields(tf1)
