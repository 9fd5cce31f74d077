"""Dilation2D beyond the sample table: TF's kernel and shape errors, and tf.nn.dilation2d / tf.nn.erosion2d
built node for node as TensorFlow builds them, with their gradients run to TF's values."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api.tf_programs import assert_same_graph
from tests.ops.harness import Sample, assert_same_runtime_error, assert_same_shape_error

S = Sample
f32 = np.float32
_rng = np.random.default_rng(3)
_X = _rng.standard_normal((1, 4, 5, 2)).astype(f32)
_F = _rng.standard_normal((2, 2, 2)).astype(f32)
_OK = {"strides": [1, 1, 1, 1], "rates": [1, 1, 1, 1], "padding": "SAME"}

RUNTIME_ERRORS = [
    S("Dilation2D", {"input": _X[0], "filter": _F}, _OK, id="input-rank"),
    S("Dilation2D", {"input": _X, "filter": _F[0]}, _OK, id="filter-rank"),
    S("Dilation2D", {"input": _X, "filter": _F[..., :1]}, _OK, id="depth"),
    S("Dilation2D", {"input": _X, "filter": _F}, {**_OK, "strides": [2, 1, 1, 1]}, id="batch-stride"),
    S("Dilation2D", {"input": _X, "filter": _F}, {**_OK, "rates": [1, 1, 1, 2]}, id="depth-rate"),
    S(
        "Dilation2D",
        {"input": _X[:, :1], "filter": _F},
        {**_OK, "padding": "VALID", "rates": [1, 2, 1, 1]},
        id="negative-size",
    ),
    S(
        "Dilation2DBackpropInput",
        {"input": _X, "filter": _F, "out_backprop": _X[:, :3]},
        _OK,
        id="out-backprop-size",
    ),
    S(
        "Dilation2DBackpropFilter",
        {"input": _X, "filter": _F, "out_backprop": _X[0]},
        _OK,
        id="out-backprop-rank",
    ),
]


@pytest.mark.parametrize("sample", RUNTIME_ERRORS, ids=lambda s: s.name)
def test_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


SHAPE_ERRORS = [
    S("Dilation2D", {"input": _X[0], "filter": _F}, _OK, id="input-rank"),
    S("Dilation2D", {"input": _X, "filter": _F[0]}, _OK, id="filter-rank"),
    S("Dilation2D", {"input": _X, "filter": _F[..., :1]}, _OK, id="depth"),
    S("Dilation2D", {"input": _X, "filter": _F}, {**_OK, "strides": [1, 1, 1, 1, 1]}, id="strides-length"),
    S(
        "Dilation2D",
        {"input": _X[:, :1], "filter": _F},
        {**_OK, "padding": "VALID", "rates": [1, 2, 1, 1]},
        id="negative-size",
    ),
]


@pytest.mark.parametrize("sample", SHAPE_ERRORS, ids=lambda s: s.name)
def test_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)


def _program(tf):
    x = tf.placeholder(tf.float32, [1, 4, 5, 2], name="x")
    k = tf.placeholder(tf.float32, [2, 2, 2], name="k")
    d = tf.nn.dilation2d(x, k, strides=[1, 1, 2, 1], rates=[1, 2, 1, 1], padding="SAME")
    e = tf.nn.erosion2d(x, k, strides=[1, 1, 1, 1], rates=[1, 1, 1, 1], padding="VALID")
    f = tf.nn.dilation2d(x, filters=k, strides=[1, 1, 1, 1], dilations=[1, 1, 1, 1], padding="VALID", name="d2")
    loss = tf.reduce_sum(d * d) + tf.reduce_sum(e) + tf.reduce_sum(f * 3.0)
    return {"x": x, "k": k}, [d, e, f, *tf.gradients(loss, [x, k])]


def test_dilation_and_erosion_build_tf_graph_and_values(tf1):
    assert_same_graph(tf1, lambda tf: _program(tf)[1])
    results = []
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            inputs, fetches = _program(api)
            with api.Session(graph=g) as sess:
                results.append(sess.run(fetches, {inputs["x"]: _X, inputs["k"]: _F}))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
