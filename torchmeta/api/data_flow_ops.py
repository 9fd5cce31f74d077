"""``tf.FIFOQueue``, ``tf.PaddingFIFOQueue``, ``tf.RandomShuffleQueue`` (``tf.queue.*``): queue objects whose
methods build the V2 queue ops with TensorFlow's node names and static shapes."""

from __future__ import annotations

import hashlib

from torchmeta import dtypes as dtypes_lib
from torchmeta.api.random_ops import get_seed
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import convert_to_tensor, name_scope
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.tensor_shape import Dimension, TensorShape, as_shape, dimension_value, unknown_shape
from torchmeta.framework.tensor_util import constant_value

__all__ = ["QueueBase", "FIFOQueue", "PaddingFIFOQueue", "PriorityQueue", "RandomShuffleQueue"]


def _as_type_list(dtypes):
    if not isinstance(dtypes, (list, tuple)):
        return [dtypes_lib.as_dtype(dtypes)]
    return [dtypes_lib.as_dtype(d) for d in dtypes]


def _as_shape_list(shapes, dtypes, unknown_dim_allowed=False, unknown_rank_allowed=False):
    if unknown_dim_allowed and (
        not isinstance(shapes, (list, tuple))
        or not shapes
        or any(shape is None or isinstance(shape, int) for shape in shapes)
    ):
        raise ValueError("When providing partial shapes, a list of shapes must be provided.")
    if shapes is None:
        return None
    if isinstance(shapes, TensorShape):
        shapes = [shapes]
    if not isinstance(shapes, (tuple, list)):
        raise TypeError(f"Shapes must be a TensorShape or a list or tuple of TensorShapes, got {type(shapes)} instead.")
    if all(shape is None or isinstance(shape, int) for shape in shapes):
        shapes = [shapes]
    shapes = [as_shape(shape) for shape in shapes]
    if not unknown_dim_allowed and any(not shape.is_fully_defined() for shape in shapes):
        raise ValueError(f"All shapes must be fully defined: {shapes}")
    if not unknown_rank_allowed and any(shape.rank is None for shape in shapes):
        raise ValueError(f"All shapes must have a defined rank: {shapes}")
    return shapes


def _as_name_list(names, dtypes):
    if names is None:
        return None
    if not isinstance(names, (list, tuple)):
        names = [names]
    if len(names) != len(dtypes):
        raise ValueError(
            "List of names must have the same length as the list of dtypes, received "
            f"len(names)={len(names)},len(dtypes)={len(dtypes)}"
        )
    return list(names)


