"""The convolution gradient ops: Conv2DBackpropInput/Filter and DepthwiseConv2dNativeBackpropInput/Filter, the
specializer's fused input + filter gradients of one convolution, and TF's gradients of Conv2D,
DepthwiseConv2dNative and of these ops (nn_grad.py). The forward ops, the padding and the direct training path
they share live in ``conv_ops.py`` (as TF's conv_grad_input_ops.cc / conv_grad_filter_ops.cc sit beside
conv_ops.cc).
"""

from __future__ import annotations

import torch

from torchmeta.api import array_ops
from torchmeta.framework import tensor_util
from torchmeta.framework.common_shapes import input_with_rank, merge_dim, shape_error
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops import conv_ops, depthwise_native
from torchmeta.ops.common import invalid, str_attr, unimplemented
from torchmeta.ops.windows import (
    empty_like_layout,
    explicit_pairs,
    from_nchw,
    shape_input,
    spatial_axes,
    to_nchw,
    window_size,
)

# ---------------------------------------------------------------------------------------------
# Convolution gradients: Conv2DBackpropInput/Filter and the depthwise pair, through
# torch's convolution_backward (one call; asymmetric padding pads the input or crops the result).


def _conv_attrs(op, cudnn: bool = True) -> dict:
    """The attrs a convolution's gradient ops repeat from it."""
    attrs = {
        "strides": op.get_attr("strides"),
        "padding": str_attr(op, "padding"),
        "explicit_paddings": op.get_attr("explicit_paddings"),
        "data_format": str_attr(op, "data_format"),
        "dilations": op.get_attr("dilations"),
    }
    if cudnn:
        attrs["use_cudnn_on_gpu"] = op.get_attr("use_cudnn_on_gpu")
    return attrs


def _window_attrs(strides, padding, explicit_paddings, data_format, dilations) -> dict:
    return {
        "strides": strides,
        "padding": padding,
        "explicit_paddings": explicit_paddings,
        "data_format": data_format,
        "dilations": dilations,
    }


def _conv2d_backprop_input_shape(op):
    fmt = str_attr(op, "data_format")
    h, w, c = spatial_axes(fmt)
    dy = input_with_rank(op, 2, 4)
    f = input_with_rank(op, 1, 4)
    merge_dim(op, dy[c], f[3])
    input_with_rank(op, 0, 1)
    sizes = tensor_util.constant_value_as_shape(op.inputs[0])
    if sizes.rank is None:
        sizes = TensorShape([None] * 4)
    dims = sizes.as_tuple()
    if len(dims) == 4:
        merge_dim(op, dims[0], dy[0])
        spatial, depth = (dims[h], dims[w]), dims[c]
    elif len(dims) == 2:
        spatial, depth = dims, f[2]
    else:
        raise shape_error(
            op, f"Conv2DBackpropInput requires input_sizes to contain 4 values or 2 values, but got: {len(dims)}"
        )
    out = [dy[0], None, None, None]
    out[h], out[w], out[c] = spatial[0], spatial[1], depth
    return [TensorShape(out)]


def _conv2d_backprop_filter_shape(op):
    return [shape_input(op, 1, 4)]


def _depthwise_backprop_input_shape(op):
    return [shape_input(op, 0, 4)]


def _conv_strides(strides, dilations, data_format):
    """(stride_h, stride_w, dilation_h, dilation_w), rejecting batch/depth strides and dilations like TF."""
    h, w, c = spatial_axes(data_format)
    if len(strides) != 4:
        raise invalid("Sliding window strides field must specify 4 dimensions")
    if strides[0] != 1 or strides[c] != 1:
        raise unimplemented("Current implementation does not yet support strides in the batch and depth dimensions.")
    if len(dilations) != 4:
        raise invalid("Sliding window dilations field must specify 4 dimensions")
    if dilations[0] != 1 or dilations[c] != 1:
        raise invalid("Current implementation does not yet support dilations in the batch and depth dimensions.")
    return strides[h], strides[w], dilations[h], dilations[w]


_OUT_DEPTH = "filter and out_backprop must have the same out_depth"  # (Conv2D's; DepthwiseConv2dNative's below)
_DEPTHWISE_OUT_DEPTH = "depth_multiplier * in_depth not equal to out_depth"


