"""Queue ops: FIFOQueueV2, PaddingFIFOQueueV2, PriorityQueueV2, RandomShuffleQueueV2 and the
QueueEnqueue/Dequeue/Close/Size ops (V2: the queue is a resource), with TensorFlow's blocking, closing and cancellation semantics.

A queue lives in the session's state (one per queue op and session, or per ``shared_name``); the
handle a queue op outputs is the queue object itself. Dequeues block until enough elements are
there; once the queue is closed they take what is left and then raise OutOfRangeError; enqueues
block while it is full and raise CancelledError once it is closed (pending ones too when
``cancel_pending_enqueues``). Closing the session cancels every blocked op. A QueueRunner thread that
fails marks its queue failed: its blocked and later dequeues raise that error instead of waiting.
"""

from __future__ import annotations

import itertools
import secrets
import threading

import numpy as np
import torch

from torchmeta import errors
from torchmeta.dtypes import DType
from torchmeta.framework.common_shapes import input_with_rank
from torchmeta.framework.registry import no_registered_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.framework.tensor_util import constant_value
from torchmeta.ops.common import resource_key, session_resource
from torchmeta.ops.philox import Philox, single_samples

__all__ = ["Queue", "FIFOQueue", "PaddingFIFOQueue", "PriorityQueue", "RandomShuffleQueue"]

_names = itertools.count()


