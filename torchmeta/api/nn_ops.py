"""``tf.nn.*`` functions (TF1 signatures): activations, softmax, losses, convolution, pooling,
normalization, dropout and embeddings, building the nodes TF builds under TF's names.
"""

from __future__ import annotations

import numbers

import numpy as np

from torchmeta import dtypes, errors
from torchmeta.api import array_ops, clip_ops, math_ops
from torchmeta.api.deprecation import deprecated_argument_lookup
from torchmeta.api.math_ops import matmul, sigmoid, tanh
from torchmeta.api.partitioned_variables import PartitionedVariable
from torchmeta.api.random_ops import get_seed, random_uniform
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import tensor_util
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import Tensor, convert_to_tensor, name_scope
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.sparse_tensor import SparseTensor
from torchmeta.framework.tensor_shape import TensorShape, as_shape

__all__ = [
    "ctc_beam_search_decoder",
    "ctc_greedy_decoder",
    "dilation2d",
    "erosion2d",
    "relu",
    "relu6",
    "elu",
    "selu",
    "softplus",
    "softsign",
    "leaky_relu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "bias_add",
    "l2_loss",
    "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_v2",
    "sparse_softmax_cross_entropy_with_logits",
    "sigmoid_cross_entropy_with_logits",
    "weighted_cross_entropy_with_logits",
    "in_top_k",
    "top_k",
    "conv1d",
    "conv2d",
    "conv3d",
    "convolution",
    "atrous_conv2d",
    "with_space_to_batch",
    "conv2d_transpose",
    "conv3d_transpose",
    "separable_conv2d",
    "max_pool3d",
    "avg_pool3d",
    "depthwise_conv2d",
    "depthwise_conv2d_native",
    "max_pool",
    "avg_pool",
    "local_response_normalization",
    "lrn",
    "dropout",
    "dropout_v2",
    "moments",
    "batch_normalization",
    "fused_batch_norm",
    "l2_normalize",
    "embedding_lookup",
    "xw_plus_b",
]

_F32, _F16, _BF16 = dtypes.DType.float32, dtypes.DType.float16, dtypes.DType.bfloat16


# ---------------------------------------------------------------------------------------------
# Activations


def relu(features, name=None):
    """``tf.nn.relu``: max(features, 0)."""
    return raw_op("Relu", features=features, name=name)


def relu6(features, name=None):
    """``tf.nn.relu6``: min(max(features, 0), 6)."""
    with name_scope(name, "Relu6", [features]) as name:
        features = convert_to_tensor(features, name="features")
        return raw_op("Relu6", features=features, name=name)


def elu(features, name=None):
    """``tf.nn.elu``: exp(features) - 1 if < 0, else features."""
    return raw_op("Elu", features=features, name=name)


def selu(features, name=None):
    """``tf.nn.selu``: scale * elu(features) with alpha and scale of Klambauer et al."""
    return raw_op("Selu", features=features, name=name)


def softplus(features, name=None):
    """``tf.nn.softplus``: log(exp(features) + 1)."""
    return raw_op("Softplus", features=features, name=name)


def softsign(features, name=None):
    """``tf.nn.softsign``: features / (abs(features) + 1)."""
    return raw_op("Softsign", features=features, name=name)


def leaky_relu(features, alpha=0.2, name=None):
    """``tf.nn.leaky_relu``: features if > 0 else alpha * features (integers become float32)."""
    with name_scope(name, "LeakyRelu", [features, alpha]) as name:
        features = convert_to_tensor(features, name="features")
        if features.dtype.is_integer:
            features = math_ops.cast(features, _F32)
        if hasattr(alpha, "item"):
            alpha = alpha.item()
        return raw_op("LeakyRelu", features=features, alpha=alpha, name=name)


# ---------------------------------------------------------------------------------------------
# Softmax


def _swap_with_last(x, axis, rank, name=None):
    perm = list(range(rank))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    return array_ops.transpose(x, perm, name=name)


def _wrap_2d_function(op_type, logits, axis, name):
    """Applies a last-axis op along ``axis`` by transposing it to the end and back, as TF does."""
    logits = convert_to_tensor(logits)
    shape = logits.shape
    if axis == -1 or axis == (shape.rank or 0) - 1:
        return raw_op(op_type, logits=logits, name=name)
    if shape.rank is None:
        raise ValueError(f"{op_type} along axis {axis} needs the rank of logits to be known statically")
    if not -shape.rank <= axis < shape.rank:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"`dim` must be in the range [{-shape.rank}, {shape.rank}) where {shape.rank} is the number of "
            f"dimensions in the input. Received: dim={axis}",
        )
    axis %= shape.rank
    out = raw_op(op_type, logits=_swap_with_last(logits, axis, shape.rank))
    out = _swap_with_last(out, axis, shape.rank, name=name)
    out.set_shape(shape)
    return out


def softmax(logits, axis=None, name=None, dim=None):
    """``tf.nn.softmax``: exp(logits) / sum(exp(logits), axis); ``dim`` is TF1's name for ``axis``."""
    axis = deprecated_argument_lookup("axis", axis, "dim", dim)
    return _wrap_2d_function("Softmax", logits, -1 if axis is None else axis, name)


def log_softmax(logits, axis=None, name=None, dim=None):
    """``tf.nn.log_softmax``: logits - log(sum(exp(logits), axis))."""
    axis = deprecated_argument_lookup("axis", axis, "dim", dim)
    return _wrap_2d_function("LogSoftmax", logits, -1 if axis is None else axis, name)


# ---------------------------------------------------------------------------------------------
# Bias, l2 loss, xw_plus_b


def bias_add(value, bias, data_format=None, name=None):
    """``tf.nn.bias_add``: ``bias`` added along the channel axis (``N...C`` or ``NC...``).

    Raises:
      ValueError: for a ``data_format`` of neither form.
    """
    with name_scope(name, "BiasAdd", [value, bias]) as name:
        if data_format is not None:
            if data_format.startswith("NC"):
                data_format = "NCHW"
            elif data_format.startswith("N") and data_format.endswith("C"):
                data_format = "NHWC"
            else:
                raise ValueError(
                    f"`data_format` must be of the form `N...C` or `NC...`. Received: data_format={data_format}"
                )
        value = convert_to_tensor(value, name="input")
        bias = convert_to_tensor(bias, dtype=value.dtype.base_dtype, name="bias")
        return raw_op("BiasAdd", value=value, bias=bias, data_format=data_format, name=name)


def l2_loss(t, name=None):
    """``tf.nn.l2_loss``: sum(t ** 2) / 2."""
    return raw_op("L2Loss", t=t, name=name)


def xw_plus_b(x, weights, biases, name=None):
    """``tf.nn.xw_plus_b``: matmul(x, weights) + biases."""
    with name_scope(name, "xw_plus_b", [x, weights, biases]) as name:
        x = convert_to_tensor(x, name="x")
        weights = convert_to_tensor(weights, name="weights")
        biases = convert_to_tensor(biases, name="biases")
        return bias_add(matmul(x, weights), biases, name=name)


# ---------------------------------------------------------------------------------------------
# Cross entropies


