"""Lookup tables: HashTable (initialized once, from tensors, a text file or an import), MutableHashTable and
MutableHashTableOfTensors (values of a fixed shape), with LookupTableFind/Size/Insert/Import/Export (and Remove for
the V2 mutable tables), in their resource (V2) and TF1 Ref(string) forms. None is differentiable (TF's
lookup_ops.py says so or registers nothing).

A table lives in the session's state (one per table op and session, or per ``shared_name``); the handle a
table op outputs is the table object. A HashTable takes its first initialization and ignores later
ones, refuses a key added twice with different values, and fails lookups before it is initialized, as
TF's InitializableLookupTable. The text-file initializer reads TF's TextFileLineIterator columns:
a field, the whole line (-2) or the line number plus ``offset`` (-1). Export order is the table's
insertion order (TF's is its hash map's, unspecified). MutableDenseHashTable is not here: its export is TF's
open-addressing bucket array, whose order depends on TF's key hashing and probing.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from torchmeta import errors
from torchmeta.dtypes import DType
from torchmeta.framework.common_shapes import (
    format_dims,
    input_with_rank,
    merge_dim,
    merge_shapes,
    with_rank,
    with_rank_at_most,
    with_value,
)
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid, partial_shape_str, resource_key, session_resource

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


class LookupTable:
    """One table's contents: Python keys (ints, floats, bytes) -> Python values (tuples of them for a table of
    tensors, whose ``value_shape`` is not ``()``)."""

    mutable = False

    def __init__(self, key_dtype: DType, value_dtype: DType, value_shape: tuple = ()):
        self.key_dtype = key_dtype
        self.value_dtype = value_dtype
        self.value_shape = tuple(value_shape)
        self.entries: dict = {}
        self.initialized = False

    def check_signature(self, key_dtype: DType, value_dtype, outputs: str, handle: str = "resource"):
        """TF's LookupInterface::CheckKeyAndValueTypes message; ``value_dtype`` None checks the keys only."""
        if key_dtype != self.key_dtype or (value_dtype is not None and value_dtype != self.value_dtype):

            def signature(k, v):
                inputs = [handle, _type_name(k)] + ([] if value_dtype is None else [_type_name(v)])
                return f"{', '.join(inputs)}->{outputs.format(v=_type_name(v))}"

            have = signature(key_dtype, value_dtype)
            want = signature(self.key_dtype, self.value_dtype)
            raise invalid(f"Signature mismatch, have: {have} expected: {want}")

    def insert(self, keys, values):
        if not self.mutable:
            raise errors.UnimplementedError(
                None, None, "Insert not supported by InitializableLookupTable implementations"
            )
        self.add(keys, values)

    def add(self, keys, values):
        for k, v in zip(keys, values):
            if not self.mutable and k in self.entries and self.entries[k] != v:
                raise _failed_precondition(
                    f"HashTable has different value for same key. Key {_text(k)} has {_text(self.entries[k])} and "
                    f"trying to add value {_text(v)}"
                )
            self.entries[k] = v

    def initialize(self, keys, values):
        """TF's InitializableLookupTable::Initialize: a second initialization must bring as many entries (TF's
        HashTable compares only the sizes) and changes nothing."""
        if self.initialized:
            if len(keys) != len(self.entries):
                raise _failed_precondition("Table was already initialized with different data.")
            return
        self.add(keys, values)
        self.initialized = True

    def import_values(self, keys, values):
        """LookupTableImport: a HashTable is initialized by it (KeyValueTensorInitializer's op); a mutable table
        replaces its contents."""
        if self.mutable:
            self.entries = {}
            self.add(keys, values)
        else:
            self.initialize(keys, values)

    def remove(self, keys):
        if not self.mutable:
            raise errors.UnimplementedError(
                None, None, "Remove not supported by InitializableLookupTable implementations"
            )
        for k in keys:
            self.entries.pop(k, None)

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


def _rows(t, n: int, table: LookupTable) -> list:
    """The ``n`` values of an insert/import as Python values: scalars, or tuples for a table of tensors."""
    items = _items(t)
    if not table.value_shape:
        return items
    width = math.prod(table.value_shape)
    return [tuple(items[i * width : (i + 1) * width]) for i in range(n)]


