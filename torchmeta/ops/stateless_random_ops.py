"""Stateless random ops: the same numbers for the same seed on every run, TF's bit for bit.

V1 ops take a ``seed`` pair, which TF scrambles into a Philox key and counter (GenerateKey: one Philox
block of the seed under a fixed key). V2 ops take that key and counter directly, plus ``alg`` (1 =
Philox; 3 = "auto", Philox on CPU and GPU; ThreeFry (2) has no CPU kernel in TF). Both fill outputs
with the stateful ops' distributions and sample order (torchmeta.ops.random_distributions), from the
start of the stream. ``StatelessRandomGetKeyCounter(Alg)`` expose the scrambling TF2 code relies on.
"""

from __future__ import annotations

import math

import torch

from torchmeta.dtypes import DType
from torchmeta.framework import tensor_util
from torchmeta.framework.common_shapes import format_dims, input_with_rank, scalar_dim, shape_error
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops import random_distributions as dist
from torchmeta.ops.common import invalid
from torchmeta.ops.philox import Philox, as_uint32

__all__ = ["key_counter_from_seed", "RNG_ALG_PHILOX", "RNG_ALG_THREEFRY", "RNG_ALG_AUTO_SELECT"]

RNG_ALG_PHILOX = 1
RNG_ALG_THREEFRY = 2
RNG_ALG_AUTO_SELECT = 3

_MASK64 = (1 << 64) - 1
# GenerateKey's fixed key.
_SCRAMBLE_KEY = 0x02461E29_3EC8F720


def key_counter_from_seed(seed0: int, seed1: int) -> Philox:
    """TF's GenerateKey: the Philox position of stateless seed (seed0, seed1).

    One Philox block of counter (seed0, seed1) under key 0x02461e29_3ec8f720 gives the key (words 0, 1)
    and the counter's high half (words 2, 3); the low half is 0.
    """
    counter = (seed0 & _MASK64) | (seed1 & _MASK64) << 64
    mix = as_uint32(Philox(_SCRAMBLE_KEY, counter).blocks(1)[0]).tolist()
    return Philox(mix[0] | mix[1] << 32, (mix[2] | mix[3] << 32) << 64)


def _seed_generator(seed: torch.Tensor) -> Philox:
    if seed.dim() != 1 or seed.shape[0] != 2:
        raise invalid(f"seed must have shape [2], not {format_dims(seed.shape)}")
    values = seed.cpu().tolist()
    return key_counter_from_seed(int(values[0]), int(values[1]))


def _v2_generator(key: torch.Tensor, counter: torch.Tensor, alg: torch.Tensor) -> Philox:
    if alg.dim() != 0:
        raise invalid(f"alg must be a scalar, not {format_dims(alg.shape)}")  # caught by shape inference first
    algorithm = int(alg)
    if algorithm not in (RNG_ALG_PHILOX, RNG_ALG_AUTO_SELECT):
        raise invalid(f"Unsupported algorithm id: {algorithm}")
    if key.dim() != 1 or key.shape[0] != 1:
        raise invalid(
            f"key must have shape [1], not {format_dims(key.shape)}. (Note that batched keys are not supported yet.)"
        )
    if counter.dim() != 1 or counter.shape[0] < 2:
        raise invalid(
            f"counter must be a vector with at least 2 elements, not {format_dims(counter.shape)}. "
            "(Note that batched counters are not supported yet.)"
        )
    k = int(key.view(torch.int64)[0]) & _MASK64
    c = counter.view(torch.int64)[:2].tolist()
    return Philox(k, (c[0] & _MASK64) | (c[1] & _MASK64) << 64)


def _dims(shape) -> list[int]:
    dims = shape.tolist()
    for d in dims:
        if d < 0:
            raise invalid(f"Dimension {d} must be >= 0")
    return dims


# ---------------------------------------------------------------------------------------------
# Shape functions


