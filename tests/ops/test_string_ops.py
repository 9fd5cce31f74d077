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
]


@pytest.mark.parametrize("sample", RUNTIME_ERRORS, ids=lambda s: s.name)
def test_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


SHAPE_ERRORS = [
    S("RegexReplace", {"input": _W, "pattern": np.array([b"a"], object), "rewrite": np.array(b"x", object)}, id="p"),
    S("RegexFullMatch", {"input": _W, "pattern": np.array([b"a", b"b"], object)}, id="pattern"),
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
