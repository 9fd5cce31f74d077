"""``tf.cond`` under control flow v2 (TF's cond_v2): an If / StatelessIf op over two branch functions.

Each branch is built into a function graph that captures the outside tensors it reads; the If op takes
the predicate and the union of both branches' captures (a branch that does not read one gets a dummy
argument), ``cond/Identity`` of each output is returned. The gradient (``if_grad``, registered for
If/StatelessIf by the functional op family) is another If over the two branches' gradient functions;
when a gradient needs an intermediate value of a branch, that branch is rewritten (``*_rewritten``)
to also return it wrapped in an Optional (OptionalNone from the other branch), as TensorFlow does.
"""

from __future__ import annotations

from torchmeta._proto import attr_value_pb2
from torchmeta.api import array_ops
from torchmeta.api import control_flow_util_v2 as util
from torchmeta.api import gradients as api_gradients
from torchmeta.api.tensor_array_ops import build_ta_with_new_flow
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import nest
from torchmeta.framework.constant_op import constant, is_constant
from torchmeta.framework.function_def_builder import BuildingFuncGraph, stateful_ops
from torchmeta.framework.graph import Tensor
from torchmeta.framework.op_def_library import apply_op, raw_op
from torchmeta.framework.tensor_util import constant_value

__all__ = ["cond_v2", "if_grad", "get_func_graphs", "indexed_case", "case_grad", "switch_case"]

_COND = 1
_CASE = 2


class CondBranchFuncGraph(BuildingFuncGraph):
    """The function graph of one branch of a v2 cond."""


def _normalize_pred(pred):
    pred = graph_lib.convert_to_tensor(pred)
    if pred.shape.rank is None or pred.shape.rank > 0:
        pred = array_ops.squeeze(pred)
    return pred


def cond_v2(pred, true_fn, false_fn, name="cond"):
    """``tf.cond`` as an If/StatelessIf op over two functions (control flow v2)."""
    if isinstance(pred, bool):
        raise TypeError("pred must not be a Python bool", pred)
    if not name:
        name = "cond"
    outer = graph_lib.get_default_graph()
    with graph_lib.name_scope(name) as scope:
        true_name = util.unique_fn_name(scope, "true")
        false_name = util.unique_fn_name(scope, "false")
        pred = _normalize_pred(pred)
        true_graph = util.func_graph_from_py_func(
            true_name,
            true_fn,
            [],
            func_graph=CondBranchFuncGraph(true_name, collections=outer._collections),
            op_return_value=pred,
        )
        false_graph = util.func_graph_from_py_func(
            false_name,
            false_fn,
            [],
            func_graph=CondBranchFuncGraph(false_name, collections=outer._collections),
            op_return_value=pred,
        )
        verify_captures(_COND, [true_graph, false_graph])
        return _build_cond(
            pred,
            true_graph,
            false_graph,
            true_graph.external_captures,
            false_graph.external_captures,
            building_gradient=False,
            name=scope,
        )


def verify_captures(op_type, branch_graphs) -> None:
    """A branch may not read a tensor built in another branch (TF's ValueError)."""
    index_of = {id(g): i for i, g in enumerate(branch_graphs)}
    names = ["true_fn", "false_fn"] if op_type == _COND else [f"branch {i}" for i in range(len(branch_graphs))]
    for i, g in enumerate(branch_graphs):
        for t in g.external_captures:
            if id(t.graph) in index_of:
                raise ValueError(f"Tensor {t.name} in {names[index_of[id(t.graph)]]} is accessed from {names[i]}.")


def check_same_outputs(op_type, graphs) -> None:
    """All branches return the same structure and dtypes (TensorFlow's errors)."""

    def error(branch_idx, detail):
        b0 = "true_fn" if op_type == _COND else "branches[0]"
        bn = "false_fn" if op_type == _COND else f"branches[{branch_idx}]"
        op_name = "tf.cond" if op_type == _COND else "tf.switch_case"
        raise TypeError(
            f"{b0} and {bn} arguments to {op_name} must have the same number, type, and overall structure of "
            f"return values.\n\n{b0} output: {graphs[0].structured_outputs}\n"
            f"{bn} output: {graphs[branch_idx].structured_outputs}\n\nError details:\n{detail}"
        )

    for b in range(1, len(graphs)):
        try:
            nest.assert_same_structure(
                graphs[0].structured_outputs, graphs[b].structured_outputs, expand_composites=True
            )
        except (ValueError, TypeError) as e:
            error(b, str(e))
        op_type_str = "cond" if op_type == _COND else "case"
        if len(graphs[0].outputs) != len(graphs[b].outputs):
            raise ValueError(
                f"Lengths of branch outputs of {op_type_str} must match.\n"
                f"len(graphs[0].outputs): {len(graphs[0].outputs)}\n"
                f"len(graphs[{b}].outputs): {len(graphs[b].outputs)}\n"
            )
        for b0_out, bn_out in zip(graphs[0].outputs, graphs[b].outputs):
            if b0_out.dtype != bn_out.dtype:
                error(b, f"{b0_out} and {bn_out} have different types")


