"""Shared pieces of control flow v2 (TF's control_flow_util_v2): branch/body function graphs and their FunctionDefs.

``func_graph_from_py_func`` runs a Python function inside a ``BuildingFuncGraph`` and records its
(structured) outputs; ``create_new_tf_function`` adds the graph's FunctionDef to the outermost graph's
library under the graph's name. Function names carry TensorFlow's process-wide unique id
(``cond_true_7``), so they are unique but not equal to TensorFlow's own numbering.
"""

from __future__ import annotations

from torchmeta import errors
from torchmeta._proto import attr_value_pb2, function_pb2
from torchmeta.api import array_ops
from torchmeta.dtypes import DType
from torchmeta.framework import common_shapes, nest
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.func_graph import FuncGraph
from torchmeta.framework.function_def_builder import BuildingFuncGraph, graph_to_function_def
from torchmeta.framework.graph import Operation, Tensor, uid
from torchmeta.framework.indexed_slices import IndexedSlices

__all__ = [
    "uid",
    "unique_fn_name",
    "unique_grad_fn_name",
    "func_graph_from_py_func",
    "create_new_tf_function",
    "add_function",
    "outermost",
    "find_function",
    "maybe_set_lowering_attr",
    "set_int_list_attr",
    "set_int_attr",
    "set_func_attr",
    "set_type_list_attr",
    "set_shape_list_attr",
    "read_only_resource_input_indices",
    "func_graph_of",
]


def unique_fn_name(scope: str, name: str) -> str:
    return f"{scope}{name}_{uid()}".replace("/", "_")


def unique_grad_fn_name(forward_name: str) -> str:
    return f"{forward_name}_grad_{uid()}"


def outermost(graph):
    """The graph enclosing ``graph`` and all function graphs around it."""
    while getattr(graph, "outer_graph", None) is not None:
        graph = graph.outer_graph
    return graph


def add_function(graph, fdef) -> None:
    """Adds ``fdef`` to the library of ``graph``'s outermost graph (where TF's GraphDef keeps it)."""
    target = outermost(graph)
    adder = getattr(target, "_add_function_def", None)
    if adder is not None:
        adder(fdef)
        return
    if target._library is None:
        target._library = function_pb2.FunctionDefLibrary()
    for f in target._library.function:
        if f.signature.name == fdef.signature.name:
            return
    target._library.function.add().CopyFrom(fdef)


def find_function(graph, name):
    """The FunctionDef ``name`` from the library of ``graph``'s outermost graph, or None."""
    target = outermost(graph)
    getter = getattr(target, "_get_function_def", None)
    if getter is not None:
        return getter(name)
    if target._library is None:
        return None
    for f in target._library.function:
        if f.signature.name == name:
            return f
    return None


def create_new_tf_function(func_graph) -> str:
    """Adds ``func_graph``'s FunctionDef (inputs -> outputs) to the library; returns its name."""
    fdef = graph_to_function_def(
        func_graph, func_graph.name, func_graph.inputs, func_graph.outputs, func_graph.control_outputs
    )
    add_function(func_graph.outer_graph, fdef)
    return func_graph.name


def maybe_set_lowering_attr(op, lower_using_switch_merge=None) -> None:
    """``_lower_using_switch_merge``: TF's runtime may run the op as Switch/Merge (v1) control flow."""
    value = True if lower_using_switch_merge is None else lower_using_switch_merge
    op._set_attr("_lower_using_switch_merge", attr_value_pb2.AttrValue(b=value))


def set_int_list_attr(op, name, values) -> None:
    op._set_attr(name, attr_value_pb2.AttrValue(list=attr_value_pb2.AttrValue.ListValue(i=list(values))))


def set_int_attr(op, name, value) -> None:
    op._set_attr(name, attr_value_pb2.AttrValue(i=value))


def set_func_attr(op, name, func_name) -> None:
    value = attr_value_pb2.AttrValue()
    value.func.name = func_name
    op._set_attr(name, value)


def set_type_list_attr(op, name, types) -> None:
    op._set_attr(name, attr_value_pb2.AttrValue(list=attr_value_pb2.AttrValue.ListValue(type=[t.value for t in types])))


