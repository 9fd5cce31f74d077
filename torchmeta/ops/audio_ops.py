"""Audio ops: EncodeWav and DecodeWav, 16-bit PCM WAV files byte for byte as TensorFlow's wav_io writes and
reads them (``wav_bytes`` is also what AudioSummaryV2 stores)."""

from __future__ import annotations

import struct

import numpy as np
import torch

from torchmeta.dtypes import torch_to_numpy
from torchmeta.framework import common_shapes
from torchmeta.framework.registry import no_registered_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid, string_scalar

_UINT32_MAX = 2**32 - 1
# Chunks wav_io skips between "WAVE" and "fmt " (padding and broadcast-WAV metadata).
_SKIPPED_CHUNKS = {b"JUNK", b"bext", b"iXML", b"qlty", b"mext", b"levl", b"link", b"axml"}


def wav_bytes(audio: np.ndarray, sample_rate: int) -> bytes:
    """A [frames, channels] float32 array as a 16-bit PCM WAV file: TF's 44-byte header, then each sample
    clamped to round(x * 32768) in [-32768, 32767] (C's roundf: halves away from zero), little-endian."""
    frames, channels = audio.shape
    if sample_rate <= 0 or sample_rate > _UINT32_MAX:
        raise invalid(f"sample_rate must be in (0, 2^32), got: {sample_rate}")
    if channels == 0 or channels > 0xFFFF:
        raise invalid(f"num_channels must be in (0, 2^16), got: {channels}")
    data_size = frames * channels * 2
    if 44 + data_size > _UINT32_MAX:
        raise invalid("Provided channels and frames cannot be encoded as a WAV.")
    scaled = audio.astype(np.float32) * np.float32(32768.0)
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + np.float32(0.5))  # roundf, in float32
    samples = np.clip(rounded, -32768, 32767).astype("<i2")
    header = b"RIFF" + struct.pack("<I", 36 + data_size) + b"WAVE"
    header += b"fmt " + struct.pack(
        "<IHHIIHH", 16, 1, channels, sample_rate, sample_rate * 2 * channels, 2 * channels, 16
    )
    header += b"data" + struct.pack("<I", data_size)
    return header + samples.tobytes()


def _encode_wav_shape(op):
    common_shapes.with_rank(op, op.inputs[0].shape, 2)
    common_shapes.with_rank(op, op.inputs[1].shape, 0)
    return [TensorShape([])]


@register_op(
    "EncodeWav",
    inputs=["audio: float", "sample_rate: int32"],
    outputs=["contents: string"],
    attrs=[],
    shape=_encode_wav_shape,
)
def encode_wav(audio, sample_rate):
    if audio.dim() != 2:
        raise invalid(f"audio must be 2-dimensional{list(audio.shape)}")
    if sample_rate.dim() != 0:
        raise invalid(f"Input sample_rate should be a scalar tensor, got {list(sample_rate.shape)} instead.")
    return string_scalar(wav_bytes(torch_to_numpy(audio.detach().cpu()), int(sample_rate)))


class _Reader:
    """wav_io's bounds-checked reads over the file's bytes."""

    def __init__(self, data: bytes):
        self.data, self.offset = data, 0

    def advance(self, n: int) -> int:
        start = self.offset
        if start > len(self.data):
            raise invalid(f"Initial offset is outside data range: {start}")
        if start + n > len(self.data):
            raise invalid("Data too short when trying to read string")
        self.offset = start + n
        return start

    def text(self, n: int = 4) -> bytes:
        start = self.advance(n)
        return self.data[start : start + n]

    def expect(self, text: bytes) -> None:
        found = self.text(len(text))
        if found != text:
            raise invalid(f"Header mismatch: Expected {text.decode()} but found {found.decode('latin-1')}")

    def value(self, fmt: str) -> int:
        size = struct.calcsize(fmt)
        start = self.advance(size)
        return struct.unpack_from(fmt, self.data, start)[0]


