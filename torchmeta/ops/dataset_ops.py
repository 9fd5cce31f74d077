"""tf.data ops: the dataset ops TensorFlow emits (TensorSliceDataset, BatchDatasetV2, ShuffleDataset, ...) and
the iterator ops (IteratorV2, MakeIterator, IteratorGetNext, string handles).

A dataset op's value (its ``variant`` output) is a ``DatasetSpec``: what the op is, its input
datasets and its arguments, nothing running yet. ``MakeIterator`` hands a spec to the session's
pipeline executor (``torchmeta.runtime.data_pipeline``, reached through the session state), which
runs it on the host; ``IteratorGetNext`` returns the next element's tensors (torch tensors, numpy
object arrays for strings) straight to the graph, or raises OutOfRangeError("End of sequence").
Ops with functions (map, filter, flat_map, interleave) keep the function their ``f``/``predicate`` attr
names, as the session's function cache compiles it (the ``functions`` context), and the pipeline calls
it once per element.
"""

from __future__ import annotations

import itertools
import os
import re
import threading

import numpy as np

from torchmeta import errors
from torchmeta._proto import resource_handle_pb2
from torchmeta.dtypes import DType
from torchmeta.framework import registry
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import resource_key, session_resource

__all__ = ["DatasetSpec", "IteratorResource", "order_sensitive"]

_VARIANT_SHAPE = [TensorShape([])]


class DatasetSpec:
    """One dataset op's description: ``kind`` (the op type), input datasets, arguments, element signature."""

    __slots__ = ("kind", "inputs", "args", "output_types", "output_shapes", "node_name")

    def __init__(self, kind, inputs=(), args=None, output_types=(), output_shapes=(), node_name=""):
        self.kind = kind
        self.inputs = list(inputs)
        self.args = dict(args or {})
        self.output_types = list(output_types)
        self.output_shapes = list(output_shapes)
        self.node_name = node_name

    def __repr__(self):
        return f"<DatasetSpec {self.kind} {self.node_name!r}>"


def _int(value) -> int:
    return int(np.asarray(value.cpu() if hasattr(value, "cpu") else value).reshape(()))


def _shapes(output_shapes):
    return [None if s is None else tuple(s) for s in output_shapes]


def _dataset_shape(op):
    return _VARIANT_SHAPE


def _types_attr(name="output_types"):
    return f"{name}: list(type) >= 1"


_ELEMENT_ATTRS = [_types_attr(), "output_shapes: list(shape) >= 1"]
_META = 'metadata: string = ""'


def _spec(kind, node_name, inputs=(), args=None, output_types=(), output_shapes=()):
    return DatasetSpec(kind, inputs, args, output_types, _shapes(output_shapes), node_name)


# ---------------------------------------------------------------------------------------------
# Sources


@register_op(
    "TensorDataset",
    inputs=["components: Toutput_types"],
    outputs=["handle: variant"],
    attrs=["Toutput_types: list(type) >= 1", "output_shapes: list(shape) >= 1", _META],
    shape=_dataset_shape,
    stateful=True,
)
def tensor_dataset(components, Toutput_types, output_shapes, node_name):
    return _spec("TensorDataset", node_name, (), {"components": list(components)}, Toutput_types, output_shapes)


@register_op(
    "TensorSliceDataset",
    inputs=["components: Toutput_types"],
    outputs=["handle: variant"],
    attrs=[
        "Toutput_types: list(type) >= 1",
        "output_shapes: list(shape) >= 1",
        "is_files: bool = false",
        _META,
        "replicate_on_split: bool = false",
    ],
    shape=_dataset_shape,
    stateful=True,
)
def tensor_slice_dataset(components, Toutput_types, output_shapes, node_name):
    components = list(components)
    sizes = {int(c.shape[0]) if c.ndim else None for c in components}
    if None in sizes:
        raise errors.InvalidArgumentError(None, None, "All components must be at least 1-dimensional")
    if len(sizes) != 1:
        first = int(components[0].shape[0])
        for i, c in enumerate(components[1:], 1):
            if int(c.shape[0]) != first:
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    "All components must have the same size in the 0th dimension, but component 0 has size "
                    f"{first} and component {i} has size {int(c.shape[0])}",
                )
    return _spec("TensorSliceDataset", node_name, (), {"components": components}, Toutput_types, output_shapes)


@register_op(
    "RangeDataset",
    inputs=["start: int64", "stop: int64", "step: int64"],
    outputs=["handle: variant"],
    attrs=[*_ELEMENT_ATTRS, _META, "replicate_on_split: bool = false"],
    shape=_dataset_shape,
    stateful=True,
)
def range_dataset(start, stop, step, output_types, output_shapes, node_name):
    step = _int(step)
    if step == 0:
        raise errors.InvalidArgumentError(None, None, "step must be a non-zero integer.")
    args = {"start": _int(start), "stop": _int(stop), "step": step}
    return _spec("RangeDataset", node_name, (), args, output_types, output_shapes)


