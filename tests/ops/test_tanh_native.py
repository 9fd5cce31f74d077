"""The native float32 Tanh (torchmeta.ops.tanh_native, the kernel of unary_ops.tanh) against TF's Tanh bit for
bit: Eigen's rational function without FMA, NaN, infinities, signed zeros, the clamp's edge, subnormal inputs
(read as zeros, as TF's threads flush them), every length of the vectorized loop's tail, views; the torch path
where the kernel does not apply; the LSTM cell's values and gradients in a graph."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchmeta as tm
from torchmeta.ops import tanh_native, unary_ops

from .native_helpers import require_native, torch_path

SPECIAL = np.array(
    [
        np.nan,
        np.inf,
        -np.inf,
        0.0,
        -0.0,
        1.0,
        -1.0,
        3e38,
        -3e38,
        1e-30,
        1e-40,
        -1e-40,
        7.9073896,
        7.90739,
        -7.9074,
        4e-4,
    ],
    np.float32,
)


def _values(n, seed):
    rng = np.random.default_rng(seed)
    scales = rng.choice(np.array([1e-4, 1e-2, 0.3, 1.0, 3.0, 10.0], np.float32), n)
    x = (rng.standard_normal(n) * scales).astype(np.float32)
    mask = rng.random(n) < 0.1
    x[mask] = rng.choice(SPECIAL, int(mask.sum()))
    return x


def _bits(a):
    return np.asarray(a, dtype=np.float32).view(np.int32)


def _tf_tanh(tf1, x):
    g = tf1.Graph()
    with g.as_default():
        y = tf1.tanh(tf1.constant(x))
        with tf1.Session(graph=g) as sess:
            return sess.run(y)


def _assert_same(ours, theirs):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    same = (_bits(ours) == _bits(theirs)) | (np.isnan(ours) & np.isnan(theirs))
    assert same.all(), list(zip(ours[~same][:5], theirs[~same][:5]))


@pytest.fixture
def native():
    require_native(tanh_native)


def test_equals_tf_bit_for_bit(tf1, native):
    x = np.concatenate([_values(100_000, 0), SPECIAL, np.linspace(-9, 9, 20_001, dtype=np.float32)])
    edges = np.array([7.9073896, 7.90739, -7.9074, 4e-4], np.float32)
    x = np.concatenate([x, np.nextafter(edges, np.float32(0)), np.nextafter(edges, np.float32(9))])
    got = unary_ops.tanh(torch.from_numpy(x))
    assert got.dtype == torch.float32 and got.shape == (x.size,)
    _assert_same(got.numpy(), _tf_tanh(tf1, x))


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 15, 16, 17, 31])
def test_every_tail_length(tf1, native, n):
    x = _values(n, n)
    _assert_same(tanh_native.tanh(torch.from_numpy(x)).numpy(), _tf_tanh(tf1, x))


def test_shapes_and_views(native):
    x = torch.from_numpy(_values(6 * 35, 1)).reshape(6, 5, 7)
    for view in (x, x[:, 1:4], x.transpose(0, 2), x[..., ::2], x[0, 0, 0]):
        got = tanh_native.tanh(view)
        assert got.shape == view.shape and got.is_contiguous()
        _assert_same(got.numpy(), tanh_native.tanh(view.contiguous()).numpy())


def test_column_slices(tf1, native):
    """2-D inputs whose rows are contiguous are read in place, row by row (an LSTM gate split from the gates)."""
    m = _values(9 * 40, 2).reshape(9, 40)
    for view in (torch.from_numpy(m)[:, 3:14], torch.from_numpy(m)[::2, 8:24], torch.from_numpy(m)[:, 39:]):
        got = tanh_native.tanh(view)
        assert got.shape == view.shape and got.is_contiguous()
        _assert_same(got.numpy(), _tf_tanh(tf1, view.numpy()))


def test_close_to_torch(native):
    x = torch.linspace(-20, 20, 100_001)
    torch.testing.assert_close(tanh_native.tanh(x), torch.tanh(x), rtol=3e-7, atol=3e-7)


def test_other_inputs_take_the_torch_path(native):
    for x in (torch.linspace(-3, 3, 50, dtype=torch.float64), torch.linspace(-3, 3, 50).requires_grad_()):
        assert tanh_native.tanh(x) is None
        torch.testing.assert_close(unary_ops.tanh(x), torch.tanh(x), rtol=0, atol=0)


def test_without_the_native_kernel_torch_computes_it():
    x = torch.linspace(-3, 3, 50)
    with torch_path(tanh_native):
        assert tanh_native.tanh(x) is None
        torch.testing.assert_close(unary_ops.tanh(x), torch.tanh(x), rtol=0, atol=0)


def _lstm_step(tf, x_value, h_value, c_value):
    """One LSTM cell (TF's LSTMCell arithmetic: i, j, f, o gates, forget bias 1) and its gradients."""
    rng = np.random.default_rng(7)
    w = tf.constant(rng.standard_normal((12, 16)).astype(np.float32) * 0.5)
    x = tf.constant(x_value)
    h = tf.constant(h_value)
    c = tf.constant(c_value)
    i, j, f, o = tf.split(tf.matmul(tf.concat([x, h], 1), w), 4, axis=1)
    new_c = c * tf.sigmoid(f + 1.0) + tf.sigmoid(i) * tf.tanh(j)
    new_h = tf.tanh(new_c) * tf.sigmoid(o)
    loss = tf.reduce_sum(new_h * new_h)
    grads = tf.gradients(loss, [w, x, h, c])
    return [new_c, new_h, *grads]


def test_lstm_cell_values_and_gradients_equal_tf(tf1, native):
    rng = np.random.default_rng(3)
    values = [rng.standard_normal((5, n)).astype(np.float32) * 2 for n in (8, 4, 4)]
    g = tf1.Graph()
    with g.as_default():
        fetches = _lstm_step(tf1, *values)
        with tf1.Session(graph=g) as sess:
            theirs = sess.run(fetches)
    tm_graph = tm.Graph()
    with tm_graph.as_default():
        fetches = _lstm_step(tm, *values)
        with tm.Session(graph=tm_graph) as sess:
            ours = sess.run(fetches)
    for a, b in zip(ours, theirs):  # (torch's sigmoid is not Eigen's: a few ulps apart)
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
