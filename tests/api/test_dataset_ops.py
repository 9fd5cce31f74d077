"""tf.data in graphs against TensorFlow: TF's dataset and iterator ops node for node, the same elements in the same
order (seeded shuffles in TF's exact order), graphs run in the other framework, TF's errors at the end of the data
and on bad input, TFRecord files TF wrote."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import torchmeta as tm
from torchmeta import errors

X = np.arange(20, dtype=np.float32).reshape(10, 2)
Y = np.arange(10, dtype=np.int64)


def _v1data(tf):
    return tf.compat.v1.data if hasattr(tf, "compat") and tf is not tm else tm.data


def _data(tf):
    """The ``tf.data`` a TF1 program reaches: ``tf.compat.v1.data`` in TensorFlow (DatasetV1, whose map writes
    preserve_cardinality=false), ``tm.data`` here."""
    import tensorflow

    return tensorflow.compat.v1.data if tf is not tm else tm.data


def _nodes(graph):
    out = []
    for n in graph.as_graph_def().node:
        attrs = {k: v.SerializeToString(deterministic=True) for k, v in n.attr.items()}
        out.append((n.name, n.op, list(n.input), n.device, attrs))
    return out


PIPELINES = {
    "slices-batch-repeat": lambda d: d.Dataset.from_tensor_slices((X, Y)).batch(3).repeat(2),
    "slices-drop-remainder-prefetch": lambda d: (
        d.Dataset.from_tensor_slices({"x": X, "y": Y}).batch(4, drop_remainder=True).prefetch(2)
    ),
    "range-take-skip": lambda d: d.Dataset.range(3, 20, 2).take(6).skip(2),
    "range-dtype": lambda d: d.Dataset.range(5, output_type=np.int32),
    "zip-concatenate": lambda d: d.Dataset.zip((d.Dataset.range(4), d.Dataset.from_tensor_slices(X[:4]))).concatenate(
        d.Dataset.zip((d.Dataset.range(2), d.Dataset.from_tensor_slices(X[4:6])))
    ),
    "from-tensors-repeat": lambda d: d.Dataset.from_tensors(({"a": [1.0, 2.0]}, np.int32(3))).repeat(3),
    "padded-batch": lambda d: d.Dataset.from_tensor_slices(np.arange(12).reshape(6, 2)).padded_batch(
        4, padded_shapes=[3], padding_values=np.int64(-1)
    ),
    "padded-batch-default": lambda d: d.Dataset.from_tensor_slices(
        (np.arange(6).reshape(3, 2), ["a", "bb", "c"])
    ).padded_batch(2),
    "cache-repeat": lambda d: d.Dataset.from_tensor_slices(Y).cache().repeat(2).batch(7),
    # Two iterators over one cached dataset at once (zip's components): each fills a cache of its own, the
    # first to finish completes the dataset's, which the later epochs read.
    "cache-zip-itself-repeat": lambda d: (lambda c: d.Dataset.zip((c, c)).repeat(3))(d.Dataset.range(3).cache()),
    "cache-zip-shifted-repeat": lambda d: (lambda c: d.Dataset.zip((c, c.skip(1))).repeat(2))(
        d.Dataset.from_tensor_slices(Y).cache()
    ),
    "cache-concatenate-itself": lambda d: (lambda c: c.concatenate(c).repeat(2))(
        d.Dataset.range(5).shuffle(5, seed=5).cache()
    ),
    "take-all-skip-none": lambda d: d.Dataset.from_tensor_slices(Y).take(-1).skip(0).batch(100),
    "strings": lambda d: d.Dataset.from_tensor_slices(np.array([b"a", b"bc", b""], dtype=object)).repeat(2).batch(4),
    "prefetch-autotune": lambda d: d.Dataset.from_tensor_slices(Y).prefetch(d.experimental.AUTOTUNE),
}


def _elements(tf, build, limit=200):
    g = tf.Graph()
    with g.as_default():
        dataset = build(_data(tf))
        iterator = _v1data(tf).make_initializable_iterator(dataset)
        nxt = iterator.get_next()
        import tensorflow

        end = tensorflow.errors.OutOfRangeError if tf is not tm else errors.OutOfRangeError
        out = []
        with tf.Session() as sess:
            sess.run(iterator.initializer)
            try:
                for _ in range(limit):
                    out.append(sess.run(nxt))
            except end as e:
                out.append(("end", str(e).split("\n")[-2 if tf is not tm else 0]))
    return g, out


def _assert_same_elements(ours, theirs):
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        if isinstance(t, tuple) and t and isinstance(t[0], str) and t[0] == "end":
            assert o[0] == "end"
            continue
        fo, ft = _flat(o), _flat(t)
        assert len(fo) == len(ft)
        for a, b in zip(fo, ft):
            assert np.asarray(a).dtype == np.asarray(b).dtype and np.shape(a) == np.shape(b)
            np.testing.assert_array_equal(a, b)


def _flat(x):
    if isinstance(x, dict):
        return [v for k in sorted(x) for v in _flat(x[k])]
    if isinstance(x, (tuple, list)):
        return [v for item in x for v in _flat(item)]
    return [x]


@pytest.mark.parametrize("case", list(PIPELINES))
def test_same_graph_and_elements_as_tf(tf1, case):
    tg, theirs = _elements(tf1, PIPELINES[case])
    mg, ours = _elements(tm, PIPELINES[case])
    assert _nodes(mg) == _nodes(tg)
    _assert_same_elements(ours, theirs)
    assert ours[-1] == ("end", "End of sequence")


def _shuffled(tf, seed, graph_seed=None, epochs=3, reshuffle=None, n=50, buffer_size=20, inits=1):
    g = tf.Graph()
    with g.as_default():
        if graph_seed is not None:
            tf.set_random_seed(graph_seed)
        dataset = _data(tf).Dataset.range(n).shuffle(buffer_size, seed=seed, reshuffle_each_iteration=reshuffle)
        iterator = _v1data(tf).make_initializable_iterator(dataset.repeat(epochs))
        nxt = iterator.get_next()
        out = []
        with tf.Session() as sess:
            for _ in range(inits):
                sess.run(iterator.initializer)
                out.append([int(sess.run(nxt)) for _ in range(n * epochs)])
        return g, out if inits > 1 else out[0]


@pytest.mark.parametrize(("seed", "graph_seed"), [(7, None), (None, 3), (11, 5)])
def test_seeded_shuffle_is_tfs_order(tf1, seed, graph_seed):
    """Each epoch of a reshuffling shuffle takes new seeds from the dataset's seed generator, as TF's."""
    tg, theirs = _shuffled(tf1, seed, graph_seed)
    mg, ours = _shuffled(tm, seed, graph_seed)
    assert _nodes(mg) == _nodes(tg)
    assert ours == theirs
    assert ours[:50] != ours[50:100] and ours[:50] != list(range(50))


@pytest.mark.parametrize(
    ("n", "buffer_size", "seed", "reshuffle"),
    [
        (10, 4, 1, True),
        (10, 4, 1, False),
        (30, 100, 3, True),
        (20, 1, 5, True),
        (100, 10, -11, False),
        (64, 64, 2**40, True),
    ],
)
def test_shuffle_buffers_and_seeds_as_tf(tf1, n, buffer_size, seed, reshuffle):
    """Buffers smaller than, equal to and larger than the input, no shuffle at all (1), negative and 64-bit
    seeds; a re-initialized iterator starts the seed generator again."""
    theirs = _shuffled(tf1, seed, n=n, buffer_size=buffer_size, epochs=2, reshuffle=reshuffle, inits=2)[1]
    ours = _shuffled(tm, seed, n=n, buffer_size=buffer_size, epochs=2, reshuffle=reshuffle, inits=2)[1]
    assert ours == theirs
    assert ours[0] == ours[1]
    assert (ours[0][:n] == ours[0][n:]) == (not reshuffle or buffer_size == 1)


def test_shuffled_batches_are_tfs(tf1):
    """from_tensor_slices -> shuffle -> repeat -> batch runs on row indices here; the batches are TF's."""

    def run(tf):
        with tf.Graph().as_default():
            tf.set_random_seed(9)
            data = _data(tf).Dataset.from_tensor_slices((X, Y)).shuffle(6).repeat(2).batch(3)
            iterator = _v1data(tf).make_initializable_iterator(data)
            nxt = iterator.get_next()
            with tf.Session() as sess:
                sess.run(iterator.initializer)
                return [sess.run(nxt) for _ in range(7)]

    for (tx, ty), (mx, my) in zip(run(tf1), run(tm)):
        np.testing.assert_array_equal(mx, tx)
        np.testing.assert_array_equal(my, ty)


