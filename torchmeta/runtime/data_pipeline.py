"""The tf.data pipeline executor: runs a ``DatasetSpec`` tree (ops/dataset_ops.py) on the host and hands
elements to the graph.

Each dataset kind is a Python generator over elements (tuples of torch tensors, numpy object arrays
for strings). Two things make it fast enough to feed a training step:

- *Index pipelines*: ``from_tensor_slices`` followed by shuffle / repeat / take / skip and a batch is
  run on chunks of row numbers (``range``s while they are consecutive, numpy arrays after a shuffle), and
  the batches are gathered a block of whole batches at a time: views of the components for consecutive rows
  (no copy), one ``index_select`` per component otherwise, then split into batches at once. A shuffle
  computes thousands of steps of TF's ring buffer at once with numpy (``_shuffle_steps``), the same
  Philox words and order as one step per element (``bench/bench_shuffle.py``: ~4x faster per epoch).
- ``prefetch`` runs its input on a background thread into a bounded buffer, so producing the next
  batch overlaps the training step (torch kernels release the GIL). On CUDA the prefetched batch is
  copied from pinned memory on the thread's own stream and the consumer waits on its event.
- Parallel map and parallel interleaves run on thread pools of their own and keep TF's deterministic order.

Errors raised while producing (a corrupt record, a failing map function) surface at ``get_next`` as
the same OpError; the end of the data is OutOfRangeError("End of sequence"), as in TensorFlow.
Shuffles are TensorFlow 2.21's, element for element: each pass over a ShuffleDataset (each epoch of a
repeat or of ShuffleAndRepeat) takes its seeds from the dataset's seed generator (the Philox stream of
(seed, seed2), two words per pass, when reshuffling; (seed, seed2) itself otherwise), and emits from a
ring buffer of ``buffer_size`` elements the one at ``start + word % size``, a word of the pass's Philox
stream (shuffle_dataset_op.cc, random_seed_ops.cc).
"""

from __future__ import annotations

import collections
import concurrent.futures
import itertools
import math
import os
import queue as queue_lib
import secrets
import threading

import numpy as np
import torch

from torchmeta import errors
from torchmeta.dtypes import DType
from torchmeta.io import tfrecord
from torchmeta.ops.dataset_ops import DatasetSpec
from torchmeta.ops.philox import Philox, as_uint32, single_samples

__all__ = ["Pipeline", "make_pipeline", "elements", "finalized"]

_AUTOTUNE_PREFETCH = 2  # buffer_size=-1 (AUTOTUNE): two batches ahead
_END = object()


class Failed:
    """An element whose production failed (a batch of mismatched shapes, a failing map function): it travels
    down the pipeline like an element and ``get_next`` raises its error; the iteration goes on after it, as
    TensorFlow's iterators do."""

    __slots__ = ("error",)

    def __init__(self, error):
        self.error = error


class _MemoryCache:
    """A cached dataset's elements, set once by the first iterator that read its input to the end (TF's
    MemoryCache::Complete keeps the first)."""

    __slots__ = ("elements", "_lock")

    def __init__(self):
        self.elements = None
        self._lock = threading.Lock()

    def complete(self, elements) -> None:
        with self._lock:
            if self.elements is None:
                self.elements = elements


def _end_of_sequence() -> errors.OutOfRangeError:
    return errors.OutOfRangeError(None, None, "End of sequence")


# ---------------------------------------------------------------------------------------------
# Elements of each dataset kind


def _row(component, i: int):
    if isinstance(component, np.ndarray):
        return np.asarray(component[i], dtype=object) if component.ndim == 1 else component[i]
    return component[i]


def _pass_seeds(args) -> tuple[int, int]:
    """The seeds of this pass over a shuffle: TF's RandomSeeds (0, 0 -> two random 64-bit seeds, drawn once
    per dataset) then its RandomSeedGenerator (words 2k, 2k + 1 of their Philox stream for pass k) when
    reshuffling, or its FixedSeedGenerator (the seeds themselves)."""
    seed, seed2 = args["seed"], args["seed2"]
    if seed == 0 and seed2 == 0:
        if "_random_seeds" not in args:
            args["_random_seeds"] = (secrets.randbits(64), secrets.randbits(64))
        seed, seed2 = args["_random_seeds"]
    k = _next_iteration(args)
    if not args["reshuffle"]:
        return seed, seed2
    first, second = as_uint32(Philox.from_seeds(seed, seed2).uint32(2, start=2 * k)).tolist()
    return first, second


def _shuffle_buffer(source, buffer_size: int, seeds):
    """One pass of TF's shuffle: a ring buffer of ``buffer_size`` slots filled in input order; once full (and
    at the end of the input) it emits slot ``start + word % size`` and moves the oldest element there."""
    words = single_samples(Philox.from_seeds(*seeds))
    ring = []
    start = end = 0

    def draw():
        nonlocal start
        index = (start + next(words) % (end - start)) % buffer_size
        oldest = start % buffer_size
        out, ring[index], ring[oldest] = ring[index], ring[oldest], None
        start += 1
        return out

    for item in source:
        slot = end % buffer_size
        if slot == len(ring):  # filling the ring for the first time (or a buffer larger than the input)
            ring.append(item)
        else:
            ring[slot] = item
        end += 1
        if end - start == buffer_size:
            yield draw()
    while end > start:
        yield draw()


