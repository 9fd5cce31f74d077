"""``tf.group``/``tf.tuple``/``with_dependencies`` and TF1's control-flow contexts (CondContext, WhileContext).

A context records which tensors a ``tf.cond`` branch or ``tf.while_loop`` body has seen; every op
built inside it is added to it (``AddOp``), which routes outside tensors through a Switch (cond) or
an Enter (loop) exactly as TensorFlow's control_flow_ops does, so node names, frames and the
CondContextDef / WhileContextDef protos in the ``cond_context`` / ``while_context`` collections are
TensorFlow's. Contexts read back from a MetaGraph (``from_proto``) re-attach to their ops, so
``tf.gradients`` works through imported loops too.
"""

from __future__ import annotations

import builtins

from torchmeta._proto import attr_value_pb2, control_flow_pb2
from torchmeta.api import array_ops, math_ops
from torchmeta.dtypes import DType
from torchmeta.framework import control_flow_util as util
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import nest
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import GraphKeys, Operation, Tensor, prepend_name_scope, strip_name_scope
from torchmeta.framework.indexed_slices import IndexedSlices
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.tensor_shape import Dimension, TensorShape

__all__ = ["no_op", "group", "tuple", "with_dependencies", "control_flow_v2_enabled"]


def control_flow_v2_enabled() -> bool:
    """``tf.compat.v1.control_flow_v2_enabled``: whether cond/while_loop build v2 ops in the default graph."""
    return util.EnableControlFlowV2(graph_lib.get_default_graph())


def no_op(name=None):
    """``tf.no_op``: does nothing; useful as a target for control dependencies."""
    return raw_op("NoOp", name=name)


def _as_op(x):
    if isinstance(x, Operation):
        return x
    if isinstance(x, Tensor):
        return x.op
    if hasattr(x, "_as_graph_element"):
        element = x._as_graph_element()
        return element if isinstance(element, Operation) else element.op
    if hasattr(x, "op"):
        return x.op
    raise TypeError(f"Expected a Tensor or Operation in group(), got {x!r}")


def group(*inputs, **kwargs):
    """``tf.group``: an op that runs after all ``inputs`` (a NoOp with control inputs, as TF builds it).

    Ops on several devices get one NoOp per device, then a NoOp over those, as in TF.
    """
    name = kwargs.pop("name", None)
    if kwargs:
        raise ValueError(f"Unknown keyword arguments: {list(kwargs)}")
    flat = []
    for x in inputs:
        if isinstance(x, (list, builtins.tuple)) and not isinstance(x, Tensor):
            flat.extend(x)
        elif isinstance(x, dict):
            flat.extend(x.values())
        else:
            flat.append(x)
    with graph_lib.name_scope(name, "group_deps", flat) as name:
        if not flat:
            return no_op(name=name)
        by_device: dict = {}
        for x in flat:
            op = _as_op(x)
            by_device.setdefault(op.device, []).append(op)
        if len(by_device) == 1:
            ((device, deps),) = by_device.items()
            with graph_lib.device(device or None), graph_lib.control_dependencies(deps):
                return no_op(name=name)
        per_device = []
        for device in sorted(by_device):
            with graph_lib.device(device or None), graph_lib.control_dependencies(by_device[device]):
                per_device.append(no_op())
        with graph_lib.control_dependencies(per_device):
            return no_op(name=name)


def tuple(tensors, name=None, control_inputs=None):
    """``tf.tuple``: the same tensors, each available only after all of them (and control_inputs) are."""
    with graph_lib.name_scope(name, "tuple", tensors) as name:
        gating = [_as_op(t) for t in tensors if t is not None]
        if control_inputs:
            gating += [_as_op(c) for c in control_inputs]
        gate = group(*gating)
        out = []
        for t in tensors:
            if t is None:
                out.append(None)
            else:
                out.append(with_dependencies([gate], t))
        return out


def with_dependencies(dependencies, output_tensor, name=None):
    """``output_tensor`` (through an Identity, RefIdentity for refs) computed only after ``dependencies``."""
    with graph_lib.name_scope(name, "control_dependency", [*dependencies, output_tensor]) as name:
        with graph_lib.colocate_with(output_tensor):
            with graph_lib.control_dependencies(dependencies):
                if isinstance(output_tensor, Operation):
                    with graph_lib.control_dependencies([output_tensor]):
                        return no_op(name=name)
                if isinstance(output_tensor, IndexedSlices):  # stays sparse, as in TF
                    values = identity(output_tensor.values, name=name)
                    return IndexedSlices(values, output_tensor.indices, output_tensor.dense_shape)
                return identity(output_tensor, name=name)


def convert_variables_to_tensors(values):
    """Resource variables in a nested structure read to tensors (TF's variable_utils); the rest unchanged."""

    def convert(x):
        if getattr(x, "_is_resource", False) and hasattr(x, "value"):
            return graph_lib.convert_to_tensor(x)
        return x

    return nest.map_structure(convert, values)


def _is_tensor_array(x) -> bool:
    return getattr(x, "_is_tensor_array", False)


def convert_tensorarray_to_flow(x):
    return x.flow if _is_tensor_array(x) else x


def convert_flow_to_tensorarray(tensor_or_tensor_array, tensor_or_flow):
    if _is_tensor_array(tensor_or_tensor_array):
        return tensor_or_tensor_array._with_flow(tensor_or_flow)
    return tensor_or_flow


# ---------------------------------------------------------------------------------------------
# The v1 primitives (TF's control_flow_ops): ref inputs get the Ref* op, IndexedSlices go component-wise


def _is_ref(t) -> bool:
    return isinstance(t, Tensor) and t.dtype.is_ref_dtype


def _convert(value, dtype=None, name=None, as_ref=False):
    if isinstance(value, IndexedSlices):
        return value
    return graph_lib.convert_to_tensor(value, dtype=dtype, name=name, as_ref=as_ref)


def _components(x):
    parts = [x.values, x.indices]
    if x.dense_shape is not None:
        parts.append(x.dense_shape)
    return parts


def _rebuild(like, parts):
    return IndexedSlices(parts[0], parts[1], parts[2] if len(parts) > 2 else None)


def identity(tensor, name=None):
    """Identity (RefIdentity for a ref tensor), component-wise for IndexedSlices."""
    tensor = _convert(tensor, as_ref=True)
    if isinstance(tensor, IndexedSlices):
        return _rebuild(tensor, [identity(t) for t in _components(tensor)])
    if _is_ref(tensor):
        return raw_op("RefIdentity", input=tensor, name=name)
    return raw_op("Identity", input=tensor, name=name)


