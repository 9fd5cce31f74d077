"""Math kernels are autograd-friendly: ``to_module`` of each float sample runs backward through them
(no in-place updates of inputs, no numpy round trips), and the gradient torch's autograd computes
through the kernels equals TensorFlow's ``tf.gradients`` of the same loss (the sum of the real parts
of the float outputs), value for value."""

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
# Acosh: for x < -1 (outside its domain) TF's gradient divides by sinh(acosh(x)) = NaN while torch's
# 1/sqrt(x^2 - 1) is finite; the samples draw random inputs, which fall there or not by chance.
_SKIP |= {"Acosh"}


# Where torch's autograd through the kernel and TF's gradient function disagree (strict xfails: each is
# checked to still differ). What a model trained through ``to_module`` gets at these points is torch's.
_EDGE = (
    "at non-finite or non-differentiable inputs torch's derivative formula and TF's gradient function give "
    "different values (NaN vs inf, 0 vs NaN, which side of a kink)"
)
_KNOWN_DIFFERENCES = {
    name: _EDGE
    for name in [
        "FloorDiv-nonfinite",
        "FloorMod-nonfinite",
        "TruncateDiv-nonfinite",
        "Maximum-nonfinite",
        "Minimum-nonfinite",
        "MulNoNan-nonfinite",
        "Atan2-nonfinite",
        "Pow-nonfinite",
        "MulNoNan-zeros",
        "FloorMod-sign-of-divisor",
        "FloorDiv-inf",
        "Maximum-nan",
        "Minimum-nan",
        "Atan2-signed-zeros",
        "Abs-special",
        "Abs-special-f64",
        "Sign-special",
        "Sign-special-f64",
        "Lgamma-special",
        "Lgamma-special-f64",
        "Digamma-special",
        "Digamma-special-f64",
        "Digamma-poles",
        "Lgamma-poles",
        "ClipByValue-min-above-max",
        "Prod-nonfinite",
        "UnsortedSegmentMax-nonfinite",
        "UnsortedSegmentMin-nonfinite",
        "SqrtGrad-special",
        "SqrtGrad-special-f64",
        "RsqrtGrad-special",
        "RsqrtGrad-special-f64",
        "ReciprocalGrad-special",
        "ReciprocalGrad-special-f64",
        "InvGrad-special",
        "InvGrad-special-f64",
    ]
}
_KNOWN_DIFFERENCES.update(
    {
        "Maximum-ties": "at ties torch splits the gradient between x and y, TF gives all of it to x",
        "Minimum-ties": "at ties torch splits the gradient between x and y, TF gives all of it to x",
        "Cumprod-zeros": "TF's Cumprod gradient divides by x and loses the terms at zeros; torch's is exact",
        **{
            name: "at NaN torch's BesselI1e derivative is 0.5 (its x == 0 branch); TF's gradient is NaN"
            for name in ("BesselI1e-special", "BesselI1e-special-f64")
        },
        "Sign-complex64": "TF's Sign gradient is zero; torch's complex sgn has a non-zero derivative",
        "SegmentProd-complex64": (
            "TF's SegmentProd gradient multiplies by prod / x without the conjugate its other complex gradients "
            "take; torch's autograd conjugates"
        ),
        **{
            f"{op}-complex64": f"{op}'s complex gradient at a zero element: TF's second derivative is finite there, torch's 0"
            for op in ("SqrtGrad", "RsqrtGrad", "ReciprocalGrad", "InvGrad")
        },
    }
)


def _differentiable(sample) -> bool:
    if sample.xfail or sample.op in _SKIP or not sample.grad:
        return False
    values = [v for v in sample.inputs.values() if not isinstance(v, (list, tuple))]
    return any(v.dtype in _GRAD_DTYPES and v.size for v in values)


def _build(api, sample):
    """The sample's op with its float inputs as placeholders: (graph, placeholders, their values, outputs)."""
    g = api.Graph()
    with g.as_default():
        kwargs, inputs, values = {}, [], []
        for name, value in sample.inputs.items():
            if isinstance(value, (list, tuple)):
                kwargs[name] = [api.constant(v) for v in value]
            elif value.dtype in _GRAD_DTYPES or name in sample.fed:
                kwargs[name] = api.placeholder(api.as_dtype(value.dtype.name), sample.fed.get(name, value.shape))
                inputs.append(kwargs[name])
                values.append(value)
            else:
                kwargs[name] = api.constant(value)
        for name, value in sample.attrs.items():
            kwargs[name] = _convert_attr(value, api)
        outputs = [
            t for t in _flatten(getattr(api.raw_ops, sample.op)(**kwargs)) if t.dtype.is_floating or t.dtype.is_complex
        ]
    return g, inputs, values, outputs


def _tf_gradients(tf1, sample):
    g, inputs, values, outputs = _build(tf1, sample)
    with g.as_default():
        loss = tf1.add_n([tf1.reduce_sum(tf1.math.real(t) if t.dtype.is_complex else t) for t in outputs])
        grads = tf1.gradients(loss, inputs)
        with tf1.Session(graph=g) as sess:
            fetch = [gr for gr in grads if gr is not None]
            got = iter(sess.run(fetch, dict(zip(inputs, values))))
    return [None if gr is None else next(got) for gr in grads]


def _params():
    for s in SAMPLES:
        if _differentiable(s):
            reason = _KNOWN_DIFFERENCES.get(s.name)
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            yield pytest.param(s, id=s.name, marks=marks)


# Digamma's gradient is the trigamma function: torch's and Eigen's series agree to ~2e-5 relative
# near zero (x ~ 0.01, where it is ~1e4), beyond the default float32 tolerance.
_GRADIENT_RTOL = {"Digamma": 1e-4}


@pytest.mark.parametrize("sample", list(_params()))
def test_backward_through_kernel_equals_tf_gradients(tf1, sample):
    g, inputs, values, outputs = _build(tm, sample)
    module = to_module(g, inputs=inputs, outputs=outputs)
    tensors = [torch.tensor(v, requires_grad=v.dtype in _GRAD_DTYPES) for v in values]
    result = module(*tensors)
    results = result if isinstance(result, tuple) else (result,)
    total = sum((r.real if r.is_complex() else r).sum() for r in results)
    total.backward()
    expected = _tf_gradients(tf1, sample)
    for i, (t, e) in enumerate(zip(tensors, expected)):
        if not t.requires_grad:
            continue
        assert t.grad is not None and t.grad.shape == t.shape, f"input {i}: no gradient of its shape"
        if e is None:  # TF has no gradient for this input: torch's must be zero
            assert not t.grad.any(), f"input {i}: TF gives no gradient, torch a non-zero one"
            continue
        np.testing.assert_allclose(
            t.grad.detach().resolve_conj().numpy(),
            e,
            rtol=max(sample.rtol, _GRADIENT_RTOL.get(sample.op, 1e-5)),
            atol=max(sample.atol, 1e-5),
            equal_nan=True,
            err_msg=f"gradient of input {i}",
        )