class _Words:
    """The 32-bit words of a Philox stream (TF's ``SingleSampleAdapter``), handed out in order as arrays."""

    __slots__ = ("_generator", "_position")

    def __init__(self, generator: Philox):
        self._generator = generator
        self._position = 0

    def take(self, n: int) -> np.ndarray:
        words = as_uint32(self._generator.uint32(n, start=self._position)).numpy()
        self._position += n
        return words


def _shuffle_steps(lanes: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``len(offsets)`` steps of TF's shuffle ring at once: returns (what the steps emit, ``lanes`` after them).

    ``lanes`` holds the ring's elements from the oldest on, followed by the inputs that arrive during the
    steps (lane ``k`` is the place of the element that entered ``k``-th). Step ``s`` emits the element in
    lane ``s + offsets[s]`` and moves lane ``s``'s element (the oldest one) into that lane; lane ``s`` is then
    never read again. So each lane's content is its own input or the content lane ``t`` had at step ``t``,
    for the last step ``t`` that wrote it, and what lane ``t`` had at step ``t`` follows the same rule: a
    forest of earlier steps, resolved by pointer doubling instead of one Python step per element.
    """
    count = len(offsets)
    steps = np.arange(count, dtype=np.int64)
    target = steps + offsets
    # the moves (steps whose emitted lane is not their own: they write lane target[s]; nearly all of them) grouped
    # by the lane they write, in step order within a lane: one sort of (lane, step) packed into one integer
    moves = steps if offsets.all() else np.flatnonzero(offsets)
    shift = count.bit_length()
    keys = np.sort((target[moves] << shift) | moves)
    lanes_written, by_lane = keys >> shift, keys & ((1 << shift) - 1)
    repeats = np.flatnonzero(lanes_written[1:] == lanes_written[:-1]) + 1  # moves writing a lane written before
    last_in_group = np.ones(len(by_lane), dtype=bool)
    last_in_group[repeats - 1] = False
    last_writer = np.full(len(lanes), -1, dtype=np.int64)
    last_writer[lanes_written[last_in_group]] = by_lane[last_in_group]
    # head[s]: the step whose lane's own input lane s holds at step s (s itself when no step wrote lane s)
    head = np.where(last_writer[:count] >= 0, last_writer[:count], steps)
    while True:
        deeper = head[head]
        if np.array_equal(deeper, head):
            break
        head = deeper
    at_step = lanes[head]  # what lane s holds at step s
    emitted = at_step.copy()  # a step with offset 0 emits its own lane
    emitted[by_lane] = lanes[lanes_written]  # a lane no earlier step wrote: its own input
    emitted[by_lane[repeats]] = at_step[by_lane[repeats - 1]]  # else what the step that wrote it last had
    rest = lanes[count:].copy()
    written = np.flatnonzero(last_writer[count:] >= 0)
    rest[written] = at_step[last_writer[count:][written]]
    return emitted, rest


def _shuffle_index_chunks(chunks, buffer_size: int, seeds, out_chunk: int = 4096):
    """``_shuffle_buffer`` over the row numbers of an index pipeline's chunks, handed on in chunks: the same
    ring, draws and order, computed ``out_chunk`` steps at a time with ``_shuffle_steps``."""
    words = _Words(Philox.from_seeds(*seeds))
    held: list = []  # the ring's rows, oldest first (buffer_size - 1 of them between steps once it is full)
    count = 0
    for chunk in chunks:
        for begin in range(0, len(chunk), out_chunk):
            piece = _rows(chunk[begin : begin + out_chunk])
            held.append(piece)
            count += len(piece)
            steps = count - (buffer_size - 1)  # one step per row that fills the ring
            if steps <= 0:
                continue
            lanes = np.concatenate(held) if len(held) > 1 else held[0]
            emitted, rest = _shuffle_steps(lanes, words.take(steps) % buffer_size)
            held, count = [rest], len(rest)
            yield emitted
    if count:  # the end of the input: the ring empties, drawing among fewer elements each step
        lanes = np.concatenate(held) if len(held) > 1 else held[0]
        emitted, _ = _shuffle_steps(lanes, words.take(count) % np.arange(count, 0, -1, dtype=np.int64))
        yield emitted


def _next_iteration(args) -> int:
    """How many times this shuffle started before (each iteration of a reshuffling shuffle draws anew)."""
    n = args.get("_iterations", 0)
    args["_iterations"] = n + 1
    return n


def _epochs(count: int):
    return itertools.count() if count < 0 else range(count)


def _bytes_scalar(value: bytes) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = value
    return out


def _text_lines(filename: str, compression: str):
    stream = tfrecord.open_input(filename, compression)
    try:
        pending = b""
        while True:
            chunk = stream.read(1 << 16)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield line[:-1] if line.endswith(b"\r") else line
        if pending:
            yield pending[:-1] if pending.endswith(b"\r") else pending
    finally:
        stream.close()


def _fixed_length_records(filename, header, record, footer, compression):
    stream = tfrecord.open_input(filename, compression)
    try:
        chunks = []
        while True:
            chunk = stream.read(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        data = b"".join(chunks)
    finally:
        stream.close()
    body = data[header : len(data) - footer if footer else len(data)]
    for start in range(0, len(body) - record + 1, record):
        yield body[start : start + record]


class _Executor:
    """Builds element generators for a spec tree; ``functions``-based kinds call the spec's function."""

    def __init__(self, device):
        self.device = device

    def elements(self, spec):
        method = getattr(self, "_" + spec.kind, None)
        if method is None:
            raise errors.UnimplementedError(None, None, f"Dataset kind {spec.kind} is not supported")
        return method(spec)

    # -- sources ------------------------------------------------------------------------------------
    def _TensorDataset(self, spec):
        yield tuple(spec.args["components"])

    def _TensorSliceDataset(self, spec):
        components = spec.args["components"]
        for i in range(int(components[0].shape[0])):
            yield tuple(_row(c, i) for c in components)

    def _RangeDataset(self, spec):
        dtype = DType(spec.output_types[0]) if not isinstance(spec.output_types[0], DType) else spec.output_types[0]
        for v in range(spec.args["start"], spec.args["stop"], spec.args["step"]):
            yield (torch.tensor(v, dtype=dtype.torch),)

    def _TFRecordDataset(self, spec):
        offsets = spec.args.get("byte_offsets") or []
        for k, name in enumerate(spec.args["filenames"]):
            with tfrecord.RecordReader(name, spec.args["compression"]) as reader:
                if k < len(offsets) and offsets[k]:
                    _skip_to(reader, offsets[k])
                for record in reader:
                    yield (_bytes_scalar(record),)

    def _TextLineDataset(self, spec):
        for name in spec.args["filenames"]:
            for line in _text_lines(name, spec.args["compression"]):
                yield (_bytes_scalar(line),)

    def _FixedLengthRecordDataset(self, spec):
        a = spec.args
        for name in a["filenames"]:
            for record in _fixed_length_records(name, a["header"], a["record"], a["footer"], a["compression"]):
                yield (_bytes_scalar(record),)

    def _GeneratorDataset(self, spec):
        a = spec.args
        state = tuple(a["init_func"](*a["init_args"]))
        try:
            while True:
                try:
                    element = tuple(a["next_func"](*state, *a["next_args"]))
                except errors.OutOfRangeError:  # the generator's StopIteration
                    return
                except errors.OpError as e:  # a bad element: the iterator goes on, as TF's
                    element = Failed(e)
                yield element
        finally:
            a["finalize_func"](*state, *a["finalize_args"])

    # -- transformations ------------------------------------------------------------------------------
    def _ZipDataset(self, spec):
        for parts in zip(*(self.elements(s) for s in spec.inputs)):
            failed = next((p for p in parts if isinstance(p, Failed)), None)
            yield failed if failed is not None else tuple(c for part in parts for c in part)

    def _ConcatenateDataset(self, spec):
        yield from self.elements(spec.inputs[0])
        yield from self.elements(spec.inputs[1])

    def _RepeatDataset(self, spec):
        for _ in _epochs(spec.args["count"]):
            empty = True
            for element in self.elements(spec.inputs[0]):
                empty = False
                yield element
            if empty:  # TF stops repeating an empty dataset
                return

    def _TakeDataset(self, spec):
        count = spec.args["count"]
        source = self.elements(spec.inputs[0])
        yield from source if count < 0 else itertools.islice(source, count)

    def _SkipDataset(self, spec):
        count = spec.args["count"]
        source = self.elements(spec.inputs[0])
        if count < 0:
            for _ in source:
                pass
            return
        yield from itertools.islice(source, count, None)

    def _ShuffleDataset(self, spec):
        a = spec.args
        for _ in _epochs(a["count"]):
            seeds = _pass_seeds(a)
            size = a["buffer_size"] if a["buffer_size"] > 0 else 1 << 62
            empty = True
            for element in _shuffle_buffer(self.elements(spec.inputs[0]), size, seeds):
                empty = False
                yield element
            if empty:
                return

    def _BatchDataset(self, spec):
        fast = _index_plan(spec.inputs[0])
        if fast is not None:
            yield from _index_batches(fast, spec.args["batch_size"], spec.args["drop_remainder"])
            return
        size, drop = spec.args["batch_size"], spec.args["drop_remainder"]
        batch = []
        for element in self.elements(spec.inputs[0]):
            if isinstance(element, Failed):
                yield element
                continue
            batch.append(element)
            if len(batch) == size:
                yield _or_failed(_stack, batch)
                batch = []
        if batch and not drop:
            yield _or_failed(_stack, batch)

    def _PaddedBatchDataset(self, spec):
        a = spec.args
        batch = []
        for element in self.elements(spec.inputs[0]):
            if isinstance(element, Failed):
                yield element
                continue
            batch.append(element)
            if len(batch) == a["batch_size"]:
                yield _or_failed(_pad_stack, batch, a["padded_shapes"], a["padding_values"])
                batch = []
        if batch and not a["drop_remainder"]:
            yield _or_failed(_pad_stack, batch, a["padded_shapes"], a["padding_values"])

    def _UnbatchDataset(self, spec):
        for element in self.elements(spec.inputs[0]):
            if isinstance(element, Failed):
                yield element
                continue
            n = int(element[0].shape[0]) if element[0].ndim else None
            for c in element:
                if c.ndim == 0 or int(c.shape[0]) != n:
                    raise errors.InvalidArgumentError(
                        None, None, "Input element must have a non-scalar value in each component."
                    )
            for i in range(n):
                yield tuple(_row(c, i) for c in element)

    def _CacheDataset(self, spec):
        """TF's in-memory cache (cache_dataset_ops.cc): an iterator that starts before the cache is complete
        reads the input into a list of its own (MemoryWriterIterator's temp_cache_; errors are not cached)
        and the first one to reach the end completes the dataset's cache with it; later iterators read that.
        So iterators over one cached dataset (zip(ds, ds), two initializers run together) never share a list.
        TF also completes the cache when a writer has read the input's cardinality; torchmeta has no
        cardinality, so an iterator stopped right after the last element (take(n) of n) leaves it incomplete."""
        memory = spec.args.setdefault("_memory", _MemoryCache())
        complete = memory.elements
        if complete is not None:
            yield from complete
            return
        written = []
        for element in self.elements(spec.inputs[0]):
            if not isinstance(element, Failed):
                written.append(element)
            yield element
        memory.complete(written)

    def _PrefetchDataset(self, spec):
        # An inner prefetch runs on the thread of the outermost one; here it is a plain pass-through.
        yield from self.elements(spec.inputs[0])

    def _MapDataset(self, spec):
        fn, captured = spec.args["f"], spec.args["other_arguments"]

        def call(e):
            return e if isinstance(e, Failed) else _or_failed(lambda x: tuple(fn(*x, *captured)), e)

        calls = spec.args.get("parallel_calls", 1)
        source = self.elements(spec.inputs[0])
        if calls == 1:
            yield from map(call, source)
        else:
            width = (os.cpu_count() or 1) if calls == -1 else calls
            yield from _ordered_parallel_map(call, source, width, f"tf.data-map:{spec.node_name}")

    def _FilterDataset(self, spec):
        fn, captured = spec.args["f"], spec.args["other_arguments"]
        for element in self.elements(spec.inputs[0]):
            if isinstance(element, Failed):
                yield element
                continue
            keep = _or_failed(lambda e: fn(*e, *captured)[0], element)
            if isinstance(keep, Failed):
                yield keep
            elif _truth(keep):
                yield element

    def _ScanDataset(self, spec):
        fn, captured = spec.args["f"], spec.args["other_arguments"]
        carried = tuple(spec.args["initial_state"])
        n = len(carried)
        for element in self.elements(spec.inputs[0]):
            if isinstance(element, Failed):
                yield element
                continue
            out = _or_failed(lambda e, s=carried: tuple(fn(*s, *e, *captured)), element)
            if isinstance(out, Failed):
                yield out
                continue
            carried = out[:n]
            yield out[n:]

    def _InterleaveDataset(self, spec):
        """TF's InterleaveDataset (FlatMapDataset is its cycle of one): ``cycle_length`` slots visited in turn,
        ``block_length`` elements from each; an empty slot takes the dataset of the next input element when
        it is visited, a finished one is emptied and the turn passes on."""
        a = spec.args
        if a.get("parallel_calls", 1) > 1:
            yield from self._parallel_interleave(spec)
            return
        fn, captured = a["f"], a["other_arguments"]
        cycle, block = a["cycle_length"], a["block_length"]
        source = self.elements(spec.inputs[0])
        slots: list = [None] * cycle
        index = produced = open_slots = 0
        end_of_input = False
        while not end_of_input or open_slots > 0:
            current = slots[index]
            if current is not None:
                try:
                    element = next(current)
                except StopIteration:
                    slots[index] = None
                    open_slots -= 1
                    index, produced = (index + 1) % cycle, 0
                    continue
                produced += 1
                if produced == block:
                    index, produced = (index + 1) % cycle, 0
                yield element
            elif end_of_input:
                index, produced = (index + 1) % cycle, 0
            else:
                try:
                    element = next(source)
                except StopIteration:
                    end_of_input = True
                    continue
                if isinstance(element, Failed):
                    yield element
                    continue
                dataset = _or_failed(lambda e: fn(*e, *captured)[0], element)
                if isinstance(dataset, Failed):
                    yield dataset
                    continue
                slots[index] = self.elements(dataset)
                open_slots += 1

    def _parallel_interleave(self, spec):
        """InterleaveDataset's order with each slot's dataset producing ahead on ``parallel_calls`` threads
        (``_ReadAhead``), as TF's parallel interleaves run their cycle: all slots are opened at the start and a
        finished slot takes the next input's dataset at once (not at its next visit, as the sequential cycle
        does), which gives every slot the same input as there. What the sequential cycle yields while it opens
        a slot (failed input elements or function calls) waits in the slot and is yielded at its visit."""
        a = spec.args
        fn, captured = a["f"], a["other_arguments"]
        cycle, block = a["cycle_length"], a["block_length"]
        ahead = max(a.get("buffer_output_elements", 2 * block + 1), 1)
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=a["parallel_calls"], thread_name_prefix=f"tf.data-interleave:{spec.node_name}"
        )
        source = self.elements(spec.inputs[0])
        end_of_input = False

        def open_slot():
            """[failures to yield first, the next input's dataset producing ahead (None at the end of input)]"""
            nonlocal end_of_input
            failures = []
            while not end_of_input:
                element = next(source, _END)
                if element is _END:
                    end_of_input = True
                    break
                if not isinstance(element, Failed):
                    element = _or_failed(lambda e: fn(*e, *captured)[0], element)
                if isinstance(element, Failed):
                    failures.append(element)
                    continue
                return [failures, _ReadAhead(self.elements(element), pool, ahead)]
            return [failures, None]

        slots: list = []
        try:
            for _ in range(cycle):
                slots.append(open_slot())
            open_slots = sum(1 for failures, current in slots if failures or current is not None)
            index = produced = 0
            while open_slots > 0:
                slot = slots[index]
                if slot[0]:
                    yield from slot[0]
                    slot[0] = []
                    if slot[1] is None:
                        open_slots -= 1
                current = slot[1]
                if current is None:
                    index, produced = (index + 1) % cycle, 0
                    continue
                try:
                    element = next(current)
                except StopIteration:
                    slots[index] = slot = open_slot()
                    if not slot[0] and slot[1] is None:
                        open_slots -= 1
                    index, produced = (index + 1) % cycle, 0
                    continue
                produced += 1
                if produced == block:
                    index, produced = (index + 1) % cycle, 0
                yield element
        finally:
            for _, current in slots:
                if current is not None:
                    current.cancel()
            pool.shutdown(wait=False, cancel_futures=True)

    def _MapAndBatchDataset(self, spec):
        a = spec.args
        fn, captured = a["f"], a["other_arguments"]
        batch = []
        for element in self.elements(spec.inputs[0]):
            mapped = element if isinstance(element, Failed) else _or_failed(lambda e: tuple(fn(*e, *captured)), element)
            if isinstance(mapped, Failed):
                yield mapped
                continue
            batch.append(mapped)
            if len(batch) == a["batch_size"]:
                yield _or_failed(_stack, batch)
                batch = []
        if batch and not a["drop_remainder"]:
            yield _or_failed(_stack, batch)


