"""Host memory between Session.run calls: keep freed tensor memory in the process, as TF's allocator does.

TensorFlow's CPU tensors come from its own BFC allocator, which keeps what a step freed for the next
step. torch's CPU tensors come from the C library's malloc. glibc's defaults hand large freed blocks
back to the kernel (blocks over the mmap threshold are unmapped when freed; the top of the heap is
trimmed past the trim threshold), so the next step's tensors of the same sizes are fresh pages again,
each page a minor fault, zeroed by the kernel: a ResNet-style training step of bench/run.py took about
2,000 page faults and 3-5 ms of system time per step that way (TF's: none). Fixing both thresholds once
(mmap only above 32 MiB, the largest threshold glibc accepts; never trim below 1 GiB of free heap) lets
every step reuse the previous step's memory: the process keeps its peak heap, as TF's allocator does.

Applied once per process, when the first Session is created, on Linux with glibc only. Set
``TORCHMETA_KEEP_HOST_MEMORY=0`` in the environment to leave malloc as it is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import sys
import threading

__all__ = ["keep_host_memory", "MMAP_THRESHOLD", "TRIM_THRESHOLD"]

# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's maximum (HEAP_MAX_SIZE / 2 on 64-bit)
TRIM_THRESHOLD = 1024 * 1024 * 1024

_lock = threading.Lock()
_state: dict = {}


def keep_host_memory() -> bool:
    """Sets glibc's mmap and trim thresholds (once per process); True when they are set."""
    with _lock:
        if "applied" in _state:
            return _state["applied"]
        _state["applied"] = applied = _apply()
        return applied


def _apply() -> bool:
    if os.environ.get("TORCHMETA_KEEP_HOST_MEMORY", "1") == "0":
        return False
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # mmap threshold first: setting either one turns glibc's dynamic threshold off.
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
