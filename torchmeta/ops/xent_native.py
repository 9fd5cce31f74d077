"""The native float32 SparseSoftmaxCrossEntropyWithLogits (``_xent_native.c``): loss and backprop in one pass
per row, with TF's formula (logits - max, log of the sum of exp, exp / sum - one-hot). torch's path runs six
or seven small kernels (~30 us on [128, 10] at one thread, several times the arithmetic), and a training
step's loss takes both outputs. Contiguous float32 CPU logits outside autograd with int32 or int64 CPU labels;
None elsewhere, and the caller runs its torch path. None too while torch.compile traces: inductor fuses the
torch ops (and the label check there is a tensor assertion)."""

from __future__ import annotations

import ctypes
from pathlib import Path

import torch

from torchmeta.ops import native_build

__all__ = ["available", "sparse_xent"]

_SOURCE = Path(__file__).with_name("_xent_native.c")
_LABELS64 = {torch.int32: 0, torch.int64: 1}


def _declare(lib) -> None:
    p, i64 = ctypes.c_void_p, ctypes.c_int64
    lib.tm_sparse_xent_f32.argtypes = [p, p, ctypes.c_int32, i64, i64, p, p]
    lib.tm_sparse_xent_f32.restype = i64


library = native_build.Library(_SOURCE, "xent", _declare)

available = library.available


def sparse_xent(features, labels):
    """``(loss, backprop, bad)`` for 2-D ``features`` and 1-D ``labels`` of as many rows: ``bad`` True (and
    the outputs unwritten) where a label is outside [0, classes); None where the native kernel does not
    apply."""
    if (
        not native_build.plain_float32(features)
        or not features.is_contiguous()
        or labels.dtype not in _LABELS64
        or not labels.is_cpu
        or not labels.is_contiguous()
        or torch.compiler.is_compiling()
    ):
        return None
    lib = library.load()
    if lib is None:
        return None
    batch, classes = features.shape
    loss = torch.empty(batch, dtype=torch.float32)
    backprop = torch.empty_like(features)
    bad = lib.tm_sparse_xent_f32(
        features.data_ptr(),
        labels.data_ptr(),
        _LABELS64[labels.dtype],
        batch,
        classes,
        loss.data_ptr(),
        backprop.data_ptr(),
    )
    return loss, backprop, bad >= 0
