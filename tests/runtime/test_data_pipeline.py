"""The tf.data host pipeline: in-memory index pipelines (row numbers shuffled in chunks, batches gathered at once)
give exactly the elements and order of the element-by-element path."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchmeta import errors
from torchmeta.ops.dataset_ops import DatasetSpec
from torchmeta.runtime import data_pipeline


def _pipeline(n, links, batch, strings, drop_remainder=False):
    components = [torch.arange(n), torch.arange(n, dtype=torch.float32) * 2]
    if strings:  # a string component sends the pipeline down the element-by-element path
        components.append(np.array([str(i).encode() for i in range(n)], dtype=object))
    spec = DatasetSpec("TensorSliceDataset", [], {"components": components})
    for kind, args in links:
        spec = DatasetSpec(kind, [spec], dict(args))
    return DatasetSpec("BatchDataset", [spec], {"batch_size": batch, "drop_remainder": drop_remainder})


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
    "in-order": (1000, [], 64),
    "in-order-repeated": (250, [("RepeatDataset", {"count": 3})], 64),
    "in-order-take-skip-repeat": (
        1000,
        [("SkipDataset", {"count": 30}), ("TakeDataset", {"count": 101}), ("RepeatDataset", {"count": 4})],
        16,
    ),
}


@pytest.mark.parametrize("block_bytes", [None, 1, 2000], ids=["default-blocks", "one-batch-blocks", "small-blocks"])
@pytest.mark.parametrize("drop_remainder", [False, True], ids=["partial-last", "drop-remainder"])
@pytest.mark.parametrize("case", list(CASES))
def test_index_pipeline_gives_the_element_paths_order(case, block_bytes, drop_remainder, monkeypatch):
    if block_bytes is not None:  # rows gathered a few batches at a time: blocks end inside runs and epochs
        monkeypatch.setattr(data_pipeline, "_BLOCK_BYTES", block_bytes)
    n, links, batch = CASES[case]
    fast = _pipeline(n, links, batch, strings=False, drop_remainder=drop_remainder)
    slow = _pipeline(n, links, batch, strings=True, drop_remainder=drop_remainder)
    assert data_pipeline._index_plan(fast.inputs[0]) is not None
    assert data_pipeline._index_plan(slow.inputs[0]) is None
    ours = list(data_pipeline.elements(fast))
    reference = list(data_pipeline.elements(slow))
    assert len(ours) == len(reference)
    for a, b in zip(ours, reference):
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
        np.testing.assert_array_equal(b[2], np.array([str(int(i)).encode() for i in b[0]], dtype=object))
    rows = torch.cat([a[0] for a in ours])
    if case == "buffer-smaller-than-data" and not drop_remainder:
        assert sorted(rows.tolist()) == list(range(n)) and rows.tolist() != list(range(n))


@pytest.mark.parametrize(("n", "size"), [(5000, 300), (200, 1), (3000, 3000), (100, 1000), (10_000, 4097)])
def test_chunked_shuffle_is_the_element_shuffle(n, size):
    """The index path hands on TF's shuffle of the row numbers (the pass's seeds from the seed generator)."""
    spec = _pipeline(n, [_shuffle(size, seed=9)], 256, strings=False)
    rows = torch.cat([b[0] for b in data_pipeline.elements(spec)]).tolist()
    seeds = data_pipeline._pass_seeds({"seed": 9, "seed2": 5, "reshuffle": True})
    assert rows == list(data_pipeline._shuffle_buffer(iter(range(n)), size, seeds))
    assert sorted(rows) == list(range(n)) and (rows != list(range(n))) == (size > 1)



def test_vectorized_shuffle_steps_are_the_ring_buffers_on_random_cases():
    """Random sizes, buffers (1, below, at and above the input, unbounded), input chunkings and step counts per
    call: the vectorized ring steps emit what TF's ring emits one step at a time, from the same words."""
    import random

    rng = random.Random(11)
    for _ in range(150):
        n = rng.choice([0, 1, 2, 5, 17, 100, 1000, 3000])
        size = rng.choice([1, 2, 3, 7, 64, 999, 4096, 1 << 62])
        out_chunk = rng.choice([1, 3, 50, 4096])
        seeds = (rng.randrange(1 << 64), rng.randrange(1 << 64))
        cuts = sorted(rng.sample(range(n + 1), min(n + 1, rng.randint(0, 5))))
        chunks = [range(a, b) for a, b in zip([0, *cuts], [*cuts, n])]
        ours = [int(r) for c in data_pipeline._shuffle_index_chunks(iter(chunks), size, seeds, out_chunk) for r in c]
        assert ours == list(data_pipeline._shuffle_buffer(iter(range(n)), size, seeds)), (n, size, out_chunk, seeds)

