"""Checkpoint ops: SaveV2, RestoreV2, MergeV2Checkpoints, ShardedFilename/Filespec, StringJoin, ...; the file
ops ReadFile and WriteFile (``tf.io.read_file``/``write_file``).

These are the ops of TensorFlow's saver subgraph, so a SaverDef written by TensorFlow runs here and
one built here runs in TensorFlow. SaveV2 and MergeV2Checkpoints write the format the running
Saver asks for (the session state's ``checkpoint_format``: TensorFlow's V2 bundle unless a torchmeta Saver
chose safetensors), looked up in :mod:`torchmeta.io.checkpoint`'s format table; RestoreV2 reads whichever
format is on disk.
"""

from __future__ import annotations

import glob
import os
import re

import numpy as np
import torch

from torchmeta import errors
from torchmeta.dtypes import numpy_to_torch
from torchmeta.framework import common_shapes
from torchmeta.framework.common_shapes import format_dims, merge_shapes, shape_error, with_rank, with_rank_at_most
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.framework.tensor_util import constant_value
from torchmeta.io import checkpoint, gfile
from torchmeta.io.tf_checkpoint import datatype_string
from torchmeta.ops.common import mark_owned, string_scalar

# What SaveV2 writes when no Saver chose a format: TensorFlow's V2 bundle (a name in io.checkpoint.FORMATS).
DEFAULT_FORMAT = "tf"


def _str(value) -> str:
    item = value[()] if isinstance(value, np.ndarray) and value.ndim == 0 else value
    return item.decode() if isinstance(item, bytes) else str(item)


def _local(path: str) -> str:
    """A file name for the I/O: TensorFlow accepts ``file://`` URIs for local files."""
    return path[len("file://") :] if path.startswith("file://") else path


def _strs(values) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in np.asarray(values, dtype=object).reshape(-1)]


def _scalar_inputs_shape(op):
    for t in op.inputs:
        with_rank(op, t.shape, 0)
    return [TensorShape([])]


