"""Specialization's convolution, batch-norm and pooling passes (what a CNN's step runs as, split from
runtime/specialize.py, whose ``specialize`` calls them): a convolution's input and filter gradients as one call,
Conv2D + bias / inference batch norm (+ residual add) (+ Relu) as one oneDNN call, a training batch norm's Relu
(and residual add) in its output pass and its gradient's ReluGrad in its gradient, a residual block's AddN +
ReluGrad and a MaxPool's gradient + ReluGrad as one pass each, MaxPools without the argmax no gradient reads,
and the filters and padded inputs the step's convolutions keep between calls."""

from __future__ import annotations

import torch

from torchmeta.dtypes import DType
from torchmeta.framework.graph import Operation, Tensor
from torchmeta.ops import conv_grad_ops, conv_ops, gradient_sum_native, math_ops, nn_ops, pool_ops, windows
from torchmeta.runtime.specialize_common import (
    FLOAT_TYPE_VALUES,
    Fusion,
    Specialization,
    item_positions,
    private_result,
    resolve_alias,
    runs_as_is,
    single_use,
    value_users,
)

# ---------------------------------------------------------------------------------------------
# Convolution gradients: TF's _Conv2DGrad builds a Conv2DBackpropInput and a Conv2DBackpropFilter side
# by side from one out_backprop (and _DepthwiseConv2dNativeGrad the depthwise pair); they run as one
# convolution_backward call, which reads out_backprop once for both gradients.

_CONV_BACKPROP_ATTRS = ("T", "strides", "padding", "explicit_paddings", "data_format", "dilations")


def _fusable_conv_op(op, spec) -> bool:
    return (
        op not in spec.fusions
        and op not in spec.absorbed
        and not op._control_inputs
        and op._outputs[0] not in spec.folded
        and op._outputs[0] not in spec.aliases
        and op._attrs["T"].type in (DType.float32.value, DType.float64.value)
    )


def _static_dims(spec, t):
    value = spec.folded.get(t)
    if value is None or not isinstance(value, torch.Tensor) or value.dim() != 1:
        return None
    return [int(v) for v in value.tolist()]


# input-gradient op -> (its filter-gradient op, the kernel computing both)
_CONV_BACKPROP_PAIRS = {
    "Conv2DBackpropInput": ("Conv2DBackpropFilter", conv_grad_ops.conv2d_backprop_input_and_filter),
    "DepthwiseConv2dNativeBackpropInput": (
        "DepthwiseConv2dNativeBackpropFilter",
        conv_grad_ops.depthwise_conv2d_backprop_input_and_filter,
    ),
}


def fuse_conv_backprop(items, ops, spec) -> None:
    """Records a ``conv2d_backprop_input_and_filter`` call for each Conv2DBackpropInput whose
    out_backprop also feeds a Conv2DBackpropFilter with the same attrs, of an input of the shape the
    first one's input_sizes give and a filter of the shape the second one's filter_sizes give. The call
    goes where the earlier of the two ran, when every input it needs is computed before that point."""
    position = None
    for grad_in in ops:
        pair = _CONV_BACKPROP_PAIRS.get(grad_in.type)
        if pair is None or not _fusable_conv_op(grad_in, spec):
            continue
        filter_type, kernel = pair
        sizes_t, filt, dy = grad_in._inputs
        for grad_f in dy._consumers:
            if grad_f.type != filter_type or grad_f._inputs[2] is not dy:
                continue
            if not _fusable_conv_op(grad_f, spec) or grad_f in spec.fusions:
                continue
            if any(grad_in._attrs.get(a) != grad_f._attrs.get(a) for a in _CONV_BACKPROP_ATTRS):
                continue
            x, filter_sizes_t, _ = grad_f._inputs
            input_sizes, filter_sizes = _static_dims(spec, sizes_t), _static_dims(spec, filter_sizes_t)
            if input_sizes is None or filter_sizes is None or len(input_sizes) != 4:
                continue
            if not x.shape.is_fully_defined() or x.shape.as_list() != input_sizes:
                continue
            if not filt.shape.is_fully_defined() or filt.shape.as_list() != filter_sizes:
                continue
            if position is None:
                position = item_positions(items)
            if grad_f not in position or grad_in not in position:
                continue
            first, second = sorted((grad_in, grad_f), key=position.__getitem__)
            start = position[first]
            if any(position.get(t._op, -1) >= start for t in (x, filt, dy)):
                continue
            _, _, kwargs = grad_in._info.bind(grad_in, lambda t, is_ref: None, lambda name: None)
            spec.fusions[first] = Fusion(
                kernel,
                [x, filt, dy],
                kwargs,
                outputs=[grad_in._outputs[0], grad_f._outputs[0]],
            )
            spec.absorbed.add(second)
            break


