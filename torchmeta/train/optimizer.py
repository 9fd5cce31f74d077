"""``tf.train.Optimizer``: TF1's optimizer base class, building TensorFlow's training graph.

``minimize`` = ``compute_gradients`` (``torchmeta.gradients``) + ``apply_gradients``, which creates the
slot variables, then one ``update_<var>`` name scope per variable holding the subclass's Apply*
(ref variables), ResourceApply* (resource variables) or sparse update (IndexedSlices gradients), and
finally the ``global_step`` increment named like the optimizer. Node names, slot variable names
(``<var>/<optimizer name>``, ``<var>/<optimizer name>_1``, ...), colocation and control dependencies
are TensorFlow's, so a graph built here trains in TensorFlow and checkpoints are interchangeable.
"""

from __future__ import annotations

from torchmeta.api import array_ops, control_flow_ops, math_ops, variable_scope
from torchmeta.api.cond import cond
from torchmeta.api.gradients import gradients as _gradients
from torchmeta.api.variables import RefVariable, ResourceVariable, SaveSliceInfo, Variable, is_variable_initialized
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import GraphKeys, Tensor
from torchmeta.framework.indexed_slices import IndexedSlices, convert_to_tensor_or_indexed_slices
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.tensor_shape import TensorShape

__all__ = ["Optimizer"]


class _InitScope:
    """``ops.init_scope`` in graph mode: keeps the name scope, clears control dependencies."""

    def __enter__(self):
        self._ctx = graph_lib.get_default_graph().control_dependencies(None)
        self._ctx.__enter__()

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


# ---------------------------------------------------------------------------------------------
# Reading and writing variables the way TF's optimizer code does


def is_resource_variable(v) -> bool:
    return isinstance(v, ResourceVariable)


def read(v):
    """``v`` as a Tensor, as TF converts it: a fresh ReadVariableOp (not colocated) for a resource variable.

    TF's ``ResourceVariable.value()`` reads the variable anew at each conversion, so reads created under
    control dependencies see the updates they wait for; a ref variable converts to its snapshot.
    """
    if isinstance(v, ResourceVariable):
        with graph_lib.colocate_with(None, ignore_existing=True):
            return raw_op("ReadVariableOp", resource=v.handle, dtype=v.dtype)
    if isinstance(v, Variable):
        return v.value()
    return v


def cast(x, dtype):
    """``math_ops.cast`` as the optimizers call it: a resource variable of the right dtype is kept as is."""
    if isinstance(x, ResourceVariable) and x.dtype == dtype:
        return x
    return math_ops.cast(x, dtype)


def assign(var, value, use_locking=None):
    """``state_ops.assign``: an Assign (ref) or AssignVariableOp plus TF's lazy read (resource).

    Returns the ref tensor, or (resource) the AssignVariableOp, which is what TF's unread-variable
    result stands for in control dependencies and ``group``.
    """
    return _write("Assign", "AssignVariableOp", var, value, use_locking)


def assign_sub(var, value, use_locking=None):
    """``state_ops.assign_sub`` (AssignSub, or AssignSubVariableOp and its lazy read)."""
    return _write("AssignSub", "AssignSubVariableOp", var, value, use_locking)


def _write(ref_op, resource_op, var, value, use_locking):
    if isinstance(var, ResourceVariable):
        value = graph_lib.convert_to_tensor(value, dtype=var.dtype)
        extra = {"validate_shape": True} if resource_op == "AssignVariableOp" else {}
        op = raw_op(resource_op, resource=var.handle, value=value, **extra)
        with graph_lib.control_dependencies([op]):
            raw_op("ReadVariableOp", resource=var.handle, dtype=var.dtype)
        return op
    return raw_op(ref_op, ref=var, value=value, use_locking=use_locking)


def scatter_add(var, indices, updates, use_locking=False):
    """``state_ops.scatter_add`` (ScatterAdd on a ref variable)."""
    return raw_op("ScatterAdd", ref=var, indices=indices, updates=updates, use_locking=use_locking)


def resource_scatter_add_and_read(var, indices, updates):
    """A ResourceScatterAdd, then (after it) a fresh read of the variable, as Adam's sparse update does."""
    with graph_lib.control_dependencies(
        [raw_op("ResourceScatterAdd", resource=var.handle, indices=indices, updates=updates)]
    ):
        return read(var)


def apply_op(op_type: str, **kwargs):
    """Creates a training op; resource-variable operands are read inside the op's name scope, as TF does."""
    if not any(isinstance(v, ResourceVariable) for v in kwargs.values()):
        return raw_op(op_type, **kwargs)
    with graph_lib.name_scope(op_type) as scope:
        kwargs = {k: read(v) if isinstance(v, ResourceVariable) else v for k, v in kwargs.items()}
    return raw_op(op_type, name=scope, **kwargs)


