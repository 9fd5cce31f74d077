"""TensorArrays (TensorArrayV3 and its Read/Write/Gather/Scatter/Concat/Split/Size/Close/Grad ops).

A TensorArray is a per-run resource: TensorArrayV3 creates a fresh ``TensorArray`` object each time it
runs; its handle (that object) and a float ``flow`` scalar travel through the graph, and the ops below
mutate the object as TensorFlow's kernels mutate theirs (tensor_array.h): write-once elements (summed
when written again to a gradient array), reads that clear the element when ``clear_after_read``, the
element shape inferred from writes, zeros for unwritten elements of a fully known shape, and gradient
arrays created per ``source`` that start with the forward array's element shapes.
"""

from __future__ import annotations

import itertools

import torch

from torchmeta import errors
from torchmeta.api import array_ops
from torchmeta.api import tensor_array_ops as ta_api
from torchmeta.dtypes import type_string
from torchmeta.framework import common_shapes
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.registry import not_differentiable, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.ops.common import (
    invalid,
    partial_shape_fully_defined,
    partial_shape_str,
    partial_shapes_compatible,
)

__all__ = ["TensorArray"]

_ids = itertools.count()


class _Element:
    __slots__ = ("tensor", "shape", "written", "read", "cleared", "local_copy")

    def __init__(self):
        self.tensor = None
        self.shape = None
        self.written = False
        self.read = False
        self.cleared = False
        self.local_copy = False


class TensorArray:
    """The resource behind a TensorArrayV3 handle."""

    def __init__(
        self,
        name: str,
        dtype,
        size: int,
        element_shape=None,
        dynamic_size=False,
        clear_after_read=True,
        identical_element_shapes=False,
        multiple_writes_aggregate=False,
        device=None,
    ):
        self.name = name
        self.dtype = dtype
        self.torch_dtype = dtype.torch
        self.elements = [_Element() for _ in range(size)]
        self.element_shape = element_shape  # a tuple with None for unknown dims, or None (unknown rank)
        self.dynamic_size = dynamic_size
        self.clear_after_read = clear_after_read
        self.identical_element_shapes = identical_element_shapes
        self.multiple_writes_aggregate = multiple_writes_aggregate
        self.device = device
        self.closed = False
        self.gradients: dict = {}

    def __repr__(self):
        return f"<TensorArray {self.name!r} size={len(self.elements)}>"

    # -- TensorFlow's TensorArray methods -------------------------------------------------------------
    def _check_open(self):
        if self.closed:
            raise invalid(f"TensorArray {self.name} has already been closed.")

    def size(self) -> int:
        self._check_open()
        return len(self.elements)

    def write(self, index: int, value) -> None:
        self._check_open()
        n = len(self.elements)
        if index < 0 or (not self.dynamic_size and index >= n):
            raise invalid(
                f"TensorArray {self.name}: Tried to write to index {index} but array is not resizeable and size is: {n}"
            )
        if index >= n:
            self.elements.extend(_Element() for _ in range(index + 1 - n))
        t = self.elements[index]
        dims = tuple(value.shape)
        if dims == self.element_shape and value.dtype == self.torch_dtype and not (t.read or t.written):
            t.tensor = value  # the common case: a first write of a value of the array's (known) shape
            t.shape = dims
            t.written = True
            return
        if value.dtype != self.torch_dtype:
            raise invalid(
                f"TensorArray {self.name}: Could not write to TensorArray index {index} because the value dtype is "
                f"{type_string(value.dtype)} but TensorArray dtype is {type_string(self.dtype)}."
            )
        if not partial_shapes_compatible(self.element_shape, dims):
            raise invalid(
                f"TensorArray {self.name}: Could not write to TensorArray index {index} because the value shape is "
                f"{partial_shape_str(dims)} which is incompatible with the TensorArray's inferred element shape: "
                f"{partial_shape_str(self.element_shape)} (consider setting infer_shape=False)."
            )
        if self.identical_element_shapes and not partial_shape_fully_defined(self.element_shape):
            self.element_shape = dims
        if t.read:
            raise invalid(
                f"TensorArray {self.name}: Could not write to TensorArray index {index} because it has already been read."
            )
        if not self.multiple_writes_aggregate and t.written:
            raise invalid(
                f"TensorArray {self.name}: Could not write to TensorArray index {index} because it has already been "
                "written to."
            )
        if t.written:
            if dims != t.shape:
                raise invalid(
                    f"TensorArray {self.name}: Could not aggregate to TensorArray index {index} because the existing "
                    f"shape is {partial_shape_str(t.shape)} but the new input shape is {partial_shape_str(dims)}."
                )
            if t.tensor is None:  # only a shape was recorded (a gradient array): the value so far is zero
                t.tensor = value
            elif t.local_copy:
                t.tensor.add_(value)
            else:
                t.tensor = t.tensor + value
                t.local_copy = True
            return
        t.tensor = value
        t.shape = dims
        t.written = True

    def read(self, index: int):
        self._check_open()
        n = len(self.elements)
        if index < 0 or index >= n:
            raise invalid(f"Tried to read from index {index} but array size is: {n}")
        t = self.elements[index]
        if t.cleared:
            raise invalid(
                f"TensorArray {self.name}: Could not read index {index} twice because it was cleared after a previous "
                "read (perhaps try setting clear_after_read = false?)."
            )
        if t.tensor is None:
            dims = t.shape if t.written else self.element_shape
            if not t.written and not partial_shape_fully_defined(dims):
                raise invalid(
                    f"TensorArray {self.name}: Could not read from TensorArray index {index}.  Furthermore, the "
                    f"element shape is not fully defined: {partial_shape_str(dims)}.  It is possible you are working with a "
                    "resizeable TensorArray and stop_gradients is not allowing the gradients to be written.  If you "
                    "set the full element_shape property on the forward TensorArray, the proper all-zeros tensor "
                    "will be returned instead of incurring this error."
                )
            value = torch.zeros(dims, dtype=self.torch_dtype, device=self.device)
        else:
            value = t.tensor
        if self.clear_after_read:
            t.tensor = None
            t.cleared = True
        t.read = True
        return value

    def copy_shapes_from(self, other: TensorArray, prepend=()) -> None:
        """A gradient array's soft copy: forward elements that were written become zeros of their shape."""
        if len(self.elements) != len(other.elements):
            raise invalid(
                f"TensorArray sizes do not match during CopyShapesFrom: {len(self.elements)} vs. {len(other.elements)}"
            )
        for mine, theirs in zip(self.elements, other.elements):
            if theirs.written:
                mine.shape = tuple(prepend) + theirs.shape
                mine.written = True


