"""``tf.*`` random functions (``tf.compat.v1`` of TF 2.21): random_normal, truncated_normal, random_uniform,
... and seeding.

Graphs and seeds are TF 2.21's node for node: ``get_seed`` counts the ops that take their seed from the
graph seed, per graph, and ``random_uniform`` skips the ``min``/``max`` arithmetic for the default
[0, 1) range. With the kernels' Philox streams (torchmeta.ops.random_ops), a seeded program draws
TensorFlow's numbers.
"""

from __future__ import annotations

import weakref

import numpy as np

from torchmeta import dtypes
from torchmeta.api import array_ops
from torchmeta.api.math_ops import add, maximum, multiply
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.tensor_shape import TensorShape

__all__ = [
    "random_normal",
    "truncated_normal",
    "random_uniform",
    "random_shuffle",
    "multinomial",
    "random_gamma",
    "random_poisson",
    "set_random_seed",
    "get_seed",
]

DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2**31 - 1


def _truncate_seed(seed):
    return seed % _MAXINT32  # fits a 32-bit int, as TF's kernels want


# Per graph, how many ops took their op seed from the graph seed (TF's _graph_to_seed_dict).
_graph_to_seed_dict: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def get_seed(op_seed):
    """``tf.compat.v1.get_seed`` (TF 2.21): the (seed, seed2) attrs of a random op.

    With a graph seed and no op seed, the op seed is a per-graph counter (0, 1, 2, ... for each such
    call); with only an op seed, the graph seed is DEFAULT_GRAPH_SEED; with neither, both are None (the
    kernel seeds itself randomly). (0, 0) becomes (0, 2**31 - 1), since 0/0 means "random" to the kernels.
    """
    graph = graph_lib.get_default_graph()
    global_seed = graph.seed
    if global_seed is not None:
        if op_seed is None:
            op_seed = _graph_to_seed_dict.setdefault(graph, 0)
            _graph_to_seed_dict[graph] += 1
        seeds = _truncate_seed(global_seed), _truncate_seed(op_seed)
    elif op_seed is not None:
        seeds = DEFAULT_GRAPH_SEED, _truncate_seed(op_seed)
    else:
        seeds = None, None
    if seeds == (0, 0):
        return 0, _MAXINT32
    return seeds


def set_random_seed(seed):
    """``tf.set_random_seed``: sets the default graph's seed (op seeds derive from it)."""
    graph_lib.get_default_graph().seed = seed


def _shape_tensor(shape):
    """TF's shape_util.shape_tensor: a shape argument as an int32/int64 tensor named ``shape``."""
    dtype = None
    if isinstance(shape, TensorShape):
        shape = shape.as_list()
    if isinstance(shape, (list, tuple)):
        if not shape:
            dtype = dtypes.DType.int32
        else:
            shape = tuple(getattr(d, "value", d) for d in shape)
    return graph_lib.convert_to_tensor(shape, dtype=dtype, name="shape")


def _seed_attrs(seed):
    seed1, seed2 = get_seed(seed)
    return {"seed": seed1, "seed2": seed2}


def _float_dtype(dtype):
    return dtypes.as_dtype(dtype).base_dtype


def random_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.DType.float32, seed=None, name=None):
    """``tf.random_normal``: ``RandomStandardNormal * stddev + mean``."""
    dtype = _float_dtype(dtype)
    with graph_lib.name_scope(name, "random_normal", [shape, mean, stddev]) as name:
        shape_tensor = _shape_tensor(shape)
        mean_tensor = graph_lib.convert_to_tensor(mean, dtype=dtype, name="mean")
        stddev_tensor = graph_lib.convert_to_tensor(stddev, dtype=dtype, name="stddev")
        rnd = raw_op("RandomStandardNormal", shape=shape_tensor, dtype=dtype, **_seed_attrs(seed))
        return add(rnd * stddev_tensor, mean_tensor, name=name)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.DType.float32, seed=None, name=None):
    """``tf.truncated_normal``: normal draws within two standard deviations of ``mean``."""
    dtype = _float_dtype(dtype)
    with graph_lib.name_scope(name, "truncated_normal", [shape, mean, stddev]) as name:
        shape_tensor = _shape_tensor(shape)
        mean_tensor = graph_lib.convert_to_tensor(mean, dtype=dtype, name="mean")
        stddev_tensor = graph_lib.convert_to_tensor(stddev, dtype=dtype, name="stddev")
        rnd = raw_op("TruncatedNormal", shape=shape_tensor, dtype=dtype, **_seed_attrs(seed))
        return add(rnd * stddev_tensor, mean_tensor, name=name)


