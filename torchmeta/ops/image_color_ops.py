"""Image colour ops: AdjustContrastv2, AdjustHue, AdjustSaturation, RGBToHSV and HSVToRGB, with
TensorFlow's gradient decisions (python/ops/image_grad.py: RGBToHSV's piecewise gradient; HSVToRGB
not differentiable; the adjust ops have none).

The kernels follow TensorFlow's CPU kernels operation by operation (adjust_*_op.cc, colorspace_op.h):
AdjustContrastv2's mean is its plane-folding sum, AdjustHue works on the (hue category, v_min, v_max)
form, AdjustSaturation on its float rgb_to_hsv/hsv_to_rgb, the colour-space conversions in the input's
own precision, vectorised over pixels.
"""

from __future__ import annotations

import torch

from torchmeta import errors
from torchmeta.api import array_ops, math_ops
from torchmeta.framework.common_shapes import format_dims, shape_error, with_rank
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid

# ---------------------------------------------------------------------------------------------
# Shape functions


def _adjust_shape(op):
    """UnchangedShapeWithRankAtLeast(3), the factor a scalar."""
    with_rank(op, op.inputs[1].shape, 0)
    shape = op.inputs[0].shape
    if shape.rank is not None and shape.rank < 3:
        raise shape_error(op, f"Shape must be at least rank 3 but is rank {shape.rank}")
    return [shape]


def _colorspace_shape(op):
    """ColorspaceShapeFn: rank >= 1, the last dimension 3."""
    shape = op.inputs[0].shape
    if shape.rank is None:
        return [shape]
    if shape.rank < 1:
        raise shape_error(op, f"Shape must be at least rank 1 but is rank {shape.rank}")
    last = shape.as_tuple()[-1]
    if last is not None and last != 3:
        raise shape_error(op, f"Dimension must be 3 but is {last}")
    return [TensorShape([*shape.as_tuple()[:-1], 3])]


# ---------------------------------------------------------------------------------------------
# Kernel checks


def _check_adjust(images, factor, what: str, three_channels: bool):
    if images.dim() < 3:
        raise invalid(f"input must be at least 3-D, got shape{format_dims(images.shape)}")
    if factor.dim() != 0:
        raise invalid(f"{what} must be scalar: {format_dims(factor.shape)}")
    if three_channels and images.shape[-1] != 3:
        raise invalid(f"input must have 3 channels but instead has {images.shape[-1]} channels.")


def _check_colorspace(images):
    if images.dim() < 1:
        raise invalid(f"input must be at least 1D{format_dims(images.shape)}")
    if images.shape[-1] != 3:
        raise errors.FailedPreconditionError(
            None, None, f"input must have 3 channels but input only has {images.shape[-1]} channels."
        )


# ---------------------------------------------------------------------------------------------
# AdjustContrastv2


def _fold_sum(planes):
    """TF's ReduceMeanAcrossImage sum over dim 1 of [batch, pixels, channels]: the plane is folded in
    half repeatedly (right half added to left), in float32, until one row is left."""
    remaining = planes.shape[1]
    right = remaining // 2
    left = remaining - right
    acc = planes[:, left : left + right] + planes[:, :right]
    if left > right:
        acc = torch.cat([acc, planes[:, right : right + 1]], dim=1)
    remaining = left
    while remaining > 1:
        right = remaining // 2
        left = remaining - right
        acc = torch.cat([acc[:, :right] + acc[:, left : left + right], acc[:, right:left]], dim=1)
        remaining = left
    return acc[:, 0]


@register_op(
    "AdjustContrastv2",
    inputs=["images: T", "contrast_factor: float"],
    outputs=["output: T"],
    attrs=["T: {half, float} = DT_FLOAT"],
    shape=_adjust_shape,
)
def adjust_contrastv2(images, contrast_factor):
    _check_adjust(images, contrast_factor, "contrast_factor", False)
    if images.numel() == 0:
        return images.clone()
    h, w, c = images.shape[-3:]
    planes = images.to(torch.float32).reshape(-1, h * w, c)
    scaling = torch.tensor(1.0, dtype=torch.float32) / torch.tensor(float(h * w), dtype=torch.float32)
    mean = (_fold_sum(planes) * scaling.to(images.device)).unsqueeze(1)
    factor = contrast_factor.to(torch.float32)
    out = mean + factor * (planes - mean)
    return out.reshape(images.shape).to(images.dtype)


