"""The seed document's MLP trained from a TFRecord file of tf.train.Example protos, through tf.data.

    python examples/train_from_tfrecords.py [--dir my-save-dir] [--epochs 20] [--device cuda]

Writes ``train.tfrecord`` and ``test.tfrecord`` (28 float features, an int64 label: which of 10
fixed directions the features point most along), then trains the 28-128-32-10 MLP of the seed
document on them: ``TFRecordDataset -> shuffle -> repeat -> batch -> prefetch``, the batch of
serialized Examples parsed in the graph with ``tf.parse_example``, GradientDescent until the iterator
runs out (OutOfRangeError), then the test accuracy through a second, initializable iterator.
The same program runs with ``import tensorflow.compat.v1 as tf``.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import inference_graph, parser, session_config

import torchmeta as tf


def write_records(path: str, n: int, seed: int) -> None:
    """``n`` Examples: 28 features around one of 10 fixed directions, labelled with that direction."""
    rng = np.random.default_rng(seed)
    directions = np.random.default_rng(0).standard_normal((10, 28)).astype(np.float32)
    labels = rng.integers(0, 10, n)
    features = directions[labels] + 1.5 * rng.standard_normal((n, 28)).astype(np.float32)
    with tf.io.TFRecordWriter(path) as writer:
        for x, y in zip(features, labels):
            example = tf.train.Example(
                features=tf.train.Features(
                    feature={
                        "image": tf.train.Feature(float_list=tf.train.FloatList(value=x.tolist())),
                        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(y)])),
                    }
                )
            )
            writer.write(example.SerializeToString())


FEATURES = {"image": tf.FixedLenFeature([28], tf.float32), "label": tf.FixedLenFeature([], tf.int64)}


def main(argv=None) -> float:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch", type=int, default=100)
    args = p.parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    train_path, test_path = os.path.join(args.dir, "train.tfrecord"), os.path.join(args.dir, "test.tfrecord")
    write_records(train_path, 2000, seed=1)
    write_records(test_path, 500, seed=2)

    tf.reset_default_graph()
    tf.set_random_seed(0)
    train_data = (
        tf.data.TFRecordDataset([train_path]).shuffle(1000, seed=1).repeat(args.epochs).batch(args.batch).prefetch(1)
    )
    test_data = tf.data.TFRecordDataset([test_path]).batch(500)
    iterator = tf.data.Iterator.from_structure(train_data.output_types, train_data.output_shapes)
    train_init, test_init = iterator.make_initializer(train_data), iterator.make_initializer(test_data)
    parsed = tf.parse_example(iterator.get_next(), FEATURES)
    images, labels = parsed["image"], tf.cast(parsed["label"], tf.int32)
    logits = inference_graph(tf, images)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=tf.train.get_or_create_global_step())
    accuracy = tf.reduce_mean(tf.cast(tf.nn.in_top_k(logits, labels, 1), tf.float32))

    with tf.Session(config=session_config(tf, args.device)) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train_init)
        step = 0
        try:
            while True:
                _, loss_value = sess.run([train_op, loss])
                step += 1
                if step % 100 == 0:
                    print(f"step {step}: loss {loss_value:.4f}")
        except tf.errors.OutOfRangeError:
            print(f"trained {step} steps ({args.epochs} epochs of 2000 records)")
        sess.run(test_init)
        acc = float(sess.run(accuracy))
    print(f"test accuracy: {acc:.4f}")
    return acc


if __name__ == "__main__":
    main()
