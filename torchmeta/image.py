"""``tf.image`` (TF1): image decoding, encoding, resizing, standardization and random crops."""

from torchmeta.api.image_ops import *  # noqa: F403
from torchmeta.api.random_crop_ops import random_crop  # noqa: F401
