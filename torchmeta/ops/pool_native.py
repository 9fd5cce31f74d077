"""An optional native kernel for max pooling (and its gradient) on channels-last float32 CPU images.

TF's MaxPool + MaxPoolGrad (oneDNN's kernels, NHWC float32) take less than half the time of torch's
max_pool2d_with_indices and its backward on the shapes of convolutional training steps: torch computes
int64 indices through an NCHW-strided view and zero-fills the whole input gradient before scattering.
_pool_native.c pools straight over the contiguous channel axis, keeps an int32 argmax (the window
position, ``ih * W + iw``, of the first maximum in row-major order: TF's tie rule) and, where the
windows tile the input, writes each input gradient once; ``values`` writes the maxima alone, for a MaxPool
that no gradient reads (specialization's ``pool_ops.max_pool_values``). It is an accelerator: built and cached by
torchmeta.ops.native_build; where it cannot be built (no compiler, ``TORCHMETA_NATIVE=0``), or for other
dtypes, layouts, devices or autograd inputs, ``forward``/``backward`` return None and the torch path in
torchmeta.ops.pool_ops runs (the same values: tests/ops/test_pool_native.py compares both with TF). Both
are also custom ops, ``torch.ops.torchmeta.max_pool_forward``/``max_pool_backward``, which a step traced
by torch.compile calls (``native_build.custom_op``). Calls release the GIL (ctypes) and run on one thread.

The argmax follows one of TF's two CPU kernels (``rule``, see _pool_native.c): ``ONEDNN`` for MaxPool
and MaxPoolGrad with SAME/VALID padding (NaN never wins; a window of only NaN/-inf/-FLT_MAX gives
-FLT_MAX and its first position, padding or not), ``EIGEN`` for MaxPoolGradV2 and EXPLICIT padding (the
first valid position is taken whatever it holds).
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import torch

from torchmeta.ops import native_build

__all__ = ["EIGEN", "ONEDNN", "available", "backward", "forward", "values"]

ONEDNN, EIGEN = 0, 1

_SOURCE = Path(__file__).with_name("_pool_native.c")


def _declare(lib) -> None:
    p, i64 = ctypes.c_void_p, ctypes.c_int64
    lib.tm_max_pool_forward.argtypes = [p, *[i64] * 12, ctypes.c_int, p, p]
    lib.tm_max_pool_forward.restype = None
    lib.tm_max_pool_values.argtypes = [p, *[i64] * 12, p]
    lib.tm_max_pool_values.restype = None
    lib.tm_max_pool_backward.argtypes = [p, p, p, *[i64] * 12, p]
    lib.tm_max_pool_backward.restype = None


library = native_build.Library(_SOURCE, "pool", _declare)


available = library.available


def _fits(t) -> bool:
    return native_build.plain_float32(t) and t.dim() == 4 and t.is_contiguous() and t.numel() < 2**31


def _forward_kernel(
    x: torch.Tensor,
    kh: int,
    kw: int,
    sh: int,
    sw: int,
    top: int,
    left: int,
    out_h: int,
    out_w: int,
    rule: int,
    values: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    n, h, w, c = x.shape
    shape = (n, out_h, out_w, c)
    y = torch.empty(shape if values else (0,), dtype=torch.float32)
    argmax = torch.empty(shape, dtype=torch.int32)
    library.load().tm_max_pool_forward(
        x.data_ptr(), n, h, w, c, kh, kw, sh, sw, top, left, out_h, out_w, rule,
        y.data_ptr() if values else None, argmax.data_ptr(),
    )  # fmt: skip
    return y, argmax


def _values_kernel(
    x: torch.Tensor, kh: int, kw: int, sh: int, sw: int, top: int, left: int, out_h: int, out_w: int
) -> torch.Tensor:
    n, h, w, c = x.shape
    y = torch.empty((n, out_h, out_w, c), dtype=torch.float32)
    library.load().tm_max_pool_values(x.data_ptr(), n, h, w, c, kh, kw, sh, sw, top, left, out_h, out_w, y.data_ptr())
    return y


def _values_fake(x, kh, kw, sh, sw, top, left, out_h, out_w):
    return x.new_empty((x.shape[0], out_h, out_w, x.shape[3]))


def _forward_fake(x, kh, kw, sh, sw, top, left, out_h, out_w, rule, values):
    shape = (x.shape[0], out_h, out_w, x.shape[3])
    return x.new_empty(shape if values else (0,)), x.new_empty(shape, dtype=torch.int32)


def _backward_kernel(
    grad: torch.Tensor,
    argmax: torch.Tensor,
    relu_y: torch.Tensor | None,
    n: int,
    h: int,
    w: int,
    c: int,
    kh: int,
    kw: int,
    sh: int,
    sw: int,
    top: int,
    left: int,
) -> torch.Tensor:
    out = torch.empty((n, h, w, c), dtype=torch.float32)
    library.load().tm_max_pool_backward(
        grad.data_ptr(), argmax.data_ptr(), relu_y.data_ptr() if relu_y is not None else None,
        n, h, w, c, kh, kw, sh, sw, top, left, grad.shape[1], grad.shape[2], out.data_ptr(),
    )  # fmt: skip
    return out


def _backward_fake(grad, argmax, relu_y, n, h, w, c, kh, kw, sh, sw, top, left):
    return grad.new_empty((n, h, w, c))


_forward_op = native_build.custom_op("max_pool_forward", _forward_kernel, _forward_fake)
_values_op = native_build.custom_op("max_pool_values", _values_kernel, _values_fake)
_backward_op = native_build.custom_op("max_pool_backward", _backward_kernel, _backward_fake)


def forward(x, kh, kw, sh, sw, top, left, out_h, out_w, rule=ONEDNN, values=True):
    """(maxima or None, argmax) of contiguous NHWC float32 ``x``'s windows (``top``/``left``: the padding
    before; windows are cut at the input's end): maxima [N, out_h, out_w, C] float32 (only when
    ``values``), argmax the same shape, int32, ``ih * W + iw`` or -1 (padding). None where the native
    kernel does not apply."""
    if not _fits(x) or out_h <= 0 or out_w <= 0 or not library.available():
        return None
    y, argmax = _forward_op(x, kh, kw, sh, sw, top, left, out_h, out_w, rule, bool(values))
    return (y if values else None), argmax


def values(x, kh, kw, sh, sw, top, left, out_h, out_w):
    """The maxima alone (``forward``'s with rule ONEDNN, no argmax: for a MaxPool no gradient reads), or None
    where the native kernel does not apply."""
    if not _fits(x) or out_h <= 0 or out_w <= 0 or not library.available():
        return None
    return _values_op(x, kh, kw, sh, sw, top, left, out_h, out_w)


def backward(grad, argmax, input_shape, kh, kw, sh, sw, top, left, relu_y=None):
    """The input gradient [N, H, W, C] of ``input_shape`` (NHWC): each of ``grad``'s values added at its
    ``argmax`` (from ``forward``); with ``relu_y``, the maxima (from ``forward``) of a Relu's output, also
    through that Relu (ReluGrad's ``g * (maximum > 0)``). None where the native kernel does not apply."""
    if argmax.shape != grad.shape:
        return None
    if native_build.plain_float32(grad):
        grad = grad.contiguous()
    if not _fits(grad) or (relu_y is not None and (not _fits(relu_y) or relu_y.shape != grad.shape)):
        return None
    if not library.available():
        return None
    return _backward_op(grad, argmax, relu_y, *input_shape, kh, kw, sh, sw, top, left)
