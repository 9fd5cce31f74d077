"""Array ops: constants, placeholders, identity, shapes and shape manipulation, slicing, joining, gathering.

String tensors reach kernels as numpy object arrays (every other dtype as torch tensors), so each
kernel that TF registers for strings has a numpy branch. Index-like inputs (shapes, axes, paddings,
begin/end/strides) are read on the host, as TF keeps them in host memory.
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta import errors
from torchmeta.dtypes import DType, numpy_to_torch, torch_to_numpy
from torchmeta.framework import tensor_util
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.ops import shapes
from torchmeta.ops.registry import get as _get_op_info
from torchmeta.ops.registry import not_differentiable, register_gradient, register_op

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
# evaluates constant subgraphs. Bounded so graph construction stays cheap.
_FOLD_MAX_ELEMENTS = 1 << 16


def _fold_with_kernel(op, index):
    info = _get_op_info(op.type)
    values = []
    for t in op.inputs:
        v = _value(t)
        if v is None or v.size > _FOLD_MAX_ELEMENTS:
            return None
        values.append(v)
    from torchmeta.runtime.lowering import _arg_lengths, kernel_attr_value

    args, i = [], 0
    for n, is_list, _ in _arg_lengths(op):
        group = []
        for t, v in zip(op.inputs[i : i + n], values[i : i + n]):
            dt = t.dtype.base_dtype
            group.append(v if dt is DType.string else numpy_to_torch(np.ascontiguousarray(v), dt))
        args.append(group if is_list else group[0])
        i += n
    kwargs = {name: kernel_attr_value(op._attrs[name]) for name in info.kernel_attrs if name in op._attrs}
    for name in info.kernel_context:
        if name == "device":
            kwargs[name] = torch.device("cpu")
        elif name == "node_name":
            kwargs[name] = op.name
        else:
            return None
    try:
        out = info.kernel(*args, **kwargs)
    except Exception:  # an invalid constant input is reported when the graph runs, as in TF
        return None
    if isinstance(out, (tuple, list)):
        out = out[index]
    if _is_np(out):
        return out
    result = torch_to_numpy(out.detach(), op.outputs[index].dtype.base_dtype)
    if result.size > _FOLD_MAX_ELEMENTS:
        return None
    return result


def _foldable(*op_types):
    tensor_util.register_constant_value(*op_types)(_fold_with_kernel)


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
    shape=shapes.from_attr("shape"),
)
def placeholder(dtype, shape, node_name):
    dims = "<unknown>" if shape is None else "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"
    raise errors.InvalidArgumentError(
        None,
        None,
        f"You must feed a value for placeholder tensor '{node_name}' with dtype {dtype.name} and shape {dims}",
    )


not_differentiable("Placeholder")


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
    shape=shapes.unchanged,
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
    shape=shapes.all_unchanged,
    aliases_input=True,
)
def identity_n(input):
    return input[0] if len(input) == 1 else tuple(input)


@tensor_util.register_constant_value("IdentityN")
def _identity_n_value(op, index):
    return tensor_util.constant_value(op.inputs[index])


@register_op(
    "StopGradient",
    inputs=["input: T"],
    outputs=["output: T"],
    attrs=["T: type"],
    shape=shapes.unchanged,
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
    shape=shapes.unchanged,
    aliases_input=True,
)
def prevent_gradient(input):
    return input


@register_op("Snapshot", inputs=["input: T"], outputs=["output: T"], attrs=["T: type"], shape=shapes.unchanged)
def snapshot(input):
    return input.copy() if _is_np(input) else input.clone()


@register_op(
    "CheckNumerics",
    inputs=["tensor: T"],
    outputs=["output: T"],
    attrs=["T: {bfloat16, half, float, double}", "message: string"],
    shape=shapes.unchanged,
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
    shape=shapes.scalar,
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


@register_op("Rank", inputs=["input: T"], outputs=["output: int32"], attrs=["T: type"], shape=shapes.scalar)
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


@register_op("ZerosLike", inputs=["x: T"], outputs=["y: T"], attrs=["T: type"], shape=shapes.unchanged)
def zeros_like(x):
    if _is_np(x):
        out = np.empty(x.shape, dtype=object)
        out.fill(b"")
        return out
    return torch.zeros_like(x)


@register_op(
    "OnesLike",
    inputs=["x: T"],
    outputs=["y: T"],
    attrs=[
        "T: {bfloat16, half, float, double, int8, uint8, int16, uint16, int32, uint32, int64, uint64, complex64, "
        "complex128, bool}"
    ],
    shape=shapes.unchanged,
)
def ones_like(x):
    return torch.ones_like(x)


_foldable("Fill", "ZerosLike", "OnesLike")
not_differentiable("ZerosLike", "OnesLike")


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


_foldable("Slice", "StridedSlice")


# ---------------------------------------------------------------------------------------------
# Tile, BroadcastTo, BroadcastArgs


def _tile_shape(op):
    x, multiples_t = op.inputs
    m_shape = _with_rank(op, multiples_t.shape, 1)
    multiples = shape_from_shape_tensor(multiples_t)
    rank = x.shape.rank
    if rank is None:
        rank = multiples.rank if multiples.rank is not None else m_shape.as_tuple()[0]
    elif m_shape.as_tuple()[0] is not None and m_shape.as_tuple()[0] != rank:
        raise _shape_error(op, f"Shape must be rank {rank} but is rank {m_shape.as_tuple()[0]}")
    if rank is None:
        return [unknown_shape()]
    dims = x.shape.as_tuple() if x.shape.rank is not None else (None,) * rank
    mult = multiples.as_tuple() if multiples.rank is not None else (None,) * rank
    out = []
    for d, m in zip(dims, mult):
        if d == 0 or m == 0:
            out.append(0)
        elif d is None or m is None:
            out.append(None)
        else:
            out.append(d * m)
    return [TensorShape(out)]


@register_op(
    "Tile",
    inputs=["input: T", "multiples: Tmultiples"],
    outputs=["output: T"],
    attrs=["T: type", "Tmultiples: {int32, int64} = DT_INT32"],
    shape=_tile_shape,
)
def tile(input, multiples):
    m = _host_ints(multiples)
    rank = input.ndim
    if multiples.dim() != 1 or len(m) != rank:
        raise _invalid(
            f"Expected multiples argument to be a vector of length {rank} but got length {multiples.shape[0] if multiples.dim() else 0}"
        )
    for i, v in enumerate(m):
        if v < 0:
            raise _invalid(f"Expected multiples[{i}] >= 0, but got {v}")
    if _is_np(input):
        return np.tile(input, m) if m else input.copy()
    return input.repeat(m) if m else input.clone()


def _broadcast_to_shape(op):
    x, shape_t = op.inputs
    _with_rank(op, shape_t.shape, 1)
    target = shape_from_shape_tensor(shape_t)
    if target.rank is None:
        return [unknown_shape()]
    if x.shape.rank is None:
        return [target]
    in_dims = x.shape.as_tuple()
    out = list(target.as_tuple())
    if len(in_dims) > len(out):
        raise _shape_error(
            op, f"Rank of input ({len(in_dims)}) must be no greater than rank of output shape ({len(out)})."
        )
    diff = len(out) - len(in_dims)
    for i, d in enumerate(in_dims):
        j = i + diff
        o = out[j]
        if o is None:
            if d is not None and d != 1:
                out[j] = d
            continue
        if d is not None and d != 1 and d != o:
            raise _shape_error(op, f"Incompatible shapes: {_fmt(in_dims)} vs. {_fmt(target.as_tuple())}")
    return [TensorShape(out)]


def _broadcast_dims(a: list[int], b: list[int]) -> list[int] | None:
    n = max(len(a), len(b))
    a = [1] * (n - len(a)) + list(a)
    b = [1] * (n - len(b)) + list(b)
    out = []
    for x, y in zip(a, b):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            return None
    return out


@register_op(
    "BroadcastTo",
    inputs=["input: T", "shape: Tidx"],
    outputs=["output: T"],
    attrs=["T: type", "Tidx: {int32, int64} = DT_INT32"],
    shape=_broadcast_to_shape,
)
def broadcast_to(input, shape):
    target = _host_ints(shape)
    in_shape = list(input.shape)
    if len(in_shape) > len(target):
        raise _invalid(f"Rank of input ({len(in_shape)}) must be no greater than rank of output shape ({len(target)}).")
    merged = _broadcast_dims(in_shape, target)
    if merged != target:
        raise _invalid(f"Incompatible shapes: {_fmt(in_shape)} vs. {_fmt(target)}")
    if _is_np(input):
        return np.array(np.broadcast_to(input, target))
    return input.expand(target).contiguous()


def _broadcast_args_shape(op):
    a = _with_rank(op, op.inputs[0].shape, 1).as_tuple()[0]
    b = _with_rank(op, op.inputs[1].shape, 1).as_tuple()[0]
    if a is None or b is None:
        return [unknown_shape(1)]
    return [TensorShape([max(a, b)])]


@register_op(
    "BroadcastArgs",
    inputs=["s0: T", "s1: T"],
    outputs=["r0: T"],
    attrs=["T: {int32, int64} = DT_INT32"],
    shape=_broadcast_args_shape,
)
def broadcast_args(s0, s1):
    a, b = _host_ints(s0), _host_ints(s1)
    out = _broadcast_dims(a, b)
    if out is None:
        raise _invalid(f"Incompatible shapes: {_fmt(a)} vs. {_fmt(b)}")
    return torch.tensor(out, dtype=s0.dtype, device=s0.device)


_foldable("Tile", "BroadcastTo", "BroadcastArgs")
not_differentiable("BroadcastArgs")


# ---------------------------------------------------------------------------------------------
# Select, SelectV2


def _select_shape(op):
    cond, t, e = (x.shape for x in op.inputs)
    data = _merge(op, t, e)
    if cond.rank is None or data.rank is None:
        return [data]
    if cond.rank == 0:
        return [data]
    if cond.rank != 1 or data.rank == 0:
        return [_merge(op, data, cond)]
    _merge_dim(op, cond.as_tuple()[0], data.as_tuple()[0])
    return [data]


def _where(cond, t, e):
    if _is_np(t):
        c = cond.cpu().numpy() if isinstance(cond, torch.Tensor) else cond
        return np.where(c, t, e)
    return torch.where(cond, t, e)


@register_op(
    "Select",
    inputs=["condition: bool", "t: T", "e: T"],
    outputs=["output: T"],
    attrs=["T: type"],
    shape=_select_shape,
)
def select(condition, t, e):
    if tuple(t.shape) != tuple(e.shape):
        raise _invalid(f"'then' and 'else' must have the same size.  but received: {_fmt(t.shape)} vs. {_fmt(e.shape)}")
    cshape = tuple(condition.shape)
    if cshape == tuple(t.shape) or not cshape:
        return _where(condition, t, e)
    if len(cshape) != 1 or t.ndim < 1:
        raise _invalid(
            f"'cond' and 'then' must have the same shape, or 'cond' must be a vector: got "
            f"{_fmt(cshape)} vs. {_fmt(t.shape)}"
        )
    if cshape[0] != t.shape[0]:
        raise _invalid(f"Number of batches of 'then' must match size of 'cond', but saw: {t.shape[0]} vs. {cshape[0]}")
    return _where(condition.reshape(cshape + (1,) * (t.ndim - 1)), t, e)


def _select_v2_shape(op):
    cond, t, e = (x.shape for x in op.inputs)
    return [shapes.broadcast_shapes(shapes.broadcast_shapes(t, e, op), cond, op)]


@register_op(
    "SelectV2",
    inputs=["condition: bool", "t: T", "e: T"],
    outputs=["output: T"],
    attrs=["T: type"],
    shape=_select_v2_shape,
)
def select_v2(condition, t, e):
    if _broadcast_dims(list(t.shape), list(e.shape)) is None or (
        _broadcast_dims(_broadcast_dims(list(t.shape), list(e.shape)), list(condition.shape)) is None
    ):
        raise _invalid(
            f"condition {_fmt(condition.shape)}, then {_fmt(t.shape)}, and else {_fmt(e.shape)} must be broadcastable"
        )
    return _where(condition, t, e)


_foldable("Select", "SelectV2")


# ---------------------------------------------------------------------------------------------
# Gather, GatherV2, GatherNd, ScatterNd


def _check_indices(indices, limit: int, label=""):
    """Raises TF's ``indices[i,j] = v is not in [0, limit)`` for the first bad index."""
    bad = (indices < 0) | (indices >= limit)
    if bool(bad.any()):
        pos = torch.nonzero(bad)[0].tolist()
        value = int(indices[tuple(pos)])
        where = ",".join(str(p) for p in pos)
        raise _invalid(f"indices[{where}] = {value} is not in [0, {limit})")


