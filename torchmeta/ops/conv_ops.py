"""Convolution and pooling ops: Conv2D, DepthwiseConv2dNative, MaxPool, MaxPoolV2, AvgPool.

Layouts: TF images are NHWC by default (``data_format="NCHW"`` is also accepted) and filters
HWIO (height, width, in, out); torch wants NCHW and OIHW. Kernels permute on the way in and out
(``permute`` is a view: an NHWC tensor viewed as NCHW is torch's channels_last layout, which its
convolutions handle natively).

Padding: TF's SAME pads ``max((out - 1) * stride + effective_k - in, 0)`` in total, the smaller
half before and the larger after, so it can be asymmetric; torch's ``padding=`` is symmetric, so
asymmetric cases pad explicitly first. EXPLICIT padding takes ``explicit_paddings``: a
(before, after) pair per dimension, in ``data_format`` order.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 - the usual torch idiom

from torchmeta import errors
from torchmeta.framework import tensor_util
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.ops.nn_ops import merge_dim, shape_error, str_attr, with_rank
from torchmeta.ops.registry import register_op

# ---------------------------------------------------------------------------------------------
# Window arithmetic shared by shape functions and kernels.


def _window(size: int, k: int, stride: int, dilation: int, padding: str, before: int = 0, after: int = 0):
    """TF's GetWindowedOutputSizeVerbose: (output size, pad before, pad after) for one dimension."""
    eff = (k - 1) * dilation + 1
    if padding == "VALID":
        return (size - eff + stride) // stride, 0, 0
    if padding == "SAME":
        out = (size + stride - 1) // stride
        need = max((out - 1) * stride + eff - size, 0)
        return out, need // 2, need - need // 2
    return (size + before + after - eff + stride) // stride, before, after


def _static_window(op, size, k, stride, dilation, padding, before=0, after=0):
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


def _spatial_axes(data_format: str):
    """(H, W, C) positions of a 4-D tensor in ``data_format``."""
    return (2, 3, 1) if data_format.startswith("NCHW") else (1, 2, 3)


def _explicit(p, data_format, padding):
    """((top, bottom), (left, right)) from ``explicit_paddings`` for EXPLICIT padding, else zeros."""
    if padding != "EXPLICIT":
        return (0, 0), (0, 0)
    h, w, _ = _spatial_axes(data_format)
    return (p[2 * h], p[2 * h + 1]), (p[2 * w], p[2 * w + 1])


def _check_explicit_paddings(op, padding, explicit_paddings, data_format):
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


def _to_nchw(x, data_format):
    return x if data_format.startswith("NCHW") else x.permute(0, 3, 1, 2)


def _from_nchw(y, data_format):
    return y if data_format.startswith("NCHW") else y.permute(0, 2, 3, 1)


def _unimplemented(message: str) -> errors.UnimplementedError:
    return errors.UnimplementedError(None, None, message)


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _check_format(data_format):
    if data_format == "NCHW_VECT_C":
        raise _unimplemented("data_format NCHW_VECT_C is not supported; use NHWC or NCHW")


def _pads(x, kh, kw, sh, sw, dh, dw, padding, explicit):
    """(out_h, out_w, top, bottom, left, right) for NCHW ``x``."""
    (pt, pb), (pl, pr) = explicit
    out_h, top, bottom = _window(x.shape[2], kh, sh, dh, padding, pt, pb)
    out_w, left, right = _window(x.shape[3], kw, sw, dw, padding, pl, pr)
    if out_h < 0 or out_w < 0:
        size, k, s, d = (x.shape[2], kh, sh, dh) if out_h < 0 else (x.shape[3], kw, sw, dw)
        raise _invalid(
            f"Computed output size would be negative: {min(out_h, out_w)} [input_size: {size}, "
            f"effective_filter_size: {(k - 1) * d + 1}, stride: {s}]"
        )
    return out_h, out_w, top, bottom, left, right


# ---------------------------------------------------------------------------------------------
# Conv2D, DepthwiseConv2dNative


