"""Data-parallel training throughput with 1, 2 and 4 gloo processes (torchmeta.horovod on torch.distributed).

    python bench/bench_distributed.py [--procs 1 2 4] [--steps 40] [--out bench/results/distributed.json]
    python bench/bench_distributed.py --overlap [--out bench/results/distributed_overlap.json]

Workloads: the MNIST MLP (784-128-32-10, 64 examples per process and step) and a small CNN (28x28x1 ->
conv 5x5x16 -> pool -> conv 5x5x32 -> pool -> dense 10, 32 examples per process), both trained with
``hvd.DistributedOptimizer(GradientDescentOptimizer)``: the batch per process is fixed (Horovod's weak
scaling), so the global batch grows with the number of processes. Each configuration is one torchrun job
(``--nproc_per_node N``, one intra-op thread per process); rank 0 times ``--steps`` steps after warm-up
steps and reports examples per second over all processes from the median step (a shared machine's
scheduling makes the mean jumpy), and the median time of one all-reduce of the model's gradients alone (the
communication part of a step, with its negotiation).

On a 2-core machine 2 processes can at best double the throughput of 1 and 4 processes only share the two
cores (every process also runs Python and the gloo transport threads); the numbers say what the overhead of
the collectives costs, not how a many-core or multi-GPU job scales. On GPUs the same code takes the NCCL
path (init() picks it when CUDA is available, each process on cuda:<local_rank>).

``--overlap`` compares, with 2 processes, the gradients in one bucket and in small buckets (``--small-bucket``
bytes: several all-reduces a step, which a Session starts while the backward pass goes on), for this
checkout and for ``--before`` (another checkout, e.g. main before the all-reduces were asynchronous), the
runs alternating in ``--rounds`` rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def mlp(tf, batch):
    x = tf.placeholder(tf.float32, [batch, 784], name="x")
    h = x
    for n_in, n_out in [(784, 128), (128, 32), (32, 10)]:
        w = tf.Variable(tf.truncated_normal([n_in, n_out], stddev=0.05))
        h = tf.matmul(h, w) + tf.Variable(tf.zeros([n_out]))
        if n_out != 10:
            h = tf.nn.relu(h)
    return x, h, [batch, 784]


def cnn(tf, batch):
    x = tf.placeholder(tf.float32, [batch, 28, 28, 1], name="x")
    h = x
    for c_in, c_out in [(1, 16), (16, 32)]:
        w = tf.Variable(tf.truncated_normal([5, 5, c_in, c_out], stddev=0.1))
        h = tf.nn.relu(tf.nn.conv2d(h, w, [1, 1, 1, 1], "SAME") + tf.Variable(tf.zeros([c_out])))
        h = tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    h = tf.reshape(h, [batch, 7 * 7 * 32])
    w = tf.Variable(tf.truncated_normal([7 * 7 * 32, 10], stddev=0.05))
    return x, tf.matmul(h, w) + tf.Variable(tf.zeros([10])), [batch, 28, 28, 1]


MODELS = {"mnist_mlp": (mlp, 64), "cnn": (cnn, 32)}


def worker(model: str, steps: int, out: str, bucket_bytes=None):
    import numpy as np
    import torch

    torch.set_num_threads(1)
    import torchmeta as tf
    import torchmeta.horovod as hvd

    hvd.init()
    build, batch = MODELS[model]
    tf.set_random_seed(0)
    x, logits, shape = build(tf, batch)
    y = tf.placeholder(tf.int64, [batch])
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    opt = hvd.DistributedOptimizer(tf.train.GradientDescentOptimizer(0.01), bucket_bytes=bucket_bytes)
    train = opt.minimize(loss)
    grads = [tf.zeros_like(v) for v in tf.trainable_variables()]
    reduce_only = hvd.grouped_allreduce(grads, bucket_bytes=bucket_bytes) if hvd.size() > 1 else grads
    rng = np.random.default_rng(hvd.rank())
    feed = {x: rng.standard_normal(shape).astype(np.float32), y: rng.integers(0, 10, batch)}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(hvd.broadcast_global_variables(0))
        for _ in range(5):
            sess.run(train, feed)
        step_s, cpu_s = [], []
        for _ in range(steps):
            start, cpu = time.perf_counter(), time.process_time()
            sess.run(train, feed)
            step_s.append(time.perf_counter() - start)
            cpu_s.append(time.process_time() - cpu)
        for _ in range(3):
            sess.run(reduce_only)
        reduce_s = []
        for _ in range(steps):
            start = time.perf_counter()
            sess.run(reduce_only)
            reduce_s.append(time.perf_counter() - start)
    if hvd.rank() == 0:
        n = hvd.size()
        params = sum(int(np.prod(v.shape.as_list())) for v in tf.trainable_variables())
        result = {
            "model": model,
            "processes": n,
            "batch_per_process": batch,
            "parameters": params,
            "step_ms": 1000 * statistics.median(step_s),
            "mean_step_ms": 1000 * statistics.fmean(step_s),
            "cpu_step_ms": 1000 * statistics.median(cpu_s),  # this process's CPU time (all its threads)
            "examples_per_s": batch * n / statistics.median(step_s),
            "allreduce_ms": 1000 * statistics.median(reduce_s) if n > 1 else 0.0,
            "bucket_bytes": bucket_bytes,
            "allreduces_per_step": sum(op.type == "CollectiveReduceV2" for op in train_ops(tf, train)),
        }
        with open(out, "w") as f:
            json.dump(result, f)
    hvd.shutdown()


def train_ops(tf, train):
    """The ops a training step runs (the graph's ops the train op depends on)."""
    seen, stack = set(), [train]
    while stack:
        op = stack.pop()
        if op not in seen:
            seen.add(op)
            stack.extend(t.op for t in op.inputs)
            stack.extend(op.control_inputs)
    return seen


def run(model, procs, steps, tmp, root=ROOT, bucket_bytes=None):
    out = os.path.join(tmp, f"{model}-{procs}.json")
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=root)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(procs)]
    cmd += [os.path.abspath(__file__), "--worker", model, "--steps", str(steps), "--result", out]
    if bucket_bytes:
        cmd += ["--bucket-bytes", str(bucket_bytes)]
    for attempt in range(2):
        if os.path.exists(out):
            os.unlink(out)
        done = subprocess.run(cmd, env=env, timeout=900, stdout=subprocess.DEVNULL)
        if done.returncode == 0:
            with open(out) as f:
                return dict(json.load(f), failed_attempts=attempt)
        # Seen rarely on the loaded 2-core machine: a process aborting at interpreter exit ("terminate called
        # without an active exception"), after its steps; the configuration runs once more, and says so.
        print(f"{model} with {procs} processes exited with {done.returncode}; running it again", flush=True)
    raise SystemExit(f"{model} with {procs} processes failed twice")