def deduplicate_indexed_slices(values, indices):
    """Sums the rows of ``values`` that share an index: (summed values, unique indices)."""
    unique_indices, new_index_positions = array_ops.unique(indices)
    summed = math_ops.unsorted_segment_sum(values, new_index_positions, array_ops.shape(unique_indices)[0])
    return summed, unique_indices


# ---------------------------------------------------------------------------------------------
# Slot variables (TF's slot_creator)


def _var_key(var):
    return (var.op.graph, var.op.name)


def _create_slot_var(primary, val, validate_shape: bool, shape, dtype):
    """The slot variable of the current variable scope (TF's ``_create_slot_var``): ``get_variable("")``,
    a non-trainable variable of ``primary``'s kind, without the scope's partitioner.

    ``val`` is a Tensor, a callable taking no arguments, or an initializer ``init(shape_list, dtype=)``
    (used when ``shape`` is fully defined), as TF's ``get_variable`` accepts them.
    """
    scope = variable_scope.get_variable_scope()
    current_partitioner = scope.partitioner
    scope.set_partitioner(None)
    shape = shape if callable(val) else None
    if isinstance(primary, ResourceVariable):
        use_resource = True
    elif isinstance(primary, RefVariable):
        use_resource = False
    else:
        use_resource = None
    slot = variable_scope.get_variable(
        "",
        initializer=val,
        trainable=False,
        use_resource=use_resource,
        shape=shape,
        dtype=dtype,
        validate_shape=validate_shape,
    )
    scope.set_partitioner(current_partitioner)
    info = getattr(primary, "_save_slice_info", None)
    if isinstance(primary, Variable) and info is not None:
        real_slot_name = slot.name[len(primary.op.name + "/") : -2]
        n = slot.shape.rank
        if n is None or n > 0:
            slot._set_save_slice_info(
                SaveSliceInfo(
                    info.full_name + "/" + real_slot_name,
                    info.full_shape[:n],
                    info.var_offset[:n],
                    info.var_shape[:n],
                )
            )
    return slot


def _slot_scope(primary, name, make, colocate_with_primary=True):
    """Enters TF's ``variable_scope(None, <primary>/<name>)`` (inside the current variable scope, so an
    optimizer built in ``variable_scope("model")`` names ``model/model/w/Adam``), colocated with
    ``primary``, and calls ``make()``."""
    prefix = primary._shared_name if isinstance(primary, Variable) else primary.op.name
    with primary.graph.as_default(), variable_scope.variable_scope(None, prefix + "/" + name):
        if not colocate_with_primary:
            return make()
        with graph_lib.colocate_with(primary):
            return make()


def create_slot(primary, val, name, colocate_with_primary=True):
    """A slot initialized to the Tensor ``val`` (TF's ``slot_creator.create_slot``)."""
    validate_shape = val.shape.is_fully_defined()
    return _slot_scope(
        primary,
        name,
        lambda: _create_slot_var(primary, val, validate_shape, None, None),
        colocate_with_primary,
    )


def create_slot_with_initializer(primary, initializer, shape, dtype, name, colocate_with_primary=True):
    """A slot from ``initializer(shape_list, dtype=dtype)`` (TF's ``create_slot_with_initializer``)."""
    shape = TensorShape(shape)
    validate_shape = shape.is_fully_defined()
    return _slot_scope(
        primary,
        name,
        lambda: _create_slot_var(primary, initializer, validate_shape, shape, dtype),
        colocate_with_primary,
    )


def zeros_initializer(shape, dtype=DType.float32):
    """TF's ``zeros_initializer()`` (a ``zeros`` node)."""
    return array_ops.zeros(shape, dtype=dtype)


def ones_initializer(shape, dtype=DType.float32):
    """TF's ``ones_initializer()`` (a ``ones`` node)."""
    return array_ops.ones(shape, dtype=dtype)


def constant_initializer(value):
    """TF's ``constant_initializer(value)`` (a ``Const`` node of the requested shape)."""

    def init(shape, dtype=DType.float32):
        return array_ops.constant(value, dtype=dtype, shape=shape)

    return init


