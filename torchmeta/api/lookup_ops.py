"""``tf.lookup`` (TF1, ``tf.compat.v1.lookup``): StaticHashTable, StaticVocabularyTable, KeyValueTensorInitializer,
TextFileInitializer, ``tf.lookup.experimental``'s MutableHashTable and DenseHashTable (each in the SAVEABLE_OBJECTS
collection, so ``tf.train.Saver()`` saves it as ``<name>-keys`` / ``<name>-values``), and the ``tf.contrib.lookup``-era functions ``index_table_from_tensor/file`` and
``index_to_string_table_from_tensor/file``; ``tf.tables_initializer``. Graphs as TF's python/ops/lookup_ops.py
builds them in graph mode: each initializer op joins the TABLE_INITIALIZERS collection (a text file's path
also ASSET_FILEPATHS), so ``tf.tables_initializer()`` and exported MetaGraphs carry them.

A StaticHashTable's ``shared_name`` is ``hash_table_<uuid4>`` as in TF (a text-file table's is derived from the
file and columns), so two graphs differ there and nowhere else.
"""

from __future__ import annotations

import collections
import functools
import uuid

from torchmeta.api import array_ops, control_flow_ops, math_ops, string_ops
from torchmeta.dtypes import DType, as_dtype
from torchmeta.framework import graph as ops
from torchmeta.framework.graph import Tensor, convert_to_tensor, name_scope
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.saveable_object import SaveableObject, SaveSpec
from torchmeta.framework.sparse_tensor import SparseTensor
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.framework.tensor_util import constant_value

__all__ = [
    "LookupInterface",
    "MutableHashTable",
    "DenseHashTable",
    "StaticHashTable",
    "StaticVocabularyTable",
    "IdTableWithHashBuckets",
    "KeyValueTensorInitializer",
    "TextFileIndex",
    "TextFileInitializer",
    "TextFileStringTableInitializer",
    "TextFileIdTableInitializer",
    "HasherSpec",
    "FastHashSpec",
    "StrongHashSpec",
    "index_table_from_tensor",
    "index_table_from_file",
    "index_to_string_table_from_tensor",
    "index_to_string_table_from_file",
    "tables_initializer",
    "check_table_dtypes",
]


def check_table_dtypes(table, key_dtype, value_dtype) -> None:
    """TF's check that an initializer's dtypes are the table's.

    Raises:
      TypeError: either dtype differs.
    """
    if as_dtype(key_dtype).base_dtype != table.key_dtype:
        raise TypeError(f"Invalid key dtype for table, expected {table.key_dtype} but got {key_dtype}.")
    if as_dtype(value_dtype).base_dtype != table.value_dtype:
        raise TypeError(f"Invalid value dtype for table, expected {table.value_dtype} but got {value_dtype}.")


class _KeyValueTypes:
    """``key_dtype`` and ``value_dtype``, shared by tables and their initializers."""

    def __init__(self, key_dtype, value_dtype):
        self._key_dtype = as_dtype(key_dtype)
        self._value_dtype = as_dtype(value_dtype)

    @property
    def key_dtype(self):
        return self._key_dtype

    @property
    def value_dtype(self):
        return self._value_dtype


class LookupInterface(_KeyValueTypes):
    """A table's key and value dtypes, its ``lookup``/``size``, and ``table[keys]``."""

    @property
    def resource_handle(self):
        return self._resource_handle

    def __getitem__(self, keys):
        return self.lookup(keys)


