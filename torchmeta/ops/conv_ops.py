"""Convolution ops: Conv2D and DepthwiseConv2dNative, the specializer's fused forward kernels (conv + bias
(+ add) + Relu, conv + batch norm), and the padding and direct training path they share with the gradient ops
(Conv2DBackpropInput/Filter, DepthwiseConv2dNativeBackpropInput/Filter and TF's gradients of all of these),
which live in ``conv_grad_ops.py``. Pooling lives in ``pool_ops.py`` and shares the window arithmetic
(``windows.py``).

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

import contextlib

import torch
import torch.nn.functional as F  # noqa: N812 - the usual torch idiom

from torchmeta.framework.common_shapes import input_with_rank, merge_dim, shape_error
from torchmeta.framework.registry import register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops import depthwise_native
from torchmeta.ops.common import CPU_FLAGS, invalid, str_attr, unimplemented
from torchmeta.ops.windows import (
    check_explicit_paddings,
    explicit_pairs,
    from_nchw,
    output_and_pads,
    spatial_axes,
    static_window_size,
    to_nchw,
    window_size,
)

# ---------------------------------------------------------------------------------------------
# Padding and the pointwise fast path shared by the convolution kernels.


def _pad(x, left, right, top, bottom):
    """``F.pad(x, (left, right, top, bottom))`` of an NCHW-shaped ``x`` in its memory format (channels_last
    stays channels_last), writing the interior once and zeroing only the border, where F.pad fills the
    whole result first (TF's SAME padding of a stride-2 window is asymmetric, so every such convolution
    and gradient pads). Under torch.compile F.pad itself: inductor writes the padded tensor in one pass in the
    layout it chose for ``x``, where the empty tensor, its slice assignment and zeroed borders gather ``x``
    across layouts element by element."""
    if x.requires_grad or min(left, right, top, bottom) < 0 or x.dim() != 4 or torch.compiler.is_compiling():
        return F.pad(x, (left, right, top, bottom))
    n, c, h, w = x.shape
    fmt = torch.channels_last if x.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format
    y = torch.empty((n, c, h + top + bottom, w + left + right), dtype=x.dtype, device=x.device, memory_format=fmt)
    y[:, :, top : top + h, left : left + w] = x
    if top:
        y[:, :, :top].zero_()
    if bottom:
        y[:, :, top + h :].zero_()
    if left:
        y[:, :, top : top + h, :left].zero_()
    if right:
        y[:, :, top : top + h, left + w :].zero_()
    return y


class _Padded:
    """A convolution input's zero-padded copies (pads -> (input version, copy)), kept on the input tensor:
    TF's SAME padding of a stride-2 window is asymmetric, which torch's convolutions take only as a padded
    copy, and TF's gradient graph convolves the same input again (Conv2DBackpropFilter, or the fused input
    + filter gradient) later in the step. Only a forward convolution that specialization marks
    (``conv2d_keeping_padded``: an input computed afresh in the run, never a fed, variable or constant tensor
    that could change outside torch between runs) keeps its copy; the gradients then reuse it instead of
    padding again. A copy is valid only while the input is unchanged (torch's version counter: in-place
    writes, native kernels included, bump it) and dies with the input tensor."""

    __slots__ = ("copies",)

    def __init__(self):
        self.copies = {}


def padded_input(input, x, left, right, top, bottom, keep=False):
    """``_pad(x, left, right, top, bottom)`` of ``x``, the NCHW view of the kernel's ``input`` tensor, reusing the
    copy a marked forward convolution kept on ``input`` (see ``_Padded``), and with ``keep`` keeping this one.
    Autograd inputs and torch.compile tracing pad as ``_pad`` does, nothing kept."""
    if x.requires_grad or torch.compiler.is_compiling() or min(left, right, top, bottom) < 0 or x.dim() != 4:
        return _pad(x, left, right, top, bottom)
    key = _padded_key(x, left, right, top, bottom)
    held = getattr(input, "_tm_padded", None)
    if held is not None:
        entry = held.copies.get(key)
        if entry is not None and entry[0] == input._version:
            return entry[1]
    padded = _pad(x, left, right, top, bottom)
    if keep:
        if held is None:
            held = _Padded()
            try:
                input._tm_padded = held
            except (AttributeError, TypeError):  # a tensor subclass without a __dict__: nothing kept
                return padded
        held.copies[key] = (input._version, padded)
    return padded


def _padded_key(x, left, right, top, bottom):
    """The key of ``x``'s (an NCHW view) copy padded so in ``_Padded.copies``."""
    return (left, right, top, bottom, x.dtype, tuple(x.shape), x.stride())


def asymmetric_pads(in_hw, k_hw, strides, padding, explicit_paddings, dilations):
    """(top, bottom, left, right) of an NHWC convolution of an input of spatial size ``in_hw`` with a ``k_hw``
    window where it pads more on one side than the other (TF's SAME padding of a stride-2 window: the
    convolution reads a padded copy, ``padded_input``), else None (or for attrs the convolution rejects)."""
    if len(strides) != 4 or len(dilations) != 4 or (padding == "EXPLICIT" and len(explicit_paddings) != 8):
        return None
    pairs = explicit_pairs(explicit_paddings, "NHWC", padding)
    pads = []
    for size, k, s, d, (before, after) in zip(in_hw, k_hw, strides[1:3], dilations[1:3], pairs):
        _, low, high = window_size(size, k, s, d, padding, before, after)
        pads += [low, high]
    top, bottom, left, right = pads
    if min(pads) < 0 or (top == bottom and left == right):
        return None
    return top, bottom, left, right


