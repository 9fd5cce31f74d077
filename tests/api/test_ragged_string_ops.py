"""String functions returning RaggedTensors against TensorFlow: tf.strings.split (TF2's, and tf.compat.v1's with
result_type), tf.string_split(result_type="RaggedTensor"), tf.strings.ngrams, unicode_decode/unicode_split/
unicode_encode: the same graph node for node and the same fetched values."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api.test_ragged_tensor import _assert_same_value, _run
from tests.api.tf_programs import assert_same_graph

WORDS = ["hello world  a", "", "b c"]


def _split_v2(api):
    """TF2's tf.strings.split, which tf.compat.v1 does not export: the function of each framework's module."""
    if api is tm:
        from torchmeta.api.ragged_string_ops import string_split_v2
    else:
        from tensorflow.python.ops.ragged.ragged_string_ops import string_split_v2
    return string_split_v2


PROGRAMS = {
    "split-v2": lambda tf: {
        "ws": _split_v2(tf)(WORDS),
        "sep": _split_v2(tf)(["a,b,,c", "d"], sep=","),
        "max": _split_v2(tf)(["a b c d"], maxsplit=1),
        "scalar": _split_v2(tf)("x y"),
        "matrix": _split_v2(tf)([["a b", "c"], ["d", "e f g"]]),
        "ragged": _split_v2(tf)(tf.ragged.constant([["a b"], [], ["c", "d e"]])),
    },
    "split-v1": lambda tf: {
        "sparse": tf.strings.split(WORDS),
        "ragged": tf.strings.split(WORDS, result_type="RaggedTensor"),
        "sparse-matrix": tf.strings.split([["a b", "c"], ["d", "e"]], sep=" "),
        "scalar": tf.strings.split("p q", result_type="RaggedTensor"),
    },
    "string_split": lambda tf: {
        "ragged": tf.string_split(WORDS, result_type="RaggedTensor"),
        "sparse": tf.string_split(["a-b", "c"], delimiter="-"),
    },
    "ngrams": lambda tf: {
        "bigrams": tf.strings.ngrams(tf.ragged.constant([["a", "b", "c"], ["d"], []]), 2),
        "widths": tf.strings.ngrams(tf.ragged.constant([["a", "b", "c"], ["d"]]), [1, 3], separator="-"),
        "padded": tf.strings.ngrams(
            tf.ragged.constant([["a", "b"], ["c"]]), 3, pad_values=("<s>", "</s>"), padding_width=1
        ),
        "short": tf.strings.ngrams(tf.ragged.constant([["a"], ["b", "c"]]), 3, preserve_short_sequences=True),
        "vector": tf.strings.ngrams(["x", "y", "z"], 2),
        "dense": tf.strings.ngrams([["x", "y", "z"], ["u", "v", "w"]], 2),
        "nested": tf.strings.ngrams(tf.ragged.constant([[["a", "b"]], [["c", "d", "e"], []]]), 2),
    },
    "unicode_decode": lambda tf: {
        "utf8": tf.strings.unicode_decode(["h\u00e9llo", "", "\u4e16\u754c"], "UTF-8"),
        "scalar": tf.strings.unicode_decode("ab", "UTF-8"),
        "matrix": tf.strings.unicode_decode([["ab", "c"], ["", "d"]], "UTF-8"),
        "invalid": tf.strings.unicode_decode([b"a\xffb"], "UTF-8", errors="replace", replacement_char=63),
        "utf16": tf.strings.unicode_decode(["ab".encode("utf-16-be")], "UTF-16-BE"),
    },
    "unicode_split": lambda tf: {
        "split": tf.strings.unicode_split(["h\u00e9", "", "xyz"], "UTF-8"),
        "scalar": tf.strings.unicode_split("ab", "UTF-8"),
    },
    "unicode_encode": lambda tf: {
        "ragged": tf.strings.unicode_encode(tf.ragged.constant([[104, 233], [], [19990]]), "UTF-8"),
        "dense": tf.strings.unicode_encode([[97, 98], [99, 100]], "UTF-8"),
        "vector": tf.strings.unicode_encode([97, 98, 99], "UTF-8"),
    },
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_graph_and_values_match_tf(tf1, name):
    (tf_graph, tf_fetches), (tm_graph, tm_fetches) = assert_same_graph(tf1, PROGRAMS[name])
    want = _run(tf1, tf_graph, tf_fetches, None)
    got = _run(tm, tm_graph, tm_fetches, None)
    assert sorted(got) == sorted(want)
    for key in want:
        _assert_same_value(want[key], got[key], key)


ERRORS = {
    "result_type": (lambda tf: tf.strings.split(["a"], result_type="Dense"), ValueError),
    "string_split result_type": (lambda tf: tf.string_split(["a"], result_type="Dense"), ValueError),
    "ngram width": (lambda tf: tf.strings.ngrams(tf.ragged.constant([["a"]]), 0), ValueError),
    "pad type": (lambda tf: tf.strings.ngrams(tf.ragged.constant([["a"]]), 2, pad_values=3), TypeError),
    "padding width": (lambda tf: tf.strings.ngrams(tf.ragged.constant([["a"]]), 2, padding_width=1), ValueError),
    "ngrams scalar": (lambda tf: tf.strings.ngrams("a", 2), ValueError),
    "unicode_encode scalar": (lambda tf: tf.strings.unicode_encode(97, "UTF-8"), ValueError),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_match_tf(tf1, case):
    fn, error = ERRORS[case]
    with pytest.raises(error) as theirs:
        with tf1.Graph().as_default():
            fn(tf1)
    with pytest.raises(error) as ours:
        with tm.Graph().as_default():
            fn(tm)
    assert str(ours.value) == str(theirs.value)


def test_split_of_fed_strings_matches_tf(tf1):
    def program(api):
        return {"rt": api.strings.split(api.placeholder(api.string, [None], name="s"), result_type="RaggedTensor")}

    (tf_graph, tf_fetches), (tm_graph, tm_fetches) = assert_same_graph(tf1, program)
    feeds = {"s:0": np.array([b"a b", b"", b"c"], object)}
    want = _run(tf1, tf_graph, tf_fetches, feeds)
    got = _run(tm, tm_graph, tm_fetches, feeds)
    _assert_same_value(want["rt"], got["rt"], "rt")