# ---------------------------------------------------------------------------------------------
# Conv2D + bias add (+ Relu): one oneDNN convolution with post-ops, as TF's grappler remapper fuses
# the chain into _FusedConv2D. The convolution's and the bias add's results must have no other use.

_CONV_BIAS_ADDS = ("BiasAdd", "AddV2", "Add")


def _channel_bias(add: Operation, conv_out: Tensor, data_format: str):
    """The bias ``add`` adds to every position of ``conv_out``'s channels, or None."""
    if len(add._inputs) != 2 or add._control_inputs:
        return None
    if add.type == "BiasAdd":
        if add._inputs[0] is not conv_out:
            return None
        fmt = add._attrs["data_format"].s.decode() if "data_format" in add._attrs else "NHWC"
        if (fmt or "NHWC") != data_format:
            return None
        bias = add._inputs[1]
    else:  # an AddV2 of a 1-D bias broadcasts along the last axis: the channels of NHWC only
        if data_format != "NHWC" or add._inputs[0] is add._inputs[1]:
            return None
        bias = add._inputs[1] if add._inputs[0] is conv_out else add._inputs[0]
    channels = conv_out.shape.as_list()[3 if data_format == "NHWC" else 1]
    if bias.dtype.base_dtype is not DType.float32 or bias.shape.as_list() != [channels]:
        return None
    return bias


_POINTWISE_CONVS = ("Conv2D", "DepthwiseConv2dNative")


def fuse_conv_pointwise(ops, spec, keep, op_set) -> None:
    """Records ``conv_ops.conv2d_bias_relu`` for each float32 Conv2D (or DepthwiseConv2dNative) whose result only feeds a channel
    bias add (whose result may only feed a Relu) or only a Relu, on the last op of the chain."""
    folded, aliases = spec.folded, spec.aliases

    def free(op):
        return (
            op not in spec.fusions
            and op not in spec.absorbed
            and not op._control_inputs
            and not any(t in folded or t in aliases for t in op._outputs)
        )

    def users(t):  # the ops of this subgraph that need t's value (shape-only users fold away)
        return [c for c in t._consumers if c in op_set and not all(o in folded for o in c._outputs)]

    def only_consumer(t, op):
        return users(t) == [op] and single_use(t, op, keep, op_set, folded)

    for conv in ops:
        if conv.type not in _POINTWISE_CONVS or not free(conv) or conv._attrs["T"].type != DType.float32.value:
            continue
        out = conv._outputs[0]
        if not out.shape.is_fully_defined() or out.shape.rank != 4:
            continue
        data_format = conv._attrs["data_format"].s.decode() or "NHWC"
        consumers = users(out)
        if len(consumers) != 1 or not free(consumers[0]) or not only_consumer(out, consumers[0]):
            continue
        chain, bias, other, last = [conv], None, None, consumers[0]
        if last.type in _CONV_BIAS_ADDS and _channel_bias(last, out, data_format) is not None:
            bias = _channel_bias(last, out, data_format)
            chain.append(last)
        elif last.type in _BATCH_NORMS and _inference_batch_norm(last, out, data_format, users):
            chain.append(last)
        cur = chain[-1]._outputs[0]
        after = users(cur)
        if len(after) == 1 and after[0].type in ("AddV2", "Add") and free(after[0]) and only_consumer(cur, after[0]):
            other = _residual(after[0], cur)
            if other is not None:
                chain.append(after[0])
                cur = after[0]._outputs[0]
                after = users(cur)
        if len(after) == 1 and after[0].type == "Relu" and free(after[0]) and only_consumer(cur, after[0]):
            chain.append(after[0])
        if len(chain) == 1:
            continue
        _, _, kwargs = conv._info.bind(conv, lambda t, is_ref: None, lambda name: None)
        kwargs["relu"] = chain[-1].type == "Relu"
        if conv.type == "DepthwiseConv2dNative":
            kwargs["depthwise"] = True
        tail = [other] if other is not None else []
        if chain[1].type in _BATCH_NORMS:
            bn = chain[1]
            kwargs["epsilon"] = bn._attrs["epsilon"].f if "epsilon" in bn._attrs else 1e-4
            inputs = [conv._inputs[0], conv._inputs[1], *bn._inputs[1:5], *tail]
            outputs = [chain[-1]._outputs[0]]  # of a batch norm, only y is used
            spec.fusions[chain[-1]] = Fusion(conv_ops.conv2d_batch_norm_relu, inputs, kwargs, outputs=outputs)
            spec.absorbed.update(chain[:-1])
            continue
        kernel = conv_ops.conv2d_bias_relu
        inputs = [conv._inputs[0], conv._inputs[1], bias, *tail]
        if bias is None:
            inputs = [conv._inputs[0], conv._inputs[1], *tail]
            if other is None:
                kwargs["bias"] = None
            else:
                kernel = conv_ops.conv2d_add_relu
        spec.fusions[chain[-1]] = Fusion(kernel, inputs, kwargs)
        spec.absorbed.update(chain[:-1])


