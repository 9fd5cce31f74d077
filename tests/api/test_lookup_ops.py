"""tf.lookup tables (tf.compat.v1.lookup and the contrib-era index_table_from_* functions) built here and in
TensorFlow: node for node (a StaticHashTable's shared_name is hash_table_<uuid4> in both), the same lookups after
tf.tables_initializer(), and MetaGraphs that carry the tables and their initializers both ways."""

from __future__ import annotations

import re

import numpy as np
import pytest

import torchmeta as tm
from tests.api.tf_programs import IGNORED_ATTRS, build, nodes
from tests.ops.harness import tf_error_text

WORDS = np.array([b"b", b"zz", b"a", b"c", b"emu", b""], dtype=object)


def _lookup_module(api):
    if api is tm:
        return tm.lookup
    from tensorflow.python.ops import lookup_ops

    return lookup_ops


def _program(vocab: str):
    def program(tf):
        lk = _lookup_module(tf)
        x = tf.placeholder(tf.string, [None], name="x")
        ids = tf.placeholder(tf.int64, [None], name="ids")
        init = tf.lookup.KeyValueTensorInitializer(["a", "b", "c"], [1, 2, 3], value_dtype=tf.int64)
        table = tf.lookup.StaticHashTable(init, -1)
        text = tf.lookup.TextFileInitializer(
            vocab, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER
        )
        named = tf.lookup.StaticHashTable(text, -5, name="vocab")
        vocab_table = tf.lookup.StaticVocabularyTable(text, 3)
        from_tensor = lk.index_table_from_tensor(["x", "a", "emu"], num_oov_buckets=2)
        plain = lk.index_table_from_tensor(tf.constant(["c", "b"]), default_value=-7, name="plain")
        ints = lk.index_table_from_tensor([10, 20, 30], num_oov_buckets=1, dtype=tf.int64)
        from_file = lk.index_table_from_file(vocab, num_oov_buckets=4, hasher_spec=lk.StrongHashSpec((1, 2)))
        to_string = lk.index_to_string_table_from_tensor(["zero", "one"], default_value="?")
        file_to_string = lk.index_to_string_table_from_file(vocab, vocab_size=2)
        keys, values = table.export()
        return {
            "init": tf.tables_initializer(),
            "": {
                "table": table.lookup(x),
                "getitem": table[x],
                "size": table.size(),
                "named": named.lookup(x, name="find"),
                "vocab": vocab_table.lookup(x),
                "vocab_size": vocab_table.size(),
                "from_tensor": from_tensor.lookup(x),
                "from_tensor_size": from_tensor.size(),
                "plain": plain.lookup(x),
                "ints": ints.lookup(ids),
                "from_file": from_file.lookup(x),
                "to_string": to_string.lookup(ids),
                "file_to_string": file_to_string.lookup(ids),
                "export_keys": keys,
                "export_values": values,
            },
        }

    return program


def _shared_names(graph):
    return [n.attr["shared_name"].s.decode() for n in graph.as_graph_def().node if n.op == "HashTableV2"]


def _normalized(names):
    return [re.sub(r"^hash_table_[0-9a-f-]{36}$", "hash_table_<uuid>", n) for n in names]


@pytest.fixture
def vocab(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\nc\nd\n")
    return str(path)


def test_tables_build_tf_graph_and_values(tf1, vocab):
    program = _program(vocab)
    tf_graph, tf_fetches = build(tf1, program)
    tm_graph, tm_fetches = build(tm, program)
    ignore = IGNORED_ATTRS | {"shared_name"}
    assert nodes(tm_graph, ignore) == nodes(tf_graph, ignore)
    assert _normalized(_shared_names(tm_graph)) == _normalized(_shared_names(tf_graph))
    assert len(set(_shared_names(tm_graph))) == len(set(_shared_names(tf_graph)))
    assert [t.name for t in tm_graph.get_collection("asset_filepaths")] == [
        t.name for t in tf_graph.get_collection("asset_filepaths")
    ]
    feeds = {"x:0": WORDS, "ids:0": np.array([0, 1, 2, 10, 30, -1], np.int64)}
    results = []
    for api, graph, fetches in ((tf1, tf_graph, tf_fetches), (tm, tm_graph, tm_fetches)):
        with graph.as_default(), api.Session() as sess:
            sess.run(fetches["init"])
            feed = {graph.get_tensor_by_name(k): v for k, v in feeds.items()}
            results.append(sess.run(fetches[""], feed))
    theirs, ours = results
    for r in results:  # TF exports in its hash map's order
        order = np.argsort(r["export_keys"])
        r["export_keys"], r["export_values"] = r["export_keys"][order], r["export_values"][order]
    assert ours.keys() == theirs.keys()
    for key in theirs:
        np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)
        assert np.asarray(ours[key]).dtype == np.asarray(theirs[key]).dtype, key
    static = {k: v.shape.as_list() if v.shape.rank is not None else None for k, v in tm_fetches[""].items()}
    assert static == {k: v.shape.as_list() if v.shape.rank is not None else None for k, v in tf_fetches[""].items()}