def _batches(n=10, batch=4, prefetch=None):
    spec = DatasetSpec(
        "TensorSliceDataset",
        [],
        {"components": [torch.arange(n), np.array([str(i).encode() for i in range(n)], dtype=object)]},
    )
    spec = DatasetSpec("BatchDataset", [spec], {"batch_size": batch, "drop_remainder": False})
    if prefetch is not None:
        spec = DatasetSpec("PrefetchDataset", [spec], {"buffer_size": prefetch})
    return spec


def test_pinned_memory_only_for_cuda_devices():
    assert data_pipeline.pins_memory(torch.device("cuda"))
    assert data_pipeline.pins_memory(torch.device("cuda", 1))
    for device in (None, torch.device("cpu"), torch.device("meta")):
        assert not data_pipeline.pins_memory(device)


@pytest.mark.parametrize("prefetch", [None, 2, -1])
def test_elements_reach_the_sessions_device_with_and_without_prefetch(prefetch):
    """The device transfer of both paths (the prefetch thread's and get_next's), on a device that exists without
    a GPU ("meta": shapes and dtypes only): tensors move, strings stay numpy, the order and the end are kept."""
    pipeline = data_pipeline.make_pipeline(_batches(prefetch=prefetch), torch.device("meta"))
    sizes = []
    while True:
        try:
            numbers, strings = pipeline.get_next()
        except errors.OutOfRangeError as e:
            assert str(e) == "End of sequence"
            break
        assert numbers.device.type == "meta" and numbers.dtype == torch.int64
        assert isinstance(strings, np.ndarray) and strings.dtype == object
        sizes.append((numbers.shape[0], strings.tolist()[0]))
    assert sizes == [(4, b"0"), (4, b"4"), (2, b"8")]
    pipeline.close()


def test_cpu_sessions_get_the_host_tensors_without_a_copy():
    pipeline = data_pipeline.make_pipeline(_batches(prefetch=2), torch.device("cpu"))
    numbers, _ = pipeline.get_next()
    assert numbers.device.type == "cpu" and numbers.tolist() == [0, 1, 2, 3]
    pipeline.close()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_copies_come_from_pinned_memory_on_the_prefetch_stream():
    device = torch.device("cuda")
    host = (torch.arange(6, dtype=torch.float32), np.array([b"a"], dtype=object))
    moved = data_pipeline.to_device(host, device)
    assert moved[0].is_cuda and torch.equal(moved[0].cpu(), host[0]) and moved[1] is host[1]
    pipeline = data_pipeline.make_pipeline(_batches(prefetch=2), device)
    first, _ = pipeline.get_next()
    assert first.is_cuda and first.cpu().tolist() == [0, 1, 2, 3]
    torch.cuda.synchronize()
    pipeline.close()


def _map_threads_while_iterating(build, scope):
    import threading

    import torchmeta as tm

    with tm.Graph().as_default():
        with tm.name_scope(scope):
            dataset = build(tm)
        it = tm.data.make_one_shot_iterator(dataset)
        nxt = it.get_next()
        with tm.Session() as sess:
            first = [sess.run(nxt) for _ in range(3)]
            names = [t.name for t in threading.enumerate() if t.name.startswith(f"tf.data-map:{scope}/")]
    return first, names


def test_parallel_map_runs_on_threads_in_input_order():
    """num_parallel_calls > 1 (or AUTOTUNE): the function runs on a pool of that many threads, the elements keep
    their order; a function with a stateful op (its draws must keep their order) runs one call at a time."""
    first, names = _map_threads_while_iterating(
        lambda tm: tm.data.Dataset.range(50).map(lambda x: tm.square(x) + 1, num_parallel_calls=4),
        "four",
    )
    assert [int(v) for v in first] == [1, 2, 5] and 1 <= len(names) <= 4
    first, names = _map_threads_while_iterating(
        lambda tm: tm.data.Dataset.range(50).map(lambda x: x * 2, num_parallel_calls=tm.data.experimental.AUTOTUNE),
        "autotune",
    )
    assert [int(v) for v in first] == [0, 2, 4] and names
    first, names = _map_threads_while_iterating(
        lambda tm: tm.data.Dataset.range(50).map(
            lambda x: tm.cast(x, tm.float32) + tm.random_uniform([], seed=1), num_parallel_calls=4
        ),
        "stateful",
    )
    assert len(first) == 3 and names == []
