"""``tf.*`` random functions (TF1): random_normal, truncated_normal, random_uniform, ... and seeding.

Graph structure follows TensorFlow 2.21's ``tf.compat.v1``: ``random_uniform`` builds ``min``/``max``
and ``rnd * (max - min) + min`` unless the range is the default [0, 1) given as Python ints.
``get_seed`` derives an op seed from the graph's ``_last_id`` when only the graph seed is set (TF1's
rule; TF 2.x counts op seeds per graph instead).
"""

from __future__ import annotations

from torchmeta import dtypes
from torchmeta.api.math_ops import add, multiply
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.tensor_shape import TensorShape

__all__ = [
    "random_normal",
    "truncated_normal",
    "random_uniform",
    "random_shuffle",
    "multinomial",
    "set_random_seed",
    "get_seed",
]

DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2**31 - 1


def _truncate_seed(seed):
    return seed % _MAXINT32  # fits a 32-bit int, as TF's kernels want


def get_seed(op_seed):
    """TF1's ``random_seed.get_seed``: the (seed, seed2) attrs of a random op.

    With a graph seed and no op seed, the op seed is the graph's ``_last_id`` (the number of ops
    created so far); with only an op seed, the graph seed is DEFAULT_GRAPH_SEED; with neither, both
    are None (the kernel seeds itself randomly). (0, 0) becomes (0, 2**31 - 1), since 0/0 means
    "random" to the kernels.
    """
    graph = graph_lib.get_default_graph()
    global_seed = graph.seed
    if global_seed is not None:
        if op_seed is None:
            op_seed = graph._last_id
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
        # TF 2.x leaves [0, 1) floats to the op alone (Python int bounds only, as TF checks).
        minval_is_zero = isinstance(minval, int) and minval == 0
        maxval_is_one = isinstance(maxval, int) and maxval == 1
        if not minval_is_zero or not maxval_is_one or dtype.is_integer:
            minval = graph_lib.convert_to_tensor(minval, dtype=dtype, name="min")
            maxval = graph_lib.convert_to_tensor(maxval, dtype=dtype, name="max")
        seeds = _seed_attrs(seed)
        if dtype.is_integer:
            return raw_op("RandomUniformInt", shape=shape, minval=minval, maxval=maxval, name=name, **seeds)
        rnd = raw_op("RandomUniform", shape=shape, dtype=dtype, **seeds)
        if minval_is_zero:
            return rnd if maxval_is_one else multiply(rnd, maxval)
        return add(rnd * (maxval - minval), minval, name=name)


def random_shuffle(value, seed=None, name=None):
    """``tf.random_shuffle``: ``value`` randomly permuted along its first dimension."""
    return raw_op("RandomShuffle", value=value, name=name, **_seed_attrs(seed))


def multinomial(logits, num_samples, seed=None, name=None, output_dtype=None):
    """``tf.multinomial``: ``num_samples`` class indices per row of unnormalized log-probabilities."""
    with graph_lib.name_scope(name, "multinomial", [logits]):
        logits = graph_lib.convert_to_tensor(logits, name="logits")
        dtype = dtypes.as_dtype(output_dtype) if output_dtype else dtypes.DType.int64
        if dtype not in (dtypes.DType.int32, dtypes.DType.int64):
            raise ValueError(f"Argument `dtype` got invalid value {dtype}. Accepted dtypes are (tf.int32, tf.int64).")
        return raw_op("Multinomial", logits=logits, num_samples=num_samples, output_dtype=dtype, **_seed_attrs(seed))
