"""TensorFlow-compatible protobuf messages, generated from protos/ into a private descriptor pool."""

from google.protobuf import any_pb2, descriptor_pool, message, reflection, wrappers_pb2
from google.protobuf.internal import enum_type_wrapper

# TensorFlow registers the same full names (tensorflow.GraphDef, ...) in the default pool; ours live here.
POOL = descriptor_pool.DescriptorPool()
POOL.AddSerializedFile(any_pb2.DESCRIPTOR.serialized_pb)
POOL.AddSerializedFile(wrappers_pb2.DESCRIPTOR.serialized_pb)


def build_messages(file_descriptor, module_name, module):
    """Does what protobuf's builder.BuildTopDescriptorsAndMessages does, minus the default symbol database.

    That database copies every descriptor into the default pool under the pure-Python protobuf backend, where
    ours would clash with TensorFlow's.
    """
    for name, enum in file_descriptor.enum_types_by_name.items():
        module["_" + name.upper()] = enum
        module[name] = enum_type_wrapper.EnumTypeWrapper(enum)
        module.update((value.name, value.number) for value in enum.values)
    for name, descriptor in file_descriptor.message_types_by_name.items():
        module[name] = _message_class(descriptor, module_name, "")


def _message_class(descriptor, module_name, prefix):
    attrs = {
        name: _message_class(nested, module_name, prefix + descriptor.name + ".")
        for name, nested in descriptor.nested_types_by_name.items()
    }
    attrs.update(DESCRIPTOR=descriptor, __module__=module_name, __qualname__=prefix + descriptor.name)
    return reflection.GeneratedProtocolMessageType(descriptor.name, (message.Message,), attrs)
