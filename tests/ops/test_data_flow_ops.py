"""Queues against TensorFlow: the same values and errors for the same enqueue/dequeue/close sequences, TF's graphs,
padding, seeded shuffling, blocking, cancellation when the session closes, and a failed feeder reaching the consumer."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest

import torchmeta as tm
from torchmeta import errors


def _message(error) -> str:
    """An error's own message (TF adds "Graph execution error:", stack lines and node annotations)."""
    lines = [line for line in error.message.split("\n") if line.strip() and not line.startswith("\t [[")]
    return re.sub(r"'_\d+_", "'_N_", lines[-1])


def _nodes(graph):
    return [
        (n.name, n.op, list(n.input), n.device, {k: v.SerializeToString(deterministic=True) for k, v in n.attr.items()})
        for n in graph.as_graph_def().node
    ]


def _build(tf):
    q = tf.FIFOQueue(4, [tf.float32, tf.int32], shapes=[[2], []], name="q")
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    i = tf.placeholder(tf.int32, [None], name="i")
    pq = tf.PaddingFIFOQueue(5, [tf.int32, tf.string], shapes=[[None], []])
    p = tf.placeholder(tf.int32, [None], name="p")
    ops = {
        "enqueue": q.enqueue([x[0], i[0]]),
        "enqueue_many": q.enqueue_many([x, i]),
        "dequeue": q.dequeue(),
        "dequeue_many": q.dequeue_many(2),
        "dequeue_up_to": q.dequeue_up_to(3),
        "size": q.size(),
        "is_closed": q.is_closed(),
        "close": q.close(),
        "cancel": q.close(cancel_pending_enqueues=True),
        "penqueue": pq.enqueue([p, "s"]),
        "pdequeue_many": pq.dequeue_many(2),
        "pclose": pq.close(),
    }
    named = tf.FIFOQueue(3, [tf.int32, tf.float32], names=["a", "b"], shapes=[[], []], shared_name="shared")
    ops["named_enqueue"] = named.enqueue({"a": 1, "b": 2.0})
    ops["named_dequeue"] = named.dequeue()
    tf.RandomShuffleQueue(10, 2, [tf.int32], seed=4)
    tf.RandomShuffleQueue(10, 2, [tf.int32], seed=4, shared_name="s")
    return ops, (x, i, p)


def test_graphs_match_tf(tf1):
    tg, mg = tf1.Graph(), tm.Graph()
    with tg.as_default():
        theirs, _ = _build(tf1)
    with mg.as_default():
        ours, _ = _build(tm)
    assert _nodes(mg) == _nodes(tg)
    for key in ("dequeue", "dequeue_many", "dequeue_up_to", "pdequeue_many"):
        t_shapes = [t.shape.as_list() for t in theirs[key]]
        o_shapes = [t.shape.as_list() for t in ours[key]]
        assert o_shapes == t_shapes, key


SCRIPT = [
    ("enqueue", {"x": [[1, 2]], "i": [7]}),
    ("enqueue_many", {"x": [[3, 4], [5, 6]], "i": [8, 9]}),
    ("size", {}),
    ("dequeue", {}),
    ("dequeue_many", {}),
    ("is_closed", {}),
    ("enqueue_many", {"x": [[1, 1], [2, 2], [3, 3]], "i": [1, 2, 3]}),
    ("close", {}),
    ("enqueue", {"x": [[0, 0]], "i": [0]}),
    ("is_closed", {}),
    ("dequeue_many", {}),
    ("dequeue_many", {}),
    ("dequeue_up_to", {}),
    ("dequeue", {}),
    ("penqueue", {"p": [1, 2, 3]}),
    ("penqueue", {"p": [4]}),
    ("penqueue", {"p": []}),
    ("pdequeue_many", {}),
    ("pclose", {}),
    ("pdequeue_many", {}),
    ("named_enqueue", {}),
    ("named_dequeue", {}),
]


def _play(tf, error_base):
    out = []
    with tf.Graph().as_default():
        ops, (x, i, p) = _build(tf)
        placeholders = {"x": x, "i": i, "p": p}
        with tf.Session() as sess:
            for key, feed in SCRIPT:
                feed = {placeholders[k]: np.asarray(v, np.float32 if k == "x" else np.int32) for k, v in feed.items()}
                try:
                    out.append(("ok", sess.run(ops[key], feed)))
                except error_base as e:
                    out.append((type(e).__name__, _message(e)))
    return out