def _file_names(filenames) -> list[str]:
    arr = np.asarray(filenames, dtype=object)
    if arr.ndim > 1:
        raise errors.InvalidArgumentError(None, None, "`filenames` must be a scalar or a vector.")
    return [f.decode() if isinstance(f, bytes) else str(f) for f in arr.reshape(-1)]


def _string(value) -> str:
    item = np.asarray(value, dtype=object).reshape(()).item()
    return item.decode() if isinstance(item, bytes) else str(item)


_STRING = [DType.string]


@register_op(
    "TFRecordDataset",
    inputs=["filenames: string", "compression_type: string", "buffer_size: int64"],
    outputs=["handle: variant"],
    attrs=[_META],
    shape=_dataset_shape,
    stateful=True,
)
def tf_record_dataset(filenames, compression_type, buffer_size, node_name):
    args = {"filenames": _file_names(filenames), "compression": _string(compression_type), "buffer": _int(buffer_size)}
    return _spec("TFRecordDataset", node_name, (), args, _STRING, [()])


@register_op(
    "TFRecordDatasetV2",
    inputs=["filenames: string", "compression_type: string", "buffer_size: int64", "byte_offsets: int64"],
    outputs=["handle: variant"],
    attrs=[_META],
    shape=_dataset_shape,
    stateful=True,
)
def tf_record_dataset_v2(filenames, compression_type, buffer_size, byte_offsets, node_name):
    args = {
        "filenames": _file_names(filenames),
        "compression": _string(compression_type),
        "buffer": _int(buffer_size),
        "byte_offsets": [int(v) for v in np.asarray(byte_offsets.cpu()).reshape(-1)],
    }
    return _spec("TFRecordDataset", node_name, (), args, _STRING, [()])


@register_op(
    "TextLineDataset",
    inputs=["filenames: string", "compression_type: string", "buffer_size: int64"],
    outputs=["handle: variant"],
    attrs=[_META],
    shape=_dataset_shape,
    stateful=True,
)
def text_line_dataset(filenames, compression_type, buffer_size, node_name):
    args = {"filenames": _file_names(filenames), "compression": _string(compression_type), "buffer": _int(buffer_size)}
    return _spec("TextLineDataset", node_name, (), args, _STRING, [()])


@register_op(
    "FixedLengthRecordDatasetV2",
    inputs=[
        "filenames: string",
        "header_bytes: int64",
        "record_bytes: int64",
        "footer_bytes: int64",
        "buffer_size: int64",
        "compression_type: string",
    ],
    outputs=["handle: variant"],
    attrs=[_META],
    shape=_dataset_shape,
    stateful=True,
)
def fixed_length_record_dataset_v2(
    filenames, header_bytes, record_bytes, footer_bytes, buffer_size, compression_type, node_name
):
    record = _int(record_bytes)
    if record <= 0:
        raise errors.InvalidArgumentError(None, None, "`record_bytes` must be > 0")
    args = {
        "filenames": _file_names(filenames),
        "header": _int(header_bytes),
        "record": record,
        "footer": _int(footer_bytes),
        "compression": _string(compression_type),
    }
    return _spec("FixedLengthRecordDataset", node_name, (), args, _STRING, [()])


# ---------------------------------------------------------------------------------------------
# Transformations


@register_op(
    "ZipDataset",
    inputs=["input_datasets: N * variant"],
    outputs=["handle: variant"],
    attrs=[*_ELEMENT_ATTRS, "N: int >= 1", _META],
    shape=_dataset_shape,
)
def zip_dataset(input_datasets, output_types, output_shapes, node_name):
    return _spec("ZipDataset", node_name, input_datasets, {}, output_types, output_shapes)


@register_op(
    "ConcatenateDataset",
    inputs=["input_dataset: variant", "another_dataset: variant"],
    outputs=["handle: variant"],
    attrs=[*_ELEMENT_ATTRS, _META],
    shape=_dataset_shape,
)
def concatenate_dataset(input_dataset, another_dataset, output_types, output_shapes, node_name):
    if input_dataset.output_types != another_dataset.output_types:
        raise errors.InvalidArgumentError(
            None, None, "input dataset and dataset to concatenate have different types of components"
        )
    return _spec("ConcatenateDataset", node_name, [input_dataset, another_dataset], {}, output_types, output_shapes)


def _count_dataset(kind):
    def kernel(input_dataset, count, output_types, output_shapes, node_name):
        return _spec(kind, node_name, [input_dataset], {"count": _int(count)}, output_types, output_shapes)

    kernel.__name__ = kernel.__qualname__ = {"RepeatDataset": "repeat_dataset", "TakeDataset": "take_dataset"}.get(
        kind, "skip_dataset"
    )
    return kernel


for _kind in ("RepeatDataset", "TakeDataset", "SkipDataset"):
    register_op(
        _kind,
        inputs=["input_dataset: variant", "count: int64"],
        outputs=["handle: variant"],
        attrs=[*_ELEMENT_ATTRS, _META],
        shape=_dataset_shape,
    )(_count_dataset(_kind))


def _batch_size(value) -> int:
    size = _int(value)
    if size <= 0:
        raise errors.InvalidArgumentError(None, None, f"Batch size must be greater than zero, got {size}")
    return size


