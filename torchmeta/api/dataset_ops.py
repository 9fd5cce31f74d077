"""``tf.data`` in graphs (TF1 API): ``Dataset`` and its transformations, ``Iterator`` (initializable,
reinitializable ``from_structure``, feedable ``from_string_handle``), ``make_initializable_iterator``.

Each method adds the dataset op TensorFlow 2.21 emits in a TF1 graph (TensorSliceDataset,
BatchDatasetV2, ShuffleDataset, ...), with TF's argument Consts (``batch_size``, ``count``,
``seed``/``seed2``...), attrs and static element shapes, so TensorFlow imports and runs these graphs.
Elements are nested structures of tensors: tuples, dicts (sorted by key) and namedtuples are
structures; lists are converted to tensors, as tf.data does.

Transformations taking Python functions (``map``, ``filter``, ``flat_map``, ``interleave``, and the map
TF 2.21 puts before ``unbatch``) build the function into the graph's library as TF does
(``torchmeta.api.structured_function``) and pass the tensors it captures as the op's
``other_arguments``. The file datasets are TF 2.21's too: the file names sliced (``flat_filenames``) and
a one-file reader flat-mapped over them. ``make_one_shot_iterator`` copies the dataset's ops into a
``_make_dataset_<hash>`` factory function as TF's capture-by-value Defun does (the hash is computed
differently from TF's).
"""

from __future__ import annotations

import base64
import hashlib
import threading

import numpy as np

from torchmeta import dtypes, errors
from torchmeta.api import array_ops, math_ops, string_ops
from torchmeta.api.control_flow_assert import Assert
from torchmeta.api.control_flow_util_v2 import add_function
from torchmeta.api.ragged_tensor import RaggedTensor
from torchmeta.api.random_ops import get_seed as graph_get_seed
from torchmeta.api.script_ops import eager_py_func, numpy_function
from torchmeta.api.structured_function import (
    DatasetSpec,
    RaggedTensorSpec,
    StructuredFunctionWrapper,
    TensorSpec,
    flatten,
    is_structure,
    map_structure,
    pack_sequence_as,
    spec_of,
    to_batched_tensor_list,
    trace_with_state,
)
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.constant_op import constant
from torchmeta.framework.function_def_builder import BuildingFuncGraph, graph_to_function_def
from torchmeta.framework.graph import Tensor, colocate_with, convert_to_tensor, name_scope
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.ragged_tensor_value import RaggedTensorValue
from torchmeta.framework.tensor_shape import TensorShape, as_shape, unknown_shape
from torchmeta.framework.tensor_util import (
    MakeNdarray,
    constant_value,
    constant_value_as_shape,
    evaluate_constant_tensor,
    make_tensor_proto,
)

__all__ = [
    "Dataset",
    "Iterator",
    "AUTOTUNE",
    "make_initializable_iterator",
    "make_one_shot_iterator",
    "get_output_types",
    "get_output_shapes",
    "get_output_classes",
    "unbatch",
    "shuffle_and_repeat",
    "scan",
    "map_and_batch",
    "parallel_interleave",
    "TFRecordDataset",
    "TextLineDataset",
    "FixedLengthRecordDataset",
]

AUTOTUNE = -1
GLOBAL_ITERATORS = "iterators"


def _normalize_element(element) -> list:
    components = flatten(element)
    out = []
    with name_scope("normalize_element"):
        for i, t in enumerate(components):
            out.append(t if isinstance(t, (Tensor, RaggedTensor)) else convert_to_tensor(t, name=f"component_{i}"))
    return out


def _shape_attrs(structure) -> list:
    """The dataset ops' output_shapes: a RaggedTensor component is one variant of unknown shape."""
    return [getattr(s, "flat_shape", s.shape).as_proto() for s in flatten(structure)]


def _type_attrs(structure) -> list:
    return [getattr(s, "flat_dtype", s.dtype) for s in flatten(structure)]


def _to_tensor_list(specs, components, batched=False) -> list:
    """The flat tensors the dataset ops carry for ``components`` (RaggedTensors as their variant encodings)."""
    out = []
    for spec, t in zip(specs, components):
        out.extend(spec.to_tensor_list(t, batched) if isinstance(spec, RaggedTensorSpec) else [t])
    return out


def _from_tensor_list(structure, flat) -> list:
    """The components of an element from the flat tensors the dataset ops produce (decoding RaggedTensors)."""
    return [
        spec.from_tensor_list([t]) if isinstance(spec, RaggedTensorSpec) else t
        for spec, t in zip(flatten(structure), flat)
    ]


# ---------------------------------------------------------------------------------------------
# Datasets


