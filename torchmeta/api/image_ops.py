"""``tf.image`` (TF1): decoding and encoding, resize_images, per_image_standardization, convert_image_dtype,
crops and pads to a bounding box, brightness and contrast adjustments (fixed or random),
total_variation, rgb_to_grayscale/grayscale_to_rgb.

Graphs are TensorFlow's node for node (``resize_images`` on a 3-D image is ExpandDims,
ResizeBilinear, Squeeze; ``per_image_standardization`` the same Mean/reduce_std/Rsqrt/Maximum
chain). Codecs need Pillow (the ``image`` extra); see ``torchmeta.ops.image_ops`` for how close
decoded pixels are to TensorFlow's.
"""

from __future__ import annotations

import collections
import enum

import numpy as np

from torchmeta import dtypes
from torchmeta.api import array_ops, check_ops, math_ops, random_ops, string_ops
from torchmeta.api import cond as cond_lib
from torchmeta.api.control_flow_assert import Assert
from torchmeta.api.control_flow_case import case
from torchmeta.api.control_flow_ops import with_dependencies
from torchmeta.api.deprecation import deprecated_argument_lookup
from torchmeta.api.nn_ops import depthwise_conv2d
from torchmeta.dtypes import DType
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import convert_to_tensor, name_scope
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.tensor_util import constant_value, constant_value_as_shape, is_tf_type

__all__ = [
    "sample_distorted_bounding_box",
    "ResizeMethod",
    "decode_png",
    "decode_jpeg",
    "decode_and_crop_jpeg",
    "extract_jpeg_shape",
    "decode_gif",
    "decode_bmp",
    "decode_image",
    "encode_png",
    "encode_jpeg",
    "resize_images",
    "resize",
    "resize_bilinear",
    "resize_nearest_neighbor",
    "per_image_standardization",
    "convert_image_dtype",
    "flip_left_right",
    "flip_up_down",
    "random_flip_left_right",
    "random_flip_up_down",
    "crop_to_bounding_box",
    "pad_to_bounding_box",
    "resize_image_with_crop_or_pad",
    "resize_with_crop_or_pad",
    "adjust_brightness",
    "random_brightness",
    "adjust_contrast",
    "random_contrast",
    "total_variation",
    "rgb_to_grayscale",
    "grayscale_to_rgb",
    "resize_bicubic",
    "resize_area",
    "extract_image_patches",
    "extract_patches",
    "crop_and_resize",
    "rot90",
    "transpose",
    "transpose_image",
    "central_crop",
    "resize_image_with_pad",
    "image_gradients",
    "sobel_edges",
    "rgb_to_hsv",
    "hsv_to_rgb",
    "adjust_hue",
    "adjust_saturation",
    "adjust_gamma",
    "random_hue",
    "random_saturation",
    "rgb_to_yiq",
    "yiq_to_rgb",
    "rgb_to_yuv",
    "yuv_to_rgb",
    "non_max_suppression",
    "non_max_suppression_with_scores",
    "non_max_suppression_overlaps",
    "combined_non_max_suppression",
    "draw_bounding_boxes",
    "is_jpeg",
]


class ResizeMethod(enum.IntEnum):
    """``tf.image.ResizeMethod`` (TF1 values)."""

    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


def decode_png(contents, channels=0, dtype=DType.uint8, name=None):
    """``tf.image.decode_png``: an HxWxC uint8/uint16 image (``channels`` 0 keeps the file's)."""
    return raw_op("DecodePng", contents=contents, channels=channels, dtype=dtype, name=name)


def decode_jpeg(
    contents,
    channels=0,
    ratio=1,
    fancy_upscaling=True,
    try_recover_truncated=False,
    acceptable_fraction=1,
    dct_method="",
    name=None,
):
    """``tf.image.decode_jpeg``: an HxWxC uint8 image."""
    return raw_op(
        "DecodeJpeg",
        contents=contents,
        channels=channels,
        ratio=ratio,
        fancy_upscaling=fancy_upscaling,
        try_recover_truncated=try_recover_truncated,
        acceptable_fraction=acceptable_fraction,
        dct_method=dct_method,
        name=name,
    )


def decode_and_crop_jpeg(
    contents,
    crop_window,
    channels=0,
    ratio=1,
    fancy_upscaling=True,
    try_recover_truncated=False,
    acceptable_fraction=1,
    dct_method="",
    name=None,
):
    """``tf.image.decode_and_crop_jpeg``: the [y, x, height, width] ``crop_window`` of a JPEG's pixels."""
    return raw_op(
        "DecodeAndCropJpeg",
        contents=contents,
        crop_window=crop_window,
        channels=channels,
        ratio=ratio,
        fancy_upscaling=fancy_upscaling,
        try_recover_truncated=try_recover_truncated,
        acceptable_fraction=acceptable_fraction,
        dct_method=dct_method,
        name=name,
    )


def extract_jpeg_shape(contents, output_type=DType.int32, name=None):
    """``tf.image.extract_jpeg_shape``: [height, width, channels] from a JPEG's header, without decoding."""
    return raw_op("ExtractJpegShape", contents=contents, output_type=output_type, name=name)


def decode_gif(contents, name=None):
    """``tf.image.decode_gif``: the frames as a [frames, H, W, 3] uint8 tensor."""
    return raw_op("DecodeGif", contents=contents, name=name)


def decode_bmp(contents, channels=0, name=None):
    """``tf.image.decode_bmp``."""
    return raw_op("DecodeBmp", contents=contents, channels=channels, name=name)


def decode_image(contents, channels=None, dtype=DType.uint8, name=None, expand_animations=True):
    """``tf.image.decode_image``: PNG, JPEG, GIF or BMP by their first bytes."""
    with name_scope(name, "decode_image"):
        channels = 0 if channels is None else channels
        dtype = dtypes.as_dtype(dtype)
        original = dtype
        decode_dtype = dtype if dtype in (DType.float32, DType.uint8, DType.uint16) else DType.uint16
        image = raw_op(
            "DecodeImage", contents=contents, channels=channels, expand_animations=expand_animations, dtype=decode_dtype
        )
        if decode_dtype is not original:
            image = convert_image_dtype(image, original)
        if not expand_animations:
            image.set_shape([None, None, channels or None])
        return image


def encode_png(image, compression=-1, name=None):
    """``tf.image.encode_png``: a scalar string holding a PNG of the HxWxC uint8/uint16 ``image``."""
    return raw_op("EncodePng", image=image, compression=compression, name=name)