def keep_bordered(interior, bordered, top, bottom, left, right):
    """Records ``bordered`` (an NHWC tensor: ``interior``, its view, inside a zero border of those widths) as the
    padded copy of ``interior`` that a convolution padding it so takes (``padded_input``), valid while
    ``interior`` is unchanged. A producer writing its result there (the native training batch norm,
    specialization's ``padded_for``) spares the asymmetrically padded convolution its copy."""
    x = to_nchw(interior, "NHWC")
    held = _Padded()
    held.copies[_padded_key(x, left, right, top, bottom)] = (interior._version, to_nchw(bordered, "NHWC"))
    interior._tm_padded = held


def _pads_first(x, weight, groups, strides, dilations) -> bool:
    """Whether the convolution of NCHW-shaped ``x`` with the OIHW ``weight`` runs faster on a zero-padded copy of
    ``x`` than with oneDNN padding it: float32 NHWC (channels_last) on an AVX2 CPU without AVX-512 (the only kind
    measured), stride and dilation 1, one group, a window of at least 5x5 and at least 32 output channels.

    torch 2.13's oneDNN (3.12) brgemm convolution on such a CPU runs MNIST's 5x5 convolutions 25-35% slower than
    TF 2.21's (oneDNN 3.7) when it pads itself, 12% slower on the padded copy (50x14x14x32 * 5x5x32x64, one
    thread: 13.1 ms, 11.3 ms with the copy made, TF 9.9); 3x3 windows and fewer output channels got slower with
    a copy. The same results, bit for bit (oneDNN's kernel reads the padded rows it would have built). Under
    torch.compile too: inductor writes the padded copy in the kernel that produces ``x`` (the previous layer's
    pooling, the ReluGrad before the input gradient), and the extern convolution runs on it (bench/run.py's CNN
    step compiled/eager 1.06 -> 1.02, bench/results/compiled11.txt)."""
    return (
        "avx512f" not in CPU_FLAGS  # the CPU first: one set lookup where it answers (a call per convolution)
        and "avx2" in CPU_FLAGS
        and x.is_cpu
        and x.dtype == torch.float32
        and weight.dtype == torch.float32
        and x.is_contiguous(memory_format=torch.channels_last)
        and groups == 1
        and tuple(strides) == (1, 1)
        and tuple(dilations) == (1, 1)
        and weight.shape[2] >= 5
        and weight.shape[3] >= 5
        and weight.shape[0] >= 32
        and not x.requires_grad
        and not weight.requires_grad
    )


def input_grad_by_convolution(dy, weight, groups, strides, dilations, top, bottom, left, right):
    """The input gradient of a convolution with the OIHW ``weight`` padded symmetrically by (``top``, ``left``)
    (NCHW-shaped ``dy``) as oneDNN computes it, a convolution of ``dy`` with the flipped, transposed window, run on
    a padded copy of ``dy`` where ``_pads_first`` picks that for it; else None."""
    kh, kw = weight.shape[2:]
    if top != bottom or left != right or top > kh - 1 or left > kw - 1:
        return None
    transposed = weight.transpose(0, 1)
    if not _pads_first(dy, transposed, groups, strides, dilations):
        return None
    return F.conv2d(_pad(dy, kw - 1 - left, kw - 1 - right, kh - 1 - top, kh - 1 - bottom), transposed.flip(2, 3))


def asymmetric_input_grad(dy, weight, groups, strides, dilations, top, bottom, left, right, in_hw):
    """The input gradient of an asymmetrically padded convolution (TF's SAME padding of a stride-2 window: one more
    after than before) with the OIHW ``weight``, NCHW-shaped ``dy``, as oneDNN's transposed convolution with the
    forward's own (before, after) padding: torch takes a transposed convolution's padding after as its padding
    less its output padding, so a negative output padding gives the larger padding after; oneDNN computes no
    gradient for the padded rows and columns, and the result is a whole tensor of the input's size. Else (not
    float32 on the CPU, autograd, torch.compile, or windows that leave rows uncovered) None: the gradient of a
    padded copy, cropped.

    The stride-2 layers of bench/models.py's resnet: 1.58 -> 1.59 ms (32x32x16, 3x3x16x32) and 1.52 -> 1.37 ms
    (16x16x32, 3x3x32x64) for the input gradient alone, one thread, and its consumers read a whole tensor
    instead of a cropped view."""
    if not _onednn_pointwise(dy, weight, None):
        return None
    output_padding = []
    for size, d, k, s, dilation, before, after in zip(
        in_hw, dy.shape[2:], weight.shape[2:], strides, dilations, (top, left), (bottom, right)
    ):
        # rows past the last window (EXPLICIT padding) get no gradient: left to the cropped path
        if (d - 1) * s + dilation * (k - 1) + 1 != size + before + after or before - after >= max(s, dilation):
            return None
        output_padding.append(before - after)
    return torch.ops.mkldnn._convolution_transpose_pointwise(
        dy, weight, None, [top, left], output_padding, list(strides), list(dilations), groups, "none", [], ""
    )


def pointwise_matmul(x, x_shape, filter_shape, strides, padding, explicit_paddings, data_format, dilations) -> bool:
    """Whether a convolution of an NHWC input of ``x_shape`` (on ``x``'s device, of its dtype) with a 1x1 filter of ``filter_shape`` (HWIO; stride 1, no padding,
    one group) runs as a matmul of x's rows ([N*H*W, in]) by the [in, out] filter: on the CPU, 10-15%
    faster than oneDNN's 1x1 convolution for both the convolution and its gradients (measured for 32-256
    channels), and exactly the same sums. Other cases (and every error) take the convolution path."""
    return (
        data_format == "NHWC"
        and len(x_shape) == 4
        and len(filter_shape) == 4
        and filter_shape[0] == 1
        and filter_shape[1] == 1
        and x_shape[3] == filter_shape[2]
        and list(strides) == [1, 1, 1, 1]
        and len(dilations) == 4
        and dilations[0] == 1
        and dilations[3] == 1
        and (padding in ("SAME", "VALID") or (padding == "EXPLICIT" and list(explicit_paddings) == [0] * 8))
        and x.device.type == "cpu"
        and x.dtype in (torch.float32, torch.float64)
        and min(x_shape) > 0
        and filter_shape[3] > 0
    )