@register_op(
    "BatchDataset",
    inputs=["input_dataset: variant", "batch_size: int64"],
    outputs=["handle: variant"],
    attrs=[*_ELEMENT_ATTRS, _META],
    shape=_dataset_shape,
)
def batch_dataset(input_dataset, batch_size, output_types, output_shapes, node_name):
    args = {"batch_size": _batch_size(batch_size), "drop_remainder": False}
    return _spec("BatchDataset", node_name, [input_dataset], args, output_types, output_shapes)


@register_op(
    "BatchDatasetV2",
    inputs=["input_dataset: variant", "batch_size: int64", "drop_remainder: bool"],
    outputs=["handle: variant"],
    attrs=["parallel_copy: bool = false", *_ELEMENT_ATTRS, _META],
    shape=_dataset_shape,
)
def batch_dataset_v2(input_dataset, batch_size, drop_remainder, output_types, output_shapes, node_name):
    args = {"batch_size": _batch_size(batch_size), "drop_remainder": bool(drop_remainder)}
    return _spec("BatchDataset", node_name, [input_dataset], args, output_types, output_shapes)


@register_op(
    "PaddedBatchDatasetV2",
    inputs=[
        "input_dataset: variant",
        "batch_size: int64",
        "padded_shapes: N * int64",
        "padding_values: Toutput_types",
        "drop_remainder: bool",
    ],
    outputs=["handle: variant"],
    attrs=[
        "parallel_copy: bool = false",
        "Toutput_types: list(type) >= 1",
        "output_shapes: list(shape) >= 1",
        "N: int >= 1",
        _META,
    ],
    shape=_dataset_shape,
)
def padded_batch_dataset_v2(
    input_dataset, batch_size, padded_shapes, padding_values, drop_remainder, Toutput_types, output_shapes, node_name
):
    args = {
        "batch_size": _batch_size(batch_size),
        "drop_remainder": bool(drop_remainder),
        "padded_shapes": [[int(d) for d in np.asarray(s.cpu()).reshape(-1)] for s in padded_shapes],
        "padding_values": list(padding_values),
    }
    return _spec("PaddedBatchDataset", node_name, [input_dataset], args, Toutput_types, output_shapes)


def _shuffle_args(buffer_size, seed, seed2):
    size = _int(buffer_size)
    if size <= 0 and size != -2:
        raise errors.InvalidArgumentError(None, None, f"buffer_size must be greater than zero. Got: {size}")
    return {"buffer_size": size, "seed": _int(seed), "seed2": _int(seed2)}


@register_op(
    "ShuffleDataset",
    inputs=["input_dataset: variant", "buffer_size: int64", "seed: int64", "seed2: int64"],
    outputs=["handle: variant"],
    attrs=["reshuffle_each_iteration: bool = true", *_ELEMENT_ATTRS, _META],
    shape=_dataset_shape,
)
def shuffle_dataset(
    input_dataset, buffer_size, seed, seed2, reshuffle_each_iteration, output_types, output_shapes, node_name
):
    args = {**_shuffle_args(buffer_size, seed, seed2), "reshuffle": reshuffle_each_iteration, "count": 1}
    return _spec("ShuffleDataset", node_name, [input_dataset], args, output_types, output_shapes)


@register_op(
    "ShuffleAndRepeatDataset",
    inputs=["input_dataset: variant", "buffer_size: int64", "seed: int64", "seed2: int64", "count: int64"],
    outputs=["handle: variant"],
    attrs=[*_ELEMENT_ATTRS, "reshuffle_each_iteration: bool = true", _META],
    shape=_dataset_shape,
)
def shuffle_and_repeat_dataset(
    input_dataset, buffer_size, seed, seed2, count, output_types, output_shapes, reshuffle_each_iteration, node_name
):
    args = {**_shuffle_args(buffer_size, seed, seed2), "reshuffle": reshuffle_each_iteration, "count": _int(count)}
    return _spec("ShuffleDataset", node_name, [input_dataset], args, output_types, output_shapes)


@register_op(
    "PrefetchDataset",
    inputs=["input_dataset: variant", "buffer_size: int64"],
    outputs=["handle: variant"],
    attrs=[
        *_ELEMENT_ATTRS,
        "slack_period: int = 0",
        "legacy_autotune: bool = true",
        "buffer_size_min: int = 0",
        _META,
    ],
    shape=_dataset_shape,
)
def prefetch_dataset(input_dataset, buffer_size, output_types, output_shapes, node_name):
    size = _int(buffer_size)
    if size < 0 and size != -1:
        raise errors.InvalidArgumentError(
            None, None, f"buffer_size must be >= 0 or set buffer_size to be {-1} for auto-tuning"
        )
    return _spec("PrefetchDataset", node_name, [input_dataset], {"buffer_size": size}, output_types, output_shapes)


