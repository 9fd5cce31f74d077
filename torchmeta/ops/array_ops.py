"""Array ops: constants, placeholders, identity, shapes and shape manipulation, slicing, joining, gathering.

String tensors reach kernels as numpy object arrays (every other dtype as torch tensors), so each
kernel that TF registers for strings has a numpy branch. Index-like inputs (shapes, axes, paddings,
begin/end/strides) are read on the host, as TF keeps them in host memory.
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta import errors
from torchmeta.api import array_ops
from torchmeta.dtypes import DType, numpy_to_torch, torch_to_numpy
from torchmeta.framework import common_shapes, tensor_util
from torchmeta.framework.graph import convert_to_tensor
from torchmeta.framework.indexed_slices import IndexedSlices
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import (
    FOLD_LIMIT,
    no_registered_gradient,
    not_differentiable,
    register_gradient,
    register_op,
)
from torchmeta.framework.registry import get as _get_op_info
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape

# ---------------------------------------------------------------------------------------------
# Helpers shared by kernels and shape functions


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _fmt(dims) -> str:
    """A shape as TF prints it in kernel errors: ``[2,3]``."""
    return "[" + ",".join("?" if d is None else str(int(d)) for d in dims) + "]"


def _fmt_static(shape: TensorShape) -> str:
    return "?" if shape.rank is None else _fmt(shape.as_tuple())


def _shape_error(op, message: str) -> ValueError:
    """A graph-construction error worded like TF's shape-inference errors."""
    inputs = ", ".join(_fmt_static(t.shape) for t in op.inputs)
    return ValueError(f"{message} for '{{{{node {op.name}}}}} = {op.type}[]' with input shapes: {inputs}.")


def _host_ints(t) -> list[int]:
    """A small integer tensor (shape, axes, paddings) as Python ints, flattened."""
    return [int(v) for v in t.reshape(-1).tolist()]


def _outputs(values):
    """A kernel's result for a list output: a tuple, or the value itself when there is exactly one."""
    return values[0] if len(values) == 1 else tuple(values)


def _is_np(x) -> bool:
    return isinstance(x, np.ndarray)


def _value(t):
    """The static value of a graph tensor, or None."""
    return tensor_util.constant_value(t)


def _scalar_value(t):
    v = _value(t)
    if v is None or v.size != 1:
        return None
    return int(v.reshape(-1)[0])


def _dims(shape: TensorShape):
    return None if shape.rank is None else list(shape.as_tuple())


def _with_rank(op, shape: TensorShape, rank: int) -> TensorShape:
    if shape.rank is None:
        return unknown_shape(rank)
    if shape.rank != rank:
        raise _shape_error(op, f"Shape must be rank {rank} but is rank {shape.rank}")
    return shape


def _with_rank_at_least(op, shape: TensorShape, rank: int) -> TensorShape:
    if shape.rank is not None and shape.rank < rank:
        raise _shape_error(op, f"Shape must be at least rank {rank} but is rank {shape.rank}")
    return shape


def _merge_dim(op, a, b):
    if a is None:
        return b
    if b is None or a == b:
        return a
    raise _shape_error(op, f"Dimensions must be equal, but are {a} and {b}")


def _merge(op, a: TensorShape, b: TensorShape) -> TensorShape:
    if a.rank is None:
        return b
    if b.rank is None:
        return a
    if a.rank != b.rank:
        raise _shape_error(op, f"Shapes must be equal rank, but are {a.rank} and {b.rank}")
    return TensorShape([_merge_dim(op, x, y) for x, y in zip(a.as_tuple(), b.as_tuple())])


def shape_from_shape_tensor(t) -> TensorShape:
    """The (partial) shape a 1-D shape tensor describes, like TF's ``MakeShapeFromShapeTensor``.

    -1 entries and entries that are not static become unknown dimensions. Shape, Pack, ConcatV2,
    Cast and StridedSlice-of-Shape inputs give partial results like TF's shape refiner.
    """
    if t.shape.rank == 0:
        v = _value(t)
        if v is not None and int(v) == -1:
            return unknown_shape()
        if v is not None:
            raise ValueError(f"Input tensor must be rank 1, or if its rank 0 it must have value -1, got {int(v)}")
        return unknown_shape()
    value = _value(t)
    if value is not None:
        dims = []
        for d in value.reshape(-1).tolist():
            d = int(d)
            if d < -1:
                raise ValueError(f"Dimension {d} must be >= -1")
            dims.append(None if d == -1 else d)
        return TensorShape(dims)
    op = t.op
    if op.type == "Shape":
        return op.inputs[0].shape
    if op.type == "ShapeN":
        return op.inputs[t.value_index].shape
    if op.type == "Pack" and op.get_attr("axis") == 0:
        dims = []
        for inp in op.inputs:
            v = _scalar_value(inp)
            dims.append(None if v is None or v < 0 else v)
        return TensorShape(dims)
    if op.type == "ConcatV2":
        out = TensorShape([])
        for inp in op.inputs[:-1]:
            part = shape_from_shape_tensor(inp)
            if part.rank is None:
                return _unknown_vector_shape(t)
            out = out.concatenate(part)
        return out
    if op.type == "Cast":
        inner = shape_from_shape_tensor(op.inputs[0])
        if inner.rank is not None:
            return inner
    if op.type == "StridedSlice":
        part = _strided_slice_of_shape(op)
        if part is not None:
            return part
    return _unknown_vector_shape(t)


def _unknown_vector_shape(t) -> TensorShape:
    shape = t.shape
    if shape.rank == 1 and shape.as_tuple()[0] is not None:
        return unknown_shape(shape.as_tuple()[0])
    return unknown_shape()


def _strided_slice_of_shape(op):
    """``tf.shape(x)[a:b]`` with static a, b (stride 1): the matching part of x's static shape."""
    src = op.inputs[0]
    if src.op.type != "Shape" or src.op.inputs[0].shape.rank is None:
        return None
    if any(op.get_attr(m) for m in ("ellipsis_mask", "new_axis_mask", "shrink_axis_mask")):
        return None
    begin, end, strides = (_value(op.inputs[i]) for i in (1, 2, 3))
    if begin is None or end is None or strides is None or begin.size != 1 or int(strides.reshape(-1)[0]) != 1:
        return None
    dims = src.op.inputs[0].shape.as_tuple()
    b = None if op.get_attr("begin_mask") & 1 else int(begin.reshape(-1)[0])
    e = None if op.get_attr("end_mask") & 1 else int(end.reshape(-1)[0])
    return TensorShape(list(dims[b:e]))


# Constant folding for shape inference: run the kernel on static inputs, as TF's shape refiner
# evaluates constant subgraphs. Bounded (registry.FOLD_LIMIT) so graph construction stays cheap.


class _NotFoldableError(Exception):
    pass


def _fold_context(op, name):
    if name == "device":
        return torch.device("cpu")
    if name == "node_name":
        return op.name
    raise _NotFoldableError(name)


def _fold_with_kernel(op, index):
    info = _get_op_info(op.type)
    values = {}
    for t in op.inputs:
        v = _value(t)
        if v is None or v.size > FOLD_LIMIT:
            return None
        values[t] = v

    def value_of(t, is_ref):
        v = values[t]
        dt = t.dtype.base_dtype
        return v if dt is DType.string else numpy_to_torch(np.ascontiguousarray(v), dt)

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
    if _is_np(out):
        return out
    result = torch_to_numpy(out.detach(), op.outputs[index].dtype.base_dtype)
    if result.size > FOLD_LIMIT:
        return None
    return result


