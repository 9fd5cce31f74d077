"""Math ops: element-wise arithmetic, comparisons, matrix products, casts and reductions."""

from __future__ import annotations

import torch

from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.ops import shapes
from torchmeta.ops.registry import register_op

_ADD_TYPES = (
    "T: {bfloat16, half, float, double, uint8, uint16, uint32, uint64, int8, int16, int32, int64, complex64, "
    "complex128, string}"
)


@register_op(
    "AddV2",
    inputs=["x: T", "y: T"],
    outputs=["z: T"],
    attrs=[_ADD_TYPES.replace(", string}", "}")],
    shape=shapes.broadcast_binary,
    commutative=True,
    aggregate=True,
)
def add_v2(x, y):
    return torch.add(x, y)


def _matmul_shape(op):
    a, b = op.inputs[0].shape, op.inputs[1].shape
    if a.rank is None or b.rank is None:
        return [unknown_shape(2)]
    a = a.with_rank(2)
    b = b.with_rank(2)
    ta, tb = op.get_attr("transpose_a"), op.get_attr("transpose_b")
    m, k1 = (a[1], a[0]) if ta else (a[0], a[1])
    k2, n = (b[1], b[0]) if tb else (b[0], b[1])
    if not k1.is_compatible_with(k2):
        raise ValueError(
            f"Dimensions must be equal, but are {k1} and {k2} for '{op.name}' (op: 'MatMul') with input shapes: "
            f"[{','.join(str(d) for d in a)}], [{','.join(str(d) for d in b)}]."
        )
    return [TensorShape([m, n])]


@register_op(
    "MatMul",
    inputs=["a: T", "b: T"],
    outputs=["product: T"],
    attrs=[
        "transpose_a: bool = false",
        "transpose_b: bool = false",
        "T: {bfloat16, half, float, double, int32, int64, uint8, uint16, uint32, uint64, complex64, complex128}",
        "grad_a: bool = false",
        "grad_b: bool = false",
    ],
    shape=_matmul_shape,
)
def mat_mul(a, b, transpose_a, transpose_b):
    if transpose_a:
        a = a.t()
    if transpose_b:
        b = b.t()
    return torch.mm(a, b)
