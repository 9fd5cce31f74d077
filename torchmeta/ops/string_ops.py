"""String ops: StringSplit and StringSplitV2 (tokens as a rank-2 SparseTensor's three parts); element-wise case,
whitespace, length, regular-expression (RE2 patterns run with Python's ``re``), base64 and hash-bucket ops.

String tensors are numpy object arrays of bytes. StringJoin lives with the checkpoint ops (io_ops),
StringToNumber with the parsing ops.
"""

from __future__ import annotations

import base64
import re

import numpy as np
import torch

from torchmeta.framework import common_shapes
from torchmeta.framework.common_shapes import input_with_rank
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid
from torchmeta.ops.farmhash import fingerprint64


def _split_shape(op):
    input_with_rank(op, 0, 1)
    input_with_rank(op, 1, 0)
    return [TensorShape([None, 2]), TensorShape([None]), TensorShape([2])]


def _sparse_tokens(rows: list[list[bytes]]):
    counts = [len(r) for r in rows]
    total = sum(counts)
    indices = np.empty((total, 2), dtype=np.int64)
    indices[:, 0] = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
    indices[:, 1] = np.concatenate([np.arange(c, dtype=np.int64) for c in counts]) if total else []
    values = np.empty(total, dtype=object)
    values[:] = [t for r in rows for t in r]
    shape = np.array([len(rows), max(counts, default=0)], dtype=np.int64)
    return torch.from_numpy(indices), values, torch.from_numpy(shape)


def _vector(value, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=object)
    if arr.ndim != 1:
        raise invalid(f"{name} must be a vector, got shape: [{','.join(str(d) for d in arr.shape)}]")
    return arr


def _scalar_bytes(value, name: str) -> bytes:
    arr = np.asarray(value, dtype=object)
    if arr.ndim != 0:
        raise invalid(f"{name} must be a scalar, got shape: [{','.join(str(d) for d in arr.shape)}]")
    return bytes(arr[()])


@register_op(
    "StringSplit",
    inputs=["input: string", "delimiter: string"],
    outputs=["indices: int64", "values: string", "shape: int64"],
    attrs=["skip_empty: bool = true"],
    shape=_split_shape,
)
def string_split(input, delimiter, skip_empty):
    """Splits at any byte of ``delimiter`` (each byte apart when it is empty), as TF's StringSplit."""
    strings = _vector(input, "input")
    delim = _scalar_bytes(delimiter, "delimiter")
    rows = []
    if delim:
        pattern = re.compile(b"[" + re.escape(delim) + b"]")
        for s in strings:
            tokens = pattern.split(bytes(s))
            rows.append([t for t in tokens if t] if skip_empty else tokens)
    else:
        for s in strings:
            rows.append([bytes([b]) for b in bytes(s)])
    return _sparse_tokens(rows)


@register_op(
    "StringSplitV2",
    inputs=["input: string", "sep: string"],
    outputs=["indices: int64", "values: string", "shape: int64"],
    attrs=["maxsplit: int = -1"],
    shape=_split_shape,
)
def string_split_v2(input, sep, maxsplit):
    """Python's ``bytes.split(sep, maxsplit)``; an empty ``sep`` splits at runs of whitespace."""
    strings = _vector(input, "input")
    separator = _scalar_bytes(sep, "sep")
    rows = []
    for s in strings:
        s = bytes(s)
        if separator:
            rows.append(s.split(separator, maxsplit))
        else:
            rows.append(s.split(None, maxsplit))
    return _sparse_tokens(rows)


not_differentiable("StringSplit")
no_registered_gradient("StringSplitV2")


# ---------------------------------------------------------------------------------------------
# Element-wise string ops: case, whitespace, length, regular expressions, base64, hash buckets


def _map(input, fn, dtype=object):
    arr = np.asarray(input, dtype=object)
    out = np.empty(arr.shape, dtype=dtype)
    flat_in, flat_out = arr.reshape(-1), out.reshape(-1)
    for i, s in enumerate(flat_in):
        flat_out[i] = fn(bytes(s))
    return out


