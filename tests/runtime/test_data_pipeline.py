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


def _map_threads_while_iterating(build, scope, kind="map"):
    import threading

    import torchmeta as tm

    with tm.Graph().as_default():
        with tm.name_scope(scope):
            dataset = build(tm)
        it = tm.data.make_one_shot_iterator(dataset)
        nxt = it.get_next()
        with tm.Session() as sess:
            first = [sess.run(nxt) for _ in range(3)]
            names = [t.name for t in threading.enumerate() if t.name.startswith(f"tf.data-{kind}:{scope}/")]
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


def _interleave(n_inputs, cycle, block, parallel_calls, f, buffer=None):
    from torchmeta.dtypes import DType

    source = DatasetSpec("RangeDataset", [], {"start": 0, "stop": n_inputs, "step": 1}, [DType.int64], [()])
    args = {"f": f, "other_arguments": [], "cycle_length": cycle, "block_length": block}
    if parallel_calls > 1:
        args.update(parallel_calls=parallel_calls, buffer_output_elements=buffer or 2 * block + 1)
    return DatasetSpec("InterleaveDataset", [source], args, [DType.int64], [()], node_name="interleave")


def _outcomes(spec) -> list:
    """What the pipeline hands on: values, and the messages of failed elements where they come."""
    return [
        ("error", e.error.message) if isinstance(e, data_pipeline.Failed) else int(e[0])
        for e in data_pipeline.elements(spec)
    ]


def _inner(x):
    """Element x's dataset: x % 4 values (none for some), x * 10 + i; a failing function call for x % 5 == 3."""
    from torchmeta.dtypes import DType

    x = int(x)
    if x % 5 == 3:
        raise errors.InvalidArgumentError(None, None, f"no dataset for {x}")
    stop = x * 10 + x % 4
    return (DatasetSpec("RangeDataset", [], {"start": x * 10, "stop": stop, "step": 1}, [DType.int64], [()]),)


@pytest.mark.parametrize("n_inputs", [0, 1, 7, 23])
@pytest.mark.parametrize(("cycle", "block"), [(1, 1), (2, 1), (3, 2), (5, 3)])
@pytest.mark.parametrize("parallel_calls", [2, 3])
def test_parallel_interleave_gives_the_sequential_order(n_inputs, cycle, block, parallel_calls):
    """Slots producing ahead on threads (opened at once, refilled when they finish) yield what the sequential
    cycle yields, failed function calls and empty datasets included, in the same places."""
    expected = _outcomes(_interleave(n_inputs, cycle, block, 1, _inner))
    for buffer in (None, 1):
        assert _outcomes(_interleave(n_inputs, cycle, block, parallel_calls, _inner, buffer)) == expected
    if n_inputs == 23:
        assert ("error", "no dataset for 8") in expected and len(expected) > 23


def test_parallel_interleave_slots_produce_at_once_on_its_threads(monkeypatch):
    """The cycle's datasets produce concurrently: each slot's first element waits for the other slot's to start
    (a barrier the sequential cycle could never pass: it would raise BrokenBarrierError after its timeout)."""
    import threading

    barrier = threading.Barrier(2, timeout=120)
    producers = []
    range_dataset = data_pipeline._Executor._RangeDataset

    def gated(self, spec):
        if spec.args["start"] >= 10:  # the inner datasets (the source is range(0, n))
            producers.append(threading.current_thread().name)
            barrier.wait()
        yield from range_dataset(self, spec)

    monkeypatch.setattr(data_pipeline._Executor, "_RangeDataset", gated)
    spec = _interleave(3, 2, 1, 2, _inner)
    assert _outcomes(spec) == [10, 20, 21]  # 0: an empty dataset (not gated), 1: [10], 2: [20, 21]
    assert len(producers) == 2 and all(name.startswith("tf.data-interleave:interleave") for name in producers)


