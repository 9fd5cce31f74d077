"""String ops: StringSplit and StringSplitV2 (tokens as a rank-2 SparseTensor's three parts); element-wise case,
whitespace, length, regular-expression (RE2 patterns run with Python's ``re``), base64 and hash-bucket ops (farmhash,
TF's Hash64, keyed SipHash); AsString, Substr, ReduceJoin, StringNGrams and the Unicode decode/encode/transcode ops.

String tensors are numpy object arrays of bytes. StringJoin lives with the checkpoint ops (io_ops),
StringToNumber with the parsing ops.
"""

from __future__ import annotations

import base64
import codecs
import itertools
import math
import re
import threading

import numpy as np
import torch

from torchmeta import errors
from torchmeta.dtypes import DType, type_string
from torchmeta.framework import common_shapes
from torchmeta.framework.common_shapes import format_dims, format_shape, input_with_rank
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid
from torchmeta.ops.farmhash import fingerprint64
from torchmeta.ops.keyed_hash import siphash24, tf_hash64


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


# ---------------------------------------------------------------------------------------------
# StringToHashBucket (TF's Hash64) and StringToHashBucketStrong (keyed SipHash-2-4)


@register_op(
    "StringToHashBucket",
    inputs=["string_tensor: string"],
    outputs=["output: int64"],
    attrs=["num_buckets: int >= 1"],
    shape=common_shapes.unchanged,
)
def string_to_hash_bucket(string_tensor, num_buckets):
    """The deprecated op: TensorFlow's Hash64 (MurmurHash64A, seed 0xDECAFCAFFE) modulo ``num_buckets``."""
    return torch.from_numpy(_map(string_tensor, lambda s: tf_hash64(s) % num_buckets, np.int64))


@register_op(
    "StringToHashBucketStrong",
    inputs=["input: string"],
    outputs=["output: int64"],
    attrs=["num_buckets: int >= 1", "key: list(int)"],
    shape=common_shapes.unchanged,
)
def string_to_hash_bucket_strong(input, num_buckets, key):
    """SipHash-2-4 keyed by the two ``key`` words, modulo ``num_buckets``."""
    if len(key) != 2:
        raise invalid("Key must have 2 elements")
    k0, k1 = key
    return torch.from_numpy(_map(input, lambda s: siphash24(k0, k1, s) % num_buckets, np.int64))


# ---------------------------------------------------------------------------------------------
# AsString


_FILL_FLAGS = (" ", "+", "-", "0", "#")


def _as_string_format(dtype: DType, precision: int, scientific: bool, shortest: bool, width: int, fill) -> bytes:
    """TF's AsStringOp constructor: its checks, in its order, and the printf format ``%{fill}{width}.{precision}c``."""
    fill = fill.decode("utf-8", "replace") if isinstance(fill, bytes) else fill
    floating = dtype.is_floating or dtype.is_complex
    if dtype != DType.string and not floating:
        if scientific or shortest:
            raise invalid(f"scientific and shortest format not supported for datatype {type_string(dtype)}")
        if precision >= 0:
            raise invalid(f"precision not supported for datatype {type_string(dtype)}")
    if len(fill.encode()) > 1:
        raise invalid("Fill string must be one or fewer characters")
    if scientific and shortest:
        raise invalid("Cannot select both scientific and shortest notation")
    if fill and fill not in _FILL_FLAGS:
        raise invalid(f'Fill argument not supported: "{fill}"')
    if dtype == DType.string:
        conv = "s"
    elif dtype.is_integer:
        conv = "d"
    elif floating:
        conv = "g" if shortest else "e" if scientific else "f"
    else:
        return b""
    spec = f"%{fill}{max(width, 0)}" + (f".{precision}" if precision >= 0 else "") + conv
    return spec.encode()


def _printf(spec: bytes, value) -> bytes:
    """C's printf: zero padding does not apply to nan and inf (Python's ``%`` would pad them with zeros)."""
    if isinstance(value, float) and not math.isfinite(value):
        spec = spec.replace(b"0", b"", 1) if spec[1:2] == b"0" else spec
    return spec % value


