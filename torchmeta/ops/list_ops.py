"""TensorLists (TensorListReserve, SetItem, GetItem, Stack, FromTensor, PushBack, PopBack, ...): TF2's lists.

A TensorList is a ``variant`` value with value semantics: every op returns a new ``TensorList`` and
never changes its input, so a list carried through a While loop or kept by a gradient is safe to share.
Elements are tensors or None (not set: read as zeros of the element shape when that shape is fully
known, as TensorFlow's list_kernels do). The element shape is partial: a tuple with None for unknown
dimensions, or None for an unknown rank.
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta.api import array_ops
from torchmeta.api import list_ops as tf_list_ops
from torchmeta.dtypes import DType, type_string
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.framework.tensor_util import constant_value
from torchmeta.ops.common import (
    invalid,
    merge_partial_shapes,
    partial_shape_fully_defined,
    partial_shape_str,
    partial_shapes_compatible,
)

__all__ = ["TensorList"]

_new_list = object.__new__
_SPARSE_MAX = 8  # the set elements a list keeps count of (``TensorList.sparse``); past them, AddN walks the list


def _shape_arg(value):
    """An element_shape input (-1 scalar: unknown rank; a vector with -1 for unknown dims) as a partial shape."""
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        if value.dim() == 0:
            if int(value) != -1:
                raise invalid("The only valid scalar shape tensor is the fully unknown shape specified as -1.")
            return None
        return tuple(None if int(d) == -1 else int(d) for d in value.tolist())
    return value


def _merge(a, b):
    """Two element shapes merged, or TF's "Incompatible shapes during merge" InvalidArgumentError."""
    try:
        return merge_partial_shapes(a, b)
    except ValueError:
        raise invalid(f"Incompatible shapes during merge: {partial_shape_str(a)} vs. {partial_shape_str(b)}") from None