def _values_tensor(values: list, shape, dtype: DType):
    flat = [x for v in values for x in v] if values and isinstance(values[0], tuple) else values
    if dtype == DType.string:
        out = np.empty(len(flat), dtype=object)
        out[:] = flat
        return out.reshape(shape)
    return torch.tensor(flat, dtype=dtype.torch).reshape(shape)


def _table_shape(op):
    return [TensorShape([])]


def _ref_table_shape(op):
    return [TensorShape([2])]


def _make_table(cls, kind, container, shared_name, key_dtype, value_dtype, state, node_name, value_shape=()):
    key = resource_key(kind, container, shared_name, node_name)
    table = session_resource(state, key, lambda: cls(key_dtype, value_dtype, value_shape))
    if table.key_dtype != key_dtype or table.value_dtype != value_dtype:
        raise invalid(
            f"Conflicting key/value dtypes {_type_name(key_dtype)}->{_type_name(value_dtype)} with "
            f"{_type_name(table.key_dtype)}-{_type_name(table.value_dtype)} for table {shared_name or node_name}"
        )
    return table


def _value_shape_tuple(value_shape) -> tuple:
    """TF's MutableHashTableOfTensors holds vectors only."""
    if value_shape is None or len(value_shape) != 1 or value_shape[0] is None:
        shown = "<unknown>" if value_shape is None else partial_shape_str(value_shape)
        raise invalid(f"Default value must be a vector, got shape {shown}")
    return tuple(value_shape)


# Graph mode shares a table by node name either way, so use_node_name_sharing changes nothing here.
@register_op("HashTableV2", outputs=["table_handle: resource"], attrs=_TABLE_ATTRS, shape=_table_shape, stateful=True)
def hash_table_v2(container, shared_name, use_node_name_sharing, key_dtype, value_dtype, state, node_name):
    return _make_table(LookupTable, "hash_table", container, shared_name, key_dtype, value_dtype, state, node_name)


@register_op(
    "HashTable", outputs=["table_handle: Ref(string)"], attrs=_TABLE_ATTRS, shape=_ref_table_shape, stateful=True
)
def hash_table(container, shared_name, use_node_name_sharing, key_dtype, value_dtype, state, node_name):
    """The TF1 form: its handle is a Ref(string) (a 2-vector naming the table in TF); here the table itself."""
    return _make_table(LookupTable, "hash_table", container, shared_name, key_dtype, value_dtype, state, node_name)


@register_op(
    "MutableHashTableV2", outputs=["table_handle: resource"], attrs=_TABLE_ATTRS, shape=_table_shape, stateful=True
)
def mutable_hash_table_v2(container, shared_name, use_node_name_sharing, key_dtype, value_dtype, state, node_name):
    return _make_table(
        MutableTable, "mutable_hash_table", container, shared_name, key_dtype, value_dtype, state, node_name
    )


@register_op(
    "MutableHashTable",
    outputs=["table_handle: Ref(string)"],
    attrs=_TABLE_ATTRS,
    shape=_ref_table_shape,
    stateful=True,
)
def mutable_hash_table(container, shared_name, use_node_name_sharing, key_dtype, value_dtype, state, node_name):
    return _make_table(
        MutableTable, "mutable_hash_table", container, shared_name, key_dtype, value_dtype, state, node_name
    )


_TENSORS_ATTRS = [*_TABLE_ATTRS, "value_shape: shape = []"]


@register_op(
    "MutableHashTableOfTensorsV2",
    outputs=["table_handle: resource"],
    attrs=_TENSORS_ATTRS,
    shape=_table_shape,
    stateful=True,
)
def mutable_hash_table_of_tensors_v2(
    container, shared_name, use_node_name_sharing, key_dtype, value_dtype, value_shape, state, node_name
):
    """A mutable table whose values are tensors of ``value_shape``."""
    shape = _value_shape_tuple(value_shape)
    return _make_table(
        MutableTable,
        "mutable_hash_table_of_tensors",
        container,
        shared_name,
        key_dtype,
        value_dtype,
        state,
        node_name,
        shape,
    )


