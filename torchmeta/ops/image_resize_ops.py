"""Image resampling ops: ResizeBicubic(+Grad), ResizeArea, ScaleAndTranslate(+Grad) and
CropAndResize(+GradImage, +GradBoxes), with TensorFlow's gradients (python/ops/image_grad.py).

The kernels compute TensorFlow's sampling positions and weights in float32 exactly as its CPU
kernels do (tensorflow/core/kernels/image/*.cc: the scale, the half-pixel or legacy scaler, the
bicubic coefficient table indexed by ``lrintf(delta * 1024)``, the box coordinates of CropAndResize),
then gather and blend with vectorised torch ops on the images' device.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from torchmeta import errors
from torchmeta.api import array_ops
from torchmeta.framework import tensor_util
from torchmeta.framework.common_shapes import (
    format_dims,
    input_with_rank,
    merge_dim,
    with_rank,
    with_value,
)
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid

_REAL_T = "T: {int8, uint8, int16, uint16, int32, int64, half, float, double, bfloat16}"

# ---------------------------------------------------------------------------------------------
# Shape functions (TF's ResizeShapeFn / SetOutputToSizedImage)


def _sized_image(op, batch, size_index: int, channels):
    """SetOutputToSizedImage: [batch, size[0], size[1], channels], the size a 2-vector."""
    size = with_rank(op, op.inputs[size_index].shape, 1)
    with_value(op, size.as_tuple()[0], 2)
    value = tensor_util.constant_value(op.inputs[size_index])
    height = width = None
    if value is not None:
        height, width = (int(v) for v in np.asarray(value).reshape(-1)[:2])
        height = None if height < 0 else height
        width = None if width < 0 else width
    return TensorShape([batch, height, width, channels])


def resize_shape(op):
    """TF's ResizeShapeFn (every Resize* op: images [b, h, w, c], size a 2-vector)."""
    images = input_with_rank(op, 0, 4)
    return [_sized_image(op, images[0], 1, images[3])]


def _input1_shape(op):
    return [op.inputs[1].shape]


# ---------------------------------------------------------------------------------------------
# Kernel helpers (TF's ImageResizerState / ImageResizerGradientState)


def _f32(x) -> np.float32:
    return np.float32(x)


def resize_scale(in_size: int, out_size: int, align_corners: bool) -> np.float32:
    """CalculateResizeScale, in float32."""
    if align_corners and out_size > 1:
        return _f32(in_size - 1) / _f32(out_size - 1)
    return _f32(in_size) / _f32(out_size)


def _int32_size(size, what: str = "shape_t", count: int = 2):
    if size.dim() != 1:
        raise invalid(f"{what} must be 1-dimensional{format_dims(size.shape)}")
    if size.shape[0] != count:
        raise invalid(f"{what} must have two elements{format_dims(size.shape)}")
    return [int(v) for v in size.tolist()]


def _resizer_state(images, size, align_corners: bool, half_pixel_centers: bool):
    """ImageResizerState::ValidateAndCalculateOutputSize: (out_h, out_w, height_scale, width_scale)."""
    if half_pixel_centers and align_corners:
        raise invalid("If half_pixel_centers is True, align_corners must be False.")
    if images.dim() != 4:
        raise invalid(f"input must be 4-dimensional{format_dims(images.shape)}")
    if images.shape[3] <= 0:
        raise invalid("image must have at least one channel")
    if images.shape[1] <= 0 or images.shape[2] <= 0:
        raise invalid("input image must be of non-zero size")
    out_h, out_w = _int32_size(size)
    if out_h <= 0 or out_w <= 0:
        raise invalid("output dimensions must be positive")
    return (
        out_h,
        out_w,
        resize_scale(images.shape[1], out_h, align_corners),
        resize_scale(images.shape[2], out_w, align_corners),
    )


def _gradient_state(grads, original, align_corners: bool, half_pixel_centers: bool):
    """ImageResizerGradientState::ValidateAndCreateOutput: (height_scale, width_scale)."""
    if half_pixel_centers and align_corners:
        raise invalid("If half_pixel_centers is True, align_corners must be False.")
    if grads.dim() != 4:
        raise invalid(f"input_grad must be 4-dimensional{format_dims(grads.shape)}")
    if grads.shape[1] <= 0 or grads.shape[2] <= 0:
        raise invalid("resized dimensions must be positive")
    if original.dim() != 4:
        raise invalid(f"original_image must be 4-dimensional{format_dims(original.shape)}")
    if original.shape[1] <= 0 or original.shape[2] <= 0:
        raise invalid("original dimensions must be positive")
    return (
        resize_scale(original.shape[1], grads.shape[1], align_corners),
        resize_scale(original.shape[2], grads.shape[2], align_corners),
    )


def _as_float(images):
    """``static_cast<float>`` of every pixel (bfloat16/half/double/integers alike)."""
    return images.to(torch.float32)


# ---------------------------------------------------------------------------------------------
# ResizeBicubic, ResizeBicubicGrad

