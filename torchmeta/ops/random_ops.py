"""Random ops: uniform, normal, truncated normal, integers, shuffles, multinomial and gamma draws.

Each kernel takes ``generator``: a torch.Generator per op and session, created on the op's device
and seeded from the op's ``seed``/``seed2`` (randomly when both are 0), so a seeded graph repeats
its numbers in every session and successive runs of one op give new numbers, as in TF. The numbers
themselves differ from TF's (a different generator); only their distribution matches.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from torchmeta import errors
from torchmeta.framework import tensor_util
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops import shapes
from torchmeta.ops.nn_ops import scalar_dim, shape_error, with_rank
from torchmeta.ops.registry import register_op


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _shape_from_tensor(op, i: int = 0) -> TensorShape:
    """TF's MakeShapeFromShapeTensor: the static value of 1-D shape input ``i``, -1 for unknown."""
    with_rank(op, i, 1)
    return tensor_util.constant_value_as_shape(op.inputs[i])


def _random_shape(op):
    return [_shape_from_tensor(op)]


def _dims(shape) -> list[int]:
    """A 1-D shape tensor as a list of ints, checked like TF's TensorShapeUtils::MakeShape."""
    if shape.dim() != 1:
        raise _invalid(f"shape must be a vector of {{int32,int64}}, got shape [{','.join(map(str, shape.shape))}]")
    dims = shape.tolist()
    for d in dims:
        if d < 0:
            raise _invalid(f"Dimension {d} must be >= 0")
    return dims


# Sampling in half precision loses the distribution's tails; draw in float32 and round, as TF does.
_LOW_PRECISION = (torch.float16, torch.bfloat16)

_RANDOM_ATTRS = ["seed: int = 0", "seed2: int = 0", "dtype: {half, bfloat16, float, double}", "T: {int32, int64}"]


@register_op(
    "RandomUniform",
    inputs=["shape: T"],
    outputs=["output: dtype"],
    attrs=_RANDOM_ATTRS,
    shape=_random_shape,
    stateful=True,
)
def random_uniform(shape, dtype, generator, device):
    """Uniform floats in [0, 1)."""
    out = dtype.torch
    draw = torch.float32 if out in _LOW_PRECISION else out
    return torch.rand(_dims(shape), generator=generator, dtype=draw, device=device).to(out)


@register_op(
    "RandomStandardNormal",
    inputs=["shape: T"],
    outputs=["output: dtype"],
    attrs=_RANDOM_ATTRS,
    shape=_random_shape,
    stateful=True,
)
def random_standard_normal(shape, dtype, generator, device):
    """Normal floats with mean 0 and standard deviation 1."""
    out = dtype.torch
    draw = torch.float32 if out in _LOW_PRECISION else out
    return torch.randn(_dims(shape), generator=generator, dtype=draw, device=device).to(out)


# Standard-normal CDF at -2: TruncatedNormal keeps draws within two standard deviations.
_PHI_MINUS_2 = 0.5 * math.erfc(math.sqrt(2.0))


@register_op(
    "TruncatedNormal",
    inputs=["shape: T"],
    outputs=["output: dtype"],
    attrs=_RANDOM_ATTRS,
    shape=_random_shape,
    stateful=True,
)
def truncated_normal(shape, dtype, generator, device):
    """Standard normal restricted to [-2, 2].

    TF redraws values outside the interval; this inverts the normal CDF on a uniform draw over
    [CDF(-2), CDF(2)] instead: the same distribution in one pass, without host round trips.
    """
    out = dtype.torch
    draw = torch.float32 if out in _LOW_PRECISION else out
    u = torch.rand(_dims(shape), generator=generator, dtype=draw, device=device)
    u = u * (1.0 - 2.0 * _PHI_MINUS_2) + _PHI_MINUS_2
    x = torch.erfinv(u * 2.0 - 1.0) * math.sqrt(2.0)
    return torch.clamp(x, -2.0, 2.0).to(out)


def _scalar_input_shape(op, i, name):
    shape = op.inputs[i].shape
    if shape.rank is not None and shape.rank != 0:
        dims = ",".join("?" if d is None else str(d) for d in shape.as_tuple())
        raise shape_error(op, f"{name} must be a scalar; got a tensor of shape [{dims}]")


def _random_uniform_int_shape(op):
    _scalar_input_shape(op, 1, "minval")
    _scalar_input_shape(op, 2, "maxval")
    return [_shape_from_tensor(op)]