@pytest.mark.parametrize(
    ("n", "buffer_size", "count", "seed"), [(10, 4, 3, 2), (10, 25, 4, 2), (30, 8, 2, 4), (5, 3, None, 9)]
)
def test_shuffle_and_repeat_is_tfs_order(tf1, n, buffer_size, count, seed):
    """TF 2.21's ShuffleAndRepeatDataset drains each epoch before the next and reseeds it from the seed
    generator, as shuffle().repeat() does."""

    def run(tf):
        with tf.Graph().as_default():
            shuffle_and_repeat = _data(tf).experimental.shuffle_and_repeat(buffer_size, count, seed=seed)
            data = _data(tf).Dataset.range(n).apply(shuffle_and_repeat)
            iterator = _v1data(tf).make_initializable_iterator(data)
            get = iterator.get_next()
            with tf.Session() as sess:
                sess.run(iterator.initializer)
                return [int(sess.run(get)) for _ in range(n * (count or 6))]

    assert run(tm) == run(tf1)


def test_unseeded_shuffle_without_reshuffle_repeats_its_order():
    """Seeds (0, 0) draw two random seeds once per dataset (TF's RandomSeeds): without reshuffling every
    epoch has that one order."""
    _, ours = _shuffled(tm, None, reshuffle=False)
    assert ours[:50] == ours[50:100] == ours[100:] != list(range(50))