class Dataset:
    """``tf.data.Dataset`` in a graph: a variant tensor (the dataset op's output) and its element structure."""

    def __init__(self, variant_tensor, structure, v1=True):
        self._variant_tensor = variant_tensor
        self._structure = structure
        # TF's flavour of this dataset: ``tf.compat.v1.data`` (DatasetV1Adapter, what TF1 code gets) or a
        # DatasetV2 (what DatasetV1 leaves to DatasetV2: ``scan``). ``map`` on a V1 dataset writes
        # preserve_cardinality=false, on a V2 one true, as TF 2.21 does.
        self._v1 = v1

    def _derived(self, variant, structure) -> Dataset:
        """A dataset made by a transformation of this one (TF's DatasetV1 methods keep the flavour)."""
        return Dataset(variant, structure, self._v1)

    # -- element signature --------------------------------------------------------------------------
    @property
    def element_spec(self):
        return self._structure

    @property
    def output_types(self):
        return map_structure(lambda s: s.dtype, self._structure)

    @property
    def output_shapes(self):
        return map_structure(lambda s: s.shape, self._structure)

    @property
    def output_classes(self):
        return map_structure(lambda s: s if isinstance(s, RaggedTensorSpec) else Tensor, self._structure)

    def _common_args(self, structure):
        return {"output_types": _type_attrs(structure), "output_shapes": _shape_attrs(structure), "metadata": b""}

    def _unary(self, op_type, structure, **inputs):
        variant = raw_op(op_type, input_dataset=self._variant_tensor, **inputs, **self._common_args(structure))
        return self._derived(variant, structure)

    # -- sources --------------------------------------------------------------------------------------
    @staticmethod
    def from_tensors(tensors, name=None):
        """A dataset of one element, ``tensors``."""
        components = _normalize_element(tensors)
        specs = [spec_of(t) for t in components]
        structure = pack_sequence_as(tensors, specs) if is_structure(tensors) else specs[0]
        components = _to_tensor_list(specs, components)
        variant = raw_op(
            "TensorDataset",
            components=components,
            output_shapes=_shape_attrs(structure),
            metadata=b"",
        )
        return Dataset(variant, structure)

    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """A dataset of the slices of ``tensors`` along their first dimension.

        Raises:
          ValueError: for an empty structure or components of different first dimensions.
        """
        components = _normalize_element(tensors)
        if not components:
            raise ValueError("Invalid `element`. `element` should not be empty.")
        batch_dim = components[0].shape.with_rank_at_least(1).dims[0]
        for t in components[1:]:
            batch_dim.assert_is_compatible_with(t.shape.with_rank_at_least(1).dims[0])
        batched_specs = [spec_of(t) for t in components]
        specs = [s.unbatch() for s in batched_specs]
        structure = pack_sequence_as(tensors, specs) if is_structure(tensors) else specs[0]
        components = _to_tensor_list(batched_specs, components, batched=True)
        variant = raw_op(
            "TensorSliceDataset",
            components=components,
            output_shapes=_shape_attrs(structure),
            is_files=False,
            metadata=b"",
        )
        return Dataset(variant, structure)

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None, output_signature=None, name=None):
        """A dataset of the elements ``generator(*args)`` yields, in this process (TF's from_generator_op.py node for
        node: a TensorDataset of 0 flat-mapped to a GeneratorDataset whose three functions call PyFuncs: one
        starts a pass (an iterator id), one takes the next element, one ends the pass). Nothing is pickled.

        Args:
          generator: a callable returning an iterable; called once per pass (each iterator, each repeat).
          output_types: a (nested) structure of dtypes (or ``output_signature``).
          output_shapes: the matching structure of shapes (unknown when left out).
          args: tensors (or values) evaluated per pass and passed as numpy values.
          output_signature: a (nested) structure of ``TensorSpec``s instead of types and shapes.

        Raises:
          TypeError: for a non-callable ``generator`` or a missing or doubly given signature (TF's messages).
          At run time, an element that does not match the signature fails ``get_next`` with TF's
          InvalidArgumentError ("`generator` yielded an element ..."); the iterator then goes on.
        """
        if not callable(generator):
            raise TypeError("`generator` must be a Python callable.")
        if output_signature is not None:
            if output_types is not None:
                raise TypeError(
                    "The `output_types` argument can not be used together with the `output_signature` argument."
                )
            if output_shapes is not None:
                raise TypeError(
                    "The `output_shapes` argument can not be used together with the `output_signature` argument."
                )
            for spec in flatten(output_signature):
                if not isinstance(spec, (TensorSpec, RaggedTensorSpec)):
                    raise TypeError(
                        "`output_signature` must contain objects that are subclass of `tf.TypeSpec` but found "
                        f"{type(spec)} which is not."
                    )
        elif output_types is None:
            raise TypeError(
                "To specify the output signature you need to provide either the `output_signature` argument or "
                "the `output_types` argument."
            )
        if output_signature is None:
            flat_types = [dtypes.as_dtype(t) for t in flatten(output_types)]
            if output_shapes is None:
                flat_shapes = [unknown_shape() for _ in flat_types]
            else:
                flat_shapes = [as_shape(sh) for sh in _strict_flatten(output_types, output_shapes)]
            output_signature = pack_sequence_as(
                output_types, [TensorSpec(sh, t) for sh, t in zip(flat_shapes, flat_types)]
            )
        output_types = map_structure(lambda spec: spec.dtype, output_signature)
        args = () if args is None else tuple(convert_to_tensor(a, name="args") for a in args)
        state = _GeneratorState(generator)
        # TF's test `output_types and output_shapes`: a signature of TensorSpecs takes the numpy_function path,
        # but a single component of unknown shape (TensorShape(None) is falsy) and any RaggedTensorSpec take its
        # eager one (EagerPyFunc; the element normalized as tf.data does, ragged components as variants)
        eager = not _has_shapes(output_signature) or any(
            isinstance(spec, RaggedTensorSpec) for spec in flatten(output_signature)
        )

        def get_iterator_id_fn(unused_dummy):
            return numpy_function(state.get_next_id, list(args), DType.int64)

        def generator_next_fn(iterator_id_t):
            specs = flatten(output_signature)
            if eager:

                def eager_generator_py_func(iterator_id):
                    with graph_lib.Graph().as_default():  # TF runs the generator's ops eagerly: here as constants
                        values = next(state.get_iterator(iterator_id))
                        return _normalize_generated(values, output_signature, specs)

                flat_types = [DType.variant if isinstance(spec, RaggedTensorSpec) else spec.dtype for spec in specs]
                return eager_py_func(eager_generator_py_func, [iterator_id_t], flat_types)

            def generator_py_func(iterator_id):
                values = next(state.get_iterator(iterator_id))
                return _check_typed(values, output_types, output_signature, specs)

            flat_values = numpy_function(generator_py_func, [iterator_id_t], [spec.dtype for spec in specs])
            for t, spec in zip(flat_values, specs):
                t.set_shape(spec.shape)
            return pack_sequence_as(output_types, flat_values)

        def finalize_fn(iterator_id_t):
            def finalize_py_func(iterator_id):
                state.iterator_completed(iterator_id)
                return np.array(0, dtype=np.int64)

            return numpy_function(finalize_py_func, [iterator_id_t], DType.int64)

        def flat_map_fn(dummy_arg):
            return _generator_dataset(dummy_arg, get_iterator_id_fn, generator_next_fn, finalize_fn, output_signature)

        return Dataset.from_tensors(0).flat_map(flat_map_fn)

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None, name=None):
        """A dataset of the file names matching ``file_pattern`` (a glob, or a list of them), sorted, then shuffled
        unless ``shuffle=False`` (MatchingFiles, its "No files matched pattern" Assert and a TensorSliceDataset
        with ``is_files``, as TF builds them). Matching runs when the iterator is initialized."""
        with name_scope("list_files"):
            if shuffle is None:
                shuffle = True
            file_pattern = convert_to_tensor(file_pattern, dtype=DType.string, name="file_pattern")
            matching_files = raw_op("MatchingFiles", pattern=file_pattern)
            condition = math_ops.greater(array_ops.shape(matching_files)[0], 0, name="match_not_empty")
            message = math_ops.add(
                "No files matched pattern: ", string_ops.reduce_join(file_pattern, separator=", "), name="message"
            )
            assert_not_empty = Assert(condition, [message], summarize=1, name="assert_not_empty")
            with graph_lib.control_dependencies([assert_not_empty]):
                matching_files = array_ops.identity(matching_files)
            spec = spec_of(matching_files).unbatch()
            variant = raw_op(
                "TensorSliceDataset",
                components=[matching_files],
                output_shapes=[spec.shape.as_proto()],
                is_files=True,
                metadata=b"",
            )
            dataset = Dataset(variant, spec)
            if shuffle:
                # the buffer must be positive though the list may be empty (TF's note)
                buffer_size = math_ops.maximum(array_ops.shape(matching_files, out_type=DType.int64)[0], 1)
                dataset = dataset.shuffle(buffer_size, seed=seed, name=name)
            return dataset

    @staticmethod
    def range(*args, output_type=DType.int64, name=None):
        """``Dataset.range([start,] stop[, step])``: integers as Python's range."""
        if len(args) == 1:
            start, stop, step = 0, args[0], 1
        elif len(args) == 2:
            start, stop, step = args[0], args[1], 1
        elif len(args) == 3:
            start, stop, step = args
        else:
            raise ValueError(f"Invalid `args`. The length of `args` should be between 1 and 3 but was {len(args)}.")
        start = convert_to_tensor(start, dtype=DType.int64, name="start")
        stop = convert_to_tensor(stop, dtype=DType.int64, name="stop")
        step = convert_to_tensor(step, dtype=DType.int64, name="step")
        output_type = dtypes.as_dtype(output_type)
        structure = TensorSpec(TensorShape([]), output_type)
        variant = raw_op(
            "RangeDataset",
            start=start,
            stop=stop,
            step=step,
            output_types=[output_type],
            output_shapes=[TensorShape([]).as_proto()],
            metadata=b"",
        )
        return Dataset(variant, structure)

    @staticmethod
    def zip(datasets, name=None):
        """Elements combining the elements of ``datasets`` (a tuple or dict of datasets).

        Raises:
          TypeError: for a list (as tf.data) or non-dataset inputs.
        """
        for ds in flatten(datasets):
            if not isinstance(ds, Dataset):
                if isinstance(ds, list):
                    raise TypeError(
                        "Invalid input to `zip`. Inputs are expected to be (nested) structures of `tf.data.Dataset` "
                        "objects. Python `list` is not supported and you should use `tuple` instead."
                    )
                raise TypeError(
                    "Invalid input to `zip`. Inputs are expected to be (nested) structures of `tf.data.Dataset` "
                    f"objects but encountered object of type {type(ds)}."
                )
        flat = flatten(datasets)
        structure = pack_sequence_as(datasets, [ds.element_spec for ds in flat])
        variant = raw_op(
            "ZipDataset",
            input_datasets=[ds._variant_tensor for ds in flat],
            output_types=_type_attrs(structure),
            output_shapes=_shape_attrs(structure),
            metadata=b"",
        )
        return Dataset(variant, structure)

    # -- transformations --------------------------------------------------------------------------------
    def concatenate(self, dataset, name=None):
        """This dataset's elements, then ``dataset``'s (same structure and dtypes).

        Raises:
          TypeError: if the element structures or dtypes differ.
        """
        mine, theirs = flatten(self._structure), flatten(dataset.element_spec)
        if len(mine) != len(theirs) or any(a.dtype is not b.dtype for a, b in zip(mine, theirs)):
            raise TypeError(f"Incompatible dataset elements:\n  {self._structure} vs.   {dataset.element_spec}")
        common = [
            TensorSpec(
                TensorShape(
                    None
                    if a.shape.rank is None or b.shape.rank is None or a.shape.rank != b.shape.rank
                    else [x if x == y else None for x, y in zip(a.shape.as_list(), b.shape.as_list())]
                ),
                a.dtype,
            )
            for a, b in zip(mine, theirs)
        ]
        structure = pack_sequence_as(self._structure, common)
        variant = raw_op(
            "ConcatenateDataset",
            input_dataset=self._variant_tensor,
            another_dataset=dataset._variant_tensor,
            output_types=_type_attrs(structure),
            output_shapes=_shape_attrs(structure),
            metadata=b"",
        )
        return self._derived(variant, structure)

    def repeat(self, count=None, name=None):
        """Repeats this dataset ``count`` times (forever when None or -1)."""
        if count is None:
            count = constant(-1, dtype=DType.int64, name="count")
        else:
            count = convert_to_tensor(count, dtype=DType.int64, name="count")
        return self._unary("RepeatDataset", self._structure, count=count)

    def take(self, count, name=None):
        """The first ``count`` elements (all when -1)."""
        return self._unary(
            "TakeDataset", self._structure, count=convert_to_tensor(count, dtype=DType.int64, name="count")
        )

    def skip(self, count, name=None):
        """All but the first ``count`` elements (none when -1)."""
        return self._unary(
            "SkipDataset", self._structure, count=convert_to_tensor(count, dtype=DType.int64, name="count")
        )

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None, deterministic=None, name=None):
        """Consecutive elements stacked into batches of ``batch_size`` (the last one smaller unless dropped)."""
        if num_parallel_calls is not None:
            raise ValueError("batch(num_parallel_calls=...) (ParallelBatchDataset) is not supported by torchmeta")
        batch_size = convert_to_tensor(batch_size, dtype=DType.int64, name="batch_size")
        drop_remainder = convert_to_tensor(drop_remainder, dtype=DType.bool, name="drop_remainder")
        size = constant_value(batch_size) if constant_value(drop_remainder) else None
        structure = map_structure(lambda s: s.batch(None if size is None else int(size)), self._structure)
        variant = raw_op(
            "BatchDatasetV2",
            input_dataset=self._variant_tensor,
            batch_size=batch_size,
            drop_remainder=drop_remainder,
            parallel_copy=False,
            **self._common_args(structure),
        )
        return self._derived(variant, structure)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None, drop_remainder=False, name=None):
        """Batches whose components are padded (with ``padding_values``, default 0 / b"") to ``padded_shapes``
        (default: the longest in each batch).

        Raises:
          TypeError: for RaggedTensor components (TF's message).
        """
        for spec in flatten(self._structure):
            if isinstance(spec, RaggedTensorSpec):
                raise TypeError(
                    "`padded_batch` is only supported for datasets that produce tensor elements but type spec of "
                    f"elements in the input dataset is not a subclass of TensorSpec: `{spec}`."
                )
        batch_size = convert_to_tensor(batch_size, dtype=DType.int64, name="batch_size")
        input_shapes = self.output_shapes
        if padded_shapes is None:
            padded_shapes = input_shapes
        flat_inputs = flatten(self._structure)
        flat_padded = flatten(padded_shapes) if is_structure(input_shapes) else [padded_shapes]
        shape_tensors = []
        for spec, padded in zip(flat_inputs, flat_padded):
            if isinstance(padded, Tensor):
                shape_tensors.append(padded)
                continue
            padded_shape = as_shape(padded)
            if not _padded_shape_fits(padded_shape, spec.shape):
                raise ValueError(
                    f"The padded shape {padded_shape} is not compatible with the shape {spec.shape} of the "
                    "corresponding input component."
                )
            shape_tensors.append(
                convert_to_tensor([d if d is not None else -1 for d in padded_shape.as_list()], dtype=DType.int64)
            )
        if padding_values is None:
            flat_values = [None] * len(flat_inputs)
        elif is_structure(input_shapes) and not is_structure(padding_values):
            flat_values = [padding_values] * len(flat_inputs)
        else:
            flat_values = flatten(padding_values) if is_structure(input_shapes) else [padding_values]
        value_tensors = []
        for spec, value in zip(flat_inputs, flat_values):
            if value is None:
                value = "" if spec.dtype is DType.string else np.zeros([], spec.dtype.numpy)
            value = convert_to_tensor(value, name="padding_value")
            if value.shape.rank not in (None, 0):
                raise ValueError(
                    f"Invalid `padding_values`. `padding_values` values should be scalars, but got {value.shape}."
                )
            if value.dtype.base_dtype is not spec.dtype:
                raise TypeError(
                    f"Invalid `padding_values`. `padding_values` values type {value.dtype.base_dtype} does not match "
                    f"type {spec.dtype} of the corresponding input component."
                )
            value_tensors.append(value)
        drop_remainder = convert_to_tensor(drop_remainder, dtype=DType.bool, name="drop_remainder")
        size = constant_value(batch_size) if constant_value(drop_remainder) else None
        specs = [
            TensorSpec(
                TensorShape([None if size is None else int(size)]).concatenate(constant_value_as_shape(t)), s.dtype
            )
            for t, s in zip(shape_tensors, flat_inputs)
        ]
        structure = pack_sequence_as(self._structure, specs) if is_structure(self._structure) else specs[0]
        variant = raw_op(
            "PaddedBatchDatasetV2",
            input_dataset=self._variant_tensor,
            batch_size=batch_size,
            padded_shapes=shape_tensors,
            padding_values=value_tensors,
            drop_remainder=drop_remainder,
            parallel_copy=False,
            output_shapes=_shape_attrs(structure),
            metadata=b"",
        )
        return self._derived(variant, structure)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None, name=None):
        """Elements drawn at random from a buffer of ``buffer_size`` (seeded: the same order on every run)."""
        if reshuffle_each_iteration is None:
            reshuffle_each_iteration = True
        buffer_size = convert_to_tensor(buffer_size, dtype=DType.int64, name="buffer_size")
        seed, seed2 = _dataset_seeds(seed)
        return self._unary(
            "ShuffleDataset",
            self._structure,
            buffer_size=buffer_size,
            seed=seed,
            seed2=seed2,
            reshuffle_each_iteration=reshuffle_each_iteration,
        )

    def prefetch(self, buffer_size, name=None):
        """Produces up to ``buffer_size`` elements ahead on a background thread (AUTOTUNE: -1)."""
        if buffer_size is None:
            buffer_size = AUTOTUNE
        size = convert_to_tensor(buffer_size, dtype=DType.int64, name="buffer_size")
        with colocate_with(self._variant_tensor.op):
            variant = raw_op(
                "PrefetchDataset",
                input_dataset=self._variant_tensor,
                buffer_size=size,
                legacy_autotune=buffer_size == AUTOTUNE,
                **self._common_args(self._structure),
            )
        return self._derived(variant, self._structure)

    def cache(self, filename="", name=None):
        """Keeps the elements of the first pass in memory for the next ones (a file cache is not supported)."""
        filename = convert_to_tensor(filename, dtype=DType.string, name="filename")
        return self._unary("CacheDataset", self._structure, filename=filename)

    def apply(self, transformation_func):
        """``transformation_func(self)``, e.g. ``tf.data.experimental.unbatch()``."""
        dataset = transformation_func(self)
        if not isinstance(dataset, Dataset):
            raise TypeError(f"`transformation_func` must return a `tf.data.Dataset` object. Got {type(dataset)}.")
        if self._v1 and not dataset._v1:  # DatasetV1.apply wraps what it returns in a DatasetV1Adapter
            dataset = Dataset(dataset._variant_tensor, dataset._structure)
        return dataset

    def unbatch(self, name=None):
        """Splits each element along its first dimension (after TF's normalizing map, as TF 2.21 builds it).

        Raises:
          ValueError: for scalar components or components of different known first dimensions.
        """
        specs = flatten(self._structure)
        if any(s.shape.rank == 0 for s in specs):
            raise ValueError("Cannot unbatch an input with scalar components.")
        known = None
        for s in specs:
            first = s.shape.dims[0] if s.shape.rank else None
            if first is not None and known is not None and first != known:
                raise ValueError(
                    "`unbatch()` is only supported for datasets of elements whose components have a matching "
                    f"leading dimension. Encountered both {known} and {first}."
                )
            known = first if first is not None else known
        structure = map_structure(lambda s: s.unbatch(), self._structure)
        if type(self._structure) is tuple:

            def normalize(*args):
                return to_batched_tensor_list(self._structure, args)

        else:

            def normalize(arg):
                return to_batched_tensor_list(self._structure, arg)

        normalized = self.map(normalize)
        variant = raw_op("UnbatchDataset", input_dataset=normalized._variant_tensor, **self._common_args(structure))
        return self._derived(variant, structure)

    # -- transformations with functions -----------------------------------------------------------------
    def _function(self, func, transformation_name):
        return StructuredFunctionWrapper(func, transformation_name, self._structure)

    def map(
        self,
        map_func,
        num_parallel_calls=None,
        deterministic=None,
        synchronous=None,
        use_unbounded_threadpool=None,
        name=None,
    ):
        """``map_func`` applied to each element (a graph function: MapDataset, or ParallelMapDatasetV2 with
        ``num_parallel_calls``; the elements and their order are the same). A ``tf.compat.v1.data`` dataset
        writes ``preserve_cardinality=false`` as TF's DatasetV1.map does."""
        if num_parallel_calls is not None and synchronous:
            raise ValueError(
                "`synchronous` is not supported with `num_parallel_calls`, but `num_parallel_calls` was set to ",
                num_parallel_calls,
            )
        fn = self._function(map_func, "Dataset.map()")
        structure = fn.output_structure
        if num_parallel_calls is None:
            variant = raw_op(
                "MapDataset",
                input_dataset=self._variant_tensor,
                other_arguments=fn.captured_inputs,
                f=fn.function,
                use_inter_op_parallelism=True,
                preserve_cardinality=not self._v1,
                force_synchronous=bool(synchronous),
                **self._common_args(structure),
            )
        else:
            variant = raw_op(
                "ParallelMapDatasetV2",
                input_dataset=self._variant_tensor,
                other_arguments=fn.captured_inputs,
                num_parallel_calls=convert_to_tensor(num_parallel_calls, dtype=DType.int64, name="num_parallel_calls"),
                f=fn.function,
                deterministic=_deterministic(deterministic),
                use_inter_op_parallelism=True,
                preserve_cardinality=not self._v1,
                use_unbounded_threadpool=bool(use_unbounded_threadpool),
                **self._common_args(structure),
            )
        return self._derived(variant, structure)

    def filter(self, predicate, name=None):
        """The elements for which ``predicate`` (a graph function returning a scalar bool) holds.

        Raises:
          ValueError: if ``predicate`` does not return a scalar bool tensor.
        """
        fn = self._function(predicate, "Dataset.filter()")
        out = fn.output_structure
        if not (
            isinstance(out, TensorSpec) and out.dtype is DType.bool and out.shape.is_compatible_with(TensorShape([]))
        ):
            raise ValueError(
                f"Invalid `predicate`. `predicate` must return a `tf.bool` scalar tensor, but its return type is {out}."
            )
        variant = raw_op(
            "FilterDataset",
            input_dataset=self._variant_tensor,
            other_arguments=fn.captured_inputs,
            predicate=fn.function,
            **self._common_args(self._structure),
        )
        return self._derived(variant, self._structure)

    def reduce(self, initial_state, reduce_func, name=None):
        """The state ``reduce_func(state, element)`` leaves after every element, from ``initial_state``
        (ReduceDataset, which runs the whole dataset when the result is computed).

        Raises:
          TypeError: if the new state's dtypes differ from the initial state's.
        """
        with name_scope("initial_state"):
            flat_state = _normalize_element(initial_state)
        state_structure = _structure_of(initial_state, flat_state)
        fn, state_structure, _ = trace_with_state(
            reduce_func, "reduce()", state_structure, self._structure, lambda out: (out, None)
        )
        flat = raw_op(
            "ReduceDataset",
            input_dataset=self._variant_tensor,
            initial_state=flat_state,
            other_arguments=fn.captured_inputs,
            f=fn.function,
            output_types=_type_attrs(state_structure),
            output_shapes=_shape_attrs(state_structure),
            metadata=b"",
        )
        flat = list(flat) if isinstance(flat, (list, tuple)) else [flat]
        return pack_sequence_as(state_structure, flat)

    def scan(self, initial_state, scan_func, name=None):
        """``scan_func(state, element) -> (new_state, output)`` over the elements: the outputs, in order
        (ScanDataset).

        Raises:
          TypeError: if ``scan_func`` does not return a pair or changes the state's dtypes.
        """
        flat_state = _normalize_element(initial_state)
        state_structure = _structure_of(initial_state, flat_state)

        def split(out):
            if not (isinstance(out, tuple) and len(out) == 2):
                raise TypeError(
                    "Invalid `scan_func`. `scan_func` should return a pair consisting of new state and the output "
                    f"value but its return type is {out}."
                )
            return out

        fn, state_structure, element_structure = trace_with_state(
            scan_func, "Dataset.scan()", state_structure, self._structure, split
        )
        variant = raw_op(
            "ScanDataset",
            input_dataset=self._variant_tensor,
            initial_state=flat_state,
            other_arguments=fn.captured_inputs,
            f=fn.function,
            preserve_cardinality=True,
            **self._common_args(element_structure),
        )
        return Dataset(variant, element_structure, v1=False)  # DatasetV1 leaves scan to DatasetV2

    def _map_and_batch(self, map_func, batch_size, num_parallel_calls, drop_remainder):
        fn = self._function(map_func, "tf.data.experimental.map_and_batch()")
        batch_size = convert_to_tensor(batch_size, dtype=DType.int64, name="batch_size")
        num_parallel_calls = convert_to_tensor(num_parallel_calls, dtype=DType.int64, name="num_parallel_calls")
        drop_remainder = convert_to_tensor(drop_remainder, dtype=DType.bool, name="drop_remainder")
        size = constant_value(batch_size) if constant_value(drop_remainder) else None
        structure = map_structure(lambda s: s.batch(None if size is None else int(size)), fn.output_structure)
        variant = raw_op(
            "MapAndBatchDataset",
            input_dataset=self._variant_tensor,
            other_arguments=fn.captured_inputs,
            f=fn.function,
            batch_size=batch_size,
            num_parallel_calls=num_parallel_calls,
            drop_remainder=drop_remainder,
            preserve_cardinality=True,
            **self._common_args(structure),
        )
        return self._derived(variant, structure)

    def _dataset_function(self, map_func, transformation_name):
        fn = self._function(map_func, transformation_name)
        if not isinstance(fn.output_structure, DatasetSpec):
            raise TypeError(
                f"The `map_func` argument must return a `Dataset` object. Got {type(fn.output_structure).__name__!r}."
            )
        return fn, fn.output_structure.element_spec

    def flat_map(self, map_func, name=None):
        """The elements of the datasets ``map_func`` returns for each element, one dataset after the other."""
        fn, structure = self._dataset_function(map_func, "Dataset.flat_map()")
        variant = raw_op(
            "FlatMapDataset",
            input_dataset=self._variant_tensor,
            other_arguments=fn.captured_inputs,
            f=fn.function,
            **self._common_args(structure),
        )
        return self._derived(variant, structure)

    def interleave(
        self, map_func, cycle_length=None, block_length=None, num_parallel_calls=None, deterministic=None, name=None
    ):
        """The elements of the datasets ``map_func`` returns, ``block_length`` at a time from ``cycle_length``
        of them in turn (InterleaveDataset, or ParallelInterleaveDatasetV4 with ``num_parallel_calls``; the
        order is the same)."""
        if block_length is None:
            block_length = 1
        if cycle_length is None:
            cycle_length = AUTOTUNE
        fn, structure = self._dataset_function(map_func, "Dataset.interleave()")
        cycle_length = convert_to_tensor(cycle_length, dtype=DType.int64, name="cycle_length")
        block_length = convert_to_tensor(block_length, dtype=DType.int64, name="block_length")
        if num_parallel_calls is None:
            variant = raw_op(
                "InterleaveDataset",
                input_dataset=self._variant_tensor,
                other_arguments=fn.captured_inputs,
                cycle_length=cycle_length,
                block_length=block_length,
                f=fn.function,
                **self._common_args(structure),
            )
            return self._derived(variant, structure)
        variant = raw_op(
            "ParallelInterleaveDatasetV4",
            input_dataset=self._variant_tensor,
            other_arguments=fn.captured_inputs,
            cycle_length=cycle_length,
            block_length=block_length,
            buffer_output_elements=convert_to_tensor(AUTOTUNE, dtype=DType.int64, name="buffer_output_elements"),
            prefetch_input_elements=convert_to_tensor(AUTOTUNE, dtype=DType.int64, name="prefetch_input_elements"),
            num_parallel_calls=convert_to_tensor(num_parallel_calls, dtype=DType.int64, name="num_parallel_calls"),
            f=fn.function,
            deterministic=_deterministic(deterministic),
            **self._common_args(structure),
        )
        return self._derived(variant, structure)

    def _parallel_interleave(
        self,
        map_func,
        cycle_length,
        block_length,
        sloppy=False,
        buffer_output_elements=None,
        prefetch_input_elements=None,
    ):
        """TF's readers.ParallelInterleaveDataset (tf.data.experimental.parallel_interleave): a
        LegacyParallelInterleaveDatasetV2 whose output buffers default to 2 * block_length elements and whose
        prefetched inputs default to 2 * cycle_length."""
        fn, structure = self._dataset_function(map_func, "tf.data.experimental.parallel_interleave()")
        cycle = convert_to_tensor(cycle_length, dtype=DType.int64, name="cycle_length")
        block = convert_to_tensor(block_length, dtype=DType.int64, name="block_length")
        if buffer_output_elements is None:
            buffer_output_elements = 2 * block_length
        if prefetch_input_elements is None:
            prefetch_input_elements = 2 * cycle_length
        variant = raw_op(
            "LegacyParallelInterleaveDatasetV2",
            input_dataset=self._variant_tensor,
            other_arguments=fn.captured_inputs,
            cycle_length=cycle,
            block_length=block,
            buffer_output_elements=convert_to_tensor(
                buffer_output_elements, dtype=DType.int64, name="buffer_output_elements"
            ),
            prefetch_input_elements=convert_to_tensor(
                prefetch_input_elements, dtype=DType.int64, name="prefetch_input_elements"
            ),
            f=fn.function,
            deterministic="default" if sloppy is None else ("false" if sloppy else "true"),
            **self._common_args(structure),
        )
        return self._derived(variant, structure)

    def _shuffle_and_repeat(self, buffer_size, count, seed):
        buffer_size = convert_to_tensor(buffer_size, dtype=DType.int64, name="buffer_size")
        if count is None:
            count = constant(-1, dtype=DType.int64, name="count")
        else:
            count = convert_to_tensor(count, dtype=DType.int64, name="count")
        seed, seed2 = _dataset_seeds(seed)
        return self._unary(
            "ShuffleAndRepeatDataset", self._structure, buffer_size=buffer_size, seed=seed, seed2=seed2, count=count
        )

    # -- TF1 iterators ------------------------------------------------------------------------------------
    def make_initializable_iterator(self, shared_name=None):
        return make_initializable_iterator(self, shared_name)

    def make_one_shot_iterator(self):
        return make_one_shot_iterator(self)

    def __iter__(self):
        raise RuntimeError(
            "`tf.data.Dataset` only supports Python-style iteration in eager mode or within tf.function."
        )


