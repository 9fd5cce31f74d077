"""``smart_cond`` / ``smart_case`` (TF's framework/smart_cond.py): a Python branch when the predicate is
known while building, else ``tf.cond`` / ``tf.case``. The TF1 layers (dropout, batch normalization) build
their ``training`` switch with it. It lives in ``api`` because it builds ``tf.cond``."""

from __future__ import annotations

from torchmeta.api import control_flow_case
from torchmeta.api.cond import cond
from torchmeta.framework import tensor_util
from torchmeta.framework.graph import Tensor

__all__ = ["smart_cond", "smart_constant_value", "smart_case"]


def smart_cond(pred, true_fn=None, false_fn=None, name=None):
    """``true_fn()`` if ``pred`` is True, ``false_fn()`` if False, ``tf.cond`` when it is only known at run time.

    Raises:
      TypeError: a branch that is not callable, or a ``pred`` that is neither a Tensor, a bool, 1 nor 0.
    """
    if not callable(true_fn):
        raise TypeError(f"Argument `true_fn` must be callable. Received {true_fn}")
    if not callable(false_fn):
        raise TypeError(f"Argument `false_fn` must be callable. Received {false_fn}")
    pred_value = smart_constant_value(pred)
    if pred_value is not None:
        return true_fn() if pred_value else false_fn()
    return cond(pred, true_fn=true_fn, false_fn=false_fn, name=name)


def smart_constant_value(pred):
    """True or False for a predicate known while building, None for one known only at run time.

    Raises:
      TypeError: a ``pred`` that is neither a Tensor, a bool, 1 nor 0 (TensorFlow's message).
    """
    if isinstance(pred, Tensor):
        value = tensor_util.constant_value(pred)
        return None if value is None else bool(value)
    if isinstance(pred, bool) or (isinstance(pred, int) and pred in (0, 1)) or type(pred).__name__ == "bool_":
        return bool(pred)
    raise TypeError(
        "Argument `pred` must be a Tensor, or a Python bool, or 1 or 0. "
        f"Received: pred={pred} of type {type(pred).__name__}"
    )


def smart_case(pred_fn_pairs, default=None, exclusive=False, name="smart_case"):
    """``tf.case`` whose Python-bool (or constant) predicates are decided while building."""
    return control_flow_case.case_helper(smart_cond, pred_fn_pairs, default, exclusive, name, allow_python_preds=True)