def test_parallel_interleaves_run_on_threads_unless_a_function_is_stateful():
    """interleave(num_parallel_calls) and experimental.parallel_interleave produce on the interleave's threads;
    a random op in a function the interleave's function builds (a map inside) keeps them sequential."""
    first, names = _map_threads_while_iterating(
        lambda tm: tm.data.Dataset.range(1, 20).interleave(
            lambda x: tm.data.Dataset.range(x).map(lambda y: y + 100 * x), cycle_length=4, num_parallel_calls=2
        ),
        "v4",
        "interleave",
    )
    assert [int(v) for v in first] == [100, 200, 300] and 1 <= len(names) <= 2
    first, names = _map_threads_while_iterating(
        lambda tm: tm.data.Dataset.range(1, 20).apply(
            tm.data.experimental.parallel_interleave(lambda x: tm.data.Dataset.range(x), cycle_length=3)
        ),
        "legacy",
        "interleave",
    )
    assert [int(v) for v in first] == [0, 0, 0] and 1 <= len(names) <= 3
    first, names = _map_threads_while_iterating(
        lambda tm: tm.data.Dataset.range(1, 20).interleave(
            lambda x: tm.data.Dataset.range(x).map(lambda y: tm.cast(y, tm.float32) + tm.random_uniform([], seed=1)),
            cycle_length=4,
            num_parallel_calls=2,
        ),
        "stateful",
        "interleave",
    )
    assert len(first) == 3 and names == []


def test_prefetch_consumers_waiting_at_the_end_all_see_it():
    """Several threads waiting on a prefetched pipeline when its end arrives: the one that takes the end makes
    the others raise OutOfRangeError too (they used to wait forever, keeping the process from exiting); the
    consumers waiting on a pipeline that is closed are cancelled."""
    import threading

    from torchmeta.dtypes import DType

    def wait_all(target, n):
        threads = [threading.Thread(target=target, daemon=True) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)

    pipeline = data_pipeline.make_pipeline(_batches(n=8, batch=4, prefetch=2))
    pipeline.get_next(), pipeline.get_next()
    outcomes = []

    def consume():
        try:
            pipeline.get_next()
            outcomes.append("element")
        except errors.OpError as e:
            outcomes.append(type(e).__name__)

    wait_all(consume, 4)
    assert outcomes == ["OutOfRangeError"] * 4

    produce = threading.Event()  # the producer waits for it: the consumers wait for elements
    source = DatasetSpec("RangeDataset", [], {"start": 0, "stop": 3, "step": 1}, [DType.int64], [()])
    spec = DatasetSpec("FilterDataset", [source], {"f": lambda x: (produce.wait(),), "other_arguments": []})
    pipeline = data_pipeline.make_pipeline(DatasetSpec("PrefetchDataset", [spec], {"buffer_size": 1}))
    outcomes.clear()
    closer = threading.Timer(0.5, pipeline.close)
    closer.start()
    wait_all(consume, 3)
    produce.set()
    assert outcomes == ["CancelledError"] * 3


def test_interleaved_iterators_over_one_cache_each_keep_their_own_elements():
    """TF's MemoryWriterIterator: every iterator started before the cache is complete caches into a list of its
    own; the first one to reach the end completes the cache, and a later iterator reads that list."""
    from torchmeta.dtypes import DType

    source = DatasetSpec("RangeDataset", [], {"start": 0, "stop": 4, "step": 1}, [DType.int64], [()])
    cached = DatasetSpec("CacheDataset", [source], {}, [DType.int64], [()])
    first, second = data_pipeline.elements(cached), data_pipeline.elements(cached)
    seen = {0: [], 1: []}
    for _ in range(4):
        seen[0].append(int(next(first)[0]))
        seen[1].append(int(next(second)[0]))
    assert seen == {0: [0, 1, 2, 3], 1: [0, 1, 2, 3]}
    assert list(first) == [] and list(second) == []
    memory = cached.args["_memory"].elements
    assert [int(e[0]) for e in memory] == [0, 1, 2, 3]
    source.args["stop"] = 2  # a later iterator reads the completed cache, not the input
    assert [int(e[0]) for e in data_pipeline.elements(cached)] == [0, 1, 2, 3]


def test_an_abandoned_iterator_leaves_the_cache_incomplete():
    from torchmeta.dtypes import DType

    source = DatasetSpec("RangeDataset", [], {"start": 0, "stop": 3, "step": 1}, [DType.int64], [()])
    cached = DatasetSpec("CacheDataset", [source], {}, [DType.int64], [()])
    partial = data_pipeline.elements(cached)
    assert int(next(partial)[0]) == 0
    partial.close()
    assert cached.args["_memory"].elements is None
    assert [int(e[0]) for e in data_pipeline.elements(cached)] == [0, 1, 2]
