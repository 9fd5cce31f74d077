"""Program: a pruned subgraph compiled to an fx GraphModule per input-shape signature.

A Session runs one Program per (fetches, feeds); function bodies and the cond and body of TF1 loops
are Programs too, called with positional values, so each is lowered once per signature of its input
shapes (at most ``MAX_SPECIALIZATIONS`` times, then once more without specialization) and never per
call or per loop iteration.
"""

from __future__ import annotations

import operator
import threading

import torch

from torchmeta import errors
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import tensor_util
from torchmeta.framework.graph import Tensor
from torchmeta.ops import matmul_ops, nn_ops, threads
from torchmeta.ops.control_flow_ops import truthy
from torchmeta.runtime import control_flow, lowering, specialize
from torchmeta.runtime.compiled import CompiledForward, compilable

__all__ = ["Program", "Compiled", "LoopRunner", "node_error", "scalar_condition"]


class Compiled:
    """One lowered module: its forward, and which of its outputs must be copied before a Session returns them."""

    __slots__ = ("forward", "gm", "out_copy")

    def __init__(self, gm, forward, out_copy):
        self.gm = gm
        self.forward = forward
        self.out_copy = out_copy


_NO_SHAPE = (DType.resource, DType.variant)


class Program:
    """The ops (from ``lowering.prune``) computing ``fetch_tensors`` and running ``target_ops`` from
    ``feed_tensors``, compiled per input-shape signature with ``env`` (see ``lowering.lower``).

    Calling it runs the module for those inputs and returns the tuple of fetched values; a kernel
    failure is raised as an ``OpError`` naming the TF node that failed.
    """

    MAX_SPECIALIZATIONS = 8
    prelude = None  # what a Session run calls first for the values it feeds this one (a hoisted get_next)

    def __init__(
        self, env, ops, fetch_tensors, target_ops, feed_tensors, kernels=None, ref_fetches=False, invariants=()
    ):
        self.env = env
        self.ops = ops
        self.kernels = kernels  # op -> kernel replacing its registered one
        self.ref_fetches = ref_fetches  # fetched refs stay variables (a loop's ref loop variables)
        self.fetch_tensors = list(fetch_tensors)
        self.target_ops = list(target_ops)
        self.feed_tensors = list(feed_tensors)
        self.invariants = frozenset(invariants)  # feeds equal on every call of a run (a loop's invariants)
        self.by_shapes: dict = {}
        self.generic: Compiled | None = None
        self._lock = threading.Lock()
        # The feeds whose shapes key the specializations (handles of resources and variants have none).
        self._shaped = [i for i, t in enumerate(self.feed_tensors) if t.dtype.base_dtype not in _NO_SHAPE]

    def get(self, args) -> Compiled:
        sig = tuple([args[i].shape for i in self._shaped])
        compiled = self.by_shapes.get(sig)
        if compiled is None:
            with self._lock:  # one thread compiles a signature; the others wait for it
                compiled = self.by_shapes.get(sig)
                if compiled is not None:
                    return compiled
                if len(self.by_shapes) >= self.MAX_SPECIALIZATIONS:
                    if self.generic is None:
                        self.generic = self._compile([t.shape.as_tuple() for t in self.feed_tensors])
                    return self.generic
                shapes = [t.shape.as_tuple() for t in self.feed_tensors]
                for i, dims in zip(self._shaped, sig):
                    shapes[i] = tuple(dims)
                compiled = self._compile(shapes)
                self.by_shapes[sig] = compiled
        return compiled

    def __call__(self, *args):
        compiled = self.get(args)
        try:
            return compiled.forward(*args)
        except Exception as e:
            raise node_error(compiled.gm, e) from e

    def _compile(self, feed_shapes) -> Compiled:
        env = self.env
        with graph_lib.gc_paused():
            spec = None
            if getattr(env, "optimize", True):
                spec = specialize.specialize(
                    self.ops,
                    self.feed_tensors,
                    feed_shapes,
                    keep=set(self.fetch_tensors),
                    invariants=self.invariants,
                    targets=self.target_ops,
                )
            gm = lowering.lower(
                self.ops,
                self.fetch_tensors,
                self.feed_tensors,
                env,
                self.target_ops,
                spec,
                self.kernels,
                self.ref_fetches,
            )
        forward = gm.forward
        if getattr(env, "torch_compile", False) and compilable(self.ops):
            one_thread = spec is not None and spec.compiled_one_thread
            forward = CompiledForward(gm, feed_shapes, getattr(env, "compile_log", None), one_thread)
        elif spec is not None and spec.one_thread:
            forward = threads.one_thread_forward(gm)
        fed = set(self.feed_tensors)
        out_copy = [
            t in fed or _may_alias(t) or (spec is not None and (t in spec.folded or t in spec.aliases))
            for t in self.fetch_tensors
        ]
        return Compiled(gm, forward, out_copy)

    def compiled_modules(self) -> list:
        """The modules lowered so far, and those of the loops they run (cond, body and exit programs)."""
        out = []
        for c in [*self.by_shapes.values(), *([self.generic] if self.generic is not None else [])]:
            out.append(c.gm)
            for value in list(vars(c.gm).values()):
                if isinstance(value, LoopRunner):
                    out.extend(value.compiled_modules())
        return out