def switch(data, pred, dtype=None, name=None):
    """``(output_false, output_true)``: ``data`` forwarded to the output ``pred`` selects."""
    with graph_lib.name_scope(name, "Switch", [data, pred]) as name:
        data = _convert(data, dtype=dtype, name="data", as_ref=True)
        pred = graph_lib.convert_to_tensor(pred, name="pred")
        if isinstance(data, Tensor):
            return builtins.tuple(raw_op("Switch", data=data, pred=pred, name=name))
        mapped = [raw_op("Switch", data=t, pred=pred) for t in _components(data)]
        return (_rebuild(data, [m[0] for m in mapped]), _rebuild(data, [m[1] for m in mapped]))


def switch_ref_or_tensor(data, pred, name="Switch"):
    """``switch``, or RefSwitch for a ref tensor, colocated with ``data`` alone (TF's _SwitchRefOrTensor)."""
    data = _convert(data, name="data")
    with graph_lib.colocate_with(data, ignore_existing=True):
        if _is_ref(data):
            return builtins.tuple(raw_op("RefSwitch", data=data, pred=pred, name=name))
        return switch(data, pred, name=name)


def as_indexed_slices(x):
    """A dense tensor as IndexedSlices of all its rows (TF's math_ops._as_indexed_slices, optimize=False)."""
    if isinstance(x, IndexedSlices):
        return x
    x_shape = array_ops.shape_internal(x, optimize=False)
    return IndexedSlices(x, math_ops.range(0, x_shape[0]), x_shape)


def _as_indexed_slices_list(inputs):
    outputs = [as_indexed_slices(i) for i in inputs]
    with_int32 = [o for o in outputs if o.indices.dtype.base_dtype is DType.int32]
    if not with_int32 or len(with_int32) == len(outputs):
        return outputs
    return [
        IndexedSlices(o.values, raw_op("Cast", x=o.indices, DstT=DType.int64), o.dense_shape)
        if o.indices.dtype.base_dtype is DType.int32
        else o
        for o in outputs
    ]


def merge(inputs, name=None):
    """``(value, value_index)`` of the one available input (Merge, or RefMerge when all are refs).

    Raises:
      ValueError: if an input is None (TF's message).
    """
    if any(inp is None for inp in inputs):
        raise ValueError(f"At least one of the merge inputs is None: {inputs}")
    with graph_lib.name_scope(name, "Merge", inputs) as name:
        inputs = [_convert(inp, as_ref=True) for inp in inputs]
        if all(isinstance(v, Tensor) for v in inputs):
            if all(_is_ref(v) for v in inputs):
                return builtins.tuple(raw_op("RefMerge", inputs=inputs, name=name))
            return builtins.tuple(raw_op("Merge", inputs=inputs, name=name))
        inputs = _as_indexed_slices_list(inputs)
        flat = [_components(v) for v in inputs]
        if len({len(f) for f in flat}) != 1:
            raise ValueError("The two structures don't have the same nested structure.")
        merged = [raw_op("Merge", inputs=list(parts)) for parts in zip(*flat)]
        return (_rebuild(inputs[0], [m[0] for m in merged]), merged[0][1])


def enter(tensor, frame_name, is_constant=False, parallel_iterations=10, use_ref=True, use_input_shape=True, name=None):
    """Makes ``tensor`` available in the child frame ``frame_name`` (Enter; RefEnter for refs)."""
    tensor = _convert(tensor, as_ref=True)
    if isinstance(tensor, IndexedSlices):
        return _rebuild(
            tensor,
            [
                enter(t, frame_name, is_constant, parallel_iterations, use_ref, use_input_shape)
                for t in _components(tensor)
            ],
        )
    op_type = "RefEnter" if _is_ref(tensor) and use_ref else "Enter"
    result = raw_op(
        op_type,
        data=tensor,
        frame_name=frame_name,
        is_constant=is_constant,
        parallel_iterations=parallel_iterations,
        name=name,
    )
    if use_input_shape:
        result.set_shape(tensor.shape)
    return result


def exit(tensor, name=None):
    """Makes ``tensor`` available to the parent frame (Exit; RefExit for refs)."""
    tensor = _convert(tensor, as_ref=True)
    if isinstance(tensor, IndexedSlices):
        return _rebuild(tensor, [exit(t) for t in _components(tensor)])
    return raw_op("RefExit" if _is_ref(tensor) else "Exit", data=tensor, name=name)


def next_iteration(tensor, name=None):
    """Makes ``tensor`` available to the next iteration (NextIteration; RefNextIteration for refs)."""
    tensor = _convert(tensor, as_ref=True)
    if isinstance(tensor, IndexedSlices):
        return _rebuild(tensor, [next_iteration(t) for t in _components(tensor)])
    return raw_op("RefNextIteration" if _is_ref(tensor) else "NextIteration", data=tensor, name=name)


def loop_cond(pred, name=None):
    return raw_op("LoopCond", input=pred, name=name)


def control_trigger(name=None) -> Operation:
    return raw_op("ControlTrigger", name=name)


def enforce_shape_invariant(merge_var, next_var) -> None:
    """Raises TF's ValueError when a loop variable's shape after one iteration is not its entry shape."""
    m_shape = merge_var.shape
    n_shape = next_var.shape
    if not util.shape_less_than_or_equal(n_shape, m_shape):
        enter_op = merge_var.op.inputs[0].op
        input_t = enter_op.inputs[0]
        raise ValueError(
            f"Input tensor '{input_t.name}' enters the loop with shape {input_t.shape}, but has shape {n_shape} "
            "after one iteration. To allow the shape to vary across iterations, use the `shape_invariants` "
            "argument of tf.while_loop to specify a less-specific shape."
        )


def add_next_and_back_edge(m, v, enforce_shape_invariant_=True):
    """NextIteration of ``v`` fed back into input 1 of the Merge ``m`` (TF's _AddNextAndBackEdge)."""
    if isinstance(m, Tensor):
        v = graph_lib.convert_to_tensor(v)
        v = next_iteration(v)
        if enforce_shape_invariant_:
            enforce_shape_invariant(m, v)
        m.op._update_input(1, v)
        return v
    if isinstance(v, Tensor):
        v = as_indexed_slices(v)
    v = next_iteration(v)
    for mc, vc in zip(_components(m), _components(v)):
        mc.op._update_input(1, vc)
    return v


