"""``tf.raw_ops``: every registered op as a function taking its TF input and attr names by keyword.

``raw_ops.MatMul(a=x, b=w, transpose_b=True)`` adds a MatMul node and returns its output(s): the
Operation for ops without outputs, a Tensor for one output, else a list per output argument.
"""

from __future__ import annotations

from torchmeta.framework.op_def_library import raw_op
from torchmeta.ops import registry


def __getattr__(op_type: str):
    if registry.get(op_type) is None:
        raise AttributeError(f"module 'torchmeta.raw_ops' has no attribute '{op_type}'")

    def op(name=None, **kwargs):
        return raw_op(op_type, name=name, **kwargs)

    op.__name__ = op_type
    op.__qualname__ = op_type
    return op


def __dir__():
    return sorted(registry.registered_ops())
