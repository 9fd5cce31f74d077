"""Checks protos/ against TensorFlow's descriptors and formats, the private pool, and generate.py."""

import importlib
import os
import pkgutil
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from google.protobuf import descriptor_pool, text_format
from google.protobuf.descriptor import FieldDescriptor

import torchmeta._proto
from torchmeta._proto import (
    POOL,
    checkpoint_state_pb2,
    event_pb2,
    graph_pb2,
    meta_graph_pb2,
    node_def_pb2,
    queue_runner_pb2,
    saver_pb2,
    tensor_bundle_pb2,
    types_pb2,
)

ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = ROOT / "torchmeta" / "_proto"

# Every message of Part 3 of shared/reference/tf-formats-and-behaviour.md.
REQUIRED_MESSAGES = [
    "MetaGraphDef",
    "MetaGraphDef.MetaInfoDef",
    "CollectionDef",
    "CollectionDef.NodeList",
    "CollectionDef.BytesList",
    "CollectionDef.Int64List",
    "CollectionDef.FloatList",
    "CollectionDef.AnyList",
    "TensorInfo",
    "TensorInfo.CooSparse",
    "TensorInfo.CompositeTensor",
    "SignatureDef",
    "AssetFileDef",
    "GraphDef",
    "NodeDef",
    "NodeDef.ExperimentalDebugInfo",
    "AttrValue",
    "AttrValue.ListValue",
    "NameAttrList",
    "TensorProto",
    "VariantTensorDataProto",
    "ResourceHandleProto",
    "ResourceHandleProto.DtypeAndShape",
    "TensorShapeProto",
    "TensorShapeProto.Dim",
    "VersionDef",
    "OpDef",
    "OpDef.ArgDef",
    "OpDef.AttrDef",
    "OpDeprecation",
    "OpList",
    "FunctionDefLibrary",
    "FunctionDef",
    "FunctionDef.ArgAttrs",
    "GradientDef",
    "RegisteredGradient",
    "FullTypeDef",
    "SaverDef",
    "VariableDef",
    "SaveSliceInfoDef",
    "BundleHeaderProto",
    "BundleEntryProto",
    "TensorSliceProto",
    "TensorSliceProto.Extent",
    "CheckpointState",
    "QueueRunnerDef",
    "ValuesDef",
    "ControlFlowContextDef",
    "CondContextDef",
    "WhileContextDef",
    "Summary",
    "Summary.Value",
    "Summary.Image",
    "Summary.Audio",
    "SummaryMetadata",
    "SummaryMetadata.PluginData",
    "SummaryDescription",
    "HistogramProto",
    "Event",
    "LogMessage",
    "SessionLog",
    "TaggedRunMetadata",
    "SourceMetadata",
    "GraphDebugInfo",
    "GraphDebugInfo.FileLineCol",
    "GraphDebugInfo.StackTrace",
    "RunOptions",
    "RunMetadata",
    "StepStats",
    "DeviceStepStats",
    "NodeExecStats",
    "CostGraphDef",
    "Example",
    "SequenceExample",
    "Features",
    "Feature",
    "FeatureList",
    "FeatureLists",
    "BytesList",
    "FloatList",
    "Int64List",
    "SavedModel",
    "SavedObjectGraph",
    "SavedObject",
    "SavedVariable",
    "SavedFunction",
    "SavedConcreteFunction",
    "SavedBareConcreteFunction",
    "FunctionSpec",
    "StructuredValue",
    "TensorSpecProto",
    "TypeSpecProto",
    "TrackableObjectGraph",
    "TrackableObjectGraph.TrackableObject.ObjectReference",
]
REQUIRED_ENUMS = [
    "DataType",
    "FullTypeId",
    "SaverDef.CheckpointFormatVersion",
    "VariableSynchronization",
    "VariableAggregation",
    "BundleHeaderProto.Endianness",
    "error.Code",
    "DataClass",
    "LogMessage.Level",
    "SessionLog.SessionStatus",
]

# Fields declared `bytes` instead of TF's message type (same number, same wire type 2), so they stay opaque.
OPAQUE_FIELDS = {
    "tensorflow.MetaGraphDef.object_graph_def": "SavedObjectGraph: TF2 SavedModel object graph, unused by TF1 graphs",
    "tensorflow.TensorInfo.CompositeTensor.type_spec": "TypeSpecProto: pulls in struct.proto, only for TF2 signatures",
}

