"""Pooling ops: MaxPool, MaxPoolV2, AvgPool and the ops their gradients emit (MaxPoolGrad(V2),
MaxPoolGradGrad(V2), AvgPoolGrad), each with TF's gradient (nn_grad.py).

Layouts and padding are as for convolutions (``conv_ops.py``, whose window arithmetic this module
shares). Max pooling follows TF's NaN and -inf rules on every path and dtype: a NaN never wins a window,
and a window of only NaN, -inf or the lowest value gives the lowest value (-FLT_MAX for float32; for half
and bfloat16 -inf where TF pools them as float32 with oneDNN, see onednn_pools); the gradient's argmax
follows the CPU kernel TF picks (oneDNN's or its own); float32 NHWC runs the native kernel of
``pool_native.py`` where it can.
"""

from __future__ import annotations

import weakref

import torch
import torch.nn.functional as F  # noqa: N812 - the usual torch idiom

from torchmeta import errors
from torchmeta.api import array_ops
from torchmeta.dtypes import DType
from torchmeta.framework import tensor_util
from torchmeta.framework.common_shapes import format_dims, input_with_rank, merge_shapes, shape_error
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.ops import nn_ops, pool_native
from torchmeta.ops.common import CPU_FLAGS, invalid, raised_by, str_attr, unimplemented
from torchmeta.ops.windows import (
    check_explicit_paddings,
    check_format,
    empty_like_layout,
    explicit_pairs,
    from_nchw,
    output_and_pads,
    shape_input,
    spatial_axes,
    static_window_size,
    to_nchw,
    window_size,
)


def _pool_shape_for(op, ksize, strides, padding, paddings, fmt, pool_depth: bool):
    name = op.type
    h, w, c = spatial_axes(fmt)
    x = input_with_rank(op, 0, 4)
    if ksize is None or strides is None:
        return [unknown_shape()]
    if len(strides) != 4:
        raise shape_error(op, f"{name} requires the stride attribute to contain 4 values, but got: {len(strides)}")
    if len(ksize) != 4:
        raise shape_error(op, f"{name} requires the ksize attribute to contain 4 values, but got: {len(ksize)}")
    (pt, pb), (pl, pr) = explicit_pairs(paddings, fmt, padding)
    dims = list(x)
    dims[h] = static_window_size(op, x[h], ksize[h], strides[h], 1, padding, pt, pb)
    dims[w] = static_window_size(op, x[w], ksize[w], strides[w], 1, padding, pl, pr)
    if pool_depth:
        dims[c] = static_window_size(op, x[c], ksize[c], strides[c], 1, "VALID" if padding == "EXPLICIT" else padding)
    return [TensorShape(dims)]


def _max_pool_shape(op):
    padding = str_attr(op, "padding")
    paddings = op.get_attr("explicit_paddings")
    fmt = str_attr(op, "data_format")
    check_explicit_paddings(op, padding, paddings, fmt)
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
        raise unimplemented("Pooling is not yet supported on the batch dimension.")