@register_op(
    "CacheDataset",
    inputs=["input_dataset: variant", "filename: string"],
    outputs=["handle: variant"],
    attrs=[*_ELEMENT_ATTRS, _META],
    shape=_dataset_shape,
)
def cache_dataset(input_dataset, filename, output_types, output_shapes, node_name):
    name = _string(filename)
    if name:
        raise errors.UnimplementedError(
            None, None, f"CacheDataset to file {name!r} is not supported by torchmeta (in-memory caching is)"
        )
    return _spec("CacheDataset", node_name, [input_dataset], {}, output_types, output_shapes)


@register_op(
    "UnbatchDataset",
    inputs=["input_dataset: variant"],
    outputs=["handle: variant"],
    attrs=[*_ELEMENT_ATTRS, _META],
    shape=_dataset_shape,
)
def unbatch_dataset(input_dataset, output_types, output_shapes, node_name):
    return _spec("UnbatchDataset", node_name, [input_dataset], {}, output_types, output_shapes)


@register_op(
    "OptimizeDataset",
    inputs=["input_dataset: variant", "optimizations: string"],
    outputs=["handle: variant"],
    attrs=[*_ELEMENT_ATTRS, "optimization_configs: list(string) = []"],
    shape=_dataset_shape,
)
def optimize_dataset(input_dataset, optimizations):
    """Graph rewrites of TF's tf.data runtime: the data are the same without them."""
    return input_dataset


@register_op(
    "OptimizeDatasetV2",
    inputs=[
        "input_dataset: variant",
        "optimizations_enabled: string",
        "optimizations_disabled: string",
        "optimizations_default: string",
    ],
    outputs=["handle: variant"],
    attrs=[*_ELEMENT_ATTRS, "optimization_configs: list(string) = []"],
    shape=_dataset_shape,
)
def optimize_dataset_v2(input_dataset, optimizations_enabled, optimizations_disabled, optimizations_default):
    """Graph rewrites of TF's tf.data runtime: the data are the same without them."""
    return input_dataset


@register_op(
    "ModelDataset",
    inputs=["input_dataset: variant"],
    outputs=["handle: variant"],
    attrs=["algorithm: int = 0", "cpu_budget: int = 0", "ram_budget: int = 0", *_ELEMENT_ATTRS],
    shape=_dataset_shape,
)
def model_dataset(input_dataset):
    """TF's autotuning model: no effect on the elements."""
    return input_dataset


# ---------------------------------------------------------------------------------------------
# Transformations with functions: the spec keeps the function (a callable of the session's function
# cache, ``functions.f``) and the captured tensors it is called with after each element's components.

_FUNCTION_ATTRS = ["Targuments: list(type) >= 0", *_ELEMENT_ATTRS]


def _cycle_length(value) -> int:
    """InterleaveDataset's cycle length; AUTOTUNE (-1) is the number of CPUs TF's runtime schedules on."""
    n = _int(value)
    if n == -1:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if n <= 0:
        raise errors.InvalidArgumentError(None, None, f"cycle_length must be greater than zero. Got: {n}")
    return n


def _block_length(value) -> int:
    n = _int(value)
    if n <= 0:
        raise errors.InvalidArgumentError(None, None, f"block_length must be greater than zero. Got: {n}")
    return n


def _function_args(f, other_arguments) -> dict:
    return {"f": f, "other_arguments": list(other_arguments)}


_DATASET_OP = re.compile(r"Dataset(V[0-9]+)?$")


def order_sensitive(function) -> bool:
    """Whether the calls of a dataset function (a runtime ``Function``) must run one at a time, in order: its
    body, or a function it calls or hands to a dataset it builds (a map inside an interleave), holds a stateful op
    (a random op, a variable update, a py_func...). Dataset ops do not count: TF marks its source datasets
    stateful only to keep them from being constant-folded. A function the library lacks counts as stateful."""
    library = function.func_graph._library
    pending, seen = [function.func_graph.name], set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        fdef = library.get(name)
        if fdef is None:
            return True
        for node in fdef.node_def:
            info = registry.get(node.op)
            if info is None:  # a call of a library function by its name
                pending.append(node.op)
                continue
            if info.is_stateful and not _DATASET_OP.search(node.op):
                return True
            for value in node.attr.values():
                if value.HasField("func"):
                    pending.append(value.func.name)
                pending.extend(f.name for f in value.list.func)
    return False


@register_op(
    "MapDataset",
    inputs=["input_dataset: variant", "other_arguments: Targuments"],
    outputs=["handle: variant"],
    attrs=[
        "f: func",
        *_FUNCTION_ATTRS,
        "use_inter_op_parallelism: bool = true",
        "preserve_cardinality: bool = false",
        "force_synchronous: bool = false",
        _META,
    ],
    shape=_dataset_shape,
)
def map_dataset(input_dataset, other_arguments, output_types, output_shapes, functions, node_name):
    args = _function_args(functions.f, other_arguments)
    return _spec("MapDataset", node_name, [input_dataset], args, output_types, output_shapes)


