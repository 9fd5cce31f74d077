"""Fake quantization (FakeQuantWithMinMaxArgs/Vars/VarsPerChannel and their *Gradient ops): TF's
``fake_quant_ops_functor.h`` in float32 step for step (Nudge's scale, inverse scale and rounded zero point,
the clamp, the floor), its kernels' checks and ``array_ops.py``'s gradients; and real quantization, QuantizeV2 and
Dequantize (MIN_COMBINED, MIN_FIRST and SCALED modes, both round modes, narrow_range, per-axis ranges) with every
constant rounded to float32 where TF's kernels round it.
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta import errors
from torchmeta.api import fake_quant_ops
from torchmeta.dtypes import DType
from torchmeta.framework import common_shapes
from torchmeta.framework.common_shapes import format_dims, merge_dim, with_rank, with_rank_at_least
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.array_layout_ops import concat_shape_of
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


# ---------------------------------------------------------------------------------------------
# QuantizeV2 / Dequantize: float <-> quantized integers (quantize_op.cc, dequantize_op.cc,
# quantization_utils.h), every constant in float32 as TF's kernels compute it.

_QUANTIZED = "T: {qint8, quint8, qint32, qint16, quint16}"
_MODES = "mode: {'MIN_COMBINED', 'MIN_FIRST', 'SCALED'} = \"MIN_COMBINED\""
_LIMITS = {
    DType.qint8: (-128, 127),
    DType.quint8: (0, 255),
    DType.qint16: (-32768, 32767),
    DType.quint16: (0, 65535),
    DType.qint32: (-(2**31), 2**31 - 1),
}
_BITS = {DType.qint8: 8, DType.quint8: 8, DType.qint16: 16, DType.quint16: 16, DType.qint32: 32}


def _minmax_shape(op, output_shape):
    """QuantizeV2's / Dequantize's shape function: min and max scalars, or vectors as long as input's ``axis``."""
    axis = op.get_attr("axis")
    if axis < -1:
        raise common_shapes.shape_error(op, f"axis should be at least -1, got {axis}")
    rank = 0 if axis == -1 else 1
    minmax = with_rank(op, op.inputs[1].shape, rank)
    minmax = with_rank(op, op.inputs[2].shape, rank)
    if axis != -1:
        shape = with_rank_at_least(op, op.inputs[0].shape, axis + 1)
        depth = shape.as_tuple()[axis] if shape.rank is not None else None
        merge_dim(op, minmax.as_tuple()[0] if minmax.rank is not None else None, depth)
    return output_shape, minmax


def _quantize_v2_shape(op):
    _, minmax = _minmax_shape(op, None)
    return [op.inputs[0].shape, minmax, minmax]


def _round_half_away(x):
    """std::round in float32: halves away from zero (x - trunc(x) is exact)."""
    whole = torch.trunc(x)
    return torch.where((x - whole).abs() >= 0.5, whole + torch.sign(x), whole)


def _std_round(v):
    """std::round of a float32 scalar (halves away from zero)."""
    whole = np.trunc(v)
    return f32(whole + np.sign(v) if abs(v - whole) >= 0.5 else whole)


def _adjusted_range(input_min, input_max, ensure_minimum_range):
    """QuantizeV2's range in float32: min through 0, max at least min + a minimum width, through 0."""
    if input_max < input_min:
        raise invalid("input_max_range must be larger than input_min_range.")
    min_range = min(f32(0), input_min)
    epsilon = max(f32(1), max(abs(input_min), abs(input_max))) * f32(ensure_minimum_range)
    max_range = max(f32(0), max(input_max, f32(min_range + epsilon)))
    return f32(min_range), f32(max_range)