def _max_pool(input, ksize, strides, padding, explicit_paddings, data_format, kernel=pool_native.ONEDNN, argmax=True):
    """MaxPool(V2); ``argmax`` False where no MaxPoolGrad reads the result (inference): the native kernel then
    writes the maxima alone, the same values, and keeps no argmax for a gradient."""
    check_format(data_format)
    if len(ksize) != 4 or len(strides) != 4:
        raise invalid("Sliding window ksize and strides fields must specify 4 dimensions")
    _check_pool_batch(ksize, strides)
    h, w, c = spatial_axes(data_format)
    kh, kw, kc = ksize[h], ksize[w], ksize[c]
    if kc != 1:
        if kh != 1 or kw != 1:
            raise unimplemented(
                "MaxPooling supports exactly one of pooling across depth or pooling across width/height."
            )
        if strides[c] != kc:
            raise unimplemented("Depthwise max pooling requires the depth window to equal the depth stride")
        depth = input.shape[c]
        if depth % kc:
            raise unimplemented("Depthwise max pooling requires the depth window to evenly divide the input depth")
        return input.unflatten(c, (depth // kc, kc)).amax(c + 1)
    sh, sw = strides[h], strides[w]
    x = to_nchw(input, data_format)
    explicit = explicit_pairs(explicit_paddings, data_format, padding)
    out_h, out_w, top, bottom, left, right = output_and_pads(x, kh, kw, sh, sw, 1, 1, padding, explicit)
    if out_h == 0 or out_w == 0 or x.shape[0] == 0 or x.shape[1] == 0:
        return from_nchw(x.new_zeros((x.shape[0], x.shape[1], out_h, out_w)), data_format)
    attrs = (ksize, strides, padding, explicit_paddings, data_format)
    # Not under torch.compile: inductor fuses the Relu before the pooling into its own pooling and gradient
    # loops, which the native kernel's custom op (a buffer of the Relu's output, a second forward for the
    # gradient's argmax: traced tensors carry none) cannot; bench/profile_compiled.py --kind cnn, alternating,
    # load ~8: compiled/eager 1.00 with inductor's pooling, 1.06-1.08 with the native one.
    if data_format == "NHWC" and not torch.compiler.is_compiling():
        if not argmax:
            out = pool_native.values(input, kh, kw, sh, sw, top, left, out_h, out_w)
            if out is not None:
                return out
        fast = pool_native.forward(input, kh, kw, sh, sw, top, left, out_h, out_w)
        if fast is not None:
            out, index = fast
            out._tm_argmax = _ArgMax(input, out, index, None, (*attrs, pool_native.ONEDNN))
            return out
    if padding == "EXPLICIT" or not onednn_pools(input.dtype):
        kernel = pool_native.EIGEN
    x = _tf_pool_input(x, pool_native.ONEDNN, kernel)
    if x.is_floating_point() and not torch.compiler.is_compiling():
        # The argmax the gradient needs comes with the maxima (torch's CPU kernel computes it anyway):
        # kept on the result for a MaxPoolGrad of this very input and output (see _ArgMax).
        y, index, padded = _pool_argmax(x, kh, kw, sh, sw, top, bottom, left, right)
        out = from_nchw(y, data_format)
        out._tm_argmax = _ArgMax(input, out, index, padded, (*attrs, "torch" if kernel == pool_native.ONEDNN else None))
        return out
    if top == bottom and left == right and 2 * top <= kh and 2 * left <= kw:
        y = F.max_pool2d(x, (kh, kw), (sh, sw), (top, left))
    else:
        low = float("-inf") if x.is_floating_point() else torch.iinfo(x.dtype).min
        x = F.pad(x, (left, right, top, bottom), value=low)
        y = F.max_pool2d(x, (kh, kw), (sh, sw))
    return from_nchw(y, data_format)


def onednn_pools(dtype) -> bool:
    """Whether TF 2.21 runs MaxPool/MaxPoolGrad (SAME/VALID) of ``dtype`` on this CPU by oneDNN's kernels
    (TF's IsDataTypeSupportedByOneDNNOnThisCPU): float32 always, bfloat16 with AVX-512 (or AVX-NE-CONVERT),
    half with AVX-512 FP16 or AMX FP16 (or AVX-NE-CONVERT); else by TF's own kernels (double, integers)."""
    if dtype == torch.float32:
        return True
    flags = CPU_FLAGS
    if dtype == torch.bfloat16:
        return "avx512f" in flags or "avx_ne_convert" in flags
    if dtype == torch.float16:
        fp16 = "avx512_fp16" in flags or "amx_fp16" in flags
        return ("avx512bw" in flags and fp16) or "avx_ne_convert" in flags
    return False


def _lowest(dtype, kernel=pool_native.ONEDNN) -> float:
    """Where TF's max pooling starts: the dtype's lowest value; but oneDNN's kernels (``kernel`` ONEDNN)
    pool half and bfloat16 as float32, and -FLT_MAX comes back as -inf. TF's own kernels (EIGEN: MaxPoolV2,
    EXPLICIT padding, dtypes oneDNN does not take here) start from the dtype's lowest."""
    if kernel == pool_native.ONEDNN and dtype in (torch.float16, torch.bfloat16):
        return float("-inf")
    return float(torch.finfo(dtype).min)


def _tf_pool_input(x, rule, kernel=pool_native.ONEDNN):
    """What torch's max pooling must see of a floating-point input to pool as TF's kernels do: torch lets NaN
    win and starts from -inf, TF's kernels never let NaN win and (oneDNN's, ``rule`` ONEDNN) start from the
    lowest value of the dtype, so NaN and -inf become that value (-FLT_MAX for float32) there; for the
    gradient's argmax under TF's other kernel (EIGEN) NaN becomes -inf (see _eigen_first_position for a NaN first in
    its window). ``kernel`` (the forward's) says which lowest value (see _lowest). Integers as they are."""
    if not x.is_floating_point():
        return x
    inf, lowest = float("inf"), _lowest(x.dtype, kernel)
    if torch.compiler.is_compiling():  # the same values: inductor's CPU code for nan_to_num is a scalar loop
        if rule == pool_native.ONEDNN:
            return torch.where(x > lowest, x, lowest)
        return torch.where(x != x, -inf, x)
    if rule == pool_native.ONEDNN:
        return torch.nan_to_num(x, nan=lowest, posinf=inf, neginf=lowest)
    return torch.nan_to_num(x, nan=-inf, posinf=inf, neginf=-inf)


def _pool_argmax(x, kh, kw, sh, sw, top, bottom, left, right):
    """(maxima, argmax, padded input) of NCHW ``x``'s windows. torch pads symmetrically, by at most half
    the window, and never lets padding win; the rest of the padding (SAME's extra bottom/right row) is
    explicit -inf (the lowest value) after the data. The argmax indexes the padded input's rows x cols,
    the first maximum of each window in row-major order (TF's CPU tie-break)."""
    pad_h, pad_w = min(top, bottom, kh // 2), min(left, right, kw // 2)
    extra = (left - pad_w, right - pad_w, top - pad_h, bottom - pad_h)
    if any(extra):
        low = float("-inf") if x.is_floating_point() else torch.iinfo(x.dtype).min
        x = F.pad(x, extra, value=low)
    y, index = F.max_pool2d(x, (kh, kw), (sh, sw), (pad_h, pad_w), return_indices=True)
    return y, index, (tuple(x.shape), (pad_h, pad_w), extra)


class _ArgMax:
    """A MaxPool's argmax, kept on its result for the MaxPoolGrad that TF's gradient builds from the same
    input and output (MaxPoolGrad(orig_input, orig_output, grad)): valid only for that input object and
    that output, neither changed since (torch's version counters), with the same window attrs."""

    __slots__ = ("input", "input_version", "output_version", "index", "padded", "attrs")

    def __init__(self, input, output, index, padded, attrs):
        self.input = weakref.ref(input)
        self.input_version = input._version
        self.output_version = output._version
        self.index, self.padded, self.attrs = index, padded, attrs

    def matches(self, input, output, attrs) -> bool:
        return (
            self.input() is input
            and input._version == self.input_version
            and output._version == self.output_version
            and self.attrs == attrs
        )


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


def max_pool_values(input, ksize, strides, padding, explicit_paddings, data_format):
    """MaxPool's kernel for a pool whose result no MaxPoolGrad reads (specialize: inference): the same
    maxima, without the argmax the gradient would reuse (a quarter less time on the CNN's pools)."""
    return _max_pool(input, ksize, strides, padding, explicit_paddings, data_format, argmax=False)


@register_op(
    "MaxPoolV2",
    inputs=["input: T", "ksize: int32", "strides: int32"],
    outputs=["output: T"],
    attrs=[_POOL_TYPES, "padding: {'SAME', 'VALID'}", _POOL_FORMATS],
    shape=_max_pool_v2_shape,
)
def max_pool_v2(input, ksize, strides, padding, data_format):
    """MaxPool with ``ksize`` and ``strides`` given as tensors."""
    return _max_pool(input, ksize.tolist(), strides.tolist(), padding, [], data_format, pool_native.EIGEN)


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
    h, w, c = spatial_axes(data_format)
    if ksize[c] != 1 or strides[c] != 1:
        raise unimplemented("Pooling is not yet supported on the depth dimension.")
    kh, kw, sh, sw = ksize[h], ksize[w], strides[h], strides[w]
    x = to_nchw(value, data_format)
    out_h, out_w, top, bottom, left, right = output_and_pads(x, kh, kw, sh, sw, 1, 1, padding, ((0, 0), (0, 0)))
    if out_h == 0 or out_w == 0 or x.shape[0] == 0 or x.shape[1] == 0:
        return from_nchw(x.new_zeros((x.shape[0], x.shape[1], out_h, out_w)), data_format)
    if top == bottom and left == right:
        y = F.avg_pool2d(x, (kh, kw), (sh, sw), (top, left), count_include_pad=False)
    else:
        pads = (left, right, top, bottom)
        sums = F.avg_pool2d(F.pad(x, pads), (kh, kw), (sh, sw), divisor_override=1)
        ones = torch.ones((1, 1, *tuple(x.shape[2:])), dtype=x.dtype, device=x.device)
        counts = F.avg_pool2d(F.pad(ones, pads), (kh, kw), (sh, sw), divisor_override=1)
        y = sums / counts
    return from_nchw(y, data_format)


# ---------------------------------------------------------------------------------------------
# Pooling gradients


def _pool_window(ksize, strides, data_format, label):
    """(kh, kw, sh, sw) of a 4-D window that pools neither batch nor depth."""
    if len(ksize) != 4 or len(strides) != 4:
        raise invalid("Sliding window ksize and strides fields must specify 4 dimensions")
    _check_pool_batch(ksize, strides)
    h, w, c = spatial_axes(data_format)
    if ksize[c] != 1 or strides[c] != 1:
        raise unimplemented(f"{label} is not yet supported on the depth dimension.")
    return ksize[h], ksize[w], strides[h], strides[w]


def _check_rank4(**tensors):
    for name, t in tensors.items():
        if t.dim() != 4:
            raise invalid(f"{name} must be 4-dimensional")


def _max_pool_grad(
    orig_input, orig_output, grad, ksize, strides, padding, explicit_paddings, data_format, rule, relu=False
):
    """Each output's gradient goes to the first maximum of its window in row-major order, as TF's
    CPU kernels break ties (they recompute the maxima from ``orig_input``); ``rule`` (pool_native.ONEDNN or
    EIGEN) says which of TF's two kernels: they differ only on windows holding NaN or nothing above
    -FLT_MAX (see torchmeta/ops/_pool_native.c). With ``relu``, ReluGrad(that gradient, orig_input)."""
    check_format(data_format)
    _check_rank4(tensor_in=orig_input, tensor_out=orig_output, out_backprop=grad)
    kh, kw, sh, sw = _pool_window(ksize, strides, data_format, "MaxPoolingGrad")
    x = to_nchw(orig_input, data_format)
    g = to_nchw(grad, data_format)
    explicit = explicit_pairs(explicit_paddings, data_format, padding)
    out_h, out_w, top, bottom, left, right = output_and_pads(x, kh, kw, sh, sw, 1, 1, padding, explicit)
    n, depth, in_h, in_w = x.shape
    if tuple(g.shape) != (n, depth, out_h, out_w):
        raise invalid(
            f"Expected grad shape to be {format_dims([n, out_h, out_w, depth])}, but got {format_dims(grad.shape)}"
        )
    if x.numel() == 0 or g.numel() == 0:
        return torch.zeros_like(orig_input)
    if torch.compiler.is_compiling() and g.is_floating_point() and (kh, kw) == (sh, sw) and not (top or left):
        # the argmax the torch path below takes: by TF's rule (oneDNN's on the input with NaN and -inf as the
        # lowest value; the Eigen helper's, where NaN never wins but first in its window)
        xr = _tf_pool_input(x, rule) if rule == pool_native.ONEDNN else x
        out = _tiled_max_pool_grad(xr, g, kh, kw, bottom, right, data_format, nan_wins=False)
        out = from_nchw(out, data_format)
        return nn_ops.relu_grad_(out, orig_input) if relu else out
    argmax = getattr(orig_output, "_tm_argmax", None)
    attrs = (ksize, strides, padding, explicit_paddings, data_format)
    if data_format == "NHWC" and not torch.compiler.is_compiling() and pool_native.available():
        key = (*attrs, rule)
        fast = _max_pool_grad_native(orig_input, orig_output, grad, argmax, key, kh, kw, sh, sw, top, left, relu)
        if fast is not None:
            return fast
    if (
        argmax is not None
        and argmax.matches(orig_input, orig_output, (*attrs, "torch"))
        and (rule == pool_native.ONEDNN or not x.is_floating_point())
    ):
        index, (padded_shape, (pad_h, pad_w), extra) = argmax.index, argmax.padded
        y = to_nchw(orig_output, data_format)
    else:
        xm = _tf_pool_input(x, rule)
        y, index, (padded_shape, (pad_h, pad_w), extra) = _pool_argmax(xm, kh, kw, sh, sw, top, bottom, left, right)
    if x.is_floating_point() and rule == pool_native.ONEDNN and (top or left):
        g = _onednn_dropped(g, y, sh, sw, top, left)
    elif x.is_floating_point() and rule == pool_native.EIGEN:
        index = _eigen_first_position(x, y, index, sh, sw, top, left, extra, padded_shape[3])
    if any(extra):  # the backward kernel reads only the padded input's shape and layout
        x = empty_like_layout(x, padded_shape, data_format)
    rows, cols = x.shape[2], x.shape[3]
    if g.is_floating_point():  # torch's own kernel, in the layout of the data (channels_last for NHWC)
        full = torch.ops.aten.max_pool2d_with_indices_backward(
            g, x, (kh, kw), (sh, sw), (pad_h, pad_w), (1, 1), False, index
        )
    else:
        flat = g.new_zeros((n, depth, rows * cols)).scatter_add(2, index.flatten(2), g.flatten(2))
        full = flat.view(n, depth, rows, cols)
    out = from_nchw(full[:, :, extra[2] : extra[2] + in_h, extra[0] : extra[0] + in_w], data_format)
    return nn_ops.relu_grad_(out, orig_input) if relu else out


def _max_pool_grad_native(orig_input, orig_output, grad, argmax, key, kh, kw, sh, sw, top, left, relu):
    """The NHWC float32 gradient by the native kernel (pool_native), reusing the forward's int32 argmax
    (and, with ``relu``, its maxima) where it was computed under this rule; None where the kernel does not
    apply."""
    if argmax is not None and argmax.padded is None and argmax.matches(orig_input, orig_output, key):
        maxima, index = orig_output, argmax.index
    else:
        out_h, out_w = grad.shape[1], grad.shape[2]
        fast = pool_native.forward(orig_input, kh, kw, sh, sw, top, left, out_h, out_w, key[-1], relu)
        if fast is None:
            return None
        maxima, index = fast
    relu_y = maxima if relu else None
    return pool_native.backward(grad, index, tuple(orig_input.shape), kh, kw, sh, sw, top, left, relu_y)


def _max_pool_grad_rule(padding, dtype):
    """Which of TF's CPU kernels computes MaxPoolGrad: oneDNN's with SAME/VALID padding for the dtypes it
    takes on this CPU (onednn_pools), else TF's own (SpatialMaxPoolWithArgMaxHelper)."""
    if padding == "EXPLICIT" or not onednn_pools(dtype):
        return pool_native.EIGEN
    return pool_native.ONEDNN


def _onednn_dropped(g, y, sh, sw, top, left):
    """``g`` (NCHW) without the gradients oneDNN's kernel drops: a window with nothing above the lowest value keeps
    its first position, which is padding where the window starts above or left of the input (torch's
    argmax is the first real position)."""
    out_h, out_w = g.shape[2], g.shape[3]
    rows = torch.arange(out_h, device=g.device) * sh < top
    cols = torch.arange(out_w, device=g.device) * sw < left
    outside = rows[:, None] | cols[None, :]
    return torch.where(outside & (y == _lowest(y.dtype)), torch.zeros((), dtype=g.dtype), g)


def _eigen_first_position(x, y, index, sh, sw, top, left, extra, cols):
    """torch's argmax (of the input with NaN as -inf) where TF's SpatialMaxPoolWithArgMaxHelper keeps the
    first real position of a window: it takes that position unconditionally and keeps it where it holds NaN
    (never less than what follows) or where nothing after it is greater (``y``, the maxima torch found, is
    -inf: torch's first position may be explicit padding before it)."""
    out_h, out_w = index.shape[2], index.shape[3]
    first_h = (torch.arange(out_h, device=x.device) * sh - top).clamp(min=0)
    first_w = (torch.arange(out_w, device=x.device) * sw - left).clamp(min=0)
    keep = torch.isnan(x[:, :, first_h][:, :, :, first_w]) | (y == float("-inf"))
    position = (first_h[:, None] + extra[2]) * cols + (first_w[None, :] + extra[0])
    return torch.where(keep, position.to(index.dtype), index)


def max_pool_grad_relu(orig_input, orig_output, grad, ksize, strides, padding, explicit_paddings, data_format):
    """ReluGrad(MaxPoolGrad(orig_input, orig_output, grad), orig_input): the gradient through a max-pool of
    a Relu's output and on through that Relu, what specialization (runtime/specialize_conv.py) runs the pair
    as. The native kernel applies the Relu's ``g * (x > 0)`` to each window's gradient by its maximum (x at
    its argmax) as it writes the input gradient, without a pass over the full-size result; the torch path
    runs ReluGrad in place on MaxPoolGrad's result. Not an op."""
    rule = _max_pool_grad_rule(padding, orig_input.dtype)
    try:
        return _max_pool_grad(
            orig_input, orig_output, grad, ksize, strides, padding, explicit_paddings, data_format, rule, relu=True
        )
    except errors.InvalidArgumentError as e:  # (its checks are MaxPoolGrad's: the Relu's features are its input)
        raise raised_by("MaxPoolGrad", e) from None


def _tiled_max_pool_grad(x, g, kh, kw, bottom, right, data_format, nan_wins):
    """MaxPoolGrad of ``kh`` x ``kw`` windows that tile NCHW-shaped ``x`` from its first row and column
    (stride = window; ``bottom`` and ``right`` rows and columns of padding, which never win), as one
    element-wise expression in the data's layout, for torch.compile: its CPU lowering of
    max_pool2d_with_indices_backward is a scatter into an NCHW buffer and back, and the argmax it reads
    is rebuilt per element from the forward's window offsets in scalar code; here each element compares
    its window's values in order instead and fuses with what reads the gradient (a ReluGrad).

    The same numbers as the eager torch path (an argmax, then torch's backward kernel): the argmax is the
    first maximum in row-major order, the first element kept where nothing is greater (TF's helpers:
    ``max < val``); with ``nan_wins`` a later NaN replaces it (torch's ``val > max or isnan(val)``). The
    gradient goes there, added to 0 as the backward kernel adds it (-0.0 becomes 0.0); rows and columns
    past the last window (VALID) get 0."""
    n, depth, rows, cols = x.shape
    out_h, out_w = g.shape[2], g.shape[3]
    if bottom or right:
        low = float("-inf")
        x = F.pad(x, (0, right, 0, bottom), value=low)
    x = x[:, :, : out_h * kh, : out_w * kw]
    channels_last = not data_format.startswith("NCHW")
    if channels_last:  # (n, out_h, kh, out_w, kw, depth), the window's (i, j) at [:, :, i, :, j]
        x6 = x.permute(0, 2, 3, 1).unflatten(1, (out_h, kh)).unflatten(3, (out_w, kw))
        g6 = g.permute(0, 2, 3, 1)[:, :, None, :, None]
        position = torch.arange(kh * kw, dtype=g.dtype, device=g.device).view(kh, 1, kw, 1)
    else:  # (n, depth, out_h, kh, out_w, kw), the window's (i, j) at [:, :, :, i, :, j]
        x6 = x.unflatten(2, (out_h, kh)).unflatten(4, (out_w, kw))
        g6 = g[:, :, :, None, :, None]
        position = torch.arange(kh * kw, dtype=g.dtype, device=g.device).view(kh, 1, kw)
    at = (lambda i, j: x6[:, :, i, :, j]) if channels_last else (lambda i, j: x6[:, :, :, i, :, j])
    best = at(0, 0)
    first = torch.zeros_like(best)
    for p in range(1, kh * kw):
        value = at(p // kw, p % kw)
        wins = value > best
        if nan_wins:
            wins = wins | (value != value)  # NaN; torch.isnan is a scalar loop in inductor's CPU code
        best = torch.where(wins, value, best)
        first = torch.where(wins, float(p), first)
    first = first[:, :, None, :, None] if channels_last else first[:, :, :, None, :, None]
    zero = torch.zeros((), dtype=g.dtype, device=g.device)
    full = torch.where((first == position) & (g6 != 0), g6, zero)
    # to rows x cols: padding rows and columns cut off (SAME), 0 for those past the last window (VALID)
    if channels_last:
        full = full.reshape(n, out_h * kh, out_w * kw, depth)
        return F.pad(full, (0, 0, 0, cols - out_w * kw, 0, rows - out_h * kh)).permute(0, 3, 1, 2)
    return F.pad(full.reshape(n, depth, out_h * kh, out_w * kw), (0, cols - out_w * kw, 0, rows - out_h * kh))


def _max_pool_grad_grad(orig_input, orig_output, grad, ksize, strides, padding, data_format):
    """Per output, ``grad`` at its window's maximum: the first element equal to ``orig_output`` in
    row-major order, as TF's CPU kernel picks it; 0 where none equals it (NaN)."""
    check_format(data_format)
    _check_rank4(orig_input=orig_input, orig_output=orig_output, grad=grad)
    kh, kw, sh, sw = _pool_window(ksize, strides, data_format, "MaxPoolingGradGrad")
    x = to_nchw(orig_input, data_format)
    y = to_nchw(orig_output, data_format)
    g = to_nchw(grad, data_format)
    out_h, out_w, top, bottom, left, right = output_and_pads(x, kh, kw, sh, sw, 1, 1, padding, ((0, 0), (0, 0)))
    n, depth, in_h, in_w = x.shape
    if tuple(y.shape) != (n, depth, out_h, out_w) or g.shape != x.shape:
        raise invalid("orig_output and grad must have the shapes MaxPool gives orig_input")
    if y.numel() == 0 or x.numel() == 0:
        return torch.zeros_like(orig_output)
    pads = (left, right, top, bottom)

    def windows(t):
        return F.pad(t, pads).unfold(2, kh, sh).unfold(3, kw, sw).flatten(-2)

    valid = windows(torch.ones((1, 1, in_h, in_w), dtype=torch.uint8, device=x.device)).bool()
    match = (windows(x) == y.unsqueeze(-1)) & valid
    size = kh * kw
    first = torch.where(match, torch.arange(size, device=x.device), size).amin(-1, keepdim=True)
    picked = windows(g).gather(-1, first.clamp(max=size - 1)).squeeze(-1)
    out = torch.where(first.squeeze(-1) < size, picked, torch.zeros_like(picked))
    return from_nchw(out, data_format)


_POOL_GRAD_TYPES = "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}"
_POOL_GRAD_INPUTS = ["orig_input: T", "orig_output: T", "grad: T"]
_GRAD_FORMATS = "data_format: {'NHWC', 'NCHW'} = \"NHWC\""


def _max_pool_grad_shape(op):
    return [TensorShape(input_with_rank(op, 0, 4))]


@register_op(
    "MaxPoolGrad",
    inputs=_POOL_GRAD_INPUTS,
    outputs=["output: T"],
    attrs=[
        "ksize: list(int) >= 4",
        "strides: list(int) >= 4",
        "padding: {'SAME', 'VALID', 'EXPLICIT'}",
        "explicit_paddings: list(int) = []",
        _GRAD_FORMATS,
        _POOL_GRAD_TYPES + " = DT_FLOAT",
    ],
    shape=_max_pool_grad_shape,
)
def max_pool_grad(orig_input, orig_output, grad, ksize, strides, padding, explicit_paddings, data_format):
    """MaxPool's input gradient (see ``_max_pool_grad``)."""
    rule = _max_pool_grad_rule(padding, orig_input.dtype)
    return _max_pool_grad(orig_input, orig_output, grad, ksize, strides, padding, explicit_paddings, data_format, rule)


@register_op(
    "MaxPoolGradV2",
    inputs=[*_POOL_GRAD_INPUTS, "ksize: int32", "strides: int32"],
    outputs=["output: T"],
    attrs=["padding: {'SAME', 'VALID'}", _GRAD_FORMATS, _POOL_GRAD_TYPES + " = DT_FLOAT"],
    shape=_max_pool_grad_shape,
)
def max_pool_grad_v2(orig_input, orig_output, grad, ksize, strides, padding, data_format):
    """MaxPoolGrad with ``ksize`` and ``strides`` given as tensors."""
    return _max_pool_grad(
        orig_input, orig_output, grad, ksize.tolist(), strides.tolist(), padding, [], data_format, pool_native.EIGEN
    )


def _max_pool_grad_grad_shape_for(op, ksize, strides):
    fmt = str_attr(op, "data_format")
    out = _pool_shape_for(op, ksize, strides, str_attr(op, "padding"), [], fmt, True)[0]
    merge_shapes(op, op.inputs[0].shape, op.inputs[2].shape)
    merge_shapes(op, op.inputs[1].shape, out)
    return [out]


def _max_pool_grad_grad_shape(op):
    return _max_pool_grad_grad_shape_for(op, op.get_attr("ksize"), op.get_attr("strides"))


def _max_pool_grad_grad_v2_shape(op):
    ksize = tensor_util.constant_value(op.inputs[3])
    strides = tensor_util.constant_value(op.inputs[4])
    if ksize is None or strides is None:
        input_with_rank(op, 0, 4)
        return [unknown_shape()]
    ksize, strides = [int(v) for v in ksize.reshape(-1)], [int(v) for v in strides.reshape(-1)]
    return _max_pool_grad_grad_shape_for(op, ksize, strides)


@register_op(
    "MaxPoolGradGrad",
    inputs=_POOL_GRAD_INPUTS,
    outputs=["output: T"],
    attrs=[
        "ksize: list(int) >= 4",
        "strides: list(int) >= 4",
        "padding: {'SAME', 'VALID'}",
        _GRAD_FORMATS,
        _POOL_GRAD_TYPES,
    ],
    shape=_max_pool_grad_grad_shape,
)
def max_pool_grad_grad(orig_input, orig_output, grad, ksize, strides, padding, data_format):
    """MaxPoolGrad's gradient with respect to its ``grad`` (see ``_max_pool_grad_grad``)."""
    return _max_pool_grad_grad(orig_input, orig_output, grad, ksize, strides, padding, data_format)


@register_op(
    "MaxPoolGradGradV2",
    inputs=[*_POOL_GRAD_INPUTS, "ksize: int32", "strides: int32"],
    outputs=["output: T"],
    attrs=["padding: {'SAME', 'VALID'}", _GRAD_FORMATS, _POOL_GRAD_TYPES],
    shape=_max_pool_grad_grad_v2_shape,
)
def max_pool_grad_grad_v2(orig_input, orig_output, grad, ksize, strides, padding, data_format):
    """MaxPoolGradGrad with ``ksize`` and ``strides`` given as tensors."""
    return _max_pool_grad_grad(orig_input, orig_output, grad, ksize.tolist(), strides.tolist(), padding, data_format)


def _pool_attrs(op, explicit: bool = False) -> dict:
    attrs = {"padding": str_attr(op, "padding"), "data_format": str_attr(op, "data_format")}
    if explicit:
        attrs["explicit_paddings"] = op.get_attr("explicit_paddings")
    return attrs


@register_gradient("MaxPool")
def _max_pool_grad_fn(op, grad):
    return [
        raw_op(
            "MaxPoolGrad",
            orig_input=op.inputs[0],
            orig_output=op.outputs[0],
            grad=grad,
            ksize=op.get_attr("ksize"),
            strides=op.get_attr("strides"),
            **_pool_attrs(op, explicit=True),
        )
    ]


@register_gradient("MaxPoolV2")
def _max_pool_v2_grad_fn(op, grad):
    grad_in = raw_op(
        "MaxPoolGradV2",
        orig_input=op.inputs[0],
        orig_output=op.outputs[0],
        grad=grad,
        ksize=op.inputs[1],
        strides=op.inputs[2],
        **_pool_attrs(op),
    )
    return [grad_in, None, None]


@register_gradient("MaxPoolGrad")
def _max_pool_grad_grad_fn(op, grad):
    return [
        array_ops.zeros_like(op.inputs[0]),
        array_ops.zeros_like(op.inputs[1]),
        raw_op(
            "MaxPoolGradGrad",
            orig_input=op.inputs[0],
            orig_output=op.inputs[1],
            grad=grad,
            ksize=op.get_attr("ksize"),
            strides=op.get_attr("strides"),
            **_pool_attrs(op),
        ),
    ]


@register_gradient("MaxPoolGradV2")
def _max_pool_grad_grad_v2_fn(op, grad):
    return [
        array_ops.zeros_like(op.inputs[0]),
        array_ops.zeros_like(op.inputs[1]),
        raw_op(
            "MaxPoolGradGradV2",
            orig_input=op.inputs[0],
            orig_output=op.inputs[1],
            grad=grad,
            ksize=op.inputs[3],
            strides=op.inputs[4],
            **_pool_attrs(op),
        ),
        None,
        None,
    ]


@register_gradient("MaxPoolGradGrad")
def _max_pool_grad_grad_grad_fn(op, grad):
    return [
        array_ops.zeros_like(op.inputs[0]),
        array_ops.zeros_like(op.inputs[1]),
        raw_op(
            "MaxPoolGrad",
            orig_input=op.inputs[0],
            orig_output=op.inputs[1],
            grad=grad,
            ksize=op.get_attr("ksize"),
            strides=op.get_attr("strides"),
            **_pool_attrs(op),
        ),
    ]


# TF registers no gradient for MaxPoolGradGradV2.
no_registered_gradient("MaxPoolGradGradV2")


def _avg_pool_grad_shape(op):
    return [shape_input(op, 0, 4)]


@register_op(
    "AvgPoolGrad",
    inputs=["orig_input_shape: int32", "grad: T"],
    outputs=["output: T"],
    attrs=[
        "ksize: list(int) >= 4",
        "strides: list(int) >= 4",
        "padding: {'SAME', 'VALID'}",
        _GRAD_FORMATS,
        "T: {half, bfloat16, float, double}",
    ],
    shape=_avg_pool_grad_shape,
)
def avg_pool_grad(orig_input_shape, grad, ksize, strides, padding, data_format):
    """AvgPool's input gradient: each output's gradient, divided by the number of real (unpadded)
    elements its window averaged, spread over those elements."""
    if orig_input_shape.dim() != 1 or orig_input_shape.shape[0] != 4:
        raise invalid("orig_input_shape must be 1-dimensional and 4 elements")
    _check_rank4(grad=grad)
    sizes = [int(v) for v in orig_input_shape.tolist()]
    h, w, c = spatial_axes(data_format)
    kh, kw, sh, sw = _pool_window(ksize, strides, data_format, "Pooling")
    n, depth, in_h, in_w = sizes[0], sizes[c], sizes[h], sizes[w]
    g = to_nchw(grad, data_format)
    out_h, top, bottom = window_size(in_h, kh, sh, 1, padding)
    out_w, left, right = window_size(in_w, kw, sw, 1, padding)
    if tuple(g.shape) != (n, depth, out_h, out_w):
        raise invalid(
            f"Expected grad shape to be {format_dims([n, out_h, out_w, depth])}, but got {format_dims(grad.shape)}"
        )
    if min(sizes) == 0 or g.numel() == 0:
        return from_nchw(g.new_zeros((n, depth, in_h, in_w)), data_format)

    def counts(out, size, k, s, before):
        start = torch.arange(out, device=g.device) * s - before
        return (torch.clamp(start + k, max=size) - torch.clamp(start, min=0)).to(g.dtype)

    divisor = counts(out_h, in_h, kh, sh, top)[:, None] * counts(out_w, in_w, kw, sw, left)[None, :]
    like = g.new_empty(1).expand(n, depth, in_h + top + bottom, in_w + left + right)
    out = torch.ops.aten.avg_pool2d_backward(g / divisor, like, [kh, kw], [sh, sw], [0, 0], False, True, 1)
    return from_nchw(out[:, :, top : top + in_h, left : left + in_w], data_format)


@register_gradient("AvgPool")
def _avg_pool_grad_fn(op, grad):
    return [
        raw_op(
            "AvgPoolGrad",
            orig_input_shape=array_ops.shape(op.inputs[0], out_type=DType.int32),
            grad=grad,
            ksize=op.get_attr("ksize"),
            strides=op.get_attr("strides"),
            **_pool_attrs(op),
        )
    ]


@register_gradient("AvgPoolGrad")
def _avg_pool_grad_grad_fn(op, grad):
    """TF gives the shape input StopGradient(shape) as its "gradient", and grad's: AvgPool(grad)."""
    return [
        array_ops.stop_gradient(op.inputs[0]),
        raw_op("AvgPool", value=grad, ksize=op.get_attr("ksize"), strides=op.get_attr("strides"), **_pool_attrs(op)),
    ]