def _ascii_case(s: bytes, upper: bool) -> bytes:
    return s.upper() if upper else s.lower()  # bytes methods change ASCII letters only, as absl's


def _unicode_case(encoding: str, upper: bool):
    def fn(s: bytes) -> bytes:
        text = s.decode("utf-8", errors="surrogateescape")
        return (text.upper() if upper else text.lower()).encode("utf-8", errors="surrogateescape")

    if encoding.lower().replace("-", "") != "utf8":
        raise invalid(f'encoding must be "" or "utf-8", got: {encoding}')
    return fn


@register_op(
    "StringLower",
    inputs=["input: string"],
    outputs=["output: string"],
    attrs=['encoding: string = ""'],
    shape=common_shapes.unchanged,
)
def string_lower(input, encoding):
    """ASCII letters only; with ``encoding="utf-8"`` Unicode lower case."""
    return _map(input, _unicode_case(encoding, False) if encoding else (lambda s: _ascii_case(s, False)))


@register_op(
    "StringUpper",
    inputs=["input: string"],
    outputs=["output: string"],
    attrs=['encoding: string = ""'],
    shape=common_shapes.unchanged,
)
def string_upper(input, encoding):
    return _map(input, _unicode_case(encoding, True) if encoding else (lambda s: _ascii_case(s, True)))


@register_op("StringStrip", inputs=["input: string"], outputs=["output: string"], shape=common_shapes.unchanged)
def string_strip(input):
    """absl::StripAsciiWhitespace: space, \\t, \\n, \\v, \\f, \\r at both ends."""
    return _map(input, lambda s: s.strip(b" \t\n\v\f\r"))


@register_op(
    "StringLength",
    inputs=["input: string"],
    outputs=["output: int32"],
    attrs=["unit: {'BYTE', 'UTF8_CHAR'} = \"BYTE\""],
    shape=common_shapes.unchanged,
)
def string_length(input, unit):
    """Bytes, or UTF-8 characters (the bytes that do not continue a character)."""
    if unit == "BYTE":
        return torch.from_numpy(_map(input, len, np.int32))
    return torch.from_numpy(_map(input, lambda s: sum(1 for b in s if b & 0xC0 != 0x80), np.int32))


def _re2_error(pattern: str, e: re.error) -> str:
    """RE2's wording of the common pattern errors Python's ``re`` reports."""
    pos = e.pos or 0
    if e.msg.startswith("missing ), unterminated subpattern"):
        return f"missing ): {pattern}"
    if e.msg == "unbalanced parenthesis":
        return f"unexpected ): {pattern}"
    if e.msg == "unterminated character set":
        return f"missing ]: {pattern[pos:]}"
    if e.msg == "nothing to repeat":
        return f"no argument for repetition operator: {pattern[pos : pos + 1]}"
    if e.msg == "multiple repeat":
        return f"bad repetition operator: {pattern[pos - 1 : pos + 1]}"
    if e.msg == "min repeat greater than max repeat":
        start = pattern.rfind("{", 0, pos + 1)
        return f"invalid repetition size: {pattern[start : pattern.find('}', pos) + 1]}"
    if e.msg.startswith("bad escape (end of pattern)"):
        return "trailing \\"
    return e.msg


def _compile(pattern: bytes):
    try:
        return re.compile(pattern)
    except re.error as e:
        text = pattern.decode(errors="replace")
        raise invalid(f"Invalid pattern: {text}, error: {_re2_error(text, e)}") from None


def _rewrite_template(rewrite: bytes) -> bytes:
    """RE2's rewrite string (\\0 the match, \\1-\\9 groups, \\\\ a backslash) as Python's template."""
    out = bytearray()
    i = 0
    while i < len(rewrite):
        ch = rewrite[i : i + 1]
        if ch == b"\\" and i + 1 < len(rewrite):
            nxt = rewrite[i + 1 : i + 2]
            if nxt.isdigit():
                out += b"\\g<" + nxt + b">"
                i += 2
                continue
            if nxt == b"\\":
                out += b"\\\\"
                i += 2
                continue
        out += ch
        i += 1
    return bytes(out)


