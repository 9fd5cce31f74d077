"""Lookup tables: graphs of HashTableV2/MutableHashTableV2 and the table ops, built with raw ops in TF and
in torchmeta, run side by side (values, static shapes), and TF's errors (class and wording)."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm


def _run(lib, raw_ops, build, fetch_shapes=False):
    """``build(lib, raw_ops)`` -> (init ops, fetches); runs the inits, then the fetches."""
    g = lib.Graph()
    with g.as_default():
        inits, fetches = build(lib, raw_ops)
        shapes = [f.shape.as_list() if f.shape.rank is not None else None for f in fetches]
        with lib.Session(graph=g) as sess:
            for init in inits:
                sess.run(init)
            out = sess.run(fetches)
    return (out, shapes) if fetch_shapes else out


def _both(tf1, build):
    import tensorflow as tf

    return _run(tf1, tf.raw_ops, build, True), _run(tm, tm.raw_ops, build, True)


def _assert_same(theirs, ours):
    (their_values, their_shapes), (our_values, our_shapes) = theirs, ours
    assert our_shapes == their_shapes
    for mine, tf_value in zip(our_values, their_values):
        mine, tf_value = np.asarray(mine), np.asarray(tf_value)
        assert mine.dtype == tf_value.dtype and mine.shape == tf_value.shape
        np.testing.assert_array_equal(mine, tf_value)


def _string_table(lib, raw_ops, keys=("a", "b", "c"), values=(1, 2, 3)):
    h = raw_ops.HashTableV2(key_dtype=lib.string, value_dtype=lib.int64)
    init = raw_ops.InitializeTableV2(
        table_handle=h, keys=lib.constant(list(keys)), values=lib.constant(values, lib.int64)
    )
    return h, init


def test_hash_table_find_and_size_match_tf(tf1):
    def build(lib, raw_ops):
        h, init = _string_table(lib, raw_ops)
        again = raw_ops.InitializeTableV2(
            table_handle=h, keys=lib.constant(["c", "a", "b"]), values=lib.constant([3, 1, 2], lib.int64)
        )
        keys = lib.constant([["a", "zz"], ["c", "b"]])
        per_key = lib.constant([[-1, -2], [-3, -4]], lib.int64)
        return [init, again], [
            raw_ops.LookupTableFindV2(table_handle=h, keys=keys, default_value=lib.constant(-1, lib.int64)),
            raw_ops.LookupTableFindV2(table_handle=h, keys=keys, default_value=per_key),
            raw_ops.LookupTableFindV2(table_handle=h, keys=lib.constant("b"), default_value=lib.constant(0, lib.int64)),
            raw_ops.LookupTableSizeV2(table_handle=h),
        ]

    _assert_same(*_both(tf1, build))


def test_int_to_float_table_and_export_match_tf(tf1):
    def build(lib, raw_ops):
        h = raw_ops.HashTableV2(key_dtype=lib.int64, value_dtype=lib.float32, shared_name="t")
        init = raw_ops.InitializeTableV2(
            table_handle=h, keys=lib.constant([5, -3, 7], lib.int64), values=lib.constant([0.5, 1.5, -2.0])
        )
        find = raw_ops.LookupTableFindV2(
            table_handle=h, keys=lib.constant([7, 5, 6], lib.int64), default_value=lib.constant(np.nan, lib.float32)
        )
        keys, values = raw_ops.LookupTableExportV2(table_handle=h, Tkeys=lib.int64, Tvalues=lib.float32)
        return [init], [find, keys, values]

    (theirs, their_shapes), (ours, our_shapes) = _both(tf1, build)
    assert our_shapes == their_shapes
    np.testing.assert_array_equal(ours[0], theirs[0])
    # export order is the hash map's in TF: compare as sets of pairs
    assert sorted(zip(ours[1].tolist(), ours[2].tolist())) == sorted(zip(theirs[1].tolist(), theirs[2].tolist()))


def test_mutable_hash_table_matches_tf(tf1):
    def build(lib, raw_ops):
        h = raw_ops.MutableHashTableV2(key_dtype=lib.int64, value_dtype=lib.string)
        insert = raw_ops.LookupTableInsertV2(
            table_handle=h, keys=lib.constant([3, 5, 3], lib.int64), values=lib.constant(["x", "y", "z"])
        )
        insert2 = raw_ops.LookupTableInsertV2(
            table_handle=h, keys=lib.constant([9], lib.int64), values=lib.constant(["w"])
        )
        find = raw_ops.LookupTableFindV2(
            table_handle=h, keys=lib.constant([[3, 4], [5, 9]], lib.int64), default_value=lib.constant("?")
        )
        per_key = raw_ops.LookupTableFindV2(
            table_handle=h, keys=lib.constant([1, 5, 2], lib.int64), default_value=lib.constant(["p", "q", "r"])
        )
        keys, values = raw_ops.LookupTableExportV2(table_handle=h, Tkeys=lib.int64, Tvalues=lib.string)
        return [insert, insert2], [find, per_key, raw_ops.LookupTableSizeV2(table_handle=h), keys, values]

    (theirs, their_shapes), (ours, our_shapes) = _both(tf1, build)
    assert our_shapes == their_shapes
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_array_equal(ours[1], theirs[1])
    assert ours[2] == theirs[2]
    assert sorted(zip(ours[3].tolist(), ours[4].tolist())) == sorted(zip(theirs[3].tolist(), theirs[4].tolist()))


VOCAB = "a\t10\t0.5\nb\t20\t1.5\nc\t30\t-2\n"


@pytest.mark.parametrize(
    "key_dtype, value_dtype, attrs, keys, default",
    [
        ("string", "int64", {"key_index": -2, "value_index": -1}, ["a\t10\t0.5", "c\t30\t-2", "x"], -1),
        ("string", "int64", {"key_index": 0, "value_index": 1}, ["a", "c", "x"], -1),
        ("string", "float32", {"key_index": 0, "value_index": 2}, ["b", "c", "x"], 0.25),
        ("string", "int64", {"key_index": 0, "value_index": -1, "vocab_size": 2, "offset": 1}, ["a", "b", "c"], -1),
        ("int64", "string", {"key_index": -1, "value_index": 0}, [0, 2, 7], "UNK"),
        ("int64", "string", {"key_index": 1, "value_index": -2}, [20, 30, 7], "UNK"),
    ],
    ids=["line-to-number", "columns", "float-column", "vocab-size-offset", "number-to-line", "int-column"],
)
def test_text_file_initializer_matches_tf(tf1, tmp_path, key_dtype, value_dtype, attrs, keys, default):
    path = tmp_path / "vocab.txt"
    path.write_text(VOCAB)

    def build(lib, raw_ops):
        h = raw_ops.HashTableV2(key_dtype=lib.as_dtype(key_dtype), value_dtype=lib.as_dtype(value_dtype))
        init = raw_ops.InitializeTableFromTextFileV2(table_handle=h, filename=lib.constant(str(path)), **attrs)
        find = raw_ops.LookupTableFindV2(
            table_handle=h,
            keys=lib.constant(keys, lib.as_dtype(key_dtype)),
            default_value=lib.constant(default, lib.as_dtype(value_dtype)),
        )
        return [init], [find, raw_ops.LookupTableSizeV2(table_handle=h)]

    _assert_same(*_both(tf1, build))


def _errors(tf1, build):
    import tensorflow as tf

    with pytest.raises(tf.errors.OpError) as theirs:
        _run(tf1, tf.raw_ops, build)
    with pytest.raises(tm.errors.OpError) as ours:
        _run(tm, tm.raw_ops, build)
    assert type(ours.value).__name__ == type(theirs.value).__name__
    lines = theirs.value.message.split("\n")
    marks = [i for i, line in enumerate(lines) if line.startswith("\t [[")]
    message = lines[marks[0] - 1] if marks else lines[-1]
    assert message in str(ours.value)


def _find(lib, raw_ops, h, keys, default):
    return raw_ops.LookupTableFindV2(table_handle=h, keys=keys, default_value=default)


RUNTIME_ERRORS = {
    "not-initialized": lambda lib, r: (
        [],
        [_find(lib, r, _string_table(lib, r)[0], lib.constant(["a"]), lib.constant(-1, lib.int64))],
    ),
    "duplicate-key": lambda lib, r: ([_string_table(lib, r, ("a", "a"), (1, 2))[1]], []),
    "reinitialized-differently": lambda lib, r: (
        [
            (t := _string_table(lib, r))[1],
            r.InitializeTableV2(table_handle=t[0], keys=lib.constant(["z"]), values=lib.constant([9], lib.int64)),
        ],
        [],
    ),
    "find-key-type": lambda lib, r: (
        [(t := _string_table(lib, r))[1]],
        [_find(lib, r, t[0], lib.constant([1], lib.int64), lib.constant(-1, lib.int64))],
    ),
    "default-shape": lambda lib, r: (
        [(t := _string_table(lib, r))[1]],
        [_find(lib, r, t[0], lib.constant(["a"]), lib.constant([-1, 2], lib.int64))],
    ),
    "init-value-type": lambda lib, r: (
        [
            r.InitializeTableV2(
                table_handle=r.HashTableV2(key_dtype=lib.string, value_dtype=lib.int64),
                keys=lib.constant(["a"]),
                values=lib.constant([1], lib.int32),
            )
        ],
        [],
    ),
}


@pytest.mark.parametrize(
    "attrs, content",
    [
        ({"key_index": 0, "value_index": -1, "vocab_size": 5}, VOCAB),
        ({"key_index": 0, "value_index": 3}, VOCAB),
        ({"key_index": 0, "value_index": 0}, VOCAB),
        ({"key_index": 0, "value_index": 1}, "a\t1\na\t2\n"),
        ({"key_index": 0, "value_index": 1}, None),
        ({"key_index": 0, "value_index": 1, "delimiter": "0"}, VOCAB),
    ],
    ids=["vocab-size", "columns", "not-a-number", "duplicate", "missing-file", "delimiter"],
)
def test_text_file_errors_match_tf(tf1, tmp_path, attrs, content):
    path = tmp_path / "vocab.txt"
    if content is not None:
        path.write_text(content)
    value_dtype = "float32" if attrs["value_index"] == 0 else "int64"

    def build(lib, raw_ops):
        h = raw_ops.HashTableV2(key_dtype=lib.string, value_dtype=lib.as_dtype(value_dtype))
        return [raw_ops.InitializeTableFromTextFileV2(table_handle=h, filename=lib.constant(str(path)), **attrs)], []

    _errors(tf1, build)


def test_shape_errors_match_tf(tf1):
    import tensorflow as tf

    def build(lib, raw_ops):
        h = raw_ops.HashTableV2(key_dtype=lib.string, value_dtype=lib.int64)
        raw_ops.InitializeTableV2(
            table_handle=h, keys=lib.constant(["a", "b"]), values=lib.constant([1, 2, 3], lib.int64)
        )

    def build_rank(lib, raw_ops):
        h = raw_ops.HashTableV2(key_dtype=lib.string, value_dtype=lib.int64)
        raw_ops.InitializeTableV2(table_handle=h, keys=lib.constant([["a"]]), values=lib.constant([[1]], lib.int64))

    for fn in (build, build_rank):
        messages = []
        for lib, raw_ops in ((tf1, tf.raw_ops), (tm, tm.raw_ops)):
            with lib.Graph().as_default(), pytest.raises(ValueError) as e:
                fn(lib, raw_ops)
            messages.append(str(e.value))
        assert messages[1].split(" for '")[0] == messages[0].split(" for '")[0]
        assert messages[1].split("with input shapes: ")[1] == messages[0].split("with input shapes: ")[1]


def test_import_and_remove_match_tf(tf1):
    """LookupTableImportV2 initializes a HashTable once (later imports are ignored) and replaces a mutable table's
    contents; LookupTableRemoveV2 drops keys (absent ones too)."""

    def build(lib, raw_ops):
        h = raw_ops.HashTableV2(key_dtype=lib.string, value_dtype=lib.int64)
        imp = raw_ops.LookupTableImportV2(
            table_handle=h, keys=lib.constant(["c", "a"]), values=lib.constant([3, 9], lib.int64)
        )
        # as many entries: accepted and ignored, as TF's HashTable compares only the sizes
        again = raw_ops.LookupTableImportV2(
            table_handle=h, keys=lib.constant(["z", "y"]), values=lib.constant([0, 0], lib.int64)
        )
        m = raw_ops.MutableHashTableV2(key_dtype=lib.string, value_dtype=lib.float32)
        ins = raw_ops.LookupTableInsertV2(
            table_handle=m, keys=lib.constant(["x", "y", "w"]), values=lib.constant([1.0, 2.0, 3.0])
        )
        replace = raw_ops.LookupTableImportV2(
            table_handle=m, keys=lib.constant(["y", "q"]), values=lib.constant([5.0, 6.0])
        )
        remove = raw_ops.LookupTableRemoveV2(table_handle=m, keys=lib.constant([["q"], ["nothing"]]))
        keys = lib.constant(["a", "b", "c", "z"])
        return [imp, again, ins, replace, remove], [
            raw_ops.LookupTableFindV2(table_handle=h, keys=keys, default_value=lib.constant(-1, lib.int64)),
            raw_ops.LookupTableSizeV2(table_handle=h),
            raw_ops.LookupTableFindV2(
                table_handle=m, keys=lib.constant(["x", "y", "q"]), default_value=lib.constant(-1.0)
            ),
            raw_ops.LookupTableSizeV2(table_handle=m),
        ]

    _assert_same(*_both(tf1, build))


def test_table_of_tensors_matches_tf(tf1):
    def build(lib, raw_ops):
        t = raw_ops.MutableHashTableOfTensorsV2(key_dtype=lib.int64, value_dtype=lib.float32, value_shape=[2])
        ins = raw_ops.LookupTableInsertV2(
            table_handle=t, keys=lib.constant([1, 2, 3], lib.int64), values=lib.constant([[1.0, 2.0], [3, 4], [5, 6]])
        )
        over = raw_ops.LookupTableInsertV2(
            table_handle=t, keys=lib.constant([3], lib.int64), values=lib.constant([[-5.0, -6.0]])
        )
        remove = raw_ops.LookupTableRemoveV2(table_handle=t, keys=lib.constant([1], lib.int64))
        keys = lib.constant([[2, 5], [3, 1]], lib.int64)
        s = raw_ops.MutableHashTableOfTensorsV2(key_dtype=lib.string, value_dtype=lib.int64, value_shape=[1])
        imp = raw_ops.LookupTableImportV2(
            table_handle=s, keys=lib.constant(["k"]), values=lib.constant([[7]], lib.int64)
        )
        return [ins, over, remove, imp], [
            raw_ops.LookupTableFindV2(table_handle=t, keys=keys, default_value=lib.constant([-1.0, -2.0])),
            raw_ops.LookupTableFindV2(
                table_handle=t, keys=keys, default_value=lib.constant(np.full((2, 2, 2), 9.0, np.float32))
            ),
            raw_ops.LookupTableSizeV2(table_handle=t),
            raw_ops.LookupTableFindV2(
                table_handle=s, keys=lib.constant(["k", "j"]), default_value=lib.constant([0], lib.int64)
            ),
        ]

    _assert_same(*_both(tf1, build))


def test_table_of_tensors_export_matches_tf(tf1):
    def build(lib, raw_ops):
        t = raw_ops.MutableHashTableOfTensorsV2(key_dtype=lib.string, value_dtype=lib.int32, value_shape=[3])
        ins = raw_ops.LookupTableInsertV2(
            table_handle=t, keys=lib.constant(["a", "b"]), values=lib.constant([[1, 2, 3], [4, 5, 6]], lib.int32)
        )
        keys, values = raw_ops.LookupTableExportV2(table_handle=t, Tkeys=lib.string, Tvalues=lib.int32)
        return [ins], [keys, values]

    (theirs, their_shapes), (ours, our_shapes) = _both(tf1, build)
    assert our_shapes == their_shapes
    assert ours[1].shape == theirs[1].shape == (2, 3)
    assert sorted(zip(ours[0].tolist(), map(tuple, ours[1].tolist()))) == sorted(
        zip(theirs[0].tolist(), map(tuple, theirs[1].tolist()))
    )


def test_v1_ref_tables_match_tf(tf1, tmp_path):
    """The TF1 table ops on Ref(string) handles: HashTable, MutableHashTable(OfTensors) and the V1 table ops."""
    path = tmp_path / "vocab.txt"
    path.write_text(VOCAB)

    def build(lib, raw_ops):
        h = raw_ops.HashTable(key_dtype=lib.string, value_dtype=lib.int64)
        init = raw_ops.InitializeTable(
            table_handle=h, keys=lib.constant(["a", "b"]), values=lib.constant([1, 2], lib.int64)
        )
        f = raw_ops.HashTable(key_dtype=lib.string, value_dtype=lib.int64, shared_name="vocab")
        finit = raw_ops.InitializeTableFromTextFile(
            table_handle=f, filename=lib.constant(str(path)), key_index=0, value_index=-1
        )
        m = raw_ops.MutableHashTable(key_dtype=lib.int64, value_dtype=lib.string)
        ins = raw_ops.LookupTableInsert(
            table_handle=m, keys=lib.constant([4, 5], lib.int64), values=lib.constant(["four", "five"])
        )
        imp = raw_ops.LookupTableImport(table_handle=m, keys=lib.constant([6], lib.int64), values=lib.constant(["six"]))
        t = raw_ops.MutableHashTableOfTensors(key_dtype=lib.string, value_dtype=lib.float32, value_shape=[2])
        tins = raw_ops.LookupTableInsert(table_handle=t, keys=lib.constant(["p"]), values=lib.constant([[0.5, 1.5]]))
        keys, values = raw_ops.LookupTableExport(table_handle=m, Tkeys=lib.int64, Tvalues=lib.string)
        return [init, finit, ins, imp, tins], [
            raw_ops.LookupTableFind(
                table_handle=h, keys=lib.constant(["b", "x"]), default_value=lib.constant(-1, lib.int64)
            ),
            raw_ops.LookupTableSize(table_handle=h),
            raw_ops.LookupTableFind(
                table_handle=f, keys=lib.constant([["c"], ["a"]]), default_value=lib.constant(-1, lib.int64)
            ),
            raw_ops.LookupTableFind(
                table_handle=m, keys=lib.constant([4, 6], lib.int64), default_value=lib.constant("?")
            ),
            raw_ops.LookupTableSize(table_handle=m),
            keys,
            values,
            raw_ops.LookupTableFind(
                table_handle=t, keys=lib.constant(["p", "q"]), default_value=lib.constant([0.0, -1.0])
            ),
        ]

    _assert_same(*_both(tf1, build))


def _mutable(lib, r):
    return r.MutableHashTableV2(key_dtype=lib.string, value_dtype=lib.int64)


def _tensors(lib, r):
    return r.MutableHashTableOfTensorsV2(key_dtype=lib.int64, value_dtype=lib.float32, value_shape=[2])


def _fed(lib, value):
    return lib.compat.v1.placeholder_with_default(value, None) if hasattr(lib, "compat") else value


RUNTIME_ERRORS.update(
    {
        "insert-into-hash-table": lambda lib, r: (
            [
                r.LookupTableInsertV2(
                    table_handle=_string_table(lib, r)[0], keys=lib.constant(["a"]), values=lib.constant([1], lib.int64)
                )
            ],
            [],
        ),
        "remove-from-hash-table": lambda lib, r: (
            [r.LookupTableRemoveV2(table_handle=_string_table(lib, r)[0], keys=lib.constant(["a"]))],
            [],
        ),
        "remove-key-type": lambda lib, r: (
            [r.LookupTableRemoveV2(table_handle=_mutable(lib, r), keys=lib.constant([3]))],
            [],
        ),
        "import-value-type": lambda lib, r: (
            [
                r.LookupTableImportV2(
                    table_handle=_mutable(lib, r), keys=lib.constant(["a"]), values=lib.constant([1], lib.int32)
                )
            ],
            [],
        ),
        "tensors-insert-shape": lambda lib, r: (
            [
                r.LookupTableInsertV2(
                    table_handle=_tensors(lib, r), keys=lib.constant([1, 2], lib.int64), values=lib.constant([1.0, 2.0])
                )
            ],
            [],
        ),
        "tensors-default-shape": lambda lib, r: (
            [],
            [
                r.LookupTableFindV2(
                    table_handle=_tensors(lib, r), keys=lib.constant([1], lib.int64), default_value=lib.constant(-1.0)
                )
            ],
        ),
        "tensors-matrix-values": lambda lib, r: (
            [],
            [
                r.LookupTableSizeV2(
                    table_handle=r.MutableHashTableOfTensorsV2(
                        key_dtype=lib.int64, value_dtype=lib.float32, value_shape=[2, 1]
                    )
                )
            ],
        ),
        "import-twice-differently": lambda lib, r: (
            [
                r.LookupTableImportV2(
                    table_handle=(h := r.HashTableV2(key_dtype=lib.string, value_dtype=lib.int64)),
                    keys=lib.constant(["a"]),
                    values=lib.constant([1], lib.int64),
                ),
                r.LookupTableImportV2(
                    table_handle=h, keys=lib.constant(["a", "b"]), values=lib.constant([1, 2], lib.int64)
                ),
            ],
            [],
        ),
        "v1-find-key-type": lambda lib, r: (
            [
                r.InitializeTable(
                    table_handle=(h := r.HashTable(key_dtype=lib.string, value_dtype=lib.int64)),
                    keys=lib.constant(["a"]),
                    values=lib.constant([5], lib.int64),
                )
            ],
            [r.LookupTableFind(table_handle=h, keys=lib.constant([1]), default_value=lib.constant(-1, lib.int64))],
        ),
    }
)


def test_import_shape_error_matches_tf(tf1):
    import tensorflow as tf

    messages = []
    for lib, raw_ops in ((tf1, tf.raw_ops), (tm, tm.raw_ops)):
        with lib.Graph().as_default(), pytest.raises(ValueError) as e:
            raw_ops.LookupTableImportV2(
                table_handle=raw_ops.MutableHashTableV2(key_dtype=lib.string, value_dtype=lib.int64),
                keys=lib.constant(["c", "a"]),
                values=lib.constant([3], lib.int64),
            )
        messages.append(str(e.value).split(" for '")[0])
    assert messages[0] == messages[1]


# ---------------------------------------------------------------------------------------------
# MutableDenseHashTable: TF's open-addressing table, whose export is its bucket array


def _dense(lib, r, empty, deleted, value_dtype, **attrs):
    return r.MutableDenseHashTableV2(empty_key=empty, deleted_key=deleted, value_dtype=value_dtype, **attrs)


def _export(lib, r, h, key_dtype, value_dtype):
    return list(r.LookupTableExportV2(table_handle=h, Tkeys=key_dtype, Tvalues=value_dtype))


def test_dense_table_buckets_match_tf_bit_for_bit(tf1):
    """Colliding keys (5, 13, 21 share bucket 5 of 8), a negative key (its uint64 hash), a removal leaving the
    deleted key in its bucket, a re-insert into that bucket, an update, and growth to 16 and 64 buckets: every
    export equals TF's, bucket for bucket."""

    def build(lib, r):
        h = _dense(
            lib,
            r,
            lib.constant(-1, lib.int64),
            lib.constant(-2, lib.int64),
            lib.float32,
            value_shape=[2],
            initial_num_buckets=8,
        )
        ins = r.LookupTableInsertV2(
            table_handle=h,
            keys=lib.constant([5, 13, -7, 21], lib.int64),
            values=lib.constant([[1, 2], [3, 4], [5, 6], [7, 8]], lib.float32),
        )
        exports = [_export(lib, r, h, lib.int64, lib.float32)]
        remove = r.LookupTableRemoveV2(table_handle=h, keys=lib.constant([13, 99], lib.int64))
        reinsert = r.LookupTableInsertV2(
            table_handle=h, keys=lib.constant([29, 5], lib.int64), values=lib.constant([[9, 9], [-1, -1]], lib.float32)
        )
        grow = r.LookupTableInsertV2(
            table_handle=h,
            keys=lib.constant(np.arange(100, 124, dtype=np.int64) * 7),
            values=lib.constant(np.arange(48, dtype=np.float32).reshape(24, 2)),
        )
        find = r.LookupTableFindV2(
            table_handle=h, keys=lib.constant([5, 13, 29, 700, 3], lib.int64), default_value=lib.constant([0.5, -0.5])
        )
        size = r.LookupTableSizeV2(table_handle=h)
        return [ins, remove, reinsert, grow], [*exports[0], find, size, *_export(lib, r, h, lib.int64, lib.float32)]

    _assert_same(*_both(tf1, build))