def strided_pointwise(x, x_shape, filter_shape, strides, padding, explicit_paddings, data_format, dilations):
    """(stride height, stride width) where a convolution of an NHWC input of ``x_shape`` with a 1x1 filter of
    ``filter_shape`` has a stride above 1 and is otherwise ``pointwise_matmul``'s (a 1x1 window pads nothing, SAME
    or VALID): it runs as the product it is, the input's strided pixels' rows by the [in, out] filter, and its
    input gradient as that product's transpose written to those pixels of a zeroed tensor; else None. ResNet's
    stride-2 projections (bench/models.py's resnet, one thread, CPU ms per call, rotating inputs): forward
    0.58 -> 0.37 (32x32x16 -> 32) and 0.34 -> 0.20 (16x16x32 -> 64), input gradient 0.59 -> 0.42 and
    0.38 -> 0.22, against torch's oneDNN convolution."""
    if data_format != "NHWC" or len(strides) != 4 or strides[0] != 1 or strides[3] != 1 or list(strides) == [1] * 4:
        return None
    if not pointwise_matmul(x, x_shape, filter_shape, [1, 1, 1, 1], padding, explicit_paddings, data_format, dilations):
        return None
    return strides[1], strides[2]


def nhwc_rows(x):
    """An NHWC tensor as its [N*H*W, C] rows (a view when NHWC-contiguous)."""
    return x.reshape(-1, x.shape[-1])


# ---------------------------------------------------------------------------------------------
# The direct path of a training step's convolutions: float32 NHWC on the CPU, one group, no dilation, a window
# larger than 1x1. The generic path's checks and window arithmetic cost 10-20 us a forward and 40 us a fused
# gradient (tiny shapes, one thread), and torch copies the HWIO filter's OIHW view into the layout its oneDNN
# convolution reads on every call (the forward, the input gradient, the fused gradients: 40 us for 3x3x64x64);
# here the geometry is worked out once per shape and, where specialization marks the filter as never fed
# (``keep_filter``), the copy is made once per filter version and shared by the step's forward and gradients.

_GEOMETRY: dict = {}  # (input shape, filter shape, strides, padding) -> direct_geometry's answer


def direct_geometry(input, filter, strides, padding, data_format, dilations):
    """((stride h, stride w), (top, bottom, left, right), (out h, out w)) where ``_conv2d`` and
    ``conv_grad_ops.conv2d_backprop_input_and_filter`` take the direct path for an NHWC ``input`` and HWIO
    ``filter``, else None (the generic path: other dtypes, devices, layouts, autograd, torch.compile, groups,
    dilations, EXPLICIT padding, 1x1 windows (products), empty results, and where ``_pads_first`` might pad
    first). The same torch calls as the generic path, on the same arguments: the same values bit for bit."""
    if (
        data_format != "NHWC"
        or padding == "EXPLICIT"
        or input.dtype != torch.float32
        or filter.dtype != torch.float32
        or not input.is_cpu
        or input.requires_grad
        or filter.requires_grad
        or dilations != _NO_DILATION
        or not _MKLDNN
        or torch.compiler.is_compiling()
    ):
        return None
    key = (input.shape, filter.shape, *strides, padding, CPU_FLAGS)  # (tests stand in other CPUs' flags)
    geometry = _GEOMETRY.get(key, False)
    if geometry is False:
        if len(_GEOMETRY) >= 1024:  # feeds of ever new shapes: keep the latest ones
            _GEOMETRY.clear()
        geometry = _GEOMETRY[key] = _plain_geometry(input.shape, filter.shape, strides, padding)
    return geometry


_NO_DILATION = [1, 1, 1, 1]


def _plain_geometry(x_shape, f_shape, strides, padding):
    """``direct_geometry``'s answer for these shapes and attrs (a float32 CPU NHWC convolution)."""
    if len(x_shape) != 4 or len(f_shape) != 4 or len(strides) != 4 or strides[0] != 1 or strides[3] != 1:
        return None
    kh, kw, f_in, f_out = f_shape
    if x_shape[3] != f_in or kh * kw == 1 or min(*x_shape, *f_shape, *strides) <= 0:
        return None
    if (
        "avx512f" not in CPU_FLAGS
        and "avx2" in CPU_FLAGS
        and kh >= 5
        and kw >= 5
        and max(f_in, f_out) >= 32
        and strides[1] == strides[2] == 1
    ):
        return None  # _pads_first may pad the input (or the input gradient's dy) first: the generic path decides
    out_h, top, bottom = window_size(x_shape[1], kh, strides[1], 1, padding)
    out_w, left, right = window_size(x_shape[2], kw, strides[2], 1, padding)
    if out_h <= 0 or out_w <= 0 or min(top, bottom, left, right) < 0:
        return None
    if top != bottom or left != right:
        # the input gradient as one transposed convolution (asymmetric_input_grad): windows must cover the input
        for size, k, s, d, before, after in (
            (x_shape[1], kh, strides[1], out_h, top, bottom),
            (x_shape[2], kw, strides[2], out_w, left, right),
        ):
            if (d - 1) * s + k != size + before + after or before - after >= s:
                return None
    return (strides[1], strides[2]), (top, bottom, left, right), (out_h, out_w)


