"""Array ops: constants, placeholders, identity and its kin, Shape/Size/Rank, Fill, Reshape, ExpandDims,
Squeeze, Bitcast. The rest of the array family: ``array_layout_ops`` (Transpose, Concat, Pack, Tile, Pad,
Split, ...), ``array_slice_ops`` (Slice, StridedSlice) and ``array_index_ops`` (Gather, Scatter, Select, ...).

String tensors reach kernels as numpy object arrays (every other dtype as torch tensors), so each
kernel that TF registers for strings has a numpy branch. Index-like inputs (shapes, axes, paddings,
begin/end/strides) are read on the host, as TF keeps them in host memory.
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta import errors
from torchmeta.api import array_ops
from torchmeta.dtypes import DType
from torchmeta.framework import common_shapes, tensor_util
from torchmeta.framework.common_shapes import (
    constant_scalar,
    format_dims,
    format_shape,
    shape_error,
    shape_from_shape_tensor,
    with_rank,
)
from torchmeta.framework.registry import (
    no_registered_gradient,
    not_differentiable,
    register_gradient,
    register_op,
)
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.ops.common import (
    check_dims,
    dense_gradient,
    grad_reduce_sum,
    host_ints,
    invalid,
    is_np,
    list_output,
)

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
def _const_value(op, index, partial):
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


@tensor_util.register_constant_value("Identity", "StopGradient", "CheckNumericsV2", "DebugIdentityV2")
def _identity_value(op, index, partial):
    return tensor_util.constant_value(op.inputs[0], partial)


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
    return input if is_np(input) else input.detach()


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
    return input.copy() if is_np(input) else input.clone()


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
        raise invalid(f"{message} : Tensor had {what} values")
    return tensor


@register_gradient("CheckNumerics")
def _check_numerics_grad(op, grad):
    message = f"Not a number (NaN) or infinity (Inf) values detected in gradient. {op.get_attr('message')}"
    return [array_ops.check_numerics(grad, message)]


def _ensure_shape_shape(op):
    expected = TensorShape(op.get_attr("shape"))
    shape = op.inputs[0].shape
    if not shape.is_compatible_with(expected):
        raise shape_error(
            op,
            f"Shape of tensor {op.inputs[0].op.name} {format_shape(shape)} is not compatible with expected shape "
            f"{format_shape(expected)}.",
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
            raise invalid(
                f"Shape of tensor {format_dims(actual)} is not compatible with expected shape {format_dims(shape)}."
            )
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
def _shape_value(op, index, partial):
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
    return list_output([torch.tensor(x.shape, dtype=out_type.torch, device=device) for x in input])


@register_op(
    "Size",
    inputs=["input: T"],
    outputs=["output: out_type"],
    attrs=["T: type", "out_type: {int32, int64} = DT_INT32"],
    shape=common_shapes.scalar,
)
def size(input, out_type, device):
    n = input.size if is_np(input) else input.numel()
    return torch.tensor(n, dtype=out_type.torch, device=device)


@tensor_util.register_constant_value("Size")
def _size_value(op, index, partial):
    """TF's Python constant_value gives an int32 scalar whatever ``out_type`` is."""
    shape = op.inputs[0].shape
    if not shape.is_fully_defined():
        return None
    return np.prod(shape.as_tuple(), dtype=np.int32)


@register_op("Rank", inputs=["input: T"], outputs=["output: int32"], attrs=["T: type"], shape=common_shapes.scalar)
def rank(input, device):
    return torch.tensor(input.ndim, dtype=torch.int32, device=device)


@tensor_util.register_constant_value("Rank")
def _rank_value(op, index, partial):
    r = op.inputs[0].shape.rank
    return None if r is None else np.array(r, dtype=np.int32)


not_differentiable("Shape", "ShapeN", "Size", "Rank")


# ---------------------------------------------------------------------------------------------
# Fill, ZerosLike, OnesLike