def _foldable(*op_types):
    tensor_util.register_constant_value(*op_types)(_fold_with_kernel)


# ---------------------------------------------------------------------------------------------
# Gradient helpers. Gradient functions emit standard TF ops (mirroring TF's array_grad.py) so
# TensorFlow can run graphs differentiated here; the API modules are imported lazily because they
# import the op registry this module populates.


def _is_indexed_slices(x) -> bool:
    return isinstance(x, IndexedSlices)


def _indexed_slices(values, indices, dense_shape):
    return IndexedSlices(values, indices, dense_shape)


def _dense(grad):
    """TF's ``_IndexedSlicesToTensorNoWarning``: an IndexedSlices gradient summed into a dense tensor
    (UnsortedSegmentSum over ``dense_shape[0]`` rows); Tensors pass through."""
    if _is_indexed_slices(grad):
        return convert_to_tensor(grad)
    return grad


def _reduce_sum(x, axis=None, keepdims=False):
    """``tf.reduce_sum`` as TF builds it: a Sum over ``axis`` (all dims when None: a Const range when the
    rank is known and non-zero, else Range(0, Rank(x)))."""
    if axis is None:
        rank = x.shape.rank
        if rank:
            axis = np.arange(rank, dtype=np.int32)
        else:
            axis = raw_op("Range", start=np.int32(0), limit=array_ops.rank(x), delta=np.int32(1), name="range")
    elif isinstance(axis, (list, tuple)):
        axis = np.array(axis, dtype=np.int32)
    return raw_op("Sum", input=x, reduction_indices=axis, keep_dims=bool(keepdims))


# ---------------------------------------------------------------------------------------------
# Const, Placeholder, PlaceholderWithDefault


def _const_shape(op):
    return [TensorShape(op.get_attr("value").tensor_shape)]


# Const is lowered from the environment (a buffer), never called; the kernel documents that.
@register_op("Const", outputs=["output: dtype"], attrs=["value: tensor", "dtype: type"], shape=_const_shape)
def const(value=None):
    raise AssertionError("Const nodes are lowered to module attributes")


not_differentiable("Const")


@tensor_util.register_constant_value("Const")
def _const_value(op, index):
    return tensor_util.MakeNdarray(op.get_attr("value"))


@register_op(
    "Placeholder",
    outputs=["output: dtype"],
    attrs=["dtype: type", "shape: shape = { unknown_rank: true }"],
    shape=common_shapes.from_attr("shape"),
)
def placeholder(dtype, shape, node_name):
    dims = "<unknown>" if shape is None else "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"
    raise errors.InvalidArgumentError(
        None,
        None,
        f"You must feed a value for placeholder tensor '{node_name}' with dtype {dtype.name} and shape {dims}",
    )


no_registered_gradient("Placeholder")


def _placeholder_with_default_shape(op):
    return [TensorShape(op.get_attr("shape"))]


@register_op(
    "PlaceholderWithDefault",
    inputs=["input: dtype"],
    outputs=["output: dtype"],
    attrs=["dtype: type", "shape: shape"],
    shape=_placeholder_with_default_shape,
    aliases_input=True,
)
def placeholder_with_default(input):
    return input


@register_gradient("PlaceholderWithDefault")
def _placeholder_with_default_grad(op, grad):
    return [grad]


# ---------------------------------------------------------------------------------------------
# Identity and friends


@register_op(
    "Identity",
    inputs=["input: T"],
    outputs=["output: T"],
    attrs=["T: type"],
    shape=common_shapes.unchanged,
    aliases_input=True,
)
def identity_kernel(input):
    return input


@register_gradient("Identity")
def _identity_grad(op, grad):
    return [grad]


@tensor_util.register_constant_value("Identity", "StopGradient", "Snapshot", "PreventGradient", "EnsureShape")
def _identity_value(op, index):
    return tensor_util.constant_value(op.inputs[0])


@register_op(
    "IdentityN",
    inputs=["input: T"],
    outputs=["output: T"],
    attrs=["T: list(type) >= 1"],
    shape=common_shapes.all_unchanged,
    aliases_input=True,
)
def identity_n(input):
    return input[0] if len(input) == 1 else tuple(input)


@tensor_util.register_constant_value("IdentityN")
def _identity_n_value(op, index):
    return tensor_util.constant_value(op.inputs[index])


@register_gradient("IdentityN")
def _identity_n_grad(op, *grads):
    return list(grads)


@register_op(
    "StopGradient",
    inputs=["input: T"],
    outputs=["output: T"],
    attrs=["T: type"],
    shape=common_shapes.unchanged,
    aliases_input=True,
)
def stop_gradient(input):
    return input if _is_np(input) else input.detach()


not_differentiable("StopGradient")


@register_op(
    "PreventGradient",
    inputs=["input: T"],
    outputs=["output: T"],
    attrs=["T: type", 'message: string = ""'],
    shape=common_shapes.unchanged,
    aliases_input=True,
)
def prevent_gradient(input):
    return input


@register_gradient("PreventGradient")
def _prevent_gradient_grad(op, grad):
    raise LookupError(f"Gradient explicitly disabled. Reason: {op.get_attr('message')}")


@register_op("Snapshot", inputs=["input: T"], outputs=["output: T"], attrs=["T: type"], shape=common_shapes.unchanged)
def snapshot(input):
    return input.copy() if _is_np(input) else input.clone()


# TF registers no gradient for Snapshot: tf.gradients through it raises LookupError.
no_registered_gradient("Snapshot")


@register_op(
    "CheckNumerics",
    inputs=["tensor: T"],
    outputs=["output: T"],
    attrs=["T: {bfloat16, half, float, double}", "message: string"],
    shape=common_shapes.unchanged,
    stateful=True,
    aliases_input=True,
)
def check_numerics(tensor, message):
    if not bool(torch.isfinite(tensor).all()):
        has_nan = bool(torch.isnan(tensor).any())
        has_inf = bool(torch.isinf(tensor).any())
        what = "Inf and NaN" if has_nan and has_inf else ("NaN" if has_nan else "Inf")
        raise _invalid(f"{message} : Tensor had {what} values")
    return tensor


@register_gradient("CheckNumerics")
def _check_numerics_grad(op, grad):
    message = f"Not a number (NaN) or infinity (Inf) values detected in gradient. {op.get_attr('message')}"
    return [array_ops.check_numerics(grad, message)]


def _ensure_shape_shape(op):
    expected = TensorShape(op.get_attr("shape"))
    shape = op.inputs[0].shape
    if not shape.is_compatible_with(expected):
        raise _shape_error(
            op,
            f"Shape of tensor {op.inputs[0].op.name} {_fmt_static(shape)} is not compatible with expected shape "
            f"{_fmt_static(expected)}.",
        )
    return [shape.merge_with(expected)]


@register_op(
    "EnsureShape",
    inputs=["input: T"],
    outputs=["output: T"],
    attrs=["shape: shape", "T: type"],
    shape=_ensure_shape_shape,
    aliases_input=True,
)
def ensure_shape(input, shape):
    if shape is not None:
        actual = tuple(input.shape)
        if len(actual) != len(shape) or any(e is not None and e != a for a, e in zip(actual, shape)):
            raise _invalid(f"Shape of tensor {_fmt(actual)} is not compatible with expected shape {_fmt(shape)}.")
    return input


