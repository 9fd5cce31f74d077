"""Samples for nn ops (activations, softmax, losses, top-k, convolutions, pooling, batch norm).

FusedBatchNorm with ``is_training=False`` is not here: TF's grappler rewrites it into Add/Mul
nodes and then cannot fetch its other outputs. Nor is FusedBatchNormV3 off the 4-D float32 path,
whose reserve_space_3 TF leaves uninitialized. tests/ops/test_nn_ops.py runs both.
"""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample, randn

f16, f32, f64 = np.float16, np.float32, np.float64
HALF = {"rtol": 1e-2, "atol": 1e-2}


def _edges(dtype=f32):
    """Values around the places activations bend, plus large magnitudes."""
    return np.array([-30.0, -5.0, -1.0, -0.5, 0.0, 0.5, 1.0, 5.0, 6.0, 7.0, 30.0], dtype)


def _activation_samples():
    out = []
    for op in ("Relu", "Relu6", "Elu", "Selu", "Softplus", "Softsign", "LeakyRelu"):
        out += [
            Sample(op, {"features": randn(3, 4)}),
            Sample(op, {"features": _edges()}, id="edges"),
            Sample(op, {"features": randn(2, 5).astype(f64)}, id="f64"),
            Sample(op, {"features": randn(2, 5).astype(f16)}, id="f16", **HALF),
            Sample(op, {"features": randn(0, 3)}, id="empty"),
            Sample(op, {"features": np.float32(-2.5)}, id="scalar"),
            Sample(op, {"features": randn(2, 3)}, fed={"features": [None, 3]}, id="unknown-dim"),
            Sample(op, {"features": randn(2, 3)}, fed={"features": None}, id="unknown-rank"),
        ]
    out += [
        Sample("Relu", {"features": np.array([-3, 0, 4], np.int32)}, id="int32"),
        Sample("Relu", {"features": np.array([-3, 0, 4], np.int64)}, id="int64"),
        Sample("Relu", {"features": np.array([-3, 0, 4], np.int8)}, id="int8"),
        Sample("Relu", {"features": np.array([3, 0, 4], np.uint8)}, id="uint8"),
        Sample("Relu", {"features": np.array([np.nan, -np.inf, np.inf], f32)}, id="nonfinite"),
        Sample("Relu6", {"features": np.array([-3, 0, 4, 9], np.int32)}, id="int32"),
        Sample("Relu6", {"features": np.array([-3, 0, 4, 9], np.int64)}, id="int64"),
        Sample("Relu6", {"features": np.array([np.nan, -np.inf, np.inf], f32)}, id="nonfinite"),
        Sample("Softplus", {"features": np.array([-100.0, -20.0, 15.0, 20.0, 40.0, 100.0], f32)}, id="thresholds"),
        Sample("Softplus", {"features": np.array([-100.0, -40.0, 36.0, 100.0], f64)}, id="thresholds-f64"),
        Sample("LeakyRelu", {"features": _edges()}, {"alpha": 0.01}, id="alpha-0.01"),
        Sample("LeakyRelu", {"features": _edges()}, {"alpha": 1.5}, id="alpha-1.5"),
        Sample("LeakyRelu", {"features": _edges(f64)}, {"alpha": 0.3}, id="alpha-f64"),
    ]
    return out


def _softmax_samples():
    out = []
    for op in ("Softmax", "LogSoftmax"):
        out += [
            Sample(op, {"logits": randn(3, 5)}),
            Sample(op, {"logits": randn(7)}, id="1d"),
            Sample(op, {"logits": randn(2, 3, 4)}, id="3d"),
            Sample(op, {"logits": randn(2, 6).astype(f64)}, id="f64"),
            Sample(op, {"logits": randn(2, 6).astype(f16)}, id="f16", **HALF),
            Sample(op, {"logits": np.array([[1000.0, 0.0, -1000.0]], f32)}, id="large"),
            Sample(op, {"logits": randn(0, 4)}, id="empty"),
            Sample(op, {"logits": randn(2, 4)}, fed={"logits": [None, None]}, id="unknown-dims"),
            Sample(op, {"logits": randn(2, 4)}, fed={"logits": None}, id="unknown-rank"),
        ]
    return out


def _bias_samples():
    return [
        Sample("BiasAdd", {"value": randn(2, 3), "bias": randn(3)}),
        Sample("BiasAdd", {"value": randn(2, 3, 4, 5), "bias": randn(5)}, id="nhwc-4d"),
        Sample("BiasAdd", {"value": randn(2, 3, 4, 5), "bias": randn(3)}, {"data_format": "NCHW"}, id="nchw-4d"),
        Sample("BiasAdd", {"value": randn(2, 3, 4), "bias": randn(3)}, {"data_format": "NCHW"}, id="nchw-3d"),
        Sample("BiasAdd", {"value": randn(2, 4).astype(f64), "bias": randn(4).astype(f64)}, id="f64"),
        Sample("BiasAdd", {"value": randn(2, 4).astype(f16), "bias": randn(4).astype(f16)}, id="f16", **HALF),
        Sample(
            "BiasAdd",
            {"value": np.arange(6, dtype=np.int32).reshape(2, 3), "bias": np.arange(3, dtype=np.int32)},
            id="int32",
        ),
        Sample(
            "BiasAdd",
            {"value": np.arange(6, dtype=np.int64).reshape(2, 3), "bias": np.arange(3, dtype=np.int64)},
            id="int64",
        ),
        Sample(
            "BiasAdd", {"value": randn(2, 3) + 1j * randn(2, 3), "bias": randn(3).astype(np.complex64)}, id="complex64"
        ),
        Sample("BiasAdd", {"value": randn(0, 3), "bias": randn(3)}, id="empty"),
        Sample(
            "BiasAdd",
            {"value": randn(2, 3, 4), "bias": randn(4)},
            fed={"value": [None, None, 4], "bias": [None]},
            id="unknown-dims",
        ),
        Sample("BiasAdd", {"value": randn(2, 3, 4), "bias": randn(4)}, fed={"value": None}, id="unknown-rank"),
        Sample(
            "BiasAdd",
            {"value": randn(2, 3, 4), "bias": randn(3)},
            {"data_format": "NCHW"},
            fed={"value": [None, None, None], "bias": [3]},
            id="nchw-unknown-dims",
        ),
        Sample("BiasAddV1", {"value": randn(2, 3, 4), "bias": randn(4)}),
        Sample("BiasAddV1", {"value": randn(2, 4).astype(f64), "bias": randn(4).astype(f64)}, id="f64"),
        Sample("BiasAddV1", {"value": randn(2, 4).astype(f16), "bias": randn(4).astype(f16)}, id="f16", **HALF),
        Sample(
            "BiasAddV1",
            {"value": np.arange(6, dtype=np.int32).reshape(3, 2), "bias": np.array([1, -1], np.int32)},
            id="int32",
        ),
        Sample("BiasAddV1", {"value": randn(2, 3), "bias": randn(3)}, fed={"value": [None, None]}, id="unknown-dims"),
    ]


# TF's SoftmaxCrossEntropyWithLogits gradient does not reduce over broadcast dimensions, so
# tf.gradients raises "Incompatible shapes between op input and calculated input gradient" for
# broadcast inputs; test_nn_gradients_tf_runs.py checks torchmeta raises the same.
_XENT_BROADCAST_GRAD = {"grad": False}


