"""``tf.io`` parsing functions (TF1 names too): Example / SequenceExample parsing, decode_raw, decode_csv,
string_to_number, string_split.

The graphs equal TensorFlow 2.21's node for node: ``parse_example`` and ``parse_single_example``
emit ParseExampleV2, the sequence parsers ParseSequenceExampleV2, with the same Const inputs and
name scopes. ``RaggedFeature`` and ``SparseFeature`` are not provided (torchmeta has no
RaggedTensor, and SparseFeature needs sparse_merge); the ops still parse ragged keys.
"""

from __future__ import annotations

import collections
import re

from torchmeta import dtypes
from torchmeta.api.deprecation import deprecated_argument_lookup
from torchmeta.api.ragged_tensor import RaggedTensor
from torchmeta.dtypes import DType
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import Tensor, convert_to_tensor, name_scope
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.sparse_tensor import SparseTensor
from torchmeta.framework.tensor_shape import as_shape

__all__ = [
    "FixedLenFeature",
    "FixedLenSequenceFeature",
    "VarLenFeature",
    "parse_example",
    "parse_single_example",
    "parse_sequence_example",
    "parse_single_sequence_example",
    "decode_raw",
    "decode_csv",
    "string_to_number",
    "string_split",
    "serialize_tensor",
    "parse_tensor",
    "decode_compressed",
]


class VarLenFeature(collections.namedtuple("VarLenFeature", ["dtype"])):
    """A variable-length feature, parsed into a SparseTensor (``tf.io.VarLenFeature``)."""


class FixedLenFeature(collections.namedtuple("FixedLenFeature", ["shape", "dtype", "default_value"])):
    """A fixed-length feature of ``shape`` (``tf.io.FixedLenFeature``); without a default it is required."""

    def __new__(cls, shape, dtype, default_value=None):
        return super().__new__(cls, shape, dtype, default_value)


class FixedLenSequenceFeature(
    collections.namedtuple("FixedLenSequenceFeature", ["shape", "dtype", "allow_missing", "default_value"])
):
    """Values of ``shape`` stacked along a new first dimension of any length (``tf.io.FixedLenSequenceFeature``)."""

    def __new__(cls, shape, dtype, allow_missing=False, default_value=None):
        return super().__new__(cls, shape, dtype, allow_missing, default_value)


class _ParseOpParams:
    """The keys, types, shapes and defaults of a feature dict, sorted by key (TF's ``_ParseOpParams``)."""

    def __init__(self):
        self.sparse_keys, self.sparse_types = [], []
        self.dense_keys, self.dense_types, self.dense_shapes = [], [], []
        self.dense_defaults = collections.OrderedDict()

    @classmethod
    def from_features(cls, features, types):
        params = cls()
        if features:
            for key in sorted(features.keys()):
                feature = features[key]
                if not isinstance(feature, tuple(types)):
                    raise ValueError(f"Unsupported {type(feature).__name__} {feature} for key '{key}'")
                params._add_feature(key, feature)
        return params

    @property
    def num_features(self) -> int:
        return len(self.dense_keys) + len(self.sparse_keys)

    @property
    def dense_shapes_as_proto(self):
        return [shape.as_proto() for shape in self.dense_shapes]

    @property
    def dense_defaults_vec(self):
        return [
            self._make_dense_default(k, s, t) for k, s, t in zip(self.dense_keys, self.dense_shapes, self.dense_types)
        ]

    def _make_dense_default(self, key, shape, dtype):
        default_value = self.dense_defaults.get(key)
        if shape.rank is not None and shape.rank > 0 and shape.dims[0].value is None:
            if default_value is None:
                return convert_to_tensor("" if dtype is DType.string else 0, dtype=dtype)
            key_name = "padding_" + re.sub(r"[^A-Za-z0-9_.\-/]", "_", key)
            default_value = convert_to_tensor(default_value, dtype=dtype, name=key_name)
            return raw_op("Reshape", tensor=default_value, shape=[])
        if default_value is None:
            return constant([], dtype=dtype)
        if not isinstance(default_value, Tensor):
            key_name = "key_" + re.sub(r"[^A-Za-z0-9_.\-/]", "_", key)
            default_value = convert_to_tensor(default_value, dtype=dtype, name=key_name)
            return raw_op("Reshape", tensor=default_value, shape=shape)
        return default_value

    def _add_feature(self, key, feature):
        if not feature.dtype:
            raise ValueError(f"Missing type for feature {key}. Received feature={feature}")
        dtype = dtypes.as_dtype(feature.dtype)
        if isinstance(feature, VarLenFeature):
            if key in self.sparse_keys:
                return
            self.sparse_keys.append(key)
            self.sparse_types.append(dtype)
            return
        if feature.shape is None:
            raise ValueError(f"Missing shape for feature {key}. Received feature={feature}.")
        shape = as_shape(feature.shape)
        if isinstance(feature, FixedLenFeature):
            if feature.shape and shape.rank and shape.dims[0].value is None:
                raise ValueError(
                    f"First dimension of shape for feature {key} unknown. Consider using FixedLenSequenceFeature. "
                    f"Received feature={feature}."
                )
            if not shape.is_fully_defined():
                raise ValueError(
                    f"All dimensions of shape for feature {key} need to be known but received {feature.shape!s}."
                )
        self.dense_keys.append(key)
        self.dense_shapes.append(shape)
        self.dense_types.append(dtype)
        if isinstance(feature, FixedLenSequenceFeature) and feature.allow_missing:
            self.dense_defaults[key] = None
        if feature.default_value is not None:
            self.dense_defaults[key] = feature.default_value


