"""``tf.train.*_decay``: TF1's learning-rate schedules, building the graphs TensorFlow builds.

TensorFlow 2.21's ``tf.compat.v1.train.exponential_decay`` and friends call Keras' legacy
``LearningRateSchedule`` classes on the global step in graph mode; each function here builds the same
nodes with the same names (``ExponentialDecay/initial_learning_rate``, ``ExponentialDecay/Pow``, ...,
and the result named after the scope), so the schedule's value at every step equals TensorFlow's.
``piecewise_constant`` builds TensorFlow's exclusive ``tf.case`` over the intervals and
``cosine_decay_restarts`` its ``tf.cond`` between the geometric and the plain restart arithmetic.
"""

from __future__ import annotations

import math

from torchmeta import dtypes
from torchmeta.api import array_ops, math_ops, random_ops
from torchmeta.api.cond import cond
from torchmeta.api.control_flow_case import case
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import nest
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import convert_to_tensor

__all__ = [
    "exponential_decay",
    "piecewise_constant",
    "piecewise_constant_decay",
    "cosine_decay_restarts",
    "polynomial_decay",
    "natural_exp_decay",
    "inverse_time_decay",
    "cosine_decay",
    "linear_cosine_decay",
    "noisy_linear_cosine_decay",
]


def _initial(learning_rate):
    return convert_to_tensor(learning_rate, name="initial_learning_rate")


def _check_step(global_step, fn_name):
    if global_step is None:
        raise ValueError(f"global_step is required for {fn_name}.")


def exponential_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None):
    """``learning_rate * decay_rate ** (global_step / decay_steps)`` (the exponent floored when ``staircase``)."""
    with graph_lib.name_scope(name or "ExponentialDecay") as scope:
        lr = _initial(learning_rate)
        dtype = lr.dtype
        decay_steps = math_ops.cast(decay_steps, dtype)
        decay_rate = math_ops.cast(decay_rate, dtype)
        p = math_ops.cast(global_step, dtype) / decay_steps
        if staircase:
            p = math_ops.floor(p)
        return math_ops.multiply(lr, math_ops.pow(decay_rate, p), name=scope)


def piecewise_constant(x, boundaries, values, name=None):
    """``values[0]`` while ``x <= boundaries[0]``, ``values[i]`` for ``boundaries[i-1] < x <= boundaries[i]``,
    ``values[-1]`` past the last boundary: an exclusive ``tf.case`` (TF's PiecewiseConstant scope).

    Example::

        lr = tf.train.piecewise_constant(global_step, [1000, 2000], [0.1, 0.01, 0.001])

    Raises:
      ValueError: boundaries of another dtype than ``x`` (int32 ones are promoted for an int64 ``x``),
        values of mixed dtypes, or ``len(boundaries) != len(values) - 1`` (TensorFlow's messages).
    """
    boundaries = [convert_to_tensor(b) for b in nest.flatten(boundaries)]
    values = [convert_to_tensor(v) for v in nest.flatten(values)]
    x_recomp = convert_to_tensor(x)
    for i, b in enumerate(boundaries):
        if b.dtype.base_dtype != x_recomp.dtype.base_dtype:
            if b.dtype.base_dtype == dtypes.DType.int32 and x_recomp.dtype.base_dtype == dtypes.DType.int64:
                boundaries[i] = math_ops.cast(b, x_recomp.dtype.base_dtype)
            else:
                raise ValueError(
                    f"Boundaries ({b.dtype.base_dtype}) must have the same dtype as x ({x_recomp.dtype.base_dtype})."
                )
    for v in values[1:]:
        if v.dtype.base_dtype != values[0].dtype.base_dtype:
            raise ValueError(
                "Values must have elements all with the same dtype "
                f"({values[0].dtype.base_dtype} vs {v.dtype.base_dtype})."
            )
    if len(boundaries) != len(values) - 1:
        raise ValueError("The length of boundaries should be 1 less than the length of values")
    with graph_lib.name_scope(name or "PiecewiseConstant"):
        for i, b in enumerate(boundaries):
            if b.dtype.base_dtype != x_recomp.dtype.base_dtype:
                boundaries[i] = math_ops.cast(b, x_recomp.dtype.base_dtype)
        pred_fn_pairs = [
            (x_recomp <= boundaries[0], lambda: values[0]),
            (x_recomp > boundaries[-1], lambda: values[-1]),
        ]
        for low, high, v in zip(boundaries[:-1], boundaries[1:], values[1:-1]):
            pred_fn_pairs.append(((x_recomp > low) & (x_recomp <= high), lambda v=v: v))
        # Exclusive and exhaustive already; tf.case still wants a default.
        return case(pred_fn_pairs, lambda: values[0], exclusive=True)