@register_op(
    "AsString",
    inputs=["input: T"],
    outputs=["output: string"],
    attrs=[
        "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64, complex64, "
        "complex128, bool, variant, string}",
        "precision: int = -1",
        "scientific: bool = false",
        "shortest: bool = false",
        "width: int = -1",
        'fill: string = ""',
    ],
    shape=common_shapes.unchanged,
)
def as_string(input, T, precision, scientific, shortest, width, fill):
    """printf-formatted values (absl::StrFormat ``%*.*{d,u,f,e,g,s}``); bools as true/false, complex numbers as
    ``(re,im)``, strings padded only when ``width`` is given."""
    spec = _as_string_format(T, precision, scientific, shortest, width, fill)
    if T is DType.string:
        if width <= 0:
            return input
        return _map(input, lambda s: spec % s)
    if T is DType.variant:
        raise errors.UnimplementedError(
            None, None, "AsString of a variant tensor (TensorFlow prints the variant's DebugString) is not supported"
        )
    values = input.reshape(-1).tolist() if isinstance(input, torch.Tensor) else list(np.asarray(input).reshape(-1))
    if T is DType.bool:
        strings = [b"true" if v else b"false" for v in values]
    elif T.is_complex:
        strings = [b"(" + _printf(spec, v.real) + b"," + _printf(spec, v.imag) + b")" for v in values]
    else:
        strings = [_printf(spec, v) for v in values]
    out = np.empty(len(strings), dtype=object)
    out[:] = strings
    return out.reshape(tuple(input.shape))


# ---------------------------------------------------------------------------------------------
# Substr


def _is_trail(byte: int) -> bool:
    return 0x80 <= byte < 0xC0


def _forward_chars(s: bytes, n: int, pos: int) -> tuple[bool, int]:
    """TF's ForwardNUTF8CharPositions: ``pos`` moved ``n`` characters on; whether there were that many."""
    count = 0
    while count < n and pos < len(s):
        pos += 1
        while pos < len(s) and _is_trail(s[pos]):
            pos += 1
        count += 1
    return count == n, pos


def _back_chars(s: bytes, n: int, pos: int) -> tuple[bool, int]:
    """TF's BackNUTF8CharPositions."""
    count = 0
    while count < n and pos > 0:
        pos -= 1
        while _is_trail(s[pos]) and pos > 0:
            pos -= 1
        count += 1
    return count == n, pos


def _utf8_substr(s: bytes, pos: int, length: int) -> bytes | None:
    if pos >= 0:
        ok, start = _forward_chars(s, pos, 0)
        if not ok:
            return None
        _, end = _forward_chars(s, length, start)
        return s[start:end]
    skip = max(-pos - length, 0)
    ok, end = _back_chars(s, skip, len(s))
    if not ok:
        return None
    ok, start = _back_chars(s, -pos - skip, end)
    if not ok:
        return None
    return s[start:end]


def _byte_substr(s: bytes, pos: int, length: int) -> bytes | None:
    start = len(s) + pos if pos < 0 else pos
    if not 0 <= start <= len(s):
        return None
    return s[start:] if length < 0 else s[start : start + length]


def _substr_shape(op):
    pos, length = op.inputs[1].shape, op.inputs[2].shape
    if length.rank is not None:
        common_shapes.with_rank(op, pos, length.rank)
    if pos.rank is not None:
        pos_dims = pos.as_tuple()
        len_dims = length.as_tuple() if length.rank is not None else [None] * pos.rank
        for a, b in zip(pos_dims, len_dims):
            if (-1 if a is None else a) != (-1 if b is None else b):
                raise common_shapes.shape_error(
                    op, f"pos and len shapes must match: {format_shape(pos)} vs. {format_shape(length)}"
                )
    return [common_shapes.broadcast_shapes(op.inputs[0].shape, pos, op)]