def _small(tf):
    x = tf.placeholder(tf.string, [None], name="x")
    init = tf.lookup.KeyValueTensorInitializer(["a", "b"], [5, 6], value_dtype=tf.int64)
    table = tf.lookup.StaticVocabularyTable(init, 2, name="words")
    tf.add_to_collection("ids", table.lookup(x))


def test_tables_survive_meta_graph_export_both_ways(tf1, tmp_path):
    feed = WORDS[:4]
    expected = None
    for writer, reader in ((tf1, tm), (tm, tf1), (tm, tm)):
        path = str(tmp_path / f"{writer.__name__}_{reader.__name__}.meta")
        with writer.Graph().as_default():
            _small(writer)
            writer.train.export_meta_graph(path)
        with reader.Graph().as_default() as g:
            reader.train.import_meta_graph(path)
            assert len(reader.get_collection(reader.GraphKeys.TABLE_INITIALIZERS)) == 1
            with reader.Session() as sess:
                sess.run(reader.tables_initializer())
                got = sess.run(reader.get_collection("ids")[0], {g.get_tensor_by_name("x:0"): feed})
        expected = got if expected is None else expected
        np.testing.assert_array_equal(got, expected)


def test_lookup_before_initialization_fails_as_tf(tf1):
    errors = []
    for api in (tf1, tm):
        with api.Graph().as_default():
            init = api.lookup.KeyValueTensorInitializer(["a"], [1], value_dtype=api.int64)
            table = api.lookup.StaticHashTable(init, -1)
            with api.Session() as sess, pytest.raises(api.errors.FailedPreconditionError) as e:
                sess.run(table.lookup(api.constant(["a"])))
            errors.append(e.value)
    assert tf_error_text(errors[0]) in errors[1].message


@pytest.mark.parametrize(
    "build_bad",
    [
        lambda tf: tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(["a"], [1], value_dtype=tf.int64), -1
        ).lookup(tf.constant([1])),
        lambda tf: tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(["a"], [1.5]), [1.0, 2.0]),
        lambda tf: tf.lookup.StaticVocabularyTable(
            tf.lookup.KeyValueTensorInitializer(["a"], [1], value_dtype=tf.int64), 0
        ),
        lambda tf: tf.lookup.StaticVocabularyTable(tf.lookup.KeyValueTensorInitializer(["a"], [1.5]), 2),
        lambda tf: tf.lookup.TextFileInitializer("", tf.string, 0, tf.int64, 1),
        lambda tf: tf.lookup.TextFileInitializer("f", tf.string, -1, tf.int64, 1),
        lambda tf: tf.lookup.TextFileInitializer("f", tf.float32, -2, tf.int64, 1),
        lambda tf: _lookup_module(tf).index_table_from_tensor(["a"], num_oov_buckets=-1),
        lambda tf: _lookup_module(tf).index_table_from_tensor([1, 2], dtype=tf.string),
        lambda tf: _lookup_module(tf).index_table_from_file("f", vocab_size=0),
    ],
    ids=[
        "keys-dtype",
        "default-not-scalar",
        "no-oov-buckets",
        "float-values",
        "no-filename",
        "line-number-string",
        "whole-line-float",
        "negative-buckets",
        "int-vocab-as-string",
        "vocab-size",
    ],
)
def test_bad_arguments_raise_as_tf(tf1, build_bad):
    raised = []
    for api in (tf1, tm):
        with api.Graph().as_default(), pytest.raises((TypeError, ValueError)) as e:
            build_bad(api)
        raised.append((type(e.value).__name__, str(e.value)))
    assert raised[1] == raised[0]


