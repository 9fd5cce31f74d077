"""MaxPoolGrad under torch.compile (ConfigProto(torch_compile=True)): windows that tile the input (stride =
window, no padding before the first row and column) take the element-wise form (conv_ops._tiled_max_pool_grad)
instead of inductor's scatter; its gradients are TensorFlow's and, bit for bit, the eager kernel's (ties, NaN,
-inf, a -0.0 gradient, SAME's padding after the data, VALID's rows past the last window)."""

import numpy as np
import pytest
import torch

from torchmeta.ops import conv_ops


def _compiled_max_pool_grad(monkeypatch, x, y, dy, attrs):
    """conv_ops.max_pool_grad traced and compiled as one graph, and how often the tiled form was traced."""
    traced = []
    tiled = conv_ops._tiled_max_pool_grad

    def counting(*args):
        traced.append(args[2:4])
        return tiled(*args)

    monkeypatch.setattr(conv_ops, "_tiled_max_pool_grad", counting)
    torch._dynamo.reset()
    fn = torch.compile(lambda x, y, dy: conv_ops.max_pool_grad(x, y, dy, **attrs), fullgraph=True, dynamic=False)
    return fn(x, y.clone(), dy), len(traced)  # y.clone(): a traced output keeps no eager argmax


def _assert_bitwise(got, expected):
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert torch.equal(got, expected) and torch.equal(torch.signbit(got), torch.signbit(expected))


@pytest.mark.slow
@pytest.mark.parametrize(
    "size,window,padding",
    [((7, 9), 2, "SAME"), ((7, 9), 2, "VALID"), ((8, 8), 3, "VALID"), ((6, 8), 3, "SAME")],
)
def test_compiled_max_pool_grad_of_tiling_windows_is_tensorflows_and_eagers(tf1, monkeypatch, size, window, padding):
    rng = np.random.default_rng(0)
    x_value = np.maximum(rng.standard_normal((2, *size, 5)), 0).astype(np.float32)  # relu-like ties at 0
    attrs = dict(
        ksize=[1, window, window, 1],
        strides=[1, window, window, 1],
        padding=padding,
        explicit_paddings=[],
        data_format="NHWC",
    )
    x = tf1.placeholder(tf1.float32, x_value.shape)
    y = tf1.nn.max_pool(x, attrs["ksize"], attrs["strides"], padding)
    dy_value = rng.standard_normal([int(d) for d in y.shape]).astype(np.float32)
    (gx,) = tf1.gradients(y, [x], grad_ys=tf1.constant(dy_value))
    with tf1.Session() as sess:
        y_tf, expected = sess.run([y, gx], {x: x_value})

    xt, dyt = torch.from_numpy(x_value), torch.from_numpy(dy_value)
    yt = conv_ops.max_pool(xt, **attrs)
    np.testing.assert_array_equal(yt.numpy(), y_tf)
    got, traced = _compiled_max_pool_grad(monkeypatch, xt, yt, dyt, attrs)
    assert traced == 1, "the tiled form was not taken"
    np.testing.assert_array_equal(got.numpy(), expected)  # one gradient per input element: no sums to reorder
    _assert_bitwise(got, conv_ops.max_pool_grad(xt, yt, dyt, **attrs))


@pytest.mark.slow
@pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
def test_compiled_max_pool_grad_breaks_ties_and_nan_as_the_eager_kernel(monkeypatch, data_format):
    torch.manual_seed(0)
    x = torch.randint(-2, 3, (3, 5, 7, 9)).float()  # NCHW, many ties
    x[0, 0, 0, 1] = x[0, 0, 1, 1] = float("nan")  # two NaN in one window: torch's argmax is the later one
    x[1, 1, 2:4, 2:4] = float("-inf")  # a window of -inf only
    x[2, 2, 4, 5] = float("nan")
    hw = (1, 2) if data_format == "NHWC" else (2, 3)  # H and W
    window = [1, 1, 1, 1]
    window[hw[0]] = window[hw[1]] = 2
    attrs = dict(ksize=window, strides=window, padding="SAME", explicit_paddings=[], data_format=data_format)
    if data_format == "NHWC":
        x = x.permute(0, 2, 3, 1).contiguous()
    y = conv_ops.max_pool(x, **attrs)
    dy = torch.randn(y.shape)
    dy.view(-1)[::7] = -0.0  # added to zeros by the eager kernel: 0.0
    got, traced = _compiled_max_pool_grad(monkeypatch, x, y, dy, attrs)
    assert traced == 1
    _assert_bitwise(got, conv_ops.max_pool_grad(x, y, dy, **attrs))