def _structure_of(value, flat_tensors):
    """The specs of a normalized element (``value``'s structure, its tensors' shapes and dtypes)."""
    specs = [spec_of(t) for t in flat_tensors]
    return pack_sequence_as(value, specs) if is_structure(value) else specs[0]


def _deterministic(deterministic) -> str:
    return "default" if deterministic is None else ("true" if deterministic else "false")


def _padded_shape_fits(padded, shape) -> bool:
    if padded.rank is None or shape.rank is None:
        return True
    if padded.rank != shape.rank:
        return False
    return all(p is None or d is None or p >= d for p, d in zip(padded.as_list(), shape.as_list()))


_DEFAULT_READER_BUFFER = 256 * 1024
_DEFAULT_TF_RECORD_BUFFER = -1  # the reader's own default


def _optional_param(name, value, default, dtype=DType.int64):
    """tf.data's convert.optional_param_to_tensor: the value, or the default as a Const named ``name``."""
    if value is not None:
        return convert_to_tensor(value, dtype=dtype, name=name)
    return constant(default, dtype=dtype, name=name)


def _filenames_dataset(filenames):
    """TF's _create_or_validate_filenames_dataset: a dataset of scalar file names (``flat_filenames`` sliced).

    Raises:
      TypeError: for file names that are not strings, or a dataset of non-scalar or non-string elements.
    """
    if isinstance(filenames, Dataset):
        spec = filenames.element_spec
        if not isinstance(spec, TensorSpec) or spec.dtype is not DType.string:
            raise TypeError(
                "The `filenames` argument must contain `tf.string` elements. Got a dataset of "
                f"`{filenames.output_types!r}` elements."
            )
        if not spec.shape.is_compatible_with(TensorShape([])):
            raise TypeError(
                "The `filenames` argument must contain `tf.string` elements of shape [] (i.e. scalars). Got a "
                f"dataset of element shape {spec.shape!r}."
            )
        return filenames

    def fspath(f):
        return f if isinstance(f, (str, bytes)) or not hasattr(f, "__fspath__") else f.__fspath__()

    if isinstance(filenames, (list, tuple)):
        filenames = [fspath(f) for f in filenames]
    else:
        filenames = fspath(filenames)
    if not isinstance(filenames, Tensor):
        filenames = convert_to_tensor(filenames, dtype=DType.string)
    if filenames.dtype.base_dtype is not DType.string:
        raise TypeError(
            f"The `filenames` argument must contain `tf.string` elements. Got `{filenames.dtype.base_dtype!r}` "
            "elements."
        )
    filenames = array_ops.reshape(filenames, [-1], name="flat_filenames")
    variant = raw_op(
        "TensorSliceDataset",
        components=[filenames],
        output_shapes=[TensorShape([]).as_proto()],
        is_files=True,
        metadata=b"",
    )
    return Dataset(variant, TensorSpec(TensorShape([]), DType.string))