_UNIFORM_DTYPES = (
    dtypes.DType.float16,
    dtypes.DType.bfloat16,
    dtypes.DType.float32,
    dtypes.DType.float64,
    dtypes.DType.int32,
    dtypes.DType.int64,
)


def random_uniform(shape, minval=0, maxval=None, dtype=dtypes.DType.float32, seed=None, name=None):
    """``tf.random_uniform``: floats in [minval, maxval) (default [0, 1)), or integers (maxval required).

    Raises:
      ValueError: for an unsupported dtype, or an integer dtype without ``maxval``.
    """
    dtype = dtypes.as_dtype(dtype).base_dtype
    if dtype not in _UNIFORM_DTYPES:
        raise ValueError(f"Invalid dtype {dtype!r}")
    if maxval is None:
        if dtype.is_integer:
            raise ValueError(f"Must specify maxval for integer dtype {dtype!r}")
        maxval = 1
    with graph_lib.name_scope(name, "random_uniform", [shape, minval, maxval]) as name:
        shape = _shape_tensor(shape)
        # TF 2.21 skips the arithmetic for Python 0 and 1 bounds.
        minval_is_zero = isinstance(minval, int) and minval == 0
        maxval_is_one = isinstance(maxval, int) and maxval == 1
        if not minval_is_zero or not maxval_is_one or dtype.is_integer:
            minval = graph_lib.convert_to_tensor(minval, dtype=dtype, name="min")
            maxval = graph_lib.convert_to_tensor(maxval, dtype=dtype, name="max")
        seeds = _seed_attrs(seed)
        if dtype.is_integer:
            return raw_op("RandomUniformInt", shape=shape, minval=minval, maxval=maxval, name=name, **seeds)
        result = raw_op("RandomUniform", shape=shape, dtype=dtype, **seeds)
        if minval_is_zero:
            if not maxval_is_one:
                result = multiply(result, maxval)
            return result
        return add(result * (maxval - minval), minval, name=name)


def random_shuffle(value, seed=None, name=None):
    """``tf.random_shuffle``: ``value`` randomly permuted along its first dimension."""
    return raw_op("RandomShuffle", value=value, name=name, **_seed_attrs(seed))


def _multinomial_categorical(logits, num_samples, dtype, seed):
    logits = graph_lib.convert_to_tensor(logits, name="logits")
    dtype = dtypes.as_dtype(dtype) if dtype else dtypes.DType.int64
    if dtype not in (dtypes.DType.int32, dtypes.DType.int64):
        raise ValueError(f"Argument `dtype` got invalid value {dtype}. Accepted dtypes are (tf.int32, tf.int64).")
    return raw_op("Multinomial", logits=logits, num_samples=num_samples, output_dtype=dtype, **_seed_attrs(seed))


def multinomial(logits, num_samples, seed=None, name=None, output_dtype=None):
    """``tf.multinomial``: ``num_samples`` class indices per row of unnormalized log-probabilities."""
    with graph_lib.name_scope(name, "multinomial", [logits]):
        return _multinomial_categorical(logits, num_samples, output_dtype, seed)


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """``tf.random.categorical``: as ``multinomial``, under its TF 2 name and name scope."""
    with graph_lib.name_scope(name, "categorical", [logits]):
        return _multinomial_categorical(logits, num_samples, dtype, seed)


