"""Optional native kernels for TF's training batch norm on channels-last float32 CPU tensors: the forward
(FusedBatchNorm*, is_training) and its gradient (FusedBatchNormGrad*), each with TF's Relu folded in.

_batch_norm_native.c computes the forward's per-channel statistics in one pass over memory (blocks of rows
kept in L1: float sums vectorized over channels, each block's centered sums merged in double, so a mean far
from zero costs no precision) and writes y = (x - mean) * rstd * scale + offset as oneDNN's kernels round it
(TF's reference with TF_ENABLE_ONEDNN_OPTS=1: an FMA where the CPU has one; see the C source), plus a
residual and through Relu when asked, in a second. The gradient sums g and g * (x - mean) in one pass, g being dy or
TF's ReluGrad dy * (features > 0), and writes x_backprop in a second (over dy when the caller owns it); with the
Relu the first pass keeps its mask as one bit an element for the second, which then reads 3 bytes an element less
of memory (in a training step both passes wait on memory).
Both use 16-lane vectors where the CPU has AVX-512, 8-lane ones elsewhere (the same values). They are
accelerators: built and cached by torchmeta.ops.native_build; where they cannot be built (no compiler,
``TORCHMETA_NATIVE=0``), or for other dtypes, layouts, devices or (forward) with fewer than two rows per
channel, ``train_forward``/``train_gradient`` return None and the torch path runs (the same values within
float32 rounding; tests/ops/test_batch_norm_native.py compares both with TF). Each is also a custom op,
``torch.ops.torchmeta.batch_norm_train``/``batch_norm_grad_train`` (``batch_norm_grad_train_`` writes over
its incoming gradient), which a step traced by torch.compile calls (``native_build.custom_op``). Calls
release the GIL (ctypes) and run on one thread.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import torch

from torchmeta.ops import native_build

__all__ = ["available", "train_forward", "train_gradient"]

_SOURCE = Path(__file__).with_name("_batch_norm_native.c")


def _declare(lib) -> None:
    p, i64, f64 = ctypes.c_void_p, ctypes.c_int64, ctypes.c_double
    lib.tm_batch_norm_train.argtypes = [p, i64, i64, p, p, p, p, f64, f64, p, ctypes.c_int, p, p, p, p, p, p, p]
    lib.tm_batch_norm_train.restype = None
    lib.tm_batch_norm_grad_train.argtypes = [p, p, p, i64, i64, p, p, p, f64, p, p, p, p]
    lib.tm_batch_norm_grad_train.restype = None
    lib.tm_batch_norm_force_lanes.argtypes = [ctypes.c_int]
    lib.tm_batch_norm_force_lanes.restype = None
    lib.tm_batch_norm_mask_off.argtypes = [ctypes.c_int]
    lib.tm_batch_norm_mask_off.restype = None
    global _stack_channels
    _stack_channels = ctypes.c_int.in_dll(lib, "tm_batch_norm_stack_channels").value


# Up to this many channels the kernels keep their scratch on their own stack (work = NULL); set on load.
_stack_channels = 0


library = native_build.Library(_SOURCE, "batch_norm", _declare)


available = library.available


_FLOAT32 = torch.float32


def _fits(tensors, shape) -> bool:
    """Whether each tensor is what the kernels take: contiguous float32 on the CPU outside autograd, of
    ``shape``. Inline attribute checks (~0.2 us a tensor): every training step runs them per batch norm."""
    for t in tensors:
        if t.dtype is not _FLOAT32 or not t.is_cpu or t.requires_grad or not t.is_contiguous() or t.shape != shape:
            return False
    return True


def _scratch(per_channel, channels):
    """The kernel's scratch argument: None (its own stack) up to ``_stack_channels`` channels, else a
    tensor of ``per_channel`` doubles a channel, kept alive by the caller's reference to it."""
    if channels <= _stack_channels:
        return None
    return torch.empty(per_channel * channels, dtype=torch.float64)


