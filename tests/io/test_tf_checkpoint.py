"""V2 bundles without TensorFlow: golden bytes, reading every dtype, slices, sharding, torch paths, errors.

TensorFlow-backed round trips live in test_tf_checkpoint_tf.py.
"""

import os
import shutil
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
import torch

from tests.io import checkpoint_cases as cases
from torchmeta import errors
from torchmeta._proto import tensor_bundle_pb2
from torchmeta.dtypes import DType, as_dtype
from torchmeta.io import _tensors, sstable
from torchmeta.io import tf_checkpoint as tfc
from torchmeta.io.tensor_slice import TensorSlice

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "checkpoints"


def dtype_tensors():
    return {n: v for n, (v, _) in cases.DTYPE_CASES.items()}, {
        n: as_dtype(d) for n, (_, d) in cases.DTYPE_CASES.items()
    }


def assert_same_value(got, want, dtype=None):
    want = np.asarray(want)
    assert got.shape == want.shape
    if want.dtype == object:
        assert got.dtype == object
        assert got.tolist() == want.tolist()
        return
    if dtype is not None:
        assert got.dtype == (dtype.numpy[0] if dtype.is_quantized else dtype.numpy)  # qint8 read as int8
    # Compare bit patterns: exact for every dtype (NaN, -0.0, ml_dtypes, quantized).
    got_bytes = np.ascontiguousarray(got).reshape(-1).view(np.uint8)
    want_bytes = np.ascontiguousarray(want).reshape(-1).view(np.uint8)
    assert got_bytes.tobytes() == want_bytes.tobytes()


