"""safetensors checkpoints (``<prefix>.safetensors``), torchmeta's default Saver format.

Written with the ``safetensors`` package (streamed from tensor memory, renamed into place) and read
memory-mapped through ``safe_open``. :class:`SafetensorsReader` has :class:`CheckpointReader`'s interface,
so the Saver restores from either format.

Layout. Every tensor is one safetensors tensor under its checkpoint name. The TensorFlow dtype of each
tensor is kept in the header's ``__metadata__["torchmeta"]``, a JSON object::

    {"version": 1, "tensors": {"<name>": {"dtype": "qint8"}, ...}}

Most dtypes are stored as their natural safetensors dtype (quantized types as the integer of the same
width: qint8 as I8). Types safetensors cannot hold get an ``"encoding"`` and their logical ``"shape"``:

- ``"strings"`` (DT_STRING): one U8 tensor: N little-endian uint64 lengths, then the N strings' bytes.
- ``"complex_pairs"`` (complex128): F64 of shape ``shape + [2]``, (real, imag) pairs.
- ``"bytes"`` (int4, uint4, int2, uint2, the fnuz float8 types, float4_e2m1fn): U8, one byte per element,
  the bit patterns TensorFlow and ml_dtypes use.

Partitioned variables are stored whole (assembled from their slices when saved); ``"slices"`` records the
SaveV2 specs they were saved with (``["4 2 0,2:0,2", "4 2 2,2:0,2"]``), so a conversion back to a
TensorFlow checkpoint reproduces the partitioning. When the given slices do not cover the variable (one
shard of a sharded save holds only some), each slice is stored as its own tensor ``"<name>:<slice>"``
(``"pv:0,2:-"``; TensorFlow names never contain ``:``), marked ``{"part_of": "<name>"}``, and the variable
gets ``{"encoding": "partial", "shape": [...], "slices": [...], "keys": [...]}``; :func:`merge_safetensors`
joins such shards. Files without torchmeta metadata (any safetensors file) are read with dtypes taken from
the safetensors dtype codes.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import struct
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import numpy as np
import safetensors
import safetensors.torch
import torch
from safetensors import safe_open

from torchmeta import errors
from torchmeta._proto import types_pb2
from torchmeta.dtypes import DType, as_dtype, from_safetensors, torch_to_numpy
from torchmeta.io._tensors import (
    DataFile,
    as_array,
    byte_view,
    empty_tensor,
    iter_items,
    num_elements,
    numpy_to_torch,
    slice_list,
    string_elements,
)
from torchmeta.io.atomic import temp_path
from torchmeta.io.tensor_slice import TensorSlice, parse_shape_and_slice, resolve_slice_spec

__all__ = [
    "SUFFIX",
    "SafetensorsReader",
    "merge_safetensors",
    "safetensors_filename",
    "save_safetensors",
    "save_v2",
]

SUFFIX = ".safetensors"
METADATA_KEY = "torchmeta"
FORMAT_VERSION = 1
MAX_HEADER_SIZE = 100_000_000  # what the safetensors library accepts
_ITEMSIZE = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E5M2": 1,
    "F8_E4M3": 1,
    "F8_E4M3FNUZ": 1,
    "F8_E5M2FNUZ": 1,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "I64": 8,
    "U64": 8,
    "F64": 8,
    "C64": 8,
}
_ENCODED_CODE = {"strings": "U8", "complex_pairs": "F64", "bytes": "U8"}


class _Entry(NamedTuple):
    dtype: DType
    shape: tuple[int, ...]
    encoding: str  # "" (stored as is), "strings", "complex_pairs", "bytes" or "partial" (slices stored apart)
    meta: dict
    nbytes: int
    offset: int  # of the data in the file


def safetensors_filename(prefix: str | os.PathLike) -> str:
    """``<prefix>.safetensors`` (``prefix`` itself when it already ends with ``.safetensors``)."""
    prefix = os.fspath(prefix)
    return prefix if prefix.endswith(SUFFIX) else prefix + SUFFIX


# -- writing ---------------------------------------------------------------------------------------------


def _partitioned(name: str, slices: list, dtype) -> tuple[np.ndarray | None, DType, list, list[str]]:
    """A partitioned variable from its ``(tensor, spec)`` slices: ``(full value or None, dtype, parts, specs)``.

    The full value is None when the slices do not cover the variable; ``parts`` are then the slices'
    ``(array, TensorSlice)``.
    """
    parts = []
    specs = []
    covered = None
    full_shape = full_dtype = None
    for tensor, spec in slices:
        arr, dt = as_array(tensor, dtype)
        parsed = parse_shape_and_slice(spec)
        if parsed is None:
            if len(slices) != 1:
                raise errors.InvalidArgumentError(None, None, f"{name}: a whole tensor given among slices")
            return arr, dt, [], []
        shape, tensor_slice = parsed
        if arr.shape != tensor_slice.shape_in(shape):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Slice in shape_and_slice specification does not match the shape of the tensor to save: "
                f"{spec}, tensor: {list(arr.shape)} (key {name})",
            )
        if covered is None:
            full_shape, full_dtype = shape, dt
            covered = np.zeros(shape, dtype=bool)
        elif shape != full_shape or dt is not full_dtype:
            raise errors.InvalidArgumentError(None, None, f"Slices of {name} disagree in shape or dtype")
        index = tensor_slice.indices(shape)
        if covered[index].any():
            raise errors.InvalidArgumentError(None, None, f"Overlapping slices of {name}: {spec}")
        covered[index] = True
        parts.append((arr, tensor_slice))
        specs.append(spec)
    if not covered.all():
        return None, full_dtype, parts, specs
    full = np.empty(full_shape, dtype=parts[0][0].dtype)
    for arr, tensor_slice in parts:
        full[tensor_slice.indices(full_shape)] = arr
    if len(parts) == 1:  # one slice covering everything is a plain tensor
        specs = []
    return full, full_dtype, parts, specs


def _encode(arr: np.ndarray, dtype: DType) -> tuple[torch.Tensor, dict]:
    """The safetensors tensor storing ``arr`` and its metadata entry."""
    info: dict[str, Any] = {"dtype": dtype.name}
    if dtype is DType.string:
        elements = string_elements(arr)
        lengths = np.array([len(e) for e in elements], dtype="<u8")
        buf = bytearray(lengths.tobytes())
        for e in elements:
            buf += e
        info.update(encoding="strings", shape=list(arr.shape))
        stored = torch.frombuffer(buf, dtype=torch.uint8) if buf else torch.empty(0, dtype=torch.uint8)
        return stored, info
    if dtype is DType.complex128:
        info.update(encoding="complex_pairs", shape=list(arr.shape))
        pairs = arr.astype("<c16", copy=False).reshape(-1).view("<f8").reshape((*arr.shape, 2))
        return torch.from_numpy(pairs), info
    if dtype.safetensors is None:
        info.update(encoding="bytes", shape=list(arr.shape))
        return torch.from_numpy(np.ascontiguousarray(arr.reshape(-1).view(np.uint8)).reshape(arr.shape)), info
    return numpy_to_torch(arr, dtype), info


def save_safetensors(
    prefix: str | os.PathLike,
    tensors: Mapping[str, Any] | Iterable[tuple[str, Any]],
    metadata: Mapping[str, str] | None = None,
    *,
    dtypes: Mapping[str, DType] | None = None,
) -> str:
    """Writes ``<prefix>.safetensors`` atomically (temporary file, then rename).

    Args:
      prefix: checkpoint prefix (or a file name ending in ``.safetensors``).
    tensors: ``name -> value`` like :func:`torchmeta.io.write_bundle`: numpy arrays, torch tensors (any
        device), scalars, string arrays, or a partitioned variable's ``(tensor, "4 2 0,2:-")`` slices (a list
        of them; stored whole when they cover the variable, else slice by slice).
      metadata: extra ``str -> str`` entries for the header's ``__metadata__`` (``"torchmeta"`` is reserved).
      dtypes: optional ``name -> DType`` (store int8 values as qint8 ...).

    Returns:
      The file name written.
    """
    path = safetensors_filename(prefix)
    dtypes = dtypes or {}
    stored: dict[str, torch.Tensor] = {}
    info: dict[str, dict] = {}
    seen: set[tuple[int, int]] = set()

    def store(key: str, arr: np.ndarray, dt: DType) -> dict:
        if key in info:
            raise errors.InvalidArgumentError(None, None, f"Adding duplicate key: {key}")
        tensor, meta = _encode(arr, dt)
        ident = (tensor.data_ptr(), tensor.nbytes)
        if tensor.nbytes and ident in seen:  # safetensors refuses tensors sharing memory
            tensor = tensor.clone()
        seen.add(ident)
        stored[key] = tensor
        info[key] = meta
        return meta

    for name, value in iter_items(tensors):
        if not isinstance(name, str):
            raise TypeError(f"safetensors tensor names are str, not {type(name).__name__}")
        slices = slice_list(value)
        if slices is None:
            store(name, *as_array(value, dtypes.get(name)))
            continue
        full, dt, parts, specs = _partitioned(name, slices, dtypes.get(name))
        if full is not None:
            meta = store(name, full, dt)
            if specs:
                meta["slices"] = specs
            continue
        if name in info:
            raise errors.InvalidArgumentError(None, None, f"Adding duplicate key: {name}")
        keys = []
        for arr, tensor_slice in parts:
            keys.append(f"{name}:{tensor_slice}")
            store(keys[-1], arr, dt)["part_of"] = name
        shape = parse_shape_and_slice(specs[0])[0]
        info[name] = {"dtype": dt.name, "encoding": "partial", "shape": list(shape), "slices": specs, "keys": keys}
    header: dict[str, str] = {}
    for key, value in (metadata or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError("safetensors metadata maps str to str")
        if key == METADATA_KEY:
            raise ValueError(f"metadata key {METADATA_KEY!r} is reserved for torchmeta")
        header[key] = value
    header[METADATA_KEY] = json.dumps({"version": FORMAT_VERSION, "tensors": info}, separators=(",", ":"))
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        raise errors.NotFoundError(None, None, f"{directory}; No such file or directory (saving {path})")
    temp = temp_path(path)
    try:
        safetensors.torch.save_file(stored, temp, metadata=header)
        os.chmod(temp, 0o666 & ~_umask())  # the library makes 0600 files; give it the mode open() gives
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    return path


def save_v2(
    prefix: str | os.PathLike,
    tensor_names,
    shape_and_slices,
    tensors,
    *,
    dtypes=None,
) -> str:
    """The SaveV2 op's verb: ``tensors`` under ``tensor_names``, each whole (``""``) or as the given slice.

    The slices of one name are grouped (stored whole when they cover the variable, see
    :func:`save_safetensors`). Creates the prefix's directory when its parent exists, as the bundle writer does.
    """
    if not (len(tensor_names) == len(shape_and_slices) == len(tensors)):
        raise errors.InvalidArgumentError(
            None,
            None,
            f"Expected {len(tensor_names)} shape_and_slices and tensors, got {len(shape_and_slices)} "
            f"shape_and_slices and {len(tensors)} tensors",
        )
    prefix = os.fspath(prefix)
    parent = os.path.dirname(prefix)
    if parent and not os.path.isdir(parent) and os.path.isdir(os.path.dirname(parent) or "."):
        os.makedirs(parent, exist_ok=True)
    entries: dict[str, list] = {}
    for name, spec, tensor in zip(tensor_names, shape_and_slices, tensors):
        entries.setdefault(name, []).append(tensor if not spec else (tensor, spec))
    values = {
        name: (items[0] if len(items) == 1 and not isinstance(items[0], tuple) else items)
        for name, items in entries.items()
    }
    names_to_dtypes = {name: dt for name, dt in zip(tensor_names, dtypes or [None] * len(tensors)) if dt is not None}
    return save_safetensors(prefix, values, dtypes=names_to_dtypes)


def _umask() -> int:
    """The process umask, read without changing it where Linux tells it."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# -- reading ---------------------------------------------------------------------------------------------