def _forward_kernel(
    x: torch.Tensor,
    scale: torch.Tensor,
    offset: torch.Tensor,
    mean: torch.Tensor | None,
    variance: torch.Tensor | None,
    epsilon: float,
    exponential_avg_factor: float,
    side: torch.Tensor | None,
    relu: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    return _forward(x, scale, offset, mean, variance, epsilon, exponential_avg_factor, side, relu, torch.empty_like(x))


def _forward(x, scale, offset, mean, variance, epsilon, exponential_avg_factor, side, relu, y, gaps=None):
    """``_forward_kernel`` writing y into ``y`` (x's shape), or with ``gaps`` (the C source's: width, height, row
    gap, image gap, lead) into the interior of a tensor that ``y`` views, and zeros into its border."""
    channels = x.shape[-1]
    new_mean, new_var, batch_mean, batch_var = (x.new_empty(channels) for _ in range(4))
    work = _scratch(3, channels)
    library.load().tm_batch_norm_train(
        x.data_ptr(),
        x.numel() // channels,
        channels,
        scale.data_ptr(),
        offset.data_ptr(),
        None if mean is None else mean.data_ptr(),
        None if variance is None else variance.data_ptr(),
        epsilon,
        exponential_avg_factor,
        None if side is None else side.data_ptr(),
        1 if relu else 0,
        y.data_ptr(),
        new_mean.data_ptr(),
        new_var.data_ptr(),
        batch_mean.data_ptr(),
        batch_var.data_ptr(),
        None if work is None else work.data_ptr(),
        None if gaps is None else (ctypes.c_int64 * 5)(*gaps),
    )
    return y, new_mean, new_var, batch_mean, batch_var


def _forward_fake(x, scale, offset, mean, variance, epsilon, exponential_avg_factor, side, relu):
    vector = x.new_empty(x.shape[-1])
    return torch.empty_like(x), vector, vector.clone(), vector.clone(), vector.clone()


def _gradient(y_backprop, features, x, scale, mean, variance, epsilon, x_backprop):
    channels = x.shape[-1]
    scale_backprop, offset_backprop = x.new_empty(channels), x.new_empty(channels)
    work = _scratch(4, channels)
    library.load().tm_batch_norm_grad_train(
        y_backprop.data_ptr(),
        None if features is None else features.data_ptr(),
        x.data_ptr(),
        x.numel() // channels,
        channels,
        scale.data_ptr(),
        mean.data_ptr(),
        variance.data_ptr(),
        epsilon,
        x_backprop.data_ptr(),
        scale_backprop.data_ptr(),
        offset_backprop.data_ptr(),
        None if work is None else work.data_ptr(),
    )
    return scale_backprop, offset_backprop


def _gradient_kernel(
    y_backprop: torch.Tensor,
    features: torch.Tensor | None,
    x: torch.Tensor,
    scale: torch.Tensor,
    mean: torch.Tensor,
    variance: torch.Tensor,
    epsilon: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    x_backprop = torch.empty_like(x)
    return x_backprop, *_gradient(y_backprop, features, x, scale, mean, variance, epsilon, x_backprop)


def _gradient_in_place_kernel(
    y_backprop: torch.Tensor,
    features: torch.Tensor | None,
    x: torch.Tensor,
    scale: torch.Tensor,
    mean: torch.Tensor,
    variance: torch.Tensor,
    epsilon: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    out = _gradient(y_backprop, features, x, scale, mean, variance, epsilon, y_backprop)
    torch.autograd.graph.increment_version(y_backprop)
    return out


def _gradient_fake(y_backprop, features, x, scale, mean, variance, epsilon):
    vector = x.new_empty(x.shape[-1])
    return torch.empty_like(x), vector, vector.clone()


def _gradient_in_place_fake(y_backprop, features, x, scale, mean, variance, epsilon):
    vector = x.new_empty(x.shape[-1])
    return vector, vector.clone()


_forward_op = native_build.custom_op("batch_norm_train", _forward_kernel, _forward_fake)
_gradient_op = native_build.custom_op("batch_norm_grad_train", _gradient_kernel, _gradient_fake)
_gradient_in_place_op = native_build.custom_op(
    "batch_norm_grad_train_", _gradient_in_place_kernel, _gradient_in_place_fake, mutates_args=("y_backprop",)
)


def train_forward(
    x, scale, offset, mean, variance, epsilon, exponential_avg_factor, relu=False, side=None, border=None
):
    """(y, running mean, running variance, batch mean, batch variance) of a training FusedBatchNorm over
    the last axis of a contiguous float32 CPU ``x`` (NHWC/NDHWC), y plus ``side`` (x's shape: a residual)
    when given, through Relu when ``relu``; None where the native kernel does not apply (the caller then
    runs its torch path). ``border`` (top, bottom, left, right) of a 4-D ``x``: y is written inside a zero
    border of those widths, the same pass writing the zeros, and is that tensor's interior view; the bordered
    tensor is y's ``_base`` (what a convolution padding y so reads: conv_ops.keep_bordered). Outside
    torch.compile only: traced, y is a plain tensor."""
    if x.dim() < 2:
        return None
    shape = x.shape
    channels = shape[-1]
    blended = exponential_avg_factor != 1.0
    vectors = (scale, offset, mean, variance) if blended else (scale, offset)
    if not _fits((x,) if side is None else (x, side), shape) or not _fits(vectors, (channels,)):
        return None
    rows = x.numel() // channels if channels else 0
    if rows < 2 or not library.available():
        return None
    mean, variance = (mean, variance) if blended else (None, None)
    if border is not None and x.dim() == 4 and not torch.compiler.is_compiling():
        n, h, w, _ = x.shape
        top, bottom, left, right = border
        wide = w + left + right
        bordered = torch.empty((n, top + h + bottom, wide, channels), dtype=x.dtype)  # border: the kernel's zeros
        y = bordered[:, top : top + h, left : left + w]
        gaps = (w, h, (left + right) * channels, (top + bottom) * wide * channels, (top * wide + left) * channels)
        return _forward(
            x, scale, offset, mean, variance, float(epsilon), float(exponential_avg_factor), side, bool(relu), y, gaps
        )
    return _forward_op(
        x, scale, offset, mean, variance, float(epsilon), float(exponential_avg_factor), side, bool(relu)
    )


def train_gradient(y_backprop, features, x, scale, mean, variance, epsilon, in_place=False):
    """(x_backprop, scale_backprop, offset_backprop) of a training FusedBatchNormGrad over the last axis of
    contiguous float32 CPU tensors (NHWC/NDHWC), ``mean``/``variance`` the forward's batch statistics, the
    incoming gradient first through TF's ReluGrad (``y_backprop * (features > 0)``) unless ``features`` is
    None; x_backprop written over ``y_backprop`` when ``in_place`` (a caller that owns it). None where the
    native kernel does not apply (the caller then runs its torch path)."""
    if x.dim() < 2:
        return None
    shape = x.shape
    channels = shape[-1]
    tensors = (y_backprop, x) if features is None else (y_backprop, features, x)
    if not _fits(tensors, shape) or not _fits((scale, mean, variance), (channels,)):
        return None
    rows = x.numel() // channels if channels else 0
    if rows < 1 or not library.available():
        return None
    if in_place:
        return y_backprop, *_gradient_in_place_op(y_backprop, features, x, scale, mean, variance, float(epsilon))
    return _gradient_op(y_backprop, features, x, scale, mean, variance, float(epsilon))
