"""safetensors checkpoints: every TF dtype round-trips, partitioned variables, plain files, lying headers."""

import json
import os
import struct

import numpy as np
import pytest
import safetensors.torch
import torch

from tests.io import checkpoint_cases as cases
from tests.io.test_tf_checkpoint import assert_same_value, dtype_tensors
from torchmeta import errors
from torchmeta.dtypes import DType
from torchmeta.io import safetensors_checkpoint as stc
from torchmeta.io.tensor_slice import TensorSlice
from torchmeta.io.tf_checkpoint import CheckpointReader


def header_of(path) -> dict:
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n))


def test_every_dtype_round_trips(tmp_path):
    values, dtypes = dtype_tensors()
    path = stc.save_safetensors(tmp_path / "m", values, {"step": "3"}, dtypes=dtypes)
    assert path == str(tmp_path / "m.safetensors")
    assert os.listdir(tmp_path) == ["m.safetensors"]
    reader = stc.SafetensorsReader(tmp_path / "m")
    assert reader.metadata == {"step": "3"}
    assert reader.keys() == sorted(values) and len(reader) == len(values)
    assert reader.get_variable_to_dtype_map() == dtypes
    assert reader.get_variable_to_shape_map() == {n: list(v.shape) for n, v in values.items()}
    for name, value in values.items():
        assert_same_value(reader.get_tensor(name), value, dtypes[name])


def test_stored_layout_and_metadata(tmp_path):
    values, dtypes = dtype_tensors()
    stc.save_safetensors(tmp_path / "m", values, dtypes=dtypes)
    header = header_of(tmp_path / "m.safetensors")
    info = json.loads(header["__metadata__"]["torchmeta"])
    assert info["version"] == 1
    assert header["qi8"]["dtype"] == "I8" and info["tensors"]["qi8"] == {"dtype": "qint8"}
    assert header["bf16"]["dtype"] == "BF16" and header["f8e4m3fn"]["dtype"] == "F8_E4M3"
    assert header["c128"] == {"dtype": "F64", "shape": [2, 2], "data_offsets": header["c128"]["data_offsets"]}
    assert info["tensors"]["c128"] == {"dtype": "complex128", "encoding": "complex_pairs", "shape": [2]}
    assert header["i4"]["dtype"] == "U8" and info["tensors"]["i4"]["encoding"] == "bytes"
    assert info["tensors"]["str"] == {"dtype": "string", "encoding": "strings", "shape": [3, 2]}
    # strings: 6 uint64 lengths, then the bytes
    assert header["str"]["shape"] == [6 * 8 + sum(len(s) for s in values["str"].reshape(-1))]


@pytest.mark.parametrize("mmap", [True, False])
def test_torch_reads(tmp_path, mmap):
    values, dtypes = dtype_tensors()
    stc.save_safetensors(tmp_path / "m", values, dtypes=dtypes)
    reader = stc.SafetensorsReader(tmp_path / "m.safetensors")  # the file name works too
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
            if t.numel():
                assert t.reshape(-1).view(torch.uint8).numpy().tobytes() == np.ascontiguousarray(value).tobytes()
    out = torch.zeros(12)
    assert reader.get_tensor_torch("f32", out=out) is out
    assert torch.equal(out, torch.from_numpy(values["f32"]).reshape(-1))
    with pytest.raises(errors.InvalidArgumentError, match="Cannot read f32"):
        reader.get_tensor_torch("f32", out=torch.zeros(12, dtype=torch.float64))


def test_partitioned_variables_are_stored_whole_with_their_specs(tmp_path):
    stc.save_safetensors(tmp_path / "m", cases.saver_tensors())
    reader = stc.SafetensorsReader(tmp_path / "m")
    for name, value in cases.saver_values().items():
        assert_same_value(reader.get_tensor(name), value)
    assert reader.get_tensor_slices("pv") == [TensorSlice.parse("0,2:0,2"), TensorSlice.parse("2,2:0,2")]
    assert reader.get_tensor_slices("a") == []
    assert header_of(tmp_path / "m.safetensors")["pv"]["shape"] == [4, 2]
    pw = cases.SAVER_PARTITIONED["pw"][0]
    assert_same_value(reader.get_slice("pw", "3 5 0,3:3,2"), pw[:, 3:])
    assert_same_value(reader.get_slice("pw", "1,1:-"), pw[1:2])
    assert_same_value(reader.get_slice("c", "1,2"), cases.SAVER_VARIABLES["c"][1:])