def make_inputs_match(branch_graphs, branch_inputs) -> list[Tensor]:
    """The union of the branches' outside inputs; each branch gets a dummy argument for the others'."""
    seen, new_inputs = set(), []
    for branch_in in branch_inputs:
        for t in branch_in:
            if id(t) not in seen:
                seen.add(id(t))
                new_inputs.append(t)
    for g, branch_in in zip(branch_graphs, branch_inputs):
        param_of = {id(t): p for t, p in zip(branch_in, g.inputs)}
        inputs = []
        for t in new_inputs:
            param = param_of.get(id(t))
            if param is None:
                param = util.placeholder_like(g, t)
            inputs.append(param)
        g.inputs = inputs
        g.reset_captures(new_inputs, inputs)
    return new_inputs


def output_shapes(*branch_outputs):
    shapes = []
    for outs in zip(*branch_outputs):
        shape = outs[0].shape
        for other in outs[1:]:
            shape = shape.most_specific_compatible_shape(other.shape)
        shapes.append(shape)
    return shapes


def set_read_only_resource_inputs_attr(op, branch_graphs) -> None:
    read_only = set(range(len(op.inputs) - 1))
    for g in branch_graphs:
        read_only &= util.read_only_resource_input_indices(g)
    util.set_int_list_attr(op, "_read_only_resource_inputs", sorted(i + 1 for i in read_only))


def pack_outputs(structured_outputs, op_outputs):
    """``op_outputs`` arranged like ``structured_outputs`` (Nones kept; TensorArrays rebuilt from flows)."""
    flat = nest.flatten(structured_outputs, expand_composites=True)
    out, i = [], 0
    for x in flat:
        if x is None:
            out.append(None)
        else:
            out.append(op_outputs[i])
            i += 1
    packed = nest.pack_sequence_as(structured_outputs, out, expand_composites=True)

    def rebuild(template, value):
        if getattr(template, "_is_tensor_array", False):
            return build_ta_with_new_flow(template, value)
        return value

    return nest.map_structure(rebuild, structured_outputs, packed) if _has_tensor_arrays(structured_outputs) else packed


def _has_tensor_arrays(structure) -> bool:
    return any(getattr(x, "_is_tensor_array", False) for x in nest.flatten(structure))


def _build_cond(pred, true_graph, false_graph, true_inputs, false_inputs, building_gradient, name=None):
    check_same_outputs(_COND, [true_graph, false_graph])
    cond_inputs = make_inputs_match([true_graph, false_graph], [true_inputs, false_inputs])
    with graph_lib.control_dependencies(true_graph.control_captures + false_graph.control_captures):
        op_type = "If" if (stateful_ops(true_graph) or stateful_ops(false_graph)) else "StatelessIf"
        if_op = apply_op(
            op_type,
            cond=pred,
            input=cond_inputs,
            Tout=[t.dtype.base_dtype for t in true_graph.outputs],
            then_branch=util.create_new_tf_function(true_graph),
            else_branch=util.create_new_tf_function(false_graph),
            output_shapes=output_shapes(true_graph.outputs, false_graph.outputs),
            name=name,
        )
        tensors = if_op.outputs
        true_graph.outer_graph = graph_lib.get_default_graph()
        false_graph.outer_graph = graph_lib.get_default_graph()
        if_op._func_graphs = (true_graph, false_graph)
        util.maybe_set_lowering_attr(if_op)
        set_read_only_resource_inputs_attr(if_op, [true_graph, false_graph])
        if_op.graph.prevent_fetching(if_op)
    tensors = [array_ops.identity(t) for t in tensors]
    return pack_outputs(true_graph.structured_outputs, tensors)


# ---------------------------------------------------------------------------------------------
# Gradient


def get_func_graphs(op):
    """The branch function graphs of an If op: those it was built from, or built from its FunctionDefs."""
    if op._func_graphs is None:
        op._func_graphs = (
            util.func_graph_of(op, op.get_attr("then_branch").name, op.inputs[1:]),
            util.func_graph_of(op, op.get_attr("else_branch").name, op.inputs[1:]),
        )
    true_graph, false_graph = op._func_graphs
    true_graph.reset_captures(op.inputs[1:], true_graph.inputs)
    false_graph.reset_captures(op.inputs[1:], false_graph.inputs)
    true_graph._forward_cond = op
    false_graph._forward_cond = op
    return true_graph, false_graph


