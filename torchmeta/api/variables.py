"""tf.Variable: ref variables (TF1's default, VariableV2) and resource variables (``use_resource=True``).

The ops each kind creates, their names, colocation and the VariableDef they export are TensorFlow's,
so a graph built here imports into TensorFlow with working variables, and back.
"""

from __future__ import annotations

import contextlib
import os

from torchmeta import dtypes
from torchmeta._proto import attr_value_pb2, variable_pb2
from torchmeta.api import array_ops, math_ops
from torchmeta.api.cond import cond
from torchmeta.api.control_flow_ops import group, no_op
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.default_session import get_default_session
from torchmeta.framework.graph import GraphKeys, Tensor
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.framework.tensor_util import register_tensor_type

__all__ = [
    "Variable",
    "RefVariable",
    "ResourceVariable",
    "VariableV1",
    "global_variables",
    "all_variables",
    "trainable_variables",
    "local_variables",
    "model_variables",
    "moving_average_variables",
    "variables_initializer",
    "global_variables_initializer",
    "initialize_all_variables",
    "local_variables_initializer",
    "initialize_local_variables",
    "is_variable_initialized",
    "report_uninitialized_variables",
    "assert_variables_initialized",
    "SaveSliceInfo",
    "variable_creator_scope",
]


class SaveSliceInfo:
    """Where a partition of a partitioned variable sits in the full variable."""

    def __init__(
        self,
        full_name=None,
        full_shape=None,
        var_offset=None,
        var_shape=None,
        save_slice_info_def=None,
        import_scope=None,
    ):
        if save_slice_info_def is not None:
            self.full_name = graph_lib.prepend_name_scope(save_slice_info_def.full_name, import_scope)
            self.full_shape = list(save_slice_info_def.full_shape)
            self.var_offset = list(save_slice_info_def.var_offset)
            self.var_shape = list(save_slice_info_def.var_shape)
        else:
            self.full_name = full_name
            self.full_shape = list(full_shape or [])
            self.var_offset = list(var_offset or [])
            self.var_shape = list(var_shape or [])

    @property
    def spec(self) -> str:
        """The SaveV2 ``shape_and_slices`` string, e.g. ``"4 2 0,2:0,2"``."""
        full = " ".join(str(d) for d in self.full_shape)
        sl = ":".join(f"{o},{s}" for o, s in zip(self.var_offset, self.var_shape))
        return f"{full} {sl}"

    def to_proto(self, export_scope=None):
        if export_scope is not None and not self.full_name.startswith(export_scope):
            return None
        proto = variable_pb2.SaveSliceInfoDef()
        proto.full_name = graph_lib.strip_name_scope(self.full_name, export_scope)
        proto.full_shape.extend(self.full_shape)
        proto.var_offset.extend(self.var_offset)
        proto.var_shape.extend(self.var_shape)
        return proto


_CREATOR_STACK = ("__variable_creator_stack",)

_VARIABLE_ARGS = (
    "initial_value",
    "trainable",
    "collections",
    "validate_shape",
    "caching_device",
    "name",
    "variable_def",
    "dtype",
    "expected_shape",
    "import_scope",
    "constraint",
    "use_resource",
    "synchronization",
    "aggregation",
    "shape",
)


# The graph collection holding the variable-scope store (api/variable_scope.py keeps it there): tf.Variable reads
# the current scope's use_resource from it, as TF's default_variable_creator does.
VARSCOPESTORE_KEY = ("__varscope",)

# tf.compat.v1.enable_resource_variables' switch (TF's variable_scope._DEFAULT_USE_RESOURCE; off in TF1).
_default_use_resource = [False]


def set_default_use_resource(enabled: bool) -> None:
    _default_use_resource[0] = bool(enabled)


def default_use_resource() -> bool:
    """Whether a variable with no use_resource of its own (nor of its scope) is a resource variable."""
    return _default_use_resource[0]


def _scope_use_resource():
    stores = graph_lib.get_collection(VARSCOPESTORE_KEY)
    return stores[0].current_scope.use_resource if stores else None


