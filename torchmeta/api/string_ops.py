"""``tf.strings.*`` element-wise functions (TF1 also ``tf.regex_replace``, ``tf.string_strip``,
``tf.string_to_hash_bucket_fast``, ``tf.decode_base64``/``tf.encode_base64``) as TF's string_ops builds them:
a pattern given as a Python string makes the Static* op."""

from __future__ import annotations

from torchmeta.framework.op_def_library import raw_op

__all__ = [
    "lower",
    "upper",
    "strip",
    "length",
    "regex_replace",
    "regex_full_match",
    "to_hash_bucket_fast",
    "decode_base64",
    "encode_base64",
]


def lower(input, encoding="", name=None):
    """``tf.strings.lower``: ASCII (or, with ``encoding="utf-8"``, Unicode) lower case."""
    return raw_op("StringLower", input=input, encoding=encoding, name=name)


def upper(input, encoding="", name=None):
    """``tf.strings.upper``."""
    return raw_op("StringUpper", input=input, encoding=encoding, name=name)


def strip(input, name=None):
    """``tf.strings.strip``: leading and trailing ASCII whitespace removed."""
    return raw_op("StringStrip", input=input, name=name)


def length(input, name=None, unit="BYTE"):
    """``tf.strings.length`` (TF1 argument order): lengths in bytes or UTF-8 characters."""
    return raw_op("StringLength", input=input, unit=unit, name=name)


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):
    """``tf.strings.regex_replace``: StaticRegexReplace for Python-string pattern and rewrite, else RegexReplace."""
    if isinstance(pattern, (str, bytes)) and isinstance(rewrite, (str, bytes)):
        return raw_op(
            "StaticRegexReplace",
            input=input,
            pattern=pattern,
            rewrite=rewrite,
            replace_global=replace_global,
            name=name,
        )
    return raw_op(
        "RegexReplace", input=input, pattern=pattern, rewrite=rewrite, replace_global=replace_global, name=name
    )


def regex_full_match(input, pattern, name=None):
    """``tf.strings.regex_full_match``: StaticRegexFullMatch for a Python-string pattern, else RegexFullMatch."""
    if isinstance(pattern, (str, bytes)):
        return raw_op("StaticRegexFullMatch", input=input, pattern=pattern, name=name)
    return raw_op("RegexFullMatch", input=input, pattern=pattern, name=name)


def to_hash_bucket_fast(input, num_buckets, name=None):
    """``tf.strings.to_hash_bucket_fast``: farmhash Fingerprint64 modulo ``num_buckets``."""
    return raw_op("StringToHashBucketFast", input=input, num_buckets=num_buckets, name=name)


def decode_base64(input, name=None):
    """``tf.io.decode_base64``: web-safe base64 decoding."""
    return raw_op("DecodeBase64", input=input, name=name)


def encode_base64(input, pad=False, name=None):
    """``tf.io.encode_base64``: web-safe base64 encoding."""
    return raw_op("EncodeBase64", input=input, pad=pad, name=name)
