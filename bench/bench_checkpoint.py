"""Saver.save / Saver.restore of ~1 GB of float32 variables: TensorFlow's Saver vs torchmeta's, one run.

    python bench/bench_checkpoint.py [--count 8] [--mb 128] [--runs 5] [--threads 2] [--dir /tmp/tm_bench_ckpt]
                                     [--rss-count 8 --rss-mb 256] [--no-rss] [--json bench/results/checkpoint.json]

The same variables (``count`` float32 variables of ``mb`` MiB, random values) live in a TensorFlow graph
(``tf.compat.v1``, ref variables) and a torchmeta graph. After one warm-up round the implementations run
alternately, round after round:

- ``save``: ``Saver.save(sess, prefix)`` into a fresh directory (no .meta; the state file is written), for
  TensorFlow, torchmeta ``format="safetensors"`` (the default) and torchmeta ``format="tf"``;
- ``restore``: ``Saver.restore`` into the initialized variables of the same session (continuing training);
- ``restore_fresh``: ``Saver.restore`` in a new Session (uninitialized variables: memory is allocated).

Both frameworks get the same number of threads (TensorFlow's intra/inter-op pools, torch's intra-op pool).
Files stay in the page cache (nothing is fsynced by either), so this measures the CPU work of the savers,
not the disk. Prints medians and torchmeta/TF ratios; writes everything to JSON.

Unless ``--no-rss``, also measures peak resident memory of restoring a ``rss_count`` x ``rss_mb`` checkpoint
(2 GiB by default) in fresh processes (``tests/train/restore_memory.py``), both formats, into uninitialized
and initialized variables, with the fast path and with the restore op run through the Session.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import torch  # noqa: E402


def _values(count: int, mb: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    n = mb * (1 << 20) // 4
    return [rng.standard_normal(n, dtype=np.float32) for _ in range(count)]


class TensorFlowSide:
    name = "tensorflow"

    def __init__(self, values, threads):
        import tensorflow as tf

        v1 = tf.compat.v1
        v1.disable_v2_behavior()
        self.v1 = v1
        self.graph = tf.Graph()
        self.config = v1.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=threads)
        with self.graph.as_default():
            self.placeholders = [v1.placeholder(tf.float32, v.shape) for v in values]
            self.variables = [v1.Variable(p, name=f"layer_{i}/kernel") for i, p in enumerate(self.placeholders)]
            self.saver = v1.train.Saver(max_to_keep=None)
        self.sess = v1.Session(graph=self.graph, config=self.config)
        self.sess.run([v.initializer for v in self.variables], dict(zip(self.placeholders, values)))

    def save(self, prefix):
        return self.saver.save(self.sess, prefix, write_meta_graph=False)

    def restore(self, prefix):
        self.saver.restore(self.sess, prefix)

    def restore_fresh(self, prefix):
        with self.v1.Session(graph=self.graph, config=self.config) as sess:
            self.saver.restore(sess, prefix)

    def check(self, values):
        got = self.sess.run(self.variables[-1])
        assert np.array_equal(got, values[-1])


class TorchmetaSide:
    def __init__(self, values, threads, fmt):
        import torchmeta as tm

        self.tm = tm
        self.name = f"torchmeta-{fmt}"
        torch.set_num_threads(threads)
        self.graph = tm.Graph()
        with self.graph.as_default():
            self.placeholders = [tm.placeholder(tm.float32, v.shape) for v in values]
            self.variables = [tm.Variable(p, name=f"layer_{i}/kernel") for i, p in enumerate(self.placeholders)]
            self.saver = tm.train.Saver(max_to_keep=None, format=fmt)
        self.sess = tm.Session(graph=self.graph)
        self.sess.run([v.initializer for v in self.variables], dict(zip(self.placeholders, values)))

    def save(self, prefix):
        return self.saver.save(self.sess, prefix, write_meta_graph=False)

    def restore(self, prefix):
        self.saver.restore(self.sess, prefix)

    def restore_fresh(self, prefix):
        with self.tm.Session(graph=self.graph) as sess:
            self.saver.restore(sess, prefix)

    def check(self, values):
        got = self.sess.run(self.variables[-1])
        assert np.array_equal(got, values[-1])


def _timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def bench_speed(args) -> dict:
    values = _values(args.count, args.mb)
    nbytes = sum(v.nbytes for v in values)
    sides = [
        TensorFlowSide(values, args.threads),
        TorchmetaSide(values, args.threads, "safetensors"),
        TorchmetaSide(values, args.threads, "tf"),
    ]
    del values[:-1]  # keep the last one to check restores
    times = {s.name: {"save": [], "restore": [], "restore_fresh": []} for s in sides}
    prefixes = {}
    for round_ in range(args.runs + 1):  # round 0 warms up
        for phase in ("save", "restore", "restore_fresh"):
            order = sides if round_ % 2 == 0 else sides[::-1]
            for side in order:
                directory = os.path.join(args.dir, side.name)
                if phase == "save":
                    shutil.rmtree(directory, ignore_errors=True)
                    os.makedirs(directory)
                    seconds = _timed(lambda s=side, d=directory: prefixes.__setitem__(s.name, s.save(d + "/model")))
                else:
                    seconds = _timed(getattr(side, phase), prefixes[side.name])
                if round_:
                    times[side.name][phase].append(seconds)
        for side in sides:
            side.check(values)
        print(f"round {round_}{' (warm-up)' if not round_ else ''} done", flush=True)
    medians = {n: {p: statistics.median(t) for p, t in phases.items()} for n, phases in times.items()}
    ratios = {
        n: {p: medians[n][p] / medians["tensorflow"][p] for p in phases}
        for n, phases in medians.items()
        if n != "tensorflow"
    }
    print(
        f"\n{args.count} x {args.mb} MiB float32 = {nbytes / 2**30:.2f} GiB, {args.threads} threads, median of {args.runs}"
    )
    print(f"{'':24}" + "".join(f"{p:>22}" for p in ("save", "restore", "restore_fresh")))
    for n in medians:
        cells = []
        for p in ("save", "restore", "restore_fresh"):
            spread = f"{min(times[n][p]):.2f}-{max(times[n][p]):.2f}"
            ratio = f" {ratios[n][p]:.2f}x" if n in ratios else ""
            cells.append(f"{medians[n][p]:6.2f}s ({spread}){ratio}")
        print(f"{n:24}" + "".join(f"{c:>22}" for c in cells))
    return {
        "checkpoint_bytes": nbytes,
        "times_s": times,
        "median_s": medians,
        "ratio_to_tensorflow": ratios,
    }


def bench_rss(args) -> dict:
    """Peak RSS of restores of an rss_count x rss_mb checkpoint, each in a fresh process."""
    results = {}
    for fmt in ("safetensors", "tf"):
        directory = os.path.join(args.dir, f"rss-{fmt}")
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
        driver = [sys.executable, "-m", "tests.train.restore_memory"]
        common = [directory, fmt, str(args.rss_count), str(args.rss_mb)]
        subprocess.run([*driver, "save", *common], cwd=ROOT, check=True)
        for state in ("uninitialized", "initialized"):
            for path in ("plan", "graph"):
                extra = ["graph"] if path == "graph" else []
                out = subprocess.run(
                    [*driver, "restore", *common, state, *extra], cwd=ROOT, check=True, capture_output=True, text=True
                )
                result = json.loads(out.stdout.strip().splitlines()[-1])
                results[f"{fmt}/{state}/{path}"] = result
                print(
                    f"{fmt:12} {state:14} {path:6} peak above the RSS before restore "
                    f"{result['peak_above_before_mb']:7.0f} MiB, above the bare process "
                    f"{result['peak_above_baseline_mb']:7.0f} MiB ({result['checkpoint_mb']} MiB checkpoint, "
                    f"{result['seconds']:.2f} s, values correct: {result['values_correct']})",
                    flush=True,
                )
        shutil.rmtree(directory, ignore_errors=True)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--mb", type=int, default=128)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dir", default="/tmp/tm_bench_ckpt")
    parser.add_argument("--rss-count", type=int, default=8)
    parser.add_argument("--rss-mb", type=int, default=256)
    parser.add_argument("--no-rss", action="store_true")
    parser.add_argument("--json", default=os.path.join(ROOT, "bench", "results", "checkpoint.json"))
    args = parser.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    os.makedirs(args.dir)
    loads = os.getloadavg() if hasattr(os, "getloadavg") else None
    report = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "load_before": loads},
        "torch": torch.__version__,
        "config": vars(args),
        "speed": bench_speed(args),
    }
    if not args.no_rss:
        print()
        report["rss"] = bench_rss(args)
    report["machine"]["load_after"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(report, f, indent=1)
    shutil.rmtree(args.dir, ignore_errors=True)
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
