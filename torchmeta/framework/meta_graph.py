"""MetaGraphDef export and import: the graph, its collections, MetaInfoDef, scopes and unbound inputs.

TensorFlow's ``meta_graph.py`` and the MetaGraph half of ``saver.py``, with the same rules:

- export: ``_output_shapes`` on every node with outputs, ``stripped_op_list`` (sorted OpDefs of
  every op the graph and its functions use, docs removed), ``tensorflow_version`` of the format we
  follow, collections encoded by their registered proto functions or by the kind of their first
  item, ``export_scope`` as a plain prefix test with ``$unbound_inputs_`` for inputs from outside;
- import: ``import_scope`` (made unique like a name scope, nested in the current one), collections
  restored ``trainable_variables`` first, one Variable object per VariableDef shared by every
  collection, the unbound-inputs ``input_map`` rule, ``clear_devices`` written into the caller's proto.

``tf.train.import_meta_graph`` (the import plus a Saver built from ``saver_def``) lives in
``torchmeta.train.saver``, as in TensorFlow's ``saver.py``: this module only imports the graph.
"""

from __future__ import annotations

import copy
import logging
import os
import re

from google.protobuf import any_pb2
from google.protobuf import message as message_lib

from torchmeta import errors
from torchmeta._proto import (
    attr_value_pb2,
    graph_debug_info_pb2,
    graph_pb2,
    meta_graph_pb2,
    op_def_pb2,
    saver_pb2,
)
from torchmeta.framework import (
    collection_objects,  # noqa: F401 - registers queue runner / context protos
    registry,
)
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import GraphKeys
from torchmeta.framework.importer import coerce_proto, import_graph_def
from torchmeta.io import meta_graph as meta_graph_io
from torchmeta.version import __version__

__all__ = [
    "TENSORFLOW_VERSION",
    "TENSORFLOW_GIT_VERSION",
    "add_collection_def",
    "copy_scoped_meta_graph",
    "create_meta_graph_def",
    "export_meta_graph",
    "export_scoped_meta_graph",
    "import_scoped_meta_graph",
    "import_scoped_meta_graph_with_return_elements",
    "ops_used_by_graph_def",
    "read_meta_graph_file",
    "strip_graph_default_valued_attrs",
    "stripped_op_list_for_graph",
]

logger = logging.getLogger(__name__)

# The TensorFlow release whose formats we write; readers treat files below 1.9 as old.
TENSORFLOW_VERSION = "2.21.0"

_UNBOUND_INPUT_PREFIX = "$unbound_inputs_"

# Collections without proto functions in old TensorFlow, so old files store them as node_list.
_COMPAT_COLLECTION_LIST = [GraphKeys.LOCAL_VARIABLES, GraphKeys.MODEL_VARIABLES, GraphKeys.METRIC_VARIABLES]

SAVE_AND_RESTORE_OPS = [
    "SaveV2",
    "Save",
    "SaveSlice",
    "LegacySave",
    "LegacySaveSlice",
    "RestoreV2",
    "Restore",
    "RestoreSlice",
    "LegacyRestore",
    "LegacyRestoreSlice",
]


# What MetaGraphDefs record as tensorflow_git_version (and tf.GIT_VERSION): the torchmeta release that wrote them.
TENSORFLOW_GIT_VERSION = f"torchmeta-{__version__}"


def _git_version() -> str:
    return TENSORFLOW_GIT_VERSION


