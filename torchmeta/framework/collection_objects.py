"""Python objects for the proto-backed collections that have no fuller implementation yet.

- ``QueueRunner`` (``queue_runners``, QueueRunnerDef): holds a queue and the ops that fill and close
  it, exports and imports like ``tf.train.QueueRunner``, and runs its enqueue ops on threads.

(The ``cond_context`` / ``while_context`` collections hold torchmeta.api.control_flow_ops' contexts.)
Proto functions are registered only for keys nobody registered yet: a fuller implementation
registers its own and wins whatever the import order.
"""

from __future__ import annotations

import logging
import threading
import weakref

from torchmeta import errors
from torchmeta._proto import queue_runner_pb2
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import GraphKeys

__all__ = ["QueueRunner", "add_queue_runner"]

_logger = logging.getLogger("torchmeta")


def _op_name_of(element) -> str:
    return element.op.name if isinstance(element, graph_lib.Tensor) else element.name


class QueueRunner:
    """``tf.train.QueueRunner``: a queue, its enqueue ops, and the ops that close it.

    Args:
      queue: the queue (an object with ``name``, such as the queue Operation or its handle Tensor).
      enqueue_ops: the ops that fill the queue.
      close_op: the op closing the queue (TF defaults it to ``queue.close()``; required here unless
        ``queue`` has a ``close`` method).
      cancel_op: the op closing it and cancelling pending enqueues (same default rule).
      queue_closed_exception_types: the ``errors.OpError`` subclasses meaning "queue closed"
        (default ``(errors.OutOfRangeError,)``).
      queue_runner_def: build from this QueueRunnerDef instead (names resolved in the default graph).
      import_scope: scope prefixed to the names of ``queue_runner_def``.

    Raises:
      ValueError: if both or neither of ``queue`` and ``queue_runner_def`` are given, or ops are missing.
    """

    def __init__(
        self,
        queue=None,
        enqueue_ops=None,
        close_op=None,
        cancel_op=None,
        queue_closed_exception_types=None,
        queue_runner_def=None,
        import_scope=None,
    ):
        if queue_runner_def is not None:
            if queue is not None or enqueue_ops:
                raise ValueError("queue_runner_def and queue are mutually exclusive.")
            self._init_from_proto(queue_runner_def, import_scope)
        else:
            self._init_from_args(queue, enqueue_ops, close_op, cancel_op, queue_closed_exception_types)
        self._exceptions_raised = []
        self._lock = threading.Lock()
        self._runs_per_session = weakref.WeakKeyDictionary()

    def _init_from_args(self, queue, enqueue_ops, close_op, cancel_op, queue_closed_exception_types):
        if not queue or not enqueue_ops:
            raise ValueError("Must provide queue and enqueue_ops.")
        self._queue = queue
        self._enqueue_ops = list(enqueue_ops)
        if close_op is None:
            if not hasattr(queue, "close"):
                raise ValueError("Must provide close_op for a queue without a close() method.")
            close_op = queue.close()
        if cancel_op is None:
            if not hasattr(queue, "close"):
                raise ValueError("Must provide cancel_op for a queue without a close() method.")
            cancel_op = queue.close(cancel_pending_enqueues=True)
        self._close_op = close_op
        self._cancel_op = cancel_op
        if queue_closed_exception_types is None:
            self._queue_closed_exception_types = (errors.OutOfRangeError,)
        else:
            types = tuple(queue_closed_exception_types)
            if not types or not all(isinstance(t, type) and issubclass(t, errors.OpError) for t in types):
                raise TypeError(
                    "queue_closed_exception_types, when provided, must be a tuple of tf.error types, but saw: "
                    f"{queue_closed_exception_types}"
                )
            self._queue_closed_exception_types = types

    def _init_from_proto(self, queue_runner_def, import_scope):
        g = graph_lib.get_default_graph()
        self._queue = g.as_graph_element(graph_lib.prepend_name_scope(queue_runner_def.queue_name, import_scope))
        self._enqueue_ops = [
            g.as_graph_element(graph_lib.prepend_name_scope(op, import_scope))
            for op in queue_runner_def.enqueue_op_name
        ]
        self._close_op = g.as_graph_element(graph_lib.prepend_name_scope(queue_runner_def.close_op_name, import_scope))
        self._cancel_op = g.as_graph_element(
            graph_lib.prepend_name_scope(queue_runner_def.cancel_op_name, import_scope)
        )
        codes = list(queue_runner_def.queue_closed_exception_types)
        if codes:
            self._queue_closed_exception_types = tuple(errors.exception_type_from_error_code(c) for c in codes)
        else:
            self._queue_closed_exception_types = (errors.OutOfRangeError,)

    @property
    def queue(self):
        return self._queue

    @property
    def enqueue_ops(self):
        return self._enqueue_ops

    @property
    def close_op(self):
        return self._close_op

    @property
    def cancel_op(self):
        return self._cancel_op

    @property
    def queue_closed_exception_types(self):
        return self._queue_closed_exception_types

    @property
    def exceptions_raised(self):
        return self._exceptions_raised

    @property
    def name(self) -> str:
        """The name of the queue (its op name)."""
        return _op_name_of(self._queue)

    def _run(self, sess, enqueue_op, coord=None):
        """One thread: runs ``enqueue_op`` until the queue closes, the coordinator stops, or an error."""
        decremented = False
        try:
            while True:
                if coord and coord.should_stop():
                    break
                try:
                    sess.run(enqueue_op)
                except self._queue_closed_exception_types:
                    with self._lock:
                        self._runs_per_session[sess] -= 1
                        decremented = True
                        if self._runs_per_session[sess] == 0:
                            try:
                                sess.run(self._close_op)
                            except Exception as e:
                                _logger.debug("Ignored exception: %s", e)
                    return
        except Exception as e:
            # TF reports the error to the coordinator (join re-raises it); here the queue is also marked
            # failed, so a consumer blocked on it gets this error instead of waiting forever.
            fail = getattr(sess, "_fail_resource", None)
            if fail is not None and not isinstance(e, errors.CancelledError) and not getattr(sess, "_closed", False):
                fail(self.name, e)
            if coord:
                coord.request_stop(e)
            else:
                _logger.error("Exception in QueueRunner: %s", e)
                with self._lock:
                    self._exceptions_raised.append(e)
        finally:
            if not decremented:
                with self._lock:
                    self._runs_per_session[sess] -= 1

    def _close_on_stop(self, sess, cancel_op, coord):
        coord.wait_for_stop()
        try:
            sess.run(cancel_op)
        except Exception as e:
            _logger.debug("Ignored exception: %s", e)

    def create_threads(self, sess, coord=None, daemon=False, start=False):
        """Threads running the enqueue ops in ``sess`` (one each), plus one closing the queue when ``coord``
        stops; ``[]`` when this runner already runs in ``sess`` (TF's ``create_threads``)."""
        with self._lock:
            if self._runs_per_session.get(sess, 0) > 0:
                return []
            self._runs_per_session[sess] = len(self._enqueue_ops)
            self._exceptions_raised = []
        threads = [
            threading.Thread(
                target=self._run, args=(sess, op, coord), name=f"QueueRunnerThread-{self.name}-{_op_name_of(op)}"
            )
            for op in self._enqueue_ops
        ]
        if coord:
            threads.append(
                threading.Thread(
                    target=self._close_on_stop,
                    args=(sess, self._cancel_op, coord),
                    name=f"QueueRunnerThread-{self.name}-close_on_stop",
                )
            )
        for t in threads:
            if coord:
                coord.register_thread(t)
            if daemon:
                t.daemon = True
            if start:
                t.start()
        return threads

    def to_proto(self, export_scope=None):
        """The QueueRunnerDef, or None when the queue lies outside ``export_scope``."""
        if export_scope is not None and not self.name.startswith(export_scope):
            return None
        qr = queue_runner_pb2.QueueRunnerDef()
        qr.queue_name = graph_lib.strip_name_scope(self.name, export_scope)
        qr.enqueue_op_name.extend(graph_lib.strip_name_scope(_op_name_of(op), export_scope) for op in self._enqueue_ops)
        qr.close_op_name = graph_lib.strip_name_scope(_op_name_of(self._close_op), export_scope)
        qr.cancel_op_name = graph_lib.strip_name_scope(_op_name_of(self._cancel_op), export_scope)
        qr.queue_closed_exception_types.extend(cls.error_code for cls in self._queue_closed_exception_types)
        return qr

    @staticmethod
    def from_proto(queue_runner_def, import_scope=None):
        return QueueRunner(queue_runner_def=queue_runner_def, import_scope=import_scope)

    def __repr__(self):
        return f"<QueueRunner queue={self.name!r} enqueue_ops={len(self._enqueue_ops)}>"


def add_queue_runner(qr, collection=GraphKeys.QUEUE_RUNNERS) -> None:
    """``tf.train.add_queue_runner``: adds ``qr`` to a collection of the default graph."""
    graph_lib.add_to_collection(collection, qr)


def _register_if_free(key, proto_type, to_proto, from_proto) -> None:
    if graph_lib.get_to_proto_function(key) is None and graph_lib.get_from_proto_function(key) is None:
        graph_lib.register_proto_function(key, proto_type=proto_type, to_proto=to_proto, from_proto=from_proto)


def _to_proto(item, export_scope=None):
    return item.to_proto(export_scope=export_scope)


_register_if_free(GraphKeys.QUEUE_RUNNERS, queue_runner_pb2.QueueRunnerDef, _to_proto, QueueRunner.from_proto)
