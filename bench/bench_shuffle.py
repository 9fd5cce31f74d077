"""The host pipeline of an in-memory shuffled dataset: TF's shuffle of the row numbers one row at a time vs
vectorized.

    python bench/bench_shuffle.py [--rounds 7] [--clock wall|cpu] [--json PATH]

``from_tensor_slices((x, y)) -> shuffle(buffer) -> repeat(1) -> batch(b)`` runs on row numbers (an index
pipeline). ``scalar``: each row number passes through TF's ring buffer on its own (one Python step and one
Philox word per row: the element path, and what the index path did before), then each batch's rows are
gathered. ``chunked``: the pipeline as it runs now, where the shuffle computes thousands of ring steps at once
with numpy (``data_pipeline._shuffle_steps``) and the batches are gathered a block at a time. Both give TF's
order (checked here and in tests/runtime/test_data_pipeline.py). The table shows the median time of one
epoch. Results go to JSON (default bench/results/shuffle.json). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from torchmeta.ops.dataset_ops import DatasetSpec
from torchmeta.runtime import data_pipeline

CASES = [(60_000, 10_000, 128), (60_000, 1_000, 32), (200_000, 200_000, 256)]


def _spec(x, y, buffer_size, batch):
    spec = DatasetSpec("TensorSliceDataset", [], {"components": [x, y]})
    spec = DatasetSpec(
        "ShuffleDataset", [spec], {"buffer_size": buffer_size, "seed": 1, "seed2": 2, "reshuffle": True, "count": 1}
    )
    spec = DatasetSpec("RepeatDataset", [spec], {"count": 1})
    return DatasetSpec("BatchDataset", [spec], {"batch_size": batch, "drop_remainder": False})


def scalar_epoch(x, y, buffer_size, batch):
    """TF's shuffle of the row numbers one row at a time (the element path's ring buffer, one Philox word per
    row), then one gather per batch."""
    seeds = data_pipeline._pass_seeds({"seed": 1, "seed2": 2, "reshuffle": True})  # the spec's first pass
    rows = data_pipeline._shuffle_buffer(iter(range(len(y))), buffer_size, seeds)
    out = []
    while True:
        chunk = list(itertools.islice(rows, batch))
        if not chunk:
            return out
        index = torch.as_tensor(chunk, dtype=torch.long)
        out.append((x.index_select(0, index), y.index_select(0, index)))


def chunked_epoch(x, y, buffer_size, batch):
    return list(data_pipeline.elements(_spec(x, y, buffer_size, batch)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", default=os.path.join(os.path.dirname(__file__), "results", "shuffle.json"))
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall", help="wall time or the process's CPU time")
    args = parser.parse_args(argv)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    torch.set_num_threads(1)
    results = []
    print("| rows | buffer | batch | scalar | chunked | scalar / chunked |")
    print("|---|---|---|---|---|---|")
    for n, buffer_size, batch in CASES:
        x = torch.randn(n, 32)
        y = torch.arange(n)
        times = {"scalar": [], "chunked": []}
        for _ in range(args.rounds):
            for name, fn in (("scalar", scalar_epoch), ("chunked", chunked_epoch)):
                start = clock()
                batches = fn(x, y, buffer_size, batch)
                times[name].append(clock() - start)
                if name == "scalar":
                    reference = batches
                else:
                    assert all(torch.equal(a[1], b[1]) for a, b in zip(reference, batches, strict=True))
        scalar, chunked = statistics.median(times["scalar"]), statistics.median(times["chunked"])
        print(
            f"| {n} | {buffer_size} | {batch} | {scalar * 1e3:.1f} ms | {chunked * 1e3:.1f} ms | {scalar / chunked:.2f} |"
        )
        results.append({"rows": n, "buffer": buffer_size, "batch": batch, "scalar_s": scalar, "chunked_s": chunked})
    with open(args.json, "w") as f:
        json.dump(
            {"machine": platform.platform(), "rounds": args.rounds, "clock": args.clock, "results": results},
            f,
            indent=1,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
