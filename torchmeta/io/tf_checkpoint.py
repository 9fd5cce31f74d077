"""TensorFlow V2 checkpoints ("tensor bundles"), read and written without TensorFlow.

A checkpoint with prefix ``P`` is ``P.index`` (an SSTable of ``name -> BundleEntryProto``, see
:mod:`torchmeta.io.sstable`) plus ``P.data-SSSSS-of-NNNNN`` files holding the raw tensor bytes. Bundles
written here are byte-identical to the ones TensorFlow's SaveV2 / MergeV2Checkpoints write for the same
tensors in the same order (TensorFlow's Saver passes them sorted by name).

The verbs:

- :class:`CheckpointReader` (``tf.train.load_checkpoint``): names, shapes, dtypes; tensors as numpy arrays
  or torch tensors (memory-mapped, or read straight into a caller's tensor); slices of partitioned variables.
- :func:`write_bundle` / :class:`BundleWriter` (SaveV2): whole tensors and slices, streamed to disk, written
  under temporary names and renamed into place.
- :func:`merge_bundles` (MergeV2Checkpoints) and :func:`write_sharded_bundle` (a sharded Saver's save).
- :func:`save_v2` / :func:`restore_v2`: the SaveV2 / RestoreV2 op signatures on top of the above.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import struct
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from torchmeta import errors
from torchmeta._proto import tensor_bundle_pb2, types_pb2
from torchmeta.dtypes import DType, as_dtype
from torchmeta.io import sstable
from torchmeta.io._tensors import (
    CHUNK,
    UINT_BY_SIZE,
    UNSUPPORTED,
    DataFile,
    SavedSlice,
    as_array,
    byte_view,
    empty_tensor,
    iter_items,
    num_elements,
    numpy_to_torch,
    plain_array,
    slice_list,
    string_elements,
    swapped,
)
from torchmeta.io.atomic import AtomicFile, replace_together
from torchmeta.io.tensor_slice import (
    TensorSlice,
    encode_tensor_name_slice,
    parse_shape_and_slice,
    resolve_slice_spec,
)

__all__ = [
    "BundleWriter",
    "CheckpointReader",
    "SavedSlice",
    "data_filename",
    "datatype_string",
    "index_filename",
    "merge_bundles",
    "restore_v2",
    "save_v2",
    "write_bundle",
    "write_sharded_bundle",
]

HEADER_KEY = b""  # the BundleHeaderProto entry; always first in the table
BUNDLE_VERSION = 1  # kTensorBundleVersion
BUNDLE_MIN_PRODUCER = 0
BUNDLE_MIN_CONSUMER = 0
MMAP_THRESHOLD = 1 << 20  # tensors at least this big are memory-mapped by get_tensor_torch
_HOST_BIG_ENDIAN = sys.byteorder == "big"


def index_filename(prefix: str | os.PathLike) -> str:
    """``<prefix>.index`` (TensorFlow's MetaFilename)."""
    return f"{os.fspath(prefix)}.index"


def data_filename(prefix: str | os.PathLike, shard: int, num_shards: int) -> str:
    """``<prefix>.data-<shard>-of-<num_shards>``, both 5-digit zero-padded (TensorFlow's DataFilename)."""
    return f"{os.fspath(prefix)}.data-{shard:05d}-of-{num_shards:05d}"


def datatype_string(dtype: DType | int) -> str:
    """TensorFlow's DataTypeString: ``float``, ``int32``, ``half``, ``bfloat16``... (used in its messages)."""
    value = dtype.value if isinstance(dtype, DType) else int(dtype)
    try:
        return types_pb2.DataType.Name(value)[3:].lower()
    except ValueError:
        return f"unknown dtype enum ({value})"


def _datatype_name(value: int) -> str:
    try:
        return types_pb2.DataType.Name(value)
    except ValueError:
        return f"DT_UNKNOWN_{value}"


def _key(name: str | bytes) -> bytes:
    return name.encode("utf-8", "surrogateescape") if isinstance(name, str) else bytes(name)


def _name(key: bytes) -> str:
    return key.decode("utf-8", "surrogateescape")


# -- writing ---------------------------------------------------------------------------------------------


def _make_parent_dir(prefix: str):
    """Creates ``dirname(prefix)`` (one level, like TensorFlow's BundleWriter)."""
    parent = os.path.dirname(prefix)
    if not parent:
        return
    try:
        os.mkdir(parent)
    except FileExistsError:
        pass
    except FileNotFoundError:
        raise errors.NotFoundError(
            None, None, f"Failed to create a directory: {parent}; No such file or directory"
        ) from None


def _header(num_shards: int, big_endian: bool, version=None) -> tensor_bundle_pb2.BundleHeaderProto:
    header = tensor_bundle_pb2.BundleHeaderProto(num_shards=num_shards)
    header.endianness = tensor_bundle_pb2.BundleHeaderProto.BIG if big_endian else 0
    if version is None:
        header.version.producer = BUNDLE_VERSION
        header.version.min_consumer = BUNDLE_MIN_CONSUMER
    else:
        header.version.CopyFrom(version)
    return header


def _write_index(path: str, header, entries: Iterable[tuple[bytes, Any]]) -> AtomicFile:
    """Writes a bundle index under a temporary name: the header, then ``entries`` (sorted by key).

    The caller renames it into place together with the data files (:func:`replace_together`).
    """
    target = AtomicFile(path)
    try:
        table = sstable.TableWriter(target.file)
        table.add(HEADER_KEY, header.SerializeToString(deterministic=True))
        for key, entry in entries:
            table.add(key, entry.SerializeToString(deterministic=True))
        table.finish()
        target.close()
    except BaseException:
        target.discard()
        raise
    return target


class BundleWriter:
    """Writes one V2 bundle (``<prefix>.index`` + ``<prefix>.data-00000-of-00001``), like TensorFlow's.

    Tensors go to the data file as they are added (in add order), so memory stays at one tensor; both files
    are written under temporary names and renamed into place by :meth:`finish` (data first, then index).

    Example:
      >>> with BundleWriter("/tmp/model") as w:  # doctest: +SKIP
      ...     w.add("dense/kernel", kernel)
      ...     w.add_slice("emb", (4, 2), "0,2:-", emb_rows_0_1)

    Args:
      prefix: the checkpoint prefix. Its directory is created if missing (one level, like TensorFlow).
      data_alignment: pad each tensor's start to this many bytes (TensorFlow's SaveV2 uses 1).
    """

    def __init__(self, prefix: str | os.PathLike, *, data_alignment: int = 1, _big_endian: bool = _HOST_BIG_ENDIAN):
        self.prefix = os.fspath(prefix)
        self._alignment = data_alignment
        self._big_endian = _big_endian  # tests write big-endian bundles to check the reader's byte swapping
        self._order = ">" if _big_endian else "<"
        self._entries: dict[bytes, tensor_bundle_pb2.BundleEntryProto] = {}
        self._size = 0
        _make_parent_dir(self.prefix)
        self._data = AtomicFile(data_filename(self.prefix, 0, 1), buffering=8 << 20)
        self._failed = False

    # -- public ------------------------------------------------------------------------------------

    def add(self, name: str | bytes, tensor, *, dtype: DType | None = None):
        """Appends a whole tensor (numpy array, torch tensor, scalar or nested list) under ``name``.

        Raises:
          errors.InvalidArgumentError: ``name`` was added already ("Adding duplicate key").
          TypeError: the value cannot be stored as ``dtype``.
        """
        key = self._new_key(name)
        arr, dt = as_array(tensor, dtype)
        self._add(key, arr, dt)

    def add_slice(
        self,
        name: str | bytes,
        full_shape: Sequence[int],
        tensor_slice: TensorSlice | str,
        tensor,
        *,
        dtype: DType | None = None,
    ):
        """Appends one slice of the partitioned tensor ``name`` of shape ``full_shape``.

        ``tensor_slice`` is a :class:`TensorSlice` or its text (``"0,2:-"``). A slice covering the whole
        tensor is stored as a plain tensor, as TensorFlow does.
        """
        if isinstance(tensor_slice, str):
            tensor_slice = TensorSlice.parse(tensor_slice)
        full_shape = tuple(int(d) for d in full_shape)
        arr, dt = as_array(tensor, dtype)
        expected = tensor_slice.shape_in(full_shape)
        if arr.shape != expected:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Slice in shape_and_slice specification does not match the shape of the tensor to save: "
                f"{tensor_slice.to_spec(full_shape)}, tensor: {list(arr.shape)} (key {_name(_key(name))})",
            )
        if tensor_slice.covers(full_shape):
            self._add(self._new_key(name), arr, dt)
            return
        key = _key(name)
        if not key:
            raise errors.InvalidArgumentError(None, None, "The empty name is reserved for the bundle header")
        slice_key = self._new_key(encode_tensor_name_slice(key, tensor_slice))
        full = self._entries.get(key)
        if full is None:
            full = tensor_bundle_pb2.BundleEntryProto(dtype=dt.value)
            full.shape.SetInParent()
            for d in full_shape:
                full.shape.dim.add(size=d)
        elif not full.slices:
            raise errors.InvalidArgumentError(None, None, f"Adding duplicate key: {_name(key)}")
        elif full.dtype != dt.value or tuple(d.size for d in full.shape.dim) != full_shape:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Slices of {_name(key)} disagree: {datatype_string(full.dtype)} "
                f"{[d.size for d in full.shape.dim]} vs. {datatype_string(dt)} {list(full_shape)}",
            )
        self._add(slice_key, arr, dt)
        tensor_slice.to_proto(full.slices.add())
        self._entries[key] = full

    def finish(self) -> list[str]:
        """Writes the index, then renames the data file and the index into place together; returns both names.

        If any step fails, both files of a checkpoint previously at this prefix are left as they were.
        """
        if self._data.closed:
            raise ValueError("BundleWriter is closed")
        if self._failed:
            self.abort()
            raise ValueError("BundleWriter.finish after a failed write; nothing was written")
        index_path = index_filename(self.prefix)
        try:
            self._data.close()
            index = _write_index(index_path, _header(1, self._big_endian), sorted(self._entries.items()))
        except BaseException:
            self._data.discard()
            raise
        replace_together([(self._data.temp_path, self._data.path), (index.temp_path, index_path)])
        return [index_path, self._data.path]

    def abort(self):
        """Drops everything written so far; no file of the checkpoint is touched."""
        self._data.discard()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.finish()
        else:
            self.abort()

    # -- internals ---------------------------------------------------------------------------------

    def _new_key(self, name) -> bytes:
        key = _key(name)
        if not key:
            raise errors.InvalidArgumentError(None, None, "The empty name is reserved for the bundle header")
        if key in self._entries:
            raise errors.InvalidArgumentError(None, None, f"Adding duplicate key: {_name(key)}")
        return key

    def _add(self, key: bytes, arr: np.ndarray, dtype: DType):
        if self._data.closed:
            raise ValueError("BundleWriter is closed")
        entry = tensor_bundle_pb2.BundleEntryProto(dtype=dtype.value, offset=self._size)
        entry.shape.SetInParent()  # a scalar still has a (empty) shape: "12 00"
        for d in arr.shape:
            entry.shape.dim.add(size=d)
        try:
            if dtype is DType.string:
                size, crc = self._write_strings(string_elements(arr))
            else:
                size, crc = self._write_pod(arr, dtype)
            entry.size = size
            entry.crc32c = sstable.mask_crc(crc)
            self._size += size
            pad = -self._size % self._alignment
            if pad:
                self._data.file.write(b"\x00" * pad)
                self._size += pad
        except BaseException:
            self._failed = True
            raise
        self._entries[key] = entry

    def _write_pod(self, arr: np.ndarray, dtype: DType) -> tuple[int, int]:
        if self._big_endian != _HOST_BIG_ENDIAN:
            arr = swapped(arr, dtype)
        flat = arr.reshape(-1).view(np.uint8)
        write = self._data.file.write
        crc = 0
        for start in range(0, flat.nbytes, CHUNK):
            chunk = flat[start : start + CHUNK]
            crc = sstable.crc32c(chunk, crc)
            write(chunk)
        return flat.nbytes, crc

    def _write_strings(self, elements: list[bytes]) -> tuple[int, int]:
        # [varint64 lengths][masked crc of the lengths as uint32 (uint64 when > 4 GiB)][bytes]; the entry's crc
        # continues over the stored length checksum and the bytes.
        lengths = [len(e) for e in elements]
        varints = b"".join(sstable.encode_varint(n) for n in lengths)
        order = self._order
        if not lengths or max(lengths) <= 0xFFFFFFFF:
            raw_lengths = np.asarray(lengths, dtype=f"{order}u4").tobytes()
        else:
            raw_lengths = b"".join(struct.pack(f"{order}{'I' if n <= 0xFFFFFFFF else 'Q'}", n) for n in lengths)
        crc = sstable.crc32c(raw_lengths)
        checksum = struct.pack(f"{order}I", sstable.mask_crc(crc))
        crc = sstable.crc32c(checksum, crc)
        write = self._data.file.write
        write(varints)
        write(checksum)
        for element in elements:
            crc = sstable.crc32c(element, crc)
            write(element)
        return len(varints) + 4 + sum(lengths), crc