def _conv_shape(op, depthwise: bool):
    fmt = str_attr(op, "data_format")
    name = "DepthwiseConv2D" if depthwise else "Conv2D"
    h, w, c = _spatial_axes(fmt)
    x = with_rank(op, 0, 4)
    kh, kw, f_in, f_out = with_rank(op, 1, 4)
    strides = op.get_attr("strides")
    dilations = op.get_attr("dilations")
    padding = str_attr(op, "padding")
    paddings = op.get_attr("explicit_paddings")
    if len(strides) != 4:
        where = "" if depthwise else f" on data format {fmt}"
        raise shape_error(
            op, f"{name}{where} requires the stride attribute to contain 4 values, but got: {len(strides)}"
        )
    if len(dilations) != 4:
        attr = "dilations" if depthwise else "dilation"
        raise shape_error(op, f"{name} requires the {attr} attribute to contain 4 values, but got: {len(dilations)}")
    _check_explicit_paddings(op, padding, paddings, fmt)
    in_depth = x[c]
    if depthwise:
        in_depth = merge_dim(op, in_depth, f_in)
        out_depth = None if in_depth is None or f_out is None else in_depth * f_out
    else:
        out_depth = f_out
        if in_depth is not None and f_in is not None:
            if f_in == 0:
                raise shape_error(op, "Depth of filter must not be 0")
            if in_depth % f_in:
                raise shape_error(
                    op, f"Depth of input ({in_depth}) is not a multiple of input depth of filter ({f_in})"
                )
            groups = in_depth // f_in
            if f_out is not None and groups and f_out % groups:
                raise shape_error(op, f"Depth of output ({f_out}) is not a multiple of the number of groups ({groups})")
    (pt, pb), (pl, pr) = _explicit(paddings, fmt, padding)
    out_h = _static_window(op, x[h], kh, strides[h], dilations[h], padding, pt, pb)
    out_w = _static_window(op, x[w], kw, strides[w], dilations[w], padding, pl, pr)
    dims = [x[0], None, None, None]
    dims[h], dims[w], dims[c] = out_h, out_w, out_depth
    return [TensorShape(dims)]


def _conv2d_shape(op):
    return _conv_shape(op, False)


def _depthwise_shape(op):
    return _conv_shape(op, True)


def _conv(x, weight, groups, strides, dilations, padding, explicit_paddings, data_format, kh, kw):
    h, w, c = _spatial_axes(data_format)
    if strides[0] != 1 or strides[c] != 1:
        raise _unimplemented("Current implementation does not yet support strides in the batch and depth dimensions.")
    if dilations[0] != 1 or dilations[c] != 1:
        raise _invalid("Current implementation does not yet support dilations in the batch and depth dimensions.")
    sh, sw, dh, dw = strides[h], strides[w], dilations[h], dilations[w]
    x = _to_nchw(x, data_format)
    explicit = _explicit(explicit_paddings, data_format, padding)
    out_h, out_w, top, bottom, left, right = _pads(x, kh, kw, sh, sw, dh, dw, padding, explicit)
    if out_h == 0 or out_w == 0 or x.shape[0] == 0:
        y = x.new_zeros((x.shape[0], weight.shape[0], out_h, out_w))
        return _from_nchw(y, data_format)
    integer = not x.is_floating_point() and x.device.type != "cpu"
    if integer:  # torch has integer convolutions on CPU only
        x, weight = x.double(), weight.double()
    if top == bottom and left == right:
        y = F.conv2d(x, weight, None, (sh, sw), (top, left), (dh, dw), groups)
    else:
        x = F.pad(x, (left, right, top, bottom))
        y = F.conv2d(x, weight, None, (sh, sw), 0, (dh, dw), groups)
    if integer:
        y = y.to(torch.int32)
    return _from_nchw(y, data_format)


_CONV_ATTRS = [
    "strides: list(int)",
    "padding: {'SAME', 'VALID', 'EXPLICIT'}",
    "explicit_paddings: list(int) = []",
    "data_format: {'NHWC', 'NCHW'} = \"NHWC\"",
    "dilations: list(int) = [1, 1, 1, 1]",
]


@register_op(
    "Conv2D",
    inputs=["input: T", "filter: T"],
    outputs=["output: T"],
    attrs=[
        "T: {half, bfloat16, float, double, int32}",
        _CONV_ATTRS[0],
        "use_cudnn_on_gpu: bool = true",
        *_CONV_ATTRS[1:],
    ],
    shape=_conv2d_shape,
)
def conv2d(input, filter, strides, padding, explicit_paddings, data_format, dilations):
    """2-D convolution of an NHWC (or NCHW) ``input`` with an HWIO ``filter``.

    The filter is permuted to torch's OIHW; when the input has ``groups`` times the filter's
    input depth, the convolution is grouped, as in TF.
    """
    c = 1 if data_format == "NCHW" else 3
    in_depth, f_in = input.shape[c], filter.shape[2]
    if f_in == 0 or in_depth % f_in:
        raise _invalid(f"input depth must be evenly divisible by filter depth: {in_depth} vs {f_in}")
    weight = filter.permute(3, 2, 0, 1)
    return _conv(
        input,
        weight,
        in_depth // f_in,
        strides,
        dilations,
        padding,
        explicit_paddings,
        data_format,
        filter.shape[0],
        filter.shape[1],
    )


