"""LRN and LRNGrad (torchmeta.ops.lrn_native's window sums, nn_ops' power) against TF's kernels.

Contiguous float32 NHWC tensors run the native window sums where the kernel can be built; these tests check
that it ran, and compare LRN, its gradient through tf.gradients and the raw LRNGrad with TF's on both paths
(native and torch, as without a compiler) for the cases the kernel handles apart: the tutorial's shape and
attributes, a radius of 0, radii wider than the depth, beta 0.5 and 1 (TF's rsqrt and reciprocal), beta 0 on
an all-zero window with bias 0 (TF's exp(log(0) * -0) is NaN), zero gradients beside infinite outputs
(TF skips them), non-finite inputs (where TF's band-matrix product or running sum spreads NaN), and float16
(the torch path)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchmeta as tm
from tests.ops import native_helpers
from torchmeta.ops import lrn_native, nn_ops

native, without_native = native_helpers.fixtures(lrn_native)

TUTORIAL = {"depth_radius": 4, "bias": 1.0, "alpha": 0.001 / 9.0, "beta": 0.75}
CASES = {
    "tutorial": ((16, 12, 12, 64), TUTORIAL),
    "defaults": ((2, 3, 3, 7), {}),
    "radius0-beta1": ((2, 2, 3, 4), {"depth_radius": 0, "beta": 1.0}),
    "radius-above-depth": ((2, 3, 2, 5), {"depth_radius": 9, "bias": 2.0, "alpha": 0.5, "beta": 0.75}),
    "radius-depth-1": ((1, 2, 2, 6), {"depth_radius": 5, "alpha": 0.3, "beta": 0.5}),
    "depth1": ((3, 2, 2, 1), {"depth_radius": 2, "alpha": 2.0, "beta": 0.6}),
    "beta-half-large": ((2, 2, 2, 40), {"depth_radius": 3, "bias": 0.5, "alpha": 3.0, "beta": 0.5}),
    "beta0": ((1, 2, 2, 8), {"depth_radius": 2, "bias": 1.5, "beta": 0.0}),
}


def _attrs(attrs):
    full = {"depth_radius": 5, "bias": 1.0, "alpha": 1.0, "beta": 0.5}
    full.update(attrs)
    return full


def _data(shape, seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * scale).astype(np.float32), rng.standard_normal(shape).astype(np.float32)


def _lrn_and_grad(api, x, w, attrs, dtype):
    """LRN of ``x``, the gradient of sum(LRN(x) * w) through tf.gradients, and the raw LRNGrad of w."""
    xt = api.constant(x.astype(dtype))
    y = api.nn.lrn(xt, **attrs)
    (dx,) = api.gradients(api.reduce_sum(y * w.astype(dtype)), xt)
    raw = api.raw_ops.LRNGrad(input_grads=w.astype(dtype), input_image=xt, output_image=y, **attrs)
    return y, dx, raw


def _run(api, x, w, attrs, dtype=np.float32):
    with api.Graph().as_default(), api.Session() as sess:
        return sess.run(_lrn_and_grad(api, x, w, attrs, dtype))


@pytest.fixture
def spy(monkeypatch):
    """How many calls each native kernel answered."""
    ran = {"norm": 0, "grad": 0}
    for name in ran:
        kernel = getattr(lrn_native, name)

        def counting(*args, _kernel=kernel, _name=name):
            out = _kernel(*args)
            ran[_name] += out is not None
            return out

        monkeypatch.setattr(lrn_native, name, counting)
    return ran


def _assert_close(got, want, rtol):
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * np.abs(w).max())


@pytest.mark.parametrize("path", ["native", "torch"])
@pytest.mark.parametrize("case", list(CASES))
def test_lrn_and_gradients_are_tfs(tf1, monkeypatch, spy, path, case):
    native_helpers.choose_path(lrn_native, monkeypatch, path)
    shape, attrs = CASES[case]
    x, w = _data(shape)
    want = _run(tf1, x, w, attrs)
    got = _run(tm, x, w, attrs)
    assert spy == ({"norm": 3, "grad": 2} if path == "native" else {"norm": 0, "grad": 0})
    # y exactly to float32's rounding; the gradients subtract two near terms (TF's own tests allow 1e-4)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6, atol=0)
    _assert_close(got[1:], want[1:], 1e-5)


def test_float16_is_tfs(tf1):
    x, w = _data((2, 3, 3, 9), scale=1.0)
    attrs = {"depth_radius": 2, "bias": 1.0, "alpha": 0.2, "beta": 0.75}
    want = _run(tf1, x, w, attrs, np.float16)
    got = _run(tm, x, w, attrs, np.float16)
    _assert_close(got, want, 2e-3)


@pytest.mark.parametrize("path", ["native", "torch"])
def test_beta0_zero_window_is_nan_as_in_tf(tf1, monkeypatch, path):
    """bias 0, beta 0 and an all-zero window: TF's exp(log(0) * -0) is NaN, so y is NaN (torch.pow gave 1)."""
    native_helpers.choose_path(lrn_native, monkeypatch, path)
    x = np.zeros((1, 1, 2, 3), np.float32)
    x[0, 0, 1] = [1.0, 2.0, 0.5]
    attrs = {"depth_radius": 1, "bias": 0.0, "alpha": 1.0, "beta": 0.0}
    with tf1.Graph().as_default(), tf1.Session() as sess:
        want = sess.run(tf1.nn.lrn(x, **attrs))
    with tm.Graph().as_default(), tm.Session() as sess:
        got = sess.run(tm.nn.lrn(x, **attrs))
    assert np.isnan(want[0, 0, 0]).all()
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("path", ["native", "torch"])
def test_zero_gradients_skip_infinite_outputs_as_in_tf(tf1, monkeypatch, path):
    """TF's LRNGrad skips each channel whose incoming gradient is 0: an infinite y there adds nothing."""
    native_helpers.choose_path(lrn_native, monkeypatch, path)
    x, g = _data((1, 2, 2, 6), seed=3)
    y = x.copy()
    y[0, 0, 0, 2] = np.inf
    g[0, 0, 0, 2] = 0.0
    attrs = {"depth_radius": 1, "bias": 1.0, "alpha": 0.5, "beta": 0.75}
    with tf1.Graph().as_default(), tf1.Session() as sess:
        want = sess.run(tf1.raw_ops.LRNGrad(input_grads=g, input_image=x, output_image=y, **attrs))
    got = nn_ops.lrn_grad(torch.from_numpy(g), torch.from_numpy(x), torch.from_numpy(y), **attrs).numpy()
    assert np.isfinite(want).all()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_compiled_step_calls_the_custom_ops(monkeypatch):
    """torch.compile traces the native window sums as the custom ops (one extern call each) to the eager
    values."""
    native_helpers.require_native(lrn_native)
    x, w = _data((2, 3, 3, 10))
    attrs = _attrs({"depth_radius": 2, "bias": 1.5, "alpha": 0.1, "beta": 0.75})
    xt, wt = torch.from_numpy(x), torch.from_numpy(w)

    def step(x, w):
        y = nn_ops.lrn(x, **attrs)
        return y, nn_ops.lrn_grad(w, x, y, **attrs)

    seen = []

    def backend(gm, _inputs):
        seen.extend(str(n.target) for n in gm.graph.nodes if n.op == "call_function")
        return gm.forward

    want = step(xt, wt)
    got = torch.compile(step, backend=backend, fullgraph=True)(xt, wt)
    assert "torchmeta.lrn_norm.default" in seen and "torchmeta.lrn_grad.default" in seen
    for g, e in zip(got, want):
        torch.testing.assert_close(g, e, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("path", ["native", "torch"])
@pytest.mark.parametrize(
    "depth,beta",
    [(8, 0.75), (400, 0.5), (400, 1.0), (400, 0.75)],
    ids=["band", "running-beta0.5", "running-beta1", "band-deep"],
)
def test_non_finite_inputs_are_tfs(tf1, monkeypatch, path, depth, beta):
    """An inf, NaN or overflowing square: NaN outside its window where TF multiplies by a band matrix, after
    it where TF keeps a running sum (over 384 channels, beta 0.5 or 1); the window itself as arithmetic has it."""
    native_helpers.choose_path(lrn_native, monkeypatch, path)
    x, _ = _data((1, 1, 5, depth), scale=1.0)
    x[0, 0, 0, 0] = np.inf
    x[0, 0, 1, depth // 2] = np.nan
    x[0, 0, 2, depth - 1] = -np.inf
    x[0, 0, 3, 3] = 1e20  # its square overflows
    attrs = {"depth_radius": 2, "bias": 1.0, "alpha": 0.5, "beta": beta}
    with tf1.Graph().as_default(), tf1.Session() as sess:
        want = sess.run(tf1.nn.lrn(x, **attrs))
    with tm.Graph().as_default(), tm.Session() as sess:
        got = sess.run(tm.nn.lrn(x, **attrs))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=1e-5)  # (TF's running sum rounds apart from a window's sum)
