"""TF's distributions over Philox words: glibc's logf/sincosf reproduced exactly (checked against the C
library TF calls), the correctly rounded sqrtf, integer ranges against exact big-int arithmetic, the
resolved Fisher-Yates permutation against the sequential swaps, and TF's work shards."""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import platform

import numpy as np
import pytest
import torch

from torchmeta.ops import random_distributions as dist
from torchmeta.ops.philox import Philox, as_uint32


def _glibc():
    """This machine's libm when it is glibc 2.28-2.40 (whose logf/sincosf TF's kernels call and these
    functions reproduce), else None."""
    if platform.system() != "Linux":
        return None
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return None
    try:
        libc = ctypes.CDLL(libc_name)
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        major, minor = map(int, libc.gnu_get_libc_version().decode().split(".")[:2])
    except (AttributeError, OSError, ValueError):
        return None
    if (major, minor) < (2, 28) or (major, minor) > (2, 40):
        return None
    libm = ctypes.CDLL(ctypes.util.find_library("m"))
    libm.logf.restype, libm.logf.argtypes = ctypes.c_float, [ctypes.c_float]
    libm.sincosf.restype = None
    libm.sincosf.argtypes = [ctypes.c_float, ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_float)]
    return libm


GLIBC = _glibc()
needs_glibc = pytest.mark.skipif(GLIBC is None, reason="compares with glibc 2.28-2.40's libm")


def _mantissa_grid(count, seed):
    """Box-Muller's inputs: uniform floats k * 2**-23 (a random subset, plus the ends)."""
    k = np.random.default_rng(seed).integers(0, 2**23, count)
    k = np.concatenate([k, [0, 1, 2, 2**22, 2**23 - 1]]).astype(np.int32)
    return dist._float32_from_mantissa(torch.from_numpy(k))


@needs_glibc
def test_logf_equals_glibc():
    u = torch.clamp_min(_mantissa_grid(100_000, 1), 1.0e-7)
    u = torch.cat([u, torch.tensor([1.0, 0.5, 2.0, 1e30, 3.3e-38, 7.0])])  # other positive normals
    ours = dist.logf(u).numpy()
    theirs = np.array([GLIBC.logf(float(x)) for x in u.numpy()], np.float32)
    np.testing.assert_array_equal(ours, theirs)
    assert dist.logf(torch.zeros(1)).item() == -np.inf


@needs_glibc
def test_sincosf_equals_glibc():
    v = (dist._TWO_PI * _mantissa_grid(100_000, 2).double()).float()
    v = torch.cat([v, torch.tensor([0.0, 1e-5, 2.0**-12, 0.78, 0.7853982, 3.14159, 100.0, 119.9])])
    sin, cos = dist.sincosf(v)
    s, c = ctypes.c_float(), ctypes.c_float()
    theirs = []
    for x in v.numpy():
        GLIBC.sincosf(float(x), ctypes.byref(s), ctypes.byref(c))
        theirs.append((s.value, c.value))
    theirs = np.array(theirs, np.float32)
    np.testing.assert_array_equal(sin.numpy(), theirs[:, 0])
    np.testing.assert_array_equal(cos.numpy(), theirs[:, 1])


def test_sqrtf_is_correctly_rounded():
    x = torch.cat([torch.rand(200_000) * 100, torch.rand(10_000) * 1e-30, torch.rand(10_000) * 1e30])
    x = torch.cat([x, torch.tensor([0.0, 1.0, 2.0, 4.0, 0.25, 1e-38, 3.4e38, 19.978282928466797])])
    np.testing.assert_array_equal(dist._sqrtf(x).numpy(), np.sqrt(x.numpy()))


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