class TensorList:
    """The value of a TensorList ``variant`` tensor.

    A while loop's body runs its list ops once an iteration, so they keep their Python small: ``copy`` passes
    the settled attributes on, ``checked`` is an element shape already found compatible (the next item of
    that shape skips the check), ``sparse`` the indices set in a list that started with none set (TF's
    gradient of TensorListGetItem: a reserved list with one element set, added to the running gradient
    list each iteration, which ``__add__`` then adds by those indices instead of walking the whole list),
    and ``facts`` TensorListLength's and TensorListElementShape's tensors once made (a list never changes)."""

    __slots__ = (
        "elements",
        "element_shape",
        "element_dtype",
        "torch_dtype",
        "max_num_elements",
        "device",
        "checked",
        "sparse",
        "facts",
    )

    def __init__(self, elements, element_shape, element_dtype, max_num_elements=-1, device=None, sparse=None):
        self.elements = elements
        self.element_shape = element_shape
        self.element_dtype = element_dtype
        self.torch_dtype = element_dtype.torch
        self.max_num_elements = max_num_elements
        self.device = device
        self.checked = None
        self.sparse = sparse  # a tuple of the set indices where every other element is unset; None: not known
        self.facts = None

    def copy(self, elements=None, sparse=None) -> TensorList:
        new = _new_list(TensorList)
        new.elements = list(self.elements) if elements is None else elements
        new.element_shape = self.element_shape
        new.element_dtype = self.element_dtype
        new.torch_dtype = self.torch_dtype
        new.max_num_elements = self.max_num_elements
        new.device = self.device
        new.checked = self.checked
        new.sparse = sparse
        new.facts = None
        return new

    def __len__(self):
        return len(self.elements)

    def __repr__(self):
        return f"<TensorList {type_string(self.element_dtype)}{partial_shape_str(self.element_shape)} x {len(self.elements)}>"

    def zeros_like(self) -> TensorList:
        """TF's TensorListZerosLike: zeros for each set element, unset ones stay unset."""
        return self.copy([None if v is None else torch.zeros_like(v) for v in self.elements])

    def __add__(self, other: TensorList) -> TensorList:
        """TF's TensorListBinaryAdd (how AddN sums lists of gradients): element by element."""
        if len(self.elements) != len(other.elements):
            raise invalid(
                "Trying to add two lists of tensors with different lengths. One is "
                f"{len(self.elements)} and the other is {len(other.elements)}"
            )
        if self.element_dtype is not other.element_dtype:
            raise invalid(
                "Trying to add two lists of tensors of different dtypes. One is "
                f"{type_string(self.element_dtype)} and the other is {type_string(other.element_dtype)}"
            )
        if other.sparse is not None or self.sparse is not None:  # (only where the sparse one has elements)
            base, sparse = (self, other.sparse) if other.sparse is not None else (other, self.sparse)
            out = list(base.elements)
            indices = sparse
        else:
            out = [None] * len(self.elements)
            indices = range(len(out))
        for i in indices:
            a, b = self.elements[i], other.elements[i]
            out[i] = b if a is None else a if b is None else torch.add(a, b)
        return self.copy(out)

    def check_dtype(self, dtype) -> None:
        if dtype is not self.element_dtype:
            raise invalid(
                f"Invalid data types; op elements {type_string(dtype)} but list elements "
                f"{type_string(self.element_dtype)}"
            )

    def zeros(self, shape_arg, what="read an uninitialized tensor"):
        dims = _merge(self.element_shape, _shape_arg(shape_arg))
        if not partial_shape_fully_defined(dims):
            raise invalid(
                f"Trying to {what} but element_shape is not fully defined: {partial_shape_str(dims)} and no list element is set."
            )
        return torch.zeros(dims, dtype=self.torch_dtype, device=self.device)

    def item(self, index: int, shape_arg):
        value = self.elements[index]
        if value is None:
            # an unset element reads as zeros, shaped like the set ones when the list's shape is partial
            dims = _merge(self.element_shape, _shape_arg(shape_arg))
            if not partial_shape_fully_defined(dims):
                for other in self.elements:
                    if other is not None:
                        dims = _merge(dims, tuple(other.shape))
                        break
            if not partial_shape_fully_defined(dims):
                raise invalid(
                    "Trying to read an uninitialized tensor but element_shape is not fully defined: "
                    f"{partial_shape_str(dims)} and no list element is set."
                )
            return torch.zeros(dims, dtype=self.torch_dtype, device=self.device)
        return value

    def check_item(self, item, where="set a tensor with incompatible shape at a list index. Item") -> None:
        if item.shape == self.checked and item.dtype == self.torch_dtype:
            return
        if isinstance(item, torch.Tensor) and item.dtype != self.torch_dtype:
            raise invalid(
                f"Invalid data types; op elements {type_string(item.dtype)} but list elements "
                f"{type_string(self.element_dtype)}"
            )
        if not partial_shapes_compatible(self.element_shape, tuple(item.shape)):
            raise invalid(
                f"Tried to {where} element shape: {partial_shape_str(tuple(item.shape))} list shape: "
                f"{partial_shape_str(self.element_shape)}"
            )
        if isinstance(item, torch.Tensor):
            self.checked = item.shape


# ---------------------------------------------------------------------------------------------
# Shape functions


def _scalar(op):
    return [TensorShape([])] * len(op.outputs)


def _shape_input(tensor) -> TensorShape:
    value = constant_value(tensor)
    if value is None:
        return unknown_shape()
    if value.ndim == 0:
        return unknown_shape()
    return TensorShape([None if int(d) == -1 else int(d) for d in value.reshape(-1)])


def _item_shape(index: int):
    def fn(op):
        return [_shape_input(op.inputs[index])]

    return fn


def _stacked_shape(op):
    element = _shape_input(op.inputs[1])
    n = op.get_attr("num_elements") if "num_elements" in op.node_def.attr else -1
    if element.rank is None:
        return [unknown_shape()]
    return [TensorShape([None if n == -1 else n, *element.as_tuple()])]


