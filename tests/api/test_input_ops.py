"""TF1 queue input pipelines against TensorFlow: TF's graphs, the same batches from TFRecord files TF wrote,
QUEUE_RUNNERS through MetaGraphs both ways, readers' keys and errors, a dead reader thread reaching sess.run."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.ops.samples_parsing import example
from torchmeta import errors


def _nodes(graph):
    return [
        (n.name, n.op, list(n.input), n.device, {k: v.SerializeToString(deterministic=True) for k, v in n.attr.items()})
        for n in graph.as_graph_def().node
    ]


@pytest.fixture
def record_files(tmp_path, tf1):
    """Three TFRecord files of Examples written by TensorFlow (x: float[2], label: int64)."""
    import tensorflow as tf

    paths = []
    for f in range(3):
        path = str(tmp_path / f"data-{f}.tfrecord")
        with tf.io.TFRecordWriter(path) as w:
            for k in range(4 + f):
                w.write(example(x=[float(f), float(k)], label=[10 * f + k]))
        paths.append(path)
    return paths


def _pipeline(tf, files, shuffle_batch=False):
    filenames = tf.train.string_input_producer(files, num_epochs=2, shuffle=False, name="files")
    reader = tf.TFRecordReader()
    key, value = reader.read(filenames)
    parsed = tf.parse_single_example(
        value, {"x": tf.FixedLenFeature([2], tf.float32), "label": tf.FixedLenFeature([], tf.int64)}
    )
    if shuffle_batch:
        return tf.train.shuffle_batch([parsed["x"], parsed["label"], key], 4, capacity=20, min_after_dequeue=5, seed=7)
    return tf.train.batch([parsed["x"], parsed["label"], key], 4, allow_smaller_final_batch=True)


def _drain(tf, sess, fetch, error):
    out = []
    threads = tf.train.start_queue_runners(sess)
    try:
        while True:
            out.append(sess.run(fetch))
    except error:
        pass
    for t in threads:
        t.join(10)
    return out


def test_pipeline_graph_matches_tf(tf1, record_files):
    tg, mg = tf1.Graph(), tm.Graph()
    with tg.as_default():
        _pipeline(tf1, record_files, shuffle_batch=True)
    with mg.as_default():
        _pipeline(tm, record_files, shuffle_batch=True)
    assert _nodes(mg) == _nodes(tg)
    assert [qr.to_proto().SerializeToString() for qr in mg.get_collection("queue_runners")] == [
        qr.to_proto().SerializeToString() for qr in tg.get_collection("queue_runners")
    ]


def test_same_batches_as_tf_from_tf_records(tf1, record_files):
    import tensorflow as tf

    results = []
    for framework, error in ((tf1, tf.errors.OutOfRangeError), (tm, errors.OutOfRangeError)):
        with framework.Graph().as_default():
            fetch = _pipeline(framework, record_files)
            with framework.Session() as sess:
                sess.run(framework.local_variables_initializer())
                results.append(_drain(framework, sess, fetch, error))
    theirs, ours = results
    assert len(ours) == len(theirs) == 8  # 2 epochs x 15 records = 7 batches of 4 and one of 2
    for o, t in zip(ours, theirs):
        for a, b in zip(o, t):
            np.testing.assert_array_equal(a, b)
    assert ours[0][2][0].decode().endswith("data-0.tfrecord:0")  # TF's reader keys: file:offset


def test_match_filenames_once_feeds_string_input_producer_as_tf(tf1, record_files):
    """The TF1 idiom string_input_producer(match_filenames_once(pattern)): the local variable (MatchingFiles as
    its initial value, not shape-validated) node for node as TF builds it, and the same batches (a ref variable
    is truthy, as TF's: the producer tests ``not string_tensor``; a resource variable refuses)."""
    import os

    import tensorflow as tf

    pattern = os.path.join(os.path.dirname(record_files[0]), "data-*.tfrecord")
    results, graphs = [], []
    for framework, error in ((tf1, tf.errors.OutOfRangeError), (tm, errors.OutOfRangeError)):
        with framework.Graph().as_default() as g:
            files = framework.train.match_filenames_once(pattern)
            assert bool(files) and files.name == "matching_filenames:0"
            fetch = _pipeline(framework, files)
            with framework.Session() as sess:
                sess.run(framework.local_variables_initializer())
                assert [f.decode() for f in sess.run(files)] == sorted(record_files)
                results.append(_drain(framework, sess, fetch, error))
        graphs.append(_nodes(g))
        with framework.Graph().as_default():
            with pytest.raises(TypeError, match="as a Python `bool` is not allowed"):
                bool(framework.Variable(1.0, use_resource=True))
    assert graphs[1] == graphs[0]
    theirs, ours = results
    assert len(ours) == len(theirs) == 8
    for o, t in zip(ours, theirs):
        for a, b in zip(o, t):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("allow_smaller_final_batch", [False, True])
def test_shuffle_batch_gives_tfs_batches(tf1, allow_smaller_final_batch):
    """tf.train.shuffle_batch's queue fed by its runner's enqueue op run step by step (a running QueueRunner
    thread makes the queue's size at each dequeue a matter of timing, in TF too): TF's batches."""

    def run(tf):
        with tf.Graph().as_default():
            tf.set_random_seed(5)
            x = tf.placeholder(tf.float32, [2], name="x")
            label = tf.placeholder(tf.int64, [], name="label")
            batch = tf.train.shuffle_batch(
                [x, label], 4, capacity=30, min_after_dequeue=6, allow_smaller_final_batch=allow_smaller_final_batch
            )
            (runner,) = tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)
            got = []
            with tf.Session() as sess:
                for k in range(25):
                    sess.run(runner.enqueue_ops[0], {x: [k, -k], label: k})
                    if k % 4 == 3 and k > 10:  # 12 queued: 4 taken, min_after_dequeue + 2 stay
                        got.append(sess.run(batch))
                sess.run(runner.close_op)
                try:
                    while True:
                        got.append(sess.run(batch))
                except Exception as e:  # OutOfRangeError of either framework
                    assert type(e).__name__ == "OutOfRangeError"
            return got

    theirs, ours = run(tf1), run(tm)
    assert len(ours) == len(theirs) == (7 if allow_smaller_final_batch else 6)
    for (ox, ol), (tx, tl) in zip(ours, theirs):
        np.testing.assert_array_equal(ox, tx)
        np.testing.assert_array_equal(ol, tl)