def _corrupt(path, message: str) -> errors.DataLossError:
    return errors.DataLossError(None, None, f"{message} (file: {path})")


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_HEADER_DEPTH = 3  # {name: {"shape": [...]}}
_METADATA_DEPTH = 4  # {"tensors": {name: {"shape": [...]}}}


def _loads(path, raw: bytes, max_depth: int, what: str):
    """``json.loads`` of ``raw`` once its nesting is known to be at most ``max_depth`` (no deep recursion)."""
    bare = np.frombuffer(_JSON_STRING.sub(b'""', raw), dtype=np.uint8)
    steps = (bare == ord("{")).astype(np.int8) + (bare == ord("[")) - (bare == ord("}")) - (bare == ord("]"))
    if steps.size and int(np.cumsum(steps, dtype=np.int64).max()) > max_depth:
        raise _corrupt(path, f"{what} nests deeper than the {max_depth} levels the format has")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise _corrupt(path, f"{what} is not valid JSON: {e}") from None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_shape(value) -> bool:
    return isinstance(value, list) and len(value) <= 64 and all(_is_int(d) and d >= 0 for d in value)


def _is_str_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


# torchmeta's per-tensor metadata: field -> check of its JSON value.
_META_FIELDS = {
    "dtype": lambda v: isinstance(v, str),
    "encoding": lambda v: v in ("", "strings", "complex_pairs", "bytes", "partial"),
    "shape": _is_shape,
    "slices": _is_str_list,
    "keys": _is_str_list,
    "part_of": lambda v: isinstance(v, str),
}


