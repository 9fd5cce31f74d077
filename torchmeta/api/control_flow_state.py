"""Gradient state for TF1 while loops (TensorFlow's control_flow_state.py).

``tf.gradients`` through a v1 while loop builds a second, backward loop (the gradient WhileContext)
that runs as many iterations as the forward one: the forward loop gets an iteration counter
(``f_count``), the backward loop counts down from it (``b_count``), and every forward value the
gradient needs is pushed on a stack (StackV2 ``f_acc`` + StackPushV2) in the forward loop and popped
(StackPopV2) in the backward loop. Loop invariants get accumulators (``b_acc``). One
``_GradLoopState`` per forward loop, kept by ``ControlFlowState``.
"""

from __future__ import annotations

from torchmeta.api import array_ops, control_flow_ops
from torchmeta.api.control_flow_ops import CondContext, WhileContext
from torchmeta.dtypes import DType
from torchmeta.framework import control_flow_util as util
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import tensor_util
from torchmeta.framework.constant_op import constant, is_constant
from torchmeta.framework.op_def_library import raw_op

__all__ = ["ControlFlowState", "MaybeCreateControlFlowState", "ZerosLike"]


def _zeros_dtype(t):
    """The dtype of a zero gradient for ``t`` (a resource handle's gradient is float32 by default)."""
    return DType.float32 if t.dtype.base_dtype is DType.resource else t.dtype.base_dtype


def _variable_shape(handle):
    return raw_op("VariableShape", input=handle)