class StaticHashTable(LookupInterface):
    """``tf.compat.v1.lookup.StaticHashTable``: an immutable HashTableV2 filled by ``initializer`` (its op is in
    the TABLE_INITIALIZERS collection and is ``table.initializer``); missing keys get ``default_value``."""

    def __init__(self, initializer, default_value, name=None, experimental_is_anonymous=False):
        if experimental_is_anonymous:
            raise ValueError("experimental_is_anonymous tables are TF2 eager resources; graph mode uses shared names")
        self._initializer = initializer
        self._shared_name = initializer.shared_name or f"hash_table_{uuid.uuid4()}"
        self._name = name or "hash_table"
        self._table_name = None
        super().__init__(initializer.key_dtype, initializer.value_dtype)
        self._default_value = convert_to_tensor(default_value, dtype=self._value_dtype)
        self._default_value.shape.merge_with(TensorShape([]))
        with ops.init_scope():
            self._resource_handle = self._create_resource()
        self._init_op = self._initialize()
        self._value_shape = self._default_value.shape

    def _create_resource(self):
        table_ref = raw_op(
            "HashTableV2",
            shared_name=self._shared_name,
            key_dtype=self._initializer.key_dtype,
            value_dtype=self._initializer.value_dtype,
            name=self._name,
        )
        self._table_name = table_ref.op.name.split("/")[-1]
        return table_ref

    def _initialize(self):
        return self._initializer.initialize(self)

    @property
    def name(self):
        return self._table_name

    @property
    def initializer(self):
        return self._init_op

    @property
    def default_value(self):
        return self._default_value

    def size(self, name=None):
        """The number of entries (a LookupTableSizeV2)."""
        with name_scope(name, f"{self.name}_Size", [self.resource_handle]):
            return raw_op("LookupTableSizeV2", table_handle=self.resource_handle)

    def lookup(self, keys, name=None):
        """The values of ``keys`` (a Tensor or SparseTensor of the key dtype), ``default_value`` where missing.

        Raises:
          TypeError: ``keys`` has another dtype.
        """
        key_tensor = keys.values if isinstance(keys, SparseTensor) else keys
        if keys.dtype.base_dtype != self._key_dtype:
            raise TypeError(f"Dtype of argument `keys` must be {self._key_dtype}, received: {keys.dtype}")
        with name_scope(name, f"{self.name}_Lookup", (self.resource_handle, key_tensor, self._default_value)):
            values = raw_op(
                "LookupTableFindV2",
                table_handle=self.resource_handle,
                keys=key_tensor,
                default_value=self._default_value,
            )
        values.set_shape(key_tensor.shape)
        if isinstance(keys, SparseTensor):
            return SparseTensor(keys.indices, values, keys.dense_shape)
        return values

    def export(self, name=None):
        """(keys, values) of the table (a LookupTableExportV2)."""
        with name_scope(name, f"{self.name}_Export", [self.resource_handle]):
            keys, values = raw_op(
                "LookupTableExportV2",
                table_handle=self.resource_handle,
                Tkeys=self._key_dtype,
                Tvalues=self._value_dtype,
            )
        values.set_shape(keys.shape.concatenate(self._value_shape))
        return keys, values


class TableInitializerBase(_KeyValueTypes):
    @property
    def shared_name(self) -> str:
        """The table's shared name this initializer asks for ("" leaves it to the table)."""
        return ""


class KeyValueTensorInitializer(TableInitializerBase):
    """``tf.lookup.KeyValueTensorInitializer``: the table gets ``keys`` -> ``values`` (a LookupTableImportV2)."""

    def __init__(self, keys, values, key_dtype=None, value_dtype=None, name=None):
        self._keys = convert_to_tensor(keys, dtype=key_dtype, name="keys")
        self._values = convert_to_tensor(values, dtype=value_dtype, name="values")
        self._name = name if name is not None else "key_value_init"
        super().__init__(self._keys.dtype, self._values.dtype)

    def initialize(self, table):
        check_table_dtypes(table, self._keys.dtype, self._values.dtype)
        with name_scope(self._name, values=(table.resource_handle, self._keys, self._values)):
            init_op = raw_op(
                "LookupTableImportV2", table_handle=table.resource_handle, keys=self._keys, values=self._values
            )
        ops.add_to_collection(ops.GraphKeys.TABLE_INITIALIZERS, init_op)
        return init_op


class TextFileIndex:
    """``tf.lookup.TextFileIndex``: the special column indices."""

    WHOLE_LINE = -2
    LINE_NUMBER = -1


