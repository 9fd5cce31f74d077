"""Fake quantization beyond the sample table: TF's kernel and shape errors, and tf.quantization.fake_quant_*
with tf.gradients built node for node as TensorFlow builds them, run to TF's values."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api.tf_programs import assert_same_graph
from tests.ops.harness import Sample, assert_same_runtime_error, assert_same_shape_error

S = Sample
f32 = np.float32
_X = np.linspace(-8, 8, 12, dtype=f32).reshape(3, 4)

RUNTIME_ERRORS = [
    S("FakeQuantWithMinMaxArgs", {"inputs": _X}, {"min": 6.0, "max": 6.0}, id="min-equals-max"),
    S("FakeQuantWithMinMaxArgs", {"inputs": _X}, {"min": 1.5, "max": -2.0}, id="min-above-max"),
    S("FakeQuantWithMinMaxArgs", {"inputs": _X}, {"num_bits": 1}, id="one-bit"),
    S("FakeQuantWithMinMaxArgs", {"inputs": _X}, {"num_bits": 17}, id="seventeen-bits"),
    S("FakeQuantWithMinMaxArgsGradient", {"gradients": _X[:2], "inputs": _X}, id="gradient-size"),
    S("FakeQuantWithMinMaxVars", {"inputs": _X, "min": np.zeros(2, f32), "max": f32(1)}, id="min-rank"),
    S("FakeQuantWithMinMaxVars", {"inputs": _X, "min": f32(-1), "max": np.ones(1, f32)}, id="max-rank"),
    S("FakeQuantWithMinMaxVars", {"inputs": _X, "min": f32(-1), "max": f32(1)}, {"num_bits": 20}, id="bits"),
    S(
        "FakeQuantWithMinMaxVarsGradient",
        {"gradients": _X[:1], "inputs": _X, "min": f32(-1), "max": f32(1)},
        id="gradient-size",
    ),
    S(
        "FakeQuantWithMinMaxVarsPerChannel",
        {"inputs": _X, "min": np.zeros(3, f32), "max": np.ones(4, f32)},
        id="min-depth",
    ),
    S(
        "FakeQuantWithMinMaxVarsPerChannel",
        {"inputs": _X, "min": np.zeros(4, f32), "max": np.ones(5, f32)},
        id="max-depth",
    ),
    S(
        "FakeQuantWithMinMaxVarsPerChannelGradient",
        {"gradients": _X, "inputs": _X[:, :3], "min": np.zeros(3, f32), "max": np.ones(3, f32)},
        id="gradient-size",
    ),
]


@pytest.mark.parametrize("sample", RUNTIME_ERRORS, ids=lambda s: s.name)
def test_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


SHAPE_ERRORS = [
    S("FakeQuantWithMinMaxVars", {"inputs": _X, "min": np.zeros(2, f32), "max": f32(1)}, id="min-rank"),
    S(
        "FakeQuantWithMinMaxVarsPerChannel",
        {"inputs": _X, "min": np.zeros(3, f32), "max": np.ones(4, f32)},
        id="min-depth",
    ),
    S(
        "FakeQuantWithMinMaxVarsPerChannel",
        {"inputs": f32(1), "min": np.zeros(1, f32), "max": np.ones(1, f32)},
        id="scalar",
    ),
    S(
        "FakeQuantWithMinMaxVarsPerChannelGradient",
        {"gradients": _X, "inputs": _X, "min": np.zeros(4, f32), "max": np.ones(3, f32)},
        id="gradient-max-depth",
    ),
]


@pytest.mark.parametrize("sample", SHAPE_ERRORS, ids=lambda s: s.name)
def test_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)


def _program(tf):
    x = tf.placeholder(tf.float32, [3, 4], name="x")
    lo = tf.placeholder(tf.float32, [], name="lo")
    los = tf.placeholder(tf.float32, [4], name="los")
    a = tf.quantization.fake_quant_with_min_max_args(x, min=-2.0, max=3.0, num_bits=6, name="args")
    v = tf.quantization.fake_quant_with_min_max_vars(x * 2.0, lo, 4.0, narrow_range=True)
    c = tf.fake_quant_with_min_max_vars_per_channel(x, los, [1.0, 2.0, 3.0, 4.0], num_bits=5)
    loss = tf.reduce_sum(a * a) + tf.reduce_sum(v) + tf.reduce_sum(c * x)
    return {"x": x, "lo": lo, "los": los}, [a, v, c, *tf.gradients(loss, [x, lo, los])]


def test_fake_quant_functions_and_gradients_match_tf(tf1):
    assert_same_graph(tf1, lambda tf: _program(tf)[1])
    feeds = {"x": _X, "lo": f32(-1.5), "los": np.array([-1.0, -0.5, 0.0, -3.0], f32)}
    results = []
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            inputs, fetches = _program(api)
            with api.Session(graph=g) as sess:
                results.append(sess.run(fetches, {inputs[k]: v for k, v in feeds.items()}))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


# QuantizeV2 / Dequantize: kernel and shape errors in TF's class and words.
_Q8 = np.arange(-4, 4, dtype=np.int8).view(np.dtype([("qint8", np.int8)]))
_XQ = np.linspace(-1, 1, 8).astype(np.float32)
_F = np.float32
QUANTIZE_RUNTIME_ERRORS = [
    Sample("QuantizeV2", {"input": _XQ, "min_range": _F(1), "max_range": _F(-1)}, {"T": "dtype:qint8"}, id="max-below-min"),
    Sample("QuantizeV2", {"input": _XQ, "min_range": _F(-1), "max_range": _F(1)},
           {"T": "dtype:qint8", "round_mode": "HALF_TO_EVEN"}, id="half-to-even-not-scaled"),
    Sample("QuantizeV2", {"input": _XQ.reshape(2, 4), "min_range": np.full(2, -1, _F), "max_range": np.ones(2, _F)},
           {"T": "dtype:quint8", "axis": 0, "mode": "MIN_FIRST"}, id="min-first-axis"),
    Sample("Dequantize", {"input": _Q8, "min_range": np.zeros(2, _F), "max_range": _F(1)}, id="min-count"),
    Sample("Dequantize", {"input": _Q8.reshape(2, 4), "min_range": np.full(2, -1, _F), "max_range": np.ones(3, _F)},
           {"axis": 0}, id="max-count"),
    Sample("Dequantize", {"input": _Q8.reshape(2, 4), "min_range": np.full(2, -1, _F), "max_range": np.ones(2, _F)},
           {"axis": 0, "mode": "MIN_FIRST"}, id="min-first-axis"),
]  # fmt: skip


@pytest.mark.parametrize("sample", QUANTIZE_RUNTIME_ERRORS, ids=lambda s: s.name)
def test_quantize_runtime_errors_match_tf(tf1, sample):
    fed = {k: None for k, v in sample.inputs.items() if v.dtype.kind != "V"}
    assert_same_runtime_error(tf1, Sample(sample.op, sample.inputs, sample.attrs, id=sample.id, fed=fed), fed=False)


QUANTIZE_SHAPE_ERRORS = [
    Sample("QuantizeV2", {"input": _XQ, "min_range": np.zeros(2, _F), "max_range": _F(1)}, {"T": "dtype:qint8"},
           id="minmax-rank"),
    Sample("QuantizeV2", {"input": _XQ, "min_range": _F(-1), "max_range": _F(1)}, {"T": "dtype:qint8", "axis": -2},
           id="axis-below"),
    Sample("QuantizeV2", {"input": _XQ.reshape(2, 4), "min_range": np.zeros(3, _F), "max_range": np.ones(3, _F)},
           {"T": "dtype:qint8", "axis": 1}, id="depth"),
    Sample("Dequantize", {"input": _Q8, "min_range": _F(-1), "max_range": _F(1)}, {"axis": 3}, id="axis-rank"),
    Sample("Dequantize", {"input": _Q8.reshape(2, 4), "min_range": np.zeros(2, _F), "max_range": _F(1)}, {"axis": 0},
           id="minmax-rank"),
]  # fmt: skip


@pytest.mark.parametrize("sample", QUANTIZE_SHAPE_ERRORS, ids=lambda s: s.name)
def test_quantize_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)


def _quantize_program(tf):
    x = tf.placeholder(tf.float32, [2, 4], name="x")
    q, lo, hi = tf.quantization.quantize(x, -1.0, 1.0, tf.qint8, mode="SCALED")
    q2 = tf.quantize_v2(x, [-1.0, -2.0], [1.0, 2.0], tf.quint8, axis=-2, name="per_row")[0]
    q3 = tf.quantize(x, -1.0, 1.0, tf.quint8, mode="MIN_FIRST", ensure_minimum_range=0.5)[0]
    d = tf.quantization.dequantize(q, lo, hi, mode="SCALED")
    d2 = tf.dequantize(q2, [-1.0, -2.0], [1.0, 2.0], axis=0, name="deq")
    d3 = tf.dequantize(q3, -1.0, 1.0, mode="MIN_FIRST", narrow_range=True)
    return {"x": x}, [lo, hi, d, d2, d3]


def test_quantize_and_dequantize_functions_build_tf_graph(tf1):
    assert_same_graph(tf1, lambda tf: _quantize_program(tf)[1])
    value = np.linspace(-1.5, 1.5, 8).astype(np.float32).reshape(2, 4)
    results = []
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            inputs, fetches = _quantize_program(api)
            with api.Session(graph=g) as sess:
                results.append(sess.run(fetches, {inputs["x"]: value}))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


_QC = [_Q8.reshape(2, 4), _Q8.reshape(2, 4)]
QUANTIZED_CONCAT_SHAPE_ERRORS = [
    Sample("QuantizedConcat", {"concat_dim": np.int32(2), "values": _QC, "input_mins": [_F(-1)] * 2,
           "input_maxes": [_F(1)] * 2}, id="axis"),
    Sample("QuantizedConcat", {"concat_dim": np.int32(0), "values": [_QC[0], _Q8], "input_mins": [_F(-1)] * 2,
           "input_maxes": [_F(1)] * 2}, id="rank"),
    Sample("QuantizedConcat", {"concat_dim": np.int32(0), "values": _QC, "input_mins": [np.zeros(2, _F)] * 2,
           "input_maxes": [_F(1)] * 2}, id="min-rank"),
]  # fmt: skip


@pytest.mark.parametrize("sample", QUANTIZED_CONCAT_SHAPE_ERRORS, ids=lambda s: s.name)
def test_quantized_concat_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)
