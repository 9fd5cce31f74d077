"""Converter front ends: round trips (byte-identical for Saver checkpoints), exit codes, inspector output."""

import json
import os
import re
import shutil
import struct
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from converters import inspect_checkpoint, safetensors_to_tf_checkpoint, tf_checkpoint_to_safetensors
from tests.io import checkpoint_cases as cases
from tests.io.test_tf_checkpoint import GOLDEN, assert_same_value, dtype_tensors, files_of
from torchmeta import io
from torchmeta.tools import convert as convert_lib
from torchmeta.tools.convert import ProgressBar

tf2st = tf_checkpoint_to_safetensors.main
st2tf = safetensors_to_tf_checkpoint.main
inspect = inspect_checkpoint.main


@pytest.mark.parametrize(("sub", "prefix"), [("saver", "model-3"), ("dtypes", "ckpt")])
def test_round_trip_gives_tensorflows_bytes_back(tmp_path, sub, prefix, capsys):
    assert tf2st([str(GOLDEN / sub / prefix), str(tmp_path / "st" / "m")]) == 0
    assert st2tf([str(tmp_path / "st" / "m.safetensors"), str(tmp_path / "back" / prefix)]) == 0
    assert files_of(tmp_path / "back") == files_of(GOLDEN / sub)
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'st' / 'm.safetensors'}" in out


def test_round_trip_of_a_sharded_checkpoint_keeps_values(tmp_path):
    assert tf2st([str(GOLDEN / "sharded" / "model.index"), str(tmp_path / "m")]) == 0  # a file name works
    assert st2tf([str(tmp_path / "m"), str(tmp_path / "back" / "model")]) == 0
    reader = io.CheckpointReader(tmp_path / "back" / "model")
    assert reader.num_shards == 1
    for group in cases.SHARDED_VARIABLES:
        for name, value in group.items():
            assert_same_value(reader.get_tensor(name), value)


def test_metadata_flag(tmp_path):
    assert (
        tf2st([str(GOLDEN / "saver" / "model-3"), str(tmp_path / "m"), "--metadata", "step=3", "--metadata", "k=a=b"])
        == 0
    )
    assert io.SafetensorsReader(tmp_path / "m").metadata == {"step": "3", "k": "a=b"}


def test_progress_bar_only_when_asked_or_on_a_terminal(tmp_path, capsys):
    tf2st([str(GOLDEN / "saver" / "model-3"), str(tmp_path / "a")])
    assert capsys.readouterr().err == ""  # stderr is not a terminal under pytest
    tf2st([str(GOLDEN / "saver" / "model-3"), str(tmp_path / "b"), "--progress"])
    err = capsys.readouterr().err
    if convert_lib.HAVE_TQDM:  # tqdm's bar (the optional `progress` extra, installed with `test`)
        assert "reading: 100%|" in err and "| 158/158 [" in err and err.endswith("B/s]\n")
    else:
        assert "reading [" in err and "100% 158 B/158 B" in err and err.endswith(" s\n")
    tf2st([str(GOLDEN / "saver" / "model-3"), str(tmp_path / "c"), "--quiet"])
    assert capsys.readouterr() == ("", "")  # --quiet: nothing but errors


def test_progress_bar_drawing():
    class Tty:
        def __init__(self):
            self.text = ""

        def isatty(self):
            return True

        def write(self, s):
            self.text += s

        def flush(self):
            pass

    stream = Tty()
    with ProgressBar(2_000_000, "converting", stream=stream) as bar:
        bar.update(1_000_000)
        bar.update(1_000_000)  # within 0.1 s: not redrawn until close
    assert "\rconverting [###############...............]  50% 1.0 MB/2.0 MB" in stream.text
    assert stream.text.count("\r") == 2 and "100% 2.0 MB/2.0 MB in " in stream.text
    # progress_bar() picks tqdm when it is installed, this bar otherwise (or when asked)
    stream = Tty()
    with convert_lib.progress_bar(10, "reading", stream=stream, use_tqdm=False) as bar:
        bar.update(10)
    assert re.search(r"\rreading \[#{30}\] 100% 10 B/10 B in \d+\.\d s\n$", stream.text)
    if convert_lib.HAVE_TQDM:
        stream = Tty()
        with convert_lib.progress_bar(2_000, "reading", stream=stream) as bar:
            bar.update(2_000)
        assert "reading: 100%|" in stream.text and "| 2.00k/2.00k [" in stream.text
    silent = Tty()
    silent.isatty = lambda: False
    with convert_lib.progress_bar(10, "reading", stream=silent) as bar:
        bar.update(10)
    assert silent.text == ""  # not a terminal: no bar


