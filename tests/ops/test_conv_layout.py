"""NHWC convolutions, pooling and batch norm run in torch's channels_last memory format end to end:
each kernel views its NHWC tensors as NCHW without copying them (a channels_last tensor), torch's
oneDNN kernels run on that layout as it is, and the result comes back NHWC and contiguous. A copy of
an activation per op (what "layout churn" was) shows as an aten::copy_ in the profile. The values of
these kernels are checked against TensorFlow by the op sample and gradient tests."""

import pytest
import torch
from torch.profiler import profile

from torchmeta.ops import conv_grad_ops, conv_ops, nn_ops, pool_ops

N, H, W, C, K = 4, 12, 12, 8, 16
CONV = dict(strides=[1, 1, 1, 1], padding="SAME", explicit_paddings=[], data_format="NHWC", dilations=[1, 1, 1, 1])
POOL = dict(ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID", explicit_paddings=[], data_format="NHWC")
BN = dict(epsilon=1e-3, data_format="NHWC")


def _x(c=C, h=H):
    return torch.randn(N, h, h, c)


def _cases():
    x, w, dy = _x(), torch.randn(3, 3, C, K), _x(K)
    w1 = torch.randn(1, 1, C, K)
    pooled = pool_ops.max_pool(x, **POOL)
    scale, offset = torch.rand(C) + 0.5, torch.randn(C)
    mean, var = torch.randn(C), torch.rand(C) + 0.5
    return {
        "Conv2D": lambda: conv_ops.conv2d(x, w, **CONV),
        "Conv2D-1x1": lambda: conv_ops.conv2d(x, w1, **CONV),
        "Conv2DBackpropInput": lambda: conv_grad_ops.conv2d_backprop_input(torch.tensor([N, H, W, C]), w, dy, **CONV),
        "Conv2DBackpropFilter": lambda: conv_grad_ops.conv2d_backprop_filter(x, torch.tensor([3, 3, C, K]), dy, **CONV),
        "Conv2DBackpropInput+Filter": lambda: conv_grad_ops.conv2d_backprop_input_and_filter(x, w, dy, **CONV),
        "Conv2D+BiasAdd+Relu": lambda: conv_ops.conv2d_bias_relu(x, w, torch.randn(K), relu=True, **CONV),
        "Conv2D+FusedBatchNorm+AddV2+Relu": lambda: conv_ops.conv2d_batch_norm_relu(
            x,
            w,
            torch.rand(K) + 0.5,
            torch.randn(K),
            torch.randn(K),
            torch.rand(K) + 0.5,
            dy,
            epsilon=1e-3,
            relu=True,
            **CONV,
        ),
        "MaxPool": lambda: pool_ops.max_pool(x, **POOL),
        "MaxPoolGrad": lambda: pool_ops.max_pool_grad(x, pooled, torch.randn(pooled.shape), **POOL),
        "FusedBatchNormV3-training": lambda: nn_ops.fused_batch_norm_v3(
            x, scale, offset, mean, var, exponential_avg_factor=1.0, is_training=True, **BN
        ),
        "FusedBatchNormV3-inference": lambda: nn_ops.fused_batch_norm_v3(
            x, scale, offset, mean, var, exponential_avg_factor=1.0, is_training=False, **BN
        ),
        "FusedBatchNormGradV3": lambda: nn_ops.fused_batch_norm_grad_v3(
            x, x, scale, mean, var, torch.empty(0), is_training=True, **BN
        ),
    }


@pytest.mark.parametrize("name", sorted(_cases()))
def test_nhwc_kernels_copy_no_activation_and_return_nhwc(name):
    run = _cases()[name]
    run()
    with profile(record_shapes=True) as prof:
        out = run()
    first = out[0] if isinstance(out, tuple) else out
    if first.dim() == 4 and name != "Conv2DBackpropFilter":
        assert first.is_contiguous(), "the NHWC result is a contiguous NHWC tensor"
    copies = [
        e.input_shapes[0]
        for e in prof.events()
        if e.name in ("aten::copy_", "aten::contiguous", "aten::clone")
        and e.input_shapes
        and len(e.input_shapes[0]) == 4
        and e.input_shapes[0][0] == N  # an activation (filters are small and reordered by oneDNN)
    ]
    assert copies == [], f"{name} copied activations: {copies}"


def _pointwise_cases():
    x, w1, dy = _x(), torch.randn(1, 1, C, K), _x(K)
    return {
        "Conv2D": lambda: conv_ops.conv2d(x, w1, **CONV),
        "Conv2DBackpropInput": lambda: conv_grad_ops.conv2d_backprop_input(torch.tensor([N, H, W, C]), w1, dy, **CONV),
        "Conv2DBackpropFilter": lambda: conv_grad_ops.conv2d_backprop_filter(x, torch.tensor([1, 1, C, K]), dy, **CONV),
        "Conv2DBackpropInput+Filter": lambda: conv_grad_ops.conv2d_backprop_input_and_filter(x, w1, dy, **CONV),
    }


@pytest.mark.parametrize("name", sorted(_pointwise_cases()))
def test_1x1_convolutions_and_their_gradients_are_matmuls(name):
    """A 1x1 stride-1 NHWC convolution is a product of the input's rows by the [in, out] filter; so are its
    gradients. They run as aten::mm on the CPU (faster there than oneDNN's 1x1 convolution); the values are
    TF's (the 1x1 op samples)."""
    with profile() as prof:
        out = _pointwise_cases()[name]()
    names = {e.name for e in prof.events()}
    assert "aten::mm" in names
    assert not any("convolution" in n for n in names), sorted(names)
    x, w1 = _x(), torch.randn(1, 1, C, K)
    ref = torch.nn.functional.conv2d(x.permute(0, 3, 1, 2), w1.permute(3, 2, 0, 1)).permute(0, 2, 3, 1)
    got = conv_ops.conv2d(x, w1, **CONV)
    torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-5)
    assert out is not None