def _oihw(filter, keep):
    """The OIHW weight of an HWIO float32 ``filter`` laid out as torch's oneDNN convolutions of a channels_last
    input read it (channels_last: O, H, W, I in memory), which they would otherwise copy it to on each call; with
    ``keep`` (specialization's mark: ``filter`` is never fed, so it changes only through torch) kept on ``filter``
    while its version is unchanged: the step's forward, input gradient and filter gradient read one copy."""
    if keep:
        held = getattr(filter, "_tm_oihw", None)
        if held is not None and held[0] == filter._version:
            return held[1]
    weight = filter.permute(3, 2, 0, 1).contiguous(memory_format=torch.channels_last)
    if keep:
        with contextlib.suppress(AttributeError, TypeError):  # a tensor subclass without a __dict__: nothing kept
            filter._tm_oihw = (filter._version, weight)
    return weight


def _direct_conv2d(input, filter, geometry, keep_padded, keep_filter):
    """The forward on ``direct_geometry``'s path: ``_conv``'s F.conv2d, on the padded copy where the padding is
    asymmetric."""
    stride, (top, bottom, left, right), _ = geometry
    x = input.permute(0, 3, 1, 2)
    if top != bottom or left != right:
        x = padded_input(input, x, left, right, top, bottom, keep_padded)
        top = left = 0
    return F.conv2d(x, _oihw(filter, keep_filter), None, stride, (top, left)).permute(0, 2, 3, 1)


def direct_backward(input, filter, out_backprop, geometry, keep_filter):
    """(input gradient, filter gradient) on ``direct_geometry``'s path, as ``conv_grad_ops._conv_backward``
    computes them: one convolution_backward call, or for asymmetric padding the transposed convolution and the
    filter gradient of the padded copy; None where ``out_backprop`` is not of the output's shape (the generic
    path raises TF's error)."""
    stride, (top, bottom, left, right), (out_h, out_w) = geometry
    if (
        out_backprop.dtype != torch.float32
        or out_backprop.requires_grad
        or not out_backprop.is_cpu
        or out_backprop.shape != (input.shape[0], out_h, out_w, filter.shape[3])
    ):
        return None
    x, dy, weight = input.permute(0, 3, 1, 2), out_backprop.permute(0, 3, 1, 2), _oihw(filter, keep_filter)
    if top == bottom and left == right:
        dx, dw, _ = torch.ops.aten.convolution_backward(
            dy, x, weight, None, stride, [top, left], [1, 1], False, [0, 0], 1, (True, True, False)
        )
    else:
        dx = torch.ops.mkldnn._convolution_transpose_pointwise(
            dy, weight, None, [top, left], [top - bottom, left - right], list(stride), [1, 1], 1, "none", [], ""
        )
        x = padded_input(input, x, left, right, top, bottom)
        dw = torch.ops.aten.convolution_backward(
            dy, x, weight, None, stride, [0, 0], [1, 1], False, [0, 0], 1, (False, True, False)
        )[1]
    return dx.permute(0, 2, 3, 1), dw.permute(2, 3, 1, 0)


# ---------------------------------------------------------------------------------------------
# Conv2D, DepthwiseConv2dNative


def _conv_shape(op, depthwise: bool):
    fmt = str_attr(op, "data_format")
    name = "DepthwiseConv2D" if depthwise else "Conv2D"
    h, w, c = spatial_axes(fmt)
    x = input_with_rank(op, 0, 4)
    kh, kw, f_in, f_out = input_with_rank(op, 1, 4)
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
    check_explicit_paddings(op, padding, paddings, fmt)
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
    (pt, pb), (pl, pr) = explicit_pairs(paddings, fmt, padding)
    out_h = static_window_size(op, x[h], kh, strides[h], dilations[h], padding, pt, pb)
    out_w = static_window_size(op, x[w], kw, strides[w], dilations[w], padding, pl, pr)
    dims = [x[0], None, None, None]
    dims[h], dims[w], dims[c] = out_h, out_w, out_depth
    return [TensorShape(dims)]


def _conv2d_shape(op):
    return _conv_shape(op, False)


def _depthwise_shape(op):
    return _conv_shape(op, True)


def _conv(
    x,
    weight,
    groups,
    strides,
    dilations,
    padding,
    explicit_paddings,
    data_format,
    kh,
    kw,
    bias=None,
    relu=False,
    other=None,
    keep_padded=False,
    folded=None,
    plan=None,
):
    """The convolution of NHWC/NCHW ``x`` with an OIHW ``weight``; with ``bias``, ``other`` (a tensor of
    the result's shape, added) and ``relu`` (the specializer's conv + bias add + add + Relu fusion) those
    follow it, in one oneDNN call on the CPU. ``keep_padded``: a padded copy of ``x`` is kept for its
    gradients (``padded_input``). ``folded``: the ``_Folded`` ``weight`` comes from, which keeps oneDNN's
    reordered copy of it; ``plan``: the key under which ``folded`` keeps what this call decided (``_ConvPlan``)."""
    h, w, c = spatial_axes(data_format)
    if strides[0] != 1 or strides[c] != 1:
        raise unimplemented("Current implementation does not yet support strides in the batch and depth dimensions.")
    if dilations[0] != 1 or dilations[c] != 1:
        raise invalid("Current implementation does not yet support dilations in the batch and depth dimensions.")
    sh, sw, dh, dw = strides[h], strides[w], dilations[h], dilations[w]
    input, x = x, to_nchw(x, data_format)
    explicit = explicit_pairs(explicit_paddings, data_format, padding)
    out_h, out_w, top, bottom, left, right = output_and_pads(x, kh, kw, sh, sw, dh, dw, padding, explicit)
    if out_h == 0 or out_w == 0 or x.shape[0] == 0:
        y = x.new_zeros((x.shape[0], weight.shape[0], out_h, out_w))
        if bias is not None:
            y = y + bias.view(-1, 1, 1)
        if other is not None:
            y = y + to_nchw(other, data_format)
        return from_nchw(torch.relu(y) if relu else y, data_format)
    integer = not x.is_floating_point() and x.device.type != "cpu"
    if integer:  # torch has integer convolutions on CPU only
        x, weight = x.double(), weight.double()
    pad, pads = (top, left), None
    if (top != bottom or left != right) and _shifted_depthwise(x, weight, groups, top, bottom, left, right, dh, dw):
        # TF's SAME padding of a stride-2 window pads one more after than before; a depthwise kernel with a
        # zero tap put before it and the larger padding on both sides computes the same windows, without
        # copying the input into a padded one (which costs more than the depthwise convolution itself)
        weight = F.pad(weight, (right - left, 0, bottom - top, 0))
        pad, plan = (bottom, right), None
    elif top != bottom or left != right:
        x = padded_input(input, x, left, right, top, bottom, keep_padded)
        pad, pads = (0, 0), (left, right, top, bottom, keep_padded)
    elif (top or left) and _pads_first(x, weight, groups, (sh, sw), (dh, dw)):
        x = _pad(x, left, right, top, bottom)
        pad, plan = (0, 0), None
    added = None if other is None else to_nchw(other, data_format)
    if (bias is not None or relu or added is not None) and _onednn_pointwise(x, weight, bias, added):
        if folded is not None:
            weight = folded.onednn_weight(weight, x, pad, (sh, sw), (dh, dw), groups)
            if plan is not None and folded.reused:
                folded.keep_plan(plan, _ConvPlan(data_format, pads, weight, pad, (sh, sw), (dh, dw), groups, relu))
        return from_nchw(_onednn_conv(x, added, weight, bias, pad, (sh, sw), (dh, dw), groups, relu), data_format)
    y = F.conv2d(x, weight, bias, (sh, sw), pad, (dh, dw), groups)
    if integer:
        y = y.to(torch.int32)
    if added is not None:
        y = y + added
    if relu:
        y = torch.relu(y)
    return from_nchw(y, data_format)