def _read_files(filenames, creator, num_parallel_reads, dataset_name):
    """TF's _create_dataset_reader: ``creator(file name)`` flat-mapped over the file names, interleaved with
    ``num_parallel_reads=AUTOTUNE``, and with ``num_parallel_reads=N`` read N files at a time by TF's
    ParallelInterleaveDataset (LegacyParallelInterleaveDatasetV2, block_length 1, not sloppy)."""
    filenames = _filenames_dataset(filenames)

    def read_one_file(filename):
        filename = convert_to_tensor(filename, dtype=DType.string, name="filename")
        return creator(filename)

    if num_parallel_reads is None:
        return filenames.flat_map(read_one_file)
    if isinstance(num_parallel_reads, int) and num_parallel_reads == AUTOTUNE:
        return filenames.interleave(read_one_file, num_parallel_calls=num_parallel_reads)
    return filenames._parallel_interleave(read_one_file, num_parallel_reads, 1, sloppy=False)


def _string_dataset(variant):
    return Dataset(variant, TensorSpec(TensorShape([]), DType.string))


def TFRecordDataset(filenames, compression_type=None, buffer_size=None, num_parallel_reads=None, name=None):
    """``tf.data.TFRecordDataset``: the records of the files, in order ("" / "ZLIB" / "GZIP" compression).

    ``filenames`` is a string, a list or vector of them, or a dataset of scalar file names; as TF 2.21, each
    file is read by a one-file TFRecordDataset in a flat_map (an interleave with ``num_parallel_reads=AUTOTUNE``,
    a LegacyParallelInterleaveDatasetV2 reading N files at a time with ``num_parallel_reads=N``).
    """

    def creator(filename):
        compression = _optional_param("compression_type", compression_type, "", DType.string)
        buffer = _optional_param("buffer_size", buffer_size, _DEFAULT_TF_RECORD_BUFFER)
        return _string_dataset(
            raw_op(
                "TFRecordDataset", filenames=filename, compression_type=compression, buffer_size=buffer, metadata=b""
            )
        )

    return _read_files(filenames, creator, num_parallel_reads, "TFRecordDataset")