no_registered_gradient("AdjustContrastv2")


# ---------------------------------------------------------------------------------------------
# AdjustHue


def _rgb_to_hv_range(r, g, b):
    """(h in [0, 6), v_min, v_max) of TF's adjust_hue rgb_to_hv_range, elementwise."""
    r_lt_g = r < g
    cat = torch.where(
        r_lt_g,
        torch.where(b < r, 1, torch.where(b > g, 3, 2)),
        torch.where(b < g, 0, torch.where(b > r, 4, 5)),
    )
    v_max = torch.where(r_lt_g, torch.where(b > g, b, g), torch.where(b > r, b, r))
    v_min = torch.where(r_lt_g, torch.where(b < r, b, r), torch.where(b < g, b, g))
    v_mid = torch.where(
        r_lt_g,
        torch.where(b < r, r, torch.where(b > g, g, b)),
        torch.where(b < g, g, torch.where(b > r, r, b)),
    )
    same = v_max == v_min
    ratio = (v_mid - v_min) / torch.where(same, torch.ones_like(v_max), v_max - v_min)
    increase = (cat & 1) == 0
    h = cat.to(r.dtype) + torch.where(increase, ratio, 1 - ratio)
    return torch.where(same, torch.zeros_like(h), h), v_min, v_max


def _hv_range_to_rgb(h, v_min, v_max):
    cat = torch.trunc(h).to(torch.int64)
    ratio = h - cat.to(h.dtype)
    ratio = torch.where((cat & 1) == 0, ratio, 1 - ratio)
    v_mid = v_min + ratio * (v_max - v_min)
    table = (
        (v_max, v_mid, v_min),
        (v_mid, v_max, v_min),
        (v_min, v_max, v_mid),
        (v_min, v_mid, v_max),
        (v_mid, v_min, v_max),
    )
    r, g, b = v_max, v_min, v_mid  # category 5 and anything else
    for k in range(4, -1, -1):
        hit = cat == k
        r = torch.where(hit, table[k][0], r)
        g = torch.where(hit, table[k][1], g)
        b = torch.where(hit, table[k][2], b)
    return r, g, b


@register_op(
    "AdjustHue",
    inputs=["images: T", "delta: float"],
    outputs=["output: T"],
    attrs=["T: {half, float} = DT_FLOAT"],
    shape=_adjust_shape,
)
def adjust_hue(images, delta):
    _check_adjust(images, delta, "delta", True)
    if images.numel() == 0:
        return images.clone()
    x = images.to(torch.float32)
    h, v_min, v_max = _rgb_to_hv_range(x[..., 0], x[..., 1], x[..., 2])
    h = h + delta.to(torch.float32) * 6
    # TF steps the hue back into [0, 6) one period at a time (not fmod): the same float additions.
    while bool((h < 0).any()):
        h = torch.where(h < 0, h + 6, h)
    while bool((h >= 6).any()):
        h = torch.where(h >= 6, h - 6, h)
    return torch.stack(_hv_range_to_rgb(h, v_min, v_max), dim=-1).to(images.dtype)


no_registered_gradient("AdjustHue")


# ---------------------------------------------------------------------------------------------
# AdjustSaturation


def _float_rgb_to_hsv(r, g, b):
    """adjust_saturation_op.cc's rgb_to_hsv (float)."""
    v = torch.maximum(r, torch.maximum(g, b))
    rng = v - torch.minimum(r, torch.minimum(g, b))
    s = torch.where(v > 0, rng / v, torch.zeros_like(v))
    norm = 1.0 / (6.0 * rng)
    h = torch.where(r == v, norm * (g - b), torch.where(g == v, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0))
    h = torch.where(rng <= 0, torch.zeros_like(h), h)
    h = torch.where(h < 0, h + 1, h)
    return h, s, v


def _float_hsv_to_rgb(h, s, v):
    c = s * v
    m = v - c
    dh = h * 6
    cat = torch.trunc(dh).to(torch.int64)
    fmodu = dh
    while bool((fmodu <= 0).any()):
        fmodu = torch.where(fmodu <= 0, fmodu + 2.0, fmodu)
    while bool((fmodu >= 2.0).any()):
        fmodu = torch.where(fmodu >= 2.0, fmodu - 2.0, fmodu)
    x = c * (1 - torch.abs(fmodu - 1))
    zero = torch.zeros_like(c)
    table = ((c, x, zero), (x, c, zero), (zero, c, x), (zero, x, c), (x, zero, c), (c, zero, x))
    r = g = b = zero
    for k in range(6):
        hit = cat == k
        r = torch.where(hit, table[k][0], r)
        g = torch.where(hit, table[k][1], g)
        b = torch.where(hit, table[k][2], b)
    return r + m, g + m, b + m


