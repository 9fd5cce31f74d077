"""Specializing a pruned subgraph to the feed shapes of a run: fold shape arithmetic, skip no-op nodes.

TensorFlow's gradient graphs are full of shape bookkeeping (Shape, BroadcastGradientArgs, Reshape to
the same shape, Sum over no axes). Once the feed shapes are known, static shape inference usually
knows every shape, so that bookkeeping is constant: it is computed here once per feed-shape
signature and the generated module only does the arithmetic that depends on data. This is sound
because static shapes are only ever *known* when they cannot depend on data.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import torch

from torchmeta.dtypes import DType, numpy_to_torch
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import tensor_util
from torchmeta.framework.graph import Operation, Tensor
from torchmeta.framework.registry import FOLD_LIMIT, locked
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops import (
    conv_ops,
    gradient_sum_native,
    lstm_cell_native,
    math_ops,
    matmul_ops,
    nn_ops,
    pool_ops,
    threads,
    training_ops,
    windows,
)
from torchmeta.runtime import control_flow
from torchmeta.runtime.lowering import SOURCE_OPS, all_ops, live_items, resolve
from torchmeta.runtime.update_groups import find_groups, group_call

__all__ = ["Specialization", "specialize"]

_SHAPE_OPS = {"Shape", "Size", "Rank", "ShapeN"}
_PASS_THROUGH = {"Identity", "Snapshot", "StopGradient", "PreventGradient", "PlaceholderWithDefault"}
_REDUCTIONS = {"Sum", "Mean", "Prod", "Max", "Min", "All", "Any"}


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


def fused_matmul_bias(a, b, bias, transpose_a, transpose_b, keep_weight=False):
    """MatMul followed by a bias add (AddV2/BiasAdd of a 1-D bias): one addmm, like TF's _FusedMatMul. With
    ``keep_weight`` (``b`` is never fed: specialization's mark) a large ``b`` may be packed once and kept
    (``matmul_ops.kept_weight_product``)."""
    x = a.t() if transpose_a else a
    y = b.t() if transpose_b else b
    if keep_weight and (out := matmul_ops.kept_weight_product(x, y, bias, b)) is not None:
        return out
    return matmul_ops.matrix_product(x, y, bias)


def fused_matmul_bias_relu(a, b, bias, transpose_a, transpose_b, keep_weight=False):
    """MatMul + bias add + Relu (TF's _FusedMatMul with a Relu): the addmm's result rectified in place (the
    sum before the Relu has no other reader; Relu's gradient reads Relu's output)."""
    return torch.relu_(fused_matmul_bias(a, b, bias, transpose_a, transpose_b, keep_weight))


def fused_sum_reshape(input, axes):
    """Sum(keep_dims=True) followed by a Reshape that drops the kept dims: one sum without them."""
    return torch.sum(input, axes)


_FLOATS = {DType.float32, DType.float64}


def _refine_shapes(op: Operation, overrides: dict, fed: set) -> None:
    info = op._info
    if info is None or info.shape_fn is None or op.type in SOURCE_OPS:
        return
    try:
        with tensor_util.running_shape_function():  # constants as TF's shape refiner evaluates them
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
    if any(arg.is_ref for arg in op._op_def.input_arg):
        return None
    kernel, args, kwargs = info.bind(
        op,
        lambda t, is_ref: folded[t],
        lambda name: torch.device("cpu") if name == "device" else op.name,
    )
    try:
        with torch.no_grad():
            out = kernel(*args, **kwargs)
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


def _effects(op: Operation, memo: dict, op_set: set) -> frozenset:
    """The ops that change state or can fail on purpose among ``op`` and what it depends on in this subgraph.

    Ops outside the subgraph (``op_set``) have run before it starts (the enclosing program's ops, a loop's
    Enter/Merge/Switch), so depending on them orders nothing here.
    """
    if op not in op_set:
        return frozenset()
    known = memo.get(op)
    if known is not None:
        return known
    memo[op] = frozenset({op})  # cycles (never in a pruned DAG) count as effects
    od = op._op_def
    reads = op.type in _READS
    own = (
        od is None
        or (od.is_stateful and not reads)
        or op.type in _CHECKS
        or (not reads and any(arg.is_ref for arg in od.input_arg))
    )
    found = frozenset({op}) if own else frozenset()
    for t in op._inputs:
        found |= _effects(t._op, memo, op_set)
    for c in op._control_inputs:
        found |= _effects(c, memo, op_set)
    memo[op] = found
    return found


def _single_use(t: Tensor, consumer: Operation, keep: set, op_set: set, folded: dict) -> bool:
    """Whether ``consumer`` is the only op of this subgraph that needs ``t``'s value at run time."""
    if t in keep or t._op._control_outputs:
        return False
    for c in t._consumers:
        if c is consumer or c not in op_set:
            continue
        if not all(out in folded for out in c._outputs):  # shape-only users fold away
            return False
    return True


def _fuse(op: Operation, spec: Specialization, keep: set, op_set: set) -> None:
    """Records a fusion when ``op`` and its producer form one of the patterns above."""
    folded, aliases = spec.folded, spec.aliases
    if op.type in ("AddV2", "Add", "BiasAdd") and len(op._inputs) == 2 and not op._control_inputs:
        if op.type == "BiasAdd" and op._attrs["data_format"].s not in (b"", b"NHWC"):
            return
        for mm_index in (0, 1):
            mm_out, bias = op._inputs[mm_index], op._inputs[1 - mm_index]
            if op.type == "BiasAdd" and mm_index != 0:
                continue
            mm = mm_out._op
            if mm.type != "MatMul" or mm in spec.absorbed or mm_out in aliases or mm_out in folded:
                continue
            if mm._control_inputs or not _single_use(mm_out, op, keep, op_set, folded):
                continue
            if mm_out.dtype.base_dtype not in _FLOATS or bias.dtype.base_dtype is not mm_out.dtype.base_dtype:
                continue
            out_shape, bias_shape = mm_out.shape, bias.shape
            if bias_shape.rank != 1 or out_shape.rank != 2 or bias_shape.as_tuple()[0] is None:
                continue
            if bias_shape.as_tuple()[0] != out_shape.as_tuple()[1]:
                continue
            kwargs = {
                "transpose_a": mm._attrs["transpose_a"].b,
                "transpose_b": mm._attrs["transpose_b"].b,
            }
            spec.fusions[op] = Fusion(fused_matmul_bias, [mm._inputs[0], mm._inputs[1], bias], kwargs)
            spec.absorbed.add(mm)
            return
    if op.type == "Reshape" and not op._control_inputs:
        total = op._inputs[0]
        sum_op = total._op
        if sum_op.type != "Sum" or sum_op in spec.absorbed or total in aliases or total in folded:
            return
        if not sum_op._attrs["keep_dims"].b or sum_op._control_inputs:
            return
        if not _single_use(total, op, keep, op_set, folded):
            return
        axes = folded.get(sum_op._inputs[1])
        in_shape, out_shape = sum_op._inputs[0].shape, op._outputs[0].shape
        if axes is None or not in_shape.is_fully_defined() or not out_shape.is_fully_defined():
            return
        if total.dtype.base_dtype not in _FLOATS:
            return
        rank = in_shape.rank
        dims = sorted({int(a) % rank for a in torch.as_tensor(axes).reshape(-1).tolist()}) if rank else []
        expected = [d for i, d in enumerate(in_shape.as_list()) if i not in dims]
        if not dims or expected != out_shape.as_list():
            return
        spec.fusions[op] = Fusion(fused_sum_reshape, [sum_op._inputs[0]], {"axes": dims})
        spec.absorbed.add(sum_op)


def _fuse_matmul_bias_relu(ops, spec: Specialization, keep, op_set) -> None:
    """A Relu of a fused MatMul + bias add whose sum nothing else reads joins the fusion."""
    folded, aliases = spec.folded, spec.aliases
    for relu in ops:
        if relu.type != "Relu" or relu in spec.fusions or relu in spec.absorbed or relu._control_inputs:
            continue
        out, x = relu._outputs[0], relu._inputs[0]
        add = x._op
        fusion = spec.fusions.get(add)
        if fusion is None or fusion.kernel is not fused_matmul_bias or out in folded or out in aliases:
            continue
        if x in folded or x in aliases or not _single_use(x, relu, keep, op_set, folded):
            continue
        spec.fusions[relu] = Fusion(fused_matmul_bias_relu, fusion.inputs, dict(fusion.kwargs))
        del spec.fusions[add]
        spec.absorbed.add(add)


def _group_updates(items, spec, keep, targets, fed, dead_ops) -> None:
    """Each group of a step's optimizer updates (``find_groups``) as one call, where its
    last member ran; the other members are absorbed."""
    live = live_items(items, keep, targets, fed, spec)
    for members in find_groups(items, spec, live, dead_ops):
        kernel, inputs, refs, kwargs = group_call(members)
        outputs = [t for op in members for t in op._outputs]  # the refs of ref variables' updates
        spec.fusions[members[-1]] = Fusion(kernel, inputs, kwargs, outputs=outputs, refs=refs)
        spec.absorbed.update(members[:-1])


# ---------------------------------------------------------------------------------------------
# GradientDescent's update of a large weight by its gradient's product (X^T @ dY), folded into the product
# (training_ops.gradient_descent_of_product: var.addmm_(X^T, dY, alpha=-lr)).

_GRADIENT_DESCENT = {"ApplyGradientDescent": True, "ResourceApplyGradientDescent": False}  # -> in place
_FOLD_MIN_ELEMENTS = 1 << 16  # smaller weights stay in the update group's one native call
_VARIABLE_OPS = ("VariableV2", "Variable", "VarHandleOp")


# Ops whose kernel may return a view of an input (or the input itself): a variable read through them is still
# the variable's storage.
_MAY_VIEW = {
    "Reshape",
    "Squeeze",
    "ExpandDims",
    "Transpose",
    "Slice",
    "StridedSlice",
    "Split",
    "SplitV",
    "Unpack",
    "BroadcastTo",
    "Pad",
    "Cast",
    "Bitcast",
    "ReverseV2",
    *_PASS_THROUGH,
}


def _variable_backed(t: Tensor, spec: Specialization) -> bool:
    """Whether ``t`` may be (a view of) a variable's value: a ref, a resource variable's read, or such a value
    through ops that may return a view of it (an update between the MatMul's place and the update's would change
    what the moved product reads)."""
    stack, seen = [t], set()
    while stack:
        source = _resolve_alias(stack.pop(), spec)
        op = source._op
        if source in seen or source in spec.folded:
            continue
        seen.add(source)
        if source.dtype.is_ref_dtype or op.type in _VARIABLE_OPS or op.type in _READS:
            return True
        if op.type in _MAY_VIEW:
            stack.extend(op._inputs)
    return False


def _fold_gradient_descent_products(ops, spec: Specialization, keep, op_set, fed) -> None:
    """Records ``training_ops.gradient_descent_of_product`` on each float32 (Resource)ApplyGradientDescent of a
    variable of at least ``_FOLD_MIN_ELEMENTS`` whose delta is a MatMul's result that nothing else reads (not
    fetched, no other user), with a scalar alpha, the MatMul absorbed, unless the product's operands are a
    variable's value.

    Ordering: the call runs where the update op ran, so each read of the variable sees what it saw with the
    update on its own: a read placed before the update (the forward product, the layer's input gradient dY @ W^T,
    which TF's GATE_OP gradients make the update wait for) runs before it, a read after it sees the new value
    (an update group, which runs later, is closed before such a read: runtime/update_groups.py). Only the product
    moves, from the MatMul's place to the update's; its operands (fresh activations and gradients, which in-place
    kernels never write: the MatMul still counts as their reader) hold the same values there."""
    live = set(ops)
    for op in ops:
        in_place = _GRADIENT_DESCENT.get(op.type)
        if in_place is None or not _runs_as_is(op, spec) or op._attrs["T"].type != DType.float32.value:
            continue
        var, alpha, delta = op._inputs
        if var._op.type not in _VARIABLE_OPS or alpha.shape.rank != 0:
            continue
        source = _resolve_alias(delta, spec)
        mm = source._op
        if mm.type != "MatMul" or mm in spec.fusions or mm in spec.absorbed or mm._control_inputs or mm not in live:
            continue
        if source in fed or source in spec.folded or not source.shape.is_fully_defined():
            continue
        if source.shape.num_elements() < _FOLD_MIN_ELEMENTS or mm.device != op.device:
            continue
        a, b = mm._inputs
        if _variable_backed(a, spec) or _variable_backed(b, spec):
            continue
        if _value_users(source, spec, op_set, keep) != [op]:
            continue
        kernel = training_ops.gradient_descent_of_product
        if op._attrs["use_locking"].b:
            kernel = locked(kernel)
        kwargs = {
            "transpose_a": mm._attrs["transpose_a"].b,
            "transpose_b": mm._attrs["transpose_b"].b,
            "in_place": in_place,
        }
        refs = frozenset({0}) if var.dtype.is_ref_dtype else frozenset()
        spec.fusions[op] = Fusion(kernel, [var, alpha, a, b], kwargs, refs=refs)
        spec.absorbed.add(mm)


def specialize(items, feed_tensors, feed_shapes, keep=(), invariants=(), targets=()) -> Specialization:
    """Folds, aliases and fusions for running ``items`` (from ``prune``) with feeds of ``feed_shapes``.

    ``keep``: tensors that must stay materialized (the fetches), so no fusion swallows them; ``targets``:
    the ops run for their effects (with ``keep``, what decides which ops still run).
    ``invariants``: feeds whose value is the same on every call within a run (what enters a loop body
    as an invariant), so work on them alone may be cached across calls. TF1 while
    loops are specialized when their cond and body are lowered; ops that may see a dead tensor (TF1
    conditionals) are left as they are, since folding them would make an untaken branch's value live.
    """
    spec = Specialization()
    fed = set(feed_tensors)
    dead_ops, _ = control_flow.dead_analysis(items, fed)
    ops = [it for it in items if isinstance(it, Operation) and it not in dead_ops]
    op_set = set(all_ops(items))
    overrides = {t: TensorShape(None if shape is None else tuple(shape)) for t, shape in zip(feed_tensors, feed_shapes)}
    folded, aliases = spec.folded, spec.aliases
    effects: dict = {}
    with graph_lib.shape_overrides(overrides):
        for op in ops:
            _refine_shapes(op, overrides, fed)
            if op._info is None:
                continue
            # A control edge only orders, and the generated code runs in a topological order anyway: a
            # folded or aliased op's control inputs are dropped (tf.tuple's gates in gradient graphs), but
            # the effects they depend on are kept alive (they run where they ran).
            gates = frozenset().union(*(_effects(c, effects, op_set) for c in op._control_inputs))
            if gates and op.type == "Snapshot":  # a copy taken at that point: keep it
                continue
            n_folded, n_aliased = len(folded), len(aliases)
            _specialize_op(op, fed, folded, aliases)
            if gates and (len(folded) != n_folded or len(aliases) != n_aliased):
                spec.keep_alive.update(gates)
        # Fusions last: whether a value has other users is only known once everything is folded.
        for op in ops:
            if op._info is not None and not any(t in folded or t in aliases for t in op._outputs):
                _fuse(op, spec, keep, op_set)
        _fuse_matmul_bias_relu(ops, spec, keep, op_set)
        _fuse_conv_backprop(items, ops, spec)
        _fuse_conv_pointwise(ops, spec, keep, op_set)
        _fuse_sum_of_matmuls(ops, spec, keep, op_set)
        _fuse_relu_in_place(ops, spec, keep, op_set)
        _fuse_lstm_cells(items, ops, spec, keep, targets, fed, op_set)
        in_pairs = {t._op for f in spec.fusions.values() if f.outputs is not None for t in f.outputs}
        for op in ops:
            if op.type not in _STATIC_ARGUMENTS or any(t in folded or t in aliases for t in op._outputs):
                continue
            if op in in_pairs:  # its static form runs if the pair's other op is not needed (lowering decides)
                _static_arguments(op, spec, spec.fallbacks, overrides)
            elif op not in spec.fusions and op not in spec.absorbed:
                _static_arguments(op, spec, spec.fusions, overrides)
        _sliced_products(items, ops, spec, keep, targets, fed, frozenset(invariants))
        _fold_gradient_descent_products(ops, spec, keep, op_set, fed)  # before the groups: its updates run alone
        _group_updates(items, spec, keep, targets, fed, dead_ops)  # after the fusions: it reads where they run
        _fuse_relu_grad_batch_norm_grad(ops, spec, keep, op_set, fed)
        _fuse_add_n_relu_grad(ops, spec, keep, op_set, fed)
        _keep_padded_inputs(ops, spec, op_set, fed, keep)
        _keep_filters(ops, spec, fed)
        _keep_weights(spec, fed)
        _direct_kernels(ops, spec)
        _fuse_max_pool_relu_grad(ops, spec, keep, op_set, fed)
        _max_pools_without_argmax(ops, spec, keep, op_set)
        _fuse_relu_grad_bias_sum(ops, spec, keep, op_set, fed)  # a ReluGrad the fusions above left alone
        _gradients_in_place(ops, spec, keep, op_set, fed)
        spec.one_thread, spec.compiled_one_thread = _one_thread_step(items, ops, spec)
    return spec


def _one_thread_step(items, ops, spec: Specialization) -> tuple[bool, bool]:
    """Whether the step of ``ops`` runs on one thread, eagerly and compiled (threads.step_on_one_thread,
    threads.compiled_step_on_one_thread), from the shapes it is specialized to: each MatMul's operands, every
    other running op's inputs and outputs (fused ops counted as they were). False with a loop in the step (its
    body decides for itself) or a shape not known."""
    if any(not isinstance(it, Operation) for it in items):
        return False, False
    products, largest = [], 0
    for op in ops:
        if op._info is None or any(t in spec.folded or t in spec.aliases for t in op._outputs):
            continue
        if op.type == "MatMul":
            a, b = op._inputs[0].shape, op._inputs[1].shape
            if not (a.is_fully_defined() and b.is_fully_defined() and a.rank == 2 and b.rank == 2):
                return False, False
            a_dims, b_dims = a.as_list(), b.as_list()
            m, k = a_dims[::-1] if op.get_attr("transpose_a") else a_dims
            n = b_dims[0] if op.get_attr("transpose_b") else b_dims[1]
            products.append((m, k, n, op._inputs[0].dtype.base_dtype.size))
            continue
        for t in (*op._inputs, *op._outputs):
            if t.dtype.base_dtype in (DType.resource, DType.variant):
                continue
            if not t.shape.is_fully_defined():
                return False, False
            largest = max(largest, t.shape.num_elements())
            if largest > max(threads.ONE_THREAD_ELEMENTS, threads.COMPILED_ONE_THREAD_ELEMENTS):
                return False, False  # (neither: no need to read on)
    return threads.step_on_one_thread(products, largest), threads.compiled_step_on_one_thread(products, largest)


# ---------------------------------------------------------------------------------------------
# Ops whose index arguments are folded and whose input shapes are known: checked once here, then run
# as the one torch call they amount to (what a loop body runs each iteration, and what torch.compile
# captures without reading a tensor on the host).


def static_slice(input, index):
    """Slice with constant begin/size, checked when specialized."""
    return input[index]


def static_concat(*values, dim):
    """ConcatV2 with a constant axis over inputs of known shapes, checked when specialized."""
    return torch.cat(values, dim)


def static_split(value, sizes, dim):
    """Split/SplitV with a constant axis and sizes, checked when specialized."""
    return torch.split(value, sizes, dim)


def static_chunk(value, chunks, dim):
    """Split into ``chunks`` equal non-empty parts (checked when specialized): torch.chunk, which is one
    call into torch where torch.split goes through Python first."""
    return torch.chunk(value, chunks, dim)


def _meta(t: Tensor):
    shape = t.shape
    dtype = t.dtype.base_dtype.torch
    if dtype is None or not shape.is_fully_defined():
        return None
    return torch.empty(shape.as_list(), dtype=dtype, device="meta")


def _static_arguments(op: Operation, spec: Specialization, into: dict, overrides: dict) -> None:
    folded = spec.folded
    t = op.type
    metas = {x: _meta(x) for x in op._inputs if x not in folded}
    if any(m is None for m in metas.values()):
        return

    def value_of(x, is_ref):
        if x in metas:
            return metas[x]
        value = torch.as_tensor(folded[x])
        # Folded data (a zero state concatenated with an input) is checked as a meta tensor too; the
        # arguments a kernel reads on the host (axes, sizes) are small integer tensors and keep their values.
        return value if not value.is_floating_point() else value.to("meta")

    try:  # TF's checks, run once on meta tensors (a failure leaves the op to fail at run time)
        kernel, args, kwargs = op._info.bind(
            op, value_of, lambda name: torch.device("meta") if name == "device" else op.name
        )
        result = kernel(*args, **kwargs)
    except Exception:
        return
    out = op._outputs[0]
    if isinstance(result, torch.Tensor) and len(op._outputs) == 1 and not out.shape.is_fully_defined():
        overrides[out] = TensorShape(list(result.shape))  # what the ops after it see (a Reshape's result)
    if t == "Slice":
        x, begin, size = op._inputs
        if begin not in folded or size not in folded or x not in metas:
            return
        b = [int(v) for v in torch.as_tensor(folded[begin]).reshape(-1).tolist()]
        n = [int(v) for v in torch.as_tensor(folded[size]).reshape(-1).tolist()]
        index = tuple(slice(bi, bi + (d - bi if si == -1 else si)) for bi, si, d in zip(b, n, metas[x].shape))
        into[op] = Fusion(static_slice, [x], {"index": index})
    elif t == "ConcatV2":
        *values, axis = op._inputs
        if axis not in folded:
            return
        dim = int(torch.as_tensor(folded[axis])) % result.dim()  # values[0] itself may be folded
        into[op] = Fusion(static_concat, list(values), {"dim": dim})
    elif t == "Split":
        split_dim, value = op._inputs
        if split_dim not in folded or value not in metas or len(op._outputs) < 2:
            return
        meta = metas[value]
        dim = int(torch.as_tensor(folded[split_dim])) % meta.dim()
        sizes = meta.shape[dim] // op._attrs["num_split"].i
        if sizes > 0:
            into[op] = Fusion(static_chunk, [value], {"chunks": op._attrs["num_split"].i, "dim": dim})
        else:
            into[op] = Fusion(static_split, [value], {"sizes": sizes, "dim": dim})
    elif t in _HOST_INT_ARGUMENTS:
        x, argument = op._inputs
        if argument in folded and x not in folded:
            value = tuple(int(v) for v in torch.as_tensor(folded[argument]).reshape(-1).tolist())
            into[op] = Fusion(kernel, [x], {**kwargs, _HOST_INT_ARGUMENTS[t]: value})
    elif t == "Reshape":
        x, shape = op._inputs
        if shape in folded and x not in folded:
            into[op] = Fusion(static_reshape, [x], {"shape": tuple(result.shape)})
    elif t == "Conv2DBackpropFilter":
        x, filter_sizes, out_backprop = op._inputs
        if filter_sizes in folded and x not in folded and out_backprop not in folded:
            kwargs["filter_sizes"] = tuple(result.shape)
            into[op] = Fusion(conv_ops.conv2d_backprop_filter_static, [x, out_backprop], kwargs)


def static_reshape(tensor, shape):
    """Reshape with a constant shape over an input of known shape (checked when specialized)."""
    return tensor.reshape(shape)


# Ops of an input and one integer argument that their kernel reads only through ``ops.common.host_ints``
# (which takes a tuple of ints in its place): with the argument folded, the kernel is called with the tuple.
_HOST_INT_ARGUMENTS = {"BroadcastTo": "shape", **{r: "reduction_indices" for r in _REDUCTIONS}}
_STATIC_ARGUMENTS = {"Slice", "ConcatV2", "Split", "Reshape", "Conv2DBackpropFilter", *_HOST_INT_ARGUMENTS}


def _specialize_op(op, fed, folded, aliases) -> None:
    """Folds ``op``'s outputs or aliases them to an input when these shapes allow it."""
    outputs = [t for t in op._outputs if t not in fed]
    if not outputs:
        return
    if op.type == "Const":
        proto = op._attrs["value"].tensor
        if proto.dtype != op._attrs["dtype"].type:
            return  # a value whose dtype is not the node's: the lowering reports it as TF's kernel does
        value = tensor_util.MakeNdarray(proto)
        if value.size <= FOLD_LIMIT:
            folded[op._outputs[0]] = (
                value if value.dtype == object else numpy_to_torch(value, DType(op._attrs["dtype"].type))
            )
        return
    if op.type in SOURCE_OPS or op._op_def.is_stateful:
        return
    if op.type in _SHAPE_OPS:
        for i, t in enumerate(op._outputs):
            value = _shape_value(op, i)
            if value is not None:
                folded[t] = torch.from_numpy(value)
        return
    if all(t in folded for t in op._inputs) and op._inputs:
        values = _evaluate(op, folded)
        if values is not None:
            for t, v in zip(op._outputs, values):
                folded[t] = v
            return
    if op.type == "IdentityN":
        for i, t in enumerate(op._outputs):
            aliases[t] = op._inputs[i]
        return
    source = _alias_source(op, folded)
    if source is not None and len(op._outputs) == 1:
        src = op._inputs[source]
        if src.dtype.base_dtype is not DType.resource:
            aliases[op._outputs[0]] = src


# ---------------------------------------------------------------------------------------------
# Convolution gradients: TF's _Conv2DGrad builds a Conv2DBackpropInput and a Conv2DBackpropFilter side
# by side from one out_backprop (and _DepthwiseConv2dNativeGrad the depthwise pair); they run as one
# convolution_backward call, which reads out_backprop once for both gradients.

_CONV_BACKPROP_ATTRS = ("T", "strides", "padding", "explicit_paddings", "data_format", "dilations")


def _item_positions(items) -> dict:
    position = {}
    for i, it in enumerate(items):
        for op in it.ops if isinstance(it, control_flow.Loop) else (it,):
            position[op] = i
    return position


def _fusable_conv_op(op, spec) -> bool:
    return (
        op not in spec.fusions
        and op not in spec.absorbed
        and not op._control_inputs
        and op._outputs[0] not in spec.folded
        and op._outputs[0] not in spec.aliases
        and op._attrs["T"].type in (DType.float32.value, DType.float64.value)
    )


def _static_dims(spec, t):
    value = spec.folded.get(t)
    if value is None or not isinstance(value, torch.Tensor) or value.dim() != 1:
        return None
    return [int(v) for v in value.tolist()]


# input-gradient op -> (its filter-gradient op, the kernel computing both)
_CONV_BACKPROP_PAIRS = {
    "Conv2DBackpropInput": ("Conv2DBackpropFilter", conv_ops.conv2d_backprop_input_and_filter),
    "DepthwiseConv2dNativeBackpropInput": (
        "DepthwiseConv2dNativeBackpropFilter",
        conv_ops.depthwise_conv2d_backprop_input_and_filter,
    ),
}


def _fuse_conv_backprop(items, ops, spec) -> None:
    """Records a ``conv2d_backprop_input_and_filter`` call for each Conv2DBackpropInput whose
    out_backprop also feeds a Conv2DBackpropFilter with the same attrs, of an input of the shape the
    first one's input_sizes give and a filter of the shape the second one's filter_sizes give. The call
    goes where the earlier of the two ran, when every input it needs is computed before that point."""
    position = None
    for grad_in in ops:
        pair = _CONV_BACKPROP_PAIRS.get(grad_in.type)
        if pair is None or not _fusable_conv_op(grad_in, spec):
            continue
        filter_type, kernel = pair
        sizes_t, filt, dy = grad_in._inputs
        for grad_f in dy._consumers:
            if grad_f.type != filter_type or grad_f._inputs[2] is not dy:
                continue
            if not _fusable_conv_op(grad_f, spec) or grad_f in spec.fusions:
                continue
            if any(grad_in._attrs.get(a) != grad_f._attrs.get(a) for a in _CONV_BACKPROP_ATTRS):
                continue
            x, filter_sizes_t, _ = grad_f._inputs
            input_sizes, filter_sizes = _static_dims(spec, sizes_t), _static_dims(spec, filter_sizes_t)
            if input_sizes is None or filter_sizes is None or len(input_sizes) != 4:
                continue
            if not x.shape.is_fully_defined() or x.shape.as_list() != input_sizes:
                continue
            if not filt.shape.is_fully_defined() or filt.shape.as_list() != filter_sizes:
                continue
            if position is None:
                position = _item_positions(items)
            if grad_f not in position or grad_in not in position:
                continue
            first, second = sorted((grad_in, grad_f), key=position.__getitem__)
            start = position[first]
            if any(position.get(t._op, -1) >= start for t in (x, filt, dy)):
                continue
            _, _, kwargs = grad_in._info.bind(grad_in, lambda t, is_ref: None, lambda name: None)
            spec.fusions[first] = Fusion(
                kernel,
                [x, filt, dy],
                kwargs,
                outputs=[grad_in._outputs[0], grad_f._outputs[0]],
            )
            spec.absorbed.add(second)
            break


# ---------------------------------------------------------------------------------------------
# Conv2D + bias add (+ Relu): one oneDNN convolution with post-ops, as TF's grappler remapper fuses
# the chain into _FusedConv2D. The convolution's and the bias add's results must have no other use.

_CONV_BIAS_ADDS = ("BiasAdd", "AddV2", "Add")


def _channel_bias(add: Operation, conv_out: Tensor, data_format: str):
    """The bias ``add`` adds to every position of ``conv_out``'s channels, or None."""
    if len(add._inputs) != 2 or add._control_inputs:
        return None
    if add.type == "BiasAdd":
        if add._inputs[0] is not conv_out:
            return None
        fmt = add._attrs["data_format"].s.decode() if "data_format" in add._attrs else "NHWC"
        if (fmt or "NHWC") != data_format:
            return None
        bias = add._inputs[1]
    else:  # an AddV2 of a 1-D bias broadcasts along the last axis: the channels of NHWC only
        if data_format != "NHWC" or add._inputs[0] is add._inputs[1]:
            return None
        bias = add._inputs[1] if add._inputs[0] is conv_out else add._inputs[0]
    channels = conv_out.shape.as_list()[3 if data_format == "NHWC" else 1]
    if bias.dtype.base_dtype is not DType.float32 or bias.shape.as_list() != [channels]:
        return None
    return bias


_POINTWISE_CONVS = ("Conv2D", "DepthwiseConv2dNative")


def _fuse_conv_pointwise(ops, spec, keep, op_set) -> None:
    """Records ``conv_ops.conv2d_bias_relu`` for each float32 Conv2D (or DepthwiseConv2dNative) whose result only feeds a channel
    bias add (whose result may only feed a Relu) or only a Relu, on the last op of the chain."""
    folded, aliases = spec.folded, spec.aliases

    def free(op):
        return (
            op not in spec.fusions
            and op not in spec.absorbed
            and not op._control_inputs
            and not any(t in folded or t in aliases for t in op._outputs)
        )

    def users(t):  # the ops of this subgraph that need t's value (shape-only users fold away)
        return [c for c in t._consumers if c in op_set and not all(o in folded for o in c._outputs)]

    def only_consumer(t, op):
        return users(t) == [op] and _single_use(t, op, keep, op_set, folded)

    for conv in ops:
        if conv.type not in _POINTWISE_CONVS or not free(conv) or conv._attrs["T"].type != DType.float32.value:
            continue
        out = conv._outputs[0]
        if not out.shape.is_fully_defined() or out.shape.rank != 4:
            continue
        data_format = conv._attrs["data_format"].s.decode() or "NHWC"
        consumers = users(out)
        if len(consumers) != 1 or not free(consumers[0]) or not only_consumer(out, consumers[0]):
            continue
        chain, bias, other, last = [conv], None, None, consumers[0]
        if last.type in _CONV_BIAS_ADDS and _channel_bias(last, out, data_format) is not None:
            bias = _channel_bias(last, out, data_format)
            chain.append(last)
        elif last.type in _BATCH_NORMS and _inference_batch_norm(last, out, data_format, users):
            chain.append(last)
        cur = chain[-1]._outputs[0]
        after = users(cur)
        if len(after) == 1 and after[0].type in ("AddV2", "Add") and free(after[0]) and only_consumer(cur, after[0]):
            other = _residual(after[0], cur)
            if other is not None:
                chain.append(after[0])
                cur = after[0]._outputs[0]
                after = users(cur)
        if len(after) == 1 and after[0].type == "Relu" and free(after[0]) and only_consumer(cur, after[0]):
            chain.append(after[0])
        if len(chain) == 1:
            continue
        _, _, kwargs = conv._info.bind(conv, lambda t, is_ref: None, lambda name: None)
        kwargs["relu"] = chain[-1].type == "Relu"
        if conv.type == "DepthwiseConv2dNative":
            kwargs["depthwise"] = True
        tail = [other] if other is not None else []
        if chain[1].type in _BATCH_NORMS:
            bn = chain[1]
            kwargs["epsilon"] = bn._attrs["epsilon"].f if "epsilon" in bn._attrs else 1e-4
            inputs = [conv._inputs[0], conv._inputs[1], *bn._inputs[1:5], *tail]
            outputs = [chain[-1]._outputs[0]]  # of a batch norm, only y is used
            spec.fusions[chain[-1]] = Fusion(conv_ops.conv2d_batch_norm_relu, inputs, kwargs, outputs=outputs)
            spec.absorbed.update(chain[:-1])
            continue
        kernel = conv_ops.conv2d_bias_relu
        inputs = [conv._inputs[0], conv._inputs[1], bias, *tail]
        if bias is None:
            inputs = [conv._inputs[0], conv._inputs[1], *tail]
            if other is None:
                kwargs["bias"] = None
            else:
                kernel = conv_ops.conv2d_add_relu
        spec.fusions[chain[-1]] = Fusion(kernel, inputs, kwargs)
        spec.absorbed.update(chain[:-1])


def _residual(add: Operation, cur: Tensor):
    """The tensor ``add`` adds to ``cur`` element by element (same static shape, float32), or None."""
    if len(add._inputs) != 2 or add._control_inputs or add._inputs[0] is add._inputs[1]:
        return None
    other = add._inputs[1] if add._inputs[0] is cur else add._inputs[0]
    if other.dtype.base_dtype is not DType.float32 or not other.shape.is_fully_defined():
        return None
    return other if other.shape.as_list() == cur.shape.as_list() else None


_BATCH_NORMS = ("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")


def _inference_batch_norm(bn: Operation, conv_out: Tensor, data_format: str, users) -> bool:
    """Whether ``bn`` normalizes ``conv_out``'s channels with given statistics (is_training false, float32
    statistics of the channel count) and nothing uses its outputs but y."""
    if bn._inputs[0] is not conv_out or bn._control_inputs or bn._attrs["is_training"].b:
        return False
    fmt = bn._attrs["data_format"].s.decode() if "data_format" in bn._attrs else "NHWC"
    if (fmt or "NHWC") != data_format:
        return False
    factor = bn._attrs.get("exponential_avg_factor")
    if factor is not None and factor.f != 1.0:
        return False
    channels = conv_out.shape.as_list()[3 if data_format == "NHWC" else 1]
    for t in bn._inputs[1:5]:
        if t.dtype.base_dtype is not DType.float32 or t.shape.as_list() != [channels]:
            return False
    return all(not users(t) for t in bn._outputs[1:])


# ---------------------------------------------------------------------------------------------
# AddN of MatMuls (a shared weight's gradient in an unrolled recurrence: one x_t^T @ dy_t per step,
# summed): one call accumulating the products into one result, without the AddN's intermediate products.


def sum_of_matmuls(*operands, transpose_a, transpose_b):
    """The sum of MatMul(a_t, b_t) over the pairs in ``operands`` (a_1, b_1, a_2, b_2, ...): each product
    added into one result by the matmul itself (addmm_), in order, as TF's AddN adds the products. (One
    matmul of the concatenated operands computes the same sum, but copying the operands together costs
    more than the separate products: 2.6 against 2.1 ms for an LSTM classifier's weight gradient.)"""
    a = [t.t() if transpose_a else t for t in operands[0::2]]
    b = [t.t() if transpose_b else t for t in operands[1::2]]
    return threads.run_product(_accumulated_products, a[0], b[0], a, b)


def _accumulated_products(a, b):
    out = torch.mm(a[0], b[0])
    for x, y in zip(a[1:], b[1:]):
        out.addmm_(x, y)
    return out


def _value_users(t: Tensor, spec: Specialization, op_set: set, keep: set):
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


def _resolve_alias(t: Tensor, spec: Specialization) -> Tensor:
    while t in spec.aliases:
        t = spec.aliases[t]
    return t


def _fuse_sum_of_matmuls(ops, spec, keep, op_set) -> None:
    for add in ops:
        if add.type != "AddN" or len(add._inputs) < 2 or add in spec.fusions or add in spec.absorbed:
            continue
        if add._control_inputs or any(t in spec.folded or t in spec.aliases for t in add._outputs):
            continue
        sources = [_resolve_alias(t, spec) for t in add._inputs]
        mms = [t._op for t in sources]
        if len(set(mms)) != len(mms) or any(mm.type != "MatMul" for mm in mms):
            continue
        flags = {(mm._attrs["transpose_a"].b, mm._attrs["transpose_b"].b) for mm in mms}
        if len(flags) != 1 or sources[0].dtype.base_dtype not in _FLOATS:
            continue
        if any(
            mm in spec.fusions
            or mm in spec.absorbed
            or mm._control_inputs
            or t in spec.folded
            or _value_users(t, spec, op_set, keep) != [add]
            for mm, t in zip(mms, sources)
        ):
            continue
        (transpose_a, transpose_b) = flags.pop()
        inputs = [x for mm in mms for x in mm._inputs]
        spec.fusions[add] = Fusion(sum_of_matmuls, inputs, {"transpose_a": transpose_a, "transpose_b": transpose_b})
        spec.absorbed.update(mms)


# ---------------------------------------------------------------------------------------------
# A constant Slice of a MatMul's product: only the rows and columns it keeps are multiplied. TF's
# gradient of concat([x, h]) @ W in a recurrent cell is MatMul(grad, W, transpose_b=True) sliced into
# the x and h parts; when only the h part is used (x needs no gradient), half the product is wasted.


def sliced_matmul(a, b, rows, cols, transpose_a, transpose_b):
    """``MatMul(a, b)[rows, cols]`` as the product of a's ``rows`` and b's ``cols`` (None: all of them)."""
    return sliced_matmul_kept(a, _columns(b, cols, transpose_b), rows, transpose_a)


def _columns(b, cols, transpose_b):
    """The columns ``cols`` of ``b`` (transposed first where ``transpose_b``), a view."""
    y = b.t() if transpose_b else b
    return y if cols is None else y[:, cols]


def kept_columns(b, cols, transpose_b):
    """The columns ``cols`` of ``b`` (transposed first where ``transpose_b``) laid out contiguously: what
    ``sliced_matmul_kept`` multiplies by."""
    return _columns(b, cols, transpose_b).contiguous()


def sliced_matmul_kept(a, kept, rows, transpose_a):
    """The product of a's ``rows`` by ``kept``, b's columns already taken (``kept_columns``, or a view of them)."""
    x = a.t() if transpose_a else a
    x = x if rows is None else x[rows]
    return threads.run_product(torch.mm, x, kept, x, kept)


def invariant_sliced_matmul():
    """``sliced_matmul`` for a ``b`` that is a loop invariant or that several calls share: b's (transposed) kept
    columns are laid out contiguously once per value of b, not on each call (torch multiplies by a contiguous
    operand faster: 64x512 by 512x128 at 156 GFLOP/s instead of 103 on the bench machine).

    The kernel's ``kept_columns`` attribute is that layout step alone, cached on b and its version: where several
    calls of one kernel read the same b in one module, lowering calls it once and the calls multiply by its
    result with the kernel's ``kept_product`` (``lowering._share_kept_columns``), which is what makes the layout
    once per step under torch.compile too (the compiler keeps no cache: it made a product by the transposed view
    each call, 27 per LSTM classifier step)."""
    cache = [None]  # (the b tensor, its version, its kept columns laid out), replaced as one (threads)

    def invariant_kept_columns(b, cols, transpose_b):
        if torch.compiler.is_compiling():  # once per call of the compiled module
            return kept_columns(b, cols, transpose_b)
        entry = cache[0]
        if entry is None or entry[0] is not b or entry[1] != b._version:
            entry = (b, b._version, kept_columns(b, cols, transpose_b))
            cache[0] = entry
        return entry[2]

    def sliced_matmul_invariant_b(a, b, rows, cols, transpose_a, transpose_b):
        if torch.compiler.is_compiling():  # alone in its module: the product by the transposed view
            return sliced_matmul(a, b, rows, cols, transpose_a, transpose_b)
        return sliced_matmul_kept(a, invariant_kept_columns(b, cols, transpose_b), rows, transpose_a)

    sliced_matmul_invariant_b.kept_columns = invariant_kept_columns
    sliced_matmul_invariant_b.kept_product = sliced_matmul_kept  # (lowering cannot import this module)
    return sliced_matmul_invariant_b


def _sliced_products(items, ops, spec: Specialization, keep, targets, fed, invariants: frozenset) -> None:
    """Replaces each static Slice (``static_slice``) of a 2-D float MatMul whose product nothing else reads
    at run time by ``sliced_matmul`` of the MatMul's operands, absorbing the MatMul. (TF's gradients read
    the product through tf.tuple's Identities and gate the other slice with a NoOp: once those are aliases
    and the unused slice is pruned, the used slice is the product's only reader.)"""
    folded = spec.folded
    candidates = {}
    for op in ops:
        fusion = spec.fusions.get(op)
        if op.type == "Slice" and fusion is not None and fusion.kernel is static_slice:
            product = resolve(op._inputs[0], spec)
            if product._op.type == "MatMul" and product not in folded:
                candidates[op] = product
    if not candidates:
        return
    # Who reads each product at run time: every input of every item that still runs (a superset of what
    # the generated code reads), and the fetches.
    live = live_items(items, list(keep), list(targets), fed, spec)
    readers: dict = {}
    for it in live:
        for t in it._inputs:
            readers.setdefault(resolve(t, spec), []).append(it)
    kept = {resolve(t, spec) for t in keep}
    groups: dict = {}  # (b, kept columns, transpose_b) -> the Slices computed as products of them
    for op, product in candidates.items():
        mm = product._op
        if readers.get(product) != [op] or product in kept or product in fed:
            continue
        if mm in spec.absorbed or mm in spec.fusions or mm._control_inputs or mm not in live:
            continue
        a, b = mm._inputs
        if product.dtype.base_dtype not in _FLOATS or product.shape.rank != 2:
            continue
        if any(x in folded or _meta(x) is None or x.shape.rank != 2 for x in (a, b)):
            continue
        transpose_a, transpose_b = mm._attrs["transpose_a"].b, mm._attrs["transpose_b"].b
        n_rows = a.shape.as_list()[1 if transpose_a else 0]
        n_inner = a.shape.as_list()[0 if transpose_a else 1]
        n_cols = b.shape.as_list()[0 if transpose_b else 1]
        if n_inner != b.shape.as_list()[1 if transpose_b else 0] or product.shape.as_list() != [n_rows, n_cols]:
            continue  # the MatMul fails at run time: it runs as it is, and fails naming itself
        rows, cols = spec.fusions[op].kwargs["index"]
        rows = None if rows.indices(n_rows) == (0, n_rows, 1) else rows
        cols = None if cols.indices(n_cols) == (0, n_cols, 1) else cols
        if rows is None and cols is None:
            continue
        kwargs = {"rows": rows, "cols": cols, "transpose_a": transpose_a, "transpose_b": transpose_b}
        spec.fusions[op] = Fusion(sliced_matmul, [a, b], kwargs)
        spec.absorbed.add(mm)
        key = (resolve(b, spec), None if cols is None else (cols.start, cols.stop, cols.step), transpose_b)
        groups.setdefault(key, []).append(op)
    # Products by the same kept columns of the same b (a loop invariant, or one weight's slice in every step
    # of an unrolled recurrence's gradient: h's part of concat([x, h]) @ W) share one contiguous copy of them.
    for (b, _, _), slices in groups.items():
        if b in invariants or len(slices) > 1:
            kernel = invariant_sliced_matmul()
            for op in slices:
                spec.fusions[op].kernel = kernel


# ---------------------------------------------------------------------------------------------
# Float and integer arithmetic whose operands' shapes are known to broadcast: the torch function itself
# is the kernel (the registered one only adds TF's wording to a broadcasting failure, which cannot happen
# then). What a loop body runs each iteration, without a Python call around each.

_DIRECT = {"Mul": torch.mul, "AddV2": torch.add, "Add": torch.add, "Sub": torch.sub}
_DIRECT_TYPES = _FLOATS | {DType.int32, DType.int64}


def sigmoid_grad_direct(y, dy):
    """SigmoidGrad of float operands of one shape (known when specialized): torch's one-pass sigmoid backward,
    the call unary_ops.sigmoid_grad makes after its checks. The LSTM cells' gradients make 3 per step."""
    return torch.ops.aten.sigmoid_backward.default(dy, y)


def tanh_grad_direct(y, dy):
    """TanhGrad of float operands of one shape (known when specialized): torch's one-pass tanh backward."""
    return torch.ops.aten.tanh_backward.default(dy, y)


_DIRECT_GRADS = {"SigmoidGrad": sigmoid_grad_direct, "TanhGrad": tanh_grad_direct}


# Float element-wise functions that torch computes with MKL's VML, splitting them over its threads from 2049
# elements on (ops/threads.py; 2-3x the CPU time of one thread for 8192 elements at two threads): the
# registered kernel runs on this thread alone up to ONE_THREAD_ELEMENTS. (float32 Tanh on the CPU is a native
# kernel on the calling thread, ops/tanh_native.py, and an LSTM cell's two Tanh run in its fused call,
# _fuse_lstm_cells: the rule still serves Tanh of other float dtypes.)
_VML_UNARY = (
    "Tanh",
    "Exp",
    "Expm1",
    "Log",
    "Log1p",
    "Sqrt",
    "Sin",
    "Cos",
    "Tan",
    "Atan",
    "Erf",
    "Floor",
    "Ceil",
    "Rint",
)
_ONE_THREAD_KERNELS: dict = {}


def one_thread_kernel(kernel):
    """``kernel`` (an element-wise function of one tensor) on this thread alone, named ``<kernel>_one_thread``."""
    fn = _ONE_THREAD_KERNELS.get(kernel)
    if fn is None:

        def call(x):
            return threads.on_one_thread(kernel, x)

        call.__name__ = call.__qualname__ = kernel.__name__ + "_one_thread"
        fn = _ONE_THREAD_KERNELS[kernel] = call
    return fn


def _direct_kernels(ops, spec: Specialization) -> None:
    for op in ops:
        if op.type in _VML_UNARY and _runs_as_is(op, spec) and len(op._inputs) == 1:
            x = op._inputs[0]
            small = x.shape.is_fully_defined() and 2048 < x.shape.num_elements() <= threads.ONE_THREAD_ELEMENTS
            if x.dtype.base_dtype in _FLOATS and small and op._info.kernel is not None:
                spec.kernels[op] = one_thread_kernel(op._info.kernel)
            continue
        grad, fn = _DIRECT_GRADS.get(op.type), _DIRECT.get(op.type)
        if (grad is None and fn is None) or not _runs_as_is(op, spec) or len(op._inputs) != 2:
            continue
        x, y = op._inputs
        dtype = x.dtype.base_dtype
        if y.dtype.base_dtype is not dtype or not x.shape.is_fully_defined() or not y.shape.is_fully_defined():
            continue
        x_dims, y_dims = x.shape.as_list(), y.shape.as_list()
        if grad is not None:  # float operands of one shape
            if dtype in _FLOATS and x_dims == y_dims:
                spec.kernels[op] = grad
            continue
        if dtype not in _DIRECT_TYPES:
            continue
        try:
            torch.broadcast_shapes(tuple(x_dims), tuple(y_dims))
        except RuntimeError:
            continue
        spec.kernels[op] = fn


def _runs_as_is(op, spec: Specialization) -> bool:
    """Whether ``op`` runs its registered kernel in the generated code: not folded, aliased, fused or
    absorbed (and has one)."""
    if op in spec.fusions or op in spec.absorbed or op._info is None:
        return False
    return not any(t in spec.folded or t in spec.aliases for t in op._outputs)


# ---------------------------------------------------------------------------------------------
# A Relu of a fresh float result that nothing else reads (a training-mode FusedBatchNorm's y, as TF's
# remapper fuses into _FusedBatchNormEx; a residual AddV2): the Relu runs in place on that result, one
# pass over memory already in cache instead of a second, freshly allocated tensor.

_BATCH_NORM_TYPES = ("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")


def fused_batch_norm_relu(x, scale, offset, mean, variance, *, version, **attrs):
    """A FusedBatchNorm ``version``'s outputs with Relu applied to y (in the native training kernel's
    output pass, or in place on y, the kernel's own new tensor). Not an op (specialization's)."""
    return nn_ops.fused_batch_norm_relu(version, x, scale, offset, mean, variance, **attrs)


def add_relu(x, y):
    """Relu(AddV2(x, y)), the Relu in place on the sum. Not an op (specialization's)."""
    return torch.relu_(torch.add(x, y))


def fused_batch_norm_add_relu(x, scale, offset, mean, variance, side, *, version, **attrs):
    """A FusedBatchNorm ``version``'s outputs with Relu(AddV2(y, side)) in place of y (a residual block's
    end: the native training kernel adds ``side`` in its output pass). Not an op (specialization's)."""
    return nn_ops.fused_batch_norm_add_relu(version, x, scale, offset, mean, variance, side, **attrs)


def _fuse_relu_in_place(ops, spec, keep, op_set) -> None:
    """Records ``fused_batch_norm_relu`` (on the batch norm, which it replaces, with the Relu absorbed) or
    ``add_relu`` (on the Relu, the AddV2 absorbed) for each float Relu whose input is a FusedBatchNorm's y
    or a float AddV2/Add of two tensors of its dtype, read by nothing else."""
    folded, aliases = spec.folded, spec.aliases

    def free(op):
        return (
            op not in spec.fusions
            and op not in spec.absorbed
            and op._info is not None
            and not op._control_inputs
            and not any(t in folded or t in aliases for t in op._outputs)
        )

    position = {op: i for i, op in enumerate(ops)}
    for relu in ops:
        if relu.type != "Relu" or not free(relu) or relu._attrs["T"].type not in _FLOAT_TYPE_VALUES:
            continue
        t = relu._inputs[0]
        producer = t._op
        if producer not in op_set or not free(producer) or not _single_use(t, relu, keep, op_set, folded):
            continue
        if producer.type in _BATCH_NORM_TYPES and t is producer._outputs[0]:
            if producer._attrs["T"].type != relu._attrs["T"].type:
                continue
            _, _, kwargs = producer._info.bind(producer, lambda t, is_ref: None, lambda name: None)
            spec.fusions[producer] = Fusion(
                fused_batch_norm_relu,
                list(producer._inputs),
                {"version": producer.type, **kwargs},
                outputs=[relu._outputs[0], *producer._outputs[1:]],
            )
            spec.absorbed.add(relu)
        elif producer.type in ("AddV2", "Add") and len(producer._inputs) == 2:
            x, y = producer._inputs
            if x.dtype.base_dtype is not t.dtype.base_dtype or y.dtype.base_dtype is not t.dtype.base_dtype:
                continue
            if _fuse_batch_norm_add_relu(relu, producer, spec, keep, op_set, free, position):
                continue
            spec.fusions[relu] = Fusion(add_relu, [x, y], {})
            spec.absorbed.add(producer)


_FLOAT_TYPE_VALUES = (DType.float32.value, DType.float64.value)


def _fuse_batch_norm_add_relu(relu, add, spec, keep, op_set, free, position) -> bool:
    """Records ``fused_batch_norm_add_relu`` on a FusedBatchNorm whose y only ``add`` reads, when the
    other addend has y's static shape and is computed before the batch norm (the call runs where the
    batch norm ran), with ``add`` and ``relu`` absorbed; whether it did."""
    for y, side in (add._inputs, add._inputs[::-1]):
        bn = y._op
        if bn.type not in _BATCH_NORM_TYPES or y is not bn._outputs[0] or bn not in op_set or not free(bn):
            continue
        if bn._attrs["T"].type != relu._attrs["T"].type or not _single_use(y, add, keep, op_set, spec.folded):
            continue
        if not y.shape.is_fully_defined() or side.shape.as_list() != y.shape.as_list() or side is y:
            continue
        source = _resolve_alias(side, spec)
        if source not in spec.folded and position.get(source._op, len(position)) >= position[bn]:
            continue
        _, _, kwargs = bn._info.bind(bn, lambda t, is_ref: None, lambda name: None)
        spec.fusions[bn] = Fusion(
            fused_batch_norm_add_relu,
            [*bn._inputs[:5], side],
            {"version": bn.type, **kwargs},
            outputs=[relu._outputs[0], *bn._outputs[1:]],
        )
        spec.absorbed.update((add, relu))
        return True
    return False


# ---------------------------------------------------------------------------------------------
# A ReluGrad whose only reader is a training FusedBatchNormGrad (TF's gradient of Relu(FusedBatchNorm),
# the _FusedBatchNormEx pattern): one call computes both, the native kernel reading the ReluGrad's inputs in
# its two passes instead of a ReluGrad result (writing over the incoming gradient where that is private).

_BATCH_NORM_GRAD_TYPES = ("FusedBatchNormGrad", "FusedBatchNormGradV2", "FusedBatchNormGradV3")


def _fuse_relu_grad_batch_norm_grad(ops, spec: Specialization, keep, op_set, fed) -> None:
    """Records ``nn_ops.fused_batch_norm_grad_relu`` on each float32 channels-last training batch norm
    gradient whose y_backprop is a float32 ReluGrad that nothing else reads, with the ReluGrad absorbed."""
    for op in ops:
        if op.type not in _BATCH_NORM_GRAD_TYPES or op in spec.kernels or not _runs_as_is(op, spec):
            continue
        if not op._attrs["is_training"].b or op._attrs["data_format"].s.decode().startswith("NC"):
            continue
        relu_grad = op._inputs[0]._op
        if relu_grad.type != "ReluGrad" or relu_grad not in op_set or relu_grad in spec.kernels:
            continue
        if relu_grad._control_inputs or not _runs_as_is(relu_grad, spec):
            continue
        if relu_grad._attrs["T"].type != DType.float32.value or op._attrs["T"].type != DType.float32.value:
            continue
        if _value_users(relu_grad._outputs[0], spec, op_set, keep) != [op]:
            continue
        gradients, features = relu_grad._inputs
        _, _, kwargs = op._info.bind(op, lambda t, is_ref: None, lambda name: None)
        kwargs["in_place"] = _private_result(gradients, relu_grad, spec, op_set, keep, fed)
        spec.fusions[op] = Fusion(nn_ops.fused_batch_norm_grad_relu, [gradients, features, *op._inputs[1:5]], kwargs)
        spec.absorbed.add(relu_grad)


# ---------------------------------------------------------------------------------------------
# A ReluGrad whose result a bias gradient sums (a hidden layer's ``relu(x @ W + b)``: the AddV2's gradient
# sums the ReluGrad over all axes but the last, Sum(keep_dims) + Reshape, which ``_fuse`` made one
# ``fused_sum_reshape``): one pass computes both, the sums added while the rows are in cache, the ReluGrad
# written over the incoming gradient where that is private (see ``_private_result``). The sums are
# torch.sum's, bit for bit (gradient_sum_native says how); the ReluGrad is relu_grad's.


def relu_grad_bias_sum(gradients, features, *, axes, in_place):
    """``(ReluGrad(gradients, features), its Sum over axes)``, axes all but the last: the native pass where it
    applies, else ``nn_ops.relu_grad_`` (``in_place``) or ``relu_grad`` and torch.sum. Not an op."""
    out = gradient_sum_native.relu_grad_bias_sum(gradients, features, in_place)
    if out is not None:
        return out
    grad = nn_ops.relu_grad_(gradients, features) if in_place else nn_ops.relu_grad(gradients, features)
    return grad, torch.sum(grad, axes)


def _fuse_relu_grad_bias_sum(ops, spec: Specialization, keep, op_set, fed) -> None:
    """Records ``relu_grad_bias_sum`` on each float32 ReluGrad whose result a ``fused_sum_reshape`` over all
    axes but the last reads (through its Sum), the Reshape absorbed (its fused sum is its fallback)."""
    for op in ops:
        if op.type != "ReluGrad" or not _runs_as_is(op, spec) or op._control_inputs:
            continue
        if op._attrs["T"].type != DType.float32.value:
            continue
        grad = op._outputs[0]
        rank = grad.shape.rank
        users = _value_users(grad, spec, op_set, keep)
        if not users or rank is None or rank < 2:
            continue
        for sum_op in users:
            if sum_op.type != "Sum" or sum_op not in spec.absorbed:
                continue
            reshape = next((c for c in sum_op._outputs[0]._consumers if c in op_set), None)
            fusion = spec.fusions.get(reshape)
            if (
                fusion is None
                or fusion.kernel is not fused_sum_reshape
                or fusion.kwargs["axes"] != list(range(rank - 1))
            ):
                continue
            if _resolve_alias(fusion.inputs[0], spec) is not grad or reshape in spec.fallbacks:
                continue
            in_place = _private_result(op._inputs[0], op, spec, op_set, keep, fed)
            spec.fusions[op] = Fusion(
                relu_grad_bias_sum,
                list(op._inputs),
                {"axes": fusion.kwargs["axes"], "in_place": in_place},
                outputs=[grad, reshape._outputs[0]],
            )
            spec.fallbacks[reshape] = spec.fusions.pop(reshape)
            spec.absorbed.add(reshape)
            break


# ---------------------------------------------------------------------------------------------
# ReluGrad over a gradient that only it reads and that its producer computed afresh (a convolution's
# input gradient, a MaxPool gradient, an AddN, ...: what TF's gradient graphs feed it): the result is
# written over that gradient instead of into a new full-size tensor. The pass is the same; the new tensor
# is what costs (for a ResNet-sized activation that misses the cache, about as much again as the pass).
# (The same for AddN's first input was measured and dropped: no gain in the ResNet step, 1.03x.)

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


def _private_result(t: Tensor, consumer: Operation, spec: Specialization, op_set: set, keep: set, fed: set) -> bool:
    """Whether ``t`` (through its aliases) is output 0 of an op that computes it afresh, not fed, and
    ``consumer`` is the only op that needs its value at run time."""
    source = _resolve_alias(t, spec)
    op = source._op
    if source in fed or source in spec.folded or op not in op_set or op._info is None or source is not op._outputs[0]:
        return False
    if op.type not in _FRESH_RESULTS or (op.type == "AddN" and len(op._inputs) < 2):
        return False
    return _value_users(source, spec, op_set, keep) == [consumer]


def _gradients_in_place(ops, spec: Specialization, keep, op_set, fed) -> None:
    """Records ``nn_ops.relu_grad_`` for a float ReluGrad whose ``gradients`` is private (see
    ``_private_result``)."""
    for op in ops:
        if op.type != "ReluGrad" or op in spec.kernels or not _runs_as_is(op, spec):
            continue
        if op._attrs["T"].type in _FLOAT_TYPE_VALUES and _private_result(op._inputs[0], op, spec, op_set, keep, fed):
            spec.kernels[op] = nn_ops.relu_grad_


# op types whose kernels (and the fusions recorded on them) return a tensor object made in the run: a Conv2D
# input such an op computes is never a tensor that outlives the run (a fed tensor, a variable's value, a
# constant) and that could change outside torch's version counters between runs
_FRESH_ACTIVATIONS = {
    "Relu",
    "Relu6",
    "Elu",
    "Selu",
    "LeakyRelu",
    "FusedBatchNorm",
    "FusedBatchNormV2",
    "FusedBatchNormV3",
    "Conv2D",
    "DepthwiseConv2dNative",
    "MaxPool",
    "AvgPool",
    "BiasAdd",
    "AddV2",
    "Add",
}


def _keep_filters(ops, spec: Specialization, fed: set) -> None:
    """Lets each conv + bias / batch norm (+ add) (+ Relu) fusion keep its filter folded and reordered between runs
    (``conv_ops._Folded``, the kernels' ``keep_filter``) where neither the filter nor a folded batch norm input is
    a fed tensor: a fed torch tensor may be refilled through a numpy view between runs without a version change,
    where variables and constants change only through torch. Likewise a training step's Conv2D (its kernel's
    ``conv2d_keeping_filter`` variant) and fused input + filter gradient keep one copy of such a filter in the
    layout oneDNN reads for the step (``conv_ops._oihw``)."""
    kernels = (conv_ops.conv2d_bias_relu, conv_ops.conv2d_add_relu, conv_ops.conv2d_batch_norm_relu)
    for fusion in spec.fusions.values():
        if fusion.kernel in kernels:
            params = fusion.inputs[1:6] if fusion.kernel is conv_ops.conv2d_batch_norm_relu else fusion.inputs[1:2]
            fusion.kwargs["keep_filter"] = not any(_resolve_alias(t, spec) in fed for t in params)
        elif fusion.kernel is conv_ops.conv2d_backprop_input_and_filter:
            # the training step's gradients read the filter copy its forward kept (conv_ops._oihw)
            fusion.kwargs["keep_filter"] = _resolve_alias(fusion.inputs[1], spec) not in fed
    for op in ops:
        if op.type == "Conv2D" and _resolve_alias(op._inputs[1], spec) not in fed:
            kernel = spec.kernels.get(op) if op in spec.kernels else (op._info and op._info.kernel)
            keeping = _KEEPING_FILTER.get(kernel)
            if keeping is not None and _runs_as_is(op, spec):
                spec.kernels[op] = keeping


# a Conv2D's kernel -> the same kernel keeping its filter's oneDNN layout for the step's gradients (conv_ops._oihw)
_KEEPING_FILTER = {
    conv_ops.conv2d: conv_ops.conv2d_keeping_filter,
    conv_ops.conv2d_keeping_padded: conv_ops.conv2d_keeping_padded_and_filter,
}


def _keep_weights(spec: Specialization, fed: set) -> None:
    """Lets each MatMul + bias add (+ Relu) fusion keep its weight packed between runs (``keep_weight``,
    ``matmul_ops.kept_weight_product``) where the weight is not a fed tensor (refilled through a numpy view
    between runs without a version change, see ``_keep_filters``)."""
    for fusion in spec.fusions.values():
        if (
            fusion.kernel in (fused_matmul_bias, fused_matmul_bias_relu)
            and _resolve_alias(fusion.inputs[1], spec) not in fed
        ):
            fusion.kwargs["keep_weight"] = True


def _keep_padded_inputs(ops, spec: Specialization, op_set: set, fed: set, keep: set) -> None:
    """Has each Conv2D (or its conv + bias add / residual add + Relu fusion) whose input is an activation
    computed in the run (``_FRESH_ACTIVATIONS``) that a Conv2DBackpropFilter reads too, and whose padding is
    asymmetric, keep its padded copy of the input for the gradients (``conv_ops.conv2d_keeping_padded``, a
    fusion's ``keep_padded``): one copy where there were two or more; and where a batch norm + Relu fusion
    computes that input, none (``_pad_in_producer``)."""
    graded = set()
    for op in ops:
        if op.type == "Conv2DBackpropFilter" and op in op_set:
            graded.add(_resolve_alias(op._inputs[0], spec))

    def keeps(input, filter, attrs) -> bool:
        source = _resolve_alias(input, spec)
        if source not in graded or source in fed or source in spec.folded or source._op not in op_set:
            return False
        if (
            source._op.type not in _FRESH_ACTIVATIONS
            or source._op._info is None
            or source is not source._op._outputs[0]
        ):
            return False
        return _pads_asymmetrically(input.shape, filter.shape, **attrs)

    for op in ops:
        if op.type == "Conv2D" and op not in spec.kernels and _runs_as_is(op, spec):
            _, _, attrs = op._info.bind(op, lambda t, is_ref: None, lambda name: None)
            if keeps(op._inputs[0], op._inputs[1], attrs):
                spec.kernels[op] = conv_ops.conv2d_keeping_padded
                _pad_in_producer(op, attrs, spec, op_set, keep)
    for fusion in spec.fusions.values():
        if fusion.kernel in (conv_ops.conv2d_bias_relu, conv_ops.conv2d_add_relu) and not fusion.kwargs.get(
            "depthwise"
        ):
            attrs = {
                k: fusion.kwargs[k] for k in ("strides", "padding", "explicit_paddings", "data_format", "dilations")
            }
            if keeps(fusion.inputs[0], fusion.inputs[1], attrs):
                fusion.kwargs["keep_padded"] = True


def _pad_in_producer(conv, attrs, spec: Specialization, op_set: set, keep: set) -> None:
    """Has the training batch norm + Relu fusion (``fused_batch_norm_relu``, ``fused_batch_norm_add_relu``) whose
    y the keeping-padded NHWC ``conv`` reads write y inside the zero border the convolution pads
    (``nn_ops._fused_batch_norm``'s ``padded_for``): the convolution then reads that tensor instead of making
    its padded copy (ResNet's stride-2 layers). Only where y is not fetched, its window is static, and every
    reader of y takes it as a view at no cost (``_reads_bordered``)."""
    window = _window(conv, conv._inputs[1], attrs)
    if window is None:
        return
    source = _resolve_alias(conv._inputs[0], spec)
    for fusion in spec.fusions.values():
        if fusion.kernel in (fused_batch_norm_relu, fused_batch_norm_add_relu) and fusion.outputs[0] is source:
            break
    else:
        return
    if "padded_for" in fusion.kwargs or not fusion.kwargs.get("is_training"):
        return
    users = _value_users(source, spec, op_set, keep)
    if users is not None and all(_reads_bordered(u, window, spec) for u in users):
        fusion.kwargs["padded_for"] = window


def _window(op, filter, attrs):
    """(window size, strides, padding, explicit_paddings, dilations) of an NHWC convolution (or filter gradient)
    ``op`` whose filter is ``filter`` (a tensor of the filter's static shape), None when not NHWC or not static."""
    if attrs["data_format"] != "NHWC" or filter.shape.rank != 4 or None in filter.shape.as_list()[:2]:
        return None
    k_hw = tuple(filter.shape.as_list()[:2])
    return k_hw, list(attrs["strides"]), attrs["padding"], list(attrs["explicit_paddings"]), list(attrs["dilations"])


def _reads_bordered(op, window, spec: Specialization) -> bool:
    """Whether ``op`` reads a bordered y (a view with a row stride) at no cost: a convolution or filter gradient
    with the bordering convolution's ``window`` (it takes the bordered tensor itself), a strided 1x1 one (it
    gathers its pixels anyway), or a ReluGrad that runs alone or with an AddN (strided rows; not one inside a
    native batch norm gradient, which reads contiguous features only). Others would copy y, or fall back."""
    if op.type == "ReluGrad":
        return op not in spec.absorbed
    if op.type not in ("Conv2D", "Conv2DBackpropFilter"):
        return False
    _, _, attrs = op._info.bind(op, lambda t, is_ref: None, lambda name: None)
    own = _window(op, op._inputs[1] if op.type == "Conv2D" else op._outputs[0], attrs)
    if own is None:
        return False
    k_hw, strides, padding, _, dilations = own
    return own == window or (
        k_hw == (1, 1) and strides[1:3] != [1, 1] and padding != "EXPLICIT" and dilations == [1] * 4
    )


def _pads_asymmetrically(x, f, strides, padding, explicit_paddings, data_format, dilations) -> bool:
    """Whether a convolution of an input of static shape ``x`` with a filter of static shape ``f`` pads more on
    one side than the other (torch needs a padded copy then), as far as the static shapes tell (unknown: it
    may)."""
    if len(strides) != 4 or len(dilations) != 4 or (padding == "EXPLICIT" and len(explicit_paddings) != 8):
        return False  # the kernel raises TF's error
    if x.rank != 4 or f.rank != 4:
        return True
    h, w, _ = windows.spatial_axes(data_format)
    pairs = windows.explicit_pairs(explicit_paddings, data_format, padding)
    for axis, k, (before, after) in zip((h, w), f.as_list()[:2], pairs):
        size = x.as_list()[axis]
        if size is None or k is None:
            return True
        _, low, high = windows.window_size(size, k, strides[axis], dilations[axis], padding, before, after)
        if low != high:
            return True
    return False


def add_n_relu_grad(a, b, features, *, in_place):
    """ReluGrad(AddN(a, b), features): a residual block's input gradient (its branches' gradients summed, then
    through the Relu that made the input) in one native pass where it applies (ops/gradient_sum_native.py),
    written over ``a`` when ``in_place`` (a fresh result only the AddN read); else the two kernels. Not an op
    (specialization's)."""
    out = gradient_sum_native.add_relu_grad(a, b, features, in_place)
    if out is not None:
        return out
    return nn_ops.relu_grad_(math_ops.add_n([a, b]), features)


def _fuse_add_n_relu_grad(ops, spec: Specialization, keep, op_set, fed) -> None:
    """Records ``add_n_relu_grad`` (on the ReluGrad, the AddN absorbed) for each float32 ReluGrad whose
    gradients are a two-term AddN that nothing else reads (a ReluGrad that a batch norm gradient absorbed
    already is left to it)."""
    for op in ops:
        if op.type != "ReluGrad" or op in spec.kernels or not _runs_as_is(op, spec):
            continue
        if op._attrs["T"].type != DType.float32.value:
            continue
        if not _private_result(op._inputs[0], op, spec, op_set, keep, fed):
            continue
        add = _resolve_alias(op._inputs[0], spec)._op
        if add.type != "AddN" or len(add._inputs) != 2 or not _runs_as_is(add, spec) or add._control_inputs:
            continue
        a, b = add._inputs
        # written over a fresh a that only the AddN reads (and that is not b as well)
        in_place = _private_result(a, add, spec, op_set, keep, fed)
        in_place = in_place and _resolve_alias(b, spec) is not _resolve_alias(a, spec)
        spec.fusions[op] = Fusion(add_n_relu_grad, [a, b, op._inputs[1]], {"in_place": in_place})
        spec.absorbed.add(add)


def _fuse_max_pool_relu_grad(ops, spec: Specialization, keep, op_set, fed) -> None:
    """Records ``pool_ops.max_pool_grad_relu`` (on the ReluGrad, the MaxPoolGrad absorbed) for each float
    ReluGrad of a private MaxPoolGrad result (see ``_private_result``) whose ``features`` are that
    MaxPoolGrad's ``orig_input``: a max-pool of a Relu's output, as TF's gradients of conv + Relu +
    max-pool have it. The pooled gradient goes through the Relu as it is written, not in a second pass."""
    for op in ops:
        if op.type != "ReluGrad" or not _runs_as_is(op, spec) or op._attrs["T"].type not in _FLOAT_TYPE_VALUES:
            continue
        if not _private_result(op._inputs[0], op, spec, op_set, keep, fed):
            continue
        pool = _resolve_alias(op._inputs[0], spec)._op
        if pool.type != "MaxPoolGrad" or not _runs_as_is(pool, spec) or pool._control_inputs:
            continue
        if _resolve_alias(pool._inputs[0], spec) is not _resolve_alias(op._inputs[1], spec):
            continue
        _, _, kwargs = pool._info.bind(pool, lambda t, is_ref: None, lambda name: None)
        spec.fusions[op] = Fusion(pool_ops.max_pool_grad_relu, list(pool._inputs), kwargs)
        spec.absorbed.add(pool)


def _max_pools_without_argmax(ops, spec: Specialization, keep, op_set) -> None:
    """Records ``pool_ops.max_pool_values`` for each MaxPool whose result no MaxPoolGrad of the step reads
    (inference, or a pool under stop_gradient): the argmax the forward otherwise keeps for that gradient
    is not computed. A fetched result keeps it (a later run may feed it to a gradient: only a speed matter)."""
    for op in ops:
        if op.type != "MaxPool" or op in spec.kernels or not _runs_as_is(op, spec):
            continue
        users = _value_users(op._outputs[0], spec, op_set, keep)
        if users is not None and not any(u.type.startswith("MaxPoolGrad") for u in users):
            spec.kernels[op] = pool_ops.max_pool_values


# ---------------------------------------------------------------------------------------------
# An LSTM cell's element-wise ops (TF's BasicLSTMCell, and LSTMCell without peepholes or projection:
# Split(gates) -> i, j, f, o; new_c = c * Sigmoid(f + forget_bias) + Sigmoid(i) * Tanh(j); new_h = Tanh(new_c) *
# Sigmoid(o); a cell written by hand may split its gates in another order and add no forget bias) as one call,
# and TF's gradient of them (two Mul per product, three SigmoidGrad and two TanhGrad, the
# AddN of c's two gradients, the ConcatV2 that is Split's gradient) as another: ten-odd kernel calls of
# [batch, units] each, per step and direction, become one pass (ops/lstm_cell_native.py). The calls compute
# every value of the ops they replace that anything else reads (the activations the gradient reads, c_prev's
# gradient), and only where every other value has no reader outside the cell.


class _CellMatch:
    """What the LSTM matchers share: the specialization and which ops may join a fusion, and which values
    have readers outside it."""

    def __init__(self, items, ops, spec, keep, targets, fed, op_set):
        self.items, self.spec, self.keep, self.targets, self.fed, self.op_set = items, spec, keep, targets, fed, op_set
        self.ops = set(ops)
        self._live = self._position = self._item_of = None
        self.recorded = {}  # the op each fusion is recorded on: the ops of its cell

    def free(self, op) -> bool:
        spec = self.spec
        return (
            op in self.ops
            and op not in spec.fusions
            and op not in spec.absorbed
            and op._info is not None
            and not op._control_inputs
            and not any(t in spec.folded or t in spec.aliases for t in op._outputs)
        )

    def users(self, t):
        """The ops that still run and need ``t``'s value (None: a fetch does). (Not those only a control edge
        makes part of the subgraph: the Sum of a constant's gradient that a tf.tuple's group waits for, where
        the tuple's Identities are aliases.)"""
        found = _value_users(t, self.spec, self.op_set, self.keep)
        return None if found is None else [op for op in found if self.item_of(op) in self.live()]

    def readers(self, t) -> list:
        """The ops that still run and need ``t``'s value, fetched or not."""
        return [op for op in _value_users(t, self.spec, self.op_set, ()) if self.item_of(op) in self.live()]

    def item_of(self, op):
        """The item of ``items`` that runs ``op`` (a loop, for an op of a loop's frame)."""
        if self._item_of is None:
            self._item_of = {
                o: it for it in self.items for o in (it.ops if isinstance(it, control_flow.Loop) else (it,))
            }
        return self._item_of.get(op)

    def source(self, t):
        return _resolve_alias(t, self.spec)

    def live(self) -> set:
        if self._live is None:
            self._live = live_items(self.items, self.keep, self.targets, self.fed, self.spec)
        return self._live

    def record(self, kernel, inputs, kwargs, cell_ops, exposed) -> bool:
        """Records the fusion on the last op of ``cell_ops`` that runs before anything outside them reads an
        ``exposed`` tensor, when every input is computed before that op and every op of ``cell_ops`` still
        runs; whether it did. (A loop's gradient body pops the saved activations from their stacks just before
        the first op that reads them, which may be late in the cell.)"""
        if self._position is None:
            self._position = _item_positions(self.items)
        position, live = self._position, self.live()
        if not exposed or any(op not in live or op not in position for op in cell_ops):  # (ops of this frame)
            return False
        readers = [op for t in exposed for op in self.readers(t) if op not in cell_ops]
        first_read = min((position.get(op, len(position)) for op in readers), default=len(position))
        before = [op for op in cell_ops if position[op] < first_read]
        if not before:
            return False
        at = max(before, key=position.__getitem__)
        for t in inputs:
            source = self.source(t)
            if source not in self.spec.folded and position.get(source._op, -1) >= position[at]:
                return False
        self.spec.fusions[at] = Fusion(kernel, list(inputs), kwargs, outputs=list(exposed))
        self.spec.absorbed.update(op for op in cell_ops if op is not at)
        self.recorded[at] = set(cell_ops)
        return True


def _shape_2d(t: Tensor):
    shape = t.shape
    return tuple(shape.as_list()) if shape.rank == 2 and shape.is_fully_defined() else None


def _product_of(t: Tensor, factor: Tensor, m: _CellMatch):
    """For ``t`` the output of a free Mul of ``factor`` and another tensor of ``factor``'s shape, (the Mul, the
    other tensor); else None."""
    t = m.source(t)
    op = t._op
    if op.type != "Mul" or t is not op._outputs[0] or not m.free(op):
        return None
    a, b = op._inputs
    if m.source(a) is m.source(factor):
        other = b
    elif m.source(b) is m.source(factor):
        other = a
    else:
        return None
    return (op, other) if _shape_2d(other) == _shape_2d(factor) else None


def _only_reader(t: Tensor, op: Operation, m: _CellMatch) -> bool:
    return m.users(t) == [op]


def _folded_axis(t: Tensor, m: _CellMatch):
    value = m.spec.folded.get(t)
    if not isinstance(value, torch.Tensor) or value.numel() != 1 or value.is_floating_point():
        return None
    return int(value) % 2


def _single_user(t: Tensor, op_types, m: _CellMatch):
    """The one free op of a type in ``op_types`` that reads ``t``, where nothing else does; else None."""
    users = m.users(t)
    if not users or len(users) != 1 or users[0].type not in op_types or not m.free(users[0]):
        return None
    return users[0]


def _gate_roles(kinds: list, tanh_kind: str):
    """The assignments of gates i, j, f, o to the four blocks whose ops are ``kinds``: j the one block of
    ``tanh_kind``, i, f and o the others in every order (the cell's products tell which is which: the matchers
    try each, TF's order first)."""
    if kinds.count(tanh_kind) != 1:
        return []
    j = kinds.index(tanh_kind)
    return [(i, j, f, o) for i, f, o in itertools.permutations([k for k in range(4) if k != j])]


def _match_lstm_cell(split: Operation, m: _CellMatch) -> bool:
    """Records ``lstm_cell_native.lstm_cell`` for the cell whose gates ``split`` splits; whether it did."""
    if split.type != "Split" or len(split._outputs) != 4 or not m.free(split):
        return False
    axis_t, gates = split._inputs
    shape = _shape_2d(gates)
    if _folded_axis(axis_t, m) != 1 or shape is None or shape[1] % 4 or gates.dtype.base_dtype not in _FLOATS:
        return False
    users = [_single_user(t, ("Sigmoid", "Tanh", "AddV2", "Add"), m) for t in split._outputs]
    if None in users:
        return False
    return any(_match_cell_blocks(split, blocks, users, m) for blocks in _gate_roles([u.type for u in users], "Tanh"))


def _match_cell_blocks(split: Operation, blocks: tuple, users: list, m: _CellMatch) -> bool:
    """``_match_lstm_cell`` with gates i, j, f, o the split's outputs ``blocks``, read by ``users``."""
    gates = split._inputs[1]
    shape = _shape_2d(gates)
    cell = (shape[0], shape[1] // 4)
    f = split._outputs[blocks[2]]
    sig_i_op, tanh_j_op, add_f, sig_o_op = (users[b] for b in blocks)
    if sig_i_op.type != "Sigmoid" or sig_o_op.type != "Sigmoid":
        return False
    if add_f.type == "Sigmoid":  # no forget bias: sigmoid(f + 0) is sigmoid(f) (+0 and -0 alike give 0.5)
        sig_f_op, add_f, bias_value = add_f, None, torch.zeros(())
    else:
        if len(add_f._inputs) != 2:
            return False
        bias = add_f._inputs[1] if add_f._inputs[0] is f else add_f._inputs[0]
        bias_value = m.spec.folded.get(m.source(bias))
        if not isinstance(bias_value, torch.Tensor) or bias_value.numel() != 1 or bias_value.dim() > 2:
            return False
        if bias.dtype.base_dtype is not gates.dtype.base_dtype or _shape_2d(add_f._outputs[0]) != cell:
            return False
        sig_f_op = _single_user(add_f._outputs[0], ("Sigmoid",), m)
        if sig_f_op is None:
            return False
    sig_i, tanh_j, sig_f, sig_o = (op._outputs[0] for op in (sig_i_op, tanh_j_op, sig_f_op, sig_o_op))

    def product(a, b):
        """The free Mul of a and b among a's readers."""
        for op in m.readers(a):
            found = _product_of(op._outputs[0], a, m) if op.type == "Mul" else None
            if found is not None and m.source(found[1]) is m.source(b):
                return op
        return None

    mul_ij = product(sig_i, tanh_j)
    mul_cf = next((op for op in m.readers(sig_f) if op.type == "Mul" and _product_of(op._outputs[0], sig_f, m)), None)
    if mul_ij is None or mul_cf is None:
        return False
    c_prev = _product_of(mul_cf._outputs[0], sig_f, m)[1]
    if c_prev.dtype.base_dtype is not gates.dtype.base_dtype:
        return False
    add_c = _single_user(mul_ij._outputs[0], ("AddV2", "Add"), m)
    if add_c is None or m.users(mul_cf._outputs[0]) != [add_c]:
        return False
    new_c = add_c._outputs[0]
    tanh_c_op = next((op for op in m.readers(new_c) if op.type == "Tanh" and m.free(op)), None)
    if tanh_c_op is None:
        return False
    tanh_c = tanh_c_op._outputs[0]
    mul_h = product(tanh_c, sig_o)
    if mul_h is None:
        return False
    values = (new_c, mul_h._outputs[0], sig_i, tanh_j, sig_f, sig_o, tanh_c)
    if any(_shape_2d(t) != cell for t in values):
        return False
    cell_ops = [split, sig_i_op, tanh_j_op, sig_f_op, sig_o_op, mul_ij, mul_cf, add_c, tanh_c_op, mul_h]
    cell_ops += [] if add_f is None else [add_f]
    if len(set(cell_ops)) != len(cell_ops):
        return False
    # exposed: the values read outside the cell, or fetched
    want = tuple(k for k, t in enumerate(values) if m.users(t) is None or set(m.users(t)) - set(cell_ops))
    kwargs = {"forget_bias": bias_value.item(), "want": want}
    if blocks != lstm_cell_native.TF_BLOCKS:
        kwargs["blocks"] = blocks
    return m.record(lstm_cell_native.lstm_cell, [gates, c_prev], kwargs, cell_ops, [values[k] for k in want])


def _match_lstm_cell_grad(concat: Operation, m: _CellMatch) -> bool:
    """Records ``lstm_cell_native.lstm_cell_grad`` for the cell gradient whose gates' gradient ``concat``
    joins; whether it did."""
    if concat.type != "ConcatV2" or len(concat._inputs) != 5 or not m.free(concat):
        return False
    *parts, axis_t = concat._inputs
    shape = _shape_2d(concat._outputs[0])
    if _folded_axis(axis_t, m) != 1 or shape is None or shape[1] % 4:
        return False
    if concat._outputs[0].dtype.base_dtype not in _FLOATS:
        return False
    blocks_grads = [m.source(t)._op for t in parts]
    if any(g.type not in ("SigmoidGrad", "TanhGrad") for g in blocks_grads) or len(set(blocks_grads)) != 4:
        return False
    if any(not m.free(g) or not _only_reader(g._outputs[0], concat, m) for g in blocks_grads):
        return False
    return any(
        _match_cell_grad_blocks(concat, blocks, [blocks_grads[b] for b in blocks], m)
        for blocks in _gate_roles([g.type for g in blocks_grads], "TanhGrad")
    )


def _match_cell_grad_blocks(concat: Operation, blocks: tuple, grads: list, m: _CellMatch) -> bool:
    """``_match_lstm_cell_grad`` with ``grads`` the gradient ops of gates i, j, f, o, in the concat's
    ``blocks``."""
    shape = _shape_2d(concat._outputs[0])
    cell = (shape[0], shape[1] // 4)
    dtype = concat._outputs[0].dtype.base_dtype
    (y_i, d_i), (y_j, d_j), (y_f, d_f), (y_o, d_o) = (g._inputs for g in grads)
    if any(_shape_2d(t) != cell or t.dtype.base_dtype is not dtype for t in (y_i, y_j, y_f, y_o, d_i, d_j, d_f, d_o)):
        return False
    # the products' gradients: d_i = dc * tanh_j, d_j = dc * sig_i, d_f = dc * c_prev, d_o = dh * tanh_c
    found = [_product_of(d, y, m) for d, y in ((d_i, y_j), (d_j, y_i))]
    if None in found or m.source(found[0][1]) is not m.source(found[1][1]):
        return False
    (mul_i, dc), (mul_j, _) = found
    dc = m.source(dc)
    found_f = _product_of(m.source(d_f), dc, m)
    if found_f is None:
        return False
    mul_f, c_prev = found_f
    # dc: TanhGrad(tanh_c, dh * sig_o), plus the gradient from the next step (a two-term AddN) where there is one
    dc_op, dc_next = dc._op, None
    tanh_grad = dc_op
    if dc_op.type == "AddN" and len(dc_op._inputs) == 2 and m.free(dc_op):
        a, b = (m.source(t) for t in dc_op._inputs)
        tanh_grad, dc_next = (a._op, b) if a._op.type == "TanhGrad" else (b._op, a)
    if tanh_grad.type != "TanhGrad" or not m.free(tanh_grad):
        return False
    tanh_c, x = tanh_grad._inputs
    found_o = _product_of(m.source(x), y_o, m)
    found_h = _product_of(m.source(d_o), tanh_c, m)
    if found_o is None or found_h is None or m.source(found_o[1]) is not m.source(found_h[1]):
        return False
    (mul_x, dh), (mul_o, _) = found_o, found_h
    if _shape_2d(tanh_c) != cell or (dc_next is not None and _shape_2d(dc_next) != cell):
        return False
    if not _only_reader(x, tanh_grad, m) or not _only_reader(d_o, grads[3], m):
        return False
    for mul, grad in ((mul_i, grads[0]), (mul_j, grads[1]), (mul_f, grads[2])):
        if not _only_reader(mul._outputs[0], grad, m):
            return False
    if dc_op is not tanh_grad and not _only_reader(tanh_grad._outputs[0], dc_op, m):
        return False
    # c_prev's gradient: dc * sig_f, where something reads it
    dc_users = m.users(dc)
    if dc_users is None:
        return False
    extra = [op for op in dc_users if op not in (mul_i, mul_j, mul_f)]
    mul_c = None
    if extra:
        found_c = _product_of(extra[0]._outputs[0], dc, m) if len(extra) == 1 else None
        if found_c is None or m.source(found_c[1]) is not m.source(y_f):
            return False
        mul_c = extra[0]
    cell_ops = [concat, *grads, mul_i, mul_j, mul_f, tanh_grad, mul_x, mul_o]
    if dc_op is not tanh_grad:
        cell_ops.append(dc_op)
    exposed = [concat._outputs[0]]
    kwargs = {"dc_prev": mul_c is not None and mul_c in m.live(), "bias_grad": False}
    if blocks != lstm_cell_native.TF_BLOCKS:
        kwargs["blocks"] = blocks
    if kwargs["dc_prev"]:  # (one that does not run is left as it is)
        cell_ops.append(mul_c)
        exposed.append(mul_c._outputs[0])
    # the gates' bias gradient (of the BiasAdd of the gates' product): BiasAddGrad of the gates' gradient, a
    # rank-2 tensor (its channel axis the last in either data format)
    bias_grad = next((op for op in m.readers(concat._outputs[0]) if op.type == "BiasAddGrad" and m.free(op)), None)
    # or, for a cell written as ``x @ W + b`` (an AddV2), the Sum over the rows + Reshape of its gradient
    summed = None if bias_grad is not None else _rows_sum(concat._outputs[0], m)
    if bias_grad is not None or summed is not None:
        cell_ops.append(bias_grad or summed)
        exposed.append((bias_grad or summed)._outputs[0])
        kwargs["bias_grad"] = True
    if len(set(cell_ops)) != len(cell_ops):
        return False
    inputs = [dh, y_i, y_j, y_f, y_o, tanh_c, c_prev] + ([] if dc_next is None else [dc_next])
    if summed is None:
        return m.record(lstm_cell_native.lstm_cell_grad, inputs, kwargs, cell_ops, exposed)
    # the Reshape's own fusion (fused_sum_reshape) runs where the cell's is dropped (lowering's _live_fusions)
    m.spec.fallbacks[summed] = m.spec.fusions.pop(summed)
    if m.record(lstm_cell_native.lstm_cell_grad, inputs, kwargs, cell_ops, exposed):
        return True
    m.spec.fusions[summed] = m.spec.fallbacks.pop(summed)
    return False


def _rows_sum(t: Tensor, m: _CellMatch):
    """The Reshape whose ``fused_sum_reshape`` sums the rank-2 ``t`` over its rows (the gradient of a bias vector
    added by AddV2: Sum(keep_dims) over axis 0 + Reshape, which ``_fuse`` made one call; torch.sum over dim 0,
    which the cell gradient's bias sums equal bit for bit), else None."""
    spec = m.spec
    for sum_op in m.readers(t):
        if sum_op.type != "Sum" or sum_op not in spec.absorbed:
            continue
        reshape = next((c for c in sum_op._outputs[0]._consumers if c in m.op_set), None)
        fusion = spec.fusions.get(reshape)
        if fusion is None or fusion.kernel is not fused_sum_reshape or fusion.kwargs["axes"] != [0]:
            continue
        if _resolve_alias(fusion.inputs[0], spec) is t and reshape not in spec.fallbacks:
            return reshape
    return None


def _fuse_lstm_cells(items, ops, spec, keep, targets, fed, op_set) -> None:
    m = _CellMatch(items, ops, spec, keep, targets, fed, op_set)
    for op in ops:
        if op.type == "Split":
            _match_lstm_cell(op, m)
        elif op.type == "ConcatV2":
            _match_lstm_cell_grad(op, m)
    _pack_lstm_activations(m)


def _pack_lstm_activations(m: _CellMatch) -> None:
    """Where a fused cell's five activations are read by its fused gradient alone (static_rnn's cells; not a loop's,
    which pushes them on stacks), the cell returns them as one tensor (``lstm_cell_native.ACTIVATIONS``, carried
    by the sig_i tensor) and the gradient reads that one (``lstm_cell_grad_packed``): 3 tensors made per cell
    instead of 7, 3 checked per gradient instead of 7. (Both were recorded for the live ops lowering runs, every
    op of both cells live: they apply together, as lowering's _live_fusions drops neither.)"""
    fusions = m.spec.fusions
    made = {}  # the forward fusions exposing all five activations, by their sig_i
    for at, fusion in fusions.items():
        if fusion.kernel is lstm_cell_native.lstm_cell and fusion.kwargs["want"][-5:] == (2, 3, 4, 5, 6):
            made[fusion.outputs[-5]] = at
    for at, gradient in list(fusions.items()):
        if gradient.kernel is not lstm_cell_native.lstm_cell_grad:
            continue
        saved = [m.source(t) for t in gradient.inputs[1:6]]
        cell = made.pop(saved[0], None)
        if cell is None or any(a is not b for a, b in zip(saved, fusions[cell].outputs[-5:])):
            continue
        ops = m.recorded[cell] | m.recorded[at]
        if any(m.users(t) is None or not set(m.users(t)) <= ops for t in saved):
            continue
        forward = fusions[cell]
        want = (*forward.kwargs["want"][:-5], lstm_cell_native.ACTIVATIONS)
        fusions[cell] = Fusion(
            forward.kernel, forward.inputs, {**forward.kwargs, "want": want}, [*forward.outputs[:-5], saved[0]]
        )
        inputs = [gradient.inputs[0], saved[0], *gradient.inputs[6:]]
        fusions[at] = Fusion(lstm_cell_native.lstm_cell_grad_packed, inputs, gradient.kwargs, gradient.outputs)
