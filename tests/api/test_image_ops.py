"""tf.image: TF's graphs node for node, TF's values, and files that each framework's codecs read from the other."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm

pytest.importorskip("PIL")
_rng = np.random.default_rng(11)


def _nodes(graph):
    out = []
    for n in graph.as_graph_def().node:
        attrs = {k: v.SerializeToString(deterministic=True) for k, v in n.attr.items()}
        out.append((n.name, n.op, list(n.input), attrs))
    return out


def _run_both(tf1, build, feeds=()):
    results, graphs = [], []
    for framework in (tf1, tm):
        g = framework.Graph()
        with g.as_default():
            placeholders = [framework.placeholder(framework.as_dtype(v.dtype.name), v.shape) for v in feeds]
            out = build(framework, *placeholders)
            with framework.Session() as sess:
                results.append(sess.run(out, dict(zip(placeholders, feeds))))
        graphs.append(g)
    return results, graphs


GRAPH_CASES = {
    "resize_images-3d": (
        lambda tf, x: tf.image.resize_images(x, [5, 9]),
        [_rng.integers(0, 256, (4, 6, 3)).astype(np.uint8)],
    ),
    "resize_images-4d-nearest-align": (
        lambda tf, x: tf.image.resize_images(
            x, (7, 3), method=tf.image.ResizeMethod.NEAREST_NEIGHBOR, align_corners=True
        ),
        [_rng.standard_normal((2, 4, 6, 1)).astype(np.float32)],
    ),
    "resize_images-same-size": (
        lambda tf, x: tf.image.resize_images(x, [4, 6]),
        [_rng.standard_normal((4, 6, 2)).astype(np.float32)],
    ),
    "resize_bilinear": (
        lambda tf, x: tf.image.resize_bilinear(x, [3, 3], half_pixel_centers=True),
        [_rng.standard_normal((1, 5, 5, 2)).astype(np.float32)],
    ),
    "per_image_standardization-uint8": (
        lambda tf, x: tf.image.per_image_standardization(x),
        [_rng.integers(0, 256, (4, 4, 3)).astype(np.uint8)],
    ),
    "per_image_standardization-batch-constant": (
        lambda tf, x: tf.image.per_image_standardization(x),
        [np.full((2, 3, 3, 1), 7.0, np.float32)],
    ),
    "convert_image_dtype": (
        lambda tf, x: [
            tf.image.convert_image_dtype(x, tf.float32),
            tf.image.convert_image_dtype(x, tf.uint16),
            tf.image.convert_image_dtype(tf.image.convert_image_dtype(x, tf.float32), tf.uint8, saturate=True),
            tf.image.convert_image_dtype(x, tf.int8),
        ],
        [_rng.integers(0, 256, (3, 5, 3)).astype(np.uint8)],
    ),
    "rgb_to_grayscale-uint8-batch": (
        lambda tf, x: tf.image.rgb_to_grayscale(x),
        [_rng.integers(0, 256, (2, 4, 5, 3)).astype(np.uint8)],
    ),
    "rgb_to_grayscale-float-named": (
        lambda tf, x: tf.image.rgb_to_grayscale(x, name="gray"),
        [_rng.uniform(0, 1, (4, 5, 3)).astype(np.float32)],
    ),
    "grayscale_to_rgb-static": (
        lambda tf, x: tf.image.grayscale_to_rgb(x),
        [_rng.integers(0, 256, (4, 5, 1)).astype(np.uint8)],
    ),
    "grayscale_to_rgb-unknown-dims-asserted": (
        lambda tf, x: tf.image.grayscale_to_rgb(tf.placeholder_with_default(x, [None, None, None, None])),
        [_rng.uniform(0, 1, (2, 3, 4, 1)).astype(np.float32)],
    ),
    "total_variation-3d": (
        lambda tf, x: tf.image.total_variation(x),
        [_rng.standard_normal((4, 5, 3)).astype(np.float32)],
    ),
    "total_variation-4d-named": (
        lambda tf, x: tf.image.total_variation(x, name="tv"),
        [_rng.integers(0, 256, (2, 3, 4, 2)).astype(np.int32)],
    ),
}


@pytest.mark.parametrize("case", list(GRAPH_CASES))
def test_graph_and_values_match_tf(tf1, case):
    build, feeds = GRAPH_CASES[case]
    (expected, actual), (tg, mg) = _run_both(tf1, build, feeds)
    assert _nodes(mg) == _nodes(tg)
    for e, a in zip(
        expected if isinstance(expected, list) else [expected], actual if isinstance(actual, list) else [actual]
    ):
        assert np.asarray(a).dtype == np.asarray(e).dtype and np.shape(a) == np.shape(e)
        np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(e, np.float64), rtol=1e-5, atol=1e-5)


def test_codec_graphs_match_tf(tf1):
    def build(tf):
        s = tf.placeholder(tf.string, [], name="s")
        image = tf.image.decode_png(s, channels=3)
        return [
            tf.image.decode_jpeg(s, channels=1, dct_method="INTEGER_ACCURATE"),
            tf.image.decode_image(s, channels=3, expand_animations=False),
            tf.image.decode_image(s, dtype=tf.float32),
            tf.io.decode_image(s),
            tf.image.encode_png(image, compression=3),
            tf.image.encode_jpeg(image, quality=80, name="jpeg"),
        ]

    tg, mg = tf1.Graph(), tm.Graph()
    with tg.as_default():
        theirs = build(tf1)
    with mg.as_default():
        ours = build(tm)
    assert _nodes(mg) == _nodes(tg)
    assert [t.shape.as_list() if t.shape.rank is not None else None for t in ours] == [
        t.shape.as_list() if t.shape.rank is not None else None for t in theirs
    ]


@pytest.mark.parametrize(
    "image",
    [
        _rng.integers(0, 256, (5, 7, 3)).astype(np.uint8),
        _rng.integers(0, 256, (4, 3, 4)).astype(np.uint8),
        _rng.integers(0, 256, (6, 2, 1)).astype(np.uint8),
        _rng.integers(0, 65536, (3, 4, 1)).astype(np.uint16),
    ],
    ids=["rgb", "rgba", "gray", "gray16"],
)
def test_png_both_ways(tf1, image):
    dtype = "uint16" if image.dtype == np.uint16 else "uint8"

    def png_roundtrip(framework, other_framework):
        with framework.Graph().as_default():
            x = framework.placeholder(framework.as_dtype(dtype), image.shape)
            with framework.Session() as sess:
                data = sess.run(framework.image.encode_png(x), {x: image})
        with other_framework.Graph().as_default():
            decoded = other_framework.image.decode_png(data, dtype=other_framework.as_dtype(dtype))
            with other_framework.Session() as sess:
                return sess.run(decoded)

    np.testing.assert_array_equal(png_roundtrip(tm, tf1), image)  # ours written, TF reads
    np.testing.assert_array_equal(png_roundtrip(tf1, tm), image)  # TF's written, we read


def test_jpeg_both_ways(tf1):
    y, x = np.mgrid[0:16, 0:24]
    image = np.stack([x * 10, y * 15, (x + y) * 6], -1).astype(np.uint8)

    def encode(framework):
        with framework.Graph().as_default():
            ph = framework.placeholder(framework.uint8, image.shape)
            with framework.Session() as sess:
                return sess.run(framework.image.encode_jpeg(ph, quality=90), {ph: image})

    def decode(framework, data):
        with framework.Graph().as_default():
            out = framework.image.decode_jpeg(data, dct_method="INTEGER_ACCURATE")
            with framework.Session() as sess:
                return sess.run(out)

    for data in (encode(tm), encode(tf1)):
        ours, theirs = decode(tm, data), decode(tf1, data)
        np.testing.assert_array_equal(ours, theirs)
        assert np.abs(ours.astype(int) - image).mean() < 3  # a faithful JPEG of the image


def test_bad_image_data_is_invalid_argument(tf1):
    from torchmeta import errors

    with tm.Graph().as_default():
        s = tm.placeholder(tm.string, [])
        with tm.Session() as sess:
            with pytest.raises(errors.InvalidArgumentError, match="Invalid PNG data"):
                sess.run(tm.image.decode_png(s), {s: b"not a png"})
            with pytest.raises(errors.InvalidArgumentError, match="Invalid JPEG data"):
                sess.run(tm.image.decode_jpeg(s), {s: b"\xff\xd8 truncated"})
            with pytest.raises(errors.InvalidArgumentError, match="Unknown image file format"):
                sess.run(tm.image.decode_image(s), {s: b"????"})


_IMAGE = _rng.integers(0, 256, (4, 5, 3)).astype(np.uint8)
_BATCH = _rng.standard_normal((6, 4, 5, 2)).astype(np.float32)

FLIP_CASES = {
    "flips-3d-static": (None, lambda tf: [tf.image.flip_left_right(_IMAGE), tf.image.flip_up_down(_IMAGE)], None),
    "flips-4d-unknown-dims": (
        None,
        lambda tf: (lambda x: [tf.image.flip_left_right(x), tf.image.flip_up_down(x)])(
            tf.placeholder(tf.float32, [None, None, 5, 2], name="images")
        ),
        _BATCH,
    ),
    "random-flips-3d-op-seeds": (
        None,
        lambda tf: [
            tf.image.random_flip_left_right(_IMAGE, seed=3),
            tf.image.random_flip_up_down(tf.constant(_IMAGE, name="image"), seed=4),
        ],
        None,
    ),
    "random-flips-4d-graph-seed": (
        21,
        lambda tf: [tf.image.random_flip_left_right(_BATCH), tf.image.random_flip_up_down(_BATCH)],
        None,
    ),
    "random-flip-unknown-inner-dims": (
        8,
        lambda tf: tf.image.random_flip_left_right(tf.placeholder(tf.float32, [None, None, 2], name="image")),
        _BATCH[0],
    ),
    "random-flip-unknown-rank": (
        8,
        lambda tf: tf.image.random_flip_up_down(tf.placeholder(tf.float32, None, name="image")),
        _BATCH,
    ),
}


@pytest.mark.parametrize("case", list(FLIP_CASES))
def test_flips_are_tfs(tf1, case):
    """TF's graphs node for node (run-time asserts for unknown dims, the cond of an unknown rank, one
    RandomUniform per image of a batch) and, seeded, TF's flips run after run."""
    graph_seed, build, feed = FLIP_CASES[case]
    results, graphs = [], []
    for fw in (tf1, tm):
        g = fw.Graph()
        with g.as_default():
            if graph_seed is not None:
                fw.set_random_seed(graph_seed)
            out = build(fw)
            feeds = {} if feed is None else {g.get_tensor_by_name(("images" if "4d" in case else "image") + ":0"): feed}
            with fw.Session() as sess:
                results.append([sess.run(out, feeds) for _ in range(5)])
        graphs.append(g)
    assert _nodes(graphs[1]) == _nodes(graphs[0])
    for ours, theirs in zip(results[1], results[0]):
        for o, t in zip(ours if isinstance(ours, list) else [ours], theirs if isinstance(theirs, list) else [theirs]):
            assert o.shape == t.shape and o.dtype == t.dtype
            np.testing.assert_array_equal(o, t)


