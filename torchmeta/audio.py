"""``tf.audio``: encode_wav and decode_wav."""

from torchmeta.api.audio_ops import *  # noqa: F403
