"""``tf.raw_ops``: every registered op as a function taking its TF input and attr names by keyword.

``raw_ops.MatMul(a=x, b=w, transpose_b=True)`` adds a MatMul node and returns its output(s) as TF does: the
Operation for ops without outputs, a Tensor for one output, a list for one list output, else a namedtuple named
after the op whose fields are its output argument names (``raw_ops.Unique(x=x)`` is ``Unique(y=..., idx=...)``).
Like ``tf.raw_ops``, a few ops take TF's Python argument names (``ExpandDims(input=x, axis=0)``);
their OpDef names are accepted too.
"""

from __future__ import annotations

from torchmeta.framework import registry
from torchmeta.framework.op_def_library import apply_op, raw_op_result

# tf.raw_ops argument names that differ from the OpDef's (TF's api_def renames): {op: {python: OpDef}}.
_PYTHON_ARG_NAMES = {
    "All": {"axis": "reduction_indices"},
    "Any": {"axis": "reduction_indices"},
    "EuclideanNorm": {"axis": "reduction_indices"},
    "ExpandDims": {"axis": "dim"},
    "Max": {"axis": "reduction_indices"},
    "Mean": {"axis": "reduction_indices"},
    "Min": {"axis": "reduction_indices"},
    "Prod": {"axis": "reduction_indices"},
    "Select": {"x": "t", "y": "e"},
    "Split": {"axis": "split_dim"},
    "SplitV": {"axis": "split_dim"},
    "Squeeze": {"axis": "squeeze_dims"},
    "Sum": {"axis": "reduction_indices"},
    "Where": {"condition": "input"},
}


def __getattr__(op_type: str):
    if registry.get(op_type) is None:
        raise AttributeError(f"module 'torchmeta.raw_ops' has no attribute '{op_type}'")

    renames = _PYTHON_ARG_NAMES.get(op_type)

    def op(name=None, **kwargs):
        if renames:
            kwargs = {renames.get(k, k): v for k, v in kwargs.items()}
        return raw_op_result(apply_op(op_type, name=name, **kwargs))

    op.__name__ = op_type
    op.__qualname__ = op_type
    return op


def __dir__():
    return sorted(registry.registered_ops())