def _gather_shape(op):
    params, indices = op.inputs[0].shape, op.inputs[1].shape
    _with_rank_at_least(op, params, 1)
    if params.rank is None or indices.rank is None:
        return [unknown_shape()]
    return [TensorShape(list(indices.as_tuple()) + list(params.as_tuple()[1:]))]


@register_op(
    "Gather",
    inputs=["params: Tparams", "indices: Tindices"],
    outputs=["output: Tparams"],
    attrs=["validate_indices: bool = true", "Tparams: type", "Tindices: {int32, int64}"],
    shape=_gather_shape,
)
def gather(params, indices):
    return _gather(params, indices, 0, 0)


def _gather(params, indices, axis: int, batch_dims: int):
    limit = params.shape[axis]
    _check_indices(indices, limit)
    idx_shape = tuple(indices.shape)
    p_shape = tuple(params.shape)
    out_shape = p_shape[:axis] + idx_shape[batch_dims:] + p_shape[axis + 1 :]
    if _is_np(params):
        idx = indices.cpu().numpy().astype(np.int64)
        if batch_dims == 0:
            return np.take(params, idx, axis=axis)
        out = [
            np.take(params[b], idx.reshape(-1, *idx_shape[batch_dims:])[k], axis=axis - batch_dims)
            for k, b in enumerate(np.ndindex(*p_shape[:batch_dims]))
        ]
        return np.stack(out).reshape(out_shape) if out else np.empty(out_shape, dtype=object)
    idx = indices.long()
    if batch_dims == 0:
        return torch.index_select(params, axis, idx.reshape(-1)).reshape(out_shape)
    batch = int(np.prod(p_shape[:batch_dims], dtype=np.int64))
    outer = int(np.prod(p_shape[batch_dims:axis], dtype=np.int64))
    inner = p_shape[axis + 1 :]
    p = params.reshape((batch, outer, limit, *inner))
    i = idx.reshape(batch, -1)
    b_ix = torch.arange(batch, device=params.device).view(batch, 1, 1)
    o_ix = torch.arange(outer, device=params.device).view(1, outer, 1)
    out = p[b_ix, o_ix, i.unsqueeze(1)]  # [batch, outer, n, *inner]
    return out.reshape(out_shape)