# ---------------------------------------------------------------------------------------------
# TF1 while loops


class LoopRunner:
    """Runs one ``Loop``: cond and body Programs (built on first use), called once per iteration."""

    def __init__(self, loop: control_flow.Loop, env):
        self.loop = loop
        self.env = env
        self._built = False
        self._lock = threading.Lock()
        self.n_vars = len(loop.vars)

    def _build(self) -> None:
        with self._lock:  # runs from two threads build the programs once
            if not self._built:
                self._build_programs()

    def _build_programs(self) -> None:
        loop = self.loop
        merges = [v[0] for v in loop.vars]
        # The pool of per-iteration values: merge values, merge value_index, invariants, then (after the
        # cond ran) the predicate and the cond's exports.
        pool_tensors = [m._outputs[0] for m in merges] + [m._outputs[1] for m in merges]
        pool_tensors += [op._outputs[0] for op in loop.invariants]
        pool_index = {t: i for i, t in enumerate(pool_tensors)}
        pred = loop.loop_cond._outputs[0]
        allowed = set(loop.ops) - loop.boundary
        cond_used: set = set()
        cond_ops = lowering.prune([loop.loop_cond._inputs[0]], [], pool_tensors, allowed, cond_used)
        cond_feeds = [t for t in pool_tensors if t in cond_used]
        self.cond_args = [pool_index[t] for t in cond_feeds]
        cond_outputs = [t for op in lowering.all_ops(cond_ops) for t in op._outputs]
        exports: list = []
        export_index: dict = {}
        # A Switch's outputs are its loop variable's value: true into the body, false towards the Exit.
        var_of = {}
        for i, v in enumerate(loop.vars):
            if v[3] is not None:
                var_of[v[3]._outputs[0]] = i
                var_of[v[3]._outputs[1]] = i
        candidates = list(var_of) + pool_tensors + [pred] + cond_outputs

        def region(fetches, targets):
            """The ops computing ``fetches`` from the pool, and the pool values they read."""
            used: set = set()
            ops = lowering.prune(fetches, targets, candidates, allowed, used)
            for t in cond_outputs:
                if t in used and t not in export_index:
                    export_index[t] = len(exports)
                    exports.append(t)
            return ops, [t for t in dict.fromkeys(candidates) if t in used]

        # What the Exit ops return: a loop variable's final value, a pool value, or what the ops on the
        # loop's false branch compute from them once the loop ends (TF's gradients put Identities there).
        self.exit_sources = []
        exit_fetches = []
        for op in loop.exits:
            t = op._inputs[0]
            if t in var_of and t.value_index == 0:
                self.exit_sources.append(("var", var_of[t]))
            elif t in pool_index:
                self.exit_sources.append(("pool", pool_index[t]))
            else:
                self.exit_sources.append(("exit", len(exit_fetches)))
                exit_fetches.append(t)
        body_fetches = [v[2]._inputs[0] for v in loop.vars]
        in_loop = set(loop.ops)
        body_targets = [c for v in loop.vars for c in v[2]._control_inputs if c in in_loop]
        body_ops, body_feeds = region(body_fetches, body_targets)
        self.exit_program = None
        if exit_fetches:
            exit_ops, exit_feeds = region(exit_fetches, [])
            self.exit_program = Program(self.env, exit_ops, exit_fetches, [], exit_feeds, ref_fetches=True)
        n_pool = len(pool_tensors)

        def arg_index(t) -> int:  # into [pool..., predicate, exports...]
            if t in var_of:
                return var_of[t]
            if t in pool_index:
                return pool_index[t]
            if t is pred:
                return n_pool
            return n_pool + 1 + export_index[t]

        self.cond = Program(self.env, cond_ops, [loop.loop_cond._inputs[0], *exports], [], cond_feeds, ref_fetches=True)
        uses_pred = pred in body_feeds or (self.exit_program is not None and pred in self.exit_program.feed_tensors)
        self.scalar_cond = False
        if not exports and not uses_pred:
            invariant_args = [k for k, i in enumerate(self.cond_args) if i >= 2 * len(merges)]
            scalar = scalar_condition(cond_ops, cond_feeds, loop.loop_cond._inputs[0], invariant_args)
            if scalar is not None:
                self.cond, self.scalar_cond = scalar, True
        kernels = _accumulators(loop, body_ops)
        self.defers = any(getattr(k, "defers", False) for k in kernels.values())
        kernels.update(_invariant_matmuls(loop, body_ops))
        invariants = [op._outputs[0] for op in loop.invariants]
        self.body = Program(
            self.env, body_ops, body_fetches, body_targets, body_feeds, kernels, ref_fetches=True, invariants=invariants
        )
        self.body_args = [arg_index(t) for t in body_feeds]
        # The body's inputs whose shape may change from one iteration to the next: all but the invariants.
        shaped = set(self.body._shaped)
        first_invariant = 2 * len(merges)
        self.body_varying = [
            k for k, i in enumerate(self.body_args) if k in shaped and not first_invariant <= i < n_pool
        ]
        if self.exit_program is not None:
            self.exit_args = [arg_index(t) for t in self.exit_program.feed_tensors]
        self.cond_gather, self.body_gather = _gather(self.cond_args), _gather(self.body_args)
        self._built = True

    def compiled_modules(self) -> list:
        if not self._built:
            return []
        programs = [p for p in (self.cond, self.body, self.exit_program) if isinstance(p, Program)]
        return [gm for p in programs for gm in p.compiled_modules()]

    def __call__(self, *inputs):
        if not self._built:
            self._build()
        n = self.n_vars
        # The pool of per-iteration values, one list updated in place: loop variables, their Merges'
        # value_index, the invariants, then what the condition returned (the predicate and its exports).
        pool = [*inputs[:n], *([_INDEX0] * n), *inputs[n:]]
        if self.scalar_cond:
            self._iterate_scalar(pool)
        else:
            self._iterate(pool)
        if self.defers:
            for value in pool[:n]:
                _PendingProducts.flush(value)
        exit_values = ()
        if self.exit_program is not None:
            exit_values = self.exit_program(*[pool[i] for i in self.exit_args])
        outs = []
        for kind, where in self.exit_sources:
            if kind == "exit":
                outs.append(exit_values[where])
            else:  # a loop variable's final value or another pool value
                outs.append(pool[where])
        return outs[0] if len(outs) == 1 else tuple(outs)

    def _iterate(self, pool) -> None:
        """Runs the iterations, the condition's predicate and exports kept in the pool for the body."""
        n = self.n_vars
        n_fixed = len(pool)
        cond, cond_args, body_args = self.cond, self.cond_args, self.body_args
        body_get, varying = self.body.get, self.body_varying
        compiled = shapes = None
        first = True
        while True:
            c = cond(*[pool[i] for i in cond_args])
            del pool[n_fixed:]
            pool.extend(c)  # the predicate, then the exports
            if not truthy(c[0]):
                break
            args = [pool[i] for i in body_args]
            # The body is looked up by its inputs' shapes only when a per-iteration input's shape changed
            # (the invariants' shapes are those of the first iteration).
            now = [args[k].shape for k in varying]
            if now != shapes:
                compiled, shapes = body_get(args), now
            try:
                pool[:n] = compiled.forward(*args)
            except Exception as e:
                raise node_error(compiled.gm, e) from e
            if first:
                pool[n : 2 * n] = [_INDEX1] * n
                first = False

    def _iterate_scalar(self, pool) -> None:
        """``_iterate`` for a condition on Python numbers (``scalar_condition``): nothing but the predicate, which
        the body does not read, so the pool stays as it is. TF1's loops and their gradient loops all run here:
        the per-iteration work is gathers by ``operator.itemgetter``, and the body's own forward where it is
        ``threads.one_thread_forward``'s wrapper and this thread already runs one (the wrapper's checks, once
        per loop instead of once per iteration)."""
        n = self.n_vars
        cond, cond_args, body_args = self.cond, self.cond_gather, self.body_gather
        body_get, varying = self.body.get, self.body_varying
        direct = torch.get_num_threads() == 1 and not torch.compiler.is_dynamo_compiling()
        compiled = shapes = forward = None
        if not cond(*cond_args(pool))[0]:
            return
        first = True
        while True:
            args = body_args(pool)
            # The body is looked up by its inputs' shapes only when a per-iteration input's shape changed
            # (the invariants' shapes are those of the first iteration).
            now = [args[k].shape for k in varying]
            if now != shapes:
                compiled, shapes = body_get(args), now
                forward = compiled.forward
                if direct and getattr(forward, "one_thread", False):
                    forward = compiled.gm.forward
            try:
                pool[:n] = forward(*args)
            except Exception as e:
                raise node_error(compiled.gm, e) from e
            if first:
                pool[n : 2 * n] = [_INDEX1] * n
                first = False
            if not cond(*cond_args(pool))[0]:
                return