def _gather_shape(op):
    element = _shape_input(op.inputs[2])
    indices = op.inputs[1].shape
    n = indices.as_tuple()[0] if indices.rank == 1 else None
    if element.rank is None:
        return [unknown_shape()]
    return [TensorShape([n, *element.as_tuple()])]


def _concat_shape(op):
    element = _shape_input(op.inputs[1])
    if element.rank is None or element.rank == 0:
        return [unknown_shape(), TensorShape([None])]
    return [TensorShape([None, *element.as_tuple()[1:]]), TensorShape([None])]


def _pop_back_shape(op):
    return [TensorShape([]), _shape_input(op.inputs[1])]


def _element_shape_shape(op):
    return [TensorShape(None)]


# ---------------------------------------------------------------------------------------------
# Kernels


def _count(value, what: str) -> int:
    n = int(value)
    if n < 0:
        raise invalid(f"The {what} must be a non negative number, but got {n}")
    return n


@register_op(
    "TensorListReserve",
    inputs=["element_shape: shape_type", "num_elements: int32"],
    outputs=["handle: variant"],
    attrs=["element_dtype: type", "shape_type: {int32, int64}"],
    shape=_scalar,
)
def tensor_list_reserve(element_shape, num_elements, element_dtype, device):
    n = _count(num_elements, "num_elements to reserve")
    return TensorList([None] * n, _shape_arg(element_shape), element_dtype, device=device, sparse=())


@register_op(
    "EmptyTensorList",
    inputs=["element_shape: shape_type", "max_num_elements: int32"],
    outputs=["handle: variant"],
    attrs=["element_dtype: type", "shape_type: {int32, int64}"],
    shape=_scalar,
)
def empty_tensor_list(element_shape, max_num_elements, element_dtype, device):
    return TensorList([], _shape_arg(element_shape), element_dtype, int(max_num_elements), device=device)


@register_op(
    "TensorListSetItem",
    inputs=["input_handle: variant", "index: int32", "item: element_dtype"],
    outputs=["output_handle: variant"],
    attrs=["element_dtype: type", "resize_if_index_out_of_bounds: bool = false"],
    shape=_scalar,
)
def tensor_list_set_item(input_handle, index, item, element_dtype, resize_if_index_out_of_bounds):
    lst = input_handle
    lst.check_dtype(element_dtype)
    i = int(index)
    n = len(lst.elements)
    if i < 0 or (i >= n and not resize_if_index_out_of_bounds):
        raise invalid(f"Trying to modify element {i} in a list with {n} elements.")
    lst.check_item(item)
    elements = list(lst.elements)
    if i >= n:
        elements.extend([None] * (i + 1 - n))
    elements[i] = item
    sparse = lst.sparse
    if sparse is not None and i not in sparse:
        sparse = (*sparse, i) if len(sparse) < _SPARSE_MAX else None
    return lst.copy(elements, sparse)


@register_op(
    "TensorListGetItem",
    inputs=["input_handle: variant", "index: int32", "element_shape: Tshape"],
    outputs=["item: element_dtype"],
    attrs=["element_dtype: type", "Tshape: {int32, int64} = DT_INT32"],
    shape=_item_shape(2),
)
def tensor_list_get_item(input_handle, index, element_shape, element_dtype):
    lst = input_handle
    lst.check_dtype(element_dtype)
    i = int(index)
    n = len(lst.elements)
    if i < 0 or i >= n:
        raise invalid(f"Trying to access element {i} in a list with {n} elements.")
    return lst.item(i, element_shape)


