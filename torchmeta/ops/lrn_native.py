"""Native window sums of LRN and LRNGrad (``_lrn_native.c``) over the channel axis of contiguous float32 NHWC
CPU tensors outside autograd: ``norm`` (bias + alpha * the window's sum of squares, TF's ``tmp``) and ``grad``
(LRNGrad from the norm and its power). torch's pad + unfold + sum over the 2r + 1 channels of each window
took about 60% of LRN's time and of LRNGrad's (tutorial shapes, bench/results/lrn16_profile.txt). None where
the kernel does not apply (other dtypes, layouts, devices, autograd inputs, no compiler,
``TORCHMETA_NATIVE=0``), and the caller runs its torch path (torchmeta.ops.nn_ops.lrn). Both are custom ops
(``torch.ops.torchmeta.lrn_norm``/``lrn_grad``), which a step traced by torch.compile calls, fusing the power
and products around them (``native_build.custom_op``). Calls release the GIL (ctypes) and run on one thread."""

from __future__ import annotations

import ctypes
from pathlib import Path

import torch

from torchmeta.ops import native_build

__all__ = ["BAND", "RUNNING", "WINDOW", "available", "grad", "norm"]

# where a non-finite square outside a channel's window makes its norm NaN (see _lrn_native.c)
WINDOW, RUNNING, BAND = 0, 1, 2

_SOURCE = Path(__file__).with_name("_lrn_native.c")


def _declare(lib) -> None:
    p, i64, f = ctypes.c_void_p, ctypes.c_int64, ctypes.c_float
    lib.tm_lrn_norm.argtypes = [p, i64, i64, i64, f, f, i64, p]
    lib.tm_lrn_norm.restype = i64
    lib.tm_lrn_grad.argtypes = [p, p, p, p, p, i64, i64, i64, f, p]
    lib.tm_lrn_grad.restype = i64


library = native_build.Library(_SOURCE, "lrn", _declare)

available = library.available


def _fits(*tensors) -> bool:
    return (
        native_build.plain_float32(*tensors)
        and all(t.dim() == 4 and t.is_contiguous() for t in tensors)
        and tensors[0].numel() > 0
    )


def _norm_kernel(x: torch.Tensor, radius: int, bias: float, alpha: float, mode: int) -> torch.Tensor:
    out = torch.empty_like(x)
    c = x.shape[3]
    if library.load().tm_lrn_norm(x.data_ptr(), x.numel() // c, c, radius, bias, alpha, mode, out.data_ptr()) != 0:
        raise MemoryError("LRN: cannot allocate a row of scratch memory")
    return out


def _norm_fake(x, radius, bias, alpha, mode):
    return torch.empty_like(x)


def _grad_kernel(
    g: torch.Tensor,
    x: torch.Tensor,
    y: torch.Tensor,
    norm: torch.Tensor,
    power: torch.Tensor,
    radius: int,
    scale: float,
) -> torch.Tensor:
    out = torch.empty_like(g)
    c = g.shape[3]
    lib = library.load()
    ptrs = (t.data_ptr() for t in (g, x, y, norm, power))
    if lib.tm_lrn_grad(*ptrs, g.numel() // c, c, radius, scale, out.data_ptr()) != 0:
        raise MemoryError("LRNGrad: cannot allocate a row of scratch memory")
    return out


def _grad_fake(g, x, y, norm, power, radius, scale):
    return torch.empty_like(g)


_norm_op = native_build.custom_op("lrn_norm", _norm_kernel, _norm_fake)
_grad_op = native_build.custom_op("lrn_grad", _grad_kernel, _grad_fake)


def norm(x, radius: int, bias: float, alpha: float, mode: int):
    """bias + alpha * (the sum of x ** 2 over the ``radius`` channels each side), a new tensor, NaN where
    ``mode`` says (WINDOW, RUNNING or BAND); None where the native kernel does not apply."""
    if not _fits(x) or not library.available():
        return None
    return _norm_op(x, int(radius), float(bias), float(alpha), int(mode))


def grad(g, x, y, norm, power, radius: int, scale: float):
    """LRNGrad's input gradient from ``norm`` (``norm`` above) and ``power`` (norm ** -beta), ``scale`` =
    2 * alpha * beta; None where the native kernel does not apply."""
    if not _fits(g, x, y, norm, power) or not library.available():
        return None
    return _grad_op(g, x, y, norm, power, int(radius), float(scale))