def _residual(add: Operation, cur: Tensor):
    """The tensor ``add`` adds to ``cur`` element by element (same static shape, float32), or None."""
    if len(add._inputs) != 2 or add._control_inputs or add._inputs[0] is add._inputs[1]:
        return None
    other = add._inputs[1] if add._inputs[0] is cur else add._inputs[0]
    if other.dtype.base_dtype is not DType.float32 or not other.shape.is_fully_defined():
        return None
    return other if other.shape.as_list() == cur.shape.as_list() else None


_BATCH_NORMS = ("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")


def _inference_batch_norm(bn: Operation, conv_out: Tensor, data_format: str, users) -> bool:
    """Whether ``bn`` normalizes ``conv_out``'s channels with given statistics (is_training false, float32
    statistics of the channel count) and nothing uses its outputs but y."""
    if bn._inputs[0] is not conv_out or bn._control_inputs or bn._attrs["is_training"].b:
        return False
    fmt = bn._attrs["data_format"].s.decode() if "data_format" in bn._attrs else "NHWC"
    if (fmt or "NHWC") != data_format:
        return False
    factor = bn._attrs.get("exponential_avg_factor")
    if factor is not None and factor.f != 1.0:
        return False
    channels = conv_out.shape.as_list()[3 if data_format == "NHWC" else 1]
    for t in bn._inputs[1:5]:
        if t.dtype.base_dtype is not DType.float32 or t.shape.as_list() != [channels]:
            return False
    return all(not users(t) for t in bn._outputs[1:])


# ---------------------------------------------------------------------------------------------
# A Relu of a fresh float result that nothing else reads (a training-mode FusedBatchNorm's y, as TF's
# remapper fuses into _FusedBatchNormEx; a residual AddV2): the Relu runs in place on that result, one
# pass over memory already in cache instead of a second, freshly allocated tensor.

_BATCH_NORM_TYPES = ("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")


def fused_batch_norm_relu(x, scale, offset, mean, variance, *, version, **attrs):
    """A FusedBatchNorm ``version``'s outputs with Relu applied to y (in the native training kernel's
    output pass, or in place on y, the kernel's own new tensor). Not an op (specialization's)."""
    return nn_ops.fused_batch_norm_relu(version, x, scale, offset, mean, variance, **attrs)


def add_relu(x, y):
    """Relu(AddV2(x, y)), the Relu in place on the sum. Not an op (specialization's)."""
    return torch.relu_(torch.add(x, y))


def fused_batch_norm_add_relu(x, scale, offset, mean, variance, side, *, version, **attrs):
    """A FusedBatchNorm ``version``'s outputs with Relu(AddV2(y, side)) in place of y (a residual block's
    end: the native training kernel adds ``side`` in its output pass). Not an op (specialization's)."""
    return nn_ops.fused_batch_norm_add_relu(version, x, scale, offset, mean, variance, side, **attrs)


