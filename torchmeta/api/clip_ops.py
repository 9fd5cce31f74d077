"""Gradient clipping: ``tf.clip_by_value``, ``clip_by_norm``, ``clip_by_global_norm``, ``global_norm``,
``clip_by_average_norm``, building TF1's graphs (same ops, same names) and numerics.

Each accepts IndexedSlices where TF does (the values are clipped, indices and dense shape kept).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from torchmeta.api import array_ops, math_ops
from torchmeta.api.math_ops import clip_by_value as _clip_tensor_by_value
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import convert_to_tensor, name_scope
from torchmeta.framework.indexed_slices import IndexedSlices
from torchmeta.framework.op_def_library import raw_op

__all__ = ["clip_by_value", "clip_by_norm", "clip_by_global_norm", "global_norm", "clip_by_average_norm"]


def _values(t, name):
    return convert_to_tensor(t.values if isinstance(t, IndexedSlices) else t, name=name)


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """``tf.clip_by_value``: ``maximum(minimum(t, clip_value_max), clip_value_min)``; IndexedSlices keep their indices.

    Raises:
      ValueError: if the clip values would broadcast ``t`` to a larger shape.
    """
    if not isinstance(t, IndexedSlices):
        return _clip_tensor_by_value(t, clip_value_min, clip_value_max, name=name)
    with name_scope(name, "clip_by_value", [t, clip_value_min, clip_value_max]) as name:
        clipped = _clip_tensor_by_value(_values(t, "t"), clip_value_min, clip_value_max, name=name)
        return IndexedSlices(clipped, t.indices, t.dense_shape)


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """``tf.clip_by_norm``: ``t * clip_norm / max(l2norm(t, axes), clip_norm)`` (TF's NaN-safe form)."""
    with name_scope(name, "clip_by_norm", [t, clip_norm]) as name:
        values = _values(t, "t")
        if np.isscalar(clip_norm):
            if clip_norm < 0:
                clip_norm = 0
        else:
            clip_norm = math_ops.cast(math_ops.maximum(clip_norm, 0), dtype=values.dtype)
        l2sum = math_ops.reduce_sum(values * values, axes, keepdims=True)
        pred = l2sum > 0
        l2sum_safe = array_ops.where(pred, l2sum, array_ops.ones_like(l2sum))
        l2norm = array_ops.where(pred, math_ops.sqrt(l2sum_safe), l2sum)
        intermediate = values * clip_norm
        values.shape.assert_is_compatible_with(intermediate.shape)
        values_clip = array_ops.identity(intermediate / math_ops.maximum(l2norm, clip_norm), name=name)
        if isinstance(t, IndexedSlices):
            return IndexedSlices(values_clip, t.indices, t.dense_shape)
        return values_clip


def _check_sequence(t_list):
    if not isinstance(t_list, Sequence) or isinstance(t_list, str):
        raise TypeError(f"`t_list` should be a sequence of tensors. Received {type(t_list)}.")
    return list(t_list)


def global_norm(t_list, name=None):
    """``tf.global_norm``: ``sqrt(sum(l2norm(t)**2 for t in t_list))``, None entries ignored.

    Raises:
      TypeError: if ``t_list`` is not a sequence.
    """
    t_list = _check_sequence(t_list)
    with name_scope(name, "global_norm", t_list) as name:
        values = [None if t is None else _values(t, f"t_{i}") for i, t in enumerate(t_list)]
        half_squared_norms = []
        for v in values:
            if v is not None:
                with graph_lib.colocate_with(v):
                    half_squared_norms.append(raw_op("L2Loss", t=v))
        half_squared_norm = math_ops.reduce_sum(array_ops.stack(half_squared_norms))
        return math_ops.sqrt(
            half_squared_norm * array_ops.constant(2.0, dtype=half_squared_norm.dtype), name="global_norm"
        )


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """``tf.clip_by_global_norm``: every tensor scaled by ``clip_norm / max(global_norm, clip_norm)``.

    Returns:
      (the clipped list, the global norm). None entries stay None; IndexedSlices stay IndexedSlices.

    Raises:
      TypeError: if ``t_list`` is not a sequence.
    """
    t_list = _check_sequence(t_list)
    if use_norm is None:
        use_norm = global_norm(t_list, name)
    with name_scope(name, "clip_by_global_norm", [*t_list, clip_norm]) as name:
        scale_for_finite = clip_norm * math_ops.minimum(
            1.0 / use_norm, array_ops.constant(1.0, dtype=use_norm.dtype) / clip_norm
        )
        # A NaN or infinite norm makes every value NaN, as in TF.
        scale = scale_for_finite + (use_norm - use_norm)
        values = [None if t is None else _values(t, f"t_{i}") for i, t in enumerate(t_list)]
        values_clipped = []
        for i, v in enumerate(values):
            if v is None:
                values_clipped.append(None)
                continue
            with graph_lib.colocate_with(v):
                values_clipped.append(array_ops.identity(v * math_ops.cast(scale, v.dtype), name=f"{name}_{i}"))
        list_clipped = [
            IndexedSlices(c, t.indices, t.dense_shape) if isinstance(t, IndexedSlices) else c
            for c, t in zip(values_clipped, t_list)
        ]
    return list_clipped, use_norm


def clip_by_average_norm(t, clip_norm, name=None):
    """``tf.clip_by_average_norm`` (TF1): ``t * clip_norm / max(l2norm(t) / size(t), clip_norm)``."""
    with name_scope(name, "clip_by_average_norm", [t, clip_norm]) as name:
        t = convert_to_tensor(t, name="t")
        n_element = math_ops.cast(array_ops.size(t), DType.float32)
        l2norm_inv = math_ops.rsqrt(math_ops.reduce_sum(t * t, math_ops.range(array_ops.rank(t))))
        return array_ops.identity(
            t * clip_norm * math_ops.minimum(l2norm_inv * n_element, array_ops.constant(1.0) / clip_norm),
            name=name,
        )
