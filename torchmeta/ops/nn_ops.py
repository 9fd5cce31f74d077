"""Neural-network ops: activations, softmax, bias, losses, top-k and batch normalization.

Convolutions live in ``conv_ops.py``, pooling in ``pool_ops.py``. TF lays images out NHWC by default and torch
NCHW; kernels that care permute inside (see the docstrings).

Each op's gradient follows it and mirrors TensorFlow's ``nn_grad.py``: it emits the ops TF emits
(ReluGrad, BiasAddGrad, FusedBatchNormGradV3, ...; registered here with kernels) so TensorFlow
can run graphs differentiated here and torchmeta can run TF's.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual torch idiom

from torchmeta.api import array_ops, math_ops
from torchmeta.api.gradients import gradients
from torchmeta.dtypes import DType
from torchmeta.framework import common_shapes, tensor_util
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.common_shapes import (
    format_dims,
    input_with_rank,
    input_with_rank_at_least,
    merge_dim,
    merge_shapes,
    scalar_dim,
    shape_error,
)
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.ops import batch_norm_native, conv_ops, lrn_native, xent_native
from torchmeta.ops.common import inputs_not_same_shape, invalid, raised_by, str_attr

# ---------------------------------------------------------------------------------------------
# Shape-function helpers with TF's wording (InferenceContext::WithRank, Merge, ...).


def merge_inputs_shape(op):
    """TF's MergeBothInputsShapeFn: the shapes of inputs 0 and 1, merged (gradient ops)."""
    return [merge_shapes(op, op.inputs[0].shape, op.inputs[1].shape)]


def _check_same_size(g, a):
    if g.shape != a.shape:
        raise inputs_not_same_shape(g, a)


def _attrs(op, *names):
    """``{name: op.get_attr(name)}``, string attrs decoded, for re-emitting an op's attrs."""
    out = {}
    for name in names:
        value = op.get_attr(name)
        out[name] = value.decode() if isinstance(value, bytes) else value
    return out


_FLOAT_TYPES = "T: {half, bfloat16, float, double}"
_REAL_TYPES = "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}"
_BIAS_TYPES = (
    "T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, "
    "quint16, uint16, complex128, half, uint32, uint64}"
)
# Unsigned dtypes torch has no clamp kernels for; ReLU is the identity on them.
_WIDE_UNSIGNED = (torch.uint16, torch.uint32, torch.uint64)
_LEAKY_RELU_BACKWARD = torch.ops.aten.leaky_relu_backward

# ---------------------------------------------------------------------------------------------
# Activations


@register_op(
    "Relu",
    inputs=["features: T"],
    outputs=["activations: T"],
    attrs=[_REAL_TYPES[:-1] + ", qint8}"],
    shape=common_shapes.unchanged,
)
def relu(features):
    if features.dtype in _WIDE_UNSIGNED:
        return features.clone()
    return torch.relu(features)


@register_op(
    "Relu6", inputs=["features: T"], outputs=["activations: T"], attrs=[_REAL_TYPES], shape=common_shapes.unchanged
)
def relu6(features):
    """min(max(x, 0), 6); NaN stays NaN as in TF."""
    return torch.clamp(features, 0, 6)


@register_op(
    "Elu", inputs=["features: T"], outputs=["activations: T"], attrs=[_FLOAT_TYPES], shape=common_shapes.unchanged
)
def elu(features):
    return F.elu(features)


@register_op(
    "Selu", inputs=["features: T"], outputs=["activations: T"], attrs=[_FLOAT_TYPES], shape=common_shapes.unchanged
)
def selu(features):
    return torch.selu(features)


@register_op(
    "Softplus", inputs=["features: T"], outputs=["activations: T"], attrs=[_FLOAT_TYPES], shape=common_shapes.unchanged
)
def softplus(features):
    """log(1 + exp(x)); TF switches to x / exp(x) at log(eps) + 2, torch at 20: equal within rounding."""
    return F.softplus(features)


@register_op(
    "Softsign", inputs=["features: T"], outputs=["activations: T"], attrs=[_FLOAT_TYPES], shape=common_shapes.unchanged
)
def softsign(features):
    return F.softsign(features)


@register_op(
    "LeakyRelu",
    inputs=["features: T"],
    outputs=["activations: T"],
    attrs=["alpha: float = 0.20000000298023224", "T: {half, bfloat16, float, double} = DT_FLOAT"],
    shape=common_shapes.unchanged,
)
def leaky_relu(features, alpha):
    return F.leaky_relu(features, alpha)


# ---------------------------------------------------------------------------------------------
# Activation gradients: the *Grad ops TF's gradients emit, their kernels (TF's functors, element
# for element) and their own gradients where TF registers one.

_GRAD_INPUTS = ["gradients: T", "features: T"]
_GRAD_OUTPUTS = ["backprops: T"]


def _signed(features):
    """Wide unsigned ``features`` as int64 values torch can compare (uint64: bits reinterpreted, so
    values >= 2**63 are negative)."""
    return features.view(torch.int64) if features.dtype == torch.uint64 else features.to(torch.int64)


@register_op("ReluGrad", inputs=_GRAD_INPUTS, outputs=_GRAD_OUTPUTS, attrs=[_REAL_TYPES], shape=merge_inputs_shape)
def relu_grad(gradients, features):
    """gradients * (features > 0), a product as in TF (an infinite gradient at features <= 0 is NaN)."""
    _check_same_size(gradients, features)
    if features.dtype in _WIDE_UNSIGNED:
        return gradients * features.bool().to(gradients.dtype)
    if features.is_floating_point() and features.dtype == gradients.dtype:
        # One pass: torch's LeakyRelu backward with slope 0 is ``f > 0 ? g : g * 0``, TF's product element
        # for element (g * 0 keeps the sign of zero and makes a non-finite g NaN; NaN features give g * 0).
        return _LEAKY_RELU_BACKWARD(gradients, features, 0.0, False)
    return gradients * (features > 0)


def relu_grad_(gradients, features):
    """ReluGrad written over ``gradients`` (same values as ``relu_grad``) where that is the same pass: a
    float ``gradients`` of ``features``' shape, dtype and memory layout (written in another layout, the
    result would hand the next kernel, a batch norm gradient, mixed layouts: its slow path); otherwise
    ``relu_grad``'s new tensor. For a caller that owns ``gradients`` (a fresh result nothing else reads,
    so it shares no memory with ``features`` unless it is ``features`` itself): no new full-size tensor,
    which for activations that do not fit the cache costs about as much as the pass itself. Not an op."""
    if (
        gradients.is_floating_point()
        and features.dtype == gradients.dtype
        and features.shape == gradients.shape
        and features.stride() == gradients.stride()
    ):
        return _LEAKY_RELU_BACKWARD.grad_input(gradients, features, 0.0, False, grad_input=gradients)
    return relu_grad(gradients, features)


@register_op("Relu6Grad", inputs=_GRAD_INPUTS, outputs=_GRAD_OUTPUTS, attrs=[_REAL_TYPES], shape=merge_inputs_shape)
def relu6_grad(gradients, features):
    """gradients * (0 < features < 6)."""
    _check_same_size(gradients, features)
    if features.dtype in _WIDE_UNSIGNED:
        value = _signed(features)
        mask = features.bool() & (value >= 0) & (value < 6)
    else:
        mask = (features > 0) & (features < 6)
    return gradients * mask.to(gradients.dtype)


@register_gradient("Relu")
def _relu_grad(op, grad):
    return [raw_op("ReluGrad", gradients=grad, features=op.outputs[0])]


@register_gradient("ReluGrad")
def _relu_grad_grad(op, grad):
    x = op.inputs[1]
    return [raw_op("ReluGrad", gradients=grad, features=x), array_ops.zeros_like(x)]


@register_gradient("Relu6")
def _relu6_grad(op, grad):
    return [raw_op("Relu6Grad", gradients=grad, features=op.outputs[0])]


@register_gradient("Relu6Grad")
def _relu6_grad_grad(op, grad):
    x = op.inputs[1]
    return [raw_op("Relu6Grad", gradients=grad, features=x), array_ops.zeros_like(x)]


@register_op(
    "EluGrad",
    inputs=["gradients: T", "outputs: T"],
    outputs=_GRAD_OUTPUTS,
    attrs=[_FLOAT_TYPES],
    shape=merge_inputs_shape,
)
def elu_grad(gradients, outputs):
    """From Elu's outputs: gradients * (outputs + 1) where outputs < 0, else gradients."""
    _check_same_size(gradients, outputs)
    return torch.where(outputs < 0, (outputs + 1) * gradients, gradients)


# SELU's scale and scale * alpha, as TF's functor spells them.
_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_SCALE_ALPHA = 1.7580993408473768599402175208123


