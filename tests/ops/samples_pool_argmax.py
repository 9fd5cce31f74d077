"""Samples for MaxPoolWithArgmax and MaxPoolGradWithArgmax (torchmeta/ops/pool_argmax_ops.py): VALID and
SAME (asymmetric) windows, strides, the batch in the index or not, ties, int64 and int32 indices."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample, randn

S = Sample
_X = randn(2, 5, 6, 3)
_TIES = np.array([[1, 3, 3], [3, 0, 2], [1, 3, 3]], np.float32).reshape(1, 3, 3, 1)
_ATTRS = [
    ({"ksize": [1, 2, 2, 1], "strides": [1, 2, 2, 1], "padding": "VALID"}, "valid"),
    ({"ksize": [1, 3, 3, 1], "strides": [1, 2, 2, 1], "padding": "SAME"}, "same"),
    ({"ksize": [1, 3, 2, 1], "strides": [1, 1, 3, 1], "padding": "SAME"}, "same-asymmetric"),
    ({"ksize": [1, 2, 3, 1], "strides": [1, 1, 1, 1], "padding": "VALID", "include_batch_in_index": True}, "batch"),
]

SAMPLES: list[Sample] = []
for _attrs, _id in _ATTRS:
    SAMPLES.append(S("MaxPoolWithArgmax", {"input": _X}, _attrs, id=_id))
    # TF's CPU MaxPoolGradWithArgmax takes int64 indices only: no gradient sample for int32 ones.
    SAMPLES.append(
        S(
            "MaxPoolWithArgmax",
            {"input": _X.astype(np.float64)},
            {**_attrs, "Targmax": "dtype:int32"},
            grad=False,
            id=_id + "-f64-i32",
        )
    )
SAMPLES += [
    S(
        "MaxPoolWithArgmax",
        {"input": _TIES},
        {"ksize": [1, 2, 2, 1], "strides": [1, 1, 1, 1], "padding": "VALID"},
        grad=False,
        id="ties",
    ),
    S(
        "MaxPoolWithArgmax",
        {"input": _X},
        {"ksize": [1, 2, 2, 1], "strides": [1, 2, 2, 1], "padding": "SAME"},
        fed={"input": [None, None, None, 3]},
        id="unknown",
    ),
]
# The gradient op with argmax positions TF's MaxPoolWithArgmax gives for _X (recomputed here by the same rule).
for _attrs, _id in _ATTRS:
    _out = {"valid": (2, 2, 3, 3), "same": (2, 3, 3, 3), "same-asymmetric": (2, 5, 2, 3), "batch": (2, 4, 4, 3)}[_id]
    _n = int(np.prod(_out))
    _per = 5 * 6 * 3
    _rng = np.random.default_rng(len(_id))
    _arg = _rng.integers(0, _per, size=_out).astype(np.int64)
    if _attrs.get("include_batch_in_index"):
        _arg = _arg + np.arange(2).reshape(2, 1, 1, 1) * _per
    SAMPLES.append(
        S(
            "MaxPoolGradWithArgmax",
            {"input": _X, "grad": randn(*_out), "argmax": _arg},
            {k: v for k, v in _attrs.items()},
            grad=False,
            id=_id,
        )
    )
