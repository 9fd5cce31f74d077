"""Fake quantization (FakeQuantWithMinMaxArgs/Vars/VarsPerChannel and their *Gradient ops): TF's
``fake_quant_ops_functor.h`` in float32 step for step (Nudge's scale, inverse scale and rounded zero point,
the clamp, the floor), its kernels' checks and ``array_ops.py``'s gradients.
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta.api import fake_quant_ops
from torchmeta.framework import common_shapes
from torchmeta.framework.common_shapes import format_dims, merge_dim, with_rank, with_rank_at_least
from torchmeta.framework.registry import not_differentiable, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid

f32 = np.float32
_QUANT_ATTRS = ["num_bits: int = 8", "narrow_range: bool = false"]


def _format_float(v: float) -> str:
    """C++ stream formatting of a float (6 significant digits)."""
    return f"{float(v):g}"


def _check_num_bits(num_bits):
    if not 2 <= num_bits <= 16:
        raise invalid("num_bits must be between 2 and 16, inclusive")


def _quant_range(num_bits, narrow_range):
    return (1 if narrow_range else 0), (1 << num_bits) - 1


def _nudge(min_val, max_val, quant_min, quant_max):
    """TF's Nudge in float32: (nudged_min, nudged_max, scale, inv_scale)."""
    qmin, qmax = f32(quant_min), f32(quant_max)
    mn, mx = f32(min_val), f32(max_val)
    with np.errstate(all="ignore"):
        scale = f32((mx - mn) / (qmax - qmin))
        inv_scale = f32((qmax - qmin) / (mx - mn))
        zero_point_from_min = f32(qmin - mn / scale)
    if zero_point_from_min < qmin:
        nudged_zero_point = quant_min
    elif zero_point_from_min > qmax:
        nudged_zero_point = quant_max
    else:
        nudged_zero_point = int(np.floor(float(zero_point_from_min) + 0.5))  # std::round of a value >= quant_min >= 0
    zp = f32(nudged_zero_point)
    return f32((qmin - zp) * scale), f32((qmax - zp) * scale), scale, inv_scale


def _fake_quant(x, min_val, max_val, quant_min, quant_max, divide: bool):
    """One channel of the functor: ``floor(shifted * inv_scale - quant_zero + 0.5) * scale`` (``/ scale`` for Vars)."""
    if min_val == 0.0 and max_val == 0.0:
        return torch.zeros_like(x)
    nudged_min, nudged_max, scale, inv_scale = _nudge(min_val, max_val, quant_min, quant_max)
    quant_zero = f32(np.floor(f32(f32(-nudged_min) * inv_scale) + f32(0.5)))
    clamped = torch.clamp(torch.clamp(x, max=float(nudged_max)), min=float(nudged_min))
    shifted = clamped - torch.tensor(nudged_min, dtype=x.dtype)
    scaled = (
        shifted / torch.tensor(scale, dtype=x.dtype) if divide else shifted * torch.tensor(inv_scale, dtype=x.dtype)
    )
    return torch.floor(scaled - torch.tensor(quant_zero, dtype=x.dtype) + 0.5) * torch.tensor(scale, dtype=x.dtype)


def _between(x, min_val, max_val, quant_min, quant_max):
    nudged_min, nudged_max, _, _ = _nudge(min_val, max_val, quant_min, quant_max)
    return (x >= float(nudged_min)) & (x <= float(nudged_max)), x < float(nudged_min), x > float(nudged_max)


# ---------------------------------------------------------------------------------------------
# Shape functions


def _vars_shape(op):
    with_rank(op, op.inputs[1].shape, 0)
    with_rank(op, op.inputs[2].shape, 0)
    return [op.inputs[0].shape]


def _vars_gradient_shape(op):
    inputs = common_shapes.merge_shapes(op, op.inputs[0].shape, op.inputs[1].shape)
    with_rank(op, op.inputs[2].shape, 0)
    with_rank(op, op.inputs[3].shape, 0)
    return [inputs, TensorShape([]), TensorShape([])]


def _per_channel_shape(op):
    x = with_rank_at_least(op, op.inputs[0].shape, 1)
    mn = with_rank(op, op.inputs[1].shape, 1).as_tuple()
    mx = with_rank(op, op.inputs[2].shape, 1).as_tuple()
    depth = None if x.rank is None else x.as_tuple()[-1]
    merge_dim(op, depth, mn[0])
    merge_dim(op, depth, mx[0])
    return [x]