class TextFileInitializer(TableInitializerBase):
    """``tf.lookup.TextFileInitializer``: keys and values from columns of a text file (an
    InitializeTableFromTextFileV2); ``TextFileIndex.WHOLE_LINE`` / ``LINE_NUMBER`` select the line or its number.

    Raises:
      ValueError: a missing file name, or a column index or dtype TF refuses.
    """

    def __init__(
        self,
        filename,
        key_dtype,
        key_index,
        value_dtype,
        value_index,
        vocab_size=None,
        delimiter="\t",
        name=None,
        value_index_offset=0,
    ):
        if not isinstance(filename, Tensor) and not filename:
            raise ValueError("`filename` argument required for tf.lookup.TextFileInitializer")
        self._filename_arg = filename
        key_dtype = as_dtype(key_dtype)
        value_dtype = as_dtype(value_dtype)
        if key_index < -2:
            raise ValueError(f"`key_index` should be >= -2, received: {key_index}.")
        if key_index == TextFileIndex.LINE_NUMBER and key_dtype != DType.int64:
            raise ValueError(
                f"`key_dtype` must be int64 if `key_index` is {TextFileIndex.LINE_NUMBER}, received: {key_dtype}"
            )
        if key_index == TextFileIndex.WHOLE_LINE and not key_dtype.is_integer and key_dtype != DType.string:
            raise ValueError(
                "`key_dtype` should be either integer or string for `key_index` "
                f"{TextFileIndex.WHOLE_LINE}, received: {key_dtype}"
            )
        if value_index < -2:
            raise ValueError(f"`value_index` should be >= -2, received: {value_index}")
        if value_index == TextFileIndex.LINE_NUMBER and value_dtype != DType.int64:
            raise ValueError(
                f"`value_dtype` must be int64 for `value_index` {TextFileIndex.LINE_NUMBER}, received: {value_dtype}"
            )
        if value_index == TextFileIndex.WHOLE_LINE and not value_dtype.is_integer and value_dtype != DType.string:
            raise ValueError(
                "`value_dtype` should be either integer or string for `value_index` "
                f"{TextFileIndex.WHOLE_LINE}, received: {value_dtype}"
            )
        if vocab_size is not None and vocab_size <= 0:
            raise ValueError(f"`vocab_size` should be > 0, received: {vocab_size}")
        self._key_index = key_index
        self._value_index = value_index
        self._vocab_size = vocab_size
        self._delimiter = delimiter
        self._name = name
        self._offset = value_index_offset
        # TF's asset.Asset: the path as a Const made once, on the CPU, outside any control flow
        if isinstance(filename, Tensor):
            self._filename = filename
        else:
            with ops.init_scope(), ops.device("CPU"):
                self._filename = convert_to_tensor(filename, dtype=DType.string, name="asset_path")
        super().__init__(key_dtype, value_dtype)

    def initialize(self, table):
        check_table_dtypes(table, self.key_dtype, self.value_dtype)
        with name_scope(self._name, "text_file_init", (table.resource_handle,)):
            filename = convert_to_tensor(self._filename, DType.string, name="asset_filepath")
            init_op = raw_op(
                "InitializeTableFromTextFileV2",
                table_handle=table.resource_handle,
                filename=filename,
                key_index=self._key_index,
                value_index=self._value_index,
                vocab_size=-1 if self._vocab_size is None else self._vocab_size,
                delimiter=self._delimiter,
                offset=self._offset,
            )
        ops.add_to_collection(ops.GraphKeys.TABLE_INITIALIZERS, init_op)
        if filename.op.type == "Const":
            ops.add_to_collection(ops.GraphKeys.ASSET_FILEPATHS, filename)
        return init_op

    @property
    def shared_name(self) -> str:
        """TF's ``hash_table_<filename>[_<vocab_size>]_<key_index>_<value_index>[_<offset>]``."""
        parts = [f"hash_table_{self._filename_arg}"]
        if self._vocab_size:
            parts.append(str(self._vocab_size))
        parts += [str(self._key_index), str(self._value_index)]
        if self._offset:
            parts.append(str(self._offset))
        return "_".join(parts)


class TextFileStringTableInitializer(TextFileInitializer):
    """Line number -> whole line (int64 -> string) by default."""

    def __init__(
        self,
        filename,
        key_column_index=TextFileIndex.LINE_NUMBER,
        value_column_index=TextFileIndex.WHOLE_LINE,
        vocab_size=None,
        delimiter="\t",
        name="text_file_string_table_init",
    ):
        super().__init__(
            filename,
            DType.int64,
            key_column_index,
            DType.string,
            value_column_index,
            vocab_size=vocab_size,
            delimiter=delimiter,
            name=name,
        )


class TextFileIdTableInitializer(TextFileInitializer):
    """Whole line -> line number (string -> int64) by default."""

    def __init__(
        self,
        filename,
        key_column_index=TextFileIndex.WHOLE_LINE,
        value_column_index=TextFileIndex.LINE_NUMBER,
        vocab_size=None,
        delimiter="\t",
        name="text_file_id_table_init",
        key_dtype=DType.string,
    ):
        super().__init__(
            filename,
            key_dtype,
            key_column_index,
            DType.int64,
            value_column_index,
            vocab_size=vocab_size,
            delimiter=delimiter,
            name=name,
        )


class HasherSpec(collections.namedtuple("HasherSpec", ["hasher", "key"])):
    """Which hash out-of-vocabulary keys take: "fasthash", "legacy" or "stronghash" (with its two-word key)."""

    __slots__ = ()


FastHashSpec = HasherSpec("fasthash", None)