_TABLE_SIZE = 1024


def _coeffs_table(a: float) -> np.ndarray:
    """InitCoeffsTable: float32 coefficients of the cubic kernel at i / 1024 and 1 + i / 1024."""
    x = np.arange(_TABLE_SIZE + 1, dtype=np.float64) / _TABLE_SIZE
    x = x.astype(np.float32).astype(np.float64)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    x1 = x + 1.0
    far = ((a * x1 - 5 * a) * x1 + 8 * a) * x1 - 4 * a
    return np.stack([near, far], axis=1).astype(np.float32)


_KEYS_TABLE = _coeffs_table(-0.5)
_LEGACY_TABLE = _coeffs_table(-0.75)


def bicubic_taps(scale: np.float32, out_size: int, in_size: int, half_pixel_centers: bool):
    """GetWeightsAndIndices for every output index: (indices [out, 4] int64, weights [out, 4] float32)."""
    out = np.arange(out_size, dtype=np.float32)
    if half_pixel_centers:
        in_loc_f = (out + _f32(0.5)) * scale - _f32(0.5)
    else:
        in_loc_f = out * scale
    in_loc_f = in_loc_f.astype(np.float32)
    in_loc = np.floor(in_loc_f).astype(np.int64)
    delta = (in_loc_f - in_loc.astype(np.float32)).astype(np.float32)
    offset = np.rint(delta * _f32(_TABLE_SIZE)).astype(np.int64)
    table = _KEYS_TABLE if half_pixel_centers else _LEGACY_TABLE
    weights = np.stack(
        [table[offset, 1], table[offset, 0], table[_TABLE_SIZE - offset, 0], table[_TABLE_SIZE - offset, 1]], axis=1
    )
    wanted = in_loc[:, None] + np.arange(-1, 3)[None, :]
    indices = np.clip(wanted, 0, in_size - 1)
    if half_pixel_centers:
        # Keys' cubic: samples outside the image get weight 0 and the rest are renormalised.
        weights = np.where(indices == wanted, weights, _f32(0)).astype(np.float32)
        total = ((weights[:, 0] + weights[:, 1]) + weights[:, 2]) + weights[:, 3]
        big = np.abs(total) >= _f32(1000) * np.finfo(np.float32).tiny
        inv = np.where(big, _f32(1) / np.where(big, total, _f32(1)), _f32(1)).astype(np.float32)
        weights = np.where(big[:, None], weights * inv[:, None], weights).astype(np.float32)
    return indices, weights.astype(np.float32)


def _taps(indices: np.ndarray, weights: np.ndarray, device):
    return (
        torch.from_numpy(np.ascontiguousarray(indices)).to(device),
        torch.from_numpy(np.ascontiguousarray(weights)).to(device),
    )


def _interpolate4(x, axis: int, indices, weights):
    """((v0*w0 + v1*w1) + v2*w2) + v3*w3 along ``axis`` (TF's Interpolate1D, in float32)."""
    shape = [1] * x.dim()
    shape[axis] = -1
    total = None
    for k in range(4):
        term = x.index_select(axis, indices[:, k]) * weights[:, k].view(shape)
        total = term if total is None else total + term
    return total


@register_op(
    "ResizeBicubic",
    inputs=["images: T", "size: int32"],
    outputs=["resized_images: float"],
    attrs=[_REAL_T, "align_corners: bool = false", "half_pixel_centers: bool = false"],
    shape=resize_shape,
)
def resize_bicubic(images, size, align_corners, half_pixel_centers):
    out_h, out_w, h_scale, w_scale = _resizer_state(images, size, align_corners, half_pixel_centers)
    _, in_h, in_w, _ = images.shape
    device = images.device
    y_idx, y_w = _taps(*bicubic_taps(h_scale, out_h, in_h, half_pixel_centers), device)
    x_idx, x_w = _taps(*bicubic_taps(w_scale, out_w, in_w, half_pixel_centers), device)
    rows = _interpolate4(_as_float(images), 1, y_idx, y_w)
    return _interpolate4(rows, 2, x_idx, x_w)


@register_op(
    "ResizeBicubicGrad",
    inputs=["grads: float", "original_image: T"],
    outputs=["output: T"],
    attrs=["T: {float, double}", "align_corners: bool = false", "half_pixel_centers: bool = false"],
    shape=_input1_shape,
)
def resize_bicubic_grad(grads, original_image, align_corners, half_pixel_centers):
    h_scale, w_scale = _gradient_state(grads, original_image, align_corners, half_pixel_centers)
    n, out_h, out_w, c = grads.shape
    _, in_h, in_w, _ = original_image.shape
    device = grads.device
    y_idx, y_w = _taps(*bicubic_taps(h_scale, out_h, in_h, half_pixel_centers), device)
    x_idx, x_w = _taps(*bicubic_taps(w_scale, out_w, in_w, half_pixel_centers), device)
    # Each output gradient adds T(g * wy * wx) (a float32 product) at its 16 source pixels.
    out = torch.zeros(n, in_h * in_w, c, dtype=torch.float64, device=device)
    g = grads.to(torch.float32)
    for k in range(4):
        gy = g * y_w[:, k].view(1, -1, 1, 1)
        for j in range(4):
            term = (gy * x_w[:, j].view(1, 1, -1, 1)).to(torch.float64).reshape(n, out_h * out_w, c)
            flat = (y_idx[:, k].view(-1, 1) * in_w + x_idx[:, j].view(1, -1)).reshape(-1)
            out.index_add_(1, flat, term)
    return out.reshape(n, in_h, in_w, c).to(original_image.dtype)