def _gather(indices):
    """A function of a list returning its items at ``indices`` as a tuple (``operator.itemgetter``, which
    returns the item itself for one index and cannot take none)."""
    if len(indices) > 1:
        return operator.itemgetter(*indices)
    if indices:
        i = indices[0]
        return lambda pool: (pool[i],)
    return lambda pool: ()


_SCALAR_FNS = {
    "Less": operator.lt,
    "LessEqual": operator.le,
    "Greater": operator.gt,
    "GreaterEqual": operator.ge,
    "Equal": operator.eq,
    "NotEqual": operator.ne,
    "LogicalAnd": operator.and_,
    "LogicalOr": operator.or_,
    "LogicalNot": operator.not_,
    "Identity": lambda x: x,
}
_SCALAR_TYPES = (DType.int32, DType.int64, DType.bool)


def scalar_condition(cond_ops, cond_feeds, pred, invariant_args=()):
    """A loop condition of integer and boolean scalars (TF1's ``i < n`` and ``LogicalAnd`` of such, the
    gradient loop's ``GreaterEqual``) evaluated on Python numbers: the same comparisons without a torch
    call per comparison each iteration. ``invariant_args``: the positions of arguments that are loop
    invariants (the bound ``n``), read once per value. None when the condition is anything else."""
    ops = lowering.all_ops(cond_ops)
    if len(ops) != len(cond_ops):  # a loop inside the condition
        return None
    consts = {}
    for op in ops:
        for t in op._outputs:
            if t.dtype.base_dtype not in _SCALAR_TYPES or t.shape.rank != 0:
                return None
        if op.type == "Const":
            consts[op._outputs[0]] = tensor_util.MakeNdarray(op._attrs["value"].tensor).item()
        elif op.type not in _SCALAR_FNS:
            return None
    for t in cond_feeds:
        if t.dtype.base_dtype not in _SCALAR_TYPES or t.shape.rank != 0:
            return None
    # The values of one evaluation, by slot: the feeds, the constants, then the ops' outputs in order.
    slots = {t: i for i, t in enumerate(cond_feeds)}
    template = [None] * len(cond_feeds)
    for t, value in consts.items():
        slots[t] = len(template)
        template.append(value)
    steps = []  # (fn, first input's slot, second input's slot or -1, output slot)
    for op in ops:
        if op.type == "Const":
            continue
        if not 1 <= len(op._inputs) <= 2 or any(t not in slots for t in op._inputs):
            return None
        ins = [slots[t] for t in op._inputs]
        slots[op._outputs[0]] = len(template)
        steps.append((_SCALAR_FNS[op.type], ins[0], ins[1] if len(ins) == 2 else -1, len(template)))
        template.append(None)
    if pred not in slots:
        return None
    result = slots[pred]
    n_feeds = len(cond_feeds)
    per_iteration = [k for k in range(n_feeds) if k not in set(invariant_args)]
    fixed = [k for k in range(n_feeds) if k in set(invariant_args)]
    known = [None] * n_feeds  # the invariants' tensors, their versions and their Python values

    def scalar_condition(*args):
        values = template.copy()
        for k in fixed:
            entry = known[k]
            a = args[k]
            if entry is None or entry[0] is not a or entry[1] != a._version:  # (a ref may be assigned to)
                entry = known[k] = (a, a._version, a.item())
            values[k] = entry[2]
        for k in per_iteration:
            values[k] = args[k].item()
        for fn, i, j, out in steps:
            values[out] = fn(values[i]) if j < 0 else fn(values[i], values[j])
        return (values[result],)

    return scalar_condition