def _loss_samples():
    labels = np.array([[0.2, 0.3, 0.5], [0.0, 1.0, 0.0]], f32)
    return [
        Sample("L2Loss", {"t": randn(3, 4)}),
        Sample("L2Loss", {"t": randn(5).astype(f64)}, id="f64"),
        Sample("L2Loss", {"t": randn(5).astype(f16)}, id="f16", **HALF),
        Sample("L2Loss", {"t": np.float32(3.0)}, id="scalar"),
        Sample("L2Loss", {"t": randn(0, 2)}, id="empty"),
        Sample("L2Loss", {"t": randn(2, 3)}, fed={"t": None}, id="unknown-rank"),
        Sample("SoftmaxCrossEntropyWithLogits", {"features": randn(2, 3), "labels": labels}),
        Sample(
            "SoftmaxCrossEntropyWithLogits",
            {"features": randn(2, 3).astype(f64), "labels": labels.astype(f64)},
            id="f64",
        ),
        Sample(
            "SoftmaxCrossEntropyWithLogits",
            {"features": randn(2, 3).astype(f16), "labels": labels.astype(f16)},
            id="f16",
            **HALF,
        ),
        Sample(
            "SoftmaxCrossEntropyWithLogits",
            {"features": randn(2, 3), "labels": labels[1]},
            id="broadcast-labels-row",
            **_XENT_BROADCAST_GRAD,
        ),
        Sample(
            "SoftmaxCrossEntropyWithLogits",
            {"features": randn(2, 1), "labels": labels},
            id="broadcast-features-column",
            **_XENT_BROADCAST_GRAD,
        ),
        Sample(
            "SoftmaxCrossEntropyWithLogits",
            {"features": randn(1, 3), "labels": labels},
            id="broadcast-batch",
            **_XENT_BROADCAST_GRAD,
        ),
        Sample(
            "SoftmaxCrossEntropyWithLogits",
            {"features": np.array([[1000.0, 0.0, -1000.0]], f32), "labels": np.array([[0.0, 0.0, 1.0]], f32)},
            id="large-logits",
        ),
        Sample("SoftmaxCrossEntropyWithLogits", {"features": randn(0, 3), "labels": randn(0, 3)}, id="empty"),
        Sample(
            "SoftmaxCrossEntropyWithLogits",
            {"features": randn(2, 3), "labels": labels},
            fed={"features": [None, 3], "labels": [None, None]},
            id="unknown-dims",
        ),
        Sample(
            "SoftmaxCrossEntropyWithLogits",
            {"features": randn(2, 3), "labels": labels},
            fed={"features": None, "labels": None},
            id="unknown-rank",
        ),
        Sample(
            "SoftmaxCrossEntropyWithLogits",
            {"features": randn(2, 3), "labels": labels[1]},
            fed={"features": [None, 3]},
            id="unknown-batch-broadcast",
            **_XENT_BROADCAST_GRAD,
        ),
        Sample(
            "SparseSoftmaxCrossEntropyWithLogits", {"features": randn(3, 4), "labels": np.array([0, 3, 1], np.int64)}
        ),
        Sample(
            "SparseSoftmaxCrossEntropyWithLogits",
            {"features": randn(3, 4), "labels": np.array([2, 3, 0], np.int32)},
            id="int32-labels",
        ),
        Sample(
            "SparseSoftmaxCrossEntropyWithLogits",
            {"features": randn(3, 4).astype(f64), "labels": np.array([0, 3, 1], np.int64)},
            id="f64",
        ),
        Sample(
            "SparseSoftmaxCrossEntropyWithLogits",
            {"features": randn(3, 4).astype(f16), "labels": np.array([0, 3, 1], np.int64)},
            id="f16",
            **HALF,
        ),
        Sample(
            "SparseSoftmaxCrossEntropyWithLogits",
            {"features": np.array([[1000.0, 0.0, -1000.0]], f32), "labels": np.array([2], np.int64)},
            id="large-logits",
        ),
        Sample(
            "SparseSoftmaxCrossEntropyWithLogits",
            {"features": randn(0, 4), "labels": np.zeros(0, np.int64)},
            id="empty",
        ),
        Sample(
            "SparseSoftmaxCrossEntropyWithLogits",
            {"features": randn(3, 4), "labels": np.array([0, 3, 1], np.int64)},
            fed={"features": [None, 4], "labels": [None]},
            id="unknown-dims",
        ),
        Sample(
            "SparseSoftmaxCrossEntropyWithLogits",
            {"features": randn(3, 4), "labels": np.array([0, 3, 1], np.int64)},
            fed={"features": None, "labels": [3]},
            id="unknown-rank",
        ),
    ]


def _top_k_samples():
    ties = np.array([[3, 1, 3, 2, 1, 3], [0, 0, 0, 0, 0, 0]], f32)
    preds = np.array([[1, 2, 2, 3], [1, np.inf, 0, 0], [1, 1, 1, 1], [np.nan, 0, 1, 2], [4, 3, 2, 1]], f32)
    targets = np.array([1, 0, 2, 3, 3], np.int32)
    out = [
        Sample("TopKV2", {"input": randn(3, 7), "k": np.int32(3)}),
        Sample("TopKV2", {"input": ties, "k": np.int32(4)}, id="ties"),
        Sample("TopKV2", {"input": randn(5), "k": np.int32(5)}, id="1d-all"),
        Sample("TopKV2", {"input": randn(2, 3, 4), "k": np.int32(2)}, id="3d"),
        Sample("TopKV2", {"input": randn(2, 4), "k": np.int32(0)}, id="k0"),
        Sample("TopKV2", {"input": randn(2, 4).astype(f64), "k": np.int64(2)}, id="f64-k-int64"),
        Sample("TopKV2", {"input": randn(2, 4).astype(f16), "k": np.int32(2)}, id="f16", **HALF),
        Sample("TopKV2", {"input": np.array([[5, 1, 5, -2]], np.int32), "k": np.int32(3)}, id="int32"),
        Sample("TopKV2", {"input": np.array([[5, 1, 5, -2]], np.int64), "k": np.int32(3)}, id="int64"),
        Sample("TopKV2", {"input": np.array([[5, 1, 5, 2]], np.uint8), "k": np.int32(2)}, id="uint8"),
        # TF's _TopKGrad adds int32 row offsets to the indices, so its gradient graph fails to build for
        # int64/int16 indices; torchmeta casts the offsets (test_nn_gradients_tf_runs.py checks the values).
        Sample(
            "TopKV2",
            {"input": randn(3, 4), "k": np.int32(2)},
            {"index_type": "dtype:int64"},
            id="index-int64",
            grad=False,
        ),
        Sample(
            "TopKV2",
            {"input": randn(3, 4), "k": np.int16(2)},
            {"index_type": "dtype:int16"},
            id="index-int16",
            grad=False,
        ),
        Sample("TopKV2", {"input": randn(3, 5), "k": np.int32(1)}, {"sorted": False}, id="unsorted-k1"),
        Sample("TopKV2", {"input": randn(0, 5), "k": np.int32(2)}, id="empty-batch"),
        Sample("TopKV2", {"input": randn(3, 5), "k": np.int32(2)}, fed={"input": [None, 5]}, id="unknown-batch"),
        Sample("TopKV2", {"input": randn(3, 5), "k": np.int32(2)}, fed={"k": []}, id="unknown-k"),
        Sample("TopKV2", {"input": randn(3, 5), "k": np.int32(2)}, fed={"input": None}, id="unknown-rank"),
    ]
    for op in ("InTopK", "InTopKV2"):
        v1 = op == "InTopK"

        def k(value, dtype=np.int32, v1=v1):
            """k as an attr (InTopK) or an input (InTopKV2): (extra inputs, attrs)."""
            return ({}, {"k": value}) if v1 else ({"k": dtype(value)}, {})

        def in_top_k(preds, targets, kk, sid, fed=None, op=op):
            extra, attrs = kk
            return Sample(op, {"predictions": preds, "targets": targets, **extra}, attrs, id=sid, fed=fed or {})

        out += [
            in_top_k(preds, targets, k(2), ""),
            in_top_k(preds, targets.astype(np.int64), k(1, np.int64), "int64-k1"),
            in_top_k(preds, np.array([-1, 4, 9, 0, 0], np.int32), k(2), "out-of-range"),
            in_top_k(preds, targets, k(0), "k0"),
            in_top_k(preds, targets, k(4), "k-all"),
            in_top_k(preds, targets, k(2), "unknown-dims", fed={"predictions": [None, 4], "targets": [None]}),
            in_top_k(randn(0, 3), np.zeros(0, np.int32), k(2), "empty"),
        ]
    out += [
        Sample("InTopKV2", {"predictions": preds, "targets": targets, "k": np.int32(-1)}, id="k-negative"),
        Sample("InTopKV2", {"predictions": preds, "targets": targets, "k": np.int32(2)}, fed={"k": []}, id="unknown-k"),
    ]
    return out


