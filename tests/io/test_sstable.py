"""SSTable (the .index format): crc masking, varints, block layout, separator keys, corruption errors."""

import io
import struct

import google_crc32c
import numpy as np
import pytest

from torchmeta import errors
from torchmeta.io import sstable


def test_crc32c_matches_google_crc32c_on_bytes_arrays_and_views():
    data = bytes(range(256)) * 5
    expected = google_crc32c.value(data)
    assert sstable.crc32c(data) == expected
    assert sstable.crc32c(np.frombuffer(data, np.uint8).copy()) == expected  # writable array
    assert sstable.crc32c(memoryview(data)) == expected
    assert sstable.crc32c(np.frombuffer(data, np.float32).copy()) == expected  # any dtype, as bytes
    assert sstable.crc32c(data[100:], sstable.crc32c(data[:100])) == expected


def test_mask_vectors_from_the_format_spec():
    assert sstable.mask_crc(sstable.crc32c(b"")) == 0xA282EAD8
    # The worked example's tensor "a" = float32 [[1,2,3],[4,5,6]] has masked crc 0xabf5eb7a.
    a = np.array([[1, 2, 3], [4, 5, 6]], np.float32)
    assert sstable.mask_crc(sstable.crc32c(a)) == 0xABF5EB7A
    rng = np.random.default_rng(0)
    for value in rng.integers(0, 2**32, size=1000, dtype=np.uint64).tolist():
        assert sstable.unmask_crc(sstable.mask_crc(value)) == value


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 2**32 - 1, 2**35 + 7, 2**64 - 1])
def test_varint_round_trip(value):
    encoded = sstable.encode_varint(value)
    assert sstable.decode_varint(encoded, 0, len(encoded)) == (value, len(encoded))


def test_varint_truncated_or_overlong_raises():
    with pytest.raises(ValueError):
        sstable.decode_varint(b"\x80\x80", 0, 2)
    with pytest.raises(ValueError):
        sstable.decode_varint(b"\xff" * 6 + b"\x01", 0, 7, 5)


def _build(entries, **kw) -> bytes:
    buf = io.BytesIO()
    writer = sstable.TableWriter(buf, **kw)
    for key, value in entries:
        writer.add(key, value)
    size = writer.finish()
    data = buf.getvalue()
    assert size == len(data)
    return data


def test_single_block_layout_matches_the_spec_example():
    # Header-only table: one data block holding key "" (restart array [0], count 1), an empty metaindex
    # block, an index block keyed by the short successor of "" (which is "" itself), footer + magic.
    data = _build([(b"", b"\x08\x01\x1a\x02\x08\x01")])
    assert data[:9] == b"\x00\x00\x06\x08\x01\x1a\x02\x08\x01"
    assert data[-8:] == bytes.fromhex("57fb808b247547db")
    assert sstable.read_table(data) == [(b"", b"\x08\x01\x1a\x02\x08\x01")]


def test_round_trip_with_restarts_and_many_blocks():
    entries = [(b"", b"header")] + [
        (f"layer_{i:05d}/kernel".encode(), bytes([i % 256]) * (i % 50)) for i in range(2000)
    ]
    for block_size in (64, 4096, sstable.BLOCK_SIZE):
        data = _build(entries, block_size=block_size)
        assert sstable.read_table(data) == entries


def test_prefix_compression_and_restart_interval():
    block = sstable._BlockBuilder(16)
    offsets = []
    for i in range(20):
        offsets.append(len(block.buffer))
        block.add(f"key{i:02d}".encode(), b"v")
    raw = block.finish()
    num_restarts = struct.unpack("<I", raw[-4:])[0]
    restarts = struct.unpack(f"<{num_restarts}I", raw[-4 - 4 * num_restarts : -4])
    assert restarts == (0, offsets[16])
    assert raw[offsets[16] : offsets[16] + 3] == b"\x00\x05\x01"  # shared=0, whole key "key16", value "v"
    assert raw[offsets[15] : offsets[15] + 3] == b"\x04\x01\x01"  # shares "key1" with "key14"


