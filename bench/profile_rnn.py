"""Where the time of the MLP and LSTM workloads of bench/run.py goes: torchmeta's CPU time per kernel call of
the lowered module (each matmul kernel with its achieved GFLOP/s against a measured float32 matmul peak of this
machine), TensorFlow's traced time per op type for the same graph, and the step times of TF, torchmeta and the
hand-written PyTorch eager step measured alternately in one process.

    python bench/profile_rnn.py [--only mnist_mlp_train,lstm_cls_train,lstm_cls_infer] [--steps 20]
                                [--out bench/results/rnn_profile.txt]

One intra-op thread everywhere. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torchmeta as tm
from bench import run

_MATMULS = {"mat_mul", "fused_matmul_bias", "fused_matmul_bias_relu", "sliced_matmul", "sliced_matmul_invariant_b"}


def _cpu_time(fn):
    start = time.process_time()
    fn()
    return time.process_time() - start


def matmul_flops(name, args, kwargs, out) -> int:
    """2 x the multiply-adds of a matmul kernel call of the lowered module (0 for other kernels)."""
    if name == "sum_of_matmuls":
        a = args[0]
        return 2 * out.numel() * (a.shape[0] if kwargs.get("transpose_a") else a.shape[1]) * (len(args) // 2)
    if name in _MATMULS and isinstance(out, torch.Tensor) and out.dim() == 2:
        a = args[0]
        inner = a.shape[0] if kwargs.get("transpose_a") else a.shape[1]
        return 2 * out.numel() * inner
    return 0


def kernel_times(runner, steps):
    """CPU ms per step of each kernel of the runner's lowered module(s) (fx targets wrapped with a CPU clock),
    keyed by (TF op type, kernel), with the FLOPs per step of matmul kernels, and the step's CPU ms."""
    totals: dict = {}
    flops: dict = {}

    def timed(fn, key):
        def call(*args, **kwargs):
            start = time.process_time()
            out = fn(*args, **kwargs)
            totals[key] = totals.get(key, 0.0) + time.process_time() - start
            flops[key] = flops.get(key, 0) + matmul_flops(key[1], args, kwargs, out)
            return out

        return call

    for _ in range(3):
        runner()
    for program in runner.sess._programs.values():
        for compiled in program.by_shapes.values():
            for node in compiled.gm.graph.nodes:
                if node.op == "call_function":
                    key = (node.meta.get("tf_op", "?"), getattr(node.target, "__name__", str(node.target)))
                    node.target = timed(node.target, key)
            compiled.gm.recompile()
            compiled.forward = compiled.gm.forward
    step = sum(_cpu_time(runner) for _ in range(steps)) / steps * 1e3
    return {k: (v / steps * 1e3, flops[k] / steps) for k, v in totals.items()}, step


def traced_op_times(runner, tf, steps):
    """TF's ms per step per op type from traced runs (RunMetadata.step_stats)."""
    totals: dict = {}
    options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    for _ in range(steps):
        meta = tf.RunMetadata()
        runner.sess.run(runner.fetch, runner.feed, options=options, run_metadata=meta)
        for dev in meta.step_stats.dev_stats:
            if "CPU" not in dev.device.upper() or "/stream" in dev.device:
                continue
            for node in dev.node_stats:
                label = node.timeline_label
                op = (label.split("=")[-1].split("(")[0].strip() if label else "") or node.node_name
                totals[op] = totals.get(op, 0.0) + node.all_end_rel_micros / 1e3
    return {op: ms / steps for op, ms in totals.items()}


def step_times(impls, rounds=7, calls=5):
    """Median CPU ms per call of each implementation, run alternately round after round, in an order that
    changes per round (``run.round_order``)."""
    samples: dict = {k: [] for k in impls}
    for fn in impls.values():
        for _ in range(3):
            fn()
    for r in range(rounds):
        for k in run.round_order(impls, r):
            samples[k].append(_cpu_time(lambda fn=impls[k]: [fn() for _ in range(calls)]) / calls * 1e3)
    return {k: statistics.median(v) for k, v in samples.items()}


def profile_workload(workload, tf, steps, peak):
    out = io.StringIO()
    tf_runner = workload.tf_step(tf, tf.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1))
    impls = {"TF": tf_runner, "torchmeta": workload.tm_step(tm), "PyTorch": workload.torch_step()}
    times = step_times(impls)
    print(f"== {workload.name}: {workload.description}", file=out)
    print(
        "step, CPU ms (alternating, one process): "
        + ", ".join(f"{k} {v:.2f}" for k, v in times.items())
        + f"; torchmeta/TF {times['torchmeta'] / times['TF']:.2f}, torchmeta/PyTorch "
        f"{times['torchmeta'] / times['PyTorch']:.2f}",
        file=out,
    )
    ours, step = kernel_times(workload.tm_step(tm), steps)
    theirs = traced_op_times(tf_runner, tf, steps)
    their_total = sum(theirs.values())
    total_flops = sum(n for _, n in ours.values())
    matmul_ms = sum(v for (_, fn), (v, _) in ours.items() if fn in _MATMULS or fn == "sum_of_matmuls")
    print(
        f"\ntorchmeta, CPU ms per step per kernel ({step:.2f} ms per step with the kernels timed); matmuls: "
        f"{total_flops / 1e9:.3f} GFLOP per step in {matmul_ms:.2f} ms = {total_flops / matmul_ms / 1e6:.1f} GFLOP/s "
        f"({total_flops / matmul_ms / 1e6 / peak:.0%} of the matmul peak); at the peak they would take "
        f"{total_flops / peak / 1e6:.2f} ms",
        file=out,
    )
    for (op, fn), (v, n) in sorted(ours.items(), key=lambda kv: -kv[1][0])[:16]:
        rate = f"  {n / v / 1e6:6.1f} GFLOP/s ({n / v / 1e6 / peak:4.0%} of peak)" if n and v else ""
        print(f"  {op + ' -> ' + fn:<60} {v:7.3f} ms {v / step:6.1%}{rate}", file=out)
    print(f"\nTensorFlow, share of a traced step per op type ({their_total:.2f} ms per traced step):", file=out)
    for k, v in sorted(theirs.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {k:<40} {v:7.3f} ms {v / their_total:6.1%}", file=out)
    return out.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="mnist_mlp_train,lstm_cls_train,lstm_cls_infer")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "rnn_profile.txt"))
    args = parser.parse_args(argv)
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    torch.set_num_threads(1)
    workloads = {
        "mnist_mlp_train": run.MLPTrain(
            "cpu", [784, 1024, 1024, 10], 128, "mnist_mlp_train", "MLP 784-1024-1024-10, batch 128, training step"
        ),
        "lstm5_train": run.LSTMTrain("cpu"),
        "lstm_cls_train": run.ModelTrain(
            "cpu", "lstm_cls", "static_rnn BasicLSTMCell classifier, 28x28, batch 64, Adam"
        ),
        "lstm_cls_infer": run.ModelInfer("cpu", "lstm_cls", "static_rnn LSTM classifier, inference"),
    }
    peak = run.matmul_peak()
    text = (
        f"bench/profile_rnn.py --only {args.only} --steps {args.steps} (1 thread)\n"
        f"torch {torch.__version__}, torchmeta {tm.__version__}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f} at start; measured float32 matmul peak (2048^3, CPU time): {peak:.1f} GFLOP/s\n"
    )
    for name in args.only.split(","):
        text += "\n" + profile_workload(workloads[name], tf, args.steps, peak)
        print(text.rsplit("\n== ", 1)[-1], flush=True)
    text += f"\nload average at end: {os.getloadavg()[0]:.2f}\n"
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
