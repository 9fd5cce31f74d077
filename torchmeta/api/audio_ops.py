"""``tf.audio``: WAV encoding and decoding (the EncodeWav and DecodeWav ops)."""

from __future__ import annotations

import collections

from torchmeta.framework.op_def_library import raw_op

__all__ = ["encode_wav", "decode_wav"]

_DecodeWavOutput = collections.namedtuple("DecodeWav", ["audio", "sample_rate"])


def encode_wav(audio, sample_rate, name=None):
    """``tf.audio.encode_wav``: a [length, channels] float tensor as a 16-bit PCM WAV file (a scalar string)."""
    return raw_op("EncodeWav", audio=audio, sample_rate=sample_rate, name=name)


def decode_wav(contents, desired_channels=-1, desired_samples=-1, name=None):
    """``tf.audio.decode_wav``: (audio [length, channels] in [-1, 1), sample_rate) of a 16-bit PCM WAV file."""
    return _DecodeWavOutput(
        *raw_op(
            "DecodeWav",
            contents=contents,
            desired_channels=desired_channels,
            desired_samples=desired_samples,
            name=name,
        )
    )