def test_reinitializable_and_feedable_iterators(tf1):
    import tensorflow

    def run(tf):
        data = _data(tf)
        v1 = _v1data(tf)
        train = data.Dataset.range(5)
        valid = data.Dataset.range(100, 103)
        it = v1.Iterator.from_structure(v1.get_output_types(train), v1.get_output_shapes(train))
        nxt = it.get_next()
        init_train, init_valid = it.make_initializer(train), it.make_initializer(valid)
        handle = tf.placeholder(tf.string, [])
        feedable = v1.Iterator.from_string_handle(handle, v1.get_output_types(train), v1.get_output_shapes(train))
        fnext = feedable.get_next()
        a = v1.make_initializable_iterator(data.Dataset.range(10, 13))
        b = v1.make_initializable_iterator(data.Dataset.range(20, 23))
        out = []
        with tf.Session() as sess:
            sess.run(init_train)
            out += [int(sess.run(nxt)) for _ in range(2)]
            sess.run(init_valid)
            out += [int(sess.run(nxt)) for _ in range(3)]
            sess.run([a.initializer, b.initializer])
            ha, hb = sess.run([a.string_handle(), b.string_handle()])
            out += [
                int(sess.run(fnext, {handle: ha})),
                int(sess.run(fnext, {handle: hb})),
                int(sess.run(fnext, {handle: ha})),
            ]
            end = tensorflow.errors.OutOfRangeError if tf is not tm else errors.OutOfRangeError
            with pytest.raises(end):
                sess.run(nxt)
        return out

    with tf1.Graph().as_default():
        theirs = run(tf1)
    with tm.Graph().as_default():
        ours = run(tm)
    assert ours == theirs == [0, 1, 100, 101, 102, 10, 20, 11]


