"""tf.gradients: builds the backward subgraph from the gradient function registered beside each op.

The algorithm is TensorFlow's (gradients_util): find the ops between ``xs`` and ``ys``, walk them in
reverse topological order, sum each tensor's incoming gradients with AddN, and call the op's gradient
function inside ``<scope>/<op name>_grad``. Gradient functions emit ordinary TF ops, so the result is
a graph TensorFlow can run.
"""

from __future__ import annotations

import collections

from torchmeta.api import array_ops, control_flow_ops, control_flow_state, math_ops
from torchmeta.dtypes import DType
from torchmeta.framework import control_flow_util, registry
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import Operation, Tensor
from torchmeta.framework.indexed_slices import IndexedSlices
from torchmeta.framework.op_def_library import raw_op
from torchmeta.platform import compat

__all__ = [
    "gradients",
    "RegisterGradient",
    "no_gradient",
    "NotDifferentiable",
    "AggregationMethod",
    "UnconnectedGradients",
    "is_trainable",
    "TRAINABLE_DTYPES",
]

_TRAINABLE = {
    DType.float16,
    DType.float32,
    DType.float64,
    DType.bfloat16,
    DType.complex64,
    DType.complex128,
    DType.resource,
    DType.variant,
}


TRAINABLE_DTYPES = frozenset(_TRAINABLE)


def is_trainable(t) -> bool:
    """Whether gradients flow through tensors of this dtype (floating, complex, resource)."""
    return t.dtype.base_dtype in _TRAINABLE


class AggregationMethod:
    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


class UnconnectedGradients:
    NONE = "none"
    ZERO = "zero"


class RegisterGradient:
    """``@tf.RegisterGradient("Name")``: registers ``f(op, *grads) -> input gradients`` under ``Name``, an op
    type without a gradient or a name that ``graph.gradient_override_map`` maps op types to.

    Raises:
      TypeError: if the name is not a string.
      KeyError: when decorating, if the name already has a gradient (TF's message).
    """

    __slots__ = ["_op_type"]

    def __init__(self, op_type):
        if not isinstance(op_type, str):
            raise TypeError("op_type must be a string")
        self._op_type = op_type

    def __call__(self, f):
        registry.register_user_gradient(self._op_type, f)
        return f


def no_gradient(op_type):
    """``tf.no_gradient`` / ``tf.NotDifferentiable``: ops of ``op_type`` pass no gradient to their inputs.

    Raises:
      TypeError: if ``op_type`` is not a string.
      KeyError: if it already has a gradient (TF's message).
    """
    if not isinstance(op_type, str):
        raise TypeError("op_type must be a string")
    registry.register_user_gradient(op_type, None)


NotDifferentiable = no_gradient


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _inputs(op: Operation, xs_set) -> list[Tensor]:
    """The op's inputs through which gradients flow (all of them, for ops in the graph)."""
    return op._inputs


def _gradient_function(op: Operation):
    try:  # graph.gradient_override_map recorded the gradient's name on the op when it was created, as TF does
        op_type = compat.as_str(op.get_attr("_gradient_op_type"))
    except ValueError:
        op_type = op.type
    gradient = registry.gradient_function(op_type)
    if (
        gradient is registry.NO_REGISTERED_GRADIENT
        and registry.get(op_type) is None
        and hasattr(op._func_graphs, "call_gradient")
    ):
        return op._func_graphs.call_gradient  # a call of a Defun function (its op type is the function)
    if gradient is registry.NO_REGISTERED_GRADIENT:
        raise LookupError(
            f"No gradient defined for operation'{op.name}' (op type: {op.type}). In general every operation must "
            "have an associated `@tf.RegisterGradient` for correct autodiff, which this op is lacking. If you want "
            "to pretend this operation is a constant in your program, you may insert `tf.stop_gradient`. This can "
            "be useful to silence the error in cases where you know gradients are not needed, e.g. the forward pass "
            "of tf.custom_gradient. Please see more details in "
            "https://www.tensorflow.org/api_docs/python/tf/custom_gradient."
        )
    if gradient is registry.NOT_DIFFERENTIABLE:
        return None
    return gradient


