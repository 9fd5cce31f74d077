"""One bench/models.py training step under ConfigProto(torch_compile=True) next to the eager step: both in one
process, steps interleaved and timed in process CPU time (one thread), then per-kernel self CPU time of each,
profiled one step at a time alternately, where the compiled step's inductor kernels appear by name
(``graph_0_cpp_fused_...``, ``torch._inductor.config.cpp.enable_kernel_profile``) beside the extern kernels
they call (convolutions, products, the native kernels ``torchmeta::*``). The compiled module is used as it
is, whatever its trial calls would keep.

    python bench/profile_compiled.py [--kind cnn|resnet|mobilenet|lstm_cls|mnist_mlp|seed_mlp] [--steps 30]
                                     [--out bench/results/cnn_compiled_profile.txt]

``mnist_mlp`` is bench/run.py's mnist_mlp_train (784-1024-1024-10, batch 128, GradientDescent), ``seed_mlp`` its
seed_mlp_train (28-128-32-10, batch 100, GradientDescent).

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import torch
import torch._inductor.config as inductor_config
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torchmeta as tm
from bench import models
from bench.run import mlp_graph


def mnist_mlp_graph(tf, batch):
    x, labels, logits, _, train_op = mlp_graph(tf, [784, 1024, 1024, 10], batch)
    return x, labels, logits, train_op


def seed_mlp_graph(tf, batch):
    x, labels, logits, _, train_op = mlp_graph(tf, [28, 128, 32, 10], batch)
    return x, labels, logits, train_op


GRAPHS = {**models.GRAPHS, "mnist_mlp": mnist_mlp_graph, "seed_mlp": seed_mlp_graph}
SHAPES = {**models.SHAPES, "mnist_mlp": (128, (784,)), "seed_mlp": (100, (28,))}


def step(kind, batch, compiled):
    g = tm.Graph()
    with g.as_default():
        tm.set_random_seed(1)
        xp, labels, _, train_op = GRAPHS[kind](tm, batch)
        sess = tm.Session(graph=g, config=tm.ConfigProto(torch_compile=compiled))
        sess.run(tm.global_variables_initializer())
    rng = np.random.default_rng(0)
    x = rng.random((batch, *[int(d) for d in xp.shape[1:]]), dtype=np.float32)
    feed = {xp: x, labels: rng.integers(0, 10, batch)}
    sess.run(train_op, feed)
    start = time.perf_counter()
    sess.run(train_op, feed)  # compiles, with torch_compile
    seconds = time.perf_counter() - start
    if compiled:
        plan = sess._make_plan(train_op, feed)
        plan.program.get(plan.feed_values(feed)).forward.record.kept = "compiled"
    return (lambda: sess.run(train_op, feed)), seconds


def _profiled(fn, totals, calls):
    """One call of ``fn`` under torch.profiler; each kernel's (name, input shapes) self CPU time (us) added to
    ``totals``, its number of calls to ``calls``."""
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        fn()
    for e in prof.key_averages(group_by_input_shape=True):
        key = (e.key, str(e.input_shapes))
        totals[key] += e.self_cpu_time_total
        calls[key] += e.count


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", default="cnn", choices=sorted(GRAPHS))
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    inductor_config.cpp.enable_kernel_profile = True
    batch = SHAPES[args.kind][0]
    (compiled, compile_seconds), (eager, _) = step(args.kind, batch, True), step(args.kind, batch, False)
    steps = {"compiled": compiled, "eager": eager}
    times = {k: [] for k in steps}
    for _ in range(args.steps):
        for k, fn in steps.items():
            start = time.process_time()
            fn()
            times[k].append(time.process_time() - start)
    # profiled steps alternate too, one at a time: what the load does to one path it does to the other
    totals = {k: collections.Counter() for k in steps}
    calls = {k: collections.Counter() for k in steps}
    profiled = 20
    for _ in range(profiled):
        for k, fn in steps.items():
            _profiled(fn, totals[k], calls[k])
    lines = [
        f"bench/profile_compiled.py --kind {args.kind} --steps {args.steps}; load {os.getloadavg()[0]:.1f}; "
        f"compile (second call) {compile_seconds:.1f} s",
        "CPU ms per step, best / median: "
        + ", ".join(f"{k} {1e3 * min(v):.2f} / {1e3 * np.median(v):.2f}" for k, v in times.items()),
        f"compiled/eager: best {min(times['compiled']) / min(times['eager']):.3f}, "
        f"median {np.median(times['compiled']) / np.median(times['eager']):.3f}",
        "",
        f"Self CPU per step of each kernel, {profiled} profiled steps of each path, alternating (the profiler's clock",
        "is the wall clock: a loaded machine inflates both alike). torchmeta::* are the native C kernels",
        "(ops/native_build.custom_op: extern calls in the compiled graph, profiler ranges in eager steps);",
        "graph_0_cpp_fused_* are inductor's generated kernels.",
    ]
    for k in steps:
        total = sum(totals[k].values())
        lines += [
            "",
            f"== {k}: profiled self CPU {total / 1e3 / profiled:.2f} ms per step",
            f"{'ms/step':>9} {'share':>6} {'calls':>5}  kernel, input shapes",
        ]
        for (name, shapes), us in totals[k].most_common(30):
            n = calls[k][name, shapes] / profiled
            lines.append(f"{us / 1e3 / profiled:9.3f} {us / total:6.1%} {n:5.0f}  {name[:70]} {shapes[:110]}")
    text = "\n".join(lines) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
