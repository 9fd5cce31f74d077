"""An optional native Philox kernel for the CPU: _philox_native.c, compiled on first use and loaded with ctypes.

Generating 10M uniform floats takes TF ~40 ms; the numpy rounds in torchmeta.ops.philox take ~4x that (every
round is five passes over memory; normals ~14x, because of Box-Muller in numpy). This small C kernel computes
the same blocks (and TF's float32 uniforms, normals and truncated normals directly) at TF's speed or better.
It is an accelerator, not a dependency: built and cached by torchmeta.ops.native_build (once per source
version, in ``$TORCHMETA_CACHE``); without a compiler, or with ``TORCHMETA_NATIVE=0``, torchmeta keeps its
pure numpy/torch implementation. The numbers are the same either way (tests/ops/test_philox.py and
tests/ops/test_random_distributions.py compare them). Calls release the GIL, so large requests are
split over torch's intra-op thread count.
"""

from __future__ import annotations

import ctypes
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from torchmeta.ops import native_build

__all__ = ["available", "blocks", "uniform_float32", "normal_float32", "truncated_normal_float32"]

_SOURCE = Path(__file__).with_name("_philox_native.c")
_MASK64 = (1 << 64) - 1
_PARALLEL_MIN_BLOCKS = 1 << 16  # below this, one thread


def _declare(lib) -> None:
    u64, i64 = ctypes.c_uint64, ctypes.c_int64
    lib.tm_philox_blocks.argtypes = [u64, u64, u64, i64, i64, ctypes.c_void_p, ctypes.c_void_p]
    lib.tm_philox_blocks.restype = None
    for name in ("tm_philox_uniform_float", "tm_philox_normal_float", "tm_philox_truncated_normal_float"):
        getattr(lib, name).argtypes = [u64, u64, u64, i64, i64, ctypes.c_void_p]
        getattr(lib, name).restype = None


library = native_build.Library(_SOURCE, "philox", _declare)


available = library.available


def _split(n: int):
    threads = max(1, torch.get_num_threads())
    if threads == 1 or n < _PARALLEL_MIN_BLOCKS:
        return [(0, n)]
    step = -(-n // threads)
    return [(s, min(s + step, n)) for s in range(0, n, step)]


def _run(parts, call):
    if len(parts) == 1:
        call(*parts[0])
        return
    with ThreadPoolExecutor(len(parts)) as pool:
        list(pool.map(lambda p: call(*p), parts))


def blocks(key: int, counter: int, n: int, offsets: np.ndarray | None) -> np.ndarray:
    """(n, 4) uint32 blocks at ``counter + i`` (or ``counter + offsets[i]``), as Philox.blocks."""
    lib = library.load()
    out = np.empty((n, 4), np.uint32)
    lo, hi = counter & _MASK64, counter >> 64
    if offsets is not None:
        offsets = np.ascontiguousarray(offsets, dtype=np.uint64)

    def call(start, stop):
        off = offsets[start:].ctypes.data if offsets is not None else None
        lib.tm_philox_blocks(key, lo, hi, start, stop - start, off, out[start:].ctypes.data)

    _run(_split(n), call)
    return out


def _fill4(function: str, key: int, counter: int, count: int) -> np.ndarray:
    lib = library.load()
    out = np.empty(4 * count, np.float32)
    lo, hi = counter & _MASK64, counter >> 64
    kernel = getattr(lib, function)

    def call(start, stop):
        kernel(key, lo, hi, start, stop - start, out[4 * start :].ctypes.data)

    _run(_split(count), call)
    return out


def uniform_float32(key: int, counter: int, n_blocks: int) -> np.ndarray:
    """TF's float32 uniforms, 4 per block, for blocks counter .. counter + n_blocks - 1."""
    return _fill4("tm_philox_uniform_float", key, counter, n_blocks)


def normal_float32(key: int, counter: int, n_blocks: int) -> np.ndarray:
    """TF's float32 Box-Muller normals (glibc's logf/sincosf algorithms), 4 per block."""
    return _fill4("tm_philox_normal_float", key, counter, n_blocks)


def truncated_normal_float32(key: int, counter: int, n_groups: int) -> np.ndarray:
    """TF's float32 truncated normals: group g (4 outputs) reads from block 256 * g on."""
    return _fill4("tm_philox_truncated_normal_float", key, counter, n_groups)