@register_op(
    "MutableHashTableOfTensors",
    outputs=["table_handle: Ref(string)"],
    attrs=_TENSORS_ATTRS,
    shape=_ref_table_shape,
    stateful=True,
)
def mutable_hash_table_of_tensors(
    container, shared_name, use_node_name_sharing, key_dtype, value_dtype, value_shape, state, node_name
):
    shape = _value_shape_tuple(value_shape)
    return _make_table(
        MutableTable,
        "mutable_hash_table_of_tensors",
        container,
        shared_name,
        key_dtype,
        value_dtype,
        state,
        node_name,
        shape,
    )


# ---------------------------------------------------------------------------------------------
# Initializers


def _ref_handle(op):
    """TF's check of a V1 table handle input: a vector of two strings."""
    dims = input_with_rank(op, 0, 1)
    with_value(op, dims[0], 2)


def _initialize_shape(op):
    if op.inputs[0].dtype.base_dtype == DType.resource:
        input_with_rank(op, 0, 0)
    else:
        _ref_handle(op)
    keys = with_rank(op, op.inputs[1].shape, 1)
    merge_shapes(op, keys, op.inputs[2].shape)
    return []


def _initialize(table, keys, values, Tkey, Tval, handle):
    table.check_signature(Tkey, Tval, "", handle)
    if keys.ndim != 1:
        raise invalid(f"Keys must be a vector, but received shape{format_dims(keys.shape)}")
    if tuple(keys.shape) != tuple(values.shape):
        raise invalid("Keys and values must have the same size.")
    table.initialize(_items(keys), _items(values))


@register_op(
    "InitializeTableV2",
    inputs=["table_handle: resource", "keys: Tkey", "values: Tval"],
    attrs=["Tkey: type", "Tval: type"],
    shape=_initialize_shape,
    stateful=True,
)
def initialize_table_v2(table_handle, keys, values, Tkey, Tval):
    _initialize(table_handle, keys, values, Tkey, Tval, "resource")


@register_op(
    "InitializeTable",
    inputs=["table_handle: Ref(string)", "keys: Tkey", "values: Tval"],
    attrs=["Tkey: type", "Tval: type"],
    shape=_initialize_shape,
)
def initialize_table(table_handle, keys, values, Tkey, Tval):
    _initialize(table_handle, keys, values, Tkey, Tval, "string_ref")


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
    if op.inputs[0].dtype.base_dtype == DType.resource:
        input_with_rank(op, 0, 0)
    else:
        _ref_handle(op)
    input_with_rank(op, 1, 0)
    return []


_TEXT_FILE_ATTRS = [
    "key_index: int >= -2",
    "value_index: int >= -2",
    "vocab_size: int >= -1 = -1",
    'delimiter: string = "\t"',
    "offset: int = 0",
]