def _accumulators(loop, body_ops) -> dict:
    """In-place kernels for the loop's accumulators: a loop variable whose next value is its value plus
    something, read by nothing else (TF1's gradient loops sum each loop invariant's gradient so). From the
    second iteration on, the value is a tensor this loop made and nobody else holds, so it is added to in
    place (TensorFlow reuses that memory too) instead of allocating a new one per iteration."""
    out = {}
    in_body = set(lowering.all_ops(body_ops))
    for merge, _enter, next_it, switch in loop.vars:
        add = next_it._inputs[0]._op
        if switch is None or add.type not in ("Add", "AddV2") or not add._info or add._control_inputs:
            continue
        value = switch._outputs[1]
        if value not in add._inputs or len(value._consumers) != 1:
            continue
        if add._outputs[0]._consumers != [next_it] or add._control_outputs:
            continue
        if merge._outputs[0]._consumers != [switch] or merge._outputs[1]._consumers:
            continue
        if value.dtype.base_dtype not in (DType.float32, DType.float64, DType.float16, DType.bfloat16):
            continue
        acc_index = add._inputs.index(value)
        addend = _addend_of(add._inputs[1 - acc_index], add, in_body)
        if addend is not None and addend.type == "MatMul":
            # The weight gradient of a gradient loop: the product is added into the accumulator by one
            # addmm_ (TF's MatMul into the sum), not made as a new tensor and then added; the products of
            # later iterations are kept and added by one product when the loop ends (_PendingProducts).
            out[addend] = _deferred_matmul
            out[add] = _matmul_accumulator(acc_index, defer=all(_made_in_body(t) for t in addend._inputs))
        elif addend is not None and addend.type == "BiasAddGrad":
            # The bias gradient: the column sums of the gradient are added into the accumulator by one
            # addmv_ (TF's BiasAddGrad into the sum).
            out[addend] = _deferred_bias_add_grad
            out[add] = _matmul_accumulator(acc_index)
        else:
            out[add] = _accumulator(acc_index)
    return out


