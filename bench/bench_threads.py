"""Session.run throughput from 1, 2 and 4 threads sharing one Session: TensorFlow 2.21 vs torchmeta.

    python bench/bench_threads.py [--steps 300] [--rounds 3] [--out bench/results/threads.json]

Workloads (the seed MLP 28-128-32-10, batch 100): a training step (GradientDescent + global step) and
inference. Each thread runs ``--steps`` steps; throughput is total steps per second, the median of
``--rounds`` alternating rounds. Both frameworks get the same intra-op thread count (``--intra-op``, default
1: the Python threads are what scales here; torch's OpenMP pool with 2 threads on a busy 2-core machine
costs a scheduler time slice per parallel region). The global step is checked afterwards: torchmeta's
increment is atomic, TensorFlow's unlocked one may lose updates.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np


def build(tf):
    rng = np.random.default_rng(0)
    x = tf.placeholder(tf.float32, [None, 28], name="x")
    y = tf.placeholder(tf.int64, [None], name="y")
    h = x
    for i, (n_in, n_out) in enumerate([(28, 128), (128, 32)]):
        w = tf.Variable(rng.normal(0, 0.1, (n_in, n_out)).astype(np.float32), name=f"w{i}")
        b = tf.Variable(np.zeros(n_out, np.float32), name=f"b{i}")
        h = tf.nn.relu(tf.matmul(h, w) + b)
    w = tf.Variable(rng.normal(0, 0.1, (32, 10)).astype(np.float32), name="w2")
    logits = tf.matmul(h, w)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    step = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.01).minimize(loss, global_step=step)
    return x, y, logits, train, step


def throughput(sess, fetch, feed, threads, steps) -> float:
    barrier = threading.Barrier(threads + 1)

    def work():
        barrier.wait()
        for _ in range(steps):
            sess.run(fetch, feed)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    return threads * steps / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--intra-op", type=int, default=1, help="intra-op threads, both frameworks")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "threads.json"))
    args = parser.parse_args()

    import tensorflow as tensorflow
    import torch

    import torchmeta

    torch.set_num_threads(args.intra_op)
    tf1 = tensorflow.compat.v1
    tf1.disable_v2_behavior()
    config = tf1.ConfigProto(intra_op_parallelism_threads=args.intra_op, inter_op_parallelism_threads=2)
    rng = np.random.default_rng(1)
    feeds_np = (rng.normal(size=(100, 28)).astype(np.float32), rng.integers(0, 10, 100))

    sessions = {}
    for name, tf in (("tensorflow", tf1), ("torchmeta", torchmeta)):
        graph = tf.Graph()
        with graph.as_default():
            x, y, logits, train, step = build(tf)
            init = tf.global_variables_initializer()
        if name == "tensorflow":
            sess = tf.Session(graph=graph, config=config)
        else:
            sess = tf.Session(graph=graph, config=tf.ConfigProto(intra_op_parallelism_threads=args.intra_op))
        sess.run(init)
        sessions[name] = (sess, {x: feeds_np[0], y: feeds_np[1]}, logits, train, step)

    results = {}
    for workload in ("train", "infer"):
        for threads in (1, 2, 4):
            samples = {name: [] for name in sessions}
            for _ in range(args.rounds):
                for name, (sess, feed, logits, train, step) in sessions.items():
                    fetch = train if workload == "train" else logits
                    throughput(sess, fetch, feed, threads, max(args.steps // 10, 5))  # warm up
                    before = sess.run(step)
                    samples[name].append(throughput(sess, fetch, feed, threads, args.steps))
                    if workload == "train":
                        lost = before + threads * args.steps - sess.run(step)
                        samples.setdefault(f"{name}_lost_steps", []).append(int(lost))
            key = f"{workload}/{threads}"
            results[key] = {name: round(statistics.median(v), 1) for name, v in samples.items() if "lost" not in name}
            results[key]["torchmeta/tensorflow"] = round(results[key]["torchmeta"] / results[key]["tensorflow"], 2)
            for name in sessions:
                lost = samples.get(f"{name}_lost_steps")
                if lost is not None:
                    results[key][f"{name} lost global-step increments"] = sum(lost)
            print(key, results[key], flush=True)
    out = {
        "unit": "steps per second, all threads together (median of rounds)",
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "steps_per_thread": args.steps,
        "rounds": args.rounds,
        "intra_op_threads": args.intra_op,
        "results": results,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
