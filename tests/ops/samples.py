"""The sample table for op tests: one list per op family, each in its own module (see harness.Sample)."""

from __future__ import annotations

from tests.ops import (
    samples_array,
    samples_image,
    samples_io,
    samples_logging,
    samples_math,
    samples_nn,
    samples_parsing,
    samples_random,
    samples_sparse,
    samples_state,
    samples_summary,
    samples_training,
)

SAMPLES = (
    samples_array.SAMPLES
    + samples_io.SAMPLES
    + samples_logging.SAMPLES
    + samples_image.SAMPLES
    + samples_math.SAMPLES
    + samples_nn.SAMPLES
    + samples_parsing.SAMPLES
    + samples_random.SAMPLES
    + samples_sparse.SAMPLES
    + samples_state.SAMPLES
    + samples_summary.SAMPLES
    + samples_training.SAMPLES
)
