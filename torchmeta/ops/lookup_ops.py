"""Lookup tables: HashTableV2 (initialized once, from tensors or a text file) and MutableHashTableV2, with
LookupTableFindV2/SizeV2/InsertV2/ExportV2. None is differentiable (lookup_ops.py says so).

A table lives in the session's state (one per table op and session, or per ``shared_name``); the handle a
table op outputs is the table object. A HashTable takes its first initialization and ignores later
ones, refuses a key added twice with different values, and fails lookups before it is initialized, as
TF's InitializableLookupTable. The text-file initializer reads TF's TextFileLineIterator columns:
a field, the whole line (-2) or the line number plus ``offset`` (-1). Export order is the table's
insertion order (TF's is its hash map's, unspecified).
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta import errors
from torchmeta.dtypes import DType
from torchmeta.framework.common_shapes import format_dims, input_with_rank, merge_shapes, with_rank
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid, resource_key, session_resource

_TABLE_ATTRS = [
    'container: string = ""',
    'shared_name: string = ""',
    "use_node_name_sharing: bool = false",
    "key_dtype: type",
    "value_dtype: type",
]
_TF_TYPE_NAMES = {DType.float32: "float", DType.float64: "double", DType.float16: "half"}


def _type_name(dtype: DType) -> str:
    """TF's DataTypeString."""
    return _TF_TYPE_NAMES.get(dtype, dtype.name)


def _failed_precondition(message: str) -> errors.FailedPreconditionError:
    return errors.FailedPreconditionError(None, None, message)


_MISSING = object()


class LookupTable:
    """One table's contents: Python keys (ints, floats, bytes) -> Python values."""

    mutable = False

    def __init__(self, key_dtype: DType, value_dtype: DType):
        self.key_dtype = key_dtype
        self.value_dtype = value_dtype
        self.entries: dict = {}
        self.initialized = False

    def check_signature(self, key_dtype: DType, value_dtype: DType, outputs: str):
        if key_dtype != self.key_dtype or value_dtype != self.value_dtype:
            have = f"resource, {_type_name(key_dtype)}, {_type_name(value_dtype)}->{outputs.format(v=_type_name(value_dtype))}"
            want = (
                f"resource, {_type_name(self.key_dtype)}, {_type_name(self.value_dtype)}->"
                f"{outputs.format(v=_type_name(self.value_dtype))}"
            )
            raise invalid(f"Signature mismatch, have: {have} expected: {want}")

    def insert(self, keys, values):
        for k, v in zip(keys, values):
            if not self.mutable and k in self.entries and self.entries[k] != v:
                raise _failed_precondition(
                    f"HashTable has different value for same key. Key {_text(k)} has {_text(self.entries[k])} and "
                    f"trying to add value {_text(v)}"
                )
            self.entries[k] = v

    def initialize(self, keys, values):
        """TF's InitializableLookupTable::Initialize: a second initialization must bring the same data."""
        if self.initialized:
            if len(keys) != len(self.entries) or any(self.entries.get(k, _MISSING) != v for k, v in zip(keys, values)):
                raise _failed_precondition("Table was already initialized with different data.")
            return
        self.insert(keys, values)
        self.initialized = True

    def find(self, keys, default):
        if not self.mutable and not self.initialized:
            raise _failed_precondition("Table not initialized.")
        return [self.entries.get(k, d) for k, d in zip(keys, default)]


class MutableTable(LookupTable):
    mutable = True


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _items(t) -> list:
    """A kernel value's elements as Python scalars (bytes for strings), flattened."""
    if isinstance(t, np.ndarray):
        return [v if isinstance(v, bytes) else v.encode() if isinstance(v, str) else v for v in t.reshape(-1)]
    return t.reshape(-1).tolist()


def _values_tensor(values: list, shape, dtype: DType):
    if dtype == DType.string:
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out.reshape(shape)
    return torch.tensor(values, dtype=dtype.torch).reshape(shape)


def _table_shape(op):
    return [TensorShape([])]


