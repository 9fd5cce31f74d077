"""``tf.image`` (TF1): image decoding, encoding, resizing and standardization."""

from torchmeta.api.image_ops import *  # noqa: F403
