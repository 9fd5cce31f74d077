"""PyFunc, PyFuncStateless and EagerPyFunc: call the Python function registered for the node's token
(tf.py_func; EagerPyFunc as Dataset.from_generator builds it).

Inputs reach the function as numpy arrays (numpy scalars for 0-d inputs, object arrays of bytes for
strings); its results must have exactly the ``Tout`` dtypes, as TensorFlow checks. A Python exception
becomes the error TensorFlow maps it to (ValueError/TypeError: InvalidArgumentError, StopIteration:
OutOfRangeError, MemoryError: ResourceExhaustedError, NotImplementedError: UnimplementedError, others:
UnknownError), with the traceback in the message. A token with no function in this process (a graph
read from a file) raises UnimplementedError: no Python code is ever loaded from a file.
"""

from __future__ import annotations

import traceback

import numpy as np

from torchmeta import errors
from torchmeta.api.script_ops import FuncRegistry
from torchmeta.dtypes import DType, as_dtype, numpy_to_torch, torch_to_numpy
from torchmeta.framework import common_shapes
from torchmeta.framework.ragged_tensor_value import RaggedTensorValue
from torchmeta.framework.registry import not_differentiable, register_gradient, register_op
from torchmeta.ops.ragged_ops import RaggedTensorVariant

_ERRORS = [
    ((ValueError, TypeError), errors.InvalidArgumentError),
    ((StopIteration,), errors.OutOfRangeError),
    ((MemoryError,), errors.ResourceExhaustedError),
    ((NotImplementedError,), errors.UnimplementedError),
]


def _to_numpy(value):
    if isinstance(value, np.ndarray):
        return value[()] if value.ndim == 0 else value
    arr = torch_to_numpy(value.detach().cpu()).copy()
    return arr[()] if arr.ndim == 0 else arr


def _convert(value):
    """TF's FuncRegistry._convert: a numpy array of the value; text becomes object arrays of bytes."""
    result = np.asarray(value, order="C")
    if result.dtype.char == "S":
        return np.asarray(value, order="C", dtype=object)
    if result.dtype.char == "U":
        return np.asarray(np.vectorize(lambda x: x.encode("utf8"), otypes=[object])(value), order="C", dtype=object)
    return result


def _dtype_name(dtype: DType) -> str:
    return {"float32": "float", "float64": "double", "float16": "half"}.get(dtype.name, dtype.name)


def _call(op_type, input, token, Tout, node_name):
    func = FuncRegistry.get(token)
    token = token.decode() if isinstance(token, bytes) else token
    if func is None:
        raise errors.UnimplementedError(
            None,
            None,
            f"{op_type} '{node_name}' calls the Python function registered as {token!r}, which is not in this "
            "process: a graph file carries no Python code and torchmeta never loads any. py_func and "
            "numpy_function ops run only in graphs built by this process.",
        )
    try:
        ret = func(*[_to_numpy(v) for v in input])
    except errors.OpError:
        raise
    except Exception as e:
        cls = next((c for types, c in _ERRORS if isinstance(e, types)), errors.UnknownError)
        raise cls(None, None, f"{type(e).__name__}: {e}\n{traceback.format_exc()}") from e
    if isinstance(ret, bytes):
        ret = [ret]
    values = [_convert(x) for x in ret] if isinstance(ret, (tuple, list)) else [_convert(ret)]
    if op_type == "EagerPyFunc" and isinstance(
        ret, (tuple, list)
    ):  # variant outputs (from_generator's ragged components) pass as they are
        values = [x if isinstance(x, RaggedTensorValue) else _convert(x) for x in ret]
    if ret is None and not Tout:
        values = []
    if len(values) != len(Tout):
        raise errors.InvalidArgumentError(
            None, None, f"{token} returns {len(values)} values, but expects to see {len(Tout)} values."
        )
    outs = []
    for i, (value, dtype) in enumerate(zip(values, Tout)):
        dtype = DType(dtype) if not isinstance(dtype, DType) else dtype
        if isinstance(value, RaggedTensorValue) and dtype == DType.variant:
            outs.append(_ragged_variant(value))
            continue
        got = DType.string if value.dtype == object else _as_dtype(value.dtype)
        if got != dtype:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{i}-th value returned by {token} is {_dtype_name(got) if got else value.dtype}, but expects "
                f"{_dtype_name(dtype)}",
            )
        outs.append(value if dtype == DType.string else numpy_to_torch(np.require(value, requirements="C"), dtype))
    # One output is the value itself; several are a tuple (what lowering indexes).
    return outs[0] if len(outs) == 1 else tuple(outs)


def _ragged_variant(value) -> RaggedTensorVariant:
    """A RaggedTensorValue as the scalar variant that carries it (TF's RaggedTensorToVariant of one value)."""
    splits = [numpy_to_torch(np.require(s, requirements="C"), as_dtype(s.dtype)) for s in value.nested_row_splits]
    flat = value.flat_values
    if flat.dtype != object:
        flat = numpy_to_torch(np.require(flat, requirements="C"), as_dtype(flat.dtype))
    return RaggedTensorVariant(splits, flat)


def _as_dtype(np_dtype):
    try:
        return as_dtype(np_dtype)
    except TypeError:
        return None


@register_op(
    "PyFunc",
    inputs=["input: Tin"],
    outputs=["output: Tout"],
    attrs=["token: string", "Tin: list(type) >= 0", "Tout: list(type) >= 0"],
    shape=common_shapes.unknown,
    stateful=True,
)
def py_func(input, token, Tout, node_name):
    return _call("PyFunc", input, token, Tout, node_name)


@register_op(
    "PyFuncStateless",
    inputs=["input: Tin"],
    outputs=["output: Tout"],
    attrs=["token: string", "Tin: list(type) >= 0", "Tout: list(type) >= 0"],
    shape=common_shapes.unknown,
)
def py_func_stateless(input, token, Tout, node_name):
    return _call("PyFuncStateless", input, token, Tout, node_name)


@register_op(
    "EagerPyFunc",
    inputs=["input: Tin"],
    outputs=["output: Tout"],
    attrs=["token: string", "is_async: bool = false", "Tin: list(type) >= 0", "Tout: list(type) >= 0"],
    shape=common_shapes.unknown,
    stateful=True,
)
def eager_py_func(input, token, is_async, Tout, node_name):
    return _call("EagerPyFunc", input, token, Tout, node_name)


not_differentiable("PyFunc", "PyFuncStateless")


@register_gradient("EagerPyFunc")
def _eager_py_func_grad(op, *grads):
    """TF registers a gradient for EagerPyFunc: it replays the function's GradientTape, recorded when the
    function ran eagerly. torchmeta calls the function with numpy values and records no tape, so the
    gradient cannot be built; say so where tf.gradients reaches the op."""
    raise errors.UnimplementedError(
        None,
        op,
        f"The gradient of EagerPyFunc {op.name!r} needs the function's eager GradientTape, which torchmeta does "
        "not record: its Python functions run on numpy values.",
    )