@register_op(
    "ParallelMapDatasetV2",
    inputs=["input_dataset: variant", "other_arguments: Targuments", "num_parallel_calls: int64"],
    outputs=["handle: variant"],
    attrs=[
        "f: func",
        *_FUNCTION_ATTRS,
        "use_inter_op_parallelism: bool = true",
        'deterministic: string = "default"',
        "preserve_cardinality: bool = false",
        "use_unbounded_threadpool: bool = false",
        _META,
    ],
    shape=_dataset_shape,
)
def parallel_map_dataset_v2(
    input_dataset, other_arguments, num_parallel_calls, output_types, output_shapes, functions, node_name
):
    """Elements in input order (what ``deterministic`` allows in every case), the function running on
    ``num_parallel_calls`` threads (AUTOTUNE: one per core) unless it holds a stateful op (then one call at a
    time, in order, so that its effects keep their order)."""
    calls = _int(num_parallel_calls)
    if calls <= 0 and calls != -1:
        raise errors.InvalidArgumentError(None, None, f"num_parallel_calls must be greater than zero. Got: {calls}")
    args = _function_args(functions.f, other_arguments)
    args["parallel_calls"] = 1 if order_sensitive(functions.f) else calls
    return _spec("MapDataset", node_name, [input_dataset], args, output_types, output_shapes)


@register_op(
    "FilterDataset",
    inputs=["input_dataset: variant", "other_arguments: Targuments"],
    outputs=["handle: variant"],
    attrs=["predicate: func", *_FUNCTION_ATTRS, _META],
    shape=_dataset_shape,
)
def filter_dataset(input_dataset, other_arguments, output_types, output_shapes, functions, node_name):
    args = _function_args(functions.predicate, other_arguments)
    return _spec("FilterDataset", node_name, [input_dataset], args, output_types, output_shapes)


@register_op(
    "FlatMapDataset",
    inputs=["input_dataset: variant", "other_arguments: Targuments"],
    outputs=["handle: variant"],
    attrs=["f: func", *_FUNCTION_ATTRS, _META],
    shape=_dataset_shape,
)
def flat_map_dataset(input_dataset, other_arguments, output_types, output_shapes, functions, node_name):
    args = {**_function_args(functions.f, other_arguments), "cycle_length": 1, "block_length": 1}
    return _spec("InterleaveDataset", node_name, [input_dataset], args, output_types, output_shapes)


@register_op(
    "InterleaveDataset",
    inputs=["input_dataset: variant", "other_arguments: Targuments", "cycle_length: int64", "block_length: int64"],
    outputs=["handle: variant"],
    attrs=["f: func", *_FUNCTION_ATTRS, _META],
    shape=_dataset_shape,
)
def interleave_dataset(
    input_dataset, other_arguments, cycle_length, block_length, output_types, output_shapes, functions, node_name
):
    args = {
        **_function_args(functions.f, other_arguments),
        "cycle_length": _cycle_length(cycle_length),
        "block_length": _block_length(block_length),
    }
    return _spec("InterleaveDataset", node_name, [input_dataset], args, output_types, output_shapes)