def _stack_items(lst: TensorList, items, element_shape):
    if not items:
        dims = _merge(lst.element_shape, _shape_arg(element_shape))
        if not partial_shape_fully_defined(dims):
            raise invalid(
                f"Tried to stack elements of an empty list with non-fully-defined element_shape: {partial_shape_str(dims)}"
            )
        return torch.zeros((0, *dims), dtype=lst.torch_dtype, device=lst.device)
    first = items[0].shape
    for v in items[1:]:
        if v.shape != first:
            raise invalid(
                "PartialTensorShape: Incompatible shapes during merge: "
                f"{partial_shape_str(tuple(first))} vs. {partial_shape_str(tuple(v.shape))}"
            )
    return torch.stack(items)


@register_op(
    "TensorListStack",
    inputs=["input_handle: variant", "element_shape: int32"],
    outputs=["tensor: element_dtype"],
    attrs=["element_dtype: type", "num_elements: int = -1"],
    shape=_stacked_shape,
)
def tensor_list_stack(input_handle, element_shape, element_dtype, num_elements):
    lst = input_handle
    lst.check_dtype(element_dtype)
    n = len(lst.elements)
    if num_elements != -1 and num_elements != n:
        raise invalid(f"Operation expected a list with {num_elements} elements but got a list with {n} elements.")
    items = [lst.item(i, element_shape) for i in range(n)]
    return _stack_items(lst, items, element_shape)


@register_op(
    "TensorListFromTensor",
    inputs=["tensor: element_dtype", "element_shape: shape_type"],
    outputs=["output_handle: variant"],
    attrs=["element_dtype: type", "shape_type: {int32, int64}"],
    shape=_scalar,
)
def tensor_list_from_tensor(tensor, element_shape, element_dtype):
    if tensor.dim() == 0:
        raise invalid(f"Tensor must be at least a vector, but saw shape: {partial_shape_str(tuple(tensor.shape))}")
    dims = _shape_arg(element_shape)
    if not partial_shapes_compatible(dims, tuple(tensor.shape[1:])):
        raise invalid(
            f"Specified a list with shape {partial_shape_str(dims)} from a tensor with shape {partial_shape_str(tuple(tensor.shape))}"
        )
    return TensorList(list(tensor.unbind(0)), dims, element_dtype, device=tensor.device)


@register_op(
    "TensorListPushBack",
    inputs=["input_handle: variant", "tensor: element_dtype"],
    outputs=["output_handle: variant"],
    attrs=["element_dtype: type"],
    shape=_scalar,
)
def tensor_list_push_back(input_handle, tensor, element_dtype):
    lst = input_handle
    lst.check_dtype(element_dtype)
    lst.check_item(tensor, "append a tensor with incompatible shape to a list. Op")
    n = len(lst.elements)
    if lst.max_num_elements != -1 and n >= lst.max_num_elements:
        raise invalid(f"Tried to push item into a full list list size: {n} max_num_elements: {lst.max_num_elements}")
    return lst.copy([*lst.elements, tensor])


@register_op(
    "TensorListPopBack",
    inputs=["input_handle: variant", "element_shape: int32"],
    outputs=["output_handle: variant", "tensor: element_dtype"],
    attrs=["element_dtype: type"],
    shape=_pop_back_shape,
)
def tensor_list_pop_back(input_handle, element_shape, element_dtype):
    lst = input_handle
    lst.check_dtype(element_dtype)
    if not lst.elements:
        raise invalid("Trying to pop from an empty list.")
    value = lst.item(len(lst.elements) - 1, element_shape)
    return lst.copy(lst.elements[:-1]), value


@register_op(
    "TensorListLength",
    inputs=["input_handle: variant"],
    outputs=["length: int32"],
    shape=_scalar,
)
def tensor_list_length(input_handle):
    return _fact(input_handle, "length", lambda lst: torch.tensor(len(lst.elements), dtype=torch.int32))


def _fact(lst: TensorList, key, make):
    """``make(lst)``, made once per list: a loop's body asks the same list (a loop invariant) every iteration."""
    facts = lst.facts
    if facts is None:
        facts = lst.facts = {}
    value = facts.get(key)
    if value is None:
        value = facts[key] = make(lst)
    return value


