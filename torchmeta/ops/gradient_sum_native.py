"""Native ReluGrads fused with the gradient sum next to them (``_gradient_sum_native.c``), one pass over memory
where torch takes two:

- the ReluGrad of a two-term AddN: a residual block's input gradient, the sum of its two branches' gradients
  through the Relu that produced the input (AddN's new tensor, then ReluGrad over it). float32 CPU tensors of
  one shape, each with contiguous rows (an NHWC tensor, or a crop of one: a padded stride-2 convolution's
  input gradient); None elsewhere, and the caller runs the two ops (runtime/specialize_conv.py's ``add_n_relu_grad``);
- a ReluGrad and its column sums: a hidden layer's pre-activation gradient and its bias gradient (the Sum that
  the gradient of ``x @ W + b`` takes over all axes but the last), contiguous float32 (``relu_grad_bias_sum``;
  runtime/specialize.py's ``relu_grad_bias_sum``)."""

from __future__ import annotations

import ctypes
from pathlib import Path

import torch

from torchmeta.ops import native_build

__all__ = ["available", "add_relu_grad", "add_strided_relu_grad", "relu_grad_bias_sum"]

_SOURCE = Path(__file__).with_name("_gradient_sum_native.c")


def _declare(lib) -> None:
    p, i64 = ctypes.c_void_p, ctypes.c_int64
    lib.tm_add_relu_grad.argtypes = [p, p, p, p, i64, i64, i64, p]
    lib.tm_add_relu_grad.restype = None
    lib.tm_add_strided_relu_grad.argtypes = [p, p, p, p, i64, i64, i64, i64, i64, i64, p]
    lib.tm_add_strided_relu_grad.restype = None
    lib.tm_relu_grad_bias_sum.argtypes = [p, p, p, p, p, i64, i64, i64]
    lib.tm_relu_grad_bias_sum.restype = None


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


def add_strided_relu_grad(compact, b, features, strides, in_place=False):
    """``(a + b) * (features > 0)`` as TF's AddN then ReluGrad compute it, where ``a`` is zero except at the pixels
    of every ``strides``-th row and column of an NHWC ``b``, which hold ``compact``'s [N, ceil(H / sh), ceil(W / sw),
    C] (the input gradient of a strided 1x1 convolution: see the C source); written over ``b`` when ``in_place``
    (a caller that owns a fresh, contiguous ``b``), else into a new tensor; None where the native kernel does not
    apply."""
    if not native_build.plain_float32(compact, b, features) or torch.compiler.is_compiling():
        return None
    shape = b.shape
    if len(shape) != 4 or features.shape != shape or b.numel() == 0 or not compact.is_contiguous():
        return None
    n, h, w, c = shape
    sh, sw = strides
    if compact.shape != (n, -(-h // sh), -(-w // sw), c):
        return None
    lib = library.load()
    if lib is None:
        return None
    out = b if in_place and b.is_contiguous() else torch.empty(shape, dtype=torch.float32)
    rows = [_rows(t, shape) for t in (b, features, out)]
    if any(r is None for r in rows):
        return None
    flat = (ctypes.c_int64 * 6)(*(v for r in rows for v in r))
    lib.tm_add_strided_relu_grad(
        compact.data_ptr(), b.data_ptr(), features.data_ptr(), out.data_ptr(), n, h, w, c, sh, sw, flat
    )
    if out is b:
        torch.autograd.graph.increment_version(out)
    return out


# floats per vector in torch's sum kernel: ATen's Vectorized<float> of its AVX2 build (SumKernel.cpp is not
# among the kernels ATen also builds for AVX-512) and of its default and NEON builds
_SUM_VECTOR = 8


def _cascade_columns(cols: int) -> int:
    """How many leading columns torch.sum adds in its cascade order when it sums a contiguous [rows, cols]
    tensor's rows (groups of four vectors, or of four columns below one vector); it adds the rest with
    row_sum's four partial sums (ATen's SumKernel.cpp, vectorized_outer_sum and scalar_outer_sum)."""
    group = 4 * _SUM_VECTOR if cols >= _SUM_VECTOR else 4
    return cols // group * group


def relu_grad_bias_sum(gradients, features, in_place=False):
    """``(gradients * (features > 0), its sum over all axes but the last)``: TF's ReluGrad (as ``nn_ops.relu_grad``
    computes it) and the sums torch.sum gives that result on one thread (in its order: see the C source), in
    one pass; the ReluGrad written over ``gradients`` when ``in_place`` (a caller that owns a fresh
    ``gradients``). None where the native kernel does not apply (not contiguous float32 of one shape, fewer
    than two dims or columns: torch sums one column as a row)."""
    if not native_build.plain_float32(gradients, features) or torch.compiler.is_compiling():
        return None
    shape = gradients.shape
    if len(shape) < 2 or features.shape != shape or shape[-1] < 2 or gradients.numel() == 0:
        return None
    if not gradients.is_contiguous() or not features.is_contiguous():
        return None
    lib = library.load()
    if lib is None:
        return None
    cols = shape[-1]
    rows = gradients.numel() // cols
    cascade = _cascade_columns(cols)
    out = gradients if in_place else torch.empty(shape, dtype=torch.float32)
    sums = torch.empty(cols, dtype=torch.float32)
    scratch = torch.empty(4 * cascade + 16 * (cols - cascade), dtype=torch.float32)
    lib.tm_relu_grad_bias_sum(
        gradients.data_ptr(),
        features.data_ptr(),
        out.data_ptr(),
        sums.data_ptr(),
        scratch.data_ptr(),
        rows,
        cols,
        cascade,
    )
    if out is gradients:
        torch.autograd.graph.increment_version(out)
    return out, sums