def test_index_keys_use_shortest_separator_and_short_successor():
    assert sstable._shortest_separator(b"abc", b"abf") == b"abd"
    assert sstable._shortest_separator(b"abc1", b"abd") == b"abc1"  # 'c'+1 is not < 'd'
    assert sstable._shortest_separator(b"ab", b"abc") == b"ab"  # a prefix stays as it is
    assert sstable._shortest_separator(b"a\xff1", b"b") == b"a\xff1"
    assert sstable._short_successor(b"e") == b"f"
    assert sstable._short_successor(b"\xff\xffa") == b"\xff\xffb"
    assert sstable._short_successor(b"\xff\xff") == b"\xff\xff"
    assert sstable._short_successor(b"") == b""


def test_an_overly_large_entry_gets_its_own_block():
    big = b"x" * 300
    data = _build([(b"a", b"1"), (b"b", big), (b"c", b"3")], block_size=128)
    assert sstable.read_table(data) == [(b"a", b"1"), (b"b", big), (b"c", b"3")]
    # Three data blocks: "a" alone (flushed before the big entry), "b" (flushed as it is over the size), "c".
    footer = data[-48:]
    index_offset, pos = sstable.decode_varint(footer, 0, 40)
    _, pos = sstable.decode_varint(footer, pos, 40)
    index_offset, pos = sstable.decode_varint(footer, pos, 40)
    index_size, _ = sstable.decode_varint(footer, pos, 40)
    index_block = data[index_offset : index_offset + index_size]
    assert struct.unpack("<I", index_block[-4:])[0] == 3


def test_keys_must_increase():
    writer = sstable.TableWriter(io.BytesIO())
    writer.add(b"b", b"")
    with pytest.raises(ValueError, match="strictly increasing"):
        writer.add(b"a", b"")
    with pytest.raises(ValueError, match="strictly increasing"):
        writer.add(b"b", b"")


@pytest.fixture
def table():
    return _build([(b"", b"h")] + [(f"v{i}".encode(), b"value") for i in range(5)])


def test_bad_magic(table):
    bad = table[:-1] + b"\x00"
    with pytest.raises(errors.DataLossError, match=r"not an sstable \(bad magic number\) \(file: x.index\)"):
        sstable.read_table(bad, "x.index")


def test_too_short():
    with pytest.raises(errors.DataLossError, match="file is too short to be an sstable"):
        sstable.read_table(b"\x00" * 47, "x.index")


@pytest.mark.parametrize("offset", [0, 5, 20])
def test_block_checksum_mismatch(table, offset):
    bad = bytearray(table)
    bad[offset] ^= 0x10
    with pytest.raises(errors.DataLossError, match="block checksum mismatch"):
        sstable.read_table(bytes(bad), "x.index")


def test_compressed_block_is_refused_with_a_clear_message(table):
    # Rewrite the first block's trailer as snappy-compressed (type 1) with a matching crc.
    footer = table[-48:]
    _, pos = sstable.decode_varint(footer, 0, 40)
    _, pos = sstable.decode_varint(footer, pos, 40)
    index_offset, pos = sstable.decode_varint(footer, pos, 40)
    index_size, _ = sstable.decode_varint(footer, pos, 40)
    bad = bytearray(table)
    end = index_offset + index_size
    bad[end] = 1
    crc = sstable.crc32c(b"\x01", sstable.crc32c(table[index_offset:end]))
    bad[end + 1 : end + 5] = struct.pack("<I", sstable.mask_crc(crc))
    with pytest.raises(errors.DataLossError, match="compression type 1"):
        sstable.read_table(bytes(bad), "x.index")


def test_random_corruption_never_escapes_as_another_exception(table):
    rng = np.random.default_rng(1)
    for _ in range(300):
        bad = bytearray(table)
        for pos in rng.integers(0, len(bad), size=rng.integers(1, 4)):
            bad[pos] = int(rng.integers(0, 256))
        try:
            result = sstable.read_table(bytes(bad), "x.index")
        except errors.DataLossError:
            continue
        assert bytes(bad) == table or result == sstable.read_table(table)