def _quantize_slice(x, input_min, input_max, T, mode, round_mode, narrow_range, ensure_minimum_range):
    """QuantizeSlice (MIN_COMBINED / SCALED) on float32 ``x``: (quantized values as int64, min, max)."""
    low, high = _LIMITS[T]
    min_range, max_range = _adjusted_range(input_min, input_max, ensure_minimum_range)
    if mode == "MIN_COMBINED":
        scale = f32(np.float64(high - low) / np.float64(f32(max_range - min_range)))
        shifted = (x.clamp_max(float(max_range)).clamp_min(float(min_range)) - float(min_range)) * float(scale)
        if low < 0:
            half_range = f32((float(high) - float(low) + 1) / 2.0)
            return _round_half_away(shifted - float(half_range)), min_range, max_range
        return torch.trunc(shifted + 0.5), min_range, max_range
    min_output = low + (1 if narrow_range else 0)
    with np.errstate(divide="ignore"):
        from_min = f32(f32(min_output) / min_range) if min_output * min_range > 0 else np.finfo(f32).max
        from_max = f32(f32(high) / max_range) if high * max_range > 0 else np.finfo(f32).max
    scale = min(from_min, from_max)
    min_range, max_range = f32(f32(min_output) / scale), f32(f32(high) / scale)
    scaled = x.clamp_max(float(max_range)).clamp_min(float(min_range)) * float(scale)
    rounded = torch.round(scaled) if round_mode == "HALF_TO_EVEN" else _round_half_away(scaled)
    return rounded, min_range, max_range


def _quantize_min_first(x, min_range, max_range, T):
    """FloatTensorToQuantizedInPlaceUsingEigen (QUANTIZE_WITH_EIGEN): x is not clamped, the result is. quint8 takes
    TF's gemmlowp "meta" path instead: x * s - min * s in float32, s = 255 / (max - min), rounded half to even
    (measured against TF 2.21 on 10,000 values, ties included). When grappler folds a QuantizeV2 of a constant,
    TF takes the Eigen formula for quint8 too (one code apart at some values); this is the run-time result."""
    if T is DType.quint8:
        s = f32(f32(255.0) / f32(max_range - min_range))
        return torch.round(x * float(s) + float(f32(-min_range * s))).clamp(0, 255)
    return _quantize_with_eigen(x, min_range, max_range, T)


def _quantize_with_eigen(x, min_range, max_range, T):
    """QUANTIZE_WITH_EIGEN with FloatToQuantizedStruct's float32 constants."""
    low, high = _LIMITS[T]
    steps = 2.0 ** _BITS[T]
    scale = f32(0.0 if max_range == min_range else (steps - 1.0) / np.float64(f32(max_range - min_range)))
    min_scaled = _std_round(f32(min_range * scale))
    offset = f32(min_scaled - f32(low))
    lower, upper = max(f32(low), f32(-2.147483648e09)), min(f32(high), f32(2.147483520e09))
    return (_round_half_away(x * float(scale)) - float(offset)).clamp(float(lower), float(upper))