class _ReadAhead:
    """An iterator over ``elements`` (one interleave slot's dataset) whose elements are produced on ``pool``, up to
    ``ahead`` of them before they are asked for: one task at a time per slot (a generator runs on one thread at
    a time), each producing what the slot's buffer lacks and returning (tasks never wait, so a pool smaller than
    the cycle cannot deadlock). An error raised while producing is raised where the elements before it end."""

    __slots__ = ("_elements", "_pool", "_ahead", "_ready", "_task", "_finished", "_error")

    def __init__(self, elements, pool, ahead: int):
        self._elements = elements
        self._pool = pool
        self._ahead = ahead
        self._ready: collections.deque = collections.deque()
        self._finished = False  # the generator ended (or raised): nothing more to produce
        self._error = None
        self._task = pool.submit(self._produce, ahead)

    def _produce(self, count: int):
        out = []
        try:
            for _ in range(count):
                out.append(next(self._elements))
        except StopIteration:
            return out, True, None
        except Exception as e:  # handed to the consumer, after the elements produced before it
            return out, True, e
        return out, False, None

    def __iter__(self):
        return self

    def __next__(self):
        if not self._ready and self._task is not None:
            self._collect()
        if self._ready:
            element = self._ready.popleft()
            if self._task is None and not self._finished and len(self._ready) <= self._ahead // 2:
                self._task = self._pool.submit(self._produce, self._ahead - len(self._ready))
            return element
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        raise StopIteration

    def _collect(self) -> None:
        out, finished, error = self._task.result()
        self._task = None
        self._ready.extend(out)
        self._finished = finished
        self._error = error

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()


