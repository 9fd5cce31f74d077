"""Shared shape functions: ``fn(op) -> [TensorShape per output]``, raising ValueError like TF."""

from __future__ import annotations

from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.framework.tensor_util import constant_value

__all__ = [
    "resource_handle_shape",
    "unchanged",
    "scalar",
    "unknown",
    "broadcast_binary",
    "broadcast_shapes",
    "from_attr",
    "no_outputs",
    "reduction",
    "all_unchanged",
]


def unchanged(op):
    """One output shaped like the first input."""
    return [op.inputs[0].shape]


def all_unchanged(op):
    """Output i shaped like input i (IdentityN)."""
    return [t.shape for t in op.inputs]


def scalar(op):
    return [TensorShape([])] * len(op.outputs)


def unknown(op):
    return [unknown_shape()] * len(op.outputs)


def no_outputs(op):
    return []


def from_attr(attr: str):
    """Output shaped by a ``shape`` attr (Placeholder, VariableV2, VarHandleOp's handle is a scalar)."""

    def fn(op):
        return [TensorShape(op.get_attr(attr))]

    fn.__name__ = f"from_attr_{attr}"
    return fn


def broadcast_shapes(a: TensorShape, b: TensorShape, op=None) -> TensorShape:
    """Numpy broadcasting of two static shapes (TF's BroadcastBinaryOpShapeFn)."""
    if a.rank is None or b.rank is None:
        return unknown_shape()
    da, db = list(a.as_tuple()), list(b.as_tuple())
    n = max(len(da), len(db))
    da = [1] * (n - len(da)) + da
    db = [1] * (n - len(db)) + db
    out = []
    for x, y in zip(da, db):
        if x == 1:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif x is None or y is None:
            out.append(x if y is None else y)
        elif x == y:
            out.append(x)
        else:
            where = f" for '{op.name}' (op: '{op.type}')" if op is not None else ""
            raise ValueError(
                f"Dimensions must be equal, but are {x} and {y}{where} with input shapes: {_fmt(a)}, {_fmt(b)}."
            )
    return TensorShape(out)


def _fmt(shape: TensorShape) -> str:
    if shape.rank is None:
        return "?"
    return "[" + ",".join("?" if d is None else str(d) for d in shape.as_tuple()) + "]"


def broadcast_binary(op):
    return [broadcast_shapes(op.inputs[0].shape, op.inputs[1].shape, op)]


def reduction(op):
    """Reductions over ``reduction_indices`` (input 1) with the ``keep_dims`` attr."""
    shape = op.inputs[0].shape
    keep = op.get_attr("keep_dims")
    axes = constant_value(op.inputs[1])
    if shape.rank is None:
        return [unknown_shape()]
    if axes is None:
        if keep:
            return [unknown_shape(shape.rank)]
        return [unknown_shape()]
    rank = shape.rank
    raw = [int(a) for a in axes.reshape(-1)]
    for a in raw:
        if not -rank <= a < rank:
            raise ValueError(f"Invalid reduction dimension {a} for input with {rank} dimensions.")
    axes = {a % rank for a in raw}
    dims = shape.as_tuple()
    if keep:
        return [TensorShape([1 if i in axes else d for i, d in enumerate(dims)])]
    return [TensorShape([d for i, d in enumerate(dims) if i not in axes])]


# Ops that pass a resource handle through unchanged (TF carries the variable's shape along as handle data).
_HANDLE_FORWARDING = {"Identity", "Switch", "RefSwitch", "Enter", "Exit", "NextIteration", "Merge"}


def resource_handle_shape(handle) -> TensorShape:
    """The shape of the variable a resource handle points to (TF's handle data), unknown when not traced.

    Follows the handle through pass-through ops and through function arguments that captured it
    (a graph's ``_handle_shapes``: placeholder id -> shape).
    """
    t = handle
    for _ in range(1000):
        op = t.op
        if op.type == "VarHandleOp":
            return TensorShape(op.get_attr("shape"))
        shapes = getattr(op.graph, "_handle_shapes", None)
        if shapes and id(t) in shapes:
            return shapes[id(t)]
        if op.type in _HANDLE_FORWARDING and op.inputs:
            t = op.inputs[0]
            continue
        break
    return unknown_shape()
