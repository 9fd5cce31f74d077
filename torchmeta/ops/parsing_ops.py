"""Parsing ops: tf.train.Example / SequenceExample parsing, DecodeRaw, DecodeCSV, StringToNumber.

Examples are parsed with torchmeta's own (wire-compatible) protos; the outputs follow TensorFlow's
kernels: dense features row-stacked by batch (variable-length ones padded with their default),
sparse features as (indices, values, dense_shape) triples, ragged ones as (values, row_splits).
Error messages reuse TensorFlow's wording (``Name: <unknown>, Key: a, Index: 0.  Data types don't
match. ...``). String tensors are numpy object arrays of bytes, as everywhere in torchmeta.
"""

from __future__ import annotations

import base64
import re
import zlib

import numpy as np
import torch
from google.protobuf.message import DecodeError

from torchmeta import dtypes, errors
from torchmeta._proto import example_pb2, tensor_pb2
from torchmeta.dtypes import DType, numpy_to_torch, torch_to_numpy
from torchmeta.framework import common_shapes, tensor_util
from torchmeta.framework.common_shapes import input_with_rank, shape_error
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.ops.common import invalid, string_scalar, unimplemented

_KIND_DTYPE = {"bytes_list": DType.string, "float_list": DType.float32, "int64_list": DType.int64}
_DTYPE_KIND = {v: k for k, v in _KIND_DTYPE.items()}
_NP = {DType.string: object, DType.float32: np.float32, DType.int64: np.int64}
_TYPE_NAME = {DType.string: "string", DType.float32: "float", DType.int64: "int64"}
_LIST_NAME = {DType.string: "bytes", DType.float32: "float", DType.int64: "int64"}


def _outputs(values: list):
    """A kernel's flat outputs: the value itself when the op has exactly one output (as lowering expects)."""
    return values[0] if len(values) == 1 else tuple(values)


def _strings(value) -> list[str]:
    """A string tensor (or list of scalar string tensors) as a flat list of str."""
    if isinstance(value, (list, tuple)):
        out = []
        for v in value:
            out.extend(_strings(v))
        return out
    return [v.decode() if isinstance(v, bytes) else str(v) for v in np.asarray(value, dtype=object).reshape(-1)]


def _out(arr: np.ndarray, dtype: DType):
    """A kernel output: numpy object arrays for strings, torch tensors otherwise."""
    if dtype is DType.string:
        return arr
    return torch.from_numpy(arr if arr.flags.c_contiguous else arr.copy())


def _default_array(default, dtype: DType) -> np.ndarray:
    if dtype is DType.string:
        return np.asarray(default, dtype=object)
    if isinstance(default, torch.Tensor):
        return default.detach().cpu().numpy()
    return np.asarray(default, dtype=_NP[dtype])


def _values_array(feature, kind: str, dtype: DType) -> np.ndarray:
    values = getattr(feature, kind).value
    if dtype is DType.string:
        out = np.empty(len(values), dtype=object)
        out[:] = list(values)
        return out
    return np.asarray(values, dtype=_NP[dtype])


def _shape_text(shape) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


class _Where:
    """How an error names the example: ``Name: n, Key: k, Index: i.`` in a batch, ``Key: k.`` for a scalar."""

    def __init__(self, names: list[str], batched: bool):
        self.names = names
        self.batched = batched

    def name(self, i: int) -> str:
        return self.names[i] if i < len(self.names) else "<unknown>"

    def key(self, key: str, i: int) -> str:
        if self.batched:
            return f"Name: {self.name(i)}, Key: {key}, Index: {i}."
        return f"Key: {key}."

    def feature(self, i: int) -> str:
        return f"Name: {self.name(i)}, " if self.batched else ""

    def type_mismatch(self, key: str, i: int, actual: str, expected: str, sparse: bool) -> str:
        if sparse:
            return f"{self.key(key, i)}  Data types don't match. Expected type: {expected}, Actual type: {actual}"
        return f"{self.key(key, i)}  Data types don't match. Data type: {actual} but expected type: {expected}"


def _decode_example(data, message_type=example_pb2.Example):
    try:
        return message_type.FromString(bytes(data))
    except (DecodeError, TypeError, ValueError):
        return None


def _example_error(data) -> errors.InvalidArgumentError:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
    return invalid(f"Could not parse example input, value: '{text}'")


def _feature_of(feature_map, key: str, dtype: DType, where: _Where, i: int, sparse: bool):
    """The feature's values as a numpy array, or None when absent (or of no kind, which counts as absent)."""
    feature = feature_map.get(key)
    if feature is None:
        return None
    kind = feature.WhichOneof("kind")
    if kind is None:
        return None
    actual = _KIND_DTYPE[kind]
    if actual is not dtype:
        raise invalid(where.type_mismatch(key, i, _TYPE_NAME[actual], _TYPE_NAME[dtype], sparse))
    return _values_array(feature, kind, dtype)


