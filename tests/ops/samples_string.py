"""Samples for the element-wise string ops (torchmeta/ops/string_ops.py): case (ASCII and UTF-8), whitespace,
lengths in bytes and UTF-8 characters, RE2 replacement and matching, web-safe base64 and farmhash hash buckets
(every length class of Fingerprint64: 0-16, 17-32, 33-64 and the 64-byte loop). Errors are in
test_string_ops.py."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample

S = Sample
_rng = np.random.default_rng(37)


def strings(*values, shape=None):
    arr = np.array([v.encode() if isinstance(v, str) else v for v in values] + [b""] * 0, dtype=object)
    return arr.reshape(shape) if shape else arr


_WORDS = strings("Hello World", "  MiXeD case\t", "", "ÄÖÜ straße", "a1_B2-c3", "\n\tpad  ", shape=(2, 3))
_BYTES = np.array(
    [
        bytes(_rng.integers(0, 256, n, dtype=np.uint8))
        for n in (0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 300)
    ],
    dtype=object,
)

SAMPLES: list[Sample] = [
    S("StringLower", {"input": _WORDS}),
    S("StringLower", {"input": _WORDS}, {"encoding": "utf-8"}, id="utf-8"),
    S("StringUpper", {"input": _WORDS}),
    S("StringUpper", {"input": _WORDS}, {"encoding": "utf-8"}, id="utf-8"),
    S("StringLower", {"input": _WORDS}, fed={"input": None}, id="unknown"),
    S("StringStrip", {"input": _WORDS}),
    S("StringStrip", {"input": strings(" \x0b\x0c a b \r\n")}, id="all-whitespace"),
    S("StringLength", {"input": _WORDS}),
    S("StringLength", {"input": _WORDS}, {"unit": "UTF8_CHAR"}, id="utf8-chars"),
    S("StringLength", {"input": strings()}, id="empty"),
    S("StaticRegexReplace", {"input": _WORDS}, {"pattern": "[aeiou]", "rewrite": "*"}),
    S(
        "StaticRegexReplace",
        {"input": _WORDS},
        {"pattern": "[aeiou]", "rewrite": "*", "replace_global": False},
        id="first",
    ),
    S("StaticRegexReplace", {"input": _WORDS}, {"pattern": r"(\w)(\w*)", "rewrite": r"\2\1 <\0>"}, id="groups"),
    S("StaticRegexReplace", {"input": _WORDS}, {"pattern": r"\s+", "rewrite": r"\\"}, id="backslash"),
    S("RegexReplace", {"input": _WORDS, "pattern": np.array(b"(l+)", object), "rewrite": np.array(b"[\\1]", object)}),
    S(
        "RegexReplace",
        {"input": _WORDS, "pattern": np.array(b"o", object), "rewrite": np.array(b"0", object)},
        {"replace_global": False},
        id="first",
    ),
    S("RegexFullMatch", {"input": _WORDS, "pattern": np.array(rb"[a-zA-Z ]+", object)}),
    S("RegexFullMatch", {"input": _WORDS, "pattern": np.array(rb".*\d.*", object)}, fed={"pattern": []}, id="fed"),
    S("EncodeBase64", {"input": _BYTES}),
    S("EncodeBase64", {"input": _BYTES}, {"pad": True}, id="pad"),
    S("DecodeBase64", {"input": strings("aGVsbG8", "aGVsbG8=", "", "-_-_", "AA==", "AAA", "YWJj")}),
    S("StringToHashBucketFast", {"input": _BYTES}, {"num_buckets": 2**63 - 1}),
    S("StringToHashBucketFast", {"input": _WORDS}, {"num_buckets": 10}, id="ten"),
    S("StringToHashBucketFast", {"input": _WORDS}, {"num_buckets": 1}, id="one"),
]

_NUMS = np.array([0.0, -1.5, 3.14159265, 1e10, -2.5e-7, np.nan, np.inf, -np.inf, 123456.789], np.float64)
_INTS = np.array([0, -7, 42, 2**31 - 1, -(2**31)], np.int32)
_UTF8 = strings("héllo wörld", "ñ", "日本語のテキスト", "abcd", shape=(2, 2))

SAMPLES += [
    S("AsString", {"input": _NUMS}),
    S("AsString", {"input": _NUMS.astype(np.float32)}, id="float32"),
    S("AsString", {"input": _NUMS[~(np.abs(_NUMS) > 6e4) | np.isinf(_NUMS)].astype(np.float16)}, id="half"),
    S("AsString", {"input": _NUMS}, {"precision": 2, "scientific": True}, id="scientific"),
    S("AsString", {"input": _NUMS}, {"shortest": True}, id="shortest"),
    S("AsString", {"input": _NUMS.astype(np.float32)}, {"shortest": True, "precision": 3}, id="shortest-p3"),
    S("AsString", {"input": _NUMS}, {"width": 14, "fill": "0", "precision": 1}, id="zero-fill"),
    S("AsString", {"input": _NUMS}, {"width": 12, "fill": "-"}, id="left"),
    S("AsString", {"input": _NUMS}, {"width": 12, "fill": "+"}, id="plus"),
    S("AsString", {"input": _NUMS}, {"precision": 0, "fill": "#"}, id="alt"),
    S("AsString", {"input": _INTS}),
    S("AsString", {"input": _INTS}, {"width": 5, "fill": " "}, id="space"),
    S("AsString", {"input": _INTS.astype(np.int64) * 3}, {"width": 12, "fill": "0"}, id="int64"),
    S("AsString", {"input": np.array([0, 255, 7], np.uint8)}, {"width": 4}, id="uint8"),
    S("AsString", {"input": np.array([0, 2**64 - 1], np.uint64)}, id="uint64"),
    S("AsString", {"input": np.array([-128, 127], np.int8).reshape(2, 1)}, id="int8"),
    S("AsString", {"input": np.array([[True, False]])}, {"width": 7}, id="bool"),
    S("AsString", {"input": np.array([1.5 - 2j, -0.25j], np.complex64)}, id="complex64"),
    S("AsString", {"input": np.array([1.5 - 2j], np.complex128)}, {"precision": 3, "width": 9}, id="complex128"),
    S("AsString", {"input": _UTF8}, id="string"),
    S("AsString", {"input": _UTF8}, {"width": 12, "fill": "-"}, id="string-width"),
    S("AsString", {"input": _UTF8}, {"width": 6, "precision": 2}, id="string-precision"),
    S("AsString", {"input": np.zeros((0, 3), np.float32)}, id="empty"),
    S("StringToHashBucket", {"string_tensor": _BYTES}, {"num_buckets": 2**63 - 1}),
    S("StringToHashBucket", {"string_tensor": _WORDS}, {"num_buckets": 7}, id="seven"),
    S("StringToHashBucketStrong", {"input": _BYTES}, {"num_buckets": 2**63 - 1, "key": [1, 2]}),
    S("StringToHashBucketStrong", {"input": _WORDS}, {"num_buckets": 10, "key": [2**63 - 1, -5]}, id="ten"),
    S("StringToHashBucketStrong", {"input": strings()}, {"num_buckets": 3, "key": [0, 0]}, id="empty"),
    S("Substr", {"input": _WORDS[:, :2], "pos": np.int32(1), "len": np.int32(4)}),
    S("Substr", {"input": _WORDS[:, :2], "pos": np.int64(-3), "len": np.int64(2)}, id="negative-pos"),
    S("Substr", {"input": _WORDS, "pos": np.int32(0), "len": np.int32(-1)}, id="negative-len"),
    S(
        "Substr",
        {"input": _WORDS, "pos": np.array([[0, 1, 0], [2, 0, 1]], np.int32), "len": np.full((2, 3), 3, np.int32)},
        id="elementwise",
    ),
    S(
        "Substr",
        {"input": _WORDS, "pos": np.array([0, 1, 0], np.int64), "len": np.array([5, 1, 2], np.int64)},
        id="broadcast",
    ),
    S(
        "Substr",
        {"input": strings("abcdef"), "pos": np.array([[0], [2]], np.int32), "len": np.array([[3], [1]], np.int32)},
        id="broadcast-2d",
    ),
    S("Substr", {"input": _UTF8, "pos": np.int32(1), "len": np.int32(3)}, {"unit": "UTF8_CHAR"}, id="utf8"),
    S("Substr", {"input": strings(), "pos": np.zeros(0, np.int32), "len": np.zeros(0, np.int32)}, id="empty"),
    S("Substr", {"input": _UTF8[1:], "pos": np.int32(-4), "len": np.int32(2)}, {"unit": "UTF8_CHAR"}, id="utf8-neg"),
    S("Substr", {"input": _UTF8, "pos": np.int32(0), "len": np.int32(-2)}, {"unit": "UTF8_CHAR"}, id="utf8-neglen"),
    S(
        "Substr",
        {"input": _UTF8, "pos": np.int32(0), "len": np.int32(2)},
        {"unit": "UTF8_CHAR"},
        fed={"input": [None, 2], "pos": None},
        id="fed",
    ),
    S("ReduceJoin", {"inputs": _WORDS, "reduction_indices": np.int32(1)}),
    S("ReduceJoin", {"inputs": _WORDS, "reduction_indices": np.array([0], np.int32)}, {"separator": ", "}, id="axis0"),
    S(
        "ReduceJoin",
        {"inputs": _WORDS, "reduction_indices": np.array([1, 0], np.int32)},
        {"keep_dims": True, "separator": "|"},
        id="all-keep",
    ),
    S("ReduceJoin", {"inputs": _WORDS, "reduction_indices": np.array([-1, 0], np.int32)}, id="negative"),
    S("ReduceJoin", {"inputs": _WORDS, "reduction_indices": np.zeros(0, np.int32)}, id="none"),
    S("ReduceJoin", {"inputs": strings(shape=(0, 2)), "reduction_indices": np.int32(0)}, id="empty"),
    S(
        "ReduceJoin",
        {"inputs": _UTF8, "reduction_indices": np.int32(0)},
        {"separator": "·"},
        fed={"reduction_indices": []},
        id="fed",
    ),
]

_TOKENS = strings("a", "b", "c", "d", "e", "f")
_NGRAM_ATTRS = {
    "separator": " ",
    "ngram_widths": [2],
    "left_pad": "",
    "right_pad": "",
    "pad_width": 0,
    "preserve_short_sequences": False,
}
SAMPLES += [
    S("StringNGrams", {"data": _TOKENS, "data_splits": np.array([0, 4, 4, 6], np.int64)}, _NGRAM_ATTRS),
    S(
        "StringNGrams",
        {"data": _TOKENS, "data_splits": np.array([0, 1, 6], np.int32)},
        {**_NGRAM_ATTRS, "ngram_widths": [1, 3], "separator": "_"},
        id="widths",
    ),
    S(
        "StringNGrams",
        {"data": _TOKENS, "data_splits": np.array([0, 2, 6], np.int64)},
        {**_NGRAM_ATTRS, "ngram_widths": [3], "left_pad": "<s>", "right_pad": "</s>", "pad_width": -1},
        id="pad-all",
    ),
    S(
        "StringNGrams",
        {"data": _TOKENS, "data_splits": np.array([0, 1, 6], np.int64)},
        {**_NGRAM_ATTRS, "ngram_widths": [4], "left_pad": "L", "right_pad": "R", "pad_width": 1},
        id="pad-one",
    ),
    S(
        "StringNGrams",
        {"data": _TOKENS, "data_splits": np.array([0, 1, 3, 3, 6], np.int64)},
        {**_NGRAM_ATTRS, "ngram_widths": [4], "preserve_short_sequences": True},
        id="preserve-short",
    ),
    S(
        "StringNGrams",
        {"data": _TOKENS, "data_splits": np.array([0, 2, 6], np.int64)},
        {
            **_NGRAM_ATTRS,
            "ngram_widths": [5],
            "left_pad": "L",
            "right_pad": "R",
            "pad_width": 1,
            "preserve_short_sequences": True,
        },
        id="preserve-short-pad",
    ),
    S(
        "StringNGrams",
        {"data": _TOKENS, "data_splits": np.array([0, 6], np.int64)},
        {**_NGRAM_ATTRS, "ngram_widths": []},
        id="no-widths",
    ),
    S("StringNGrams", {"data": strings(), "data_splits": np.array([0, 0], np.int64)}, _NGRAM_ATTRS, id="empty"),
]


def i64(*v):
    return np.array(v, np.int64)


_INVALID_UTF8 = np.array(
    [
        b"abc",
        "héllo".encode(),
        b"\xff",
        b"a\xc3",
        b"\xe2\x82a",
        b"\xf0\x9f\x98\x80",
        b"\xed\xa0\x80",
        b"\xc0\xaf",
        b"\xf4\x90\x80\x80",
        b"\x01\x7f\x1f",
        b"",
    ],
    dtype=object,
)
_CODES = np.array([72, 0xD800, 0x110000, -1, 233, 0x1F600, 0], np.int32)
SAMPLES += [
    S("UnicodeDecode", {"input": _INVALID_UTF8}, {"input_encoding": "UTF-8"}),
    S("UnicodeDecode", {"input": _INVALID_UTF8}, {"input_encoding": "UTF-8", "errors": "ignore"}, id="ignore"),
    S(
        "UnicodeDecode",
        {"input": _INVALID_UTF8.reshape(1, 11)},
        {
            "input_encoding": "utf-8",
            "replacement_char": 63,
            "replace_control_characters": True,
            "Tsplits": "dtype:int32",
        },
        id="control-int32",
    ),
    S("UnicodeDecode", {"input": strings("h😀é", "", shape=(2, 1))}, {"input_encoding": "UTF-8"}, id="matrix"),
    S(
        "UnicodeDecode",
        {"input": np.array(["h😀é".encode("utf-16-be"), b"\x00a"], object)},
        {"input_encoding": "UTF-16-BE"},
        id="utf16",
    ),
    S("UnicodeDecode", {"input": np.array([b"a\xe9\xff"], object)}, {"input_encoding": "ISO-8859-1"}, id="latin1"),
    S("UnicodeDecode", {"input": strings()}, {"input_encoding": "UTF-8"}, id="empty"),
    S("UnicodeEncode", {"input_values": _CODES, "input_splits": i64(0, 2, 5, 7)}, {"output_encoding": "UTF-8"}),
    S(
        "UnicodeEncode",
        {"input_values": _CODES, "input_splits": np.array([0, 7], np.int32)},
        {"output_encoding": "UTF-16-BE", "errors": "ignore"},
        id="utf16-ignore",
    ),
    S(
        "UnicodeEncode",
        {"input_values": _CODES, "input_splits": i64(0, 0, 7)},
        {"output_encoding": "UTF-32-BE", "replacement_char": 0x10000},
        id="utf32",
    ),
    S(
        "UnicodeEncode",
        {"input_values": np.zeros(0, np.int32), "input_splits": i64(0)},
        {"output_encoding": "UTF-8"},
        id="empty",
    ),
]

SAMPLES += [
    S("UnicodeDecodeWithOffsets", {"input": _INVALID_UTF8}, {"input_encoding": "UTF-8"}),
    S(
        "UnicodeDecodeWithOffsets",
        {"input": _INVALID_UTF8.reshape(11, 1)},
        {
            "input_encoding": "UTF-8",
            "errors": "ignore",
        },
        id="ignore",
    ),
    S(
        "UnicodeDecodeWithOffsets",
        {"input": np.array(["h😀é".encode("utf-16-be")], object)},
        {"input_encoding": "UTF-16-BE"},
        id="utf16",
    ),
    S("UnicodeTranscode", {"input": _INVALID_UTF8}, {"input_encoding": "UTF-8", "output_encoding": "UTF-16-BE"}),
    S(
        "UnicodeTranscode",
        {"input": _INVALID_UTF8.reshape(1, 11)},
        {
            "input_encoding": "UTF-8",
            "output_encoding": "UTF-8",
            "errors": "ignore",
            "replace_control_characters": True,
            "replacement_char": 42,
        },
        id="ignore-controls",
    ),
    S(
        "UnicodeTranscode",
        {"input": np.array([b"a\xe9\xff"], object)},
        {"input_encoding": "latin1", "output_encoding": "UTF-32-BE"},
        id="latin1",
    ),
    S(
        "UnicodeDecodeWithOffsets",
        {"input": strings("a\x01b\x1f", "\x02")},
        {"input_encoding": "UTF-8", "errors": "strict", "replace_control_characters": True},
        id="strict-controls",
    ),
    S(
        "UnicodeDecode",
        {"input": strings("a\x01b\x1f", "\x02")},
        {"input_encoding": "UTF-8", "errors": "ignore", "replace_control_characters": True},
        id="ignore-controls",
    ),
]