@register_op(
    "QuantizeV2",
    inputs=["input: float", "min_range: float", "max_range: float"],
    outputs=["output: T", "output_min: float", "output_max: float"],
    attrs=[
        _QUANTIZED,
        _MODES,
        "round_mode: {'HALF_AWAY_FROM_ZERO', 'HALF_TO_EVEN'} = \"HALF_AWAY_FROM_ZERO\"",
        "narrow_range: bool = false",
        "axis: int = -1",
        "ensure_minimum_range: float = 0.01",
    ],
    shape=_quantize_v2_shape,
)
def quantize_v2(input, min_range, max_range, T, mode, round_mode, narrow_range, axis, ensure_minimum_range):
    """Per tensor (axis -1) or per slice along ``axis``: MIN_COMBINED maps [min, max] onto the type's range,
    MIN_FIRST rounds min onto the grid first, SCALED scales symmetrically around 0."""
    if round_mode == "HALF_TO_EVEN" and mode != "SCALED":
        raise invalid(f"Round mode 'HALF_TO_EVEN' only supported for mode 'SCALED', but mode is '{mode}'.")
    out_dtype = T.torch
    x = input.to(torch.float32)
    mins = min_range.reshape(-1).cpu().numpy().astype(f32)
    maxs = max_range.reshape(-1).cpu().numpy().astype(f32)
    num_slices = input.shape[axis] if axis > -1 else 1
    if num_slices == 1:
        if mode == "MIN_FIRST":
            lo, hi = _adjusted_range(mins[0], maxs[0], ensure_minimum_range)
            values = _quantize_min_first(x, lo, hi, T)
        else:
            values, lo, hi = _quantize_slice(
                x, mins[0], maxs[0], T, mode, round_mode, narrow_range, ensure_minimum_range
            )
        out_min, out_max = torch.tensor(float(lo)), torch.tensor(float(hi))
        return values.to(torch.int64).to(out_dtype), out_min, out_max
    if mode == "MIN_FIRST":
        raise errors.UnimplementedError(None, None, "MIN_FIRST mode is not implemented for Quantize with axis != -1.")
    moved = x.movedim(axis, 0)
    out, out_mins, out_maxs = torch.empty(moved.shape, dtype=torch.float32), [], []
    for i in range(num_slices):
        out[i], lo, hi = _quantize_slice(
            moved[i], mins[i], maxs[i], T, mode, round_mode, narrow_range, ensure_minimum_range
        )
        out_mins.append(float(lo))
        out_maxs.append(float(hi))
    values = out.movedim(0, axis).to(torch.int64).to(out_dtype)
    return values, torch.tensor(out_mins).reshape(min_range.shape), torch.tensor(out_maxs).reshape(max_range.shape)


def _dequantize_shape(op):
    axis = op.get_attr("axis")
    rank = op.inputs[0].shape.rank
    if rank is not None and axis > rank:
        raise common_shapes.shape_error(op, f"Axis must be less than input dimension({rank}), got {axis}")
    _minmax_shape(op, None)
    return [op.inputs[0].shape]


def _dequantize_slice(q, min_range, max_range, T, mode, narrow_range):
    low, high = _LIMITS[T]
    x = q.to(torch.float32)
    if mode == "MIN_COMBINED":
        half_range = f32((f32(high) - f32(low) + f32(1)) / f32(2)) if low < 0 else f32(0)
        scale = f32((max_range - min_range) / (f32(high) - f32(low)))
        return (x + float(half_range)) * float(scale) + float(min_range)
    if mode == "SCALED":
        min_output = low + (1 if narrow_range else 0)
        scale = (
            f32(max_range / f32(high))
            if low == 0
            else max(f32(min_range / f32(min_output)), f32(max_range / f32(high)))
        )
        return x * float(scale)
    steps = 2.0 ** _BITS[T]
    scale = f32(np.float64(f32(max_range - min_range)) / (steps - 1.0))
    if max_range == min_range:
        min_rounded = min_range
    else:
        min_rounded = f32(_std_round(f32(min_range / scale)) * scale)
    return float(f32(min_rounded - f32(f32(low) * scale))) + x * float(scale)


@register_op(
    "Dequantize",
    inputs=["input: T", "min_range: float", "max_range: float"],
    outputs=["output: dtype"],
    attrs=[_QUANTIZED, _MODES, "narrow_range: bool = false", "axis: int = -1", "dtype: {bfloat16, float} = DT_FLOAT"],
    shape=_dequantize_shape,
)
def dequantize(input, min_range, max_range, T, mode, narrow_range, axis, dtype):
    if axis >= input.dim():
        raise invalid(f"Axis must be less than input dimension({input.dim()}), got {axis}")
    num_slices = input.shape[axis] if axis > -1 else 1
    for name, t in (("input_min_tensor", min_range), ("input_max_tensor", max_range)):
        if t.numel() != num_slices:
            raise invalid(
                f"{name} must have as many elements as input on the dequantization axis ({axis}), got {t.numel()}, "
                f"expected {num_slices}"
            )
    mins = min_range.reshape(-1).cpu().numpy().astype(f32)
    maxs = max_range.reshape(-1).cpu().numpy().astype(f32)
    if num_slices == 1:
        out = _dequantize_slice(input, mins[0], maxs[0], T, mode, narrow_range)
    else:
        if mode == "MIN_FIRST":
            raise errors.UnimplementedError(
                None, None, "MIN_FIRST mode is not implemented for Dequantize with axis != -1."
            )
        moved = input.movedim(axis, 0)
        out = torch.stack(
            [_dequantize_slice(moved[i], mins[i], maxs[i], T, mode, narrow_range) for i in range(num_slices)]
        )
        out = out.movedim(0, axis)
    return out.to(dtype.torch)