def _mark_reached(from_ops, reached):
    queue = collections.deque(from_ops)
    while queue:
        op = queue.popleft()
        if op in reached:
            continue
        reached.add(op)
        for out in op._outputs:
            if is_trainable(out):
                queue.extend(out._consumers)


def _pending_count(to_ops, from_ops, xs_set, colocate_gradients_with_ops=False):
    reached: set[Operation] = set()
    _mark_reached(from_ops, reached)
    reachable_to_ops = {op for op in to_ops if op in reached}
    between: set[Operation] = set()
    between_list = []
    queue = collections.deque(to_ops)
    while queue:
        op = queue.popleft()
        if op in reached:
            between.add(op)
            between_list.append(op)
            reached.remove(op)
            for inp in _inputs(op, xs_set):
                queue.append(inp.op)
    # TF1 while loops on the path get a gradient loop state (it may add their exits to between).
    loop_state = control_flow_state.MaybeCreateControlFlowState(between_list, between, colocate_gradients_with_ops)
    pending = collections.defaultdict(int)
    for op in between_list:
        for x in _inputs(op, xs_set):
            if x.op in between:
                pending[x.op] += 1
    return reachable_to_ops, pending, loop_state


def _default_grad_ys(grad_ys, ys, colocate):
    if len(grad_ys) != len(ys):
        raise ValueError(f"Length mismatch. Passed {len(grad_ys)} grad_ys for {len(ys)} ys")
    out = []
    for i, (y, grad_y) in enumerate(zip(ys, grad_ys)):
        with _maybe_colocate(y.op, colocate):
            if grad_y is None:
                if y.dtype.is_complex:
                    raise TypeError(
                        f"Gradients of complex tensors ({y}) must set grad_ys (y.dtype = {y.dtype.base_dtype.name})"
                    )
                out.append(array_ops.ones(array_ops.shape(y), dtype=y.dtype.base_dtype, name=f"grad_ys_{i}"))
                continue
            if isinstance(grad_y, IndexedSlices):
                out.append(grad_y)
                continue
            grad_y = graph_lib.convert_to_tensor(grad_y, name="grad_y")
            if (y.dtype.is_floating or y.dtype.is_integer) and not (
                grad_y.dtype.is_floating or grad_y.dtype.is_integer
            ):
                raise TypeError(
                    f"Gradient type {grad_y.dtype.base_dtype.name} generated for real or integer-valued tensor {y} "
                    f"with type {y.dtype.base_dtype.name} must be real or integer"
                )
            out.append(raw_op("Identity", input=grad_y, name=f"grad_ys_{i}"))
    return out


class _NoScope:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _maybe_colocate(op, colocate):
    return graph_lib.colocate_with(op) if colocate else _NoScope()


def _stop_ops(from_ops, stop_gradient_ops, pending, xs_set):
    stop = set()
    for op in from_ops:
        if all(pending[inp.op] <= 0 for inp in _inputs(op, xs_set)):
            stop.add(op)
    stop.update(stop_gradient_ops)
    return stop


def _set_grad(grads, t, grad):
    op_grads = grads.get(t.op)
    if not op_grads:
        op_grads = [[] for _ in t.op._outputs]
        grads[t.op] = op_grads
    t_grads = op_grads[t.value_index]
    if isinstance(t_grads, list):
        t_grads.append(grad)
    else:  # a loop Switch: its gradient is replaced when the next iteration's arrives
        op_grads[t.value_index] = grad


def _get_grads(grads, op):
    return grads.get(op) or [[] for _ in op._outputs]


