"""tf.io parsing functions: TF's graphs node for node, the same parsed values both ways, TF's errors."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import torchmeta as tm
from tests.ops.samples_parsing import example, sequence_example
from torchmeta import errors

BATCH = [
    example(a=[1.0, 2.0], b=[1, 2, 3], c=["x"], seq=[1.0, 2.0, 3.0, 4.0]),
    example(a=[3.0, 4.0], b=[4], seq=[5.0, 6.0]),
    example(a=[5.0, 6.0], c=["y", "z"]),
]


def _nodes(graph):
    out = []
    for n in graph.as_graph_def().node:
        attrs = {k: v.SerializeToString(deterministic=True) for k, v in n.attr.items() if k != "_output_shapes"}
        out.append((n.name, n.op, list(n.input), attrs))
    return out


def _features(tf):
    return {
        "a": tf.FixedLenFeature([2], tf.float32),
        "b": tf.VarLenFeature(tf.int64),
        "c": tf.VarLenFeature(tf.string),
        "d": tf.FixedLenFeature([1, 2], tf.int64, default_value=[[7, 8]]),
        "seq": tf.FixedLenSequenceFeature([2], tf.float32, allow_missing=True, default_value=-1.0),
    }


def _sequence_features(tf):
    context = {"len": tf.FixedLenFeature([], tf.int64, default_value=0), "tag": tf.VarLenFeature(tf.string)}
    sequence = {
        "tokens": tf.FixedLenSequenceFeature([], tf.int64),
        "vals": tf.VarLenFeature(tf.float32),
        "opt": tf.FixedLenSequenceFeature([2], tf.float32, allow_missing=True),
    }
    return context, sequence


SEQUENCES = [
    sequence_example({"len": [3], "tag": ["p", "q"]}, {"tokens": [[1], [2], [3]], "vals": [[0.5], [1.5, 2.5], [3.5]]}),
    sequence_example({}, {"tokens": [[4]], "opt": [[1.0, 2.0], [3.0, 4.0]]}),
]

CASES = {
    "parse_example": lambda tf, s: tf.parse_example(s, _features(tf), name="pe"),
    "parse_example-names": lambda tf, s: tf.io.parse_example(
        s, {"a": tf.io.FixedLenFeature([2], tf.float32)}, example_names=["n0", "n1", "n2"]
    ),
    "parse_single_example": lambda tf, s: tf.parse_single_example(s[0], _features(tf)),
    "parse_single_sequence_example": lambda tf, q: tf.parse_single_sequence_example(
        q[0], *_sequence_features(tf), name="pss"
    ),
    "parse_sequence_example": lambda tf, q: tf.io.parse_sequence_example(q, *_sequence_features(tf)),
}


def _build(tf, case):
    if "sequence" in case:
        data = tf.placeholder(tf.string, [None], name="serialized")
        feed = SEQUENCES
    else:
        data = tf.placeholder(tf.string, [None], name="serialized")
        feed = BATCH
    return CASES[case](tf, data), {data: feed}


def _flat(result):
    if isinstance(result, (tuple, list)):
        return [x for r in result for x in _flat(r)]
    if isinstance(result, dict):
        return [x for k in sorted(result) for x in _flat(result[k])]
    if hasattr(result, "indices") and hasattr(result, "dense_shape"):
        return [result.indices, result.values, result.dense_shape]
    return [result]


@pytest.mark.parametrize("case", list(CASES))
def test_graph_and_values_match_tf(tf1, case):
    tg = tf1.Graph()
    with tg.as_default():
        theirs, tfeed = _build(tf1, case)
        with tf1.Session() as sess:
            expected = sess.run(_flat(theirs), tfeed)
    mg = tm.Graph()
    with mg.as_default():
        ours, ofeed = _build(tm, case)
        with tm.Session() as sess:
            actual = sess.run(_flat(ours), ofeed)
    assert _nodes(mg) == _nodes(tg)
    assert [t.shape.as_list() if t.shape.rank is not None else None for t in _flat(ours)] == [
        t.shape.as_list() if t.shape.rank is not None else None for t in _flat(theirs)
    ]
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert np.asarray(a).dtype == np.asarray(e).dtype
        np.testing.assert_array_equal(a, e)


@pytest.mark.parametrize("case", list(CASES))
def test_tf_runs_our_graph(tf1, case):
    mg = tm.Graph()
    with mg.as_default():
        ours, _ = _build(tm, case)
        names = [t.name for t in _flat(ours)]
        with tm.Session() as sess:
            feed = {"serialized:0": SEQUENCES if "sequence" in case else BATCH}
            expected = sess.run(names, feed)
    tg = tf1.Graph()
    with tg.as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(mg.as_graph_def().SerializeToString()), name="")
        with tf1.Session() as sess:
            actual = sess.run(names, feed)
    for a, e in zip(actual, expected):
        np.testing.assert_array_equal(a, e)


def test_sparse_tensor_fetch_and_feed():
    with tm.Graph().as_default():
        serialized = tm.placeholder(tm.string, [None])
        parsed = tm.parse_example(serialized, {"b": tm.VarLenFeature(tm.int64)})
        sp = parsed["b"]
        assert isinstance(sp, tm.SparseTensor)
        assert sp.shape.as_list() == [None, None] and sp.dtype == tm.int64
        with tm.Session() as sess:
            value = sess.run(sp, {serialized: BATCH})
            assert isinstance(value, tm.SparseTensorValue)
            np.testing.assert_array_equal(value.indices, [[0, 0], [0, 1], [0, 2], [1, 0]])
            np.testing.assert_array_equal(value.values, [1, 2, 3, 4])
            np.testing.assert_array_equal(value.dense_shape, [3, 3])
            # The SparseTensor's parts can be fed as one SparseTensorValue (or tuple).
            total = tm.reduce_sum(sp.values)
            assert sess.run(total, {sp: tm.SparseTensorValue([[0, 0]], [41], [1, 1])}) == 41
            assert sess.run(total, {sp: ([[0, 0], [0, 1]], [1, 2], [1, 2])}) == 3
            assert sp.eval({serialized: BATCH[1:2]}).values.tolist() == [4]


ERROR_CASES = {
    "wrong-type-dense": (lambda tf, s: tf.parse_example(s, {"a": tf.FixedLenFeature([2], tf.int64)}), BATCH),
    "wrong-type-sparse": (lambda tf, s: tf.parse_example(s, {"a": tf.VarLenFeature(tf.string)}), BATCH),
    "wrong-count": (lambda tf, s: tf.parse_example(s, {"a": tf.FixedLenFeature([3], tf.float32)}), BATCH),
    "missing-required": (lambda tf, s: tf.parse_example(s, {"zz": tf.FixedLenFeature([1], tf.float32)}), BATCH),
    "not-an-example": (lambda tf, s: tf.parse_example(s, {"a": tf.FixedLenFeature([2], tf.float32)}), [b"garbage"]),
    "stride": (
        lambda tf, s: tf.parse_example(s, {"seq": tf.FixedLenSequenceFeature([3], tf.float32, allow_missing=True)}),
        BATCH,
    ),
    "names": (
        lambda tf, s: tf.parse_example(s, {"a": tf.FixedLenFeature([1], tf.float32)}, example_names=["x", "y", "z"]),
        BATCH,
    ),
    "single-wrong-type": (lambda tf, s: tf.parse_single_example(s[0], {"a": tf.FixedLenFeature([2], tf.int64)}), BATCH),
    "single-sparse-type": (lambda tf, s: tf.parse_single_example(s[0], {"a": tf.VarLenFeature(tf.int64)}), BATCH),
    "single-missing": (lambda tf, s: tf.parse_single_example(s[0], {"q": tf.FixedLenFeature([], tf.string)}), BATCH),
    "single-wrong-count": (
        lambda tf, s: tf.parse_single_example(s[0], {"a": tf.FixedLenFeature([], tf.float32)}),
        BATCH,
    ),
    "single-stride": (
        lambda tf, s: tf.parse_single_example(
            s[0], {"seq": tf.FixedLenSequenceFeature([3], tf.float32, allow_missing=True)}
        ),
        BATCH,
    ),
    "sequence-missing-list": (
        lambda tf, s: tf.parse_single_sequence_example(
            s[0], sequence_features={"x": tf.FixedLenSequenceFeature([], tf.int64)}
        ),
        SEQUENCES,
    ),
    "sequence-wrong-type": (
        lambda tf, s: tf.parse_single_sequence_example(s[0], sequence_features={"vals": tf.VarLenFeature(tf.int64)}),
        SEQUENCES,
    ),
    "sequence-context-type": (
        lambda tf, s: tf.parse_single_sequence_example(
            s[0], context_features={"len": tf.FixedLenFeature([], tf.float32)}
        ),
        SEQUENCES,
    ),
    "sequence-wrong-count": (
        lambda tf, s: tf.parse_single_sequence_example(
            s[0], sequence_features={"vals": tf.FixedLenSequenceFeature([], tf.float32)}
        ),
        SEQUENCES,
    ),
    "sequence-garbage": (
        lambda tf, s: tf.parse_single_sequence_example(
            s[0], context_features={"len": tf.FixedLenFeature([], tf.int64)}
        ),
        [b"garbage"],
    ),
}


def _message(error) -> str:
    """An error's own message, without TensorFlow's node annotations and stack traces."""
    lines = [line for line in error.message.split("\n") if line and not line.startswith("\t [[")]
    return lines[-1]


def _error(framework, case, error_type):
    build, data = ERROR_CASES[case]
    with framework.Graph().as_default():
        serialized = framework.placeholder(framework.string, [None])
        out = build(framework, serialized)
        with framework.Session() as sess, pytest.raises(error_type) as info:
            sess.run(_flat(out), {serialized: data})
    return info.value


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_bad_input_is_invalid_argument_in_tfs_words(tf1, case):
    import tensorflow as tf

    theirs = _error(tf1, case, tf.errors.InvalidArgumentError)
    ours = _error(tm, case, errors.InvalidArgumentError)
    assert ours.message == _message(theirs)
    assert ours.op is not None and ours.op.type.startswith("Parse")


def test_feature_spec_errors():
    with tm.Graph().as_default():
        s = tm.placeholder(tm.string, [None])
        with pytest.raises(ValueError, match="First dimension of shape for feature a unknown"):
            tm.parse_example(s, {"a": tm.FixedLenFeature([None], tm.float32)})
        with pytest.raises(ValueError, match="requires allow_missing to be True"):
            tm.parse_example(s, {"a": tm.FixedLenSequenceFeature([], tm.float32)})
        with pytest.raises(ValueError, match="features cannot be empty"):
            tm.parse_single_example(s[0], {})
        with pytest.raises(ValueError, match="Input serialized must be a scalar"):
            tm.parse_single_example(s, {"a": tm.FixedLenFeature([], tm.float32)})


def test_decode_raw_csv_split_to_number_graphs_match_tf(tf1):
    def build(tf):
        s = tf.placeholder(tf.string, [None], name="s")
        return [
            tf.decode_raw(s, tf.uint8, name="raw"),
            tf.io.decode_raw(s, tf.int16, little_endian=False),
            tf.decode_csv(s, [[1.0], [0], ["x"]], name="csv"),
            tf.string_split(s, name="split"),
            tf.string_split(s, delimiter=",", skip_empty=False),
            tf.string_to_number(s, name="num"),
            tf.strings.to_number(s, out_type=tf.int64),
        ]

    tg, mg = tf1.Graph(), tm.Graph()
    with tg.as_default():
        build(tf1)
    with mg.as_default():
        build(tm)
    assert _nodes(mg) == _nodes(tg)


@pytest.mark.parametrize(
    ("op", "inputs", "kwargs"),
    [
        ("decode_raw", [b"abc", b"de"], {"out_type": "uint8"}),
        ("decode_raw", [b"abc"], {"out_type": "int16"}),
        ("decode_csv", [b"1,2", b"3"], {"record_defaults": [[0], [0]]}),
        ("decode_csv", [b"1,", b"3,4"], {"record_defaults": [[0], np.zeros(0, np.int32)]}),
        ("decode_csv", [b"x,2"], {"record_defaults": [[0], [0]]}),
        ("decode_csv", [b"1.5x,2"], {"record_defaults": [[0.0], [0]]}),
        ("decode_csv", [b'"ab"c,1'], {"record_defaults": [[""], [0]]}),
        ("decode_csv", [b'a"b,1'], {"record_defaults": [[""], [0]]}),
        ("string_to_number", [b"1.5", b"x"], {}),
        ("string_to_number", [b"99999999999"], {"out_type": "int32"}),
    ],
)
def test_decoding_errors_match_tf(tf1, op, inputs, kwargs):
    import tensorflow as tf

    def run(framework, error_type):
        with framework.Graph().as_default():
            s = framework.placeholder(framework.string, [None])
            args = dict(kwargs)
            if "out_type" in args:
                args["out_type"] = framework.as_dtype(args["out_type"])
            out = getattr(framework, op)(s, **args)
            with framework.Session() as sess, pytest.raises(error_type) as info:
                sess.run(out, {s: inputs})
        return _message(info.value)

    theirs = run(tf1, tf.errors.InvalidArgumentError)
    ours = run(tm, errors.InvalidArgumentError)
    assert ours == theirs


def test_serialize_parse_tensor_and_decode_compressed_are_tfs(tf1):
    """tf.io's and the top level's names: TF's nodes, TensorProto bytes both frameworks parse, TF's errors."""
    value = np.arange(6, dtype=np.int32).reshape(2, 3)
    results, graphs = [], []
    for fw in (tf1, tm):
        g = fw.Graph()
        with g.as_default():
            x = fw.placeholder(fw.int32, [None, 3], name="x")
            s = fw.io.serialize_tensor(x)
            back = fw.parse_tensor(fw.serialize_tensor(x, name="again"), fw.int32)
            texts = fw.io.parse_tensor(fw.io.serialize_tensor(fw.constant([b"a", b"bc"])), fw.string, name="texts")
            raw = fw.decode_compressed(fw.constant([zlib.compress(b"abc")]), compression_type="ZLIB", name="inflate")
            wrong = fw.io.parse_tensor(s, fw.float32)
            with fw.Session() as sess:
                results.append(sess.run([s, back, texts, raw], {x: value}))
                with pytest.raises(fw.errors.InvalidArgumentError) as info:
                    sess.run(wrong, {x: value})
                results[-1].append(info.value.message)
        graphs.append(g)
    assert _nodes(graphs[1]) == _nodes(graphs[0])
    (s_tf, back_tf, texts_tf, raw_tf, msg_tf), (s_tm, back_tm, texts_tm, raw_tm, msg_tm) = results
    assert s_tm == s_tf
    np.testing.assert_array_equal(back_tm, back_tf)
    assert back_tm.dtype == back_tf.dtype
    assert list(texts_tm) == list(texts_tf) and list(raw_tm) == list(raw_tf) == [b"abc"]
    assert msg_tm in msg_tf
