"""nn op checks the sample table cannot express: inference-mode FusedBatchNorm (TF's grappler
rewrites it unless disabled), the deprecated TopK (TF refuses to build it), runtime errors worded
like TF's kernels, and autograd through the kernels (``to_module`` trains through them)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchmeta as tm
from tests.ops import native_helpers
from tests.ops.harness import Sample, assert_same, randn, run_tm
from torchmeta.ops import conv_ops, nn_ops, pool_ops, xent_native


def _tf_session_config():
    from tensorflow.core.protobuf import config_pb2

    config = config_pb2.ConfigProto()
    config.graph_options.rewrite_options.disable_meta_optimizer = True
    return config


def _run_tf_plain(tf1, sample: Sample, op_type=None):
    """Like harness.run_tf, with grappler off (it folds inference FusedBatchNorm into Mul/Add)."""
    import tensorflow as tf

    from tests.ops.harness import build_and_run

    g = tf1.Graph()
    with g.as_default():
        return build_and_run(
            tf1,
            Sample(op_type or sample.op, sample.inputs, sample.attrs, fed=sample.fed),
            tf.raw_ops,
            lambda: tf1.Session(graph=g, config=_tf_session_config()),
            tf1.placeholder,
            tf1.constant,
        )


def _bn_samples():
    """(sample, number of comparable outputs)."""
    c = 5
    x = randn(2, 4, 3, c)
    stats = {"scale": randn(c) + 1, "offset": randn(c), "mean": randn(c), "variance": np.abs(randn(c)) + 0.5}
    empty = {"mean": np.zeros(0, np.float32), "variance": np.zeros(0, np.float32)}
    tol = {"rtol": 1e-4, "atol": 1e-4}
    out = []
    for op in ("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"):
        n = 6 if op == "FusedBatchNormV3" else 5
        out += [
            (Sample(op, {"x": x, **stats}, {"is_training": False}, id=f"{op}-infer", **tol), n),
            (
                Sample(
                    op,
                    {"x": x.transpose(0, 3, 1, 2).copy(), **stats},
                    {"is_training": False, "data_format": "NCHW", "epsilon": 0.01},
                    id=f"{op}-infer-nchw",
                    **tol,
                ),
                n,
            ),
            (
                Sample(
                    op,
                    {"x": x, **stats},
                    {"is_training": False},
                    fed={"x": [None, None, None, c]},
                    id=f"{op}-infer-unknown",
                    **tol,
                ),
                n,
            ),
        ]
    # Off the 4-D float32 (oneDNN) path TF's kernel leaves reserve spaces uninitialized: in
    # inference all three, in training reserve_space_3.
    half = {"x": x.astype(np.float16), "scale": stats["scale"], "offset": stats["offset"]}
    out += [
        (
            Sample(
                "FusedBatchNormV3", {**half, **stats}, {"is_training": False}, id="V3-infer-f16", rtol=1e-2, atol=1e-2
            ),
            3,
        ),
        (
            Sample(
                "FusedBatchNormV3", {**half, **empty}, {"is_training": True}, id="V3-train-f16", rtol=1e-2, atol=1e-2
            ),
            5,
        ),
    ]
    for fmt, shape in (("NDHWC", (2, 3, 2, 2, 4)), ("NCDHW", (2, 4, 2, 2, 3))):
        inputs = {"x": randn(*shape), "scale": stats["scale"][:4], "offset": stats["offset"][:4], **empty}
        out.append(
            (
                Sample(
                    "FusedBatchNormV3", inputs, {"is_training": True, "data_format": fmt}, id=f"V3-train-{fmt}", **tol
                ),
                5,
            )
        )
    return out


@pytest.mark.parametrize("sample, n", _bn_samples(), ids=lambda s: s.id if isinstance(s, Sample) else "")
def test_fused_batch_norm_matches_tf(tf1, sample, n):
    theirs, ours = _run_tf_plain(tf1, sample), run_tm(sample)
    theirs, ours = ([r[:n] for r in result] for result in (theirs, ours))
    assert_same(theirs, ours, sample)


@pytest.mark.parametrize(
    "sample",
    [
        Sample("TopK", {"input": np.array([[3, 1, 3, 2, 1, 3]], np.float32)}, {"k": 4}, id="ties"),
        Sample("TopK", {"input": randn(4, 5)}, {"k": 2}, fed={"input": [None, None]}, id="unknown"),
        Sample("TopK", {"input": randn(3, 5)}, {"k": 0}, id="k0"),
    ],
    ids=lambda s: s.id,
)
def test_top_k_v1_matches_tf_top_k_v2(tf1, sample):
    """TF no longer builds TopK (removed at GraphDef version 7); TopKV2 computes the same."""
    theirs = Sample("TopKV2", {**sample.inputs, "k": np.int32(sample.attrs["k"])}, fed=sample.fed)
    assert_same(_run_tf_plain(tf1, theirs), run_tm(sample), sample)


def _tf_error(tf1, sample):
    import tensorflow as tf

    with pytest.raises(tf.errors.OpError) as info:
        _run_tf_plain(tf1, sample)
    lines = info.value.message.split("\n")
    marks = [i for i, line in enumerate(lines) if line.startswith("\t [[")]
    return type(info.value).__name__, lines[marks[0] - 1] if marks else lines[-1]


def _fed(op, inputs, attrs=None, sid=""):
    """A sample whose inputs are all fed with unknown shape, so errors surface at run time."""
    return Sample(op, inputs, attrs or {}, fed={k: None for k in inputs}, id=sid or op)


ERROR_SAMPLES = [
    _fed("BiasAdd", {"value": randn(2, 3), "bias": randn(4)}, sid="bias-size"),
    _fed("BiasAdd", {"value": randn(2), "bias": randn(2)}, sid="bias-rank"),
    _fed("BiasAdd", {"value": randn(2, 3), "bias": randn(3, 1)}, sid="bias-2d"),
    _fed("SoftmaxCrossEntropyWithLogits", {"features": randn(2, 3), "labels": randn(2, 4)}, sid="xent-broadcast"),
    _fed("SoftmaxCrossEntropyWithLogits", {"features": randn(3), "labels": randn(3)}, sid="xent-rank"),
    _fed("SparseSoftmaxCrossEntropyWithLogits", {"features": randn(3), "labels": np.zeros(3, np.int64)}, sid="s-r"),
    _fed("SparseSoftmaxCrossEntropyWithLogits", {"features": randn(3, 2), "labels": np.zeros((3, 1), np.int64)}),
    _fed("SparseSoftmaxCrossEntropyWithLogits", {"features": randn(3, 2), "labels": np.zeros(2, np.int64)}, sid="s-b"),
    _fed("SparseSoftmaxCrossEntropyWithLogits", {"features": randn(3, 0), "labels": np.zeros(3, np.int64)}, sid="s-0"),
    _fed("SparseSoftmaxCrossEntropyWithLogits", {"features": randn(3, 3), "labels": np.array([0, 5, 1])}, sid="s-hi"),
    _fed("SparseSoftmaxCrossEntropyWithLogits", {"features": randn(3, 3), "labels": np.array([0, -1, 1])}, sid="s-lo"),
    _fed(
        "SparseSoftmaxCrossEntropyWithLogits",
        {"features": randn(3, 3), "labels": np.array([0, 1, 3], np.int32)},
        sid="s-hi-int32",
    ),
    _fed(
        "SparseSoftmaxCrossEntropyWithLogits", {"features": randn(3, 3), "labels": np.array([0, 7, -1])}, sid="s-both"
    ),
    _fed("TopKV2", {"input": randn(2, 3), "k": np.int32(5)}, sid="topk-k"),
    _fed("TopKV2", {"input": randn(2, 3), "k": np.int32(-1)}, sid="topk-neg"),
    _fed("TopKV2", {"input": np.float32(1), "k": np.int32(1)}, sid="topk-scalar"),
    _fed("TopKV2", {"input": randn(2, 3), "k": np.array([1], np.int32)}, sid="topk-k-vector"),
    _fed("InTopKV2", {"predictions": randn(2, 3), "targets": np.zeros(3, np.int32), "k": np.int32(1)}, sid="in-b"),
    _fed("InTopKV2", {"predictions": randn(2), "targets": np.zeros(2, np.int32), "k": np.int32(1)}, sid="in-r"),
    _fed("InTopKV2", {"predictions": randn(2, 3), "targets": np.zeros((2, 1), np.int32), "k": np.int32(1)}),
    _fed("InTopKV2", {"predictions": randn(2, 3), "targets": np.zeros(2, np.int32), "k": np.array([1], np.int32)}),
    _fed("LRN", {"input": randn(1, 5, 5)}),
    _fed(
        "FusedBatchNormV3",
        {"x": randn(1, 3, 5), "scale": randn(5), "offset": randn(5), "mean": randn(0), "variance": randn(0)},
        sid="bn-rank",
    ),
    _fed(
        "FusedBatchNormV3",
        {"x": randn(1, 3, 3, 5), "scale": randn(3), "offset": randn(3), "mean": randn(0), "variance": randn(0)},
        sid="bn-channels",
    ),
    _fed(
        "Conv2D",
        {"input": randn(1, 5, 5, 3), "filter": randn(3, 3, 2, 4)},
        {"strides": [1, 1, 1, 1], "padding": "SAME"},
        sid="conv-depth",
    ),
    _fed(
        "Conv2D",
        {"input": randn(1, 5, 5, 2), "filter": randn(3, 3, 2, 4)},
        {"strides": [1, 1, 1, 2], "padding": "VALID"},
        sid="conv-s",
    ),
    _fed(
        "Conv2D",
        {"input": randn(1, 5, 5, 2), "filter": randn(3, 3, 2, 4)},
        {"strides": [1, 1, 1, 1], "padding": "VALID", "dilations": [2, 1, 1, 1]},
        sid="conv-dilation",
    ),
    _fed(
        "DepthwiseConv2dNative",
        {"input": randn(1, 5, 5, 2), "filter": randn(3, 3, 3, 4)},
        {"strides": [1, 1, 1, 1], "padding": "VALID"},
        sid="dw-depth",
    ),
    _fed(
        "MaxPool",
        {"input": randn(2, 3, 3, 4)},
        {"ksize": [2, 1, 1, 1], "strides": [1, 1, 1, 1], "padding": "VALID"},
        sid="pool-batch",
    ),
    _fed(
        "MaxPool",
        {"input": randn(1, 3, 3, 4)},
        {"ksize": [1, 2, 1, 2], "strides": [1, 1, 1, 2], "padding": "VALID"},
        sid="pool-depth-and-space",
    ),
    _fed(
        "MaxPool",
        {"input": randn(1, 4, 4, 6)},
        {"ksize": [1, 1, 1, 3], "strides": [1, 1, 1, 2], "padding": "VALID"},
        sid="pool-depth-stride",
    ),
    _fed(
        "MaxPool",
        {"input": randn(1, 4, 4, 6)},
        {"ksize": [1, 1, 1, 4], "strides": [1, 1, 1, 4], "padding": "VALID"},
        sid="pool-depth-divide",
    ),
    _fed(
        "AvgPool",
        {"value": randn(2, 3, 3, 4)},
        {"ksize": [2, 1, 1, 1], "strides": [1, 1, 1, 1], "padding": "VALID"},
        sid="avg-batch",
    ),
    # the activation gradients' inputs of two shapes: TF's OpKernelContext wording, naming the node and its type
    *(
        _fed(op, {"gradients": randn(2, 3), second: randn(3, 3)}, attrs, sid=f"{op}-shapes")
        for op, second, attrs in [
            ("ReluGrad", "features", {}),
            ("Relu6Grad", "features", {}),
            ("EluGrad", "outputs", {}),
            ("SeluGrad", "outputs", {}),
            ("SoftplusGrad", "features", {}),
            ("SoftsignGrad", "features", {}),
            ("LeakyReluGrad", "features", {"alpha": 0.2}),
        ]
    ),
    _fed(
        "MaxPoolGrad",
        {"orig_input": randn(1, 4, 4, 2), "orig_output": randn(1, 2, 2, 2), "grad": randn(1, 2, 2, 3)},
        {"ksize": [1, 2, 2, 1], "strides": [1, 2, 2, 1], "padding": "VALID"},
        sid="max-pool-grad-shape",
    ),
    _fed("RandomUniform", {"shape": np.array([2, -3], np.int32)}, {"dtype": "dtype:float32"}, sid="rand-neg"),
    _fed("RandomUniformInt", {"shape": np.array([3], np.int32), "minval": np.int32(5), "maxval": np.int32(3)}),
    _fed("Multinomial", {"logits": randn(2, 0), "num_samples": np.int32(2)}, sid="multinomial-classes"),
    _fed("Multinomial", {"logits": randn(2, 3), "num_samples": np.int32(-1)}, sid="multinomial-negative"),
]


@pytest.mark.parametrize("sample", ERROR_SAMPLES, ids=lambda s: s.id)
def test_runtime_errors_match_tf(tf1, sample):
    kind, message = _tf_error(tf1, sample)
    with pytest.raises(tm.errors.OpError) as ours:
        run_tm(sample)
    assert type(ours.value).__name__ == kind
    assert message in str(ours.value)


# ---------------------------------------------------------------------------------------------
# Autograd through the kernels (float64 finite differences)


def _t(*shape):
    return torch.tensor(randn(*shape).astype(np.float64), requires_grad=True)


GRAD_CASES = {
    "conv2d-same-asymmetric": lambda: (
        lambda x, w: conv_ops.conv2d(x, w, [1, 2, 2, 1], "SAME", [], "NHWC", [1, 1, 1, 1]),
        (_t(1, 5, 4, 2), _t(2, 3, 2, 3)),
    ),
    "conv2d-nchw-dilated": lambda: (
        lambda x, w: conv_ops.conv2d(x, w, [1, 1, 1, 1], "SAME", [], "NCHW", [1, 1, 2, 2]),
        (_t(1, 2, 5, 5), _t(3, 3, 2, 2)),
    ),
    "depthwise": lambda: (
        lambda x, w: conv_ops.depthwise_conv2d_native(x, w, [1, 1, 1, 1], "SAME", [], "NHWC", [1, 1, 1, 1]),
        (_t(1, 4, 4, 2), _t(2, 2, 2, 3)),
    ),
    "max_pool-same": lambda: (
        lambda x: pool_ops.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME", [], "NHWC"),
        (_t(1, 5, 5, 2),),
    ),
    "avg_pool-same-asymmetric": lambda: (
        lambda x: pool_ops.avg_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME", "NHWC"),
        (_t(1, 5, 5, 2),),
    ),
    "fused_batch_norm-train": lambda: (
        lambda x, s, o: nn_ops.fused_batch_norm_v3(x, s, o, torch.zeros(0), torch.zeros(0), 1e-3, 1.0, "NHWC", True)[
            :3
        ],
        (_t(2, 3, 3, 2), _t(2), _t(2)),
    ),
    "softmax_xent": lambda: (
        lambda f, lab: nn_ops.softmax_cross_entropy_with_logits(f, lab),
        (_t(3, 4), _t(3, 4)),
    ),
    "sparse_softmax_xent": lambda: (
        lambda f: nn_ops.sparse_softmax_cross_entropy_with_logits(f, torch.tensor([0, 3, 1])),
        (_t(3, 4),),
    ),
    "lrn": lambda: (
        lambda x: nn_ops.lrn(x, 2, 1.0, 0.5, 0.75),
        (_t(1, 2, 2, 6),),
    ),
    "bias_add-nchw": lambda: (lambda v, b: nn_ops.bias_add(v, b, "NCHW"), (_t(2, 3, 2), _t(3))),
    "top_kv2": lambda: (lambda x: nn_ops.top_kv2(x, torch.tensor(2), tm.int32)[0], (_t(3, 5),)),
}


@pytest.mark.parametrize("case", list(GRAD_CASES))
def test_kernels_are_differentiable(case):
    fn, args = GRAD_CASES[case]()
    assert torch.autograd.gradcheck(fn, args, eps=1e-6, atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_sparse_xent_bad_label_gives_nan_on_gpu():
    """TF's GPU kernel gives NaN rows for out-of-range labels instead of failing; so do we off CPU."""
    features = torch.randn(3, 4, device="cuda")
    loss, backprop = nn_ops.sparse_softmax_cross_entropy_with_logits(features, torch.tensor([0, 7, 1], device="cuda"))
    assert torch.isnan(loss[1]) and torch.isnan(backprop[1]).all()
    assert torch.isfinite(loss[[0, 2]]).all()