def test_dense_table_growth_steps_match_tf(tf1):
    """Each insert doubles the buckets until the pending entries fit under max_load_factor (before knowing which
    keys are new), rehashing the old buckets in their order."""

    def build(lib, r):
        h = _dense(
            lib,
            r,
            lib.constant(0, lib.int32),
            lib.constant(-1, lib.int32),
            lib.int32,
            initial_num_buckets=4,
            max_load_factor=0.5,
        )
        inserts, fetches = [], []
        for step, keys in enumerate(([3, 7], [3, 7], [11, 15, 19, 23, 27], [-5, 1 << 30])):
            inserts.append(  # _run runs them one by one, in order
                r.LookupTableInsertV2(
                    table_handle=h,
                    keys=lib.constant(keys, lib.int32),
                    values=lib.constant([step * 10 + i for i in range(len(keys))], lib.int32),
                )
            )
        fetches = _export(lib, r, h, lib.int32, lib.int32)
        probe = lib.constant([3, 27, -5, 1 << 30, 4, -6], lib.int32)
        find = r.LookupTableFindV2(table_handle=h, keys=probe, default_value=lib.constant(-1, lib.int32))
        return inserts, [*fetches, r.LookupTableSizeV2(table_handle=h), find]

    _assert_same(*_both(tf1, build))


