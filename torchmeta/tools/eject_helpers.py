"""The helper functions ``eject`` copies into a generated module (only those its ``forward`` calls): tf.cond
(a Python ``if``, torch.cond under torch.compile/torch.export), and TF's conventions that have no one-call torch
equivalent (NHWC windows with SAME/explicit padding, exclusive/reverse
cumulative sums, strided slices with run-time bounds or negative strides, mirror padding, batch norm at
inference). Each is plain torch source text."""

from __future__ import annotations

__all__ = ["HELPERS", "HELPER_DEPENDENCIES"]

HELPERS = {
    "cond": '''
def cond(pred, then_fn, else_fn):
    """TF's tf.cond: the outputs of ``then_fn()`` if ``pred`` else of ``else_fn()`` (tuples of tensors). Under
    torch.compile and torch.export it is torch.cond, so a predicate computed from the inputs stays data (both
    branches are traced; their outputs must agree in dtype and shape) instead of a Python ``if`` on a tensor."""
    if torch.compiler.is_compiling() or torch.compiler.is_exporting():
        # torch.cond's branches may not return their inputs themselves (an Identity branch): fresh tensors
        return torch.cond(
            pred,
            lambda: tuple(t.clone() for t in then_fn()),
            lambda: tuple(t.clone() for t in else_fn()),
        )
    return then_fn() if pred else else_fn()
''',
    "window_pads": '''
def window_pads(size, k, s, d, padding):
    """TF's padding of one spatial dimension: (before, after); SAME puts the odd pixel after, EXPLICIT gives it."""
    if not isinstance(padding, str):
        return tuple(padding)
    if padding == "VALID":
        return 0, 0
    effective = (k - 1) * d + 1
    out = (size + s - 1) // s
    total = max((out - 1) * s + effective - size, 0)
    return total // 2, total - total // 2
''',
    "conv2d": '''
def conv2d(x, filter, strides, padding, dilations, data_format="NHWC", depthwise=False):
    """TF's Conv2D (HWIO filter) or DepthwiseConv2dNative (HW, in, multiplier): NHWC (or NCHW) input; padding
    SAME, VALID or explicit [[top, bottom], [left, right]]."""
    if data_format == "NHWC":
        x = x.permute(0, 3, 1, 2)
        strides, dilations = strides[1:3], dilations[1:3]
    else:
        strides, dilations = strides[2:], dilations[2:]
    kh, kw = filter.shape[0], filter.shape[1]
    pad_h, pad_w = (padding, padding) if isinstance(padding, str) else padding
    top, bottom = window_pads(x.shape[2], kh, strides[0], dilations[0], pad_h)
    left, right = window_pads(x.shape[3], kw, strides[1], dilations[1], pad_w)
    x = F.pad(x, (left, right, top, bottom))
    if depthwise:  # output channel c * multiplier + m
        filter = filter.reshape(kh, kw, 1, -1)
        groups = x.shape[1]
    else:
        groups = x.shape[1] // filter.shape[2]
    y = F.conv2d(x, filter.permute(3, 2, 0, 1), stride=strides, dilation=dilations, groups=groups)
    return y.permute(0, 2, 3, 1) if data_format == "NHWC" else y
''',
    "max_pool": '''
def max_pool(x, ksize, strides, padding, data_format="NHWC"):
    """TF's MaxPool: padded cells never win (padding with -inf)."""
    if data_format == "NHWC":
        x, ksize, strides = x.permute(0, 3, 1, 2), ksize[1:3], strides[1:3]
    else:
        ksize, strides = ksize[2:], strides[2:]
    pad_h, pad_w = (padding, padding) if isinstance(padding, str) else padding
    top, bottom = window_pads(x.shape[2], ksize[0], strides[0], 1, pad_h)
    left, right = window_pads(x.shape[3], ksize[1], strides[1], 1, pad_w)
    x = F.pad(x, (left, right, top, bottom), value=float("-inf"))
    y = F.max_pool2d(x, ksize, strides)
    return y.permute(0, 2, 3, 1) if data_format == "NHWC" else y
''',
    "avg_pool": '''
def avg_pool(x, ksize, strides, padding, data_format="NHWC"):
    """TF's AvgPool: the mean over the window's cells inside the input (padding is not counted)."""
    if data_format == "NHWC":
        x, ksize, strides = x.permute(0, 3, 1, 2), ksize[1:3], strides[1:3]
    else:
        ksize, strides = ksize[2:], strides[2:]
    pad_h, pad_w = (padding, padding) if isinstance(padding, str) else padding
    top, bottom = window_pads(x.shape[2], ksize[0], strides[0], 1, pad_h)
    left, right = window_pads(x.shape[3], ksize[1], strides[1], 1, pad_w)
    pads = (left, right, top, bottom)
    total = F.avg_pool2d(F.pad(x, pads), ksize, strides, divisor_override=1)
    count = F.avg_pool2d(F.pad(torch.ones_like(x[:1, :1]), pads), ksize, strides, divisor_override=1)
    y = total / count
    return y.permute(0, 2, 3, 1) if data_format == "NHWC" else y
''',
    "cumulative": '''
def cumulative(fn, x, axis, exclusive=False, reverse=False):
    """TF's Cumsum/Cumprod: torch.cumsum/cumprod in x's dtype; exclusive shifts in the identity, reverse runs
    from the end."""
    if x.shape[axis] == 0:
        return x
    if reverse:
        x = x.flip(axis)
    y = fn(x, axis, dtype=x.dtype)
    if exclusive:
        first = torch.zeros_like(x.narrow(axis, 0, 1)) if fn is torch.cumsum else torch.ones_like(x.narrow(axis, 0, 1))
        y = torch.cat([first, y.narrow(axis, 0, x.shape[axis] - 1)], axis)
    return y.flip(axis) if reverse else y
''',
    "strided_slice": '''
def strided_slice(x, begin, end, strides, begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0):
    """TF's StridedSlice for bounds known only at run time and negative strides (a flipped dimension)."""
    begin, end, strides = (v.tolist() if isinstance(v, torch.Tensor) else list(v) for v in (begin, end, strides))
    index, flips, dim = [], [], 0
    for i in range(len(begin)):
        bit = 1 << i
        if ellipsis_mask & bit:
            later = sum(1 for j in range(i + 1, len(begin)) if not new_axis_mask & (1 << j))
            count = x.dim() - dim - later
            index += [slice(None)] * count
            dim += count
            continue
        if new_axis_mask & bit:
            index.append(None)
            continue
        size, b, e, s = x.shape[dim], begin[i], end[i], strides[i]
        if shrink_axis_mask & bit:
            index.append(b + size if b < 0 else b)
        elif s > 0:
            start = 0 if begin_mask & bit else min(max(b + size if b < 0 else b, 0), size)
            stop = size if end_mask & bit else min(max(e + size if e < 0 else e, 0), size)
            index.append(slice(start, stop, s))
        else:  # on the flipped dimension, position p is size - 1 - p
            start = size - 1 if begin_mask & bit else min(max(b + size if b < 0 else b, -1), size - 1)
            stop = -1 if end_mask & bit else min(max(e + size if e < 0 else e, -1), size - 1)
            index.append(slice(size - 1 - start, size - 1 - stop, -s))
            flips.append(dim)
        dim += 1
    if flips:
        x = x.flip(flips)
    return x[tuple(index)]
''',
    "pad": '''
def pad(x, paddings, mode="CONSTANT", value=0):
    """TF's Pad/PadV2/MirrorPad: paddings [[before, after], ...] per dimension (a tensor or a list)."""
    if isinstance(paddings, torch.Tensor):
        paddings = paddings.tolist()
    flat = [p for before_after in reversed(paddings) for p in before_after]  # F.pad lists the last dim first
    if mode == "CONSTANT":
        return F.pad(x, flat, value=float(value) if x.is_floating_point() else int(value))
    edge = 1 if mode == "REFLECT" else 0  # REFLECT mirrors around the edge, SYMMETRIC repeats it
    for d, (before, after) in enumerate(paddings):
        parts = [x.narrow(d, edge, before).flip(d)] if before else []
        parts.append(x)
        if after:
            parts.append(x.narrow(d, x.shape[d] - after - edge, after).flip(d))
        x = torch.cat(parts, d)
    return x
''',
    "batch_norm": '''
def batch_norm(x, scale, offset, mean, variance, epsilon, data_format="NHWC"):
    """TF's FusedBatchNorm at inference: the stored mean and variance."""
    shape = [1, -1, 1, 1] if data_format == "NCHW" else [-1]
    inv = torch.rsqrt(variance + epsilon) * scale
    return x * inv.reshape(shape) + (offset - mean * inv).reshape(shape)
''',
}
HELPER_DEPENDENCIES = {"conv2d": ["window_pads"], "max_pool": ["window_pads"], "avg_pool": ["window_pads"]}
