"""Control-flow ops: NoOp (grouping with control dependencies); TF1 loops and conditionals come later."""

from __future__ import annotations

from torchmeta.framework import common_shapes
from torchmeta.framework.registry import no_registered_gradient, register_op


@register_op("NoOp", shape=common_shapes.no_outputs)
def no_op():
    return None


# TensorFlow registers no gradient for these: tf.gradients through them raises LookupError.
no_registered_gradient("NoOp")
