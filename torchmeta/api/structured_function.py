"""tf.data's element structures and dataset functions (TF's ``data/util/structure.py`` and
``data/ops/structured_function.py``).

Elements are nested structures of tensors: tuples, dicts (flattened in sorted key order) and
namedtuples are structures; lists are not (tf.data converts them to tensors). A component may also
be a dataset (a function passed to ``flat_map``/``interleave`` returns one): its spec is a
``DatasetSpec`` and its value the dataset's variant tensor.

``StructuredFunctionWrapper`` builds a Python function over elements into a FunctionDef as TensorFlow
2.21 traces it for tf.data (``tf.function`` with an input signature and ``_tf_data_function``): the
function is named ``__inference_Dataset_map_<fn>_<uid>``, its arguments are Placeholders ``args_0``,
``args_1``, ... (one per flat component), tensors of the enclosing graph it reads become extra
arguments (``captured_inputs``, passed to the dataset op as ``other_arguments``), each result is
returned through an ``Identity``, and, as TF's automatic control dependencies add them, stateful ops
(other than the legacy random ops) run in order and are the function's control outputs, reached from
the results through one ``NoOp``. Function numbers come from the process-wide ``uid``, taken as TF takes its (one per graph and per op output,
the function's number once its body is traced), so the same program run from a fresh process names its functions
as TensorFlow does.
"""

from __future__ import annotations

from torchmeta import errors
from torchmeta._proto import attr_value_pb2
from torchmeta.api import array_ops
from torchmeta.api.control_flow_util_v2 import add_function
from torchmeta.api.ragged_tensor import RaggedTensor
from torchmeta.dtypes import DType, as_dtype
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.function_def_builder import BuildingFuncGraph, graph_to_function_def
from torchmeta.framework.graph import Tensor, convert_to_tensor, uid
from torchmeta.framework.op_def_library import apply_op, raw_op
from torchmeta.framework.tensor_shape import TensorShape, as_shape, unknown_shape

__all__ = [
    "TensorSpec",
    "RaggedTensorSpec",
    "DatasetSpec",
    "is_structure",
    "flatten",
    "pack_sequence_as",
    "map_structure",
    "to_batched_tensor_list",
    "spec_of",
    "StructuredFunctionWrapper",
    "trace_with_state",
]


# ---------------------------------------------------------------------------------------------
# Nested structures (tf.data's nest: tuples, dicts and namedtuples are structures; lists are not)


def is_structure(x) -> bool:
    return isinstance(x, (tuple, dict))


def flatten(structure) -> list:
    if isinstance(structure, dict):
        return [v for k in sorted(structure) for v in flatten(structure[k])]
    if isinstance(structure, tuple):
        return [v for item in structure for v in flatten(item)]
    return [structure]


def pack_sequence_as(structure, flat):
    flat = list(flat)

    def pack(s):
        if isinstance(s, dict):
            packed = {k: pack(s[k]) for k in sorted(s)}
            return type(s)((k, packed[k]) for k in s) if type(s) is not dict else {k: packed[k] for k in s}
        if isinstance(s, tuple):
            items = [pack(item) for item in s]
            return type(s)(*items) if hasattr(s, "_fields") else tuple(items)
        return flat.pop(0)

    return pack(structure)


def to_batched_tensor_list(structure, value) -> list:
    """TF's structure.to_batched_tensor_list: the components as the ops that split a batch carry them (a ragged
    one as a vector of variants, one per row)."""
    return [
        spec.to_tensor_list(v, batched=True)[0] if isinstance(spec, RaggedTensorSpec) else v
        for spec, v in zip(flatten(structure), flatten(value))
    ]


def map_structure(fn, structure):
    return pack_sequence_as(structure, [fn(x) for x in flatten(structure)])


class TensorSpec:
    """The static shape and dtype of one component of a dataset's elements (a leaf of the structure)."""

    __slots__ = ("shape", "dtype", "name")

    def __init__(self, shape, dtype=DType.float32, name=None):
        self.shape = as_shape(shape)
        self.dtype = as_dtype(dtype)
        self.name = name

    def __repr__(self):
        return f"TensorSpec(shape={self.shape}, dtype={self.dtype!r}, name={self.name!r})"

    def __eq__(self, other):
        return (
            isinstance(other, TensorSpec)
            and self.shape == other.shape
            and self.dtype is other.dtype
            and self.name == other.name
        )

    __hash__ = None

    def batch(self, size):
        return TensorSpec(TensorShape([size]).concatenate(self.shape), self.dtype)

    def unbatch(self):
        return TensorSpec(self.shape[1:] if self.shape.rank else unknown_shape(), self.dtype)