def _add_value(writer: BundleWriter, name: str, value, dtype):
    slices = slice_list(value)
    if slices is None:
        writer.add(name, value, dtype=dtype)
        return
    for tensor, spec in slices:
        parsed = parse_shape_and_slice(spec)
        if parsed is None:
            writer.add(name, tensor, dtype=dtype)
        else:
            writer.add_slice(name, parsed[0], parsed[1], tensor, dtype=dtype)


def write_bundle(
    prefix: str | os.PathLike,
    tensors: Mapping[str, Any] | Iterable[tuple[str, Any]],
    *,
    dtypes: Mapping[str, DType] | None = None,
) -> list[str]:
    """Writes a V2 checkpoint, byte-identical to TensorFlow's SaveV2 with the same tensors in the same order.

    Args:
      prefix: the checkpoint prefix (``/dir/model-3``).
      tensors: ``name -> value`` in data order (TensorFlow's Saver sorts by name). A value is a numpy array,
        torch tensor, scalar or nested list (string tensors: arrays of bytes/str), or a partitioned
        variable's slices: a ``(tensor, "4 2 0,2:-")`` pair (:class:`SavedSlice`) or a list of them.
      dtypes: optional ``name -> DType`` to store integer values as quantized types (int8 -> qint8 ...).

    Returns:
      The index and data file names.

    Raises:
      errors.InvalidArgumentError: a duplicate name, or a slice whose values do not match its spec.
    """
    dtypes = dtypes or {}
    with BundleWriter(prefix) as writer:
        for name, value in iter_items(tensors):
            _add_value(writer, name, value, dtypes.get(name))
    return [index_filename(prefix), data_filename(prefix, 0, 1)]


