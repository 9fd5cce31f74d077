"""Neural-network ops: activations, softmax, bias, losses, top-k and batch normalization.

Convolutions and pooling live in ``conv_ops.py``. TF lays images out NHWC by default and torch
NCHW; kernels that care permute inside (see the docstrings).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual torch idiom

from torchmeta import errors
from torchmeta.framework import tensor_util
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.ops import shapes
from torchmeta.ops.registry import register_op

# ---------------------------------------------------------------------------------------------
# Shape-function helpers with TF's wording (InferenceContext::WithRank, Merge, ...).


def _fmt(shape: TensorShape) -> str:
    dims = shape.as_tuple()
    if dims is None:
        return "?"
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def shape_error(op, message: str, computed: dict | None = None) -> ValueError:
    """A ValueError worded like TF's shape-inference errors.

    ``computed`` maps input indices to the static values the shape function read; TF lists them.
    """
    inputs = ", ".join(_fmt(t.shape) for t in op.inputs)
    if computed:
        values = ", ".join(
            f"input[{i}] = <{' '.join(str(v) for v in np.asarray(value).reshape(-1).tolist())}>"
            for i, value in sorted(computed.items())
        )
        inputs += f" and with computed input tensors: {values}"
    return ValueError(f"{message} for '{op.name}' (op: '{op.type}') with input shapes: {inputs}.")


def with_rank(op, i: int, rank: int) -> tuple:
    """Input ``i``'s dims, which must have ``rank`` dims (all unknown when its rank is unknown)."""
    dims = op.inputs[i].shape.as_tuple()
    if dims is None:
        return (None,) * rank
    if len(dims) != rank:
        raise shape_error(op, f"Shape must be rank {rank} but is rank {len(dims)}")
    return dims


def with_rank_at_least(op, i: int, rank: int):
    """Input ``i``'s dims (None for unknown rank), which must have at least ``rank`` dims."""
    dims = op.inputs[i].shape.as_tuple()
    if dims is not None and len(dims) < rank:
        raise shape_error(op, f"Shape must be at least rank {rank} but is rank {len(dims)}")
    return dims


def merge_dim(op, a, b):
    """The merged value of two dims (int or None); raises like TF when both are known and differ."""
    if a is None:
        return b
    if b is not None and a != b:
        raise shape_error(op, f"Dimensions must be equal, but are {a} and {b}")
    return a


def scalar_dim(op, i: int):
    """The non-negative static value of scalar input ``i`` used as a dimension, or None."""
    with_rank(op, i, 0)
    value = tensor_util.constant_value(op.inputs[i])
    if value is None:
        return None
    value = int(value)
    if value < 0:
        raise shape_error(
            op, f"Dimension size, given by scalar input {i}, must be non-negative but is {value}", {i: value}
        )
    return value


def str_attr(op, name: str) -> str:
    """A string attr as str (``Operation.get_attr`` gives bytes, like TF)."""
    return op.get_attr(name).decode()


def _shape_str(t) -> str:
    return "[" + ",".join(str(d) for d in t.shape) + "]"


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


_FLOAT_TYPES = "T: {half, bfloat16, float, double}"
_REAL_TYPES = "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}"
_BIAS_TYPES = (
    "T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, "
    "quint16, uint16, complex128, half, uint32, uint64}"
)
# Unsigned dtypes torch has no clamp kernels for; ReLU is the identity on them.
_WIDE_UNSIGNED = (torch.uint16, torch.uint32, torch.uint64)

# ---------------------------------------------------------------------------------------------
# Activations


@register_op(
    "Relu",
    inputs=["features: T"],
    outputs=["activations: T"],
    attrs=[_REAL_TYPES[:-1] + ", qint8}"],
    shape=shapes.unchanged,
)
def relu(features):
    if features.dtype in _WIDE_UNSIGNED:
        return features.clone()
    return torch.relu(features)


@register_op("Relu6", inputs=["features: T"], outputs=["activations: T"], attrs=[_REAL_TYPES], shape=shapes.unchanged)
def relu6(features):
    """min(max(x, 0), 6); NaN stays NaN as in TF."""
    return torch.clamp(features, 0, 6)


@register_op("Elu", inputs=["features: T"], outputs=["activations: T"], attrs=[_FLOAT_TYPES], shape=shapes.unchanged)
def elu(features):
    return F.elu(features)


@register_op("Selu", inputs=["features: T"], outputs=["activations: T"], attrs=[_FLOAT_TYPES], shape=shapes.unchanged)
def selu(features):
    return torch.selu(features)


