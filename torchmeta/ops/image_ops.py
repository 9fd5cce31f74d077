"""Image ops: PNG/JPEG/GIF/BMP decoding and JPEG encoding (through Pillow), PNG encoding (libpng's bytes, in
``png_bytes``), bilinear and nearest-neighbour resizing with TensorFlow's sampling grids, and their gradients.

Codecs: Pillow (``pip install torchmeta[image]``) decodes, and encodes JPEG; PNG, GIF and BMP decode to
exactly TensorFlow's pixels. JPEG decoding is libjpeg-turbo's accurate integer DCT (JDCT_ISLOW) with
fancy upsampling: bit-identical to TensorFlow with ``dct_method="INTEGER_ACCURATE"``. TensorFlow's
default (``""``) is the fast DCT, which Pillow cannot select: its pixels then differ from ours by at
most ``JPEG_FAST_DCT_TOLERANCE`` on smooth images (mean difference about 3 and maxima up to ~25 on
white noise, where the fast DCT is least accurate). Colour-to-grey conversion (``channels=1`` on a
colour PNG) uses Pillow's ITU-R 601 weights where libpng uses its own: within ``GRAY_TOLERANCE``.
16-bit colour PNGs decode through 8 bits (Pillow keeps 16 bits for grey images only). PNG encoding
is libpng's as TensorFlow writes it (row filters, zlib settings, IDAT chunks), so the files are
TensorFlow's byte for byte, except where zlib stores incompressible data as is: TensorFlow's zlib may
cut the stored blocks elsewhere (same pixels, a few bytes apart).

Resizing follows TF's kernels: ``align_corners`` and ``half_pixel_centers`` select the sampling
grid; bilinear results are float32.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import torch

from torchmeta import errors
from torchmeta.dtypes import DType
from torchmeta.framework.common_shapes import input_with_rank, shape_error
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.framework.tensor_util import constant_value
from torchmeta.ops.common import invalid
from torchmeta.ops.image_resize_ops import resize_scale, resize_shape

__all__ = ["JPEG_FAST_DCT_TOLERANCE", "GRAY_TOLERANCE", "png_bytes"]

JPEG_FAST_DCT_TOLERANCE = 4  # max |ours - TF's default (fast DCT)| per pixel on smooth images
GRAY_TOLERANCE = 1  # max |ours - TF's| per pixel for colour PNGs decoded with channels=1


def _pil():
    try:
        from PIL import Image  # optional dependency: the image extra
    except ImportError:  # pragma: no cover - the test extra installs Pillow
        raise errors.UnimplementedError(
            None, None, "Image codecs need Pillow: pip install 'torchmeta[image]'"
        ) from None
    return Image


def _contents(contents) -> bytes:
    arr = np.asarray(contents, dtype=object)
    if arr.ndim != 0:
        raise invalid(f"contents must be scalar, got shape {list(arr.shape)}")
    return bytes(arr[()])


_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def _stored_channels(image) -> int:
    """The channels TensorFlow's decoders give for ``channels=0``: the file's own (palettes expanded)."""
    mode = image.mode
    if mode in ("1", "L", "I", "F") or mode.startswith("I;16"):
        return 1
    if mode in ("LA", "La"):
        return 2
    if mode == "P":
        return 4 if "transparency" in image.info else 3
    if mode in ("RGBA", "RGBa", "PA"):
        return 4
    return 3


def _to_channels(image, channels: int, name: str):
    """A PIL image converted to ``channels`` (0: as stored) as an HxWxC uint8 (or uint16) array."""
    if channels not in (0, 1, 2, 3, 4):
        raise invalid(f"channels must be 0, 1, 3, or 4, got {channels}")
    wide = image.mode in ("I", "I;16", "I;16B", "I;16L")
    channels = channels or _stored_channels(image)
    if wide:  # 16-bit grey (Pillow keeps 16 bits only for single-channel images)
        arr = np.asarray(image).astype(np.uint16)[..., None]
        if channels == 1:
            return arr
        rgb = np.repeat(arr, 3, axis=2)
        if channels == 3:
            return rgb
        alpha = np.full_like(arr, 65535)
        return np.concatenate([arr, alpha], axis=2) if channels == 2 else np.concatenate([rgb, alpha], axis=2)
    arr = np.asarray(image.convert(_MODES[channels]))
    return arr[..., None] if arr.ndim == 2 else arr


def _open(data: bytes, what: str):
    Image = _pil()
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as e:  # Pillow raises many types for bad input
        raise invalid(f"{what}: {e}") from None
    return image


def _decode_shape(channels_attr: str | None, rank: int = 3):
    def fn(op):
        input_with_rank(op, 0, 0)
        channels = op.get_attr(channels_attr) if channels_attr else 3
        return [TensorShape([None] * (rank - 1) + [channels or None])]

    return fn


@register_op(
    "DecodePng",
    inputs=["contents: string"],
    outputs=["image: dtype"],
    attrs=["channels: int = 0", "dtype: {uint8, uint16} = DT_UINT8"],
    shape=_decode_shape("channels"),
)
def decode_png(contents, channels, dtype):
    data = _contents(contents)
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise invalid("Invalid PNG data, size " + str(len(data)))
    arr = _to_channels(_open(data, "Invalid PNG data"), channels, "DecodePng")
    return _as_dtype(arr, dtype)


def _as_dtype(arr: np.ndarray, dtype: DType):
    if dtype is DType.uint16 and arr.dtype == np.uint8:
        arr = arr.astype(np.uint16) * 257
    elif dtype is DType.uint8 and arr.dtype == np.uint16:
        arr = (arr // 257).astype(np.uint8)
    elif dtype is DType.float32:
        arr = arr.astype(np.float32) / (65535.0 if arr.dtype == np.uint16 else 255.0)
        return torch.from_numpy(arr if arr.flags.c_contiguous and arr.flags.writeable else arr.copy())
    return torch.from_numpy(arr if arr.flags.c_contiguous and arr.flags.writeable else arr.copy())


@register_op(
    "DecodeJpeg",
    inputs=["contents: string"],
    outputs=["image: uint8"],
    attrs=[
        "channels: int = 0",
        "ratio: int = 1",
        "fancy_upscaling: bool = true",
        "try_recover_truncated: bool = false",
        "acceptable_fraction: float = 1.0",
        'dct_method: string = ""',
    ],
    shape=_decode_shape("channels"),
)
def decode_jpeg(contents, channels, ratio):
    data = _contents(contents)
    if not data.startswith(b"\xff\xd8"):
        raise invalid("Invalid JPEG data or crop window, data size " + str(len(data)))
    image = _open_jpeg(data, ratio, channels)
    return _as_dtype(_to_channels(image, channels, "DecodeJpeg"), DType.uint8)


def _open_jpeg(data: bytes, ratio: int, channels: int = 0):
    Image = _pil()
    if ratio not in (1, 2, 4, 8):
        raise invalid(f"ratio must be 1, 2, 4, or 8, got {ratio}")
    try:
        image = Image.open(io.BytesIO(data))
        # Grey output straight from libjpeg (its Y channel), as TF asks libjpeg for JCS_GRAYSCALE.
        mode = "L" if channels == 1 else image.mode
        if ratio != 1 or mode != image.mode:
            image.draft(mode, (image.width // ratio, image.height // ratio))
        image.load()
    except Exception as e:
        raise invalid(f"Invalid JPEG data or crop window, data size {len(data)}: {e}") from None
    return image


_JPEG_ATTRS = [
    "channels: int = 0",
    "ratio: int = 1",
    "fancy_upscaling: bool = true",
    "try_recover_truncated: bool = false",
    "acceptable_fraction: float = 1.0",
    'dct_method: string = ""',
]


def _decode_and_crop_shape(op):
    input_with_rank(op, 0, 0)
    (length,) = input_with_rank(op, 1, 1)
    if length != 4:
        raise shape_error(op, "crop_window must be 1-D tensor of length 4")
    window = constant_value(op.inputs[1])
    h, w = (None, None) if window is None else (int(window[2]), int(window[3]))
    return [TensorShape([h, w, op.get_attr("channels") or None])]


@register_op(
    "DecodeAndCropJpeg",
    inputs=["contents: string", "crop_window: int32"],
    outputs=["image: uint8"],
    attrs=_JPEG_ATTRS,
    shape=_decode_and_crop_shape,
)
def decode_and_crop_jpeg(contents, crop_window, channels, ratio):
    """The decoded image's [y, x, height, width] window (libjpeg decodes the rows it needs; the pixels are
    the full decode's)."""
    data = _contents(contents)
    y, x, h, w = (int(v) for v in crop_window.reshape(-1).tolist())
    if not data.startswith(b"\xff\xd8"):
        raise invalid("Invalid JPEG data or crop window, data size " + str(len(data)))
    image = _as_dtype(_to_channels(_open_jpeg(data, ratio, channels), channels, "DecodeAndCropJpeg"), DType.uint8)
    height, width = image.shape[:2]
    if min(y, x) < 0 or h <= 0 or w <= 0 or y + h > height or x + w > width:
        raise invalid("Invalid JPEG data or crop window, data size " + str(len(data)))
    return image[y : y + h, x : x + w].contiguous()