@pytest.mark.parametrize("op", ["ReluGrad", "LeakyReluGrad"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_relu_grads_are_tfs_bit_for_bit(tf1, op, dtype):
    """The one-pass kernels (torch's leaky_relu_backward) give TF's bits, signed zeros and NaNs included:
    g * 0 where the feature is not > 0 (-0 for a negative g, NaN for an infinite or NaN g, also for a NaN
    feature), g itself where it is."""
    edges = [-np.inf, -2.0, -0.0, 0.0, 1e-30, 3.0, np.inf, np.nan]
    g, f = np.meshgrid(np.array([*edges, -1.5, 0.5], dtype), np.array(edges, dtype))
    g, f = g.reshape(-1), f.reshape(-1)
    attrs = {"alpha": 0.25} if op == "LeakyReluGrad" else {}
    with tf1.Graph().as_default(), tf1.Session() as sess:
        want = sess.run(getattr(tf1.raw_ops, op)(gradients=g, features=f, **attrs))
    got = getattr(nn_ops, "relu_grad" if op == "ReluGrad" else "leaky_relu_grad")(
        torch.from_numpy(g), torch.from_numpy(f), **attrs
    ).numpy()
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_relu_grad_in_place_is_tfs_bit_for_bit(tf1, dtype):
    """``relu_grad_`` (ReluGrad over a private gradient, runtime/specialize.py) gives TF's bits, signed
    zeros and NaNs included, written over ``gradients``."""
    edges = [-np.inf, -2.0, -0.0, 0.0, 1e-30, 3.0, np.inf, np.nan]
    g, f = np.meshgrid(np.array([*edges, -1.5, 0.5], dtype), np.array(edges, dtype))
    g, f = g.reshape(-1), f.reshape(-1)
    with tf1.Graph().as_default(), tf1.Session() as sess:
        want = sess.run(tf1.raw_ops.ReluGrad(gradients=g, features=f))
    gradients = torch.from_numpy(g.copy())
    got = nn_ops.relu_grad_(gradients, torch.from_numpy(f))
    assert got is gradients or got.data_ptr() == gradients.data_ptr()
    got = got.numpy()
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    np.testing.assert_array_equal(got, want)


def test_relu_grad_in_place_keeps_other_layouts_apart():
    """Where writing over ``gradients`` would not be ReluGrad's one pass in the features' layout (a
    gradient in another memory layout, e.g. a cropped convolution gradient), ``relu_grad_`` returns
    ``relu_grad``'s new tensor; ReluGrad(x, x) is written over x."""
    f = torch.randn(2, 3, 4, 5)
    g_other_layout = torch.randn(2, 5, 3, 4).permute(0, 2, 3, 1)
    before = g_other_layout.clone()
    want = nn_ops.relu_grad(g_other_layout, f)
    got = nn_ops.relu_grad_(g_other_layout, f)
    assert got.data_ptr() != g_other_layout.data_ptr() and torch.equal(got, want)
    assert torch.equal(g_other_layout, before)
    same = torch.randn(3, 4)  # ReluGrad(x, x): each element read before it is written
    want = nn_ops.relu_grad(same.clone(), same.clone())
    assert torch.equal(nn_ops.relu_grad_(same, same), want)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_sparse_xent_backprop_is_the_one_hot_difference_bit_for_bit(monkeypatch, dtype):
    """On the CPU the torch path's backprop subtracts the one-hot by adding -1 at each label (one scatter_add_):
    the same bits as softmax minus the one-hot (the sample tests compare both outputs with TF's; float32 runs
    the native kernel where it builds, test_xent_native.py)."""
    native_helpers.use_torch_path(xent_native, monkeypatch)
    features = torch.randn(37, 11, generator=torch.Generator().manual_seed(0)).to(dtype)
    labels = torch.randint(0, 11, (37,), generator=torch.Generator().manual_seed(1))
    loss, backprop = nn_ops.sparse_softmax_cross_entropy_with_logits(features, labels.int())
    log_p = torch.log_softmax(features, -1)
    assert backprop.dtype == dtype
    assert torch.equal(backprop, torch.exp(log_p) - torch.nn.functional.one_hot(labels, 11))
    assert torch.equal(loss, -log_p.gather(1, labels.unsqueeze(1)).squeeze(1))
