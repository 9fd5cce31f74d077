"""V2 bundles against real TensorFlow, both ways: TF writes and we read, we write and TF reads/restores."""

import os
import shutil
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

from tests.io import checkpoint_cases as cases
from tests.io.test_tf_checkpoint import GOLDEN, assert_same_value, dtype_tensors, files_of
from torchmeta.io import tf_checkpoint as tfc

pytest.importorskip("tensorflow")
from tests.io import tf_helpers


def test_goldens_are_what_tensorflow_writes_today(tmp_path):
    """The committed golden files equal a fresh TensorFlow run (so the byte tests compare with real TF)."""
    for sub in ("dtypes", "saver", "sharded"):
        (tmp_path / sub).mkdir()
    tf_helpers.save_v2(str(tmp_path / "dtypes" / "ckpt"), cases.DTYPE_CASES)
    tf_helpers.saver_save(str(tmp_path / "saver" / "model"), global_step=3)
    tf_helpers.saver_save_sharded(str(tmp_path / "sharded" / "model"))
    for sub in ("dtypes", "saver", "sharded"):
        assert files_of(tmp_path / sub) == files_of(GOLDEN / sub), sub


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_we_read_tf_saver_checkpoints(tmp_path, resource):
    prefix = tf_helpers.saver_save(str(tmp_path / "model"), global_step=1, resource=resource)
    tf_reader = tf_helpers.tf().train.load_checkpoint(prefix)
    reader = tfc.CheckpointReader(prefix)
    assert reader.get_variable_to_shape_map() == tf_reader.get_variable_to_shape_map()
    assert {n: d.name for n, d in reader.get_variable_to_dtype_map().items()} == tf_helpers.load_dtypes(prefix)
    assert reader.debug_string() == tf_reader.debug_string()
    for name, value in cases.saver_values().items():
        assert_same_value(reader.get_tensor(name), value)
    assert not (tmp_path / "checkpoint").exists()


def test_tf_saver_with_a_variable_of_every_dtype_writes_our_bytes(tmp_path):
    prefix = tf_helpers.saver_save_dtypes(str(tmp_path / "ckpt"))
    assert files_of(tmp_path) == files_of(GOLDEN / "dtypes")  # the Saver's SaveV2 call = our writer's output
    reader = tfc.CheckpointReader(prefix)
    values, dtypes = dtype_tensors()
    for name, value in values.items():
        assert_same_value(reader.get_tensor(name), value, dtypes[name])


def test_tf_saver_restores_every_dtype_we_write(tmp_path):
    values, dtypes = dtype_tensors()
    tfc.write_bundle(tmp_path / "ckpt", values, dtypes=dtypes)
    got = tf_helpers.saver_restore_dtypes(str(tmp_path / "ckpt"))
    for name, value in values.items():
        assert_same_value(np.asarray(got[name], dtype=value.dtype), value)


def test_tf_reads_what_we_write_every_dtype(tmp_path):
    values, dtypes = dtype_tensors()
    tfc.write_bundle(tmp_path / "ckpt", values, dtypes=dtypes)
    got = tf_helpers.load_all(str(tmp_path / "ckpt"))
    assert tf_helpers.load_dtypes(str(tmp_path / "ckpt")) == {n: d.name for n, d in dtypes.items()}
    for name, value in values.items():
        assert_same_value(np.asarray(got[name], dtype=value.dtype if value.dtype == object else None), value)


def test_tf_saver_restores_what_we_write(tmp_path):
    tfc.write_bundle(tmp_path / "m", cases.saver_tensors())
    got = tf_helpers.saver_restore(str(tmp_path / "m"), cases.SAVER_VARIABLES, cases.SAVER_PARTITIONED)
    for name, value in cases.saver_values().items():
        assert_same_value(np.asarray(got[name]), value)


def test_tf_saver_restores_across_partitionings(tmp_path):
    pv, pw = cases.SAVER_PARTITIONED["pv"][0], cases.SAVER_PARTITIONED["pw"][0]
    # pv saved whole, restored into 3 partitions; pw saved in 2 column parts, restored into 3 row parts.
    tfc.write_bundle(tmp_path / "m", {"pv": pv, "pw": cases.partition_slices(pw, 1, 2)})
    got = tf_helpers.saver_restore(str(tmp_path / "m"), {}, {"pv": (pv, 0, 3), "pw": (pw, 0, 3)})
    assert_same_value(np.asarray(got["pv"]), pv)
    assert_same_value(np.asarray(got["pw"]), pw)