def encode_jpeg(
    image,
    format="",
    quality=95,
    progressive=False,
    optimize_size=False,
    chroma_downsampling=True,
    density_unit="in",
    x_density=300,
    y_density=300,
    xmp_metadata="",
    name=None,
):
    """``tf.image.encode_jpeg``: a scalar string holding a JPEG of the HxWxC uint8 ``image``."""
    return raw_op(
        "EncodeJpeg",
        image=image,
        format=format,
        quality=quality,
        progressive=progressive,
        optimize_size=optimize_size,
        chroma_downsampling=chroma_downsampling,
        density_unit=density_unit,
        x_density=x_density,
        y_density=y_density,
        xmp_metadata=xmp_metadata,
        name=name,
    )


def resize_bilinear(images, size, align_corners=False, name=None, half_pixel_centers=False):
    """``tf.image.resize_bilinear`` (the raw op): float32 results."""
    return raw_op(
        "ResizeBilinear",
        images=images,
        size=size,
        align_corners=align_corners,
        half_pixel_centers=half_pixel_centers,
        name=name,
    )


def resize_nearest_neighbor(images, size, align_corners=False, name=None, half_pixel_centers=False):
    """``tf.image.resize_nearest_neighbor`` (the raw op)."""
    return raw_op(
        "ResizeNearestNeighbor",
        images=images,
        size=size,
        align_corners=align_corners,
        half_pixel_centers=half_pixel_centers,
        name=name,
    )


_RESIZE_OPS = {
    ResizeMethod.BILINEAR: "ResizeBilinear",
    "bilinear": "ResizeBilinear",
    ResizeMethod.NEAREST_NEIGHBOR: "ResizeNearestNeighbor",
    "nearest": "ResizeNearestNeighbor",
    ResizeMethod.BICUBIC: "ResizeBicubic",
    "bicubic": "ResizeBicubic",
    ResizeMethod.AREA: "ResizeArea",
    "area": "ResizeArea",
}


def resize_images(
    images, size, method=ResizeMethod.BILINEAR, align_corners=False, preserve_aspect_ratio=False, name=None
):
    """``tf.image.resize_images`` (TF1): bilinear, nearest-neighbour, bicubic or area resizing of 3-D or 4-D
    images (``preserve_aspect_ratio``: the largest size within ``size`` of the same aspect ratio).

    Raises:
      ValueError: for images of unknown rank or rank other than 3 or 4, a bad ``size``, or an unknown
        ``method``.
    """
    op_type = _RESIZE_OPS.get(method) if isinstance(method, (int, str)) else None
    with name_scope(name, "resize", [images, size]):
        images = convert_to_tensor(images, name="images")
        if images.shape.rank is None:
            raise ValueError("'images' contains no shape.")
        is_batch = True
        if images.shape.rank == 3:
            is_batch = False
            images = raw_op("ExpandDims", input=images, dim=0)
        elif images.shape.rank != 4:
            raise ValueError("'images' must have either 3 or 4 dimensions.")
        _, height, width, _ = images.shape.as_list()
        try:
            size = convert_to_tensor(size, DType.int32, name="size")
        except (TypeError, ValueError):
            raise ValueError("'size' must be a 1-D int32 Tensor") from None
        if not size.shape.is_compatible_with([2]):
            raise ValueError("'size' must be a 1-D Tensor of 2 elements: new_height, new_width")
        if preserve_aspect_ratio:
            _, current_height, current_width, _ = _image_dimensions(images, rank=4)
            scale_factor_height = math_ops.cast(size[0], DType.float32) / math_ops.cast(current_height, DType.float32)
            scale_factor_width = math_ops.cast(size[1], DType.float32) / math_ops.cast(current_width, DType.float32)
            scale_factor = math_ops.minimum(scale_factor_height, scale_factor_width)
            scaled_height_const = math_ops.cast(
                math_ops.round(scale_factor * math_ops.cast(current_height, DType.float32)), DType.int32
            )
            scaled_width_const = math_ops.cast(
                math_ops.round(scale_factor * math_ops.cast(current_width, DType.float32)), DType.int32
            )
            size = convert_to_tensor([scaled_height_const, scaled_width_const], DType.int32, name="size")
        size_shape = constant_value_as_shape(size)
        new_height = size_shape.dims[0].value if size_shape.rank else None
        new_width = size_shape.dims[1].value if size_shape.rank else None
        if None not in (new_width, width, new_height, height) and width == new_width and height == new_height:
            if not is_batch:
                images = array_ops.squeeze(images, axis=[0])
            return images
        if op_type is None:
            raise ValueError(f"Resize method is not implemented: {method}")
        images = raw_op(op_type, images=images, size=size, align_corners=align_corners)
        images.set_shape([None, new_height, new_width, None])
        if not is_batch:
            images = array_ops.squeeze(images, axis=[0])
        return images


resize = resize_images


def _check_at_least_3d(image):
    """TF's _CheckAtLeast3DImage(require_static=False): static errors, or run-time asserts for unknown dims."""
    shape = image.shape
    try:
        shape = shape.with_rank(3) if shape.rank is None else shape.with_rank_at_least(3)
    except ValueError:
        raise ValueError(f"'image' (shape {image.shape}) must be at least three-dimensional.") from None
    if any(d == 0 for d in shape.as_list()[-3:]):
        raise ValueError(f"inner 3 dims of 'image.shape' must be > 0: {shape}")
    if shape[-3:].is_fully_defined():
        return []
    return [
        check_ops.assert_positive(array_ops.shape(image)[-3:], ["inner 3 dims of 'image.shape' must be > 0."]),
        check_ops.assert_greater_equal(array_ops.rank(image), 3, message="'image' must be at least three-dimensional."),
    ]


def _fix_image_flip_shape(image, result):
    if image.shape.rank is None:
        result.set_shape([None, None, None])
    else:
        result.set_shape(image.shape)
    return result


def _flip(image, flip_index, scope_name):
    with name_scope(None, scope_name, [image]):
        image = convert_to_tensor(image, name="image")
        image = with_dependencies(_check_at_least_3d(image), image)
        rank = image.shape.rank

        def f_rank3():
            return _fix_image_flip_shape(image, array_ops.reverse(image, [flip_index]))

        def f_rank4():
            return array_ops.reverse(image, [flip_index + 1])

        if rank is None:
            return cond_lib.cond(math_ops.equal(array_ops.rank(image), 3), f_rank3, f_rank4)
        if rank == 3:
            return f_rank3()
        if rank == 4:
            return f_rank4()
        raise ValueError(f"'image' (shape {image.shape})must have either 3 or 4 dimensions.")