@pytest.mark.parametrize("channels", [3, 4, 16])
def test_strided_1x1_filter_gradients_are_right_on_every_call(channels):
    """The filter gradient of a 1x1 stride-2 convolution of a channels_last input, alone and with the input
    gradient, call after call: torch 2.13's oneDNN kernel returned a wrong one in about half the calls with 3 or 4
    input channels on an AVX2-only AMD EPYC, so it runs as a product (conv_grad_ops._strided_pointwise_filter_grad).
    Against float64 sums of the strided pixels."""
    strided = dict(CONV, strides=[1, 2, 2, 1])
    generator = torch.Generator().manual_seed(channels)
    for _ in range(40):
        x = torch.randn(4, 10, 10, channels, generator=generator)
        w = torch.randn(1, 1, channels, 8, generator=generator)
        dy = torch.randn(4, 5, 5, 8, generator=generator)
        want = torch.einsum("nhwc,nhwo->co", x[:, ::2, ::2].double(), dy.double()).reshape(1, 1, channels, 8)
        alone = conv_grad_ops.conv2d_backprop_filter(x, torch.tensor([1, 1, channels, 8]), dy, **strided)
        _, both = conv_grad_ops.conv2d_backprop_input_and_filter(x, w, dy, **strided)
        for got in (alone, both):
            torch.testing.assert_close(got.double(), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "hw, stride, padding", [((8, 8), 2, "SAME"), ((7, 9), 2, "VALID"), ((9, 10), 3, "SAME")], ids=str
)
def test_strided_1x1_convolutions_are_matmuls_with_tf_values(tf1, hw, stride, padding):
    """A 1x1 NHWC convolution with a stride above 1 (ResNet's projections) is the product of its input's strided
    pixels' rows by the [in, out] filter, and its input gradient that product's transpose written to those pixels
    (conv_ops.strided_pointwise): aten::mm, no convolution. Forward and both gradients against TF's ops."""
    attrs = dict(CONV, strides=[1, stride, stride, 1], padding=padding)
    torch.manual_seed(stride)
    x, w = torch.randn(3, *hw, C), torch.randn(1, 1, C, K)
    out_hw = [-(-size // stride) for size in hw]
    dy = torch.randn(3, *out_hw, K)
    with profile() as prof:
        y = conv_ops.conv2d(x, w, **attrs)
        dx, dw = conv_grad_ops.conv2d_backprop_input_and_filter(x, w, dy, **attrs)
    names = {e.name for e in prof.events()}
    assert "aten::mm" in names and not any("convolution" in n for n in names), sorted(names)
    kw = dict(strides=attrs["strides"], padding=padding)
    xs, ws, dys = (tf1.constant(t.numpy()) for t in (x, w, dy))
    ops = [
        tf1.raw_ops.Conv2D(input=xs, filter=ws, **kw),
        tf1.raw_ops.Conv2DBackpropInput(input_sizes=list(x.shape), filter=ws, out_backprop=dys, **kw),
        tf1.raw_ops.Conv2DBackpropFilter(input=xs, filter_sizes=list(w.shape), out_backprop=dys, **kw),
    ]
    with tf1.Session() as sess:
        refs = sess.run(ops)
    assert y.is_contiguous() and dx.is_contiguous()
    for ours, theirs in zip((y, dx, dw), refs):
        torch.testing.assert_close(ours, torch.from_numpy(theirs), rtol=1e-5, atol=1e-5)
