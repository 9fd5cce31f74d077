"""``tf.python_io`` (TF1): TFRecord files."""

from torchmeta.io.tfrecord import (  # noqa: F401
    TFRecordCompressionType,
    TFRecordOptions,
    TFRecordWriter,
    tf_record_iterator,
)