def _out_depth_error(label, out_backprop, out_depth, data_format, error, what=_OUT_DEPTH):
    """TF's error for an out_backprop whose depth is not the filter's output depth (its
    ConvBackpropComputeDimensionsV2 check, which torch's kernels leave to oneDNN's own error), else ``error``: for
    the failure path of a gradient whose torch call raised ``error``, no check on the way of one that runs."""
    c = 1 if data_format == "NCHW" else 3
    if out_backprop.dim() == 4 and out_backprop.shape[c] != out_depth:
        return invalid(f"{label}: {what}")
    return error


def _backprop_pads(label, in_hw, k_hw, dy_hw, strides, dilations, padding, explicit_paddings, data_format):
    """(top, bottom, left, right) of the forward convolution; out_backprop must have its output size."""
    sh, sw, dh, dw = _conv_strides(strides, dilations, data_format)
    h, w, _ = spatial_axes(data_format)
    pads = []
    for axis, size, k, s, d, actual, (before, after) in zip(
        (h, w), in_hw, k_hw, (sh, sw), (dh, dw), dy_hw, explicit_pairs(explicit_paddings, data_format, padding)
    ):
        computed, lo, hi = window_size(size, k, s, d, padding, before, after)
        if actual != computed:
            raise invalid(
                f"{label}: Size of out_backprop doesn't match computed: actual = {actual}, computed = {computed} "
                f"spatial_dim: {axis} input: {size} filter: {k} output: {actual} stride: {s} dilation: {d}"
            )
        pads += [lo, hi]
    return (sh, sw), (dh, dw), tuple(pads)


def _conv_input_grad(label, sizes, weight, out_backprop, groups, attrs):
    """The gradient of a convolution's NCHW input of ``sizes`` (data_format order), given its OIHW weight."""
    data_format = attrs["data_format"]
    h, w, c = spatial_axes(data_format)
    n, depth, in_h, in_w = sizes[0], sizes[c], sizes[h], sizes[w]
    dy = to_nchw(out_backprop, data_format)
    stride, dilation, (top, bottom, left, right) = _backprop_pads(
        label,
        (in_h, in_w),
        weight.shape[2:],
        dy.shape[2:],
        attrs["strides"],
        attrs["dilations"],
        attrs["padding"],
        attrs["explicit_paddings"],
        data_format,
    )
    if min(n, depth, in_h, in_w) == 0 or dy.numel() == 0:
        return from_nchw(dy.new_zeros((n, depth, in_h, in_w)), data_format)
    dtype = dy.dtype
    if not dy.is_floating_point():  # torch's convolution gradients are floating-point only
        dy, weight = dy.double(), weight.double()
    symmetric = top == bottom and left == right
    grad = conv_ops.input_grad_by_convolution(dy, weight, groups, stride, dilation, top, bottom, left, right)
    if grad is not None:
        return from_nchw(grad, data_format)
    if symmetric:
        like = empty_like_layout(dy, (n, depth, in_h, in_w), data_format)
        padding = [top, left]
    else:
        grad = conv_ops.asymmetric_input_grad(
            dy, weight, groups, stride, dilation, top, bottom, left, right, (in_h, in_w)
        )
        if grad is not None:
            return from_nchw(grad, data_format)
        like = empty_like_layout(dy, (n, depth, in_h + top + bottom, in_w + left + right), data_format)
        padding = [0, 0]
    grad = torch.ops.aten.convolution_backward(
        dy, like, weight, None, stride, padding, dilation, False, [0, 0], groups, (True, False, False)
    )[0]
    if not symmetric:
        grad = grad[:, :, top : top + in_h, left : left + in_w]
    return from_nchw(grad.to(dtype), data_format)


