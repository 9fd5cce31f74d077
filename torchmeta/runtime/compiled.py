"""``ConfigProto(torch_compile=True)``: each lowered module run through ``torch.compile``, per feed signature.

A Program lowers its subgraph once per feed-shape signature (``runtime/program.py``); with this option the
module of each signature runs eagerly on its first call and is compiled by ``torch.compile`` (inductor,
``dynamic=False``) on its second, which is timed: what runs once (initializers, a restore, a one-off
evaluation) never pays for compiling. The next calls alternate between the compiled and the eager module, timed,
and the signature keeps the faster (the best call of each, ``CompiledForward.TRIALS`` calls or more for a short
step): a step too small to gain from compiling stays eager.
What lets the compiler capture a whole training step (forward, gradients and
optimizer updates) as one graph:

- specialization (``runtime/specialize.py``) has folded and checked, for these feed shapes, what kernels
  would otherwise read on the host (Reshape's shape, ConcatV2's axis, Conv2DBackpropFilter's sizes...);
  the module calls their static forms with Python values;
- kernels take their traceable form while ``torch.compiler.is_compiling()``: the native C kernels of batch
  norm, depthwise convolutions and LRN's window sums as the custom ops ``torch.ops.torchmeta.*``
  (``ops/native_build.custom_op``: inductor calls them as extern kernels); the optimizer updates and the LSTM cells as torch ops, which inductor
  fuses into loops of its own (a custom op's call is a Python round trip through the dispatcher, 20-100 us:
  with them the seed MLP step was 1.12x the eager one and the LSTM classifier's 1.13x,
  bench/results/compiled11.txt); TF's optimizer arithmetic instead of torch's fused optimizer kernels (those
  take Python floats read from tensors), updating the variables in place; max pooling inductor's own, which
  fuses the Relu before it; convolutions without oneDNN's post-op kernels, the 5x5 ones on a padded copy as
  eagerly (``ops/conv_ops._pads_first``), and SparseSoftmaxCrossEntropyWithLogits' label-range check as a tensor
  assertion (it raises before the step updates anything, but cannot name the label value: a compiled step
  that fails runs again eagerly, which raises TF's error with the value and the node's name). The eager
  path is unchanged.

Inductor gets a post-grad pass of ours, ``ProductUpdates``: a GradientDescent update of a large weight is added
into the variable by its gradient's product itself (``addmm_``), a running sum of products adds in place, and a
product's bias is added by the loop reading it, none of which the eager step's separate kernels can do. A step
of small kernels runs on one thread, as the eager one would (specialization's ``compiled_one_thread``). The
module that calls a compiled step's kernels is inductor's C++ wrapper (``cpp_wrapper``, CompiledForward's
INDUCTOR_CONFIG), not Python code: ATen ops without a C shim (our ``addmm_``) and our custom ops go through the
dispatcher from there.

TF1 while loops and library function calls stay eager between compiled parts (their bodies are Programs of
their own, each compiled on its own). A subgraph that works on the host (string or variant values: savers,
summaries, parsing; handles of queues, readers or iterators) is not compiled at all (``compilable``).

Variables are the session's slots: a ref variable's update writes its tensor in place and a resource
variable's replaces the slot's tensor; torch.compile functionalizes both and writes the results back, so
later runs, compiled or eager, see them. The write-back is a ``copy_`` into the variable's tensor, which
bumps its version counter as any in-place write must (caches keyed on versions, such as a loop's
transposed weight, see the update; ``tests/runtime/test_compiled.py`` checks it).
"""

from __future__ import annotations

import logging
import operator
import time

import torch

from torchmeta.dtypes import DType
from torchmeta.ops import threads
from torchmeta.runtime.lowering import all_ops

__all__ = ["CompiledForward", "CompileRecord", "ProductUpdates", "compilable", "explain_module"]

_HOST_DTYPES = (DType.string, DType.variant)
_VARIABLE_OPS = ("VarHandleOp", "VariableV2", "Variable")


def compilable(items) -> bool:
    """Whether the subgraph ``items`` (from ``lowering.prune``) is worth compiling: no string or variant values
    and no resource handles but variables' (the rest of what such a subgraph does runs on the host)."""
    for op in all_ops(items):
        for t in (*op._inputs, *op._outputs):
            dtype = t.dtype.base_dtype
            if dtype in _HOST_DTYPES or (dtype is DType.resource and t.op.type not in _VARIABLE_OPS):
                return False
    return True


