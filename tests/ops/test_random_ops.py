"""The stateful random ops draw TensorFlow's numbers bit for bit: per op, dtype, shape and seed, over
successive runs of one op (each run moves the op's Philox stream as TF's kernel does), on CPU and CUDA.

float64 normals (RandomStandardNormal, TruncatedNormal) use torch's double log/sin/cos instead of
glibc's: they are compared within 2 ulp, with at most a few percent of values off by any ulp."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchmeta as tm
from tests.ops.harness import Sample, assert_same, run_tf, run_tm

RUNS = 3


def _draw(fw, build, runs=RUNS, session_kwargs=None):
    g = fw.Graph()
    with g.as_default():
        out = build(fw)
        with fw.Session(graph=g, **(session_kwargs or {})) as sess:
            return [sess.run(out) for _ in range(runs)]


def _bytes(a):
    return np.ascontiguousarray(a).reshape(-1).view(np.uint8)


def assert_bitwise_equal(theirs, ours):
    for t, o in zip(theirs, ours):
        t, o = np.asarray(t), np.asarray(o)
        assert t.shape == o.shape and t.dtype == o.dtype
        np.testing.assert_array_equal(_bytes(o), _bytes(t))


def assert_ulp_close(theirs, ours, max_ulp=2, max_fraction=0.03):
    for t, o in zip(theirs, ours):
        t, o = np.asarray(t), np.asarray(o)
        assert t.shape == o.shape and t.dtype == o.dtype == np.float64
        ulps = np.abs(t.view(np.int64) - o.view(np.int64))
        assert ulps.max(initial=0) <= max_ulp
        assert (ulps != 0).sum() <= max(2, max_fraction * ulps.size)


FLOAT_TYPES = ["float16", "bfloat16", "float32", "float64"]
SHAPES = [[], [1], [7], [3, 5], [2, 3, 4], [1025]]
SEEDS = [(1, 2), (87654321, 0), (0, 2**31 - 1), (123456789012, 98765)]


def _raw(op, shape, dtype, seed):
    def build(fw):
        return getattr(fw.raw_ops, op)(
            shape=np.array(shape, np.int32), dtype=fw.as_dtype(dtype), seed=seed[0], seed2=seed[1]
        )

    return build


@pytest.mark.parametrize("dtype", FLOAT_TYPES)
@pytest.mark.parametrize("op", ["RandomUniform", "RandomStandardNormal", "TruncatedNormal"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_float_draws_match_tf(tf1, op, dtype, shape):
    build = _raw(op, shape, dtype, SEEDS[len(shape) % len(SEEDS)])
    theirs, ours = _draw(tf1, build), _draw(tm, build)
    if dtype == "float64" and op != "RandomUniform":
        assert_ulp_close(theirs, ours)
    else:
        assert_bitwise_equal(theirs, ours)


@pytest.mark.parametrize("seed", SEEDS, ids=str)
@pytest.mark.parametrize("op", ["RandomUniform", "RandomStandardNormal", "TruncatedNormal"])
def test_float32_seeds_and_many_values(tf1, op, seed):
    """20k values per run: every Box-Muller path (glibc's logf and sincosf quadrants) and, for the truncated
    normal, groups that need more than two blocks of candidates."""
    build = _raw(op, [20011], "float32", seed)
    assert_bitwise_equal(_draw(tf1, build, runs=2), _draw(tm, build, runs=2))


@pytest.mark.parametrize(
    "dtype, lo, hi",
    [
        ("int32", -5, 5),
        ("int32", -(2**31), 2**31 - 1),
        ("int32", 7, 8),
        ("int64", 0, 2**40),
        ("int64", -(2**63), 2**63 - 1),
        ("int64", -3, 2**62 + 7),
        ("int64", -(2**62), 2**62 + 12345),
    ],
)
@pytest.mark.parametrize("shape", [[5], [3, 7]], ids=str)
def test_uniform_int_matches_tf(tf1, dtype, lo, hi, shape):
    def build(fw):
        np_type = np.dtype(dtype).type
        return fw.raw_ops.RandomUniformInt(
            shape=np.array(shape, np.int64), minval=np_type(lo), maxval=np_type(hi), seed=11, seed2=13
        )

    assert_bitwise_equal(_draw(tf1, build), _draw(tm, build))


@pytest.mark.parametrize(
    "value",
    [
        np.arange(37),
        np.arange(1000).reshape(500, 2),
        np.arange(24.0).reshape(2, 3, 4),
        np.array([b"a", b"b", b"c", b"d"]),
    ],
    ids=["1d", "rows", "3d", "strings"],
)
@pytest.mark.parametrize("seed", [(0, 5), (3, 4)], ids=str)
def test_shuffle_matches_tf(tf1, value, seed):
    build = lambda fw: fw.raw_ops.RandomShuffle(value=value, seed=seed[0], seed2=seed[1])  # noqa: E731
    theirs, ours = _draw(tf1, build), _draw(tm, build)
    for t, o in zip(theirs, ours):
        np.testing.assert_array_equal(o, t)


def test_shuffle_permutation_of_many_rows(tf1):
    """5,000 rows: long chains of swaps resolved without a loop over the rows."""
    value = np.arange(5000, dtype=np.int64)
    build = lambda fw: fw.random_shuffle(value, seed=7)  # noqa: E731
    for t, o in zip(_draw(tf1, build, runs=2), _draw(tm, build, runs=2)):
        np.testing.assert_array_equal(o, t)


_rng = np.random.default_rng(7)


@pytest.mark.parametrize(
    "logits",
    [
        np.log(np.array([[0.1, 0.6, 0.3], [0.5, 0.0, 0.5]], np.float32) + 1e-30),
        _rng.standard_normal((3, 5)),
        _rng.standard_normal((2, 4)).astype(np.float16),
        np.array([[0.0, -np.inf, np.inf, np.nan, 1.0], [-np.inf] * 5], np.float32),
        _rng.standard_normal((64, 1000)).astype(np.float32),  # sharded over TF's threads
    ],
    ids=["probs", "f64", "f16", "non-finite", "sharded"],
)
@pytest.mark.parametrize("num_samples", [1, 6, 10])
def test_multinomial_matches_tf(tf1, logits, num_samples):
    def build(fw):
        return fw.raw_ops.Multinomial(logits=logits, num_samples=num_samples, seed=4, seed2=9)

    for t, o in zip(_draw(tf1, build), _draw(tm, build)):
        np.testing.assert_array_equal(o, t)


_SHARDED_LOGITS = _rng.standard_normal((48, 700)).astype(np.float32)

_TF_SCRIPT = """
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tensorflow as tf
tf1 = tf.compat.v1
tf1.disable_v2_behavior()
logits = np.load(sys.argv[2])
with tf1.Graph().as_default():
    out = tf1.multinomial(logits, 5, seed=1)
    config = tf1.ConfigProto(intra_op_parallelism_threads=int(sys.argv[1]))
    with tf1.Session(config=config) as sess:
        np.save(sys.argv[3], sess.run(out))
"""


@pytest.mark.slow
@pytest.mark.parametrize("threads", [1, 3])
def test_multinomial_follows_tf_thread_count(tmp_path, monkeypatch, threads):
    """TF's CPU kernel shards the rows over its intra-op pool (sized by the process's first session) and
    the stream offsets depend on the shards: the same pool size gives TF's samples."""
    pytest.importorskip("tensorflow")
    import subprocess
    import sys

    np.save(tmp_path / "logits.npy", _SHARDED_LOGITS)
    subprocess.run(
        [sys.executable, "-c", _TF_SCRIPT, str(threads), str(tmp_path / "logits.npy"), str(tmp_path / "out.npy")],
        check=True,
    )
    theirs = np.load(tmp_path / "out.npy")
    from torchmeta.ops import random_distributions

    monkeypatch.setattr(random_distributions, "_pool_threads", None)  # as in a fresh process
    config = tm.ConfigProto(intra_op_parallelism_threads=threads)
    torch_threads = torch.get_num_threads()
    try:
        ours = _draw(
            tm, lambda fw: fw.multinomial(_SHARDED_LOGITS, 5, seed=1), runs=1, session_kwargs={"config": config}
        )
    finally:
        torch.set_num_threads(torch_threads)  # the session set torch's pool to its intra-op size
    np.testing.assert_array_equal(ours[0], theirs)
    assert random_distributions.tf_pool_threads() == threads


