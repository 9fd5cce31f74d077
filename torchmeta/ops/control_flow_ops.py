"""TF1 control-flow primitives: NoOp, Switch/Merge (conditionals), Enter/Exit/NextIteration/LoopCond (loops).

How these run (torchmeta.runtime.control_flow): a Switch forwards its data to one output and marks the
other ``DEAD``; every op with a dead input (data or control) is dead too and does not run, except a
Merge, which forwards its first live input, and a ControlTrigger, which is always live. That is
TensorFlow's dead-tensor semantics: an untaken branch's ops do not run, and fetching one of its
tensors raises "Retval[i] does not have value". Loops are recognised by their frames (the Enter ops'
``frame_name``) and run as a Python loop over the cond and body, each lowered once per input shapes;
the kernels of Enter, Exit, NextIteration and LoopCond below are only the identity they are within
one iteration.
"""

from __future__ import annotations

import torch

from torchmeta.api import control_flow_ops as cf_api
from torchmeta.api import math_ops
from torchmeta.dtypes import DType
from torchmeta.framework import common_shapes
from torchmeta.framework import control_flow_util as cf_util
from torchmeta.framework.common_shapes import input_with_rank
from torchmeta.framework.graph import Tensor, get_default_graph
from torchmeta.framework.indexed_slices import IndexedSlices
from torchmeta.framework.registry import no_registered_gradient, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape

__all__ = ["DEAD", "is_dead", "truthy"]


class _Dead:
    """The value of a tensor on an untaken branch (TensorFlow's "dead" tensors)."""

    __slots__ = ()

    def __repr__(self):
        return "DEAD"

    def __bool__(self):
        raise TypeError("a dead tensor (on an untaken branch) has no value")


DEAD = _Dead()


def is_dead(value) -> bool:
    """Whether ``value`` is the dead marker (or a tuple of op outputs that are all dead)."""
    if value is DEAD:
        return True
    return type(value) is tuple and len(value) > 0 and all(v is DEAD for v in value)


def truthy(value) -> bool:
    """A predicate as TensorFlow's If/While read it: a scalar's truth value (numbers: non-zero, strings:
    non-empty); a tensor of any other shape is true when it has elements."""
    if isinstance(value, torch.Tensor):
        if value.dim() == 0:
            return bool(value)
        return value.numel() > 0
    if hasattr(value, "ndim") and value.ndim == 0:  # numpy (strings)
        item = value[()]
        return len(item) > 0 if isinstance(item, (bytes, str)) else bool(item)
    if hasattr(value, "size"):
        return value.size > 0
    return bool(value)


@register_op("NoOp", shape=common_shapes.no_outputs)
def no_op():
    return None


no_registered_gradient("NoOp")


# ---------------------------------------------------------------------------------------------
# Conditionals: Switch and Merge


def _switch_shape(op):
    input_with_rank(op, 1, 0)
    return [op.inputs[0].shape, op.inputs[0].shape]


_SWITCH = {
    "inputs": ["data: T", "pred: bool"],
    "outputs": ["output_false: T", "output_true: T"],
    "attrs": ["T: type"],
}


@register_op("Switch", **_SWITCH, shape=_switch_shape, aliases_input=True)
def switch(data, pred):
    """(data, DEAD) when ``pred`` is false, (DEAD, data) when it is true."""
    return (DEAD, data) if bool(pred) else (data, DEAD)


@register_op(
    "RefSwitch",
    inputs=["data: Ref(T)", "pred: bool"],
    outputs=["output_false: Ref(T)", "output_true: Ref(T)"],
    attrs=["T: type"],
    shape=_switch_shape,
    allows_uninitialized_input=True,
    aliases_input=True,
)
def ref_switch(data, pred):
    return (DEAD, data) if bool(pred) else (data, DEAD)


def _merge_shape(op):
    """TensorFlow's MergeShape: the inputs' common rank, a dimension only where all inputs agree."""
    first = op.inputs[0].shape
    if first.rank is None:
        return [unknown_shape(), TensorShape([])]
    dims = list(first.as_tuple())
    for t in op.inputs[1:]:
        s = t.shape
        if s.rank is None or s.rank != len(dims):
            return [unknown_shape(), TensorShape([])]
        dims = [d if d == e else None for d, e in zip(dims, s.as_tuple())]
    return [TensorShape(dims), TensorShape([])]


_INDEX = [torch.tensor(i, dtype=torch.int32) for i in range(8)]


def _merge_index(i: int):
    return _INDEX[i].clone() if i < len(_INDEX) else torch.tensor(i, dtype=torch.int32)