def _make_table(cls, kind, container, shared_name, use_node_name_sharing, key_dtype, value_dtype, state, node_name):
    del use_node_name_sharing  # graph mode shares by node name either way
    key = resource_key(kind, container, shared_name, node_name)
    table = session_resource(state, key, lambda: cls(key_dtype, value_dtype))
    if table.key_dtype != key_dtype or table.value_dtype != value_dtype:
        raise invalid(
            f"Conflicting key/value dtypes {_type_name(key_dtype)}->{_type_name(value_dtype)} with "
            f"{_type_name(table.key_dtype)}-{_type_name(table.value_dtype)} for table {shared_name or node_name}"
        )
    return table


@register_op("HashTableV2", outputs=["table_handle: resource"], attrs=_TABLE_ATTRS, shape=_table_shape, stateful=True)
def hash_table_v2(container, shared_name, use_node_name_sharing, key_dtype, value_dtype, state, node_name):
    return _make_table(
        LookupTable,
        "hash_table",
        container,
        shared_name,
        use_node_name_sharing,
        key_dtype,
        value_dtype,
        state,
        node_name,
    )


@register_op(
    "MutableHashTableV2", outputs=["table_handle: resource"], attrs=_TABLE_ATTRS, shape=_table_shape, stateful=True
)
def mutable_hash_table_v2(container, shared_name, use_node_name_sharing, key_dtype, value_dtype, state, node_name):
    return _make_table(
        MutableTable,
        "mutable_hash_table",
        container,
        shared_name,
        use_node_name_sharing,
        key_dtype,
        value_dtype,
        state,
        node_name,
    )


# ---------------------------------------------------------------------------------------------
# Initializers


def _initialize_shape(op):
    input_with_rank(op, 0, 0)
    keys = with_rank(op, op.inputs[1].shape, 1)
    merge_shapes(op, keys, op.inputs[2].shape)
    return []


@register_op(
    "InitializeTableV2",
    inputs=["table_handle: resource", "keys: Tkey", "values: Tval"],
    attrs=["Tkey: type", "Tval: type"],
    shape=_initialize_shape,
    stateful=True,
)
def initialize_table_v2(table_handle, keys, values, Tkey, Tval):
    table_handle.check_signature(Tkey, Tval, "")
    if keys.ndim != 1:
        raise invalid(f"Keys must be a vector, but received shape{format_dims(keys.shape)}")
    if tuple(keys.shape) != tuple(values.shape):
        raise invalid("Keys and values must have the same size.")
    table_handle.initialize(_items(keys), _items(values))


def _parse_field(field: bytes, dtype: DType, line_number: int):
    if dtype == DType.string:
        return field
    text = field.decode("utf-8", "replace")
    try:
        if dtype in (DType.int64, DType.int32):
            value = int(text, 10)
            bits = 63 if dtype == DType.int64 else 31
            if not -(2**bits) <= value < 2**bits:
                raise ValueError(text)
            return value
        if dtype in (DType.float32, DType.float64):
            return float(np.float32(text)) if dtype == DType.float32 else float(text)
    except ValueError:
        pass
    raise invalid(f"Field {text} in line {line_number} is not a valid {_type_name(dtype)}.")


def _column(line: bytes, fields, index: int, dtype: DType, line_number: int, offset: int, filename: str):
    if index == -2:
        return _parse_field(line, dtype, line_number)
    if index == -1:
        return line_number + offset
    if index >= len(fields):
        raise invalid(
            f"Invalid number of columns in {filename} line {line_number} ({line.decode('utf-8', 'replace')}) : "
            f"expected at least {index + 1} got {len(fields)}"
        )
    return _parse_field(fields[index], dtype, line_number)


def _text_file_shape(op):
    input_with_rank(op, 0, 0)
    input_with_rank(op, 1, 0)
    return []


@register_op(
    "InitializeTableFromTextFileV2",
    inputs=["table_handle: resource", "filename: string"],
    attrs=[
        "key_index: int >= -2",
        "value_index: int >= -2",
        "vocab_size: int >= -1 = -1",
        'delimiter: string = "\t"',
        "offset: int = 0",
    ],
    shape=_text_file_shape,
    stateful=True,
)
def initialize_table_from_text_file_v2(table_handle, filename, key_index, value_index, vocab_size, delimiter, offset):
    name = filename.reshape(-1)[0] if isinstance(filename, np.ndarray) else filename
    name = name.decode() if isinstance(name, bytes) else str(name)
    try:
        with open(name, "rb") as f:
            data = f.read()
    except OSError:
        raise errors.NotFoundError(None, None, f"{name}; No such file or directory") from None
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    if vocab_size != -1:
        if len(lines) < vocab_size:
            raise invalid(f"Invalid vocab_size in {name}: expected {vocab_size} but got {len(lines)}")
        lines = lines[:vocab_size]
    sep = delimiter.encode() if isinstance(delimiter, str) else delimiter
    keys, values = [], []
    for n, line in enumerate(lines):
        fields = line.split(sep)
        keys.append(_column(line, fields, key_index, table_handle.key_dtype, n, offset, name))
        values.append(_column(line, fields, value_index, table_handle.value_dtype, n, offset, name))
    table_handle.initialize(keys, values)


