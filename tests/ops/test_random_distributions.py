"""TF's distributions over Philox words: uniform floats from mantissa bits, integer ranges against exact
big-int arithmetic, the resolved Fisher-Yates permutation against the sequential swaps, TF's work shards."""

from __future__ import annotations

import itertools

import pytest
import torch

from tests.ops import native_helpers
from torchmeta.ops import random_distributions as dist
from torchmeta.ops.philox import Philox, as_uint32


def test_uniform_floats_from_mantissa_bits():
    words = torch.tensor([0, -1, 0x7FFFFF, 0x00800000, 0x3FF, 0x7F], dtype=torch.int32)
    assert dist.uniform_from_words(words, torch.float32).tolist() == [
        0.0,
        1 - 2**-23,
        1 - 2**-23,
        0.0,
        1023 * 2**-23,
        127 * 2**-23,
    ]
    assert dist.uniform_from_words(words, torch.float16).tolist() == [
        0.0,
        1023 / 1024,
        1023 / 1024,
        0.0,
        1023 / 1024,
        127 / 1024,
    ]
    assert dist.uniform_from_words(words, torch.bfloat16).tolist() == [
        0.0,
        127 / 128,
        127 / 128,
        0.0,
        127 / 128,
        127 / 128,
    ]
    pairs = torch.tensor([0, 0, -1, -1, 0xFFFFF, 1], dtype=torch.int32)
    assert dist.uniform_from_words(pairs, torch.float64).tolist() == [0.0, 1 - 2**-52, 1 - 2**-20 + 2**-52]


@pytest.mark.parametrize(
    "lo, hi",
    [
        (-5, 5),
        (0, 1),
        (-(2**63), 2**63 - 1),
        (-3, 2**62 + 7),
        (-(2**62), 2**62 + 12345),
        (2**63 - 9, 2**63 - 1),
        (0, 2**63),
    ],
)
def test_int64_ranges(lo, hi):
    words = Philox.from_seeds(5, 6).blocks(500).reshape(-1)
    hi = min(hi, 2**63 - 1)
    ours = dist.uniform_int_from_words(words, lo, hi, torch.int64).tolist()
    w = as_uint32(words).tolist()
    span = (hi - lo) % 2**64
    expected = [lo + ((w[2 * i + 1] << 32 | w[2 * i]) % span) for i in range(len(w) // 2)]
    assert ours == expected


def test_int32_ranges():
    words = Philox.from_seeds(5, 7).blocks(100).reshape(-1)
    for lo, hi in [(-5, 5), (-(2**31), 2**31 - 1), (2**31 - 2, 2**31 - 1)]:
        ours = dist.uniform_int_from_words(words, lo, hi, torch.int32).tolist()
        assert ours == [lo + (w % (hi - lo)) for w in as_uint32(words).tolist()]


@pytest.mark.parametrize("n", [2, 3, 10, 257, 2000])
def test_fisher_yates_resolution_equals_swaps(n):
    gen = Philox.from_seeds(9, n)
    words = as_uint32(gen.uint32(n - 1)).tolist()
    perm = list(range(n))
    for i in range(n - 1):
        j = i + words[i] % (n - i)
        perm[i], perm[j] = perm[j], perm[i]
    assert dist.fisher_yates_permutation(gen, n, "cpu").tolist() == perm


@pytest.mark.parametrize(
    "total, cost, threads", [(1, 10**9, 8), (100, 10, 4), (48, 55000, 2), (1000, 3000, 3), (7, 10**6, 16)]
)
def test_shards_cover_the_range(total, cost, threads):
    shards = dist.tf_shards(total, cost, threads)
    assert shards[0][0] == 0 and shards[-1][1] == total
    assert all(a[1] == b[0] for a, b in itertools.pairwise(shards))
    sizes = {limit - start for start, limit in shards[:-1]}
    assert len(sizes) <= 1  # equal blocks but the last
    if total * cost < 200_000 or threads == 1:
        assert shards == [(0, total)]


@pytest.mark.parametrize("fill", ["fill_uniform", "fill_normal", "fill_truncated_normal"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_native_fills_equal_torch_path(monkeypatch, native, fill, dtype):
    """The C kernel (uniform, Box-Muller with glibc's algorithms, truncated groups) against the torch
    implementation the other devices run, on 300k values."""
    philox_native = native
    gen = Philox.from_seeds(11, 12).skip(5)
    native = getattr(dist, fill)(gen, 300_001, dtype, "cpu")
    native_helpers.use_torch_path(philox_native, monkeypatch)
    reference = getattr(dist, fill)(gen, 300_001, dtype, "cpu")
    assert torch.equal(
        native.view(torch.int16 if dtype != torch.float32 else torch.int32),
        reference.view(native.view(torch.int16 if dtype != torch.float32 else torch.int32).dtype),
    )
