"""import_graph_def: add the nodes of a GraphDef to a Graph with TensorFlow's naming, input mapping and checks.

The rules are those of TensorFlow's ``importer.py`` and its C++ ``GraphConstructor``:

- nodes may come in any order; they are created in topological order, the lowest GraphDef index
  first among the ready ones, so an already sorted GraphDef keeps its order. The only cycles
  allowed are while loops: an edge from ``NextIteration`` into ``Merge`` is a back edge, patched in
  once the ``NextIteration`` node exists;
- names get the ``name`` prefix (default ``"import"``, made unique like a name scope; ``""`` imports
  at the root) and are then made unique against the graph (``a`` -> ``a_1``), inputs and ``loc:@``
  colocation entries follow;
- ``input_map`` replaces inputs (``"x:0"``) and control inputs (``"^x"``); keys naming nothing
  in the GraphDef raise TensorFlow's "Attempted to map inputs that were not found" error;
- attrs missing from a NodeDef take the OpDef's defaults (written into the caller's GraphDef for
  registered ops, as TensorFlow does); attrs our OpDef does not know but that equal the producer's
  default (``producer_op_list``) are dropped;
- ``_output_shapes`` attrs are removed from the imported nodes and merged into the static shapes;
- op types we do not register take their OpDef from ``producer_op_list`` (kept in
  ``graph._foreign_op_defs``, so they can be exported again, and fail only when run); op types with
  no OpDef anywhere are reported together in one ``UnsupportedOpError`` before anything is added.

Shape inference. TensorFlow runs each op's shape function on import and fails the import when one
fails. We do the same for nodes without ``_output_shapes``. For nodes *with* ``_output_shapes``
(every graph TensorFlow's ``export_meta_graph`` writes) the producer already ran TensorFlow's shape
functions, so ours cannot veto the import: an error or a disagreement is logged as a warning and the
recorded shapes win. A shape function that fails with anything but ValueError (a bug, or an input
it cannot handle) is logged and the shapes stay unknown. On any error the graph is left as it was.
"""

from __future__ import annotations

import bisect
import contextlib
import heapq
import logging
import re

from torchmeta import errors
from torchmeta._proto import attr_value_pb2, graph_pb2, node_def_pb2, op_def_pb2, types_pb2
from torchmeta.dtypes import DType, type_string
from torchmeta.framework import common_shapes, registry
from torchmeta.framework import device as device_lib
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape

__all__ = ["import_graph_def", "coerce_proto", "summarize_op_def"]

logger = logging.getLogger(__name__)

_COLOCATION_PREFIX = "loc:@"
_MERGE_OPS = ("Merge", "RefMerge")
_NEXT_ITERATION_OPS = ("NextIteration", "RefNextIteration")
_VALID_NODE_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*$")


# ---------------------------------------------------------------------------------------------
# Small helpers shared with meta_graph.py


def coerce_proto(message, proto_class, arg_name: str):
    """``message`` as an instance of our ``proto_class``.

    Our messages live in a private descriptor pool, so TensorFlow's own ``tensorflow.GraphDef`` (or
    any message with the same full name) is converted through its serialized bytes. Our own
    instances are returned as they are (not copied).

    Raises:
      TypeError: if ``message`` is not a ``proto_class`` message.
    """
    if isinstance(message, proto_class):
        return message
    descriptor = getattr(message, "DESCRIPTOR", None)
    if descriptor is not None and descriptor.full_name == proto_class.DESCRIPTOR.full_name:
        out = proto_class()
        out.ParseFromString(message.SerializeToString())
        return out
    raise TypeError(f"{arg_name} must be of type {proto_class.DESCRIPTOR.name}. Received type: {type(message)}.")


