"""Pieces of TF's Python math and array API that the nn and random functions build on.

Each builds the nodes TF's own Python function builds, with TF's names: ``binary("Mul", "mul", x, y)``
is ``x * y`` (a scope ``mul``, a Python ``y`` converted as ``mul/y``), ``shape(x)`` is a Const when
the static shape is fully defined, ``zeros_like`` is a Const when small, and so on. They are
private; the public math and array functions live in their own API modules.
"""

from __future__ import annotations

import numbers
import operator

import numpy as np

from torchmeta.dtypes import DType, as_dtype
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import Tensor, convert_to_tensor, name_scope
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.tensor_shape import TensorShape

# ---------------------------------------------------------------------------------------------
# Tensor operators (TF's binary_op_wrapper / r_binary_op_wrapper)


def binary(op_type: str, scope: str, x, y):
    """``x <op> y`` for a Tensor ``x``, as TF's operator overloads build it."""
    with name_scope(None, scope, [x, y]) as name:
        if op_type == "AddV2" and not isinstance(y, Tensor):
            y = convert_to_tensor(y, preferred_dtype=x.dtype.base_dtype, name="y")
        return raw_op(op_type, x=x, y=y, name=name)


def rbinary(op_type: str, scope: str, x, y: Tensor):
    """``x <op> y`` for a Python ``x`` and a Tensor ``y`` (``1 - labels``)."""
    with name_scope(None, scope, [x, y]) as name:
        x = convert_to_tensor(x, dtype=y.dtype.base_dtype, name="x")
        return raw_op(op_type, x=x, y=y, name=name)


def _is_python(v) -> bool:
    return isinstance(v, (numbers.Number, np.ndarray, np.generic, list, tuple))


def _arith(op_type: str, scope: str, x, y, python):
    """``x <op> y`` by whichever side is a tensor (variables count), or in Python when neither is."""
    if _is_python(x) and _is_python(y):
        return python(x, y)
    if not _is_python(x):
        return binary(op_type, scope, x if isinstance(x, Tensor) else convert_to_tensor(x), y)
    return rbinary(op_type, scope, x, y if isinstance(y, Tensor) else convert_to_tensor(y))


def mul(x, y):
    return _arith("Mul", "mul", x, y, operator.mul)


def sub(x, y):
    return _arith("Sub", "sub", x, y, operator.sub)


def add(x, y):
    return _arith("AddV2", "add", x, y, operator.add)


def neg(x):
    """``-x``."""
    return raw_op("Neg", x=x)


def ge(x, y):
    """``x >= y``."""
    return raw_op("GreaterEqual", x=x, y=y)


# ---------------------------------------------------------------------------------------------
# math_ops


def math_add(x, y, name=None):
    """``math_ops.add``: an AddV2 in a scope ``Add`` (or ``name``)."""
    with name_scope(name, "Add", [x]) as name:
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, preferred_dtype=x.dtype.base_dtype, name="y")
        return raw_op("AddV2", x=x, y=y, name=name)


def cast(x, dtype, name=None):
    """``math_ops.cast``: ``x`` itself when it already has ``dtype``."""
    dtype = as_dtype(dtype).base_dtype
    if isinstance(x, Tensor) and x.dtype.base_dtype is dtype:
        return x
    with name_scope(name, "Cast", [x]) as name:
        x = convert_to_tensor(x, name="x")
        if x.dtype.base_dtype is not dtype:
            x = raw_op("Cast", x=x, DstT=dtype, name=name)
        return x


def reduction_dims(x, axis):
    """TF's _ReductionDims: ``axis`` itself, else all axes (a Const when the rank is static)."""
    if axis is not None:
        return axis
    rank = x.shape.rank
    if rank:
        return constant(np.arange(rank, dtype=np.int32))
    return raw_op("Range", start=0, limit=rank_(x), delta=1)


def reduce(op_type: str, x, axis=None, keepdims=False, name=None):
    """``reduce_sum`` / ``reduce_mean`` / ``reduce_max``: one reduction op."""
    x = convert_to_tensor(x) if not isinstance(x, Tensor) else x
    return raw_op(op_type, input=x, reduction_indices=reduction_dims(x, axis), keep_dims=bool(keepdims), name=name)


# ---------------------------------------------------------------------------------------------
# array_ops


