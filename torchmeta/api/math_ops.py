"""``tf.*`` math functions and the Tensor operator overloads."""

from __future__ import annotations

from torchmeta.framework import graph as graph_lib
from torchmeta.framework.op_def_library import raw_op

__all__ = ["add", "matmul"]


def add(x, y, name=None):
    """``tf.add`` (an AddV2 node)."""
    with graph_lib.name_scope(name, "Add", [x, y]) as name:
        x = graph_lib.convert_to_tensor(x, name="x")
        y = graph_lib.convert_to_tensor(y, dtype=x.dtype.base_dtype, name="y")
        return raw_op("AddV2", x=x, y=y, name=name)


def matmul(a, b, transpose_a=False, transpose_b=False, name=None):
    """``tf.matmul`` for 2-D operands."""
    with graph_lib.name_scope(name, "MatMul", [a, b]) as name:
        a = graph_lib.convert_to_tensor(a, name="a")
        b = graph_lib.convert_to_tensor(b, dtype=a.dtype.base_dtype, name="b")
        return raw_op("MatMul", a=a, b=b, transpose_a=transpose_a, transpose_b=transpose_b, name=name)
