"""``tf.saved_model.utils``: TensorInfo protos for the tensors of a SignatureDef, and back."""

from __future__ import annotations

from torchmeta._proto import meta_graph_pb2, types_pb2
from torchmeta.dtypes import as_dtype
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.sparse_tensor import SparseTensor
from torchmeta.framework.tensor_shape import unknown_shape

__all__ = [
    "build_tensor_info",
    "build_tensor_info_from_op",
    "get_tensor_from_tensor_info",
    "get_element_from_tensor_info",
]


def build_tensor_info(tensor) -> meta_graph_pb2.TensorInfo:
    """The TensorInfo of a Tensor (its name, dtype and static shape) or of a SparseTensor (its three tensors).

    Example:
      >>> info = build_tensor_info(x)  # doctest: +SKIP
      >>> info.name, info.dtype  # doctest: +SKIP
      ('x:0', 1)
    """
    tensor_info = meta_graph_pb2.TensorInfo(
        dtype=as_dtype(tensor.dtype).as_datatype_enum, tensor_shape=tensor.get_shape().as_proto()
    )
    if isinstance(tensor, SparseTensor):
        tensor_info.coo_sparse.values_tensor_name = tensor.values.name
        tensor_info.coo_sparse.indices_tensor_name = tensor.indices.name
        tensor_info.coo_sparse.dense_shape_tensor_name = tensor.dense_shape.name
    else:
        tensor_info.name = tensor.name
    return tensor_info


def build_tensor_info_from_op(op) -> meta_graph_pb2.TensorInfo:
    """A TensorInfo naming an Operation (dtype DT_INVALID, unknown shape): how init and train ops are stored."""
    return meta_graph_pb2.TensorInfo(dtype=types_pb2.DT_INVALID, tensor_shape=unknown_shape().as_proto(), name=op.name)


def get_tensor_from_tensor_info(tensor_info, graph=None, import_scope=None):
    """The Tensor or SparseTensor of ``graph`` (default: the default graph) that ``tensor_info`` describes.

    Raises:
      KeyError: if a named tensor is not in the graph (TensorFlow's behaviour).
      ValueError: for a TensorInfo without a supported encoding.
    """
    graph = graph or graph_lib.get_default_graph()

    def get(name):
        return graph.get_tensor_by_name(graph_lib.prepend_name_scope(name, import_scope))

    encoding = tensor_info.WhichOneof("encoding")
    if encoding == "name":
        return get(tensor_info.name)
    if encoding == "coo_sparse":
        sparse = tensor_info.coo_sparse
        return SparseTensor(
            get(sparse.indices_tensor_name), get(sparse.values_tensor_name), get(sparse.dense_shape_tensor_name)
        )
    raise ValueError(
        f"Invalid TensorInfo.encoding: {encoding}. Expected `coo_sparse`, `composite_tensor`, or `name` for a "
        "dense tensor."
    )


def get_element_from_tensor_info(tensor_info, graph=None, import_scope=None):
    """The Operation or Tensor of ``graph`` that ``tensor_info`` names (KeyError if there is none)."""
    graph = graph or graph_lib.get_default_graph()
    return graph.as_graph_element(graph_lib.prepend_name_scope(tensor_info.name, import_scope))