@register_gradient("EnsureShape")
def _ensure_shape_grad(op, grad):
    return [grad]


# ---------------------------------------------------------------------------------------------
# Shape, ShapeN, Size, Rank


def _shape_vector(op):
    shape = op.inputs[0].shape
    return [TensorShape([shape.rank])]


@register_op(
    "Shape",
    inputs=["input: T"],
    outputs=["output: out_type"],
    attrs=["T: type", "out_type: {int32, int64} = DT_INT32"],
    shape=_shape_vector,
)
def shape_kernel(input, out_type, device):
    return torch.tensor(input.shape, dtype=out_type.torch, device=device)


@tensor_util.register_constant_value("Shape")
def _shape_value(op, index):
    shape = op.inputs[0].shape
    if not shape.is_fully_defined():
        return None
    return np.array(shape.as_tuple(), dtype=op.get_attr("out_type").numpy)


def _shape_n_shape(op):
    return [TensorShape([t.shape.rank]) for t in op.inputs]


@register_op(
    "ShapeN",
    inputs=["input: N * T"],
    outputs=["output: N * out_type"],
    attrs=["N: int >= 1", "T: type", "out_type: {int32, int64} = DT_INT32"],
    shape=_shape_n_shape,
)
def shape_n(input, out_type, device):
    return _outputs([torch.tensor(x.shape, dtype=out_type.torch, device=device) for x in input])


@tensor_util.register_constant_value("ShapeN")
def _shape_n_value(op, index):
    shape = op.inputs[index].shape
    if not shape.is_fully_defined():
        return None
    return np.array(shape.as_tuple(), dtype=op.get_attr("out_type").numpy)


@register_op(
    "Size",
    inputs=["input: T"],
    outputs=["output: out_type"],
    attrs=["T: type", "out_type: {int32, int64} = DT_INT32"],
    shape=common_shapes.scalar,
)
def size(input, out_type, device):
    n = input.size if _is_np(input) else input.numel()
    return torch.tensor(n, dtype=out_type.torch, device=device)


@tensor_util.register_constant_value("Size")
def _size_value(op, index):
    shape = op.inputs[0].shape
    if not shape.is_fully_defined():
        return None
    return np.array(int(np.prod(shape.as_tuple(), dtype=np.int64)), dtype=op.get_attr("out_type").numpy)


@register_op("Rank", inputs=["input: T"], outputs=["output: int32"], attrs=["T: type"], shape=common_shapes.scalar)
def rank(input, device):
    return torch.tensor(input.ndim, dtype=torch.int32, device=device)


@tensor_util.register_constant_value("Rank")
def _rank_value(op, index):
    r = op.inputs[0].shape.rank
    return None if r is None else np.array(r, dtype=np.int32)


not_differentiable("Shape", "ShapeN", "Size", "Rank")


# ---------------------------------------------------------------------------------------------
# Fill, ZerosLike, OnesLike


def _fill_shape(op):
    dims, value = op.inputs
    _with_rank(op, dims.shape, 1)
    if value.shape.rank not in (None, 0):
        raise _shape_error(op, f"Shape must be rank 0 but is rank {value.shape.rank}")
    return [shape_from_shape_tensor(dims)]


def _check_dims(dims_list):
    for d in dims_list:
        if d < 0:
            raise _invalid(f"Dimension {d} must be >= 0")


@register_op(
    "Fill",
    inputs=["dims: index_type", "value: T"],
    outputs=["output: T"],
    attrs=["T: type", "index_type: {int32, int64} = DT_INT32"],
    shape=_fill_shape,
)
def fill(dims, value):
    if dims.dim() != 1:
        raise _invalid(f"dims must be a vector, got shape {_fmt(dims.shape)}")
    shape = _host_ints(dims)
    _check_dims(shape)
    if _is_np(value):
        if value.size != 1:
            raise _invalid(f"value must be a scalar, got shape {_fmt(value.shape)}")
        out = np.empty(shape, dtype=object)
        out.fill(value.reshape(-1)[0])
        return out
    if value.numel() != 1:
        raise _invalid(f"value must be a scalar, got shape {_fmt(value.shape)}")
    return value.reshape(()).expand(shape).contiguous()


@register_op("ZerosLike", inputs=["x: T"], outputs=["y: T"], attrs=["T: type"], shape=common_shapes.unchanged)
def zeros_like(x):
    if isinstance(x, torch.Tensor):
        return torch.zeros_like(x)
    if _is_np(x):
        out = np.empty(x.shape, dtype=object)
        out.fill(b"")
        return out
    return x.zeros_like()  # a variant (TensorList, Optional): TF's registered ZerosLike of its kind


@register_op(
    "OnesLike",
    inputs=["x: T"],
    outputs=["y: T"],
    attrs=[
        "T: {bfloat16, half, float, double, int8, uint8, int16, uint16, int32, uint32, int64, uint64, complex64, "
        "complex128, bool}"
    ],
    shape=common_shapes.unchanged,
)
def ones_like(x):
    return torch.ones_like(x)


_foldable("Fill", "ZerosLike", "OnesLike")
not_differentiable("ZerosLike", "OnesLike")


@register_gradient("Fill")
def _fill_grad(op, grad):
    return [None, _reduce_sum(grad)]


# ---------------------------------------------------------------------------------------------
# Reshape, ExpandDims, Squeeze


def _reshape_shape(op):
    """TF's SetOutputShapeForReshape: solve one unknown output dim from the element counts."""
    tensor, shape_t = op.inputs
    if shape_t.shape.rank is not None and shape_t.shape.rank > 1:
        raise _shape_error(op, f"Shape must be at most rank 1 but is rank {shape_t.shape.rank}")
    out = shape_from_shape_tensor(shape_t)
    in_shape = tensor.shape
    if out.rank is None or in_shape.rank is None:
        return [out]
    out_dims = list(out.as_tuple())
    out_unknown = [i for i, d in enumerate(out_dims) if d is None]
    in_unknown = [i for i, d in enumerate(in_shape.as_tuple()) if d is None]
    if len(out_unknown) > 1 or len(in_unknown) > 1:
        return [out]
    known_out = int(np.prod([d for d in out_dims if d is not None], dtype=np.int64))
    known_in = int(np.prod([d for d in in_shape.as_tuple() if d is not None], dtype=np.int64))
    if not in_unknown and not out_unknown:
        if known_in != known_out:
            raise _shape_error(
                op, f"Cannot reshape a tensor with {known_in} elements to shape {_fmt(out_dims)} ({known_out} elements)"
            )
    elif not in_unknown and known_out > 0:
        if known_in % known_out:
            raise _shape_error(op, f"Dimension size must be evenly divisible by {known_out} but is {known_in}")
        out_dims[out_unknown[0]] = known_in // known_out
    elif in_unknown and not out_unknown and known_in != 0 and known_out % known_in:
        raise _shape_error(op, f"Dimension size must be evenly divisible by {known_in} but is {known_out}")
    return [TensorShape(out_dims)]


