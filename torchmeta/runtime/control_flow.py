"""TF1 control flow in a lowered subgraph: while frames become loops, untaken branches are dead.

Loops (TensorFlow's functionalize_while, done on the pruned subgraph). Every op belongs to a frame:
an Enter starts the child frame named by its ``frame_name``, an Exit returns to the parent frame, and
any other op is in the frame of its inputs. Each frame directly below the subgraph's own is replaced
in the execution order by one ``Loop`` item: its inputs are the Enter ops' inputs, its outputs the Exit
ops' outputs. Within the frame, a loop variable is a Merge of an Enter and a NextIteration, the frame's
LoopCond is the predicate, and a Switch of a loop Merge on it splits into the Exit (false) and the body
(true). The cond (what LoopCond needs, from the Merge values and loop invariants) and the body (what
the NextIteration ops need, from the Switch values) become two ``Program``s, each lowered once per
input shapes; the loop runs as a Python loop calling them (``LoopRunner``). Nested frames are found
again when the body is lowered.

Dead tensors (TensorFlow's executor semantics). A Switch forwards its data to one output; the other is
``DEAD``. An op with a dead data or control input is dead and does not run (its outputs are dead),
except a Merge (dead only when all its inputs are) and a ControlTrigger (never dead). Only ops that
can see a dead input, found statically by ``dead_analysis``, are lowered through a guard; the rest of
the graph runs unguarded.
"""

from __future__ import annotations

import heapq

from torchmeta import errors
from torchmeta.framework.graph import Operation, Tensor
from torchmeta.ops.control_flow_ops import DEAD, is_dead

__all__ = [
    "Loop",
    "run_loop",
    "fetched_inside_loop",
    "ENTER_OPS",
    "order_items",
    "dead_analysis",
    "guarded",
    "dead_unless_live",
    "SWITCH_OPS",
    "MERGE_OPS",
]

ENTER_OPS = ("Enter", "RefEnter")
EXIT_OPS = ("Exit", "RefExit")
NEXT_ITERATION_OPS = ("NextIteration", "RefNextIteration")
MERGE_OPS = ("Merge", "RefMerge")
SWITCH_OPS = ("Switch", "RefSwitch")


class _Frame:
    __slots__ = ("name", "parent", "children", "depth")

    def __init__(self, name: str, parent):
        self.name = name
        self.parent = parent
        self.children: dict = {}
        self.depth = 0 if parent is None else parent.depth + 1

    def child(self, name: str):
        f = self.children.get(name)
        if f is None:
            f = self.children[name] = _Frame(name, self)
        return f

    def __repr__(self):
        return f"<frame {self.name!r}>"


def _is_back_edge(src: Operation, dst: Operation) -> bool:
    return dst.type in MERGE_OPS and src.type in NEXT_ITERATION_OPS


def _frames_error(op: Operation, a: Tensor, fa, b: Tensor, fb):
    return errors.InvalidArgumentError(
        op.node_def,
        op,
        f"{{{{node {op.name}}}}} has inputs from different frames. The input {{{{node {a.op.name}}}}} is in frame "
        f"'{fa.name}'. The input {{{{node {b.op.name}}}}} is in frame '{fb.name}'.",
    )