@pytest.mark.parametrize(
    "case",
    ["string-keys", "vector-keys", "string-to-bool"],
)
def test_dense_table_hashes_match_tf(tf1, case):
    """String keys hash with TF's Hash64, vector keys with Hash64Combine over their elements."""

    def build(lib, r):
        if case == "string-keys":
            h = _dense(lib, r, lib.constant(""), lib.constant("$"), lib.int64, initial_num_buckets=16)
            keys, values, probe = (
                ["a", "b", "hello", "wörld", "zz" * 40],
                lib.constant([1, 2, 3, 4, 5], lib.int64),
                [
                    "a",
                    "q",
                    "wörld",
                ],
            )
            key_dtype, value_dtype, default = lib.string, lib.int64, lib.constant(-1, lib.int64)
            keys = lib.constant(keys)
            remove = lib.constant(["b"])
            probe = lib.constant(probe)
        elif case == "vector-keys":
            h = _dense(
                lib,
                r,
                lib.constant([-1, -1], lib.int64),
                lib.constant([-2, -2], lib.int64),
                lib.float64,
                value_shape=[3],
                initial_num_buckets=4,
            )
            keys = lib.constant([[5, 6], [7, 7], [8, 9], [6, 5], [0, 0]], lib.int64)
            values = lib.constant(np.arange(15, dtype=np.float64).reshape(5, 3))
            key_dtype, value_dtype, default = lib.int64, lib.float64, lib.constant([0.0, 1.0, 2.0], lib.float64)
            remove = lib.constant([[7, 7]], lib.int64)
            probe = lib.constant([[6, 5], [7, 7], [1, 1]], lib.int64)
        else:
            h = _dense(lib, r, lib.constant("e"), lib.constant("d"), lib.bool, value_shape=[2], initial_num_buckets=4)
            keys = lib.constant(["x", "y", "zz"])
            values = lib.constant([[True, False], [False, True], [True, True]])
            key_dtype, value_dtype, default = lib.string, lib.bool, lib.constant([False, False])
            remove = lib.constant(["y", "nope"])
            probe = lib.constant(["x", "y", "zz"])
        ins = r.LookupTableInsertV2(table_handle=h, keys=keys, values=values)
        rm = r.LookupTableRemoveV2(table_handle=h, keys=remove)
        find = r.LookupTableFindV2(table_handle=h, keys=probe, default_value=default)
        return [ins, rm], [find, r.LookupTableSizeV2(table_handle=h), *_export(lib, r, h, key_dtype, value_dtype)]

    _assert_same(*_both(tf1, build))


