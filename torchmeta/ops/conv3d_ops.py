"""3-D convolution and pooling ops: Conv3D, Conv3DBackpropInputV2/FilterV2, MaxPool3D, MaxPool3DGrad,
MaxPool3DGradGrad, AvgPool3D, AvgPool3DGrad, each with TF's gradient (nn_grad.py).

Layouts: NDHWC (TF's default) or NCDHW images, DHWIO filters; kernels work in torch's NCDHW / OIDHW.
SAME padding pads ``max((out - 1) * stride + effective_k - in, 0)`` per dimension, the smaller half
first, so it may be asymmetric; such cases pad explicitly before calling torch.
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F  # noqa: N812 - the usual torch idiom

from torchmeta import errors
from torchmeta.api import array_ops
from torchmeta.framework.common_shapes import shape_error
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.framework.tensor_util import constant_value
from torchmeta.ops.common import invalid, str_attr

_FORMATS = "data_format: {'NDHWC', 'NCDHW'} = \"NDHWC\""
_FLOATS = "T: {half, bfloat16, float, double}"
_WINDOW_ATTRS = ["strides: list(int) >= 5", "padding: {'SAME', 'VALID'}", _FORMATS]


def _fmt(data_format) -> str:
    return data_format.decode() if isinstance(data_format, bytes) else data_format


def _spatial(values, data_format):
    """The (D, H, W) entries of a 5-list in ``data_format`` order."""
    return list(values[2:]) if _fmt(data_format) == "NCDHW" else list(values[1:4])


def _to_ncdhw(x, data_format):
    return x if _fmt(data_format) == "NCDHW" else x.permute(0, 4, 1, 2, 3)


def _from_ncdhw(y, data_format):
    return y if _fmt(data_format) == "NCDHW" else y.permute(0, 2, 3, 4, 1)


def _window(size, k, stride, dilation, padding):
    """(output size, pad before, pad after) of one dimension (TF's GetWindowedOutputSizeVerbose)."""
    eff = (k - 1) * dilation + 1
    if padding == "VALID":
        return max((size - eff + stride) // stride, 0), 0, 0
    out = (size + stride - 1) // stride
    need = max((out - 1) * stride + eff - size, 0)
    return out, need // 2, need - need // 2


def _windows(sizes, ks, strides, dilations, padding):
    return [_window(n, k, s, d, padding) for n, k, s, d in zip(sizes, ks, strides, dilations)]


def _static_out(op, size, k, stride, dilation, padding):
    if size is None or k is None:
        return None
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        return (size + stride - 1) // stride
    if size < eff:
        raise shape_error(op, f"Negative dimension size caused by subtracting {eff} from {size}")
    return (size - eff + stride) // stride


def _check_strides(strides, data_format, label="strides"):
    batch, channel = (0, 1) if _fmt(data_format) == "NCDHW" else (0, 4)
    if strides[batch] != 1 or strides[channel] != 1:
        raise invalid(f"Current implementation does not yet support {label} in the batch and depth dimensions.")


def _rank5(op, i):
    dims = op.inputs[i].shape.as_tuple()
    if dims is None:
        return None
    if len(dims) != 5:
        raise shape_error(op, f"Shape must be rank 5 but is rank {len(dims)}")
    return dims


def _pad_last(x, pads, value=0.0):
    """Pads the three trailing dims of an NCDHW tensor by ((before, after) per dim, D first)."""
    flat = []
    for before, after in reversed(pads):
        flat += [before, after]
    if not any(flat):
        return x
    return F.pad(x, flat, value=value)


# ---------------------------------------------------------------------------------------------
# Conv3D and its backprops


def _conv3d_shape(op):
    fmt = str_attr(op, "data_format")
    x, w = _rank5(op, 0), _rank5(op, 1)
    if x is None or w is None:
        return [unknown_shape(5)]
    strides, dilations = op.get_attr("strides"), op.get_attr("dilations")
    padding = str_attr(op, "padding")
    batch = x[0]
    spatial = _spatial(x, fmt)
    channels = x[1] if fmt == "NCDHW" else x[4]
    if channels is not None and w[3] is not None and channels % w[3]:
        raise shape_error(op, f"Depth of input ({channels}) is not a multiple of input depth of filter ({w[3]})")
    out = [
        _static_out(op, n, k, s, d, padding)
        for n, k, s, d in zip(spatial, w[:3], _spatial(strides, fmt), _spatial(dilations, fmt))
    ]
    dims = [batch, w[4], *out] if fmt == "NCDHW" else [batch, *out, w[4]]
    return [TensorShape(dims)]


@register_op(
    "Conv3D",
    inputs=["input: T", "filter: T"],
    outputs=["output: T"],
    attrs=[_FLOATS, *_WINDOW_ATTRS, "dilations: list(int) = [1, 1, 1, 1, 1]"],
    shape=_conv3d_shape,
)
def conv3d(input, filter, strides, padding, data_format, dilations):
    """NDHWC input x DHWIO filter (grouped when the input has a multiple of the filter's in-channels)."""
    _check_strides(strides, data_format)
    x = _to_ncdhw(input, data_format)
    weight = filter.permute(4, 3, 0, 1, 2)
    groups = x.shape[1] // filter.shape[3] if filter.shape[3] else 1
    s, d = _spatial(strides, data_format), _spatial(dilations, data_format)
    wins = _windows(list(x.shape[2:]), list(filter.shape[:3]), s, d, padding)
    x = _pad_last(x, [(b, a) for _, b, a in wins])
    work = torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype
    y = F.conv3d(x.to(work), weight.to(work), stride=s, dilation=d, groups=groups).to(x.dtype)
    return _from_ncdhw(y, data_format)


def _sizes(tensor):
    return [int(v) for v in tensor.reshape(-1).tolist()]


def _conv_backward(grad, input_shape, filter_shape, input, filter, strides, padding, data_format, dilations, mask):
    """(input gradient, filter gradient) of Conv3D through torch's convolution_backward."""
    s, d = _spatial(strides, data_format), _spatial(dilations, data_format)
    in_ncdhw = [input_shape[0], input_shape[4], *input_shape[1:4]] if _fmt(data_format) != "NCDHW" else input_shape
    wins = _windows(in_ncdhw[2:], filter_shape[:3], s, d, padding)
    padded = [*in_ncdhw[:2], *(n + b + a for n, (_, b, a) in zip(in_ncdhw[2:], wins))]
    dy = _to_ncdhw(grad, data_format)
    work = torch.float32 if dy.dtype in (torch.float16, torch.bfloat16) else dy.dtype
    groups = in_ncdhw[1] // filter_shape[3] if filter_shape[3] else 1
    if input is None:
        x = torch.zeros(padded, dtype=work, device=dy.device)
    else:
        x = _pad_last(_to_ncdhw(input, data_format), [(b, a) for _, b, a in wins]).to(work)
    if filter is None:
        weight = torch.zeros([filter_shape[4], filter_shape[3], *filter_shape[:3]], dtype=work, device=dy.device)
    else:
        weight = filter.permute(4, 3, 0, 1, 2).to(work)
    expected = [in_ncdhw[0], filter_shape[4], *(o for o, _, _ in wins)]
    if list(dy.shape) != expected:
        raise invalid(f"Conv3DBackprop: out_backprop has shape {list(grad.shape)}, expected the convolution's output")
    dx, dw, _ = torch.ops.aten.convolution_backward(
        dy.to(work), x, weight, None, s, [0, 0, 0], d, False, [0, 0, 0], groups, mask
    )
    return dx, dw, wins, in_ncdhw


def _backprop_input_shape(op):
    sizes = constant_value(op.inputs[0])
    if sizes is None:
        return [unknown_shape(5)]
    return [TensorShape([int(v) for v in sizes.reshape(-1)])]


@register_op(
    "Conv3DBackpropInputV2",
    inputs=["input_sizes: Tshape", "filter: T", "out_backprop: T"],
    outputs=["output: T"],
    attrs=[_FLOATS, *_WINDOW_ATTRS, "dilations: list(int) = [1, 1, 1, 1, 1]", "Tshape: {int32, int64} = DT_INT32"],
    shape=_backprop_input_shape,
)
def conv3d_backprop_input_v2(input_sizes, filter, out_backprop, strides, padding, data_format, dilations):
    """Conv3D's gradient with respect to its input (of shape ``input_sizes``)."""
    _check_strides(strides, data_format)
    sizes = _sizes(input_sizes)
    if len(sizes) != 5:
        raise invalid(f"input_sizes must be 5-dimensional, got: {len(sizes)}")
    dx, _, wins, _ = _conv_backward(
        out_backprop,
        sizes,
        list(filter.shape),
        None,
        filter,
        strides,
        padding,
        data_format,
        dilations,
        [True, False, False],
    )
    d0, h0, w0 = (b for _, b, _ in wins)
    n = [int(v) for v in (sizes[2:] if _fmt(data_format) == "NCDHW" else sizes[1:4])]
    dx = dx[:, :, d0 : d0 + n[0], h0 : h0 + n[1], w0 : w0 + n[2]]
    return _from_ncdhw(dx, data_format).to(out_backprop.dtype).contiguous()


def _backprop_filter_shape(op):
    sizes = constant_value(op.inputs[1])
    if sizes is None:
        return [unknown_shape(5)]
    return [TensorShape([int(v) for v in sizes.reshape(-1)])]


@register_op(
    "Conv3DBackpropFilterV2",
    inputs=["input: T", "filter_sizes: int32", "out_backprop: T"],
    outputs=["output: T"],
    attrs=[_FLOATS, *_WINDOW_ATTRS, "dilations: list(int) = [1, 1, 1, 1, 1]"],
    shape=_backprop_filter_shape,
)
def conv3d_backprop_filter_v2(input, filter_sizes, out_backprop, strides, padding, data_format, dilations):
    """Conv3D's gradient with respect to its filter (of shape ``filter_sizes``)."""
    _check_strides(strides, data_format)
    sizes = _sizes(filter_sizes)
    if len(sizes) != 5:
        raise invalid(f"filter_sizes must be 5-dimensional, got: {len(sizes)}")
    _, dw, _, _ = _conv_backward(
        out_backprop,
        list(input.shape),
        sizes,
        input,
        None,
        strides,
        padding,
        data_format,
        dilations,
        [False, True, False],
    )
    return dw.permute(2, 3, 4, 1, 0).to(out_backprop.dtype).contiguous()


def _conv_attrs(op):
    return {
        "dilations": op.get_attr("dilations"),
        "strides": op.get_attr("strides"),
        "padding": str_attr(op, "padding"),
        "data_format": str_attr(op, "data_format"),
    }


@register_gradient("Conv3D")
def _conv3d_grad(op, grad):
    shape_0, shape_1 = array_ops.shape_n([op.inputs[0], op.inputs[1]])
    attrs = _conv_attrs(op)
    return [
        raw_op("Conv3DBackpropInputV2", input_sizes=shape_0, filter=op.inputs[1], out_backprop=grad, **attrs),
        raw_op("Conv3DBackpropFilterV2", input=op.inputs[0], filter_sizes=shape_1, out_backprop=grad, **attrs),
    ]


@register_gradient("Conv3DBackpropInputV2")
def _conv3d_backprop_input_grad(op, grad):
    attrs = _conv_attrs(op)
    return [
        None,
        raw_op(
            "Conv3DBackpropFilterV2",
            input=grad,
            filter_sizes=array_ops.shape(op.inputs[1]),
            out_backprop=op.inputs[2],
            **attrs,
        ),
        raw_op("Conv3D", input=grad, filter=op.inputs[1], **attrs),
    ]


@register_gradient("Conv3DBackpropFilterV2")
def _conv3d_backprop_filter_grad(op, grad):
    attrs = _conv_attrs(op)
    return [
        raw_op(
            "Conv3DBackpropInputV2",
            input_sizes=array_ops.shape(op.inputs[0]),
            filter=grad,
            out_backprop=op.inputs[2],
            **attrs,
        ),
        None,
        raw_op("Conv3D", input=op.inputs[0], filter=grad, **attrs),
    ]


# ---------------------------------------------------------------------------------------------
# Pooling


def _pool_shape(op):
    fmt = str_attr(op, "data_format")
    x = _rank5(op, 0)
    if x is None:
        return [unknown_shape(5)]
    ksize, strides = op.get_attr("ksize"), op.get_attr("strides")
    padding = str_attr(op, "padding")
    out = [
        _static_out(op, n, k, s, 1, padding)
        for n, k, s in zip(_spatial(x, fmt), _spatial(ksize, fmt), _spatial(strides, fmt))
    ]
    dims = [x[0], x[1], *out] if fmt == "NCDHW" else [x[0], *out, x[4]]
    return [TensorShape(dims)]


def _pool_window(input_shape, ksize, strides, padding, data_format, label):
    if len(ksize) != 5 or len(strides) != 5:
        raise invalid("Sliding window ksize and strides fields must specify 5 dimensions")
    batch, channel = (0, 1) if _fmt(data_format) == "NCDHW" else (0, 4)
    if ksize[batch] != 1 or strides[batch] != 1 or ksize[channel] != 1 or strides[channel] != 1:
        raise errors.UnimplementedError(None, None, f"{label} is not yet supported on the batch or depth dimensions.")
    ks, ss = _spatial(ksize, data_format), _spatial(strides, data_format)
    n = input_shape[2:]
    return ks, ss, _windows(list(n), ks, ss, [1, 1, 1], _fmt(padding))


@register_op(
    "MaxPool3D",
    inputs=["input: T"],
    outputs=["output: T"],
    attrs=["ksize: list(int) >= 5", *_WINDOW_ATTRS, "T: {half, bfloat16, float}"],
    shape=_pool_shape,
)
def max_pool3d(input, ksize, strides, padding, data_format):
    """Max over D x H x W windows; padding never wins the max."""
    x = _to_ncdhw(input, data_format)
    ks, ss, wins = _pool_window(x.shape, ksize, strides, padding, data_format, "Pooling")
    x = _pad_last(x, [(b, a) for _, b, a in wins], value=float("-inf"))
    y = F.max_pool3d(x.float() if x.dtype != torch.float32 else x, ks, ss).to(input.dtype)
    return _from_ncdhw(y, data_format)


def _window_slices(wins, ss, ks):
    """For each kernel offset (in D, H, W order) the strided slice of the padded input it reads."""
    outs = [o for o, _, _ in wins]
    for offset in itertools.product(*(range(k) for k in ks)):
        yield tuple(slice(o, o + (n - 1) * s + 1, s) for o, n, s in zip(offset, outs, ss))


@register_op(
    "MaxPool3DGrad",
    inputs=["orig_input: TInput", "orig_output: TInput", "grad: T"],
    outputs=["output: T"],
    attrs=[
        "ksize: list(int) >= 5",
        *_WINDOW_ATTRS,
        "T: {half, bfloat16, float} = DT_FLOAT",
        "TInput: {half, bfloat16, float} = DT_FLOAT",
    ],
    shape=lambda op: [TensorShape(_rank5(op, 0)) if _rank5(op, 0) is not None else unknown_shape(5)],
)
def max_pool3d_grad(orig_input, orig_output, grad, ksize, strides, padding, data_format):
    """Each output's gradient goes to every element of its window within 1e-5 of the maximum, as TF's
    CPU kernel (an Eigen select over the whole window) does."""
    for name, t in (("tensor_in", orig_input), ("tensor_out", orig_output), ("out_backprop", grad)):
        if t.dim() != 5:
            raise invalid(f"{name} must be 5-dimensional")
    x = _to_ncdhw(orig_input, data_format).float()
    y = _to_ncdhw(orig_output, data_format).float()
    g = _to_ncdhw(grad, data_format).float()
    ks, ss, wins = _pool_window(x.shape, ksize, strides, padding, data_format, "Pooling")
    pads = [(b, a) for _, b, a in wins]
    padded = _pad_last(x, pads, value=float("nan"))
    out = torch.zeros_like(padded)
    for window in _window_slices(wins, ss, ks):
        index = (slice(None), slice(None), *window)
        mask = (padded[index] - y).abs() < 1e-5
        out[index] += torch.where(mask, g, torch.zeros_like(g))
    (d0, _), (h0, _), (w0, _) = pads
    d, h, w = x.shape[2:]
    out = out[:, :, d0 : d0 + d, h0 : h0 + h, w0 : w0 + w]
    return _from_ncdhw(out, data_format).to(grad.dtype).contiguous()


@register_op(
    "MaxPool3DGradGrad",
    inputs=["orig_input: T", "orig_output: T", "grad: T"],
    outputs=["output: T"],
    attrs=[
        "ksize: list(int) >= 5",
        *_WINDOW_ATTRS,
        "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}",
    ],
    shape=lambda op: [TensorShape(_rank5(op, 1)) if _rank5(op, 1) is not None else unknown_shape(5)],
)
def max_pool3d_grad_grad(orig_input, orig_output, grad, ksize, strides, padding, data_format):
    """Per output, ``grad`` at the first element of its window equal to ``orig_output`` (D, H, W order)."""
    if _fmt(data_format) != "NDHWC":
        raise invalid("Default MaxPooling3dGradGradOp only supports NDHWC on CPU device type")
    x = _to_ncdhw(orig_input, data_format)
    y = _to_ncdhw(orig_output, data_format)
    g = _to_ncdhw(grad, data_format)
    ks, ss, wins = _pool_window(x.shape, ksize, strides, padding, data_format, "Pooling")
    pads = [(b, a) for _, b, a in wins]
    valid = _pad_last(torch.ones_like(x, dtype=torch.bool), pads, value=False)
    padded_x = _pad_last(x, pads)
    padded_g = _pad_last(g, pads)
    out = torch.zeros_like(y)
    found = torch.zeros_like(y, dtype=torch.bool)
    for window in _window_slices(wins, ss, ks):
        index = (slice(None), slice(None), *window)
        hit = valid[index] & (padded_x[index] == y) & ~found
        out = torch.where(hit, padded_g[index], out)
        found |= hit
    return _from_ncdhw(out, data_format).contiguous()


def _avg_counts(shape, wins, ss, ks, dtype, device):
    """How many real (unpadded) elements each output window covers."""
    ones = _pad_last(torch.ones((1, 1, *shape), dtype=dtype, device=device), [(b, a) for _, b, a in wins])
    return F.avg_pool3d(ones, ks, ss, divisor_override=1)


@register_op(
    "AvgPool3D",
    inputs=["input: T"],
    outputs=["output: T"],
    attrs=["ksize: list(int) >= 5", *_WINDOW_ATTRS, _FLOATS],
    shape=_pool_shape,
)
def avg_pool3d(input, ksize, strides, padding, data_format):
    """Mean over D x H x W windows; with SAME padding each window averages only real elements."""
    x = _to_ncdhw(input, data_format)
    work = torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype
    x = x.to(work)
    ks, ss, wins = _pool_window(x.shape, ksize, strides, padding, data_format, "Pooling")
    sums = F.avg_pool3d(_pad_last(x, [(b, a) for _, b, a in wins]), ks, ss, divisor_override=1)
    counts = _avg_counts(x.shape[2:], wins, ss, ks, work, x.device)
    return _from_ncdhw(sums / counts, data_format).to(input.dtype)


@register_op(
    "AvgPool3DGrad",
    inputs=["orig_input_shape: int32", "grad: T"],
    outputs=["output: T"],
    attrs=["ksize: list(int) >= 5", *_WINDOW_ATTRS, _FLOATS],
    shape=_backprop_input_shape,
)
def avg_pool3d_grad(orig_input_shape, grad, ksize, strides, padding, data_format):
    """AvgPool3D's input gradient: each output's gradient spread evenly over its window's real elements."""
    sizes = _sizes(orig_input_shape)
    if len(sizes) != 5:
        raise invalid("orig_input_shape must have 5 elements")
    shape = [sizes[0], sizes[4], *sizes[1:4]] if _fmt(data_format) != "NCDHW" else sizes
    g = _to_ncdhw(grad, data_format)
    work = torch.float32 if g.dtype in (torch.float16, torch.bfloat16) else g.dtype
    g = g.to(work)
    ks, ss, wins = _pool_window(shape, ksize, strides, padding, data_format, "Pooling")
    counts = _avg_counts(shape[2:], wins, ss, ks, work, g.device)
    share = g / counts
    pads = [(b, a) for _, b, a in wins]
    out = torch.zeros([*shape[:2], *(n + b + a for n, (b, a) in zip(shape[2:], pads))], dtype=work, device=g.device)
    for window in _window_slices(wins, ss, ks):
        out[(slice(None), slice(None), *window)] += share
    (d0, _), (h0, _), (w0, _) = pads
    d, h, w = shape[2:]
    out = out[:, :, d0 : d0 + d, h0 : h0 + h, w0 : w0 + w]
    return _from_ncdhw(out, data_format).to(grad.dtype).contiguous()


def _pool_attrs(op):
    return {
        "ksize": op.get_attr("ksize"),
        "strides": op.get_attr("strides"),
        "padding": str_attr(op, "padding"),
        "data_format": str_attr(op, "data_format"),
    }


@register_gradient("AvgPool3D")
def _avg_pool3d_grad(op, grad):
    return [raw_op("AvgPool3DGrad", orig_input_shape=array_ops.shape(op.inputs[0]), grad=grad, **_pool_attrs(op))]


@register_gradient("AvgPool3DGrad")
def _avg_pool3d_grad_grad(op, grad):
    return [array_ops.stop_gradient(op.inputs[0]), raw_op("AvgPool3D", input=grad, **_pool_attrs(op))]


@register_gradient("MaxPool3D")
def _max_pool3d_grad(op, grad):
    return [raw_op("MaxPool3DGrad", orig_input=op.inputs[0], orig_output=op.outputs[0], grad=grad, **_pool_attrs(op))]


@register_gradient("MaxPool3DGrad")
def _max_pool3d_grad_grad(op, grad):
    return [
        array_ops.zeros_like(op.inputs[0]),
        array_ops.zeros_like(op.inputs[1]),
        raw_op("MaxPool3DGradGrad", orig_input=op.inputs[0], orig_output=op.inputs[1], grad=grad, **_pool_attrs(op)),
    ]


@register_gradient("MaxPool3DGradGrad")
def _max_pool3d_grad_grad_grad(op, grad):
    return [
        array_ops.zeros_like(op.inputs[0]),
        array_ops.zeros_like(op.inputs[1]),
        raw_op("MaxPool3DGrad", orig_input=op.inputs[0], orig_output=op.inputs[1], grad=grad, **_pool_attrs(op)),
    ]