def _default_variable_creator(next_creator=None, **kwargs):
    use_resource = kwargs.pop("use_resource", None)
    if use_resource is None:
        use_resource = _scope_use_resource()
    if use_resource is None:
        use_resource = default_use_resource()
    target = ResourceVariable if use_resource else RefVariable
    kwargs = {k: v for k, v in kwargs.items() if k != "collections" or v is not None}
    return type.__call__(target, **kwargs)


class _VariableMeta(type):
    """``tf.Variable(...)`` builds a RefVariable, or a ResourceVariable with ``use_resource=True``,
    through the creators of ``tf.variable_creator_scope`` (innermost first), as TF's VariableV1."""

    def __call__(cls, *args, **kwargs):
        if cls is Variable or cls is VariableV1:
            kwargs.update(zip(_VARIABLE_ARGS, args))
            creators = graph_lib.get_collection(_CREATOR_STACK)
            if not creators:
                return _default_variable_creator(**kwargs)

            def make_getter(creator, previous):
                return lambda **kw: creator(previous, **kw)

            getter = _default_variable_creator
            for creator in creators:
                getter = make_getter(creator, getter)
            return getter(**kwargs)
        kwargs.pop("use_resource", None)
        return super().__call__(*args, **kwargs)


@contextlib.contextmanager
def variable_creator_scope(variable_creator):
    """``tf.variable_creator_scope``: ``variable_creator(next_creator, **kwargs)`` makes every variable
    created inside (tf.Variable, get_variable, layers), calling ``next_creator`` to create one.

    Example::

        def creator(next_creator, **kwargs):
            kwargs["trainable"] = False
            return next_creator(**kwargs)

        with tf.variable_creator_scope(creator):
            v = tf.get_variable("v", [3])          # not trainable
    """
    stack = graph_lib.get_collection_ref(_CREATOR_STACK)
    stack.append(variable_creator)
    try:
        yield
    finally:
        del stack[len(stack) - 1 - stack[::-1].index(variable_creator)]


