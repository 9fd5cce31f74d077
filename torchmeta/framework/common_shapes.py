"""Shape inference shared by the op families: shape rules, TF's checks and TF 2.21's error wording.

A shape function is ``fn(op) -> [TensorShape per output]``. Its errors are ValueErrors worded like
TensorFlow's ``InferenceContext``: ``<what is wrong> for '{{node X}} = Op[attrs](inputs)' with input
shapes: [2,3], [3].``, built by ``shape_error`` (the one formatter; ``summarize_node`` renders the node
as TF's ``SummarizeNodeDef``). The checks (``with_rank``, ``merge_shapes``, ...) raise through it.
"""

from __future__ import annotations

import numpy as np

from torchmeta._proto import types_pb2
from torchmeta.dtypes import DType
from torchmeta.framework import (
    constant_folding,  # noqa: F401 - installs the shape refiner's constant evaluation
    tensor_util,
)
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
    "format_shape",
    "format_dims",
    "format_float",
    "summarize_attr_value",
    "summarize_node",
    "tensor_debug_string",
    "shape_error",
    "run_shape_fn",
    "with_rank",
    "with_rank_at_least",
    "with_rank_at_most",
    "input_with_rank",
    "input_with_rank_at_least",
    "merge_dim",
    "merge_shapes",
    "merge_all",
    "scalar_dim",
    "constant_scalar",
    "shape_from_shape_tensor",
]

# ---------------------------------------------------------------------------------------------
# Formatting shapes and nodes as TensorFlow prints them


def format_shape(shape: TensorShape) -> str:
    """A static shape as TF prints it: ``[2,?,3]``, or ``?`` when the rank is unknown."""
    dims = shape.as_tuple()
    if dims is None:
        return "?"
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def format_dims(dims) -> str:
    """Dimensions (a torch.Size, tuple or list; None for unknown) as TF prints them: ``[2,3]``."""
    return "[" + ",".join("?" if d is None else str(int(d)) for d in dims) + "]"


def format_float(value: float) -> str:
    """TF's StrCat of a float: 6 significant digits, 9 when 6 do not round-trip."""
    f32 = np.float32(value)
    text = f"{float(f32):.6g}"
    if np.float32(text) != f32:
        text = f"{float(f32):.9g}"
    return text


