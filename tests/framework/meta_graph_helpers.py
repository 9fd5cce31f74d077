"""Helpers for the GraphDef / MetaGraphDef tests: building GraphDefs from text, comparing graphs and protos."""

import difflib

from google.protobuf import text_format

from torchmeta._proto import POOL, graph_pb2, meta_graph_pb2
from torchmeta.framework import graph as graph_lib

CONST = (
    "node {{ name: '{name}' op: 'Const' {extra} attr {{ key: 'dtype' value {{ type: DT_FLOAT }} }} "
    "attr {{ key: 'value' value {{ tensor {{ dtype: DT_FLOAT tensor_shape {{ {dims} }} float_val: 1 }} }} }} }}\n"
)
IDENTITY = "node {{ name: '{name}' op: 'Identity' {inputs} {extra} attr {{ key: 'T' value {{ type: DT_FLOAT }} }} }}\n"


def const(name, dims="dim { size: 2 }", extra=""):
    return CONST.format(name=name, dims=dims, extra=extra)


def identity(name, *inputs, extra=""):
    return IDENTITY.format(name=name, inputs=" ".join(f"input: '{i}'" for i in inputs), extra=extra)


def graph_def(text: str) -> graph_pb2.GraphDef:
    out = graph_pb2.GraphDef()
    text_format.Merge(text, out, descriptor_pool=POOL)
    return out


def tf_graph_def(tf, text: str):
    out = tf.GraphDef()
    text_format.Merge(text, out)
    return out


def to_ours(message, cls=meta_graph_pb2.MetaGraphDef):
    return cls.FromString(message.SerializeToString())


def summary(graph):
    """(name, type, data inputs, control inputs, device) per op, in graph order."""
    return [
        (
            op.name,
            op.type,
            [t.name for t in op.inputs],
            sorted(c.name for c in op.control_inputs),
            op.device,
        )
        for op in graph.get_operations()
    ]


def canonical_collections(meta_graph_def):
    """The collection_def map with registered protos re-serialized deterministically.

    TensorFlow serializes collection protos without ``deterministic=True``, so map fields (the
    ``external_values`` of control-flow contexts) come out in a per-process hash order; we always
    write them sorted. Compare the messages, not those bytes.
    """
    out = {}
    for key, col_def in meta_graph_def.collection_def.items():
        copy = type(col_def)()
        copy.CopyFrom(col_def)
        proto_type = graph_lib.get_collection_proto_type(key)
        if proto_type is not None and copy.WhichOneof("kind") == "bytes_list":
            values = [proto_type.FromString(v).SerializeToString(deterministic=True) for v in copy.bytes_list.value]
            del copy.bytes_list.value[:]
            copy.bytes_list.value.extend(values)
        out[key] = copy
    return out


def normalized(meta_graph_def):
    """A copy without the writer-specific version strings and with canonical collection bytes."""
    out = meta_graph_pb2.MetaGraphDef()
    out.ParseFromString(meta_graph_def.SerializeToString())
    out.meta_info_def.ClearField("tensorflow_git_version")
    out.meta_info_def.ClearField("tensorflow_version")
    for key, col_def in canonical_collections(out).items():
        out.collection_def[key].CopyFrom(col_def)
    return out


def assert_protos_equal(got, expected):
    """Equal protos (serialized bytes); on failure the message is a diff of their text forms."""
    if got.SerializeToString(deterministic=True) == expected.SerializeToString(deterministic=True):
        return
    got_text = text_format.MessageToString(got, descriptor_pool=POOL).splitlines()
    expected_text = text_format.MessageToString(expected, descriptor_pool=POOL).splitlines()
    diff = difflib.unified_diff(expected_text, got_text, "expected", "got", lineterm="", n=6)
    raise AssertionError("protos differ:\n" + "\n".join(list(diff)[:400]))