# ---------------------------------------------------------------------------------------------
# Contexts


class ControlFlowContext:
    """The base of CondContext and WhileContext: the values seen in the context and its nesting.

    ``graph._control_flow_context`` is the context new ops are built in (changed by ``Enter``/``Exit``);
    each op keeps the context it was built in; a context keeps the one it was created in
    (``outer_context``).
    """

    def __init__(self, values_def=None, import_scope=None):
        self._nested_contexts = []
        self._outer_context = graph_lib.get_default_graph()._get_control_flow_context()
        if self._outer_context:
            self._outer_context._nested_contexts.append(self)
        self._context_stack = []
        if values_def:
            self._init_values_from_proto(values_def, import_scope=import_scope)
        else:
            self._values = set()  # names of the tensors seen in this context
            self._external_values = {}  # outside tensor name -> the tensor this context reads instead

    def _init_values_from_proto(self, values_def, import_scope=None):
        self._values = {prepend_name_scope(v, import_scope) for v in values_def.values}
        g = graph_lib.get_default_graph()
        self._external_values = {}
        for k, v in values_def.external_values.items():
            self._external_values[prepend_name_scope(k, import_scope)] = g.as_graph_element(
                prepend_name_scope(v, import_scope)
            )
        op_names = {v.split(":")[0] for v in self._values - set(self._external_values)}
        for name in op_names:
            g.as_graph_element(name)._set_control_flow_context(self)

    @property
    def name(self) -> str:
        return self._name

    @property
    def outer_context(self):
        return self._outer_context

    @property
    def grad_state(self):
        raise NotImplementedError("Abstract method")

    @property
    def back_prop(self):
        raise NotImplementedError("Abstract method")

    def _to_values_def(self, export_scope=None):
        values_def = control_flow_pb2.ValuesDef()
        values_def.values.extend(strip_name_scope(v, export_scope) for v in sorted(self._values))
        for k, v in self._external_values.items():
            values_def.external_values[strip_name_scope(k, export_scope)] = strip_name_scope(v.name, export_scope)
        return values_def

    def AddName(self, name) -> None:
        self._values.add(name)

    def Enter(self) -> None:
        """Makes this the context new ops are built in."""
        graph = graph_lib.get_default_graph()
        self._context_stack.append(graph._get_control_flow_context())
        graph._set_control_flow_context(self)

    def Exit(self) -> None:
        """Restores the context that was current before ``Enter``."""
        graph = graph_lib.get_default_graph()
        graph._set_control_flow_context(self._context_stack.pop())

    def EnterGradientColocation(self, op, gradient_uid) -> None:
        if self._outer_context:
            self._outer_context.EnterGradientColocation(op, gradient_uid)

    def ExitGradientColocation(self, op, gradient_uid) -> None:
        if self._outer_context:
            self._outer_context.ExitGradientColocation(op, gradient_uid)

    def ExitResult(self, result) -> None:
        """Makes the tensors of ``result`` known to the outer context."""
        if self._outer_context:

            def fn(x):
                self._outer_context.AddName(x.name)
                return x

            nest.map_structure(fn, result, expand_composites=True)

    def GetWhileContext(self):
        if self._outer_context:
            return self._outer_context.GetWhileContext()
        return None

    def _RemoveExternalControlEdges(self, op):
        """Drops control inputs of ``op`` from outside the enclosing while loop; returns (kept, dropped)."""
        while_ctxt = self.GetWhileContext()
        if while_ctxt is None:
            internal, external = op.control_inputs, []
        else:
            internal, external = [], []
            for x in op.control_inputs:
                ctxt = util.GetOutputContext(x)
                if ctxt is not None and ctxt.GetWhileContext() == while_ctxt:
                    internal.append(x)
                else:
                    external.append(x)
        if len(internal) != len(op.control_inputs):
            op._remove_all_control_inputs()
            op._add_control_inputs(internal)
        return internal, external

    def AddInnerOp(self, op) -> None:
        if self._outer_context:
            self._outer_context.AddInnerOp(op)

    def GetControlPivot(self):
        return None

    def IsWhileContext(self) -> bool:
        return False

    def IsCondContext(self) -> bool:
        return False

    def IsXLAContext(self) -> bool:
        return False

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"<{type(self).__name__} {self.name!r}>"


