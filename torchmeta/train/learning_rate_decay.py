"""``tf.train.*_decay``: TF1's learning-rate schedules, building the graphs TensorFlow builds.

TensorFlow 2.21's ``tf.compat.v1.train.exponential_decay`` and friends call Keras' legacy
``LearningRateSchedule`` classes on the global step in graph mode; each function here builds the same
nodes with the same names (``ExponentialDecay/initial_learning_rate``, ``ExponentialDecay/Pow``, ...,
and the result named after the scope), so the schedule's value at every step equals TensorFlow's.
``piecewise_constant`` and ``cosine_decay_restarts`` are not here yet: TensorFlow builds them with
``tf.case`` / ``tf.cond``, which torchmeta does not have yet.
"""

from __future__ import annotations

import math

from torchmeta.api import array_ops, math_ops, random_ops
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import convert_to_tensor

__all__ = [
    "exponential_decay",
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