def _prepend_none_dimension(features):
    """FixedLenSequenceFeatures in parse_example get a leading unknown dimension (allow_missing required)."""
    if not features:
        return features
    modified = dict(features)
    for key, feature in features.items():
        if isinstance(feature, FixedLenSequenceFeature):
            if not feature.allow_missing:
                raise ValueError("Unsupported: FixedLenSequenceFeature requires allow_missing to be True.")
            modified[key] = FixedLenSequenceFeature(
                [None, *list(feature.shape)], feature.dtype, feature.allow_missing, feature.default_value
            )
    return modified


def _assert_scalar(value, name):
    rank = value.shape.rank
    if rank is None or rank == 0:
        # TF adds an Assert for an unknown rank; here the kernel checks the rank when it runs.
        return value
    raise ValueError(f"Input {name} must be a scalar")


def parse_example(serialized, features, name=None, example_names=None):
    """Parses a batch of serialized ``Example`` protos (``tf.io.parse_example``, TF1 argument order).

    Args:
      serialized: a 1-D string tensor of serialized Examples.
      features: ``{key: FixedLenFeature | VarLenFeature | FixedLenSequenceFeature}``.
      name: name scope of the ops.
      example_names: optional names of the examples (used in error messages).

    Returns:
      ``{key: Tensor}`` for dense features, ``{key: SparseTensor}`` for VarLenFeatures.

    Raises:
      ValueError: for an empty or malformed ``features`` dict.
    """
    return _parse_example_v2(serialized, features, example_names, name)


def _parse_example_v2(serialized, features, example_names=None, name=None):
    if not features:
        raise ValueError(f"Argument `features` cannot be None or falsy. Got {features}")
    features = _prepend_none_dimension(features)
    params = _ParseOpParams.from_features(features, [VarLenFeature, FixedLenFeature, FixedLenSequenceFeature])
    return _parse_example_raw(serialized, example_names, params, name=name)


def _parse_example_raw(serialized, names, params, name):
    if params.num_features == 0:
        raise ValueError("Must provide at least one feature key.")
    with name_scope(name, "ParseExample", [serialized, names]):
        names = [] if names is None else names
        serialized = convert_to_tensor(serialized, name="serialized")
        outputs = raw_op(
            "ParseExampleV2",
            serialized=serialized,
            names=names,
            sparse_keys=params.sparse_keys,
            dense_keys=params.dense_keys,
            ragged_keys=[],
            dense_defaults=params.dense_defaults_vec,
            num_sparse=len(params.sparse_keys),
            sparse_types=params.sparse_types,
            ragged_value_types=[],
            ragged_split_types=[],
            dense_shapes=params.dense_shapes_as_proto,
            name=name,
        )
        sparse_indices, sparse_values, sparse_shapes, dense_values = outputs[:4]
        sparse = [SparseTensor(i, v, s) for i, v, s in zip(sparse_indices, sparse_values, sparse_shapes)]
        return dict(zip(params.sparse_keys + params.dense_keys, sparse + list(dense_values)))


def parse_single_example(serialized, features, name=None, example_names=None):
    """Parses one serialized ``Example`` (``tf.io.parse_single_example``): like parse_example without the batch.

    Raises:
      ValueError: if ``features`` is None or empty, or ``serialized`` is not a scalar.
    """
    if features is None:
        raise ValueError("Invalid argument: features cannot be None.")
    if not features:
        raise ValueError("Invalid argument: features cannot be empty.")
    with name_scope(name, "ParseSingleExample", [serialized, example_names]):
        serialized = convert_to_tensor(serialized, name="serialized")
        serialized = _assert_scalar(serialized, "serialized")
        return _parse_example_v2(serialized, features, example_names, name)