@register_gradient("ResizeBicubic")
def _resize_bicubic_grad(op, grad):
    grad0 = None
    if op.inputs[0].dtype.base_dtype.name in ("float32", "float64"):
        grad0 = raw_op(
            "ResizeBicubicGrad",
            grads=grad,
            original_image=op.inputs[0],
            align_corners=op.get_attr("align_corners"),
            half_pixel_centers=op.get_attr("half_pixel_centers"),
        )
    return [grad0, None]


no_registered_gradient("ResizeBicubicGrad")


# ---------------------------------------------------------------------------------------------
# ResizeArea


def span_sum(x, axis: int, index: np.ndarray, weight: np.ndarray, valid: np.ndarray):
    """sum_k weight[o, k] * x[index[o, k]] along ``axis`` over the taps ``valid`` marks (in float64).

    Only the taps a TF kernel reads take part, so a NaN or Inf pixel reaches the outputs TF's does.
    """
    device = x.device
    shape = [1] * x.dim()
    shape[axis] = -1
    total = None
    for k in range(index.shape[1]):
        idx = torch.from_numpy(np.ascontiguousarray(index[:, k])).to(device)
        w = torch.from_numpy(np.ascontiguousarray(weight[:, k]).astype(np.float64)).to(device).view(shape)
        ok = torch.from_numpy(np.ascontiguousarray(valid[:, k])).to(device).view(shape)
        term = torch.where(ok, x.index_select(axis, idx) * w, torch.zeros((), dtype=torch.float64, device=device))
        total = term if total is None else total + term
    if total is None:
        out_shape = list(x.shape)
        out_shape[axis] = index.shape[0]
        return torch.zeros(out_shape, dtype=torch.float64, device=device)
    return total


def area_spans(scale: np.float32, out_size: int, in_size: int):
    """ResizeAreaOp's cells of each output index: (bounded indices, float32 weights, validity), each
    [out, span] (TF's start/end scales; cells past the edge read the edge cell, as its Bound() does)."""
    out = np.arange(out_size, dtype=np.float32)
    lo = (out * scale).astype(np.float32)
    hi = ((out + _f32(1)) * scale).astype(np.float32)
    start = np.floor(lo).astype(np.int64)
    end = np.ceil(hi).astype(np.int64)
    span = int((end - start).max()) if out_size else 0
    cells = start[:, None] + np.arange(span)[None, :]
    cf = cells.astype(np.float32)
    lo_, hi_ = lo[:, None], hi[:, None]
    inside = np.where(cf + _f32(1) > hi_, hi_ - cf, _f32(1))
    straddle = np.where(cf + _f32(1) > hi_, scale, cf + _f32(1) - lo_)
    weights = np.where(cf < lo_, straddle, inside).astype(np.float32)
    return np.clip(cells, 0, in_size - 1), weights, cells < end[:, None]


@register_op(
    "ResizeArea",
    inputs=["images: T", "size: int32"],
    outputs=["resized_images: float"],
    attrs=[_REAL_T, "align_corners: bool = false"],
    shape=resize_shape,
)
def resize_area(images, size, align_corners):
    out_h, out_w, h_scale, w_scale = _resizer_state(images, size, align_corners, False)
    _, in_h, in_w, _ = images.shape
    scale = float(np.float32(1.0 / np.float64(h_scale * w_scale)))
    x = _as_float(images).to(torch.float64)
    cols = span_sum(x, 2, *area_spans(w_scale, out_w, in_w))
    out = span_sum(cols, 1, *area_spans(h_scale, out_h, in_h)) * scale
    return out.to(torch.float32)


no_registered_gradient("ResizeArea")


# ---------------------------------------------------------------------------------------------
# CropAndResize, CropAndResizeGradImage, CropAndResizeGradBoxes


def _crop_and_resize_shape(op):
    image = input_with_rank(op, 0, 4)
    boxes = input_with_rank(op, 1, 2)
    box_ind = input_with_rank(op, 2, 1)
    num_boxes = merge_dim(op, boxes[0], box_ind[0])
    with_value(op, boxes[1], 4)
    return [_sized_image(op, num_boxes, 3, image[3])]


def _crop_grad_image_shape(op):
    value = tensor_util.constant_value(op.inputs[3])
    size = with_rank(op, op.inputs[3].shape, 1)
    if value is not None:
        out = TensorShape([None if int(v) < 0 else int(v) for v in np.asarray(value).reshape(-1)])
    elif size.as_tuple()[0] is not None:
        out = TensorShape([None] * size.as_tuple()[0])
    else:
        out = TensorShape(None)
    return [with_rank(op, out, 4)]


