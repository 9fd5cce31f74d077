"""The native ReluGrad of a two-term AddN (``_gradient_sum_native.c``): a residual block's input gradient, the
sum of its two branches' gradients through the Relu that produced the input, in one pass over memory where
torch takes two (AddN's new tensor, then ReluGrad over it). float32 CPU tensors of one shape, each with
contiguous rows (an NHWC tensor, or a crop of one: a padded stride-2 convolution's input gradient); None
elsewhere, and the caller runs the two ops (runtime/specialize.py's ``add_n_relu_grad``)."""

from __future__ import annotations

import ctypes
from pathlib import Path

import torch

from torchmeta.ops import native_build

__all__ = ["available", "add_relu_grad"]

_SOURCE = Path(__file__).with_name("_gradient_sum_native.c")


def _declare(lib) -> None:
    p, i64 = ctypes.c_void_p, ctypes.c_int64
    lib.tm_add_relu_grad.argtypes = [p, p, p, p, i64, i64, i64, p]
    lib.tm_add_relu_grad.restype = None


library = native_build.Library(_SOURCE, "gradient_sum", _declare)

available = library.available


def _rows(t, shape):
    """(outer stride, mid stride) of ``t`` seen as [outer, mid, inner] with contiguous inner rows, for a tensor
    of ``shape`` ([N, H, W*C] of a 4-D tensor, else [1, 1, numel]); None when its rows are not contiguous."""
    if t.is_contiguous():
        return (0, 0) if len(shape) != 4 else (t.stride(0), t.stride(1))
    if t.dim() == 4 and t.stride(3) == 1 and t.stride(2) == t.shape[3]:
        return t.stride(0), t.stride(1)
    return None


def add_relu_grad(a, b, features, in_place=False):
    """``(a + b) * (features > 0)`` as TF's AddN then ReluGrad compute it (see the C source), written over
    ``a`` when ``in_place`` (a caller that owns a fresh, contiguous ``a``), else into a new tensor; None where the
    native kernel does not apply."""
    if not native_build.plain_float32(a, b, features) or torch.compiler.is_compiling():
        return None
    shape = a.shape
    if b.shape != shape or features.shape != shape or a.numel() == 0:
        return None
    lib = library.load()
    if lib is None:
        return None
    out = a if in_place and a.is_contiguous() else torch.empty(shape, dtype=torch.float32)
    strides = [_rows(t, shape) for t in (a, b, features, out)]
    if any(s is None for s in strides):
        return None
    if len(shape) == 4:
        outer, mid, inner = shape[0], shape[1], shape[2] * shape[3]
    else:
        outer, mid, inner = 1, 1, a.numel()
    flat = (ctypes.c_int64 * 8)(*(v for s in strides for v in s))
    lib.tm_add_relu_grad(a.data_ptr(), b.data_ptr(), features.data_ptr(), out.data_ptr(), outer, mid, inner, flat)
    if out is a:
        torch.autograd.graph.increment_version(out)
    return out