# -- bad input: exit 1 with one line naming the file; usage: exit 2 -------------------------------------------


def one_error_line(capsys, prog) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"{prog}: error: ")
    return err[0]


def test_missing_input(tmp_path, capsys):
    assert tf2st([str(tmp_path / "nope"), str(tmp_path / "out")]) == 1
    assert str(tmp_path / "nope") in one_error_line(capsys, "torchmeta-tf2safetensors")
    assert st2tf([str(tmp_path / "nope"), str(tmp_path / "out")]) == 1
    assert str(tmp_path / "nope.safetensors") in one_error_line(capsys, "torchmeta-safetensors2tf")
    assert inspect([str(tmp_path / "nope")]) == 1
    assert "Failed to find any matching files" in one_error_line(capsys, "torchmeta-inspect")
    assert not (tmp_path / "out.safetensors").exists() and not (tmp_path / "out.index").exists()


def test_corrupt_tf_input(tmp_path, capsys):
    shutil.copytree(GOLDEN / "saver", tmp_path / "c")
    data = tmp_path / "c" / "model-3.data-00000-of-00001"
    raw = bytearray(data.read_bytes())
    raw[100] ^= 1
    data.write_bytes(bytes(raw))
    assert tf2st([str(tmp_path / "c" / "model-3"), str(tmp_path / "out")]) == 1
    line = one_error_line(capsys, "torchmeta-tf2safetensors")
    assert "Checksum does not match" in line and str(data) in line
    assert not (tmp_path / "out.safetensors").exists()


def test_corrupt_safetensors_input(tmp_path, capsys):
    header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 12]}}).encode()
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(struct.pack("<Q", len(header)) + header + b"\x00" * 12)
    assert st2tf([str(bad), str(tmp_path / "out")]) == 1
    line = one_error_line(capsys, "torchmeta-safetensors2tf")
    assert "Tensor 'w': header gives 12 bytes" in line and str(bad) in line
    assert inspect([str(bad)]) == 1
    assert not (tmp_path / "out.index").exists()
    assert [p for p in os.listdir(tmp_path) if "tempstate" in p] == []


@pytest.mark.parametrize(
    ("main", "argv"),
    [
        (tf2st, []),
        (tf2st, ["a"]),
        (tf2st, ["a", "b", "--metadata", "novalue"]),
        (st2tf, ["a", "b", "--bogus"]),
        (inspect, ["--summarize", "x", "p"]),
        (tf2st, ["a", "b", "--progress", "--no-progress"]),
    ],
)
def test_usage_errors_exit_2(main, argv, capsys):
    assert main(argv) == 2
    assert "usage:" in capsys.readouterr().err


def test_help_exits_0(capsys):
    assert inspect(["--help"]) == 0
    assert "List the tensors of a checkpoint" in capsys.readouterr().out


def test_console_scripts_are_declared():
    scripts = {ep.name: ep.value for ep in metadata.entry_points(group="console_scripts")}
    assert scripts["torchmeta-tf2safetensors"] == "converters.tf_checkpoint_to_safetensors:main"
    assert scripts["torchmeta-safetensors2tf"] == "converters.safetensors_to_tf_checkpoint:main"
    assert scripts["torchmeta-inspect"] == "converters.inspect_checkpoint:main"


# -- the inspector --------------------------------------------------------------------------------------------


