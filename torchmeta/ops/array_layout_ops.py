"""Array ops that lay out copies of their input: Tile, BroadcastTo, BroadcastArgs, BroadcastGradientArgs,
Pad, PadV2, MirrorPad(Grad), ReverseV2, Split and SplitV, ReverseSequence, SpaceToBatchND and
BatchToSpaceND, with their gradients (the rest of the family is
in ``array_ops`` and ``array_index_ops``).
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta.api import array_ops
from torchmeta.framework import common_shapes, tensor_util
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.ops.array_ops import (
    _fmt,
    _foldable,
    _host_ints,
    _invalid,
    _is_indexed_slices,
    _is_np,
    _outputs,
    _reduce_sum,
    _scalar_value,
    _shape_error,
    _value,
    _with_rank,
    shape_from_shape_tensor,
)

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


@register_gradient("Tile")
def _tile_grad(op, grad):
    """Sums ``grad`` over the tiled copies: reshape to interleaved [multiple, dim] pairs, reduce the
    multiples (e.g. input [20, 30], multiples [2, 3] -> [2, 20, 3, 30], sum axes [0, 2])."""
    multiples = op.inputs[1]
    input_shape = array_ops.shape(op.inputs[0], out_type=multiples.dtype.base_dtype)
    split_shape = array_ops.reshape(array_ops.transpose(array_ops.stack([multiples, input_shape])), [-1])
    axes = raw_op("Range", start=0, limit=array_ops.size(split_shape), delta=2, name="range")
    if _is_indexed_slices(grad):
        # Rows of an IndexedSlices gradient fold onto the input's first dim before the reduction.
        index_dtype = grad.indices.dtype.base_dtype
        input_shape_0 = input_shape[0]
        if input_shape_0.dtype.base_dtype is not index_dtype:
            input_shape_0 = raw_op("Cast", x=input_shape_0, DstT=index_dtype, name="Cast")
        rows = raw_op("FloorMod", x=grad.indices, y=input_shape_0, name="mod")
        grad = raw_op("UnsortedSegmentSum", data=grad.values, segment_ids=rows, num_segments=input_shape_0)
        split_shape = array_ops.concat([[1], split_shape[1:]], axis=0)
    input_grad = _reduce_sum(array_ops.reshape(grad, split_shape), axes)
    input_grad.set_shape(op.inputs[0].shape)
    return [input_grad, None]


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


@register_gradient("BroadcastTo")
def _broadcast_to_grad(op, grad):
    """Sums ``grad`` over the broadcast dims (BroadcastGradientArgs), reshaped to the input's shape."""
    input_value, broadcast_shape = op.inputs
    shape_dtype = broadcast_shape.dtype.base_dtype
    input_value_shape = array_ops.shape(input_value, out_type=shape_dtype)
    static = tensor_util.constant_value(broadcast_shape)
    if static is not None and static.ndim == 1 and (static >= 0).all():
        broadcast_shape = array_ops.constant(static.tolist(), dtype=shape_dtype)
    _, reduction_axes = raw_op("BroadcastGradientArgs", s0=broadcast_shape, s1=input_value_shape)
    summed = _reduce_sum(grad, reduction_axes, keepdims=True)
    return [array_ops.reshape(summed, input_value_shape), None]


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
# TF registers no gradient for BroadcastArgs (its outputs are int32/int64 shapes anyway).
no_registered_gradient("BroadcastArgs")


def _broadcast_gradient_args_shape(op):
    _with_rank(op, op.inputs[0].shape, 1)
    _with_rank(op, op.inputs[1].shape, 1)
    return [unknown_shape(1), unknown_shape(1)]