def TextLineDataset(filenames, compression_type=None, buffer_size=None, num_parallel_reads=None, name=None):
    """``tf.data.TextLineDataset``: the lines of the files (without their line ends), one file after the other."""

    def creator(filename):
        compression = _optional_param("compression_type", compression_type, "", DType.string)
        buffer = _optional_param("buffer_size", buffer_size, _DEFAULT_READER_BUFFER)
        return _string_dataset(
            raw_op(
                "TextLineDataset", filenames=filename, compression_type=compression, buffer_size=buffer, metadata=b""
            )
        )

    return _read_files(filenames, creator, num_parallel_reads, "TextLineDataset")


def FixedLengthRecordDataset(
    filenames,
    record_bytes,
    header_bytes=None,
    footer_bytes=None,
    buffer_size=None,
    compression_type=None,
    num_parallel_reads=None,
    name=None,
):
    """``tf.data.FixedLengthRecordDataset``: records of ``record_bytes`` between a header and a footer."""

    def creator(filename):
        record = convert_to_tensor(record_bytes, dtype=DType.int64, name="record_bytes")
        header = _optional_param("header_bytes", header_bytes, 0)
        footer = _optional_param("footer_bytes", footer_bytes, 0)
        buffer = _optional_param("buffer_size", buffer_size, _DEFAULT_READER_BUFFER)
        compression = _optional_param("compression_type", compression_type, "", DType.string)
        return _string_dataset(
            raw_op(
                "FixedLengthRecordDatasetV2",
                filenames=filename,
                header_bytes=header,
                record_bytes=record,
                footer_bytes=footer,
                buffer_size=buffer,
                compression_type=compression,
                metadata=b"",
            )
        )

    return _read_files(filenames, creator, num_parallel_reads, "FixedLengthRecordDataset")