def test_shuffle_batch_draws_every_record_at_most_once_per_epoch(tf1, record_files):
    def run():
        with tm.Graph().as_default():
            fetch = _pipeline(tm, record_files, shuffle_batch=True)
            with tm.Session() as sess:
                sess.run(tm.local_variables_initializer())
                return [b[1].tolist() for b in _drain(tm, sess, fetch, errors.OutOfRangeError)]

    first = run()
    labels = [label for batch in first for label in batch]
    every = {10 * f + k for f in range(3) for k in range(4 + f)}
    # 2 epochs x 15 records: 7 full batches, the 2 leftovers stay queued; no record more than twice.
    assert len(labels) == 28 and set(labels) <= every and max(labels.count(v) for v in every) <= 2


def test_queue_runners_round_trip_through_meta_graphs(tf1, record_files, tmp_path):
    """TF's exported pipeline runs here (our threads) and ours runs in TF, giving the same batches."""
    import tensorflow as tf

    tg = tf1.Graph()
    with tg.as_default():
        fetch = _pipeline(tf1, record_files)
        names = [t.name for t in fetch]
        tf1.train.export_meta_graph(filename=str(tmp_path / "tf.meta"))
        with tf1.Session() as sess:
            sess.run(tf1.local_variables_initializer())
            expected = _drain(tf1, sess, names, tf.errors.OutOfRangeError)
    mg = tm.Graph()
    with mg.as_default():
        tm.train.import_meta_graph(str(tmp_path / "tf.meta"))
        assert len(mg.get_collection("queue_runners")) == 2
        with tm.Session() as sess:
            sess.run(tm.local_variables_initializer())
            ours = _drain(tm, sess, names, errors.OutOfRangeError)
        tm.train.export_meta_graph(filename=str(tmp_path / "tm.meta"))
    tg2 = tf1.Graph()
    with tg2.as_default():
        tf1.train.import_meta_graph(str(tmp_path / "tm.meta"))
        with tf1.Session() as sess:
            sess.run(tf1.local_variables_initializer())
            again = _drain(tf1, sess, names, tf.errors.OutOfRangeError)
    for batches in (ours, again):
        assert len(batches) == len(expected)
        for o, t in zip(batches, expected):
            for a, b in zip(o, t):
                np.testing.assert_array_equal(a, b)