# TF's modules for the files we mirror; importing them fills TF's (default) descriptor pool.
TF_MODULES = [
    "tensorflow.core.framework.allocation_description_pb2",
    "tensorflow.core.example.example_pb2",
    "tensorflow.core.example.feature_pb2",
    "tensorflow.core.framework.attr_value_pb2",
    "tensorflow.core.framework.cost_graph_pb2",
    "tensorflow.core.framework.function_pb2",
    "tensorflow.core.framework.full_type_pb2",
    "tensorflow.core.framework.graph_debug_info_pb2",
    "tensorflow.core.framework.graph_pb2",
    "tensorflow.core.framework.node_def_pb2",
    "tensorflow.core.framework.op_def_pb2",
    "tensorflow.core.framework.resource_handle_pb2",
    "tensorflow.core.framework.step_stats_pb2",
    "tensorflow.core.framework.summary_pb2",  # HistogramProto comes from xla/tsl/protobuf/histogram.proto
    "tensorflow.core.framework.tensor_description_pb2",
    "tensorflow.core.framework.tensor_pb2",
    "tensorflow.core.framework.tensor_shape_pb2",
    "tensorflow.core.framework.tensor_slice_pb2",
    "tensorflow.core.framework.types_pb2",
    "tensorflow.core.framework.variable_pb2",
    "tensorflow.core.framework.versions_pb2",
    "tensorflow.core.protobuf.config_pb2",  # RunOptions, RunMetadata, SessionMetadata
    "tensorflow.core.protobuf.control_flow_pb2",
    "tensorflow.core.protobuf.debug_pb2",
    "tensorflow.core.protobuf.error_codes_pb2",  # re-exports xla/tsl/protobuf/error_codes.proto
    "tensorflow.core.protobuf.meta_graph_pb2",
    "tensorflow.core.protobuf.queue_runner_pb2",
    "tensorflow.core.protobuf.saved_model_pb2",
    "tensorflow.core.protobuf.saved_object_graph_pb2",
    "tensorflow.core.protobuf.struct_pb2",
    "tensorflow.core.protobuf.trackable_object_graph_pb2",
    "tensorflow.core.protobuf.saver_pb2",
    "tensorflow.core.protobuf.tensor_bundle_pb2",
    "tensorflow.core.util.event_pb2",
    "tensorflow.python.training.checkpoint_state_pb2",
]


@pytest.fixture(scope="module")
def tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    tf = pytest.importorskip("tensorflow")
    for name in TF_MODULES:
        importlib.import_module(name)
    return tf


OUR_FILES = [
    importlib.import_module(f"torchmeta._proto.{info.name}").DESCRIPTOR
    for info in pkgutil.iter_modules(torchmeta._proto.__path__)
]


def _walk(descriptors):
    for descriptor in descriptors:
        yield descriptor
        yield from _walk(descriptor.nested_types)


OUR_MESSAGES = {m.full_name: m for f in OUR_FILES for m in _walk(f.message_types_by_name.values())}
OUR_ENUMS = {
    **{e.full_name: e for f in OUR_FILES for e in f.enum_types_by_name.values()},
    **{e.full_name: e for m in OUR_MESSAGES.values() for e in m.enum_types},
}


def _type_name(field):
    target = field.message_type or field.enum_type
    return target.full_name if target else None


def _signature(field):
    """Everything about a field that the wire and text formats (and the Python API) depend on."""
    return {
        "number": field.number,
        "type": field.type,
        "repeated": field.is_repeated,
        "required": field.is_required,
        "presence": field.has_presence,
        "packed": field.is_packed,
        "oneof": field.containing_oneof.name if field.containing_oneof else None,
        "type_name": _type_name(field),
    }


def test_every_reference_message_and_enum_is_defined():
    assert {f"tensorflow.{name}" for name in REQUIRED_MESSAGES} <= OUR_MESSAGES.keys()
    assert {f"tensorflow.{name}" for name in REQUIRED_ENUMS} <= OUR_ENUMS.keys()


def test_everything_lives_in_the_private_pool():
    for name, descriptor in OUR_MESSAGES.items():
        assert POOL.FindMessageTypeByName(name) is descriptor
    for file in OUR_FILES:
        with pytest.raises(KeyError):
            descriptor_pool.Default().FindFileByName(file.name)


