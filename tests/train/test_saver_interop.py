"""The saver graph both ways, and the seed document's save / import_meta_graph / restore flows.

- Graphs built here export a ``.meta`` whose SaverDef TensorFlow's ``import_meta_graph`` turns into a
  Saver that restores our ``format="tf"`` checkpoints, and saves checkpoints we restore.
- TensorFlow builds and saves (V2 bundle + ``.meta``), with sharded savers, partitioned variables
  (``fixed_size_partitioner``), resource variables and explicit ``var_list`` dicts; here
  ``import_meta_graph(...).restore`` gives TensorFlow's values, and a Saver built here over the imported
  (partitioned) variables writes slices TensorFlow restores.
- The seed flows: ``saver.save(sess, 'my-save-dir/my-model', global_step=10000)`` writing
  ``my-model-10000.meta``; ``import_meta_graph('my-save-dir/my-model-10000.meta')`` + ``restore``;
  ``".".join([tf.train.latest_checkpoint(train_dir), "meta"])``; for each writer and reader.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import torchmeta as tm
from tests.train.helpers import Api, files
from torchmeta.train import saver as saver_lib
from torchmeta.train.restore_plan import RestorePlan

pytest.importorskip("tensorflow")

W = (np.arange(12, dtype=np.float32).reshape(4, 3) - 5) / 7
B = np.array([0.5, -1.0, 2.0], dtype=np.float32)
X = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)


def _two_cpus(tf1):
    return tf1.ConfigProto(device_count={"CPU": 2})


# -- ours -> TensorFlow ------------------------------------------------------------------------------------


def _build_ours(*, resource, sharded, as_dict):
    with tm.device("/cpu:0"):
        w = tm.Variable(W, name="dense/kernel", use_resource=resource)
    with tm.device("/cpu:1"):
        b = tm.Variable(B, name="dense/bias", use_resource=resource)
    s = tm.Variable([b"tok", b""], name="vocab")
    step = tm.train.get_or_create_global_step()
    x = tm.placeholder(tm.float32, [None, 4], name="x")
    logits = tm.add(tm.matmul(x, w), b, name="logits")
    tm.add_to_collection("logits", logits)
    var_list = {"kernel": w, "bias": b, "vocab": s, "global_step": step} if as_dict else None
    return tm.train.Saver(var_list, sharded=sharded, format="tf"), (w, b, s, step)


@pytest.mark.parametrize("as_dict", [False, True], ids=["all", "dict"])
@pytest.mark.parametrize("sharded", [False, True], ids=["one", "sharded"])
@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_tensorflow_restores_and_saves_with_our_saver_def(tf1, tmp_path, resource, sharded, as_dict):
    saver, (w, b, s, step) = _build_ours(resource=resource, sharded=sharded, as_dict=as_dict)
    (tmp_path / "ours").mkdir()
    (tmp_path / "tf").mkdir()
    with tm.Session() as sess:
        sess.run(tm.global_variables_initializer())
        sess.run(step.assign(17) if hasattr(step, "assign") else tm.assign(step, 17))
        prefix = saver.save(sess, str(tmp_path / "ours" / "model"), global_step=step)
    assert prefix.endswith("model-17")
    with tf1.Graph().as_default():
        tf_saver = tf1.train.import_meta_graph(prefix + ".meta")
        with tf1.Session(config=_two_cpus(tf1)) as sess:
            tf_saver.restore(sess, prefix)
            logits = sess.run("logits:0", {"x:0": X})
            values = {v.op.name: sess.run(v) for v in tf1.global_variables()}
            sess.run(tf1.assign_add(tf1.train.get_global_step(), 1))
            tf_prefix = tf_saver.save(sess, str(tmp_path / "tf" / "model"), global_step=tf1.train.get_global_step())
    np.testing.assert_allclose(logits, X @ W + B, rtol=1e-6)
    assert values["dense/kernel"].tolist() == W.tolist() and values["vocab"].tolist() == [b"tok", b""]
    assert values["global_step"] == 17
    # TensorFlow's save through our SaverDef restores here with our Saver
    with tm.Session() as sess:
        saver.restore(sess, tf_prefix)
        assert sess.run(step) == 18
        np.testing.assert_allclose(sess.run("logits:0", {"x:0": X}), X @ W + B, rtol=1e-6)


def test_tensorflow_restores_our_checkpoint_into_its_own_graph(tf1, tmp_path):
    saver, _ = _build_ours(resource=True, sharded=False, as_dict=False)
    with tm.Session() as sess:
        sess.run(tm.global_variables_initializer())
        prefix = saver.save(sess, str(tmp_path / "model"), write_meta_graph=False)
    with tf1.Graph().as_default():
        w = tf1.Variable(np.zeros_like(W), name="dense/kernel")
        b = tf1.Variable(np.zeros_like(B), name="dense/bias")
        s = tf1.Variable([b"", b""], name="vocab")
        step = tf1.train.get_or_create_global_step()
        with tf1.Session() as sess:
            tf1.train.Saver().restore(sess, prefix)
            assert sess.run(w).tolist() == W.tolist() and sess.run(b).tolist() == B.tolist()
            assert sess.run(s).tolist() == [b"tok", b""] and sess.run(step) == 0
    reader = tf1.train.load_checkpoint(prefix)
    assert sorted(reader.get_variable_to_shape_map()) == ["dense/bias", "dense/kernel", "global_step", "vocab"]


# -- TensorFlow -> ours ------------------------------------------------------------------------------------


def _tf_build_and_save(tf1, directory, *, resource, partitioned, sharded, as_dict):
    """TensorFlow builds the model and saves a checkpoint and .meta; returns (prefix, TF's results)."""
    with tf1.Graph().as_default():
        with tf1.variable_scope("", use_resource=resource):
            partitioner = tf1.fixed_size_partitioner(2) if partitioned else None
            with tf1.device("/cpu:0"):
                w = tf1.get_variable("dense/kernel", initializer=tf1.constant(W), partitioner=partitioner)
            with tf1.device("/cpu:1"):
                b = tf1.get_variable("dense/bias", initializer=tf1.constant(B))
        s = tf1.Variable([b"tok", b""], name="vocab")
        x = tf1.placeholder(tf1.float32, [None, 4], name="x")
        logits = tf1.add(tf1.matmul(x, w), b, name="logits")
        tf1.add_to_collection("logits", logits)
        var_list = None
        if as_dict:
            var_list = {"renamed/bias": b, "vocab": s}
            var_list.update({"dense/kernel": list(w)} if partitioned else {"dense/kernel": w})
        saver = tf1.train.Saver(var_list, sharded=sharded)
        with tf1.Session(config=_two_cpus(tf1)) as sess:
            sess.run(tf1.global_variables_initializer())
            prefix = saver.save(sess, os.path.join(directory, "model"), global_step=5)
            return prefix, sess.run(logits, {x: X})


TF_CASES = {
    "ref": {"resource": False, "partitioned": False, "sharded": False, "as_dict": False},
    "resource": {"resource": True, "partitioned": False, "sharded": False, "as_dict": False},
    "partitioned": {"resource": False, "partitioned": True, "sharded": False, "as_dict": False},
    "partitioned_resource": {"resource": True, "partitioned": True, "sharded": False, "as_dict": False},
    "sharded": {"resource": False, "partitioned": False, "sharded": True, "as_dict": False},
    "sharded_partitioned_resource": {"resource": True, "partitioned": True, "sharded": True, "as_dict": False},
    "dict": {"resource": False, "partitioned": True, "sharded": False, "as_dict": True},
    "dict_resource_sharded": {"resource": True, "partitioned": False, "sharded": True, "as_dict": True},
}


@pytest.mark.parametrize("use_plan", [True, False], ids=["plan", "graph"])
@pytest.mark.parametrize("case", sorted(TF_CASES))
def test_we_import_tf_meta_graphs_and_restore_tf_checkpoints(tf1, tmp_path, case, use_plan, monkeypatch):
    monkeypatch.setattr(saver_lib.Saver, "_use_restore_plan", use_plan)
    prefix, tf_logits = _tf_build_and_save(tf1, str(tmp_path), **TF_CASES[case])
    graph = tm.Graph()
    with graph.as_default():
        saver = tm.train.import_meta_graph(prefix + ".meta", format="tf")
        assert saver.format == "tf"
        assert RestorePlan.build(graph, saver.saver_def) is not None  # TF's subgraph is the standard one
        with tm.Session() as sess:
            saver.restore(sess, prefix)
            np.testing.assert_allclose(sess.run("logits:0", {"x:0": X}), tf_logits, rtol=1e-6)
            assert sess.run("vocab:0").tolist() == [b"tok", b""]
            # the imported Saver saves again (TF format: TensorFlow restores it in its own graph)
            sess.run(tm.get_collection("variables")[-1].initializer)  # re-initialize one variable
            os.mkdir(tmp_path / "again")
            again = saver.save(sess, str(tmp_path / "again" / "model"), global_step=6)
    with tf1.Graph().as_default():
        tf_saver = tf1.train.import_meta_graph(prefix + ".meta")
        with tf1.Session(config=_two_cpus(tf1)) as sess:
            tf_saver.restore(sess, again)
            np.testing.assert_allclose(sess.run("logits:0", {"x:0": X}), tf_logits, rtol=1e-6)


_TF2_GRAPH_LSTM = """
import sys
import numpy as np
import tensorflow as tf
tf1 = tf.compat.v1
tf1.disable_eager_execution()  # graph mode with TF2 behaviour: the cell's weights are ResourceVariables
out = sys.argv[1]
with tf1.Graph().as_default():
    x = tf1.placeholder(tf1.float32, [2, 3, 4], name="x")
    cell = tf1.nn.rnn_cell.LSTMCell(5)
    outputs, _ = tf1.nn.static_rnn(cell, tf1.unstack(x, 3, 1), dtype=tf1.float32)
    y = tf1.identity(outputs[-1], name="y")
    with tf1.Session() as sess:
        sess.run(tf1.global_variables_initializer())
        tf1.train.Saver().save(sess, out + "/model", write_meta_graph=False)
        np.save(out + "/y.npy", sess.run(y, {x: np.load(out + "/x.npy")}))
    tf1.train.export_meta_graph(out + "/bare.meta")
"""


def test_imported_resource_variables_without_a_saver_def_get_a_default_saver(tmp_path):
    """A .meta written by export_meta_graph alone has no SaverDef: import_meta_graph builds a default Saver.
    tf.nn.rnn_cell.LSTMCell's weights, built in graph mode with TF2 behaviour, are ResourceVariables whose
    snapshots are ``<name>/Read/Identity`` (an Identity after the ReadVariableOp): the Saver restores through
    the variable's handle, as TF's does, and the imported LSTM gives TF's values."""
    pytest.importorskip("tensorflow")
    x = np.random.default_rng(3).standard_normal((2, 3, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "TF_USE_LEGACY_KERAS": "1"}
    subprocess.run([sys.executable, "-c", _TF2_GRAPH_LSTM, str(tmp_path)], check=True, env=env, timeout=300)
    graph = tm.Graph()
    with graph.as_default():
        saver = tm.train.import_meta_graph(str(tmp_path / "bare.meta"), format="tf")
        snapshots = [v._graph_element.name for v in tm.global_variables()]
        assert snapshots == ["rnn/lstm_cell/kernel/Read/Identity:0", "rnn/lstm_cell/bias/Read/Identity:0"]
        with tm.Session() as sess:
            saver.restore(sess, str(tmp_path / "model"))
            got = sess.run("y:0", {"x:0": x})
    np.testing.assert_allclose(got, np.load(tmp_path / "y.npy"), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fmt", ["tf", "safetensors"])
@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_our_saver_over_imported_partitioned_variables(tf1, tmp_path, fmt, resource):
    prefix, tf_logits = _tf_build_and_save(
        tf1, str(tmp_path), resource=resource, partitioned=True, sharded=False, as_dict=False
    )
    with tm.Graph().as_default():
        tm.train.import_meta_graph(prefix + ".meta")
        parts = [v for v in tm.global_variables() if v._get_save_slice_info() is not None]
        assert [v._get_save_slice_info().spec for v in parts] == ["4 3 0,2:0,3", "4 3 2,2:0,3"]
        ours = tm.train.Saver(format=fmt)  # built here over the imported variables
        with tm.Session() as sess:
            tm.train.Saver().restore(sess, prefix)
            mine = ours.save(sess, str(tmp_path / "ours" / "model"), write_meta_graph=False)
        reader = tm.train.load_checkpoint(mine)
        assert reader.get_variable_to_shape_map() == {"dense/kernel": [4, 3], "dense/bias": [3], "vocab": [2]}
        assert reader.get_tensor("dense/kernel").tolist() == W.tolist()
        with tm.Session() as sess:
            ours.restore(sess, mine)  # slices read back into each partition
            np.testing.assert_allclose(sess.run("logits:0", {"x:0": X}), tf_logits, rtol=1e-6)
    if fmt == "tf":
        assert tf1.train.load_checkpoint(mine).get_tensor("dense/kernel").tolist() == W.tolist()
        with tf1.Graph().as_default():
            tf_saver = tf1.train.import_meta_graph(prefix + ".meta")
            with tf1.Session(config=_two_cpus(tf1)) as sess:
                tf_saver.restore(sess, mine)
                np.testing.assert_allclose(sess.run("logits:0", {"x:0": X}), tf_logits, rtol=1e-6)


def test_partitioned_checkpoint_restores_into_a_whole_variable(tf1, tmp_path):  # [99]
    prefix, _ = _tf_build_and_save(tf1, str(tmp_path), resource=False, partitioned=True, sharded=False, as_dict=False)
    with tm.Graph().as_default():
        w = tm.Variable(np.zeros_like(W), name="dense/kernel")
        with tm.Session() as sess:
            tm.train.Saver([w]).restore(sess, prefix)
            assert sess.run(w).tolist() == W.tolist()


# -- the seed's flows ----------------------------------------------------------------------------------------


def _train_and_save(api: Api, train_dir: str):
    """The seed's first flow, writer side: a model, a train_op collection, saves with a global step."""
    tf = api.tf
    with tf.Graph().as_default():
        images = tf.constant(X, name="images")
        with tf.name_scope("hidden1"):
            weights = tf.Variable(W, name="weights")
            biases = tf.Variable(np.zeros(3, np.float32), name="biases")
            hidden1 = tf.nn.relu(tf.matmul(images, weights) + biases)
        logits = tf.identity(hidden1, name="logits")
        tf.add_to_collection("logits", logits)
        loss = tf.reduce_mean(tf.square(logits - 1.0), name="loss")
        global_step = tf.train.get_or_create_global_step()
        train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=global_step)
        tf.add_to_collection("train_op", train_op)
        saver = api.Saver()
        with api.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for step in (9999, 10000):
                sess.run(tf.assign(global_step, step - 1))
                sess.run(train_op)
                saved = saver.save(sess, os.path.join(train_dir, "my-model"), global_step=step)
            return saved, files(train_dir)


def _import_restore_continue(api: Api, meta, prefix):
    """The seed's reader side: import the .meta, restore, run the train_op from the collection."""
    tf = api.tf
    with tf.Graph().as_default():
        new_saver = tf.train.import_meta_graph(meta)
        with api.Session() as sess:
            new_saver.restore(sess, prefix)
            restored = sess.run("hidden1/weights:0")
            train_op = tf.get_collection("train_op")[0]
            sess.run(train_op)
            return restored, sess.run(["hidden1/weights:0", "global_step:0"])


@pytest.mark.parametrize("reader", ["tensorflow", "torchmeta"])
@pytest.mark.parametrize("writer", ["tensorflow", "torchmeta"])
def test_seed_flow_save_import_restore_continue(tf1, tmp_path, monkeypatch, writer, reader):
    writer_api = Api(tf1) if writer == "tensorflow" else Api(tm, "tf" if reader == "tensorflow" else None)
    reader_api = Api(tf1) if reader == "tensorflow" else Api(tm)
    monkeypatch.chdir(tmp_path)
    os.mkdir("my-save-dir")
    saved, listing = _train_and_save(writer_api, "my-save-dir")
    assert saved == "my-save-dir/my-model-10000"
    assert "my-model-10000.meta" in listing and "my-model-9999.meta" in listing and "checkpoint" in listing
    # new_saver = tf.train.import_meta_graph('my-save-dir/my-model-10000.meta')
    restored, (weights, step) = _import_restore_continue(
        reader_api, "my-save-dir/my-model-10000.meta", "my-save-dir/my-model-10000"
    )
    assert step == 10001
    # the same restore and training step in TensorFlow, from TensorFlow's own files, as the reference
    os.mkdir("reference")
    _train_and_save(Api(tf1), "reference")
    ref_restored, (ref_weights, _) = _import_restore_continue(
        Api(tf1), "reference/my-model-10000.meta", "reference/my-model-10000"
    )
    np.testing.assert_allclose(restored, ref_restored, rtol=1e-6)
    np.testing.assert_allclose(weights, ref_weights, rtol=1e-6)


@pytest.mark.parametrize("reader", ["tensorflow", "torchmeta"])
@pytest.mark.parametrize("writer", ["tensorflow", "torchmeta"])
def test_seed_flow_latest_checkpoint_meta(tf1, tmp_path, writer, reader):
    train_dir = str(tmp_path / "train_dir")
    os.mkdir(train_dir)
    writer_api = Api(tf1) if writer == "tensorflow" else Api(tm, "tf" if reader == "tensorflow" else None)
    _train_and_save(writer_api, train_dir)
    tf = tf1 if reader == "tensorflow" else tm
    latest = tf.train.latest_checkpoint(train_dir)
    meta = ".".join([latest, "meta"])
    assert meta == os.path.join(train_dir, "my-model-10000.meta")
    restored, (_, step) = _import_restore_continue(Api(tf1) if reader == "tensorflow" else Api(tm), meta, latest)
    assert step == 10001 and restored.shape == W.shape


def _tf_partitioned_meta(tf1, path, parts):
    """A TensorFlow graph whose kernel is split in ``parts`` (1: whole), exported to ``path`` (no checkpoint)."""
    with tf1.Graph().as_default():
        partitioner = tf1.fixed_size_partitioner(parts) if parts > 1 else None
        w = tf1.get_variable(
            "dense/kernel", initializer=tf1.zeros_initializer(), shape=W.shape, partitioner=partitioner
        )
        x = tf1.placeholder(tf1.float32, [None, 4], name="x")
        tf1.identity(tf1.matmul(x, w), name="logits")
        tf1.train.Saver()
        tf1.train.export_meta_graph(path)


@pytest.mark.parametrize("fmt", ["tf", "safetensors"])
@pytest.mark.parametrize("saved_parts, restored_parts", [(2, 3), (1, 2), (2, 1), (3, 2)])
def test_partitioned_variables_restore_across_partitionings(tf1, tmp_path, fmt, saved_parts, restored_parts):  # [99]
    """A kernel saved in one partitioning restores into another, into a whole variable, or from one."""
    _tf_partitioned_meta(tf1, str(tmp_path / "saved.meta"), saved_parts)
    _tf_partitioned_meta(tf1, str(tmp_path / "restored.meta"), restored_parts)
    with tm.Graph().as_default():
        saver = tm.train.import_meta_graph(str(tmp_path / "saved.meta"), format=fmt)
        with tm.Session() as sess:
            for v in tm.global_variables():
                info = v._get_save_slice_info()
                index = tuple(slice(o, o + n) for o, n in zip(info.var_offset, info.var_shape)) if info else ()
                sess.run(v.assign(W[index]))
            prefix = saver.save(sess, str(tmp_path / "model"), write_meta_graph=False)
    with tm.Graph().as_default():
        saver = tm.train.import_meta_graph(str(tmp_path / "restored.meta"))
        with tm.Session() as sess:
            saver.restore(sess, prefix)
            np.testing.assert_allclose(sess.run("logits:0", {"x:0": X}), X @ W, rtol=1e-6)
    if fmt == "tf":  # TensorFlow agrees
        with tf1.Graph().as_default():
            tf_saver = tf1.train.import_meta_graph(str(tmp_path / "restored.meta"))
            with tf1.Session() as sess:
                tf_saver.restore(sess, prefix)
                np.testing.assert_allclose(sess.run("logits:0", {"x:0": X}), X @ W, rtol=1e-6)
