"""The saver subgraph's kernels (torchmeta/ops/io_ops.py) against TensorFlow's, built with raw ops in both.

SaveV2 here writes TensorFlow's V2 format when no Saver asks for safetensors, so raw SaveV2/RestoreV2/
MergeV2Checkpoints are compared file for file with TensorFlow's, and each reads the other's files.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import torchmeta as tm
from tests.train.helpers import Api, files, normalize, outcome, run_both

pytest.importorskip("tensorflow")


def _run(api: Api, build):
    tf = api.tf
    with tf.Graph().as_default():
        out = build(tf)
        with api.Session() as sess:
            return outcome(sess.run, out)


@pytest.mark.parametrize(
    "case",
    [
        ("ShardedFilename", {"basename": "a/b", "shard": 3, "num_shards": 12}),
        ("ShardedFilename", {"basename": "", "shard": 0, "num_shards": 123456}),
        ("ShardedFilespec", {"basename": "a/b", "num_shards": 7}),
        ("StringJoin", {"inputs": ["x", "y", "z"]}),
        ("StringJoin", {"inputs": [["a", "b"], "-", ["c", "d"]], "separator": "/"}),
        ("StringJoin", {"inputs": [[["a"], ["b"]], "s"]}),
        ("StringJoin", {"inputs": [["a", "b"], ["c", "d", "e"]]}),
        ("StringJoin", {"inputs": [np.array([b"\x00\xff", b""], dtype=object), "\u00e9"]}),
        ("StaticRegexFullMatch", {"input": ["s3://b/k", "/local", "xs3://"], "pattern": "^s3://.*"}),
        ("StaticRegexFullMatch", {"input": "abc", "pattern": "a.c"}),
        ("StaticRegexFullMatch", {"input": [["ab"], ["b"]], "pattern": "a?b"}),
    ],
    ids=lambda c: c[0] if isinstance(c, tuple) else str(c),
)
def test_string_kernels_match_tensorflow(tf1, case):
    op, kwargs = case

    def build(tf):
        args = {}
        for key, value in kwargs.items():
            if key == "inputs":
                args[key] = [tf.constant(v) for v in value]
            elif key in ("basename", "input"):
                args[key] = tf.constant(value)
            elif key in ("shard", "num_shards"):
                args[key] = tf.constant(value, dtype=tf.int32)
            else:
                args[key] = value
        out = getattr(tf.raw_ops, op)(**args)
        return out, out.shape.as_list() if out.shape.rank is not None else None

    def scenario(api):
        tf = api.tf
        with tf.Graph().as_default():
            built = outcome(build, tf)
            if built[0] != "ok":
                return built
            out, static = built[1]
            with api.Session() as sess:
                return static, outcome(sess.run, out)

    import tensorflow as real_tf

    tf_out = normalize(scenario(Api(real_tf.compat.v1)), "/none")
    tm_out = normalize(scenario(Api(tm)), "/none")
    assert tm_out == tf_out


TENSORS = {
    "a": (np.arange(6, dtype=np.float32).reshape(2, 3), "float32"),
    "b": (np.array(7, dtype=np.int64), "int64"),
    "c": (np.array([b"hi", b"", b"xyz"], dtype=object), "string"),
    "e": (np.array([True, False]), "bool"),
}


def _save_v2(tf, prefix, names=("a", "b", "c", "e"), specs=None):
    return tf.raw_ops.SaveV2(
        prefix=prefix,
        tensor_names=list(names),
        shape_and_slices=specs or [""] * len(names),
        tensors=[tf.constant(TENSORS[n][0], dtype=tf.as_dtype(TENSORS[n][1])) for n in names],
    )


def test_save_v2_writes_tensorflows_bytes(tf1, tmp_path):
    def scenario(api, d):
        result = _run(api, lambda tf: _save_v2(tf, os.path.join(d, "ckpt")))
        contents = {n: Path(d, n).read_bytes() for n in files(d)}
        return result, contents

    tf_out, tm_out = run_both(tf1, scenario, tmp_path)
    assert tm_out == tf_out
    assert sorted(tf_out[1]) == ["ckpt.data-00000-of-00001", "ckpt.index"]


@pytest.mark.parametrize("writer", ["tensorflow", "torchmeta"])
def test_restore_v2_reads_what_either_wrote(tf1, tmp_path, writer):
    prefix = str(tmp_path / "ckpt")
    _run(Api(tf1 if writer == "tensorflow" else tm), lambda tf: _save_v2(tf, prefix))

    def scenario(api, d):
        def build(tf):
            return tf.raw_ops.RestoreV2(
                prefix=prefix,
                tensor_names=["c", "a", "b"],
                shape_and_slices=["", "2 3 1,1:0,2", ""],
                dtypes=[tf.string, tf.float32, tf.int64],
            )

        return _run(api, build)

    tf_out, tm_out = run_both(tf1, scenario, tmp_path)
    assert tm_out == tf_out
    assert tf_out[1][1] == ("ndarray", "float32", (1, 2), [[3.0, 4.0]])


@pytest.mark.parametrize("case", ["missing_key", "dtype", "missing_file", "one_tensor", "bad_lengths"], ids=lambda c: c)
def test_restore_v2_errors_match_tensorflow(tf1, tmp_path, case):
    prefix = str(tmp_path / "ckpt")
    _run(Api(tf1), lambda tf: _save_v2(tf, prefix))

    def scenario(api, d):
        def build(tf):
            names, specs, dtypes = ["a"], [""], [tf.float32]
            target = prefix
            if case == "missing_key":
                names = ["zz"]
            elif case == "dtype":
                dtypes = [tf.int32]
            elif case == "missing_file":
                target = prefix + "-missing"
            elif case == "bad_lengths":
                names = ["a", "b"]
            return tf.raw_ops.RestoreV2(prefix=target, tensor_names=names, shape_and_slices=specs, dtypes=dtypes)

        built = outcome(lambda: _run(api, build))
        return built[1] if built[0] == "ok" else built[0]

    tf_out, tm_out = run_both(tf1, scenario, tmp_path)
    assert tm_out[0] == tf_out[0]
    if case in ("missing_key", "dtype", "one_tensor"):
        assert tm_out == tf_out
    if case == "bad_lengths":  # refused while building, by the shape function
        assert tm_out == tf_out == "ValueError"
    if case == "missing_key":
        assert tf_out == ("NotFoundError", "Key zz not found in checkpoint")


@pytest.mark.parametrize("writer", ["tensorflow", "torchmeta"])
def test_merge_v2_checkpoints(tf1, tmp_path, writer):
    def scenario(api, d):
        def build(tf):
            first = _save_v2(tf, os.path.join(d, "tmp", "part-0"), names=("a", "c"))
            second = _save_v2(tf, os.path.join(d, "tmp", "part-1"), names=("b", "e"))
            with tf.control_dependencies([first, second]):
                return tf.raw_ops.MergeV2Checkpoints(
                    checkpoint_prefixes=[os.path.join(d, "tmp", "part-0"), os.path.join(d, "tmp", "part-1")],
                    destination_prefix=os.path.join(d, "merged"),
                )

        result = _run(api, build)
        contents = {n: Path(d, n).read_bytes() for n in files(d)}
        return result, contents

    tf_out, tm_out = run_both(tf1, scenario, tmp_path)
    assert tm_out == tf_out
    assert sorted(tf_out[1]) == ["merged.data-00000-of-00002", "merged.data-00001-of-00002", "merged.index"]
    # and the merged files read back in the other framework
    d = str(tmp_path / ("tf" if writer == "tensorflow" else "tm"))
    reader = (tm if writer == "tensorflow" else tf1).train.load_checkpoint(os.path.join(d, "merged"))
    assert reader.get_tensor("a").tolist() == TENSORS["a"][0].tolist()
    assert list(reader.get_tensor("c")) == list(TENSORS["c"][0])