class CompileRecord:
    """One compiled signature: the feed shapes, the seconds its first compiled call took (compiling it, then
    running it once), how many graphs the compiler built for it (1 when nothing breaks the graph and
    nothing recompiles it), and, once its trial calls are done, which module it kept (``kept``: "compiled"
    or "eager") with the best (least) seconds per call of each in the trials."""

    __slots__ = ("feed_shapes", "seconds", "graphs", "error", "kept", "trials")

    def __init__(self, feed_shapes):
        self.feed_shapes = feed_shapes
        self.seconds = None
        self.graphs = 0
        self.error = None  # why the compiled module failed where the eager one ran (then it runs eagerly)
        self.kept = None
        self.trials = {"compiled": [], "eager": []}

    def as_dict(self) -> dict:
        out = {"feed_shapes": self.feed_shapes, "seconds": self.seconds, "graphs": self.graphs}
        if self.error is not None:
            out["error"] = self.error
        if self.kept is not None:
            out["kept"] = self.kept
            out.update({f"{k}_seconds": min(v) for k, v in self.trials.items() if v})
        return out


class CompiledForward:
    """``gm.forward``, eagerly on the first call, then through torch.compile. ``log`` (a list) receives this
    signature's CompileRecord once its second call has compiled it.

    The ``TRIALS`` calls after that alternate between the compiled and the eager module (each call is a real
    step: both compute it alike), timed, and the signature keeps the one whose best call was faster: a small
    step whose compiled call costs more than its kernels (a 50 us inference) stays eager. The best call, not
    the median: what other work on the machine does to a call only adds to its time."""

    TRIALS = 10  # trial calls at least, alternating; more (up to MAX_TRIALS) while a kind's calls took less
    MAX_TRIALS = 100  # than TRIAL_SECONDS together: the best of 5 calls of a 0.2 ms step is still noise
    TRIAL_SECONDS = 0.05

    @staticmethod
    def clock() -> float:
        """The trials' clock: with one intra-op thread the process's CPU time (on a loaded machine a step of a
        few milliseconds is often preempted, and wall-clock trials then measure the preemption, not the
        module: the bench machine's compiled LSTM step took 1.3-2.0 ms of CPU and 1.3-10.8 ms of wall clock),
        with more the wall clock (the CPU time of several threads is not the time a step takes)."""
        return time.process_time() if torch.get_num_threads() == 1 else time.perf_counter()

    def __init__(self, gm: torch.fx.GraphModule, feed_shapes, log: list | None, one_thread: bool = False):
        self.record = CompileRecord([None if s is None else tuple(s) for s in feed_shapes])
        self._log = log
        self._first = True
        self._compiled = torch.compile(gm.forward, dynamic=False, backend=self._backend)
        # A step of small kernels (specialization's compiled_one_thread, threads.compiled_step_on_one_thread) runs
        # on the calling thread alone, compiled and eager: then inductor writes its loops for one thread and no
        # call wakes a second (the LSTM classifier's compiled step at 2 threads took 2.6x the eager one's
        # wall time, bench/results/compile13_profile.txt).
        self._one_thread = one_thread
        self._eager = threads.one_thread_forward(gm) if one_thread else gm.forward

    # Inductor's settings for these graphs. realize_reads_threshold (default 4): a fused expression reading more
    # inputs than this is stored to a buffer of its own once it has several readers, in whatever layout, and read
    # back: the max-pool gradient (pool_ops._tiled_max_pool_grad, each window's 4 inputs and the gradient) was
    # written through a transposed buffer before its ReluGrad; with 8 it is one vectorized pass in the data's
    # layout (CNN step compiled/eager 1.00-1.02 -> ~0.98, bench/results/compiled11.txt). cpp_wrapper: the module
    # that calls the kernels, allocates and frees buffers is C++, not Python run by the interpreter for each call
    # (one thread, same-process A/B, step new/old: seed MLP 0.82, LSTM classifier 0.87-0.88, lstm5 0.88, MNIST
    # MLP 0.98, CNN 0.97-0.99, ResNet 0.95, MobileNet 0.96-0.97). Compiling is one g++ run for the module and its
    # kernels instead of one per kernel: from a cold cache CNN 27 vs 41 s, seed MLP 19 vs 24, LSTM classifier 66
    # vs 43; where the kernels alone were cached, 6-33 s longer (bench/results/cmp14_profile.txt).
    INDUCTOR_CONFIG = {"realize_reads_threshold": 8, "cpp_wrapper": True}

    def _backend(self, graph_module, example_inputs):
        """Inductor (with INDUCTOR_CONFIG and the post-grad pass ``ProductUpdates``), counting the graphs it is
        given (a graph break or a recompile gives it another)."""
        from torch._inductor.compile_fx import compile_fx  # (imports inductor: only when something compiles)

        self.record.graphs += 1
        config = {**self.INDUCTOR_CONFIG, "post_grad_custom_post_pass": ProductUpdates()}
        return compile_fx(graph_module, example_inputs, config_patches=config)

    def __call__(self, *args):
        record = self.record
        if record.kept == "compiled":
            return self._run_compiled(args)
        if record.kept == "eager" or record.error is not None:
            return self._eager(*args)
        if self._first:
            self._first = False
            return self._eager(*args)
        if record.seconds is None:  # the second call compiles
            start = time.perf_counter()
            out = self._run_compiled(args)
            record.seconds = time.perf_counter() - start
            if self._log is not None:
                self._log.append(record)
            return out
        kind = "compiled" if len(record.trials["compiled"]) <= len(record.trials["eager"]) else "eager"
        start = self.clock()
        out = self._run_compiled(args) if kind == "compiled" else self._eager(*args)
        record.trials[kind].append(self.clock() - start)
        if record.error is None and self._trials_done():
            compiled, eager = (min(record.trials[k]) for k in ("compiled", "eager"))
            record.kept = "compiled" if compiled < eager else "eager"
        return out

    def _trials_done(self) -> bool:
        trials = self.record.trials
        calls = len(trials["eager"]) * 2
        if calls < self.TRIALS or len(trials["compiled"]) != len(trials["eager"]):  # as many calls of each
            return False
        return calls >= self.MAX_TRIALS or min(sum(trials["compiled"]), sum(trials["eager"])) >= self.TRIAL_SECONDS

    def _run_compiled(self, args):
        try:
            return threads.on_one_thread(self._compiled, *args) if self._one_thread else self._compiled(*args)
        except Exception as e:
            # The step runs again eagerly. A check that is a tensor assertion in the compiled step (a label out
            # of range) fails there with TensorFlow's message, the value and the node, before anything changed
            # (a step compiled into one graph writes its variables back only once it ran to the end). If the
            # eager step succeeds, the compiled module itself failed: this signature runs eagerly from now on,
            # and the record says why. A step split into several graphs may have run (and updated variables
            # in) the first ones: it is not run again.
            if self.record.graphs > 1:
                raise
            out = self._eager(*args)
            self.record.error = f"{type(e).__name__}: {e}".splitlines()[0]
            return out