@register_tensor_type
class Variable(metaclass=_VariableMeta):
    """A TF1 variable. See ``RefVariable`` (the default) and ``ResourceVariable``.

    Args (as TF1's ``tf.Variable``):
      initial_value: a Tensor, Python/numpy value, or a callable returning one.
      trainable: also add to ``trainable_variables`` (default True).
      collections: collection keys (default ``[GraphKeys.GLOBAL_VARIABLES]``).
      validate_shape: if False, the variable's shape is unknown and assignments may reshape it.
      name: the variable's name (default "Variable"), made unique in the current name scope.
      dtype: convert the initial value to this dtype.
      use_resource: make a resource variable.
    """

    # Operators delegate to the value, exactly as TF's Variable._OverloadAllOperators.
    __array_priority__ = 100

    def _as_graph_element(self):
        return self._variable

    # -- common TF1 API ----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._variable.name

    @property
    def op(self):
        return self._variable.op

    @property
    def graph(self):
        return self._variable.graph

    @property
    def device(self) -> str:
        return self._variable.device

    @property
    def shape(self) -> TensorShape:
        return self._shape

    def get_shape(self) -> TensorShape:
        return self._shape

    @property
    def initializer(self):
        return self._initializer_op

    @property
    def initial_value(self) -> Tensor:
        return self._initial_value

    def initialized_value(self) -> Tensor:
        """The variable's value, or its initial value while it is not initialized (TF's
        ``cond(is_variable_initialized, read_value, initial_value)``, built outside control dependencies)."""
        with graph_lib.control_dependencies(None):
            return cond(is_variable_initialized(self), self.read_value, lambda: self.initial_value)

    @property
    def trainable(self) -> bool:
        return self._trainable

    @property
    def _shared_name(self) -> str:
        return self.name[: self.name.index(":")] if ":" in self.name else self.name

    def eval(self, session=None):
        return self._variable.eval(session=session) if not self._is_resource else self.value().eval(session=session)

    def load(self, value, session=None):
        """Writes ``value`` into the variable through its initializer, as TF1 does."""
        session = session or get_default_session()
        if session is None:
            raise ValueError("Either session argument should be provided or default session should be established")
        session.run(self._initializer_op, {self._initializer_op.inputs[1]: value})

    def set_shape(self, shape):
        self._shape = self._shape.merge_with(shape)

    def to_proto(self, export_scope=None):
        """The VariableDef of this variable, or None when it lies outside ``export_scope``."""
        if export_scope is not None and not self._variable.name.startswith(export_scope):
            return None
        var_def = variable_pb2.VariableDef()
        var_def.variable_name = graph_lib.strip_name_scope(self._variable.name, export_scope)
        if self._initial_value is not None:
            var_def.initial_value_name = graph_lib.strip_name_scope(self._initial_value.name, export_scope)
        var_def.trainable = self._trainable
        var_def.initializer_name = graph_lib.strip_name_scope(self._initializer_op.name, export_scope)
        var_def.snapshot_name = graph_lib.strip_name_scope(self._snapshot.name, export_scope)
        if self._is_resource:
            var_def.is_resource = True
        if self._save_slice_info is not None:
            info = self._save_slice_info.to_proto(export_scope=export_scope)
            if info is not None:
                var_def.save_slice_info_def.CopyFrom(info)
        return var_def

    @staticmethod
    def from_proto(variable_def, import_scope=None):
        """A Variable object for the ops a VariableDef names (in the default graph)."""
        cls = ResourceVariable if variable_def.is_resource else RefVariable
        return cls(variable_def=variable_def, import_scope=import_scope)

    def _set_save_slice_info(self, info: SaveSliceInfo) -> None:
        self._save_slice_info = info

    def _get_save_slice_info(self):
        return self._save_slice_info

    def _init_from_proto(self, variable_def, import_scope):
        g = graph_lib.get_default_graph()
        self._variable = g.as_graph_element(graph_lib.prepend_name_scope(variable_def.variable_name, import_scope))
        self._initializer_op = g.as_graph_element(
            graph_lib.prepend_name_scope(variable_def.initializer_name, import_scope)
        )
        if variable_def.initial_value_name:
            self._initial_value = g.as_graph_element(
                graph_lib.prepend_name_scope(variable_def.initial_value_name, import_scope)
            )
        else:
            self._initial_value = None
        self._snapshot = g.as_graph_element(graph_lib.prepend_name_scope(variable_def.snapshot_name, import_scope))
        self._trainable = getattr(variable_def, "trainable", True)
        if variable_def.HasField("save_slice_info_def"):
            self._save_slice_info = SaveSliceInfo(
                save_slice_info_def=variable_def.save_slice_info_def, import_scope=import_scope
            )
        else:
            self._save_slice_info = None
        self._caching_device = None
        self._constraint = None

    def __repr__(self):
        return f"<tf.Variable '{self.name}' shape={self._shape} dtype={self.dtype.name}>"

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    def __iter__(self):
        raise TypeError("'Variable' object is not iterable.")

    def __bool__(self):
        raise TypeError("Using a `tf.Variable` as a Python `bool` is not allowed.")


def _install_operators():
    def make(operator):
        def op(a, *args):
            return getattr(Tensor, operator)(a.value(), *args)

        op.__name__ = operator
        return op

    for operator in Tensor.OVERLOADABLE_OPERATORS:
        setattr(Variable, operator, make(operator))


_install_operators()
VariableV1 = Variable


def _collections_for(collections, trainable):
    collections = [GraphKeys.GLOBAL_VARIABLES] if collections is None else list(collections)
    if trainable and GraphKeys.TRAINABLE_VARIABLES not in collections:
        collections = [*collections, GraphKeys.TRAINABLE_VARIABLES]
    return collections


def _colocation_attr(name: str) -> attr_value_pb2.AttrValue:
    return attr_value_pb2.AttrValue(list=attr_value_pb2.AttrValue.ListValue(s=[f"loc:@{name}".encode()]))