def _per_channel_gradient_shape(op):
    x = with_rank_at_least(op, op.inputs[1].shape, 1)
    x = common_shapes.merge_shapes(op, op.inputs[0].shape, x)
    depth = None if x.rank is None else x.as_tuple()[-1]
    min_max = with_rank(op, op.inputs[2].shape, 1)
    min_max = common_shapes.merge_shapes(op, with_rank(op, op.inputs[3].shape, 1), min_max)
    depth = merge_dim(op, depth, min_max.as_tuple()[0])
    return [x, TensorShape([depth]), TensorShape([depth])]


# ---------------------------------------------------------------------------------------------
# Kernels


def _check_args(min, max, num_bits):
    if not min < max:
        raise invalid(f"min has to be smaller than max, was: {_format_float(min)} >= {_format_float(max)}")
    _check_num_bits(num_bits)


_ARGS_ATTRS = ["min: float = -6.0", "max: float = 6.0", *_QUANT_ATTRS]


@register_op(
    "FakeQuantWithMinMaxArgs",
    inputs=["inputs: float"],
    outputs=["outputs: float"],
    attrs=_ARGS_ATTRS,
    shape=common_shapes.unchanged,
)
def fake_quant_with_min_max_args(inputs, min, max, num_bits, narrow_range):
    _check_args(min, max, num_bits)
    return _fake_quant(inputs, min, max, *_quant_range(num_bits, narrow_range), divide=False)


@register_op(
    "FakeQuantWithMinMaxArgsGradient",
    inputs=["gradients: float", "inputs: float"],
    outputs=["backprops: float"],
    attrs=_ARGS_ATTRS,
    shape=common_shapes.unchanged,
)
def fake_quant_with_min_max_args_gradient(gradients, inputs, min, max, num_bits, narrow_range, node_name):
    """TF checks only at run time that the two inputs agree (BinaryElementwiseOp's message)."""
    _check_args(min, max, num_bits)
    if gradients.shape != inputs.shape:
        raise invalid(
            f"Inputs to operation {node_name} of type FakeQuantWithMinMaxArgsGradient must have the same size and "
            f"shape.  Input 0: {format_dims(gradients.shape)} != input 1: {format_dims(inputs.shape)}"
        )
    between, _, _ = _between(inputs, min, max, *_quant_range(num_bits, narrow_range))
    return gradients * between.to(gradients.dtype)


def _scalar_range(min, max):
    if min.dim() != 0:
        raise invalid(f"`min` must be rank 0 but is rank {min.dim()}")
    if max.dim() != 0:
        raise invalid(f"`max` must be rank 0 but is rank {max.dim()}")
    return float(min), float(max)  # TF does not check min <= max here


@register_op(
    "FakeQuantWithMinMaxVars",
    inputs=["inputs: float", "min: float", "max: float"],
    outputs=["outputs: float"],
    attrs=_QUANT_ATTRS,
    shape=_vars_shape,
)
def fake_quant_with_min_max_vars(inputs, min, max, num_bits, narrow_range):
    _check_num_bits(num_bits)
    mn, mx = _scalar_range(min, max)
    return _fake_quant(inputs, mn, mx, *_quant_range(num_bits, narrow_range), divide=True)


@register_op(
    "FakeQuantWithMinMaxVarsGradient",
    inputs=["gradients: float", "inputs: float", "min: float", "max: float"],
    outputs=["backprops_wrt_input: float", "backprop_wrt_min: float", "backprop_wrt_max: float"],
    attrs=_QUANT_ATTRS,
    shape=_vars_gradient_shape,
)
def fake_quant_with_min_max_vars_gradient(gradients, inputs, min, max, num_bits, narrow_range):
    _check_num_bits(num_bits)
    if gradients.shape != inputs.shape:
        raise invalid("gradient and input must be the same size")
    mn, mx = _scalar_range(min, max)
    if mn == 0.0 and mx == 0.0:
        zero = gradients.new_zeros(())
        return gradients.clone(), zero, zero.clone()
    between, below, above = _between(inputs, mn, mx, *_quant_range(num_bits, narrow_range))
    return (
        gradients * between.to(gradients.dtype),
        (gradients * below.to(gradients.dtype)).sum(),
        (gradients * above.to(gradients.dtype)).sum(),
    )


