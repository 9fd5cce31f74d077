"""TFRecord files: records framed with TensorFlow's masked crc32c, optionally ZLIB- or GZIP-compressed.

A record is ``uint64 length | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)``,
little-endian. Compressed files are one zlib (ZLIB) or gzip (GZIP) stream over those bytes, written
with TensorFlow's zlib settings (``mem_level`` 9, default level and strategy) and the same buffering
(header, data and footer appended apart through a 256 KiB input buffer; ``flush()`` a partial
flush), so the compressed bytes equal TensorFlow's too. One known gap: with a non-default
``flush_mode`` (sync/full) and a tiny ``output_buffer_size``, TensorFlow's writer sometimes repeats
zlib's empty flush block where this one does not (the files decode to the same records).

The same verbs as the other formats: :class:`TFRecordWriter` (``write``/``flush``/``close``) and
:func:`tf_record_iterator`; :class:`RecordReader` is the reader the TFRecordDataset and
TFRecordReaderV2 ops use (it knows each record's offset for error messages).
"""

from __future__ import annotations

import os
import struct
import zlib

import google_crc32c

from torchmeta import errors
from torchmeta.io.sstable import mask_crc

__all__ = [
    "TFRecordCompressionType",
    "TFRecordOptions",
    "TFRecordWriter",
    "tf_record_iterator",
    "RecordReader",
    "encode_record",
    "open_input",
]

HEADER_SIZE = 12  # uint64 length + uint32 masked crc of the length
FOOTER_SIZE = 4
_Q = struct.Struct("<Q")
_I = struct.Struct("<I")
# TensorFlow's ZlibCompressionOptions defaults (zlib_compression_options.h).
_DEFAULT_BUFFER = 256 << 10
_DEFAULT_MEM_LEVEL = 9
_READ_BUFFER = 256 << 10


class TFRecordCompressionType:
    """The type of compression for the records (``tf.io.TFRecordCompressionType``)."""

    NONE = 0
    ZLIB = 1
    GZIP = 2


class TFRecordOptions:
    """Options for TFRecord files (``tf.io.TFRecordOptions``); ``None`` leaves TensorFlow's default.

    Args:
      compression_type: ``"GZIP"``, ``"ZLIB"``, ``""`` (none), a ``TFRecordCompressionType`` or None.
      flush_mode: zlib flush mode for buffered data (default ``Z_NO_FLUSH``).
      input_buffer_size, output_buffer_size: zlib stream buffer sizes (default 256 KiB).
      window_bits: zlib window bits (default 15; GZIP adds 16 for the gzip wrapper).
      compression_level: 0 to 9 (default ``Z_DEFAULT_COMPRESSION``).
      compression_method: default ``Z_DEFLATED``.
      mem_level: 1 to 9 (default 9).
      compression_strategy: default ``Z_DEFAULT_STRATEGY``.

    Raises:
      ValueError: if ``compression_type`` is not one of the above.
    """

    compression_type_map = {
        TFRecordCompressionType.ZLIB: "ZLIB",
        TFRecordCompressionType.GZIP: "GZIP",
        TFRecordCompressionType.NONE: "",
    }

    def __init__(
        self,
        compression_type=None,
        flush_mode=None,
        input_buffer_size=None,
        output_buffer_size=None,
        window_bits=None,
        compression_level=None,
        compression_method=None,
        mem_level=None,
        compression_strategy=None,
    ):
        self.get_compression_type_string(compression_type)
        self.compression_type = compression_type
        self.flush_mode = flush_mode
        self.input_buffer_size = input_buffer_size
        self.output_buffer_size = output_buffer_size
        self.window_bits = window_bits
        self.compression_level = compression_level
        self.compression_method = compression_method
        self.mem_level = mem_level
        self.compression_strategy = compression_strategy

    @classmethod
    def get_compression_type_string(cls, options) -> str:
        """``options`` (TFRecordOptions, TFRecordCompressionType value or string) as ``"ZLIB"``/``"GZIP"``/``""``.

        Raises:
          ValueError: if it names no compression type.
        """
        if not options:
            return ""
        if isinstance(options, TFRecordOptions):
            return cls.get_compression_type_string(options.compression_type)
        if isinstance(options, bytes):
            options = options.decode()
        if not isinstance(options, (list, dict)) and options in cls.compression_type_map:
            return cls.compression_type_map[options]
        if options in cls.compression_type_map.values():
            return options
        raise ValueError(f'Not a valid compression_type: "{options}"')

    def _zlib_settings(self):
        kind = self.get_compression_type_string(self)
        window_bits = self.window_bits
        if window_bits is None:
            window_bits = zlib.MAX_WBITS + (16 if kind == "GZIP" else 0)
        return {
            "level": zlib.Z_DEFAULT_COMPRESSION if self.compression_level is None else self.compression_level,
            "method": zlib.DEFLATED if self.compression_method is None else self.compression_method,
            "wbits": window_bits,
            "memLevel": _DEFAULT_MEM_LEVEL if self.mem_level is None else self.mem_level,
            "strategy": zlib.Z_DEFAULT_STRATEGY if self.compression_strategy is None else self.compression_strategy,
        }