def _c_escape(data: bytes) -> str:
    """absl::CEscape: C escapes for quotes, backslash and control characters, octal for the rest."""
    named = {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", ord('"'): '\\"', ord("'"): "\\'", ord("\\"): "\\\\"}
    out = []
    for b in data:
        if b in named:
            out.append(named[b])
        elif b < 0x20 or b >= 0x7F:
            out.append(f"\\{b:03o}")
        else:
            out.append(chr(b))
    return "".join(out)


def _summarize_string(data: bytes) -> str:
    escaped = _c_escape(data)
    if len(escaped) >= 80:
        return f'"{escaped[:10]}...{escaped[-10:]}"'
    return f'"{escaped}"'


def _type_name(value: int) -> str:
    return types_pb2.DataType.Name(value)


def _shape_proto_str(shape) -> str:
    if shape.unknown_rank:
        return "<unknown>"
    return "[" + ",".join("?" if d.size == -1 else str(d.size) for d in shape.dim) + "]"


def _summarize_tensor(proto) -> str:
    """TF's Tensor::DebugString of a TensorProto."""
    try:
        value = tensor_util.MakeNdarray(proto)
    except Exception:  # an unreadable TensorProto
        return "<Invalid TensorProto>"
    return tensor_debug_string(value, DType(proto.dtype).name)


def tensor_debug_string(value: np.ndarray, dtype_name: str) -> str:
    """TF's Tensor::DebugString: ``Tensor<type: float shape: [2] values: 1 2>`` (3 values at most)."""
    flat = value.reshape(-1)
    items = []
    for v in flat[:3]:
        if isinstance(v, bytes):
            items.append(v.decode("utf-8", "backslashreplace"))
        elif isinstance(v, (float, np.floating)):
            items.append(format_float(v))
        elif isinstance(v, (bool, np.bool_)):
            items.append("1" if v else "0")
        else:
            items.append(str(v))
    values = " ".join(items) + ("..." if flat.size > 3 else "")
    return f"Tensor<type: {dtype_name} shape: {format_dims(value.shape)} values: {values}>"


def _summarize_func(func) -> str:
    entries = sorted(f"{k}={summarize_attr_value(v)}" for k, v in func.attr.items())
    return f"{func.name}[{', '.join(entries)}]"


def summarize_attr_value(value) -> str:
    """An AttrValue as TF's SummarizeAttrValue prints it (``DT_FLOAT``, ``[1, 2]``, ``"SAME"``, ...).

    Lists of 30 or more items are shortened as TF does, without TF's fingerprint suffix.
    """
    kind = value.WhichOneof("value")
    if kind == "s":
        return _summarize_string(value.s)
    if kind == "i":
        return str(value.i)
    if kind == "f":
        return format_float(value.f)
    if kind == "b":
        return "true" if value.b else "false"
    if kind == "type":
        return _type_name(value.type)
    if kind == "shape":
        return _shape_proto_str(value.shape)
    if kind == "tensor":
        return _summarize_tensor(value.tensor)
    if kind == "func":
        return _summarize_func(value.func)
    if kind == "placeholder":
        return f"${value.placeholder}"
    if kind == "list":
        lst = value.list
        if lst.s:
            pieces = [_summarize_string(s) for s in lst.s]
        elif lst.i:
            pieces = [str(i) for i in lst.i]
        elif lst.f:
            pieces = [format_float(f) for f in lst.f]
        elif lst.b:
            pieces = ["true" if b else "false" for b in lst.b]
        elif lst.type:
            pieces = [_type_name(t) for t in lst.type]
        elif lst.shape:
            pieces = [_shape_proto_str(s) for s in lst.shape]
        elif lst.tensor:
            pieces = [_summarize_tensor(t) for t in lst.tensor]
        elif lst.func:
            pieces = [_summarize_func(f) for f in lst.func]
        else:
            pieces = []
        if len(pieces) >= 30:
            pieces = [*pieces[:5], "...", *pieces[-5:]]
        return "[" + ", ".join(pieces) + "]"
    return "<Unknown AttrValue type>"


def summarize_node(op) -> str:
    """The node as TF 2.21's error messages show it: ``{{node X}} = Op[a=1, T=DT_FLOAT](in0, in1, ^ctrl)``.

    Attrs sorted by name; those starting with ``_`` (colocation, output shapes) are set after shape
    inference in TF, so they are left out, as in TF's messages.
    """
    attrs = op._attrs
    summary = ", ".join(f"{k}={summarize_attr_value(attrs[k])}" for k in sorted(attrs) if not k.startswith("_"))
    inputs = [t._as_node_def_input() for t in op._inputs] + ["^" + c.name for c in op._control_inputs]
    return f"{{{{node {op.name}}}}} = {op.type}[{summary}]({', '.join(inputs)})"


def _summarize_value(value, limit: int = 256) -> str:
    """A constant as TF's ``Tensor::SummarizeValue`` prints it in shape errors: ``1 2`` for a vector,
    ``[0 0][0 0]`` for a matrix (no outer brackets), ``...`` after ``limit`` elements."""
    arr = np.asarray(value)
    flat = arr.reshape(-1).tolist()
    if arr.ndim <= 1:
        return " ".join(str(v) for v in flat[:limit]) + ("..." if len(flat) > limit else "")
    shown = iter(flat[:limit])

    def nested(shape):
        if len(shape) == 1:
            items = [str(v) for _, v in zip(range(shape[0]), shown)]
            return " ".join(items)
        parts = []
        for _ in range(shape[0]):
            inner = nested(shape[1:])
            if not inner:
                break
            parts.append(f"[{inner}]")
        return "".join(parts)

    return nested(arr.shape) + ("..." if len(flat) > limit else "")


def shape_error(op, message: str) -> ValueError:
    """A shape-inference ValueError worded as TF 2.21's ``InferenceContext::AttachContext``.

    ``<message> for '<summarize_node(op)>' with input shapes: <shapes>[ and with computed input tensors:
    input[i] = <v>][ and with input tensors computed as partial shapes: input[i] = [..]].`` The input
    values listed are those the running shape function read (``tensor_util.recording_input_values``).
    """
    text = f"{message} for '{summarize_node(op)}' with input shapes: " + ", ".join(
        format_shape(t.shape) for t in op.inputs
    )
    record = tensor_util.current_input_requests()
    if record is not None and record["op"] is op:
        partial = record["partial"]
        computed = {i: v for i, v in record["computed"].items() if i not in partial}
        if computed:
            values = ", ".join(f"input[{i}] = <{_summarize_value(v)}>" for i, v in sorted(computed.items()))
            text += f" and with computed input tensors: {values}"
        if partial:
            shapes = ",".join(f"input[{i}] = {format_shape(v)}" for i, v in sorted(partial.items()))
            text += f" and with input tensors computed as partial shapes: {shapes}"
    return ValueError(text + ".")


def run_shape_fn(op, shape_fn):
    """``shape_fn(op)``, raising what TF's shape refiner raises.

    TF runs a shape function first without its inputs' static values and again with them when it asked
    for some; an error message lists the values the function read only when the second pass failed.
    Here the function runs once, plainly; only after a failure does it run again, recording what it
    reads, without the values (TF's first pass) and then with them, to word the error as TF does.
    Shape functions are pure, so the reruns fail the same way; success costs nothing extra.
    """
    try:
        with tensor_util.running_shape_function():
            return shape_fn(op)
    except ValueError:
        pass
    with tensor_util.recording_input_values(op, hide_values=True):
        try:
            shape_fn(op)
        except ValueError as first_pass_error:
            raise first_pass_error from None
    with tensor_util.recording_input_values(op):
        try:
            return shape_fn(op)
        except ValueError as error:
            raise error from None


# ---------------------------------------------------------------------------------------------
# TF's InferenceContext checks: WithRank, WithRankAtLeast, Merge, ...


def with_rank(op, shape: TensorShape, rank: int) -> TensorShape:
    """``shape``, which must have ``rank`` dims (all unknown when its rank is unknown)."""
    if shape.rank is None:
        return unknown_shape(rank)
    if shape.rank != rank:
        raise shape_error(op, f"Shape must be rank {rank} but is rank {shape.rank}")
    return shape


def with_rank_at_least(op, shape: TensorShape, rank: int) -> TensorShape:
    if shape.rank is not None and shape.rank < rank:
        raise shape_error(op, f"Shape must be at least rank {rank} but is rank {shape.rank}")
    return shape


def with_rank_at_most(op, shape: TensorShape, rank: int) -> TensorShape:
    if shape.rank is not None and shape.rank > rank:
        raise shape_error(op, f"Shape must be at most rank {rank} but is rank {shape.rank}")
    return shape


def input_with_rank(op, i: int, rank: int) -> tuple:
    """Input ``i``'s dims, which must be ``rank`` many (all None when its rank is unknown)."""
    return with_rank(op, op.inputs[i].shape, rank).as_tuple()


def input_with_rank_at_least(op, i: int, rank: int):
    """Input ``i``'s dims (None for an unknown rank), which must be at least ``rank`` many."""
    return with_rank_at_least(op, op.inputs[i].shape, rank).as_tuple()


def with_value(op, dim, value: int) -> int:
    """TF's InferenceContext::WithValue: ``dim`` (int or None) must be ``value``; returns ``value``."""
    if dim is not None and dim != value:
        raise shape_error(op, f"Dimension must be {value} but is {dim}")
    return value


def merge_dim(op, a, b):
    """The merged value of two dims (int or None); raises like TF when both are known and differ."""
    if a is None:
        return b
    if b is not None and a != b:
        raise shape_error(op, f"Dimensions must be equal, but are {a} and {b}")
    return a


def merge_shapes(op, a: TensorShape, b: TensorShape) -> TensorShape:
    """TF's InferenceContext::Merge of two shapes, with its wording."""
    if a.rank is None:
        return b
    if b.rank is None:
        return a
    if a.rank != b.rank:
        raise shape_error(op, f"Shapes must be equal rank, but are {a.rank} and {b.rank}")
    dims = []
    for i, (x, y) in enumerate(zip(a.as_tuple(), b.as_tuple())):
        if x is not None and y is not None and x != y:
            raise shape_error(
                op,
                f"Dimension {i} in both shapes must be equal, but are {x} and {y}. Shapes are "
                f"{format_shape(a)} and {format_shape(b)}.",
            )
        dims.append(y if x is None else x)
    return TensorShape(dims)


def merge_all(op, shapes) -> TensorShape:
    """TF's loop merging shapes from the last to the first (AddN, Pack), with its error context
    ``From merging shape i with other shapes.``"""
    shapes = list(shapes)
    cur = shapes[-1]
    for i in range(len(shapes) - 2, -1, -1):
        try:
            cur = merge_shapes(op, shapes[i], cur)
        except ValueError as e:
            message = str(e).split(" for '{{node ", 1)[0]
            raise shape_error(op, f"{message}\n\tFrom merging shape {i} with other shapes.") from None
    return cur


def scalar_dim(op, i: int):
    """The non-negative static value of scalar input ``i`` used as a dimension, or None."""
    input_with_rank(op, i, 0)
    value = constant_value(op.inputs[i])
    if value is None:
        return None
    value = int(value)
    if value < 0:
        raise shape_error(op, f"Dimension size, given by scalar input {i}, must be non-negative but is {value}")
    return value


def constant_scalar(t):
    """The static value of a one-element graph tensor as an int, or None."""
    v = constant_value(t)
    if v is None or v.size != 1:
        return None
    return int(v.reshape(-1)[0])


def shape_from_shape_tensor(t) -> TensorShape:
    """The (partial) shape a 1-D shape tensor describes, like TF's ``MakeShapeFromShapeTensor`` (which
    an error message of the running shape function then lists, as TF's does)."""
    if tensor_util.input_value_hidden(t):
        return _unknown_vector_shape(t)
    shape = _shape_from_shape_tensor(t)
    tensor_util.record_partial_shape(t, shape)
    return shape


def _shape_from_shape_tensor(t) -> TensorShape:
    """The (partial) shape a 1-D shape tensor describes, like TF's ``MakeShapeFromShapeTensor``.

    -1 entries and entries that are not static become unknown dimensions. Shape, Pack, ConcatV2,
    Cast and StridedSlice-of-Shape inputs give partial results like TF's shape refiner.
    """
    if t.shape.rank == 0:
        v = constant_value(t)
        if v is not None and int(v) == -1:
            return unknown_shape()
        if v is not None:
            raise ValueError(f"Input tensor must be rank 1, or if its rank 0 it must have value -1, got {int(v)}")
        return unknown_shape()
    value = constant_value(t)
    if value is not None:
        dims = []
        for d in value.reshape(-1).tolist():
            d = int(d)
            if d < -1:
                raise ValueError(f"Dimension {d} must be >= -1")
            dims.append(None if d == -1 else d)
        return TensorShape(dims)
    op = t.op
    if op.type == "Shape":
        return op.inputs[0].shape
    if op.type == "ShapeN":
        return op.inputs[t.value_index].shape
    if op.type == "Pack" and op.get_attr("axis") == 0:
        dims = []
        for inp in op.inputs:
            v = constant_scalar(inp)
            dims.append(None if v is None or v < 0 else v)
        return TensorShape(dims)
    if op.type == "ConcatV2":
        out = TensorShape([])
        for inp in op.inputs[:-1]:
            part = _shape_from_shape_tensor(inp)
            if part.rank is None:
                return _unknown_vector_shape(t)
            out = out.concatenate(part)
        return out
    if op.type == "Cast":
        inner = _shape_from_shape_tensor(op.inputs[0])
        if inner.rank is not None:
            return inner
    if op.type == "StridedSlice":
        part = _strided_slice_of_shape(op)
        if part is not None:
            return part
    return _unknown_vector_shape(t)


def _unknown_vector_shape(t) -> TensorShape:
    shape = t.shape
    if shape.rank == 1 and shape.as_tuple()[0] is not None:
        return unknown_shape(shape.as_tuple()[0])
    return unknown_shape()


def _strided_slice_of_shape(op):
    """``tf.shape(x)[a:b]`` with static a, b (stride 1): the matching part of x's static shape."""
    src = op.inputs[0]
    if src.op.type != "Shape" or src.op.inputs[0].shape.rank is None:
        return None
    if any(op.get_attr(m) for m in ("ellipsis_mask", "new_axis_mask", "shrink_axis_mask")):
        return None
    begin, end, strides = (constant_value(op.inputs[i]) for i in (1, 2, 3))
    if begin is None or end is None or strides is None or begin.size != 1 or int(strides.reshape(-1)[0]) != 1:
        return None
    dims = src.op.inputs[0].shape.as_tuple()
    b = None if op.get_attr("begin_mask") & 1 else int(begin.reshape(-1)[0])
    e = None if op.get_attr("end_mask") & 1 else int(end.reshape(-1)[0])
    return TensorShape(list(dims[b:e]))


# ---------------------------------------------------------------------------------------------
# Shape rules shared by many ops


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
            message = f"Dimensions must be equal, but are {x} and {y}"
            if op is not None:
                raise shape_error(op, message)
            raise ValueError(f"{message} with input shapes: {format_shape(a)}, {format_shape(b)}.")
    return TensorShape(out)


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
            raise shape_error(op, f"Invalid reduction dimension {a} for input with {rank} dimensions.")
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