def overlap(args):
    """2 processes: one bucket vs small buckets, this checkout vs ``--before``, alternating."""
    import tempfile

    checkouts = {"after": ROOT, "before": os.path.abspath(args.before)}
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for model in args.models:
                for bucket in (None, args.small_bucket):
                    for label, root in checkouts.items():
                        r = run(model, 2, args.steps, tmp, root=root, bucket_bytes=bucket)
                        r.update(label=label, root=root, round=round_)
                        results.append(r)
                        print(
                            f"{model:10s} {label:6s} {r['allreduces_per_step']} all-reduce(s)/step: "
                            f"step {r['step_ms']:6.2f} ms (mean {r['mean_step_ms']:6.2f}, CPU {r['cpu_step_ms']:6.2f}), "
                            f"{r['examples_per_s']:8.0f} examples/s",
                            flush=True,
                        )
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--procs", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--models", nargs="+", default=list(MODELS))
    p.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "distributed.json"))
    p.add_argument("--worker")
    p.add_argument("--result")
    p.add_argument("--bucket-bytes", type=int, default=None)
    p.add_argument("--overlap", action="store_true", help="one bucket vs small buckets, this checkout vs --before")
    p.add_argument("--before", default=ROOT, help="the checkout to compare with (--overlap)")
    p.add_argument("--small-bucket", type=int, default=16 * 1024, help="bytes per bucket (--overlap)")
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    if args.worker:
        worker(args.worker, args.steps, args.result, args.bucket_bytes)
        return
    if args.overlap:
        report = {
            "machine": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_at_start": os.getloadavg(),
            "backend": "gloo",
            "steps": args.steps,
            "results": overlap(args),
            "load_average_at_end": os.getloadavg(),
        }
        out = (
            args.out
            if args.out != p.get_default("out")
            else os.path.join(ROOT, "bench", "results", "distributed_overlap.json")
        )
        with open(out, "w") as f:
            json.dump(report, f, indent=1)
        print(f"wrote {out}")
        return
    import tempfile

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            base = None
            for n in args.procs:
                r = run(model, n, args.steps, tmp)
                base = base or r["examples_per_s"]
                r["speedup_vs_1"] = r["examples_per_s"] / base
                results.append(r)
                print(
                    f"{model:10s} {n} process(es): {r['examples_per_s']:8.0f} examples/s, step {r['step_ms']:6.1f} ms, "
                    f"all-reduce alone {r['allreduce_ms']:5.2f} ms, x{r['speedup_vs_1']:.2f}"
                )
    report = {
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "backend": "gloo",
        "steps": args.steps,
        "results": results,
    }
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
