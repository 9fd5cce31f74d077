"""tf.signal's windows, frame, overlap_and_add and fftshift: TF's graphs node for node and TF's values."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm

_rng = np.random.default_rng(17)


def _nodes(graph):
    out = []
    for n in graph.as_graph_def().node:
        attrs = {k: v.SerializeToString(deterministic=True) for k, v in n.attr.items()}
        out.append((n.name, n.op, list(n.input), attrs))
    return out


def _run_both(tf1, build, feeds, shapes):
    results, graphs = [], []
    for fw in (tf1, tm):
        g = fw.Graph()
        with g.as_default():
            placeholders = [fw.placeholder(fw.as_dtype(v.dtype.name), s) for v, s in zip(feeds, shapes)]
            outs = build(fw, *placeholders)
            static = [o.shape.as_list() if o.shape.rank is not None else None for o in outs]
            with fw.Session() as sess:
                results.append((static, sess.run(outs, dict(zip(placeholders, feeds)))))
        graphs.append(g)
    return results, graphs


CASES = {
    "windows": (
        lambda tf, n: [
            tf.signal.hann_window(8),
            tf.signal.hann_window(7, periodic=False, dtype=tf.float64),
            tf.signal.hamming_window(1),
            tf.signal.hamming_window(n, name="dyn"),
            tf.signal.hann_window(n, periodic=False),
            tf.signal.kaiser_window(9),
            tf.signal.kaiser_window(n, beta=4.0, dtype=tf.float64, name="k"),
            tf.signal.kaiser_window(1),
            tf.signal.kaiser_bessel_derived_window(10),
            tf.signal.kaiser_bessel_derived_window(n, beta=3.0, name="kbd"),
            tf.signal.vorbis_window(8),
            tf.signal.vorbis_window(n, dtype=tf.float64),
        ],
        [np.array(6, np.int32)],
        [[]],
    ),
    "fftshift": (
        lambda tf, x: [
            tf.signal.fftshift(x),
            tf.signal.ifftshift(x),
            tf.signal.fftshift(x, axes=1),
            tf.signal.ifftshift(x, axes=[0, -1], name="i"),
        ],
        [_rng.standard_normal((3, 5, 4)).astype(np.float32)],
        [[3, 5, 4]],
    ),
    "frame-static": (
        lambda tf, x: [
            tf.signal.frame(x, 4, 2),
            tf.signal.frame(x, 5, 3, pad_end=True, pad_value=-1.0),
            tf.signal.frame(x, 3, 3, axis=0, name="rows"),
        ],
        [_rng.standard_normal((7, 11)).astype(np.float32)],
        [[7, 11]],
    ),
    "frame-dynamic": (
        lambda tf, x, step: [
            tf.signal.frame(x, 4, 2),
            tf.signal.frame(x, 6, step, pad_end=True),
        ],
        [_rng.standard_normal((2, 13)).astype(np.float32), np.array(4, np.int32)],
        [[None, None], []],
    ),
    "overlap_and_add": (
        lambda tf, x, y: [
            tf.signal.overlap_and_add(x, 2),
            tf.signal.overlap_and_add(x, 5),
            tf.signal.overlap_and_add(y, 3, name="ola"),
        ],
        [_rng.standard_normal((2, 4, 5)).astype(np.float32), _rng.standard_normal((6, 7)).astype(np.float32)],
        [[2, 4, 5], [None, 7]],
    ),
    "stft-round-trip": (
        lambda tf, x: [
            tf.abs(tf.signal.stft(x, 8, 4)),
            tf.signal.inverse_stft(tf.signal.stft(x, 8, 2, fft_length=16), 8, 2, fft_length=16),
            tf.signal.inverse_stft(
                tf.signal.stft(x, 6, 3, window_fn=None, pad_end=True), 6, 3, window_fn=None, name="istft"
            ),
            tf.signal.inverse_stft(tf.signal.stft(x, 10, 5, fft_length=8), 10, 5, fft_length=8),
        ],
        [_rng.standard_normal((2, 40)).astype(np.float32)],
        [[2, 40]],
    ),
    "inverse_stft_window_fn": (
        lambda tf, x: [
            tf.signal.inverse_stft(
                tf.signal.stft(x, 8, 2), 8, 2, window_fn=tf.signal.inverse_stft_window_fn(2, name="inv")
            ),
            tf.signal.inverse_stft(
                tf.signal.stft(x, 9, 4, window_fn=tf.signal.hamming_window),
                9,
                4,
                window_fn=tf.signal.inverse_stft_window_fn(4, forward_window_fn=tf.signal.hamming_window),
            ),
        ],
        [_rng.standard_normal((3, 33)).astype(np.float32)],
        [[3, 33]],
    ),
    "stft-dynamic-length": (
        lambda tf, x, n: [tf.abs(tf.signal.stft(x, n, 3)), tf.signal.inverse_stft(tf.signal.stft(x, n, 3), n, 3)],
        [_rng.standard_normal(30).astype(np.float32), np.array(7, np.int32)],
        [[None], []],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_graphs_and_values_are_tfs(tf1, case):
    build, feeds, shapes = CASES[case]
    ((static_tf, expected), (static_tm, actual)), (tg, mg) = _run_both(tf1, build, feeds, shapes)
    assert _nodes(mg) == _nodes(tg)
    assert static_tm == static_tf
    for e, a in zip(expected, actual):
        assert a.dtype == e.dtype and a.shape == e.shape
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "call",
    [
        lambda tf: tf.signal.hann_window(4, dtype=tf.int32),
        lambda tf: tf.signal.hamming_window([4]),
        lambda tf: tf.signal.kaiser_window(4, dtype=tf.int32),
        lambda tf: tf.signal.vorbis_window([4]),
        lambda tf: tf.signal.frame(tf.constant(1.0), 2, 1),
        lambda tf: tf.signal.overlap_and_add(tf.zeros([3]), 1),
        lambda tf: tf.signal.overlap_and_add(tf.zeros([3, 2]), 1.0),
    ],
)
def test_argument_errors_are_tfs(tf1, call):
    errors = []
    for fw in (tf1, tm):
        with fw.Graph().as_default(), pytest.raises(Exception) as info:
            call(fw)
        errors.append(info.value)
    assert type(errors[1]).__name__ == type(errors[0]).__name__
    assert str(errors[1]) == str(errors[0])