def _random_flip(image, flip_index, seed, scope_name):
    with name_scope(None, scope_name, [image]) as scope:
        image = convert_to_tensor(image, name="image")
        image = with_dependencies(_check_at_least_3d(image), image)
        rank = image.shape.rank

        def f_rank3():
            uniform_random = random_ops.random_uniform(shape=[], minval=0, maxval=1.0, seed=seed)
            mirror_cond = math_ops.less(uniform_random, 0.5)
            result = cond_lib.cond(
                mirror_cond, lambda: array_ops.reverse(image, [flip_index]), lambda: image, name=scope
            )
            return _fix_image_flip_shape(image, result)

        def f_rank4():
            batch_size = array_ops.shape(image)[0]
            uniform_random = random_ops.random_uniform(shape=[batch_size], minval=0, maxval=1.0, seed=seed)
            flips = math_ops.round(array_ops.reshape(uniform_random, [batch_size, 1, 1, 1]))
            flips = math_ops.cast(flips, image.dtype)
            flipped_input = array_ops.reverse(image, [flip_index + 1])
            return flips * flipped_input + (1 - flips) * image

        if rank is None:
            return cond_lib.cond(math_ops.equal(array_ops.rank(image), 3), f_rank3, f_rank4)
        if rank == 3:
            return f_rank3()
        if rank == 4:
            return f_rank4()
        raise ValueError(f"'image' (shape {image.shape}) must have either 3 or 4 dimensions.")


def flip_left_right(image):
    """``tf.image.flip_left_right``: the width axis reversed (of one image or of a batch).

    Raises:
      ValueError: if ``image`` is not 3-D or 4-D.
    """
    return _flip(image, 1, "flip_left_right")


def flip_up_down(image):
    """``tf.image.flip_up_down``: the height axis reversed (of one image or of a batch).

    Raises:
      ValueError: if ``image`` is not 3-D or 4-D.
    """
    return _flip(image, 0, "flip_up_down")


def random_flip_left_right(image, seed=None):
    """``tf.image.random_flip_left_right``: each image flipped along its width with probability 1/2 (TF's
    draws when seeded: one RandomUniform for an image, one per image for a batch).

    Raises:
      ValueError: if ``image`` is not 3-D or 4-D.
    """
    return _random_flip(image, 1, seed, "random_flip_left_right")


def random_flip_up_down(image, seed=None):
    """``tf.image.random_flip_up_down``: each image flipped along its height with probability 1/2 (TF's draws
    when seeded).

    Raises:
      ValueError: if ``image`` is not 3-D or 4-D.
    """
    return _random_flip(image, 0, seed, "random_flip_up_down")


def per_image_standardization(image):
    """``tf.image.per_image_standardization``: (x - mean) / max(stddev, 1/sqrt(num_pixels)), per image.

    Raises:
      ValueError: if ``image`` has fewer than 3 dims (or unknown inner dims).
    """
    with name_scope(None, "per_image_standardization", [image]) as scope:
        image = convert_to_tensor(image, name="image")
        image = with_dependencies(_check_at_least_3d(image), image)
        image = math_ops.cast(image, dtype=DType.float32)
        num_pixels = math_ops.reduce_prod(array_ops.shape(image)[-3:])
        image_mean = math_ops.reduce_mean(image, axis=[-1, -2, -3], keepdims=True)
        stddev = math_ops.reduce_std(image, axis=[-1, -2, -3], keepdims=True)
        min_stddev = math_ops.rsqrt(math_ops.cast(num_pixels, DType.float32))
        adjusted_stddev = math_ops.maximum(stddev, min_stddev)
        image -= image_mean
        return math_ops.divide(image, adjusted_stddev, name=scope)


def _assert(cond, ex_type, msg):
    """TF's polymorphic image assert: an Assert op for a Tensor condition, else raised (or nothing) now."""
    if is_tf_type(cond):
        return [Assert(cond, [msg])]
    if not cond:
        raise ex_type(msg)
    return []


def _image_dimensions(image, rank):
    """The dims of ``image``: Python ints where static, else scalar int32 tensors (TF's _ImageDimensions)."""
    if image.shape.is_fully_defined():
        return image.shape.as_list()
    static_shape = image.shape.with_rank(rank).as_list()
    dynamic_shape = array_ops.unstack(array_ops.shape(image), rank)
    return [s if s is not None else d for s, d in zip(static_shape, dynamic_shape)]


def _as_batch(image):
    """(the image as a 4-D batch, whether it was one): a 3-D or unknown-rank image gets a leading axis."""
    rank = image.shape.rank
    if rank == 3:
        return array_ops.expand_dims(image, 0), False
    if rank is None:
        image = array_ops.expand_dims(image, 0)
        image.set_shape([None] * 4)
        return image, False
    if rank != 4:
        raise ValueError(f"'image' (shape {image.shape}) must have either 3 or 4 dimensions.")
    return image, True


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """``tf.image.pad_to_bounding_box``: ``image`` zero-padded to ``target_height`` x ``target_width``, placed at
    (``offset_height``, ``offset_width``).

    Raises:
      ValueError: if the image is not 3-D or 4-D, or (for Python ints) an offset is negative or the image
        does not fit.
    """
    with name_scope(None, "pad_to_bounding_box", [image]):
        image, is_batch = _as_batch(convert_to_tensor(image, name="image"))
        batch, height, width, depth = _image_dimensions(image, rank=4)
        after_padding_width = target_width - offset_width - width
        after_padding_height = target_height - offset_height - height
        assert_ops = _check_at_least_3d(image)
        assert_ops += _assert(offset_height >= 0, ValueError, "offset_height must be >= 0")
        assert_ops += _assert(offset_width >= 0, ValueError, "offset_width must be >= 0")
        assert_ops += _assert(after_padding_width >= 0, ValueError, "width must be <= target - offset")
        assert_ops += _assert(after_padding_height >= 0, ValueError, "height must be <= target - offset")
        image = with_dependencies(assert_ops, image)
        paddings = array_ops.reshape(
            array_ops.stack([0, 0, offset_height, after_padding_height, offset_width, after_padding_width, 0, 0]),
            [4, 2],
        )
        padded = array_ops.pad(image, paddings)
        padded.set_shape([None if is_tf_type(i) else i for i in [batch, target_height, target_width, depth]])
        if not is_batch:
            padded = array_ops.squeeze(padded, axis=[0])
        return padded


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """``tf.image.crop_to_bounding_box``: the ``target_height`` x ``target_width`` window of ``image`` whose top
    left corner is (``offset_height``, ``offset_width``).

    Raises:
      ValueError: if the image is not 3-D or 4-D, or (for Python ints) the window does not fit.
    """
    with name_scope(None, "crop_to_bounding_box", [image]):
        image, is_batch = _as_batch(convert_to_tensor(image, name="image"))
        assert_ops = _check_at_least_3d(image)
        batch, height, width, depth = _image_dimensions(image, rank=4)
        assert_ops += _assert(offset_width >= 0, ValueError, "offset_width must be >= 0.")
        assert_ops += _assert(offset_height >= 0, ValueError, "offset_height must be >= 0.")
        assert_ops += _assert(target_width > 0, ValueError, "target_width must be > 0.")
        assert_ops += _assert(target_height > 0, ValueError, "target_height must be > 0.")
        assert_ops += _assert(width >= (target_width + offset_width), ValueError, "width must be >= target + offset.")
        assert_ops += _assert(
            height >= (target_height + offset_height), ValueError, "height must be >= target + offset."
        )
        image = with_dependencies(assert_ops, image)
        cropped = array_ops.slice(
            image,
            array_ops.stack([0, offset_height, offset_width, 0]),
            array_ops.stack([array_ops.shape(image)[0], target_height, target_width, array_ops.shape(image)[3]]),
        )
        cropped.set_shape([None if is_tf_type(i) else i for i in [batch, target_height, target_width, depth]])
        if not is_batch:
            cropped = array_ops.squeeze(cropped, axis=[0])
        return cropped


