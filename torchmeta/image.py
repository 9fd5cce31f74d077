"""``tf.image`` (TF1): codecs, resizing, crops and rotations, colour adjustments, boxes and NMS, image metrics."""

from torchmeta.api.image_metrics import *  # noqa: F403
from torchmeta.api.image_ops import *  # noqa: F403
from torchmeta.api.random_crop_ops import random_crop  # noqa: F401