@register_op(
    "SeluGrad",
    inputs=["gradients: T", "outputs: T"],
    outputs=_GRAD_OUTPUTS,
    attrs=[_FLOAT_TYPES],
    shape=merge_inputs_shape,
)
def selu_grad(gradients, outputs):
    """From Selu's outputs: gradients * (outputs + scale * alpha) where outputs < 0, else gradients * scale."""
    _check_same_size(gradients, outputs)
    return torch.where(outputs < 0, gradients * (outputs + _SELU_SCALE_ALPHA), gradients * _SELU_SCALE)


@register_gradient("Elu")
def _elu_grad(op, grad):
    return [raw_op("EluGrad", gradients=grad, outputs=op.outputs[0])]


@register_gradient("Selu")
def _selu_grad(op, grad):
    return [raw_op("SeluGrad", gradients=grad, outputs=op.outputs[0])]


def _elu_like_grad_grad(op_type, op, grad):
    """EluGrad/SeluGrad's gradient: [d/dgradients, d/doutputs] as TF's _EluGradGrad/_SeluGradGrad."""
    x = op.inputs[1]
    return [
        raw_op(op_type, gradients=grad, outputs=x),
        array_ops.where(x < 0.0, grad * op.inputs[0], array_ops.zeros_like(x)),
    ]


@register_gradient("EluGrad")
def _elu_grad_grad(op, grad):
    return _elu_like_grad_grad("EluGrad", op, grad)


@register_gradient("SeluGrad")
def _selu_grad_grad(op, grad):
    return _elu_like_grad_grad("SeluGrad", op, grad)


@register_op("SoftplusGrad", inputs=_GRAD_INPUTS, outputs=_GRAD_OUTPUTS, attrs=[_FLOAT_TYPES], shape=merge_inputs_shape)
def softplus_grad(gradients, features):
    """gradients / (exp(-features) + 1)."""
    _check_same_size(gradients, features)
    return gradients / (torch.exp(-features) + 1)


@register_gradient("Softplus")
def _softplus_grad(op, grad):
    return [grad * math_ops.sigmoid(op.inputs[0])]


@register_gradient("SoftplusGrad")
def _softplus_grad_grad(op, grad):
    """(ddy, d2x) for SoftplusGrad(dy, x), as TF: ddy = SoftplusGrad(grad, x) and
    d2x = grad * dy / (exp(-x) + 2 + exp(x))."""
    dy, x = op.inputs
    with graph_lib.control_dependencies([grad]):
        ddy = raw_op("SoftplusGrad", gradients=grad, features=x)
        d2x = grad * dy / (math_ops.exp(-x) + 2.0 + math_ops.exp(x))
        return [ddy, d2x]


@register_op("SoftsignGrad", inputs=_GRAD_INPUTS, outputs=_GRAD_OUTPUTS, attrs=[_FLOAT_TYPES], shape=merge_inputs_shape)
def softsign_grad(gradients, features):
    """gradients / (1 + |features|) ** 2."""
    _check_same_size(gradients, features)
    return gradients / torch.square(torch.abs(features) + 1)


@register_gradient("Softsign")
def _softsign_grad(op, grad):
    return [raw_op("SoftsignGrad", gradients=grad, features=op.inputs[0])]


@register_op(
    "LeakyReluGrad",
    inputs=_GRAD_INPUTS,
    outputs=_GRAD_OUTPUTS,
    attrs=["alpha: float = 0.20000000298023224", "T: {half, bfloat16, float, double} = DT_FLOAT"],
    shape=merge_inputs_shape,
)
def leaky_relu_grad(gradients, features, alpha):
    """gradients where features > 0, else gradients * alpha."""
    _check_same_size(gradients, features)
    if features.is_floating_point() and features.dtype == gradients.dtype:
        return _LEAKY_RELU_BACKWARD(gradients, features, alpha, False)  # TF's select, in one pass
    return torch.where(features > 0, gradients, gradients * alpha)


@register_gradient("LeakyRelu")
def _leaky_relu_grad(op, grad):
    return [raw_op("LeakyReluGrad", gradients=grad, features=op.inputs[0], alpha=op.get_attr("alpha"))]


@register_gradient("LeakyReluGrad")
def _leaky_relu_grad_grad(op, grad):
    x = op.inputs[1]
    return [
        raw_op("LeakyReluGrad", gradients=grad, features=x, alpha=op.get_attr("alpha")),
        array_ops.zeros_like(x),
    ]


# TF registers no gradient for SoftsignGrad: differentiating through it raises TF's LookupError.
no_registered_gradient("SoftsignGrad")


# ---------------------------------------------------------------------------------------------
# Softmax


def _softmax_shape(op):
    input_with_rank_at_least(op, 0, 1)
    return [op.inputs[0].shape]


def _check_softmax_rank(logits):
    if logits.dim() < 1:
        raise invalid(f"logits must have >= 1 dimension, got {format_dims(logits.shape)}")


@register_op("Softmax", inputs=["logits: T"], outputs=["softmax: T"], attrs=[_FLOAT_TYPES], shape=_softmax_shape)
def softmax(logits):
    """Softmax over the last dimension."""
    _check_softmax_rank(logits)
    return torch.softmax(logits, -1)


@register_op("LogSoftmax", inputs=["logits: T"], outputs=["logsoftmax: T"], attrs=[_FLOAT_TYPES], shape=_softmax_shape)
def log_softmax(logits):
    """Log-softmax over the last dimension."""
    _check_softmax_rank(logits)
    return torch.log_softmax(logits, -1)


@register_gradient("Softmax")
def _softmax_grad(op, grad_softmax):
    """(grad - sum(grad * softmax, -1)) * softmax, built from Mul/Sum/Sub/Mul as TF builds it."""
    softmax = op.outputs[0]
    sum_channels = math_ops.reduce_sum(grad_softmax * softmax, -1, keepdims=True)
    return [(grad_softmax - sum_channels) * softmax]


@register_gradient("LogSoftmax")
def _log_softmax_grad(op, grad):
    """grad - sum(grad, -1) * exp(log_softmax)."""
    softmax = math_ops.exp(op.outputs[0])
    return [grad - math_ops.reduce_sum(grad, -1, keepdims=True) * softmax]


# ---------------------------------------------------------------------------------------------
# BiasAdd


def _bias_add_shape(op, nchw: bool):
    dims = input_with_rank_at_least(op, 0, 3 if nchw else 2)
    (bias_dim,) = input_with_rank(op, 1, 1)
    if dims is None:
        return [unknown_shape()]
    axis = 1 if nchw else len(dims) - 1
    dims = list(dims)
    dims[axis] = merge_dim(op, dims[axis], bias_dim)
    return [TensorShape(dims)]


def _bias_add_shape_v2(op):
    return _bias_add_shape(op, str_attr(op, "data_format") == "NCHW")


def _bias_add_shape_v1(op):
    return _bias_add_shape(op, False)


def _check_bias(value, bias, axis):
    if value.dim() < 2:
        raise invalid(f"Input tensor must be at least 2D: {format_dims(value.shape)}")
    if bias.dim() != 1:
        raise invalid(f"Biases must be 1D: {format_dims(bias.shape)}")
    if value.shape[axis] != bias.shape[0]:
        raise invalid(
            "Must provide as many biases as the last dimension of the input tensor: "
            f"{format_dims(bias.shape)} vs. {format_dims(value.shape)}"
        )


@register_op(
    "BiasAdd",
    inputs=["value: T", "bias: T"],
    outputs=["output: T"],
    attrs=[_BIAS_TYPES, "data_format: {'NHWC', 'NCHW'} = \"NHWC\""],
    shape=_bias_add_shape_v2,
)
def bias_add(value, bias, data_format):
    """Adds ``bias`` along the channel axis: the last for NHWC, axis 1 for NCHW."""
    if data_format == "NCHW":
        _check_bias(value, bias, 1)
        return value + bias.view((-1,) + (1,) * (value.dim() - 2))
    _check_bias(value, bias, -1)
    return value + bias


@register_op(
    "BiasAddV1",
    inputs=["value: T", "bias: T"],
    outputs=["output: T"],
    attrs=[_BIAS_TYPES],
    shape=_bias_add_shape_v1,
)
def bias_add_v1(value, bias):
    _check_bias(value, bias, -1)
    return value + bias


def _bias_add_grad_shape(op):
    nchw = str_attr(op, "data_format") == "NCHW"
    dims = input_with_rank_at_least(op, 0, 3 if nchw else 2)
    if dims is None:
        return [TensorShape([None])]
    return [TensorShape([dims[1] if nchw else dims[-1]])]


