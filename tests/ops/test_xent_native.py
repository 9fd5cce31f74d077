"""The native float32 SparseSoftmaxCrossEntropyWithLogits (torchmeta.ops.xent_native) against TF's kernel.

Float32 CPU logits run one C pass for the loss and the backprop where the kernel can be built; these tests
check that it ran, compare both outputs with TF's (a one-op graph) and the out-of-range label error with
TF's, and that the torch path (no compiler, other layouts) gives TF's values too."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.ops import native_helpers
from tests.ops.harness import Sample, assert_same_runtime_error
from torchmeta.ops import nn_ops, xent_native

native, without_native = native_helpers.fixtures(xent_native)

SHAPES = [(100, 10), (128, 10), (64, 10), (50, 10), (7, 1), (3, 1000), (0, 4)]


def _tf_xent(tf1, logits, labels):
    with tf1.Graph().as_default(), tf1.Session() as sess:
        return sess.run(tf1.raw_ops.SparseSoftmaxCrossEntropyWithLogits(features=logits, labels=labels))


@pytest.fixture
def spy(monkeypatch):
    """How many calls the native kernel answered."""
    ran = [0]
    kernel = xent_native.sparse_xent

    def counting(*args):
        out = kernel(*args)
        ran[0] += out is not None
        return out

    monkeypatch.setattr(xent_native, "sparse_xent", counting)
    return ran


def _logits(shape, seed):
    return (np.random.default_rng(seed).standard_normal(shape) * 4).astype(np.float32)


@pytest.mark.parametrize("path", ["native", "torch"])
@pytest.mark.parametrize("label_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_values_are_tfs(tf1, monkeypatch, spy, path, label_dtype, shape):
    native_helpers.choose_path(xent_native, monkeypatch, path)
    logits = _logits(shape, 0)
    labels = np.random.default_rng(1).integers(0, shape[1], shape[0]).astype(label_dtype)
    want_loss, want_backprop = _tf_xent(tf1, logits, labels)
    loss, backprop = nn_ops.sparse_softmax_cross_entropy_with_logits(torch.from_numpy(logits), torch.from_numpy(labels))
    assert spy[0] == (path == "native")
    assert loss.shape == want_loss.shape and backprop.shape == want_backprop.shape
    np.testing.assert_allclose(loss.numpy(), want_loss, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(backprop.numpy(), want_backprop, rtol=1e-5, atol=1e-6)


def test_edge_values_are_tfs(tf1, native, spy):
    """Large logits, -inf (a zero probability), and rows with NaN or +inf (all NaN, as TF's)."""
    logits = np.array(
        [
            [1000.0, 0.0, -1000.0],
            [-np.inf, 1.0, 2.0],
            [np.nan, 1.0, 2.0],
            [np.inf, 1.0, 2.0],
            [88.0, 88.0, -88.0],
        ],
        np.float32,
    )
    labels = np.array([2, 1, 0, 2, 1], np.int64)
    want_loss, want_backprop = _tf_xent(tf1, logits, labels)
    loss, backprop = nn_ops.sparse_softmax_cross_entropy_with_logits(torch.from_numpy(logits), torch.from_numpy(labels))
    assert spy[0] == 1
    np.testing.assert_allclose(loss.numpy(), want_loss, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(backprop.numpy(), want_backprop, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("path", ["native", "torch"])
@pytest.mark.parametrize(
    "labels",
    [np.array([0, 5, 1]), np.array([0, -1, 1]), np.array([0, 1, 3], np.int32), np.array([0, 7, -1])],
    ids=["high", "low", "high-int32", "both"],
)
def test_bad_label_raises_tfs_error(tf1, monkeypatch, spy, path, labels):
    native_helpers.choose_path(xent_native, monkeypatch, path)
    sample = Sample("SparseSoftmaxCrossEntropyWithLogits", {"features": _logits((3, 3), 2), "labels": labels})
    assert_same_runtime_error(tf1, sample)
    assert spy[0] == (path == "native")


def test_other_layouts_take_the_torch_path(tf1, spy):
    """Transposed logits (not contiguous) and autograd inputs run torch's ops, with TF's values."""
    logits = _logits((10, 6), 3)
    labels = np.random.default_rng(4).integers(0, 10, 6)
    want_loss, want_backprop = _tf_xent(tf1, np.ascontiguousarray(logits.T), labels)
    loss, backprop = nn_ops.sparse_softmax_cross_entropy_with_logits(
        torch.from_numpy(logits).t(), torch.from_numpy(labels)
    )
    np.testing.assert_allclose(loss.numpy(), want_loss, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(backprop.numpy(), want_backprop, rtol=1e-5, atol=1e-6)
    features = torch.from_numpy(logits.T.copy()).requires_grad_()
    loss, _ = nn_ops.sparse_softmax_cross_entropy_with_logits(features, torch.from_numpy(labels))
    np.testing.assert_allclose(loss.detach().numpy(), want_loss, rtol=1e-5, atol=1e-6)
    assert spy[0] == 0


def test_exp_over_its_whole_range_is_tfs(tf1, native, spy):
    """Shifted logits from 0 down past float32's smallest normal exp (-87.3): each probability within 1e-5 of
    TF's relatively (the polynomial exp, its range reduction and the cut-off to 0), tiny ones included."""
    row = np.linspace(-95.0, 0.0, 4001, dtype=np.float32)
    logits = np.stack([row, row[::-1] + 3.5, np.roll(row, 7)])
    labels = np.array([4000, 17, 3], np.int64)
    want_loss, want_backprop = _tf_xent(tf1, logits, labels)
    loss, backprop = nn_ops.sparse_softmax_cross_entropy_with_logits(torch.from_numpy(logits), torch.from_numpy(labels))
    assert spy[0] == 1
    np.testing.assert_allclose(loss.numpy(), want_loss, rtol=1e-5)
    onehot = np.eye(logits.shape[1], dtype=np.float32)[labels]
    got, want = backprop.numpy() + onehot, want_backprop + onehot
    normal = want > 1.2e-38
    np.testing.assert_allclose(got[normal], want[normal], rtol=1e-5)
    np.testing.assert_array_less(got[~normal], 1.2e-38)