class QueueBase:
    """A queue of tuples of tensors (``tf.queue.QueueBase``): enqueue/dequeue/close/size build its ops."""

    def __init__(self, dtypes, shapes, names, queue_ref):
        self._dtypes = dtypes
        if shapes is not None:
            if len(shapes) != len(dtypes):
                raise ValueError(
                    "Queue shapes must have the same length as dtypes, received "
                    f"len(shapes)={len(shapes)}, len(dtypes)={len(dtypes)}"
                )
            self._shapes = [TensorShape(s) for s in shapes]
        else:
            self._shapes = [unknown_shape() for _ in self._dtypes]
        self._names = names
        self._queue_ref = queue_ref
        self._name = queue_ref.op.name.split("/")[-1]

    @property
    def queue_ref(self):
        return self._queue_ref

    @property
    def name(self) -> str:
        return self._queue_ref.op.name

    @property
    def dtypes(self):
        return self._dtypes

    @property
    def shapes(self):
        return self._shapes

    @property
    def names(self):
        return self._names

    def _check_enqueue_dtypes(self, vals):
        if isinstance(vals, dict):
            if not self._names:
                raise ValueError("Queue must have names to enqueue a dictionary")
            if sorted(self._names, key=str) != sorted(vals.keys(), key=str):
                raise ValueError(
                    f"Keys in dictionary to enqueue do not match names of Queue.  Dictionary: {sorted(vals.keys())},"
                    f"Queue: {sorted(self._names)}"
                )
            vals = [vals[k] for k in self._names]
        else:
            if self._names:
                raise ValueError("You must enqueue a dictionary in a Queue with names")
            if not isinstance(vals, (list, tuple)):
                vals = [vals]
        return [
            convert_to_tensor(v, dtype=d, name=f"component_{i}") for i, (v, d) in enumerate(zip(vals, self._dtypes))
        ]

    @staticmethod
    def _scope_vals(vals):
        if isinstance(vals, (list, tuple)):
            return vals
        if isinstance(vals, dict):
            return list(vals.values())
        return [vals]

    def enqueue(self, vals, name=None):
        """Enqueues one element (a tensor, a list/tuple, or a dict for a queue with names)."""
        with name_scope(name, f"{self._name}_enqueue", self._scope_vals(vals)) as scope:
            vals = self._check_enqueue_dtypes(vals)
            for val, shape in zip(vals, self._shapes):
                val.shape.assert_is_compatible_with(shape)
            return raw_op("QueueEnqueueV2", handle=self._queue_ref, components=vals, name=scope)

    def enqueue_many(self, vals, name=None):
        """Enqueues the slices of ``vals`` along their first dimension."""
        with name_scope(name, f"{self._name}_EnqueueMany", self._scope_vals(vals)) as scope:
            vals = self._check_enqueue_dtypes(vals)
            batch_dim = Dimension(dimension_value(vals[0].shape.with_rank_at_least(1)[0]))
            for val, shape in zip(vals, self._shapes):
                batch_dim = batch_dim.merge_with(Dimension(dimension_value(val.shape.with_rank_at_least(1)[0])))
                val.shape[1:].assert_is_compatible_with(shape)
            return raw_op("QueueEnqueueManyV2", handle=self._queue_ref, components=vals, name=scope)

    def _dequeue_return_value(self, tensors):
        if self._names:
            return {n: tensors[i] for i, n in enumerate(self._names)}
        if len(tensors) == 1:
            return tensors[0]
        return tensors

    def dequeue(self, name=None):
        """Dequeues one element (blocks until there is one; OutOfRangeError once closed and empty)."""
        if name is None:
            name = f"{self._name}_Dequeue"
        ret = raw_op("QueueDequeueV2", handle=self._queue_ref, component_types=self._dtypes, name=name)
        ret = list(ret) if isinstance(ret, (list, tuple)) else [ret]
        for output, shape in zip(ret, self._shapes):
            output.set_shape(shape)
        return self._dequeue_return_value(ret)

    def dequeue_many(self, n, name=None):
        """Dequeues ``n`` elements, concatenated along a new first dimension."""
        if name is None:
            name = f"{self._name}_DequeueMany"
        ret = raw_op("QueueDequeueManyV2", handle=self._queue_ref, n=n, component_types=self._dtypes, name=name)
        ret = list(ret) if isinstance(ret, (list, tuple)) else [ret]
        value = constant_value(ret[0].op.inputs[1])
        batch_dim = Dimension(None if value is None else int(value))
        for output, shape in zip(ret, self._shapes):
            output.set_shape(TensorShape([batch_dim]).concatenate(shape))
        return self._dequeue_return_value(ret)

    def dequeue_up_to(self, n, name=None):
        """Dequeues up to ``n`` elements (fewer once the queue is closed)."""
        if name is None:
            name = f"{self._name}_DequeueUpTo"
        ret = raw_op("QueueDequeueUpToV2", handle=self._queue_ref, n=n, component_types=self._dtypes, name=name)
        ret = list(ret) if isinstance(ret, (list, tuple)) else [ret]
        for output, shape in zip(ret, self._shapes):
            output.set_shape(TensorShape([None]).concatenate(shape))
        return self._dequeue_return_value(ret)

    def close(self, cancel_pending_enqueues=False, name=None):
        """Closes the queue: no more enqueues; dequeues drain it, then raise OutOfRangeError."""
        if name is None:
            name = f"{self._name}_Close"
        return raw_op(
            "QueueCloseV2", handle=self._queue_ref, cancel_pending_enqueues=cancel_pending_enqueues, name=name
        )

    def is_closed(self, name=None):
        if name is None:
            name = f"{self._name}_Is_Closed"
        return raw_op("QueueIsClosedV2", handle=self._queue_ref, name=name)

    def size(self, name=None):
        if name is None:
            name = f"{self._name}_Size"
        return raw_op("QueueSizeV2", handle=self._queue_ref, name=name)


