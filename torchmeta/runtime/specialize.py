"""Specializing a pruned subgraph to the feed shapes of a run: fold shape arithmetic, skip no-op nodes.

TensorFlow's gradient graphs are full of shape bookkeeping (Shape, BroadcastGradientArgs, Reshape to
the same shape, Sum over no axes). Once the feed shapes are known, static shape inference usually
knows every shape, so that bookkeeping is constant: it is computed here once per feed-shape
signature and the generated module only does the arithmetic that depends on data. This is sound
because static shapes are only ever *known* when they cannot depend on data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from torchmeta.dtypes import DType, numpy_to_torch
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import tensor_util
from torchmeta.framework.graph import Operation
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.runtime.lowering import SOURCE_OPS, _arg_lengths, kernel_attr_value

__all__ = ["Specialization", "specialize"]

# Larger folded results are left to run time (folding is for shape-sized values).
FOLD_LIMIT = 4096
_SHAPE_OPS = {"Shape", "Size", "Rank", "ShapeN"}
_PASS_THROUGH = {"Identity", "Snapshot", "StopGradient", "PreventGradient", "PlaceholderWithDefault"}
_REDUCTIONS = {"Sum", "Mean", "Prod", "Max", "Min", "All", "Any"}


@dataclass
class Specialization:
    """Tensors whose value is known for these shapes, and tensors that are another tensor's value."""

    folded: dict = field(default_factory=dict)  # Tensor -> torch.Tensor or numpy object array
    aliases: dict = field(default_factory=dict)  # Tensor -> Tensor it equals


def _refine_shapes(op: Operation, overrides: dict, fed: set) -> None:
    info = op._info
    if info is None or info.shape_fn is None or op.type in SOURCE_OPS:
        return
    try:
        shapes = info.shape_fn(op)
    except Exception:  # a shape function failing here only means "not refined"
        return
    if not shapes or len(shapes) != len(op._outputs):
        return
    for t, s in zip(op._outputs, shapes):
        if t in fed or s is None:
            continue
        s = s if isinstance(s, TensorShape) else TensorShape(s)
        try:
            overrides[t] = s.merge_with(t._shape)
        except ValueError:
            overrides[t] = s


def _shape_value(op: Operation, index: int):
    out_type = op._attrs["out_type"].type if "out_type" in op._attrs else DType.int32.value
    np_type = DType(out_type).numpy
    if op.type == "ShapeN":
        shape = op._inputs[index].shape
        return np.array(shape.as_list(), dtype=np_type) if shape.is_fully_defined() else None
    shape = op._inputs[0].shape
    if op.type == "Rank":
        return None if shape.rank is None else np.array(shape.rank, dtype=np_type)
    if not shape.is_fully_defined():
        return None
    if op.type == "Shape":
        return np.array(shape.as_list(), dtype=np_type)
    return np.array(shape.num_elements(), dtype=np_type)  # Size


def _evaluate(op: Operation, folded: dict):
    """Runs a pure op on folded inputs; None when it cannot be folded."""
    info = op._info
    if info.kernel is None or any(c in ("generator", "state") for c in info.kernel_context):
        return None
    args, i = [], 0
    for n, is_list, is_ref in _arg_lengths(op):
        if is_ref:
            return None
        group = [folded[t] for t in op._inputs[i : i + n]]
        args.append(group if is_list else group[0])
        i += n
    kwargs = {name: kernel_attr_value(op._attrs[name]) for name in info.kernel_attrs if name in op._attrs}
    for name in info.kernel_context:
        kwargs[name] = torch.device("cpu") if name == "device" else op.name
    try:
        with torch.no_grad():
            out = info.kernel(*args, **kwargs)
    except Exception:  # the op will run (and fail, naming itself) at run time
        return None
    outs = list(out) if isinstance(out, (tuple, list)) and len(op._outputs) != 1 else [out]
    if len(outs) != len(op._outputs):
        return None
    for v in outs:
        if not isinstance(v, (torch.Tensor, np.ndarray)) or _numel(v) > FOLD_LIMIT:
            return None
    return outs


def _numel(v) -> int:
    return v.numel() if isinstance(v, torch.Tensor) else v.size


