"""Regenerates the fuzz seed corpus: the same small training model written by TensorFlow and by torchmeta.

Run from the repository root (TensorFlow 2.21 installed):

    PYTHONPATH=$PWD python tests/fuzz/make_seeds.py [TARGET...]

(no target: all of them; the record, Example and SavedModel seeds are written by :func:`write_data_seeds`).

Writes ``tests/fuzz/seeds/<target>/`` for every target in :mod:`tests.fuzz.targets`: binary MetaGraphs of the
training model and text MetaGraphs of its inference part (:func:`build_small`), TF V2 checkpoints
(TensorFlow's and ours), safetensors checkpoints, ``checkpoint`` state files and event files. The TF V2
checkpoint of the model is also kept whole in ``seeds/restore/`` (the MetaGraph target restores from it)
together with a safetensors copy.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = os.path.join(HERE, "seeds")


def build(tf, resource: bool):
    """A small TF1 model: placeholder, ref (and with ``resource`` resource) variables, a training step."""
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 10, name="w")
    b = tf.Variable(tf.zeros([2]), name="b", use_resource=resource)
    step = tf.train.get_or_create_global_step()
    logits = tf.nn.relu(tf.matmul(x, w) + b, name="logits")
    loss = tf.reduce_mean(tf.square(logits - 1.0), name="loss")
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    tf.add_to_collection("logits", logits)
    tf.add_to_collection("train_op", train)
    tf.summary.scalar("loss", loss)
    tf.constant([b"a", b"bc"], name="strings")
    return train, loss


def build_small(tf):
    """The model's inference part (no gradients, optimizer or summaries) with the same variables, so the seed
    checkpoint restores into it: the text MetaGraph seed. Its text is a third of the training graph's, and
    protobuf's pure-Python text parser is where the text target spends its time."""
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 10, name="w")
    b = tf.Variable(tf.zeros([2]), name="b")
    step = tf.train.get_or_create_global_step()
    logits = tf.nn.relu(tf.matmul(x, w) + b, name="logits")
    tf.add_to_collection("logits", logits)
    tf.add_to_collection("train_op", tf.assign_add(step, 1))
    tf.train.Saver()


def write_all(tf, is_tf: bool, out: str, tag: str):
    graph = tf.Graph()
    with graph.as_default():
        train, loss = build(tf, resource=is_tf)
        merged = tf.summary.merge_all()
        kwargs = {} if is_tf else {"format": "tf"}
        saver = tf.train.Saver(**kwargs)
        st_saver = None if is_tf else tf.train.Saver(format="safetensors")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            feed = {graph.get_tensor_by_name("x:0"): np.ones((4, 3), np.float32)}
            sess.run(train, feed)
            work = tempfile.mkdtemp()
            prefix = saver.save(sess, os.path.join(work, "model"), global_step=1)
            if st_saver is not None:
                st_prefix = st_saver.save(sess, os.path.join(work, "st"), global_step=1, write_meta_graph=False)
                _copy(st_prefix + ".safetensors", out, "safetensors", f"{tag}.safetensors")
            writer = tf.summary.FileWriter(os.path.join(work, "events"), graph)
            writer.add_summary(sess.run(merged, feed), 1)
            writer.close()
    with tf.Graph().as_default():
        build_small(tf)
        tf.train.export_meta_graph(os.path.join(work, "model.pbtxt"), as_text=True)
    _copy(prefix + ".meta", out, "meta_binary", f"{tag}.meta")
    _copy(os.path.join(work, "model.pbtxt"), out, "meta_text", f"{tag}.pbtxt")
    _copy(os.path.join(work, "checkpoint"), out, "checkpoint_state", f"{tag}.checkpoint")
    for name in os.listdir(os.path.join(work, "events")):
        _copy(os.path.join(work, "events", name), out, "events", f"{tag}.events")
    with open(prefix + ".index", "rb") as f:
        index = f.read()
    with open(prefix + ".data-00000-of-00001", "rb") as f:
        data = f.read()
    from tests.fuzz.targets import pack_bundle

    with open(os.path.join(out, "tf_checkpoint", f"{tag}.bundle"), "wb") as f:
        f.write(pack_bundle(index, data))
    if is_tf:
        restore = os.path.join(out, "restore")
        for suffix in (".index", ".data-00000-of-00001"):
            shutil.copy(prefix + suffix, os.path.join(restore, "model" + suffix))
    shutil.rmtree(work)


def _example_protos(train):
    """One tf.train.Example and one SequenceExample using every feature the ``example`` target parses."""
    feature = train.Feature
    example = train.Example(
        features=train.Features(
            feature={
                "f": feature(float_list=train.FloatList(value=[1.5, -2.0, 3.25])),
                "i": feature(int64_list=train.Int64List(value=[7, -1, 1 << 40])),
                "b": feature(bytes_list=train.BytesList(value=[b"bytes"])),
                "k": feature(int64_list=train.Int64List(value=[3, 4])),
                "s": feature(bytes_list=train.BytesList(value=[b"a", b"", b"ccc"])),
            }
        )
    )
    sequence = train.SequenceExample(
        context=train.Features(feature={"b": feature(bytes_list=train.BytesList(value=[b"ctx"]))}),
        feature_lists=train.FeatureLists(
            feature_list={
                "seq": train.FeatureList(feature=[feature(float_list=train.FloatList(value=[1.0, 2.0]))] * 3),
                "v": train.FeatureList(
                    feature=[feature(int64_list=train.Int64List(value=list(range(n)))) for n in (0, 2, 1)]
                ),
            }
        ),
    )
    return example.SerializeToString(), sequence.SerializeToString()


