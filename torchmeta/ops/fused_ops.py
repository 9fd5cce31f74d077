"""The fused ops optimized and frozen graphs contain: _FusedConv2D, _FusedDepthwiseConv2dNative, _FusedMatMul
(grappler's remapper fuses a convolution or MatMul with BiasAdd / FusedBatchNorm, an Add and an activation,
listed in ``fused_ops``), _FusedBatchNormEx (a batch norm with a side input and Relu), FusedPadConv2D and
FusedResizeAndPadConv2D (the graph transform tool's MirrorPad / ResizeBilinear + Conv2D).

Each kernel runs the existing kernels of the ops it fuses (Conv2D, MatMul, BiasAdd, FusedBatchNorm, the
activations, MirrorPad, ResizeBilinear) in the order the fusion lists them, with TF 2.21's CPU (oneDNN)
kernels' accepted fusions and errors. TensorFlow registers no gradient for any of them.
"""

from __future__ import annotations

import torch

from torchmeta import errors
from torchmeta.framework import registry
from torchmeta.framework.common_shapes import format_dims, merge_dim, merge_shapes, shape_error, with_rank
from torchmeta.framework.registry import no_registered_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.framework.tensor_util import constant_value
from torchmeta.ops.array_layout_ops import mirror_pad
from torchmeta.ops.common import invalid, str_attr
from torchmeta.ops.conv_ops import conv2d, depthwise_conv2d_native
from torchmeta.ops.image_ops import resize_bilinear
from torchmeta.ops.matmul_ops import mat_mul
from torchmeta.ops.nn_ops import elu, fused_batch_norm_relu, leaky_relu, relu, relu6
from torchmeta.ops.unary_ops import sigmoid, tanh

_EPSILON = "epsilon: float = 9.999999747378752e-05"
_LEAKYRELU_ALPHA = "leakyrelu_alpha: float = 0.20000000298023224"


def _unimplemented(fused_ops) -> errors.UnimplementedError:
    return errors.UnimplementedError(None, None, f"Fusion is not implemented: [{','.join(fused_ops)}]")


def _activation(name, x, leakyrelu_alpha):
    if name == "Relu":
        return relu(x)
    if name == "Relu6":
        return relu6(x)
    if name == "Elu":
        return elu(x)
    if name == "LeakyRelu":
        return leaky_relu(x, leakyrelu_alpha)
    if name == "Tanh":
        return tanh(x)
    if name == "Sigmoid":
        return sigmoid(x)
    if name == "_FusedHardSwish":
        return x * relu6(x + 3) / 6
    if name == "_MklSwish":
        return x * torch.sigmoid(x)
    if name == "GeluApproximate":
        return torch.nn.functional.gelu(x, approximate="tanh")
    if name == "GeluExact":
        return torch.nn.functional.gelu(x)
    raise AssertionError(name)


def _channel_view(v, y, data_format):
    return v.view((-1,) + (1,) * (y.dim() - 2)) if data_format == "NCHW" else v


def _batch_norm(y, scale, offset, mean, variance, epsilon, data_format):
    """Inference batch norm of the fused op's output, as TF's FusedBatchNorm output kernel computes it."""
    inv = torch.rsqrt(variance + epsilon) * scale
    return y * _channel_view(inv, y, data_format) + _channel_view(offset - mean * inv, y, data_format)


