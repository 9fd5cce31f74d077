"""Summary ops: ScalarSummary, HistogramSummary, ImageSummary, AudioSummaryV2, MergeSummary, TensorSummaryV2 ->
serialized Summary protos.

The kernels build the same ``Summary`` bytes TensorFlow's kernels build (histograms use TF's default
exponential buckets and its run-length encoding of empty buckets), so TensorBoard reads them as usual. Image
summaries hold TF's pixels (its per-image normalization of float images) as PNG files written as TF's libpng
writes them (``image_ops.png_bytes``).
"""

from __future__ import annotations

import numpy as np

from torchmeta import errors
from torchmeta._proto import summary_pb2
from torchmeta.dtypes import torch_to_numpy
from torchmeta.framework import common_shapes, tensor_util
from torchmeta.framework.registry import not_differentiable, register_op
from torchmeta.ops.audio_ops import wav_bytes
from torchmeta.ops.common import invalid, string_scalar
from torchmeta.ops.image_ops import png_bytes

_REAL_TYPES = "{float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}"


def _as_numpy(values) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values
    return torch_to_numpy(values.detach().cpu())


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


@register_op(
    "ScalarSummary",
    inputs=["tags: string", "values: T"],
    outputs=["summary: string"],
    attrs=[f"T: {_REAL_TYPES}"],
    shape=common_shapes.scalar,
)
def scalar_summary(tags, values):
    tags = np.asarray(tags, dtype=object)
    vals = _as_numpy(values)
    if tags.shape != vals.shape:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"tags and values are not the same shape: [{','.join(map(str, tags.shape))}] != "
            f"[{','.join(map(str, vals.shape))}]",
        )
    summary = summary_pb2.Summary()
    for tag, value in zip(tags.reshape(-1), vals.reshape(-1).astype(np.float64)):
        summary.value.add(tag=_text(tag), simple_value=float(value))
    return string_scalar(summary.SerializeToString())


def _default_bucket_limits() -> np.ndarray:
    """TF's histogram buckets: 0 and +-1e-12 growing by 10% up to 1e20, then +-DBL_MAX."""
    positive = []
    v = 1.0e-12
    while v < 1.0e20:
        positive.append(v)
        v *= 1.1
    positive.append(np.finfo(np.float64).max)
    return np.array([-x for x in reversed(positive)] + [0.0] + positive, dtype=np.float64)


_BUCKET_LIMITS = _default_bucket_limits()


