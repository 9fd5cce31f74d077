"""The object graph of TF2 SavedModels (written by TF 2.21's tf.saved_model.save): parsed as TensorFlow parses
it, signatures decoded as its nested_structure_coder decodes them, variables' trainable flags and checkpoint keys."""

import pytest

from tests.saved_model.helpers import save_tf2_module
from torchmeta import errors
from torchmeta._proto import meta_graph_pb2
from torchmeta.io import saved_model as saved_model_io
from torchmeta.io import saved_object_graph


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    export_dir, _ = save_tf2_module(tmp_path_factory.mktemp("og"), traces=True)
    (meta,) = saved_model_io.parse_saved_model(export_dir).meta_graphs
    return export_dir, meta


def _theirs(tf, value):
    """TF's decoded signature value, in the terms of ours (TensorSpec -> (shape, dtype name, name))."""
    if isinstance(value, tf.TensorSpec):
        shape = None if value.shape.rank is None else tuple(value.shape.as_list())
        return ("spec", shape, value.dtype.name, value.name)
    if isinstance(value, (list, tuple)):
        return (
            type(value)(_theirs(tf, v) for v in value)
            if not hasattr(value, "_fields")
            else tuple(_theirs(tf, v) for v in value)
        )
    if isinstance(value, dict):
        return {k: _theirs(tf, v) for k, v in value.items()}
    return value


def _ours(value):
    if isinstance(value, saved_object_graph.TensorSpec):
        return ("spec", value.shape, value.dtype.name, value.name)
    if isinstance(value, (list, tuple)):
        return type(value)(_ours(v) for v in value) if not hasattr(value, "_fields") else tuple(_ours(v) for v in value)
    if isinstance(value, dict):
        return {k: _ours(v) for k, v in value.items()}
    return value


@pytest.mark.slow
def test_object_graph_and_signatures_read_as_tensorflow_reads_them(tf1, traced):
    from tensorflow.core.protobuf import saved_object_graph_pb2 as tf_pb2
    from tensorflow.python.saved_model import nested_structure_coder

    _, meta = traced
    ours = saved_object_graph.object_graph(meta)
    theirs = tf_pb2.SavedObjectGraph.FromString(meta.object_graph_def)
    assert ours.SerializeToString(deterministic=True) == theirs.SerializeToString(deterministic=True)
    assert len(ours.concrete_functions) == 6  # 3 traces of features, __call__, extra, the signature wrapper
    for name, function in theirs.concrete_functions.items():
        for field in ("canonicalized_input_signature", "output_signature"):
            expected = _theirs(tf1, nested_structure_coder.decode_proto(getattr(function, field)))
            assert _ours(saved_object_graph.decode(getattr(ours.concrete_functions[name], field))) == expected
    spec = saved_object_graph.decode(
        ours.concrete_functions[next(iter(sorted(ours.concrete_functions)))].canonicalized_input_signature
    )
    assert isinstance(spec, tuple) and len(spec) == 2


@pytest.mark.slow
def test_variable_flags_and_checkpoint_keys(tf1, traced):
    export_dir, meta = traced
    flags = saved_object_graph.variable_trainable_flags(meta)
    # the variables a call captures (`steps` is used by no function, so no graph node stands for it)
    assert flags == {"kernel": True, "dense": True, "bias": True, "scale": False}
    keys = saved_object_graph.variable_checkpoint_keys(meta)
    assert keys["kernel"] == "kernel/.ATTRIBUTES/VARIABLE_VALUE"
    in_checkpoint = dict(tf1.train.list_variables(saved_model_io.get_variables_path(export_dir)))
    assert set(keys.values()) <= set(in_checkpoint)
    assert in_checkpoint[keys["dense"]] == [36, 3]


def test_no_object_graph_and_a_corrupt_one():
    meta = meta_graph_pb2.MetaGraphDef()
    assert saved_object_graph.object_graph(meta) is None
    assert saved_object_graph.variable_trainable_flags(meta) == {}
    assert saved_object_graph.root_functions(meta) == []
    meta.object_graph_def = b"\x0a\xff\xff"
    with pytest.raises(errors.FormatError, match="Cannot parse the MetaGraph's object_graph_def"):
        saved_object_graph.object_graph(meta)
