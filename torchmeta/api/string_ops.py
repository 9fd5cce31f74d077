"""``tf.strings.*`` element-wise functions (TF1 also ``tf.regex_replace``, ``tf.string_strip``,
``tf.string_to_hash_bucket_fast``, ``tf.decode_base64``/``tf.encode_base64``) as TF's string_ops builds them:
a pattern given as a Python string makes the Static* op."""

from __future__ import annotations

import numpy as np

from torchmeta.api import array_ops, math_ops
from torchmeta.api.deprecation import deprecated_argument_lookup
from torchmeta.dtypes import DType
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import convert_to_tensor, name_scope
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
    "to_hash_bucket",
    "to_hash_bucket_strong",
    "as_string",
    "substr",
    "reduce_join",
    "string_join",
    "unicode_transcode",
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


def to_hash_bucket(string_tensor=None, num_buckets=None, name=None, input=None):
    """``tf.strings.to_hash_bucket`` / ``tf.string_to_hash_bucket``: TF's deprecated Hash64 modulo ``num_buckets``."""
    string_tensor = deprecated_argument_lookup("input", input, "string_tensor", string_tensor)
    return raw_op("StringToHashBucket", string_tensor=string_tensor, num_buckets=num_buckets, name=name)


def to_hash_bucket_strong(input, num_buckets, key, name=None):
    """``tf.strings.to_hash_bucket_strong``: SipHash-2-4 under the two-word ``key``, modulo ``num_buckets``."""
    return raw_op("StringToHashBucketStrong", input=input, num_buckets=num_buckets, key=key, name=name)


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="", name=None):
    """``tf.strings.as_string`` / ``tf.as_string`` / ``tf.dtypes.as_string``: printf-formatted values."""
    return raw_op(
        "AsString",
        input=input,
        precision=precision,
        scientific=scientific,
        shortest=shortest,
        width=width,
        fill=fill,
        name=name,
    )


def substr(input, pos, len, name=None, unit="BYTE"):
    """``tf.strings.substr`` (TF1) / ``tf.substr``: substrings in bytes or UTF-8 characters."""
    return raw_op("Substr", input=input, pos=pos, len=len, unit=unit, name=name)


def unicode_transcode(
    input,
    input_encoding,
    output_encoding,
    errors="replace",
    replacement_char=65533,
    replace_control_characters=False,
    name=None,
):
    """``tf.strings.unicode_transcode``: each string re-encoded from ``input_encoding`` to ``output_encoding``."""
    return raw_op(
        "UnicodeTranscode",
        input=input,
        input_encoding=input_encoding,
        output_encoding=output_encoding,
        errors=errors,
        replacement_char=replacement_char,
        replace_control_characters=replace_control_characters,
        name=name,
    )


def string_join(inputs, separator="", name=None):
    """``tf.strings.join`` / ``tf.string_join``: the inputs joined element-wise (scalars broadcast)."""
    return raw_op("StringJoin", inputs=inputs, separator=separator, name=name)


def reduce_join(inputs, axis=None, keep_dims=None, separator="", name=None, reduction_indices=None, keepdims=None):
    """``tf.strings.reduce_join`` / ``tf.reduce_join`` (TF1): the strings along ``axis`` (all, last first, by
    default) joined with ``separator``."""
    keepdims = deprecated_argument_lookup("keepdims", keepdims, "keep_dims", keep_dims)
    axis = deprecated_argument_lookup("axis", axis, "reduction_indices", reduction_indices)
    with name_scope(None, "ReduceJoin", [inputs, axis]):
        inputs_t = convert_to_tensor(inputs)
        if axis is None:
            if inputs_t.shape.rank is not None:
                axis = constant(np.arange(inputs_t.shape.rank - 1, -1, -1), dtype=DType.int32)
            else:
                axis = math_ops.range(array_ops.rank(inputs_t) - 1, -1, -1)
        return raw_op(
            "ReduceJoin",
            inputs=inputs_t,
            reduction_indices=axis,
            keep_dims=False if keepdims is None else keepdims,
            separator=separator,
            name=name,
        )