@register_op(
    "RandomUniformInt",
    inputs=["shape: T", "minval: Tout", "maxval: Tout"],
    outputs=["output: Tout"],
    attrs=["seed: int = 0", "seed2: int = 0", "Tout: {int32, int64}", "T: {int32, int64}"],
    shape=_random_uniform_int_shape,
    stateful=True,
)
def random_uniform_int(shape, minval, maxval, generator, device):
    """Uniform integers in [minval, maxval)."""
    for name, t in (("minval", minval), ("maxval", maxval)):
        if t.dim() != 0:
            raise _invalid(f"{name} must be 0-D, got shape [{','.join(map(str, t.shape))}]")
    dims = _dims(shape)
    lo, hi = int(minval), int(maxval)
    if math.prod(dims) and lo >= hi:
        raise _invalid(f"Need minval < maxval, got {lo} >= {hi}")
    return torch.randint(lo, max(hi, lo + 1), dims, generator=generator, dtype=minval.dtype, device=device)


@register_op(
    "RandomShuffle",
    inputs=["value: T"],
    outputs=["output: T"],
    attrs=["seed: int = 0", "seed2: int = 0", "T: type"],
    shape=shapes.unchanged,
    stateful=True,
)
def random_shuffle(value, generator, device):
    """``value`` with its first dimension randomly permuted (scalars are returned unchanged)."""
    if isinstance(value, np.ndarray):  # strings
        if value.ndim == 0 or value.shape[0] <= 1:
            return value.copy()
        perm = torch.randperm(value.shape[0], generator=generator, device=generator.device)
        return value[perm.cpu().numpy()]
    if value.dim() == 0 or value.shape[0] <= 1:
        return value.clone()
    return value[torch.randperm(value.shape[0], generator=generator, device=value.device)]


def _multinomial_shape(op):
    batch, _ = with_rank(op, 0, 2)
    return [TensorShape([batch, scalar_dim(op, 1)])]


@register_op(
    "Multinomial",
    inputs=["logits: T", "num_samples: int32"],
    outputs=["output: output_dtype"],
    attrs=[
        "seed: int = 0",
        "seed2: int = 0",
        "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}",
        "output_dtype: {int32, int64} = DT_INT64",
    ],
    shape=_multinomial_shape,
    stateful=True,
)
def multinomial(logits, num_samples, output_dtype, generator):
    """``num_samples`` class indices per row, drawn with probabilities softmax(logits[row])."""
    if logits.dim() != 2:
        raise _invalid(f"logits should be a matrix, got shape [{','.join(map(str, logits.shape))}]")
    n = int(num_samples)
    if n < 0:
        raise _invalid(f"num_samples should be non-negative, got {n}")
    batch, classes = logits.shape
    if classes == 0:
        raise _invalid(f"num_classes should be positive, got {classes}")
    if batch == 0 or n == 0:
        return torch.zeros((batch, n), dtype=output_dtype.torch, device=logits.device)
    compute = torch.float64 if logits.dtype == torch.float64 else torch.float32
    probs = torch.softmax(logits.to(compute), -1)
    return torch.multinomial(probs, n, replacement=True, generator=generator).to(output_dtype.torch)


def _random_gamma_shape(op):
    return [_shape_from_tensor(op).concatenate(op.inputs[1].shape)]


@register_op(
    "RandomGamma",
    inputs=["shape: S", "alpha: T"],
    outputs=["output: T"],
    attrs=["seed: int = 0", "seed2: int = 0", "S: {int32, int64}", "T: {half, float, double}"],
    shape=_random_gamma_shape,
    stateful=True,
)
def random_gamma(shape, alpha, generator):
    """Gamma(alpha, 1) draws of shape ``shape + alpha.shape``; alpha <= 0 gives NaN, alpha 0 gives 0."""
    compute = torch.float32 if alpha.dtype in _LOW_PRECISION else alpha.dtype
    a = alpha.to(compute)
    full = a.expand(tuple(_dims(shape)) + tuple(a.shape)).contiguous()
    out = torch._standard_gamma(torch.where(full > 0, full, torch.ones_like(full)), generator=generator)
    out = torch.where(full > 0, out, torch.where(full == 0, torch.zeros_like(full), torch.full_like(full, math.nan)))
    return out.to(alpha.dtype)