def _aggregate_indexed_slices(grads):
    grads = [g for g in grads if g is not None]
    if len(grads) == 1:
        return grads[0]
    if any(isinstance(g, Tensor) for g in grads):
        return math_ops.add_n([graph_lib.convert_to_tensor(g) for g in grads])
    indices = [g.indices for g in grads]
    if len({i.dtype.base_dtype for i in indices}) > 1:
        # Mixed int32/int64 rows: TF (_as_indexed_slices_list) casts the int32 ones to int64.
        indices = [raw_op("Cast", x=i, DstT=DType.int64) if i.dtype.base_dtype is DType.int32 else i for i in indices]
    return IndexedSlices(
        array_ops.concat([g.values for g in grads], axis=0),
        array_ops.concat(indices, axis=0),
        grads[0].dense_shape,
    )


def _aggregated_grads(grads, op, aggregation_method, loop_state=None):
    if aggregation_method is None:
        aggregation_method = AggregationMethod.DEFAULT
    if aggregation_method not in (0, 1, 2):
        raise ValueError(f"Invalid `aggregation_method` specified {aggregation_method}. Accepted values are [0, 1, 2].")
    out_grads = _get_grads(grads, op)
    for i, out_grad in enumerate(out_grads):
        if loop_state and isinstance(out_grad, (Tensor, IndexedSlices)):
            continue  # a loop Switch's gradient, already a single tensor
        if not out_grad:
            out_grads[i] = None
        elif len(out_grad) < 2:
            out_grads[i] = out_grad[0]
        elif all(isinstance(g, Tensor) for g in out_grad if g is not None):
            if aggregation_method != AggregationMethod.ADD_N:
                with graph_lib.name_scope(op.name + "_gradient_sum"):
                    running = out_grad[0]
                    for g in out_grad[1:]:
                        running = math_ops.add_n([running, g])
                    out_grads[i] = running
            else:
                out_grads[i] = _multi_device_add_n(out_grad)
        else:
            out_grads[i] = _aggregate_indexed_slices(out_grad)
    return out_grads


def _multi_device_add_n(tensors):
    by_device = collections.defaultdict(list)
    for t in tensors:
        by_device[t.device].append(t)
    summands = []
    for dev in sorted(by_device):
        group = by_device[dev]
        with graph_lib.colocate_with(group[0].op, ignore_existing=True):
            summands.append(math_ops.add_n(group))
    return math_ops.add_n(summands)


def _zeros_like(op, index):
    return array_ops.zeros_like(op.outputs[index])