def _gather_v2_shape(op):
    params, indices, axis_t = (t.shape for t in op.inputs)
    _with_rank(op, axis_t, 0)
    axis = _scalar_value(op.inputs[2])
    batch_dims = op.get_attr("batch_dims")
    if axis is None:
        if params.rank is None or indices.rank is None:
            return [unknown_shape()]
        if batch_dims < 0:
            batch_dims += indices.rank
        return [unknown_shape(params.rank + indices.rank - 1 - batch_dims)]
    if params.rank is not None:
        _with_rank_at_least(op, params, axis + 1 if axis >= 0 else -axis)
    if params.rank is None or indices.rank is None:
        return [unknown_shape()]
    p_rank, i_rank = params.rank, indices.rank
    if axis < 0:
        axis += p_rank
    if batch_dims < 0:
        batch_dims += i_rank
    if batch_dims > i_rank:
        raise _shape_error(op, f"batch_dims ({batch_dims}) must be less than rank(indices) ({i_rank}).")
    if batch_dims > axis:
        raise _shape_error(op, f"batch_dims ({batch_dims}) must be less than or equal to axis ({axis}).")
    p_dims, i_dims = params.as_tuple(), indices.as_tuple()
    batch = [_merge_dim(op, a, b) for a, b in zip(p_dims[:batch_dims], i_dims[:batch_dims])]
    return [TensorShape(batch + list(p_dims[batch_dims:axis]) + list(i_dims[batch_dims:]) + list(p_dims[axis + 1 :]))]


@register_op(
    "GatherV2",
    inputs=["params: Tparams", "indices: Tindices", "axis: Taxis"],
    outputs=["output: Tparams"],
    attrs=["batch_dims: int = 0", "Tparams: type", "Tindices: {int16, int32, int64}", "Taxis: {int32, int64}"],
    shape=_gather_v2_shape,
)
def gather_v2(params, indices, axis, batch_dims):
    p_rank = params.ndim
    a = int(axis)
    if not -p_rank <= a < p_rank:
        raise _invalid(f"Expected axis in the range [{-p_rank}, {p_rank}), but got {a}")
    if a < 0:
        a += p_rank
    b = batch_dims
    i_rank = indices.ndim
    if b != 0:
        if not -i_rank <= b <= i_rank if i_rank else b != 0:
            raise _invalid(f"Expected batch_dims in the range [{-i_rank}, {i_rank}], but got {b}")
        if b < 0:
            b += i_rank
        if b > a:
            raise _invalid(f"batch_dims ({b}) must be less than or equal to axis ({a}).")
        for i in range(b):
            if params.shape[i] != indices.shape[i]:
                raise _invalid(
                    f"params.shape[{i}]: {params.shape[i]} should be equal to indices.shape[{i}]: {indices.shape[i]}"
                )
    return _gather(params, indices, a, b)


def _gather_nd_shape(op):
    params, indices = op.inputs[0].shape, op.inputs[1].shape
    _with_rank_at_least(op, indices, 1)
    if params.rank is None or indices.rank is None:
        return [unknown_shape()]
    k = indices.as_tuple()[-1]
    if k is None:
        return [unknown_shape()]
    if k > params.rank:
        raise _shape_error(
            op,
            f"indices.shape[-1] must be <= params.rank, but saw indices shape: {_fmt(indices.as_tuple())} and params "
            f"shape: {_fmt(params.as_tuple())}",
        )
    return [TensorShape(list(indices.as_tuple()[:-1]) + list(params.as_tuple()[k:]))]


