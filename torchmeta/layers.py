"""``tf.layers`` (TF1): layer classes and the functions that apply them once."""

from torchmeta.api.layers.base import InputSpec, Layer  # noqa: F401
from torchmeta.api.layers.convolutional import *  # noqa: F403
from torchmeta.api.layers.core import Dense, Dropout, Flatten, dense, dropout, flatten  # noqa: F401
from torchmeta.api.layers.normalization import *  # noqa: F403
from torchmeta.api.layers.pooling import *  # noqa: F403