def _reshape_dims(in_shape, requested: list[int]) -> list[int]:
    """TF's Reshape size rules (reshape_op.h): one -1 is inferred; zero-sized dims are left out of the
    products when inferring it, so ``[0, 3] -> [-1, 0]`` gives ``[3, 0]`` as in TF."""
    product = 1
    unknown = -1
    has_zero = False
    for i, d in enumerate(requested):
        if d == -1:
            if unknown != -1:
                raise _invalid(f"Only one input size may be -1, not both {unknown} and {i}")
            unknown = i
        elif d < 0:
            raise _invalid(f"Size {i} must be non-negative, not {d}")
        elif d == 0:
            has_zero = True
        else:
            product *= d
    num_elements = 1
    for d in in_shape:
        num_elements *= d
    if unknown == -1:
        if has_zero:
            product = 0
        if product != num_elements:
            raise _invalid(
                f"Input to reshape is a tensor with {num_elements} values, but the requested shape has {product}"
            )
        return requested
    counted = 1
    input_has_zero = False
    for d in in_shape:
        if d > 0 or not has_zero:
            counted *= d
        else:
            input_has_zero = True
    missing = counted // product if product else 0
    if not input_has_zero and product * missing != counted:
        raise _invalid(
            f"Input to reshape is a tensor with {counted} values, but the requested shape requires a multiple of "
            f"{product}"
        )
    out = list(requested)
    out[unknown] = missing
    return out


@register_op(
    "Reshape",
    inputs=["tensor: T", "shape: Tshape"],
    outputs=["output: T"],
    attrs=["T: type", "Tshape: {int32, int64} = DT_INT32"],
    shape=_reshape_shape,
    aliases_input=True,
)
def reshape(tensor, shape):
    if shape.dim() > 1:
        raise _invalid(f"sizes input must be 1-D, not {_fmt(shape.shape)}")
    return tensor.reshape(_reshape_dims(tensor.shape, _host_ints(shape)))


def _expand_dims_shape(op):
    x, dim_t = op.inputs
    if dim_t.shape.rank is not None and dim_t.shape.num_elements() not in (None, 1):
        raise _shape_error(op, "'dim' input must be a tensor with a single value")
    dim = _scalar_value(dim_t)
    rank = x.shape.rank
    if rank is None or dim is None:
        return [unknown_shape()]
    if not -1 - rank <= dim <= rank:
        raise _shape_error(op, f"dim {dim} not in the interval [{-1 - rank}, {rank}].")
    if dim < 0:
        dim += rank + 1
    dims = list(x.shape.as_tuple())
    return [TensorShape([*dims[:dim], 1, *dims[dim:]])]


@register_op(
    "ExpandDims",
    inputs=["input: T", "dim: Tdim"],
    outputs=["output: T"],
    attrs=["T: type", "Tdim: {int32, int64} = DT_INT32"],
    shape=_expand_dims_shape,
    aliases_input=True,
)
def expand_dims(input, dim):
    if dim.numel() != 1:
        raise _invalid(f"'dim' must be a tensor with a single value, but got {_fmt(dim.shape)}")
    d = int(dim.reshape(-1)[0])
    rank = input.ndim
    if not -1 - rank <= d <= rank:
        raise _invalid(f"Tried to expand dim index {d} for tensor with {rank} dimensions.")
    if d < 0:
        d += rank + 1
    return np.expand_dims(input, d) if _is_np(input) else input.unsqueeze(d)


def _squeeze_shape(op):
    x = op.inputs[0]
    squeeze = op.get_attr("squeeze_dims")
    if x.shape.rank is None:
        return [unknown_shape()]
    rank = x.shape.rank
    wanted = set()
    for d in squeeze:
        if not -rank <= d < rank:
            raise _shape_error(op, f"Tried to squeeze dim index {d} for tensor with {rank} dimensions.")
        wanted.add(d % rank)
    out = []
    for i, d in enumerate(x.shape.as_tuple()):
        if wanted:
            if i in wanted:
                if d is not None and d != 1:
                    raise _shape_error(op, f"Can not squeeze dim[{i}], expected a dimension of 1, got {d}")
                continue
        elif d is None:
            return [unknown_shape()]
        elif d == 1:
            continue
        out.append(d)
    return [TensorShape(out)]


@register_op(
    "Squeeze",
    inputs=["input: T"],
    outputs=["output: T"],
    attrs=["T: type", "squeeze_dims: list(int) >= 0 = []"],
    shape=_squeeze_shape,
    aliases_input=True,
)
def squeeze(input, squeeze_dims):
    shape = input.shape
    rank = len(shape)
    if squeeze_dims:
        dims = []
        for d in squeeze_dims:
            if not -rank <= d < rank:
                raise _invalid(f"Tried to squeeze dim index {d} for tensor with {rank} dimensions.")
            d %= rank
            if shape[d] != 1:
                raise _invalid(f"Can not squeeze dim[{d}], expected a dimension of 1, got {shape[d]}")
            dims.append(d)
    else:
        dims = [i for i, n in enumerate(shape) if n == 1]
    out_shape = [n for i, n in enumerate(shape) if i not in dims]
    return input.reshape(out_shape)


_foldable("Reshape", "ExpandDims", "Squeeze")


@register_gradient("Reshape")
def _reshape_grad(op, grad):
    input_shape = op.inputs[0].shape
    if input_shape.rank is not None and not input_shape.is_fully_defined():
        # One unknown dim (and no zero-sized one) becomes -1: no data dependency on Shape(input).
        dims = list(input_shape.as_tuple())
        unknown = [i for i, d in enumerate(dims) if d is None]
        if len(unknown) == 1 and 0 not in dims:
            dims[unknown[0]] = -1
            return [array_ops.reshape(_dense(grad), dims), None]
    return [array_ops.reshape(_dense(grad), array_ops.shape(op.inputs[0])), None]


def _reshape_to_input(op, grad):
    return array_ops.reshape(_dense(grad), array_ops.shape(op.inputs[0]))


@register_gradient("ExpandDims")
def _expand_dims_grad(op, grad):
    return [_reshape_to_input(op, grad), None]


@register_gradient("Squeeze")
def _squeeze_grad(op, grad):
    return [_reshape_to_input(op, grad)]


# ---------------------------------------------------------------------------------------------
# Transpose


def _transpose_shape(op):
    x, perm_t = op.inputs
    perm_shape = _with_rank(op, perm_t.shape, 1)
    rank = x.shape.rank
    n = perm_shape.as_tuple()[0]
    if rank is None and n is not None:
        rank = n
    if rank is not None and n is not None and rank != n:
        raise _shape_error(op, f"Dimension must be {rank} but is {n}")
    perm = _value(perm_t)
    if rank is None:
        return [unknown_shape()]
    if perm is None:
        return [unknown_shape(rank)]
    perm = [int(p) for p in perm.reshape(-1)]
    dims = x.shape.as_tuple() if x.shape.rank is not None else (None,) * rank
    out = []
    for p in perm:
        if not -rank <= p < rank:
            raise _shape_error(op, f"perm dim {p} is out of range of input rank {rank}")
        out.append(dims[p % rank])
    return [TensorShape(out)]


@register_op(
    "Transpose",
    inputs=["x: T", "perm: Tperm"],
    outputs=["y: T"],
    attrs=["T: type", "Tperm: {int32, int64} = DT_INT32"],
    shape=_transpose_shape,
    aliases_input=True,
)
def transpose(x, perm):
    if perm.dim() != 1:
        raise _invalid(f"perm must be rank 1, got shape {_fmt(perm.shape)}")
    p = _host_ints(perm)
    rank = x.ndim
    if len(p) != rank:
        raise _invalid(f"transpose expects a vector of size {rank}. But input(1) is a vector of size {len(p)}")
    seen = [False] * rank
    for d in p:
        if not 0 <= d < rank:
            raise _invalid(f"{d} is out of range [0 .. {rank})")
        seen[d] = True
    for i in range(rank):
        if not seen[i]:
            raise _invalid(f"{i} is missing from {{{','.join(str(d) for d in p)}}}.")
    return np.transpose(x, p) if _is_np(x) else x.permute(p)