class _GradLoopState:
    """The state of the gradient loop of one forward while loop.

    Its WhileContext runs backwards through the forward iterations; ``history_map`` maps forward
    tensor names to the values popped from their history stacks, ``switch_map`` the forward loop's
    Switch ops to the Merges of their gradients.
    """

    def __init__(self, forward_ctxt, outer_grad_state):
        self._outer_grad_state = None
        self._forward_context = None
        self._forward_index = None
        self._forward_sync = None
        self._grad_context = None
        self._grad_index = None
        self._grad_sync = None
        self._history_map = {}
        self._switch_map = {}
        self._unused_exits = []
        self._deferred_exits = []
        self._forward_loop_exits = list(forward_ctxt.loop_exits)
        self._pending_exits_count = len(forward_ctxt.loop_exits)
        self._outer_grad_state = outer_grad_state
        if outer_grad_state:
            outer_forward_ctxt = outer_grad_state.forward_context
        else:
            if not hasattr(forward_ctxt, "outer_context"):
                raise ValueError(
                    "Failed to call gradients on a while loop withoutproperly serializing graph via MetaGraphDef"
                )
            outer_forward_ctxt = forward_ctxt.outer_context
        # The forward loop's iteration counter.
        with forward_ctxt._graph.as_default():
            if outer_forward_ctxt:
                outer_forward_ctxt.Enter()
            cnt, forward_index = forward_ctxt.AddForwardLoopCounter(outer_grad_state)
            if outer_forward_ctxt:
                outer_forward_ctxt.Exit()
        self._forward_context = forward_ctxt
        self._forward_index = forward_index
        if outer_grad_state:
            # A nested loop: its count is itself a history value of the outer loop.
            outer_forward_ctxt.AddName(cnt.name)
            history_cnt = outer_grad_state.AddForwardAccumulator(cnt)
            outer_grad_ctxt = outer_grad_state.grad_context
            outer_grad_ctxt.Enter()
            self._grad_context = WhileContext(
                maximum_iterations=forward_ctxt.maximum_iterations,
                parallel_iterations=forward_ctxt.parallel_iterations,
                back_prop=forward_ctxt.back_prop,
                swap_memory=forward_ctxt.swap_memory,
                name=forward_ctxt.name,
                grad_state=self,
            )
            real_cnt = outer_grad_state.AddBackpropAccumulatedValue(history_cnt, cnt)
            self._grad_index = self._grad_context.AddBackpropLoopCounter(real_cnt, outer_grad_state)
            outer_grad_ctxt.Exit()
        else:
            if outer_forward_ctxt:
                outer_forward_ctxt.Enter()
            self._grad_context = WhileContext(
                maximum_iterations=forward_ctxt.maximum_iterations,
                parallel_iterations=forward_ctxt.parallel_iterations,
                back_prop=forward_ctxt.back_prop,
                swap_memory=forward_ctxt.swap_memory,
                name=forward_ctxt.name,
                grad_state=self,
            )
            self._grad_index = self._grad_context.AddBackpropLoopCounter(cnt, outer_grad_state)
            if outer_forward_ctxt:
                outer_forward_ctxt.Exit()

    @property
    def outer_grad_state(self):
        return self._outer_grad_state

    @property
    def forward_context(self):
        return self._forward_context

    @property
    def forward_index(self):
        return self._forward_index

    @property
    def forward_sync(self):
        """A ControlTrigger in the forward loop ordering stack pushes in cond branches."""
        if self._forward_sync is None:
            with graph_lib.control_dependencies(None):
                self._forward_sync = control_flow_ops.control_trigger(name="f_sync")
            self._forward_sync._set_control_flow_context(self._forward_context)
            self._forward_index.op._add_control_input(self._forward_sync)
        return self._forward_sync

    @property
    def grad_context(self):
        return self._grad_context

    @property
    def grad_index(self):
        return self._grad_index

    @property
    def grad_sync(self):
        """A ControlTrigger in the gradient loop ordering stack pops."""
        if self._grad_sync is None:
            with graph_lib.control_dependencies(None):
                self._grad_sync = control_flow_ops.control_trigger(name="b_sync")
            self._grad_sync._set_control_flow_context(self._grad_context)
            self._grad_index.op._add_control_input(self._grad_sync)
            if self._grad_context.outer_context:
                self._grad_context.outer_context.AddInnerOp(self._grad_sync)
        return self._grad_sync

    @property
    def history_map(self):
        return self._history_map

    @property
    def switch_map(self):
        return self._switch_map

    @property
    def unused_exits(self):
        return self._unused_exits

    @property
    def deferred_exits(self):
        return self._deferred_exits

    @property
    def forward_loop_exits(self):
        return self._forward_loop_exits

    @property
    def pending_exits_count(self):
        return self._pending_exits_count

    @pending_exits_count.setter
    def pending_exits_count(self, cnt):
        self._pending_exits_count = cnt

    def AddForwardAccumulator(self, value, dead_branch=False):
        """A stack (``f_acc``) onto which the forward loop pushes ``value`` each iteration; returns the stack."""
        with self._forward_index.graph.as_default():
            curr_ctxt = graph_lib.get_default_graph()._get_control_flow_context()
            with graph_lib.control_dependencies(None):
                if curr_ctxt:
                    curr_ctxt.Enter()
                with graph_lib.colocate_with(value):
                    max_size = constant(-1, DType.int32)
                    acc = raw_op("StackV2", max_size=max_size, elem_type=value.dtype.base_dtype, name="f_acc")
                if curr_ctxt:
                    curr_ctxt.Exit()
                # The stack handle enters the forward loop, then values are pushed in the value's context.
                enter_acc = self.forward_context.AddValue(acc)
                swap_enabled = self.forward_context.swap_memory
                value_ctxt = util.GetOutputContext(value.op)
                if value_ctxt == self.forward_context:
                    self.forward_context.Enter()
                    push = raw_op("StackPushV2", handle=enter_acc, elem=value, swap_memory=swap_enabled)
                    self.forward_context.Exit()
                    self.forward_index.op._add_control_input(push.op)
                else:
                    if not isinstance(value_ctxt, CondContext):
                        raise TypeError(f"value_ctxt is not a CondContext: {value_ctxt}")
                    if dead_branch:
                        # The value of an untaken branch: pushed outside the cond, in its context.
                        value_ctxt.outer_context.Enter()
                        push = raw_op("StackPushV2", handle=enter_acc, elem=value, swap_memory=swap_enabled)
                        value_ctxt.outer_context.Exit()
                        push.op._set_control_flow_context(value_ctxt)
                    else:
                        value_ctxt.Enter()
                        push = raw_op("StackPushV2", handle=enter_acc, elem=value, swap_memory=swap_enabled)
                        value_ctxt.Exit()
                    self.forward_sync._add_control_input(push.op)
                # Pushes of one iteration happen before the counter moves on.
                add_op = self.forward_index.op.inputs[0].op
                push.op._add_control_input(add_op)
                return acc

    def AddBackpropAccumulatedValue(self, history_value, value, dead_branch=False):
        """The value of ``value`` in the current gradient iteration: a StackPopV2 of its history stack."""
        history_ctxt = history_value.op._get_control_flow_context()
        cond_ctxt = None
        value_ctxt = value.op._get_control_flow_context()
        while value_ctxt and value_ctxt != history_ctxt:
            if isinstance(value_ctxt, CondContext):
                cond_ctxt = value_ctxt
                break
            value_ctxt = value_ctxt.outer_context
        with graph_lib.control_dependencies(None):
            self.grad_context.Enter()
            if cond_ctxt:
                # Pop only when the branch that pushed ran in the forward iteration.
                grad_state = self
                pred = None
                while pred is None and grad_state:
                    pred = grad_state.history_map.get(cond_ctxt.pred.name)
                    grad_state = grad_state.outer_grad_state
                if pred is None:
                    pred = cond_ctxt.pred
                branch = (1 - cond_ctxt.branch) if dead_branch else cond_ctxt.branch
                history_value = control_flow_ops.switch_ref_or_tensor(history_value, pred)[branch]
            pop = raw_op("StackPopV2", handle=history_value, elem_type=value.dtype.base_dtype)
            pop.set_shape(value.shape)
            self.grad_context.Exit()
        if self.grad_context.parallel_iterations > 1:
            # Pops of one iteration happen before the gradient counter moves on.
            self.grad_sync._add_control_input(pop.op)
        return pop

    def GetRealValue(self, value):
        """The value a gradient computation in the gradient loop reads for the forward tensor ``value``."""
        assert value.op.type not in ("Variable", "VariableV2")
        real_value = self._history_map.get(value.name)
        if real_value is None:
            cur_value = value
            cur_grad_state = self
            while True:
                enter_op = util.GetLoopConstantEnter(cur_value)
                if enter_op:
                    # A loop invariant: read it from outside (or from the outer loop's history).
                    cur_value = enter_op.inputs[0]
                    cur_grad_state = cur_grad_state.outer_grad_state
                    if cur_grad_state is None:
                        real_value = self._grad_context.AddValue(cur_value)
                        break
                elif is_constant(cur_value):
                    real_value = constant(tensor_util.constant_value(cur_value), dtype=cur_value.dtype.base_dtype)
                    break
                else:
                    self._grad_context.Exit()
                    history_value = cur_grad_state.AddForwardAccumulator(cur_value)
                    self._grad_context.Enter()
                    break
            if real_value is None:
                real_value = cur_grad_state.AddBackpropAccumulatedValue(history_value, cur_value)
                if cur_grad_state != self:
                    real_value = self._grad_context.AddValue(real_value)
            self._history_map[value.name] = real_value
        return real_value


