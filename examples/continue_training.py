"""The seed's first flow: train, save with a global step every N steps, then continue from the .meta.

    python examples/continue_training.py [--dir my-save-dir] [--steps 300] [--every 100] [--device cuda]

The second half builds nothing: it imports the saved MetaGraph, restores the variables and keeps
running the `train_op` it finds in the collection.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import inference_graph, parser, session_config

import torchmeta as tf


def main(argv=None) -> tuple[float, float]:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--every", type=int, default=100)
    args = p.parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    rng = np.random.default_rng(0)
    features = rng.standard_normal((100, 28)).astype(np.float32)
    targets = (features[:, :10].argmax(axis=1)).astype(np.int32)  # a learnable labelling

    tf.reset_default_graph()
    images = tf.placeholder(tf.float32, [None, 28], name="images")
    labels = tf.placeholder(tf.int32, [None], name="labels")
    logits = inference_graph(tf, images)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits), name="loss")
    global_step = tf.train.get_or_create_global_step()
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=global_step)
    # Create a saver.
    saver = tf.train.Saver(max_to_keep=3)
    # Remember the training_op we want to run by adding it to a collection.
    tf.add_to_collection("train_op", train_op)
    tf.add_to_collection("loss", loss)
    feed = {images: features, labels: targets}
    sess = tf.Session(config=session_config(tf, args.device))
    sess.run(tf.global_variables_initializer())
    for step in range(args.steps + 1):
        if step % args.every == 0:
            # Saves checkpoint, which by default also exports a meta_graph named 'my-model-<step>.meta'.
            saver.save(sess, os.path.join(args.dir, "my-model"), global_step=step)
        sess.run(train_op, feed)
    first_loss = float(sess.run(loss, feed))
    sess.close()
    print(f"trained {args.steps} steps, loss {first_loss:.4f}; kept {sorted(os.listdir(args.dir))}")

    # Later: continue training from the saved meta_graph, without building the model.
    tf.reset_default_graph()
    last = os.path.join(args.dir, f"my-model-{args.steps}")
    with tf.Session(config=session_config(tf, args.device)) as sess:
        new_saver = tf.train.import_meta_graph(last + ".meta")
        new_saver.restore(sess, last)
        # tf.get_collection() returns a list. In this example we only want the first one.
        train_op = tf.get_collection("train_op")[0]
        loss = tf.get_collection("loss")[0]
        feed = {"images:0": features, "labels:0": targets}
        resumed = float(sess.run(loss, feed))
        for _ in range(args.steps):
            sess.run(train_op, feed)
        final = float(sess.run(loss, feed))
        step = sess.run(tf.train.get_global_step())
    print(
        f"resumed at loss {resumed:.4f} (global step {args.steps}), after {args.steps} more steps: {final:.4f}, "
        f"global step {step}"
    )
    return resumed, final


if __name__ == "__main__":
    main()