_JPEG_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def jpeg_shape(data: bytes):
    """[height, width, components] from a JPEG's frame header (None where the markers do not lead to one)."""
    if not data.startswith(b"\xff\xd8"):
        return None
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):
            pos += 2
            continue
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if marker in _JPEG_SOF_MARKERS:
            if pos + 10 > len(data):
                return None
            height, width = struct.unpack_from(">HH", data, pos + 5)
            return [height, width, data[pos + 9]]
        if marker == 0xDA:
            return None
        pos += 2 + length
    return None


def _extract_jpeg_shape_shape(op):
    input_with_rank(op, 0, 0)
    return [TensorShape([3])]


@register_op(
    "ExtractJpegShape",
    inputs=["contents: string"],
    outputs=["image_shape: output_type"],
    attrs=["output_type: {int32, int64} = DT_INT32"],
    shape=_extract_jpeg_shape_shape,
)
def extract_jpeg_shape(contents, output_type):
    data = _contents(contents)
    shape = jpeg_shape(data)
    if shape is None:
        raise invalid(f"Invalid JPEG data, size {len(data)}")
    return torch.tensor(shape, dtype=torch.int32 if output_type == DType.int32 else torch.int64)


def _decode_image_shape(op):
    input_with_rank(op, 0, 0)
    channels = op.get_attr("channels") or None
    if op.get_attr("expand_animations"):
        return [unknown_shape()]
    return [TensorShape([None, None, channels])]


