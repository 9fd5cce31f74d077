"""``tf.while_loop`` under control flow v2 (TF's while_v2): a While / StatelessWhile op over cond and body functions.

The loop variables are ``[loop_counter, maximum_iterations, *flat loop vars, *body captures]``; TensorArrays
travel as their TensorList flows. The gradient (``while_grad``, registered for While/StatelessWhile by the
functional op family) is a second While running the body's gradient function as many times as the
forward loop ran: every forward intermediate the gradient needs is accumulated by the forward body in a
TensorList (``EmptyTensorList`` + ``TensorListPushBack``, the forward While rewritten with the extra
loop variables) and popped (``TensorListPopBack``) by the gradient body, as TensorFlow does.
"""

from __future__ import annotations

from torchmeta.api import array_ops, list_ops, math_ops
from torchmeta.api import control_flow_util_v2 as util
from torchmeta.api import gradients as api_gradients
from torchmeta.api.control_flow_ops import convert_variables_to_tensors
from torchmeta.api.tensor_array_ops import build_ta_with_new_flow
from torchmeta.dtypes import DType
from torchmeta.framework import control_flow_util as util_v1
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import nest
from torchmeta.framework.constant_op import constant, is_constant
from torchmeta.framework.function_def_builder import BuildingFuncGraph, stateful_ops
from torchmeta.framework.graph import Tensor
from torchmeta.framework.op_def_library import apply_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.framework.tensor_util import constant_value

__all__ = ["while_loop", "while_grad"]


class WhileCondFuncGraph(BuildingFuncGraph):
    """The function graph of a v2 loop's condition."""


class WhileBodyFuncGraph(BuildingFuncGraph):
    """The function graph of a v2 loop's body."""

    _is_while_body = True


def _is_ta(x) -> bool:
    return getattr(x, "_is_tensor_array", False)


def _to_flow(x):
    return x.flow if _is_ta(x) else x


def _pack_sequence_as(signature, flat_orig_loop_vars, loop_vars):
    flat = [
        build_ta_with_new_flow(ta, flow) if _is_ta(ta) else flow
        for flow, ta in zip(nest.flatten(loop_vars), flat_orig_loop_vars)
    ]
    return nest.pack_sequence_as(signature, flat)


def _shape_invariant(var, shape=None):
    var = _to_flow(var)
    if shape is None:
        return var.shape
    if not isinstance(shape, TensorShape):
        raise TypeError(f"'shape' must be one of TypeSpec, TensorShape or None. Received: {type(shape)}")
    return shape


def _placeholders(func_graph, templates, names):
    return [util.placeholder_like(func_graph, t, name=n) for t, n in zip(templates, names)]


def _arg_names(n):
    return ["loop_counter", "maximum_iterations_arg"] + [None] * n