@register_op(
    "BroadcastGradientArgs",
    inputs=["s0: T", "s1: T"],
    outputs=["r0: T", "r1: T"],
    attrs=["T: {int32, int64} = DT_INT32"],
    shape=_broadcast_gradient_args_shape,
)
def broadcast_gradient_args(s0, s1):
    """The axes to sum each input's gradient over after broadcasting ``s0`` against ``s1`` (TF's BCast):
    dims where an input is 1 and the other is not, and dims where both are 1 (unless the shapes are equal)."""
    for i, s in enumerate((s0, s1)):
        if s.dim() != 1:
            raise _invalid(f"In[{i}] must be a vector.{_fmt(s.shape)}")
    a, b = _host_ints(s0), _host_ints(s1)
    r0, r1 = [], []
    if a != b:
        n = max(len(a), len(b))
        pa = [1] * (n - len(a)) + a
        pb = [1] * (n - len(b)) + b
        for k, (x, y) in enumerate(zip(pa, pb)):
            if x == 1:
                r0.append(k)
                if y == 1:
                    r1.append(k)
            elif y == 1:
                r1.append(k)
            elif x != y:
                raise _invalid(f"Incompatible shapes: [{','.join(map(str, a))}] vs. [{','.join(map(str, b))}]")
    return (
        torch.tensor(r0, dtype=s0.dtype, device=s0.device),
        torch.tensor(r1, dtype=s0.dtype, device=s0.device),
    )


_foldable("BroadcastGradientArgs")
not_differentiable("BroadcastGradientArgs")


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


@register_gradient("Pad")
@register_gradient("PadV2")
def _pad_grad(op, grad):
    """Slices the input's region out of ``grad`` (TF gives ``constant_values`` no gradient)."""
    x, paddings = op.inputs[0], op.inputs[1]
    pad_before = array_ops.slice(paddings, [0, 0], array_ops.stack([array_ops.rank(x), 1]))
    begin = array_ops.reshape(pad_before, [-1])
    sizes = array_ops.shape(x, out_type=begin.dtype.base_dtype)
    x_grad = array_ops.slice(grad, begin, sizes)
    return [x_grad, None, None] if len(op.inputs) == 3 else [x_grad, None]


def _mirror_index(lo: int, hi: int, d: int, symmetric: bool) -> list[int]:
    """For each position of a mirror-padded dim of size ``d``, the input index it copies."""
    if symmetric:
        return list(range(lo - 1, -1, -1)) + list(range(d)) + list(range(d - 1, d - 1 - hi, -1))
    return list(range(lo, 0, -1)) + list(range(d)) + list(range(d - 2, d - 2 - hi, -1))


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
        idx = _mirror_index(lo, hi, d, symmetric)
        if _is_np(out):
            out = np.take(out, idx, axis=axis)
        else:
            out = torch.index_select(out, axis, torch.tensor(idx, dtype=torch.long, device=out.device))
    if out is input:
        return input.copy() if _is_np(input) else input.clone()
    return out


def _mirror_pad_grad_shape(op):
    x, paddings_t = op.inputs
    p_dims = _with_rank(op, paddings_t.shape, 2).as_tuple()
    rank = p_dims[0]
    if rank is None:
        return [unknown_shape()]
    x_shape = _with_rank(op, x.shape, rank)
    if p_dims[1] is not None and p_dims[1] != 2:
        raise _shape_error(op, f"Dimension 1 in both shapes must be equal, but are {p_dims[1]} and 2")
    paddings = _value(paddings_t)
    if paddings is None:
        return [unknown_shape(rank)]
    out = []
    for d, (lo, hi) in zip(x_shape.as_tuple(), paddings.reshape(rank, 2).tolist()):
        if lo < 0 or hi < 0:
            raise _shape_error(op, "Paddings must be non-negative")
        if d is not None and d < lo + hi:
            raise _shape_error(op, f"Negative dimension size caused by subtracting {lo + hi} from {d}")
        out.append(None if d is None else d - lo - hi)
    return [TensorShape(out)]


