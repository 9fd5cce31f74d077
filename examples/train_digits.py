"""A real training run: an MLP on scikit-learn's handwritten digits, evaluated like the TF1 MNIST tutorial.

    python examples/train_digits.py [--epochs 30] [--device cuda]

Trains 64-128-10 with Adam on 1,437 images and evaluates on the 360 held out with `tf.nn.in_top_k`,
`tf.cast` and `tf.reduce_sum` of correct predictions (the tutorial's `evaluation()`). It reaches
about 97% test accuracy (the test checks at least 95%).
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import parser, session_config

import torchmeta as tf


def load_digits():
    from sklearn.datasets import load_digits as sk_load_digits

    data = sk_load_digits()
    x = (data.data / 16.0).astype(np.float32)
    y = data.target.astype(np.int32)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    return (x[:1437], y[:1437]), (x[1437:], y[1437:])


def evaluation(logits, labels):
    """The TF1 MNIST tutorial's evaluation: how many predictions are right."""
    correct = tf.nn.in_top_k(logits, labels, 1)
    return tf.reduce_sum(tf.cast(correct, tf.int32))


def main(argv=None) -> float:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch", type=int, default=32)
    args = p.parse_args(argv)
    (x_train, y_train), (x_test, y_test) = load_digits()
    tf.reset_default_graph()
    tf.set_random_seed(0)
    images = tf.placeholder(tf.float32, [None, 64], name="images")
    labels = tf.placeholder(tf.int32, [None], name="labels")
    with tf.name_scope("hidden"):
        w1 = tf.Variable(tf.truncated_normal([64, 128], stddev=0.125), name="weights")
        b1 = tf.Variable(tf.zeros([128]), name="biases")
        hidden = tf.nn.relu(tf.matmul(images, w1) + b1)
    with tf.name_scope("softmax_linear"):
        w2 = tf.Variable(tf.truncated_normal([128, 10], stddev=0.09), name="weights")
        b2 = tf.Variable(tf.zeros([10]), name="biases")
        logits = tf.matmul(hidden, w2) + b2
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    train_op = tf.train.AdamOptimizer(0.001).minimize(loss, global_step=tf.train.get_or_create_global_step())
    eval_correct = evaluation(logits, labels)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1, output_type=tf.int32), labels), tf.float32))
    rng = np.random.default_rng(1)
    with tf.Session(config=session_config(tf, args.device)) as sess:
        sess.run(tf.global_variables_initializer())
        for epoch in range(args.epochs):
            order = rng.permutation(len(x_train))
            for i in range(0, len(order), args.batch):
                idx = order[i : i + args.batch]
                sess.run(train_op, {images: x_train[idx], labels: y_train[idx]})
            if epoch % 10 == 9 or epoch == args.epochs - 1:
                train_loss = sess.run(loss, {images: x_train, labels: y_train})
                print(f"epoch {epoch + 1}: train loss {train_loss:.4f}")
        correct = sess.run(eval_correct, {images: x_test, labels: y_test})
        acc = sess.run(accuracy, {images: x_test, labels: y_test})
    print(
        f"test: {correct}/{len(x_test)} correct, precision @ 1 = {correct / len(x_test):.4f} (argmax accuracy {acc:.4f})"
    )
    return correct / len(x_test)


if __name__ == "__main__":
    main()
