"""SparseTensor: a tensor given by the ``indices`` and ``values`` of its non-default entries and a ``dense_shape``.

As in TensorFlow it is three graph tensors (int64 ``indices`` [N, rank], ``values`` [N], int64
``dense_shape`` [rank]). ``Session.run`` fetches one as a :class:`SparseTensorValue` and feeds one
from a SparseTensorValue (or an ``(indices, values, dense_shape)`` tuple).
"""

from __future__ import annotations

import collections

from torchmeta import dtypes
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.default_session import run_using_default_session
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.framework.tensor_util import constant_value_as_shape, register_tensor_type

__all__ = [
    "SparseTensor",
    "SparseTensorValue",
    "is_sparse",
    "convert_to_tensor_or_sparse_tensor",
]

SparseTensorValue = collections.namedtuple("SparseTensorValue", ["indices", "values", "dense_shape"])


@register_tensor_type
class SparseTensor:
    """``tf.SparseTensor(indices, values, dense_shape)``.

    Raises:
      ValueError: if the three tensors' static shapes do not fit together (TensorFlow's checks).
    """

    @classmethod
    def from_value(cls, sparse_tensor_value):
        if not is_sparse(sparse_tensor_value):
            raise TypeError(f"Neither a SparseTensor nor SparseTensorValue: {sparse_tensor_value}.")
        return SparseTensor(
            indices=sparse_tensor_value.indices,
            values=sparse_tensor_value.values,
            dense_shape=sparse_tensor_value.dense_shape,
        )

    def __init__(self, indices, values, dense_shape):
        with graph_lib.name_scope(None, "SparseTensor", [indices, values, dense_shape]):
            indices = graph_lib.convert_to_tensor(indices, name="indices", dtype=dtypes.DType.int64)
            values = graph_lib.convert_to_tensor(values, name="values")
            dense_shape = graph_lib.convert_to_tensor(dense_shape, name="dense_shape", dtype=dtypes.DType.int64)
            dense_shape_default = constant_value_as_shape(dense_shape)
        self._indices = indices
        self._values = values
        self._dense_shape = dense_shape
        self._dense_shape_default = dense_shape_default
        indices_shape = indices.shape.with_rank(2)
        values_shape = values.shape.with_rank(1)
        dense_shape_shape = dense_shape.shape.with_rank(1)
        indices_shape.dims[0].assert_is_compatible_with(values_shape.dims[0])
        indices_shape.dims[1].assert_is_compatible_with(dense_shape_shape.dims[0])

    @property
    def indices(self):
        return self._indices

    @property
    def values(self):
        return self._values

    @property
    def dense_shape(self):
        return self._dense_shape

    @property
    def dtype(self):
        return self._values.dtype

    @property
    def op(self):
        return self._values.op

    @property
    def graph(self):
        return self._indices.graph

    @property
    def shape(self) -> TensorShape:
        return self._dense_shape_default

    def get_shape(self) -> TensorShape:
        return self._dense_shape_default

    def set_shape(self, shape) -> None:
        """Narrows the static shape (the dense_shape tensor itself is unchanged), as TensorFlow's."""
        shape = TensorShape(shape) if not isinstance(shape, TensorShape) else shape
        self._dense_shape_default = self._dense_shape_default.merge_with(shape)

    def consumers(self):
        return sorted(
            {*self._indices.consumers(), *self._values.consumers(), *self._dense_shape.consumers()},
            key=lambda op: op._id,
        )

    def eval(self, feed_dict=None, session=None):
        """The SparseTensorValue of this tensor in ``session`` (default: the default session)."""
        return run_using_default_session(self, feed_dict, self.graph, session, "tensor")

    def __repr__(self):
        return f"SparseTensor(indices={self._indices}, values={self._values}, dense_shape={self._dense_shape})"

    def __str__(self):
        return self.__repr__()

    def __neg__(self):
        return SparseTensor(self._indices, -self._values, self._dense_shape)


def is_sparse(x) -> bool:
    """Whether ``x`` is a SparseTensor or a SparseTensorValue."""
    return isinstance(x, (SparseTensor, SparseTensorValue))


def convert_to_tensor_or_sparse_tensor(value, dtype=None, name=None):
    """A SparseTensor stays one (a SparseTensorValue becomes one); anything else becomes a Tensor."""
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    if isinstance(value, SparseTensorValue):
        value = SparseTensor.from_value(value)
    if isinstance(value, SparseTensor):
        if dtype and not dtype.is_compatible_with(value.dtype):
            raise RuntimeError(f"Sparse dtype: requested = {dtype}, actual = {value.dtype}")
        return value
    return graph_lib.convert_to_tensor(value, dtype=dtype, name=name)


def refuse_tensor_conversion(value, dtype=None, name=None, as_ref=False):
    """The conversion function of a composite tensor (SparseTensor, RaggedTensor): TF's error, as it cannot
    become one Tensor (TF's make_tensor_proto's, for a dtype asked for or not)."""
    if dtype is not None:
        raise TypeError(f"Expected {dtypes.as_dtype(dtype).name}, but got {value} of type '{type(value).__name__}'.")
    raise TypeError(
        f"Failed to convert elements of {value} to Tensor. Consider casting elements to a supported type. See "
        "https://www.tensorflow.org/api_docs/python/tf/dtypes for supported TF dtypes."
    )


graph_lib.register_tensor_conversion_function(SparseTensor, refuse_tensor_conversion)
