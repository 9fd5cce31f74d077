"""Samples for summary ops (outputs are serialized Summary protos, compared byte for byte)."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample, randn

_s = np.array


def _strings(*items):
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


def _string(item):
    out = np.empty((), dtype=object)
    out[()] = item
    return out


SAMPLES: list[Sample] = [
    Sample("ScalarSummary", {"tags": _string(b"loss"), "values": _s(2.5, np.float32)}),
    Sample("ScalarSummary", {"tags": _strings(b"a", b"b"), "values": _s([1, 2], np.int64)}, id="vector-int64"),
    Sample("ScalarSummary", {"tags": _string(b"d"), "values": _s(0.1, np.float64)}, id="double"),
    Sample("HistogramSummary", {"tag": _string(b"h"), "values": _s([1.0, 2.0, 2.0, 10.0], np.float32)}),
    Sample("HistogramSummary", {"tag": _string(b"h"), "values": randn(50, 3)}, id="normal"),
    Sample("HistogramSummary", {"tag": _string(b"h"), "values": _s([0, -3, 7, 7, 1000000], np.int32)}, id="ints"),
    Sample("HistogramSummary", {"tag": _string(b"h"), "values": _s([], np.float32)}, id="empty"),
    Sample(
        "TensorSummaryV2",
        {"tag": _string(b"t"), "tensor": _s([[1.5, 2.0]], np.float32), "serialized_summary_metadata": _string(b"")},
    ),
    Sample(
        "MergeSummary",
        {
            "inputs": [
                _string(bytes.fromhex("0a0b0a046c6f7373150000803f")),  # Summary{value{tag:"loss" simple_value:1}}
                _strings(bytes.fromhex("0a080a01611500000040"), b""),  # Summary{value{tag:"a" simple_value:2}}, empty
            ]
        },
    ),
    Sample(
        "AudioSummaryV2",
        {"tag": _string(b"clip"), "tensor": randn(3, 40) * 0.6, "sample_rate": _s(16000.0, np.float32)},
        grad=False,
    ),
    Sample(
        "AudioSummaryV2",
        {"tag": _string(b"st"), "tensor": randn(2, 9, 2), "sample_rate": _s(0.4, np.float32)},
        {"max_outputs": 1},
        id="stereo-rate-below-one",
        grad=False,
    ),
]