def _truth(value) -> bool:
    return bool(value.item() if hasattr(value, "item") else value)


def _ordered_parallel_map(call, source, width: int, thread_name: str = "tf.data-map"):
    """``map(call, source)`` with up to ``width`` calls running at once on threads of its own (torch kernels
    release the GIL), results handed on in input order, as TF's deterministic ParallelMapDataset."""
    if width <= 1:
        yield from map(call, source)
        return
    pending: collections.deque = collections.deque()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=width, thread_name_prefix=thread_name)
    try:
        for element in source:
            pending.append(pool.submit(call, element))
            if len(pending) >= width:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=False, cancel_futures=True)


def _or_failed(fn, *args):
    """``fn(*args)``, or a Failed element carrying the OpError it raised."""
    try:
        return fn(*args)
    except errors.OpError as e:
        return Failed(e)


def _skip_to(reader, offset: int) -> None:
    while reader.offset < offset:
        if reader.read() is None:
            return


def _shape(value) -> tuple:
    return tuple(value.shape)


def _stack(batch):
    out = []
    for i in range(len(batch[0])):
        values = [element[i] for element in batch]
        first = _shape(values[0])
        for k, v in enumerate(values[1:], 1):
            if _shape(v) != first:
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"Cannot batch tensors with different shapes in component {i}. First element had shape "
                    f"[{','.join(map(str, first))}] and element {k} had shape [{','.join(map(str, _shape(v)))}].",
                )
        if isinstance(values[0], np.ndarray):
            out.append(np.stack([np.asarray(v, dtype=object) for v in values]))
        else:
            out.append(torch.stack(values))
    return tuple(out)


