"""The object graph of TF2 SavedModels: ``MetaGraphDef.object_graph_def`` (a ``tensorflow.SavedObjectGraph``).

``tf.saved_model.save`` records the Python objects of a model there: node 0 is the root object, its children the
variables (``SavedVariable``: dtype, shape, ``trainable``, name), tf.functions (``SavedFunction``: the names of
their concrete functions) and sub-objects; ``concrete_functions`` gives each concrete function's input signature
(a ``StructuredValue``: ``((args...), {kwargs})`` of TensorSpecs and Python values) and its captured inputs
(``bound_inputs``: object ids, e.g. the variables a call node passes after its arguments).

The verbs: ``object_graph(meta_graph_def)``, ``decode(structured_value)``, ``variable_trainable_flags(meta_graph_def)``
and ``root_functions(meta_graph_def)`` (what ``saved_model_cli show --all`` lists under "Concrete Functions").
"""

from __future__ import annotations

import collections

from google.protobuf import message as message_lib

from torchmeta import errors
from torchmeta._proto import saved_object_graph_pb2
from torchmeta.dtypes import DType

__all__ = [
    "TensorSpec",
    "decode",
    "object_graph",
    "root_functions",
    "variable_checkpoint_keys",
    "variable_trainable_flags",
]

CALL_OPS = ("PartitionedCall", "StatefulPartitionedCall")


def object_graph(meta_graph_def) -> saved_object_graph_pb2.SavedObjectGraph | None:
    """The MetaGraph's ``SavedObjectGraph`` (TF2 SavedModels), or None when it has none (TF1 SavedModels).

    Raises:
      FormatError: the field does not parse as a SavedObjectGraph.
    """
    if not meta_graph_def.HasField("object_graph_def"):
        return None
    graph = saved_object_graph_pb2.SavedObjectGraph()
    try:
        graph.ParseFromString(meta_graph_def.object_graph_def)
    except message_lib.DecodeError as e:
        raise errors.FormatError(
            None, f"Cannot parse the MetaGraph's object_graph_def (a SavedObjectGraph): {e}."
        ) from None
    return graph


class TensorSpec(collections.namedtuple("TensorSpec", ["shape", "dtype", "name"])):
    """A ``tf.TensorSpec`` as a signature records it: shape (a tuple, None entries unknown; None: unknown rank),
    dtype (a DType) and name (or None). ``repr`` is TensorFlow's."""

    __slots__ = ()

    def __repr__(self):
        if self.shape is None:
            shape = "<unknown>"
        else:
            shape = "(" + ", ".join(str(d) for d in self.shape) + ("," if len(self.shape) == 1 else "") + ")"
        return f"TensorSpec(shape={shape}, dtype=tf.{self.dtype.name}, name={self.name!r})"

    __str__ = __repr__


def _shape(proto):
    if proto.unknown_rank:
        return None
    return tuple(None if d.size < 0 else d.size for d in proto.dim)


def decode(value):
    """A ``StructuredValue`` as the Python value TF's nested_structure_coder gives back: None, numbers, strings,
    lists, tuples, dicts, namedtuples, TensorSpecs (ours), shapes (tuples) and DTypes.

    Raises:
      UnimplementedError: kinds a signature of tensors does not hold (type specs of composite tensors, tensors).
    """
    kind = value.WhichOneof("kind")
    if kind is None or kind == "none_value":
        return None
    if kind in ("float64_value", "int64_value", "string_value", "bool_value"):
        return getattr(value, kind)
    if kind == "tensor_shape_value":
        return _shape(value.tensor_shape_value)
    if kind == "tensor_dtype_value":
        return DType(value.tensor_dtype_value)
    if kind in ("tensor_spec_value", "bounded_tensor_spec_value"):
        spec = getattr(value, kind)
        return TensorSpec(_shape(spec.shape), DType(spec.dtype), spec.name or None)
    if kind == "list_value":
        return [decode(v) for v in value.list_value.values]
    if kind == "tuple_value":
        return tuple(decode(v) for v in value.tuple_value.values)
    if kind == "dict_value":
        return {key: decode(value.dict_value.fields[key]) for key in sorted(value.dict_value.fields)}
    if kind == "named_tuple_value":
        pairs = value.named_tuple_value.values
        cls = collections.namedtuple(value.named_tuple_value.name, [p.key for p in pairs], rename=True)
        return cls(*(decode(p.value) for p in pairs))
    raise errors.UnimplementedError(None, None, f"a SavedModel signature holds a {kind} (not decoded here)")


