"""MaxPoolWithArgmax and MaxPoolGradWithArgmax (NHWC): the max of each window with its flattened input position
``((b * height + y) * width + x) * channels + c`` (without the batch term unless ``include_batch_in_index``),
the first maximum in row-major window order winning ties as TF's CPU kernel's strict comparison does; the
gradient scatters into those positions (TF's nn_grad.py)."""

from __future__ import annotations

import torch
from torch.nn import functional

from torchmeta.framework import registry
from torchmeta.framework.common_shapes import format_dims
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, register_gradient, register_op
from torchmeta.ops.common import invalid, str_attr

_T = "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}"
_WINDOW = ["ksize: list(int) >= 4", "strides: list(int) >= 4", "padding: {'SAME', 'VALID'}"]


class _AsMaxPool:
    """The node seen by MaxPool's shape function (NHWC, no explicit paddings: attrs MaxPoolWithArgmax lacks)."""

    def __init__(self, op):
        self._op = op

    def __getattr__(self, name):
        return getattr(self._op, name)

    def get_attr(self, name):
        if name == "data_format":
            return b"NHWC"
        if name == "explicit_paddings":
            return []
        return self._op.get_attr(name)


def _max_pool_with_argmax_shape(op):
    (shape,) = registry.get("MaxPool").shape_fn(_AsMaxPool(op))
    return [shape, shape]


def _same_pads(size, k, s):
    out = (size + s - 1) // s
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def _check_window(input, ksize, strides):
    if input.dim() != 4:
        raise invalid(f"input must be 4-dimensional{format_dims(input.shape)}")
    if len(ksize) != 4 or len(strides) != 4:
        raise invalid("Sliding window ksize and strides fields must specify 4 dimensions")
    if ksize[0] != 1 or strides[0] != 1 or ksize[3] != 1 or strides[3] != 1:
        raise invalid("Pooling is not yet supported on the batch nor depth dimension.")


@register_op(
    "MaxPoolWithArgmax",
    inputs=["input: T"],
    outputs=["output: T", "argmax: Targmax"],
    attrs=[*_WINDOW[:2], "Targmax: {int32, int64} = DT_INT64", _WINDOW[2], "include_batch_in_index: bool = false", _T],
    shape=_max_pool_with_argmax_shape,
)
def max_pool_with_argmax(input, ksize, strides, Targmax, padding, include_batch_in_index):
    _check_window(input, ksize, strides)
    n, h, w, c = input.shape
    kh, kw, sh, sw = ksize[1], ksize[2], strides[1], strides[2]
    (top, bottom), (left, right) = (
        (_same_pads(h, kh, sh), _same_pads(w, kw, sw)) if padding == "SAME" else ((0, 0), (0, 0))
    )
    x = input.permute(0, 3, 1, 2)
    low = float("-inf") if input.is_floating_point() else torch.iinfo(input.dtype).min
    xp = functional.pad(x.to(torch.float64), (left, right, top, bottom), value=low)
    windows = xp.unfold(2, kh, sh).unfold(3, kw, sw)  # n, c, oh, ow, kh, kw
    flat = windows.reshape(*windows.shape[:4], kh * kw)
    values, pos = flat.max(-1)  # the first maximum in row-major window order
    oh, ow = values.shape[2], values.shape[3]
    ys = (
        torch.arange(oh, device=input.device).reshape(1, 1, oh, 1) * sh
        - top
        + torch.div(pos, kw, rounding_mode="floor")
    )
    xs = torch.arange(ow, device=input.device).reshape(1, 1, 1, ow) * sw - left + pos % kw
    channels = torch.arange(c, device=input.device).reshape(1, c, 1, 1)
    index = (ys * w + xs) * c + channels
    if include_batch_in_index:
        index = index + torch.arange(n, device=input.device).reshape(n, 1, 1, 1) * (h * w * c)
    output = values.to(input.dtype).permute(0, 2, 3, 1).contiguous()
    return output, index.permute(0, 2, 3, 1).contiguous().to(Targmax.torch)


def _grad_with_argmax_shape(op):
    return [op.inputs[0].shape]


@register_op(
    "MaxPoolGradWithArgmax",
    inputs=["input: T", "grad: T", "argmax: Targmax"],
    outputs=["output: T"],
    attrs=[*_WINDOW, "include_batch_in_index: bool = false", "Targmax: {int32, int64}", _T],
    shape=_grad_with_argmax_shape,
)
def max_pool_grad_with_argmax(input, grad, argmax, ksize, strides, padding, include_batch_in_index):
    """Each window's gradient added at its argmax (per image unless the indices include the batch)."""
    _check_window(input, ksize, strides)
    n = input.shape[0]
    per_image = input[0].numel() if n else 0
    idx = argmax.reshape(n, -1).to(torch.int64)
    if not include_batch_in_index:
        idx = idx + torch.arange(n, device=idx.device).reshape(n, 1) * per_image
    idx = idx.reshape(-1)
    if idx.numel() and (bool((idx < 0).any()) or bool((idx >= input.numel()).any())):
        raise invalid("Invalid argmax index for the input")
    out = torch.zeros(input.numel(), dtype=grad.dtype, device=grad.device)
    return out.index_add(0, idx, grad.reshape(-1)).reshape(input.shape)


@register_gradient("MaxPoolWithArgmax")
def _max_pool_with_argmax_grad(op, grad, unused_argmax_grad):
    return raw_op(
        "MaxPoolGradWithArgmax",
        input=op.inputs[0],
        grad=grad,
        argmax=op.outputs[1],
        ksize=op.get_attr("ksize"),
        strides=op.get_attr("strides"),
        padding=str_attr(op, "padding"),
        include_batch_in_index=op.get_attr("include_batch_in_index"),
    )


no_registered_gradient("MaxPoolGradWithArgmax")
