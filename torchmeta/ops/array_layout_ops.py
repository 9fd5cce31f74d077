"""Array ops that lay out copies of their inputs: Tile, BroadcastTo, BroadcastArgs, BroadcastGradientArgs, Concat,
Pad, PadV2, MirrorPad(Grad), ReverseV2, Split, SplitV, Transpose, ConcatV2, ConcatOffset, Pack and Unpack,
with their gradients (the rest of the family is in ``array_ops``, ``array_slice_ops`` and ``array_index_ops``).
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta.api import array_ops
from torchmeta.dtypes import DType
from torchmeta.framework import common_shapes, control_flow_util, tensor_util
from torchmeta.framework.common_shapes import (
    constant_scalar,
    format_dims,
    merge_all,
    shape_error,
    shape_from_shape_tensor,
    with_rank,
)
from torchmeta.framework.constant_op import constant
from torchmeta.framework.indexed_slices import IndexedSlices
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, as_shape, unknown_shape
from torchmeta.framework.tensor_util import constant_value
from torchmeta.ops.common import flip, grad_reduce_sum, host_ints, invalid, is_indexed_slices, is_np, list_output

# ---------------------------------------------------------------------------------------------
# Tile, BroadcastTo, BroadcastArgs


def _tile_shape(op):
    x, multiples_t = op.inputs
    m_shape = with_rank(op, multiples_t.shape, 1)
    multiples = shape_from_shape_tensor(multiples_t)
    rank = x.shape.rank
    if rank is None:
        rank = multiples.rank if multiples.rank is not None else m_shape.as_tuple()[0]
    elif m_shape.as_tuple()[0] is not None and m_shape.as_tuple()[0] != rank:
        raise shape_error(op, f"Shape must be rank {rank} but is rank {m_shape.as_tuple()[0]}")
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
    m = host_ints(multiples)
    rank = input.ndim
    if multiples.dim() != 1 or len(m) != rank:
        raise invalid(
            f"Expected multiples argument to be a vector of length {rank} but got length {multiples.shape[0] if multiples.dim() else 0}"
        )
    for i, v in enumerate(m):
        if v < 0:
            raise invalid(f"Expected multiples[{i}] >= 0, but got {v}")
    if is_np(input):
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
    if is_indexed_slices(grad):
        # Rows of an IndexedSlices gradient fold onto the input's first dim before the reduction.
        index_dtype = grad.indices.dtype.base_dtype
        input_shape_0 = input_shape[0]
        if input_shape_0.dtype.base_dtype is not index_dtype:
            input_shape_0 = raw_op("Cast", x=input_shape_0, DstT=index_dtype, name="Cast")
        rows = raw_op("FloorMod", x=grad.indices, y=input_shape_0, name="mod")
        grad = raw_op("UnsortedSegmentSum", data=grad.values, segment_ids=rows, num_segments=input_shape_0)
        split_shape = array_ops.concat([[1], split_shape[1:]], axis=0)
    input_grad = grad_reduce_sum(array_ops.reshape(grad, split_shape), axes)
    input_grad.set_shape(op.inputs[0].shape)
    return [input_grad, None]


def _broadcast_to_shape(op):
    x, shape_t = op.inputs
    with_rank(op, shape_t.shape, 1)
    target = shape_from_shape_tensor(shape_t)
    if target.rank is None:
        return [unknown_shape()]
    if x.shape.rank is None:
        return [target]
    in_dims = x.shape.as_tuple()
    out = list(target.as_tuple())
    if len(in_dims) > len(out):
        raise shape_error(
            op, f"Rank of input ({len(in_dims)}) must be no greater than rank of output shape ({len(out)})."
        )
    diff = len(out) - len(in_dims)
    for i in reversed(range(len(in_dims))):  # from the last dim, as TF checks them
        d = in_dims[i]
        j = i + diff
        o = out[j]
        if o is None:
            if d is not None and d != 1:
                out[j] = d
            continue
        if d is not None and d != 1 and d != o:
            raise shape_error(op, f"Dimensions must be equal, but are {d} and {o}")
    return [TensorShape(out)]


def broadcast_dims(a: list[int], b: list[int]) -> list[int] | None:
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
    target = host_ints(shape)
    in_shape = list(input.shape)
    if len(in_shape) > len(target):
        raise invalid(f"Rank of input ({len(in_shape)}) must be no greater than rank of output shape ({len(target)}).")
    merged = broadcast_dims(in_shape, target)
    if merged != target:
        raise invalid(f"Incompatible shapes: {format_dims(in_shape)} vs. {format_dims(target)}")
    if is_np(input):
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
    summed = grad_reduce_sum(grad, reduction_axes, keepdims=True)
    return [array_ops.reshape(summed, input_value_shape), None]


def _broadcast_args_shape(op):
    a = with_rank(op, op.inputs[0].shape, 1).as_tuple()[0]
    b = with_rank(op, op.inputs[1].shape, 1).as_tuple()[0]
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
    a, b = host_ints(s0), host_ints(s1)
    out = broadcast_dims(a, b)
    if out is None:
        raise invalid(f"Incompatible shapes: {format_dims(a)} vs. {format_dims(b)}")
    return torch.tensor(out, dtype=s0.dtype, device=s0.device)


# TF registers no gradient for BroadcastArgs (its outputs are int32/int64 shapes anyway).
no_registered_gradient("BroadcastArgs")


def _broadcast_gradient_args_shape(op):
    with_rank(op, op.inputs[0].shape, 1)
    with_rank(op, op.inputs[1].shape, 1)
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
            raise invalid(f"In[{i}] must be a vector.{format_dims(s.shape)}")
    a, b = host_ints(s0), host_ints(s1)
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
                raise invalid(f"Incompatible shapes: [{','.join(map(str, a))}] vs. [{','.join(map(str, b))}]")
    return (
        torch.tensor(r0, dtype=s0.dtype, device=s0.device),
        torch.tensor(r1, dtype=s0.dtype, device=s0.device),
    )


not_differentiable("BroadcastGradientArgs")


# ---------------------------------------------------------------------------------------------
# Pad, PadV2, MirrorPad


def _pad_shape(op):
    x, paddings_t = op.inputs[0], op.inputs[1]
    p_shape = with_rank(op, paddings_t.shape, 2)
    n, two = p_shape.as_tuple()
    if two is not None and two != 2:
        raise shape_error(op, f"Dimension must be 2 but is {two}")
    rank = x.shape.rank
    if rank is not None and n is not None and rank != n:
        raise shape_error(op, f"Shape must be rank {n} but is rank {rank}")
    if rank is None:
        rank = n
    if rank is None:
        return [unknown_shape()]
    paddings = constant_value(paddings_t)
    dims = x.shape.as_tuple() if x.shape.rank is not None else (None,) * rank
    if paddings is None:
        return [unknown_shape(rank)]
    pads = paddings.reshape(rank, 2).tolist()
    out = []
    for i, (d, (lo, hi)) in enumerate(zip(dims, pads)):
        if lo < 0 or hi < 0:
            raise shape_error(op, f"The {i}th row of paddings must be non-negative: {lo}, {hi}")
        out.append(None if d is None else d + int(lo) + int(hi))
    return [TensorShape(out)]


def _read_paddings(input, paddings):
    rank = input.ndim
    if paddings.dim() != 2 or paddings.shape[1] != 2:
        raise invalid(f"paddings must be a matrix with 2 columns: {format_dims(paddings.shape)}")
    if paddings.shape[0] != rank:
        raise invalid(
            f"The first dimension of paddings must be the rank of inputs{format_dims(paddings.shape)} {format_dims(input.shape)}"
        )
    pads = [tuple(int(v) for v in row) for row in paddings.tolist()]
    for lo, hi in pads:
        if lo < 0 or hi < 0:
            raise invalid(f"Paddings must be non-negative: {lo} {hi}")
    return pads


def _pad_constant(input, pads, value):
    shape = [d + lo + hi for d, (lo, hi) in zip(input.shape, pads)]
    region = tuple(slice(lo, lo + d) for d, (lo, _) in zip(input.shape, pads))
    if is_np(input):
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
    return _pad_constant(input, pads, b"" if is_np(input) else None)


@register_op(
    "PadV2",
    inputs=["input: T", "paddings: Tpaddings", "constant_values: T"],
    outputs=["output: T"],
    attrs=["T: type", "Tpaddings: {int32, int64} = DT_INT32"],
    shape=_pad_shape,
)
def pad_v2(input, paddings, constant_values):
    pads = _read_paddings(input, paddings)
    size = constant_values.size if is_np(constant_values) else constant_values.numel()
    if constant_values.ndim != 0 or size != 1:
        raise invalid(f"constant_values must be a scalar. Found: {format_dims(constant_values.shape)}")
    value = constant_values.reshape(-1)[0] if is_np(constant_values) else constant_values
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
    paddings = constant_value(op.inputs[1])
    x = op.inputs[0].shape
    if paddings is not None and x.rank is not None:
        offset = 0 if op.get_attr("mode") == "REFLECT" else 1
        for d, (lo, hi) in zip(x.as_tuple(), paddings.reshape(-1, 2).tolist()):
            if d is not None and (lo > d - 1 + offset or hi > d - 1 + offset):
                if offset:
                    raise shape_error(
                        op, f"paddings must be no greater than the dimension size: {lo}, {hi} greater than {d}"
                    )
                raise shape_error(op, f"paddings must be less than the dimension size: {lo}, {hi} not less than {d}")
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
                raise invalid(f"paddings must be no greater than the dimension size: {lo}, {hi} greater than {d}")
            raise invalid(f"paddings must be less than the dimension size: {lo}, {hi} not less than {d}")
        if lo == 0 and hi == 0:
            continue
        idx = _mirror_index(lo, hi, d, symmetric)
        if is_np(out):
            out = np.take(out, idx, axis=axis)
        else:
            out = torch.index_select(out, axis, torch.tensor(idx, dtype=torch.long, device=out.device))
    if out is input:
        return input.copy() if is_np(input) else input.clone()
    return out


def _mirror_pad_grad_shape(op):
    x, paddings_t = op.inputs
    p_dims = with_rank(op, paddings_t.shape, 2).as_tuple()
    rank = p_dims[0]
    if rank is None:
        return [unknown_shape()]
    x_shape = with_rank(op, x.shape, rank)
    if p_dims[1] is not None and p_dims[1] != 2:
        raise shape_error(op, f"Dimension 1 in both shapes must be equal, but are {p_dims[1]} and 2")
    paddings = constant_value(paddings_t)
    if paddings is None:
        return [unknown_shape(rank)]
    out = []
    for d, (lo, hi) in zip(x_shape.as_tuple(), paddings.reshape(rank, 2).tolist()):
        if lo < 0 or hi < 0:
            raise shape_error(op, "Paddings must be non-negative")
        if d is not None and d < lo + hi:
            raise shape_error(op, f"Negative dimension size caused by subtracting {lo + hi} from {d}")
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
        raise invalid(f"paddings must be a matrix with 2 columns: {format_dims(paddings.shape)}")
    if paddings.shape[0] != input.ndim:
        raise invalid(
            f"The first dimension of paddings must be the rank of inputs{format_dims(paddings.shape)} {format_dims(input.shape)}"
        )
    symmetric = mode == "SYMMETRIC"
    pads = [tuple(int(v) for v in row) for row in paddings.tolist()]
    for (lo, hi), d in zip(pads, input.shape):
        if lo < 0 or hi < 0:
            raise invalid(f"Paddings must be non-negative: {lo}, {hi}")
        if not lo + hi < d:
            raise invalid(f"Total paddings must be less than the input dimension size: {lo + hi} was not less than {d}")
        n = d - lo - hi
        if symmetric and (lo > n or hi > n):
            raise invalid(f"paddings must be no greater than the output dimension size: {lo}, {hi} greater than {n}")
        if not symmetric and (lo >= n or hi >= n):
            raise invalid(f"paddings must be less than the output dimension size: {lo}, {hi} not less than {n}")
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
        raise invalid(f"'axis' must be 1-D, not {format_dims(axis.shape)}")
    dims = []
    for i, a in enumerate(host_ints(axis)):
        if not -rank <= a < rank:
            raise invalid(f"'axis'[{i}] = {a} is out of valid range [0, {rank - 1}")
        a %= rank
        if a in dims:
            raise invalid(f"axis {a} specified more than once.")
        dims.append(a)
    return flip(tensor, dims)


@register_gradient("ReverseV2")
def _reverse_v2_grad(op, grad):
    return [array_ops.reverse_v2(grad, op.inputs[1]), None]


# ---------------------------------------------------------------------------------------------
# Split, SplitV


def _split_shape(op):
    dim_t, value = op.inputs
    n = op.get_attr("num_split")
    with_rank(op, dim_t.shape, 0)
    split_dim = constant_scalar(dim_t)
    x = value.shape
    if x.rank is None:
        return [unknown_shape()] * n
    if split_dim is None:
        return [unknown_shape(x.rank)] * n
    rank = x.rank
    if not -rank <= split_dim < rank:
        raise shape_error(op, f"Dimension must be in range [{-rank}, {rank}) but is {split_dim}")
    split_dim %= rank
    dims = list(x.as_tuple())
    d = dims[split_dim]
    if d is not None:
        if d % n:
            raise shape_error(
                op,
                f"Dimension size must be evenly divisible by {n} but is {d}\n\t"
                "Number of ways to split should evenly divide the split dimension",
            )
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
        raise invalid(f"-input rank(-{rank}) <= split_dim < input rank ({rank}), but got {d}")
    d %= rank
    size = value.shape[d]
    if size % num_split:
        raise invalid(
            "Number of ways to split should evenly divide the split dimension, but got split_dim "
            f"{d} (size = {size}) and num_split {num_split}"
        )
    return _split_sizes(value, [size // num_split] * num_split, d)


def _split_sizes(value, sizes, axis):
    if is_np(value):
        cuts = np.cumsum(sizes)[:-1]
        return list_output(np.split(value, cuts, axis=axis))
    return list_output(torch.split(value, sizes, dim=axis))


def _split_v_shape(op):
    value, sizes_t, dim_t = op.inputs
    n = op.get_attr("num_split")
    with_rank(op, dim_t.shape, 0)
    x = value.shape
    split_dim = constant_scalar(dim_t)
    if x.rank is None:
        return [unknown_shape()] * n
    if split_dim is None:
        return [unknown_shape(x.rank)] * n
    rank = x.rank
    if not -rank <= split_dim < rank:
        raise shape_error(op, f"Dimension must be in range [{-rank}, {rank}) but is {split_dim}")
    split_dim %= rank
    sizes = constant_value(sizes_t)
    dims = list(x.as_tuple())
    if sizes is None:
        return [TensorShape([*dims[:split_dim], None, *dims[split_dim + 1 :]])] * n
    sizes = [int(s) for s in sizes.reshape(-1)]
    if len(sizes) != n:
        raise shape_error(op, f"Length of size_splits should be {n}, got {len(sizes)}")
    if sizes.count(-1) > 1:
        raise shape_error(op, "size_splits can only have one -1")
    total = dims[split_dim]
    if -1 in sizes and total is not None:
        known = sum(s for s in sizes if s != -1)
        sizes[sizes.index(-1)] = total - known
    elif -1 in sizes:
        sizes = [None if s == -1 else s for s in sizes]
    elif total is not None and sum(sizes) != total:
        raise shape_error(
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
        raise invalid(f"-input rank(-{rank}) <= split_dim < input rank ({rank}), but got {d}")
    d %= rank
    sizes = host_ints(size_splits)
    if len(sizes) != num_split:
        raise invalid(f"size of the size_splits must be equal to num_split, got {len(sizes)} vs. {num_split}")
    total = value.shape[d]
    if sizes.count(-1) > 1:
        raise invalid("There can only be one -1 in the input.")
    known = sum(s for s in sizes if s != -1)
    if -1 in sizes:
        if known > total:
            raise invalid(
                "Determined shape must either match input shape along split_dim exactly if fully specified, or be "
                f"less than the size of the input along split_dim if not fully specified.  Got: {known}"
            )
        sizes[sizes.index(-1)] = total - known
    elif known != total:
        raise invalid(
            "Determined shape must either match input shape along split_dim exactly if fully specified, or be "
            f"less than the size of the input along split_dim if not fully specified.  Got: {known}"
        )
    for s in sizes:
        if s < 0:
            raise invalid(f"Split size at index {sizes.index(s)} must be >= 0. Got: {s}")
    return _split_sizes(value, sizes, d)


@register_gradient("Split")
def _split_grad(op, *grads):
    return [None, array_ops.concat(list(grads), op.inputs[0])]


@tensor_util.register_constant_value("Split")
def _split_value(op, index, partial):
    dim = tensor_util.constant_value(op.inputs[0])
    value = tensor_util.constant_value(op.inputs[1], partial)
    if value is None or dim is None:
        return None
    return np.split(value, op.get_attr("num_split"), dim)[index]


@register_gradient("SplitV")
def _split_v_grad(op, *grads):
    return [array_ops.concat(list(grads), op.inputs[2]), None, None]


# ---------------------------------------------------------------------------------------------
# Transpose


def _transpose_shape(op):
    x, perm_t = op.inputs
    perm_shape = with_rank(op, perm_t.shape, 1)
    rank = x.shape.rank
    n = perm_shape.as_tuple()[0]
    if rank is None and n is not None:
        rank = n
    if rank is not None and n is not None and rank != n:
        raise shape_error(op, f"Dimension must be {rank} but is {n}")
    perm = constant_value(perm_t)
    if rank is None:
        return [unknown_shape()]
    if perm is None:
        return [unknown_shape(rank)]
    perm = [int(p) for p in perm.reshape(-1)]
    dims = x.shape.as_tuple() if x.shape.rank is not None else (None,) * rank
    out = []
    for p in perm:
        if not -rank <= p < rank:
            raise shape_error(op, f"perm dim {p} is out of range of input rank {rank}")
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
        raise invalid(f"perm must be rank 1, got shape {format_dims(perm.shape)}")
    p = host_ints(perm)
    rank = x.ndim
    if len(p) != rank:
        raise invalid(f"transpose expects a vector of size {rank}. But input(1) is a vector of size {len(p)}")
    seen = [False] * rank
    for d in p:
        if not 0 <= d < rank:
            raise invalid(f"{d} is out of range [0 .. {rank})")
        seen[d] = True
    for i in range(rank):
        if not seen[i]:
            raise invalid(f"{i} is missing from {{{','.join(str(d) for d in p)}}}.")
    return np.transpose(x, p) if is_np(x) else x.permute(p)


@register_gradient("Transpose")
def _transpose_grad(op, grad):
    return [array_ops.transpose(grad, array_ops.invert_permutation(op.inputs[1])), None]


@register_op(
    "ConjugateTranspose",
    inputs=["x: T", "perm: Tperm"],
    outputs=["y: T"],
    attrs=["T: type", "Tperm: {int32, int64} = DT_INT32"],
    shape=_transpose_shape,
)
def conjugate_transpose(x, perm):
    y = transpose(x, perm)
    return y.conj().resolve_conj() if not is_np(y) and y.is_complex() else (y if is_np(y) else y.clone())


@register_gradient("ConjugateTranspose")
def _conjugate_transpose_grad(op, grad):
    return [array_ops.transpose(grad, array_ops.invert_permutation(op.inputs[1]), conjugate=True), None]


# ---------------------------------------------------------------------------------------------
# ConcatV2, ConcatOffset, Pack, Unpack


def _concat_shape(op):
    return concat_shape_of(op, op.inputs[:-1], op.inputs[-1])


def _concat_v1_shape(op):
    return concat_shape_of(op, op.inputs[1:], op.inputs[0])


def concat_shape_of(op, values, axis_t):
    with_rank(op, axis_t.shape, 0)
    axis = constant_scalar(axis_t)
    rank = next((t.shape.rank for t in values if t.shape.rank is not None), None)
    for t in values:
        if t.shape.rank is not None and t.shape.rank != rank:
            raise shape_error(op, f"Shape must be rank {rank} but is rank {t.shape.rank}")
    if rank is None:
        return [unknown_shape()]
    if axis is None:
        return [unknown_shape(rank)]
    if not -rank <= axis < rank:  # TF's ConcatShapeHelper: WithRankAtLeast(input, min_rank)
        min_rank = -axis if axis < 0 else axis + 1
        raise shape_error(op, f"Shape must be at least rank {min_rank} but is rank {rank}")
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
                    raise shape_error(
                        op,
                        f"Dimension {i} in both shapes must be equal, but are {m} and {d}. Shapes are "
                        f"{format_dims(merged)} and {format_dims(rest)}.",
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
        raise invalid(f"ConcatOp : Expected concatenating dimensions in the range [{-rank}, {rank}), but got {axis}")
    if rank == 0:
        raise invalid(f"ConcatOp : Expected concatenating dimensions in the range [{-rank}, {rank}), but got {axis}")
    axis %= rank
    for i, v in enumerate(values[1:], 1):
        shape = v.shape
        if len(shape) != rank:
            raise invalid(
                f"ConcatOp : Ranks of all input tensors should match: shape[0] = {format_dims(first)} vs. "
                f"shape[{i}] = {format_dims(shape)}"
            )
        for d in range(rank):
            if d != axis and shape[d] != first[d]:
                raise invalid(
                    f"ConcatOp : Dimension {d} in both shapes must be equal: shape[0] = {format_dims(first)} vs. "
                    f"shape[{i}] = {format_dims(shape)}"
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
    if is_np(values[0]):
        return np.concatenate(values, axis=a)
    return torch.cat(values, dim=a)


@register_op(
    "Concat",
    inputs=["concat_dim: int32", "values: N * T"],
    outputs=["output: T"],
    attrs=["N: int >= 2", "T: type"],
    shape=_concat_v1_shape,
)
def concat(concat_dim, values):
    """ConcatV2 with the axis first (the op tf.concat built before TF 1.0)."""
    return concat_v2(values, concat_dim)


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
    dims0 = host_ints(shape[0])
    rank = len(dims0)
    axis = int(concat_dim)
    if not -rank <= axis < rank:
        raise invalid(f"Concat dim is out of range: {axis} vs. {rank}")
    axis %= rank
    out = []
    offset = 0
    for i, s in enumerate(shape):
        dims = host_ints(s)
        if len(dims) != rank:
            raise invalid(f"input {i} should contain {rank} elements, but got {len(dims)}")
        for d in range(rank):
            if d != axis and dims[d] != dims0[d]:
                raise invalid(
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
    merged = merge_all(op, [t.shape for t in op.inputs])
    if merged.rank is None:
        return [unknown_shape()]
    rank = merged.rank + 1
    if not -rank <= axis < rank:
        raise shape_error(op, f"Invalid axis: {axis}; must be in [{-rank},{rank})")
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
    if not isinstance(values[0], (torch.Tensor, np.ndarray)):  # variant scalars (TensorLists): a vector of them
        out = np.empty(len(values), dtype=object)
        for i, v in enumerate(values):
            out[i] = v
        return out
    first = values[0].shape
    for i, v in enumerate(values[1:], 1):
        if v.shape != first:
            raise invalid(
                f"Shapes of all inputs must match: values[0].shape = {format_dims(first)} != values[{i}].shape = "
                f"{format_dims(v.shape)}"
            )
    rank = len(first) + 1
    if not -rank <= axis < rank:
        raise invalid(f"axis = {axis} not in [{-rank}, {rank})")
    if is_np(values[0]):
        return np.stack(values, axis=axis)
    return torch.stack(values, dim=axis)


def _parallel_concat_shape(op):
    """TF's ParallelConcat shape function: the ``shape`` attr, fully defined, with every input a fully defined
    ``[1] + shape[1:]``."""
    shape = as_shape(op.get_attr("shape"))
    if not shape.is_fully_defined():
        raise common_shapes.shape_error(op, "shape attr must be fully defined.")
    cur = TensorShape([1]).concatenate(shape[1:])
    for i, x in enumerate(op.inputs):
        s = x.shape
        if not s.is_fully_defined():
            raise common_shapes.shape_error(op, "All input shapes must be fully defined.")
        if s.rank < 1:
            raise common_shapes.shape_error(
                op, f"The rank of all input shapes must be greater than 0, but input {i} had rank {s.rank}."
            )
        if s[0] != 1:
            raise common_shapes.shape_error(op, "Size of first dimension must be 1.")
        try:
            cur = common_shapes.merge_shapes(op, s, cur)
        except ValueError as e:
            message = str(e).split(" for '{{node ", 1)[0]
            raise common_shapes.shape_error(op, f"{message}\n\tFrom merging shape {i} with other shapes.") from None
    return [shape]


@register_op(
    "ParallelConcat",
    inputs=["values: N * T"],
    outputs=["output: T"],
    attrs=["N: int >= 1", "T: type", "shape: shape"],
    shape=_parallel_concat_shape,
)
def parallel_concat(values):
    """The values (each ``[1] + shape[1:]``, checked when the graph is built) stacked along axis 0."""
    if is_np(values[0]):
        return np.concatenate(values, axis=0)
    return torch.cat(values, dim=0)


no_registered_gradient("ParallelConcat")


def _unpack_shape(op):
    x = op.inputs[0]
    num = op.get_attr("num")
    axis = op.get_attr("axis")
    if x.shape.rank is None:
        return [unknown_shape()] * num
    rank = x.shape.rank
    if not -rank <= axis < rank:
        raise shape_error(op, f"Invalid axis: {axis}; must be in [{-rank},{rank})")
    axis %= rank
    dims = list(x.shape.as_tuple())
    if dims[axis] is not None and dims[axis] != num:
        raise shape_error(op, f"Dimension must be {num} but is {dims[axis]}")
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
        raise invalid(f"axis = {axis} not in [{-rank}, {rank})")
    axis %= rank
    if shape[axis] != num:
        raise invalid(f"Input shape axis {axis} must equal {num}, got shape {format_dims(shape)}")
    if is_np(value):
        return list_output([np.take(value, i, axis=axis) for i in range(num)])
    return list_output(torch.unbind(value, dim=axis))


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
    return _concat_grad_helper(op, grad, op.inputs[:-1], op.inputs[-1])


@register_gradient("Concat")
def _concat_grad(op, grad):
    grads = _concat_grad_helper(op, grad, op.inputs[1:], op.inputs[0])
    return [None, *grads[:-1]]


@tensor_util.register_constant_value("Concat", "ConcatV2")
def _concat_value(op, index, partial):
    axis, values = (op.inputs[0], op.inputs[1:]) if op.type == "Concat" else (op.inputs[-1], op.inputs[:-1])
    dim = tensor_util.constant_value(axis)
    if dim is None:
        return None
    arrays = []
    for x in values:
        value = tensor_util.constant_value(x)
        if value is None:
            return None
        arrays.append(value)
    return np.concatenate(arrays, axis=dim)


def _concat_grad_helper(op, grad, values, concat_dim):
    """Slices of ``grad`` at each input's ConcatOffset (TF's ``_ConcatGradHelper``, graph mode); the values'
    gradients and a None for the axis."""
    if concat_dim.op.type == "Const" and control_flow_util.GetOutputContext(
        grad.op
    ) != control_flow_util.GetOutputContext(concat_dim.op):
        # A constant from another control-flow context (a loop body) is duplicated here rather than
        # passed through an Enter, as TF does.
        concat_dim = constant(constant_value(concat_dim), dtype=concat_dim.dtype)
    non_neg_concat_dim = raw_op("FloorMod", x=concat_dim, y=array_ops.rank(values[0]), name="mod")
    if is_indexed_slices(grad):
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
            out.append(IndexedSlices(new_values, grad.indices, size))
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
        out.append(IndexedSlices(new_values, new_indices, size))
        start = end
    return out


@register_gradient("Pack")
def _pack_grad(op, grad):
    return array_ops.unstack(grad, num=op.get_attr("N"), axis=op.get_attr("axis"))


@register_gradient("Unpack")
def _unpack_grad(op, *grads):
    return [array_ops.stack(list(grads), axis=op.get_attr("axis"))]


@tensor_util.register_constant_value("Pack")
def _pack_value(op, index, partial):
    """Axis 0 only (TF's Python constant_value); with ``partial``, unknown elements stay None."""
    if not op.inputs or op.get_attr("axis") != 0:
        return None
    values = []
    for x in op.inputs:
        value = tensor_util.constant_value(x, partial)
        if value is None and not partial:
            return None
        values.append(value)
    try:
        return np.array(values)
    except ValueError:
        return np.array(values, dtype=object)


@tensor_util.register_constant_value("Unpack")
def _unpack_value(op, index, partial):
    if op.get_attr("axis") != 0:
        return None
    value = tensor_util.constant_value(op.inputs[0], partial)
    return None if value is None else value[index]