def _pad_stack(batch, padded_shapes, padding_values):
    out = []
    for i in range(len(batch[0])):
        values = [element[i] for element in batch]
        rank = len(_shape(values[0]))
        target = list(padded_shapes[i])
        if len(target) != rank:
            raise errors.InvalidArgumentError(
                None, None, f"All elements in a batch must have the same rank as the padded shape for component{i}"
            )
        for d in range(rank):
            longest = max(_shape(v)[d] for v in values)
            if target[d] < 0:
                target[d] = longest
            elif longest > target[d]:
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"Attempted to pad to a smaller size than the input element. Component {i} has shape "
                    f"[{','.join(map(str, _shape(values[0])))}] but padded_shapes is [{','.join(map(str, padded_shapes[i]))}]",
                )
        pad = padding_values[i]
        if isinstance(values[0], np.ndarray):
            fill = np.asarray(pad, dtype=object).reshape(()).item()
            result = np.full((len(values), *target), fill, dtype=object)
        else:
            result = torch.full((len(values), *target), 0, dtype=values[0].dtype)
            result.fill_(pad.reshape(()).item() if isinstance(pad, torch.Tensor) else pad)
        for k, v in enumerate(values):
            result[(k, *tuple(slice(0, s) for s in _shape(v)))] = v
        out.append(result)
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Index pipelines: slices of in-memory tensors, reordered, then batched with one gather per batch

