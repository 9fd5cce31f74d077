"""Library functions at run time: each body lowered once per input signature, shared by all its callers.

``FunctionCalls`` is what the ``functions`` context value of a kernel is (If, While, Case,
PartitionedCall, a call by the function's name): one callable attribute per ``func`` attr of the op
(a list for ``list(func)``). Each callable is a ``Function`` of the environment's cache, so every call
site of a function, and every iteration of a loop calling it, reuses the same compiled modules.
"""

from __future__ import annotations

import operator
import threading

import torch

from torchmeta import errors
from torchmeta.api import array_ops
from torchmeta.api.gradients import gradients
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.func_graph import FuncGraph, function_graph
from torchmeta.framework.graph import Tensor
from torchmeta.framework.op_def_library import raw_op
from torchmeta.ops.control_flow_ops import truthy
from torchmeta.runtime import lowering
from torchmeta.runtime.program import Program, node_error, scalar_condition

__all__ = ["Function", "FunctionCalls", "FunctionCache"]


class Function:
    """One library function, callable with its arguments positionally; returns its outputs as a tuple."""

    __slots__ = ("name", "func_graph", "program", "_predicate", "__weakref__")

    def __init__(self, func_graph, env):
        self.name = func_graph.name
        self.func_graph = func_graph
        ops = lowering.prune(func_graph.outputs, func_graph.control_outputs, func_graph.inputs)
        lowering.check_supported(ops)
        self.program = Program(env, ops, func_graph.outputs, func_graph.control_outputs, func_graph.inputs)
        self._predicate = None

    def predicate(self):
        """This function as a While's condition on Python numbers, ``(test, gather)``: ``test(*gather(args))``
        is its one output's value for the arguments ``args`` (``program.scalar_condition`` over the arguments
        it reads: TF2's ``i < n`` and ``LogicalAnd`` of such). None where the condition is anything else."""
        if self._predicate is None:
            self._predicate = self._scalar_predicate() or False
        return self._predicate or None

    def _scalar_predicate(self):
        fg = self.func_graph
        if len(fg.outputs) != 1 or fg.control_outputs:
            return None
        ops = self.program.ops
        read = {t for op in lowering.all_ops(ops) for t in op._inputs}
        positions = [i for i, t in enumerate(fg.inputs) if t in read or t is fg.outputs[0]]
        if not positions:
            return None
        test = scalar_condition(ops, [fg.inputs[i] for i in positions], fg.outputs[0])
        if test is None:
            return None
        if len(positions) == 1:
            i = positions[0]
            return test, lambda args: (args[i],)
        return test, operator.itemgetter(*positions)

    def __call__(self, *args):
        n = len(self.func_graph.inputs)
        if len(args) != n:
            raise errors.InvalidArgumentError(
                None, None, f"Function {self.name} expects {n} arguments, got {len(args)}"
            )
        return self.program(*args)

    def __repr__(self):
        return f"<Function {self.name!r}>"


class FunctionCache:
    """An environment's ``Function`` objects, one per (library, function name)."""

    def __init__(self, env):
        self._env = env
        self._functions: dict = {}
        self._lock = threading.RLock()  # nested functions are built while their caller is

    def get(self, library, name: str) -> Function:
        key = (id(library), name)
        fn = self._functions.get(key)
        if fn is not None:
            return fn
        with self._lock:
            return self._get_locked(library, name, key)

    def _get_locked(self, library, name: str, key) -> Function:
        fn = self._functions.get(key)
        if fn is None:
            try:
                fn = Function(function_graph(library, name), self._env)
            except (ValueError, TypeError) as e:  # the body's GraphDef is malformed (TF refuses it on import)
                raise errors.InvalidArgumentError(None, None, f"Function {name}: {e}") from None
            self._functions[key] = fn
        return fn

    def gradient(self, library, name: str) -> Function:
        """The gradient of function ``name`` as SymbolicGradient computes it (see ``gradient_graph``)."""
        key = (id(library), name, "gradient")
        fn = self._functions.get(key)
        if fn is not None:
            return fn
        with self._lock:
            fn = self._functions.get(key)
            if fn is None:
                fn = Function(gradient_graph(library, name), self._env)
                self._functions[key] = fn
        return fn

    def compiled_modules(self) -> list:
        out = []
        for fn in self._functions.values():
            out.extend(fn.program.compiled_modules())
        return out


def gradient_graph(library, name: str) -> FuncGraph:
    """Function ``name``'s body with its gradient built by tf.gradients: inputs are the function's
    arguments then one incoming gradient per output, outputs the gradient of each argument (zeros where
    an argument does not reach the outputs), as TensorFlow's SymbolicGradient instantiates it."""
    fdef = library.get(name)
    if fdef is None:
        raise errors.NotFoundError(None, None, f"Function {name} is not defined.")
    fg = FuncGraph(name, fdef, library)  # a copy of the body, to build the gradient in
    with fg.as_default():
        dys = [
            raw_op("Placeholder", dtype=t.dtype.base_dtype, shape=None, name=f"dy_{i}")
            for i, t in enumerate(fg.outputs)
        ]
        grads = gradients(fg.outputs, fg.inputs, grad_ys=dys)
        fg.outputs = [
            array_ops.zeros_like(x) if g is None else (g if isinstance(g, Tensor) else graph_lib.convert_to_tensor(g))
            for x, g in zip(fg.inputs, grads)
        ]
    fg.inputs = fg.inputs + dys
    fg.control_outputs = []
    return fg


class FunctionCalls:
    """The functions an op's ``func`` attrs name, as attributes (``then_branch``, ``body``, ``f``, ...)."""

    def __init__(self, op, cache: FunctionCache):
        library = op.graph._library
        self.op_name = op.name
        if op._info is None:  # the op type is the function's name
            self.f = cache.get(library, op.type)
            return
        if op.type == "SymbolicGradient":
            self.f = cache.gradient(library, op._attrs["f"].func.name)
            return
        for attr_def in op._op_def.attr:
            if attr_def.type == "func":
                setattr(self, attr_def.name, cache.get(library, op._attrs[attr_def.name].func.name))
            elif attr_def.type == "list(func)":
                fns = [cache.get(library, f.name) for f in op._attrs[attr_def.name].list.func]
                setattr(self, attr_def.name, fns)

    def run_while(self, values) -> tuple:
        """A While op's loop over ``values``: ``body`` while ``cond`` holds. Where the condition is on Python
        numbers (``Function.predicate``) it runs without a module call, and the body's module is looked up
        again only when the shape of one of its arguments changed; a module made for one thread is called
        directly where this thread runs alone (as ``LoopRunner._iterate_scalar`` runs TF1's loops)."""
        cond, body = self.cond, self.body
        values = tuple(values)
        predicate = cond.predicate()
        if predicate is None or len(values) != len(body.func_graph.inputs):
            while truthy(cond(*values)[0]):
                values = body(*values)
            return values
        test, gather = predicate
        program = body.program
        shaped = program._shaped
        direct = torch.get_num_threads() == 1 and not torch.compiler.is_dynamo_compiling()
        compiled = shapes = forward = None
        while test(*gather(values))[0]:
            now = [values[i].shape for i in shaped]
            if now != shapes:
                compiled, shapes = program.get(values), now
                forward = compiled.forward
                if direct and getattr(forward, "one_thread", False):
                    forward = compiled.gm.forward
            try:
                values = forward(*values)
            except Exception as e:
                raise node_error(compiled.gm, e) from e
        return values

    def __repr__(self):
        return f"<FunctionCalls of {self.op_name!r}>"