class RefVariable(Variable):
    """A TF1 ref variable: a VariableV2 op, ``<name>/Assign`` initializer and ``<name>/read`` snapshot."""

    _is_resource = False

    def __bool__(self):
        # TF's RefVariable has no __bool__ of its own, so it is truthy (TF1's string_input_producer tests
        # ``not string_tensor`` on the variable match_filenames_once returns); resource variables refuse
        return True

    def __init__(
        self,
        initial_value=None,
        trainable=True,
        collections=None,
        validate_shape=True,
        caching_device=None,
        name=None,
        variable_def=None,
        dtype=None,
        expected_shape=None,
        import_scope=None,
        constraint=None,
        synchronization=None,
        aggregation=None,
        shape=None,
    ):
        if variable_def is not None:
            self._init_from_proto(variable_def, import_scope)
            _check_variable_kind(self._variable, variable_def, resource=False)
            self._shape = self._variable.shape
            return
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        init_from_fn = callable(initial_value)
        self._save_slice_info = None
        self._caching_device = caching_device
        self._constraint = constraint
        self._trainable = trainable
        collections = _collections_for(collections, trainable)
        # TF builds variables in init_scope: outside any control-dependency block, control flow and function
        # being built (a while_v2 body).
        with (
            graph_lib.init_scope(),
            graph_lib.name_scope(name, "Variable", [] if init_from_fn else [initial_value]) as scope_name,
        ):
            g = graph_lib.get_default_graph()
            true_name = scope_name[:-1]
            if init_from_fn:
                with g._attr_scope({"_class": _colocation_attr(true_name)}):
                    with graph_lib.name_scope("Initializer"), graph_lib.device(None):
                        self._initial_value = graph_lib.convert_to_tensor(
                            initial_value(), name="initial_value", dtype=dtype
                        )
                    var_shape = self._initial_value.shape if validate_shape else unknown_shape()
                    if shape is not None:
                        var_shape = TensorShape(shape)
                    self._variable = raw_op(
                        "VariableV2", shape=var_shape, dtype=self._initial_value.dtype.base_dtype, name=scope_name
                    )
            else:
                self._initial_value = graph_lib.convert_to_tensor(initial_value, name="initial_value", dtype=dtype)
                var_shape = self._initial_value.shape if validate_shape else unknown_shape()
                if shape is not None:
                    var_shape = TensorShape(shape)
                if validate_shape and not var_shape.is_fully_defined():
                    raise ValueError(f"initial_value must have a shape specified: {self._initial_value}")
                self._variable = raw_op(
                    "VariableV2", shape=var_shape, dtype=self._initial_value.dtype.base_dtype, name=scope_name
                )
            self._initializer_op = raw_op(
                "Assign",
                ref=self._variable,
                value=try_guard_against_uninitialized_dependencies(scope_name, self._initial_value),
                validate_shape=validate_shape,
                use_locking=True,
                name="Assign",
            ).op
            if caching_device is not None:
                with graph_lib.device(caching_device):
                    self._snapshot = raw_op("Identity", input=self._variable, name="read")
            else:
                with graph_lib.colocate_with(self._variable.op):
                    self._snapshot = raw_op("Identity", input=self._variable, name="read")
        self._shape = var_shape
        g.add_to_collections(collections, self)

    @property
    def dtype(self):
        return self._variable.dtype

    def _ref(self) -> Tensor:
        return self._variable

    def value(self) -> Tensor:
        return self._snapshot

    def read_value(self) -> Tensor:
        return raw_op("Identity", input=self._variable, name="read")

    def assign(self, value, use_locking=False, name=None, read_value=True):
        out = raw_op("Assign", ref=self._variable, value=value, use_locking=use_locking, name=name or "Assign")
        return out if read_value else out.op

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        out = raw_op("AssignAdd", ref=self._variable, value=delta, use_locking=use_locking, name=name or "AssignAdd")
        return out if read_value else out.op

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        out = raw_op("AssignSub", ref=self._variable, value=delta, use_locking=use_locking, name=name or "AssignSub")
        return out if read_value else out.op

    def count_up_to(self, limit):
        return raw_op("CountUpTo", ref=self._variable, limit=limit)

    def is_initialized(self, name=None):
        return raw_op("IsVariableInitialized", ref=self._variable, name=name)