def _lrn_samples():
    return [
        Sample("LRN", {"input": randn(2, 3, 3, 7)}),
        Sample(
            "LRN",
            {"input": randn(1, 2, 2, 10)},
            {"depth_radius": 2, "bias": 2.0, "alpha": 0.5, "beta": 0.75},
            id="attrs",
        ),
        Sample("LRN", {"input": randn(1, 2, 2, 4)}, {"depth_radius": 0, "beta": 1.0}, id="radius0"),
        Sample("LRN", {"input": randn(1, 2, 2, 6).astype(f16)}, {"depth_radius": 1}, id="f16", **HALF),
        Sample("LRN", {"input": randn(2, 3, 3, 5)}, fed={"input": [None, None, None, 5]}, id="unknown-dims"),
    ]


def _with_inf(x):
    x[0, 3, 1, 0], x[1, 5, 3, 2] = np.inf, -np.inf
    return x


def _conv(op, x, w, attrs, sid, fed=None, **kw):
    return Sample(op, {"input": x, "filter": w}, attrs, id=sid, fed=fed or {}, rtol=1e-4, atol=1e-4, **kw)


def _conv_samples():
    x, w = randn(2, 7, 6, 3), randn(3, 3, 3, 4)
    x_nchw = x.transpose(0, 3, 1, 2).copy()
    dw = randn(3, 2, 3, 2)
    s1, s2 = [1, 1, 1, 1], [1, 2, 2, 1]
    out = [
        _conv("Conv2D", x, w, {"strides": s1, "padding": "VALID"}, "valid"),
        _conv("Conv2D", x, w, {"strides": s1, "padding": "SAME"}, "same"),
        _conv("Conv2D", x, w, {"strides": s2, "padding": "SAME"}, "same-s2"),
        _conv("Conv2D", x, randn(2, 2, 3, 4), {"strides": s1, "padding": "SAME"}, "same-even-kernel-asymmetric"),
        _conv("Conv2D", x, randn(4, 1, 3, 2), {"strides": [1, 3, 2, 1], "padding": "SAME"}, "same-s3x2-asymmetric"),
        _conv("Conv2D", x, w, {"strides": [1, 2, 3, 1], "padding": "VALID"}, "valid-s2x3"),
        _conv("Conv2D", x, w, {"strides": s1, "padding": "SAME", "dilations": [1, 2, 2, 1]}, "same-dilated"),
        _conv("Conv2D", x, w, {"strides": s1, "padding": "VALID", "dilations": [1, 2, 1, 1]}, "valid-dilated"),
        _conv(
            "Conv2D",
            x,
            w,
            {"strides": s1, "padding": "EXPLICIT", "explicit_paddings": [0, 0, 1, 2, 0, 3, 0, 0]},
            "explicit",
        ),
        _conv("Conv2D", x_nchw, w, {"strides": [1, 1, 2, 2], "padding": "SAME", "data_format": "NCHW"}, "nchw-same-s2"),
        _conv(
            "Conv2D",
            x_nchw,
            w,
            {
                "strides": [1, 1, 1, 1],
                "padding": "EXPLICIT",
                "data_format": "NCHW",
                "explicit_paddings": [0, 0, 0, 0, 2, 1, 1, 0],
            },
            "nchw-explicit",
            grad=False,  # TF's CPU Conv2DBackpropFilter: "Conv2DCustomBackpropFilterOp only supports NHWC."
        ),
        _conv("Conv2D", x.astype(f64), w.astype(f64), {"strides": s2, "padding": "SAME"}, "f64"),
        Sample(
            "Conv2D",
            {"input": x.astype(f16), "filter": w.astype(f16)},
            {"strides": s1, "padding": "SAME"},
            id="f16",
            rtol=2e-2,
            atol=5e-2,
        ),
        _conv(
            "Conv2D",
            np.arange(2 * 4 * 4 * 2, dtype=np.int32).reshape(2, 4, 4, 2) % 7 - 3,
            np.arange(2 * 2 * 2 * 3, dtype=np.int32).reshape(2, 2, 2, 3) % 5 - 2,
            {"strides": s1, "padding": "VALID"},
            "int32",
        ),
        _conv("Conv2D", randn(1, 5, 5, 4), randn(2, 2, 2, 6), {"strides": s1, "padding": "SAME"}, "grouped"),
        _conv("Conv2D", randn(1, 1, 1, 3), randn(1, 1, 3, 2), {"strides": s1, "padding": "VALID"}, "1x1"),
        # 1x1, stride 1, no padding: a matmul of the input's rows on the CPU (conv_ops.pointwise_matmul)
        _conv("Conv2D", x, randn(1, 1, 3, 5), {"strides": s1, "padding": "SAME"}, "1x1-same"),
        _conv("Conv2D", x.astype(f64), randn(1, 1, 3, 5).astype(f64), {"strides": s1, "padding": "VALID"}, "1x1-f64"),
        _conv(
            "Conv2D",
            x,
            randn(1, 1, 3, 5),
            {"strides": s1, "padding": "EXPLICIT", "explicit_paddings": [0] * 8},
            "1x1-explicit-zero",
        ),
        _conv(
            "Conv2D",
            x,
            randn(1, 1, 3, 5),
            {"strides": s1, "padding": "EXPLICIT", "explicit_paddings": [0, 0, 1, 0, 0, 2, 0, 0]},
            "1x1-explicit-padded",
        ),
        _conv("Conv2D", x, randn(1, 1, 3, 5), {"strides": s2, "padding": "SAME"}, "1x1-s2"),
        _conv(
            "Conv2D",
            x,
            randn(1, 1, 3, 5),
            {"strides": s1, "padding": "SAME"},
            "1x1-unknown-dims",
            fed={"input": [None, None, None, 3]},
        ),
        _conv(
            "Conv2D",
            randn(0, 5, 5, 3),
            w,
            {"strides": s1, "padding": "SAME"},
            "empty-batch",
            xfail="TF's CPU (oneDNN) Conv2D returns the input's shape (0,5,5,3) for an empty batch, not (0,5,5,4)",
        ),
        _conv("Conv2D", x, w, {"strides": s2, "padding": "SAME"}, "unknown-dims", fed={"input": [None, None, None, 3]}),
        _conv("Conv2D", x, w, {"strides": s1, "padding": "VALID"}, "unknown-batch", fed={"input": [None, 7, 6, 3]}),
        _conv("Conv2D", x, w, {"strides": s1, "padding": "VALID"}, "unknown-rank", fed={"input": None}),
        _conv("Conv2D", x, w, {"strides": s1, "padding": "VALID"}, "unknown-filter", fed={"filter": None}),
        _conv("DepthwiseConv2dNative", x, dw, {"strides": s1, "padding": "VALID"}, "valid"),
        _conv("DepthwiseConv2dNative", x, dw, {"strides": s2, "padding": "SAME"}, "same-s2"),
        _conv("DepthwiseConv2dNative", x, randn(2, 2, 3, 1), {"strides": s1, "padding": "SAME"}, "same-asymmetric"),
        # even sizes at stride 2: one more padding after than before on both axes (the kernel runs with a zero
        # tap before the window); an infinite input takes the padded-copy path (0 * inf would be a NaN)
        _conv("DepthwiseConv2dNative", randn(2, 8, 6, 3), dw, {"strides": s2, "padding": "SAME"}, "same-s2-even"),
        _conv(
            "DepthwiseConv2dNative", _with_inf(randn(2, 8, 6, 3)), dw, {"strides": s2, "padding": "SAME"}, "same-s2-inf"
        ),
        # TF's CPU DepthwiseConv2dNativeBackpropInput ignores dilations (a wrong input gradient);
        # test_nn_gradients_tf_runs.py checks torchmeta's against finite differences.
        _conv(
            "DepthwiseConv2dNative",
            x,
            dw,
            {"strides": s1, "padding": "SAME", "dilations": [1, 2, 2, 1]},
            "dilated",
            grad=False,
        ),
        _conv(
            "DepthwiseConv2dNative",
            x,
            dw,
            {"strides": s1, "padding": "EXPLICIT", "explicit_paddings": [0, 0, 2, 0, 1, 1, 0, 0]},
            "explicit",
        ),
        _conv(
            "DepthwiseConv2dNative",
            x_nchw,
            dw,
            {"strides": [1, 1, 2, 2], "padding": "SAME", "data_format": "NCHW"},
            "nchw",
        ),
        _conv("DepthwiseConv2dNative", x.astype(f64), dw.astype(f64), {"strides": s2, "padding": "SAME"}, "f64"),
        Sample(
            "DepthwiseConv2dNative",
            {"input": x.astype(f16), "filter": dw.astype(f16)},
            {"strides": s1, "padding": "SAME"},
            id="f16",
            rtol=2e-2,
            atol=5e-2,
        ),
        _conv(
            "DepthwiseConv2dNative",
            x,
            dw,
            {"strides": s1, "padding": "SAME"},
            "unknown-dims",
            fed={"input": [None, None, None, None]},
        ),
    ]
    return out


