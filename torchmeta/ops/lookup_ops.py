"""Lookup tables: HashTable (initialized once, from tensors, a text file or an import), MutableHashTable and
MutableHashTableOfTensors (values of a fixed shape), with LookupTableFind/Size/Insert/Import/Export (and Remove for
the V2 mutable tables), in their resource (V2) and TF1 Ref(string) forms. None is differentiable (TF's
lookup_ops.py says so or registers nothing).

A table lives in the session's state (one per table op and session, or per ``shared_name``); the handle a
table op outputs is the table object. A HashTable takes its first initialization and ignores later
ones, refuses a key added twice with different values, and fails lookups before it is initialized, as
TF's InitializableLookupTable. The text-file initializer reads TF's TextFileLineIterator columns:
a field, the whole line (-2) or the line number plus ``offset`` (-1). Export order is the table's
insertion order (TF's is its std::unordered_map's, unspecified).

MutableDenseHashTable(V2) is TF's open-addressing table (lookup_table_op.cc, modeled on sparsehash's
densehashtable), reproduced bucket for bucket: the same hash (an integer key is its own hash, a string key TF's
Hash64, a vector key the Hash64Combine of its elements), the same quadratic probing, deleted-key tombstones and
growth (doubling until the pending entries fit under ``max_load_factor``), so its export, the whole bucket array
with the empty key in unused buckets, equals TF's bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from torchmeta import errors
from torchmeta.dtypes import DType
from torchmeta.framework.common_shapes import (
    format_dims,
    format_float,
    input_with_rank,
    input_with_rank_at_least,
    merge_dim,
    merge_shapes,
    with_rank,
    with_rank_at_most,
    with_value,
)
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid, partial_shape_str, resource_key, session_resource
from torchmeta.ops.keyed_hash import tf_hash64

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
    dense = False
    key_shape: tuple = ()

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
                return f"{', '.join(inputs)}->{outputs.format(v=_type_name(v)) if value_dtype is not None else outputs}"

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


_MASK64 = (1 << 64) - 1


def _hash_scalar(key) -> int:
    """TF's HashScalar: an integer is its own hash (as a uint64), a string TF's Hash64."""
    return tf_hash64(key) if isinstance(key, bytes) else key & _MASK64


def _hash_key(key: tuple) -> int:
    """TF's MutableDenseHashTable::HashKey: a scalar key's hash, a vector key's Hash64Combine over its elements."""
    if len(key) == 1:
        return _hash_scalar(key[0])
    result = 0
    for element in key:
        b = _hash_scalar(element)
        result = (result ^ (b + 0x9E3779B97F4A7800 + (result << 10) + (result >> 4))) & _MASK64
    return result


def _vectorized(shape: tuple) -> tuple:
    """TF's MaybeVectorizeShape: a scalar shape as [1]."""
    return shape or (1,)


def _tensor_array(t, dtype: DType) -> np.ndarray:
    """A kernel input as a numpy array (bytes objects for strings)."""
    if isinstance(t, np.ndarray):
        return np.array(_items(t), dtype=object).reshape(t.shape) if dtype == DType.string else t
    return t.numpy()