def _fill_shape(op):
    dims, value = op.inputs
    with_rank(op, dims.shape, 1)
    if value.shape.rank not in (None, 0):
        raise shape_error(op, f"Shape must be rank 0 but is rank {value.shape.rank}")
    return [shape_from_shape_tensor(dims)]


@register_op(
    "Fill",
    inputs=["dims: index_type", "value: T"],
    outputs=["output: T"],
    attrs=["T: type", "index_type: {int32, int64} = DT_INT32"],
    shape=_fill_shape,
)
def fill(dims, value):
    if dims.dim() != 1:
        raise invalid(f"dims must be a vector, got shape {format_dims(dims.shape)}")
    shape = host_ints(dims)
    check_dims(shape)
    if is_np(value):
        if value.size != 1:
            raise invalid(f"value must be a scalar, got shape {format_dims(value.shape)}")
        out = np.empty(shape, dtype=object)
        out.fill(value.reshape(-1)[0])
        return out
    if value.numel() != 1:
        raise invalid(f"value must be a scalar, got shape {format_dims(value.shape)}")
    return value.reshape(()).expand(shape).contiguous()


@register_op("ZerosLike", inputs=["x: T"], outputs=["y: T"], attrs=["T: type"], shape=common_shapes.unchanged)
def zeros_like(x):
    if isinstance(x, torch.Tensor):
        return torch.zeros_like(x)
    if is_np(x):
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


not_differentiable("ZerosLike", "OnesLike")


@register_gradient("Fill")
def _fill_grad(op, grad):
    return [None, grad_reduce_sum(grad)]


@tensor_util.register_constant_value("Fill")
def _fill_value(op, index, partial):
    """TF's Python constant_value reads the Fill's static output shape, not its ``dims`` input."""
    fill_shape = op.outputs[0].shape
    value = tensor_util.constant_value(op.inputs[1])
    if not fill_shape.is_fully_defined() or value is None:
        return None
    return np.full(fill_shape.as_list(), value, dtype=value.dtype)


# ---------------------------------------------------------------------------------------------
# Reshape, ExpandDims, Squeeze