def _pool(op, x, attrs, sid, fed=None, **kw):
    return Sample(op, {"input" if op.startswith("Max") else "value": x}, attrs, id=sid, fed=fed or {}, **kw)


def _pool_samples():
    x = randn(2, 7, 6, 3)
    x_nchw = x.transpose(0, 3, 1, 2).copy()
    k2, k3, s1, s2 = [1, 2, 2, 1], [1, 3, 3, 1], [1, 1, 1, 1], [1, 2, 2, 1]
    out = []
    for op in ("MaxPool", "AvgPool"):
        out += [
            _pool(op, x, {"ksize": k2, "strides": s2, "padding": "VALID"}, "valid"),
            _pool(op, x, {"ksize": k2, "strides": s2, "padding": "SAME"}, "same-asymmetric"),
            _pool(op, x, {"ksize": k3, "strides": s1, "padding": "SAME"}, "same-symmetric"),
            _pool(op, x, {"ksize": k3, "strides": s2, "padding": "SAME"}, "same-k3-s2"),
            _pool(op, x, {"ksize": [1, 4, 1, 1], "strides": [1, 3, 1, 1], "padding": "SAME"}, "same-k4-s3"),
            _pool(op, x, {"ksize": [1, 2, 3, 1], "strides": [1, 1, 2, 1], "padding": "VALID"}, "valid-rect"),
            _pool(
                op,
                x_nchw,
                {"ksize": [1, 1, 2, 2], "strides": [1, 1, 2, 2], "padding": "SAME", "data_format": "NCHW"},
                "nchw-same",
            ),
            _pool(op, x.astype(f64), {"ksize": k3, "strides": s2, "padding": "SAME"}, "f64"),
            _pool(op, x.astype(f16), {"ksize": k3, "strides": s2, "padding": "SAME"}, "f16", **HALF),
            _pool(op, randn(0, 4, 4, 2), {"ksize": k2, "strides": s2, "padding": "SAME"}, "empty-batch"),
            _pool(
                op,
                x,
                {"ksize": k2, "strides": s2, "padding": "SAME"},
                "unknown-dims",
                fed={("input" if op == "MaxPool" else "value"): [None, None, None, 3]},
            ),
            _pool(
                op,
                x,
                {"ksize": k2, "strides": s2, "padding": "VALID"},
                "unknown-rank",
                fed={("input" if op == "MaxPool" else "value"): None},
            ),
        ]
    out += [
        _pool(
            "MaxPool",
            x,
            {"ksize": k3, "strides": s2, "padding": "EXPLICIT", "explicit_paddings": [0, 0, 1, 1, 0, 2, 0, 0]},
            "explicit",
        ),
        _pool("MaxPool", -np.abs(x), {"ksize": k3, "strides": s1, "padding": "SAME"}, "negative-values"),
        # Equal maxima in a window: the gradient goes to the first in row-major order, as TF's kernels.
        _pool("MaxPool", np.round(x), {"ksize": k3, "strides": s1, "padding": "SAME"}, "ties"),
        _pool("MaxPool", np.round(x).astype(f64), {"ksize": k2, "strides": s2, "padding": "SAME"}, "ties-f64"),
        _pool("MaxPool", np.zeros((1, 4, 4, 2), f32), {"ksize": k3, "strides": s1, "padding": "VALID"}, "all-equal"),
        _pool(
            "MaxPool",
            randn(1, 3, 3, 6),
            {"ksize": [1, 1, 1, 3], "strides": [1, 1, 1, 3], "padding": "VALID"},
            "depth",
            grad=False,  # TF: "MaxPoolingGrad is not yet supported on the depth dimension." (as here)
        ),
        _pool(
            "MaxPool",
            np.arange(75, dtype=np.int32).reshape(1, 5, 5, 3) % 11 - 5,
            {"ksize": k2, "strides": s2, "padding": "SAME"},
            "int32",
        ),
        _pool(
            "MaxPool",
            np.arange(75, dtype=np.int64).reshape(1, 5, 5, 3) % 11 - 5,
            {"ksize": k3, "strides": s1, "padding": "SAME"},
            "int64",
        ),
        _pool(
            "MaxPool",
            np.arange(75, dtype=np.uint8).reshape(1, 5, 5, 3) % 11,
            {"ksize": k2, "strides": s2, "padding": "VALID"},
            "uint8",
        ),
        Sample(
            "MaxPoolV2",
            {"input": x.astype(f64), "ksize": np.array(k3, np.int32), "strides": np.array(s2, np.int32)},
            {"padding": "SAME"},
            id="f64",
        ),
        Sample(
            "MaxPoolV2",
            {"input": x.astype(f16), "ksize": np.array(k2, np.int32), "strides": np.array(s1, np.int32)},
            {"padding": "VALID"},
            id="f16",
            **HALF,  # overlapping windows sum gradients in half precision
        ),
        Sample(
            "MaxPoolV2",
            {"input": x, "ksize": np.array(k2, np.int32), "strides": np.array(s2, np.int32)},
            {"padding": "SAME"},
        ),
        Sample(
            "MaxPoolV2",
            {"input": x, "ksize": np.array(k3, np.int32), "strides": np.array(s1, np.int32)},
            {"padding": "VALID"},
            id="valid",
        ),
        Sample(
            "MaxPoolV2",
            {"input": x, "ksize": np.array(k3, np.int32), "strides": np.array(s2, np.int32)},
            {"padding": "SAME"},
            fed={"ksize": [4]},
            id="unknown-ksize",
        ),
    ]
    return out