_foldable("Transpose")


@register_gradient("Transpose")
def _transpose_grad(op, grad):
    return [array_ops.transpose(grad, array_ops.invert_permutation(op.inputs[1])), None]


# ---------------------------------------------------------------------------------------------
# ConcatV2, ConcatOffset, Pack, Unpack


def _concat_shape(op):
    values, axis_t = op.inputs[:-1], op.inputs[-1]
    _with_rank(op, axis_t.shape, 0)
    axis = _scalar_value(axis_t)
    rank = next((t.shape.rank for t in values if t.shape.rank is not None), None)
    for t in values:
        if t.shape.rank is not None and t.shape.rank != rank:
            raise _shape_error(op, f"Shape must be rank {rank} but is rank {t.shape.rank}")
    if rank is None:
        return [unknown_shape()]
    if axis is None:
        return [unknown_shape(rank)]
    if not -rank <= axis < rank:
        raise _shape_error(op, f"Expected concatenating dimensions in the range [{-rank}, {rank}), but got {axis}")
    axis %= rank
    merged = None  # the inputs' shapes without the concat axis, merged as TF does
    total = 0
    for t in values:
        if t.shape.rank is None:
            total = None
            continue
        dims = t.shape.as_tuple()
        rest = dims[:axis] + dims[axis + 1 :]
        if merged is None:
            merged = list(rest)
        else:
            for i, (m, d) in enumerate(zip(merged, rest)):
                if m is not None and d is not None and m != d:
                    raise _shape_error(
                        op,
                        f"Dimension {i} in both shapes must be equal, but are {m} and {d}. Shapes are "
                        f"{_fmt(merged)} and {_fmt(rest)}.",
                    )
                if m is None:
                    merged[i] = d
        if total is not None:
            total = None if dims[axis] is None else total + dims[axis]
    if merged is None:
        merged = [None] * (rank - 1)
    return [TensorShape([*merged[:axis], total, *merged[axis:]])]


def _concat_check(values, axis):
    first = values[0].shape
    rank = len(first)
    if not -rank <= axis < rank if rank else axis != 0 and axis != -1:
        raise _invalid(f"ConcatOp : Expected concatenating dimensions in the range [{-rank}, {rank}), but got {axis}")
    if rank == 0:
        raise _invalid(f"ConcatOp : Expected concatenating dimensions in the range [{-rank}, {rank}), but got {axis}")
    axis %= rank
    for i, v in enumerate(values[1:], 1):
        shape = v.shape
        if len(shape) != rank:
            raise _invalid(
                f"ConcatOp : Ranks of all input tensors should match: shape[0] = {_fmt(first)} vs. "
                f"shape[{i}] = {_fmt(shape)}"
            )
        for d in range(rank):
            if d != axis and shape[d] != first[d]:
                raise _invalid(
                    f"ConcatOp : Dimension {d} in both shapes must be equal: shape[0] = {_fmt(first)} vs. "
                    f"shape[{i}] = {_fmt(shape)}"
                )
    return axis


@register_op(
    "ConcatV2",
    inputs=["values: N * T", "axis: Tidx"],
    outputs=["output: T"],
    attrs=["N: int >= 2", "T: type", "Tidx: {int32, int64} = DT_INT32"],
    shape=_concat_shape,
)
def concat_v2(values, axis):
    a = _concat_check(values, int(axis))
    if _is_np(values[0]):
        return np.concatenate(values, axis=a)
    return torch.cat(values, dim=a)


def _concat_offset_shape(op):
    return [t.shape for t in op.inputs[1:]]


@register_op(
    "ConcatOffset",
    inputs=["concat_dim: int32", "shape: N * shape_type"],
    outputs=["offset: N * shape_type"],
    attrs=["N: int >= 2", "shape_type: {int32, int64} = DT_INT32"],
    shape=_concat_offset_shape,
)
def concat_offset(concat_dim, shape):
    dims0 = _host_ints(shape[0])
    rank = len(dims0)
    axis = int(concat_dim)
    if not -rank <= axis < rank:
        raise _invalid(f"Concat dim is out of range: {axis} vs. {rank}")
    axis %= rank
    out = []
    offset = 0
    for i, s in enumerate(shape):
        dims = _host_ints(s)
        if len(dims) != rank:
            raise _invalid(f"input {i} should contain {rank} elements, but got {len(dims)}")
        for d in range(rank):
            if d != axis and dims[d] != dims0[d]:
                raise _invalid(
                    f"All dimensions except {axis} must match. Input {i} has shape [{' '.join(map(str, dims))}] "
                    f"and doesn't match input 0 with shape [{' '.join(map(str, dims0))}]."
                )
        vec = [0] * rank
        vec[axis] = offset
        offset += dims[axis]
        out.append(torch.tensor(vec, dtype=s.dtype, device=s.device))
    return tuple(out)


def _pack_shape(op):
    axis = op.get_attr("axis")
    merged = unknown_shape()
    for t in op.inputs:
        if merged.rank is not None and t.shape.rank is not None and merged.rank != t.shape.rank:
            raise _shape_error(op, f"Shapes must be equal rank, but are {merged.rank} and {t.shape.rank}")
        try:
            merged = merged.merge_with(t.shape)
        except ValueError:
            raise _shape_error(
                op, f"Shapes {_fmt_static(merged)} and {_fmt_static(t.shape)} are not compatible"
            ) from None
    if merged.rank is None:
        return [unknown_shape()]
    rank = merged.rank + 1
    if not -rank <= axis < rank:
        raise _shape_error(op, f"Invalid axis: {axis}; must be in [{-rank},{rank})")
    axis %= rank
    dims = list(merged.as_tuple())
    return [TensorShape([*dims[:axis], len(op.inputs), *dims[axis:]])]


@register_op(
    "Pack",
    inputs=["values: N * T"],
    outputs=["output: T"],
    attrs=["N: int >= 1", "T: type", "axis: int = 0"],
    shape=_pack_shape,
)
def pack(values, axis):
    first = values[0].shape
    for i, v in enumerate(values[1:], 1):
        if v.shape != first:
            raise _invalid(
                f"Shapes of all inputs must match: values[0].shape = {_fmt(first)} != values[{i}].shape = "
                f"{_fmt(v.shape)}"
            )
    rank = len(first) + 1
    if not -rank <= axis < rank:
        raise _invalid(f"axis = {axis} not in [{-rank}, {rank})")
    if _is_np(values[0]):
        return np.stack(values, axis=axis)
    return torch.stack(values, dim=axis)


def _unpack_shape(op):
    x = op.inputs[0]
    num = op.get_attr("num")
    axis = op.get_attr("axis")
    if x.shape.rank is None:
        return [unknown_shape()] * num
    rank = x.shape.rank
    if not -rank <= axis < rank:
        raise _shape_error(op, f"Invalid axis: {axis}; must be in [{-rank},{rank})")
    axis %= rank
    dims = list(x.shape.as_tuple())
    if dims[axis] is not None and dims[axis] != num:
        raise _shape_error(op, f"Dimension must be {num} but is {dims[axis]}")
    return [TensorShape(dims[:axis] + dims[axis + 1 :])] * num