class _GeneratorState:
    """TF's DatasetV2._GeneratorState: ``generator``'s iterators by iterator id (one per pass over the dataset,
    several at once for concurrent iterators), each made at the pass's first element."""

    def __init__(self, generator):
        self._generator = generator
        self._lock = threading.Lock()
        self._next_id = 0
        self._args = {}
        self._iterators = {}

    def get_next_id(self, *args):
        with self._lock:
            ret = self._next_id
            self._next_id += 1
        self._args[ret] = args
        return np.array(ret, dtype=np.int64)

    def get_iterator(self, iterator_id):
        iterator_id = int(iterator_id)
        try:
            return self._iterators[iterator_id]
        except KeyError:
            iterator = iter(self._generator(*self._args.pop(iterator_id)))
            self._iterators[iterator_id] = iterator
            return iterator

    def iterator_completed(self, iterator_id):
        del self._iterators[int(iterator_id)]


def _has_shapes(signature) -> bool:
    """TF's ``output_types and output_shapes``: false only for a single component of unknown shape."""
    return is_structure(signature) or signature.shape.rank is not None


def _strict_flatten(types, values) -> list:
    """``values`` flattened as deep as ``types`` (TF's flatten_up_to): a tuple needs a sequence of its length, a
    dict a mapping with its keys."""
    if isinstance(types, tuple):
        if not isinstance(values, (tuple, list)):
            raise TypeError(f"If shallow structure is a sequence, input must also be a sequence. Input has type: "
                            f"'{type(values).__name__}'.")  # fmt: skip
        if len(values) != len(types):
            raise ValueError(f"The two structures don't have the same sequence length. Input structure has length "
                             f"{len(values)}, while shallow structure has length {len(types)}.")  # fmt: skip
        return [v for t, x in zip(types, values) for v in _strict_flatten(t, x)]
    if isinstance(types, dict):
        if not isinstance(values, dict) or set(values) != set(types):
            raise ValueError(f"The two structures don't have the same keys: {sorted(types)}, {values!r}")
        return [v for k in sorted(types) for v in _strict_flatten(types[k], values[k])]
    return [values]


def _as_array(value, dtype: DType) -> np.ndarray:
    """TF's FuncRegistry._convert with the component's numpy dtype; text becomes bytes."""
    result = np.asarray(value, dtype=dtype.as_numpy_dtype, order="C")
    if dtype == DType.string:
        return np.vectorize(lambda x: x.encode("utf8") if isinstance(x, str) else x, otypes=[object])(result)
    return result


def _check_typed(values, output_types, signature, specs) -> list:
    """TF's generator_py_func for a signature of types and shapes: each component converted to its numpy
    dtype, then its shape checked."""
    try:
        flat = _strict_flatten(output_types, values)
    except (TypeError, ValueError) as e:
        raise TypeError(
            "`generator` yielded an element that did not match the expected structure. The expected structure was "
            f"{_types_text(output_types)}, but the yielded element was {values}."
        ) from e
    arrays = []
    for ret, spec in zip(flat, specs):
        try:
            arrays.append(_as_array(ret, spec.dtype))
        except (TypeError, ValueError) as e:
            raise TypeError(
                "`generator` yielded an element that could not be converted to the expected type. The expected "
                f"type was {spec.dtype.name}, but the yielded element was {ret}."
            ) from e
    for array, spec in zip(arrays, specs):
        if not spec.shape.is_compatible_with(TensorShape(array.shape)):
            raise TypeError(
                f"`generator` yielded an element of shape {array.shape} where an element of shape {spec.shape} was "
                "expected."
            )
    return arrays


def _normalize_generated(values, signature, specs) -> list:
    """TF's eager generator_py_func: the element normalized as tf.data's normalize_element does (a dense
    component converted as ``tf.convert_to_tensor(value, dtype)`` converts it: 1 may become 1.0, 1.5 never
    becomes 1; a ragged one taken as it is: a RaggedTensorValue, or a RaggedTensor the generator built, its
    value computed as a constant), checked against the signature, and flattened (a ragged component as the
    RaggedTensorValue that EagerPyFunc carries as a variant)."""
    try:
        components = _strict_flatten(signature, values) if is_structure(signature) else [values]
        converted = [_eager_component(v, spec) for v, spec in zip(components, specs)]
    except (TypeError, ValueError) as e:
        raise TypeError(
            "`generator` yielded an element that did not match the expected structure. The expected structure was "
            f"{signature}, but the yielded element was {values}."
        ) from e
    got = [_value_spec(c) for c in converted]
    if not all(_compatible(g, spec) for g, spec in zip(got, specs)):
        got_text = pack_sequence_as(signature, got) if is_structure(signature) else got[0]
        raise TypeError(f"`generator` yielded an element of {got_text} where an element of {signature} was expected.")
    return converted