def _batch_norm_samples():
    x = randn(2, 4, 3, 5)
    c = 5
    scale, offset = randn(c) + 1.0, randn(c)
    mean, var = randn(c), np.abs(randn(c)) + 0.5
    empty = np.zeros(0, f32)
    out = []
    for op in ("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"):
        base = {"x": x, "scale": scale, "offset": offset, "mean": empty, "variance": empty}
        full = {"x": x, "scale": scale, "offset": offset, "mean": mean, "variance": var}
        tol = {"rtol": 1e-4, "atol": 1e-4}
        out += [
            Sample(op, base, {"is_training": True}, id="train", **tol),
            Sample(op, base, {"is_training": True, "epsilon": 0.1}, id="train-eps", **tol),
            Sample(op, full, {"is_training": True, "exponential_avg_factor": 0.3}, id="train-avg-factor", **tol),
            Sample(
                op,
                {**base, "x": x.transpose(0, 3, 1, 2).copy()},
                {"is_training": True, "data_format": "NCHW"},
                id="train-nchw",
                **tol,
            ),
            Sample(op, base, {"is_training": True}, fed={"x": [None, None, None, 5]}, id="train-unknown-dims", **tol),
            Sample(op, base, {"is_training": True}, fed={"x": None, "scale": [None]}, id="train-unknown-rank", **tol),
            Sample(op, {**base, "x": randn(1, 1, 1, 5)}, {"is_training": True}, id="train-single", **tol),
        ]
    half = {"x": x.astype(f16), "scale": scale, "offset": offset, "mean": empty, "variance": empty}
    out += [
        Sample("FusedBatchNormV2", half, {"is_training": True}, id="train-f16", rtol=1e-2, atol=1e-2),
        Sample(
            "FusedBatchNormV3",
            {"x": randn(0, 2, 2, 5), "scale": scale, "offset": offset, "mean": empty, "variance": empty},
            {"is_training": True},
            id="train-empty",
        ),
    ]
    return out


# ---------------------------------------------------------------------------------------------
# The ops gradients emit. Each is forward-tested here; where TF registers a gradient for it,
# test_gradients.py compares that (second-order) gradient too. Ops TF registers no gradient for
# (SoftsignGrad, LRNGrad, MaxPoolGradGradV2) opt out with grad=False: tf.gradients raises
# LookupError through them, as torchmeta does (test_nn_gradients_tf_runs.py).

NO_TF_GRADIENT = {"grad": False}


def _activation_grad_samples():
    out = []
    ops = {
        "ReluGrad": "features",
        "Relu6Grad": "features",
        "EluGrad": "outputs",
        "SeluGrad": "outputs",
        "SoftplusGrad": "features",
        "SoftsignGrad": "features",
        "LeakyReluGrad": "features",
    }
    for op, second in ops.items():
        extra = NO_TF_GRADIENT if op == "SoftsignGrad" else {}

        def sample(g, a, sid="", fed=None, op=op, second=second, extra=extra, **kw):
            return Sample(op, {"gradients": g, second: a}, id=sid, fed=fed or {}, **extra, **kw)

        edges = _edges()
        out += [
            sample(randn(3, 4), randn(3, 4)),
            sample(randn(*edges.shape), edges, "edges"),
            sample(randn(2, 5).astype(f64), randn(2, 5).astype(f64), "f64"),
            sample(randn(2, 5).astype(f16), randn(2, 5).astype(f16), "f16", **HALF),
            sample(randn(0, 3), randn(0, 3), "empty"),
            sample(np.float32(1.5), np.float32(-0.5), "scalar"),
            sample(randn(2, 3), randn(2, 3), "unknown-dims", fed={"gradients": [None, 3], second: [2, None]}),
            sample(randn(2, 3), randn(2, 3), "unknown-rank", fed={"gradients": None}),
        ]
    for op in ("ReluGrad", "Relu6Grad"):
        for dt in (np.int32, np.int64, np.int8, np.uint8, np.uint16, np.uint64):
            out.append(
                Sample(
                    op,
                    {"gradients": np.array([1, 2, 3, 4, 5], dt), "features": np.array([0, 1, 6, 7, 3], dt)},
                    id=np.dtype(dt).name,
                )
            )
    out += [
        Sample(
            "ReluGrad",
            {"gradients": np.array([np.inf, np.nan, 1.0, -np.inf], f32), "features": np.array([-1, 2, np.nan, 0], f32)},
            id="nonfinite",
        ),
        Sample(
            "LeakyReluGrad", {"gradients": randn(*_edges().shape), "features": _edges()}, {"alpha": 0.01}, id="alpha"
        ),
        Sample(
            "LeakyReluGrad",
            {"gradients": randn(4).astype(f64), "features": randn(4).astype(f64)},
            {"alpha": 1.5},
            id="alpha-f64",
        ),
        Sample(
            "SoftplusGrad",
            {"gradients": randn(4), "features": np.array([-100.0, -20.0, 20.0, 100.0], f32)},
            id="large",
        ),
    ]
    return out


def _bias_grad_samples():
    def sample(x, sid="", attrs=None, fed=None, **kw):
        return Sample("BiasAddGrad", {"out_backprop": x}, attrs or {}, id=sid, fed=fed or {}, **kw)

    nchw = {"data_format": "NCHW"}
    return [
        sample(randn(2, 3)),
        sample(randn(2, 3, 4, 5), "nhwc-4d"),
        sample(randn(2, 3, 4, 5), "nchw-4d", nchw),
        sample(randn(2, 3, 4), "nchw-3d", nchw),
        sample(randn(2, 3, 4, 5, 2), "nchw-5d", nchw),
        sample(randn(3, 4).astype(f64), "f64"),
        sample(randn(3, 4).astype(f16), "f16", **HALF),
        sample(np.arange(12, dtype=np.int32).reshape(3, 4), "int32"),
        sample(np.arange(12, dtype=np.int64).reshape(2, 3, 2), "int64"),
        sample((randn(2, 3) + 1j * randn(2, 3)).astype(np.complex64), "complex64"),
        sample(randn(0, 3), "empty"),
        sample(randn(2, 3, 4), "unknown-dims", fed={"out_backprop": [None, None, 4]}),
        sample(randn(2, 3, 4), "unknown-rank", fed={"out_backprop": None}),
        sample(randn(2, 3, 4), "nchw-unknown", nchw, fed={"out_backprop": [None, 3, None]}),
        sample(randn(2, 3, 4), "nchw-unknown-rank", nchw, fed={"out_backprop": None}),
    ]


def _lrn_grad_samples():
    out = []
    for sid, shape, attrs, extra in (
        ("", (2, 3, 3, 7), {}, {}),
        ("attrs", (1, 2, 2, 10), {"depth_radius": 2, "bias": 2.0, "alpha": 0.5, "beta": 0.75}, {}),
        ("radius0", (1, 2, 2, 4), {"depth_radius": 0, "beta": 1.0}, {}),
        ("f16", (1, 2, 2, 6), {"depth_radius": 1}, HALF),
    ):
        x = randn(*shape)
        radius, bias, alpha, beta = (
            attrs.get(k, d) for k, d in (("depth_radius", 5), ("bias", 1.0), ("alpha", 1.0), ("beta", 0.5))
        )
        squares = np.pad(x.astype(f64) ** 2, [(0, 0)] * 3 + [(radius, radius)])
        window = sum(squares[..., i : i + shape[-1]] for i in range(2 * radius + 1))
        y = (x / (bias + alpha * window) ** beta).astype(f32)
        dtype = f16 if sid == "f16" else f32
        inputs = {
            "input_grads": randn(*shape).astype(dtype),
            "input_image": x.astype(dtype),
            "output_image": y.astype(dtype),
        }
        out.append(Sample("LRNGrad", inputs, attrs, id=sid, **{"rtol": 1e-4, "atol": 1e-4, **NO_TF_GRADIENT, **extra}))
    x = randn(2, 3, 3, 5)
    out.append(
        Sample(
            "LRNGrad",
            {"input_grads": randn(2, 3, 3, 5), "input_image": x, "output_image": x / 2},
            fed={"input_grads": [None, None, None, 5], "input_image": [2, None, 3, None]},
            id="unknown-dims",
            rtol=1e-4,
            atol=1e-4,
            **NO_TF_GRADIENT,
        )
    )
    return out


