"""FFTs beyond the sample table: TF's kernel and shape errors, tf.signal's FFT functions built node for node as
TensorFlow builds them (inferred and padded fft_length, static and unknown shapes), and the gradient graphs of
signal/fft_ops.py run to TF's values."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api.tf_programs import assert_same_graph
from tests.ops.harness import Sample, assert_same_runtime_error, assert_same_shape_error

S = Sample
i32 = np.int32
_rng = np.random.default_rng(31)
_R = _rng.standard_normal((2, 6)).astype(np.float32)
_C = (_rng.standard_normal((2, 4)) + 1j * _rng.standard_normal((2, 4))).astype(np.complex64)

RUNTIME_ERRORS = [
    S("FFT", {"input": np.complex64(1)}, id="scalar"),
    S("IFFT2D", {"input": _C[0]}, id="rank"),
    S("RFFT", {"input": _R, "fft_length": np.array([4, 4], i32)}, id="length-shape"),
    S("RFFT", {"input": _R, "fft_length": np.array([-1], i32)}, id="negative"),
    S("RFFT", {"input": _R, "fft_length": np.array([8], i32)}, id="short-input"),
    S("RFFT2D", {"input": _R, "fft_length": np.array([3, 6], i32)}, id="short-input-2d"),
    S("IRFFT", {"input": _C, "fft_length": np.array([8], i32)}, id="short-half-spectrum"),
]


@pytest.mark.parametrize("sample", RUNTIME_ERRORS, ids=lambda s: s.name)
def test_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


SHAPE_ERRORS = [
    S("RFFT", {"input": _R, "fft_length": np.array([4, 4], i32)}, id="length-shape"),
    S("RFFT2D", {"input": _R[0], "fft_length": np.array([4, 4], i32)}, id="rank"),
    S("FFT3D", {"input": _C}, id="rank"),
    S("IRFFT", {"input": _C, "fft_length": np.array([[4]], i32)}, id="length-rank"),
]


@pytest.mark.parametrize("sample", SHAPE_ERRORS, ids=lambda s: s.name)
def test_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)


def _signal_program(tf):
    x = tf.placeholder(tf.float32, [2, 6], name="x")
    u = tf.placeholder(tf.float32, [None, None], name="u")
    z = tf.placeholder(tf.complex64, [2, 4], name="z")
    spectral = tf.signal if tf is tm else tf.spectral
    out = [
        spectral.rfft(x),
        tf.signal.rfft(x, fft_length=[8], name="padded"),
        tf.signal.irfft(z),
        tf.signal.irfft(z, fft_length=[9]),
        tf.signal.rfft2d(x),
        tf.signal.irfft2d(tf.signal.rfft2d(x), fft_length=[2, 6]),
        tf.signal.fft(z),
        tf.signal.ifft2d(z),
        tf.fft(z),
    ]
    return {"x": x, "u": u, "z": z}, out


def test_tf_signal_rfft_of_unknown_shapes_matches_tf(tf1):
    """The padding of an input of unknown dims is computed in the graph. Its zeros_like is a ZerosLike here where
    TF's C++ shape inference, which constant-folds the Rank of the known-rank input, makes it a Const (the
    known difference noted in test_math_gradients_tf_runs.py); the values are TF's."""
    results = []
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            u = api.placeholder(api.float32, [None, None])
            fetches = [api.signal.rfft(u), api.signal.rfft(u, fft_length=[7]), api.signal.irfft(api.signal.rfft(u))]
            with api.Session(graph=g) as sess:
                results.append(sess.run(fetches, {u: _R[:, :5]}))
    for ours, theirs in zip(results[1], results[0]):
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)


def test_tf_signal_builds_tf_graph(tf1):
    assert_same_graph(tf1, lambda tf: _signal_program(tf)[1])
    feeds = {"x": _R, "u": _R[:, :5], "z": _C}
    results = []
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            inputs, fetches = _signal_program(api)
            with api.Session(graph=g) as sess:
                results.append(sess.run(fetches, {inputs[k]: v for k, v in feeds.items()}))
    for ours, theirs in zip(results[1], results[0]):
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "fn,shape",
    [("rfft", [2, 6]), ("rfft", [2, 5]), ("irfft", [2, 4]), ("rfft2d", [3, 4]), ("irfft2d", [4, 3]), ("fft", [3])],
)
@pytest.mark.parametrize("known", [True, False], ids=["static", "unknown"])
def test_gradient_graphs_match_tf(tf1, fn, shape, known):
    real = fn.startswith("rfft")
    value = _rng.standard_normal(shape).astype(np.float32)
    if not real:
        value = (value + 1j * _rng.standard_normal(shape)).astype(np.complex64)

    def program(tf):
        x = tf.placeholder(tf.float32 if real else tf.complex64, shape if known else [None] * len(shape), name="x")
        y = getattr(tf.signal, fn)(x)
        loss = tf.reduce_sum(tf.abs(y) ** 2 if y.dtype.is_complex else y * y)
        return x, tf.gradients(loss, x)[0]

    if known:  # unknown dims: the forward padding differs as in test_tf_signal_rfft_of_unknown_shapes_matches_tf
        assert_same_graph(tf1, lambda tf: program(tf)[1])
    results = []
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            x, grad = program(api)
            with api.Session(graph=g) as sess:
                results.append(sess.run(grad, {x: value}))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-4, atol=1e-4)
