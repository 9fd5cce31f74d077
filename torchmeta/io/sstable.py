"""LevelDB-format immutable tables (SSTables), the layout of TensorFlow's V2 checkpoint ``.index`` files.

Byte-compatible with TensorFlow's ``tsl/lib/io/table_builder.cc``: same block size (256 KiB), restart
intervals (16 for data blocks, 1 for the index block), index separator keys and footer, so a table built
here from the same entries equals TensorFlow's byte for byte. Blocks are never compressed (TensorFlow's
bundles never are either). crc32c comes from ``google-crc32c`` (C-accelerated).
"""

from __future__ import annotations

import struct

import google_crc32c
import numpy as np

from torchmeta import errors

__all__ = [
    "BLOCK_SIZE",
    "FOOTER_SIZE",
    "MAGIC",
    "TableWriter",
    "crc32c",
    "decode_varint",
    "encode_varint",
    "mask_crc",
    "read_table",
    "unmask_crc",
]

MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48  # two BlockHandles padded to 40 bytes, then the 8-byte magic
BLOCK_TRAILER_SIZE = 5  # compression type byte + masked crc32c
BLOCK_SIZE = 262144  # TensorFlow's table_options.h (LevelDB uses 4096)
BLOCK_RESTART_INTERVAL = 16
_MASK_DELTA = 0xA282EAD8
_U32 = 0xFFFFFFFF
_ONE_BYTE_VARINTS = [bytes([i]) for i in range(128)]


# -- crc32c ----------------------------------------------------------------------------------------


def crc32c(data, crc: int = 0) -> int:
    """CRC-32C of ``data`` (bytes or any C-contiguous buffer), continuing from ``crc``."""
    if not isinstance(data, bytes):
        data = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data.reshape(-1)
        if data.dtype != np.uint8:
            data = data.view(np.uint8)
        if data.flags.writeable:  # google_crc32c only takes read-only buffers
            data = data.view()
            data.flags.writeable = False
    return google_crc32c.extend(crc, data)


def mask_crc(crc: int) -> int:
    """LevelDB's crc masking: rotate right by 15 bits and add a constant (mod 2**32)."""
    return ((((crc >> 15) | (crc << 17)) & _U32) + _MASK_DELTA) & _U32


def unmask_crc(masked: int) -> int:
    """The inverse of :func:`mask_crc`."""
    rot = (masked - _MASK_DELTA) & _U32
    return ((rot >> 17) | (rot << 15)) & _U32


# -- varints ---------------------------------------------------------------------------------------


def encode_varint(value: int) -> bytes:
    """Protobuf-style base-128 varint of a non-negative integer."""
    if value < 128:
        return _ONE_BYTE_VARINTS[value]
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_varint(buf, pos: int, limit: int, max_bytes: int = 10) -> tuple[int, int]:
    """Decodes a varint at ``buf[pos:limit]``; returns ``(value, next_pos)``.

    Raises:
      ValueError: the varint runs past ``limit`` or is longer than ``max_bytes`` (5 for varint32).
    """
    result = 0
    shift = 0
    end = min(limit, pos + max_bytes)
    while pos < end:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
    raise ValueError("truncated or overlong varint")


# -- writing ---------------------------------------------------------------------------------------


class _BlockBuilder:
    """Prefix-compressed entries plus the restart array (LevelDB's BlockBuilder)."""

    __slots__ = ("buffer", "counter", "interval", "last_key", "restarts")

    def __init__(self, interval: int):
        self.interval = interval
        self.reset()

    def reset(self):
        self.buffer = bytearray()
        self.restarts = [0]
        self.counter = 0
        self.last_key = b""

    def empty(self) -> bool:
        return not self.buffer

    def size_estimate(self) -> int:
        return len(self.buffer) + 4 * len(self.restarts) + 4

    def add(self, key: bytes, value: bytes):
        shared = 0
        if self.counter < self.interval:
            last = self.last_key
            limit = min(len(last), len(key))
            while shared < limit and last[shared] == key[shared]:
                shared += 1
        else:
            self.restarts.append(len(self.buffer))
            self.counter = 0
        buf = self.buffer
        buf += encode_varint(shared)
        buf += encode_varint(len(key) - shared)
        buf += encode_varint(len(value))
        buf += key[shared:]
        buf += value
        self.last_key = key
        self.counter += 1

    def finish(self) -> bytes:
        return bytes(self.buffer) + struct.pack(f"<{len(self.restarts) + 1}I", *self.restarts, len(self.restarts))


def _shortest_separator(start: bytes, limit: bytes) -> bytes:
    """A short key ``k`` with ``start <= k < limit`` (TensorFlow's FindShortestSeparator)."""
    n = min(len(start), len(limit))
    i = 0
    while i < n and start[i] == limit[i]:
        i += 1
    if i < n:
        byte = start[i]
        if byte < 0xFF and byte + 1 < limit[i]:
            return start[:i] + bytes([byte + 1])
    return start


def _short_successor(key: bytes) -> bytes:
    """A short key ``>= key`` (TensorFlow's FindShortSuccessor): bump the first byte that is not 0xff."""
    for i, byte in enumerate(key):
        if byte != 0xFF:
            return key[:i] + bytes([byte + 1])
    return key


def _encode_handle(offset: int, size: int) -> bytes:
    return encode_varint(offset) + encode_varint(size)