class CondContext(ControlFlowContext):
    """The context of one branch of a ``tf.cond``: outside tensors enter through Switch ops on ``pred``."""

    def __init__(self, pred=None, pivot=None, branch=None, name="cond_text", context_def=None, import_scope=None):
        self._name = graph_lib.get_default_graph().unique_name(name)
        if context_def:
            self._init_from_proto(context_def, import_scope=import_scope)
        else:
            ControlFlowContext.__init__(self)
            self._pred = pred  # the boolean predicate
            self._pivot = pivot  # the predicate as seen in this branch (switch_t / switch_f)
            self._branch = branch  # 1 for the true branch, 0 for the false one
            self._values.add(pred.name)
            self._external_values[pred.name] = pred
            self._values.add(pivot.name)
            pivot.op._set_control_flow_context(self)

    def _init_from_proto(self, context_def, import_scope=None):
        g = graph_lib.get_default_graph()
        self._name = prepend_name_scope(context_def.context_name, import_scope)
        self._pred = g.as_graph_element(prepend_name_scope(context_def.pred_name, import_scope))
        self._pivot = g.as_graph_element(prepend_name_scope(context_def.pivot_name, import_scope))
        self._branch = context_def.branch
        ControlFlowContext.__init__(self, values_def=context_def.values_def, import_scope=import_scope)

    @property
    def pred(self):
        return self._pred

    @property
    def pivot(self):
        return self._pivot

    @property
    def branch(self):
        return self._branch

    @property
    def grad_state(self):
        if self.GetWhileContext():
            return self.GetWhileContext().grad_state
        return None

    @property
    def back_prop(self):
        if self.GetWhileContext():
            return self.GetWhileContext().back_prop
        return False

    def GetControlPivot(self):
        return self._pivot

    def to_proto(self, export_scope=None):
        """The CondContextDef (names with ``export_scope`` stripped), or None outside the scope."""
        if export_scope is not None and not self.name.startswith(export_scope):
            return None
        context_def = control_flow_pb2.CondContextDef()
        context_def.context_name = strip_name_scope(self.name, export_scope)
        context_def.pred_name = strip_name_scope(self._pred.name, export_scope)
        context_def.pivot_name = strip_name_scope(self._pivot.name, export_scope)
        context_def.branch = self._branch
        context_def.values_def.MergeFrom(self._to_values_def(export_scope))
        for nested in self._nested_contexts:
            nested.to_control_flow_context_def(context_def.nested_contexts.add())
        return context_def

    @staticmethod
    def from_proto(context_def, import_scope=None):
        ret = CondContext(context_def=context_def, import_scope=import_scope)
        ret.Enter()
        for nested_def in context_def.nested_contexts:
            from_control_flow_context_def(nested_def, import_scope=import_scope)
        ret.Exit()
        return ret

    def to_control_flow_context_def(self, context_def, export_scope=None):
        context_def.cond_ctxt.CopyFrom(self.to_proto(export_scope=export_scope))

    def AddValue(self, val):
        """The tensor this branch reads for ``val``: a Switch output for a value from outside."""
        if val.name in self._values:
            # The real value when it comes from an outer context (nested conds).
            result = self._external_values.get(val.name)
            return val if result is None else result
        result = val
        self._values.add(val.name)
        if self._outer_context:
            result = self._outer_context.AddValue(val)
            self._values.add(result.name)
            self._external_values[result.name] = result
        with graph_lib.control_dependencies(None):
            result = switch_ref_or_tensor(result, self._pred)[self._branch]
            if self._outer_context:
                self._outer_context.AddInnerOp(result.op)
        result.op.graph.prevent_fetching(result.op)
        result.op._set_control_flow_context(self)
        ctxt = self
        while ctxt is not None:
            ctxt._values.add(result.name)
            ctxt = ctxt._outer_context
        self._external_values[val.name] = result
        return result

    def AddOp(self, op) -> None:
        self._AddOpInternal(op)

    def _AddOpInternal(self, op) -> None:
        if not op.inputs:
            self._RemoveExternalControlEdges(op)
            if not any(util.OpInContext(c, self) for c in op.control_inputs):
                op._add_control_input(self._pivot.op)
        else:
            for index in range(len(op.inputs)):
                x = op.inputs[index]
                if op.type == "Merge" and x.op.type == "NextIteration":
                    # A loop being imported into this branch: its back edge joins the context later.
                    real_x = x
                else:
                    real_x = self.AddValue(x)
                if real_x is not x:
                    op._update_input(index, real_x)
            self._RemoveExternalControlEdges(op)
            if op.graph._is_function(op.type) or op.type == "SymbolicGradient":
                op._add_control_input(self._pivot.op)
        output_names = [x.name for x in op.outputs]
        ctxt = self
        while ctxt is not None:
            ctxt._values.update(output_names)
            ctxt = ctxt._outer_context
        if self._outer_context or not util.IsLoopExit(op):
            op.graph.prevent_fetching(op)
        if self._outer_context:
            self._outer_context.AddInnerOp(op)

    def _ProcessOutputTensor(self, val):
        """The tensor a branch result ``val`` becomes (a Switch of it when it comes from outside)."""
        real_val = val
        if val.name not in self._values:
            # A branch returning an outside tensor as-is (``lambda: x``).
            self._values.add(val.name)
            if self._outer_context:
                real_val = self._outer_context.AddValue(val)
                self._values.add(real_val.name)
                self._external_values[real_val.name] = real_val
            real_val = switch_ref_or_tensor(real_val, self._pred)[self._branch]
            self._external_values[val.name] = real_val
        else:
            external_val = self._external_values.get(val.name)
            if external_val is not None:
                real_val = external_val
        return real_val

    def _BuildCondTensor(self, v):
        if isinstance(v, Operation):
            return with_dependencies([v], self._pivot)  # the pivot stands in for an op
        v = nest.map_structure(convert_tensorarray_to_flow, v, expand_composites=True)
        return self._ProcessOutputTensor(graph_lib.convert_to_tensor(v))

    def BuildCondBranch(self, fn):
        """Builds ``fn()`` in this branch; returns (its result, the result's tensors in this context)."""
        pre_summaries = graph_lib.get_collection(GraphKeys._SUMMARY_COLLECTION)
        original_result = fn()
        post_summaries = graph_lib.get_collection(GraphKeys._SUMMARY_COLLECTION)
        if len(post_summaries) > len(pre_summaries):
            new_summaries = post_summaries[len(pre_summaries) :]
            graph_lib.get_collection_ref(GraphKeys._SUMMARY_COLLECTION)[:] = pre_summaries
            with graph_lib.control_dependencies(new_summaries):
                if original_result is None:
                    return no_op(), None
                if not isinstance(original_result, Operation):
                    original_result = convert_variables_to_tensors(original_result)
                    original_result = nest.map_structure(identity, original_result, expand_composites=True)
        if original_result is None:
            return None, None
        original_result = convert_variables_to_tensors(original_result)
        result = nest.map_structure(self._BuildCondTensor, original_result, expand_composites=True)
        if not isinstance(result, (list, builtins.tuple)):
            result = [result]
        return original_result, result

    def IsCondContext(self) -> bool:
        return True


def _resource_safe_shape(t):
    """The shape of ``t``, or of the variable a resource handle points to."""
    if t.dtype.base_dtype is DType.resource:
        while t.op.inputs:
            t = t.op.inputs[0]
        return TensorShape(t.op.get_attr("shape"))
    return array_ops.shape_internal(t, optimize=False)