class StrongHashSpec(HasherSpec):
    """The keyed SipHash (StringToHashBucketStrong)."""

    __slots__ = ()

    def __new__(cls, key):
        if len(key) != 2:
            raise ValueError(f"`key` must have size 2, received {len(key)}")
        if not isinstance(key[0], int) or not isinstance(key[1], int):
            raise TypeError(f"Invalid key {key}. Must be unsigned integer values.")
        return super().__new__(cls, "stronghash", key)


def _as_string(tensor):
    if tensor.dtype.base_dtype == DType.string:
        return tensor
    return string_ops.as_string(tensor)


class _BucketedTable(LookupInterface):
    """Out-of-vocabulary keys hashed into ``num_oov_buckets`` ids after the table's (TF's IdTableWithHashBuckets
    and StaticVocabularyTable, which differ only in their checks and hasher)."""

    def _setup(self, table, num_oov_buckets, hasher_spec, name, key_dtype):
        self._table = table
        self._num_oov_buckets = num_oov_buckets
        self._hasher_spec = hasher_spec
        self._table_name = name.split("/")[-1] if name else None
        LookupInterface.__init__(self, key_dtype, DType.int64)

    @property
    def resource_handle(self):
        return self._table.resource_handle if self._table is not None else None

    @property
    def name(self):
        return self._table_name

    @property
    def initializer(self):
        if self._table is not None:
            return self._table.initializer
        with name_scope(None, "init"):
            return control_flow_ops.no_op()

    def size(self, name=None):
        with name_scope(name, f"{self.name}_Size"):
            tsize = self._table.size() if self._table else convert_to_tensor(0, dtype=DType.int64)
            return tsize + self._num_oov_buckets

    def _hash_fn(self):
        if self._hasher_spec.hasher == "fasthash":
            return string_ops.to_hash_bucket_fast
        if self._hasher_spec.hasher == "legacy":
            return string_ops.to_hash_bucket
        if self._hasher_spec.hasher == "stronghash":
            return functools.partial(string_ops.to_hash_bucket_strong, key=self._hasher_spec.key)
        raise ValueError(f"Found unknown hasher {self._hasher_spec.hasher} in `hasher_spec`")

    def lookup(self, keys, name=None):
        """The ids of ``keys``: the table's, or ``table.size() + hash(key) % num_oov_buckets`` for the others.

        Raises:
          TypeError: ``keys`` has another dtype.
        """
        if keys.dtype.base_dtype != self._key_dtype:
            raise TypeError(f"Dtype of argument `keys` must be {self._key_dtype}, received: {keys.dtype}")
        values = keys.values if isinstance(keys, SparseTensor) else keys
        if self._table and self._table.key_dtype.base_dtype == DType.int64:
            values = math_ops.cast(values, DType.int64)
        if self._num_oov_buckets == 0:
            ids = self._table.lookup(values, name=name)
        else:
            with name_scope(name, f"{self.name}_Lookup"):
                buckets = self._hash_fn()(_as_string(values), num_buckets=self._num_oov_buckets, name="hash_bucket")
                if self._table:
                    ids = self._table.lookup(values)
                    buckets = math_ops.add(buckets, self._table.size())
                    is_id_non_default = math_ops.not_equal(ids, self._table.default_value)
                    ids = array_ops.where_v2(is_id_non_default, ids, buckets)
                else:
                    ids = buckets
        if isinstance(keys, SparseTensor):
            return SparseTensor(keys.indices, ids, keys.dense_shape)
        return ids


class StaticVocabularyTable(_BucketedTable):
    """``tf.compat.v1.lookup.StaticVocabularyTable``: ids from ``initializer``'s table (string or int64 keys ->
    int64), and out-of-vocabulary keys in ``num_oov_buckets`` buckets after them, by farmhash Fingerprint64 of the
    key (as a string).

    Raises:
      ValueError: ``num_oov_buckets`` is not positive.
      TypeError: dtypes TF refuses.
    """

    def __init__(self, initializer, num_oov_buckets, lookup_key_dtype=None, name=None, experimental_is_anonymous=False):
        if num_oov_buckets <= 0:
            raise ValueError("`num_oov_buckets` must be > 0; use StaticHashTable.")
        if name:
            name = name.rstrip("/")
        table = None
        if initializer:
            if lookup_key_dtype is None:
                lookup_key_dtype = initializer.key_dtype
            lookup_key_dtype = as_dtype(lookup_key_dtype)
            supported = (DType.int64, DType.string)
            if initializer.key_dtype not in supported:
                raise TypeError(f"Invalid `key_dtype`, expected one of {supported}, but got {initializer.key_dtype}.")
            if initializer.key_dtype.is_integer != lookup_key_dtype.is_integer:
                raise TypeError(
                    f"Invalid `key_dtype`, expected {'integer' if lookup_key_dtype.is_integer else 'non-integer'} but got "
                    f"{initializer.key_dtype}."
                )
            if initializer.value_dtype != DType.int64:
                raise TypeError(f"Invalid `value_dtype`, expected {DType.int64} but got {initializer.value_dtype}.")
            table = StaticHashTable(initializer, default_value=-1, experimental_is_anonymous=experimental_is_anonymous)
            name = name or table.name
        else:
            lookup_key_dtype = DType.string
            name = name or "hash_bucket"
        lookup_key_dtype = as_dtype(lookup_key_dtype)
        if not lookup_key_dtype.is_integer and lookup_key_dtype != DType.string:
            raise TypeError(f"Invalid `key_dtype`, expected integer or string, got {lookup_key_dtype}")
        self._setup(table, num_oov_buckets, FastHashSpec, name, lookup_key_dtype)