def _crop_grad_boxes_shape(op):
    return [op.inputs[2].shape]


def _check_boxes(boxes, box_ind) -> int:
    """ParseAndCheckBoxSizes: the number of boxes."""
    if boxes.numel() == 0 and box_ind.numel() == 0:
        return 0
    if boxes.dim() != 2:
        raise invalid(f"boxes must be 2-D{format_dims(boxes.shape)}")
    if boxes.shape[1] != 4:
        raise invalid("boxes must have 4 columns")
    if box_ind.dim() != 1:
        raise invalid(f"box_index must be 1-D{format_dims(box_ind.shape)}")
    if box_ind.shape[0] != boxes.shape[0]:
        raise invalid("box_index has incompatible shape")
    return boxes.shape[0]


def _check_box_index(box_ind, batch: int):
    if box_ind.numel() and bool(((box_ind < 0) | (box_ind >= batch)).any()):
        raise errors.OutOfRangeError(None, None, "box_index has values outside [0, batch_size)")


def _box_positions(lo, hi, size: int, crop: int):
    """in_y (or in_x) of every crop row (column) of every box, [num_boxes, crop], float32 as TF."""
    extent = _f32(size - 1)
    if crop > 1:
        scale = (hi - lo) * extent / _f32(crop - 1)
        steps = torch.arange(crop, dtype=torch.float32, device=lo.device)
        return lo.view(-1, 1) * extent + steps.view(1, -1) * scale.view(-1, 1)
    centre = (0.5 * (lo + hi).to(torch.float64) * (size - 1)).to(torch.float32)
    return centre.view(-1, 1)


def _crop_geometry(boxes, image_h: int, image_w: int, crop_h: int, crop_w: int):
    """Per box: positions, validity, the two neighbouring pixel rows/columns and the lerps."""
    in_y = _box_positions(boxes[:, 0], boxes[:, 2], image_h, crop_h)
    in_x = _box_positions(boxes[:, 1], boxes[:, 3], image_w, crop_w)
    valid_y = (in_y >= 0) & (in_y <= image_h - 1)
    valid_x = (in_x >= 0) & (in_x <= image_w - 1)
    top = torch.floor(in_y)
    left = torch.floor(in_x)
    y_lerp = in_y - top
    x_lerp = in_x - left
    clamp_y = lambda t: t.clamp(0, image_h - 1).to(torch.int64)  # noqa: E731
    clamp_x = lambda t: t.clamp(0, image_w - 1).to(torch.int64)  # noqa: E731
    return {
        "in_y": in_y,
        "in_x": in_x,
        "valid_y": valid_y,
        "valid_x": valid_x,
        "top": clamp_y(top),
        "bottom": clamp_y(torch.ceil(in_y)),
        "left": clamp_x(left),
        "right": clamp_x(torch.ceil(in_x)),
        "y_lerp": y_lerp,
        "x_lerp": x_lerp,
    }


def _round_half_away(t):
    """roundf: halves away from zero."""
    return torch.sign(t) * torch.floor(torch.abs(t) + 0.5)


def _pixels(image, box_ind, rows, cols):
    """image[box_ind[b], rows[b, y], cols[b, x], :] as float32: [num_boxes, crop_h, crop_w, depth]."""
    b = box_ind.view(-1, 1, 1)
    return image[b, rows.unsqueeze(2), cols.unsqueeze(1)].to(torch.float32)