def _quantized_concat_shape(op):
    n = op.get_attr("N")
    [output] = concat_shape_of(op, op.inputs[1 : n + 1], op.inputs[0])
    for t in op.inputs[n + 1 :]:
        with_rank(op, t.shape, 0)
    return [output, TensorShape([]), TensorShape([])]


@register_op(
    "QuantizedConcat",
    inputs=["concat_dim: int32", "values: N * T", "input_mins: N * float", "input_maxes: N * float"],
    outputs=["output: T", "output_min: float", "output_max: float"],
    attrs=["N: int >= 2", "T: type"],
    shape=_quantized_concat_shape,
)
def quantized_concat(concat_dim, values, input_mins, input_maxes, T):
    """Concat of quantized tensors into one range (symmetric around 0 for signed types): inputs of another range
    are dequantized and quantized again (DEQUANTIZE_WITH_EIGEN, QUANTIZE_WITH_EIGEN)."""
    if concat_dim.dim() != 0:
        raise invalid(f"Concat dim tensor should be a scalar integer, but got shape {format_dims(concat_dim.shape)}")
    axis = int(concat_dim)
    rank = values[0].dim()
    if not 0 <= axis < rank:
        raise invalid(f"ConcatOp : Expected concatenating dimensions in the range [0, {rank}), but got {axis}")
    ranges = [(f32(lo.reshape(-1)[0]), f32(hi.reshape(-1)[0])) for lo, hi in zip(input_mins, input_maxes)]
    overall_min = min([np.finfo(f32).max, *(lo for lo, _ in ranges)])
    overall_max = max([np.finfo(f32).min, *(hi for _, hi in ranges)])
    overall_min = min(f32(0), overall_min)  # the output range holds 0
    low, _ = _LIMITS[T]
    if low < 0:
        largest = max(abs(overall_min), abs(overall_max))
        out_min, out_max = f32(-largest), f32(largest)
    else:
        out_min, out_max = f32(overall_min), f32(overall_max)
    first = values[0].shape
    for i, v in enumerate(values):
        if v.dim() != rank:
            raise invalid(
                f"ConcatOp : Ranks of all input tensors should match: shape[0] = {format_dims(first)} vs. "
                f"shape[{i}] = {format_dims(v.shape)}"
            )
        if any(v.shape[j] != first[j] for j in range(rank) if j != axis):
            raise invalid(
                f"ConcatOp : Dimensions of inputs should match: shape[0] = {format_dims(first)} vs. "
                f"shape[{i}] = {format_dims(v.shape)}"
            )
    parts = []
    for v, (lo, hi) in zip(values, ranges):
        if lo == out_min and hi == out_max:
            parts.append(v)
        else:
            as_float = _dequantize_slice(v, lo, hi, T, "MIN_FIRST", False)
            parts.append(_quantize_with_eigen(as_float, out_min, out_max, T).to(torch.int64).to(v.dtype))
    return torch.cat(parts, axis), torch.tensor(float(out_min)), torch.tensor(float(out_max))


# TF registers no gradient for QuantizeV2, Dequantize and QuantizedConcat.
no_registered_gradient("QuantizeV2", "Dequantize", "QuantizedConcat")