def _linear_index(indices, dims, node_name, what):
    """Flattens the last axis of ``indices`` into row-major offsets into ``dims``; checks the bounds."""
    k = len(dims)
    rows = int(np.prod(tuple(indices.shape[:-1]), dtype=np.int64))
    idx = indices.long().reshape(rows, k)
    if k == 0:
        return idx.new_zeros(rows), None
    limits = torch.tensor(dims, dtype=torch.long, device=idx.device)
    bad = ((idx < 0) | (idx >= limits)).any(dim=1)
    strides = [1] * k
    for i in range(k - 2, -1, -1):
        strides[i] = strides[i + 1] * dims[i + 1]
    lin = (idx * torch.tensor(strides, dtype=torch.long, device=idx.device)).sum(dim=1)
    return lin, bad


@register_op(
    "GatherNd",
    inputs=["params: Tparams", "indices: Tindices"],
    outputs=["output: Tparams"],
    attrs=["Tparams: type", "Tindices: {int16, int32, int64}", 'bad_indices_policy: string = ""'],
    shape=_gather_nd_shape,
)
def gather_nd(params, indices, bad_indices_policy, node_name):
    p_shape = tuple(params.shape)
    if indices.dim() < 1:
        raise _invalid(f"indices must be at least a vector, got shape {_fmt(indices.shape)}")
    k = indices.shape[-1]
    if k > len(p_shape):
        raise _invalid(f"index innermost dimension length must be <= params rank; saw: {k} vs. {len(p_shape)}")
    out_shape = tuple(indices.shape[:-1]) + p_shape[k:]
    lin, bad = _linear_index(indices, p_shape[:k], node_name, "param")
    ignore = bad_indices_policy == "IGNORE"
    if bad is not None and bool(bad.any()):
        if not ignore:
            first = int(torch.nonzero(bad)[0])
            pos = np.unravel_index(first, tuple(indices.shape[:-1])) if indices.dim() > 1 else ()
            vals = indices.reshape(-1, k)[first].tolist()
            where = ",".join(str(int(p)) for p in pos)
            raise _invalid(
                f"indices[{where}] = [{', '.join(str(v) for v in vals)}] does not index into param shape "
                f"{_fmt(p_shape)}, node name: {node_name}"
            )
        lin = torch.where(bad, torch.zeros_like(lin), lin)
    n_slices = int(np.prod(p_shape[:k], dtype=np.int64))
    if _is_np(params):
        flat = params.reshape((n_slices, *p_shape[k:]))
        out = flat[lin.cpu().numpy()] if n_slices else np.empty((lin.shape[0], *p_shape[k:]), dtype=object)
        if ignore and bad is not None:
            out[bad.cpu().numpy()] = b""
        return out.reshape(out_shape)
    flat = params.reshape((n_slices, *p_shape[k:]))
    if n_slices == 0 and lin.numel():
        out = flat.new_zeros((lin.shape[0], *p_shape[k:]))
    else:
        out = flat[lin]
    if ignore and bad is not None:
        out = torch.where(bad.view((-1,) + (1,) * (out.dim() - 1)), torch.zeros_like(out), out)
    return out.reshape(out_shape)


def _scatter_nd_shape(op):
    indices, _, shape_t = op.inputs
    _with_rank(op, shape_t.shape, 1)
    _with_rank_at_least(op, indices.shape, 1)
    return [shape_from_shape_tensor(shape_t)]


@register_op(
    "ScatterNd",
    inputs=["indices: Tindices", "updates: T", "shape: Tindices"],
    outputs=["output: T"],
    attrs=["T: type", "Tindices: {int16, int32, int64}", 'bad_indices_policy: string = ""'],
    shape=_scatter_nd_shape,
)
def scatter_nd(indices, updates, shape, bad_indices_policy, node_name):
    out_shape = _host_ints(shape)
    _check_dims(out_shape)
    if indices.dim() < 1:
        raise _invalid(f"Indices shape must have rank at least one. Found:{_fmt(indices.shape)}")
    k = indices.shape[-1]
    if k > len(out_shape):
        raise _invalid(
            f"Dimensions [0,{k}) of indices[shape={_fmt(indices.shape)}] must match dimensions "
            f"[0,{k}) of updates[shape={_fmt(updates.shape)}]"
        )
    lin, bad = _linear_index(indices, out_shape[:k], node_name, "shape")
    n_slices = int(np.prod(out_shape[:k], dtype=np.int64))
    slice_shape = tuple(out_shape[k:])
    expected = tuple(indices.shape[:-1]) + slice_shape
    if tuple(updates.shape) != expected:
        raise _invalid(
            f"Dimensions [0,{indices.dim() - 1}) of indices[shape={_fmt(indices.shape)}] = "
            f"{_fmt(indices.shape[:-1])} must match dimensions [0,{updates.dim() - len(slice_shape)}) of "
            f"updates[shape={_fmt(updates.shape)}]"
        )
    upd = updates.reshape((-1, *slice_shape))
    if bad is not None and bool(bad.any()):
        if bad_indices_policy != "IGNORE":
            first = int(torch.nonzero(bad)[0])
            vals = indices.reshape(-1, k)[first].tolist()
            raise _invalid(
                f"indices[{first}] = [{', '.join(str(v) for v in vals)}] does not index into shape {_fmt(out_shape)}"
            )
        keep = ~bad
        lin, upd = lin[keep], upd[keep]
    base = upd.new_zeros((n_slices, *slice_shape))
    out = base.index_add(0, lin, upd) if upd.dtype != torch.bool else base.index_put((lin,), upd, accumulate=True)
    return out.reshape(out_shape)


_foldable("Gather", "GatherV2", "GatherNd", "ScatterNd")


# ---------------------------------------------------------------------------------------------
# SparseToDense, OneHot


def _sparse_to_dense_shape(op):
    return [shape_from_shape_tensor(op.inputs[1])]