def test_slice_and_range_producers_and_batch_join(tf1):
    import tensorflow as tf

    def build(framework):
        data = np.arange(12, dtype=np.float32).reshape(6, 2)
        x, y = framework.train.slice_input_producer([data, np.arange(6)], num_epochs=1, shuffle=False)
        r = framework.train.range_input_producer(5, num_epochs=1, shuffle=False).dequeue()
        joined = framework.train.batch_join([[x, y], [x + 100, y + 100]], 3, allow_smaller_final_batch=True)
        return joined, r

    results = []
    for framework, error in ((tf1, tf.errors.OutOfRangeError), (tm, errors.OutOfRangeError)):
        with framework.Graph().as_default():
            joined, r = build(framework)
            with framework.Session() as sess:
                sess.run(framework.local_variables_initializer())
                batches = _drain(framework, sess, joined, error)
                results.append(sorted(int(v) % 100 for b in batches for v in b[1]))
    # Each of the 6 rows is dequeued once, by whichever of the two joined enqueue threads gets it.
    assert results[0] == results[1] == list(range(6))


def test_readers(tmp_path):
    text = tmp_path / "a.txt"
    text.write_bytes(b"header\nline one\r\nline two\n")
    raw = tmp_path / "b.bin"
    raw.write_bytes(b"HHabcdefgFF")
    with tm.Graph().as_default():
        files = tm.train.string_input_producer([str(text)], num_epochs=1, shuffle=False)
        k1, v1 = tm.TextLineReader(skip_header_lines=1).read(files)
        whole = tm.train.string_input_producer([str(raw)], num_epochs=1, shuffle=False)
        k2, v2 = tm.WholeFileReader().read(whole)
        fixed_q = tm.train.string_input_producer([str(raw)], num_epochs=1, shuffle=False)
        reader = tm.FixedLengthRecordReader(record_bytes=3, header_bytes=2, footer_bytes=2)
        k3, v3 = reader.read_up_to(fixed_q, 5)
        with tm.Session() as sess:
            sess.run(tm.local_variables_initializer())
            tm.train.start_queue_runners(sess)
            assert sess.run([k1, v1]) == [f"{text}:2".encode(), b"line one"]
            assert sess.run(v1) == b"line two"
            assert sess.run([k2, v2]) == [str(raw).encode(), b"HHabcdefgFF"]
            keys, values = sess.run([k3, v3])
            assert values.tolist() == [b"abc", b"def"] and keys[1] == f"{raw}:1".encode()
            assert sess.run(reader.num_records_produced()) == 2
            with pytest.raises(errors.OutOfRangeError):
                sess.run(v1)


def test_dead_reader_thread_error_reaches_sess_run(tmp_path):
    """A corrupt TFRecord kills the reading QueueRunner thread: sess.run raises its DataLossError (with file and
    offset), it does not hang."""
    path = tmp_path / "bad.tfrecord"
    with tm.io.TFRecordWriter(str(path)) as w:
        w.write(b"good")
        w.write(b"second")
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    with tm.Graph().as_default():
        files = tm.train.string_input_producer([str(path)], shuffle=False)
        _, value = tm.TFRecordReader().read(files)
        batch = tm.train.batch([value], 2)
        with tm.Session() as sess:
            threads = tm.train.start_queue_runners(sess)
            with pytest.raises(errors.DataLossError, match=rf"corrupted record at 32 in file {path}"):
                sess.run(batch)
            sess.close()
            for t in threads:
                t.join(10)
                assert not t.is_alive()


def test_missing_file_is_not_found(tmp_path):
    with tm.Graph().as_default():
        files = tm.train.string_input_producer([str(tmp_path / "missing")], shuffle=False)
        _, value = tm.TFRecordReader().read(files)
        with tm.Session() as sess:
            threads = tm.train.start_queue_runners(sess)
            with pytest.raises(errors.NotFoundError, match="missing; No such file or directory"):
                sess.run(value)
            sess.close()
            for t in threads:
                t.join(10)


def test_reader_reset_and_records_produced_as_tf(tf1, record_files):
    """ReaderResetV2 zeroes num_records_produced and drops the current file: the next read starts the next one."""
    import tensorflow as tf

    results = []
    for framework, error in ((tf1, tf.errors.OutOfRangeError), (tm, errors.OutOfRangeError)):
        with framework.Graph().as_default():
            queue = framework.FIFOQueue(5, framework.string)
            fill = queue.enqueue_many([record_files])
            close = queue.close()
            reader = framework.TFRecordReader()
            key, _ = reader.read(queue)
            produced = reader.num_records_produced()
            reset = reader.reset()
            out = []
            with framework.Session() as sess:
                sess.run(fill)
                sess.run(close)
                out += [sess.run(key), sess.run(key), sess.run(produced)]
                sess.run(reset)
                out += [sess.run(produced), sess.run(key), sess.run(produced)]
                try:
                    while True:
                        out.append(sess.run(key))
                except error:
                    out.append("end")
            results.append(
                [v.decode().rsplit("/", 1)[-1] if isinstance(v, bytes) else int(v) if v != "end" else v for v in out]
            )
    assert results[1] == results[0]