class TableWriter:
    """Builds an SSTable into a binary file object, exactly as TensorFlow's TableBuilder does.

    Keys must be added in strictly increasing bytewise order.

    Args:
      file: a writable binary file object positioned at the start of the table.
      block_size: target data block size (TensorFlow: 262144).
    """

    def __init__(self, file, *, block_size: int = BLOCK_SIZE):
        self._file = file
        self._block_size = block_size
        self._offset = 0
        self._data = _BlockBuilder(BLOCK_RESTART_INTERVAL)
        self._index = _BlockBuilder(1)
        self._last_key: bytes | None = None
        self._pending_handle: bytes | None = None  # handle of a flushed block awaiting its index key
        self._closed = False

    def add(self, key: bytes, value: bytes):
        if self._closed:
            raise ValueError("TableWriter.add after finish")
        last = self._last_key
        if last is not None:
            if key <= last:
                raise ValueError(f"SSTable keys must be strictly increasing: {key!r} after {last!r}")
            if len(key) + len(value) >= 2 * self._block_size:  # keep an overly large entry in its own block
                self._flush()
        if self._pending_handle is not None:
            self._index.add(_shortest_separator(last, key), self._pending_handle)
            self._pending_handle = None
        self._last_key = key
        self._data.add(key, value)
        if self._data.size_estimate() >= self._block_size:
            self._flush()

    def _flush(self):
        if self._data.empty():
            return
        self._pending_handle = self._write_block(self._data)

    def _write_block(self, block: _BlockBuilder) -> bytes:
        contents = block.finish()
        block.reset()
        handle = _encode_handle(self._offset, len(contents))
        crc = crc32c(b"\x00", crc32c(contents))  # the crc covers the compression type byte too
        self._file.write(contents)
        self._file.write(b"\x00" + struct.pack("<I", mask_crc(crc)))
        self._offset += len(contents) + BLOCK_TRAILER_SIZE
        return handle

    def finish(self) -> int:
        """Writes the metaindex and index blocks and the footer; returns the table's size in bytes."""
        self._flush()
        self._closed = True
        metaindex = self._write_block(_BlockBuilder(BLOCK_RESTART_INTERVAL))
        if self._pending_handle is not None:
            self._index.add(_short_successor(self._last_key), self._pending_handle)
            self._pending_handle = None
        index = self._write_block(self._index)
        footer = (metaindex + index).ljust(FOOTER_SIZE - 8, b"\x00") + struct.pack("<Q", MAGIC)
        self._file.write(footer)
        self._offset += len(footer)
        return self._offset


# -- reading ---------------------------------------------------------------------------------------


def _corrupt(filename, detail: str) -> errors.DataLossError:
    return errors.DataLossError(None, None, f"{detail} (file: {filename})")


def _decode_handle(buf, pos: int, limit: int) -> tuple[int, int, int]:
    offset, pos = decode_varint(buf, pos, limit)
    size, pos = decode_varint(buf, pos, limit)
    return offset, size, pos


def _check_block(data: bytes, offset: int, size: int, filename):
    """Verifies the trailer of the block at ``data[offset:offset + size]``."""
    end = offset + size
    if end + BLOCK_TRAILER_SIZE > len(data) - FOOTER_SIZE:
        raise _corrupt(filename, "truncated block read")
    stored = struct.unpack_from("<I", data, end + 1)[0]
    if unmask_crc(stored) != crc32c(data[end : end + 1], crc32c(memoryview(data)[offset:end])):
        raise _corrupt(filename, "block checksum mismatch")
    if data[end] != 0:
        raise _corrupt(
            filename,
            f"block compression type {data[end]} is not supported (TensorFlow writes checkpoint indexes uncompressed)",
        )


def _block_entries(data: bytes, offset: int, size: int, filename):
    """Yields ``(key, value)`` of every entry of the block at ``data[offset:offset + size]``."""
    _check_block(data, offset, size, filename)
    if size < 4:
        raise _corrupt(filename, "bad block contents")
    block_end = offset + size
    num_restarts = struct.unpack_from("<I", data, block_end - 4)[0]
    limit = block_end - 4 - 4 * num_restarts
    if num_restarts == 0 or limit < offset:
        raise _corrupt(filename, "bad block contents")
    pos = offset
    key = b""
    while pos < limit:
        try:
            shared, pos = decode_varint(data, pos, limit, 5)
            unshared, pos = decode_varint(data, pos, limit, 5)
            value_len, pos = decode_varint(data, pos, limit, 5)
        except ValueError:
            raise _corrupt(filename, "bad entry in block") from None
        if shared > len(key) or pos + unshared + value_len > limit:
            raise _corrupt(filename, "bad entry in block")
        key = key[:shared] + data[pos : pos + unshared]
        pos += unshared
        yield key, data[pos : pos + value_len]
        pos += value_len


def read_table(data: bytes, filename="<table>") -> list[tuple[bytes, bytes]]:
    """Parses a whole SSTable held in ``data``; returns its ``(key, value)`` pairs in table order.

    Every block's crc is verified.

    Raises:
      errors.DataLossError: not an SSTable, or corrupt (the message names ``filename``).
    """
    if len(data) < FOOTER_SIZE:
        raise _corrupt(filename, "file is too short to be an sstable")
    if struct.unpack_from("<Q", data, len(data) - 8)[0] != MAGIC:
        raise _corrupt(filename, "not an sstable (bad magic number)")
    footer_start = len(data) - FOOTER_SIZE
    try:
        _, _, pos = _decode_handle(data, footer_start, footer_start + 40)
        index_offset, index_size, _ = _decode_handle(data, pos, footer_start + 40)
    except ValueError:
        raise _corrupt(filename, "bad block handle") from None
    entries: list[tuple[bytes, bytes]] = []
    for _, handle in list(_block_entries(data, index_offset, index_size, filename)):
        try:
            offset, size, _ = _decode_handle(handle, 0, len(handle))
        except ValueError:
            raise _corrupt(filename, "bad block handle") from None
        entries.extend(_block_entries(data, offset, size, filename))
    return entries