_INDEX_KINDS = {"TensorSliceDataset", "ShuffleDataset", "RepeatDataset", "TakeDataset", "SkipDataset"}


def _index_plan(spec):
    """(components, a function making a fresh stream of row-number chunks) when ``spec`` only reorders the
    rows of an in-memory slice dataset (shuffle / repeat / take / skip)."""
    chain = []
    node = spec
    while node.kind in _INDEX_KINDS and node.kind != "TensorSliceDataset":
        chain.append(node)
        node = node.inputs[0]
    if node.kind != "TensorSliceDataset":
        return None
    components = node.args["components"]
    if any(isinstance(c, np.ndarray) for c in components):
        return None
    n = int(components[0].shape[0])

    def build():
        def source():
            return iter([range(n)])

        factory = source
        for link in reversed(chain):
            factory = _wrap(link, factory)
        return factory()

    return components, build


def _limit(chunks, count: int):
    for chunk in chunks:
        if count <= 0:
            return
        yield chunk[:count]
        count -= len(chunk)


def _drop(chunks, count: int):
    for chunk in chunks:
        if count >= len(chunk):
            count -= len(chunk)
            continue
        yield chunk[count:]
        count = 0


def _wrap(link, make_input):
    """The chunk-stream factory of one reordering link over the factory of its input."""
    a = link.args
    if link.kind == "TakeDataset":
        return lambda: make_input() if a["count"] < 0 else _limit(make_input(), a["count"])
    if link.kind == "SkipDataset":
        return lambda: iter(()) if a["count"] < 0 else _drop(make_input(), a["count"])
    if link.kind == "RepeatDataset":

        def repeat():
            for _ in _epochs(a["count"]):
                empty = True
                for chunk in make_input():
                    if len(chunk):
                        empty = False
                        yield chunk
                if empty:
                    return

        return repeat

    def shuffle():
        for _ in _epochs(a["count"]):
            seeds = _pass_seeds(a)
            size = a["buffer_size"] if a["buffer_size"] > 0 else 1 << 62
            empty = True
            for chunk in _shuffle_index_chunks(make_input(), size, seeds):
                empty = False
                yield chunk
            if empty:
                return

    return shuffle


