"""TensorProto <-> numpy, Python-value dtype inference, and constant_value() for static evaluation."""

from __future__ import annotations

import numbers
import threading

import numpy as np

from torchmeta import dtypes, errors
from torchmeta._proto import tensor_pb2
from torchmeta.dtypes import DType
from torchmeta.framework.tensor_shape import TensorShape, as_shape

__all__ = [
    "make_tensor_proto",
    "MakeNdarray",
    "to_numpy",
    "constant_value",
    "evaluate_constant_tensor",
    "register_constant_value",
    "register_tensor_type",
    "register_symbolic_tensor_type",
    "is_tf_type",
    "get_static_value",
]

# Dtypes TF serializes as raw tensor_content bytes (when the array has more than one element).
_CONTENT_TYPES = {
    DType.bfloat16,
    DType.float16,
    DType.float32,
    DType.float64,
    DType.int8,
    DType.int16,
    DType.int32,
    DType.int64,
    DType.uint8,
    DType.uint32,
    DType.uint64,
    DType.qint8,
    DType.quint8,
    DType.qint16,
    DType.quint16,
    DType.qint32,
    DType.float8_e5m2,
    DType.float8_e4m3fn,
    DType.float8_e4m3fnuz,
    DType.float8_e4m3b11fnuz,
    DType.float8_e5m2fnuz,
    DType.float4_e2m1fn,
}
# Typed value field of TensorProto per dtype (half_val holds fp16/bf16 bit patterns).
_VALUE_FIELD = {
    DType.float32: "float_val",
    DType.float64: "double_val",
    DType.int32: "int_val",
    DType.int16: "int_val",
    DType.int8: "int_val",
    DType.uint8: "int_val",
    DType.uint16: "int_val",
    DType.qint8: "int_val",
    DType.quint8: "int_val",
    DType.qint16: "int_val",
    DType.quint16: "int_val",
    DType.qint32: "int_val",
    DType.int64: "int64_val",
    DType.uint32: "uint32_val",
    DType.uint64: "uint64_val",
    DType.bool: "bool_val",
    DType.string: "string_val",
    DType.complex64: "scomplex_val",
    DType.complex128: "dcomplex_val",
    DType.float16: "half_val",
    DType.bfloat16: "half_val",
    DType.float8_e5m2: "float8_val",
    DType.float8_e4m3fn: "float8_val",
    DType.float8_e4m3fnuz: "float8_val",
    DType.float8_e4m3b11fnuz: "float8_val",
    DType.float8_e5m2fnuz: "float8_val",
    DType.int4: "int_val",
    DType.uint4: "int_val",
    DType.int2: "int_val",
    DType.uint2: "int_val",
}


def _is_str(v) -> bool:
    return isinstance(v, (str, bytes))


def _infer_python(values):
    """The DType TF picks for Python values: int32 unless it overflows, float32, bool, string."""
    kinds = set()
    big = False

    def walk(v):
        nonlocal big
        if isinstance(v, (list, tuple)):
            for x in v:
                walk(x)
        elif isinstance(v, (bool, np.bool_)):
            kinds.add("b")
        elif isinstance(v, numbers.Integral):
            kinds.add("i")
            if not -(2**31) <= int(v) < 2**31:
                big = True
        elif isinstance(v, numbers.Real):
            kinds.add("f")
        elif isinstance(v, numbers.Complex):
            kinds.add("c")
        elif _is_str(v):
            kinds.add("s")
        elif isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "iu":
            # A 0-d integer array in a list is an int to TF too: int32 unless it overflows.
            kinds.add("i")
            if not -(2**31) <= int(v) < 2**31:
                big = True
        elif isinstance(v, np.ndarray):
            kinds.add(("np", v.dtype))
        else:
            kinds.add("?")

    walk(values)
    if not kinds:
        return DType.float32
    if "s" in kinds:
        return DType.string
    if "c" in kinds:
        return DType.complex128
    if "f" in kinds:
        return DType.float32
    if kinds == {"b"}:
        return DType.bool
    if "i" in kinds and kinds <= {"i", "b"}:
        return DType.int64 if big else DType.int32
    return None