def _shape_from_input(op, i: int = 0) -> TensorShape:
    input_with_rank(op, i, 1)
    return tensor_util.constant_value_as_shape(op.inputs[i])


def _seed_shape(op, i: int):
    (dim,) = input_with_rank(op, i, 1)
    if dim is not None and dim != 2:
        raise shape_error(op, f"Dimension must be 2 but is {dim}")


def _stateless_shape(op):
    _seed_shape(op, 1)
    return [_shape_from_input(op)]


def _stateless_int_shape(op):
    for i in (2, 3):
        input_with_rank(op, i, 0)
    return _stateless_shape(op)


def _v2_shape(op):
    (key_dim,) = input_with_rank(op, 1, 1)
    if key_dim is not None and key_dim != 1:
        raise shape_error(op, f"Dimension must be 1 but is {key_dim}")
    input_with_rank(op, 2, 1)
    input_with_rank(op, 3, 0)
    return [_shape_from_input(op)]


def _v2_int_shape(op):
    for i in (4, 5):
        input_with_rank(op, i, 0)
    return _v2_shape(op)


# ---------------------------------------------------------------------------------------------
# V1: seed pairs

_FLOAT_ATTRS = ["dtype: {half, bfloat16, float, double} = DT_FLOAT", "T: {int32, int64} = DT_INT32"]
_SEED_ATTR = "Tseed: {int32, int64} = DT_INT64"


def _fill_float(fill, shape, gen_of, dtype, device):
    dims = _dims(shape)
    n = math.prod(dims)
    if n == 0:
        return torch.zeros(dims, dtype=dtype.torch, device=device)
    return fill(gen_of(), n, dtype.torch, device).reshape(dims)


@register_op(
    "StatelessRandomUniform",
    inputs=["shape: T", "seed: Tseed"],
    outputs=["output: dtype"],
    attrs=[*_FLOAT_ATTRS, _SEED_ATTR],
    shape=_stateless_shape,
)
def stateless_random_uniform(shape, seed, dtype, device):
    gen = _seed_generator(seed)
    return _fill_float(dist.fill_uniform, shape, lambda: gen, dtype, device)


@register_op(
    "StatelessRandomNormal",
    inputs=["shape: T", "seed: Tseed"],
    outputs=["output: dtype"],
    attrs=[*_FLOAT_ATTRS, _SEED_ATTR],
    shape=_stateless_shape,
)
def stateless_random_normal(shape, seed, dtype, device):
    gen = _seed_generator(seed)
    return _fill_float(dist.fill_normal, shape, lambda: gen, dtype, device)


@register_op(
    "StatelessTruncatedNormal",
    inputs=["shape: T", "seed: Tseed"],
    outputs=["output: dtype"],
    attrs=[*_FLOAT_ATTRS, _SEED_ATTR],
    shape=_stateless_shape,
)
def stateless_truncated_normal(shape, seed, dtype, device):
    gen = _seed_generator(seed)
    return _fill_float(dist.fill_truncated_normal, shape, lambda: gen, dtype, device)


def _uniform_int(gen, shape, minval, maxval, dtype, device):
    for name, t in (("minval", minval), ("maxval", maxval)):
        if t.dim() != 0:
            raise invalid(f"{name} must be 0-D, got shape {format_dims(t.shape)}")
    dims = _dims(shape)
    n = math.prod(dims)
    if n == 0:
        return torch.zeros(dims, dtype=dtype.torch, device=device)
    lo, hi = int(minval), int(maxval)
    if lo >= hi:
        raise invalid(f"Need minval < maxval, got {lo} >= {hi}")
    return dist.fill_uniform_int(gen, n, lo, hi, dtype.torch, device).reshape(dims)


