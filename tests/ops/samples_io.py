"""Samples for the stateless string ops of the I/O family (the checkpoint ops run in tests/train/test_io_ops.py)."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample


def _strings(*items, shape=None):
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out.reshape(shape) if shape is not None else out


def _string(item):
    out = np.empty((), dtype=object)
    out[()] = item
    return out


SAMPLES: list[Sample] = [
    Sample("StringJoin", {"inputs": [_strings(b"a", b"b"), _string(b"-"), _strings(b"x", b"yz")]}, grad=False),
    Sample("StringJoin", {"inputs": [_string(b"p"), _string(b"q")]}, attrs={"separator": "/"}, id="sep", grad=False),
    Sample(
        "StaticRegexFullMatch",
        {"input": _strings(b"model.ckpt-10", b"model.ckpt", b"x-1", shape=(3,))},
        attrs={"pattern": r".*-\d+"},
        grad=False,
    ),
    Sample(
        "ShardedFilename",
        {"basename": _string(b"/tmp/ckpt"), "shard": np.array(2, np.int32), "num_shards": np.array(5, np.int32)},
        grad=False,
    ),
    Sample("ShardedFilespec", {"basename": _string(b"/tmp/ckpt"), "num_shards": np.array(5, np.int32)}, grad=False),
]