def _addend_of(t, reader, in_body):
    """The 2-D float MatMul or BiasAddGrad of the body whose value reaches only ``reader`` (through
    Identities: TF's gradients route it through ``tuple``'s control_dependency), or None."""
    while True:
        users = [c for c in t._consumers if c in in_body]
        if users != [reader]:
            return None
        op = t._op
        if op not in in_body or op._info is None:
            return None
        if op.type in ("MatMul", "BiasAddGrad"):
            return op if t.dtype.base_dtype in (DType.float32, DType.float64) else None
        if op.type != "Identity":
            return None
        reader, t = op, op._inputs[0]


def _made_in_body(t) -> bool:
    """Whether ``t`` (through Identities) is a value the loop body makes, not one entering the loop (a loop
    invariant may be a variable that an assignment changes before the loop ends)."""
    while t._op.type == "Identity":
        t = t._op._inputs[0]
    return t._op.type not in control_flow.ENTER_OPS and not t.dtype.is_ref_dtype


def _invariant_matmuls(loop, body_ops) -> dict:
    """Kernels for the body's ``MatMul(a, b, transpose_b=True)`` whose ``b`` enters the loop as an invariant
    (a weight, in a gradient loop): b's transpose is laid out once, not on each iteration. (torch multiplies
    by a transposed operand more slowly than by a contiguous one.)"""
    invariants = {op._outputs[0] for op in loop.invariants}
    out = {}
    for op in lowering.all_ops(body_ops):
        if op.type != "MatMul" or not op._attrs["transpose_b"].b or op._attrs["transpose_a"].b:
            continue
        if op._inputs[1] in invariants and op._inputs[1].dtype.base_dtype in (DType.float32, DType.float64):
            out[op] = _transposed_b_matmul()
    return out