@pytest.mark.parametrize("resource", [False, True])
def test_count_up_to_as_tf(tf1, resource):
    import tensorflow as tf

    results = []
    for framework, error in ((tf1, tf.errors.OutOfRangeError), (tm, errors.OutOfRangeError)):
        with framework.Graph().as_default() as g:
            v = framework.Variable(np.int64(0), use_resource=resource, name="v")
            count = v.count_up_to(3)
            ops = sorted({op.type for op in g.get_operations() if "CountUpTo" in op.type})
            with framework.Session() as sess:
                sess.run(v.initializer)
                out = [int(sess.run(count)) for _ in range(3)]
                with pytest.raises(error) as info:
                    sess.run(count)
                results.append((ops, out, int(sess.run(v)), str(info.value)))
    assert results[1][:3] == results[0][:3]
    assert results[0][0] == (["ResourceCountUpTo"] if resource else ["CountUpTo"])
    assert "Reached limit of 3" in results[1][3] and "Reached limit of 3" in results[0][3]


def _maybe_pipeline(framework, kind):
    """A maybe_* batcher over slice_input_producer's rows: a scalar keep_input (the even rows; a cond around
    the enqueue) or, with enqueue_many, a vector of them (DynamicPartition of the kept rows)."""
    train = framework.train
    data = np.arange(12, dtype=np.float32).reshape(6, 2)
    x, y = train.slice_input_producer([data, np.arange(6)], num_epochs=1, shuffle=False)
    keep = framework.equal(y % 2, 0)
    if kind == "maybe_batch":
        return train.maybe_batch([x, y], keep, 2, allow_smaller_final_batch=True)
    if kind == "maybe_batch_join":
        return train.maybe_batch_join([[x, y], [x + 100, y + 100]], keep, 2, allow_smaller_final_batch=True)
    if kind == "maybe_shuffle_batch":
        return train.maybe_shuffle_batch([x, y], 2, 10, 1, keep, seed=3, allow_smaller_final_batch=True)
    if kind == "maybe_shuffle_batch_join":
        return train.maybe_shuffle_batch_join([[x, y]], 2, 10, 1, keep, seed=3, allow_smaller_final_batch=True)
    rows = framework.stack([y, y + 10])
    return train.maybe_batch(
        [rows],
        framework.stack([keep, framework.logical_not(keep)]),
        3,
        enqueue_many=True,
        allow_smaller_final_batch=True,
    )


@pytest.mark.parametrize(
    "kind", ["maybe_batch", "maybe_batch_join", "maybe_shuffle_batch", "maybe_shuffle_batch_join", "vector"]
)
def test_maybe_batchers_as_tf(tf1, kind):
    import tensorflow as tf

    graphs, results = [], []
    for framework, error in ((tf1, tf.errors.OutOfRangeError), (tm, errors.OutOfRangeError)):
        with framework.Graph().as_default() as graph:
            fetch = _maybe_pipeline(framework, kind)
            graphs.append(_nodes(graph))
            with framework.Session() as sess:
                sess.run(framework.local_variables_initializer())
                batches = _drain(framework, sess, fetch, error)
                rows = [np.asarray(b if kind == "vector" else b[1]).ravel().tolist() for b in batches]
                results.append(sorted(int(v) % 100 for r in rows for v in r))
    assert graphs[1] == graphs[0]
    assert results[1] == results[0]
    assert results[0] == ([0, 2, 4, 11, 13, 15] if kind == "vector" else [0, 2, 4])


def test_maybe_batch_keep_input_checks_as_tf(tf1):
    from tests.train.helpers import outcome

    def attempt(framework, keep, enqueue_many):
        with framework.Graph().as_default():
            x = framework.constant([1.0, 2.0])
            return outcome(framework.train.maybe_batch, [x], keep, 2, enqueue_many=enqueue_many)[0:2]

    for keep, many in (([True, False], False), ([[True]], True)):
        expected = attempt(tf1, keep, many)
        assert expected[0] == "ValueError"
        assert attempt(tm, keep, many) == expected