@register_op(
    "DecodeImage",
    inputs=["contents: string"],
    outputs=["image: dtype"],
    attrs=["channels: int = 0", "dtype: {uint8, uint16, float} = DT_UINT8", "expand_animations: bool = true"],
    shape=_decode_image_shape,
)
def decode_image(contents, channels, dtype, expand_animations):
    data = _contents(contents)
    if data.startswith(b"\xff\xd8"):
        return _as_dtype(_to_channels(_open_jpeg(data, 1, channels), channels, "DecodeImage"), dtype)
    if data.startswith(b"\x89PNG"):
        return _as_dtype(_to_channels(_open(data, "Invalid PNG data"), channels, "DecodeImage"), dtype)
    if data.startswith(b"GIF"):
        frames = _gif_frames(data)
        if channels not in (0, 3):
            raise invalid(f"channels must be 0 or 3 for GIF, got {channels}")
        return _as_dtype(frames if expand_animations else frames[0], dtype)
    if data.startswith(b"BM"):
        return _as_dtype(_to_channels(_open(data, "Invalid BMP data"), channels or 0, "DecodeImage"), dtype)
    raise invalid("Unknown image file format. One of JPEG, PNG, GIF, BMP required.")


def _gif_frames(data: bytes) -> np.ndarray:
    image = _open(data, "Invalid GIF data")
    frames = []
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)
        frames.append(np.asarray(image.convert("RGB")))
    return np.stack(frames)


