"""``tf.nn``: neural-network functions."""

from torchmeta.api.nn_ops import *  # noqa: F403