def _as_options(options) -> TFRecordOptions:
    return options if isinstance(options, TFRecordOptions) else TFRecordOptions(compression_type=options)


def _masked_crc(data) -> bytes:
    return _I.pack(mask_crc(google_crc32c.value(data)))


def _record_parts(data: bytes) -> tuple[bytes, bytes, bytes]:
    header = _Q.pack(len(data))
    return header + _masked_crc(header), data, _masked_crc(data)


def encode_record(data: bytes) -> bytes:
    """One record's bytes: length, its masked crc32c, the data, the data's masked crc32c."""
    return b"".join(_record_parts(data))


def _path_str(path) -> str:
    if isinstance(path, bytes):
        path = path.decode()
    path = os.fspath(path)
    return path[len("file://") :] if path.startswith("file://") else path


def _os_error(path: str, e: OSError, verb: str) -> errors.OpError:
    reason = e.strerror or str(e)
    if isinstance(e, FileNotFoundError):
        if verb == "read":
            return errors.NotFoundError(None, None, f"{path}; {reason}")
        return errors.NotFoundError(None, None, f"Failed to create a NewWriteableFile: {path} : {reason}")
    if isinstance(e, PermissionError):
        return errors.PermissionDeniedError(None, None, f"{path}; {reason}")
    if isinstance(e, IsADirectoryError):
        return errors.FailedPreconditionError(None, None, f"{path}; Is a directory")
    return errors.UnknownError(None, None, f"{path}; {reason}")


class _ZlibOutput:
    """TensorFlow's ZlibOutputBuffer: appends go through an input buffer deflated with ``flush_mode``.

    With Z_SYNC_FLUSH / Z_FULL_FLUSH, TF's loop calls deflate again whenever a call filled its output
    buffer, and zlib then emits one more empty stored block; the output position is tracked so the
    same markers appear here. (A Z_PARTIAL_FLUSH from ``flush()`` ending exactly at an output-buffer
    boundary would add a 10-bit empty block in TF that Python's zlib cannot emit; that needs a flush
    landing on a multiple of the 256 KiB output buffer.)
    """

    _MARKER = b"\x00\x00\x00\xff\xff"  # an empty stored block on a byte boundary

    def __init__(self, file, options: TFRecordOptions):
        self._file = file
        self._flush_mode = zlib.Z_NO_FLUSH if options.flush_mode is None else options.flush_mode
        self._capacity = _DEFAULT_BUFFER if options.input_buffer_size is None else options.input_buffer_size
        self._out_capacity = _DEFAULT_BUFFER if options.output_buffer_size is None else options.output_buffer_size
        self._stream = zlib.compressobj(**options._zlib_settings())
        self._pending = bytearray()
        self._out_pos = 0  # bytes in TF's output buffer

    def _emit(self, out: bytes, mode: int, check_small: bool) -> None:
        """Writes one deflate round's output as TF's do/while over its output buffer produces it.

        zlib appends a flush's closing empty stored block (the last 5 bytes) after the data; when that
        write leaves TF's output buffer full, TF calls deflate again and zlib emits one more.
        """
        cap = self._out_capacity
        if check_small and mode in (zlib.Z_SYNC_FLUSH, zlib.Z_FULL_FLUSH) and cap - self._out_pos < 6:
            self._out_pos = 0
        if mode not in (zlib.Z_SYNC_FLUSH, zlib.Z_FULL_FLUSH) or len(out) < len(self._MARKER):
            self._advance(len(out))
            self._file.write(out)
            return
        chunks = [out]
        self._advance(len(out) - len(self._MARKER))
        tail = len(self._MARKER)
        while True:
            if self._out_pos == cap:
                self._out_pos = 0
            full = self._out_pos + tail >= cap
            self._advance(tail)
            if not full:
                break
            chunks.append(self._MARKER)
            tail = len(self._MARKER)
        self._file.write(b"".join(chunks))

    def _advance(self, n: int) -> None:
        """Moves the output-buffer position by ``n`` bytes written (the buffer empties when full)."""
        cap = self._out_capacity
        if n == 0:
            return
        if self._out_pos == cap:
            self._out_pos = 0
        n -= cap - self._out_pos
        if n <= 0:
            self._out_pos = cap + n
            return
        self._out_pos = n % cap or cap

    def _deflate_buffered(self, mode) -> None:
        out = self._stream.compress(bytes(self._pending))
        self._pending.clear()
        if mode != zlib.Z_NO_FLUSH:
            out += self._stream.flush(mode)
        self._emit(out, mode, True)

    def write(self, data: bytes) -> None:
        if len(data) <= self._capacity - len(self._pending):
            self._pending += data
            return
        self._deflate_buffered(self._flush_mode)
        if len(data) <= self._capacity:
            self._pending += data
            return
        out = self._stream.compress(data)
        if self._flush_mode != zlib.Z_NO_FLUSH:
            out += self._stream.flush(self._flush_mode)
        self._emit(out, self._flush_mode, False)

    def flush(self) -> None:
        self._deflate_buffered(zlib.Z_PARTIAL_FLUSH)  # TF's ZlibOutputBuffer::Flush
        self._out_pos = 0
        self._file.flush()

    def close(self) -> None:
        self._file.write(self._stream.compress(bytes(self._pending)) + self._stream.flush(zlib.Z_FINISH))
        self._pending.clear()
        self._file.close()