class WhileContext(ControlFlowContext):
    """The context of a ``tf.while_loop``: its frame, pivots, loop Enter/Exit tensors and gradient state."""

    def __init__(
        self,
        maximum_iterations=None,
        parallel_iterations=10,
        back_prop=True,
        swap_memory=False,
        name="while_context",
        grad_state=None,
        context_def=None,
        import_scope=None,
    ):
        if context_def:
            self._init_from_proto(context_def, import_scope=import_scope)
        else:
            ControlFlowContext.__init__(self)
            self._init_from_args(maximum_iterations, parallel_iterations, back_prop, swap_memory, name)
        self._grad_state = grad_state

    def _init_from_args(self, maximum_iterations, parallel_iterations, back_prop, swap_memory, name):
        if not isinstance(parallel_iterations, int) or parallel_iterations <= 0:
            raise ValueError(f"'parallel_iterations' must be a positive integer: {parallel_iterations}")
        self._name = graph_lib.get_default_graph().unique_name(name)
        self._maximum_iterations = maximum_iterations
        self._parallel_iterations = parallel_iterations
        self._back_prop = back_prop
        self._swap_memory = swap_memory
        self._pivot_for_pred = None  # controls constants built by the cond function
        self._pivot_for_body = None  # controls constants built by the body function
        self._pivot = None  # the LoopCond output
        self._loop_exits = []
        self._loop_enters = []
        self._graph = graph_lib.get_default_graph()

    def _init_from_proto(self, context_def, import_scope=None):
        g = graph_lib.get_default_graph()

        def element(name):
            return g.as_graph_element(prepend_name_scope(name, import_scope))

        self._name = prepend_name_scope(context_def.context_name, import_scope)
        self._maximum_iterations = (
            element(context_def.maximum_iterations_name) if context_def.maximum_iterations_name else None
        )
        self._parallel_iterations = context_def.parallel_iterations
        self._back_prop = context_def.back_prop
        self._swap_memory = context_def.swap_memory
        self._pivot_for_pred = element(context_def.pivot_for_pred_name)
        self._pivot_for_body = element(context_def.pivot_for_body_name)
        self._pivot = element(context_def.pivot_name)
        self._loop_exits = [element(n) for n in context_def.loop_exit_names]
        self._loop_enters = [element(n) for n in context_def.loop_enter_names]
        ControlFlowContext.__init__(self, values_def=context_def.values_def, import_scope=import_scope)
        if import_scope:
            # The frame is named after the context, which the import scope renamed.
            for tensor_name in self._values:
                op = g.as_graph_element(tensor_name).op
                if util.IsLoopEnter(op):
                    op._set_attr("frame_name", attr_value_pb2.AttrValue(s=self.name.encode()))
        self._graph = g

    @property
    def maximum_iterations(self):
        return self._maximum_iterations

    @property
    def parallel_iterations(self):
        return self._parallel_iterations

    @property
    def back_prop(self):
        return self._back_prop

    @property
    def swap_memory(self):
        return self._swap_memory

    @property
    def pivot(self):
        return self._pivot

    @property
    def loop_enters(self):
        return self._loop_enters

    @property
    def loop_exits(self):
        return self._loop_exits

    @property
    def grad_state(self):
        return self._grad_state

    def to_proto(self, export_scope=None):
        """The WhileContextDef (names with ``export_scope`` stripped), or None outside the scope."""
        if export_scope is not None and not self.name.startswith(export_scope):
            return None

        def strip(name):
            return strip_name_scope(name, export_scope)

        context_def = control_flow_pb2.WhileContextDef()
        context_def.context_name = strip(self.name)
        context_def.parallel_iterations = self._parallel_iterations
        if self._maximum_iterations is not None:
            context_def.maximum_iterations_name = strip(self._maximum_iterations.name)
        context_def.back_prop = self._back_prop
        context_def.swap_memory = self._swap_memory
        context_def.pivot_for_pred_name = strip(self._pivot_for_pred.name)
        context_def.pivot_for_body_name = strip(self._pivot_for_body.name)
        context_def.pivot_name = strip(self._pivot.name)
        context_def.loop_exit_names.extend(strip(x.name) for x in self._loop_exits)
        context_def.loop_enter_names.extend(strip(x.name) for x in self._loop_enters)
        context_def.values_def.MergeFrom(self._to_values_def(export_scope=export_scope))
        for nested in self._nested_contexts:
            nested.to_control_flow_context_def(context_def.nested_contexts.add())
        return context_def

    def to_control_flow_context_def(self, context_def, export_scope=None):
        context_def.while_ctxt.CopyFrom(self.to_proto(export_scope=export_scope))

    @staticmethod
    def from_proto(context_def, import_scope=None):
        ret = WhileContext(context_def=context_def, import_scope=import_scope)
        ret.Enter()
        for nested_def in context_def.nested_contexts:
            from_control_flow_context_def(nested_def, import_scope=import_scope)
        ret.Exit()
        return ret

    def GetWhileContext(self):
        return self

    def GetControlPivot(self):
        if self._pivot_for_body is not None:
            return self._pivot_for_body
        return self._pivot_for_pred

    def AddValue(self, val):
        """The tensor the loop reads for ``val``: an Enter (is_constant) for a value from outside."""
        result = val
        # Ops of this loop being imported are not external values, even if not seen yet.
        new_value = val.name not in self._values and val.op._control_flow_context is not self
        if new_value:
            self._values.add(val.name)
            # In a gradient loop, a value of the forward loop is read from its history stack.
            grad_ctxt = graph_lib.get_default_graph()._get_control_flow_context()
            if grad_ctxt:
                grad_ctxt = grad_ctxt.GetWhileContext()
                if grad_ctxt.grad_state:
                    forward_ctxt = util.GetWhileContext(val.op)
                    if util.IsLoopExit(val.op):
                        forward_ctxt = forward_ctxt.outer_context
                        if forward_ctxt:
                            forward_ctxt = forward_ctxt.GetWhileContext()
                    if forward_ctxt == grad_ctxt.grad_state.forward_context:
                        real_val = grad_ctxt.grad_state.GetRealValue(val)
                        self._external_values[val.name] = real_val
                        return real_val
            if self._outer_context is not None:
                result = self._outer_context.AddValue(val)
            with graph_lib.control_dependencies(None):
                enter_t = enter(result, self._name, is_constant=True, parallel_iterations=self._parallel_iterations)
                enter_t.graph.prevent_feeding(enter_t)
                if self._outer_context:
                    self._outer_context.AddInnerOp(enter_t.op)
            self._FixControlInputsAndContext([enter_t])
            self._values.add(enter_t.name)
            self._external_values[val.name] = enter_t
            result = enter_t
        else:
            actual_val = self._external_values.get(val.name)
            if actual_val is not None:
                result = actual_val
        return result

    def AddOp(self, op) -> None:
        # Shape/Size/Rank of a forward value, built in a gradient loop, move to the forward loop:
        # the history stack then keeps the small result instead of the tensor.
        if op.type in ("Shape", "Size", "Rank"):
            grad_ctxt = graph_lib.get_default_graph()._get_control_flow_context()
            if grad_ctxt:
                grad_ctxt = grad_ctxt.GetWhileContext()
                if grad_ctxt.grad_state:
                    op_input_forward_ctxt = util.GetWhileContext(op.inputs[0].op)
                    if op_input_forward_ctxt == grad_ctxt.grad_state.forward_context:
                        op_input_ctxt = op.inputs[0].op._get_control_flow_context()
                        op._set_control_flow_context(op_input_ctxt)
                        op_input_ctxt._AddOpInternal(op)
                        return
        self._AddOpInternal(op)

    def _AddOpInternal(self, op) -> None:
        """Adds ``op``; its outside inputs enter the frame and outside control inputs move to the pivot."""
        if op.type in ("PartitionedCall", "StatefulPartitionedCall"):
            op._add_control_input(self.GetControlPivot().op)
        if not op.inputs:
            control_inputs, external_inputs = self._RemoveExternalControlEdges(op)
            if not control_inputs:
                op._add_control_input(self.GetControlPivot().op)
            for x in op.outputs:
                self._values.add(x.name)
        else:
            for index in range(len(op.inputs)):
                x = op.inputs[index]
                real_x = self.AddValue(x)
                if real_x is not x:
                    op._update_input(index, real_x)
            _, external_inputs = self._RemoveExternalControlEdges(op)
            self._MaybeAddControlDependency(op)
            for x in op.outputs:
                self._values.add(x.name)
        if external_inputs:
            # Outside control inputs become data inputs of Identities in the loop.
            with graph_lib.control_dependencies(None):
                self.Enter()
                external_inputs = [identity(x.outputs[0]).op for x in external_inputs if x.outputs]
                self.Exit()
            op._add_control_inputs(external_inputs)
        if self._outer_context or not util.IsLoopExit(op):
            op.graph.prevent_fetching(op)
            for x in op.outputs:
                op.graph.prevent_feeding(x)
        if self._outer_context:
            self._outer_context.AddInnerOp(op)

    def _MaybeAddControlDependency(self, op) -> None:
        """Adds the pivot as control input of an op that reads only loop invariants."""

        def is_op_free(op):
            if op.control_inputs:
                return False
            if op.graph._is_function(op.type) or op.type == "SymbolicGradient":
                return True
            return all(util.IsLoopConstantEnter(x.op) for x in op.inputs)

        if is_op_free(op):
            op._add_control_input(self.GetControlPivot().op)

    def AddForwardLoopCounter(self, outer_grad_state):
        """Adds ``n = 0; while (pivot) n++`` to this (forward) loop; returns (total count, next index)."""
        n = constant(0, name="f_count")
        if outer_grad_state is not None:
            # Orders the stack pushes of the i-th run of an inner loop before those of the (i+1)-th.
            outer_add_op = outer_grad_state.forward_index.op.inputs[0].op
            n.op._add_control_input(outer_add_op)
        self.Enter()
        self.AddName(n.name)
        enter_n = enter(n, self._name, is_constant=False, parallel_iterations=self._parallel_iterations, name="f_count")
        self.loop_enters.append(enter_n)
        merge_n = merge([enter_n, enter_n])[0]
        switch_n = switch(merge_n, self._pivot)
        index = math_ops.add(switch_n[1], 1)
        next_n = next_iteration(index)
        merge_n.op._update_input(1, next_n)
        total_iterations = exit(switch_n[0], name="f_count")
        self.loop_exits.append(total_iterations)
        self.ExitResult([total_iterations])
        self.Exit()
        return total_iterations, next_n

    def AddBackpropLoopCounter(self, count, outer_grad_state):
        """Adds ``n = count; while (n >= 1) n--`` to this (gradient) loop; returns the next index."""
        in_separate_functions = count.graph is not graph_lib.get_default_graph()
        if in_separate_functions:
            count = array_ops.identity(count)
        else:
            one = constant(1, name="b_count")
        self.Enter()
        self.AddName(count.name)
        enter_count = enter(
            count, self._name, is_constant=False, parallel_iterations=self._parallel_iterations, name="b_count"
        )
        self.loop_enters.append(enter_count)
        merge_count = merge([enter_count, enter_count])[0]
        self._pivot_for_pred = merge_count
        if in_separate_functions:
            one = constant(1, name="b_count")
        pred = math_ops.greater_equal(merge_count, one)
        self._pivot = loop_cond(pred, name="b_count")
        switch_count = switch(merge_count, self._pivot)
        index = math_ops.subtract(switch_count[1], one)
        self._pivot_for_body = index
        next_count = next_iteration(index)
        merge_count.op._update_input(1, next_count)
        final_zero = exit(switch_count[0], name="b_count")
        self.loop_exits.append(final_zero)
        if outer_grad_state is not None:
            # Orders the stack pops of the i-th run of an inner loop before those of the (i+1)-th.
            outer_grad_state.grad_sync._add_control_input(final_zero.op)
        self.ExitResult([final_zero])
        self.Exit()
        return next_count

    def AddBackpropAccumulator(self, op, grad):
        """Sums the per-iteration gradients of a loop invariant (``op`` is its Enter) in this gradient loop."""
        self.Exit()
        # Zeros of the right shape: needed when the loop runs no iteration at all.
        shape = grad.shape
        if shape.is_fully_defined():
            if self.outer_context:
                self.outer_context.Enter()
            acc = constant(0, grad.dtype.base_dtype, shape=shape.as_list(), name="b_acc")
            if self.outer_context:
                self.outer_context.Exit()
        else:
            value = op.inputs[0]
            if isinstance(self.outer_context, WhileContext) and self.outer_context.grad_state is not None:
                # A nested loop: the shape comes from the forward history.
                forward_ctxt = self.grad_state.forward_context
                forward_ctxt.outer_context.Enter()
                zeros_shape = array_ops.shape_internal(value, optimize=False)
                forward_ctxt.outer_context.Exit()
                outer_grad_state = self.grad_state.outer_grad_state
                history_zeros_shape = outer_grad_state.AddForwardAccumulator(zeros_shape)
                self.outer_context.Enter()
                real_shape = outer_grad_state.AddBackpropAccumulatedValue(history_zeros_shape, zeros_shape)
                acc = array_ops.zeros(real_shape, grad.dtype.base_dtype)
                self.outer_context.Exit()
            else:
                if self.outer_context:
                    self.outer_context.Enter()
                zeros_shape = array_ops.shape_internal(value, optimize=False)
                acc = array_ops.zeros(zeros_shape, grad.dtype.base_dtype)
                if self.outer_context:
                    self.outer_context.Exit()
        self.Enter()
        self.AddName(acc.name)
        enter_acc = enter(
            acc, self._name, is_constant=False, parallel_iterations=self._parallel_iterations, name="b_acc"
        )
        self.loop_enters.append(enter_acc)
        merge_acc = merge([enter_acc, enter_acc], name="b_acc")[0]
        switch_acc_false, switch_acc_true = switch(merge_acc, self._pivot)
        add_acc = math_ops.add(switch_acc_true, grad)
        next_acc = next_iteration(add_acc)
        merge_acc.op._update_input(1, next_acc)
        result_acc = exit(switch_acc_false, name="b_acc")
        self.loop_exits.append(result_acc)
        self.ExitResult([result_acc])
        return result_acc

    def AddBackpropIndexedSlicesAccumulator(self, op, grad):
        """``AddBackpropAccumulator`` for IndexedSlices gradients (rows are concatenated, not summed)."""
        values, indices, dense_shape = grad.values, grad.indices, grad.dense_shape
        self.Exit()
        if self.outer_context:
            self.outer_context.Enter()
        if values.shape.is_fully_defined():
            values_shape = TensorShape([Dimension(1), *values.shape.dims[1:]])
            if self.outer_context:
                self.outer_context.Enter()
            values_acc = constant(0, values.dtype.base_dtype, shape=values_shape.as_list(), name="b_acc")
            if self.outer_context:
                self.outer_context.Exit()
        else:
            values_shape = _resource_safe_shape(op.inputs[0])[1:]
            values_shape = array_ops.concat([[1], values_shape], 0)
            values_acc = array_ops.zeros(values_shape, dtype=values.dtype.base_dtype)
        indices_acc = constant([0], indices.dtype.base_dtype)
        shape_acc = None
        if dense_shape is not None:
            if dense_shape.shape.is_fully_defined():
                if self.outer_context:
                    self.outer_context.Enter()
                shape_acc = constant(0, dense_shape.dtype.base_dtype, shape=dense_shape.shape.as_list())
                if self.outer_context:
                    self.outer_context.Exit()
            else:
                shape_acc = array_ops.zeros_like(
                    array_ops.shape_internal(op.inputs[0], optimize=False, out_type=dense_shape.dtype.base_dtype),
                    optimize=False,
                )
        if self.outer_context:
            self.outer_context.Exit()
        self.Enter()
        self.AddName(values_acc.name)
        self.AddName(indices_acc.name)
        init_acc = [indices_acc, values_acc]
        if shape_acc is not None:
            self.AddName(shape_acc.name)
            init_acc.append(shape_acc)
        # The accumulators grow, so their Enter ops must not take the initial shapes.
        enter_acc = [
            enter(
                x,
                self._name,
                is_constant=False,
                parallel_iterations=self._parallel_iterations,
                use_input_shape=False,
                name="b_acc",
            )
            for x in init_acc
        ]
        enter_acc[0].set_shape([None])
        if values_acc.shape.dims is not None:
            enter_acc[1].set_shape([None, *values_acc.shape.as_list()[1:]])
        self.loop_enters.extend(enter_acc)
        merge_acc = [merge([x, x], name="b_acc")[0] for x in enter_acc]
        switch_acc = [switch(x, self._pivot) for x in merge_acc]
        acc_indexed_slices = [array_ops.concat([xa[1], xv], 0) for xa, xv in zip(switch_acc[:2], [indices, values])]
        if shape_acc is not None:
            acc_indexed_slices.append(math_ops.maximum(dense_shape, switch_acc[2][1]))
        next_acc = [next_iteration(x) for x in acc_indexed_slices]
        for xm, xn in zip(merge_acc, next_acc):
            xm.op._update_input(1, xn)
        exit_acc = [exit(x[0], name="b_acc") for x in switch_acc]
        self.loop_exits.extend(exit_acc)
        self.ExitResult(exit_acc)
        return IndexedSlices(exit_acc[1], exit_acc[0], exit_acc[2] if shape_acc is not None else None)

    def _InitializeValues(self, values) -> None:
        self._values = set()
        for x in values:
            if not isinstance(x, Tensor):
                raise TypeError(f"'values' must be a list of Tensors. Received: {type(x)}.")
            self._values.add(x.name)

    def _BuildLoop(self, pred, body, flat_orig_loop_vars, flat_loop_vars, loop_vars_signature):
        """Adds the loop condition and body: Enter -> Merge -> LoopCond/Switch -> body -> NextIteration, Exit."""
        flat_shape_invariants = nest.flatten(loop_vars_signature)
        self._InitializeValues(flat_loop_vars)
        if self._outer_context:
            real_vars = [self._outer_context.AddValue(x) for x in flat_loop_vars]
        else:
            real_vars = flat_loop_vars
        enter_vars = []
        with graph_lib.control_dependencies(None):
            for real_var, shape_invariant in zip(real_vars, flat_shape_invariants):
                enter_var = enter(
                    real_var,
                    self._name,
                    is_constant=False,
                    parallel_iterations=self._parallel_iterations,
                    use_input_shape=False,
                )
                if util.shape_less_than_or_equal(real_var.shape, shape_invariant):
                    enter_var.set_shape(shape_invariant)
                else:
                    raise ValueError(
                        f"The shape invariant specified for {real_var.name} is not compatible with the initial "
                        f"shape of the loop variable. It enters the loop with shape {real_var.shape}, but the "
                        f"specified shape invariant is {shape_invariant}."
                    )
                enter_var.graph.prevent_feeding(enter_var)
                if self._outer_context:
                    self._outer_context.AddInnerOp(enter_var.op)
                enter_vars.append(enter_var)
        # The closest enclosing control pivot keeps constants entering the loop from running early.
        outer_context = self._outer_context
        control_pivot = None
        while outer_context is not None and control_pivot is None:
            control_pivot = outer_context.GetControlPivot()
            outer_context = outer_context._outer_context
        if control_pivot is not None:
            for var in enter_vars:
                if util.IsLoopConstantEnter(var.op.inputs[0].op):
                    var.op._add_control_input(control_pivot.op)
        self._FixControlInputsAndContext(enter_vars)
        self._InitializeValues(enter_vars)
        self._loop_enters = enter_vars

        merge_vars = [merge([x, x])[0] for x in enter_vars]
        self._pivot_for_pred = merge_vars[0]
        merge_vars_with_tensorarrays = nest.map_structure(convert_flow_to_tensorarray, flat_orig_loop_vars, merge_vars)
        packed_vars = nest.pack_sequence_as(loop_vars_signature, merge_vars_with_tensorarrays)
        c = graph_lib.convert_to_tensor(pred(*packed_vars))
        self._pivot = loop_cond(c, name="LoopCond")
        switch_vars = [switch_ref_or_tensor(x, self._pivot) for x in merge_vars]

        vars_for_body = [identity(x[1]) for x in switch_vars]
        self._pivot_for_body = vars_for_body[0]
        vars_for_body_with_tensorarrays = nest.map_structure(
            convert_flow_to_tensorarray, flat_orig_loop_vars, vars_for_body
        )
        packed_vars_for_body = nest.pack_sequence_as(loop_vars_signature, vars_for_body_with_tensorarrays)
        pre_summaries = graph_lib.get_collection(GraphKeys._SUMMARY_COLLECTION)
        body_result = body(*packed_vars_for_body)
        post_summaries = graph_lib.get_collection(GraphKeys._SUMMARY_COLLECTION)
        if not nest.is_nested(body_result):
            body_result = [body_result]
        if len(post_summaries) > len(pre_summaries):
            new_summaries = post_summaries[len(pre_summaries) :]
            graph_lib.get_collection_ref(GraphKeys._SUMMARY_COLLECTION)[:] = pre_summaries
            with graph_lib.control_dependencies(new_summaries):
                body_result = nest.map_structure(lambda x: x if _is_tensor_array(x) else identity(x), body_result)
        body_result = convert_variables_to_tensors(body_result)
        # The first level is compared as lists: inputs are usually lists and body results tuples.
        nest.assert_same_structure(list(packed_vars_for_body), list(body_result))
        original_body_result = body_result
        result = [graph_lib.convert_to_tensor(convert_tensorarray_to_flow(x)) for x in nest.flatten(body_result)]
        if len(merge_vars) != len(result):
            raise ValueError(
                "Number of inputs and outputs of 'body' must match 'loop_vars'. Got "
                f"{len(merge_vars)} for the number of inputs/outputs, and {len(result)} for 'loop_vars'."
            )
        for m, v in zip(merge_vars, result):
            add_next_and_back_edge(m, v)
        exit_vars = [exit(x[0]) for x in switch_vars]
        self._loop_exits = exit_vars
        self.ExitResult(exit_vars)
        return original_body_result, exit_vars

    def BuildLoop(self, pred, body, loop_vars, shape_invariants, return_same_structure):
        """Builds the loop; returns the Exit tensors packed like ``body``'s result."""
        flat_orig_loop_vars = nest.flatten(loop_vars)
        loop_vars = nest.map_structure(
            lambda v: v if _is_tensor_array(v) else graph_lib.convert_to_tensor(v), loop_vars
        )
        flat_loop_vars = [convert_tensorarray_to_flow(v) for v in nest.flatten(loop_vars)]
        if shape_invariants is not None:
            loop_vars_signature = nest.map_structure(_shape_invariant, loop_vars, shape_invariants)
        else:
            loop_vars_signature = nest.map_structure(_shape_invariant, loop_vars)
        try:
            self.Enter()
            original_body_result, exit_vars = self._BuildLoop(
                pred, body, flat_orig_loop_vars, flat_loop_vars, loop_vars_signature
            )
        finally:
            self.Exit()
        flat_result = nest.flatten(original_body_result)
        exit_vars_with_tensorarrays = nest.map_structure(convert_flow_to_tensorarray, flat_result, exit_vars)
        packed_exit_vars = nest.pack_sequence_as(original_body_result, exit_vars_with_tensorarrays)
        if return_same_structure:
            return packed_exit_vars
        return packed_exit_vars[0] if len(exit_vars) == 1 else packed_exit_vars

    def _FixControlInputsAndContext(self, enters) -> None:
        graph = graph_lib.get_default_graph()
        for e in enters:
            if not isinstance(e, Tensor):
                raise TypeError(f"'enters' must be a list of Tensors. Received: {type(e)}.")
            inp_op = e.op.inputs[0].op
            control_inputs = graph._control_dependencies_for_inputs([inp_op])
            outer_control_inputs = []
            for op in control_inputs:
                # Keep control inputs from any enclosing context inside the enclosing while loop.
                keep = True
                op_ctxt = util.GetOutputContext(op)
                outer_ctxt = self.outer_context
                outer_while_context = None if outer_ctxt is None else outer_ctxt.GetWhileContext()
                while outer_ctxt != op_ctxt:
                    if outer_ctxt is None or outer_ctxt == outer_while_context:
                        keep = False
                        break
                    outer_ctxt = outer_ctxt.outer_context
                if keep:
                    outer_control_inputs.append(op)
            e.op._set_control_flow_context(self)
            e.op._add_control_inputs(outer_control_inputs)
            graph._record_op_seen_by_control_dependencies(e.op)

    def IsWhileContext(self) -> bool:
        return True