def _apply_fusion(y, fused_ops, args, data_format, epsilon, leakyrelu_alpha, activations, kind):
    """``y`` after the listed fused ops; raises TF's errors for a fusion or argument count it refuses."""
    ops = list(fused_ops)
    if not ops:
        raise _unimplemented(ops)
    rest = ops[1:]
    head = ops[0]
    if head == "BiasAdd":
        want = 2 if rest[:1] == ["Add"] else 1
        if len(args) != want:
            raise invalid(
                f"Fused {kind} must have {'one extra argument: bias' if want == 1 else 'two extra arguments: bias and add'}."
            )
        y = y + _channel_view(args[0], y, data_format)
        if rest[:1] == ["Add"]:
            y = y + args[1]
            rest = rest[1:]
    elif head == "FusedBatchNorm" and kind == "Conv2D":
        if len(args) != 4:
            raise invalid(f"Fused {kind} with batchnorm must have 4 extra argument")
        y = _batch_norm(y, *args, epsilon, data_format)
    elif head in activations and not rest:
        return _activation(head, y, leakyrelu_alpha)
    else:
        raise _unimplemented(ops)
    if len(rest) > 1 or (rest and rest[0] not in activations):
        raise _unimplemented(ops)
    return _activation(rest[0], y, leakyrelu_alpha) if rest else y


# ---------------------------------------------------------------------------------------------
# Shape functions: the unfused op's, run on the fused node (same inputs first, same attrs)


def _shape_of(op_type: str):
    def fn(op):
        return registry.get(op_type).shape_fn(op)

    return fn


class _WithoutExplicitPaddings:
    """The fused depthwise node seen by DepthwiseConv2dNative's shape function, which reads the
    ``explicit_paddings`` attr the fused op does not have (TF's shape function for it takes none)."""

    def __init__(self, op):
        self._op = op

    def __getattr__(self, name):
        return getattr(self._op, name)

    def get_attr(self, name):
        return [] if name == "explicit_paddings" else self._op.get_attr(name)


def _fused_depthwise_shape(op):
    return registry.get("DepthwiseConv2dNative").shape_fn(_WithoutExplicitPaddings(op))


# ---------------------------------------------------------------------------------------------
# _FusedConv2D, _FusedDepthwiseConv2dNative


_CONV_ACTIVATIONS = ("Relu", "Relu6", "Elu", "LeakyRelu", "_FusedHardSwish", "_MklSwish")


@register_op(
    "_FusedConv2D",
    inputs=["input: T", "filter: T", "args: TArgs", "host_args: num_host_args * float"],
    outputs=["output: T"],
    attrs=[
        "T: {half, float, double, int8, qint8}",
        "TArgs: list(type) >= 1",
        "num_args: int >= 0",
        "num_host_args: int >= 0 = 0",
        "strides: list(int)",
        "padding: {'SAME', 'VALID', 'EXPLICIT'}",
        "explicit_paddings: list(int) = []",
        "data_format: {'NHWC', 'NCHW', 'NCHW_VECT_C'} = \"NHWC\"",
        "filter_format: {'HWIO', 'OIHW', 'OIHW_VECT_I'} = \"HWIO\"",
        "dilations: list(int) = [1, 1, 1, 1]",
        "use_cudnn_on_gpu: bool = true",
        "fused_ops: list(string) = []",
        _EPSILON,
        _LEAKYRELU_ALPHA,
    ],
    shape=_shape_of("Conv2D"),
)
def fused_conv2d(
    input,
    filter,
    args,
    host_args,
    num_args,
    strides,
    padding,
    explicit_paddings,
    data_format,
    filter_format,
    dilations,
    fused_ops,
    epsilon,
    leakyrelu_alpha,
):
    """Conv2D (HWIO filter, NHWC or NCHW) followed by the fused ops."""
    if data_format not in ("NHWC", "NCHW") or filter_format != "HWIO":
        raise errors.UnimplementedError(
            None,
            None,
            f"_FusedConv2D on the CPU supports NHWC/NCHW data with HWIO filters, not {data_format}/{filter_format}",
        )
    if not input.is_floating_point():
        raise errors.UnimplementedError(None, None, "_FusedConv2D for integer types runs on GPUs only")
    y = conv2d(input, filter, strides, padding, explicit_paddings, data_format, dilations)
    return _apply_fusion(
        y, fused_ops, args[:num_args], data_format, epsilon, leakyrelu_alpha, _CONV_ACTIVATIONS, "Conv2D"
    )