class TFRecordWriter:
    """Writes records to a TFRecord file (``tf.io.TFRecordWriter``, ``tf.python_io.TFRecordWriter``).

    Args:
      path: the file to create (``file://`` URIs accepted).
      options: a ``TFRecordOptions``, a ``TFRecordCompressionType`` value, or ``"GZIP"``/``"ZLIB"``/``""``.

    Raises:
      NotFoundError / PermissionDeniedError: if the file cannot be created (TensorFlow's wording).
      ValueError: if ``options`` names no compression type.

    Example::

        with TFRecordWriter("train.tfrecord") as writer:
            writer.write(example.SerializeToString())
    """

    def __init__(self, path, options=None):
        options = _as_options(options)
        self._path = _path_str(path)
        try:
            file = open(self._path, "wb")  # noqa: SIM115 - closed by close()
        except OSError as e:
            raise _os_error(self._path, e, "write") from None
        kind = TFRecordOptions.get_compression_type_string(options)
        self._compressed = bool(kind)
        self._out = _ZlibOutput(file, options) if kind else file
        self._closed = False

    def write(self, record) -> None:
        """Appends one record (bytes, or str encoded as UTF-8)."""
        if self._closed:
            raise errors.FailedPreconditionError(None, None, "Writer is closed.")
        if isinstance(record, str):
            record = record.encode()
        if self._compressed:  # TF appends header, data and footer apart: the zlib buffering sees three writes
            for part in _record_parts(bytes(record)):
                self._out.write(part)
        else:
            self._out.write(encode_record(bytes(record)))

    def flush(self) -> None:
        """Writes buffered records to the file (compressed files: as far as ``flush_mode`` allows)."""
        if self._closed:
            raise errors.FailedPreconditionError(None, None, "Writer is closed.")
        self._out.flush()

    def close(self) -> None:
        """Finishes the file; further writes raise FailedPreconditionError."""
        if not self._closed:
            self._closed = True
            self._out.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        if not getattr(self, "_closed", True):
            self.close()


class _ZlibInput:
    """A raw file read through a zlib/gzip decompressor, exposing ``read(n)``."""

    def __init__(self, file, window_bits: int, buffer_size: int):
        self._file = file
        self._buffer_size = buffer_size
        self._window_bits = window_bits
        self._stream = zlib.decompressobj(window_bits)
        self._out = bytearray()

    def read(self, n: int) -> bytes:
        while len(self._out) < n:
            if self._stream.unconsumed_tail:
                chunk = self._stream.unconsumed_tail
            else:
                chunk = self._file.read(self._buffer_size)
                if not chunk:
                    if self._stream.eof:
                        break
                    self._out += self._stream.flush()
                    break
            if self._stream.eof:  # concatenated gzip members, as zlib's inflate reads them
                rest = self._stream.unused_data + chunk
                self._stream = zlib.decompressobj(self._window_bits)
                chunk = rest
            try:
                self._out += self._stream.decompress(chunk)
            except zlib.error as e:
                raise errors.DataLossError(None, None, f"inflate() failed with error -3: {e}") from None
        data = bytes(self._out[:n])
        del self._out[:n]
        return data

    def close(self) -> None:
        self._file.close()