def create_zeros_slot(primary, name, dtype=None, colocate_with_primary=True):
    """A slot of zeros shaped like ``primary`` (TF's ``create_zeros_slot``); for a variable without a static
    shape, sized at run time by the shape of ``cond(is_variable_initialized, read_value, initial_value)``."""
    if dtype is None:
        dtype = primary.dtype.base_dtype
    shape = primary.get_shape()
    if shape.is_fully_defined():
        return create_slot_with_initializer(primary, zeros_initializer, shape, dtype, name, colocate_with_primary)
    if isinstance(primary, Variable):
        slot_shape = array_ops.shape(
            cond(is_variable_initialized(primary), primary.read_value, lambda: primary.initial_value)
        )
    else:
        slot_shape = array_ops.shape(primary)
    val = array_ops.zeros(slot_shape, dtype=dtype)
    return create_slot(primary, val, name, colocate_with_primary=colocate_with_primary)


# ---------------------------------------------------------------------------------------------
# How each kind of variable is updated (TF's _get_processor)


class _RefVariableProcessor:
    def __init__(self, v):
        self._v = v

    def target(self):
        return self._v._ref()

    def update_op(self, optimizer, g):
        constraint = getattr(self._v, "_constraint", None)
        if isinstance(g, Tensor):
            update_op = optimizer._apply_dense(g, self._v)
            if constraint is not None:
                with graph_lib.control_dependencies([update_op]):
                    return self._v.assign(constraint(self._v))
            return update_op
        if constraint is not None:
            raise RuntimeError("Cannot use a constraint function on a sparse variable.")
        return optimizer._apply_sparse_duplicate_indices(g, self._v)


class _DenseResourceVariableProcessor:
    def __init__(self, v):
        self._v = v

    def target(self):
        return self._v

    def update_op(self, optimizer, g):
        constraint = getattr(self._v, "_constraint", None)
        if isinstance(g, IndexedSlices):
            if constraint is not None:
                raise RuntimeError("Cannot use a constraint function on a sparse variable.")
            return optimizer._resource_apply_sparse_duplicate_indices(g.values, self._v, g.indices)
        update_op = optimizer._resource_apply_dense(g, self._v)
        if constraint is not None:
            with graph_lib.control_dependencies([update_op]):
                return self._v.assign(constraint(self._v))
        return update_op


class _TensorProcessor:
    def __init__(self, v):
        self._v = v

    def target(self):
        return self._v

    def update_op(self, optimizer, g):
        raise NotImplementedError("Trying to update a Tensor ", self._v)


def _get_processor(v):
    if isinstance(v, ResourceVariable) or (getattr(v, "op", None) is not None and v.op.type == "VarHandleOp"):
        return _DenseResourceVariableProcessor(v)
    if isinstance(v, Variable):
        return _RefVariableProcessor(v)
    if isinstance(v, Tensor):
        return _TensorProcessor(v)
    raise NotImplementedError("Trying to optimize unsupported type ", v)


def _flatten(x):
    """``var_list`` as a flat list: nested lists/tuples, dicts (by sorted key, as TF's nest), dict views,
    sets (by variable name, for a deterministic graph) and any other iterable, such as a generator."""
    if isinstance(x, (Variable, Tensor, str, bytes)):
        return [x]
    if isinstance(x, dict):
        return _flatten([x[k] for k in sorted(x)])
    if isinstance(x, (set, frozenset)):
        return _flatten(sorted(x, key=lambda v: getattr(v, "name", "")))
    if isinstance(x, (list, tuple)) or hasattr(x, "__iter__"):
        out = []
        for item in x:
            out.extend(_flatten(item))
        return out
    return [x]


# ---------------------------------------------------------------------------------------------
# The base class


