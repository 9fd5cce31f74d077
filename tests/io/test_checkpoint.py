"""Format detection and open_checkpoint over both checkpoint formats."""

import shutil

import numpy as np
import pytest

from tests.io.test_tf_checkpoint import GOLDEN
from torchmeta import errors, io


@pytest.fixture
def both(tmp_path):
    io.write_bundle(tmp_path / "tf", {"a": np.ones(2, np.float32)})
    io.save_safetensors(tmp_path / "st", {"a": np.zeros(2, np.float32)})
    return tmp_path


def test_detect_format(both):
    assert io.detect_format(both / "tf") == "tf"
    assert io.detect_format(both / "st") == "safetensors"
    assert io.detect_format(both / "st.safetensors") == "safetensors"
    assert io.detect_format(both / "none") is None
    assert io.detect_format(both / "tf.index") is None  # a file name, not a prefix


def test_open_checkpoint_picks_the_reader(both):
    assert isinstance(io.open_checkpoint(both / "tf"), io.CheckpointReader)
    assert isinstance(io.open_checkpoint(both / "st"), io.SafetensorsReader)
    assert isinstance(io.open_checkpoint(both / "tf.index"), io.CheckpointReader)
    assert isinstance(io.open_checkpoint(both / "tf.data-00000-of-00001"), io.CheckpointReader)
    assert io.open_checkpoint(both / "st").get_tensor("a").tolist() == [0, 0]


def test_safetensors_wins_when_both_exist(both):
    shutil.copy(both / "st.safetensors", both / "tf.safetensors")
    assert io.detect_format(both / "tf") == "safetensors"


def test_not_found_messages(tmp_path):
    with pytest.raises(errors.NotFoundError) as e:
        io.open_checkpoint(tmp_path / "nope")
    assert str(e.value) == (
        f"Unsuccessful TensorSliceReader constructor: Failed to find any matching files for {tmp_path / 'nope'}"
    )
    with pytest.raises(errors.NotFoundError, match="a directory"):
        io.open_checkpoint(tmp_path)
    (tmp_path / "v1").write_bytes(b"old")
    with pytest.raises(errors.NotFoundError, match="V1 checkpoints are not read"):
        io.open_checkpoint(tmp_path / "v1")


def test_checkpoint_prefix():
    assert io.checkpoint_prefix("/d/model-3.index") == "/d/model-3"
    assert io.checkpoint_prefix("/d/model-3.data-00001-of-00002") == "/d/model-3"
    assert io.checkpoint_prefix("/d/model-3") == "/d/model-3"
    assert io.checkpoint_prefix(GOLDEN / "saver" / "model-3.index") == str(GOLDEN / "saver" / "model-3")


def test_format_table_has_both_formats_with_the_same_verbs():
    assert list(io.FORMATS) == ["safetensors", "tf"]  # detection order: torchmeta's default first
    assert io.get_format("tensorflow") is io.FORMATS["tf"]
    for fmt in io.FORMATS.values():
        assert all(callable(getattr(fmt, verb)) for verb in ("exists", "open", "write", "merge"))
    with pytest.raises(ValueError, match="format must be 'safetensors' or 'tf', not 'v1'"):
        io.get_format("v1")
    with pytest.raises(ValueError, match="registered twice"):
        io.register_format(io.FORMATS["tf"])


@pytest.fixture
def npz_format(monkeypatch):
    """A third format added with one register_format call: the tensors of a checkpoint in a .npz file."""
    import contextlib
    import os

    from torchmeta.io import checkpoint as table
    from torchmeta.io._tensors import as_array

    class Reader:
        def __init__(self, prefix):
            with np.load(f"{prefix}.npz", allow_pickle=False) as z:
                self._arrays = {name: z[name] for name in z.files}

        def has_tensor(self, name):
            return name in self._arrays

        def get_dtype(self, name):
            return _dtype(self._arrays[name])

        def get_shape(self, name):
            return self._arrays[name].shape

        def get_tensor(self, name):
            return self._arrays[name].copy()

        def verify(self, name):  # np.load checked the file; nothing more to verify
            self._arrays[name]

        def get_tensor_torch(self, name, *, out=None, mmap=True):
            import torch

            value = torch.from_numpy(self.get_tensor(name))
            return value if out is None else out.copy_(value.reshape(out.shape))

        def close(self):
            pass

    def _dtype(arr):
        from torchmeta.dtypes import as_dtype

        return as_dtype(arr.dtype)

    def write(prefix, names, specs, tensors, *, dtypes=None):
        assert not any(specs), "the toy format stores whole tensors only"
        os.makedirs(os.path.dirname(prefix), exist_ok=True)
        np.savez(f"{prefix}.npz", **{n: as_array(t)[0] for n, t in zip(names, tensors)})

    def merge(prefixes, destination, *, delete_old_dirs=True, allow_missing_files=False):
        arrays = {}
        for p in prefixes:
            with np.load(f"{p}.npz", allow_pickle=False) as z:
                arrays.update({n: z[n] for n in z.files})
            os.unlink(f"{p}.npz")
            if delete_old_dirs and os.path.dirname(p) != os.path.dirname(destination):
                with contextlib.suppress(OSError):  # empty once its last part is merged
                    os.rmdir(os.path.dirname(p))
        np.savez(f"{destination}.npz", **arrays)

    fmt = table.CheckpointFormat(
        name="npz",
        exists=lambda prefix: os.path.isfile(f"{prefix}.npz"),
        open=Reader,
        write=write,
        merge=merge,
        file_patterns=(".npz",),
    )
    monkeypatch.setattr(table, "FORMATS", dict(table.FORMATS))
    monkeypatch.setattr(table, "_ALIASES", dict(table._ALIASES))
    table.register_format(fmt)
    return fmt


@pytest.mark.parametrize("sharded", [False, True])
def test_a_registered_format_works_through_the_saver(npz_format, tmp_path, sharded):
    import torchmeta as tm

    with tm.Graph().as_default():
        with tm.device("/cpu:0"):
            a = tm.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="a")
        with tm.device("/cpu:1"):
            b = tm.Variable(np.int64(7), name="b")
        saver = tm.train.Saver(format="npz", sharded=sharded)
        with tm.Session() as sess:
            sess.run(tm.global_variables_initializer())
            path = saver.save(sess, str(tmp_path / "model"), global_step=3)
            assert io.detect_format(path) == "npz"
            assert tm.train.checkpoint_exists(path)
            assert tm.train.latest_checkpoint(str(tmp_path)) == path
            sess.run([a.assign(tm.zeros([2, 3])), b.assign(0)])
            saver.restore(sess, path)
            assert sess.run(a).tolist() == [[0, 1, 2], [3, 4, 5]] and sess.run(b) == 7
        reader = io.open_checkpoint(path)
        assert sorted(reader._arrays) == ["a", "b"]
        from torchmeta.train import checkpoint_management

        checkpoint_management.remove_checkpoint(path)
        assert not tm.train.checkpoint_exists(path)
