"""Tensor slices: spec parsing, TensorSliceProto bytes, OrderedCode slice keys."""

import numpy as np
import pytest

from torchmeta import errors
from torchmeta.io import tensor_slice as ts
from torchmeta.io.tensor_slice import TensorSlice, parse_shape_and_slice, resolve_slice_spec


def test_parse_and_str_round_trip():
    for text in ["0,2:-", "-", "3,1", "0,4:0,2:-", ""]:
        assert str(TensorSlice.parse(text)) == text
    assert TensorSlice.parse("0,2:-").extents == ((0, 2), (0, None))


@pytest.mark.parametrize("text", ["0,2:x", "1", "0,2,3", "-1,2", "0,-2"])
def test_parse_rejects_malformed(text):
    with pytest.raises(errors.InvalidArgumentError):
        TensorSlice.parse(text)


def test_parse_shape_and_slice():
    assert parse_shape_and_slice("") is None
    shape, s = parse_shape_and_slice("4 2 0,2:-")
    assert shape == (4, 2) and s == TensorSlice([(0, 2), (0, None)])
    for bad in ["4 2", "4 2 0,2", "4 x 0,2:-", "4 2 3,2:-", "-4 2 0,1:-"]:
        with pytest.raises(errors.InvalidArgumentError):
            parse_shape_and_slice(bad)


def test_proto_bytes_match_tensorflow():
    # TF's Saver stores "4 2 0,2:0,2" as extent {length: 2} extent {length: 2} (start 0 omitted) and
    # "4 2 2,2:0,2" as extent {start: 2 length: 2} extent {length: 2}; a full extent is an empty message.
    assert TensorSlice.parse("0,2:0,2").to_proto().SerializeToString() == bytes.fromhex("0a0210020a021002")
    assert TensorSlice.parse("2,2:0,2").to_proto().SerializeToString() == bytes.fromhex("0a04080210020a021002")
    assert TensorSlice.parse("1,3:-").to_proto().SerializeToString() == bytes.fromhex("0a04080110030a00")
    proto = TensorSlice.parse("2,2:-").to_proto()
    assert TensorSlice.from_proto(proto) == TensorSlice.parse("2,2:-")


def test_geometry():
    shape = (4, 6)
    a = TensorSlice.parse("0,2:-")
    b = TensorSlice.parse("1,3:2,2")
    assert a.shape_in(shape) == (2, 6)
    assert a.intersect(b, shape) == TensorSlice.parse("1,1:2,2")
    assert TensorSlice.parse("0,1:-").intersect(TensorSlice.parse("2,2:-"), shape) is None
    inner = TensorSlice.parse("1,1:2,2")
    values = np.arange(24).reshape(shape)
    assert (values[b.indices(shape)][inner.relative_to(b, shape)] == values[inner.indices(shape)]).all()
    assert TensorSlice.parse("0,4:0,6").covers(shape) and TensorSlice.parse("-:-").covers(shape)
    assert not a.covers(shape)
    assert a.to_spec(shape) == "4 6 0,2:-"
    with pytest.raises(errors.InvalidArgumentError, match="out of bounds"):
        TensorSlice.parse("3,2:-").shape_in(shape)
    with pytest.raises(errors.InvalidArgumentError, match="Mismatching ranks"):
        a.shape_in((4,))


def test_resolve_slice_spec_forms():
    shape = (4, 2)
    assert resolve_slice_spec(shape, "4 2 1,2:-") == TensorSlice.parse("1,2:-")
    assert resolve_slice_spec(shape, "1,2:-") == TensorSlice.parse("1,2:-")
    assert resolve_slice_spec(shape, "").is_full()
    with pytest.raises(errors.InvalidArgumentError, match="is for a tensor of shape"):
        resolve_slice_spec(shape, "5 2 1,2:-", "v")


@pytest.mark.parametrize(
    ("value", "encoded"),
    [(0, "80"), (2, "82"), (-1, "7f"), (63, "bf"), (-64, "40"), (64, "c040"), (-65, "3fbf"), (8192, "e02000")],
)
def test_signed_num_increasing_bytes(value, encoded):
    assert ts._write_signed_num_increasing(value).hex() == encoded
    assert ts._read_signed_num_increasing(bytes.fromhex(encoded), 0) == (value, len(encoded) // 2)


def test_signed_num_increasing_round_trips_and_preserves_order():
    rng = np.random.default_rng(0)
    values = {0, 1, -1, 2**63 - 1, -(2**63), 2**55, -(2**55), 2**62}
    for bits in range(1, 64):
        values |= {2**bits - 1, 2**bits, -(2**bits), -(2**bits) - 1}
    values |= set(rng.integers(-(2**63), 2**63 - 1, size=3000).tolist())
    values = sorted(v for v in values if -(2**63) <= v < 2**63)
    encoded = [ts._write_signed_num_increasing(v) for v in values]
    for v, e in zip(values, encoded):
        assert ts._read_signed_num_increasing(e, 0) == (v, len(e))
    assert encoded == sorted(encoded)


def test_slice_key_bytes_match_tensorflow():
    # "pv", rank 2, extents (0,2),(0,2), as TensorFlow's Saver writes it.
    key = ts.encode_tensor_name_slice("pv", TensorSlice.parse("0,2:0,2"))
    assert key == bytes.fromhex("00 70 76 00 01 01 02 80 82 80 82")
    assert ts.encode_tensor_name_slice("a", TensorSlice.parse("-")) == bytes.fromhex("00 61 00 01 01 01 80 7f")


def test_slice_key_escapes_and_decodes():
    name = "a\x00b\xff"  # not a TF op name, but keys are arbitrary bytes
    key = ts.encode_tensor_name_slice(name.encode("latin-1"), TensorSlice.parse("100000,5:-"))
    assert key.startswith(b"\x00a\x00\xffb\xff\x00\x00\x01")
    decoded_name, decoded_slice = ts.decode_tensor_name_slice(key)
    assert decoded_name.encode("utf-8", "surrogateescape") == name.encode("latin-1")
    assert decoded_slice == TensorSlice.parse("100000,5:-")
    with pytest.raises(ValueError):
        ts.decode_tensor_name_slice(b"plain")