@register_op(
    "MirrorPadGrad",
    inputs=["input: T", "paddings: Tpaddings"],
    outputs=["output: T"],
    attrs=["T: type", "Tpaddings: {int32, int64} = DT_INT32", "mode: {'REFLECT', 'SYMMETRIC'}"],
    shape=_mirror_pad_grad_shape,
)
def mirror_pad_grad(input, paddings, mode):
    """Folds a MirrorPad gradient: each padded position adds into the input position it copied."""
    if paddings.dim() != 2 or paddings.shape[1] != 2:
        raise _invalid(f"paddings must be a matrix with 2 columns: {_fmt(paddings.shape)}")
    if paddings.shape[0] != input.ndim:
        raise _invalid(
            f"The first dimension of paddings must be the rank of inputs{_fmt(paddings.shape)} {_fmt(input.shape)}"
        )
    symmetric = mode == "SYMMETRIC"
    pads = [tuple(int(v) for v in row) for row in paddings.tolist()]
    for (lo, hi), d in zip(pads, input.shape):
        if lo < 0 or hi < 0:
            raise _invalid(f"Paddings must be non-negative: {lo}, {hi}")
        if not lo + hi < d:
            raise _invalid(
                f"Total paddings must be less than the input dimension size: {lo + hi} was not less than {d}"
            )
        n = d - lo - hi
        if symmetric and (lo > n or hi > n):
            raise _invalid(f"paddings must be no greater than the output dimension size: {lo}, {hi} greater than {n}")
        if not symmetric and (lo >= n or hi >= n):
            raise _invalid(f"paddings must be less than the output dimension size: {lo}, {hi} not less than {n}")
    out = input
    for axis, ((lo, hi), d) in enumerate(zip(pads, input.shape)):
        if lo == 0 and hi == 0:
            continue
        n = d - lo - hi
        idx = torch.tensor(_mirror_index(lo, hi, n, symmetric), dtype=torch.long, device=out.device)
        shape = list(out.shape)
        shape[axis] = n
        out = out.new_zeros(shape).index_add(axis, idx, out)
    if out is input:
        return input.clone()
    return out


_foldable("Pad", "PadV2", "MirrorPad", "MirrorPadGrad")


@register_gradient("MirrorPad")
def _mirror_pad_grad(op, grad):
    return [raw_op("MirrorPadGrad", input=grad, paddings=op.inputs[1], mode=op.get_attr("mode")), None]


@register_gradient("MirrorPadGrad")
def _mirror_pad_grad_grad(op, grad):
    return [raw_op("MirrorPad", input=grad, paddings=op.inputs[1], mode=op.get_attr("mode")), None]


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
    shape=common_shapes.unchanged,
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


@register_gradient("ReverseV2")
def _reverse_v2_grad(op, grad):
    return [array_ops.reverse_v2(grad, op.inputs[1]), None]


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


@register_gradient("Split")
def _split_grad(op, *grads):
    return [None, array_ops.concat(list(grads), op.inputs[0])]


@register_gradient("SplitV")
def _split_v_grad(op, *grads):
    return [array_ops.concat(list(grads), op.inputs[2]), None, None]


# ---------------------------------------------------------------------------------------------
# ReverseSequence


def _reverse_sequence_shape(op):
    x, lengths = op.inputs[0].shape, op.inputs[1].shape
    seq_dim, batch_dim = op.get_attr("seq_dim"), op.get_attr("batch_dim")
    if lengths.rank is not None and lengths.rank != 1:
        raise _shape_error(op, f"Shape must be rank 1 but is rank {lengths.rank}")
    if x.rank is None:
        return [unknown_shape()]
    if batch_dim >= x.rank:
        raise _shape_error(op, f"batch_dim must be < input rank: {batch_dim} vs. {x.rank}")
    if seq_dim >= x.rank:
        raise _shape_error(op, f"seq_dim must be < input rank: {seq_dim} vs. {x.rank}")
    dims = list(x.as_tuple())
    n = lengths.as_tuple()[0] if lengths.rank == 1 else None
    if dims[batch_dim] is not None and n is not None and dims[batch_dim] != n:
        raise _shape_error(op, f"Dimensions must be equal, but are {dims[batch_dim]} and {n}")
    if dims[batch_dim] is None:
        dims[batch_dim] = n
    return [TensorShape(dims)]


