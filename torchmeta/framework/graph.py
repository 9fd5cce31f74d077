"""Graph building: Graph, Operation, Tensor, name scopes, devices, control dependencies, collections.

This is the TF1 graph model: ops are created into a Graph (the default one unless another is made
default with ``as_default()``), named uniquely within their name scope, and hold ``AttrValue``
protos exactly as they will be serialized into a NodeDef.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import threading

from torchmeta import dtypes, errors
from torchmeta._proto import attr_value_pb2, graph_pb2, node_def_pb2, versions_pb2
from torchmeta.dtypes import DType
from torchmeta.framework import common_shapes, control_flow_util, registry, tensor_util
from torchmeta.framework import device as device_lib
from torchmeta.framework.default_session import run_using_default_session
from torchmeta.framework.function_library import FunctionLibrary
from torchmeta.framework.op_def import output_types_from_attrs
from torchmeta.framework.tensor_shape import TensorShape, as_shape, unknown_shape

__all__ = [
    "Graph",
    "Operation",
    "Tensor",
    "GraphKeys",
    "get_default_graph",
    "reset_default_graph",
    "name_scope",
    "control_dependencies",
    "init_scope",
    "device",
    "colocate_with",
    "add_to_collection",
    "add_to_collections",
    "get_collection",
    "get_collection_ref",
    "get_all_collection_keys",
    "convert_to_tensor",
    "register_tensor_conversion_function",
    "register_proto_function",
    "strip_name_scope",
    "prepend_name_scope",
    "GRAPH_DEF_VERSION",
    "GRAPH_DEF_VERSION_MIN_CONSUMER",
    "GRAPH_DEF_VERSION_MIN_PRODUCER",
]

_logger = logging.getLogger(__name__)

# The GraphDef producer version of the TensorFlow release whose formats we follow (TF 2.21).
GRAPH_DEF_VERSION = 2474
GRAPH_DEF_VERSION_MIN_CONSUMER = 0
GRAPH_DEF_VERSION_MIN_PRODUCER = 0

_VALID_OP_NAME_REGEX = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\\/>-]*$")
_VALID_SCOPE_NAME_REGEX = re.compile(r"^[A-Za-z0-9_.\\/>-]*$")


class GraphKeys:
    """Standard collection names, as ``tf.GraphKeys``."""

    GLOBAL_VARIABLES = "variables"
    LOCAL_VARIABLES = "local_variables"
    METRIC_VARIABLES = "metric_variables"
    MODEL_VARIABLES = "model_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    SUMMARIES = "summaries"
    QUEUE_RUNNERS = "queue_runners"
    TABLE_INITIALIZERS = "table_initializer"
    ASSET_FILEPATHS = "asset_filepaths"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    REGULARIZATION_LOSSES = "regularization_losses"
    CONCATENATED_VARIABLES = "concatenated_variables"
    SAVERS = "savers"
    WEIGHTS = "weights"
    BIASES = "biases"
    ACTIVATIONS = "activations"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    SAVEABLE_OBJECTS = "saveable_objects"
    RESOURCES = "resources"
    LOCAL_RESOURCES = "local_resources"
    TRAINABLE_RESOURCE_VARIABLES = "trainable_resource_variables"
    INIT_OP = "init_op"
    LOCAL_INIT_OP = "local_init_op"
    READY_OP = "ready_op"
    READY_FOR_LOCAL_INIT_OP = "ready_for_local_init_op"
    SUMMARY_OP = "summary_op"
    GLOBAL_STEP = "global_step"
    EVAL_STEP = "eval_step"
    TRAIN_OP = "train_op"
    COND_CONTEXT = "cond_context"
    WHILE_CONTEXT = "while_context"
    _SUMMARY_COLLECTION = "_SUMMARY_V2"
    _STREAMING_MODEL_PORTS = "streaming_model_ports"
    VARIABLES = GLOBAL_VARIABLES  # the TF 0.x name

    _VARIABLE_COLLECTIONS = [
        GLOBAL_VARIABLES,
        LOCAL_VARIABLES,
        METRIC_VARIABLES,
        MODEL_VARIABLES,
        TRAINABLE_VARIABLES,
        MOVING_AVERAGE_VARIABLES,
        CONCATENATED_VARIABLES,
        TRAINABLE_RESOURCE_VARIABLES,
    ]


# ---------------------------------------------------------------------------------------------
# Tensor


@contextlib.contextmanager
def gc_paused():
    """Pauses Python's cyclic garbage collector while building thousands of objects at once.

    Importing or lowering a 20,000-node graph allocates a few hundred thousand long-lived objects;
    with the collector running, each generation-2 pass rescans all of them, which costs more than the
    work itself. Nothing built here is garbage, so pausing is safe.
    """
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _ShapeOverrides(threading.local):
    """Shapes seen through ``Tensor.shape`` while the runtime re-infers shapes for concrete feeds."""

    map = None


_shape_overrides = _ShapeOverrides()


@contextlib.contextmanager
def shape_overrides(mapping: dict):
    """Within the block (this thread only), ``t.shape`` returns ``mapping[t]`` for tensors in ``mapping``."""
    saved = _shape_overrides.map
    _shape_overrides.map = mapping
    try:
        yield mapping
    finally:
        _shape_overrides.map = saved


@tensor_util.register_symbolic_tensor_type
class Tensor:
    """One output of an Operation: a symbolic value with a dtype and a (partially known) shape."""

    __slots__ = ("_op", "_value_index", "_dtype", "_shape", "_consumers", "__weakref__")

    # Numpy arrays on the left of an operator defer to us (``np_array + tensor``).
    __array_priority__ = 100

    OVERLOADABLE_OPERATORS = {
        "__add__",
        "__radd__",
        "__sub__",
        "__rsub__",
        "__mul__",
        "__rmul__",
        "__div__",
        "__rdiv__",
        "__truediv__",
        "__rtruediv__",
        "__floordiv__",
        "__rfloordiv__",
        "__mod__",
        "__rmod__",
        "__lt__",
        "__le__",
        "__gt__",
        "__ge__",
        "__and__",
        "__rand__",
        "__or__",
        "__ror__",
        "__xor__",
        "__rxor__",
        "__getitem__",
        "__pow__",
        "__rpow__",
        "__invert__",
        "__neg__",
        "__abs__",
        "__matmul__",
        "__rmatmul__",
    }

    def __init__(self, op: Operation, value_index: int, dtype: DType):
        uid()  # TF's symbolic Tensor takes one for its id
        self._op = op
        self._value_index = value_index
        self._dtype = dtype
        self._shape = unknown_shape()
        self._consumers = []

    @property
    def op(self) -> Operation:
        return self._op

    @property
    def value_index(self) -> int:
        return self._value_index

    @property
    def dtype(self) -> DType:
        return self._dtype

    @property
    def graph(self) -> Graph:
        return self._op._graph

    @property
    def name(self) -> str:
        return f"{self._op._name}:{self._value_index}"

    @property
    def device(self) -> str:
        return self._op._device

    @property
    def shape(self) -> TensorShape:
        overrides = _shape_overrides.map
        if overrides is not None:
            shape = overrides.get(self)
            if shape is not None:
                return shape
        return self._shape

    def get_shape(self) -> TensorShape:
        return self.shape

    def set_shape(self, shape) -> None:
        """Refines the static shape; raises ValueError if ``shape`` is incompatible."""
        self._shape = self._shape.merge_with(as_shape(shape))

    def consumers(self) -> list[Operation]:
        return list(self._consumers)

    def eval(self, feed_dict=None, session=None):
        """Runs this tensor in ``session`` (default: the default session) and returns its value."""
        return run_using_default_session(self, feed_dict, self.graph, session, "tensor")

    def _as_node_def_input(self) -> str:
        return self._op._name if self._value_index == 0 else f"{self._op._name}:{self._value_index}"

    def __repr__(self):
        return f"<tf.Tensor '{self.name}' shape={self._shape} dtype={self._dtype.name}>"

    def __str__(self):
        return f'Tensor("{self.name}", shape={self._shape}, dtype={self._dtype.name})'

    __hash__ = object.__hash__

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    def __bool__(self):
        raise TypeError(
            "Using a `tf.Tensor` as a Python `bool` is not allowed. Use `if t is not None:` instead of "
            "`if t:` to test if a tensor is defined, and use TensorFlow ops such as tf.cond to execute "
            "subgraphs conditioned on the value of a tensor."
        )

    def __iter__(self):
        shape = self._shape
        if shape.rank is None or shape.rank == 0 or shape.as_tuple()[0] is None:
            raise TypeError("Tensor objects are only iterable when eager execution is enabled.")
        return iter([self[i] for i in range(shape.as_tuple()[0])])

    def __len__(self):
        raise TypeError(
            f"len is not well defined for a symbolic Tensor ({self.name}). Please call `x.shape` rather "
            "than `len(x)` for shape information."
        )

    def __array__(self, dtype=None):
        raise NotImplementedError(
            f"Cannot convert a symbolic tf.Tensor ({self.name}) to a numpy array. Run it in a Session."
        )

    @classmethod
    def _override_operator(cls, operator: str, func) -> None:
        setattr(cls, operator, func)


# ---------------------------------------------------------------------------------------------
# Operation


def _decode_attr(value: attr_value_pb2.AttrValue):
    """AttrValue -> Python, as TF's ``Operation.get_attr`` returns it."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "list":
        lst = value.list
        if lst.s:
            return list(lst.s)
        if lst.i:
            return list(lst.i)
        if lst.f:
            return list(lst.f)
        if lst.b:
            return list(lst.b)
        if lst.type:
            return [DType(t) for t in lst.type]
        if lst.shape:
            return list(lst.shape)
        if lst.tensor:
            return list(lst.tensor)
        if lst.func:
            return list(lst.func)
        return []
    if kind == "type":
        return DType(value.type)
    return getattr(value, kind)


