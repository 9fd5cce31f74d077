"""Graph-time constant folding: an op's kernel run on static inputs, as TF's shape refiner evaluates
constant subgraphs, so ``tensor_util.constant_value`` (and the shape functions using it) see through
shape arithmetic. Bounded by ``registry.FOLD_LIMIT`` so graph construction stays cheap.

An op family declares which of its ops may be folded: ``foldable("Pack", "ConcatV2", ...)``.
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta.dtypes import DType, numpy_to_torch, torch_to_numpy
from torchmeta.framework import registry, tensor_util

__all__ = ["foldable", "fold_with_kernel"]


class _NotFoldableError(Exception):
    pass


def _fold_context(op, name):
    if name == "device":
        return torch.device("cpu")
    if name == "node_name":
        return op.name
    raise _NotFoldableError(name)


def fold_with_kernel(op, index):
    """Output ``index`` of ``op`` computed by its kernel from its inputs' static values, or None."""
    info = registry.get(op.type)
    values = {}
    for t in op.inputs:
        v = tensor_util.constant_value(t)
        if v is None or v.size > registry.FOLD_LIMIT:
            return None
        values[t] = v

    def value_of(t, is_ref):
        v = values[t]
        dt = t.dtype.base_dtype
        return v if dt is DType.string else numpy_to_torch(np.asarray(v), dt)  # keeps 0-d values 0-d

    try:
        kernel, args, kwargs = info.bind(op, value_of, lambda name: _fold_context(op, name))
    except _NotFoldableError:
        return None
    try:
        out = kernel(*args, **kwargs)
    except Exception:  # an invalid constant input is reported when the graph runs, as in TF
        return None
    if isinstance(out, (tuple, list)):
        out = out[index]
    if isinstance(out, np.ndarray):
        return out
    result = torch_to_numpy(out.detach(), op.outputs[index].dtype.base_dtype)
    if result.size > registry.FOLD_LIMIT:
        return None
    return result


def _fold_integers(op, index):
    # Only for shape functions (TF's C++ shape refiner): TF's Python constant_value does not fold arithmetic,
    # and API functions that branch on it (e.g. reshape-or-not in the metrics) must build TF's graph.
    if not tensor_util.in_shape_function() or not op.outputs[index].dtype.base_dtype.is_integer:
        return None
    return fold_with_kernel(op, index)


def foldable(*op_types, integers_only: bool = False):
    """Lets ``tensor_util.constant_value`` fold ``op_types`` by running their kernels; with
    ``integers_only``, only integer outputs and only inside shape functions (shape arithmetic, as TF's
    shape refiner evaluates it, where TF's Python constant_value sees nothing)."""
    tensor_util.register_constant_value(*op_types)(_fold_integers if integers_only else fold_with_kernel)
