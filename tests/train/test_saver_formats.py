"""What Saver.save writes in each format, and that restore reads whichever format is on disk.

- default: ``<prefix>.safetensors`` (safetensors package), TensorFlow dtypes kept in the header metadata;
- ``format="tf"``: TensorFlow's V2 bundle, byte for byte what TensorFlow's Saver writes, which TensorFlow
  reads (``tf.train.load_checkpoint``) and restores (``tf.compat.v1.train.Saver().restore``).
"""

from __future__ import annotations

import json
import os

import ml_dtypes
import numpy as np
import pytest
from safetensors import safe_open

import torchmeta as tm
from tests.train.helpers import Api, files, normalize, run_both

pytest.importorskip("tensorflow")

# name -> (value, dtype name): one variable per dtype a variable can hold in both frameworks
VARIABLES = {
    "bf16": (np.array([1.5, -2.25], dtype=ml_dtypes.bfloat16), "bfloat16"),
    "bool": (np.array([[True, False]]), "bool"),
    "c128": (np.array([1 + 2j, -3.5j], dtype=np.complex128), "complex128"),
    "c64": (np.array([1 - 1j], dtype=np.complex64), "complex64"),
    "empty": (np.zeros((2, 0), dtype=np.float32), "float32"),
    "f16": (np.array([0.5, -65504.0], dtype=np.float16), "float16"),
    "f32": (np.arange(6, dtype=np.float32).reshape(2, 3) / 3, "float32"),
    "f64": (np.array(np.pi), "float64"),
    "i16": (np.array([-32768, 7], dtype=np.int16), "int16"),
    "i32": (np.array([[-(2**31)]], dtype=np.int32), "int32"),
    "i64": (np.array([2**62, -5], dtype=np.int64), "int64"),
    "i8": (np.array([-128, 127], dtype=np.int8), "int8"),
    "str": (np.array([[b"hi", b""], [b"\x00\xff", "h\u00e9".encode()]], dtype=object), "string"),
    "str_scalar": (np.array(b"scalar", dtype=object), "string"),
    "u16": (np.array([65535], dtype=np.uint16), "uint16"),
    "u8": (np.array([0, 255], dtype=np.uint8), "uint8"),
}


def _save(api: Api, directory, resource=False, name="model"):
    tf = api.tf
    with tf.Graph().as_default():
        for key, (value, dtype) in VARIABLES.items():
            tf.Variable(tf.constant(value, dtype=tf.as_dtype(dtype)), name=key, use_resource=resource)
        saver = api.Saver()
        with api.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return saver.save(sess, os.path.join(directory, name), write_meta_graph=False, write_state=False)


def _restore(api: Api, prefix, resource=False):
    tf = api.tf
    with tf.Graph().as_default():
        made = {}
        for key, (value, dtype) in VARIABLES.items():
            blank = np.full(value.shape, b"?", dtype=object) if value.dtype == object else np.zeros_like(value)
            made[key] = tf.Variable(tf.constant(blank, dtype=tf.as_dtype(dtype)), name=key, use_resource=resource)
        with api.Session() as sess:
            api.Saver().restore(sess, prefix)
            return {key: sess.run(v) for key, v in made.items()}


def _same(got: dict):
    for key, (value, _) in VARIABLES.items():
        if isinstance(got[key], bytes):  # a string scalar comes back as bytes, as TensorFlow returns it
            assert got[key] == value[()], key
            continue
        assert np.asarray(got[key]).dtype == value.dtype, key
        assert np.asarray(got[key]).tolist() == value.tolist(), key


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_default_format_is_safetensors_with_tensorflow_dtypes(tmp_path, resource):
    prefix = _save(Api(tm), str(tmp_path), resource)
    assert files(tmp_path) == ["model.safetensors"]
    with safe_open(prefix + ".safetensors", framework="np") as f:
        meta = json.loads(f.metadata()["torchmeta"])
        keys = set(f.keys())
    assert keys == set(VARIABLES)
    assert {k: v["dtype"] for k, v in meta["tensors"].items()} == {k: d for k, (_, d) in VARIABLES.items()}
    assert meta["tensors"]["str"]["encoding"] == "strings"
    _same(_restore(Api(tm), prefix, resource))


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_tf_format_is_tensorflows_bytes(tf1, tmp_path, resource):
    def scenario(api, d):
        _save(api, d, resource)
        return {name: open(os.path.join(d, name), "rb").read() for name in files(d)}

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, "tf")
    assert sorted(tm_out) == ["model.data-00000-of-00001", "model.index"]
    assert tm_out == tf_out


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_tensorflow_reads_and_restores_the_tf_format(tf1, tmp_path, resource):
    prefix = _save(Api(tm, "tf"), str(tmp_path), resource)
    reader = tf1.train.load_checkpoint(prefix)
    assert sorted(reader.get_variable_to_shape_map()) == sorted(VARIABLES)
    _same(_restore(Api(tf1), prefix, resource))


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_we_restore_tensorflows_checkpoint(tf1, tmp_path, resource):
    prefix = _save(Api(tf1), str(tmp_path), resource)
    _same(_restore(Api(tm), prefix, resource))


@pytest.mark.parametrize("written", ["tf", "safetensors"])
def test_restore_reads_whichever_format_is_on_disk(tmp_path, written):
    prefix = _save(Api(tm, written), str(tmp_path))
    for reading in ("tf", "safetensors"):
        _same(_restore(Api(tm, reading), prefix))


def test_safetensors_wins_when_both_formats_exist(tmp_path):
    tf_prefix = _save(Api(tm, "tf"), str(tmp_path))
    with tm.Graph().as_default():
        v = tm.Variable(np.array([9.0, 9.0], np.float32), name="f32")
        with tm.Session() as sess:
            sess.run(v.initializer)
            saver = tm.train.Saver({"f32": v}, format="safetensors")
            saver.save(sess, tf_prefix, write_meta_graph=False, write_state=False)
    assert files(tmp_path) == ["model.data-00000-of-00001", "model.index", "model.safetensors"]
    with tm.Graph().as_default():
        v = tm.Variable(np.zeros(2, np.float32), name="f32")
        with tm.Session() as sess:
            tm.train.Saver({"f32": v}).restore(sess, tf_prefix)
            assert sess.run(v).tolist() == [9.0, 9.0]


def test_tensorflow_restores_our_safetensors_after_conversion(tf1, tmp_path):
    """What a user does to hand a default (safetensors) checkpoint to TensorFlow: convert, then restore."""
    from converters import safetensors_to_tf_checkpoint

    prefix = _save(Api(tm), str(tmp_path))
    out = str(tmp_path / "converted")
    assert safetensors_to_tf_checkpoint.main([prefix + ".safetensors", out]) == 0
    _same(_restore(Api(tf1), out))
    assert normalize(tf1.train.list_variables(out), str(tmp_path)) == normalize(
        tm.train.list_variables(prefix), str(tmp_path)
    )


@pytest.mark.parametrize("fmt", ["tf", "safetensors"])
def test_files_get_the_permissions_tensorflow_gives_its_files(tf1, tmp_path, fmt):
    def scenario(api, d):
        tf = api.tf
        with tf.Graph().as_default():
            v = tf.Variable([1.0], name="v")
            with api.Session() as sess:
                sess.run(v.initializer)
                api.Saver().save(sess, os.path.join(d, "model"))
        return sorted({oct(os.stat(os.path.join(d, name)).st_mode) for name in files(d)})

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert tm_out == tf_out
