"""Every registered op's signature equals the OpDef TensorFlow registers."""

import pytest

from torchmeta.framework import registry


def _normalized(op_def):
    from google.protobuf import text_format

    from torchmeta._proto import op_def_pb2

    ours = op_def_pb2.OpDef()
    ours.MergeFromString(op_def.SerializeToString())
    ours.ClearField("summary")
    ours.ClearField("description")
    for arg in list(ours.input_arg) + list(ours.output_arg):
        arg.ClearField("description")
        arg.ClearField("experimental_full_type")
    for attr in ours.attr:
        attr.ClearField("description")
    return text_format.MessageToString(ours)


@pytest.mark.parametrize("op_type", sorted(registry.registered_ops()))
def test_op_def_matches_tf(op_type):
    pytest.importorskip("tensorflow")
    from tensorflow.python.framework import op_def_registry

    theirs = op_def_registry.get(op_type)
    assert theirs is not None, f"TensorFlow registers no op {op_type}"
    assert _normalized(registry.get(op_type).op_def) == _normalized(theirs)
