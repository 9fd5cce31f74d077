"""An optional native kernel for depthwise convolutions (channel multiplier 1) on NHWC float32 CPU tensors.

torch runs a depthwise convolution as a grouped oneDNN convolution, which takes only symmetric padding: TF's
SAME padding of a stride-2 window (one more row and column after than before) costs a padded copy of the
input, and torch's depthwise gradients are 2-3x slower than TF's on MobileNet's stride-2 layers.
_depthwise_native.c computes the forward (bias and Relu optional), the input gradient and the filter gradient
with the channel axis innermost, skipping the taps that fall into the padding; for stride-1 3x3 SAME layers,
where the CPU has AVX-512 (``stride1()``), register-blocked row sweeps that compute both gradients in one
pass over out_backprop (``backprop_input_and_filter``). It is an accelerator: built and
cached by torchmeta.ops.native_build; where it cannot be built (no compiler, ``TORCHMETA_NATIVE=0``), or for
other dtypes, layouts, devices, dilations or multipliers, or autograd, each entry point returns None and the
caller runs its torch path (the same values within float32 rounding; tests/ops/test_depthwise_native.py
compares both with TF). Each is also a custom op (``torch.ops.torchmeta.depthwise_*``), which a step traced by
torch.compile calls (``native_build.custom_op``). Calls release the GIL (ctypes) and split their work over
torch's intra-op thread count.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import torch

from torchmeta.ops import native_build

__all__ = ["available", "stride1", "forward", "backprop_input", "backprop_filter", "backprop_input_and_filter"]

_SOURCE = Path(__file__).with_name("_depthwise_native.c")


def _declare(lib) -> None:
    p, i64, i32 = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int
    geometry = [i64] * 12 + [i32]  # N, H, W, C, KH, KW, OH, OW, sh, sw, top, left; threads
    lib.tm_depthwise_forward.argtypes = [p, p, p, i32, p, *geometry]
    lib.tm_depthwise_backprop_input.argtypes = [p, p, p, *geometry]
    lib.tm_depthwise_backprop_filter.argtypes = [p, p, p, p, *geometry]
    lib.tm_depthwise_backprop_both.argtypes = [p, p, p, p, p, p, *geometry]
    lib.tm_depthwise_use_stride1.argtypes = [i32]
    lib.tm_depthwise_stride1.argtypes = []
    lib.tm_depthwise_stride1.restype = i32
    for f in (
        lib.tm_depthwise_forward,
        lib.tm_depthwise_backprop_input,
        lib.tm_depthwise_backprop_filter,
        lib.tm_depthwise_backprop_both,
        lib.tm_depthwise_use_stride1,
    ):
        f.restype = None


library = native_build.Library(_SOURCE, "depthwise", _declare)


available = library.available


@torch.compiler.assume_constant_result  # traced: answered once, a constant of the graph (a ctypes call breaks it)
def stride1() -> bool:
    """Whether the kernel's stride-1 3x3 SAME code runs here (AVX-512): only then is it faster than torch's
    oneDNN kernels for such layers."""
    lib = library.load()
    return lib is not None and bool(lib.tm_depthwise_stride1())


def _fits(*tensors, rank=4) -> bool:
    return native_build.plain_float32(*tensors) and all(t.dim() == rank for t in tensors)


def _applies(x_shape, filter_shape, strides, dilations, data_format) -> bool:
    """An NHWC input of ``x_shape``, a [KH, KW, C, 1] filter (multiplier 1), unit dilations and batch/depth
    strides."""
    return (
        data_format == "NHWC"
        and len(x_shape) == 4
        and len(filter_shape) == 4
        and filter_shape[3] == 1
        and filter_shape[2] == x_shape[3]
        and min(filter_shape[0], filter_shape[1]) > 0
        and filter_shape[0] * filter_shape[1] <= 64  # the C kernel's MAX_TAPS
        and len(strides) == 4
        and strides[0] == 1
        and strides[3] == 1
        and strides[1] > 0
        and strides[2] > 0
        and list(dilations) == [1, 1, 1, 1]
    )


def _geometry(x_shape, filter_shape, dy_hw, strides, top, left):
    n, h, w, c = x_shape
    return (n, h, w, c, filter_shape[0], filter_shape[1], dy_hw[0], dy_hw[1], strides[1], strides[2], top, left)


def _threads() -> int:
    return max(1, torch.get_num_threads())


# The kernels as custom ops (native_build.custom_op): ``geometry`` is _geometry's 12 ints; the thread count is
# read when they run (a traced step must not keep the one it was traced with).


def _forward_kernel(
    x: torch.Tensor, filter: torch.Tensor, bias: torch.Tensor | None, relu: bool, geometry: list[int]
) -> torch.Tensor:
    y = torch.empty((geometry[0], geometry[6], geometry[7], geometry[3]), dtype=torch.float32)
    library.load().tm_depthwise_forward(
        x.data_ptr(),
        filter.data_ptr(),
        None if bias is None else bias.data_ptr(),
        1 if relu else 0,
        y.data_ptr(),
        *geometry,
        _threads(),
    )
    return y


def _forward_fake(x, filter, bias, relu, geometry):
    return x.new_empty((geometry[0], geometry[6], geometry[7], geometry[3]))


def _backprop_input_kernel(dy: torch.Tensor, filter: torch.Tensor, geometry: list[int]) -> torch.Tensor:
    dx = torch.empty(tuple(geometry[:4]), dtype=torch.float32)
    library.load().tm_depthwise_backprop_input(dy.data_ptr(), filter.data_ptr(), dx.data_ptr(), *geometry, _threads())
    return dx


def _backprop_input_fake(dy, filter, geometry):
    return dy.new_empty(tuple(geometry[:4]))


def _backprop_filter_kernel(x: torch.Tensor, dy: torch.Tensor, geometry: list[int]) -> torch.Tensor:
    kh, kw, c = geometry[4], geometry[5], geometry[3]
    threads = min(_threads(), 64, dy.shape[0] * dy.shape[1])
    work = torch.empty(threads * kh * kw * c, dtype=torch.float64)
    dw = torch.empty((kh, kw, c, 1), dtype=torch.float32)
    library.load().tm_depthwise_backprop_filter(
        x.data_ptr(), dy.data_ptr(), dw.data_ptr(), work.data_ptr(), *geometry, threads
    )
    return dw


def _backprop_filter_fake(x, dy, geometry):
    return x.new_empty((geometry[4], geometry[5], geometry[3], 1))


def _backprop_both_kernel(
    x: torch.Tensor, dy: torch.Tensor, filter: torch.Tensor, geometry: list[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    kh, kw, c = geometry[4], geometry[5], geometry[3]
    threads = min(_threads(), 64, dy.shape[0] * max(dy.shape[1], x.shape[1]))
    work = torch.empty(threads * kh * kw * c, dtype=torch.float64)
    dx = torch.empty(x.shape, dtype=torch.float32)
    dw = torch.empty((kh, kw, c, 1), dtype=torch.float32)
    library.load().tm_depthwise_backprop_both(
        x.data_ptr(),
        dy.data_ptr(),
        filter.data_ptr(),
        dx.data_ptr(),
        dw.data_ptr(),
        work.data_ptr(),
        *geometry,
        threads,
    )
    return dx, dw


def _backprop_both_fake(x, dy, filter, geometry):
    return x.new_empty(x.shape), x.new_empty((geometry[4], geometry[5], geometry[3], 1))


_forward_op = native_build.custom_op("depthwise_forward", _forward_kernel, _forward_fake)
_backprop_input_op = native_build.custom_op("depthwise_backprop_input", _backprop_input_kernel, _backprop_input_fake)
_backprop_filter_op = native_build.custom_op(
    "depthwise_backprop_filter", _backprop_filter_kernel, _backprop_filter_fake
)
_backprop_both_op = native_build.custom_op("depthwise_backprop_both", _backprop_both_kernel, _backprop_both_fake)


def forward(x, filter, bias, relu, strides, dilations, data_format, out_hw, top, left):
    """The depthwise convolution of NHWC ``x`` with the [KH, KW, C, 1] ``filter`` into an [N, ``out_hw``, C]
    result, its windows starting ``top`` rows and ``left`` columns before the input (the padding before; the
    padding after is what the output size implies), then ``bias`` [C] added and Relu when given; None where
    the native kernel does not apply."""
    if not _fits(x, filter) or not _applies(x.shape, filter.shape, strides, dilations, data_format):
        return None
    if bias is not None and (not _fits(bias, rank=1) or bias.shape != (x.shape[3],)):
        return None
    if min(x.shape) == 0 or min(out_hw) <= 0 or top < 0 or left < 0:
        return None
    if not library.available():
        return None
    geometry = _geometry(x.shape, filter.shape, out_hw, strides, top, left)
    return _forward_op(
        x.contiguous(), filter.contiguous(), None if bias is None else bias.contiguous(), bool(relu), geometry
    )


def backprop_input(input_shape, filter, out_backprop, strides, dilations, data_format, top, left):
    """The input gradient (NHWC, of ``input_shape``) of the depthwise convolution whose output gradient is
    ``out_backprop``; None where the native kernel does not apply."""
    shape = tuple(input_shape)
    if not _fits(filter, out_backprop) or not _applies(shape, filter.shape, strides, dilations, data_format):
        return None
    if out_backprop.shape[0] != shape[0] or out_backprop.shape[3] != shape[3]:
        return None
    if min(shape) == 0 or out_backprop.numel() == 0 or top < 0 or left < 0:
        return None
    if not library.available():
        return None
    geometry = _geometry(shape, filter.shape, out_backprop.shape[1:3], strides, top, left)
    return _backprop_input_op(out_backprop.contiguous(), filter.contiguous(), geometry)


def backprop_filter(input, filter_shape, out_backprop, strides, dilations, data_format, top, left):
    """The [KH, KW, C, 1] filter gradient of the depthwise convolution of NHWC ``input`` whose output gradient
    is ``out_backprop``; None where the native kernel does not apply."""
    kh, kw, c, _ = filter_shape
    if not _fits(input, out_backprop) or not _applies(input.shape, filter_shape, strides, dilations, data_format):
        return None
    if out_backprop.shape[0] != input.shape[0] or out_backprop.shape[3] != c:
        return None
    if min(input.shape) == 0 or out_backprop.numel() == 0 or min(kh, kw) <= 0 or top < 0 or left < 0:
        return None
    if not library.available():
        return None
    geometry = _geometry(input.shape, filter_shape, out_backprop.shape[1:3], strides, top, left)
    return _backprop_filter_op(input.contiguous(), out_backprop.contiguous(), geometry)


def backprop_input_and_filter(input, filter, out_backprop, strides, dilations, data_format, top, left):
    """(input gradient, [KH, KW, C, 1] filter gradient) of the depthwise convolution of NHWC ``input`` with
    ``filter`` whose output gradient is ``out_backprop``, in one call (one pass over ``out_backprop`` for a
    stride-1 3x3 window); None where the native kernel does not apply."""
    c = filter.shape[2]
    if not _fits(input, filter, out_backprop) or not _applies(
        input.shape, filter.shape, strides, dilations, data_format
    ):
        return None
    if out_backprop.shape[0] != input.shape[0] or out_backprop.shape[3] != c:
        return None
    if min(input.shape) == 0 or out_backprop.numel() == 0 or top < 0 or left < 0:
        return None
    if not library.available():
        return None
    geometry = _geometry(input.shape, filter.shape, out_backprop.shape[1:3], strides, top, left)
    return _backprop_both_op(input.contiguous(), out_backprop.contiguous(), filter.contiguous(), geometry)
