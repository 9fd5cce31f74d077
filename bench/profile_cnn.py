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


def matmul_peak(n=2048, reps=5):
    """GFLOP/s of a float32 n x n matmul on this machine (best of ``reps``, CPU time of this process,
    which other processes on the shared machine disturb less than wall-clock time)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = float("inf")
    for _ in range(reps):
        start = time.process_time()
        a @ b
        best = min(best, time.process_time() - start)
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


def traced_op_times(api, kind, batch, x, y, steps):
    """Milliseconds per step for each TF op type, from ``steps`` traced runs (RunMetadata.step_stats,
    which TensorFlow and torchmeta both fill) of the same training graph."""
    g = api.Graph()
    with g.as_default():
        api.set_random_seed(1)
        xp, labels, _, train_op = models.GRAPHS[kind](api, batch)
        if api is tm:
            sess = api.Session(graph=g)
        else:
            config = api.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
            sess = api.Session(graph=g, config=config)
        sess.run(api.global_variables_initializer())
        feed = {xp: x, labels: y}
        for _ in range(3):
            sess.run(train_op, feed)
        options = api.RunOptions(trace_level=api.RunOptions.FULL_TRACE)
        totals = {}
        for _ in range(steps):
            meta = api.RunMetadata()
            sess.run(train_op, feed, options=options, run_metadata=meta)
            for dev in meta.step_stats.dev_stats:
                if "CPU" not in dev.device.upper() or "/stream" in dev.device:
                    continue
                for node in dev.node_stats:
                    op = node.timeline_label.split("=")[-1].split("(")[0].strip() if node.timeline_label else ""
                    op = op or node.node_name
                    totals[op] = totals.get(op, 0.0) + node.all_end_rel_micros / 1e3
    return {op: ms / steps for op, ms in totals.items()}


def kernel_times(kind, batch, x, y, steps):
    """torchmeta's CPU milliseconds per training step for each kernel call of the lowered module (its
    fx nodes' targets wrapped with a process-time clock), keyed by (TF op type, kernel), and the step's
    total CPU time."""
    g = tm.Graph()
    with g.as_default():
        tm.set_random_seed(1)
        xp, labels, _, train_op = models.GRAPHS[kind](tm, batch)
        sess = tm.Session(graph=g)
        sess.run(tm.global_variables_initializer())
    feed = {xp: x, labels: y}
    for _ in range(3):
        sess.run(train_op, feed)
    totals: dict = {}
    flops: dict = {}

    def timed(fn, key):
        def call(*args, **kwargs):
            start = time.process_time()
            out = fn(*args, **kwargs)
            totals[key] = totals.get(key, 0.0) + time.process_time() - start
            flops[key] = flops.get(key, 0) + _flops(key[1], args, kwargs, out)
            return out

        return call

    for program in sess._programs.values():
        for compiled in program.by_shapes.values():
            for node in compiled.gm.graph.nodes:
                if node.op == "call_function":
                    key = (node.meta.get("tf_op", "?"), getattr(node.target, "__name__", str(node.target)))
                    node.target = timed(node.target, key)
            compiled.gm.recompile()
            compiled.forward = compiled.gm.forward
    start = time.process_time()
    for _ in range(steps):
        sess.run(train_op, feed)
    step = (time.process_time() - start) / steps * 1e3
    return {k: (v / steps * 1e3, flops[k] / steps) for k, v in totals.items()}, step


def _flops(name, args, kwargs, out):
    """Multiply-adds x 2 of a convolution or matmul kernel call (0 for other kernels)."""
    if name in ("conv2d", "conv2d_bias_relu", "conv2d_batch_norm_relu"):
        kh, kw, f_in = args[1].shape[:3]
        return 2 * out.numel() * kh * kw * (1 if kwargs.get("depthwise") else f_in)
    if name == "depthwise_conv2d_native":
        kh, kw = args[1].shape[:2]
        return 2 * out.numel() * kh * kw
    if name == "depthwise_conv2d_backprop_input_and_filter":
        kh, kw = args[1].shape[:2]
        return 4 * args[2].numel() * kh * kw
    if name == "conv2d_backprop_input_and_filter":
        kh, kw, f_in = args[1].shape[:3]
        return 4 * args[2].numel() * kh * kw * f_in
    if name == "conv2d_backprop_filter":
        kh, kw, f_in = out.shape[:3]
        return 2 * args[2].numel() * kh * kw * f_in
    if name == "conv2d_backprop_input":
        kh, kw, f_in = args[1].shape[:3]
        return 2 * args[2].numel() * kh * kw * f_in
    if name == "sum_of_matmuls":
        a = args[0]
        return 2 * out.numel() * (a.shape[0] if kwargs.get("transpose_a") else a.shape[1]) * (len(args) // 2)
    if name in ("mat_mul", "fused_matmul_bias", "sliced_matmul") and out.dim() == 2:
        a = args[0]
        return 2 * out.numel() * (a.shape[0] if kwargs.get("transpose_a") else a.shape[1])
    return 0


def compare_ops(kind, batch, x, y, steps, peak):
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    theirs = traced_op_times(tf, kind, batch, x, y, steps)
    ours, step = kernel_times(kind, batch, x, y, steps)
    out = io.StringIO()
    their_total = sum(theirs.values())
    print("TensorFlow, share of a traced training step per op type (RunMetadata step_stats, wall clock, 1", file=out)
    print(f"intra/inter-op thread; {their_total:.1f} ms per traced step):", file=out)
    for k, v in sorted(theirs.items(), key=lambda kv: -kv[1])[:14]:
        print(f"  {k:<40} {v / their_total:6.1%}", file=out)
    print(f"\ntorchmeta, CPU ms per training step per kernel call ({step:.1f} ms per step, untraced):", file=out)
    for (op, fn), (v, n) in sorted(ours.items(), key=lambda kv: -kv[1][0])[:14]:
        rate = f"{n / v / 1e6:6.1f} GFLOP/s ({n / v / 1e6 / peak:4.0%} of the matmul peak)" if n and v else ""
        print(f"  {op + ' -> ' + fn:<56} {v:7.2f} ms {v / step:6.1%}  {rate}", file=out)
    return out.getvalue()


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
    print("ops with FLOPs the profiler counts (self time per step, GFLOP/s, share of the matmul peak):", file=out)
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
        f"{os.getloadavg()[0]:.2f} at start; measured float32 matmul peak (2048^3, CPU time): {peak:.1f} GFLOP/s\n"
    )
    text = header + "\n" + summarize(torchmeta_step(args.kind, batch, x, y), args.steps, peak, "torchmeta")
    text += "\n" + summarize(pytorch_step(args.kind, x, y), args.steps, peak, "PyTorch eager (NCHW)")
    text += "\n" + compare_ops(args.kind, batch, x, y, args.steps, peak)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