class ResourceVariable(Variable):
    """A resource variable: VarHandleOp, ``<name>/Assign`` (AssignVariableOp), ``<name>/Read/ReadVariableOp``."""

    _is_resource = True

    def __init__(
        self,
        initial_value=None,
        trainable=True,
        collections=None,
        validate_shape=True,
        caching_device=None,
        name=None,
        dtype=None,
        variable_def=None,
        import_scope=None,
        constraint=None,
        distribute_strategy=None,
        synchronization=None,
        aggregation=None,
        shape=None,
        expected_shape=None,
    ):
        if variable_def is not None:
            self._init_from_proto(variable_def, import_scope)
            _check_variable_kind(self._variable, variable_def, resource=True)
            self._handle = self._variable
            self._dtype = dtypes.DType(self._handle.op.get_attr("dtype"))
            self._shape = TensorShape(self._handle.op.get_attr("shape"))
            self._graph_element = self._snapshot
            return
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        init_from_fn = callable(initial_value)
        self._save_slice_info = None
        self._caching_device = caching_device
        self._constraint = constraint
        self._trainable = trainable
        collections = _collections_for(collections, trainable)
        # TF builds variables in init_scope: outside any control-dependency block, control flow and function
        # being built (a while_v2 body).
        with (
            graph_lib.init_scope(),
            graph_lib.name_scope(name, "Variable", [] if init_from_fn else [initial_value]) as scope_name,
        ):
            g = graph_lib.get_default_graph()
            handle_name = scope_name[:-1]
            with g._attr_scope({"_class": _colocation_attr(handle_name)}):
                with graph_lib.name_scope("Initializer"), graph_lib.device(None):
                    value = initial_value() if init_from_fn else initial_value
                    self._initial_value = graph_lib.convert_to_tensor(value, name="initial_value", dtype=dtype)
                self._dtype = self._initial_value.dtype.base_dtype
                self._shape = self._initial_value.shape if validate_shape else unknown_shape()
                if shape is not None:
                    self._shape = TensorShape(shape)
                self._handle = raw_op(
                    "VarHandleOp",
                    shape=self._shape,
                    dtype=self._dtype,
                    shared_name=handle_name,
                    debug_name=scope_name,
                    name=scope_name,
                )
            self._variable = self._handle
            with graph_lib.name_scope("IsInitialized"):
                self._is_initialized_op = raw_op("VarIsInitializedOp", resource=self._handle)
            with (
                graph_lib.name_scope("Assign") as n,
                graph_lib.colocate_with(None, ignore_existing=True),
                graph_lib.device(self._handle.device),
            ):
                value = try_guard_against_uninitialized_dependencies(scope_name, self._initial_value)
                self._initializer_op = raw_op("AssignVariableOp", resource=self._handle, value=value, name=n)
            with graph_lib.name_scope("Read"):
                if caching_device is not None:
                    with graph_lib.device(caching_device):
                        self._graph_element = raw_op("ReadVariableOp", resource=self._handle, dtype=self._dtype)
                else:
                    with graph_lib.device(self._handle.device):
                        self._graph_element = raw_op("ReadVariableOp", resource=self._handle, dtype=self._dtype)
            self._snapshot = self._graph_element
        g.add_to_collections(collections, self)

    def _as_graph_element(self):
        return self._graph_element

    @property
    def dtype(self):
        return self._dtype

    @property
    def handle(self) -> Tensor:
        return self._handle

    def _ref(self) -> Tensor:
        return self._handle

    def value(self) -> Tensor:
        """A fresh read of the variable (as TF: every use as a tensor reads it again)."""
        with graph_lib.colocate_with(None, ignore_existing=True):
            return self._read_variable_op()

    def eval(self, session=None):
        return self._graph_element.eval(session=session)

    def _read_variable_op(self):
        return raw_op("ReadVariableOp", resource=self._handle, dtype=self._dtype)

    def sparse_read(self, indices, name=None):
        """Rows ``indices`` of the variable (a ResourceGather, whose gradient is IndexedSlices)."""
        with graph_lib.name_scope("Gather" if name is None else name) as scope:
            return raw_op("ResourceGather", resource=self._handle, indices=indices, dtype=self._dtype, name=scope)

    def read_value(self) -> Tensor:
        with graph_lib.name_scope("Read"):
            value = self._read_variable_op()
        return raw_op("Identity", input=value)

    def _assign(self, op_type, value, name, read_value):
        value = graph_lib.convert_to_tensor(value, dtype=self._dtype)
        if not self._shape.is_compatible_with(value.shape):
            raise ValueError(
                f"Cannot assign value to variable ' {self.name}': Shape mismatch.The variable shape {self._shape}, "
                f"and the assigned value shape {value.shape} are incompatible."
            )
        kwargs = {}
        if op_type == "AssignVariableOp":
            kwargs["validate_shape"] = self._shape.is_fully_defined()
        op = raw_op(op_type, resource=self._handle, value=value, name=name, **kwargs)
        if not read_value:
            return op
        with graph_lib.control_dependencies([op]):
            return self._read_variable_op()

    def assign(self, value, use_locking=None, name=None, read_value=True):
        return self._assign("AssignVariableOp", value, name, read_value)

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        return self._assign("AssignAddVariableOp", delta, name, read_value)

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        return self._assign("AssignSubVariableOp", delta, name, read_value)

    def count_up_to(self, limit):
        """ResourceCountUpTo on the handle (TF's ``ResourceVariable.count_up_to``)."""
        return raw_op("ResourceCountUpTo", resource=self.handle, limit=limit, T=self.dtype)

    def is_initialized(self, name=None):
        return raw_op("VarIsInitializedOp", resource=self._handle, name=name)