@register_op(
    "Substr",
    inputs=["input: string", "pos: T", "len: T"],
    outputs=["output: string"],
    attrs=["T: {int32, int64}", "unit: {'BYTE', 'UTF8_CHAR'} = \"BYTE\""],
    shape=_substr_shape,
)
def substr(input, pos, length, T, unit):
    """Byte or UTF-8 character substrings (``length`` is TF's ``len`` input); a negative ``pos`` counts from the
    end, a negative byte length takes the rest. Broadcasting beyond two dimensions is TF's UnimplementedError too."""
    strings = np.asarray(input, dtype=object)
    if tuple(pos.shape) != tuple(length.shape):
        raise invalid(
            f"pos and len should have the same shape, got: {format_dims(pos.shape)} vs. {format_dims(length.shape)}"
        )
    cut = _utf8_substr if unit == "UTF8_CHAR" else _byte_substr
    pos_np, len_np = pos.cpu().numpy(), length.cpu().numpy()
    scalar = pos_np.ndim == 0
    if scalar or strings.shape == pos_np.shape:
        out_shape = strings.shape
        positions = np.broadcast_to(pos_np, out_shape)
        lengths = np.broadcast_to(len_np, out_shape)
        where = [str(i) for i in range(strings.size)]
        cells = strings
    else:
        try:
            out_shape = np.broadcast_shapes(strings.shape, pos_np.shape)
        except ValueError:
            raise invalid(
                f"Incompatible shapes: {format_dims(strings.shape)} vs. {format_dims(pos_np.shape)}"
            ) from None
        if len(out_shape) not in (1, 2):
            raise errors.UnimplementedError(
                None, None, f"Substr broadcast not implemented for {len(out_shape)} dimensions"
            )
        cells = np.broadcast_to(strings, out_shape)
        positions = np.broadcast_to(pos_np, out_shape)
        lengths = np.broadcast_to(len_np, out_shape)
        if len(out_shape) == 2 and unit == "BYTE":
            where = [f"({i}, {j})" for i in range(out_shape[0]) for j in range(out_shape[1])]
        elif len(out_shape) == 2:
            where = [str(i) for i in range(out_shape[0]) for _ in range(out_shape[1])]
        else:
            where = [str(i) for i in range(out_shape[0])]
    out = np.empty(out_shape, dtype=object)
    flat_out = out.reshape(-1)
    for i, (s, p, n) in enumerate(zip(cells.reshape(-1), positions.reshape(-1), lengths.reshape(-1))):
        s = bytes(s)
        piece = cut(s, int(p), int(n))
        if piece is None:
            shown = "" if unit == "UTF8_CHAR" else f"b'{s.decode('utf-8', 'replace')}' "
            raise invalid(f"pos {int(p)} out of range for string {shown}at index {where[i]}")
        flat_out[i] = piece
    return out


# ---------------------------------------------------------------------------------------------
# ReduceJoin


@register_op(
    "ReduceJoin",
    inputs=["inputs: string", "reduction_indices: int32"],
    outputs=["output: string"],
    attrs=["keep_dims: bool = false", 'separator: string = ""'],
    shape=common_shapes.reduction,
)
def reduce_join(inputs, reduction_indices, keep_dims, separator):
    """The strings of the reduced dimensions joined in row-major order with ``separator``."""
    arr = np.asarray(inputs, dtype=object)
    rank = arr.ndim
    reduced = [False] * rank
    for index in reduction_indices.reshape(-1).tolist():
        if not -rank <= index < rank:
            raise errors.OutOfRangeError(
                None, None, f"Invalid reduction dimension {index} for input with {rank} dimension(s)"
            )
        if reduced[index % rank]:
            raise invalid(f"Duplicate reduction dimension {index}")
        reduced[index % rank] = True
    sep = separator.encode() if isinstance(separator, str) else separator
    kept = [d for d in range(rank) if not reduced[d]]
    axes = [d for d in range(rank) if reduced[d]]
    moved = np.transpose(arr, kept + axes) if rank else arr
    kept_shape = tuple(arr.shape[d] for d in kept)
    joined = math.prod(arr.shape[d] for d in axes)
    out = np.empty(kept_shape, dtype=object)
    flat_rows = moved.reshape(out.size, joined)
    flat_out = out.reshape(-1)
    for i in range(flat_out.size):
        flat_out[i] = sep.join(bytes(s) for s in flat_rows[i])
    if keep_dims:
        out = out.reshape(tuple(1 if reduced[d] else arr.shape[d] for d in range(rank)))
    return out