@register_op(
    "SparseToDense",
    inputs=["sparse_indices: Tindices", "output_shape: Tindices", "sparse_values: T", "default_value: T"],
    outputs=["dense: T"],
    attrs=["validate_indices: bool = true", "T: type", "Tindices: {int32, int64}"],
    shape=_sparse_to_dense_shape,
)
def sparse_to_dense(sparse_indices, output_shape, sparse_values, default_value, validate_indices):
    if output_shape.dim() != 1:
        raise _invalid(f"output_shape must be rank 1, got shape {_fmt(output_shape.shape)}")
    dims = _host_ints(output_shape)
    rank = len(dims)
    idx = sparse_indices.long()
    if idx.dim() > 2:
        raise _invalid(f"sparse_indices should be a scalar, vector, or matrix, got shape {_fmt(idx.shape)}")
    n = idx.shape[0] if idx.dim() > 0 else 1
    ndims = idx.shape[1] if idx.dim() == 2 else 1
    idx = idx.reshape(n, ndims)
    if ndims != rank:
        raise _invalid(f"sparse_indices has incorrect shape {_fmt(sparse_indices.shape)}, expected [{n},{rank}]")
    nvals = sparse_values.size if _is_np(sparse_values) else sparse_values.numel()
    scalar_values = sparse_values.ndim == 0
    if not scalar_values and (sparse_values.ndim != 1 or nvals != n):
        raise _invalid(f"sparse_values has incorrect shape {_fmt(sparse_values.shape)}, should be [] or [{n}]")
    dsize = default_value.size if _is_np(default_value) else default_value.numel()
    if default_value.ndim != 0 or dsize != 1:
        raise _invalid(f"default_value should be a scalar, got shape {_fmt(default_value.shape)}")
    if validate_indices and n:
        rows = idx.tolist()
        prev = None
        for i, row in enumerate(rows):
            if any(not 0 <= v < d for v, d in zip(row, dims)):
                raise _invalid(
                    f"indices[{i}] = [{','.join(map(str, row))}] is out of bounds: need 0 <= index < {_fmt(dims)}"
                )
            if prev is not None:
                if row == prev:
                    raise _invalid(f"indices[{i}] = [{','.join(map(str, row))}] is repeated")
                if row < prev:
                    raise _invalid(
                        f"indices[{i}] = [{','.join(map(str, row))}] is out of order. Many sparse ops require sorted "
                        "indices.\n    Use `tf.sparse.reorder` to create a correctly ordered copy."
                    )
            prev = row
    elif n:
        limits = torch.tensor(dims, dtype=torch.long, device=idx.device)
        bad = ((idx < 0) | (idx >= limits)).any(dim=1)
        if bool(bad.any()):
            i = int(torch.nonzero(bad)[0])
            row = idx[i].tolist()
            raise _invalid(
                f"indices[{i}] = [{','.join(map(str, row))}] is out of bounds: need 0 <= index < {_fmt(dims)}"
            )
    cols = tuple(idx[:, j] for j in range(rank))
    if _is_np(default_value):
        out = np.empty(dims, dtype=object)
        out.fill(default_value.reshape(-1)[0])
        if n:
            out[tuple(c.cpu().numpy() for c in cols)] = sparse_values
        return out
    out = default_value.reshape(()).expand(dims).contiguous()
    if n == 0:
        return out
    values = sparse_values.expand(n) if scalar_values else sparse_values
    return out.index_put(cols, values)


def _one_hot_shape(op):
    indices, depth_t, on, off = op.inputs
    axis = op.get_attr("axis")
    _with_rank(op, depth_t.shape, 0)
    _with_rank(op, on.shape, 0)
    _with_rank(op, off.shape, 0)
    if axis < -1:
        raise _shape_error(op, f"axis must be >= -1, got {axis}")
    if indices.shape.rank is None:
        return [unknown_shape()]
    dims = list(indices.shape.as_tuple())
    if axis >= 0 and axis > len(dims):
        raise _shape_error(op, f"axis must be >= -1 and <= {len(dims)}, got {axis}")
    depth = _scalar_value(depth_t)
    if depth is not None and depth < 0:
        raise _shape_error(op, f"depth must be non-negative, got: {depth}")
    pos = len(dims) if axis == -1 else axis
    return [TensorShape([*dims[:pos], depth, *dims[pos:]])]


@register_op(
    "OneHot",
    inputs=["indices: TI", "depth: int32", "on_value: T", "off_value: T"],
    outputs=["output: T"],
    attrs=["axis: int = -1", "T: type", "TI: {uint8, int8, int32, int64} = DT_INT64"],
    shape=_one_hot_shape,
)
def one_hot(indices, depth, on_value, off_value, axis):
    rank = indices.dim()
    if not -1 <= axis <= rank:
        raise _invalid(f"Expected axis to be -1 or between [0, {rank + 1}).  But received: {axis}")
    if depth.dim() != 0:
        raise _invalid(f"depth must be a scalar, but got: {_fmt(depth.shape)}")
    d = int(depth)
    if d < 0:
        raise _invalid(f"depth must be non-negative, got: {d}")
    for name, v in (("on_value", on_value), ("off_value", off_value)):
        if v.ndim != 0:
            raise _invalid(f"{name} must be a scalar, but got: {_fmt(v.shape)}")
    pos = rank if axis == -1 else axis
    view = [1] * (rank + 1)
    view[pos] = d
    classes = torch.arange(d, device=indices.device).view(view)
    mask = indices.long().unsqueeze(pos) == classes
    if _is_np(on_value):
        return np.where(mask.cpu().numpy(), on_value, off_value)
    return torch.where(mask, on_value, off_value)


_foldable("SparseToDense", "OneHot")


# ---------------------------------------------------------------------------------------------
# Pad, PadV2, MirrorPad


def _pad_shape(op):
    x, paddings_t = op.inputs[0], op.inputs[1]
    p_shape = _with_rank(op, paddings_t.shape, 2)
    n, two = p_shape.as_tuple()
    if two is not None and two != 2:
        raise _shape_error(op, f"Dimension must be 2 but is {two}")
    rank = x.shape.rank
    if rank is not None and n is not None and rank != n:
        raise _shape_error(op, f"Shape must be rank {n} but is rank {rank}")
    if rank is None:
        rank = n
    if rank is None:
        return [unknown_shape()]
    paddings = _value(paddings_t)
    dims = x.shape.as_tuple() if x.shape.rank is not None else (None,) * rank
    if paddings is None:
        return [unknown_shape(rank)]
    pads = paddings.reshape(rank, 2).tolist()
    out = []
    for i, (d, (lo, hi)) in enumerate(zip(dims, pads)):
        if lo < 0 or hi < 0:
            raise _shape_error(op, f"The {i}th row of paddings must be non-negative: {lo}, {hi}")
        out.append(None if d is None else d + int(lo) + int(hi))
    return [TensorShape(out)]