def _check_meta(path, name, meta) -> dict:
    """Validates one tensor's torchmeta metadata (JSON types and values) before anything uses it."""
    ok = isinstance(meta, dict) and "dtype" in meta
    ok = ok and all(check(meta[field]) for field, check in _META_FIELDS.items() if field in meta)
    if not ok:
        raise _corrupt(path, f"Tensor {name!r}: malformed torchmeta metadata {meta!r}")
    return meta


def _read_header(path: str) -> tuple[dict, int]:
    """The validated JSON header and the file offset of the data section.

    Checks what the safetensors library checks, but names the file and the tensor at fault.
    """
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < 8:
                raise _corrupt(path, f"File is too short ({size} bytes) to be a safetensors file")
            (header_len,) = struct.unpack("<Q", f.read(8))
            if header_len > min(size - 8, MAX_HEADER_SIZE):
                raise _corrupt(path, f"safetensors header length {header_len} exceeds the file size {size}")
            raw = f.read(header_len)
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"Failed to find a safetensors checkpoint at {path}") from None
    except (IsADirectoryError, NotADirectoryError):
        raise errors.NotFoundError(None, None, f"{path} is not a file") from None
    header = _loads(path, raw, _HEADER_DEPTH, "safetensors header")
    if not isinstance(header, dict):
        raise _corrupt(path, "safetensors header is not a JSON object")
    data_size = size - 8 - header_len
    entries = []
    for name, spec in header.items():
        if name == "__metadata__":
            if not isinstance(spec, dict) or not all(isinstance(v, str) for v in spec.values()):
                raise _corrupt(path, "safetensors __metadata__ must map strings to strings")
            continue
        try:
            code, shape, (begin, end) = spec["dtype"], spec["shape"], spec["data_offsets"]
            ok = isinstance(code, str) and _is_shape(shape) and _is_int(begin) and _is_int(end)
        except (KeyError, TypeError, ValueError):
            ok = False
        if not ok:
            raise _corrupt(path, f"Tensor {name!r}: malformed header entry {spec!r}")
        if code not in _ITEMSIZE:
            raise errors.UnimplementedError(
                None,
                None,
                f"Tensor {name!r} has safetensors dtype {code}, which torchmeta does not read (file: {path})",
            )
        need = num_elements(shape) * _ITEMSIZE[code]  # Python ints: no overflow
        if not 0 <= begin <= end:
            raise _corrupt(path, f"Tensor {name!r}: invalid data offsets [{begin}, {end})")
        if end - begin != need:
            raise _corrupt(
                path,
                f"Tensor {name!r}: header gives {end - begin} bytes at [{begin}, {end}) but {code} {shape} "
                f"needs {need} bytes",
            )
        if end > data_size:
            raise _corrupt(
                path,
                f"Tensor {name!r}: data [{begin}, {end}) runs past the end of the file's data section "
                f"({data_size} bytes; truncated file?)",
            )
        entries.append((begin, end, name))
    position = 0
    for begin, end, name in sorted(entries):
        if begin != position:
            what = "overlaps the previous tensor" if begin < position else "leaves a gap after the previous tensor"
            raise _corrupt(path, f"Tensor {name!r}: data at [{begin}, {end}) {what} (ends at {position})")
        position = end
    if position != data_size:
        raise _corrupt(path, f"{data_size - position} bytes after the last tensor's data")
    return header, 8 + header_len


