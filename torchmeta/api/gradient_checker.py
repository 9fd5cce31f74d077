"""``tf.test.compute_gradient`` / ``compute_gradient_error`` (TF1's python/ops/gradient_checker.py): the
theoretical Jacobian from ``tf.gradients`` (one run per output element) beside a central-difference one,
both run in the default session."""

from __future__ import annotations

import numpy as np

from torchmeta import dtypes
from torchmeta.api import array_ops, math_ops
from torchmeta.api.gradients import gradients
from torchmeta.dtypes import DType
from torchmeta.framework.constant_op import constant
from torchmeta.framework.default_session import get_default_session
from torchmeta.framework.indexed_slices import IndexedSlices

__all__ = ["compute_gradient", "compute_gradient_error"]

_ALLOWED = (DType.float16, DType.bfloat16, DType.float32, DType.float64, DType.complex64, DType.complex128)


def _product(t):
    if isinstance(t, int):
        return t
    y = 1
    for x in t:
        y *= x
    return y


def _extra_feeds(extra_feed_dict, new_feeds):
    if not extra_feed_dict:
        return new_feeds
    return {**extra_feed_dict, **new_feeds}


def _compute_theoretical_jacobian(x, x_shape, x_data, dy, dy_shape, dx, extra_feed_dict):
    if x.dtype.is_complex:
        x_shape = (*tuple(x_shape), 2)
    dy_factor = 2 if dy.dtype.is_complex else 1
    x_size = _product(x_shape)
    x_val_size = _product(x_shape[1:])  # the rows of a sparse gradient
    dy_size = _product(dy_shape) * dy_factor
    jacobian = np.zeros((x_size, dy_size), dtype=x.dtype.real_dtype.as_numpy_dtype)
    dy_data = np.zeros(dy_shape, dtype=dy.dtype.as_numpy_dtype)
    dy_data_flat = dy_data.ravel().view(dy.dtype.real_dtype.as_numpy_dtype)
    sess = get_default_session()
    for col in range(dy_size):
        dy_data_flat[col] = 1
        feeds = _extra_feeds(extra_feed_dict, {x: x_data, dy: dy_data})
        if isinstance(dx, IndexedSlices):
            backprop_indices, backprop_values = sess.run([dx.indices, dx.values], feed_dict=feeds)
            for i, v in zip(backprop_indices, backprop_values):
                r_begin = i * x_val_size
                jacobian[r_begin : r_begin + x_val_size, col] += v.flat
        else:
            jacobian[:, col] = sess.run(dx, feed_dict=feeds).ravel().view(jacobian.dtype)
        dy_data_flat[col] = 0
    if not dy_size:
        backprop = sess.run(dx, feed_dict=_extra_feeds(extra_feed_dict, {x: x_data, dy: dy_data}))
        if backprop.shape != x_data.shape:
            raise ValueError(f"Empty gradient has wrong shape: expected {x_data.shape}, got {backprop.shape}")
        if np.any(backprop):
            raise ValueError("Empty tensor with nonzero gradients")
    return jacobian


def _compute_numeric_jacobian(x, x_shape, x_data, y, y_shape, delta, extra_feed_dict):
    if x.dtype == DType.bfloat16:
        x = math_ops.cast(x, DType.float32)
    if y.dtype == DType.bfloat16:
        y = math_ops.cast(y, DType.float32)
    if x_data.dtype == DType.bfloat16.as_numpy_dtype:
        x_data = x_data.astype(np.float32)
    x_size = _product(x_shape) * (2 if x.dtype.is_complex else 1)
    y_size = _product(y_shape) * (2 if y.dtype.is_complex else 1)
    x_dtype = x.dtype.real_dtype.as_numpy_dtype
    y_dtype = y.dtype.real_dtype.as_numpy_dtype
    x_data = np.asarray(x_data, dtype=x.dtype.as_numpy_dtype)
    scale = np.asarray(2 * delta, dtype=y_dtype)[()]
    jacobian = np.zeros((x_size, y_size), dtype=x_dtype)
    for row in range(x_size):
        x_pos = x_data.copy()
        x_neg = x_data.copy()
        x_pos.ravel().view(x_dtype)[row] += delta
        y_pos = y.eval(feed_dict=_extra_feeds(extra_feed_dict, {x: x_pos}))
        x_neg.ravel().view(x_dtype)[row] -= delta
        y_neg = y.eval(feed_dict=_extra_feeds(extra_feed_dict, {x: x_neg}))
        diff = (y_pos - y_neg) / scale
        jacobian[row, :] = diff.ravel().view(y_dtype)
    return jacobian