def test_dense_table_import_matches_tf(tf1):
    """An import takes the bucket arrays as they are (here TF's export of another table, and a 3-bucket array TF
    does not check) and counts the buckets holding neither special key."""

    def build(lib, r):
        src = _dense(lib, r, lib.constant(-1, lib.int64), lib.constant(-2, lib.int64), lib.int64, initial_num_buckets=4)
        dst = _dense(lib, r, lib.constant(-1, lib.int64), lib.constant(-2, lib.int64), lib.int64, initial_num_buckets=8)
        odd = _dense(lib, r, lib.constant(-1, lib.int64), lib.constant(-2, lib.int64), lib.int64, initial_num_buckets=4)
        ins = r.LookupTableInsertV2(
            table_handle=src, keys=lib.constant([4, 8, 1], lib.int64), values=lib.constant([40, 80, 10], lib.int64)
        )
        rm = r.LookupTableRemoveV2(table_handle=src, keys=lib.constant([8], lib.int64))
        keys, values = _export(lib, r, src, lib.int64, lib.int64)
        imp = r.LookupTableImportV2(table_handle=dst, keys=_fed(lib, keys), values=_fed(lib, values))
        imp_odd = r.LookupTableImportV2(
            table_handle=odd,
            keys=_fed(lib, lib.constant([[-1], [2], [-2]], lib.int64)),
            values=lib.constant([[0], [20], [0]], lib.int64),
        )
        probe = lib.constant([4, 8, 1, 2], lib.int64)
        default = lib.constant(-9, lib.int64)
        return [ins, rm, imp, imp_odd], [
            r.LookupTableFindV2(table_handle=dst, keys=probe, default_value=default),
            r.LookupTableSizeV2(table_handle=dst),
            *_export(lib, r, dst, lib.int64, lib.int64),
            r.LookupTableSizeV2(table_handle=odd),
            *_export(lib, r, odd, lib.int64, lib.int64),
        ]

    _assert_same(*_both(tf1, build))


