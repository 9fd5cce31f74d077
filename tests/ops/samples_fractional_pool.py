"""Samples for FractionalMaxPool / FractionalAvgPool and their gradients (torchmeta/ops/fractional_pool_ops.py):
seeded deterministic ops (the only ones whose regions TF fixes), random (shuffled) and pseudo-random region
sequences, overlapping regions, ratios that divide the size evenly, ties, integer and float64 values."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample, randn

S = Sample
_X = randn(2, 7, 9, 3)
_TIES = np.array([[1, 3, 3, 0], [3, 0, 2, 3], [1, 3, 3, 2]], np.float32).reshape(1, 3, 4, 1)
_SEEDED = {"deterministic": True, "seed": 3, "seed2": 5}
_CASES = [
    ({"pooling_ratio": [1.0, 1.5, 1.44, 1.0]}, "random"),
    ({"pooling_ratio": [1.0, 1.5, 1.44, 1.0], "pseudo_random": True}, "pseudo-random"),
    ({"pooling_ratio": [1.0, 2.2, 1.7, 1.0], "overlapping": True}, "overlapping"),
    ({"pooling_ratio": [1.0, 1.8, 2.9, 1.0], "pseudo_random": True, "overlapping": True}, "pseudo-overlapping"),
    ({"pooling_ratio": [1.0, 7.0 / 3.0, 3.0, 1.0]}, "even"),
]

SAMPLES: list[Sample] = []
for _op in ("FractionalMaxPool", "FractionalAvgPool"):
    for _attrs, _id in _CASES:
        SAMPLES.append(S(_op, {"value": _X}, {**_attrs, **_SEEDED}, id=_id))
    SAMPLES += [
        S(_op, {"value": _TIES}, {"pooling_ratio": [1.0, 1.4, 1.4, 1.0], "overlapping": True, **_SEEDED}, id="ties"),
        S(_op, {"value": (_X * 10).astype(np.int32)}, {"pooling_ratio": [1.0, 1.5, 1.44, 1.0], **_SEEDED},
          grad=False, id="int32"),
        S(_op, {"value": _X.astype(np.float64)}, {"pooling_ratio": [1.0, 1.3, 1.6, 1.0], "pseudo_random": True,
          **_SEEDED}, id="f64"),
        # TF's FractionalAvgPool gradient passes the input's static shape: it needs a fully known one.
        S(_op, {"value": _X}, {"pooling_ratio": [1.0, 1.5, 1.44, 1.0], **_SEEDED}, fed={"value": [None, None, 9, 3]},
          grad=_op == "FractionalMaxPool", id="unknown"),
    ]  # fmt: skip

_ROWS = np.array([0, 2, 3, 5, 7], np.int64)
_COLS = np.array([0, 2, 4, 5, 7, 9], np.int64)
_DY = randn(2, 4, 5, 3)
SAMPLES += [
    S("FractionalMaxPoolGrad", {"orig_input": _X, "orig_output": _DY, "out_backprop": _DY,
      "row_pooling_sequence": _ROWS, "col_pooling_sequence": _COLS}, {"overlapping": True}, grad=False, id="overlapping"),
    S("FractionalAvgPoolGrad", {"orig_input_tensor_shape": np.array([2, 7, 9, 3], np.int64), "out_backprop": _DY,
      "row_pooling_sequence": _ROWS, "col_pooling_sequence": _COLS}, grad=False, id="default"),
    S("FractionalAvgPoolGrad", {"orig_input_tensor_shape": np.array([2, 7, 9, 3], np.int64),
      "out_backprop": (_DY * 10).astype(np.int64), "row_pooling_sequence": _ROWS, "col_pooling_sequence": _COLS},
      {"overlapping": True}, grad=False, id="int64"),
]  # fmt: skip