@register_op(
    "Unpack",
    inputs=["value: T"],
    outputs=["output: num * T"],
    attrs=["num: int >= 0", "T: type", "axis: int = 0"],
    shape=_unpack_shape,
    aliases_input=True,
)
def unpack(value, num, axis):
    shape = value.shape
    rank = len(shape)
    if not -rank <= axis < rank:
        raise _invalid(f"axis = {axis} not in [{-rank}, {rank})")
    axis %= rank
    if shape[axis] != num:
        raise _invalid(f"Input shape axis {axis} must equal {num}, got shape {_fmt(shape)}")
    if _is_np(value):
        return _outputs([np.take(value, i, axis=axis) for i in range(num)])
    return _outputs(torch.unbind(value, dim=axis))


_foldable("ConcatV2", "ConcatOffset", "Pack", "Unpack")
not_differentiable("ConcatOffset")


def _input_shapes(values):
    """TF's ``_ExtractInputShapes``: Const shapes when every one is static, else one ShapeN."""
    sizes = []
    for x in values:
        shape = array_ops.shape(x)
        if shape.op.type != "Const":
            return array_ops.shape_n(values)
        sizes.append(shape)
    return sizes


@register_gradient("ConcatV2")
def _concat_v2_grad(op, grad):
    """Slices of ``grad`` at each input's ConcatOffset (TF's ``_ConcatGradHelper``, graph mode)."""
    values, concat_dim = op.inputs[:-1], op.inputs[-1]
    non_neg_concat_dim = raw_op("FloorMod", x=concat_dim, y=array_ops.rank(values[0]), name="mod")
    if _is_indexed_slices(grad):
        return [*_concat_indexed_slices_grad(grad, values, concat_dim, non_neg_concat_dim), None]
    sizes = _input_shapes(values)
    if len(sizes) > 16:
        # Many inputs: one SplitV of the sizes along the concat dim (TF's benchmarked threshold).
        sizes = array_ops.squeeze(array_ops.slice(array_ops.stack(sizes, axis=1), [non_neg_concat_dim, 0], [1, -1]))
        return [*array_ops.split(grad, sizes, non_neg_concat_dim, num=len(values)), None]
    offsets = raw_op("ConcatOffset", concat_dim=non_neg_concat_dim, shape=list(sizes))
    return [array_ops.slice(grad, begin, size) for begin, size in zip(offsets, sizes)] + [None]


def _concat_indexed_slices_grad(grad, values, concat_dim, non_neg_concat_dim):
    concat_dim_static = tensor_util.constant_value(concat_dim)
    if concat_dim_static is None:
        raise ValueError("Can only compute IndexedSlices gradient with statically-known concat_dim")
    concat_dim_static = int(concat_dim_static)
    if concat_dim_static < 0:
        rank = tensor_util.constant_value(array_ops.rank(values[0]))
        if rank is None:
            raise ValueError(
                "Can only compute IndexedSlices gradient with negative concat_dim when first value rank is "
                "statically-known."
            )
        concat_dim_static %= int(rank)
    sizes = [array_ops.shape(x) for x in values]
    out = []
    if concat_dim_static > 0:
        # Every input gets all the rows (indices), with the values sliced along the concat dim.
        shape_of_shape = array_ops.shape(sizes[0])
        mask = array_ops.concat(
            [
                array_ops.zeros(array_ops.expand_dims(non_neg_concat_dim, 0), dtype=DType.int32),
                [1],
                array_ops.zeros(
                    raw_op("Sub", x=raw_op("Sub", x=shape_of_shape, y=non_neg_concat_dim, name="sub"), y=1, name="sub"),
                    dtype=DType.int32,
                ),
            ],
            0,
        )
        begin = array_ops.zeros(shape_of_shape, dtype=DType.int32)
        for size in sizes:
            new_values = array_ops.slice(
                grad.values, begin, array_ops.concat([[-1], array_ops.slice(size, [1], [-1])], 0)
            )
            out.append(_indexed_slices(new_values, grad.indices, size))
            begin = raw_op("AddV2", x=begin, y=raw_op("Mul", x=size, y=mask, name="mul"), name="Add")
        return out
    # Concatenated along rows: each input keeps the rows that fall in its range, shifted to start at 0.
    index_dtype = grad.indices.dtype.base_dtype
    start = array_ops.constant(0, dtype=index_dtype)
    for size in sizes:
        size_concat_dim = array_ops.gather(size, non_neg_concat_dim)
        if size_concat_dim.dtype.base_dtype is not index_dtype:
            size_concat_dim = raw_op("Cast", x=size_concat_dim, DstT=index_dtype, name="Cast")
        end = raw_op("AddV2", x=start, y=size_concat_dim, name="add")
        in_range = raw_op(
            "LogicalAnd",
            x=raw_op("GreaterEqual", x=grad.indices, y=start),
            y=raw_op("Less", x=grad.indices, y=end),
        )
        indices_to_select = array_ops.squeeze(array_ops.where(in_range), axis=[1])
        new_indices = raw_op("Sub", x=array_ops.gather(grad.indices, indices_to_select), y=start, name="sub")
        new_values = array_ops.gather(grad.values, indices_to_select)
        out.append(_indexed_slices(new_values, new_indices, size))
        start = end
    return out


@register_gradient("Pack")
def _pack_grad(op, grad):
    return array_ops.unstack(grad, num=op.get_attr("N"), axis=op.get_attr("axis"))


@register_gradient("Unpack")
def _unpack_grad(op, *grads):
    return [array_ops.stack(list(grads), axis=op.get_attr("axis"))]


# ---------------------------------------------------------------------------------------------
# Slice, StridedSlice


def _slice_shape(op):
    x, begin_t, size_t = op.inputs
    begin_shape = _with_rank(op, begin_t.shape, 1)
    size_shape = _with_rank(op, size_t.shape, 1)
    n = _merge_dim(op, begin_shape.as_tuple()[0], size_shape.as_tuple()[0])
    if x.shape.rank is not None and n is not None and x.shape.rank != n:
        raise _shape_error(op, f"Shape must be rank {n} but is rank {x.shape.rank}")
    rank = x.shape.rank if x.shape.rank is not None else n
    begin = _value(begin_t)
    sizes = _value(size_t)
    if rank is None:
        return [unknown_shape()]
    dims = x.shape.as_tuple() if x.shape.rank is not None else (None,) * rank
    if begin is not None and sizes is not None:
        out = []
        for i, (b, s, d) in enumerate(zip(begin.reshape(-1).tolist(), sizes.reshape(-1).tolist(), dims)):
            b, s = int(b), int(s)
            if s == -1:
                out.append(None if d is None else d - b)
            else:
                if s < -1:
                    raise _shape_error(op, f"Expected size[{i}] in [0, {d}], but got {s}")
                if d is not None and b + s > d:
                    raise _shape_error(op, f"Expected size[{i}] in [0, {d - b}], but got {s}")
                out.append(s)
        return [TensorShape(out)]
    if sizes is not None:
        out = []
        for s in sizes.reshape(-1).tolist():
            s = int(s)
            out.append(None if s == -1 else s)
        return [TensorShape(out)]
    partial = shape_from_shape_tensor(size_t)
    if partial.rank == rank:
        return [TensorShape([d if d is not None and d >= 0 else None for d in partial.as_tuple()])]
    return [unknown_shape(rank)]


