"""Samples for the image resampling ops (torchmeta/ops/image_resize_ops.py): ResizeBicubic(+Grad),
ResizeArea, ScaleAndTranslate(+Grad), CropAndResize(+GradImage, +GradBoxes)."""

from __future__ import annotations

import numpy as np
from ml_dtypes import bfloat16

from tests.ops.harness import Sample, randn

S = Sample
f16, f32, f64 = np.float16, np.float32, np.float64
HALF = {"rtol": 1e-3, "atol": 1e-3}


def i32(*v):
    return np.array(v, np.int32)


def f(*v):
    return np.array(v, f32)


IMG = randn(2, 5, 7, 3)
IMG_NAN = IMG.copy()
IMG_NAN[0, 2, 3, 1] = np.nan
IMG_NAN[1, 0, 0, 0] = np.inf
U8 = (np.abs(randn(1, 4, 6, 2)) * 60).astype(np.uint8)
U16 = (np.abs(randn(1, 4, 6, 2)) * 9000).astype(np.uint16)


def _resize_samples():
    out = []
    for op in ("ResizeBicubic", "ResizeArea"):
        modes = [(False, False), (True, False)] + ([(False, True)] if op == "ResizeBicubic" else [])
        for size in ((9, 11), (3, 4), (1, 1), (2, 13)):
            for align, half in modes:
                attrs = {"align_corners": align}
                if op == "ResizeBicubic":
                    attrs["half_pixel_centers"] = half
                out.append(
                    S(op, {"images": IMG, "size": i32(*size)}, attrs, id=f"{size[0]}x{size[1]}-{align:d}{half:d}")
                )
        out += [
            S(op, {"images": U8, "size": i32(7, 3)}, id="uint8", grad=False),
            S(op, {"images": U16, "size": i32(3, 8)}, id="uint16", grad=False),
            S(op, {"images": (IMG * 40).astype(np.int32), "size": i32(3, 9)}, id="int32", grad=False),
            S(op, {"images": (IMG * 40).astype(np.int64), "size": i32(6, 5)}, id="int64", grad=False),
            S(op, {"images": (IMG * 40).astype(np.int16), "size": i32(2, 2)}, id="int16", grad=False),
            S(op, {"images": IMG.astype(f16), "size": i32(8, 8)}, id="half", grad=False, **HALF),
            S(op, {"images": IMG.astype(bfloat16), "size": i32(4, 9)}, id="bf16", grad=False, rtol=1e-2, atol=1e-2),
            S(op, {"images": IMG.astype(f64), "size": i32(6, 4)}, id="f64"),
            S(op, {"images": IMG_NAN, "size": i32(6, 8)}, id="nan-inf", grad=False),
            S(op, {"images": randn(0, 3, 4, 2), "size": i32(5, 5)}, id="empty-batch"),
            S(op, {"images": IMG, "size": i32(6, 8)}, fed={"images": [None, None, None, 3]}, id="unknown-dims"),
            S(op, {"images": IMG, "size": i32(6, 8)}, fed={"size": [2]}, id="fed-size"),
        ]
    out += [
        S("ResizeBicubic", {"images": randn(1, 3, 3, 1), "size": i32(12, 12)}, {"half_pixel_centers": True}, id="up4"),
        S("ResizeArea", {"images": randn(1, 12, 10, 2), "size": i32(5, 3)}, id="down"),
        S("ResizeArea", {"images": randn(1, 4, 4, 1), "size": i32(3, 3)}, {"align_corners": True}, id="align-edge"),
    ]
    for align, half in ((False, False), (True, False), (False, True)):
        attrs = {"align_corners": align, "half_pixel_centers": half}
        out.append(
            S("ResizeBicubicGrad", {"grads": randn(2, 9, 4, 3), "original_image": IMG}, attrs, id=f"{align:d}{half:d}")
        )
    out += [
        S("ResizeBicubicGrad", {"grads": randn(2, 3, 11, 3), "original_image": IMG.astype(f64)}, id="f64"),
        S("ResizeBicubicGrad", {"grads": randn(2, 1, 1, 3), "original_image": IMG}, id="1x1"),
        S("ResizeBicubicGrad", {"grads": randn(0, 3, 2, 3), "original_image": randn(0, 5, 7, 3)}, id="empty"),
    ]
    return out


SCALE_KERNELS = ("lanczos1", "lanczos3", "lanczos5", "gaussian", "box", "triangle", "keyscubic", "mitchellcubic")