def test_overlapping_slices_are_refused(tmp_path):
    pv_slices = cases.saver_tensors()["pv"]
    with pytest.raises(errors.InvalidArgumentError, match="Overlapping slices"):
        stc.save_safetensors(tmp_path / "m", {"pv": [pv_slices[0], pv_slices[0]]})
    assert not os.listdir(tmp_path)


def test_slices_that_do_not_cover_the_variable_are_stored_apart(tmp_path):
    pw = cases.SAVER_PARTITIONED["pw"][0]
    pw_slices = cases.saver_tensors()["pw"]  # columns 0-2 and 3-4
    stc.save_safetensors(tmp_path / "m", {"a": np.ones(2), "pw": pw_slices[1:]})
    header = header_of(tmp_path / "m.safetensors")
    assert sorted(k for k in header if k != "__metadata__") == ["a", "pw:0,3:3,2"]
    reader = stc.SafetensorsReader(tmp_path / "m")
    assert reader.keys() == ["a", "pw"]
    assert reader.get_variable_to_shape_map()["pw"] == [3, 5]
    assert reader.get_tensor_slices("pw") == [TensorSlice.parse("0,3:3,2")]
    assert reader.nbytes("pw") == 24
    assert_same_value(reader.get_slice("pw", "3 5 0,3:3,2"), pw[:, 3:])
    assert_same_value(reader.get_slice("pw", "1,2:4,1"), pw[1:3, 4:])
    with pytest.raises(errors.InvalidArgumentError, match="Does not have sufficient slices for partitioned tensor pw"):
        reader.get_tensor("pw")
    with pytest.raises(errors.NotFoundError):
        reader.get_tensor("pw:0,3:3,2")  # stored slices are not variables


def test_merge_joins_the_slices_of_a_sharded_save(tmp_path):
    pv_slices = cases.saver_tensors()["pv"]
    (tmp_path / "tmp").mkdir()
    stc.save_safetensors(tmp_path / "tmp" / "part-0", {"a": np.ones(2, np.float32), "pv": [pv_slices[1]]}, {"k": "v"})
    stc.save_safetensors(tmp_path / "tmp" / "part-1", {"pv": [pv_slices[0]], "s": np.array([b"x"], dtype=object)})
    merged = stc.merge_safetensors([tmp_path / "tmp" / "part-0", tmp_path / "tmp" / "part-1"], tmp_path / "model")
    assert merged == str(tmp_path / "model.safetensors")
    assert os.listdir(tmp_path) == ["model.safetensors"]  # inputs and their directory removed
    reader = stc.SafetensorsReader(merged)
    assert reader.metadata == {"k": "v"}
    assert_same_value(reader.get_tensor("pv"), cases.SAVER_PARTITIONED["pv"][0])
    assert reader.get_tensor_slices("pv") == [TensorSlice.parse("2,2:0,2"), TensorSlice.parse("0,2:0,2")]
    assert header_of(merged)["pv"]["shape"] == [4, 2]  # stored whole again
    assert reader.get_tensor("s").tolist() == [b"x"]


def test_merge_rejects_duplicates(tmp_path):
    stc.save_safetensors(tmp_path / "p0", {"a": np.ones(2)})
    stc.save_safetensors(tmp_path / "p1", {"a": np.ones(2)})
    with pytest.raises(errors.InvalidArgumentError, match="Duplicate tensor keyed by a"):
        stc.merge_safetensors([tmp_path / "p0", tmp_path / "p1"], tmp_path / "m")
    with pytest.raises(errors.NotFoundError):
        stc.merge_safetensors([tmp_path / "nope"], tmp_path / "m")
    stc.merge_safetensors([tmp_path / "nope", tmp_path / "p0"], tmp_path / "m", allow_missing_files=True)
    assert sorted(os.listdir(tmp_path)) == ["m.safetensors", "p1.safetensors"]