def _ensure_xent_args(name, sentinel, labels, logits):
    if sentinel is not None:
        raise ValueError(f"Only call `{name}` with named arguments (labels=..., logits=..., ...)")
    if labels is None or logits is None:
        raise ValueError(
            f"Both `labels` and `logits` must be provided for {name}Received: labels={labels} and logits={logits}"
        )


def _flatten_outer_dims(logits):
    """Reshapes to [-1, last dim] as TF does (Rank, Shape, Sub, Slice, concat, Reshape)."""
    rank = array_ops.rank(logits)
    last_dim_size = array_ops.slice(array_ops.shape(logits), [math_ops.subtract(rank, 1)], [1])
    output = array_ops.reshape(logits, array_ops.concat([[-1], last_dim_size], 0))
    dims = logits.shape.as_tuple()
    if dims is not None and None not in dims[:-1]:
        product = 1
        for d in dims[:-1]:
            product *= d
        output.set_shape([product, dims[-1]])
    return output


def _move_axis_to_end(x, axis, rank):
    perm = [d for d in range(rank) if d != axis] + [axis]
    return array_ops.transpose(x, perm)


def softmax_cross_entropy_with_logits_v2(labels, logits, axis=None, name=None, dim=None):
    """``tf.nn.softmax_cross_entropy_with_logits_v2``: -sum(labels * log_softmax(logits), axis).

    Gradients flow into ``labels`` too. float16/bfloat16 logits are computed in float32.
    """
    axis = deprecated_argument_lookup("axis", axis, "dim", dim)
    if axis is None:
        axis = -1
    with name_scope(name, "softmax_cross_entropy_with_logits", [logits, labels]) as name:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        to_float32 = logits.dtype.base_dtype in (_F16, _BF16)
        precise_logits = math_ops.cast(logits, _F32) if to_float32 else logits
        labels = math_ops.cast(labels, precise_logits.dtype)
        input_rank = array_ops.rank(precise_logits)
        shape = logits.shape
        if axis != -1:
            if shape.rank is None:
                raise ValueError("softmax_cross_entropy_with_logits along a non-last axis needs a known rank")
            axis %= shape.rank
            precise_logits = _move_axis_to_end(precise_logits, axis, shape.rank)
            labels = _move_axis_to_end(labels, axis, shape.rank)
        input_shape = array_ops.shape(precise_logits)
        precise_logits = _flatten_outer_dims(precise_logits)
        labels = _flatten_outer_dims(labels)
        cost, _ = raw_op("SoftmaxCrossEntropyWithLogits", features=precise_logits, labels=labels, name=name)
        output_shape = array_ops.slice(input_shape, [0], [math_ops.subtract(input_rank, 1)])
        cost = array_ops.reshape(cost, output_shape)
        if shape.rank is not None:
            dims = shape.as_list()
            del dims[axis]
            cost.set_shape(dims)
        return math_ops.cast(cost, logits.dtype) if to_float32 else cost


def softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, dim=-1, name=None, axis=None):
    """``tf.nn.softmax_cross_entropy_with_logits`` (TF1, deprecated): no gradient into ``labels``.

    Arguments must be given by keyword (TF's ``_sentinel`` check).
    """
    dim = deprecated_argument_lookup("axis", axis, "dim", dim)
    _ensure_xent_args("softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    with name_scope(name, "softmax_cross_entropy_with_logits_sg", [logits, labels]) as name:
        labels = array_ops.stop_gradient(labels, name="labels_stop_gradient")
    return softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits, axis=dim, name=name)


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    """``tf.nn.sparse_softmax_cross_entropy_with_logits``: cross entropy with class-index ``labels``.

    ``labels`` has the shape of ``logits`` without its last axis. Rank-2 logits map to one op, as
    in TF; other ranks are flattened to rank 2 and back.

    Raises:
      ValueError: for scalar logits or statically mismatched shapes (TF's wording).
    """
    _ensure_xent_args("sparse_softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    with name_scope(name, "SparseSoftmaxCrossEntropyWithLogits", [labels, logits]):
        labels = convert_to_tensor(labels)
        logits = convert_to_tensor(logits)
        f16 = logits.dtype.base_dtype is _F16
        precise_logits = math_ops.cast(logits, _F32) if f16 else logits
        labels_static = labels.shape
        labels_shape = array_ops.shape(labels)
        logits_shape = logits.shape
        if logits_shape.rank == 0:
            raise ValueError(f"`logits` cannot be a scalar. Received logits={logits}`")
        if (
            logits_shape.rank is not None
            and labels_static.rank is not None
            and (labels_static.rank != logits_shape.rank - 1)
        ):
            raise ValueError(
                "`labels.shape.rank` must equal `logits.shape.rank - 1`. "
                f"Received: labels.shape={labels_static} of rank {labels_static.rank} and "
                f"logits.shape={logits_shape} of rank {logits_shape.rank}"
            )
        if (
            labels_static.is_fully_defined()
            and logits_shape.rank is not None
            and TensorShape(logits_shape.as_tuple()[:-1]).is_fully_defined()
            and labels_static.as_tuple() != logits_shape.as_tuple()[:-1]
        ):
            raise ValueError(
                "`labels.shape` must equal `logits.shape` except for the last dimension. "
                f"Received: labels.shape={labels_static} and logits.shape={logits_shape}"
            )
        if logits_shape.rank == 2:
            cost, _ = raw_op("SparseSoftmaxCrossEntropyWithLogits", features=precise_logits, labels=labels, name=name)
            return math_ops.cast(cost, _F16) if f16 else cost
        num_classes = array_ops.slice(array_ops.shape(logits), [math_ops.subtract(array_ops.rank(logits), 1)], [1])
        precise_logits = array_ops.reshape(precise_logits, array_ops.concat([[-1], num_classes], 0))
        flat_labels = array_ops.reshape(labels, [-1])
        cost, _ = raw_op("SparseSoftmaxCrossEntropyWithLogits", features=precise_logits, labels=flat_labels, name=name)
        cost = array_ops.reshape(cost, labels_shape)
        cost.set_shape(labels_static)
        return math_ops.cast(cost, _F16) if f16 else cost


def _check_same_shape(logits, labels):
    if not labels.shape.is_compatible_with(logits.shape):
        raise ValueError(
            f"`logits` and `labels` must have the same shape, received ({logits.shape} vs {labels.shape})."
        )


def sigmoid_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    """``tf.nn.sigmoid_cross_entropy_with_logits``: max(x, 0) - x * z + log(1 + exp(-abs(x)))."""
    _ensure_xent_args("sigmoid_cross_entropy_with_logits", _sentinel, labels, logits)
    with name_scope(name, "logistic_loss", [logits, labels]) as name:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        _check_same_shape(logits, labels)
        zeros = array_ops.zeros_like(logits, dtype=logits.dtype.base_dtype)
        cond = logits >= zeros
        relu_logits = array_ops.where(cond, logits, zeros)
        neg_abs_logits = array_ops.where(cond, -logits, logits)
        return math_ops.add(relu_logits - logits * labels, math_ops.log1p(math_ops.exp(neg_abs_logits)), name=name)


def weighted_cross_entropy_with_logits(labels=None, logits=None, pos_weight=None, name=None, targets=None):
    """``tf.nn.weighted_cross_entropy_with_logits``: sigmoid cross entropy with positives weighted
    by ``pos_weight``: (1 - z) * x + (1 + (q - 1) * z) * (log(1 + exp(-abs(x))) + max(-x, 0))."""
    labels = deprecated_argument_lookup("labels", labels, "targets", targets)
    with name_scope(name, "logistic_loss", [logits, labels]) as name:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        _check_same_shape(logits, labels)
        log_weight = 1 + (pos_weight - 1) * labels
        return math_ops.add(
            (1 - labels) * logits,
            log_weight * (math_ops.log1p(math_ops.exp(-math_ops.abs(logits))) + relu(-logits)),
            name=name,
        )


# ---------------------------------------------------------------------------------------------
# Top-k


def in_top_k(predictions, targets, k, name=None):
    """``tf.nn.in_top_k``: whether each target is among its row's ``k`` largest predictions (ties
    count: a target is in the top k when fewer than k predictions are strictly larger)."""
    with name_scope(name, "in_top_k"):
        return raw_op("InTopKV2", predictions=predictions, targets=targets, k=k, name=name)


def top_k(input, k=1, sorted=True, name=None, index_type=dtypes.DType.int32):
    """``tf.nn.top_k``: (values, indices) of the ``k`` largest entries of the last axis."""
    return tuple(raw_op("TopKV2", input=input, k=k, sorted=sorted, index_type=index_type, name=name))


# ---------------------------------------------------------------------------------------------
# Convolution and pooling


def get_sequence(value, n, channel_index, name):
    """TF's get_sequence: an int or 1/n/n+2-list expanded to n + 2 entries in data-format order."""
    if value is None:
        return [1] * (n + 2)
    if isinstance(value, int) or not hasattr(value, "__len__"):
        value = [value]
    value = list(value)
    if len(value) == n + 2:
        return value
    if len(value) == 1:
        value = value * n
    elif len(value) != n:
        raise ValueError(
            f"{name} should be of length 1, {n} or {n + 2}. Received: {name}={value} of length {len(value)}"
        )
    return [1, 1, *value] if channel_index == 1 else [1, *value, 1]


def convert_padding(padding, expected_length=4):
    """TF's convert_padding: a list of (before, after) pairs means EXPLICIT padding."""
    explicit = []
    if padding == "EXPLICIT":
        raise ValueError(
            "'EXPLICIT' is not a valid value for `padding`. To use explicit padding, `padding` must be a list."
        )
    if isinstance(padding, (list, tuple)):
        for i, pair in enumerate(padding):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise ValueError(
                    "When `padding` is a list, each element of `padding` must be a list/tuple of size 2. "
                    f"Received: padding={padding} with element at index {i}"
                )
            explicit.extend(pair)
        if len(padding) != expected_length:
            raise ValueError(
                f"When padding is a list, it must be of size {expected_length}. "
                f"Received: padding={padding} of size {len(padding)}"
            )
        padding = "EXPLICIT"
    return padding, explicit


def conv2d(
    input,
    filter=None,
    strides=None,
    padding=None,
    use_cudnn_on_gpu=True,
    data_format="NHWC",
    dilations=(1, 1, 1, 1),
    name=None,
    filters=None,
):
    """``tf.nn.conv2d``: NHWC (or NCHW) ``input`` convolved with an HWIO ``filter``.

    ``padding`` is "SAME", "VALID" or a list of (before, after) pairs per dimension.
    """
    filter = deprecated_argument_lookup("filters", filters, "filter", filter)
    padding, explicit = convert_padding(padding)
    if data_format is None:
        data_format = "NHWC"
    channel_index = 1 if data_format.startswith("NC") else 3
    strides = get_sequence(strides, 2, channel_index, "strides")
    dilations = get_sequence(dilations, 2, channel_index, "dilations")
    return raw_op(
        "Conv2D",
        input=input,
        filter=filter,
        strides=strides,
        padding=padding,
        use_cudnn_on_gpu=use_cudnn_on_gpu,
        explicit_paddings=explicit,
        data_format=data_format,
        dilations=dilations,
        name=name,
    )


def depthwise_conv2d_native(
    input,
    filter,
    strides,
    padding,
    data_format="NHWC",
    dilations=(1, 1, 1, 1),
    name=None,
):
    """``tf.nn.depthwise_conv2d_native``: one DepthwiseConv2dNative op."""
    padding, explicit = convert_padding(padding)
    return raw_op(
        "DepthwiseConv2dNative",
        input=input,
        filter=filter,
        strides=list(strides),
        padding=padding,
        explicit_paddings=explicit,
        data_format=data_format,
        dilations=list(dilations),
        name=name,
    )


def depthwise_conv2d(input, filter, strides, padding, rate=None, name=None, data_format=None, dilations=None):
    """``tf.nn.depthwise_conv2d``: per-channel convolution, ``filter`` [H, W, in, multiplier]; a
    dilation ``rate`` > 1 runs it between SpaceToBatchND and BatchToSpaceND, as TF builds it."""
    rate = deprecated_argument_lookup("dilations", dilations, "rate", rate)
    with name_scope(name, "depthwise", [input, filter]) as name:
        input = convert_to_tensor(input, name="tensor_in")
        filter = convert_to_tensor(filter, name="filter_in")
        if rate is None:
            rate = [1, 1]

        def op(input_converted, _, padding):
            return depthwise_conv2d_native(
                input=input_converted,
                filter=filter,
                strides=strides,
                padding=padding,
                data_format=data_format or "NHWC",
                name=name,
            )

        return with_space_to_batch(
            input=input, filter_shape=array_ops.shape(filter), dilation_rate=rate, padding=padding, op=op
        )


def conv1d(
    value=None,
    filters=None,
    stride=None,
    padding=None,
    use_cudnn_on_gpu=None,
    data_format=None,
    name=None,
    input=None,
    dilations=None,
):
    """``tf.nn.conv1d``: NWC (or NCW) ``value`` convolved with a WIO ``filters``, as a Conv2D over an
    inserted height of 1 (ExpandDims, Conv2D, Squeeze, as TF builds it).

    Raises:
      ValueError: for a ``data_format`` other than NWC/NHWC or NCW/NCHW.
    """
    value = deprecated_argument_lookup("input", input, "value", value)
    with name_scope(name, "conv1d", [value, filters]) as name:
        if data_format is None or data_format in ("NHWC", "NWC"):
            data_format, spatial_start_dim, channel_index = "NHWC", -3, 2
        elif data_format in ("NCHW", "NCW"):
            data_format, spatial_start_dim, channel_index = "NCHW", -2, 1
        else:
            raise ValueError(f"`data_format` must be 'NWC' or 'NCW'. Received: data_format={data_format}")
        strides = [1, *get_sequence(stride, 1, channel_index, "stride")]
        dilations = [1, *get_sequence(dilations, 1, channel_index, "dilations")]
        value = array_ops.expand_dims(value, spatial_start_dim)
        filters = array_ops.expand_dims(filters, 0)
        result = raw_op(
            "Conv2D",
            input=value,
            filter=filters,
            strides=strides,
            padding=padding,
            use_cudnn_on_gpu=use_cudnn_on_gpu,
            data_format=data_format,
            dilations=dilations,
            name=name,
        )
        return array_ops.squeeze(result, [spatial_start_dim])


def conv3d(
    input,
    filter=None,
    strides=None,
    padding=None,
    data_format="NDHWC",
    dilations=(1, 1, 1, 1, 1),
    name=None,
    filters=None,
):
    """``tf.nn.conv3d``: NDHWC (or NCDHW) ``input`` convolved with a DHWIO ``filter``."""
    filter = deprecated_argument_lookup("filters", filters, "filter", filter)
    return raw_op(
        "Conv3D",
        input=input,
        filter=filter,
        strides=list(strides),
        padding=padding,
        data_format=data_format or "NDHWC",
        dilations=list(dilations) if dilations is not None else [1, 1, 1, 1, 1],
        name=name,
    )


def convolution(
    input,
    filter=None,
    padding=None,
    strides=None,
    dilation_rate=None,
    name=None,
    data_format=None,
    filters=None,
    dilations=None,
):
    """``tf.nn.convolution``: an N-D convolution (N = 1, 2, 3 from the filter's rank).

    Dilated convolutions run an undilated one between SpaceToBatchND and BatchToSpaceND, as TF builds them.

    Raises:
      ValueError: when the number of spatial dims cannot be told or is not 1, 2 or 3.
    """
    filter = deprecated_argument_lookup("filters", filters, "filter", filter)
    dilations = deprecated_argument_lookup("dilations", dilations, "dilation_rate", dilation_rate)
    if not isinstance(filter, Tensor) and not hasattr(filter, "_as_graph_element"):
        with name_scope("convolution_internal", None, [filter, input]):
            filter = convert_to_tensor(filter, name="filters")
    if not isinstance(input, Tensor):
        with name_scope("convolution_internal", None, [filter, input]):
            input = convert_to_tensor(input, name="input")
    filters_rank = filter.shape.rank
    inputs_rank = input.shape.rank
    if filters_rank:
        n = filters_rank - 2
    elif inputs_rank:
        n = inputs_rank - 2
    else:
        raise ValueError(
            "When `num_spatial_dims` is not set, one of `input.shape.rank` or `filters.shape.rank` must be known. "
            f"Received: input.shape={input.shape} of rank {inputs_rank} and filters.shape={filter.shape} of rank "
            f"{filters_rank}"
        )
    if n not in (1, 2, 3):
        raise ValueError(f"`num_spatial_dims` must be 1, 2, or 3. Received: num_spatial_dims={n}.")
    num_batch_dims = inputs_rank - n - 1 if inputs_rank else 1
    channels_last = data_format is None or not data_format.startswith("NC")
    channel_index = num_batch_dims + n if channels_last else num_batch_dims
    dilations = get_sequence(dilations, n, channel_index, "dilations")
    strides = get_sequence(strides, n, channel_index, "strides")
    with name_scope(name, None if name else "convolution", [input, filter]) as name:
        if any(d != 1 for d in dilations):
            spatial = slice(2, None) if channel_index == 1 else slice(1, -1)
            return _dilated_convolution(
                input, filter, padding, strides[spatial], dilations[spatial], name, data_format, n
            )
        if n == 1:
            return conv1d(
                input, filter, strides, padding=padding, data_format=data_format, dilations=dilations, name=name
            )
        if n == 2:
            return conv2d(
                input,
                filter,
                strides,
                padding=padding,
                data_format=data_format or "NHWC",
                dilations=dilations,
                name=name,
            )
        return conv3d(
            input, filter, strides, padding=padding, data_format=data_format or "NDHWC", dilations=dilations, name=name
        )


# ---------------------------------------------------------------------------------------------
# Dilated ("atrous") convolutions: an undilated op between SpaceToBatchND and BatchToSpaceND (TF's
# with_space_to_batch, _WithSpaceToBatch, Convolution and _NonAtrousConvolution)


def _with_space_to_batch_base_paddings(filter_shape, num_spatial_dims, rate_or_const_rate):
    filter_spatial_shape = filter_shape[:num_spatial_dims]
    pad_extra_shape = (filter_spatial_shape - 1) * rate_or_const_rate
    pad_extra_start = pad_extra_shape // 2
    pad_extra_end = pad_extra_shape - pad_extra_start
    return array_ops.stack([[pad_extra_start[i], pad_extra_end[i]] for i in range(num_spatial_dims)])


def _with_space_to_batch_adjust(orig, fill_value, spatial_dims):
    """``orig`` ([len(spatial_dims), ...]) placed at rows ``spatial_dims - 1``, ``fill_value`` elsewhere."""
    fill_dims = orig.shape.as_list()[1:]
    dtype = orig.dtype.as_numpy_dtype
    parts = []
    const_orig = tensor_util.constant_value(orig)
    const_or_orig = const_orig if const_orig is not None else orig
    prev_spatial_dim = 0
    i = 0
    while i < len(spatial_dims):
        start_i = i
        start_spatial_dim = spatial_dims[i]
        if start_spatial_dim > 1:
            parts.append(np.full([start_spatial_dim - 1 - prev_spatial_dim, *fill_dims], fill_value, dtype=dtype))
        while i + 1 < len(spatial_dims) and spatial_dims[i + 1] == spatial_dims[i] + 1:
            i += 1
        parts.append(const_or_orig[start_i : i + 1])
        prev_spatial_dim = spatial_dims[i]
        i += 1
    if const_orig is not None:
        return np.concatenate(parts)
    return array_ops.concat(parts, 0)


def _space_to_batch_op(
    input_shape,
    dilation_rate,
    padding,
    build_op,
    filter_shape=None,
    spatial_dims=None,
    data_format=None,
    num_batch_dims=1,
):
    """TF's _WithSpaceToBatch: a function (input, filter) -> output. Builds the construction-time
    constants where TF does (dilation_rate, filter_shape, the base paddings)."""
    dilation_rate = convert_to_tensor(dilation_rate, dtypes.DType.int32, name="dilation_rate")
    if dilation_rate.shape.rank not in (None, 1):
        raise ValueError(
            f"`dilation_rate.shape.rank` must be 1. Received: dilation_rate={dilation_rate} of rank "
            f"{dilation_rate.shape.rank}"
        )
    if not dilation_rate.shape.is_fully_defined():
        raise ValueError(
            f"`dilation_rate.shape` must be fully defined. Received: dilation_rate={dilation_rate} with shape "
            f"{dilation_rate.shape}"
        )
    num_spatial_dims = dilation_rate.shape.as_tuple()[0]
    starting_spatial_dim = (
        num_batch_dims + 1 if data_format is not None and data_format.startswith("NC") else num_batch_dims
    )
    if spatial_dims is None:
        spatial_dims = range(starting_spatial_dim, num_spatial_dims + starting_spatial_dim)
    orig_spatial_dims = list(spatial_dims)
    spatial_dims = sorted({int(x) for x in orig_spatial_dims})
    if spatial_dims != orig_spatial_dims or any(x < 1 for x in spatial_dims):
        raise ValueError(
            "`spatial_dims` must be a monotonically increasing sequence of positive integers. Received: "
            f"spatial_dims={orig_spatial_dims}"
        )
    expected_input_rank = (
        spatial_dims[-1] if data_format is not None and data_format.startswith("NC") else spatial_dims[-1] + 1
    )
    if input_shape.rank is not None and input_shape.rank < expected_input_rank:
        raise ValueError(
            f"`input.shape.rank` must be at least {expected_input_rank}. Received: input.shape={input_shape} with "
            f"rank {input_shape.rank}"
        )
    const_rate = tensor_util.constant_value(dilation_rate)
    rate_or_const_rate = dilation_rate
    if const_rate is not None:
        rate_or_const_rate = const_rate
        if np.any(const_rate < 1):
            raise ValueError(f"`dilation_rate` must be positive. Received: dilation_rate={const_rate}")
        if np.all(const_rate == 1):
            return build_op(num_spatial_dims, padding)
    padding, explicit_paddings = convert_padding(padding)
    base_paddings = None
    if padding == "SAME":
        if filter_shape is None:
            raise ValueError(
                f"`filter_shape` must be specified for `padding='SAME'`. Received: filter_shape={filter_shape} and "
                f"padding={padding}"
            )
        filter_shape = convert_to_tensor(filter_shape, name="filter_shape")
        const_filter_shape = tensor_util.constant_value(filter_shape)
        if const_filter_shape is not None:
            base_paddings = _with_space_to_batch_base_paddings(const_filter_shape, num_spatial_dims, rate_or_const_rate)
    elif padding == "VALID":
        base_paddings = np.zeros([num_spatial_dims, 2], np.int32)
    elif padding == "EXPLICIT":
        explicit = np.array(explicit_paddings).reshape([num_spatial_dims + 2, 2])
        base_paddings = explicit[2:] if data_format is not None and data_format.startswith("NC") else explicit[1:-1]
    else:
        raise ValueError(f"`padding` must be one of 'SAME' or 'VALID'. Received: padding={padding}")
    op = build_op(num_spatial_dims, "VALID")

    def call(inp, filter):
        input_spatial_shape = None
        if input_shape.rank is not None:
            input_shape_list = input_shape.as_list()
            input_spatial_shape = [input_shape_list[i] for i in spatial_dims]
        if input_spatial_shape is None or None in input_spatial_shape:
            input_shape_tensor = array_ops.shape(inp)
            input_spatial_shape = array_ops.stack([input_shape_tensor[i] for i in spatial_dims])
        paddings_base = base_paddings
        if paddings_base is None:
            paddings_base = _with_space_to_batch_base_paddings(
                array_ops.shape(filter), num_spatial_dims, rate_or_const_rate
            )
        paddings, crops = array_ops.required_space_to_batch_paddings(
            input_shape=input_spatial_shape, base_paddings=paddings_base, block_shape=dilation_rate
        )
        block_shape = _with_space_to_batch_adjust(dilation_rate, 1, spatial_dims)
        paddings = _with_space_to_batch_adjust(paddings, 0, spatial_dims)
        crops = _with_space_to_batch_adjust(crops, 0, spatial_dims)
        input_converted = array_ops.space_to_batch_nd(input=inp, block_shape=block_shape, paddings=paddings)
        result = op(input_converted, filter)
        result_converted = array_ops.batch_to_space_nd(input=result, block_shape=block_shape, crops=crops)
        channels_first = data_format is not None and data_format.startswith("NC")
        if channels_first and result_converted.shape[1].value is None and filter is not None:
            output_shape = result_converted.shape.as_list()
            output_shape[1] = filter.shape[-1]
            result_converted.set_shape(output_shape)
        return result_converted

    return call


def with_space_to_batch(input, dilation_rate, padding, op, filter_shape=None, spatial_dims=None, data_format=None):
    """``tf.nn.with_space_to_batch``: ``op(converted_input, num_spatial_dims, padding)`` run on the input
    rearranged by SpaceToBatchND so that a dilated op becomes an undilated one (BatchToSpaceND after).

    Raises:
      ValueError: for a dilation rate that is not a known vector of positive ints, unusable spatial
        dims or padding (TF's messages).
    """
    input = convert_to_tensor(input, name="input")

    def build_op(num_spatial_dims, padding):
        return lambda inp, _: op(inp, num_spatial_dims, padding)

    call = _space_to_batch_op(
        input.shape,
        dilation_rate,
        padding,
        build_op,
        filter_shape=filter_shape,
        spatial_dims=spatial_dims,
        data_format=data_format,
    )
    return call(input, None)


def _non_atrous_convolution(input_shape, filter_shape, padding, data_format, strides, name, num_batch_dims):
    """TF's _NonAtrousConvolution: (input, filter) -> conv1d/conv2d/conv3d with ``strides`` (spatial only)."""
    if input_shape.rank is not None:
        filter_shape = filter_shape.with_rank(input_shape.rank - num_batch_dims + 1)
    if filter_shape.rank is not None:
        input_shape = input_shape.with_rank(filter_shape.rank + num_batch_dims - 1)
    if input_shape.rank is None:
        raise ValueError(f"Rank of convolution must be known. Received: input_shape={input_shape} of rank None")
    conv_dims = input_shape.rank - num_batch_dims - 1
    strides = [1] * conv_dims if strides is None else list(strides)
    if conv_dims == 1:
        fmt = data_format or "NWC"
        return lambda inp, filter: conv1d(
            value=inp, filters=filter, stride=strides[0], padding=padding, data_format=fmt, name=name
        )
    if conv_dims == 2:
        if data_format is None or data_format == "NHWC":
            fmt, full = "NHWC", [1, *strides, 1]
        else:
            fmt, full = "NCHW", [1, 1, *strides]
        return lambda inp, filter: conv2d(
            input=inp, filter=filter, strides=full, padding=padding, data_format=fmt, name=name
        )
    if data_format is None or data_format == "NDHWC":
        fmt, full = "NDHWC", [1, *strides, 1]
    else:
        fmt, full = "NCDHW", [1, 1, *strides]
    return lambda inp, filter: conv3d(inp, filter, full, padding=padding, data_format=fmt, name=name)


def _dilated_convolution(input, filter, padding, strides, dilations, name, data_format, num_spatial_dims):
    """TF's Convolution helper for dilation rates > 1 (``strides``/``dilations`` spatial only)."""
    filter_shape = as_shape(filter.shape)
    input_shape = as_shape(input.shape)
    num_batch_dims = input_shape.rank - num_spatial_dims - 1 if input_shape.rank is not None else 1
    if data_format is None or not data_format.startswith("NC"):
        spatial_dims = range(num_batch_dims, num_spatial_dims + num_batch_dims)
    else:
        spatial_dims = range(num_batch_dims + 1, num_spatial_dims + num_batch_dims + 1)
    strides = np.array(strides, dtype=np.int32)
    dilation_rate = np.array(dilations, dtype=np.int32)
    if np.any(strides > 1) and np.any(dilation_rate > 1):
        raise ValueError(
            "`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
            f"Received: strides={strides} and dilation_rate={dilation_rate}"
        )

    def build_op(_, op_padding):
        return _non_atrous_convolution(
            input_shape, filter_shape, op_padding, data_format, strides, name, num_batch_dims
        )

    call = _space_to_batch_op(
        input_shape,
        dilation_rate,
        padding,
        build_op,
        filter_shape=filter_shape,
        spatial_dims=spatial_dims,
        data_format=data_format,
        num_batch_dims=num_batch_dims,
    )
    return call(input, filter)


def atrous_conv2d(value, filters, rate, padding, name=None):
    """``tf.nn.atrous_conv2d``: a 2-D convolution with dilation ``rate`` in both spatial dims."""
    return convolution(
        input=value, filter=filters, padding=padding, dilation_rate=np.broadcast_to(rate, (2,)), name=name
    )


def conv2d_transpose(
    value=None,
    filter=None,
    output_shape=None,
    strides=None,
    padding="SAME",
    data_format="NHWC",
    name=None,
    input=None,
    filters=None,
    dilations=None,
):
    """``tf.nn.conv2d_transpose``: the gradient of conv2d with respect to its input (Conv2DBackpropInput)."""
    value = deprecated_argument_lookup("input", input, "value", value)
    filter = deprecated_argument_lookup("filters", filters, "filter", filter)
    with name_scope(name, "conv2d_transpose", [value, filter, output_shape]) as name:
        with name_scope(name, "conv2d_transpose", [value, filter, output_shape]) as name:
            if data_format is None:
                data_format = "NHWC"
            channel_index = 1 if data_format.startswith("NC") else 3
            strides = get_sequence(strides, 2, channel_index, "strides")
            dilations = get_sequence(dilations, 2, channel_index, "dilations")
            padding, explicit = convert_padding(padding)
            return raw_op(
                "Conv2DBackpropInput",
                input_sizes=output_shape,
                filter=filter,
                out_backprop=value,
                strides=strides,
                padding=padding,
                explicit_paddings=explicit,
                data_format=data_format,
                dilations=dilations,
                name=name,
            )


def conv3d_transpose(
    value=None,
    filter=None,
    output_shape=None,
    strides=None,
    padding="SAME",
    data_format="NDHWC",
    name=None,
    input=None,
    filters=None,
    dilations=None,
):
    """``tf.nn.conv3d_transpose``: the gradient of conv3d with respect to its input (Conv3DBackpropInputV2)."""
    value = deprecated_argument_lookup("input", input, "value", value)
    filter = deprecated_argument_lookup("filters", filters, "filter", filter)
    with name_scope(name, "conv3d_transpose", [value, filter, output_shape]) as name:
        if data_format is None:
            data_format = "NDHWC"
        channel_index = 1 if data_format.startswith("NC") else 4
        strides = get_sequence(strides, 3, channel_index, "strides")
        dilations = get_sequence(dilations, 3, channel_index, "dilations")
        return raw_op(
            "Conv3DBackpropInputV2",
            input_sizes=output_shape,
            filter=filter,
            out_backprop=value,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilations=dilations,
            name=name,
        )


def separable_conv2d(
    input, depthwise_filter, pointwise_filter, strides, padding, rate=None, name=None, data_format=None, dilations=None
):
    """``tf.nn.separable_conv2d``: a depthwise convolution, then a 1x1 convolution mixing channels.

    Raises:
      ValueError: for a pointwise filter that is not 1x1.
    """
    rate = deprecated_argument_lookup("dilations", dilations, "rate", rate)
    with name_scope(name, "separable_conv2d", [input, depthwise_filter, pointwise_filter]) as name:
        input = convert_to_tensor(input, name="tensor_in")
        depthwise_filter = convert_to_tensor(depthwise_filter, name="depthwise_filter")
        pointwise_filter = convert_to_tensor(pointwise_filter, name="pointwise_filter")
        pointwise_shape = pointwise_filter.shape.with_rank(4)
        for dim in pointwise_shape.as_tuple()[:2]:
            if dim not in (None, 1):
                raise ValueError(f"Dimensions {dim} and 1 are not compatible")
        if rate is None:
            rate = [1, 1]

        def op(input_converted, _, padding):
            return depthwise_conv2d_native(
                input=input_converted,
                filter=depthwise_filter,
                strides=strides,
                padding=padding,
                data_format=data_format or "NHWC",
                name="depthwise",
            )

        depthwise = with_space_to_batch(
            input=input, filter_shape=array_ops.shape(depthwise_filter), dilation_rate=rate, padding=padding, op=op
        )
        return conv2d(
            depthwise, pointwise_filter, [1, 1, 1, 1], padding="VALID", data_format=data_format or "NHWC", name=name
        )


def max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):
    """``tf.nn.max_pool3d``: max over windows of D, H and W."""
    with name_scope(name, "MaxPool3D", [input]) as name:
        data_format = data_format or "NDHWC"
        channel_index = 1 if data_format.startswith("NC") else 4
        ksize = get_sequence(ksize, 3, channel_index, "ksize")
        strides = get_sequence(strides, 3, channel_index, "strides")
        return raw_op(
            "MaxPool3D", input=input, ksize=ksize, strides=strides, padding=padding, data_format=data_format, name=name
        )


def avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):
    """``tf.nn.avg_pool3d``: mean over windows of D, H and W (SAME padding averages real elements only)."""
    with name_scope(name, "AvgPool3D", [input]) as name:
        data_format = data_format or "NDHWC"
        # TF's avg_pool3d takes channel index 3 here (a TF quirk; only ints and 5-lists reach it in practice).
        channel_index = 1 if data_format.startswith("NC") else 3
        ksize = get_sequence(ksize, 3, channel_index, "ksize")
        strides = get_sequence(strides, 3, channel_index, "strides")
        return raw_op(
            "AvgPool3D", input=input, ksize=ksize, strides=strides, padding=padding, data_format=data_format, name=name
        )


def max_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):
    """``tf.nn.max_pool``: max over windows of H and W (``padding`` may be a list of pairs)."""
    value = deprecated_argument_lookup("input", input, "value", value)
    with name_scope(name, "MaxPool", [value]) as name:
        if data_format is None:
            data_format = "NHWC"
        channel_index = 1 if data_format.startswith("NC") else 3
        ksize = get_sequence(ksize, 2, channel_index, "ksize")
        strides = get_sequence(strides, 2, channel_index, "strides")
        padding, explicit = convert_padding(padding)
        if any(v == 0 for v in ksize):
            raise ValueError(f"`ksize` cannot be zero. Received: ksize={ksize}")
        return raw_op(
            "MaxPool",
            input=value,
            ksize=ksize,
            strides=strides,
            padding=padding,
            explicit_paddings=explicit,
            data_format=data_format,
            name=name,
        )


