"""Samples for the geometric image ops (torchmeta/ops/image_transform_ops.py): ExtractImagePatches,
ImageProjectiveTransformV2/V3.

ExtractImagePatches on bool has no TensorFlow CPU kernel, so no bool sample. The projective
transforms' gradient (which inverts the transforms with MatrixInverse) is compared with TF's in
tests/ops/test_image_transform_ops.py, with the output gradient it needs; the samples here are forward.
"""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample, randn

S = Sample
f16, f32, f64 = np.float16, np.float32, np.float64

IMG = randn(2, 6, 7, 3)


def _patch_samples():
    out = []
    geometries = [
        ([1, 2, 3, 1], [1, 2, 1, 1], [1, 1, 2, 1]),
        ([1, 3, 3, 1], [1, 1, 1, 1], [1, 1, 1, 1]),
        ([1, 1, 1, 1], [1, 3, 2, 1], [1, 1, 1, 1]),
        ([1, 4, 2, 1], [1, 3, 3, 1], [1, 2, 3, 1]),
    ]
    for padding in ("SAME", "VALID"):
        for k, (ksizes, strides, rates) in enumerate(geometries):
            attrs = {"ksizes": ksizes, "strides": strides, "rates": rates, "padding": padding}
            out.append(S("ExtractImagePatches", {"images": IMG}, attrs, id=f"{padding}-{k}"))
    same = {"ksizes": [1, 2, 2, 1], "strides": [1, 1, 1, 1], "rates": [1, 1, 1, 1], "padding": "SAME"}
    out += [
        S("ExtractImagePatches", {"images": (IMG * 10).astype(np.int64)}, same, id="int64"),
        S("ExtractImagePatches", {"images": (np.abs(IMG) * 10).astype(np.uint8)}, same, id="uint8"),
        S("ExtractImagePatches", {"images": (IMG + 1j * IMG).astype(np.complex64)}, same, id="complex64"),
        S("ExtractImagePatches", {"images": IMG.astype(f16)}, same, id="half", rtol=1e-3, atol=1e-3),
        S("ExtractImagePatches", {"images": IMG.astype(f64)}, same, id="f64"),
        S(
            "ExtractImagePatches",
            {"images": IMG},
            {**same, "ksizes": [1, 7, 2, 1], "padding": "VALID"},
            id="window-too-big",
        ),
        # grad=False: TF's gradient fails for an empty batch and for an unknown rank; so does ours
        # (tests/ops/test_image_transform_ops.py).
        S("ExtractImagePatches", {"images": randn(0, 4, 4, 2)}, same, id="empty-batch", grad=False),
        S("ExtractImagePatches", {"images": IMG}, same, fed={"images": [None, None, 7, 3]}, id="unknown-rows"),
        S("ExtractImagePatches", {"images": IMG}, same, fed={"images": None}, id="unknown-rank", grad=False),
    ]
    return out


TRANSFORMS = np.array([[1.1, 0.2, -1.0, -0.1, 0.9, 0.5, 0.01, -0.02], [0.8, -0.3, 2.0, 0.4, 1.2, -1.5, 0.0, 0.0]], f32)


def _projective_samples():
    out = []
    size = np.array([8, 5], np.int32)
    for interpolation in ("NEAREST", "BILINEAR"):
        for mode in ("REFLECT", "WRAP", "CONSTANT", "NEAREST"):
            attrs = {"interpolation": interpolation, "fill_mode": mode}
            tag = f"{interpolation}-{mode}".lower()
            out += [
                S(
                    "ImageProjectiveTransformV3",
                    {"images": IMG, "transforms": TRANSFORMS, "output_shape": size, "fill_value": f32(-2.5)},
                    attrs,
                    id=tag,
                    grad=False,
                ),
                S(
                    "ImageProjectiveTransformV2",
                    {
                        "images": (IMG * 30).astype(np.int32),
                        "transforms": TRANSFORMS[:1] * 3,
                        "output_shape": np.array([6, 9], np.int32),
                    },
                    attrs,
                    id=f"{tag}-int32",
                    grad=False,
                ),
                S(
                    "ImageProjectiveTransformV3",
                    {
                        "images": (np.abs(IMG) * 60).astype(np.uint8),
                        "transforms": (TRANSFORMS * np.array([[-2], [3]], f32)).astype(f32),
                        "output_shape": np.array([6, 9], np.int32),
                        "fill_value": f32(7.9),
                    },
                    attrs,
                    id=f"{tag}-uint8",
                    grad=False,
                ),
                S(
                    "ImageProjectiveTransformV3",
                    {
                        "images": IMG[:, :1, :1],
                        "transforms": TRANSFORMS,
                        "output_shape": np.array([3, 3], np.int32),
                        "fill_value": f32(1),
                    },
                    attrs,
                    id=f"{tag}-1x1",
                    grad=False,
                ),
            ]
    base = {"transforms": TRANSFORMS, "output_shape": size, "fill_value": f32(0.5)}
    out += [
        S(
            "ImageProjectiveTransformV3",
            {"images": IMG.astype(f16), **base},
            {"interpolation": "BILINEAR"},
            id="half",
            grad=False,
            rtol=1e-3,
            atol=1e-3,
        ),
        S(
            "ImageProjectiveTransformV3",
            {"images": IMG.astype(f64), **base},
            {"interpolation": "BILINEAR"},
            id="f64",
            grad=False,
        ),
        S(
            "ImageProjectiveTransformV3",
            {"images": (IMG * 9).astype(np.int64), **base},
            {"interpolation": "NEAREST"},
            id="int64",
            grad=False,
        ),
        S(
            "ImageProjectiveTransformV3",
            {"images": IMG, **base, "transforms": TRANSFORMS[:1]},
            {"interpolation": "BILINEAR"},
            id="one-transform",
            grad=False,
        ),
        S(
            "ImageProjectiveTransformV3",
            {"images": IMG, **base, "transforms": np.array([[1, 0, 0, 0, 1, 0, -0.5, 0]] * 2, f32)},
            {"interpolation": "BILINEAR"},
            id="infinite-projection",
            grad=False,
        ),
        S(
            "ImageProjectiveTransformV3",
            {"images": randn(0, 6, 7, 3), **base, "transforms": TRANSFORMS[:1]},
            {"interpolation": "NEAREST"},
            id="empty",
            grad=False,
        ),
        S(
            "ImageProjectiveTransformV2",
            {"images": IMG, "transforms": TRANSFORMS, "output_shape": size},
            {"interpolation": "BILINEAR"},
            fed={"images": [None, None, None, 3], "output_shape": [2]},
            id="unknown",
            grad=False,
        ),
    ]
    return out


SAMPLES = _patch_samples() + _projective_samples()