@register_op(
    "ReverseSequence",
    inputs=["input: T", "seq_lengths: Tlen"],
    outputs=["output: T"],
    attrs=["seq_dim: int", "batch_dim: int = 0", "T: type", "Tlen: {int32, int64} = DT_INT64"],
    shape=_reverse_sequence_shape,
)
def reverse_sequence(input, seq_lengths, seq_dim, batch_dim):
    """Reverses the first ``seq_lengths[b]`` entries along ``seq_dim`` of each batch entry ``b``."""
    rank = input.ndim
    if seq_dim == batch_dim:
        raise _invalid(f"seq_dim == batch_dim == {seq_dim}")
    if not 0 <= seq_dim < rank:
        raise _invalid(f"seq_dim must be < input rank ( {seq_dim} vs. {rank})")
    if not 0 <= batch_dim < rank:
        raise _invalid(f"batch_dim must be < input rank ( {batch_dim} vs. {rank})")
    lengths = _host_ints(seq_lengths)
    if len(lengths) != input.shape[batch_dim]:
        raise _invalid(
            f"Length of seq_lengths != input.dims({batch_dim}), ({len(lengths)} vs. {input.shape[batch_dim]})"
        )
    n = input.shape[seq_dim]
    index = np.tile(np.arange(n), (len(lengths), 1))
    for b, length in enumerate(lengths):
        if length < 0:
            raise _invalid(f"seq_lengths({b}) < 0")
        if length > n:
            raise _invalid(f"seq_lengths[{b}] > input.dims({seq_dim})")
        index[b, :length] = np.arange(length - 1, -1, -1)
    # index[b, t]: the source position along seq_dim for batch entry b, broadcast to the input's shape.
    shape = [1] * rank
    shape[batch_dim], shape[seq_dim] = len(lengths), n
    if batch_dim > seq_dim:
        index = index.T
    index = np.broadcast_to(index.reshape(shape), input.shape)
    if _is_np(input):
        return np.take_along_axis(input, index, seq_dim)
    return torch.gather(input, seq_dim, torch.as_tensor(index, device=input.device))


@register_gradient("ReverseSequence")
def _reverse_sequence_grad(op, grad):
    return [
        array_ops.reverse_sequence(
            grad, op.inputs[1], seq_axis=op.get_attr("seq_dim"), batch_axis=op.get_attr("batch_dim")
        ),
        None,
    ]


# ---------------------------------------------------------------------------------------------
# SpaceToBatchND, BatchToSpaceND (dilated convolutions run an undilated one between them)


def _tf_summary(value) -> str:
    """A small constant as TF's shape errors print it: ``2 2`` for a vector, ``[0 0][0 0]`` for a matrix."""
    value = np.asarray(value)
    if value.ndim <= 1:
        return " ".join(str(v) for v in value.reshape(-1).tolist())
    return "".join(f"[{_tf_summary(row)}]" for row in value)


def _space_batch_error(op, message):
    """TF's shape error from a check of the block shape or paddings/crops values: TF lists the
    constants it read (rank and shape checks fail before TF reads them, and list none)."""
    error = str(_shape_error(op, message))[:-1]
    computed = [(i, _value(op.inputs[i])) for i in (1, 2)]
    computed = [f"input[{i}] = <{_tf_summary(v)}>" for i, v in computed if v is not None]
    if computed:
        error += " and with computed input tensors: " + ", ".join(computed)
    return ValueError(error + ".")