@pytest.mark.parametrize("name", sorted(OUR_MESSAGES))
def test_message_matches_tensorflow(tf, name):
    ours = OUR_MESSAGES[name]
    theirs = descriptor_pool.Default().FindMessageTypeByName(name)
    assert ours.GetOptions().map_entry == theirs.GetOptions().map_entry
    opaque = [field.name for field in ours.fields if field.full_name in OPAQUE_FIELDS]
    # Our opaque fields are proto3 `optional` (for presence), which adds a synthetic oneof after the real ones.
    assert [o.name for o in ours.oneofs] == [o.name for o in theirs.oneofs] + [f"_{name}" for name in opaque]
    assert sorted(ours.fields_by_name) == sorted(theirs.fields_by_name)
    for field in ours.fields:
        expected = _signature(theirs.fields_by_name[field.name])
        actual = _signature(field)
        if field.name in opaque:
            assert field.type == FieldDescriptor.TYPE_BYTES and expected["type"] == FieldDescriptor.TYPE_MESSAGE
            assert actual["oneof"] == f"_{field.name}"
            actual.update(type=expected["type"], type_name=expected["type_name"], oneof=expected["oneof"])
        assert actual == expected, field.full_name


@pytest.mark.parametrize("name", sorted(OUR_ENUMS))
def test_enum_matches_tensorflow(tf, name):
    ours = OUR_ENUMS[name]
    theirs = descriptor_pool.Default().FindEnumTypeByName(name)
    assert [(v.name, v.number) for v in ours.values] == [(v.name, v.number) for v in theirs.values]


def _tiny_meta_graph(tf, tmp_path):
    """A MetaGraphDef as TF writes it to a .meta file, plus TF's in-memory message (with an Any added)."""
    from tensorflow.core.protobuf import queue_runner_pb2 as tf_queue_runner_pb2

    tf1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        x = tf1.placeholder(tf.float32, [None, 2], name="x")
        v = tf1.get_variable("v", [2, 3])
        w = tf1.Variable(tf.zeros([3]), name="w", use_resource=False)
        tf1.identity(tf.matmul(x, v) + w, name="y")
        tf1.add_to_collection("floats", 1.5)
        tf1.add_to_collection("ints", 7)
        path = tmp_path / "model.meta"
        meta_graph = tf1.train.Saver().export_meta_graph(filename=str(path))
    queue_runner = tf_queue_runner_pb2.QueueRunnerDef(queue_name="q", enqueue_op_name=["e"])
    meta_graph.meta_info_def.any_info.Pack(queue_runner)
    meta_graph.collection_def["anys"].any_list.value.add().Pack(queue_runner)
    return path.read_bytes(), meta_graph


def _assert_interchangeable(message, other_class):
    """message -> bytes -> other_class gives the same bytes back; the same through the text format.

    Serialization is deterministic on both sides, as TF writes .meta files: map entries otherwise come out in an
    unspecified order. The text format needs our pool to expand Any payloads (TF's default pool works for TF).
    """
    data = message.SerializeToString(deterministic=True)
    other = other_class.FromString(data)
    assert other.SerializeToString(deterministic=True) == data

    text = text_format.MessageToString(message, descriptor_pool=POOL)
    assert text_format.MessageToString(other, descriptor_pool=POOL) == text
    parsed = text_format.Parse(text, other_class(), descriptor_pool=POOL)
    assert parsed.SerializeToString(deterministic=True) == data
    return other


def _assert_roundtrip(their_message, our_class):
    """TF -> ours -> TF, bytes and text."""
    ours = _assert_interchangeable(their_message, our_class)
    _assert_interchangeable(ours, type(their_message))


def test_meta_graph_file_written_by_tf_roundtrips(tf, tmp_path):
    file_bytes, _ = _tiny_meta_graph(tf, tmp_path)
    ours = meta_graph_pb2.MetaGraphDef.FromString(file_bytes)
    assert ours.SerializeToString(deterministic=True) == file_bytes
    assert ours.meta_info_def.tensorflow_version == tf.__version__
    assert ours.saver_def.version == ours.saver_def.V2
    assert set(ours.collection_def) == {"variables", "trainable_variables", "floats", "ints"}
    assert list(ours.collection_def["ints"].int64_list.value) == [7]


