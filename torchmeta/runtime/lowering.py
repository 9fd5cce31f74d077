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
from torchmeta.ops import functional_ops
from torchmeta.runtime import control_flow
from torchmeta.runtime.specialize_common import whole
from torchmeta.runtime.state import read_ref, to_device

__all__ = ["prune", "all_ops", "lower", "locate_failed_node", "SOURCE_OPS"]

# Ops whose value comes from the environment rather than a kernel call.
SOURCE_OPS = {"Const", "VariableV2", "VarHandleOp", "Variable"}


def prune(fetch_tensors, target_ops, feed_tensors, allowed=None, used_feeds=None) -> list:
    """The ops needed to compute ``fetch_tensors`` and run ``target_ops``, in execution order.

    Fed tensors cut the graph: their producers run only if something else needs them. The order
    respects data and control edges and otherwise follows op creation order. TF1 while loops become
    ``control_flow.Loop`` items in the order, in place of their ops.

    ``allowed`` (a set of ops) confines the walk, as for a loop's cond or body: control inputs from
    other ops are dropped and data inputs from them must be fed. ``used_feeds``, a set, receives the
    fed tensors the walk reached.

    Raises:
      InvalidArgumentError: if the needed subgraph has a cycle that is not a while loop, or ops with
        inputs from different loop frames.
    """
    fed = set(feed_tensors)
    needed: set[Operation] = set()
    used = used_feeds if used_feeds is not None else set()
    stack = [t.op for t in fetch_tensors if t not in fed] + list(target_ops)
    for t in fetch_tensors:
        if t in fed:
            used.add(t)
    while stack:
        op = stack.pop()
        if op in needed:
            continue
        needed.add(op)
        for t in op._inputs:
            if t in fed:
                used.add(t)
            elif t._op not in needed:
                if allowed is not None and t._op not in allowed:
                    raise errors.InvalidArgumentError(
                        op.node_def, op, f"{{{{node {op.name}}}}} has an input from outside its while loop: {t.name}"
                    )
                stack.append(t._op)
        for c in op._control_inputs:
            if c not in needed and (allowed is None or c in allowed):
                stack.append(c)
    items = control_flow.order_items(needed, fed, _writes_state)
    if items is not None:
        return items
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
    early = _collective_priority(needed, fed)
    ready = [(_writes_state(op), early.get(op, 0), op._id, op) for op, n in indegree.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        op = heapq.heappop(ready)[-1]
        order.append(op)
        for u in users[op]:
            indegree[u] -= 1
            if indegree[u] == 0:
                heapq.heappush(ready, (_writes_state(u), early.get(u, 0), u._id, u))
    if len(order) != len(needed):
        stuck = sorted(op.name for op in needed if indegree[op] > 0)
        raise errors.InvalidArgumentError(
            None,
            None,
            f"Graph has a cycle through {stuck[:5]} that is not a while loop (a NextIteration feeding a Merge).",
        )
    return order


def _collective_priority(needed, fed) -> dict:
    """op -> its place in the run when the ops include collectives (ops not listed come first, by creation).

    A collective (an op that communicates, ``is_distributed_communication``) starts as soon as its inputs
    are there, so that it travels while the ops that do not feed it run: the ops feeding the first
    collective (in creation order) run first, then those feeding the second, ..., then everything else.
    Data-parallel training thus starts all-reducing the first bucket of gradients while the backward
    pass computes the next ones. Every process runs the same graph, so every process gets the same order.
    """
    collectives = sorted(
        (op for op in needed if op._op_def is not None and op._op_def.is_distributed_communication),
        key=lambda op: op._id,
    )
    if not collectives:
        return {}
    early: dict = {}
    for k, collective in enumerate(collectives):
        stack = [collective]
        while stack:  # the ops it needs that an earlier collective does not (those have a smaller place)
            op = stack.pop()
            if op in early:
                continue
            early[op] = k - len(collectives)
            stack.extend(t._op for t in op._inputs if t not in fed and t._op in needed and t._op not in early)
            stack.extend(c for c in op._control_inputs if c in needed and c not in early)
    return early


# Ops with a resource input that only read it.
_RESOURCE_READS = frozenset(
    {"ReadVariableOp", "VarIsInitializedOp", "VariableShape", "ResourceGather", "ResourceGatherNd"}
)


# Ops with a ref input that only read or forward the reference (a cond reading a ref variable, as
# initialized_value() and the hooks' global-step read build it).
_REF_READS = frozenset(
    {"RefSwitch", "RefIdentity", "RefMerge", "RefEnter", "RefExit", "RefNextIteration", "RefSelect"}
    | {"IsVariableInitialized"}
)


def _writes_state(op: Operation) -> bool:
    """Whether ``op`` updates a variable: a ref input (Assign, Apply*, Scatter*), or a stateful op with a
    resource input that is not a read (AssignVariableOp, ResourceApply*, ResourceScatter*)."""
    op_def = op._op_def
    if op_def is None:
        return False
    if op.type in _REF_READS or op_def.is_distributed_communication:  # collectives' ordering tokens are read
        return False
    if any(arg.is_ref for arg in op_def.input_arg):
        return True
    return (
        op_def.is_stateful
        and op.type not in _RESOURCE_READS
        and any(arg.type == DType.resource.as_datatype_enum for arg in op_def.input_arg)
    )


def all_ops(items) -> list:
    """The Operations of ``items`` (from ``prune``), loops' ops included."""
    out = []
    for it in items:
        if isinstance(it, control_flow.Loop):
            out.extend(it.ops)
        else:
            out.append(it)
    return out


def check_supported(items) -> None:
    """Raises one UnsupportedOpError naming every op type (and its nodes) that has no kernel."""
    missing: dict[str, list[str]] = {}
    for op in all_ops(items):
        info = op._info
        if op.type in SOURCE_OPS and info is not None:
            continue
        if info is None and op.graph._is_function(op.type):
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


def live_items(items, fetch_tensors, target_ops, fed, spec) -> set:
    """The items still needed once folded tensors are constants and aliased tensors are their sources."""
    item_of = {}
    for it in items:
        if isinstance(it, control_flow.Loop):
            for op in it.ops:
                item_of[op] = it
        else:
            item_of[it] = it
    live: set = set()
    stack: list = [item_of[op] for op in target_ops if op in item_of]
    if spec is not None:  # effects that folded or aliased ops depended on still run
        stack.extend(item_of[op] for op in spec.keep_alive if op in item_of)

    def need(t):
        t = resolve(t, spec)
        if t not in fed and (spec is None or t not in spec.folded):
            it = item_of.get(t._op)
            if it is not None:
                stack.append(it)

    for t in fetch_tensors:
        need(t)
    while stack:
        it = stack.pop()
        if it in live:
            continue
        live.add(it)
        for t in it._inputs:
            need(t)
        for c in it._control_inputs:
            d = item_of.get(c)
            if d is not None and d is not it:
                stack.append(d)
    return live


def resolve(t, spec):
    if spec is not None:
        while t in spec.aliases:
            t = spec.aliases[t]
    return t


def _ref_reader(t, spec):
    """The op TF names when reading ref tensor ``t``'s variable fails: the first op on ``t``'s alias chain that
    takes the ref as a value (``v/read``, an Identity specialization aliased away), or None (the consumer)."""
    while spec is not None and t in spec.aliases:
        source = spec.aliases[t]
        if source.dtype.is_ref_dtype and not t.dtype.is_ref_dtype:
            return t.op
        t = source
    return None


def _func_attr_names(op) -> list[str]:
    return [a.name for a in op._op_def.attr if a.type in ("func", "list(func)")]


def lower(
    items, fetch_tensors, feed_tensors, env, target_ops=(), spec=None, kernels=None, ref_fetches=False
) -> fx.GraphModule:
    """Builds the fx GraphModule running ``items`` (from ``prune``).

    The module's ``forward`` takes the fed values in ``feed_tensors`` order and returns a tuple with
    one value per fetched tensor. With a ``spec`` (``runtime.specialize``), folded tensors become
    constants and aliased tensors reuse their source's value, and ops no longer needed are left out.

    ``env`` decides how sources appear: ``env.source(op, root, names) -> (fx value, device)`` for
    Const and variable ops, ``env.device(op) -> torch.device``, ``env.deref_refs`` (whether ref values
    must be read through ``read_ref``), ``env.context(op, name, device, root, names, graph)`` for the
    kernel's context parameters (``functions``: the op's function attrs as callables),
    ``env.loop(loop)`` (the runner of a TF1 while loop), ``env.kernels`` (op type -> kernel
    replacing the registered one) and ``env.constant_buffers`` (whether folded constants are registered
    buffers, which ``module.to(device)`` moves, or plain attributes, which read faster).

    Ops that may see a dead tensor (TF1 conditionals, ``control_flow.dead_analysis``) are called through
    a guard that skips them when an input or control input is dead. ``kernels`` maps single ops to
    kernels replacing their registered ones (a loop's in-place accumulators). With ``ref_fetches``,
    fetched ref tensors come back as the variables themselves (a loop body's ref loop variables).
    """
    check_supported(items)
    graph = fx.Graph()
    root = torch.nn.Module()
    names = _Names()
    values: dict[Tensor, tuple[fx.Node, torch.device | None]] = {}
    raw: dict = {}  # item -> the fx node of its call (what a control edge from it checks for deadness)
    for t in feed_tensors:
        node = graph.placeholder(names.make(t.name[:-2] if t.name.endswith(":0") else t.name))
        node.meta["tf_name"] = t.name
        node.meta["tf_op"] = "Feed"
        values[t] = (node, None)
    fed = set(feed_tensors)
    live = live_items(items, fetch_tensors, target_ops, fed, spec)
    dead_ops, _ = control_flow.dead_analysis(items, fed)
    folded = spec.folded if spec is not None else {}
    transfers: dict[tuple[Tensor, torch.device], fx.Node] = {}
    constants: dict[Tensor, fx.Node] = {}
    buffers = getattr(env, "constant_buffers", True)  # folded constants follow module.to(device)

    def constant_node(t: Tensor) -> fx.Node:
        node = constants.get(t)
        if node is None:
            attr = names.make(t.op.name + "_folded")
            value = whole(folded[t])
            if isinstance(value, torch.Tensor) and buffers:
                root.register_buffer(attr, value)
            else:  # a plain attribute: the generated code reads it without nn.Module's __getattr__
                setattr(root, attr, value)
            node = graph.get_attr(attr)
            node.meta.update(tf_name=t.op.name, tf_op="Const(folded " + t.op.type + ")")
            constants[t] = node
        return node

    # Ops launched by their start kernel (an asynchronous collective): op -> the fx node of the launch. Their
    # outputs are waited for just before the first node that uses them (or depends on them by a control edge),
    # else before the module returns.
    started: dict = {}

    def wait_started(op) -> None:
        start = started.pop(op)
        node = graph.call_function(wait_for, (start,), name=_node_name(op.name) + "_wait")
        node.meta.update(tf_name=op.name, tf_op=op.type, tf_device=op.device, tf_operation=op)
        _bind_outputs(graph, node, op._outputs, start.meta["tf_dev"], values, fed, op)

    def value_for(t: Tensor, want_ref: bool, device, op):
        read = t
        t = resolve(t, spec)
        if t in folded and t not in fed:
            return constant_node(t)
        if t._op in started:
            wait_started(t._op)
        node, dev = values[t]
        if t.dtype.is_ref_dtype and not want_ref and env.deref_refs:  # fed refs too: a loop body's are slots
            reader = _ref_reader(read, spec) or op
            node = graph.call_function(read_ref, (node,))
            node.meta.update(tf_name=reader.name, tf_op=reader.type, tf_operation=reader)
            return node
        if dev is not None and device is not None and dev != device and t.dtype.base_dtype is not DType.resource:
            key = (t, device)
            if key not in transfers:
                moved = graph.call_function(to_device, (node, device))
                moved.meta.update(tf_name=op.name, tf_op=op.type)
                transfers[key] = moved
            return transfers[key]
        return node

    def dead_controls(it):
        return tuple(raw[c] for c in it._control_inputs if c in dead_ops and c in raw)

    # Under torch.compile, loops and function calls run eagerly (graph breaks): their bodies are modules
    # of their own, compiled on their own.
    compiled = getattr(env, "torch_compile", False)
    run_loop = _eager(control_flow.run_loop) if compiled else control_flow.run_loop
    type_kernels = env.kernels
    op_kernels = kernels or {}
    fusions, absorbed = _live_fusions(spec, live)
    spec_kernels = spec.kernels if spec is not None else {}
    for it in items:
        if it not in live or it in absorbed:
            continue
        for c in it._control_inputs:
            if c in started:
                wait_started(c)
        may_die = it in dead_ops
        if isinstance(it, control_flow.Loop):
            attr = names.make(it.frame_name + "_loop")
            setattr(root, attr, env.loop(it))
            args = (graph.get_attr(attr), *[value_for(t, t.dtype.is_ref_dtype, None, it) for t in it._inputs])
            if may_die:
                node = graph.call_function(
                    control_flow.guarded(run_loop, len(it._outputs)),
                    args,
                    {"_ctrl": dead_controls(it)},
                    name=_node_name(it.frame_name),
                )
            else:
                node = graph.call_function(run_loop, args, name=_node_name(it.frame_name))
            node.meta.update(tf_name=it.frame_name, tf_op=it.type)
            raw[it] = node
            _bind_outputs(graph, node, it._outputs, None, values, fed, it)
            continue
        op = it
        if op.type in ("NoOp", "ControlTrigger") and not may_die:  # they only order: the code is ordered
            continue
        device = env.device(op)
        fusion = fusions.get(op)
        outputs = op._outputs
        if fusion is not None:
            args = tuple(value_for(t, i in fusion.refs, device, op) for i, t in enumerate(fusion.inputs))
            node = graph.call_function(fusion.kernel, args, dict(fusion.kwargs), name=_node_name(op.name))
            dev = device
            outputs = fusion.outputs if fusion.outputs is not None else outputs
        elif op.type in SOURCE_OPS:
            node, dev = env.source(op, root, names, graph)
            if may_die:
                node.meta.update(tf_name=op.name, tf_op=op.type)
                node = graph.call_function(
                    control_flow.dead_unless_live, (node,), {"_ctrl": dead_controls(op)}, name=_node_name(op.name)
                )
        else:
            if op._info is None:  # a call of a library function by its name
                kernel = _eager(functional_ops.call_function) if compiled else functional_ops.call_function
                args = [value_for(t, False, device, op) for t in op._inputs]
                kwargs = {
                    "n_outputs": len(op._outputs),
                    "functions": env.context(op, "functions", device, root, names, graph),
                }
            else:
                kernel, args, kwargs = op._info.bind(
                    op,
                    lambda t, is_ref, device=device, op=op: value_for(t, is_ref, device, op),
                    lambda name, op=op, device=device: env.context(op, name, device, root, names, graph),
                )
                kernel = op_kernels.get(op) or type_kernels.get(op.type) or spec_kernels.get(op, kernel)
                if compiled and "functions" in op._info.kernel_context:
                    kernel = _eager(kernel)
                start = op._info.start_kernel
                if start is not None and kernel is op._info.kernel and not may_die and not compiled:
                    kernel = start
                    started[op] = None
            if may_die and op.type not in control_flow.MERGE_OPS:  # a Merge takes its first live input
                kernel = control_flow.guarded(kernel, len(op._outputs))
                kwargs["_ctrl"] = dead_controls(op)
            node = graph.call_function(kernel, tuple(args), kwargs, name=_node_name(op.name))
            dev = device
        node.meta.update(tf_name=op.name, tf_op=op.type, tf_device=op.device, tf_operation=op)
        raw[op] = node
        if op in started:
            node.meta["tf_dev"] = dev
            started[op] = node
            continue
        _bind_outputs(graph, node, outputs, dev, values, fed, op)
    for t in fetch_tensors:  # fetched: waited for before the values are read
        t = resolve(t, spec)
        if t._op in started:
            wait_started(t._op)
    for op in list(started):  # run for its effect: finished before the run returns
        wait_started(op)
    results = []
    for i, t in enumerate(fetch_tensors):
        source = read = resolve(t, spec)
        if source not in values and source not in folded and source._op.type in control_flow.ENTER_OPS:
            source = read = source._op._inputs[0]  # what enters a loop, fetched from inside it: its value
        elif source is not t:
            read = t  # the alias chain says which op reads a variable's ref (v/read for identity(v))
        if source in values or source in folded:
            node = value_for(read, ref_fetches and source.dtype.is_ref_dtype, None, t.op)
            if node.target is read_ref and t.dtype.is_ref_dtype and _ref_reader(t, spec) is None:
                # A ref fetched as it is: TF reads it in the fetch's _Retval node, which it names after the
                # tensor and the fetch's index (an error says {{node _retval_v1_0_0}}, with no op or NodeDef).
                retval = f"_retval_{t.op.name}_{t.value_index}_{i}"
                node.meta.update(tf_name=retval, tf_op="_Retval", tf_operation=None)
            results.append(node)
        else:  # made inside a while loop, once per iteration
            node = graph.call_function(control_flow.fetched_inside_loop, (i,))
            node.meta.update(tf_name=t.op.name, tf_op=t.op.type, tf_operation=t.op)
            results.append(node)
    graph.output(tuple(results))
    _share_kept_columns(graph)
    gm = fx.GraphModule(root, graph, class_name="TFGraph")
    if not buffers:
        # fx registers every tensor attribute it copies from ``root`` as a buffer, which the generated code
        # then reads through nn.Module.__getattr__ (a Python call per read, per loop iteration in a body):
        # the folded constants become plain attributes again.
        for node in constants.values():
            value = gm._buffers.pop(node.target, None)
            if value is not None:
                gm.__dict__[node.target] = value
    return gm


def wait_for(pending):
    """The outputs of an op launched by its start kernel (``registry.register_async_kernel``)."""
    return pending.wait()


def _live_fusions(spec, live):
    """The fusions and absorbed ops of ``spec`` to apply: a fusion computing the outputs of several ops
    (``Fusion.outputs``) applies only when all of them are live, else each of them runs on its own."""
    if spec is None:
        return {}, ()
    fusions, absorbed = spec.fusions, spec.absorbed
    dropped = [
        (op, f) for op, f in fusions.items() if f.outputs is not None and not all(t._op in live for t in f.outputs)
    ]
    if dropped:
        fusions, absorbed = dict(fusions), set(absorbed)
        for op, f in dropped:
            del fusions[op]
            absorbed.difference_update(t._op for t in f.outputs)
            for t in f.outputs:  # an op of the pair that still runs may have a static form of its own
                if t._op in spec.fallbacks:
                    fusions[t._op] = spec.fallbacks[t._op]
    return fusions, absorbed


def _share_kept_columns(graph: fx.Graph) -> None:
    """Calls of one ``specialize.invariant_sliced_matmul`` kernel that read the same b (the h part of an
    unrolled recurrence's weight in each step's gradient): one node lays out b's kept columns, before the first
    call, and each call multiplies by that (the kernel's ``kept_product``). Eagerly the same work as the
    kernel's own cache; under torch.compile the layout is made once per step where the compiled calls
    multiplied by the transposed view (LSTM classifier step: 27 such products, 40% slower than by the laid-out
    copy)."""
    groups: dict = {}
    for node in graph.nodes:
        if node.op == "call_function" and hasattr(node.target, "kept_columns"):
            b = node.args[1]
            source = b.args[0] if isinstance(b, fx.Node) and b.target is read_ref else b  # a ref's reads: its slot
            groups.setdefault((node.target, source), []).append(node)
    position = None
    for (kernel, source), nodes in groups.items():
        if len(nodes) < 2:
            continue
        if nodes[0].args[1] is not source:  # reads of a ref variable: none of its other users between them
            position = position or {n: i for i, n in enumerate(graph.nodes)}
            first, last = position[nodes[0]], position[nodes[-1]]
            if any(u.target is not read_ref and first < position[u] < last for u in source.users):
                continue
        kwargs = nodes[0].kwargs
        with graph.inserting_before(nodes[0]):
            kept = graph.call_function(
                kernel.kept_columns, (nodes[0].args[1],), {"cols": kwargs["cols"], "transpose_b": kwargs["transpose_b"]}
            )
        kept.meta.update(nodes[0].meta)
        for node in nodes:
            node.target = kernel.kept_product
            node.args = (node.args[0], kept)
            node.kwargs = {"rows": node.kwargs["rows"], "transpose_a": node.kwargs["transpose_a"]}


_EAGER: dict = {}


def _eager(kernel):
    """``kernel`` excluded from torch.compile's tracing."""
    fn = _EAGER.get(kernel)
    if fn is None:
        fn = _EAGER[kernel] = torch.compiler.disable(kernel)
    return fn


def _bind_outputs(graph, node, outputs, dev, values, fed, it) -> None:
    if len(outputs) == 1:
        values[outputs[0]] = (node, dev)
        return
    for idx, t in enumerate(outputs):
        if t not in fed:
            item = graph.call_function(operator.getitem, (node, idx))
            item.meta.update(tf_name=it.name, tf_op=it.type)
            values[t] = (item, dev)


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
