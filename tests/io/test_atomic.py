"""Atomic writes: the target is replaced only on success; failures leave no temporary files."""

import os

import pytest

from torchmeta.io import atomic


def test_atomic_write_replaces_on_success(tmp_path):
    target = tmp_path / "checkpoint"
    target.write_text("old")
    with atomic.atomic_write(target, "w") as f:
        f.write('model_checkpoint_path: "m-1"\n')
        assert target.read_text() == "old"  # not visible before the block ends
    assert target.read_text() == 'model_checkpoint_path: "m-1"\n'
    assert os.listdir(tmp_path) == ["checkpoint"]


def test_atomic_write_keeps_the_old_file_on_error(tmp_path):
    target = tmp_path / "data"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic.atomic_write(target) as f:
        f.write(b"partial")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["data"]


def test_atomic_file_commit_and_discard(tmp_path):
    keep = atomic.AtomicFile(tmp_path / "keep", fsync=True)
    assert keep.temp_path.startswith(str(tmp_path / "keep") + ".tempstate")
    keep.file.write(b"x")
    assert keep.commit() == str(tmp_path / "keep")
    drop = atomic.AtomicFile(tmp_path / "drop")
    drop.file.write(b"y")
    drop.discard()
    assert sorted(os.listdir(tmp_path)) == ["keep"]
    assert (tmp_path / "keep").read_bytes() == b"x"


def test_helpers(tmp_path):
    atomic.atomic_write_bytes(tmp_path / "b", b"\x00\x01")
    atomic.atomic_write_text(tmp_path / "t", "h\u00e9")
    assert (tmp_path / "b").read_bytes() == b"\x00\x01"
    assert (tmp_path / "t").read_text(encoding="utf-8") == "h\u00e9"
    with pytest.raises(ValueError):
        with atomic.atomic_write(tmp_path / "x", "ab"):
            pass
