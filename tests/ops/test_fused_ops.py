"""The fused ops of optimized / frozen graphs (torchmeta/ops/fused_ops.py) against TensorFlow.

_FusedConv2D, _FusedDepthwiseConv2dNative, _FusedMatMul and _FusedBatchNormEx are internal ops (tf.raw_ops
has no builder for them), so each case is a GraphDef holding the fused node as grappler's remapper writes it
(fused_ops, num_args, TArgs, epsilon, leakyrelu_alpha), imported and run by both frameworks: the output
(shape, dtype, values), its static shape, and TF's errors for fusions and argument counts it refuses.
FusedPadConv2D and FusedResizeAndPadConv2D are public and run through the sample harness too.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.ops.harness import (
    Sample,
    assert_same,
    assert_same_runtime_error,
    assert_same_shape_error,
    randn,
    run_tf,
    run_tm,
)

_rng = np.random.default_rng(5)


def _positive(*shape):
    return (np.abs(_rng.standard_normal(shape)) + 0.5).astype(np.float32)


def _graph_def(tf1, op, inputs, attrs, fed=False):
    """A GraphDef of Const (or Placeholder, ``fed``) inputs and the node ``op`` named "fused"."""
    import tensorflow as tf

    g = tf1.Graph()
    with g.as_default():
        tensors = [
            tf1.placeholder(tf.as_dtype(x.dtype), None, name=f"in{i}") if fed else tf1.constant(x, name=f"in{i}")
            for i, x in enumerate(inputs)
        ]
    gd = g.as_graph_def()
    n = gd.node.add()
    n.name = "fused"
    n.op = op
    n.input.extend(t.op.name for t in tensors)
    for key, value in attrs.items():
        if isinstance(value, bool):
            n.attr[key].b = value
        elif isinstance(value, int):
            n.attr[key].i = value
        elif isinstance(value, float):
            n.attr[key].f = value
        elif isinstance(value, str):
            n.attr[key].s = value.encode()
        elif isinstance(value, np.dtype):
            n.attr[key].type = tf.as_dtype(value).as_datatype_enum
        elif value and isinstance(value[0], np.dtype):
            n.attr[key].list.type.extend(tf.as_dtype(v).as_datatype_enum for v in value)
        elif not value or isinstance(value[0], int):
            n.attr[key].list.i.extend(value)
        else:
            n.attr[key].list.s.extend(v.encode() for v in value)
    return gd


def _run(api, gd, inputs, fed, outputs):
    g = api.Graph()
    with g.as_default():
        api.import_graph_def(gd, name="")
        fetches = [g.get_tensor_by_name(f"fused:{i}") for i in range(outputs)]
        feeds = {g.get_tensor_by_name(f"in{i}:0"): x for i, x in enumerate(inputs)} if fed else {}
        with api.Session(graph=g) as sess:
            values = sess.run(fetches, feeds)
    return values, [t.shape.as_list() if t.shape.rank is not None else None for t in fetches]


def _compare(tf1, op, inputs, attrs, fed=False, outputs=1, rtol=1e-5, atol=1e-5):
    gd = _graph_def(tf1, op, inputs, attrs, fed)
    theirs, their_shapes = _run(tf1, gd, inputs, fed, outputs)
    ours, our_shapes = _run(tm, gd, inputs, fed, outputs)
    assert our_shapes == their_shapes
    for o, t in zip(ours, theirs):
        assert o.shape == t.shape and o.dtype == t.dtype
        np.testing.assert_allclose(o, t, rtol=rtol, atol=atol)


def _errors_match(tf1, op, inputs, attrs):
    gd = _graph_def(tf1, op, inputs, attrs)
    import tensorflow as tf

    with pytest.raises(tf.errors.OpError) as theirs:
        _run(tf1, gd, inputs, False, 1)
    with pytest.raises(tm.errors.OpError) as ours:
        _run(tm, gd, inputs, False, 1)
    assert type(ours.value).__name__ == type(theirs.value).__name__
    lines = theirs.value.message.split("\n")
    marks = [i for i, line in enumerate(lines) if line.startswith("\t [[")]
    assert lines[marks[0] - 1] in str(ours.value)


F32 = np.dtype(np.float32)
_X = randn(2, 6, 7, 3)
_W = randn(3, 3, 3, 4)
_B = randn(4)
_BN = [_positive(4) for _ in range(4)]
_SIDE = randn(2, 6, 7, 4)

CONV_CASES = [
    (["BiasAdd"], [_B], {}),
    (["BiasAdd", "Relu"], [_B], {}),
    (["BiasAdd", "Relu6"], [_B], {}),
    (["BiasAdd", "Elu"], [_B], {}),
    (["BiasAdd", "LeakyRelu"], [_B], {"leakyrelu_alpha": 0.3}),
    (["BiasAdd", "_FusedHardSwish"], [_B], {}),
    (["BiasAdd", "_MklSwish"], [_B], {}),
    (["BiasAdd", "Add"], [_B, _SIDE], {}),
    (["BiasAdd", "Add", "Relu"], [_B, _SIDE], {}),
    (["FusedBatchNorm"], _BN, {"epsilon": 0.001}),
    (["FusedBatchNorm", "Relu"], _BN, {}),
    (["FusedBatchNorm", "LeakyRelu"], _BN, {"leakyrelu_alpha": 0.1}),
]


_CONVS = {
    "same": {"strides": [1, 1, 1, 1], "padding": "SAME"},
    "valid-strided": {"strides": [1, 2, 2, 1], "padding": "VALID", "dilations": [1, 1, 1, 1]},
    "explicit": {"strides": [1, 1, 1, 1], "padding": "EXPLICIT", "explicit_paddings": [0, 0, 1, 2, 0, 1, 0, 0]},
    "dilated": {"strides": [1, 1, 1, 1], "padding": "VALID", "dilations": [1, 2, 2, 1]},
}
# The Add operand has the output's shape: SAME convolutions only.
_CONV_PARAMS = [
    pytest.param(fused_ops, args, extra, conv, id=f"{'-'.join(fused_ops)}-{name}")
    for fused_ops, args, extra in CONV_CASES
    for name, conv in _CONVS.items()
    if "Add" not in fused_ops or name == "same"
]


@pytest.mark.parametrize("fused_ops,args,extra,conv", _CONV_PARAMS)
def test_fused_conv2d_matches_tf(tf1, fused_ops, args, extra, conv):
    attrs = {
        "T": F32,
        "TArgs": [F32] * len(args),
        "num_args": len(args),
        "fused_ops": fused_ops,
        **conv,
        **extra,
    }
    _compare(tf1, "_FusedConv2D", [_X, _W, *args], attrs, rtol=1e-4, atol=1e-4)


def test_fused_conv2d_unknown_shapes_match_tf(tf1):
    attrs = {"T": F32, "TArgs": [F32], "num_args": 1, "fused_ops": ["BiasAdd", "Relu"], "strides": [1, 1, 1, 1]}
    _compare(tf1, "_FusedConv2D", [_X, _W, _B], {**attrs, "padding": "SAME"}, fed=True, rtol=1e-4, atol=1e-4)


def test_fused_conv2d_f64_matches_tf(tf1):
    x, w, b = (v.astype(np.float64) for v in (_X, _W, _B))
    attrs = {
        "T": np.dtype(np.float64),
        "TArgs": [np.dtype(np.float64)],
        "num_args": 1,
        "fused_ops": ["BiasAdd", "Relu"],
        "strides": [1, 1, 1, 1],
        "padding": "SAME",
    }
    _compare(tf1, "_FusedConv2D", [x, w, b], attrs)


@pytest.mark.parametrize(
    "fused_ops,args",
    [(["BiasAdd", "Tanh"], [_B]), (["BiasAdd", "Sigmoid"], [_B]), (["BiasAdd"], [_B, _B]), (["FusedBatchNorm"], [_B])],
    ids=["tanh", "sigmoid", "bias-args", "batch-norm-args"],
)
def test_fused_conv2d_errors_match_tf(tf1, fused_ops, args):
    attrs = {
        "T": F32,
        "TArgs": [F32] * len(args),
        "num_args": len(args),
        "fused_ops": fused_ops,
        "strides": [1, 1, 1, 1],
        "padding": "SAME",
    }
    _errors_match(tf1, "_FusedConv2D", [_X, _W, *args], attrs)


_A, _BM, _MB = randn(3, 5), randn(5, 4), randn(4)
MATMUL_CASES = [
    ["BiasAdd"],
    ["BiasAdd", "Relu"],
    ["BiasAdd", "Relu6"],
    ["BiasAdd", "Elu"],
    ["BiasAdd", "LeakyRelu"],
    ["BiasAdd", "Tanh"],
    ["BiasAdd", "Sigmoid"],
    ["BiasAdd", "GeluApproximate"],
    ["BiasAdd", "GeluExact"],
    ["BiasAdd", "Add"],
]


@pytest.mark.parametrize("fused_ops", MATMUL_CASES, ids=["-".join(c) for c in MATMUL_CASES])
@pytest.mark.parametrize(
    "transpose", [(False, False), (True, True), (True, False), (False, True)], ids=["plain", "both", "a", "b"]
)
def test_fused_matmul_matches_tf(tf1, fused_ops, transpose):
    """With ``a`` transposed TF runs its Eigen kernel, which refuses Add and Gelu fusions (compared as errors)."""
    a = _A.T.copy() if transpose[0] else _A
    b = _BM.T.copy() if transpose[1] else _BM
    args = [_MB, randn(3, 4)] if "Add" in fused_ops else [_MB]
    attrs = {
        "T": F32,
        "num_args": len(args),
        "fused_ops": fused_ops,
        "transpose_a": transpose[0],
        "transpose_b": transpose[1],
        "leakyrelu_alpha": 0.25,
    }
    if transpose[0] and fused_ops[-1] in ("Add", "GeluApproximate", "GeluExact"):
        _errors_match(tf1, "_FusedMatMul", [a, b, *args], attrs)
    else:
        _compare(tf1, "_FusedMatMul", [a, b, *args], attrs, rtol=1e-5, atol=1e-5)


def test_fused_matmul_error_matches_tf(tf1):
    attrs = {"T": F32, "num_args": 1, "fused_ops": ["BiasAdd", "_MklSwish"]}
    _errors_match(tf1, "_FusedMatMul", [_A, _BM, _MB], attrs)


_DW = randn(3, 3, 3, 2)
_DB = randn(6)


@pytest.mark.parametrize(
    "fused_ops,args",
    [(["BiasAdd"], [_DB]), (["BiasAdd", "Relu6"], [_DB]), (["BiasAdd", "Relu"], [_DB])],
    ids=["bias", "relu6", "relu"],
)
def test_fused_depthwise_conv2d_matches_tf(tf1, fused_ops, args):
    attrs = {"T": F32, "num_args": len(args), "fused_ops": fused_ops, "strides": [1, 1, 1, 1], "padding": "SAME"}
    _compare(tf1, "_FusedDepthwiseConv2dNative", [_X, _DW, *args], attrs, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("is_training", [True, False])
def test_fused_batch_norm_ex_matches_tf(tf1, is_training):
    x = randn(2, 5, 5, 4)
    attrs = {"T": F32, "U": F32, "activation_mode": "Relu", "is_training": is_training, "epsilon": 0.001}
    # y, batch_mean, batch_variance (the reserve spaces are the kernel's scratch layout).
    _compare(tf1, "_FusedBatchNormEx", [x, *_BN], attrs, outputs=3, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode,side", [("Identity", 0), ("Relu", 1)], ids=["identity", "side-input"])
def test_fused_batch_norm_ex_unsupported_matches_tf(tf1, mode, side):
    import tensorflow as tf

    x = randn(2, 5, 5, 4)
    inputs = [x, *_BN] + ([randn(2, 5, 5, 4)] if side else [])
    attrs = {"T": F32, "U": F32, "activation_mode": mode, "num_side_inputs": side}
    gd = _graph_def(tf1, "_FusedBatchNormEx", inputs, attrs)
    with pytest.raises(tf.errors.InternalError):
        _run(tf1, gd, inputs, False, 1)
    with pytest.raises(tm.errors.InternalError):
        _run(tm, gd, inputs, False, 1)


PAD_CONV = [
    Sample(
        "FusedPadConv2D",
        {
            "input": randn(1, 5, 6, 2),
            "paddings": np.array([[0, 0], [1, 2], [2, 1], [0, 0]], np.int32),
            "filter": randn(3, 3, 2, 3),
        },
        {"mode": "REFLECT", "strides": [1, 1, 1, 1], "padding": "VALID"},
        id="reflect",
        rtol=1e-4,
        atol=1e-4,
    ),
    Sample(
        "FusedPadConv2D",
        {
            "input": randn(2, 4, 4, 3),
            "paddings": np.array([[0, 0], [2, 2], [1, 1], [0, 0]], np.int32),
            "filter": randn(2, 2, 3, 2),
        },
        {"mode": "SYMMETRIC", "strides": [1, 2, 2, 1], "padding": "SAME"},
        id="symmetric-strided",
        rtol=1e-4,
        atol=1e-4,
    ),
    Sample(
        "FusedResizeAndPadConv2D",
        {
            "input": randn(1, 4, 5, 2),
            "size": np.array([7, 9], np.int32),
            "paddings": np.array([[0, 0], [1, 1], [2, 2], [0, 0]], np.int32),
            "filter": randn(3, 3, 2, 4),
        },
        {"mode": "REFLECT", "strides": [1, 1, 1, 1], "padding": "VALID"},
        id="resize",
        rtol=1e-4,
        atol=1e-4,
    ),
    Sample(
        "FusedResizeAndPadConv2D",
        {
            "input": randn(1, 4, 5, 2),
            "size": np.array([6, 6], np.int32),
            "paddings": np.array([[0, 0], [0, 0], [1, 1], [0, 0]], np.int32),
            "filter": randn(2, 2, 2, 1),
        },
        {"mode": "SYMMETRIC", "strides": [1, 1, 1, 1], "padding": "SAME", "resize_align_corners": True},
        id="resize-align-corners",
        rtol=1e-4,
        atol=1e-4,
    ),
    Sample(
        "FusedResizeAndPadConv2D",
        {
            "input": randn(1, 4, 5, 2),
            "size": np.array([4, 5], np.int32),
            "paddings": np.array([[0, 0], [1, 1], [1, 1], [0, 0]], np.int32),
            "filter": randn(3, 3, 2, 2),
        },
        {"mode": "REFLECT", "strides": [1, 1, 1, 1], "padding": "VALID"},
        id="same-size",
        rtol=1e-4,
        atol=1e-4,
    ),
]


@pytest.mark.parametrize("sample", PAD_CONV, ids=lambda s: s.name)
@pytest.mark.parametrize("fed", [False, True], ids=["static", "fed"])
def test_pad_conv_fusions_match_tf(tf1, sample, fed):
    if fed:
        sample = Sample(
            sample.op,
            sample.inputs,
            sample.attrs,
            id=sample.id,
            rtol=sample.rtol,
            atol=sample.atol,
            fed={"input": [None, None, None, sample.inputs["input"].shape[3]]},
        )
    assert_same(run_tf(tf1, sample), run_tm(sample), sample)


_PAD_ERRORS = [
    ([[1, 0], [2, 2], [1, 1], [0, 0]], [1, 1, 1, 1], "REFLECT"),
    ([[0, 0], [2, 2], [1, 1], [0, 1]], [1, 1, 1, 1], "SYMMETRIC"),
    ([[0, 0], [-1, 2], [1, 1], [0, 0]], [1, 1, 1, 1], "REFLECT"),
    ([[0, 0], [4, 2], [1, 1], [0, 0]], [1, 1, 1, 1], "REFLECT"),
    ([[0, 0], [5, 2], [1, 1], [0, 0]], [1, 1, 1, 1], "SYMMETRIC"),
    ([[0, 0], [2, 2], [1, 1], [0, 0]], [2, 1, 1, 1], "REFLECT"),
    ([[0, 0], [2, 2], [1, 1], [0, 0]], [1, 1, 1, 2], "REFLECT"),
]


@pytest.mark.parametrize("paddings,strides,mode", _PAD_ERRORS, ids=[str(i) for i in range(len(_PAD_ERRORS))])
def test_pad_conv_errors_match_tf(tf1, paddings, strides, mode):
    sample = Sample(
        "FusedPadConv2D",
        {"input": randn(3, 4, 4, 3), "paddings": np.array(paddings, np.int32), "filter": randn(2, 2, 3, 2)},
        {"mode": mode, "strides": strides, "padding": "VALID"},
        fed={"input": None, "paddings": [4, 2], "filter": None},
    )
    assert_same_runtime_error(tf1, sample, fed=False)


@pytest.mark.parametrize(
    "fed",
    [{"paddings": None}, {"paddings": [None, 2]}, {"paddings": [3, 2]}],
    ids=["unknown", "unknown-rows", "three-rows"],
)
def test_pad_conv_shape_errors_match_tf(tf1, fed):
    """TF's shape function asks the input for the rank the paddings' rows give, -1 when unknown."""
    sample = Sample(
        "FusedPadConv2D",
        {"input": randn(1, 4, 4, 3), "paddings": np.zeros((4, 2), np.int32), "filter": randn(2, 2, 3, 2)},
        {"mode": "REFLECT", "strides": [1, 1, 1, 1], "padding": "VALID"},
        fed=fed,
    )
    if fed["paddings"] == [3, 2]:
        sample.inputs["paddings"] = np.zeros((3, 2), np.int32)
    assert_same_shape_error(tf1, sample)
