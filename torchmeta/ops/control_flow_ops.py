"""Control-flow ops: NoOp (grouping with control dependencies); TF1 loops and conditionals come later."""

from __future__ import annotations

from torchmeta.ops import shapes
from torchmeta.ops.registry import not_differentiable, register_op


@register_op("NoOp", shape=shapes.no_outputs)
def no_op():
    return None


not_differentiable("NoOp")