@register_op(
    "CropAndResize",
    inputs=["image: T", "boxes: float", "box_ind: int32", "crop_size: int32"],
    outputs=["crops: float"],
    attrs=[
        "T: {uint8, uint16, int8, int16, int32, int64, half, float, double}",
        "method: {'bilinear', 'nearest'} = \"bilinear\"",
        "extrapolation_value: float = 0",
    ],
    shape=_crop_and_resize_shape,
)
def crop_and_resize(image, boxes, box_ind, crop_size, method, extrapolation_value):
    if image.dim() != 4:
        raise invalid(f"input image must be 4-D{format_dims(image.shape)}")
    batch, image_h, image_w, depth = image.shape
    if image_h <= 0 or image_w <= 0:
        raise invalid("image dimensions must be positive")
    if boxes.dim() != 2:
        raise invalid(f"boxes must be 2-D, got: {format_dims(boxes.shape)}")
    if box_ind.dim() != 1:
        raise invalid(f"box_indices must be rank 1 but is shape {format_dims(box_ind.shape)}")
    num_boxes = _check_boxes(boxes, box_ind)
    if crop_size.dim() != 1:
        raise invalid(f"crop_size must be 1-D{format_dims(crop_size.shape)}")
    if crop_size.shape[0] != 2:
        raise invalid(f"crop_size must have two elements{format_dims(crop_size.shape)}")
    crop_h, crop_w = (int(v) for v in crop_size.tolist())
    if crop_h <= 0 or crop_w <= 0:
        raise invalid("crop dimensions must be positive")
    _check_box_index(box_ind, batch)
    if num_boxes and not bool(torch.isfinite(boxes).all()):
        raise invalid("Boxes contains at least one element that is not finite")
    if num_boxes == 0:
        return torch.empty(0, crop_h, crop_w, depth, dtype=torch.float32, device=image.device)
    g = _crop_geometry(boxes, image_h, image_w, crop_h, crop_w)
    box_ind = box_ind.to(torch.int64)
    if method == "bilinear":
        top_left = _pixels(image, box_ind, g["top"], g["left"])
        top_right = _pixels(image, box_ind, g["top"], g["right"])
        bottom_left = _pixels(image, box_ind, g["bottom"], g["left"])
        bottom_right = _pixels(image, box_ind, g["bottom"], g["right"])
        x_lerp = g["x_lerp"].view(num_boxes, 1, crop_w, 1)
        y_lerp = g["y_lerp"].view(num_boxes, crop_h, 1, 1)
        top = top_left + (top_right - top_left) * x_lerp
        bottom = bottom_left + (bottom_right - bottom_left) * x_lerp
        crops = top + (bottom - top) * y_lerp
    else:
        rows = _round_half_away(g["in_y"]).clamp(0, image_h - 1).to(torch.int64)
        cols = _round_half_away(g["in_x"]).clamp(0, image_w - 1).to(torch.int64)
        crops = _pixels(image, box_ind, rows, cols)
    valid = g["valid_y"].view(num_boxes, crop_h, 1, 1) & g["valid_x"].view(num_boxes, 1, crop_w, 1)
    fill = torch.tensor(extrapolation_value, dtype=torch.float32, device=image.device)
    return torch.where(valid, crops, fill)


def _check_grads(grads, num_boxes: int):
    if grads.dim() != 4:
        raise invalid(f"grads image must be 4-D{format_dims(grads.shape)}")
    if grads.shape[1] <= 0 or grads.shape[2] <= 0:
        raise invalid("grads dimensions must be positive")


@register_op(
    "CropAndResizeGradImage",
    inputs=["grads: float", "boxes: float", "box_ind: int32", "image_size: int32"],
    outputs=["output: T"],
    attrs=["T: {float, half, double}", "method: {'bilinear', 'nearest'} = \"bilinear\""],
    shape=_crop_grad_image_shape,
)
def crop_and_resize_grad_image(grads, boxes, box_ind, image_size, T, method):
    _check_grads(grads, 0)
    num_boxes = _check_boxes(boxes, box_ind)
    if grads.shape[0] != num_boxes:
        raise invalid("boxes and grads have incompatible shape")
    if image_size.dim() != 1:
        raise invalid(f"image_size must be 1-D{format_dims(image_size.shape)}")
    if image_size.shape[0] != 4:
        raise invalid(f"image_size must have 4 elements{format_dims(image_size.shape)}")
    batch, image_h, image_w, depth = (int(v) for v in image_size.tolist())
    if image_h <= 0 or image_w <= 0:
        raise invalid("image dimensions must be positive")
    if grads.shape[3] != depth:
        raise invalid("image_size and grads are incompatible")
    for d in (batch, depth):
        if d < 0:
            raise invalid(f"Dimension {d} must be >= 0")
    _check_box_index(box_ind, batch)
    dtype = T.torch
    _, crop_h, crop_w, _ = grads.shape
    out = torch.zeros(batch * image_h * image_w, depth, dtype=torch.float64, device=grads.device)
    if num_boxes:
        g = _crop_geometry(boxes, image_h, image_w, crop_h, crop_w)
        valid = (g["valid_y"].view(num_boxes, crop_h, 1) & g["valid_x"].view(num_boxes, 1, crop_w)).unsqueeze(3)
        base = box_ind.to(torch.int64).view(-1, 1, 1) * (image_h * image_w)
        grads = grads.to(torch.float32)

        def add(rows, cols, values):
            flat = (base + rows.unsqueeze(2) * image_w + cols.unsqueeze(1)).reshape(-1)
            values = torch.where(valid, values, torch.zeros((), dtype=values.dtype, device=values.device))
            out.index_add_(0, flat, values.to(dtype).to(torch.float64).reshape(-1, depth))

        if method == "bilinear":
            y_lerp = g["y_lerp"].view(num_boxes, crop_h, 1, 1)
            x_lerp = g["x_lerp"].view(num_boxes, 1, crop_w, 1)
            dtop = (1 - y_lerp) * grads
            dbottom = y_lerp * grads
            add(g["top"], g["left"], (1 - x_lerp) * dtop)
            add(g["top"], g["right"], x_lerp * dtop)
            add(g["bottom"], g["left"], (1 - x_lerp) * dbottom)
            add(g["bottom"], g["right"], x_lerp * dbottom)
        else:
            rows = _round_half_away(g["in_y"]).clamp(0, image_h - 1).to(torch.int64)
            cols = _round_half_away(g["in_x"]).clamp(0, image_w - 1).to(torch.int64)
            add(rows, cols, grads)
    return out.reshape(batch, image_h, image_w, depth).to(dtype)