# ---------------------------------------------------------------------------------------------
# StringNGrams


def _ngrams_shape(op):
    input_with_rank(op, 0, 1)
    splits = common_shapes.with_rank(op, op.inputs[1].shape, 1)
    return [TensorShape([None]), splits]


class _NGrams:
    """TF's StringNGramsOp: padding, the n-grams of each width per row, short rows preserved."""

    def __init__(self, separator: bytes, left_pad: bytes, right_pad: bytes, pad_width: int):
        self.separator, self.left_pad, self.right_pad, self.pad_width = separator, left_pad, right_pad, pad_width

    def pad(self, width: int) -> int:
        return min(width - 1 if self.pad_width < 0 else self.pad_width, width - 1)

    def count(self, length: int, width: int) -> int:
        return max(0, length + 2 * self.pad(width) - width + 1)

    def make(self, tokens: list[bytes], count: int, width: int) -> list[bytes]:
        pad = self.pad(width)
        out = []
        for k in range(count):
            left = max(0, pad - k)
            right = max(0, pad - (count - (k + 1)))
            num = width - left - right
            start = 0 if left > 0 else k - pad
            parts = [self.left_pad] * left + tokens[start : start + num] + [self.right_pad] * right
            out.append(self.separator.join(parts))
        return out


@register_op(
    "StringNGrams",
    inputs=["data: string", "data_splits: Tsplits"],
    outputs=["ngrams: string", "ngrams_splits: Tsplits"],
    attrs=[
        "separator: string",
        "ngram_widths: list(int) >= 0",
        "left_pad: string",
        "right_pad: string",
        "pad_width: int",
        "preserve_short_sequences: bool",
        "Tsplits: {int32, int64} = DT_INT64",
    ],
    shape=_ngrams_shape,
)
def string_ngrams(data, data_splits, separator, ngram_widths, left_pad, right_pad, pad_width, preserve_short_sequences):
    """The n-grams of each row of a ragged string vector (``data`` split by ``data_splits``)."""
    for width in ngram_widths:
        if width <= 0:
            raise invalid("ngram_widths must contain positive values")
    tokens = [bytes(t) for t in np.asarray(data, dtype=object).reshape(-1)]
    splits = [int(s) for s in data_splits.reshape(-1).tolist()]
    size = len(tokens)
    if splits:
        if splits[0] != 0:
            raise invalid(f"First split value must be 0, got {splits[0]}")
        for prev, cur in itertools.pairwise(splits):
            if not prev <= cur <= size:
                raise invalid(f"Invalid split value {cur}, must be in [{prev}, {size}]")
        if splits[-1] != size:
            raise invalid(f"Last split value must be data size. Expected {size}, got {splits[-1]}")
    out_splits = torch.zeros(tuple(data_splits.shape), dtype=data_splits.dtype)
    if size == 0 or not splits:
        return np.empty(tuple(np.asarray(data).shape), dtype=object), out_splits
    as_bytes = [v.encode() if isinstance(v, str) else v for v in (separator, left_pad, right_pad)]
    grams = _NGrams(*as_bytes, pad_width)
    values: list[bytes] = []
    counts = []
    for start, end in itertools.pairwise(splits):
        row = tokens[start:end]
        before = len(values)
        for width in ngram_widths:
            values += grams.make(row, grams.count(end - start, width), width)
        if preserve_short_sequences and len(values) == before and row:
            if pad_width < 0:
                raise invalid(
                    "Pad width should be >= 0 when preserve_short_sequences is True and ngram_widths are not "
                    f"provided, got {pad_width}"
                )
            values += grams.make(row, 1, len(row) + 2 * pad_width)
        counts.append(len(values) - before)
    out_splits[1:] = torch.cumsum(torch.tensor(counts, dtype=torch.int64), 0).to(out_splits.dtype)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out, out_splits