def while_loop(
    cond,
    body,
    loop_vars,
    shape_invariants=None,
    parallel_iterations=10,
    maximum_iterations=None,
    name=None,
    return_same_structure=True,
    back_prop=True,
):
    """``tf.while_loop`` as a While/StatelessWhile op over two functions (control flow v2)."""
    loop_vars = convert_variables_to_tensors(loop_vars)
    orig_loop_vars = loop_vars
    flat_orig_loop_vars = nest.flatten(orig_loop_vars)
    len_orig_loop_vars = len(orig_loop_vars)
    loop_vars = nest.map_structure(_to_flow, loop_vars)
    loop_vars = nest.map_structure(graph_lib.convert_to_tensor, loop_vars)
    if shape_invariants is not None:
        loop_vars_signature = nest.map_structure(_shape_invariant, loop_vars, shape_invariants)
    else:
        loop_vars_signature = nest.map_structure(_shape_invariant, loop_vars)
    flat_shape_invariants = nest.flatten(loop_vars_signature)
    if not name:
        name = "while"
    outer = graph_lib.get_default_graph()
    with graph_lib.name_scope(name) as scope:
        cond_name = util.unique_fn_name(scope, "cond")
        body_name = util.unique_fn_name(scope, "body")
        maximum_iterations_loop_var = graph_lib.convert_to_tensor(
            -1 if maximum_iterations is None else maximum_iterations, dtype=DType.int32, name="maximum_iterations"
        )
        loop_counter = constant(0, dtype=DType.int32, name="loop_counter")
        loop_vars = [loop_counter, maximum_iterations_loop_var, *nest.flatten(loop_vars)]
        templates = list(loop_vars)
        for i, shape in enumerate(flat_shape_invariants):
            templates[2 + i] = _ShapedTemplate(loop_vars[2 + i], shape)
        names = _arg_names(len(templates) - 2)

        cond_graph = WhileCondFuncGraph(cond_name, collections=outer._collections)
        cond_args = _placeholders(cond_graph, templates, names)
        cond_graph.inputs = list(cond_args)

        def wrapped_cond(counter, maximum_iterations_arg, *args):
            pred = cond(*_pack_sequence_as(loop_vars_signature, flat_orig_loop_vars, list(args)))
            pred = graph_lib.convert_to_tensor(pred)
            if pred.shape.rank is None or pred.shape.rank > 0:
                pred = array_ops.squeeze(pred)
            if maximum_iterations is None:
                return pred
            return math_ops.logical_and(counter < maximum_iterations_arg, pred)

        util.func_graph_from_py_func(cond_name, wrapped_cond, cond_args, func_graph=cond_graph)

        body_graph = WhileBodyFuncGraph(body_name, collections=outer._collections)
        body_args = _placeholders(body_graph, templates, names)
        body_graph.inputs = list(body_args)

        def wrapped_body(counter, maximum_iterations_arg, *args):
            for t in cond_graph.external_captures:
                graph_lib.get_default_graph().capture(t)
            outputs = body(*_pack_sequence_as(loop_vars_signature, flat_orig_loop_vars, list(args)))
            if not nest.is_nested(outputs):
                outputs = [outputs]
            try:
                nest.assert_same_structure(outputs, orig_loop_vars, check_types=False)
            except ValueError:
                nest.assert_same_structure(
                    convert_variables_to_tensors(outputs),
                    convert_variables_to_tensors(orig_loop_vars),
                    check_types=False,
                )
            outputs = nest.map_structure(_to_flow, outputs)
            return [counter + 1, maximum_iterations_arg, *nest.flatten(outputs)]

        util.func_graph_from_py_func(body_name, wrapped_body, body_args, func_graph=body_graph)
        loop_vars = loop_vars + body_graph.external_captures
        body_graph.outputs.extend(body_graph.internal_captures)
        with cond_graph.as_default():
            num_cond_captures = len(cond_graph.external_captures)
            _duplicate_body_captures_in_cond(cond_graph, body_graph.external_captures[num_cond_captures:])
        num_flattened_outputs = len(nest.flatten(orig_loop_vars))
        first = 2
        _check_shapes_compat(
            body_graph.outputs[first : first + num_flattened_outputs],
            flat_shape_invariants,
            nest.flatten(loop_vars[first : first + len_orig_loop_vars]),
        )
        num_original_outputs = len(body_graph.outputs)
        _check_inputs_outputs_types_match(body_graph, loop_vars)
        with graph_lib.control_dependencies(cond_graph.control_captures + body_graph.control_captures):
            shapes = [t.shape for t in body_graph.outputs]
            shapes[first : first + num_flattened_outputs] = flat_shape_invariants
            outputs = _build_while_op(
                loop_vars,
                cond_graph,
                body_graph,
                output_shapes=shapes,
                parallel_iterations=parallel_iterations,
                name=scope,
                num_original_outputs=num_original_outputs,
            )
        if not graph_lib.get_default_graph().building_function:
            outputs = [array_ops.identity(t) for t in outputs]
    output_loop_vars = outputs[first : first + num_flattened_outputs]
    if not back_prop:
        output_loop_vars = [array_ops.stop_gradient(t) for t in output_loop_vars]
    outputs = _pack_sequence_as(loop_vars_signature, flat_orig_loop_vars, output_loop_vars)
    if return_same_structure:
        return outputs
    flattened = nest.flatten(outputs)
    return flattened[0] if len(flattened) == 1 else outputs