@register_op(
    "CropAndResizeGradBoxes",
    inputs=["grads: float", "image: T", "boxes: float", "box_ind: int32"],
    outputs=["output: float"],
    attrs=["T: {uint8, uint16, int8, int16, int32, int64, half, float, double}", "method: {'bilinear'} = \"bilinear\""],
    shape=_crop_grad_boxes_shape,
)
def crop_and_resize_grad_boxes(grads, image, boxes, box_ind):
    _check_grads(grads, 0)
    _, crop_h, crop_w, depth = grads.shape
    if image.dim() != 4:
        raise invalid(f"input image must be 4-D{format_dims(image.shape)}")
    batch, image_h, image_w, _ = image.shape
    if image_h <= 0 or image_w <= 0:
        raise invalid("image dimensions must be positive")
    if image.shape[3] != depth:
        raise invalid("image, grads depth differ")
    num_boxes = _check_boxes(boxes, box_ind)
    if grads.shape[0] != num_boxes:
        raise invalid("boxes and grads have incompatible shape")
    _check_box_index(box_ind, batch)
    if num_boxes == 0:
        return torch.zeros(0, 4, dtype=torch.float32, device=grads.device)
    g = _crop_geometry(boxes, image_h, image_w, crop_h, crop_w)
    box_ind = box_ind.to(torch.int64)
    top_left = _pixels(image, box_ind, g["top"], g["left"])
    top_right = _pixels(image, box_ind, g["top"], g["right"])
    bottom_left = _pixels(image, box_ind, g["bottom"], g["left"])
    bottom_right = _pixels(image, box_ind, g["bottom"], g["right"])
    y_lerp = g["y_lerp"].view(num_boxes, crop_h, 1, 1)
    x_lerp = g["x_lerp"].view(num_boxes, 1, crop_w, 1)
    grad_y = (1 - x_lerp) * (bottom_left - top_left) + x_lerp * (bottom_right - top_right)
    grad_x = (1 - y_lerp) * (top_right - top_left) + y_lerp * (bottom_right - bottom_left)
    top_grad = grads.to(torch.float32)
    grad_y = grad_y * top_grad
    grad_x = grad_x * top_grad
    valid = (g["valid_y"].view(num_boxes, crop_h, 1, 1) & g["valid_x"].view(num_boxes, 1, crop_w, 1)).expand_as(grad_y)
    zero = torch.zeros((), dtype=torch.float32, device=grads.device)
    grad_y = torch.where(valid, grad_y, zero).to(torch.float64)
    grad_x = torch.where(valid, grad_x, zero).to(torch.float64)
    device = grads.device
    if crop_h > 1:
        ratio = _f32(image_h - 1) / _f32(crop_h - 1)
        ys = torch.arange(crop_h, dtype=torch.float32, device=device) * float(ratio)
        dy1 = (_f32(image_h - 1) - ys).to(torch.float64).view(1, -1, 1, 1)
        dy2 = ys.to(torch.float64).view(1, -1, 1, 1)
    else:
        dy1 = dy2 = torch.tensor(0.5 * (image_h - 1), dtype=torch.float64, device=device)
    if crop_w > 1:
        ratio = _f32(image_w - 1) / _f32(crop_w - 1)
        xs = torch.arange(crop_w, dtype=torch.float32, device=device) * float(ratio)
        dx1 = (_f32(image_w - 1) - xs).to(torch.float64).view(1, 1, -1, 1)
        dx2 = xs.to(torch.float64).view(1, 1, -1, 1)
    else:
        dx1 = dx2 = torch.tensor(0.5 * (image_w - 1), dtype=torch.float64, device=device)
    out = torch.stack(
        [
            (grad_y * dy1).sum((1, 2, 3)),
            (grad_x * dx1).sum((1, 2, 3)),
            (grad_y * dy2).sum((1, 2, 3)),
            (grad_x * dx2).sum((1, 2, 3)),
        ],
        dim=1,
    )
    return out.to(torch.float32)


@register_gradient("CropAndResize")
def _crop_and_resize_grad(op, grad):
    image = op.inputs[0]
    if image.shape.is_fully_defined():
        image_shape = image.shape.as_list()
    else:
        image_shape = array_ops.shape(image)
    grad0 = None
    if image.dtype.base_dtype.name in ("float16", "float32", "float64"):
        grad0 = raw_op(
            "CropAndResizeGradImage",
            grads=grad,
            boxes=op.inputs[1],
            box_ind=op.inputs[2],
            image_size=image_shape,
            T=op.get_attr("T"),
            method=op.get_attr("method"),
        )
    grad1 = raw_op("CropAndResizeGradBoxes", grads=grad, image=op.inputs[0], boxes=op.inputs[1], box_ind=op.inputs[2])
    return [grad0, grad1, None, None]


