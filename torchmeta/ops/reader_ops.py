"""Reader ops (TF1 queue-based input): TFRecordReaderV2, TextLineReaderV2, WholeFileReaderV2,
FixedLengthRecordReaderV2 and ReaderReadV2 / ReaderReadUpToV2 / ReaderNumRecordsProducedV2 / ReaderResetV2.

A reader is a per-session resource that takes file names from a queue of strings (a work item per
file) and produces ``(key, value)`` records: ``b"<file>:<n>"`` keys as TensorFlow's readers make
them. When the current file is exhausted the next name is dequeued; once the queue is closed and
empty, reading raises the queue's OutOfRangeError. File errors are TensorFlow's: NotFoundError for a
missing file, DataLossError (with offset and file) for a corrupt TFRecord.
"""

from __future__ import annotations

import threading

import numpy as np
import torch

from torchmeta import errors
from torchmeta.framework.common_shapes import input_with_rank
from torchmeta.framework.registry import no_registered_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.io import tfrecord
from torchmeta.ops.common import resource_key, session_resource

__all__ = ["Reader", "TFRecordFileReader", "TextLineFileReader", "WholeFileReader", "FixedLengthFileReader"]


class Reader:
    """Reads records from one file after another, the names coming from a queue (TF's ReaderBase)."""

    def __init__(self, node_name: str):
        self.node_name = node_name
        self._lock = threading.Lock()
        self._work = None  # the current file name (bytes), or None
        self._produced = 0
        self._completed = 0

    # Subclasses: open(filename) then next_record() -> (key suffix, value) or None at the end of the file.
    def open(self, filename: str) -> None:
        raise NotImplementedError

    def next_record(self):
        raise NotImplementedError

    def close_file(self) -> None:
        pass

    def _next_work(self, queue) -> None:
        (name,) = queue.dequeue()
        name = np.asarray(name, dtype=object).reshape(()).item()
        self._work = name if isinstance(name, bytes) else str(name).encode()
        self.open(self._work.decode())

    def read(self, queue):
        with self._lock:
            while True:
                if self._work is None:
                    self._next_work(queue)
                record = self.next_record()
                if record is not None:
                    self._produced += 1
                    key, value = record
                    return self._work + b":" + key if key is not None else self._work, value
                self.close_file()
                self._work = None
                self._completed += 1

    def read_up_to(self, queue, n: int):
        keys, values = [], []
        with self._lock:
            while len(keys) < n:
                if self._work is None:
                    try:
                        self._next_work(queue)
                    except errors.OutOfRangeError:
                        if keys:
                            break
                        raise
                record = self.next_record()
                if record is None:
                    self.close_file()
                    self._work = None
                    self._completed += 1
                    continue
                self._produced += 1
                key, value = record
                keys.append(self._work + b":" + key if key is not None else self._work)
                values.append(value)
        return keys, values

    def num_records_produced(self) -> int:
        return self._produced

    def reset(self) -> None:
        with self._lock:
            self.close_file()
            self._work = None
            self._produced = 0
            self._completed = 0


class TFRecordFileReader(Reader):
    def __init__(self, node_name, compression_type: str):
        super().__init__(node_name)
        self._compression = compression_type
        self._reader = None

    def open(self, filename):
        self._reader = tfrecord.RecordReader(filename, self._compression)

    def next_record(self):
        offset = self._reader.offset
        data = self._reader.read()
        return None if data is None else (str(offset).encode(), data)

    def close_file(self):
        if self._reader is not None:
            self._reader.close()
            self._reader = None


class TextLineFileReader(Reader):
    def __init__(self, node_name, skip_header_lines: int):
        super().__init__(node_name)
        self._skip = skip_header_lines
        self._file = None
        self._line = 0

    def open(self, filename):
        self._file = tfrecord.open_input(filename)
        self._line = 0
        for _ in range(self._skip):
            if not self._readline():
                break

    def _readline(self):
        line = self._file.readline()
        if line:
            self._line += 1
        return line

    def next_record(self):
        line = self._readline()
        if not line:
            return None
        return str(self._line).encode(), line.rstrip(b"\n").removesuffix(b"\r")

    def close_file(self):
        if self._file is not None:
            self._file.close()
            self._file = None


class WholeFileReader(Reader):
    def __init__(self, node_name):
        super().__init__(node_name)
        self._data = None

    def open(self, filename):
        stream = tfrecord.open_input(filename)
        try:
            self._data = stream.read()
        finally:
            stream.close()

    def next_record(self):
        if self._data is None:
            return None
        data, self._data = self._data, None
        return None, data