def gradients(
    ys,
    xs,
    grad_ys=None,
    name="gradients",
    colocate_gradients_with_ops=False,
    gate_gradients=False,
    aggregation_method=None,
    stop_gradients=None,
    unconnected_gradients=UnconnectedGradients.NONE,
):
    """``tf.gradients``: symbolic derivatives of ``sum(ys)`` with respect to each of ``xs``.

    Args:
      ys: a Tensor or list of Tensors to differentiate.
      xs: Tensors or Variables to differentiate with respect to.
      grad_ys: optional initial gradients, one per y (default: ones).
      name: the name scope of the gradient ops (default "gradients").
      colocate_gradients_with_ops: put each gradient op with its forward op.
      gate_gradients: gate each op's input gradients together (``tf.tuple``).
      aggregation_method: ``AggregationMethod`` for summing gradients.
      stop_gradients: Tensors not to differentiate through.
      unconnected_gradients: "none" (None for unconnected xs) or "zero".

    Returns:
      A list with one gradient (Tensor, IndexedSlices or None) per element of ``xs``.

    Raises:
      LookupError: if an op on the path has no registered gradient.
      ValueError / TypeError: for mismatched ``grad_ys`` or incompatible shapes.
    """
    ys = _as_list(ys)
    xs = [x.handle if getattr(x, "_is_resource", False) else x for x in _as_list(xs)]
    grad_ys = [None] * len(ys) if grad_ys is None else _as_list(grad_ys)
    stop_gradients = [] if stop_gradients is None else _as_list(stop_gradients)
    if unconnected_gradients not in (UnconnectedGradients.NONE, UnconnectedGradients.ZERO):
        raise ValueError(f"Unknown value for unconnected_gradients: '{unconnected_gradients}'")
    with graph_lib.name_scope(
        name, "gradients", ys + xs + stop_gradients + [g for g in grad_ys if g is not None]
    ) as grad_scope:
        del grad_scope
        ys = [graph_lib.convert_to_tensor(y, name="y") for y in ys]
        xs = [x if isinstance(x, IndexedSlices) else graph_lib.convert_to_tensor(x, name="x", as_ref=True) for x in xs]
        xs_set = set(xs)
        grad_ys = _default_grad_ys(grad_ys, ys, colocate_gradients_with_ops)
        to_ops = [t.op for t in ys]
        from_ops = [t.op for t in xs]
        stop_gradient_ops = [t.op for t in stop_gradients]
        reachable_to_ops, pending, loop_state = _pending_count(to_ops, from_ops, xs_set, colocate_gradients_with_ops)
        grads: dict = {}
        for y, grad_y in zip(ys, grad_ys):
            _set_grad(grads, y, grad_y)
        queue = collections.deque()
        seen_to = set()
        for op in to_ops:
            if pending[op] == 0 and op not in seen_to and op in reachable_to_ops:
                seen_to.add(op)
                queue.append(op)
        if loop_state:
            for y in loop_state.ProcessUnusedLoopExits(pending, seen_to):
                if is_trainable(y):
                    _set_grad(grads, y, loop_state.ZerosLikeForExit(y))
                queue.append(y.op)
        stop_ops = _stop_ops(from_ops, stop_gradient_ops, pending, xs_set)
        while queue:
            op = queue.popleft()
            with _maybe_colocate(op, colocate_gradients_with_ops):
                if loop_state:
                    loop_state.EnterGradWhileContext(op, before=True)
                out_grads = _aggregated_grads(grads, op, aggregation_method, loop_state)
                if loop_state:
                    loop_state.ExitGradWhileContext(op, before=True)
                has_out_grads = any(g is not None for g in out_grads)
                grad_fn = None
                if has_out_grads and op not in stop_ops:
                    grad_fn = _gradient_function(op)
                if loop_state:
                    loop_state.EnterGradWhileContext(op, before=False)
                if (
                    control_flow_util.IsSwitch(op)
                    and op._control_flow_context is not None
                    and op._control_flow_context.IsWhileContext()
                    and op._control_flow_context == graph_lib.get_default_graph()._get_control_flow_context()
                ):
                    _raise_no_grad_wrt_initial_loop_val(op, from_ops, xs_set)
                if grad_fn is not None and has_out_grads:
                    for i, out_grad in enumerate(out_grads):
                        if out_grad is None and is_trainable(op.outputs[i]):
                            if loop_state:
                                out_grads[i] = loop_state.ZerosLikeV1WhileLoop(op, i)
                            else:
                                out_grads[i] = control_flow_state.ZerosLike(op, i)
                    with graph_lib.name_scope(op.name + "_grad"):
                        in_grads = _as_list(grad_fn(op, *out_grads))
                        if len(in_grads) != len(op._inputs) and op.type not in ("While", "StatelessWhile"):
                            raise ValueError(
                                f"Num gradients {len(in_grads)} generated for op {op.node_def} do not match num "
                                f"inputs {len(op._inputs)}"
                            )
                        if gate_gradients and len([g for g in in_grads if g is not None]) > 1:
                            with graph_lib.device(None), graph_lib.colocate_with(None):
                                in_grads = control_flow_ops.tuple(in_grads)
                else:
                    in_grads = [None] * len(op._inputs)
                for i, (t_in, in_grad) in enumerate(zip(op._inputs, in_grads)):
                    if in_grad is None:
                        continue
                    if isinstance(in_grad, Tensor) and t_in.dtype.base_dtype is not DType.resource:
                        try:
                            in_grad.set_shape(t_in.shape)
                        except ValueError:
                            raise ValueError(
                                "Incompatible shapes between op input and calculated input gradient. Forward "
                                f"operation: {op.name}. Input index: {i}. Original input shape: {t_in.shape}. "
                                f"Calculated input gradient shape: {in_grad.shape}"
                            ) from None
                    _set_grad(grads, t_in, in_grad)
                if loop_state:
                    loop_state.ExitGradWhileContext(op, before=False)
            _update_pending_and_enqueue_ready(grads, op, queue, pending, loop_state, xs_set)
        if loop_state:
            loop_state.PostProcessing()
    result = []
    for x in xs:
        op_grads = grads.get(x.op)
        g = None
        if op_grads:
            g = op_grads[x.value_index]
            if isinstance(g, list):
                g = _aggregate_leaf(g)
        if g is None and unconnected_gradients == UnconnectedGradients.ZERO:
            g = _zeros_like(x.op, x.value_index)
        result.append(g)
    return result