def test_graphs_run_in_the_other_framework(tf1):
    """TF's tf.data graph (as a GraphDef) runs here; ours runs in TF; the same elements."""
    import tensorflow

    build = PIPELINES["slices-batch-repeat"]
    for source, target in ((tf1, tm), (tm, tf1)):
        g = source.Graph()
        with g.as_default():
            it = _v1data(source).make_initializable_iterator(build(_data(source)))
            nxt = it.get_next()
            names = [t.name for t in nxt]
            init = it.initializer.name
        graph_def = g.as_graph_def().SerializeToString()
        tg = target.Graph()
        with tg.as_default():
            if target is tm:
                tm.import_graph_def(_our_graph_def(graph_def), name="")
            else:
                tf1.import_graph_def(tf1.GraphDef.FromString(graph_def), name="")
            with target.Session() as sess:
                sess.run(init)
                got = [sess.run(names) for _ in range(8)]
                end = tensorflow.errors.OutOfRangeError if target is not tm else errors.OutOfRangeError
                with pytest.raises(end):
                    sess.run(names)
        expected = _elements(tm, build)[1][:8]
        _assert_same_elements(got, [tuple(e) for e in expected])


def _our_graph_def(data):
    from torchmeta._proto import graph_pb2

    return graph_pb2.GraphDef.FromString(data)


def test_errors_match_tf(tf1):
    import tensorflow

    def uninitialized(tf, error):
        with tf.Graph().as_default():
            it = _v1data(tf).make_initializable_iterator(_data(tf).Dataset.range(3))
            with tf.Session() as sess, pytest.raises(error) as info:
                sess.run(it.get_next())
        return [line for line in info.value.message.split("\n") if line.strip() and not line.startswith("\t")][-1]

    assert uninitialized(tm, errors.FailedPreconditionError) == uninitialized(
        tf1, tensorflow.errors.FailedPreconditionError
    )

    def bad_batch(tf, error):
        with tf.Graph().as_default():
            d = _data(tf).Dataset
            ds = d.from_tensors([1, 2]).concatenate(d.from_tensors([3])).batch(2) if False else None
            ragged = d.from_tensors(np.zeros([2], np.int32)).concatenate(d.from_tensors(np.zeros([3], np.int32)))
            it = _v1data(tf).make_initializable_iterator(ragged.batch(2))
            with tf.Session() as sess:
                sess.run(it.initializer)
                with pytest.raises(error) as info:
                    sess.run(it.get_next())
        del ds
        return [line for line in info.value.message.split("\n") if line.strip() and not line.startswith("\t")][-1]

    assert bad_batch(tm, errors.InvalidArgumentError) == bad_batch(tf1, tensorflow.errors.InvalidArgumentError)


def test_errors_inside_the_pipeline_reach_get_next_as_in_tf(tf1):
    """A failing element (batching different shapes) surfaces at get_next, through prefetch too; what follows
    it is TF's (the next batch, then the end)."""
    import tensorflow

    def run(tf, error_base):
        with tf.Graph().as_default():
            d = _data(tf).Dataset
            ragged = d.from_tensors(np.zeros([2], np.int32)).concatenate(d.from_tensors(np.zeros([3], np.int32)))
            good = d.from_tensor_slices(np.arange(4, dtype=np.int32).reshape(2, 2))
            it = _v1data(tf).make_initializable_iterator(
                good.concatenate(ragged).concatenate(good).batch(2).prefetch(1)
            )
            nxt = it.get_next()
            out = []
            with tf.Session() as sess:
                sess.run(it.initializer)
                for _ in range(4):
                    try:
                        out.append(sess.run(nxt).tolist())
                    except error_base as e:
                        out.append(type(e).__name__)
        return out

    theirs = run(tf1, tensorflow.errors.OpError)
    ours = run(tm, errors.OpError)
    assert ours == theirs
    assert "InvalidArgumentError" in ours