def set_shape_list_attr(op, name, shapes) -> None:
    value = attr_value_pb2.AttrValue(list=attr_value_pb2.AttrValue.ListValue())
    for shape in shapes:
        value.list.shape.add().CopyFrom(shape.as_proto())
    op._set_attr(name, value)


_READ_ONLY_RESOURCE_OPS = {"ReadVariableOp", "ResourceGather", "VariableShape", "ResourceGatherNd"}


def read_only_resource_input_indices(func_graph) -> set[int]:
    """Indices of the resource inputs ``func_graph`` only reads (TF's read-only resource inputs)."""
    out = set()
    for i, t in enumerate(func_graph.inputs):
        if t.dtype.base_dtype is not DType.resource:
            continue
        if all(c.type in _READ_ONLY_RESOURCE_OPS for c in t.consumers()):
            out.add(i)
    return out


def _convert_output(x, op_return_value):
    if x is None:
        return None
    if op_return_value is not None and isinstance(x, Operation):
        with graph_lib.control_dependencies([x]):
            return array_ops.identity(op_return_value)
    if getattr(x, "_is_tensor_array", False) or isinstance(x, IndexedSlices):
        return x
    if getattr(x, "_is_resource", False):
        return graph_lib.convert_to_tensor(x)
    try:
        return graph_lib.convert_to_tensor(x)
    except (ValueError, TypeError):
        raise TypeError(
            "To be compatible with tf.function, Python functions must return zero or more Tensors or "
            f"ExtensionTypes or None values; in compilation of {x}, found return value of type "
            f"{type(x).__name__}, which is not a Tensor or ExtensionType."
        ) from None


def flatten_outputs(structured):
    """The tensors of a structured result (TensorArrays as their flow, IndexedSlices as components)."""
    out = []
    for x in nest.flatten(structured, expand_composites=True):
        if x is None:
            continue
        out.append(x.flow if getattr(x, "_is_tensor_array", False) else x)
    return out


def func_graph_from_py_func(name, python_func, args, func_graph=None, op_return_value=None, collections=None):
    """Builds ``python_func(*args)`` into ``func_graph`` (a new BuildingFuncGraph by default).

    ``args`` are Tensors of the graph (placeholders the caller made) or nothing; the result becomes
    ``structured_outputs`` and, flattened and captured, ``outputs``.
    """
    if func_graph is None:
        func_graph = BuildingFuncGraph(name, collections=collections)
    with func_graph.as_default():
        result = python_func(*args)
        result = nest.map_structure(lambda x: _convert_output(x, op_return_value), result)
        func_graph.structured_outputs = result
        func_graph.outputs.extend(func_graph.capture(x) for x in flatten_outputs(result))
    return func_graph


def placeholder_like(func_graph, template, name=None):
    """A Placeholder in ``func_graph`` with ``template``'s dtype and shape (a function argument)."""
    with func_graph.as_default(), func_graph.control_dependencies(None):
        ph = array_ops.placeholder(template.dtype.base_dtype, shape=template.shape, name=name)
    if isinstance(template, Tensor) and template.dtype.base_dtype is DType.resource:
        func_graph._handle_shapes[id(ph)] = common_shapes.resource_handle_shape(template)
    return ph


def is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def func_graph_of(op, function_name, inputs, input_shapes=None, while_body=False):
    """A fresh function graph of library function ``function_name``, as called by ``op`` with ``inputs``.

    Gradients of If/While/Case ops imported from a GraphDef are built against it (TF's get_func_graph).

    Raises:
      NotFoundError: if the library has no such function.
    """
    library = outermost(op.graph)._library
    fdef = library.get(function_name)
    if fdef is None:
        raise errors.NotFoundError(None, None, f"{function_name} cannot be found in the graph")
    shapes = input_shapes if input_shapes is not None else [t.shape for t in inputs]
    with op.graph.as_default():
        fg = FuncGraph(function_name, fdef, library, outer_graph=op.graph, input_shapes=shapes)
    fg._is_while_body = while_body
    fg.structured_outputs = list(fg.outputs)
    return fg