def test_same_values_and_errors_as_tf(tf1):
    import tensorflow as tf

    theirs = _play(tf1, tf.errors.OpError)
    ours = _play(tm, errors.OpError)
    assert len(ours) == len(theirs)
    for step, (o, t) in enumerate(zip(ours, theirs)):
        assert o[0] == t[0], (SCRIPT[step], o, t)
        if o[0] != "ok":
            assert o[1] == t[1], SCRIPT[step]
            continue
        if isinstance(t[1], dict):
            assert sorted(o[1]) == sorted(t[1])
            o, t = (None, [o[1][k] for k in sorted(o[1])]), (None, [t[1][k] for k in sorted(t[1])])
        ov, tv = o[1], t[1]
        if isinstance(tv, list):
            assert len(ov) == len(tv)
            for a, b in zip(ov, tv):
                assert np.asarray(a).dtype == np.asarray(b).dtype
                np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_array_equal(ov, tv)


@pytest.mark.parametrize(("seed", "graph_seed"), [(3, None), (None, 8), (2**40 + 5, 1)])
def test_random_shuffle_queue_dequeues_in_tfs_order(tf1, seed, graph_seed):
    """Element ``word % size`` of the queue's Philox stream, the last element taking its place, as TF's kernel."""

    def run(tf):
        with tf.Graph().as_default():
            if graph_seed is not None:
                tf.set_random_seed(graph_seed)
            q = tf.RandomShuffleQueue(40, 5, [tf.int32, tf.string], shapes=[[], []], seed=seed)
            values = tf.placeholder(tf.int32, [None])
            names = tf.placeholder(tf.string, [None])
            enq = q.enqueue_many([values, names])
            out = q.dequeue_many(5)
            with tf.Session() as sess:
                sess.run(enq, {values: np.arange(20), names: [b"%d" % i for i in range(20)]})
                got = [sess.run(out) for _ in range(2)]
                sess.run(enq, {values: np.arange(100, 117), names: [b"%d" % i for i in range(100, 117)]})
                got += [sess.run(out) for _ in range(3)]
                got.append(sess.run(q.dequeue()))
                sess.run(q.close())
                got.append(sess.run(q.dequeue_up_to(40)))  # closed: the rest, min_after_dequeue ignored
                return got

    theirs, ours = run(tf1), run(tm)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o[0], t[0])
        np.testing.assert_array_equal(o[1], t[1])
    order = np.concatenate([np.atleast_1d(o[0]) for o in ours]).tolist()
    assert sorted(order) == sorted([*range(20), *range(100, 117)]) and order[:5] != list(range(5))


def test_min_after_dequeue_blocks_until_closed():
    with tm.Graph().as_default():
        q = tm.RandomShuffleQueue(10, 3, [tm.int32], shapes=[[]], seed=1)
        with tm.Session() as sess:
            sess.run(q.enqueue_many([np.arange(3, dtype=np.int32)]))
            result = []
            t = threading.Thread(target=lambda: result.append(sess.run(q.dequeue())))
            t.start()
            t.join(0.2)
            assert t.is_alive() and not result  # 3 elements <= min_after_dequeue: waits
            sess.run(q.close())
            t.join(10)
            assert len(result) == 1 and 0 <= result[0] < 3


def test_blocking_enqueue_and_dequeue_between_threads():
    with tm.Graph().as_default():
        q = tm.FIFOQueue(2, [tm.int32], shapes=[[]])
        v = tm.placeholder(tm.int32, [])
        enq = q.enqueue([v])
        deq = q.dequeue()
        with tm.Session() as sess:

            def produce():
                for k in range(50):
                    sess.run(enq, {v: k})

            producer = threading.Thread(target=produce)
            producer.start()
            got = [int(sess.run(deq)) for _ in range(50)]
            producer.join(10)
            assert got == list(range(50))


def test_session_close_cancels_blocked_dequeue():
    with tm.Graph().as_default():
        q = tm.FIFOQueue(2, [tm.int32], shapes=[[]])
        deq = q.dequeue()
        sess = tm.Session()
        caught = []

        def consume():
            try:
                sess.run(deq)
            except errors.CancelledError as e:
                caught.append(e)

        t = threading.Thread(target=consume)
        t.start()
        t.join(0.2)
        assert t.is_alive()
        sess.close()
        t.join(10)
        assert not t.is_alive() and len(caught) == 1