def _shape_invariant(var, shape=None) -> TensorShape:
    """The shape a loop variable is checked against (its own shape unless one is given)."""
    var = convert_tensorarray_to_flow(var)
    if shape is None:
        if isinstance(var, IndexedSlices):
            return var.values.shape
        return var.shape
    if not isinstance(shape, TensorShape):
        raise TypeError(f"'shape' must be one of TypeSpec, TensorShape or None. Received: {type(shape)}")
    return shape


def from_control_flow_context_def(context_def, import_scope=None):
    """The CondContext or WhileContext of a ControlFlowContextDef."""
    if context_def.HasField("cond_ctxt"):
        return CondContext.from_proto(context_def.cond_ctxt, import_scope=import_scope)
    if context_def.HasField("while_ctxt"):
        return WhileContext.from_proto(context_def.while_ctxt, import_scope=import_scope)
    raise ValueError(f"Unknown ControlFlowContextDef field: {context_def.WhichOneof('ctxt')}")


graph_lib.register_proto_function(
    GraphKeys.COND_CONTEXT,
    proto_type=control_flow_pb2.CondContextDef,
    to_proto=CondContext.to_proto,
    from_proto=CondContext.from_proto,
)
graph_lib.register_proto_function(
    GraphKeys.WHILE_CONTEXT,
    proto_type=control_flow_pb2.WhileContextDef,
    to_proto=WhileContext.to_proto,
    from_proto=WhileContext.from_proto,
)