def _shape_text(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _length(value) -> int:
    return value.shape[0] if value.ndim else 0


class Queue:
    """A bounded queue of tuples of tensors, shared by the threads running one session's ops."""

    kind = "FIFOQueue"

    def __init__(self, node_name: str, component_types, shapes, capacity: int):
        self.node_name = node_name
        self.name = f"_{next(_names)}_{node_name}"
        self.component_types = list(component_types)
        self.shapes = [None if s is None else tuple(s) for s in shapes] if shapes else None
        self.capacity = capacity if capacity >= 0 else None
        self._items: list = []
        self._cond = threading.Condition()
        self._closed = False
        self._cancel_enqueues = False
        self._cancelled = False  # the session closed
        self._failure: BaseException | None = None

    # -- state -------------------------------------------------------------------------------------
    def size(self) -> int:
        with self._cond:
            return len(self._items)

    def is_closed(self) -> bool:
        with self._cond:
            return self._closed

    def close(self, cancel_pending_enqueues: bool = False) -> None:
        with self._cond:
            self._closed = True
            self._cancel_enqueues = self._cancel_enqueues or cancel_pending_enqueues
            self._cond.notify_all()

    def cancel(self) -> None:
        """The session closed: every blocked or later op fails with CancelledError."""
        with self._cond:
            self._cancelled = True
            self._cond.notify_all()

    def fail(self, error: BaseException) -> None:
        """A thread feeding this queue died with ``error``: consumers see it instead of waiting forever."""
        with self._cond:
            if self._failure is None:
                self._failure = error
            self._closed = True
            self._cancel_enqueues = True
            self._cond.notify_all()

    def _check_cancelled(self) -> None:
        if self._cancelled:
            raise errors.CancelledError(None, None, "Session has been closed.")

    def _raise_failure(self) -> None:
        error = self._failure
        message = f"{error.message if isinstance(error, errors.OpError) else error}"
        note = f" (the QueueRunner feeding {self.kind} '{self.name}' failed)"
        cls = type(error) if isinstance(error, errors.OpError) else errors.UnknownError
        raise cls(None, None, message + note) from error

    # -- enqueue -----------------------------------------------------------------------------------
    def _check_component(self, index: int, value, shape) -> None:
        expected = None if self.shapes is None else self.shapes[index]
        if expected is None:
            return
        if len(shape) != len(expected) or any(e is not None and e >= 0 and e != s for e, s in zip(expected, shape)):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Shape mismatch in tuple component {index}. Expected {_shape_text(self._declared(expected))}, got "
                f"{_shape_text(shape)}",
            )

    @staticmethod
    def _declared(shape) -> list:
        return [-1 if d is None else d for d in shape]

    def enqueue(self, components) -> None:
        if len(components) != len(self.component_types):
            raise errors.InvalidArgumentError(
                None, None, f"Expected {len(self.component_types)} components, got {len(components)}"
            )
        for i, c in enumerate(components):
            self._check_component(i, c, tuple(c.shape))
        self._put([tuple(_detached(c) for c in components)])

    def enqueue_many(self, components) -> None:
        if len(components) != len(self.component_types):
            raise errors.InvalidArgumentError(
                None, None, f"Expected {len(self.component_types)} components, got {len(components)}"
            )
        n = None
        for i, c in enumerate(components):
            if c.ndim == 0:
                raise errors.InvalidArgumentError(
                    None, None, f"Shape mismatch in tuple component {i}. Expected {self._batch_text(i)}, got []"
                )
            if n is None:
                n = c.shape[0]
            elif c.shape[0] != n:
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"Shape mismatch in tuple component {i}. Expected {self._batch_text(i, n)}, got "
                    f"{_shape_text(c.shape)}",
                )
            self._check_component(i, c, tuple(c.shape[1:]))
        self._put([tuple(_detached(c[j]) for c in components) for j in range(n or 0)])

    def _batch_text(self, index: int, n: int | None = None) -> str:
        shape = self.shapes[index] if self.shapes else ()
        return _shape_text([n if n is not None else "?", *self._declared(shape or ())])

    def _put(self, items: list) -> None:
        with self._cond:
            self._check_cancelled()
            if self._failure is not None:
                self._raise_failure()
            if self._closed:
                raise errors.CancelledError(None, None, f"{self.kind} '{self.name}' is closed.")
            for item in items:
                while self.capacity is not None and len(self._items) >= self.capacity:
                    self._cond.wait()
                    self._check_cancelled()
                    if self._cancel_enqueues:  # close(cancel_pending_enqueues=True) or a failed feeder
                        raise errors.CancelledError(None, None, "Enqueue operation was cancelled")
                self._push(item)
                self._cond.notify_all()

    def _push(self, item) -> None:
        self._items.append(item)

    # -- dequeue -----------------------------------------------------------------------------------
    def _take(self, n: int) -> list:
        taken, self._items = self._items[:n], self._items[n:]
        return taken

    def _wait_for(self, n: int, allow_fewer: bool) -> list:
        """Takes ``n`` elements as they become available (TF's dequeue attempts fill their batch element by
        element, so a batch larger than the capacity completes). A queue closed before the batch is full puts
        the partial batch back (TF's restore) and fails, or with ``allow_fewer`` takes whatever it holds."""
        with self._cond:
            taken: list = []
            while len(taken) < n:
                self._check_cancelled()
                remaining, have = n - len(taken), len(self._items)
                if self._closed and have < remaining:
                    self._restore(taken)
                    taken = []
                    if self._failure is not None:
                        self._raise_failure()
                    if allow_fewer and self._items:
                        n = len(self._items)
                        continue
                    raise errors.OutOfRangeError(
                        None,
                        None,
                        f"{self.kind} '{self.name}' is closed and has insufficient elements (requested {remaining}, "
                        f"current size {have})",
                    )
                available = self._available(remaining)
                if available > 0:
                    taken.extend(self._take(min(available, remaining)))
                    self._cond.notify_all()
                    continue
                self._cond.wait()
            return taken

    def _available(self, wanted: int) -> int:
        """How many elements a dequeue still wanting ``wanted`` may take now."""
        return len(self._items)

    def _restore(self, taken: list) -> None:
        """A partial batch goes back to the front, in its order (TF's push_front from the last element)."""
        self._items[:0] = taken

    def dequeue(self):
        (item,) = self._wait_for(1, False)
        return item

    def dequeue_many(self, n: int):
        return self._batch(self._wait_for(n, False), n)

    def dequeue_up_to(self, n: int):
        return self._batch(self._wait_for(n, True), n)

    def _batch(self, items: list, n: int):
        out = []
        for i, dtype in enumerate(self.component_types):
            values = [item[i] for item in items]
            if not values:
                shape = self.shapes[i] if self.shapes else ()
                out.append(_empty((0, *(d or 0 for d in (shape or ()))), dtype))
                continue
            out.append(_stack(values, dtype))
        return out