class Operation:
    """A node of the graph: an op type applied to input tensors, producing output tensors."""

    __slots__ = (
        "_graph",
        "_name",
        "_type",
        "_inputs",
        "_control_inputs",
        "_outputs",
        "_attrs",
        "_device",
        "_id",
        "_info",
        "_op_def",
        "_extras",
        "_control_outputs",
        "_control_flow_context",
        "_func_graphs",
        "__weakref__",
    )

    def __init__(
        self,
        graph: Graph,
        op_type: str,
        name: str,
        inputs: list[Tensor],
        output_types: list[DType],
        attrs: dict,
        device: str = "",
        control_inputs=(),
        op_def=None,
        extras: node_def_pb2.NodeDef | None = None,
    ):
        self._graph = graph
        self._name = name
        self._type = op_type
        self._inputs = list(inputs)
        self._control_inputs = []
        self._control_outputs = []
        self._attrs = attrs
        self._device = device
        self._info = registry.get(op_type)
        self._op_def = op_def if op_def is not None else (self._info.op_def if self._info else None)
        self._extras = extras
        self._control_flow_context = None
        self._func_graphs = None  # the Python function graphs of an If/While built here (cond_v2, while_v2)
        self._outputs = [Tensor(self, i, dt) for i, dt in enumerate(output_types)]
        for t in self._inputs:
            t._consumers.append(self)
        for c in control_inputs:
            self._add_control_input(c)

    # -- TF's Operation API -----------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def type(self) -> str:
        return self._type

    @property
    def graph(self) -> Graph:
        return self._graph

    @property
    def inputs(self) -> tuple[Tensor, ...]:
        return tuple(self._inputs)

    @property
    def outputs(self) -> list[Tensor]:
        return list(self._outputs)

    @property
    def control_inputs(self) -> list[Operation]:
        return list(self._control_inputs)

    @property
    def device(self) -> str:
        return self._device

    @property
    def op_def(self):
        return self._op_def

    @property
    def node_def(self) -> node_def_pb2.NodeDef:
        return self._to_node_def()

    @property
    def traceback(self):
        return []

    def values(self) -> tuple[Tensor, ...]:
        return tuple(self._outputs)

    def get_attr(self, name: str):
        """The value of attr ``name`` (DType for types, TensorShapeProto for shapes, ...).

        Raises:
          ValueError: if the op has no such attr (TF's message).
        """
        try:
            value = self._attrs[name]
        except KeyError:
            raise ValueError(f"Operation '{self._name}' has no attr named '{name}'.") from None
        return _decode_attr(value)

    def _set_attr(self, name: str, value: attr_value_pb2.AttrValue) -> None:
        self._attrs[name] = value

    def _clear_attr(self, name: str) -> None:
        self._attrs.pop(name, None)

    def colocation_groups(self) -> list[bytes]:
        default = [f"loc:@{self._name}".encode()]
        value = self._attrs.get("_class")
        if value is None:
            return default
        groups = [s for s in value.list.s if s.startswith(b"loc:@")]
        return groups or default

    def run(self, feed_dict=None, session=None) -> None:
        """Runs this operation in ``session`` (default: the default session)."""
        run_using_default_session(self, feed_dict, self._graph, session, "operation")

    def _add_control_input(self, op: Operation) -> None:
        if not isinstance(op, Operation):
            raise TypeError(f"op must be an Operation: {op}")
        if op not in self._control_inputs:
            self._control_inputs.append(op)
            op._control_outputs.append(self)

    def _add_control_inputs(self, ops) -> None:
        for op in ops:
            self._add_control_input(op)

    def _remove_all_control_inputs(self) -> None:
        for op in self._control_inputs:
            op._control_outputs.remove(self)
        self._control_inputs = []

    def _add_inputs(self, tensors) -> None:
        """Appends inputs (a While rewritten to also accumulate intermediates for its gradient, as TF does)."""
        for t in tensors:
            self._inputs.append(t)
            t._consumers.append(self)
        self._graph._version += 1

    def _add_outputs(self, types, shapes) -> None:
        """Appends outputs (an If rewritten to also return intermediates for its gradient, as TF does)."""
        for dt, shape in zip(types, shapes):
            t = Tensor(self, len(self._outputs), dt)
            t._shape = as_shape(shape)
            self._outputs.append(t)
        self._graph._version += 1

    def _get_control_flow_context(self):
        """The CondContext/WhileContext this op was built in (None outside TF1 control flow)."""
        return self._control_flow_context

    def _set_control_flow_context(self, ctx) -> None:
        self._control_flow_context = ctx

    def _update_input(self, index: int, tensor: Tensor) -> None:
        old = self._inputs[index]
        old._consumers.remove(self)
        self._inputs[index] = tensor
        tensor._consumers.append(self)
        self._graph._version += 1

    def _to_node_def(self) -> node_def_pb2.NodeDef:
        nd = node_def_pb2.NodeDef()
        if self._extras is not None:
            nd.CopyFrom(self._extras)
        nd.name = self._name
        nd.op = self._type
        nd.input.extend(t._as_node_def_input() for t in self._inputs)
        nd.input.extend(sorted("^" + c._name for c in self._control_inputs))  # TF lists them sorted
        if self._device:
            nd.device = self._device
        for key, value in self._attrs.items():
            nd.attr[key].CopyFrom(value)
        return nd

    def __repr__(self):
        return f"<tf.Operation '{self._name}' type={self._type}>"

    def __str__(self):
        return str(self._to_node_def())

    __hash__ = object.__hash__

    def __eq__(self, other):
        return self is other


