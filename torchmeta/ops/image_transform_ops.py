"""Geometric image ops: ExtractImagePatches and ImageProjectiveTransformV2/V3, with TensorFlow's
gradients (array_grad._ExtractImagePatchesGrad, image_ops._image_projective_transform[_v3]_grad).

ExtractImagePatches gathers its (dilated, strided) windows with index arithmetic, for every dtype
(bool and complex included), zero padding as Eigen's. The projective transform follows TF's
ProjectiveGenerator (kernels/image/image_ops.h) per output pixel, vectorised: the float32 projection,
the fill modes' coordinate maps (scipy's reflect/wrap/nearest), nearest (round half away) or bilinear
sampling with the fill value outside the image, and the cast back to the image's type.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from torchmeta import errors
from torchmeta.api import array_ops, math_ops
from torchmeta.dtypes import DType
from torchmeta.framework import tensor_util
from torchmeta.framework.common_shapes import format_dims, shape_error, with_rank
from torchmeta.framework.graph import name_scope
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid

# ---------------------------------------------------------------------------------------------
# ExtractImagePatches


def windowed_output_size(op, in_size, ksize: int, stride: int, padding: str):
    """GetWindowedOutputSizeVerbose: (output size, padding before) for a known input size."""
    if stride <= 0:
        raise shape_error(op, f"Stride must be > 0, but got {stride}")
    if padding == "VALID":
        out = (in_size - ksize + stride) // stride
        before = 0
    else:
        out = (in_size + stride - 1) // stride
        needed = max((out - 1) * stride + ksize - in_size, 0)
        before = needed // 2
    if out < 0:
        raise shape_error(
            op,
            f"Computed output size would be negative: {out} [input_size: {in_size}, effective_filter_size: {ksize}, stride: {stride}]",
        )
    return out, before


def _patches_attrs(op):
    padding = op.get_attr("padding")
    padding = padding.decode() if isinstance(padding, bytes) else padding
    return list(op.get_attr("ksizes")), list(op.get_attr("strides")), list(op.get_attr("rates")), padding


def _extract_image_patches_shape(op):
    images = with_rank(op, op.inputs[0].shape, 4)
    ksizes, strides, rates, padding = _patches_attrs(op)
    for name, values in (("ksizes", ksizes), ("strides", strides), ("rates", rates)):
        if len(values) != 4:
            raise shape_error(
                op, f"ExtractImagePatches requires the {name} attribute to contain 4 values, but got: {len(values)}"
            )
    batch, rows, cols, depth = images.as_tuple() if images.rank is not None else (None,) * 4
    out_depth = None if depth is None else depth * ksizes[1] * ksizes[2]
    if rows is None or cols is None:
        return [TensorShape([batch, None, None, out_depth])]
    k_rows = ksizes[1] + (ksizes[1] - 1) * (rates[1] - 1)
    k_cols = ksizes[2] + (ksizes[2] - 1) * (rates[2] - 1)
    out_rows, _ = windowed_output_size(op, rows, k_rows, strides[1], padding)
    out_cols, _ = windowed_output_size(op, cols, k_cols, strides[2], padding)
    return [TensorShape([batch, out_rows, out_cols, out_depth])]


def kernel_windowed_output_size(in_size: int, ksize: int, stride: int, padding: str):
    if padding == "VALID":
        out = (in_size - ksize + stride) // stride
        before = 0
    else:
        out = (in_size + stride - 1) // stride
        before = max((out - 1) * stride + ksize - in_size, 0) // 2
    if out < 0:
        raise invalid(
            f"Computed output size would be negative: {out} [input_size: {in_size}, "
            f"effective_filter_size: {ksize}, stride: {stride}]"
        )
    return out, before


def _window_indices(out_size: int, before: int, ksize: int, stride: int, rate: int, device):
    """Padded-input positions [out, k] of each window tap, and whether each falls inside the input."""
    pos = (
        torch.arange(out_size, device=device).view(-1, 1) * stride
        + torch.arange(ksize, device=device).view(1, -1) * rate
        - before
    )
    return pos


@register_op(
    "ExtractImagePatches",
    inputs=["images: T"],
    outputs=["patches: T"],
    attrs=[
        "ksizes: list(int) >= 4",
        "strides: list(int) >= 4",
        "rates: list(int) >= 4",
        "T: {bfloat16, half, float, double, int8, int16, int32, int64, uint8, uint16, uint32, uint64, complex64, "
        "complex128, bool}",
        "padding: {'SAME', 'VALID'}",
    ],
    shape=_extract_image_patches_shape,
)
def extract_image_patches(images, ksizes, strides, rates, padding):
    for name, values, what in (
        ("ksizes", ksizes, "ksizes"),
        ("strides", strides, "strides"),
        ("rates", rates, "rates"),
    ):
        if len(values) != 4:
            raise invalid(f"Sliding window {name} field must specify 4 dimensions")
        if values[0] != 1 or values[3] != 1:
            raise errors.UnimplementedError(None, None, f"Only support {what} across space.")
    if images.dim() != 4:
        raise invalid(f"input must be 4-dimensional{format_dims(images.shape)}")
    batch, rows, cols, depth = images.shape
    k_rows, k_cols = ksizes[1], ksizes[2]
    eff_rows = k_rows + (k_rows - 1) * (rates[1] - 1)
    eff_cols = k_cols + (k_cols - 1) * (rates[2] - 1)
    out_rows, top = kernel_windowed_output_size(rows, eff_rows, strides[1], padding)
    out_cols, left = kernel_windowed_output_size(cols, eff_cols, strides[2], padding)
    out_shape = (batch, out_rows, out_cols, k_rows * k_cols * depth)
    if math.prod(out_shape) == 0:
        return torch.zeros(out_shape, dtype=images.dtype, device=images.device)
    device = images.device
    r = _window_indices(out_rows, top, k_rows, strides[1], rates[1], device)
    c = _window_indices(out_cols, left, k_cols, strides[2], rates[2], device)
    # Pad by one zero row/column on each side that positions outside the image read.
    padded = torch.zeros(batch, rows + 2, cols + 2, depth, dtype=images.dtype, device=device)
    padded[:, 1:-1, 1:-1] = images
    r = torch.where((r >= 0) & (r < rows), r + 1, torch.zeros_like(r))
    c = torch.where((c >= 0) & (c < cols), c + 1, torch.zeros_like(c))
    # [batch, out_rows, k_rows, out_cols, k_cols, depth] -> [batch, out_rows, out_cols, k_rows, k_cols, depth]
    patches = padded[:, r.view(out_rows, k_rows, 1, 1), c.view(1, 1, out_cols, k_cols)]
    return patches.permute(0, 1, 3, 2, 4, 5).reshape(out_shape)


@register_gradient("ExtractImagePatches")
def _extract_image_patches_grad(op, grad):
    """array_grad._ExtractImagePatchesGrad: the patches of the input's (1-based) pixel indices route
    each gradient element back by an unsorted segment sum."""
    input_bhwc = array_ops.shape(op.inputs[0], out_type=DType.int64)
    batch_size, rows_in, cols_in, channels = array_ops.unstack(input_bhwc)
    output_bhwc = array_ops.shape(op.outputs[0], out_type=DType.int64)
    rows_out, cols_out = array_ops.unstack(output_bhwc[1:3])
    _, ksize_r, ksize_c, _ = op.get_attr("ksizes")
    input_indices_num = rows_in * cols_in
    input_idx = array_ops.reshape(
        math_ops.range(1, input_indices_num + 1, dtype=DType.float32), (1, rows_in, cols_in, 1)
    )
    input_idx_patched = raw_op(
        "ExtractImagePatches",
        images=input_idx,
        ksizes=op.get_attr("ksizes"),
        strides=op.get_attr("strides"),
        rates=op.get_attr("rates"),
        padding=op.get_attr("padding"),
    )
    input_idx_patched = math_ops.cast(input_idx_patched, DType.int64)
    grad_expanded = array_ops.transpose(
        array_ops.reshape(grad, (batch_size, rows_out, cols_out, ksize_r, ksize_c, channels)), (1, 2, 3, 4, 0, 5)
    )
    grad_flat = array_ops.reshape(grad_expanded, (-1, batch_size * channels))
    segment_ids = array_ops.reshape(input_idx_patched, [-1]) - 1
    grad_out = math_ops.unsorted_segment_sum(grad_flat, segment_ids, num_segments=input_indices_num)
    grad_out = array_ops.reshape(grad_out, (rows_in, cols_in, batch_size, channels))
    grad_out = array_ops.transpose(grad_out, (2, 0, 1, 3))
    return [grad_out]


# ---------------------------------------------------------------------------------------------
# ImageProjectiveTransformV2, ImageProjectiveTransformV3

_PROJECTIVE_T = "dtype: {uint8, int32, int64, half, bfloat16, float, double}"


def _projective_shape(op):
    images = with_rank(op, op.inputs[0].shape, 4)
    size = with_rank(op, op.inputs[2].shape, 1)
    dim = size.as_tuple()[0]
    if dim is not None and dim != 2:
        raise shape_error(op, f"Dimension must be 2 but is {dim}")
    batch, _, _, channels = images.as_tuple() if images.rank is not None else (None,) * 4
    value = tensor_util.constant_value(op.inputs[2])
    height = width = None
    if value is not None:
        height, width = (int(v) for v in np.asarray(value).reshape(-1)[:2])
        height = None if height < 0 else height
        width = None if width < 0 else width
    return [TensorShape([batch, height, width, channels])]


def _map_coordinate(coord, length: int, mode: str):
    """MapCoordinate<mode> (float32, scipy's conventions)."""
    if mode == "CONSTANT":
        return coord
    hi = float(length - 1)
    if mode == "NEAREST":
        return coord.clamp(0.0, hi)
    if length <= 1:
        zero = torch.zeros_like(coord)
        mapped = torch.where((coord < 0) | (coord > hi), zero, coord)
        return mapped.clamp(0.0, hi)
    if mode == "REFLECT":
        sz2 = 2 * length
        neg = coord + sz2 * torch.trunc(-coord / sz2)
        neg = torch.where(neg < -length, neg + sz2, -neg - 1)
        pos = coord - sz2 * torch.trunc(coord / sz2)
        pos = torch.where(pos >= length, sz2 - pos - 1, pos)
    else:  # WRAP
        sz = length - 1
        neg = coord + length * (torch.trunc(-coord / sz) + 1)
        pos = coord - length * torch.trunc(coord / sz)
    mapped = torch.where(coord < 0, neg, torch.where(coord > hi, pos, coord))
    return mapped.clamp(0.0, hi)


def _from_float(values, dtype):
    """T(float): C++'s conversion (truncation toward zero for integers)."""
    if dtype.is_floating_point:
        return values.to(dtype)
    return torch.trunc(values).to(dtype)


def _projective_transform(images, transforms, output_shape, fill_value, interpolation, fill_mode):
    if images.dim() != 4:
        raise invalid("Input images must have rank 4")
    batch, in_h, in_w, channels = images.shape
    if not (transforms.dim() == 2 and transforms.shape[0] in (batch, 1) and transforms.shape[1] == 8):
        raise invalid("Input transform should be num_images x 8 or 1 x 8")
    if output_shape.dim() != 1:
        raise invalid(f"output shape must be 1-dimensional{format_dims(output_shape.shape)}")
    if output_shape.numel() != 2:
        raise invalid(f"output shape must have two elements{format_dims(output_shape.shape)}")
    out_h, out_w = (int(v) for v in output_shape.tolist())
    if out_h <= 0 or out_w <= 0:
        raise invalid("output dimensions must be positive")
    if interpolation not in ("NEAREST", "BILINEAR"):
        raise invalid(f"Invalid interpolation {interpolation}. Supported types: NEAREST, BILINEAR")
    if fill_mode not in ("REFLECT", "WRAP", "CONSTANT", "NEAREST"):
        raise invalid(f"Invalid mode {fill_mode}. Supported types: REFLECT, WRAP, CONSTANT, NEAREST")
    if fill_value is not None and fill_value.dim() != 0:
        raise invalid(f"fill_value must be a scalar{format_dims(fill_value.shape)}")
    device = images.device
    fill = torch.zeros((), dtype=torch.float32, device=device)
    if fill_value is not None:
        fill = fill_value.to(torch.float32).to(device)
    fill_t = _from_float(fill, images.dtype)
    if batch * out_h * out_w * channels == 0:
        return torch.zeros(batch, out_h, out_w, channels, dtype=images.dtype, device=device)
    t = transforms.to(torch.float32).to(device)
    t = t.expand(batch, 8) if t.shape[0] == 1 else t
    t = [t[:, k].view(batch, 1, 1) for k in range(8)]
    ys = torch.arange(out_h, dtype=torch.float32, device=device).view(1, -1, 1)
    xs = torch.arange(out_w, dtype=torch.float32, device=device).view(1, 1, -1)
    projection = t[6] * xs + t[7] * ys + 1.0
    input_x = (t[0] * xs + t[1] * ys + t[2]) / projection
    input_y = (t[3] * xs + t[4] * ys + t[5]) / projection
    x = _map_coordinate(input_x, in_w, fill_mode)
    y = _map_coordinate(input_y, in_h, fill_mode)
    # An infinite projection gives the fill value; elsewhere pixels outside the image read it.
    inside = (projection != 0) & torch.isfinite(x) & torch.isfinite(y)
    b = torch.arange(batch, device=device).view(-1, 1, 1)

    def read(rows, cols):
        """read_with_fill_value: [batch, out_h, out_w, channels] (float32 unless nearest)."""
        ok = (rows >= 0) & (rows < in_h) & (cols >= 0) & (cols < in_w)
        r = torch.where(ok, rows, torch.zeros_like(rows))
        c = torch.where(ok, cols, torch.zeros_like(cols))
        values = images[b, r, c]
        return torch.where(ok.unsqueeze(-1), values, fill_t)

    safe = lambda v: torch.where(inside, v, torch.zeros_like(v))  # noqa: E731
    x, y = safe(x), safe(y)
    if interpolation == "NEAREST":
        rows = (torch.sign(y) * torch.floor(torch.abs(y) + 0.5)).to(torch.int64)
        cols = (torch.sign(x) * torch.floor(torch.abs(x) + 0.5)).to(torch.int64)
        out = read(rows, cols)
    else:
        y_floor, x_floor = torch.floor(y), torch.floor(x)
        y_ceil, x_ceil = y_floor + 1, x_floor + 1
        r0, r1 = y_floor.to(torch.int64), y_ceil.to(torch.int64)
        c0, c1 = x_floor.to(torch.int64), x_ceil.to(torch.int64)
        wx0 = (x_ceil - x).unsqueeze(-1)
        wx1 = (x - x_floor).unsqueeze(-1)
        value_floor = wx0 * read(r0, c0).to(torch.float32) + wx1 * read(r0, c1).to(torch.float32)
        value_ceil = wx0 * read(r1, c0).to(torch.float32) + wx1 * read(r1, c1).to(torch.float32)
        out = _from_float(
            (y_ceil - y).unsqueeze(-1) * value_floor + (y - y_floor).unsqueeze(-1) * value_ceil, images.dtype
        )
    return torch.where(inside.unsqueeze(-1), out, fill_t)


@register_op(
    "ImageProjectiveTransformV2",
    inputs=["images: dtype", "transforms: float", "output_shape: int32"],
    outputs=["transformed_images: dtype"],
    attrs=[_PROJECTIVE_T, "interpolation: string", 'fill_mode: string = "CONSTANT"'],
    shape=_projective_shape,
)
def image_projective_transform_v2(images, transforms, output_shape, interpolation, fill_mode):
    return _projective_transform(images, transforms, output_shape, None, interpolation, fill_mode)


@register_op(
    "ImageProjectiveTransformV3",
    inputs=["images: dtype", "transforms: float", "output_shape: int32", "fill_value: float"],
    outputs=["transformed_images: dtype"],
    attrs=[_PROJECTIVE_T, "interpolation: string", 'fill_mode: string = "CONSTANT"'],
    shape=_projective_shape,
)
def image_projective_transform_v3(images, transforms, output_shape, fill_value, interpolation, fill_mode):
    return _projective_transform(images, transforms, output_shape, fill_value, interpolation, fill_mode)


_IMAGE_DTYPES = ("uint8", "int32", "int64", "float16", "float32", "float64")


def flat_transforms_to_matrices(transforms):
    """image_ops.flat_transforms_to_matrices: [N, 8] transforms -> [N, 3, 3] matrices."""
    with name_scope("flat_transforms_to_matrices"):
        transforms = array_ops.reshape(transforms, [-1, 8])
        num_transforms = array_ops.shape(transforms)[0]
        return array_ops.reshape(
            array_ops.concat([transforms, array_ops.ones([num_transforms, 1])], axis=1), [-1, 3, 3]
        )


def _projective_grad(op, grad, v3: bool):
    images = op.inputs[0]
    transforms = op.inputs[1]
    if images.dtype.base_dtype.name not in _IMAGE_DTYPES:
        raise TypeError(f"Invalid dtype {images.dtype}.")
    rank = transforms.shape.rank
    if rank == 1:
        transforms = transforms[None]
    elif rank != 2:
        raise TypeError("Transforms should have rank 1 or 2.")
    matrices = flat_transforms_to_matrices(transforms)
    inverse = raw_op("MatrixInverse", input=matrices)
    with name_scope("matrices_to_flat_transforms"):
        flat = array_ops.reshape(inverse, [-1, 9])
        flat = flat / flat[:, 8:9]
        flat = flat[:, :8]
    kwargs = dict(
        images=grad,
        transforms=flat,
        output_shape=array_ops.shape(images)[1:3],
        interpolation=op.get_attr("interpolation"),
        fill_mode=op.get_attr("fill_mode"),
    )
    if v3:
        return [raw_op("ImageProjectiveTransformV3", fill_value=0.0, **kwargs), None, None, None]
    return [raw_op("ImageProjectiveTransformV2", **kwargs), None, None]


@register_gradient("ImageProjectiveTransformV2")
def _image_projective_transform_v2_grad(op, grad):
    return _projective_grad(op, grad, v3=False)


@register_gradient("ImageProjectiveTransformV3")
def _image_projective_transform_v3_grad(op, grad):
    return _projective_grad(op, grad, v3=True)