def _dense_i64(lib, r, **attrs):
    return _dense(lib, r, lib.constant(-1, lib.int64), lib.constant(-2, lib.int64), lib.float32, **attrs)


def _dense_vec(lib, r):
    return _dense(lib, r, lib.constant([-1, -1], lib.int64), lib.constant([-2, -2], lib.int64), lib.float32)


def _insert(r, h, keys, values):
    return r.LookupTableInsertV2(table_handle=h, keys=keys, values=values)


RUNTIME_ERRORS.update(
    {
        "dense-insert-empty-key": lambda lib, r: (
            [_insert(r, _dense_i64(lib, r), lib.constant([3, -1], lib.int64), lib.constant([1.0, 2.0]))],
            [],
        ),
        "dense-insert-deleted-key": lambda lib, r: (
            [_insert(r, _dense_i64(lib, r), lib.constant([-2], lib.int64), lib.constant([1.0]))],
            [],
        ),
        "dense-find-deleted-key": lambda lib, r: (
            [],
            [_find(lib, r, _dense_i64(lib, r), lib.constant([-2], lib.int64), lib.constant(0.0))],
        ),
        "dense-remove-empty-key": lambda lib, r: (
            [r.LookupTableRemoveV2(table_handle=_dense_vec(lib, r), keys=lib.constant([[-1, -1]], lib.int64))],
            [],
        ),
        "dense-find-matrix-keys": lambda lib, r: (
            [],
            [_find(lib, r, _dense_i64(lib, r), lib.constant([[1, 2]], lib.int64), lib.constant(0.0))],
        ),
        "dense-key-shape": lambda lib, r: (
            [_insert(r, _dense_vec(lib, r), lib.constant([5, 6, 7], lib.int64), lib.constant([1.0, 2.0, 3.0]))],
            [],
        ),
        "dense-remove-key-shape": lambda lib, r: (
            [r.LookupTableRemoveV2(table_handle=_dense_vec(lib, r), keys=lib.constant([1], lib.int64))],
            [],
        ),
        "dense-value-shape": lambda lib, r: (
            [_insert(r, _dense_vec(lib, r), lib.constant([5, 6], lib.int64), lib.constant([1.0]))],
            [],
        ),
        "dense-default-shape": lambda lib, r: (
            [],
            [_find(lib, r, _dense_vec(lib, r), lib.constant([[5, 6]], lib.int64), lib.constant([1.0, 2.0]))],
        ),
        "dense-import-value-shape": lambda lib, r: (
            [
                r.LookupTableImportV2(
                    table_handle=_dense_vec(lib, r),
                    keys=_fed(lib, lib.constant([[1, 2]], lib.int64)),
                    values=lib.constant([9.0]),
                )
            ],
            [],
        ),
        "dense-equal-keys": lambda lib, r: (
            [],
            [r.LookupTableSizeV2(table_handle=_dense(lib, r, lib.constant("a"), lib.constant("a"), lib.int64))],
        ),
        "dense-buckets": lambda lib, r: (
            [],
            [r.LookupTableSizeV2(table_handle=_dense_i64(lib, r, initial_num_buckets=6))],
        ),
        "dense-load-factor": lambda lib, r: (
            [],
            [r.LookupTableSizeV2(table_handle=_dense_i64(lib, r, max_load_factor=1.0))],
        ),
        "dense-key-shapes-differ": lambda lib, r: (
            [],
            [
                r.LookupTableSizeV2(
                    table_handle=_dense(lib, r, lib.constant(-1, lib.int64), lib.constant([-2], lib.int64), lib.int64)
                )
            ],
        ),
        "dense-matrix-values": lambda lib, r: (
            [],
            [r.LookupTableSizeV2(table_handle=_dense_i64(lib, r, value_shape=[2, 2]))],
        ),
        "dense-v1-table": lambda lib, r: (
            [],
            [
                r.LookupTableSize(
                    table_handle=r.MutableDenseHashTable(empty_key=lib.constant(-1, lib.int64), value_dtype=lib.int64)
                )
            ],
        ),
    }
)


