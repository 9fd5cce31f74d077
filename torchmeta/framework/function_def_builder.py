"""Building functions: a graph whose outside inputs become arguments, turned into a FunctionDef as TF does.

``BuildingFuncGraph`` is TensorFlow's FuncGraph in building mode: ops created in it that read tensors of
an enclosing graph capture them (a Placeholder per outside tensor, named after it, recorded in
``captures``); control dependencies on outside ops are kept apart (``control_captures``) for the caller.
``graph_to_function_def`` is TensorFlow's C++ GraphToFunctionDef: argument and result names are the
nodes' names lower-cased with other characters as ``_`` and made unique, body nodes keep their names
(made unique against those), and inputs are written ``node:output_arg:index``.
"""

from __future__ import annotations

from torchmeta._proto import attr_value_pb2, function_pb2, op_def_pb2
from torchmeta.dtypes import DType
from torchmeta.framework import common_shapes
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import Operation, Tensor
from torchmeta.framework.op_def_library import raw_op

__all__ = ["BuildingFuncGraph", "graph_to_function_def", "normalize_name"]


class BuildingFuncGraph(graph_lib.Graph):
    """A function body under construction (TF's FuncGraph): captures tensors of enclosing graphs.

    Args:
      name: the function's name.
      collections: a collections dict to share with the outer graph (cond/while branches share it).
      outer_graph: the enclosing graph (default: the current default graph).
    """

    def __init__(self, name, collections=None, outer_graph=None):
        super().__init__()
        self.name = name
        self.outer_graph = outer_graph if outer_graph is not None else graph_lib.get_default_graph()
        self.inputs: list[Tensor] = []
        self.outputs: list[Tensor] = []
        self.control_outputs: list[Operation] = []
        self.structured_outputs = None
        self._captures: dict[int, tuple[Tensor, Tensor]] = {}  # id(outside tensor) -> (outside, placeholder)
        self.control_captures: list[Operation] = []
        self._handle_shapes: dict = {}  # id(resource placeholder) -> the captured variable's shape
        if collections is not None:
            self._collections = collections
        self._seed = self.outer_graph.seed
        self._graph_def_versions.CopyFrom(self.outer_graph.graph_def_versions)
        # Functions created in a function go to the outermost graph's library, as TF's nested functions.
        self._library = getattr(self.outer_graph, "_library", None)

    @property
    def building_function(self) -> bool:
        return True

    # -- captures ---------------------------------------------------------------------------------------
    @property
    def captures(self) -> list[tuple[Tensor, Tensor]]:
        """(outside tensor, placeholder in this graph) pairs, in capture order."""
        return list(self._captures.values())

    @property
    def external_captures(self) -> list[Tensor]:
        return [c[0] for c in self._captures.values()]

    @property
    def internal_captures(self) -> list[Tensor]:
        return [c[1] for c in self._captures.values()]

    def reset_captures(self, external, internal) -> None:
        self._captures = {id(e): (e, i) for e, i in zip(external, internal)}

    def capture(self, tensor, name=None):
        """The tensor of this graph standing for ``tensor``: itself, or a Placeholder for an outside tensor."""
        if tensor.graph is self:
            return tensor
        found = self._captures.get(id(tensor))
        if found is not None:
            return found[1]
        placeholder = self._create_substitute_placeholder(tensor, name or tensor.op.name)
        if tensor.dtype.base_dtype is DType.resource:
            self._handle_shapes[id(placeholder)] = common_shapes.resource_handle_shape(tensor)
        self._captures[id(tensor)] = (tensor, placeholder)
        self.inputs.append(placeholder)
        return placeholder

    def _create_substitute_placeholder(self, value, name):
        with self.as_default(), self.control_dependencies(None):
            ph = raw_op(
                "Placeholder",
                dtype=value.dtype.base_dtype,
                shape=value.shape,
                name=name,
            )
            ph.op._set_attr("_user_specified_name", attr_value_pb2.AttrValue(s=name.encode()))
        return ph

    def _create_op(self, op_type, inputs, output_types, attrs, name, **kwargs):
        inputs = [self.capture(t) if t.graph is not self else t for t in inputs]
        return super()._create_op(op_type, inputs, output_types, attrs, name, **kwargs)

    def control_dependencies(self, control_inputs):
        """Outside ops become control captures; this graph's ops are control dependencies as usual."""
        if control_inputs is None:
            return super().control_dependencies(control_inputs)
        inside = []
        for c in control_inputs:
            element = c
            if hasattr(c, "_as_graph_element") and not isinstance(c, (Tensor, Operation)):
                element = c._as_graph_element()
            if type(element).__name__ == "IndexedSlices":
                element = element.op
            if isinstance(element, Tensor):
                element = element.op
            if getattr(element, "graph", None) is not self:
                if element not in self.control_captures:
                    self.control_captures.append(element)
            else:
                inside.append(element)
        return super().control_dependencies(inside)

    def __repr__(self):
        return f"<FuncGraph {self.name!r}>"


# ---------------------------------------------------------------------------------------------
# Graph -> FunctionDef