def variable_trainable_flags(meta_graph_def) -> dict[str, bool]:
    """{variable node name: trainable} for the variables the MetaGraph's function calls capture.

    A TF2 graph passes each captured variable to the call node after its arguments, in the order of the concrete
    function's ``bound_inputs`` (object ids); the object says whether the variable is trainable. Empty for
    MetaGraphs without an object graph.
    """
    graph = object_graph(meta_graph_def)
    if graph is None:
        return {}
    return {
        name: graph.nodes[object_id].variable.trainable
        for name, object_id in _captured_variables(meta_graph_def, graph).items()
    }


def _captured_variables(meta_graph_def, graph) -> dict[str, int]:
    """{variable node name: object id} for the variables the MetaGraph's function calls capture."""
    captured = {}
    for node in meta_graph_def.graph_def.node:
        if node.op not in CALL_OPS or node.attr["f"].func.name not in graph.concrete_functions:
            continue
        bound = list(graph.concrete_functions[node.attr["f"].func.name].bound_inputs)
        data = [name for name in node.input if not name.startswith("^")]
        if not bound or len(bound) > len(data):
            continue
        for name, object_id in zip(data[len(data) - len(bound) :], bound):
            if 0 <= object_id < len(graph.nodes) and graph.nodes[object_id].WhichOneof("kind") == "variable":
                captured[name.split(":")[0]] = object_id
    return captured


def variable_checkpoint_keys(meta_graph_def) -> dict[str, str]:
    """{variable node name: its key in ``variables/variables``} for the variables the function calls capture: the
    object path from the root, ``<child>/<child>/.ATTRIBUTES/VARIABLE_VALUE``, as TF2 checkpoints name them."""
    graph = object_graph(meta_graph_def)
    if graph is None or not graph.nodes:
        return {}
    paths = {0: []}
    queue = collections.deque([0])
    while queue:  # breadth first, children in order: the shortest path, as TF's checkpoint names each object
        node_id = queue.popleft()
        for child in graph.nodes[node_id].children:
            if child.node_id not in paths and 0 <= child.node_id < len(graph.nodes):
                paths[child.node_id] = [*paths[node_id], child.local_name]
                queue.append(child.node_id)
    return {
        name: "/".join([*paths[object_id], ".ATTRIBUTES", "VARIABLE_VALUE"])
        for name, object_id in _captured_variables(meta_graph_def, graph).items()
        if object_id in paths
    }


def _load_order(meta_graph_def) -> dict[str, int]:
    """The order in which TF's loader recreates the library's functions (function_deserialization's topological
    sort: ready functions taken from the end of the list); each gets its new name from a growing counter then."""
    library = meta_graph_def.graph_def.library.function
    names = {f.signature.name for f in library}
    deps = {}
    for f in library:
        found = set()
        for node in f.node_def:
            if node.op in names:
                found.add(node.op)
                continue
            for attr in node.attr.values():
                if attr.WhichOneof("value") == "func":
                    found.add(attr.func.name)
                elif attr.WhichOneof("value") == "list":
                    found.update(fn.name for fn in attr.list.func)
        deps[f.signature.name] = found
    edges = collections.defaultdict(list)
    waiting = collections.defaultdict(int)
    for name, found in deps.items():
        for dep in found:
            edges[dep].append(name)
            waiting[name] += 1
    ready = [f.signature.name for f in library if waiting[f.signature.name] == 0]
    order = {}
    while ready:
        name = ready.pop()
        order[name] = len(order)
        for dest in edges[name]:
            waiting[dest] -= 1
            if not waiting[dest]:
                ready.append(dest)
    return order


def root_functions(meta_graph_def) -> list[tuple[str, list]]:
    """The root object's functions as ``saved_model_cli show --all`` lists them: [(child name, [(args, kwargs) or
    (argument keywords, None) per concrete function])], children by name, concrete functions in the order of the
    names TF's loader gives them (its load order). Empty without an object graph."""
    graph = object_graph(meta_graph_def)
    if graph is None or not graph.nodes:
        return []
    order = _load_order(meta_graph_def)
    listed = []
    for child in sorted(graph.nodes[0].children, key=lambda c: c.local_name):
        node = graph.nodes[child.node_id] if 0 <= child.node_id < len(graph.nodes) else None
        kind = node.WhichOneof("kind") if node is not None else None
        if kind == "function":
            names = list(node.function.concrete_functions)
        elif kind == "bare_concrete_function":
            names = [node.bare_concrete_function.concrete_function_name]
        else:
            continue
        names.sort(key=lambda n: order.get(n, len(order)))
        signatures = []
        for name in names:
            concrete = graph.concrete_functions.get(name)
            signature = decode(concrete.canonicalized_input_signature) if concrete is not None else None
            if signature:
                signatures.append(tuple(signature))
            elif kind == "bare_concrete_function":
                signatures.append((list(node.bare_concrete_function.argument_keywords), None))
            else:
                signatures.append((None, None))
        listed.append((child.local_name, signatures))
    return listed