no_registered_gradient("CropAndResizeGradImage", "CropAndResizeGradBoxes")


# ---------------------------------------------------------------------------------------------
# ScaleAndTranslate, ScaleAndTranslateGrad (tf.image.resize's antialiased kernels)


def _lanczos(radius: float):
    def fn(x):
        pi = np.float32(3.14159265359)
        safe = np.where(x <= 1e-3, np.float32(1), x)
        value = radius * np.sin(pi * safe) * np.sin(pi * safe / radius) / (pi * pi * safe * safe)
        return np.where(x > radius, 0.0, np.where(x <= 1e-3, 1.0, value))

    return radius, fn


def _gaussian(x):
    sigma = 1.5 / 3.0
    return np.where(x >= 1.5, 0.0, np.exp(-x * x / (2.0 * sigma * sigma)))


def _box(x):
    return np.where(x < 0.5, 1.0, np.where(x == 0.5, 0.5, 0.0))


def _triangle(x):
    return np.where(x < 1.0, 1.0 - x, 0.0)


def _keys_cubic(x):
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    near = ((1.5 * x - 2.5) * x) * x + 1.0
    return np.where(x >= 2.0, 0.0, np.where(x >= 1.0, far, near))


def _mitchell_cubic(x):
    far = (((-7.0 / 18.0) * x + 2.0) * x - 10.0 / 3.0) * x + 16.0 / 9.0
    near = (((7.0 / 6.0) * x - 2.0) * x) * x + 8.0 / 9.0
    return np.where(x >= 2.0, 0.0, np.where(x >= 1.0, far, near))


SAMPLING_KERNELS = {
    "lanczos1": _lanczos(1.0),
    "lanczos3": _lanczos(3.0),
    "lanczos5": _lanczos(5.0),
    "gaussian": (1.5, _gaussian),
    "box": (1.0, _box),
    "triangle": (1.0, _triangle),
    "keyscubic": (2.0, _keys_cubic),
    "mitchellcubic": (2.0, _mitchell_cubic),
}


def _sampling_kernel(kernel_type: str):
    kernel = SAMPLING_KERNELS.get(kernel_type.lower())
    if kernel is None:
        raise invalid(f"Unrecognized kernel type: {kernel_type}")
    return kernel