class DenseHashTable(MutableTable):
    """TF's MutableDenseHashTable: ``num_buckets`` key rows (tuples, the empty key where unused, the deleted
    key where removed) and a value array of ``[num_buckets, value size]``, probed as TF probes them."""

    dense = True

    def __init__(self, key_dtype, value_dtype, value_shape, empty_key, deleted_key, num_buckets, max_load_factor):
        super().__init__(key_dtype, value_dtype, value_shape)
        self.key_shape = tuple(empty_key.shape)
        self.key_size = math.prod(self.key_shape)
        self.value_size = math.prod(self.value_shape)
        self.empty_key = tuple(_items(empty_key))
        self.deleted_key = tuple(_items(deleted_key))
        self.max_load_factor = max_load_factor
        self.num_entries = 0
        self.allocate(num_buckets)

    def allocate(self, num_buckets: int):
        if num_buckets < 4 or num_buckets & (num_buckets - 1):
            raise invalid(f"Number of buckets must be at least 4 and a power of 2, got: {num_buckets}")
        self.num_buckets = num_buckets
        self.num_entries = 0
        self.keys = [self.empty_key] * num_buckets
        self.key_column = None
        # TF fills unused value buckets with V() (0, false, ""), so exports expose no uninitialized memory
        self.values = np.zeros((num_buckets, self.value_size), dtype=self.value_dtype.numpy)
        if self.value_dtype == DType.string:
            self.values[:] = b""

    def _special(self, key: tuple, skip: bool) -> bool:
        """TF's refusal of the empty and deleted keys as table keys (skipped while rebucketing)."""
        for special, what in ((self.empty_key, "empty_key"), (self.deleted_key, "deleted_key")):
            if key == special:
                if skip:
                    return True
                raise invalid(f"Using the {what} as a table key is not allowed")
        return False

    def _probe(self, key: tuple, what: str):
        """The bucket holding ``key``, or None at the first empty bucket on its probe sequence (or when an import
        left no buckets, where TF would index out of bounds)."""
        if not self.num_buckets:
            return None
        mask = self.num_buckets - 1
        bucket = _hash_key(key) & mask
        probes = 0
        while True:
            held = self.keys[bucket]
            if held == key:
                return bucket
            if held == self.empty_key:
                return None
            probes += 1
            bucket = (bucket + probes) & mask  # quadratic probing
            if probes >= self.num_buckets:
                raise errors.InternalError(None, None, f"Internal error in MutableDenseHashTable {what}")

    @staticmethod
    def _key_rows(t, n: int, width: int) -> list:
        items = _items(t)
        return [tuple(items[i * width : (i + 1) * width]) for i in range(n)]

    def _insert_rows(self, keys: list, values: np.ndarray, skip_special: bool):
        self.key_column = None
        mask = self.num_buckets - 1
        for key, value in zip(keys, values):
            if self._special(key, skip_special):
                continue
            bucket = _hash_key(key) & mask
            probes = 0
            while True:
                held = self.keys[bucket]
                if held == key:
                    self.values[bucket] = value
                    break
                if held == self.empty_key or held == self.deleted_key:
                    self.num_entries += 1
                    self.keys[bucket] = key
                    self.values[bucket] = value
                    break
                probes += 1
                bucket = (bucket + probes) & mask
                if probes >= self.num_buckets:
                    raise errors.InternalError(None, None, "Internal error in MutableDenseHashTable insert")

    def _batch(self, keys) -> int:
        """The number of keys of a find/insert, checked against the key shape as TF checks it."""
        batch = 1 if keys.ndim == 0 else int(keys.shape[0])
        if math.prod(keys.shape) != batch * self.key_size:
            expected = format_dims((batch, *self.key_shape))
            raise invalid(f"Expected key shape {expected} got {format_dims(keys.shape)}")
        return batch

    def _find_integers(self, keys: np.ndarray) -> np.ndarray:
        """The buckets of scalar integer ``keys`` (-1 where absent), all keys probed at once: every key of a
        round is at the same probe count, so the probe sequences are TF's."""
        bad = (keys == self.empty_key[0]) | (keys == self.deleted_key[0])
        if bad.any():
            self._special((keys[int(np.argmax(bad))].item(),), False)
        found = np.full(len(keys), -1, dtype=np.int64)
        if not self.num_buckets:
            return found
        if self.key_column is None:
            self.key_column = np.fromiter((k[0] for k in self.keys), dtype=np.int64, count=self.num_buckets)
        mask = self.num_buckets - 1
        bucket = (keys.astype(np.uint64) & np.uint64(mask)).astype(np.int64)  # the uint64 hash, as TF's
        pending, probes = np.arange(len(keys)), 0
        while pending.size:
            held = self.key_column[bucket[pending]]
            hit = held == keys[pending]
            found[pending[hit]] = bucket[pending[hit]]
            pending = pending[~(hit | (held == self.empty_key[0]))]
            if not pending.size:
                break
            probes += 1
            bucket[pending] = (bucket[pending] + probes) & mask
            if probes >= self.num_buckets:
                raise errors.InternalError(None, None, "Internal error in MutableDenseHashTable lookup")
        return found

    def find_values(self, keys, default_value, Tout):
        batch = self._batch(keys)
        default = _tensor_array(default_value, Tout).reshape(-1)[: self.value_size]
        if self.key_size == 1 and self.key_dtype in (DType.int32, DType.int64):
            found = self._find_integers(keys.reshape(-1).numpy().astype(np.int64))
            out = np.where((found >= 0)[:, None], self.values[found] if len(self.values) else default, default)
        else:
            out = np.empty((batch, self.value_size), dtype=self.values.dtype)
            for i, key in enumerate(self._key_rows(keys, batch, self.key_size)):
                self._special(key, False)
                bucket = self._probe(key, "lookup")
                out[i] = default if bucket is None else self.values[bucket]
        shape = (*tuple(keys.shape)[: keys.ndim - len(self.key_shape)], *self.value_shape)
        return _array_tensor(out.reshape(shape), Tout)

    def insert_values(self, keys, values):
        batch = self._batch(keys)
        pending = self.num_entries + batch
        if pending > self.num_buckets * self.max_load_factor:
            new_num_buckets = self.num_buckets
            while True:
                new_num_buckets <<= 1
                if new_num_buckets == 0 or pending <= new_num_buckets * self.max_load_factor:
                    break
            old_keys, old_values = self.keys, self.values
            self.allocate(new_num_buckets)
            self._insert_rows(old_keys, old_values, True)
        rows = self._key_rows(keys, batch, self.key_size)
        self._insert_rows(rows, _tensor_array(values, self.value_dtype).reshape(batch, self.value_size), False)

    def remove_keys(self, keys):
        batch = 1 if keys.ndim == 0 else int(keys.shape[0])
        if math.prod(keys.shape) != batch * self.key_size:
            raise invalid(f"Expected key shape {format_dims((batch, *self.key_shape))} got {format_dims(keys.shape)}")
        self.key_column = None
        for key in self._key_rows(keys, batch, self.key_size):
            self._special(key, False)
            bucket = self._probe(key, "remove")
            if bucket is not None:
                self.num_entries -= 1
                self.keys[bucket] = self.deleted_key

    def import_buckets(self, keys, values):
        """TF's ImportValues: the given arrays become the buckets as they are (no power-of-2 check, as in TF)."""
        n = 1 if keys.ndim == 0 else int(keys.shape[0])
        width = math.prod(keys.shape[1:]) if keys.ndim else 1
        self.num_buckets = n
        self.keys = self._key_rows(keys, n, width)
        self.key_column = None
        self.values = _tensor_array(values, self.value_dtype).reshape(n, -1 if n else self.value_size).copy()
        self.num_entries = sum(1 for key in self.keys if key != self.empty_key and key != self.deleted_key)

    def export_buckets(self):
        keys = np.array(self.keys, dtype=object if self.key_dtype == DType.string else self.key_dtype.numpy)
        keys = keys.reshape(self.num_buckets, -1 if self.num_buckets else self.key_size)
        return _array_tensor(keys, self.key_dtype), _array_tensor(self.values.copy(), self.value_dtype)