def test_flip_shape_errors_as_tf(tf1):
    for fw in (tf1, tm):
        with fw.Graph().as_default():
            with pytest.raises(ValueError, match=r"must be at least three-dimensional"):
                fw.image.random_flip_left_right(np.zeros((3, 4), np.float32))
            with pytest.raises(ValueError, match=r"must have either 3 or 4 dimensions"):
                fw.image.random_flip_up_down(np.zeros((1, 2, 3, 4, 1), np.float32))
            with pytest.raises(ValueError, match=r"inner 3 dims of 'image.shape' must be > 0"):
                fw.image.flip_left_right(np.zeros((0, 2, 3), np.float32))


def test_unknown_inner_dims_fail_at_run_time_as_tf(tf1):
    import tensorflow

    messages = []
    for fw, error in ((tf1, tensorflow.errors.InvalidArgumentError), (tm, tm.errors.InvalidArgumentError)):
        with fw.Graph().as_default():
            image = fw.placeholder(fw.float32, [None, None, 3])
            flipped = fw.image.random_flip_left_right(image, seed=1)
            with fw.Session() as sess:
                assert sess.run(flipped, {image: np.ones((1, 2, 3), np.float32)}).shape == (1, 2, 3)
                with pytest.raises(error) as caught:
                    sess.run(flipped, {image: np.zeros((0, 2, 3), np.float32)})
        messages.append([line for line in caught.value.message.split("\n") if "inner 3 dims" in line])
    assert messages[1] == messages[0] and len(messages[0]) == 1