class IdTableWithHashBuckets(_BucketedTable):
    """TF's IdTableWithHashBuckets (what ``index_table_from_*`` build with ``num_oov_buckets``): ``table``'s ids and
    ``num_oov_buckets`` hash buckets after them, by ``hasher_spec``.

    Raises:
      ValueError, TypeError: arguments TF refuses.
    """

    def __init__(self, table, num_oov_buckets, hasher_spec=FastHashSpec, name=None, key_dtype=None):
        if name:
            name = name.rstrip("/")
        if table:
            key_dtype = table.key_dtype if key_dtype is None else as_dtype(key_dtype)
            supported = (DType.int64, DType.string)
            if table.key_dtype not in supported:
                raise TypeError(f"Invalid `key_dtype`, expected one of {supported}, received {key_dtype}.")
            if table.key_dtype.is_integer != key_dtype.is_integer:
                raise TypeError(
                    f"Invalid `key dtype`, expected {'integer' if key_dtype.is_integer else 'non-integer'} but got "
                    f"{table.key_dtype}."
                )
            if table.value_dtype != DType.int64:
                raise TypeError(f"Invalid `value_dtype`: expected int64 but got {table.value_dtype}.")
            name = name or table.name
        else:
            if num_oov_buckets <= 0:
                raise ValueError("`oov_buckets` must be > 0 if no `table` is supplied.")
            key_dtype = DType.string if key_dtype is None else as_dtype(key_dtype)
            name = name or "hash_bucket"
        if not key_dtype.is_integer and key_dtype != DType.string:
            raise TypeError(f"Invalid `key_dtype`, expected integer or string, got {key_dtype}.")
        if not isinstance(hasher_spec, HasherSpec):
            raise TypeError(f"`hasher_spec` must be of type HasherSpec, got {type(hasher_spec)}.")
        self._setup(table, num_oov_buckets, hasher_spec, name, key_dtype)


def index_table_from_file(
    vocabulary_file=None,
    num_oov_buckets=0,
    vocab_size=None,
    default_value=-1,
    hasher_spec=FastHashSpec,
    key_dtype=DType.string,
    name=None,
    key_column_index=TextFileIndex.WHOLE_LINE,
    value_column_index=TextFileIndex.LINE_NUMBER,
    delimiter="\t",
):
    """A table from the lines of ``vocabulary_file`` to their numbers (``tf.contrib.lookup.index_table_from_file``).

    Raises:
      ValueError, TypeError: arguments TF refuses.
    """
    key_dtype = as_dtype(key_dtype)
    if vocabulary_file is None or (isinstance(vocabulary_file, str) and not vocabulary_file):
        raise ValueError("`vocabulary_file` must be specified and must not be empty.")
    if num_oov_buckets < 0:
        raise ValueError(f"num_oov_buckets must be greater or equal than 0, got {num_oov_buckets}.")
    if vocab_size is not None and vocab_size < 1:
        vocab_file_value = vocabulary_file
        if isinstance(vocabulary_file, Tensor):
            vocab_file_value = constant_value(vocabulary_file) or "?"
        raise ValueError(
            f"`vocab_size` must be greater than 0, got {vocab_size} for vocabulary_file: {vocab_file_value}."
        )
    if not key_dtype.is_integer and key_dtype.base_dtype != DType.string:
        raise TypeError("Dtype for `keys` should be either integer or string.")
    with name_scope(name, "string_to_index"):
        with name_scope(None, "hash_table"):
            init = TextFileIdTableInitializer(
                vocabulary_file,
                vocab_size=vocab_size,
                key_dtype=DType.int64 if key_dtype.is_integer else key_dtype,
                name="table_init",
                key_column_index=key_column_index,
                value_column_index=value_column_index,
                delimiter=delimiter,
            )
            table = StaticHashTable(init, default_value)
        if num_oov_buckets:
            table = IdTableWithHashBuckets(
                table, num_oov_buckets=num_oov_buckets, hasher_spec=hasher_spec, key_dtype=key_dtype
            )
        return table


