"""TF1 readers (``tf.TFRecordReader``, ``tf.TextLineReader``, ``tf.WholeFileReader``,
``tf.FixedLengthRecordReader``): ``read(queue)`` builds ReaderReadV2 and returns ``(key, value)``; the file ops
``tf.io.read_file``, ``tf.io.write_file`` and ``tf.io.matching_files``."""

from __future__ import annotations

from torchmeta.framework.graph import Tensor
from torchmeta.framework.op_def_library import raw_op
from torchmeta.io.tfrecord import TFRecordOptions

__all__ = [
    "ReaderBase",
    "TFRecordReader",
    "TextLineReader",
    "WholeFileReader",
    "FixedLengthRecordReader",
    "matching_files",
    "read_file",
    "write_file",
]


def matching_files(pattern, name=None):
    """``tf.io.matching_files``: the sorted names of the files matching the glob ``pattern`` (a scalar or a vector
    of patterns), when the op runs (MatchingFiles)."""
    return raw_op("MatchingFiles", pattern=pattern, name=name)


def read_file(filename, name=None):
    """``tf.io.read_file`` (TF1: ``tf.read_file``): the contents of the file ``filename`` (a scalar string), read
    when the op runs (ReadFile)."""
    return raw_op("ReadFile", filename=filename, name=name)


def write_file(filename, contents, name=None):
    """``tf.io.write_file`` (TF1: ``tf.write_file``): an op writing the scalar string ``contents`` to ``filename``,
    creating its missing directories (WriteFile)."""
    return raw_op("WriteFile", filename=filename, contents=contents, name=name)


def _queue_ref(queue):
    return queue if isinstance(queue, Tensor) else queue.queue_ref


class ReaderBase:
    """A reader resource: records come from the files whose names ``read`` dequeues from a string queue."""

    def __init__(self, reader_ref, supports_serialize=False):
        self._reader_ref = reader_ref
        self._supports_serialize = supports_serialize

    @property
    def reader_ref(self):
        return self._reader_ref

    def read(self, queue, name=None):
        """The next ``(key, value)`` record; takes the next file from ``queue`` when the current one ends."""
        return tuple(raw_op("ReaderReadV2", reader_handle=self._reader_ref, queue_handle=_queue_ref(queue), name=name))

    def read_up_to(self, queue, num_records, name=None):
        """Up to ``num_records`` ``(keys, values)``."""
        return tuple(
            raw_op(
                "ReaderReadUpToV2",
                reader_handle=self._reader_ref,
                queue_handle=_queue_ref(queue),
                num_records=num_records,
                name=name,
            )
        )

    def num_records_produced(self, name=None):
        return raw_op("ReaderNumRecordsProducedV2", reader_handle=self._reader_ref, name=name)

    def reset(self, name=None):
        return raw_op("ReaderResetV2", reader_handle=self._reader_ref, name=name)

    @property
    def supports_serialize(self) -> bool:
        return self._supports_serialize


class TFRecordReader(ReaderBase):
    """Reads TFRecord files (``options``: compression as for TFRecordWriter)."""

    def __init__(self, name=None, options=None):
        compression_type = TFRecordOptions.get_compression_type_string(options)
        super().__init__(raw_op("TFRecordReaderV2", name=name, compression_type=compression_type))


class TextLineReader(ReaderBase):
    """Reads text files line by line (keys ``file:line``), skipping ``skip_header_lines`` per file."""

    def __init__(self, skip_header_lines=None, name=None):
        super().__init__(raw_op("TextLineReaderV2", skip_header_lines=skip_header_lines, name=name))


class WholeFileReader(ReaderBase):
    """Reads each file whole (key: the file name)."""

    def __init__(self, name=None):
        super().__init__(raw_op("WholeFileReaderV2", name=name), supports_serialize=True)


class FixedLengthRecordReader(ReaderBase):
    """Reads fixed-length records after ``header_bytes`` and before ``footer_bytes``."""

    def __init__(self, record_bytes, header_bytes=None, footer_bytes=None, hop_bytes=None, name=None, encoding=None):
        super().__init__(
            raw_op(
                "FixedLengthRecordReaderV2",
                record_bytes=record_bytes,
                header_bytes=header_bytes,
                footer_bytes=footer_bytes,
                hop_bytes=hop_bytes,
                encoding=encoding,
                name=name,
            )
        )
