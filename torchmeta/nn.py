"""``tf.nn``: neural-network functions."""

from torchmeta.api.candidate_sampling_ops import *  # noqa: F403
from torchmeta.api.nn_ops import *  # noqa: F403