def index_table_from_tensor(
    vocabulary_list, num_oov_buckets=0, default_value=-1, hasher_spec=FastHashSpec, dtype=DType.string, name=None
):
    """A table from the elements of ``vocabulary_list`` to their positions
    (``tf.contrib.lookup.index_table_from_tensor``).

    Raises:
      ValueError, TypeError: arguments TF refuses.
    """
    dtype = as_dtype(dtype)
    if vocabulary_list is None:
        raise ValueError("`vocabulary_list` must be specified.")
    if num_oov_buckets < 0:
        raise ValueError(f"`num_oov_buckets` must be greater or equal than 0, got {num_oov_buckets}.")
    if not dtype.is_integer and dtype.base_dtype != DType.string:
        raise TypeError("`dtype` must either be integer or string.")
    with name_scope(name, "string_to_index"):
        keys = convert_to_tensor(vocabulary_list)
        if keys.dtype.is_integer != dtype.is_integer:
            raise ValueError(
                f"Invalid `dtype`: Expected {'integer' if dtype.is_integer else 'non-integer'}, got {keys.dtype}."
            )
        if not dtype.is_integer and keys.dtype.base_dtype != dtype:
            raise ValueError(f"Invalid `dtype`: Expected {dtype}, got {keys.dtype}.")
        num_elements = array_ops.size(keys)
        values = math_ops.cast(math_ops.range(num_elements), DType.int64)
        with name_scope(None, "hash_table"):
            table_keys = math_ops.cast(keys, DType.int64) if keys.dtype.is_integer else keys
            init = KeyValueTensorInitializer(
                table_keys, values, table_keys.dtype.base_dtype, DType.int64, name="table_init"
            )
            table = StaticHashTable(init, default_value)
        if num_oov_buckets:
            table = IdTableWithHashBuckets(
                table, num_oov_buckets=num_oov_buckets, hasher_spec=hasher_spec, key_dtype=dtype
            )
        return table


def index_to_string_table_from_file(
    vocabulary_file,
    vocab_size=None,
    default_value="UNK",
    name=None,
    key_column_index=TextFileIndex.LINE_NUMBER,
    value_column_index=TextFileIndex.WHOLE_LINE,
    delimiter="\t",
):
    """A table from line numbers to the lines of ``vocabulary_file``.

    Raises:
      ValueError: a missing file name or a vocab_size below 1.
    """
    if vocabulary_file is None or (isinstance(vocabulary_file, str) and not vocabulary_file):
        raise ValueError("`vocabulary_file` must be specified and must not be empty.")
    if vocab_size is not None and vocab_size < 1:
        raise ValueError(f"`vocab_size` must be greater than 0, got {vocab_size}.")
    with name_scope(name, "index_to_string"):
        init = TextFileStringTableInitializer(
            vocabulary_file,
            vocab_size=vocab_size,
            name="table_init",
            key_column_index=key_column_index,
            value_column_index=value_column_index,
            delimiter=delimiter,
        )
        return StaticHashTable(init, default_value)


def index_to_string_table_from_tensor(vocabulary_list, default_value="UNK", name=None):
    """A table from positions (int64) to the strings of ``vocabulary_list``.

    Raises:
      ValueError: ``vocabulary_list`` is None.
    """
    if vocabulary_list is None:
        raise ValueError("`vocabulary_list` argument must be specified.")
    with name_scope(name, "index_to_string"):
        vocabulary_list = convert_to_tensor(vocabulary_list, DType.string)
        num_elements = array_ops.size(vocabulary_list)
        keys = math_ops.cast(math_ops.range(num_elements), DType.int64)
        init = KeyValueTensorInitializer(keys, vocabulary_list, DType.int64, DType.string, name="table_init")
        return StaticHashTable(init, default_value)


# ---------------------------------------------------------------------------------------------
# Mutable tables (tf.lookup.experimental), saved by a Saver as <name>-keys / <name>-values


