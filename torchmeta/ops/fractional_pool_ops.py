"""FractionalMaxPool and FractionalAvgPool (NHWC, pooling over rows and columns) and their gradients, as
TensorFlow's fractional_max_pool_op.cc / fractional_avg_pool_op.cc compute them: the pooling regions come
from fractional_pool_common.cc's sequences drawn from the op's Philox stream (a pseudo-random offset from
two words, or a shuffle of the cell sizes), rows first, then columns. A deterministic op draws its regions
once (TF caches them in the kernel; here they are redrawn from the generator's unmoved start)."""

from __future__ import annotations

import math

import numpy as np
import torch

from torchmeta.framework import tensor_util
from torchmeta.framework.common_shapes import shape_error, with_rank
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid, unimplemented
from torchmeta.ops.philox import MASK32, GuardedPhilox, single_samples

_T = "T: {float, double, int32, int64}"
_ATTRS = [
    "pooling_ratio: list(float) >= 4",
    "pseudo_random: bool = false",
    "overlapping: bool = false",
    "deterministic: bool = false",
    "seed: int = 0",
    "seed2: int = 0",
    _T,
]


def _output_size(size: int, ratio: float) -> int:
    """``floor(size / ratio)`` in float32, as the kernel and the shape function divide."""
    return math.floor(np.float32(size) / np.float32(ratio))


def _fractional_pool_shape(op):
    shape = with_rank(op, op.inputs[0].shape, 4)
    ratio = op.get_attr("pooling_ratio")
    if len(ratio) != 4:
        raise shape_error(op, "pooling_ratio field must specify 4 dimensions")
    dims = []
    for i, d in enumerate(shape.as_tuple()):
        if d is None:
            dims.append(None)
            continue
        size = _output_size(d, ratio[i])
        if size < 0:
            raise shape_error(op, f"Size computed for dim {i} is negative: {size}")
        dims.append(size)
    for r in ratio:
        if r < 1:
            raise shape_error(op, f"pooling_ratio cannot be smaller than 1, got: {np.float32(r)}")
    # TF's shape function gives the sequences output_size entries; the kernel returns output_size + 1.
    return [TensorShape(dims), TensorShape([dims[1]]), TensorShape([dims[2]])]


def _pseudo_random_sequence(input_length, output_length, generator):
    alpha = input_length / output_length
    k = input_length // output_length
    max_u = min((k + 2) / alpha - 1, (input_length + 1 - k) / alpha - (output_length - 1))
    words = single_samples(generator.reserve_samples32(2))
    x0, x1 = next(words), next(words)
    u = (((x0 & 0xFFFFF) << 32) | x1) / 2.0**52 * max_u  # SimplePhilox::RandDouble
    cum = [1] + [math.ceil(alpha * (i + u)) for i in range(1, output_length)] + [input_length + 1]
    return [cum[i + 1] - cum[i] for i in range(output_length)]


def _random_sequence(input_length, output_length, generator):
    k, extra = divmod(input_length, output_length)
    diff = [k + 1] * extra + [k] * (output_length - extra)
    words = single_samples(generator.reserve_samples32(len(diff)))
    for i in range(len(diff) - 1):  # TF's RandomShuffle: swap i with i + word % (n - i)
        j = i + (next(words) & MASK32) % (len(diff) - i)
        diff[i], diff[j] = diff[j], diff[i]
    return diff


def _pooling_sequence(input_length, output_length, generator, pseudo_random):
    """GeneratePoolingSequence: the cumulative region starts, 0 .. input_length."""
    draw = _pseudo_random_sequence if pseudo_random else _random_sequence
    diff = draw(input_length, output_length, generator)
    return [0, *np.cumsum(diff).tolist()]


def _regions(cum, size, overlapping):
    """(start, end inclusive) of each region along one axis."""
    return [(cum[i], min(cum[i + 1] if overlapping else cum[i + 1] - 1, size - 1)) for i in range(len(cum) - 1)]