def random_gamma(shape, alpha, beta=None, dtype=dtypes.DType.float32, seed=None, name=None):
    """``tf.random_gamma``: Gamma(alpha, beta) samples of shape ``shape + broadcast(alpha, beta).shape``,
    clamped below at the dtype's smallest normal number as TF clamps them."""
    dtype = dtypes.as_dtype(dtype)
    with graph_lib.name_scope(name, "random_gamma", [shape, alpha, beta]):
        shape = graph_lib.convert_to_tensor(shape, name="shape", dtype=dtypes.DType.int32)
        alpha = graph_lib.convert_to_tensor(alpha, name="alpha", dtype=dtype)
        beta = graph_lib.convert_to_tensor(beta if beta is not None else 1, name="beta", dtype=dtype)
        broadcast_shape = array_ops.broadcast_dynamic_shape(array_ops.shape(alpha), array_ops.shape(beta))
        alpha_broadcast = array_ops.broadcast_to(alpha, broadcast_shape)
        sample = raw_op("RandomGamma", shape=shape, alpha=alpha_broadcast, **_seed_attrs(seed))
        return maximum(float(np.finfo(dtype.as_numpy_dtype).tiny), sample / beta)


def random_poisson(lam, shape, dtype=dtypes.DType.float32, seed=None, name=None):
    """``tf.random_poisson``: Poisson(lam) samples of shape ``shape + lam.shape`` (RandomPoissonV2)."""
    with graph_lib.name_scope(name, "random_poisson", [lam, shape]):
        shape = graph_lib.convert_to_tensor(shape, name="shape", dtype=dtypes.DType.int32)
        return raw_op("RandomPoissonV2", shape=shape, rate=lam, dtype=dtypes.as_dtype(dtype), **_seed_attrs(seed))


# ---------------------------------------------------------------------------------------------
# Stateless (tf.random.stateless_*): the seed's key and counter, then the V2 ops.

_AUTO_SELECT = 3


def _key_counter_alg(seed, alg):
    if alg is None or (isinstance(alg, str) and alg.strip().lower().replace("-", "").replace("_", "") == "autoselect"):
        alg = _AUTO_SELECT
    if alg != _AUTO_SELECT:
        raise ValueError(
            f"Argument `alg` got unsupported value {alg!r}: torchmeta builds TF's 'auto_select' stateless graphs "
            "(StatelessRandomGetKeyCounter); the raw V2 ops accept Philox (alg 1) keys and counters directly."
        )
    key, counter = raw_op("StatelessRandomGetKeyCounter", seed=seed)
    return key, counter, alg


_STATELESS_UNIFORM_DTYPES = (*_UNIFORM_DTYPES, dtypes.DType.uint32, dtypes.DType.uint64)