def fuse_relu_in_place(ops, spec, keep, op_set) -> None:
    """Records ``fused_batch_norm_relu`` (on the batch norm, which it replaces, with the Relu absorbed) or
    ``add_relu`` (on the Relu, the AddV2 absorbed) for each float Relu whose input is a FusedBatchNorm's y
    or a float AddV2/Add of two tensors of its dtype, read by nothing else."""
    folded, aliases = spec.folded, spec.aliases

    def free(op):
        return (
            op not in spec.fusions
            and op not in spec.absorbed
            and op._info is not None
            and not op._control_inputs
            and not any(t in folded or t in aliases for t in op._outputs)
        )

    position = {op: i for i, op in enumerate(ops)}
    for relu in ops:
        if relu.type != "Relu" or not free(relu) or relu._attrs["T"].type not in FLOAT_TYPE_VALUES:
            continue
        t = relu._inputs[0]
        producer = t._op
        if producer not in op_set or not free(producer) or not single_use(t, relu, keep, op_set, folded):
            continue
        if producer.type in _BATCH_NORM_TYPES and t is producer._outputs[0]:
            if producer._attrs["T"].type != relu._attrs["T"].type:
                continue
            _, _, kwargs = producer._info.bind(producer, lambda t, is_ref: None, lambda name: None)
            spec.fusions[producer] = Fusion(
                fused_batch_norm_relu,
                list(producer._inputs),
                {"version": producer.type, **kwargs},
                outputs=[relu._outputs[0], *producer._outputs[1:]],
            )
            spec.absorbed.add(relu)
        elif producer.type in ("AddV2", "Add") and len(producer._inputs) == 2:
            x, y = producer._inputs
            if x.dtype.base_dtype is not t.dtype.base_dtype or y.dtype.base_dtype is not t.dtype.base_dtype:
                continue
            if _fuse_batch_norm_add_relu(relu, producer, spec, keep, op_set, free, position):
                continue
            spec.fusions[relu] = Fusion(add_relu, [x, y], {})
            spec.absorbed.add(producer)


def _fuse_batch_norm_add_relu(relu, add, spec, keep, op_set, free, position) -> bool:
    """Records ``fused_batch_norm_add_relu`` on a FusedBatchNorm whose y only ``add`` reads, when the
    other addend has y's static shape and is computed before the batch norm (the call runs where the
    batch norm ran), with ``add`` and ``relu`` absorbed; whether it did."""
    for y, side in (add._inputs, add._inputs[::-1]):
        bn = y._op
        if bn.type not in _BATCH_NORM_TYPES or y is not bn._outputs[0] or bn not in op_set or not free(bn):
            continue
        if bn._attrs["T"].type != relu._attrs["T"].type or not single_use(y, add, keep, op_set, spec.folded):
            continue
        if not y.shape.is_fully_defined() or side.shape.as_list() != y.shape.as_list() or side is y:
            continue
        source = resolve_alias(side, spec)
        if source not in spec.folded and position.get(source._op, len(position)) >= position[bn]:
            continue
        _, _, kwargs = bn._info.bind(bn, lambda t, is_ref: None, lambda name: None)
        spec.fusions[bn] = Fusion(
            fused_batch_norm_add_relu,
            [*bn._inputs[:5], side],
            {"version": bn.type, **kwargs},
            outputs=[relu._outputs[0], *bn._outputs[1:]],
        )
        spec.absorbed.update((add, relu))
        return True
    return False


# ---------------------------------------------------------------------------------------------
# A ReluGrad whose only reader is a training FusedBatchNormGrad (TF's gradient of Relu(FusedBatchNorm),
# the _FusedBatchNormEx pattern): one call computes both, the native kernel reading the ReluGrad's inputs in
# its two passes instead of a ReluGrad result (writing over the incoming gradient where that is private).

_BATCH_NORM_GRAD_TYPES = ("FusedBatchNormGrad", "FusedBatchNormGradV2", "FusedBatchNormGradV3")