@register_op(
    "TensorListElementShape",
    inputs=["input_handle: variant"],
    outputs=["element_shape: shape_type"],
    attrs=["shape_type: {int32, int64}"],
    shape=_element_shape_shape,
)
def tensor_list_element_shape(input_handle, shape_type):
    return _fact(input_handle, shape_type, lambda lst: _element_shape(lst, shape_type))


def _element_shape(lst: TensorList, shape_type):
    dims = lst.element_shape
    if dims is None:
        return torch.tensor(-1, dtype=shape_type.torch)
    return torch.tensor([-1 if d is None else d for d in dims], dtype=shape_type.torch)


@register_op(
    "TensorListConcatV2",
    inputs=["input_handle: variant", "element_shape: shape_type", "leading_dims: int64"],
    outputs=["tensor: element_dtype", "lengths: int64"],
    attrs=["element_dtype: type", "shape_type: {int32, int64}"],
    shape=_concat_shape,
)
def tensor_list_concat_v2(input_handle, element_shape, leading_dims, element_dtype):
    return _concat(input_handle, _shape_arg(element_shape), leading_dims, element_dtype)


@register_op(
    "TensorListConcat",
    inputs=["input_handle: variant"],
    outputs=["tensor: element_dtype", "lengths: int64"],
    attrs=["element_dtype: type", "element_shape: shape = { unknown_rank: true }"],
    shape=lambda op: [unknown_shape(), TensorShape([None])],
)
def tensor_list_concat(input_handle, element_dtype, element_shape):
    """The V1 op: the element shape is an attr and there are no leading_dims (TF's shape function reads only
    the handle's shape data, which torchmeta does not track, so the static result is unknown)."""
    if element_shape is not None and len(element_shape) == 0:
        raise invalid("element_shape must not be empty")
    return _concat(input_handle, element_shape, torch.zeros(0, dtype=torch.int64), element_dtype)


def _concat(lst, element_shape, leading_dims, element_dtype):
    lst.check_dtype(element_dtype)
    dims = _merge(lst.element_shape, element_shape)
    if dims is not None and len(dims) == 0:
        raise invalid("Concat requires elements to be at least vectors, found scalars instead.")
    items = []
    leading = [int(d) for d in leading_dims.tolist()] if leading_dims.numel() else []
    for i, value in enumerate(lst.elements):
        if value is None:
            if dims is None or any(d is None for d in dims[1:]):
                raise invalid(
                    "Trying to concat list with only uninitialized tensors but element_shape_except_first_dim is "
                    f"not fully defined: {partial_shape_str(None if dims is None else dims[1:])}"
                )
            first = dims[0] if dims[0] is not None else (leading[i] if i < len(leading) else None)
            if first is None:
                raise invalid(
                    "All uninitialized elements of the list must have a known first dimension or leading_dims must "
                    "be set."
                )
            value = torch.zeros((first, *dims[1:]), dtype=lst.torch_dtype, device=lst.device)
        elif value.dim() == 0:
            raise invalid("Concat saw a scalar shape at index 0 but requires at least vectors.")
        items.append(value)
    if not items:
        if dims is None or any(d is None for d in dims[1:]):
            raise invalid(
                "All except the first dimension must be fully defined when concating an empty tensor list. "
                f"element_shape: {partial_shape_str(dims)}"
            )
        value = torch.zeros((0, *dims[1:]), dtype=lst.torch_dtype, device=lst.device)
        return value, torch.zeros(0, dtype=torch.int64)
    lengths = torch.tensor([v.shape[0] for v in items], dtype=torch.int64)
    return torch.cat(items), lengths


