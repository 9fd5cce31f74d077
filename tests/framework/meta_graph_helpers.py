"""Helpers for the GraphDef / MetaGraphDef tests: building GraphDefs from text, comparing graphs and protos."""

from google.protobuf import text_format

from torchmeta._proto import POOL, graph_pb2, meta_graph_pb2

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


def normalized(meta_graph_def):
    """A copy without the writer-specific version strings, for comparing TF's output with ours."""
    out = meta_graph_pb2.MetaGraphDef()
    out.ParseFromString(meta_graph_def.SerializeToString())
    out.meta_info_def.ClearField("tensorflow_git_version")
    out.meta_info_def.ClearField("tensorflow_version")
    return out


def assert_protos_equal(a, b):
    """Equal protos; on failure pytest shows a diff of their text forms."""
    if a.SerializeToString(deterministic=True) != b.SerializeToString(deterministic=True):
        assert text_format.MessageToString(a, descriptor_pool=POOL) == text_format.MessageToString(
            b, descriptor_pool=POOL
        )
        assert a == b