not_differentiable("AsString", "StringToHashBucket", "StringToHashBucketStrong", "ReduceJoin")
no_registered_gradient("Substr", "StringNGrams")


# ---------------------------------------------------------------------------------------------
# UnicodeDecode / UnicodeEncode

_BAD_SEQUENCE = "\udfff"  # a lone surrogate: no decoder yields one for valid input, so it marks an invalid sequence
_bad_spans = threading.local()


def _mark_invalid(exc):
    _bad_spans.spans.append((exc.start, exc.end))
    return _BAD_SEQUENCE, exc.end


codecs.register_error("torchmeta_mark_invalid", _mark_invalid)


def _check_replacement(replacement_char: int):
    if not 0 <= replacement_char <= 0x10FFFF:
        raise invalid("replacement_char out of unicode codepoint range")


def _check_encoding(input_encoding: str):
    try:
        codecs.lookup(input_encoding)
    except LookupError:
        raise invalid(f"Could not create converter for input encoding: {input_encoding}") from None


def _decode(data: bytes, encoding: str, errors: str, replacement_char: int, replace_controls: bool):
    """(code points, byte offset of each) of one string as TF's ICU-based decoding gives them: invalid sequences
    (the Unicode standard's maximal subparts, as ICU and Python both cut them) replaced, dropped or refused."""
    _bad_spans.spans = []
    text = data.decode(encoding, "torchmeta_mark_invalid")
    spans = iter(_bad_spans.spans)
    codes, offsets = [], []
    pos = 0
    for ch in text:
        if ch == _BAD_SEQUENCE:
            start, end = next(spans)
            pos = end
            if errors == "strict":
                raise invalid("Invalid formatting on input string")
            if errors == "ignore":
                continue
            codes.append(replacement_char)
            offsets.append(start)
            continue
        code = ord(ch)
        start = pos
        pos += len(ch.encode(encoding, "surrogatepass"))
        if replace_controls and code < 0x20:
            # a C0 control takes the replacement path: dropped by "ignore", replaced otherwise (even "strict")
            if errors == "ignore":
                continue
            code = replacement_char
        codes.append(code)
        offsets.append(start)
    return codes, offsets


def _unicode_decode_shape(op):
    dims = op.inputs[0].shape
    n = dims.num_elements() if dims.is_fully_defined() else None
    return [TensorShape([None if n is None else n + 1])] + [TensorShape([None])] * (len(op.outputs) - 1)


_DECODE_ATTRS = [
    "input_encoding: string",
    "errors: {'strict', 'replace', 'ignore'} = \"replace\"",
    "replacement_char: int = 65533",
    "replace_control_characters: bool = false",
    "Tsplits: {int32, int64} = DT_INT64",
]


def _decode_all(input, input_encoding, errors, replacement_char, replace_control_characters):
    _check_encoding(input_encoding)
    _check_replacement(replacement_char)
    splits, values, starts = [0], [], []
    for s in np.asarray(input, dtype=object).reshape(-1):
        codes, offsets = _decode(bytes(s), input_encoding, errors, replacement_char, replace_control_characters)
        values += codes
        starts += offsets
        splits.append(len(values))
    return splits, values, starts


@register_op(
    "UnicodeDecode",
    inputs=["input: string"],
    outputs=["row_splits: Tsplits", "char_values: int32"],
    attrs=_DECODE_ATTRS,
    shape=_unicode_decode_shape,
)
def unicode_decode(input, input_encoding, errors, replacement_char, replace_control_characters, Tsplits):
    """Each string's code points (a ragged result: row splits over all strings, then the values)."""
    splits, values, _ = _decode_all(input, input_encoding, errors, replacement_char, replace_control_characters)
    return torch.tensor(splits, dtype=Tsplits.torch), torch.tensor(values, dtype=torch.int32)


