"""Graph-time constant evaluation as TF's C++ shape refiner does it (``EvaluateConstantTensor`` in
core/common_runtime/eval_const_tensor.cc): Shape, Rank, Size and ``shape(x)[i]`` from static shapes, else
the kernel of a stateless op run on its inputs' values, recursively down to Consts. Shape functions see
these values through ``tensor_util.constant_value`` (TF's Python ``constant_value`` folds far less);
``tensor_util.evaluate_constant_tensor`` asks for them anywhere. Bounded by ``registry.FOLD_LIMIT`` so
graph construction stays cheap.
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta.dtypes import DType, numpy_to_torch, torch_to_numpy
from torchmeta.framework import registry, tensor_util

__all__ = ["evaluate_constant", "fold_with_kernel"]

# TF's IsSupportedForEvaluation refuses control-flow frames and fed placeholders. Switch and the loop
# nodes are refused too: their kernels here work on dead-branch markers, not plain values.
_NOT_EVALUATED = frozenset(
    {
        "Enter",
        "RefEnter",
        "Exit",
        "RefExit",
        "Merge",
        "RefMerge",
        "Switch",
        "RefSwitch",
        "NextIteration",
        "RefNextIteration",
        "LoopCond",
        "PlaceholderWithDefault",
    }
)
# Outputs that are handles or host objects here, not arrays (TF could fold variants; no shape function
# reads their values).
_NOT_VALUES = frozenset({DType.resource, DType.variant})


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
    if info is None or info.kernel is None:
        return None
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
    if not isinstance(out, torch.Tensor):
        return None
    result = torch_to_numpy(out.detach(), op.outputs[index].dtype.base_dtype)
    if result.size > registry.FOLD_LIMIT:
        return None
    return result


def _int_result(dtype, data, shape):
    if dtype is DType.int32 and any(v >= np.iinfo(np.int32).max for v in data):
        return None  # TF: "Value is out of int32 range" (the refiner then knows nothing)
    return np.array(data, dtype=dtype.numpy).reshape(shape)


def _slice_index(op, index):
    """TF's GetSliceIndex: ``i`` when ``op`` is ``unstack(t)[i]`` or ``t[i]`` with a constant ``i``."""
    if op.type == "Unpack":
        return index if op.get_attr("axis") == 0 else None
    if op.type == "StridedSlice":
        masks = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask")
        if any(op.get_attr(m) != 0 for m in masks) or op.get_attr("shrink_axis_mask") != 1:
            return None
        begin = op.inputs[1].op
        if begin.type != "Const":
            return None
        value = tensor_util.MakeNdarray(begin.get_attr("value"))
        if value.dtype not in (np.int32, np.int64) or value.size != 1:
            return None
        return int(value.reshape(-1)[0])
    return None


def _infer_from_shapes(op, index):
    """TF's TryInferFromShapes: tf.shape/rank/size(x), tf.shape(x)[i], tf.unstack(tf.shape(x))[i]."""
    if not op.inputs or index >= len(op.outputs):
        return None
    dtype = op.outputs[index].dtype.base_dtype
    if dtype not in (DType.int32, DType.int64):
        return None
    if op.type == "Shape":
        shape = op.inputs[0].shape
        return _int_result(dtype, shape.as_list(), (shape.rank,)) if shape.is_fully_defined() else None
    if op.type == "Rank":
        rank = op.inputs[0].shape.rank
        return None if rank is None else _int_result(dtype, [rank], ())
    if op.type == "Size":
        shape = op.inputs[0].shape
        return _int_result(dtype, [shape.num_elements()], ()) if shape.is_fully_defined() else None
    source = op.inputs[0].op
    if source.type == "Shape" and source.inputs[0].shape.rank is not None:
        dims = source.inputs[0].shape.as_tuple()
        i = _slice_index(op, index)
        if i is not None and -len(dims) <= i < len(dims) and dims[i] is not None:
            return _int_result(dtype, [dims[i]], ())
    return None


def _supported(op) -> bool:
    """TF's IsSupportedForEvaluation, for an op that is not a Const."""
    if not op.inputs or op.type in _NOT_EVALUATED or op.op_def.is_stateful:
        return False
    if any(t.dtype.base_dtype in _NOT_VALUES for t in op.outputs):
        return False
    for value in op._attrs.values():  # function-valued attrs: TF evaluates without a function library
        if value.HasField("func") or (value.HasField("list") and len(value.list.func)):
            return False
    return True


def evaluate_constant(op, index):
    """Output ``index`` of ``op`` as TF's C++ shape refiner evaluates it, or None."""
    if op.type == "Const":
        return tensor_util.MakeNdarray(op.get_attr("value"))
    value = _infer_from_shapes(op, index)
    if value is not None or not _supported(op):
        return value
    return fold_with_kernel(op, index)


tensor_util.register_shape_refiner_value(evaluate_constant)
