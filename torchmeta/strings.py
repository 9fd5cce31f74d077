"""``tf.strings`` (TF1): string conversion functions."""

from torchmeta.api.parsing_ops import string_to_number as to_number  # noqa: F401
from torchmeta.api.ragged_string_ops import ngrams, unicode_decode, unicode_encode, unicode_split  # noqa: F401
from torchmeta.api.ragged_string_ops import strings_split_v1 as split  # noqa: F401
from torchmeta.api.string_ops import (  # noqa: F401
    as_string,
    length,
    lower,
    reduce_join,
    regex_full_match,
    regex_replace,
    strip,
    substr,
    to_hash_bucket,
    to_hash_bucket_fast,
    to_hash_bucket_strong,
    unicode_transcode,
    upper,
)
from torchmeta.api.string_ops import string_join as join  # noqa: F401