def _array_tensor(array: np.ndarray, dtype: DType):
    """A numpy result as a kernel output: the object array for strings, a torch tensor otherwise."""
    if dtype == DType.string:
        return array
    return torch.from_numpy(np.array(array, order="C"))  # (np.ascontiguousarray would make a scalar [1])


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
    return hash_table_v2(container, shared_name, use_node_name_sharing, key_dtype, value_dtype, state, node_name)


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
    return mutable_hash_table_v2(
        container, shared_name, use_node_name_sharing, key_dtype, value_dtype, state, node_name
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
    return mutable_hash_table_of_tensors_v2(
        container, shared_name, use_node_name_sharing, key_dtype, value_dtype, value_shape, state, node_name
    )


_DENSE_ATTRS = [
    *_TABLE_ATTRS,
    "value_shape: shape = []",
    "initial_num_buckets: int = 131072",
    "max_load_factor: float = 0.8",
]


def _dense_table_shape(op):
    """TF's MutableHashTableShape: the empty key is a scalar or a vector (its shape is the table's key shape)."""
    with_rank_at_most(op, op.inputs[0].shape, 1)
    return [TensorShape([])]


def _dense_table(empty_key, deleted_key, key_dtype, value_dtype, value_shape, initial_num_buckets, max_load_factor):
    """The checks of TF's MutableDenseHashTable constructor, in its order."""
    if not 0 < max_load_factor < 1:
        raise invalid(f"max_load_factor must be between 0 and 1, got: {format_float(max_load_factor)}")
    if value_shape is None or len(value_shape) > 1:
        raise invalid(f"Empty value must be a scalar or a vector, got shape {partial_shape_str(value_shape)}")
    if empty_key.ndim > 1:
        raise invalid(f"Empty key must be a scalar or a vector, got shape {format_dims(empty_key.shape)}")
    if tuple(deleted_key.shape) != tuple(empty_key.shape):
        raise invalid(
            "Empty and deleted keys must have same shape, got shapes: "
            f"{format_dims(empty_key.shape)} and {format_dims(deleted_key.shape)}"
        )
    if _items(empty_key) == _items(deleted_key):
        raise invalid("Empty and deleted keys cannot be equal")
    return DenseHashTable(
        key_dtype, value_dtype, tuple(value_shape), empty_key, deleted_key, initial_num_buckets, max_load_factor
    )


@register_op(
    "MutableDenseHashTableV2",
    inputs=["empty_key: key_dtype", "deleted_key: key_dtype"],
    outputs=["table_handle: resource"],
    attrs=_DENSE_ATTRS,
    shape=_dense_table_shape,
    stateful=True,
)
def mutable_dense_hash_table_v2(
    empty_key,
    deleted_key,
    container,
    shared_name,
    use_node_name_sharing,
    key_dtype,
    value_dtype,
    value_shape,
    initial_num_buckets,
    max_load_factor,
    state,
    node_name,
):
    """TF's open-addressing table; ``empty_key`` marks unused buckets, ``deleted_key`` removed ones."""
    key = resource_key("mutable_dense_hash_table", container, shared_name, node_name)
    table = session_resource(
        state,
        key,
        lambda: _dense_table(
            empty_key, deleted_key, key_dtype, value_dtype, value_shape, initial_num_buckets, max_load_factor
        ),
    )
    return table


@register_op(
    "MutableDenseHashTable",
    inputs=["empty_key: key_dtype"],
    outputs=["table_handle: Ref(string)"],
    attrs=_DENSE_ATTRS,
    shape=_ref_table_shape,
    stateful=True,
)
def mutable_dense_hash_table(
    empty_key,
    container,
    shared_name,
    use_node_name_sharing,
    key_dtype,
    value_dtype,
    value_shape,
    initial_num_buckets,
    max_load_factor,
):
    """The TF1 form, kept for old GraphDefs: TF 2.21's kernel reads a ``deleted_key`` input this OpDef lacks, so
    running it fails in TF with this error; so it does here."""
    raise invalid("Unknown input name: deleted_key")


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


def _handle_shapes(op):
    """The key and value shapes a V2 handle straight from a mutable table op records (TF's handle data): () and
    () for MutableHashTableV2, () and ``value_shape`` for MutableHashTableOfTensorsV2, the empty key's static
    shape and ``value_shape`` for MutableDenseHashTableV2; None where TF records none or a shape is unknown."""
    source = op.inputs[0].op
    if source.type == "MutableHashTableV2":
        return (), ()
    if source.type not in ("MutableHashTableOfTensorsV2", "MutableDenseHashTableV2"):
        return None
    shape = source.node_def.attr["value_shape"].shape
    if shape.unknown_rank:
        return None
    value_shape = tuple(None if d.size == -1 else d.size for d in shape.dim)
    if source.type == "MutableHashTableOfTensorsV2":
        return (), value_shape
    key_shape = source.inputs[0].shape.as_tuple()
    return None if key_shape is None else (key_shape, value_shape)


def _find_shape(op):
    input_with_rank(op, 0, 0)
    shapes = _handle_shapes(op)
    keys = op.inputs[1].shape.as_tuple()
    if shapes is not None and keys is not None:
        key_shape, value_shape = shapes
        return [TensorShape([*keys[: len(keys) - len(key_shape)], *value_shape])]
    return [TensorShape(None)]


def _find_v1_shape(op):
    _ref_handle(op)
    with_rank_at_most(op, op.inputs[2].shape, 1)
    return [TensorShape(None)]


def _check_key_shape(table, keys):
    """TF's LookupInterface::CheckKeyShape (only a dense table's keys can be vectors)."""
    key_shape = table.key_shape
    if tuple(keys.shape)[keys.ndim - len(key_shape) :] != key_shape or keys.ndim < len(key_shape):
        raise invalid(
            f"Input key shape {format_dims(keys.shape)} must end with the table's key shape {format_dims(key_shape)}"
        )


def _key_prefix(table, keys) -> tuple:
    """The keys' shape without the table's key shape: one value per key."""
    return tuple(keys.shape)[: keys.ndim - len(table.key_shape)]


def _find(table, keys, default_value, Tin, Tout, handle):
    table.check_signature(Tin, Tout, "{v}", handle)
    _check_key_shape(table, keys)
    keys_shape = _key_prefix(table, keys)
    value_shape = table.value_shape
    full = keys_shape + value_shape
    if tuple(default_value.shape) not in (value_shape, full):
        raise invalid(
            f"Expected shape {format_dims(value_shape)} or {format_dims(full)} for default value, got "
            f"{format_dims(default_value.shape)}"
        )
    if table.dense:
        return table.find_values(keys, default_value, Tout)
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


@register_op(
    "LookupTableSizeV2",
    inputs=["table_handle: resource"],
    outputs=["size: int64"],
    shape=lambda op: (input_with_rank(op, 0, 0), [TensorShape([])])[1],
    stateful=True,
)
def lookup_table_size_v2(table_handle):
    return torch.tensor(
        table_handle.num_entries if table_handle.dense else len(table_handle.entries), dtype=torch.int64
    )


@register_op(
    "LookupTableSize",
    inputs=["table_handle: Ref(string)"],
    outputs=["size: int64"],
    shape=lambda op: (_ref_handle(op), [TensorShape([])])[1],
)
def lookup_table_size(table_handle):
    return lookup_table_size_v2(table_handle)


def _check_values(table, keys, values):
    """TF's CheckKeyAndValueTensorsHelper: the keys end with the key shape, one value per key."""
    _check_key_shape(table, keys)
    expected = _key_prefix(table, keys) + table.value_shape
    if tuple(values.shape) != expected:
        raise invalid(f"Expected shape {format_dims(expected)} for value, got {format_dims(values.shape)}")


def _insert(table, keys, values, Tin, Tout, handle):
    table.check_signature(Tin, Tout, "", handle)
    _check_values(table, keys, values)
    if table.dense:
        table.insert_values(keys, values)
        return
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
    if table.dense:
        # a dense table imports its bucket arrays, whose rows are vectors even for scalar keys and values
        _check_key_shape(table, keys)
        key_rank = len(_vectorized(table.key_shape))
        expected = tuple(keys.shape)[: max(keys.ndim - key_rank, 0)] + _vectorized(table.value_shape)
        if tuple(values.shape) != expected:
            raise invalid(f"Expected shape {format_dims(expected)} for value, got {format_dims(values.shape)}")
        table.import_buckets(keys, values)
        return
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
    shape=lambda op: (input_with_rank(op, 0, 0), input_with_rank_at_least(op, 1, 1), [])[2],
    stateful=True,
)
def lookup_table_remove_v2(table_handle, keys, Tin):
    table_handle.check_signature(Tin, None, "")
    _check_key_shape(table_handle, keys)
    if table_handle.dense:
        table_handle.remove_keys(keys)
        return
    table_handle.remove(_items(keys))


def _export_shape(op):
    input_with_rank(op, 0, 0)
    return [TensorShape(None), TensorShape(None)]


def _export_v1_shape(op):
    _ref_handle(op)
    return [TensorShape([None]), TensorShape(None)]


def _export(table, Tkeys, Tvalues, handle):
    table.check_signature(Tkeys, Tvalues, "{v}", handle)
    if table.dense:
        return table.export_buckets()
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
    "MutableDenseHashTableV2",
    "MutableDenseHashTable",
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
