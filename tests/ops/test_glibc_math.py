"""glibc's single-precision functions reproduced in torch float64 equal the C library TensorFlow calls
(glibc 2.28-2.40 on Linux; elsewhere these tests do not apply), and sqrtf is correctly rounded."""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

import numpy as np
import pytest
import torch

from torchmeta.ops import glibc_math, random_distributions


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
    for name in ("expf",):
        getattr(libm, name).restype, getattr(libm, name).argtypes = ctypes.c_float, [ctypes.c_float]
    libm.powf.restype, libm.powf.argtypes = ctypes.c_float, [ctypes.c_float, ctypes.c_float]
    libm.sincosf.restype = None
    libm.sincosf.argtypes = [ctypes.c_float, ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_float)]
    return libm


GLIBC = _glibc()
needs_glibc = pytest.mark.skipif(GLIBC is None, reason="compares with glibc 2.28-2.40's libm")


def _mantissa_grid(count, seed):
    """Box-Muller's inputs: uniform floats k * 2**-23 (a random subset, plus the ends)."""
    k = np.random.default_rng(seed).integers(0, 2**23, count)
    k = np.concatenate([k, [0, 1, 2, 2**22, 2**23 - 1]]).astype(np.int32)
    return random_distributions.uniform_from_words(torch.from_numpy(k), torch.float32)


@needs_glibc
def test_logf_equals_glibc():
    u = torch.clamp_min(_mantissa_grid(100_000, 1), 1.0e-7)
    u = torch.cat([u, torch.tensor([1.0, 0.5, 2.0, 1e30, 3.3e-38, 7.0])])  # other positive normals
    ours = glibc_math.logf(u).numpy()
    theirs = np.array([GLIBC.logf(float(x)) for x in u.numpy()], np.float32)
    np.testing.assert_array_equal(ours, theirs)
    assert glibc_math.logf(torch.zeros(1)).item() == -np.inf


@needs_glibc
def test_sincosf_equals_glibc():
    v = ((2 * np.pi) * _mantissa_grid(100_000, 2).double()).float()
    v = torch.cat([v, torch.tensor([0.0, 1e-5, 2.0**-12, 0.78, 0.7853982, 3.14159, 100.0, 119.9])])
    sin, cos = glibc_math.sincosf(v)
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
    np.testing.assert_array_equal(glibc_math.sqrtf(x).numpy(), np.sqrt(x.numpy()))


@needs_glibc
def test_expf_equals_glibc():
    x = torch.cat(
        [
            torch.rand(50_000) * 40 - 30,
            -torch.rand(20_000) * 10,
            torch.tensor([0.0, -0.0, 1.0, -87.0, 88.7, 89.0, -104.0]),
        ]
    )
    theirs = np.array([GLIBC.expf(float(v)) for v in x.numpy()], np.float32)
    np.testing.assert_array_equal(glibc_math.expf(x).numpy(), theirs)


@needs_glibc
def test_powf_equals_glibc():
    rng = np.random.default_rng(4)
    x = torch.from_numpy(
        np.concatenate([rng.random(40_000), rng.random(5_000) * 100, [0.0, 1.0, 0.5, 2.0**-23]]).astype(np.float32)
    )
    y = torch.from_numpy(
        np.concatenate([1 / rng.uniform(0.01, 1, 40_000), rng.normal(0, 3, 5_000), [2.0, 3.0, 0.0, 7.5]]).astype(
            np.float32
        )
    )
    theirs = np.array([GLIBC.powf(float(a), float(b)) for a, b in zip(x.numpy(), y.numpy())], np.float32)
    np.testing.assert_array_equal(glibc_math.powf(x, y).numpy(), theirs)