class _ShapedTemplate:
    """A loop variable seen with its shape invariant (what the cond/body placeholders take)."""

    def __init__(self, tensor, shape):
        self.dtype = tensor.dtype
        self.shape = shape


def _duplicate_body_captures_in_cond(cond_graph, body_captures):
    """The cond takes every loop variable, so it gets unused placeholders for the body's extra captures."""
    prefix = cond_graph.unique_name(cond_graph.name + "___redundant_placeholder")
    for i, t in enumerate(body_captures):
        with cond_graph.control_dependencies(None):
            ph = array_ops.placeholder(t.dtype.base_dtype, shape=None, name=f"{prefix}{i}")
        cond_graph._captures[id(t)] = (t, ph)
        cond_graph.inputs.append(ph)


def _check_shapes_compat(flat_output_tensors, flat_shape_invariants, flat_input_tensors):
    for t, shape, input_t in zip(flat_output_tensors, flat_shape_invariants, flat_input_tensors):
        if not util_v1.shape_less_than_or_equal(t.shape, shape):
            raise ValueError(
                f"Input tensor `{input_t.name}` enters the loop with shape {shape}, but has shape {t.shape} after "
                "one iteration. To allow the shape to vary across iterations, use the `shape_invariants` argument "
                "of tf.while_loop to specify a less-specific shape."
            )


def _check_inputs_outputs_types_match(body_graph, flattened_loop_vars):
    for inp, out, loop_var in zip(body_graph.inputs, body_graph.outputs, flattened_loop_vars):
        if inp.dtype != out.dtype:
            raise TypeError(
                f"Loop var {loop_var.name} enters the loop with type {inp.dtype} but has type {out.dtype} after 1 "
                f"iteration. {loop_var.name} type should remain constant."
            )


def _build_while_op(loop_vars, cond_graph, body_graph, output_shapes, parallel_iterations, name, num_original_outputs):
    op_type = "While" if (stateful_ops(cond_graph) or stateful_ops(body_graph)) else "StatelessWhile"
    while_op = apply_op(
        op_type,
        input=list(loop_vars),
        cond=util.create_new_tf_function(cond_graph),
        body=util.create_new_tf_function(body_graph),
        output_shapes=output_shapes,
        parallel_iterations=parallel_iterations,
        name=name,
    )
    util.maybe_set_lowering_attr(while_op)
    read_only = set(range(len(while_op.inputs)))
    for g in (cond_graph, body_graph):
        read_only &= util.read_only_resource_input_indices(g)
    util.set_int_list_attr(while_op, "_read_only_resource_inputs", sorted(read_only))
    util.set_int_attr(while_op, "_num_original_outputs", num_original_outputs)
    cond_graph.outer_graph = graph_lib.get_default_graph()
    body_graph.outer_graph = graph_lib.get_default_graph()
    while_op._func_graphs = (cond_graph, body_graph)
    return while_op.outputs


# ---------------------------------------------------------------------------------------------
# Gradient


def _is_trainable(t) -> bool:
    if not api_gradients.is_trainable(t):
        return False
    if t.op.type == "TensorListPopBack" and t.value_index == 0:
        return t.op.get_attr("element_dtype").base_dtype in api_gradients.TRAINABLE_DTYPES
    return True


def _zeros_like(op_input, op_output):
    if op_output.dtype.base_dtype is DType.resource:
        return array_ops.zeros(
            apply_op("VariableShape", input=op_output).outputs[0],
            dtype=DType.float32 if op_input.dtype.base_dtype is DType.resource else op_input.dtype.base_dtype,
        )
    return array_ops.zeros_like(op_output)


