"""Per op: the gradient subgraph torchmeta emits equals ``tf.compat.v1.gradients`` numerically.

For every sample whose op has a registered gradient function, both frameworks build the op, call
``gradients(float outputs, float inputs, grad_ys=<the same random cotangents>)`` and run it; the
results (IndexedSlices densified) must match. Ops declared not differentiable must give None where
TensorFlow gives None.
"""

import numpy as np
import pytest

import torchmeta as tm
from tests.ops.harness import _convert_attr, _flatten
from tests.ops.samples import SAMPLES
from torchmeta.framework import registry

_FLOAT_KINDS = "fc"


def _is_float(dtype_name: str) -> bool:
    return dtype_name in ("float16", "float32", "float64", "bfloat16", "complex64", "complex128")


def has_float_outputs(sample) -> bool:
    """Whether the op (built here, not run) has a floating output to differentiate."""
    try:
        with tm.Graph().as_default():
            outs, _, _ = _build(tm, sample, None)
    except Exception:  # a sample that does not build is kept: its test reports the failure
        return True
    return bool(outs)


def _grad_samples():
    for s in SAMPLES:
        info = registry.get(s.op)
        if not s.grad or s.random or info is None or not callable(info.gradient) or not has_float_outputs(s):
            continue
        marks = [pytest.mark.xfail(reason=s.xfail, strict=True)] if s.xfail else []
        yield pytest.param(s, id=s.name, marks=marks)


def _build(api, sample, grad_y_values):
    """Builds the op and its gradients in ``api``; returns (fetches, feeds, output dtypes)."""
    feeds, kwargs, xs = {}, {}, []
    for name, value in sample.inputs.items():
        if isinstance(value, (list, tuple)):
            tensors = [api.constant(v) for v in value]
            kwargs[name] = tensors
            xs.extend(t for t, v in zip(tensors, value) if v.dtype.kind in _FLOAT_KINDS)
            continue
        if name in sample.fed:
            t = api.placeholder(api.as_dtype(value.dtype.name if value.dtype != object else "string"), sample.fed[name])
            feeds[t] = value
        else:
            t = api.constant(value)
        kwargs[name] = t
        if value.dtype.kind in _FLOAT_KINDS:
            xs.append(t)
    for name, value in sample.attrs.items():
        kwargs[name] = _convert_attr(value, api)
    outs = [o for o in _flatten(getattr(_raw_ops(api), sample.op)(**kwargs)) if _is_float(o.dtype.base_dtype.name)]
    if grad_y_values is None:
        return outs, feeds, xs
    grad_ys = [api.constant(v) for v in grad_y_values]
    grads = api.gradients(outs, xs, grad_ys=grad_ys)
    dense = [None if g is None else api.convert_to_tensor(g) for g in grads]
    return dense, feeds, xs


def _raw_ops(api):
    if api is tm:
        return tm.raw_ops
    import tensorflow as tf

    return tf.raw_ops


def _run(api, sample, grad_y_values, device="cpu"):
    g = api.Graph()
    with g.as_default():
        fetches, feeds, _ = _build(api, sample, grad_y_values)
        present = [f for f in fetches if f is not None]
        config = api.ConfigProto(device=device) if api is tm else None
        with api.Session(graph=g, config=config) as sess:
            values = sess.run(present, feeds) if present else []
    it = iter(values)
    return [None if f is None else next(it) for f in fetches]


@pytest.mark.parametrize("sample", list(_grad_samples()))
def test_gradient_matches_tf(tf1, sample, op_device):
    forward = _run(tf1, sample, None)
    rng = np.random.default_rng(1)
    grad_ys = [rng.standard_normal(np.shape(v)).astype(np.asarray(v).dtype) for v in forward]
    expected = _run(tf1, sample, grad_ys)
    actual = _run(tm, sample, grad_ys, op_device)
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected)):
        if e is None:
            assert a is None, f"input {i}: TF gives no gradient, torchmeta gives one"
            continue
        assert a is not None, f"input {i}: torchmeta gives no gradient"
        a, e = np.asarray(a), np.asarray(e)
        assert a.shape == e.shape, f"gradient {i} shape {a.shape} != {e.shape}"
        assert a.dtype == e.dtype, f"gradient {i} dtype {a.dtype} != {e.dtype}"
        tol = max(sample.rtol, 1e-5) * (10 if a.dtype == np.float32 else 1)
        np.testing.assert_allclose(a, e, rtol=tol, atol=max(sample.atol, 1e-5), err_msg=f"gradient {i}")