def test_dense_table_static_shapes_match_tf(tf1):
    import tensorflow as tf

    def build(lib, r):
        vec = _dense(
            lib, r, lib.constant([-1, -1], lib.int64), lib.constant([-2, -2], lib.int64), lib.float32, value_shape=[3]
        )
        scalar = _dense_i64(lib, r)
        v1 = r.MutableDenseHashTable(empty_key=lib.constant(-1, lib.int64), value_dtype=lib.int64)
        keys = lib.constant(np.zeros((4, 5, 2), np.int64))
        return [
            vec.shape,
            v1.shape,
            r.LookupTableFindV2(table_handle=vec, keys=keys, default_value=lib.constant([0.0] * 3)).shape,
            r.LookupTableFindV2(table_handle=scalar, keys=keys, default_value=lib.constant(0.0)).shape,
            *[t.shape for t in _export(lib, r, vec, lib.int64, lib.float32)],
        ]

    shapes = []
    for lib, raw_ops in ((tf1, tf.raw_ops), (tm, tm.raw_ops)):
        with lib.Graph().as_default():
            shapes.append([s.as_list() if s.rank is not None else None for s in build(lib, raw_ops)])
    assert shapes[1] == shapes[0]

    messages = []
    for lib, raw_ops in ((tf1, tf.raw_ops), (tm, tm.raw_ops)):
        with lib.Graph().as_default(), pytest.raises(ValueError) as e:
            _dense(lib, raw_ops, lib.constant([[""]]), lib.constant([["$"]]), lib.int64)
        messages.append(str(e.value).split(" for '")[0])
    assert messages[1] == messages[0]


