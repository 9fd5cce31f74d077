"""Malformed safetensors headers, event files and text MetaGraphs: a named torchmeta error, checked before any
recursion or allocation the file asks for."""

import json
import struct
import tracemalloc

import numpy as np
import pytest

from torchmeta import errors, io
from torchmeta.io import events, meta_graph


def _safetensors(path, header: bytes, data: bytes = b""):
    path.write_bytes(struct.pack("<Q", len(header)) + header + data)
    return str(path)


def _with_metadata(tensors_meta, data=None):
    data = np.zeros(4, np.float32) if data is None else data
    meta = json.dumps({"version": 1, "tensors": tensors_meta})
    header = {"__metadata__": {"torchmeta": meta}, "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}
    return json.dumps(header).encode(), data.tobytes()


@pytest.mark.parametrize(
    ("header", "data", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, b"", "nests deeper than the 3 levels"),
        (b'{"a": {"dtype": "F32", "shape": [99999999999999999999999], "data_offsets": [0, 4]}}', b"", "needs"),
        (b'{"a": {"dtype": "F32", "shape": 4, "data_offsets": [0, 16]}}', bytes(16), "malformed header entry"),
        (*_with_metadata({"a": {"dtype": "float32", "slices": [3]}}), "malformed torchmeta metadata"),
        (*_with_metadata({"a": {"dtype": 7}}), "malformed torchmeta metadata"),
        (*_with_metadata({"a": "float32"}), "malformed torchmeta metadata"),
        (*_with_metadata({"p": {"dtype": "float32", "encoding": "partial", "shape": [4], "slices": "x"}}), "malformed"),
        (*_with_metadata({"a": {"dtype": "string", "encoding": "strings", "shape": [10**12]}}), "does not hold"),
    ],
    ids=[
        "deep-json",
        "huge-dim",
        "shape-int",
        "slices-ints",
        "dtype-int",
        "meta-str",
        "partial-slices",
        "strings-claim",
    ],
)
def test_malformed_safetensors_headers(tmp_path, header, data, message):
    path = _safetensors(tmp_path / "bad.safetensors", header, data)
    with pytest.raises((errors.DataLossError, errors.UnimplementedError), match=message) as info:
        with io.open_checkpoint(path) as reader:
            for name in reader:
                reader.get_tensor(name)
    assert "bad.safetensors" in str(info.value)


def test_deep_metadata_json_is_refused_before_parsing(tmp_path):
    meta = "[" * 50_000 + "]" * 50_000
    header = json.dumps({"__metadata__": {"torchmeta": meta}}).encode()
    with pytest.raises(errors.DataLossError, match="nests deeper than the 4 levels"):
        io.open_checkpoint(_safetensors(tmp_path / "m.safetensors", header))


def test_a_partial_variable_claiming_a_huge_shape_is_refused_before_allocating(tmp_path):
    parts = [(np.ones((2, 2), np.float32), "4 2 0,2:-")]
    io.save_safetensors(tmp_path / "p", {"pv": parts})
    raw = (tmp_path / "p.safetensors").read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    meta = json.loads(header["__metadata__"]["torchmeta"])
    meta["tensors"]["pv"]["shape"] = [1 << 40, 2]
    meta["tensors"]["pv"]["slices"] = ["1099511627776 2 0,2:-"]
    header["__metadata__"]["torchmeta"] = json.dumps(meta)
    path = _safetensors(tmp_path / "huge.safetensors", json.dumps(header).encode(), raw[8 + n :])
    tracemalloc.start()
    try:
        with io.open_checkpoint(path) as reader, pytest.raises(errors.InvalidArgumentError, match="sufficient slices"):
            reader.get_tensor("pv")
        assert tracemalloc.get_traced_memory()[1] < 1 << 20
    finally:
        tracemalloc.stop()


def test_an_event_record_claiming_more_than_the_file_holds(tmp_path):
    length = struct.pack("<Q", 1 << 62)
    crc = struct.pack("<I", io.sstable.mask_crc(io.sstable.crc32c(length)))
    path = tmp_path / "events.out.tfevents.1.h"
    path.write_bytes(length + crc + b"xx")
    with pytest.raises(errors.DataLossError, match="truncated record at offset 0"):
        list(events.summary_iterator(str(path)))


def test_an_event_record_that_is_not_an_event(tmp_path):
    path = tmp_path / "events.out.tfevents.1.h"
    with open(path, "wb") as f:
        events.write_record(f, b"\xff\xff\xff")
    with pytest.raises(errors.DataLossError, match="is not an Event"):
        list(events.summary_iterator(str(path)))


def test_text_meta_graphs_nesting_too_deep_are_refused_before_parsing():
    with pytest.raises(errors.FormatError, match="messages nest 5000 deep"):
        meta_graph.load(b"graph_def { " * 5000, "deep.pbtxt")