# ---------------------------------------------------------------------------------------------
# Graph


class _ControlDependenciesController:
    """One ``control_dependencies`` block: its control inputs and the ops created inside it."""

    def __init__(self, graph: Graph, control_inputs):
        self._graph = graph
        if control_inputs is None:
            self.control_inputs = []
            self._new_stack = True
        else:
            self.control_inputs = control_inputs
            self._new_stack = False
        self._seen_nodes = set()
        self._old_stack = None
        self._old_control_flow_context = None

    def __enter__(self):
        if self._new_stack:
            # control_dependencies(None) clears the control-flow context too, as in TF.
            self._old_stack = self._graph._control_dependencies_stack
            self._graph._control_dependencies_stack = []
            self._old_control_flow_context = self._graph._control_flow_context
            self._graph._control_flow_context = None
        self._graph._control_dependencies_stack.append(self)

    def __exit__(self, *exc):
        self._graph._control_dependencies_stack.pop()
        if self._new_stack:
            self._graph._control_dependencies_stack = self._old_stack
            self._graph._control_flow_context = self._old_control_flow_context

    def add_op(self, op: Operation) -> None:
        self._seen_nodes.add(op)

    def op_in_group(self, op: Operation) -> bool:
        return op in self._seen_nodes


_uids = itertools.count()


def uid() -> int:
    """A process-wide unique number, TF's ``ops.uid``. Its sequence is TF's: TensorFlow takes one for each Graph
    (function graphs too) and each op output (Tensor) it creates, so names that carry one (``__inference_Dataset_map_f_8``,
    ``cond_true_12``) are TF's when the same program builds the same graph from a fresh process."""
    return next(_uids)


