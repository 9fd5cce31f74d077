"""Helpers both checkpoint formats share: tensors in (numpy/torch/lists to C-contiguous arrays), file reads.

Not public API; :mod:`torchmeta.io.tf_checkpoint` and :mod:`torchmeta.io.safetensors_checkpoint` use them.
"""

from __future__ import annotations

import mmap
import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import numpy as np
import torch

from torchmeta import errors
from torchmeta.dtypes import DType, as_dtype, torch_to_numpy
from torchmeta.io import sstable

CHUNK = 64 << 20  # bytes per read/write/crc step when streaming
UINT_BY_SIZE = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}
UNSUPPORTED = (DType.resource, DType.variant)
QUANTIZED = {d.name: d for d in (DType.qint8, DType.quint8, DType.qint16, DType.quint16, DType.qint32)}


class SavedSlice(NamedTuple):
    """One stored slice of a partitioned variable: the slice's values and its SaveV2 ``shape_and_slice``.

    Plain ``(tensor, "4 2 0,2:-")`` tuples work the same.
    """

    tensor: Any
    spec: str


# -- tensors in ------------------------------------------------------------------------------------------


def as_array(value, dtype: DType | None = None) -> tuple[np.ndarray, DType]:
    """A C-contiguous little-endian numpy array of ``value`` (no copy when it already is one) and its DType.

    ``dtype`` may reinterpret integers as the quantized type of the same width (int8 -> qint8 ...).
    """
    if isinstance(value, torch.Tensor):
        t = value.detach()
        if t.device.type != "cpu":
            t = t.cpu()
        if not t.is_contiguous():
            t = t.contiguous()
        source = as_dtype(t.dtype)
        arr = torch_to_numpy(t)
    else:
        arr = value if isinstance(value, np.ndarray) else np.asarray(value)
        if arr.dtype.byteorder not in "=|" and not arr.dtype.isnative:
            arr = arr.astype(arr.dtype.newbyteorder("="))
        names = arr.dtype.names
        if names and len(names) == 1 and names[0] in QUANTIZED:  # TF's qint16 ... numpy types
            source = QUANTIZED[names[0]]
        else:
            source = as_dtype(arr.dtype)
    target = source if dtype is None else as_dtype(dtype).base_dtype
    if target in UNSUPPORTED:
        raise errors.UnimplementedError(None, None, f"Saving {target.name} tensors is not supported")
    if target is DType.string:
        if arr.dtype.kind not in "OSU":
            raise TypeError(f"Cannot save a {arr.dtype} array as a string tensor")
        return arr, target
    if arr.dtype.kind in "OSU":
        raise TypeError(f"Cannot save a {arr.dtype} array as {target.name}")
    want = target.numpy
    if arr.dtype != want:
        if (target.is_quantized or source.is_quantized) and target.torch == source.torch:
            arr = np.ascontiguousarray(arr).view(want) if arr.ndim else arr.reshape(1).view(want).reshape(())
        else:
            raise TypeError(f"Cannot save a {arr.dtype} array as {target.name}; cast it first")
    if not arr.flags.c_contiguous:
        arr = arr.copy(order="C")
    return arr, target


def string_elements(arr: np.ndarray) -> list[bytes]:
    out = []
    for item in arr.reshape(-1).tolist():
        if isinstance(item, bytes):
            out.append(item)
        elif isinstance(item, str):
            out.append(item.encode("utf-8"))
        elif isinstance(item, (bytearray, memoryview, np.bytes_)):
            out.append(bytes(item))
        else:
            raise TypeError(f"String tensors hold bytes or str, not {type(item).__name__}")
    return out


def swapped(arr: np.ndarray, dtype: DType) -> np.ndarray:
    """A byte-swapped copy of a POD array (complex values swapped per component, as TensorFlow does)."""
    item = arr.dtype.itemsize // (2 if dtype.is_complex else 1)
    if item == 1:
        return arr
    flat = arr.reshape(-1).view(UINT_BY_SIZE[item])
    return flat.byteswap().view(arr.dtype).reshape(arr.shape)


def iter_items(tensors) -> Iterable[tuple[str, Any]]:
    return tensors.items() if isinstance(tensors, Mapping) else tensors


def is_slice(value) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], str)


def slice_list(value) -> list | None:
    """The slices a value stands for: one ``(tensor, spec)`` pair or a list of them; None for a tensor."""
    if is_slice(value):
        return [value]
    if isinstance(value, list) and value and all(is_slice(v) for v in value):
        return value
    return None


