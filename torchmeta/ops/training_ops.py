"""Training ops: the Apply* / ResourceApply* / SparseApply* updates TF1 optimizers emit, and the scatter ops.

Kernels follow TensorFlow's training_ops.cc arithmetic step for step (same operation order, same
epsilon placement), so N steps here equal N steps in TensorFlow to rounding.

Ref variants (``var: Ref(T)``) receive the variable's ``VariableSlot`` and update its tensor in place,
as TF updates a ref variable's buffer (reads that alias it see the update); their output is the ref.
Resource variants follow the copy-on-write semantics of resource variables (see ops/state_ops.py): the
new values are computed into fresh tensors that replace the slot's, so values read earlier keep their
contents.

Sparse variants apply the update row by row in ``indices`` order, as TF's CPU kernels do: a repeated
index is updated once per occurrence (the optimizers de-duplicate first, so they never send any).
"""

from __future__ import annotations

import math

import torch
from torch.autograd.graph import increment_version

from torchmeta.framework import common_shapes
from torchmeta.framework.common_shapes import format_dims
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_op
from torchmeta.ops.common import (
    NUMBER_TYPES,
    TINDICES,
    TRAINING_T,
    USE_LOCKING,
    apply_op_shape,
    check_same_shape,
    check_scalar,
    check_sparse_update,
    invalid,
    one_like,
    scatter_update_shape,
    store_values,
    update_rows,
    updated_value,
)

# ---------------------------------------------------------------------------------------------
# Gradient descent


def _gradient_descent(var_slot, alpha, delta, in_place):
    var = updated_value(var_slot, in_place)
    check_scalar(alpha, "alpha")
    check_same_shape(var, delta, "delta")
    var.addcmul_(delta, alpha, value=-1)  # var -= delta * alpha, in one pass
    store_values([var_slot], [var], in_place)


@register_op(
    "ApplyGradientDescent",
    inputs=["var: Ref(T)", "alpha: T", "delta: T"],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, USE_LOCKING],
    shape=apply_op_shape(1, [1], 2),
)
def apply_gradient_descent(var, alpha, delta):
    _gradient_descent(var, alpha, delta, True)
    return var


