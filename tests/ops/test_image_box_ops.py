"""Bounding-box ops beyond the sample table: bad inputs get TF's error class and wording (kernel and
shape function), and the libstdc++ heap and sort that give CombinedNonMaxSuppression TF's tie order."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import torchmeta as tm
from tests.api.tf_programs import assert_same_graph
from tests.ops.harness import Sample, assert_same_runtime_error, assert_same_shape_error
from torchmeta.ops import image_box_ops

S = Sample
f32 = np.float32
_rng = np.random.default_rng(5)
BOXES = _rng.random((6, 4)).astype(f32)
SCORES = _rng.random(6).astype(f32)


def n32(v):
    return np.array(v, np.int32)


def _v3(**over):
    inputs = {
        "boxes": BOXES,
        "scores": SCORES,
        "max_output_size": n32(3),
        "iou_threshold": f32(0.5),
        "score_threshold": f32(0.1),
    }
    return {**inputs, **over}


def _combined(**over):
    inputs = {
        "boxes": _rng.random((2, 6, 1, 4)).astype(f32),
        "scores": _rng.random((2, 6, 3)).astype(f32),
        "max_output_size_per_class": n32(3),
        "max_total_size": n32(4),
        "iou_threshold": f32(0.5),
        "score_threshold": f32(0.1),
    }
    return {**inputs, **over}


RUNTIME_ERRORS = [
    S(
        "NonMaxSuppression",
        {"boxes": BOXES, "scores": SCORES, "max_output_size": n32(3)},
        {"iou_threshold": 1.5},
        id="iou",
    ),
    S("NonMaxSuppression", {"boxes": BOXES, "scores": SCORES, "max_output_size": n32([3])}, id="max-rank"),
    S(
        "NonMaxSuppressionV2",
        {"boxes": BOXES, "scores": SCORES, "max_output_size": n32(3), "iou_threshold": f32(-0.5)},
        id="iou",
    ),
    S("NonMaxSuppressionV3", _v3(boxes=BOXES[:, :3]), id="cols"),
    S("NonMaxSuppressionV3", _v3(boxes=BOXES[0]), id="boxes-rank"),
    S("NonMaxSuppressionV3", _v3(scores=SCORES[:4]), id="scores"),
    S("NonMaxSuppressionV3", _v3(scores=SCORES.reshape(2, 3)), id="scores-rank"),
    S("NonMaxSuppressionV3", _v3(max_output_size=n32(-1)), id="negative"),
    S("NonMaxSuppressionV3", _v3(iou_threshold=np.ones(1, f32)), id="iou-rank"),
    S("NonMaxSuppressionV3", _v3(max_output_size=n32([1])), id="max-rank"),
    S("NonMaxSuppressionV4", _v3(score_threshold=np.ones(2, f32)), id="score-rank"),
    S("NonMaxSuppressionV5", {**_v3(), "soft_nms_sigma": f32(-1)}, id="sigma"),
    S("NonMaxSuppressionV5", {**_v3(), "soft_nms_sigma": np.ones(1, f32)}, id="sigma-rank"),
    S(
        "NonMaxSuppressionWithOverlaps",
        {
            "overlaps": np.ones((6, 5), f32),
            "scores": SCORES,
            "max_output_size": n32(3),
            "overlap_threshold": f32(0.5),
            "score_threshold": f32(0),
        },
        id="square",
    ),
    S("CombinedNonMaxSuppression", _combined(max_output_size_per_class=n32(0)), id="per-class"),
    S("CombinedNonMaxSuppression", _combined(max_total_size=n32(0)), id="total"),
    S("CombinedNonMaxSuppression", _combined(iou_threshold=f32(2)), id="iou"),
    S("CombinedNonMaxSuppression", _combined(boxes=_rng.random((2, 6, 2, 4)).astype(f32)), id="q"),
    S("CombinedNonMaxSuppression", _combined(scores=_rng.random((3, 6, 3)).astype(f32)), id="batch"),
    # (Scores of rank 2 abort TensorFlow's process: it reads dim 2 before checking the rank.)
    S("CombinedNonMaxSuppression", _combined(boxes=_rng.random((2, 6, 4)).astype(f32)), id="boxes-rank"),
    S("DrawBoundingBoxes", {"images": np.ones((2, 4, 4, 2), f32), "boxes": np.ones((2, 1, 4), f32)}, id="depth"),
    S("DrawBoundingBoxes", {"images": np.ones((2, 4, 4, 3), f32), "boxes": np.ones((3, 1, 4), f32)}, id="batch"),
    S("DrawBoundingBoxes", {"images": np.ones((2, 4, 4, 3), f32), "boxes": np.ones((2, 1, 3), f32)}, id="coords"),
    S(
        "DrawBoundingBoxesV2",
        {"images": np.ones((2, 4, 4, 3), f32), "boxes": np.ones((2, 1, 4), f32), "colors": np.ones((2, 2), f32)},
        id="colors",
    ),
]


@pytest.mark.parametrize("sample", RUNTIME_ERRORS, ids=lambda s: s.name)
def test_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


SHAPE_ERRORS = [
    S("NonMaxSuppression", {"boxes": BOXES, "scores": SCORES[:5], "max_output_size": n32(3)}, id="scores"),
    S(
        "NonMaxSuppressionV2",
        {"boxes": BOXES[:, :3], "scores": SCORES, "max_output_size": n32(3), "iou_threshold": f32(0.5)},
        id="cols",
    ),
    S("NonMaxSuppressionV3", _v3(max_output_size=n32([3])), id="max-rank"),
    S("NonMaxSuppressionV4", _v3(boxes=BOXES[None]), id="boxes-rank"),
    S("NonMaxSuppressionV5", {**_v3(), "soft_nms_sigma": np.ones(1, f32)}, id="sigma-rank"),
    S(
        "NonMaxSuppressionWithOverlaps",
        {
            "overlaps": np.ones((6, 5), f32),
            "scores": SCORES,
            "max_output_size": n32(3),
            "overlap_threshold": f32(0.5),
            "score_threshold": f32(0),
        },
        id="square",
    ),
    S("CombinedNonMaxSuppression", _combined(boxes=_rng.random((2, 6, 2, 4)).astype(f32)), id="q"),
    S("CombinedNonMaxSuppression", _combined(scores=_rng.random((3, 6, 3)).astype(f32)), id="batch"),
    S("CombinedNonMaxSuppression", _combined(boxes=_rng.random((2, 6, 1, 3)).astype(f32)), id="coords"),
    S("CombinedNonMaxSuppression", _combined(iou_threshold=np.ones(1, f32)), id="iou-rank"),
    S("DrawBoundingBoxes", {"images": np.ones((4, 4, 3), f32), "boxes": np.ones((2, 1, 4), f32)}, id="rank3"),
    S("DrawBoundingBoxes", {"images": np.ones((2, 4, 4, 3), f32), "boxes": np.ones((2, 4), f32)}, id="boxes-rank"),
]


@pytest.mark.parametrize("sample", SHAPE_ERRORS, ids=lambda s: s.name)
def test_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)


def _cmp(less):
    return functools.cmp_to_key(lambda a, b: -1 if less(a, b) else (1 if less(b, a) else 0))


@pytest.mark.parametrize("n", [0, 1, 5, 16, 17, 40, 300])
def test_std_sort_sorts(n):
    """The libstdc++ introsort emulation orders like a sort (its tie order is checked against TF by the
    all-ties CombinedNonMaxSuppression sample)."""
    keys = np.random.default_rng(n).integers(0, 7, n).tolist()
    items = [(k, i) for i, k in enumerate(keys)]
    image_box_ops.std_sort(items, lambda a, b: a[0] < b[0])
    assert [k for k, _ in items] == sorted(keys)
    assert sorted(i for _, i in items) == list(range(n))


# SampleDistortedBoundingBox: bad inputs and attrs in TF's class and words; tf.image.sample_distorted_bounding_box
# built node for node, its seeded crops TF's, run after run.
_SDBB_SIZE = np.array([48, 64, 3], np.int32)
_SDBB_BOXES = np.array([[[0.1, 0.2, 0.5, 0.6]]], np.float32)
SDBB_RUNTIME_ERRORS = [
    Sample("SampleDistortedBoundingBox", {"image_size": _SDBB_SIZE[:2], "bounding_boxes": _SDBB_BOXES}, {"seed": 1},
           id="size-elements"),
    Sample("SampleDistortedBoundingBox", {"image_size": _SDBB_SIZE, "bounding_boxes": _SDBB_BOXES * 3}, {"seed": 1},
           id="coordinates"),
    Sample("SampleDistortedBoundingBox", {"image_size": _SDBB_SIZE, "bounding_boxes": np.zeros((1, 0, 4), np.float32)},
           {"seed": 1}, id="no-boxes"),
    Sample("SampleDistortedBoundingBox", {"image_size": _SDBB_SIZE, "bounding_boxes": _SDBB_BOXES},
           {"seed": 1, "area_range": [0.5, 1.5]}, id="area-range"),
    Sample("SampleDistortedBoundingBox", {"image_size": _SDBB_SIZE, "bounding_boxes": _SDBB_BOXES},
           {"seed": 1, "aspect_ratio_range": [0.0, 1.0]}, id="aspect-range"),
    Sample("SampleDistortedBoundingBoxV2", {"image_size": _SDBB_SIZE, "bounding_boxes": _SDBB_BOXES,
           "min_object_covered": np.float32(-0.5)}, {"seed": 1}, id="negative-cover"),
    Sample("StatelessSampleDistortedBoundingBox", {"image_size": _SDBB_SIZE, "bounding_boxes": _SDBB_BOXES,
           "min_object_covered": np.float32(0.1), "seed": np.array([1, 2, 3], np.int32)}, id="seed-shape"),
]  # fmt: skip


@pytest.mark.parametrize("sample", SDBB_RUNTIME_ERRORS, ids=lambda s: s.name)
def test_sample_distorted_bounding_box_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


def _sdbb_program(tf):
    size = tf.placeholder(tf.int32, [3], name="size")
    boxes = tf.constant(_SDBB_BOXES)
    begin, extent, bboxes = tf.image.sample_distorted_bounding_box(
        size, boxes, seed=3, seed2=4, min_object_covered=0.2, area_range=[0.1, 0.8]
    )
    other = tf.image.sample_distorted_bounding_box(size, boxes, seed=5, name="crop")
    return {"size": size}, [begin, extent, bboxes, *other]


def test_sample_distorted_bounding_box_function_is_tfs_run_after_run(tf1):
    assert_same_graph(tf1, lambda tf: _sdbb_program(tf)[1])
    results = []
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            inputs, fetches = _sdbb_program(api)
            with api.Session(graph=g) as sess:
                results.append([sess.run(fetches, {inputs["size"]: _SDBB_SIZE}) for _ in range(3)])
    for ours, theirs in zip(results[1], results[0]):
        for o, t in zip(ours, theirs):
            np.testing.assert_array_equal(o, t)
