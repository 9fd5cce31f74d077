"""Array ops that move entries between the batch dimension and the sequence or spatial dimensions:
ReverseSequence, SpaceToBatchND and BatchToSpaceND (each the other's gradient), with TF's kernels,
shape functions and errors.
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta.api import array_ops
from torchmeta.framework.common_shapes import shape_error
from torchmeta.framework.registry import register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.framework.tensor_util import constant_value
from torchmeta.ops.common import host_ints, invalid, is_np

# ---------------------------------------------------------------------------------------------
# ReverseSequence


def _reverse_sequence_shape(op):
    x, lengths = op.inputs[0].shape, op.inputs[1].shape
    seq_dim, batch_dim = op.get_attr("seq_dim"), op.get_attr("batch_dim")
    if lengths.rank is not None and lengths.rank != 1:
        raise shape_error(op, f"Shape must be rank 1 but is rank {lengths.rank}")
    if x.rank is None:
        return [unknown_shape()]
    if batch_dim >= x.rank:
        raise shape_error(op, f"batch_dim must be < input rank: {batch_dim} vs. {x.rank}")
    if seq_dim >= x.rank:
        raise shape_error(op, f"seq_dim must be < input rank: {seq_dim} vs. {x.rank}")
    dims = list(x.as_tuple())
    n = lengths.as_tuple()[0] if lengths.rank == 1 else None
    if dims[batch_dim] is not None and n is not None and dims[batch_dim] != n:
        raise shape_error(op, f"Dimensions must be equal, but are {dims[batch_dim]} and {n}")
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
        raise invalid(f"seq_dim == batch_dim == {seq_dim}")
    if not 0 <= seq_dim < rank:
        raise invalid(f"seq_dim must be < input rank ( {seq_dim} vs. {rank})")
    if not 0 <= batch_dim < rank:
        raise invalid(f"batch_dim must be < input rank ( {batch_dim} vs. {rank})")
    lengths = host_ints(seq_lengths)
    if len(lengths) != input.shape[batch_dim]:
        raise invalid(
            f"Length of seq_lengths != input.dims({batch_dim}), ({len(lengths)} vs. {input.shape[batch_dim]})"
        )
    n = input.shape[seq_dim]
    index = np.tile(np.arange(n), (len(lengths), 1))
    for b, length in enumerate(lengths):
        if length < 0:
            raise invalid(f"seq_lengths({b}) < 0")
        if length > n:
            raise invalid(f"seq_lengths[{b}] > input.dims({seq_dim})")
        index[b, :length] = np.arange(length - 1, -1, -1)
    # index[b, t]: the source position along seq_dim for batch entry b, broadcast to the input's shape.
    shape = [1] * rank
    shape[batch_dim], shape[seq_dim] = len(lengths), n
    if batch_dim > seq_dim:
        index = index.T
    index = np.broadcast_to(index.reshape(shape), input.shape)
    if is_np(input):
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


def _block_and_pads(op, what):
    """(number of block dims, block_shape values or None, paddings/crops values or None) checked as TF."""
    block_t, pads_t = op.inputs[1], op.inputs[2]
    if block_t.shape.rank != 1:
        raise shape_error(op, "block_shape must have rank 1.")
    m = block_t.shape.as_tuple()[0]
    if m is None:
        raise shape_error(op, "block_shape must have known size.")
    x = op.inputs[0].shape
    if x.rank is not None and x.rank < m + 1:
        raise shape_error(op, f"Shape must be at least rank {m + 1} but is rank {x.rank}")
    pads_shape = pads_t.shape
    if pads_shape.rank is not None:
        if pads_shape.rank != 2:
            raise shape_error(op, f"Shape must be rank 2 but is rank {pads_shape.rank}")
        rows, cols = pads_shape.as_tuple()
        if rows is not None and rows != m:
            raise shape_error(op, f"Dimension 0 in both shapes must be equal, but are {rows} and {m}")
        if cols is not None and cols != 2:
            raise shape_error(op, f"Dimension 1 in both shapes must be equal, but are {cols} and 2")
    block = constant_value(block_t)
    pads = constant_value(pads_t)
    if block is not None and any(int(b) < 1 for b in np.reshape(block, -1)):
        raise shape_error(op, "block_shape must be positive")
    if pads is not None and any(int(p) < 0 for p in np.reshape(pads, -1)):
        raise shape_error(op, f"{what} cannot be negative")
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
                    raise shape_error(op, f"Dimension size must be evenly divisible by {b} but is {batch}")
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
                    raise shape_error(op, f"Dimension size must be evenly divisible by {block_v[i]} but is {padded}")
                spatial[i] = padded // block_v[i]
            else:
                spatial[i] = size * block_v[i] - int(pads_v[i, 0]) - int(pads_v[i, 1])
    if rest is None:
        return [unknown_shape()]
    return [TensorShape([batch, *spatial, *rest])]


def _check_block_args(x, block_shape, pads, what):
    if block_shape.ndim != 1:
        raise invalid(f"block_shape rank should be 1 instead of {block_shape.ndim}")
    m = block_shape.shape[0]
    if x.ndim < 1 + m:
        raise invalid(f"input rank should be >= {1 + m} instead of {x.ndim}")
    if not (pads.ndim == 2 and pads.shape[0] == m and pads.shape[1] == 2):
        raise invalid(f"{what} should have shape [{m}, 2] instead of [{','.join(str(d) for d in pads.shape)}]")
    block = host_ints(block_shape)
    pads_v = host_ints(pads)
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
            raise invalid(f"All values in block_shape must be positive, got value, {b} at index {i}.")
    if any(p < 0 for pair in pads for p in pair):
        raise invalid("Paddings must be non-negative")
    batch, spatial, rest = input.shape[0], list(input.shape[1 : m + 1]), list(input.shape[m + 1 :])
    padded_sizes = [s + p0 + p1 for s, (p0, p1) in zip(spatial, pads)]
    for i, (size, b) in enumerate(zip(padded_sizes, block)):
        if size % b:
            raise invalid(f"padded_shape[{i}]={size} is not divisible by block_shape[{i}]={b}")
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
        raise invalid(f"Product of block sizes must be positive, got {product}")
    batch = input.shape[0]
    if batch % product:
        raise invalid(f"Input batch dimension ({batch}) is not divisible by product of block sizes ({product})")
    spatial, rest = list(input.shape[1 : m + 1]), list(input.shape[m + 1 :])
    for i, ((c0, c1), size, b) in enumerate(zip(crop, spatial, block)):
        if c0 < 0 or c1 < 0:
            raise invalid("Crops must be non-negative")
        if size * b - c0 - c1 < 0:
            raise invalid(f"cropped_shape[{i}]={size * b - c0 - c1} must be non-negative")
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
