"""String ops: StringSplit and StringSplitV2 (tokens as a rank-2 SparseTensor's three parts).

String tensors are numpy object arrays of bytes. StringJoin lives with the checkpoint ops (io_ops),
StringToNumber with the parsing ops.
"""

from __future__ import annotations

import re

import numpy as np
import torch

from torchmeta.framework.common_shapes import input_with_rank
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid


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