# ---------------------------------------------------------------------------------------------
# Shape functions


def _handle_shape(op):
    return [TensorShape([2]), TensorShape([])]


def _shape_attr(op, name):
    return TensorShape(op.get_attr(name))


def _gather_shape(op):
    element = _shape_attr(op, "element_shape")
    indices = op.inputs[1].shape
    n = indices.as_tuple()[0] if indices.rank == 1 else None
    if element.rank is None:
        return [unknown_shape()]
    return [TensorShape([n, *element.as_tuple()])]


def _concat_shape(op):
    element = _shape_attr(op, "element_shape_except0")
    lengths = TensorShape([None])
    if element.rank is None:
        return [unknown_shape(), lengths]
    return [TensorShape([None, *element.as_tuple()]), lengths]


def _read_shape(op):
    return [unknown_shape()]


# ---------------------------------------------------------------------------------------------
# Kernels


def _shape_or_none(shape):
    return None if shape is None else tuple(shape)


def _flow(device):
    return torch.zeros((), dtype=torch.float32, device=device)


@register_op(
    "TensorArrayV3",
    inputs=["size: int32"],
    outputs=["handle: resource", "flow: float"],
    attrs=[
        "dtype: type",
        "element_shape: shape = { unknown_rank: true }",
        "dynamic_size: bool = false",
        "clear_after_read: bool = true",
        "identical_element_shapes: bool = false",
        'tensor_array_name: string = ""',
    ],
    shape=_handle_shape,
    stateful=True,
)
def tensor_array_v3(
    size,
    dtype,
    element_shape,
    dynamic_size,
    clear_after_read,
    identical_element_shapes,
    tensor_array_name,
    node_name,
    device,
):
    n = int(size)
    if n < 0:
        raise invalid(f"Size should be >= 0, got: {n}")
    name = f"{tensor_array_name or node_name}_{next(_ids)}"
    array = TensorArray(
        name,
        dtype,
        n,
        _shape_or_none(element_shape),
        dynamic_size,
        clear_after_read,
        identical_element_shapes,
        device=device,
    )
    return array, _flow(device)