# The cifar10 tutorial's crops, pads and colour distortions (examples/cifar10_tutorial.py).
CROP_PAD_CASES = {
    "crop_or_pad-3d-crop-height-pad-width": (
        lambda tf, x: tf.image.resize_image_with_crop_or_pad(x, 24, 36),
        [_rng.standard_normal((32, 30, 3)).astype(np.float32)],
    ),
    "crop_or_pad-4d-odd-sizes": (
        lambda tf, x: tf.image.resize_with_crop_or_pad(x, 4, 9),
        [_rng.integers(0, 256, (2, 7, 6, 1)).astype(np.uint8)],
    ),
    "crop_or_pad-unknown-dims": (
        lambda tf, x: tf.image.resize_image_with_crop_or_pad(x, 6, 4),
        [_rng.standard_normal((5, 7, 2)).astype(np.float32)],
    ),
    "crop_to_bounding_box": (
        lambda tf, x: tf.image.crop_to_bounding_box(x, 1, 2, 3, 2),
        [_rng.integers(-9, 9, (6, 6, 1)).astype(np.int32)],
    ),
    "pad_to_bounding_box-batch": (
        lambda tf, x: tf.image.pad_to_bounding_box(x, 1, 2, 4, 6),
        [_rng.standard_normal((2, 2, 3, 3)).astype(np.float32)],
    ),
    "adjust_brightness-float-and-uint8": (
        lambda tf, x: [
            tf.image.adjust_brightness(tf.cast(x, tf.float32), 0.3),
            tf.image.adjust_brightness(x, -0.25),
            tf.image.adjust_brightness(x, 0.5),
        ],
        [_rng.integers(0, 256, (5, 4, 3)).astype(np.uint8)],
    ),
    "adjust_contrast-float-and-uint8": (
        lambda tf, x: [tf.image.adjust_contrast(tf.cast(x, tf.float32), 1.7), tf.image.adjust_contrast(x, 0.4)],
        [_rng.integers(0, 256, (2, 5, 4, 3)).astype(np.uint8)],
    ),
}


