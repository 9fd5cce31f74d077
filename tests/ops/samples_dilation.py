"""Samples for morphological dilation (torchmeta/ops/dilation_ops.py): Dilation2D and its backprops, for
SAME/VALID padding, strides, rates, ties (the first maximum takes the gradient), NaN taps (never taken),
windows with no tap inside the input, integer types and empty tensors."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample

S = Sample
f16, f32, f64 = np.float16, np.float32, np.float64
_rng = np.random.default_rng(41)


def _r(*shape, dtype=f32):
    return _rng.standard_normal(shape).astype(dtype)


_X = _r(2, 5, 6, 3)
_F = _r(2, 3, 3)
_TIES = np.array([[1, 3, 3], [3, 0, 2], [1, 3, 3]], f32).reshape(1, 3, 3, 1)
_NAN = _r(1, 4, 4, 2)
_NAN[0, 1, 2, 0] = np.nan
_NAN[0, 0, 0, 1] = np.inf

_CASES = [  # (id, input, filter, strides, rates, padding)
    ("same", _X, _F, [1, 1, 1, 1], [1, 1, 1, 1], "SAME"),
    ("valid", _X, _F, [1, 1, 1, 1], [1, 1, 1, 1], "VALID"),
    ("stride", _X, _F, [1, 2, 3, 1], [1, 1, 1, 1], "SAME"),
    ("rate", _X, _F, [1, 1, 1, 1], [1, 2, 2, 1], "SAME"),
    ("rate-stride-valid", _X, _F[:, :2], [1, 2, 1, 1], [1, 2, 3, 1], "VALID"),
    ("f64", _X.astype(f64), _F.astype(f64), [1, 1, 2, 1], [1, 1, 1, 1], "SAME"),
    ("ties", _TIES, np.zeros((2, 2, 1), f32), [1, 1, 1, 1], [1, 1, 1, 1], "SAME"),
    ("nan-inf", _NAN, _r(2, 2, 2), [1, 1, 1, 1], [1, 1, 1, 1], "SAME"),
    # a 1x1 input under a rate-4 3x3 filter with stride 3: most windows hold no in-range tap
    ("no-tap", _r(1, 2, 2, 1), _r(3, 3, 1), [1, 3, 3, 1], [1, 4, 4, 1], "SAME"),
    ("empty-batch", _r(0, 4, 4, 2), _r(2, 2, 2), [1, 1, 1, 1], [1, 1, 1, 1], "SAME"),
]


def _samples():
    out = []
    for case_id, x, f, strides, rates, padding in _CASES:
        attrs = {"strides": strides, "rates": rates, "padding": padding}
        out.append(S("Dilation2D", {"input": x, "filter": f}, attrs, id=case_id))
    out += [
        S("Dilation2D", {"input": _X[..., :1].astype(f16), "filter": _F[..., :1].astype(f16)},
          {"strides": [1, 1, 1, 1], "rates": [1, 1, 1, 1], "padding": "SAME"}, id="f16", rtol=1e-3, atol=1e-3),
        S("Dilation2D", {"input": (_X * 10).astype(np.int32), "filter": (_F * 10).astype(np.int32)},
          {"strides": [1, 1, 1, 1], "rates": [1, 1, 1, 1], "padding": "SAME"}, id="int32"),
        S("Dilation2D", {"input": (np.abs(_X) * 40).astype(np.uint8), "filter": (np.abs(_F) * 40).astype(np.uint8)},
          {"strides": [1, 2, 2, 1], "rates": [1, 1, 1, 1], "padding": "VALID"}, id="uint8"),
        S("Dilation2D", {"input": _X, "filter": _F}, {"strides": [1, 1, 1, 1], "rates": [1, 1, 1, 1],
          "padding": "SAME"}, fed={"input": [None, None, None, 3]}, id="unknown"),
    ]  # fmt: skip
    return out


def _backprop_samples():
    out = []
    for case_id, x, f, strides, rates, padding in _CASES:
        attrs = {"strides": strides, "rates": rates, "padding": padding}
        y = _dilated_shape(x.shape, f.shape, strides, rates, padding)
        dy = _r(*y, dtype=x.dtype)
        for op in ("Dilation2DBackpropInput", "Dilation2DBackpropFilter"):
            out.append(S(op, {"input": x, "filter": f, "out_backprop": dy}, attrs, id=case_id))
    dy = _rng.integers(-5, 5, (2, 5, 6, 3)).astype(np.int32)
    for op in ("Dilation2DBackpropInput", "Dilation2DBackpropFilter"):
        out.append(
            S(op, {"input": (_X * 10).astype(np.int32), "filter": (_F * 10).astype(np.int32), "out_backprop": dy},
              {"strides": [1, 1, 1, 1], "rates": [1, 1, 1, 1], "padding": "SAME"}, id="int32")
        )  # fmt: skip
    return out


def _dilated_shape(x, f, strides, rates, padding):
    dims = []
    for size, k, s, r in ((x[1], f[0], strides[1], rates[1]), (x[2], f[1], strides[2], rates[2])):
        eff = k + (k - 1) * (r - 1)
        dims.append((size - eff + s) // s if padding == "VALID" else (size + s - 1) // s)
    return (x[0], dims[0], dims[1], x[3])


SAMPLES: list[Sample] = _samples() + _backprop_samples()
