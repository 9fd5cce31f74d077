"""Max pooling of half, bfloat16 and double (and float32 on the torch path) against TF 2.21, NaN and -inf
included: TF never lets NaN win a window in any dtype, starts a window from the dtype's lowest value (or,
where it pools half and bfloat16 with oneDNN as float32, from -FLT_MAX, which comes back as -inf), and its
gradient's argmax follows the kernel it picks (oneDNN's for MaxPool/MaxPoolGrad with SAME/VALID padding on
the dtypes oneDNN takes on this CPU, its own SpatialMaxPoolWithArgMaxHelper otherwise). The inputs are fed
through placeholders: TF's constant folding would run its own kernels instead."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from torchmeta.ops import pool_native

NAN, INF = np.nan, np.inf
IMAGE = np.array(
    [
        [NAN, 1.0, NAN, NAN, -INF, 2.0],
        [3.0, NAN, NAN, NAN, -INF, -INF],
        [NAN, NAN, 5.0, -1.0, NAN, 7.0],
        [NAN, NAN, -2.0, NAN, -INF, NAN],
        [-INF, -INF, NAN, 4.0, 1.0, NAN],
    ]
)
# NaN first in windows, windows of only NaN or -inf, -inf first after explicit padding; a second channel
# mirrored, a third of -FLT_MAX (-inf in half and bfloat16)
X = np.stack([IMAGE, IMAGE[::-1, ::-1], np.full_like(IMAGE, -np.finfo(np.float32).max)], -1)[None]

CASES = {
    "valid-2x2-s2": ("MaxPool", (2, 2), (2, 2), "VALID"),
    "same-3x3-s1": ("MaxPool", (3, 3), (1, 1), "SAME"),
    "same-2x3-s1x2": ("MaxPool", (2, 3), (1, 2), "SAME"),
    "v2-same-3x3-s1": ("MaxPoolV2", (3, 3), (1, 1), "SAME"),
    "v2-valid-2x2-s2": ("MaxPoolV2", (2, 2), (2, 2), "VALID"),
    "explicit-2x2-s2": ("MaxPool", (2, 2), (2, 2), "EXPLICIT"),
    "explicit-3x3-s2x1": ("MaxPool", (3, 3), (2, 1), "EXPLICIT"),
}
DTYPES = ["float64", "float16", "bfloat16", "float32"]


def _run(api, dtype, case):
    op, ksize, strides, padding = CASES[case]
    g = api.Graph()
    with g.as_default():
        x = api.placeholder(getattr(api, dtype), X.shape)
        k, s = [1, *ksize, 1], [1, *strides, 1]
        raw = api.raw_ops
        if op == "MaxPoolV2":
            y = raw.MaxPoolV2(input=x, ksize=k, strides=s, padding=padding)
        else:
            pads = [0, 0, 0, 1, 1, 1, 0, 0] if padding == "EXPLICIT" else []
            y = raw.MaxPool(input=x, ksize=k, strides=s, padding=padding, explicit_paddings=pads)
        dy = api.cast(api.reshape(api.range(api.size(y)) + 1, api.shape(y)), x.dtype)
        (dx,) = api.gradients(y, [x], grad_ys=dy)
        with api.Session() as sess:
            with np.errstate(over="ignore"):  # -FLT_MAX is -inf in half
                feed = X.astype(np.float32 if dtype == "bfloat16" else dtype)
            return [
                v.astype(np.float64) for v in sess.run([api.cast(y, api.float64), api.cast(dx, api.float64)], {x: feed})
            ]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_max_pool_and_gradient_follow_tfs_nan_rules(tf1, monkeypatch, dtype, case):
    if dtype == "float32":  # the torch path (NCHW, no compiler, TORCHMETA_NATIVE=0); the native one has its tests
        monkeypatch.setattr(pool_native.library, "lib", None)
        monkeypatch.setattr(pool_native.library, "tried", True)
    ours, theirs = _run(tm, dtype, case), _run(tf1, dtype, case)
    np.testing.assert_array_equal(ours[0], theirs[0])  # the maxima: input values, the lowest value or -inf
    op, ksize, strides, _ = CASES[case]
    overlapping = ksize[0] > strides[0] or ksize[1] > strides[1]
    if overlapping and dtype == "bfloat16":  # a position's gradient sums windows' in 8 bits, TF in its order
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-2)
    else:
        np.testing.assert_array_equal(ours[1], theirs[1])
