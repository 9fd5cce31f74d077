"""``tf.strings`` (TF1): string conversion functions."""

from torchmeta.api.parsing_ops import string_to_number as to_number  # noqa: F401
from torchmeta.api.string_ops import (  # noqa: F401
    length,
    lower,
    regex_full_match,
    regex_replace,
    strip,
    to_hash_bucket_fast,
    upper,
)