# After every RUNTIME_ERRORS.update above: the parametrization reads the table when this decorator runs.
@pytest.mark.parametrize("name", sorted(RUNTIME_ERRORS))
def test_runtime_errors_match_tf(tf1, name):
    _errors(tf1, RUNTIME_ERRORS[name])


@pytest.mark.parametrize("key_kind", ["int64", "string"])
def test_dense_table_random_history_matches_tf(tf1, key_kind):
    """A seeded history of inserts (repeated keys, updates), removes (present and absent keys) and re-inserts
    through several growths: after every step the export, the size and a lookup equal TF's."""
    rng = np.random.default_rng(11)
    pool = rng.choice(10_000, size=60, replace=False) - 5_000
    steps = []
    for _ in range(8):
        insert = rng.choice(pool, size=int(rng.integers(1, 12)))
        remove = rng.choice(pool, size=int(rng.integers(1, 6)))
        steps.append((insert, rng.integers(-100, 100, size=len(insert)), remove))

    def keys_of(lib, values):
        if key_kind == "string":
            return lib.constant([f"k{v}" for v in values])
        return lib.constant(values, lib.int64)

    def build(lib, r):
        if key_kind == "string":
            h = _dense(lib, r, lib.constant(""), lib.constant("<deleted>"), lib.int32, initial_num_buckets=4)
        else:
            h = _dense(lib, r, lib.constant(-(1 << 62), lib.int64), lib.constant(1 << 62, lib.int64), lib.int32,
                       initial_num_buckets=4, max_load_factor=0.6)  # fmt: skip
        key_dtype = lib.string if key_kind == "string" else lib.int64
        inits, fetches = [], []
        for insert, values, remove in steps:  # run one step at a time, in order
            ins = r.LookupTableInsertV2(
                table_handle=h, keys=keys_of(lib, insert), values=lib.constant(values, lib.int32)
            )
            with lib.control_dependencies([ins]):
                inits.append(r.LookupTableRemoveV2(table_handle=h, keys=keys_of(lib, remove)))
            fetches.append(_export(lib, r, h, key_dtype, lib.int32))
        probe = r.LookupTableFindV2(table_handle=h, keys=keys_of(lib, pool), default_value=lib.constant(-999))
        return inits, [*[t for pair in fetches for t in pair], probe, r.LookupTableSizeV2(table_handle=h)]

    def run(lib, raw_ops):
        g = lib.Graph()
        with g.as_default():
            inits, fetches = build(lib, raw_ops)
            exports, tail = fetches[:-2], fetches[-2:]
            with lib.Session(graph=g) as sess:
                seen = []
                for init, pair in zip(inits, zip(exports[::2], exports[1::2])):
                    sess.run(init)
                    seen.append(sess.run(list(pair)))
                return seen, sess.run(tail)

    import tensorflow as tf

    (their_steps, theirs), (our_steps, ours) = run(tf1, tf.raw_ops), run(tm, tm.raw_ops)
    for (their_keys, their_values), (our_keys, our_values) in zip(their_steps, our_steps):
        np.testing.assert_array_equal(our_keys, their_keys)
        np.testing.assert_array_equal(our_values, their_values)
    np.testing.assert_array_equal(ours[0], theirs[0])
    assert ours[1] == theirs[1]