@register_op(
    "_FusedDepthwiseConv2dNative",
    inputs=["input: T", "filter: T", "args: num_args * T"],
    outputs=["output: T"],
    attrs=[
        "T: {half, bfloat16, float, double}",
        "num_args: int >= 0",
        "strides: list(int)",
        "padding: {'SAME', 'VALID'}",
        "data_format: {'NHWC', 'NCHW'} = \"NHWC\"",
        "dilations: list(int) = [1, 1, 1, 1]",
        "fused_ops: list(string) = []",
        _EPSILON,
        _LEAKYRELU_ALPHA,
    ],
    shape=_fused_depthwise_shape,
)
def fused_depthwise_conv2d_native(
    input, filter, args, strides, padding, data_format, dilations, fused_ops, epsilon, leakyrelu_alpha
):
    """DepthwiseConv2dNative followed by the fused ops."""
    y = depthwise_conv2d_native(input, filter, strides, padding, [], data_format, dilations)
    return _apply_fusion(y, fused_ops, args, data_format, epsilon, leakyrelu_alpha, _CONV_ACTIVATIONS, "Conv2D")


# ---------------------------------------------------------------------------------------------
# _FusedMatMul

_MATMUL_ACTIVATIONS = ("Relu", "Relu6", "Elu", "LeakyRelu", "Tanh", "Sigmoid", "GeluApproximate", "GeluExact")


@register_op(
    "_FusedMatMul",
    inputs=["a: T", "b: T", "args: num_args * T"],
    outputs=["product: T"],
    attrs=[
        "transpose_a: bool = false",
        "transpose_b: bool = false",
        "T: {bfloat16, half, float}",
        "num_args: int >= 0",
        "fused_ops: list(string) = []",
        _EPSILON,
        _LEAKYRELU_ALPHA,
    ],
    shape=_shape_of("MatMul"),
)
def fused_mat_mul(a, b, args, transpose_a, transpose_b, fused_ops, epsilon, leakyrelu_alpha):
    """MatMul followed by BiasAdd [+ Add] [+ an activation]. TF's CPU build runs it with oneDNN unless ``a`` is
    transposed; the Eigen kernel it falls back to fuses no Add and no Gelu."""
    if transpose_a:
        activations = _MATMUL_ACTIVATIONS[:6]
        if "Add" in fused_ops:
            raise _unimplemented(fused_ops)
    else:
        activations = _MATMUL_ACTIVATIONS
        for name in fused_ops:
            if name not in ("BiasAdd", "Add", *_MATMUL_ACTIVATIONS):
                raise invalid(f"Unsupported post-argument in MklFusedMatMul: {name}")
    y = mat_mul(a, b, transpose_a, transpose_b)
    return _apply_fusion(y, fused_ops, args, "NHWC", epsilon, leakyrelu_alpha, activations, "MatMul")


# ---------------------------------------------------------------------------------------------
# _FusedBatchNormEx


def _fused_batch_norm_ex_shape(op):
    return registry.get("FusedBatchNormV3").shape_fn(op)


@register_op(
    "_FusedBatchNormEx",
    inputs=["x: T", "scale: U", "offset: U", "mean: U", "variance: U", "side_input: num_side_inputs * T"],
    outputs=[
        "y: T",
        "batch_mean: U",
        "batch_variance: U",
        "reserve_space_1: U",
        "reserve_space_2: U",
        "reserve_space_3: U",
    ],
    attrs=[
        "T: {half, float, bfloat16}",
        "U: {float}",
        _EPSILON,
        "exponential_avg_factor: float = 1.0",
        "num_side_inputs: int >= 0 = 0",
        'activation_mode: string = "Identity"',
        "data_format: {'NHWC', 'NCHW'} = \"NHWC\"",
        "is_training: bool = true",
    ],
    shape=_fused_batch_norm_ex_shape,
)
def fused_batch_norm_ex(
    x,
    scale,
    offset,
    mean,
    variance,
    side_input,
    epsilon,
    exponential_avg_factor,
    activation_mode,
    data_format,
    is_training,
):
    """FusedBatchNormV3, plus the side input, then the activation (TF's CPU kernel: Relu, no side input)."""
    if activation_mode != "Relu" or side_input:
        raise errors.InternalError(
            None, None, "_FusedBatchNormEx on the CPU supports only activation_mode Relu without side inputs"
        )
    return fused_batch_norm_relu(
        "FusedBatchNormV3",
        x,
        scale,
        offset,
        mean,
        variance,
        epsilon=epsilon,
        exponential_avg_factor=exponential_avg_factor,
        data_format=data_format,
        is_training=is_training,
    )


