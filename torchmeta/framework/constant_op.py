"""tf.constant: a Const op holding a TensorProto built as TensorFlow builds it."""

from __future__ import annotations

from torchmeta._proto import attr_value_pb2
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import tensor_util

__all__ = ["constant"]


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False) -> graph_lib.Tensor:
    """Creates a Const op (TF1's ``tf.constant``): a scalar ``value`` with a ``shape`` is repeated.

    Raises:
      TypeError: if ``value`` does not fit ``dtype`` or, with ``verify_shape``, ``shape``.
    """
    g = graph_lib.get_default_graph()
    proto = tensor_util.make_tensor_proto(value, dtype=dtype, shape=shape, verify_shape=verify_shape)
    dt = DType(proto.dtype)
    attrs = {
        "value": attr_value_pb2.AttrValue(tensor=proto),
        "dtype": attr_value_pb2.AttrValue(type=dt.value),
    }
    name = name or "Const"
    # A name ending in "/" is a scope returned by name_scope: the op takes it exactly (TF's rule).
    op_name = name[:-1] if name.endswith("/") else g.unique_name(name)
    op = g._create_op("Const", [], [dt], attrs, op_name)
    return op.outputs[0]


def is_constant(tensor) -> bool:
    return tensor.op.type == "Const"


graph_lib.register_constant_conversion(constant)