class Graph:
    """A TensorFlow computation graph: Operations, their names, devices and collections."""

    def __init__(self):
        uid()  # TF's Graph takes one for its graph key
        self._lock = threading.RLock()
        self._ops: list[Operation] = []
        self._nodes_by_name: dict[str, Operation] = {}
        self._names_in_use: dict[str, int] = {}
        self._name_stack = ""
        self._collections: dict = {}
        self._control_dependencies_stack: list[_ControlDependenciesController] = []
        self._device_stack: list = []
        self._colocation_stack: list[Operation] = []
        self._finalized = False
        self._version = 0
        self._seed = None
        self._library = FunctionLibrary()  # GraphDef.library: FunctionDefs and gradient defs
        self._foreign_op_defs: dict = {}  # OpDefs of op types we have no registration for
        self._unfetchable_ops = set()
        self._unfeedable_tensors = set()
        self._gradient_override_map: dict[str, str] = {}
        self._attr_scope_map: dict = {}
        self._control_flow_context = None
        self._graph_def_versions = versions_pb2.VersionDef(
            producer=GRAPH_DEF_VERSION, min_consumer=GRAPH_DEF_VERSION_MIN_CONSUMER
        )

    # -- default graph -----------------------------------------------------------------------
    def as_default(self):
        """Returns a context manager that makes this graph the default graph."""
        return _default_graph_stack.get_controller(self)

    # -- properties ----------------------------------------------------------------------------
    @property
    def version(self) -> int:
        """Increases whenever an op is added (a cheap staleness check for caches)."""
        return self._version

    @property
    def graph_def_versions(self) -> versions_pb2.VersionDef:
        return self._graph_def_versions

    @property
    def seed(self):
        return self._seed

    @seed.setter
    def seed(self, seed):
        self._seed = seed

    @property
    def finalized(self) -> bool:
        return self._finalized

    def finalize(self) -> None:
        self._finalized = True

    def _unsafe_unfinalize(self) -> None:
        self._finalized = False

    def _check_not_finalized(self) -> None:
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified.")

    @property
    def building_function(self) -> bool:
        return False

    @property
    def _last_id(self) -> int:
        return len(self._ops)

    # -- op creation -----------------------------------------------------------------------------
    def _create_op(
        self,
        op_type: str,
        inputs: list[Tensor],
        output_types: list[DType],
        attrs: dict,
        name: str,
        op_def=None,
        control_inputs=(),
        extras=None,
        device=None,
        compute_shapes=True,
        apply_scopes=True,
    ) -> Operation:
        """Adds an Operation named exactly ``name`` (callers make it unique)."""
        self._check_not_finalized()
        for t in inputs:
            if t.graph is not self:
                raise ValueError(f"Tensor {t} must be from the same graph as the op '{name}' being created.")
        control = list(control_inputs)
        if apply_scopes:
            for key, value in self._attr_scope_map.items():
                if value is None:
                    attrs.pop(key, None)
                elif key not in attrs:
                    attrs[key] = value
            if op_type in self._gradient_override_map:  # TF records the override on the op, for tf.gradients later
                attrs["_gradient_op_type"] = attr_value_pb2.AttrValue(s=self._gradient_override_map[op_type].encode())
            input_ops = {t._op for t in inputs}
            for c in self._control_dependencies_for_inputs(input_ops):
                if c not in control:
                    control.append(c)
            if self._colocation_stack:  # overrides an attr-scope _class, as in TF
                groups = []
                for op in self._colocation_stack:
                    for g in op.colocation_groups():
                        if g not in groups:
                            groups.append(g)
                attrs["_class"] = attr_value_pb2.AttrValue(list=attr_value_pb2.AttrValue.ListValue(s=sorted(groups)))
            if device is None:
                device = self._current_device(name, op_type, attrs)
        op = Operation(
            self,
            op_type,
            name,
            inputs,
            output_types,
            attrs,
            device or "",
            control,
            op_def=op_def,
            extras=extras,
        )
        self._add_op(op)
        if apply_scopes:
            for controller in self._control_dependencies_stack:
                controller.add_op(op)
            op._control_flow_context = self._control_flow_context
        if compute_shapes:
            _set_shapes_for_outputs(op)
        if apply_scopes and (
            op._control_flow_context is not None or any(t._op._control_flow_context is not None for t in inputs)
        ):
            self._control_flow_post_processing(op)
        return op

    def _control_flow_post_processing(self, op: Operation) -> None:
        """Checks the op's inputs come from valid contexts and adds it to its context (TF's Operation hook).

        The context may put Switch/Enter ops before the op's inputs (``AddOp``), so this runs after
        the op exists, as in TensorFlow.
        """
        for t in list(op._inputs):
            control_flow_util.CheckInputFromValidContext(op, t._op)
        if op._control_flow_context is not None:
            op._control_flow_context.AddOp(op)

    def _record_op_seen_by_control_dependencies(self, op: Operation) -> None:
        for controller in self._control_dependencies_stack:
            controller.add_op(op)

    def _is_function(self, name) -> bool:
        """Whether ``name`` is a function of this graph's library (a call of it is an op of that type)."""
        if self._library is None:
            return False
        return any(f.signature.name == name for f in self._library.function)

    def _add_op(self, op: Operation) -> None:
        with self._lock:
            if op._name in self._nodes_by_name:
                raise ValueError(f"Duplicate node name in graph: '{op._name}'")
            self._nodes_by_name[op._name] = op
            self._ops.append(op)
            op._id = len(self._ops)
            self._version += 1
            # A name is "in use" once an op has it, also for imported names.
            key = op._name.lower()
            if key not in self._names_in_use:
                self._names_in_use[key] = 1

    def create_op(
        self,
        op_type,
        inputs,
        dtypes=None,
        input_types=None,
        name=None,
        attrs=None,
        op_def=None,
        compute_shapes=True,
        compute_device=True,
    ) -> Operation:
        """TF1's low-level ``Graph.create_op``: attrs are AttrValue protos, dtypes the output types. A
        ``name`` ending in "/" is a name scope, used as it is (without the "/"), as in TF."""
        if name and name.endswith("/"):
            name = name[:-1]
        else:
            name = self.unique_name(name or op_type)
        attrs = dict(attrs or {})
        if dtypes is None:
            info = registry.get(op_type)
            if info is None:
                raise errors.UnsupportedOpError({op_type: [name]})
            dtypes = output_types_from_attrs(info.op_def, attrs)
        return self._create_op(op_type, list(inputs), list(dtypes), attrs, name, op_def=op_def)

    def _current_device(self, name, op_type, attrs) -> str:
        """TF's ``_apply_device_functions``: the innermost scope first, each outer one merging under it (a
        device function sees the device the scopes inside it chose, e.g. replica_device_setter around
        ``tf.device("/cpu:0")``); a ``None`` scope hides the ones outside it."""
        current = ""
        for spec in reversed(self._device_stack):
            if spec is None:
                break
            if callable(spec):
                node = _DeviceFunctionNode(name, op_type, attrs, current)
                result = spec(node)
                current = device_lib.canonical_name(result) if result is not None else current
            else:
                current = device_lib.merge_device(spec, current)
        return current

    # -- names ------------------------------------------------------------------------------------
    def unique_name(self, name: str, mark_as_used: bool = True) -> str:
        """``name`` inside the current name scope, made unique with ``_1``, ``_2``, ... as TF does."""
        if self._name_stack:
            name = self._name_stack + "/" + name
        name_key = name.lower()
        i = self._names_in_use.get(name_key, 0)
        if mark_as_used:
            self._names_in_use[name_key] = i + 1
        if i > 0:
            base_name_key = name_key
            while name_key in self._names_in_use:
                name_key = f"{base_name_key}_{i}"
                i += 1
            if mark_as_used:
                self._names_in_use[name_key] = 1
            name = f"{name}_{i - 1}"
        return name

    def get_name_scope(self) -> str:
        return self._name_stack

    @contextlib.contextmanager
    def name_scope(self, name):
        """Graph.name_scope: ``"a"`` opens a unique sub-scope, ``"a/"`` re-enters, ``""``/None resets."""
        if name:
            if isinstance(name, bytes):
                name = name.decode()
            if self._name_stack:
                if not _VALID_SCOPE_NAME_REGEX.match(name):
                    raise ValueError(f"'{name}' is not a valid scope name")
            elif not _VALID_OP_NAME_REGEX.match(name):
                raise ValueError(f"'{name}' is not a valid scope name")
        old_stack = self._name_stack
        if not name:
            new_stack, returned = "", ""
        elif name[-1] == "/":
            new_stack, returned = name[:-1], name
        else:
            new_stack = self.unique_name(name)
            returned = new_stack + "/"
        self._name_stack = new_stack
        try:
            yield returned
        finally:
            self._name_stack = old_stack

    # -- devices, colocation, control dependencies --------------------------------------------------
    @contextlib.contextmanager
    def device(self, device_name_or_function):
        """Ops created inside are placed on this device (nested specs merge, None clears)."""
        if isinstance(device_name_or_function, device_lib.DeviceSpec):
            device_name_or_function = device_name_or_function.to_string()
        if isinstance(device_name_or_function, str):
            device_lib.DeviceSpec.from_string(device_name_or_function)  # validate early
        self._device_stack.append(device_name_or_function)
        try:
            yield
        finally:
            self._device_stack.pop()

    @contextlib.contextmanager
    def colocate_with(self, op, ignore_existing=False):
        if op is None:
            # TF resets the device scopes too (a resource variable's Assign and reads take no outer device)
            old, old_devices = self._colocation_stack, self._device_stack
            self._colocation_stack, self._device_stack = [], []
            try:
                yield
            finally:
                self._colocation_stack, self._device_stack = old, old_devices
            return
        op = _op_of(op)
        old_stack = self._colocation_stack
        if ignore_existing:
            self._colocation_stack = []
        self._colocation_stack = [*self._colocation_stack, op]
        # Colocation wins over device scopes, as in TF.
        old_devices = self._device_stack
        self._device_stack = [op.device] if op.device else [None]
        try:
            yield
        finally:
            self._colocation_stack = old_stack
            self._device_stack = old_devices

    def control_dependencies(self, control_inputs):
        """Ops created inside run only after ``control_inputs`` (None clears outer blocks)."""
        if control_inputs is None:
            return _ControlDependenciesController(self, None)
        ops = []
        current = self._current_control_dependencies()
        for c in control_inputs:
            if hasattr(c, "_as_graph_element") and not isinstance(c, (Tensor, Operation)):
                c = c._as_graph_element()
            if type(c).__name__ == "IndexedSlices":
                c = c.op
            if isinstance(c, Tensor):
                c = c.op
            elif not isinstance(c, Operation):
                raise TypeError(f"Can not convert a {type(c).__name__} into a Tensor or Operation.")
            if c.graph is not self:
                raise ValueError(f"Control input {c.name} is not from this graph")
            if c not in current and c not in ops:
                ops.append(c)
                # TF marks every op used as a manual control dependency (its MLIR-bridge bookkeeping).
                c._set_attr("_has_manual_control_dependencies", attr_value_pb2.AttrValue(b=True))
        return _ControlDependenciesController(self, ops)

    def _current_control_dependencies(self):
        out = set()
        for controller in self._control_dependencies_stack:
            out.update(controller.control_inputs)
        return out

    def _control_dependencies_for_inputs(self, input_ops) -> list[Operation]:
        ret = []
        for controller in self._control_dependencies_stack:
            if any(controller.op_in_group(op) for op in input_ops):
                continue
            ret.extend(c for c in controller.control_inputs if c not in input_ops and c not in ret)
        return ret

    @contextlib.contextmanager
    def _attr_scope(self, attr_map):
        """Ops created inside get these AttrValues (None removes one), as TF's private _attr_scope."""
        saved = dict(self._attr_scope_map)
        self._attr_scope_map.update(attr_map)
        try:
            yield
        finally:
            self._attr_scope_map = saved

    @contextlib.contextmanager
    def gradient_override_map(self, op_type_map):
        saved = {k: self._gradient_override_map.get(k) for k in op_type_map}
        self._gradient_override_map.update(op_type_map)
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    self._gradient_override_map.pop(k, None)
                else:
                    self._gradient_override_map[k] = v

    # -- lookup -------------------------------------------------------------------------------------
    def get_operations(self) -> list[Operation]:
        return list(self._ops)

    def get_operation_by_name(self, name: str) -> Operation:
        if not isinstance(name, str):
            raise TypeError(f"Operation names are strings (or similar), not {type(name).__name__}.")
        return self.as_graph_element(name, allow_tensor=False, allow_operation=True)

    def get_tensor_by_name(self, name: str) -> Tensor:
        if not isinstance(name, str):
            raise TypeError(f"Tensor names are strings (or similar), not {type(name).__name__}.")
        return self.as_graph_element(name, allow_tensor=True, allow_operation=False)

    def _get_operation_by_name_unsafe(self, name: str) -> Operation | None:
        return self._nodes_by_name.get(name)

    def as_graph_element(self, obj, allow_tensor=True, allow_operation=True):
        """Resolves a Tensor, Operation, Variable or name to an element of this graph (TF's errors)."""
        if allow_tensor and allow_operation:
            types_str = "Tensor or Operation"
        elif allow_tensor:
            types_str = "Tensor"
        else:
            types_str = "Operation"
        conv = getattr(obj, "_as_graph_element", None)
        if conv is not None and callable(conv) and not isinstance(obj, (Tensor, Operation)):
            obj = conv()
        if isinstance(obj, bytes):
            obj = obj.decode()
        if isinstance(obj, str):
            name = obj
            if ":" in name and allow_tensor:
                try:
                    op_name, out_n = name.split(":")
                    out_n = int(out_n)
                except ValueError:
                    raise ValueError(
                        f"The name {name!r} looks a like a Tensor name, but is not a valid one. "
                        'Tensor names must be of the form "<op_name>:<output_index>".'
                    ) from None
                op = self._nodes_by_name.get(op_name)
                if op is None:
                    raise KeyError(
                        f"The name {name!r} refers to a Tensor which does not exist. The operation, "
                        f"{op_name!r}, does not exist in the graph."
                    )
                if out_n >= len(op._outputs):
                    raise KeyError(
                        f"The name {name!r} refers to a Tensor which does not exist. The operation, "
                        f"{op_name!r}, exists but only has {len(op._outputs)} outputs."
                    )
                return op._outputs[out_n]
            if ":" in name and not allow_tensor:
                raise ValueError(f"Name {name!r} appears to refer to a Tensor, not a {types_str}.")
            if not allow_operation:
                if name in self._nodes_by_name:
                    raise ValueError(
                        f"The name {name!r} refers to an Operation, not a {types_str}. Tensor names "
                        'must be of the form "<op_name>:<output_index>".'
                    )
                raise ValueError(
                    f"The name {name!r} looks like an (invalid) Operation name, not a {types_str}. "
                    'Tensor names must be of the form "<op_name>:<output_index>".'
                )
            op = self._nodes_by_name.get(name)
            if op is None:
                raise KeyError(f"The name {name!r} refers to an Operation not in the graph.")
            return op
        if isinstance(obj, Tensor) and allow_tensor:
            if obj.graph is not self:
                raise ValueError(f"Tensor {obj} is not an element of this graph.")
            return obj
        if isinstance(obj, Operation) and allow_operation:
            if obj._graph is not self:
                raise ValueError(f"Operation {obj} is not an element of this graph.")
            return obj
        raise TypeError(f"Can not convert a {type(obj).__name__} into a {types_str}.")

    def is_fetchable(self, tensor_or_op) -> bool:
        op = tensor_or_op.op if isinstance(tensor_or_op, Tensor) else tensor_or_op
        return op not in self._unfetchable_ops

    def prevent_fetching(self, op) -> None:
        self._unfetchable_ops.add(op)

    def is_feedable(self, tensor) -> bool:
        return tensor not in self._unfeedable_tensors

    def prevent_feeding(self, tensor) -> None:
        self._unfeedable_tensors.add(tensor)

    # -- serialization -------------------------------------------------------------------------------
    def as_graph_def(self, from_version=None, add_shapes=False) -> graph_pb2.GraphDef:
        """The GraphDef of this graph (with ``_output_shapes`` attrs when ``add_shapes``)."""
        graph_def = graph_pb2.GraphDef()
        graph_def.versions.CopyFrom(self._graph_def_versions)
        ops = self._ops if from_version is None else self._ops[from_version:]
        for op in ops:
            node = op._to_node_def()
            if add_shapes and op._outputs:
                shapes = node.attr["_output_shapes"].list.shape
                del shapes[:]
                shapes.extend(t._shape.as_proto() for t in op._outputs)
            graph_def.node.append(node)
        if self._library:
            graph_def.library.CopyFrom(self._library.to_proto())
        return graph_def

    # -- functions --------------------------------------------------------------------------------------
    def _is_function(self, name: str) -> bool:
        """Whether ``name`` is a function of this graph's library (and so usable as an op type)."""
        return name in self._library

    def _get_function_def(self, name: str):
        """The FunctionDef named ``name`` in this graph's library, or None."""
        return self._library.get(name)

    def _add_function_def(self, function_def) -> None:
        """Adds a FunctionDef to this graph's library (an identical one may be added again)."""
        self._check_not_finalized()
        self._library.add(function_def)

    def _op_def_for(self, op_type: str):
        info = registry.get(op_type)
        if info is not None:
            return info.op_def
        fdef = self._library.get(op_type)
        if fdef is not None:
            return fdef.signature
        return self._foreign_op_defs.get(op_type)

    # -- collections ----------------------------------------------------------------------------------
    def add_to_collection(self, name, value) -> None:
        self._check_not_finalized()
        with self._lock:
            self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names, value) -> None:
        names = (names,) if isinstance(names, str) else set(names)
        for name in names:
            self.add_to_collection(name, value)

    def get_collection_ref(self, name) -> list:
        with self._lock:
            coll = self._collections.get(name)
            if coll is None:
                coll = []
                self._collections[name] = coll
            return coll

    def get_collection(self, name, scope=None) -> list:
        with self._lock:
            coll = self._collections.get(name)
            if coll is None:
                return []
            if scope is None:
                return list(coll)
            out = []
            regex = re.compile(scope)
            for item in coll:
                try:
                    if regex.match(item.name):
                        out.append(item)
                except AttributeError:
                    pass
            return out

    def get_all_collection_keys(self) -> list:
        with self._lock:
            return [k for k in self._collections if isinstance(k, str)]

    @property
    def collections(self) -> list:
        return list(self._collections)

    def clear_collection(self, name) -> None:
        self._check_not_finalized()
        with self._lock:
            self._collections.pop(name, None)

    # -- misc ------------------------------------------------------------------------------------------
    def _get_control_flow_context(self):
        return self._control_flow_context

    def _set_control_flow_context(self, ctx):
        self._control_flow_context = ctx