def test_cache_keeps_no_failed_element_as_in_tf(tf1):
    """An element whose production failed is not cached (TF's MemoryWriterIterator returns the error before
    caching), so the epochs read from the cache skip it."""
    import tensorflow

    def run(tf, error_base):
        with tf.Graph().as_default():
            values = _data(tf).Dataset.from_tensor_slices(np.array([1.0, 0.0, 2.0], np.float32))
            inverted = values.map(lambda x: tf.check_numerics(1.0 / x, "infinite"))
            it = _v1data(tf).make_initializable_iterator(inverted.cache().repeat(3))
            nxt = it.get_next()
            out = []
            with tf.Session() as sess:
                sess.run(it.initializer)
                for _ in range(9):
                    try:
                        out.append(float(sess.run(nxt)))
                    except error_base as e:
                        out.append(type(e).__name__)
        return out

    theirs = run(tf1, tensorflow.errors.OpError)
    assert run(tm, errors.OpError) == theirs
    assert theirs.count("InvalidArgumentError") == 1 and theirs[-1] == "OutOfRangeError"


def test_batches_are_zero_copy_views_when_consecutive():
    with tm.Graph().as_default():
        it = tm.data.make_initializable_iterator(tm.data.Dataset.from_tensor_slices(X).batch(4))
        nxt = it.get_next()
        with tm.Session() as sess:
            sess.run(it.initializer)
            first = sess.run(nxt)
            np.testing.assert_array_equal(first, X[:4])
            assert first.flags.writeable is not None  # fetched values are numpy arrays as TF returns