def _onednn_conv(x, added, weight, bias, pad, stride, dilation, groups, relu):
    """torch's oneDNN convolution of NCHW-shaped ``x`` with ``bias``, ``added`` (None or a tensor of the result's
    shape) and ``relu`` as post-ops."""
    if added is not None:
        fmt = torch.channels_last if x.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format
        return torch.ops.mkldnn._convolution_pointwise.binary(
            x,
            added.contiguous(memory_format=fmt),
            weight,
            bias,
            pad,
            stride,
            dilation,
            groups,
            "add",
            None,
            "relu" if relu else None,
            [],
            None,
        )
    return torch.ops.mkldnn._convolution_pointwise(
        x, weight, bias, pad, stride, dilation, groups, "relu" if relu else "none", [], ""
    )


class _ConvPlan:
    """What ``_conv`` decided for an inference convolution of a kept fold (``_Folded.plans``): the padded copy's
    pads (or None), oneDNN's reordered filter and the call's arguments, so that the following runs with the same
    input shape and attrs make that oneDNN call at once. ``_conv``'s checks and window arithmetic, run cold
    between two convolutions of a step, cost 30-60 us a call (ResNet-style inference: ~0.4 ms of its ~8 ms)."""

    __slots__ = ("data_format", "pads", "weight", "pad", "stride", "dilation", "groups", "relu")

    def __init__(self, data_format, pads, weight, pad, stride, dilation, groups, relu):
        self.data_format, self.pads, self.weight, self.pad = data_format, pads, weight, pad
        self.stride, self.dilation, self.groups, self.relu = stride, dilation, groups, relu

    def run(self, input, bias, other):
        """``_conv``'s result for ``input`` (and ``other``) the way it was computed when this plan was made."""
        x = to_nchw(input, self.data_format)
        if self.pads is not None:
            x = padded_input(input, x, *self.pads)
        added = None if other is None else to_nchw(other, self.data_format)
        y = _onednn_conv(x, added, self.weight, bias, self.pad, self.stride, self.dilation, self.groups, self.relu)
        return from_nchw(y, self.data_format)


def _plan_key(input, other, strides, padding, explicit_paddings, data_format, dilations, relu):
    """The key of a ``_ConvPlan``: everything ``_conv``'s decisions for a kept fold depend on besides the fold."""
    return (
        input.shape,
        input.dtype,
        input.is_cpu,
        input.is_contiguous(),  # (_pads_first asks for a channels_last NCHW view)
        other is None,
        padding,
        data_format,
        relu,
        tuple(strides),
        tuple(dilations),
        tuple(explicit_paddings),
        CPU_FLAGS,  # (tests stand in other CPUs' flags: _pads_first)
    )


def _shifted_depthwise(x, weight, groups, top, bottom, left, right, dh, dw) -> bool:
    """Whether ``_conv`` runs this asymmetrically padded depthwise convolution with a zero tap before its
    kernel instead of a padded copy of ``x``: one more padding after than before on each padded axis, no
    dilation, float32/64 on the CPU, outside torch.compile, and every value of ``x`` finite (the zero tap
    multiplies input values, and 0 * inf would be a NaN TF does not compute; a finite sum proves them
    finite, one read of ``x``)."""
    return (
        groups > 1
        and groups == x.shape[1]
        and weight.shape[1] == 1
        and dh == dw == 1
        and bottom - top in (0, 1)
        and right - left in (0, 1)
        and min(top, left) >= 0
        and x.device.type == "cpu"
        and x.dtype in (torch.float32, torch.float64)
        and not x.requires_grad
        and not torch.compiler.is_compiling()
        and bool(torch.isfinite(x.sum()))
    )


