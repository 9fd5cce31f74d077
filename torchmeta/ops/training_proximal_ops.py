"""Proximal and dual-averaging training ops: ProximalGradientDescent, ProximalAdagrad, FTRL (V1/V2), AdagradDA.

The Apply* / ResourceApply* / SparseApply* updates of ``tf.train.ProximalGradientDescentOptimizer``,
``ProximalAdagradOptimizer``, ``FtrlOptimizer`` and ``AdagradDAOptimizer``, computed as TensorFlow's
training_ops.cc computes them (operation order, the double-precision arithmetic of its one-element-row
sparse paths), with the update semantics of ops/training_ops.py (ref updates in place, resource updates
copy-on-write, sparse rows in ``indices`` order).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from torchmeta.framework import common_shapes
from torchmeta.framework.common_shapes import format_dims
from torchmeta.framework.registry import no_registered_gradient, register_op
from torchmeta.ops.common import (
    TINDICES,
    TRAINING_T,
    USE_LOCKING,
    apply_op_shape,
    check_same_shape,
    check_scalar,
    check_sparse_update,
    invalid,
    store_values,
    update_rows,
    updated_value,
)

# TF registers these CPU kernels for float and double (FTRL also half and bfloat16).


def _prox(prox, rate, l1, l2):
    """FOBOS shrinkage of ``prox = w - rate * g``: sign(v) max(|v| - rate l1, 0) / (1 + l2 rate)."""
    if float(l1) > 0:
        return prox.sign() * (prox.abs() - rate * l1).clamp_min(0) / (1 + l2 * rate)
    return prox / (1 + l2 * rate)


def _prox_double_denominator(prox, rate, l1, l2):
    """TF's one-element-row form: the shrunk value (in T) over ``1.0 + l2 * rate`` in double."""
    num = prox.sign() * (prox.abs() - rate * l1).clamp_min(0) if float(l1) > 0 else prox
    return (num.double() / (1.0 + (l2 * rate).double())).to(prox.dtype)


def _l1_l2(l1, l2):
    check_scalar(l1, "l1 regularization strength")
    check_scalar(l2, "l2 regularization strength")


def _proximal_gradient_descent(var_slot, alpha, l1, l2, delta, in_place):
    var = updated_value(var_slot, in_place)
    check_scalar(alpha, "alpha")
    _l1_l2(l1, l2)
    check_same_shape(var, delta, "delta")
    var.copy_(_prox(var - delta * alpha, alpha, l1, l2))
    store_values([var_slot], [var], in_place)


@register_op(
    "ApplyProximalGradientDescent",
    inputs=["var: Ref(T)", "alpha: T", "l1: T", "l2: T", "delta: T"],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, USE_LOCKING],
    shape=apply_op_shape(1, [1, 2, 3], 4),
)
def apply_proximal_gradient_descent(var, alpha, l1, l2, delta):
    _proximal_gradient_descent(var, alpha, l1, l2, delta, True)
    return var