def _variable_to_tensor(v, dtype=None, name=None, as_ref=False):
    if as_ref:
        return v._ref()
    value = v.value()
    if dtype is not None and not dtypes.as_dtype(dtype).is_compatible_with(value.dtype):
        raise ValueError(
            f"Incompatible type conversion requested to type '{dtypes.as_dtype(dtype).name}' for variable of type "
            f"'{v.dtype.base_dtype.name}'"
        )
    return value


graph_lib.register_tensor_conversion_function(Variable, _variable_to_tensor)


def _check_variable_kind(variable, variable_def, resource: bool) -> None:
    """A VariableDef's ``is_resource`` must agree with the tensor it names (a resource handle or a ref)."""
    dtype = getattr(variable, "dtype", None)
    if (dtype is dtypes.DType.resource) != resource:
        kind = "a resource handle" if resource else "a ref or tensor"
        raise TypeError(
            f"VariableDef of '{variable_def.variable_name}' has is_resource={resource} and needs {kind}, "
            f"but that graph element has dtype {getattr(dtype, 'name', dtype)}"
        )


def _to_proto_fn(v, export_scope=None):
    return v.to_proto(export_scope=export_scope)


def _from_proto_fn(v, import_scope=None):
    return Variable.from_proto(v, import_scope=import_scope)


for _key in (
    GraphKeys.GLOBAL_VARIABLES,
    GraphKeys.TRAINABLE_VARIABLES,
    GraphKeys.MOVING_AVERAGE_VARIABLES,
    GraphKeys.LOCAL_VARIABLES,
    GraphKeys.MODEL_VARIABLES,
    GraphKeys.GLOBAL_STEP,
    GraphKeys.METRIC_VARIABLES,
):
    graph_lib.register_proto_function(
        _key, proto_type=variable_pb2.VariableDef, to_proto=_to_proto_fn, from_proto=_from_proto_fn
    )


# ---------------------------------------------------------------------------------------------
# Collections of variables and initializers


def global_variables(scope=None):
    return graph_lib.get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


def all_variables():
    return global_variables()


def trainable_variables(scope=None):
    return graph_lib.get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def local_variables(scope=None):
    return graph_lib.get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def model_variables(scope=None):
    return graph_lib.get_collection(GraphKeys.MODEL_VARIABLES, scope)


def moving_average_variables(scope=None):
    return graph_lib.get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, scope)


def variables_initializer(var_list, name="init"):
    """A NoOp named ``name`` that runs every initializer in ``var_list``."""
    if var_list:
        return group(*[v.initializer for v in var_list], name=name)
    return no_op(name=name)


def global_variables_initializer():
    return variables_initializer(global_variables())


def initialize_all_variables():
    return global_variables_initializer()