def _preprocess_grad(grad, body_out, while_in, while_out):
    if not _is_trainable(body_out):
        return None
    if while_out.dtype.base_dtype in (DType.resource, DType.variant) and grad is None:
        return _zeros_like(while_in, while_out)
    if grad is not None and not isinstance(grad, Tensor):
        return graph_lib.convert_to_tensor(grad)
    return grad


def _get_graphs(while_op):
    """The cond and body graphs of a While op: those it was built from, or built from its FunctionDefs."""
    if while_op._func_graphs is None:
        shapes = [TensorShape(s) for s in while_op.get_attr("output_shapes")]
        while_op._func_graphs = (
            util.func_graph_of(while_op, while_op.get_attr("cond").name, while_op.inputs, shapes),
            util.func_graph_of(while_op, while_op.get_attr("body").name, while_op.inputs, shapes, while_body=True),
        )
    cond_graph, body_graph = while_op._func_graphs
    body_graph._while = while_op
    return cond_graph, body_graph


def _get_accumulator(tensor):
    """The TensorListPushBack output accumulating ``tensor`` that the body already returns, or None."""
    graph = tensor.graph
    for consumer in tensor.consumers():
        if consumer.type != "TensorListPushBack":
            continue
        accum_input_idx = next((i for i, inp in enumerate(graph.inputs) if inp is consumer.inputs[0]), None)
        if accum_input_idx is None:
            continue
        output = consumer.outputs[0]
        for accum_output_idx, out in enumerate(graph.outputs):
            if out is output:
                if accum_input_idx == accum_output_idx:
                    return output
                break
    return None


class _WhileBodyGradFuncGraph(WhileBodyFuncGraph):
    """The body of a gradient loop: forward intermediates it reads are popped from accumulators."""

    def __init__(self, name, forward_cond_graph, forward_body_graph, maximum_iterations, forward_while_op):
        super().__init__(name)
        self.extra_inputs = []
        self.internal_capture_to_output = {}
        self._forward_graph = forward_body_graph
        self._forward_cond_graph = forward_cond_graph
        self._maximum_iterations = maximum_iterations
        self._forward_while_op = forward_while_op
        self._indirect_captures = {}

    @property
    def while_op_needs_rewrite(self):
        return bool(self.extra_inputs)

    _MOVED_TO_FORWARD = frozenset({"Shape", "Size", "Rank", "TensorListElementShape", "TensorListLength"})

    def _create_op(self, op_type, inputs, output_types, attrs, name, **kwargs):
        """Shape-like ops of forward values run in the forward body, so only their small results are
        accumulated (TF's _move_op_to_forward_graph)."""
        fg = self._forward_graph
        if (
            op_type in self._MOVED_TO_FORWARD
            and inputs
            and all(t.graph is fg for t in inputs)
            and all(_get_accumulator(t) is None for t in inputs)
        ):
            cache = fg.__dict__.setdefault("_optimized_reduction_ops_cache", {})
            key = (
                op_type,
                tuple(id(t) for t in inputs),
                tuple(output_types),
                tuple(sorted((k, v.SerializeToString(deterministic=True)) for k, v in attrs.items())),
                name,
            )
            cached = cache.get(key)
            if cached is not None:
                return cached
            with fg.as_default():
                op = fg._create_op(op_type, inputs, output_types, attrs, fg.unique_name(name), **kwargs)
            cache[key] = op
            return op
        return super()._create_op(op_type, inputs, output_types, attrs, name, **kwargs)

    def capture(self, tensor, name=None):
        if tensor.graph is self:
            return tensor
        key = id(tensor)
        found = self._indirect_captures.get(key)
        if found is not None:
            return found
        if tensor.graph is not self._forward_graph:
            already = id(tensor) in self._captures
            captured = super().capture(tensor, name)
            if not already:
                self.internal_capture_to_output[id(captured)] = captured
                self._indirect_captures[key] = captured
            return captured
        while tensor.op.type == "Identity":
            tensor = tensor.op.inputs[0]
        key = id(tensor)
        found = self._indirect_captures.get(key)
        if found is not None:
            return found
        fg = self._forward_graph
        if any(tensor is t for t in fg.inputs) and any(tensor is t for t in fg.outputs):
            captured = super().capture(tensor, name)  # a loop invariant
            self.internal_capture_to_output[id(captured)] = captured
            self._indirect_captures[key] = captured
            return captured
        if is_constant(tensor):
            with self.as_default():
                value = constant(constant_value(tensor), dtype=tensor.dtype.base_dtype)
            self._indirect_captures[key] = value
            return value
        if tensor.dtype.base_dtype is DType.resource:
            index = _forward_input_index(fg, tensor)
            captured = self.capture(self._forward_while_op.inputs[index])
            self._indirect_captures[key] = captured
            return captured
        accumulator = _get_accumulator(tensor)
        if accumulator is None:
            with fg.outer_graph.as_default(), graph_lib.control_dependencies(None):
                tensor_list = list_ops.empty_tensor_list(
                    element_dtype=tensor.dtype.base_dtype,
                    element_shape=tensor.shape,
                    max_num_elements=self._maximum_iterations,
                    name=f"{tensor.name}/accumulator".replace(":", "_"),
                )
            self.extra_inputs.append(tensor_list)
            with fg.as_default():
                accumulator = list_ops.tensor_list_push_back(fg.capture(tensor_list), tensor)
            fg.outputs.append(accumulator)
            with self._forward_cond_graph.as_default():
                self._forward_cond_graph.capture(tensor_list)
        captured_accumulator = super().capture(accumulator, name)
        with self.as_default():
            new_tensor_list, captured = list_ops.tensor_list_pop_back(
                captured_accumulator, element_dtype=tensor.dtype.base_dtype
            )
        captured.set_shape(tensor.shape)
        self._indirect_captures[key] = captured
        self.internal_capture_to_output[id(captured_accumulator)] = new_tensor_list
        return captured


