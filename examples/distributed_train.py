"""Data-parallel training of the seed MLP with Horovod's API on torch.distributed.

    torchrun --nproc_per_node 2 examples/distributed_train.py [--steps 100] [--batch 128] [--dir distributed]
    python examples/distributed_train.py            # the same file as a job of one process

Across machines, start the same command on each (the rendezvous endpoint is any one of them):

    torchrun --nnodes 2 --nproc_per_node 4 --rdzv-backend c10d --rdzv-endpoint host0:29400 \\
        --rdzv-id my-job examples/distributed_train.py

Each process trains on its slice of every global batch of ``--batch`` examples (``--batch / N`` each);
``hvd.DistributedOptimizer`` averages the gradients (TensorFlow's CollectiveReduceV2 in the graph, torch.
distributed underneath: gloo on CPUs, NCCL on GPUs, one GPU per process), so N processes take the same
steps as one process would with the whole batch. ``BroadcastGlobalVariablesHook(0)`` starts every process
from rank 0's variables; rank 0 writes the checkpoints (the chief of MonitoredTrainingSession).
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import inference_graph, parser

import torchmeta as tf
import torchmeta.horovod as hvd


def batch(step, size, seed=0):
    """Global batch ``step`` (the same on every process): random images, labels from their first 10 pixels."""
    rng = np.random.default_rng([seed, step])
    x = rng.standard_normal((size, 28)).astype(np.float32)
    return x, x[:, :10].argmax(axis=1).astype(np.int64)


def main(argv=None) -> dict:
    p = parser(__doc__.splitlines()[0])
    p.set_defaults(dir="distributed")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--batch", type=int, default=128, help="global batch, split across the processes")
    args = p.parse_args(argv)

    hvd.init()  # torchrun's environment, or a job of one
    n, r = hvd.size(), hvd.rank()
    if args.batch % n:
        raise SystemExit(f"--batch {args.batch} does not split across {n} processes")

    tf.reset_default_graph()
    tf.set_random_seed(0)
    images = tf.placeholder(tf.float32, [None, 28], name="images")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    logits = inference_graph(tf, images)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    global_step = tf.train.get_or_create_global_step()
    optimizer = hvd.DistributedOptimizer(tf.train.AdamOptimizer(0.01))
    train_op = optimizer.minimize(loss, global_step=global_step)

    eval_x, eval_y = batch(0, 512, seed=1)
    final = tf.train.FinalOpsHook(loss, {images: eval_x, labels: eval_y})  # the loss on held-out data at the end
    hooks = [hvd.BroadcastGlobalVariablesHook(0), tf.train.StopAtStepHook(last_step=args.steps), final]
    checkpoint_dir = args.dir if r == 0 else None  # Horovod's convention: the chief writes
    part = slice(r * args.batch // n, (r + 1) * args.batch // n)
    with tf.train.MonitoredTrainingSession(
        checkpoint_dir=checkpoint_dir, hooks=hooks, save_summaries_steps=None, log_step_count_steps=None
    ) as sess:
        while not sess.should_stop():
            step = sess.run(global_step)
            x, y = batch(step, args.batch)
            value, _ = sess.run([loss, train_op], {images: x[part], labels: y[part]})
            if r == 0 and (step % 25 == 0 or step == args.steps - 1):
                print(f"step {step}: loss {value:.4f} (rank 0's slice of {args.batch // n})")
    final_loss = float(final.final_ops_values)
    if r == 0:
        print(f"{n} process(es): loss on 512 held-out examples {final_loss:.4f}; checkpoints in {args.dir}")
    hvd.shutdown()
    return {"rank": r, "size": n, "loss": final_loss, "dir": args.dir}


if __name__ == "__main__":
    result = main()
    print(f"RESULT rank={result['rank']} size={result['size']} loss={result['loss']!r}")