@register_op(
    "BiasAddGrad",
    inputs=["out_backprop: T"],
    outputs=["output: T"],
    attrs=[_BIAS_TYPES, "data_format: {'NHWC', 'NCHW'} = \"NHWC\""],
    shape=_bias_add_grad_shape,
)
def bias_add_grad(out_backprop, data_format):
    """BiasAdd's bias gradient: ``out_backprop`` summed over every axis but the channel axis."""
    rank = out_backprop.dim()
    if rank < 2:
        raise invalid(f"Input tensor must be at least 2D: {format_dims(out_backprop.shape)}")
    axis = 1 if data_format == "NCHW" else rank - 1
    return torch.sum(out_backprop, [d for d in range(rank) if d != axis], dtype=out_backprop.dtype)


@register_gradient("BiasAdd")
def _bias_add_grad(op, received_grad):
    data_format = str_attr(op, "data_format")
    return [received_grad, raw_op("BiasAddGrad", out_backprop=received_grad, data_format=data_format)]


@register_gradient("BiasAddGrad")
def _bias_add_grad_grad(op, received_grad):
    """Tiles the bias-shaped ``received_grad`` back over the input's shape, as TF's _BiasAddGradGrad."""
    shape = array_ops.shape(op.inputs[0])
    bias_shape = array_ops.shape(received_grad)
    if str_attr(op, "data_format") == "NCHW":
        expanded_shape = array_ops.concat(
            [array_ops.ones_like(shape[:1]), bias_shape, array_ops.ones_like(shape[2:])], 0
        )
        tile_mults = array_ops.concat([shape[:1], [1], shape[2:]], 0)
    else:
        expanded_shape = array_ops.concat([array_ops.ones_like(shape[:-1]), bias_shape], 0)
        tile_mults = array_ops.concat([shape[:-1], [1]], 0)
    expanded_grad = array_ops.reshape(received_grad, expanded_shape)
    return [array_ops.tile(expanded_grad, tile_mults)]


@register_gradient("BiasAddV1")
def _bias_add_v1_grad(op, received_grad):
    """The bias gradient sums over every axis but the last: Sum over Range(Rank - 1), as TF."""
    reduction_dim_tensor = math_ops.range(array_ops.rank(received_grad) - 1)
    return [received_grad, math_ops.reduce_sum(received_grad, reduction_dim_tensor)]


# ---------------------------------------------------------------------------------------------
# Losses


@register_op("L2Loss", inputs=["t: T"], outputs=["output: T"], attrs=[_FLOAT_TYPES], shape=common_shapes.scalar)
def l2_loss(t):
    """sum(t ** 2) / 2."""
    return torch.sum(torch.square(t)) * 0.5


@register_gradient("L2Loss")
def _l2_loss_grad(op, grad):
    return [op.inputs[0] * grad]


def _xent_shape(op):
    features, labels = op.inputs[0].shape, op.inputs[1].shape
    f = features.as_tuple()
    if f is None or len(f) == 2:
        merged = TensorShape(f if f is not None else (None, None))
        if labels.rank is None or labels.is_compatible_with(merged):
            merged = merged.merge_with(labels)
            return [TensorShape([merged.as_tuple()[0]]), merged]
    shape = common_shapes.broadcast_shapes(features, labels, op)
    if shape.rank is None:
        raise shape_error(op, "Shape must be broadcasted with rank 2, but is rank is unknown.")
    if shape.rank != 2:
        raise shape_error(op, f"Shape must be rank 2 but is rank {shape.rank}")
    return [TensorShape([shape.as_tuple()[0]]), shape]


@register_op(
    "SoftmaxCrossEntropyWithLogits",
    inputs=["features: T", "labels: T"],
    outputs=["loss: T", "backprop: T"],
    attrs=[_FLOAT_TYPES],
    shape=_xent_shape,
)
def softmax_cross_entropy_with_logits(features, labels):
    """Per row: loss = -sum(labels * log_softmax(features)), backprop = softmax(features) - labels.

    ``features`` and ``labels`` broadcast against each other (TF's BCast) to a matrix.
    """
    if features.shape != labels.shape:
        try:
            shape = torch.broadcast_shapes(features.shape, labels.shape)
        except RuntimeError:
            raise invalid(
                "logits and labels must be broadcastable: "
                f"logits_size={format_dims(features.shape)} labels_size={format_dims(labels.shape)}"
            ) from None
        features, labels = torch.broadcast_tensors(features, labels)
    else:
        shape = features.shape
    if len(shape) != 2:
        raise invalid("logits and labels must be either 2-dimensional, or broadcasted to be 2-dimensional")
    log_p = torch.log_softmax(features, -1)
    loss = -torch.sum(labels * log_p, -1)
    return loss, torch.exp(log_p) - labels


def _broadcast_mul(vec, mat):
    """TF's _BroadcastMul: ``vec`` [D0] times ``mat`` [D0, D1], through ExpandDims(vec, -1)."""
    return array_ops.expand_dims(vec, -1) * mat


def _is_zeros(t) -> bool:
    """Whether ``t`` is what tf.zeros/tf.zeros_like built, the tensors TF tags ``_is_zeros_tensor``.

    gradients() fills the gradient of an unused output with zeros_like: a Const of zeros when the
    shape is static, else a Fill of zero or a ZerosLike.
    """
    if t is None:
        return True
    op = getattr(t, "op", None)
    if op is None:
        return False
    if op.type == "ZerosLike":
        return True
    if op.type in ("Const", "Fill"):
        value = tensor_util.constant_value(t)
        return value is not None and not np.any(value)
    return False


def _xent_grad_wrt_logits(op, grad_loss, grad_grad):
    """grad_loss * backprop, plus the softmax Hessian term when ``backprop`` has a gradient too."""
    grad = _broadcast_mul(grad_loss, op.outputs[1])
    logits = op.inputs[0]
    if not _is_zeros(grad_grad):
        softmax = raw_op("Softmax", logits=logits)
        grad += (
            grad_grad
            - array_ops.squeeze(
                math_ops.matmul(array_ops.expand_dims(grad_grad, 1), array_ops.expand_dims(softmax, 2)), axis=1
            )
        ) * softmax
    return grad


@register_gradient("SoftmaxCrossEntropyWithLogits")
def _softmax_cross_entropy_with_logits_grad(op, grad_loss, grad_grad):
    """Logits: grad_loss * backprop (+ the second-order term); labels: grad_loss * -log_softmax."""
    grad = _xent_grad_wrt_logits(op, grad_loss, grad_grad)
    return [grad, _broadcast_mul(grad_loss, -raw_op("LogSoftmax", logits=op.inputs[0]))]


def _sparse_xent_shape(op):
    batch, classes = input_with_rank(op, 0, 2)
    (labels_batch,) = input_with_rank(op, 1, 1)
    batch = merge_dim(op, batch, labels_batch)
    return [TensorShape([batch]), TensorShape([batch, classes])]


def _summarize(t) -> str:
    return " ".join(str(v) for v in t.reshape(-1).tolist())


def _label_error(labels, classes: int):
    """TF's CPU error for a label outside [0, classes), naming the first bound broken and every label; None
    where every label is in range."""
    lo, hi = (int(v) for v in torch.aminmax(labels))
    if lo < 0 or hi >= classes:
        return invalid(
            f"Received a label value of {lo if lo < 0 else hi} which is outside the valid range of "
            f"[0, {classes}).  Label values: {_summarize(labels)}"
        )
    return None