def _fractional_pool(kind, value, pooling_ratio, pseudo_random, overlapping, deterministic, seed, seed2, generator):
    if len(pooling_ratio) != 4:
        raise invalid("pooling_ratio field must specify 4 dimensions")
    if not (pooling_ratio[0] == 1 or pooling_ratio[3] == 1):
        raise unimplemented(f"Fractional {kind} pooling is not yet supported on the batch nor channel dimension.")
    if not deterministic and (seed != 0 or seed2 != 0):
        raise invalid("Both seed and seed2 should be 0 if deterministic is false.")
    if value.dim() != 4:
        raise invalid("tensor_in must be 4-dimensional")
    if deterministic:  # the regions of the first run, every run
        generator = GuardedPhilox.from_philox(generator.position)
    in_size = list(value.shape)
    out_size = [_output_size(d, r) for d, r in zip(in_size, pooling_ratio)]
    rows = _pooling_sequence(in_size[1], out_size[1], generator, pseudo_random)
    cols = _pooling_sequence(in_size[2], out_size[2], generator, pseudo_random)
    out_rows = []
    for r0, r1 in _regions(rows, in_size[1], overlapping):
        out_cols = []
        for c0, c1 in _regions(cols, in_size[2], overlapping):
            cell = value[: out_size[0], r0 : r1 + 1, c0 : c1 + 1, : out_size[3]]
            if kind == "max":
                out_cols.append(cell.amax((1, 2)))
            elif value.dtype.is_floating_point:
                out_cols.append(cell.sum((1, 2)) / (cell.shape[1] * cell.shape[2]))
            else:
                out_cols.append(torch.div(cell.sum((1, 2)), cell.shape[1] * cell.shape[2], rounding_mode="trunc"))
        out_rows.append(torch.stack(out_cols, 1))
    output = torch.stack(out_rows, 1).to(value.dtype)
    as_seq = lambda s: torch.tensor(s, dtype=torch.int64, device=value.device)  # noqa: E731
    return output.contiguous(), as_seq(rows), as_seq(cols)


@register_op(
    "FractionalMaxPool",
    inputs=["value: T"],
    outputs=["output: T", "row_pooling_sequence: int64", "col_pooling_sequence: int64"],
    attrs=_ATTRS,
    shape=_fractional_pool_shape,
)
def fractional_max_pool(value, pooling_ratio, pseudo_random, overlapping, deterministic, seed, seed2, generator):
    return _fractional_pool(
        "max", value, pooling_ratio, pseudo_random, overlapping, deterministic, seed, seed2, generator
    )


@register_op(
    "FractionalAvgPool",
    inputs=["value: T"],
    outputs=["output: T", "row_pooling_sequence: int64", "col_pooling_sequence: int64"],
    attrs=_ATTRS,
    shape=_fractional_pool_shape,
)
def fractional_avg_pool(value, pooling_ratio, pseudo_random, overlapping, deterministic, seed, seed2, generator):
    return _fractional_pool(
        "average", value, pooling_ratio, pseudo_random, overlapping, deterministic, seed, seed2, generator
    )


def _max_pool_grad_shape(op):
    return [with_rank(op, op.inputs[0].shape, 4)]