def _forward_input_index(func_graph, tensor) -> int:
    """The index of the body argument a resource tensor of the body comes from (through Identity ops)."""
    t = tensor
    while True:
        for i, inp in enumerate(func_graph.inputs):
            if inp is t:
                return i
        if t.op.type != "Identity" or not t.op.inputs:
            raise ValueError(
                "Taking gradient of a while loop which creates a resource in its body is not supported: "
                f"{t.op.name} ({t.op.type})"
            )
        t = t.op.inputs[0]


def _grad_fn(ys, xs, args, func_graph):
    grad_ys = args[3:]
    grad_outs = api_gradients.gradients(ys, xs, grad_ys=grad_ys, unconnected_gradients="zero")
    counter, maximum_iterations, total_iters = args[0], args[1], args[2]
    return [counter + 1, maximum_iterations, total_iters, *grad_outs]


def _create_grad_func(ys, xs, grads, cond_graph, body_graph, name, while_op, maximum_iterations):
    total_iters = while_op.outputs[0]
    counter = constant(0, dtype=total_iters.dtype.base_dtype, name="grad_counter")
    args = [counter, maximum_iterations, total_iters, *grads]
    grad_graph = _WhileBodyGradFuncGraph(name, cond_graph, body_graph, maximum_iterations, while_op)
    placeholders = _placeholders(grad_graph, args, [f"arg_{i}" for i in range(len(args))])
    grad_graph.inputs = list(placeholders)
    util.func_graph_from_py_func(
        name, lambda *a: _grad_fn(ys, xs, list(a), body_graph), placeholders, func_graph=grad_graph
    )
    for _, internal in grad_graph.captures:
        new_output = grad_graph.internal_capture_to_output.get(id(internal))
        if new_output is None:
            raise ValueError(
                f"Tensor {internal} which captures an outside value is in list of internal_captures but not in "
                "internal_capture_to_output."
            )
        grad_graph.outputs.append(new_output)
        grad_graph.structured_outputs.append(new_output)
    return grad_graph, args