def normalize_name(name: str) -> str:
    """TF's NodeNameMapping::Normalize: lower-cased, non-alphanumerics as ``_``, from the first letter on."""
    if not name:
        return "unknown"
    chars = [c.lower() if c.isalnum() and c.isascii() else "_" for c in name]
    text = "".join(chars)
    for i, c in enumerate(text):
        if c.isalpha():
            return text[i:]
    return "unknown"


class _Names:
    """Names used so far in one FunctionDef (args, results, nodes), made unique with ``_0``, ``_1``, ..."""

    def __init__(self):
        self._used: dict[str, int] = {}
        self.mapping: dict[str, str] = {}

    def _unique(self, name: str) -> str:
        if name not in self._used:
            self._used[name] = 0
            return name
        while True:
            candidate = f"{name}_{self._used[name]}"
            self._used[name] += 1
            if candidate not in self._used:
                self._used[candidate] = 0
                return candidate

    def input_name(self, node_name: str) -> str:
        out = self._unique(normalize_name(node_name))
        self.mapping[node_name] = out
        return out

    def output_name(self, node_name: str) -> str:
        return self._unique(normalize_name(node_name))

    def uniquify(self, node_name: str) -> str:
        out = self._unique(node_name)
        self.mapping[node_name] = out
        return out


def _output_arg_ranges(op) -> list[tuple[str, int, int]]:
    """(output arg name, first index, end index) of each OpDef output argument of ``op``."""
    op_def = op.op_def
    ranges, start = [], 0
    for arg in op_def.output_arg:
        if arg.number_attr:
            n = op._attrs[arg.number_attr].i
        elif arg.type_list_attr:
            n = len(op._attrs[arg.type_list_attr].list.type)
        else:
            n = 1
        ranges.append((arg.name, start, start + n))
        start += n
    return ranges


def graph_to_function_def(graph, name, inputs, outputs, control_outputs=(), output_names=None):
    """The FunctionDef of ``graph``'s ops computing ``outputs`` from the Placeholders ``inputs``.

    Args:
      graph: the function body.
      name: the function name.
      inputs: Placeholder outputs that become the arguments, in order.
      outputs: tensors returned, in order.
      control_outputs: ops that must run (the signature's control outputs).
      output_names: result names (default: the producing nodes' normalized names, as TF).
    """
    fdef = function_pb2.FunctionDef()
    fdef.signature.name = name
    names = _Names()
    renaming: dict[tuple[int, int], str] = {}  # (id(op), output index) -> function tensor name
    input_ops = {t.op for t in inputs}
    for i, t in enumerate(inputs):
        arg = fdef.signature.input_arg.add()
        arg.type = t.dtype.base_dtype.value
        arg.name = names.input_name(t.op.name)
        arg_attrs = function_pb2.FunctionDef.ArgAttrs()
        for key, value in sorted(t.op._attrs.items()):
            if key.startswith("_"):
                arg_attrs.attr[key].CopyFrom(value)
            elif key == "shape" and t.dtype.base_dtype.name != "resource":
                arg_attrs.attr["_output_shapes"].list.shape.add().CopyFrom(value.shape)
        if arg_attrs.attr:
            fdef.arg_attr[i].CopyFrom(arg_attrs)
        renaming[(id(t.op), t.value_index)] = arg.name
    ret_sources = []
    for i, t in enumerate(outputs):
        out_name = output_names[i] if output_names else names.output_name(t.op.name)
        arg = fdef.signature.output_arg.add()
        arg.name = out_name
        arg.type = t.dtype.base_dtype.value
        ret_sources.append((out_name, t))
    for op in control_outputs:
        out_name = names.output_name(op.name)
        fdef.signature.control_output.append(out_name)
    body = [op for op in graph.get_operations() if op not in input_ops]
    for op in body:
        node_name = names.uniquify(op.name)
        if op.op_def is None:
            continue
        for arg_name, start, end in _output_arg_ranges(op):
            for k in range(start, end):
                renaming.setdefault((id(op), k), f"{node_name}:{arg_name}:{k - start}")
    for op in body:
        nd = fdef.node_def.add()
        nd.name = names.mapping[op.name]
        nd.op = op.type
        for t in op._inputs:
            nd.input.append(renaming[(id(t.op), t.value_index)])
        for c in op._control_inputs:
            nd.input.append("^" + names.mapping.get(c.name, c.name))
        if op.device:
            nd.device = op.device
        for key, value in op._attrs.items():
            if key == "_output_shapes":
                continue
            nd.attr[key].CopyFrom(value)
    for out_name, t in ret_sources:
        fdef.ret[out_name] = renaming[(id(t.op), t.value_index)]
    for out_name, op in zip(fdef.signature.control_output, control_outputs):
        fdef.control_ret[out_name] = names.mapping[op.name]
    # TF_GraphToFunction: a function holding a stateful op is stateful (the runtime must not prune or fold it).
    fdef.signature.is_stateful = any(op.op_def is not None and op.op_def.is_stateful for op in body)
    fdef.attr["_construction_context"].s = b"kEagerRuntime"
    return fdef


def stateful_ops(graph) -> list[Operation]:
    """The stateful ops of a function body (If/While become their stateful kinds when there are any)."""
    return [op for op in graph.get_operations() if op.op_def is not None and op.op_def.is_stateful]


def function_signature(fdef) -> op_def_pb2.OpDef:
    return fdef.signature