class FixedLengthFileReader(Reader):
    def __init__(self, node_name, header_bytes, record_bytes, footer_bytes, hop_bytes):
        super().__init__(node_name)
        self._header, self._record, self._footer, self._hop = header_bytes, record_bytes, footer_bytes, hop_bytes
        self._data = b""
        self._pos = 0
        self._index = 0

    def open(self, filename):
        stream = tfrecord.open_input(filename)
        try:
            data = stream.read()
        finally:
            stream.close()
        end = len(data) - self._footer
        self._data = data[:end] if end >= 0 else b""
        self._pos = self._header
        self._index = 0

    def next_record(self):
        if self._pos + self._record > len(self._data):
            return None
        value = self._data[self._pos : self._pos + self._record]
        self._pos += self._hop or self._record
        self._index += 1
        return str(self._index - 1).encode(), value


def _handle_shape(op):
    return [TensorShape([])]


@register_op(
    "TFRecordReaderV2",
    outputs=["reader_handle: resource"],
    attrs=['container: string = ""', 'shared_name: string = ""', 'compression_type: string = ""'],
    shape=_handle_shape,
    stateful=True,
)
def tf_record_reader_v2(container, shared_name, compression_type, state, node_name):
    key = resource_key("reader", container, shared_name, node_name)
    return session_resource(state, key, lambda: TFRecordFileReader(node_name, compression_type))


@register_op(
    "TextLineReaderV2",
    outputs=["reader_handle: resource"],
    attrs=["skip_header_lines: int = 0", 'container: string = ""', 'shared_name: string = ""'],
    shape=_handle_shape,
    stateful=True,
)
def text_line_reader_v2(skip_header_lines, container, shared_name, state, node_name):
    key = resource_key("reader", container, shared_name, node_name)
    return session_resource(state, key, lambda: TextLineFileReader(node_name, skip_header_lines))


@register_op(
    "WholeFileReaderV2",
    outputs=["reader_handle: resource"],
    attrs=['container: string = ""', 'shared_name: string = ""'],
    shape=_handle_shape,
    stateful=True,
)
def whole_file_reader_v2(container, shared_name, state, node_name):
    key = resource_key("reader", container, shared_name, node_name)
    return session_resource(state, key, lambda: WholeFileReader(node_name))


@register_op(
    "FixedLengthRecordReaderV2",
    outputs=["reader_handle: resource"],
    attrs=[
        "header_bytes: int = 0",
        "record_bytes: int",
        "footer_bytes: int = 0",
        "hop_bytes: int = 0",
        'container: string = ""',
        'shared_name: string = ""',
        'encoding: string = ""',
    ],
    shape=_handle_shape,
    stateful=True,
)
def fixed_length_record_reader_v2(
    header_bytes, record_bytes, footer_bytes, hop_bytes, container, shared_name, encoding, state, node_name
):
    if encoding:
        raise errors.UnimplementedError(None, None, f"FixedLengthRecordReader encoding {encoding!r} is not supported")
    key = resource_key("reader", container, shared_name, node_name)
    return session_resource(
        state, key, lambda: FixedLengthFileReader(node_name, header_bytes, record_bytes, footer_bytes, hop_bytes)
    )


def _scalar(value: bytes) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = value
    return out


def _read_shape(op):
    return [TensorShape([]), TensorShape([])]


@register_op(
    "ReaderReadV2",
    inputs=["reader_handle: resource", "queue_handle: resource"],
    outputs=["key: string", "value: string"],
    shape=_read_shape,
    stateful=True,
)
def reader_read_v2(reader_handle, queue_handle):
    key, value = reader_handle.read(queue_handle)
    return _scalar(key), _scalar(value)


def _read_up_to_shape(op):
    input_with_rank(op, 2, 0)
    return [TensorShape([None]), TensorShape([None])]


@register_op(
    "ReaderReadUpToV2",
    inputs=["reader_handle: resource", "queue_handle: resource", "num_records: int64"],
    outputs=["keys: string", "values: string"],
    shape=_read_up_to_shape,
    stateful=True,
)
def reader_read_up_to_v2(reader_handle, queue_handle, num_records):
    n = int(num_records)
    if n <= 0:
        raise errors.InvalidArgumentError(None, None, f"num_records ({n}) must be > 0")
    keys, values = reader_handle.read_up_to(queue_handle, n)
    k = np.empty(len(keys), dtype=object)
    k[:] = keys
    v = np.empty(len(values), dtype=object)
    v[:] = values
    return k, v


@register_op(
    "ReaderNumRecordsProducedV2",
    inputs=["reader_handle: resource"],
    outputs=["records_produced: int64"],
    shape=lambda op: [TensorShape([])],
    stateful=True,
)
def reader_num_records_produced_v2(reader_handle):
    return torch.tensor(reader_handle.num_records_produced(), dtype=torch.int64)


@register_op(
    "ReaderResetV2",
    inputs=["reader_handle: resource"],
    shape=lambda op: [],
    stateful=True,
)
def reader_reset_v2(reader_handle):
    reader_handle.reset()


no_registered_gradient(
    "TFRecordReaderV2",
    "TextLineReaderV2",
    "WholeFileReaderV2",
    "FixedLengthRecordReaderV2",
    "ReaderReadV2",
    "ReaderReadUpToV2",
    "ReaderNumRecordsProducedV2",
    "ReaderResetV2",
)