_BLOCK_BYTES = 1 << 18  # rows gathered at once: about this many bytes, in whole batches (a block that stays in
# the L2 cache: index_select took 31 ns a row for a 4 MB block of 112-byte rows, 7 ns for a 224 kB one)


def _rows(chunk) -> np.ndarray:
    """A chunk of row numbers as an array (chunks of consecutive rows travel as ``range``s)."""
    return np.arange(chunk.start, chunk.stop, dtype=np.int64) if isinstance(chunk, range) else chunk


def _index_batches(plan, batch_size: int, drop_remainder: bool):
    """The batches of an index pipeline, gathered a block of whole batches at a time (about ``_BLOCK_BYTES``):
    consecutive rows as views of the components (no copy), others with one ``index_select`` per component;
    then each component split into its batches at once, so handing on a batch runs no per-batch tensor code."""
    components, build = plan
    row_bytes = sum(math.prod(c.shape[1:]) * c.element_size() for c in components)
    block = max(1, _BLOCK_BYTES // max(row_bytes * batch_size, 1)) * batch_size
    chunks = build()
    queue: collections.deque = collections.deque()  # chunks not gathered yet, and how many rows they hold
    queued = 0
    exhausted = False
    while True:
        while queued < block and not exhausted:
            chunk = next(chunks, None)
            if chunk is None:
                exhausted = True
            elif len(chunk):
                queue.append(chunk)
                queued += len(chunk)
        want = min(block, queued)
        if drop_remainder:
            want -= want % batch_size
        if want == 0:
            return
        rows = _take_rows(queue, want, batch_size)
        queued -= len(rows)
        if isinstance(rows, range):
            parts = [c[rows.start : rows.stop] for c in components]
        else:
            index = torch.from_numpy(rows)
            parts = [c.index_select(0, index if c.device.type == "cpu" else index.to(c.device)) for c in components]
        yield from zip(*(c.split(batch_size) for c in parts))


def _take_rows(queue, want: int, batch_size: int):
    """The next ``want`` rows of ``queue``'s chunks (fewer: whole batches of a run of consecutive rows, kept
    a ``range`` so that they are gathered as views; one batch when such a run holds less than a batch)."""
    first = queue[0]
    if isinstance(first, range):
        if len(first) >= batch_size or len(first) >= want:
            n = min(want, len(first) if len(first) < batch_size else len(first) - len(first) % batch_size)
            if n == len(first):
                queue.popleft()
            else:
                queue[0] = first[n:]
            return first[:n]
        want = min(want, batch_size)
    pieces = []
    while want > 0:
        chunk = queue[0]
        if len(chunk) <= want:
            pieces.append(_rows(queue.popleft()))
        else:
            pieces.append(_rows(chunk[:want]))
            queue[0] = chunk[want:]
        want -= len(pieces[-1])
    return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)


def elements(spec, device=None):
    """A generator of ``spec``'s elements (tuples of tensors), on the host."""
    return _Executor(device).elements(spec)


# ---------------------------------------------------------------------------------------------
# A running pipeline: what an iterator resource holds


class Pipeline:
    """Elements of one dataset for one iterator; a prefetch at the top runs the rest on a thread."""

    def __init__(self, spec, device=None):
        self._device = device if device is not None and device.type != "cpu" else None
        self._lock = threading.Lock()
        self._closed = False
        if spec.kind == "PrefetchDataset" and self._device is None and _gathers_in_memory(spec.inputs[0]):
            # Batches gathered from in-memory tensors (one index_select per component) cost less than handing
            # them over from a thread, which holds the GIL while it shuffles row numbers: run them here. (On
            # CUDA the thread stays: it overlaps the host-to-device copy.) Prefetching changes no element.
            spec = spec.inputs[0]
        if spec.kind == "PrefetchDataset":
            size = spec.args["buffer_size"]
            self._prefetch = _Prefetcher(spec.inputs[0], size if size > 0 else _AUTOTUNE_PREFETCH, self._device)
            self._source = None
        else:
            self._prefetch = None
            self._source = elements(spec, device)
        self._error = None

    def get_next(self):
        if self._prefetch is not None:
            return self._prefetch.get()
        with self._lock:
            if self._closed:
                raise errors.CancelledError(None, None, "Iterator was cancelled")
            if self._error is not None:
                raise self._error
            try:
                element = next(self._source)
            except StopIteration:
                raise _end_of_sequence() from None
            except errors.OpError as e:
                self._error = e
                raise
        if isinstance(element, Failed):
            raise element.error
        return to_device(element, self._device) if self._device is not None else element

    def close(self) -> None:
        self._closed = True
        if self._prefetch is not None:
            self._prefetch.close()


def pins_memory(device) -> bool:
    """Whether elements bound for ``device`` go through pinned (page-locked) host memory: for CUDA devices,
    where a copy from pinned memory can be asynchronous (``non_blocking``); never for the host itself."""
    return device is not None and device.type == "cuda"


