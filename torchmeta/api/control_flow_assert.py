"""``tf.Assert``: an Assert op, guarded by a cond unless all data are strings or int32 (as TensorFlow builds it)."""

from __future__ import annotations

from torchmeta.api import cond as cond_lib
from torchmeta.api.control_flow_ops import no_op
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import Tensor
from torchmeta.framework.op_def_library import raw_op

__all__ = ["Assert"]


def Assert(condition, data, summarize=None, name=None):
    """``tf.Assert``: an op that fails the run with ``data`` printed when ``condition`` is false.

    In TF1 graph mode it must be run (or be a control dependency) to check anything.

    Returns:
      The Assert op, or the Merge op of the cond guarding it.
    """
    with graph_lib.name_scope(name, "Assert", [condition, data]) as name:
        xs = [x if isinstance(x, Tensor) else graph_lib.convert_to_tensor(x) for x in data]
        if all(x.dtype.base_dtype in (DType.string, DType.int32) for x in xs):
            # Cheap to evaluate: no cond needed.
            return raw_op("Assert", condition=condition, data=list(data), summarize=summarize, name="Assert")
        condition = graph_lib.convert_to_tensor(condition, name="Condition")

        def true_assert():
            return raw_op("Assert", condition=condition, data=list(data), summarize=summarize, name="Assert")

        guarded_assert = cond_lib.cond(condition, no_op, true_assert, name="AssertGuard")
        return guarded_assert.op