@register_op(
    "ResourceApplyGradientDescent",
    inputs=["var: resource", "alpha: T", "delta: T"],
    attrs=[TRAINING_T, USE_LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_gradient_descent(var, alpha, delta):
    _gradient_descent(var, alpha, delta, False)


# ---------------------------------------------------------------------------------------------
# Momentum (and Keras momentum, which ResourceApplyKerasMomentum implements)


def _momentum(var_slot, accum_slot, lr, grad, momentum, use_nesterov, in_place):
    var, accum = updated_value(var_slot, in_place), updated_value(accum_slot, in_place)
    check_scalar(lr, "lr")
    check_same_shape(var, accum, "accum")
    check_same_shape(var, grad, "grad")
    check_scalar(momentum, "momentum")
    if use_nesterov or not _fused_momentum(var, accum, lr, grad, momentum):
        accum.mul_(momentum).add_(grad)
        if use_nesterov:
            var.sub_(grad * lr + accum * momentum * lr)
        else:
            var.sub_(accum * lr)
    store_values([var_slot, accum_slot], [var, accum], in_place)


def _fusable(*tensors) -> bool:
    """Whether torch's fused CPU optimizer kernels take these tensors: dense float32/float64 of one dtype."""
    first = tensors[0]
    return (
        first.device.type == "cpu"
        and first.dtype in (torch.float32, torch.float64)
        and all(t.dtype == first.dtype and t.device == first.device and t.is_contiguous() for t in tensors)
        and not any(t.requires_grad for t in tensors)
    )


def _fused_momentum(var, accum, lr, grad, momentum) -> bool:
    """TF's Momentum update (accum = accum * momentum + grad; var -= accum * lr) in one pass over the
    tensors: torch's fused SGD with dampening 0 is that arithmetic. False when it does not apply."""
    if not _fusable(var, accum, grad) or lr.device.type != "cpu" or momentum.device.type != "cpu":
        return False
    if torch.compiler.is_compiling():  # under torch.compile TF's expression fuses into one loop without host reads
        return False
    torch.ops.aten._fused_sgd_(
        [var],
        [grad],
        [accum],
        weight_decay=0.0,
        momentum=float(momentum),
        lr=float(lr),
        dampening=0.0,
        nesterov=False,
        maximize=False,
        is_first_step=False,
    )
    increment_version([var, accum])  # the fused kernels do not: caches keyed on a tensor's version must see it
    return True


@register_op(
    "ApplyMomentum",
    inputs=["var: Ref(T)", "accum: Ref(T)", "lr: T", "grad: T", "momentum: T"],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, USE_LOCKING, "use_nesterov: bool = false"],
    shape=apply_op_shape(2, [2, 4], 3),
)
def apply_momentum(var, accum, lr, grad, momentum, use_nesterov):
    _momentum(var, accum, lr, grad, momentum, use_nesterov, True)
    return var


@register_op(
    "ResourceApplyMomentum",
    inputs=["var: resource", "accum: resource", "lr: T", "grad: T", "momentum: T"],
    attrs=[TRAINING_T, USE_LOCKING, "use_nesterov: bool = false"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_momentum(var, accum, lr, grad, momentum, use_nesterov):
    _momentum(var, accum, lr, grad, momentum, use_nesterov, False)


@register_op(
    "ResourceApplyKerasMomentum",
    inputs=["var: resource", "accum: resource", "lr: T", "grad: T", "momentum: T"],
    attrs=[TRAINING_T, USE_LOCKING, "use_nesterov: bool = false"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_keras_momentum(var, accum, lr, grad, momentum, use_nesterov):
    var_slot, accum_slot = var, accum
    var, accum = var_slot.read().clone(), accum_slot.read().clone()
    check_scalar(lr, "lr")
    check_same_shape(var, accum, "accum")
    check_same_shape(var, grad, "grad")
    check_scalar(momentum, "momentum")
    accum.mul_(momentum).sub_(grad * lr)
    if use_nesterov:
        var.add_(accum * momentum - grad * lr)
    else:
        var.add_(accum)
    store_values([var_slot, accum_slot], [var, accum], False)


@register_op(
    "ResourceSparseApplyKerasMomentum",
    inputs=["var: resource", "accum: resource", "lr: T", "grad: T", "indices: Tindices", "momentum: T"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING, "use_nesterov: bool = false"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_sparse_apply_keras_momentum(var, accum, lr, grad, indices, momentum, use_nesterov):
    var_slot, accum_slot = var, accum
    var, accum = var_slot.read().clone(), accum_slot.read().clone()
    check_same_shape(var, accum, "accum")
    if var.dim() < 1:
        raise invalid("var must be at least 1 dimensional")
    check_scalar(lr, "lr")
    check_sparse_update(var, grad, indices)
    check_scalar(momentum, "momentum")

    def rows(v, a, g):
        a.copy_(a * momentum - g * lr)
        if use_nesterov:
            v.add_(a * momentum - g * lr)
        else:
            v.add_(a)

    if indices.shape[0]:
        update_rows([var, accum], grad, indices, rows)
    store_values([var_slot, accum_slot], [var, accum], False)


def _sparse_momentum(var_slot, accum_slot, lr, grad, indices, momentum, use_nesterov, in_place):
    var, accum = updated_value(var_slot, in_place), updated_value(accum_slot, in_place)
    check_same_shape(var, accum, "accum")
    if var.dim() < 1:
        raise invalid("var must be at least 1 dimensional")
    check_scalar(lr, "lr", " : ")
    check_sparse_update(var, grad, indices)
    check_scalar(momentum, "momentum")

    def rows(v, a, g):
        a.mul_(momentum).add_(g)
        if use_nesterov:
            v.sub_(lr * g + lr * momentum * a)
        else:
            v.sub_(lr * a)

    if indices.shape[0]:
        update_rows([var, accum], grad, indices, rows)
    store_values([var_slot, accum_slot], [var, accum], in_place)


@register_op(
    "SparseApplyMomentum",
    inputs=["var: Ref(T)", "accum: Ref(T)", "lr: T", "grad: T", "indices: Tindices", "momentum: T"],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING, "use_nesterov: bool = false"],
    shape=apply_op_shape(2, [2, 5], 3, sparse=True),
)
def sparse_apply_momentum(var, accum, lr, grad, indices, momentum, use_nesterov):
    _sparse_momentum(var, accum, lr, grad, indices, momentum, use_nesterov, True)
    return var


@register_op(
    "ResourceSparseApplyMomentum",
    inputs=["var: resource", "accum: resource", "lr: T", "grad: T", "indices: Tindices", "momentum: T"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING, "use_nesterov: bool = false"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_sparse_apply_momentum(var, accum, lr, grad, indices, momentum, use_nesterov):
    _sparse_momentum(var, accum, lr, grad, indices, momentum, use_nesterov, False)


# ---------------------------------------------------------------------------------------------
# Adam


def _adam(var_slot, m_slot, v_slot, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, use_nesterov, in_place):
    var, m, v = updated_value(var_slot, in_place), updated_value(m_slot, in_place), updated_value(v_slot, in_place)
    check_scalar(beta1_power, "beta1_power")
    check_scalar(beta2_power, "beta2_power")
    check_scalar(lr, "lr", " : ")
    check_scalar(beta1, "beta1")
    check_scalar(beta2, "beta2")
    check_scalar(epsilon, "epsilon")
    check_same_shape(var, m, "m")
    check_same_shape(var, v, "v")
    check_same_shape(var, grad, "grad")
    one = one_like(var)
    alpha = lr * torch.sqrt(one - beta2_power) / (one - beta1_power)
    if not use_nesterov and _fused_adam(var, m, v, alpha, beta1, beta2, epsilon, grad):
        store_values([var_slot, m_slot, v_slot], [var, m, v], in_place)
        return
    m.add_((grad - m) * (one - beta1))
    v.add_((grad.square() - v) * (one - beta2))
    if use_nesterov:
        var.sub_(((grad * (one - beta1) + beta1 * m) * alpha) / (v.sqrt() + epsilon))
    else:
        var.sub_((m * alpha) / (v.sqrt() + epsilon))
    store_values([var_slot, m_slot, v_slot], [var, m, v], in_place)


# torch's fused Adam at step infinity: its bias corrections 1 - beta ** step are exactly 1.
_STEP_INFINITY = torch.tensor(math.inf)


def _fused_adam(var, m, v, alpha, beta1, beta2, epsilon, grad) -> bool:
    """TF's Adam update (m += (g - m) * (1 - beta1); v += (g * g - v) * (1 - beta2);
    var -= m * alpha / (sqrt(v) + epsilon)) in one pass over the tensors, by torch's fused Adam kernel
    with the step count at infinity (no bias correction of its own) and ``lr = alpha``: its step is then
    alpha * m / (sqrt(v) + eps), TF's. Only v's update rounds differently (v * beta2 + (1 - beta2) * g * g).
    False when it does not apply (the caller runs TF's expression op by op)."""
    if not _fusable(var, m, v, grad) or any(t.device.type != "cpu" for t in (alpha, beta1, beta2, epsilon)):
        return False
    if torch.compiler.is_compiling():  # under torch.compile TF's expression fuses into one loop without host reads
        return False
    b1, b2, step = float(beta1), float(beta2), float(alpha)
    if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0 and math.isfinite(step)):
        return False
    torch.ops.aten._fused_adam_(
        [var],
        [grad],
        [m],
        [v],
        [],
        [_STEP_INFINITY],
        lr=step,
        beta1=b1,
        beta2=b2,
        weight_decay=0.0,
        eps=float(epsilon),
        amsgrad=False,
        maximize=False,
    )
    increment_version([var, m, v])  # the fused kernels do not: caches keyed on a tensor's version must see it
    return True


_ADAM_INPUTS = ["beta1_power: T", "beta2_power: T", "lr: T", "beta1: T", "beta2: T", "epsilon: T", "grad: T"]


@register_op(
    "ApplyAdam",
    inputs=["var: Ref(T)", "m: Ref(T)", "v: Ref(T)", *_ADAM_INPUTS],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, USE_LOCKING, "use_nesterov: bool = false"],
    shape=apply_op_shape(3, range(3, 9), 9),
)
def apply_adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, use_nesterov):
    _adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, use_nesterov, True)
    return var


@register_op(
    "ResourceApplyAdam",
    inputs=["var: resource", "m: resource", "v: resource", *_ADAM_INPUTS],
    attrs=[TRAINING_T, USE_LOCKING, "use_nesterov: bool = false"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, use_nesterov):
    _adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, use_nesterov, False)


# ---------------------------------------------------------------------------------------------
# Adagrad


def _adagrad(var_slot, accum_slot, lr, epsilon, grad, update_slots, in_place):
    var, accum = updated_value(var_slot, in_place), updated_value(accum_slot, in_place)
    check_scalar(lr, "lr")
    if epsilon is not None:
        check_scalar(epsilon, "epsilon")
    check_same_shape(var, accum, "accum")
    check_same_shape(var, grad, "grad")
    if update_slots:
        accum.add_(grad.square())
    if epsilon is None:
        var.sub_(grad * lr * accum.rsqrt())
    else:
        var.sub_(grad * lr / (accum.sqrt() + epsilon))
    store_values([var_slot, accum_slot], [var, accum], in_place)


@register_op(
    "ApplyAdagrad",
    inputs=["var: Ref(T)", "accum: Ref(T)", "lr: T", "grad: T"],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, USE_LOCKING, "update_slots: bool = true"],
    shape=apply_op_shape(2, [2], 3),
)
def apply_adagrad(var, accum, lr, grad, update_slots):
    _adagrad(var, accum, lr, None, grad, update_slots, True)
    return var


@register_op(
    "ApplyAdagradV2",
    inputs=["var: Ref(T)", "accum: Ref(T)", "lr: T", "epsilon: T", "grad: T"],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, USE_LOCKING, "update_slots: bool = true"],
    shape=apply_op_shape(2, [2, 3], 4),
)
def apply_adagrad_v2(var, accum, lr, epsilon, grad, update_slots):
    _adagrad(var, accum, lr, epsilon, grad, update_slots, True)
    return var


@register_op(
    "ResourceApplyAdagrad",
    inputs=["var: resource", "accum: resource", "lr: T", "grad: T"],
    attrs=[TRAINING_T, USE_LOCKING, "update_slots: bool = true"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_adagrad(var, accum, lr, grad, update_slots):
    _adagrad(var, accum, lr, None, grad, update_slots, False)


@register_op(
    "ResourceApplyAdagradV2",
    inputs=["var: resource", "accum: resource", "lr: T", "epsilon: T", "grad: T"],
    attrs=[TRAINING_T, USE_LOCKING, "update_slots: bool = true"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_adagrad_v2(var, accum, lr, epsilon, grad, update_slots):
    _adagrad(var, accum, lr, epsilon, grad, update_slots, False)


def _sparse_adagrad(var_slot, accum_slot, lr, epsilon, grad, indices, update_slots, in_place):
    var, accum = updated_value(var_slot, in_place), updated_value(accum_slot, in_place)
    check_same_shape(var, accum, "accum")
    if var.dim() < 1:
        raise invalid("var must be at least 1 dimensional")
    check_scalar(lr, "lr")
    if epsilon is not None:
        check_scalar(epsilon, "epsilon")
    check_sparse_update(var, grad, indices, inner_dim_check=True)
    scalar_rows = math.prod(var.shape[1:]) == 1  # TF's inner_dim == 1 path divides by sqrt, not rsqrt

    def rows(v, a, g):
        if update_slots:
            a.add_(g * g if scalar_rows else g.square())
        if epsilon is not None:
            v.sub_(lr * g / (a.sqrt() + epsilon))
        elif scalar_rows:
            v.sub_(lr * g / a.sqrt())
        else:
            v.sub_(lr * g * a.rsqrt())

    if indices.shape[0]:
        update_rows([var, accum], grad, indices, rows)
    store_values([var_slot, accum_slot], [var, accum], in_place)


@register_op(
    "SparseApplyAdagrad",
    inputs=["var: Ref(T)", "accum: Ref(T)", "lr: T", "grad: T", "indices: Tindices"],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING, "update_slots: bool = true"],
    shape=apply_op_shape(2, [2], 3, sparse=True),
)
def sparse_apply_adagrad(var, accum, lr, grad, indices, update_slots):
    _sparse_adagrad(var, accum, lr, None, grad, indices, update_slots, True)
    return var


@register_op(
    "SparseApplyAdagradV2",
    inputs=["var: Ref(T)", "accum: Ref(T)", "lr: T", "epsilon: T", "grad: T", "indices: Tindices"],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING, "update_slots: bool = true"],
    shape=apply_op_shape(2, [2, 3], 4, sparse=True),
)
def sparse_apply_adagrad_v2(var, accum, lr, epsilon, grad, indices, update_slots):
    _sparse_adagrad(var, accum, lr, epsilon, grad, indices, update_slots, True)
    return var


@register_op(
    "ResourceSparseApplyAdagrad",
    inputs=["var: resource", "accum: resource", "lr: T", "grad: T", "indices: Tindices"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING, "update_slots: bool = true"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_sparse_apply_adagrad(var, accum, lr, grad, indices, update_slots):
    _sparse_adagrad(var, accum, lr, None, grad, indices, update_slots, False)


@register_op(
    "ResourceSparseApplyAdagradV2",
    inputs=["var: resource", "accum: resource", "lr: T", "epsilon: T", "grad: T", "indices: Tindices"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING, "update_slots: bool = true"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_sparse_apply_adagrad_v2(var, accum, lr, epsilon, grad, indices, update_slots):
    _sparse_adagrad(var, accum, lr, epsilon, grad, indices, update_slots, False)


# ---------------------------------------------------------------------------------------------
# RMSProp (plain and centered)


def _rms_scalars(lr, rho, momentum, epsilon, lr_sep):
    check_scalar(lr, "lr", lr_sep)
    check_scalar(rho, "rho")
    check_scalar(momentum, "momentum")
    check_scalar(epsilon, "epsilon")


def _rms_prop(var_slot, mg_slot, ms_slot, mom_slot, lr, rho, momentum, epsilon, grad, in_place):
    slots = [var_slot, ms_slot, mom_slot] if mg_slot is None else [var_slot, mg_slot, ms_slot, mom_slot]
    values = [updated_value(s, in_place) for s in slots]
    if mg_slot is None:
        var, ms, mom = values
        mg = None
    else:
        var, mg, ms, mom = values
    _rms_scalars(lr, rho, momentum, epsilon, " : ")
    if mg is not None and var.shape != mg.shape:
        # TF's message names ms's shape here.
        raise invalid(f"var and mg do not have the same shape{format_dims(var.shape)} {format_dims(ms.shape)}")
    check_same_shape(var, ms, "ms")
    check_same_shape(var, mom, "mom")
    check_same_shape(var, grad, "grad")
    one = one_like(var)
    ms.add_((grad.square() - ms) * (one - rho))
    if mg is None:
        denom = (ms + epsilon).sqrt()
    else:
        mg.add_((grad - mg) * (one - rho))
        denom = ((ms - mg.square()) + epsilon).sqrt()
    mom.mul_(momentum).add_((grad * lr) / denom)
    var.sub_(mom)
    store_values(slots, values, in_place)


_RMS_INPUTS = ["lr: T", "rho: T", "momentum: T", "epsilon: T", "grad: T"]


@register_op(
    "ApplyRMSProp",
    inputs=["var: Ref(T)", "ms: Ref(T)", "mom: Ref(T)", *_RMS_INPUTS],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, USE_LOCKING],
    shape=apply_op_shape(3, range(3, 7), 7),
)
def apply_rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad):
    _rms_prop(var, None, ms, mom, lr, rho, momentum, epsilon, grad, True)
    return var


@register_op(
    "ResourceApplyRMSProp",
    inputs=["var: resource", "ms: resource", "mom: resource", *_RMS_INPUTS],
    attrs=[TRAINING_T, USE_LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad):
    _rms_prop(var, None, ms, mom, lr, rho, momentum, epsilon, grad, False)


@register_op(
    "ApplyCenteredRMSProp",
    inputs=["var: Ref(T)", "mg: Ref(T)", "ms: Ref(T)", "mom: Ref(T)", *_RMS_INPUTS],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, USE_LOCKING],
    shape=apply_op_shape(4, range(4, 8), 8),
)
def apply_centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad):
    _rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad, True)
    return var


@register_op(
    "ResourceApplyCenteredRMSProp",
    inputs=["var: resource", "mg: resource", "ms: resource", "mom: resource", *_RMS_INPUTS],
    attrs=[TRAINING_T, USE_LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad):
    _rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad, False)


def _sparse_rms_prop(var_slot, mg_slot, ms_slot, mom_slot, lr, rho, momentum, epsilon, grad, indices, in_place):
    slots = [var_slot, ms_slot, mom_slot] if mg_slot is None else [var_slot, mg_slot, ms_slot, mom_slot]
    values = [updated_value(s, in_place) for s in slots]
    var = values[0]
    _rms_scalars(lr, rho, momentum, epsilon, ": ")
    named = [("ms", values[1]), ("mom", values[2])] if mg_slot is None else list(zip(("mg", "ms", "mom"), values[1:]))
    check_sparse_update(var, grad, indices, named)
    one = one_like(var)

    def rows_plain(v, ms, mom, g):
        ms.copy_(ms * rho + g.square() * (one - rho))
        mom.copy_(mom * momentum + (ms + epsilon).rsqrt() * lr * g)
        v.sub_(mom)

    def rows_centered(v, mg, ms, mom, g):
        ms.copy_(ms * rho + g.square() * (one - rho))
        mg.copy_(mg * rho + g * (one - rho))
        denom = ms + epsilon - mg.square()
        mom.copy_(mom * momentum + denom.rsqrt() * lr * g)
        v.sub_(mom)

    if indices.shape[0]:
        update_rows(values, grad, indices, rows_plain if mg_slot is None else rows_centered)
    store_values(slots, values, in_place)


@register_op(
    "SparseApplyRMSProp",
    inputs=["var: Ref(T)", "ms: Ref(T)", "mom: Ref(T)", *_RMS_INPUTS, "indices: Tindices"],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING],
    shape=apply_op_shape(3, range(3, 7), 7, sparse=True),
)
def sparse_apply_rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad, indices):
    _sparse_rms_prop(var, None, ms, mom, lr, rho, momentum, epsilon, grad, indices, True)
    return var


@register_op(
    "ResourceSparseApplyRMSProp",
    inputs=["var: resource", "ms: resource", "mom: resource", *_RMS_INPUTS, "indices: Tindices"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_sparse_apply_rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad, indices):
    _sparse_rms_prop(var, None, ms, mom, lr, rho, momentum, epsilon, grad, indices, False)


@register_op(
    "SparseApplyCenteredRMSProp",
    inputs=["var: Ref(T)", "mg: Ref(T)", "ms: Ref(T)", "mom: Ref(T)", *_RMS_INPUTS, "indices: Tindices"],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING],
    shape=apply_op_shape(4, range(4, 8), 8, sparse=True),
)
def sparse_apply_centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad, indices):
    _sparse_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad, indices, True)
    return var