def histogram_proto(values: np.ndarray) -> summary_pb2.HistogramProto:
    """The HistogramProto TensorFlow's Histogram class encodes for ``values`` (empty runs collapsed)."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    proto = summary_pb2.HistogramProto()
    if values.size == 0:
        proto.min = np.finfo(np.float64).max
        proto.max = -np.finfo(np.float64).max
        counts = np.zeros(len(_BUCKET_LIMITS))
    else:
        proto.min = float(values.min())
        proto.max = float(values.max())
        idx = np.searchsorted(_BUCKET_LIMITS, values, side="right")
        counts = np.bincount(np.minimum(idx, len(_BUCKET_LIMITS) - 1), minlength=len(_BUCKET_LIMITS)).astype(np.float64)
    proto.num = float(values.size)
    # TF accumulates in element order; cumsum does too (sum() and dot() reorder and round differently).
    proto.sum = float(np.cumsum(values)[-1]) if values.size else 0.0
    proto.sum_squares = float(np.cumsum(values * values)[-1]) if values.size else 0.0
    limits, buckets = [], []
    i, n = 0, len(counts)
    while i < n:
        end, count = _BUCKET_LIMITS[i], counts[i]
        i += 1
        if count <= 0.0:
            while i < n and counts[i] <= 0.0:
                end, count = _BUCKET_LIMITS[i], counts[i]
                i += 1
        limits.append(float(end))
        buckets.append(float(count))
    proto.bucket_limit.extend(limits)
    proto.bucket.extend(buckets)
    return proto


@register_op(
    "HistogramSummary",
    inputs=["tag: string", "values: T"],
    outputs=["summary: string"],
    attrs=[f"T: {_REAL_TYPES} = DT_FLOAT"],
    shape=common_shapes.scalar,
)
def histogram_summary(tag, values, node_name):
    vals = _as_numpy(values).astype(np.float64)
    if not np.all(np.isfinite(vals)):
        raise errors.InvalidArgumentError(None, None, f"Nan in summary histogram for: {node_name}")
    summary = summary_pb2.Summary()
    summary.value.add(tag=_text(np.asarray(tag, dtype=object)[()]), histo=histogram_proto(vals))
    return string_scalar(summary.SerializeToString())


_ZERO_THRESHOLD = np.float32(1e-6)  # TF's kZeroThreshold, a float: an image this faint is all black


def _normalized_image(values: np.ndarray, bad_color: np.ndarray) -> np.ndarray:
    """TF's NormalizeFloatImage: one [h, w, depth] float image as uint8, scaled by its finite pixels' range
    (all >= 0: the largest to 255; else 0 to 128 and the largest magnitude to 127 away), in the image's own
    dtype; a pixel with a non-finite channel is ``bad_color``."""
    finite = np.isfinite(values).all(axis=-1)
    good = values[finite].astype(np.float32)  # TF takes the minimum and maximum in float
    low = float(good.min()) if good.size else np.inf
    high = float(good.max()) if good.size else -np.inf
    if low < 0:
        largest = np.float32(max(abs(low), abs(high)))
        scale, offset = (0.0 if largest < _ZERO_THRESHOLD else np.float32(127.0) / largest), 128.0
    else:
        scale, offset = (0.0 if np.float32(high) < _ZERO_THRESHOLD else np.float32(255.0) / np.float32(high)), 0.0
    t = values.dtype.type
    with np.errstate(invalid="ignore", over="ignore"):
        image = (values * t(np.float32(scale)) + t(offset)).astype(np.uint8)
    image[~finite] = bad_color
    return image


@register_op(
    "ImageSummary",
    inputs=["tag: string", "tensor: T"],
    outputs=["summary: string"],
    attrs=[
        "max_images: int >= 1 = 3",
        "T: {uint8, float, half, double} = DT_FLOAT",
        "bad_color: tensor = { dtype: DT_UINT8 tensor_shape { dim { size: 4 } } "
        "int_val: 255 int_val: 0 int_val: 0 int_val: 255 }",
    ],
    shape=common_shapes.scalar,
)
def image_summary(tag, tensor, max_images, bad_color):
    tags = np.asarray(tag, dtype=object)
    if tags.ndim != 0:
        raise invalid("Tags must be a scalar")
    images = _as_numpy(tensor)
    if images.ndim != 4 or images.shape[3] not in (1, 3, 4):
        raise invalid(f"Tensor must be 4-D with last dim 1, 3, or 4, not [{','.join(map(str, images.shape))}]")
    batch_size, h, w, depth = images.shape
    if h * w == 0:
        raise invalid(f"input tensor must have non-zero dims. Found: [{', '.join(map(str, images.shape))}].")
    color = np.asarray(bad_color, dtype=np.uint8)
    if images.dtype != np.uint8 and color.shape[0] < depth:
        raise invalid(f"expected depth <= bad_color.size, got depth = {depth}, bad_color.size = {color.shape[0]}")
    base = _text(tags[()])
    summary = summary_pb2.Summary()
    for i in range(min(max_images, batch_size)):
        # The tag depends on the number of images asked for, not on the number made.
        value = summary.value.add(tag=f"{base}/image/{i}" if max_images > 1 else f"{base}/image")
        pixels = images[i] if images.dtype == np.uint8 else _normalized_image(images[i], color[:depth])
        value.image.height, value.image.width, value.image.colorspace = h, w, depth
        value.image.encoded_image_string = png_bytes(pixels)
    return string_scalar(summary.SerializeToString())


@register_op(
    "AudioSummaryV2",
    inputs=["tag: string", "tensor: float", "sample_rate: float"],
    outputs=["summary: string"],
    attrs=["max_outputs: int >= 1 = 3"],
    shape=common_shapes.scalar,
)
def audio_summary_v2(tag, tensor, sample_rate, max_outputs):
    """Up to ``max_outputs`` clips of a [batch, frames(, channels)] tensor, each a WAV file (``wav_bytes``)
    at the sample rate rounded to an integer (at least 1)."""
    tags = np.asarray(tag, dtype=object)
    if tags.ndim > 1 or tags.size != 1:
        raise invalid("Tag must be a scalar")
    clips = _as_numpy(tensor)
    if clips.ndim not in (2, 3):
        raise invalid(f"Tensor must be 3-D or 2-D, got: [{','.join(map(str, clips.shape))}]")
    rate = np.float32(_as_numpy(sample_rate))
    if not rate > 0:
        raise invalid("sample_rate must be > 0")
    base = _text(tags.reshape(-1)[0])
    batch_size, frames = clips.shape[:2]
    channels = 1 if clips.ndim == 2 else clips.shape[2]
    clips = clips.reshape(batch_size, frames, channels)
    summary = summary_pb2.Summary()
    for i in range(min(max_outputs, batch_size)):
        value = summary.value.add(tag=f"{base}/audio/{i}" if max_outputs > 1 else f"{base}/audio")
        audio = value.audio
        audio.sample_rate, audio.num_channels, audio.length_frames = rate, channels, frames
        audio.content_type = "audio/wav"
        audio.encoded_audio_string = wav_bytes(clips[i], max(int(np.rint(rate)), 1))
    return string_scalar(summary.SerializeToString())


@register_op(
    "MergeSummary",
    inputs=["inputs: N * string"],
    outputs=["summary: string"],
    attrs=["N: int >= 1"],
    shape=common_shapes.scalar,
)
def merge_summary(inputs):
    merged = summary_pb2.Summary()
    seen = set()
    for serialized in inputs:
        for item in np.asarray(serialized, dtype=object).reshape(-1):
            part = summary_pb2.Summary()
            try:
                part.ParseFromString(bytes(item))
            except Exception as e:  # protobuf's DecodeError
                raise errors.InvalidArgumentError(None, None, f"Could not parse one of the summary inputs: {e}") from e
            for value in part.value:
                if value.tag:
                    if value.tag in seen:
                        raise errors.InvalidArgumentError(
                            None, None, f"Duplicate tag {value.tag} found in summary inputs "
                        )
                    seen.add(value.tag)
                merged.value.add().CopyFrom(value)
    return string_scalar(merged.SerializeToString())


@register_op(
    "TensorSummaryV2",
    inputs=["tag: string", "tensor: T", "serialized_summary_metadata: string"],
    outputs=["summary: string"],
    attrs=["T: type"],
    shape=common_shapes.scalar,
)
def tensor_summary_v2(tag, tensor, serialized_summary_metadata, T):
    summary = summary_pb2.Summary()
    value = summary.value.add(tag=_text(np.asarray(tag, dtype=object)[()]))
    value.metadata.ParseFromString(bytes(np.asarray(serialized_summary_metadata, dtype=object)[()]))
    array = tensor if isinstance(tensor, np.ndarray) else torch_to_numpy(tensor.detach().cpu(), T)
    value.tensor.CopyFrom(tensor_util.make_tensor_proto(array, dtype=T))
    return string_scalar(summary.SerializeToString())


not_differentiable(
    "ScalarSummary", "HistogramSummary", "ImageSummary", "AudioSummaryV2", "MergeSummary", "TensorSummaryV2"
)