class _TableSaveable(SaveableObject):
    """TF's ``MutableHashTable._Saveable`` / ``DenseHashTable._Saveable``: the table's export under ``<name>-keys``
    and ``<name>-values``, restored by one LookupTableImportV2."""

    def __init__(self, table, name, table_name=None):
        tensors = table.export()
        specs = [SaveSpec(tensors[0], "", name + "-keys"), SaveSpec(tensors[1], "", name + "-values")]
        self.table_name = table_name or name
        super().__init__(table, specs, name)

    def restore(self, restored_tensors, restored_shapes):
        del restored_shapes  # unused, as in TF
        with name_scope(f"{self.table_name}_table_restore"):
            with ops.colocate_with(self.op.resource_handle):
                return raw_op(
                    "LookupTableImportV2",
                    table_handle=self.op.resource_handle,
                    keys=restored_tensors[0],
                    values=restored_tensors[1],
                )


class _MutableTableBase(LookupInterface):
    """What MutableHashTable and DenseHashTable share in TF: ``size``, ``export``, ``insert`` and the saveable."""

    def _setup(self, key_dtype, value_dtype, name, checkpoint, experimental_is_anonymous):
        if experimental_is_anonymous:
            raise ValueError("experimental_is_anonymous tables are TF2 eager resources; graph mode uses shared names")
        self._value_shape = self._default_value.shape
        self._checkpoint = checkpoint
        self._name = name
        self._is_anonymous = experimental_is_anonymous
        self._shared_name = None
        _KeyValueTypes.__init__(self, key_dtype, value_dtype)
        self._resource_handle = self._create_resource()
        if checkpoint:
            ops.add_to_collection(ops.GraphKeys.SAVEABLE_OBJECTS, _TableSaveable(self, name))

    @property
    def name(self):
        return self._table_name

    def saveable_for_saver(self, name: str) -> SaveableObject:
        """What a Saver given this table itself in ``var_list`` saves (TF's ``saveable_objects_from_trackable``
        for a TF1 Saver): a new export under ``<name>-keys`` / ``<name>-values``, where ``name`` is the dict key,
        or "" in a list, as in TF (so two tables in one list collide, the later one by op name winning)."""
        return _TableSaveable(self, name, table_name=self._name)

    def size(self, name=None):
        """The number of entries (a LookupTableSizeV2)."""
        with name_scope(name, f"{self.name}_Size", [self.resource_handle]):
            with ops.colocate_with(self.resource_handle):
                return raw_op("LookupTableSizeV2", table_handle=self.resource_handle)

    def insert(self, keys, values, name=None):
        """Associates ``keys`` with ``values`` (a LookupTableInsertV2)."""
        with name_scope(name, f"{self.name}_lookup_table_insert", [self.resource_handle, keys, values]):
            keys = convert_to_tensor(keys, self._key_dtype, name="keys")
            values = convert_to_tensor(values, self._value_dtype, name="values")
            with ops.colocate_with(self.resource_handle):
                return raw_op("LookupTableInsertV2", table_handle=self.resource_handle, keys=keys, values=values)

    def export(self, name=None):
        """(keys, values) of the table (a LookupTableExportV2); a DenseHashTable's are its bucket arrays."""
        with name_scope(name, f"{self.name}_lookup_table_export_values", [self.resource_handle]):
            with ops.colocate_with(self.resource_handle):
                keys, values = raw_op(
                    "LookupTableExportV2",
                    table_handle=self.resource_handle,
                    Tkeys=self._key_dtype,
                    Tvalues=self._value_dtype,
                )
        return keys, values

    def _remove(self, keys, name):
        with name_scope(name, f"{self.name}_lookup_table_remove", (self.resource_handle, keys, self._default_value)):
            return raw_op("LookupTableRemoveV2", table_handle=self.resource_handle, keys=keys)