class _CondGradFuncGraph(CondBranchFuncGraph):
    """A branch's gradient function: forward intermediates it reads come back wrapped in Optionals."""

    def __init__(self, name, forward_graph):
        super().__init__(name, collections=graph_lib.get_default_graph()._collections)
        self.op_needs_rewrite = False
        self._forward_graph = forward_graph
        self._indirect_captures = {}
        self._wrapped_intermediates = {}

    @property
    def wrapped_intermediates(self):
        return list(self._wrapped_intermediates.values())

    def capture(self, tensor, name=None):
        fg = self._forward_graph
        if (
            tensor.graph is not fg
            or any(tensor is t for t in fg.inputs)
            or any(tensor is t for t in fg.outputs)
            or tensor.graph is self
        ):
            return super().capture(tensor, name)
        key = id(tensor)
        found = self._indirect_captures.get(key)
        if found is not None:
            return found
        name = name or tensor.op.name
        if is_constant(tensor):
            with self.as_default():
                captured = constant(constant_value(tensor), dtype=tensor.dtype.base_dtype)
        elif tensor.dtype.base_dtype is DType.resource:
            captured = super().capture(_forward_input_of_resource(fg, tensor), name)
        else:
            if key not in self._wrapped_intermediates:
                optional = None
                for consumer in tensor.consumers():
                    if consumer.type == "OptionalFromValue" and any(consumer.outputs[0] is out for out in fg.outputs):
                        optional = consumer.outputs[0]
                        break
                if optional is None:
                    with fg.as_default():
                        optional = raw_op("OptionalFromValue", components=[tensor])
                    self.op_needs_rewrite = True
                self._wrapped_intermediates[key] = optional
            captured_optional = super().capture(self._wrapped_intermediates[key], name)
            with self.as_default():
                captured = raw_op(
                    "OptionalGetValue",
                    optional=captured_optional,
                    output_types=[tensor.dtype.base_dtype],
                    output_shapes=[tensor.shape],
                )[0]
        self._indirect_captures[key] = captured
        return captured


def _forward_input_of_resource(func_graph, tensor):
    """The argument of ``func_graph`` a resource tensor inside it comes from (through Identity ops)."""
    t = tensor
    while not any(t is i for i in func_graph.inputs):
        if t.op.type not in ("Identity", "IdentityN") or not t.op.inputs:
            raise ValueError(
                f"Taking gradient of a while loop which creates a resource in its body is not supported: "
                f"{t.op.name} ({t.op.type})"
            )
        t = t.op.inputs[t.value_index if t.op.type == "IdentityN" else 0]
    return t


def _grad_fn(func_graph, grads):
    ys, grad_ys = [], []
    for y, grad_y in zip(func_graph.outputs, grads):
        if not api_gradients.is_trainable(y):
            continue
        ys.append(y)
        grad_ys.append(grad_y)
    return api_gradients.gradients(ys, func_graph.inputs, grad_ys=grad_ys)


def _create_grad_func(func_graph, grads, name):
    return util.func_graph_from_py_func(
        name, lambda: _grad_fn(func_graph, grads), [], func_graph=_CondGradFuncGraph(name, func_graph)
    )


def _create_zeros_for_none_grads(forward_graphs, grad_graphs) -> None:
    branch_outputs = [g.structured_outputs for g in grad_graphs]
    for idx, outs in enumerate(zip(*branch_outputs)):
        if any(t is None for t in outs) and any(t is not None for t in outs):
            for b, t in enumerate(outs):
                if t is None:
                    with grad_graphs[b].as_default():
                        inp = forward_graphs[b].inputs[idx]
                        if inp.dtype.base_dtype is DType.resource:
                            zeros = array_ops.zeros(raw_op("VariableShape", input=inp), dtype=DType.float32)
                        else:
                            zeros = array_ops.zeros_like(inp)
                        grad_graphs[b].structured_outputs[idx] = zeros
    for g in grad_graphs:
        g.outputs = [t for t in util.flatten_outputs(g.structured_outputs)]
        g.outputs = [g.capture(t) for t in g.outputs]


def _make_intermediates_match(branch_graphs, branch_optionals):
    size = max(len(o) for o in branch_optionals)
    out = []
    for g, optionals in zip(branch_graphs, branch_optionals):
        with g.as_default():
            nones = [raw_op("OptionalNone") for _ in range(size - len(optionals))]
        out.append(optionals + nones)
    return out


