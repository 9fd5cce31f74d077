"""Geometric image ops beyond the sample table: bad inputs get TF's error class and wording (kernel and
shape function), the projective transforms' gradients, and the gradients TF cannot run."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.ops.harness import Sample, assert_same_runtime_error, assert_same_shape_error, randn, tf_error_text

S = Sample
f32 = np.float32
IMG = randn(2, 6, 7, 3)
PATCH = {"ksizes": [1, 2, 2, 1], "strides": [1, 1, 1, 1], "rates": [1, 1, 1, 1], "padding": "VALID"}
TRANSFORMS = np.array([[1.1, 0.2, -1.0, -0.1, 0.9, 0.5, 0.01, -0.02]], f32)


def _proj(**over):
    inputs = {"images": IMG, "transforms": TRANSFORMS, "output_shape": np.array([4, 4], np.int32), "fill_value": f32(0)}
    return {**inputs, **over}


RUNTIME_ERRORS = [
    S("ExtractImagePatches", {"images": IMG}, {**PATCH, "ksizes": [2, 2, 2, 1]}, id="ksize-batch"),
    S("ExtractImagePatches", {"images": IMG}, {**PATCH, "strides": [1, 1, 1, 2]}, id="stride-depth"),
    S("ExtractImagePatches", {"images": IMG}, {**PATCH, "rates": [2, 1, 1, 1]}, id="rate-batch"),
    S("ExtractImagePatches", {"images": IMG[0]}, PATCH, id="rank3"),
    S("ImageProjectiveTransformV3", _proj(images=IMG[0]), {"interpolation": "NEAREST"}, id="rank3"),
    S("ImageProjectiveTransformV3", _proj(transforms=TRANSFORMS[:, :7]), {"interpolation": "NEAREST"}, id="cols"),
    S("ImageProjectiveTransformV3", _proj(transforms=np.ones((3, 8), f32)), {"interpolation": "NEAREST"}, id="rows"),
    S(
        "ImageProjectiveTransformV3",
        _proj(output_shape=np.array([4, 0], np.int32)),
        {"interpolation": "NEAREST"},
        id="out0",
    ),
    S(
        "ImageProjectiveTransformV3",
        _proj(output_shape=np.array([4], np.int32)),
        {"interpolation": "NEAREST"},
        id="out1",
    ),
    S("ImageProjectiveTransformV3", _proj(fill_value=np.ones(1, f32)), {"interpolation": "NEAREST"}, id="fill"),
]


@pytest.mark.parametrize("sample", RUNTIME_ERRORS, ids=lambda s: s.name)
def test_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


SHAPE_ERRORS = [
    S("ExtractImagePatches", {"images": IMG[0]}, PATCH, id="rank3"),
    S("ExtractImagePatches", {"images": IMG}, {**PATCH, "strides": [1, 0, 1, 1]}, id="stride0"),
    S(
        "ImageProjectiveTransformV2",
        {k: v for k, v in _proj(images=IMG[0]).items() if k != "fill_value"},
        {"interpolation": "NEAREST"},
        id="rank3",
    ),
    S(
        "ImageProjectiveTransformV3",
        _proj(output_shape=np.array([4, 4, 4], np.int32)),
        {"interpolation": "NEAREST"},
        id="out3",
    ),
]


@pytest.mark.parametrize("sample", SHAPE_ERRORS, ids=lambda s: s.name)
def test_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)


def _patch_gradient(api, images, fed_shape):
    g = api.Graph()
    with g.as_default():
        x = api.placeholder(api.float32, fed_shape)
        y = api.raw_ops.ExtractImagePatches(images=x, **{k: v for k, v in PATCH.items()})
        grad = api.gradients(y, [x], grad_ys=[api.ones_like(y)])[0]
        with api.Session(graph=g) as sess:
            return sess.run(grad, {x: images})


def test_extract_image_patches_gradient_fails_on_an_empty_batch_as_tf(tf1):
    import tensorflow as tf

    empty = randn(0, 4, 4, 2)
    with pytest.raises(tf.errors.InvalidArgumentError) as theirs:
        _patch_gradient(tf1, empty, [None, 4, 4, 2])
    with pytest.raises(tm.errors.InvalidArgumentError) as ours:
        _patch_gradient(tm, empty, [None, 4, 4, 2])
    assert type(ours.value).__name__ == type(theirs.value).__name__
    assert tf_error_text(theirs.value) in str(ours.value)


def test_extract_image_patches_gradient_needs_a_known_rank_as_tf(tf1):
    with pytest.raises(ValueError) as theirs:
        _patch_gradient(tf1, IMG, None)
    with pytest.raises(ValueError) as ours:
        _patch_gradient(tm, IMG, None)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("op", ["ImageProjectiveTransformV2", "ImageProjectiveTransformV3"])
@pytest.mark.parametrize("interpolation", ["NEAREST", "BILINEAR"])
def test_projective_transform_gradient_matches_tf(tf1, op, interpolation):
    def run(api):
        g = api.Graph()
        with g.as_default():
            x = api.constant(IMG)
            inputs = _proj(images=x, transforms=np.array([[1.1, 0.2, -1.0, -0.1, 0.9, 0.5, 0.0, 0.0]], f32))
            if op == "ImageProjectiveTransformV2":
                del inputs["fill_value"]
            y = getattr(api.raw_ops, op)(**inputs, interpolation=interpolation, fill_mode="REFLECT")
            grad = api.gradients(y, [x], grad_ys=[api.constant(np.ones((2, 4, 4, 3), f32))])[0]
            with api.Session(graph=g) as sess:
                return sess.run(grad)

    np.testing.assert_allclose(run(tm), run(tf1), rtol=1e-5, atol=1e-5)