def _alias_source(op: Operation, folded: dict):
    """For an op that returns one of its inputs unchanged (given these shapes), that input's index."""
    t = op.type
    if t in _PASS_THROUGH:
        return 0
    if t in ("Reshape", "BroadcastTo"):
        # Only when the target shape is a known constant equal to the input's (known) shape.
        in_shape = op._inputs[0].shape
        target = folded.get(op._inputs[1])
        if target is None or not in_shape.is_fully_defined():
            return None
        dims = [int(d) for d in torch.as_tensor(target).reshape(-1).tolist()]
        if t == "Reshape" and dims.count(-1) == 1:
            known = math.prod(d for d in dims if d != -1)
            if known == 0 or in_shape.num_elements() % known:
                return None
            dims[dims.index(-1)] = in_shape.num_elements() // known
        return 0 if dims == in_shape.as_list() else None
    if t == "EnsureShape":
        in_shape = op._inputs[0].shape
        wanted = TensorShape(op.get_attr("shape"))
        return 0 if in_shape.is_fully_defined() and in_shape.is_compatible_with(wanted) else None
    if t in _REDUCTIONS:
        axes = folded.get(op._inputs[1])
        if axes is not None and _numel(axes) == 0:
            return 0
        return None
    if t == "Tile":
        multiples = folded.get(op._inputs[1])
        if multiples is not None and bool((torch.as_tensor(multiples) == 1).all()):
            return 0
        return None
    if t == "Transpose":
        perm = folded.get(op._inputs[1])
        if perm is not None and torch.equal(torch.as_tensor(perm).long(), torch.arange(_numel(perm))):
            return 0
        return None
    if t == "Cast":
        return 0 if op._attrs["SrcT"].type == op._attrs["DstT"].type else None
    if t == "AddN":
        return 0 if len(op._inputs) == 1 else None
    return None


# Ops that exist for their failures: never dropped with a control edge.
_CHECKS = {"Assert", "CheckNumerics", "Print", "PrintV2", "EnsureShape"}
# Stateful ops that only read state: depending on them is not depending on an effect.
_READS = {
    "VariableV2",
    "VarHandleOp",
    "ReadVariableOp",
    "ResourceGather",
    "VariableShape",
    "VarIsInitializedOp",
    "IsVariableInitialized",
}


def _has_effects(op: Operation, memo: dict) -> bool:
    """Whether ``op`` or anything it depends on changes state or can fail on purpose."""
    known = memo.get(op)
    if known is not None:
        return known
    memo[op] = True  # cycles (never in a pruned DAG) count as effects
    od = op._op_def
    reads = op.type in _READS
    effects = (
        od is None
        or (od.is_stateful and not reads)
        or op.type in _CHECKS
        or (not reads and any(arg.is_ref for arg in od.input_arg))
        or any(_has_effects(t._op, memo) for t in op._inputs)
        or any(_has_effects(c, memo) for c in op._control_inputs)
    )
    memo[op] = effects
    return effects


def specialize(ops, feed_tensors, feed_shapes) -> Specialization:
    """Folds and aliases for running ``ops`` (from ``prune``) with feeds of ``feed_shapes``."""
    spec = Specialization()
    fed = set(feed_tensors)
    overrides = {t: TensorShape(None if shape is None else tuple(shape)) for t, shape in zip(feed_tensors, feed_shapes)}
    folded, aliases = spec.folded, spec.aliases
    effects: dict = {}
    with graph_lib.shape_overrides(overrides):
        for op in ops:
            _refine_shapes(op, overrides, fed)
            if op._info is None:
                continue
            # A control edge only orders; from effect-free ops (tf.tuple's gates in gradient graphs)
            # it can be dropped, since the generated code runs in a topological order anyway.
            if op._control_inputs and any(_has_effects(c, effects) for c in op._control_inputs):
                continue
            outputs = [t for t in op._outputs if t not in fed]
            if not outputs:
                continue
            if op.type == "Const":
                value = tensor_util.MakeNdarray(op._attrs["value"].tensor)
                if value.size <= FOLD_LIMIT:
                    folded[op._outputs[0]] = (
                        value if value.dtype == object else numpy_to_torch(value, DType(op._attrs["dtype"].type))
                    )
                continue
            if op.type in SOURCE_OPS or op._op_def.is_stateful:
                continue
            if op.type in _SHAPE_OPS:
                for i, t in enumerate(op._outputs):
                    value = _shape_value(op, i)
                    if value is not None:
                        folded[t] = torch.from_numpy(value)
                continue
            if all(t in folded for t in op._inputs) and op._inputs:
                values = _evaluate(op, folded)
                if values is not None:
                    for t, v in zip(op._outputs, values):
                        folded[t] = v
                    continue
            if op.type == "IdentityN":
                for i, t in enumerate(op._outputs):
                    aliases[t] = op._inputs[i]
                continue
            source = _alias_source(op, folded)
            if source is not None and len(op._outputs) == 1:
                src = op._inputs[source]
                if src.dtype.base_dtype is not DType.resource:
                    aliases[op._outputs[0]] = src
    return spec
