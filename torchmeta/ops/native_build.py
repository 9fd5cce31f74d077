"""Optional native CPU kernels: a C source compiled on first use with the system compiler and loaded with ctypes.

One place for what every such kernel shares (torchmeta.ops.{philox,batch_norm,depthwise,pool,training,gradient_sum,tanh,lrn}_native):
each module declares its library as a ``Library``, which is built once per source version into ``$TORCHMETA_CACHE`` (default ``~/.cache/torchmeta``,
private to the user; only this user's builds are loaded) and reused. Without a C compiler, on Windows, or
with ``TORCHMETA_NATIVE=0``, ``compile_and_load`` returns None and the caller keeps its pure torch/numpy
path. Each kernel is also a ``torch.library`` custom op (``custom_op``, ``torch.ops.torchmeta.*``), so that a
step traced by ``torch.compile`` keeps it as one extern call and fuses the element-wise work around it, where
it would otherwise trace the torch path. Flags stay portable (no ``-march=native``): a cached library may be loaded on another CPU of the same
architecture, so kernels that want newer instructions select them at run time: GCC/Clang ``target_clones``
where one body suits every target, or one function per target picked with ``__builtin_cpu_supports`` where
the vector width must follow the target (GCC splits a 64-byte vector through the stack on AVX2, and a
16-byte one leaves AVX2's upper halves idle: _pool_native.c, _training_native.c's Adam rows).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import torch

__all__ = ["enabled", "compile_and_load", "custom_op", "Library", "plain_float32"]

# -pthread: the depthwise kernel starts POSIX threads (in libpthread before glibc 2.34)
FLAGS = ("-O3", "-ffp-contract=off", "-shared", "-fPIC", "-pthread")


def enabled() -> bool:
    """Whether native kernels may be built and loaded here (not ``TORCHMETA_NATIVE=0``, not Windows)."""
    return os.environ.get("TORCHMETA_NATIVE", "1") != "0" and sys.platform != "win32"


def plain_float32(*tensors) -> bool:
    """Whether each tensor is what the float32 kernels take: float32, on the CPU, outside autograd."""
    return all(t.dtype == torch.float32 and t.is_cpu and not t.requires_grad for t in tensors)


def _cache_dir() -> Path:
    root = os.environ.get("TORCHMETA_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "torchmeta")
    return Path(root)


def find_compiler() -> str | None:
    """The C compiler native kernels are built with ($CC, else cc, gcc or clang on the PATH), or None."""
    return os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")


def _build(source: Path, target: Path) -> bool:
    """Compiles ``source`` into ``target`` (OSError when the cache directory cannot be written)."""
    compiler = find_compiler()
    if compiler is None:
        return False
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=target.parent)
    os.close(fd)
    try:
        result = subprocess.run(
            [compiler, *FLAGS, "-o", tmp, str(source), "-lm"],
            capture_output=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            return False
        os.replace(tmp, target)  # atomic: concurrent builders leave one complete file
        return True
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def compile_and_load(source: Path, name: str) -> ctypes.CDLL | None:
    """The library built from ``source`` (compiled into the cache on first use), or None where native
    kernels are off or it cannot be built or loaded. The cache key is the source's hash, the platform
    and the machine architecture (the flags are the same on every CPU of one architecture)."""
    if not enabled():
        return None
    try:
        digest = hashlib.sha256(source.read_bytes() + " ".join(FLAGS).encode()).hexdigest()[:16]
    except OSError:
        return None
    target = _cache_dir() / f"{name}-{digest}-{sys.platform}-{os.uname().machine}.so"
    try:
        if target.exists() and target.stat().st_uid != os.getuid():
            return None  # only load what this user built
        if not target.exists() and not _build(source, target):
            return None
        return ctypes.CDLL(str(target))
    except OSError:  # no writable cache directory, or a library that does not load
        return None


class Library:
    """One native library, built and loaded on first use, once per process (thread-safe).

    ``declare(lib)`` sets the ctypes signatures of its functions. ``load()`` returns the library, or None
    where native kernels are off or it cannot be built; ``available()`` says which. Tests force the torch
    path by setting ``lib = None, tried = True``, and a fresh build attempt by ``tried = False``."""

    def __init__(self, source: Path, name: str, declare: Callable[[ctypes.CDLL], None]):
        self.source, self.name, self._declare = source, name, declare
        self._lock = threading.Lock()
        self.lib: ctypes.CDLL | None = None
        self.tried = False

    def load(self) -> ctypes.CDLL | None:
        if self.tried:
            return self.lib
        with self._lock:
            if not self.tried:
                lib = compile_and_load(self.source, self.name)
                if lib is not None:
                    self._declare(lib)
                self.lib, self.tried = lib, True
        return self.lib

    @torch.compiler.assume_constant_result  # traced: run once, its answer a constant of the graph (no lock traced)
    def available(self) -> bool:
        """Whether the native kernel is built and loaded (building it on first call)."""
        return self.load() is not None


def custom_op(name: str, kernel: Callable, fake: Callable, mutates_args=()) -> Callable:
    """``kernel`` (a function of tensors and Python scalars, its argument types annotated) registered as the
    CPU custom op ``torchmeta::<name>`` with ``fake`` (its outputs' shapes, dtypes and strides without running
    it). Returns the function the op's module calls: the op while torch.compile traces (inductor keeps it as
    an extern call, with its inputs in exactly the strides traced, and reinplaces what it mutates), ``kernel``
    itself otherwise: the dispatcher's Python round trip costs 20-70 us per call, which eager steps of a few
    hundred microseconds would feel. Both run the same code on the same values. Under torch.profiler the
    eager call is a ``torchmeta::<name>`` range too, as the op is, so eager and compiled profiles name the
    kernel alike (ctypes calls are otherwise invisible to the profiler)."""
    op = torch.library.custom_op(
        f"torchmeta::{name}",
        kernel,
        mutates_args=mutates_args,
        device_types="cpu",
        tags=(torch.Tag.needs_exact_strides,),
    )
    op.register_fake(fake)
    overload = getattr(torch.ops.torchmeta, name).default

    label = f"torchmeta::{name}"

    def call(*args):
        if torch.compiler.is_compiling():
            return overload(*args)
        if torch.autograd._profiler_enabled():
            with torch.profiler.record_function(label):
                return kernel(*args)
        return kernel(*args)

    call.op = overload
    call.__name__ = call.__qualname__ = name
    call.__doc__ = kernel.__doc__
    return call
