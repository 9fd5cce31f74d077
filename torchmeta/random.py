"""``tf.random`` (TF1): the random ops under their ``tf.random.*`` names."""

from torchmeta.api.random_ops import (  # noqa: F401
    categorical,
    multinomial,
    random_shuffle,
    set_random_seed,
    truncated_normal,
)
from torchmeta.api.random_ops import random_normal as normal  # noqa: F401
from torchmeta.api.random_ops import random_shuffle as shuffle  # noqa: F401
from torchmeta.api.random_ops import random_uniform as uniform  # noqa: F401
