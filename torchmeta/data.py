"""``tf.data`` (TF1 graph mode): ``Dataset``, ``Iterator`` and ``tf.data.experimental``."""

import types as _types

from torchmeta.api.dataset_ops import (  # noqa: F401
    AUTOTUNE,
    Dataset,
    FixedLengthRecordDataset,
    Iterator,
    TextLineDataset,
    TFRecordDataset,
    get_output_classes,
    get_output_shapes,
    get_output_types,
    make_initializable_iterator,
    make_one_shot_iterator,
)
from torchmeta.api.dataset_ops import map_and_batch as _map_and_batch
from torchmeta.api.dataset_ops import parallel_interleave as _parallel_interleave
from torchmeta.api.dataset_ops import scan as _scan
from torchmeta.api.dataset_ops import shuffle_and_repeat as _shuffle_and_repeat
from torchmeta.api.dataset_ops import unbatch as _unbatch

experimental = _types.SimpleNamespace(
    AUTOTUNE=AUTOTUNE,
    unbatch=_unbatch,
    shuffle_and_repeat=_shuffle_and_repeat,
    scan=_scan,
    map_and_batch=_map_and_batch,
    parallel_interleave=_parallel_interleave,
)