@register_op(
    "ParallelInterleaveDatasetV4",
    inputs=[
        "input_dataset: variant",
        "other_arguments: Targuments",
        "cycle_length: int64",
        "block_length: int64",
        "buffer_output_elements: int64",
        "prefetch_input_elements: int64",
        "num_parallel_calls: int64",
    ],
    outputs=["handle: variant"],
    attrs=["f: func", 'deterministic: string = "default"', *_FUNCTION_ATTRS, _META],
    shape=_dataset_shape,
)
def parallel_interleave_dataset_v4(
    input_dataset,
    other_arguments,
    cycle_length,
    block_length,
    buffer_output_elements,
    prefetch_input_elements,
    num_parallel_calls,
    output_types,
    output_shapes,
    functions,
    node_name,
):
    """The deterministic order (InterleaveDataset's), which every ``deterministic`` setting allows, the cycle's
    datasets producing their elements on ``num_parallel_calls`` threads (one at a time when the function holds a
    stateful op: ``order_sensitive``). An AUTOTUNE cycle length is TF's: ``min(num_parallel_calls, CPUs)``, or
    ``ceil(CPUs / 3)`` when both are AUTOTUNE."""
    calls, cycle = _int(num_parallel_calls), _int(cycle_length)
    if calls <= 0 and calls != -1:
        raise errors.InvalidArgumentError(None, None, "num_parallel_calls must be greater than zero.")
    if cycle <= 0 and cycle != -1:
        raise errors.InvalidArgumentError(
            None, None, f"`cycle_length` must be `tf.data.AUTOTUNE` or greater than 0 but is {cycle}"
        )
    if cycle != -1 and calls > cycle:
        raise errors.InvalidArgumentError(
            None,
            None,
            "If `cycle_length` is set to a fixed value, `num_parallel_calls` must be either `tf.data.AUTOTUNE` or "
            f"a value less than or equal to `cycle_length`. However, `num_parallel_calls` is {calls} and "
            f"`cycle_length` is {cycle}",
        )
    if cycle == -1:
        cpus = _cycle_length(-1)
        cycle = min(calls, cpus) if calls != -1 else -(-cpus // 3)
    block = _block_length(block_length)
    args = {
        **_function_args(functions.f, other_arguments),
        "cycle_length": cycle,
        "block_length": block,
        # TF's ParallelInterleaveDatasetV4: `num_parallel_calls` workers (AUTOTUNE: the cycle length) keep each
        # cycle element 2 * block_length + 1 results ahead (kPerIteratorPrefetchFactor)
        "parallel_calls": 1 if order_sensitive(functions.f) else (cycle if calls == -1 else calls),
        "buffer_output_elements": 2 * block + 1,
    }
    return _spec("InterleaveDataset", node_name, [input_dataset], args, output_types, output_shapes)


@register_op(
    "LegacyParallelInterleaveDatasetV2",
    inputs=[
        "input_dataset: variant",
        "other_arguments: Targuments",
        "cycle_length: int64",
        "block_length: int64",
        "buffer_output_elements: int64",
        "prefetch_input_elements: int64",
    ],
    outputs=["handle: variant"],
    attrs=["f: func", 'deterministic: string = "default"', *_FUNCTION_ATTRS, _META],
    shape=_dataset_shape,
)
def legacy_parallel_interleave_dataset_v2(
    input_dataset,
    other_arguments,
    cycle_length,
    block_length,
    buffer_output_elements,
    prefetch_input_elements,
    output_types,
    output_shapes,
    functions,
    node_name,
):
    """tf.data.experimental.parallel_interleave (and the file readers' ``num_parallel_reads=N``): the deterministic
    order, which is InterleaveDataset's (its exhausted inputs are replaced in the same order), every cycle element
    producing on a thread of its own, ``buffer_output_elements`` ahead; TF's argument checks. ``sloppy`` allows
    any order (this one included); ``prefetch_input_elements`` only tunes when TF opens the next inputs."""
    checks = (
        (cycle_length, 0, "`cycle_length` must be > 0"),
        (block_length, 0, "`block_length` must be > 0"),
        (buffer_output_elements, 0, "`buffer_output_elements` must be > 0"),
        (prefetch_input_elements, -1, "`prefetch_input_elements` must be >= 0"),
    )
    for value, above, message in checks:
        if _int(value) <= above:
            raise errors.InvalidArgumentError(None, None, message)
    args = {**_function_args(functions.f, other_arguments), "cycle_length": _int(cycle_length)}
    args["block_length"] = _int(block_length)
    # one worker per cycle element, each keeping buffer_output_elements results ahead, as TF's legacy op
    args["parallel_calls"] = 1 if order_sensitive(functions.f) else args["cycle_length"]
    args["buffer_output_elements"] = _int(buffer_output_elements)
    return _spec("InterleaveDataset", node_name, [input_dataset], args, output_types, output_shapes)


@register_op(
    "MapAndBatchDataset",
    inputs=[
        "input_dataset: variant",
        "other_arguments: Targuments",
        "batch_size: int64",
        "num_parallel_calls: int64",
        "drop_remainder: bool",
    ],
    outputs=["handle: variant"],
    attrs=["f: func", *_FUNCTION_ATTRS, "preserve_cardinality: bool = false", _META],
    shape=_dataset_shape,
)
def map_and_batch_dataset(
    input_dataset,
    other_arguments,
    batch_size,
    num_parallel_calls,
    drop_remainder,
    output_types,
    output_shapes,
    functions,
    node_name,
):
    args = {
        **_function_args(functions.f, other_arguments),
        "batch_size": _batch_size(batch_size),
        "drop_remainder": bool(drop_remainder),
    }
    return _spec("MapAndBatchDataset", node_name, [input_dataset], args, output_types, output_shapes)


@register_op(
    "ScanDataset",
    inputs=["input_dataset: variant", "initial_state: Tstate", "other_arguments: Targuments"],
    outputs=["handle: variant"],
    attrs=[
        "f: func",
        "Tstate: list(type) >= 1",
        *_FUNCTION_ATTRS,
        "preserve_cardinality: bool = false",
        "use_default_device: bool = true",
        _META,
    ],
    shape=_dataset_shape,
)
def scan_dataset(input_dataset, initial_state, other_arguments, output_types, output_shapes, functions, node_name):
    args = {**_function_args(functions.f, other_arguments), "initial_state": list(initial_state)}
    return _spec("ScanDataset", node_name, [input_dataset], args, output_types, output_shapes)


@register_op(
    "GeneratorDataset",
    inputs=[
        "init_func_other_args: Tinit_func_args",
        "next_func_other_args: Tnext_func_args",
        "finalize_func_other_args: Tfinalize_func_args",
    ],
    outputs=["handle: variant"],
    attrs=[
        "init_func: func",
        "next_func: func",
        "finalize_func: func",
        "Tinit_func_args: list(type) >= 0",
        "Tnext_func_args: list(type) >= 0",
        "Tfinalize_func_args: list(type) >= 0",
        *_ELEMENT_ATTRS,
        _META,
    ],
    shape=_dataset_shape,
    stateful=True,
)
def generator_dataset(
    init_func_other_args,
    next_func_other_args,
    finalize_func_other_args,
    output_types,
    output_shapes,
    functions,
    node_name,
):
    """``Dataset.from_generator``'s source: each iterator calls ``init_func`` once for its state, ``next_func``
    on that state for each element until it raises OutOfRangeError, and ``finalize_func`` when it ends."""
    args = {
        "init_func": functions.init_func,
        "next_func": functions.next_func,
        "finalize_func": functions.finalize_func,
        "init_args": list(init_func_other_args),
        "next_args": list(next_func_other_args),
        "finalize_args": list(finalize_func_other_args),
    }
    return _spec("GeneratorDataset", node_name, [], args, output_types, output_shapes)


@register_op(
    "ReduceDataset",
    inputs=["input_dataset: variant", "initial_state: Tstate", "other_arguments: Targuments"],
    outputs=["components: output_types"],
    attrs=[
        "f: func",
        "Tstate: list(type) >= 1",
        *_FUNCTION_ATTRS,
        "use_inter_op_parallelism: bool = true",
        _META,
    ],
    shape=lambda op: [TensorShape(s) for s in op.get_attr("output_shapes")],
    stateful=True,
)
def reduce_dataset(input_dataset, initial_state, other_arguments, output_types, state, functions):
    """Runs the whole dataset on the host, folding its elements into the state with ``f``."""
    values = tuple(initial_state)
    pipeline = state.make_pipeline(input_dataset, None)
    try:
        while True:
            try:
                element = pipeline.get_next()
            except errors.OutOfRangeError:
                break
            values = tuple(functions.f(*values, *element, *other_arguments))
    finally:
        pipeline.close()
    return values[0] if len(values) == 1 else values


not_differentiable("ReduceDataset")  # as TF's dataset_ops.py


# ---------------------------------------------------------------------------------------------
# Iterators

_handles = itertools.count()


class IteratorResource:
    """An iterator of one session: ``MakeIterator`` (re)starts it on a dataset, ``get_next`` advances it."""

    def __init__(self, node_name: str, output_types, output_shapes, make_pipeline):
        self.node_name = node_name
        self.output_types = list(output_types)
        self.output_shapes = _shapes(output_shapes)
        self._make_pipeline = make_pipeline
        self._pipeline = None
        self.one_shot_started = False  # OneShotIterator: its dataset was built
        self._lock = threading.Lock()
        handle = resource_handle_pb2.ResourceHandleProto(
            device="/job:localhost/replica:0/task:0/device:CPU:0",
            container="localhost",
            name=f"_{next(_handles)}_{node_name}",
            hash_code=abs(hash(node_name)) % (1 << 63),
            maybe_type_name="tensorflow::data::IteratorResource",
        )
        self.string_handle = handle.SerializeToString()

    def initialize(self, dataset: DatasetSpec, device) -> None:
        if dataset.output_types != self.output_types:
            raise errors.InvalidArgumentError(
                None,
                None,
                "The iterator and the dataset must have the same types, but the iterator has "
                f"{_type_list(self.output_types)} and the dataset has {_type_list(dataset.output_types)}",
            )
        for i, (want, got) in enumerate(zip(self.output_shapes, dataset.output_shapes)):
            if want is not None and got is not None and not _compatible(want, got):
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"Expected element shape {_shape_text(want)} of component {i} to be compatible with "
                    f"{_shape_text(got)}",
                )
        with self._lock:
            old, self._pipeline = self._pipeline, self._make_pipeline(dataset, device)
        if old is not None:
            old.close()

    def get_next(self):
        pipeline = self._pipeline
        if pipeline is None:
            raise errors.FailedPreconditionError(
                None,
                None,
                "GetNext() failed because the iterator has not been initialized. Ensure that you have run the "
                "initializer operation for this iterator before getting the next element.",
            )
        return pipeline.get_next()

    def cancel(self) -> None:
        pipeline = self._pipeline
        if pipeline is not None:
            pipeline.close()


