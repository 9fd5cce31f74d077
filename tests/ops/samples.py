"""The sample table for op tests: one list per op family, each in its own module (see harness.Sample)."""

from __future__ import annotations

from tests.ops import (
    samples_array,
    samples_array_reorder,
    samples_audio,
    samples_bucketize,
    samples_conv3d,
    samples_ctc,
    samples_dilation,
    samples_einsum,
    samples_fractional_pool,
    samples_image,
    samples_image_box,
    samples_image_color,
    samples_image_resize,
    samples_image_transform,
    samples_io,
    samples_linalg,
    samples_linalg_factor,
    samples_linalg_solve,
    samples_logging,
    samples_math,
    samples_nn,
    samples_parsing,
    samples_pool_argmax,
    samples_quantization,
    samples_ragged,
    samples_random,
    samples_rnn,
    samples_scatter_nd,
    samples_sparse,
    samples_special_math,
    samples_spectral,
    samples_state,
    samples_string,
    samples_summary,
    samples_training,
)

SAMPLES = (
    samples_array.SAMPLES
    + samples_array_reorder.SAMPLES
    + samples_audio.SAMPLES
    + samples_bucketize.SAMPLES
    + samples_image_box.SAMPLES
    + samples_image_color.SAMPLES
    + samples_image_resize.SAMPLES
    + samples_image_transform.SAMPLES
    + samples_io.SAMPLES
    + samples_linalg_solve.SAMPLES
    + samples_logging.SAMPLES
    + samples_ragged.SAMPLES
    + samples_conv3d.SAMPLES
    + samples_ctc.SAMPLES
    + samples_dilation.SAMPLES
    + samples_einsum.SAMPLES
    + samples_linalg.SAMPLES
    + samples_linalg_factor.SAMPLES
    + samples_image.SAMPLES
    + samples_math.SAMPLES
    + samples_nn.SAMPLES
    + samples_parsing.SAMPLES
    + samples_fractional_pool.SAMPLES
    + samples_pool_argmax.SAMPLES
    + samples_quantization.SAMPLES
    + samples_random.SAMPLES
    + samples_rnn.SAMPLES
    + samples_sparse.SAMPLES
    + samples_special_math.SAMPLES
    + samples_spectral.SAMPLES
    + samples_state.SAMPLES
    + samples_string.SAMPLES
    + samples_summary.SAMPLES
    + samples_scatter_nd.SAMPLES
    + samples_training.SAMPLES
)