def _eager_component(value, spec):
    if isinstance(value, (Tensor, RaggedTensor)):
        value = _constant_of(value)
    if isinstance(spec, RaggedTensorSpec):
        if isinstance(value, RaggedTensorValue):
            return value
        return MakeNdarray(make_tensor_proto(value))
    if isinstance(value, RaggedTensorValue):
        return value
    return MakeNdarray(make_tensor_proto(value, dtype=spec.dtype))


def _constant_of(value):
    """The value of a Tensor or RaggedTensor the generator built (TF computes it eagerly), as a constant."""
    if isinstance(value, RaggedTensor):
        result = _constant_of(value.flat_values)
        for splits in reversed(value.nested_row_splits):
            result = RaggedTensorValue(result, _constant_of(splits))
        return result
    result = evaluate_constant_tensor(value)
    if result is None:
        raise errors.UnimplementedError(
            None,
            None,
            f"Dataset.from_generator(): the generator yielded {value}, whose value is not a constant: TF computes "
            "the ops a generator runs eagerly, torchmeta folds them as constants. Yield numpy values (or a "
            "tf.compat.v1.ragged.RaggedTensorValue) instead.",
        )
    return result


def _value_spec(value):
    if isinstance(value, RaggedTensorValue):
        dtype = dtypes.as_dtype(value.flat_values.dtype)
        return RaggedTensorSpec(
            _ragged_shape(value),
            DType.string if dtype is None else dtype,
            value.ragged_rank,
            dtypes.as_dtype(value.row_splits.dtype),
        )
    return TensorSpec(TensorShape(value.shape), DType.string if value.dtype == object else dtypes.as_dtype(value.dtype))


def _ragged_shape(value) -> TensorShape:
    """A RaggedTensorValue's static shape as TF gives a RaggedTensor's: rows, None per ragged dimension, then
    the flat values' inner dimensions."""
    return TensorShape([len(value.row_splits) - 1] + [None] * value.ragged_rank + list(value.flat_values.shape[1:]))


def _compatible(got, spec) -> bool:
    if type(got) is not type(spec) or got.dtype is not spec.dtype or not spec.shape.is_compatible_with(got.shape):
        return False
    return not isinstance(spec, RaggedTensorSpec) or (
        got.ragged_rank == spec.ragged_rank and got.row_splits_dtype is spec.row_splits_dtype
    )


def _types_text(output_types) -> str:
    """A structure of dtypes as TF prints it: (tf.int64, tf.int64), {'a': tf.float32}."""
    if isinstance(output_types, tuple):
        inner = ", ".join(_types_text(t) for t in output_types)
        return f"({inner},)" if len(output_types) == 1 else f"({inner})"
    if isinstance(output_types, dict):
        return "{" + ", ".join(f"{k!r}: {_types_text(v)}" for k, v in output_types.items()) + "}"
    return str(output_types) if isinstance(output_types, str) else repr(dtypes.as_dtype(output_types))


def _generator_dataset(init_args, init_func, next_func, finalize_func, output_signature) -> Dataset:
    """TF's _GeneratorDataset: a GeneratorDataset op whose functions start, advance and end one pass."""
    init = StructuredFunctionWrapper(init_func, "Dataset.from_generator()", spec_of(init_args))
    nxt = StructuredFunctionWrapper(next_func, "Dataset.from_generator()", init.output_structure)
    finalize = StructuredFunctionWrapper(finalize_func, "Dataset.from_generator()", init.output_structure)
    variant = raw_op(
        "GeneratorDataset",
        init_func_other_args=[init_args, *init.captured_inputs],
        next_func_other_args=nxt.captured_inputs,
        finalize_func_other_args=finalize.captured_inputs,
        init_func=init.function,
        next_func=nxt.function,
        finalize_func=finalize.function,
        output_types=_type_attrs(output_signature),
        output_shapes=_shape_attrs(output_signature),
        metadata=b"",
    )
    return Dataset(variant, output_signature, v1=False)


def _dataset_seeds(seed):
    """tf.data's get_seed: int64 seed and seed2 tensors (seed2 never 0 when both are, as TF)."""
    seed, seed2 = graph_get_seed(seed)
    if seed is None:
        seed = constant(0, dtype=DType.int64, name="seed")
    else:
        seed = convert_to_tensor(seed, dtype=DType.int64, name="seed")
    if seed2 is None:
        seed2 = constant(0, dtype=DType.int64, name="seed2")
    else:
        with name_scope("seed2") as scope:
            seed2 = convert_to_tensor(seed2, dtype=DType.int64)
            seed2 = array_ops.where_v2(
                math_ops.logical_and(math_ops.equal(seed, 0), math_ops.equal(seed2, 0)),
                constant(2**31 - 1, dtype=DType.int64),
                seed2,
                name=scope,
            )
    return seed, seed2


def unbatch():
    """``tf.data.experimental.unbatch()``."""
    return lambda dataset: dataset.unbatch()


def map_and_batch(map_func, batch_size, num_parallel_batches=None, drop_remainder=False, num_parallel_calls=None):
    """``tf.data.experimental.map_and_batch``: ``map`` then ``batch`` as one MapAndBatchDataset.

    Raises:
      ValueError: if both ``num_parallel_batches`` and ``num_parallel_calls`` are given.
    """
    if num_parallel_batches is None and num_parallel_calls is None:
        num_parallel_calls = batch_size
    elif num_parallel_batches is not None and num_parallel_calls is None:
        num_parallel_calls = batch_size * num_parallel_batches
    elif num_parallel_batches is not None and num_parallel_calls is not None:
        raise ValueError(
            "`map_and_batch` allows only one of `num_parallel_batches` and `num_parallel_calls` to be set, but "
            f"`num_parallel_batches` was set to {num_parallel_batches} and `num_parallel_calls` as set to "
            f"{num_parallel_calls}."
        )
    return lambda dataset: dataset._map_and_batch(map_func, batch_size, num_parallel_calls, drop_remainder)


def parallel_interleave(
    map_func, cycle_length, block_length=1, sloppy=False, buffer_output_elements=None, prefetch_input_elements=None
):
    """``tf.data.experimental.parallel_interleave``: ``map_func``'s datasets interleaved as ``interleave`` does,
    ``cycle_length`` of them producing at once (LegacyParallelInterleaveDatasetV2; ``sloppy`` writes
    ``deterministic="false"``, which allows any order; this one is always the deterministic one)."""
    return lambda dataset: dataset._parallel_interleave(
        map_func, cycle_length, block_length, sloppy, buffer_output_elements, prefetch_input_elements
    )


def scan(initial_state, scan_func):
    """``tf.data.experimental.scan``."""
    return lambda dataset: dataset.scan(initial_state, scan_func)


def shuffle_and_repeat(buffer_size, count=None, seed=None):
    """``tf.data.experimental.shuffle_and_repeat``: ShuffleAndRepeatDataset (reshuffled every epoch)."""
    return lambda dataset: dataset._shuffle_and_repeat(buffer_size, count, seed)


def get_output_types(dataset_or_iterator):
    return dataset_or_iterator.output_types


def get_output_shapes(dataset_or_iterator):
    return dataset_or_iterator.output_shapes


def get_output_classes(dataset_or_iterator):
    return dataset_or_iterator.output_classes


# ---------------------------------------------------------------------------------------------
# Iterators