class ControlFlowState:
    """The gradient loop states of all forward while loops a ``tf.gradients`` call goes through."""

    def __init__(self):
        self._map = {}  # forward WhileContext -> _GradLoopState

    def GetGradState(self, op, before):
        """The gradient state of the loop ``op`` is in (an Exit's loop is its own only after its gradient)."""
        if before and util.IsLoopExit(op):
            forward_ctxt = op._get_control_flow_context()
            forward_ctxt = forward_ctxt.outer_context
            if forward_ctxt:
                forward_ctxt = forward_ctxt.GetWhileContext()
        else:
            forward_ctxt = util.GetWhileContext(op)
        if forward_ctxt:
            return self._map.get(forward_ctxt)
        return None

    def ProcessUnusedLoopExits(self, pending_count, to_ops_set):
        """Exits whose gradient nobody will send (unused loop outputs): they need zeros to start the loop."""
        loop_exits = []
        for grad_state in self._map.values():
            for y in grad_state.forward_loop_exits:
                if pending_count[y.op] == 0:
                    grad_state.pending_exits_count -= 1
                    if y.op not in to_ops_set:
                        grad_state.unused_exits.append(y)
                    if grad_state.pending_exits_count == 0:
                        loop_exits.extend(grad_state.unused_exits)
            # Enter ops are never ready before the whole loop has been differentiated.
            for y in grad_state.forward_context.loop_enters:
                if pending_count[y.op] == 0:
                    pending_count[y.op] = 1
        return loop_exits

    def EnterGradWhileContext(self, op, before):
        grad_state = self.GetGradState(op, before)
        if grad_state:
            grad_state.grad_context.Enter()

    def ExitGradWhileContext(self, op, before):
        grad_state = self.GetGradState(op, before)
        if grad_state:
            grad_state.grad_context.Exit()

    def AddWhileContext(self, op, between_op_list, between_ops):
        """Creates the gradient state of ``op``'s loop (once), adding all its exits to the ops between."""
        forward_ctxt = util.GetWhileContext(op)
        grad_state = self._map.get(forward_ctxt)
        if grad_state is None:
            outer_forward_ctxt = forward_ctxt.outer_context
            if outer_forward_ctxt:
                outer_forward_ctxt = outer_forward_ctxt.GetWhileContext()
            outer_grad_state = None
            if outer_forward_ctxt:
                outer_grad_state = self._map.get(outer_forward_ctxt)
            grad_state = _GradLoopState(forward_ctxt, outer_grad_state)
            self._map[forward_ctxt] = grad_state
            for loop_exit in grad_state.forward_loop_exits:
                if loop_exit.op not in between_ops:
                    between_ops.add(loop_exit.op)
                    between_op_list.append(loop_exit.op)

    def ZerosLikeForExit(self, val):
        """Zeros for the gradient of an unused loop exit ``val``."""
        val_shape = val.shape
        forward_ctxt = val.op._get_control_flow_context()
        outer_forward_ctxt = forward_ctxt.outer_context
        if outer_forward_ctxt:
            outer_forward_ctxt = outer_forward_ctxt.GetWhileContext()
        outer_grad_state = None
        if outer_forward_ctxt:
            outer_grad_state = self._map.get(outer_forward_ctxt)
        if outer_grad_state:
            # The exit is inside an outer loop: build the zeros in the outer gradient loop.
            if val_shape.is_fully_defined():
                outer_grad_state.grad_context.Enter()
                result = array_ops.zeros(val_shape.as_list(), val.dtype.base_dtype)
                outer_grad_state.grad_context.Exit()
            else:
                forward_ctxt.outer_context.Enter()
                shape = array_ops.shape_internal(val, optimize=False)
                forward_ctxt.outer_context.Exit()
                history_shape = outer_grad_state.AddForwardAccumulator(shape)
                outer_grad_ctxt = outer_grad_state.grad_context
                outer_grad_ctxt.Enter()
                real_shape = outer_grad_state.AddBackpropAccumulatedValue(history_shape, shape)
                result = array_ops.zeros(real_shape, val.dtype.base_dtype)
                outer_grad_ctxt.Exit()
        elif val_shape.is_fully_defined():
            result = array_ops.zeros(val_shape.as_list(), val.dtype.base_dtype)
        else:
            result = array_ops.zeros_like(val, optimize=False)
        return result

    def ZerosLikeV1WhileLoop(self, op, index):
        """Zeros for output ``index`` of ``op`` (in a loop) that got no gradient, or None for a loop Switch."""
        if util.IsLoopSwitch(op):
            return None
        if op.graph.building_function:
            return array_ops.zeros_like(op.outputs[index])
        dead_branch = util.IsSwitch(op)
        forward_ctxt = util.GetWhileContext(op)
        grad_state = self._map.get(forward_ctxt)
        if grad_state is None:
            # op is not in a while loop that is part of gradients().
            return ZerosLike(op, index)
        op_ctxt = op._get_control_flow_context()
        val = graph_lib.convert_to_tensor(op.outputs[index], name="tensor")
        shape = val.shape
        if shape.is_fully_defined():
            if val.dtype.base_dtype is DType.resource:
                result = array_ops.zeros(_variable_shape(val), dtype=_zeros_dtype(val))
            else:
                result = constant(0, shape=shape.as_list(), dtype=val.dtype.base_dtype)
            if dead_branch:
                # The Switch of a cond: zeros only on the untaken side.
                pred = grad_state.history_map.get(op_ctxt.pred.name)
                branch = op_ctxt.branch
                result = control_flow_ops.switch_ref_or_tensor(result, pred)[1 - branch]
        else:
            # The shape is only known at run time: remember it in the forward loop.
            if dead_branch:
                pred = op_ctxt.pred
                branch = op_ctxt.branch
                op_ctxt.outer_context.Enter()
                val = control_flow_ops.switch_ref_or_tensor(op.inputs[0], pred)[1 - branch]
                zeros_shape = array_ops.shape_internal(val, optimize=False)
                op_ctxt.outer_context.Exit()
                val.op._set_control_flow_context(op_ctxt)
                zeros_shape.op._set_control_flow_context(op_ctxt)
            else:
                op_ctxt.Enter()
                zeros_shape = array_ops.shape_internal(val, optimize=False)
                op_ctxt.Exit()
            grad_state.grad_context.Exit()
            history_zeros_shape = grad_state.AddForwardAccumulator(zeros_shape, dead_branch=dead_branch)
            grad_state.grad_context.Enter()
            shape = grad_state.AddBackpropAccumulatedValue(history_zeros_shape, zeros_shape, dead_branch)
            result = array_ops.zeros(shape, val.dtype.base_dtype)
        return result

    def PostProcessing(self):
        """Closes the back edges of gradient Merges that never got a value from the next iteration."""
        for grad_state in self._map.values():
            for b_merge in grad_state.switch_map.values():
                if b_merge.op.inputs[0] is b_merge.op.inputs[1]:
                    dtype = b_merge.op.inputs[0].dtype.base_dtype
                    shape = b_merge.op.inputs[0].shape
                    if shape.is_fully_defined():
                        grad_state.grad_context.Enter()
                        grad_val = constant(0, dtype=dtype, shape=shape.as_list())
                        next_grad_val = control_flow_ops.next_iteration(grad_val)
                        grad_state.grad_context.Exit()
                    else:
                        outer_grad_ctxt = grad_state.grad_context.outer_context
                        if outer_grad_ctxt:
                            outer_grad_ctxt.Enter()
                        enter_grad_op = b_merge.op.inputs[0].op
                        enter_grad = enter_grad_op.inputs[0]
                        grad_shape = array_ops.shape_internal(enter_grad, optimize=False)
                        grad_val = array_ops.zeros(grad_shape)
                        if outer_grad_ctxt:
                            outer_grad_ctxt.Exit()
                        grad_state.grad_context.Enter()
                        next_grad_val = control_flow_ops.next_iteration(grad_val)
                        grad_state.grad_context.Exit()
                    b_merge.op._update_input(1, next_grad_val)