@register_op(
    "Slice",
    inputs=["input: T", "begin: Index", "size: Index"],
    outputs=["output: T"],
    attrs=["T: type", "Index: {int32, int64}"],
    shape=_slice_shape,
    aliases_input=True,
)
def slice_kernel(input, begin, size):
    rank = input.ndim
    b = _host_ints(begin)
    s = _host_ints(size)
    if begin.dim() != 1 or size.dim() != 1 or len(b) != rank or len(s) != rank:
        raise _invalid(
            f"Expected begin and size arguments to be 1-D tensors of size {rank}, but got shapes "
            f"{_fmt(begin.shape)} and {_fmt(size.shape)} instead."
        )
    index = []
    for i in range(rank):
        d = input.shape[i]
        bi, si = b[i], s[i]
        if si == -1:
            si = d - bi
        if not (0 <= bi <= d and 0 <= si <= d - bi):
            raise _invalid(f"Expected size[{i}] in [0, {d - bi}], but got {s[i]}")
        index.append(slice(bi, bi + si))
    return input[tuple(index)]


def _strided_slice_spec(begin, end, strides, dims, begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_mask):
    """TF's ValidateStridedSliceOp: per input dim (begin, end, stride, size) and the final shape.

    ``begin``/``end`` may be None (not static) and ``dims`` entries may be None (unknown); sizes are
    then None where TF's shape inference cannot know them. Raises InvalidArgumentError with TF's
    wording.
    """
    n = len(strides)
    if ellipsis_mask & (ellipsis_mask - 1):
        raise _invalid("Multiple ellipses in slice spec not allowed")
    ellipsis_seen = False
    new_after_ellipsis = 0
    for i in range(n):
        if ellipsis_seen and (1 << i) & new_axis_mask:
            new_after_ellipsis += 1
        if (1 << i) & ellipsis_mask:
            ellipsis_seen = True
    sparse_dims = n
    if not ellipsis_seen:
        ellipsis_mask |= 1 << n
        sparse_dims += 1
    rank = len(dims)
    d_begin, d_end, d_stride = [0] * rank, [0] * rank, [1] * rank
    d_bmask = d_emask = d_shrink = 0
    gather = []  # output dims: a dense index, or "new" for new axes
    full = 0
    for i in range(sparse_dims):
        if (1 << i) & ellipsis_mask:
            nxt = min(rank - (sparse_dims - i) + 1 + new_after_ellipsis, rank)
            while full < nxt:
                d_bmask |= 1 << full
                d_emask |= 1 << full
                gather.append(full)
                full += 1
        elif (1 << i) & new_axis_mask:
            gather.append("new")
        else:
            if full == rank:
                raise _invalid(f"Index out of range using input dim {full}; input has only {rank} dims")
            if begin is not None:
                d_begin[full] = begin[i]
            if end is not None:
                d_end[full] = end[i]
            d_stride[full] = strides[i]
            if begin_mask & (1 << i):
                d_bmask |= 1 << full
            if end_mask & (1 << i):
                d_emask |= 1 << full
            if shrink_mask & (1 << i):
                gather.append("shrink")
                d_shrink |= 1 << full
            else:
                gather.append(full)
            full += 1
    known = begin is not None and end is not None
    sizes = []
    for i in range(rank):
        stride = d_stride[i]
        if stride == 0:
            raise _invalid(f"strides[{i}] must be non-zero")
        shrink = bool(d_shrink & (1 << i))
        dim = dims[i]
        if dim is None:
            sizes.append(1 if shrink else None)
            continue
        if shrink and stride <= 0:
            raise _invalid("only stride 1 allowed on non-range indexing.")
        bm, em = bool(d_bmask & (1 << i)), bool(d_emask & (1 << i))
        if known:
            if shrink:
                b = d_begin[i]
                fwd = b + dim if b < 0 else b
                if fwd < 0 or fwd >= dim:
                    raise _invalid(f"slice index {fwd} of dimension {i} out of bounds.")
                d_begin[i], d_end[i] = fwd, fwd + 1
            else:
                lo, hi = (0, dim) if stride > 0 else (-1, dim - 1)

                def canonical(x, masked, which, lo=lo, hi=hi, stride=stride, dim=dim):
                    if masked:
                        return (lo, hi)[which] if stride > 0 else (lo, hi)[1 - which]
                    x = x + dim if x < 0 else x
                    return lo if x < lo else (hi if x > hi else x)

                d_begin[i] = canonical(d_begin[i], bm, 0)
                d_end[i] = canonical(d_end[i], em, 1)
            length = d_end[i] - d_begin[i]
        elif shrink:
            length = 1
        elif bm and em and dim > 0:
            length = -dim if stride < 0 else dim
        else:
            sizes.append(None)
            continue
        if length == 0 or (length < 0) != (stride < 0):
            sizes.append(0)
        else:
            sizes.append(_ceil_div(length, stride))
    final = []
    for g in gather:
        if g == "new":
            final.append(1)
        elif g != "shrink":
            final.append(sizes[g])
    return d_begin, d_end, d_stride, sizes, final


def _ceil_div(length: int, stride: int) -> int:
    """C++'s ``length / stride + (length % stride != 0)`` for same-signed operands."""
    q, r = abs(length) // abs(stride), abs(length) % abs(stride)
    return q + (1 if r else 0)


def _strided_slice_shape(op):
    x, begin_t, end_t, strides_t = op.inputs
    n = None
    for t in (begin_t, end_t, strides_t):
        s = _with_rank(op, t.shape, 1)
        n = _merge_dim(op, n, s.as_tuple()[0])
    strides = _value(strides_t)
    if x.shape.rank is None or n is None or strides is None:
        return [unknown_shape()]
    begin = _value(begin_t)
    end = _value(end_t)
    attrs = [op.get_attr(a) for a in _SS_MASKS]
    try:
        *_, final = _strided_slice_spec(
            None if begin is None else [int(v) for v in begin.reshape(-1)],
            None if end is None else [int(v) for v in end.reshape(-1)],
            [int(v) for v in strides.reshape(-1)],
            list(x.shape.as_tuple()),
            *attrs,
        )
    except errors.InvalidArgumentError as e:
        raise _shape_error(op, e.message) from None
    return [TensorShape(final)]


_SS_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


@register_op(
    "StridedSlice",
    inputs=["input: T", "begin: Index", "end: Index", "strides: Index"],
    outputs=["output: T"],
    attrs=[
        "T: type",
        "Index: {int16, int32, int64}",
        "begin_mask: int = 0",
        "end_mask: int = 0",
        "ellipsis_mask: int = 0",
        "new_axis_mask: int = 0",
        "shrink_axis_mask: int = 0",
    ],
    shape=_strided_slice_shape,
    aliases_input=True,
)
def strided_slice(input, begin, end, strides, begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask):
    b, e, s = _host_ints(begin), _host_ints(end), _host_ints(strides)
    if not (begin.dim() == 1 and end.dim() == 1 and strides.dim() == 1 and len(b) == len(s) == len(e) and len(b) < 32):
        raise _invalid(
            f"Expected begin, end, and strides to be 1D equal size tensors, but got shapes {_fmt(begin.shape)}, "
            f"{_fmt(end.shape)}, and {_fmt(strides.shape)} instead."
        )
    d_begin, _, d_stride, sizes, final = _strided_slice_spec(
        b, e, s, list(input.shape), begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask
    )
    index = []
    flips = []
    for i, (lo, st, n) in enumerate(zip(d_begin, d_stride, sizes)):
        if n == 0:
            index.append(slice(0, 0))
        elif st > 0:
            index.append(slice(lo, lo + (n - 1) * st + 1, st))
        else:
            last = lo + (n - 1) * st  # the smallest index taken
            index.append(slice(last, lo + 1, -st))
            flips.append(i)
    out = input[tuple(index)]
    if flips:
        out = np.flip(out, flips) if _is_np(out) else torch.flip(out, flips)
    return out.reshape(final)