def test_inspect_lists_both_formats(tmp_path, capsys):
    assert inspect([str(GOLDEN / "saver" / "model-3")]) == 0
    tf_out = capsys.readouterr().out.splitlines()
    assert tf_out[0].split() == ["name", "dtype", "shape", "bytes"]
    assert tf_out[1].split() == ["a", "float32", "[2,", "3]", "24"]
    assert "pw          int32    [3, 5]  60" in tf_out
    assert tf_out[-1] == "# 8 tensors, 158 bytes (158 B); TensorFlow V2 checkpoint, 1 shard(s)"
    tf2st([str(GOLDEN / "saver" / "model-3"), str(tmp_path / "m")])
    capsys.readouterr()
    assert inspect([str(tmp_path / "m.safetensors")]) == 0
    st_out = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in st_out[1:-1]] == [line.split()[:2] for line in tf_out[1:-1]]
    assert st_out[-1].endswith("safetensors checkpoint")


def test_inspect_values(capsys):
    assert inspect([str(GOLDEN / "saver" / "model-3"), "--tensor", "pv", "--tensor", "c"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("tensor_name:  pv\n[[0. 1.]\n [2. 3.]\n [4. 5.]\n [6. 7.]]\ntensor_name:  c\n")
    assert "[b'hi' b'' b'xyz']" in out
    assert inspect([str(GOLDEN / "saver" / "model-3"), "--tensor", "zz"]) == 1
    line = one_error_line(capsys, "torchmeta-inspect")
    assert line.endswith(f"Key zz not found in checkpoint {GOLDEN / 'saver' / 'model-3'}")
    assert inspect([str(GOLDEN / "dtypes" / "ckpt"), "--all-tensors", "--summarize", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("tensor_name:") == len(cases.DTYPE_CASES) and "..." in out


def test_converters_keep_every_dtype(tmp_path):
    values, dtypes = dtype_tensors()
    io.write_bundle(tmp_path / "src", values, dtypes=dtypes)
    tf_checkpoint_to_safetensors.convert(str(tmp_path / "src"), str(tmp_path / "m"))
    reader = io.SafetensorsReader(tmp_path / "m")
    assert reader.get_variable_to_dtype_map() == dtypes
    for name, value in values.items():
        assert_same_value(reader.get_tensor(name), value)


def test_round_trip_through_tensorflow(tmp_path):
    """TF Saver checkpoint -> safetensors -> TF checkpoint, restored by TensorFlow's own Saver."""
    pytest.importorskip("tensorflow")
    from tests.io import tf_helpers

    prefix = tf_helpers.saver_save(str(tmp_path / "tf" / "model"), global_step=7)
    assert tf2st([prefix, str(tmp_path / "m")]) == 0
    assert st2tf([str(tmp_path / "m"), str(tmp_path / "back" / "model-7")]) == 0
    assert files_of(tmp_path / "back") == {k: v for k, v in files_of(Path(prefix).parent).items() if k != "checkpoint"}
    got = tf_helpers.saver_restore(str(tmp_path / "back" / "model-7"), cases.SAVER_VARIABLES, cases.SAVER_PARTITIONED)
    for name, value in cases.saver_values().items():
        assert_same_value(np.asarray(got[name]), value)


def test_round_trip_of_a_partially_saved_partitioned_variable(tmp_path):
    # One shard's worth of a partitioned variable: the slices do not cover it, and survive as slices.
    pv_slices = cases.saver_tensors()["pv"]
    io.write_bundle(tmp_path / "src" / "m", {"a": np.ones(2, np.float32), "pv": pv_slices[1:]})
    assert tf2st([str(tmp_path / "src" / "m"), str(tmp_path / "m")]) == 0
    assert io.SafetensorsReader(tmp_path / "m").get_tensor_slices("pv") == [io.TensorSlice.parse("2,2:0,2")]
    assert st2tf([str(tmp_path / "m"), str(tmp_path / "back" / "m")]) == 0
    assert files_of(tmp_path / "back") == files_of(tmp_path / "src")