def _detached(value):
    """The queue's own copy (an enqueued value may be a variable's live buffer or a view of a batch)."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    return np.array(value, dtype=object, copy=True)


def _empty(shape, dtype: DType):
    if dtype is DType.string:
        return np.empty(shape, dtype=object)
    return torch.empty(shape, dtype=dtype.torch)


def _stack(values: list, dtype: DType):
    if dtype is DType.string:
        return np.stack([np.asarray(v, dtype=object) for v in values])
    return torch.stack(values)


class FIFOQueue(Queue):
    kind = "FIFOQueue"


class PaddingFIFOQueue(Queue):
    """A FIFO queue whose batches pad each component to the largest element (zeros, or b"" for strings)."""

    kind = "PaddingFIFOQueue"

    def _batch(self, items: list, n: int):
        out = []
        for i, dtype in enumerate(self.component_types):
            values = [item[i] for item in items]
            declared = self.shapes[i] if self.shapes else ()
            if not values:
                out.append(_empty((0, *(max(d, 0) if d is not None else 0 for d in declared)), dtype))
                continue
            dims = [max(int(v.shape[k]) for v in values) for k in range(len(values[0].shape))]
            if dtype is DType.string:
                batch = np.full((len(values), *dims), b"", dtype=object)
            else:
                batch = torch.zeros((len(values), *dims), dtype=dtype.torch)
            for j, v in enumerate(values):
                batch[(j, *tuple(slice(0, s) for s in v.shape))] = v
            out.append(batch)
        return out


class RandomShuffleQueue(Queue):
    """Dequeues random elements while more than ``min_after_dequeue`` are queued (or it is closed), in TF's
    order: element ``word % size`` of TF's ``SingleSampleAdapter<PhiloxRandom>(seed, seed2)`` stream, whose
    place the last element takes (random_shuffle_queue_op.cc)."""

    kind = "RandomShuffleQueue"

    def __init__(self, node_name, component_types, shapes, capacity, min_after_dequeue, seed, seed2):
        super().__init__(node_name, component_types, shapes, capacity)
        self.min_after_dequeue = min_after_dequeue
        if seed == 0 and seed2 == 0:  # TF's random::New64() for both
            seed, seed2 = secrets.randbits(64), secrets.randbits(64)
        self._words = single_samples(Philox.from_seeds(seed, seed2))

    def _available(self, wanted: int) -> int:
        return len(self._items) - (0 if self._closed else self.min_after_dequeue)

    def _restore(self, taken: list) -> None:
        """A partial batch goes back at the end, last element first (TF's push_back)."""
        self._items.extend(reversed(taken))

    def _take(self, n: int) -> list:
        taken = []
        items = self._items
        for _ in range(n):
            j = next(self._words) % len(items)
            taken.append(items[j])
            last = items.pop()
            if j < len(items):
                items[j] = last
        return taken


class PriorityQueue(Queue):
    """Elements come out lowest int64 priority (component 0) first, a batch only once the queue holds it all.
    TF keeps them in libstdc++'s binary heap (std::priority_queue); its push_heap and pop_heap are followed
    step for step, so equal priorities come out in TF's order."""

    kind = "PriorityQueue"

    def __init__(self, node_name, component_types, shapes, capacity):
        shapes = [(), *shapes] if shapes else shapes
        super().__init__(node_name, [DType.int64, *component_types], shapes, capacity)

    def _check_component(self, index: int, value, shape) -> None:
        super()._check_component(index, value, shape)
        if index == 0 and len(shape) != 0:
            raise errors.InvalidArgumentError(
                None, None, f"Expected the priority element to be a scalar, but received shape: {_shape_text(shape)}"
            )

    @staticmethod
    def _before(a, b) -> bool:
        """The heap's comparator: ``a`` sits below ``b`` (TF's ComparePriorityTensorPair, a greater priority)."""
        return int(a[0]) > int(b[0])

    def _sift_up(self, hole: int, top: int, item) -> None:
        """libstdc++'s __push_heap."""
        heap = self._items
        parent = (hole - 1) // 2
        while hole > top and self._before(heap[parent], item):
            heap[hole] = heap[parent]
            hole = parent
            parent = (hole - 1) // 2
        heap[hole] = item

    def _push(self, item) -> None:
        self._items.append(item)
        self._sift_up(len(self._items) - 1, 0, item)

    def _pop(self):
        """libstdc++'s pop_heap (its __adjust_heap), then the last element."""
        heap = self._items
        length = len(heap) - 1
        item, heap[length] = heap[length], heap[0]
        hole = second = 0
        while second < (length - 1) // 2:
            second = 2 * (second + 1)
            if self._before(heap[second], heap[second - 1]):
                second -= 1
            heap[hole] = heap[second]
            hole = second
        if length % 2 == 0 and second == (length - 2) // 2:
            second = 2 * (second + 1)
            heap[hole] = heap[second - 1]
            hole = second - 1
        self._sift_up(hole, 0, item)
        return heap.pop()

    def _take(self, n: int) -> list:
        return [self._pop() for _ in range(n)]

    def _available(self, wanted: int) -> int:
        """All of a batch at once (TF keeps batches sorted), or nothing."""
        return wanted if len(self._items) >= wanted else 0

    def _restore(self, taken: list) -> None:
        for item in taken:
            self._push(item)

    def _check_shapes(self) -> None:
        if self.shapes is None:
            raise errors.InvalidArgumentError(
                None, None, "PriorityQueue's DequeueMany requires the components to have specified shapes."
            )

    def dequeue_many(self, n: int):
        self._check_shapes()
        return super().dequeue_many(n)

    def dequeue_up_to(self, n: int):
        self._check_shapes()
        return super().dequeue_up_to(n)

    def _wait_for(self, n: int, allow_fewer: bool) -> list:
        """As TF's TryDequeueMany: a closed queue holding fewer than ``n`` elements hands them to the
        ``allow_fewer`` attempt, which then still wants the rest and fails: the elements are gone."""
        if not allow_fewer:
            return super()._wait_for(n, False)
        with self._cond:
            while True:
                self._check_cancelled()
                have = len(self._items)
                if have >= n:
                    taken = self._take(n)
                    self._cond.notify_all()
                    return taken
                if self._closed:
                    if self._failure is not None:
                        self._raise_failure()
                    self._take(have)
                    self._cond.notify_all()
                    raise errors.OutOfRangeError(
                        None,
                        None,
                        f"{self.kind} '{self.name}' is closed and has insufficient elements (requested {n - have}, "
                        "current size 0)",
                    )
                self._cond.wait()


# ---------------------------------------------------------------------------------------------
# Creation ops


def _handle_shape(op):
    return [TensorShape([])]


def _queue_shapes(op) -> list | None:
    shapes = op.get_attr("shapes")
    if not shapes:
        return None
    return [None if s.unknown_rank else tuple(None if d.size == -1 else d.size for d in s.dim) for s in shapes]


_QUEUE_ATTRS = [
    "component_types: list(type) >= 1",
    "shapes: list(shape) >= 0 = []",
    "capacity: int = -1",
]


@register_op(
    "FIFOQueueV2",
    outputs=["handle: resource"],
    attrs=[*_QUEUE_ATTRS, 'container: string = ""', 'shared_name: string = ""'],
    shape=_handle_shape,
    stateful=True,
)
def fifo_queue_v2(component_types, shapes, capacity, container, shared_name, state, node_name):
    key = resource_key("queue", container, shared_name, node_name)
    return session_resource(state, key, lambda: FIFOQueue(node_name, component_types, shapes, capacity))


@register_op(
    "PaddingFIFOQueueV2",
    outputs=["handle: resource"],
    attrs=[*_QUEUE_ATTRS, 'container: string = ""', 'shared_name: string = ""'],
    shape=_handle_shape,
    stateful=True,
)
def padding_fifo_queue_v2(component_types, shapes, capacity, container, shared_name, state, node_name):
    if len(shapes) != len(component_types):
        raise errors.InvalidArgumentError(
            None,
            None,
            f"Shapes must be provided for all components, but received {len(component_types)} dtypes and "
            f"{len(shapes)} shapes.",
        )
    key = resource_key("queue", container, shared_name, node_name)
    return session_resource(state, key, lambda: PaddingFIFOQueue(node_name, component_types, shapes, capacity))


@register_op(
    "PriorityQueueV2",
    outputs=["handle: resource"],
    attrs=[
        "component_types: list(type) >= 0 = []",
        "shapes: list(shape) >= 0",
        "capacity: int = -1",
        'container: string = ""',
        'shared_name: string = ""',
    ],
    shape=_handle_shape,
    stateful=True,
)
def priority_queue_v2(component_types, shapes, capacity, container, shared_name, state, node_name):
    key = resource_key("queue", container, shared_name, node_name)
    return session_resource(state, key, lambda: PriorityQueue(node_name, component_types, shapes, capacity))


@register_op(
    "RandomShuffleQueueV2",
    outputs=["handle: resource"],
    attrs=[
        *_QUEUE_ATTRS,
        "min_after_dequeue: int = 0",
        "seed: int = 0",
        "seed2: int = 0",
        'container: string = ""',
        'shared_name: string = ""',
    ],
    shape=_handle_shape,
    stateful=True,
)
def random_shuffle_queue_v2(
    component_types, shapes, capacity, min_after_dequeue, seed, seed2, container, shared_name, state, node_name
):
    key = resource_key("queue", container, shared_name, node_name)
    return session_resource(
        state,
        key,
        lambda: RandomShuffleQueue(node_name, component_types, shapes, capacity, min_after_dequeue, seed, seed2),
    )


# ---------------------------------------------------------------------------------------------
# Enqueue / dequeue / close / size


@register_op(
    "QueueEnqueueV2",
    inputs=["handle: resource", "components: Tcomponents"],
    attrs=["Tcomponents: list(type) >= 1", "timeout_ms: int = -1"],
    shape=lambda op: [],
    stateful=True,
)
def queue_enqueue_v2(handle, components):
    handle.enqueue(list(components))


@register_op(
    "QueueEnqueueManyV2",
    inputs=["handle: resource", "components: Tcomponents"],
    attrs=["Tcomponents: list(type) >= 1", "timeout_ms: int = -1"],
    shape=lambda op: [],
    stateful=True,
)
def queue_enqueue_many_v2(handle, components):
    handle.enqueue_many(list(components))


def _element_shapes(op) -> list:
    """The queue's declared component shapes when the handle comes straight from a queue op."""
    source = op.inputs[0].op
    n = len(op.get_attr("component_types"))
    if source.type in ("FIFOQueueV2", "PaddingFIFOQueueV2", "RandomShuffleQueueV2"):
        shapes = _queue_shapes(source)
        if shapes is not None and len(shapes) == n:
            return [TensorShape(s) for s in shapes]
    return [unknown_shape()] * n


def _dequeue_shape(op):
    return _element_shapes(op)


def _batch_dim(op):
    value = constant_value(op.inputs[1])
    return None if value is None or op.type == "QueueDequeueUpToV2" else int(value)


def _dequeue_many_shape(op):
    input_with_rank(op, 1, 0)
    n = _batch_dim(op)
    return [TensorShape([n]).concatenate(s) if s.rank is not None else unknown_shape() for s in _element_shapes(op)]


def _outputs(values):
    return values[0] if len(values) == 1 else tuple(values)


@register_op(
    "QueueDequeueV2",
    inputs=["handle: resource"],
    outputs=["components: component_types"],
    attrs=["component_types: list(type) >= 1", "timeout_ms: int = -1"],
    shape=_dequeue_shape,
    stateful=True,
)
def queue_dequeue_v2(handle, component_types):
    return _outputs(list(handle.dequeue()))


def _count(n) -> int:
    n = int(n)
    if n < 0:
        raise errors.InvalidArgumentError(None, None, f"DequeueManyOp requested {n} < 0 elements")
    return n


@register_op(
    "QueueDequeueManyV2",
    inputs=["handle: resource", "n: int32"],
    outputs=["components: component_types"],
    attrs=["component_types: list(type) >= 1", "timeout_ms: int = -1"],
    shape=_dequeue_many_shape,
    stateful=True,
)
def queue_dequeue_many_v2(handle, n, component_types):
    return _outputs(handle.dequeue_many(_count(n)))


@register_op(
    "QueueDequeueUpToV2",
    inputs=["handle: resource", "n: int32"],
    outputs=["components: component_types"],
    attrs=["component_types: list(type) >= 1", "timeout_ms: int = -1"],
    shape=_dequeue_many_shape,
    stateful=True,
)
def queue_dequeue_up_to_v2(handle, n, component_types):
    return _outputs(handle.dequeue_up_to(_count(n)))


@register_op(
    "QueueCloseV2",
    inputs=["handle: resource"],
    attrs=["cancel_pending_enqueues: bool = false"],
    shape=lambda op: [],
    stateful=True,
)
def queue_close_v2(handle, cancel_pending_enqueues):
    handle.close(cancel_pending_enqueues)


@register_op(
    "QueueSizeV2",
    inputs=["handle: resource"],
    outputs=["size: int32"],
    shape=lambda op: [TensorShape([])],
    stateful=True,
)
def queue_size_v2(handle):
    return torch.tensor(handle.size(), dtype=torch.int32)


@register_op(
    "QueueIsClosedV2",
    inputs=["handle: resource"],
    outputs=["is_closed: bool"],
    shape=lambda op: [TensorShape([])],
    stateful=True,
)
def queue_is_closed_v2(handle):
    return torch.tensor(handle.is_closed())


no_registered_gradient(
    "FIFOQueueV2",
    "PaddingFIFOQueueV2",
    "PriorityQueueV2",
    "RandomShuffleQueueV2",
    "QueueEnqueueV2",
    "QueueEnqueueManyV2",
    "QueueDequeueV2",
    "QueueDequeueManyV2",
    "QueueDequeueUpToV2",
    "QueueCloseV2",
    "QueueSizeV2",
    "QueueIsClosedV2",
)
