"""``tf.custom_gradient`` and ``tf.grad_pass_through`` in graph mode (TF's python/ops/custom_gradient.py).

TF routes the function's outputs and inputs through one IdentityN whose gradient is overridden (through
``gradient_override_map``) by a gradient registered under a fresh ``CustomGradient-<uid>`` name; the
graph here is the same, so ``tf.gradients`` through it calls the user's gradient function.
"""

from __future__ import annotations

import functools
import inspect

from torchmeta.api import array_ops, variable_scope
from torchmeta.api.gradients import RegisterGradient, is_trainable
from torchmeta.api.variables import ResourceVariable
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import nest

__all__ = ["custom_gradient", "grad_pass_through"]

_VAR_OP_TYPES = ("VariableV2", "VarHandleOp")


def custom_gradient(f=None):
    """``@tf.custom_gradient``: ``f(*tensors)`` returns ``(outputs, grad_fn)``; gradients of the outputs
    are ``grad_fn(*output_grads)`` (``(input_grads, variable_grads)`` with ``variables=`` when ``f`` reads
    variables).

    Raises (when the decorated function is called):
      ValueError: for keyword arguments (TF accepts them only eagerly).
      TypeError: for variables created by ``f`` that are not resource variables, or a ``grad_fn`` without
        a ``variables`` argument when ``f`` uses variables.
    """
    if f is None:
        return custom_gradient

    @functools.wraps(f)
    def decorated(*args, **kwargs):
        return _graph_mode_decorator(f, args, kwargs)

    return decorated


def grad_pass_through(f):
    """``tf.grad_pass_through``: ``f``'s forward computation with the identity as its gradient (the variables
    ``f`` reads get None)."""

    @custom_gradient
    def _grad_pass_through_op(*args, **kwargs):
        def grad(*args, **kwargs):
            variables = kwargs.get("variables")
            if variables is not None:
                return args, [None] * len(variables)
            return args

        return f(*args, **kwargs), grad

    return functools.wraps(f)(_grad_pass_through_op)


def _scope_variables():
    scope = variable_scope.get_variable_scope()
    return scope.global_variables() + scope.local_variables()


def _dependent_variables(input_tensors, output_tensors):
    """TF's ``_get_dependent_variables``: the variables whose ops lie between the inputs and the outputs (it
    adds an Identity of each output on the way, as TF does)."""
    seeds = [array_ops.identity(t) for t in output_tensors]
    stop = set(input_tensors)
    seen, queue, var_names = set(), [s.op for s in seeds], []
    while queue:
        op = queue.pop()
        for t in op.inputs:
            if t in stop or not is_trainable(t) or t.op in seen:
                continue
            seen.add(t.op)
            queue.append(t.op)
            if t.op.type in _VAR_OP_TYPES:
                var_names.append(t.op.name)
    by_name = {v.op.name: v for v in graph_lib.get_collection(graph_lib.GraphKeys.GLOBAL_VARIABLES)}
    return [by_name[n] for n in dict.fromkeys(var_names) if n in by_name]


def _graph_mode_decorator(f, args, kwargs):
    if kwargs:
        raise ValueError(
            "The custom_gradient decorator currently supports keywords arguments only when eager execution is enabled."
        )
    name = f"CustomGradient-{graph_lib.uid()}"
    args = nest.map_structure(graph_lib.convert_to_tensor, args)
    before_vars = {id(v) for v in _scope_variables()}
    result, grad_fn = f(*args)
    flat_args = nest.flatten(args)
    flat_result = nest.flatten(result)
    flat_result_len = len(flat_result)
    for v in _scope_variables():
        if id(v) not in before_vars and not isinstance(v, ResourceVariable):
            raise TypeError(
                "All variables used by a function wrapped with @custom_gradient must be `ResourceVariable`s. "
                "Ensure that no `variable_scope` is created with `use_resource=False`."
            )
    graphs = {getattr(o, "graph", None) for o in flat_result}
    graphs.discard(None)
    if graphs:
        if len(graphs) > 1:
            raise ValueError("All custom_gradient outputs should be from the same graph")
        output_graph = graphs.pop()
        filtered_input_tensors = [i for i in flat_args if i.graph is output_graph]
    else:
        filtered_input_tensors = flat_args
    variables = sorted(_dependent_variables(filtered_input_tensors, flat_result), key=lambda v: v.name)
    spec = inspect.getfullargspec(grad_fn)
    variables_in_signature = "variables" in spec.args or "variables" in spec.kwonlyargs or spec.varkw
    if variables and not variables_in_signature:
        raise TypeError(
            "@tf.custom_gradient grad_fn must accept keyword argument 'variables', since function uses "
            f"variables: {variables}"
        )
    all_tensors = flat_result + flat_args + variables

    @RegisterGradient(name)
    def internal_grad_fn(unused_op, *result_grads):
        result_grads = nest.pack_sequence_as(result, list(result_grads[:flat_result_len]))
        if not isinstance(result_grads, (list, tuple)):
            result_grads = [result_grads]
        if variables:
            input_grads, variable_grads = grad_fn(*result_grads, variables=variables)
            if len(variable_grads) != len(variables):
                raise ValueError("Must return gradient for each variable from @custom_gradient grad_fn.")
        else:
            input_grads = grad_fn(*result_grads)
            variable_grads = []
        return [None] * flat_result_len + nest.flatten(input_grads) + list(variable_grads)

    original_tensors = all_tensors
    with graph_lib.get_default_graph().gradient_override_map({"IdentityN": name}):
        all_tensors = array_ops.identity_n(all_tensors)
    for t in original_tensors:  # TF converts them again, after the IdentityN: a variable's second read
        graph_lib.convert_to_tensor(t)
    return nest.pack_sequence_as(result, list(all_tensors[:flat_result_len]))
