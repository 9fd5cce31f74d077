"""Samples for the bounding-box ops (torchmeta/ops/image_box_ops.py): NonMaxSuppression V1-V5 and
WithOverlaps, CombinedNonMaxSuppression, DrawBoundingBoxes(V2)."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample

S = Sample
f16, f32 = np.float16, np.float32
_rng = np.random.default_rng(3)


def c(v, dtype=f32):
    return np.array(v, dtype)


def _boxes(n):
    y = _rng.random((n, 2)).astype(f32)
    x = _rng.random((n, 2)).astype(f32)
    return np.stack([y[:, 0], x[:, 0], y[:, 1], x[:, 1]], 1).astype(f32)


BOXES = _boxes(30)
SCORES = _rng.random(30).astype(f32)
SCORES[5] = SCORES[7]  # a tie: the lower index goes first
SCORES[9] = np.nan  # never selected
BOXES[11] = [0.3, 0.3, 0.3, 0.8]  # zero area: IOU 0 with everything
NO_BOXES = np.zeros((0, 4), f32)


def _nms_samples():
    n32 = lambda v: c(v, np.int32)  # noqa: E731
    half = {"boxes": BOXES.astype(f16), "scores": SCORES.astype(f16)}
    out = [
        S("NonMaxSuppression", {"boxes": BOXES, "scores": SCORES, "max_output_size": n32(10)}, {"iou_threshold": 0.3}),
        S("NonMaxSuppression", {"boxes": BOXES, "scores": SCORES, "max_output_size": n32(0)}, id="none"),
        S(
            "NonMaxSuppressionV2",
            {"boxes": BOXES, "scores": SCORES, "max_output_size": n32(100), "iou_threshold": c(0.2)},
        ),
        S(
            "NonMaxSuppressionV2",
            {**half, "max_output_size": n32(100), "iou_threshold": c(0.2, f16)},
            id="half",
        ),
        S(
            "NonMaxSuppressionV2",
            {**half, "max_output_size": n32(100), "iou_threshold": c(0.2)},
            id="half-float-threshold",
        ),
        S(
            "NonMaxSuppressionV3",
            {
                "boxes": BOXES,
                "scores": SCORES,
                "max_output_size": n32(100),
                "iou_threshold": c(0.4),
                "score_threshold": c(0.3),
            },
        ),
        S(
            "NonMaxSuppressionV3",
            {
                "boxes": BOXES,
                "scores": SCORES,
                "max_output_size": n32(4),
                "iou_threshold": c(1.0),
                "score_threshold": c(-1),
            },
            id="keep-all",
        ),
        S(
            "NonMaxSuppressionV3",
            {
                "boxes": NO_BOXES,
                "scores": c([]),
                "max_output_size": n32(3),
                "iou_threshold": c(0.4),
                "score_threshold": c(0.3),
            },
            id="empty",
        ),
        S(
            "NonMaxSuppressionV3",
            {
                "boxes": BOXES,
                "scores": SCORES,
                "max_output_size": n32(5),
                "iou_threshold": c(0.5),
                "score_threshold": c(0.1),
            },
            fed={"boxes": [None, 4], "scores": [None]},
            id="unknown",
        ),
    ]
    v4 = {
        "boxes": BOXES,
        "scores": SCORES,
        "max_output_size": n32(20),
        "iou_threshold": c(0.4),
        "score_threshold": c(0.3),
    }
    out += [
        S("NonMaxSuppressionV4", v4, {"pad_to_max_output_size": True}, id="pad"),
        S("NonMaxSuppressionV4", v4, id="nopad"),
        S("NonMaxSuppressionV4", v4, {"pad_to_max_output_size": True}, fed={"max_output_size": []}, id="pad-fed"),
    ]
    for sigma in (0.0, 0.5, 0.1):
        v5 = {
            "boxes": BOXES,
            "scores": SCORES,
            "max_output_size": n32(20),
            "iou_threshold": c(0.4),
            "score_threshold": c(0.1),
            "soft_nms_sigma": c(sigma),
        }
        out.append(S("NonMaxSuppressionV5", v5, {"pad_to_max_output_size": True}, id=f"sigma{sigma}"))
        v5h = {k: (v.astype(f16) if v.dtype == f32 else v) for k, v in v5.items()}
        out.append(S("NonMaxSuppressionV5", v5h, id=f"half-sigma{sigma}"))
    overlaps = _rng.random((30, 30)).astype(f32)
    out += [
        S(
            "NonMaxSuppressionWithOverlaps",
            {
                "overlaps": overlaps,
                "scores": SCORES,
                "max_output_size": n32(10),
                "overlap_threshold": c(0.6),
                "score_threshold": c(0.2),
            },
        ),
    ]
    return out


def _combined_samples():
    boxes = (np.stack([_boxes(12) for _ in range(6)]).reshape(2, 12, 3, 4) * 1.2 - 0.1).astype(f32)
    scores = _rng.random((2, 12, 3)).astype(f32)
    scores[0, 3, 1] = scores[0, 5, 1] = scores[0, 7, 1]  # ties within a class
    scores[1, 2, 0] = scores[1, 2, 2]  # ties across classes
    n32 = lambda v: c(v, np.int32)  # noqa: E731
    out = []
    for pad in (False, True):
        for clip in (False, True):
            attrs = {"pad_per_class": pad, "clip_boxes": clip}
            inputs = {
                "boxes": boxes,
                "scores": scores,
                "max_output_size_per_class": n32(4),
                "max_total_size": n32(7),
                "iou_threshold": c(0.3),
                "score_threshold": c(0.2),
            }
            out.append(S("CombinedNonMaxSuppression", inputs, attrs, id=f"q3-{pad:d}{clip:d}"))
            shared = {
                **inputs,
                "boxes": boxes[:, :, :1],
                "max_output_size_per_class": n32(2),
                "max_total_size": n32(30),
                "iou_threshold": c(0.5),
                "score_threshold": c(0.0),
            }
            out.append(S("CombinedNonMaxSuppression", shared, attrs, id=f"q1-{pad:d}{clip:d}"))
    ties = {
        "boxes": _boxes(40).reshape(1, 40, 1, 4),
        "scores": np.full((1, 40, 2), 0.5, f32),
        "max_output_size_per_class": n32(30),
        "max_total_size": n32(50),
        "iou_threshold": c(0.9),
        "score_threshold": c(0.0),
    }
    out.append(S("CombinedNonMaxSuppression", ties, id="all-ties"))
    out.append(
        S(
            "CombinedNonMaxSuppression",
            {**ties, "scores": _rng.random((1, 40, 2)).astype(f32)},
            {"pad_per_class": True},
            fed={"boxes": [None, None, 1, 4], "scores": [None, None, 2]},
            id="unknown",
        )
    )
    return out


def _draw_samples():
    images = _rng.random((2, 6, 7, 3)).astype(f32)
    boxes = c(
        [
            [[0.1, 0.2, 0.8, 0.9], [-0.3, 0.5, 0.4, 1.5], [0.5, 0.5, 0.2, 0.9]],
            [[0, 0, 1, 1], [1.2, 0, 2, 1], [0.3, 0.3, 0.31, 0.31]],
        ]
    )
    many = np.tile(c([[0.1, 0.1, 0.9, 0.9], [0.2, 0.3, 0.5, 0.6]]), (1, 7, 1))
    return [
        S("DrawBoundingBoxes", {"images": images, "boxes": boxes}),
        S("DrawBoundingBoxes", {"images": images[..., :1].astype(f16), "boxes": boxes}, id="gray-half"),
        S("DrawBoundingBoxes", {"images": images[:1], "boxes": many}, id="all-colors"),
        S("DrawBoundingBoxes", {"images": images, "boxes": np.zeros((2, 0, 4), f32)}, id="no-boxes"),
        S("DrawBoundingBoxes", {"images": images, "boxes": boxes}, fed={"images": [None, None, None, 3]}, id="unknown"),
        S(
            "DrawBoundingBoxesV2",
            {
                "images": np.concatenate([images, images[..., :1]], -1),
                "boxes": boxes,
                "colors": _rng.random((2, 5)).astype(f32),
            },
            id="rgba",
        ),
        S("DrawBoundingBoxesV2", {"images": images, "boxes": boxes, "colors": np.zeros((0, 3), f32)}, id="no-colors"),
    ]


SAMPLES = _nms_samples() + _combined_samples() + _draw_samples()


# SampleDistortedBoundingBox(V2) and the stateless form, seeded: TF's crop exactly (same Philox words, same float32
# arithmetic); boxes that are hard to cover (rejections), no boxes, narrow aspect ratios and area ranges.
_SIZE = np.array([480, 640, 3], np.int32)
_BOXES = np.array([[[0.1, 0.2, 0.5, 0.6], [0.3, 0.1, 0.9, 0.4]]], np.float32)
_TINY_BOX = np.array([[[0.45, 0.45, 0.47, 0.46]]], np.float32)


def _distorted_samples():
    out = []
    for seed, seed2 in ((1, 2), (7, 0), (0, 11), (123456789, 987654321)):
        out.append(Sample("SampleDistortedBoundingBox", {"image_size": _SIZE, "bounding_boxes": _BOXES},
                          {"seed": seed, "seed2": seed2}, id=f"seed-{seed}-{seed2}"))  # fmt: skip
    out += [
        Sample("SampleDistortedBoundingBox", {"image_size": _SIZE, "bounding_boxes": _BOXES},
               {"seed": 3, "seed2": 4, "min_object_covered": 0.9, "aspect_ratio_range": [0.5, 2.0],
                "area_range": [0.2, 0.9], "max_attempts": 20}, id="strict"),
        Sample("SampleDistortedBoundingBox", {"image_size": _SIZE, "bounding_boxes": _TINY_BOX},
               {"seed": 5, "seed2": 6, "min_object_covered": 1.0, "area_range": [0.9, 1.0], "max_attempts": 3},
               id="falls-back-to-image"),
        Sample("SampleDistortedBoundingBox", {"image_size": np.array([31, 17, 1], np.int64),
               "bounding_boxes": np.zeros((1, 0, 4), np.float32)},
               {"seed": 8, "seed2": 9, "use_image_if_no_bounding_boxes": True}, id="no-boxes-int64"),
        Sample("SampleDistortedBoundingBox", {"image_size": np.array([200, 100, 3], np.uint8), "bounding_boxes": _BOXES},
               {"seed": 10, "seed2": 1, "aspect_ratio_range": [1.0, 1.0]}, id="uint8-square"),
        Sample("SampleDistortedBoundingBoxV2", {"image_size": _SIZE, "bounding_boxes": _BOXES,
               "min_object_covered": np.float32(0.5)}, {"seed": 21, "seed2": 22}, id="seeded"),
        Sample("SampleDistortedBoundingBoxV2", {"image_size": np.array([64, 48, 3], np.int16), "bounding_boxes": _BOXES,
               "min_object_covered": np.float32(0.0)}, {"seed": 2, "seed2": 3, "area_range": [0.01, 0.05]},
               id="small-area-int16"),
        Sample("StatelessSampleDistortedBoundingBox", {"image_size": _SIZE, "bounding_boxes": _BOXES,
               "min_object_covered": np.float32(0.3), "seed": np.array([4, 5], np.int32)}, id="stateless"),
        Sample("StatelessSampleDistortedBoundingBox", {"image_size": _SIZE, "bounding_boxes": _BOXES,
               "min_object_covered": np.float32(0.1), "seed": np.array([-3, 2**40], np.int64)},
               {"aspect_ratio_range": [0.3, 3.0]}, id="stateless-int64"),
        Sample("SampleDistortedBoundingBox", {"image_size": _SIZE, "bounding_boxes": _BOXES}, {"seed": 1, "seed2": 2},
               fed={"image_size": None, "bounding_boxes": [None, None, 4]}, id="unknown"),
    ]  # fmt: skip
    return out


SAMPLES += _distorted_samples()