def _parse_features(
    feature_maps,
    batch_shape,
    where: _Where,
    sparse_keys,
    sparse_types,
    dense_keys,
    dense_types,
    dense_shapes,
    dense_defaults,
    ragged_keys=(),
    ragged_value_types=(),
    ragged_split_types=(),
):
    """The outputs of ParseExample(V2)/ParseSingleExample for the parsed feature maps, flat in OpDef order."""
    n = len(feature_maps)
    batched = batch_shape is not None
    sparse_indices, sparse_values, sparse_shapes = [], [], []
    for key, dtype in zip(sparse_keys, sparse_types):
        per_example = [_feature_of(fm, key, dtype, where, i, True) for i, fm in enumerate(feature_maps)]
        counts = [0 if v is None else len(v) for v in per_example]
        total = sum(counts)
        rows = [v for v in per_example if v is not None]
        values = np.concatenate(rows) if rows else np.empty(0, dtype=_NP[dtype])
        if dtype is DType.string and values.dtype != object:
            values = values.astype(object)
        max_count = max(counts, default=0)
        if batched:
            idx = np.empty((total, 2), dtype=np.int64)
            idx[:, 0] = np.repeat(np.arange(n, dtype=np.int64), counts)
            idx[:, 1] = np.concatenate([np.arange(c, dtype=np.int64) for c in counts]) if total else []
            shape = np.array([n, max_count], dtype=np.int64)
        else:
            idx = np.arange(total, dtype=np.int64).reshape(total, 1)
            shape = np.array([max_count], dtype=np.int64)
        sparse_indices.append(torch.from_numpy(idx))
        sparse_values.append(_out(values, dtype))
        sparse_shapes.append(torch.from_numpy(shape))
    dense_values = []
    for key, dtype, shape, default in zip(dense_keys, dense_types, dense_shapes, dense_defaults):
        dense_values.append(_dense_feature(feature_maps, batch_shape, where, key, dtype, shape, default))
    ragged_values, ragged_splits = [], []
    for key, dtype, split_type in zip(ragged_keys, ragged_value_types, ragged_split_types):
        per_example = [_feature_of(fm, key, dtype, where, i, True) for i, fm in enumerate(feature_maps)]
        rows = [v for v in per_example if v is not None]
        values = np.concatenate(rows) if rows else np.empty(0, dtype=_NP[dtype])
        if dtype is DType.string and values.dtype != object:
            values = values.astype(object)
        counts = [0 if v is None else len(v) for v in per_example]
        # A scalar input has no rows to split: TensorFlow returns empty row_splits.
        splits = np.concatenate([[0], np.cumsum(counts)]) if batched else np.empty(0)
        splits = splits.astype(split_type.numpy)
        ragged_values.append(_out(values, dtype))
        ragged_splits.append(torch.from_numpy(splits))
    return [*sparse_indices, *sparse_values, *sparse_shapes, *dense_values, *ragged_values, *ragged_splits]