def _as_str(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _type_string(dtype_enum: int) -> str:
    """TensorFlow's DataTypeString of an enum read from a file, which may not be a valid one."""
    try:
        return type_string(dtype_enum)
    except TypeError:  # TF's DataTypeString names DT_INVALID "INVALID"
        return "INVALID" if dtype_enum == 0 else f"unknown dtype enum ({dtype_enum})"


def _parse_node_input(name: str) -> tuple[str, int]:
    """A NodeDef input as C++'s ParseTensorName reads it: ``^x`` -> (x, -1), ``x:2`` -> (x, 2)."""
    if name.startswith("^"):
        return name[1:], -1
    head, sep, tail = name.rpartition(":")
    if sep and tail.isdigit():
        return head, int(tail)
    return name, 0


def _parse_tensor_name(tensor_name: str) -> tuple[str, int]:
    """Python's ``_ParseTensorName``: ``"foo:0"`` -> (foo, 0), ``"foo"`` -> (foo, 0); ``"a:b:c"`` raises."""
    components = tensor_name.split(":")
    if len(components) == 2:
        try:
            return components[0], int(components[1])
        except ValueError:
            raise ValueError(
                f"Cannot convert {tensor_name!r} to a tensor name. Second component of the name following "
                f"the `:` should be an int. Got {components[1]}."
            ) from None
    if len(components) == 1:
        return components[0], 0
    raise ValueError(
        f"Cannot convert '{tensor_name}' to a tensor name. Tensor names should not contain more than 1 "
        f"`:`. Obtained {len(components) - 1}"
    )


def _summarize_attr_value(value: attr_value_pb2.AttrValue) -> str:
    kind = value.WhichOneof("value")
    if kind is None:
        return "<Unknown AttrValue type>"
    if kind == "type":
        return types_pb2.DataType.Name(value.type) if value.type in types_pb2.DataType.values() else str(value.type)
    if kind == "s":
        return '"' + value.s.decode(errors="backslashreplace") + '"'
    if kind == "b":
        return "true" if value.b else "false"
    if kind == "shape":
        shape = TensorShape(value.shape)
        dims = shape.as_tuple()
        return "<unknown>" if dims is None else "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"
    if kind == "list":
        lst = value.list
        items = []
        for t in lst.type:
            items.append(types_pb2.DataType.Name(t) if t in types_pb2.DataType.values() else str(t))
        items.extend('"' + s.decode(errors="backslashreplace") + '"' for s in lst.s)
        items.extend(str(i) for i in lst.i)
        items.extend(repr(f) for f in lst.f)
        items.extend("true" if b else "false" for b in lst.b)
        return "[" + ", ".join(items) + "]"
    if kind == "func":
        return value.func.name
    if kind == "tensor":
        return "<Tensor>"
    return str(getattr(value, kind))


def _summarize_args(args) -> str:
    parts = []
    for arg in args:
        text = arg.name + ":"
        if arg.is_ref:
            text += "Ref("
        if arg.number_attr:
            text += arg.number_attr + "*"
        if arg.type_attr:
            text += arg.type_attr
        elif arg.type_list_attr:
            text += arg.type_list_attr
        else:
            text += _type_string(arg.type)
        if arg.is_ref:
            text += ")"
        parts.append(text)
    return ", ".join(parts)


def summarize_op_def(op_def: op_def_pb2.OpDef) -> str:
    """TensorFlow's SummarizeOpDef: ``Op<name=Identity; signature=input:T -> output:T; attr=T:type>``."""
    text = (
        f"Op<name={op_def.name}; signature={_summarize_args(op_def.input_arg)} -> {_summarize_args(op_def.output_arg)}"
    )
    for attr in op_def.attr:
        text += f"; attr={attr.name}:{attr.type}"
        if attr.HasField("default_value"):
            text += ",default=" + _summarize_attr_value(attr.default_value)
        if attr.has_minimum:
            text += f",min={attr.minimum}"
        if attr.HasField("allowed_values"):
            text += ",allowed=" + _summarize_attr_value(attr.allowed_values)
    for flag in ("is_commutative", "is_aggregate", "is_stateful", "allows_uninitialized_input"):
        if getattr(op_def, flag):
            text += f"; {flag}=true"
    return text + ">"


# The most outputs one list argument may have (Split's num_split, Unpack's num): checked before the list of
# output types is built, so that a number attr of 10**12 in a file fails at once instead of allocating.
MAX_LIST_ARG = 1 << 20


def _arg_types(args, attrs, limit: int = MAX_LIST_ARG) -> list[int]:
    """DataType enums (ref types as ``+100``) of ``args`` for a node with ``attrs``.

    ``limit`` bounds the length of a number-attr list.
    """
    out = []
    for arg in args:
        if arg.type_list_attr:
            types = list(attrs[arg.type_list_attr].list.type)
        else:
            dt = arg.type if arg.type else attrs[arg.type_attr].type
            n = attrs[arg.number_attr].i if arg.number_attr else 1
            if not 0 <= n <= limit:
                raise ValueError(f"attr '{arg.number_attr}' = {n} is out of range [0, {limit}]")
            types = [dt] * n
        if arg.is_ref:
            types = [t + 100 if t < 100 else t for t in types]
        out.extend(types)
    return out


_ONEOF_TYPE_NAMES = {
    "s": "string",
    "i": "int",
    "f": "float",
    "b": "bool",
    "type": "type",
    "shape": "shape",
    "tensor": "tensor",
    "func": "func",
}


def _attr_value_type(value) -> str:
    kind = value.WhichOneof("value")
    if kind != "list":
        return _ONEOF_TYPE_NAMES.get(kind, str(kind))
    for field, name in (("s", "string"), ("i", "int"), ("f", "float"), ("b", "bool"), ("type", "type")):
        if getattr(value.list, field):
            return f"list({name})"
    for field in ("shape", "tensor", "func"):
        if getattr(value.list, field):
            return f"list({field})"
    return "list"


def _check_attr_kind(value, attr_def, op_def, shown) -> None:
    """TensorFlow's check that an attr holds the kind of value its OpDef declares."""
    kind = value.WhichOneof("value")
    if kind == "placeholder":
        return
    got = _attr_value_type(value)
    want = attr_def.type
    if got == want or (got == "list" and want.startswith("list(")):
        shapes = [value.shape] if kind == "shape" else list(value.list.shape) if kind == "list" else []
        for shape in shapes:
            if not shape.unknown_rank and any(d.size < -1 for d in shape.dim):
                dims = [d.size for d in shape.dim]
                raise ValueError(
                    f"Node '{shown}': attr '{attr_def.name}': Shape {dims} has dimensions with values below -1 "
                    "(where -1 means unknown)"
                )
        return
    raise ValueError(
        f"AttrValue had value with type '{got}' when '{want}' expected\n\t for attr '{attr_def.name}'\n\t; "
        f"NodeDef: {{{{node {shown}}}}}; {summarize_op_def(op_def)}"
    )


def _set_default_attr_values(node_def, op_def) -> None:
    """Fills in ``node_def`` every attr ``op_def`` has a default for and the node leaves unset."""
    for attr_def in op_def.attr:
        if attr_def.HasField("default_value"):
            value = node_def.attr.get(attr_def.name)
            if value is None or value.WhichOneof("value") is None:
                node_def.attr[attr_def.name].CopyFrom(attr_def.default_value)


def _remove_default_attrs(producer_op_list, graph_def) -> None:
    """Drops attrs our OpDefs do not know when they hold the producer's default (forward compatibility)."""
    producer = {op.name: op for op in producer_op_list.op}
    for node in graph_def.node:
        producer_op_def = producer.get(node.op)
        info = registry.get(node.op)
        if producer_op_def is None or info is None:
            continue
        known = {a.name for a in info.op_def.attr}
        producer_attrs = {a.name: a for a in producer_op_def.attr}
        for key in list(node.attr):
            if key in known:
                continue
            attr_def = producer_attrs.get(key)
            if attr_def is not None and attr_def.HasField("default_value") and node.attr[key] == attr_def.default_value:
                del node.attr[key]


# ---------------------------------------------------------------------------------------------
# Argument processing (TensorFlow's _Process*Param)


def _process_graph_def_param(graph_def) -> graph_pb2.GraphDef:
    if isinstance(graph_def, graph_pb2.GraphDef):
        # As TensorFlow does, registered ops get their attr defaults in the caller's GraphDef.
        for node in graph_def.node:
            info = registry.get(node.op)
            if info is not None:
                _set_default_attr_values(node, info.op_def)
        return graph_def
    try:
        return coerce_proto(graph_def, graph_pb2.GraphDef, "graph_def")
    except TypeError:
        raise TypeError("Argument `graph_def` must be a GraphDef proto.") from None


def _process_input_map_param(input_map) -> dict:
    if input_map is None:
        return {}
    if not isinstance(input_map, dict):
        raise TypeError(f"Argument `input_map` must be a dictionary. Obtained {type(input_map).__name__}")
    if not all(isinstance(k, (str, bytes)) for k in input_map):
        raise TypeError(f"All keys for argument `input_map` must be strings. Obtained keys: {list(input_map)}")
    return {_as_str(k): v for k, v in input_map.items()}


def _process_return_elements_param(return_elements):
    if return_elements is None:
        return None
    if isinstance(return_elements, (str, bytes)) or not all(isinstance(x, (str, bytes)) for x in return_elements):
        raise TypeError(f"Argument `return_elements` must be a list of strings. Obtained {return_elements}.")
    return tuple(_as_str(x) for x in return_elements)


def _convert_input_map_values(name, input_map: dict) -> dict:
    """Converts non-Tensor input_map values to Tensors inside ``<import scope>/_inputs``."""
    if all(isinstance(v, graph_lib.Tensor) for v in input_map.values()):
        return input_map
    if name == "":
        raise ValueError(
            "tf.import_graph_def() requires a non-empty `name` if `input_map` contains non-Tensor values. "
            "Try calling tf.convert_to_tensor() on `input_map` values before calling tf.import_graph_def()."
        )
    out = {}
    with graph_lib.name_scope("_inputs"):
        for key, value in input_map.items():
            if key.startswith("^") and isinstance(value, graph_lib.Operation):
                out[key] = value
            else:
                out[key] = graph_lib.convert_to_tensor(value)
    return out


# ---------------------------------------------------------------------------------------------
# import_graph_def


@errors.invalid_values
def import_graph_def(graph_def, input_map=None, return_elements=None, name=None, op_dict=None, producer_op_list=None):
    """Imports the nodes of ``graph_def`` into the default graph, as ``tf.import_graph_def``.

    Args:
      graph_def: a ``GraphDef`` (ours, or TensorFlow's own message class).
      input_map: ``{name in graph_def: Tensor}``. ``"x:0"`` (or ``"x"``) replaces every use of that
        tensor, ``"^x"`` every control input on ``x`` (the value may be a Tensor or an Operation).
        Values that are not Tensors are converted inside ``<name>/_inputs``.
      return_elements: names in ``graph_def`` to return: ``"x:0"`` gives the Tensor (the mapped one
        if ``input_map`` replaced it), ``"x"`` the Operation.
      name: prefix for the imported names (default ``"import"``, made unique; ``""`` imports at the
        root scope; ``"s/"`` reuses scope ``s`` as it is). Function names are not prefixed.
      op_dict: deprecated and ignored, as in TensorFlow.
      producer_op_list: an ``OpList`` of the producer's OpDefs (a MetaGraphDef's
        ``stripped_op_list``): attrs we do not know that hold the producer's default are dropped, and
        op types we do not register are created from these OpDefs.

    Returns:
      The list of Operations/Tensors named by ``return_elements``, or None.

    Raises:
      TypeError: if an argument has the wrong type.
      ValueError: for a malformed GraphDef (unknown or invalid inputs, duplicate names, cycles,
        missing attrs, input type mismatches, failing shape functions), ``input_map`` keys that name
        nothing in ``graph_def``, or ``return_elements`` not in ``graph_def`` (TensorFlow's wording).
      UnsupportedOpError: listing every op type that has no OpDef here, in ``producer_op_list`` or in
        the function library, with its nodes.

    Example:
      >>> with tf.Graph().as_default():  # doctest: +SKIP
      ...     x = tf.placeholder(tf.float32, [None, 3])
      ...     y, = tf.import_graph_def(graph_def, input_map={"input:0": x}, return_elements=["logits:0"])
    """
    del op_dict
    graph_def = _process_graph_def_param(graph_def)
    input_map = _process_input_map_param(input_map)
    return_elements = _process_return_elements_param(return_elements)
    if producer_op_list is not None:
        producer_op_list = coerce_proto(producer_op_list, op_def_pb2.OpList, "producer_op_list")
        _remove_default_attrs(producer_op_list, graph_def)

    graph = graph_lib.get_default_graph()
    graph._check_not_finalized()
    importer = _Importer(graph, graph_def, producer_op_list)
    importer.resolve_op_defs()

    with graph_lib.gc_paused(), graph_lib.name_scope(name, "import", list(input_map.values())) as scope:
        prefix = scope[:-1] if scope else ""
        input_map = _convert_input_map_values(name, input_map)
    return importer.run(prefix, input_map, return_elements)


class _NamesAndScopes:
    """A set of names that also contains every scope (``/``-prefix) of them, without building the prefixes.

    Building every prefix of every name costs the square of a name's depth (a node 40,000 scopes deep would
    take seconds); a sorted list answers "is this a scope of some name" by one binary search instead.
    """

    def __init__(self, names):
        self._names = set(names)
        self._sorted = sorted(self._names)

    def __contains__(self, candidate: str) -> bool:
        if candidate in self._names:
            return True
        probe = candidate + "/"
        i = bisect.bisect_left(self._sorted, probe)
        return i < len(self._sorted) and self._sorted[i].startswith(probe)


class _Node:
    """What the importer knows about one NodeDef before creating its op."""

    __slots__ = (
        "index",
        "node_def",
        "op_def",
        "foreign",
        "attrs",
        "output_types",
        "data_inputs",
        "control_inputs",
        "back_edges",
        "expected_inputs",
        "op",
    )

    def __init__(self, index, node_def):
        self.index = index
        self.node_def = node_def
        self.op_def = None
        self.foreign = False
        self.attrs = {}
        self.output_types = []
        self.data_inputs = []  # (src name, index)
        self.control_inputs = []  # src names
        self.back_edges = set()  # positions in data_inputs coming from NextIteration
        self.expected_inputs = []  # DataType enums the op's inputs must have
        self.op = None


class _Importer:
    def __init__(self, graph, graph_def, producer_op_list):
        self.graph = graph
        self.graph_def = graph_def
        self.producer_op_defs = {op.name: op for op in producer_op_list.op} if producer_op_list is not None else {}
        self.functions = {f.signature.name: f for f in graph_def.library.function}
        for name in graph._library.names():
            self.functions.setdefault(name, graph._library.get(name))
        self.nodes = [_Node(i, nd) for i, nd in enumerate(graph_def.node)]
        self.by_name: dict[str, _Node] = {}

    # -- phase 1: op types ------------------------------------------------------------------------
    def resolve_op_defs(self) -> None:
        missing: dict[str, list[str]] = {}
        for node in self.nodes:
            op_type = node.node_def.op
            info = registry.get(op_type)
            if info is not None:
                node.op_def = info.op_def
                continue
            func = self.functions.get(op_type)
            if func is not None:
                node.op_def, node.foreign = func.signature, True
                continue
            op_def = self.graph._foreign_op_defs.get(op_type) or self.producer_op_defs.get(op_type)
            if op_def is not None:
                node.op_def, node.foreign = op_def, True
                continue
            missing.setdefault(op_type, []).append(node.node_def.name)
        if missing:
            raise errors.UnsupportedOpError(missing, where="GraphDef")

    # -- phase 2: everything that can be checked without touching the graph ------------------------
    def _check(self, prefix, input_map, return_elements):
        for node in self.nodes:
            name = node.node_def.name
            if name in self.by_name:
                raise ValueError(f"Node '{name}' is not unique")
            if not _VALID_NODE_NAME.match(name):
                raise ValueError(f"Node '{name}': Node name contains invalid characters")
            self.by_name[name] = node

        for node in self.nodes:
            nd, op_def = node.node_def, node.op_def
            shown = (prefix + "/" + nd.name) if prefix else nd.name
            attrs = dict(nd.attr)
            for attr_def in op_def.attr:
                value = attrs.get(attr_def.name)
                if value is None or value.WhichOneof("value") is None:
                    if attr_def.HasField("default_value"):
                        attrs[attr_def.name] = attr_def.default_value
                    else:
                        raise ValueError(
                            f"NodeDef missing attr '{attr_def.name}' from {summarize_op_def(op_def)}; "
                            f"NodeDef: {{{{node {shown}}}}}"
                        )
            for attr_def in op_def.attr:
                _check_attr_kind(attrs[attr_def.name], attr_def, op_def, shown)
            node.attrs = attrs
            try:
                node.output_types = _arg_types(op_def.output_arg, attrs)
                expected_inputs = _arg_types(op_def.input_arg, attrs)
                for t in node.output_types:
                    DType(t)
            except (KeyError, ValueError) as e:
                raise ValueError(f"Node '{nd.name}': invalid attrs for {summarize_op_def(op_def)}: {e}") from None
            seen_control = False
            for raw in nd.input:
                src, index = _parse_node_input(raw)
                if index < 0:
                    seen_control = True
                    node.control_inputs.append(src)
                else:
                    if seen_control:
                        raise ValueError(f"Node '{nd.name}': Control dependencies must come after regular dependencies")
                    node.data_inputs.append((src, index))
            if len(expected_inputs) != len(node.data_inputs):
                raise ValueError(
                    f"NodeDef expected inputs '{', '.join(_type_string(t) for t in expected_inputs)}' do not match "
                    f"{len(node.data_inputs)} inputs specified; {summarize_op_def(op_def)}; NodeDef: "
                    f"{{{{node {shown}}}}}"
                )
            node.expected_inputs = expected_inputs

        used_keys = set()
        for node in self.nodes:
            nd = node.node_def
            for pos, (src, index) in enumerate(node.data_inputs):
                key = f"{src}:{index}"
                if key in input_map:
                    used_keys.add(key)
                    continue
                source = self.by_name.get(src)
                if source is None:
                    raise ValueError(f"Node '{nd.name}': Unknown input node '{nd.input[pos]}'")
                if index >= len(source.output_types):
                    raise ValueError(
                        f"Node '{nd.name}': Connecting to invalid output {index} of source node {src} which has "
                        f"{len(source.output_types)} outputs."
                    )
                if nd.op in _MERGE_OPS and source.node_def.op in _NEXT_ITERATION_OPS:
                    node.back_edges.add(pos)
            for src in node.control_inputs:
                if "^" + src in input_map:
                    used_keys.add("^" + src)
                    continue
                if src not in self.by_name:
                    raise ValueError(f"Node '{nd.name}': Unknown input node '^{src}'")
            class_attr = node.attrs.get("_class")
            if class_attr is not None:
                for s in class_attr.list.s:
                    s = s.decode(errors="replace")
                    if s.startswith(_COLOCATION_PREFIX) and s[len(_COLOCATION_PREFIX) :] not in self.by_name:
                        raise ValueError(
                            f"Node '{nd.name}' expects to be colocated with unknown node "
                            f"'{s[len(_COLOCATION_PREFIX) :]}'"
                        )

        # Keys are matched as the tensor ids they parse to ("x" and "x:0" are the same input).
        missing = []
        for key in input_map:
            if key.startswith("^"):
                if key not in used_keys and key[1:] not in self.by_name:
                    missing.append((key[1:], -1, key))
                continue
            src, index = _parse_tensor_name(key)
            canonical = f"{src}:{index}"
            if canonical in used_keys:
                continue
            source = self.by_name.get(src)
            if source is None or index >= len(source.output_types):
                missing.append((src, index, canonical))
        if missing:
            shown = ", ".join(k for _, _, k in sorted(missing))
            raise ValueError(f"Attempted to map inputs that were not found in graph_def: [{shown}]")

        for name in return_elements or ():
            if ":" in name:
                src, index = _parse_tensor_name(name)
                if f"{src}:{index}" in input_map:
                    continue
                source = self.by_name.get(src)
                if source is None:
                    raise ValueError(f"Requested return tensor '{name}' not found in graph def")
                if index >= len(source.output_types):
                    raise ValueError(
                        f"Invalid return output {index} of node '{src}', which has {len(source.output_types)} output(s)"
                    )
            elif name not in self.by_name:
                raise ValueError(f"Requested return node '{name}' not found in graph def")

        for f in self.graph_def.library.function:
            existing = self._existing_function(f.signature.name)
            if existing is not None and existing.SerializeToString(deterministic=True) != f.SerializeToString(
                deterministic=True
            ):
                raise ValueError(
                    f"Cannot add function '{f.signature.name}' because a different function with the same name "
                    "already exists."
                )
        versions = self.graph_def.versions
        if versions.min_consumer > graph_lib.GRAPH_DEF_VERSION:
            raise ValueError(
                f"GraphDef min consumer version {versions.min_consumer} above current version "
                f"{graph_lib.GRAPH_DEF_VERSION} for TensorFlow 2.21.0.  Please upgrade TensorFlow."
            )
        if graph_lib.GRAPH_DEF_VERSION in versions.bad_consumers:
            raise ValueError(
                f"GraphDef disallows consumer version {graph_lib.GRAPH_DEF_VERSION}.  Please upgrade TensorFlow: "
                "this version is likely buggy."
            )

    def _existing_function(self, name):
        return self.graph._library.get(name)

    def _topological_order(self) -> list[_Node]:
        pending = {}
        users: dict[str, list[_Node]] = {}
        for node in self.nodes:
            deps = set()
            for pos, (src, index) in enumerate(node.data_inputs):
                if pos in node.back_edges or f"{src}:{index}" in self._input_map:
                    continue
                deps.add(src)
            for src in node.control_inputs:
                if "^" + src not in self._input_map:
                    deps.add(src)
            pending[node.node_def.name] = len(deps)
            for d in deps:
                users.setdefault(d, []).append(node)
        ready = [node.index for node in self.nodes if pending[node.node_def.name] == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            node = self.nodes[heapq.heappop(ready)]
            order.append(node)
            for user in users.get(node.node_def.name, ()):
                pending[user.node_def.name] -= 1
                if pending[user.node_def.name] == 0:
                    heapq.heappush(ready, user.index)
        if len(order) != len(self.nodes):
            stuck = sorted(n.node_def.name for n in self.nodes if pending[n.node_def.name] > 0)
            shown = ", ".join(stuck[:10]) + (", ..." if len(stuck) > 10 else "")
            raise ValueError(
                f"{len(stuck)} nodes in a cycle ({shown}); the only cycles a GraphDef may have are while loops, "
                "closed by an edge from a NextIteration node into a Merge node"
            )
        return order

    # -- phase 3: create the ops ------------------------------------------------------------------
    def run(self, prefix, input_map, return_elements):
        g = self.graph
        self._input_map = canonical = {}
        for key, value in input_map.items():
            if key.startswith("^"):
                canonical[key] = value
            else:
                src, index = _parse_tensor_name(key)
                canonical[f"{src}:{index}"] = value
        for key, value in canonical.items():
            allowed = (graph_lib.Tensor, graph_lib.Operation) if key.startswith("^") else graph_lib.Tensor
            if not isinstance(value, allowed):
                raise TypeError(f"input_map value for '{key}' must be a Tensor, got {type(value).__name__}.")
            if value.graph is not g:
                raise ValueError(f"input_map value for '{key}' ({value!r}) is not an element of the importing graph.")
        self._check(prefix, canonical, return_elements)
        order = self._topological_order()
        self._check_mapped_input_types(prefix)

        with g._lock:
            saved = (len(g._ops), dict(g._names_in_use))
            try:
                self._create_ops(order, prefix)
                self._finish_ops(order)
            except BaseException:
                self._rollback(*saved)
                raise
            for node in self.nodes:
                if node.foreign and node.node_def.op not in self.functions:
                    g._foreign_op_defs.setdefault(node.node_def.op, node.op_def)
            self._merge_library()
            self._merge_versions()

        if return_elements is None:
            return None
        results = []
        for name in return_elements:
            if ":" in name:
                src, index = _parse_tensor_name(name)
                mapped = canonical.get(f"{src}:{index}")
                results.append(mapped if mapped is not None else self.by_name[src].op._outputs[index])
            else:
                results.append(self.by_name[name].op)
        return results

    def _input_dtype(self, src, index):
        value = self._input_map.get(f"{src}:{index}")
        if value is not None:
            return value.dtype.as_datatype_enum, value.name
        return self.by_name[src].output_types[index], None

    def _check_mapped_input_types(self, prefix):
        for node in self.nodes:
            expected = node.expected_inputs
            for pos, (src, index) in enumerate(node.data_inputs):
                got, shown_src = self._input_dtype(src, index)
                want = expected[pos]
                ok = got == want if want >= 100 else got % 100 == want
                if not ok:
                    if shown_src is None:
                        src_name = (prefix + "/" + src) if prefix else src
                        shown_src = f"{src_name}:{index}"
                    shown = (prefix + "/" + node.node_def.name) if prefix else node.node_def.name
                    raise ValueError(
                        f"Input {pos} of node {shown} was passed {_type_string(got)} from {shown_src} incompatible "
                        f"with expected {_type_string(want)}."
                    )

    def _name_exists(self, name: str) -> bool:
        return name in self.graph._nodes_by_name or name in self._existing_prefixes

    def _unique_name(self, name: str) -> str:
        if not self._name_exists(name):
            return name
        count = 0
        candidate = name
        while self._name_exists(candidate) or (count > 0 and candidate in self._gdef_names):
            count += 1
            candidate = f"{name}_{count}"
        return candidate

    def _create_ops(self, order, prefix):
        g = self.graph
        self._existing_prefixes = _NamesAndScopes(g._nodes_by_name)
        self._gdef_names = _NamesAndScopes(
            (prefix + "/" + node.node_def.name) if prefix else node.node_def.name for node in self.nodes
        )
        self._renamed = {}
        coloc_stack_groups = None
        if g._colocation_stack:
            groups = set()
            for op in g._colocation_stack:
                groups.update(op.colocation_groups())
            coloc_stack_groups = sorted(groups)

        for node in order:
            nd = node.node_def
            name = self._unique_name((prefix + "/" + nd.name) if prefix else nd.name)
            if name != ((prefix + "/" + nd.name) if prefix else nd.name):
                self._renamed[(prefix + "/" + nd.name) if prefix else nd.name] = name

            inputs = []
            for pos, (src, index) in enumerate(node.data_inputs):
                mapped = self._input_map.get(f"{src}:{index}")
                if mapped is not None:
                    inputs.append(mapped)
                elif pos in node.back_edges:
                    inputs.append(None)  # patched once the NextIteration node exists
                else:
                    inputs.append(self.by_name[src].op._outputs[index])
            if any(t is None for t in inputs):
                stand_in = next((t for t in inputs if t is not None), None)
                if stand_in is None:
                    raise ValueError(f"Node '{nd.name}': a Merge node needs at least one input that is not a back edge")
                inputs = [stand_in if t is None else t for t in inputs]
            control = []
            for src in node.control_inputs:
                mapped = self._input_map.get("^" + src)
                op = mapped if mapped is not None else self.by_name[src].op
                op = op if isinstance(op, graph_lib.Operation) else op.op
                if op not in control:
                    control.append(op)

            attrs = {}
            for key, value in node.attrs.items():
                if key == "_output_shapes":
                    continue
                copy = attr_value_pb2.AttrValue()
                copy.CopyFrom(value)
                attrs[key] = copy
            if prefix and "_class" in attrs:
                lst = attrs["_class"].list.s
                for i, s in enumerate(lst):
                    if s.startswith(_COLOCATION_PREFIX.encode()):
                        lst[i] = _COLOCATION_PREFIX.encode() + prefix.encode() + b"/" + s[len(_COLOCATION_PREFIX) :]
            for key, value in g._attr_scope_map.items():
                if value is not None and key not in attrs:
                    attrs[key] = value
            if nd.op in g._gradient_override_map:
                attrs["_gradient_op_type"] = attr_value_pb2.AttrValue(s=g._gradient_override_map[nd.op].encode())
            if coloc_stack_groups is not None:
                attrs["_class"] = attr_value_pb2.AttrValue(
                    list=attr_value_pb2.AttrValue.ListValue(s=coloc_stack_groups)
                )

            extras = node_def_pb2.NodeDef()
            extras.CopyFrom(nd)
            for field in ("name", "op", "input", "device", "attr"):
                extras.ClearField(field)
            if extras.ByteSize() == 0:
                extras = None

            output_types = [DType(t) for t in node.output_types]
            op = g._create_op(
                nd.op,
                inputs,
                output_types,
                attrs,
                name,
                op_def=node.op_def if node.foreign else None,
                control_inputs=control,
                extras=extras,
                device="",
                compute_shapes=False,
                apply_scopes=False,
            )
            op._control_flow_context = g._control_flow_context
            node.op = op

        for node in order:
            for pos in node.back_edges:
                src, index = node.data_inputs[pos]
                node.op._update_input(pos, self.by_name[src].op._outputs[index])

    def _finish_ops(self, order):
        g = self.graph
        # Colocation names follow renamed nodes (TensorFlow's UpdateUniquifiedColocationNames).
        if self._renamed:
            for node in order:
                value = node.op._attrs.get("_class")
                if value is None:
                    continue
                lst = value.list.s
                for i, s in enumerate(lst):
                    if s.startswith(_COLOCATION_PREFIX.encode()):
                        target = s[len(_COLOCATION_PREFIX) :].decode(errors="replace")
                        if target in self._renamed:
                            lst[i] = (_COLOCATION_PREFIX + self._renamed[target]).encode()

        # Devices, as TensorFlow's _ProcessNewOps: the NodeDef's device nested in the current device
        # scopes, except for colocated ops, which take the device of the op they are colocated with.
        colocated = []
        for node in order:
            op = node.op
            names = []
            value = op._attrs.get("_class")
            if value is not None:
                for s in value.list.s:
                    s = s.decode(errors="replace")
                    if s.startswith(_COLOCATION_PREFIX) and s[len(_COLOCATION_PREFIX) :] != op._name:
                        names.append(s[len(_COLOCATION_PREFIX) :])
            if names:
                colocated.append((op, names))
                continue
            original = node.node_def.device
            try:
                device_lib.DeviceSpec.from_string(original)
            except ValueError as e:
                raise ValueError(f"Node '{node.node_def.name}': {e}") from None
            if not g._device_stack:
                op._device = device_lib.canonical_name(original) if original else ""
            else:
                with g.device(original) if original else contextlib.nullcontext():
                    op._device = g._current_device(op._name, op._type, op._attrs)
        for op, names in colocated:
            op._device = ""
            for target_name in names:
                target = g._nodes_by_name.get(target_name)
                if target is None:
                    raise ValueError(
                        f"Specified colocation to an op: {target_name} that does not exist during import for op: "
                        f"{op._name}"
                    )
                if target._device:
                    op._device = target._device
                    break

        # Control dependencies of enclosing control_dependencies() blocks reach every imported op.
        control = []
        for controller in g._control_dependencies_stack:
            for c in controller.control_inputs:
                if c not in control:
                    control.append(c)
        for node in order:
            for c in control:
                node.op._add_control_input(c)
            for controller in g._control_dependencies_stack:
                controller.add_op(node.op)

        for node in order:
            self._set_shapes(node)

    def _set_shapes(self, node):
        op = node.op
        n = len(op._outputs)
        recorded = None
        value = node.attrs.get("_output_shapes")
        if value is not None:
            protos = list(value.list.shape)
            if len(protos) < n:
                raise ValueError(
                    f"Node '{op._name}' has {n} outputs but the _output_shapes attribute specifies shapes for "
                    f"{len(protos)} outputs"
                )
            if len(protos) > n:
                logger.warning(
                    "Node '%s' has %d outputs but the _output_shapes attribute specifies shapes for %d outputs. "
                    "Output shapes may be inaccurate.",
                    op._name,
                    n,
                    len(protos),
                )
            recorded = []
            for i, proto in enumerate(protos[:n]):
                if not proto.unknown_rank and any(d.size < -1 for d in proto.dim):
                    raise ValueError(
                        f"Node '{op._name}' has an invalid _output_shapes attribute (shape #{i} error:'Shape "
                        f"{[d.size for d in proto.dim]} has dimensions with values below -1 (where -1 means unknown)')"
                    )
                recorded.append(TensorShape(proto))
        if not n:
            return
        inferred = None
        info = op._info
        if info is not None and info.shape_fn is not None and not node.back_edges:
            try:
                inferred = common_shapes.run_shape_fn(op, info.shape_fn)
                if inferred is not None and len(inferred) != n:
                    raise TypeError(f"the shape function returned {len(inferred)} shapes for {n} outputs")
            except ValueError as e:
                if recorded is None:
                    raise ValueError(str(e)) from e
                logger.warning(
                    "Shape function of %s rejected node '%s' (%s); using the node's recorded _output_shapes.",
                    op._type,
                    op._name,
                    e,
                )
                inferred = None
            except Exception as e:
                logger.warning(
                    "Shape function of %s failed on node '%s': %r; shapes left unknown.", op._type, op._name, e
                )
                inferred = None
        for i, t in enumerate(op._outputs):
            shape = unknown_shape()
            if inferred is not None and inferred[i] is not None:
                shape = inferred[i] if isinstance(inferred[i], TensorShape) else TensorShape(inferred[i])
            if recorded is not None:
                try:
                    shape = shape.merge_with(recorded[i])
                except ValueError:
                    logger.warning(
                        "Node '%s' output %d: inferred shape %s disagrees with the recorded _output_shapes %s; "
                        "using the recorded one.",
                        op._name,
                        i,
                        shape,
                        recorded[i],
                    )
                    shape = recorded[i]
            t._shape = shape

    def _rollback(self, n_ops, names_in_use):
        g = self.graph
        new_ops = g._ops[n_ops:]
        for op in reversed(new_ops):
            for t in op._inputs:
                if op in t._consumers:
                    t._consumers.remove(op)
            for c in op._control_inputs:
                if op in c._control_outputs:
                    c._control_outputs.remove(op)
            g._nodes_by_name.pop(op._name, None)
        del g._ops[n_ops:]
        g._names_in_use = names_in_use
        g._version += 1
        for controller in g._control_dependencies_stack:
            controller._seen_nodes.difference_update(new_ops)

    def _merge_library(self):
        self.graph._library.merge(self.graph_def.library)

    def _merge_versions(self):
        # TensorFlow's UpdateVersionDef: the oldest producer, the newest min_consumer, all bad consumers.
        ours = self.graph._graph_def_versions
        theirs = self.graph_def.versions
        merged = type(ours)()
        merged.producer = min(ours.producer, theirs.producer)
        merged.min_consumer = max(ours.min_consumer, theirs.min_consumer)
        bad = set(ours.bad_consumers) | set(theirs.bad_consumers)
        merged.bad_consumers.extend(sorted(bad))
        self.graph._graph_def_versions = merged