@register_op(
    "TensorListGather",
    inputs=["input_handle: variant", "indices: int32", "element_shape: int32"],
    outputs=["values: element_dtype"],
    attrs=["element_dtype: type"],
    shape=_gather_shape,
)
def tensor_list_gather(input_handle, indices, element_shape, element_dtype):
    lst = input_handle
    lst.check_dtype(element_dtype)
    n = len(lst.elements)
    items = []
    for i in indices.reshape(-1).tolist():
        if i < 0 or i >= n:
            raise invalid(f"Trying to access element {i} in a list with {n} elements.")
        items.append(lst.item(i, element_shape))
    return _stack_items(lst, items, element_shape)


def _scatter(lst: TensorList, tensor, indices, element_dtype) -> TensorList:
    idx = indices.reshape(-1).tolist()
    if tensor.dim() == 0 or tensor.shape[0] != len(idx):
        got = tensor.shape[0] if tensor.dim() else 0
        raise invalid(f"Invalid number of rows in input tensor. Expected: {len(idx)} Actual: {got}")
    elements = list(lst.elements)
    for i, row in zip(idx, tensor.unbind(0)):
        if i < 0:
            raise invalid("Indices in TensorListScatter must all be non-negative.")
        if i >= len(elements):
            elements.extend([None] * (i + 1 - len(elements)))
        elements[i] = row
    return lst.copy(elements)


@register_op(
    "TensorListScatterV2",
    inputs=["tensor: element_dtype", "indices: int32", "element_shape: shape_type", "num_elements: int32"],
    outputs=["output_handle: variant"],
    attrs=["element_dtype: type", "shape_type: {int32, int64}"],
    shape=_scalar,
)
def tensor_list_scatter_v2(tensor, indices, element_shape, num_elements, element_dtype):
    n = int(num_elements)
    size = max(n, 0)
    lst = TensorList([None] * size, _shape_arg(element_shape), element_dtype, device=tensor.device)
    return _scatter(lst, tensor, indices, element_dtype)


@register_op(
    "TensorListScatter",
    inputs=["tensor: element_dtype", "indices: int32", "element_shape: shape_type"],
    outputs=["output_handle: variant"],
    attrs=["element_dtype: type", "shape_type: {int32, int64}"],
    shape=_scalar,
)
def tensor_list_scatter(tensor, indices, element_shape, element_dtype):
    """The V1 op: the list is as long as the largest index + 1 (TensorListScatterV2 with num_elements -1)."""
    return tensor_list_scatter_v2(tensor, indices, element_shape, -1, element_dtype)


@register_op(
    "TensorListScatterIntoExistingList",
    inputs=["input_handle: variant", "tensor: element_dtype", "indices: int32"],
    outputs=["output_handle: variant"],
    attrs=["element_dtype: type"],
    shape=_scalar,
)
def tensor_list_scatter_into_existing_list(input_handle, tensor, indices, element_dtype):
    input_handle.check_dtype(element_dtype)
    return _scatter(input_handle, tensor, indices, element_dtype)


@register_op(
    "TensorListSplit",
    inputs=["tensor: element_dtype", "element_shape: shape_type", "lengths: int64"],
    outputs=["output_handle: variant"],
    attrs=["element_dtype: type", "shape_type: {int32, int64}"],
    shape=_scalar,
)
def tensor_list_split(tensor, element_shape, lengths, element_dtype):
    if tensor.dim() == 0:
        raise invalid(f"Tensor must be at least a vector, but saw shape: {partial_shape_str(tuple(tensor.shape))}")
    sizes = [int(x) for x in lengths.tolist()]
    if sum(sizes) != tensor.shape[0]:
        raise invalid(f"Unused values in tensor. Length of tensor: {tensor.shape[0]} Values used: {sum(sizes)}")
    return TensorList(list(torch.split(tensor, sizes)), _shape_arg(element_shape), element_dtype, device=tensor.device)


@register_op(
    "TensorListResize",
    inputs=["input_handle: variant", "size: int32"],
    outputs=["output_handle: variant"],
    shape=_scalar,
)
def tensor_list_resize(input_handle, size):
    n = int(size)
    if n < 0:
        raise invalid(f"TensorListSlice expects size to be non-negative. Got: {n}")
    elements = list(input_handle.elements[:n]) + [None] * max(0, n - len(input_handle.elements))
    return input_handle.copy(elements)