class DataFile:
    """One ``.data-*`` shard: positioned reads into caller memory, and per-tensor private memory maps."""

    def __init__(self, path: str):
        self.path = path
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        self.size = os.fstat(self._fd).st_size
        self._lock = threading.Lock()

    def read_into(self, offset: int, dest: np.ndarray, *, crc: bool = True) -> int:
        """Fills the uint8 array ``dest`` from ``offset``; returns the crc32c of the bytes read (0 without crc).

        Raises:
          EOFError: the file ends first.
        """
        value = 0
        for start in range(0, dest.nbytes, CHUNK):
            chunk = dest[start : start + CHUNK]
            self._pread_exact(offset + start, chunk)
            if crc:
                value = sstable.crc32c(chunk, value)  # while the chunk is in cache
        return value

    def crc(self, offset: int, size: int, chunk: int = 8 << 20) -> int:
        """The crc32c of ``[offset, offset + size)``, read through one reused buffer (memory stays at ``chunk``).

        Raises:
          EOFError: the file ends first.
        """
        buf = np.empty(min(size, chunk), dtype=np.uint8)
        value = 0
        for start in range(0, size, chunk):
            part = buf[: min(chunk, size - start)]
            self._pread_exact(offset + start, part)
            value = sstable.crc32c(part, value)
        return value

    def _pread_exact(self, offset: int, dest: np.ndarray):
        view = memoryview(dest)
        done = 0
        while done < len(view):
            if hasattr(os, "preadv"):
                n = os.preadv(self._fd, [view[done:]], offset + done)
            else:  # Windows
                with self._lock:
                    os.lseek(self._fd, offset + done, os.SEEK_SET)
                    chunk = os.read(self._fd, len(view) - done)
                n = len(chunk)
                view[done : done + n] = chunk
            if n <= 0:
                raise EOFError
            done += n

    def map(self, offset: int, size: int) -> tuple[mmap.mmap, int]:
        """A copy-on-write map of ``[offset, offset + size)``: ``(map, start of the bytes in it)``."""
        start = offset - offset % mmap.ALLOCATIONGRANULARITY
        mapped = mmap.mmap(self._fd, size + offset - start, offset=start, access=mmap.ACCESS_COPY)
        return mapped, offset - start

    def close(self):
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


_TORCH_NATIVE = {np.dtype(t) for t in (np.float16, np.float32, np.float64, np.complex64, np.complex128, np.bool_)}
_TORCH_NATIVE |= {
    np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
}
_INT_BY_SIZE = {1: np.uint8, 2: np.int16, 4: np.int32, 8: np.int64}  # numpy types torch.from_numpy takes


def numpy_to_torch(arr: np.ndarray, dtype: DType) -> torch.Tensor:
    """A torch tensor sharing a writable C-contiguous array's memory (ml_dtypes and quantized types too)."""
    if not arr.flags.writeable or not arr.flags.c_contiguous:
        arr = arr.copy(order="C")
    if arr.dtype in _TORCH_NATIVE and not dtype.is_quantized:
        return torch.from_numpy(arr)
    raw = torch.from_numpy(arr.reshape(-1).view(_INT_BY_SIZE[arr.dtype.itemsize]))
    return raw.view(dtype.torch).reshape(arr.shape)


def plain_array(arr: np.ndarray) -> np.ndarray:
    """Quantized arrays (numpy structured types) as their plain integer type, as TensorFlow's reader returns."""
    names = arr.dtype.names
    return arr.view(arr.dtype[0]) if names and len(names) == 1 and names[0] in QUANTIZED else arr


def num_elements(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def byte_view(t: torch.Tensor) -> np.ndarray:
    """The bytes of a contiguous CPU tensor as a writable uint8 numpy array (shared memory)."""
    if t.numel() == 0:
        return np.zeros(0, dtype=np.uint8)
    return t.detach().reshape(-1).view(torch.uint8).numpy()


def empty_tensor(shape, dtype: DType) -> tuple[torch.Tensor, np.ndarray]:
    """A new CPU tensor and its bytes as a uint8 array.

    The memory comes from numpy, which asks the kernel for transparent huge pages on large buffers: filling
    it costs about a third of what a fresh ``torch.empty`` does (fewer page faults).
    """
    nbytes = num_elements(shape) * dtype.size
    if nbytes == 0:
        return torch.empty(shape, dtype=dtype.torch), np.zeros(0, dtype=np.uint8)
    buf = np.empty(nbytes, dtype=np.uint8)
    return torch.from_numpy(buf).view(dtype.torch).reshape(shape), buf
