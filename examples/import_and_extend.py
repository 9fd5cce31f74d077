"""The seed's "import and extend" flow, part 2: import the inference MetaGraph, add loss and training.

    python examples/import_and_extend.py [--dir my-save-dir] [--steps 50] [--device cuda]

Needs the files written by examples/export_inference_graph.py. The code below is the seed document's,
with only its import line changed (`import torchmeta as tf`).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import parser, session_config

import torchmeta as tf


def main(argv=None) -> float:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=50)
    args = p.parse_args(argv)
    tf.reset_default_graph()
    with tf.Session(config=session_config(tf, args.device)) as sess:
        new_saver = tf.train.import_meta_graph(os.path.join(args.dir, "my-model-10000.meta"))
        new_saver.restore(sess, os.path.join(args.dir, "my-model-10000"))
        # Addes loss and train.
        labels = tf.constant(0, tf.int32, shape=[100], name="labels")
        batch_size = tf.size(labels)
        labels = tf.expand_dims(labels, 1)
        indices = tf.expand_dims(tf.range(0, batch_size), 1)
        concated = tf.concat([indices, labels], 1)
        onehot_labels = tf.sparse_to_dense(concated, tf.stack([batch_size, 10]), 1.0, 0.0)
        logits = tf.get_collection("logits")[0]
        cross_entropy = tf.nn.softmax_cross_entropy_with_logits(labels=onehot_labels, logits=logits, name="xentropy")
        loss = tf.reduce_mean(cross_entropy, name="xentropy_mean")
        tf.scalar_summary(loss.op.name, loss)
        # Creates the gradient descent optimizer with the given learning rate.
        optimizer = tf.train.GradientDescentOptimizer(0.01)
        # Runs train_op.
        train_op = optimizer.minimize(loss)
        tf.add_to_collection("train_op", train_op)
        first = sess.run(loss)
        for _ in range(args.steps):
            sess.run(train_op)
        last = sess.run(loss)
        summary = tf.summary.Summary.FromString(sess.run(tf.summary.merge_all()))
        print(f"loss {first:.4f} -> {last:.4f} after {args.steps} steps; summary tag {summary.value[0].tag!r}")
        saver = tf.train.Saver()
        prefix = saver.save(sess, os.path.join(args.dir, "extended"), global_step=args.steps)
        print(f"saved the training graph: {prefix}.meta")
    return last


if __name__ == "__main__":
    main()