def to_numpy(values, dtype=None) -> np.ndarray:
    """Converts Python/numpy values to an ndarray of ``dtype`` with TF's inference and checks.

    Raises:
      TypeError: if the values do not fit the requested dtype (e.g. 1.5 for int32).
    """
    dtype = dtypes.as_dtype(dtype).base_dtype if dtype is not None else None
    if isinstance(values, (np.ndarray, np.generic)):
        arr = np.asarray(values)
        if arr.dtype.kind in "SUO" or (dtype is not None and dtype is DType.string):
            arr = _to_bytes_array(arr)
            if dtype is not None and dtype is not DType.string:
                raise TypeError(f"Expected {dtype.name}, but got {values!r} of type 'str'.")
            return arr
        if dtype is None:
            return arr
        if dtypes.as_dtype(arr.dtype).is_complex and not dtype.is_complex:
            raise TypeError(f"Expected {dtype.name}, but got complex values.")
        return arr.astype(dtype.numpy, copy=False)
    inferred = _infer_python(values)
    if dtype is None:
        if inferred is None:
            arr = np.asarray(values)
            if arr.dtype.kind in "SUO":
                return _to_bytes_array(arr)
            if arr.dtype == np.float64:
                return arr.astype(np.float32)
            return arr
        dtype = inferred
    if dtype is DType.string:
        mismatch = _first_non_string(values)
        if mismatch is not None:
            raise TypeError(f"Expected string, but got {mismatch} of type '{type(mismatch).__name__}'.")
        return _to_bytes_array(np.asarray(values, dtype=object))
    if inferred is DType.string:
        # TF names the first element that does not fit, printed with str()
        mismatch = next((v for v in np.asarray(values, dtype=object).reshape(-1) if isinstance(v, str)), values)
        raise TypeError(f"Expected {dtype.name}, but got {mismatch} of type 'str'.")
    if inferred is DType.float32 and (dtype.is_integer or dtype.is_bool or dtype.is_quantized) and np.size(values):
        raise TypeError(f"Expected {dtype.name}, but got {_first_scalar(values)!r} of type 'float'.")
    if inferred is DType.complex128 and not dtype.is_complex:
        raise TypeError(f"Expected {dtype.name}, but got {_first_scalar(values)!r} of type 'complex'.")
    arr = np.asarray(values, dtype=np.complex128 if dtype.is_complex else None)
    if dtype.is_integer and arr.dtype.kind in "iu" and arr.size:
        lo, hi = dtype.min, dtype.max
        if arr.min() < lo or arr.max() > hi:
            raise TypeError(f"Can not convert {values!r} to {dtype.name}: out of range.")
    return arr.astype(dtype.numpy)


def _first_non_string(values):
    """TF's _FilterStr: the first element of nested lists and tuples that is neither bytes nor str (None if none)."""
    if isinstance(values, (list, tuple)):
        return next((found for v in values if (found := _first_non_string(v)) is not None), None)
    return None if isinstance(values, (bytes, str)) else values


def _first_scalar(values):
    while isinstance(values, (list, tuple)) and values:
        values = values[0]
    return values


def _to_bytes_array(arr: np.ndarray) -> np.ndarray:
    out = np.empty(arr.shape, dtype=object)
    flat_in, flat_out = arr.reshape(-1), out.reshape(-1)
    for i, v in enumerate(flat_in):
        flat_out[i] = v.encode() if isinstance(v, str) else bytes(v)
    return out


