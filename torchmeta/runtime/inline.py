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

__all__ = ["CALL_OPS", "IF_OPS", "inline_function_calls", "tensor_key"]

# Function calls of TF2 graphs (a SavedModel signature is a StatefulPartitionedCall of the traced tf.function).
CALL_OPS = {"PartitionedCall", "StatefulPartitionedCall"}
IF_OPS = {"If", "StatelessIf"}


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


def _import_node(graph, node, name, inputs, pivot=None):
    """``node`` (a NodeDef) imported into ``graph`` as ``name`` reading ``inputs`` (Tensors); a node without data
    inputs inside a conditional's branch gets a control input on the branch's pivot (so it is dead when the
    branch does not run, as TF1's cond builds constants)."""
    copy = node_def_pb2.NodeDef()
    copy.CopyFrom(node)
    copy.name = name
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
    if pivot is not None and not inputs:
        op._add_control_input(pivot)
    return op


def _new_node(graph, op_type, name, inputs, **attrs):
    node = node_def_pb2.NodeDef(name=name, op=op_type)
    for key, value in attrs.items():
        if key == "T":
            node.attr[key].type = value
        else:
            node.attr[key].i = value
    return _import_node(graph, node, name, inputs)


def _inline_function(graph, library, name, inputs, prefix, pivot):
    """The outputs (Tensors) of library function ``name`` inlined on ``inputs`` under ``prefix``."""
    body = function_graph(library, name)
    inner = {t.name: outer for t, outer in zip(body.inputs, inputs)}
    _inline(graph, library, body.as_graph_def().node, inner, prefix, [t.name for t in body.outputs], pivot)
    return [inner[t.name] for t in body.outputs]


def _inline_if(graph, library, node, inputs, prefix):
    """A functional If/StatelessIf as TF1's cond: each input switched on the predicate, both branches inlined
    (then on the true side, else on the false side, input-less nodes under the side's pivot) and each output a
    Merge of (else, then): only the branch the predicate picks runs."""
    pred, args = inputs[0], inputs[1:]
    base = prefix + node.name
    bool_type = pred.dtype.as_datatype_enum
    switch = _new_node(graph, "Switch", f"{base}/switch_pred", [pred, pred], T=bool_type)
    pivots = [
        _new_node(graph, "Identity", f"{base}/{side}_pivot", [switch.outputs[i]], T=bool_type)
        for i, side in enumerate(("else", "then"))
    ]
    switched = [
        _new_node(graph, "Switch", f"{base}/switch_{i}", [arg, pred], T=arg.dtype.as_datatype_enum)
        for i, arg in enumerate(args)
    ]
    branches = [
        _inline_function(
            graph, library, node.attr[attr].func.name, [s.outputs[i] for s in switched], f"{base}/{side}/", pivots[i]
        )
        for i, (side, attr) in enumerate((("else", "else_branch"), ("then", "then_branch")))
    ]
    return [
        _new_node(
            graph, "Merge", f"{base}/merge_{i}", [if_false, if_true], T=if_false.dtype.as_datatype_enum, N=2
        ).outputs[0]
        for i, (if_false, if_true) in enumerate(zip(*branches))
    ]


def _inline(graph, library, node_defs, mapping: dict, prefix: str, outputs, pivot=None) -> None:
    """Imports the nodes ``outputs`` need into ``graph`` under ``prefix``, each function call replaced by its
    body (recursively) and each functional If by TF1's cond; ``mapping`` maps their tensor names ("node:i") to
    the Tensors imported."""
    nodes = {n.name: n for n in node_defs}
    for node in _needed(nodes, outputs):
        if tensor_key(node.name) in mapping:
            continue  # a function argument, already bound
        inputs = [mapping[tensor_key(i)] for i in node.input if not i.startswith("^")]
        if node.op in CALL_OPS:
            results = _inline_function(graph, library, node.attr["f"].func.name, inputs, f"{prefix}{node.name}/", pivot)
        elif node.op in IF_OPS:
            results = _inline_if(graph, library, node, inputs, prefix)
        else:
            results = _import_node(graph, node, prefix + node.name, inputs, pivot).outputs
        for i, out in enumerate(results):
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
