"""Weight regularizers for ``get_variable``/``tf.layers`` (tf.keras.regularizers, as TF 2.21's TF1
programs use them): L1, L2, L1L2, building tf_keras' graphs. Any callable ``fn(weights) -> loss``
works as a regularizer too; the losses land in REGULARIZATION_LOSSES."""

from __future__ import annotations

import math

import numpy as np

from torchmeta.api import math_ops, nn_ops
from torchmeta.framework import constant_op

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get"]


def _check_penalty_number(x):
    if not isinstance(x, (float, int)):
        raise ValueError(f"Value {x} is not a valid regularization penalty number, expected an int or float value.")
    if math.isinf(x) or math.isnan(x):
        raise ValueError(
            f"Value {x} is not a valid regularization penalty number, an infinite number or NaN are not valid values."
        )


class Regularizer:
    """A callable ``weights -> scalar loss``."""

    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x ** 2)`` (from a zero Const, as tf_keras builds it)."""

    def __init__(self, l1=0.0, l2=0.0):
        l1 = 0.0 if l1 is None else l1
        l2 = 0.0 if l2 is None else l2
        _check_penalty_number(l1)
        _check_penalty_number(l2)
        self.l1 = np.float32(l1)
        self.l2 = np.float32(l2)

    def __call__(self, x):
        regularization = constant_op.constant(0.0, dtype=x.dtype)
        if self.l1:
            regularization += self.l1 * math_ops.reduce_sum(math_ops.abs(x))
        if self.l2:
            regularization += 2.0 * self.l2 * nn_ops.l2_loss(x)
        return regularization

    def get_config(self):
        return {"l1": float(self.l1), "l2": float(self.l2)}


class L1(Regularizer):
    """``l1 * sum(|x|)``."""

    def __init__(self, l1=0.01, **kwargs):
        l1 = kwargs.pop("l", l1)
        if kwargs:
            raise TypeError(f"Argument(s) not recognized: {kwargs}")
        l1 = 0.01 if l1 is None else l1
        _check_penalty_number(l1)
        self.l1 = np.float32(l1)

    def __call__(self, x):
        return self.l1 * math_ops.reduce_sum(math_ops.abs(x))

    def get_config(self):
        return {"l1": float(self.l1)}


class L2(Regularizer):
    """``l2 * sum(x ** 2)`` (as ``2 * l2 * l2_loss(x)``)."""

    def __init__(self, l2=0.01, **kwargs):
        l2 = kwargs.pop("l", l2)
        if kwargs:
            raise TypeError(f"Argument(s) not recognized: {kwargs}")
        l2 = 0.01 if l2 is None else l2
        _check_penalty_number(l2)
        self.l2 = np.float32(l2)

    def __call__(self, x):
        return 2.0 * self.l2 * nn_ops.l2_loss(x)

    def get_config(self):
        return {"l2": float(self.l2)}


def l1_l2(l1=0.01, l2=0.01):
    """An L1L2 regularizer (both penalties 0.01 by default)."""
    return L1L2(l1=l1, l2=l2)


l1 = L1
l2 = L2


def get(identifier):
    """A regularizer from None, a callable, a name ("l1", "l2", "l1_l2") or a config dict.

    Raises:
      ValueError: for anything else.
    """
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, str):
        return {"l1": L1, "l2": L2, "l1_l2": l1_l2, "l1l2": L1L2}[identifier.lower()]()
    if isinstance(identifier, dict):
        cls = {"L1": L1, "L2": L2, "L1L2": L1L2}[identifier["class_name"]]
        return cls.from_config(identifier.get("config", {}))
    raise ValueError(f"Could not interpret regularizer identifier: {identifier}")
