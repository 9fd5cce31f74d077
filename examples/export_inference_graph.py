"""The seed's "import and extend" flow, part 1: build the inference graph, run it, save it and its MetaGraph.

python examples/export_inference_graph.py [--dir my-save-dir] [--device cuda]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import inference_graph, parser, session_config

import torchmeta as tf


def main(argv=None) -> str:
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    tf.reset_default_graph()
    # Creates an inference graph.
    images = tf.constant(1.2, tf.float32, shape=[100, 28])
    logits = inference_graph(tf, images)
    init_all_op = tf.initialize_all_variables()
    with tf.Session(config=session_config(tf, args.device)) as sess:
        # Initializes all the variables.
        sess.run(init_all_op)
        # Runs to logit.
        values = sess.run(logits)
        print(f"logits: shape {values.shape}, first row {values[0][:3]}...")
        # Creates a saver and saves: my-model-10000.safetensors + my-model-10000.meta.
        saver0 = tf.train.Saver()
        prefix = saver0.save(sess, os.path.join(args.dir, "my-model"), global_step=10000)
        # Generates MetaGraphDef (also written by save() beside the checkpoint).
        saver0.export_meta_graph(os.path.join(args.dir, "inference.meta"))
    print(f"saved {prefix} and {prefix}.meta")
    return prefix


if __name__ == "__main__":
    main()