# ---------------------------------------------------------------------------------------------
# FusedPadConv2D, FusedResizeAndPadConv2D (NHWC, no dilations)


def _pad_conv_shape(op, resize: bool):
    """TF's CommonFusedConvCalculations: the input (resized to a constant ``size``) padded by constant
    ``paddings`` in every dim, then the convolution's windowed sizes. Unknown ``paddings`` rows fail as in TF
    (its WithRank(-1))."""
    dims = list(with_rank(op, op.inputs[0].shape, 4).as_tuple())
    paddings_index, filter_index = (2, 3) if resize else (1, 2)
    if resize:
        merge_shapes(op, op.inputs[1].shape, TensorShape([2]))
        size = constant_value(op.inputs[1])
        dims[1:3] = [None, None] if size is None else [int(size[0]), int(size[1])]
    paddings_shape = with_rank(op, op.inputs[paddings_index].shape, 2).as_tuple()
    rows = -1 if paddings_shape[0] is None else paddings_shape[0]
    if rows != 4:
        raise shape_error(op, f"Shape must be rank {rows} but is rank 4")
    merge_shapes(op, op.inputs[paddings_index].shape, TensorShape([4, 2]))
    paddings = constant_value(op.inputs[paddings_index])
    if paddings is not None:
        for i in range(4):
            p0, p1 = int(paddings[i][0]), int(paddings[i][1])
            if p0 < 0 or p1 < 0:
                raise shape_error(op, "Paddings must be non-negative")
            dims[i] = None if dims[i] is None else dims[i] + p0 + p1
    else:
        dims = [None] * 4
    filt = with_rank(op, op.inputs[filter_index].shape, 4).as_tuple()
    strides = list(op.get_attr("strides"))
    if len(strides) != 4:
        raise shape_error(op, f"Operation requires the stride attribute to contain 4 values, but got: {len(strides)}")
    merge_dim(op, dims[3], filt[2])
    padding = str_attr(op, "padding")

    def out(size, k, s):
        if size is None or k is None:
            return None
        if padding == "SAME":
            return (size + s - 1) // s
        if size < k:
            raise shape_error(
                op,
                f"Computed output size would be negative: {(size - k + s) // s} [input_size: {size}, effective_filter_size: {k}, stride: {s}]",
            )
        return (size - k + s) // s

    return [TensorShape([dims[0], out(dims[1], filt[0], strides[1]), out(dims[2], filt[1], strides[2]), filt[3]])]


def _fused_pad_conv_shape(op):
    return _pad_conv_shape(op, False)


def _fused_resize_and_pad_conv_shape(op):
    return _pad_conv_shape(op, True)


def _paddings_debug(paddings) -> str:
    """TF's Tensor::DebugString of the [4, 2] paddings (its first three values)."""
    v = [int(x) for x in paddings.reshape(-1).tolist()[:3]]
    return f"Tensor<type: int32 shape: [4,2] values: [{v[0]} {v[1]}][{v[2]}...]...>"