def _read_paddings(input, paddings):
    rank = input.ndim
    if paddings.dim() != 2 or paddings.shape[1] != 2:
        raise _invalid(f"paddings must be a matrix with 2 columns: {_fmt(paddings.shape)}")
    if paddings.shape[0] != rank:
        raise _invalid(
            f"The first dimension of paddings must be the rank of inputs{_fmt(paddings.shape)} {_fmt(input.shape)}"
        )
    pads = [tuple(int(v) for v in row) for row in paddings.tolist()]
    for lo, hi in pads:
        if lo < 0 or hi < 0:
            raise _invalid(f"Paddings must be non-negative: {lo} {hi}")
    return pads


def _pad_constant(input, pads, value):
    shape = [d + lo + hi for d, (lo, hi) in zip(input.shape, pads)]
    region = tuple(slice(lo, lo + d) for d, (lo, _) in zip(input.shape, pads))
    if _is_np(input):
        out = np.empty(shape, dtype=object)
        out.fill(value)
        out[region] = input
        return out
    out = value.reshape(()).expand(shape).contiguous() if isinstance(value, torch.Tensor) else input.new_zeros(shape)
    if not input.numel():
        return out
    if not input.requires_grad and not out.requires_grad:
        out[region] = input
        return out
    return out.index_put(_region_index(pads, input.shape, input.device), input.reshape(-1))


def _region_index(pads, in_shape, device):
    """Index tensors placing an input of ``in_shape`` at offsets ``pads`` (autograd-friendly writes)."""
    grids = torch.meshgrid(
        *[torch.arange(lo, lo + d, device=device) for d, (lo, _) in zip(in_shape, pads)], indexing="ij"
    )
    return tuple(g.reshape(-1) for g in grids)


@register_op(
    "Pad",
    inputs=["input: T", "paddings: Tpaddings"],
    outputs=["output: T"],
    attrs=["T: type", "Tpaddings: {int32, int64} = DT_INT32"],
    shape=_pad_shape,
)
def pad(input, paddings):
    pads = _read_paddings(input, paddings)
    return _pad_constant(input, pads, b"" if _is_np(input) else None)


@register_op(
    "PadV2",
    inputs=["input: T", "paddings: Tpaddings", "constant_values: T"],
    outputs=["output: T"],
    attrs=["T: type", "Tpaddings: {int32, int64} = DT_INT32"],
    shape=_pad_shape,
)
def pad_v2(input, paddings, constant_values):
    pads = _read_paddings(input, paddings)
    size = constant_values.size if _is_np(constant_values) else constant_values.numel()
    if constant_values.ndim != 0 or size != 1:
        raise _invalid(f"constant_values must be a scalar. Found: {_fmt(constant_values.shape)}")
    value = constant_values.reshape(-1)[0] if _is_np(constant_values) else constant_values
    return _pad_constant(input, pads, value)


def _mirror_pad_shape(op):
    out = _pad_shape(op)
    paddings = _value(op.inputs[1])
    x = op.inputs[0].shape
    if paddings is not None and x.rank is not None:
        offset = 0 if op.get_attr("mode") == "REFLECT" else 1
        for d, (lo, hi) in zip(x.as_tuple(), paddings.reshape(-1, 2).tolist()):
            if d is not None and (lo > d - 1 + offset or hi > d - 1 + offset):
                if offset:
                    raise _shape_error(
                        op, f"paddings must be no greater than the dimension size: {lo}, {hi} greater than {d}"
                    )
                raise _shape_error(op, f"paddings must be less than the dimension size: {lo}, {hi} not less than {d}")
    return out


@register_op(
    "MirrorPad",
    inputs=["input: T", "paddings: Tpaddings"],
    outputs=["output: T"],
    attrs=["T: type", "Tpaddings: {int32, int64} = DT_INT32", "mode: {'REFLECT', 'SYMMETRIC'}"],
    shape=_mirror_pad_shape,
)
def mirror_pad(input, paddings, mode):
    pads = _read_paddings(input, paddings)
    symmetric = mode == "SYMMETRIC"
    offset = 1 if symmetric else 0
    out = input
    for axis, ((lo, hi), d) in enumerate(zip(pads, input.shape)):
        if lo > d - 1 + offset or hi > d - 1 + offset:
            if symmetric:
                raise _invalid(f"paddings must be no greater than the dimension size: {lo}, {hi} greater than {d}")
            raise _invalid(f"paddings must be less than the dimension size: {lo}, {hi} not less than {d}")
        if lo == 0 and hi == 0:
            continue
        if symmetric:
            idx = list(range(lo - 1, -1, -1)) + list(range(d)) + list(range(d - 1, d - 1 - hi, -1))
        else:
            idx = list(range(lo, 0, -1)) + list(range(d)) + list(range(d - 2, d - 2 - hi, -1))
        if _is_np(out):
            out = np.take(out, idx, axis=axis)
        else:
            out = torch.index_select(out, axis, torch.tensor(idx, dtype=torch.long, device=out.device))
    if out is input:
        return input.copy() if _is_np(input) else input.clone()
    return out


_foldable("Pad", "PadV2", "MirrorPad")


# ---------------------------------------------------------------------------------------------
# ReverseV2


@register_op(
    "ReverseV2",
    inputs=["tensor: T", "axis: Tidx"],
    outputs=["output: T"],
    attrs=[
        "Tidx: {int32, int64} = DT_INT32",
        "T: {uint8, int8, uint16, int16, int32, uint32, int64, uint64, bool, bfloat16, half, float, double, "
        "complex64, complex128, string}",
    ],
    shape=shapes.unchanged,
)
def reverse_v2(tensor, axis):
    rank = tensor.ndim
    if axis.dim() != 1:
        raise _invalid(f"'axis' must be 1-D, not {_fmt(axis.shape)}")
    dims = []
    for i, a in enumerate(_host_ints(axis)):
        if not -rank <= a < rank:
            raise _invalid(f"'axis'[{i}] = {a} is out of valid range [0, {rank - 1}")
        a %= rank
        if a in dims:
            raise _invalid(f"axis {a} specified more than once.")
        dims.append(a)
    if _is_np(tensor):
        return np.flip(tensor, dims).copy() if dims else tensor.copy()
    return torch.flip(tensor, dims) if dims else tensor.clone()


_foldable("ReverseV2")


# ---------------------------------------------------------------------------------------------
# Split, SplitV