def _type_list(types) -> str:
    return "[" + ", ".join(DType(t).name if not isinstance(t, DType) else t.name for t in types) + "]"


def _shape_text(shape) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def _compatible(a, b) -> bool:
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def _iterator_resource(state, node_name, container, shared_name, output_types, output_shapes):
    key = resource_key("iterator", container, shared_name, node_name)
    resource = session_resource(
        state, key, lambda: IteratorResource(node_name, output_types, output_shapes, state.make_pipeline)
    )
    state.iterators_by_handle[resource.string_handle] = resource
    return resource


@register_op(
    "IteratorV2",
    outputs=["handle: resource"],
    attrs=["shared_name: string", "container: string", *_ELEMENT_ATTRS],
    shape=_dataset_shape,
    stateful=True,
)
def iterator_v2(shared_name, container, output_types, output_shapes, state, node_name):
    return _iterator_resource(state, node_name, container, shared_name, output_types, output_shapes)


@register_op(
    "Iterator",
    outputs=["handle: resource"],
    attrs=["shared_name: string", "container: string", *_ELEMENT_ATTRS],
    shape=_dataset_shape,
    stateful=True,
)
def iterator(shared_name, container, output_types, output_shapes, state, node_name):
    return _iterator_resource(state, node_name, container, shared_name, output_types, output_shapes)


