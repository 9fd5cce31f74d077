"""What the specialization passes share (runtime/specialize.py and its families in specialize_conv.py and
specialize_lstm.py): the Specialization record and its Fusions, the Sum + Reshape kernel that later passes
recognize, and the questions every pass asks of a tensor in the specialized subgraph (the tensor an alias
stands for, the ops that need its value, whether one consumer alone reads a fresh result)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from torchmeta.dtypes import DType
from torchmeta.framework.graph import Operation, Tensor
from torchmeta.runtime import control_flow

__all__ = [
    "FLOATS",
    "FLOAT_TYPE_VALUES",
    "Fusion",
    "Specialization",
    "fused_sum_reshape",
    "item_positions",
    "private_result",
    "resolve_alias",
    "runs_as_is",
    "single_use",
    "uniform",
    "value_users",
    "whole",
]


@dataclass
class Specialization:
    """Tensors whose value is known for these shapes, tensors that are another tensor's value, and
    pairs of ops run as one kernel."""

    folded: dict = field(default_factory=dict)  # Tensor -> torch.Tensor or numpy object array
    aliases: dict = field(default_factory=dict)  # Tensor -> Tensor it equals
    # consumer Operation -> Fusion; the producer is absorbed (not emitted on its own).
    fusions: dict = field(default_factory=dict)
    absorbed: set = field(default_factory=set)
    # Ops with effects that folded or aliased ops had as control inputs: they still run.
    keep_alive: set = field(default_factory=set)
    # Operation -> kernel called with the op's own bound arguments instead of its registered kernel.
    kernels: dict = field(default_factory=dict)
    # Operation -> Fusion for an op of a fusion computing several ops' outputs, used when that one does not
    # apply (the others are not needed: the input gradient of a convolution of a placeholder).
    fallbacks: dict = field(default_factory=dict)
    # Whether the step runs on the calling thread alone (threads.step_on_one_thread: all its kernels are small).
    one_thread: bool = False
    # The same for the step compiled by torch.compile (threads.COMPILED_ONE_THREAD_ELEMENTS).
    compiled_one_thread: bool = False


@dataclass
class Fusion:
    """One kernel call replacing a producer op and its only consumer."""

    kernel: object
    inputs: list  # Tensors
    kwargs: dict
    # The tensors the call returns, in order, when it computes the outputs of several ops (the op it is
    # recorded for and ops in ``absorbed``); None: the op's own outputs.
    outputs: list | None = None
    # Positions in ``inputs`` of ref variables passed as the variables themselves (updates), not their values.
    refs: frozenset = frozenset()


def fused_sum_reshape(input, axes):
    """Sum(keep_dims=True) followed by a Reshape that drops the kept dims: one sum without them."""
    return torch.sum(input, axes)


FLOATS = {DType.float32, DType.float64}


def single_use(t: Tensor, consumer: Operation, keep: set, op_set: set, folded: dict) -> bool:
    """Whether ``consumer`` is the only op of this subgraph that needs ``t``'s value at run time."""
    if t in keep or t._op._control_outputs:
        return False
    for c in t._consumers:
        if c is consumer or c not in op_set:
            continue
        if not all(out in folded for out in c._outputs):  # shape-only users fold away
            return False
    return True


def item_positions(items) -> dict:
    """Operation -> the index in ``items`` of the item that runs it (a loop's, for an op of a loop's frame)."""
    position = {}
    for i, it in enumerate(items):
        for op in it.ops if isinstance(it, control_flow.Loop) else (it,):
            position[op] = i
    return position


def value_users(t: Tensor, spec: Specialization, op_set: set, keep: set):
    """The ops that need ``t``'s value at run time, through the tensors aliased to it; None when a
    fetch needs it. (An op without outputs, a resource variable's update or assignment, needs it.)"""
    found = []
    stack = [t]
    while stack:
        u = stack.pop()
        if u in keep:
            return None
        for c in u._consumers:
            if c not in op_set or (c._outputs and all(o in spec.folded for o in c._outputs)):
                continue
            aliased = [o for o in c._outputs if spec.aliases.get(o) is u]
            if aliased and len(c._outputs) == 1:
                stack.extend(aliased)
            else:
                found.append(c)
    return found


def resolve_alias(t: Tensor, spec: Specialization) -> Tensor:
    """The tensor whose value ``t`` is (``t`` itself when it is no alias)."""
    while t in spec.aliases:
        t = spec.aliases[t]
    return t


def runs_as_is(op, spec: Specialization) -> bool:
    """Whether ``op`` runs its registered kernel in the generated code: not folded, aliased, fused or
    absorbed (and has one)."""
    if op in spec.fusions or op in spec.absorbed or op._info is None:
        return False
    return not any(t in spec.folded or t in spec.aliases for t in op._outputs)


FLOAT_TYPE_VALUES = (DType.float32.value, DType.float64.value)


# op types whose output 0 is always a tensor their kernel allocated (never an input, a variable's value or a
# cached tensor), for the float dtypes these kernels take
_FRESH_RESULTS = {
    "Conv2DBackpropInput",
    "DepthwiseConv2dNativeBackpropInput",
    "MaxPoolGrad",
    "MatMul",
    "RealDiv",
    "AddN",
    "FusedBatchNormGrad",
    "FusedBatchNormGradV2",
    "FusedBatchNormGradV3",
}


def private_result(t: Tensor, consumer: Operation, spec: Specialization, op_set: set, keep: set, fed: set) -> bool:
    """Whether ``t`` (through its aliases) is output 0 of an op that computes it afresh, not fed, and
    ``consumer`` is the only op that needs its value at run time."""
    source = resolve_alias(t, spec)
    op = source._op
    if source in fed or source in spec.folded or op not in op_set or op._info is None or source is not op._outputs[0]:
        return False
    if op.type not in _FRESH_RESULTS or (op.type == "AddN" and len(op._inputs) < 2):
        return False
    return value_users(source, spec, op_set, keep) == [consumer]


# A value over registry.FOLD_LIMIT elements is folded where all its elements have one value's bits (the Tile of a
# reduce_mean's gradient and the RealDiv of it by the count: ~190 us a step of dynamic_rnn20_train, 81,920
# elements), up to 1 MiB: kept as that one value broadcast to the shape (``whole`` makes it a tensor of its own
# where a kernel reads it: folding's kernels, lowering's module constants, which live as long as the lowered
# module; hence 1 MiB and not TF's Grappler limit of 10 MiB, which would also keep the zeros that initialize
# large variables and their optimizer slots).
UNIFORM_FOLD_BYTES = 1 << 20
_SAME_SIZE_INTS = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}


def uniform(v):
    """``v`` as its first element broadcast to its shape, where every element has that element's bits (-0.0
    and 0.0 differ, a NaN equals the same NaN); else None."""
    if not isinstance(v, torch.Tensor) or v.numel() * v.element_size() > UNIFORM_FOLD_BYTES:
        return None
    kind = _SAME_SIZE_INTS.get(v.element_size())
    if kind is None or v.is_complex() or v.is_quantized:
        return None
    bits = v.contiguous().view(kind).reshape(-1)
    if not bool(torch.all(bits == bits[0])):
        return None
    return v.reshape(-1)[:1].clone().reshape([1] * v.dim()).expand(v.shape)


def whole(value):
    """A folded value as a tensor of its own where ``uniform`` broadcast it (a stride 0 on some axis)."""
    if isinstance(value, torch.Tensor) and value.dim() and 0 in value.stride() and value.numel() > 1:
        return value.contiguous()
    return value
