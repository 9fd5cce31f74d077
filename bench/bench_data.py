"""A tf.data-fed training loop vs the same loop fed by feed_dict, in torchmeta (and TensorFlow for reference).

    python bench/bench_data.py [--rounds 11] [--steps 200] [--batch 100] [--device cpu|cuda] [--clock wall|cpu]
        [--tensorflow] [--json PATH]

The seed MLP (28-128-32-10, GradientDescent) trains on 60,000 examples in memory (float32 [N, 28] images,
int32 labels), ``--batch`` examples per step; every step runs only the train op (nothing is fetched). Two
pairs of loops doing the same work:

- shuffled: ``feed_dict`` gathers each batch from numpy arrays with the next rows of a random permutation
  (a fresh one per epoch; numpy fancy indexing, a copy) and feeds it, what TF1 programs without an input
  pipeline do; ``tf.data`` runs from_tensor_slices -> shuffle(10,000, seed) -> repeat -> batch -> prefetch(2)
  (TF's seeded buffer shuffle, element for element TF's order) and the step trains on its get_next.
- in order: ``feed_dict`` feeds consecutive slices of the arrays (views); ``tf.data`` runs
  from_tensor_slices -> repeat -> batch -> prefetch(2).

Each round times ``--steps`` steps of each loop, alternating; the table shows the median time per step and the
tf.data/feed_dict ratios. Results go to JSON (default bench/results/data_latest.json). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torchmeta

N = 60_000


def _model(tf, images, labels):
    h = images
    sizes = [28, 128, 32, 10]
    for i in range(3):
        with tf.name_scope(f"layer{i}"):
            w = tf.Variable(tf.truncated_normal([sizes[i], sizes[i + 1]], stddev=1.0 / math.sqrt(sizes[i])), name="w")
            b = tf.Variable(tf.zeros([sizes[i + 1]]), name="b")
            h = tf.matmul(h, w) + b
            if i < 2:
                h = tf.nn.relu(h)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=h))
    return tf.train.GradientDescentOptimizer(0.01).minimize(loss)


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, 28)).astype(np.float32)
    y = rng.integers(0, 10, N).astype(np.int32)
    return x, y


def feed_dict_loop(tf, batch, config, shuffle=True):
    """A step function training on feed_dict batches: rows of a permutation redrawn each epoch, or in order."""
    x, y = _data()
    g = tf.Graph()
    with g.as_default():
        images = tf.placeholder(tf.float32, [None, 28])
        labels = tf.placeholder(tf.int32, [None])
        train = _model(tf, images, labels)
        sess = tf.Session(graph=g, config=config)
        sess.run(tf.global_variables_initializer())
    rng = np.random.default_rng(1)
    state = {"order": rng.permutation(N) if shuffle else None, "i": 0}

    def step():
        i = state["i"]
        if i + batch > N:
            i = 0
            if shuffle:
                state["order"] = rng.permutation(N)
        state["i"] = i + batch
        if shuffle:
            idx = state["order"][i : i + batch]
            sess.run(train, {images: x[idx], labels: y[idx]})
        else:
            sess.run(train, {images: x[i : i + batch], labels: y[i : i + batch]})

    return step, sess


def tf_data_loop(tf, data, batch, config, shuffle=True):
    """A step function training on get_next of from_tensor_slices -> [shuffle ->] repeat -> batch -> prefetch."""
    x, y = _data()
    g = tf.Graph()
    with g.as_default():
        dataset = data.Dataset.from_tensor_slices((x, y))
        if shuffle:
            dataset = dataset.shuffle(10_000, seed=1)
        dataset = dataset.repeat().batch(batch).prefetch(2)
        iterator = tf.data.make_initializable_iterator(dataset)
        images, labels = iterator.get_next()
        train = _model(tf, images, labels)
        sess = tf.Session(graph=g, config=config)
        sess.run([tf.global_variables_initializer(), iterator.initializer])

    def step():
        sess.run(train)

    return step, sess


def _time(step, n, clock=time.perf_counter):
    for _ in range(5):
        step()
    start = clock()
    for _ in range(n):
        step()
    return (clock() - start) / n


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=11)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--tensorflow", action="store_true", help="also time TensorFlow's two loops")
    p.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="wall time, or the process's CPU time (all threads: the prefetch thread's work counts; for a busy machine)",
    )
    p.add_argument(
        "--json", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "data_latest.json")
    )
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    tm = torchmeta
    tm_config = tm.ConfigProto(device=args.device, intra_op_parallelism_threads=args.threads)
    loops = {}
    for order, shuffle in (("shuffled", True), ("in order", False)):
        loops[f"torchmeta feed_dict {order}"] = feed_dict_loop(tm, args.batch, tm_config, shuffle)
        loops[f"torchmeta tf.data {order}"] = tf_data_loop(tm, tm.data, args.batch, tm_config, shuffle)
    if args.tensorflow:
        import tensorflow

        v1 = tensorflow.compat.v1
        v1.disable_v2_behavior()
        tf_config = v1.ConfigProto(intra_op_parallelism_threads=args.threads, inter_op_parallelism_threads=args.threads)
        for order, shuffle in (("shuffled", True), ("in order", False)):
            loops[f"TensorFlow feed_dict {order}"] = feed_dict_loop(v1, args.batch, tf_config, shuffle)
            loops[f"TensorFlow tf.data {order}"] = tf_data_loop(v1, v1.data, args.batch, tf_config, shuffle)
    times = {name: [] for name in loops}
    for _ in range(args.rounds):
        for name, (step, _) in loops.items():
            times[name].append(_time(step, args.steps, time.process_time if args.clock == "cpu" else time.perf_counter))
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, m in medians.items():
        print(f"{name:32s} {m * 1e6:8.1f} us/step")
    ratios = {}
    for framework in ("torchmeta", "TensorFlow") if args.tensorflow else ("torchmeta",):
        for order in ("shuffled", "in order"):
            ratio = medians[f"{framework} tf.data {order}"] / medians[f"{framework} feed_dict {order}"]
            ratios[f"{framework} {order}"] = ratio
            print(f"{framework} tf.data / feed_dict, {order}: {ratio:.3f}")
    for _, sess in loops.values():
        sess.close()
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(
            {
                "machine": platform.platform(),
                "threads": args.threads,
                "batch": args.batch,
                "device": args.device,
                "clock": args.clock,
                "rounds": args.rounds,
                "steps": args.steps,
                "load_average_before_after": [load_before, os.getloadavg()],
                "median_seconds_per_step": medians,
                "tf_data_over_feed_dict": ratios,
            },
            f,
            indent=2,
        )
    return medians


if __name__ == "__main__":
    main()
