"""The host pipeline of an in-memory shuffled dataset: row-number shuffling one draw at a time vs in chunks.

    python bench/bench_shuffle.py [--rounds 7] [--json PATH]

``from_tensor_slices((x, y)) -> shuffle(buffer) -> repeat(1) -> batch(b)`` runs on row numbers (an index
pipeline). ``scalar``: each row number passes through the shuffle buffer on its own (one Python step per
element, what torchmeta did before), then each batch's rows are gathered. ``chunked``: the pipeline as it
runs now, where the shuffle takes whole chunks of row numbers and, while its buffer is full, computes a
chunk's picks with numpy. Both give the same order (checked here and in tests/runtime/test_data_pipeline.py).
The table shows the median time of one epoch. Results go to JSON (default bench/results/shuffle.json).
Not part of the test suite.
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


def _uniform_draws(rng, chunk=4096):
    while True:
        yield from rng.random(chunk).tolist()


def _scalar_shuffle(source, buffer_size, rng):
    """The shuffle buffer as torchmeta ran it before: one Python step and one draw per row number."""
    draws = _uniform_draws(rng)
    buffer = []
    for item in source:
        if len(buffer) < buffer_size:
            buffer.append(item)
            continue
        j = int(next(draws) * len(buffer))
        out, buffer[j] = buffer[j], item
        yield out
    while buffer:
        j = int(next(draws) * len(buffer))
        buffer[j], buffer[-1] = buffer[-1], buffer[j]
        yield buffer.pop()


def scalar_epoch(x, y, buffer_size, batch):
    """One row number at a time through the shuffle buffer, then one gather per batch."""
    rng = data_pipeline._seed_rng(1, 2, 0)
    rows = _scalar_shuffle(iter(range(len(y))), buffer_size, rng)
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
    args = parser.parse_args(argv)
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
                start = time.perf_counter()
                batches = fn(x, y, buffer_size, batch)
                times[name].append(time.perf_counter() - start)
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
        json.dump({"machine": platform.platform(), "rounds": args.rounds, "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