@register_op(
    "TensorArrayReadV3",
    inputs=["handle: resource", "index: int32", "flow_in: float"],
    outputs=["value: dtype"],
    attrs=["dtype: type"],
    shape=_read_shape,
    stateful=True,
)
def tensor_array_read_v3(handle, index, flow_in, dtype):
    _check_dtype(handle, dtype)
    return handle.read(int(index))


def _check_dtype(handle: TensorArray, dtype) -> None:
    if dtype is not handle.dtype:
        raise invalid(f"TensorArray dtype is {type_string(handle.dtype)} but Op requested dtype {type_string(dtype)}.")


@register_op(
    "TensorArrayWriteV3",
    inputs=["handle: resource", "index: int32", "value: T", "flow_in: float"],
    outputs=["flow_out: float"],
    attrs=["T: type"],
    shape=lambda op: [TensorShape([])],
    stateful=True,
)
def tensor_array_write_v3(handle, index, value, flow_in, T):
    if T is not handle.dtype:
        raise invalid(
            f"TensorArray dtype is {type_string(handle.dtype)} but Op is trying to write dtype {type_string(T)}."
        )
    handle.write(int(index), value)
    return flow_in


def _stack(handle: TensorArray, values, element_shape, what="element shape"):
    if not values:
        dims = _shape_or_none(element_shape)  # the op's attr only, as TensorFlow's kernel
        if not partial_shape_fully_defined(dims):
            raise errors.UnimplementedError(
                None,
                None,
                f"TensorArray has size zero, but {what} {partial_shape_str(dims)} is not fully defined. Currently only static "
                "shapes are supported when packing zero-size TensorArrays.",
            )
        return torch.zeros((0, *dims), dtype=handle.torch_dtype, device=handle.device)
    first = values[0].shape
    for i, v in enumerate(values[1:], 1):
        if v.shape != first:
            raise invalid(
                f"TensorArray has inconsistent shapes.  Index 0 has shape: {partial_shape_str(first)} but index {i} has "
                f"shape: {partial_shape_str(v.shape)}"
            )
    return torch.stack(values)


@register_op(
    "TensorArrayGatherV3",
    inputs=["handle: resource", "indices: int32", "flow_in: float"],
    outputs=["value: dtype"],
    attrs=["dtype: type", "element_shape: shape = { unknown_rank: true }"],
    shape=_gather_shape,
    stateful=True,
)
def tensor_array_gather_v3(handle, indices, flow_in, dtype, element_shape):
    _check_dtype(handle, dtype)
    if indices.dim() != 1:
        raise invalid(f"Expected indices to be a vector, but received shape: {partial_shape_str(indices.shape)}")
    values = [handle.read(i) for i in indices.tolist()]
    return _stack(handle, values, element_shape)


@register_op(
    "TensorArrayScatterV3",
    inputs=["handle: resource", "indices: int32", "value: T", "flow_in: float"],
    outputs=["flow_out: float"],
    attrs=["T: type"],
    shape=lambda op: [TensorShape([])],
    stateful=True,
)
def tensor_array_scatter_v3(handle, indices, value, flow_in, T):
    if T is not handle.dtype:
        raise invalid(
            f"TensorArray dtype is {type_string(handle.dtype)} but Op is trying to write dtype {type_string(T)}."
        )
    if indices.dim() != 1:
        raise invalid(f"Expected indices to be a vector, but received shape: {partial_shape_str(indices.shape)}")
    idx = indices.tolist()
    if value.dim() == 0 or value.shape[0] != len(idx):
        got = value.shape[0] if value.dim() else 0
        raise invalid(f"Expected len(indices) == values.shape[0], but saw: {len(idx)} vs. {got}")
    if idx and not handle.dynamic_size:
        top = max(idx)
        if top >= len(handle.elements):
            raise invalid(f"Max scatter index must be < array size ({top} vs. {len(handle.elements)})")
    for i, row in zip(idx, value.unbind(0)):
        handle.write(i, row)
    return flow_in