piecewise_constant_decay = piecewise_constant


def cosine_decay_restarts(learning_rate, global_step, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name=None):
    """Cosine decay with warm restarts (SGDR): periods of ``first_decay_steps * t_mul ** i`` steps, the
    ``i``-th starting at ``learning_rate * m_mul ** i`` (TF's SGDRDecay scope, a ``tf.cond`` on ``t_mul == 1``).

    Raises:
      ValueError: without a ``global_step`` (TensorFlow's message).
    """
    _check_step(global_step, "cosine decay restarts")
    with graph_lib.name_scope(name or "SGDRDecay") as scope:
        lr = _initial(learning_rate)
        dtype = lr.dtype
        first_decay_steps = math_ops.cast(first_decay_steps, dtype)
        alpha = math_ops.cast(alpha, dtype)
        t_mul = math_ops.cast(t_mul, dtype)
        m_mul = math_ops.cast(m_mul, dtype)
        completed_fraction = math_ops.cast(global_step, dtype) / first_decay_steps

        def compute_step(completed_fraction, geometric=False):
            if geometric:
                i_restart = math_ops.floor(math_ops.log(1.0 - completed_fraction * (1.0 - t_mul)) / math_ops.log(t_mul))
                sum_r = (1.0 - t_mul**i_restart) / (1.0 - t_mul)
                completed_fraction = (completed_fraction - sum_r) / t_mul**i_restart
            else:
                i_restart = math_ops.floor(completed_fraction)
                completed_fraction -= i_restart
            return i_restart, completed_fraction

        i_restart, completed_fraction = cond(
            math_ops.equal(t_mul, 1.0),
            lambda: compute_step(completed_fraction, geometric=False),
            lambda: compute_step(completed_fraction, geometric=True),
        )
        m_fac = m_mul**i_restart
        cosine_decayed = 0.5 * m_fac * (1.0 + math_ops.cos(constant(math.pi) * completed_fraction))
        decayed = (1 - alpha) * cosine_decayed + alpha
        return math_ops.multiply(lr, decayed, name=scope)


def natural_exp_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None):
    """``learning_rate * exp(-decay_rate * global_step / decay_steps)`` (floored exponent when ``staircase``)."""
    natural_exp_rate = math_ops.exp(math_ops.negative(decay_rate))
    return exponential_decay(learning_rate, global_step, decay_steps, natural_exp_rate, staircase, name)


def inverse_time_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None):
    """``learning_rate / (1 + decay_rate * global_step / decay_steps)`` (floored when ``staircase``)."""
    with graph_lib.name_scope(name or "InverseTimeDecay") as scope:
        lr = _initial(learning_rate)
        dtype = lr.dtype
        decay_steps = math_ops.cast(decay_steps, dtype)
        decay_rate = math_ops.cast(decay_rate, dtype)
        p = math_ops.cast(global_step, dtype) / decay_steps
        if staircase:
            p = math_ops.floor(p)
        const = math_ops.cast(constant(1), dtype)
        denom = math_ops.add(const, math_ops.multiply(decay_rate, p))
        return math_ops.divide(lr, denom, name=scope)