def save_v2(
    prefix: str | os.PathLike,
    tensor_names: Sequence[str],
    shape_and_slices: Sequence[str],
    tensors: Sequence[Any],
    *,
    dtypes: Sequence[DType | None] | None = None,
) -> None:
    """TensorFlow's SaveV2 op: saves ``tensors`` under ``tensor_names``, each whole or as the given slice."""
    if not (len(tensor_names) == len(shape_and_slices) == len(tensors)):
        raise errors.InvalidArgumentError(
            None,
            None,
            f"Expected {len(tensor_names)} shape_and_slices and tensors, got {len(shape_and_slices)} "
            f"shape_and_slices and {len(tensors)} tensors",
        )
    dtypes = dtypes or [None] * len(tensors)
    with BundleWriter(prefix) as writer:
        for name, spec, tensor, dtype in zip(tensor_names, shape_and_slices, tensors, dtypes):
            _add_value(writer, name, (tensor, spec), dtype)


# -- reading ---------------------------------------------------------------------------------------------


def _read_index(prefix: str):
    """``(header, [(key, raw entry)...])`` of ``<prefix>.index``, validated like TensorFlow's BundleReader."""
    path = index_filename(prefix)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise errors.NotFoundError(
            None, None, f"Unsuccessful TensorSliceReader constructor: Failed to find any matching files for {prefix}"
        ) from None
    except PermissionError as e:
        raise errors.PermissionDeniedError(None, None, f"{path}; {e.strerror}") from None
    entries = sstable.read_table(data, path)
    detail = "Unable to read file ({}). Perhaps the file is corrupt or was produced by a newer version of TensorFlow "
    detail = detail.format(path) + "with format changes ({})"
    if not entries or entries[0][0] != HEADER_KEY:
        raise errors.DataLossError(None, None, detail.format("failed to seek to header entry"))
    header = tensor_bundle_pb2.BundleHeaderProto()
    try:
        header.ParseFromString(entries[0][1])
    except Exception:
        raise errors.DataLossError(None, None, detail.format("unable to parse header")) from None
    version = header.version
    where = f" (file: {path})"
    if version.producer < BUNDLE_MIN_PRODUCER:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"Checkpoint producer version {version.producer} below min producer {BUNDLE_MIN_PRODUCER} "
            f"supported by torchmeta. Please upgrade torchmeta.{where}",
        )
    if version.min_consumer > BUNDLE_VERSION:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"Checkpoint min consumer version {version.min_consumer} above current version {BUNDLE_VERSION} "
            f"for torchmeta. Please upgrade torchmeta.{where}",
        )
    if BUNDLE_VERSION in version.bad_consumers:
        raise errors.InvalidArgumentError(
            None, None, f"Checkpoint disallows consumer version {BUNDLE_VERSION}. Please upgrade torchmeta.{where}"
        )
    return header, entries[1:]


