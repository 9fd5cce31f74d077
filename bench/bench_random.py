"""Random number generation: TensorFlow's kernels vs torchmeta's (the same numbers), side by side.

    python bench/bench_random.py [--n 10000000] [--rounds 11] [--threads 1 2] [--json bench/results/random.json]

For each thread count, a fresh process builds the same seeded graph in TensorFlow (``tf.compat.v1``) and in
torchmeta: ``random_uniform``, ``random_normal`` and ``truncated_normal`` of ``n`` float32 values. TF's
intra-op pool and torch's thread count get the same size (TF fixes its pool with the process's first
session, hence one process per count). After a warm-up run (and a check that both draw identical
numbers), the two run the op alternately, ``rounds`` times each (``sess.run(op)``: generation only, no
fetch); medians of wall-clock time and their ratios are printed and written to JSON. torchmeta is also
timed without its native Philox kernel (``TORCHMETA_NATIVE=0``: the numpy rounds).
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

OPS = ("random_uniform", "random_normal", "truncated_normal")


def _child(n: int, rounds: int, threads: int) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, ROOT)
    import numpy as np
    import tensorflow as tf
    import torch

    import torchmeta as tm

    torch.set_num_threads(threads)
    v1 = tf.compat.v1
    v1.disable_v2_behavior()
    sides = {}
    for name, fw, config in (
        ("tensorflow", v1, v1.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=threads)),
        ("torchmeta", tm, tm.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=threads)),
    ):
        graph = fw.Graph()
        with graph.as_default():
            outs = {op: getattr(fw, op)([n], seed=7) for op in OPS}
            sess = fw.Session(graph=graph, config=config)
        sides[name] = (sess, outs)
    results = {}
    for op in OPS:
        first = {name: sess.run(outs[op]) for name, (sess, outs) in sides.items()}
        identical = bool(np.array_equal(first["tensorflow"], first["torchmeta"]))
        times = {name: [] for name in sides}
        for _ in range(rounds):
            for name, (sess, outs) in sides.items():
                start = time.perf_counter()
                sess.run(outs[op].op)
                times[name].append(time.perf_counter() - start)
        tf_median, tm_median = (statistics.median(times[k]) for k in ("tensorflow", "torchmeta"))
        results[op] = {
            "identical_numbers": identical,
            "tensorflow_ms": tf_median * 1e3,
            "torchmeta_ms": tm_median * 1e3,
            "ratio": tm_median / tf_median,
        }
    from torchmeta.ops import philox_native

    results["native_kernel"] = philox_native.available()
    return results


def _run_child(n, rounds, threads, native=True) -> dict:
    env = dict(os.environ, PYTHONPATH=ROOT, TORCHMETA_NATIVE="1" if native else "0")
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--n", str(n), "--rounds", str(rounds), "--threads", str(threads)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--json", default=os.path.join(ROOT, "bench", "results", "random.json"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.n, args.rounds, args.threads[0])))
        return
    report = {
        "n": args.n,
        "rounds": args.rounds,
        "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "results": {},
    }
    for threads in args.threads:
        for native in (True, False):
            key = f"{threads} thread{'s' if threads > 1 else ''}" + ("" if native else ", numpy rounds")
            result = _run_child(args.n, args.rounds, threads, native)
            report["results"][key] = result
            for op in OPS:
                r = result[op]
                print(
                    f"{key:>26}  {op:<17} TF {r['tensorflow_ms']:7.1f} ms  torchmeta {r['torchmeta_ms']:7.1f} ms"
                    f"  ratio {r['ratio']:.2f}  identical={r['identical_numbers']}"
                )
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(report, f, indent=2)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