@pytest.mark.parametrize("case", list(CROP_PAD_CASES))
def test_crops_pads_and_adjustments_are_tfs(tf1, case):
    """resize_image_with_crop_or_pad (its crop_to_bounding_box and pad_to_bounding_box), adjust_brightness and
    adjust_contrast: TF's graph node for node, TF's shapes and values. Missing from torchmeta before."""
    build, feeds = CROP_PAD_CASES[case]
    if case == "crop_or_pad-unknown-dims":
        feed = feeds[0]
        results, graphs = [], []
        for fw in (tf1, tm):
            g = fw.Graph()
            with g.as_default():
                x = fw.placeholder(fw.float32, [None, None, 2])
                out = build(fw, x)
                assert out.shape.as_list() == [6, 4, 2]
                with fw.Session() as sess:
                    results.append(sess.run(out, {x: feed}))
            graphs.append(g)
        (expected, actual), (tg, mg) = results, graphs
    else:
        (expected, actual), (tg, mg) = _run_both(tf1, build, feeds)
    assert _nodes(mg) == _nodes(tg)
    for e, a in zip(
        expected if isinstance(expected, list) else [expected], actual if isinstance(actual, list) else [actual]
    ):
        assert np.asarray(a).dtype == np.asarray(e).dtype and np.shape(a) == np.shape(e)
        np.testing.assert_array_equal(a, e)


def test_seeded_random_brightness_and_contrast_are_tfs(tf1):
    """The tutorial's distortion chain on a fed image, seeded: TF's deltas and factors, run after run."""
    image = _rng.uniform(0, 255, (2, 8, 8, 3)).astype(np.float32)
    results, graphs = [], []
    for fw in (tf1, tm):
        g = fw.Graph()
        with g.as_default():
            fw.set_random_seed(5)
            x = fw.placeholder(fw.float32, [2, 8, 8, 3], name="x")
            distorted = fw.image.random_brightness(x, max_delta=63)
            distorted = fw.image.random_contrast(distorted, lower=0.2, upper=1.8)
            other = fw.image.random_contrast(fw.image.random_brightness(x, 0.5, seed=3), 0.5, 1.5, seed=4)
            with fw.Session() as sess:
                results.append([sess.run([distorted, other], {x: image}) for _ in range(3)])
        graphs.append(g)
    assert _nodes(graphs[1]) == _nodes(graphs[0])
    for ours, theirs in zip(results[1], results[0]):
        for o, t in zip(ours, theirs):
            assert o.dtype == t.dtype and o.shape == t.shape
            np.testing.assert_array_equal(o, t)


def test_crop_pad_and_random_adjustment_argument_errors_are_tfs(tf1):
    image = np.zeros((4, 5, 3), np.float32)
    cases = [
        (lambda fw: fw.image.random_brightness(image, -1.0), "max_delta must be non-negative."),
        (lambda fw: fw.image.random_contrast(image, 0.5, 0.5), "upper must be > lower."),
        (lambda fw: fw.image.random_contrast(image, -0.5, 0.5), "lower must be non-negative."),
        (lambda fw: fw.image.crop_to_bounding_box(image, 1, 0, 4, 2), "height must be >= target + offset."),
        (lambda fw: fw.image.crop_to_bounding_box(image, 0, -1, 2, 2), "offset_width must be >= 0."),
        (lambda fw: fw.image.pad_to_bounding_box(image, 0, 2, 5, 6), "width must be <= target - offset"),
        (lambda fw: fw.image.resize_image_with_crop_or_pad(image, 0, 3), "target_height must be > 0."),
        (lambda fw: fw.image.resize_image_with_crop_or_pad(np.zeros((4, 5), np.float32), 2, 3), "must have either 3"),
    ]
    for build, message in cases:
        for fw in (tf1, tm):
            with fw.Graph().as_default(), pytest.raises(ValueError) as caught:
                build(fw)
            assert message in str(caught.value)


def test_total_variation_wants_3d_or_4d_images_as_tf(tf1):
    messages = []
    for framework in (tf1, tm):
        with framework.Graph().as_default(), pytest.raises(ValueError) as info:
            framework.image.total_variation(framework.zeros([2, 3]))
        messages.append(str(info.value))
    assert messages[1] == messages[0] == "'images' must be either 3 or 4-dimensional."


def test_total_variation_trains_an_image_variable_as_tf(tf1):
    """Its gradient (through the StridedSlice differences) drives an image towards smoothness as in TF."""
    image = _rng.standard_normal((1, 6, 5, 3)).astype(np.float32)
    values = []
    for framework in (tf1, tm):
        with framework.Graph().as_default():
            x = framework.Variable(image)
            loss = framework.reduce_sum(framework.image.total_variation(x))
            step = framework.train.AdamOptimizer(0.1).minimize(loss, var_list=[x])
            with framework.Session() as sess:
                sess.run(framework.global_variables_initializer())
                values.append([sess.run([loss, step])[0] for _ in range(3)] + [sess.run(x)])
    np.testing.assert_allclose(values[1][:3], values[0][:3], rtol=1e-5)
    np.testing.assert_allclose(values[1][3], values[0][3], rtol=1e-5, atol=1e-6)