@pytest.mark.parametrize("op", ["RandomUniform", "RandomStandardNormal", "TruncatedNormal"])
def test_numbers_do_not_depend_on_torch_threads(tf1, op):
    """Large enough for the CPU kernel to split the work over threads (and equal to TF's)."""
    build = _raw(op, [300_000], "float32", (5, 6))
    saved = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = _draw(tm, build, runs=2)
        torch.set_num_threads(3)
        three = _draw(tm, build, runs=2)
    finally:
        torch.set_num_threads(saved)
    assert_bitwise_equal(one, three)
    assert_bitwise_equal(_draw(tf1, build, runs=2), one)


def test_unseeded_ops_draw_fresh_numbers():
    build = _raw("RandomUniform", [8], "float32", (0, 0))
    a, b = _draw(tm, build, runs=1), _draw(tm, build, runs=1)
    assert not np.array_equal(a[0], b[0])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("op", ["RandomUniform", "RandomStandardNormal", "TruncatedNormal"])
@pytest.mark.parametrize("dtype", FLOAT_TYPES)
def test_cuda_draws_equal_cpu(op, dtype):
    build = _raw(op, [4099], dtype, (3, 1))
    cpu = _draw(tm, build, session_kwargs={"device": "cpu"})
    cuda = _draw(tm, build, session_kwargs={"device": "cuda"})
    assert_bitwise_equal(cpu, cuda)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_int_shuffle_multinomial_equal_cpu():
    def build(fw):
        return [
            fw.random_uniform([100], minval=-7, maxval=2**40, dtype=fw.int64, seed=2),
            fw.random_uniform([100], minval=-7, maxval=70, dtype=fw.int32, seed=2),
            fw.random_shuffle(np.arange(300).reshape(100, 3), seed=3),
            fw.multinomial(np.zeros((4, 9), np.float32), 13, seed=4),
        ]

    cpu = _draw(tm, build, session_kwargs={"device": "cpu"})
    cuda = _draw(tm, build, session_kwargs={"device": "cuda"})
    for c, g in zip(cpu, cuda):
        assert_bitwise_equal(c, g)


