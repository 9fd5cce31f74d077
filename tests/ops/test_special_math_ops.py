"""Special functions beyond the sample table: Betainc's kernel and shape errors, the tf.math / tf.math.special
functions built node for node as TensorFlow builds them, and their gradient graphs (the where_v2 branches of
math_grad.py, IgammaGradA, Betainc's x-only gradient) built as TF's and run to TF's values."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api.tf_programs import assert_same_graph
from tests.ops.harness import Sample, assert_same_runtime_error, assert_same_shape_error

f32 = np.float32
_rng = np.random.default_rng(5)
_A = _rng.uniform(0.5, 5.0, (2, 3)).astype(f32)
_X = _rng.uniform(0.05, 0.95, (2, 3)).astype(f32)


RUNTIME_ERRORS = [
    Sample("Betainc", {"a": _A, "b": _A[:, :2], "x": _X}, id="a-b"),
    Sample("Betainc", {"a": _A, "b": f32(1.0), "x": _X.T}, id="a-x"),
    Sample("Betainc", {"a": f32(1.0), "b": _A, "x": _X[0]}, id="b-x"),
    Sample("Igamma", {"a": _A, "x": _X[:, :2]}, id="broadcast"),
    Sample("Xlogy", {"x": _A, "y": _X[:, :2]}, id="broadcast"),
]


@pytest.mark.parametrize("sample", RUNTIME_ERRORS, ids=lambda s: s.name)
def test_runtime_errors_match_tf(tf1, sample):
    assert_same_runtime_error(tf1, sample)


SHAPE_ERRORS = [
    Sample("Betainc", {"a": _A, "b": _A[:, :2], "x": f32(0.5)}, id="merge"),
    Sample("Betainc", {"a": f32(1.0), "b": _A, "x": _X[0]}, id="rank"),
    Sample("Zeta", {"x": _A, "q": _X[:, :2]}, id="broadcast"),
]


@pytest.mark.parametrize("sample", SHAPE_ERRORS, ids=lambda s: s.name)
def test_shape_errors_match_tf(tf1, sample):
    assert_same_shape_error(tf1, sample)


_SPECIAL = ("bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "bessel_k0", "bessel_k0e", "bessel_k1")
_SPECIAL += ("bessel_k1e", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "fresnel_cos", "fresnel_sin")
_SPECIAL += ("dawsn", "expint", "spence")


def _program(tf):
    a = tf.placeholder(tf.float32, [2, 3], name="a")
    x = tf.placeholder(tf.float32, [2, 3], name="x")
    out = [getattr(tf.math.special, fn)(x) for fn in _SPECIAL]
    out += [tf.math.bessel_i0(x, name="i0"), tf.math.bessel_i1e(x)]
    out += [tf.math.igamma(a, x), tf.math.igammac(a, x, name="upper"), tf.igamma(a, x)]
    out += [tf.math.zeta(a + 1, x), tf.math.polygamma(tf.ones_like(a), x), tf.math.betainc(a, a, x)]
    out += [tf.math.xlogy(a, x), tf.math.xlog1py(a, x, name="l1p"), tf.math.xdivy(a, x)]
    return {"a": a, "x": x}, out


def _run_both(tf1, program, feeds):
    results = []
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            inputs, fetches = program(api)
            with api.Session(graph=g) as sess:
                results.append(sess.run(fetches, {inputs[k]: v for k, v in feeds.items()}))
    return results


def test_tf_math_special_functions_build_tf_graph(tf1):
    assert_same_graph(tf1, lambda tf: _program(tf)[1])
    theirs, ours = _run_both(tf1, _program, {"a": _A, "x": _X})
    for o, t in zip(ours, theirs):
        assert o.shape == t.shape and o.dtype == t.dtype
        np.testing.assert_allclose(o, t, rtol=5e-5, atol=1e-6)


_GRADIENT_FUNCTIONS = ("bessel_i1", "bessel_j1", "bessel_k1e", "bessel_y1", "spence", "expint", "dawsn")
_GRADIENT_FUNCTIONS += ("fresnel_sin", "igamma", "igammac", "zeta", "betainc", "xlogy", "xlog1py", "xdivy")


@pytest.mark.parametrize("fn", _GRADIENT_FUNCTIONS)
def test_gradient_graphs_match_tf(tf1, fn):
    """The gradient of each function (x with a zero in it where the gradient has a where_v2 branch) is TF's
    graph node for node and TF's values."""
    x_value = np.array([[0.0, 0.5, 1.0], [1.5, 2.0, 3.0]], f32) if fn != "betainc" else _X

    def program(tf):
        a = tf.placeholder(tf.float32, [2, 3], name="a")
        x = tf.placeholder(tf.float32, [2, 1 if fn in ("igamma", "zeta") else 3], name="x")
        if fn in ("igamma", "igammac", "xlogy", "xlog1py", "xdivy"):
            y = getattr(tf.math, fn)(a, x)
        elif fn == "zeta":
            y = tf.math.zeta(a + 1, x)
        elif fn == "betainc":
            y = tf.math.betainc(a, a + 1, x)
        else:
            y = getattr(tf.math.special, fn)(x)
        return {"a": a, "x": x}, tf.gradients(tf.reduce_sum(y * y), [a, x])

    def present(tf):
        inputs, grads = program(tf)
        return inputs, [g for g in grads if g is not None]

    assert_same_graph(tf1, lambda tf: present(tf)[1])
    x_feed = x_value[:, :1] + 0.25 if fn in ("igamma", "zeta") else x_value
    theirs, ours = _run_both(tf1, present, {"a": _A, "x": x_feed})
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o, t, rtol=1e-4, atol=1e-5)