@register_op(
    "AdjustSaturation",
    inputs=["images: T", "scale: float"],
    outputs=["output: T"],
    attrs=["T: {half, float} = DT_FLOAT"],
    shape=_adjust_shape,
)
def adjust_saturation(images, scale):
    _check_adjust(images, scale, "scale", True)
    if images.numel() == 0:
        return images.clone()
    x = images.to(torch.float32)
    h, s, v = _float_rgb_to_hsv(x[..., 0], x[..., 1], x[..., 2])
    s = torch.clamp(s * scale.to(torch.float32), min=0.0, max=1.0)
    return torch.stack(_float_hsv_to_rgb(h, s, v), dim=-1).to(images.dtype)


no_registered_gradient("AdjustSaturation")


# ---------------------------------------------------------------------------------------------
# RGBToHSV, HSVToRGB (colorspace_op.h, in T)


def _const(value: float, like):
    return torch.tensor(value, dtype=like.dtype, device=like.device)


@register_op(
    "RGBToHSV",
    inputs=["images: T"],
    outputs=["output: T"],
    attrs=["T: {half, bfloat16, float, double} = DT_FLOAT"],
    shape=_colorspace_shape,
)
def rgb_to_hsv(images):
    _check_colorspace(images)
    r, g, b = images[..., 0], images[..., 1], images[..., 2]
    v = torch.amax(images, dim=-1)
    rng = v - torch.amin(images, dim=-1)
    zero = _const(0, images)
    one = _const(1, images)
    s = torch.where(v > zero, rng / v, zero)
    norm = (one / rng) * (one / _const(6, images))
    h = torch.where(
        r == v,
        norm * (g - b),
        torch.where(
            g == v,
            norm * (b - r) + _const(2, images) / _const(6, images),
            norm * (r - g) + _const(4, images) / _const(6, images),
        ),
    )
    h = torch.where(rng > zero, h, zero)
    h = torch.where(h < zero, h + one, h)
    return torch.stack([h, s, v], dim=-1)


@register_op(
    "HSVToRGB",
    inputs=["images: T"],
    outputs=["output: T"],
    attrs=["T: {half, bfloat16, float, double} = DT_FLOAT"],
    shape=_colorspace_shape,
)
def hsv_to_rgb(images):
    _check_colorspace(images)
    h, s, v = images[..., 0], images[..., 1], images[..., 2]
    zero, one, two = _const(0, images), _const(1, images), _const(2, images)
    dh = h * _const(6, images)
    dr = torch.clamp(torch.abs(dh - _const(3, images)) - one, zero, one)
    dg = torch.clamp(-torch.abs(dh - two) + two, zero, one)
    db = torch.clamp(-torch.abs(dh - _const(4, images)) + two, zero, one)
    one_s = -s + one
    return torch.stack([(one_s + s * dr) * v, (one_s + s * dg) * v, (one_s + s * db) * v], dim=-1)


not_differentiable("HSVToRGB")


def _reciprocal(x):
    """image_grad._CustomReciprocal: div_no_nan(1, x)."""
    return math_ops.div_no_nan(math_ops.cast(1.0, x.dtype), x)