def _regex_replace(input, pattern: bytes, rewrite: bytes, replace_global: bool):
    regex = _compile(pattern)
    template = _rewrite_template(rewrite)
    return _map(input, lambda s: regex.sub(template, s, count=0 if replace_global else 1))


def _scalar_shape_inputs(*indices):
    def fn(op):
        for i in indices:
            input_with_rank(op, i, 0)
        return [op.inputs[0].shape]

    return fn


@register_op(
    "RegexReplace",
    inputs=["input: string", "pattern: string", "rewrite: string"],
    outputs=["output: string"],
    attrs=["replace_global: bool = true"],
    shape=_scalar_shape_inputs(1, 2),
)
def regex_replace(input, pattern, rewrite, replace_global):
    """RE2's Replace / GlobalReplace, run with Python's ``re`` (the same syntax for common patterns)."""
    return _regex_replace(input, _scalar_bytes(pattern, "Pattern"), _scalar_bytes(rewrite, "Rewrite"), replace_global)


@register_op(
    "StaticRegexReplace",
    inputs=["input: string"],
    outputs=["output: string"],
    attrs=["pattern: string", "rewrite: string", "replace_global: bool = true"],
    shape=common_shapes.unchanged,
)
def static_regex_replace(input, pattern, rewrite, replace_global):
    return _regex_replace(input, pattern.encode(), rewrite.encode(), replace_global)


@register_op(
    "RegexFullMatch",
    inputs=["input: string", "pattern: string"],
    outputs=["output: bool"],
    shape=_scalar_shape_inputs(1),
)
def regex_full_match(input, pattern):
    regex = _compile(_scalar_bytes(pattern, "Pattern"))
    return torch.from_numpy(_map(input, lambda s: regex.fullmatch(s) is not None, np.bool_))


@register_op(
    "EncodeBase64",
    inputs=["input: string"],
    outputs=["output: string"],
    attrs=["pad: bool = false"],
    shape=common_shapes.unchanged,
)
def encode_base64(input, pad):
    """Web-safe base64 (``-`` and ``_``), ``=`` padding only when ``pad``."""

    def fn(s: bytes) -> bytes:
        out = base64.urlsafe_b64encode(s)
        return out if pad else out.rstrip(b"=")

    return _map(input, fn)


def _decode_base64(s: bytes) -> bytes:
    data = s.rstrip(b"=") if len(s) % 4 == 0 else s
    if any(c not in _WEB_SAFE for c in data):
        raise invalid("Invalid character found in base64.")
    if len(data) % 4 == 1:
        raise invalid("Invalid base64 data: the final quantum has one character.")
    return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))


_WEB_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@register_op("DecodeBase64", inputs=["input: string"], outputs=["output: string"], shape=common_shapes.unchanged)
def decode_base64(input):
    """Web-safe base64, padded or not."""
    return _map(input, _decode_base64)


@register_op(
    "StringToHashBucketFast",
    inputs=["input: string"],
    outputs=["output: int64"],
    attrs=["num_buckets: int >= 1"],
    shape=common_shapes.unchanged,
)
def string_to_hash_bucket_fast(input, num_buckets):
    """farmhash Fingerprint64 of each string, modulo ``num_buckets``."""
    return torch.from_numpy(_map(input, lambda s: fingerprint64(s) % num_buckets, np.int64))


not_differentiable("RegexReplace", "StringToHashBucketFast", "EncodeBase64", "DecodeBase64")
no_registered_gradient(
    "StringLower",
    "StringUpper",
    "StringStrip",
    "StringLength",
    "StaticRegexReplace",
    "RegexFullMatch",
)