class _DeviceFunctionNode:
    """What a device function receives: a lightweight view of the op being created."""

    def __init__(self, name, op_type, attrs, device):
        self.name = name
        self.type = op_type
        self.device = device
        self._attrs = attrs

    @property
    def node_def(self):
        nd = node_def_pb2.NodeDef(name=self.name, op=self.type, device=self.device)
        for k, v in self._attrs.items():
            nd.attr[k].CopyFrom(v)
        return nd

    def get_attr(self, name):
        return _decode_attr(self._attrs[name])


def _op_of(x) -> Operation:
    if isinstance(x, Operation):
        return x
    if isinstance(x, Tensor):
        return x.op
    if hasattr(x, "op"):
        return x.op
    raise TypeError(f"Expected an Operation or Tensor, got {type(x).__name__}")


def _set_shapes_for_outputs(op: Operation) -> None:
    info = op._info
    if info is None or info.shape_fn is None:
        return
    # Also for ops without outputs: their shape function validates inputs.
    shapes = common_shapes.run_shape_fn(op, info.shape_fn)
    if shapes is None:
        return
    if len(shapes) != len(op._outputs):
        raise ValueError(f"Shape function for {op.type} returned {len(shapes)} shapes for {len(op._outputs)} outputs")
    for t, s in zip(op._outputs, shapes):
        if s is not None:
            t._shape = s if isinstance(s, TensorShape) else as_shape(s)