@register_op(
    "DecodeGif",
    inputs=["contents: string"],
    outputs=["image: uint8"],
    shape=lambda op: [TensorShape([None, None, None, 3])],
)
def decode_gif(contents):
    return torch.from_numpy(_gif_frames(_contents(contents)))


@register_op(
    "DecodeBmp",
    inputs=["contents: string"],
    outputs=["image: uint8"],
    attrs=["channels: int = 0"],
    shape=_decode_shape("channels"),
)
def decode_bmp(contents, channels):
    data = _contents(contents)
    if not data.startswith(b"BM"):
        raise invalid("Malformed BMP: invalid magic bytes")
    return torch.from_numpy(np.array(_to_channels(_open(data, "Malformed BMP"), channels, "DecodeBmp"), order="C"))


def _string_scalar(data: bytes) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = data
    return out


def _image_hwc(image, op_type: str) -> np.ndarray:
    arr = image.detach().cpu().numpy() if isinstance(image, torch.Tensor) else np.asarray(image)
    if arr.ndim != 3:
        raise invalid(f"image must be 3-dimensional[{','.join(str(d) for d in arr.shape)}]")
    if arr.shape[2] not in (1, 2, 3, 4):
        raise invalid(f"image must have 1, 2, 3, or 4 channels, got {arr.shape[2]}")
    return arr


def _encode_shape(op):
    input_with_rank(op, 0, 3)
    return [TensorShape([])]


@register_op(
    "EncodePng",
    inputs=["image: T"],
    outputs=["contents: string"],
    attrs=["compression: int = -1", "T: {uint8, uint16} = DT_UINT8"],
    shape=_encode_shape,
)
def encode_png(image, compression):
    """libpng's encoding as TF's png_io writes it (see ``png_bytes``)."""
    return _string_scalar(png_bytes(_image_hwc(image, "EncodePng"), compression))