def test_table_captured_by_a_dataset_map_matches_tf(tf1):
    """The common TF1 input-pipeline use: a vocabulary table looked up inside Dataset.map."""
    results = []
    for api in (tf1, tm):
        with api.Graph().as_default():
            init = api.lookup.KeyValueTensorInitializer(["a", "b", "c"], [1, 2, 3], value_dtype=api.int64)
            table = api.lookup.StaticHashTable(init, -1)
            ds = api.data.Dataset.from_tensor_slices(api.constant(["b", "x", "c"])).map(table.lookup)
            it = api.data.make_initializable_iterator(ds)
            nxt = it.get_next()
            with api.Session() as sess:
                sess.run(api.tables_initializer())
                sess.run(it.initializer)
                results.append([int(sess.run(nxt)) for _ in range(3)])
    assert results[1] == results[0] == [2, -1, 3]


# ---------------------------------------------------------------------------------------------
# tf.lookup.experimental: MutableHashTable and DenseHashTable, saved as <name>-keys / <name>-values

FEEDS = {
    "k:0": np.array([b"a", b"b", b"c"], dtype=object),
    "v:0": np.array([7, 8, 9], np.int64),
    "ids:0": np.array([5, 13, 3, 21], np.int64),
}


def _mutable_program(tf):
    lk = tf.lookup.experimental
    k = tf.placeholder(tf.string, [None], name="k")
    v = tf.placeholder(tf.int64, [None], name="v")
    ids = tf.placeholder(tf.int64, [None], name="ids")
    words = lk.MutableHashTable(tf.string, tf.int64, -1)
    vectors = lk.MutableHashTable(tf.int64, tf.float32, [0.0, 0.5], name="vectors")
    dense = lk.DenseHashTable(
        tf.int64, tf.float32, 0.25, empty_key=-1, deleted_key=-2, initial_num_buckets=8, name="dense"
    )
    names = lk.DenseHashTable(tf.string, tf.int64, [-1, -1], empty_key="", deleted_key="$", initial_num_buckets=4)
    unsaved = lk.MutableHashTable(tf.int64, tf.int64, 0, name="unsaved", checkpoint=False)
    as_float = tf.cast(ids, tf.float32)
    insert = tf.group(
        words.insert(k, v),
        vectors.insert(ids, tf.stack([as_float, -as_float], 1)),
        dense.insert(ids, as_float * 2),
        names.insert_or_assign(k, tf.stack([v, v * 2], 1)),
        unsaved.insert(ids, ids),
    )
    remove = tf.group(
        words.remove(tf.constant(["b"])),
        dense.erase(tf.constant([3], tf.int64)),
        names.remove(tf.constant(["c"]), name="drop"),
    )
    probe = tf.constant(["a", "b", "c", "z"])
    probe_ids = tf.constant([5, 13, 3, 21, 4], tf.int64)
    dense_keys, dense_values = dense.export()
    return {
        "insert": insert,
        "remove": remove,
        "saver": tf.train.Saver(),
        "": {
            "words": words.lookup(probe),
            "words_dynamic": words.lookup(probe, dynamic_default_values=tf.constant([0, 1, 2, 3], tf.int64)),
            "words_size": words.size(),
            "vectors": vectors.lookup(probe_ids),
            "dense": dense[probe_ids],
            "dense_size": dense.size(name="count"),
            "dense_keys": dense_keys,
            "dense_values": dense_values,
            "names": names.lookup(probe),
            "unsaved": unsaved.lookup(probe_ids),
        },
    }


def _run_mutable(api, graph, fetches, steps=("insert", "remove")):
    with graph.as_default(), api.Session() as sess:
        feed = {graph.get_tensor_by_name(k): v for k, v in FEEDS.items()}
        for step in steps:
            sess.run(fetches[step], feed)
        return sess.run(fetches[""])


def _assert_same_results(ours, theirs):
    assert ours.keys() == theirs.keys()
    for key in theirs:
        assert np.asarray(ours[key]).dtype == np.asarray(theirs[key]).dtype, key
        np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)


