"""``tf.hessians`` (TF's python/ops/gradients_impl.py): second derivatives by a while loop of ``tf.gradients``."""

from __future__ import annotations

from torchmeta.api import array_ops
from torchmeta.api.gradients import gradients
from torchmeta.api.tensor_array_ops import TensorArray
from torchmeta.api.while_loop import while_loop
from torchmeta.dtypes import DType
from torchmeta.framework.constant_op import constant

__all__ = ["hessians"]


def hessians(ys, xs, name="hessians", colocate_gradients_with_ops=False, gate_gradients=False, aggregation_method=None):
    """``tf.hessians``: per ``x`` in ``xs``, the Hessian of ``sum(ys)`` with respect to ``x``, shaped
    ``x.shape + x.shape``; TF builds one while loop over the gradient's elements per ``x`` (``name`` is
    unused, as in TF)."""
    del name
    xs = list(xs) if isinstance(xs, (list, tuple)) else [xs]
    kwargs = {
        "colocate_gradients_with_ops": colocate_gradients_with_ops,
        "gate_gradients": gate_gradients,
        "aggregation_method": aggregation_method,
    }
    return [_hessian(gradient, x) for gradient, x in zip(gradients(ys, xs, **kwargs), xs)]


def _hessian(gradient, x):
    gradient = array_ops.reshape(gradient, [-1])
    n = array_ops.size(x)
    loop_vars = [constant(0, DType.int32), TensorArray(x.dtype, n)]
    _, hessian = while_loop(
        lambda j, _: j < n,
        lambda j, result: (j + 1, result.write(j, gradients(gradient[j], x)[0])),
        loop_vars,
    )
    shape = array_ops.shape(x)
    return array_ops.reshape(hessian.stack(), array_ops.concat((shape, shape), 0))
