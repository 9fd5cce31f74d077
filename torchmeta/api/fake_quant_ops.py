"""``tf.quantization``: ``fake_quant_with_min_max_*`` (TF1 also at the top level), the generated op functions, and
``quantize`` / ``quantize_v2`` / ``dequantize`` as TF's array_ops.py builds them (QuantizeV2, Dequantize)."""

from __future__ import annotations

from torchmeta import dtypes
from torchmeta.framework.op_def_library import raw_op

__all__ = [
    "quantize",
    "quantize_v2",
    "dequantize",
    "fake_quant_with_min_max_args",
    "fake_quant_with_min_max_args_gradient",
    "fake_quant_with_min_max_vars",
    "fake_quant_with_min_max_vars_gradient",
    "fake_quant_with_min_max_vars_per_channel",
    "fake_quant_with_min_max_vars_per_channel_gradient",
]


def _fake_quant(op_type, num_bits, narrow_range, name, **args):
    """One FakeQuant* op: ``args`` are its inputs (and min/max attrs for the Args forms), as TF names them."""
    return raw_op(op_type, **args, num_bits=num_bits, narrow_range=narrow_range, name=name)


def fake_quant_with_min_max_args(inputs, min=-6, max=6, num_bits=8, narrow_range=False, name=None):
    """``tf.quantization.fake_quant_with_min_max_args``: quantize-dequantize to ``num_bits`` over [min, max]."""
    return _fake_quant("FakeQuantWithMinMaxArgs", num_bits, narrow_range, name, inputs=inputs, min=min, max=max)


def fake_quant_with_min_max_args_gradient(gradients, inputs, min=-6, max=6, num_bits=8, narrow_range=False, name=None):
    """The straight-through gradient of ``fake_quant_with_min_max_args``."""
    return _fake_quant(
        "FakeQuantWithMinMaxArgsGradient",
        num_bits,
        narrow_range,
        name,
        gradients=gradients,
        inputs=inputs,
        min=min,
        max=max,
    )


def fake_quant_with_min_max_vars(inputs, min, max, num_bits=8, narrow_range=False, name=None):
    """``tf.quantization.fake_quant_with_min_max_vars``: the range given by scalar tensors."""
    return _fake_quant("FakeQuantWithMinMaxVars", num_bits, narrow_range, name, inputs=inputs, min=min, max=max)


def fake_quant_with_min_max_vars_gradient(gradients, inputs, min, max, num_bits=8, narrow_range=False, name=None):
    """Gradients wrt the input, min and max of ``fake_quant_with_min_max_vars``."""
    return _fake_quant(
        "FakeQuantWithMinMaxVarsGradient",
        num_bits,
        narrow_range,
        name,
        gradients=gradients,
        inputs=inputs,
        min=min,
        max=max,
    )


def fake_quant_with_min_max_vars_per_channel(inputs, min, max, num_bits=8, narrow_range=False, name=None):
    """``tf.quantization.fake_quant_with_min_max_vars_per_channel``: one range per last-dim channel."""
    return _fake_quant(
        "FakeQuantWithMinMaxVarsPerChannel", num_bits, narrow_range, name, inputs=inputs, min=min, max=max
    )


def fake_quant_with_min_max_vars_per_channel_gradient(
    gradients, inputs, min, max, num_bits=8, narrow_range=False, name=None
):
    """Gradients wrt the input and the per-channel min and max."""
    return _fake_quant(
        "FakeQuantWithMinMaxVarsPerChannelGradient",
        num_bits,
        narrow_range,
        name,
        gradients=gradients,
        inputs=inputs,
        min=min,
        max=max,
    )


def _positive_axis(input, axis):
    """None -> -1; a negative axis counted from the end of ``input``'s (known) rank, as TF's array_ops."""
    if axis is None:
        return -1
    if axis < 0:
        if input.shape.rank is None:
            raise ValueError("input should have known rank to use negative axis.")
        axis %= input.shape.rank
    return axis


def quantize_v2(input, min_range, max_range, T, mode="MIN_COMBINED", name=None, round_mode="HALF_AWAY_FROM_ZERO",
                narrow_range=False, axis=None, ensure_minimum_range=0.01):  # fmt: skip
    """``tf.quantize_v2`` (TF1): one QuantizeV2 op; returns (output, output_min, output_max)."""
    axis = _positive_axis(input, axis)
    output, output_min, output_max = raw_op(
        "QuantizeV2", input=input, min_range=min_range, max_range=max_range, T=T, mode=mode, round_mode=round_mode,
        narrow_range=narrow_range, axis=axis, ensure_minimum_range=ensure_minimum_range, name=name,
    )  # fmt: skip
    return output, output_min, output_max


def quantize(input, min_range, max_range, T, mode="MIN_COMBINED", round_mode="HALF_AWAY_FROM_ZERO", name=None,
             narrow_range=False, axis=None, ensure_minimum_range=0.01):  # fmt: skip
    """``tf.quantization.quantize`` (``tf.quantize``): ``quantize_v2`` with its arguments reordered."""
    return quantize_v2(input, min_range, max_range, T, mode=mode, name=name, round_mode=round_mode,
                       narrow_range=narrow_range, axis=axis, ensure_minimum_range=ensure_minimum_range)  # fmt: skip


def dequantize(input, min_range, max_range, mode="MIN_COMBINED", name=None, axis=None, narrow_range=False,
               dtype=dtypes.DType.float32):  # fmt: skip
    """``tf.quantization.dequantize`` (``tf.dequantize``): one Dequantize op."""
    axis = _positive_axis(input, axis)
    return raw_op("Dequantize", input=input, min_range=min_range, max_range=max_range, mode=mode,
                  narrow_range=narrow_range, axis=axis, dtype=dtype, name=name)  # fmt: skip