def _pad_conv(input, paddings, filter, mode, strides, padding, resize=None):
    """TF's FusedResizeConv2DUsingGemmOp: its checks, then the (resized,) padded, convolved FIRST image for every
    image of the batch (TF's kernel reads only the batch's first image; its output repeats it)."""
    if len(strides) != 4:
        raise invalid("Sliding window strides field must specify 4 dimensions")
    if strides[0] != 1 or strides[3] != 1:
        raise invalid("Current implementation does not yet support strides in the batch and depth dimensions.")
    if input.dim() != 4:
        raise invalid(f"input must be 4-dimensional{format_dims(input.shape)}")
    if paddings.dim() != 2 or paddings.shape[1] != 2:
        raise invalid(f"paddings must be a matrix with 2 columns: {format_dims(paddings.shape)}")
    if paddings.shape[0] != 4:
        raise invalid(
            f"The first dimension of paddings must be the rank of inputs{format_dims(paddings.shape)} "
            f"{format_dims(input.shape)}"
        )
    x = input[:1]
    if resize is not None:
        size, align_corners = resize
        if tuple(int(v) for v in size.tolist()) != tuple(input.shape[1:3]):
            x = resize_bilinear(x, size, align_corners, False).to(input.dtype)
    offset = 1 if mode == "SYMMETRIC" else 0
    for d, (lo, hi) in enumerate(paddings.tolist()):
        if lo < 0 or hi < 0:
            raise invalid(f"paddings must be non-negative: {lo} {hi}")
        size = x.shape[d] if d else input.shape[0]
        if lo > size - 1 + offset or hi > size - 1 + offset:
            if offset:
                raise invalid(f"paddings must be no greater than the dimension size: {lo}, {hi} greater than {size}")
            raise invalid(f"paddings must be less than the dimension size: {lo}, {hi} not less than {size}")
    pads = paddings.tolist()
    if pads[0] != [0, 0]:
        raise invalid(f"Fused mirror padding only support spatial padding, not batches: {_paddings_debug(paddings)}")
    if pads[3] != [0, 0]:
        raise invalid(f"Fused mirror padding only support spatial padding, not channels: {_paddings_debug(paddings)}")
    y = conv2d(mirror_pad(x, paddings, mode), filter, strides, padding, [], "NHWC", [1, 1, 1, 1])
    return y.expand(input.shape[0], *y.shape[1:]).contiguous()


@register_op(
    "FusedPadConv2D",
    inputs=["input: T", "paddings: int32", "filter: T"],
    outputs=["output: T"],
    attrs=[
        "T: {half, bfloat16, float, double}",
        "mode: {'REFLECT', 'SYMMETRIC'}",
        "strides: list(int)",
        "padding: {'SAME', 'VALID'}",
    ],
    shape=_fused_pad_conv_shape,
)
def fused_pad_conv2d(input, paddings, filter, mode, strides, padding):
    """MirrorPad of the NHWC input, then Conv2D (of the first image, see ``_pad_conv``)."""
    return _pad_conv(input, paddings, filter, mode, strides, padding)


@register_op(
    "FusedResizeAndPadConv2D",
    inputs=["input: T", "size: int32", "paddings: int32", "filter: T"],
    outputs=["output: T"],
    attrs=[
        "T: {half, float, double}",
        "resize_align_corners: bool = false",
        "mode: {'REFLECT', 'SYMMETRIC'}",
        "strides: list(int)",
        "padding: {'SAME', 'VALID'}",
    ],
    shape=_fused_resize_and_pad_conv_shape,
)
def fused_resize_and_pad_conv2d(input, size, paddings, filter, resize_align_corners, mode, strides, padding):
    """ResizeBilinear (legacy pixel centers; skipped when ``size`` is the input's), MirrorPad, then Conv2D (of
    the first image, see ``_pad_conv``)."""
    return _pad_conv(input, paddings, filter, mode, strides, padding, (size, resize_align_corners))


no_registered_gradient(
    "_FusedConv2D",
    "_FusedDepthwiseConv2dNative",
    "_FusedMatMul",
    "_FusedBatchNormEx",
    "FusedPadConv2D",
    "FusedResizeAndPadConv2D",
)
