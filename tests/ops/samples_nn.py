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
            "SoftmaxCrossEntropyWithLogits", {"features": randn(2, 3), "labels": labels[1]}, id="broadcast-labels-row"
        ),
        Sample(
            "SoftmaxCrossEntropyWithLogits", {"features": randn(2, 1), "labels": labels}, id="broadcast-features-column"
        ),
        Sample("SoftmaxCrossEntropyWithLogits", {"features": randn(1, 3), "labels": labels}, id="broadcast-batch"),
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
        Sample("TopKV2", {"input": randn(3, 4), "k": np.int32(2)}, {"index_type": "dtype:int64"}, id="index-int64"),
        Sample("TopKV2", {"input": randn(3, 4), "k": np.int16(2)}, {"index_type": "dtype:int16"}, id="index-int16"),
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
        _conv("DepthwiseConv2dNative", x, dw, {"strides": s1, "padding": "SAME", "dilations": [1, 2, 2, 1]}, "dilated"),
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
        _pool(
            "MaxPool", randn(1, 3, 3, 6), {"ksize": [1, 1, 1, 3], "strides": [1, 1, 1, 3], "padding": "VALID"}, "depth"
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
)
