"""Function calls inlined: a graph whose PartitionedCall/StatefulPartitionedCall nodes are replaced by the bodies of
the library functions they call (recursively), so that a TF2 graph (a SavedModel signature calls its traced
tf.function) becomes one flat graph that ``to_module`` lowers and ``eject`` writes out.

Each inlined node is named ``<call node>/<body node>`` (TF's own scoping for inlined calls); a function argument
is the tensor the call received, a function output the tensor its body computes.
"""

from __future__ import annotations

from torchmeta._proto import graph_pb2, node_def_pb2
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.func_graph import function_graph
from torchmeta.framework.function_library import FunctionLibrary
from torchmeta.framework.importer import import_graph_def

__all__ = ["CALL_OPS", "inline_function_calls", "tensor_key"]

# Function calls of TF2 graphs (a SavedModel signature is a StatefulPartitionedCall of the traced tf.function).
CALL_OPS = {"PartitionedCall", "StatefulPartitionedCall"}


def tensor_key(name: str) -> str:
    name = name.lstrip("^")
    return name if ":" in name else name + ":0"


def _needed(nodes: dict, outputs) -> list:
    """The nodes ``outputs`` depend on through data inputs, in an order where inputs come first."""
    order, state = [], {}
    for out in outputs:
        stack = [(out.split(":")[0], False)]
        while stack:
            name, done = stack.pop()
            if done:
                if state.get(name) != 2:
                    state[name] = 2
                    order.append(nodes[name])
                continue
            if state.get(name) or name not in nodes:
                continue
            state[name] = 1
            stack.append((name, True))
            for inp in nodes[name].input:
                if not inp.startswith("^"):
                    stack.append((inp.split(":")[0], False))
    return order


def _inline(graph, library, node_defs, mapping: dict, prefix: str, outputs) -> None:
    """Imports the nodes ``outputs`` need into ``graph`` under ``prefix``, each function call replaced by its
    body (recursively); ``mapping`` maps their tensor names ("node:i") to the Tensors imported."""
    nodes = {n.name: n for n in node_defs}
    for node in _needed(nodes, outputs):
        if tensor_key(node.name) in mapping:
            continue  # a function argument, already bound
        inputs = [mapping[tensor_key(i)] for i in node.input if not i.startswith("^")]
        if node.op in CALL_OPS:
            body = function_graph(library, node.attr["f"].func.name)
            inner = {t.name: outer for t, outer in zip(body.inputs, inputs)}
            _inline(
                graph, library, body.as_graph_def().node, inner, f"{prefix}{node.name}/", [t.name for t in body.outputs]
            )
            for i, t in enumerate(body.outputs):
                mapping[f"{node.name}:{i}"] = inner[t.name]
            continue
        copy = node_def_pb2.NodeDef()
        copy.CopyFrom(node)
        copy.name = prefix + node.name
        del copy.input[:]
        copy.input.extend(f"in{i}:0" for i in range(len(inputs)))
        copy.attr.pop("_class", None)  # colocation with nodes that may not be imported
        with graph.as_default():
            (op,) = import_graph_def(
                graph_pb2.GraphDef(node=[copy]),
                input_map={f"in{i}:0": t for i, t in enumerate(inputs)},
                return_elements=[copy.name],
                name="",
            )
        for i, out in enumerate(op.outputs):
            mapping[f"{node.name}:{i}"] = out


def inline_function_calls(graph_def, outputs, inputs=()) -> tuple[graph_lib.Graph, dict]:
    """A Graph of what ``outputs`` (tensor names) need from ``graph_def``, function calls inlined; ``inputs``
    (tensor names, e.g. the placeholders a module takes) are imported whether the outputs need them or not.

    Returns:
      (the graph, {tensor name in graph_def: Tensor of the new graph}).
    """
    library = FunctionLibrary()
    for fdef in graph_def.library.function:
        library.add(fdef)
    graph = graph_lib.Graph()
    mapping: dict = {}
    _inline(graph, library, graph_def.node, mapping, "", [*outputs, *inputs])
    return graph, mapping
