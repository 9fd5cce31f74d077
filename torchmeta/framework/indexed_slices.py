"""IndexedSlices: the sparse gradient of gather-like ops (rows ``indices`` of a dense tensor)."""

from __future__ import annotations

import collections

from torchmeta import dtypes
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.framework.tensor_util import constant_value_as_shape, register_tensor_type

__all__ = ["IndexedSlices", "IndexedSlicesValue", "convert_to_tensor_or_indexed_slices"]

# What Session.run returns for a fetched IndexedSlices (TF's namedtuple).
IndexedSlicesValue = collections.namedtuple("IndexedSlicesValue", ["values", "indices", "dense_shape"])


@register_tensor_type
class IndexedSlices:
    """``values[i]`` is row ``indices[i]`` of a tensor of shape ``dense_shape`` (rows may repeat: they add)."""

    def __init__(self, values, indices, dense_shape=None):
        self._values = values
        self._indices = indices
        self._dense_shape = dense_shape

    @property
    def values(self):
        return self._values

    @property
    def indices(self):
        return self._indices

    @property
    def dense_shape(self):
        return self._dense_shape

    @property
    def dtype(self):
        return self._values.dtype

    @property
    def name(self):
        return self._values.name

    @property
    def op(self):
        return self._values.op

    @property
    def graph(self):
        return self._values.graph

    @property
    def device(self):
        return self._values.device

    @property
    def shape(self):
        if self._dense_shape is None:
            return TensorShape([None]).concatenate(self._values.shape[1:])
        return constant_value_as_shape(self._dense_shape)

    def get_shape(self):
        return self.shape

    def __repr__(self):
        return f"IndexedSlices(indices={self._indices}, values={self._values}, dense_shape={self._dense_shape})"

    def __neg__(self):
        return IndexedSlices(raw_op("Neg", x=self._values), self._indices, self._dense_shape)


def _indexed_slices_to_tensor(value, dtype=None, name=None, as_ref=False):
    """Densifies with UnsortedSegmentSum, as TF does when an op needs a dense gradient."""
    if dtype is not None and not dtypes.as_dtype(dtype).is_compatible_with(value.dtype):
        raise ValueError(
            f"Incompatible tensor conversion requested to `dtype` {dtypes.as_dtype(dtype).name} for IndexedSlices "
            f"({value}) with dtype {value.dtype.name}"
        )
    if value.dense_shape is None:
        raise ValueError(f"Tensor conversion requested for IndexedSlices without dense_shape: {value!s}")
    # TF's dense_shape[0]: Tensor.__getitem__ (installed by the api builders) names it "strided_slice".
    num_rows = value.dense_shape[0]
    return raw_op("UnsortedSegmentSum", data=value.values, segment_ids=value.indices, num_segments=num_rows, name=name)


graph_lib.register_tensor_conversion_function(IndexedSlices, _indexed_slices_to_tensor)


def convert_to_tensor_or_indexed_slices(value, dtype=None, name=None):
    if isinstance(value, IndexedSlices):
        return value
    return graph_lib.convert_to_tensor(value, dtype=dtype, name=name)