@register_op(
    "Merge",
    inputs=["inputs: N * T"],
    outputs=["output: T", "value_index: int32"],
    attrs=["T: type", "N: int >= 1"],
    shape=_merge_shape,
    aliases_input=True,
)
def merge(inputs):
    """The first live input and its index; dead when every input is dead."""
    for i, value in enumerate(inputs):
        if value is not DEAD:
            return value, _merge_index(i)
    return DEAD, DEAD


@register_op(
    "RefMerge",
    inputs=["inputs: N * Ref(T)"],
    outputs=["output: Ref(T)", "value_index: int32"],
    attrs=["T: type", "N: int >= 1"],
    shape=_merge_shape,
    aliases_input=True,
)
def ref_merge(inputs):
    for i, value in enumerate(inputs):
        if value is not DEAD:
            return value, _merge_index(i)
    return DEAD, DEAD


# ---------------------------------------------------------------------------------------------
# Loops: Enter, Exit, NextIteration, LoopCond (identities within one iteration; see the module doc)

_ENTER_ATTRS = ["T: type", "frame_name: string", "is_constant: bool = false", "parallel_iterations: int = 10"]


def _enter_shape(op):
    """TensorFlow's Enter shape function: the input's shape only for a loop constant, else unknown."""
    return [op.inputs[0].shape if op.get_attr("is_constant") else unknown_shape()]


@register_op("Enter", inputs=["data: T"], outputs=["output: T"], attrs=_ENTER_ATTRS, shape=_enter_shape)
def enter(data):
    return data


@register_op(
    "RefEnter",
    inputs=["data: Ref(T)"],
    outputs=["output: Ref(T)"],
    attrs=_ENTER_ATTRS,
    shape=_enter_shape,
    aliases_input=True,
)
def ref_enter(data):
    return data


@register_op("Exit", inputs=["data: T"], outputs=["output: T"], attrs=["T: type"], shape=common_shapes.unchanged)
def exit(data):
    return data


@register_op(
    "RefExit",
    inputs=["data: Ref(T)"],
    outputs=["output: Ref(T)"],
    attrs=["T: type"],
    shape=common_shapes.unchanged,
    aliases_input=True,
)
def ref_exit(data):
    return data


@register_op(
    "NextIteration", inputs=["data: T"], outputs=["output: T"], attrs=["T: type"], shape=common_shapes.unchanged
)
def next_iteration(data):
    return data


@register_op(
    "RefNextIteration",
    inputs=["data: Ref(T)"],
    outputs=["output: Ref(T)"],
    attrs=["T: type"],
    shape=common_shapes.unchanged,
    aliases_input=True,
)
def ref_next_iteration(data):
    return data


def _loop_cond_shape(op):
    input_with_rank(op, 0, 0)
    return [TensorShape([])]


@register_op("LoopCond", inputs=["input: bool"], outputs=["output: bool"], shape=_loop_cond_shape)
def loop_cond(input):
    return input


@register_op("ControlTrigger", shape=common_shapes.no_outputs)
def control_trigger():
    """Always live, even when its control inputs are dead (TensorFlow's scheduling placeholder)."""
    return None


no_registered_gradient("ControlTrigger")


# ---------------------------------------------------------------------------------------------
# Gradients (TF's control_flow_grad.py): through conds, and through while loops with the gradient
# loop state of torchmeta.api.control_flow_state


@register_gradient("Switch")
@register_gradient("RefSwitch")
def _switch_grad(op, *grad):
    """A cond Switch: Merge of the branch gradients; a loop Switch: the gradient loop's back edge."""
    op_ctxt = op._get_control_flow_context()
    grad_ctxt = get_default_graph()._get_control_flow_context()
    if op_ctxt is not None and op_ctxt.IsWhileContext():
        merge_grad = grad_ctxt.grad_state.switch_map.get(op)
        if merge_grad is not None:
            # The gradient from the next iteration closes the loop.
            if grad[1] is not None:
                cf_api.add_next_and_back_edge(merge_grad, grad[1], enforce_shape_invariant_=False)
            return None, None
        if grad[0] is not None:
            # The gradient of the exit value enters the gradient loop: its Merge's back edge comes later.
            merge_grad = cf_api.merge([grad[0], grad[0]], name="b_switch")[0]
            grad_ctxt.grad_state.switch_map[op] = merge_grad
            return merge_grad, None
        return None, None
    if op_ctxt is not None and op_ctxt.IsCondContext():
        zero_grad = grad[1 - op_ctxt.branch]
        if zero_grad is None:
            # Only the branch's own side got a gradient (the other side is not in this context).
            if op.inputs[0].dtype.base_dtype is DType.resource:
                return cf_api.merge([grad[op_ctxt.branch]] * 2, name="cond_resource_grad")[0], None
            return None, None
        return cf_api.merge(list(grad), name="cond_grad")[0], None
    false_grad = cf_api.switch(grad[0], op.inputs[1])[0]
    true_grad = cf_api.switch(grad[1], op.inputs[1])[1]
    return cf_api.merge([false_grad, true_grad])[0], None


