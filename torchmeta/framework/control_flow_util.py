"""TF1 control-flow predicates shared by graph building and gradients (TensorFlow's control_flow_util).

- Which control flow ``tf.cond`` / ``tf.while_loop`` build: v1 (Switch/Merge/Enter/Exit, the default
  in TF1 graph mode) or v2 (If/While over functions) after ``enable_control_flow_v2()``.
- Predicates over ops and their control-flow contexts (``IsLoopExit``, ``GetOutputContext``, ...) and
  ``CheckInputFromValidContext``, which the graph runs for every new op, with TensorFlow's errors.

Contexts (CondContext, WhileContext) and the v1 primitives (switch, merge, enter, ...) live in the API
layer (``torchmeta.api.control_flow_ops``); here contexts are only called through their methods, so
this module imports nothing of torchmeta and the graph can use it.
"""

from __future__ import annotations

import os

__all__ = [
    "enable_control_flow_v2",
    "disable_control_flow_v2",
    "EnableControlFlowV2",
    "IsSwitch",
    "IsMerge",
    "IsLoopEnter",
    "IsLoopExit",
    "IsCondSwitch",
    "IsCondMerge",
    "IsLoopSwitch",
    "IsLoopMerge",
    "IsLoopConstantEnter",
    "GetLoopConstantEnter",
    "GetOutputContext",
    "GetContainingWhileContext",
    "GetContainingCondContext",
    "IsContainingContext",
    "OpInContext",
    "TensorInContext",
    "IsInWhileLoop",
    "IsInCond",
    "GetWhileContext",
    "CheckInputFromValidContext",
    "shape_less_than_or_equal",
]

# TF1 graph mode builds v1 control flow unless asked otherwise (TensorFlow reads the same variables).
_ENABLE_CONTROL_FLOW_V2 = any(
    os.getenv(v, "0") != "0"
    for v in (
        "TF_ENABLE_CONTROL_FLOW_V2",
        "TF_ENABLE_COND_V2",
        "TF_ENABLE_WHILE_V2",
        "TF_ENABLE_TENSOR_ARRAY_V2",
    )
)


def enable_control_flow_v2() -> None:
    """``tf.compat.v1.enable_control_flow_v2``: cond/while_loop/TensorArray build If/While/TensorList ops."""
    global _ENABLE_CONTROL_FLOW_V2
    _ENABLE_CONTROL_FLOW_V2 = True


def disable_control_flow_v2() -> None:
    """``tf.compat.v1.disable_control_flow_v2``: back to Switch/Merge/Enter/Exit and TensorArrayV3."""
    global _ENABLE_CONTROL_FLOW_V2
    _ENABLE_CONTROL_FLOW_V2 = False


def EnableControlFlowV2(graph) -> bool:
    """Whether control flow built in ``graph`` is v2 (always inside function bodies, as in TF)."""
    return _ENABLE_CONTROL_FLOW_V2 or (graph.building_function and not hasattr(graph, "_captured"))


# ---------------------------------------------------------------------------------------------
# Predicates


def IsSwitch(op) -> bool:
    return op.type in ("Switch", "RefSwitch")


def IsMerge(op) -> bool:
    return op.type in ("Merge", "RefMerge")


def IsLoopEnter(op) -> bool:
    return op.type in ("Enter", "RefEnter")


def IsLoopExit(op) -> bool:
    return op.type in ("Exit", "RefExit")


def IsCondSwitch(op) -> bool:
    """A Switch of a cond (all its consumers are in cond contexts), not of a while loop."""
    if not IsSwitch(op) or not op.outputs:
        return False
    result = True
    for o in op.outputs:
        for c in o.consumers():
            ctxt = c._get_control_flow_context()
            if IsLoopEnter(c):
                ctxt = ctxt.outer_context
            result = result and ctxt is not None and ctxt.IsCondContext()
    return result


def IsCondMerge(op) -> bool:
    if not IsMerge(op) or not op.inputs:
        return False
    result = True
    for i in op.inputs:
        ctxt = GetOutputContext(i.op)
        result = result and ctxt is not None and ctxt.IsCondContext()
    return result


def IsLoopSwitch(op) -> bool:
    if IsSwitch(op):
        ctxt = op._get_control_flow_context()
        return ctxt is not None and ctxt.IsWhileContext() and not IsCondSwitch(op)
    return False