class CheckpointReader:
    """Reads a V2 checkpoint like ``tf.train.load_checkpoint`` (TensorFlow's CheckpointReader), no TF needed.

    Example:
      >>> reader = CheckpointReader("/tmp/model-3")  # doctest: +SKIP
      >>> reader.get_variable_to_shape_map()  # doctest: +SKIP
      {'a': [2, 3], 'b': [], 'pv': [4, 2]}
      >>> reader.get_tensor("a")  # numpy  # doctest: +SKIP
      >>> reader.get_tensor_torch("a")  # torch, memory-mapped when large  # doctest: +SKIP

    Every tensor read is checked against its crc32c. A missing key raises ``errors.NotFoundError``
    ("Key <name> not found in checkpoint"), a missing file ``errors.NotFoundError``, and corruption
    ``errors.DataLossError`` naming the file and the tensor. String tensors come back as numpy object arrays
    of bytes (also from :meth:`get_tensor_torch`).

    Args:
      prefix: the checkpoint prefix (the part before ``.index``).
    """

    def __init__(self, prefix: str | os.PathLike):
        self.prefix = os.fspath(prefix)
        self.index_path = index_filename(self.prefix)
        header, raw_entries = _read_index(self.prefix)
        self.num_shards = header.num_shards
        self.big_endian = header.endianness == tensor_bundle_pb2.BundleHeaderProto.BIG
        self._swap = self.big_endian != _HOST_BIG_ENDIAN
        self._entries: dict[bytes, tensor_bundle_pb2.BundleEntryProto] = {}
        slice_keys = set()
        for key, raw in raw_entries:
            entry = tensor_bundle_pb2.BundleEntryProto()
            try:
                entry.ParseFromString(raw)
            except Exception:
                raise errors.DataLossError(
                    None, None, f"Entry for key {_name(key)} not parseable. (file: {self.index_path})"
                ) from None
            self._entries[key] = entry
            for s in entry.slices:
                slice_keys.add(encode_tensor_name_slice(key, TensorSlice.from_proto(s)))
        # Like TensorFlow's variable maps: every key but the stored slices of partitioned variables.
        self._names = [_name(k) for k in self._entries if k not in slice_keys]
        self._data_files: dict[int, DataFile] = {}

    # -- metadata ----------------------------------------------------------------------------------

    def keys(self) -> list[str]:
        """Variable names (partitioned variables by their full name), in the index's sorted order."""
        return list(self._names)

    def has_tensor(self, name: str) -> bool:
        return _key(name) in self._entries

    __contains__ = has_tensor

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)

    def get_variable_to_shape_map(self) -> dict[str, list[int]]:
        return {name: list(self._shape(_key(name), self._entries[_key(name)])) for name in self._names}

    def get_variable_to_dtype_map(self) -> dict[str, DType]:
        return {name: self._dtype(_key(name), self._entries[_key(name)]) for name in self._names}

    def get_dtype(self, name: str) -> DType:
        key, entry = self._lookup(name)
        return self._dtype(key, entry)

    def get_shape(self, name: str) -> tuple[int, ...]:
        key, entry = self._lookup(name)
        return self._shape(key, entry)

    def get_tensor_slices(self, name: str) -> list[TensorSlice]:
        """The stored slices of a partitioned variable, in save order; ``[]`` for a tensor stored whole."""
        _, entry = self._lookup(name)
        return [TensorSlice.from_proto(s) for s in entry.slices]

    def nbytes(self, name: str) -> int:
        """Bytes the tensor takes in the data files (all its slices for a partitioned variable)."""
        key, entry = self._lookup(name)
        if not entry.slices:
            return entry.size
        return sum(
            self._entries.get(encode_tensor_name_slice(key, TensorSlice.from_proto(s)), entry).size
            for s in entry.slices
        )

    def debug_string(self) -> bytes:
        """TensorFlow's ``debug_string()``: one ``name (DT_FLOAT) [2,3]`` line per stored entry (bytes)."""
        lines = []
        for key, entry in self._entries.items():
            if entry.slices:
                continue
            dims = ",".join(str(d.size) for d in entry.shape.dim)
            lines.append(key + f" ({_datatype_name(entry.dtype)}) [{dims}]\n".encode())
        return b"".join(lines)

    # -- tensors -----------------------------------------------------------------------------------

    def get_tensor(self, name: str) -> np.ndarray:
        """The whole tensor as a new numpy array (partitioned variables are assembled from their slices).

        Like TensorFlow's reader: quantized types come back as their integer type (qint8 as int8),
        bfloat16/float8/int4 as ml_dtypes arrays, strings as object arrays of bytes. Unlike it, scalars are
        0-d arrays (TensorFlow returns numpy scalars, and bytes for a string scalar).
        """
        key, entry = self._lookup(name)
        if entry.slices:
            shape = self._shape(key, entry)
            return plain_array(self._assemble(key, entry, TensorSlice.full(len(shape))))
        return plain_array(self._read(key, entry))

    def get_slice(self, name: str, slice_spec: str | TensorSlice) -> np.ndarray:
        """One slice of a tensor, as RestoreV2 reads it for a ``shape_and_slice`` like ``"4 2 0,2:-"``.

        ``slice_spec`` may also be just the slice (``"0,2:-"``) or a :class:`TensorSlice`; ``""`` reads the
        whole tensor. Works for tensors stored whole and for partitioned ones (any partitioning).

        Raises:
          errors.InvalidArgumentError: the spec does not fit the stored tensor, or the stored slices do not
            cover it ("Does not have sufficient slices for partitioned tensor ...").
        """
        key, entry = self._lookup(name)
        shape = self._shape(key, entry)
        wanted = resolve_slice_spec(shape, slice_spec, f"{name} in checkpoint {self.prefix}")
        if entry.slices:
            return plain_array(self._assemble(key, entry, wanted))
        if wanted.covers(shape):
            return plain_array(self._read(key, entry))
        return plain_array(np.array(self._read(key, entry, view=True)[wanted.indices(shape)]))

    def get_tensor_torch(self, name: str, *, out: torch.Tensor | None = None, mmap: bool = True):
        """The tensor as a torch tensor, with as few copies as possible.

        - ``out`` given: the bytes are read straight into ``out`` (a contiguous CPU tensor of the same dtype
          and element count; written in place, outside autograd) and ``out`` is returned. Restoring into
          existing variables this way needs no memory beyond the variables.
        - otherwise tensors of at least 1 MiB are memory-mapped copy-on-write (``mmap=True``): no copy,
          pages stay file-backed until written to; smaller ones are read into a new tensor.

        String tensors come back as numpy object arrays. Types torch lacks (int4, float8_e4m3b11fnuz...)
        raise ``errors.UnimplementedError``: read those with :meth:`get_tensor`.
        """
        key, entry = self._lookup(name)
        dtype = self._dtype(key, entry)
        shape = self._shape(key, entry)
        if dtype is DType.string:
            arr = self.get_tensor(name)
            if out is not None:
                raise TypeError(f"Cannot read string tensor {name} into a torch tensor")
            return arr
        if dtype.torch is None:
            raise errors.UnimplementedError(
                None, None, f"Tensor {name} has dtype {dtype.name}, which torch cannot hold; use get_tensor"
            )
        if out is not None:
            return self._read_into_tensor(key, entry, dtype, shape, out)
        if entry.slices:
            return numpy_to_torch(self.get_tensor(name), dtype)
        numel = num_elements(shape)
        if numel == 0:
            self._check_size(key, entry, dtype, shape)
            self._verify_crc(key, entry, 0)
            return torch.empty(shape, dtype=dtype.torch)
        if mmap and entry.size >= MMAP_THRESHOLD and not self._swap:
            mapped = self._map_verified(key, entry, dtype, shape)
            if mapped is not None:
                buf, start = mapped
                return torch.frombuffer(buf, dtype=dtype.torch, count=numel, offset=start).view(shape)
        t, buf = empty_tensor(shape, dtype)
        self._read_pod_into(key, entry, dtype, buf)
        return t

    def verify(self, name: str) -> None:
        """Checks one tensor completely without keeping it: dtype, shape, declared size == shape x dtype, its
        bytes present in the data file, and their crc32c (string lengths too). Memory stays at one read buffer
        (strings and partitioned variables are read and dropped).

        Restores call it for every tensor before assigning anything, so a damaged checkpoint changes nothing.

        Raises:
          errors.NotFoundError: no such key, or a missing data file.
          errors.DataLossError: anything else wrong with the stored tensor (naming the file and tensor).
        """
        key, entry = self._lookup(name)
        if entry.slices:
            self.get_tensor(name)
            return
        dtype = self._dtype(key, entry)
        shape = self._shape(key, entry)
        self._check_size(key, entry, dtype, shape)
        if dtype is DType.string:
            self._read(key, entry)
            return
        if entry.size == 0:
            self._verify_crc(key, entry, 0)
            return
        f = self._data_file(key, entry)
        self._check_range(key, entry, f)
        try:
            crc = f.crc(entry.offset, entry.size)
        except EOFError:
            raise errors.DataLossError(
                None, None, f"Read less bytes than requested {self._where(key, f.path)}"
            ) from None
        self._verify_crc(key, entry, crc, f)

    def close(self):
        for f in self._data_files.values():
            f.close()
        self._data_files.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        with contextlib.suppress(Exception):
            self.close()

    def __repr__(self):
        return f"CheckpointReader({self.prefix!r}, {len(self._names)} tensors)"

    # -- internals ---------------------------------------------------------------------------------

    def _where(self, key: bytes, path: str | None = None) -> str:
        return f"(tensor {_name(key)!r} in {path or self.index_path})"

    def _lookup(self, name) -> tuple[bytes, tensor_bundle_pb2.BundleEntryProto]:
        key = _key(name)
        entry = self._entries.get(key)
        if entry is None:
            raise errors.NotFoundError(None, None, f"Key {_name(key)} not found in checkpoint")
        return key, entry

    def _dtype(self, key, entry) -> DType:
        try:
            dtype = DType(entry.dtype)
        except ValueError:
            dtype = None
        if dtype is None or entry.dtype == 0 or dtype.is_ref_dtype:
            raise errors.DataLossError(None, None, f"Unknown dtype enum {entry.dtype} {self._where(key)}")
        return dtype

    def _shape(self, key, entry) -> tuple[int, ...]:
        shape = entry.shape
        if shape.unknown_rank or any(d.size < 0 for d in shape.dim):
            raise errors.DataLossError(
                None, None, f"Invalid tensor shape: {_name(key)} {shape} {self._where(key)}".replace("\n", " ")
            )
        return tuple(d.size for d in shape.dim)

    def _data_file(self, key, entry) -> DataFile:
        shard = entry.shard_id
        f = self._data_files.get(shard)
        if f is None:
            if not 0 <= shard < max(self.num_shards, 1):
                raise errors.DataLossError(
                    None, None, f"Shard id {shard} out of range [0, {self.num_shards}) {self._where(key)}"
                )
            path = data_filename(self.prefix, shard, self.num_shards)
            try:
                f = DataFile(path)
            except FileNotFoundError:
                raise errors.NotFoundError(
                    None, None, f"{path}; No such file or directory (reading tensor {_name(key)!r})"
                ) from None
            except OSError as e:
                raise errors.DataLossError(
                    None, None, f"{path}; {e.strerror} (reading tensor {_name(key)!r})"
                ) from None
            self._data_files[shard] = f
        return f

    def _check_size(self, key, entry, dtype, shape):
        numel = num_elements(shape)
        if dtype in UNSUPPORTED:
            raise errors.UnimplementedError(
                None, None, f"Reading {dtype.name} tensors is not supported {self._where(key)}"
            )
        if dtype is DType.string:
            if entry.size < (numel + 4 if numel else 0):
                raise errors.DataLossError(
                    None,
                    None,
                    f"Invalid size in bundle entry: key {_name(key)}; stored size {entry.size}; expected size is "
                    f"at least {numel + 4} {self._where(key)}",
                )
        elif entry.size != numel * dtype.size:
            raise errors.DataLossError(
                None,
                None,
                f"Invalid size in bundle entry: key {_name(key)}; stored size {entry.size}; expected size "
                f"{numel * dtype.size} {self._where(key)}",
            )

    def _check_range(self, key, entry, f: DataFile):
        end = entry.offset + entry.size
        if entry.offset < 0 or end > f.size:
            raise errors.DataLossError(
                None,
                None,
                f"Read less bytes than requested: tensor {_name(key)} needs bytes [{entry.offset}, {end}) but "
                f"{f.path} has {f.size} bytes (truncated data file?)",
            )

    def _verify_crc(self, key, entry, actual: int, f: DataFile | None = None):
        stored = sstable.unmask_crc(entry.crc32c)
        if stored != actual:
            path = f.path if f else data_filename(self.prefix, entry.shard_id, self.num_shards)
            raise errors.DataLossError(
                None,
                None,
                f"TensorBundle at {self.prefix} shard {entry.shard_id} ({entry.size} bytes): Checksum does not "
                f"match: stored {stored:08d} vs. calculated on the restored bytes {actual} "
                f"{self._where(key, path)}",
            )

    def _read(self, key, entry, *, view: bool = False) -> np.ndarray:
        """A stored (unsliced) tensor as numpy: a new array, or with ``view`` possibly a read-only map."""
        dtype = self._dtype(key, entry)
        shape = self._shape(key, entry)
        self._check_size(key, entry, dtype, shape)
        if entry.size:  # before allocating: a damaged entry must not ask for memory the file cannot fill
            self._check_range(key, entry, self._data_file(key, entry))
        if dtype is DType.string:
            return self._read_strings(key, entry, shape)
        if view and entry.size >= MMAP_THRESHOLD and not self._swap:
            mapped = self._map_verified(key, entry, dtype, shape)
            if mapped is not None:
                buf, start = mapped
                return np.frombuffer(buf, dtype=dtype.numpy, count=num_elements(shape), offset=start).reshape(shape)
        arr = np.empty(shape, dtype=dtype.numpy)
        self._read_pod_into(key, entry, dtype, arr.reshape(-1).view(np.uint8))
        return arr

    def _read_pod_into(self, key, entry, dtype: DType, dest: np.ndarray):
        """Reads a POD tensor's bytes into the uint8 array ``dest``, verifies the crc, fixes the byte order."""
        if entry.size == 0:
            self._verify_crc(key, entry, 0)
            return
        f = self._data_file(key, entry)
        self._check_range(key, entry, f)
        try:
            crc = f.read_into(entry.offset, dest)
        except EOFError:
            raise errors.DataLossError(
                None, None, f"Read less bytes than requested {self._where(key, f.path)}"
            ) from None
        self._verify_crc(key, entry, crc, f)
        if self._swap:
            item = dtype.size // (2 if dtype.is_complex else 1)
            if item > 1:
                dest.view(UINT_BY_SIZE[item]).byteswap(inplace=True)

    def _map_verified(self, key, entry, dtype: DType, shape) -> tuple[mmap.mmap, int] | None:
        """A crc-checked copy-on-write map of a POD tensor, or None when its start is misaligned."""
        f = self._data_file(key, entry)
        self._check_range(key, entry, f)
        if entry.offset % min(dtype.size, 8):
            return None  # misaligned (data files are packed); such tensors are copied instead
        buf, start = f.map(entry.offset, entry.size)
        self._verify_crc(key, entry, sstable.crc32c(np.frombuffer(buf, np.uint8, entry.size, start)), f)
        return buf, start

    def _read_into_tensor(self, key, entry, dtype, shape, out: torch.Tensor) -> torch.Tensor:
        numel = num_elements(shape)
        if out.dtype != dtype.torch or out.numel() != numel:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Cannot read {_name(key)} ({dtype.name} {list(shape)}) into a {out.dtype} tensor of shape "
                f"{list(out.shape)}",
            )
        with torch.no_grad():
            if entry.slices or out.device.type != "cpu" or not out.is_contiguous():
                out.copy_(self.get_tensor_torch(_name(key)).reshape(out.shape))
                return out
            self._check_size(key, entry, dtype, shape)
            self._read_pod_into(key, entry, dtype, byte_view(out))
        return out

    def _read_strings(self, key, entry, shape) -> np.ndarray:
        numel = num_elements(shape)
        out = np.empty(numel, dtype=object)
        if entry.size == 0:
            self._verify_crc(key, entry, 0)
            if numel:
                out[:] = [b""] * numel
            return out.reshape(shape)
        f = self._data_file(key, entry)
        self._check_range(key, entry, f)
        raw = np.empty(entry.size, dtype=np.uint8)
        try:
            f.read_into(entry.offset, raw)
        except EOFError:
            raise errors.DataLossError(
                None, None, f"Read less bytes than requested {self._where(key, f.path)}"
            ) from None
        lengths, pos = _decode_varints(raw, numel)
        if lengths is None or pos + 4 > raw.size:
            raise errors.DataLossError(
                None,
                None,
                f"String lengths longer than expected offset {entry.offset + entry.size} {self._where(key, f.path)}",
            )
        order = ">" if self.big_endian else "<"
        if numel and lengths.max() > 0xFFFFFFFF:
            raw_lengths = b"".join(
                struct.pack(f"{order}{'I' if n <= 0xFFFFFFFF else 'Q'}", n) for n in lengths.tolist()
            )
        else:
            raw_lengths = lengths.astype(f"{order}u4").tobytes()
        crc = sstable.crc32c(raw_lengths)
        stored_bytes = raw[pos : pos + 4].tobytes()
        stored = sstable.unmask_crc(struct.unpack(f"{order}I", stored_bytes)[0])
        if stored != crc:
            raise errors.DataLossError(
                None,
                None,
                f"The length checksum does not match: expected {stored:08d} but actual is {crc:08d} "
                f"{self._where(key, f.path)}",
            )
        crc = sstable.crc32c(stored_bytes, crc)
        pos += 4
        total = int(lengths.sum()) if numel else 0
        if pos + total > raw.size:
            raise errors.DataLossError(
                None,
                None,
                f"Read less bytes than requested: string data runs past the entry {self._where(key, f.path)}",
            )
        blob = raw[pos : pos + total].tobytes()
        self._verify_crc(key, entry, sstable.crc32c(blob, crc), f)
        ends = np.cumsum(lengths).tolist() if numel else []
        start = 0
        items = []
        for end in ends:
            items.append(blob[start:end])
            start = end
        out[:] = items
        return out.reshape(shape)

    def _assemble(self, key, entry, wanted: TensorSlice) -> np.ndarray:
        """Reads ``wanted`` of a partitioned tensor from its stored slices (TensorFlow's GetSliceValue)."""
        dtype = self._dtype(key, entry)
        full_shape = self._shape(key, entry)
        out_shape = wanted.shape_in(full_shape)
        pieces = []
        volume = 0
        for proto in entry.slices:
            stored = TensorSlice.from_proto(proto)
            try:
                stored.shape_in(full_shape)
            except errors.InvalidArgumentError as e:
                raise errors.DataLossError(None, None, f"{e.message} {self._where(key)}") from None
            overlap = stored.intersect(wanted, full_shape)
            if overlap is not None:
                pieces.append((stored, overlap))
                volume += overlap.num_elements(full_shape)
        if volume < num_elements(out_shape):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Does not have sufficient slices for partitioned tensor {_name(key)} to restore in slice_spec: "
                f"{wanted} {self._where(key)}",
            )
        # Check every slice's entry (and that its bytes exist) before allocating the result.
        entries = []
        for stored, _ in pieces:
            slice_key = encode_tensor_name_slice(key, stored)
            slice_entry = self._entries.get(slice_key)
            if slice_entry is None:
                raise errors.DataLossError(
                    None, None, f"Missing the entry of slice {stored} of {_name(key)} {self._where(key)}"
                )
            if slice_entry.dtype != entry.dtype or self._shape(slice_key, slice_entry) != stored.shape_in(full_shape):
                raise errors.DataLossError(
                    None, None, f"Slice {stored} of {_name(key)} has the wrong dtype or shape {self._where(key)}"
                )
            self._check_size(slice_key, slice_entry, dtype, stored.shape_in(full_shape))
            if slice_entry.size:
                self._check_range(slice_key, slice_entry, self._data_file(slice_key, slice_entry))
            if stored == wanted:
                return self._read(slice_key, slice_entry)
            entries.append((slice_key, slice_entry))
        covered = np.zeros(out_shape, dtype=bool)
        for stored, overlap in pieces:
            region = overlap.relative_to(wanted, full_shape)
            if covered[region].any():
                raise errors.DataLossError(
                    None, None, f"Overlapping slices of {_name(key)}: {stored} {self._where(key)}"
                )
            covered[region] = True
        if not covered.all():  # the volumes added up only because slices overlap
            raise errors.DataLossError(None, None, f"Overlapping slices of {_name(key)} {self._where(key)}")
        del covered
        out = np.empty(out_shape, dtype=dtype.numpy)
        for (stored, overlap), (slice_key, slice_entry) in zip(pieces, entries):
            values = self._read(slice_key, slice_entry, view=True)
            out[overlap.relative_to(wanted, full_shape)] = values[overlap.relative_to(stored, full_shape)]
        return out