@register_op(
    "Softplus", inputs=["features: T"], outputs=["activations: T"], attrs=[_FLOAT_TYPES], shape=shapes.unchanged
)
def softplus(features):
    """log(1 + exp(x)); TF switches to x / exp(x) at log(eps) + 2, torch at 20: equal within rounding."""
    return F.softplus(features)


@register_op(
    "Softsign", inputs=["features: T"], outputs=["activations: T"], attrs=[_FLOAT_TYPES], shape=shapes.unchanged
)
def softsign(features):
    return F.softsign(features)


@register_op(
    "LeakyRelu",
    inputs=["features: T"],
    outputs=["activations: T"],
    attrs=["alpha: float = 0.20000000298023224", "T: {half, bfloat16, float, double} = DT_FLOAT"],
    shape=shapes.unchanged,
)
def leaky_relu(features, alpha):
    return F.leaky_relu(features, alpha)


# ---------------------------------------------------------------------------------------------
# Softmax


def _softmax_shape(op):
    with_rank_at_least(op, 0, 1)
    return [op.inputs[0].shape]


def _check_softmax_rank(logits):
    if logits.dim() < 1:
        raise _invalid(f"logits must have >= 1 dimension, got {_shape_str(logits)}")


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


# ---------------------------------------------------------------------------------------------
# BiasAdd


