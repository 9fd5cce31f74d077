"""TensorList wrappers as TensorFlow's list_ops.py writes them (element shapes as TF encodes them).

TF2 control flow keeps TensorArrays and loop accumulators in TensorList variants; these build the
ops with the element-shape argument TensorFlow passes (-1 for an unknown shape or dimension).
"""

from __future__ import annotations

import numpy as np

from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import Tensor
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.tensor_shape import Dimension, TensorShape

__all__ = [
    "build_element_shape",
    "empty_tensor_list",
    "tensor_list_reserve",
    "tensor_list_from_tensor",
    "tensor_list_get_item",
    "tensor_list_set_item",
    "tensor_list_pop_back",
    "tensor_list_push_back",
    "tensor_list_gather",
    "tensor_list_scatter",
    "tensor_list_stack",
    "tensor_list_concat",
    "tensor_list_split",
    "tensor_list_length",
    "tensor_list_element_shape",
]


def build_element_shape(shape):
    """An element shape as TensorList ops take it: -1 (unknown rank), a list with -1 for unknown dims."""
    if isinstance(shape, Tensor):
        return shape
    if isinstance(shape, TensorShape):
        shape = shape.as_list() if shape.rank is not None else None
    if shape is None:
        return -1
    if isinstance(shape, (np.ndarray, np.generic)) or not shape:
        return graph_lib.convert_to_tensor(shape, dtype=DType.int32)

    def convert(val):
        if val is None:
            return -1
        if isinstance(val, Tensor):
            return val
        if isinstance(val, Dimension):
            return val.value if val.value is not None else -1
        return val

    return [convert(d) for d in shape]


def empty_tensor_list(element_shape, element_dtype, max_num_elements=None, name=None):
    if max_num_elements is None:
        max_num_elements = -1
    return raw_op(
        "EmptyTensorList",
        element_shape=build_element_shape(element_shape),
        element_dtype=element_dtype,
        max_num_elements=max_num_elements,
        name=name,
    )


def tensor_list_reserve(element_shape, num_elements, element_dtype, name=None):
    return raw_op(
        "TensorListReserve",
        element_shape=build_element_shape(element_shape),
        num_elements=num_elements,
        element_dtype=element_dtype,
        name=name,
    )


def tensor_list_from_tensor(tensor, element_shape, name=None):
    tensor = graph_lib.convert_to_tensor(tensor)
    return raw_op("TensorListFromTensor", tensor=tensor, element_shape=build_element_shape(element_shape), name=name)


def tensor_list_get_item(input_handle, index, element_dtype, element_shape=None, name=None):
    return raw_op(
        "TensorListGetItem",
        input_handle=input_handle,
        index=index,
        element_shape=build_element_shape(element_shape),
        element_dtype=element_dtype,
        name=name,
    )


def tensor_list_set_item(input_handle, index, item, resize_if_index_out_of_bounds=False, name=None):
    return raw_op(
        "TensorListSetItem",
        input_handle=input_handle,
        index=index,
        item=item,
        resize_if_index_out_of_bounds=resize_if_index_out_of_bounds,
        name=name,
    )


def tensor_list_pop_back(input_handle, element_dtype, name=None):
    return raw_op(
        "TensorListPopBack", input_handle=input_handle, element_shape=-1, element_dtype=element_dtype, name=name
    )


def tensor_list_push_back(input_handle, tensor, name=None):
    return raw_op("TensorListPushBack", input_handle=input_handle, tensor=tensor, name=name)


def tensor_list_gather(input_handle, indices, element_dtype, element_shape=None, name=None):
    return raw_op(
        "TensorListGather",
        input_handle=input_handle,
        indices=indices,
        element_shape=build_element_shape(element_shape),
        element_dtype=element_dtype,
        name=name,
    )


def tensor_list_scatter(tensor, indices, element_shape=None, input_handle=None, name=None):
    tensor = graph_lib.convert_to_tensor(tensor)
    if input_handle is not None:
        return raw_op(
            "TensorListScatterIntoExistingList", input_handle=input_handle, tensor=tensor, indices=indices, name=name
        )
    return raw_op(
        "TensorListScatterV2",
        tensor=tensor,
        indices=indices,
        element_shape=build_element_shape(element_shape),
        num_elements=-1,
        name=name,
    )


def tensor_list_stack(input_handle, element_dtype, num_elements=-1, element_shape=None, name=None):
    return raw_op(
        "TensorListStack",
        input_handle=input_handle,
        element_shape=build_element_shape(element_shape),
        element_dtype=element_dtype,
        num_elements=num_elements,
        name=name,
    )


def tensor_list_concat(input_handle, element_dtype, element_shape=None, name=None):
    return raw_op(
        "TensorListConcatV2",
        input_handle=input_handle,
        element_dtype=element_dtype,
        element_shape=build_element_shape(element_shape),
        leading_dims=graph_lib.convert_to_tensor([], dtype=DType.int64),
        name=name,
    )[0]


def tensor_list_split(tensor, element_shape, lengths, name=None):
    return raw_op(
        "TensorListSplit", tensor=tensor, element_shape=build_element_shape(element_shape), lengths=lengths, name=name
    )


def tensor_list_length(input_handle, name=None):
    return raw_op("TensorListLength", input_handle=input_handle, name=name)


def tensor_list_element_shape(input_handle, shape_type=DType.int32, name=None):
    return raw_op("TensorListElementShape", input_handle=input_handle, shape_type=shape_type, name=name)
