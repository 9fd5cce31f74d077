"""``tf.bitwise``: AND, OR, XOR, NOT and shifts of integer tensors."""

from torchmeta.api.bitwise_ops import *  # noqa: F403