def test_torch_inputs_and_shared_memory(tmp_path):
    w = torch.arange(6, dtype=torch.float32).reshape(2, 3).requires_grad_()
    stc.save_safetensors(
        tmp_path / "m",
        {"w": w, "same": w, "t": w.detach().T, "bf": w.detach().to(torch.bfloat16), "step": 3},
    )
    reader = stc.SafetensorsReader(tmp_path / "m")
    assert torch.equal(reader.get_tensor_torch("same"), w.detach())
    assert torch.equal(reader.get_tensor_torch("t"), w.detach().T)
    assert reader.get_dtype("bf") is DType.bfloat16 and reader.get_dtype("step") is DType.int64


def test_plain_safetensors_files_are_readable(tmp_path):
    safetensors.torch.save_file(
        {"w": torch.ones(2, 3), "b": torch.zeros(3, dtype=torch.bfloat16), "n": torch.tensor(5)},
        tmp_path / "hf.safetensors",
    )
    reader = stc.SafetensorsReader(tmp_path / "hf")
    assert reader.get_variable_to_dtype_map() == {"b": DType.bfloat16, "n": DType.int64, "w": DType.float32}
    assert reader.get_tensor("w").tolist() == [[1.0] * 3] * 2
    assert reader.debug_string() == b"b (DT_BFLOAT16) [3]\nn (DT_INT64) []\nw (DT_FLOAT) [2,3]\n"


def test_same_interface_as_checkpoint_reader():
    public = {n for n in dir(CheckpointReader) if not n.startswith("_")}
    assert public <= {n for n in dir(stc.SafetensorsReader) if not n.startswith("_")}


def test_failed_save_keeps_the_old_file(tmp_path):
    stc.save_safetensors(tmp_path / "m", {"a": np.ones(2)})
    before = (tmp_path / "m.safetensors").read_bytes()
    with pytest.raises(TypeError):
        stc.save_safetensors(tmp_path / "m", {"a": np.zeros(2), "bad": np.array([object()], dtype=object)})
    with pytest.raises(ValueError, match="reserved"):
        stc.save_safetensors(tmp_path / "m", {"a": np.zeros(2)}, {"torchmeta": "x"})
    assert (tmp_path / "m.safetensors").read_bytes() == before
    assert os.listdir(tmp_path) == ["m.safetensors"]
    with pytest.raises(errors.NotFoundError):
        stc.save_safetensors(tmp_path / "no" / "m", {"a": np.zeros(2)})


def test_missing_file_and_key(tmp_path):
    with pytest.raises(errors.NotFoundError, match="Failed to find a safetensors checkpoint"):
        stc.SafetensorsReader(tmp_path / "nope")
    stc.save_safetensors(tmp_path / "m", {"a": np.ones(2)})
    with pytest.raises(errors.NotFoundError) as e:
        stc.SafetensorsReader(tmp_path / "m").get_tensor("zz")
    assert str(e.value) == "Key zz not found in checkpoint"


# -- files whose header lies ------------------------------------------------------------------------------


def craft(path, header: dict, data: bytes, header_bytes: bytes | None = None):
    raw = header_bytes if header_bytes is not None else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


F32_6 = np.arange(6, dtype=np.float32).tobytes()  # 24 bytes


