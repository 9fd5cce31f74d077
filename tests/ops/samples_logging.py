"""Samples for the printing ops: StringFormat's output and Print's pass-through (what they write to the
streams is compared with TensorFlow's byte for byte in tests/ops/test_logging_ops.py)."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample, randn


def _strings(*items):
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


SAMPLES: list[Sample] = [
    Sample("StringFormat", {"inputs": [np.arange(10, dtype=np.int32)]}, {"template": "x={}", "placeholder": "{}"}),
    Sample(
        "StringFormat",
        {"inputs": [randn(2, 3, 4), np.array(3.5, np.float64), _strings(b"a", b'q"\n')]},
        {"template": "<{}> {} {}!", "placeholder": "{}", "summarize": 2},
        id="mixed",
        grad=False,
    ),
    Sample(
        "StringFormat",
        {"inputs": [np.array([True, False]), np.zeros((0, 2), np.float32), np.arange(6, dtype=np.int64)]},
        {"template": "%s|%s|%s", "summarize": -1},
        id="all-entries",
    ),
    Sample("StringFormat", {"inputs": []}, {"template": "no tensors"}, id="none"),
    Sample("Print", {"input": randn(3, 2), "data": [np.arange(4, dtype=np.int32)]}, {"message": "m "}),
    Sample("Print", {"input": np.arange(3, dtype=np.int64), "data": []}, {"first_n": 1}, id="first-n"),
]