def scale_translate_spans(kernel_type: str, out_size: int, in_size: int, scale, translate, antialias: bool):
    """ComputeSpansCore: (starts [out], normalised float32 weights [out, span_size], span_size)."""
    radius, fn = _sampling_kernel(kernel_type)
    inv_scale = np.float32(1.0 / np.float64(np.float32(scale)))
    inv_translate = np.float32(-inv_scale * np.float32(translate))
    kernel_scale = max(inv_scale, np.float32(1)) if antialias else np.float32(1)
    one_over = np.float32(1) / kernel_scale
    reach = np.float32(np.float32(radius) * kernel_scale)
    span_size = min(2 * math.ceil(reach) + 1, in_size)
    sample = ((np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * inv_scale + inv_translate).astype(np.float32)
    start = np.clip(np.ceil(sample - reach - np.float32(0.5)), 0, in_size - 1).astype(np.int64)
    end = np.clip(np.floor(sample + reach - np.float32(0.5)), 0, in_size - 1).astype(np.int64) + 1
    source = start[:, None] + np.arange(span_size)[None, :]
    inside = source < end[:, None]
    pos = (source.astype(np.float32) + np.float32(0.5) - sample[:, None]).astype(np.float32)
    w = fn(np.abs(pos * one_over).astype(np.float32).astype(np.float64)).astype(np.float32)
    w = np.where(inside, w, np.float32(0))
    total = w.astype(np.float64).sum(axis=1).astype(np.float32)
    keep = (np.abs(total) >= np.float32(1000) * np.finfo(np.float32).tiny) & (sample >= 0) & (sample <= in_size)
    inv_total = np.float32(1) / np.where(keep, total, np.float32(1))
    weights = np.where(keep[:, None], w * inv_total[:, None], np.float32(0)).astype(np.float32)
    starts = np.where((sample >= 0) & (sample <= in_size), start, 0)
    return starts, weights, span_size


def _gather_spans(starts, weights, span_size: int, in_size: int):
    """GatherRows/GatherColumns' taps: index, weight, validity (the span cut at the input's end)."""
    index = starts[:, None] + np.arange(span_size)[None, :]
    valid = index < in_size
    return np.clip(index, 0, in_size - 1), weights, valid


def _grad_spans(starts, weights, span_size: int, forward_in: int):
    """ComputeGradSpansCore: for every forward input index, the forward outputs with a nonzero weight
    on it, as a span from the first to the last of them (weights summed)."""
    forward_out = len(starts)
    dense = np.zeros((forward_in, max(forward_out, 1)), np.float32)
    for j in range(span_size):
        index = starts + j
        ok = (weights[:, j] != 0) & (index < forward_in)
        np.add.at(dense, (index[ok], np.nonzero(ok)[0]), weights[ok, j])
    present = dense != 0
    has = present.any(axis=1)
    first = np.where(has, present.argmax(axis=1), 0)
    last = np.where(has, forward_out - 1 - present[:, ::-1].argmax(axis=1), -1)
    span = int((last - first + 1).max()) if forward_in and has.any() else 0
    index = first[:, None] + np.arange(span)[None, :]
    valid = (index <= last[:, None]) & (index < forward_out)
    index = np.clip(index, 0, max(forward_out - 1, 0))
    return index, np.take_along_axis(dense, index, axis=1) if span else np.zeros((forward_in, 0), np.float32), valid


def _pair(t, what: str = "t"):
    if t.dim() != 1:
        raise invalid(f"{what} must be 1-dimensional{format_dims(t.shape)}")
    if t.numel() != 2:
        raise invalid(f"{what} must have two elements{format_dims(t.shape)}")
    return [float(v) for v in t.to(torch.float32).tolist()]


@register_op(
    "ScaleAndTranslate",
    inputs=["images: T", "size: int32", "scale: float", "translation: float"],
    outputs=["resized_images: float"],
    attrs=[
        "T: {int8, uint8, int16, uint16, int32, int64, bfloat16, half, float, double}",
        'kernel_type: string = "lanczos3"',
        "antialias: bool = true",
    ],
    shape=resize_shape,
)
def scale_and_translate(images, size, scale, translation, kernel_type, antialias):
    _sampling_kernel(kernel_type)
    if images.dim() != 4:
        raise invalid(f"input must be 4-dimensional{format_dims(images.shape)}")
    if size.dim() != 1:
        raise invalid(f"output_shape_t must be 1-dimensional{format_dims(size.shape)}")
    if size.numel() != 2:
        raise invalid(f"output_shape_t must have two elements{format_dims(size.shape)}")
    out_h, out_w = (int(v) for v in size.tolist())
    n, in_h, in_w, c = images.shape
    if out_h <= 0 or out_w <= 0:
        raise invalid("output dimensions must be positive")
    if c <= 0:
        raise invalid("image must have at least one channel")
    if in_h <= 0 or in_w <= 0:
        raise invalid("input image must be of non-zero size")
    row_scale, col_scale = _pair(scale)
    if not (row_scale > 0 and col_scale > 0):
        raise invalid("Scale must be greater than zero.")
    row_t, col_t = _pair(translation)
    if n == 0:
        return torch.zeros(0, out_h, out_w, c, dtype=torch.float32, device=images.device)
    rows = _gather_spans(*scale_translate_spans(kernel_type, out_h, in_h, row_scale, row_t, antialias), in_h)
    cols = _gather_spans(*scale_translate_spans(kernel_type, out_w, in_w, col_scale, col_t, antialias), in_w)
    x = _as_float(images).to(torch.float64)
    return span_sum(span_sum(x, 1, *rows), 2, *cols).to(torch.float32)


@register_op(
    "ScaleAndTranslateGrad",
    inputs=["grads: T", "original_image: T", "scale: float", "translation: float"],
    outputs=["output: T"],
    attrs=["T: {float}", 'kernel_type: string = "lanczos3"', "antialias: bool = true"],
    shape=_input1_shape,
)
def scale_and_translate_grad(grads, original_image, scale, translation, kernel_type, antialias):
    _sampling_kernel(kernel_type)
    if grads.dim() != 4:
        raise invalid(f"input_grad must be 4-dimensional{format_dims(grads.shape)}")
    if original_image.dim() != 4:
        raise invalid(f"original_image must be 4-dimensional{format_dims(original_image.shape)}")
    n, out_h, out_w, c = grads.shape
    in_h, in_w = original_image.shape[1], original_image.shape[2]
    row_scale, col_scale = _pair(scale)
    if not (row_scale > 0 and col_scale > 0):
        raise invalid("Scale must be greater than zero.")
    row_t, col_t = _pair(translation)
    if n * in_h * in_w * c == 0:
        return torch.zeros(n, in_h, in_w, c, dtype=torch.float32, device=grads.device)
    rows = _grad_spans(*scale_translate_spans(kernel_type, out_h, in_h, row_scale, row_t, antialias), in_h)
    cols = _grad_spans(*scale_translate_spans(kernel_type, out_w, in_w, col_scale, col_t, antialias), in_w)
    g = grads.to(torch.float64)
    return span_sum(span_sum(g, 1, *rows), 2, *cols).to(torch.float32)


@register_gradient("ScaleAndTranslate")
def _scale_and_translate_grad(op, grad):
    grad0 = raw_op(
        "ScaleAndTranslateGrad",
        grads=grad,
        original_image=op.inputs[0],
        scale=op.inputs[2],
        translation=op.inputs[3],
        kernel_type=op.get_attr("kernel_type"),
        antialias=op.get_attr("antialias"),
    )
    return [grad0, None, None, None]


no_registered_gradient("ScaleAndTranslateGrad")
