"""``tf.compat.v1.ragged.RaggedTensorValue``: a RaggedTensor's value fetched by ``Session.run`` (numpy row splits
and values, nested for ragged ranks above one), TF's python/ops/ragged/ragged_tensor_value.py."""

from __future__ import annotations

import numpy as np

__all__ = ["RaggedTensorValue"]


class RaggedTensorValue:
    """A ragged tensor's value: ``values`` (a numpy array or a RaggedTensorValue) split into rows by
    ``row_splits`` (a 1-D int32/int64 numpy array).

    Raises:
      TypeError / ValueError: on arguments TF rejects, with TF's wording.
    """

    def __init__(self, values, row_splits):
        if not (
            isinstance(row_splits, (np.ndarray, np.generic))
            and row_splits.dtype in (np.int64, np.int32)
            and row_splits.ndim == 1
        ):
            raise TypeError("row_splits must be a 1D int32 or int64 numpy array")
        if not isinstance(values, (np.ndarray, np.generic, RaggedTensorValue)):
            raise TypeError("values must be a numpy array or a RaggedTensorValue")
        if isinstance(values, RaggedTensorValue) and row_splits.dtype != values.row_splits.dtype:
            raise ValueError("row_splits and values.row_splits must have the same dtype")
        self._values = values
        self._row_splits = row_splits

    @property
    def row_splits(self):
        return self._row_splits

    @property
    def values(self):
        return self._values

    @property
    def dtype(self):
        return self._values.dtype

    @property
    def flat_values(self):
        rt_values = self.values
        while isinstance(rt_values, RaggedTensorValue):
            rt_values = rt_values.values
        return rt_values

    @property
    def nested_row_splits(self):
        rt_nested_splits = [self.row_splits]
        rt_values = self.values
        while isinstance(rt_values, RaggedTensorValue):
            rt_nested_splits.append(rt_values.row_splits)
            rt_values = rt_values.values
        return tuple(rt_nested_splits)

    @property
    def ragged_rank(self):
        return self._values.ragged_rank + 1 if isinstance(self._values, RaggedTensorValue) else 1

    @property
    def shape(self):
        return (self._row_splits.shape[0] - 1, None, *self._values.shape[1:])

    def __str__(self):
        return f"<tf.RaggedTensorValue {self.to_list()}>"

    def __repr__(self):
        return f"tf.RaggedTensorValue(values={self._values!r}, row_splits={self._row_splits!r})"

    def to_list(self):
        """The value as nested Python lists."""
        if isinstance(self._values, RaggedTensorValue):
            values_as_list = self._values.to_list()
        else:
            values_as_list = self._values.tolist()
        return [values_as_list[self._row_splits[i] : self._row_splits[i + 1]] for i in range(len(self._row_splits) - 1)]

    @classmethod
    def from_nested_row_splits(cls, flat_values, nested_row_splits):
        """A RaggedTensorValue of ``flat_values`` split by each of ``nested_row_splits`` (outermost first)."""
        result = flat_values
        for splits in reversed(nested_row_splits):
            result = cls(result, splits)
        return result
