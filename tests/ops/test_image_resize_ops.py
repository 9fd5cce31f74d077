"""Image resampling ops beyond the sample table: bad inputs get TF's error class and wording (kernel
and shape function), and the gradients TF cannot build fail as TF's do."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.ops.harness import Sample, assert_same_runtime_error, assert_same_shape_error, randn

S = Sample
IMG = randn(2, 5, 7, 3)
BOXES = np.array([[0.1, 0.2, 0.9, 0.8], [0.5, 0.5, 0.5, 0.5]], np.float32)


def i32(*v):
    return np.array(v, np.int32)


def f(*v):
    return np.array(v, np.float32)


RUNTIME_ERRORS = [
    S("ResizeBicubic", {"images": randn(5, 7, 3), "size": i32(3, 3)}, id="rank3"),
    S(
        "ResizeBicubic",
        {"images": IMG, "size": i32(3, 3)},
        {"align_corners": True, "half_pixel_centers": True},
        id="both",
    ),
    S("ResizeBicubic", {"images": IMG, "size": i32(3, 3, 1)}, id="size3"),
    S("ResizeBicubic", {"images": IMG, "size": i32(3, 0)}, id="size0"),
    S("ResizeBicubic", {"images": randn(1, 0, 4, 2), "size": i32(3, 3)}, id="empty-image"),
    S("ResizeBicubic", {"images": randn(1, 3, 4, 0), "size": i32(3, 3)}, id="no-channels"),
    S("ResizeArea", {"images": IMG, "size": np.array([[3, 3]], np.int32)}, id="size-2d"),
    S("ResizeArea", {"images": IMG, "size": i32(-1, 3)}, id="negative"),
    S("ResizeBicubicGrad", {"grads": randn(2, 3, 3), "original_image": IMG}, id="grads-rank"),
    S("ResizeBicubicGrad", {"grads": randn(2, 0, 3, 3), "original_image": IMG}, id="grads-empty"),
    S("ResizeBicubicGrad", {"grads": randn(2, 3, 3, 3), "original_image": randn(2, 0, 3, 3)}, id="orig-empty"),
    S("ResizeBicubicGrad", {"grads": randn(2, 3, 3, 3), "original_image": randn(2, 3, 3)}, id="orig-rank"),
    S(
        "ScaleAndTranslate",
        {"images": IMG, "size": i32(3, 3), "scale": f(0.0, 1.0), "translation": f(0, 0)},
        id="scale0",
    ),
    S(
        "ScaleAndTranslate",
        {"images": IMG, "size": i32(3, 3), "scale": f(1.0), "translation": f(0, 0)},
        id="scale-size",
    ),
    S(
        "ScaleAndTranslate",
        {"images": IMG, "size": i32(3, 3), "scale": f(1, 1), "translation": f(0, 0)},
        {"kernel_type": "cubic"},
        id="kernel",
    ),
    S(
        "ScaleAndTranslate",
        {"images": IMG[0], "size": i32(3, 3), "scale": f(1, 1), "translation": f(0, 0)},
        id="rank3",
    ),
    S("CropAndResize", {"image": IMG, "boxes": BOXES, "box_ind": i32(0, 2), "crop_size": i32(3, 3)}, id="box-ind"),
    S("CropAndResize", {"image": IMG, "boxes": BOXES, "box_ind": i32(0, -1), "crop_size": i32(3, 3)}, id="box-neg"),
    S(
        "CropAndResize",
        {"image": IMG, "boxes": f([np.nan, 0, 1, 1], [0, 0, 1, 1]), "box_ind": i32(0, 1), "crop_size": i32(3, 3)},
        id="nan-box",
    ),
    S("CropAndResize", {"image": IMG, "boxes": BOXES, "box_ind": i32(0), "crop_size": i32(3, 3)}, id="box-count"),
    S("CropAndResize", {"image": IMG, "boxes": BOXES[:, :3], "box_ind": i32(0, 1), "crop_size": i32(3, 3)}, id="cols"),
    S("CropAndResize", {"image": IMG, "boxes": BOXES, "box_ind": i32(0, 1), "crop_size": i32(3, 0)}, id="crop0"),
    S("CropAndResize", {"image": IMG[0], "boxes": BOXES, "box_ind": i32(0, 1), "crop_size": i32(3, 3)}, id="rank3"),
    S("CropAndResize", {"image": IMG, "boxes": BOXES, "box_ind": i32(0, 1), "crop_size": i32(3)}, id="crop-size"),
    S(
        "CropAndResizeGradImage",
        {"grads": randn(2, 3, 3, 3), "boxes": BOXES, "box_ind": i32(0, 1), "image_size": i32(2, 5, 7, 4)},
        {"T": "dtype:float32"},
        id="depth",
    ),
    S(
        "CropAndResizeGradImage",
        {"grads": randn(3, 3, 3, 3), "boxes": BOXES, "box_ind": i32(0, 1), "image_size": i32(2, 5, 7, 3)},
        {"T": "dtype:float32"},
        id="grads-boxes",
    ),
    S(
        "CropAndResizeGradImage",
        {"grads": randn(2, 3, 3, 3), "boxes": BOXES, "box_ind": i32(0, 5), "image_size": i32(2, 5, 7, 3)},
        {"T": "dtype:float32"},
        id="box-ind",
    ),
    S(
        "CropAndResizeGradBoxes",
        {"grads": randn(2, 3, 3, 3), "image": randn(2, 5, 7, 2), "boxes": BOXES, "box_ind": i32(0, 1)},
        id="depth",
    ),
]


@pytest.mark.parametrize("sample", RUNTIME_ERRORS, ids=lambda s: s.name)
def test_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


SHAPE_ERRORS = [
    S("ResizeBicubic", {"images": randn(5, 7, 3), "size": i32(3, 3)}, id="rank3"),
    S("ResizeArea", {"images": IMG, "size": i32(3, 3, 3)}, id="size3"),
    S("ResizeArea", {"images": IMG, "size": np.array([[3, 3]], np.int32)}, id="size-2d"),
    S("ScaleAndTranslate", {"images": IMG[0], "size": i32(3, 3), "scale": f(1, 1), "translation": f(0, 0)}, id="rank3"),
    S(
        "CropAndResize",
        {"image": IMG, "boxes": np.zeros((3, 4), np.float32), "box_ind": i32(0, 1), "crop_size": i32(3, 2)},
        id="num-boxes",
    ),
    S("CropAndResize", {"image": IMG, "boxes": BOXES[:, :3], "box_ind": i32(0, 1), "crop_size": i32(3, 2)}, id="cols"),
    S("CropAndResize", {"image": IMG, "boxes": BOXES, "box_ind": i32(0, 1), "crop_size": i32(3)}, id="crop-size"),
]


@pytest.mark.parametrize("sample", SHAPE_ERRORS, ids=lambda s: s.name)
def test_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)


@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
def test_scale_and_translate_gradient_of_non_float32_images_fails_as_tf(tf1, dtype):
    """TF's gradient passes the image itself as ScaleAndTranslateGrad's float32-only original_image."""

    def build(api):
        with api.Graph().as_default():
            scale = api.constant(f(1.5, 1.2))
            y = api.raw_ops.ScaleAndTranslate(
                images=api.constant(IMG.astype(dtype)), size=i32(4, 4), scale=scale, translation=f(0, 0)
            )
            with pytest.raises((TypeError, ValueError)) as info:
                api.gradients(y, [scale])
            return info.value

    theirs, ours = build(tf1), build(tm)
    assert type(ours) is type(theirs)
    assert str(theirs).split("\n")[-1] in str(ours)
