"""Grayscale morphological dilation: Dilation2D and its two backprop ops, as TensorFlow's reference CPU kernels
(dilation_ops.cc) compute them, with nn_grad.py's gradient.

``out[b, y, x, c] = max over (dy, dx) of input[b, y*sy + dy*ry - top, x*sx + dx*rx - left, c] + filter[dy, dx, c]``,
taps outside the input skipped. TF's loop starts from the dtype's lowest value and takes a tap only when it is
strictly greater, so NaN taps are never taken and the result is never below the lowest value; the backprops send
each output's gradient to the first such maximum (in tap order), or to the window's first in-range position when no
tap was taken.
"""

from __future__ import annotations

import torch

from torchmeta import errors
from torchmeta.framework.common_shapes import merge_dim, shape_error, with_rank
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid, str_attr
from torchmeta.ops.image_transform_ops import kernel_windowed_output_size, windowed_output_size

_REAL = "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}"
_ATTRS = [_REAL, "strides: list(int) >= 4", "rates: list(int) >= 4", "padding: {'SAME', 'VALID'}"]


def _dilation_shape(op):
    input_shape = with_rank(op, op.inputs[0].shape, 4)
    filter_shape = with_rank(op, op.inputs[1].shape, 3)
    strides, rates = list(op.get_attr("strides")), list(op.get_attr("rates"))
    for name, values in (("stride", strides), ("rates", rates)):
        if len(values) != 4:
            raise shape_error(
                op, f"Dilation2D requires the {name} attribute to contain 4 values, but got: {len(values)}"
            )
    batch, in_rows, in_cols, depth = input_shape.as_tuple() if input_shape.rank is not None else (None,) * 4
    f_rows, f_cols, out_depth = filter_shape.as_tuple() if filter_shape.rank is not None else (None,) * 3
    if None in (in_rows, in_cols, f_rows, f_cols):
        return [TensorShape([batch, None, None, out_depth])]
    merge_dim(op, depth, out_depth)
    padding = str_attr(op, "padding")
    out_rows, _ = windowed_output_size(op, in_rows, f_rows + (f_rows - 1) * (rates[1] - 1), strides[1], padding)
    out_cols, _ = windowed_output_size(op, in_cols, f_cols + (f_cols - 1) * (rates[2] - 1), strides[2], padding)
    return [TensorShape([batch, out_rows, out_cols, out_depth])]


def _parse(input, filter, strides, rates, padding):
    """TF's ParseAttributes + ParseSizes: (out_rows, out_cols, pad_top, pad_left)."""
    if len(strides) != 4:
        raise invalid("Sliding window stride field must specify 4 dimensions")
    if strides[0] != 1 or strides[3] != 1:
        raise errors.UnimplementedError(None, None, "Stride is only supported across spatial dimensions.")
    if len(rates) != 4:
        raise invalid("Input stride (atrous rate) field must specify 4 dimensions")
    if rates[0] != 1 or rates[3] != 1:
        raise errors.UnimplementedError(None, None, "Rate is only supported across spatial dimensions.")
    if input.dim() != 4:
        raise invalid(f"input must be 4-dimensional[{','.join(map(str, input.shape))}]")
    if filter.dim() != 3:
        raise invalid(f"filter must be 3-dimensional: [{','.join(map(str, filter.shape))}]")
    if input.shape[3] != filter.shape[2]:
        raise invalid(f"input and filter must have the same depth: {input.shape[3]} vs {filter.shape[2]}")
    f_rows, f_cols = filter.shape[0], filter.shape[1]
    out_rows, top = kernel_windowed_output_size(
        input.shape[1], f_rows + (f_rows - 1) * (rates[1] - 1), strides[1], padding
    )
    out_cols, left = kernel_windowed_output_size(
        input.shape[2], f_cols + (f_cols - 1) * (rates[2] - 1), strides[2], padding
    )
    return out_rows, out_cols, top, left


def _lowest(dtype):
    return torch.finfo(dtype).min if dtype.is_floating_point else torch.iinfo(dtype).min


def _taps(input, filter, strides, rates, out_rows, out_cols, top, left):
    """Every window's taps: (values [b, oh, ow, c, fh*fw] with skipped taps at the lowest value, row and column
    of each tap in the input [oh, fh] / [ow, fw])."""
    f_rows, f_cols = filter.shape[0], filter.shape[1]
    dev = input.device
    rows = torch.arange(out_rows, device=dev)[:, None] * strides[1] + torch.arange(f_rows, device=dev) * rates[1] - top
    cols = torch.arange(out_cols, device=dev)[:, None] * strides[2] + torch.arange(f_cols, device=dev) * rates[2] - left
    row_ok = (rows >= 0) & (rows < input.shape[1])
    col_ok = (cols >= 0) & (cols < input.shape[2])
    gathered = input[:, rows.clamp(0, max(input.shape[1] - 1, 0))][:, :, :, cols.clamp(0, max(input.shape[2] - 1, 0))]
    values = gathered + filter[None, None, :, None, :, :]  # [b, oh, fh, ow, fw, c]
    ok = row_ok[None, :, :, None, None, None] & col_ok[None, None, None, :, :, None]
    if values.is_floating_point():
        ok = ok & ~torch.isnan(values)
    values = torch.where(ok, values, torch.full((), _lowest(values.dtype), dtype=values.dtype, device=dev))
    values = values.permute(0, 1, 3, 5, 2, 4).reshape(*values.shape[:2], values.shape[3], values.shape[5], -1)
    return values, rows, cols