@register_op(
    "SparseSoftmaxCrossEntropyWithLogits",
    inputs=["features: T", "labels: Tlabels"],
    outputs=["loss: T", "backprop: T"],
    attrs=[_FLOAT_TYPES, "Tlabels: {int32, int64} = DT_INT64"],
    shape=_sparse_xent_shape,
)
def sparse_softmax_cross_entropy_with_logits(features, labels):
    """Like SoftmaxCrossEntropyWithLogits with one-hot ``labels``.

    A label outside [0, classes) raises InvalidArgumentError on CPU (TF's CPU kernel); on other
    devices, like TF's GPU kernel, its row of both outputs is NaN (no host synchronisation).
    """
    if features.dim() != 2:
        raise invalid(f"logits must be 2-D, but got shape {format_dims(features.shape)}")
    if labels.dim() != 1:
        raise invalid(f"labels must be 1-D, but got shape {format_dims(labels.shape)}")
    batch, classes = features.shape
    if batch != labels.shape[0]:
        raise invalid(
            "logits and labels must have the same first dimension, got logits shape "
            f"{format_dims(features.shape)} and labels shape {format_dims(labels.shape)}"
        )
    if classes == 0:
        raise invalid(f"Must have at least one class, but got logits shape {format_dims(features.shape)}")
    native = xent_native.sparse_xent(features, labels)  # (one pass; None where it does not apply)
    if native is not None:
        loss, backprop, bad = native
        if bad:
            raise _label_error(labels, classes)
        return loss, backprop
    on_cpu = labels.device.type == "cpu"
    checked = False  # whether a CPU label outside [0, classes) raised already
    if on_cpu and batch > 0 and torch.compiler.is_compiling():
        # Under torch.compile (ConfigProto(torch_compile=True)) the check is a tensor op that raises when the
        # compiled step runs, before it updates anything; the message cannot name the value (no host read).
        in_range = ((labels >= 0) & (labels < classes)).all()
        torch._assert_async(in_range, f"Received a label value which is outside the valid range of [0, {classes}).")
        checked = True
    index = labels.long()
    if not on_cpu:
        bad = (index < 0) | (index >= classes)
        index = index.clamp(0, classes - 1)
    index = index.unsqueeze(1)
    log_p = torch.log_softmax(features, -1)
    if on_cpu and not checked:
        # torch's CPU gather checks every index: only when it raises are the labels read for TF's error
        # (a separate range check would cost a reduction and a host read every step).
        try:
            picked = log_p.gather(1, index)
        except RuntimeError as e:
            raise (_label_error(labels, classes) or e) from None
    else:
        picked = log_p.gather(1, index)
    loss = picked.neg_().squeeze(1)
    backprop = torch.exp(log_p)
    if on_cpu:  # minus the one-hot: -1 added at each row's label (x + -1 rounds as x - 1), one small kernel
        minus_one = backprop.new_full((batch, 1), -1.0)
        add = backprop.scatter_add if backprop.requires_grad else backprop.scatter_add_  # (exp's grad reads it)
        backprop = add(1, index, minus_one)
    else:
        backprop = backprop - F.one_hot(index.squeeze(1), classes)  # the int one-hot promotes to log_p's dtype
        nan = torch.tensor(float("nan"), dtype=log_p.dtype, device=log_p.device)
        loss = torch.where(bad, nan, loss)
        backprop = torch.where(bad.unsqueeze(1), nan, backprop)
    return loss, backprop