def _transposed_b_matmul():
    cache = [None]  # (the b tensor, its version, its contiguous transpose), replaced as one (threads)

    def mat_mul_invariant_b(a, b, transpose_a, transpose_b):
        entry = cache[0]
        if entry is None or entry[0] is not b or entry[1] != b._version:
            entry = (b, b._version, b.t().contiguous())
            cache[0] = entry
        return threads.run_product(torch.mm, a, entry[2], a, entry[2])

    return mat_mul_invariant_b


def _accumulator(acc_index: int):
    token = object()

    def accumulate(x, y):
        acc, value = (x, y) if acc_index == 0 else (y, x)
        if getattr(acc, "_torchmeta_accumulator", None) is token and acc.shape == value.shape:
            return acc.add_(value)
        out = torch.add(x, y)
        out._torchmeta_accumulator = token
        return out

    return accumulate


class _Product:
    """A MatMul's operands, multiplied by the accumulator that reads them (``_matmul_accumulator``)."""

    __slots__ = ("a", "b", "transpose_a", "transpose_b")

    def __init__(self, a, b, transpose_a, transpose_b):
        self.a, self.b, self.transpose_a, self.transpose_b = a, b, transpose_a, transpose_b

    def value(self):
        return matmul_ops.mat_mul(self.a, self.b, self.transpose_a, self.transpose_b)


def _deferred_matmul(a, b, transpose_a, transpose_b):
    return _Product(a, b, transpose_a, transpose_b)


class _ColumnSums:
    """A 2-D BiasAddGrad's gradient, summed by the accumulator that reads it (``_matmul_accumulator``)."""

    __slots__ = ("grad",)

    def __init__(self, grad):
        self.grad = grad

    def value(self):
        return nn_ops.bias_add_grad(self.grad, "NHWC")


def _deferred_bias_add_grad(out_backprop, data_format):
    if data_format == "NHWC" and isinstance(out_backprop, torch.Tensor) and out_backprop.dim() == 2:
        return _ColumnSums(out_backprop)
    return nn_ops.bias_add_grad(out_backprop, data_format)


# The most bytes of operands an accumulator keeps for its pending products (beyond that they are added).
PENDING_PRODUCT_BYTES = 16 << 20
# The least bytes of an accumulator that keeps products: dynamic_rnn's LSTM gradient step at one thread took
# 0.91-0.94x the time with a 256x512 float32 kernel accumulator (512 KiB), 0.97x at 128x256 with 32 rows
# per product, 1.02-1.05x at 128x256 with 8 rows (128 KiB: added per iteration, it stays in the caches).
DEFER_MIN_BYTES = 256 << 10