def _batch_norm_grad_samples():
    c = 5
    x = randn(2, 4, 3, c)
    dy = randn(2, 4, 3, c)
    scale = randn(c) + 1.0
    batch_mean, batch_var = x.mean((0, 1, 2)), x.var((0, 1, 2))
    pop_mean, pop_var = randn(c), np.abs(randn(c)) + 0.5
    tol = {"rtol": 1e-4, "atol": 1e-4}
    out = []
    for op in ("FusedBatchNormGrad", "FusedBatchNormGradV2", "FusedBatchNormGradV3"):
        extra = {"reserve_space_3": np.zeros(0, f32)} if op.endswith("V3") else {}

        def sample(inputs, attrs, sid, op=op, extra=extra, **kw):
            return Sample(op, {**inputs, **extra}, attrs, id=sid, **{**tol, **kw})

        train = {"y_backprop": dy, "x": x, "scale": scale, "reserve_space_1": batch_mean, "reserve_space_2": batch_var}
        infer = {**train, "reserve_space_1": pop_mean, "reserve_space_2": pop_var}
        x_nchw, dy_nchw = x.transpose(0, 3, 1, 2).copy(), dy.transpose(0, 3, 1, 2).copy()
        out += [
            sample(train, {"is_training": True}, "train"),
            sample(train, {"is_training": True, "epsilon": 0.1}, "train-eps"),
            sample(
                {**train, "reserve_space_1": pop_mean, "reserve_space_2": pop_var},
                {"is_training": True},
                "train-given-stats",
            ),
            sample(infer, {"is_training": False}, "infer"),
            sample(
                {**train, "x": x_nchw, "y_backprop": dy_nchw},
                {"is_training": True, "data_format": "NCHW"},
                "train-nchw",
            ),
            sample(
                train, {"is_training": True}, "train-unknown-dims", fed={"x": [None, None, None, c], "y_backprop": None}
            ),
        ]
        if op != "FusedBatchNormGrad":
            half = {**train, "x": x.astype(f16), "y_backprop": dy.astype(f16)}
            # TF runs half precision on oneDNN only where the CPU has AVX512-FP16; the trailing
            # reserve outputs (unused scratch) then change from empty to scalar.
            out.append(sample(half, {"is_training": True}, "train-f16", rtol=1e-2, atol=1e-2, opaque_outputs=(3, 4)))
    x5, dy5 = randn(2, 3, 2, 2, c), randn(2, 3, 2, 2, c)
    out.append(
        Sample(
            "FusedBatchNormGradV3",
            {
                "y_backprop": dy5,
                "x": x5,
                "scale": scale,
                "reserve_space_1": x5.mean((0, 1, 2, 3)),
                "reserve_space_2": x5.var((0, 1, 2, 3)),
                "reserve_space_3": np.zeros(0, f32),
            },
            {"is_training": True, "data_format": "NDHWC"},
            id="train-ndhwc",
            **tol,
        )
    )
    return out