# ---------------------------------------------------------------------------------------------
# Find, Size, Insert, Export


def _mutable_handle(op) -> bool:
    """Whether the handle comes straight from a MutableHashTableV2, whose shape function records the
    value shape ([]) as the handle's data, so lookups get the keys' shape (HashTableV2 records none)."""
    return op.inputs[0].op.type == "MutableHashTableV2"


def _find_shape(op):
    input_with_rank(op, 0, 0)
    if _mutable_handle(op):
        return [op.inputs[1].shape]
    return [TensorShape(None)]


@register_op(
    "LookupTableFindV2",
    inputs=["table_handle: resource", "keys: Tin", "default_value: Tout"],
    outputs=["values: Tout"],
    attrs=["Tin: type", "Tout: type"],
    shape=_find_shape,
    stateful=True,
)
def lookup_table_find_v2(table_handle, keys, default_value, Tin, Tout):
    table_handle.check_signature(Tin, Tout, "{v}")
    keys_shape = tuple(keys.shape)
    if tuple(default_value.shape) not in ((), keys_shape):
        raise invalid(
            f"Expected shape [] or {format_dims(keys_shape)} for default value, got {format_dims(default_value.shape)}"
        )
    flat_keys = _items(keys)
    defaults = _items(default_value)
    if not table_handle.mutable or tuple(default_value.shape) == ():
        # TF's HashTable reads only the first default value, even when one is given per key
        defaults = defaults[:1] * len(flat_keys)
    return _values_tensor(table_handle.find(flat_keys, defaults), keys_shape, Tout)


@register_op(
    "LookupTableSizeV2",
    inputs=["table_handle: resource"],
    outputs=["size: int64"],
    shape=lambda op: (input_with_rank(op, 0, 0), [TensorShape([])])[1],
    stateful=True,
)
def lookup_table_size_v2(table_handle):
    return torch.tensor(len(table_handle.entries), dtype=torch.int64)


@register_op(
    "LookupTableInsertV2",
    inputs=["table_handle: resource", "keys: Tin", "values: Tout"],
    attrs=["Tin: type", "Tout: type"],
    shape=lambda op: (input_with_rank(op, 0, 0), [])[1],
    stateful=True,
)
def lookup_table_insert_v2(table_handle, keys, values, Tin, Tout):
    table_handle.check_signature(Tin, Tout, "")
    if tuple(keys.shape) != tuple(values.shape):
        raise invalid(f"Expected shape {format_dims(keys.shape)} for value, got {format_dims(values.shape)}")
    table_handle.insert(_items(keys), _items(values))


def _export_shape(op):
    input_with_rank(op, 0, 0)
    return [TensorShape(None), TensorShape(None)]


@register_op(
    "LookupTableExportV2",
    inputs=["table_handle: resource"],
    outputs=["keys: Tkeys", "values: Tvalues"],
    attrs=["Tkeys: type", "Tvalues: type"],
    shape=_export_shape,
    stateful=True,
)
def lookup_table_export_v2(table_handle, Tkeys, Tvalues):
    table_handle.check_signature(Tkeys, Tvalues, "{v}")
    keys = list(table_handle.entries)
    values = [table_handle.entries[k] for k in keys]
    return _values_tensor(keys, (len(keys),), Tkeys), _values_tensor(values, (len(values),), Tvalues)


not_differentiable(
    "HashTableV2",
    "MutableHashTableV2",
    "InitializeTableV2",
    "InitializeTableFromTextFileV2",
    "LookupTableFindV2",
    "LookupTableSizeV2",
    "LookupTableInsertV2",
)
no_registered_gradient("LookupTableExportV2")