def test_mutable_tables_build_tf_graph_and_values(tf1):
    """Node for node (tables, their ops, the Saver's SaveV2/RestoreV2 with the tables' -keys/-values and the
    LookupTableImportV2 restores), static shapes, and the values; DenseHashTable's export is its bucket array."""
    tf_graph, tf_fetches = build(tf1, _mutable_program)
    tm_graph, tm_fetches = build(tm, _mutable_program)
    assert nodes(tm_graph) == nodes(tf_graph)
    static = {k: v.shape.as_list() if v.shape.rank is not None else None for k, v in tm_fetches[""].items()}
    assert static == {k: v.shape.as_list() if v.shape.rank is not None else None for k, v in tf_fetches[""].items()}
    _assert_same_results(_run_mutable(tm, tm_graph, tm_fetches), _run_mutable(tf1, tf_graph, tf_fetches))


@pytest.mark.parametrize("writer_name", ["tf", "torchmeta", "torchmeta-safetensors"])
def test_mutable_tables_saved_and_restored_across_frameworks(tf1, tmp_path, writer_name):
    """A Saver writes each checkpointed table as <name>-keys / <name>-values; the other framework's Saver restores
    them into fresh tables (LookupTableImportV2) with the same lookups and the same dense bucket array."""
    from tensorflow.python.training import py_checkpoint_reader

    writer, reader = (tf1, tm) if writer_name == "tf" else (tm, tf1)
    if writer_name == "torchmeta-safetensors":
        reader = tm
    prefix = str(tmp_path / "tables")
    graph, fetches = build(writer, _mutable_program)
    if writer is tm and writer_name == "torchmeta":
        fetches["saver"].format = "tf"
    with graph.as_default(), writer.Session() as sess:
        feed = {graph.get_tensor_by_name(k): v for k, v in FEEDS.items()}
        sess.run([fetches["insert"]], feed)
        sess.run(fetches["remove"])
        expected = sess.run(fetches[""])
        fetches["saver"].save(sess, prefix)
    if writer_name != "torchmeta-safetensors":
        keys = sorted(py_checkpoint_reader.NewCheckpointReader(prefix).get_variable_to_shape_map())
        assert keys == [
            "MutableDenseHashTable-keys",
            "MutableDenseHashTable-values",
            "MutableHashTable-keys",
            "MutableHashTable-values",
            "dense-keys",
            "dense-values",
            "vectors-keys",
            "vectors-values",
        ]
    graph, fetches = build(reader, _mutable_program)
    with graph.as_default(), reader.Session() as sess:
        fetches["saver"].restore(sess, prefix)
        restored = sess.run(fetches[""])
    expected["unsaved"] = np.zeros_like(expected["unsaved"])  # checkpoint=False: not saved, so empty again
    _assert_same_results(restored, expected)


def test_mutable_tables_survive_meta_graph_export_both_ways(tf1, tmp_path):
    """Tables, their lookups and the Saver (whose restore imports the tables) survive Saver.export_meta_graph /
    import_meta_graph; the SAVEABLE_OBJECTS collection comes back as the tables' ops, as in TF."""
    results, saveables = [], []
    for writer, reader in ((tf1, tm), (tm, tf1)):
        path = str(tmp_path / f"{writer.__name__}.meta")
        prefix = str(tmp_path / f"{writer.__name__}_ckpt")
        graph, fetches = build(writer, _mutable_program)
        if writer is tm:
            fetches["saver"].format = "tf"
        with graph.as_default(), writer.Session() as sess:
            feed = {graph.get_tensor_by_name(k): v for k, v in FEEDS.items()}
            sess.run(fetches["insert"], feed)
            sess.run(fetches["remove"])
            fetches["saver"].save(sess, prefix)
            for key, tensor in fetches[""].items():
                writer.add_to_collection(key, tensor)
            fetches["saver"].export_meta_graph(path)
        with reader.Graph().as_default():
            saver = reader.train.import_meta_graph(path)
            saveables.append([op.name for op in reader.get_collection(reader.GraphKeys.SAVEABLE_OBJECTS)])
            with reader.Session() as sess:
                saver.restore(sess, prefix)
                results.append(sess.run({key: reader.get_collection(key)[0] for key in fetches[""]}))
    _assert_same_results(results[1], results[0])
    assert saveables[1] == saveables[0]