@register_op(
    "ResourceApplyProximalGradientDescent",
    inputs=["var: resource", "alpha: T", "l1: T", "l2: T", "delta: T"],
    attrs=[TRAINING_T, USE_LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_proximal_gradient_descent(var, alpha, l1, l2, delta):
    _proximal_gradient_descent(var, alpha, l1, l2, delta, False)


def _sparse_proximal_gradient_descent(var_slot, alpha, l1, l2, grad, indices, in_place):
    var = updated_value(var_slot, in_place)
    if var.dim() < 1:
        raise invalid("var must be at least 1 dimensional")
    check_scalar(alpha, "lr")
    _l1_l2(l1, l2)
    check_sparse_update(var, grad, indices, inner_dim_check=True)
    shrink = _prox_double_denominator if math.prod(var.shape[1:]) == 1 else _prox

    def rows(v, g):
        v.copy_(shrink(v - alpha * g, alpha, l1, l2))

    if indices.shape[0]:
        update_rows([var], grad, indices, rows)
    store_values([var_slot], [var], in_place)


@register_op(
    "SparseApplyProximalGradientDescent",
    inputs=["var: Ref(T)", "alpha: T", "l1: T", "l2: T", "grad: T", "indices: Tindices"],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING],
    shape=apply_op_shape(1, [1, 2, 3], 4, sparse=True),
)
def sparse_apply_proximal_gradient_descent(var, alpha, l1, l2, grad, indices):
    _sparse_proximal_gradient_descent(var, alpha, l1, l2, grad, indices, True)
    return var


@register_op(
    "ResourceSparseApplyProximalGradientDescent",
    inputs=["var: resource", "alpha: T", "l1: T", "l2: T", "grad: T", "indices: Tindices"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_sparse_apply_proximal_gradient_descent(var, alpha, l1, l2, grad, indices):
    _sparse_proximal_gradient_descent(var, alpha, l1, l2, grad, indices, False)


def _proximal_adagrad(var_slot, accum_slot, lr, l1, l2, grad, in_place):
    var, accum = updated_value(var_slot, in_place), updated_value(accum_slot, in_place)
    check_scalar(lr, "lr")
    _l1_l2(l1, l2)
    check_same_shape(var, accum, "accum")
    check_same_shape(var, grad, "grad")
    accum.add_(grad.square())
    rate = lr * accum.rsqrt()
    var.copy_(_prox(var - grad * rate, rate, l1, l2))
    store_values([var_slot, accum_slot], [var, accum], in_place)


@register_op(
    "ApplyProximalAdagrad",
    inputs=["var: Ref(T)", "accum: Ref(T)", "lr: T", "l1: T", "l2: T", "grad: T"],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, USE_LOCKING],
    shape=apply_op_shape(2, [2, 3, 4], 5),
)
def apply_proximal_adagrad(var, accum, lr, l1, l2, grad):
    _proximal_adagrad(var, accum, lr, l1, l2, grad, True)
    return var


@register_op(
    "ResourceApplyProximalAdagrad",
    inputs=["var: resource", "accum: resource", "lr: T", "l1: T", "l2: T", "grad: T"],
    attrs=[TRAINING_T, USE_LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_proximal_adagrad(var, accum, lr, l1, l2, grad):
    _proximal_adagrad(var, accum, lr, l1, l2, grad, False)


def _sparse_proximal_adagrad(var_slot, accum_slot, lr, l1, l2, grad, indices, in_place):
    var, accum = updated_value(var_slot, in_place), updated_value(accum_slot, in_place)
    check_same_shape(var, accum, "accum")
    if var.dim() < 1:
        raise invalid("var must be at least 1 dimensional")
    check_scalar(lr, "lr")
    _l1_l2(l1, l2)
    check_sparse_update(var, grad, indices, inner_dim_check=True)
    scalar_rows = math.prod(var.shape[1:]) == 1

    def rows(v, a, g):
        if scalar_rows:
            a.add_(g * g)
            rate = lr / a.sqrt()
            v.copy_(_prox_double_denominator(v - rate * g, rate, l1, l2))
        else:
            a.add_(g.square())
            rate = lr * a.rsqrt()
            v.copy_(_prox(v - g * rate, rate, l1, l2))

    if indices.shape[0]:
        update_rows([var, accum], grad, indices, rows)
    store_values([var_slot, accum_slot], [var, accum], in_place)


@register_op(
    "SparseApplyProximalAdagrad",
    inputs=["var: Ref(T)", "accum: Ref(T)", "lr: T", "l1: T", "l2: T", "grad: T", "indices: Tindices"],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING],
    shape=apply_op_shape(2, [2, 3, 4], 5, sparse=True),
)
def sparse_apply_proximal_adagrad(var, accum, lr, l1, l2, grad, indices):
    _sparse_proximal_adagrad(var, accum, lr, l1, l2, grad, indices, True)
    return var


@register_op(
    "ResourceSparseApplyProximalAdagrad",
    inputs=["var: resource", "accum: resource", "lr: T", "l1: T", "l2: T", "grad: T", "indices: Tindices"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_sparse_apply_proximal_adagrad(var, accum, lr, l1, l2, grad, indices):
    _sparse_proximal_adagrad(var, accum, lr, l1, l2, grad, indices, False)


# FTRL-Proximal (McMahan et al.): V2 adds ``l2_shrinkage`` (a magnitude penalty on the gradient).


def _ftrl_scalars(lr, l1, l2, l2_shrinkage, lr_power, sparse, multiply_linear_by_lr):
    """TF's dense FTRL kernels check that the hyper-parameters are scalars, the sparse ones their range too."""
    named = [(lr, "lr"), (l1, "l1 regularization strength"), (l2, "l2 regularization strength")]
    if l2_shrinkage is not None:
        named.append((l2_shrinkage, "l2 shrinkage regularization strength"))
    named.append((lr_power, "lr_power"))
    if not sparse:
        for t, what in named:
            check_scalar(t, what)
        return
    lr_ok = float(lr) > 0 or (multiply_linear_by_lr and float(lr) == 0) if lr.dim() == 0 else False
    if not lr_ok:
        raise invalid(f"lr is not a positive scalar (or zero if multiply_linear_by_lr is set): {format_dims(lr.shape)}")
    for t, what in named[1:3]:
        if t.dim() != 0 or float(t) < 0:
            raise invalid(f"{what} is not a non-negative scalar: {format_dims(t.shape)}")
    if lr_power.dim() != 0 or float(lr_power) > 0:
        raise invalid(f"lr_power is not a non-positive scalar: {format_dims(lr_power.shape)}")
    if l2_shrinkage is not None and (l2_shrinkage.dim() != 0 or float(l2_shrinkage) < 0):
        raise invalid(
            f"l2 shrinkage regularization strength is not a non-negative scalar: {format_dims(l2_shrinkage.shape)}"
        )


def _ftrl_step(v, a, lin, g, lr, l1, l2, l2_shrinkage, lr_power, multiply_linear_by_lr, clip):
    """One FTRL update of (var, accum, linear) in place; ``clip`` picks the sparse kernel's l1 form."""
    g_s = g if l2_shrinkage is None else g + 2 * l2_shrinkage * v
    new_a = a + g.square()
    half = float(lr_power) == -0.5
    sigma = (new_a.sqrt() - a.sqrt()) if half else (new_a.pow(-lr_power) - a.pow(-lr_power))
    if multiply_linear_by_lr:
        lin.add_(g_s * lr - sigma * v)
        l1_eff = l1 * lr
        y = (new_a.sqrt() if half else new_a.pow(-lr_power)) + 2 * l2 * lr
    else:
        lin.add_(g_s - sigma / lr * v)
        l1_eff = l1
        y = (new_a.sqrt() if half else new_a.pow(-lr_power)) / lr + 2 * l2
    if clip:
        v.copy_((torch.minimum(torch.maximum(lin, -l1_eff), l1_eff) - lin) / y)
    else:
        v.copy_(torch.where(lin.abs() > l1_eff, (l1_eff * lin.sign() - lin) / y, torch.zeros_like(v)))
    a.add_(g.square())


def _ftrl_scalar_row(v, a, lin, g, lr, l1, l2, l2_shrinkage, lr_power, multiply_linear_by_lr):
    """TF's one-element-row FTRL (FtrlCompute): pow for every lr_power, l1 by clipping."""
    g_s = g if l2_shrinkage is None else g + 2 * l2_shrinkage * v
    new_a = a + g * g
    sigma = new_a.pow(-lr_power) - a.pow(-lr_power)
    if not multiply_linear_by_lr:
        sigma = sigma / lr
    new_l = lin + g_s * lr - sigma * v if multiply_linear_by_lr else lin + g_s - sigma * v
    root = new_a.sqrt() if float(lr_power) == -0.5 else new_a.pow(-lr_power)
    if multiply_linear_by_lr:
        quadratic, l1_eff = root + 2 * l2 * lr, l1 * lr
    else:
        quadratic, l1_eff = root / lr + 2 * l2, l1
    v.copy_((torch.maximum(torch.minimum(new_l, l1_eff), -l1_eff) - new_l) / quadratic)
    a.copy_(new_a)
    lin.copy_(new_l)


def _ftrl(slots, grad, lr, l1, l2, l2_shrinkage, lr_power, multiply_linear_by_lr, in_place):
    var, accum, linear = values = [updated_value(s, in_place) for s in slots]
    check_same_shape(var, accum, "accum")
    check_same_shape(var, linear, "linear")
    check_same_shape(var, grad, "grad")
    _ftrl_scalars(lr, l1, l2, l2_shrinkage, lr_power, False, multiply_linear_by_lr)
    _ftrl_step(var, accum, linear, grad, lr, l1, l2, l2_shrinkage, lr_power, multiply_linear_by_lr, False)
    store_values(slots, values, in_place)


def _sparse_ftrl(slots, grad, indices, lr, l1, l2, l2_shrinkage, lr_power, multiply_linear_by_lr, in_place):
    var, accum, linear = values = [updated_value(s, in_place) for s in slots]
    check_same_shape(var, accum, "accum")
    check_same_shape(var, linear, "linear")
    if var.dim() < 1:
        raise invalid("var must be at least 1 dimensional")
    _ftrl_scalars(lr, l1, l2, l2_shrinkage, lr_power, True, multiply_linear_by_lr)
    check_sparse_update(var, grad, indices, inner_dim_check=True)
    scalar_rows = math.prod(var.shape[1:]) == 1

    def rows(v, a, lin, g):
        if scalar_rows:
            _ftrl_scalar_row(v, a, lin, g, lr, l1, l2, l2_shrinkage, lr_power, multiply_linear_by_lr)
        else:
            _ftrl_step(v, a, lin, g, lr, l1, l2, l2_shrinkage, lr_power, multiply_linear_by_lr, True)

    if indices.shape[0]:
        update_rows(values, grad, indices, rows)
    store_values(slots, values, in_place)


_FTRL_ATTRS = [TRAINING_T, USE_LOCKING, "multiply_linear_by_lr: bool = false"]
_FTRL_SPARSE_ATTRS = [TRAINING_T, TINDICES, USE_LOCKING, "multiply_linear_by_lr: bool = false"]
_FTRL_SLOTS = ["accum", "linear"]


def _ftrl_inputs(resource, sparse, v2):
    kind = "resource" if resource else "Ref(T)"
    inputs = [f"var: {kind}", f"accum: {kind}", f"linear: {kind}", "grad: T"]
    if sparse:
        inputs.append("indices: Tindices")
    inputs += ["lr: T", "l1: T", "l2: T"]
    if v2:
        inputs.append("l2_shrinkage: T")
    return [*inputs, "lr_power: T"]


def _ftrl_shape(sparse, v2):
    first = 5 if sparse else 4
    return apply_op_shape(3, range(first, first + (5 if v2 else 4)), 3, sparse=sparse)


@register_op(
    "ApplyFtrl",
    inputs=_ftrl_inputs(False, False, False),
    outputs=["out: Ref(T)"],
    attrs=_FTRL_ATTRS,
    shape=_ftrl_shape(False, False),
)
def apply_ftrl(var, accum, linear, grad, lr, l1, l2, lr_power, multiply_linear_by_lr):
    _ftrl([var, accum, linear], grad, lr, l1, l2, None, lr_power, multiply_linear_by_lr, True)
    return var


@register_op(
    "ResourceApplyFtrl",
    inputs=_ftrl_inputs(True, False, False),
    attrs=_FTRL_ATTRS,
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_ftrl(var, accum, linear, grad, lr, l1, l2, lr_power, multiply_linear_by_lr):
    _ftrl([var, accum, linear], grad, lr, l1, l2, None, lr_power, multiply_linear_by_lr, False)


@register_op(
    "ApplyFtrlV2",
    inputs=_ftrl_inputs(False, False, True),
    outputs=["out: Ref(T)"],
    attrs=_FTRL_ATTRS,
    shape=_ftrl_shape(False, True),
)
def apply_ftrl_v2(var, accum, linear, grad, lr, l1, l2, l2_shrinkage, lr_power, multiply_linear_by_lr):
    _ftrl([var, accum, linear], grad, lr, l1, l2, l2_shrinkage, lr_power, multiply_linear_by_lr, True)
    return var


@register_op(
    "ResourceApplyFtrlV2",
    inputs=_ftrl_inputs(True, False, True),
    attrs=_FTRL_ATTRS,
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_ftrl_v2(var, accum, linear, grad, lr, l1, l2, l2_shrinkage, lr_power, multiply_linear_by_lr):
    _ftrl([var, accum, linear], grad, lr, l1, l2, l2_shrinkage, lr_power, multiply_linear_by_lr, False)


@register_op(
    "SparseApplyFtrl",
    inputs=_ftrl_inputs(False, True, False),
    outputs=["out: Ref(T)"],
    attrs=_FTRL_SPARSE_ATTRS,
    shape=_ftrl_shape(True, False),
)
def sparse_apply_ftrl(var, accum, linear, grad, indices, lr, l1, l2, lr_power, multiply_linear_by_lr):
    _sparse_ftrl([var, accum, linear], grad, indices, lr, l1, l2, None, lr_power, multiply_linear_by_lr, True)
    return var


@register_op(
    "ResourceSparseApplyFtrl",
    inputs=_ftrl_inputs(True, True, False),
    attrs=_FTRL_SPARSE_ATTRS,
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_sparse_apply_ftrl(var, accum, linear, grad, indices, lr, l1, l2, lr_power, multiply_linear_by_lr):
    _sparse_ftrl([var, accum, linear], grad, indices, lr, l1, l2, None, lr_power, multiply_linear_by_lr, False)


@register_op(
    "SparseApplyFtrlV2",
    inputs=_ftrl_inputs(False, True, True),
    outputs=["out: Ref(T)"],
    attrs=_FTRL_SPARSE_ATTRS,
    shape=_ftrl_shape(True, True),
)
def sparse_apply_ftrl_v2(var, accum, linear, grad, indices, lr, l1, l2, l2_shrinkage, lr_power, multiply_linear_by_lr):
    _sparse_ftrl([var, accum, linear], grad, indices, lr, l1, l2, l2_shrinkage, lr_power, multiply_linear_by_lr, True)
    return var


@register_op(
    "ResourceSparseApplyFtrlV2",
    inputs=_ftrl_inputs(True, True, True),
    attrs=_FTRL_SPARSE_ATTRS,
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_sparse_apply_ftrl_v2(
    var, accum, linear, grad, indices, lr, l1, l2, l2_shrinkage, lr_power, multiply_linear_by_lr
):
    _sparse_ftrl([var, accum, linear], grad, indices, lr, l1, l2, l2_shrinkage, lr_power, multiply_linear_by_lr, False)


# Adagrad dual averaging (Duchi et al.): var is recomputed from the accumulators at each step.


def _adagrad_da_scalars(lr, l1, l2, global_step):
    check_scalar(lr, "lr")
    _l1_l2(l1, l2)
    check_scalar(global_step, "global_step")


def _adagrad_da(slots, grad, lr, l1, l2, global_step, in_place):
    var, ga, gg = values = [updated_value(s, in_place) for s in slots]
    check_same_shape(var, ga, "accum")
    check_same_shape(var, gg, "accum")
    check_same_shape(var, grad, "grad")
    _adagrad_da_scalars(lr, l1, l2, global_step)
    ga.add_(grad)
    gg.add_(grad.square())
    # TF multiplies by the step converted to float32 (also for double variables).
    step = torch.tensor(float(np.float32(int(global_step))), dtype=var.dtype, device=var.device)
    denom = l2 * (step * lr) + gg.sqrt()
    if float(l1) > 0:
        var.copy_(-lr * ga.sign() * (ga.abs() - step * l1).clamp_min(0) / denom)
    else:
        var.copy_(lr * ga * -1 / denom)
    store_values(slots, values, in_place)


def _sparse_adagrad_da(slots, grad, indices, lr, l1, l2, global_step, in_place):
    var, ga_all, gg_all = values = [updated_value(s, in_place) for s in slots]
    check_same_shape(var, ga_all, "accum")
    check_same_shape(var, gg_all, "accum")
    if var.dim() < 1:
        raise invalid("var must be at least 1 dimensional")
    if indices.dim() != 1:
        raise invalid("indices must be one-dimensional")
    _adagrad_da_scalars(lr, l1, l2, global_step)
    check_sparse_update(var, grad, indices, inner_dim_check=True)
    steps = int(global_step)

    def rows(v, ga, gg, g):
        if math.prod(var.shape[1:]) == 1:
            # TF's one-element rows are computed in double.
            gd = g.double()
            ga.copy_((ga.double() + gd).to(ga.dtype))
            gg.copy_((gg.double() + gd * gd).to(gg.dtype))
            lr_d, l1_d, l2_d = float(lr), float(l1), float(l2)
            den = steps * l2_d * lr_d + gg.double().sqrt()
            if l1_d > 0:
                new = torch.sign(-ga.double()) * lr_d * (ga.double().abs() - steps * l1_d).clamp_min(0) / den
            else:
                new = (-ga.double() * lr_d) / den
            v.copy_(new.to(v.dtype))
        else:
            ga.add_(g)
            gg.add_(g.square())
            step = torch.tensor(steps, dtype=v.dtype, device=v.device)
            gs_lr = step * lr
            den = l2 + gg.sqrt() / gs_lr
            if float(l1) > 0:
                v.copy_(-1 * ga.sign() * (ga.abs() / step - l1).clamp_min(0) / den)
            else:
                v.copy_(-1 * (ga / step) / den)

    if indices.shape[0]:
        update_rows(values, grad, indices, rows)
    store_values(slots, values, in_place)


def _adagrad_da_inputs(resource, sparse):
    kind = "resource" if resource else "Ref(T)"
    inputs = [f"var: {kind}", f"gradient_accumulator: {kind}", f"gradient_squared_accumulator: {kind}", "grad: T"]
    if sparse:
        inputs.append("indices: Tindices")
    return [*inputs, "lr: T", "l1: T", "l2: T", "global_step: int64"]


@register_op(
    "ApplyAdagradDA",
    inputs=_adagrad_da_inputs(False, False),
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, USE_LOCKING],
    shape=apply_op_shape(3, [4, 5, 6, 7], 3),
)
def apply_adagrad_da(var, gradient_accumulator, gradient_squared_accumulator, grad, lr, l1, l2, global_step):
    _adagrad_da([var, gradient_accumulator, gradient_squared_accumulator], grad, lr, l1, l2, global_step, True)
    return var


@register_op(
    "ResourceApplyAdagradDA",
    inputs=_adagrad_da_inputs(True, False),
    attrs=[TRAINING_T, USE_LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_adagrad_da(var, gradient_accumulator, gradient_squared_accumulator, grad, lr, l1, l2, global_step):
    _adagrad_da([var, gradient_accumulator, gradient_squared_accumulator], grad, lr, l1, l2, global_step, False)


@register_op(
    "SparseApplyAdagradDA",
    inputs=_adagrad_da_inputs(False, True),
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING],
    shape=apply_op_shape(3, [5, 6, 7, 8], 3, sparse=True),
)
def sparse_apply_adagrad_da(
    var, gradient_accumulator, gradient_squared_accumulator, grad, indices, lr, l1, l2, global_step
):
    slots = [var, gradient_accumulator, gradient_squared_accumulator]
    _sparse_adagrad_da(slots, grad, indices, lr, l1, l2, global_step, True)
    return var


@register_op(
    "ResourceSparseApplyAdagradDA",
    inputs=_adagrad_da_inputs(True, True),
    attrs=[TRAINING_T, TINDICES, USE_LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_sparse_apply_adagrad_da(
    var, gradient_accumulator, gradient_squared_accumulator, grad, indices, lr, l1, l2, global_step
):
    slots = [var, gradient_accumulator, gradient_squared_accumulator]
    _sparse_adagrad_da(slots, grad, indices, lr, l1, l2, global_step, False)


# TensorFlow registers no gradient for its training ops.
no_registered_gradient(
    "ApplyProximalGradientDescent",
    "ResourceApplyProximalGradientDescent",
    "SparseApplyProximalGradientDescent",
    "ResourceSparseApplyProximalGradientDescent",
    "ApplyProximalAdagrad",
    "ResourceApplyProximalAdagrad",
    "SparseApplyProximalAdagrad",
    "ResourceSparseApplyProximalAdagrad",
    "ApplyFtrl",
    "ResourceApplyFtrl",
    "ApplyFtrlV2",
    "ResourceApplyFtrlV2",
    "SparseApplyFtrl",
    "ResourceSparseApplyFtrl",
    "SparseApplyFtrlV2",
    "ResourceSparseApplyFtrlV2",
    "ApplyAdagradDA",
    "ResourceApplyAdagradDA",
    "SparseApplyAdagradDA",
    "ResourceSparseApplyAdagradDA",
)
