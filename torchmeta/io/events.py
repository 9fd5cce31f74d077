"""TensorBoard event files: TFRecord framing of ``Event`` protos (write and read).

A record is ``uint64 length | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)``,
little-endian. Files are named ``events.out.tfevents.<seconds>.<hostname>`` as TensorFlow names them.
"""

from __future__ import annotations

import os
import socket
import struct
import time

from google.protobuf import message as message_lib

from torchmeta import errors
from torchmeta._proto import event_pb2
from torchmeta.io.sstable import crc32c, mask_crc

__all__ = ["write_record", "read_records", "EventFileWriter", "summary_iterator"]


def _masked(data: bytes) -> bytes:
    return struct.pack("<I", mask_crc(crc32c(data)))


def write_record(f, data: bytes) -> None:
    """Appends one TFRecord to the binary file ``f``."""
    header = struct.pack("<Q", len(data))
    f.write(header + _masked(header) + data + _masked(data))


def read_records(path):
    """Yields the records of a TFRecord file, checking both checksums.

    Raises:
      DataLossError: on a truncated record or a checksum mismatch (naming the file and offset); a length is
        checked against the file's size before anything is read for it.
    """
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        offset = 0
        while True:
            header = f.read(12)
            if not header:
                return
            if len(header) < 12:
                raise errors.DataLossError(None, None, f"{path}: truncated record header at offset {offset}")
            (length,) = struct.unpack("<Q", header[:8])
            if header[8:] != _masked(header[:8]):
                raise errors.DataLossError(None, None, f"{path}: corrupted record length at offset {offset}")
            if length > size - offset - 16:  # before reading: a length the file cannot hold is never allocated
                raise errors.DataLossError(None, None, f"{path}: truncated record at offset {offset}")
            data = f.read(length)
            footer = f.read(4)
            if len(data) < length or len(footer) < 4:
                raise errors.DataLossError(None, None, f"{path}: truncated record at offset {offset}")
            if footer != _masked(data):
                raise errors.DataLossError(None, None, f"{path}: corrupted record data at offset {offset}")
            offset += 16 + length
            yield data


def summary_iterator(path):
    """Yields the ``Event`` protos of an event file (``tf.compat.v1.train.summary_iterator``)."""
    offset = 0
    for data in read_records(path):
        event = event_pb2.Event()
        try:
            event.ParseFromString(data)
        except message_lib.DecodeError as e:
            raise errors.DataLossError(
                None, None, f"{path}: the record at offset {offset} is not an Event ({e})"
            ) from None
        offset += 16 + len(data)
        yield event


class EventFileWriter:
    """Appends Events to ``<logdir>/events.out.tfevents.<time>.<host><suffix>``; the first is the version."""

    def __init__(self, logdir, filename_suffix: str = ""):
        os.makedirs(logdir, exist_ok=True)
        now = time.time()
        self.path = os.path.join(logdir, f"events.out.tfevents.{int(now):010d}.{socket.gethostname()}{filename_suffix}")
        self._file = open(self.path, "ab")  # noqa: SIM115 - closed by close()
        self.add_event(event_pb2.Event(wall_time=now, file_version="brain.Event:2"))
        self.flush()

    def add_event(self, event) -> None:
        if self._file.closed:
            raise RuntimeError(f"EventFileWriter for {self.path} is closed")
        write_record(self._file, event.SerializeToString())

    def flush(self) -> None:
        if not self._file.closed:
            self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            self._file.close()

    @property
    def closed(self) -> bool:
        return self._file.closed