PNG_BYTE_CASES = {
    "rgb-tiny": _rng.integers(0, 256, (5, 7, 3)).astype(np.uint8),
    "rgb-gradient": (np.add.outer(np.arange(24), np.arange(24))[:, :, None].repeat(3, 2) * 3).astype(np.uint8),
    "rgb-noise-two-chunks": _rng.integers(0, 256, (64, 64, 3)).astype(np.uint8),
    "rgb-large-smooth": (np.add.outer(np.arange(300), np.arange(300))[:, :, None].repeat(3, 2) % 256).astype(np.uint8),
    "grey": _rng.integers(0, 256, (30, 30, 1)).astype(np.uint8),
    "grey-alpha": _rng.integers(0, 256, (9, 11, 2)).astype(np.uint8),
    "rgba": _rng.integers(0, 256, (20, 20, 4)).astype(np.uint8),
    "rgb16": _rng.integers(0, 65536, (13, 17, 3)).astype(np.uint16),
    "grey16": _rng.integers(0, 65536, (40, 50, 1)).astype(np.uint16),
    "one-pixel": np.zeros((1, 1, 1), np.uint8),
    "wide-few-values": _rng.integers(0, 4, (3, 3000, 3)).astype(np.uint8),
}


@pytest.mark.parametrize("compression", [-1, 0, 1, 9])
@pytest.mark.parametrize("case", list(PNG_BYTE_CASES))
def test_png_bytes_are_tfs(tf1, case, compression):
    """EncodePng writes libpng's file as TF does: the row filters, the zlib stream and its header (a small image's
    window), the IDAT chunks. Large images at level 0, which zlib stores as is, are compared by TF's decoding of
    ours: TF's zlib cuts those stored blocks elsewhere."""
    image = PNG_BYTE_CASES[case]
    files = []
    for framework in (tf1, tm):
        with framework.Graph().as_default(), framework.Session() as sess:
            files.append(sess.run(framework.image.encode_png(framework.constant(image), compression=compression)))
    if compression == 0 and image.size > 60000:  # stored data: TF's zlib cuts its stored blocks elsewhere
        with tf1.Graph().as_default(), tf1.Session() as sess:
            decoded = sess.run(tf1.image.decode_png(files[1], dtype=tf1.as_dtype(image.dtype)))
        np.testing.assert_array_equal(decoded, image)
    else:
        assert files[1] == files[0]


@pytest.mark.parametrize("shape", [[3], [4, 5, 3], None])
def test_grayscale_to_rgb_shape_errors_as_tf(tf1, shape):
    """Static errors for a 1-D image or a last dim other than 1; for an unknown shape, the run-time assert."""
    import tensorflow

    messages = []
    for framework, errs in ((tf1, tensorflow.errors), (tm, tm.errors)):
        with framework.Graph().as_default():
            if shape is None:
                image = framework.placeholder_with_default(np.zeros((2, 2, 3), np.float32), None)
                rgb = framework.image.grayscale_to_rgb(image)
                with framework.Session() as sess, pytest.raises(errs.InvalidArgumentError) as info:
                    sess.run(rgb)
                messages.append([line for line in str(info.value.message).splitlines() if "assertion" in line])
            else:
                with pytest.raises(ValueError) as info:
                    framework.image.grayscale_to_rgb(framework.zeros(shape))
                messages.append(str(info.value))
    assert messages[1] == messages[0] and messages[0]


