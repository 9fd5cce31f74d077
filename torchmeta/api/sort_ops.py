"""``tf.sort`` and ``tf.argsort`` (TF's python/ops/sort_ops.py): TopKV2 over the whole axis, the axis
transposed last and the values negated for ascending order, as TF builds them."""

from __future__ import annotations

import numpy as np

from torchmeta.api import array_ops, math_ops, nn_ops
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import tensor_util
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import name_scope

__all__ = ["sort", "argsort"]


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """``tf.sort``: ``values`` sorted along ``axis`` (a constant scalar).

    Raises:
      ValueError: for a direction other than ASCENDING/DESCENDING or a non-constant axis.
    """
    with name_scope(name, "sort"):
        return _sort_or_argsort(values, axis, direction, return_argsort=False)


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """``tf.argsort``: the int32 indices that sort ``values`` along ``axis`` (``stable`` is unused, as in TF:
    TopKV2 keeps equal values in index order)."""
    del stable
    with name_scope(name, "argsort"):
        return _sort_or_argsort(values, axis, direction, return_argsort=True)


def _sort_or_argsort(values, axis, direction, return_argsort):
    if direction not in _SORT_IMPL:
        valid_directions = ", ".join(sorted(_SORT_IMPL))
        raise ValueError(f"Argument `direction` should be one of {valid_directions}. Received: direction={direction}")
    axis = graph_lib.convert_to_tensor(axis, name="axis")
    axis_static = tensor_util.constant_value(axis)
    if axis.shape.ndims not in (None, 0) or axis_static is None:
        raise ValueError(f"Argument `axis` must be a constant scalar. Received: axis={axis}.")
    values = graph_lib.convert_to_tensor(values, name="values")
    return _SORT_IMPL[direction](values, int(axis_static), return_argsort)


def _descending_sort(values, axis, return_argsort=False):
    k = array_ops.shape(values)[axis]
    rank = array_ops.rank(values)
    static_rank = values.shape.ndims
    if axis == -1 or axis + 1 == values.shape.ndims:
        top_k_input = values
        transposition = None
    else:
        if axis < 0:
            axis += static_rank or rank
        if static_rank is not None:
            transposition = constant(
                np.r_[np.arange(axis), [static_rank - 1], np.arange(axis + 1, static_rank - 1), [axis]],
                name="transposition",
            )
        else:
            transposition = array_ops.tensor_scatter_update(
                math_ops.range(rank), [[axis], [rank - 1]], [rank - 1, axis]
            )
        top_k_input = array_ops.transpose(values, transposition)
    values, indices = nn_ops.top_k(top_k_input, k)
    return_value = indices if return_argsort else values
    if transposition is not None:
        return_value = array_ops.transpose(return_value, transposition)
    return return_value


def _ascending_sort(values, axis, return_argsort=False):
    dtype = values.dtype
    if dtype.is_unsigned:
        offset = dtype.max
        values_or_indices = _descending_sort(offset - values, axis, return_argsort)
        return values_or_indices if return_argsort else offset - values_or_indices
    if dtype.is_integer:
        values_or_indices = _descending_sort(-values - 1, axis, return_argsort)
        return values_or_indices if return_argsort else -values_or_indices - 1
    values_or_indices = _descending_sort(-values, axis, return_argsort)
    return values_or_indices if return_argsort else -values_or_indices


_SORT_IMPL = {"ASCENDING": _ascending_sort, "DESCENDING": _descending_sort}