class _PendingProducts:
    """The products of a gradient loop's iterations not yet added into their accumulator (an attribute of
    it, ``_torchmeta_pending``): at the loop's end they are added by one product of the operands
    concatenated along the inner dimension (``LoopRunner`` calls ``flush``). A weight gradient's product
    per iteration is a few rows deep (the batch); MKL multiplies one deep product at about twice the speed
    of many shallow ones into the same accumulator, which it reads and writes whole for each (rows summed
    in one product instead of one product per iteration: the same sum, rounded in another order). Only for an
    accumulator of DEFER_MIN_BYTES or more."""

    __slots__ = ("a", "b", "versions", "transpose_a", "transpose_b", "nbytes")

    def __init__(self, transpose_a, transpose_b):
        self.a, self.b, self.versions = [], [], []
        self.transpose_a, self.transpose_b = transpose_a, transpose_b
        self.nbytes = 0

    def add(self, a, b) -> None:
        self.a.append(a)
        self.b.append(b)
        self.versions.append((a._version, b._version))
        self.nbytes += a.numel() * a.element_size() + b.numel() * b.element_size()

    @staticmethod
    def flush(acc) -> None:
        """Adds ``acc``'s pending products into it (nothing when it has none)."""
        pending = getattr(acc, "_torchmeta_pending", None)
        if pending is None or not pending.a:
            return
        a_list, b_list = pending.a, pending.b
        pending.a, pending.b, pending.nbytes = [], [], 0
        for x, y, (vx, vy) in zip(a_list, b_list, pending.versions):
            if x._version != vx or y._version != vy:
                raise errors.InternalError(None, None, "An operand of a pending gradient product changed in place.")
        pending.versions = []
        # The inner dimension: rows of a stored transposed (a^T), columns of a; rows of b, columns of b^T.
        if len(a_list) == 1:
            a, b = a_list[0], b_list[0]
        else:
            a = torch.cat(a_list, 0 if pending.transpose_a else 1)
            b = torch.cat(b_list, 1 if pending.transpose_b else 0)
        a = a.t() if pending.transpose_a else a
        b = b.t() if pending.transpose_b else b
        threads.run_product(acc.addmm_, a, b, a, b)


def _matmul_accumulator(acc_index: int, defer: bool = False):
    """``_accumulator`` for an addend made by a MatMul whose kernel is ``_deferred_matmul``: the product is
    added in place by ``addmm_`` (a new accumulator by ``addmm`` on the first iteration; with ``defer``, the
    later iterations' products are kept and added at the loop's end, ``_PendingProducts``); or by a 2-D
    BiasAddGrad whose kernel is ``_deferred_bias_add_grad``: its column sums are added by ``addmv_`` with
    a vector of ones."""
    token = object()
    ones_cache = [None]

    def accumulate_product(x, y):
        acc, p = (x, y) if acc_index == 0 else (y, x)
        # (not while torch.compile traces a body: kept products are the eager loop's, added by LoopRunner)
        pending = getattr(acc, "_torchmeta_pending", None) if defer and not torch.compiler.is_compiling() else None
        if isinstance(p, _Product) and pending is not None and getattr(acc, "_torchmeta_accumulator", None) is token:
            a, b = p.a, p.b
            if (
                pending.transpose_a == p.transpose_a
                and pending.transpose_b == p.transpose_b
                and a.dim() == 2
                and b.dim() == 2
                and a.dtype == acc.dtype == b.dtype
                and a.device == acc.device == b.device
                and a.shape[0 if p.transpose_a else 1] == b.shape[1 if p.transpose_b else 0]
                and acc.shape == (a.shape[1 if p.transpose_a else 0], b.shape[0 if p.transpose_b else 1])
            ):
                pending.add(a, b)
                if pending.nbytes >= PENDING_PRODUCT_BYTES:
                    _PendingProducts.flush(acc)
                return acc
        if pending is not None and getattr(acc, "_torchmeta_accumulator", None) is token:
            _PendingProducts.flush(acc)  # (what is pending is added first, in the order TF adds)
        if isinstance(p, _ColumnSums):
            g = p.grad
            if (
                isinstance(acc, torch.Tensor)
                and acc.dim() == 1
                and g.dtype == acc.dtype
                and g.shape[1] == acc.shape[0]
                and g.device == acc.device
            ):
                ones = ones_cache[0]
                if ones is None or ones.shape[0] != g.shape[0] or ones.dtype != g.dtype or ones.device != g.device:
                    ones = ones_cache[0] = torch.ones(g.shape[0], dtype=g.dtype, device=g.device)
                if getattr(acc, "_torchmeta_accumulator", None) is token:
                    return acc.addmv_(g.t(), ones)
                out = torch.addmv(acc, g.t(), ones)
                out._torchmeta_accumulator = token
                return out
            p_value = p.value()
        elif not isinstance(p, _Product):  # the MatMul ran its own kernel (a fusion took it)
            p_value = p
        else:
            a = p.a.t() if p.transpose_a else p.a
            b = p.b.t() if p.transpose_b else p.b
            if (
                isinstance(acc, torch.Tensor)
                and a.dim() == 2
                and b.dim() == 2
                and a.dtype == acc.dtype == b.dtype
                and a.shape[1] == b.shape[0]
                and acc.shape == (a.shape[0], b.shape[1])
            ):
                if getattr(acc, "_torchmeta_accumulator", None) is token:
                    return threads.run_product(acc.addmm_, a, b, a, b)
                out = threads.run_product(torch.addmm, a, b, acc, a, b)
                out._torchmeta_accumulator = token
                if defer and out.numel() * out.element_size() >= DEFER_MIN_BYTES and not torch.compiler.is_compiling():
                    out._torchmeta_pending = _PendingProducts(p.transpose_a, p.transpose_b)
                return out
            p_value = p.value()  # raises MatMul's own error for operands it cannot multiply
        if getattr(acc, "_torchmeta_accumulator", None) is token and acc.shape == p_value.shape:
            return acc.add_(p_value)
        out = torch.add(x if acc_index == 0 else p_value, p_value if acc_index == 0 else y)
        out._torchmeta_accumulator = token
        return out

    accumulate_product.defers = defer
    return accumulate_product


