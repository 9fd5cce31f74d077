"""``tf.quantization`` (TF1): fake quantization."""

from torchmeta.api.fake_quant_ops import *  # noqa: F403
