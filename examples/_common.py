"""Shared bits of the examples: the seed document's inference graph and the --device option."""

from __future__ import annotations

import argparse
import math


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--device", default="cpu", help="cpu or cuda (runs there when a GPU exists)")
    p.add_argument("--dir", default="my-save-dir", help="where checkpoints and .meta files go")
    return p


def session_config(tf, device: str):
    """Places every op on ``device`` (torchmeta's ConfigProto(device=...))."""
    return tf.ConfigProto(device=device, allow_soft_placement=True)


def inference_graph(tf, images):
    """The seed document's inference graph: hidden1, hidden2, softmax_linear; logits in a collection."""
    with tf.name_scope("hidden1"):
        weights = tf.Variable(tf.truncated_normal([28, 128], stddev=1.0 / math.sqrt(float(28))), name="weights")
        biases = tf.Variable(tf.zeros([128]), name="biases")
        hidden1 = tf.nn.relu(tf.matmul(images, weights) + biases)
    with tf.name_scope("hidden2"):
        weights = tf.Variable(tf.truncated_normal([128, 32], stddev=1.0 / math.sqrt(float(128))), name="weights")
        biases = tf.Variable(tf.zeros([32]), name="biases")
        hidden2 = tf.nn.relu(tf.matmul(hidden1, weights) + biases)
    with tf.name_scope("softmax_linear"):
        weights = tf.Variable(tf.truncated_normal([32, 10], stddev=1.0 / math.sqrt(float(32))), name="weights")
        biases = tf.Variable(tf.zeros([10]), name="biases")
        logits = tf.matmul(hidden2, weights) + biases
        tf.add_to_collection("logits", logits)
    return logits