def test_meta_graph_interop(tf, tmp_path):
    _, their_meta_graph = _tiny_meta_graph(tf, tmp_path)
    _assert_roundtrip(their_meta_graph, meta_graph_pb2.MetaGraphDef)
    their_text = text_format.MessageToString(their_meta_graph)  # TF's own pool expands the Any too
    assert "[type.googleapis.com/tensorflow.QueueRunnerDef] {" in their_text
    parsed = text_format.Parse(their_text, meta_graph_pb2.MetaGraphDef(), descriptor_pool=POOL)
    assert parsed.SerializeToString(deterministic=True) == their_meta_graph.SerializeToString(deterministic=True)


def test_opaque_fields_keep_their_bytes(tf):
    from tensorflow.core.protobuf import meta_graph_pb2 as tf_meta_graph_pb2

    theirs = tf_meta_graph_pb2.MetaGraphDef()
    theirs.object_graph_def.nodes.add().children.add(node_id=1, local_name="v")
    composite = theirs.signature_def["serve"].inputs["x"].composite_tensor
    composite.type_spec.type_spec_class_name = "RaggedTensorSpec"
    composite.components.add(name="x/values:0")
    data = theirs.SerializeToString(deterministic=True)

    ours = meta_graph_pb2.MetaGraphDef.FromString(data)
    assert ours.object_graph_def == theirs.object_graph_def.SerializeToString()
    assert ours.SerializeToString(deterministic=True) == data

    empty = tf_meta_graph_pb2.MetaGraphDef()
    empty.object_graph_def.SetInParent()  # present but empty: `optional bytes` keeps it
    assert meta_graph_pb2.MetaGraphDef.FromString(empty.SerializeToString()).SerializeToString() == b"\x3a\x00"


def test_bundle_entry_interop(tf):
    from tensorflow.core.protobuf import tensor_bundle_pb2 as tf_tensor_bundle_pb2

    entry = tf_tensor_bundle_pb2.BundleEntryProto(dtype=1, shard_id=1, offset=24, size=48, crc32c=0xDEADBEEF)
    entry.shape.dim.add(size=2)
    entry.shape.dim.add(size=6)
    entry.slices.add().extent.add(start=0, length=2)
    entry.slices[0].extent.add()  # no length: the full dimension
    _assert_roundtrip(entry, tensor_bundle_pb2.BundleEntryProto)
    ours = tensor_bundle_pb2.BundleEntryProto.FromString(entry.SerializeToString())
    assert [e.WhichOneof("has_length_hack") for e in ours.slices[0].extent] == ["length", None]

    header = tf_tensor_bundle_pb2.BundleHeaderProto(num_shards=1, endianness=1)
    header.version.producer = 1
    _assert_roundtrip(header, tensor_bundle_pb2.BundleHeaderProto)


def test_checkpoint_state_interop(tf):
    from tensorflow.python.training import checkpoint_state_pb2 as tf_checkpoint_state_pb2

    state = tf_checkpoint_state_pb2.CheckpointState(
        model_checkpoint_path="/abs/dir/m-3",
        all_model_checkpoint_paths=["/abs/dir/m-2", "/abs/dir/m-3"],
        all_model_checkpoint_timestamps=[1700000000.25, 1700000100.5],
        last_preserved_timestamp=1699999999.0,
    )
    _assert_roundtrip(state, checkpoint_state_pb2.CheckpointState)


def test_event_with_summary_interop(tf):
    from tensorflow.core.util import event_pb2 as tf_event_pb2

    event = tf_event_pb2.Event(wall_time=1700000000.5, step=3)
    value = event.summary.value.add(tag="loss", simple_value=0.25)
    value.metadata.plugin_data.plugin_name = "scalars"
    value.metadata.data_class = 1
    histo = event.summary.value.add(tag="w").histo
    histo.min, histo.max, histo.num = -1.0, 2.0, 3.0
    histo.bucket_limit.extend([0.0, 1.0, 2.0])
    histo.bucket.extend([1.0, 1.0, 1.0])
    event.summary.value.add(tag="t").tensor.CopyFrom(tf.make_tensor_proto([1.0, 2.0]))
    event.summary.value.add(tag="img").image.encoded_image_string = b"\x89PNG"
    _assert_roundtrip(event, event_pb2.Event)

    for other in (
        tf_event_pb2.Event(wall_time=1.0, file_version="brain.Event:2"),
        tf_event_pb2.Event(step=1, graph_def=b"\n\x05\n\x01a\x12\x00"),
        tf_event_pb2.Event(session_log=tf_event_pb2.SessionLog(status=3, checkpoint_path="/m-1")),
    ):
        _assert_roundtrip(other, event_pb2.Event)