@register_op("Dilation2D", inputs=["input: T", "filter: T"], outputs=["output: T"], attrs=_ATTRS, shape=_dilation_shape)
def dilation2d(input, filter, strides, rates, padding):
    out_rows, out_cols, top, left = _parse(input, filter, strides, rates, padding)
    shape = (input.shape[0], out_rows, out_cols, input.shape[3])
    if 0 in shape or 0 in filter.shape[:2]:
        return torch.full(shape, _lowest(input.dtype), dtype=input.dtype, device=input.device)
    values, _, _ = _taps(input, filter, strides, rates, out_rows, out_cols, top, left)
    return values.amax(dim=-1)


def _check_backprop(input, filter, out_backprop, strides, rates, padding):
    """ParseSizes and the out_backprop checks of both backprop kernels; the sizes, or None when empty."""
    sizes = _parse(input, filter, strides, rates, padding)
    if out_backprop.dim() != 4:
        raise invalid(f"out_backprop must be 4-dimensional[{','.join(map(str, out_backprop.shape))}]")
    if tuple(out_backprop.shape) != (input.shape[0], sizes[0], sizes[1], input.shape[3]):
        raise invalid("out_backprop has incompatible size.")
    empty = input.numel() == 0 or out_backprop.numel() == 0 or 0 in filter.shape[:2]
    return None if empty else sizes


def _argmax_taps(input, filter, sizes, strides, rates):
    """Per output: whether a tap was taken, and the (fh, fw) tap and (row, col) input position of its maximum."""
    out_rows, out_cols, top, left = sizes
    values, rows, cols = _taps(input, filter, strides, rates, out_rows, out_cols, top, left)
    best, tap = values.max(dim=-1)  # the first maximum, as TF's strict comparison keeps
    taken = best > _lowest(values.dtype)
    f_cols = filter.shape[1]
    fh, fw = tap // f_cols, tap % f_cols
    oh = torch.arange(out_rows, device=input.device).view(1, -1, 1, 1)
    ow = torch.arange(out_cols, device=input.device).view(1, 1, -1, 1)
    row = torch.where(taken, rows[oh, fh], (oh * strides[1] - top).clamp(min=0))
    col = torch.where(taken, cols[ow, fw], (ow * strides[2] - left).clamp(min=0))
    return taken, fh, fw, row, col


@register_op(
    "Dilation2DBackpropInput",
    inputs=["input: T", "filter: T", "out_backprop: T"],
    outputs=["in_backprop: T"],
    attrs=_ATTRS,
    shape=lambda op: [op.inputs[0].shape],
)
def dilation2d_backprop_input(input, filter, out_backprop, strides, rates, padding):
    """Each output's gradient added at its maximum's input position (dropped when that is outside the input)."""
    result = torch.zeros_like(input)
    sizes = _check_backprop(input, filter, out_backprop, strides, rates, padding)
    if sizes is None:
        return result
    _, _, _, row, col = _argmax_taps(input, filter, sizes, strides, rates)
    b = torch.arange(input.shape[0], device=input.device).view(-1, 1, 1, 1).expand_as(row)
    c = torch.arange(input.shape[3], device=input.device).view(1, 1, 1, -1).expand_as(row)
    inside = (row < input.shape[1]) & (col < input.shape[2])
    result.index_put_((b[inside], row[inside], col[inside], c[inside]), out_backprop[inside], accumulate=True)
    return result


@register_op(
    "Dilation2DBackpropFilter",
    inputs=["input: T", "filter: T", "out_backprop: T"],
    outputs=["filter_backprop: T"],
    attrs=_ATTRS,
    shape=lambda op: [op.inputs[1].shape],
)
def dilation2d_backprop_filter(input, filter, out_backprop, strides, rates, padding):
    """Each output's gradient added at its maximum's filter tap ((0, 0) when no tap was taken)."""
    result = torch.zeros_like(filter)
    sizes = _check_backprop(input, filter, out_backprop, strides, rates, padding)
    if sizes is None:
        return result
    taken, fh, fw, _, _ = _argmax_taps(input, filter, sizes, strides, rates)
    fh, fw = torch.where(taken, fh, 0), torch.where(taken, fw, 0)
    c = torch.arange(input.shape[3], device=input.device).view(1, 1, 1, -1).expand_as(fh)
    result.index_put_((fh.reshape(-1), fw.reshape(-1), c.reshape(-1)), out_backprop.reshape(-1), accumulate=True)
    return result


@register_gradient("Dilation2D")
def _dilation2d_grad(op, grad):
    attrs = {name: op.get_attr(name) for name in ("strides", "rates", "padding")}
    return [
        raw_op("Dilation2DBackpropInput", input=op.inputs[0], filter=op.inputs[1], out_backprop=grad, **attrs),
        raw_op("Dilation2DBackpropFilter", input=op.inputs[0], filter=op.inputs[1], out_backprop=grad, **attrs),
    ]


# TF registers no gradient for the backprop ops.
no_registered_gradient("Dilation2DBackpropInput", "Dilation2DBackpropFilter")
