"""Training graphs fed by tf.data, both ways: a graph built here (TFRecord files TF wrote -> TFRecordDataset ->
batch -> parse_example -> MLP -> GradientDescent) exported as a MetaGraph takes the same steps in TensorFlow,
and a TF-built tf.data training graph (from_tensor_slices pipeline) takes TF's steps here."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.ops.samples_parsing import example
from torchmeta import errors

_rng = np.random.default_rng(5)
W1 = (_rng.standard_normal((4, 8)) * 0.5).astype(np.float32)
W2 = (_rng.standard_normal((8, 3)) * 0.5).astype(np.float32)


def _model(tf, x, y):
    w1 = tf.Variable(W1, name="w1")
    b1 = tf.Variable(np.zeros(8, np.float32), name="b1")
    w2 = tf.Variable(W2, name="w2")
    b2 = tf.Variable(np.zeros(3, np.float32), name="b2")
    logits = tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) + b2
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    return tf.train.GradientDescentOptimizer(0.5).minimize(loss, name="train"), [w1, b1, w2, b2]


@pytest.fixture
def records(tmp_path, tf1):
    import tensorflow

    rng = np.random.default_rng(3)
    paths = []
    for f in range(2):
        path = str(tmp_path / f"train-{f}.tfrecord")
        with tensorflow.io.TFRecordWriter(path, "GZIP") as w:
            for _ in range(30):
                x = rng.standard_normal(4).astype(np.float32)
                w.write(example(x=[float(v) for v in x], y=[int(np.argmax(x[:3]))]))
        paths.append(path)
    return paths


def test_our_tfrecord_training_graph_trains_in_tf(tf1, records, tmp_path):
    import tensorflow

    g = tm.Graph()
    with g.as_default():
        data = tm.data.TFRecordDataset(records, compression_type="GZIP").repeat(2).batch(12)
        it = tm.data.make_initializable_iterator(data)
        parsed = tm.parse_example(
            it.get_next(), {"x": tm.FixedLenFeature([4], tm.float32), "y": tm.FixedLenFeature([], tm.int64)}
        )
        train, variables = _model(tm, parsed["x"], tm.cast(parsed["y"], tm.int32))
        tm.add_to_collection("iterator_init", it.initializer)
        tm.train.export_meta_graph(filename=str(tmp_path / "ours.meta"))
        with tm.Session() as sess:
            sess.run([tm.global_variables_initializer(), it.initializer])
            steps = 0
            try:
                while True:
                    sess.run(train)
                    steps += 1
            except errors.OutOfRangeError:
                pass
            ours = sess.run(variables)
        names = [v.name for v in variables]
    assert steps == 10  # 2 epochs x 60 records in batches of 12
    tg = tf1.Graph()
    with tg.as_default():
        tf1.train.import_meta_graph(str(tmp_path / "ours.meta"))
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            sess.run(tf1.get_collection("iterator_init"))
            for _ in range(10):
                sess.run("train")
            with pytest.raises(tensorflow.errors.OutOfRangeError):
                sess.run("train")
            theirs = sess.run(names)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o, t, rtol=2e-5, atol=2e-6)


def test_tf_data_training_graph_from_tf_trains_here(tf1, tmp_path):
    import tensorflow

    rng = np.random.default_rng(4)
    x = rng.standard_normal((40, 4)).astype(np.float32)
    y = np.argmax(x[:, :3], axis=1).astype(np.int32)
    tg = tf1.Graph()
    with tg.as_default():
        data = (
            tensorflow.compat.v1.data.Dataset.from_tensor_slices((x, y))
            .repeat(3)
            .batch(16, drop_remainder=True)
            .prefetch(1)
        )
        it = tf1.data.make_initializable_iterator(data)
        images, labels = it.get_next()
        train, variables = _model(tf1, images, labels)
        tf1.add_to_collection("iterator_init", it.initializer)
        tf1.train.export_meta_graph(filename=str(tmp_path / "tf.meta"))
        names = [v.name for v in variables]
        with tf1.Session() as sess:
            sess.run([tf1.global_variables_initializer(), it.initializer])
            for _ in range(7):
                sess.run(train)
            with pytest.raises(tensorflow.errors.OutOfRangeError):
                sess.run(train)
            theirs = sess.run(names)
    g = tm.Graph()
    with g.as_default():
        tm.train.import_meta_graph(str(tmp_path / "tf.meta"))
        with tm.Session() as sess:
            sess.run(tm.global_variables_initializer())
            sess.run(tm.get_collection("iterator_init"))
            for _ in range(7):
                sess.run("train")
            with pytest.raises(errors.OutOfRangeError, match="End of sequence"):
                sess.run("train")
            ours = sess.run(names)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o, t, rtol=2e-5, atol=2e-6)