def make_tensor_proto(values, dtype=None, shape=None, verify_shape=False, allow_broadcast=False):
    """Builds a TensorProto exactly as TensorFlow's ``tf.make_tensor_proto`` does.

    Args:
      values: a Python value, nested list or numpy array.
      dtype: optional DType (or anything ``as_dtype`` takes).
      shape: optional shape; a single value is then repeated ("splat") as TF does.
      verify_shape: require ``values`` to have exactly ``shape``.
      allow_broadcast: allow values of another shape to broadcast to ``shape``.

    Returns:
      A ``tensorflow.TensorProto`` of torchmeta's descriptor pool.
    """
    if values is None:
        raise ValueError("None values not supported.")
    if shape is not None and not isinstance(values, (np.ndarray, np.generic)):
        dims = as_shape(shape).as_list()
        if np.prod(dims, dtype=np.int64) == 0:  # TF ignores the value for an empty shape
            default = np.float64 if allow_broadcast else np.float32  # TF prefers float32 here too
            values = np.empty(dims, dtype=dtypes.as_dtype(dtype).numpy if dtype is not None else default)
    arr = to_numpy(values, dtype)
    dt = dtypes.as_dtype(dtype).base_dtype if dtype is not None else dtypes.as_dtype(arr.dtype)
    if shape is None:
        shape = arr.shape
        same_size = True
    else:
        shape = tuple(int(d) for d in as_shape(shape).as_list())
        size = int(np.prod(shape, dtype=np.int64))
        same_size = size == arr.size
        if verify_shape and tuple(arr.shape) != shape:
            raise TypeError(f"Expected Tensor's shape: {shape}, but got {arr.shape}.")
        if arr.size > size:
            raise ValueError(f"Too many elements provided. Takes at most {size}, but got {arr.size}.")
        if allow_broadcast and arr.shape != shape and arr.size:
            arr = np.broadcast_to(arr, shape)
            same_size = True
    proto = tensor_pb2.TensorProto(dtype=dt.value, tensor_shape=TensorShape(shape).as_proto())
    if same_size and dt in _CONTENT_TYPES and arr.size > 1:
        if arr.size * arr.itemsize >= (1 << 31):
            raise ValueError("Cannot create a tensor proto whose content is larger than 2GB.")
        proto.tensor_content = np.ascontiguousarray(arr).tobytes()
        return proto
    flat = arr.reshape(-1)
    field = _VALUE_FIELD.get(dt)
    if field is None:
        raise TypeError(f"Cannot make a TensorProto of dtype {dt.name}")
    if field == "half_val":
        getattr(proto, field).extend(flat.view(np.uint16).astype(np.int32).tolist())
    elif field in ("scomplex_val", "dcomplex_val"):
        getattr(proto, field).extend(np.stack([flat.real, flat.imag], axis=-1).reshape(-1).tolist())
    elif field == "float8_val":
        proto.float8_val = flat.view(np.uint8).tobytes()
    elif field == "string_val":
        proto.string_val.extend(flat.tolist())
    else:
        getattr(proto, field).extend(flat.tolist())
    return proto


# The most a decoded TensorProto may take: what the largest ``tensor_content`` a GraphDef can hold (2 GiB)
# decodes to. A TensorProto with fewer values than elements repeats its last value ("splat"); this bounds
# what a few bytes can claim.
MAX_TENSOR_BYTES = 1 << 31
_MAX_RANK = 64  # numpy's limit (TensorFlow's is 254)


def _bad_tensor(message: str) -> errors.InvalidValueError:
    return errors.InvalidValueError(None, None, f"Invalid TensorProto: {message}")


