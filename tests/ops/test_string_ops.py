"""Element-wise string ops beyond the sample table: TF's kernel and shape errors, tf.strings.* built node for node
as TensorFlow builds them (Static* ops for Python-string patterns), and farmhash Fingerprint64 against TF's
StringToHashBucketFast over many lengths."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api.tf_programs import assert_same_graph
from tests.ops.harness import Sample, assert_same_runtime_error, assert_same_shape_error
from torchmeta.ops.farmhash import fingerprint64

S = Sample
_W = np.array([b"Hello", b"world 42"], dtype=object)

RUNTIME_ERRORS = [
    S("RegexReplace", {"input": _W, "pattern": np.array(p, object), "rewrite": np.array(b"x", object)}, id=p.decode())
    for p in [b"(", b"a)", b"[a", b"*a", b"a**", b"a{2,1}", b"a(b", b"\\"]
] + [
    S("RegexFullMatch", {"input": _W, "pattern": np.array(b"[x", object)}, id="full-match"),
    S("DecodeBase64", {"input": np.array([b"ab$d"], object)}, id="bad-char"),
    S(
        "UnicodeDecode",
        {"input": np.array([b"a\xff"], object)},
        {"input_encoding": "UTF-8", "errors": "strict"},
        id="strict",
    ),
    S("UnicodeDecode", {"input": _W}, {"input_encoding": "bogus"}, id="encoding"),
    S("UnicodeDecode", {"input": _W}, {"input_encoding": "UTF-8", "replacement_char": 0x110000}, id="replacement"),
    S(
        "UnicodeEncode",
        {"input_values": np.array([0xD800], np.int32), "input_splits": np.array([0, 1], np.int64)},
        {"output_encoding": "UTF-8", "errors": "strict"},
        id="strict",
    ),
    S(
        "UnicodeEncode",
        {"input_values": np.array([65], np.int32), "input_splits": np.array([0, 2], np.int64)},
        {"output_encoding": "UTF-8"},
        id="last-split",
    ),
    S(
        "UnicodeEncode",
        {"input_values": np.array([65], np.int32), "input_splits": np.array([1, 1], np.int64)},
        {"output_encoding": "UTF-8"},
        id="first-split",
    ),
    S("AsString", {"input": np.array([1, 2], np.int32)}, {"precision": 2}, id="int-precision"),
    S("AsString", {"input": np.array([True])}, {"scientific": True}, id="bool-scientific"),
    S("AsString", {"input": np.array([1.5])}, {"scientific": True, "shortest": True}, id="both"),
    S("AsString", {"input": np.array([1.5])}, {"fill": "ab"}, id="fill-long"),
    S("AsString", {"input": np.array([1.5])}, {"fill": "x", "width": 4}, id="fill-char"),
    S("StringToHashBucketStrong", {"input": _W}, {"num_buckets": 3, "key": [1]}, id="key"),
    S("Substr", {"input": _W, "pos": np.int32(6), "len": np.int32(1)}, id="pos-range"),
    S("Substr", {"input": _W, "pos": np.int32(-9), "len": np.int32(1)}, id="neg-pos-range"),
    S("Substr", {"input": _W, "pos": np.int32(9), "len": np.int32(1)}, {"unit": "UTF8_CHAR"}, id="utf8-range"),
    S(
        "Substr",
        {"input": _W.reshape(1, 2), "pos": np.array([[1], [7]], np.int64), "len": np.array([[1], [1]], np.int64)},
        id="broadcast-range",
    ),
    S(
        "Substr",
        {"input": _W, "pos": np.array([1, 2, 3], np.int32), "len": np.array([1, 2, 3], np.int32)},
        id="broadcast-incompatible",
    ),
    S(
        "Substr",
        {"input": _W.reshape(2, 1, 1), "pos": np.zeros((1, 2, 2), np.int32), "len": np.ones((1, 2, 2), np.int32)},
        id="broadcast-3d",
    ),
    S("Substr", {"input": _W, "pos": np.zeros(0, np.int32), "len": np.zeros(0, np.int32)}, id="empty-pos"),
    S("Substr", {"input": _W[:0], "pos": np.zeros(0, np.int32), "len": np.zeros(1, np.int32)}, id="empty-len"),
    S("Substr", {"input": _W, "pos": np.zeros(2, np.int32), "len": np.zeros(1, np.int32)}, id="pos-len"),
    S("ReduceJoin", {"inputs": _W, "reduction_indices": np.int32(1)}, id="axis"),
    S("ReduceJoin", {"inputs": _W, "reduction_indices": np.array([0, -1], np.int32)}, id="duplicate"),
    S(
        "StringNGrams",
        {"data": _W, "data_splits": np.array([0, 3], np.int64)},
        {
            "separator": " ",
            "ngram_widths": [2],
            "left_pad": "",
            "right_pad": "",
            "pad_width": 0,
            "preserve_short_sequences": False,
        },
        id="last-split",
    ),
    S(
        "StringNGrams",
        {"data": _W, "data_splits": np.array([1, 2], np.int64)},
        {
            "separator": " ",
            "ngram_widths": [2],
            "left_pad": "",
            "right_pad": "",
            "pad_width": 0,
            "preserve_short_sequences": False,
        },
        id="first-split",
    ),
    S(
        "StringNGrams",
        {"data": _W, "data_splits": np.array([0, 2], np.int64)},
        {
            "separator": " ",
            "ngram_widths": [0],
            "left_pad": "",
            "right_pad": "",
            "pad_width": 0,
            "preserve_short_sequences": False,
        },
        id="zero-width",
    ),
]


@pytest.mark.parametrize("sample", RUNTIME_ERRORS, ids=lambda s: s.name)
def test_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


SHAPE_ERRORS = [
    S("RegexReplace", {"input": _W, "pattern": np.array([b"a"], object), "rewrite": np.array(b"x", object)}, id="p"),
    S("RegexFullMatch", {"input": _W, "pattern": np.array([b"a", b"b"], object)}, id="pattern"),
    S("Substr", {"input": _W, "pos": np.zeros(2, np.int32), "len": np.zeros(1, np.int32)}, id="pos-len"),
    S("Substr", {"input": _W, "pos": np.zeros(2, np.int32), "len": np.int32(0)}, id="pos-len-rank"),
    S("Substr", {"input": _W, "pos": np.zeros(3, np.int32), "len": np.zeros(3, np.int32)}, id="broadcast"),
    S("ReduceJoin", {"inputs": _W, "reduction_indices": np.int32(2)}, id="axis"),
    S(
        "StringNGrams",
        {"data": _W.reshape(1, 2), "data_splits": np.array([0, 2], np.int64)},
        {
            "separator": " ",
            "ngram_widths": [2],
            "left_pad": "",
            "right_pad": "",
            "pad_width": 0,
            "preserve_short_sequences": False,
        },
        id="data-rank",
    ),
]


@pytest.mark.parametrize("sample", SHAPE_ERRORS, ids=lambda s: s.name)
def test_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)


def _program(tf):
    x = tf.constant(_W, name="x")
    p = tf.constant(b"o+", name="p")
    return [
        tf.strings.lower(x),
        tf.strings.upper(x, encoding="utf-8", name="up"),
        tf.strings.strip(x),
        tf.string_strip(x),
        tf.strings.length(x, unit="UTF8_CHAR"),
        tf.strings.regex_replace(x, "l+", "L"),
        tf.regex_replace(x, p, "0", replace_global=False),
        tf.strings.regex_full_match(x, "[a-z ]+\\d*"),
        tf.strings.regex_full_match(x, p),
        tf.strings.to_hash_bucket_fast(x, 7),
        tf.string_to_hash_bucket_fast(x, 1000, name="h"),
        tf.decode_base64(tf.encode_base64(x, pad=True)),
        tf.strings.to_hash_bucket(x, 5),
        tf.string_to_hash_bucket(input=x, num_buckets=9, name="old"),
        tf.strings.to_hash_bucket_strong(x, 11, [3, 4]),
        tf.string_to_hash_bucket_strong(x, 2**40, key=[-1, 2**62], name="strong"),
        tf.as_string(tf.constant([1.25, -3.0]), precision=1, width=6, fill="0"),
        tf.strings.as_string(tf.constant([[7, -8]], tf.int64), width=4, name="fmt"),
        tf.strings.substr(x, 1, 3),
        tf.substr(x, tf.constant([0, 1]), tf.constant([2, 2]), unit="UTF8_CHAR", name="sub"),
        tf.strings.reduce_join(x),
        tf.reduce_join([["a", "b"], ["c", "d"]], axis=0, separator="-", keep_dims=True),
        tf.strings.reduce_join(tf.compat.v1.placeholder_with_default(x, None), separator=" "),
        tf.strings.reduce_join(x, reduction_indices=[0], keepdims=True, name="rj"),
        tf.strings.join([x, "!", x], separator="_"),
        tf.string_join([x, x], name="sj"),
        tf.strings.unicode_transcode(x, "UTF-8", "UTF-16-BE"),
        tf.strings.unicode_transcode(x, "latin1", "UTF-8", errors="ignore", replace_control_characters=True, name="tc"),
    ]


def test_string_functions_build_tf_graph(tf1):
    assert_same_graph(tf1, _program)
    results = []
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            fetches = _program(api)
            with api.Session(graph=g) as sess:
                results.append(sess.run(fetches))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_array_equal(ours, theirs)


def test_fingerprint64_matches_tf_over_lengths(tf1):
    import tensorflow as tf

    rng = np.random.default_rng(41)
    data = [bytes(rng.integers(0, 256, n, dtype=np.uint8)) for n in [*range(0, 200), 255, 256, 257, 1000, 4097]]
    with tf1.Session() as sess:
        theirs = sess.run(tf.raw_ops.StringToHashBucketFast(input=np.array(data, object), num_buckets=2**63 - 1))
    assert [fingerprint64(s) % (2**63 - 1) for s in data] == theirs.tolist()


def test_keyed_and_tf_hashes_match_tf_over_lengths(tf1):
    import tensorflow as tf

    from torchmeta.ops.keyed_hash import siphash24, tf_hash64

    rng = np.random.default_rng(43)
    data = [bytes(rng.integers(0, 256, n, dtype=np.uint8)) for n in [*range(0, 70), 127, 128, 129, 1000]]
    key = [0x0706050403020100, -0x0F0E0D0C0B0A0909]
    with tf1.Session() as sess:
        strong, old = sess.run(
            [
                tf.raw_ops.StringToHashBucketStrong(input=np.array(data, object), num_buckets=2**63 - 1, key=key),
                tf.raw_ops.StringToHashBucket(string_tensor=np.array(data, object), num_buckets=2**63 - 1),
            ]
        )
    assert [siphash24(key[0], key[1], s) % (2**63 - 1) for s in data] == strong.tolist()
    assert [tf_hash64(s) % (2**63 - 1) for s in data] == old.tolist()