class RaggedTensorSpec:
    """A component that is a RaggedTensor (TF's RaggedTensorSpec): in the dataset ops it is one variant (TF's
    encoding of the ragged tensor, RaggedTensorToVariant), decoded by the iterator (RaggedTensorFromVariant).
    ``ragged_rank`` may go down to 0 (a dense component encoded as a ragged one), and below when unbatched."""

    __slots__ = ("shape", "dtype", "ragged_rank", "row_splits_dtype")

    flat_dtype = DType.variant
    flat_shape = unknown_shape()

    def __init__(self, shape=None, dtype=DType.float32, ragged_rank=None, row_splits_dtype=DType.int64,
                 flat_values_spec=None):  # fmt: skip
        """``tf.RaggedTensorSpec``: ``ragged_rank`` defaults to the shape's rank - 1 (TF's checks and messages)."""
        if flat_values_spec is not None:
            raise errors.UnimplementedError(None, None, "RaggedTensorSpec with a flat_values_spec")
        if dtype is None:
            raise ValueError("At least one of dtype or flat_values_spec must be provided")
        self.shape = as_shape(shape)
        self.dtype = as_dtype(dtype)
        self.row_splits_dtype = as_dtype(row_splits_dtype)
        rank = self.shape.rank
        if ragged_rank is None:
            if rank is None:
                raise ValueError("Must specify ragged_rank or a shape with a known rank.")
            ragged_rank = rank - 1
        if not isinstance(ragged_rank, int):
            raise TypeError(f"Argument `ragged_rank` must be an int. Received {ragged_rank}.")
        if rank is not None and ragged_rank >= rank:
            raise ValueError(f"Argument `ragged_rank` ({ragged_rank}) must be less than rank ({rank}).")
        self.ragged_rank = ragged_rank

    def __repr__(self):
        return (
            f"RaggedTensorSpec({self.shape!r}, tf.{self.dtype.name}, {self.ragged_rank}, "
            f"tf.{self.row_splits_dtype.name})"
        )

    def __eq__(self, other):
        return (
            isinstance(other, RaggedTensorSpec)
            and self.shape == other.shape
            and self.dtype is other.dtype
            and self.ragged_rank == other.ragged_rank
            and self.row_splits_dtype is other.row_splits_dtype
        )

    __hash__ = None

    def batch(self, size):
        return RaggedTensorSpec(
            TensorShape([size]).concatenate(self.shape), self.dtype, self.ragged_rank + 1, self.row_splits_dtype
        )

    def unbatch(self):
        return RaggedTensorSpec(self.shape[1:], self.dtype, self.ragged_rank - 1, self.row_splits_dtype)

    def to_tensor_list(self, value, batched=False):
        """The value as the dataset ops carry it: one variant, the whole value or (``batched``) each row."""
        ragged_rank = value.ragged_rank if isinstance(value, RaggedTensor) else 0
        if ragged_rank != self.ragged_rank:
            raise ValueError(
                f"Ragged rank of value {ragged_rank} does not match ragged rank of type {self.ragged_rank}."
            )
        if ragged_rank == 0:
            if batched:
                raise ValueError("_to_batched_tensor_list doesn't support ragged_rank=0 yet")
            return [raw_op("RaggedTensorToVariant", rt_nested_splits=[], rt_dense_values=value, batched_input=False)]
        return [value._to_variant(batched_input=batched)]

    def from_tensor_list(self, tensor_list):
        """The value decoded from its variant (a dense Tensor for ragged rank 0), with this spec's static shape."""
        result = RaggedTensor._from_variant(
            tensor_list[0],
            dtype=self.dtype,
            row_splits_dtype=self.row_splits_dtype,
            output_ragged_rank=self.ragged_rank,
        )
        if self.shape.rank is not None:
            if isinstance(result, RaggedTensor):
                result.set_static_shape(self.shape)
            else:
                result.set_shape(self.shape)
        return result


class DatasetSpec:
    """A component that is a dataset (what ``flat_map``/``interleave`` functions return): a scalar variant."""

    __slots__ = ("element_spec",)

    def __init__(self, element_spec):
        self.element_spec = element_spec

    shape = TensorShape([])
    dtype = DType.variant

    def __repr__(self):
        return f"DatasetSpec({self.element_spec!r}, TensorShape([]))"