def _parse_sequence_example_raw(serialized, debug_name, context, feature_list, name=None):
    if context.num_features + feature_list.num_features == 0:
        raise ValueError("Must provide at least one feature key.")
    with name_scope(name, "ParseSequenceExample", [serialized]):
        debug_name = [] if debug_name is None else debug_name
        assumed_empty = []
        for k, v in feature_list.dense_defaults.items():
            if v is not None:
                raise ValueError(f"Value feature_list.dense_defaults[{k}] must be None")
            assumed_empty.append(k)
        serialized = convert_to_tensor(serialized, name="serialized")
        outputs = raw_op(
            "ParseSequenceExampleV2",
            serialized=serialized,
            debug_name=debug_name,
            context_sparse_keys=context.sparse_keys,
            context_dense_keys=context.dense_keys,
            context_ragged_keys=[],
            feature_list_sparse_keys=feature_list.sparse_keys,
            feature_list_dense_keys=feature_list.dense_keys,
            feature_list_ragged_keys=[],
            feature_list_dense_missing_assumed_empty=[k in assumed_empty for k in feature_list.dense_keys],
            context_dense_defaults=context.dense_defaults_vec,
            Ncontext_sparse=len(context.sparse_keys),
            Nfeature_list_sparse=len(feature_list.sparse_keys),
            Nfeature_list_dense=len(feature_list.dense_keys),
            context_sparse_types=context.sparse_types,
            context_ragged_value_types=[],
            context_ragged_split_types=[],
            feature_list_dense_types=feature_list.dense_types,
            feature_list_sparse_types=feature_list.sparse_types,
            feature_list_ragged_value_types=[],
            feature_list_ragged_split_types=[],
            context_dense_shapes=context.dense_shapes_as_proto,
            feature_list_dense_shapes=feature_list.dense_shapes,
            name=name,
        )
        (cs_idx, cs_val, cs_shape, c_dense, _cr_val, _cr_splits) = outputs[:6]
        (fs_idx, fs_val, fs_shape, f_dense, f_lengths) = outputs[6:11]
        context_sparse = [SparseTensor(i, v, s) for i, v, s in zip(cs_idx, cs_val, cs_shape)]
        fl_sparse = [SparseTensor(i, v, s) for i, v, s in zip(fs_idx, fs_val, fs_shape)]
        context_output = dict(zip(context.sparse_keys + context.dense_keys, context_sparse + list(c_dense)))
        feature_list_output = dict(zip(feature_list.sparse_keys + feature_list.dense_keys, fl_sparse + list(f_dense)))
        lengths = dict(zip(feature_list.dense_keys, f_lengths))
        return context_output, feature_list_output, lengths


def _sequence_params(context_features, sequence_features):
    context = _ParseOpParams.from_features(context_features, [VarLenFeature, FixedLenFeature])
    feature_list = _ParseOpParams.from_features(sequence_features, [VarLenFeature, FixedLenSequenceFeature])
    return context, feature_list


def parse_sequence_example(serialized, context_features=None, sequence_features=None, example_names=None, name=None):
    """Parses a batch of ``SequenceExample`` protos (``tf.io.parse_sequence_example``).

    Returns:
      ``(context dict, feature_list dict, lengths dict)``; dense feature lists are padded to the longest.

    Raises:
      ValueError: if neither feature dict has entries.
    """
    if not (context_features or sequence_features):
        raise ValueError(
            "Both `context_features` and `sequence_features` argument are None, but at least one should have values."
        )
    context, feature_list = _sequence_params(context_features, sequence_features)
    with name_scope(name, "ParseSequenceExample", [serialized, example_names]):
        return _parse_sequence_example_raw(serialized, example_names, context, feature_list, name)


def parse_single_sequence_example(
    serialized, context_features=None, sequence_features=None, example_name=None, name=None
):
    """Parses one ``SequenceExample`` (``tf.io.parse_single_sequence_example``).

    Returns:
      ``(context dict, feature_list dict)``.

    Raises:
      ValueError: if neither feature dict has entries, or ``serialized`` is not a scalar.
    """
    if not (context_features or sequence_features):
        raise ValueError("Both context_features and sequence_features are None, but at least one should have values.")
    context, feature_list = _sequence_params(context_features, sequence_features)
    with name_scope(name, "ParseSingleSequenceExample", [serialized, example_name]):
        with name_scope(name, "ParseSingleExample", [serialized, example_name]):
            serialized = convert_to_tensor(serialized, name="serialized")
            serialized = _assert_scalar(serialized, "serialized")
        return _parse_sequence_example_raw(serialized, example_name, context, feature_list, name)[:2]