def native_geometry(in_hw, k_hw, strides, padding, explicit_paddings, data_format, dilations):
    """((out_h, out_w), top, left) of an NHWC depthwise convolution of an input of spatial size ``in_hw``
    with a ``k_hw`` kernel that ops/depthwise_native.py's kernel runs: strided or asymmetrically padded
    (where torch's convolutions need a padded copy of the input, or a zero tap, and its depthwise gradients
    are 2-7x slower than TF's), no dilation, a non-empty output. None otherwise (and for every attr the
    torch path rejects, with TF's message)."""
    if data_format != "NHWC" or len(strides) != 4 or list(dilations) != [1, 1, 1, 1]:
        return None
    if strides[0] != 1 or strides[3] != 1 or min(strides[1], strides[2]) < 1:
        return None
    if padding == "EXPLICIT" and (len(explicit_paddings) != 8 or min(explicit_paddings) < 0):
        return None
    (pt, pb), (pl, pr) = explicit_pairs(explicit_paddings, data_format, padding)
    out_h, top, bottom = window_size(in_hw[0], k_hw[0], strides[1], 1, padding, pt, pb)
    out_w, left, right = window_size(in_hw[1], k_hw[1], strides[2], 1, padding, pl, pr)
    if out_h <= 0 or out_w <= 0:
        return None
    symmetric = strides[1] == strides[2] == 1 and top == bottom and left == right
    # torch's oneDNN depthwise kernels are as fast as TF's there, but for the native kernel's stride-1 3x3 SAME
    # code (AVX-512): per call 0.8-0.9x torch's forward, and both gradients in one pass 0.6-0.8x
    if symmetric and not (tuple(k_hw) == (3, 3) and top == left == 1 and depthwise_native.stride1()):
        return None
    return (out_h, out_w), top, left


def _native_depthwise(input, filter, bias, relu, strides, padding, explicit_paddings, data_format, dilations):
    """The native depthwise forward (+ bias, Relu) where it applies (``native_geometry``), else None."""
    if input.dim() != 4 or filter.dim() != 4:
        return None
    geometry = native_geometry(
        input.shape[1:3], filter.shape[:2], strides, padding, explicit_paddings, data_format, dilations
    )
    if geometry is None:
        return None
    return depthwise_native.forward(input, filter, bias, relu, strides, dilations, data_format, *geometry)


def _onednn_pointwise(x, weight, bias, added=None) -> bool:
    """Whether torch's oneDNN convolution with fused post-ops runs this one (float32 on the CPU)."""
    # (plain conditions, no generator: it runs once per convolution call, tens of microseconds in all)
    return (
        x.is_cpu
        and x.dtype == torch.float32
        and weight.dtype == torch.float32
        and not x.requires_grad
        and not weight.requires_grad
        and (bias is None or (bias.dtype == torch.float32 and bias.is_contiguous() and not bias.requires_grad))
        and (added is None or (added.dtype == torch.float32 and added.is_cpu and not added.requires_grad))
        and _MKLDNN
        and not torch.compiler.is_compiling()  # inductor fuses the post-ops itself (and mkldnn's check breaks graphs)
    )


_MKLDNN = torch.backends.mkldnn.is_available()  # (torch's build: constant)


def conv2d_bias_relu(
    input,
    filter,
    bias,
    other=None,
    *,
    strides,
    padding,
    explicit_paddings,
    data_format,
    dilations,
    relu,
    depthwise=False,
    keep_padded=False,
    keep_filter=False,
    folded=None,
    plan=None,
):
    """Conv2D, then a bias add of its channels' ``bias`` (BiasAdd, or AddV2 of an NHWC result), then Relu
    when ``relu``: what specialization (runtime/specialize_conv.py) runs such a chain as, one oneDNN
    convolution with the bias and a ReLU post-op on the CPU (TF's grappler fuses the same chain into
    _FusedConv2D). Not an op; ``bias`` may be None (Conv2D + Relu); ``other``, a tensor of the result's
    shape, is added before the Relu (a residual connection, AddV2). With ``depthwise`` the convolution is
    a DepthwiseConv2dNative of a [H, W, in_channels, multiplier] ``filter``. ``keep_padded``: as
    ``conv2d_keeping_padded``; ``keep_filter``: ``filter`` is never refilled outside torch (not a fed tensor:
    specialization's mark), so oneDNN's reordered copy of it may be kept (``_Folded``); ``folded``: the
    ``_Folded`` ``filter`` comes from; ``plan``: the key ``folded`` keeps this call's ``_ConvPlan`` under."""
    c = 1 if data_format == "NCHW" else 3
    in_depth, f_in = input.shape[c], filter.shape[2]
    if depthwise:
        kh, kw, channels, mult = filter.shape
        if in_depth != channels:
            raise invalid(f"input depth must be evenly divisible by filter depth: {in_depth} vs {channels}")
        weight, groups = filter.permute(2, 3, 0, 1).reshape(channels * mult, 1, kh, kw), channels
    else:
        if f_in == 0 or in_depth % f_in:
            raise invalid(f"input depth must be evenly divisible by filter depth: {in_depth} vs {f_in}")
        weight, groups = filter.permute(3, 2, 0, 1), in_depth // f_in
    if bias is not None:
        _check_channel_bias(weight.shape[0], bias)
    if depthwise and other is None:
        y = _native_depthwise(input, filter, bias, relu, strides, padding, explicit_paddings, data_format, dilations)
        if y is not None:
            return y
    if keep_filter and folded is None and filter.is_cpu and not torch.compiler.is_compiling():
        folded = _Folded.of(filter)
    return _conv(
        input,
        weight,
        groups,
        strides,
        dilations,
        padding,
        explicit_paddings,
        data_format,
        filter.shape[0],
        filter.shape[1],
        bias=bias,
        relu=relu,
        other=other,
        keep_padded=keep_padded,
        folded=folded,
        plan=plan,
    )