class MutableHashTable(_MutableTableBase):
    """``tf.lookup.experimental.MutableHashTable``: a MutableHashTableV2 (MutableHashTableOfTensorsV2 when
    ``default_value`` is not a scalar) filled by ``insert`` and emptied by ``remove``. With ``checkpoint`` a Saver
    saves it as ``<name>-keys`` / ``<name>-values`` and restores it with LookupTableImportV2."""

    def __init__(
        self,
        key_dtype,
        value_dtype,
        default_value,
        name="MutableHashTable",
        checkpoint=True,
        experimental_is_anonymous=False,
    ):
        self._default_value = convert_to_tensor(default_value, dtype=value_dtype)
        self._setup(key_dtype, value_dtype, name, checkpoint, experimental_is_anonymous)

    def _create_resource(self):
        # a checkpointed table is shared by its node name, so that every worker's Saver restores the same table
        use_node_name_sharing = self._checkpoint and self._shared_name is None
        attrs = dict(
            shared_name=self._shared_name,
            use_node_name_sharing=use_node_name_sharing,
            key_dtype=self._key_dtype,
            value_dtype=self._value_dtype,
            name=self._name,
        )
        if self._default_value.shape.rank == 0:
            table_ref = raw_op("MutableHashTableV2", **attrs)
        else:
            table_ref = raw_op("MutableHashTableOfTensorsV2", value_shape=self._default_value.shape, **attrs)
        self._table_name = table_ref.op.name.split("/")[-1]
        return table_ref

    def remove(self, keys, name=None):
        """Removes ``keys`` (absent ones are ignored; a LookupTableRemoveV2).

        Raises:
          TypeError: ``keys`` has another dtype.
        """
        if keys.dtype != self._key_dtype:
            raise TypeError(f"Dtype of argument `keys` must be {self._key_dtype}, received: {keys.dtype}")
        return self._remove(keys, name)

    def lookup(self, keys, dynamic_default_values=None, name=None):
        """The values of ``keys``; ``dynamic_default_values`` (the default's shape, or one per key) for missing
        keys instead of the table's default (a LookupTableFindV2)."""
        with name_scope(name, f"{self.name}_lookup_table_find", (self.resource_handle, keys, self._default_value)):
            keys = convert_to_tensor(keys, dtype=self._key_dtype, name="keys")
            with ops.colocate_with(self.resource_handle):
                return raw_op(
                    "LookupTableFindV2",
                    table_handle=self.resource_handle,
                    keys=keys,
                    default_value=dynamic_default_values if dynamic_default_values is not None else self._default_value,
                )


class DenseHashTable(_MutableTableBase):
    """``tf.lookup.experimental.DenseHashTable``: a MutableDenseHashTableV2 (open addressing; ``empty_key`` and
    ``deleted_key`` mark free buckets and can never be keys). Saved like MutableHashTable, as its bucket arrays."""

    def __init__(
        self,
        key_dtype,
        value_dtype,
        default_value,
        empty_key,
        deleted_key,
        initial_num_buckets=None,
        name="MutableDenseHashTable",
        checkpoint=True,
        experimental_is_anonymous=False,
    ):
        self._default_value = convert_to_tensor(default_value, dtype=value_dtype, name="default_value")
        self._initial_num_buckets = initial_num_buckets
        self._empty_key = empty_key
        self._deleted_key = deleted_key
        self._setup(key_dtype, value_dtype, name, checkpoint, experimental_is_anonymous)

    def _create_resource(self):
        empty_key = convert_to_tensor(self._empty_key, dtype=self._key_dtype, name="empty_key")
        deleted_key = convert_to_tensor(self._deleted_key, dtype=self._key_dtype, name="deleted_key")
        use_node_name_sharing = self._checkpoint and self._shared_name is None
        table_ref = raw_op(
            "MutableDenseHashTableV2",
            empty_key=empty_key,
            deleted_key=deleted_key,
            shared_name=self._shared_name,
            use_node_name_sharing=use_node_name_sharing,
            value_dtype=self._value_dtype,
            value_shape=self._value_shape,
            initial_num_buckets=self._initial_num_buckets,
            name=self._name,
        )
        self._table_name = table_ref.op.name.split("/")[-1]
        return table_ref

    def lookup(self, keys, name=None):
        """The values of ``keys``, ``default_value`` for missing ones (a LookupTableFindV2)."""
        with name_scope(name, f"{self.name}_lookup_table_find", [self.resource_handle, keys]):
            keys = convert_to_tensor(keys, dtype=self._key_dtype, name="keys")
            with ops.colocate_with(self.resource_handle):
                return raw_op(
                    "LookupTableFindV2", table_handle=self.resource_handle, keys=keys, default_value=self._default_value
                )

    def insert_or_assign(self, keys, values, name=None):
        """Associates ``keys`` with ``values`` (``insert``)."""
        return self.insert(keys, values, name)

    def erase(self, keys, name=None):
        """Removes ``keys`` (absent ones are ignored; ``remove``).

        Raises:
          TypeError: ``keys`` has another dtype.
        """
        if keys.dtype != self._key_dtype:
            raise TypeError(f"Signature mismatch. Keys must be dtype {self._key_dtype}, got {keys.dtype}.")
        return self._remove(keys, name)

    def remove(self, keys, name=None):
        return self.erase(keys, name)


def tables_initializer(name="init_all_tables"):
    """``tf.tables_initializer``: one op running every table initializer (a NoOp when there are none)."""
    initializers = ops.get_collection(ops.GraphKeys.TABLE_INITIALIZERS)
    if initializers:
        return control_flow_ops.group(*initializers, name=name)
    return control_flow_ops.no_op(name=name)