def fuse_relu_grad_batch_norm_grad(ops, spec: Specialization, keep, op_set, fed) -> None:
    """Records ``nn_ops.fused_batch_norm_grad_relu`` on each float32 channels-last training batch norm
    gradient whose y_backprop is a float32 ReluGrad that nothing else reads, with the ReluGrad absorbed."""
    for op in ops:
        if op.type not in _BATCH_NORM_GRAD_TYPES or op in spec.kernels or not runs_as_is(op, spec):
            continue
        if not op._attrs["is_training"].b or op._attrs["data_format"].s.decode().startswith("NC"):
            continue
        relu_grad = op._inputs[0]._op
        if relu_grad.type != "ReluGrad" or relu_grad not in op_set or relu_grad in spec.kernels:
            continue
        if relu_grad._control_inputs or not runs_as_is(relu_grad, spec):
            continue
        if relu_grad._attrs["T"].type != DType.float32.value or op._attrs["T"].type != DType.float32.value:
            continue
        if value_users(relu_grad._outputs[0], spec, op_set, keep) != [op]:
            continue
        gradients, features = relu_grad._inputs
        _, _, kwargs = op._info.bind(op, lambda t, is_ref: None, lambda name: None)
        kwargs["in_place"] = private_result(gradients, relu_grad, spec, op_set, keep, fed)
        spec.fusions[op] = Fusion(nn_ops.fused_batch_norm_grad_relu, [gradients, features, *op._inputs[1:5]], kwargs)
        spec.absorbed.add(relu_grad)


# op types whose kernels (and the fusions recorded on them) return a tensor object made in the run: a Conv2D
# input such an op computes is never a tensor that outlives the run (a fed tensor, a variable's value, a
# constant) and that could change outside torch's version counters between runs
_FRESH_ACTIVATIONS = {
    "Relu",
    "Relu6",
    "Elu",
    "Selu",
    "LeakyRelu",
    "FusedBatchNorm",
    "FusedBatchNormV2",
    "FusedBatchNormV3",
    "Conv2D",
    "DepthwiseConv2dNative",
    "MaxPool",
    "AvgPool",
    "BiasAdd",
    "AddV2",
    "Add",
}


def keep_filters(ops, spec: Specialization, fed: set) -> None:
    """Lets each conv + bias / batch norm (+ add) (+ Relu) fusion keep its filter folded and reordered between runs
    (``conv_ops._Folded``, the kernels' ``keep_filter``) where neither the filter nor a folded batch norm input is
    a fed tensor: a fed torch tensor may be refilled through a numpy view between runs without a version change,
    where variables and constants change only through torch. Likewise a training step's Conv2D (its kernel's
    ``conv2d_keeping_filter`` variant) and fused input + filter gradient keep one copy of such a filter in the
    layout oneDNN reads for the step (``conv_ops._oihw``)."""
    kernels = (conv_ops.conv2d_bias_relu, conv_ops.conv2d_add_relu, conv_ops.conv2d_batch_norm_relu)
    for fusion in spec.fusions.values():
        if fusion.kernel in kernels:
            params = fusion.inputs[1:6] if fusion.kernel is conv_ops.conv2d_batch_norm_relu else fusion.inputs[1:2]
            fusion.kwargs["keep_filter"] = not any(resolve_alias(t, spec) in fed for t in params)
        elif fusion.kernel is conv_grad_ops.conv2d_backprop_input_and_filter:
            # the training step's gradients read the filter copy its forward kept (conv_ops._oihw)
            fusion.kwargs["keep_filter"] = resolve_alias(fusion.inputs[1], spec) not in fed
    for op in ops:
        if op.type == "Conv2D" and resolve_alias(op._inputs[1], spec) not in fed:
            kernel = spec.kernels.get(op) if op in spec.kernels else (op._info and op._info.kernel)
            keeping = _KEEPING_FILTER.get(kernel)
            if keeping is not None and runs_as_is(op, spec):
                spec.kernels[op] = keeping


# a Conv2D's kernel -> the same kernel keeping its filter's oneDNN layout for the step's gradients (conv_ops._oihw)
_KEEPING_FILTER = {
    conv_ops.conv2d: conv_ops.conv2d_keeping_filter,
    conv_ops.conv2d_keeping_padded: conv_ops.conv2d_keeping_padded_and_filter,
}