@register_op(
    "TensorListConcatLists",
    inputs=["input_a: variant", "input_b: variant"],
    outputs=["output: variant"],
    attrs=["element_dtype: type"],
    shape=_scalar,
)
def tensor_list_concat_lists(input_a, input_b, element_dtype):
    input_a.check_dtype(element_dtype)
    input_b.check_dtype(element_dtype)
    return input_a.copy([*input_a.elements, *input_b.elements])


@register_op(
    "TensorListPushBackBatch",
    inputs=["input_handles: variant", "tensor: element_dtype"],
    outputs=["output_handles: variant"],
    attrs=["element_dtype: type"],
    shape=lambda op: [op.inputs[0].shape],
)
def tensor_list_push_back_batch(input_handles, tensor, element_dtype):
    # A batch of lists is a vector of variants (a numpy object array, as Pack of TensorLists builds it).
    out = np.empty(len(input_handles), dtype=object)
    for i, (lst, row) in enumerate(zip(input_handles, tensor.unbind(0))):
        out[i] = tensor_list_push_back(lst, row, element_dtype)
    return out


no_registered_gradient("TensorListReserve", "EmptyTensorList")
not_differentiable("TensorListLength", "TensorListElementShape", "TensorListConcatLists", "TensorListPushBackBatch")


# ---------------------------------------------------------------------------------------------
# Gradients (TF's list_ops.py): a list's gradient is a list of its elements' gradients


@register_gradient("TensorListPushBack")
def _push_back_grad(op, dresult):
    return raw_op(
        "TensorListPopBack",
        input_handle=dresult,
        element_shape=array_ops.shape(op.inputs[1]),
        element_dtype=op.get_attr("element_dtype"),
    )


@register_gradient("TensorListPopBack")
def _pop_back_grad(op, dlist, delement):
    if dlist is None:
        dlist = tf_list_ops.empty_tensor_list(
            element_dtype=delement.dtype.base_dtype,
            element_shape=tf_list_ops.tensor_list_element_shape(op.outputs[0], shape_type=DType.int32),
        )
    if delement is None:
        delement = array_ops.zeros_like(op.outputs[1])
    return tf_list_ops.tensor_list_push_back(dlist, delement), None


@register_gradient("TensorListStack")
def _tensor_list_stack_grad(unused_op, dtensor):
    return tf_list_ops.tensor_list_from_tensor(dtensor, element_shape=dtensor.shape[1:]), None


@register_gradient("TensorListConcat")
@register_gradient("TensorListConcatV2")
def _tensor_list_concat_grad(op, dtensor, unused_dlengths):
    dlist = tf_list_ops.tensor_list_split(
        dtensor,
        element_shape=tf_list_ops.tensor_list_element_shape(op.inputs[0], shape_type=DType.int32),
        lengths=op.outputs[1],
    )
    if op.type == "TensorListConcatV2":
        return dlist, None, None
    return dlist


@register_gradient("TensorListSplit")
def _tensor_list_split_grad(op, dlist):
    tensor, _, lengths = op.inputs
    element_shape = array_ops.slice(array_ops.shape(tensor), [1], [-1])
    element_shape = array_ops.concat([[-1], element_shape], axis=0)
    return (
        raw_op(
            "TensorListConcatV2",
            input_handle=dlist,
            element_shape=element_shape,
            leading_dims=lengths,
            element_dtype=op.inputs[0].dtype.base_dtype,
        )[0],
        None,
        None,
    )