def avg_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):
    """``tf.nn.avg_pool``: mean over windows of H and W; SAME padding averages real elements only."""
    with name_scope(name, "AvgPool", [value]) as name:
        value = deprecated_argument_lookup("input", input, "value", value)
        if data_format is None:
            data_format = "NHWC"
        channel_index = 1 if data_format.startswith("NC") else 3
        ksize = get_sequence(ksize, 2, channel_index, "ksize")
        strides = get_sequence(strides, 2, channel_index, "strides")
        return raw_op(
            "AvgPool", value=value, ksize=ksize, strides=strides, padding=padding, data_format=data_format, name=name
        )


def local_response_normalization(input, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, name=None):
    """``tf.nn.local_response_normalization`` (``tf.nn.lrn``): one LRN op over the last axis."""
    return raw_op("LRN", input=input, depth_radius=depth_radius, bias=bias, alpha=alpha, beta=beta, name=name)


lrn = local_response_normalization

# ---------------------------------------------------------------------------------------------
# Dropout


def _get_noise_shape(x, noise_shape):
    if noise_shape is None:
        return array_ops.shape(x)
    if isinstance(noise_shape, Tensor):
        return noise_shape
    try:
        noise = as_shape(noise_shape)
    except (TypeError, ValueError):
        return noise_shape
    if x.shape.rank is not None and noise.rank == x.shape.rank:
        return TensorShape([n if n is not None else d for d, n in zip(x.shape.as_tuple(), noise.as_tuple())])
    return noise_shape


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """``tf.nn.dropout``: zeroes each element with probability ``rate`` (= 1 - ``keep_prob``) and scales
    the rest by 1 / (1 - rate), with TF 2.x's graph (``x * scale``, ``RandomUniform >= rate``, SelectV2).

    Raises:
      ValueError: for non-float ``x``, a rate outside [0, 1), or neither/both of keep_prob and rate.
    """
    try:
        rate_from_keep_prob = 1.0 - keep_prob if keep_prob is not None else None
    except TypeError:
        raise ValueError(
            f"`keep_prob` must be a floating point number or Tensor. Received: keep_prob={keep_prob}"
        ) from None
    rate = deprecated_argument_lookup("rate", rate, "keep_prob", rate_from_keep_prob)
    if rate is None:
        raise ValueError(f"`rate` must be provided. Received: rate={rate}")
    return dropout_v2(x, rate, noise_shape=noise_shape, seed=seed, name=name)


