"""The native float32 Tanh (``_tanh_native.c``): TensorFlow's own CPU formula (Eigen's rational function,
without FMA), so its values are TF's bit for bit, in one vectorized pass. torch.tanh goes through MKL's VML,
which took 5-7 ns per element on the AMD EPYC bench host against well under 1 for this loop; the LSTM cells of
the recurrent workloads make two Tanh per step. float32 CPU tensors outside autograd; None elsewhere, and the
caller runs torch.tanh. None too while torch.compile traces: inductor fuses torch.tanh with the cell's other
element-wise ops, which an extern call would prevent."""

from __future__ import annotations

import ctypes
from pathlib import Path

import torch

from torchmeta.ops import native_build

__all__ = ["available", "tanh"]

_SOURCE = Path(__file__).with_name("_tanh_native.c")


def _declare(lib) -> None:
    p, i64 = ctypes.c_void_p, ctypes.c_int64
    lib.tm_tanh_f32.argtypes = [p, p, i64, i64, i64]
    lib.tm_tanh_f32.restype = None
    f32 = ctypes.c_float
    lib.tm_lstm_cell_f32.argtypes = [p, p, f32, i64, i64, i64, p, p, p, p, p, p, p]
    lib.tm_lstm_cell_f32.restype = None
    lib.tm_lstm_cell_grad_f32.argtypes = [p, p, p, p, p, p, p, p, i64, i64, i64, p, p, p]
    lib.tm_lstm_cell_grad_f32.restype = None


library = native_build.Library(_SOURCE, "tanh", _declare)

available = library.available


def tanh(x):
    """TF's float32 Tanh of ``x`` as a new contiguous tensor, or None where the native kernel does not apply."""
    if x.dtype is not torch.float32 or not x.is_cpu or x.requires_grad or torch.compiler.is_compiling():
        return None
    lib = library.load()
    if lib is None:
        return None
    if x.dim() == 2 and x.stride(1) == 1:  # (a column slice too: an LSTM gate, split from the gates' product)
        rows, cols = x.shape
        stride = x.stride(0)
    else:
        x = x.contiguous()
        rows, cols, stride = 1, x.numel(), 0
    out = torch.empty_like(x, memory_format=torch.contiguous_format)  # (a third of torch.empty(shape)'s cost)
    lib.tm_tanh_f32(x.data_ptr(), out.data_ptr(), rows, cols, stride)
    return out