def _compute_dx_and_dy(x, y, y_shape):
    with x.graph.as_default():
        dy_orig = constant(1.0, shape=y_shape, dtype=y.dtype)
        dy = array_ops.identity(dy_orig)
    grads = gradients(y, x, dy)
    assert len(grads) == 1
    return grads[0], dy_orig


def _compute_gradient(x, x_shape, dx, y, y_shape, dy, x_init_value=None, delta=1e-3, extra_feed_dict=None):
    t = dtypes.as_dtype(x.dtype)
    assert t.base_dtype in _ALLOWED, f"Don't support type {t.name} for x"
    t2 = dtypes.as_dtype(y.dtype)
    assert t2.base_dtype in _ALLOWED, f"Don't support type {t2.name} for y"
    if x_init_value is not None:
        i_shape = list(x_init_value.shape)
        assert list(x_shape) == i_shape, f"x_shape = {x_shape}, init_data shape = {i_shape}"
        x_data = x_init_value
    else:
        x_data = np.random.random_sample(x_shape).astype(t.as_numpy_dtype)
        if t.is_complex:
            x_data.imag = np.random.random_sample(x_shape)
    jacob_t = _compute_theoretical_jacobian(x, x_shape, x_data, dy, y_shape, dx, extra_feed_dict=extra_feed_dict)
    jacob_n = _compute_numeric_jacobian(x, x_shape, x_data, y, y_shape, delta, extra_feed_dict=extra_feed_dict)
    return jacob_t, jacob_n


def compute_gradient(x, x_shape, y, y_shape, x_init_value=None, delta=1e-3, init_targets=None, extra_feed_dict=None):
    """``tf.test.compute_gradient`` (TF1): ``(theoretical, numeric)`` Jacobians of ``y`` with respect to
    ``x`` (a list of pairs for a list ``x``), each ``[x size, y size]``, run in the default session;
    ``x`` is fed random values from numpy's global generator unless ``x_init_value`` is given."""
    if extra_feed_dict is None:
        extra_feed_dict = {}
    if isinstance(x, list):
        dx, dy = zip(*[_compute_dx_and_dy(xi, y, y_shape) for xi in x])
        if init_targets is not None:
            assert isinstance(init_targets, (list, tuple))
            for init in init_targets:
                init.run()
        if x_init_value is None:
            x_init_value = [None] * len(x)
        return [
            _compute_gradient(xi, x_shapei, dxi, y, y_shape, dyi, x_init_valuei, delta, extra_feed_dict=extra_feed_dict)
            for xi, x_shapei, dxi, dyi, x_init_valuei in zip(x, x_shape, dx, dy, x_init_value)
        ]
    if init_targets is not None:
        assert isinstance(init_targets, (list, tuple))
        for init in init_targets:
            init.run()
    dx, dy = _compute_dx_and_dy(x, y, y_shape)
    return _compute_gradient(x, x_shape, dx, y, y_shape, dy, x_init_value, delta, extra_feed_dict=extra_feed_dict)


def compute_gradient_error(
    x, x_shape, y, y_shape, x_init_value=None, delta=1e-3, init_targets=None, extra_feed_dict=None
):
    """``tf.test.compute_gradient_error`` (TF1): the largest absolute difference between the theoretical and
    the numeric Jacobian (over all of them, for a list ``x``)."""
    grad = compute_gradient(x, x_shape, y, y_shape, x_init_value, delta, init_targets, extra_feed_dict=extra_feed_dict)
    if isinstance(grad, tuple):
        grad = [grad]
    error = 0
    for j_t, j_n in grad:
        if j_t.size or j_n.size:
            error = np.maximum(error, np.fabs(j_t - j_n).max())
    return error
