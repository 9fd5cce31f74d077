"""``tf.keras`` (the part TF1 model code uses with tf.layers and get_variable): regularizers."""

from torchmeta.keras import regularizers  # noqa: F401