def test_cancel_pending_enqueues(tf1):
    import tensorflow as tf

    def run(framework, error):
        with framework.Graph().as_default():
            q = framework.FIFOQueue(1, [framework.int32], shapes=[[]])
            enq = q.enqueue([5])
            with framework.Session() as sess:
                sess.run(enq)
                caught = []

                def blocked():
                    try:
                        sess.run(enq)
                    except error as e:
                        caught.append(type(e).__name__ + ": " + _message(e))

                t = threading.Thread(target=blocked)
                t.start()
                t.join(0.2)
                sess.run(q.close(cancel_pending_enqueues=True))
                t.join(10)
                return caught, sess.run(q.dequeue())

    assert run(tm, errors.OpError) == run(tf1, tf.errors.OpError)


def test_failed_queue_runner_reaches_the_consumer():
    """A QueueRunner whose enqueue fails (not a closed queue) marks the queue failed: the blocked dequeue
    raises that error instead of hanging, and the runner records it."""
    with tm.Graph().as_default():
        q = tm.FIFOQueue(2, [tm.int32], shapes=[[]])
        bad = tm.raw_ops.StringToNumber(string_tensor="not a number", out_type=tm.int32)
        qr = tm.train.QueueRunner(q, [q.enqueue([bad])])
        deq = q.dequeue()
        with tm.Session() as sess:
            threads = qr.create_threads(sess, start=True, daemon=True)
            with pytest.raises(errors.InvalidArgumentError, match="StringToNumberOp could not correctly convert"):
                sess.run(deq)
            for t in threads:
                t.join(10)
            assert len(qr.exceptions_raised) == 1


def _queue(framework, kind):
    if kind == "fifo":
        return framework.FIFOQueue(3, [framework.int32], shapes=[[]])
    if kind == "padding":
        return framework.PaddingFIFOQueue(3, [framework.int32], shapes=[[]])
    return framework.RandomShuffleQueue(4, 2, [framework.int32], shapes=[[]], seed=7)


@pytest.mark.parametrize("kind", ["fifo", "padding", "shuffle"])
def test_batch_larger_than_capacity_fills_as_elements_arrive(tf1, kind):
    """dequeue_many(5) from a queue holding at most 3 (or 4 with 2 kept back) completes as TF's does: the batch
    fills element by element while a producer thread keeps enqueuing."""
    import tensorflow as tf

    def run(framework, error):
        with framework.Graph().as_default():
            q = _queue(framework, kind)
            v = framework.placeholder(framework.int32, [])
            enq, close = q.enqueue([v]), q.close()
            many, up_to = q.dequeue_many(5), q.dequeue_up_to(5)
            with framework.Session() as sess:

                def produce():
                    for k in range(12):
                        sess.run(enq, {v: k})
                    sess.run(close)

                producer = threading.Thread(target=produce)
                producer.start()
                batches = [sess.run(many) for _ in range(2)]
                producer.join(10)
                try:
                    sess.run(many)
                    failure = None
                except error as e:
                    failure = (type(e).__name__, _message(e))
                return batches, failure, sess.run(up_to)

    (ours, our_failure, our_rest), (theirs, their_failure, their_rest) = (
        run(tm, errors.OpError),
        run(tf1, tf.errors.OpError),
    )
    assert our_failure == their_failure
    assert our_failure[0] == "OutOfRangeError" and "requested 5, current size 2" in our_failure[1]
    if kind == "shuffle":  # which elements a draw sees depends on the threads' timing, in TF as here
        assert sorted(np.concatenate([*ours, our_rest]).tolist()) == list(range(12))
    else:
        for o, t in zip([*ours, our_rest], [*theirs, their_rest]):
            np.testing.assert_array_equal(o, t)