def MakeNdarray(tensor) -> np.ndarray:
    """Decodes a TensorProto (ours or TensorFlow's) into a numpy array, expanding splats.

    Everything is checked before memory is allocated: the dtype enum, the shape (known, non-negative
    dimensions, rank <= 64), ``tensor_content`` against the bytes the shape needs, the value count, and the
    decoded size against :data:`MAX_TENSOR_BYTES`.

    Raises:
      errors.InvalidValueError: the proto is malformed (also a ValueError).
      errors.UnimplementedError: a dtype that has no numpy value (resource, variant).
    """
    try:
        dt = DType(tensor.dtype)
    except ValueError:
        raise _bad_tensor(f"invalid dtype enum {tensor.dtype}") from None
    if dt.is_ref_dtype or tensor.dtype == 0:
        raise _bad_tensor(f"invalid dtype {dt.name}")
    shape_proto = tensor.tensor_shape
    if shape_proto.unknown_rank:
        raise _bad_tensor("the shape must be fully defined, but its rank is unknown")
    shape = tuple(d.size for d in shape_proto.dim)
    if any(d < 0 for d in shape):
        raise _bad_tensor(f"the shape must be fully defined, but is {list(shape)}")
    if len(shape) > _MAX_RANK:
        raise _bad_tensor(f"rank {len(shape)} exceeds the {_MAX_RANK} dimensions numpy arrays can have")
    size = 1
    for d in shape:
        size *= d
    np_type = dt.numpy
    field = _VALUE_FIELD.get(dt)
    if np_type is None or field is None:
        raise errors.UnimplementedError(None, None, f"TensorProto of dtype {dt.name} has no numpy value")
    itemsize = 8 if dt is DType.string else np.dtype(np_type).itemsize
    if size * itemsize > MAX_TENSOR_BYTES:
        raise _bad_tensor(
            f"shape {list(shape)} of {dt.name} takes {size * itemsize} bytes, more than the {MAX_TENSOR_BYTES} "
            "a TensorProto may decode to"
        )
    if tensor.tensor_content:
        if dt is DType.string:
            raise _bad_tensor("string tensors cannot use tensor_content")
        content = tensor.tensor_content
        if len(content) != size * itemsize:
            raise _bad_tensor(
                f"tensor_content has {len(content)} bytes but {dt.name} {list(shape)} needs {size * itemsize}"
            )
        return np.frombuffer(content, dtype=np_type).copy().reshape(shape)
    count = len(getattr(tensor, field))
    if field in ("scomplex_val", "dcomplex_val"):
        if count % 2:
            raise _bad_tensor(f"{field} holds {count} numbers, not (real, imaginary) pairs")
        count //= 2
    if count > size:
        raise _bad_tensor(f"{count} values but shape {list(shape)} holds {size}")
    if field == "half_val":
        values = np.array(tensor.half_val, dtype=np.int64).astype(np.uint16).view(np_type)
    elif field in ("scomplex_val", "dcomplex_val"):
        raw = np.array(getattr(tensor, field), dtype=np.float32 if field == "scomplex_val" else np.float64)
        values = raw.view(np_type)  # (real, imaginary) pairs in memory order; keeps -0.0 parts
    elif field == "float8_val":
        values = np.frombuffer(tensor.float8_val, dtype=np.uint8).view(np_type)
    elif field == "string_val":
        values = np.empty(count, dtype=object)
        values[:] = list(tensor.string_val)
    else:
        values = np.array(getattr(tensor, field)).astype(np_type)
    if values.size > size:
        raise _bad_tensor(f"{values.size} values but shape {list(shape)} holds {size}")
    if values.size == size:
        return values.reshape(shape)
    try:
        if values.size == 0:
            if dt is DType.string:
                out = np.empty(shape, dtype=object)
                out.fill(b"")
                return out
            return np.zeros(shape, dtype=np_type)
        # Fewer values than elements: the last one is repeated (TF's "splat").
        out = np.empty(size, dtype=np_type)
        out[: values.size] = values
        out[values.size :] = values[-1]
    except MemoryError:
        raise errors.ResourceExhaustedError(
            None, None, f"OOM when allocating tensor with shape{list(shape)} and type {dt.name}"
        ) from None
    return out.reshape(shape)


# ---------------------------------------------------------------------------------------------
# constant_value: evaluate a tensor at graph-construction time when its value is static.
#
# Two evaluators, as in TensorFlow: outside shape functions TF's Python ``constant_value`` (a fixed set of
# op types, each registered by its family with ``register_constant_value``); inside shape functions TF's C++
# shape refiner (``EvaluateConstantTensor``: values from shapes, else any stateless op's kernel on constant
# inputs), installed by ``framework/constant_folding.py``. ``evaluate_constant_tensor`` asks the second one
# from anywhere.

_CONSTANT_VALUE_FNS = {}
_shape_refiner_value = None


def register_constant_value(*op_types):
    """Registers ``fn(op, output_index, partial) -> ndarray | None``: TF's Python ``constant_value`` of
    ``op_types`` (``partial`` as TF's: Pack and the identities keep None for unknown elements)."""

    def decorator(fn):
        for op_type in op_types:
            _CONSTANT_VALUE_FNS[op_type] = fn
        return fn

    return decorator


def register_shape_refiner_value(fn) -> None:
    """Sets ``fn(op, output_index) -> ndarray | None``, the value TF's C++ shape refiner evaluates."""
    global _shape_refiner_value
    _shape_refiner_value = fn


class _InputRequests(threading.local):
    """The shape functions running now (innermost last) and the input values each has read."""

    def __init__(self):
        super().__init__()
        self.stack = []
        self.depth = 0
        self.shape_fns = 0  # shape functions running now (recorded or not)


_requests = _InputRequests()