@register_op(
    "StatelessRandomUniformInt",
    inputs=["shape: T", "seed: Tseed", "minval: dtype", "maxval: dtype"],
    outputs=["output: dtype"],
    attrs=["dtype: {int32, int64}", "T: {int32, int64}", _SEED_ATTR],
    shape=_stateless_int_shape,
)
def stateless_random_uniform_int(shape, seed, minval, maxval, dtype, device):
    return _uniform_int(_seed_generator(seed), shape, minval, maxval, dtype, device)


def _full_int(gen, shape, dtype, device):
    dims = _dims(shape)
    n = math.prod(dims)
    if n == 0:
        return torch.zeros(dims, dtype=dtype.torch, device=device)
    return dist.fill_uniform_full_int(gen, n, dtype.torch, device).reshape(dims)


@register_op(
    "StatelessRandomUniformFullInt",
    inputs=["shape: T", "seed: Tseed"],
    outputs=["output: dtype"],
    attrs=[
        "dtype: {int32, int64, uint32, uint64} = DT_UINT64",
        "T: {int32, int64} = DT_INT32",
        "Tseed: {int32, int64, uint32, uint64} = DT_INT64",
    ],
    shape=_stateless_shape,
)
def stateless_random_uniform_full_int(shape, seed, dtype, device):
    return _full_int(_seed_generator(seed), shape, dtype, device)


# ---------------------------------------------------------------------------------------------
# V2: key, counter, alg

_V2_INPUTS = ["shape: Tshape", "key: uint64", "counter: uint64", "alg: int32"]
_V2_FLOAT_ATTRS = ["dtype: {half, bfloat16, float, double} = DT_FLOAT", "Tshape: {int32, int64} = DT_INT32"]


@register_op(
    "StatelessRandomUniformV2", inputs=_V2_INPUTS, outputs=["output: dtype"], attrs=_V2_FLOAT_ATTRS, shape=_v2_shape
)
def stateless_random_uniform_v2(shape, key, counter, alg, dtype, device):
    return _fill_float(dist.fill_uniform, shape, lambda: _v2_generator(key, counter, alg), dtype, device)


@register_op(
    "StatelessRandomNormalV2", inputs=_V2_INPUTS, outputs=["output: dtype"], attrs=_V2_FLOAT_ATTRS, shape=_v2_shape
)
def stateless_random_normal_v2(shape, key, counter, alg, dtype, device):
    return _fill_float(dist.fill_normal, shape, lambda: _v2_generator(key, counter, alg), dtype, device)


@register_op(
    "StatelessTruncatedNormalV2", inputs=_V2_INPUTS, outputs=["output: dtype"], attrs=_V2_FLOAT_ATTRS, shape=_v2_shape
)
def stateless_truncated_normal_v2(shape, key, counter, alg, dtype, device):
    return _fill_float(dist.fill_truncated_normal, shape, lambda: _v2_generator(key, counter, alg), dtype, device)


@register_op(
    "StatelessRandomUniformIntV2",
    inputs=[*_V2_INPUTS, "minval: dtype", "maxval: dtype"],
    outputs=["output: dtype"],
    attrs=["dtype: {int32, int64, uint32, uint64}", "Tshape: {int32, int64} = DT_INT32"],
    shape=_v2_int_shape,
)
def stateless_random_uniform_int_v2(shape, key, counter, alg, minval, maxval, dtype, device):
    return _uniform_int(_v2_generator(key, counter, alg), shape, minval, maxval, dtype, device)


@register_op(
    "StatelessRandomUniformFullIntV2",
    inputs=_V2_INPUTS,
    outputs=["output: dtype"],
    attrs=["dtype: {int32, int64, uint32, uint64} = DT_UINT64", "Tshape: {int32, int64} = DT_INT32"],
    shape=_v2_shape,
)
def stateless_random_uniform_full_int_v2(shape, key, counter, alg, dtype, device):
    return _full_int(_v2_generator(key, counter, alg), shape, dtype, device)


# ---------------------------------------------------------------------------------------------
# Key/counter helpers