def _decode(data: bytes):
    """(float32 [frames * channels], frames, channels, sample_rate), with wav_io's checks and messages."""
    r = _Reader(data)
    r.expect(b"RIFF")
    r.value("<I")
    r.expect(b"WAVE")
    found = r.text()
    while found != b"fmt ":
        if found not in _SKIPPED_CHUNKS:
            raise invalid(f"Unexpected field {found.decode('latin-1')}")
        r.advance(r.value("<I"))
        found = r.text()
    chunk_size = r.value("<I")
    if chunk_size not in (16, 18):
        raise invalid(f"Bad format chunk size for WAV: Expected 16 or 18, but got{chunk_size}")
    audio_format = r.value("<H")
    if audio_format != 1:
        raise invalid(f"Bad audio format for WAV: Expected 1 (PCM), but got{audio_format}")
    channels = r.value("<H")
    if channels < 1:
        raise invalid(f"Bad number of channels for WAV: Expected at least 1, but got {channels}")
    sample_rate = r.value("<I")
    bytes_per_second = r.value("<I")
    bytes_per_sample = r.value("<H")
    bits_per_sample = r.value("<H")
    if bits_per_sample != 16:
        raise invalid(f"Can only read 16-bit WAV files, but received {bits_per_sample}")
    expected = (bits_per_sample * channels + 7) // 8
    if bytes_per_sample != expected:
        raise invalid(f"Bad bytes per sample in WAV header: Expected {expected} but got {bytes_per_sample}")
    if bytes_per_second != (bytes_per_sample * sample_rate) & _UINT32_MAX:
        raise invalid(
            f"Bad bytes per second in WAV header: Expected {(bytes_per_sample * sample_rate) & _UINT32_MAX} but got "
            f"{bytes_per_second} (sample_rate={sample_rate}, bytes_per_sample={bytes_per_sample})"
        )
    if chunk_size == 18:
        r.offset += 2
    samples, frames = None, 0
    while r.offset < len(data):
        chunk_id = r.text()
        size = r.value("<I")
        if size > 2**31 - 1:
            raise invalid(
                f"WAV data chunk '{chunk_id.decode('latin-1')}' is too large: {size} bytes, but the limit is 2147483647"
            )
        if chunk_id == b"data":
            if samples is not None:
                raise invalid("More than one data chunk found in WAV")
            frames = size // bytes_per_sample
            start = r.advance(2 * frames * channels)
            samples = np.frombuffer(data, "<i2", frames * channels, start).astype(np.float32) / np.float32(32768.0)
        else:
            r.offset += size
    if samples is None:
        raise invalid("No data chunk found in WAV")
    return samples, frames, channels, sample_rate


def _decode_wav_shape(op):
    common_shapes.with_rank(op, op.inputs[0].shape, 0)
    dims = []
    for attr, what in (("desired_samples", "samples"), ("desired_channels", "channels")):
        value = op.get_attr(attr)
        if value < -1:
            raise common_shapes.shape_error(op, f"{what} must be non-negative, got {value}")
        dims.append(None if value == -1 else value)
    return [TensorShape(dims), TensorShape([])]


@register_op(
    "DecodeWav",
    inputs=["contents: string"],
    outputs=["audio: float", "sample_rate: int32"],
    attrs=["desired_channels: int = -1", "desired_samples: int = -1"],
    shape=_decode_wav_shape,
)
def decode_wav(contents, desired_channels, desired_samples):
    contents = np.asarray(contents, dtype=object)
    if contents.ndim != 0:
        raise invalid(f"contents must be scalar, got shape [{','.join(map(str, contents.shape))}]")
    samples, frames, channels, sample_rate = _decode(bytes(contents[()]))
    if desired_channels < -1:
        raise invalid(f"desired_channels must be >= -1, got {desired_channels}")
    if desired_samples < -1:
        raise invalid(f"desired_samples must be >= -1, got {desired_samples}")
    out_frames = frames if desired_samples == -1 else desired_samples
    out_channels = channels if desired_channels == -1 else desired_channels
    decoded = samples.reshape(frames, channels)
    # Extra channels repeat the last one; extra frames are zeros.
    picked = decoded[:, np.minimum(np.arange(out_channels), channels - 1)][:out_frames]
    audio = np.zeros((out_frames, out_channels), np.float32)
    audio[: picked.shape[0]] = picked
    return torch.from_numpy(audio), torch.tensor(int(np.uint32(sample_rate).view(np.int32)), dtype=torch.int32)


no_registered_gradient("EncodeWav", "DecodeWav")