_INDEX0 = torch.tensor(0, dtype=torch.int32)
_INDEX1 = torch.tensor(1, dtype=torch.int32)


def _may_alias(t: Tensor) -> bool:
    """Whether a fetched value may share memory with state the session keeps (then it is copied)."""
    info = t.op._info
    if t.op.type in lowering.SOURCE_OPS or t.dtype.is_ref_dtype:
        return True
    return info is not None and info.aliases_input


def _absorbed_op(op, op_type):
    """The op of type ``op_type`` whose output ``op`` reads, directly or through up to two ops (the op a
    specialization fusion recorded on ``op`` absorbed: ``common.raised_by``); None where none is (or ``op`` is
    of that type)."""
    if op is None or op_type is None or op.type == op_type:
        return None
    level = [op]
    for _ in range(3):
        level = [t.op for o in level for t in o.inputs]
        for o in level:
            if o.type == op_type:
                return o
    return None


def node_error(gm, exc) -> Exception:
    """``exc`` (raised while running ``gm``) as an OpError naming the TF node whose kernel raised it."""
    if isinstance(exc, errors.OpError) and exc.op is not None:
        return exc
    node = lowering.locate_failed_node(gm, exc.__traceback__)
    op = node.meta.get("tf_operation") if node is not None else None
    tf_name = node.meta.get("tf_name") if node is not None else None
    tf_op_type = node.meta.get("tf_op") if node is not None else None
    member = getattr(exc, "failed_operation", None)  # the op of a group run as one call (update_groups) that raised
    if member is not None:
        op, tf_name, tf_op_type = member, member.name, member.type
    absorbed = _absorbed_op(op, getattr(exc, "failed_op_type", None))  # a fusion's member that raised it
    if absorbed is not None:
        op, tf_name, tf_op_type = absorbed, absorbed.name, absorbed.type
    node_message = getattr(exc, "node_message", None)  # a message naming the node (common.inputs_not_same_shape)
    if node_message is not None and tf_name is not None:
        exc.message = node_message(tf_name, tf_op_type)
        exc.args = (exc.message, *exc.args[1:])
    if isinstance(exc, errors.OpError):
        if op is not None:
            exc.op = op
            exc.node_def = op.node_def
        elif tf_op_type == "_Retval":  # a node TF adds for a fetch: named in the message, no op or NodeDef
            exc.message = f"{exc.message}\n\t [[{{{{node {tf_name}}}}}]]"
            exc.args = (exc.message, *exc.args[1:])
        return exc
    where = f"{tf_op_type} '{tf_name}'" if tf_name else "graph"
    message = f"{where}: {type(exc).__name__}: {exc}"
    node_def = op.node_def if op is not None else None
    if isinstance(exc, (RuntimeError, ValueError, IndexError, TypeError)):
        return errors.InvalidArgumentError(node_def, op, message)
    return errors.InternalError(node_def, op, message)