def open_input(path, compression_type: str = "", buffer_size: int = _READ_BUFFER):
    """Opens ``path`` for reading through ``compression_type``'s decompressor: an object with ``read(n)``.

    Raises:
      NotFoundError / PermissionDeniedError: if the file cannot be opened (TensorFlow's wording).
    """
    path = _path_str(path)
    try:
        if os.path.isdir(path):
            raise IsADirectoryError(path)
        file = open(path, "rb", buffering=max(buffer_size, 1))  # noqa: SIM115 - the reader closes it
    except OSError as e:
        raise _os_error(path, e, "read") from None
    if compression_type == "ZLIB":
        return _ZlibInput(file, zlib.MAX_WBITS, buffer_size or _READ_BUFFER)
    if compression_type == "GZIP":
        return _ZlibInput(file, zlib.MAX_WBITS + 16, buffer_size or _READ_BUFFER)
    if compression_type:
        raise errors.InvalidArgumentError(None, None, f"Unsupported compression_type: {compression_type}")
    return file


class RecordReader:
    """Reads the records of one TFRecord file in order, checking both checksums of each.

    ``offset`` is the position (in the uncompressed stream) of the next record.

    Raises (from :meth:`read`):
      DataLossError: ``corrupted record at <offset>`` / ``truncated record at <offset>`` (TensorFlow's
        wording and offsets), followed by the file name. A partial header at the end of the file ends
        it without an error, as in TensorFlow.
    """

    def __init__(self, path, compression_type: str = "", buffer_size: int = _READ_BUFFER):
        self.path = _path_str(path)
        self._stream = open_input(self.path, compression_type, buffer_size)
        self.offset = 0

    def _data_loss(self, what: str, offset: int) -> errors.DataLossError:
        hint = " (Is this even a TFRecord file?)" if offset == 0 and what == "corrupted" else ""
        return errors.DataLossError(None, None, f"{what} record at {offset}{hint} in file {self.path}")

    def read(self) -> bytes | None:
        """The next record, or None at the end of the file."""
        header = self._stream.read(HEADER_SIZE)
        if len(header) < HEADER_SIZE:  # a partial header ends the file, as in TensorFlow's reader
            return None
        if _masked_crc(header[:8]) != header[8:]:
            raise self._data_loss("corrupted", self.offset)
        (length,) = _Q.unpack_from(header)
        data_offset = self.offset + HEADER_SIZE
        body = self._read_up_to(length + FOOTER_SIZE)
        if len(body) < length + FOOTER_SIZE:
            raise self._data_loss("truncated", self.offset)
        data = body[:length]
        if _masked_crc(data) != body[length:]:
            raise self._data_loss("corrupted", data_offset)
        self.offset = data_offset + length + FOOTER_SIZE
        return data

    def _read_up_to(self, n: int) -> bytes:
        """``n`` bytes, or fewer at the end of the file: read in pieces, so that a corrupt length (up to 2**64)
        costs no more memory than the file holds."""
        if n <= _READ_BUFFER:
            return self._stream.read(n)
        parts = []
        while n > 0:
            part = self._stream.read(min(n, _READ_BUFFER))
            if not part:
                break
            parts.append(part)
            n -= len(part)
        return b"".join(parts)

    def __iter__(self):
        while True:
            record = self.read()
            if record is None:
                return
            yield record

    def close(self) -> None:
        self._stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def tf_record_iterator(path, options=None):
    """Yields the records of a TFRecord file (``tf.io.tf_record_iterator``).

    Args:
      path: the file.
      options: compression as for :class:`TFRecordWriter`.

    Raises:
      NotFoundError: if ``path`` cannot be opened (at once, as TensorFlow).
      DataLossError: while iterating, at a corrupt or truncated record (naming offset and file).
    """
    reader = RecordReader(path, TFRecordOptions.get_compression_type_string(options))
    return _iterate(reader)


def _iterate(reader: RecordReader):
    with reader:
        yield from reader