@register_gradient("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_softmax_cross_entropy_with_logits_grad(op, grad_loss, grad_grad):
    """As SoftmaxCrossEntropyWithLogits'; the integer labels get no gradient."""
    return [_xent_grad_wrt_logits(op, grad_loss, grad_grad), None]


# ---------------------------------------------------------------------------------------------
# InTopK, TopK


def _in_top_k_shape(op):
    batch, _ = input_with_rank(op, 0, 2)
    (targets,) = input_with_rank(op, 1, 1)
    if len(op.inputs) > 2:
        input_with_rank(op, 2, 0)
    return [TensorShape([merge_dim(op, batch, targets)])]


def _in_top_k(predictions, targets, k):
    if predictions.dim() != 2:
        raise invalid("predictions must be 2-dimensional")
    if targets.dim() != 1:
        raise invalid("targets must be 1-dimensional")
    batch, classes = predictions.shape
    if batch != targets.shape[0]:
        raise invalid(f"First dimension of predictions {batch} must match length of targets {targets.shape[0]}")
    if classes == 0:
        return torch.zeros(batch, dtype=torch.bool, device=predictions.device)
    index = targets.long()
    valid = (index >= 0) & (index < classes)
    target = predictions.gather(1, index.clamp(0, classes - 1).unsqueeze(1))
    larger = torch.sum(predictions > target, 1)
    return valid & torch.isfinite(predictions).all(1) & (larger < k)


@register_op(
    "InTopK",
    inputs=["predictions: float", "targets: T"],
    outputs=["precision: bool"],
    attrs=["k: int", "T: {int32, int64} = DT_INT32"],
    shape=_in_top_k_shape,
)
def in_top_k(predictions, targets, k):
    """Whether each target's prediction is among the ``k`` largest of its row, counting ties.

    As TF: fewer than ``k`` predictions are strictly larger; a row with a non-finite prediction, or
    a target out of range, gives False.
    """
    return _in_top_k(predictions, targets, k)


@register_op(
    "InTopKV2",
    inputs=["predictions: float", "targets: T", "k: T"],
    outputs=["precision: bool"],
    attrs=["T: {int32, int64} = DT_INT32"],
    shape=_in_top_k_shape,
)
def in_top_kv2(predictions, targets, k):
    """InTopK with ``k`` a scalar tensor."""
    if k.dim() != 0:
        raise invalid(f"k must be 0-D, got shape {format_dims(k.shape)}")
    return _in_top_k(predictions, targets, k)


# TF registers no gradient for InTopK/InTopKV2 (their output is bool, so none is ever asked for).
no_registered_gradient("InTopK", "InTopKV2")


def _top_k_shape_for(op, k):
    dims = input_with_rank_at_least(op, 0, 1)
    if dims is None:
        return [unknown_shape()] * 2
    last = dims[-1]
    if k is not None and last is not None and last < k:
        raise shape_error(op, f"input must have last dimension >= k = {k} but is {last}")
    out = TensorShape((*dims[:-1], k))
    return [out, out]


def _top_k_v2_shape(op):
    k = scalar_dim(op, 1)
    return _top_k_shape_for(op, k)


def _top_k_shape(op):
    return _top_k_shape_for(op, op.get_attr("k"))


def _top_k(input, k, index_dtype):
    if k < 0:
        raise invalid(f"Need k >= 0, got {k}")
    if input.dim() < 1:
        raise invalid(f"input must be >= 1-D, got shape {format_dims(input.shape)}")
    if input.shape[-1] < k:
        raise invalid(f"input must have at least k columns. Had {input.shape[-1]}, needed {k}")
    # A stable sort gives TF's order among equal values: the lower index first.
    values, indices = torch.sort(input, dim=-1, descending=True, stable=True)
    return values[..., :k], indices[..., :k].to(index_dtype)


@register_op(
    "TopKV2",
    inputs=["input: T", "k: Tk"],
    outputs=["values: T", "indices: index_type"],
    attrs=[
        "sorted: bool = true",
        _REAL_TYPES,
        "Tk: {int16, int32, int64} = DT_INT32",
        "index_type: {int16, int32, int64} = DT_INT32",
    ],
    shape=_top_k_v2_shape,
)
def top_kv2(input, k, index_type):
    """The ``k`` largest entries of the last dimension and their indices, ties to the lower index.

    Results are always sorted; with ``sorted=False`` TF leaves the order unspecified.
    """
    if k.dim() != 0:
        raise invalid(f"k must be scalar, got shape {format_dims(k.shape)}")
    return _top_k(input, int(k), index_type.torch)


@register_op(
    "TopK",
    inputs=["input: T"],
    outputs=["values: T", "indices: int32"],
    attrs=["k: int >= 0", "sorted: bool = true", _REAL_TYPES],
    shape=_top_k_shape,
    deprecation=(7, "Use TopKV2 instead"),
)
def top_k(input, k):
    """TopKV2 with ``k`` an attr (deprecated since GraphDef version 7)."""
    return _top_k(input, k, torch.int32)


def _top_k_input_grad(op, grad):
    """Scatters ``grad`` to the positions the indices name, built as TF's _TopKGrad: flatten the
    indices to rows, offset each row by row * last_dim, ScatterNd into the flat input, reshape."""
    indices = op.outputs[1]
    in_shape = array_ops.shape(op.inputs[0])
    ind_shape = array_ops.shape(indices)
    ind_lastdim = array_ops.gather(math_ops.cast(ind_shape, DType.int64), array_ops.size(ind_shape) - 1)
    ind_2d = array_ops.reshape(indices, array_ops.stack([-1, ind_lastdim]))
    in_lastdim = array_ops.gather(math_ops.cast(in_shape, DType.int64), array_ops.size(in_shape) - 1)
    outerdim = array_ops.shape(ind_2d)[0]
    # TF casts the row offsets (and ScatterNd's shape is int32); here they take the indices' dtype,
    # so that int64 and int16 indices (index_type) work too, where TF's graph fails to build. int16 ones
    # are widened to int32 first: ScatterNd's shape has the indices' dtype, and a static int16 shape fails
    # its shape function (TF's MakeShapeFromShapeTensor reads int32/int64 only).
    index_dtype = indices.dtype.base_dtype
    if index_dtype not in (DType.int32, DType.int64):
        ind_2d, index_dtype = math_ops.cast(ind_2d, DType.int32), DType.int32
    offsets = math_ops.cast(
        array_ops.expand_dims(math_ops.range(0, math_ops.cast(outerdim, DType.int64) * in_lastdim, in_lastdim), -1),
        index_dtype,
    )
    ind = array_ops.reshape(ind_2d + offsets, [-1])
    size = math_ops.reduce_prod(in_shape)
    if index_dtype is not DType.int32:
        size = math_ops.cast(size, index_dtype)
    scattered = raw_op(
        "ScatterNd", indices=array_ops.expand_dims(ind, -1), updates=array_ops.reshape(grad, [-1]), shape=[size]
    )
    return array_ops.reshape(scattered, in_shape)


@register_gradient("TopKV2")
def _top_k_v2_grad(op, grad, _):
    return [_top_k_input_grad(op, grad), array_ops.zeros([], dtype=DType.int32)]


@register_gradient("TopK")
def _top_k_grad(op, grad, _):
    """TF registers _TopKGrad for TopK too, whose second (k) gradient TopK has no input for; only
    the input's gradient here. (TF no longer builds TopK: it was deprecated at GraphDef 7.)"""
    return [_top_k_input_grad(op, grad)]


# ---------------------------------------------------------------------------------------------
# LRN


def _lrn_shape(op):
    input_with_rank(op, 0, 4)
    return [op.inputs[0].shape]


@register_op(
    "LRN",
    inputs=["input: T"],
    outputs=["output: T"],
    attrs=[
        "depth_radius: int = 5",
        "bias: float = 1.0",
        "alpha: float = 1.0",
        "beta: float = 0.5",
        "T: {half, bfloat16, float} = DT_FLOAT",
    ],
    shape=_lrn_shape,
)
def lrn(input, depth_radius, bias, alpha, beta):
    """input / (bias + alpha * sum of squares over depth_radius channels each side) ** beta, NHWC.

    Unlike ``torch.nn.functional.local_response_norm``, alpha is not divided by the window size.
    """
    if input.dim() != 4:
        raise invalid("in must be 4-dimensional")
    # TF's CPU kernel sums the squares by a band-matrix product, or by a running sum past 384 channels with
    # beta 0.5 or 1: the two differ in where a non-finite square makes the norm NaN (_lrn_native.c)
    running = input.shape[3] > 384 and beta in (0.5, 1.0)
    mode = lrn_native.RUNNING if running else lrn_native.BAND
    norm = lrn_native.norm(input, depth_radius, bias, alpha, mode)
    if norm is not None:
        return _lrn_power(norm, beta, in_place=True).mul_(input)
    x = input.float() if input.dtype in (torch.float16, torch.bfloat16) else input
    squares = torch.square(x)
    norm = bias + alpha * _depth_window_sum(squares, depth_radius)
    norm = norm.masked_fill(_nonfinite_outside(squares, depth_radius, running), float("nan"))
    return (x * _lrn_power(norm, beta, in_place=True)).to(input.dtype)


def _nonfinite_outside(squares, radius: int, running: bool):
    """Where a non-finite square lies before each channel's window (``running``), or outside it: where TF's
    running sum (inf - inf) or band-matrix product (inf * 0) makes the norm NaN."""
    bad = (~torch.isfinite(squares)).to(squares.dtype)
    if running:
        depth = squares.shape[-1]
        return F.pad(torch.cumsum(bad, -1), (radius + 1, 0))[..., :depth] > 0
    return bad.sum(-1, keepdim=True) - _depth_window_sum(bad, radius) > 0


def _depth_window_sum(t, radius: int):
    """Per channel, the sum of ``t`` over the channels within ``radius`` (clipped at the edges)."""
    return F.pad(t, (radius, radius)).unfold(-1, 2 * radius + 1, 1).sum(-1)


def _lrn_power(norm, beta: float, in_place: bool):
    """``norm ** -beta`` as TF's LRN computes it: the reciprocal for beta 1, rsqrt for 0.5, else
    exp(log(norm) * -beta) (so beta 0 gives NaN where norm is 0, as TF's does); in place when ``in_place``.
    (torch.pow costs three times exp and log together.)"""
    if beta == 1.0:
        return norm.reciprocal_() if in_place else torch.reciprocal(norm)
    if beta == 0.5:
        return norm.rsqrt_() if in_place else torch.rsqrt(norm)
    return (norm.log_() if in_place else torch.log(norm)).mul_(-beta).exp_()


def _lrn_grad_shape(op):
    shape = TensorShape(input_with_rank(op, 0, 4))
    for i in (1, 2):
        shape = merge_shapes(op, shape, op.inputs[i].shape)
    return [shape]


@register_op(
    "LRNGrad",
    inputs=["input_grads: T", "input_image: T", "output_image: T"],
    outputs=["output: T"],
    attrs=[
        "depth_radius: int = 5",
        "bias: float = 1.0",
        "alpha: float = 1.0",
        "beta: float = 0.5",
        "T: {half, bfloat16, float} = DT_FLOAT",
    ],
    shape=_lrn_grad_shape,
)
def lrn_grad(input_grads, input_image, output_image, depth_radius, bias, alpha, beta):
    """LRN's input gradient, as TF's CPU kernel computes it from the input and output images.

    With N_j = bias + alpha * (sum of x_k ** 2 over j's window): for each channel k,
    g_k * N_k ** -beta - 2 * alpha * beta * x_k * sum over k's window of g_j * y_j / N_j.
    """
    if input_grads.dim() != 4 or input_image.dim() != 4 or output_image.dim() != 4:
        raise invalid("inputs must be 4-dimensional")
    if not (input_grads.shape == input_image.shape == output_image.shape):
        raise invalid("input_grads, input_image, and out_image should have the same shape")
    norm = lrn_native.norm(input_image, depth_radius, bias, alpha, lrn_native.WINDOW)  # (TF sums each window)
    if norm is not None:
        power = _lrn_power(norm, beta, in_place=False)
        out = lrn_native.grad(input_grads, input_image, output_image, norm, power, depth_radius, 2 * alpha * beta)
        if out is not None:
            return out
    low = input_grads.dtype in (torch.float16, torch.bfloat16)
    g, x, y = (t.float() if low else t for t in (input_grads, input_image, output_image))
    norm = bias + alpha * _depth_window_sum(torch.square(x), depth_radius)
    power = _lrn_power(norm, beta, in_place=False)
    # TF skips the channels whose gradient is 0: their y or power may be infinite
    zero = g == 0
    ratios = (g * y / norm).masked_fill_(zero, 0.0)
    out = (g * power).masked_fill_(zero, 0.0) - (2 * alpha * beta) * x * _depth_window_sum(ratios, depth_radius)
    return out.to(input_grads.dtype)


@register_gradient("LRN")
def _lrn_grad(op, grad):
    return [
        raw_op(
            "LRNGrad",
            input_grads=grad,
            input_image=op.inputs[0],
            output_image=op.outputs[0],
            **_attrs(op, "depth_radius", "bias", "alpha", "beta"),
        )
    ]


# TF registers no gradient for LRNGrad.
no_registered_gradient("LRNGrad")


# ---------------------------------------------------------------------------------------------
# FusedBatchNorm


def _fused_batch_norm_shape(op):
    fmt = str_attr(op, "data_format")
    rank = 5 if fmt in ("NDHWC", "NCDHW") else 4
    dims = list(input_with_rank(op, 0, rank))
    axis = 1 if fmt.startswith("NC") else rank - 1
    is_training = op.get_attr("is_training")
    factor = op.get_attr("exponential_avg_factor")
    n_check = 3 if is_training and factor == 1.0 else 5
    channels = dims[axis]
    for i in range(1, n_check):
        (d,) = input_with_rank(op, i, 1)
        channels = merge_dim(op, channels, d)
    dims[axis] = channels
    vec = TensorShape([channels])
    out = [TensorShape(dims), vec, vec, vec, vec]
    if len(op.outputs) == 6:
        out.append(unknown_shape())
    return out


def _onednn_layout(x) -> bool:
    """Whether TF's default CPU build runs this FusedBatchNorm with oneDNN (4-D float32 input).

    Only the opaque reserve-space outputs depend on it: oneDNN's inference kernel repeats mean and
    variance in reserve_space_1/2 and gives an empty reserve_space_3; TF's Eigen kernel gives zeros.
    """
    return x.dim() == 4 and x.dtype == torch.float32


def _fused_batch_norm(
    x,
    scale,
    offset,
    mean,
    variance,
    epsilon,
    exponential_avg_factor,
    data_format,
    is_training,
    relu=False,
    side=None,
    padded_for=None,
):
    """FusedBatchNorm's five outputs, y through Relu when ``relu`` (specialization's BN+Relu fusion), ``side``
    added to y before it (its BN+AddV2+Relu fusion: a residual block's end; ``side`` of y's shape).

    Training on channels-last float32 CPU tensors runs the native kernel where it can be built
    (torchmeta.ops.batch_norm_native); otherwise torch's batch norm or the op-by-op formulas. ``padded_for``
    (specialization's: y's reader is a convolution with that window, (window size, strides, padding,
    explicit_paddings, dilations), NHWC): where the convolution pads y asymmetrically, the native kernel writes
    y inside the zero border it pads, and y, a view of that, carries it for the convolution
    (``conv_ops.keep_bordered``), which then makes no padded copy."""
    _check_batch_norm_inputs(x, scale, offset, data_format)
    if is_training and not data_format.startswith("NC"):
        border = None
        if padded_for is not None and x.dim() == 4:
            border = conv_ops.asymmetric_pads(x.shape[1:3], *padded_for)
        fast = batch_norm_native.train_forward(
            x, scale, offset, mean, variance, epsilon, exponential_avg_factor, relu=relu, side=side, border=border
        )
        if fast is not None:
            y = fast[0]
            if border is not None and y._base is not None:
                conv_ops.keep_bordered(y, y._base, *border)
            return fast
    outs = _fused_batch_norm_torch(
        x, scale, offset, mean, variance, epsilon, exponential_avg_factor, data_format, is_training
    )
    y = outs[0] if side is None else torch.add(outs[0], side)
    if relu:
        return (torch.relu_(y), *outs[1:])
    return (y, *outs[1:])


def _check_batch_norm_inputs(x, scale, offset, data_format):
    rank = x.dim()
    want = 5 if data_format in ("NDHWC", "NCDHW") else 4
    if rank != want:
        raise invalid(f"input must be {want}-dimensional{format_dims(x.shape)}")
    axis = 1 if data_format.startswith("NC") else rank - 1
    channels = x.shape[axis]
    for name, t in (("scale", scale), ("offset", offset)):
        if t.numel() != channels:
            raise invalid(
                f"{name} must have the same number of elements as the channels of x, got {t.numel()} and {channels}"
            )


def _fused_batch_norm_torch(
    x, scale, offset, mean, variance, epsilon, exponential_avg_factor, data_format, is_training
):
    rank = x.dim()
    axis = 1 if data_format.startswith("NC") else rank - 1
    channels = x.shape[axis]
    shape = [1] * rank
    shape[axis] = channels
    compute = scale.dtype
    fast = _native_batch_norm(x, scale, offset, mean, variance, epsilon, exponential_avg_factor, axis, is_training)
    if fast is not None:
        return fast
    xc = x.to(compute)
    if not is_training:
        inv = torch.rsqrt(variance + epsilon) * scale
        y = (xc - mean.view(shape)) * inv.view(shape) + offset.view(shape)
        if _onednn_layout(x):
            return y.to(x.dtype), mean, variance, mean, variance
        zeros = torch.zeros_like(mean)
        return y.to(x.dtype), mean, variance, zeros, zeros.clone()
    dims = [d for d in range(rank) if d != axis]
    count = x.numel() // channels if channels else 0
    if count == 0:
        nan = torch.full((channels,), float("nan"), dtype=compute, device=x.device)
        zeros = torch.zeros(channels, dtype=compute, device=x.device)
        return x.clone(), nan, nan.clone(), zeros, zeros.clone()
    batch_var, batch_mean = torch.var_mean(xc, dim=dims, correction=0)
    inv = torch.rsqrt(batch_var + epsilon) * scale
    y = (xc - batch_mean.view(shape)) * inv.view(shape) + offset.view(shape)
    unbiased = batch_var * (count / (count - 1)) if count > 1 else batch_var
    if exponential_avg_factor == 1.0:
        new_mean, new_var = batch_mean, unbiased
    else:
        keep = 1.0 - exponential_avg_factor
        new_mean = keep * mean + exponential_avg_factor * batch_mean
        new_var = keep * variance + exponential_avg_factor * unbiased
    return y.to(x.dtype), new_mean, new_var, batch_mean, batch_var


def _channels_second(x, axis):
    """``x`` viewed with its channel axis second, as torch's batch norm wants it (a channels-last
    tensor viewed so is in torch's channels_last memory format, which its kernels run as it is)."""
    if axis == 1:
        return x
    return x.permute(0, axis, *range(1, axis))


def _channels_back(y, axis):
    if axis == 1:
        return y
    return y.permute(0, *range(2, y.dim()), 1)


def _native_batch_norm_fits(x, *vectors) -> bool:
    return (
        x.numel() > 0
        and x.dtype in (torch.float32, torch.float64)
        and all(v.dtype == x.dtype and v.device == x.device and v.dim() == 1 for v in vectors)
    )


def _native_batch_norm(x, scale, offset, mean, variance, epsilon, exponential_avg_factor, axis, is_training):
    """FusedBatchNorm's outputs from torch's batch norm kernel (one pass for the statistics, one for y),
    or None where it does not apply (other dtypes, one element per channel)."""
    if not _native_batch_norm_fits(x, scale, offset, mean, variance):
        return None
    channels = x.shape[axis]
    count = x.numel() // channels if channels else 0
    xn = _channels_second(x, axis)
    if not is_training:
        y, _, _ = torch.ops.aten.native_batch_norm(xn, scale, offset, mean, variance, False, 0.0, epsilon)
        y = _channels_back(y, axis)
        if _onednn_layout(x):
            return y, mean, variance, mean, variance
        zeros = torch.zeros_like(mean)
        return y, mean, variance, zeros, zeros.clone()
    if count < 2:
        return None
    # With running statistics of momentum 1, torch stores the batch mean and the unbiased variance.
    batch_mean, unbiased = torch.zeros_like(scale), torch.zeros_like(scale)
    y, _, _ = torch.ops.aten.native_batch_norm(xn, scale, offset, batch_mean, unbiased, True, 1.0, epsilon)
    batch_var = unbiased * ((count - 1) / count)
    if exponential_avg_factor == 1.0:
        new_mean, new_var = batch_mean, unbiased
    else:
        keep = 1.0 - exponential_avg_factor
        new_mean = keep * mean + exponential_avg_factor * batch_mean
        new_var = keep * variance + exponential_avg_factor * unbiased
    return _channels_back(y, axis), new_mean, new_var, batch_mean, batch_var


_BN_INPUTS_V1 = ["x: T", "scale: T", "offset: T", "mean: T", "variance: T"]
_BN_INPUTS = ["x: T", "scale: U", "offset: U", "mean: U", "variance: U"]
_BN_OUTPUTS = ["y: T", "batch_mean: U", "batch_variance: U", "reserve_space_1: U", "reserve_space_2: U"]
_BN_ATTRS = [
    "epsilon: float = 9.999999747378752e-05",
    "exponential_avg_factor: float = 1.0",
    "data_format: {'NHWC', 'NCHW'} = \"NHWC\"",
    "is_training: bool = true",
]


@register_op(
    "FusedBatchNorm",
    inputs=_BN_INPUTS_V1,
    outputs=[o.replace(": U", ": T") for o in _BN_OUTPUTS],
    attrs=["T: {float}", *_BN_ATTRS],
    shape=_fused_batch_norm_shape,
    aliases_input=True,
)
def fused_batch_norm(x, scale, offset, mean, variance, epsilon, exponential_avg_factor, data_format, is_training):
    """Batch normalization over every axis but the channel axis (last for NHWC, 1 for NCHW).

    Training: y uses the batch's biased variance; ``batch_variance`` is the unbiased (n/(n-1))
    variance, blended into ``variance`` when exponential_avg_factor != 1; reserve_space_1/2 are
    the batch mean and biased variance, as TF's CPU kernel gives. Inference: y uses ``mean`` and
    ``variance``, which batch_mean/batch_variance repeat (reserve spaces: see ``_onednn_layout``).
    """
    return _fused_batch_norm(
        x, scale, offset, mean, variance, epsilon, exponential_avg_factor, data_format, is_training
    )


@register_op(
    "FusedBatchNormV2",
    inputs=_BN_INPUTS,
    outputs=_BN_OUTPUTS,
    attrs=["T: {half, bfloat16, float}", "U: {float}", *_BN_ATTRS],
    shape=_fused_batch_norm_shape,
    aliases_input=True,
)
def fused_batch_norm_v2(x, scale, offset, mean, variance, epsilon, exponential_avg_factor, data_format, is_training):
    """FusedBatchNorm with ``x``/``y`` of type T (half, bfloat16, float) and statistics in float."""
    return _fused_batch_norm(
        x, scale, offset, mean, variance, epsilon, exponential_avg_factor, data_format, is_training
    )


@register_op(
    "FusedBatchNormV3",
    inputs=_BN_INPUTS,
    outputs=[*_BN_OUTPUTS, "reserve_space_3: U"],
    attrs=[
        "T: {half, bfloat16, float}",
        "U: {bfloat16, float}",
        *_BN_ATTRS[:2],
        "data_format: {'NHWC', 'NCHW', 'NDHWC', 'NCDHW'} = \"NHWC\"",
        "is_training: bool = true",
    ],
    shape=_fused_batch_norm_shape,
    aliases_input=True,
)
def fused_batch_norm_v3(x, scale, offset, mean, variance, epsilon, exponential_avg_factor, data_format, is_training):
    """FusedBatchNormV2 plus 5-D formats and ``reserve_space_3``.

    ``reserve_space_3`` is opaque scratch; its shape follows TF's default CPU build: empty for 4-D
    float32 input (the oneDNN kernel), a scalar zero otherwise (the Eigen kernel).
    """
    outs = _fused_batch_norm(
        x, scale, offset, mean, variance, epsilon, exponential_avg_factor, data_format, is_training
    )
    return (*outs, _reserve_space_3(x, scale))


def _reserve_space_3(x, scale):
    if _onednn_layout(x):
        return scale.new_empty(0)  # (not torch.empty(dtype=, device=): see _batch_norm_grad_reserves)
    return scale.new_zeros(())


def fused_batch_norm_relu(version, x, scale, offset, mean, variance, **attrs):
    """The outputs of FusedBatchNorm ``version`` ("FusedBatchNorm", "FusedBatchNormV2" or
    "FusedBatchNormV3") with Relu applied to y: the kernel of specialization's BN+Relu fusion (TF's
    _FusedBatchNormEx). Not an op."""
    outs = _fused_batch_norm(x, scale, offset, mean, variance, relu=True, **attrs)
    if version == "FusedBatchNormV3":
        return (*outs, _reserve_space_3(x, scale))
    return outs


def fused_batch_norm_add_relu(version, x, scale, offset, mean, variance, side, **attrs):
    """``fused_batch_norm_relu`` with Relu(AddV2(y, side)) in place of Relu(y) (a residual block's end: the
    native kernel adds ``side`` in its output pass, so y is never written on its own). Not an op."""
    outs = _fused_batch_norm(x, scale, offset, mean, variance, relu=True, side=side, **attrs)
    if version == "FusedBatchNormV3":
        return (*outs, _reserve_space_3(x, scale))
    return outs


# ---------------------------------------------------------------------------------------------
# FusedBatchNorm gradients


def _fused_batch_norm_grad_shape(op):
    fmt = str_attr(op, "data_format")
    rank = 5 if fmt in ("NDHWC", "NCDHW") else 4
    y_backprop = input_with_rank(op, 0, rank)
    x = input_with_rank(op, 1, rank)
    axis = 1 if fmt.startswith("NC") else rank - 1
    channels = merge_dim(op, y_backprop[axis], x[axis])
    for i in (2, 3, 4):
        (d,) = input_with_rank(op, i, 1)
        channels = merge_dim(op, channels, d)
    dims = list(y_backprop)
    dims[axis] = channels
    vec = TensorShape([channels])
    out = [TensorShape(dims), vec, vec, TensorShape([0]), TensorShape([0])]
    return out


def _fused_batch_norm_grad(
    y_backprop, x, scale, mean, variance, epsilon, data_format, is_training, features=None, in_place=False
):
    """(x_backprop, scale_backprop, offset_backprop, reserve, reserve) as TF's kernels give them; with
    ``features``, of ReluGrad(y_backprop, features) (specialization's ReluGrad + batch norm gradient fusion,
    ``in_place``: the caller owns ``y_backprop``, which may be overwritten).

    Training on channels-last float32 CPU tensors runs the native kernel where it can be built
    (torchmeta.ops.batch_norm_native, the ReluGrad folded into its two passes); otherwise torch's batch
    norm backward or the op-by-op formulas, after ``relu_grad``.

    ``mean``/``variance`` are the forward op's reserve spaces (batch statistics) in training and
    the population statistics in inference; TF uses them as given, without recomputing. Training:
    x_backprop = scale * rsqrt(var + eps) * (dy - mean(dy) - (x - mean) * mean(dy * (x - mean)) /
    (var + eps)); inference: dy * scale * rsqrt(var + eps). The two trailing outputs are unused
    placeholders: a scalar zero from TF's default (oneDNN) CPU kernel for 4-D float32, else empty.
    """
    rank = x.dim()
    want = 5 if data_format in ("NDHWC", "NCDHW") else 4
    if rank != want or y_backprop.dim() != want:
        raise invalid(f"input must be {want}-dimensional{format_dims(x.shape)}")
    if is_training and not data_format.startswith("NC"):
        # first: the native kernel takes only what the checks below pass (x's shape, [channels] vectors)
        fast = batch_norm_native.train_gradient(
            y_backprop, features, x, scale, mean, variance, epsilon, in_place=in_place
        )
        if fast is not None:
            return (*fast, *_batch_norm_grad_reserves(x, scale))
    if y_backprop.shape != x.shape:
        raise invalid(
            f"x and y_backprop must have same shape, but x has shape {format_dims(x.shape)} and y_backprop has shape "
            f"{format_dims(y_backprop.shape)}"
        )
    axis = 1 if data_format.startswith("NC") else rank - 1
    channels = x.shape[axis]
    for name, t in (("scale", scale), ("reserve_space_1", mean), ("reserve_space_2", variance)):
        if t.dim() != 1 or t.shape[0] != channels:
            raise invalid(f"{name} must be 1-dimensional with {channels} elements, got shape {format_dims(t.shape)}")
    if features is not None:
        y_backprop = relu_grad_(y_backprop, features) if in_place else relu_grad(y_backprop, features)
    shape = [1] * rank
    shape[axis] = channels
    dims = [d for d in range(rank) if d != axis]
    if _native_batch_norm_fits(x, scale, mean, variance) and y_backprop.dtype == x.dtype:
        # torch's batch norm backward: TF's formulas (below), in one kernel for the three gradients.
        rstd = torch.rsqrt(variance + epsilon)
        x_backprop, scale_backprop, offset_backprop = torch.ops.aten.native_batch_norm_backward(
            _channels_second(y_backprop, axis),
            _channels_second(x, axis),
            scale,
            None if is_training else mean,
            None if is_training else variance,
            mean if is_training else None,
            rstd if is_training else None,
            is_training,
            epsilon,
            [True, True, True],
        )
        x_backprop = _channels_back(x_backprop, axis)
    else:
        x_backprop, scale_backprop, offset_backprop = _batch_norm_grad_by_ops(
            y_backprop, x, scale, mean, variance, epsilon, is_training, shape, dims
        )
    return (x_backprop.to(x.dtype), scale_backprop, offset_backprop, *_batch_norm_grad_reserves(x, scale))


def _batch_norm_grad_reserves(x, scale):
    """FusedBatchNormGrad's two unused trailing outputs (of scale's dtype): a scalar zero from TF's default
    (oneDNN) CPU kernel for 4-D float32, else empty. Two ``new_zeros`` of scale rather than ``torch.zeros``
    with dtype and device and a clone: in a training step this runs cold after each gradient kernel, where
    that took 45 us a call and this 29 (ResNet step, bench/results/bnw15_profile.txt)."""
    shape = () if _onednn_layout(x) else (0,)
    return scale.new_zeros(shape), scale.new_zeros(shape)


def fused_batch_norm_grad_relu(gradients, features, x, scale, reserve_space_1, reserve_space_2, *, in_place, **attrs):
    """FusedBatchNormGrad* of ReluGrad(gradients, features): the kernel of specialization's fusion of the two
    (the native kernel reads ``gradients`` and ``features`` instead of a ReluGrad result, ``features`` once
    where it keeps the mask as bits for its second pass), ``in_place`` as for ``relu_grad_``. Not an op."""
    if features.shape != gradients.shape:  # ReluGrad's error, raised where TF's graph raises it, naming it
        raise raised_by("ReluGrad", inputs_not_same_shape(gradients, features))
    return _fused_batch_norm_grad(
        gradients, x, scale, reserve_space_1, reserve_space_2, features=features, in_place=in_place, **attrs
    )


def _batch_norm_grad_by_ops(y_backprop, x, scale, mean, variance, epsilon, is_training, shape, dims):
    compute = scale.dtype
    dy = y_backprop.to(compute)
    centered = x.to(compute) - mean.view(shape)
    rstd = torch.rsqrt(variance + epsilon)
    if is_training:
        mean_dy = dy.mean(dims, keepdim=True)
        mean_dy_centered = (dy * centered).mean(dims, keepdim=True)
        x_backprop = (scale * rstd).view(shape) * (
            dy - mean_dy - centered * mean_dy_centered / (variance + epsilon).view(shape)
        )
    else:
        x_backprop = dy * (scale * rstd).view(shape)
    scale_backprop = torch.sum(dy * centered, dims) * rstd
    offset_backprop = torch.sum(dy, dims)
    return x_backprop, scale_backprop, offset_backprop


_BN_GRAD_INPUTS = ["y_backprop: T", "x: T", "scale: float", "reserve_space_1: U", "reserve_space_2: U"]
_BN_GRAD_OUTPUTS = ["x_backprop: T", "scale_backprop: U", "offset_backprop: U"]
_BN_GRAD_ATTRS = [
    "epsilon: float = 9.999999747378752e-05",
    "data_format: {'NHWC', 'NCHW'} = \"NHWC\"",
    "is_training: bool = true",
]


@register_op(
    "FusedBatchNormGrad",
    inputs=[i.replace(": float", ": T").replace(": U", ": T") for i in _BN_GRAD_INPUTS],
    outputs=[o.replace(": U", ": T") for o in _BN_GRAD_OUTPUTS] + ["reserve_space_3: T", "reserve_space_4: T"],
    attrs=["T: {float}", *_BN_GRAD_ATTRS],
    shape=_fused_batch_norm_grad_shape,
)
def fused_batch_norm_grad(y_backprop, x, scale, reserve_space_1, reserve_space_2, epsilon, data_format, is_training):
    """FusedBatchNorm's gradient for x, scale and offset (see ``_fused_batch_norm_grad``)."""
    return _fused_batch_norm_grad(
        y_backprop, x, scale, reserve_space_1, reserve_space_2, epsilon, data_format, is_training
    )


@register_op(
    "FusedBatchNormGradV2",
    inputs=_BN_GRAD_INPUTS,
    outputs=[*_BN_GRAD_OUTPUTS, "reserve_space_3: U", "reserve_space_4: U"],
    attrs=["T: {half, bfloat16, float}", "U: {float}", *_BN_GRAD_ATTRS],
    shape=_fused_batch_norm_grad_shape,
)
def fused_batch_norm_grad_v2(y_backprop, x, scale, reserve_space_1, reserve_space_2, epsilon, data_format, is_training):
    """FusedBatchNormGrad with ``x`` of type T and statistics in float."""
    return _fused_batch_norm_grad(
        y_backprop, x, scale, reserve_space_1, reserve_space_2, epsilon, data_format, is_training
    )


@register_op(
    "FusedBatchNormGradV3",
    inputs=[*_BN_GRAD_INPUTS, "reserve_space_3: U"],
    outputs=[*_BN_GRAD_OUTPUTS, "reserve_space_4: U", "reserve_space_5: U"],
    attrs=[
        "T: {half, bfloat16, float}",
        "U: {float}",
        _BN_GRAD_ATTRS[0],
        "data_format: {'NHWC', 'NCHW', 'NDHWC', 'NCDHW'} = \"NHWC\"",
        "is_training: bool = true",
    ],
    shape=_fused_batch_norm_grad_shape,
)
def fused_batch_norm_grad_v3(
    y_backprop, x, scale, reserve_space_1, reserve_space_2, reserve_space_3, epsilon, data_format, is_training
):
    """FusedBatchNormGradV2 plus 5-D formats; ``reserve_space_3`` (opaque scratch) is not read."""
    return _fused_batch_norm_grad(
        y_backprop, x, scale, reserve_space_1, reserve_space_2, epsilon, data_format, is_training
    )


_BN_GRAD_OPS = {"FusedBatchNorm": "FusedBatchNormGrad", "FusedBatchNormV2": "FusedBatchNormGradV2"}
_TO_CHANNELS_LAST = {"NCHW": ([0, 2, 3, 1], [0, 3, 1, 2]), "NCDHW": ([0, 2, 3, 4, 1], [0, 4, 1, 2, 3])}


def _fused_batch_norm_grad_fn(op, *grad):
    """TF's _BaseFusedBatchNormGrad: the FusedBatchNormGrad* op for x, scale and offset; none for
    mean and variance. Inference runs the gradient in channels-last layout (Transposes around it)."""
    x, grad_y, scale = op.inputs[0], grad[0], op.inputs[1]
    v3 = op.type == "FusedBatchNormV3"
    grad_op = "FusedBatchNormGradV3" if v3 else _BN_GRAD_OPS[op.type]
    epsilon = op.get_attr("epsilon")
    data_format = str_attr(op, "data_format")
    is_training = op.get_attr("is_training")
    if is_training:
        mean, variance, target_format = op.outputs[3], op.outputs[4], data_format
    else:
        mean, variance = op.inputs[3], op.inputs[4]
        target_format = "NHWC" if data_format in ("NCHW", "NHWC") else "NDHWC"
        if data_format in _TO_CHANNELS_LAST:
            x = array_ops.transpose(x, _TO_CHANNELS_LAST[data_format][0])
            grad_y = array_ops.transpose(grad_y, _TO_CHANNELS_LAST[data_format][0])
    extra = {"reserve_space_3": op.outputs[5]} if v3 else {}
    dx, dscale, doffset, _, _ = raw_op(
        grad_op,
        y_backprop=grad_y,
        x=x,
        scale=scale,
        reserve_space_1=mean,
        reserve_space_2=variance,
        **extra,
        epsilon=epsilon,
        data_format=target_format,
        is_training=is_training,
    )
    if not is_training and data_format in _TO_CHANNELS_LAST:
        dx = array_ops.transpose(dx, _TO_CHANNELS_LAST[data_format][1])
    return [dx, dscale, doffset, None, None]


for _op_type in ("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"):
    register_gradient(_op_type)(_fused_batch_norm_grad_fn)


def _batch_norm_grad_graph(grad_y, x, scale, pop_mean, pop_var, epsilon, data_format, is_training):
    """TF's _BatchNormGrad: FusedBatchNormGrad's results rebuilt from differentiable ops."""
    x_dtype = x.dtype.base_dtype
    if x_dtype in (DType.float16, DType.bfloat16):
        x = math_ops.cast(x, DType.float32)
        grad_y = math_ops.cast(grad_y, DType.float32)
    channels_first = data_format in ("NCHW", "NCDHW")
    reduce_axis = {"NHWC": [0, 1, 2], "NDHWC": [0, 1, 2, 3], "NCHW": [0, 2, 3]}.get(data_format, [0, 2, 3, 4])
    ones = [1] * (len(reduce_axis) - 1)
    if is_training:
        keepdims = channels_first
        if channels_first:
            scale = array_ops.reshape(scale, [1, array_ops.size(scale), *ones])
        mean_grad_y = math_ops.reduce_mean(grad_y, reduce_axis, keepdims=keepdims)
        mean_x = math_ops.reduce_mean(x, reduce_axis, keepdims=keepdims)
        var_x = math_ops.reduce_mean(
            math_ops.squared_difference(x, array_ops.stop_gradient(mean_x)), reduce_axis, keepdims=keepdims
        )
        grad_y_offset = grad_y - mean_grad_y
        x_offset = x - mean_x
        mean = math_ops.reduce_mean(grad_y * x_offset, axis=reduce_axis, keepdims=keepdims)
        grad_x = (
            scale
            * math_ops.rsqrt(var_x + epsilon)
            * (grad_y_offset - math_ops.reciprocal(var_x + epsilon) * mean * x_offset)
        )
        grad_scale = math_ops.rsqrt(var_x + epsilon) * math_ops.reduce_sum(
            grad_y * x_offset, axis=reduce_axis, keepdims=keepdims
        )
        if channels_first:
            grad_scale = array_ops.squeeze(grad_scale)
        grad_offset = math_ops.reduce_sum(grad_y, axis=reduce_axis)
        return math_ops.cast(grad_x, x_dtype), grad_scale, grad_offset
    if channels_first:
        shape = [1, array_ops.size(pop_mean), *ones]
        pop_mean = array_ops.reshape(pop_mean, shape)
        pop_var = array_ops.reshape(pop_var, shape)
        scale = array_ops.reshape(scale, shape)
    grad_offset = math_ops.reduce_sum(grad_y, axis=reduce_axis)
    var_rsqrt = math_ops.rsqrt(pop_var + epsilon)
    grad_scale = math_ops.reduce_sum(grad_y * (x - pop_mean) * var_rsqrt, axis=reduce_axis)
    grad_x = grad_y * scale * var_rsqrt
    return math_ops.cast(grad_x, x_dtype), grad_scale, grad_offset


def _fused_batch_norm_grad_grad(op, *grad):
    """TF's _FusedBatchNormGradGrad: differentiates ``_batch_norm_grad_graph`` (TF uses a
    GradientTape; in a graph that is gradients() over the rebuilt subgraph) with respect to
    y_backprop, x and scale, with this op's output gradients as the initial gradients."""
    grad_y, x, scale, pop_mean, pop_var = op.inputs[:5]
    outs = _batch_norm_grad_graph(
        grad_y,
        x,
        scale,
        pop_mean,
        pop_var,
        op.get_attr("epsilon"),
        str_attr(op, "data_format"),
        op.get_attr("is_training"),
    )
    grad_grad_y, grad_x, grad_scale = gradients(list(outs), [grad_y, x, scale], grad_ys=list(grad[:3]))
    return [grad_grad_y, grad_x, grad_scale, None, None] + [None] * (len(op.inputs) - 5)


for _op_type in ("FusedBatchNormGrad", "FusedBatchNormGradV2", "FusedBatchNormGradV3"):
    register_gradient(_op_type)(_fused_batch_norm_grad_grad)
