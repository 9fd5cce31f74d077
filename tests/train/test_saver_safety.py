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


@pytest.mark.slow
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
            # atomic: every variable is as it was (its old value, or still uninitialized)
            for var, old in ((a, np.full_like(A, 5.0)), (b, np.zeros_like(B))):
                if initialized:
                    assert np.array_equal(sess.run(var), old)
                else:
                    with pytest.raises(tm.errors.FailedPreconditionError):
                        sess.run(var)


def test_in_place_restore_verifies_before_writing_into_the_variable(saved, monkeypatch):
    """The fast path reads into an initialized variable's memory, but only after the bytes were verified: a
    damaged tensor leaves the variable's old value whole."""
    _flip(saved["tf"] + ".data-00000-of-00001", 100)  # inside a's bytes
    with tm.Graph().as_default():
        a = tm.Variable(np.full_like(A, 5.0), name="a")
        with tm.Session() as sess:
            sess.run(a.initializer)
            memory = sess._slots[next(iter(sess._slots))].value
            with pytest.raises(tm.errors.DataLossError, match="Checksum does not match"):
                tm.train.Saver({"a": a}).restore(sess, saved["tf"])
            assert np.array_equal(sess.run(a), np.full_like(A, 5.0))
            assert sess._slots[next(iter(sess._slots))].value is memory


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


class _FailAt:
    """An audit hook that makes the N-th file operation (open for writing, rename, link, unlink, mkdir, rmdir,
    chmod) raise OSError while armed. Audit hooks cannot be removed, so one instance serves the process."""

    _instance = None
    _EVENTS = ("os.rename", "os.link", "os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.truncate")

    def __init__(self):
        self.threshold = 0  # 0: disarmed
        self.count = 0
        sys.addaudithook(self._hook)

    @classmethod
    def get(cls):
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def _hook(self, event, args):
        if not self.threshold:
            return
        if event == "open":
            mode, flags = args[1], args[2]
            writing = (isinstance(mode, str) and any(m in mode for m in "wxa+")) or (
                mode is None and isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            )
            if not writing:
                return
        elif event not in self._EVENTS:
            return
        self.count += 1
        if self.count == self.threshold:
            self.threshold = 0
            raise OSError(28, f"injected failure at file operation {self.count} ({event})")

    def arm(self, n):
        self.count, self.threshold = 0, n

    def disarm(self) -> bool:
        """Disarms; True when the armed operation was reached."""
        reached = self.count >= self.threshold if self.threshold else True
        self.threshold = 0
        return reached


def _values(prefix):
    with tm.Graph().as_default():
        a = tm.Variable(np.zeros_like(A), name="a")
        b = tm.Variable(np.zeros_like(B), name="b")
        with tm.Session() as sess:
            tm.train.Saver([a, b]).restore(sess, prefix)
            return sess.run(a), sess.run(b)


@pytest.mark.slow
@pytest.mark.parametrize("same_prefix", [False, True], ids=["new-prefix", "same-prefix"])
@pytest.mark.parametrize("sharded", [False, True], ids=["one-shard", "sharded"])
@pytest.mark.parametrize("fmt", ["tf", "safetensors"])
def test_a_save_failing_at_any_file_operation_leaves_the_previous_checkpoint(tmp_path, fmt, sharded, same_prefix):
    """Better than TensorFlow: even a failure while writing the .index after the new data file was renamed
    over the old one (re-saving one prefix) leaves the previous checkpoint restoring its own values."""
    hook = _FailAt.get()
    failures = 0
    for n in range(1, 200):
        directory = tmp_path / f"run{n}"
        directory.mkdir()
        with tm.Graph().as_default():
            with tm.device("/cpu:0"):
                a = tm.Variable(A, name="a")
            with tm.device("/cpu:1"):
                b = tm.Variable(B, name="b")
            saver = tm.train.Saver([a, b], format=fmt, sharded=sharded)
            with tm.Session() as sess:
                sess.run(tm.global_variables_initializer())
                first = saver.save(sess, str(directory / "model"), global_step=None if same_prefix else 1)
                sess.run([a.assign(-A), b.assign(B * 3)])
                hook.arm(n)
                try:
                    saver.save(sess, str(directory / "model"), global_step=None if same_prefix else 2)
                except (OSError, tm.errors.OpError):  # kernels' failures come back as OpErrors
                    failures += 1
                finally:
                    reached = hook.disarm()
        if not reached:
            break
        old = _values(first)
        # The previous checkpoint restores its own values (or, when the failure came after the new files
        # were complete and in place under the same prefix, the new ones): never an error, never a mix.
        assert (np.array_equal(old[0], A) and np.array_equal(old[1], B)) or (
            same_prefix and np.array_equal(old[0], -A) and np.array_equal(old[1], B * 3)
        ), n
        latest = tm.train.latest_checkpoint(str(directory))
        values = _values(latest)
        assert np.array_equal(values[0], A) or np.array_equal(values[0], -A), n
    assert failures >= 5 and not reached
