"""MaxPool keeps its argmax on its result, and the MaxPoolGrad TF's gradient builds from that input and
output uses it instead of pooling again; anything else (another input, an input or output changed in
place, other attrs) pools again. The gradients must be TensorFlow's either way. Both paths: the native
kernel (torchmeta.ops.pool_native, NHWC float32) and torch's max_pool2d_with_indices."""

import numpy as np
import pytest
import torch
from torch.profiler import profile

import torchmeta as tm
from tests.ops import native_helpers
from torchmeta.ops import pool_native, pool_ops

POOL = dict(ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME", explicit_paddings=[], data_format="NHWC")
_NATIVE_POOLS = []


@pytest.fixture(params=["native", "torch"], autouse=True)
def path(request, monkeypatch):
    """Every test on both paths; native pooling calls are counted in _NATIVE_POOLS."""
    native_helpers.choose_path(pool_native, monkeypatch, request.param)
    forward = pool_native.forward

    def counted(*args, **kwargs):
        out = forward(*args, **kwargs)
        _NATIVE_POOLS.append(out is not None)
        return out

    monkeypatch.setattr(pool_native, "forward", counted)
    return request.param


def _pool_calls(fn):
    """fn's result and how many times it pooled (torch's max_pool2d_with_indices or the native kernel)."""
    _NATIVE_POOLS.clear()
    with profile() as prof:
        out = fn()
    return out, sum(e.name == "aten::max_pool2d_with_indices" for e in prof.events()) + sum(_NATIVE_POOLS)


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_gradient_of_max_pool_reuses_its_argmax_and_matches_tf(tf1, padding):
    rng = np.random.default_rng(0)
    x_value = np.maximum(rng.standard_normal((2, 9, 8, 3)), 0).astype(np.float32)  # relu-like ties at 0
    dy_value = rng.standard_normal((2, 5, 4, 3) if padding == "SAME" else (2, 4, 3, 3)).astype(np.float32)

    def run(tf):
        x = tf.placeholder(tf.float32, x_value.shape)
        y = tf.nn.max_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], padding)
        (gx,) = tf.gradients(y, [x], grad_ys=tf.constant(dy_value))
        with tf.Session() as sess:
            if tf is tm:
                sess.run([y, gx], {x: x_value})
                return _pool_calls(lambda: sess.run([y, gx], {x: x_value}))
            return sess.run([y, gx], {x: x_value}), None

    theirs, _ = run(tf1)
    ours, calls = run(tm)
    for a, e in zip(ours, theirs):
        assert a.shape == e.shape and a.dtype == e.dtype
        np.testing.assert_allclose(a, e, rtol=1e-6, atol=1e-7)  # overlapping windows sum in another order
    assert calls == 1, "MaxPoolGrad pooled again"


def test_an_input_changed_in_place_is_pooled_again():
    x = torch.randn(2, 7, 7, 3)
    y = pool_ops.max_pool(x, **POOL)
    dy = torch.randn(y.shape)
    x.mul_(-1)  # the argmax kept on y is stale now
    got, calls = _pool_calls(lambda: pool_ops.max_pool_grad(x, y, dy, **POOL))
    fresh = pool_ops.max_pool_grad(x.clone(), pool_ops.max_pool(x.clone(), **POOL), dy, **POOL)
    assert calls == 1
    torch.testing.assert_close(got, fresh, rtol=0, atol=0)


def test_another_input_or_other_attrs_are_pooled_again():
    x = torch.randn(2, 7, 7, 3)
    y = pool_ops.max_pool(x, **POOL)
    dy = torch.randn(y.shape)
    _, calls = _pool_calls(lambda: pool_ops.max_pool_grad(x.clone(), y, dy, **POOL))
    assert calls == 1
    _, calls = _pool_calls(lambda: pool_ops.max_pool_grad(x, y, dy, **POOL))
    assert calls == 0
    other = dict(POOL, ksize=[1, 2, 2, 1])
    _, calls = _pool_calls(lambda: pool_ops.max_pool_grad(x, y, torch.randn(2, 4, 4, 3), **other))
    assert calls == 1
