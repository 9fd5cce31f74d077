"""Control-flow ops: NoOp (grouping with control dependencies); TF1 loops and conditionals come later."""

from __future__ import annotations

from torchmeta.framework import common_shapes
from torchmeta.framework.registry import not_differentiable, register_op


@register_op("NoOp", shape=common_shapes.no_outputs)
def no_op():
    return None


not_differentiable("NoOp")
