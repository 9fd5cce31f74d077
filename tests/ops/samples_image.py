"""Samples for image ops: decoding (files made with Pillow, decoded by TF and torchmeta) and resizing."""

from __future__ import annotations

import io

import numpy as np
import pytest

from tests.ops.harness import Sample, randn
from torchmeta.ops.image_ops import GRAY_TOLERANCE, JPEG_FAST_DCT_TOLERANCE

Image = pytest.importorskip("PIL.Image")
S = Sample
_rng = np.random.default_rng(7)


def _pixels(h, w, c, dtype=np.uint8):
    top = 65535 if dtype == np.uint16 else 255
    return _rng.integers(0, top + 1, size=(h, w, c)).astype(dtype)


def _file(array, fmt, mode=None, **kwargs) -> np.ndarray:
    image = Image.fromarray(array if array.shape[-1] != 1 else array[..., 0], mode=mode)
    out = io.BytesIO()
    image.save(out, format=fmt, **kwargs)
    value = np.empty((), dtype=object)
    value[()] = out.getvalue()
    return value


def _smooth(h, w):
    """A smooth RGB gradient: JPEG keeps it close, so decoders' rounding shows, not the codec's loss."""
    y, x = np.mgrid[0:h, 0:w]
    return np.stack(
        [x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 127 // max(h + w - 2, 1)], -1
    ).astype(np.uint8)


def _palette_png() -> np.ndarray:
    image = Image.fromarray(_pixels(5, 4, 3)).convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    out = io.BytesIO()
    image.save(out, format="PNG")
    value = np.empty((), dtype=object)
    value[()] = out.getvalue()
    return value


def _gif() -> np.ndarray:
    frames = [Image.fromarray(_smooth(6, 5)).convert("P"), Image.fromarray(255 - _smooth(6, 5)).convert("P")]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:])
    value = np.empty((), dtype=object)
    value[()] = out.getvalue()
    return value


_RGB_PNG = _file(_pixels(7, 5, 3), "PNG")
_RGBA_PNG = _file(_pixels(4, 6, 4), "PNG")
_GRAY_PNG = _file(_pixels(5, 5, 1), "PNG")
_GRAY16_PNG = _file(_pixels(3, 4, 1, np.uint16), "PNG")
_JPEG = _file(_smooth(16, 24), "JPEG", quality=90)
_NOISE_JPEG = _file(_pixels(9, 13, 3), "JPEG", quality=75)
_NOISE_JPEG_444 = _file(_pixels(9, 13, 3), "JPEG", quality=75, subsampling=0)
_GRAY_JPEG = _file(_smooth(8, 8)[..., :1], "JPEG", quality=90)