@register_op(
    "OneShotIterator",
    outputs=["handle: resource"],
    attrs=["dataset_factory: func", *_ELEMENT_ATTRS, 'container: string = ""', 'shared_name: string = ""'],
    shape=_dataset_shape,
    stateful=True,
)
def one_shot_iterator(output_types, output_shapes, container, shared_name, state, node_name, functions, device):
    """The iterator starts on the dataset its ``dataset_factory`` function builds, the first time it runs."""
    resource = _iterator_resource(state, node_name, container, shared_name, output_types, output_shapes)
    with _one_shot_lock:
        if not resource.one_shot_started:
            (dataset,) = functions.dataset_factory()
            resource.initialize(dataset, device)
            resource.one_shot_started = True
    return resource


_one_shot_lock = threading.Lock()


@register_op(
    "MakeIterator",
    inputs=["dataset: variant", "iterator: resource"],
    shape=lambda op: [],
    stateful=True,
)
def make_iterator(dataset, iterator, device):
    iterator.initialize(dataset, device)


def _get_next_shape(op):
    return [TensorShape(s) for s in op.get_attr("output_shapes")]


def _outputs(values):
    return values[0] if len(values) == 1 else tuple(values)


@register_op(
    "IteratorGetNext",
    inputs=["iterator: resource"],
    outputs=["components: output_types"],
    attrs=_ELEMENT_ATTRS,
    shape=_get_next_shape,
    stateful=True,
)
def iterator_get_next(iterator, output_types):
    return _outputs(list(iterator.get_next()))


@register_op(
    "IteratorGetNextSync",
    inputs=["iterator: resource"],
    outputs=["components: output_types"],
    attrs=_ELEMENT_ATTRS,
    shape=_get_next_shape,
    stateful=True,
)
def iterator_get_next_sync(iterator, output_types):
    return _outputs(list(iterator.get_next()))


@register_op(
    "IteratorToStringHandle",
    inputs=["resource_handle: resource"],
    outputs=["string_handle: string"],
    shape=lambda op: [TensorShape([])],
    stateful=True,
)
def iterator_to_string_handle(resource_handle):
    out = np.empty((), dtype=object)
    out[()] = resource_handle.string_handle
    return out


def _from_string_handle(string_handle, output_types, output_shapes, state):
    handle = np.asarray(string_handle, dtype=object).reshape(()).item()
    resource = state.iterators_by_handle.get(bytes(handle))
    if resource is None:
        raise errors.InvalidArgumentError(
            None, None, "Could not parse string handle as a valid iterator handle of this session"
        )
    if output_types and resource.output_types != list(output_types):
        raise errors.InvalidArgumentError(
            None,
            None,
            f"Iterator output types {_type_list(resource.output_types)} do not match the expected types "
            f"{_type_list(output_types)}",
        )
    return resource


@register_op(
    "IteratorFromStringHandleV2",
    inputs=["string_handle: string"],
    outputs=["resource_handle: resource"],
    attrs=["output_types: list(type) >= 0 = []", "output_shapes: list(shape) >= 0 = []"],
    shape=lambda op: [TensorShape([])],
    stateful=True,
)
def iterator_from_string_handle_v2(string_handle, output_types, output_shapes, state):
    return _from_string_handle(string_handle, output_types, output_shapes, state)


@register_op(
    "IteratorFromStringHandle",
    inputs=["string_handle: string"],
    outputs=["resource_handle: resource"],
    attrs=["output_types: list(type) >= 0 = []", "output_shapes: list(shape) >= 0 = []"],
    shape=lambda op: [TensorShape([])],
    stateful=True,
)
def iterator_from_string_handle(string_handle, output_types, output_shapes, state):
    return _from_string_handle(string_handle, output_types, output_shapes, state)


no_registered_gradient(
    "GeneratorDataset",
    "TensorDataset",
    "TensorSliceDataset",
    "RangeDataset",
    "TFRecordDataset",
    "TFRecordDatasetV2",
    "TextLineDataset",
    "FixedLengthRecordDatasetV2",
    "ZipDataset",
    "ConcatenateDataset",
    "RepeatDataset",
    "TakeDataset",
    "SkipDataset",
    "BatchDataset",
    "BatchDatasetV2",
    "PaddedBatchDatasetV2",
    "ShuffleDataset",
    "ShuffleAndRepeatDataset",
    "PrefetchDataset",
    "CacheDataset",
    "UnbatchDataset",
    "MapDataset",
    "ParallelMapDatasetV2",
    "FilterDataset",
    "FlatMapDataset",
    "InterleaveDataset",
    "ParallelInterleaveDatasetV4",
    "LegacyParallelInterleaveDatasetV2",
    "ScanDataset",
    "MapAndBatchDataset",
    "OptimizeDataset",
    "OptimizeDatasetV2",
    "ModelDataset",
    "IteratorV2",
    "Iterator",
    "OneShotIterator",
    "MakeIterator",
    "IteratorGetNext",
    "IteratorGetNextSync",
    "IteratorToStringHandle",
    "IteratorFromStringHandleV2",
    "IteratorFromStringHandle",
)