@register_op(
    "FractionalMaxPoolGrad",
    inputs=[
        "orig_input: T",
        "orig_output: T",
        "out_backprop: T",
        "row_pooling_sequence: int64",
        "col_pooling_sequence: int64",
    ],
    outputs=["output: T"],
    attrs=["overlapping: bool = false", _T],
    shape=_max_pool_grad_shape,
)
def fractional_max_pool_grad(
    orig_input, orig_output, out_backprop, row_pooling_sequence, col_pooling_sequence, overlapping
):
    """The gradient at each region's first maximum (row-major order, TF's strict comparison)."""
    batch, height, width, depth = orig_input.shape
    rows = _regions(row_pooling_sequence.tolist(), height, overlapping)
    cols = _regions(col_pooling_sequence.tolist(), width, overlapping)
    flat_input = orig_input.reshape(batch, height * width, depth)
    grad = torch.zeros_like(flat_input)
    for i, (r0, r1) in enumerate(rows):
        for j, (c0, c1) in enumerate(cols):
            positions = torch.tensor(
                [h * width + w for h in range(r0, r1 + 1) for w in range(c0, c1 + 1)], device=orig_input.device
            )
            cell = flat_input[:, positions]  # [batch, cell, depth]
            best, first = cell[:, 0], torch.zeros((batch, depth), dtype=torch.int64, device=cell.device)
            for k in range(1, len(positions)):
                greater = cell[:, k] > best
                best = torch.where(greater, cell[:, k], best)
                first = torch.where(greater, k, first)
            grad.scatter_add_(1, positions[first].unsqueeze(1), out_backprop[:, i, j].unsqueeze(1))
    return grad.reshape(orig_input.shape)


def _avg_pool_grad_shape(op):
    value = tensor_util.evaluate_constant_tensor(op.inputs[0])
    if value is None:
        return [TensorShape([None] * 4)]
    return [TensorShape([int(v) for v in value])]


@register_op(
    "FractionalAvgPoolGrad",
    inputs=[
        "orig_input_tensor_shape: int64",
        "out_backprop: T",
        "row_pooling_sequence: int64",
        "col_pooling_sequence: int64",
    ],
    outputs=["output: T"],
    attrs=["overlapping: bool = false", _T],
    shape=_avg_pool_grad_shape,
)
def fractional_avg_pool_grad(
    orig_input_tensor_shape, out_backprop, row_pooling_sequence, col_pooling_sequence, overlapping
):
    """Each output gradient shared evenly by its region's elements, summed in float64, then cast."""
    if orig_input_tensor_shape.dim() != 1 or orig_input_tensor_shape.numel() != 4:
        raise invalid("original input tensor shape must be1-dimensional and 4 elements")
    batch, height, width, depth = (int(v) for v in orig_input_tensor_shape.tolist())
    grad = torch.zeros((batch, height, width, depth), dtype=torch.float64, device=out_backprop.device)
    rows = _regions(row_pooling_sequence.tolist(), height, overlapping)
    cols = _regions(col_pooling_sequence.tolist(), width, overlapping)
    dy = out_backprop.double()
    for i, (r0, r1) in enumerate(rows[: out_backprop.shape[1]]):
        for j, (c0, c1) in enumerate(cols[: out_backprop.shape[2]]):
            count = (r1 - r0 + 1) * (c1 - c0 + 1)
            grad[: out_backprop.shape[0], r0 : r1 + 1, c0 : c1 + 1, :] += (dy[:, i, j] / count)[:, None, None, :]
    if out_backprop.dtype.is_floating_point:
        return grad.to(out_backprop.dtype)
    return torch.trunc(grad).to(out_backprop.dtype)


@register_gradient("FractionalMaxPool")
def _fractional_max_pool_grad(op, grad_0, unused_grad_1, unused_grad_2):
    return raw_op(
        "FractionalMaxPoolGrad",
        orig_input=op.inputs[0],
        orig_output=op.outputs[0],
        out_backprop=grad_0,
        row_pooling_sequence=op.outputs[1],
        col_pooling_sequence=op.outputs[2],
        overlapping=op.get_attr("overlapping"),
    )


@register_gradient("FractionalAvgPool")
def _fractional_avg_pool_grad(op, grad_0, unused_grad_1, unused_grad_2):
    return raw_op(
        "FractionalAvgPoolGrad",
        orig_input_tensor_shape=op.inputs[0].shape,
        out_backprop=grad_0,
        row_pooling_sequence=op.outputs[1],
        col_pooling_sequence=op.outputs[2],
        overlapping=op.get_attr("overlapping"),
    )


no_registered_gradient("FractionalMaxPoolGrad")
no_registered_gradient("FractionalAvgPoolGrad")
