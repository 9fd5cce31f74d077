"""Specializing a pruned subgraph to the feed shapes of a run: fold shape arithmetic, skip no-op nodes.

TensorFlow's gradient graphs are full of shape bookkeeping (Shape, BroadcastGradientArgs, Reshape to
the same shape, Sum over no axes). Once the feed shapes are known, static shape inference usually
knows every shape, so that bookkeeping is constant: it is computed here once per feed-shape
signature and the generated module only does the arithmetic that depends on data. This is sound
because static shapes are only ever *known* when they cannot depend on data.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from torchmeta.dtypes import DType, numpy_to_torch
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import tensor_util
from torchmeta.framework.graph import Operation, Tensor
from torchmeta.framework.registry import FOLD_LIMIT, locked
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops import conv_grad_ops, gradient_sum_native, matmul_ops, nn_ops, threads, training_ops
from torchmeta.runtime import control_flow, specialize_conv, specialize_lstm
from torchmeta.runtime.lowering import SOURCE_OPS, all_ops, live_items, resolve
from torchmeta.runtime.specialize_common import (
    FLOAT_TYPE_VALUES,
    FLOATS,
    Fusion,
    Specialization,
    fused_sum_reshape,
    private_result,
    resolve_alias,
    runs_as_is,
    single_use,
    uniform,
    value_users,
    whole,
)
from torchmeta.runtime.update_groups import find_groups, group_call

__all__ = ["Specialization", "specialize"]

_SHAPE_OPS = {"Shape", "Size", "Rank", "ShapeN"}
_PASS_THROUGH = {"Identity", "Snapshot", "StopGradient", "PreventGradient", "PlaceholderWithDefault"}
_REDUCTIONS = {"Sum", "Mean", "Prod", "Max", "Min", "All", "Any"}


def fused_matmul_bias(a, b, bias, transpose_a, transpose_b, keep_weight=False):
    """MatMul followed by a bias add (AddV2/BiasAdd of a 1-D bias): one addmm, like TF's _FusedMatMul. With
    ``keep_weight`` (``b`` is never fed: specialization's mark) a large ``b`` may be packed once and kept
    (``matmul_ops.kept_weight_product``). Operands that cannot be multiplied raise MatMul's error (TF's
    _FusedMatMul's), translated from torch's on the failure path only."""
    x = a.t() if transpose_a else a
    y = b.t() if transpose_b else b
    try:
        if keep_weight and (out := matmul_ops.kept_weight_product(x, y, bias, b)) is not None:
            return out
        return matmul_ops.matrix_product(x, y, bias)
    except RuntimeError as e:
        raise matmul_ops.matmul_error(a, b, e) from None


def fused_matmul_bias_relu(a, b, bias, transpose_a, transpose_b, keep_weight=False):
    """MatMul + bias add + Relu (TF's _FusedMatMul with a Relu): the addmm's result rectified in place (the
    sum before the Relu has no other reader; Relu's gradient reads Relu's output)."""
    return torch.relu_(fused_matmul_bias(a, b, bias, transpose_a, transpose_b, keep_weight))


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
        lambda t, is_ref: whole(folded[t]),
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
    for k, v in enumerate(outs):
        if not isinstance(v, (torch.Tensor, np.ndarray)):
            return None
        if _numel(v) > FOLD_LIMIT:
            outs[k] = uniform(v)
            if outs[k] is None:
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
            if mm._control_inputs or not single_use(mm_out, op, keep, op_set, folded):
                continue
            if mm_out.dtype.base_dtype not in FLOATS or bias.dtype.base_dtype is not mm_out.dtype.base_dtype:
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
        if not single_use(total, op, keep, op_set, folded):
            return
        axes = folded.get(sum_op._inputs[1])
        in_shape, out_shape = sum_op._inputs[0].shape, op._outputs[0].shape
        if axes is None or not in_shape.is_fully_defined() or not out_shape.is_fully_defined():
            return
        if total.dtype.base_dtype not in FLOATS:
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
        if x in folded or x in aliases or not single_use(x, relu, keep, op_set, folded):
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
        source = resolve_alias(stack.pop(), spec)
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
        if in_place is None or not runs_as_is(op, spec) or op._attrs["T"].type != DType.float32.value:
            continue
        var, alpha, delta = op._inputs
        if var._op.type not in _VARIABLE_OPS or alpha.shape.rank != 0:
            continue
        source = resolve_alias(delta, spec)
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
        if value_users(source, spec, op_set, keep) != [op]:
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
        specialize_conv.fuse_conv_backprop(items, ops, spec)
        specialize_conv.fuse_conv_pointwise(ops, spec, keep, op_set)
        _fuse_sum_of_matmuls(ops, spec, keep, op_set)
        specialize_conv.fuse_relu_in_place(ops, spec, keep, op_set)
        specialize_lstm.fuse_lstm_cells(items, ops, spec, keep, targets, fed, op_set)
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
        specialize_conv.fuse_relu_grad_batch_norm_grad(ops, spec, keep, op_set, fed)
        specialize_conv.fuse_add_n_relu_grad(ops, spec, keep, op_set, fed)
        specialize_conv.keep_padded_inputs(ops, spec, op_set, fed, keep)
        specialize_conv.keep_filters(ops, spec, fed)
        _keep_weights(spec, fed)
        _direct_kernels(ops, spec)
        specialize_conv.fuse_max_pool_relu_grad(ops, spec, keep, op_set, fed)
        specialize_conv.max_pools_without_argmax(ops, spec, keep, op_set)
        _fuse_relu_grad_bias_sum(ops, spec, keep, op_set, fed)  # a ReluGrad the fusions above left alone
        _gradients_in_place(ops, spec, keep, op_set, fed)
        spec.one_thread, spec.compiled_one_thread = _one_thread_step(items, ops, spec)
    return spec


def _one_thread_step(items, ops, spec: Specialization) -> tuple[bool, bool]:
    """Whether the step of ``ops`` runs on one thread, eagerly and compiled (threads.step_on_one_thread,
    threads.compiled_step_on_one_thread), from the shapes it is specialized to: each MatMul's operands, every
    other running op's inputs and outputs (fused ops counted as they were; a folded input by its value, whose
    static shape may say less: BroadcastGradientArgs's reduction axes are (?,) to the graph). False with a loop
    in the step (its body decides for itself) or a shape not known."""
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
            if t.shape.is_fully_defined():
                elements = t.shape.num_elements()
            elif t in spec.folded:
                elements = _folded_elements(spec.folded[t])
            else:
                return False, False
            largest = max(largest, elements)
            if largest > max(threads.ONE_THREAD_ELEMENTS, threads.COMPILED_ONE_THREAD_ELEMENTS):
                return False, False  # (neither: no need to read on)
    return threads.step_on_one_thread(products, largest), threads.compiled_step_on_one_thread(products, largest)


def _folded_elements(value) -> int:
    """The number of elements of a folded value (a torch tensor or a numpy object array)."""
    return value.numel() if isinstance(value, torch.Tensor) else int(np.size(value))


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
            into[op] = Fusion(conv_grad_ops.conv2d_backprop_filter_static, [x, out_backprop], kwargs)


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


def _fuse_sum_of_matmuls(ops, spec, keep, op_set) -> None:
    for add in ops:
        if add.type != "AddN" or len(add._inputs) < 2 or add in spec.fusions or add in spec.absorbed:
            continue
        if add._control_inputs or any(t in spec.folded or t in spec.aliases for t in add._outputs):
            continue
        sources = [resolve_alias(t, spec) for t in add._inputs]
        mms = [t._op for t in sources]
        if len(set(mms)) != len(mms) or any(mm.type != "MatMul" for mm in mms):
            continue
        flags = {(mm._attrs["transpose_a"].b, mm._attrs["transpose_b"].b) for mm in mms}
        if len(flags) != 1 or sources[0].dtype.base_dtype not in FLOATS:
            continue
        if any(
            mm in spec.fusions
            or mm in spec.absorbed
            or mm._control_inputs
            or t in spec.folded
            or value_users(t, spec, op_set, keep) != [add]
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
        if product.dtype.base_dtype not in FLOATS or product.shape.rank != 2:
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
_DIRECT_TYPES = FLOATS | {DType.int32, DType.int64}


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
# specialize_lstm.fuse_lstm_cells: the rule still serves Tanh of other float dtypes.)
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
        if op.type in _VML_UNARY and runs_as_is(op, spec) and len(op._inputs) == 1:
            x = op._inputs[0]
            small = x.shape.is_fully_defined() and 2048 < x.shape.num_elements() <= threads.ONE_THREAD_ELEMENTS
            if x.dtype.base_dtype in FLOATS and small and op._info.kernel is not None:
                spec.kernels[op] = one_thread_kernel(op._info.kernel)
            continue
        grad, fn = _DIRECT_GRADS.get(op.type), _DIRECT.get(op.type)
        if (grad is None and fn is None) or not runs_as_is(op, spec) or len(op._inputs) != 2:
            continue
        x, y = op._inputs
        dtype = x.dtype.base_dtype
        if y.dtype.base_dtype is not dtype or not x.shape.is_fully_defined() or not y.shape.is_fully_defined():
            continue
        x_dims, y_dims = x.shape.as_list(), y.shape.as_list()
        if grad is not None:  # float operands of one shape
            if dtype in FLOATS and x_dims == y_dims:
                spec.kernels[op] = grad
            continue
        if dtype not in _DIRECT_TYPES:
            continue
        try:
            torch.broadcast_shapes(tuple(x_dims), tuple(y_dims))
        except RuntimeError:
            continue
        spec.kernels[op] = fn


# ---------------------------------------------------------------------------------------------
# A ReluGrad whose result a bias gradient sums (a hidden layer's ``relu(x @ W + b)``: the AddV2's gradient
# sums the ReluGrad over all axes but the last, Sum(keep_dims) + Reshape, which ``_fuse`` made one
# ``fused_sum_reshape``): one pass computes both, the sums added while the rows are in cache, the ReluGrad
# written over the incoming gradient where that is private (see ``private_result``). The sums are
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
        if op.type != "ReluGrad" or not runs_as_is(op, spec) or op._control_inputs:
            continue
        if op._attrs["T"].type != DType.float32.value:
            continue
        grad = op._outputs[0]
        rank = grad.shape.rank
        users = value_users(grad, spec, op_set, keep)
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
            if resolve_alias(fusion.inputs[0], spec) is not grad or reshape in spec.fallbacks:
                continue
            in_place = private_result(op._inputs[0], op, spec, op_set, keep, fed)
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


def _gradients_in_place(ops, spec: Specialization, keep, op_set, fed) -> None:
    """Records ``nn_ops.relu_grad_`` for a float ReluGrad whose ``gradients`` is private (see
    ``private_result``)."""
    for op in ops:
        if op.type != "ReluGrad" or op in spec.kernels or not runs_as_is(op, spec):
            continue
        if op._attrs["T"].type in FLOAT_TYPE_VALUES and private_result(op._inputs[0], op, spec, op_set, keep, fed):
            spec.kernels[op] = nn_ops.relu_grad_


def _keep_weights(spec: Specialization, fed: set) -> None:
    """Lets each MatMul + bias add (+ Relu) fusion keep its weight packed between runs (``keep_weight``,
    ``matmul_ops.kept_weight_product``) where the weight is not a fed tensor (refilled through a numpy view
    between runs without a version change, see ``specialize_conv.keep_filters``)."""
    for fusion in spec.fusions.values():
        if (
            fusion.kernel in (fused_matmul_bias, fused_matmul_bias_relu)
            and resolve_alias(fusion.inputs[1], spec) not in fed
        ):
            fusion.kwargs["keep_weight"] = True