@register_op(
    "SaveV2",
    inputs=["prefix: string", "tensor_names: string", "shape_and_slices: string", "tensors: dtypes"],
    attrs=["dtypes: list(type) >= 1"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def save_v2(prefix, tensor_names, shape_and_slices, tensors, dtypes, state):
    """Writes the tensors to ``prefix`` in the session's checkpoint format (TF's V2 bundle by default)."""
    prefix, names, specs = _local(_str(prefix)), _strs(tensor_names), _strs(shape_and_slices)
    if not (len(names) == len(specs) == len(tensors)):
        raise errors.InvalidArgumentError(
            None,
            None,
            f"Expected {len(names)} shape_and_slices and tensors, got {len(specs)} shape_and_slices and "
            f"{len(tensors)} tensors",
        )
    checkpoint.get_format(getattr(state, "checkpoint_format", DEFAULT_FORMAT)).write(
        prefix, names, specs, list(tensors), dtypes=list(dtypes)
    )


def _restore_shape(op):
    with_rank(op, op.inputs[0].shape, 0)
    names = with_rank(op, op.inputs[1].shape, 1)
    merge_shapes(op, names, with_rank(op, op.inputs[2].shape, 1))
    specs = constant_value(op.inputs[2])
    n = len(op.outputs)
    if specs is not None and specs.size != n:
        raise shape_error(op, "The number of shape_and_slice doesn't match tensor outputs.")
    if specs is None:
        return [TensorShape(None)] * n
    out = []
    for spec in specs.reshape(-1):
        spec = spec.decode() if isinstance(spec, bytes) else str(spec)
        if not spec:
            out.append(TensorShape(None))
            continue
        parts = spec.split(" ")
        full = [int(d) for d in parts[:-1]]
        dims = []
        for d, extent in zip(full, parts[-1].split(":")):
            dims.append(d if extent == "-" else int(extent.split(",")[1]))
        out.append(TensorShape(dims))
    return out if len(out) == n else [TensorShape(None)] * n


@register_op(
    "RestoreV2",
    inputs=["prefix: string", "tensor_names: string", "shape_and_slices: string"],
    outputs=["tensors: dtypes"],
    attrs=["dtypes: list(type) >= 1"],
    shape=_restore_shape,
    stateful=True,
)
def restore_v2(prefix, tensor_names, shape_and_slices, dtypes):
    """Reads the named tensors (or slices) from a checkpoint in either format, into fresh tensors."""
    prefix, names, specs = _local(_str(prefix)), _strs(tensor_names), _strs(shape_and_slices)
    if not (len(names) == len(specs) == len(dtypes)):
        raise errors.InvalidArgumentError(None, None, "tensor_names, shape_and_slices and dtypes differ in length")
    reader = checkpoint.open_checkpoint(prefix)
    try:
        out = []
        for name, spec, want in zip(names, specs, dtypes):
            if not reader.has_tensor(name):
                raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint")
            have = reader.get_dtype(name)
            if have is not want.base_dtype:
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"tensor_name = {name}; expected dtype {datatype_string(want.base_dtype)} does not equal "
                    f"original dtype {datatype_string(have)}",
                )
            if spec:
                value = reader.get_slice(name, spec)
                if value.dtype.kind != "O":
                    value = numpy_to_torch(np.ascontiguousarray(value) if value.ndim else value, have)
            else:
                value = reader.get_tensor_torch(name, mmap=False)
            if isinstance(value, torch.Tensor):
                mark_owned(value)
            out.append(value)
        return out[0] if len(out) == 1 else tuple(out)  # one output: the value itself, as lowering expects
    finally:
        reader.close()


@register_op(
    "MergeV2Checkpoints",
    inputs=["checkpoint_prefixes: string", "destination_prefix: string"],
    attrs=["delete_old_dirs: bool = true", "allow_missing_files: bool = false"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def merge_v2_checkpoints(checkpoint_prefixes, destination_prefix, delete_old_dirs, allow_missing_files, state):
    """Merges per-shard checkpoints into one at ``destination_prefix`` (TF's merge, or one safetensors file)."""
    prefixes, destination = [_local(p) for p in _strs(checkpoint_prefixes)], _local(_str(destination_prefix))
    checkpoint.get_format(getattr(state, "checkpoint_format", DEFAULT_FORMAT)).merge(
        prefixes, destination, delete_old_dirs=delete_old_dirs, allow_missing_files=allow_missing_files
    )


@register_op(
    "ShardedFilename",
    inputs=["basename: string", "shard: int32", "num_shards: int32"],
    outputs=["filename: string"],
    shape=_scalar_inputs_shape,
)
def sharded_filename(basename, shard, num_shards):
    return string_scalar(f"{_str(basename)}-{int(shard):05d}-of-{int(num_shards):05d}")


@register_op(
    "ShardedFilespec",
    inputs=["basename: string", "num_shards: int32"],
    outputs=["filename: string"],
    shape=_scalar_inputs_shape,
)
def sharded_filespec(basename, num_shards):
    return string_scalar(f"{_str(basename)}-?????-of-{int(num_shards):05d}")


def _string_join_shape(op):
    """Scalar when every input is; else the merge of the inputs that are not known scalars (TF's rule)."""
    if all(t.shape.rank == 0 for t in op.inputs):
        return [TensorShape([])]
    out = TensorShape(None)
    for t in op.inputs:
        if t.shape.rank != 0:
            out = merge_shapes(op, out, t.shape)
    return [out]


@register_op(
    "StringJoin",
    inputs=["inputs: N * string"],
    outputs=["output: string"],
    attrs=["N: int >= 0", 'separator: string = ""'],
    shape=_string_join_shape,
)
def string_join(inputs, separator):
    sep = separator.encode() if isinstance(separator, str) else separator
    arrays = [np.asarray(x, dtype=object) for x in inputs]
    shape = ()
    for a in arrays:
        if a.ndim:
            if shape and a.shape != shape:
                raise errors.InvalidArgumentError(
                    None, None, f"Input shapes do not match: {list(shape)} vs. {list(a.shape)}"
                )
            shape = a.shape
    out = np.empty(shape, dtype=object)
    flat = out.reshape(-1)
    pieces = [np.broadcast_to(a, shape).reshape(-1) for a in arrays]
    for i in range(flat.size):
        flat[i] = sep.join(bytes(p[i]) for p in pieces)
    return out


@register_op(
    "StaticRegexFullMatch",
    inputs=["input: string"],
    outputs=["output: bool"],
    attrs=["pattern: string"],
    shape=common_shapes.unchanged,
)
def static_regex_full_match(input, pattern):
    regex = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
    arr = np.asarray(input, dtype=object)
    flags = np.array([regex.fullmatch(bytes(v)) is not None for v in arr.reshape(-1)], dtype=bool)
    return torch.from_numpy(flags.reshape(arr.shape))


def _matching_files_shape(op):
    with_rank_at_most(op, op.inputs[0].shape, 1)
    return [TensorShape([None])]


@register_op(
    "MatchingFiles",
    inputs=["pattern: string"],
    outputs=["filenames: string"],
    shape=_matching_files_shape,
)
def matching_files(pattern):
    """The files matching any of the glob patterns (a scalar or a vector), sorted as TF's kernel sorts them; a
    pattern matching nothing (or naming a missing directory) adds nothing."""
    patterns = np.asarray(pattern, dtype=object)
    if patterns.ndim > 1:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"Input patterns tensor must be scalar or vector, but had shape: [{','.join(map(str, patterns.shape))}]",
        )
    names = []
    for p in _strs(patterns):
        names.extend(glob.glob(_local(p), include_hidden=True))
    out = np.empty(len(names), dtype=object)
    out[:] = sorted(name.encode() for name in names)
    return out


def _read_file_shape(op):
    with_rank(op, op.inputs[0].shape, 0)
    return [TensorShape([])]


def _write_file_shape(op):
    for t in op.inputs:
        with_rank(op, t.shape, 0)
    return []


def _scalar_string(value, what: str) -> bytes:
    """The bytes of a scalar string input; TF's kernel check where the graph left its rank unknown."""
    arr = np.asarray(value, dtype=object)
    if arr.ndim != 0:
        raise errors.InvalidArgumentError(None, None, f"{what} must be scalar, but had shape: {format_dims(arr.shape)}")
    item = arr[()]
    return item if isinstance(item, bytes) else str(item).encode()


@register_op("ReadFile", inputs=["filename: string"], outputs=["contents: string"], shape=_read_file_shape)
def read_file(filename):
    """The file's bytes. Stateless, as TF's: a constant file name is folded like any constant subgraph, so the
    file is read once per specialization (TF's grappler folds it once per run signature likewise)."""
    path = _local(_scalar_string(filename, "Input filename tensor").decode())
    with gfile.GFile(path, "rb") as f:
        return string_scalar(f.read())


@register_op("WriteFile", inputs=["filename: string", "contents: string"], shape=_write_file_shape, stateful=True)
def write_file(filename, contents):
    """Writes ``contents`` to the file, first creating its directory and the missing ones above it."""
    path = _local(_scalar_string(filename, "Input filename tensor").decode())
    data = _scalar_string(contents, "Contents tensor")
    directory = os.path.dirname(path)
    if directory and not os.path.exists(directory):
        gfile.makedirs(directory)
    with gfile.GFile(path, "wb") as f:
        f.write(data)


not_differentiable("StringJoin")
# TensorFlow registers no gradient for these: tf.gradients through them raises LookupError.
no_registered_gradient(
    "SaveV2",
    "RestoreV2",
    "MergeV2Checkpoints",
    "ShardedFilename",
    "ShardedFilespec",
    "StaticRegexFullMatch",
    "MatchingFiles",
    "ReadFile",
    "WriteFile",
)
