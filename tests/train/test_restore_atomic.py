"""A failed restore changes nothing: for a failure at each tensor in turn, every variable keeps its value and its
initialized state, on the fast path and the graph path, in both formats, sharded or not."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import torchmeta as tm
from torchmeta import io
from torchmeta.train import saver as saver_lib

NEW = {
    "w": np.arange(60, dtype=np.float32).reshape(6, 10),
    "n": np.array([7, 8, 9], np.int64),
    "r": np.linspace(0, 1, 5).astype(np.float64),
    "u": np.full(4, 3.5, np.float32),
}
OLD = {name: np.zeros_like(value) - 1 for name, value in NEW.items()}
NAMES = sorted(NEW)


def _model():
    with tm.device("/cpu:0"):
        w = tm.Variable(OLD["w"], name="w")
        n = tm.Variable(OLD["n"], name="n")
    with tm.device("/cpu:1"):
        r = tm.Variable(OLD["r"], name="r", use_resource=True)
        u = tm.Variable(OLD["u"], name="u")  # left uninitialized before the restore
    return {"w": w, "n": n, "r": r, "u": u}


def _save(directory, fmt, sharded):
    with tm.Graph().as_default():
        variables = _model()
        with tm.Session() as sess:
            for name, var in variables.items():
                sess.run(var.assign(NEW[name]))
            return tm.train.Saver(format=fmt, sharded=sharded).save(sess, str(directory / "model"))


def _damage_tf(prefix, name):
    """Flips one byte inside ``name``'s stored bytes: its checksum no longer matches."""
    with io.CheckpointReader(prefix) as reader:
        entry = reader._entries[name.encode()]
        path = io.data_filename(prefix, entry.shard_id, reader.num_shards)
    with open(path, "r+b") as f:
        f.seek(entry.offset + entry.size // 2)
        byte = f.read(1)
        f.seek(entry.offset + entry.size // 2)
        f.write(bytes([byte[0] ^ 0xFF]))


def _damage_safetensors(prefix, name):
    """Renames ``name`` in the header (safetensors has no checksums): the tensor is missing from the file."""
    path = prefix + ".safetensors"
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    header[name + "_gone"] = header.pop(name)
    meta = json.loads(header["__metadata__"]["torchmeta"])
    meta["tensors"][name + "_gone"] = meta["tensors"].pop(name)
    header["__metadata__"]["torchmeta"] = json.dumps(meta)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + raw[8 + n :])


@pytest.mark.parametrize("use_plan", [True, False], ids=["fast-path", "graph-path"])
@pytest.mark.parametrize("sharded", [False, True], ids=["one-shard", "sharded"])
@pytest.mark.parametrize("fmt", ["tf", "safetensors"])
def test_a_failure_at_any_tensor_changes_no_variable(tmp_path, monkeypatch, fmt, sharded, use_plan):
    monkeypatch.setattr(saver_lib.Saver, "_use_restore_plan", use_plan)
    for bad in NAMES:
        directory = tmp_path / bad
        directory.mkdir()
        prefix = _save(directory, fmt, sharded)
        (_damage_tf if fmt == "tf" else _damage_safetensors)(prefix, bad)
        with tm.Graph().as_default():
            variables = _model()
            saver = tm.train.Saver(sharded=sharded)
            with tm.Session() as sess:
                sess.run([v.initializer for name, v in variables.items() if name != "u"])
                memory = {key: slot.value for key, slot in sess._slots.items()}
                with pytest.raises((tm.errors.DataLossError, tm.errors.NotFoundError)) as info:
                    saver.restore(sess, prefix)
                assert bad in str(info.value), (bad, str(info.value))
                for name, var in variables.items():
                    if name == "u":
                        with pytest.raises(tm.errors.FailedPreconditionError):
                            sess.run(var)
                    else:
                        assert np.array_equal(sess.run(var), OLD[name]), (bad, name)
                for key, slot in sess._slots.items():  # not even rewritten with the same numbers
                    assert slot.value is memory.get(key), (bad, key)
        # The undamaged checkpoint restores everything (the same graph and session kinds work).
        (directory / "good").mkdir()
        prefix = _save(directory / "good", fmt, sharded)
        with tm.Graph().as_default():
            variables = _model()
            with tm.Session() as sess:
                tm.train.Saver(sharded=sharded).restore(sess, prefix)
                for name, var in variables.items():
                    assert np.array_equal(sess.run(var), NEW[name]), name


def test_graph_path_rolls_back_when_an_assign_fails(tmp_path):
    """A restore graph that fails after some Assigns ran (here: a shape that only fails at run time) puts
    every variable back."""
    prefix = _save(tmp_path, "tf", False)
    with tm.Graph().as_default():
        variables = _model()
        saver = tm.train.Saver()
        with tm.Session() as sess:
            sess.run([v.initializer for name, v in variables.items() if name != "u"])
            saver._use_restore_plan = False
            ok = sess.run(variables["w"])
            # Replace r's checkpoint value by one of another shape: its AssignVariableOp fails, after
            # the Assigns of w and n (sorted first) ran.
            with io.CheckpointReader(prefix) as reader:
                values = {name: reader.get_tensor(name) for name in reader}
            values["r"] = np.zeros(9)
            values["u"] = values["u"].reshape(2, 2)
            io.write_bundle(prefix, dict(sorted(values.items())))
            with pytest.raises(tm.errors.InvalidArgumentError):
                saver.restore(sess, prefix)
            assert np.array_equal(sess.run(variables["w"]), ok)
            assert np.array_equal(sess.run(variables["n"]), OLD["n"])
            assert np.array_equal(sess.run(variables["r"]), OLD["r"])
            with pytest.raises(tm.errors.FailedPreconditionError):
                sess.run(variables["u"])
