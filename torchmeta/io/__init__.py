"""torchmeta's file formats, read and written without TensorFlow.

- :mod:`torchmeta.io.tf_checkpoint`: TensorFlow V2 checkpoints (``.index`` + ``.data-*``), byte-identical
  to TensorFlow's; :mod:`torchmeta.io.sstable` and :mod:`torchmeta.io.tensor_slice` are its building blocks.
- :mod:`torchmeta.io.safetensors_checkpoint`: ``<prefix>.safetensors`` checkpoints (torchmeta's default).
- :mod:`torchmeta.io.checkpoint`: the table of checkpoint formats (:data:`FORMATS`, :func:`get_format`,
  :func:`register_format`), each with the same verbs (exists, open, write, merge), and
  :func:`detect_format` / :func:`open_checkpoint` for whichever format is on disk.
- :mod:`torchmeta.io.meta_graph`: ``.meta`` / ``.pb`` / ``.pbtxt`` files (binary, then text), with errors
  naming the file; ``write_graph`` is also TensorFlow's ``tf.io.write_graph``.
- :mod:`torchmeta.io.events`: TensorBoard event files.
- :mod:`torchmeta.io.tfrecord`: TFRecord files (``TFRecordWriter``, ``tf_record_iterator``), plain or
  ZLIB/GZIP-compressed, byte-identical to TensorFlow's.
- :mod:`torchmeta.io.atomic`: temp-file + rename writes.

Readers of both formats share one interface: ``keys()``, ``has_tensor``, ``get_variable_to_shape_map``,
``get_variable_to_dtype_map``, ``get_dtype``, ``get_shape``, ``get_tensor`` (numpy),
``get_tensor_torch`` (torch, memory-mapped or into ``out=``), ``get_slice``, ``get_tensor_slices``,
``nbytes``, ``verify`` (every check, nothing kept), ``debug_string``, ``close``.
"""

from torchmeta.io.atomic import atomic_write, atomic_write_bytes, atomic_write_text
from torchmeta.io.checkpoint import (
    FORMATS,
    CheckpointFormat,
    checkpoint_prefix,
    detect_format,
    get_format,
    open_checkpoint,
    register_format,
)
from torchmeta.io.meta_graph import write_graph
from torchmeta.io.safetensors_checkpoint import (
    SafetensorsReader,
    merge_safetensors,
    safetensors_filename,
    save_safetensors,
)
from torchmeta.io.tensor_slice import TensorSlice, parse_shape_and_slice
from torchmeta.io.tf_checkpoint import (
    BundleWriter,
    CheckpointReader,
    SavedSlice,
    data_filename,
    index_filename,
    merge_bundles,
    restore_v2,
    save_v2,
    write_bundle,
    write_sharded_bundle,
)
from torchmeta.io.tfrecord import TFRecordCompressionType, TFRecordOptions, TFRecordWriter, tf_record_iterator

__all__ = [
    "FORMATS",
    "BundleWriter",
    "CheckpointFormat",
    "CheckpointReader",
    "SafetensorsReader",
    "SavedSlice",
    "TFRecordCompressionType",
    "TFRecordOptions",
    "TFRecordWriter",
    "TensorSlice",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "checkpoint_prefix",
    "data_filename",
    "detect_format",
    "get_format",
    "index_filename",
    "merge_bundles",
    "merge_safetensors",
    "open_checkpoint",
    "parse_shape_and_slice",
    "register_format",
    "restore_v2",
    "safetensors_filename",
    "save_safetensors",
    "save_v2",
    "tf_record_iterator",
    "write_bundle",
    "write_graph",
    "write_sharded_bundle",
]
