"""``tf.while_loop``: v1 Enter/Merge/Switch/NextIteration/Exit frames (TF1's default) or v2 While ops.

The v1 graph is TensorFlow's node for node (``while/Enter``, ``while/Merge``, ``while/LoopCond``,
``while/Switch``, ``while/Identity``, ``while/NextIteration``, ``while/Exit``, the frame named after
the WhileContext ``while/while_context``), and the WhileContextDef goes into the ``while_context``
collection. ``maximum_iterations`` adds TensorFlow's ``iteration_counter`` loop variable.
"""

from __future__ import annotations

from torchmeta.api import math_ops, while_v2
from torchmeta.api.control_flow_ops import WhileContext, convert_variables_to_tensors
from torchmeta.framework import control_flow_util as util
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import GraphKeys
from torchmeta.framework.tensor_shape import TensorShape

__all__ = ["while_loop", "while_loop_v2"]


def while_loop(
    cond,
    body,
    loop_vars,
    shape_invariants=None,
    parallel_iterations=10,
    back_prop=True,
    swap_memory=False,
    name=None,
    maximum_iterations=None,
    return_same_structure=False,
):
    """``tf.while_loop``: repeats ``body`` while ``cond`` holds, as a loop in the graph.

    Args:
      cond: callable returning a scalar bool Tensor from the loop variables.
      body: callable returning new loop variables (same structure as ``loop_vars``).
      loop_vars: a (nested) list/tuple/dict/namedtuple of Tensors and TensorArrays.
      shape_invariants: TensorShapes (same structure) allowing loop variables to change shape.
      parallel_iterations: accepted (and recorded in the graph); iterations run one after another.
      back_prop: whether gradients may flow through the loop.
      swap_memory: accepted and recorded, as in TF.
      name: the name scope (default "while").
      maximum_iterations: an optional bound on the number of iterations.
      return_same_structure: always return the structure of ``loop_vars`` (TF2's behaviour).

    Returns:
      The loop variables after the last iteration (a single one unpacked unless
      ``return_same_structure``).

    Raises:
      TypeError / ValueError: with TensorFlow's messages for bad arguments and structures.
    """
    if not callable(cond):
        raise TypeError("'cond' must be callable.")
    if not callable(body):
        raise TypeError("'body' must be callable.")
    if parallel_iterations < 1:
        raise TypeError("'parallel_iterations' must be a positive integer.")
    loop_vars = convert_variables_to_tensors(loop_vars)
    if util.EnableControlFlowV2(graph_lib.get_default_graph()):
        return while_v2.while_loop(
            cond,
            body,
            loop_vars,
            shape_invariants=shape_invariants,
            parallel_iterations=parallel_iterations,
            maximum_iterations=maximum_iterations,
            name=name,
            return_same_structure=return_same_structure,
            back_prop=back_prop,
        )
    with graph_lib.name_scope(name, "while", loop_vars):
        if not loop_vars:
            raise ValueError("'loop_vars' must be provided.")
        try_to_pack = len(loop_vars) == 1 and not return_same_structure
        if maximum_iterations is not None:
            maximum_iterations = graph_lib.convert_to_tensor(maximum_iterations, name="maximum_iterations")
            if maximum_iterations.shape.rank != 0:
                raise ValueError(f"'maximum_iterations' must be a scalar. Received shape: {maximum_iterations.shape}")
            counter = constant(0, dtype=maximum_iterations.dtype.base_dtype, name="iteration_counter")
            orig_cond, orig_body = cond, body
            if try_to_pack:
                loop_vars = (counter, loop_vars[0])

                def cond(i, lv):
                    return math_ops.logical_and(i < maximum_iterations, orig_cond(lv))

                def body(i, lv):
                    return (i + 1, orig_body(lv))

            else:
                loop_vars = (counter, loop_vars)

                def cond(i, lv):
                    return math_ops.logical_and(i < maximum_iterations, orig_cond(*lv))

                def body(i, lv):
                    return (i + 1, orig_body(*lv))

            try_to_pack = False
            if shape_invariants is not None:
                shape_invariants = (TensorShape([]), shape_invariants)
        loop_context = WhileContext(
            maximum_iterations=maximum_iterations,
            parallel_iterations=parallel_iterations,
            back_prop=back_prop,
            swap_memory=swap_memory,
        )
        if loop_context.outer_context is None:
            graph_lib.add_to_collection(GraphKeys.WHILE_CONTEXT, loop_context)
        result = loop_context.BuildLoop(cond, body, loop_vars, shape_invariants, return_same_structure)
        if maximum_iterations is not None:
            return result[1]
        return result


def while_loop_v2(
    cond,
    body,
    loop_vars,
    shape_invariants=None,
    parallel_iterations=10,
    back_prop=True,
    swap_memory=False,
    maximum_iterations=None,
    name=None,
):
    """TF2's ``tf.while_loop`` signature: always returns the structure of ``loop_vars``."""
    return while_loop(
        cond,
        body,
        loop_vars,
        shape_invariants=shape_invariants,
        parallel_iterations=parallel_iterations,
        back_prop=back_prop,
        swap_memory=swap_memory,
        name=name,
        maximum_iterations=maximum_iterations,
        return_same_structure=True,
    )