GAMMA_ALPHAS = [0.01, 0.3, 0.9, 1.0, 1.5, 4.0, 30.0, 0.0, -0.5, -1.0]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_gamma_matches_tf(tf1, dtype):
    """float64 Marsaglia-Tsang with per-output stream offsets, rounded to T (denormals flushed as on TF's CPU).
    float16/float32 bit for bit; float64 within TF's glibc-vs-torch log/pow/Box-Muller differences."""
    alpha = np.array(GAMMA_ALPHAS, dtype)

    def build(fw):
        return fw.raw_ops.RandomGamma(shape=np.array([300], np.int32), alpha=alpha, seed=3, seed2=4)

    theirs, ours = _draw(tf1, build, runs=2), _draw(tm, build, runs=2)
    for t, o in zip(theirs, ours):
        assert t.shape == o.shape and t.dtype == o.dtype
        if dtype == "float64":
            positive = alpha >= 0
            np.testing.assert_allclose(o[:, positive], t[:, positive], rtol=1e-14)
            np.testing.assert_allclose(o[:, ~positive], t[:, ~positive], rtol=1e-10)  # u ** (1/alpha), alpha < 0
        else:
            np.testing.assert_array_equal(o, t)


@pytest.mark.parametrize(
    "rate_dtype, dtype",
    [("float64", "int64"), ("float32", "float32"), ("float32", "float16"), ("int32", "int32"), ("float16", "float64")],
)
def test_poisson_matches_tf(tf1, rate_dtype, dtype):
    rates = np.array([0.0, 0.5, 3.0, 9.99, 10.0, 37.5, 1000.0, 6e4, -2.0]).astype(rate_dtype)

    def build(fw):
        return fw.raw_ops.RandomPoissonV2(
            shape=np.array([300], np.int32), rate=rates, seed=3, seed2=4, dtype=fw.as_dtype(dtype)
        )

    assert_bitwise_equal(_draw(tf1, build, runs=2), _draw(tm, build, runs=2))