def explain_module(gm: torch.fx.GraphModule, args):
    """``torch._dynamo.explain`` of ``gm``'s forward called with ``args`` (it runs once, traced)."""
    return torch._dynamo.explain(gm.forward)(*args)


_aten = torch.ops.aten
_VIEWS = {
    _aten.permute.default,
    _aten.t.default,
    _aten.view.default,
    _aten.reshape.default,
    _aten.expand.default,
    _aten.slice.Tensor,
    _aten.select.int,
    _aten.as_strided.default,
    _aten.unsqueeze.default,
    _aten.squeeze.dim,
    _aten.alias.default,
    _aten.transpose.int,
}


def _addmm_in_place_lowering() -> None:
    """Inductor's lowering of ``aten.addmm_`` (which this module's pass inserts after functionalization) as a
    call of the ATen kernel, registered once. Inductor would make the same fallback itself on meeting the op,
    but with the environment variable CI set it refuses any implicit fallback of an op that has a decomposition
    (``make_fallback``'s CI check, meant for torch's own CI): every compiled step with a folded update failed to
    compile under ``CI=true`` (GitHub Actions, this project's .ci/run). The decomposition would undo the fold."""
    from torch._inductor import lowering

    if _aten.addmm_.default not in lowering.lowerings:
        lowering.make_fallback(_aten.addmm_.default, warn=False)
        logging.getLogger("torch._inductor.ir").addFilter(_no_shim_warning_for_addmm_)