def _reshape_shape(op):
    """TF's SetOutputShapeForReshape: solve one unknown output dim from the element counts."""
    tensor, shape_t = op.inputs
    if shape_t.shape.rank is not None and shape_t.shape.rank != 1:  # MakeShapeFromShapeTensor's WithRank(1)
        raise shape_error(op, f"Shape must be rank 1 but is rank {shape_t.shape.rank}")
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
            raise shape_error(
                op,
                f"Cannot reshape a tensor with {known_in} elements to shape {format_dims(out_dims)} ({known_out} elements)",
            )
    elif not in_unknown and known_out > 0:
        if known_in % known_out:
            raise shape_error(op, f"Dimension size must be evenly divisible by {known_out} but is {known_in}")
        out_dims[out_unknown[0]] = known_in // known_out
    elif in_unknown and not out_unknown and known_in != 0 and known_out % known_in:
        raise shape_error(op, f"Dimension size must be evenly divisible by {known_in} but is {known_out}")
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
                raise invalid(f"Only one input size may be -1, not both {unknown} and {i}")
            unknown = i
        elif d < 0:
            raise invalid(f"Size {i} must be non-negative, not {d}")
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
            raise invalid(
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
        raise invalid(
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
        raise invalid(f"sizes input must be 1-D, not {format_dims(shape.shape)}")
    return tensor.reshape(_reshape_dims(tensor.shape, host_ints(shape)))


def _expand_dims_shape(op):
    x, dim_t = op.inputs
    if dim_t.shape.rank is not None and dim_t.shape.num_elements() not in (None, 1):
        raise shape_error(op, "'dim' input must be a tensor with a single value")
    dim = constant_scalar(dim_t)
    rank = x.shape.rank
    if rank is None or dim is None:
        return [unknown_shape()]
    if not -1 - rank <= dim <= rank:
        raise shape_error(op, f"dim {dim} not in the interval [{-1 - rank}, {rank}].")
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
        raise invalid(f"'dim' must be a tensor with a single value, but got {format_dims(dim.shape)}")
    d = int(dim.reshape(-1)[0])
    rank = input.ndim
    if not -1 - rank <= d <= rank:
        raise invalid(f"Tried to expand dim index {d} for tensor with {rank} dimensions.")
    if d < 0:
        d += rank + 1
    return np.expand_dims(input, d) if is_np(input) else input.unsqueeze(d)


def _squeeze_shape(op):
    x = op.inputs[0]
    squeeze = op.get_attr("squeeze_dims")
    if x.shape.rank is None:
        return [unknown_shape()]
    rank = x.shape.rank
    wanted = set()
    for d in squeeze:
        if not -rank <= d < rank:
            raise shape_error(op, f"Tried to squeeze dim index {d} for tensor with {rank} dimensions.")
        wanted.add(d % rank)
    out = []
    for i, d in enumerate(x.shape.as_tuple()):
        if wanted:
            if i in wanted:
                if d is not None and d != 1:
                    raise shape_error(op, f"Can not squeeze dim[{i}], expected a dimension of 1, got {d}")
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
                raise invalid(f"Tried to squeeze dim index {d} for tensor with {rank} dimensions.")
            d %= rank
            if shape[d] != 1:
                raise invalid(f"Can not squeeze dim[{d}], expected a dimension of 1, got {shape[d]}")
            dims.append(d)
    else:
        dims = [i for i, n in enumerate(shape) if n == 1]
    out_shape = [n for i, n in enumerate(shape) if i not in dims]
    return input.reshape(out_shape)


@register_gradient("Reshape")
def _reshape_grad(op, grad):
    input_shape = op.inputs[0].shape
    if input_shape.rank is not None and not input_shape.is_fully_defined():
        # One unknown dim (and no zero-sized one) becomes -1: no data dependency on Shape(input).
        dims = list(input_shape.as_tuple())
        unknown = [i for i, d in enumerate(dims) if d is None]
        if len(unknown) == 1 and 0 not in dims:
            dims[unknown[0]] = -1
            return [array_ops.reshape(dense_gradient(grad), dims), None]
    return [array_ops.reshape(dense_gradient(grad), array_ops.shape(op.inputs[0])), None]


def _reshape_to_input(op, grad):
    return array_ops.reshape(dense_gradient(grad), array_ops.shape(op.inputs[0]))


@register_gradient("ExpandDims")
def _expand_dims_grad(op, grad):
    return [_reshape_to_input(op, grad), None]


@register_gradient("Squeeze")
def _squeeze_grad(op, grad):
    return [_reshape_to_input(op, grad)]


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
        raise shape_error(op, "input rank must be >= 1 when the output type is bigger")
    last = dims[-1]
    if last is not None and last != dst // src:
        raise shape_error(op, f"Cannot bitcast from {op.get_attr('T').value} to {op.get_attr('type').value}")
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
        raise invalid(f"Cannot bitcast from {T.value} to {type.value}: shape {format_dims(x.shape)}")
    return x.view(type.torch).squeeze(-1)


# TF registers no gradient for Bitcast: tf.gradients through it raises LookupError.
no_registered_gradient("Bitcast")


# ---------------------------------------------------------------------------------------------
# Empty


@register_op(
    "Empty",
    inputs=["shape: int32"],
    outputs=["output: dtype"],
    attrs=["dtype: type", "init: bool = false"],
    shape=lambda op: [shape_from_shape_tensor(op.inputs[0])],
    stateful=True,
)
def empty(shape, dtype, init):
    """Uninitialized memory in TF unless ``init``; zeros here either way."""
    if shape.dim() != 1:
        raise invalid(f"shape must be a vector of int32, got shape {format_dims(shape.shape)}")
    dims = host_ints(shape)
    check_dims(dims)
    if dtype == DType.string:
        out = np.empty(dims, dtype=object)
        out.fill(b"")
        return out
    return torch.zeros(dims, dtype=dtype.torch)


no_registered_gradient("Empty")