def test_example_interop(tf):
    """tf.train.Example / SequenceExample bytes and text move both ways unchanged."""
    from torchmeta._proto import example_pb2

    theirs = tf.train.Example(
        features=tf.train.Features(
            feature={
                "f": tf.train.Feature(float_list=tf.train.FloatList(value=[1.5, -2.0])),
                "i": tf.train.Feature(int64_list=tf.train.Int64List(value=[2**40, -1])),
                "b": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"\x00\xff", b"text"])),
                "empty": tf.train.Feature(),
            }
        )
    )
    _assert_roundtrip(theirs, example_pb2.Example)
    sequence = tf.train.SequenceExample()
    sequence.context.feature["len"].int64_list.value.append(2)
    steps = sequence.feature_lists.feature_list["tokens"].feature
    steps.add().int64_list.value.extend([1, 2])
    steps.add().float_list.value.append(0.5)
    _assert_roundtrip(sequence, example_pb2.SequenceExample)
    ours = example_pb2.Example()
    ours.features.feature["x"].float_list.value.extend([0.25, 4.0])
    back = tf.train.Example.FromString(ours.SerializeToString())
    assert list(back.features.feature["x"].float_list.value) == [0.25, 4.0]


def test_messages_built_here_read_in_tensorflow(tf):
    from tensorflow.core.protobuf import meta_graph_pb2 as tf_meta_graph_pb2
    from tensorflow.core.protobuf import tensor_bundle_pb2 as tf_tensor_bundle_pb2
    from tensorflow.core.util import event_pb2 as tf_event_pb2
    from tensorflow.python.training import checkpoint_state_pb2 as tf_checkpoint_state_pb2

    meta_graph = meta_graph_pb2.MetaGraphDef()
    meta_graph.meta_info_def.tags.append("serve")
    meta_graph.meta_info_def.any_info.Pack(queue_runner_pb2.QueueRunnerDef(queue_name="q", enqueue_op_name=["e"]))
    node = meta_graph.graph_def.node.add(name="c", op="Const")
    node.attr["dtype"].type = types_pb2.DT_FLOAT
    node.attr["value"].tensor.dtype = types_pb2.DT_FLOAT
    node.attr["value"].tensor.float_val.extend([1.0, 2.0])
    node.attr["value"].tensor.tensor_shape.dim.add(size=2)
    meta_graph.graph_def.versions.producer = 2474
    meta_graph.collection_def["variables"].bytes_list.value.append(b"\n\x03v:0")
    meta_graph.saver_def.version = saver_pb2.SaverDef.V2
    theirs = _assert_interchangeable(meta_graph, tf_meta_graph_pb2.MetaGraphDef)
    assert tf.make_ndarray(theirs.graph_def.node[0].attr["value"].tensor).tolist() == [1.0, 2.0]

    entry = tensor_bundle_pb2.BundleEntryProto(dtype=types_pb2.DT_INT64, offset=8, size=16, crc32c=0x12345678)
    entry.shape.dim.add(size=2)
    _assert_interchangeable(entry, tf_tensor_bundle_pb2.BundleEntryProto)

    state = checkpoint_state_pb2.CheckpointState(model_checkpoint_path="m-3", all_model_checkpoint_paths=["m-3"])
    _assert_interchangeable(state, tf_checkpoint_state_pb2.CheckpointState)

    event = event_pb2.Event(wall_time=2.5, step=7)
    event.summary.value.add(tag="loss", simple_value=0.5)
    assert _assert_interchangeable(event, tf_event_pb2.Event).summary.value[0].simple_value == 0.5