def _split_shape(op):
    dim_t, value = op.inputs
    n = op.get_attr("num_split")
    _with_rank(op, dim_t.shape, 0)
    split_dim = _scalar_value(dim_t)
    x = value.shape
    if x.rank is None:
        return [unknown_shape()] * n
    if split_dim is None:
        return [unknown_shape(x.rank)] * n
    rank = x.rank
    if not -rank <= split_dim < rank:
        raise _shape_error(op, f"Dimension must be in range [{-rank}, {rank}) but is {split_dim}")
    split_dim %= rank
    dims = list(x.as_tuple())
    d = dims[split_dim]
    if d is not None:
        if d % n:
            raise _shape_error(op, f"Dimension size must be evenly divisible by {n} but is {d}")
        dims[split_dim] = d // n
    return [TensorShape(dims)] * n


@register_op(
    "Split",
    inputs=["split_dim: int32", "value: T"],
    outputs=["output: num_split * T"],
    attrs=["num_split: int >= 1", "T: type"],
    shape=_split_shape,
    aliases_input=True,
)
def split(split_dim, value, num_split):
    rank = value.ndim
    d = int(split_dim)
    if not -rank <= d < rank:
        raise _invalid(f"-input rank(-{rank}) <= split_dim < input rank ({rank}), but got {d}")
    d %= rank
    size = value.shape[d]
    if size % num_split:
        raise _invalid(
            "Number of ways to split should evenly divide the split dimension, but got split_dim "
            f"{d} (size = {size}) and num_split {num_split}"
        )
    return _split_sizes(value, [size // num_split] * num_split, d)


def _split_sizes(value, sizes, axis):
    if _is_np(value):
        cuts = np.cumsum(sizes)[:-1]
        return _outputs(np.split(value, cuts, axis=axis))
    return _outputs(torch.split(value, sizes, dim=axis))


def _split_v_shape(op):
    value, sizes_t, dim_t = op.inputs
    n = op.get_attr("num_split")
    _with_rank(op, dim_t.shape, 0)
    x = value.shape
    split_dim = _scalar_value(dim_t)
    if x.rank is None:
        return [unknown_shape()] * n
    if split_dim is None:
        return [unknown_shape(x.rank)] * n
    rank = x.rank
    if not -rank <= split_dim < rank:
        raise _shape_error(op, f"Dimension must be in range [{-rank}, {rank}) but is {split_dim}")
    split_dim %= rank
    sizes = _value(sizes_t)
    dims = list(x.as_tuple())
    if sizes is None:
        return [TensorShape([*dims[:split_dim], None, *dims[split_dim + 1 :]])] * n
    sizes = [int(s) for s in sizes.reshape(-1)]
    if len(sizes) != n:
        raise _shape_error(op, f"Length of size_splits should be {n}, got {len(sizes)}")
    if sizes.count(-1) > 1:
        raise _shape_error(op, "size_splits can only have one -1")
    total = dims[split_dim]
    if -1 in sizes and total is not None:
        known = sum(s for s in sizes if s != -1)
        sizes[sizes.index(-1)] = total - known
    elif -1 in sizes:
        sizes = [None if s == -1 else s for s in sizes]
    elif total is not None and sum(sizes) != total:
        raise _shape_error(
            op,
            f"Determined shape must either match input shape along split_dim exactly if fully specified, or be "
            f"less than the size of the input along split_dim if not fully specified.  Got: {sum(sizes)}",
        )
    return [TensorShape([*dims[:split_dim], s, *dims[split_dim + 1 :]]) for s in sizes]


@register_op(
    "SplitV",
    inputs=["value: T", "size_splits: Tlen", "split_dim: int32"],
    outputs=["output: num_split * T"],
    attrs=["num_split: int >= 1", "T: type", "Tlen: {int8, int32, int64} = DT_INT64"],
    shape=_split_v_shape,
    aliases_input=True,
)
def split_v(value, size_splits, split_dim, num_split):
    rank = value.ndim
    d = int(split_dim)
    if not -rank <= d < rank:
        raise _invalid(f"-input rank(-{rank}) <= split_dim < input rank ({rank}), but got {d}")
    d %= rank
    sizes = _host_ints(size_splits)
    if len(sizes) != num_split:
        raise _invalid(f"size of the size_splits must be equal to num_split, got {len(sizes)} vs. {num_split}")
    total = value.shape[d]
    if sizes.count(-1) > 1:
        raise _invalid("There can only be one -1 in the input.")
    known = sum(s for s in sizes if s != -1)
    if -1 in sizes:
        if known > total:
            raise _invalid(
                "Determined shape must either match input shape along split_dim exactly if fully specified, or be "
                f"less than the size of the input along split_dim if not fully specified.  Got: {known}"
            )
        sizes[sizes.index(-1)] = total - known
    elif known != total:
        raise _invalid(
            "Determined shape must either match input shape along split_dim exactly if fully specified, or be "
            f"less than the size of the input along split_dim if not fully specified.  Got: {known}"
        )
    for s in sizes:
        if s < 0:
            raise _invalid(f"Split size at index {sizes.index(s)} must be >= 0. Got: {s}")
    return _split_sizes(value, sizes, d)


_foldable("Split", "SplitV")


# ---------------------------------------------------------------------------------------------
# InvertPermutation, Unique, ListDiff, DynamicStitch, Where


def _vector_shape(op):
    return [_with_rank(op, op.inputs[0].shape, 1)]


@register_op(
    "InvertPermutation",
    inputs=["x: T"],
    outputs=["y: T"],
    attrs=["T: {int32, int64} = DT_INT32"],
    shape=_vector_shape,
)
def invert_permutation(x):
    if x.dim() != 1:
        raise _invalid("invert_permutation expects a 1D vector.")
    values = _host_ints(x)
    n = len(values)
    inverse = [-1] * n
    for i, v in enumerate(values):
        if not 0 <= v < n:
            raise _invalid(f"{v} is not between 0 and {n}")
        if inverse[v] != -1:
            raise _invalid(f"{v} is duplicated in the input.")
        inverse[v] = i
    return torch.tensor(inverse, dtype=x.dtype, device=x.device)


not_differentiable("InvertPermutation")


def _unique_shape(op):
    x = _with_rank(op, op.inputs[0].shape, 1)
    return [unknown_shape(1), x]


def _first_occurrence_unique(x):
    """(unique values in order of first appearance, index of each element's value) like TF's Unique."""
    if _is_np(x):
        seen: dict = {}
        idx = [seen.setdefault(v, len(seen)) for v in x.tolist()]
        y = np.empty(len(seen), dtype=object)
        y[:] = list(seen)
        return y, torch.tensor(idx, dtype=torch.long)
    n = x.shape[0]
    if n == 0:
        return x, torch.zeros(0, dtype=torch.long, device=x.device)
    uniq, inverse = torch.unique(x, sorted=True, return_inverse=True)
    positions = torch.arange(n, device=x.device)
    first = torch.full((uniq.shape[0],), n, dtype=torch.long, device=x.device)
    first = first.scatter_reduce(0, inverse, positions, reduce="amin")
    order = torch.argsort(first)
    rank = torch.empty_like(order)
    rank[order] = torch.arange(order.shape[0], device=x.device)
    return uniq[order], rank[inverse]


@register_op(
    "Unique",
    inputs=["x: T"],
    outputs=["y: T", "idx: out_idx"],
    attrs=["T: type", "out_idx: {int32, int64} = DT_INT32"],
    shape=_unique_shape,
)
def unique(x, out_idx):
    if x.ndim != 1:
        raise _invalid("unique expects a 1D vector.")
    y, idx = _first_occurrence_unique(x)
    return y, idx.to(out_idx.torch)


def _list_diff_shape(op):
    _with_rank(op, op.inputs[0].shape, 1)
    _with_rank(op, op.inputs[1].shape, 1)
    return [unknown_shape(1), unknown_shape(1)]


@register_op(
    "ListDiff",
    inputs=["x: T", "y: T"],
    outputs=["out: T", "idx: out_idx"],
    attrs=["T: type", "out_idx: {int32, int64} = DT_INT32"],
    shape=_list_diff_shape,
)
def list_diff(x, y, out_idx, device):
    if x.ndim != 1:
        raise _invalid("x should be a 1D vector.")
    if y.ndim != 1:
        raise _invalid("y should be a 1D vector.")
    if _is_np(x):
        drop = set(y.tolist())
        keep = [i for i, v in enumerate(x.tolist()) if v not in drop]
        return x[keep], torch.tensor(keep, dtype=out_idx.torch, device=device)
    keep = torch.nonzero(~torch.isin(x, y)).reshape(-1)
    return x[keep], keep.to(out_idx.torch)


not_differentiable("Unique", "ListDiff")


def _dynamic_stitch_shape(op):
    n = op.get_attr("N")
    indices, data = op.inputs[:n], op.inputs[n:]
    inner = None
    for idx, d in zip(indices, data):
        if idx.shape.rank is None or d.shape.rank is None:
            continue
        if d.shape.rank < idx.shape.rank:
            raise _shape_error(op, f"Shape must be at least rank {idx.shape.rank} but is rank {d.shape.rank}")
        rest = TensorShape(list(d.shape.as_tuple()[idx.shape.rank :]))
        inner = rest if inner is None else _merge(op, inner, rest)
    values = [_value(i) for i in indices]
    first = None
    if all(v is not None for v in values):
        first = max((int(v.max()) for v in values if v.size), default=-1) + 1
    if inner is None:
        return [unknown_shape()]
    return [TensorShape([first, *list(inner.as_tuple())])]


@register_op(
    "DynamicStitch",
    inputs=["indices: N * int32", "data: N * T"],
    outputs=["merged: T"],
    attrs=["N: int >= 1", "T: type"],
    shape=_dynamic_stitch_shape,
)
def dynamic_stitch(indices, data):
    inner = None
    flat_idx, flat_data = [], []
    for m, (idx, d) in enumerate(zip(indices, data)):
        ishape, dshape = tuple(idx.shape), tuple(d.shape)
        if dshape[: len(ishape)] != ishape:
            raise _invalid(f"data[{m}].shape = {_fmt(dshape)} does not start with indices[{m}].shape = {_fmt(ishape)}")
        rest = dshape[len(ishape) :]
        if inner is None:
            inner = rest
        elif rest != inner:
            raise _invalid(
                f"Need data[{m}].shape[{len(ishape)}:] = {_fmt(rest)} to match data[0].shape[{len(indices[0].shape)}:] "
                f"= {_fmt(inner)}"
            )
        flat_idx.append(idx.reshape(-1).long())
        flat_data.append(d.reshape((-1, *rest)))
    all_idx = torch.cat(flat_idx)
    if bool((all_idx < 0).any()):
        bad = int(all_idx[all_idx < 0][0])
        raise _invalid(f"indices[{bad}] is out of range")
    size = int(all_idx.max()) + 1 if all_idx.numel() else 0
    positions = torch.arange(all_idx.shape[0], device=all_idx.device)
    last = torch.full((size,), -1, dtype=torch.long, device=all_idx.device)
    last = last.scatter_reduce(0, all_idx, positions, reduce="amax")
    if _is_np(data[0]):
        stacked = np.concatenate(flat_data) if flat_data else np.empty((0, *inner), dtype=object)
        out = np.empty((size, *inner), dtype=object)
        out.fill(b"")
        sel = last.cpu().numpy()
        have = sel >= 0
        out[have] = stacked[sel[have]]
        return out
    stacked = torch.cat(flat_data)
    picked = stacked[last.clamp(min=0)] if stacked.shape[0] else stacked.new_zeros((size, *inner))
    if bool((last < 0).any()):
        missing = (last < 0).view((-1,) + (1,) * len(inner))
        picked = torch.where(missing, torch.zeros_like(picked), picked)
    return picked


_foldable("InvertPermutation", "DynamicStitch")


def _where_shape(op):
    return [TensorShape([None, op.inputs[0].shape.rank])]


@register_op(
    "Where",
    inputs=["input: T"],
    outputs=["index: int64"],
    attrs=[
        "T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, "
        "quint16, uint16, complex128, half, uint32, uint64, bool} = DT_BOOL"
    ],
    shape=_where_shape,
)
def where(input):
    if input.dim() == 0:
        raise _invalid("WhereOp : Unhandled input dimensions: 0")
    return torch.nonzero(input if input.dtype == torch.bool else input != 0)


not_differentiable("Where")


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


not_differentiable("Bitcast")
_foldable("Bitcast")