@register_op(
    "ResourceSparseApplyCenteredRMSProp",
    inputs=["var: resource", "mg: resource", "ms: resource", "mom: resource", *_RMS_INPUTS, "indices: Tindices"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_sparse_apply_centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad, indices):
    _sparse_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad, indices, False)


# ---------------------------------------------------------------------------------------------
# Adadelta


def _adadelta(var_slot, accum_slot, update_slot, lr, rho, epsilon, grad, in_place):
    slots = [var_slot, accum_slot, update_slot]
    var, accum, accum_update = values = [updated_value(s, in_place) for s in slots]
    check_scalar(lr, "lr")
    check_scalar(rho, "rho")
    check_scalar(epsilon, "epsilon")
    check_same_shape(var, accum, "accum")
    check_same_shape(var, grad, "grad")
    one = one_like(var)
    accum.mul_(rho).add_(grad.square() * (one - rho))
    update = (accum_update + epsilon).sqrt() * (accum + epsilon).rsqrt() * grad
    var.sub_(update * lr)
    accum_update.mul_(rho).add_(update.square() * (one - rho))
    store_values(slots, values, in_place)


_ADADELTA_INPUTS = ["lr: T", "rho: T", "epsilon: T", "grad: T"]


@register_op(
    "ApplyAdadelta",
    inputs=["var: Ref(T)", "accum: Ref(T)", "accum_update: Ref(T)", *_ADADELTA_INPUTS],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, USE_LOCKING],
    shape=apply_op_shape(3, range(3, 6), 6),
)
def apply_adadelta(var, accum, accum_update, lr, rho, epsilon, grad):
    _adadelta(var, accum, accum_update, lr, rho, epsilon, grad, True)
    return var