def _resolve_grad_captures(body_graph, body_grad_graph, while_op):
    new_inputs = []
    for t in body_grad_graph.external_captures:
        if t.graph is body_graph:
            for i, output in enumerate(body_graph.outputs):
                if output is t:
                    t = while_op.outputs[i]
                    break
        new_inputs.append(t)
    return new_inputs


def while_grad(op, *grads):
    """The gradient of While/StatelessWhile: a While over the body's gradient function (TF's _WhileGrad)."""
    while_op = op
    cond_graph, body_graph = _get_graphs(while_op)
    orig_num_params = len(body_graph.outputs)
    maximum_iterations = op.inputs[1]
    parallel_iterations = op.get_attr("parallel_iterations")
    try:
        num_original_outputs = while_op.get_attr("_num_original_outputs")
    except ValueError:
        num_original_outputs = len(while_op.outputs)
    num_intermediates = len(while_op.outputs) - num_original_outputs
    grads = [
        _preprocess_grad(g, body_out, w_in, w_out)
        for g, body_out, w_in, w_out in zip(
            grads[:num_original_outputs],
            body_graph.outputs[:num_original_outputs],
            while_op.inputs[:num_original_outputs],
            while_op.outputs[:num_original_outputs],
        )
    ] + [None] * num_intermediates
    triples = [(y, x, g) for y, x, g in zip(body_graph.outputs, body_graph.inputs, grads) if g is not None]
    ys, xs, non_none_grads = (list(z) for z in zip(*triples))
    body_grad_graph, args = _create_grad_func(
        ys,
        xs,
        non_none_grads,
        cond_graph,
        body_graph,
        util.unique_grad_fn_name(body_graph.name),
        while_op,
        maximum_iterations,
    )
    if body_grad_graph.while_op_needs_rewrite:
        cond_graph.name += "_rewritten"
        body_graph.name += "_rewritten"
        new_inputs = body_grad_graph.extra_inputs
        new_outputs = body_graph.outputs[orig_num_params:]
        util.set_func_attr(while_op, "cond", util.create_new_tf_function(cond_graph))
        util.set_func_attr(while_op, "body", util.create_new_tf_function(body_graph))
        util.set_type_list_attr(while_op, "T", [t.dtype.base_dtype for t in body_graph.outputs])
        util.set_shape_list_attr(while_op, "output_shapes", [t.shape for t in body_graph.outputs])
        while_op._add_inputs(new_inputs)
        while_op._add_outputs([t.dtype.base_dtype for t in new_outputs], [t.shape for t in new_outputs])
    util.set_int_attr(while_op, "_num_original_outputs", len(while_op.outputs))
    captured_inputs = _resolve_grad_captures(body_graph, body_grad_graph, while_op)
    loop_vars = args + captured_inputs

    def grad_cond(counter, unused_maximum_iterations_arg, forward_loop_iters, *unused_args):
        return counter < forward_loop_iters

    grad_cond_name = util.unique_grad_fn_name(op.get_attr("cond").name)
    cond_grad_graph = WhileCondFuncGraph(grad_cond_name)
    cond_args = _placeholders(cond_grad_graph, loop_vars, [f"arg_{i}" for i in range(len(loop_vars))])
    cond_grad_graph.inputs = list(cond_args)
    util.func_graph_from_py_func(grad_cond_name, grad_cond, cond_args, func_graph=cond_grad_graph)
    outputs = _build_while_op(
        loop_vars,
        cond_grad_graph,
        body_grad_graph,
        output_shapes=[t.shape for t in body_grad_graph.outputs],
        parallel_iterations=parallel_iterations,
        name=f"{while_op.name}_grad",
        num_original_outputs=len(body_grad_graph.outputs),
    )
    outputs = [array_ops.identity(t) for t in outputs]
    result, idx = [], 3
    for g in grads:
        if g is None:
            result.append(None)
        else:
            result.append(outputs[idx])
            idx += 1
    return result