@register_gradient("Merge")
@register_gradient("RefMerge")
def _merge_grad(op, grad, _):
    """The gradient goes back through a Switch on the predicate (of the cond, or the gradient loop's)."""
    input_op = op.inputs[0].op
    op_ctxt = cf_util.GetOutputContext(input_op)
    grad_ctxt = get_default_graph()._get_control_flow_context()
    if op_ctxt is not None and op_ctxt.IsWhileContext():
        return cf_api.switch_ref_or_tensor(grad, grad_ctxt.pivot)
    if op_ctxt is not None and op_ctxt.IsCondContext():
        pred = op_ctxt.pred
        if grad_ctxt and grad_ctxt.grad_state:
            # A cond in a while loop: the predicate of this iteration comes from its history stack.
            grad_state = grad_ctxt.grad_state
            real_pred = grad_state.history_map.get(pred.name)
            if real_pred is None:
                grad_ctxt = grad_state.grad_context
                grad_ctxt.Exit()
                history_pred = grad_state.AddForwardAccumulator(pred)
                grad_ctxt.Enter()
                real_pred = grad_state.AddBackpropAccumulatedValue(history_pred, pred)
                grad_state.history_map[pred.name] = real_pred
            pred = real_pred
        return cf_api.switch_ref_or_tensor(grad, pred, name="cond_grad")
    num_inputs = len(op.inputs)
    conds = [math_ops.equal(op.outputs[1], i) for i in range(num_inputs)]
    return [cf_api.switch_ref_or_tensor(grad, conds[i])[1] for i in range(num_inputs)]


@register_gradient("Exit")
@register_gradient("RefExit")
def _exit_grad(op, grad):
    """The gradient enters the gradient loop (``b_exit``)."""
    op_ctxt = op._get_control_flow_context()
    grad_ctxt = get_default_graph()._get_control_flow_context()
    if not grad_ctxt.back_prop:
        return None  # no gradients through a loop built with back_prop=False
    if op_ctxt.grad_state:
        raise TypeError("Second-order gradient for while loops not supported.")
    if isinstance(grad, Tensor):
        grad_ctxt.AddName(grad.name)
    else:
        if not isinstance(grad, IndexedSlices):
            raise TypeError(
                f"Type {type(grad)} not supported, must be either`indexed_slices.IndexedSlices` or `SparseTensor`."
            )
        grad_ctxt.AddName(grad.values.name)
        grad_ctxt.AddName(grad.indices.name)
        if grad.dense_shape is not None:
            grad_ctxt.AddName(grad.dense_shape.name)
    grad_ctxt.Enter()
    result = cf_api.enter(
        grad, grad_ctxt.name, is_constant=False, parallel_iterations=grad_ctxt.parallel_iterations, name="b_exit"
    )
    grad_ctxt.loop_enters.append(result)
    grad_ctxt.Exit()
    return result


@register_gradient("NextIteration")
@register_gradient("RefNextIteration")
def _next_iteration_grad(op, grad):
    return grad


@register_gradient("Enter")
@register_gradient("RefEnter")
def _enter_grad(op, grad):
    """Leaves the gradient loop; a loop invariant's gradient is summed over the iterations (``b_acc``)."""
    grad_ctxt = get_default_graph()._get_control_flow_context()
    if grad_ctxt is None or not grad_ctxt.back_prop or grad_ctxt.grad_state is None:
        return grad
    if op.get_attr("is_constant"):
        if isinstance(grad, Tensor):
            return grad_ctxt.AddBackpropAccumulator(op, grad)
        if isinstance(grad, IndexedSlices):
            return grad_ctxt.AddBackpropIndexedSlicesAccumulator(op, grad)
        raise TypeError(f"Type {type(grad)} not supported,must be Tensor or Indexed Slices")
    result = cf_api.exit(grad)
    grad_ctxt.loop_exits.append(result)
    grad_ctxt.ExitResult([result])
    return result


@register_gradient("LoopCond")
def _loop_cond_grad(op, grad):
    return None
