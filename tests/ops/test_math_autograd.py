"""Math kernels are autograd-friendly: ``to_module`` of each float sample runs backward through them
(no in-place updates of inputs, no numpy round trips), giving a gradient of each input's shape."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchmeta as tm
from tests.ops.harness import _convert_attr, _flatten
from tests.ops.samples_math import SAMPLES
from torchmeta.runtime.module import to_module

_GRAD_DTYPES = (np.float32, np.float64, np.complex64)


# Ops without a float output (nothing to differentiate) or without a gradient in TF.
_SKIP = {"Range", "Cast", "SparseMatMul", "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual"}
_SKIP |= {"IsNan", "IsInf", "IsFinite", "ArgMax", "ArgMin"}
# Polygamma has no gradient for its order ``a`` (none in TF; torch's zeta has no derivative there).
_SKIP |= {"Polygamma"}


def _differentiable(sample) -> bool:
    if sample.xfail or sample.op in _SKIP:
        return False
    values = [v for v in sample.inputs.values() if not isinstance(v, (list, tuple))]
    return any(v.dtype in _GRAD_DTYPES and v.size for v in values)


@pytest.mark.parametrize("sample", [pytest.param(s, id=s.name) for s in SAMPLES if _differentiable(s)])
def test_backward_runs_through_kernel(sample):
    g = tm.Graph()
    with g.as_default():
        kwargs, inputs, values = {}, [], []
        for name, value in sample.inputs.items():
            if isinstance(value, (list, tuple)):
                kwargs[name] = [tm.constant(v) for v in value]
            elif value.dtype in _GRAD_DTYPES or name in sample.fed:
                kwargs[name] = tm.placeholder(tm.as_dtype(value.dtype), sample.fed.get(name, value.shape))
                inputs.append(kwargs[name])
                values.append(torch.tensor(value, requires_grad=value.dtype in _GRAD_DTYPES))
            else:
                kwargs[name] = tm.constant(value)
        for name, value in sample.attrs.items():
            kwargs[name] = _convert_attr(value, tm)
        outputs = [
            t for t in _flatten(getattr(tm.raw_ops, sample.op)(**kwargs)) if t.dtype.is_floating or t.dtype.is_complex
        ]
    module = to_module(g, inputs=inputs, outputs=outputs)
    result = module(*values)
    results = result if isinstance(result, tuple) else (result,)
    total = sum((r.real if r.is_complex() else r).sum() for r in results)
    total.backward()
    for v in values:
        if v.requires_grad:
            assert v.grad is not None and v.grad.shape == v.shape