@register_gradient("TensorListFromTensor")
def _tensor_list_from_tensor_grad(op, dlist):
    t = op.inputs[0]
    dims = t.shape.as_tuple() if t.shape.rank else None
    num_elements = dims[0] if dims and dims[0] is not None else None
    if dlist is None:
        dlist = tf_list_ops.empty_tensor_list(
            element_dtype=t.dtype.base_dtype,
            element_shape=tf_list_ops.tensor_list_element_shape(op.outputs[0], shape_type=DType.int32),
        )
    tensor_grad = raw_op(
        "TensorListStack",
        input_handle=dlist,
        element_shape=array_ops.slice(array_ops.shape(t), [1], [-1]),
        element_dtype=t.dtype.base_dtype,
        num_elements=-1 if num_elements is None else num_elements,
    )
    return tensor_grad, None


@register_gradient("TensorListGetItem")
def _tensor_list_get_item_grad(op, ditem):
    list_size = tf_list_ops.tensor_list_length(op.inputs[0])
    list_grad = raw_op(
        "TensorListSetItem",
        input_handle=raw_op(
            "TensorListReserve",
            element_shape=tf_list_ops.tensor_list_element_shape(op.inputs[0], shape_type=DType.int32),
            num_elements=list_size,
            element_dtype=ditem.dtype.base_dtype,
        ),
        index=op.inputs[1],
        item=ditem,
    )
    return list_grad, None, None


@register_gradient("TensorListSetItem")
def _tensor_list_set_item_grad(op, dlist):
    input_list, index, item = op.inputs
    list_grad = raw_op("TensorListSetItem", input_handle=dlist, index=index, item=array_ops.zeros_like(item))
    element_grad = tf_list_ops.tensor_list_get_item(
        dlist, index, element_shape=array_ops.shape(item), element_dtype=item.dtype.base_dtype
    )
    if op.get_attr("resize_if_index_out_of_bounds"):
        input_list_size = tf_list_ops.tensor_list_length(input_list)
        list_grad = raw_op("TensorListResize", input_handle=list_grad, size=input_list_size)
    return list_grad, None, element_grad


@register_gradient("TensorListResize")
def _tensor_list_resize_grad(op, dlist):
    input_list_size = tf_list_ops.tensor_list_length(op.inputs[0])
    return raw_op("TensorListResize", input_handle=dlist, size=input_list_size), None


@register_gradient("TensorListGather")
def _tensor_list_gather_grad(op, dtensor):
    input_list, indices, _ = op.inputs
    element_shape = tf_list_ops.tensor_list_element_shape(input_list, shape_type=DType.int32)
    num_elements = tf_list_ops.tensor_list_length(input_list)
    dlist = tf_list_ops.tensor_list_reserve(element_shape, num_elements, dtensor.dtype.base_dtype)
    dlist = tf_list_ops.tensor_list_scatter(dtensor, indices, input_handle=dlist)
    return dlist, None, None


@register_gradient("TensorListScatter")
@register_gradient("TensorListScatterV2")
def _tensor_list_scatter_grad(op, dlist):
    tensor, indices = op.inputs[0], op.inputs[1]
    dtensor = raw_op(
        "TensorListGather",
        input_handle=dlist,
        indices=indices,
        element_shape=array_ops.slice(array_ops.shape(tensor), [1], [-1]),
        element_dtype=tensor.dtype.base_dtype,
    )
    if op.type == "TensorListScatterV2":
        return dtensor, None, None, None
    return dtensor, None, None


@register_gradient("TensorListScatterIntoExistingList")
def _tensor_list_scatter_into_existing_list_grad(op, dlist):
    _, tensor, indices = op.inputs
    dtensor = raw_op(
        "TensorListGather",
        input_handle=dlist,
        indices=indices,
        element_shape=array_ops.slice(array_ops.shape(tensor), [1], [-1]),
        element_dtype=tensor.dtype.base_dtype,
    )
    zeros = array_ops.zeros_like(tensor)
    dlist = tf_list_ops.tensor_list_scatter(zeros, indices, indices, input_handle=dlist)
    return dlist, dtensor, None