def _assign_frames(needed: set, fed: set, root: _Frame) -> dict:
    """Each needed op's frame (an Exit op counts as a member of the frame it exits)."""
    indegree = {}
    users: dict = {op: [] for op in needed}
    for op in needed:
        deps = set()
        for t in op._inputs:
            if t not in fed and t._op in needed and not _is_back_edge(t._op, op):
                deps.add(t._op)
        deps.update(c for c in op._control_inputs if c in needed)
        indegree[op] = len(deps)
        for d in deps:
            users[d].append(op)
    ready = [(op._id, op) for op, n in indegree.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, op = heapq.heappop(ready)
        order.append(op)
        for u in users[op]:
            indegree[u] -= 1
            if indegree[u] == 0:
                heapq.heappush(ready, (u._id, u))
    if len(order) != len(needed):
        stuck = sorted(op.name for op in needed if indegree[op] > 0)
        raise errors.InvalidArgumentError(
            None,
            None,
            f"Graph has a cycle through {stuck[:5]} that is not a while loop (a NextIteration feeding a Merge).",
        )
    member: dict[Operation, _Frame] = {}  # the frame an op runs in (an Exit: the frame it leaves)
    out_frame: dict[Operation, _Frame] = {}  # the frame its outputs are in
    for op in order:
        frame = None
        src = None
        for t in op._inputs:
            if t in fed or t._op not in needed or _is_back_edge(t._op, op):
                continue
            f = out_frame[t._op]
            if frame is None:
                frame, src = f, t
            elif f is not frame:
                raise _frames_error(op, src, frame, t, f)
        if frame is None:
            for c in op._control_inputs:
                if c in needed:
                    frame = out_frame[c]
                    break
        if frame is None:
            frame = root
        if op.type in ENTER_OPS:
            member[op] = frame.child(op._attrs["frame_name"].s.decode())
            out_frame[op] = member[op]
        elif op.type in EXIT_OPS:
            if frame is root:
                raise errors.InvalidArgumentError(
                    op.node_def, op, f"{{{{node {op.name}}}}} is an Exit outside of any while loop frame."
                )
            member[op] = frame
            out_frame[op] = frame.parent
        else:
            member[op] = out_frame[op] = frame
    return member


def _top_frame(frame: _Frame, root: _Frame):
    while frame.parent is not root:
        frame = frame.parent
    return frame


class Loop:
    """One TF1 while loop (a frame), an item of the execution order in place of all its ops."""

    def __init__(self, frame_name: str, ops: list, direct: set):
        self.frame_name = frame_name
        self.ops = ops  # every op of the frame and its nested frames, in creation order
        self._direct = direct  # the ops of the frame itself (not of nested frames)
        self.type = "While(v1)"
        self.name = frame_name
        self._id = ops[0]._id
        self._analyze()

    def __repr__(self):
        return f"<Loop {self.frame_name!r}: {len(self.vars)} loop variables>"

    def _error(self, message: str):
        return errors.InvalidArgumentError(None, None, f"While loop frame '{self.frame_name}': {message}")

    def _analyze(self) -> None:
        in_loop = set(self.ops)
        direct = [op for op in self.ops if op in self._direct]
        conds = [op for op in direct if op.type == "LoopCond"]
        if len(conds) != 1:
            raise self._error(f"expected one LoopCond op, found {len(conds)}")
        self.loop_cond = loop_cond = conds[0]
        pred = loop_cond._outputs[0]
        enters = [op for op in direct if op.type in ENTER_OPS]
        merges = {}
        for op in direct:
            if op.type not in MERGE_OPS or len(op._inputs) != 2:
                continue
            srcs = [t._op for t in op._inputs]
            enter = next((s for s in srcs if s.type in ENTER_OPS and s in enters), None)
            next_it = next((s for s in srcs if s.type in NEXT_ITERATION_OPS and s in in_loop), None)
            if enter is not None and next_it is not None:
                merges[op] = (enter, next_it)
        self.vars = []  # (merge, enter, next_iteration, switch or None)
        var_of_merge = {}
        for merge, (enter, next_it) in merges.items():
            var_of_merge[merge] = len(self.vars)
            self.vars.append([merge, enter, next_it, None])
        self.switches = {}
        for op in direct:
            if op.type in SWITCH_OPS and op._inputs[1] is pred:
                merge = op._inputs[0]._op
                if merge not in var_of_merge or op._inputs[0].value_index != 0:
                    raise self._error(f"Switch {op.name} on the loop condition does not switch a loop variable")
                self.vars[var_of_merge[merge]][3] = op
                self.switches[op] = var_of_merge[merge]
        var_enters = {v[1] for v in self.vars}
        self.invariants = [op for op in enters if op not in var_enters]
        self.exits = [op for op in direct if op.type in EXIT_OPS]
        self.boundary = set(enters) | set(merges) | set(self.switches) | {loop_cond}
        self.boundary |= {v[2] for v in self.vars}
        # Inputs from the enclosing program: loop variables' initial values, then the invariants.
        self._inputs = [v[1]._inputs[0] for v in self.vars] + [op._inputs[0] for op in self.invariants]
        self._outputs = [op._outputs[0] for op in self.exits]
        self._control_inputs = []
        seen = set()
        for op in self.ops:
            for c in op._control_inputs:
                if c not in in_loop and c not in seen:
                    seen.add(c)
                    self._control_inputs.append(c)


def order_items(needed: set, fed: set, writes_state=lambda op: False):
    """The execution order of ``needed`` (ops, and ``Loop`` items for while frames), or None when
    ``needed`` has no Enter op (then the caller's plain topological order applies). Among ready items,
    ops for which ``writes_state`` holds wait while anything else is ready (``lowering.prune``'s rule)."""
    if not any(op.type in ENTER_OPS for op in needed):
        return None
    root = _Frame("", None)
    member = _assign_frames(needed, fed, root)
    by_top: dict = {}
    direct: dict = {}
    for op, frame in member.items():
        if frame is root:
            continue
        top = _top_frame(frame, root)
        by_top.setdefault(top, []).append(op)
        if frame is top:
            direct.setdefault(top, set()).add(op)
    item_of: dict = {}
    items = []
    for top, ops in by_top.items():
        ops.sort(key=lambda o: o._id)
        if not any(op.type == "LoopCond" for op in direct.get(top, ())):
            continue  # only what enters the frame (its first iteration): the ops run once, as they are
        loop = Loop(top.name, ops, direct.get(top, set()))
        items.append(loop)
        for op in ops:
            item_of[op] = loop
    for op in needed:
        if op not in item_of:
            item_of[op] = op
            items.append(op)
    # Kahn's algorithm over items, lowest creation id first.
    indegree = {}
    users: dict = {it: [] for it in items}
    for it in items:
        inputs = it._inputs
        controls = it._control_inputs
        deps = set()
        for t in inputs:
            if t not in fed and t._op in needed:
                d = item_of[t._op]
                if d is not it:
                    deps.add(d)
        for c in controls:
            if c in needed:
                d = item_of[c]
                if d is not it:
                    deps.add(d)
        indegree[it] = len(deps)
        for d in deps:
            users[d].append(it)

    def key(it):
        return (not isinstance(it, Loop) and writes_state(it), it._id, id(it), it)

    ready = [key(it) for it, n in indegree.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        it = heapq.heappop(ready)[-1]
        order.append(it)
        for u in users[it]:
            indegree[u] -= 1
            if indegree[u] == 0:
                heapq.heappush(ready, key(u))
    if len(order) != len(items):
        stuck = sorted(it.name for it in items if indegree[it] > 0)
        raise errors.InvalidArgumentError(None, None, f"Graph has a cycle through {stuck[:5]} outside while loops.")
    return order


def fetched_inside_loop(index: int):
    """A fetch of a tensor a while loop makes once per iteration: TensorFlow's error for it."""
    raise errors.InternalError(None, None, f"Retval[{index}] has already been set.")


def run_loop(runner, *inputs):
    """The kernel a Loop item is lowered to."""
    return runner(*inputs)


# ---------------------------------------------------------------------------------------------
# Dead tensors


def _merge_conditions(conds, op) -> frozenset:
    """When a Merge is live: the disjunction of its inputs' conditions, simplified (``A&p | A&!p`` is ``A``,
    ``A | A&B`` is ``A``); an opaque literal of its own when that leaves more than one conjunction."""
    conds = set(conds)
    if frozenset() in conds:
        return frozenset()
    changed = True
    while changed and len(conds) > 1:
        changed = False
        for a in list(conds):
            for b in list(conds):
                if a is not b and a <= b:  # absorption
                    conds.discard(b)
                    changed = True
                    break
            if changed:
                break
            for lit in a:
                pred, branch = lit
                other = (a - {lit}) | {(pred, not branch)}
                if other in conds:
                    conds.discard(a)
                    conds.discard(other)
                    conds.add(a - {lit})
                    changed = True
                    break
            if changed:
                break
    if len(conds) == 1:
        return next(iter(conds))
    return frozenset({(op, True)})


def dead_analysis(items, fed: set):
    """(ops that may be dead, tensors that may be dead) among ``items``, in their order.

    Each tensor gets the condition under which it is live: a conjunction of (predicate, branch) literals
    from the Switches it depends on. A Merge of the branches of one conditional is live whenever the
    conditional is, so only what depends on a branch itself (and not on the Merge after it) may be dead.
    """
    cond: dict = {}  # Tensor -> frozenset of literals (absent: always live)
    op_cond: dict = {}  # op or Loop -> frozenset
    empty = frozenset()

    def of(t):
        return empty if t in fed else cond.get(t, empty)

    for it in items:
        if isinstance(it, Loop):
            c = empty.union(*(of(t) for t in it._inputs), *(op_cond.get(x, empty) for x in it._control_inputs))
            if c:
                op_cond[it] = c
                for t in it._outputs:
                    cond[t] = c
            continue
        op = it
        if op.type == "ControlTrigger":
            continue
        controls = [op_cond.get(x, empty) for x in op._control_inputs]
        if op.type in MERGE_OPS:
            c = _merge_conditions([of(t) for t in op._inputs], op)
        else:
            c = empty.union(*(of(t) for t in op._inputs), *controls)
        if c:
            op_cond[op] = c
            for t in op._outputs:
                cond[t] = c
        if op.type in SWITCH_OPS:
            pred = op._inputs[1]
            while pred.op.type == "Identity" and pred not in fed:  # tf.cond switches on pred and pred_id
                pred = pred.op._inputs[0]
            cond[op._outputs[0]] = c | {(pred, False)}
            cond[op._outputs[1]] = c | {(pred, True)}
    return set(op_cond), {t for t, c in cond.items() if c}


_GUARDS: dict = {}


def guarded(kernel, n_outputs: int):
    """``kernel`` wrapped so that a dead argument or control value makes the call dead without running it."""
    key = (kernel, n_outputs)
    fn = _GUARDS.get(key)
    if fn is not None:
        return fn
    dead = DEAD if n_outputs <= 1 else (DEAD,) * n_outputs

    def call(*args, _ctrl=(), **kwargs):
        for a in args:
            if a is DEAD or (type(a) is list and any(x is DEAD for x in a)):
                return dead
        for c in _ctrl:
            if is_dead(c):
                return dead
        return kernel(*args, **kwargs)

    name = getattr(kernel, "__name__", "kernel")
    call.__name__ = call.__qualname__ = "dead_or_" + name
    _GUARDS[key] = call
    return call


def dead_unless_live(value, _ctrl=()):
    """A source (Const, variable) under a control input that may be dead: dead when it is."""
    for c in _ctrl:
        if is_dead(c):
            return DEAD
    return value