def MaybeCreateControlFlowState(between_op_list, between_ops, colocate_gradients_with_ops):
    """A ControlFlowState when the ops between ys and xs include a loop exit, else None."""
    loop_state = None
    for op in between_op_list:
        if util.IsLoopExit(op):
            if loop_state is None:
                loop_state = ControlFlowState()
            if colocate_gradients_with_ops:
                with graph_lib.colocate_with(op):
                    loop_state.AddWhileContext(op, between_op_list, between_ops)
            else:
                loop_state.AddWhileContext(op, between_op_list, between_ops)
    return loop_state


def _zeros_like_v1(op, index):
    """Zeros for the untaken output of a cond Switch: built on that side of a Switch of its input."""
    val = op.outputs[index]
    op_ctxt = op._get_control_flow_context()
    if op_ctxt:
        pred = op_ctxt.pred
        branch = op_ctxt.branch
        switch_val = control_flow_ops.switch(op.inputs[0], pred)[1 - branch]
        pivot = array_ops.identity(switch_val)
        if val.dtype.base_dtype is DType.resource:
            with graph_lib.control_dependencies([pivot]):
                return array_ops.zeros(_variable_shape(switch_val), dtype=_zeros_dtype(val))
        zeros_shape = array_ops.shape_internal(switch_val, optimize=False)
        with graph_lib.control_dependencies([pivot]):
            return array_ops.zeros(zeros_shape, dtype=val.dtype.base_dtype)
    return array_ops.zeros_like(val, optimize=False)


def _zeros_like_v2(op, index):
    val = op.outputs[index]
    if val.dtype.base_dtype is DType.resource:
        return array_ops.zeros(_variable_shape(val), dtype=_zeros_dtype(val))
    if getattr(val.op.graph, "_is_while_body", False) and val.dtype.base_dtype is not DType.variant:
        if val.shape.is_fully_defined():
            return constant(0, shape=val.shape.as_list(), dtype=val.dtype.base_dtype)
        return array_ops.zeros(array_ops.shape_internal(val, optimize=False), val.dtype.base_dtype)
    return array_ops.zeros_like(val, optimize=False)


def ZerosLike(op, index):
    """Zeros shaped like output ``index`` of ``op`` (the gradient of an output nobody differentiated)."""
    if not util.IsSwitch(op):
        return _zeros_like_v2(op, index)
    return _zeros_like_v1(op, index)
