"""``tf.test.compute_gradient`` / ``compute_gradient_error`` (TF1 signature): the same Jacobians and error
as TF for the same seed, dense, sparse (IndexedSlices), complex and list ``x``."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm


def _check(api, build, **kwargs):
    np.random.seed(7)
    with api.Graph().as_default(), api.Session():
        x, x_shape, y, y_shape, extra = build(api)
        jac = api.test.compute_gradient(x, x_shape, y, y_shape, extra_feed_dict=extra, **kwargs)
        np.random.seed(7)
        err = api.test.compute_gradient_error(x, x_shape, y, y_shape, extra_feed_dict=extra, **kwargs)
    return jac, err


def _dense(api):
    x = api.placeholder(api.float64, [2, 3], name="x")
    return x, [2, 3], api.reduce_sum(api.tanh(x) * x, axis=1), [2], None


def _sparse(api):
    x = api.placeholder(api.float64, [4, 2], name="x")
    return x, [4, 2], api.gather(x, [3, 0, 3]) * 2.0, [3, 2], None


def _complex(api):
    x = api.placeholder(api.complex128, [2], name="x")
    return x, [2], x * x, [2], None


def _list(api):
    a = api.placeholder(api.float64, [2], name="a")
    b = api.placeholder(api.float64, [2], name="b")
    # Each x is fed in turn; the other comes from extra_feed_dict (TF's numeric pass feeds only x).
    return [a, b], [[2], [2]], a * b + api.exp(a), [2], {a: [0.5, 0.25], b: [-1.0, 2.0]}


def _extra(api):
    x = api.placeholder(api.float32, [3], name="x")
    s = api.placeholder(api.float32, [], name="s")
    return x, [3], api.square(x) * s, [3], {s: 3.0}


@pytest.mark.parametrize("build", [_dense, _sparse, _complex, _list, _extra], ids=lambda f: f.__name__[1:])
def test_compute_gradient_matches_tf(tf1, build):
    expected_jac, expected_err = _check(tf1, build)
    jac, err = _check(tm, build)
    pairs = jac if isinstance(jac, list) else [jac]
    expected_pairs = expected_jac if isinstance(expected_jac, list) else [expected_jac]
    assert len(pairs) == len(expected_pairs)
    for (t, n), (et, en) in zip(pairs, expected_pairs):
        assert (t.shape, t.dtype, n.shape, n.dtype) == (et.shape, et.dtype, en.shape, en.dtype)
        np.testing.assert_allclose(t, et, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(n, en, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(err, expected_err, rtol=1e-3, atol=1e-4)
    assert err < 1e-2


def test_x_init_value_and_init_targets(tf1):
    results = []
    for api in (tf1, tm):
        with api.Graph().as_default(), api.Session():
            v = api.Variable([1.0, 2.0], dtype=api.float64)
            x = api.placeholder(api.float64, [2])
            y = x * v
            results.append(
                api.test.compute_gradient(
                    x, [2], y, [2], x_init_value=np.array([0.5, -1.0]), init_targets=[v.initializer]
                )
            )
    for a, e in zip(results[1], results[0]):
        np.testing.assert_allclose(a, e, rtol=1e-6)