# ---------------------------------------------------------------------------------------------
# The default graph


class _DefaultGraphStack(threading.local):
    def __init__(self):
        super().__init__()
        self.stack = []

    def get_controller(self, graph):
        return self._controller(graph)

    @contextlib.contextmanager
    def _controller(self, graph):
        self.stack.append(graph)
        try:
            yield graph
        finally:
            # Pop this graph even if a nested scope misbehaved.
            if self.stack and self.stack[-1] is graph:
                self.stack.pop()
            elif graph in self.stack:
                self.stack.remove(graph)


_default_graph_stack = _DefaultGraphStack()
_global_default_graph = None


def get_default_graph() -> Graph:
    """The innermost graph made default with ``as_default()``, else the global default graph."""
    stack = _default_graph_stack.stack
    if stack:
        return stack[-1]
    global _global_default_graph
    if _global_default_graph is None:
        _global_default_graph = Graph()
    return _global_default_graph


def reset_default_graph() -> None:
    """Clears the global default graph (not allowed inside ``with g.as_default()``)."""
    if _default_graph_stack.stack:
        raise AssertionError(
            "Do not use tf.reset_default_graph() to clear nested graphs. If you need a cleared graph, "
            "exit the nesting and create a new graph."
        )
    global _global_default_graph
    _global_default_graph = Graph()


