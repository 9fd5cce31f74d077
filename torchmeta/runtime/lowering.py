"""GraphDef -> torch.fx: prune to what the fetches need, order it, emit one fx node per TF node.

``lower()`` is shared by Session (variables are per-session slots) and ``to_module`` (variables are
``nn.Parameter``s); the differences live in a small *environment* object that decides how
variables, constants, devices and random generators appear in the module.
"""

from __future__ import annotations

import heapq
import keyword
import operator
import re

import torch
import torch.fx as fx

from torchmeta import errors
from torchmeta.dtypes import DType
from torchmeta.framework.graph import Operation, Tensor
from torchmeta.runtime.state import read_ref, to_device

__all__ = ["prune", "lower", "locate_failed_node", "SOURCE_OPS"]

# Ops whose value comes from the environment rather than a kernel call.
SOURCE_OPS = {"Const", "VariableV2", "VarHandleOp", "Variable"}


def prune(fetch_tensors, target_ops, feed_tensors) -> list[Operation]:
    """The ops needed to compute ``fetch_tensors`` and run ``target_ops``, in execution order.

    Fed tensors cut the graph: their producers run only if something else needs them. The order
    respects data and control edges and otherwise follows op creation order.

    Raises:
      InvalidArgumentError: if the needed subgraph has a cycle (TF1 while loops are not supported).
    """
    fed = set(feed_tensors)
    needed: set[Operation] = set()
    stack = [t.op for t in fetch_tensors if t not in fed] + list(target_ops)
    while stack:
        op = stack.pop()
        if op in needed:
            continue
        needed.add(op)
        for t in op._inputs:
            if t not in fed and t._op not in needed:
                stack.append(t._op)
        for c in op._control_inputs:
            if c not in needed:
                stack.append(c)
    # Kahn's algorithm, smallest creation id first, so the order reads like the graph; ops that write a
    # variable wait while anything else is ready. Nothing orders a read and a write that no edge
    # connects, but TF's hooks take a global step fetched next to a train op as the step's start value
    # ("stale"), which is what TF's executor gives (the read is ready long before the update).
    indegree = {}
    users: dict[Operation, list[Operation]] = {op: [] for op in needed}
    for op in needed:
        deps = {t._op for t in op._inputs if t not in fed and t._op in needed}
        deps.update(c for c in op._control_inputs if c in needed)
        indegree[op] = len(deps)
        for d in deps:
            users[d].append(op)
    ready = [(_writes_state(op), op._id, op) for op, n in indegree.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, _, op = heapq.heappop(ready)
        order.append(op)
        for u in users[op]:
            indegree[u] -= 1
            if indegree[u] == 0:
                heapq.heappush(ready, (_writes_state(u), u._id, u))
    if len(order) != len(needed):
        stuck = sorted(op.name for op in needed if indegree[op] > 0)
        raise errors.InvalidArgumentError(
            None,
            None,
            f"Graph has a cycle through {stuck[:5]}; TF1 control-flow loops are not supported yet.",
        )
    return order


# Ops with a resource input that only read it.
_RESOURCE_READS = frozenset(
    {"ReadVariableOp", "VarIsInitializedOp", "VariableShape", "ResourceGather", "ResourceGatherNd"}
)


def _writes_state(op: Operation) -> bool:
    """Whether ``op`` updates a variable: a ref input (Assign, Apply*, Scatter*), or a stateful op with a
    resource input that is not a read (AssignVariableOp, ResourceApply*, ResourceScatter*)."""
    op_def = op._op_def
    if op_def is None:
        return False
    if any(arg.is_ref for arg in op_def.input_arg):
        return True
    return (
        op_def.is_stateful
        and op.type not in _RESOURCE_READS
        and any(arg.type == DType.resource.as_datatype_enum for arg in op_def.input_arg)
    )


def check_supported(ops) -> None:
    """Raises one UnsupportedOpError naming every op type (and its nodes) that has no kernel."""
    missing: dict[str, list[str]] = {}
    for op in ops:
        info = op._info
        if op.type in SOURCE_OPS and info is not None:
            continue
        if info is None or info.kernel is None:
            missing.setdefault(op.type, []).append(op.name)
    if missing:
        raise errors.UnsupportedOpError(missing, where="subgraph to run")


_IDENT_RE = re.compile(r"[^0-9a-zA-Z_]+")


class _Names:
    """Unique Python identifiers for module attributes, derived from TF names."""

    def __init__(self):
        self._used = set()

    def make(self, name: str) -> str:
        base = _IDENT_RE.sub("_", name).strip("_") or "node"
        if base[0].isdigit() or keyword.iskeyword(base):
            base = "_" + base
        candidate, i = base, 1
        while candidate in self._used:
            candidate = f"{base}_{i}"
            i += 1
        self._used.add(candidate)
        return candidate


def _live_ops(fetch_tensors, target_ops, fed, spec) -> set[Operation]:
    """The ops still needed once folded tensors are constants and aliased tensors are their sources."""
    live: set[Operation] = set()
    stack: list[Operation] = list(target_ops)

    def need(t):
        t = _resolve(t, spec)
        if t not in fed and (spec is None or t not in spec.folded):
            stack.append(t._op)

    for t in fetch_tensors:
        need(t)
    while stack:
        op = stack.pop()
        if op in live:
            continue
        live.add(op)
        for t in op._inputs:
            need(t)
        stack.extend(op._control_inputs)
    return live


def _resolve(t, spec):
    if spec is not None:
        while t in spec.aliases:
            t = spec.aliases[t]
    return t


def lower(ops, fetch_tensors, feed_tensors, env, target_ops=(), spec=None) -> fx.GraphModule:
    """Builds the fx GraphModule running ``ops`` (from ``prune``).

    The module's ``forward`` takes the fed values in ``feed_tensors`` order and returns a tuple with
    one value per fetched tensor. With a ``spec`` (``runtime.specialize``), folded tensors become
    constants and aliased tensors reuse their source's value, and ops no longer needed are left out.

    ``env`` decides how sources appear: ``env.source(op, root, names) -> (fx value, device)`` for
    Const and variable ops, ``env.device(op) -> torch.device``, ``env.deref_refs`` (whether ref values
    must be read through ``read_ref``), ``env.context(op, name, device, root, names, graph)`` for the
    kernel's context parameters, and ``env.kernels`` (op type -> kernel replacing the registered one).
    """
    check_supported(ops)
    graph = fx.Graph()
    root = torch.nn.Module()
    names = _Names()
    values: dict[Tensor, tuple[fx.Node, torch.device | None]] = {}
    for t in feed_tensors:
        node = graph.placeholder(_IDENT_RE.sub("_", t.name.replace(":0", "")).strip("_") or "feed")
        node.meta["tf_name"] = t.name
        node.meta["tf_op"] = "Feed"
        values[t] = (node, None)
    fed = set(feed_tensors)
    live = _live_ops(fetch_tensors, target_ops, fed, spec)
    folded = spec.folded if spec is not None else {}
    transfers: dict[tuple[Tensor, torch.device], fx.Node] = {}
    constants: dict[Tensor, fx.Node] = {}

    def constant_node(t: Tensor) -> fx.Node:
        node = constants.get(t)
        if node is None:
            attr = names.make(t.op.name + "_folded")
            value = folded[t]
            if isinstance(value, torch.Tensor):
                root.register_buffer(attr, value)
            else:
                setattr(root, attr, value)
            node = graph.get_attr(attr)
            node.meta.update(tf_name=t.op.name, tf_op="Const(folded " + t.op.type + ")")
            constants[t] = node
        return node

    def value_for(t: Tensor, want_ref: bool, device, op: Operation):
        t = _resolve(t, spec)
        if t in folded and t not in fed:
            return constant_node(t)
        node, dev = values[t]
        if t.dtype.is_ref_dtype and not want_ref and env.deref_refs and t not in fed:
            node = graph.call_function(read_ref, (node,))
            node.meta.update(tf_name=op.name, tf_op=op.type)
            return node
        if dev is not None and device is not None and dev != device and t.dtype.base_dtype is not DType.resource:
            key = (t, device)
            if key not in transfers:
                moved = graph.call_function(to_device, (node, device))
                moved.meta.update(tf_name=op.name, tf_op=op.type)
                transfers[key] = moved
            return transfers[key]
        return node

    kernels = env.kernels
    fusions = spec.fusions if spec is not None else {}
    absorbed = spec.absorbed if spec is not None else ()
    for op in ops:
        if op not in live or op.type == "NoOp" or op in absorbed:  # NoOps only order: the code is ordered
            continue
        device = env.device(op)
        fusion = fusions.get(op)
        if fusion is not None:
            args = tuple(value_for(t, False, device, op) for t in fusion.inputs)
            node = graph.call_function(fusion.kernel, args, dict(fusion.kwargs), name=_node_name(op.name))
            dev = device
        elif op.type in SOURCE_OPS:
            node, dev = env.source(op, root, names, graph)
        else:
            kernel, args, kwargs = op._info.bind(
                op,
                lambda t, is_ref, device=device, op=op: value_for(t, is_ref, device, op),
                lambda name, op=op, device=device: env.context(op, name, device, root, names, graph),
            )
            kernel = kernels.get(op.type, kernel)
            node = graph.call_function(kernel, tuple(args), kwargs, name=_node_name(op.name))
            dev = device
        node.meta.update(tf_name=op.name, tf_op=op.type, tf_device=op.device)
        outputs = op._outputs
        if len(outputs) == 1:
            values[outputs[0]] = (node, dev)
        else:
            for idx, t in enumerate(outputs):
                if t not in fed:
                    item = graph.call_function(operator.getitem, (node, idx))
                    item.meta.update(tf_name=op.name, tf_op=op.type)
                    values[t] = (item, dev)
    results = []
    for t in fetch_tensors:
        results.append(value_for(t, False, None, t.op))
    graph.output(tuple(results))
    return fx.GraphModule(root, graph, class_name="TFGraph")


def _node_name(tf_name: str) -> str:
    return _IDENT_RE.sub("_", tf_name).strip("_") or "node"


def locate_failed_node(gm: fx.GraphModule, tb) -> fx.Node | None:
    """The fx node whose generated line raised, found from a traceback (no cost until a failure)."""
    code_name = None
    lineno = None
    forward_code = type(gm).forward.__code__
    while tb is not None:
        if tb.tb_frame.f_code is forward_code:
            code_name = forward_code.co_filename
            lineno = tb.tb_lineno
        tb = tb.tb_next
    if code_name is None or gm._lineno_map is None:
        return None
    idx = gm._lineno_map.get(lineno - gm._prologue_start)
    if idx is None:
        return None
    nodes = list(gm.graph.nodes)
    return nodes[idx] if 0 <= idx < len(nodes) else None