def spec_of(t) -> TensorSpec:
    if isinstance(t, RaggedTensor):
        return RaggedTensorSpec(t.shape, t.dtype.base_dtype, t.ragged_rank, t.row_splits.dtype.base_dtype)
    return TensorSpec(t.shape, t.dtype.base_dtype)


def _is_dataset(x) -> bool:
    return hasattr(x, "_variant_tensor") and hasattr(x, "element_spec")


# ---------------------------------------------------------------------------------------------
# Dataset functions

# TF's auto_control_deps: stateful ops that are not ordered nor made control outputs.
_UNORDERED_STATEFUL_OPS = frozenset(
    {
        "RandomUniform",
        "RandomUniformInt",
        "RandomStandardNormal",
        "ParameterizedTruncatedNormal",
        "TruncatedNormal",
        "RandomShuffle",
        "Multinomial",
        "RandomGamma",
        "RandomGammaGrad",
        "RandomPoisson",
        "RandomPoissonV2",
        "CudnnRNN",
        "CudnnRNNBackprop",
        "CudnnRNNV2",
        "CudnnRNNV3",
        "CudnnRNNBackpropV2",
        "CudnnRNNBackpropV3",
        "RestoreV2",
        "SaveV2",
    }
)
_RESOURCE_READ_OPS = frozenset({"ReadVariableOp", "ResourceGather", "ResourceGatherNd", "VariableShape"})


def _op_is_stateful(op) -> bool:
    return op.op_def is not None and op.op_def.is_stateful and op.type not in _UNORDERED_STATEFUL_OPS


def _function_name(transformation_name: str, func) -> str:
    readable = transformation_name.replace(".", "_")[:-2] if len(transformation_name) > 2 else ""
    fn_name = getattr(func, "__name__", None) or type(func).__name__
    name = f"{readable}_{fn_name}"
    for symbol in ("<", ">", "\\", "'", " "):
        name = name.replace(symbol, "")
    return name


def _type_spec_from_value(value, transformation_name):
    """The spec of a function's (structured) result; Python values become tensors as TF converts them."""
    if _is_dataset(value):
        return DatasetSpec(value.element_spec), value._variant_tensor
    if isinstance(value, Tensor):
        return spec_of(value), value
    if isinstance(value, RaggedTensor):
        spec = spec_of(value)
        return spec, spec.to_tensor_list(value)[0]
    try:
        t = convert_to_tensor(value)
    except (TypeError, ValueError) as e:
        raise TypeError(f"Unsupported return value from function passed to {transformation_name}: {value}.") from e
    # TF converts a Python value twice: for its spec, then for the result (two Consts).
    return spec_of(t), convert_to_tensor(value, dtype=t.dtype.base_dtype)


