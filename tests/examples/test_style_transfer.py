"""examples/style_transfer.py, Gatys et al.'s neural style transfer as the TF1 tutorials wrote it (a constant
random "VGG" of tf.nn.conv2d and pooling, Gram-matrix style losses, tf.image.total_variation, Adam on an image
variable clipped by tf.assign each step, images read with tf.read_file + decode_png and written with encode_png
through tf.gfile and tf.io.write_file), run as written in a fresh process under torchmeta and, with the import line
switched, under TensorFlow: every printed loss agrees to float32 rounding, so do the final pixels, and each
framework's PNG files decode in the other to the same pixels (the same bytes: libpng's)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.examples.test_tutorial_programs import assert_same_output, run, without


def _decode_png(tf1, path):
    with open(path, "rb") as f:
        data = f.read()
    with tf1.Graph().as_default(), tf1.Session() as sess:
        return sess.run(tf1.image.decode_png(data, channels=3))


@pytest.mark.slow
@pytest.mark.parametrize("flags", [("--pooling=avg",), ("--pooling=max", "--style_luminance")], ids=["avg", "max-luma"])
def test_style_transfer_prints_tfs_losses_and_writes_tfs_pixels(tf1, tmp_path, flags):
    out = {}
    for framework in ("torchmeta", "tensorflow"):
        data_dir = tmp_path / framework / "data"
        out[framework] = run("style_transfer", framework, tmp_path / framework, f"--data_dir={data_dir}", *flags)
    assert_same_output(without(out["torchmeta"], "wrote"), without(out["tensorflow"], "wrote"))
    theirs = out["tensorflow"].splitlines()
    assert theirs[0] == "content image mean 73.789352, relu2_2 features (1, 12, 12, 12)"
    totals = [float(line.rsplit(" ", 1)[1]) for line in theirs if line.startswith("iteration ")]
    assert len(totals) == 30 and totals[-1] < 0.8 * totals[0]
    ours_dir, theirs_dir = tmp_path / "torchmeta" / "data", tmp_path / "tensorflow" / "data"
    final = np.load(ours_dir / "result.npy")
    np.testing.assert_allclose(final, np.load(theirs_dir / "result.npy"), rtol=1e-5, atol=1e-3)
    assert final.min() >= 0.0 and final.max() <= 255.0  # clipped each step
    for name in ("content.png", "style.png", "result.png", "result_converted.png"):
        ours, expected = _decode_png(tf1, ours_dir / name), _decode_png(tf1, theirs_dir / name)
        assert ours.shape == expected.shape
        # the final image's pixels are float32 rounding apart: a value at .5 may round either way
        assert np.abs(ours.astype(int) - expected.astype(int)).max() <= (
            0 if name in ("content.png", "style.png") else 1
        )
        if np.array_equal(ours, expected):  # libpng's file, as TF writes it
            assert (ours_dir / name).read_bytes() == (theirs_dir / name).read_bytes()
    rounded, converted = _decode_png(tf1, ours_dir / "result.png"), _decode_png(tf1, ours_dir / "result_converted.png")
    np.testing.assert_array_equal(rounded, np.round(final[0]).astype(np.uint8))
    # convert_image_dtype scales by 255.5 and truncates: never more than rounding, at most one less
    assert set(np.unique(rounded.astype(int) - converted.astype(int)).tolist()) <= {0, 1}
