"""Saves are atomic, damaged checkpoints raise errors naming file and tensor, nothing is unpickled.

- A subprocess (tests/train/kill_saves.py) is SIGKILLed at every file operation of a save in turn; after
  each kill the state file's latest checkpoint restores to exactly its own values.
- Corrupt or truncated files (bad magic, block crc, tensor crc, short data file, a safetensors header that
  lies, truncated safetensors) make Saver.restore raise DataLossError naming the file (and the tensor,
  where one is at fault), through the fast path and the graph path; a variable never ends up holding
  wrong numbers.
"""

from __future__ import annotations

import json
import os
import pickle
import struct
import subprocess
import sys

import numpy as np
import pytest

import torchmeta as tm
from torchmeta.train import saver as saver_lib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the driver forks one child per kill point")
@pytest.mark.parametrize(
    "fmt, sharded, same_prefix",
    [
        ("safetensors", False, False),
        ("tf", False, False),
        ("tf", True, False),
        ("safetensors", True, False),
        ("safetensors", False, True),
        ("tf", False, True),
    ],
    ids=["safetensors", "tf", "tf-sharded", "safetensors-sharded", "safetensors-same-prefix", "tf-same-prefix"],
)
def test_killed_saves_leave_a_restorable_checkpoint(tmp_path, fmt, sharded, same_prefix):
    result = subprocess.run(
        [sys.executable, "-m", "tests.train.kill_saves", str(tmp_path), fmt, str(int(sharded)), str(int(same_prefix))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["failures"] == []
    assert report["kills"] >= 20  # every open, write, rename and removal of a save is a kill point
    assert report["outcomes"].get("old checkpoint restored", 0) >= 1
    assert report["outcomes"].get("new checkpoint restored", 0) >= 1
    if not (same_prefix and fmt == "tf"):
        # Only rewriting one prefix in TF's two-file format (as TensorFlow does) can be caught between
        # its .data and .index; the checksums then report it instead of restoring wrong numbers.
        assert set(report["outcomes"]) == {"old checkpoint restored", "new checkpoint restored"}


# -- damaged files -------------------------------------------------------------------------------------------

A = np.arange(300, dtype=np.float32)
B = np.array([1, 2], dtype=np.int32)


@pytest.fixture
def saved(tmp_path):
    """``{format: prefix}`` of one checkpoint of variables a and b in each format."""
    out = {}
    with tm.Graph().as_default():
        a = tm.Variable(A, name="a")
        b = tm.Variable(B, name="b")
        with tm.Session() as sess:
            sess.run(tm.global_variables_initializer())
            for fmt in ("tf", "safetensors"):
                saver = tm.train.Saver([a, b], format=fmt)
                out[fmt] = saver.save(sess, str(tmp_path / fmt), write_meta_graph=False, write_state=False)
    return out


def _flip(path, offset):
    data = bytearray(open(path, "rb").read())  # noqa: SIM115
    data[offset] ^= 0xFF
    with open(path, "wb") as f:
        f.write(bytes(data))


def _truncate(path, size):
    with open(path, "r+b") as f:
        f.truncate(size)


def _lie_in_header(path, change):
    raw = open(path, "rb").read()  # noqa: SIM115
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    change(header)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + raw[8 + n :])


def _offsets_plus_4(h):
    h["a"]["data_offsets"][1] += 4


def _shape_doubled(h):
    h["a"]["shape"] = [600]


def _swap_offsets(h):
    h["a"]["data_offsets"], h["b"]["data_offsets"] = h["b"]["data_offsets"], h["a"]["data_offsets"]


DAMAGE = {
    # name: (format, file suffix, how, expected words, tensor named)
    "bad_magic": ("tf", ".index", lambda p: _flip(p, os.path.getsize(p) - 1), "bad magic number", None),
    "index_block_crc": ("tf", ".index", lambda p: _flip(p, 10), "block checksum mismatch", None),
    "index_too_short": ("tf", ".index", lambda p: _truncate(p, 20), "too short", None),
    "tensor_crc": ("tf", ".data-00000-of-00001", lambda p: _flip(p, 100), "Checksum does not match", "a"),
    "short_data": ("tf", ".data-00000-of-00001", lambda p: _truncate(p, 500), "truncated", "a"),
    "header_lies_size": ("safetensors", ".safetensors", lambda p: _lie_in_header(p, _offsets_plus_4), "bytes", "a"),
    "header_lies_shape": ("safetensors", ".safetensors", lambda p: _lie_in_header(p, _shape_doubled), "needs", "a"),
    "header_offsets": ("safetensors", ".safetensors", lambda p: _lie_in_header(p, _swap_offsets), "bytes", "a"),
    "short_safetensors": ("safetensors", ".safetensors", lambda p: _truncate(p, 1000), "truncated", "a"),
    "tiny_safetensors": ("safetensors", ".safetensors", lambda p: _truncate(p, 4), "too short", None),
}


@pytest.mark.parametrize("use_plan", [True, False], ids=["plan", "graph"])
@pytest.mark.parametrize("initialized", [False, True], ids=["uninitialized", "initialized"])
@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_checkpoints_raise_naming_file_and_tensor(saved, damage, initialized, use_plan, monkeypatch):
    monkeypatch.setattr(saver_lib.Saver, "_use_restore_plan", use_plan)
    fmt, suffix, how, words, tensor = DAMAGE[damage]
    prefix = saved[fmt]
    path = prefix + suffix
    how(path)
    with tm.Graph().as_default():
        a = tm.Variable(np.full_like(A, 5.0), name="a")
        b = tm.Variable(np.zeros_like(B), name="b")
        with tm.Session() as sess:
            if initialized:
                sess.run(tm.global_variables_initializer())
            with pytest.raises(tm.errors.DataLossError) as info:
                tm.train.Saver([a, b]).restore(sess, prefix)
            message = info.value.message
            assert path in message and words in message, message
            if tensor:
                assert f"'{tensor}'" in message or f"tensor {tensor} " in message, message
            # never wrong numbers: each variable holds its old value, or is uninitialized
            for var, old in ((a, np.full_like(A, 5.0)), (b, np.zeros_like(B))):
                try:
                    value = sess.run(var)
                except tm.errors.FailedPreconditionError:
                    continue
                assert initialized and np.array_equal(value, old)


def test_in_place_restore_interrupted_by_damage_leaves_the_variable_uninitialized(saved, monkeypatch):
    """The fast path reads into an initialized variable's memory; if that read fails, the variable is
    left uninitialized (using it raises) rather than holding part old, part new values."""
    _flip(saved["tf"] + ".data-00000-of-00001", 100)  # inside a's bytes
    with tm.Graph().as_default():
        a = tm.Variable(np.full_like(A, 5.0), name="a")
        with tm.Session() as sess:
            sess.run(a.initializer)
            with pytest.raises(tm.errors.DataLossError, match="was left uninitialized"):
                tm.train.Saver({"a": a}).restore(sess, saved["tf"])
            with pytest.raises(tm.errors.FailedPreconditionError):
                sess.run(a)


def test_missing_data_file(saved):
    os.remove(saved["tf"] + ".data-00000-of-00001")
    with tm.Graph().as_default():
        a = tm.Variable(np.zeros_like(A), name="a")
        with tm.Session() as sess, pytest.raises(tm.errors.NotFoundError, match="data-00000-of-00001"):
            tm.train.Saver({"a": a}).restore(sess, saved["tf"])


def test_garbage_state_file_is_ignored_like_tensorflow(tmp_path, caplog):
    (tmp_path / "checkpoint").write_bytes(b"\x00\xff garbage {{{ \x80")
    assert tm.train.get_checkpoint_state(str(tmp_path)) is None
    assert tm.train.latest_checkpoint(str(tmp_path)) is None
    assert str(tmp_path / "checkpoint") in caplog.text


def test_nothing_is_unpickled(tmp_path, monkeypatch):
    """A whole save / import_meta_graph / restore cycle in both formats runs with unpickling disabled."""

    def refuse(*args, **kwargs):
        raise AssertionError("something tried to unpickle")

    import torch

    for module, name in ((pickle, "load"), (pickle, "loads"), (pickle, "Unpickler"), (torch, "load")):
        monkeypatch.setattr(module, name, refuse)
    for fmt in ("safetensors", "tf"):
        with tm.Graph().as_default():
            tm.Variable(A, name="v")
            tm.Variable([b"x"], name="s")
            with tm.Session() as sess:
                sess.run(tm.global_variables_initializer())
                prefix = tm.train.Saver(format=fmt).save(sess, str(tmp_path / fmt / "m"), global_step=1)
        latest = tm.train.latest_checkpoint(str(tmp_path / fmt))
        with tm.Graph().as_default():
            saver = tm.train.import_meta_graph(latest + ".meta")
            with tm.Session() as sess:
                saver.restore(sess, prefix)
                assert sess.run("v:0").tolist() == A.tolist()
        assert tm.train.list_variables(str(tmp_path / fmt)) == [("s", [1]), ("v", [300])]
