"""Function bodies as graphs, built from their FunctionDefs as TensorFlow's ``function_def_to_graph`` does.

A ``FuncGraph`` has a Placeholder per argument (named after it), the body's nodes with their
``node:output_arg:index`` inputs resolved to tensors, and ``outputs`` / ``control_outputs`` from the
``ret`` / ``control_ret`` maps. It shares its outer graph's library, so nested calls (If, While,
PartitionedCall, ...) find their functions; the runtime lowers it like any graph
(torchmeta.runtime.functions).
"""

from __future__ import annotations

from torchmeta import errors
from torchmeta._proto import graph_pb2
from torchmeta.framework import registry
from torchmeta.framework.function_def_builder import BuildingFuncGraph
from torchmeta.framework.function_library import FunctionLibrary
from torchmeta.framework.importer import import_graph_def

__all__ = ["FuncGraph", "function_graph", "function_def_to_graph_def"]


def function_graph(library: FunctionLibrary, name: str) -> FuncGraph:
    """The body of function ``name`` as a FuncGraph (built once per library, then cached).

    Raises:
      NotFoundError: if the library has no function ``name``.
      UnsupportedOpError: if the body uses op types torchmeta does not know.
    """
    fg = library._graphs.get(name)
    if fg is None:
        fdef = library.get(name)
        if fdef is None:
            raise errors.NotFoundError(None, None, f"Function {name} is not defined.")
        fg = FuncGraph(name, fdef, library)
        library._graphs[name] = fg
    return fg


class FuncGraph(BuildingFuncGraph):
    """One function body as a Graph: ``inputs`` (its argument placeholders), ``outputs`` and
    ``control_outputs``, in the FunctionDef's signature order.

    It is a BuildingFuncGraph, so gradients can be built against it (cond_v2/while_v2 gradients of
    If/While ops imported from a GraphDef); ``input_shapes`` refine the argument placeholders' shapes.
    """

    def __init__(self, name: str, function_def, library: FunctionLibrary, outer_graph=None, input_shapes=None):
        super().__init__(name, outer_graph=outer_graph)
        self.function_def = function_def
        self._library = library
        graph_def = function_def_to_graph_def(function_def, library)
        if input_shapes is not None:
            for node, shape in zip(graph_def.node, input_shapes):
                if shape is not None and shape.rank is not None:
                    node.attr["shape"].shape.CopyFrom(shape.as_proto())
        with self.as_default():
            import_graph_def(graph_def, name="")
        sig = function_def.signature
        self.inputs = [self.get_tensor_by_name(f"{arg.name}:0") for arg in sig.input_arg]
        self.outputs = [self._ret_tensor(function_def.ret[arg.name]) for arg in sig.output_arg]
        self.control_outputs = [self.get_operation_by_name(function_def.control_ret[n]) for n in sig.control_output]

    def _ret_tensor(self, ret: str):
        parts = ret.split(":")
        if len(parts) == 1:  # an argument returned as it is
            return self.get_tensor_by_name(f"{parts[0]}:0")
        node, out_arg, index = parts[0], parts[1], int(parts[2])
        op = self.get_operation_by_name(node)
        return op.outputs[_output_offset(op.op_def, op.node_def.attr, out_arg, self.name) + index]

    def __repr__(self):
        return f"<FuncGraph {self.name!r}>"


def _arg_count(arg, attrs) -> int:
    if arg.number_attr:
        return attrs[arg.number_attr].i
    if arg.type_list_attr:
        return len(attrs[arg.type_list_attr].list.type)
    return 1


def _output_offset(op_def, attrs, out_arg: str, function_name: str) -> int:
    offset = 0
    for arg in op_def.output_arg:
        if arg.name == out_arg:
            return offset
        offset += _arg_count(arg, attrs)
    raise errors.InvalidArgumentError(
        None, None, f"Function {function_name}: op {op_def.name} has no output argument '{out_arg}'"
    )


def _op_def(op_type: str, library: FunctionLibrary):
    info = registry.get(op_type)
    if info is not None:
        return info.op_def
    fdef = library.get(op_type)
    return fdef.signature if fdef is not None else None


def function_def_to_graph_def(function_def, library: FunctionLibrary) -> graph_pb2.GraphDef:
    """The GraphDef of a function body (TensorFlow's ``function_def_to_graph_def``): a Placeholder per
    argument, then the body's nodes with ``node:output_arg:index`` inputs rewritten to ``node:i``.

    Raises:
      UnsupportedOpError: naming body nodes whose op types are neither registered nor in ``library``.
      UnimplementedError: for functions that still take attrs (uninstantiated polymorphic functions).
    """
    sig = function_def.signature
    if sig.attr:
        raise errors.UnimplementedError(
            None,
            None,
            f"Function {sig.name} takes attrs ({', '.join(a.name for a in sig.attr)}); only "
            "instantiated functions run here",
        )
    gd = graph_pb2.GraphDef()
    for i, arg in enumerate(sig.input_arg):
        node = gd.node.add()
        node.name = arg.name
        node.op = "Placeholder"
        node.attr["dtype"].type = arg.type
        arg_attrs = function_def.arg_attr.get(i) if i in function_def.arg_attr else None
        shapes = (
            arg_attrs.attr["_output_shapes"].list.shape
            if arg_attrs is not None and "_output_shapes" in arg_attrs.attr
            else ()
        )
        if shapes:
            node.attr["shape"].shape.CopyFrom(shapes[0])
        else:
            node.attr["shape"].shape.unknown_rank = True
    arg_names = {arg.name for arg in sig.input_arg}
    by_name = {nd.name: nd for nd in function_def.node_def}
    missing: dict[str, list[str]] = {}
    offsets: dict[tuple[str, str], int] = {}

    def flat(node_name: str, out_arg: str) -> int:
        key = (node_name, out_arg)
        if key not in offsets:
            nd = by_name[node_name]
            op_def = _op_def(nd.op, library)
            attrs = dict(nd.attr)
            for a in op_def.attr:
                if a.name not in attrs and a.HasField("default_value"):
                    attrs[a.name] = a.default_value
            offsets[key] = _output_offset(op_def, attrs, out_arg, sig.name)
        return offsets[key]

    for nd in function_def.node_def:
        if _op_def(nd.op, library) is None:
            missing.setdefault(nd.op, []).append(f"{sig.name}/{nd.name}")
    if missing:
        raise errors.UnsupportedOpError(missing, where=f"function {sig.name}")
    for nd in function_def.node_def:
        node = gd.node.add()
        node.CopyFrom(nd)
        del node.input[:]
        for name in nd.input:
            if name.startswith("^"):
                node.input.append(name)
                continue
            parts = name.split(":")
            if len(parts) == 1:
                node.input.append(f"{parts[0]}:0" if parts[0] in arg_names else parts[0])
            elif len(parts) == 2:  # an argument with an index, "x:0"
                node.input.append(name)
            else:
                node.input.append(f"{parts[0]}:{flat(parts[0], parts[1]) + int(parts[2])}")
        for key, value in node.attr.items():
            if value.placeholder:
                raise errors.UnimplementedError(
                    None,
                    None,
                    f"Function {sig.name}: node {nd.name} attr {key} refers to function attr "
                    f"'{value.placeholder}'; only instantiated functions run here",
                )
    return gd