def to_device(element, device):
    """``element``'s tensors on ``device``. For CUDA, host tensors are pinned and copied with ``non_blocking``
    on the current stream (torch's caching host allocator keeps the pinned buffer until the copy is done), so
    the host goes on while the copy runs; strings (numpy object arrays) stay on the host."""
    pin = pins_memory(device)
    out = []
    for c in element:
        if isinstance(c, torch.Tensor) and c.device != device:
            if pin and c.device.type == "cpu":
                c = c.pin_memory().to(device, non_blocking=True)
            else:
                c = c.to(device)
        out.append(c)
    return tuple(out)


class _OnDevice:
    __slots__ = ("element", "event")

    def __init__(self, element, event):
        self.element = element
        self.event = event


class _Prefetcher:
    """Runs a dataset on a daemon thread, ``size`` elements ahead; errors are handed over like elements."""

    def __init__(self, spec, size: int, device):
        self._buffer: queue_lib.Queue = queue_lib.Queue(maxsize=max(size, 1))
        self._stop = threading.Event()
        self._device = device
        self._done = False
        self._thread = threading.Thread(target=self._run, args=(spec,), name="tf.data-prefetch", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._buffer.put(item, timeout=0.1)
                return True
            except queue_lib.Full:
                continue
        return False

    def _run(self, spec) -> None:
        device = self._device
        stream = torch.cuda.Stream(device=device) if pins_memory(device) else None
        try:
            for element in elements(spec):
                if stream is not None and not isinstance(element, Failed):
                    # the copy runs on this thread's own stream; the consumer's stream waits for its event
                    with torch.cuda.stream(stream):
                        moved = to_device(element, device)
                        event = torch.cuda.Event()
                        event.record(stream)
                    element = _OnDevice(moved, event)
                elif device is not None and not isinstance(element, Failed):
                    element = to_device(element, device)
                if not self._put(element):
                    return
            self._put(_END)
        except BaseException as e:
            error = e if isinstance(e, errors.OpError) else errors.UnknownError(None, None, f"{type(e).__name__}: {e}")
            self._put(error)

    def get(self):
        while True:  # several threads may wait here: the one that takes the end tells the others through _done
            if self._done:
                raise _end_of_sequence()
            try:
                item = self._buffer.get(timeout=0.1)
                break
            except queue_lib.Empty:
                if self._stop.is_set():
                    raise errors.CancelledError(None, None, "Iterator was cancelled") from None
        if item is _END:
            self._done = True
            raise _end_of_sequence()
        if isinstance(item, Failed):
            raise item.error
        if isinstance(item, BaseException):
            self._done = True
            raise item
        if isinstance(item, _OnDevice):  # copied on the prefetch thread's stream: wait for the copy
            current = torch.cuda.current_stream(self._device)
            current.wait_event(item.event)
            for c in item.element:  # used on this stream now: the allocator must not reuse them before it is done
                if isinstance(c, torch.Tensor) and c.is_cuda:
                    c.record_stream(current)
            return item.element
        return item

    def close(self) -> None:
        self._stop.set()


def _gathers_in_memory(spec) -> bool:
    """Whether ``spec`` is a batch of an index pipeline (in-memory rows reordered, gathered per batch)."""
    return spec.kind == "BatchDataset" and _index_plan(spec.inputs[0]) is not None


def finalized(spec) -> DatasetSpec:
    """What iterators of ``spec`` run: TF's ``FinalizeDataset``, which rewrites a dataset (its graph serialized
    and instantiated anew, once per dataset object) before the first iterator of it starts. The copy has one
    dataset per input edge: a dataset reached twice (``zip((ds, ds.map(f)))``, ``ds.concatenate(ds)``) becomes
    two, each with its own shuffle seeds and cache, so both give the first pass's order, as in TF. A dataset a
    function captures stays one (each call of the function sees the same one: a flat_map over it reshuffles
    per call), and iterators of the same ``spec`` share its copy (two of them get passes 0 and 1, as TF's)."""
    copy = spec.args.get("_finalized")
    if copy is None:
        copy = spec.args["_finalized"] = _copy_per_edge(spec)
    return copy


def _copy_per_edge(spec) -> DatasetSpec:
    # the run-time state (shuffle iterations and random seeds, caches, an earlier copy) stays with the original
    args = {k: v for k, v in spec.args.items() if not k.startswith("_")}
    if "other_arguments" in args:
        args["other_arguments"] = [
            _copy_per_edge(a) if isinstance(a, DatasetSpec) else a for a in args["other_arguments"]
        ]
    inputs = [_copy_per_edge(s) for s in spec.inputs]
    return DatasetSpec(spec.kind, inputs, args, spec.output_types, spec.output_shapes, spec.node_name)


def make_pipeline(spec, device=None) -> Pipeline:
    """The running pipeline an iterator initialized with ``spec`` reads from (its ``finalized`` copy)."""
    return Pipeline(finalized(spec), device)