@register_gradient("RGBToHSV")
def _rgb_to_hsv_grad(op, grad):
    """image_grad._RGBToHSVGrad: the piecewise derivatives of hue, saturation and value, as TF builds them."""
    reds = op.inputs[0][..., 0]
    greens = op.inputs[0][..., 1]
    blues = op.inputs[0][..., 2]
    saturation = op.outputs[0][..., 1]
    value = op.outputs[0][..., 2]
    dtype = op.inputs[0].dtype
    cast = math_ops.cast
    square = math_ops.square
    rec = _reciprocal

    red_biggest = cast((reds >= blues) & (reds >= greens), dtype)
    green_biggest = cast((greens > reds) & (greens >= blues), dtype)
    blue_biggest = cast((blues > reds) & (blues > greens), dtype)
    red_smallest = cast((reds < blues) & (reds < greens), dtype)
    green_smallest = cast((greens <= reds) & (greens < blues), dtype)
    blue_smallest = cast((blues <= reds) & (blues <= greens), dtype)

    dv_dr = red_biggest
    dv_dg = green_biggest
    dv_db = blue_biggest

    ds_dr = cast(reds > 0, dtype) * math_ops.add(
        red_biggest * math_ops.add(green_smallest * greens, blue_smallest * blues) * rec(square(reds)),
        red_smallest * -1 * rec((green_biggest * greens) + (blue_biggest * blues)),
    )
    ds_dg = cast(greens > 0, dtype) * math_ops.add(
        green_biggest * math_ops.add(red_smallest * reds, blue_smallest * blues) * rec(square(greens)),
        green_smallest * -1 * rec((red_biggest * reds) + (blue_biggest * blues)),
    )
    ds_db = cast(blues > 0, dtype) * math_ops.add(
        blue_biggest * math_ops.add(green_smallest * greens, red_smallest * reds) * rec(square(blues)),
        blue_smallest * -1 * rec((green_biggest * greens) + (red_biggest * reds)),
    )

    dh_dr_1 = 60 * (
        cast(reds > 0, dtype) * red_biggest * -1 * (greens - blues) * rec(square(saturation)) * rec(square(value))
    )
    dh_dr_2 = 60 * (
        cast(greens > 0, dtype) * green_biggest * red_smallest * (blues - greens) * rec(square(reds - greens))
    )
    dh_dr_3 = 60 * (cast(greens > 0, dtype) * green_biggest * blue_smallest * -1 * rec(greens - blues))
    dh_dr_4 = 60 * (cast(blues > 0, dtype) * blue_biggest * red_smallest * (blues - greens) * rec(square(blues - reds)))
    dh_dr_5 = 60 * (cast(blues > 0, dtype) * blue_biggest * green_smallest * rec(blues - greens))
    dh_dr = dh_dr_1 + dh_dr_2 + dh_dr_3 + dh_dr_4 + dh_dr_5
    dh_dr = dh_dr / 360

    dh_dg_1 = 60 * (
        cast(greens > 0, dtype) * green_biggest * -1 * (blues - reds) * rec(square(saturation)) * rec(square(value))
    )
    dh_dg_2 = 60 * (cast(reds > 0, dtype) * red_biggest * green_smallest * (reds - blues) * rec(square(reds - greens)))
    dh_dg_3 = 60 * (cast(reds > 0, dtype) * red_biggest * blue_smallest * rec(reds - blues))
    dh_dg_4 = 60 * (
        cast(blues > 0, dtype) * blue_biggest * green_smallest * (reds - blues) * rec(square(blues - greens))
    )
    dh_dg_5 = 60 * (cast(blues > 0, dtype) * blue_biggest * red_smallest * -1 * rec(blues - reds))
    dh_dg = dh_dg_1 + dh_dg_2 + dh_dg_3 + dh_dg_4 + dh_dg_5
    dh_dg = dh_dg / 360

    dh_db_1 = 60 * (
        cast(blues > 0, dtype) * blue_biggest * -1 * (reds - greens) * rec(square(saturation)) * rec(square(value))
    )
    dh_db_2 = 60 * (cast(reds > 0, dtype) * red_biggest * blue_smallest * (greens - reds) * rec(square(reds - blues)))
    dh_db_3 = 60 * (cast(reds > 0, dtype) * red_biggest * green_smallest * -1 * rec(reds - greens))
    dh_db_4 = 60 * (
        cast(greens > 0, dtype) * green_biggest * blue_smallest * (greens - reds) * rec(square(greens - blues))
    )
    dh_db_5 = 60 * (cast(greens > 0, dtype) * green_biggest * red_smallest * rec(greens - reds))
    dh_db = dh_db_1 + dh_db_2 + dh_db_3 + dh_db_4 + dh_db_5
    dh_db = dh_db / 360

    dv_drgb = array_ops.stack([grad[..., 2] * dv_dr, grad[..., 2] * dv_dg, grad[..., 2] * dv_db], axis=-1)
    ds_drgb = array_ops.stack([grad[..., 1] * ds_dr, grad[..., 1] * ds_dg, grad[..., 1] * ds_db], axis=-1)
    dh_drgb = array_ops.stack([grad[..., 0] * dh_dr, grad[..., 0] * dh_dg, grad[..., 0] * dh_db], axis=-1)
    gradient_input = math_ops.add(math_ops.add(dv_drgb, ds_drgb), dh_drgb)
    return [gradient_input]