def _dense_feature(feature_maps, batch_shape, where, key, dtype, shape, default):
    default = _default_array(default, dtype)
    np_type = _NP[dtype]
    batch = tuple(batch_shape) if batch_shape is not None else ()
    n = len(feature_maps)
    if shape and shape[0] is None:  # variable length (FixedLenSequenceFeature): pad with the default
        inner = tuple(shape[1:])
        stride = int(np.prod(inner, dtype=np.int64)) if inner else 1
        rows = []
        for i, fm in enumerate(feature_maps):
            values = _feature_of(fm, key, dtype, where, i, False)
            if values is None:
                values = np.empty(0, dtype=np_type)
            if stride == 0 or len(values) % stride:
                if where.batched:
                    raise invalid(
                        f"{where.key(key, i)}  Number of {_LIST_NAME[dtype]} values is not a multiple of stride "
                        f"length. Saw {len(values)} values but output shape is: {_shape_text(shape)}"
                    )
                raise invalid(
                    f"Error while parsing feature with key {key}: number of elements should be divisible by "
                    f"{stride}, found {len(values)} instead"
                )
            rows.append(values.reshape((len(values) // stride if stride else 0, *inner)))
        length = max((len(r) for r in rows), default=0)
        out = np.empty((n, length, *inner), dtype=np_type)
        out[...] = default.reshape(()) if default.size == 1 else (b"" if dtype is DType.string else 0)
        for i, r in enumerate(rows):
            out[i, : len(r)] = r
        return _out(out.reshape((*batch, length, *inner)), dtype)
    shape = tuple(shape)
    size = int(np.prod(shape, dtype=np.int64)) if shape else 1
    out = np.empty((n, *shape), dtype=np_type)
    for i, fm in enumerate(feature_maps):
        values = _feature_of(fm, key, dtype, where, i, False)
        if values is None:
            if default.size == 0 and size:
                raise invalid(
                    f"{where.feature(i)}Feature: {key} (data type: {_TYPE_NAME[dtype]}) is required but could not "
                    "be found."
                )
            out[i] = default.reshape(shape)
            continue
        if len(values) != size:
            if where.batched:
                raise invalid(
                    f"{where.key(key, i)}  Number of {_LIST_NAME[dtype]} values != expected.  Values size: "
                    f"{len(values)} but output shape: {_shape_text(shape)}"
                )
            raise invalid(
                f"{where.key(key, i)}  Can't parse serialized Example: Some {_DTYPE_KIND[dtype]} slice was not parsed."
            )
        out[i] = values.reshape(shape)
    return _out(out.reshape((*batch, *shape)), dtype)


def _feature_maps(serialized) -> list:
    flat = np.asarray(serialized, dtype=object).reshape(-1)
    maps = []
    for data in flat:
        example = _decode_example(data)
        if example is None:
            raise _example_error(data)
        maps.append(example.features.feature)
    return maps


def _batch_shape(serialized):
    arr = np.asarray(serialized, dtype=object)
    return None if arr.ndim == 0 else arr.shape


# ---------------------------------------------------------------------------------------------
# Shape functions


def _dense_shape(proto_or_tuple) -> TensorShape:
    return TensorShape(proto_or_tuple)


def _parse_example_shape(op, serialized_shape: TensorShape, num_sparse, dense_shapes, num_ragged=0, splits_dim=None):
    rank = serialized_shape.rank
    outs = []
    outs += [TensorShape([None, None if rank is None else rank + 1])] * num_sparse
    outs += [TensorShape([None])] * num_sparse
    outs += [TensorShape([None if rank is None else rank + 1])] * num_sparse
    for shape in dense_shapes:
        dense = _dense_shape(shape)
        outs.append(unknown_shape() if rank is None else serialized_shape.concatenate(dense))
    outs += [TensorShape([None])] * num_ragged
    outs += [TensorShape([splits_dim])] * num_ragged
    return outs


def _parse_example_v2_shape(op):
    serialized = op.inputs[0].shape
    if serialized.rank is not None and serialized.rank > 1:
        raise shape_error(op, f"Shape must be at most rank 1 but is rank {serialized.rank}")
    num_ragged = len(op.get_attr("ragged_value_types"))
    splits_dim = None
    if serialized.rank == 1 and serialized.as_tuple()[0] is not None:
        splits_dim = serialized.as_tuple()[0] + 1
    return _parse_example_shape(
        op, serialized, op.get_attr("num_sparse"), op.get_attr("dense_shapes"), num_ragged, splits_dim
    )


def _parse_example_v1_shape(op):
    input_with_rank(op, 0, 1)
    input_with_rank(op, 1, 1)
    return _parse_example_shape(op, op.inputs[0].shape, op.get_attr("Nsparse"), op.get_attr("dense_shapes"))


def _parse_single_example_shape(op):
    input_with_rank(op, 0, 0)
    return _parse_example_shape(op, op.inputs[0].shape, op.get_attr("num_sparse"), op.get_attr("dense_shapes"))


_PARSE_TYPES = "list({float, int64, string}) >= 0"


# ---------------------------------------------------------------------------------------------
# Example parsing


@register_op(
    "ParseExampleV2",
    inputs=[
        "serialized: string",
        "names: string",
        "sparse_keys: string",
        "dense_keys: string",
        "ragged_keys: string",
        "dense_defaults: Tdense",
    ],
    outputs=[
        "sparse_indices: num_sparse * int64",
        "sparse_values: sparse_types",
        "sparse_shapes: num_sparse * int64",
        "dense_values: Tdense",
        "ragged_values: ragged_value_types",
        "ragged_row_splits: ragged_split_types",
    ],
    attrs=[
        f"Tdense: {_PARSE_TYPES}",
        "num_sparse: int >= 0",
        f"sparse_types: {_PARSE_TYPES}",
        f"ragged_value_types: {_PARSE_TYPES}",
        "ragged_split_types: list({int32, int64}) >= 0",
        "dense_shapes: list(shape) >= 0",
    ],
    shape=_parse_example_v2_shape,
)
def parse_example_v2(
    serialized,
    names,
    sparse_keys,
    dense_keys,
    ragged_keys,
    dense_defaults,
    Tdense,
    sparse_types,
    ragged_value_types,
    ragged_split_types,
    dense_shapes,
):
    batch = _batch_shape(serialized)
    if batch is not None and len(batch) > 1:
        raise invalid(f"Expected serialized to be a scalar or vector, got shape: {_shape_text(batch)}")
    where = _Where(_strings(names), batch is not None)
    return _outputs(
        _parse_features(
            _feature_maps(serialized),
            batch,
            where,
            _strings(sparse_keys),
            sparse_types,
            _strings(dense_keys),
            Tdense,
            dense_shapes,
            dense_defaults,
            _strings(ragged_keys),
            ragged_value_types,
            ragged_split_types,
        )
    )


@register_op(
    "ParseExample",
    inputs=[
        "serialized: string",
        "names: string",
        "sparse_keys: Nsparse * string",
        "dense_keys: Ndense * string",
        "dense_defaults: Tdense",
    ],
    outputs=[
        "sparse_indices: Nsparse * int64",
        "sparse_values: sparse_types",
        "sparse_shapes: Nsparse * int64",
        "dense_values: Tdense",
    ],
    attrs=[
        "Nsparse: int >= 0",
        "Ndense: int >= 0",
        f"sparse_types: {_PARSE_TYPES}",
        f"Tdense: {_PARSE_TYPES}",
        "dense_shapes: list(shape) >= 0",
    ],
    shape=_parse_example_v1_shape,
)
def parse_example(serialized, names, sparse_keys, dense_keys, dense_defaults, sparse_types, Tdense, dense_shapes):
    batch = _batch_shape(serialized)
    if batch is None or len(batch) != 1:
        raise invalid(f"Expected serialized to be a vector, got shape: {_shape_text(batch or ())}")
    where = _Where(_strings(names), True)
    return _outputs(
        _parse_features(
            _feature_maps(serialized),
            batch,
            where,
            _strings(sparse_keys),
            sparse_types,
            _strings(dense_keys),
            Tdense,
            dense_shapes,
            dense_defaults,
        )
    )


@register_op(
    "ParseSingleExample",
    inputs=["serialized: string", "dense_defaults: Tdense"],
    outputs=[
        "sparse_indices: num_sparse * int64",
        "sparse_values: sparse_types",
        "sparse_shapes: num_sparse * int64",
        "dense_values: Tdense",
    ],
    attrs=[
        "num_sparse: int >= 0",
        "sparse_keys: list(string) >= 0",
        "dense_keys: list(string) >= 0",
        f"sparse_types: {_PARSE_TYPES}",
        f"Tdense: {_PARSE_TYPES}",
        "dense_shapes: list(shape) >= 0",
    ],
    shape=_parse_single_example_shape,
)
def parse_single_example(serialized, dense_defaults, sparse_keys, dense_keys, sparse_types, Tdense, dense_shapes):
    if np.asarray(serialized, dtype=object).ndim != 0:
        raise invalid("Expected serialized to be a scalar")
    return _outputs(
        _parse_features(
            _feature_maps(serialized),
            None,
            _Where([], False),
            _strings(sparse_keys),
            sparse_types,
            _strings(dense_keys),
            Tdense,
            dense_shapes,
            dense_defaults,
        )
    )


# ---------------------------------------------------------------------------------------------
# SequenceExample parsing


def _sequence_examples(serialized, names):
    flat = np.asarray(serialized, dtype=object).reshape(-1)
    out = []
    for i, data in enumerate(flat):
        example = _decode_example(data, example_pb2.SequenceExample)
        if example is None:
            name = names[i] if i < len(names) else "<unknown>"
            raise invalid(f"Invalid protocol message input, example id: {name}")
        out.append(example)
    return out


def _feature_list_values(flist, key, dtype, name, i_step=None):
    """Per time step, the values of one FeatureList (type-checked)."""
    steps = []
    for t, feature in enumerate(flist.feature):
        kind = feature.WhichOneof("kind")
        if kind is None:
            steps.append(np.empty(0, dtype=_NP[dtype]))
            continue
        if _KIND_DTYPE[kind] is not dtype:
            raise invalid(
                f"Name: {name}, Feature list: {key}, Index: {t}.  Data types don't match. Expected type: "
                f"{_TYPE_NAME[dtype]}"
            )
        steps.append(_values_array(feature, kind, dtype))
    return steps


def _parse_sequence(
    serialized,
    names,
    context_sparse_keys,
    context_sparse_types,
    context_dense_keys,
    context_dense_types,
    context_dense_shapes,
    context_dense_defaults,
    context_ragged_keys,
    context_ragged_value_types,
    context_ragged_split_types,
    fl_sparse_keys,
    fl_sparse_types,
    fl_dense_keys,
    fl_dense_types,
    fl_dense_shapes,
    fl_dense_missing_assumed_empty,
    fl_ragged_keys,
    fl_ragged_value_types,
    fl_ragged_split_types,
):
    """Returns (context outputs, feature-list sparse triples, dense values, dense lengths, ragged triples)."""
    batch = _batch_shape(serialized)
    batched = batch is not None
    examples = _sequence_examples(serialized, names)
    n = len(examples)

    def name_of(i):
        return names[i] if i < len(names) else "<unknown>"

    # Feature-list types first: TensorFlow reports them before missing context features.
    fl_by_key = {}
    for key, dtype in [*zip(fl_sparse_keys, fl_sparse_types), *zip(fl_dense_keys, fl_dense_types)]:
        fl_by_key[key] = [
            None
            if key not in ex.feature_lists.feature_list
            else _feature_list_values(ex.feature_lists.feature_list[key], key, dtype, name_of(i))
            for i, ex in enumerate(examples)
        ]
    for key, dtype in zip(fl_ragged_keys, fl_ragged_value_types):
        fl_by_key[key] = [
            None
            if key not in ex.feature_lists.feature_list
            else _feature_list_values(ex.feature_lists.feature_list[key], key, dtype, name_of(i))
            for i, ex in enumerate(examples)
        ]
    context_where = _SequenceWhere(names, batched)
    context = _parse_features(
        [ex.context.feature for ex in examples],
        batch,
        context_where,
        context_sparse_keys,
        context_sparse_types,
        context_dense_keys,
        context_dense_types,
        context_dense_shapes,
        context_dense_defaults,
        context_ragged_keys,
        context_ragged_value_types,
        context_ragged_split_types,
    )
    # Sparse feature lists: indices (example, step, index).
    fl_sparse = ([], [], [])
    for key, dtype in zip(fl_sparse_keys, fl_sparse_types):
        idx_rows, vals = [], []
        max_steps = max_count = 0
        for i, steps in enumerate(fl_by_key[key]):
            steps = steps or []
            max_steps = max(max_steps, len(steps))
            for t, v in enumerate(steps):
                max_count = max(max_count, len(v))
                for j in range(len(v)):
                    idx_rows.append((i, t, j) if batched else (t, j))
                vals.append(v)
        width = 3 if batched else 2
        idx = np.array(idx_rows, dtype=np.int64).reshape(-1, width)
        values = np.concatenate(vals) if vals else np.empty(0, dtype=_NP[dtype])
        if dtype is DType.string and values.dtype != object:
            values = values.astype(object)
        shape = [n, max_steps, max_count] if batched else [max_steps, max_count]
        fl_sparse[0].append(torch.from_numpy(idx))
        fl_sparse[1].append(_out(values, dtype))
        fl_sparse[2].append(torch.from_numpy(np.array(shape, dtype=np.int64)))
    dense_values, dense_lengths = [], []
    for key, dtype, shape in zip(fl_dense_keys, fl_dense_types, fl_dense_shapes):
        shape = tuple(shape)
        size = int(np.prod(shape, dtype=np.int64)) if shape else 1
        per_example = []
        for i, steps in enumerate(fl_by_key[key]):
            if steps is None:
                if key not in fl_dense_missing_assumed_empty:
                    raise invalid(
                        f"Name: {name_of(i)}, Feature list '{key}' is required but could not be found.  Did you mean "
                        "to include it in feature_list_dense_missing_assumed_empty or feature_list_dense_defaults?"
                    )
                steps = []
            for t, v in enumerate(steps):
                if len(v) != size:
                    raise invalid(
                        f"Name: {name_of(i)}, Key: {key}, Index: {t}.  Number of values != expected.  values size: "
                        f"{len(v)} but output shape: {_shape_text(shape)}"
                    )
            per_example.append([v.reshape(shape) for v in steps])
        length = max((len(s) for s in per_example), default=0)
        out = np.empty((n, length, *shape), dtype=_NP[dtype])
        out[...] = b"" if dtype is DType.string else 0
        for i, steps in enumerate(per_example):
            for t, v in enumerate(steps):
                out[i, t] = v
        lengths = np.array([len(s) for s in per_example], dtype=np.int64)
        if not batched:
            out = out.reshape((length, *shape))
            lengths = lengths.reshape(())
        dense_values.append(_out(out, dtype))
        dense_lengths.append(torch.from_numpy(lengths))
    fl_ragged = ([], [], [])
    for key, dtype, split_type in zip(fl_ragged_keys, fl_ragged_value_types, fl_ragged_split_types):
        vals, outer, inner = [], [0], [0]
        for steps in fl_by_key[key]:
            steps = steps or []
            for v in steps:
                vals.append(v)
                inner.append(inner[-1] + len(v))
            outer.append(outer[-1] + len(steps))
        values = np.concatenate(vals) if vals else np.empty(0, dtype=_NP[dtype])
        if dtype is DType.string and values.dtype != object:
            values = values.astype(object)
        fl_ragged[0].append(_out(values, dtype))
        # For a scalar input TensorFlow's kernel returns an (unset) 0-d tensor here; ours holds 0.
        fl_ragged[1].append(torch.from_numpy(np.array(outer if batched else 0, dtype=split_type.numpy)))
        fl_ragged[2].append(torch.from_numpy(np.array(inner, dtype=split_type.numpy)))
    return context, fl_sparse, dense_values, dense_lengths, fl_ragged


class _SequenceWhere(_Where):
    """Context features of a SequenceExample: ``Name: n, Context feature: k.`` in TensorFlow's messages."""

    def __init__(self, names, batched):
        super().__init__(names, batched)

    def key(self, key: str, i: int) -> str:
        return f"Name: {self.name(i)}, Context feature: {key}."

    def feature(self, i: int) -> str:
        return f"Name: {self.name(i)}, "

    def type_mismatch(self, key: str, i: int, actual: str, expected: str, sparse: bool) -> str:
        return f"{self.key(key, i)}  Data types don't match. Expected type: {expected}"


def _sequence_v2_shape(op):
    serialized = op.inputs[0].shape
    if serialized.rank is not None and serialized.rank > 1:
        raise shape_error(op, f"Shape must be at most rank 1 but is rank {serialized.rank}")
    rank = serialized.rank
    batch = serialized.as_tuple() if rank is not None else None
    n_cs = op.get_attr("Ncontext_sparse")
    n_cr = len(op.get_attr("context_ragged_value_types"))
    splits_dim = None
    if rank == 1 and batch[0] is not None:
        splits_dim = batch[0] + 1
    outs = _parse_example_shape(op, serialized, n_cs, op.get_attr("context_dense_shapes"), n_cr, splits_dim)
    n_fs = op.get_attr("Nfeature_list_sparse")
    outs += [TensorShape([None, None if rank is None else rank + 2])] * n_fs
    outs += [TensorShape([None])] * n_fs
    outs += [TensorShape([None if rank is None else rank + 2])] * n_fs
    for shape in op.get_attr("feature_list_dense_shapes"):
        dense = TensorShape(shape)
        outs.append(unknown_shape() if rank is None else serialized.concatenate([None]).concatenate(dense))
    outs += [serialized] * op.get_attr("Nfeature_list_dense")
    n_fr = len(op.get_attr("feature_list_ragged_value_types"))
    outs += [TensorShape([None])] * n_fr
    outs += [TensorShape([splits_dim])] * n_fr
    outs += [TensorShape([None])] * n_fr
    return outs


@register_op(
    "ParseSequenceExampleV2",
    inputs=[
        "serialized: string",
        "debug_name: string",
        "context_sparse_keys: string",
        "context_dense_keys: string",
        "context_ragged_keys: string",
        "feature_list_sparse_keys: string",
        "feature_list_dense_keys: string",
        "feature_list_ragged_keys: string",
        "feature_list_dense_missing_assumed_empty: bool",
        "context_dense_defaults: Tcontext_dense",
    ],
    outputs=[
        "context_sparse_indices: Ncontext_sparse * int64",
        "context_sparse_values: context_sparse_types",
        "context_sparse_shapes: Ncontext_sparse * int64",
        "context_dense_values: Tcontext_dense",
        "context_ragged_values: context_ragged_value_types",
        "context_ragged_row_splits: context_ragged_split_types",
        "feature_list_sparse_indices: Nfeature_list_sparse * int64",
        "feature_list_sparse_values: feature_list_sparse_types",
        "feature_list_sparse_shapes: Nfeature_list_sparse * int64",
        "feature_list_dense_values: feature_list_dense_types",
        "feature_list_dense_lengths: Nfeature_list_dense * int64",
        "feature_list_ragged_values: feature_list_ragged_value_types",
        "feature_list_ragged_outer_splits: feature_list_ragged_split_types",
        "feature_list_ragged_inner_splits: feature_list_ragged_split_types",
    ],
    attrs=[
        "Ncontext_sparse: int >= 0 = 0",
        f"Tcontext_dense: {_PARSE_TYPES} = []",
        f"context_sparse_types: {_PARSE_TYPES} = []",
        f"context_ragged_value_types: {_PARSE_TYPES} = []",
        "context_ragged_split_types: list({int32, int64}) >= 0 = []",
        "context_dense_shapes: list(shape) >= 0 = []",
        "Nfeature_list_sparse: int >= 0 = 0",
        "Nfeature_list_dense: int >= 0 = 0",
        f"feature_list_dense_types: {_PARSE_TYPES} = []",
        f"feature_list_sparse_types: {_PARSE_TYPES} = []",
        f"feature_list_ragged_value_types: {_PARSE_TYPES} = []",
        "feature_list_ragged_split_types: list({int32, int64}) >= 0 = []",
        "feature_list_dense_shapes: list(shape) >= 0 = []",
    ],
    shape=_sequence_v2_shape,
)
def parse_sequence_example_v2(
    serialized,
    debug_name,
    context_sparse_keys,
    context_dense_keys,
    context_ragged_keys,
    feature_list_sparse_keys,
    feature_list_dense_keys,
    feature_list_ragged_keys,
    feature_list_dense_missing_assumed_empty,
    context_dense_defaults,
    Tcontext_dense,
    context_sparse_types,
    context_ragged_value_types,
    context_ragged_split_types,
    context_dense_shapes,
    feature_list_dense_types,
    feature_list_sparse_types,
    feature_list_ragged_value_types,
    feature_list_ragged_split_types,
    feature_list_dense_shapes,
):
    batch = _batch_shape(serialized)
    if batch is not None and len(batch) > 1:
        raise invalid(f"Expected serialized to be a scalar or vector, got shape: {_shape_text(batch)}")
    fl_dense_keys = _strings(feature_list_dense_keys)
    assumed = np.asarray(feature_list_dense_missing_assumed_empty).reshape(-1).tolist()
    context, fl_sparse, dense_values, dense_lengths, fl_ragged = _parse_sequence(
        serialized,
        _strings(debug_name),
        _strings(context_sparse_keys),
        context_sparse_types,
        _strings(context_dense_keys),
        Tcontext_dense,
        context_dense_shapes,
        context_dense_defaults,
        _strings(context_ragged_keys),
        context_ragged_value_types,
        context_ragged_split_types,
        _strings(feature_list_sparse_keys),
        feature_list_sparse_types,
        fl_dense_keys,
        feature_list_dense_types,
        feature_list_dense_shapes,
        {k for k, a in zip(fl_dense_keys, assumed) if a},
        _strings(feature_list_ragged_keys),
        feature_list_ragged_value_types,
        feature_list_ragged_split_types,
    )
    return _outputs(
        [
            *context,
            *fl_sparse[0],
            *fl_sparse[1],
            *fl_sparse[2],
            *dense_values,
            *dense_lengths,
            *fl_ragged[0],
            *fl_ragged[1],
            *fl_ragged[2],
        ]
    )


def _single_sequence_shape(op):
    input_with_rank(op, 0, 0)
    input_with_rank(op, 1, 1)
    n_cs = op.get_attr("Ncontext_sparse")
    outs = [TensorShape([None, 1])] * n_cs + [TensorShape([None])] * n_cs + [TensorShape([1])] * n_cs
    outs += [TensorShape(s) for s in op.get_attr("context_dense_shapes")]
    n_fs = op.get_attr("Nfeature_list_sparse")
    outs += [TensorShape([None, 2])] * n_fs + [TensorShape([None])] * n_fs + [TensorShape([2])] * n_fs
    outs += [TensorShape([None]).concatenate(TensorShape(s)) for s in op.get_attr("feature_list_dense_shapes")]
    return outs


@register_op(
    "ParseSingleSequenceExample",
    inputs=[
        "serialized: string",
        "feature_list_dense_missing_assumed_empty: string",
        "context_sparse_keys: Ncontext_sparse * string",
        "context_dense_keys: Ncontext_dense * string",
        "feature_list_sparse_keys: Nfeature_list_sparse * string",
        "feature_list_dense_keys: Nfeature_list_dense * string",
        "context_dense_defaults: Tcontext_dense",
        "debug_name: string",
    ],
    outputs=[
        "context_sparse_indices: Ncontext_sparse * int64",
        "context_sparse_values: context_sparse_types",
        "context_sparse_shapes: Ncontext_sparse * int64",
        "context_dense_values: Tcontext_dense",
        "feature_list_sparse_indices: Nfeature_list_sparse * int64",
        "feature_list_sparse_values: feature_list_sparse_types",
        "feature_list_sparse_shapes: Nfeature_list_sparse * int64",
        "feature_list_dense_values: feature_list_dense_types",
    ],
    attrs=[
        "Ncontext_sparse: int >= 0 = 0",
        "Ncontext_dense: int >= 0 = 0",
        "Nfeature_list_sparse: int >= 0 = 0",
        "Nfeature_list_dense: int >= 0 = 0",
        f"context_sparse_types: {_PARSE_TYPES} = []",
        f"Tcontext_dense: {_PARSE_TYPES} = []",
        f"feature_list_dense_types: {_PARSE_TYPES} = []",
        "context_dense_shapes: list(shape) >= 0 = []",
        f"feature_list_sparse_types: {_PARSE_TYPES} = []",
        "feature_list_dense_shapes: list(shape) >= 0 = []",
    ],
    shape=_single_sequence_shape,
)
def parse_single_sequence_example(
    serialized,
    feature_list_dense_missing_assumed_empty,
    context_sparse_keys,
    context_dense_keys,
    feature_list_sparse_keys,
    feature_list_dense_keys,
    context_dense_defaults,
    debug_name,
    context_sparse_types,
    Tcontext_dense,
    feature_list_dense_types,
    context_dense_shapes,
    feature_list_sparse_types,
    feature_list_dense_shapes,
):
    if np.asarray(serialized, dtype=object).ndim != 0:
        raise invalid("Expected serialized to be a scalar")
    context, fl_sparse, dense_values, _lengths, _ragged = _parse_sequence(
        serialized,
        [n for n in _strings(debug_name) if n],
        _strings(context_sparse_keys),
        context_sparse_types,
        _strings(context_dense_keys),
        Tcontext_dense,
        context_dense_shapes,
        context_dense_defaults,
        [],
        [],
        [],
        _strings(feature_list_sparse_keys),
        feature_list_sparse_types,
        _strings(feature_list_dense_keys),
        feature_list_dense_types,
        feature_list_dense_shapes,
        set(_strings(feature_list_dense_missing_assumed_empty)),
        [],
        [],
        [],
    )
    return _outputs([*context, *fl_sparse[0], *fl_sparse[1], *fl_sparse[2], *dense_values])


no_registered_gradient(
    "ParseExampleV2", "ParseExample", "ParseSingleExample", "ParseSequenceExampleV2", "ParseSingleSequenceExample"
)


# ---------------------------------------------------------------------------------------------
# DecodeRaw, DecodeCSV, StringToNumber


def _decode_raw_shape(op):
    return [op.inputs[0].shape.concatenate([None]) if op.inputs[0].shape.rank is not None else unknown_shape()]


@register_op(
    "DecodeRaw",
    inputs=["bytes: string"],
    outputs=["output: out_type"],
    attrs=[
        "out_type: {half, float, double, int32, uint16, uint8, int16, int8, int64, complex64, complex128, bool, "
        "bfloat16}",
        "little_endian: bool = true",
    ],
    shape=_decode_raw_shape,
)
def decode_raw(bytes, out_type, little_endian):
    flat = np.asarray(bytes, dtype=object).reshape(-1)
    np_type = np.dtype(out_type.numpy)
    if not little_endian and np_type.itemsize > 1:
        np_type = np_type.newbyteorder(">")
    size = np_type.itemsize
    shape = np.asarray(bytes, dtype=object).shape
    if flat.size == 0:
        return numpy_to_torch(np.empty((*shape, 0), dtype=out_type.numpy), out_type)
    width = len(flat[0])
    if width % size:
        raise invalid(
            f"Input to DecodeRaw has length {width} that is not a multiple of {size}, the size of {out_type.name}"
        )
    for i, s in enumerate(flat):
        if len(s) != width:
            raise invalid(
                f"DecodeRaw requires input strings to all be the same size, but element {i} has size {width} != "
                f"{len(s)}"
            )
    data = np.frombuffer(b"".join(flat), dtype=np_type).reshape((*shape, width // size))
    return numpy_to_torch(data.astype(np.dtype(out_type.numpy)), out_type)


def _decode_csv_shape(op):
    for t in op.inputs[1:]:
        dims = t.shape.as_tuple()
        if dims is not None:
            if len(dims) > 1:
                raise shape_error(op, f"Shape must be at most rank 1 but is rank {len(dims)}")
            if dims and dims[0] is not None and dims[0] > 1:
                raise shape_error(op, "Shape of a default must be a length-0 or length-1 vector, or a scalar.")
    return [op.inputs[0].shape] * (len(op.inputs) - 1)


_INT_RE = re.compile(rb"^\s*[+-]?[0-9]+\s*$")
_FLOAT_RE = re.compile(rb"^\s*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)\s*$", re.I)
_INT_RANGE = {DType.int32: (-(2**31), 2**31 - 1), DType.int64: (-(2**63), 2**63 - 1)}


def _csv_fields(record: bytes, delim: int, use_quote: bool) -> list[bytes]:
    """TensorFlow's DecodeCSVOp::ExtractFields (RFC 4180, quotes doubled inside quoted fields)."""
    fields = []
    n = len(record)
    i = 0
    quote = ord('"')
    while i < n:
        c = record[i]
        if c in (10, 13):
            i += 1
            continue
        if use_quote and c == quote:
            i += 1
            field = bytearray()
            while i < n - 1 and (record[i] != quote or record[i + 1] != delim):
                if record[i] != quote:
                    field.append(record[i])
                    i += 1
                else:
                    if record[i + 1] != quote:
                        raise invalid("Quote inside a string has to be escaped by another quote")
                    field.append(quote)
                    i += 2
            if not (i < n and record[i] == quote and (i == n - 1 or record[i + 1] == delim)):
                raise invalid("Quoted field has to end with quote followed by delim or end")
            i += 2
            fields.append(bytes(field))
        else:
            start = i
            while i < n and record[i] != delim:
                if (use_quote and record[i] == quote) or record[i] in (10, 13):
                    raise invalid("Unquoted fields cannot have quotes/CRLFs inside")
                i += 1
            fields.append(record[start:i])
            i += 1
    if n and record[-1] == delim:
        fields.append(b"")
    return fields


def _csv_value(text: bytes, dtype: DType, f: int, i: int):
    if dtype is DType.string:
        return text
    if dtype in _INT_RANGE:
        lo, hi = _INT_RANGE[dtype]
        if _INT_RE.match(text):
            value = int(text)
            if lo <= value <= hi:
                return value
        raise invalid(f"Field {f} in record {i} is not a valid {dtype.name}: {text.decode('utf-8', 'replace')}")
    if _FLOAT_RE.match(text):
        return float(text)
    name = "float" if dtype is DType.float32 else "double"
    raise invalid(f"Field {f} in record {i} is not a valid {name}: {text.decode('utf-8', 'replace')}")


@register_op(
    "DecodeCSV",
    inputs=["records: string", "record_defaults: OUT_TYPE"],
    outputs=["output: OUT_TYPE"],
    attrs=[
        "OUT_TYPE: list({float, double, int32, int64, string}) >= 1",
        'field_delim: string = ","',
        "use_quote_delim: bool = true",
        'na_value: string = ""',
        "select_cols: list(int) = []",
    ],
    shape=_decode_csv_shape,
)
def decode_csv(records, record_defaults, OUT_TYPE, field_delim, use_quote_delim, na_value, select_cols):
    delim = field_delim.encode() if isinstance(field_delim, str) else field_delim
    if len(delim) != 1:
        raise invalid("field_delim should be only 1 char")
    na = na_value.encode() if isinstance(na_value, str) else na_value
    defaults = []
    for f, d in enumerate(record_defaults):
        arr = np.asarray(d, dtype=object) if OUT_TYPE[f] is DType.string else _default_array(d, OUT_TYPE[f])
        if arr.size > 1:
            raise invalid(f"There should only be 1 default per field but field {f} has {arr.size}")
        defaults.append(arr.reshape(-1))
    shape = np.asarray(records, dtype=object).shape
    flat = np.asarray(records, dtype=object).reshape(-1)
    columns = [[None] * len(flat) for _ in OUT_TYPE]
    cols = list(select_cols) if select_cols else None
    for i, record in enumerate(flat):
        fields = _csv_fields(bytes(record), delim[0], use_quote_delim)
        if cols is not None:
            if cols[-1] >= len(fields):
                raise invalid(f"Expect {len(OUT_TYPE)} fields but have {len(fields)} in record {i}")
            fields = [fields[c] for c in cols]
        elif len(fields) != len(OUT_TYPE):
            raise invalid(f"Expect {len(OUT_TYPE)} fields but have {len(fields)} in record {i}")
        for f, (text, dtype) in enumerate(zip(fields, OUT_TYPE)):
            if not text or text == na:
                if defaults[f].size != 1:
                    raise invalid(f"Field {f} is required but missing in record {i}!")
                columns[f][i] = defaults[f][0]
            else:
                columns[f][i] = _csv_value(text, dtype, f, i)
    outs = []
    for values, dtype in zip(columns, OUT_TYPE):
        if dtype is DType.string:
            arr = np.empty(len(values), dtype=object)
            arr[:] = values
            outs.append(arr.reshape(shape))
        else:
            outs.append(torch.from_numpy(np.array(values, dtype=dtype.numpy).reshape(shape)))
    return _outputs(outs)


_NUMBER_ERRORS = {
    DType.float32: "float",
    DType.float64: "double",
    DType.int32: "int32",
    DType.int64: "int64",
    DType.uint32: "uint32",
    DType.uint64: "uint64",
}
_UNSIGNED_RANGE = {DType.uint32: (0, 2**32 - 1), DType.uint64: (0, 2**64 - 1)}


@register_op(
    "StringToNumber",
    inputs=["string_tensor: string"],
    outputs=["output: out_type"],
    attrs=["out_type: {float, double, int32, int64, uint32, uint64} = DT_FLOAT"],
    shape=common_shapes.unchanged,
)
def string_to_number(string_tensor, out_type):
    arr = np.asarray(string_tensor, dtype=object)
    out = np.empty(arr.shape, dtype=out_type.numpy)
    flat_out = out.reshape(-1)
    integer = out_type in _INT_RANGE or out_type in _UNSIGNED_RANGE
    lo, hi = _INT_RANGE.get(out_type) or _UNSIGNED_RANGE.get(out_type) or (None, None)
    for i, s in enumerate(arr.reshape(-1)):
        text = bytes(s)
        ok = _INT_RE.match(text) if integer else _FLOAT_RE.match(text)
        value = None
        if ok:
            value = int(text) if integer else float(text)
            if integer and not lo <= value <= hi:
                value = None
        if value is None:
            raise invalid(f"StringToNumberOp could not correctly convert string: {text.decode('utf-8', 'replace')}")
        flat_out[i] = value
    return torch.from_numpy(out)


not_differentiable("DecodeRaw", "StringToNumber")
no_registered_gradient("DecodeCSV")


# ---------------------------------------------------------------------------------------------
# SerializeTensor / ParseTensor / DecodeCompressed


def _value_as_numpy(value, dtype: DType) -> np.ndarray:
    return value if isinstance(value, np.ndarray) else torch_to_numpy(value.detach().cpu(), dtype)


@register_op(
    "SerializeTensor",
    inputs=["tensor: T"],
    outputs=["serialized: string"],
    attrs=["T: type"],
    shape=common_shapes.scalar,
)
def serialize_tensor(tensor, T):
    """A TensorProto of the value (TF's AsProtoTensorContent: raw ``tensor_content``, strings in ``string_val``)."""
    dtype = T
    value = _value_as_numpy(tensor, dtype)
    proto = tensor_pb2.TensorProto(dtype=dtype.as_datatype_enum, tensor_shape=TensorShape(value.shape).as_proto())
    if dtype == DType.string:
        proto.string_val.extend(item.encode() if isinstance(item, str) else item for item in value.reshape(-1))
    else:
        proto.tensor_content = np.ascontiguousarray(value).tobytes()
    return string_scalar(proto.SerializeToString())


@register_op(
    "ParseTensor",
    inputs=["serialized: string"],
    outputs=["output: out_type"],
    attrs=["out_type: type"],
    shape=lambda op: [unknown_shape()],
)
def parse_tensor(serialized, out_type):
    serialized = np.asarray(serialized, dtype=object)
    if serialized.ndim != 0:
        raise invalid(f"Expected `serialized` to be a scalar, got shape: [{','.join(map(str, serialized.shape))}]")
    proto = tensor_pb2.TensorProto()
    try:
        proto.ParseFromString(bytes(serialized[()]))
    except DecodeError:
        encoded = base64.b64encode(bytes(serialized[()])).decode()
        raise invalid(f"Could not parse `serialized` as TensorProto, base64: {encoded}") from None
    parsed_type = DType(proto.dtype)
    if parsed_type != out_type:
        raise invalid(
            f"Type mismatch between parsed tensor ({dtypes.type_string(parsed_type)}) and dtype "
            f"({dtypes.type_string(out_type)})"
        )
    value = tensor_util.MakeNdarray(proto)
    return value if out_type == DType.string else numpy_to_torch(value, out_type)


@register_op(
    "DecodeCompressed",
    inputs=["bytes: string"],
    outputs=["output: string"],
    attrs=['compression_type: string = ""'],
    shape=common_shapes.unchanged,
)
def decode_compressed(bytes, compression_type):
    """Each string decompressed (ZLIB: a zlib stream, GZIP: a gzip member; as TF's stream reader, a truncated
    trailer is not an error); "" leaves them as they are. ZSTD, which TF also reads, is not supported here."""
    strings = np.asarray(bytes, dtype=object)
    if compression_type == "":
        return strings.copy()
    if compression_type not in ("ZLIB", "GZIP"):
        if compression_type == "ZSTD":
            raise unimplemented("DecodeCompressed: ZSTD is not supported by torchmeta (only ZLIB and GZIP)")
        raise invalid("Only ZLIB, ZSTD, GZIP or NONE are supported compressions")
    wbits = zlib.MAX_WBITS if compression_type == "ZLIB" else zlib.MAX_WBITS | 16
    out = np.empty(strings.shape, dtype=object)
    for index, item in np.ndenumerate(strings):
        try:
            out[index] = zlib.decompressobj(wbits).decompress(item)
        except zlib.error as e:
            code, _, reason = str(e).removeprefix("Error ").partition(" while decompressing data: ")
            raise errors.DataLossError(None, None, f"inflate() failed with error {code}: {reason}") from None
    return out


not_differentiable("SerializeTensor", "ParseTensor")
no_registered_gradient("DecodeCompressed")
