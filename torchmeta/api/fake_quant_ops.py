"""``tf.quantization.fake_quant_with_min_max_*`` (TF1 also at the top level): the generated op functions."""

from __future__ import annotations

from torchmeta.framework.op_def_library import raw_op

__all__ = [
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