def decode_raw(input_bytes=None, out_type=None, little_endian=True, name=None, bytes=None):
    """``tf.io.decode_raw`` (TF1 form): reinterprets each string's bytes as a vector of ``out_type``.

    Raises:
      ValueError: if ``out_type`` is missing.
    """
    if input_bytes is None:
        input_bytes = bytes
    if out_type is None:
        raise ValueError("decode_raw_v1() missing 1 positional argument: 'out_type'")
    return raw_op("DecodeRaw", bytes=input_bytes, out_type=out_type, little_endian=little_endian, name=name)


def decode_csv(
    records, record_defaults, field_delim=",", use_quote_delim=True, name=None, na_value="", select_cols=None
):
    """``tf.io.decode_csv``: one tensor per column of the CSV ``records``.

    Raises:
      ValueError: if ``select_cols`` is not strictly increasing, negative, or of another length than the defaults.
    """
    if select_cols is not None and any(select_cols[i] >= select_cols[i + 1] for i in range(len(select_cols) - 1)):
        raise ValueError("select_cols is not strictly increasing.")
    if select_cols is not None and select_cols[0] < 0:
        raise ValueError("select_cols contains negative values.")
    if select_cols is not None and len(select_cols) != len(record_defaults):
        raise ValueError("Length of select_cols and record_defaults do not match.")
    return raw_op(
        "DecodeCSV",
        records=records,
        record_defaults=list(record_defaults),
        field_delim=field_delim,
        use_quote_delim=use_quote_delim,
        na_value=na_value,
        select_cols=select_cols,
        name=name,
    )


def string_to_number(string_tensor=None, out_type=DType.float32, name=None, input=None):
    """``tf.strings.to_number`` / ``tf.string_to_number``: parses each string as ``out_type``."""
    if string_tensor is None:
        string_tensor = input
    return raw_op("StringToNumber", string_tensor=string_tensor, out_type=out_type, name=name)


def string_split(source, sep=None, skip_empty=True, delimiter=None, result_type="SparseTensor", name=None):
    """``tf.string_split`` (TF1): splits each string of the 1-D ``source`` into a rank-2 SparseTensor, or a
    RaggedTensor with ``result_type="RaggedTensor"``.

    Raises:
      ValueError: for another ``result_type`` or both ``sep`` and ``delimiter`` (TF's messages).
    """
    delimiter = deprecated_argument_lookup("sep", sep, "delimiter", delimiter)
    with name_scope(name, "StringSplit", [source]):
        if delimiter is None:
            delimiter = " "
        delimiter = convert_to_tensor(delimiter, dtype=DType.string)
        source = convert_to_tensor(source, dtype=DType.string)
        indices, values, shape = raw_op("StringSplit", input=source, delimiter=delimiter, skip_empty=skip_empty)
        indices.set_shape([None, 2])
        values.set_shape([None])
        shape.set_shape([2])
        sparse_result = SparseTensor(indices, values, shape)
        if result_type == "SparseTensor":
            return sparse_result
        if result_type == "RaggedTensor":
            return RaggedTensor.from_value_rowids(
                values=sparse_result.values,
                value_rowids=sparse_result.indices[:, 0],
                nrows=sparse_result.dense_shape[0],
                validate=False,
            )
        raise ValueError("result_type must be 'RaggedTensor' or 'SparseTensor'.")


def serialize_tensor(tensor, name=None):
    """``tf.io.serialize_tensor``: the tensor as a serialized TensorProto (a scalar string)."""
    return raw_op("SerializeTensor", tensor=tensor, name=name)


def parse_tensor(serialized, out_type, name=None):
    """``tf.io.parse_tensor``: the tensor of ``out_type`` a serialized TensorProto holds (shape known at run time).

    Raises:
      InvalidArgumentError: at run time, for bytes that are not a TensorProto or hold another dtype.
    """
    return raw_op("ParseTensor", serialized=serialized, out_type=out_type, name=name)


def decode_compressed(bytes, compression_type="", name=None):
    """``tf.io.decode_compressed``: each string decompressed ("ZLIB" or "GZIP"; "" leaves them as they are)."""
    return raw_op("DecodeCompressed", bytes=bytes, compression_type=compression_type, name=name)
