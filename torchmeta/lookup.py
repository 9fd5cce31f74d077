"""``tf.lookup`` (TF1, ``tf.compat.v1.lookup``): static tables and their initializers, the mutable tables of
``tf.lookup.experimental`` (MutableHashTable, DenseHashTable); also the
``tf.contrib.lookup``-era ``index_table_from_*`` / ``index_to_string_table_from_*`` functions, which TF 2.21 keeps
in ``tensorflow.python.ops.lookup_ops`` without a public name."""

import types as _types

from torchmeta.api.lookup_ops import DenseHashTable as _DenseHashTable
from torchmeta.api.lookup_ops import (  # noqa: F401
    FastHashSpec,
    HasherSpec,
    IdTableWithHashBuckets,
    KeyValueTensorInitializer,
    StaticHashTable,
    StaticVocabularyTable,
    StrongHashSpec,
    TextFileIndex,
    TextFileInitializer,
    index_table_from_file,
    index_table_from_tensor,
    index_to_string_table_from_file,
    index_to_string_table_from_tensor,
)
from torchmeta.api.lookup_ops import MutableHashTable as _MutableHashTable

experimental = _types.SimpleNamespace(DenseHashTable=_DenseHashTable, MutableHashTable=_MutableHashTable)