@register_op(
    "TensorArrayConcatV3",
    inputs=["handle: resource", "flow_in: float"],
    outputs=["value: dtype", "lengths: int64"],
    attrs=["dtype: type", "element_shape_except0: shape = { unknown_rank: true }"],
    shape=_concat_shape,
    stateful=True,
)
def tensor_array_concat_v3(handle, flow_in, dtype, element_shape_except0):
    _check_dtype(handle, dtype)
    n = handle.size()
    if n == 0:
        dims = _shape_or_none(element_shape_except0)
        if not partial_shape_fully_defined(dims):
            raise errors.UnimplementedError(
                None,
                None,
                f"TensorArray has size zero, but element_shape_except0 {partial_shape_str(dims)} is not fully defined. "
                "Currently only static shapes are supported when concatenating zero-size TensorArrays.",
            )
        value = torch.zeros((0, *dims), dtype=handle.torch_dtype, device=handle.device)
        return value, torch.zeros(0, dtype=torch.int64)
    values = [handle.read(i) for i in range(n)]
    for i, v in enumerate(values):
        if v.dim() == 0:
            raise invalid(
                f"Concat saw a scalar shape at index {i} but requires at least vectors.  Did you mean to call "
                "TensorArray::Stack instead?"
            )
    rest = values[0].shape[1:]
    for i, v in enumerate(values[1:], 1):
        if v.shape[1:] != rest:
            raise invalid(
                f"TensorArray has inconsistent shapes.  Index 0 has (excepting dimension 0) shape: {partial_shape_str(rest)} "
                f"but index {i} has (excepting dimension 0) shape: {partial_shape_str(v.shape[1:])}"
            )
    lengths = torch.tensor([v.shape[0] for v in values], dtype=torch.int64)
    return torch.cat(values), lengths


@register_op(
    "TensorArraySplitV3",
    inputs=["handle: resource", "value: T", "lengths: int64", "flow_in: float"],
    outputs=["flow_out: float"],
    attrs=["T: type"],
    shape=lambda op: [TensorShape([])],
    stateful=True,
)
def tensor_array_split_v3(handle, value, lengths, flow_in, T):
    if T is not handle.dtype:
        raise invalid(
            f"TensorArray dtype is {type_string(handle.dtype)} but Op is trying to write dtype {type_string(T)}."
        )
    if value.dim() == 0:
        raise invalid(f"Expected value to be at least a vector, but received shape: {partial_shape_str(value.shape)}")
    if lengths.dim() != 1:
        raise invalid(f"Expected lengths to be a vector, received shape: {partial_shape_str(lengths.shape)}")
    sizes = [int(x) for x in lengths.tolist()]
    if sum(sizes) != value.shape[0]:
        raise invalid(
            "Expected sum of lengths to be equal to values.shape[0], but sum of lengths is "
            f"{sum(sizes)} and value's shape is: {partial_shape_str(value.shape)}"
        )
    n = handle.size()
    if not handle.dynamic_size and len(sizes) != n:
        raise invalid(
            f"TensorArray's size is not equal to the size of lengths ({len(sizes)} vs. {n}), and the TensorArray is "
            "not marked as dynamically resizeable"
        )
    for i, piece in enumerate(torch.split(value, sizes)):
        handle.write(i, piece)
    return flow_in


@register_op(
    "TensorArraySizeV3",
    inputs=["handle: resource", "flow_in: float"],
    outputs=["size: int32"],
    shape=lambda op: [TensorShape([])],
    stateful=True,
)
def tensor_array_size_v3(handle, flow_in):
    return torch.tensor(handle.size(), dtype=torch.int32)


@register_op("TensorArrayCloseV3", inputs=["handle: resource"], shape=common_shapes.no_outputs, stateful=True)
def tensor_array_close_v3(handle):
    handle.elements = []
    handle.closed = True


def _grad_array(handle: TensorArray, source: str, prepend=()) -> TensorArray:
    key = (source, tuple(prepend))
    grad = handle.gradients.get(key)
    if grad is None:
        handle.dynamic_size = False  # an array used for gradients may no longer grow
        element = handle.element_shape
        grad = TensorArray(
            f"{handle.name}@{source}",
            handle.dtype,
            len(handle.elements),
            None if element is None else tuple(prepend) + element,
            dynamic_size=False,
            clear_after_read=True,
            identical_element_shapes=handle.identical_element_shapes,
            multiple_writes_aggregate=True,
            device=handle.device,
        )
        grad.copy_shapes_from(handle, prepend)
        handle.gradients[key] = grad
    return grad