class SafetensorsReader:
    """Reads a safetensors checkpoint with :class:`torchmeta.io.CheckpointReader`'s interface.

    :meth:`get_tensor` reads into new numpy arrays; :meth:`get_tensor_torch` gives memory-mapped torch
    tensors (``safe_open``), or reads into new ones (``mmap=False``) or into ``out``.

    Args:
      prefix: the checkpoint prefix, or the ``.safetensors`` file name.
    """

    def __init__(self, prefix: str | os.PathLike):
        self.prefix = os.fspath(prefix)
        self.path = safetensors_filename(self.prefix)
        header, data_start = _read_header(self.path)
        metadata = dict(header.pop("__metadata__", None) or {})
        info = {}
        if METADATA_KEY in metadata:
            raw = metadata.pop(METADATA_KEY).encode("utf-8", "surrogatepass")
            parsed = _loads(
                self.path, raw, _METADATA_DEPTH, "malformed or newer torchmeta metadata: the header's entry"
            )
            version = parsed.get("version", 0) if isinstance(parsed, dict) else None
            info = parsed.get("tensors") if isinstance(parsed, dict) else None
            if not isinstance(info, dict) or not _is_int(version) or version > FORMAT_VERSION:
                raise _corrupt(self.path, "malformed or newer torchmeta metadata in the safetensors header")
            info = {name: _check_meta(self.path, name, meta) for name, meta in info.items()}
        self.metadata: dict[str, str] = metadata
        entries: dict[str, _Entry] = {}
        self._parts: dict[str, _Entry] = {}  # stored slices of partially saved partitioned variables
        for name, spec in header.items():
            entry = self._describe(name, spec, info.get(name), data_start)
            (self._parts if "part_of" in entry.meta else entries)[name] = entry
        for name, meta in info.items():
            if meta.get("encoding") == "partial":
                if name in header:
                    raise _corrupt(self.path, f"Tensor {name!r}: stored, but its metadata says its slices are")
                entries[name] = self._describe_partial(name, meta)
        self._entries = dict(sorted(entries.items()))
        self._data = DataFile(self.path)
        try:
            self._file = safe_open(self.path, framework="pt")
        except Exception as e:  # SafetensorError; the header was checked above
            self._data.close()
            raise _corrupt(self.path, f"safetensors cannot open the file: {e}") from None

    def _describe(self, name, spec, meta, data_start: int) -> _Entry:
        code = spec["dtype"]
        stored_shape = tuple(spec["shape"])
        begin, end = spec["data_offsets"]
        nbytes, offset = end - begin, data_start + begin
        if meta is None:
            try:
                return _Entry(from_safetensors(code), stored_shape, "", {}, nbytes, offset)
            except KeyError:
                raise errors.UnimplementedError(
                    None, None, f"Tensor {name!r} has safetensors dtype {code} (file: {self.path})"
                ) from None
        try:
            dtype = as_dtype(meta["dtype"]).base_dtype
            encoding = meta.get("encoding", "")
            shape = tuple(int(d) for d in meta.get("shape", stored_shape))
        except (KeyError, TypeError, ValueError):
            raise _corrupt(self.path, f"Tensor {name!r}: malformed torchmeta metadata {meta!r}") from None
        expected_code = _ENCODED_CODE.get(encoding, dtype.safetensors)
        good = expected_code == code and encoding in ("", *_ENCODED_CODE)
        if encoding == "complex_pairs":
            good = good and dtype is DType.complex128 and stored_shape == (*shape, 2)
        elif encoding == "bytes":
            good = good and dtype.size == 1 and stored_shape == shape
        elif encoding == "strings":  # 8 bytes of length per string at least: a count the bytes can back
            good = good and dtype is DType.string and len(stored_shape) == 1 and 8 * num_elements(shape) <= nbytes
        elif encoding == "":
            good = good and stored_shape == shape
        if not good:
            raise _corrupt(
                self.path,
                f"Tensor {name!r}: stored as {code} {list(stored_shape)}, which does not hold the "
                f"{dtype.name} {list(shape)} its metadata describes",
            )
        return _Entry(dtype, shape, encoding, meta, nbytes, offset)

    def _describe_partial(self, name: str, meta: dict) -> _Entry:
        """The entry of a partitioned variable whose slices are stored as separate tensors."""
        try:
            dtype = as_dtype(meta["dtype"]).base_dtype
            shape = tuple(int(d) for d in meta["shape"])
            slices = [parse_shape_and_slice(spec) for spec in meta["slices"]]
            keys = list(meta["keys"])
            good = len(slices) == len(keys) > 0 and all(p is not None and p[0] == shape for p in slices)
        except (KeyError, TypeError, ValueError, errors.InvalidArgumentError):
            good = False
        if not good:
            raise _corrupt(self.path, f"Tensor {name!r}: malformed torchmeta metadata for its slices {meta!r}")
        nbytes = 0
        for (_, tensor_slice), key in zip(slices, keys):
            part = self._parts.get(key)
            if part is None or part.dtype is not dtype or part.shape != tensor_slice.shape_in(shape):
                raise _corrupt(self.path, f"Tensor {name!r}: slice {tensor_slice} ({key!r}) is missing or differs")
            nbytes += part.nbytes
        return _Entry(dtype, shape, "partial", meta, nbytes, -1)

    # -- metadata ----------------------------------------------------------------------------------

    def keys(self) -> list[str]:
        return list(self._entries)

    def has_tensor(self, name: str) -> bool:
        return name in self._entries

    __contains__ = has_tensor

    def __iter__(self):
        return iter(self._entries)

    def __len__(self):
        return len(self._entries)

    def get_variable_to_shape_map(self) -> dict[str, list[int]]:
        return {name: list(e.shape) for name, e in self._entries.items()}

    def get_variable_to_dtype_map(self) -> dict[str, DType]:
        return {name: e.dtype for name, e in self._entries.items()}

    def get_dtype(self, name: str) -> DType:
        return self._lookup(name).dtype

    def get_shape(self, name: str) -> tuple[int, ...]:
        return self._lookup(name).shape

    def get_tensor_slices(self, name: str) -> list[TensorSlice]:
        """The slices the variable was saved as (from the metadata); ``[]`` for a tensor saved whole."""
        specs = self._lookup(name).meta.get("slices", [])
        return [parse_shape_and_slice(s)[1] for s in specs]

    def nbytes(self, name: str) -> int:
        """Bytes the tensor takes in the file."""
        return self._lookup(name).nbytes

    def debug_string(self) -> bytes:
        lines = []
        for name, (dtype, shape, *_) in self._entries.items():
            dims = ",".join(map(str, shape))
            lines.append(
                f"{name} ({types_pb2.DataType.Name(dtype.value)}) [{dims}]\n".encode("utf-8", "surrogateescape")
            )
        return b"".join(lines)

    # -- tensors -----------------------------------------------------------------------------------

    def get_tensor(self, name: str) -> np.ndarray:
        """The tensor as a new numpy array, as :meth:`torchmeta.io.CheckpointReader.get_tensor` gives it."""
        entry = self._lookup(name)
        if entry.encoding == "partial":
            return self._assemble(name, entry, TensorSlice.full(len(entry.shape)))
        return self._read_stored(name, entry)

    def _read_stored(self, name: str, entry: _Entry) -> np.ndarray:
        raw = np.empty(entry.nbytes, dtype=np.uint8)
        self._read_into(name, entry, raw)
        if entry.encoding == "strings":
            return self._decode_strings(name, raw, entry.shape)
        if entry.encoding == "complex_pairs":
            return raw.view(np.complex128).reshape(entry.shape)
        dtype = entry.dtype
        return raw.view(dtype.numpy[0] if dtype.is_quantized else dtype.numpy).reshape(entry.shape)

    def get_tensor_torch(self, name: str, *, out: torch.Tensor | None = None, mmap: bool = True):
        """The tensor as torch: memory-mapped by safetensors, read into a new tensor (``mmap=False``), or
        read straight into ``out`` (a contiguous CPU tensor of the same dtype and element count).

        Quantized types come back as their integer torch dtype, complex128 as complex128, strings as numpy
        object arrays. Types torch lacks raise ``errors.UnimplementedError``.
        """
        entry = self._lookup(name)
        dtype, shape = entry.dtype, entry.shape
        if dtype is DType.string:
            if out is not None:
                raise TypeError(f"Cannot read string tensor {name} into a torch tensor")
            return self.get_tensor(name)
        if dtype.torch is None:
            raise errors.UnimplementedError(
                None, None, f"Tensor {name} has dtype {dtype.name}, which torch cannot hold; use get_tensor"
            )
        if entry.encoding == "partial" and out is None:
            return numpy_to_torch(self.get_tensor(name), dtype)
        if out is not None:
            if out.dtype != dtype.torch or out.numel() != num_elements(shape):
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"Cannot read {name} ({dtype.name} {list(shape)}) into a {out.dtype} tensor of shape "
                    f"{list(out.shape)}",
                )
            with torch.no_grad():
                if entry.encoding == "partial":
                    out.copy_(numpy_to_torch(self.get_tensor(name), dtype).reshape(out.shape))
                elif out.device.type == "cpu" and out.is_contiguous():
                    self._read_into(name, entry, byte_view(out))  # stored bytes = the tensor's bytes
                else:
                    out.copy_(self.get_tensor_torch(name).reshape(out.shape))
            return out
        if not mmap:
            t, buf = empty_tensor(shape, dtype)
            self._read_into(name, entry, buf)
            return t
        raw = self._file.get_tensor(name)
        if entry.encoding == "complex_pairs":
            return torch.view_as_complex(raw) if raw.numel() else torch.empty(shape, dtype=torch.complex128)
        if entry.encoding == "bytes":
            return raw.view(dtype.torch)
        return raw

    def get_slice(self, name: str, slice_spec: str | TensorSlice) -> np.ndarray:
        """One slice of a tensor (``"4 2 0,2:-"``, ``"0,2:-"`` or a TensorSlice), read lazily where possible."""
        entry = self._lookup(name)
        shape, encoding = entry.shape, entry.encoding
        wanted = resolve_slice_spec(shape, slice_spec, name)
        if encoding == "partial":
            return self._assemble(name, entry, wanted)
        if wanted.covers(shape):
            return self.get_tensor(name)
        if encoding or not shape:
            return np.array(self.get_tensor(name)[wanted.indices(shape)])
        part = self._file.get_slice(name)[wanted.indices(shape)]
        return torch_to_numpy(part, as_dtype(part.dtype)).copy()

    def verify(self, name: str) -> None:
        """Checks one tensor completely without keeping it (the verb restores call before assigning anything).

        Sizes, offsets and dtypes of every tensor were checked against the file when it was opened
        (safetensors stores no checksums); string tensors and partitioned variables are decoded here.

        Raises:
          errors.NotFoundError: no such key.
          errors.DataLossError: the tensor's bytes do not decode.
        """
        entry = self._lookup(name)
        if entry.encoding in ("strings", "partial"):
            self.get_tensor(name)

    def close(self):
        handle = getattr(self, "_file", None)
        if handle is not None:
            with contextlib.suppress(Exception):
                handle.__exit__(None, None, None)
            self._file = None
            self._data.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"SafetensorsReader({self.path!r}, {len(self._entries)} tensors)"

    # -- internals ---------------------------------------------------------------------------------

    def _lookup(self, name: str):
        entry = self._entries.get(name)
        if entry is None:
            raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint")
        if self._file is None:
            raise ValueError(f"{self!r} is closed")
        return entry

    def _assemble(self, name: str, entry: _Entry, wanted: TensorSlice) -> np.ndarray:
        """Reads ``wanted`` of a variable stored slice by slice."""
        shape = entry.shape
        out_shape = wanted.shape_in(shape)
        pieces = []
        volume = 0
        for spec, key in zip(entry.meta["slices"], entry.meta["keys"]):
            stored = parse_shape_and_slice(spec)[1]
            overlap = stored.intersect(wanted, shape)
            if overlap is not None:
                pieces.append((stored, overlap, key))
                volume += overlap.num_elements(shape)
        if volume < num_elements(out_shape):  # before allocating: the stored slices bound what is read
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Does not have sufficient slices for partitioned tensor {name} to restore in slice_spec: "
                f"{wanted} (file: {self.path})",
            )
        covered = np.zeros(out_shape, dtype=bool)
        for _, overlap, _ in pieces:
            region = overlap.relative_to(wanted, shape)
            if covered[region].any():
                raise _corrupt(self.path, f"Tensor {name!r}: overlapping slices")
            covered[region] = True
        if not covered.all():
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Does not have sufficient slices for partitioned tensor {name} to restore in slice_spec: "
                f"{wanted} (file: {self.path})",
            )
        dtype = entry.dtype
        out = np.empty(out_shape, dtype=dtype.numpy[0] if dtype.is_quantized else dtype.numpy)
        for stored, overlap, key in pieces:
            values = self._read_stored(key, self._parts[key])
            if stored == wanted:
                return values
            out[overlap.relative_to(wanted, shape)] = values[overlap.relative_to(stored, shape)]
        return out

    def _read_into(self, name: str, entry: _Entry, dest: np.ndarray):
        if entry.nbytes:
            try:
                self._data.read_into(entry.offset, dest, crc=False)
            except EOFError:
                raise _corrupt(self.path, f"Tensor {name!r}: the file ends before its data (truncated?)") from None

    def _decode_strings(self, name: str, raw: np.ndarray, shape) -> np.ndarray:
        numel = num_elements(shape)
        buf = raw.tobytes()
        head = 8 * numel
        if len(buf) < head:
            raise _corrupt(self.path, f"Tensor {name!r}: {len(buf)} bytes cannot hold {numel} string lengths")
        out = np.empty(numel, dtype=object)
        lengths = np.frombuffer(buf, dtype="<u8", count=numel)
        if (numel and lengths.max() > len(buf)) or int(lengths.sum(dtype=np.uint64)) != len(buf) - head:
            raise _corrupt(
                self.path, f"Tensor {name!r}: string lengths do not add up to the {len(buf) - head} bytes stored"
            )
        items = []
        pos = head
        for n in lengths.tolist():
            items.append(buf[pos : pos + n])
            pos += n
        out[:] = items
        return out.reshape(shape)