def dropout_v2(x, rate, noise_shape=None, seed=None, name=None):
    """TF 2.x's ``tf.nn.dropout(x, rate)`` (what TF1's ``tf.nn.dropout`` builds in TF 2.21)."""
    with name_scope(name, "dropout", [x]) as name:
        is_rate_number = isinstance(rate, numbers.Real)
        if is_rate_number and (rate < 0 or rate >= 1):
            raise ValueError(f"`rate` must be a scalar tensor or a float in the range [0, 1). Received: rate={rate}")
        x = convert_to_tensor(x, name="x")
        x_dtype = x.dtype.base_dtype
        if not x_dtype.is_floating:
            raise ValueError(
                f"`x.dtype` must be a floating point tensor as `x` will be scaled. Received: x_dtype={x.dtype}"
            )
        if is_rate_number and rate == 0:
            get_seed(seed)  # TF draws the op seed even here, so later seeds stay the same
            return x
        if not isinstance(rate, Tensor):
            if not is_rate_number:
                raise ValueError(f"`rate` must be a scalar or scalar tensor. Received: rate={rate}")
            scale = convert_to_tensor(1 / (1 - rate), dtype=x_dtype)
            ret = raw_op("Mul", x=x, y=scale)
        else:
            rate.shape.assert_has_rank(0)
            if rate.dtype.base_dtype != x_dtype:
                if not rate.dtype.is_compatible_with(x_dtype):
                    raise ValueError(
                        "`x.dtype` must be compatible with `rate.dtype`. "
                        f"Received: x.dtype={x.dtype} and rate.dtype={rate.dtype}"
                    )
                rate = raw_op("Cast", x=rate, DstT=x_dtype, name="rate")
            one_tensor = constant(1, dtype=x_dtype)
            ret = raw_op("RealDiv", x=x, y=raw_op("Sub", x=one_tensor, y=rate))
        noise_shape = _get_noise_shape(x, noise_shape)
        random_tensor = random_uniform(shape=noise_shape, seed=seed, dtype=x_dtype)
        keep_mask = random_tensor >= rate
        zero_tensor = constant(0, dtype=x_dtype)
        ret = array_ops.where_v2(keep_mask, ret, zero_tensor)
        ret.set_shape(x.shape)
        return ret


