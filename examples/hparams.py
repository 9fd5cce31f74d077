"""The seed's "retrieve hyper-parameters" flow: hparams travel in a collection of the saved MetaGraph.

python examples/hparams.py [--dir train_dir] [--device cuda]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import parser, session_config

import torchmeta as tf


def main(argv=None) -> list:
    p = parser(__doc__.splitlines()[0])
    p.set_defaults(dir="train_dir")
    args = p.parse_args(argv)
    train_dir = args.dir
    os.makedirs(train_dir, exist_ok=True)

    tf.reset_default_graph()
    w = tf.Variable(tf.zeros([3]), name="w")
    # A collection holds one kind of value (its first item decides: floats here); TensorFlow drops a
    # collection that mixes kinds when it exports, so other kinds get their own collection.
    for value in (0.01, 0.9):  # learning rate, momentum
        tf.add_to_collection("hparams", value)
    tf.add_to_collection("batch_size", 128)
    tf.add_to_collection("optimizer", b"momentum")
    with tf.Session(config=session_config(tf, args.device)) as sess:
        sess.run(w.initializer)
        tf.train.Saver().save(sess, os.path.join(train_dir, "model"), global_step=7)

    # Later, knowing only the directory:
    tf.reset_default_graph()
    filename = ".".join([tf.train.latest_checkpoint(train_dir), "meta"])
    tf.train.import_meta_graph(filename)
    hparams = tf.get_collection("hparams")
    others = tf.get_collection("batch_size") + tf.get_collection("optimizer")
    print(f"{filename}: hparams {hparams}, batch size and optimizer {others}")
    return hparams + others


if __name__ == "__main__":
    main()