def IsLoopMerge(op) -> bool:
    if IsMerge(op):
        ctxt = op._get_control_flow_context()
        return ctxt is not None and ctxt.IsWhileContext() and not IsCondMerge(op)
    return False


def IsLoopConstantEnter(op) -> bool:
    return IsLoopEnter(op) and op.get_attr("is_constant")


def GetLoopConstantEnter(value):
    """The constant Enter ``value`` comes from through Switch/Identity ops, or None."""
    op = value.op
    while op.type in ("Switch", "RefSwitch", "Identity", "RefIdentity"):
        op = op.inputs[0].op
    return op if IsLoopConstantEnter(op) else None


def GetOutputContext(op):
    """The context ``op``'s outputs live in (an Exit's outputs leave its loop)."""
    ctxt = op._get_control_flow_context()
    if ctxt is not None and IsLoopExit(op):
        ctxt = ctxt.outer_context
    return ctxt


def GetContainingWhileContext(ctxt, stop_ctxt=None):
    while ctxt:
        if ctxt.IsWhileContext() or ctxt == stop_ctxt:
            return ctxt
        ctxt = ctxt.outer_context
    return None


def GetContainingCondContext(ctxt):
    while ctxt:
        if ctxt.IsCondContext():
            return ctxt
        ctxt = ctxt.outer_context
    return None


def IsContainingContext(ctxt, maybe_containing_ctxt) -> bool:
    while ctxt is not maybe_containing_ctxt:
        if ctxt is None:
            return False
        ctxt = ctxt.outer_context
    return True


def OpInContext(op, ctxt) -> bool:
    return IsContainingContext(op._get_control_flow_context(), ctxt)


def TensorInContext(tensor, ctxt) -> bool:
    return OpInContext(tensor.op, ctxt)


def IsInWhileLoop(op) -> bool:
    return GetContainingWhileContext(op._get_control_flow_context()) is not None


def IsInCond(op) -> bool:
    return GetContainingCondContext(op._get_control_flow_context()) is not None


def GetWhileContext(op):
    ctxt = op._get_control_flow_context()
    if ctxt:
        ctxt = ctxt.GetWhileContext()
    return ctxt


def CheckInputFromValidContext(op, input_op) -> None:
    """Raises TF's ValueError when ``op`` may not read ``input_op`` (another while loop's value)."""
    op_ctxt = op._get_control_flow_context()
    input_ctxt = GetOutputContext(input_op)
    valid = False
    while_ctxt = None
    if not input_ctxt or op_ctxt is input_ctxt:
        valid = True
    else:
        while_ctxt = GetContainingWhileContext(op_ctxt)
        input_while_ctxt = GetContainingWhileContext(input_ctxt)
        if while_ctxt is None:
            valid = input_while_ctxt is None or IsLoopEnter(op) or IsSwitch(op)
        else:
            grad_state = while_ctxt.grad_state
            input_grad_state = input_while_ctxt.grad_state
            valid = (
                IsContainingContext(while_ctxt, input_while_ctxt)
                or bool(grad_state and IsContainingContext(grad_state.forward_context, input_while_ctxt))
                or bool(grad_state and grad_state.forward_context is input_while_ctxt._outer_context)
                or bool(input_grad_state and input_grad_state.forward_context is while_ctxt)
                or bool(
                    input_grad_state
                    and input_ctxt.grad_state.forward_context.grad_state
                    and input_ctxt.grad_state.forward_context.grad_state.forward_context is while_ctxt
                )
            )
    if not valid:
        if while_ctxt:
            msg = f"Cannot use '{input_op.name}' as input to '{op.name}' because they are in different while loops."
        else:
            msg = f"Cannot use '{input_op.name}' as input to '{op.name}' because '{input_op.name}' is in a while loop."
        raise ValueError(msg + " See info log for more details.")


def shape_less_than_or_equal(shape1, shape2) -> bool:
    """Whether ``shape1`` is at least as specific as ``shape2`` (TF's _ShapeLessThanOrEqual)."""
    if shape2.dims is None:
        return True
    if shape1.rank != shape2.rank:
        return False
    return all(d2 is None or d1 == d2 for d1, d2 in zip(shape1.as_tuple(), shape2.as_tuple()))
