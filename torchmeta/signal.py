"""``tf.signal`` (and TF1's ``tf.spectral``): the FFTs, windows, framing and fftshift."""

from torchmeta.api.signal_ops import *  # noqa: F403
from torchmeta.api.spectral_ops import *  # noqa: F403
