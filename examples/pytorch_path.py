"""The plain-PyTorch path: a TF forward graph as a torch module, trained with autograd and torch.optim,
then saved back to a TensorFlow checkpoint.

    python examples/pytorch_path.py [--dir pytorch-path] [--steps 200] [--device cuda]

1. A MetaGraph with the seed's inference graph (here exported by torchmeta; TensorFlow's .meta files
   work the same way) is turned into an ``nn.Module`` with ``torchmeta.to_module``: trainable
   variables become ``nn.Parameter``s.
2. It trains with ``loss.backward()`` and ``torch.optim.Adam``.
3. The trained values go back into a session (``torchmeta.assign_from_module``) and a
   ``Saver(format="tf")`` writes a checkpoint TensorFlow restores.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import inference_graph, parser

import torchmeta as tf


def main(argv=None) -> dict:
    p = parser(__doc__.splitlines()[0])
    p.set_defaults(dir="pytorch-path")
    p.add_argument("--steps", type=int, default=200)
    args = p.parse_args(argv)
    device = torch.device(args.device if args.device != "cuda" or torch.cuda.is_available() else "cpu")
    os.makedirs(args.dir, exist_ok=True)
    meta = os.path.join(args.dir, "inference.meta")

    # A forward graph on disk (a TensorFlow-written .meta would do the same).
    tf.reset_default_graph()
    images = tf.placeholder(tf.float32, [None, 28], name="images")
    inference_graph(tf, images)
    tf.train.export_meta_graph(meta)

    # 1. The graph as a module; variable values from their initializers (or session=/checkpoint=).
    tf.reset_default_graph()
    tf.train.import_meta_graph(meta)
    graph = tf.get_default_graph()
    module = tf.to_module(graph, inputs=["images:0"], outputs=[tf.get_collection("logits")[0]]).to(device)
    print(f"parameters: {[(n, tuple(p.shape)) for n, p in module.named_parameters()]}")

    # 2. Train it like any PyTorch model.
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal((256, 28)).astype(np.float32)).to(device)
    y = x[:, :10].argmax(dim=1)
    optimizer = torch.optim.Adam(module.parameters(), lr=0.01)
    for step in range(args.steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(module(x), y)
        loss.backward()
        optimizer.step()
        if step % 50 == 0 or step == args.steps - 1:
            print(f"step {step}: loss {loss.item():.4f}")

    # 3. Back to TensorFlow's formats: the module's values into a session, then a TF-format checkpoint.
    with tf.Session(graph=graph) as sess:
        sess.run(tf.global_variables_initializer())
        tf.assign_from_module(sess, module)
        prefix = tf.train.Saver(format="tf").save(sess, os.path.join(args.dir, "trained"))
        logits = sess.run(tf.get_collection("logits")[0], {"images:0": x.cpu().numpy()})
    accuracy = float((logits.argmax(1) == y.cpu().numpy()).mean())
    print(f"saved {prefix}.index (TensorFlow restores it); training accuracy {accuracy:.3f}")
    return {
        "prefix": prefix,
        "meta": prefix + ".meta",
        "logits": logits,
        "inputs": x.cpu().numpy(),
        "accuracy": accuracy,
    }


if __name__ == "__main__":
    main()
