"""The direct path of float32 NHWC convolutions on the CPU (conv_ops.direct_geometry): a training step's Conv2D and
fused input + filter gradient call torch's oneDNN kernels with the geometry worked out once per shape, and the
filter copied once into the layout those kernels read (conv_ops._oihw; kept on the filter for the step's gradients
where specialization marks it never fed). The same torch calls on the same arguments as the generic path: the same
values bit for bit. Values against TF: tests/runtime/test_specialize_conv.py and the op sample tests."""

import pytest
import torch

from torchmeta.errors import InvalidArgumentError
from torchmeta.ops import conv_grad_ops, conv_ops

# (input shape NHWC, filter shape HWIO, strides, padding)
GEOMETRIES = {
    "3x3-s1-same": ((2, 8, 8, 5), (3, 3, 5, 4), [1, 1, 1, 1], "SAME"),
    "3x3-s1-valid": ((2, 9, 7, 5), (3, 3, 5, 4), [1, 1, 1, 1], "VALID"),
    "3x3-s2-same-even": ((2, 8, 8, 5), (3, 3, 5, 4), [1, 2, 2, 1], "SAME"),
    "3x3-s2-same-odd": ((2, 9, 9, 5), (3, 3, 5, 4), [1, 2, 2, 1], "SAME"),
    "4x4-s2-same-odd": ((2, 9, 9, 3), (4, 4, 3, 4), [1, 2, 2, 1], "SAME"),
    "2x3-s2x1-same": ((2, 8, 7, 3), (2, 3, 3, 6), [1, 2, 1, 1], "SAME"),
    "5x5-s1-same-wide": ((1, 7, 7, 32), (5, 5, 32, 32), [1, 1, 1, 1], "SAME"),
    "3x3-s2-valid-even": ((2, 8, 8, 3), (3, 3, 3, 4), [1, 2, 2, 1], "VALID"),
}


def _attrs(strides, padding):
    return dict(strides=strides, padding=padding, explicit_paddings=[], data_format="NHWC", dilations=[1, 1, 1, 1])


def _generic(monkeypatch):
    """The generic path only (the direct one off)."""
    monkeypatch.setattr(conv_ops, "direct_geometry", lambda *args: None)


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_direct_path_is_taken_and_bit_identical_to_the_generic_path(name, monkeypatch):
    monkeypatch.setattr(conv_ops, "CPU_FLAGS", frozenset({"avx512f", "avx2", "fma"}))  # (the same on every machine)
    x_shape, f_shape, strides, padding = GEOMETRIES[name]
    attrs = _attrs(strides, padding)
    gen = torch.Generator().manual_seed(3)
    x, w = torch.randn(x_shape, generator=gen), torch.randn(f_shape, generator=gen)
    assert conv_ops.direct_geometry(x, w, strides, padding, "NHWC", [1, 1, 1, 1]) is not None
    y = conv_ops.conv2d_keeping_padded_and_filter(x, w, **attrs)
    dy = torch.randn(y.shape, generator=gen)
    dx, dw = conv_grad_ops.conv2d_backprop_input_and_filter(x, w, dy, **attrs, keep_filter=True)
    _generic(monkeypatch)
    fresh = x.clone()  # (no padded copy kept on it)
    torch.testing.assert_close(y, conv_ops.conv2d(fresh, w, **attrs), rtol=0, atol=0)
    ref_dx, ref_dw = conv_grad_ops.conv2d_backprop_input_and_filter(fresh, w, dy, **attrs)
    assert dx.shape == ref_dx.shape and dw.shape == ref_dw.shape == w.shape
    torch.testing.assert_close(dx, ref_dx, rtol=0, atol=0)
    torch.testing.assert_close(dw, ref_dw, rtol=0, atol=0)