@pytest.mark.parametrize(
    "build_bad",
    [
        lambda tf: tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, -1).remove(tf.constant([1])),
        lambda tf: tf.lookup.experimental.DenseHashTable(tf.int64, tf.int64, 0, -1, -2).erase(tf.constant(["a"])),
        lambda tf: tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, "x"),
    ],
    ids=["remove-dtype", "erase-dtype", "default-dtype"],
)
def test_mutable_table_bad_arguments_raise_as_tf(tf1, build_bad):
    raised = []
    for api in (tf1, tm):
        with api.Graph().as_default(), pytest.raises((TypeError, ValueError)) as e:
            build_bad(api)
        raised.append((type(e.value).__name__, str(e.value)))
    assert raised[1] == raised[0]


@pytest.mark.parametrize("form", ["list", "dict"])
def test_saver_given_tables_directly_matches_tf(tf1, tmp_path, form):
    """A table in var_list is saved through a new export: in a dict under <key>-keys/-values, in a list under
    -keys/-values (TF's empty name, so of two tables the later by op name wins); TF restores what we save."""

    def program(tf):
        lk = tf.lookup.experimental
        t = lk.MutableHashTable(tf.string, tf.int64, -1, name="tbl")
        u = lk.MutableHashTable(tf.string, tf.int64, -1, name="other")
        ins = tf.group(
            t.insert(tf.constant(["a", "b"]), tf.constant([1, 2], tf.int64)),
            u.insert(tf.constant(["c"]), tf.constant([3], tf.int64)),
        )
        saver = tf.train.Saver({"t": t, "u": u} if form == "dict" else [t, u])
        return {"insert": ins, "saver": saver, "": [t.lookup(tf.constant(["a", "b", "c"])), t.size(), u.size()]}

    tf_graph, _ = build(tf1, program)
    tm_graph, tm_fetches = build(tm, program)
    assert nodes(tm_graph) == nodes(tf_graph)
    prefix = str(tmp_path / "ckpt")
    with tm_graph.as_default(), tm.Session() as sess:
        sess.run(tm_fetches["insert"])
        tm_fetches["saver"].format = "tf"
        tm_fetches["saver"].save(sess, prefix)
    tf_graph, tf_fetches = build(tf1, program)
    with tf_graph.as_default(), tf1.Session() as sess:
        tf_fetches["saver"].restore(sess, prefix)
        restored = sess.run(tf_fetches[""])
    expected_other = 1 if form == "dict" else 0
    assert [restored[0].tolist(), int(restored[1]), int(restored[2])] == [[1, 2, -1], 2, expected_other]


@pytest.mark.parametrize("options", [{"sharded": True}, {"reshape": True}, {"restore_sequentially": True}])
def test_saver_options_with_tables_match_tf(tf1, tmp_path, options):
    """Sharded, reshaping and sequential Savers lay out a table's entries as TF's do, and TF restores ours."""

    def program(tf):
        table = tf.lookup.experimental.DenseHashTable(tf.int64, tf.int64, -1, -1, -2, initial_num_buckets=4)
        v = tf.Variable([1.0, 2.0], name="v")
        ins = table.insert(tf.constant([3, 9], tf.int64), tf.constant([30, 90], tf.int64))
        return {
            "insert": ins,
            "init": v.initializer,
            "saver": tf.train.Saver(**options),
            "": [table.lookup(tf.constant([9, 3, 1], tf.int64)), v],
        }

    tf_graph, _ = build(tf1, program)
    tm_graph, tm_fetches = build(tm, program)
    assert nodes(tm_graph) == nodes(tf_graph)
    prefix = str(tmp_path / "ckpt")
    with tm_graph.as_default(), tm.Session() as sess:
        sess.run([tm_fetches["insert"], tm_fetches["init"]])
        tm_fetches["saver"].format = "tf"
        saved = tm_fetches["saver"].save(sess, prefix)
    tf_graph, tf_fetches = build(tf1, program)
    with tf_graph.as_default(), tf1.Session() as sess:
        tf_fetches["saver"].restore(sess, saved)
        found, v = sess.run(tf_fetches[""])
    assert found.tolist() == [90, 30, -1] and v.tolist() == [1.0, 2.0]