_PNG_COLOR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}  # grey, grey + alpha, RGB, RGBA


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_filtered_rows(raw: np.ndarray, bpp: int) -> np.ndarray:
    """libpng's png_write_find_filter: of each row's five filterings the one whose bytes, read as signed, have the
    smallest sum of magnitudes (the first on a tie, in the order None, Sub, Up, Average, Paeth), after its type."""
    x = raw.astype(np.int16)
    up = np.zeros_like(x)
    up[1:] = x[:-1]
    left = np.zeros_like(x)
    left[:, bpp:] = x[:, :-bpp]
    upleft = np.zeros_like(x)
    upleft[1:, bpp:] = x[:-1, :-bpp]
    pa, pb, pc = np.abs(up - upleft), np.abs(left - upleft), np.abs(up + left - 2 * upleft)
    paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, upleft))
    candidates = np.stack([x, x - left, x - up, x - (left + up) // 2, x - paeth]) & 0xFF
    best = np.argmin(np.minimum(candidates, 256 - candidates).sum(axis=2), axis=0)
    rows = candidates[best, np.arange(x.shape[0])]
    return np.concatenate([best[:, None], rows], axis=1).astype(np.uint8)


def png_bytes(arr: np.ndarray, compression: int = -1) -> bytes:
    """A PNG file of an HWC uint8/uint16 image, byte for byte as TF's libpng writes it: IHDR, the IDAT stream cut
    into 8192-byte chunks and IEND; each row filtered by libpng's heuristic; zlib at ``compression`` (-1: its
    default) with Z_FILTERED and, for a small image, png_deflate_claim's window and optimize_cmf's header.
    (Incompressible data that zlib stores as is may be cut into stored blocks otherwise than by TF's zlib.)"""
    height, width, channels = arr.shape
    depth = 16 if arr.dtype == np.uint16 else 8
    pixels = np.ascontiguousarray(arr, dtype=">u2" if depth == 16 else np.uint8)
    data = _png_filtered_rows(pixels.view(np.uint8).reshape(height, -1), channels * depth // 8).tobytes()
    size = len(data)
    window_bits, half = 15, 1 << 14
    while size <= 16384 and size + 262 <= half and window_bits > 9:
        half >>= 1
        window_bits -= 1
    z = zlib.compressobj(compression, zlib.DEFLATED, window_bits, 8, zlib.Z_FILTERED)
    stream = bytearray(z.compress(data) + z.flush())
    cinfo = stream[0] >> 4
    if size <= 16384 and stream[0] & 0x0F == 8 and cinfo <= 7 and size <= 1 << (cinfo + 7):
        while cinfo > 0 and size <= 1 << (cinfo + 7):
            cinfo -= 1
        stream[0] = 8 | cinfo << 4
        flg = stream[1] & 0xE0
        stream[1] = flg + 0x1F - ((stream[0] << 8) + flg) % 0x1F
    ihdr = struct.pack(">IIBBBBB", width, height, depth, _PNG_COLOR_TYPES[channels], 0, 0, 0)
    chunks = [_png_chunk(b"IDAT", bytes(stream[i : i + 8192])) for i in range(0, len(stream), 8192)]
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + b"".join(chunks) + _png_chunk(b"IEND", b"")


@register_op(
    "EncodeJpeg",
    inputs=["image: uint8"],
    outputs=["contents: string"],
    attrs=[
        "format: {'', 'grayscale', 'rgb'} = \"\"",
        "quality: int = 95",
        "progressive: bool = false",
        "optimize_size: bool = false",
        "chroma_downsampling: bool = true",
        "density_unit: {'in', 'cm'} = \"in\"",
        "x_density: int = 300",
        "y_density: int = 300",
        'xmp_metadata: string = ""',
    ],
    shape=_encode_shape,
)
def encode_jpeg(
    image, format, quality, progressive, optimize_size, chroma_downsampling, density_unit, x_density, y_density
):
    Image = _pil()
    arr = _image_hwc(image, "EncodeJpeg")
    channels = arr.shape[2]
    if format == "grayscale" and channels != 1:
        raise invalid(f"Image must have 1 channel for grayscale format, got {channels}")
    if format == "rgb" and channels != 3:
        raise invalid(f"Image must have 3 channels for rgb format, got {channels}")
    if channels not in (1, 3):
        raise invalid(f"image must have 1 or 3 channels, got {list(arr.shape)}")
    pil = Image.fromarray(np.ascontiguousarray(arr[..., 0] if channels == 1 else arr))
    out = io.BytesIO()
    pil.save(
        out,
        format="JPEG",
        quality=int(quality),
        progressive=bool(progressive),
        optimize=bool(optimize_size),
        subsampling=2 if chroma_downsampling else 0,
        dpi=(x_density, y_density) if density_unit == "in" else (x_density * 2.54, y_density * 2.54),
    )
    return _string_scalar(out.getvalue())


no_registered_gradient(
    "DecodePng",
    "DecodeJpeg",
    "DecodeAndCropJpeg",
    "ExtractJpegShape",
    "DecodeImage",
    "DecodeGif",
    "DecodeBmp",
    "EncodePng",
    "EncodeJpeg",
)


# ---------------------------------------------------------------------------------------------
# Resizing


def _size_of(size) -> tuple[int, int]:
    values = size.tolist() if isinstance(size, torch.Tensor) else np.asarray(size).tolist()
    if len(values) != 2:
        raise invalid(f"shape_t must have two elements{values}")
    h, w = int(values[0]), int(values[1])
    if h <= 0 or w <= 0:
        raise invalid("output dimensions must be positive")
    return h, w


def _check_images(images):
    if images.dim() != 4:
        raise invalid(f"input must be 4-dimensional[{','.join(str(d) for d in images.shape)}]")


def _linear_weights(in_size: int, out_size: int, align_corners: bool, half_pixel: bool):
    """TF's compute_interpolation_weights: lower/upper source indices and the lerp of each output index."""
    scale = float(resize_scale(in_size, out_size, align_corners))
    i = torch.arange(out_size, dtype=torch.float64)
    pos = (i + 0.5) * scale - 0.5 if half_pixel else i * scale
    floor = torch.floor(pos)
    lower = floor.clamp(min=0).long()
    upper = torch.ceil(pos).clamp(max=in_size - 1).long()
    lerp = (pos - floor).float()
    return lower.clamp(max=in_size - 1), upper, lerp


@register_op(
    "ResizeBilinear",
    inputs=["images: T", "size: int32"],
    outputs=["resized_images: float"],
    attrs=[
        "T: {int8, uint8, int16, uint16, int32, int64, bfloat16, half, float, double, bfloat16}",
        "align_corners: bool = false",
        "half_pixel_centers: bool = false",
    ],
    shape=resize_shape,
)
def resize_bilinear(images, size, align_corners, half_pixel_centers):
    _check_images(images)
    out_h, out_w = _size_of(size)
    _, in_h, in_w, _ = images.shape
    x = images.float()
    ys, ye, ly = (t.to(images.device) for t in _linear_weights(in_h, out_h, align_corners, half_pixel_centers))
    xs, xe, lx = (t.to(images.device) for t in _linear_weights(in_w, out_w, align_corners, half_pixel_centers))
    top = x.index_select(1, ys)
    bottom = x.index_select(1, ye)
    ly = ly.view(1, -1, 1, 1)
    lx = lx.view(1, 1, -1, 1)
    top_left, top_right = top.index_select(2, xs), top.index_select(2, xe)
    bottom_left, bottom_right = bottom.index_select(2, xs), bottom.index_select(2, xe)
    top_row = top_left + (top_right - top_left) * lx
    bottom_row = bottom_left + (bottom_right - bottom_left) * lx
    return top_row + (bottom_row - top_row) * ly


def _nearest_index(in_size: int, out_size: int, align_corners: bool, half_pixel: bool) -> torch.Tensor:
    """TF's nearest-neighbour source index, computed in float32 as its kernel does (roundf: half away from 0)."""
    scale = torch.tensor(resize_scale(in_size, out_size, align_corners), dtype=torch.float32)
    i = torch.arange(out_size, dtype=torch.float32)
    pos = (i + 0.5) * scale if half_pixel else i * scale
    index = torch.floor(pos + 0.5) if align_corners else torch.floor(pos)
    return index.long().clamp(0, in_size - 1)


@register_op(
    "ResizeNearestNeighbor",
    inputs=["images: T", "size: int32"],
    outputs=["resized_images: T"],
    attrs=[
        "T: {int8, uint8, int16, uint16, int32, int64, half, float, double, bfloat16}",
        "align_corners: bool = false",
        "half_pixel_centers: bool = false",
    ],
    shape=resize_shape,
)
def resize_nearest_neighbor(images, size, align_corners, half_pixel_centers):
    _check_images(images)
    out_h, out_w = _size_of(size)
    _, in_h, in_w, _ = images.shape
    ys = _nearest_index(in_h, out_h, align_corners, half_pixel_centers).to(images.device)
    xs = _nearest_index(in_w, out_w, align_corners, half_pixel_centers).to(images.device)
    return images.index_select(1, ys).index_select(2, xs)


def _bilinear_grad_shape(op):
    return [op.inputs[1].shape]


@register_op(
    "ResizeBilinearGrad",
    inputs=["grads: float", "original_image: T"],
    outputs=["output: T"],
    attrs=["T: {float, bfloat16, half, double}", "align_corners: bool = false", "half_pixel_centers: bool = false"],
    shape=_bilinear_grad_shape,
)
def resize_bilinear_grad(grads, original_image, align_corners, half_pixel_centers):
    n, in_h, in_w, c = original_image.shape
    _, out_h, out_w, _ = grads.shape
    ys, ye, ly = (t.to(grads.device) for t in _linear_weights(in_h, out_h, align_corners, half_pixel_centers))
    xs, xe, lx = (t.to(grads.device) for t in _linear_weights(in_w, out_w, align_corners, half_pixel_centers))
    g = grads.double()
    ly = ly.double().view(1, -1, 1, 1)
    lx = lx.double().view(1, 1, -1, 1)
    # Spread each output gradient over its four source pixels (rows, then columns).
    rows = torch.zeros(n, in_h, out_w, c, dtype=torch.float64, device=grads.device)
    rows.index_add_(1, ys, g * (1 - ly))
    rows.index_add_(1, ye, g * ly)
    out = torch.zeros(n, in_h, in_w, c, dtype=torch.float64, device=grads.device)
    out.index_add_(2, xs, rows * (1 - lx))
    out.index_add_(2, xe, rows * lx)
    return out.to(original_image.dtype)


def _nearest_grad_shape(op):
    grads = op.inputs[0].shape.as_tuple()
    size = constant_value(op.inputs[1])
    h = w = None
    if size is not None:
        h, w = (int(v) for v in np.asarray(size).reshape(-1)[:2])
    if grads is None:
        return [TensorShape([None, h, w, None])]
    return [TensorShape([grads[0], h, w, grads[3]])]


@register_op(
    "ResizeNearestNeighborGrad",
    inputs=["grads: T", "size: int32"],
    outputs=["output: T"],
    attrs=[
        "T: {uint8, int8, int32, half, float, double, bfloat16}",
        "align_corners: bool = false",
        "half_pixel_centers: bool = false",
    ],
    shape=_nearest_grad_shape,
)
def resize_nearest_neighbor_grad(grads, size, align_corners, half_pixel_centers):
    in_h, in_w = _size_of(size)
    n, out_h, out_w, c = grads.shape
    ys = _nearest_index(in_h, out_h, align_corners, half_pixel_centers).to(grads.device)
    xs = _nearest_index(in_w, out_w, align_corners, half_pixel_centers).to(grads.device)
    rows = torch.zeros(n, in_h, out_w, c, dtype=grads.dtype, device=grads.device)
    rows.index_add_(1, ys, grads)
    out = torch.zeros(n, in_h, in_w, c, dtype=grads.dtype, device=grads.device)
    out.index_add_(2, xs, rows)
    return out


@register_gradient("ResizeBilinear")
def _resize_bilinear_grad(op, grad):
    grad0 = raw_op(
        "ResizeBilinearGrad",
        grads=grad,
        original_image=op.inputs[0],
        align_corners=op.get_attr("align_corners"),
        half_pixel_centers=op.get_attr("half_pixel_centers"),
    )
    return [grad0, None]


@register_gradient("ResizeNearestNeighbor")
def _resize_nearest_neighbor_grad(op, grad):
    image = op.inputs[0]
    if image.shape[1:3].is_fully_defined():
        image_shape = image.shape[1:3].as_list()
    else:
        shape = raw_op("Shape", input=image)
        image_shape = raw_op("StridedSlice", input=shape, begin=[1], end=[3], strides=[1])
    grads = raw_op(
        "ResizeNearestNeighborGrad",
        grads=grad,
        size=image_shape,
        align_corners=op.get_attr("align_corners"),
        half_pixel_centers=op.get_attr("half_pixel_centers"),
    )
    return [grads, None]


not_differentiable("ResizeBilinearGrad")
no_registered_gradient("ResizeNearestNeighborGrad")