def keep_padded_inputs(ops, spec: Specialization, op_set: set, fed: set, keep: set) -> None:
    """Has each Conv2D (or its conv + bias add / residual add + Relu fusion) whose input is an activation
    computed in the run (``_FRESH_ACTIVATIONS``) that a Conv2DBackpropFilter reads too, and whose padding is
    asymmetric, keep its padded copy of the input for the gradients (``conv_ops.conv2d_keeping_padded``, a
    fusion's ``keep_padded``): one copy where there were two or more; and where a batch norm + Relu fusion
    computes that input, none (``_pad_in_producer``)."""
    graded = set()
    for op in ops:
        if op.type == "Conv2DBackpropFilter" and op in op_set:
            graded.add(resolve_alias(op._inputs[0], spec))

    def keeps(input, filter, attrs) -> bool:
        source = resolve_alias(input, spec)
        if source not in graded or source in fed or source in spec.folded or source._op not in op_set:
            return False
        if (
            source._op.type not in _FRESH_ACTIVATIONS
            or source._op._info is None
            or source is not source._op._outputs[0]
        ):
            return False
        return _pads_asymmetrically(input.shape, filter.shape, **attrs)

    for op in ops:
        if op.type == "Conv2D" and op not in spec.kernels and runs_as_is(op, spec):
            _, _, attrs = op._info.bind(op, lambda t, is_ref: None, lambda name: None)
            if keeps(op._inputs[0], op._inputs[1], attrs):
                spec.kernels[op] = conv_ops.conv2d_keeping_padded
                _pad_in_producer(op, attrs, spec, op_set, keep)
    for fusion in spec.fusions.values():
        if fusion.kernel in (conv_ops.conv2d_bias_relu, conv_ops.conv2d_add_relu) and not fusion.kwargs.get(
            "depthwise"
        ):
            attrs = {
                k: fusion.kwargs[k] for k in ("strides", "padding", "explicit_paddings", "data_format", "dilations")
            }
            if keeps(fusion.inputs[0], fusion.inputs[1], attrs):
                fusion.kwargs["keep_padded"] = True


def _pad_in_producer(conv, attrs, spec: Specialization, op_set: set, keep: set) -> None:
    """Has the training batch norm + Relu fusion (``fused_batch_norm_relu``, ``fused_batch_norm_add_relu``) whose
    y the keeping-padded NHWC ``conv`` reads write y inside the zero border the convolution pads
    (``nn_ops._fused_batch_norm``'s ``padded_for``): the convolution then reads that tensor instead of making
    its padded copy (ResNet's stride-2 layers). Only where y is not fetched, its window is static, and every
    reader of y takes it as a view at no cost (``_reads_bordered``)."""
    window = _window(conv, conv._inputs[1], attrs)
    if window is None:
        return
    source = resolve_alias(conv._inputs[0], spec)
    for fusion in spec.fusions.values():
        if fusion.kernel in (fused_batch_norm_relu, fused_batch_norm_add_relu) and fusion.outputs[0] is source:
            break
    else:
        return
    if "padded_for" in fusion.kwargs or not fusion.kwargs.get("is_training"):
        return
    users = value_users(source, spec, op_set, keep)
    if users is not None and all(_reads_bordered(u, window, spec) for u in users):
        fusion.kwargs["padded_for"] = window


def _window(op, filter, attrs):
    """(window size, strides, padding, explicit_paddings, dilations) of an NHWC convolution (or filter gradient)
    ``op`` whose filter is ``filter`` (a tensor of the filter's static shape), None when not NHWC or not static."""
    if attrs["data_format"] != "NHWC" or filter.shape.rank != 4 or None in filter.shape.as_list()[:2]:
        return None
    k_hw = tuple(filter.shape.as_list()[:2])
    return k_hw, list(attrs["strides"]), attrs["padding"], list(attrs["explicit_paddings"]), list(attrs["dilations"])


def _reads_bordered(op, window, spec: Specialization) -> bool:
    """Whether ``op`` reads a bordered y (a view with a row stride) at no cost: a convolution or filter gradient
    with the bordering convolution's ``window`` (it takes the bordered tensor itself), a strided 1x1 one (it
    gathers its pixels anyway), or a ReluGrad that runs alone or with an AddN (strided rows; not one inside a
    native batch norm gradient, which reads contiguous features only). Others would copy y, or fall back."""
    if op.type == "ReluGrad":
        return op not in spec.absorbed
    if op.type not in ("Conv2D", "Conv2DBackpropFilter"):
        return False
    _, _, attrs = op._info.bind(op, lambda t, is_ref: None, lambda name: None)
    own = _window(op, op._inputs[1] if op.type == "Conv2D" else op._outputs[0], attrs)
    if own is None:
        return False
    k_hw, strides, padding, _, dilations = own
    return own == window or (
        k_hw == (1, 1) and strides[1:3] != [1, 1] and padding != "EXPLICIT" and dilations == [1] * 4
    )