def local_variables_initializer():
    return variables_initializer(local_variables())


def initialize_local_variables():
    return local_variables_initializer()


def _has_cycle(op, state) -> bool:
    """Whether the inputs and control inputs reachable from ``op`` contain a cycle (TF's _has_cycle)."""
    op_state = state.get(op.name)
    if op_state is not None:
        return op_state == "started"
    state[op.name] = "started"
    for dep in [t.op for t in op.inputs] + list(op.control_inputs):
        if _has_cycle(dep, state):
            return True
    state[op.name] = "finished"
    return False


def try_guard_against_uninitialized_dependencies(name, initial_value):
    """``initial_value`` with every read of another ref variable replaced by that variable's
    ``initialized_value()`` (TF's ``_try_guard_against_uninitialized_dependencies``), so a variable whose
    initial value reads another one initializes in any order. The ops on the way are copied as
    ``<op name>_<name>`` (a RefSwitch becomes a Switch); ``name`` is the variable's name scope."""
    if not isinstance(initial_value, Tensor):
        raise TypeError(f"initial_value needs to be a Tensor: {initial_value}")
    if _has_cycle(initial_value.op, state={}):
        return initial_value
    return _safe_initial_value_from_tensor(name, initial_value, op_cache={})


def _safe_initial_value_from_tensor(name, tensor, op_cache):
    op = tensor.op
    new_op = op_cache.get(op.name)
    if new_op is None:
        new_op = _safe_initial_value_from_op(name, op, op_cache)
        op_cache[op.name] = new_op
    return new_op.outputs[tensor.value_index]


def _safe_initial_value_from_op(name, op, op_cache):
    op_type = op.type
    if op_type in ("IsVariableInitialized", "VarIsInitializedOp", "ReadVariableOp", "If"):
        return op
    if op_type in ("Variable", "VariableV2", "VarHandleOp"):
        initialized_value = _find_initialized_value_for_variable(op)
        return op if initialized_value is None else initialized_value.op
    modified = False
    new_op_inputs = []
    for op_input in op.inputs:
        new_op_input = _safe_initial_value_from_tensor(name, op_input, op_cache)
        new_op_inputs.append(new_op_input)
        modified = modified or (new_op_input is not op_input)
    if not modified:
        return op
    new_op_type = "Switch" if op_type == "RefSwitch" else op_type
    new_op_name = (op.name + "_" + name).replace(":", "_")
    return op.graph.create_op(new_op_type, new_op_inputs, name=new_op_name, attrs=dict(op.node_def.attr))


def _find_initialized_value_for_variable(variable_op):
    var_names = [variable_op.name, variable_op.name + ":0"]
    for collection_name in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.LOCAL_VARIABLES):
        for var in variable_op.graph.get_collection(collection_name):
            if getattr(var, "name", None) in var_names and hasattr(var, "initialized_value"):
                return var.initialized_value()
    return None


def is_variable_initialized(variable):
    return variable.is_initialized()


def report_uninitialized_variables(var_list=None, name="report_uninitialized_variables"):
    """A string tensor naming the variables of ``var_list`` that are not initialized yet."""
    if var_list is None:
        var_list = global_variables() + local_variables()
    with graph_lib.name_scope(name):
        init_vars = [v.is_initialized() for v in var_list]
        # TF runs the report on the CPU (TF_DEVICE_FOR_UNINITIALIZED_VARIABLE_REPORTING overrides it).
        with graph_lib.device(os.environ.get("TF_DEVICE_FOR_UNINITIALIZED_VARIABLE_REPORTING", "/cpu:0")):
            if not var_list:
                return array_ops.constant([], dtype=dtypes.DType.string)
            mask = math_ops.logical_not(array_ops.stack(init_vars))
            names = array_ops.constant([v.op.name.encode() for v in var_list])
            return array_ops.boolean_mask(names, mask)


def assert_variables_initialized(var_list=None):
    if var_list is None:
        var_list = global_variables() + local_variables()
    if not var_list:
        return None
    with graph_lib.name_scope("assert_variables_initialized"):
        flags = array_ops.stack([v.is_initialized() for v in var_list])
        return math_ops.reduce_all(flags)
