"""``tf.summary`` (TF1)."""

from torchmeta.api.summary_ops import (  # noqa: F401
    Event,
    FileWriter,
    FileWriterCache,
    SessionLog,
    Summary,
    SummaryDescription,
    TaggedRunMetadata,
    all_v2_summary_ops,
    audio,
    get_summary_description,
    histogram,
    image,
    merge,
    merge_all,
    scalar,
    tensor_summary,
    text,
)
