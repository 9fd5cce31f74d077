"""Stateless random ops equal TensorFlow's bit for bit: V1 (seed pairs), V2 (key, counter, alg), the
key/counter helpers TF2 code uses, StatelessMultinomial; the same numbers on every run and device."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchmeta as tm

SEEDS = [np.array([1, 2], np.int64), np.array([-7, 2**40], np.int64), np.array([0, 0], np.int32)]


def _run(fw, build, session_kwargs=None):
    g = fw.Graph()
    with g.as_default():
        out = build(fw)
        with fw.Session(graph=g, **(session_kwargs or {})) as sess:
            first = sess.run(out)
            second = sess.run(out)
    return first, second


def _same(ours, theirs):
    ours = ours if isinstance(ours, (list, tuple)) else [ours]
    theirs = theirs if isinstance(theirs, (list, tuple)) else [theirs]
    for o, t in zip(ours, theirs):
        o, t = np.asarray(o), np.asarray(t)
        assert o.shape == t.shape and o.dtype == t.dtype
        np.testing.assert_array_equal(
            np.ascontiguousarray(o).reshape(-1).view(np.uint8), np.ascontiguousarray(t).reshape(-1).view(np.uint8)
        )


def _check(tf1, build, session_kwargs=None):
    theirs = _run(tf1, build)
    ours = _run(tm, build, session_kwargs)
    _same(ours[0], theirs[0])
    _same(ours[1], ours[0])  # stateless: every run repeats


V1_FLOAT_CASES = [
    (op, dtype)
    for op in ("StatelessRandomUniform", "StatelessRandomNormal", "StatelessTruncatedNormal")
    for dtype in ("float16", "bfloat16", "float32", "float64")
    if dtype != "float64" or op == "StatelessRandomUniform"  # float64 normals: test_v1_float64_normals_within_ulps
]


@pytest.mark.parametrize("op, dtype", V1_FLOAT_CASES)
@pytest.mark.parametrize("seed", range(len(SEEDS)))
def test_v1_floats(tf1, op, dtype, seed):

    def build(fw):
        return getattr(fw.raw_ops, op)(shape=np.array([3, 7], np.int32), seed=SEEDS[seed], dtype=fw.as_dtype(dtype))

    _check(tf1, build)


def test_v1_float64_normals_within_ulps(tf1):
    def build(fw):
        return [
            fw.raw_ops.StatelessRandomNormal(shape=[500], seed=SEEDS[0], dtype=fw.float64),
            fw.raw_ops.StatelessTruncatedNormal(shape=[500], seed=SEEDS[1], dtype=fw.float64),
        ]

    theirs, ours = _run(tf1, build)[0], _run(tm, build)[0]
    for o, t in zip(ours, theirs):
        ulps = np.abs(o.view(np.int64) - t.view(np.int64))
        assert ulps.max() <= 2 and (ulps != 0).mean() < 0.05


@pytest.mark.parametrize(
    "dtype, lo, hi",
    [("int32", -5, 9), ("int32", -(2**31), 2**31 - 1), ("int64", -3, 2**50), ("int64", -(2**63), 2**63 - 1)],
)
def test_v1_uniform_int(tf1, dtype, lo, hi):
    np_type = np.dtype(dtype).type

    def build(fw):
        return fw.raw_ops.StatelessRandomUniformInt(
            shape=np.array([11], np.int64), seed=SEEDS[1], minval=np_type(lo), maxval=np_type(hi)
        )

    _check(tf1, build)


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint32", "uint64"])
def test_v1_full_int(tf1, dtype):
    def build(fw):
        return fw.raw_ops.StatelessRandomUniformFullInt(shape=[9], seed=SEEDS[0], dtype=fw.as_dtype(dtype))

    _check(tf1, build)


def test_key_counter_helpers(tf1):
    def build(fw):
        key, counter = fw.raw_ops.StatelessRandomGetKeyCounter(seed=SEEDS[1])
        key2, counter2, alg = fw.raw_ops.StatelessRandomGetKeyCounterAlg(seed=SEEDS[0])
        return [key, counter, key2, counter2, alg, fw.raw_ops.StatelessRandomGetAlg()]

    _check(tf1, build)


@pytest.mark.parametrize("alg", [1, 3])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_v2_from_seed_helpers(tf1, alg, dtype):
    """TF2's stateless path: the seed's key and counter, then the V2 ops."""

    def build(fw):
        key, counter = fw.raw_ops.StatelessRandomGetKeyCounter(seed=SEEDS[0])
        kw = {"key": key, "counter": counter, "alg": np.int32(alg), "shape": [5, 3]}
        return [
            fw.raw_ops.StatelessRandomUniformV2(dtype=fw.as_dtype(dtype), **kw),
            fw.raw_ops.StatelessRandomNormalV2(dtype=fw.as_dtype(dtype), **kw),
            fw.raw_ops.StatelessTruncatedNormalV2(dtype=fw.as_dtype(dtype), **kw),
            fw.raw_ops.StatelessRandomUniformIntV2(minval=np.int64(-4), maxval=np.int64(2**40), **kw),
            fw.raw_ops.StatelessRandomUniformIntV2(minval=np.int32(3), maxval=np.int32(2**31 - 2), **kw),
            fw.raw_ops.StatelessRandomUniformFullIntV2(dtype=fw.uint64, **kw),
            fw.raw_ops.StatelessRandomUniformFullIntV2(dtype=fw.int32, **kw),
        ]

    _check(tf1, build)


def test_v2_explicit_counters(tf1):
    """Counters near the 64-bit carry, and counters longer than two words (only two are read)."""

    def build(fw):
        key = np.array([0xDEADBEEF12345678], np.uint64)
        counter = np.array([2**64 - 3, 5, 99], np.uint64)
        return fw.raw_ops.StatelessRandomUniformV2(shape=[40], key=key, counter=counter, alg=np.int32(1))

    _check(tf1, build)


_rng = np.random.default_rng(3)


@pytest.mark.parametrize(
    "logits",
    [
        _rng.standard_normal((4, 6)).astype(np.float32),
        _rng.standard_normal((2, 3)),
        _rng.standard_normal((48, 700)).astype(np.float32),
    ],
)
def test_stateless_multinomial(tf1, logits):
    def build(fw):
        return fw.raw_ops.StatelessMultinomial(logits=logits, num_samples=7, seed=SEEDS[1], output_dtype=fw.int32)

    _check(tf1, build)


def _error(fw, build):
    g = fw.Graph()
    with g.as_default():
        out = build(fw)
        with fw.Session(graph=g) as sess, pytest.raises(fw.errors.InvalidArgumentError) as info:
            sess.run(out)
    lines = info.value.message.split("\n")
    marks = [i for i, line in enumerate(lines) if line.startswith("\t [[")]
    return lines[marks[0] - 1] if marks else lines[-1]


@pytest.mark.parametrize(
    "build",
    [
        lambda fw: fw.raw_ops.StatelessRandomUniformV2(
            shape=[2], key=np.array([1], np.uint64), counter=np.array([1, 2], np.uint64), alg=np.int32(2)
        ),
        lambda fw: fw.raw_ops.StatelessRandomUniformInt(
            shape=[2], seed=SEEDS[0], minval=np.int32(3), maxval=np.int32(3)
        ),
        lambda fw: fw.raw_ops.StatelessRandomUniform(shape=np.array([2, -1], np.int32), seed=SEEDS[0]),
    ],
    ids=["threefry-on-cpu", "empty-range", "negative-dim"],
)
def test_errors_match_tf(tf1, build):
    assert _error(tf1, build) in _error(tm, build)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_equals_cpu():
    def build(fw):
        return [
            fw.raw_ops.StatelessRandomNormal(shape=[1000], seed=SEEDS[0]),
            fw.raw_ops.StatelessTruncatedNormal(shape=[1000], seed=SEEDS[1], dtype=fw.float16),
            fw.raw_ops.StatelessRandomUniformFullInt(shape=[100], seed=SEEDS[1], dtype=fw.uint64),
        ]

    _same(_run(tm, build, {"device": "cuda"})[0], _run(tm, build, {"device": "cpu"})[0])