def conv2d_add_relu(
    input,
    filter,
    other,
    strides,
    padding,
    explicit_paddings,
    data_format,
    dilations,
    relu,
    depthwise=False,
    keep_padded=False,
    keep_filter=False,
):
    """Conv2D, then an AddV2 of ``other`` (a tensor of its result's shape: a residual connection), then Relu
    when ``relu``, in one oneDNN call on the CPU (see ``conv2d_bias_relu``). Not an op."""
    return conv2d_bias_relu(
        input,
        filter,
        None,
        other,
        strides=strides,
        padding=padding,
        explicit_paddings=explicit_paddings,
        data_format=data_format,
        dilations=dilations,
        relu=relu,
        depthwise=depthwise,
        keep_padded=keep_padded,
        keep_filter=keep_filter,
    )


def conv2d_batch_norm_relu(
    input,
    filter,
    scale,
    offset,
    mean,
    variance,
    other=None,
    *,
    epsilon,
    strides,
    padding,
    explicit_paddings,
    data_format,
    dilations,
    relu,
    depthwise=False,
    keep_filter=False,
):
    """Conv2D (or with ``depthwise`` a DepthwiseConv2dNative), then an inference FusedBatchNorm of its channels
    (``is_training=False``), then Relu when ``relu``: the batch norm folded into the convolution (filter * scale /
    sqrt(variance + epsilon), bias offset - mean * scale / sqrt(variance + epsilon)), one oneDNN call with the bias
    and ReLU post-op, as TF's grappler fuses Conv2D + FusedBatchNorm (+ Relu) for inference; ``other`` (a
    residual connection of the result's shape) is added before the Relu. With ``keep_filter`` (none of the five
    tensors is fed: specialization's mark) the folded filter and bias are kept while the five are unchanged
    (``_Folded``), and from the third run on the oneDNN call is made as the second run's made it (``_ConvPlan``).
    Not an op (specialization's)."""
    bn = (scale, offset, mean, variance)
    plan = None
    if not keep_filter or torch.compiler.is_compiling():  # (tracing keeps nothing on tensors)
        folded, (filter, bias) = None, _fold(filter, bn, epsilon, depthwise)
    else:
        folded = _Folded.of(filter, bn, epsilon, depthwise)
        filter, bias = folded.filter, folded.bias
        if folded.reused and not depthwise:
            plan = _plan_key(input, other, strides, padding, explicit_paddings, data_format, dilations, relu)
            planned = folded.plans.get(plan)
            if planned is not None and not input.requires_grad and (other is None or not other.requires_grad):
                return planned.run(input, bias, other)
    return conv2d_bias_relu(
        input,
        filter,
        bias,
        other,
        strides=strides,
        padding=padding,
        explicit_paddings=explicit_paddings,
        data_format=data_format,
        dilations=dilations,
        relu=relu,
        depthwise=depthwise,
        folded=folded,
        plan=plan,
    )


def _fold(filter, bn, epsilon, depthwise):
    """(filter * scale / sqrt(variance + epsilon), offset - mean * scale / sqrt(variance + epsilon)) of an HWIO
    ``filter`` (or a depthwise [H, W, in_channels, multiplier] one) and ``bn`` (scale, offset, mean, variance)."""
    scale, offset, mean, variance = bn
    inv = torch.rsqrt(variance + epsilon) * scale
    return filter * (inv.view(filter.shape[2], filter.shape[3]) if depthwise else inv), offset - mean * inv


class _Folded:
    """A convolution's filter as its kernel reads it, kept on the filter tensor while the filter (and an inference
    batch norm's scale, offset, mean and variance folded into it, ``conv2d_batch_norm_relu``) are the same tensors
    at the same versions (torch's version counter: a variable's assignment writes it in place or replaces the
    tensor, and the native updates bump it): an inference graph folds its batch norms once, not on every run, and,
    from the second run with the same filter on, oneDNN's convolution reads a filter reordered once into its own
    layout (``onednn_weight``) instead of reordering the filter on every call: per layer 2-20% of the
    convolution at one thread. A training step's filter changes every step: it is folded and reordered on each
    call, as before. Only where specialization marks the filter as never fed (``keep_filter``); autograd inputs
    fold afresh on each call, nothing kept; torch.compile's tracing does not look here."""

    __slots__ = ("bn", "key", "filter", "bias", "reused", "onednn", "plans")

    def __init__(self, bn, key, filter, bias):
        self.bn, self.key, self.filter, self.bias = bn, key, filter, bias
        self.reused = False
        self.onednn = {}  # (input shape, padding, strides, dilations, groups) -> oneDNN's reordered filter
        self.plans = {}  # _plan_key -> _ConvPlan (conv2d_batch_norm_relu)

    @staticmethod
    def of(filter, bn=(), epsilon=None, depthwise=False):
        """The kept ``_Folded`` of ``filter`` and ``bn`` (scale, offset, mean, variance; none: the filter alone,
        no bias), or a new one."""
        kept = not filter.requires_grad and not any([t.requires_grad for t in bn])
        key = (filter._version, *[t._version for t in bn], epsilon, depthwise) if kept else None
        held = getattr(filter, "_tm_folded", None) if kept else None
        if held is not None and held.key == key and all([a is b for a, b in zip(held.bn, bn)]):
            held.reused = True
            return held
        # (without a batch norm not the filter itself: a cycle through the filter's attribute would outlive it)
        folded = _Folded(bn, key, *(_fold(filter, bn, epsilon, depthwise) if bn else (None, None)))
        if not kept:
            return folded
        with contextlib.suppress(AttributeError, TypeError):  # a tensor subclass without a __dict__: nothing kept
            filter._tm_folded = folded
        return folded

    def onednn_weight(self, weight, x, padding, strides, dilations, groups):
        """``weight`` (this fold's filter as OIHW) in oneDNN's layout for a convolution of ``x``, reordered once per
        geometry; ``weight`` itself the first time this fold is used (a fold made afresh on each call would
        reorder twice)."""
        if not self.reused:
            return weight
        key = (tuple(x.shape), padding, strides, dilations, groups)
        reordered = self.onednn.get(key)
        if reordered is None:
            if len(self.onednn) >= 8:  # feeds of ever new shapes: keep the latest few
                self.onednn.clear()
            reordered = torch._C._nn.mkldnn_reorder_conv2d_weight(
                weight.contiguous().to_mkldnn(), list(padding), list(strides), list(dilations), groups, list(x.shape)
            )
            self.onednn[key] = reordered
        return reordered

    def keep_plan(self, key, plan):
        """Keeps ``plan`` (a ``_ConvPlan`` with this fold's reordered filter) under ``key`` (``_plan_key``)."""
        if len(self.plans) >= 8:  # feeds of ever new shapes: keep the latest few
            self.plans.clear()
        self.plans[key] = plan