def rank_(x, name=None):
    """``array_ops.rank``: a Const when the static rank is known, else a Rank op."""
    with name_scope(name, "Rank", [x]) as name:
        x = convert_to_tensor(x)
        if x.shape.rank is not None:
            return constant(x.shape.rank, DType.int32, name=name)
        return raw_op("Rank", input=x, name=name)


def shape(x, name=None, out_type=DType.int32):
    """``array_ops.shape``: a Const when the static shape is fully defined, else a Shape op."""
    with name_scope(name, "Shape", [x]) as name:
        x = convert_to_tensor(x)
        if x.shape.is_fully_defined():
            return constant(x.shape.as_list(), out_type, name=name)
        return raw_op("Shape", input=x, out_type=out_type, name=name)


def shape_tensor(value):
    """``shape_util.shape_tensor``: a shape argument as an int32/int64 tensor named ``shape``."""
    dtype = None
    if isinstance(value, TensorShape):
        value = value.as_list()
    if isinstance(value, (list, tuple)):
        if not value:
            dtype = DType.int32
        else:
            value = tuple(getattr(d, "value", d) for d in value)
    return convert_to_tensor(value, dtype=dtype, name="shape")


def pack(values, name):
    """TF's list autopacking: a Pack of ``values`` (Python numbers become Consts named by index)."""
    if not any(isinstance(v, Tensor) for v in values):
        return convert_to_tensor(values, name=name)
    with name_scope(name) as scope:
        dtype = next(v.dtype.base_dtype for v in values if isinstance(v, Tensor))
        elems = [v if isinstance(v, Tensor) else constant(v, dtype=dtype, name=str(i)) for i, v in enumerate(values)]
        return raw_op("Pack", values=elems, name=scope)


def slice_(x, begin, size, name=None):
    with name_scope(name, "Slice", [x, begin, size]) as scope:
        begin = pack(begin, "begin") if isinstance(begin, list) else begin
        size = pack(size, "size") if isinstance(size, list) else size
        return raw_op("Slice", input=x, begin=begin, size=size, name=scope)


def concat(values, axis, name="concat"):
    """``array_ops.concat`` of a list whose items may be lists holding tensors."""
    with name_scope(name) as scope:
        tensors = [
            pack(v, f"values_{i}") if isinstance(v, list) else convert_to_tensor(v, name=f"values_{i}")
            for i, v in enumerate(values)
        ]
        return raw_op("ConcatV2", values=tensors, axis=axis, name=scope)


def reshape(x, new_shape, name=None):
    return raw_op("Reshape", tensor=x, shape=new_shape, name=name)


def squeeze(x, axis, name=None):
    if np.isscalar(axis):
        axis = [axis]
    return raw_op("Squeeze", input=x, squeeze_dims=list(axis), name=name)


def stop_gradient(x, name=None):
    return raw_op("StopGradient", input=x, name=name)


def zeros_like(tensor, dtype=None, name=None):
    """``array_ops.zeros_like``: a Const for small fully defined shapes, else ZerosLike/Fill."""
    with name_scope(name, "zeros_like", [tensor]) as name:
        tensor = convert_to_tensor(tensor, name="tensor")
        dtype = dtype or tensor.dtype.base_dtype
        if tensor.shape.is_fully_defined() and tensor.shape.num_elements() < 1000:
            return constant(False if dtype is DType.bool else 0, dtype=dtype, shape=tensor.shape.as_list(), name=name)
        if dtype is not tensor.dtype.base_dtype:
            with name_scope(name, "zeros", [tensor]) as inner:
                return raw_op("Fill", dims=shape(tensor), value=constant(0, dtype=dtype), name=inner)
        return raw_op("ZerosLike", x=tensor, name=name)


def transpose(x, perm, name="transpose"):
    with name_scope(name, "transpose", [x]) as name:
        return raw_op("Transpose", x=x, perm=perm, name=name)


def select(condition, x, y, name=None):
    """``array_ops.where`` with x and y (TF1's Select)."""
    return raw_op("Select", condition=condition, t=x, e=y, name=name)


def gather(params, indices, name=None, axis=0):
    """``array_ops.gather``: GatherV2 with the ``axis`` Const inside the op's scope."""
    return raw_op("GatherV2", params=params, indices=indices, axis=axis, name=name)