def _resolve_grad_inputs(cond_graph, grad_graph):
    """The outside tensors a gradient branch reads, with forward-branch tensors mapped to the If's."""
    new_inputs = []
    for t in grad_graph.external_captures:
        if t.graph is not grad_graph.outer_graph:
            for i, output in enumerate(t.graph.outputs):
                if output is t:
                    t = t.graph._forward_cond.outputs[i]
                    break
            else:
                for i, internal in enumerate(t.graph.internal_captures):
                    if internal is t:
                        t = t.graph.external_captures[i]
                        break
                else:
                    raise ValueError(f"Could not find external tensor capture {t} in captures or outputs")
        new_inputs.append(t)
    return new_inputs


def if_grad(op, *grads):
    """The gradient of If/StatelessIf: an If over the branches' gradient functions (TF's _IfGrad)."""
    if_op = op
    true_graph, false_graph = get_func_graphs(if_op)
    true_grad_graph = _create_grad_func(true_graph, grads, util.unique_grad_fn_name(true_graph.name))
    false_grad_graph = _create_grad_func(false_graph, grads, util.unique_grad_fn_name(false_graph.name))
    _create_zeros_for_none_grads([true_graph, false_graph], [true_grad_graph, false_grad_graph])
    if true_grad_graph.op_needs_rewrite or false_grad_graph.op_needs_rewrite:
        extra_true, extra_false = _make_intermediates_match(
            [true_graph, false_graph], [true_grad_graph.wrapped_intermediates, false_grad_graph.wrapped_intermediates]
        )
        true_graph.outputs.extend(extra_true)
        false_graph.outputs.extend(extra_false)
        check_same_outputs(_COND, [true_graph, false_graph])
        true_graph.name += "_rewritten"
        false_graph.name += "_rewritten"
        util.set_func_attr(if_op, "then_branch", util.create_new_tf_function(true_graph))
        util.set_func_attr(if_op, "else_branch", util.create_new_tf_function(false_graph))
        util.set_type_list_attr(if_op, "Tout", [t.dtype.base_dtype for t in true_graph.outputs])
        util.set_shape_list_attr(if_op, "output_shapes", [t.shape for t in true_graph.outputs])
        if_op._add_outputs([t.dtype.base_dtype for t in extra_true], [t.shape for t in extra_true])
    true_grad_inputs = _resolve_grad_inputs(true_graph, true_grad_graph)
    false_grad_inputs = _resolve_grad_inputs(false_graph, false_grad_graph)
    outputs = _build_cond(
        if_op.inputs[0], true_grad_graph, false_grad_graph, true_grad_inputs, false_grad_inputs, building_gradient=True
    )
    return [None, *outputs]


# ---------------------------------------------------------------------------------------------
# Case (tf.switch_case)


def indexed_case(branch_index, branch_fns, name="indexed_case", lower_using_switch_merge=None):
    """A Case/StatelessCase op running ``branch_fns[branch_index]`` (the last branch when out of range)."""
    if isinstance(branch_index, int):
        raise TypeError("branch_index must not be a Python int", branch_index)
    outer = graph_lib.get_default_graph()
    with graph_lib.name_scope(name) as scope:
        branch_names = [util.unique_fn_name(scope, f"branch{b}") for b in range(len(branch_fns))]
        branch_index = graph_lib.convert_to_tensor(branch_index, name="branch_index")
        branch_graphs = [
            util.func_graph_from_py_func(
                bname,
                fn,
                [],
                func_graph=CondBranchFuncGraph(bname, collections=outer._collections),
                op_return_value=branch_index,
            )
            for bname, fn in zip(branch_names, branch_fns)
        ]
        verify_captures(_CASE, branch_graphs)
        return _build_case(
            branch_index,
            branch_graphs,
            [g.external_captures for g in branch_graphs],
            name=scope,
            lower_using_switch_merge=lower_using_switch_merge,
        )


def _build_case(branch_index, branch_graphs, branch_inputs, name=None, lower_using_switch_merge=None):
    check_same_outputs(_CASE, branch_graphs)
    case_inputs = make_inputs_match(branch_graphs, branch_inputs)
    stateful = any(stateful_ops(g) for g in branch_graphs)
    controls = [c for g in branch_graphs for c in g.control_captures]
    with graph_lib.control_dependencies(controls):
        case_op = apply_op(
            "Case" if stateful else "StatelessCase",
            branch_index=branch_index,
            input=case_inputs,
            Tout=[t.dtype.base_dtype for t in branch_graphs[0].outputs],
            branches=[util.create_new_tf_function(g) for g in branch_graphs],
            output_shapes=output_shapes(*[g.outputs for g in branch_graphs]),
            name=name,
        )
        util.maybe_set_lowering_attr(case_op, lower_using_switch_merge)
        set_read_only_resource_inputs_attr(case_op, branch_graphs)
        case_op.graph.prevent_fetching(case_op)
        for g in branch_graphs:
            g.outer_graph = graph_lib.get_default_graph()
        case_op._func_graphs = tuple(branch_graphs)
    tensors = [array_ops.identity(t) for t in case_op.outputs]
    return pack_outputs(branch_graphs[0].structured_outputs, tensors)