def _conv_out(size, k, s, d, padding, before=0, after=0):
    eff = (k - 1) * d + 1
    if padding == "SAME":
        return -(-size // s)
    return (size + before + after - eff) // s + 1


def _conv_grad_samples():
    """Conv2DBackpropInput/Filter and the depthwise pair on the geometries the forward samples use.

    No dilated depthwise sample: TF's CPU depthwise backprop kernels ignore dilations (wrong
    values); test_nn_gradients_tf_runs.py checks torchmeta's against finite differences.
    """
    out = []
    i32 = np.int32
    cases = [
        # (id, input NHWC, filter HWIO, attrs)
        ("valid", (2, 7, 6, 3), (3, 3, 3, 4), {"strides": [1, 1, 1, 1], "padding": "VALID"}),
        ("same", (2, 7, 6, 3), (3, 3, 3, 4), {"strides": [1, 1, 1, 1], "padding": "SAME"}),
        ("same-s2", (2, 7, 6, 3), (3, 3, 3, 4), {"strides": [1, 2, 2, 1], "padding": "SAME"}),
        ("same-even-kernel", (2, 7, 6, 3), (2, 2, 3, 4), {"strides": [1, 1, 1, 1], "padding": "SAME"}),
        ("same-s3x2", (2, 7, 6, 3), (4, 1, 3, 2), {"strides": [1, 3, 2, 1], "padding": "SAME"}),
        ("valid-s2x3", (2, 7, 6, 3), (3, 3, 3, 4), {"strides": [1, 2, 3, 1], "padding": "VALID"}),
        (
            "same-dilated",
            (2, 7, 6, 3),
            (3, 3, 3, 4),
            {"strides": [1, 1, 1, 1], "padding": "SAME", "dilations": [1, 2, 2, 1]},
        ),
        (
            "explicit",
            (2, 7, 6, 3),
            (3, 3, 3, 4),
            {"strides": [1, 1, 1, 1], "padding": "EXPLICIT", "explicit_paddings": [0, 0, 1, 2, 0, 3, 0, 0]},
        ),
        ("grouped", (1, 5, 5, 4), (2, 2, 2, 6), {"strides": [1, 1, 1, 1], "padding": "SAME"}),
        ("1x1", (2, 7, 6, 3), (1, 1, 3, 5), {"strides": [1, 1, 1, 1], "padding": "SAME"}),
        ("1x1-valid", (2, 7, 6, 3), (1, 1, 3, 5), {"strides": [1, 1, 1, 1], "padding": "VALID"}),
        ("1x1-s2", (2, 7, 6, 3), (1, 1, 3, 5), {"strides": [1, 2, 2, 1], "padding": "SAME"}),
    ]

    def dims(shape, w, attrs):
        n, h, wd, _ = shape
        (pt, pb), (pl, pr) = ((0, 0), (0, 0))
        if attrs["padding"] == "EXPLICIT":
            p = attrs["explicit_paddings"]
            (pt, pb), (pl, pr) = (p[2], p[3]), (p[4], p[5])
        d = attrs.get("dilations", [1, 1, 1, 1])
        s = attrs["strides"]
        return (
            n,
            _conv_out(h, w[0], s[1], d[1], attrs["padding"], pt, pb),
            _conv_out(wd, w[1], s[2], d[2], attrs["padding"], pl, pr),
        )

    tol = {"rtol": 1e-4, "atol": 1e-4}
    for sid, xs, ws, attrs in cases:
        n, oh, ow = dims(xs, ws, attrs)
        dy = randn(n, oh, ow, ws[3])
        out += [
            Sample(
                "Conv2DBackpropInput",
                {"input_sizes": np.array(xs, i32), "filter": randn(*ws), "out_backprop": dy},
                attrs,
                id=sid,
                **tol,
            ),
            Sample(
                "Conv2DBackpropFilter",
                {"input": randn(*xs), "filter_sizes": np.array(ws, i32), "out_backprop": dy},
                attrs,
                id=sid,
                **tol,
            ),
        ]
    xs, ws = (2, 7, 6, 3), (3, 3, 3, 4)
    nchw = {"strides": [1, 1, 2, 2], "padding": "SAME", "data_format": "NCHW"}
    dy_nchw = randn(2, 4, 4, 3)
    w = randn(*ws)
    out += [
        Sample(
            "Conv2DBackpropInput",
            {"input_sizes": np.array([2, 3, 7, 6], i32), "filter": w, "out_backprop": dy_nchw},
            nchw,
            id="nchw-same-s2",
            **tol,
        ),
        Sample(
            "Conv2DBackpropFilter",
            {"input": randn(2, 3, 7, 6), "filter_sizes": np.array(ws, i32), "out_backprop": dy_nchw},
            nchw,
            id="nchw-same-s2",
            **tol,
        ),
        Sample(
            "Conv2DBackpropInput",
            {"input_sizes": np.array([7, 6], i32), "filter": w, "out_backprop": randn(2, 4, 3, 4)},
            {"strides": [1, 2, 2, 1], "padding": "SAME"},
            id="spatial-sizes",
            **tol,
        ),
        Sample(
            "Conv2DBackpropInput",
            {"input_sizes": np.array(xs, i32), "filter": w.astype(f64), "out_backprop": randn(2, 4, 3, 4).astype(f64)},
            {"strides": [1, 2, 2, 1], "padding": "SAME"},
            id="f64",
        ),
        Sample(
            "Conv2DBackpropFilter",
            {
                "input": randn(*xs).astype(f64),
                "filter_sizes": np.array(ws, i32),
                "out_backprop": randn(2, 4, 3, 4).astype(f64),
            },
            {"strides": [1, 2, 2, 1], "padding": "SAME"},
            id="f64",
        ),
        Sample(
            "Conv2DBackpropInput",
            {"input_sizes": np.array(xs, i32), "filter": w.astype(f16), "out_backprop": randn(2, 7, 6, 4).astype(f16)},
            {"strides": [1, 1, 1, 1], "padding": "SAME"},
            id="f16",
            rtol=2e-2,
            atol=5e-2,
        ),
        Sample(
            "Conv2DBackpropFilter",
            {
                "input": randn(*xs).astype(f16),
                "filter_sizes": np.array(ws, i32),
                "out_backprop": randn(2, 7, 6, 4).astype(f16),
            },
            {"strides": [1, 1, 1, 1], "padding": "SAME"},
            id="f16",
            rtol=2e-2,
            atol=1e-1,
        ),
        Sample(
            "Conv2DBackpropInput",
            {"input_sizes": np.array(xs, i32), "filter": w, "out_backprop": randn(2, 4, 3, 4)},
            {"strides": [1, 2, 2, 1], "padding": "SAME"},
            fed={"out_backprop": [None, None, None, 4]},
            id="unknown-dims",
            **tol,
        ),
        Sample(
            "Conv2DBackpropInput",
            {"input_sizes": np.array(xs, i32), "filter": w, "out_backprop": randn(2, 4, 3, 4)},
            {"strides": [1, 2, 2, 1], "padding": "SAME"},
            fed={"input_sizes": [4]},
            id="unknown-sizes",
            **tol,
        ),
        Sample(
            "Conv2DBackpropFilter",
            {"input": randn(*xs), "filter_sizes": np.array(ws, i32), "out_backprop": randn(2, 4, 3, 4)},
            {"strides": [1, 2, 2, 1], "padding": "SAME"},
            fed={"input": [None, None, None, 3], "filter_sizes": [4]},
            id="unknown-dims",
            **tol,
        ),
        Sample(
            "Conv2DBackpropInput",
            {"input_sizes": np.array([0, 7, 6, 3], i32), "filter": w, "out_backprop": randn(0, 7, 6, 4)},
            {"strides": [1, 1, 1, 1], "padding": "SAME"},
            id="empty-batch",
        ),
    ]
    dws = (3, 2, 3, 2)
    depthwise = [
        ("valid", {"strides": [1, 1, 1, 1], "padding": "VALID"}, (2, 5, 5, 6)),
        ("same-s2", {"strides": [1, 2, 2, 1], "padding": "SAME"}, (2, 4, 3, 6)),
        ("same", {"strides": [1, 1, 1, 1], "padding": "SAME"}, (2, 7, 6, 6)),
        (
            "explicit",
            {"strides": [1, 1, 1, 1], "padding": "EXPLICIT", "explicit_paddings": [0, 0, 2, 0, 1, 1, 0, 0]},
            (2, 7, 7, 6),
        ),
    ]
    for sid, attrs, dys in depthwise:
        dy = randn(*dys)
        out += [
            Sample(
                "DepthwiseConv2dNativeBackpropInput",
                {"input_sizes": np.array(xs, i32), "filter": randn(*dws), "out_backprop": dy},
                attrs,
                id=sid,
                **tol,
            ),
            Sample(
                "DepthwiseConv2dNativeBackpropFilter",
                {"input": randn(*xs), "filter_sizes": np.array(dws, i32), "out_backprop": dy},
                attrs,
                id=sid,
                **tol,
            ),
        ]
    dw = randn(*dws)
    nchw_dy = randn(2, 6, 4, 3)
    out += [
        Sample(
            "DepthwiseConv2dNativeBackpropInput",
            {"input_sizes": np.array([2, 3, 7, 6], i32), "filter": dw, "out_backprop": nchw_dy},
            nchw,
            id="nchw",
            **tol,
        ),
        Sample(
            "DepthwiseConv2dNativeBackpropFilter",
            {"input": randn(2, 3, 7, 6), "filter_sizes": np.array(dws, i32), "out_backprop": nchw_dy},
            nchw,
            id="nchw",
            **tol,
        ),
        Sample(
            "DepthwiseConv2dNativeBackpropInput",
            {"input_sizes": np.array(xs, i32), "filter": dw.astype(f64), "out_backprop": randn(2, 4, 3, 6).astype(f64)},
            {"strides": [1, 2, 2, 1], "padding": "SAME"},
            id="f64",
        ),
        Sample(
            "DepthwiseConv2dNativeBackpropFilter",
            {
                "input": randn(*xs).astype(f64),
                "filter_sizes": np.array(dws, i32),
                "out_backprop": randn(2, 4, 3, 6).astype(f64),
            },
            {"strides": [1, 2, 2, 1], "padding": "SAME"},
            id="f64",
        ),
        Sample(
            "DepthwiseConv2dNativeBackpropInput",
            {"input_sizes": np.array(xs, i32), "filter": dw, "out_backprop": randn(2, 4, 3, 6)},
            {"strides": [1, 2, 2, 1], "padding": "SAME"},
            fed={"input_sizes": [4], "out_backprop": [None, None, None, 6]},
            id="unknown",
            **tol,
        ),
    ]
    return out


def _np_max_pool(x, ksize, strides, padding, data_format="NHWC", explicit=None):
    """MaxPool in numpy (NHWC or NCHW), for MaxPoolGrad's orig_output."""
    if data_format == "NCHW":
        x = x.transpose(0, 2, 3, 1)
        ksize = [ksize[0], ksize[2], ksize[3], ksize[1]]
        strides = [strides[0], strides[2], strides[3], strides[1]]
    n, h, w, c = x.shape
    pads = []
    for size, k, s, e in zip((h, w), ksize[1:3], strides[1:3], (explicit or [(0, 0), (0, 0)])):
        if padding == "SAME":
            out = -(-size // s)
            need = max((out - 1) * s + k - size, 0)
            pads.append((need // 2, need - need // 2))
        else:
            pads.append(e)
    xp = np.pad(x.astype(f64), [(0, 0), pads[0], pads[1], (0, 0)], constant_values=-np.inf)
    oh = (xp.shape[1] - ksize[1]) // strides[1] + 1
    ow = (xp.shape[2] - ksize[2]) // strides[2] + 1
    y = np.empty((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, i * strides[1] : i * strides[1] + ksize[1], j * strides[2] : j * strides[2] + ksize[2]]
            y[:, i, j] = win.max((1, 2))
    y = y.astype(x.dtype)
    return y.transpose(0, 3, 1, 2) if data_format == "NCHW" else y


def _pool_grad_samples():
    """MaxPoolGrad/GradGrad/AvgPoolGrad. NCHW only through the gradient tests (MaxPool-nchw-same,
    AvgPool-nchw-same): TF's CPU kernels for a standalone MaxPoolGrad accept NHWC only."""
    x = randn(2, 7, 6, 3)
    ties = np.round(randn(2, 6, 6, 3)).astype(f32)  # many equal maxima in a window
    k2, k3, s1, s2 = [1, 2, 2, 1], [1, 3, 3, 1], [1, 1, 1, 1], [1, 2, 2, 1]
    out = []
    cases = [
        ("valid", x, {"ksize": k2, "strides": s2, "padding": "VALID"}),
        ("same-asymmetric", x, {"ksize": k2, "strides": s2, "padding": "SAME"}),
        ("same-symmetric", x, {"ksize": k3, "strides": s1, "padding": "SAME"}),
        ("same-k3-s2", x, {"ksize": k3, "strides": s2, "padding": "SAME"}),
        ("same-k4-s3", x, {"ksize": [1, 4, 1, 1], "strides": [1, 3, 1, 1], "padding": "SAME"}),
        ("ties-s1", ties, {"ksize": k3, "strides": s1, "padding": "SAME"}),
        ("ties-s2", ties, {"ksize": k2, "strides": s2, "padding": "VALID"}),
        ("f64", x.astype(f64), {"ksize": k3, "strides": s2, "padding": "SAME"}),
        ("ties-f64", ties.astype(f64), {"ksize": k3, "strides": s1, "padding": "SAME"}),
    ]
    for sid, xx, attrs in cases:
        y = _np_max_pool(xx, attrs["ksize"], attrs["strides"], attrs["padding"])
        g = randn(*y.shape).astype(xx.dtype)
        gg = randn(*xx.shape).astype(xx.dtype)
        out += [
            Sample("MaxPoolGrad", {"orig_input": xx, "orig_output": y, "grad": g}, attrs, id=sid),
            Sample("MaxPoolGradGrad", {"orig_input": xx, "orig_output": y, "grad": gg}, attrs, id=sid),
        ]
    y = _np_max_pool(x, k3, s2, "VALID", explicit=[(1, 1), (0, 2)])
    out.append(
        Sample(
            "MaxPoolGrad",
            {"orig_input": x, "orig_output": y, "grad": randn(*y.shape)},
            {"ksize": k3, "strides": s2, "padding": "EXPLICIT", "explicit_paddings": [0, 0, 1, 1, 0, 2, 0, 0]},
            id="explicit",
            grad=False,  # MaxPoolGradGrad has no EXPLICIT padding: TF's gradient fails to build, as here
        )
    )
    xi = (np.arange(2 * 5 * 5 * 3).reshape(2, 5, 5, 3) % 7).astype(np.int32)
    yi = _np_max_pool(xi, k2, s2, "SAME")
    out += [
        Sample(
            "MaxPoolGrad",
            {"orig_input": xi, "orig_output": yi, "grad": np.arange(yi.size, dtype=np.int32).reshape(yi.shape)},
            {"ksize": k2, "strides": s2, "padding": "SAME"},
            id="int32",
        ),
        Sample(
            "MaxPoolGradGrad",
            {"orig_input": xi, "orig_output": yi, "grad": np.arange(xi.size, dtype=np.int32).reshape(xi.shape)},
            {"ksize": k2, "strides": s2, "padding": "SAME"},
            id="int32",
        ),
    ]
    xh = x.astype(f16)
    yh = _np_max_pool(xh, k3, s2, "SAME")
    out += [
        Sample(
            "MaxPoolGrad",
            {"orig_input": xh, "orig_output": yh, "grad": randn(*yh.shape).astype(f16)},
            {"ksize": k3, "strides": s2, "padding": "SAME"},
            id="f16",
            **HALF,
        ),
        Sample(
            "MaxPoolGrad",
            {"orig_input": x, "orig_output": _np_max_pool(x, k2, s2, "SAME"), "grad": randn(2, 4, 3, 3)},
            {"ksize": k2, "strides": s2, "padding": "SAME"},
            fed={"orig_input": [None, None, None, 3], "grad": None},
            id="unknown-dims",
        ),
        Sample(
            "MaxPoolGradGrad",
            {"orig_input": x, "orig_output": _np_max_pool(x, k2, s2, "SAME"), "grad": randn(*x.shape)},
            {"ksize": k2, "strides": s2, "padding": "SAME"},
            fed={"orig_input": [None, None, None, 3], "orig_output": None},
            id="unknown-dims",
        ),
    ]
    for sid, xx, k, s, padding in (("", x, k3, s2, "SAME"), ("ties-valid", ties, k2, s1, "VALID")):
        y = _np_max_pool(xx, k, s, padding)
        tensors = {"ksize": np.array(k, np.int32), "strides": np.array(s, np.int32)}
        out += [
            Sample(
                "MaxPoolGradV2",
                {"orig_input": xx, "orig_output": y, "grad": randn(*y.shape), **tensors},
                {"padding": padding},
                id=sid,
            ),
            Sample(
                "MaxPoolGradGradV2",
                {"orig_input": xx, "orig_output": y, "grad": randn(*xx.shape), **tensors},
                {"padding": padding},
                id=sid,
                **NO_TF_GRADIENT,
            ),
        ]
    y = _np_max_pool(x, k2, s2, "SAME")
    out += [
        Sample(
            "MaxPoolGradV2",
            {
                "orig_input": x,
                "orig_output": y,
                "grad": randn(*y.shape),
                "ksize": np.array(k2, np.int32),
                "strides": np.array(s2, np.int32),
            },
            {"padding": "SAME"},
            fed={"ksize": [4]},
            id="unknown-ksize",
        ),
        Sample(
            "MaxPoolGradGradV2",
            {
                "orig_input": x,
                "orig_output": y,
                "grad": randn(*x.shape),
                "ksize": np.array(k2, np.int32),
                "strides": np.array(s2, np.int32),
            },
            {"padding": "SAME"},
            fed={"strides": [4]},
            id="unknown-strides",
            **NO_TF_GRADIENT,
        ),
    ]
    avg = [
        ("valid", (2, 7, 6, 3), (2, 3, 3, 3), {"ksize": k2, "strides": s2, "padding": "VALID"}),
        ("same-asymmetric", (2, 7, 6, 3), (2, 4, 3, 3), {"ksize": k2, "strides": s2, "padding": "SAME"}),
        ("same-symmetric", (2, 7, 6, 3), (2, 7, 6, 3), {"ksize": k3, "strides": s1, "padding": "SAME"}),
        ("same-k3-s2", (2, 7, 6, 3), (2, 4, 3, 3), {"ksize": k3, "strides": s2, "padding": "SAME"}),
        ("same-k4-s3", (2, 7, 6, 3), (2, 3, 6, 3), {"ksize": [1, 4, 1, 1], "strides": [1, 3, 1, 1], "padding": "SAME"}),
        (
            "valid-rect",
            (2, 7, 6, 3),
            (2, 6, 2, 3),
            {"ksize": [1, 2, 3, 1], "strides": [1, 1, 2, 1], "padding": "VALID"},
        ),
    ]
    for sid, xs, gs, attrs in avg:
        out.append(
            Sample("AvgPoolGrad", {"orig_input_shape": np.array(xs, np.int32), "grad": randn(*gs)}, attrs, id=sid)
        )
    out += [
        Sample(
            "AvgPoolGrad",
            {"orig_input_shape": np.array([2, 3, 7, 6], np.int32), "grad": randn(2, 3, 4, 3)},
            {"ksize": [1, 1, 2, 2], "strides": [1, 1, 2, 2], "padding": "SAME", "data_format": "NCHW"},
            id="nchw-same",
        ),
        Sample(
            "AvgPoolGrad",
            {"orig_input_shape": np.array([2, 7, 6, 3], np.int32), "grad": randn(2, 4, 3, 3).astype(f64)},
            {"ksize": k3, "strides": s2, "padding": "SAME"},
            id="f64",
        ),
        Sample(
            "AvgPoolGrad",
            {"orig_input_shape": np.array([2, 7, 6, 3], np.int32), "grad": randn(2, 4, 3, 3).astype(f16)},
            {"ksize": k3, "strides": s2, "padding": "SAME"},
            id="f16",
            **HALF,
        ),
        Sample(
            "AvgPoolGrad",
            {"orig_input_shape": np.array([2, 7, 6, 3], np.int32), "grad": randn(2, 4, 3, 3)},
            {"ksize": k2, "strides": s2, "padding": "SAME"},
            fed={"orig_input_shape": [4], "grad": [None, None, None, 3]},
            id="unknown",
        ),
    ]
    return out


SAMPLES: list[Sample] = (
    _activation_samples()
    + _softmax_samples()
    + _bias_samples()
    + _loss_samples()
    + _top_k_samples()
    + _lrn_samples()
    + _conv_samples()
    + _pool_samples()
    + _batch_norm_samples()
    + _activation_grad_samples()
    + _bias_grad_samples()
    + _lrn_grad_samples()
    + _batch_norm_grad_samples()
    + _conv_grad_samples()
    + _pool_grad_samples()
)