@register_op(
    "TensorArrayGradV3",
    inputs=["handle: resource", "flow_in: float"],
    outputs=["grad_handle: resource", "flow_out: float"],
    attrs=["source: string"],
    shape=_handle_shape,
    stateful=True,
)
def tensor_array_grad_v3(handle, flow_in, source):
    return _grad_array(handle, source), flow_in


@register_op(
    "TensorArrayGradWithShape",
    inputs=["handle: resource", "flow_in: float", "shape_to_prepend: int32"],
    outputs=["grad_handle: resource", "flow_out: float"],
    attrs=["source: string"],
    shape=_handle_shape,
    stateful=True,
)
def tensor_array_grad_with_shape(handle, flow_in, shape_to_prepend, source):
    prepend = tuple(int(d) for d in shape_to_prepend.reshape(-1).tolist())
    return _grad_array(handle, source, prepend), flow_in


not_differentiable(
    "TensorArrayV3", "TensorArraySizeV3", "TensorArrayCloseV3", "TensorArrayGradV3", "TensorArrayGradWithShape"
)


# ---------------------------------------------------------------------------------------------
# Gradients (TF's tensor_array_grad.py): a gradient TensorArray per forward array and gradients scope


def _grad_source(t) -> str:
    """The gradients scope ``t`` was built in (TensorArrayGradV3's ``source``)."""
    tokens = t.name.split("/")
    grad_pos = [i for i, x in enumerate(tokens) if x.startswith("gradients")]
    if not grad_pos:
        raise ValueError(
            "Expected op/tensor name to start with gradients (excluding scope), got: "
            f"{t.name}. This means that a tf.gradients op with this op in its dependency path has a custom name "
            "that does not start with 'gradients'. Please make sure all calls to tf.gradients that have "
            "non-empty `name` arguments use names that start with 'gradients'."
        )
    return "/".join(tokens[: grad_pos[-1] + 1])


def _gradient_array(handle, flow, dtype, source):
    forward = ta_api.TensorArray(dtype=dtype, handle=handle, flow=flow, colocate_with_first_write_call=False)
    return forward.grad(source=source, flow=flow)


def _write_barrier(op, flow):
    """The incoming flow, available only after the forward write (TF's write_barrier)."""
    flow_out = array_ops.identity(op.outputs[0], "flow_out")
    with graph_lib.control_dependencies([flow_out]):
        return array_ops.identity(flow, "write_barrier")


@register_gradient("TensorArrayReadV3")
def _tensor_array_read_grad(op, grad):
    handle, index, flow = op.inputs
    g = _gradient_array(handle, flow, op.get_attr("dtype"), _grad_source(grad))
    return [None, None, g.write(index, grad).flow]


@register_gradient("TensorArrayWriteV3")
def _tensor_array_write_grad(op, flow):
    handle, index = op.inputs[0], op.inputs[1]
    source = _grad_source(flow)
    flow = _write_barrier(op, flow)
    g = _gradient_array(handle, flow, op.get_attr("T"), source)
    return [None, None, g.read(index), flow]


@register_gradient("TensorArrayGatherV3")
def _tensor_array_gather_grad(op, grad):
    handle, indices, flow = op.inputs
    g = _gradient_array(handle, flow, op.get_attr("dtype"), _grad_source(grad))
    return [None, None, g.scatter(indices, grad).flow]


@register_gradient("TensorArrayScatterV3")
def _tensor_array_scatter_grad(op, flow):
    handle, indices = op.inputs[0], op.inputs[1]
    source = _grad_source(flow)
    flow = _write_barrier(op, flow)
    g = _gradient_array(handle, flow, op.get_attr("T"), source)
    return [None, None, g.gather(indices), flow]


@register_gradient("TensorArrayConcatV3")
def _tensor_array_concat_grad(op, grad, unused_lengths_grad):
    handle, flow = op.inputs
    g = _gradient_array(handle, flow, op.get_attr("dtype"), _grad_source(grad))
    return [None, g.split(grad, lengths=op.outputs[1]).flow]


@register_gradient("TensorArraySplitV3")
def _tensor_array_split_grad(op, flow):
    handle = op.inputs[0]
    source = _grad_source(flow)
    flow = _write_barrier(op, flow)
    g = _gradient_array(handle, flow, op.get_attr("T"), source)
    return [None, g.concat(), None, flow]