class StructuredFunctionWrapper:
    """A Python function over dataset elements, built into a FunctionDef of the graph's library as TF builds it.

    Args:
      func: the Python function; a tuple element is passed unpacked (``func(*element)``), anything else whole.
      transformation_name: e.g. ``"Dataset.map()"`` (names the function and appears in errors).
      input_structure: the element structure of the input dataset (specs).

    Attributes:
      name: the FunctionDef's name.
      output_structure: the structure of the function's results (specs; ``DatasetSpec`` for datasets).
      captured_inputs: the tensors of the enclosing graph the function reads (the op's ``other_arguments``).
      function: the ``func`` attr value (name and ``_tf_data_function``).
    """

    def __init__(self, func, transformation_name, input_structure, add_to_graph=True):
        self.transformation_name = transformation_name
        base = f"__inference_{_function_name(transformation_name, func)}"
        outer = graph_lib.get_default_graph()
        fg = BuildingFuncGraph(base, outer_graph=outer)
        with fg.as_default():
            args = []
            specs = flatten(input_structure)
            for i, spec in enumerate(specs):
                dtype, shape = spec.dtype, spec.shape
                if isinstance(spec, RaggedTensorSpec):  # a ragged component arrives as its variant encoding
                    dtype, shape = spec.flat_dtype, spec.flat_shape
                ph = raw_op("Placeholder", dtype=dtype, shape=shape, name=f"args_{i}")
                ph.op._set_attr("_user_specified_name", attr_value_pb2.AttrValue(s=f"args_{i}".encode()))
                args.append(ph)
            fg.inputs.extend(args)
            n_before = len(fg.get_operations())
            values = [
                spec.from_tensor_list([ph]) if isinstance(spec, RaggedTensorSpec) else ph
                for spec, ph in zip(specs, args)
            ]
            nested = pack_sequence_as(input_structure, values)
            ret = func(*nested) if type(nested) is tuple else func(nested)
            if isinstance(ret, list):
                ret = tuple(ret)
            flat_pairs = [_type_spec_from_value(v, transformation_name) for v in flatten(ret)]
            self.output_structure = pack_sequence_as(ret, [p[0] for p in flat_pairs])
            results = [p[1] for p in flat_pairs]
            fg.outputs = self._mark_as_returned(fg, fg.get_operations()[n_before:], results)
        # TF numbers the function once it is traced (ConcreteFunction's inference name), after the uids its
        # graph and ops took
        self.name = fg.name = f"{base}_{uid()}"
        self.captured_inputs = fg.external_captures
        self.func_graph = fg
        fdef = graph_to_function_def(fg, self.name, fg.inputs, fg.outputs, fg.control_outputs)
        # tf.function names control outputs after their ops (graph_to_function_def normalizes them).
        del fdef.signature.control_output[:]
        fdef.signature.control_output.extend(op.name for op in fg.control_outputs)
        fdef.control_ret.clear()
        for op in fg.control_outputs:
            fdef.control_ret[op.name] = op.name
        fdef.attr["_tf_data_function"].b = True
        self.function_def = fdef
        self._outer = outer
        if add_to_graph:
            self.add_to_graph()
        self.function = attr_value_pb2.NameAttrList(name=self.name)
        self.function.attr["_tf_data_function"].b = True

    def add_to_graph(self) -> None:
        """Adds the FunctionDef to the library (a function traced only to learn its result's shapes is not)."""
        add_function(self._outer, self.function_def)

    @staticmethod
    def _mark_as_returned(fg, body_ops, results):
        """TF's automatic control dependencies for a function body: stateful ops without resource inputs run
        in program order, the ones that must run are control outputs, and each result is an Identity that
        waits for them through one NoOp."""
        must_run, last_stateful = [], None
        for op in body_ops:
            if op.op_def is None or (
                _op_is_stateful(op) and (op.type not in _RESOURCE_READ_OPS or any(t.consumers() for t in op.outputs))
            ):
                must_run.append(op)
            resource_inputs = [t for t in op.inputs if t.dtype.base_dtype is DType.resource]
            if _op_is_stateful(op) and not resource_inputs:
                if last_stateful is not None and last_stateful not in op.control_inputs:
                    op._add_control_input(last_stateful)
                last_stateful = op
        outputs = [array_ops.identity(fg.capture(t)) for t in results]
        if must_run and outputs:
            with fg.control_dependencies(None):
                no_op = apply_op("NoOp")
            for op in sorted(must_run, key=lambda o: o.name):
                no_op._add_control_input(op)
            for t in outputs:
                t.op._add_control_input(no_op)
        fg.control_outputs = sorted(must_run, key=lambda o: o.name)
        return outputs


def _most_specific_compatible(a: TensorShape, b: TensorShape) -> TensorShape:
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.as_list(), b.as_list())])


def trace_with_state(func, transformation_name, state_structure, element_structure, split_output):
    """tf.data's fixed point for functions carrying a state (``reduce``, ``scan``): ``func(state, element)`` is
    traced again with the state's shapes relaxed until the new state's shapes fit them; the last trace is
    added to the library. ``split_output(output_structure)`` returns (new state structure, anything else).

    Returns:
      (wrapper, state structure, what ``split_output`` returned besides the new state).

    Raises:
      TypeError: if the new state's dtypes differ from the initial state's (TF's wording).
    """
    while True:
        wrapped = StructuredFunctionWrapper(
            func, transformation_name, (state_structure, element_structure), add_to_graph=False
        )
        new_state, extra = split_output(wrapped.output_structure)
        old_flat, new_flat = flatten(state_structure), flatten(new_state)
        if len(old_flat) != len(new_flat) or any(a.dtype is not b.dtype for a, b in zip(old_flat, new_flat)):
            old_types = map_structure(lambda s: s.dtype, state_structure)
            new_types = map_structure(lambda s: s.dtype, new_state)
            raise TypeError(
                "The element types for the new state must match the initial state. Expected "
                f"{old_types} but got {new_types}."
            )
        weakened = [_most_specific_compatible(a.shape, b.shape) for a, b in zip(old_flat, new_flat)]
        rerun = any(
            a.shape.rank is not None and (w.rank is None or a.shape.as_list() != w.as_list())
            for a, w in zip(old_flat, weakened)
        )
        if not rerun:
            wrapped.add_to_graph()
            return wrapped, state_structure, extra
        state_structure = pack_sequence_as(
            state_structure, [TensorSpec(w, a.dtype) for a, w in zip(old_flat, weakened)]
        )