def _get_graph_from_inputs(values) -> Graph:
    default = get_default_graph()
    if default.building_function:
        return default  # a function body captures outside inputs, as TF's _get_graph_from_inputs
    for v in values or ():
        g = getattr(v, "graph", None)
        if isinstance(g, Graph):
            return g
    return default


class name_scope:  # noqa: N801 - TensorFlow's name
    """``tf.name_scope(name, default_name=None, values=None)``: a scope for op names (TF1 form)."""

    def __init__(self, name, default_name=None, values=None):
        self._name = default_name if name is None else name
        self._default_name = default_name
        self._values = values
        self._ctx = None
        self._graph_ctx = None

    def __enter__(self):
        if self._name is None and self._values is not None:
            raise ValueError(
                f"At least one of name ({self._name}) and default_name ({self._default_name}) must be provided."
            )
        g = _get_graph_from_inputs(self._values)
        self._graph_ctx = g.as_default()
        self._graph_ctx.__enter__()
        self._ctx = g.name_scope(self._name)
        try:
            return self._ctx.__enter__()
        except Exception:
            self._graph_ctx.__exit__(None, None, None)
            raise

    def __exit__(self, *exc):
        self._ctx.__exit__(*exc)
        self._graph_ctx.__exit__(*exc)
        return False


def control_dependencies(control_inputs):
    return get_default_graph().control_dependencies(control_inputs)


@contextlib.contextmanager
def init_scope():
    """TF's ``ops.init_scope`` (graph mode): the outermost graph that is not a function being built
    (variables created in a while_v2 body or a cond_v2 branch live there, as in TF), with the current
    name scope kept and no control dependencies or control-flow context."""
    graph = get_default_graph()
    scope = graph.get_name_scope()
    if scope and scope[-1] != "/":
        scope += "/"
    outer = graph
    while getattr(outer, "outer_graph", None) is not None:
        outer = outer.outer_graph
    with outer.as_default(), outer.name_scope(scope), outer.control_dependencies(None):
        yield


def device(device_name_or_function):
    return get_default_graph().device(device_name_or_function)


def colocate_with(op, ignore_existing=False):
    return get_default_graph().colocate_with(op, ignore_existing)


def add_to_collection(name, value) -> None:
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value) -> None:
    get_default_graph().add_to_collections(names, value)


def get_collection(key, scope=None) -> list:
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key) -> list:
    return get_default_graph().get_collection_ref(key)


def get_all_collection_keys() -> list:
    return get_default_graph().get_all_collection_keys()


# ---------------------------------------------------------------------------------------------
# Proto functions: how Python objects in collections become protos in a MetaGraphDef

_proto_function_registry: dict = {}