def _block_and_pads(op, what):
    """(number of block dims, block_shape values or None, paddings/crops values or None) checked as TF."""
    block_t, pads_t = op.inputs[1], op.inputs[2]
    if block_t.shape.rank != 1:
        raise _shape_error(op, "block_shape must have rank 1.")
    m = block_t.shape.as_tuple()[0]
    if m is None:
        raise _shape_error(op, "block_shape must have known size.")
    x = op.inputs[0].shape
    if x.rank is not None and x.rank < m + 1:
        raise _shape_error(op, f"Shape must be at least rank {m + 1} but is rank {x.rank}")
    pads_shape = pads_t.shape
    if pads_shape.rank is not None:
        if pads_shape.rank != 2:
            raise _shape_error(op, f"Shape must be rank 2 but is rank {pads_shape.rank}")
        rows, cols = pads_shape.as_tuple()
        if rows is not None and rows != m:
            raise _shape_error(op, f"Dimension 0 in both shapes must be equal, but are {rows} and {m}")
        if cols is not None and cols != 2:
            raise _shape_error(op, f"Dimension 1 in both shapes must be equal, but are {cols} and 2")
    block = _value(block_t)
    pads = _value(pads_t)
    if block is not None and any(int(b) < 1 for b in np.reshape(block, -1)):
        raise _space_batch_error(op, "block_shape must be positive")
    if pads is not None and any(int(p) < 0 for p in np.reshape(pads, -1)):
        raise _space_batch_error(op, f"{what} cannot be negative")
    return m, block, pads


def _space_batch_shape(op, to_batch):
    m, block, pads = _block_and_pads(op, "paddings" if to_batch else "crops")
    x = op.inputs[0].shape
    if x.rank is None:
        rest = None
        batch = None
    else:
        dims = x.as_tuple()
        batch, rest = dims[0], list(dims[m + 1 :])
    if block is None:
        batch = None if m > 0 else batch
    elif batch is not None:
        for b in np.reshape(block, -1):
            b = int(b)
            if to_batch:
                batch *= b
            else:
                if batch % b:
                    raise _space_batch_error(op, f"Dimension size must be evenly divisible by {b} but is {batch}")
                batch //= b
    spatial = [None] * m
    if block is not None and pads is not None and x.rank is not None:
        block_v = [int(b) for b in np.reshape(block, -1)]
        pads_v = np.reshape(pads, (m, 2))
        for i in range(m):
            size = x.as_tuple()[i + 1]
            if size is None:
                continue
            if to_batch:
                padded = size + int(pads_v[i, 0]) + int(pads_v[i, 1])
                if padded % block_v[i]:
                    raise _space_batch_error(
                        op, f"Dimension size must be evenly divisible by {block_v[i]} but is {padded}"
                    )
                spatial[i] = padded // block_v[i]
            else:
                spatial[i] = size * block_v[i] - int(pads_v[i, 0]) - int(pads_v[i, 1])
    if rest is None:
        return [unknown_shape()]
    return [TensorShape([batch, *spatial, *rest])]


def _check_block_args(x, block_shape, pads, what):
    if block_shape.ndim != 1:
        raise _invalid(f"block_shape rank should be 1 instead of {block_shape.ndim}")
    m = block_shape.shape[0]
    if x.ndim < 1 + m:
        raise _invalid(f"input rank should be >= {1 + m} instead of {x.ndim}")
    if not (pads.ndim == 2 and pads.shape[0] == m and pads.shape[1] == 2):
        raise _invalid(f"{what} should have shape [{m}, 2] instead of [{','.join(str(d) for d in pads.shape)}]")
    block = _host_ints(block_shape)
    pads_v = _host_ints(pads)
    return m, block, [(pads_v[2 * i], pads_v[2 * i + 1]) for i in range(m)]