def _bias_add_shape(op, nchw: bool):
    dims = with_rank_at_least(op, 0, 3 if nchw else 2)
    (bias_dim,) = with_rank(op, 1, 1)
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
        raise _invalid(f"Input tensor must be at least 2D: {_shape_str(value)}")
    if bias.dim() != 1:
        raise _invalid(f"Biases must be 1D: {_shape_str(bias)}")
    if value.shape[axis] != bias.shape[0]:
        raise _invalid(
            "Must provide as many biases as the last dimension of the input tensor: "
            f"{_shape_str(bias)} vs. {_shape_str(value)}"
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


# ---------------------------------------------------------------------------------------------
# Losses


@register_op("L2Loss", inputs=["t: T"], outputs=["output: T"], attrs=[_FLOAT_TYPES], shape=shapes.scalar)
def l2_loss(t):
    """sum(t ** 2) / 2."""
    return torch.sum(torch.square(t)) * 0.5


def _xent_shape(op):
    features, labels = op.inputs[0].shape, op.inputs[1].shape
    f = features.as_tuple()
    if f is None or len(f) == 2:
        merged = TensorShape(f if f is not None else (None, None))
        if labels.rank is None or labels.is_compatible_with(merged):
            merged = merged.merge_with(labels)
            return [TensorShape([merged.as_tuple()[0]]), merged]
    shape = shapes.broadcast_shapes(features, labels, op)
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
            raise _invalid(
                "logits and labels must be broadcastable: "
                f"logits_size={_shape_str(features)} labels_size={_shape_str(labels)}"
            ) from None
        features, labels = torch.broadcast_tensors(features, labels)
    else:
        shape = features.shape
    if len(shape) != 2:
        raise _invalid("logits and labels must be either 2-dimensional, or broadcasted to be 2-dimensional")
    log_p = torch.log_softmax(features, -1)
    loss = -torch.sum(labels * log_p, -1)
    return loss, torch.exp(log_p) - labels


def _sparse_xent_shape(op):
    batch, classes = with_rank(op, 0, 2)
    (labels_batch,) = with_rank(op, 1, 1)
    batch = merge_dim(op, batch, labels_batch)
    return [TensorShape([batch]), TensorShape([batch, classes])]


def _summarize(t) -> str:
    return " ".join(str(v) for v in t.reshape(-1).tolist())


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
        raise _invalid(f"logits must be 2-D, but got shape {_shape_str(features)}")
    if labels.dim() != 1:
        raise _invalid(f"labels must be 1-D, but got shape {_shape_str(labels)}")
    batch, classes = features.shape
    if batch != labels.shape[0]:
        raise _invalid(
            "logits and labels must have the same first dimension, got logits shape "
            f"{_shape_str(features)} and labels shape {_shape_str(labels)}"
        )
    if classes == 0:
        raise _invalid(f"Must have at least one class, but got logits shape {_shape_str(features)}")
    on_cpu = labels.device.type == "cpu"
    if on_cpu and batch > 0:
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0 or hi >= classes:
            raise _invalid(
                f"Received a label value of {lo if lo < 0 else hi} which is outside the valid range of "
                f"[0, {classes}).  Label values: {_summarize(labels)}"
            )
    index = labels.long()
    if not on_cpu:
        bad = (index < 0) | (index >= classes)
        index = index.clamp(0, classes - 1)
    log_p = torch.log_softmax(features, -1)
    loss = -log_p.gather(1, index.unsqueeze(1)).squeeze(1)
    backprop = torch.exp(log_p) - F.one_hot(index, classes).to(log_p.dtype)
    if not on_cpu:
        nan = torch.tensor(float("nan"), dtype=log_p.dtype, device=log_p.device)
        loss = torch.where(bad, nan, loss)
        backprop = torch.where(bad.unsqueeze(1), nan, backprop)
    return loss, backprop


# ---------------------------------------------------------------------------------------------
# InTopK, TopK


def _in_top_k_shape(op):
    batch, _ = with_rank(op, 0, 2)
    (targets,) = with_rank(op, 1, 1)
    if len(op.inputs) > 2:
        with_rank(op, 2, 0)
    return [TensorShape([merge_dim(op, batch, targets)])]


def _in_top_k(predictions, targets, k):
    if predictions.dim() != 2:
        raise _invalid("predictions must be 2-dimensional")
    if targets.dim() != 1:
        raise _invalid("targets must be 1-dimensional")
    batch, classes = predictions.shape
    if batch != targets.shape[0]:
        raise _invalid(f"First dimension of predictions {batch} must match length of targets {targets.shape[0]}")
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
        raise _invalid(f"k must be 0-D, got shape {_shape_str(k)}")
    return _in_top_k(predictions, targets, k)


def _top_k_shape_for(op, k, computed=None):
    dims = with_rank_at_least(op, 0, 1)
    if dims is None:
        return [unknown_shape()] * 2
    last = dims[-1]
    if k is not None and last is not None and last < k:
        raise shape_error(op, f"input must have last dimension >= k = {k} but is {last}", computed)
    out = TensorShape((*dims[:-1], k))
    return [out, out]


def _top_k_v2_shape(op):
    k = scalar_dim(op, 1)
    return _top_k_shape_for(op, k, None if k is None else {1: k})


def _top_k_shape(op):
    return _top_k_shape_for(op, op.get_attr("k"))


def _top_k(input, k, index_dtype):
    if k < 0:
        raise _invalid(f"Need k >= 0, got {k}")
    if input.dim() < 1:
        raise _invalid(f"input must be >= 1-D, got shape {_shape_str(input)}")
    if input.shape[-1] < k:
        raise _invalid(f"input must have at least k columns. Had {input.shape[-1]}, needed {k}")
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
        raise _invalid(f"k must be scalar, got shape {_shape_str(k)}")
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


# ---------------------------------------------------------------------------------------------
# LRN


def _lrn_shape(op):
    with_rank(op, 0, 4)
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
        raise _invalid("in must be 4-dimensional")
    x = input.float() if input.dtype in (torch.float16, torch.bfloat16) else input
    squares = F.pad(torch.square(x), (depth_radius, depth_radius))
    window = squares.unfold(-1, 2 * depth_radius + 1, 1).sum(-1)
    return (x / torch.pow(bias + alpha * window, beta)).to(input.dtype)


# ---------------------------------------------------------------------------------------------
# FusedBatchNorm


def _fused_batch_norm_shape(op):
    fmt = str_attr(op, "data_format")
    rank = 5 if fmt in ("NDHWC", "NCDHW") else 4
    dims = list(with_rank(op, 0, rank))
    axis = 1 if fmt.startswith("NC") else rank - 1
    is_training = op.get_attr("is_training")
    factor = op.get_attr("exponential_avg_factor")
    n_check = 3 if is_training and factor == 1.0 else 5
    channels = dims[axis]
    for i in range(1, n_check):
        (d,) = with_rank(op, i, 1)
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


def _fused_batch_norm(x, scale, offset, mean, variance, epsilon, exponential_avg_factor, data_format, is_training):
    rank = x.dim()
    want = 5 if data_format in ("NDHWC", "NCDHW") else 4
    if rank != want:
        raise _invalid(f"input must be {want}-dimensional{_shape_str(x)}")
    axis = 1 if data_format.startswith("NC") else rank - 1
    channels = x.shape[axis]
    for name, t in (("scale", scale), ("offset", offset)):
        if t.numel() != channels:
            raise _invalid(
                f"{name} must have the same number of elements as the channels of x, got {t.numel()} and {channels}"
            )
    shape = [1] * rank
    shape[axis] = channels
    compute = scale.dtype
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
    if _onednn_layout(x):
        reserve = torch.empty(0, dtype=scale.dtype, device=x.device)
    else:
        reserve = torch.zeros((), dtype=scale.dtype, device=x.device)
    return (*outs, reserve)
