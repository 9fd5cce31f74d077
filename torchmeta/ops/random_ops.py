"""Random ops: uniform, normal, truncated normal, integers, shuffles, multinomial, gamma, Poisson and
parameterized truncated normal draws.

TF's numbers, bit for bit: each kernel takes ``generator``, the op's GuardedPhilox (one per op and
session, seeded from the op's ``seed``/``seed2``; random when both are 0), reserves the stream range
TF's CPU kernel reserves per call (256 blocks per output for the PhiloxRandomOp family) and turns it
into numbers in the kernel's sample order (torchmeta.ops.random_distributions). A seeded graph thus
repeats TF's numbers run for run, on any device and thread count.

Gradients are TF's decisions: RandomGamma's sample is differentiable in alpha (RandomGammaGrad);
TF declares the other draws not differentiable (RandomUniformInt, integer-valued, it leaves
undeclared: no gradient is ever asked of it).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from torchmeta import errors
from torchmeta.api import array_ops, math_ops
from torchmeta.dtypes import DType
from torchmeta.framework import common_shapes, tensor_util
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.common_shapes import input_with_rank, scalar_dim, shape_error
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops import random_distributions as dist
from torchmeta.ops.common import invalid
from torchmeta.ops.philox import GuardedPhilox


def _shape_from_tensor(op, i: int = 0) -> TensorShape:
    """TF's MakeShapeFromShapeTensor: the static value of 1-D shape input ``i``, -1 for unknown."""
    input_with_rank(op, i, 1)
    return tensor_util.constant_value_as_shape(op.inputs[i])


def _random_shape(op):
    return [_shape_from_tensor(op)]


def _dims(shape) -> list[int]:
    """A 1-D shape tensor as a list of ints, checked like TF's TensorShapeUtils::MakeShape."""
    if shape.dim() != 1:
        raise invalid(f"shape must be a vector of {{int32,int64}}, got shape [{','.join(map(str, shape.shape))}]")
    dims = shape.tolist()
    for d in dims:
        if d < 0:
            raise invalid(f"Dimension {d} must be >= 0")
    return dims


def op_generator(op) -> GuardedPhilox:
    """The GuardedPhilox of a random op's kernel, seeded from its ``seed``/``seed2`` attrs as TF seeds it."""
    seed = op._attrs["seed"].i if "seed" in op._attrs else 0
    seed2 = op._attrs["seed2"].i if "seed2" in op._attrs else 0
    return GuardedPhilox(seed, seed2)


# TF's PhiloxRandomOp and RandomUniformIntOp reserve 256 blocks of the stream per output and call.
_RESERVED_PER_OUTPUT = 256

_RANDOM_ATTRS = ["seed: int = 0", "seed2: int = 0", "dtype: {half, bfloat16, float, double}", "T: {int32, int64}"]


def _philox_fill(fill, shape, dtype, generator, device):
    dims = _dims(shape)
    n = math.prod(dims)
    gen = generator.reserve_random_outputs(n, _RESERVED_PER_OUTPUT)
    return fill(gen, n, dtype.torch, device).reshape(dims)


@register_op(
    "RandomUniform",
    inputs=["shape: T"],
    outputs=["output: dtype"],
    attrs=_RANDOM_ATTRS,
    shape=_random_shape,
    stateful=True,
)
def random_uniform(shape, dtype, generator, device):
    """Uniform floats in [0, 1) from the words' mantissa bits."""
    return _philox_fill(dist.fill_uniform, shape, dtype, generator, device)


@register_op(
    "RandomStandardNormal",
    inputs=["shape: T"],
    outputs=["output: dtype"],
    attrs=_RANDOM_ATTRS,
    shape=_random_shape,
    stateful=True,
)
def random_standard_normal(shape, dtype, generator, device):
    """Box-Muller normals with mean 0 and standard deviation 1."""
    return _philox_fill(dist.fill_normal, shape, dtype, generator, device)


@register_op(
    "TruncatedNormal",
    inputs=["shape: T"],
    outputs=["output: dtype"],
    attrs=_RANDOM_ATTRS,
    shape=_random_shape,
    stateful=True,
)
def truncated_normal(shape, dtype, generator, device):
    """Standard normals within (-2, 2): Box-Muller candidates outside are rejected, as TF does."""
    return _philox_fill(dist.fill_truncated_normal, shape, dtype, generator, device)


