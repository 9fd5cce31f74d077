"""Samples for the audio ops (WAV bytes compared exactly, decoded samples exactly)."""

from __future__ import annotations

import struct

import numpy as np

from tests.ops.harness import Sample

_rng = np.random.default_rng(21)


def _string(item):
    out = np.empty((), dtype=object)
    out[()] = item
    return out


def _wav(samples: np.ndarray, rate: int, extra: bytes = b"") -> np.ndarray:
    """A hand-made 16-bit PCM WAV file of [frames, channels] int16 samples (a JUNK chunk before "fmt ")."""
    frames, channels = samples.shape
    data = samples.astype("<i2").tobytes()
    fmt = struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * 2 * channels, 2 * channels, 16)
    body = b"WAVE" + extra + b"fmt " + fmt + b"data" + struct.pack("<I", len(data)) + data
    return _string(b"RIFF" + struct.pack("<I", len(body)) + body)


_AUDIO = _rng.uniform(-1.2, 1.2, (30, 2)).astype(np.float32)
_AUDIO[:4, 0] = [0.5 / 32768, -0.5 / 32768, 1.5 / 32768, -2.5 / 32768]  # roundf's halves
_PCM = _rng.integers(-32768, 32768, (11, 3)).astype(np.int16)

SAMPLES: list[Sample] = [
    Sample("EncodeWav", {"audio": _AUDIO, "sample_rate": np.array(44100, np.int32)}, grad=False),
    Sample("EncodeWav", {"audio": _AUDIO[:, :1], "sample_rate": np.array(8000, np.int32)}, id="mono", grad=False),
    Sample("DecodeWav", {"contents": _wav(_PCM, 16000)}, grad=False),
    Sample(
        "DecodeWav",
        {"contents": _wav(_PCM, 22050, extra=b"JUNK" + struct.pack("<I", 4) + b"abcd")},
        {"desired_channels": 5, "desired_samples": 14},
        id="pad-channels-and-samples",
        grad=False,
    ),
    Sample(
        "DecodeWav",
        {"contents": _wav(_PCM, 8000)},
        {"desired_channels": 1, "desired_samples": 4},
        id="crop",
        grad=False,
    ),
]
