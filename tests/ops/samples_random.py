"""Samples for random ops. Unseeded draws (seed = seed2 = 0) are random in both frameworks: only shapes
and dtypes are compared (``random=True``); seeded ones must equal TF's numbers. tests/ops/test_random_ops.py
compares every op bit for bit over dtypes, shapes, seeds and successive runs."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample, randn

i32, i64 = np.int32, np.int64


def _float_samples():
    out = []
    for op in ("RandomUniform", "RandomStandardNormal", "TruncatedNormal"):
        out += [
            Sample(op, {"shape": np.array([3, 4], i32)}, {"dtype": "dtype:float32"}, random=True),
            Sample(op, {"shape": np.array([5], i64)}, {"dtype": "dtype:float64"}, id="f64-int64-shape", random=True),
            Sample(op, {"shape": np.array([2, 3], i32)}, {"dtype": "dtype:float16"}, id="f16", random=True),
            Sample(op, {"shape": np.array([], i32)}, {"dtype": "dtype:float32"}, id="scalar", random=True),
            Sample(op, {"shape": np.array([0, 3], i32)}, {"dtype": "dtype:float32"}, id="empty", random=True),
            Sample(
                op,
                {"shape": np.array([2, 2], i32)},
                {"dtype": "dtype:float32", "seed": 7, "seed2": 3},
                id="seeded",
                rtol=0,
                atol=0,
            ),
            Sample(
                op,
                {"shape": np.array([2, 3], i32)},
                {"dtype": "dtype:float32"},
                fed={"shape": [2]},
                id="unknown-shape-value",
                random=True,
            ),
            Sample(
                op,
                {"shape": np.array([2, 3], i32)},
                {"dtype": "dtype:float32"},
                fed={"shape": [None]},
                id="unknown-rank",
                random=True,
            ),
        ]
    return out


def _gamma_grad_samples():
    """RandomGammaGrad (the op RandomGamma's gradient emits) on fixed alphas and samples. TF registers
    no gradient for it (grad=False: tf.gradients raises LookupError through it, as torchmeta does)."""
    rng = np.random.default_rng(3)
    alpha = np.array([0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 20.0, 100.0])[:, None] * np.ones((1, 6))
    sample = rng.gamma(alpha)
    sample[:, 0] = 0.0
    special = {
        "alpha": np.array([1.0, 0.0, -1.0, np.nan, 2.0, 3.0]),
        "sample": np.array([np.inf, 0, 1, 1, np.nan, 1e-300]),
    }
    out = []
    for dt in (np.float32, np.float64):
        out += [
            Sample(
                "RandomGammaGrad",
                {"alpha": alpha.astype(dt), "sample": sample.astype(dt)},
                id=np.dtype(dt).name,
                grad=False,
            ),
            Sample(
                "RandomGammaGrad",
                {"alpha": alpha[:, 0].astype(dt)[:, None], "sample": sample.astype(dt)},
                id=f"broadcast-{np.dtype(dt).name}",
                grad=False,
            ),
            Sample(
                "RandomGammaGrad",
                {k: v.astype(dt) for k, v in special.items()},
                id=f"special-{np.dtype(dt).name}",
                grad=False,
            ),
        ]
    out.append(
        Sample(
            "RandomGammaGrad",
            {"alpha": alpha.astype(np.float32), "sample": sample.astype(np.float32)},
            fed={"alpha": [None, 6], "sample": None},
            id="unknown-dims",
            grad=False,
        )
    )
    return out


SAMPLES: list[Sample] = [
    *_float_samples(),
    *_gamma_grad_samples(),
    Sample("RandomUniformInt", {"shape": np.array([3, 4], i32), "minval": i32(-5), "maxval": i32(5)}, random=True),
    Sample(
        "RandomUniformInt",
        {"shape": np.array([6], i64), "minval": i64(0), "maxval": i64(2**40)},
        id="int64",
        random=True,
    ),
    Sample(
        "RandomUniformInt",
        {"shape": np.array([0], i32), "minval": i32(5), "maxval": i32(3)},
        id="empty-bad-range",
        random=True,
    ),
    Sample(
        "RandomUniformInt",
        {"shape": np.array([2, 2], i32), "minval": i32(0), "maxval": i32(9)},
        fed={"shape": [2]},
        id="unknown-shape-value",
        random=True,
    ),
    Sample("RandomShuffle", {"value": randn(5, 3)}, random=True),
    Sample("RandomShuffle", {"value": np.arange(6, dtype=i64)}, id="int64", random=True),
    Sample("RandomShuffle", {"value": np.array([b"a", b"b", b"c"], dtype=object)}, id="string", random=True),
    Sample("RandomShuffle", {"value": np.float32(3.0)}, id="scalar"),
    Sample("RandomShuffle", {"value": randn(1, 4)}, id="one-row"),
    Sample("RandomShuffle", {"value": randn(0, 2)}, id="empty", random=True),
    Sample("RandomShuffle", {"value": randn(4, 2)}, fed={"value": [None, 2]}, id="unknown-dims", random=True),
    Sample("Multinomial", {"logits": randn(3, 4), "num_samples": i32(5)}, random=True),
    Sample(
        "Multinomial",
        {"logits": randn(2, 4).astype(np.float64), "num_samples": i32(3)},
        {"output_dtype": "dtype:int32"},
        id="f64-int32-out",
        random=True,
    ),
    Sample("Multinomial", {"logits": randn(2, 4).astype(np.float16), "num_samples": i32(3)}, id="f16", random=True),
    Sample("Multinomial", {"logits": randn(0, 4), "num_samples": i32(3)}, id="empty-batch", random=True),
    Sample("Multinomial", {"logits": randn(2, 4), "num_samples": i32(0)}, id="no-samples", random=True),
    Sample(
        "Multinomial", {"logits": np.array([[0.0, -np.inf, -np.inf]], np.float32), "num_samples": i32(4)}, id="certain"
    ),
    Sample(
        "Multinomial",
        {"logits": randn(3, 4), "num_samples": i32(5)},
        fed={"logits": [None, 4], "num_samples": []},
        id="unknown",
        random=True,
    ),
    Sample(
        "RandomGamma", {"shape": np.array([3, 2], i32), "alpha": np.array([0.5, 1.0, 4.0], np.float32)}, random=True
    ),
    Sample(
        "RandomGamma",
        {"shape": np.array([3, 2], i32), "alpha": np.array([0.5, 1.0, 4.0], np.float32)},
        {"seed": 4, "seed2": 7},
        id="seeded",
        rtol=0,
        atol=0,
    ),
    Sample(
        "RandomPoissonV2",
        {"shape": np.array([4], i32), "rate": np.array([0.5, 12.0])},
        {"seed": 4, "seed2": 7},
        id="seeded",
        rtol=0,
        atol=0,
    ),
    Sample(
        "RandomPoissonV2",
        {"shape": np.array([2, 2], i64), "rate": np.array([3.0], np.float32)},
        {"dtype": "dtype:float32"},
        fed={"rate": [None]},
        id="fed",
        random=True,
    ),
    Sample(
        "ParameterizedTruncatedNormal",
        {
            "shape": np.array([2, 3], i32),
            "means": np.array([0.0, 1.0], np.float32),
            "stdevs": np.array([1.0, 2.0], np.float32),
            "minvals": np.array([-1.0, 0.0], np.float32),
            "maxvals": np.array([1.0, 5.0], np.float32),
        },
        {"seed": 4, "seed2": 7},
        id="seeded",
        rtol=1e-6,
        atol=1e-6,
    ),
    Sample("StatelessRandomGetAlg", {}),
    Sample("RandomGamma", {"shape": np.array([4], i64), "alpha": np.float64(2.0)}, id="f64-scalar-alpha", random=True),
    Sample(
        "RandomGamma",
        {"shape": np.array([2], i32), "alpha": np.array([[1.0], [3.0]], np.float16)},
        id="f16",
        random=True,
    ),
    Sample(
        "RandomGamma",
        {"shape": np.array([2], i32), "alpha": np.array([0.0, -1.0], np.float32)},
        id="zero-negative-alpha",
    ),
    Sample(
        "RandomGamma",
        {"shape": np.array([2], i32), "alpha": np.array([1.0, 2.0], np.float32)},
        fed={"alpha": [None]},
        id="unknown-alpha",
        random=True,
    ),
]


def _stateless_samples():
    seed = np.array([3, 4], i64)
    key, counter = np.array([12345], np.uint64), np.array([7, 9], np.uint64)
    out = []
    for op in ("StatelessRandomUniform", "StatelessRandomNormal", "StatelessTruncatedNormal"):
        out += [
            Sample(op, {"shape": np.array([2, 3], i32), "seed": seed}, rtol=0, atol=0),
            Sample(op, {"shape": np.array([4], i64), "seed": seed.astype(i32)}, {"dtype": "dtype:float16"}, id="f16"),
            Sample(op, {"shape": np.array([2, 3], i32), "seed": seed}, fed={"shape": [2]}, id="fed-shape"),
            Sample(
                f"{op}V2",
                {"shape": np.array([3, 2], i32), "key": key, "counter": counter, "alg": i32(1)},
                id="v2",
                rtol=0,
                atol=0,
            ),
        ]
    out += [
        Sample(
            "StatelessRandomUniformInt",
            {"shape": np.array([5], i32), "seed": seed, "minval": i64(-3), "maxval": i64(40)},
        ),
        Sample("StatelessRandomUniformFullInt", {"shape": np.array([5], i32), "seed": seed}),
        Sample(
            "StatelessRandomUniformIntV2",
            {
                "shape": np.array([5], i32),
                "key": key,
                "counter": counter,
                "alg": i32(3),
                "minval": i32(0),
                "maxval": i32(9),
            },
        ),
        Sample(
            "StatelessRandomUniformFullIntV2",
            {"shape": np.array([3], i32), "key": key, "counter": counter, "alg": i32(1)},
            {"dtype": "dtype:int64"},
        ),
        Sample("StatelessRandomGetKeyCounter", {"seed": seed}),
        Sample("StatelessRandomGetKeyCounterAlg", {"seed": seed.astype(i32)}),
        Sample("StatelessMultinomial", {"logits": randn(3, 4), "num_samples": i32(5), "seed": seed}),
        Sample(
            "StatelessMultinomial",
            {"logits": randn(3, 4), "num_samples": i32(5), "seed": seed},
            fed={"logits": [None, 4], "num_samples": []},
            id="fed",
        ),
    ]
    return out


def _candidate_samples():
    true = np.array([[1, 4], [0, 2], [3, 3]], i64)
    common = {"num_true": 2, "num_sampled": 4, "unique": True, "seed": 5, "seed2": 1}
    out = [
        Sample(op, {"true_classes": true}, {**common, "range_max": 10}, grad=False)
        for op in (
            "UniformCandidateSampler",
            "LogUniformCandidateSampler",
            "LearnedUnigramCandidateSampler",
            "ThreadUnsafeUnigramCandidateSampler",
        )
    ]
    out += [
        Sample(
            "FixedUnigramCandidateSampler",
            {"true_classes": true},
            {**common, "range_max": 6, "unigrams": [1.0, 2.0, 3.0, 1.0, 0.5, 4.0]},
            grad=False,
        ),
        Sample("AllCandidateSampler", {"true_classes": true}, {**common, "num_sampled": 6}, grad=False),
        Sample(
            "UniformCandidateSampler",
            {"true_classes": true},
            {**common, "range_max": 10},
            fed={"true_classes": [None, 2]},
            id="fed",
            grad=False,
        ),
        Sample(
            "ComputeAccidentalHits",
            {"true_classes": true, "sampled_candidates": np.array([3, 9, 1, 3], i64)},
            {"num_true": 2},
            grad=False,
        ),
    ]
    return out


SAMPLES += _stateless_samples() + _candidate_samples()