def _conv_filter_grad(label, input, weight_shape, out_backprop, groups, attrs):
    """The gradient of a convolution's OIHW weight of ``weight_shape``."""
    data_format = attrs["data_format"]
    x = to_nchw(input, data_format)
    dy = to_nchw(out_backprop, data_format)
    stride, dilation, (top, bottom, left, right) = _backprop_pads(
        label,
        x.shape[2:],
        weight_shape[2:],
        dy.shape[2:],
        attrs["strides"],
        attrs["dilations"],
        attrs["padding"],
        attrs["explicit_paddings"],
        data_format,
    )
    if x.numel() == 0 or dy.numel() == 0 or 0 in weight_shape:
        return dy.new_zeros(weight_shape)
    if top == bottom and left == right:
        padding = [top, left]
    else:
        x = conv_ops.padded_input(input, x, left, right, top, bottom)
        padding = [0, 0]
    product = _strided_pointwise_filter_grad(x, dy, weight_shape, stride, padding, dilation, groups)
    if product is not None:
        return product
    like = dy.new_empty(1).expand(weight_shape)
    return torch.ops.aten.convolution_backward(
        dy, x, like, None, stride, padding, dilation, False, [0, 0], groups, (False, True, False)
    )[1]


def _strided_pointwise_filter_grad(x, dy, weight_shape, stride, padding, dilation, groups):
    """The OIHW filter gradient of a 1x1 convolution with a stride above 1 (NCHW views ``x`` and ``dy``, no
    padding left), as the product it is: dy's rows by the rows of x's strided pixels. torch's oneDNN filter
    gradient of such a convolution is wrong on some CPUs: torch 2.13 on an AVX2-only AMD EPYC returned a wrong
    result in 54 of 100 calls with a channels_last input of 3 channels (69 with 4; none with 8 or 16, nor
    for stride 1 or 3x3 windows). None for every other convolution."""
    if (
        tuple(weight_shape[2:]) != (1, 1)
        or groups != 1
        or list(stride) == [1, 1]
        or list(padding) != [0, 0]
        or list(dilation) != [1, 1]
        or not x.is_cpu
        or not x.is_floating_point()
    ):
        return None
    (sh, sw), (oh, ow) = stride, dy.shape[2:]
    pixels = x[:, :, : (oh - 1) * sh + 1 : sh, : (ow - 1) * sw + 1 : sw]
    rows = pixels.permute(0, 2, 3, 1).reshape(-1, x.shape[1])
    dy_rows = dy.permute(0, 2, 3, 1).reshape(-1, dy.shape[1])
    return (dy_rows.t() @ rows).reshape(weight_shape)


def _input_sizes(label, input_sizes, batch, depth, data_format, allow_spatial: bool):
    if input_sizes.dim() != 1:
        raise invalid(f"{label}: input_sizes input must be 1-dim, not {input_sizes.dim()}")
    sizes = [int(v) for v in input_sizes.tolist()]
    if len(sizes) == 2 and allow_spatial:
        if min(sizes) < 0:
            raise invalid(f"{label}: elements of input_sizes must be >= 0, not {sizes[0]}x{sizes[1]}")
        return [batch, depth, *sizes] if data_format == "NCHW" else [batch, *sizes, depth]
    if len(sizes) != 4:
        raise invalid(f"{label} requires input_sizes to contain 4 values or 2 values, but got: {len(sizes)}")
    if min(sizes) < 0:
        raise invalid(f"Dimension {min(sizes)} must be >= 0")
    return sizes


_BACKPROP_ATTRS = [
    "strides: list(int)",
    "use_cudnn_on_gpu: bool = true",
    *conv_ops.CONV_ATTRS[1:],
]