def _case_func_graphs(op):
    if op._func_graphs is None:
        op._func_graphs = tuple(util.func_graph_of(op, f.name, op.inputs[1:]) for f in op.get_attr("branches"))
    for g in op._func_graphs:
        g.reset_captures(op.inputs[1:], g.inputs)
        g._forward_cond = op
    return list(op._func_graphs)


def case_grad(op, *grads):
    """The gradient of Case/StatelessCase: a Case over the branches' gradient functions (TF's _CaseGrad)."""
    case_op = op
    branch_graphs = _case_func_graphs(case_op)
    grad_graphs = [_create_grad_func(g, grads, util.unique_grad_fn_name(g.name)) for g in branch_graphs]
    _create_zeros_for_none_grads(branch_graphs, grad_graphs)
    if any(g.op_needs_rewrite for g in grad_graphs):
        extra = _make_intermediates_match(branch_graphs, [g.wrapped_intermediates for g in grad_graphs])
        for g, outputs in zip(branch_graphs, extra):
            g.outputs.extend(outputs)
        check_same_outputs(_CASE, branch_graphs)
        for g in branch_graphs:
            g.name += "_rewritten"
        value = attr_value_pb2.AttrValue()
        for g in branch_graphs:
            value.list.func.add().name = util.create_new_tf_function(g)
        case_op._set_attr("branches", value)
        util.set_type_list_attr(case_op, "Tout", [t.dtype.base_dtype for t in branch_graphs[0].outputs])
        util.set_shape_list_attr(case_op, "output_shapes", [t.shape for t in branch_graphs[0].outputs])
        case_op._add_outputs([t.dtype.base_dtype for t in extra[0]], [t.shape for t in extra[0]])
    grad_inputs = [_resolve_grad_inputs(g, gg) for g, gg in zip(branch_graphs, grad_graphs)]
    lowering = case_op.get_attr("_lower_using_switch_merge") if "_lower_using_switch_merge" in case_op._attrs else None
    outputs = _build_case(
        case_op.inputs[0], grad_graphs, grad_inputs, name="gradient", lower_using_switch_merge=lowering
    )
    return [None, *outputs]


def switch_case(branch_index, branch_fns, default=None, name="switch_case"):
    """``tf.switch_case``: ``branch_fns[branch_index]()`` (``default``, or the last one, when out of range).

    Raises:
      TypeError / ValueError: for a non-Tensor or non-integer index or malformed branches (TF's messages).
    """
    if not isinstance(branch_index, Tensor):
        raise TypeError(f"'branch_index' must be a Tensor, got {type(branch_index)}")
    if not branch_index.dtype.is_integer:
        raise TypeError(f"'branch_index' must be an integer Tensor, got {branch_index.dtype}")
    if not branch_fns:
        raise ValueError("Must provide at least one item in 'branch_fns'")
    if not isinstance(branch_fns, (list, tuple, dict)):
        raise TypeError("'branch_fns' must be a list, tuple, or dict")
    if isinstance(branch_fns, dict):
        branch_fns = branch_fns.items()
    if all(callable(fn) for fn in branch_fns):
        branch_fns = list(enumerate(branch_fns))
    for pair in branch_fns:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"Each entry in 'branch_fns' must be a 2-tuple. Received {pair}.")
        key, fn = pair
        if not isinstance(key, int):
            raise TypeError(f"key must be a Python `int`, got {type(key)}")
        if not callable(fn):
            raise TypeError(f"fn for key {key} must be callable.")
    keys = [p[0] for p in branch_fns]
    if min(keys) < 0 or max(keys) >= len(keys) or len(set(keys)) != len(keys):
        raise ValueError(
            f"branch indices (keys) must form contiguous range of [0 to {len(keys)}) but found "
            f"{{{','.join(map(str, sorted(keys)))}}}"
        )
    actions = [p[1] for p in sorted(branch_fns)]
    if default is not None:
        actions.append(default)
    with graph_lib.name_scope(name, "case", [branch_index]):
        return indexed_case(branch_index, actions)
