"""The tf.data host pipeline: in-memory index pipelines (row numbers shuffled in chunks, batches gathered at once)
give exactly the elements and order of the element-by-element path."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchmeta.ops.dataset_ops import DatasetSpec
from torchmeta.runtime import data_pipeline


def _pipeline(n, links, batch, strings):
    components = [torch.arange(n), torch.arange(n, dtype=torch.float32) * 2]
    if strings:  # a string component sends the pipeline down the element-by-element path
        components.append(np.array([str(i).encode() for i in range(n)], dtype=object))
    spec = DatasetSpec("TensorSliceDataset", [], {"components": components})
    for kind, args in links:
        spec = DatasetSpec(kind, [spec], dict(args))
    return DatasetSpec("BatchDataset", [spec], {"batch_size": batch, "drop_remainder": False})


def _shuffle(size, count=1, reshuffle=True, seed=3):
    return ("ShuffleDataset", {"buffer_size": size, "seed": seed, "seed2": 5, "reshuffle": reshuffle, "count": count})


CASES = {
    "buffer-smaller-than-data": (5000, [_shuffle(300)], 64),
    "buffer-one": (200, [_shuffle(1)], 7),
    "buffer-of-all": (3000, [_shuffle(3000)], 100),
    "buffer-larger-than-data": (100, [_shuffle(1000)], 9),
    "repeat-after-shuffle": (700, [_shuffle(50), ("RepeatDataset", {"count": 3})], 64),
    "shuffle-after-repeat": (700, [("RepeatDataset", {"count": 3}), _shuffle(128)], 50),
    "shuffle-and-repeat": (400, [_shuffle(60, count=4)], 33),
    "take-skip-around-shuffle": (
        1000,
        [
            ("SkipDataset", {"count": 17}),
            _shuffle(90),
            ("TakeDataset", {"count": 501}),
            ("RepeatDataset", {"count": 2}),
        ],
        40,
    ),
    "no-reshuffle": (300, [_shuffle(40, count=3, reshuffle=False)], 64),
}


@pytest.mark.parametrize("case", list(CASES))
def test_index_pipeline_gives_the_element_paths_order(case):
    n, links, batch = CASES[case]
    fast = _pipeline(n, links, batch, strings=False)
    slow = _pipeline(n, links, batch, strings=True)
    assert data_pipeline._index_plan(fast.inputs[0]) is not None
    assert data_pipeline._index_plan(slow.inputs[0]) is None
    ours = list(data_pipeline.elements(fast))
    reference = list(data_pipeline.elements(slow))
    assert len(ours) == len(reference)
    for a, b in zip(ours, reference):
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
        np.testing.assert_array_equal(b[2], np.array([str(int(i)).encode() for i in b[0]], dtype=object))
    rows = torch.cat([a[0] for a in ours])
    if case == "buffer-smaller-than-data":
        assert sorted(rows.tolist()) == list(range(n)) and rows.tolist() != list(range(n))


@pytest.mark.parametrize(("n", "size"), [(5000, 300), (200, 1), (3000, 3000), (100, 1000), (10_000, 4097)])
def test_chunked_shuffle_is_the_element_shuffle(n, size):
    """The index path hands on TF's shuffle of the row numbers (the pass's seeds from the seed generator)."""
    spec = _pipeline(n, [_shuffle(size, seed=9)], 256, strings=False)
    rows = torch.cat([b[0] for b in data_pipeline.elements(spec)]).tolist()
    seeds = data_pipeline._pass_seeds({"seed": 9, "seed2": 5, "reshuffle": True})
    assert rows == list(data_pipeline._shuffle_buffer(iter(range(n)), size, seeds))
    assert sorted(rows) == list(range(n)) and (rows != list(range(n))) == (size > 1)