def test_dense_table_scalar_keys_match_tf(tf1):
    """A 0-d key is one key: insert, find (a 0-d value) and the rank check of LookupTableRemoveV2's shape function."""
    import tensorflow as tf

    def build(lib, r):
        h = _dense_i64(lib, r, initial_num_buckets=4)
        ins = _insert(r, h, lib.constant(5, lib.int64), lib.constant(1.5))
        rm = r.LookupTableRemoveV2(table_handle=h, keys=lib.constant([7], lib.int64))
        return [ins, rm], [
            _find(lib, r, h, lib.constant(5, lib.int64), lib.constant(0.0)),
            _find(lib, r, h, lib.constant(6, lib.int64), lib.constant(-1.0)),
            r.LookupTableSizeV2(table_handle=h),
        ]

    _assert_same(*_both(tf1, build))
    messages = []
    for lib, raw_ops in ((tf1, tf.raw_ops), (tm, tm.raw_ops)):
        with lib.Graph().as_default(), pytest.raises(ValueError) as e:
            raw_ops.LookupTableRemoveV2(table_handle=_dense_i64(lib, raw_ops), keys=lib.constant(5, lib.int64))
        messages.append(str(e.value).split(" for '")[0])
    assert messages[1] == messages[0]


def test_dense_table_emptied_by_an_import_fails_cleanly():
    """An import of zero buckets (TF indexes out of bounds on the next lookup): lookups give the default, an insert
    fails on growing from zero buckets, the export is empty."""
    r = tm.raw_ops
    with tm.Graph().as_default(), tm.Session() as sess:
        h = _dense_i64(tm, r, initial_num_buckets=4)
        empty = tm.placeholder_with_default(np.zeros((0, 1), np.int64), None)
        sess.run(r.LookupTableImportV2(table_handle=h, keys=empty, values=tm.zeros([0, 1])))
        assert sess.run(_find(tm, r, h, tm.constant([3], tm.int64), tm.constant(7.0))).tolist() == [7.0]
        with pytest.raises(tm.errors.InvalidArgumentError, match="at least 4 and a power of 2, got: 0"):
            sess.run(_insert(r, h, tm.constant([3], tm.int64), tm.constant([1.0])))
        keys, values = sess.run(_export(tm, r, h, tm.int64, tm.float32))
        assert keys.shape == values.shape == (0, 1)