# ---------------------------------------------------------------------------------------------
# Normalization


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    """``tf.nn.moments``: (mean, variance) over ``axes``; float16 input is reduced in float32."""
    keep_dims = deprecated_argument_lookup("keepdims", keepdims, "keep_dims", keep_dims)
    with name_scope(name, "moments", [x, axes]):
        x = convert_to_tensor(x)
        f16 = x.dtype.base_dtype is _F16
        y = math_ops.cast(x, _F32) if f16 else x
        mean = math_ops.reduce_mean(y, axes, keepdims=True, name="mean")
        variance = math_ops.reduce_mean(
            math_ops.squared_difference(y, array_ops.stop_gradient(mean)), axes, keepdims=True, name="variance"
        )
        if not keep_dims:
            mean = array_ops.squeeze(mean, axes)
            variance = array_ops.squeeze(variance, axes)
        if f16:
            return math_ops.cast(mean, _F16), math_ops.cast(variance, _F16)
        return mean, variance


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """``tf.nn.batch_normalization``: (x - mean) * scale / sqrt(variance + epsilon) + offset,
    built as TF builds it (``x * inv + (offset - mean * inv)``)."""
    with name_scope(name, "batchnorm", [x, mean, variance, scale, offset]):
        inv = math_ops.rsqrt(variance + variance_epsilon)
        if scale is not None:
            inv *= scale
        return x * math_ops.cast(inv, x.dtype) + math_ops.cast(
            offset - mean * inv if offset is not None else -mean * inv, x.dtype
        )


def fused_batch_norm(
    x,
    scale,
    offset,
    mean=None,
    variance=None,
    epsilon=0.001,
    data_format="NHWC",
    is_training=True,
    name=None,
    exponential_avg_factor=1.0,
):
    """``tf.nn.fused_batch_norm``: one FusedBatchNormV3 op; returns (y, mean, variance).

    Raises:
      ValueError: when ``mean``/``variance`` are missing but needed (inference, or a running average).
    """
    if (not is_training or exponential_avg_factor != 1.0) and (mean is None or variance is None):
        raise ValueError(
            "Both `mean` and `variance` must be a 1D tensor when `is_training` is False or "
            f"`exponential_avg_factor` != 1.0. Received: `mean` {mean!r} and `variance` {variance!r}"
        )
    x = convert_to_tensor(x, name="input")
    scale = convert_to_tensor(scale, name="scale")
    offset = convert_to_tensor(offset, name="offset")
    if mean is None:
        mean = constant([])
    if variance is None:
        variance = constant([])
    # cuDNN's minimum epsilon, which TF applies on every device.
    epsilon = max(epsilon, 1.001e-5)
    outs = raw_op(
        "FusedBatchNormV3",
        x=x,
        scale=scale,
        offset=offset,
        mean=mean,
        variance=variance,
        epsilon=epsilon,
        exponential_avg_factor=exponential_avg_factor,
        data_format=data_format,
        is_training=is_training,
        name=name,
    )
    return outs[0], outs[1], outs[2]


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """``tf.nn.l2_normalize``: x / sqrt(max(sum(x ** 2, axis), epsilon))."""
    axis = deprecated_argument_lookup("axis", axis, "dim", dim)
    with name_scope(name, "l2_normalize", [x]) as name:
        x = convert_to_tensor(x, name="x")
        square_sum = math_ops.reduce_sum(math_ops.square(x), axis, keepdims=True)
        x_inv_norm = math_ops.rsqrt(math_ops.maximum(square_sum, epsilon))
        return math_ops.multiply(x, x_inv_norm, name=name)