def _strided_slice_grad_shape(op):
    _with_rank(op, op.inputs[0].shape, 1)
    return [shape_from_shape_tensor(op.inputs[0])]


@register_op(
    "StridedSliceGrad",
    inputs=["shape: Index", "begin: Index", "end: Index", "strides: Index", "dy: T"],
    outputs=["output: T"],
    attrs=[
        "T: type",
        "Index: {int32, int64}",
        "begin_mask: int = 0",
        "end_mask: int = 0",
        "ellipsis_mask: int = 0",
        "new_axis_mask: int = 0",
        "shrink_axis_mask: int = 0",
    ],
    shape=_strided_slice_grad_shape,
)
def strided_slice_grad(
    shape, begin, end, strides, dy, begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask
):
    """Zeros of ``shape`` with ``dy`` written where StridedSlice(begin, end, strides, masks) reads."""
    if shape.dim() != 1:
        raise _invalid(f"shape must be 1-D, got shape.shape = {_fmt(shape.shape)}")
    dims = _host_ints(shape)
    _check_dims(dims)
    b, e, s = _host_ints(begin), _host_ints(end), _host_ints(strides)
    if not (begin.dim() == 1 and end.dim() == 1 and strides.dim() == 1 and len(b) == len(s) == len(e) and len(b) < 32):
        raise _invalid(
            f"Expected begin, end, and strides to be 1D equal size tensors, but got shapes {_fmt(begin.shape)}, "
            f"{_fmt(end.shape)}, and {_fmt(strides.shape)} instead."
        )
    d_begin, _, d_stride, sizes, final = _strided_slice_spec(
        b, e, s, dims, begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask
    )
    if tuple(dy.shape) != tuple(final):
        raise _invalid(f"shape of dy was {_fmt(dy.shape)} instead of {_fmt(final)}")
    # Positions read along each input dim (descending for negative strides).
    positions = [range(lo, lo + n * st, st) for lo, st, n in zip(d_begin, d_stride, sizes)]
    if _is_np(dy):
        out = np.empty(dims, dtype=object)
        out.fill(b"")
        if dy.size:
            out[np.ix_(*[np.array(p, dtype=np.int64) for p in positions])] = dy.reshape(sizes)
        return out
    if not dims:
        return dy.reshape(()).clone()
    out = dy.new_zeros(dims)
    if not dy.numel():
        return out
    values = dy.reshape(sizes)
    if not dy.requires_grad:
        index, flips = [], []
        for i, (lo, st, n) in enumerate(zip(d_begin, d_stride, sizes)):
            if st > 0:
                index.append(slice(lo, lo + (n - 1) * st + 1, st))
            else:
                index.append(slice(lo + (n - 1) * st, lo + 1, -st))
                flips.append(i)
        out[tuple(index)] = torch.flip(values, flips) if flips else values
        return out
    grids = torch.meshgrid(*[torch.tensor(p, dtype=torch.long, device=dy.device) for p in positions], indexing="ij")
    return out.index_put(tuple(g.reshape(-1) for g in grids), values.reshape(-1))


_foldable("Slice", "StridedSlice", "StridedSliceGrad")


@register_gradient("Slice")
def _slice_grad(op, grad):
    """Pads ``grad`` back to the input's shape: ``begin`` zeros before, the rest after."""
    x, begin = op.inputs[0], op.inputs[1]
    index_dtype = begin.dtype.base_dtype
    slice_size = array_ops.shape(op.outputs[0], out_type=index_dtype)
    shape = array_ops.stack([array_ops.rank(x), 1])
    before_pad = array_ops.reshape(begin, shape)
    remaining = raw_op("Sub", x=array_ops.shape(x, out_type=index_dtype), y=slice_size, name="sub")
    after_pad = array_ops.reshape(raw_op("Sub", x=remaining, y=begin, name="sub"), shape)
    paddings = array_ops.concat([before_pad, after_pad], 1)
    return [array_ops.pad(grad, paddings), None, None]


def _static_or(t):
    value = tensor_util.constant_value(t)
    return t if value is None else value


@register_gradient("StridedSlice")
def _strided_slice_grad(op, grad):
    begin, end, strides = op.inputs[1:]
    shape = array_ops.shape(op.inputs[0], out_type=begin.dtype.base_dtype)
    return [
        raw_op(
            "StridedSliceGrad",
            shape=_static_or(shape),
            begin=_static_or(begin),
            end=_static_or(end),
            strides=_static_or(strides),
            dy=grad,
            **{m: op.get_attr(m) for m in _SS_MASKS},
        ),
        None,
        None,
        None,
    ]


@register_gradient("StridedSliceGrad")
def _strided_slice_grad_grad(op, grad):
    begin, end, strides = op.inputs[1:4]
    masks = {m: op.get_attr(m) for m in _SS_MASKS}
    return [None, None, None, None, array_ops.strided_slice(grad, begin, end, strides, **masks)]


# ---------------------------------------------------------------------------------------------
# Bitcast


def _bitcast_shape(op):
    x = op.inputs[0].shape
    src = op.get_attr("T").size
    dst = op.get_attr("type").size
    if x.rank is None:
        return [unknown_shape()]
    dims = list(x.as_tuple())
    if src == dst:
        return [x]
    if src > dst:
        return [TensorShape([*dims, src // dst])]
    if not dims:
        raise _shape_error(op, "input rank must be >= 1 when the output type is bigger")
    last = dims[-1]
    if last is not None and last != dst // src:
        raise _shape_error(op, f"Cannot bitcast from {op.get_attr('T').value} to {op.get_attr('type').value}")
    return [TensorShape(dims[:-1])]


_BITCAST_TYPES = (
    "{bfloat16, half, float, double, int64, int32, uint8, uint16, uint32, uint64, int8, int16, complex64, "
    "complex128, qint8, quint8, qint16, quint16, qint32}"
)


@register_op(
    "Bitcast",
    inputs=["input: T"],
    outputs=["output: type"],
    attrs=[f"T: {_BITCAST_TYPES}", f"type: {_BITCAST_TYPES}"],
    shape=_bitcast_shape,
    aliases_input=True,
)
def bitcast(input, T, type):
    src, dst = T.size, type.size
    x = input.contiguous()
    if src == dst:
        return x.view(type.torch)
    if src > dst:
        return x.unsqueeze(-1).view(type.torch)
    if x.dim() == 0 or x.shape[-1] != dst // src:
        raise _invalid(f"Cannot bitcast from {T.value} to {type.value}: shape {_fmt(x.shape)}")
    return x.view(type.torch).squeeze(-1)


# TF registers no gradient for Bitcast: tf.gradients through it raises LookupError.
no_registered_gradient("Bitcast")
_foldable("Bitcast")