@register_op(
    "Conv2DBackpropInput",
    inputs=["input_sizes: int32", "filter: T", "out_backprop: T"],
    outputs=["output: T"],
    attrs=["T: {half, bfloat16, float, double, int32}", *_BACKPROP_ATTRS],
    shape=_conv2d_backprop_input_shape,
)
def conv2d_backprop_input(
    input_sizes, filter, out_backprop, strides, padding, explicit_paddings, data_format, dilations
):
    """Conv2D's input gradient (a transposed convolution) for an input of ``input_sizes``.

    ``input_sizes`` holds the input's 4 dims, or only its height and width (batch from
    out_backprop, depth from the filter). The input's depth over the filter's is the group count.
    """
    attrs = _window_attrs(strides, padding, explicit_paddings, data_format, dilations)
    c = 1 if data_format == "NCHW" else 3
    label = "Conv2DCustomBackpropInput"
    sizes = _input_sizes(label, input_sizes, out_backprop.shape[0], filter.shape[2], data_format, True)
    f_in = filter.shape[2]
    if f_in == 0 or sizes[c] % f_in:
        raise invalid(f"input depth must be evenly divisible by filter depth: {sizes[c]} vs {f_in}")
    if (
        filter.dtype == out_backprop.dtype
        and list(out_backprop.shape[:3]) == sizes[:3]
        and out_backprop.shape[3] == filter.shape[3]
        and conv_ops.pointwise_matmul(out_backprop, sizes, filter.shape, **attrs)
    ):
        return torch.mm(conv_ops.nhwc_rows(out_backprop), filter.reshape(f_in, -1).t()).view(sizes)
    try:
        return _conv_input_grad(label, sizes, filter.permute(3, 2, 0, 1), out_backprop, sizes[c] // f_in, attrs)
    except RuntimeError as e:
        raise _out_depth_error(label, out_backprop, filter.shape[3], data_format, e) from None


@register_op(
    "Conv2DBackpropFilter",
    inputs=["input: T", "filter_sizes: int32", "out_backprop: T"],
    outputs=["output: T"],
    attrs=["T: {half, bfloat16, float, double}", *_BACKPROP_ATTRS],
    shape=_conv2d_backprop_filter_shape,
)
def conv2d_backprop_filter(
    input, filter_sizes, out_backprop, strides, padding, explicit_paddings, data_format, dilations
):
    """Conv2D's filter gradient, an HWIO tensor of ``filter_sizes``."""
    attrs = _window_attrs(strides, padding, explicit_paddings, data_format, dilations)
    if filter_sizes.dim() != 1 or filter_sizes.shape[0] != 4:
        raise invalid(
            f"Conv2DBackpropFilter: filter_sizes input must be 1-dim with 4 elements, got shape {list(filter_sizes.shape)}"
        )
    return _filter_grad(input, tuple(int(v) for v in filter_sizes.tolist()), out_backprop, data_format, attrs)


def conv2d_backprop_filter_static(
    input, out_backprop, *, filter_sizes, strides, padding, explicit_paddings, data_format, dilations
):
    """Conv2DBackpropFilter with ``filter_sizes`` a tuple of Python ints: what specialization
    (runtime/specialize.py) runs it as once its constant ``filter_sizes`` are checked (no host read of a
    tensor at run time, so torch.compile captures it). Not an op."""
    attrs = _window_attrs(strides, padding, explicit_paddings, data_format, dilations)
    return _filter_grad(input, filter_sizes, out_backprop, data_format, attrs)


def _filter_grad(input, filter_sizes, out_backprop, data_format, attrs):
    kh, kw, f_in, f_out = filter_sizes
    c = 1 if data_format == "NCHW" else 3
    in_depth = input.shape[c]
    if f_in == 0 or in_depth % f_in:
        raise invalid(f"input depth must be evenly divisible by filter depth: {in_depth} vs {f_in}")
    if (
        input.dtype == out_backprop.dtype
        and out_backprop.dim() == 4
        and input.shape[:3] == out_backprop.shape[:3]
        and out_backprop.shape[3] == f_out
        and conv_ops.pointwise_matmul(input, input.shape, (kh, kw, f_in, f_out), **attrs)
    ):
        return torch.mm(conv_ops.nhwc_rows(input).t(), conv_ops.nhwc_rows(out_backprop)).view(1, 1, f_in, f_out)
    try:
        grad = _conv_filter_grad(
            "Conv2DCustomBackpropFilter", input, (f_out, f_in, kh, kw), out_backprop, in_depth // f_in, attrs
        )
    except RuntimeError as e:
        raise _out_depth_error("Conv2DCustomBackpropFilter", out_backprop, f_out, data_format, e) from None
    return grad.permute(2, 3, 1, 0)


def conv2d_backprop_input_and_filter(
    input,
    filter,
    out_backprop,
    strides,
    padding,
    explicit_paddings,
    data_format,
    dilations,
    keep_filter=False,
    compact_input_grad=False,
):
    """Conv2DBackpropInput and Conv2DBackpropFilter of one convolution in one ``convolution_backward``
    call: (input gradient, filter gradient), each as its own op gives it.

    Not an op: specialization (runtime/specialize_conv.py) runs the two through it where TF's gradient graph
    has them side by side (the same out_backprop, filter, input and attrs). oneDNN then reads
    out_backprop once for both gradients. ``keep_filter``: ``filter`` is never fed (``conv_ops._oihw``).
    ``compact_input_grad`` (specialization's, for an NHWC 1x1 filter with a stride above 1, SAME or VALID: the
    input gradient is zero but at the strided pixels): the input gradient as those pixels alone,
    ``[:, ::stride h, ::stride w]`` of it, for ``add_n_strided_relu_grad``, its only reader.
    """
    if compact_input_grad:
        return _compact_backprop(
            input, filter, out_backprop, strides, padding, explicit_paddings, data_format, dilations
        )
    geometry = conv_ops.direct_geometry(input, filter, strides, padding, data_format, dilations)
    if geometry is not None:
        grads = conv_ops.direct_backward(input, filter, out_backprop, geometry, keep_filter)
        if grads is not None:
            return grads
    attrs = _window_attrs(strides, padding, explicit_paddings, data_format, dilations)
    c = 1 if data_format == "NCHW" else 3
    in_depth, f_in = input.shape[c], filter.shape[2]
    if f_in == 0 or in_depth % f_in:
        raise invalid(f"input depth must be evenly divisible by filter depth: {in_depth} vs {f_in}")
    if (
        filter.dtype == input.dtype == out_backprop.dtype
        and out_backprop.dim() == 4
        and input.shape[:3] == out_backprop.shape[:3]
        and out_backprop.shape[3] == filter.shape[3]
        and conv_ops.pointwise_matmul(input, input.shape, filter.shape, **attrs)
    ):
        dy = conv_ops.nhwc_rows(out_backprop)
        w2 = filter.reshape(f_in, -1)
        return torch.mm(dy, w2.t()).view(input.shape), torch.mm(conv_ops.nhwc_rows(input).t(), dy).view(filter.shape)
    products = _strided_pointwise_products(input, filter, out_backprop, attrs)
    if products is not None:
        pixels_grad, filter_grad, strides_hw = products
        return strided_input_grad(pixels_grad, input.shape, strides_hw), filter_grad
    try:
        dx, dw = _conv_backward(
            input, filter.permute(3, 2, 0, 1), in_depth // f_in, out_backprop, attrs, _CONV_BACKPROP_LABELS
        )
    except RuntimeError as e:
        label = _CONV_BACKPROP_LABELS[0]
        raise _out_depth_error(label, out_backprop, filter.shape[3], attrs["data_format"], e) from None
    return dx, dw.permute(2, 3, 1, 0)


def _compact_backprop(input, filter, out_backprop, strides, padding, explicit_paddings, data_format, dilations):
    """``conv2d_backprop_input_and_filter``'s gradients with the input gradient as its strided pixels alone: the
    product that ``conv_ops.strided_pointwise``'s path writes into a zeroed tensor, unwritten; elsewhere the strided view
    of the full gradient (the same values: a 1x1 window pads nothing)."""
    attrs = _window_attrs(strides, padding, explicit_paddings, data_format, dilations)
    products = _strided_pointwise_products(input, filter, out_backprop, attrs)
    if products is not None:
        return products[:2]
    dx, dw = conv2d_backprop_input_and_filter(
        input, filter, out_backprop, strides, padding, explicit_paddings, data_format, dilations
    )
    return dx[:, :: strides[1], :: strides[2], :], dw


def _strided_pointwise_products(input, filter, out_backprop, attrs):
    """(the input gradient at the strided pixels alone, the filter gradient, (stride h, stride w)) of a convolution
    that ``conv_ops.strided_pointwise`` runs as a product (an NHWC 1x1 filter with a stride above 1), as the
    products they are; None for any other convolution or operands."""
    strided = conv_ops.strided_pointwise(input, input.shape, filter.shape, **attrs)
    if strided is None or not filter.dtype == input.dtype == out_backprop.dtype:
        return None
    pixels = input[:, :: strided[0], :: strided[1], :]
    if out_backprop.dim() != 4 or out_backprop.shape != (*pixels.shape[:3], filter.shape[3]):
        return None
    f_in = filter.shape[2]
    dy = conv_ops.nhwc_rows(out_backprop)
    pixels_grad = torch.mm(dy, filter.reshape(f_in, -1).t()).view(pixels.shape)
    return pixels_grad, torch.mm(pixels.reshape(-1, f_in).t(), dy).view(filter.shape), strided


def strided_input_grad(pixels_grad, input_shape, strides_hw):
    """The NHWC input gradient of a convolution with a 1x1 filter and strides ``strides_hw`` from its part at the
    strided pixels (``pixels_grad``): zero elsewhere."""
    dx = pixels_grad.new_zeros(input_shape)
    dx[:, :: strides_hw[0], :: strides_hw[1], :] = pixels_grad
    return dx


_CONV_BACKPROP_LABELS = ("Conv2DCustomBackpropInput", "Conv2DCustomBackpropFilter")
_DEPTHWISE_BACKPROP_LABELS = ("DepthwiseConv2DBackpropInput", "DepthwiseConv2DBackpropFilter")


def _conv_backward(input, weight, groups, out_backprop, attrs, labels):
    """(input gradient in the data format, OIHW weight gradient) of the convolution of ``input`` with the
    OIHW ``weight`` in ``groups`` groups, from one ``convolution_backward`` call."""
    data_format = attrs["data_format"]
    c = 1 if data_format == "NCHW" else 3
    x = to_nchw(input, data_format)
    dy = to_nchw(out_backprop, data_format)
    stride, dilation, (top, bottom, left, right) = _backprop_pads(
        labels[0],
        x.shape[2:],
        weight.shape[2:],
        dy.shape[2:],
        attrs["strides"],
        attrs["dilations"],
        attrs["padding"],
        attrs["explicit_paddings"],
        data_format,
    )
    if x.numel() == 0 or dy.numel() == 0 or weight.numel() == 0 or not dy.is_floating_point():
        return (
            _conv_input_grad(labels[0], list(input.shape), weight, out_backprop, groups, attrs),
            _conv_filter_grad(labels[1], input, tuple(weight.shape), out_backprop, groups, attrs),
        )
    symmetric = top == bottom and left == right
    dx = conv_ops.input_grad_by_convolution(dy, weight, groups, stride, dilation, top, bottom, left, right)
    if dx is not None:  # and the filter gradient alone
        dw = torch.ops.aten.convolution_backward(
            dy, x, weight, None, stride, [top, left], dilation, False, [0, 0], groups, (False, True, False)
        )[1]
        return from_nchw(dx, data_format), dw
    in_hw = x.shape[2:]
    dx = (
        None
        if symmetric
        else conv_ops.asymmetric_input_grad(dy, weight, groups, stride, dilation, top, bottom, left, right, in_hw)
    )
    if not symmetric:
        x = conv_ops.padded_input(input, x, left, right, top, bottom)
    padding = [top, left] if symmetric else [0, 0]
    dw = _strided_pointwise_filter_grad(x, dy, tuple(weight.shape), stride, padding, dilation, groups)
    if dx is not None:  # the filter gradient alone
        if dw is None:
            dw = torch.ops.aten.convolution_backward(
                dy, x, weight, None, stride, padding, dilation, False, [0, 0], groups, (False, True, False)
            )[1]
        return from_nchw(dx, data_format), dw
    dx, computed_dw, _ = torch.ops.aten.convolution_backward(
        dy, x, weight, None, stride, padding, dilation, False, [0, 0], groups, (True, dw is None, False)
    )
    dw = computed_dw if dw is None else dw
    if not symmetric:
        dx = dx[:, :, top : top + input.shape[2 if c == 1 else 1], left : left + input.shape[3 if c == 1 else 2]]
    return from_nchw(dx, data_format), dw


def _native_backprop_geometry(input_shape, filter_shape, out_backprop, attrs):
    """(top, left) where the native depthwise gradients apply to a convolution of an input of ``input_shape``
    with a filter of ``filter_shape`` whose output gradient is ``out_backprop`` (of the output's size: else the
    torch path raises TF's error), else None."""
    if len(input_shape) != 4 or len(filter_shape) != 4 or out_backprop.dim() != 4:
        return None
    geometry = conv_ops.native_geometry(input_shape[1:3], filter_shape[:2], **attrs)
    if geometry is None or tuple(out_backprop.shape[1:3]) != geometry[0]:
        return None
    return geometry[1:]


def depthwise_conv2d_backprop_input_and_filter(
    input, filter, out_backprop, strides, padding, explicit_paddings, data_format, dilations
):
    """DepthwiseConv2dNativeBackpropInput and DepthwiseConv2dNativeBackpropFilter of one depthwise
    convolution in one ``convolution_backward`` call (groups = channels, channels_last for NHWC), or one
    call of the native kernel where it applies (``conv_ops.native_geometry``):
    (input gradient, filter gradient), each as its own op gives it. Not an op (specialization's, as
    ``conv2d_backprop_input_and_filter``)."""
    attrs = _window_attrs(strides, padding, explicit_paddings, data_format, dilations)
    kh, kw, channels, mult = filter.shape
    c = 1 if data_format == "NCHW" else 3
    if input.shape[c] != channels:
        label = _DEPTHWISE_BACKPROP_LABELS[0]
        raise invalid(f"{label}: input and filter must have the same depth: {input.shape[c]} vs {channels}")
    geometry = _native_backprop_geometry(input.shape, filter.shape, out_backprop, attrs)
    if geometry is not None:
        grads = depthwise_native.backprop_input_and_filter(
            input, filter, out_backprop, strides, dilations, data_format, *geometry
        )
        if grads is not None:
            return grads
    weight = filter.permute(2, 3, 0, 1).reshape(channels * mult, 1, kh, kw)
    try:
        dx, dw = _conv_backward(input, weight, channels, out_backprop, attrs, _DEPTHWISE_BACKPROP_LABELS)
    except RuntimeError as e:
        label = _DEPTHWISE_BACKPROP_LABELS[0]
        raise _out_depth_error(label, out_backprop, channels * mult, data_format, e, _DEPTHWISE_OUT_DEPTH) from None
    return dx, dw.reshape(channels, mult, kh, kw).permute(2, 3, 0, 1)


@register_gradient("Conv2D")
def _conv2d_grad(op, grad):
    attrs = _conv_attrs(op)
    shape_0, shape_1 = array_ops.shape_n([op.inputs[0], op.inputs[1]])
    return [
        raw_op("Conv2DBackpropInput", input_sizes=shape_0, filter=op.inputs[1], out_backprop=grad, **attrs),
        raw_op("Conv2DBackpropFilter", input=op.inputs[0], filter_sizes=shape_1, out_backprop=grad, **attrs),
    ]


@register_gradient("Conv2DBackpropInput")
def _conv2d_backprop_input_grad(op, grad):
    """Input sizes: none; filter: Conv2DBackpropFilter(grad, ., out_backprop); out_backprop: Conv2D(grad, filter)."""
    attrs = _conv_attrs(op)
    return [
        None,
        raw_op(
            "Conv2DBackpropFilter",
            input=grad,
            filter_sizes=array_ops.shape(op.inputs[1]),
            out_backprop=op.inputs[2],
            **attrs,
        ),
        raw_op("Conv2D", input=grad, filter=op.inputs[1], **attrs),
    ]


@register_gradient("Conv2DBackpropFilter")
def _conv2d_backprop_filter_grad(op, grad):
    attrs = _conv_attrs(op)
    return [
        raw_op(
            "Conv2DBackpropInput",
            input_sizes=array_ops.shape(op.inputs[0]),
            filter=grad,
            out_backprop=op.inputs[2],
            **attrs,
        ),
        None,
        raw_op("Conv2D", input=op.inputs[0], filter=grad, **attrs),
    ]


@register_op(
    "DepthwiseConv2dNativeBackpropInput",
    inputs=["input_sizes: int32", "filter: T", "out_backprop: T"],
    outputs=["output: T"],
    attrs=["T: {half, bfloat16, float, double}", *conv_ops.CONV_ATTRS],
    shape=_depthwise_backprop_input_shape,
)
def depthwise_conv2d_native_backprop_input(
    input_sizes, filter, out_backprop, strides, padding, explicit_paddings, data_format, dilations
):
    """DepthwiseConv2dNative's input gradient for an input of ``input_sizes``."""
    attrs = _window_attrs(strides, padding, explicit_paddings, data_format, dilations)
    label = "DepthwiseConv2DBackpropInput"
    kh, kw, channels, mult = filter.shape
    sizes = _input_sizes(label, input_sizes, None, None, data_format, False)
    c = 1 if data_format == "NCHW" else 3
    if sizes[c] != channels:
        raise invalid(f"{label}: input and filter must have the same depth: {sizes[c]} vs {channels}")
    geometry = _native_backprop_geometry(sizes, filter.shape, out_backprop, attrs)
    if geometry is not None:
        dx = depthwise_native.backprop_input(sizes, filter, out_backprop, strides, dilations, data_format, *geometry)
        if dx is not None:
            return dx
    weight = filter.permute(2, 3, 0, 1).reshape(channels * mult, 1, kh, kw)
    try:
        return _conv_input_grad(label, sizes, weight, out_backprop, channels, attrs)
    except RuntimeError as e:
        raise _out_depth_error(label, out_backprop, channels * mult, data_format, e, _DEPTHWISE_OUT_DEPTH) from None


@register_op(
    "DepthwiseConv2dNativeBackpropFilter",
    inputs=["input: T", "filter_sizes: int32", "out_backprop: T"],
    outputs=["output: T"],
    attrs=["T: {half, bfloat16, float, double}", *conv_ops.CONV_ATTRS],
    shape=_conv2d_backprop_filter_shape,
)
def depthwise_conv2d_native_backprop_filter(
    input, filter_sizes, out_backprop, strides, padding, explicit_paddings, data_format, dilations
):
    """DepthwiseConv2dNative's filter gradient, [H, W, in_channels, multiplier] of ``filter_sizes``."""
    attrs = _window_attrs(strides, padding, explicit_paddings, data_format, dilations)
    label = "DepthwiseConv2DBackpropFilter"
    if filter_sizes.dim() != 1 or filter_sizes.shape[0] != 4:
        raise invalid(f"{label}: filter_sizes input must be 1-dim with 4 elements")
    kh, kw, channels, mult = (int(v) for v in filter_sizes.tolist())
    c = 1 if data_format == "NCHW" else 3
    if input.shape[c] != channels:
        raise invalid(f"{label}: input and filter must have the same depth: {input.shape[c]} vs {channels}")
    sizes = (kh, kw, channels, mult)
    geometry = _native_backprop_geometry(input.shape, sizes, out_backprop, attrs)
    if geometry is not None:
        dw = depthwise_native.backprop_filter(input, sizes, out_backprop, strides, dilations, data_format, *geometry)
        if dw is not None:
            return dw
    try:
        grad = _conv_filter_grad(label, input, (channels * mult, 1, kh, kw), out_backprop, channels, attrs)
    except RuntimeError as e:
        raise _out_depth_error(label, out_backprop, channels * mult, data_format, e, _DEPTHWISE_OUT_DEPTH) from None
    return grad.reshape(channels, mult, kh, kw).permute(2, 3, 0, 1)


@register_gradient("DepthwiseConv2dNative")
def _depthwise_conv2d_native_grad(op, grad):
    attrs = _conv_attrs(op, cudnn=False)
    return [
        raw_op(
            "DepthwiseConv2dNativeBackpropInput",
            input_sizes=array_ops.shape(op.inputs[0]),
            filter=op.inputs[1],
            out_backprop=grad,
            **attrs,
        ),
        raw_op(
            "DepthwiseConv2dNativeBackpropFilter",
            input=op.inputs[0],
            filter_sizes=array_ops.shape(op.inputs[1]),
            out_backprop=grad,
            **attrs,
        ),
    ]


@register_gradient("DepthwiseConv2dNativeBackpropInput")
def _depthwise_conv2d_native_backprop_input_grad(op, grad):
    attrs = _conv_attrs(op, cudnn=False)
    return [
        None,
        raw_op(
            "DepthwiseConv2dNativeBackpropFilter",
            input=grad,
            filter_sizes=array_ops.shape(op.inputs[1]),
            out_backprop=op.inputs[2],
            **attrs,
        ),
        raw_op("DepthwiseConv2dNative", input=grad, filter=op.inputs[1], **attrs),
    ]


@register_gradient("DepthwiseConv2dNativeBackpropFilter")
def _depthwise_conv2d_native_backprop_filter_grad(op, grad):
    attrs = _conv_attrs(op, cudnn=False)
    return [
        raw_op(
            "DepthwiseConv2dNativeBackpropInput",
            input_sizes=array_ops.shape(op.inputs[0]),
            filter=grad,
            out_backprop=op.inputs[2],
            **attrs,
        ),
        None,
        raw_op("DepthwiseConv2dNative", input=op.inputs[0], filter=grad, **attrs),
    ]