def polynomial_decay(
    learning_rate, global_step, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False, name=None
):
    """From ``learning_rate`` to ``end_learning_rate`` along ``(1 - step / decay_steps) ** power``.

    With ``cycle``, ``decay_steps`` grows to the next multiple past the step; without, the step is
    clipped at ``decay_steps``.
    """
    with graph_lib.name_scope(name or "PolynomialDecay") as scope:
        lr = _initial(learning_rate)
        dtype = lr.dtype
        end_lr = math_ops.cast(end_learning_rate, dtype)
        power = math_ops.cast(power, dtype)
        step = math_ops.cast(global_step, dtype)
        decay_steps_recomp = math_ops.cast(decay_steps, dtype)
        if cycle:
            multiplier = array_ops.where_v2(math_ops.equal(step, 0), 1.0, math_ops.ceil(step / decay_steps))
            decay_steps_recomp = math_ops.multiply(decay_steps_recomp, multiplier)
        else:
            step = math_ops.minimum(step, decay_steps_recomp)
        p = math_ops.divide(step, decay_steps_recomp)
        return math_ops.add(math_ops.multiply(lr - end_lr, math_ops.pow(1 - p, power)), end_lr, name=scope)


def cosine_decay(learning_rate, global_step, decay_steps, alpha=0.0, name=None):
    """Cosine annealing from ``learning_rate`` to ``alpha * learning_rate`` over ``decay_steps``."""
    _check_step(global_step, "cosine decay")
    with graph_lib.name_scope(name or "CosineDecay"):
        lr = _initial(learning_rate)
        dtype = lr.dtype
        decay_steps = math_ops.cast(decay_steps, dtype)
        step = math_ops.minimum(math_ops.cast(global_step, dtype), decay_steps)
        completed_fraction = step / decay_steps
        cosine_decayed = 0.5 * (1.0 + math_ops.cos(constant(math.pi) * completed_fraction))
        decayed = (1 - alpha) * cosine_decayed + alpha
        return math_ops.multiply(lr, decayed)


def linear_cosine_decay(learning_rate, global_step, decay_steps, num_periods=0.5, alpha=0.0, beta=0.001, name=None):
    """Linear decay times a cosine of ``num_periods`` periods (Bello et al.), plus ``beta``."""
    _check_step(global_step, "linear cosine decay")
    with graph_lib.name_scope(name or "LinearCosineDecay") as scope:
        lr = _initial(learning_rate)
        dtype = lr.dtype
        decay_steps = math_ops.cast(decay_steps, dtype)
        num_periods = math_ops.cast(num_periods, dtype)
        alpha = math_ops.cast(alpha, dtype)
        beta = math_ops.cast(beta, dtype)
        step = math_ops.minimum(math_ops.cast(global_step, dtype), decay_steps)
        linear_decayed = (decay_steps - step) / decay_steps
        completed_fraction = step / decay_steps
        fraction = 2.0 * num_periods * completed_fraction
        cosine_decayed = 0.5 * (1.0 + math_ops.cos(constant(math.pi) * fraction))
        linear_cosine_decayed = (alpha + linear_decayed) * cosine_decayed + beta
        return math_ops.multiply(lr, linear_cosine_decayed, name=scope)


def noisy_linear_cosine_decay(
    learning_rate,
    global_step,
    decay_steps,
    initial_variance=1.0,
    variance_decay=0.55,
    num_periods=0.5,
    alpha=0.0,
    beta=0.001,
    name=None,
):
    """``linear_cosine_decay`` with Gaussian noise of decaying variance added to the linear part."""
    _check_step(global_step, "noisy linear cosine decay")
    with graph_lib.name_scope(name or "NoisyLinearCosineDecay") as scope:
        lr = _initial(learning_rate)
        dtype = lr.dtype
        decay_steps = math_ops.cast(decay_steps, dtype)
        initial_variance = math_ops.cast(initial_variance, dtype)
        variance_decay = math_ops.cast(variance_decay, dtype)
        num_periods = math_ops.cast(num_periods, dtype)
        alpha = math_ops.cast(alpha, dtype)
        beta = math_ops.cast(beta, dtype)
        step = math_ops.minimum(math_ops.cast(global_step, dtype), decay_steps)
        linear_decayed = (decay_steps - step) / decay_steps
        variance = initial_variance / (math_ops.pow(1.0 + step, variance_decay))
        std = math_ops.sqrt(variance)
        noisy = linear_decayed + random_ops.random_normal(linear_decayed.shape, stddev=std)
        completed_fraction = step / decay_steps
        fraction = 2.0 * num_periods * completed_fraction
        cosine_decayed = 0.5 * (1.0 + math_ops.cos(constant(math.pi) * fraction))
        return math_ops.multiply(lr, (alpha + noisy) * cosine_decayed + beta, name=scope)