class Iterator:
    """``tf.compat.v1.data.Iterator``: an iterator resource and the ops using it."""

    def __init__(self, iterator_resource, initializer, structure):
        self._iterator_resource = iterator_resource
        self._initializer = initializer
        self._structure = structure
        self._string_handle = raw_op("IteratorToStringHandle", resource_handle=iterator_resource)
        graph_lib.add_to_collection(GLOBAL_ITERATORS, iterator_resource)

    @staticmethod
    def _legacy_structure(output_types, output_shapes):
        if output_shapes is None:
            output_shapes = map_structure(lambda _: unknown_shape(), output_types)
        types, shapes = (
            flatten(output_types),
            flatten(output_shapes) if is_structure(output_types) else [output_shapes],
        )
        if len(types) != len(shapes):
            raise ValueError("The two structures don't have the same number of elements.")
        specs = [TensorSpec(as_shape(s), dtypes.as_dtype(t)) for t, s in zip(types, shapes)]
        return pack_sequence_as(output_types, specs) if is_structure(output_types) else specs[0]

    @staticmethod
    def from_structure(output_types, output_shapes=None, shared_name=None, output_classes=None):
        """A reinitializable iterator: ``make_initializer(dataset)`` points it at any dataset of this structure."""
        structure = Iterator._legacy_structure(output_types, output_shapes)
        resource = raw_op(
            "IteratorV2",
            container="",
            shared_name="" if shared_name is None else shared_name,
            output_types=_type_attrs(structure),
            output_shapes=_shape_attrs(structure),
        )
        return Iterator(resource, None, structure)

    @staticmethod
    def from_string_handle(string_handle, output_types, output_shapes=None, output_classes=None):
        """A feedable iterator: which iterator it reads is the ``string_handle`` fed at run time."""
        structure = Iterator._legacy_structure(output_types, output_shapes)
        string_handle = convert_to_tensor(string_handle, dtype=DType.string)
        resource = raw_op(
            "IteratorFromStringHandleV2",
            string_handle=string_handle,
            output_types=_type_attrs(structure),
            output_shapes=_shape_attrs(structure),
        )
        return Iterator(resource, None, structure)

    @property
    def initializer(self):
        if self._initializer is not None:
            return self._initializer
        raise ValueError(
            "The iterator does not have an initializer. This means it was likely created using "
            "`tf.data.Dataset.make_one_shot_iterator()`. For an initializable iterator, use "
            "`tf.data.Dataset.make_initializable_iterator()` instead."
        )

    def make_initializer(self, dataset, name=None):
        """The op (re)starting this iterator on ``dataset``.

        Raises:
          TypeError: if ``dataset``'s element types or shapes do not fit this iterator.
        """
        with name_scope(name, "make_initializer") as name:
            mine, theirs = flatten(self._structure), flatten(dataset.element_spec)
            if len(mine) != len(theirs):
                raise ValueError("The two structures don't have the same nested structure.")
            for a, b in zip(mine, theirs):
                if a.dtype is not b.dtype:
                    raise TypeError(
                        f"Expected output types {self.output_types!r} but got dataset with output types "
                        f"{dataset.output_types!r}."
                    )
                if not a.shape.is_compatible_with(b.shape):
                    raise TypeError(
                        f"Expected output shapes compatible with {self.output_shapes!r} but got dataset with output "
                        f"shapes {dataset.output_shapes!r}."
                    )
        with colocate_with(self._iterator_resource.op):
            return raw_op("MakeIterator", dataset=dataset._variant_tensor, iterator=self._iterator_resource, name=name)

    def get_next(self, name=None):
        """The next element (OutOfRangeError at the end of the data)."""
        with colocate_with(self._iterator_resource.op):
            flat = raw_op(
                "IteratorGetNext",
                iterator=self._iterator_resource,
                output_types=_type_attrs(self._structure),
                output_shapes=_shape_attrs(self._structure),
                name=name,
            )
            # TF decodes composite components (RaggedTensors) inside the colocation too
            flat = _from_tensor_list(self._structure, list(flat) if isinstance(flat, (list, tuple)) else [flat])
        return pack_sequence_as(self._structure, flat) if is_structure(self._structure) else flat[0]

    def string_handle(self, name=None):
        """The string handle a feedable iterator (``from_string_handle``) is fed with."""
        if name is None:
            return self._string_handle
        return raw_op("IteratorToStringHandle", resource_handle=self._iterator_resource, name=name)

    @property
    def element_spec(self):
        return self._structure

    @property
    def output_types(self):
        return map_structure(lambda s: s.dtype, self._structure)

    @property
    def output_shapes(self):
        return map_structure(lambda s: s.shape, self._structure)

    @property
    def output_classes(self):
        return map_structure(lambda s: s if isinstance(s, RaggedTensorSpec) else Tensor, self._structure)


def make_initializable_iterator(dataset, shared_name=None):
    """``tf.compat.v1.data.make_initializable_iterator``: an iterator and its ``initializer`` (MakeIterator)."""
    if shared_name is None:
        shared_name = ""
    with colocate_with(dataset._variant_tensor.op):
        resource = raw_op(
            "IteratorV2",
            container="",
            shared_name=shared_name,
            output_types=_type_attrs(dataset.element_spec),
            output_shapes=_shape_attrs(dataset.element_spec),
        )
        initializer = raw_op("MakeIterator", dataset=dataset._variant_tensor, iterator=resource)
        return Iterator(resource, initializer, dataset.element_spec)


def _dataset_factory(dataset) -> str:
    """TF's ``_make_dataset`` Defun (capture by value): the ops computing ``dataset``'s variant tensor copied
    into a function of no arguments, with their names and attrs; returns the function's name."""
    outer = graph_lib.get_default_graph()
    fg = BuildingFuncGraph("_make_dataset", outer_graph=outer)
    copies: dict = {}

    def copy(op):
        found = copies.get(op)
        if found is not None:
            return found
        if op.type in ("Placeholder", "PlaceholderV2"):
            raise ValueError(f"Cannot capture a placeholder (name:{op.name}, type:{op.type}) by value.")
        if op.op_def is None or (
            op.op_def.is_stateful and not any(t.dtype.base_dtype is DType.variant for t in op.outputs)
        ):
            raise ValueError(
                f"Cannot capture a stateful node (name:{op.name}, type:{op.type}) by value.: A likely cause of "
                "this error is that the dataset for which you are calling `make_one_shot_iterator()` captures a "
                "stateful object, such as a `tf.Variable` or `tf.lookup.StaticHashTable`, which is not "
                "supported. Use `make_initializable_iterator()` instead."
            )
        inputs = [copy(t.op).outputs[t.value_index] for t in op.inputs]
        new = fg._create_op(
            op.type,
            inputs,
            [t.dtype for t in op.outputs],
            dict(op._attrs),
            op.name,
            op_def=op.op_def,
            apply_scopes=False,
        )
        copies[op] = new
        return new

    variant = dataset._variant_tensor
    result = copy(variant.op).outputs[variant.value_index]
    fdef = graph_to_function_def(fg, "_make_dataset", [], [result])
    del fdef.attr["_construction_context"]
    fdef.attr["_disable_call_shape_inference"].b = True
    fdef.signature.description = "Factory function for a dataset."
    # TF appends a hash of the FunctionDef (a base64 fingerprint; this one is computed differently).
    digest = hashlib.sha1(fdef.SerializeToString(deterministic=True)).digest()[:8]
    suffix = base64.urlsafe_b64encode(digest).decode().rstrip("=").replace("-", "a").replace("_", "A")
    fdef.signature.name = f"_make_dataset_{suffix}"
    add_function(outer, fdef)
    return fdef.signature.name


def make_one_shot_iterator(dataset):
    """``tf.compat.v1.data.make_one_shot_iterator``: an iterator that needs no initializer (OneShotIterator,
    whose ``dataset_factory`` function builds the dataset the first time the iterator is used).

    Raises:
      ValueError: if the dataset depends on a placeholder or a stateful object such as a variable.
    """
    factory = _dataset_factory(dataset)
    with colocate_with(dataset._variant_tensor.op):
        resource = raw_op(
            "OneShotIterator",
            dataset_factory=factory,
            output_types=_type_attrs(dataset.element_spec),
            output_shapes=_shape_attrs(dataset.element_spec),
            container="",
            shared_name="",
        )
        return Iterator(resource, None, dataset.element_spec)