def test_get_next_from_several_threads_sees_every_element_once():
    with tm.Graph().as_default():
        it = tm.data.make_initializable_iterator(tm.data.Dataset.range(400).prefetch(4))
        nxt = it.get_next()
        with tm.Session() as sess:
            sess.run(it.initializer)
            seen, lock = [], threading.Lock()

            def consume():
                while True:
                    try:
                        value = int(sess.run(nxt))
                    except errors.OutOfRangeError:
                        return
                    with lock:
                        seen.append(value)

            threads = [threading.Thread(target=consume) for _ in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert sorted(seen) == list(range(400))


# -- TFRecord files through the TFRecordDataset op ------------------------------------------------------


def _record_dataset(filenames, compression=""):
    return tm.data.TFRecordDataset(filenames, compression_type=compression)


def test_text_line_and_fixed_length_datasets(tmp_path):
    text = tmp_path / "t.txt"
    text.write_bytes(b"a\r\nbb\n\nccc")
    fixed = tmp_path / "f.bin"
    fixed.write_bytes(b"H" + b"0123456789" + b"FF")
    with tm.Graph().as_default():
        lines = tm.data.make_initializable_iterator(tm.data.TextLineDataset([str(text)]))
        records = tm.data.make_initializable_iterator(
            tm.data.FixedLengthRecordDataset(str(fixed), 3, header_bytes=1, footer_bytes=2).batch(5)
        )
        with tm.Session() as sess:
            sess.run([lines.initializer, records.initializer])
            assert [sess.run(lines.get_next()) for _ in range(4)] == [b"a", b"bb", b"", b"ccc"]
            assert sess.run(records.get_next()).tolist() == [b"012", b"345", b"678"]


@pytest.mark.parametrize("compression", ["", "GZIP", "ZLIB"])
def test_tf_record_dataset_reads_tf_files(tf1, tmp_path, compression):
    import tensorflow

    paths = []
    for f in range(2):
        path = str(tmp_path / f"r{f}.tfrecord")
        with tensorflow.io.TFRecordWriter(path, compression) as w:
            for k in range(3):
                w.write(f"file{f}-record{k}".encode() * (k + 1))
        paths.append(path)
    with tm.Graph().as_default():
        it = tm.data.make_initializable_iterator(_record_dataset(paths, compression).batch(2))
        nxt = it.get_next()
        with tm.Session() as sess:
            sess.run(it.initializer)
            got = [v for _ in range(3) for v in sess.run(nxt)]
    expected = [r for p in paths for r in tensorflow.compat.v1.io.tf_record_iterator(p, compression)]
    assert got == expected


def test_tf_record_dataset_errors(tmp_path):
    good = tmp_path / "good.tfrecord"
    with tm.io.TFRecordWriter(str(good)) as w:
        w.write(b"one")
        w.write(b"two")
    bad = tmp_path / "bad.tfrecord"
    data = bytearray(good.read_bytes())
    data[20] ^= 1  # the length crc of the second record (it starts at 19)
    bad.write_bytes(bytes(data))
    with tm.Graph().as_default():
        it = tm.data.make_initializable_iterator(_record_dataset([str(good), str(bad)]).prefetch(2))
        missing = tm.data.make_initializable_iterator(_record_dataset([str(tmp_path / "missing.tfrecord")]))
        nxt, mnext = it.get_next(), missing.get_next()
        with tm.Session() as sess:
            sess.run([it.initializer, missing.initializer])
            assert [sess.run(nxt) for _ in range(3)] == [b"one", b"two", b"one"]
            with pytest.raises(errors.DataLossError, match=rf"^corrupted record at 19 in file {bad}"):
                sess.run(nxt)
            with pytest.raises(errors.NotFoundError, match=r"missing\.tfrecord; No such file or directory"):
                sess.run(mnext)


def _files(tmp_path, names):
    for name in names:
        (tmp_path / name).write_bytes(b"")
    return str(tmp_path)


@pytest.mark.parametrize(
    "kwargs", [{"shuffle": False}, {"seed": 3}, {"seed": 11}, {}], ids=["in-order", "seed-3", "seed-11", "unseeded"]
)
def test_list_files_as_tf(tf1, tmp_path, kwargs):
    """Dataset.list_files: MatchingFiles (sorted, hidden files included, several patterns), its Assert and a
    TensorSliceDataset(is_files) node for node as TF builds them; TF's elements, seeded shuffles in TF's order."""
    import os

    d = _files(tmp_path, ["b.rec", "a.rec", "c.rec", "x.txt", ".h.rec", "ab.rec", "d.rec"])
    patterns = [os.path.join(d, "*.rec"), os.path.join(d, "x*")]

    def build(data):
        return data.Dataset.list_files(patterns, **kwargs)

    tg, theirs = _elements(tf1, build)
    mg, ours = _elements(tm, build)
    assert _nodes(mg) == _nodes(tg)
    if kwargs:
        _assert_same_elements(ours, theirs)
    else:  # random seeds: the same files
        assert sorted(ours[:-1]) == sorted(theirs[:-1]) and len(ours) == len(theirs) == 8
    assert sorted(ours[:-1]) == [
        os.path.join(d, n).encode() for n in sorted(["b.rec", "a.rec", "c.rec", "x.txt", ".h.rec", "ab.rec", "d.rec"])
    ]


def test_list_files_without_a_match_fails_as_tf(tf1, tmp_path):
    import os

    import tensorflow

    patterns = [os.path.join(str(tmp_path), "*.zz"), os.path.join(str(tmp_path), "nothing", "q*")]
    messages = []
    for fw, error in ((tf1, tensorflow.errors.InvalidArgumentError), (tm, errors.InvalidArgumentError)):
        with fw.Graph().as_default():
            it = _v1data(fw).make_initializable_iterator(_data(fw).Dataset.list_files(patterns))
            with fw.Session() as sess:
                with pytest.raises(error) as info:
                    sess.run(it.initializer)
        messages.append([line for line in str(info.value).splitlines() if line.startswith("assertion failed")])
    assert messages[0] == messages[1] == [f"assertion failed: [No files matched pattern: {', '.join(patterns)}]"]


def test_matching_files_as_tf(tf1, tmp_path):
    import os

    d = _files(tmp_path, ["b.txt", "a.txt", "c.bin"])
    pattern = os.path.join(d, "*.txt")
    values = []
    for fw in (tf1, tm):
        with fw.Graph().as_default():
            scalar, vector = fw.io.matching_files(pattern), fw.matching_files([pattern, os.path.join(d, "*.bin")])
            with fw.Session() as sess:
                values.append([list(v) for v in sess.run([scalar, vector])])
            assert scalar.shape.as_list() == [None]
    assert (
        values[0]
        == values[1]
        == [
            [os.path.join(d, "a.txt").encode(), os.path.join(d, "b.txt").encode()],
            [os.path.join(d, n).encode() for n in ("a.txt", "b.txt", "c.bin")],
        ]
    )


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("prefetch", [0, 2])
def test_cuda_sessions_get_batches_on_the_gpu(prefetch):
    """On a CUDA session the batches arrive on the GPU (pinned memory and the prefetch thread's stream)."""
    with tm.Graph().as_default():
        data = tm.data.Dataset.from_tensor_slices((X, Y)).shuffle(5, seed=3).batch(4)
        if prefetch:
            data = data.prefetch(prefetch)
        it = tm.data.make_initializable_iterator(data)
        x, y = it.get_next()
        total = tm.reduce_sum(x) + tm.cast(tm.reduce_sum(y), tm.float32)
        with tm.Session(config=tm.ConfigProto(device="cuda")) as sess:
            sess.run(it.initializer)
            got = [float(sess.run(total)) for _ in range(3)]
            pipeline = next(iter(sess._state.resources.values()))._pipeline
            first = pipeline.get_next()
            assert all(c.device.type == "cuda" for c in first)
    with tm.Graph().as_default():
        data = tm.data.Dataset.from_tensor_slices((X, Y)).shuffle(5, seed=3).batch(4)
        it = tm.data.make_initializable_iterator(data)
        x, y = it.get_next()
        total = tm.reduce_sum(x) + tm.cast(tm.reduce_sum(y), tm.float32)
        with tm.Session() as sess:
            sess.run(it.initializer)
            expected = [float(sess.run(total)) for _ in range(3)]
    assert got == expected


def test_a_get_next_step_is_specialized_on_the_batch_shapes_as_a_fed_step():
    """The iterator's next element is taken before the step's program runs and fed to it, so the program is
    specialized on the batch's shapes as a feed_dict step is (the last, partial batch gets its own); not when the
    run also uses the iterator otherwise (its initializer) or reads it through a fed string handle."""
    with tm.Graph().as_default():
        it = tm.data.make_initializable_iterator(tm.data.Dataset.from_tensor_slices((X, Y)).batch(4))
        x, y = it.get_next()
        out = tm.reduce_sum(x * 2.0, axis=1) + tm.cast(y, tm.float32)
        with tm.Session() as sess:
            sess.run(it.initializer)
            got = [sess.run(out) for _ in range(3)]
            with pytest.raises(errors.OutOfRangeError):
                sess.run(out)
            program = sess._programs.values()[-1]
            assert program.prelude is not None
            assert sorted(program.by_shapes) == [((2, 2), (2,)), ((4, 2), (4,))]
            _, nothing = sess.run([it.initializer, out])  # initializer and get_next in one run: not hoisted
            assert sess._programs.values()[-1].prelude is None
    expected = (X * 2.0).sum(axis=1) + Y
    np.testing.assert_allclose(np.concatenate(got), expected)
    np.testing.assert_allclose(nothing, expected[:4])
    with tm.Graph().as_default():
        handle = tm.placeholder(tm.string, [])
        feedable = tm.data.Iterator.from_string_handle(handle, tm.int64, [])
        nxt = feedable.get_next()
        source = tm.data.make_one_shot_iterator(tm.data.Dataset.range(3))
        with tm.Session() as sess:
            h = sess.run(source.string_handle())
            assert [sess.run(nxt, {handle: h}) for _ in range(3)] == [0, 1, 2]
            assert sess._programs.values()[-1].prelude is None


def test_element_spec_reprs_are_tfs(tf1):
    def specs(tf):
        with tf.Graph().as_default():
            d = _data(tf).Dataset
            pairs = d.from_tensor_slices((X, Y))
            return [
                repr(pairs.element_spec),
                str(pairs.element_spec[0]),
                repr(d.from_tensors(np.zeros([0], np.float32)).batch(2).element_spec),
                repr(d.from_tensors("a").element_spec),
            ]

    assert specs(tm) == specs(tf1)


def _shared_shuffle_programs(tf):
    """Programs that iterate one seeded shuffle (6 elements) several times at once or in turn."""
    data, v1 = _data(tf), _v1data(tf)

    def shuffled():
        return data.Dataset.range(6).shuffle(6, seed=1)

    def one_shot(dataset):
        return v1.make_one_shot_iterator(dataset).get_next(), None

    def initializable(*datasets):
        its = [v1.make_initializable_iterator(d) for d in datasets]
        return tuple(it.get_next() for it in its), [it.initializer for it in its]

    return {
        "zip_with_map_repeated": (lambda ds: one_shot(data.Dataset.zip((ds, ds.map(lambda x: x * 10))).repeat(2)), 12),
        "zip_of_repeats": (lambda ds: one_shot(data.Dataset.zip((ds.repeat(2), ds.map(lambda x: x + 10).repeat(2)))), 12),
        "concatenated_with_itself": (lambda ds: one_shot(ds.concatenate(ds)), 12),
        "flat_map_over_captured": (lambda ds: one_shot(data.Dataset.range(2).flat_map(lambda _: ds)), 12),
        "zip_inside_flat_map": (lambda ds: one_shot(data.Dataset.range(2).flat_map(lambda _: data.Dataset.zip((ds, ds)))), 12),
        "interleave_over_captured": (lambda ds: one_shot(data.Dataset.range(2).interleave(lambda _: ds, cycle_length=2)), 12),
        "two_iterators_of_maps": (lambda ds: initializable(ds.map(lambda x: x + 10), ds.map(lambda x: x + 20)), 6),
        "initializable_zip": (lambda ds: initializable(data.Dataset.zip((ds, ds)).repeat(2)), 12),
    }, shuffled  # fmt: skip


@pytest.mark.parametrize(
    "program",
    [
        "zip_with_map_repeated",
        "zip_of_repeats",
        "concatenated_with_itself",
        "flat_map_over_captured",
        "zip_inside_flat_map",
        "interleave_over_captured",
        "two_iterators_of_maps",
        "initializable_zip",
    ],
)
def test_a_shuffle_iterated_several_times_at_once_is_tfs(tf1, program):
    """TF rewrites a dataset before its first iterator (FinalizeDataset): every input edge gets its own copy, so
    both sides of zip((ds, ds.map(f))) or ds.concatenate(ds) see the first pass's order (and the next passes' in
    step), while a dataset captured by a function stays one, reshuffled at each use. Re-initializing starts over."""

    def run(tf):
        with tf.Graph().as_default():
            programs, shuffled = _shared_shuffle_programs(tf)
            build, n = programs[program]
            nxt, init = build(shuffled())
            with tf.Session() as sess:
                out = []
                for _ in range(2 if init else 1):
                    if init:
                        sess.run(init)
                    out.append(np.array([sess.run(nxt) for _ in range(n)]).reshape(n, -1).T.tolist())
                return out

    theirs, ours = run(tf1), run(tm)
    assert ours == theirs


def test_two_iterators_of_one_shuffle_take_passes_0_and_1_as_tf(tf1):
    """Two iterators made from the same dataset tensor share its seed generator (one takes the first pass's
    seeds, the other the second's; which is which is TF's executor's order), again after re-initializing."""

    def run(tf):
        with tf.Graph().as_default():
            ds = _data(tf).Dataset.range(6).shuffle(6, seed=1)
            its = [_v1data(tf).make_initializable_iterator(ds) for _ in range(2)]
            nxt = [it.get_next() for it in its]
            with tf.Session() as sess:
                out = []
                for _ in range(2):
                    sess.run([it.initializer for it in its])
                    orders = np.array([sess.run(nxt) for _ in range(6)]).T.tolist()
                    out.append(sorted(orders))
                return out

    theirs, ours = run(tf1), run(tm)
    assert ours == theirs
    assert ours[0][0] != ours[0][1]