def _scale_and_translate_samples():
    out = []
    geometries = [
        ((9, 11), (1.8, 1.57), (0.0, 0.0)),
        ((3, 2), (0.6, 0.3), (0.5, -1.0)),
        ((4, 12), (0.8, 1.7), (2.0, -3.0)),
    ]
    for kernel in SCALE_KERNELS:
        for antialias in (True, False):
            for k, (size, scale, shift) in enumerate(geometries):
                inputs = {"images": IMG, "size": i32(*size), "scale": f(*scale), "translation": f(*shift)}
                attrs = {"kernel_type": kernel, "antialias": antialias}
                out.append(S("ScaleAndTranslate", inputs, attrs, id=f"{kernel}-{antialias:d}-{k}", atol=1e-5))
                grads = {
                    "grads": randn(2, *size, 3),
                    "original_image": IMG,
                    "scale": f(*scale),
                    "translation": f(*shift),
                }
                out.append(S("ScaleAndTranslateGrad", grads, attrs, id=f"{kernel}-{antialias:d}-{k}", atol=1e-5))
    base = {"size": i32(6, 8), "scale": f(1.2, 1.1), "translation": f(0.0, 0.0)}
    out += [
        # grad=False: TF's gradient cannot be built for non-float32 images (test_image_resize_ops.py).
        S("ScaleAndTranslate", {"images": U8, **base}, id="uint8", atol=1e-4, grad=False),
        S("ScaleAndTranslate", {"images": IMG.astype(f64), **base}, id="f64", atol=1e-5, grad=False),
        S("ScaleAndTranslate", {"images": IMG.astype(f16), **base}, id="half", grad=False, **HALF),
        S("ScaleAndTranslate", {"images": randn(0, 5, 7, 3), **base}, id="empty"),
        S("ScaleAndTranslate", {"images": IMG, **base}, fed={"images": [2, None, None, 3]}, id="unknown", atol=1e-5),
    ]
    return out


BOXES = f(
    [0.1, 0.2, 0.9, 0.8],
    [0.5, 0.5, 0.5, 0.5],
    [-0.2, 0.1, 1.3, 0.7],
    [0.8, 0.9, 0.1, 0.2],
    [0.0, 0.0, 1.0, 1.0],
)
BOX_IND = i32(0, 1, 1, 0, 1)
NO_BOXES = np.zeros((0, 4), f32)


def _crop_samples():
    out = []
    for method in ("bilinear", "nearest"):
        for crop in ((3, 4), (1, 1), (1, 5), (6, 1)):
            inputs = {"image": IMG, "boxes": BOXES, "box_ind": BOX_IND, "crop_size": i32(*crop)}
            attrs = {"method": method, "extrapolation_value": -1.5}
            out.append(S("CropAndResize", inputs, attrs, id=f"{method}-{crop[0]}x{crop[1]}", atol=1e-5))
            grads = {"grads": randn(5, *crop, 3), "boxes": BOXES, "box_ind": BOX_IND, "image_size": i32(2, 5, 7, 3)}
            out.append(
                S(
                    "CropAndResizeGradImage",
                    grads,
                    {"method": method, "T": "dtype:float32"},
                    id=f"{method}-{crop[0]}x{crop[1]}",
                )
            )
    crop = {"boxes": BOXES, "box_ind": BOX_IND, "crop_size": i32(4, 4)}
    out += [
        S("CropAndResize", {"image": U8, **crop, "box_ind": np.zeros(5, np.int32)}, id="uint8"),
        S("CropAndResize", {"image": (IMG * 9).astype(np.int64), **crop}, id="int64"),
        S("CropAndResize", {"image": U16, **crop, "box_ind": np.zeros(5, np.int32)}, id="uint16"),
        S("CropAndResize", {"image": IMG.astype(f16), **crop}, id="half", **HALF),
        S("CropAndResize", {"image": IMG.astype(f64), **crop}, id="f64"),
        S("CropAndResize", {"image": IMG_NAN, **crop}, id="nan-inf", grad=False),
        S("CropAndResize", {"image": IMG, "boxes": NO_BOXES, "box_ind": i32(), "crop_size": i32(2, 3)}, id="no-boxes"),
        S(
            "CropAndResize",
            {"image": IMG, **crop},
            fed={"image": [None, None, None, 3], "boxes": [None, 4], "box_ind": [None]},
            id="unknown",
        ),
        S("CropAndResize", {"image": IMG, **crop}, fed={"crop_size": [2]}, id="fed-size"),
    ]
    grads = {"grads": randn(5, 2, 3, 3), "boxes": BOXES, "box_ind": BOX_IND, "image_size": i32(2, 5, 7, 3)}
    out += [
        S("CropAndResizeGradImage", grads, {"T": "dtype:float16"}, id="half", **HALF),
        S("CropAndResizeGradImage", grads, {"T": "dtype:float64"}, fed={"image_size": [None]}, id="f64-fed"),
        S(
            "CropAndResizeGradImage",
            {"grads": randn(0, 2, 3, 3), "boxes": NO_BOXES, "box_ind": i32(), "image_size": i32(2, 5, 7, 3)},
            {"T": "dtype:float32"},
            id="no-boxes",
        ),
    ]
    for crop in ((3, 4), (1, 1), (4, 1)):
        inputs = {"grads": randn(5, *crop, 3), "image": IMG, "boxes": BOXES, "box_ind": BOX_IND}
        out.append(S("CropAndResizeGradBoxes", inputs, id=f"{crop[0]}x{crop[1]}", rtol=1e-4, atol=1e-5))
    out += [
        S(
            "CropAndResizeGradBoxes",
            {"grads": randn(5, 2, 2, 2), "image": U8.repeat(2, 0), "boxes": BOXES, "box_ind": BOX_IND},
            id="uint8",
            rtol=1e-4,
            atol=1e-4,
        ),
        S(
            "CropAndResizeGradBoxes",
            {"grads": randn(0, 2, 2, 3), "image": IMG, "boxes": NO_BOXES, "box_ind": i32()},
            id="no-boxes",
        ),
    ]
    return out


SAMPLES = _resize_samples() + _scale_and_translate_samples() + _crop_samples()
