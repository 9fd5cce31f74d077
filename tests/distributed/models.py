"""The models and data the distributed jobs train, shared by the jobs (one per rank) and the single-process
references the tests compare them with."""

from __future__ import annotations

import math

import numpy as np


def mlp_graph(tf, batch=None):
    """The seed MLP (28-128-32-10) with a softmax cross-entropy loss; (images, labels, loss, variables)."""
    images = tf.placeholder(tf.float32, [batch, 28], name="images")
    labels = tf.placeholder(tf.int64, [batch], name="labels")
    x = images
    for name, (n_in, n_out) in [("hidden1", (28, 128)), ("hidden2", (128, 32)), ("softmax_linear", (32, 10))]:
        with tf.name_scope(name):
            w = tf.Variable(tf.truncated_normal([n_in, n_out], stddev=1.0 / math.sqrt(n_in)), name="weights")
            b = tf.Variable(tf.zeros([n_out]), name="biases")
            x = tf.matmul(x, w) + b
            if name != "softmax_linear":
                x = tf.nn.relu(x)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=x))
    return images, labels, loss, tf.trainable_variables()


def batches(steps, batch, seed=0):
    """``steps`` global batches of ``batch`` examples (the same on every rank)."""
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = rng.standard_normal((batch, 28)).astype(np.float32)
        yield x, x[:, :10].argmax(axis=1).astype(np.int64)
