"""Window arithmetic and layouts shared by the convolution and pooling ops (``conv_ops.py``,
``pool_ops.py``) and their shape functions: TF's output sizes and SAME/VALID/EXPLICIT paddings of a
windowed dimension, and the NHWC <-> NCHW views torch's kernels take."""

from __future__ import annotations

import torch

from torchmeta.framework import tensor_util
from torchmeta.framework.common_shapes import input_with_rank, shape_error
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid, unimplemented


def window_size(size: int, k: int, stride: int, dilation: int, padding: str, before: int = 0, after: int = 0):
    """TF's GetWindowedOutputSizeVerbose: (output size, pad before, pad after) for one dimension."""
    eff = (k - 1) * dilation + 1
    if padding == "VALID":
        return (size - eff + stride) // stride, 0, 0
    if padding == "SAME":
        out = (size + stride - 1) // stride
        need = max((out - 1) * stride + eff - size, 0)
        return out, need // 2, need - need // 2
    return (size + before + after - eff + stride) // stride, before, after


def static_window_size(op, size, k, stride, dilation, padding, before=0, after=0):
    """Static output size of one windowed dimension (None when unknown), raising like TF."""
    if size is None or k is None:
        return None
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        return (size + stride - 1) // stride
    size = size + before + after
    if size < eff:
        raise shape_error(op, f"Negative dimension size caused by subtracting {eff} from {size}")
    return (size - eff + stride) // stride


def spatial_axes(data_format: str):
    """(H, W, C) positions of a 4-D tensor in ``data_format``."""
    return (2, 3, 1) if data_format.startswith("NCHW") else (1, 2, 3)


def explicit_pairs(p, data_format, padding):
    """((top, bottom), (left, right)) from ``explicit_paddings`` for EXPLICIT padding, else zeros."""
    if padding != "EXPLICIT":
        return (0, 0), (0, 0)
    h, w, _ = spatial_axes(data_format)
    return (p[2 * h], p[2 * h + 1]), (p[2 * w], p[2 * w + 1])


def check_explicit_paddings(op, padding, explicit_paddings, data_format):
    if padding == "EXPLICIT":
        if len(explicit_paddings) != 8:
            raise shape_error(
                op, f"explicit_paddings attribute must contain 8 values, but got: {len(explicit_paddings)}"
            )
        n, c = (0, 1) if data_format.startswith("NCHW") else (0, 3)
        if any(explicit_paddings[2 * d] or explicit_paddings[2 * d + 1] for d in (n, c)):
            raise shape_error(op, "Nonzero explicit padding in the batch or depth dimensions is not supported")
        if any(p < 0 for p in explicit_paddings):
            raise shape_error(op, "All elements of explicit_paddings must be nonnegative")
    elif explicit_paddings:
        raise shape_error(op, "explicit_paddings attribute must be empty if the padding attribute is not EXPLICIT")


def to_nchw(x, data_format):
    return x if data_format.startswith("NCHW") else x.permute(0, 3, 1, 2)


def from_nchw(y, data_format):
    return y if data_format.startswith("NCHW") else y.permute(0, 2, 3, 1)


def check_format(data_format):
    if data_format == "NCHW_VECT_C":
        raise unimplemented("data_format NCHW_VECT_C is not supported; use NHWC or NCHW")


def output_and_pads(x, kh, kw, sh, sw, dh, dw, padding, explicit):
    """(out_h, out_w, top, bottom, left, right) for NCHW ``x``."""
    (pt, pb), (pl, pr) = explicit
    out_h, top, bottom = window_size(x.shape[2], kh, sh, dh, padding, pt, pb)
    out_w, left, right = window_size(x.shape[3], kw, sw, dw, padding, pl, pr)
    if out_h < 0 or out_w < 0:
        size, k, s, d = (x.shape[2], kh, sh, dh) if out_h < 0 else (x.shape[3], kw, sw, dw)
        raise invalid(
            f"Computed output size would be negative: {min(out_h, out_w)} [input_size: {size}, "
            f"effective_filter_size: {(k - 1) * d + 1}, stride: {s}]"
        )
    return out_h, out_w, top, bottom, left, right


def empty_like_layout(ref, shape, data_format):
    """An uninitialized NCHW-shaped tensor in the graph's memory layout (channels_last for NHWC).

    convolution_backward reads only the shape and the memory format of the input it is given for an
    input gradient; in channels_last it runs oneDNN's NHWC kernel on the NHWC data as it is and returns
    an NHWC gradient, where an NCHW one (or a stride-0 expanded one) made it copy out_backprop to NCHW
    and return an NCHW gradient, copied again by the next op.
    """
    fmt = torch.contiguous_format if data_format.startswith("NCHW") else torch.channels_last
    return torch.empty(shape, dtype=ref.dtype, device=ref.device, memory_format=fmt)


def shape_input(op, i: int, rank: int) -> TensorShape:
    """TF's MakeShapeFromShapeTensor + WithRank: the static value of 1-D shape input ``i``."""
    input_with_rank(op, i, 1)
    shape = tensor_util.constant_value_as_shape(op.inputs[i])
    if shape.rank is None:
        return TensorShape([None] * rank)
    if shape.rank != rank:
        raise shape_error(op, f"Shape must be rank {rank} but is rank {shape.rank}")
    return shape
