"""Samples for array ops."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample, randn

SAMPLES: list[Sample] = [
    Sample("Identity", {"input": randn(2, 3)}),
    Sample("Identity", {"input": np.array([b"a", b"bc"], dtype=object)}, id="string"),
    Sample("Identity", {"input": randn(2, 3)}, fed={"input": [None, 3]}, id="unknown-dim"),
    Sample("PlaceholderWithDefault", {"input": randn(4)}, {"shape": [None]}),
]