def _check_channel_bias(out_channels, bias):
    if bias.dim() != 1 or bias.shape[0] != out_channels:
        raise invalid(
            "Must provide as many biases as the last dimension of the input tensor: "
            f"[{', '.join(str(d) for d in bias.shape)}] vs. [{out_channels}]"
        )


CONV_ATTRS = [
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
        CONV_ATTRS[0],
        "use_cudnn_on_gpu: bool = true",
        *CONV_ATTRS[1:],
    ],
    shape=_conv2d_shape,
)
def conv2d(input, filter, strides, padding, explicit_paddings, data_format, dilations):
    """2-D convolution of an NHWC (or NCHW) ``input`` with an HWIO ``filter``.

    The filter is permuted to torch's OIHW; when the input has ``groups`` times the filter's
    input depth, the convolution is grouped, as in TF.
    """
    return _conv2d(input, filter, strides, padding, explicit_paddings, data_format, dilations, False, False)


def conv2d_keeping_padded(input, filter, strides, padding, explicit_paddings, data_format, dilations):
    """Conv2D keeping the padded copy of ``input`` that asymmetric padding makes, for the gradients TF's graph
    computes from the same input (see ``_Padded``): what specialization (runtime/specialize_conv.py) runs a Conv2D
    as when its input is a result computed afresh in the run and a Conv2DBackpropFilter reads it too. Not an
    op."""
    return _conv2d(input, filter, strides, padding, explicit_paddings, data_format, dilations, True, False)


def conv2d_keeping_filter(input, filter, strides, padding, explicit_paddings, data_format, dilations):
    """Conv2D keeping its filter in the layout oneDNN reads (``_oihw``) for the gradients of the same filter:
    what specialization runs a Conv2D as when its filter is never fed (``keep_filter``). Not an op."""
    return _conv2d(input, filter, strides, padding, explicit_paddings, data_format, dilations, False, True)


def conv2d_keeping_padded_and_filter(input, filter, strides, padding, explicit_paddings, data_format, dilations):
    """``conv2d_keeping_padded`` and ``conv2d_keeping_filter`` at once. Not an op."""
    return _conv2d(input, filter, strides, padding, explicit_paddings, data_format, dilations, True, True)


def _conv2d(input, filter, strides, padding, explicit_paddings, data_format, dilations, keep_padded, keep_filter):
    geometry = direct_geometry(input, filter, strides, padding, data_format, dilations)
    if geometry is not None:
        return _direct_conv2d(input, filter, geometry, keep_padded, keep_filter)
    c = 1 if data_format == "NCHW" else 3
    in_depth, f_in = input.shape[c], filter.shape[2]
    if f_in == 0 or in_depth % f_in:
        raise invalid(f"input depth must be evenly divisible by filter depth: {in_depth} vs {f_in}")
    if filter.dtype == input.dtype and pointwise_matmul(
        input, input.shape, filter.shape, strides, padding, explicit_paddings, data_format, dilations
    ):
        n, h, w, _ = input.shape
        return torch.mm(nhwc_rows(input), filter.reshape(f_in, -1)).view(n, h, w, filter.shape[3])
    strided = strided_pointwise(
        input, input.shape, filter.shape, strides, padding, explicit_paddings, data_format, dilations
    )
    if filter.dtype == input.dtype and strided is not None:
        pixels = input[:, :: strided[0], :: strided[1], :]
        n, h, w, _ = pixels.shape
        return torch.mm(pixels.reshape(-1, f_in), filter.reshape(f_in, -1)).view(n, h, w, filter.shape[3])
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
        keep_padded=keep_padded,
    )


@register_op(
    "DepthwiseConv2dNative",
    inputs=["input: T", "filter: T"],
    outputs=["output: T"],
    attrs=["T: {half, bfloat16, float, double}", *CONV_ATTRS],
    shape=_depthwise_shape,
)
def depthwise_conv2d_native(input, filter, strides, padding, explicit_paddings, data_format, dilations):
    """Per-channel convolution; ``filter`` is [H, W, in_channels, multiplier].

    Output channel ``c * multiplier + m`` is input channel ``c`` convolved with ``filter[:, :, c, m]``:
    a torch convolution with ``groups=in_channels`` and the filter reshaped to (C*M, 1, H, W). Strided or
    asymmetrically padded NHWC float32 ones with one filter per channel, and stride-1 3x3 SAME ones where
    the CPU has AVX-512, run ops/depthwise_native.py's kernel (``native_geometry``), as do their gradients.
    """
    kh, kw, channels, mult = filter.shape
    c = 1 if data_format == "NCHW" else 3
    if input.shape[c] != channels:  # the wording of TF's default (oneDNN) CPU kernel
        raise invalid(f"input depth must be evenly divisible by filter depth: {input.shape[c]} vs {channels}")
    y = _native_depthwise(input, filter, None, False, strides, padding, explicit_paddings, data_format, dilations)
    if y is not None:
        return y
    weight = filter.permute(2, 3, 0, 1).reshape(channels * mult, 1, kh, kw)
    return _conv(input, weight, channels, strides, dilations, padding, explicit_paddings, data_format, kh, kw)