def _has_any_not_none_grads(grads, op) -> bool:
    for out_grad in _get_grads(grads, op):
        if isinstance(out_grad, (Tensor, IndexedSlices)):
            return True
        if out_grad and isinstance(out_grad, list) and any(g is not None for g in out_grad):
            return True
    return False


def _update_pending_and_enqueue_ready(grads, op, queue, pending, loop_state, xs_set):
    """Decrements the pending counts of ``op``'s inputs and queues the ready ones (TF's loop-aware rule).

    A loop Switch is ready as soon as one gradient arrives (its others come from the next iteration);
    the exits of a loop are queued together once all of them are ready, with zeros for unused ones.
    """
    for x in _inputs(op, xs_set):
        pending[x.op] -= 1
        ready = pending[x.op] == 0
        if loop_state and not ready:
            ready = pending[x.op] > 0 and control_flow_util.IsLoopSwitch(x.op)
        if not ready:
            continue
        if control_flow_util.IsLoopExit(x.op):
            grad_state = loop_state.GetGradState(x.op, before=False)
            grad_state.deferred_exits.append(x)
            grad_state.pending_exits_count -= 1
            if grad_state.pending_exits_count == 0:
                has_not_none_grad = False
                for y in grad_state.deferred_exits:
                    if _has_any_not_none_grads(grads, y.op):
                        has_not_none_grad = True
                        queue.append(y.op)
                    else:
                        grad_state.unused_exits.append(y)
                if has_not_none_grad:
                    for y in grad_state.unused_exits:
                        if is_trainable(y):
                            _set_grad(grads, y, loop_state.ZerosLikeForExit(y))
                        queue.append(y.op)
                else:
                    for y in grad_state.unused_exits:
                        queue.append(y.op)
        else:
            queue.append(x.op)


def _raise_no_grad_wrt_initial_loop_val(op, from_ops, xs_set):
    target_op = None
    queue = collections.deque([op])
    visited = set()
    while queue:
        curr_op = queue.popleft()
        if curr_op in visited:
            continue
        visited.add(curr_op)
        if curr_op in from_ops:
            target_op = curr_op
            break
        queue.extend(t.op for t in _inputs(curr_op, xs_set))
    raise ValueError(
        "Cannot compute gradient inside while loop with respect to op "
        f"'{target_op.name}'. We do not support taking the gradient wrt or "
        "through the initial value of a loop variable. Gradients can be computed "
        "through loop invariants or wrt the input parameters to the loop body."
    )


def _aggregate_leaf(grad_list):
    """Gradients that reached an x and were never aggregated (x is not between ys and xs)."""
    grad_list = [g for g in grad_list if g is not None]
    if not grad_list:
        return None
    if len(grad_list) == 1:
        return grad_list[0]
    if all(isinstance(g, Tensor) for g in grad_list):
        return _multi_device_add_n(grad_list)
    return _aggregate_indexed_slices(grad_list)