def _as_str(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _as_bytes(value) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError(f"Expected binary or unicode string, got {value!r}")


def _node_def(from_node_def, export_scope, unbound_inputs, clear_devices=False):
    """A copy of ``from_node_def`` with ``export_scope`` stripped and outside inputs marked unbound."""
    node_def = copy.deepcopy(from_node_def)
    for i, v in enumerate(node_def.input):
        if export_scope and not v.lstrip("^").startswith(export_scope):
            node_def.input[i] = re.sub(r"([\^]|^)(.*)", r"\1" + _UNBOUND_INPUT_PREFIX + r"\2", v)
            unbound_inputs.append(node_def.input[i])
        else:
            node_def.input[i] = graph_lib.strip_name_scope(v, export_scope)
    node_def.name = graph_lib.strip_name_scope(from_node_def.name, export_scope)
    for k, v in from_node_def.attr.items():
        if k == "_class":
            kept = []
            for s in v.list.s:
                text = s.decode(errors="replace")
                if export_scope and "@" in text and not text.split("@", 1)[1].startswith(export_scope):
                    continue
                kept.append(_as_bytes(graph_lib.strip_name_scope(text, export_scope)))
            node_def.attr[k].CopyFrom(attr_value_pb2.AttrValue(list=attr_value_pb2.AttrValue.ListValue(s=kept)))
        elif node_def.op in ("Enter", "RefEnter") and k == "frame_name":
            frame = v.s.decode(errors="replace")
            if not export_scope or frame.startswith(export_scope):
                node_def.attr[k].CopyFrom(
                    attr_value_pb2.AttrValue(s=_as_bytes(graph_lib.strip_name_scope(frame, export_scope)))
                )
    if clear_devices:
        node_def.device = ""
    return node_def


# ---------------------------------------------------------------------------------------------
# Ops used by a graph


def ops_used_by_graph_def(graph_def) -> list[str]:
    """The op types used by ``graph_def``'s nodes and, recursively, by the functions they call.

    Function names themselves are not included. The ops need not be registered.
    """
    name_to_function = {f.signature.name: f for f in graph_def.library.function}
    used_ops = set()
    functions_to_process = []

    def mark_op_as_used(op):
        if op not in used_ops and op in name_to_function:
            functions_to_process.append(name_to_function[op])
        used_ops.add(op)

    def process_node(node):
        mark_op_as_used(node.op)
        if node.op in ("PartitionedCall", "StatefulPartitionedCall"):
            mark_op_as_used(node.attr["f"].func.name)

    for node in graph_def.node:
        process_node(node)
    while functions_to_process:
        for node in functions_to_process.pop().node_def:
            process_node(node)
    return [op for op in used_ops if op not in name_to_function]


def _op_def_for(op_type: str, graph):
    info = registry.get(op_type)
    if info is not None:
        return info.op_def
    if graph is not None:
        return graph._foreign_op_defs.get(op_type)
    return None


def stripped_op_list_for_graph(graph_def, graph=None) -> op_def_pb2.OpList:
    """The ``stripped_op_list`` of a MetaGraphDef: sorted OpDefs of the ops used, without docs.

    OpDefs come from the op registry, then from ``graph``'s foreign OpDefs (op types imported from
    another producer's graph); op types known to neither are left out, as TensorFlow does.
    """
    graph = graph if graph is not None else graph_lib.get_default_graph()
    op_list = op_def_pb2.OpList()
    for op_type in sorted(ops_used_by_graph_def(graph_def)):
        op_def = _op_def_for(op_type, graph)
        if op_def is None:
            continue
        stripped = op_list.op.add()
        stripped.CopyFrom(op_def)
        stripped.ClearField("summary")
        stripped.ClearField("description")
    return op_list


def _is_default_attr_value(op_def, attr_name, attr_value) -> bool:
    for attr_def in op_def.attr:
        if attr_def.name == attr_name:
            return attr_def.HasField("default_value") and attr_value == attr_def.default_value
    return False


def strip_graph_default_valued_attrs(meta_graph_def, graph=None) -> None:
    """Removes attrs equal to their OpDef default from graph and function-body nodes.

    Nodes calling library functions and ops with no known OpDef are left alone. Sets
    ``meta_info_def.stripped_default_attrs``.
    """
    graph = graph if graph is not None else graph_lib.get_default_graph()
    functions = {f.signature.name for f in meta_graph_def.graph_def.library.function}

    def strip(node_def):
        if node_def.op in functions:
            return
        op_def = _op_def_for(node_def.op, graph)
        if op_def is None:
            return
        for name in [k for k, v in node_def.attr.items() if _is_default_attr_value(op_def, k, v)]:
            del node_def.attr[name]

    for node_def in meta_graph_def.graph_def.node:
        strip(node_def)
    for function_def in meta_graph_def.graph_def.library.function:
        for node_def in function_def.node_def:
            strip(node_def)
    meta_graph_def.meta_info_def.stripped_default_attrs = True


# ---------------------------------------------------------------------------------------------
# Collections


def _is_any(item) -> bool:
    if isinstance(item, any_pb2.Any):
        return True
    descriptor = getattr(item, "DESCRIPTOR", None)
    return descriptor is not None and descriptor.full_name == "google.protobuf.Any"


def _get_kind_name(item) -> str:
    if isinstance(item, (str, bytes)):
        return "bytes_list"
    if isinstance(item, int):
        return "int64_list"
    if isinstance(item, float):
        return "float_list"
    if _is_any(item):
        return "any_list"
    return "node_list"


def _should_include_node(node_or_node_name, export_scope, exclude_nodes) -> bool:
    if not isinstance(node_or_node_name, str):
        try:
            node_name = node_or_node_name.name
        except AttributeError:
            return True  # items without a name (ints, floats, protos) are always kept
    else:
        node_name = node_or_node_name
    if exclude_nodes and (node_or_node_name in exclude_nodes or node_name in exclude_nodes):
        return False
    return node_name.startswith(_UNBOUND_INPUT_PREFIX) or (not export_scope or node_name.startswith(export_scope))


def add_collection_def(meta_graph_def, key, graph=None, export_scope=None, exclude_nodes=None, override_contents=None):
    """Adds collection ``key`` of ``graph`` to ``meta_graph_def.collection_def``, as TensorFlow does.

    A key with registered proto functions becomes a bytes_list of serialized protos; otherwise the
    first item picks the kind (str/bytes, int, float, Any, or node names). Items of another kind drop
    the whole collection with a warning; an empty collection is not written.
    """
    if graph is not None and not isinstance(graph, graph_lib.Graph):
        raise TypeError(f"graph must be of type Graph. Received type: {type(graph)}.")
    if not isinstance(key, (str, bytes)):
        logger.warning("Only collections with string type keys will be serialized. This key has %s", type(key))
        return
    graph = graph or graph_lib.get_default_graph()
    collection_list = override_contents if override_contents else graph.get_collection(key)
    collection_list = [x for x in collection_list if _should_include_node(x, export_scope, exclude_nodes)]
    if not collection_list:
        return
    map_key = _as_str(key)
    try:
        col_def = meta_graph_def.collection_def[map_key]
        to_proto = graph_lib.get_to_proto_function(key)
        proto_type = graph_lib.get_collection_proto_type(key)
        if to_proto:
            for x in collection_list:
                proto = to_proto(x, export_scope=export_scope)
                if proto is not None:
                    if proto_type is not None and not isinstance(proto, proto_type):
                        raise TypeError(f"to_proto for '{map_key}' returned {type(proto).__name__}, not {proto_type}")
                    col_def.bytes_list.value.append(proto.SerializeToString(deterministic=True))
        else:
            kind = _get_kind_name(collection_list[0])
            if kind == "node_list":
                for x in collection_list:
                    if not export_scope or x.name.startswith(export_scope):
                        col_def.node_list.value.append(graph_lib.strip_name_scope(x.name, export_scope))
            elif kind == "bytes_list":
                col_def.bytes_list.value.extend([_as_bytes(x) for x in collection_list])
            elif kind == "any_list":
                for x in collection_list:
                    if not _is_any(x):
                        raise TypeError(f"Expected a google.protobuf.Any, got {type(x).__name__}")
                    col_def.any_list.value.add().ParseFromString(x.SerializeToString())
            else:
                getattr(col_def, kind).value.extend(list(collection_list))
    except Exception as e:  # TensorFlow drops the collection and warns on any failure
        logger.warning(
            "Issue encountered when serializing %s.\nType is unsupported, or the types of the items don't match "
            "field type in CollectionDef. Note this is a warning and probably safe to ignore.\n%s",
            map_key,
            e,
        )
        if map_key in meta_graph_def.collection_def:
            del meta_graph_def.collection_def[map_key]


def _saver_to_proto_without_saver_class(saver_def, export_scope):
    """What ``Saver.to_proto`` gives for ``Saver(saver_def=...)``, for when no Saver class is registered."""
    names = (saver_def.filename_tensor_name, saver_def.save_tensor_name, saver_def.restore_op_name)
    if export_scope and not all(n.startswith(export_scope) for n in names):
        return None
    out = saver_pb2.SaverDef()
    out.CopyFrom(saver_def)
    out.filename_tensor_name = graph_lib.strip_name_scope(saver_def.filename_tensor_name, export_scope)
    out.save_tensor_name = graph_lib.strip_name_scope(saver_def.save_tensor_name, export_scope)
    out.restore_op_name = graph_lib.strip_name_scope(saver_def.restore_op_name, export_scope)
    return out


# ---------------------------------------------------------------------------------------------
# MetaGraphDef


def create_meta_graph_def(
    meta_info_def=None,
    graph_def=None,
    saver_def=None,
    collection_list=None,
    graph=None,
    export_scope=None,
    exclude_nodes=None,
    clear_extraneous_savers=False,
    strip_default_attrs=False,
):
    """Builds a MetaGraphDef from a graph (or a given GraphDef) and its collections.

    Args:
      meta_info_def: a ``MetaInfoDef`` whose ``meta_graph_version``, ``tags``, ``any_info``,
        ``function_aliases`` (and ``stripped_op_list``, if set) are kept; the version strings are
        always ours.
      graph_def: the GraphDef to use instead of ``graph.as_graph_def(add_shapes=True)``.
      saver_def: a ``SaverDef`` to include.
      collection_list: the collection keys to export (default: every ``str`` key).
      graph: the Graph (default: the default graph).
      export_scope: only collection items under this scope, with the scope stripped.
      exclude_nodes: node names to leave out of collections.
      clear_extraneous_savers: replace the ``savers`` collection by ``saver_def`` alone.
      strip_default_attrs: remove default-valued attrs (sets ``stripped_default_attrs``).

    Raises:
      TypeError: if an argument is not of its proto type.
    """
    if graph is not None and not isinstance(graph, graph_lib.Graph):
        raise TypeError(f"graph must be of type Graph. Received type: {type(graph)}.")
    if meta_info_def is not None:
        meta_info_def = coerce_proto(meta_info_def, meta_graph_pb2.MetaGraphDef.MetaInfoDef, "meta_info_def")
    if graph_def is not None:
        graph_def = coerce_proto(graph_def, graph_pb2.GraphDef, "graph_def")
    if saver_def is not None:
        saver_def = coerce_proto(saver_def, saver_pb2.SaverDef, "saver_def")
    graph = graph or graph_lib.get_default_graph()

    meta_graph_def = meta_graph_pb2.MetaGraphDef()
    if meta_info_def is not None:
        meta_graph_def.meta_info_def.MergeFrom(meta_info_def)
    meta_graph_def.meta_info_def.tensorflow_version = TENSORFLOW_VERSION
    meta_graph_def.meta_info_def.tensorflow_git_version = _git_version()

    if graph_def is None:
        meta_graph_def.graph_def.MergeFrom(graph.as_graph_def(add_shapes=True))
    else:
        meta_graph_def.graph_def.MergeFrom(graph_def)

    if len(meta_graph_def.meta_info_def.stripped_op_list.op) == 0:
        meta_graph_def.meta_info_def.stripped_op_list.MergeFrom(
            stripped_op_list_for_graph(meta_graph_def.graph_def, graph)
        )
    if strip_default_attrs:
        strip_graph_default_valued_attrs(meta_graph_def, graph)
    if saver_def is not None:
        meta_graph_def.saver_def.MergeFrom(saver_def)

    keys = collection_list if collection_list is not None else graph.get_all_collection_keys()
    for key in keys:
        if clear_extraneous_savers and key == GraphKeys.SAVERS:
            from_proto = graph_lib.get_from_proto_function(key)
            if from_proto is not None and saver_def is not None:
                add_collection_def(
                    meta_graph_def,
                    key,
                    graph=graph,
                    export_scope=export_scope,
                    exclude_nodes=exclude_nodes,
                    override_contents=[from_proto(saver_def)],
                )
            elif saver_def is not None:
                proto = _saver_to_proto_without_saver_class(saver_def, export_scope)
                if proto is not None:
                    meta_graph_def.collection_def[key].bytes_list.value.append(
                        proto.SerializeToString(deterministic=True)
                    )
        else:
            add_collection_def(meta_graph_def, key, graph=graph, export_scope=export_scope, exclude_nodes=exclude_nodes)
    return meta_graph_def


def read_meta_graph_file(filename) -> meta_graph_pb2.MetaGraphDef:
    """Reads a binary or text MetaGraphDef file (see ``torchmeta.io.meta_graph.read_meta_graph_file``)."""
    return meta_graph_io.read_meta_graph_file(filename)


def _get_scope(node_name: str) -> str:
    if not node_name:
        raise ValueError(f"Node name cannot be empty or None. Received: {node_name}.")
    if node_name.startswith("^"):
        node_name = node_name[1:]
    if "/" in node_name:
        return node_name.rsplit("/", 1)[0]
    return ""


def _op_name(tensor_name: str) -> str:
    if tensor_name.startswith("^"):
        return tensor_name[1:]
    return tensor_name.split(":")[0]


def _find_extraneous_saver_nodes(graph_def, saver_def) -> set[str]:
    """Names of the nodes in the name scopes of Save/Restore ops that ``saver_def`` does not use."""
    nodes = {n.name: n.op for n in graph_def.node}
    retain = set()
    if saver_def is not None:
        retain.add(_get_scope(_op_name(saver_def.restore_op_name)) + "/")
        retain.add(_get_scope(_op_name(saver_def.save_tensor_name)) + "/")
    saver_node_names = {name for name, op in nodes.items() if op in SAVE_AND_RESTORE_OPS}
    saver_scopes = {_get_scope(x) for x in saver_node_names} - saver_node_names
    extraneous_scopes = {x + "/" for x in saver_scopes} - retain
    return {name for name in nodes if any(name.startswith(s) for s in extraneous_scopes)}


def _graph_debug_info(graph, node_names) -> graph_debug_info_pb2.GraphDebugInfo:
    """A GraphDebugInfo naming every exported op; torchmeta records no stack traces, so they are empty."""
    info = graph_debug_info_pb2.GraphDebugInfo()
    if node_names:
        info.traces_by_id[0].SetInParent()
    for name in node_names:
        if graph._get_operation_by_name_unsafe(name) is not None:
            info.name_to_trace_id[f"{name}@"] = 0
    return info


def export_scoped_meta_graph(
    filename=None,
    graph_def=None,
    graph=None,
    export_scope=None,
    as_text=False,
    unbound_inputs_col_name="unbound_inputs",
    clear_devices=False,
    saver_def=None,
    clear_extraneous_savers=False,
    strip_default_attrs=False,
    save_debug_info=False,
    **kwargs,
):
    """Exports a graph (or the part under ``export_scope``) to a MetaGraphDef, as TensorFlow's function.

    Args:
      filename: if given, the MetaGraphDef is also written there (parent directories are created,
        the write is atomic).
      graph_def: a GraphDef to export instead of the graph's.
      graph: the Graph (default: the default graph).
      export_scope: keep only nodes whose name starts with this string (a plain prefix test, so
        ``"hidden1"`` also keeps ``"hidden10/..."``), strip ``export_scope/`` from names, and rename
        inputs from outside to ``$unbound_inputs_<name>`` (listed in ``unbound_inputs_col_name``).
      as_text: write text format instead of binary.
      unbound_inputs_col_name: the collection recording unbound inputs (None: not recorded). It is
        cleared and refilled in the *source* graph, as in TensorFlow.
      clear_devices: blank every node's device.
      saver_def: a SaverDef to include.
      clear_extraneous_savers: drop the nodes of other Savers and keep only ``saver_def`` in ``savers``.
      strip_default_attrs: remove default-valued attrs.
      save_debug_info: also write ``<filename without extension>.debug`` (a GraphDebugInfo).
      **kwargs: ``meta_info_def``, ``collection_list``.

    Returns:
      ``(meta_graph_def, {name without scope: Variable})`` for the global variables in the scope.

    Raises:
      ValueError: if the graph's nodes add up to 2 GB or more.
    """
    graph = graph or graph_lib.get_default_graph()
    if graph_def is not None:
        graph_def = coerce_proto(graph_def, graph_pb2.GraphDef, "graph_def")
    if saver_def is not None:
        saver_def = coerce_proto(saver_def, saver_pb2.SaverDef, "saver_def")

    exclude_nodes = None
    unbound_inputs = []
    if export_scope or clear_extraneous_savers or clear_devices:
        if graph_def is not None:
            new_graph_def = graph_pb2.GraphDef()
            new_graph_def.versions.CopyFrom(graph_def.versions)
            new_graph_def.library.CopyFrom(graph_def.library)
            if clear_extraneous_savers:
                exclude_nodes = _find_extraneous_saver_nodes(graph_def, saver_def)
            for node_def in graph_def.node:
                if _should_include_node(node_def.name, export_scope, exclude_nodes):
                    new_graph_def.node.append(
                        _node_def(node_def, export_scope, unbound_inputs, clear_devices=clear_devices)
                    )
            graph_def = new_graph_def
        else:
            graph_def = graph_pb2.GraphDef()
            graph_def.versions.CopyFrom(graph.graph_def_versions)
            bytesize = 0
            if clear_extraneous_savers:
                exclude_nodes = _find_extraneous_saver_nodes(graph.as_graph_def(), saver_def)
            for op in graph.get_operations():
                if not _should_include_node(op.name, export_scope, exclude_nodes):
                    continue
                source = op._to_node_def()
                node_def = _node_def(source, export_scope, unbound_inputs, clear_devices=clear_devices)
                if op.outputs:
                    shapes = node_def.attr["_output_shapes"].list.shape
                    del shapes[:]
                    shapes.extend(t.shape.as_proto() for t in op.outputs)
                graph_def.node.append(node_def)
                bytesize += source.ByteSize()
                if bytesize >= (1 << 31):
                    raise ValueError(f"GraphDef cannot be larger than 2GB. Received size: {bytesize}.")
            if graph._library:
                graph_def.library.CopyFrom(graph._library.to_proto())
        if unbound_inputs_col_name:
            graph.clear_collection(unbound_inputs_col_name)
            for k in unbound_inputs:
                graph.add_to_collection(unbound_inputs_col_name, k)

    var_list = {}
    for v in graph.get_collection(GraphKeys.GLOBAL_VARIABLES, scope=export_scope):
        if _should_include_node(v, export_scope, exclude_nodes):
            var_list[graph_lib.strip_name_scope(v.name, export_scope)] = v

    scoped_meta_graph_def = create_meta_graph_def(
        graph_def=graph_def,
        graph=graph,
        export_scope=export_scope,
        exclude_nodes=exclude_nodes,
        clear_extraneous_savers=clear_extraneous_savers,
        saver_def=saver_def,
        strip_default_attrs=strip_default_attrs,
        **kwargs,
    )

    if filename:
        filename = os.fspath(filename)
        meta_graph_io.write_meta_graph_file(scoped_meta_graph_def, filename, as_text=as_text)
        if save_debug_info:
            name, _ = os.path.splitext(filename)
            names = [graph_lib.prepend_name_scope(n.name, export_scope) for n in scoped_meta_graph_def.graph_def.node]
            meta_graph_io.write_meta_graph_file(_graph_debug_info(graph, names), name + ".debug", as_text=as_text)
    return scoped_meta_graph_def, var_list


def _version_at_least_1_9(version: str) -> bool:
    match = re.match(r"^\s*v?(\d+)(?:\.(\d+))?", version)
    if match is None:
        return True
    return (int(match.group(1)), int(match.group(2) or 0)) >= (1, 9)


def _decode_any(value) -> any_pb2.Any:
    out = any_pb2.Any()
    out.ParseFromString(value.SerializeToString())
    return out


def _prepend_to_value(value, scope):
    """How TF's import restores one bytes/float/Any item of an unregistered collection."""
    if not scope:
        return value
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            # TensorFlow crashes here (UnicodeDecodeError); keep the raw bytes instead.
            logger.warning("Collection item %r is not UTF-8 text; it is restored unchanged.", value)
            return value
        return graph_lib.prepend_name_scope(value, scope)
    logger.warning("Expected binary or unicode string, got %s", value)
    return value


def import_scoped_meta_graph(
    meta_graph_or_file,
    clear_devices=False,
    graph=None,
    import_scope=None,
    input_map=None,
    unbound_inputs_col_name="unbound_inputs",
    restore_collections_predicate=(lambda key: True),
):
    """Imports a MetaGraphDef's graph and collections; returns ``{name without scope: Variable}``.

    See ``import_scoped_meta_graph_with_return_elements``.
    """
    return import_scoped_meta_graph_with_return_elements(
        meta_graph_or_file,
        clear_devices,
        graph,
        import_scope,
        input_map,
        unbound_inputs_col_name,
        restore_collections_predicate,
    )[0]


@errors.invalid_values
def import_scoped_meta_graph_with_return_elements(
    meta_graph_or_file,
    clear_devices=False,
    graph=None,
    import_scope=None,
    input_map=None,
    unbound_inputs_col_name="unbound_inputs",
    restore_collections_predicate=(lambda key: True),
    return_elements=None,
):
    """Imports a MetaGraphDef (or a ``.meta`` file) into ``graph``, as TensorFlow's function.

    Args:
      meta_graph_or_file: a MetaGraphDef (ours or TensorFlow's) or a path.
      clear_devices: blank every device; this writes into the given MetaGraphDef, as TF does.
      graph: the Graph to import into (default: the default graph).
      import_scope: name scope for the imported names (made unique: ``s``, ``s_1``, ...), nested in
        the current name scope.
      input_map: ``{name: Tensor}`` as for ``import_graph_def``. If the MetaGraphDef has unbound
        inputs, its keys must be exactly the unbound input names.
      unbound_inputs_col_name: the collection listing unbound inputs (None: no check). It is never
        re-created in ``graph``.
      restore_collections_predicate: ``fn(key) -> bool`` choosing the collections to restore.
      return_elements: names to return, as for ``import_graph_def``.

    Returns:
      ``({name without scope: Variable}, return elements or None)``.

    Raises:
      ValueError: "Graph contains unbound inputs: ..." when ``input_map`` does not bind them exactly;
        any ``import_graph_def`` error.
      FormatError: for a file that is missing or does not parse.
    """
    original = meta_graph_or_file
    if isinstance(meta_graph_or_file, (str, bytes, os.PathLike)):
        meta_graph_def = read_meta_graph_file(_as_str(meta_graph_or_file))
    else:
        meta_graph_def = coerce_proto(meta_graph_or_file, meta_graph_pb2.MetaGraphDef, "meta_graph_or_file")

    if unbound_inputs_col_name:
        col_def = meta_graph_def.collection_def.get(unbound_inputs_col_name)
        kind = col_def.WhichOneof("kind") if col_def is not None else None
        if kind is not None:
            values = [_as_str(v) for v in getattr(col_def, kind).value]
            if values and (not input_map or sorted(values) != sorted(_as_str(k) for k in input_map)):
                missing = [v for v in values if not input_map or v not in {_as_str(k) for k in input_map}]
                shown = ",".join(missing or values)
                raise ValueError(
                    f"Graph contains unbound inputs: {shown}. Must provide these inputs through input_map."
                )

    graph = graph or graph_lib.get_default_graph()
    with graph.as_default():
        producer_op_list = None
        if meta_graph_def.meta_info_def.HasField("stripped_op_list"):
            producer_op_list = meta_graph_def.meta_info_def.stripped_op_list
        input_graph_def = meta_graph_def.graph_def
        if clear_devices:
            for node in input_graph_def.node:
                node.device = ""
            if original is not meta_graph_def and hasattr(original, "graph_def"):
                for node in original.graph_def.node:
                    node.device = ""

        scope_to_prepend_to_names = graph.unique_name(import_scope or "", mark_as_used=False)
        imported_return_elements = import_graph_def(
            input_graph_def,
            name=(import_scope or scope_to_prepend_to_names),
            input_map=input_map,
            producer_op_list=producer_op_list,
            return_elements=return_elements,
        )

        tf_version = meta_graph_def.meta_info_def.tensorflow_version
        variables_have_trainable = not tf_version or _version_at_least_1_9(tf_version)

        sorted_collections = []
        if GraphKeys.TRAINABLE_VARIABLES in meta_graph_def.collection_def:
            sorted_collections.append(
                (GraphKeys.TRAINABLE_VARIABLES, meta_graph_def.collection_def[GraphKeys.TRAINABLE_VARIABLES])
            )
        for key, value in sorted(meta_graph_def.collection_def.items()):
            if key != GraphKeys.TRAINABLE_VARIABLES:
                sorted_collections.append((key, value))

        variable_objects = {}
        for key, col_def in sorted_collections:
            if key == unbound_inputs_col_name:
                continue
            if not restore_collections_predicate(key):
                continue
            kind = col_def.WhichOneof("kind")
            if kind is None:
                logger.error("Cannot identify data type for collection %s. Skipping.", key)
                continue
            try:
                from_proto = graph_lib.get_from_proto_function(key)
                if key == GraphKeys.METRIC_VARIABLES:
                    # Metric variables are decoded as global variables (TF's compatibility rule).
                    from_proto = graph_lib.get_from_proto_function(GraphKeys.GLOBAL_VARIABLES)
                if from_proto and kind == "bytes_list":
                    proto_type = graph_lib.get_collection_proto_type(key) or graph_lib.get_collection_proto_type(
                        GraphKeys.GLOBAL_VARIABLES
                    )
                    if key in GraphKeys._VARIABLE_COLLECTIONS:
                        for value in col_def.bytes_list.value:
                            variable = variable_objects.get(value)
                            if variable is None:
                                proto = proto_type()
                                proto.ParseFromString(value)
                                if not variables_have_trainable:
                                    # Files from before TF 1.9 lack VariableDef.trainable: membership of
                                    # trainable_variables (restored first) decides.
                                    proto.trainable = key == GraphKeys.TRAINABLE_VARIABLES
                                variable = from_proto(proto, import_scope=scope_to_prepend_to_names)
                                variable_objects[value] = variable
                            graph.add_to_collection(key, variable)
                    else:
                        for value in col_def.bytes_list.value:
                            proto = proto_type()
                            proto.ParseFromString(value)
                            graph.add_to_collection(key, from_proto(proto, import_scope=scope_to_prepend_to_names))
                else:
                    field = getattr(col_def, kind)
                    if key in _COMPAT_COLLECTION_LIST:
                        logger.warning(
                            "The saved meta_graph is possibly from an older release:\n'%s' collection should be of "
                            "type 'byte_list', but instead is of type '%s'.",
                            key,
                            kind,
                        )
                    if kind == "node_list":
                        for value in field.value:
                            graph.add_to_collection(
                                key,
                                graph.as_graph_element(graph_lib.prepend_name_scope(value, scope_to_prepend_to_names)),
                            )
                    elif kind == "int64_list":
                        for value in field.value:
                            graph.add_to_collection(key, int(value))
                    elif kind == "any_list":
                        for value in field.value:
                            graph.add_to_collection(
                                key, _prepend_to_value(_decode_any(value), scope_to_prepend_to_names)
                            )
                    else:
                        for value in field.value:
                            graph.add_to_collection(key, _prepend_to_value(value, scope_to_prepend_to_names))
            except errors.TorchMetaError:
                raise
            except (message_lib.DecodeError, AttributeError, TypeError, KeyError, ValueError, IndexError) as e:
                # A collection entry that does not decode, or names a node or output the graph lacks.
                raise errors.as_invalid_value(f"Cannot restore collection '{key}' from the MetaGraphDef", e) from e

        var_list = {}
        for v in graph.get_collection(GraphKeys.GLOBAL_VARIABLES, scope=scope_to_prepend_to_names):
            var_list[graph_lib.strip_name_scope(v.name, scope_to_prepend_to_names)] = v
    return var_list, imported_return_elements


def copy_scoped_meta_graph(from_scope, to_scope, from_graph=None, to_graph=None):
    """Copies the subgraph under ``from_scope`` to ``to_scope`` (possibly in another graph).

    Returns:
      ``{name without scope: Variable}`` of the copied variables.

    Raises:
      ValueError: if the scopes are equal within one graph.
    """
    from_graph = from_graph or graph_lib.get_default_graph()
    to_graph = to_graph or graph_lib.get_default_graph()
    if from_graph is to_graph and from_scope == to_scope:
        raise ValueError(
            "'from_scope' and 'to_scope' need to be different when performing copy in the same graph. "
            f"Received: 'from_graph': {from_graph}, 'to_graph': {to_graph}, 'from_scope': {from_scope}, "
            f"'to_scope': {to_scope}."
        )
    orig_meta_graph, _ = export_scoped_meta_graph(export_scope=from_scope, graph=from_graph)
    return import_scoped_meta_graph(orig_meta_graph, graph=to_graph, import_scope=to_scope)


# ---------------------------------------------------------------------------------------------
# tf.train.export_meta_graph (import_meta_graph, which also builds a Saver, is in train/saver.py)


def export_meta_graph(
    filename=None,
    meta_info_def=None,
    graph_def=None,
    saver_def=None,
    collection_list=None,
    as_text=False,
    graph=None,
    export_scope=None,
    clear_devices=False,
    clear_extraneous_savers=False,
    strip_default_attrs=False,
    save_debug_info=False,
    **kwargs,
):
    """``tf.train.export_meta_graph``: the MetaGraphDef of a graph, written to ``filename`` if given.

    Args:
      filename: where to write it (binary, or text with ``as_text``); parent directories are created
        and the write is atomic. Nothing is written when None.
      meta_info_def: a ``MetaInfoDef`` (tags, meta_graph_version, any_info, function_aliases).
      graph_def: a GraphDef to use instead of the graph's.
      saver_def: a ``SaverDef`` to include (none is written otherwise, even if the graph has Savers).
      collection_list: the collection keys to export (default: all ``str`` keys).
      as_text: write protobuf text format.
      graph: the Graph (default: the default graph).
      export_scope: export only this name scope (see ``export_scoped_meta_graph``).
      clear_devices: blank all devices.
      clear_extraneous_savers: drop other Savers' nodes and SaverDefs.
      strip_default_attrs: remove default-valued attrs.
      save_debug_info: also write ``<filename without extension>.debug``.

    Returns:
      The MetaGraphDef.

    Example:
      >>> tf.train.export_meta_graph("/tmp/model.meta")  # doctest: +SKIP
    """
    meta_graph_def, _ = export_scoped_meta_graph(
        filename=filename,
        meta_info_def=meta_info_def,
        graph_def=graph_def,
        saver_def=saver_def,
        collection_list=collection_list,
        as_text=as_text,
        graph=graph,
        export_scope=export_scope,
        clear_devices=clear_devices,
        clear_extraneous_savers=clear_extraneous_savers,
        strip_default_attrs=strip_default_attrs,
        save_debug_info=save_debug_info,
        **kwargs,
    )
    return meta_graph_def