def register_proto_function(collection_name, proto_type=None, to_proto=None, from_proto=None) -> None:
    """Registers how items of ``collection_name`` are exported to / imported from a MetaGraphDef.

    Args:
      collection_name: the collection key (e.g. ``"variables"``).
      proto_type: the proto message class items serialize to.
      to_proto: ``fn(item, export_scope=None) -> proto or None`` (None leaves the item out).
      from_proto: ``fn(proto, import_scope=None) -> item``.

    Raises:
      TypeError: if ``to_proto`` or ``from_proto`` is given and not callable.
    """
    if to_proto and not callable(to_proto):
        raise TypeError("to_proto must be callable.")
    if from_proto and not callable(from_proto):
        raise TypeError("from_proto must be callable.")
    _proto_function_registry[collection_name] = (proto_type, to_proto, from_proto)


def get_collection_proto_type(collection_name):
    entry = _proto_function_registry.get(collection_name)
    return entry[0] if entry else None


def get_to_proto_function(collection_name):
    entry = _proto_function_registry.get(collection_name)
    return entry[1] if entry else None


def get_from_proto_function(collection_name):
    entry = _proto_function_registry.get(collection_name)
    return entry[2] if entry else None


# ---------------------------------------------------------------------------------------------
# Name scopes of imported and exported names (TF's ops.strip_name_scope / prepend_name_scope)


def strip_name_scope(name: str, export_scope) -> str:
    """Removes ``export_scope/`` from the front of ``name`` (also after ``^`` and ``loc:@``), as TF does.

    The scope is used as a regular expression, exactly as in TensorFlow.
    """
    if not export_scope:
        return name
    if export_scope[-1] == "/":
        export_scope = export_scope[:-1]
    try:
        return re.sub(
            r"([\^]|loc:@|^)" + export_scope + r"[\/]+(.*)",
            r"\1\2",
            name.decode() if isinstance(name, bytes) else name,
            count=1,
        )
    except TypeError as e:
        _logger.warning(e)
        return name


def prepend_name_scope(name: str, import_scope) -> str:
    """Prefixes ``name`` with ``import_scope/`` (after a leading ``^`` or ``loc:@``), as TF does."""
    if not import_scope:
        return name
    if import_scope[-1] == "/":
        import_scope = import_scope[:-1]
    try:
        return re.sub(
            r"([\^]|loc:@|^)(.*)", r"\1" + import_scope + r"/\2", name.decode() if isinstance(name, bytes) else name
        )
    except (TypeError, AttributeError):
        _logger.warning("Expected binary or unicode string, got %s", name)
        return name


# ---------------------------------------------------------------------------------------------
# Conversion of Python values, Variables, ... to Tensors

_conversion_functions: list = []  # (priority, base_type, fn)

# How any other Python value (numbers, lists, numpy arrays) becomes a Tensor: ``tf.constant``.
# constant_op registers it when imported (it builds on this module, as TF's constant_op does on ops.py);
# op_def_library imports constant_op, so every module that builds ops has it.
_constant_conversion = None


def register_constant_conversion(constant_fn) -> None:
    """Sets ``constant_fn(value, dtype=None, name=...)`` as the conversion of plain Python values."""
    global _constant_conversion
    _constant_conversion = constant_fn


def register_tensor_conversion_function(base_type, conversion_func, priority=100) -> None:
    """Registers ``conversion_func(value, dtype=None, name=None, as_ref=False) -> Tensor``."""
    _conversion_functions.append((priority, base_type, conversion_func))
    _conversion_functions.sort(key=lambda e: e[0])


def convert_to_tensor(value, dtype=None, name=None, preferred_dtype=None, as_ref=False) -> Tensor:
    """Converts Tensors, Variables, numpy arrays and Python values to a Tensor of the default graph.

    Raises:
      ValueError / TypeError: on a dtype mismatch, with TensorFlow's wording.
    """
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    if isinstance(value, Tensor):
        if dtype is not None and not dtype.is_compatible_with(value.dtype):
            raise ValueError(
                f"Tensor conversion requested dtype {dtype.name} for Tensor with dtype {value.dtype.name}: {value!r}"
            )
        return value
    if preferred_dtype is not None:
        preferred_dtype = dtypes.as_dtype(preferred_dtype)
    for _, base_type, fn in _conversion_functions:
        if isinstance(value, base_type):
            result = None
            if dtype is None and preferred_dtype is not None:
                # TF's tensor_conversion_registry.convert: the preferred dtype first, then none.
                try:
                    result = fn(value, dtype=preferred_dtype, name=name, as_ref=as_ref)
                except (TypeError, ValueError):
                    pass
                else:
                    if result is not NotImplemented and result.dtype.base_dtype is not preferred_dtype.base_dtype:
                        message = (
                            f"Conversion function {fn!r} for type {base_type} returned incompatible dtype: "
                            f"requested = {preferred_dtype.base_dtype.name}, actual = {result.dtype.base_dtype.name}"
                        )
                        raise RuntimeError(message if name is None else f"{name}: {message}")
            if result is None:
                result = fn(value, dtype=dtype, name=name, as_ref=as_ref)
            if result is not NotImplemented:
                if dtype is not None and not dtype.is_compatible_with(result.dtype):
                    raise ValueError(
                        f"Tensor conversion requested dtype {dtype.name} for Tensor with dtype "
                        f"{result.dtype.name}: {result!r}"
                    )
                return result
    if isinstance(value, Operation):
        raise TypeError(f"Can't convert Operation '{value.name}' to Tensor (target dtype={dtype}, name={name!r})")
    constant = _constant_conversion
    if constant is None:
        raise TypeError(
            f"Cannot convert {value!r} to a Tensor: torchmeta.framework.constant_op is not imported (import torchmeta)"
        )
    if dtype is None and preferred_dtype is not None:
        try:
            return constant(value, dtype=preferred_dtype, name=name or "Const")
        except (TypeError, ValueError):
            pass
    return constant(value, dtype=dtype, name=name or "Const")


def convert_n_to_tensor(values, dtype=None, name=None, preferred_dtype=None) -> list[Tensor]:
    return [
        convert_to_tensor(v, dtype=dtype, name=None if name is None else f"{name}_{i}", preferred_dtype=preferred_dtype)
        for i, v in enumerate(values)
    ]