@register_op(
    "UnicodeDecodeWithOffsets",
    inputs=["input: string"],
    outputs=["row_splits: Tsplits", "char_values: int32", "char_to_byte_starts: int64"],
    attrs=_DECODE_ATTRS,
    shape=_unicode_decode_shape,
)
def unicode_decode_with_offsets(input, input_encoding, errors, replacement_char, replace_control_characters, Tsplits):
    """UnicodeDecode, and the byte offset where each character (or replaced invalid sequence) starts."""
    splits, values, starts = _decode_all(input, input_encoding, errors, replacement_char, replace_control_characters)
    return (
        torch.tensor(splits, dtype=Tsplits.torch),
        torch.tensor(values, dtype=torch.int32),
        torch.tensor(starts, dtype=torch.int64),
    )


@register_op(
    "UnicodeTranscode",
    inputs=["input: string"],
    outputs=["output: string"],
    attrs=[
        "input_encoding: string",
        "output_encoding: {'UTF-8', 'UTF-16-BE', 'UTF-32-BE'}",
        "errors: {'strict', 'replace', 'ignore'} = \"replace\"",
        "replacement_char: int = 65533",
        "replace_control_characters: bool = false",
    ],
    shape=common_shapes.unchanged,
)
def unicode_transcode(input, input_encoding, output_encoding, errors, replacement_char, replace_control_characters):
    """Each string decoded (as UnicodeDecode) and encoded again in ``output_encoding``."""
    _check_encoding(input_encoding)
    _check_replacement(replacement_char)
    encoding = _ENCODINGS[output_encoding]

    def transcode(s: bytes) -> bytes:
        codes, _ = _decode(s, input_encoding, errors, replacement_char, replace_control_characters)
        return "".join(map(chr, codes)).encode(encoding, "surrogatepass")

    return _map(input, transcode)


def _unicode_encode_shape(op):
    input_with_rank(op, 0, 1)
    splits = input_with_rank(op, 1, 1)[0]
    return [TensorShape([None if splits is None else splits - 1])]


_ENCODINGS = {"UTF-8": "utf-8", "UTF-16-BE": "utf-16-be", "UTF-32-BE": "utf-32-be"}


@register_op(
    "UnicodeEncode",
    inputs=["input_values: int32", "input_splits: Tsplits"],
    outputs=["output: string"],
    attrs=[
        "errors: {'ignore', 'replace', 'strict'} = \"replace\"",
        "output_encoding: {'UTF-8', 'UTF-16-BE', 'UTF-32-BE'}",
        "replacement_char: int = 65533",
        "Tsplits: {int32, int64} = DT_INT64",
    ],
    shape=_unicode_encode_shape,
)
def unicode_encode(input_values, input_splits, errors, output_encoding, replacement_char):
    """Each row of code points (``input_splits`` over ``input_values``) encoded as one string; code points that
    are negative, surrogates or beyond U+10FFFF are replaced, dropped or refused by ``errors``."""
    _check_replacement(replacement_char)
    codes = input_values.reshape(-1).tolist()
    splits = [int(v) for v in input_splits.reshape(-1).tolist()]
    if splits and splits[0] != 0:
        raise invalid("First value in input_splits must be zero.")
    if splits and splits[-1] != len(codes):
        raise invalid("Last value in input_splits must be equal to length of input_tensor.")
    encoding = _ENCODINGS[output_encoding]
    out = np.empty(max(len(splits) - 1, 0), dtype=object)
    for i, (start, end) in enumerate(itertools.pairwise(splits)):
        chars = []
        for code in codes[start:end]:
            if code < 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                if errors == "strict":
                    raise invalid("Code point is out of range for Unicode, or is a surrogate.")
                if errors == "ignore":
                    continue
                code = replacement_char
            chars.append(chr(code))
        out[i] = "".join(chars).encode(encoding, "surrogatepass")
    return out


no_registered_gradient("UnicodeDecode", "UnicodeDecodeWithOffsets", "UnicodeEncode", "UnicodeTranscode")