class recording_input_values:  # noqa: N801 - used as a context manager, like contextlib's
    """While ``op``'s shape function runs: which of its inputs it read as values (``computed``,
    index -> ndarray) or as partial shapes (``partial``, index -> TensorShape), as TF's InferenceContext
    records them for its error messages. ``with`` gives the record (a dict).

    With ``hide_values``, the op's inputs have no static values (TF's first shape-inference pass).
    A class rather than a generator: it runs once per op created, so it is kept cheap.
    """

    __slots__ = ("_record", "_depth")

    def __init__(self, op, hide_values: bool = False):
        self._record = {"op": op, "computed": {}, "partial": {}, "hide": hide_values}

    def __enter__(self):
        _requests.stack.append(self._record)
        self._depth, _requests.depth = _requests.depth, 0
        return self._record

    def __exit__(self, *exc):
        _requests.depth = self._depth
        _requests.stack.pop()
        return False


class running_shape_function:  # noqa: N801 - a context manager, kept cheap like recording_input_values
    """Marks a shape function running (TF's C++ shape refiner), so folds that only TF's shape inference
    does (``in_shape_function``), and not TF's Python ``constant_value``, apply inside it."""

    __slots__ = ()

    def __enter__(self):
        _requests.shape_fns += 1

    def __exit__(self, *exc):
        _requests.shape_fns -= 1
        return False


def in_shape_function() -> bool:
    """Whether a shape function is running now (see ``running_shape_function``)."""
    return _requests.shape_fns > 0 or bool(_requests.stack)


def current_input_requests():
    """The record of the shape function running now (see ``recording_input_values``), or None."""
    return _requests.stack[-1] if _requests.stack else None


def _input_indices(op, tensor) -> list[int]:
    return [i for i, t in enumerate(op._inputs) if t is tensor]


def input_value_hidden(tensor) -> bool:
    """Whether ``tensor`` is an input of the op whose shape function runs without input values now."""
    record = current_input_requests()
    return record is not None and record["hide"] and _requests.depth == 0 and bool(_input_indices(record["op"], tensor))


def record_partial_shape(tensor, shape) -> None:
    """Notes that the running shape function read ``tensor`` (one of its op's inputs) as ``shape``."""
    record = current_input_requests()
    if record is not None and shape.rank is not None:
        for i in _input_indices(record["op"], tensor):
            record["partial"][i] = shape


def constant_value(tensor, partial=False):
    """The static numpy value of ``tensor``, or None when it depends on run-time data.

    TF's Python ``tensor_util.constant_value``: Const, Shape/Size/Rank of static shapes, Range, Cast,
    Concat(V2), Pack/Unpack (axis 0), Split, Fill, Equal/NotEqual and the identities, nothing else. Inside
    a shape function, what TF's C++ shape refiner evaluates instead (see ``evaluate_constant_tensor``).
    """
    if isinstance(tensor, np.ndarray):
        return tensor
    if not hasattr(tensor, "op"):
        try:
            return to_numpy(tensor)
        except (TypeError, ValueError):
            return None
    if not in_shape_function():
        fn = _CONSTANT_VALUE_FNS.get(tensor.op.type)
        if fn is None:
            return None
        try:
            return fn(tensor.op, tensor.value_index, partial)
        except (TypeError, ValueError, IndexError):
            return None
    fn = _shape_refiner_value
    if fn is None:
        return None
    if not _requests.stack:  # no shape function is being recorded: the common, fast path
        try:
            return fn(tensor.op, tensor.value_index)
        except (TypeError, ValueError, IndexError):
            return None
    if input_value_hidden(tensor):
        return None
    _requests.depth += 1
    try:
        value = fn(tensor.op, tensor.value_index)
    except (TypeError, ValueError, IndexError):
        value = None
    finally:
        _requests.depth -= 1
    if value is not None and _requests.depth == 0 and _requests.stack:
        record = _requests.stack[-1]
        for i in _input_indices(record["op"], tensor):
            record["computed"][i] = value
    return value


# TF's tensor-like types (``tf.is_tensor``): graph Tensors, then the composite types and Variables, each
# registered by its own module (they live above this one). Graph Tensors are the symbolic ones.
_TENSOR_TYPES: tuple = ()
_SYMBOLIC_TYPES: tuple = ()


def register_tensor_type(cls):
    """Marks ``cls`` as a TensorFlow type for ``is_tf_type`` (TF's ``tf_type_classes``)."""
    global _TENSOR_TYPES
    _TENSOR_TYPES += (cls,)
    return cls