def _pads_asymmetrically(x, f, strides, padding, explicit_paddings, data_format, dilations) -> bool:
    """Whether a convolution of an input of static shape ``x`` with a filter of static shape ``f`` pads more on
    one side than the other (torch needs a padded copy then), as far as the static shapes tell (unknown: it
    may)."""
    if len(strides) != 4 or len(dilations) != 4 or (padding == "EXPLICIT" and len(explicit_paddings) != 8):
        return False  # the kernel raises TF's error
    if x.rank != 4 or f.rank != 4:
        return True
    h, w, _ = windows.spatial_axes(data_format)
    pairs = windows.explicit_pairs(explicit_paddings, data_format, padding)
    for axis, k, (before, after) in zip((h, w), f.as_list()[:2], pairs):
        size = x.as_list()[axis]
        if size is None or k is None:
            return True
        _, low, high = windows.window_size(size, k, strides[axis], dilations[axis], padding, before, after)
        if low != high:
            return True
    return False


def add_n_relu_grad(a, b, features, *, in_place):
    """ReluGrad(AddN(a, b), features): a residual block's input gradient (its branches' gradients summed, then
    through the Relu that made the input) in one native pass where it applies (ops/gradient_sum_native.py),
    written over ``a`` when ``in_place`` (a fresh result only the AddN read); else the two kernels. Not an op
    (specialization's)."""
    out = gradient_sum_native.add_relu_grad(a, b, features, in_place)
    if out is not None:
        return out
    return nn_ops.relu_grad_(math_ops.add_n([a, b]), features)


def add_n_strided_relu_grad(compact, b, features, *, strides, in_place):
    """``add_n_relu_grad`` where the first term is the input gradient of a strided 1x1 convolution given as its
    strided pixels alone (``conv_grad_ops.conv2d_backprop_input_and_filter``'s ``compact_input_grad``): one native
    pass (``gradient_sum_native.add_strided_relu_grad``), written over ``b`` when ``in_place`` (a fresh result
    only the AddN read); else the zero-filled gradient is made and the two kernels run. Not an op
    (specialization's)."""
    out = gradient_sum_native.add_strided_relu_grad(compact, b, features, strides, in_place)
    if out is not None:
        return out
    a = conv_grad_ops.strided_input_grad(compact, b.shape, strides)
    return nn_ops.relu_grad_(math_ops.add_n([a, b]), features)


def _strided_pointwise_grads(t: Tensor, add: Operation, spec: Specialization, keep, op_set):
    """(the fused input + filter gradient's Fusion, (stride h, stride w)) where ``t`` is the input gradient of
    a ``conv_grad_ops.conv2d_backprop_input_and_filter`` fusion of a float32 NHWC 1x1 filter with a stride above 1,
    SAME or VALID, which only ``add`` reads (so it may come as its strided pixels alone); else None."""
    source = resolve_alias(t, spec)
    if value_users(source, spec, op_set, keep) != [add]:
        return None
    for fusion in spec.fusions.values():
        if fusion.kernel is conv_grad_ops.conv2d_backprop_input_and_filter and fusion.outputs[0] is source:
            break
    else:
        return None
    attrs = fusion.kwargs
    x, filt = fusion.inputs[0], fusion.inputs[1]
    strides = list(attrs["strides"])
    if attrs["data_format"] != "NHWC" or attrs["padding"] not in ("SAME", "VALID") or attrs["dilations"] != [1] * 4:
        return None
    if len(strides) != 4 or strides[0] != 1 or strides[3] != 1 or strides == [1] * 4:
        return None
    if x.dtype.base_dtype != DType.float32 or not filt.shape.is_fully_defined() or filt.shape.as_list()[:2] != [1, 1]:
        return None
    return fusion, (strides[1], strides[2])


