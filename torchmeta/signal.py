"""``tf.signal`` (and TF1's ``tf.spectral``): the FFTs."""

from torchmeta.api.spectral_ops import *  # noqa: F403
