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