@pytest.mark.parametrize("kind", ["fifo", "shuffle"])
def test_closing_restores_a_partial_batch(tf1, kind):
    """A dequeue_many that took 3 of its 5 elements when the queue closes puts them back (FIFO: at the front, in
    order) and fails with TF's message, which counts the elements it still wanted."""
    import time

    import tensorflow as tf

    def run(framework, error):
        with framework.Graph().as_default():
            q = _queue(framework, kind)
            enq = q.enqueue_many([np.arange(3, dtype=np.int32)])
            many, up_to, size = q.dequeue_many(5), q.dequeue_up_to(5), q.size()
            with framework.Session() as sess:
                failure = []

                def consume():
                    try:
                        sess.run(many)
                    except error as e:
                        failure.append((type(e).__name__, _message(e)))

                consumer = threading.Thread(target=consume)
                consumer.start()
                sess.run(enq)
                # Wait until the blocked consumer took what it may (TF's enqueue hands elements over at once).
                kept = 0 if kind == "fifo" else 2
                deadline = time.monotonic() + 10
                while sess.run(size) > kept and time.monotonic() < deadline:
                    time.sleep(0.01)
                sess.run(q.close())
                consumer.join(10)
                return failure, sess.run(up_to)

    ours, theirs = run(tm, errors.OpError), run(tf1, tf.errors.OpError)
    assert ours[0] == theirs[0]
    wanted = 2 if kind == "fifo" else 4
    assert ours[0][0][0] == "OutOfRangeError" and f"(requested {wanted}, current size" in ours[0][0][1]
    if kind == "fifo":
        np.testing.assert_array_equal(ours[1], theirs[1])
        np.testing.assert_array_equal(ours[1], [0, 1, 2])
    else:
        assert sorted(ours[1].tolist()) == sorted(theirs[1].tolist()) == [0, 1, 2]


def _priority_play(tf, op_error):
    """Ties and mixed priorities through enqueue, enqueue_many, dequeue, dequeue_many and dequeue_up_to; TF's
    errors for a non-scalar priority and a closed queue."""
    g = tf.Graph()
    out = []
    with g.as_default():
        q = tf.PriorityQueue(20, [tf.int32, tf.string], shapes=[[2], []], name="pq")
        p = tf.placeholder(tf.int64, [None])
        v = tf.placeholder(tf.int32, [None, 2])
        s = tf.placeholder(tf.string, [None])
        scalars = tf.io.PriorityQueue(5, [tf.float32], shapes=[])
        any_priority = tf.placeholder(tf.int64, name="any_priority")
        steps = [
            q.enqueue_many([p, v, s]),
            q.enqueue([p[0], v[0], s[0]]),
            q.dequeue(),
            q.dequeue_many(4),
            q.size(),
            scalars.enqueue([any_priority, 1.0]),
            scalars.enqueue([tf.constant(3, tf.int64), 1.5]),
            scalars.dequeue_many(1),
            q.close(),
            q.dequeue_up_to(20),
            q.dequeue(),
        ]
        nodes = _nodes(g)
        priorities = np.array([5, 2, 7, 2, 2, 9, 5, 2, 0, 7, 2], np.int64)
        feed = {
            p: priorities,
            v: np.arange(22, dtype=np.int32).reshape(11, 2),
            s: np.array([f"e{k}".encode() for k in range(11)], object),
            any_priority: np.array([1, 2], np.int64),
        }
        with tf.Session(graph=g) as sess:
            for step in steps:
                try:
                    out.append(("ok", sess.run(step, feed)))
                except op_error as e:
                    out.append((type(e).__name__, _message(e)))
    return nodes, out


def test_priority_queue_is_tfs(tf1):
    """Lowest priority first, equal priorities in the order of TF's libstdc++ heap; graphs and errors as TF's
    (a closed queue's dequeue_up_to of more than it holds fails, as TF's, after taking them)."""
    import tensorflow as tf

    (tf_nodes, theirs), (tm_nodes, ours) = _priority_play(tf1, tf.errors.OpError), _priority_play(tm, errors.OpError)
    assert tm_nodes == tf_nodes
    assert [o[0] for o in ours] == [t[0] for t in theirs]
    for o, t in zip(ours, theirs):
        if o[0] != "ok" or t[1] is None:
            assert o[1] == t[1]
            continue
        for a, b in zip(o[1] if isinstance(o[1], list) else [o[1]], t[1] if isinstance(t[1], list) else [t[1]]):
            assert np.asarray(a).dtype == np.asarray(b).dtype
            np.testing.assert_array_equal(a, b)
    with tm.Graph().as_default(), pytest.raises(TypeError, match="Expected list for 'shapes'"):
        tm.PriorityQueue(3, [tm.int32])
