"""Samples for the 3-D convolution and pooling ops."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample, randn

f32, f64, i32 = np.float32, np.float64, np.int32
S1, S2 = [1, 1, 1, 1, 1], [1, 2, 2, 2, 1]
X = randn(2, 5, 6, 4, 3)
W = randn(3, 2, 2, 3, 4)


def _conv(x, w, attrs, id, **kw):
    return Sample("Conv3D", {"input": x, "filter": w}, attrs, id=id, rtol=1e-4, atol=1e-4, **kw)


def _pool(op, x, attrs, id, **kw):
    return Sample(op, {"input": x}, attrs, id=id, **kw)


def _out(x, w, strides, padding):
    with_same = padding == "SAME"
    dims = []
    for n, k, s in zip(x.shape[1:4], w.shape[:3], strides[1:4]):
        dims.append((n + s - 1) // s if with_same else (n - k + s) // s)
    return [x.shape[0], *dims, w.shape[4]]


def _backprop_input(x, w, strides, padding, id, **kw):
    dy = randn(*_out(x, w, strides, padding))
    return Sample(
        "Conv3DBackpropInputV2",
        {"input_sizes": np.array(x.shape, i32), "filter": w, "out_backprop": dy},
        {"strides": strides, "padding": padding},
        id=id,
        rtol=1e-4,
        atol=1e-4,
        **kw,
    )


def _backprop_filter(x, w, strides, padding, id, **kw):
    dy = randn(*_out(x, w, strides, padding))
    return Sample(
        "Conv3DBackpropFilterV2",
        {"input": x, "filter_sizes": np.array(w.shape, i32), "out_backprop": dy},
        {"strides": strides, "padding": padding},
        id=id,
        rtol=1e-4,
        atol=1e-4,
        **kw,
    )


_POOL = {"ksize": [1, 2, 2, 2, 1], "strides": S2, "padding": "VALID"}
_POOL_SAME = {"ksize": [1, 3, 2, 3, 1], "strides": [1, 2, 1, 2, 1], "padding": "SAME"}
_POOL_NCDHW = {"ksize": [1, 1, 2, 2, 2], "strides": [1, 1, 2, 2, 2], "padding": "VALID", "data_format": "NCDHW"}


def _max_pool_grad(x, attrs, id, op="MaxPool3DGrad", **kw):
    import torchmeta as tm

    with tm.Graph().as_default():
        y = tm.nn.max_pool3d(
            tm.constant(x),
            attrs["ksize"],
            attrs["strides"],
            attrs["padding"],
            data_format=attrs.get("data_format", "NDHWC"),
        )
        with tm.Session() as sess:
            out = sess.run(y)
    grad = randn(*out.shape) if op == "MaxPool3DGrad" else randn(*x.shape)
    return Sample(op, {"orig_input": x, "orig_output": out, "grad": grad}, attrs, id=id, rtol=1e-4, atol=1e-5, **kw)


SAMPLES = [
    _conv(X, W, {"strides": S1, "padding": "VALID"}, "valid"),
    _conv(X, W, {"strides": S2, "padding": "SAME"}, "same-s2"),
    _conv(X, randn(2, 3, 2, 3, 2), {"strides": [1, 1, 2, 1, 1], "padding": "SAME"}, "same-asymmetric"),
    _conv(X.astype(f64), W.astype(f64), {"strides": S1, "padding": "SAME"}, "f64"),
    _conv(
        np.transpose(X, (0, 4, 1, 2, 3)).copy(),
        W,
        {"strides": [1, 1, 2, 2, 2], "padding": "SAME", "data_format": "NCDHW"},
        "ncdhw",
    ),
    _conv(X, W, {"strides": S1, "padding": "VALID"}, "fed", fed={"input": [None, 5, None, 4, 3]}),
    _backprop_input(X, W, S1, "VALID", "valid"),
    _backprop_input(X, W, S2, "SAME", "same-s2"),
    _backprop_input(X, randn(2, 3, 2, 3, 2), [1, 2, 1, 2, 1], "VALID", "valid-s2-leftover"),
    _backprop_filter(X, W, S1, "VALID", "valid"),
    _backprop_filter(X, W, S2, "SAME", "same-s2"),
    _backprop_filter(X, randn(2, 3, 2, 3, 2), [1, 2, 1, 2, 1], "VALID", "valid-s2-leftover"),
    _pool("MaxPool3D", X, _POOL, "valid"),
    _pool("MaxPool3D", X, _POOL_SAME, "same"),
    _pool("AvgPool3D", X, _POOL, "valid"),
    _pool("AvgPool3D", X, _POOL_SAME, "same"),
    _pool(
        "AvgPool3D",
        np.transpose(X, (0, 4, 1, 2, 3)).copy(),
        _POOL_NCDHW,
        "ncdhw",
    ),
    _max_pool_grad(X, _POOL, "valid"),
    _max_pool_grad(X, _POOL_SAME, "same"),
    _max_pool_grad(np.round(X), _POOL_SAME, "ties"),
    _max_pool_grad(X, _POOL, "grad-grad", op="MaxPool3DGradGrad"),
    _max_pool_grad(X, _POOL_SAME, "grad-grad-same", op="MaxPool3DGradGrad"),
    _max_pool_grad(np.round(X), _POOL_SAME, "grad-grad-ties", op="MaxPool3DGradGrad"),
    Sample(
        "AvgPool3DGrad",
        {"orig_input_shape": np.array(X.shape, i32), "grad": randn(2, 2, 3, 2, 3)},
        _POOL,
        id="valid",
        rtol=1e-5,
    ),
    Sample(
        "AvgPool3DGrad",
        {"orig_input_shape": np.array(X.shape, i32), "grad": randn(2, 3, 6, 2, 3)},
        _POOL_SAME,
        id="same",
        rtol=1e-5,
    ),
]