def test_any_pack_unpack_in_our_pool():
    queue_runner = queue_runner_pb2.QueueRunnerDef(queue_name="q", enqueue_op_name=["e"], cancel_op_name="c")
    meta_graph = meta_graph_pb2.MetaGraphDef()
    meta_graph.meta_info_def.any_info.Pack(queue_runner)
    meta_graph.collection_def["queue_runners"].any_list.value.add().Pack(queue_runner)

    any_info = meta_graph.meta_info_def.any_info
    assert any_info.type_url == "type.googleapis.com/tensorflow.QueueRunnerDef"
    assert any_info.Is(queue_runner_pb2.QueueRunnerDef.DESCRIPTOR)
    assert not any_info.Is(graph_pb2.GraphDef.DESCRIPTOR)
    unpacked = queue_runner_pb2.QueueRunnerDef()
    assert any_info.Unpack(unpacked) and unpacked == queue_runner

    text = text_format.MessageToString(meta_graph, descriptor_pool=POOL)
    assert "[type.googleapis.com/tensorflow.QueueRunnerDef] {" in text
    parsed = text_format.Parse(text, meta_graph_pb2.MetaGraphDef(), descriptor_pool=POOL)
    assert parsed.SerializeToString(deterministic=True) == meta_graph.SerializeToString(deterministic=True)


def test_any_holds_messages_of_tensorflow(tf):
    from tensorflow.core.protobuf import queue_runner_pb2 as tf_queue_runner_pb2

    their_queue_runner = tf_queue_runner_pb2.QueueRunnerDef(queue_name="q")
    meta_graph = meta_graph_pb2.MetaGraphDef()
    meta_graph.meta_info_def.any_info.Pack(their_queue_runner)
    ours = queue_runner_pb2.QueueRunnerDef()
    assert meta_graph.meta_info_def.any_info.Unpack(ours) and ours.queue_name == "q"


def test_unknown_fields_survive():
    unknown = b"\x9a\x06\x03abc" + b"\xa0\x06\x07"  # field 99 (bytes "abc"), field 100 (varint 7)
    node = node_def_pb2.NodeDef(name="a", op="NoOp").SerializeToString() + unknown
    graph = b"\x0a" + bytes([len(node)]) + node + unknown  # GraphDef.node = [node], then unknown fields
    assert graph_pb2.GraphDef.FromString(graph).SerializeToString() == graph

    event = event_pb2.Event(step=1).SerializeToString() + unknown
    assert event_pb2.Event.FromString(event).SerializeToString() == event


IMPORT_CHECK = textwrap.dedent(
    """
    import os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    if sys.argv[1] == "tf-first":
        import tensorflow as tf
        from torchmeta._proto import meta_graph_pb2
    else:
        from torchmeta._proto import meta_graph_pb2
        import tensorflow as tf
    from google.protobuf import descriptor_pool
    from tensorflow.core.protobuf import meta_graph_pb2 as tf_meta_graph_pb2
    from torchmeta._proto import POOL

    assert meta_graph_pb2.MetaGraphDef.DESCRIPTOR.file.pool is POOL
    assert tf_meta_graph_pb2.MetaGraphDef.DESCRIPTOR.file.pool is descriptor_pool.Default()
    with tf.Graph().as_default() as graph:
        tf.compat.v1.placeholder(tf.float32, name="x")
        data = tf.compat.v1.train.export_meta_graph(graph=graph).SerializeToString(deterministic=True)
    ours = meta_graph_pb2.MetaGraphDef.FromString(data)
    assert ours.graph_def.node[0].name == "x"
    assert tf_meta_graph_pb2.MetaGraphDef.FromString(ours.SerializeToString(deterministic=True)) is not None
    print("ok")
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["upb", "python"])
@pytest.mark.parametrize("order", ["tf-first", "torchmeta-first"])
def test_import_order_with_tensorflow(tf, order, backend):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    if backend == "python":
        env["PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"] = "python"
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_CHECK, order], check=False, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"


@pytest.mark.slow
def test_generated_modules_are_reproducible(tmp_path):
    pytest.importorskip("grpc_tools")
    committed = {p.name: p.read_text() for p in PROTO_DIR.glob("*_pb2.py")}
    protoc = subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[-1]
    made_with = re.search(r"^# Protobuf Python Version: (\S+)$", committed["types_pb2.py"], re.MULTILINE).group(1)
    if not made_with.endswith("." + protoc):
        pytest.skip(f"committed modules come from protoc {made_with}, grpcio-tools here has {protoc}")

    subprocess.run([sys.executable, str(ROOT / "protos" / "generate.py"), "--out", str(tmp_path)], check=True)
    generated = {p.name: p.read_text() for p in tmp_path.glob("*_pb2.py")}
    assert sorted(generated) == sorted(committed)
    for name, text in generated.items():
        assert text == committed[name], f"{name} is stale: run python protos/generate.py"