not_differentiable("RandomUniform", "RandomStandardNormal", "TruncatedNormal")


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
    """Uniform integers in [minval, maxval): ``minval + bits % (maxval - minval)``."""
    for name, t in (("minval", minval), ("maxval", maxval)):
        if t.dim() != 0:
            raise invalid(f"{name} must be 0-D, got shape [{','.join(map(str, t.shape))}]")
    dims = _dims(shape)
    n = math.prod(dims)
    if n == 0:  # TF returns before checking the range or reserving numbers
        return torch.zeros(dims, dtype=minval.dtype, device=device)
    lo, hi = int(minval), int(maxval)
    if lo >= hi:
        raise invalid(f"Need minval < maxval, got {lo} >= {hi}")
    gen = generator.reserve_random_outputs(n, _RESERVED_PER_OUTPUT)
    return dist.fill_uniform_int(gen, n, lo, hi, minval.dtype, device).reshape(dims)


no_registered_gradient("RandomUniformInt")


@register_op(
    "RandomShuffle",
    inputs=["value: T"],
    outputs=["output: T"],
    attrs=["seed: int = 0", "seed2: int = 0", "T: type"],
    shape=common_shapes.unchanged,
    stateful=True,
)
def random_shuffle(value, generator, device):
    """``value`` with its first dimension permuted as TF's kernel permutes it (scalars and one-row values
    are returned unchanged): a Fisher-Yates pass over 32-bit words (``word % (n - i)``), resolved here
    without a loop over the rows (dist.fisher_yates_permutation)."""
    strings = isinstance(value, np.ndarray)
    rows = 0 if value.ndim == 0 else value.shape[0]
    if rows <= 1 or math.prod(value.shape) <= 1:
        return value.copy() if strings else value.clone()
    gen = generator.reserve_samples32(rows - 1)
    perm = dist.fisher_yates_permutation(gen, rows, "cpu" if strings else device)
    return value[perm.numpy()] if strings else value[perm]


not_differentiable("RandomShuffle")


