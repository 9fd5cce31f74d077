"""Functional control flow and function calls: If, While, Case (and their Stateless forms), PartitionedCall.

Their ``func`` attrs name functions of the graph's library. The kernels receive them through the
``functions`` context value: an object with one callable per func attr (a list of callables for
``branches``), each running that function's body lowered once per input signature
(torchmeta.runtime.functions). A callable takes the arguments positionally and returns the tuple of
the function's outputs. For While, the object's ``run_while(values)`` runs the loop (the runtime's, which
can run a condition on Python numbers).
"""

from __future__ import annotations

from torchmeta.api import cond_v2, while_v2
from torchmeta.framework.common_shapes import shape_error
from torchmeta.framework.registry import no_registered_gradient, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.ops.control_flow_ops import truthy

__all__ = ["unpack"]


def unpack(outputs, n: int):
    """A function's outputs as an op's kernel returns them: the value itself for one output."""
    if n == 1:
        return outputs[0]
    return tuple(outputs)


# ---------------------------------------------------------------------------------------------
# Shape functions (TensorFlow's: the output_shapes attr when set)


def _output_shapes_or(fallback):
    def fn(op):
        shapes = op.get_attr("output_shapes") if "output_shapes" in op._attrs else []
        if shapes:
            if len(shapes) != len(op.outputs):
                raise shape_error(
                    op, f"`output_shapes` must be the same length as num outputs ({len(shapes)} vs. {len(op.outputs)}"
                )
            return [TensorShape(s) for s in shapes]
        return fallback(op)

    return fn


def _unknown(op):
    return [unknown_shape()] * len(op.outputs)


def _unchanged(op):
    return [t.shape for t in op.inputs]


# ---------------------------------------------------------------------------------------------
# If / StatelessIf

_IF = {
    "inputs": ["cond: Tcond", "input: Tin"],
    "outputs": ["output: Tout"],
    "attrs": [
        "Tcond: type",
        "Tin: list(type) >= 0",
        "Tout: list(type) >= 0",
        "then_branch: func",
        "else_branch: func",
        "output_shapes: list(shape) = []",
    ],
    "shape": _output_shapes_or(_unknown),
}


@register_op("If", **_IF, stateful=True)
def if_(cond, input, Tout, functions):
    branch = functions.then_branch if truthy(cond) else functions.else_branch
    return unpack(branch(*input), len(Tout))


@register_op("StatelessIf", **_IF)
def stateless_if(cond, input, Tout, functions):
    branch = functions.then_branch if truthy(cond) else functions.else_branch
    return unpack(branch(*input), len(Tout))


# ---------------------------------------------------------------------------------------------
# While / StatelessWhile

_WHILE = {
    "inputs": ["input: T"],
    "outputs": ["output: T"],
    "attrs": [
        "T: list(type) >= 0",
        "cond: func",
        "body: func",
        "output_shapes: list(shape) = []",
        "parallel_iterations: int = 10",
    ],
    "shape": _output_shapes_or(_unchanged),
}


@register_op("While", **_WHILE, stateful=True)
def while_(input, T, functions):
    """Runs ``body`` while ``cond`` holds; a loop TensorFlow would run forever runs forever here too."""
    return unpack(functions.run_while(input), len(T))


@register_op("StatelessWhile", **_WHILE)
def stateless_while(input, T, functions):
    return unpack(functions.run_while(input), len(T))


# ---------------------------------------------------------------------------------------------
# Case / StatelessCase

_CASE = {
    "inputs": ["branch_index: int32", "input: Tin"],
    "outputs": ["output: Tout"],
    "attrs": [
        "Tin: list(type) >= 0",
        "Tout: list(type) >= 0",
        "branches: list(func) >= 1",
        "output_shapes: list(shape) = []",
    ],
    "shape": _output_shapes_or(_unknown),
}


def _branch(branches, index):
    i = int(index)
    return branches[i] if 0 <= i < len(branches) else branches[-1]  # out of range: the default (last) branch


@register_op("Case", **_CASE, stateful=True)
def case(branch_index, input, Tout, functions):
    return unpack(_branch(functions.branches, branch_index)(*input), len(Tout))


@register_op("StatelessCase", **_CASE)
def stateless_case(branch_index, input, Tout, functions):
    return unpack(_branch(functions.branches, branch_index)(*input), len(Tout))


# ---------------------------------------------------------------------------------------------
# Function calls

_CALL = {
    "inputs": ["args: Tin"],
    "outputs": ["output: Tout"],
    "attrs": [
        "Tin: list(type) >= 0",
        "Tout: list(type) >= 0",
        "f: func",
        'config: string = ""',
        'config_proto: string = ""',
        'executor_type: string = ""',
    ],
    "shape": _unknown,
}


@register_op("PartitionedCall", **_CALL)
def partitioned_call(args, Tout, functions):
    return unpack(functions.f(*args), len(Tout))


@register_op("StatefulPartitionedCall", **_CALL, stateful=True, distributed_communication=True)
def stateful_partitioned_call(args, Tout, functions):
    return unpack(functions.f(*args), len(Tout))


@register_op(
    "SymbolicGradient",
    inputs=["input: Tin"],
    outputs=["output: Tout"],
    attrs=["Tin: list(type) >= 1", "Tout: list(type) >= 1", "f: func"],
    shape=_unknown,
)
def symbolic_gradient(input, Tout, functions):
    """The gradient of function ``f`` (what tf.gradients emits for a Defun without a gradient of its own):
    ``input`` is f's arguments then one gradient per f output; the outputs, one gradient per argument.
    ``functions.f`` is that gradient function, built by the runtime from f's body."""
    return unpack(functions.f(*input), len(Tout))


def call_function(*args, n_outputs, functions):
    """A node whose op type is a library function's name: calls that function."""
    return unpack(functions.f(*args), n_outputs)


no_registered_gradient("PartitionedCall", "StatefulPartitionedCall", "SymbolicGradient")


# Gradients: built by the control-flow v2 API (TF registers them in cond_v2.py / while_v2.py).
register_gradient("If")(cond_v2.if_grad)
register_gradient("StatelessIf")(cond_v2.if_grad)
register_gradient("While")(while_v2.while_grad)
register_gradient("StatelessWhile")(while_v2.while_grad)
register_gradient("Case")(cond_v2.case_grad)
register_gradient("StatelessCase")(cond_v2.case_grad)