GEOMETRY_CASES = {
    "resize_bicubic-half-pixel": (
        lambda tf, x: tf.image.resize_bicubic(x, [7, 4], half_pixel_centers=True),
        [_rng.standard_normal((2, 5, 6, 2)).astype(np.float32)],
    ),
    "resize_area-uint8": (
        lambda tf, x: tf.image.resize_area(x, [3, 2], name="area"),
        [_rng.integers(0, 256, (1, 6, 5, 3)).astype(np.uint8)],
    ),
    "extract_image_patches": (
        lambda tf, x: [
            tf.image.extract_image_patches(x, [1, 3, 3, 1], [1, 2, 2, 1], [1, 1, 1, 1], "SAME"),
            tf.extract_image_patches(x, ksizes=[1, 2, 2, 1], strides=[1, 1, 1, 1], rates=[1, 2, 2, 1], padding="VALID"),
            tf.image.extract_patches(x, [1, 2, 3, 1], [1, 3, 1, 1], [1, 1, 1, 1], "VALID", name="p"),
        ],
        [_rng.standard_normal((2, 7, 6, 2)).astype(np.float32)],
    ),
    "crop_and_resize": (
        lambda tf, x: [
            tf.image.crop_and_resize(
                x, [[0.1, 0.2, 0.8, 0.9], [-0.2, 0.0, 1.3, 0.7]], [1, 0], [3, 4], extrapolation_value=-1.0
            ),
            tf.image.crop_and_resize(x, [[0.0, 0.0, 1.0, 1.0]], box_indices=[0], crop_size=[2, 2], method="nearest"),
        ],
        [_rng.standard_normal((2, 6, 5, 3)).astype(np.float32)],
    ),
    "resize_images-bicubic-area-aspect": (
        lambda tf, x, y: [
            tf.image.resize_images(x, [7, 9], method=tf.image.ResizeMethod.BICUBIC),
            tf.image.resize_images(y, [2, 3], method=tf.image.ResizeMethod.AREA, align_corners=True),
            tf.image.resize_images(x, [10, 10], preserve_aspect_ratio=True),
            tf.image.resize_images(y, [8, 3], method=tf.image.ResizeMethod.BICUBIC, preserve_aspect_ratio=True),
        ],
        [_rng.standard_normal((5, 6, 2)).astype(np.float32), _rng.integers(0, 256, (2, 6, 5, 1)).astype(np.uint8)],
    ),
    "rot90-3d": (
        lambda tf, x: [tf.image.rot90(x), tf.image.rot90(x, k=2), tf.image.rot90(x, k=-1), tf.image.rot90(x, 4)],
        [_rng.standard_normal((3, 4, 2)).astype(np.float32)],
    ),
    "rot90-4d-fed-k": (
        lambda tf, x, k: [tf.image.rot90(x, k), tf.image.rot90(x, k + 1, name="r")],
        [_rng.integers(0, 9, (2, 3, 5, 1)).astype(np.int32), np.array(3, np.int32)],
    ),
    "transpose": (
        lambda tf, x, y: [tf.image.transpose(x), tf.image.transpose_image(y, name="t")],
        [_rng.standard_normal((3, 4, 2)).astype(np.float32), _rng.standard_normal((2, 3, 4, 1)).astype(np.float32)],
    ),
    "central_crop": (
        lambda tf, x, y: [tf.image.central_crop(x, 0.5), tf.image.central_crop(y, 0.3), tf.image.central_crop(x, 1.0)],
        [_rng.standard_normal((7, 6, 2)).astype(np.float32), _rng.standard_normal((2, 9, 10, 1)).astype(np.float32)],
    ),
    "resize_image_with_pad": (
        lambda tf, x, y: [
            tf.image.resize_image_with_pad(x, 8, 5),
            tf.image.resize_image_with_pad(y, 4, 9, method=tf.image.ResizeMethod.NEAREST_NEIGHBOR),
        ],
        [_rng.standard_normal((5, 6, 2)).astype(np.float32), _rng.standard_normal((2, 6, 3, 1)).astype(np.float32)],
    ),
    "image_gradients": (
        lambda tf, x: list(tf.image.image_gradients(x)),
        [_rng.standard_normal((2, 4, 5, 3)).astype(np.float32)],
    ),
    "sobel_edges": (
        lambda tf, x: tf.image.sobel_edges(x),
        [_rng.standard_normal((2, 5, 4, 3)).astype(np.float32)],
    ),
}


@pytest.mark.parametrize("case", list(GEOMETRY_CASES))
def test_geometry_graphs_and_values_are_tfs(tf1, case):
    build, feeds = GEOMETRY_CASES[case]
    (expected, actual), (tg, mg) = _run_both(tf1, build, feeds)
    assert _nodes(mg) == _nodes(tg)
    expected, actual = (r if isinstance(r, list) else [r] for r in (expected, actual))
    for e, a in zip(expected, actual):
        assert a.dtype == e.dtype and a.shape == e.shape
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5)


COLOUR_CASES = {
    "hsv-round-trip": (
        lambda tf, x: [tf.image.rgb_to_hsv(x), tf.image.hsv_to_rgb(tf.image.rgb_to_hsv(x), name="back")],
        [_rng.uniform(0, 1, (2, 4, 5, 3)).astype(np.float32)],
    ),
    "adjust_hue-saturation-float": (
        lambda tf, x, d: [
            tf.image.adjust_hue(x, 0.2),
            tf.image.adjust_hue(x, d, name="hue"),
            tf.image.adjust_saturation(x, 1.7),
            tf.image.adjust_saturation(x, d + 0.5, name="sat"),
        ],
        [_rng.uniform(0, 1, (4, 5, 3)).astype(np.float32), np.array(-0.3, np.float32)],
    ),
    "adjust_hue-saturation-uint8": (
        lambda tf, x: [tf.image.adjust_hue(x, -0.45), tf.image.adjust_saturation(x, 0.4)],
        [_rng.integers(0, 256, (2, 3, 4, 3)).astype(np.uint8)],
    ),
    "adjust_gamma": (
        lambda tf, x, y, g: [
            tf.image.adjust_gamma(x, 0.5, 1.2),
            tf.image.adjust_gamma(y, 2.2),
            tf.image.adjust_gamma(x, g, gain=0.9),
        ],
        [
            _rng.uniform(0, 1, (4, 5, 3)).astype(np.float32),
            _rng.integers(0, 256, (3, 4, 3)).astype(np.uint8),
            np.array(1.5, np.float32),
        ],
    ),
    "yiq-yuv": (
        lambda tf, x: [
            tf.image.rgb_to_yiq(x),
            tf.image.yiq_to_rgb(tf.image.rgb_to_yiq(x)),
            tf.image.rgb_to_yuv(x),
            tf.image.yuv_to_rgb(tf.image.rgb_to_yuv(x)),
        ],
        [_rng.uniform(0, 1, (2, 4, 5, 3)).astype(np.float32)],
    ),
}