def test_kept_filter_copy_serves_the_gradients_until_the_filter_changes():
    """With ``keep_filter`` the forward's copy of the filter is the gradients' (one copy a step); an in-place update
    of the filter (an optimizer's: its version changes) makes a new one, and the results follow the new values."""
    attrs = _attrs([1, 2, 2, 1], "SAME")
    x, w, dy = torch.randn(2, 8, 8, 3), torch.randn(3, 3, 3, 4), torch.randn(2, 4, 4, 4)
    conv_ops.conv2d_keeping_filter(x, w, **attrs)
    kept = w._tm_oihw[1]
    conv_grad_ops.conv2d_backprop_input_and_filter(x, w, dy, **attrs, keep_filter=True)
    assert w._tm_oihw[1] is kept
    w.mul_(0.5)
    y = conv_ops.conv2d_keeping_filter(x, w, **attrs)
    assert w._tm_oihw[1] is not kept
    torch.testing.assert_close(y, conv_ops.conv2d(x, w.clone(), **attrs), rtol=0, atol=0)
    dx, _ = conv_grad_ops.conv2d_backprop_input_and_filter(x, w, dy, **attrs, keep_filter=True)
    torch.testing.assert_close(dx, conv_grad_ops.conv2d_backprop_input_and_filter(x, w.clone(), dy, **attrs)[0])


def test_unmarked_convolutions_keep_no_filter_copy():
    attrs = _attrs([1, 1, 1, 1], "SAME")
    x, w, dy = torch.randn(2, 8, 8, 3), torch.randn(3, 3, 3, 4), torch.randn(2, 8, 8, 4)
    conv_ops.conv2d(x, w, **attrs)
    conv_grad_ops.conv2d_backprop_input_and_filter(x, w, dy, **attrs)
    assert not hasattr(w, "_tm_oihw")


@pytest.mark.parametrize(
    "case",
    [
        dict(dtype=torch.float64),
        dict(requires_grad=True),
        dict(f_shape=(1, 1, 3, 4)),  # (the product paths)
        dict(f_shape=(3, 3, 1, 4)),  # grouped
        dict(dilations=[1, 2, 2, 1]),
        dict(data_format="NCHW"),
        dict(padding="EXPLICIT"),
        dict(x_shape=(2, 2, 2, 3), padding="VALID"),  # an empty result
    ],
    ids=lambda c: "-".join(f"{k}" for k in c),
)
def test_other_convolutions_take_the_generic_path(case):
    x = torch.randn(case.get("x_shape", (2, 8, 8, 3)), dtype=case.get("dtype", torch.float32))
    w = torch.randn(case.get("f_shape", (3, 3, 3, 4)), dtype=x.dtype, requires_grad=case.get("requires_grad", False))
    geometry = conv_ops.direct_geometry(
        x, w, [1, 1, 1, 1], case.get("padding", "SAME"), case.get("data_format", "NHWC"), case.get("dilations", [1] * 4)
    )
    assert geometry is None


def test_windows_an_avx2_cpu_may_pad_first_take_the_generic_path(monkeypatch):
    """On an AVX2 CPU without AVX-512, 5x5 windows with 32 channels may run on a padded copy (conv_ops._pads_first):
    the generic path decides there."""
    x, w = torch.randn(1, 7, 7, 32), torch.randn(5, 5, 32, 32)
    monkeypatch.setattr(conv_ops, "CPU_FLAGS", frozenset({"avx2", "fma"}))
    assert conv_ops.direct_geometry(x, w, [1, 1, 1, 1], "SAME", "NHWC", [1, 1, 1, 1]) is None
    assert conv_ops.direct_geometry(x, w[:3, :3], [1, 1, 1, 1], "SAME", "NHWC", [1, 1, 1, 1]) is not None


def test_an_out_backprop_of_the_wrong_size_raises_tfs_error():
    attrs = _attrs([1, 2, 2, 1], "SAME")
    x, w = torch.randn(2, 8, 8, 3), torch.randn(3, 3, 3, 4)
    with pytest.raises(InvalidArgumentError, match="Size of out_backprop doesn't match computed"):
        conv_grad_ops.conv2d_backprop_input_and_filter(x, w, torch.randn(2, 5, 4, 4), **attrs)