def test_multi_block_index_matches_tf(tmp_path):
    # 4000 entries with long names: the index needs several 256 KiB data blocks; names that differ by 7 make
    # the index keys shortened separators ("scope_00014" + ... , "scope_00021"... -> "scope_0002").
    names = [f"scope_{7 * i:05d}/" + "x" * 90 + f"/v{i}" for i in range(4000)]
    tensors = {name: (np.array(i % 100, np.int8), "int8") for i, name in enumerate(names)}
    (tmp_path / "tf").mkdir()
    tf_helpers.save_v2(str(tmp_path / "tf" / "m"), tensors)
    tfc.write_bundle(tmp_path / "ours" / "m", {n: v for n, (v, _) in tensors.items()})
    assert files_of(tmp_path / "ours") == files_of(tmp_path / "tf")
    assert (tmp_path / "tf" / "m.index").stat().st_size > 262144
    reader = tfc.CheckpointReader(tmp_path / "tf" / "m")
    assert len(reader) == 4000 and reader.get_tensor(names[3999]) == 99


def test_large_slice_offsets_match_tf(tmp_path):
    # Multi-byte OrderedCode numbers in the slice keys.
    big = np.arange(200000, dtype=np.int8).reshape(200000, 1)
    tensors = {"big": (big, "int8"), "wide": (np.ones((1, 3), np.float32), "float32")}
    specs = {"big": "300000 1 100000,200000:-", "wide": "2 70000 1,1:69997,3"}
    (tmp_path / "tf").mkdir()
    tf_helpers.save_v2(str(tmp_path / "tf" / "m"), tensors, specs)
    tfc.save_v2(tmp_path / "ours" / "m", list(tensors), [specs[n] for n in tensors], [v for v, _ in tensors.values()])
    assert files_of(tmp_path / "ours") == files_of(tmp_path / "tf")
    reader = tfc.CheckpointReader(tmp_path / "tf" / "m")
    assert_same_value(reader.get_slice("big", "300000 1 150000,10:-"), big[50000:50010])


def test_merge_matches_tf_merge(tmp_path):
    pv_slices = cases.saver_tensors()["pv"]
    for side in ("tf", "ours"):
        tfc.write_bundle(tmp_path / side / "p0", {"a": np.ones(2, np.float32), "pv": [pv_slices[1]]})
        tfc.write_bundle(tmp_path / side / "p1", {"b": np.array([b"s"], dtype=object), "pv": [pv_slices[0]]})
    tf_helpers.merge_v2([str(tmp_path / "tf" / "p0"), str(tmp_path / "tf" / "p1")], str(tmp_path / "tf" / "m"))
    tfc.merge_bundles([tmp_path / "ours" / "p0", tmp_path / "ours" / "p1"], tmp_path / "ours" / "m")
    assert files_of(tmp_path / "ours") == files_of(tmp_path / "tf")
    assert sorted(os.listdir(tmp_path / "tf")) == ["m.data-00000-of-00002", "m.data-00001-of-00002", "m.index"]


def test_int4_negative_values(tmp_path):
    # TF's graph-mode Const stores int4 sign-extended (-1 as 0xff); ml_dtypes/eager keep the nibble (0x0f).
    values = np.array([-8, -1, 7, 0], dtype=ml_dtypes.int4)
    (tmp_path / "tf").mkdir()
    tf_helpers.save_v2(str(tmp_path / "tf" / "m"), {"i4": (values, "int4")})
    stored = (tmp_path / "tf" / "m.data-00000-of-00001").read_bytes()
    assert stored == bytes([0xF8, 0xFF, 0x07, 0x00])
    assert_same_value(
        tfc.CheckpointReader(tmp_path / "tf" / "m").get_tensor("i4").astype(np.int8), values.astype(np.int8)
    )
    tfc.write_bundle(tmp_path / "ours" / "m", {"i4": values})
    assert (tmp_path / "ours" / "m.data-00000-of-00001").read_bytes() == bytes([0x08, 0x0F, 0x07, 0x00])
    got = tf_helpers.load_all(str(tmp_path / "ours" / "m"))["i4"]
    assert got.astype(np.int8).tolist() == [-8, -1, 7, 0]


def test_tf_reads_our_sharded_checkpoint(tmp_path):
    tfc.write_sharded_bundle(tmp_path / "model", cases.SHARDED_VARIABLES)
    got = tf_helpers.load_all(str(tmp_path / "model"))
    for group in cases.SHARDED_VARIABLES:
        for name, value in group.items():
            assert_same_value(got[name], value)


def test_tf_reports_our_corruption_too(tmp_path):
    """Sanity check of the corruption tests: TF also refuses the damaged files we refuse."""
    shutil.copytree(GOLDEN / "saver", tmp_path / "c")
    data = Path(tfc.data_filename(tmp_path / "c" / "model-3", 0, 1))
    raw = bytearray(data.read_bytes())
    raw[2] ^= 0x20
    data.write_bytes(bytes(raw))
    reader = tf_helpers.tf().train.load_checkpoint(str(tmp_path / "c" / "model-3"))
    with pytest.raises(Exception, match="Checksum does not match"):
        reader.get_tensor("a")
