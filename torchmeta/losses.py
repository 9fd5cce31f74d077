"""``tf.losses`` (TF1): weighted losses collected in LOSSES, and the regularization/total-loss helpers."""

from torchmeta.api.losses import *  # noqa: F403