_decode = [
    S("DecodePng", {"contents": _RGB_PNG}),
    S("DecodePng", {"contents": _RGBA_PNG}, id="rgba"),
    S("DecodePng", {"contents": _RGBA_PNG}, {"channels": 3}, id="rgba-to-rgb"),
    S("DecodePng", {"contents": _GRAY_PNG}, {"channels": 3}, id="gray-to-rgb"),
    S("DecodePng", {"contents": _GRAY_PNG}, {"dtype": "dtype:uint16"}, id="gray-uint16"),
    S("DecodePng", {"contents": _GRAY16_PNG}, {"dtype": "dtype:uint16"}, id="gray16"),
    S("DecodePng", {"contents": _palette_png()}, id="palette"),
    S("DecodePng", {"contents": _RGB_PNG}, {"channels": 1}, id="rgb-to-gray", int_atol=GRAY_TOLERANCE),
    S("DecodeJpeg", {"contents": _JPEG}, int_atol=JPEG_FAST_DCT_TOLERANCE),
    # TF's accurate DCT is libjpeg's JDCT_ISLOW, the one Pillow uses: the same pixels.
    S("DecodeJpeg", {"contents": _JPEG}, {"dct_method": "INTEGER_ACCURATE"}, id="accurate"),
    S("DecodeJpeg", {"contents": _NOISE_JPEG}, {"dct_method": "INTEGER_ACCURATE"}, id="noise-accurate"),
    S("DecodeJpeg", {"contents": _NOISE_JPEG}, {"channels": 1, "dct_method": "INTEGER_ACCURATE"}, id="noise-gray"),
    S("DecodeJpeg", {"contents": _GRAY_JPEG}, id="gray", int_atol=JPEG_FAST_DCT_TOLERANCE),
    S("DecodeJpeg", {"contents": _GRAY_JPEG}, {"channels": 3}, id="gray-to-rgb", int_atol=JPEG_FAST_DCT_TOLERANCE),
    S("DecodeJpeg", {"contents": _JPEG}, {"ratio": 2}, id="ratio-2", int_atol=JPEG_FAST_DCT_TOLERANCE),
    S("DecodeImage", {"contents": _RGB_PNG}, {"expand_animations": False}, id="png"),
    S("DecodeImage", {"contents": _JPEG}, {"channels": 3}, id="jpeg", int_atol=JPEG_FAST_DCT_TOLERANCE),
    S("DecodeImage", {"contents": _RGB_PNG}, {"dtype": "dtype:float32"}, id="png-float"),
    S("DecodeImage", {"contents": _gif()}, id="gif"),
    S("DecodeGif", {"contents": _gif()}),
    S("DecodeBmp", {"contents": _file(_pixels(3, 5, 3), "BMP")}),
    S("ExtractJpegShape", {"contents": _NOISE_JPEG}),
    S("ExtractJpegShape", {"contents": _GRAY_JPEG}, {"output_type": "dtype:int64"}, id="gray-int64"),
    S(
        "DecodeAndCropJpeg",
        {"contents": _NOISE_JPEG_444, "crop_window": np.array([2, 3, 5, 7], np.int32)},
        {"dct_method": "INTEGER_ACCURATE"},
    ),
    S(
        "DecodeAndCropJpeg",
        {"contents": _JPEG, "crop_window": np.array([1, 0, 9, 16], np.int32)},
        {"dct_method": "INTEGER_ACCURATE", "channels": 1},
        id="gray-mcu-aligned",
    ),
    S(
        "DecodeAndCropJpeg",
        {"contents": _JPEG, "crop_window": np.array([3, 0, 10, 24], np.int32)},
        id="fast-dct",
        int_atol=JPEG_FAST_DCT_TOLERANCE,
    ),
    S(
        "DecodeAndCropJpeg",
        {"contents": _file(_pixels(9, 40, 3), "JPEG", quality=75), "crop_window": np.array([1, 18, 6, 12], np.int32)},
        {"dct_method": "INTEGER_ACCURATE"},
        id="subsampled-chroma-inner-edge",
        xfail="libjpeg decodes only the iMCU columns a crop needs and upsamples 2x-subsampled chroma with the "
        "crop's edge replicated; torchmeta crops the full decode, so chroma at an inner crop edge differs",
    ),
]


_IMG = randn(2, 5, 7, 3)
_resizes = []
for _op in ("ResizeBilinear", "ResizeNearestNeighbor"):
    for _size in ((9, 4), (3, 3), (10, 14), (1, 1)):
        for _align, _half in ((False, False), (True, False), (False, True)):
            _resizes.append(
                S(
                    _op,
                    {"images": _IMG, "size": np.array(_size, np.int32)},
                    {"align_corners": _align, "half_pixel_centers": _half},
                    id=f"{_size[0]}x{_size[1]}-{'align' if _align else 'half' if _half else 'legacy'}",
                )
            )
_resizes += [
    S("ResizeBilinear", {"images": _pixels(4, 6, 2)[None], "size": np.array([7, 3], np.int32)}, id="uint8"),
    S("ResizeNearestNeighbor", {"images": _pixels(4, 6, 2)[None], "size": np.array([7, 3], np.int32)}, id="uint8"),
    S(
        "ResizeBilinear",
        {"images": randn(1, 4, 4, 1, dtype=np.float64), "size": np.array([6, 2], np.int32)},
        id="double",
    ),
    S(
        "ResizeBilinear",
        {"images": randn(2, 4, 5, 3), "size": np.array([6, 2], np.int32)},
        fed={"images": [None, None, None, 3]},
        id="fed",
    ),
    S(
        "ResizeBilinearGrad",
        {"grads": randn(2, 9, 4, 3), "original_image": _IMG},
        {"half_pixel_centers": True},
        id="half",
        rtol=1e-5,
        atol=1e-5,
    ),
    S("ResizeBilinearGrad", {"grads": randn(2, 3, 10, 3), "original_image": _IMG}, id="legacy", atol=1e-5),
    S(
        "ResizeBilinearGrad",
        {"grads": randn(2, 9, 4, 3), "original_image": _IMG},
        {"align_corners": True},
        id="align",
        atol=1e-5,
    ),
    S("ResizeNearestNeighborGrad", {"grads": randn(2, 9, 4, 3), "size": np.array([5, 7], np.int32)}),
    S(
        "ResizeNearestNeighborGrad",
        {"grads": randn(2, 3, 10, 3), "size": np.array([5, 7], np.int32)},
        {"align_corners": True},
        id="align",
    ),
    S(
        "ResizeNearestNeighborGrad",
        {"grads": randn(2, 3, 10, 3), "size": np.array([5, 7], np.int32)},
        {"half_pixel_centers": True},
        id="half",
    ),
]

SAMPLES: list[Sample] = _decode + _resizes
