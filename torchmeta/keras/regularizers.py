"""``tf.keras.regularizers``: L1, L2, L1L2 (and l1, l2, l1_l2)."""

from torchmeta.api.regularizers import *  # noqa: F403