@register_op(
    "ResourceApplyAdadelta",
    inputs=["var: resource", "accum: resource", "accum_update: resource", *_ADADELTA_INPUTS],
    attrs=[TRAINING_T, USE_LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_adadelta(var, accum, accum_update, lr, rho, epsilon, grad):
    _adadelta(var, accum, accum_update, lr, rho, epsilon, grad, False)


def _sparse_adadelta(var_slot, accum_slot, update_slot, lr, rho, epsilon, grad, indices, in_place):
    slots = [var_slot, accum_slot, update_slot]
    var, accum, accum_update = values = [updated_value(s, in_place) for s in slots]
    check_same_shape(var, accum, "accum_grad")
    check_same_shape(var, accum_update, "accum_update")
    if var.dim() < 1:
        raise invalid("var must be at least 1 dimensional")
    check_scalar(lr, "lr")
    check_scalar(rho, "rho")
    check_scalar(epsilon, "epsilon")
    check_sparse_update(var, grad, indices)
    one = one_like(var)

    def rows(v, a, au, g):
        a.copy_(a * rho + g.square() * (one - rho))
        update = (au + epsilon).sqrt() * (a + epsilon).rsqrt() * g
        v.sub_(update * lr)
        au.copy_(au * rho + update.square() * (one - rho))

    if indices.shape[0]:
        update_rows(values, grad, indices, rows)
    store_values(slots, values, in_place)


@register_op(
    "SparseApplyAdadelta",
    inputs=["var: Ref(T)", "accum: Ref(T)", "accum_update: Ref(T)", *_ADADELTA_INPUTS, "indices: Tindices"],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING],
    shape=apply_op_shape(3, range(3, 6), 6, sparse=True),
)
def sparse_apply_adadelta(var, accum, accum_update, lr, rho, epsilon, grad, indices):
    _sparse_adadelta(var, accum, accum_update, lr, rho, epsilon, grad, indices, True)
    return var


@register_op(
    "ResourceSparseApplyAdadelta",
    inputs=["var: resource", "accum: resource", "accum_update: resource", *_ADADELTA_INPUTS, "indices: Tindices"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_sparse_apply_adadelta(var, accum, accum_update, lr, rho, epsilon, grad, indices):
    _sparse_adadelta(var, accum, accum_update, lr, rho, epsilon, grad, indices, False)


# ---------------------------------------------------------------------------------------------
# Scatter ops on ref and resource variables (what TF1 optimizers emit for sparse gradients)


def _scatter_rows(params, indices, updates):
    """Validates a scatter and returns (flat indices, updates shaped [n] + params.shape[1:])."""
    if params.dim() < 1:
        raise invalid(f"params must be at least 1-D, got shape {format_dims(params.shape)}")
    tail = tuple(params.shape[1:])
    if updates.dim() != 0 and tuple(updates.shape) != tuple(indices.shape) + tail:
        raise invalid(
            "Must have updates.shape = indices.shape + params.shape[1:] or updates.shape = [], got updates.shape "
            f"{format_dims(updates.shape)}, indices.shape {format_dims(indices.shape)}, params.shape {format_dims(params.shape)}"
        )
    flat = indices.reshape(-1).long()
    if flat.numel():
        bad = (flat < 0) | (flat >= params.shape[0])
        if bool(bad.any()):
            i = int(torch.nonzero(bad)[0, 0])
            where = _slice_debug(tuple(indices.shape), i)
            raise invalid(f"indices{where} = {int(flat[i])} is not in [0, {params.shape[0]})")
    rows = updates.expand(*indices.shape, *tail) if updates.dim() == 0 else updates
    return flat, rows.reshape(flat.shape[0], *tail)


def _slice_debug(shape, flat_index: int) -> str:
    """TF's SliceDebugString: ``[i,j]`` for the position of a flat index in ``shape``."""
    if not shape:
        return ""
    coords = []
    for d in reversed(shape):
        coords.append(flat_index % d)
        flat_index //= d
    return "[" + ",".join(str(c) for c in reversed(coords)) + "]"


def _ref_scatter(ref, indices, updates, mode):
    params = ref.read()
    flat, rows = _scatter_rows(params, indices, updates)
    if mode == "add":
        params.index_add_(0, flat, rows)
    elif mode == "sub":
        params.index_add_(0, flat, rows, alpha=-1)
    else:
        params.index_copy_(0, flat, rows)
    return ref


def _resource_scatter(resource, indices, updates, mode):
    params = resource.read()
    flat, rows = _scatter_rows(params, indices, updates)
    if mode == "add":
        resource.value = params.index_add(0, flat, rows)
    elif mode == "sub":
        resource.value = params.index_add(0, flat, rows, alpha=-1)
    else:
        resource.value = params.index_copy(0, flat, rows)


_SCATTER_INPUTS = ["ref: Ref(T)", "indices: Tindices", "updates: T"]


@register_op(
    "ScatterAdd",
    inputs=_SCATTER_INPUTS,
    outputs=["output_ref: Ref(T)"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING],
    shape=scatter_update_shape,
)
def scatter_add(ref, indices, updates):
    return _ref_scatter(ref, indices, updates, "add")


@register_op(
    "ScatterSub",
    inputs=_SCATTER_INPUTS,
    outputs=["output_ref: Ref(T)"],
    attrs=[TRAINING_T, TINDICES, USE_LOCKING],
    shape=scatter_update_shape,
)
def scatter_sub(ref, indices, updates):
    return _ref_scatter(ref, indices, updates, "sub")


@register_op(
    "ScatterUpdate",
    inputs=_SCATTER_INPUTS,
    outputs=["output_ref: Ref(T)"],
    attrs=["T: type", TINDICES, "use_locking: bool = true"],
    shape=scatter_update_shape,
)
def scatter_update(ref, indices, updates):
    return _ref_scatter(ref, indices, updates, "update")


_RESOURCE_SCATTER_INPUTS = ["resource: resource", "indices: Tindices", "updates: dtype"]


@register_op(
    "ResourceScatterAdd",
    inputs=_RESOURCE_SCATTER_INPUTS,
    attrs=[f"dtype: {NUMBER_TYPES}", TINDICES],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_scatter_add(resource, indices, updates):
    _resource_scatter(resource, indices, updates, "add")


@register_op(
    "ResourceScatterSub",
    inputs=_RESOURCE_SCATTER_INPUTS,
    attrs=[f"dtype: {NUMBER_TYPES}", TINDICES],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_scatter_sub(resource, indices, updates):
    _resource_scatter(resource, indices, updates, "sub")


@register_op(
    "ResourceScatterUpdate",
    inputs=_RESOURCE_SCATTER_INPUTS,
    attrs=["dtype: type", TINDICES],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_scatter_update(resource, indices, updates):
    _resource_scatter(resource, indices, updates, "update")


not_differentiable("ScatterAdd", "ScatterSub")
# TensorFlow registers no gradient for these: tf.gradients through them raises LookupError.
no_registered_gradient(
    "ApplyGradientDescent",
    "ResourceApplyGradientDescent",
    "ApplyMomentum",
    "ResourceApplyMomentum",
    "ResourceApplyKerasMomentum",
    "ResourceSparseApplyKerasMomentum",
    "SparseApplyMomentum",
    "ResourceSparseApplyMomentum",
    "ApplyAdam",
    "ResourceApplyAdam",
    "ApplyAdagrad",
    "ApplyAdagradV2",
    "ResourceApplyAdagrad",
    "ResourceApplyAdagradV2",
    "SparseApplyAdagrad",
    "SparseApplyAdagradV2",
    "ResourceSparseApplyAdagrad",
    "ResourceSparseApplyAdagradV2",
    "ApplyRMSProp",
    "ResourceApplyRMSProp",
    "ApplyCenteredRMSProp",
    "ResourceApplyCenteredRMSProp",
    "SparseApplyRMSProp",
    "ResourceSparseApplyRMSProp",
    "SparseApplyCenteredRMSProp",
    "ResourceSparseApplyCenteredRMSProp",
    "ApplyAdadelta",
    "ResourceApplyAdadelta",
    "SparseApplyAdadelta",
    "ResourceSparseApplyAdadelta",
    "ScatterUpdate",
    "ResourceScatterAdd",
    "ResourceScatterSub",
    "ResourceScatterUpdate",
)
