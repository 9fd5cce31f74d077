"""A step's optimizer updates of one kind, run as one multi-tensor call.

A TF1 training step applies one update per variable (ApplyMomentum, ResourceApplyAdam, ...), all with the
same hyper-parameter tensors. Run one by one, each costs a Python kernel call and a few small torch calls
(about 20-60 us), whatever the variable's size; run together (``training_ops.UPDATE_KINDS``), a step makes
one ``torch._foreach_*`` or fused-optimizer call per kind, with the same arithmetic on every element.

The group's call runs where its last member ran. That moves the earlier members later, past the ops
between them, so a group is closed (and a new one started) at any op that must see an earlier member's
effect or that another ordering would change:

- an op that depends on a member (a data or control edge): it must run after it;
- an op that reads or writes a variable the group reads or writes (its variables, slots, and variables
  its hyper-parameters are read from), directly, through an alias (an Identity of a ref variable), or as
  the input of a fused call (``Specialization.fusions``);
- a TF1 while loop (it may do anything).

Every other op between the first and the last member neither depends on the members nor touches their
variables, so it sees the same values either way. Members must be live ops that cannot see a dead tensor,
update distinct variables given directly by VariableV2/VarHandleOp, run on one device and agree on the op
type, attrs (T, use_locking, use_nesterov, update_slots) and hyper-parameter tensors.
"""

from __future__ import annotations

import operator

from torchmeta.framework.graph import Operation
from torchmeta.framework.registry import locked
from torchmeta.ops.training_ops import UPDATE_KINDS
from torchmeta.runtime import control_flow
from torchmeta.runtime.lowering import resolve

__all__ = ["find_groups", "group_call"]

# Where an update's variable and slot inputs must come from (their values are the variables' own).
_VARIABLE_OPS = frozenset({"VariableV2", "Variable", "VarHandleOp"})


class _Group:
    def __init__(self):
        self.members: list[Operation] = []
        self.member_set: set = set()
        self.written: set = set()  # the members' variables and slots (Tensors of the variable ops)
        self.read: set = set()  # variables the members read (a learning rate kept in a variable)

    def add(self, op, written, read) -> None:
        self.members.append(op)
        self.member_set.add(op)
        self.written.update(written)
        self.read.update(read)

    def depends(self, op, inputs) -> bool:
        return any(t._op in self.member_set for t in inputs) or any(c in self.member_set for c in op._control_inputs)

    def touches(self, variables) -> bool:
        return any(t in self.written or t in self.read for t in variables)


def _variables(tensors, spec) -> set:
    """The variable tensors among ``tensors`` and their sources (an Identity of a ref variable reads it)."""
    out = set()
    for t in tensors:
        for u in (t, resolve(t, spec)):
            if u._op.type in _VARIABLE_OPS:
                out.add(u)
    return out


def _inputs(op, spec) -> list:
    fusion = spec.fusions.get(op)
    return list(op._inputs) if fusion is None else [*op._inputs, *fusion.inputs]


def _key(op, spec, live, dead_ops):
    kind = UPDATE_KINDS.get(op.type)
    if kind is None or op not in live or op in dead_ops or op in spec.fusions or op in spec.absorbed:
        return None
    inputs = op._inputs
    if any(inputs[i]._op.type not in _VARIABLE_OPS for i in kind.own[:-1]):
        return None
    attrs = tuple(
        (a.name, op._attrs[a.name].SerializeToString(deterministic=True))
        for a in op._op_def.attr
        if a.name in op._attrs
    )
    shared = tuple(_source(inputs[i], spec) for i in kind.shared)
    return (op.type, op.device, attrs, shared)


def _source(t, spec):
    """What a hyper-parameter input is: the tensor, or the variable that a ReadVariableOp reads (each resource
    update reads the hyper-parameter variables, Adam's beta powers, itself: the reads are the same tensor unless
    something assigned the variable in between, which the group's call checks)."""
    t = resolve(t, spec)
    op = t._op
    if op.type == "ReadVariableOp" and op._inputs[0]._op.type == "VarHandleOp":
        return ("read", op._inputs[0])
    return t


def find_groups(items, spec, live, dead_ops) -> list[list[Operation]]:
    """The groups (two or more updates each, in execution order) of the updates in ``items`` (from
    ``lowering.prune``, with ``spec``'s folds, aliases and fusions; ``live``: the items that run)."""
    groups: list[list[Operation]] = []
    open_groups: dict = {}

    def close(key) -> None:
        group = open_groups.pop(key)
        if len(group.members) > 1:
            groups.append(group.members)

    for it in items:
        if isinstance(it, control_flow.Loop):
            for key in list(open_groups):
                close(key)
            continue
        op = it
        inputs = _inputs(op, spec)
        variables = _variables(inputs, spec)
        key = _key(op, spec, live, dead_ops)
        for other in list(open_groups):
            if other != key and (open_groups[other].depends(op, inputs) or open_groups[other].touches(variables)):
                close(other)
        if key is None:
            continue
        kind = UPDATE_KINDS[op.type]
        written = _variables([op._inputs[i] for i in kind.own[:-1]], spec)
        read = variables - written
        group = open_groups.get(key)
        if group is not None and (
            group.depends(op, inputs) or group.touches(written) or any(t in group.written for t in read)
        ):
            close(key)
            group = None
        if group is None:
            group = open_groups[key] = _Group()
        group.add(op, written, read)
    for key in list(open_groups):
        close(key)
    return groups


def group_call(members: list[Operation]):
    """``(kernel, inputs, refs, kwargs)`` running ``members`` (one group) as one call: the inputs are each
    member's hyper-parameters, variable, slots and gradient; ``refs``: the positions of ref variables among
    them. Members whose hyper-parameters are the same tensors (normally all) run as one list. The kernel
    returns the members' outputs (their refs) for ref variables."""
    first = members[0]
    kind = UPDATE_KINDS[first.type]
    _, _, attrs = first._info.bind(first, lambda t, is_ref: None, lambda name: None)
    inputs, refs = [], set()
    for op in members:
        for i in (*kind.shared, *kind.own):
            if op._inputs[i].dtype.is_ref_dtype:
                refs.add(len(inputs))
            inputs.append(op._inputs[i])
    n_shared = len(kind.shared)
    width = n_shared + len(kind.own)
    ops = tuple(members)

    def grouped_update(*flat, **kwargs):
        n = len(flat)
        start = 0
        while start < n:  # runs of members sharing their hyper-parameters' tensors (normally one run)
            shared = flat[start : start + n_shared]
            end = start + width
            while end < n and all(map(operator.is_, flat[end : end + n_shared], shared)):
                end += width
            try:
                members = [flat[i + n_shared : i + width] for i in range(start, end, width)]
                kind.run(members, *shared, in_place=kind.in_place, **kwargs)
            except Exception as e:  # named after the member that raised it (Program's node_error reads it)
                e.failed_operation = ops[start // width + getattr(e, "update_member", 0)]
                raise
            start = end
        return flat[n_shared::width] if kind.in_place else None

    locking = first._attrs.get("use_locking")
    kernel = locked(grouped_update) if locking is not None and locking.b else grouped_update
    return kernel, inputs, frozenset(refs), attrs