def write_data_seeds(tf, is_tf: bool, out: str, tag: str):
    """Seeds of the ``tfrecord``, ``example`` and ``saved_model`` targets, written by ``tf`` (TF or torchmeta)."""
    from tests.fuzz.targets import TFRECORD_COMPRESSION

    example, sequence = _example_protos(tf.train)
    for name, data in (("example", example), ("sequence", sequence)):
        with open(os.path.join(out, "example", f"{tag}_{name}.pb"), "wb") as f:
            f.write(data)
    work = tempfile.mkdtemp()
    for i, compression in enumerate(TFRECORD_COMPRESSION):
        path = os.path.join(work, f"{i}.tfrecord")
        with tf.python_io.TFRecordWriter(path, tf.python_io.TFRecordOptions(compression or None)) as writer:
            for record in (example, b"", sequence):
                writer.write(record)
        with open(path, "rb") as f, open(os.path.join(out, "tfrecord", f"{tag}_{compression or 'none'}"), "wb") as g:
            g.write(bytes([i]) + f.read())
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 10, name="w")
        b = tf.Variable(np.array([0.5, -0.5], np.float32), name="b")
        y = tf.nn.softmax(tf.matmul(x, w) + b, name="y")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            export = os.path.join(work, "export")
            tf.saved_model.simple_save(sess, export, {"x": x}, {"y": y})
    shutil.copy(os.path.join(export, "saved_model.pb"), os.path.join(out, "saved_model", f"{tag}.pb"))
    if is_tf:
        shutil.copytree(os.path.join(export, "variables"), os.path.join(out, "saved_model_variables"))
    shutil.rmtree(work)


def _copy(src, out, target, name):
    shutil.copy(src, os.path.join(out, target, name))


DATA_TARGETS = ("tfrecord", "example", "saved_model", "saved_model_variables")
MODEL_TARGETS = ("meta_binary", "meta_text", "tf_checkpoint", "safetensors", "checkpoint_state", "events", "restore")


def main(argv=None):
    sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
    import tensorflow as tensorflow

    import torchmeta

    tf1 = tensorflow.compat.v1
    tf1.disable_v2_behavior()
    wanted = set(argv if argv is not None else sys.argv[1:]) or set(MODEL_TARGETS + DATA_TARGETS)
    if wanted & set(DATA_TARGETS):
        for target in DATA_TARGETS:
            path = os.path.join(SEEDS, target)
            shutil.rmtree(path, ignore_errors=True)
            if target != "saved_model_variables":
                os.makedirs(path)
        write_data_seeds(tf1, True, SEEDS, "tf")
        write_data_seeds(torchmeta, False, SEEDS, "torchmeta")
    if wanted & set(MODEL_TARGETS):
        write_model_seeds(tf1, torchmeta)
    for target in sorted(os.listdir(SEEDS)):
        print(target, sorted(os.listdir(os.path.join(SEEDS, target))))


def write_model_seeds(tf1, torchmeta):
    """Seeds of the MetaGraph, checkpoint, state-file and event-file targets."""
    for target in MODEL_TARGETS:
        path = os.path.join(SEEDS, target)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
    write_all(tf1, True, SEEDS, "tf")
    write_all(torchmeta, False, SEEDS, "torchmeta")
    # The restore checkpoint in safetensors too (the MetaGraph target restores from either format).
    from torchmeta import io

    reader = io.open_checkpoint(os.path.join(SEEDS, "restore", "model"))
    io.save_safetensors(
        os.path.join(SEEDS, "restore", "model"),
        {name: reader.get_tensor(name) for name in reader},
        dtypes=reader.get_variable_to_dtype_map(),
    )
    # TensorFlow cannot write safetensors: its checkpoint, converted, is the safetensors target's TF seed.
    shutil.copy(
        os.path.join(SEEDS, "restore", "model.safetensors"),
        os.path.join(SEEDS, "safetensors", "tf_converted.safetensors"),
    )
    # A partitioned variable's slices (a second TF V2 seed and a second safetensors seed).
    with tempfile.TemporaryDirectory() as work:
        parts = [
            (np.arange(4, dtype=np.float32).reshape(2, 2), "4 2 0,2:-"),
            (np.ones((2, 2), np.float32), "4 2 2,2:-"),
        ]
        io.write_bundle(os.path.join(work, "pv"), {"pv": parts, "s": np.array([b"x", b""], dtype=object)})
        with open(os.path.join(work, "pv.index"), "rb") as f:
            index = f.read()
        with open(os.path.join(work, "pv.data-00000-of-00001"), "rb") as f:
            data = f.read()
        from tests.fuzz.targets import pack_bundle

        with open(os.path.join(SEEDS, "tf_checkpoint", "partitioned.bundle"), "wb") as f:
            f.write(pack_bundle(index, data))
        io.save_safetensors(os.path.join(SEEDS, "safetensors", "partial"), {"pv": parts[:1], "q": parts[1][0]})


if __name__ == "__main__":
    main()