@register_op(
    "InitializeTableFromTextFileV2",
    inputs=["table_handle: resource", "filename: string"],
    attrs=_TEXT_FILE_ATTRS,
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


@register_op(
    "InitializeTableFromTextFile",
    inputs=["table_handle: Ref(string)", "filename: string"],
    attrs=_TEXT_FILE_ATTRS,
    shape=_text_file_shape,
)
def initialize_table_from_text_file(table_handle, filename, key_index, value_index, vocab_size, delimiter, offset):
    initialize_table_from_text_file_v2(table_handle, filename, key_index, value_index, vocab_size, delimiter, offset)


# ---------------------------------------------------------------------------------------------
# Find, Size, Insert, Import, Remove, Export


def _handle_value_shape(op):
    """The value shape a V2 handle straight from a mutable table op records (TF's handle data): [] for
    MutableHashTableV2, ``value_shape`` for MutableHashTableOfTensorsV2; None where TF records none."""
    source = op.inputs[0].op
    if source.type == "MutableHashTableV2":
        return ()
    if source.type == "MutableHashTableOfTensorsV2":
        shape = source.node_def.attr["value_shape"].shape
        return None if shape.unknown_rank else tuple(None if d.size == -1 else d.size for d in shape.dim)
    return None


def _find_shape(op):
    input_with_rank(op, 0, 0)
    value_shape = _handle_value_shape(op)
    if value_shape is not None and op.inputs[1].shape.rank is not None:
        return [TensorShape([*op.inputs[1].shape.as_tuple(), *value_shape])]
    return [TensorShape(None)]


def _find_v1_shape(op):
    _ref_handle(op)
    with_rank_at_most(op, op.inputs[2].shape, 1)
    return [TensorShape(None)]


def _find(table, keys, default_value, Tin, Tout, handle):
    table.check_signature(Tin, Tout, "{v}", handle)
    keys_shape = tuple(keys.shape)
    value_shape = table.value_shape
    full = keys_shape + value_shape
    if tuple(default_value.shape) not in (value_shape, full):
        raise invalid(
            f"Expected shape {format_dims(value_shape)} or {format_dims(full)} for default value, got "
            f"{format_dims(default_value.shape)}"
        )
    flat_keys = _items(keys)
    per_key = tuple(default_value.shape) == full and table.mutable
    if value_shape:
        rows = _rows(default_value, len(flat_keys) if per_key else 1, table)
    else:
        rows = _items(default_value)
    # TF's HashTable reads only the first default value, even when one is given per key
    defaults = rows if per_key else rows[:1] * len(flat_keys)
    return _values_tensor(table.find(flat_keys, defaults), full, Tout)


@register_op(
    "LookupTableFindV2",
    inputs=["table_handle: resource", "keys: Tin", "default_value: Tout"],
    outputs=["values: Tout"],
    attrs=["Tin: type", "Tout: type"],
    shape=_find_shape,
    stateful=True,
)
def lookup_table_find_v2(table_handle, keys, default_value, Tin, Tout):
    return _find(table_handle, keys, default_value, Tin, Tout, "resource")


@register_op(
    "LookupTableFind",
    inputs=["table_handle: Ref(string)", "keys: Tin", "default_value: Tout"],
    outputs=["values: Tout"],
    attrs=["Tin: type", "Tout: type"],
    shape=_find_v1_shape,
)
def lookup_table_find(table_handle, keys, default_value, Tin, Tout):
    return _find(table_handle, keys, default_value, Tin, Tout, "string_ref")


def _size(table):
    return torch.tensor(len(table.entries), dtype=torch.int64)


@register_op(
    "LookupTableSizeV2",
    inputs=["table_handle: resource"],
    outputs=["size: int64"],
    shape=lambda op: (input_with_rank(op, 0, 0), [TensorShape([])])[1],
    stateful=True,
)
def lookup_table_size_v2(table_handle):
    return _size(table_handle)


@register_op(
    "LookupTableSize",
    inputs=["table_handle: Ref(string)"],
    outputs=["size: int64"],
    shape=lambda op: (_ref_handle(op), [TensorShape([])])[1],
)
def lookup_table_size(table_handle):
    return _size(table_handle)


def _check_values(table, keys, values):
    expected = tuple(keys.shape) + table.value_shape
    if tuple(values.shape) != expected:
        raise invalid(f"Expected shape {format_dims(expected)} for value, got {format_dims(values.shape)}")


def _insert(table, keys, values, Tin, Tout, handle):
    table.check_signature(Tin, Tout, "", handle)
    _check_values(table, keys, values)
    flat = _items(keys)
    table.insert(flat, _rows(values, len(flat), table))


def _handle_only_shape(op):
    if op.inputs[0].dtype.base_dtype == DType.resource:
        input_with_rank(op, 0, 0)
    else:
        _ref_handle(op)
    return []


@register_op(
    "LookupTableInsertV2",
    inputs=["table_handle: resource", "keys: Tin", "values: Tout"],
    attrs=["Tin: type", "Tout: type"],
    shape=_handle_only_shape,
    stateful=True,
)
def lookup_table_insert_v2(table_handle, keys, values, Tin, Tout):
    _insert(table_handle, keys, values, Tin, Tout, "resource")


@register_op(
    "LookupTableInsert",
    inputs=["table_handle: Ref(string)", "keys: Tin", "values: Tout"],
    attrs=["Tin: type", "Tout: type"],
    shape=_handle_only_shape,
)
def lookup_table_insert(table_handle, keys, values, Tin, Tout):
    _insert(table_handle, keys, values, Tin, Tout, "string_ref")


def _import(table, keys, values, Tin, Tout, handle):
    table.check_signature(Tin, Tout, "", handle)
    _check_values(table, keys, values)
    flat = _items(keys)
    table.import_values(flat, _rows(values, len(flat), table))


def _import_v2_shape(op):
    input_with_rank(op, 0, 0)
    keys = with_rank(op, op.inputs[1].shape, 1)
    values = op.inputs[2].shape
    merge_dim(op, keys.as_tuple()[0], values.as_tuple()[0] if values.rank else None)
    return []


@register_op(
    "LookupTableImportV2",
    inputs=["table_handle: resource", "keys: Tin", "values: Tout"],
    attrs=["Tin: type", "Tout: type"],
    shape=_import_v2_shape,
    stateful=True,
)
def lookup_table_import_v2(table_handle, keys, values, Tin, Tout):
    """Replaces a mutable table's contents; initializes a HashTable not yet initialized (KeyValueTensorInitializer's
    op), and is ignored by one that is."""
    _import(table_handle, keys, values, Tin, Tout, "resource")


@register_op(
    "LookupTableImport",
    inputs=["table_handle: Ref(string)", "keys: Tin", "values: Tout"],
    attrs=["Tin: type", "Tout: type"],
    shape=_handle_only_shape,
)
def lookup_table_import(table_handle, keys, values, Tin, Tout):
    _import(table_handle, keys, values, Tin, Tout, "string_ref")


@register_op(
    "LookupTableRemoveV2",
    inputs=["table_handle: resource", "keys: Tin"],
    attrs=["Tin: type"],
    shape=lambda op: (input_with_rank(op, 0, 0), [])[1],
    stateful=True,
)
def lookup_table_remove_v2(table_handle, keys, Tin):
    table_handle.check_signature(Tin, None, "")
    table_handle.remove(_items(keys))


def _export_shape(op):
    input_with_rank(op, 0, 0)
    return [TensorShape(None), TensorShape(None)]


def _export_v1_shape(op):
    _ref_handle(op)
    return [TensorShape([None]), TensorShape(None)]


def _export(table, Tkeys, Tvalues, handle):
    table.check_signature(Tkeys, Tvalues, "{v}", handle)
    keys = list(table.entries)
    values = [table.entries[k] for k in keys]
    return (
        _values_tensor(keys, (len(keys),), Tkeys),
        _values_tensor(values, (len(values), *table.value_shape), Tvalues),
    )


@register_op(
    "LookupTableExportV2",
    inputs=["table_handle: resource"],
    outputs=["keys: Tkeys", "values: Tvalues"],
    attrs=["Tkeys: type", "Tvalues: type"],
    shape=_export_shape,
    stateful=True,
)
def lookup_table_export_v2(table_handle, Tkeys, Tvalues):
    return _export(table_handle, Tkeys, Tvalues, "resource")


@register_op(
    "LookupTableExport",
    inputs=["table_handle: Ref(string)"],
    outputs=["keys: Tkeys", "values: Tvalues"],
    attrs=["Tkeys: type", "Tvalues: type"],
    shape=_export_v1_shape,
)
def lookup_table_export(table_handle, Tkeys, Tvalues):
    return _export(table_handle, Tkeys, Tvalues, "string_ref")


not_differentiable(
    "HashTableV2",
    "HashTable",
    "MutableHashTableV2",
    "MutableHashTable",
    "MutableHashTableOfTensorsV2",
    "MutableHashTableOfTensors",
    "InitializeTableV2",
    "InitializeTable",
    "InitializeTableFromTextFileV2",
    "InitializeTableFromTextFile",
    "LookupTableFindV2",
    "LookupTableFind",
    "LookupTableSizeV2",
    "LookupTableSize",
    "LookupTableInsertV2",
    "LookupTableInsert",
)
no_registered_gradient(
    "LookupTableExportV2", "LookupTableExport", "LookupTableImportV2", "LookupTableImport", "LookupTableRemoveV2"
)