def stateless_random_uniform(
    shape, seed, minval=0, maxval=None, dtype=dtypes.DType.float32, name=None, alg="auto_select"
):
    """``tf.random.stateless_uniform``: the same numbers for the same ``seed`` (shape [2]) on every run.

    Raises:
      ValueError: for an unsupported dtype, only one integer bound, or an unsupported ``alg``.
    """
    dtype = dtypes.as_dtype(dtype)
    if dtype not in _STATELESS_UNIFORM_DTYPES:
        raise ValueError(
            f"Argument `dtype` got invalid value {dtype}. Accepted dtypes are {_STATELESS_UNIFORM_DTYPES}."
        )
    if dtype.is_integer:
        if (minval is None) != (maxval is None):
            raise ValueError(
                f"For integer `dtype` argument {dtype}, argument `minval` and `maxval` must be both None or "
                f"not None. Got `minval`={minval} and `maxval`={maxval}."
            )
        if minval is not None and dtype in (dtypes.DType.uint32, dtypes.DType.uint64):
            raise ValueError(
                f"Argument `dtype` got invalid value {dtype} when argument `minval` is not None. "
                "Please don't use unsigned integers in this case."
            )
    elif maxval is None:
        maxval = 1
    with graph_lib.name_scope(name, "stateless_random_uniform", [shape, seed, minval, maxval]) as name:
        shape = _shape_tensor(shape)
        if dtype.is_integer and minval is None:
            key, counter, alg = _key_counter_alg(seed, alg)
            return raw_op(
                "StatelessRandomUniformFullIntV2",
                shape=shape,
                key=key,
                counter=counter,
                alg=alg,
                dtype=dtype,
                name=name,
            )
        minval = graph_lib.convert_to_tensor(minval, dtype=dtype, name="min")
        maxval = graph_lib.convert_to_tensor(maxval, dtype=dtype, name="max")
        key, counter, alg = _key_counter_alg(seed, alg)
        if dtype.is_integer:
            return raw_op(
                "StatelessRandomUniformIntV2",
                shape=shape,
                key=key,
                counter=counter,
                alg=alg,
                minval=minval,
                maxval=maxval,
                name=name,
            )
        rnd = raw_op("StatelessRandomUniformV2", shape=shape, key=key, counter=counter, alg=alg, dtype=dtype)
        return add(rnd * (maxval - minval), minval, name=name)


def _stateless_normal(op, default_name, shape, seed, mean, stddev, dtype, name, alg):
    dtype = dtypes.as_dtype(dtype)
    with graph_lib.name_scope(name, default_name, [shape, seed, mean, stddev]) as name:
        shape = _shape_tensor(shape)
        mean = graph_lib.convert_to_tensor(mean, dtype=dtype, name="mean")
        stddev = graph_lib.convert_to_tensor(stddev, dtype=dtype, name="stddev")
        key, counter, alg = _key_counter_alg(seed, alg)
        rnd = raw_op(op, shape=shape, key=key, counter=counter, alg=alg, dtype=dtype)
        return add(rnd * stddev, mean, name=name)


def stateless_random_normal(
    shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.DType.float32, name=None, alg="auto_select"
):
    """``tf.random.stateless_normal``: normals determined by ``seed`` (shape [2])."""
    return _stateless_normal(
        "StatelessRandomNormalV2", "stateless_random_normal", shape, seed, mean, stddev, dtype, name, alg
    )


def stateless_truncated_normal(
    shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.DType.float32, name=None, alg="auto_select"
):
    """``tf.random.stateless_truncated_normal``: normals within two standard deviations, by ``seed``."""
    return _stateless_normal(
        "StatelessTruncatedNormalV2", "stateless_truncated_normal", shape, seed, mean, stddev, dtype, name, alg
    )


def _stateless_multinomial_categorical(logits, num_samples, dtype, seed):
    logits = graph_lib.convert_to_tensor(logits, name="logits")
    dtype = dtypes.as_dtype(dtype) if dtype else dtypes.DType.int64
    if dtype not in (dtypes.DType.int32, dtypes.DType.int64):
        raise ValueError(f"Argument `dtype` got invalid value {dtype}. Accepted dtypes are (tf.int32, tf.int64).")
    return raw_op("StatelessMultinomial", logits=logits, num_samples=num_samples, seed=seed, output_dtype=dtype)


def stateless_multinomial(logits, num_samples, seed, output_dtype=dtypes.DType.int64, name=None):
    """``tf.random.stateless_multinomial``: class indices per row of ``logits``, determined by ``seed``."""
    with graph_lib.name_scope(name, "stateless_multinomial", [logits, seed]):
        return _stateless_multinomial_categorical(logits, num_samples, output_dtype, seed)


def stateless_categorical(logits, num_samples, seed, dtype=dtypes.DType.int64, name=None):
    """``tf.random.stateless_categorical``: as ``stateless_multinomial``, TF 2's name."""
    with graph_lib.name_scope(name, "stateless_categorical", [logits, seed]):
        return _stateless_multinomial_categorical(logits, num_samples, dtype, seed)
