"""``tf.cond``: v1 Switch/Merge conditionals (TF1's default) or v2 If ops.

The v1 graph is TensorFlow's node for node: ``cond/Switch`` on the predicate, the pivots
``cond/switch_t`` / ``cond/switch_f``, ``cond/pred_id``, one Switch per outside tensor a branch
reads, one ``cond/Merge`` per result, and both branches' CondContexts in the ``cond_context``
collection. With ``enable_control_flow_v2()`` the branches become functions of an If op.
"""

from __future__ import annotations

from torchmeta.api import cond_v2, control_flow_ops
from torchmeta.api.control_flow_ops import CondContext, convert_flow_to_tensorarray
from torchmeta.dtypes import DType
from torchmeta.framework import control_flow_util as util
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import nest
from torchmeta.framework.graph import GraphKeys
from torchmeta.framework.indexed_slices import IndexedSlices
from torchmeta.framework.op_def_library import raw_op

__all__ = ["cond"]


def _unpack_if_singleton(res):
    if isinstance(res, (list, tuple)) and len(res) == 1:
        return res[0]
    return res


def _cast_indexed_slice_indices(a, b):
    if isinstance(a, IndexedSlices) and isinstance(b, IndexedSlices) and a.indices.dtype != b.indices.dtype:
        a._indices = raw_op("Cast", x=a.indices, DstT=DType.int64)
        b._indices = raw_op("Cast", x=b.indices, DstT=DType.int64)


def cond(pred, true_fn=None, false_fn=None, strict=False, name=None, fn1=None, fn2=None):
    """``tf.cond``: ``true_fn()`` if ``pred`` else ``false_fn()``, both built into the graph.

    Args:
      pred: a scalar bool Tensor (a Python bool is refused, as in TF).
      true_fn, false_fn: callables returning the same structure of tensors (or an Operation).
      strict: keep singleton lists as lists.
      name: the name scope (default "cond").
      fn1, fn2: deprecated names of ``true_fn`` / ``false_fn``.

    Returns:
      The Merge outputs, packed like ``true_fn``'s result.

    Raises:
      TypeError: a Python bool predicate, non-callable branches, or branch results of different types.
      ValueError: branches returning nothing or different structures (TensorFlow's messages).
    """
    if fn1 is not None:
        if true_fn is not None:
            raise TypeError("cond(): 'true_fn' and 'fn1' may not be set simultaneously.")
        true_fn = fn1
    elif true_fn is None:
        raise TypeError("cond(): 'true_fn' argument required")
    if fn2 is not None:
        if false_fn is not None:
            raise TypeError("cond(): 'false_fn' and 'fn2' may not be set simultaneously.")
        false_fn = fn2
    elif false_fn is None:
        raise TypeError("cond(): 'false_fn' argument required")
    if not callable(true_fn):
        raise TypeError("'true_fn' must be callable.")
    if not callable(false_fn):
        raise TypeError("'false_fn' must be callable.")
    if util.EnableControlFlowV2(graph_lib.get_default_graph()):
        return cond_v2.cond_v2(pred, true_fn, false_fn, name)
    with graph_lib.name_scope(name, "cond", [pred]):
        if isinstance(pred, bool):
            raise TypeError("'pred' must not be a Python bool.")
        # The predicate and the pivots each branch hangs its ops on.
        p_2, p_1 = control_flow_ops.switch(pred, pred)
        pivot_1 = raw_op("Identity", input=p_1, name="switch_t")
        pivot_2 = raw_op("Identity", input=p_2, name="switch_f")
        pred = raw_op("Identity", input=pred, name="pred_id")
        for t in (p_1, p_2, pivot_1, pivot_2, pred):
            t.op.graph.prevent_fetching(t.op)

        context_t = CondContext(pred, pivot_1, branch=1)
        try:
            context_t.Enter()
            orig_res_t, res_t = context_t.BuildCondBranch(true_fn)
            if orig_res_t is None:
                raise ValueError("'true_fn' must have a return value.")
            context_t.ExitResult(res_t)
        finally:
            context_t.Exit()
        context_f = CondContext(pred, pivot_2, branch=0)
        try:
            context_f.Enter()
            orig_res_f, res_f = context_f.BuildCondBranch(false_fn)
            if orig_res_f is None:
                raise ValueError("'false_fn' must have a return value.")
            context_f.ExitResult(res_f)
        finally:
            context_f.Exit()

        if not strict:
            orig_res_t = _unpack_if_singleton(orig_res_t)
            orig_res_f = _unpack_if_singleton(orig_res_f)
        try:
            nest.assert_same_structure(orig_res_t, orig_res_f, expand_composites=True)
        except (TypeError, ValueError):
            nest.map_structure(_cast_indexed_slice_indices, orig_res_t, orig_res_f)
            nest.map_structure(_cast_indexed_slice_indices, res_t, res_f)
            try:
                nest.assert_same_structure(orig_res_t, orig_res_f, expand_composites=True)
            except TypeError as e:
                raise TypeError(f"Incompatible return types of 'true_fn' and 'false_fn': {e}") from None
            except ValueError as e:
                raise ValueError(f"Incompatible return values of 'true_fn' and 'false_fn': {e}") from None
        if not res_t:
            raise ValueError("'true_fn' and 'false_fn' must return at least one result.")

        res_t_flat = nest.flatten(res_t, expand_composites=True)
        res_f_flat = nest.flatten(res_f, expand_composites=True)
        for x, y in zip(res_t_flat, res_f_flat):
            if x.dtype.base_dtype != y.dtype.base_dtype:
                raise ValueError(
                    "Outputs of 'true_fn' and 'false_fn' must have the same type(s). Received "
                    f"{x.dtype.name} from 'true_fn' and {y.dtype.name} from 'false_fn'."
                )
        merges = [control_flow_ops.merge(pair)[0] for pair in zip(res_f_flat, res_t_flat)]
        merges = nest.map_structure(
            convert_flow_to_tensorarray, nest.flatten(orig_res_t, expand_composites=True), merges
        )
        if context_t.outer_context is None:
            graph_lib.add_to_collection(GraphKeys.COND_CONTEXT, context_t)
            graph_lib.add_to_collection(GraphKeys.COND_CONTEXT, context_f)
        merges = nest.pack_sequence_as(orig_res_t, merges, expand_composites=True)
        if not strict:
            merges = _unpack_if_singleton(merges)
        return merges