def fuse_add_n_relu_grad(ops, spec: Specialization, keep, op_set, fed) -> None:
    """Records ``add_n_relu_grad`` (on the ReluGrad, the AddN absorbed) for each float32 ReluGrad whose
    gradients are a two-term AddN that nothing else reads (a ReluGrad that a batch norm gradient absorbed
    already is left to it); ``add_n_strided_relu_grad`` where the AddN's first term is a strided 1x1
    convolution's input gradient that nothing else reads, either term (``_strided_pointwise_grads``: a ResNet
    projection's),
    which its fused gradients then give as the strided pixels alone (no zero-filled tensor written and read)."""
    for op in ops:
        if op.type != "ReluGrad" or op in spec.kernels or not runs_as_is(op, spec):
            continue
        if op._attrs["T"].type != DType.float32.value:
            continue
        if not private_result(op._inputs[0], op, spec, op_set, keep, fed):
            continue
        add = resolve_alias(op._inputs[0], spec)._op
        if add.type != "AddN" or len(add._inputs) != 2 or not runs_as_is(add, spec) or add._control_inputs:
            continue
        a, b = add._inputs
        strided = _strided_pointwise_grads(a, add, spec, keep, op_set)
        if strided is None:  # the projection built after the other branch: its gradient is the second term
            strided = _strided_pointwise_grads(b, add, spec, keep, op_set)
            if strided is not None:
                a, b = b, a  # (a sum of two floats is the same bits in either order)
        if strided is not None and resolve_alias(b, spec) is not resolve_alias(a, spec):
            fusion, strides = strided
            fusion.kwargs["compact_input_grad"] = True
            in_place = private_result(b, add, spec, op_set, keep, fed)
            spec.fusions[op] = Fusion(
                add_n_strided_relu_grad, [a, b, op._inputs[1]], {"strides": strides, "in_place": in_place}
            )
            spec.absorbed.add(add)
            continue
        # written over a fresh a that only the AddN reads (and that is not b as well)
        in_place = private_result(a, add, spec, op_set, keep, fed)
        in_place = in_place and resolve_alias(b, spec) is not resolve_alias(a, spec)
        spec.fusions[op] = Fusion(add_n_relu_grad, [a, b, op._inputs[1]], {"in_place": in_place})
        spec.absorbed.add(add)


def fuse_max_pool_relu_grad(ops, spec: Specialization, keep, op_set, fed) -> None:
    """Records ``pool_ops.max_pool_grad_relu`` (on the ReluGrad, the MaxPoolGrad absorbed) for each float
    ReluGrad of a private MaxPoolGrad result (see ``private_result``) whose ``features`` are that
    MaxPoolGrad's ``orig_input``: a max-pool of a Relu's output, as TF's gradients of conv + Relu +
    max-pool have it. The pooled gradient goes through the Relu as it is written, not in a second pass."""
    for op in ops:
        if op.type != "ReluGrad" or not runs_as_is(op, spec) or op._attrs["T"].type not in FLOAT_TYPE_VALUES:
            continue
        if not private_result(op._inputs[0], op, spec, op_set, keep, fed):
            continue
        pool = resolve_alias(op._inputs[0], spec)._op
        if pool.type != "MaxPoolGrad" or not runs_as_is(pool, spec) or pool._control_inputs:
            continue
        if resolve_alias(pool._inputs[0], spec) is not resolve_alias(op._inputs[1], spec):
            continue
        _, _, kwargs = pool._info.bind(pool, lambda t, is_ref: None, lambda name: None)
        spec.fusions[op] = Fusion(pool_ops.max_pool_grad_relu, list(pool._inputs), kwargs)
        spec.absorbed.add(pool)


def max_pools_without_argmax(ops, spec: Specialization, keep, op_set) -> None:
    """Records ``pool_ops.max_pool_values`` for each MaxPool whose result no MaxPoolGrad of the step reads
    (inference, or a pool under stop_gradient): the argmax the forward otherwise keeps for that gradient
    is not computed. A fetched result keeps it (a later run may feed it to a gradient: only a speed matter)."""
    for op in ops:
        if op.type != "MaxPool" or op in spec.kernels or not runs_as_is(op, spec):
            continue
        users = value_users(op._outputs[0], spec, op_set, keep)
        if users is not None and not any(u.type.startswith("MaxPoolGrad") for u in users):
            spec.kernels[op] = pool_ops.max_pool_values