@register_op(
    "DepthwiseConv2dNative",
    inputs=["input: T", "filter: T"],
    outputs=["output: T"],
    attrs=["T: {half, bfloat16, float, double}", *_CONV_ATTRS],
    shape=_depthwise_shape,
)
def depthwise_conv2d_native(input, filter, strides, padding, explicit_paddings, data_format, dilations):
    """Per-channel convolution; ``filter`` is [H, W, in_channels, multiplier].

    Output channel ``c * multiplier + m`` is input channel ``c`` convolved with ``filter[:, :, c, m]``:
    a torch convolution with ``groups=in_channels`` and the filter reshaped to (C*M, 1, H, W).
    """
    kh, kw, channels, mult = filter.shape
    c = 1 if data_format == "NCHW" else 3
    if input.shape[c] != channels:  # the wording of TF's default (oneDNN) CPU kernel
        raise _invalid(f"input depth must be evenly divisible by filter depth: {input.shape[c]} vs {channels}")
    weight = filter.permute(2, 3, 0, 1).reshape(channels * mult, 1, kh, kw)
    return _conv(input, weight, channels, strides, dilations, padding, explicit_paddings, data_format, kh, kw)


# ---------------------------------------------------------------------------------------------
# Pooling


def _pool_shape_for(op, ksize, strides, padding, paddings, fmt, pool_depth: bool):
    name = op.type
    h, w, c = _spatial_axes(fmt)
    x = with_rank(op, 0, 4)
    if ksize is None or strides is None:
        return [unknown_shape()]
    if len(strides) != 4:
        raise shape_error(op, f"{name} requires the stride attribute to contain 4 values, but got: {len(strides)}")
    if len(ksize) != 4:
        raise shape_error(op, f"{name} requires the ksize attribute to contain 4 values, but got: {len(ksize)}")
    (pt, pb), (pl, pr) = _explicit(paddings, fmt, padding)
    dims = list(x)
    dims[h] = _static_window(op, x[h], ksize[h], strides[h], 1, padding, pt, pb)
    dims[w] = _static_window(op, x[w], ksize[w], strides[w], 1, padding, pl, pr)
    if pool_depth:
        dims[c] = _static_window(op, x[c], ksize[c], strides[c], 1, "VALID" if padding == "EXPLICIT" else padding)
    return [TensorShape(dims)]


def _max_pool_shape(op):
    padding = str_attr(op, "padding")
    paddings = op.get_attr("explicit_paddings")
    fmt = str_attr(op, "data_format")
    _check_explicit_paddings(op, padding, paddings, fmt)
    return _pool_shape_for(op, op.get_attr("ksize"), op.get_attr("strides"), padding, paddings, fmt, True)


def _avg_pool_shape(op):
    return _pool_shape_for(
        op,
        op.get_attr("ksize"),
        op.get_attr("strides"),
        str_attr(op, "padding"),
        [],
        str_attr(op, "data_format"),
        False,
    )


def _max_pool_v2_shape(op):
    ksize = tensor_util.constant_value(op.inputs[1])
    strides = tensor_util.constant_value(op.inputs[2])
    if ksize is None or strides is None:
        return [unknown_shape()]
    ksize, strides = [int(v) for v in ksize.reshape(-1)], [int(v) for v in strides.reshape(-1)]
    return _pool_shape_for(op, ksize, strides, str_attr(op, "padding"), [], str_attr(op, "data_format"), True)


def _check_pool_batch(ksize, strides):
    if ksize[0] != 1 or strides[0] != 1:
        raise _unimplemented("Pooling is not yet supported on the batch dimension.")