@pytest.mark.parametrize(
    ("header", "data", "error", "message"),
    [
        (
            {"a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}},
            F32_6[:20],
            errors.DataLossError,
            r"Tensor 'a': header gives 20 bytes at \[0, 20\) but F32 \[2, 3\] needs 24 bytes",
        ),
        (
            {"a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}},
            F32_6[:16],
            errors.DataLossError,
            r"Tensor 'a': data \[0, 24\) runs past the end of the file's data section \(16 bytes; truncated",
        ),
        (
            {
                "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
                "b": {"dtype": "F32", "shape": [2], "data_offsets": [16, 24]},
            },
            F32_6,
            errors.DataLossError,
            r"Tensor 'b': data at \[16, 24\) overlaps the previous tensor",
        ),
        (
            {"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}},
            F32_6[:16],
            errors.DataLossError,
            r"Tensor 'a': data at \[8, 16\) leaves a gap",
        ),
        (
            {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}},
            F32_6,
            errors.DataLossError,
            "16 bytes after the last tensor's data",
        ),
        (
            {"a": {"dtype": "F32", "shape": [2, -3], "data_offsets": [0, 24]}},
            F32_6,
            errors.DataLossError,
            "Tensor 'a': malformed header entry",
        ),
        (
            {"a": {"dtype": "F4", "shape": [2], "data_offsets": [0, 1]}},
            b"\x00",
            errors.UnimplementedError,
            "Tensor 'a' has safetensors dtype F4",
        ),
        (
            {
                "__metadata__": {"torchmeta": json.dumps({"version": 1, "tensors": {"a": {"dtype": "float32"}}})},
                "a": {"dtype": "I32", "shape": [6], "data_offsets": [0, 24]},
            },
            F32_6,
            errors.DataLossError,
            r"Tensor 'a': stored as I32 \[6\], which does not hold the float32 \[6\] its metadata describes",
        ),
        (
            {"__metadata__": {"torchmeta": "{not json"}},
            b"",
            errors.DataLossError,
            "malformed or newer torchmeta metadata",
        ),
    ],
    ids=["size", "truncated", "overlap", "gap", "trailing", "bad-shape", "unknown-dtype", "wrong-metadata", "bad-meta"],
)
def test_lying_headers_name_the_file_and_tensor(tmp_path, header, data, error, message):
    path = craft(tmp_path / "bad.safetensors", header, data)
    with pytest.raises(error, match=message) as e:
        stc.SafetensorsReader(path)
    assert str(path) in str(e.value)


def test_header_length_and_json(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", 10**6) + b"{}")
    with pytest.raises(errors.DataLossError, match="header length 1000000 exceeds the file size 10"):
        stc.SafetensorsReader(path)
    craft(path, {}, b"", header_bytes=b"\xff\xfe not json")
    with pytest.raises(errors.DataLossError, match="not valid JSON"):
        stc.SafetensorsReader(path)
    path.write_bytes(b"\x01\x02")
    with pytest.raises(errors.DataLossError, match="too short"):
        stc.SafetensorsReader(path)


def test_string_lengths_that_do_not_add_up(tmp_path):
    meta = {
        "torchmeta": json.dumps(
            {"version": 1, "tensors": {"s": {"dtype": "string", "encoding": "strings", "shape": [2]}}}
        )
    }
    blob = struct.pack("<QQ", 2, 5) + b"abcd"  # lengths say 7 bytes, 4 stored
    path = craft(
        tmp_path / "s.safetensors",
        {"__metadata__": meta, "s": {"dtype": "U8", "shape": [len(blob)], "data_offsets": [0, len(blob)]}},
        blob,
    )
    reader = stc.SafetensorsReader(path)
    with pytest.raises(errors.DataLossError, match="Tensor 's': string lengths do not add up"):
        reader.get_tensor("s")


def test_file_truncated_after_opening(tmp_path):
    stc.save_safetensors(tmp_path / "m", {"a": np.ones(1000, np.float32), "b": np.ones(3)})
    reader = stc.SafetensorsReader(tmp_path / "m")
    path = tmp_path / "m.safetensors"
    path.write_bytes(path.read_bytes()[:-2000])
    with pytest.raises(errors.DataLossError, match=r"Tensor 'a': the file ends before its data"):
        reader.get_tensor("a")
    with pytest.raises(errors.DataLossError, match="runs past the end of the file's data section"):
        stc.SafetensorsReader(tmp_path / "m")


def test_read_into_non_contiguous_and_empty_out(tmp_path):
    stc.save_safetensors(tmp_path / "m", {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "e": np.zeros((0, 2))})
    reader = stc.SafetensorsReader(tmp_path / "m")
    out = torch.zeros(3, 4)[:, ::2].T  # (2, 3), not contiguous
    reader.get_tensor_torch("w", out=out)
    assert out.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert reader.get_tensor_torch("e", out=torch.zeros(0, 2, dtype=torch.float64)).shape == (0, 2)
    assert reader.get_tensor_torch("e", mmap=False).shape == (0, 2)