def _key_counter_tensors(seed, device):
    gen = _seed_generator(seed)
    key = torch.tensor([gen.key], dtype=torch.uint64)
    counter = torch.tensor([gen.counter & _MASK64, gen.counter >> 64], dtype=torch.uint64)
    return key.to(device), counter.to(device)


def _key_counter_shape(op):
    _seed_shape(op, 0)
    return [TensorShape([1]), TensorShape([2])]


@register_op(
    "StatelessRandomGetKeyCounter",
    inputs=["seed: Tseed"],
    outputs=["key: uint64", "counter: uint64"],
    attrs=[_SEED_ATTR],
    shape=_key_counter_shape,
)
def stateless_random_get_key_counter(seed, device):
    return _key_counter_tensors(seed, device)


@register_op(
    "StatelessRandomGetAlg",
    outputs=["alg: int32"],
    shape=lambda op: [TensorShape([])],
    stateful=True,
)
def stateless_random_get_alg(device):
    """The default algorithm for the op's device: Philox on CPU and GPU."""
    return torch.tensor(RNG_ALG_PHILOX, dtype=torch.int32, device=device)


@register_op(
    "StatelessRandomGetKeyCounterAlg",
    inputs=["seed: Tseed"],
    outputs=["key: uint64", "counter: uint64", "alg: int32"],
    attrs=[_SEED_ATTR],
    shape=lambda op: [*_key_counter_shape(op), TensorShape([])],
)
def stateless_random_get_key_counter_alg(seed, device):
    key, counter = _key_counter_tensors(seed, device)
    return key, counter, torch.tensor(RNG_ALG_PHILOX, dtype=torch.int32, device=device)


# ---------------------------------------------------------------------------------------------
# StatelessMultinomial


def _multinomial_shape(op):
    batch, _ = input_with_rank(op, 0, 2)
    _seed_shape(op, 2)
    return [TensorShape([batch, scalar_dim(op, 1)])]


@register_op(
    "StatelessMultinomial",
    inputs=["logits: T", "num_samples: int32", "seed: Tseed"],
    outputs=["output: output_dtype"],
    attrs=[
        "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}",
        _SEED_ATTR,
        "output_dtype: {int32, int64} = DT_INT64",
    ],
    shape=_multinomial_shape,
)
def stateless_multinomial(logits, num_samples, seed, output_dtype: DType):
    """Multinomial's CPU kernel (rows sharded over TF's intra-op pool) from the seed's stream start."""
    gen = _seed_generator(seed)
    if logits.dim() != 2:
        raise invalid(f"logits should be a matrix, got shape {format_dims(logits.shape)}")
    if num_samples.dim() != 0:
        raise invalid(f"num_samples should be a scalar, got shape {format_dims(num_samples.shape)}")
    n = int(num_samples)
    if n < 0:
        raise invalid(f"num_samples should be non-negative, got {n}")
    batch, classes = logits.shape
    if classes == 0:
        raise invalid(f"num_classes should be positive, got {classes}")
    if batch == 0 or n == 0:
        return torch.zeros((batch, n), dtype=output_dtype.torch, device=logits.device)
    out = dist.multinomial_rows(gen, logits, n, dist.tf_pool_threads())
    return out.to(device=logits.device, dtype=output_dtype.torch)


not_differentiable(
    "StatelessRandomUniform",
    "StatelessRandomNormal",
    "StatelessTruncatedNormal",
    "StatelessRandomUniformInt",
    "StatelessRandomUniformFullInt",
    "StatelessRandomUniformV2",
    "StatelessRandomNormalV2",
    "StatelessTruncatedNormalV2",
    "StatelessRandomUniformIntV2",
    "StatelessRandomUniformFullIntV2",
    "StatelessMultinomial",
)
# TF registers no gradient for the key/counter helpers.
no_registered_gradient("StatelessRandomGetKeyCounter", "StatelessRandomGetAlg", "StatelessRandomGetKeyCounterAlg")