def _shared_name(shared_name):
    return shared_name


class RandomShuffleQueue(QueueBase):
    """``tf.RandomShuffleQueue``: dequeues elements in a random order, keeping ``min_after_dequeue`` buffered."""

    def __init__(
        self,
        capacity,
        min_after_dequeue,
        dtypes,
        shapes=None,
        names=None,
        seed=None,
        shared_name=None,
        name="random_shuffle_queue",
    ):
        dtypes = _as_type_list(dtypes)
        shapes = _as_shape_list(shapes, dtypes)
        names = _as_name_list(names, dtypes)
        seed1, seed2 = get_seed(seed)
        if seed1 is None and seed2 is None:
            seed1, seed2 = 0, 0
        elif seed is None and shared_name is not None:
            string = (str(seed1) + shared_name).encode("utf-8")
            seed2 = int(hashlib.md5(string).hexdigest()[:8], 16) & 0x7FFFFFFF
        queue_ref = raw_op(
            "RandomShuffleQueueV2",
            component_types=dtypes,
            shapes=shapes,
            capacity=capacity,
            min_after_dequeue=min_after_dequeue,
            seed=seed1,
            seed2=seed2,
            shared_name=_shared_name(shared_name),
            name=name,
        )
        super().__init__(dtypes, shapes, names, queue_ref)


class FIFOQueue(QueueBase):
    """``tf.FIFOQueue``: a first-in first-out queue of at most ``capacity`` elements (placed on the CPU)."""

    def __init__(self, capacity, dtypes, shapes=None, names=None, shared_name=None, name="fifo_queue"):
        dtypes = _as_type_list(dtypes)
        shapes = _as_shape_list(shapes, dtypes)
        names = _as_name_list(names, dtypes)
        with graph_lib.device("/device:CPU:*"):
            queue_ref = raw_op(
                "FIFOQueueV2",
                component_types=dtypes,
                shapes=shapes,
                capacity=capacity,
                shared_name=_shared_name(shared_name),
                name=name,
            )
        super().__init__(dtypes, shapes, names, queue_ref)


class PriorityQueue(QueueBase):
    """``tf.PriorityQueue``: elements whose first component is an int64 priority come out lowest first
    (``shapes`` is required, as TF's op needs the attr; give ``[]`` for unshaped components)."""

    def __init__(self, capacity, types, shapes=None, names=None, shared_name=None, name="priority_queue"):
        types = _as_type_list(types)
        shapes = _as_shape_list(shapes, types)
        if shapes is None:
            raise TypeError("Expected list for 'shapes' argument to 'priority_queue_v2' Op, not None.")
        queue_ref = raw_op(
            "PriorityQueueV2",
            component_types=types,
            shapes=shapes,
            capacity=capacity,
            shared_name=_shared_name(shared_name),
            name=name,
        )
        priority_dtypes = [dtypes_lib.DType.int64, *types]
        priority_shapes = [(), *shapes] if shapes else shapes
        super().__init__(priority_dtypes, priority_shapes, names, queue_ref)


class PaddingFIFOQueue(QueueBase):
    """``tf.PaddingFIFOQueue``: a FIFO queue whose ``dequeue_many`` pads components to the longest (shapes may
    have None dims)."""

    def __init__(self, capacity, dtypes, shapes, names=None, shared_name=None, name="padding_fifo_queue"):
        dtypes = _as_type_list(dtypes)
        shapes = _as_shape_list(shapes, dtypes, unknown_dim_allowed=True)
        names = _as_name_list(names, dtypes)
        if len(dtypes) != len(shapes):
            raise ValueError(
                f"Shapes must be provided for all components, but received {len(dtypes)} dtypes and {len(shapes)} "
                "shapes."
            )
        queue_ref = raw_op(
            "PaddingFIFOQueueV2",
            component_types=dtypes,
            shapes=shapes,
            capacity=capacity,
            shared_name=_shared_name(shared_name),
            name=name,
        )
        super().__init__(dtypes, shapes, names, queue_ref)
