"""``tf.summary`` (TF1)."""

from torchmeta.api.summary_ops import (  # noqa: F401
    Event,
    FileWriter,
    FileWriterCache,
    SessionLog,
    Summary,
    audio,
    histogram,
    image,
    merge,
    merge_all,
    scalar,
    tensor_summary,
    text,
)
