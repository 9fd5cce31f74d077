"""``tf.metrics`` (TF1): streaming metrics over local variables, each with its update op."""

from torchmeta.api.metrics import *  # noqa: F403