def files_of(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


# -- golden bytes ------------------------------------------------------------------------------------------


def test_golden_bytes_every_dtype(tmp_path):
    values, dtypes = dtype_tensors()
    written = tfc.write_bundle(tmp_path / "ckpt", values, dtypes=dtypes)
    assert written == [str(tmp_path / "ckpt.index"), str(tmp_path / "ckpt.data-00000-of-00001")]
    assert files_of(tmp_path) == files_of(GOLDEN / "dtypes")


def test_golden_bytes_saver_with_partitioned_variables(tmp_path):
    tfc.write_bundle(tmp_path / "model-3", cases.saver_tensors())
    assert files_of(tmp_path) == files_of(GOLDEN / "saver")


def test_golden_bytes_save_v2_signature(tmp_path):
    names, specs, tensors = [], [], []
    for name, value in cases.saver_tensors().items():
        for tensor, spec in value if isinstance(value, list) else [(value, "")]:
            names.append(name)
            specs.append(spec)
            tensors.append(tensor)
    tfc.save_v2(tmp_path / "model-3", names, specs, tensors)
    assert files_of(tmp_path) == files_of(GOLDEN / "saver")


def test_golden_bytes_sharded_save_and_merge(tmp_path):
    files = tfc.write_sharded_bundle(tmp_path / "model", cases.SHARDED_VARIABLES)
    assert [os.path.basename(f) for f in files] == [
        "model.index",
        "model.data-00000-of-00003",
        "model.data-00001-of-00003",
        "model.data-00002-of-00003",
    ]
    assert files_of(tmp_path) == files_of(GOLDEN / "sharded")
    assert not (tmp_path / "model_temp").exists()


def test_worked_example_bytes(tmp_path):
    # Part 2.9 of the format notes: TF 2.21's bytes for a, b, c, e.
    tfc.write_bundle(
        tmp_path / "model-3",
        {
            "a": np.array([[1, 2, 3], [4, 5, 6]], np.float32),
            "b": np.int64(7),
            "c": np.array([b"hi", b"", b"xyz"], dtype=object),
            "e": np.array([True, False]),
        },
    )
    data = (tmp_path / "model-3.data-00000-of-00001").read_bytes()
    assert data[24:32] == bytes.fromhex("0700000000000000")
    assert data[32:44] == bytes.fromhex("0200031b428bca686978797a")
    assert data[44:] == b"\x01\x00"
    index = (tmp_path / "model-3.index").read_bytes()
    assert len(index) == 184
    assert index[:9] == bytes.fromhex("000006080 11a020801".replace(" ", ""))
    assert bytes.fromhex("00010d620809120020182808 35bbd79f11".replace(" ", "")) in index  # "b": shape {} present
    assert index[-48:] == bytes.fromhex("6808750e") + b"\x00" * 36 + bytes.fromhex("57fb808b247547db")


def test_chunked_streaming_gives_the_same_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(tfc, "CHUNK", 7)  # the writer's steps
    monkeypatch.setattr(_tensors, "CHUNK", 7)  # the reader's
    values, dtypes = dtype_tensors()
    tfc.write_bundle(tmp_path / "ckpt", values, dtypes=dtypes)
    assert files_of(tmp_path) == files_of(GOLDEN / "dtypes")
    reader = tfc.CheckpointReader(tmp_path / "ckpt")
    for name, value in values.items():
        assert_same_value(reader.get_tensor(name), value)


# -- reading -----------------------------------------------------------------------------------------------


def test_read_every_dtype():
    reader = tfc.CheckpointReader(GOLDEN / "dtypes" / "ckpt")
    values, dtypes = dtype_tensors()
    assert reader.keys() == sorted(values)
    assert reader.get_variable_to_dtype_map() == dtypes
    assert reader.get_variable_to_shape_map() == {n: list(v.shape) for n, v in values.items()}
    for name, value in values.items():
        assert reader.has_tensor(name) and name in reader
        assert_same_value(reader.get_tensor(name), value, dtypes[name])
    assert reader.get_tensor("qi8").dtype == np.int8  # quantized as plain integers, as TF's reader returns
    assert reader.nbytes("f32") == 48 and reader.nbytes("str_scalar") == 11
    assert reader.get_tensor("empty_str").shape == (0,)


@pytest.mark.parametrize("mmap", [True, False])
def test_read_every_dtype_as_torch(mmap):
    reader = tfc.CheckpointReader(GOLDEN / "dtypes" / "ckpt")
    values, dtypes = dtype_tensors()
    for name, value in values.items():
        dtype = dtypes[name]
        if dtype is DType.string:
            assert reader.get_tensor_torch(name, mmap=mmap).tolist() == value.tolist()
        elif dtype.torch is None:
            with pytest.raises(errors.UnimplementedError, match="use get_tensor"):
                reader.get_tensor_torch(name)
        else:
            t = reader.get_tensor_torch(name, mmap=mmap)
            assert t.dtype == dtype.torch and tuple(t.shape) == value.shape
            raw = t.reshape(-1).view(torch.uint8).numpy() if t.numel() else np.zeros(0, np.uint8)
            assert raw.tobytes() == np.ascontiguousarray(value).tobytes()


def test_read_saver_checkpoint_with_partitioned_variables():
    reader = tfc.CheckpointReader(GOLDEN / "saver" / "model-3")
    assert reader.keys() == ["a", "b", "c", "dense/bias", "e", "h", "pv", "pw"]  # no slice keys
    assert reader.get_variable_to_shape_map()["pv"] == [4, 2]
    for name, value in cases.saver_values().items():
        assert_same_value(reader.get_tensor(name), value)
    assert reader.get_tensor_slices("pv") == [TensorSlice.parse("0,2:0,2"), TensorSlice.parse("2,2:0,2")]
    assert reader.get_tensor_slices("a") == []
    assert torch.equal(reader.get_tensor_torch("pw"), torch.from_numpy(cases.SAVER_PARTITIONED["pw"][0]))
    assert reader.nbytes("pw") == 60


def test_debug_string_matches_tensorflow():
    # TF lists every stored entry but the full entries of partitioned variables, slice keys raw.
    reader = tfc.CheckpointReader(GOLDEN / "saver" / "model-3")
    text = reader.debug_string()
    assert text.startswith(b"\x00pv\x00\x01\x01\x02\x80\x82\x80\x82 (DT_FLOAT) [2,2]\n")
    assert b"\na (DT_FLOAT) [2,3]\nb (DT_INT64) []\nc (DT_STRING) [3]\n" in text
    assert b"\npv (" not in text and b"h (DT_HALF) [2]\n" in text


def test_read_sharded_checkpoint():
    reader = tfc.CheckpointReader(GOLDEN / "sharded" / "model")
    assert reader.num_shards == 3
    for group in cases.SHARDED_VARIABLES:
        for name, value in group.items():
            assert_same_value(reader.get_tensor(name), value)


def test_get_slice_of_partitioned_and_whole_tensors():
    reader = tfc.CheckpointReader(GOLDEN / "saver" / "model-3")
    pv = cases.SAVER_PARTITIONED["pv"][0]
    pw = cases.SAVER_PARTITIONED["pw"][0]
    a = cases.SAVER_VARIABLES["a"]
    assert_same_value(reader.get_slice("pv", "4 2 0,2:0,2"), pv[0:2])  # exactly a stored slice
    assert_same_value(reader.get_slice("pv", "4 2 1,2:-"), pv[1:3])  # across the two parts
    assert_same_value(reader.get_slice("pw", "1,2:2,2"), pw[1:3, 2:4])  # across a column split
    assert_same_value(reader.get_slice("pw", TensorSlice.parse("-:-")), pw)
    assert_same_value(reader.get_slice("a", "2 3 1,1:0,2"), a[1:2, 0:2])
    assert_same_value(reader.get_slice("a", ""), a)
    with pytest.raises(errors.InvalidArgumentError, match="is for a tensor of shape"):
        reader.get_slice("pv", "4 3 0,2:-")
    with pytest.raises(errors.InvalidArgumentError, match="out of bounds"):
        reader.get_slice("pv", "3,2:-")


def test_missing_slices_are_reported_like_tensorflow(tmp_path):
    pv = cases.SAVER_PARTITIONED["pv"][0]
    tfc.write_bundle(tmp_path / "m", {"pv": [(pv[:2], "4 2 0,2:0,2")]})
    reader = tfc.CheckpointReader(tmp_path / "m")
    assert_same_value(reader.get_slice("pv", "4 2 0,1:-"), pv[:1])
    with pytest.raises(
        errors.InvalidArgumentError,
        match="Does not have sufficient slices for partitioned tensor pv to restore in slice_spec: -:-",
    ):
        reader.get_tensor("pv")


def test_big_tensors_are_memory_mapped_and_private(tmp_path):
    big = np.arange(1 << 19, dtype=np.float32)  # 2 MiB
    tfc.write_bundle(tmp_path / "m", {"big": big})
    data_file = tmp_path / "m.data-00000-of-00001"
    before = data_file.read_bytes()
    reader = tfc.CheckpointReader(tmp_path / "m")
    t = reader.get_tensor_torch("big")
    assert torch.equal(t, torch.from_numpy(big))
    t[0] = 42.0  # copy-on-write: the file is untouched
    assert data_file.read_bytes() == before
    reader.close()
    os.unlink(data_file)
    assert t[1].item() == 1.0  # the mapping outlives the reader and the file name


def test_misaligned_big_tensor_is_copied(tmp_path):
    big = np.arange(1 << 18, dtype=np.float64)
    tfc.write_bundle(tmp_path / "m", {"a_flag": np.array(True), "big": big})  # "big" starts at offset 1
    reader = tfc.CheckpointReader(tmp_path / "m")
    assert reader._entries[b"big"].offset == 1
    t = reader.get_tensor_torch("big")
    assert t.data_ptr() % 8 == 0 and torch.equal(t, torch.from_numpy(big))
    assert_same_value(reader.get_slice("big", "10,5"), big[10:15])


def test_read_into_out(tmp_path):
    big = np.arange(1 << 18, dtype=np.float32).reshape(512, 512)
    tfc.write_bundle(tmp_path / "m", {"big": big, "h": np.array([1, 2], np.float16), "pv": cases.saver_tensors()["pv"]})
    reader = tfc.CheckpointReader(tmp_path / "m")
    out = torch.zeros(512 * 512, requires_grad=True)
    assert reader.get_tensor_torch("big", out=out) is out
    assert torch.equal(out.detach(), torch.from_numpy(big).reshape(-1))
    strided = torch.zeros(512, 1024)[:, ::2]
    reader.get_tensor_torch("big", out=strided)
    assert torch.equal(strided, torch.from_numpy(big))
    pv = torch.zeros(4, 2)
    reader.get_tensor_torch("pv", out=pv)
    assert torch.equal(pv, torch.from_numpy(cases.SAVER_PARTITIONED["pv"][0]))
    with pytest.raises(errors.InvalidArgumentError, match="Cannot read h"):
        reader.get_tensor_torch("h", out=torch.zeros(2))


def test_restore_v2(tmp_path):
    prefix = GOLDEN / "saver" / "model-3"
    a, pv = tfc.restore_v2(prefix, ["a", "pv"], ["", "4 2 1,3:-"], [DType.float32, DType.float32])
    assert_same_value(a, cases.SAVER_VARIABLES["a"])
    assert_same_value(pv, cases.SAVER_PARTITIONED["pv"][0][1:])
    (t,) = tfc.restore_v2(prefix, ["pw"], ["3 5 0,3:3,2"], as_torch=True)
    assert torch.equal(t, torch.from_numpy(cases.SAVER_PARTITIONED["pw"][0][:, 3:]))
    with pytest.raises(errors.InvalidArgumentError) as e:
        tfc.restore_v2(prefix, ["a"], [""], [DType.int32])
    assert str(e.value) == "tensor_name = a; expected dtype int32 does not equal original dtype float"
    with pytest.raises(errors.NotFoundError) as e:
        tfc.restore_v2(prefix, ["zz"], [""])
    assert str(e.value) == "Key zz not found in checkpoint"


# -- writing -----------------------------------------------------------------------------------------------


def test_torch_and_numpy_inputs_give_the_same_bytes(tmp_path):
    rng = np.random.default_rng(0)
    base = rng.standard_normal((3, 4)).astype(np.float32)
    as_numpy = {
        "bf": base.astype(ml_dtypes.bfloat16),
        "f": base,
        "i": np.arange(6, dtype=np.int64).reshape(2, 3),
        "t": base.T.copy(),
        "u16": np.array([1, 65535], np.uint16),
    }
    as_torch = {
        "bf": torch.from_numpy(base).to(torch.bfloat16),
        "f": torch.from_numpy(base).requires_grad_(),
        "i": torch.arange(6).reshape(2, 3),
        "t": torch.from_numpy(base).T,  # non-contiguous
        "u16": torch.tensor([1, 65535], dtype=torch.uint16),
    }
    tfc.write_bundle(tmp_path / "np" / "m", as_numpy)
    tfc.write_bundle(tmp_path / "pt" / "m", as_torch)
    assert files_of(tmp_path / "np") == files_of(tmp_path / "pt")


def test_other_inputs(tmp_path):
    tfc.write_bundle(
        tmp_path / "m",
        [
            ("big_endian", np.array([1.5, 2.5], dtype=">f4")),
            ("list", [[1.0, 2.0]]),
            ("py_int", 3),
            ("q", np.array([1, -2], np.int8)),
            ("unicode", np.array(["h\u00e9", ""])),
        ],
        dtypes={"q": DType.qint8},
    )
    reader = tfc.CheckpointReader(tmp_path / "m")
    assert reader.get_tensor("big_endian").tolist() == [1.5, 2.5]
    assert reader.get_dtype("list") is DType.float64 and reader.get_tensor("list").tolist() == [[1.0, 2.0]]
    assert reader.get_dtype("py_int") is DType.int64
    assert reader.get_dtype("q") is DType.qint8 and reader.get_tensor("q").tolist() == [1, -2]
    assert reader.get_tensor("unicode").tolist() == ["h\u00e9".encode(), b""]


def test_writer_errors(tmp_path):
    with tfc.BundleWriter(tmp_path / "m") as w:
        w.add("a", np.zeros(2))
        with pytest.raises(errors.InvalidArgumentError, match="Adding duplicate key: a"):
            w.add("a", np.zeros(2))
        with pytest.raises(errors.InvalidArgumentError, match="does not match the shape of the tensor to save"):
            w.add_slice("p", (4, 2), "0,2:-", np.zeros((3, 2)))
        with pytest.raises(TypeError, match="Cannot save"):
            w.add("s", np.array(["x"]), dtype=DType.float32)
        with pytest.raises(TypeError, match="cast it first"):
            w.add("f", np.zeros(2, np.float64), dtype=DType.float32)
        with pytest.raises(errors.InvalidArgumentError, match="reserved for the bundle header"):
            w.add("", np.zeros(1))
        w.add_slice("p", (4, 2), "0,2:-", np.zeros((2, 2)))
        with pytest.raises(errors.InvalidArgumentError, match="disagree"):
            w.add_slice("p", (4, 2), "2,2:-", np.zeros((2, 2), np.int32))
        with pytest.raises(errors.InvalidArgumentError, match="Adding duplicate key: a"):
            w.add_slice("a", (4, 2), "2,2:-", np.zeros((2, 2)))
    reader = tfc.CheckpointReader(tmp_path / "m")
    assert reader.keys() == ["a", "p"]


def test_full_slice_is_stored_as_a_plain_tensor(tmp_path):
    tfc.save_v2(tmp_path / "m", ["v"], ["2 2 0,2:-"], [np.ones((2, 2), np.float32)])
    tfc.write_bundle(tmp_path / "plain" / "m", {"v": np.ones((2, 2), np.float32)})
    assert files_of(tmp_path) == files_of(tmp_path / "plain")


def test_failed_save_leaves_the_old_checkpoint_and_no_temp_files(tmp_path):
    tfc.write_bundle(tmp_path / "m", {"a": np.ones(3)})
    before = files_of(tmp_path)
    with pytest.raises(TypeError):
        tfc.write_bundle(tmp_path / "m", {"a": np.zeros(3), "b": np.array([object()], dtype=object)})
    assert files_of(tmp_path) == before


def test_parent_directory_is_created_one_level_like_tensorflow(tmp_path):
    tfc.write_bundle(tmp_path / "new" / "m", {"a": np.ones(1)})
    with pytest.raises(errors.NotFoundError, match="Failed to create a directory"):
        tfc.write_bundle(tmp_path / "x" / "y" / "m", {"a": np.ones(1)})


def test_big_endian_bundles_are_byte_swapped_on_read(tmp_path):
    values, dtypes = dtype_tensors()
    with tfc.BundleWriter(tmp_path / "be", _big_endian=True) as w:
        for name, value in values.items():
            w.add(name, value, dtype=dtypes[name])
    index = (tmp_path / "be.index").read_bytes()
    assert index[3:11] == bytes.fromhex("08011001 1a020801".replace(" ", ""))  # endianness: BIG
    little = files_of(GOLDEN / "dtypes")["ckpt.data-00000-of-00001"]
    assert (tmp_path / "be.data-00000-of-00001").read_bytes() != little
    reader = tfc.CheckpointReader(tmp_path / "be")
    assert reader.big_endian
    for name, value in values.items():
        assert_same_value(reader.get_tensor(name), value, dtypes[name])
    assert torch.equal(reader.get_tensor_torch("c64"), torch.from_numpy(values["c64"]))


# -- merging -------------------------------------------------------------------------------------------------


def test_merge_joins_slices_and_renumbers_shards(tmp_path):
    pv_slices = cases.saver_tensors()["pv"]
    tfc.write_bundle(tmp_path / "p0", {"a": np.ones(2, np.float32), "pv": [pv_slices[1]]})
    tfc.write_bundle(tmp_path / "p1", {"b": np.zeros(1, np.int32), "pv": [pv_slices[0]]})
    files = tfc.merge_bundles([tmp_path / "p0", tmp_path / "p1"], tmp_path / "merged")
    assert sorted(os.listdir(tmp_path)) == ["merged.data-00000-of-00002", "merged.data-00001-of-00002", "merged.index"]
    assert files[0] == str(tmp_path / "merged.index")
    reader = tfc.CheckpointReader(tmp_path / "merged")
    assert reader.num_shards == 2
    assert reader.get_tensor_slices("pv") == [TensorSlice.parse("2,2:0,2"), TensorSlice.parse("0,2:0,2")]
    assert_same_value(reader.get_tensor("pv"), cases.SAVER_PARTITIONED["pv"][0])
    assert reader._entries[b"b"].shard_id == 1 and reader._entries[b"pv"].shard_id == 0


def test_merge_rejects_duplicates_and_missing_inputs(tmp_path):
    tfc.write_bundle(tmp_path / "p0", {"a": np.ones(2)})
    tfc.write_bundle(tmp_path / "p1", {"a": np.ones(2)})
    with pytest.raises(errors.InvalidArgumentError, match="Duplicate tensor keyed by a encountered"):
        tfc.merge_bundles([tmp_path / "p0", tmp_path / "p1"], tmp_path / "m")
    with pytest.raises(errors.NotFoundError):
        tfc.merge_bundles([tmp_path / "nope"], tmp_path / "m")
    files = tfc.merge_bundles([tmp_path / "nope", tmp_path / "p0"], tmp_path / "m", allow_missing_files=True)
    assert os.path.basename(files[1]) == "m.data-00000-of-00001"


# -- corruption and missing files -----------------------------------------------------------------------------


@pytest.fixture
def ckpt(tmp_path):
    """A copy of the Saver golden checkpoint (prefix path) to damage."""
    for name in os.listdir(GOLDEN / "saver"):
        shutil.copy(GOLDEN / "saver" / name, tmp_path / name)
    return tmp_path / "model-3"


def data_of(prefix: Path) -> Path:
    return Path(tfc.data_filename(prefix, 0, 1))


def rewrite_index(prefix: Path, change):
    """Rewrites a checkpoint's index (with valid block crcs) after ``change(key, entry)`` edits entries."""
    path = Path(tfc.index_filename(prefix))
    entries = sstable.read_table(path.read_bytes())
    with open(path, "wb") as f:
        table = sstable.TableWriter(f)
        header = tensor_bundle_pb2.BundleHeaderProto.FromString(entries[0][1])
        change(b"", header)
        table.add(b"", header.SerializeToString(deterministic=True))
        for key, raw in entries[1:]:
            entry = tensor_bundle_pb2.BundleEntryProto.FromString(raw)
            change(key, entry)
            table.add(key, entry.SerializeToString(deterministic=True))
        table.finish()


def flip(path: Path, offset: int):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x20
    path.write_bytes(bytes(data))


def test_missing_checkpoint(tmp_path):
    with pytest.raises(errors.NotFoundError) as e:
        tfc.CheckpointReader(tmp_path / "nope")
    assert str(e.value) == (
        f"Unsuccessful TensorSliceReader constructor: Failed to find any matching files for {tmp_path / 'nope'}"
    )


def test_missing_key_uses_tensorflows_text(ckpt):
    with pytest.raises(errors.NotFoundError) as e:
        tfc.CheckpointReader(ckpt).get_tensor("zz")
    assert str(e.value) == "Key zz not found in checkpoint"


def test_bad_magic(ckpt):
    flip(Path(tfc.index_filename(ckpt)), -1)
    with pytest.raises(errors.DataLossError, match=r"not an sstable \(bad magic number\).*model-3.index"):
        tfc.CheckpointReader(ckpt)


def test_short_index(ckpt):
    Path(tfc.index_filename(ckpt)).write_bytes(b"\x00" * 20)
    with pytest.raises(errors.DataLossError, match=r"file is too short to be an sstable.*model-3.index"):
        tfc.CheckpointReader(ckpt)


def test_index_block_crc(ckpt):
    flip(Path(tfc.index_filename(ckpt)), 12)
    with pytest.raises(errors.DataLossError, match=r"block checksum mismatch.*model-3.index"):
        tfc.CheckpointReader(ckpt)


def test_tensor_crc_mismatch_names_the_tensor_and_file(ckpt):
    flip(data_of(ckpt), 2)  # inside "a"
    reader = tfc.CheckpointReader(ckpt)
    for read in (reader.get_tensor, reader.get_tensor_torch, lambda n: reader.get_slice(n, "0,1:-")):
        with pytest.raises(errors.DataLossError, match=r"Checksum does not match.*tensor 'a' in .*model-3.data-00000"):
            read("a")
    assert reader.get_tensor("b") == 7  # other tensors still read


def test_string_length_checksum(ckpt):
    reader = tfc.CheckpointReader(ckpt)
    offset = reader._entries[b"c"].offset
    flip(data_of(ckpt), offset)  # first varint length
    with pytest.raises(errors.DataLossError, match=r"length checksum does not match.*tensor 'c'"):
        tfc.CheckpointReader(ckpt).get_tensor("c")


def test_string_bytes_checksum(ckpt):
    reader = tfc.CheckpointReader(ckpt)
    entry = reader._entries[b"c"]
    flip(data_of(ckpt), entry.offset + entry.size - 1)
    with pytest.raises(errors.DataLossError, match=r"Checksum does not match.*tensor 'c'"):
        tfc.CheckpointReader(ckpt).get_tensor("c")


def test_string_lengths_running_past_the_entry(ckpt):
    def change(key, entry):
        if key == b"c":
            entry.size = 5  # lengths + checksum need 7 bytes

    rewrite_index(ckpt, change)
    with pytest.raises(errors.DataLossError, match="tensor 'c'"):
        tfc.CheckpointReader(ckpt).get_tensor("c")


def test_invalid_size_in_bundle_entry(ckpt):
    def change(key, entry):
        if key == b"a":
            entry.size = 20

    rewrite_index(ckpt, change)
    with pytest.raises(
        errors.DataLossError, match="Invalid size in bundle entry: key a; stored size 20; expected size 24"
    ):
        tfc.CheckpointReader(ckpt).get_tensor("a")


def test_truncated_data_file(ckpt):
    data = data_of(ckpt)
    data.write_bytes(data.read_bytes()[:30])
    reader = tfc.CheckpointReader(ckpt)
    assert_same_value(reader.get_tensor("a"), cases.SAVER_VARIABLES["a"])  # bytes 0-23 are still there
    with pytest.raises(errors.DataLossError, match=r"Read less bytes than requested.*tensor c.*model-3.data"):
        reader.get_tensor("c")


def test_truncated_big_tensor_never_maps_past_the_end(tmp_path):
    tfc.write_bundle(tmp_path / "m", {"big": np.ones(1 << 19, np.float32)})
    data = data_of(tmp_path / "m")
    data.write_bytes(data.read_bytes()[:-4096])
    with pytest.raises(errors.DataLossError, match="Read less bytes than requested"):
        tfc.CheckpointReader(tmp_path / "m").get_tensor_torch("big")  # no SIGBUS


def test_missing_data_file(ckpt):
    os.unlink(data_of(ckpt))
    reader = tfc.CheckpointReader(ckpt)  # the index alone opens, like TF
    with pytest.raises(errors.NotFoundError, match=r"model-3.data-00000-of-00001; No such file or directory.*'a'"):
        reader.get_tensor("a")


def test_missing_header(ckpt):
    path = Path(tfc.index_filename(ckpt))
    entries = sstable.read_table(path.read_bytes())
    with open(path, "wb") as f:
        table = sstable.TableWriter(f)
        for key, value in entries[1:]:
            table.add(key, value)
        table.finish()
    with pytest.raises(errors.DataLossError, match="failed to seek to header entry"):
        tfc.CheckpointReader(ckpt)


def test_unreadable_entries(ckpt):
    def change(key, entry):
        if key == b"a":
            entry.dtype = 77
        if key == b"b":
            entry.shard_id = 3
        if key == b"e":
            entry.shape.dim[0].size = -2

    rewrite_index(ckpt, change)
    reader = tfc.CheckpointReader(ckpt)
    with pytest.raises(errors.DataLossError, match=r"Unknown dtype enum 77.*tensor 'a'"):
        reader.get_tensor("a")
    with pytest.raises(errors.DataLossError, match=r"Shard id 3 out of range.*tensor 'b'"):
        reader.get_tensor("b")
    with pytest.raises(errors.DataLossError, match="Invalid tensor shape: e"):
        reader.get_tensor("e")


def test_newer_format_version_is_refused(ckpt):
    def change(key, entry):
        if key == b"":
            entry.version.min_consumer = 2

    rewrite_index(ckpt, change)
    with pytest.raises(errors.InvalidArgumentError, match="min consumer version 2 above current version 1"):
        tfc.CheckpointReader(ckpt)


def test_random_byte_flips_never_give_wrong_numbers(ckpt):
    want = cases.saver_values()
    index_path = Path(tfc.index_filename(ckpt))
    original = {p: p.read_bytes() for p in (index_path, data_of(ckpt))}
    rng = np.random.default_rng(7)
    for trial in range(200):
        path = index_path if trial % 2 else data_of(ckpt)
        data = bytearray(original[path])
        data[int(rng.integers(0, len(data)))] ^= 1 << int(rng.integers(0, 8))
        path.write_bytes(bytes(data))
        try:
            reader = tfc.CheckpointReader(ckpt)
            got = {name: reader.get_tensor(name) for name in want}
        except errors.TorchMetaError:
            pass
        else:
            for name, value in want.items():
                assert_same_value(got[name], value)
        finally:
            path.write_bytes(original[path])


def test_resaving_what_was_read_gives_identical_bytes(tmp_path):
    reader = tfc.CheckpointReader(GOLDEN / "dtypes" / "ckpt")
    tfc.write_bundle(
        tmp_path / "ckpt",
        {name: reader.get_tensor(name) for name in reader},
        dtypes=reader.get_variable_to_dtype_map(),
    )
    assert files_of(tmp_path) == files_of(GOLDEN / "dtypes")


def test_damaged_entries_fail_before_allocating(ckpt):
    def change(key, entry):
        if key == b"a":  # consistent but enormous: 2**40 floats
            entry.shape.dim[0].size = 2**20
            entry.shape.dim[1].size = 2**20
            entry.size = 2**42
        if key == b"pv":  # a partitioned variable claiming a huge shape its slices do not cover
            entry.shape.dim[0].size = 2**40

    rewrite_index(ckpt, change)
    reader = tfc.CheckpointReader(ckpt)
    with pytest.raises(errors.DataLossError, match=r"Read less bytes than requested: tensor a needs bytes"):
        reader.get_tensor("a")
    with pytest.raises(errors.InvalidArgumentError, match="Does not have sufficient slices"):
        reader.get_tensor("pv")


def test_overlapping_slices_are_reported(tmp_path):
    pv = cases.SAVER_PARTITIONED["pv"][0]
    with tfc.BundleWriter(tmp_path / "m") as w:
        w.add_slice("pv", (4, 2), "0,3:-", pv[:3])
        w.add_slice("pv", (4, 2), "2,1:-", pv[2:3])  # overlaps the first; row 3 missing
    with pytest.raises(errors.DataLossError, match="Overlapping slices of pv"):
        tfc.CheckpointReader(tmp_path / "m").get_tensor("pv")