def _max_pool(input, ksize, strides, padding, explicit_paddings, data_format):
    _check_format(data_format)
    if len(ksize) != 4 or len(strides) != 4:
        raise _invalid("Sliding window ksize and strides fields must specify 4 dimensions")
    _check_pool_batch(ksize, strides)
    h, w, c = _spatial_axes(data_format)
    kh, kw, kc = ksize[h], ksize[w], ksize[c]
    if kc != 1:
        if kh != 1 or kw != 1:
            raise _unimplemented(
                "MaxPooling supports exactly one of pooling across depth or pooling across width/height."
            )
        if strides[c] != kc:
            raise _unimplemented("Depthwise max pooling requires the depth window to equal the depth stride")
        depth = input.shape[c]
        if depth % kc:
            raise _unimplemented("Depthwise max pooling requires the depth window to evenly divide the input depth")
        return input.unflatten(c, (depth // kc, kc)).amax(c + 1)
    sh, sw = strides[h], strides[w]
    x = _to_nchw(input, data_format)
    explicit = _explicit(explicit_paddings, data_format, padding)
    out_h, out_w, top, bottom, left, right = _pads(x, kh, kw, sh, sw, 1, 1, padding, explicit)
    if out_h == 0 or out_w == 0 or x.shape[0] == 0 or x.shape[1] == 0:
        return _from_nchw(x.new_zeros((x.shape[0], x.shape[1], out_h, out_w)), data_format)
    if top == bottom and left == right and 2 * top <= kh and 2 * left <= kw:
        y = F.max_pool2d(x, (kh, kw), (sh, sw), (top, left))
    else:
        low = float("-inf") if x.is_floating_point() else torch.iinfo(x.dtype).min
        x = F.pad(x, (left, right, top, bottom), value=low)
        y = F.max_pool2d(x, (kh, kw), (sh, sw))
    return _from_nchw(y, data_format)


_POOL_TYPES = "T: {half, bfloat16, float, double, int32, int64, uint8, int16, int8, uint16, qint8} = DT_FLOAT"
_POOL_FORMATS = "data_format: {'NHWC', 'NCHW', 'NCHW_VECT_C'} = \"NHWC\""


@register_op(
    "MaxPool",
    inputs=["input: T"],
    outputs=["output: T"],
    attrs=[
        _POOL_TYPES,
        "ksize: list(int) >= 4",
        "strides: list(int) >= 4",
        "padding: {'SAME', 'VALID', 'EXPLICIT'}",
        "explicit_paddings: list(int) = []",
        _POOL_FORMATS,
    ],
    shape=_max_pool_shape,
)
def max_pool(input, ksize, strides, padding, explicit_paddings, data_format):
    """Max pooling over H and W (or, exclusively, over depth); padding never wins the max."""
    return _max_pool(input, ksize, strides, padding, explicit_paddings, data_format)


@register_op(
    "MaxPoolV2",
    inputs=["input: T", "ksize: int32", "strides: int32"],
    outputs=["output: T"],
    attrs=[_POOL_TYPES, "padding: {'SAME', 'VALID'}", _POOL_FORMATS],
    shape=_max_pool_v2_shape,
)
def max_pool_v2(input, ksize, strides, padding, data_format):
    """MaxPool with ``ksize`` and ``strides`` given as tensors."""
    return _max_pool(input, ksize.tolist(), strides.tolist(), padding, [], data_format)


@register_op(
    "AvgPool",
    inputs=["value: T"],
    outputs=["output: T"],
    attrs=[
        "ksize: list(int) >= 4",
        "strides: list(int) >= 4",
        "padding: {'SAME', 'VALID'}",
        "data_format: {'NHWC', 'NCHW'} = \"NHWC\"",
        "T: {half, bfloat16, float, double}",
    ],
    shape=_avg_pool_shape,
)
def avg_pool(value, ksize, strides, padding, data_format):
    """Average pooling over H and W; with SAME padding each window averages only real elements."""
    _check_pool_batch(ksize, strides)
    h, w, c = _spatial_axes(data_format)
    if ksize[c] != 1 or strides[c] != 1:
        raise _unimplemented("Pooling is not yet supported on the depth dimension.")
    kh, kw, sh, sw = ksize[h], ksize[w], strides[h], strides[w]
    x = _to_nchw(value, data_format)
    out_h, out_w, top, bottom, left, right = _pads(x, kh, kw, sh, sw, 1, 1, padding, ((0, 0), (0, 0)))
    if out_h == 0 or out_w == 0 or x.shape[0] == 0 or x.shape[1] == 0:
        return _from_nchw(x.new_zeros((x.shape[0], x.shape[1], out_h, out_w)), data_format)
    if top == bottom and left == right:
        y = F.avg_pool2d(x, (kh, kw), (sh, sw), (top, left), count_include_pad=False)
    else:
        pads = (left, right, top, bottom)
        sums = F.avg_pool2d(F.pad(x, pads), (kh, kw), (sh, sw), divisor_override=1)
        ones = torch.ones((1, 1, *tuple(x.shape[2:])), dtype=x.dtype, device=x.device)
        counts = F.avg_pool2d(F.pad(ones, pads), (kh, kw), (sh, sw), divisor_override=1)
        y = sums / counts
    return _from_nchw(y, data_format)