@register_op(
    "SpaceToBatchND",
    inputs=["input: T", "block_shape: Tblock_shape", "paddings: Tpaddings"],
    outputs=["output: T"],
    attrs=["T: type", "Tblock_shape: {int32, int64} = DT_INT32", "Tpaddings: {int32, int64} = DT_INT32"],
    shape=lambda op: _space_batch_shape(op, True),
)
def space_to_batch_nd(input, block_shape, paddings):
    """Zero-pads the spatial dims 1..M, splits each into (size / block, block) and moves the block
    offsets into the batch dimension (block offsets outermost)."""
    m, block, pads = _check_block_args(input, block_shape, paddings, "paddings")
    for i, b in enumerate(block):
        if b < 1:
            raise _invalid(f"All values in block_shape must be positive, got value, {b} at index {i}.")
    if any(p < 0 for pair in pads for p in pair):
        raise _invalid("Paddings must be non-negative")
    batch, spatial, rest = input.shape[0], list(input.shape[1 : m + 1]), list(input.shape[m + 1 :])
    padded_sizes = [s + p0 + p1 for s, (p0, p1) in zip(spatial, pads)]
    for i, (size, b) in enumerate(zip(padded_sizes, block)):
        if size % b:
            raise _invalid(f"padded_shape[{i}]={size} is not divisible by block_shape[{i}]={b}")
    pad_spec = []
    for p0, p1 in [*reversed([(0, 0)] * len(rest)), *reversed(pads)]:
        pad_spec += [p0, p1]
    padded = torch.nn.functional.pad(input, pad_spec) if any(pad_spec) else input
    shape = [batch]
    for size, b in zip(padded_sizes, block):
        shape += [size // b, b]
    reshaped = padded.reshape(*shape, *rest)
    perm = (
        [2 + 2 * i for i in range(m)]
        + [0]
        + [1 + 2 * i for i in range(m)]
        + list(range(1 + 2 * m, 1 + 2 * m + len(rest)))
    )
    permuted = reshaped.permute(*perm)
    out_batch = batch * int(np.prod(block)) if m else batch
    return permuted.reshape(out_batch, *[size // b for size, b in zip(padded_sizes, block)], *rest)


@register_op(
    "BatchToSpaceND",
    inputs=["input: T", "block_shape: Tblock_shape", "crops: Tcrops"],
    outputs=["output: T"],
    attrs=["T: type", "Tblock_shape: {int32, int64} = DT_INT32", "Tcrops: {int32, int64} = DT_INT32"],
    shape=lambda op: _space_batch_shape(op, False),
)
def batch_to_space_nd(input, block_shape, crops):
    """SpaceToBatchND's inverse: block offsets back from the batch into the spatial dims, then cropped."""
    m, block, crop = _check_block_args(input, block_shape, crops, "crops")
    product = int(np.prod(block)) if m else 1
    if product <= 0:
        raise _invalid(f"Product of block sizes must be positive, got {product}")
    batch = input.shape[0]
    if batch % product:
        raise _invalid(f"Input batch dimension ({batch}) is not divisible by product of block sizes ({product})")
    spatial, rest = list(input.shape[1 : m + 1]), list(input.shape[m + 1 :])
    for i, ((c0, c1), size, b) in enumerate(zip(crop, spatial, block)):
        if c0 < 0 or c1 < 0:
            raise _invalid("Crops must be non-negative")
        if size * b - c0 - c1 < 0:
            raise _invalid(f"cropped_shape[{i}]={size * b - c0 - c1} must be non-negative")
    out_batch = batch // product
    reshaped = input.reshape(*block, out_batch, *spatial, *rest)
    perm = [m]
    for i in range(m):
        perm += [m + 1 + i, i]
    perm += list(range(2 * m + 1, 2 * m + 1 + len(rest)))
    permuted = reshaped.permute(*perm).reshape(out_batch, *[s * b for s, b in zip(spatial, block)], *rest)
    index = [slice(None)] + [slice(c0, s * b - c1) for (c0, c1), s, b in zip(crop, spatial, block)]
    return permuted[tuple(index)]


@register_gradient("SpaceToBatchND")
def _space_to_batch_nd_grad(op, grad):
    return [array_ops.batch_to_space_nd(grad, op.inputs[1], op.inputs[2]), None, None]


@register_gradient("BatchToSpaceND")
def _batch_to_space_nd_grad(op, grad):
    return [array_ops.space_to_batch_nd(grad, op.inputs[1], op.inputs[2]), None, None]