PTN_CASES = {
    "scalar-randn": ([7, 3], 0.0, 1.0, -2.0, 2.0),
    "scalar-uniform": ([5, 9], 0.0, 1.0, 0.5, 0.7),
    "scalar-exponential": ([4, 4], 0.0, 1.0, 2.5, 6.0),
    "scalar-lower-infinite": ([30], 1.0, 2.0, -np.inf, 0.5),
    "per-batch": ([3, 50], [0.0, 1.0, -1.0], [1.0, 0.5, 2.0], [-1.0, 1.2, 3.0], [1.0, 5.0, 9.0]),
    "sharded": ([4000], 0.0, 1.0, -0.3, 0.4),
    "sharded-batches": ([40, 120], np.zeros(40), np.ones(40), np.full(40, 0.2), np.full(40, 1.5)),
}


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("case", list(PTN_CASES))
def test_parameterized_truncated_normal_matches_tf(tf1, case, dtype):
    """Each batch's method (randn / uniform / exponential rejection) and stream position as TF's CPU kernel,
    batches sharded as TF shards them (here 2 intra-op threads: the test process's TF pool)."""
    shape, means, stddevs, lo, hi = PTN_CASES[case]

    def build(fw):
        return fw.raw_ops.ParameterizedTruncatedNormal(
            shape=np.array(shape, np.int32),
            means=np.array(means, dtype),
            stdevs=np.array(stddevs, dtype),
            minvals=np.array(lo, dtype),
            maxvals=np.array(hi, dtype),
            seed=3,
            seed2=4,
        )

    theirs, ours = _draw(tf1, build, runs=2), _draw(tm, build, runs=2)
    if dtype == "float64" and case in ("scalar-randn", "per-batch"):  # float64 Box-Muller: ulps
        for t, o in zip(theirs, ours):
            np.testing.assert_allclose(o, t, rtol=1e-15, atol=0)
    else:
        assert_bitwise_equal(theirs, ours)


def test_rng_read_and_skip_matches_tf(tf1):
    """tf.random.Generator's state op: the old state, then the counter moved by delta * 256 blocks (with the
    carry into the counter's high word)."""

    def build(fw):
        state = np.array([2**64 - 300, 7, 12345], np.uint64).view(np.int64)
        v = fw.Variable(state, use_resource=True)
        step = fw.raw_ops.RngReadAndSkip(resource=v.handle, alg=np.int32(1), delta=np.uint64(1))
        return v, step

    results = []
    for fw in (tf1, tm):
        g = fw.Graph()
        with g.as_default():
            v, step = build(fw)
            with fw.Session(graph=g) as sess:
                sess.run(v.initializer)
                results.append([sess.run(step) for _ in range(2)] + [sess.run(v.read_value())])
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_array_equal(ours, theirs)


def test_random_poisson_v1_matches_tf_random_poisson_v2(tf1):
    """TF no longer builds RandomPoisson (removed at GraphDef version 25); RandomPoissonV2 with the same
    seeds draws the same numbers (one kernel behind both in TF)."""
    inputs = {"shape": np.array([3], np.int32), "rate": np.array([0.5, 12.0], np.float32)}
    ours = Sample("RandomPoisson", inputs, {"seed": 4, "seed2": 7}, rtol=0, atol=0)
    theirs = Sample("RandomPoissonV2", inputs, {"seed": 4, "seed2": 7, "dtype": "dtype:float32"}, rtol=0, atol=0)
    assert_same(run_tf(tf1, theirs), run_tm(ours), ours)