def register_symbolic_tensor_type(cls):
    """Marks ``cls`` (the graph Tensor) as a TensorFlow type whose static value ``get_static_value`` evaluates."""
    global _SYMBOLIC_TYPES
    _SYMBOLIC_TYPES += (cls,)
    return register_tensor_type(cls)


def is_tf_type(x) -> bool:
    """``tf.is_tensor``: whether ``x`` is a Tensor, SparseTensor, RaggedTensor, IndexedSlices or Variable
    (a value TF ops take without converting it), not a Python or numpy value."""
    return isinstance(x, _TENSOR_TYPES)


def get_static_value(tensor, partial=False):
    """``tf.get_static_value``: TF's ``tensor_util.constant_value``, the value of ``tensor`` if it can be
    computed while building the graph, else None.

    A value that is not a TF type is returned as it is; a SparseTensor, RaggedTensor or Variable gives None.
    With ``partial``, a Pack of known and unknown elements gives an object array holding None for the
    unknown ones. When a value is found, ``tensor`` can no longer be fed (TF's Compatibility(V1) note: the
    graph built from its value must not see another one).

    Example:
      >>> tf.get_static_value(tf.shape(tf.zeros([2, 3])))
      array([2, 3], dtype=int32)
    """
    if not is_tf_type(tensor):
        return tensor
    if not isinstance(tensor, _SYMBOLIC_TYPES):
        return None
    value = constant_value(tensor, partial)
    if value is not None:
        tensor.graph.prevent_feeding(tensor)
    return value


def evaluate_constant_tensor(tensor):
    """The value TF's C++ shape refiner computes for ``tensor`` (``EvaluateConstantTensor``): Shape, Rank,
    Size and ``shape(x)[i]`` from static shapes, else the kernel of a stateless op run on its inputs'
    values, recursively down to Consts (bounded by ``registry.FOLD_LIMIT``). Wider than ``constant_value``;
    for internal callers that need what TF's graph-time shape inference knows."""
    with running_shape_function():
        return constant_value(tensor)


def _strided_slice_as_shape(op):
    """TF's constant_value_as_shape of a 1-D StridedSlice (``shape[:-1]``...) of a partially known shape: None
    where TF's gives up (masks other than a whole begin/end, non-constant bounds)."""
    begin, end, strides = (constant_value(t) for t in op.inputs[1:4])
    if begin is None or end is None or strides is None:
        return None
    try:
        begin, end, strides = int(begin[0]), int(end[0]), int(strides[0])
        begin_mask, end_mask = op.get_attr("begin_mask"), op.get_attr("end_mask")
        if begin_mask == 1:
            begin = None
        if end_mask == 1:
            end = None
        masks = (op.get_attr("ellipsis_mask"), op.get_attr("new_axis_mask"), op.get_attr("shrink_axis_mask"))
        if any(masks) or begin_mask not in (0, 1) or end_mask not in (0, 1):
            return None
        prev = constant_value_as_shape(op.inputs[0])
        return TensorShape(prev[begin:end:strides])
    except (ValueError, TypeError, IndexError):
        return None


def constant_value_as_shape(tensor) -> TensorShape:
    """A TensorShape from a 1-D shape tensor, with unknown dims where entries are not static (or negative,
    as TF reads them: -1 and any other negative entry)."""
    value = constant_value(tensor)
    if value is not None:
        return TensorShape([None if int(d) < 0 else int(d) for d in value.reshape(-1)])
    op = tensor.op
    if op.type == "Shape":
        return op.inputs[0].shape
    if op.type == "ShapeN" and in_shape_function():  # TF's C++ ConstantPartialShape reads ShapeN, its Python not
        return op.inputs[tensor.value_index].shape
    if op.type == "Pack":
        dims = []
        for inp in op.inputs:
            v = constant_value(inp)
            dims.append(None if v is None or int(v) < 0 else int(v))
        return TensorShape(dims)
    if op.type == "ConcatV2":
        out = TensorShape([])
        for inp in op.inputs[:-1]:
            out = out.concatenate(constant_value_as_shape(inp))
        return out
    if op.type == "StridedSlice":
        sliced = _strided_slice_as_shape(op)
        if sliced is not None:
            return sliced
    rank = tensor.shape.dims[0].value if tensor.shape.rank == 1 else None
    return TensorShape(None) if rank is None else TensorShape([None] * rank)