def _decode_varints(raw: np.ndarray, count: int) -> tuple[np.ndarray | None, int]:
    """The first ``count`` varint64s of ``raw`` as uint64, and the position after them (None if malformed)."""
    if count == 0:
        return np.zeros(0, dtype=np.uint64), 0
    ends = np.flatnonzero(raw < 0x80)[:count]
    if ends.size < count:
        return None, 0
    starts = np.empty(count, dtype=np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    widths = ends - starts + 1
    if widths.max() > 10:
        return None, 0
    values = np.zeros(count, dtype=np.uint64)
    for k in range(int(widths.max())):
        sel = widths > k
        values[sel] |= (raw[starts[sel] + k] & 0x7F).astype(np.uint64) << np.uint64(7 * k)
    return values, int(ends[-1]) + 1


# -- restore, merge, sharded save -------------------------------------------------------------------------


def restore_v2(
    prefix: str | os.PathLike,
    tensor_names: Sequence[str],
    shape_and_slices: Sequence[str],
    dtypes: Sequence[DType] | None = None,
    *,
    as_torch: bool = False,
) -> list:
    """TensorFlow's RestoreV2 op: each named tensor, whole (``""``) or the given slice.

    Raises:
      errors.NotFoundError: a missing key ("Key <name> not found in checkpoint") or checkpoint.
      errors.InvalidArgumentError: a dtype differs from ``dtypes`` (TensorFlow's wording).
    """
    if len(tensor_names) != len(shape_and_slices) or (dtypes is not None and len(dtypes) != len(tensor_names)):
        raise errors.InvalidArgumentError(None, None, "tensor_names, shape_and_slices and dtypes differ in length")
    with CheckpointReader(prefix) as reader:
        if dtypes is not None:
            for name, want in zip(tensor_names, dtypes):
                have = reader.get_dtype(name)
                if as_dtype(want).base_dtype is not have:
                    raise errors.InvalidArgumentError(
                        None,
                        None,
                        f"tensor_name = {name}; expected dtype {datatype_string(as_dtype(want))} does not equal "
                        f"original dtype {datatype_string(have)}",
                    )
        out = []
        for name, spec in zip(tensor_names, shape_and_slices):
            if spec == "":
                value = reader.get_tensor_torch(name) if as_torch else reader.get_tensor(name)
            else:
                value = reader.get_slice(name, spec)
                if as_torch and value.dtype.kind != "O":
                    value = numpy_to_torch(value, reader.get_dtype(name))
            out.append(value)
        return out


def merge_bundles(
    prefixes: Sequence[str | os.PathLike],
    merged_prefix: str | os.PathLike,
    *,
    delete_old_dirs: bool = True,
    allow_missing_files: bool = False,
) -> list[str]:
    """TensorFlow's MergeV2Checkpoints: joins bundles into one checkpoint at ``merged_prefix``.

    Data files are renamed (not copied) to ``<merged_prefix>.data-0000i-of-0000N``, shard ids renumbered in
    order of first use, the slices of a partitioned variable found in several bundles joined, and the input
    ``.index`` files deleted (and with ``delete_old_dirs`` their directories, if empty).

    Returns:
      The merged checkpoint's file names (index first).
    """
    merged_prefix = os.fspath(merged_prefix)
    _make_parent_dir(merged_prefix)
    num_shards = 0
    first_header = None
    entries: dict[bytes, tensor_bundle_pb2.BundleEntryProto] = {}
    shard_ids: dict[str, int] = {}
    merged_inputs = []
    for prefix in map(os.fspath, prefixes):
        if allow_missing_files and not os.path.exists(index_filename(prefix)):
            continue
        header, raw_entries = _read_index(prefix)
        merged_inputs.append(prefix)
        num_shards += header.num_shards
        if first_header is None:
            first_header = header
        elif header.endianness != first_header.endianness:
            raise errors.InvalidArgumentError(
                None, None, "Merging bundles with conflicting endianness; inputs corrupted?"
            )
        elif header.version.SerializeToString(deterministic=True) != first_header.version.SerializeToString(
            deterministic=True
        ):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Merging bundles with different format versions: merged {first_header.version} vs. curr "
                f"{header.version}".replace("\n", " "),
            )
        for key, raw in raw_entries:
            existing = entries.get(key)
            if existing is not None and not existing.slices:
                raise errors.InvalidArgumentError(
                    None, None, f"Duplicate tensor keyed by {_name(key)} encountered, when merging prefix: {prefix}"
                )
            entry = tensor_bundle_pb2.BundleEntryProto()
            try:
                entry.ParseFromString(raw)
            except Exception:
                raise errors.DataLossError(None, None, f"Entry for key {_name(key)} not parseable.") from None
            if existing is not None:
                if not entry.slices:
                    raise errors.InternalError(
                        None,
                        None,
                        f"Duplicate tensor keyed by {_name(key)}; attempting to merge in a non-slice bundle entry",
                    )
                if existing.dtype != entry.dtype or existing.shape != entry.shape:
                    raise errors.InvalidArgumentError(
                        None, None, f"Slices of {_name(key)} disagree in dtype or shape across bundles"
                    )
                existing.slices.extend(entry.slices)
                continue
            path = data_filename(prefix, entry.shard_id, header.num_shards)
            entry.shard_id = shard_ids.setdefault(path, len(shard_ids))
            entries[key] = entry
    if first_header is None:
        raise errors.NotFoundError(
            None, None, f"None of the checkpoints to merge were found: {', '.join(map(os.fspath, prefixes))}"
        )
    total = len(shard_ids)
    files = [index_filename(merged_prefix)]
    moves = []
    for path, shard in shard_ids.items():
        if not os.path.exists(path):
            raise errors.NotFoundError(None, None, f"{path}; No such file or directory")
        moves.append((path, data_filename(merged_prefix, shard, total)))
        files.append(moves[-1][1])
    index = _write_index(
        files[0],
        _header(num_shards, first_header.endianness == tensor_bundle_pb2.BundleHeaderProto.BIG, first_header.version),
        sorted(entries.items()),
    )
    # Data files and index move into place as one step: a failure leaves a previous checkpoint whole.
    replace_together([*moves, (index.temp_path, files[0])])
    merged_dir = os.path.dirname(merged_prefix)
    for prefix in merged_inputs:
        if os.path.abspath(prefix) != os.path.abspath(merged_prefix):
            with contextlib.suppress(OSError):
                os.unlink(index_filename(prefix))
        if delete_old_dirs and os.path.dirname(prefix) != merged_dir:
            with contextlib.suppress(OSError):
                os.rmdir(os.path.dirname(prefix))
    return files


def write_sharded_bundle(
    prefix: str | os.PathLike,
    shards: Sequence[Mapping[str, Any]],
    *,
    dtypes: Mapping[str, DType] | None = None,
) -> list[str]:
    """Writes a sharded checkpoint the way TensorFlow's sharded Saver does.

    Each shard (TensorFlow: the variables of one device, groups sorted by device name) is written to
    ``<prefix>_temp/part-0000i-of-0000N``, then :func:`merge_bundles` joins them into ``<prefix>.index`` and
    ``<prefix>.data-0000i-of-0000N`` and removes the temporary directory.

    Returns:
      The checkpoint's file names (index first).
    """
    prefix = os.fspath(prefix)
    n = len(shards)
    parts = [f"{prefix}_temp/part-{i:05d}-of-{n:05d}" for i in range(n)]
    try:
        for part, shard in zip(parts, shards):
            write_bundle(part, shard, dtypes=dtypes)
    except BaseException:
        for part in parts:
            for path in (index_filename(part), data_filename(part, 0, 1)):
                with contextlib.suppress(OSError):
                    os.unlink(path)
        with contextlib.suppress(OSError):
            os.rmdir(f"{prefix}_temp")
        raise
    return merge_bundles(parts, prefix, delete_old_dirs=True)