def resize_image_with_crop_or_pad(image, target_height, target_width):
    """``tf.image.resize_image_with_crop_or_pad``: ``image`` centrally cropped or zero-padded (or both, one
    per axis) to ``target_height`` x ``target_width``.

    Raises:
      ValueError: if the image is not 3-D or 4-D, or a target size is not positive.
    """
    with name_scope(None, "resize_image_with_crop_or_pad", [image]):
        image, is_batch = _as_batch(convert_to_tensor(image, name="image"))
        assert_ops = _check_at_least_3d(image)
        assert_ops += _assert(target_width > 0, ValueError, "target_width must be > 0.")
        assert_ops += _assert(target_height > 0, ValueError, "target_height must be > 0.")
        image = with_dependencies(assert_ops, image)
        if is_tf_type(target_height):
            target_height = with_dependencies(assert_ops, target_height)
        if is_tf_type(target_width):
            target_width = with_dependencies(assert_ops, target_width)

        def max_(x, y):
            return math_ops.maximum(x, y) if is_tf_type(x) or is_tf_type(y) else max(x, y)

        def min_(x, y):
            return math_ops.minimum(x, y) if is_tf_type(x) or is_tf_type(y) else min(x, y)

        def equal_(x, y):
            return math_ops.equal(x, y) if is_tf_type(x) or is_tf_type(y) else x == y

        _, height, width, _ = _image_dimensions(image, rank=4)
        width_diff = target_width - width
        offset_crop_width = max_(-width_diff // 2, 0)
        offset_pad_width = max_(width_diff // 2, 0)
        height_diff = target_height - height
        offset_crop_height = max_(-height_diff // 2, 0)
        offset_pad_height = max_(height_diff // 2, 0)
        cropped = crop_to_bounding_box(
            image, offset_crop_height, offset_crop_width, min_(target_height, height), min_(target_width, width)
        )
        resized = pad_to_bounding_box(cropped, offset_pad_height, offset_pad_width, target_height, target_width)
        if resized.shape.rank is None:
            raise ValueError("resized contains no shape.")
        _, resized_height, resized_width, _ = _image_dimensions(resized, rank=4)
        assert_ops = _assert(equal_(resized_height, target_height), ValueError, "resized height is not correct.")
        assert_ops += _assert(equal_(resized_width, target_width), ValueError, "resized width is not correct.")
        resized = with_dependencies(assert_ops, resized)
        if not is_batch:
            resized = array_ops.squeeze(resized, axis=[0])
        return resized


resize_with_crop_or_pad = resize_image_with_crop_or_pad


def adjust_brightness(image, delta):
    """``tf.image.adjust_brightness``: ``delta`` added to every pixel (integer images through float32 in
    [0, 1) and back, saturating)."""
    with name_scope(None, "adjust_brightness", [image, delta]) as name:
        image = convert_to_tensor(image, name="image")
        orig_dtype = image.dtype
        flt_image = image if orig_dtype in (DType.float16, DType.float32) else convert_image_dtype(image, DType.float32)
        adjusted = math_ops.add(flt_image, math_ops.cast(delta, flt_image.dtype), name=name)
        return convert_image_dtype(adjusted, orig_dtype, saturate=True)


def random_brightness(image, max_delta, seed=None):
    """``tf.image.random_brightness``: adjust_brightness by a delta drawn uniformly from
    [-max_delta, max_delta) (TF's draw when seeded).

    Raises:
      ValueError: if ``max_delta`` is negative.
    """
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    delta = random_ops.random_uniform([], -max_delta, max_delta, seed=seed)
    return adjust_brightness(image, delta)


def adjust_contrast(images, contrast_factor):
    """``tf.image.adjust_contrast``: each channel of each image moved away from (or towards) its mean by
    ``contrast_factor`` (AdjustContrastv2; integer images through float32 and back, saturating)."""
    with name_scope(None, "adjust_contrast", [images, contrast_factor]) as name:
        images = convert_to_tensor(images, name="images")
        orig_dtype = images.dtype
        if orig_dtype in (DType.float16, DType.float32):
            flt_images = images
        else:
            flt_images = convert_image_dtype(images, DType.float32)
        adjusted = raw_op("AdjustContrastv2", images=flt_images, contrast_factor=contrast_factor, name=name)
        return convert_image_dtype(adjusted, orig_dtype, saturate=True)


def random_contrast(image, lower, upper, seed=None):
    """``tf.image.random_contrast``: adjust_contrast by a factor drawn uniformly from [lower, upper) (TF's
    draw when seeded).

    Raises:
      ValueError: if ``upper <= lower`` or ``lower`` is negative.
    """
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    contrast_factor = random_ops.random_uniform([], lower, upper, seed=seed)
    return adjust_contrast(image, contrast_factor)


def rgb_to_grayscale(images, name=None):
    """``tf.image.rgb_to_grayscale``: the luma (0.2989 R + 0.5870 G + 0.1140 B, a Tensordot over the last axis)
    as a one-channel image of the input's dtype."""
    with name_scope(name, "rgb_to_grayscale", [images]) as name:
        images = convert_to_tensor(images, name="images")
        orig_dtype = images.dtype
        flt_image = convert_image_dtype(images, DType.float32)
        gray_float = math_ops.tensordot(flt_image, [0.2989, 0.5870, 0.1140], [-1, -1])
        gray_float = array_ops.expand_dims(gray_float, -1)
        return convert_image_dtype(gray_float, orig_dtype, name=name)


def _check_grayscale(image):
    """TF's _CheckGrayscaleImage(require_static=False): static errors, or run-time asserts for unknown dims."""
    shape = image.get_shape()
    try:
        shape = shape.with_rank(2) if shape.ndims is None else shape.with_rank_at_least(2)
    except ValueError:
        raise ValueError(f"A grayscale image (shape {image.shape}) must be at least two-dimensional.") from None
    if shape.is_fully_defined():
        if shape[-1] != 1:
            raise ValueError("Last dimension of a grayscale image should be size 1.")
        return []
    return [
        check_ops.assert_equal(
            array_ops.shape(image)[-1], 1, message="Last dimension of a grayscale image should be size 1."
        ),
        check_ops.assert_greater_equal(
            array_ops.rank(image),
            3,
            message="A grayscale image must be at least two-dimensional.",  # TF's words
        ),
    ]


def grayscale_to_rgb(images, name=None):
    """``tf.image.grayscale_to_rgb``: the one channel tiled three times.

    Raises:
      ValueError: if ``images`` has fewer than 2 dims or a last dim other than 1 (asserts where unknown).
    """
    with name_scope(name, "grayscale_to_rgb", [images]) as name:
        images = with_dependencies(_check_grayscale(images), images)
        images = convert_to_tensor(images, name="images")
        rank_1 = array_ops.expand_dims(array_ops.rank(images) - 1, 0)
        multiples = array_ops.concat([array_ops.ones(rank_1, dtype=DType.int32), array_ops.expand_dims(3, 0)], 0)
        rgb = array_ops.tile(images, multiples, name=name)
        rgb.set_shape(images.get_shape()[:-1].concatenate([3]))
        return rgb


def total_variation(images, name=None):
    """``tf.image.total_variation``: the sum of the absolute differences of neighbouring pixels, one scalar for a
    3-D image, one per image for a 4-D batch (the smoothness term of style transfer and denoising losses).

    Raises:
      ValueError: if ``images`` is not 3-D or 4-D.
    """
    with name_scope(name, "total_variation"):
        ndims = images.get_shape().ndims
        if ndims == 3:
            pixel_dif1 = images[1:, :, :] - images[:-1, :, :]
            pixel_dif2 = images[:, 1:, :] - images[:, :-1, :]
            sum_axis = None
        elif ndims == 4:
            pixel_dif1 = images[:, 1:, :, :] - images[:, :-1, :, :]
            pixel_dif2 = images[:, :, 1:, :] - images[:, :, :-1, :]
            sum_axis = [1, 2, 3]
        else:
            raise ValueError("'images' must be either 3 or 4-dimensional.")
        return math_ops.reduce_sum(math_ops.abs(pixel_dif1), axis=sum_axis) + math_ops.reduce_sum(
            math_ops.abs(pixel_dif2), axis=sum_axis
        )


def convert_image_dtype(image, dtype, saturate=False, name=None):
    """``tf.image.convert_image_dtype``: rescales between integer ranges and [0, 1) floats.

    Raises:
      AttributeError: for non-numeric dtypes (TensorFlow's exception type).
    """
    image = convert_to_tensor(image, name="image")
    dtype = dtypes.as_dtype(dtype)
    src = image.dtype.base_dtype
    if not dtype.is_floating and not dtype.is_integer:
        raise AttributeError("dtype must be either floating point or integer")
    if not src.is_floating and not src.is_integer:
        raise AttributeError("image dtype must be either floating point or integer")
    if dtype is src:
        return raw_op("Identity", input=image, name=name)
    cast = math_ops.saturate_cast if saturate else math_ops.cast
    with name_scope(name, "convert_image", [image]) as name:
        if src.is_integer and dtype.is_integer:
            scale_in, scale_out = src.max, dtype.max
            if scale_in > scale_out:
                scale = (scale_in + 1) // (scale_out + 1)
                scaled = math_ops.floordiv(image, scale)
                return cast(scaled, dtype, name=name)
            casted = cast(image, dtype)
            scale = (scale_out + 1) // (scale_in + 1)
            return math_ops.multiply(casted, scale, name=name)
        if src.is_floating and dtype.is_floating:
            return math_ops.cast(image, dtype, name=name)
        if src.is_integer:
            casted = math_ops.cast(image, dtype)
            return math_ops.multiply(casted, 1.0 / src.max, name=name)
        scaled = math_ops.multiply(image, dtype.max + 0.5)
        return cast(scaled, dtype, name=name)


def sample_distorted_bounding_box(image_size, bounding_boxes, seed=None, seed2=None, min_object_covered=0.1,
                                  aspect_ratio_range=None, area_range=None, max_attempts=None,
                                  use_image_if_no_bounding_boxes=None, name=None):  # fmt: skip
    """``tf.image.sample_distorted_bounding_box`` (TF1): one SampleDistortedBoundingBoxV2 seeded with ``seed`` and
    ``seed2`` as given (TF does not mix in the graph seed here); returns (begin, size, bboxes)."""
    attrs = {
        "aspect_ratio_range": aspect_ratio_range,
        "area_range": area_range,
        "max_attempts": max_attempts,
        "use_image_if_no_bounding_boxes": use_image_if_no_bounding_boxes,
    }
    with name_scope(name, "sample_distorted_bounding_box"):
        begin, size, bboxes = raw_op(
            "SampleDistortedBoundingBoxV2",
            image_size=image_size,
            bounding_boxes=bounding_boxes,
            min_object_covered=min_object_covered,
            seed=seed or 0,
            seed2=seed2 or 0,
            name=name,
            **{k: v for k, v in attrs.items() if v is not None},
        )
        return begin, size, bboxes


def resize_bicubic(images, size, align_corners=False, name=None, half_pixel_centers=False):
    """``tf.image.resize_bicubic`` (the raw op): float32 results."""
    return raw_op(
        "ResizeBicubic",
        images=images,
        size=size,
        align_corners=align_corners,
        half_pixel_centers=half_pixel_centers,
        name=name,
    )


def resize_area(images, size, align_corners=False, name=None):
    """``tf.image.resize_area`` (the raw op): float32 results."""
    return raw_op("ResizeArea", images=images, size=size, align_corners=align_corners, name=name)


def extract_image_patches(images, ksizes=None, strides=None, rates=None, padding=None, name=None, sizes=None):
    """``tf.image.extract_image_patches`` / ``tf.extract_image_patches`` (TF1; ``sizes`` replaces ``ksizes``).

    Raises:
      ValueError: if both ``sizes`` and ``ksizes`` are given.
    """
    sizes = deprecated_argument_lookup("sizes", sizes, "ksizes", ksizes)
    return extract_patches(images, sizes, strides, rates, padding, name)


def extract_patches(images, sizes, strides, rates, padding, name=None):
    """``tf.image.extract_patches``: the ExtractImagePatches op (patches flattened into the depth axis)."""
    return raw_op(
        "ExtractImagePatches", images=images, ksizes=sizes, strides=strides, rates=rates, padding=padding, name=name
    )


def crop_and_resize(
    image, boxes, box_ind=None, crop_size=None, method="bilinear", extrapolation_value=0, name=None, box_indices=None
):
    """``tf.image.crop_and_resize`` (TF1; ``box_indices`` replaces ``box_ind``): the CropAndResize op.

    Raises:
      ValueError: if both ``box_indices`` and ``box_ind`` are given.
    """
    box_indices = deprecated_argument_lookup("box_indices", box_indices, "box_ind", box_ind)
    return raw_op(
        "CropAndResize",
        image=image,
        boxes=boxes,
        box_ind=box_indices,
        crop_size=crop_size,
        method=method,
        extrapolation_value=extrapolation_value,
        name=name,
    )


def _rot90_3d(image, k, scope):
    cases = [
        (math_ops.equal(k, 1), lambda: array_ops.transpose(array_ops.reverse(image, [1]), [1, 0, 2])),
        (math_ops.equal(k, 2), lambda: array_ops.reverse(image, [0, 1])),
        (math_ops.equal(k, 3), lambda: array_ops.reverse(array_ops.transpose(image, [1, 0, 2]), [1])),
    ]
    result = case(cases, default=lambda: image, exclusive=True, name=scope)
    result.set_shape([None, None, image.shape[2]])
    return result


def _rot90_4d(images, k, scope):
    cases = [
        (math_ops.equal(k, 1), lambda: array_ops.transpose(array_ops.reverse(images, [2]), [0, 2, 1, 3])),
        (math_ops.equal(k, 2), lambda: array_ops.reverse(images, [1, 2])),
        (math_ops.equal(k, 3), lambda: array_ops.reverse(array_ops.transpose(images, [0, 2, 1, 3]), [2])),
    ]
    result = case(cases, default=lambda: images, exclusive=True, name=scope)
    shape = result.shape
    result.set_shape([shape[0], None, None, shape[3]])
    return result


def rot90(image, k=1, name=None):
    """``tf.image.rot90``: images rotated counter-clockwise by ``k`` quarter turns (TF's tf.case over k mod 4).

    Raises:
      ValueError: if ``image`` is not 3-D or 4-D or ``k`` is not a scalar.
    """
    with name_scope(name, "rot90", [image, k]) as scope:
        image = convert_to_tensor(image, name="image")
        image = with_dependencies(_check_at_least_3d(image), image)
        k = convert_to_tensor(k, dtype=DType.int32, name="k")
        k.shape.assert_has_rank(0)
        k = math_ops.scoped_mod(k, 4)
        rank = image.shape.rank
        if rank is None:
            return cond_lib.cond(
                math_ops.equal(array_ops.rank(image), 3),
                lambda: _rot90_3d(image, k, scope),
                lambda: _rot90_4d(image, k, scope),
            )
        if rank == 3:
            return _rot90_3d(image, k, scope)
        if rank == 4:
            return _rot90_4d(image, k, scope)
        raise ValueError(f"'image' (shape {image.shape}) must have either 3 or 4 dimensions.")


def transpose(image, name=None):
    """``tf.image.transpose`` / ``tf.image.transpose_image``: height and width swapped.

    Raises:
      ValueError: if ``image`` is not 3-D or 4-D.
    """
    with name_scope(name, "transpose", [image]):
        image = convert_to_tensor(image, name="image")
        image = with_dependencies(_check_at_least_3d(image), image)
        rank = image.shape.rank
        if rank is None:
            return cond_lib.cond(
                math_ops.equal(array_ops.rank(image), 3),
                lambda: array_ops.transpose(image, [1, 0, 2], name=name),
                lambda: array_ops.transpose(image, [0, 2, 1, 3], name=name),
            )
        if rank == 3:
            return array_ops.transpose(image, [1, 0, 2], name=name)
        if rank == 4:
            return array_ops.transpose(image, [0, 2, 1, 3], name=name)
        raise ValueError(f"'image' (shape {image.shape}) must have either 3 or 4 dimensions.")


transpose_image = transpose


def _crop_start(size, fraction, fraction_static, dynamic):
    """TF's central_crop offset: in float64 (a Cast chain) where the size or the fraction is dynamic."""
    if dynamic:
        size_d = math_ops.cast(size, DType.float64)
        return math_ops.cast((size_d - size_d * math_ops.cast(fraction, DType.float64)) / 2, DType.int32)
    size_d = float(size)
    return int((size_d - size_d * fraction_static) / 2)


def central_crop(image, central_fraction):
    """``tf.image.central_crop``: the central ``central_fraction`` of each image's height and width.

    Raises:
      ValueError: if a static ``central_fraction`` is outside (0, 1], or ``image`` is not 3-D or 4-D.
    """
    with name_scope(None, "central_crop", [image]):
        image = convert_to_tensor(image, name="image")
        fraction_static = constant_value(central_fraction)
        if fraction_static is not None:
            if fraction_static <= 0.0 or fraction_static > 1.0:
                raise ValueError("central_fraction must be within (0, 1]")
            if fraction_static == 1.0:
                return image
        else:
            # TF's own check (an or, so it never fails), kept for its graph.
            assert_ops = _assert(
                math_ops.logical_or(central_fraction > 0.0, central_fraction <= 1.0),
                ValueError,
                "central_fraction must be within (0, 1]",
            )
            image = with_dependencies(assert_ops, image)
        with_dependencies(_check_at_least_3d(image), image)
        rank = image.shape.rank
        if rank not in (3, 4):
            raise ValueError(f"`image` should either be a Tensor with rank = 3 or rank = 4. Had rank = {rank}.")
        first = 0 if rank == 3 else 1
        dims = []
        for idx in (first, first + 1):
            static = image.shape.dims[idx].value
            dims.append((static, False) if static is not None else (array_ops.shape(image)[idx], True))
        (img_h, dynamic_h), (img_w, dynamic_w) = dims
        dynamic_h = dynamic_h or fraction_static is None
        dynamic_w = dynamic_w or fraction_static is None
        h_start = _crop_start(img_h, central_fraction, fraction_static, dynamic_h)
        w_start = _crop_start(img_w, central_fraction, fraction_static, dynamic_w)
        h_size = img_h - h_start * 2
        w_size = img_w - w_start * 2
        if rank == 3:
            begin = array_ops.stack([h_start, w_start, 0])
            size = array_ops.stack([h_size, w_size, -1])
        else:
            begin = array_ops.stack([0, h_start, w_start, 0])
            size = array_ops.stack([-1, h_size, w_size, -1])
        image_shape = image.shape
        image = array_ops.slice(image, begin, size)
        static_hw = [None if dynamic_h else h_size, None if dynamic_w else w_size]
        if rank == 3:
            image.set_shape([*static_hw, image_shape[2]])
        else:
            image.set_shape([image_shape[0], *static_hw, image_shape[3]])
        return image


def resize_image_with_pad(image, target_height, target_width, method=ResizeMethod.BILINEAR, align_corners=False):
    """``tf.image.resize_image_with_pad`` (TF1): resized keeping the aspect ratio, then zero-padded to the target.

    Raises:
      ValueError: if ``image`` is not 3-D or 4-D, or a static target size is not positive.
    """
    with name_scope(None, "resize_image_with_pad", [image]):
        image, is_batch = _as_batch(convert_to_tensor(image, name="image"))
        assert_ops = _check_at_least_3d(image)
        assert_ops += _assert(target_width > 0, ValueError, "target_width must be > 0.")
        assert_ops += _assert(target_height > 0, ValueError, "target_height must be > 0.")
        image = with_dependencies(assert_ops, image)

        def max_(x, y):
            return math_ops.maximum(x, y) if is_tf_type(x) or is_tf_type(y) else max(x, y)

        _, height, width, _ = _image_dimensions(image, rank=4)
        f_height = math_ops.cast(height, dtype=DType.float32)
        f_width = math_ops.cast(width, dtype=DType.float32)
        f_target_height = math_ops.cast(target_height, dtype=DType.float32)
        f_target_width = math_ops.cast(target_width, dtype=DType.float32)
        ratio = max_(f_width / f_target_width, f_height / f_target_height)
        resized_height_float = f_height / ratio
        resized_width_float = f_width / ratio
        resized_height = math_ops.cast(math_ops.floor(resized_height_float), dtype=DType.int32)
        resized_width = math_ops.cast(math_ops.floor(resized_width_float), dtype=DType.int32)
        padding_height = (f_target_height - resized_height_float) / 2
        padding_width = (f_target_width - resized_width_float) / 2
        f_padding_height = math_ops.floor(padding_height)
        f_padding_width = math_ops.floor(padding_width)
        p_height = max_(0, math_ops.cast(f_padding_height, dtype=DType.int32))
        p_width = max_(0, math_ops.cast(f_padding_width, dtype=DType.int32))
        resized = resize_images(image, [resized_height, resized_width], method, align_corners=align_corners)
        padded = pad_to_bounding_box(resized, p_height, p_width, target_height, target_width)
        if padded.shape.rank is None:
            raise ValueError("padded contains no shape.")
        _image_dimensions(padded, rank=4)
        if not is_batch:
            padded = array_ops.squeeze(padded, axis=[0])
        return padded


def image_gradients(image):
    """``tf.image.image_gradients``: (dy, dx), forward differences with a zero last row / column.

    Raises:
      ValueError: if ``image`` is not 4-D.
    """
    if image.shape.rank != 4:
        raise ValueError(f"image_gradients expects a 4D tensor [batch_size, h, w, d], not {image.shape}.")
    image_shape = array_ops.shape(image)
    batch_size, height, width, depth = array_ops.unstack(image_shape)
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    shape = array_ops.stack([batch_size, 1, width, depth])
    dy = array_ops.concat([dy, array_ops.zeros(shape, image.dtype)], 1)
    dy = array_ops.reshape(dy, image_shape)
    shape = array_ops.stack([batch_size, height, 1, depth])
    dx = array_ops.concat([dx, array_ops.zeros(shape, image.dtype)], 2)
    dx = array_ops.reshape(dx, image_shape)
    return dy, dx


def sobel_edges(image):
    """``tf.image.sobel_edges``: [batch, h, w, d, 2] Sobel responses (dy, dx) on the reflect-padded image."""
    static_image_shape = image.shape
    image_shape = array_ops.shape(image)
    kernels = [[[-1, -2, -1], [0, 0, 0], [1, 2, 1]], [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]]
    num_kernels = len(kernels)
    kernels = np.expand_dims(np.transpose(np.asarray(kernels), (1, 2, 0)), -2)
    kernels_tf = constant(kernels, dtype=image.dtype)
    kernels_tf = array_ops.tile(kernels_tf, [1, 1, image_shape[-1], 1], name="sobel_filters")
    padded = array_ops.pad(image, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    output = depthwise_conv2d(padded, kernels_tf, [1, 1, 1, 1], "VALID")
    shape = array_ops.concat([image_shape, [num_kernels]], 0)
    output = array_ops.reshape(output, shape=shape)
    output.set_shape(static_image_shape.concatenate([num_kernels]))
    return output


def rgb_to_hsv(images, name=None):
    """``tf.image.rgb_to_hsv`` (the raw op): float images with values in [0, 1]."""
    return raw_op("RGBToHSV", images=images, name=name)


def hsv_to_rgb(images, name=None):
    """``tf.image.hsv_to_rgb`` (the raw op)."""
    return raw_op("HSVToRGB", images=images, name=name)


def _adjust_in_float(op_type, image, value_arg, name, scope_name):
    """TF's adjust_hue/adjust_saturation: the op on the image as float32 (unless half or float), cast back."""
    with name_scope(name, scope_name, [image]):
        image = convert_to_tensor(image, name="image")
        orig_dtype = image.dtype
        flt_image = image if orig_dtype in (DType.float16, DType.float32) else convert_image_dtype(image, DType.float32)
        adjusted = raw_op(op_type, images=flt_image, **value_arg)
        return convert_image_dtype(adjusted, orig_dtype)


def adjust_hue(image, delta, name=None):
    """``tf.image.adjust_hue``: ``delta`` (a fraction of a turn) added to each pixel's hue."""
    return _adjust_in_float("AdjustHue", image, {"delta": delta}, name, "adjust_hue")


def adjust_saturation(image, saturation_factor, name=None):
    """``tf.image.adjust_saturation``: each pixel's saturation scaled by ``saturation_factor`` (clipped to 1)."""
    return _adjust_in_float("AdjustSaturation", image, {"scale": saturation_factor}, name, "adjust_saturation")


def random_hue(image, max_delta, seed=None):
    """``tf.image.random_hue``: adjust_hue by one uniform draw in [-max_delta, max_delta] (TF's draw when seeded).

    Raises:
      ValueError: if ``max_delta`` is negative or over 0.5.
    """
    if max_delta > 0.5:
        raise ValueError("max_delta must be <= 0.5.")
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    delta = random_ops.random_uniform([], -max_delta, max_delta, seed=seed)
    return adjust_hue(image, delta)


def random_saturation(image, lower, upper, seed=None):
    """``tf.image.random_saturation``: adjust_saturation by one uniform draw in [lower, upper).

    Raises:
      ValueError: if ``upper <= lower`` or ``lower`` is negative.
    """
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    saturation_factor = random_ops.random_uniform([], lower, upper, seed=seed)
    return adjust_saturation(image, saturation_factor)


def adjust_gamma(image, gamma=1, gain=1):
    """``tf.image.adjust_gamma``: ``gain * image ** gamma`` in float, converted back with saturation.

    Raises:
      ValueError: if a Python ``gamma`` is negative.
    """
    with name_scope(None, "adjust_gamma", [image, gamma, gain]):
        image = convert_to_tensor(image, name="image")
        orig_dtype = image.dtype
        flt_image = image if orig_dtype in (DType.float16, DType.float32) else convert_image_dtype(image, DType.float32)
        assert_op = _assert(gamma >= 0, ValueError, "Gamma should be a non-negative real number.")
        if assert_op:
            gamma = with_dependencies(assert_op, gamma)
        adjusted_img = gain * flt_image**gamma
        return convert_image_dtype(adjusted_img, orig_dtype, saturate=True)


# TF's colour-space matrices (image_ops_impl.py), applied with tensordot over the last axis.
_RGB_TO_YIQ = [[0.299, 0.59590059, 0.2115], [0.587, -0.27455667, -0.52273617], [0.114, -0.32134392, 0.31119955]]
_YIQ_TO_RGB = [[1, 1, 1], [0.95598634, -0.27201283, -1.10674021], [0.6208248, -0.64720424, 1.70423049]]
_RGB_TO_YUV = [[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512], [0.114, 0.43601035, -0.10001026]]
_YUV_TO_RGB = [[1, 1, 1], [0, -0.394642334, 2.03206185], [1.13988303, -0.58062185, 0]]


def _colour_matrix(images, kernel):
    images = convert_to_tensor(images, name="images")
    kernel = convert_to_tensor(kernel, dtype=images.dtype, name="kernel")
    ndims = images.shape.rank
    return math_ops.tensordot(images, kernel, axes=[[ndims - 1], [0]])


def rgb_to_yiq(images):
    """``tf.image.rgb_to_yiq``: float RGB images in YIQ."""
    return _colour_matrix(images, _RGB_TO_YIQ)


def yiq_to_rgb(images):
    """``tf.image.yiq_to_rgb``."""
    return _colour_matrix(images, _YIQ_TO_RGB)


def rgb_to_yuv(images):
    """``tf.image.rgb_to_yuv``: float RGB images in YUV."""
    return _colour_matrix(images, _RGB_TO_YUV)


def yuv_to_rgb(images):
    """``tf.image.yuv_to_rgb``."""
    return _colour_matrix(images, _YUV_TO_RGB)


def non_max_suppression(boxes, scores, max_output_size, iou_threshold=0.5, score_threshold=float("-inf"), name=None):
    """``tf.image.non_max_suppression``: indices of the boxes greedy NMS keeps (NonMaxSuppressionV3)."""
    with name_scope(name, "non_max_suppression"):
        iou_threshold = convert_to_tensor(iou_threshold, name="iou_threshold")
        score_threshold = convert_to_tensor(score_threshold, name="score_threshold")
        return raw_op(
            "NonMaxSuppressionV3",
            boxes=boxes,
            scores=scores,
            max_output_size=max_output_size,
            iou_threshold=iou_threshold,
            score_threshold=score_threshold,
        )


def non_max_suppression_with_scores(
    boxes, scores, max_output_size, iou_threshold=0.5, score_threshold=float("-inf"), soft_nms_sigma=0.0, name=None
):
    """``tf.image.non_max_suppression_with_scores``: (indices, scores) of (soft-)NMS (NonMaxSuppressionV5)."""
    with name_scope(name, "non_max_suppression_with_scores"):
        iou_threshold = convert_to_tensor(iou_threshold, name="iou_threshold")
        score_threshold = convert_to_tensor(score_threshold, name="score_threshold")
        soft_nms_sigma = convert_to_tensor(soft_nms_sigma, name="soft_nms_sigma")
        selected_indices, selected_scores, _ = raw_op(
            "NonMaxSuppressionV5",
            boxes=boxes,
            scores=scores,
            max_output_size=max_output_size,
            iou_threshold=iou_threshold,
            score_threshold=score_threshold,
            soft_nms_sigma=soft_nms_sigma,
            pad_to_max_output_size=False,
        )
        return selected_indices, selected_scores


def non_max_suppression_with_overlaps(
    overlaps, scores, max_output_size, overlap_threshold=0.5, score_threshold=float("-inf"), name=None
):
    """``tf.image.non_max_suppression_overlaps``: NMS over a given [n, n] overlap matrix."""
    with name_scope(name, "non_max_suppression_overlaps"):
        overlap_threshold = convert_to_tensor(overlap_threshold, name="overlap_threshold")
        return raw_op(
            "NonMaxSuppressionWithOverlaps",
            overlaps=overlaps,
            scores=scores,
            max_output_size=max_output_size,
            overlap_threshold=overlap_threshold,
            score_threshold=score_threshold,
        )


non_max_suppression_overlaps = non_max_suppression_with_overlaps


_CombinedNonMaxSuppressionOutput = collections.namedtuple(
    "CombinedNonMaxSuppression", ["nmsed_boxes", "nmsed_scores", "nmsed_classes", "valid_detections"]
)


def combined_non_max_suppression(
    boxes,
    scores,
    max_output_size_per_class,
    max_total_size,
    iou_threshold=0.5,
    score_threshold=float("-inf"),
    pad_per_class=False,
    clip_boxes=True,
    name=None,
):
    """``tf.image.combined_non_max_suppression``: per-class NMS over a batch, merged
    (nmsed_boxes, nmsed_scores, nmsed_classes, valid_detections)."""
    with name_scope(name, "combined_non_max_suppression"):
        iou_threshold = convert_to_tensor(iou_threshold, dtype=DType.float32, name="iou_threshold")
        score_threshold = convert_to_tensor(score_threshold, dtype=DType.float32, name="score_threshold")
        # Without a dtype, as TF: a size past int32 becomes int64 and the op rejects it.
        max_total_size = convert_to_tensor(max_total_size)
        return _CombinedNonMaxSuppressionOutput(
            *raw_op(
                "CombinedNonMaxSuppression",
                boxes=boxes,
                scores=scores,
                max_output_size_per_class=max_output_size_per_class,
                max_total_size=max_total_size,
                iou_threshold=iou_threshold,
                score_threshold=score_threshold,
                pad_per_class=pad_per_class,
                clip_boxes=clip_boxes,
            )
        )


def draw_bounding_boxes(images, boxes, name=None, colors=None):
    """``tf.image.draw_bounding_boxes`` (TF1 argument order): DrawBoundingBoxes, or V2 with ``colors``."""
    if colors is None:
        return raw_op("DrawBoundingBoxes", images=images, boxes=boxes, name=name)
    return raw_op("DrawBoundingBoxesV2", images=images, boxes=boxes, colors=colors, name=name)


def is_jpeg(contents, name=None):
    """``tf.io.is_jpeg`` / ``tf.image.is_jpeg``: whether ``contents`` starts with JPEG's magic bytes."""
    with name_scope(name, "is_jpeg"):
        substr = string_ops.substr(contents, 0, 3)
        return math_ops.equal(substr, b"\xff\xd8\xff", name=name)
