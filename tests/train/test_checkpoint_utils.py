"""tf.train.load_checkpoint / list_variables / load_variable / NewCheckpointReader against TensorFlow's.

TensorFlow reads its own checkpoint; torchmeta reads the same file, and the same variables saved here in
either format: every answer must equal TensorFlow's.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import torchmeta as tm
from tests.train.helpers import Api, normalize, outcome

pytest.importorskip("tensorflow")

VALUES = {
    "a": np.array(1.5, dtype=np.float32),
    "b": np.array(b"xy", dtype=object),
    "c/d": np.array([1, 2], dtype=np.int32),
    "e": np.array([[True], [False]]),
    "f64": np.arange(6, dtype=np.float64).reshape(2, 3),
    "s": np.array([b"p", b"", b"q"], dtype=object),
    "B": np.array(-7, dtype=np.int64),
}


def _save(api: Api, directory):
    tf = api.tf
    with tf.Graph().as_default():
        for name, value in VALUES.items():
            tf.Variable(value, name=name)
        saver = api.Saver()
        with api.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return saver.save(sess, os.path.join(directory, "model"), global_step=2)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """``{"tensorflow" | "tf" | "safetensors": directory}``: the same variables saved three ways."""
    import tensorflow as tf

    v1 = tf.compat.v1
    v1.disable_v2_behavior()
    out = {}
    for label, api in (("tensorflow", Api(v1)), ("tf", Api(tm, "tf")), ("safetensors", Api(tm, "safetensors"))):
        directory = str(tmp_path_factory.mktemp(label))
        _save(api, directory)
        out[label] = directory
    return out


def _observe(train, directory):
    prefix = os.path.join(directory, "model-2")
    reader = train.load_checkpoint(directory)
    by_prefix = train.NewCheckpointReader(prefix)
    return normalize(
        {
            "shapes": reader.get_variable_to_shape_map(),
            "dtypes": {k: v.name for k, v in reader.get_variable_to_dtype_map().items()},
            "tensors": {
                k: (type(reader.get_tensor(k)).__name__, reader.get_tensor(k))
                for k in reader.get_variable_to_shape_map()
            },
            "has": [reader.has_tensor("a"), reader.has_tensor(b"c/d"), reader.has_tensor("zz")],
            "missing": outcome(reader.get_tensor, "zz"),
            "same_by_prefix": by_prefix.get_variable_to_shape_map() == reader.get_variable_to_shape_map(),
            "list": train.list_variables(directory),
            "list_by_prefix": train.list_variables(prefix),
            "load": [normalize(train.load_variable(directory, n), "") for n in ("a", "c/d:0", "b", "s")],
        },
        directory,
    )


@pytest.mark.parametrize("fmt", ["tf", "safetensors"])
def test_readers_answer_like_tensorflow(tf1, checkpoints, fmt):
    # TensorFlow renames the variable "B" to "B_1" ("b" is taken case-insensitively), so do we.
    expected = _observe(tf1.train, checkpoints["tensorflow"])
    assert _observe(tm.train, checkpoints[fmt]) == expected
    assert _observe(tm.train, checkpoints["tensorflow"]) == expected
    assert expected["list"][0] == ("B_1", [])


def test_debug_string_like_tensorflow(tf1, checkpoints):
    prefix = os.path.join(checkpoints["tensorflow"], "model-2")
    assert tm.train.load_checkpoint(prefix).debug_string() == tf1.train.load_checkpoint(prefix).debug_string()


def test_reader_errors_like_tensorflow(tf1, tmp_path):
    (tmp_path / "empty").mkdir()
    for target in (str(tmp_path / "empty"), str(tmp_path / "missing-prefix")):
        assert outcome(tm.train.load_checkpoint, target) == outcome(tf1.train.load_checkpoint, target)
        assert outcome(tm.train.list_variables, target) == outcome(tf1.train.list_variables, target)
        assert outcome(tm.train.load_variable, target, "x") == outcome(tf1.train.load_variable, target, "x")
    assert outcome(tm.train.load_checkpoint, str(tmp_path / "empty"))[0] == "ValueError"
    assert outcome(tm.train.load_checkpoint, str(tmp_path / "missing-prefix"))[0] == "NotFoundError"


def test_a_file_of_the_checkpoint_works_as_the_prefix(tf1, checkpoints):
    """``model-2.index`` names the checkpoint ``model-2`` (TensorFlow reads the .index as an empty V1 table)."""
    prefix = os.path.join(checkpoints["tensorflow"], "model-2")
    expected = tf1.train.load_checkpoint(prefix).get_variable_to_shape_map()
    assert tm.train.load_checkpoint(prefix + ".index").get_variable_to_shape_map() == expected
    assert tf1.train.load_checkpoint(prefix + ".index").get_variable_to_shape_map() == {}


def test_reader_exposes_torch_reads(checkpoints):
    reader = tm.train.load_checkpoint(checkpoints["safetensors"])
    assert reader.get_tensor_torch("f64").tolist() == VALUES["f64"].tolist()
    with reader:
        assert sorted(reader.keys()) == sorted(reader.get_variable_to_shape_map())
