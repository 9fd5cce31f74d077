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