@pytest.mark.parametrize("case", list(COLOUR_CASES))
def test_colour_graphs_and_values_are_tfs(tf1, case):
    build, feeds = COLOUR_CASES[case]
    (expected, actual), (tg, mg) = _run_both(tf1, build, feeds)
    assert _nodes(mg) == _nodes(tg)
    for e, a in zip(expected, actual):
        assert a.dtype == e.dtype and a.shape == e.shape
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5 if a.dtype.kind == "f" else 0)


def test_seeded_random_hue_and_saturation_are_tfs(tf1):
    """Op-level and graph-level seeds: TF's draws, run after run."""
    image = _rng.uniform(0, 1, (6, 5, 3)).astype(np.float32)
    results, graphs = [], []
    for fw in (tf1, tm):
        g = fw.Graph()
        with g.as_default():
            fw.set_random_seed(7)
            x = fw.placeholder(fw.float32, [6, 5, 3], name="x")
            outs = [
                fw.image.random_hue(x, 0.3),
                fw.image.random_saturation(x, 0.5, 1.5, seed=4),
                fw.image.random_saturation(fw.image.random_hue(x, 0.1, seed=9), 0.2, 0.9),
            ]
            with fw.Session() as sess:
                results.append([sess.run(outs, {x: image}) for _ in range(3)])
        graphs.append(g)
    assert _nodes(graphs[1]) == _nodes(graphs[0])
    for ours, theirs in zip(results[1], results[0]):
        for o, t in zip(ours, theirs):
            np.testing.assert_allclose(o, t, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "call",
    [
        lambda tf, x: tf.image.random_hue(x, 0.6),
        lambda tf, x: tf.image.random_hue(x, -0.1),
        lambda tf, x: tf.image.random_saturation(x, 0.5, 0.5),
        lambda tf, x: tf.image.random_saturation(x, -0.5, 0.5),
        lambda tf, x: tf.image.adjust_gamma(x, -1.0),
        lambda tf, x: tf.image.central_crop(x, 0.0),
        lambda tf, x: tf.image.central_crop(x[0, 0], 0.5),
        lambda tf, x: tf.image.rot90(x[0, 0]),
        lambda tf, x: tf.image.rot90(x, [1, 2]),
        lambda tf, x: tf.image.transpose(x[0]),
        lambda tf, x: tf.image.image_gradients(x),
        lambda tf, x: tf.image.extract_image_patches(x, sizes=[1, 1, 1, 1], ksizes=[1, 1, 1, 1]),
        lambda tf, x: tf.image.crop_and_resize(x, [[0, 0, 1, 1]], [0], [2, 2], box_indices=[0]),
    ],
)
def test_colour_and_geometry_argument_errors_are_tfs(tf1, call):
    errors = []
    for fw in (tf1, tm):
        with fw.Graph().as_default():
            x = fw.placeholder(fw.float32, [4, 5, 3])
            with pytest.raises(Exception) as info:
                call(fw, x)
            errors.append(info.value)
    assert type(errors[1]).__name__ == type(errors[0]).__name__
    assert str(errors[1]) == str(errors[0])


def _boxes(n, batch=()):
    corners = _rng.uniform(0, 1, (*batch, n, 2, 2)).astype(np.float32)
    return np.concatenate([corners.min(-2), corners.max(-2)], -1)


BOX_CASES = {
    "non_max_suppression": (
        lambda tf, b, s: [
            tf.image.non_max_suppression(b, s, 5),
            tf.image.non_max_suppression(b, s, 8, iou_threshold=0.2, score_threshold=0.3, name="nms"),
        ],
        [_boxes(12), _rng.uniform(0, 1, 12).astype(np.float32)],
    ),
    "non_max_suppression_with_scores-soft": (
        lambda tf, b, s: [
            *tf.image.non_max_suppression_with_scores(b, s, 6, iou_threshold=0.4),
            *tf.image.non_max_suppression_with_scores(b, s, 6, score_threshold=0.1, soft_nms_sigma=0.5),
        ],
        [_boxes(10), _rng.uniform(0, 1, 10).astype(np.float32)],
    ),
    "non_max_suppression_overlaps": (
        lambda tf, o, s: tf.image.non_max_suppression_overlaps(o, s, 4, overlap_threshold=0.6, score_threshold=0.2),
        [_rng.uniform(0, 1, (7, 7)).astype(np.float32), _rng.uniform(0, 1, 7).astype(np.float32)],
    ),
    "combined_non_max_suppression": (
        lambda tf, b, s: [
            *tf.image.combined_non_max_suppression(b, s, 3, 5, iou_threshold=0.3),
            *tf.image.combined_non_max_suppression(b, s, 2, 4, pad_per_class=True, clip_boxes=False, name="c"),
        ],
        [_boxes(6, (2,))[:, :, None, :] * 1.2 - 0.1, _rng.uniform(0, 1, (2, 6, 3)).astype(np.float32)],
    ),
    "draw_bounding_boxes": (
        lambda tf, x, b: [
            tf.image.draw_bounding_boxes(x, b),
            tf.image.draw_bounding_boxes(x, b, colors=[[1.0, 0.0, 0.0, 1.0], [0.0, 0.5, 1.0, 1.0]], name="d"),
        ],
        [np.zeros((2, 9, 8, 3), np.float32), _boxes(2, (2,))],
    ),
}


