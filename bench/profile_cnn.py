"""A torch.profiler per-op summary of one bench/models.py workload's training step under torchmeta,
next to the hand-written PyTorch eager step, with each convolution's achieved GFLOP/s against a
measured float32 matmul peak of this machine.

    python bench/profile_cnn.py [--kind cnn] [--steps 20] [--threads 1] [--out bench/results/cnn_profile.txt]

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np
import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torchmeta as tm
from bench import models


def matmul_peak(n=1024, reps=10):
    """GFLOP/s of a float32 n x n matmul on this machine (best of ``reps``)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def torchmeta_step(kind, batch, x, y):
    g = tm.Graph()
    with g.as_default():
        tm.set_random_seed(1)
        xp, labels, _, train_op = models.GRAPHS[kind](tm, batch)
        sess = tm.Session(graph=g)
        sess.run(tm.global_variables_initializer())
    feed = {xp: x, labels: y}
    return lambda: sess.run(train_op, feed)


def pytorch_step(kind, x, y):
    model = models.torch_model(kind)
    opt = models.torch_optimizer(kind, model.parameters())
    xt, yt = torch.from_numpy(models.to_torch_layout(kind, x)), torch.from_numpy(y)

    def step():
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(xt), yt).backward()
        opt.step()

    return step


def summarize(step, steps, peak, title):
    for _ in range(3):
        step()
    start = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True, with_flops=True) as prof:
        for _ in range(steps):
            step()
    wall = (time.perf_counter() - start) / steps
    out = io.StringIO()
    events = prof.key_averages()
    total_flops = sum(e.flops for e in events)
    print(f"== {title}: {wall * 1e3:.1f} ms per step under the profiler ({steps} steps)", file=out)
    print(events.table(sort_by="self_cpu_time_total", row_limit=25, max_name_column_width=48), file=out)
    print("convolutions (self time per step, GFLOP/s achieved, share of the matmul peak):", file=out)
    for e in sorted(events, key=lambda e: -e.self_cpu_time_total):
        if e.flops and e.self_cpu_time_total:
            per_step = e.self_cpu_time_total / steps / 1e3
            rate = e.flops / (e.cpu_time_total * 1e-6) / 1e9
            print(f"  {e.key:<40} {per_step:8.2f} ms  {rate:7.1f} GFLOP/s  {rate / peak:5.0%}", file=out)
    print(f"  all counted FLOPs: {total_flops / steps / 1e9:.2f} GFLOP per step", file=out)
    by_shape = prof.key_averages(group_by_input_shape=True)
    print("\nthe 12 most expensive ops by input shape (self time):", file=out)
    print(by_shape.table(sort_by="self_cpu_time_total", row_limit=12, max_name_column_width=40), file=out)
    return out.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", default="cnn", choices=sorted(models.GRAPHS))
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "cnn_profile.txt"))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    batch, shape = models.SHAPES[args.kind]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, *shape)).astype(np.float32)
    y = rng.integers(0, 10, batch).astype(np.int64)
    peak = matmul_peak()
    header = (
        f"bench/profile_cnn.py --kind {args.kind} --steps {args.steps} --threads {args.threads}\n"
        f"torch {torch.__version__}, torchmeta {tm.__version__}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f} at start; measured float32 matmul peak (1024^3): {peak:.1f} GFLOP/s\n"
    )
    text = header + "\n" + summarize(torchmeta_step(args.kind, batch, x, y), args.steps, peak, "torchmeta")
    text += "\n" + summarize(pytorch_step(args.kind, x, y), args.steps, peak, "PyTorch eager (NCHW)")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
