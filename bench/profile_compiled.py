"""One bench/models.py training step under ConfigProto(torch_compile=True) next to the eager step: both in one
process, steps interleaved and timed in process CPU time (one thread), then a torch.profiler table of each
with input shapes, where the compiled step's inductor kernels appear by name (``graph_0_cpp_fused_...``,
``torch._inductor.config.cpp.enable_kernel_profile``) beside the extern kernels they call (convolutions,
products). The compiled module is used as it is, whatever its trial calls would keep.

    python bench/profile_compiled.py [--kind cnn] [--steps 30] [--out bench/results/cnn_compiled_profile.txt]

Not part of the test suite.
"""

from __future__ import annotations

import argparse
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


def step(kind, batch, compiled):
    g = tm.Graph()
    with g.as_default():
        tm.set_random_seed(1)
        xp, labels, _, train_op = models.GRAPHS[kind](tm, batch)
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", default="cnn", choices=sorted(models.GRAPHS))
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    inductor_config.cpp.enable_kernel_profile = True
    batch = 50 if args.kind == "cnn" else 32
    (compiled, compile_seconds), (eager, _) = step(args.kind, batch, True), step(args.kind, batch, False)
    steps = {"compiled": compiled, "eager": eager}
    times = {k: [] for k in steps}
    for _ in range(args.steps):
        for k, fn in steps.items():
            start = time.process_time()
            fn()
            times[k].append(time.process_time() - start)
    lines = [
        f"bench/profile_compiled.py --kind {args.kind} --steps {args.steps}; load {os.getloadavg()[0]:.1f}; "
        f"compile (second call) {compile_seconds:.1f} s",
        "CPU ms per step, best / median: "
        + ", ".join(f"{k} {1e3 * min(v):.2f} / {1e3 * np.median(v):.2f}" for k, v in times.items()),
        f"compiled/eager: best {min(times['compiled']) / min(times['eager']):.3f}, "
        f"median {np.median(times['compiled']) / np.median(times['eager']):.3f}",
    ]
    for k, fn in steps.items():
        with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
            for _ in range(20):
                fn()
        table = prof.key_averages(group_by_input_shape=True).table(
            sort_by="self_cpu_time_total", row_limit=25, max_name_column_width=70, max_shapes_column_width=90
        )
        lines += ["", f"== {k}: 20 steps (profiled: wall-clock, inflated by the profiler and the load)", table]
    text = "\n".join(lines) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