def _channel_ranges(inputs, min, max):
    depth = inputs.shape[-1] if inputs.dim() else None
    if inputs.dim() < 1:
        raise invalid(f"inputs must be at least rank 1 but is rank {inputs.dim()}")
    for name, t in (("min", min), ("max", max)):
        if t.dim() != 1:
            raise invalid(f"{name} must be rank 1 but is rank {t.dim()}")
        if t.shape[0] != depth:
            raise invalid(f"{name} has incorrect size, expected {depth} was {t.shape[0]}")
    return [(float(a), float(b)) for a, b in zip(min.tolist(), max.tolist())]


@register_op(
    "FakeQuantWithMinMaxVarsPerChannel",
    inputs=["inputs: float", "min: float", "max: float"],
    outputs=["outputs: float"],
    attrs=_QUANT_ATTRS,
    shape=_per_channel_shape,
)
def fake_quant_with_min_max_vars_per_channel(inputs, min, max, num_bits, narrow_range):
    _check_num_bits(num_bits)
    ranges = _channel_ranges(inputs, min, max)
    q = _quant_range(num_bits, narrow_range)
    if not ranges:
        return inputs.clone()
    return torch.stack([_fake_quant(inputs[..., i], a, b, *q, divide=False) for i, (a, b) in enumerate(ranges)], -1)


@register_op(
    "FakeQuantWithMinMaxVarsPerChannelGradient",
    inputs=["gradients: float", "inputs: float", "min: float", "max: float"],
    outputs=["backprops_wrt_input: float", "backprop_wrt_min: float", "backprop_wrt_max: float"],
    attrs=_QUANT_ATTRS,
    shape=_per_channel_gradient_shape,
)
def fake_quant_with_min_max_vars_per_channel_gradient(gradients, inputs, min, max, num_bits, narrow_range):
    _check_num_bits(num_bits)
    if gradients.shape != inputs.shape:
        raise invalid("gradient and input must be the same size")
    ranges = _channel_ranges(inputs, min, max)
    q = _quant_range(num_bits, narrow_range)
    wrt_input, wrt_min, wrt_max = [], [], []
    for i, (a, b) in enumerate(ranges):
        g, x = gradients[..., i], inputs[..., i]
        if a == 0.0 and b == 0.0:
            wrt_input.append(g)
            wrt_min.append(g.new_zeros(()))
            wrt_max.append(g.new_zeros(()))
            continue
        between, below, above = _between(x, a, b, *q)
        wrt_input.append(g * between.to(g.dtype))
        wrt_min.append((g * below.to(g.dtype)).sum())
        wrt_max.append((g * above.to(g.dtype)).sum())
    if not ranges:
        empty = gradients.new_zeros((0,))
        return gradients.clone(), empty, empty.clone()
    return torch.stack(wrt_input, -1), torch.stack(wrt_min), torch.stack(wrt_max)


# ---------------------------------------------------------------------------------------------
# Gradients (TF's array_ops.py)


@register_gradient("FakeQuantWithMinMaxArgs")
def _fake_quant_with_min_max_args_grad(op, grad):
    return fake_quant_ops.fake_quant_with_min_max_args_gradient(
        grad,
        op.inputs[0],
        min=op.get_attr("min"),
        max=op.get_attr("max"),
        num_bits=op.get_attr("num_bits"),
        narrow_range=op.get_attr("narrow_range"),
    )


@register_gradient("FakeQuantWithMinMaxVars")
def _fake_quant_with_min_max_vars_grad(op, grad):
    return fake_quant_ops.fake_quant_with_min_max_vars_gradient(
        grad,
        op.inputs[0],
        op.inputs[1],
        op.inputs[2],
        num_bits=op.get_attr("num_bits"),
        narrow_range=op.get_attr("narrow_range"),
    )


@register_gradient("FakeQuantWithMinMaxVarsPerChannel")
def _fake_quant_with_min_max_vars_per_channel_grad(op, grad):
    return fake_quant_ops.fake_quant_with_min_max_vars_per_channel_gradient(
        grad,
        op.inputs[0],
        op.inputs[1],
        op.inputs[2],
        num_bits=op.get_attr("num_bits"),
        narrow_range=op.get_attr("narrow_range"),
    )


not_differentiable(
    "FakeQuantWithMinMaxArgsGradient", "FakeQuantWithMinMaxVarsGradient", "FakeQuantWithMinMaxVarsPerChannelGradient"
)
