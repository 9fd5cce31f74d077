"""``tf.strings`` (TF1): string conversion functions."""

from torchmeta.api.parsing_ops import string_to_number as to_number  # noqa: F401