def merge_safetensors(
    prefixes,
    merged_prefix: str | os.PathLike,
    *,
    delete_old_dirs: bool = True,
    allow_missing_files: bool = False,
) -> str:
    """Joins the safetensors files of a sharded save into ``<merged_prefix>.safetensors`` (MergeV2Checkpoints).

    The slices of a partitioned variable found in several shards are joined (and stored whole once they
    cover it); any other name in two shards is an error. The inputs are deleted afterwards, and with
    ``delete_old_dirs`` their directories too when left empty. Tensors are read memory-mapped, so memory
    stays near the size of what is being written.

    Returns:
      The merged file name.
    """
    merged_path = safetensors_filename(merged_prefix)
    readers = []
    try:
        for prefix in map(os.fspath, prefixes):
            if allow_missing_files and not os.path.exists(safetensors_filename(prefix)):
                continue
            readers.append(SafetensorsReader(prefix))
        if not readers:
            raise errors.NotFoundError(None, None, f"None of the checkpoints to merge were found: {list(prefixes)}")
        values: dict[str, Any] = {}
        dtypes: dict[str, DType] = {}
        metadata: dict[str, str] = {}
        for reader in readers:
            for key, value in reader.metadata.items():
                metadata.setdefault(key, value)
            for name in reader:
                dtype = reader.get_dtype(name)
                slices = reader.get_tensor_slices(name)
                existing = values.get(name)
                if existing is not None and not (slices and isinstance(existing, list) and dtypes[name] is dtype):
                    raise errors.InvalidArgumentError(
                        None,
                        None,
                        f"Duplicate tensor keyed by {name} encountered, when merging prefix: {reader.prefix}",
                    )
                if slices:
                    shape = reader.get_shape(name)
                    parts = [(reader.get_slice(name, s), s.to_spec(shape)) for s in slices]
                    values.setdefault(name, []).extend(parts)
                elif dtype is DType.string or dtype.torch is None:
                    values[name] = reader.get_tensor(name)
                else:
                    values[name] = reader.get_tensor_torch(name)  # memory-mapped
                dtypes[name] = dtype
        save_safetensors(merged_path, dict(sorted(values.items())), metadata, dtypes=dtypes)
    finally:
        for reader in readers:
            reader.close()
    merged_dir = os.path.dirname(merged_path)
    for reader in readers:
        if os.path.abspath(reader.path) != os.path.abspath(merged_path):
            with contextlib.suppress(OSError):
                os.unlink(reader.path)
        if delete_old_dirs and os.path.dirname(reader.path) != merged_dir:
            with contextlib.suppress(OSError):
                os.rmdir(os.path.dirname(reader.path))
    return merged_path