# ---------------------------------------------------------------------------------------------
# Embeddings


def _clip(params, ids, max_norm):
    """Rows of ``params`` rescaled to an L2 norm of at most ``max_norm`` (TF's embedding_ops._clip)."""
    if max_norm is None:
        return params
    ids_rank = convert_to_tensor(ids).shape.rank
    params_rank = convert_to_tensor(params).shape.rank
    if ids_rank and params_rank:
        axes = list(range(ids_rank, params_rank))
    else:
        axes = math_ops.range(
            ids_rank if ids_rank else array_ops.rank(ids), params_rank if params_rank else array_ops.rank(params)
        )
    return clip_ops.clip_by_norm(params, max_norm, axes=axes)


def embedding_lookup(params, ids, partition_strategy="mod", name=None, validate_indices=True, max_norm=None):
    """``tf.nn.embedding_lookup``: rows ``ids`` of ``params`` (a tensor, a list of shards or a
    PartitionedVariable), as TF builds it: one GatherV2 and an Identity for one tensor; for shards,
    DynamicPartition of the ids by shard ("mod": id % n, "div": contiguous ranges), a gather per
    shard and ParallelDynamicStitch. ``max_norm`` clips each looked-up row's L2 norm.

    Raises:
      ValueError: for no params or an unknown ``partition_strategy``.
    """
    if params is None:
        raise ValueError("params must be specified")
    if isinstance(params, (list, tuple)) and not params:
        raise ValueError("Length of params is currently 0. Need at least one param.")
    params = list(params) if isinstance(params, (list, tuple, PartitionedVariable)) else [params]
    with name_scope(name, "embedding_lookup", [*params, ids]) as name:
        n = len(params)
        if not any(getattr(p, "_is_resource", False) for p in params):
            params = [
                p if isinstance(p, Tensor) else convert_to_tensor(p, name=f"params_{i}") for i, p in enumerate(params)
            ]
        ids = convert_to_tensor(ids, name="ids")
        if n == 1:
            with graph_lib.colocate_with(params[0]):
                result = _clip(array_ops.gather(params[0], ids, name=name), ids, max_norm)
            return array_ops.identity(result)
        flat_ids = array_ops.reshape(ids, [-1])
        original_indices = math_ops.range(array_ops.size(flat_ids, out_type=dtypes.DType.int32))
        if partition_strategy == "mod":
            p_assignments = flat_ids % n
            new_ids = flat_ids // n
        elif partition_strategy == "div":
            dims = [p.shape.as_tuple()[0] if p.shape.rank else None for p in params]
            if all(d is not None for d in dims):
                num_total_ids = constant(sum(dims), flat_ids.dtype)
            else:
                sizes = []
                for p, d in zip(params, dims):
                    if d is not None:
                        sizes.append(d)
                    else:
                        with graph_lib.colocate_with(p):
                            sizes.append(array_ops.shape(p)[0])
                num_total_ids = math_ops.reduce_sum(math_ops.cast(array_ops.stack(sizes), flat_ids.dtype))
            ids_per_partition = num_total_ids // n
            extras = num_total_ids % n
            p_assignments = math_ops.maximum(
                flat_ids // (ids_per_partition + 1), (flat_ids - extras) // ids_per_partition
            )
            new_ids = array_ops.where(
                p_assignments < extras, flat_ids % (ids_per_partition + 1), (flat_ids - extras) % ids_per_partition
            )
        else:
            raise ValueError(
                f"Unrecognized partition strategy: {partition_strategy}.Must be one of either `mod` or `div`."
            )
        p_assignments = math_ops.cast(p_assignments, dtypes.DType.int32)
        gather_ids = array_ops.dynamic_partition(new_ids, p_assignments, n)
        pindices = array_ops.dynamic_partition(original_indices, p_assignments, n)
        partitioned_result = []
        for p in range(n):
            with graph_lib.device(None), graph_lib.colocate_with(params[p]):
                partitioned_result.append(array_ops.gather(params[p], gather_ids[p]))
        ret = array_ops.parallel_dynamic_stitch(pindices, partitioned_result, name=name)
        element_shape_s = params[0].shape[1:]
        for p in params[1:]:
            element_shape_s = element_shape_s.merge_with(p.shape[1:])
        if element_shape_s.is_fully_defined():
            element_shape_d = element_shape_s
        else:
            with graph_lib.colocate_with(params[0]):
                params_shape = array_ops.shape(params[0])
            element_shape_d = params_shape[1:]
        ret = array_ops.reshape(ret, array_ops.concat([array_ops.shape(ids), element_shape_d], 0))
        ret.set_shape(ids.shape.concatenate(element_shape_s))
        return _clip(ret, ids, max_norm)


def dilation2d(input, filter=None, strides=None, rates=None, padding=None, name=None, filters=None, dilations=None):
    """``tf.nn.dilation2d`` (TF1): grayscale morphological dilation, one Dilation2D op."""
    filter = filters if filter is None else filter
    rates = dilations if rates is None else rates
    return raw_op("Dilation2D", input=input, filter=filter, strides=strides, rates=rates, padding=padding, name=name)


def erosion2d(value, kernel, strides, rates, padding, name=None):
    """``tf.nn.erosion2d`` (TF1): erosion by duality, ``-dilation2d(-value, reverse(kernel, [0, 1]))``."""
    with name_scope(name, "erosion2d", [value, kernel]) as name:
        return math_ops.negative(
            raw_op(
                "Dilation2D",
                input=math_ops.negative(value),
                filter=array_ops.reverse_v2(kernel, [0, 1]),
                strides=strides,
                rates=rates,
                padding=padding,
                name=name,
            )
        )


def ctc_greedy_decoder(inputs, sequence_length, merge_repeated=True, blank_index=None):
    """``tf.nn.ctc_greedy_decoder``: ([SparseTensor of the best paths], minus the sum of their logits)."""
    decoded_ix, decoded_val, decoded_shape, log_probabilities = raw_op(
        "CTCGreedyDecoder",
        inputs=inputs,
        sequence_length=sequence_length,
        merge_repeated=merge_repeated,
        blank_index=-1 if blank_index is None else blank_index,
    )
    return [SparseTensor(decoded_ix, decoded_val, decoded_shape)], log_probabilities


def ctc_beam_search_decoder(inputs, sequence_length, beam_width=100, top_paths=1, merge_repeated=True):
    """``tf.nn.ctc_beam_search_decoder`` (TF1): ([a SparseTensor per path], their log probabilities)."""
    decoded_ixs, decoded_vals, decoded_shapes, log_probabilities = raw_op(
        "CTCBeamSearchDecoder",
        inputs=inputs,
        sequence_length=sequence_length,
        beam_width=beam_width,
        top_paths=top_paths,
        merge_repeated=merge_repeated,
    )
    return [
        SparseTensor(ix, val, shape) for ix, val, shape in zip(decoded_ixs, decoded_vals, decoded_shapes)
    ], log_probabilities