class Optimizer:
    """Base class for optimizers (TF1's ``tf.train.Optimizer``).

    Subclasses implement ``_create_slots``, ``_prepare``, ``_apply_dense``, ``_resource_apply_dense``,
    ``_apply_sparse`` and ``_resource_apply_sparse`` (and may override ``_finish``), as in TensorFlow.
    """

    GATE_NONE = 0
    GATE_OP = 1
    GATE_GRAPH = 2

    def __init__(self, use_locking, name, use_own_namescope_for_non_slot_vars=False):
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._use_own_namescope_for_non_slot_vars = use_own_namescope_for_non_slot_vars
        if use_own_namescope_for_non_slot_vars:
            with variable_scope.variable_scope(None, default_name=name) as vs:
                self._non_slot_variable_scope = vs
        self._slots: dict = {}
        self._non_slot_dict: dict = {}

    def get_name(self) -> str:
        return self._name

    # -- the public API ----------------------------------------------------------------------------
    def minimize(
        self,
        loss,
        global_step=None,
        var_list=None,
        gate_gradients=GATE_OP,
        aggregation_method=None,
        colocate_gradients_with_ops=False,
        name=None,
        grad_loss=None,
    ):
        """Adds ops that minimize ``loss`` by updating ``var_list`` (default: the trainable variables).

        Returns:
          The Operation that applies the updates (and increments ``global_step`` when given).

        Raises:
          ValueError: if no variable gets a gradient.
        """
        grads_and_vars = self.compute_gradients(
            loss,
            var_list=var_list,
            gate_gradients=gate_gradients,
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops,
            grad_loss=grad_loss,
        )
        vars_with_grad = [v for g, v in grads_and_vars if g is not None]
        if not vars_with_grad:
            raise ValueError(
                "No gradients provided for any variable, check your graph for ops that do not support gradients, "
                f"between variables {[str(v) for _, v in grads_and_vars]} and loss {loss}."
            )
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(
        self,
        loss,
        var_list=None,
        gate_gradients=GATE_OP,
        aggregation_method=None,
        colocate_gradients_with_ops=False,
        grad_loss=None,
    ):
        """(gradient, variable) pairs for ``loss``; a gradient is a Tensor, IndexedSlices or None.

        Raises:
          ValueError: for an invalid ``gate_gradients``, a non-float loss, or no variables.
        """
        if callable(loss):
            loss = loss()  # graph mode: the loss function simply builds the loss
        if gate_gradients not in (Optimizer.GATE_NONE, Optimizer.GATE_OP, Optimizer.GATE_GRAPH):
            raise ValueError(
                "gate_gradients must be one of: Optimizer.GATE_NONE, Optimizer.GATE_OP, Optimizer.GATE_GRAPH.  "
                f"Not {gate_gradients}"
            )
        self._assert_valid_dtypes([loss])
        if grad_loss is not None:
            self._assert_valid_dtypes([grad_loss])
        if var_list is None:
            var_list = graph_lib.get_collection(GraphKeys.TRAINABLE_VARIABLES) + graph_lib.get_collection(
                GraphKeys.TRAINABLE_RESOURCE_VARIABLES
            )
        else:
            var_list = _flatten(var_list)
        processors = [_get_processor(v) for v in var_list]
        if not var_list:
            raise ValueError("No variables to optimize.")
        var_refs = [p.target() for p in processors]
        grads = _gradients(
            loss,
            var_refs,
            grad_ys=grad_loss,
            gate_gradients=(gate_gradients == Optimizer.GATE_OP),
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops,
        )
        if gate_gradients == Optimizer.GATE_GRAPH:
            grads = control_flow_ops.tuple(grads)
        grads_and_vars = list(zip(grads, var_list))
        self._assert_valid_dtypes([v for g, v in grads_and_vars if g is not None and v.dtype != DType.resource])
        return grads_and_vars

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """The Operation applying ``grads_and_vars`` (named ``name``, default the optimizer's name).

        Raises:
          TypeError: if a gradient is not a Tensor, IndexedSlices or None.
          ValueError: if no variables are given, or none has a gradient.
        """
        grads_and_vars = tuple(grads_and_vars)
        if not grads_and_vars:
            raise ValueError("No variables provided.")
        converted = []
        for g, v in grads_and_vars:
            if g is not None:
                try:
                    g = convert_to_tensor_or_indexed_slices(g)
                except (TypeError, ValueError):
                    raise TypeError(
                        f"Gradient must be convertible to a Tensor or IndexedSlices, or None: {g}"
                    ) from None
                if not isinstance(g, (Tensor, IndexedSlices)):
                    raise TypeError(f"Gradient must be a Tensor, IndexedSlices, or None: {g}")
            converted.append((g, v, _get_processor(v)))
        var_list = [v for g, v, _ in converted if g is not None]
        if not var_list:
            raise ValueError(f"No gradients provided for any variable: {[str(v) for _, v, _ in converted]}.")
        with _InitScope():
            self._create_slots(var_list)
        update_ops = []
        with graph_lib.name_scope(name, self._name) as name:
            self._prepare()
            for grad, var, processor in converted:
                if grad is None:
                    continue
                with graph_lib.name_scope("update_" + var.op.name), graph_lib.colocate_with(var):
                    update_ops.append(processor.update_op(self, grad))
            if global_step is None:
                apply_updates = self._finish(update_ops, name)
            else:
                with graph_lib.control_dependencies([self._finish(update_ops, "update")]):
                    with graph_lib.colocate_with(global_step):
                        if isinstance(global_step, ResourceVariable):
                            one = graph_lib.convert_to_tensor(1, dtype=global_step.dtype)
                            apply_updates = raw_op(
                                "AssignAddVariableOp", resource=global_step.handle, value=one, name=name
                            )
                        else:
                            apply_updates = raw_op("AssignAdd", ref=global_step, value=1, name=name)
            if isinstance(apply_updates, Tensor):
                apply_updates = apply_updates.op
            train_op = graph_lib.get_collection_ref(GraphKeys.TRAIN_OP)
            if apply_updates not in train_op:
                train_op.append(apply_updates)
            return apply_updates

    def get_slot(self, var, name):
        """The slot variable ``name`` created for ``var``, or None."""
        named_slots = self._slots.get(name)
        if not named_slots:
            return None
        return named_slots.get(_var_key(var))

    def get_slot_names(self):
        """The sorted names of the slots this optimizer creates (e.g. ``['m', 'v']`` for Adam)."""
        return sorted(self._slots)

    def variables(self):
        """The optimizer's variables in the default graph (slots and non-slot variables), sorted by name."""
        current = graph_lib.get_default_graph()
        out = [v for v in self._non_slot_variables() if v.op.graph is current]
        for slots in self._slots.values():
            out.extend(v for v in slots.values() if v.op.graph is current)
        return sorted(out, key=lambda v: v.name)

    # -- for subclasses ------------------------------------------------------------------------
    def _create_non_slot_variable(self, initial_value, name, colocate_with):
        """A variable of the optimizer not tied to one variable (Adam's ``beta1_power``), made once per graph."""
        graph = colocate_with.graph
        key = (name, graph)
        v = self._non_slot_dict.get(key)
        if v is None:
            cls = ResourceVariable if isinstance(colocate_with, ResourceVariable) else RefVariable
            with graph.as_default(), graph_lib.colocate_with(colocate_with):
                if self._use_own_namescope_for_non_slot_vars:
                    with graph_lib.name_scope(None), variable_scope.variable_scope(self._non_slot_variable_scope):
                        v = variable_scope.get_variable(
                            initializer=initial_value,
                            name=name,
                            trainable=False,
                            use_resource=isinstance(colocate_with, ResourceVariable),
                        )
                else:
                    v = cls(initial_value, name=name, trainable=False)
            self._non_slot_dict[key] = v
        return v

    def _get_non_slot_variable(self, name, graph=None):
        return self._non_slot_dict.get((name, graph))

    def _non_slot_variables(self):
        return self._non_slot_dict.values()

    def _assert_valid_dtypes(self, tensors):
        valid = self._valid_dtypes()
        for t in tensors:
            dtype = t.dtype.base_dtype
            if dtype not in valid:
                raise ValueError(f"Invalid type {dtype!r} for {t.name}, expected: {list(valid)}.")

    def _valid_dtypes(self):
        return (DType.float16, DType.bfloat16, DType.float32, DType.float64)

    def _create_slots(self, var_list):
        pass

    def _prepare(self):
        pass

    def _apply_dense(self, grad, var):
        raise NotImplementedError()

    def _resource_apply_dense(self, grad, handle):
        raise NotImplementedError()

    def _resource_apply_sparse_duplicate_indices(self, grad, handle, indices):
        summed_grad, unique_indices = deduplicate_indexed_slices(grad, indices)
        return self._resource_apply_sparse(summed_grad, handle, unique_indices)

    def _resource_apply_sparse(self, grad, handle, indices):
        raise NotImplementedError()

    def _apply_sparse_duplicate_indices(self, grad, var):
        summed_values, unique_indices = deduplicate_indexed_slices(grad.values, grad.indices)
        return self._apply_sparse(IndexedSlices(summed_values, unique_indices, grad.dense_shape), var)

    def _apply_sparse(self, grad, var):
        raise NotImplementedError()

    def _finish(self, update_ops, name_scope):
        return control_flow_ops.group(*update_ops, name=name_scope)

    def _slot_dict(self, slot_name):
        return self._slots.setdefault(slot_name, {})

    def _get_or_make_slot(self, var, val, slot_name, op_name):
        named_slots = self._slot_dict(slot_name)
        if _var_key(var) not in named_slots:
            named_slots[_var_key(var)] = create_slot(var, val, op_name)
        return named_slots[_var_key(var)]

    def _get_or_make_slot_with_initializer(self, var, initializer, shape, dtype, slot_name, op_name):
        named_slots = self._slot_dict(slot_name)
        if _var_key(var) not in named_slots:
            named_slots[_var_key(var)] = create_slot_with_initializer(var, initializer, shape, dtype, op_name)
        return named_slots[_var_key(var)]

    def _zeros_slot(self, var, slot_name, op_name):
        named_slots = self._slot_dict(slot_name)
        if _var_key(var) not in named_slots:
            named_slots[_var_key(var)] = create_zeros_slot(var, op_name)
        return named_slots[_var_key(var)]

    def _call_if_callable(self, param):
        return param() if callable(param) else param