@pytest.mark.parametrize("case", list(BOX_CASES))
def test_box_graphs_and_values_are_tfs(tf1, case):
    build, feeds = BOX_CASES[case]
    (expected, actual), (tg, mg) = _run_both(tf1, build, feeds)
    assert _nodes(mg) == _nodes(tg)
    expected, actual = (r if isinstance(r, list) else [r] for r in (expected, actual))
    for e, a in zip(expected, actual):
        assert a.dtype == e.dtype and a.shape == e.shape
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)


METRIC_CASES = {
    "psnr": (
        lambda tf, a, b: [tf.image.psnr(a, b, 1.0), tf.image.psnr(a, b, max_val=2.0, name="p")],
        [_rng.uniform(0, 1, (2, 5, 6, 3)).astype(np.float32), _rng.uniform(0, 1, (2, 5, 6, 3)).astype(np.float32)],
    ),
    "psnr-uint8": (
        lambda tf, a, b: tf.image.psnr(a, b, 255),
        [_rng.integers(0, 256, (4, 3, 2)).astype(np.uint8), _rng.integers(0, 256, (4, 3, 2)).astype(np.uint8)],
    ),
    "ssim": (
        lambda tf, a, b: [
            tf.image.ssim(a, b, 1.0),
            tf.image.ssim(a, b, 1.0, filter_size=5, filter_sigma=0.8, k1=0.02, return_index_map=True),
        ],
        [_rng.uniform(0, 1, (2, 13, 12, 3)).astype(np.float32), _rng.uniform(0, 1, (2, 13, 12, 3)).astype(np.float32)],
    ),
    "ssim_multiscale": (
        lambda tf, a, b: tf.image.ssim_multiscale(a, b, 1.0, power_factors=(0.3, 0.4, 0.3), filter_size=3),
        [_rng.uniform(0, 1, (2, 13, 11, 1)).astype(np.float32), _rng.uniform(0, 1, (2, 13, 11, 1)).astype(np.float32)],
    ),
}


@pytest.mark.parametrize("case", list(METRIC_CASES))
def test_metric_graphs_and_values_are_tfs(tf1, case):
    build, feeds = METRIC_CASES[case]
    (expected, actual), (tg, mg) = _run_both(tf1, build, feeds)
    assert _nodes(mg) == _nodes(tg)
    expected, actual = (r if isinstance(r, list) else [r] for r in (expected, actual))
    for e, a in zip(expected, actual):
        assert a.dtype == e.dtype and a.shape == e.shape
        np.testing.assert_allclose(
            a, e, rtol=1e-5, atol=1e-5
        )  # SSIM maps cancel (num1 - num0): float32 sum order shows


def test_metric_shape_errors_are_tfs(tf1):
    errors = []
    for fw in (tf1, tm):
        with fw.Graph().as_default():
            with pytest.raises(ValueError) as info:
                fw.image.ssim(fw.zeros([2, 11, 11, 3]), fw.zeros([3, 11, 11, 3]), 1.0)
            errors.append(str(info.value))
    assert errors[1] == errors[0]


def test_tf_io_codec_names_are_tfs(tf1):
    """tf.io's TF1 names for the image codecs, base64 and is_jpeg build TF's graphs and values."""
    image = _rng.integers(0, 256, (4, 5, 3)).astype(np.uint8)

    def build(tf, x):
        png = tf.io.encode_png(x)
        jpeg = tf.io.encode_jpeg(x, quality=95)
        tf.io.decode_bmp(png, name="bmp"), tf.io.decode_gif(png, name="gif")  # built, not run
        return [
            tf.io.decode_png(png),
            tf.shape(tf.io.decode_jpeg(jpeg)),
            tf.io.is_jpeg(jpeg),
            tf.io.is_jpeg(png, name="png_is_jpeg"),
            tf.io.decode_base64(tf.io.encode_base64(png, pad=True)),
            tf.io.encode_base64(png),
            tf.io.extract_jpeg_shape(jpeg),
            tf.image.extract_jpeg_shape(jpeg, output_type=tf.int64, name="shape64"),
            tf.io.decode_and_crop_jpeg(jpeg, [1, 0, 2, 5], dct_method="INTEGER_ACCURATE"),
            tf.image.decode_and_crop_jpeg(jpeg, tf.constant([0, 0, 3, 2]), channels=1, dct_method="INTEGER_ACCURATE"),
        ]

    (expected, actual), (tg, mg) = _run_both(tf1, build, [image])
    assert _nodes(mg) == _nodes(tg)
    for e, a in zip(expected, actual):
        np.testing.assert_array_equal(a, e)
    assert tm.io.PaddingFIFOQueue is tm.PaddingFIFOQueue and tm.io.RandomShuffleQueue is tm.RandomShuffleQueue
    assert tm.io.QueueBase is tm.QueueBase