def _multinomial_shape(op):
    batch, _ = input_with_rank(op, 0, 2)
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
    """``num_samples`` class indices per row, drawn with probabilities softmax(logits[row]) as TF's CPU
    kernel draws them (dist.multinomial_rows)."""
    if logits.dim() != 2:
        raise invalid(f"logits should be a matrix, got shape [{','.join(map(str, logits.shape))}]")
    if num_samples.dim() != 0:
        raise invalid(f"num_samples should be a scalar, got shape [{','.join(map(str, num_samples.shape))}]")
    n = int(num_samples)
    if n < 0:
        raise invalid(f"num_samples should be non-negative, got {n}")
    batch, classes = logits.shape
    if classes == 0:
        raise invalid(f"num_classes should be positive, got {classes}")
    if batch == 0 or n == 0:
        return torch.zeros((batch, n), dtype=output_dtype.torch, device=logits.device)
    # The CPU kernel draws doubles: 2 words per sample, rounded up to 4 samples per row.
    gen = generator.reserve_random_outputs(batch * ((n + 3) // 4 * 4) * 2, _RESERVED_PER_OUTPUT)
    out = dist.multinomial_rows(gen, logits, n, dist.tf_pool_threads())
    return out.to(device=logits.device, dtype=output_dtype.torch)


not_differentiable("Multinomial")


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
    """Gamma(alpha, 1) draws of shape ``shape + alpha.shape``, TF's samples (dist.gamma_samples)."""
    dims = _dims(shape)
    num_samples = math.prod(dims)
    if num_samples * alpha.numel() == 0:
        return torch.zeros(tuple(dims) + tuple(alpha.shape), dtype=alpha.dtype, device=alpha.device)
    gen = generator.reserve_random_outputs(num_samples * alpha.numel(), _RESERVED_PER_OUTPUT)
    out = dist.gamma_samples(gen, alpha, num_samples)
    return out.reshape(tuple(dims) + tuple(alpha.shape)).to(alpha.device)


def _random_poisson_shape(op):
    return [_shape_from_tensor(op).concatenate(op.inputs[1].shape)]


def _poisson(shape, rate, out_dtype, generator):
    dims = _dims(shape)
    num_samples = math.prod(dims)
    full = tuple(dims) + tuple(rate.shape)
    if num_samples * rate.numel() == 0:  # TF returns before reserving
        return torch.zeros(full, dtype=out_dtype, device=rate.device)
    gen = generator.reserve_random_outputs(num_samples * rate.numel(), _RESERVED_PER_OUTPUT)
    return dist.poisson_samples(gen, rate, num_samples, out_dtype).reshape(full).to(rate.device)


@register_op(
    "RandomPoisson",
    inputs=["shape: S", "rate: dtype"],
    outputs=["output: dtype"],
    attrs=["seed: int = 0", "seed2: int = 0", "S: {int32, int64}", "dtype: {half, float, double}"],
    shape=_random_poisson_shape,
    stateful=True,
    deprecation=(25, "Replaced by RandomPoissonV2"),
)
def random_poisson(shape, rate, generator):
    """Poisson(rate) samples of shape ``shape + rate.shape`` (TF's sampler, dist.poisson_samples)."""
    return _poisson(shape, rate, rate.dtype, generator)


@register_op(
    "RandomPoissonV2",
    inputs=["shape: S", "rate: R"],
    outputs=["output: dtype"],
    attrs=[
        "seed: int = 0",
        "seed2: int = 0",
        "S: {int32, int64}",
        "R: {half, float, double, int32, int64} = DT_DOUBLE",
        "dtype: {half, float, double, int32, int64} = DT_INT64",
    ],
    shape=_random_poisson_shape,
    stateful=True,
)
def random_poisson_v2(shape, rate, dtype, generator):
    """Poisson(rate) samples of any rate and output type (TF's sampler, dist.poisson_samples)."""
    return _poisson(shape, rate, dtype.torch, generator)


no_registered_gradient("RandomPoisson", "RandomPoissonV2")


_RNG_ALG_PHILOX, _RNG_ALG_AUTO_SELECT = 1, 3


@register_op(
    "RngReadAndSkip",
    inputs=["resource: resource", "alg: int32", "delta: uint64"],
    outputs=["value: int64"],
    shape=lambda op: [TensorShape([3])],
    stateful=True,
)
def rng_read_and_skip(resource, alg, delta):
    """tf.random.Generator's state step: returns the int64 state (Philox counter low and high 64 bits, key)
    and advances the variable's counter by ``delta * 256`` blocks, as TF's kernel does."""
    algorithm = int(alg)
    if algorithm not in (_RNG_ALG_PHILOX, _RNG_ALG_AUTO_SELECT):
        raise invalid(f"Unsupported algorithm id: {algorithm}")
    with resource.lock:
        state = resource.value
        if state is None:
            raise errors.FailedPreconditionError(None, None, "Read of uninitialized RNG state variable")
        if state.dtype != torch.int64 or state.dim() != 1:
            raise invalid(f"RNG state must have one and only one dimension, not {state.dim()}")
        if state.shape[0] < 3:
            raise invalid(f"The size of the state must be at least 3; got {state.shape[0]}")
        values = state.tolist()
        mask = (1 << 64) - 1
        counter = (values[0] & mask) | (values[1] & mask) << 64
        counter = (counter + (int(delta.view(torch.int64)) & mask) * _RESERVED_PER_OUTPUT) & ((1 << 128) - 1)
        updated = list(values)
        updated[0] = _wrap_int64(counter & mask)
        updated[1] = _wrap_int64(counter >> 64)
        resource.value = torch.tensor(updated, dtype=torch.int64, device=state.device)
    return torch.tensor(values[:3], dtype=torch.int64, device=state.device)


def _wrap_int64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


no_registered_gradient("RngReadAndSkip")


def _ptn_shape(op):
    for i in range(1, 5):
        shape = op.inputs[i].shape
        if shape.rank is not None and shape.rank > 1:
            raise shape_error(op, f"Shape must be at most rank 1 but is rank {shape.rank}")
    return [_shape_from_tensor(op)]


@register_op(
    "ParameterizedTruncatedNormal",
    inputs=["shape: T", "means: dtype", "stdevs: dtype", "minvals: dtype", "maxvals: dtype"],
    outputs=["output: dtype"],
    attrs=["seed: int = 0", "seed2: int = 0", "dtype: {half, bfloat16, float, double}", "T: {int32, int64}"],
    shape=_ptn_shape,
    stateful=True,
)
def parameterized_truncated_normal(shape, means, stdevs, minvals, maxvals, generator):
    """Normals with per-batch mean, stddev and bounds, TF's CPU sampler (dist.parameterized_truncated_normal)."""
    if shape.dim() != 1:
        raise invalid(f"Input shape should be a vector, got shape: [{','.join(map(str, shape.shape))}]")
    if shape.numel() == 0:
        raise invalid("Shape tensor must not be empty, got Tensor<type: int32 shape: [0] values: >")
    dims = _dims(shape)
    for name, t in (("means", means), ("stddevs", stdevs), ("minvals", minvals), ("maxvals", maxvals)):
        if t.dim() > 1:
            raise invalid(f"Input {name} should be a scalar or vector, got shape: [{','.join(map(str, t.shape))}]")
    scalars = (
        all(t.dim() == 0 or t.shape[0] == 1 for t in (means, stdevs)) and minvals.dim() == 0 and maxvals.dim() == 0
    )
    num_batches = dims[0]
    samples_per_batch = math.prod(dims[1:])
    if scalars:
        samples_per_batch, num_batches = 100, -(-math.prod(dims) // 100)
    else:
        for name, t in (("means", means), ("stddevs", stdevs), ("minvals", minvals), ("maxvals", maxvals)):
            if not (t.dim() == 0 or t.shape[0] in (1, num_batches)):
                raise invalid(
                    f"Input {name} should have length 1 or shape[0], got shape: [{','.join(map(str, t.shape))}]"
                )
    gen = generator.reserve_samples128(num_batches * 2 * 1000 * (samples_per_batch + 3) // 4)
    out = dist.parameterized_truncated_normal(gen, dims, means, stdevs, minvals, maxvals, dist.tf_pool_threads())
    return out.to(means.device)


not_differentiable("ParameterizedTruncatedNormal")


@register_op(
    "RandomGammaGrad",
    inputs=["alpha: T", "sample: T"],
    outputs=["output: T"],
    attrs=["T: {float, double}"],
    shape=common_shapes.broadcast_binary,
)
def random_gamma_grad(alpha, sample):
    """d sample / d alpha of Gamma(alpha, 1) samples at a fixed CDF (implicit reparameterization),
    broadcasting alpha and sample: -(d igamma(alpha, sample) / d alpha) / pdf(sample), by Eigen's
    algorithm (the one TF's kernel runs), in the inputs' precision."""
    try:
        alpha, sample = torch.broadcast_tensors(alpha, sample)
    except RuntimeError:
        raise invalid(
            f"Incompatible shapes: [{','.join(map(str, alpha.shape))}] vs. [{','.join(map(str, sample.shape))}]"
        ) from None
    return _gamma_sample_der_alpha(alpha, sample)


# Eigen's cephes constants per dtype: (machep, big, iteration limit in derivative mode).
_IGAMMA_CONSTANTS = {
    torch.float32: (float(np.finfo(np.float32).eps) / 2, 16777216.0, 200),
    torch.float64: (float(np.finfo(np.float64).eps) / 2, 4503599627370496.0, 500),
}
_CONVERGENCE_CHECK_EVERY = 8  # iterations between host checks that every element has converged


def _igamma_series_der(a, x, machep, iterations):
    """Eigen's igamma_series_impl in SAMPLE_DERIVATIVE mode (x <= 1 or x <= a), element-wise with
    each element frozen once its series converged (Eigen's per-element ``break``)."""
    r = a
    c = torch.ones_like(a)
    ans = torch.ones_like(a)
    dc_da = torch.zeros_like(a)
    dans_da = torch.zeros_like(a)
    done = torch.zeros_like(a, dtype=torch.bool)
    for i in range(iterations):
        r = r + 1
        term = x / r
        new_dc_da = term * dc_da + (-x / (r * r)) * c
        new_dans_da = dans_da + new_dc_da
        new_c = c * term
        new_ans = ans + new_c
        dc_da = torch.where(done, dc_da, new_dc_da)
        dans_da = torch.where(done, dans_da, new_dans_da)
        c = torch.where(done, c, new_c)
        ans = torch.where(done, ans, new_ans)
        done = done | (torch.abs(new_dc_da) <= machep * torch.abs(new_dans_da))
        if i % _CONVERGENCE_CHECK_EVERY == 0 and bool(done.all()):
            break
    dlogax_da = torch.log(x) - torch.digamma(a + 1)
    return -(dans_da + ans * dlogax_da) * x / a


def _igammac_cf_der(a, x, machep, big, iterations):
    """Eigen's igammac_cf_impl in SAMPLE_DERIVATIVE mode (x > 1 and x > a), negated as
    igamma_generic_impl returns it; elements freeze at convergence."""
    biginv = 1.0 / big
    one = torch.ones_like(a)
    y = one - a
    z = x + y + one
    c = torch.zeros_like(a)
    pkm2, qkm2, pkm1, qkm1 = one, x, x + one, z * x
    ans = pkm1 / qkm1
    dpkm2, dqkm2, dpkm1, dqkm1 = torch.zeros_like(a), torch.zeros_like(a), torch.zeros_like(a), -x
    dans = (dpkm1 - ans * dqkm1) / qkm1
    done = torch.zeros_like(a, dtype=torch.bool)
    for i in range(iterations):
        c = c + 1
        y = y + 1
        z = z + 2
        yc = y * c
        pk = pkm1 * z - pkm2 * yc
        qk = qkm1 * z - qkm2 * yc
        dpk = dpkm1 * z - pkm1 - dpkm2 * yc + pkm2 * c
        dqk = dqkm1 * z - qkm1 - dqkm2 * yc + qkm2 * c
        update = ~done & (qk != 0)
        new_ans = pk / qk
        new_dans = (dpk - new_ans * dqk) / qk
        converged = update & (torch.abs(new_dans - dans) <= machep)
        ans = torch.where(update, new_ans, ans)
        dans = torch.where(update, new_dans, dans)
        done = done | converged
        rescale = torch.abs(pk) > big
        pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
        dpkm2, dpkm1, dqkm2, dqkm1 = dpkm1, dpk, dqkm1, dqk
        pkm2, pkm1, qkm2, qkm1, dpkm2, dpkm1, dqkm2, dqkm1 = (
            torch.where(rescale, t * biginv, t) for t in (pkm2, pkm1, qkm2, qkm1, dpkm2, dpkm1, dqkm2, dqkm1)
        )
        if i % _CONVERGENCE_CHECK_EVERY == 0 and bool(done.all()):
            break
    dlogax_da = torch.log(x) - torch.digamma(a)
    return (dans + ans * dlogax_da) * x


def _gamma_sample_der_alpha(a, x):
    """Eigen's gamma_sample_der_alpha (igamma_generic_impl, SAMPLE_DERIVATIVE) element-wise."""
    machep, big, iterations = _IGAMMA_CONSTANTS[a.dtype]
    if a.numel() == 0:
        return torch.empty_like(a)
    zero = torch.zeros_like(a)
    # TF's CPU kernels run with denormals flushed to zero (inputs and results).
    tiny = torch.finfo(a.dtype).tiny
    a = torch.where(torch.abs(a) < tiny, zero, a)
    x = torch.where(torch.abs(x) < tiny, zero, x)
    nan = torch.full_like(a, math.nan)
    use_cf = (x > 1) & (x > a)
    valid = (x > 0) & (a > 0)  # other cases are fixed below (0 at x == 0, else NaN)
    safe_a = torch.where(valid, a, torch.ones_like(a))
    safe_x = torch.where(valid, x, torch.ones_like(x))
    # main_igamma_term: where x**a * exp(-x) / gamma(a) underflows the derivative is 0.
    logax = safe_a * torch.log(safe_x) - safe_x - torch.lgamma(safe_a)
    vanishes = (logax < -math.log(torch.finfo(a.dtype).max)) | torch.isnan(logax)
    out = zero
    if bool(use_cf.any()):
        cf_x = torch.where(use_cf & valid, safe_x, torch.full_like(x, 2.0) + safe_a)
        cf = _igammac_cf_der(safe_a, cf_x, machep, big, iterations)
        out = torch.where(use_cf, torch.where(torch.isinf(x), -zero, cf), out)
    if not bool(use_cf.all()):
        series_x = torch.where(use_cf, torch.minimum(safe_a, torch.ones_like(safe_a)), safe_x)
        out = torch.where(use_cf, out, _igamma_series_der(safe_a, series_x, machep, iterations))
    out = torch.where(torch.abs(out) < tiny, out * 0, out)
    out = torch.where(vanishes, torch.where(use_cf, -zero, zero), out)  # igammac's 0, negated
    out = torch.where(valid, out, nan)
    out = torch.where(x == 0, zero, out)
    return torch.where(torch.isnan(a) | torch.isnan(x), nan, out)


@register_gradient("RandomGamma")
def _random_gamma_grad(op, grad):
    """TF's _RandomGammaGrad: alpha's gradient sums grad * RandomGammaGrad(alpha, sample) over the
    sample dimensions (alpha reshaped with leading unit dims to broadcast)."""
    shape, alpha, sample = op.inputs[0], op.inputs[1], op.outputs[0]
    with graph_lib.control_dependencies([grad]):
        num_sample_dimensions = array_ops.shape(shape)[0]
        new_shape = array_ops.concat(
            [array_ops.ones([num_sample_dimensions], dtype=DType.int32), array_ops.shape(alpha)], axis=0
        )
        alpha_broadcastable = array_ops.reshape(alpha, new_shape)
        partial_a = raw_op("RandomGammaGrad", alpha=alpha_broadcastable, sample=sample)
        return [None, math_ops.reduce_sum(grad * partial_a, axis=math_ops.range(num_sample_dimensions))]


# TF registers no gradient for RandomGammaGrad.
no_registered_gradient("RandomGammaGrad")
