"""MaxPoolGrad under torch.compile (ConfigProto(torch_compile=True)): windows that tile the input (stride =
window, no padding before the first row and column) take the element-wise form (pool_ops._tiled_max_pool_grad)
instead of inductor's scatter; its gradients are TensorFlow's and, bit for bit, the eager kernels' (ties, NaN and
-inf under TF's two rules and torch's, a -0.0 gradient, SAME's padding after the data, VALID's rows past the last
window, the ReluGrad specialization fuses)."""

import numpy as np
import pytest
import torch

from torchmeta.ops import nn_ops, pool_ops


def _compiled_max_pool_grad(monkeypatch, x, y, dy, attrs, kernel=pool_ops.max_pool_grad):
    """``kernel`` traced and compiled as one graph, and how often the tiled form was traced."""
    traced = []
    tiled = pool_ops._tiled_max_pool_grad

    def counting(*args, **kwargs):
        traced.append(args[2:4])
        return tiled(*args, **kwargs)

    monkeypatch.setattr(pool_ops, "_tiled_max_pool_grad", counting)
    torch._dynamo.reset()
    fn = torch.compile(lambda x, y, dy: kernel(x, y, dy, **attrs), fullgraph=True, dynamic=False)
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
    yt = pool_ops.max_pool(xt, **attrs)
    np.testing.assert_array_equal(yt.numpy(), y_tf)
    got, traced = _compiled_max_pool_grad(monkeypatch, xt, yt, dyt, attrs)
    assert traced == 1, "the tiled form was not taken"
    np.testing.assert_array_equal(got.numpy(), expected)  # one gradient per input element: no sums to reorder
    _assert_bitwise(got, pool_ops.max_pool_grad(xt, yt, dyt, **attrs))


@pytest.mark.slow
@pytest.mark.parametrize(
    "data_format,dtype,padding,kernel",
    [
        ("NHWC", torch.float32, "SAME", "max_pool_grad"),  # oneDNN's rule: NaN and -inf as -FLT_MAX
        ("NCHW", torch.float32, "SAME", "max_pool_grad"),
        ("NHWC", torch.float32, "EXPLICIT", "max_pool_grad"),  # the Eigen helper's: NaN never wins but first
        ("NHWC", torch.float64, "SAME", "max_pool_grad"),  # TF runs double by the Eigen helper too
        ("NHWC", torch.float32, "SAME", "max_pool_grad_relu"),  # specialization's MaxPoolGrad + ReluGrad
    ],
)
def test_compiled_max_pool_grad_breaks_ties_and_nan_as_the_eager_kernel(
    monkeypatch, data_format, dtype, padding, kernel
):
    torch.manual_seed(0)
    x = torch.randint(-2, 3, (3, 5, 7, 9)).to(dtype)  # NCHW, many ties
    x[0, 0, 0, 1] = x[0, 0, 1, 1] = float("nan")  # two NaN in one window
    x[0, 1, 0, 0] = float("nan")  # NaN first in its window
    x[1, 1, 2:4, 2:4] = float("-inf")  # a window of -inf only
    x[2, 2, 4, 5] = float("nan")
    hw = (1, 2) if data_format == "NHWC" else (2, 3)  # H and W
    window = [1, 1, 1, 1]
    window[hw[0]] = window[hw[1]] = 2
    pads = [0] * 8
    pads[2 * hw[0] + 1] = pads[2 * hw[1] + 1] = 1  # after the data, as SAME pads 7 x 9
    attrs = dict(
        ksize=window,
        strides=window,
        padding=padding,
        explicit_paddings=pads if padding == "EXPLICIT" else [],
        data_format=data_format,
    )
    if data_format == "NHWC":
        x = x.permute(0, 2, 3, 1).contiguous()
    y = pool_ops.max_pool(x, **attrs)
    dy = torch.randn(y.shape, dtype=dtype)
    dy.view(-1)[::7] = -0.0  # added to zeros by the eager kernel: 0.0
    got, traced = _compiled_max_pool_grad(monkeypatch, x, y, dy, attrs, getattr(pool_ops, kernel))
    assert traced == 1
    expected = pool_ops.max_pool_grad(x, y, dy, **attrs)
    if kernel == "max_pool_grad_relu":  # as the two ops run: TF's ReluGrad keeps -0.0 for a negative gradient
        expected = nn_ops.relu_grad(expected, x)
    _assert_bitwise(got, expected)