def _no_shim_warning_for_addmm_(record: logging.LogRecord) -> bool:
    """Drops inductor's warning that ``aten.addmm_`` has no C shim (under cpp_wrapper the C++ module calls an ATen
    op without one through the dispatcher: what this module's pass asks for, once per folded update)."""
    return not (record.args and record.args[0] is _aten.addmm_.default and "c-shim" in record.msg)


class ProductUpdates:
    """Inductor's post-grad pass (``post_grad_custom_post_pass``) for the products of a training step: what the
    eager step runs as separate kernels (a MatMul, then the node that reads it), the compiled graph can hand to
    the GEMM itself, which adds into its output for free, or to the loop that reads the product.

    - A gradient-descent update of a variable by a product, ``var -= alpha * (a @ b)`` (GradientDescent's
      ``_foreach_sub`` of a ``_foreach_mul`` whose member is an ``mm`` read by nothing else, written back into
      the variable, a graph input), becomes ``var.addmm_(a * -alpha, b)``: the gradient is never stored and read
      back by an update loop; the GEMM reads and writes the variable once (the MNIST MLP's [784, 1024] and
      [1024, 1024] weights, one thread, AVX-512 Xeon: mm 1.31 / 1.67 ms, mm + update 1.81 / 2.38, addmm_ 1.33 /
      1.71). ``-alpha`` scales the smaller operand (through its transpose, in its own layout). The rounding
      differs from TF's ``var - round(alpha * round(a @ b))`` by an ulp or so of the update. Variables under
      ``MIN_ELEMENTS`` stay in inductor's one update loop, cheaper than an extern call each.
    - A running sum of products adds each into one buffer in place (``_accumulate_in_place``).
    - A product's bias row is added by the loop that reads the product (``_bias_in_consumers``).

    bench/results/compile13_profile.txt has the measurements."""

    MIN_ELEMENTS = 1 << 16

    def uuid(self):  # inductor's FX-graph cache key for this pass
        return f"torchmeta.ProductUpdates.v3.{self.MIN_ELEMENTS}"

    def __call__(self, graph: torch.fx.Graph) -> None:
        _addmm_in_place_lowering()
        drops = {}  # foreach node -> the indices of its members this pass removes
        for copy in [n for n in graph.nodes if n.target is _aten.copy_.default]:
            match = self._match(copy)
            if match is None:
                continue
            var, alpha, product, sub, i, mul, j = match
            with graph.inserting_before(copy):
                neg = graph.call_function(_aten.neg.default, (alpha,))
                a, b = product.args
                if self._numel(a) <= self._numel(b):
                    a = self._scaled(graph, a, neg)
                else:
                    b = self._scaled(graph, b, neg)
                graph.call_function(_aten.addmm_.default, (var, a, b))
            source = copy.args[1]
            graph.erase_node(copy)
            graph.erase_node(source)
            drops.setdefault(sub, set()).add(i)
            drops.setdefault(mul, set()).add(j)
        for foreach in [n for n in drops if n.target is _aten._foreach_sub.List]:  # the subtractions first: they
            self._drop(graph, foreach, drops.pop(foreach))  # read the multiplications' members
        for foreach, indices in drops.items():
            self._drop(graph, foreach, indices)
        self._accumulate_in_place(graph)
        self._bias_in_consumers(graph)
        graph.eliminate_dead_code()

    @staticmethod
    def _bias_in_consumers(graph) -> None:
        """A product plus a bias row (``addmm(bias, a, b)``: specialization's MatMul + BiasAdd, which inductor's own
        pattern pass also makes of ``mm + add``) is an ``mm`` and an ``add`` that inductor fuses into the loop
        reading the result (the Relu, the LSTM cell, the softmax): its ``addmm`` first copies the broadcast bias
        into the output (the LSTM classifier: 28 [64, 512] copies per step). TF's order of rounding too: the
        product, then the bias."""
        for node in list(graph.nodes):
            if node.target is not _aten.addmm.default or node.kwargs or len(node.args) != 3:
                continue
            bias, a, b = node.args
            if not isinstance(bias, torch.fx.Node):
                continue
            value, result = bias.meta.get("val"), node.meta.get("val")
            if value is None or result is None or value.dim() != 1 or result.device.type != "cpu":
                continue
            with graph.inserting_before(node):
                product = graph.call_function(_aten.mm.default, (a, b))
                total = graph.call_function(_aten.add.Tensor, (product, bias))
            node.replace_all_uses_with(total)
            graph.erase_node(node)

    @staticmethod
    def _accumulate_in_place(graph) -> None:
        """A running sum of products (a weight's gradient over an unrolled loop's steps: ``mm``, then ``addmm(sum,
        a, b)`` per step) adds each product into the sum's buffer, ``sum.addmm_(a, b)``, as the eager step's
        kernels do: inductor's ``addmm`` copies its input into a new buffer first (the static LSTM classifier: 27
        copies of a [156, 512] sum per step). Only where the sum is a product's own buffer, of the result's shape,
        that nothing else reads."""
        for node in list(graph.nodes):
            if node.target is not _aten.addmm.default or node.kwargs or len(node.args) != 3:
                continue
            acc, a, b = node.args
            if not isinstance(acc, torch.fx.Node) or acc.target not in (_aten.mm.default, _aten.addmm.default):
                continue
            readers = [u for u in acc.users if u.target is not _aten.addmm_.default]
            value, result = acc.meta.get("val"), node.meta.get("val")
            if readers != [node] or value is None or result is None or value.shape != result.shape:
                continue
            if not value.is_contiguous() or value.device.type != "cpu":
                continue
            with graph.inserting_before(node):
                graph.call_function(_aten.addmm_.default, (acc, a, b))
            node.replace_all_uses_with(acc)
            graph.erase_node(node)

    @staticmethod
    def _numel(node) -> int:
        return node.meta["val"].numel()

    @staticmethod
    def _scaled(graph, node, factor):
        """``node * factor``, through a transpose: the product reads the scaled operand in the layout it had."""
        if node.target is _aten.permute.default:
            base, dims = node.args
            return graph.call_function(
                _aten.permute.default, (graph.call_function(_aten.mul.Tensor, (base, factor)), dims)
            )
        return graph.call_function(_aten.mul.Tensor, (node, factor))

    def _match(self, copy):
        """(var, alpha, mm, the _foreach_sub, var's index there, the _foreach_mul, the delta's index there) where
        ``copy`` writes back ``var - delta * alpha`` with delta an mm of its own, else None."""
        var, source = copy.args
        if var.op != "placeholder" or source.target is not operator.getitem:
            return None
        sub, i = source.args
        if sub.target is not _aten._foreach_sub.List or len(source.users) != 1:
            return None
        variables, scaled = sub.args
        if variables[i] is not var or scaled[i].target is not operator.getitem:
            return None
        mul, j = scaled[i].args
        if mul.target is not _aten._foreach_mul.Tensor or len(scaled[i].users) != 1:
            return None
        product, alpha = mul.args[0][j], mul.args[1]
        if product.target is not _aten.mm.default or len(product.users) != 1:
            return None
        value, alpha_value = var.meta.get("val"), alpha.meta.get("val")
        if value is None or alpha_value is None or alpha_value.dim() != 0 or alpha_value.dtype != value.dtype:
            return None
        if value.dtype not in (torch.float32, torch.float64) or value.device.type != "cpu":
            return None
        if value.numel() < self.MIN_ELEMENTS or not value.is_contiguous():
            return None
        if any(self._base(operand) is var for operand in product.args):  # (the product would read what it writes)
            return None
        return var, alpha, product, sub, i, mul, j

    @staticmethod
    def _base(node):
        """The node whose storage ``node`` views (through views of views)."""
        while isinstance(node, torch.fx.Node) and node.target in _VIEWS:
            node = node.args[0]
        return node

    @staticmethod
    def _drop(graph, foreach, indices) -> None:
        """Removes the members ``indices`` from the foreach node (their results must be unused), renumbering the
        ``getitem``s of the rest."""
        keep = [k for k in range(len(foreach.args[0])) if k not in indices]
        users = list(foreach.users)
        if not keep:
            for user in users:
                graph.erase_node(user)
            graph.erase_node(foreach)
            return
        args = tuple([a[k] for k in keep] if isinstance(a, (list, tuple)) else a for a in foreach.args)
        with graph.inserting_before(foreach):
            new = graph.call_function(foreach.target, args, dict(foreach.kwargs))
        new.meta = dict(foreach.meta)
        if "val" in new.meta:
            new.meta["val"] = [new.meta["val"][k] for k in keep]
        for user in users:
            k = user.args[1]
            if k in indices:
                graph.erase_node(user)
            else:
                user.args = (new, keep.index(k))
        graph.erase_node(foreach)
