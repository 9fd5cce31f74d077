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
