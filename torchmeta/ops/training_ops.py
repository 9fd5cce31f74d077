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

The dense GradientDescent, Momentum, Adam, Adagrad and RMSProp updates are written for a list of members
(each a variable, its slots and its gradient) sharing their hyper-parameters, as multi-tensor calls
(``torch._foreach_*``, torch's fused optimizer kernels): a kernel is a list of one, and a Session runs a
step's updates of one kind together as one list (``UPDATE_KINDS``, runtime/update_groups.py), one call per
kind instead of one per variable, with the same arithmetic on every element.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.autograd.graph import increment_version

from torchmeta.framework import common_shapes
from torchmeta.framework.common_shapes import format_dims
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_op
from torchmeta.ops import matmul_ops, training_native
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


def _prepared(members, n_slots: int, in_place: bool, check) -> list:
    """Each member's (slot values..., gradient), ready to update: the slots' tensors (copies where TF's
    copy-on-write needs them) once ``check(*values, grad)`` passed. An exception says which member raised it
    (``update_member``, its index), so that a group's error names that member's node."""
    out = []
    try:
        for member in members:
            values = list(member)
            for k in range(n_slots):
                values[k] = updated_value(values[k], in_place)
            check(*values)
            out.append(values)
    except Exception as e:
        e.update_member = len(out)
        raise
    return out


def _scalars(*tensors) -> bool:
    """Whether the hyper-parameters are all scalars: then a member's checks of them (TF's, which come first
    in its order) cannot fail and only its shapes need checking; else the full checks name the first failure."""
    return all(t.dim() == 0 for t in tensors)


def _columns(prepared) -> list:
    """The members' values as lists: [vars, slots..., grads]. (A tensor added to every tensor of a list
    is passed as a list of it: torch.compile reads the 0-d tensor of ``_foreach_add(list, tensor)`` on the host.)"""
    return [list(column) for column in zip(*prepared)]


def _store(members, prepared, n_slots: int, in_place: bool) -> None:
    if not in_place:
        for member, values in zip(members, prepared):
            store_values(member[:n_slots], values[:n_slots], False)


def _natively(update, *args) -> bool:
    """``update(*args)``, a ``training_native`` entry point (False where its kernel does not apply), outside
    torch.compile; under it False: the caller's torch path, TF's arithmetic, which inductor fuses into loops that
    update the variables in place, where the native kernel's custom op costs a Python round trip through the
    dispatcher, ~0.1 ms per step: a third of bench/run.py's seed MLP step (compiled/eager 1.12 with the custom op,
    0.76 without; the CNN and LSTM classifier steps, whose Adam updates are memory-bound either way, within
    noise: bench/results/compiled11.txt)."""
    return not torch.compiler.is_compiling() and update(*args)


def _gradient_descent(members, alpha, *, in_place):
    scalars = _scalars(alpha)  # then each member's own checks are its shapes'

    def check(var, delta):
        if not scalars:
            check_scalar(alpha, "alpha")
        check_same_shape(var, delta, "delta")

    prepared = _prepared(members, 1, in_place, check)
    variables, deltas = _columns(prepared)
    # The native kernel reads strided deltas in place (perhaps a transposed read of its variable) and writes no
    # temporary: 0.38 ms for the MNIST MLP's six variables against 1.0 ms for the torch path (AMD EPYC, 1 thread).
    if not _natively(training_native.gradient_descent, variables, deltas, alpha):
        # var -= delta * alpha, rounded twice as TF's kernel does (torch's addcmul is one FMA on AVX2 CPUs)
        deltas = [d if d.is_contiguous() else d.contiguous() for d in deltas]
        torch._foreach_sub_(variables, torch._foreach_mul(deltas, alpha))
    _store(members, prepared, 1, in_place)


@register_op(
    "ApplyGradientDescent",
    inputs=["var: Ref(T)", "alpha: T", "delta: T"],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, USE_LOCKING],
    shape=apply_op_shape(1, [1], 2),
)
def apply_gradient_descent(var, alpha, delta):
    _gradient_descent([(var, delta)], alpha, in_place=True)
    return var


@register_op(
    "ResourceApplyGradientDescent",
    inputs=["var: resource", "alpha: T", "delta: T"],
    attrs=[TRAINING_T, USE_LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_gradient_descent(var, alpha, delta):
    _gradient_descent([(var, delta)], alpha, in_place=False)


def gradient_descent_of_product(var, alpha, a, b, *, transpose_a, transpose_b, in_place):
    """ApplyGradientDescent (``in_place``: a ref variable) or ResourceApplyGradientDescent of ``var`` by the
    delta ``MatMul(a, b)`` (a weight's gradient, X^T @ dY, that nothing else reads: runtime/specialize.py
    ``_fold_gradient_descent_products``), folded into the product: ``var.addmm_(x, y, alpha=-alpha)``, one GEMM
    that adds the product into the variable in place (``matmul_ops.add_product_``: in blocks on each thread where
    TF's product runs on several). The gradient is never written out and read back by a
    separate update pass, and the variable is read and written once, inside the GEMM: the MNIST MLP's update of
    its two large weights was a bandwidth-bound pass over 7 MB of weights and 7 MB of gradients
    (bench/results/mlp13_profile.txt, gd13_profile.txt).

    Rounding: TF computes ``var - round(alpha * round(x @ y))``; the GEMM adds ``-alpha * (x @ y)`` into var with
    its own rounding, so a weight may differ from TF's (and from the unfused step's) in the last bit of the
    update: within the tests' tolerance against TF, not bit for bit. Where the fold does not apply at run time (a
    float32 CPU variable of the product's shape, a scalar float32 alpha on the CPU, no autograd, outside
    torch.compile, whose own pass folds the update: runtime/compiled.py ``ProductUpdates``), the MatMul and the
    update run as the two ops would, with their errors."""
    x = a.t() if transpose_a else a
    y = b.t() if transpose_b else b
    if not _folds(getattr(var, "value", None), alpha, x, y):
        delta = matmul_ops.mat_mul(a, b, transpose_a, transpose_b)
        _gradient_descent([(var, delta)], alpha, in_place=in_place)
        return var if in_place else None
    value = updated_value(var, in_place)
    matmul_ops.add_product_(value, x, y, -alpha.item())
    store_values([var], [value], in_place)
    return var if in_place else None


def _folds(value, alpha, x, y) -> bool:
    """Whether ``gradient_descent_of_product`` folds the update of ``value`` by ``x @ y`` into the product."""
    f32 = torch.float32
    return (
        value is not None
        and not torch.compiler.is_compiling()
        and value.dtype is f32
        and x.dtype is f32
        and y.dtype is f32
        and alpha.dtype is f32
        and alpha.dim() == 0
        and value.is_cpu
        and x.is_cpu
        and y.is_cpu
        and alpha.is_cpu
        and x.dim() == 2
        and y.dim() == 2
        and value.shape == (x.shape[0], y.shape[1])
        and x.shape[1] == y.shape[0]
        and not (value.requires_grad or x.requires_grad or y.requires_grad or alpha.requires_grad)
    )


# ---------------------------------------------------------------------------------------------
# Momentum (and Keras momentum, which ResourceApplyKerasMomentum implements)


def _momentum(members, lr, momentum, *, use_nesterov, in_place):
    scalars = _scalars(lr, momentum)

    def check(var, accum, grad):
        if not scalars:
            check_scalar(lr, "lr")
        check_same_shape(var, accum, "accum")
        check_same_shape(var, grad, "grad")
        if not scalars:
            check_scalar(momentum, "momentum")

    prepared = _prepared(members, 2, in_place, check)
    if _natively(training_native.momentum, *_columns(prepared), lr, momentum, use_nesterov):
        rest = []
    else:
        rest = prepared if use_nesterov else _fused_momentum(prepared, lr, momentum)
    if rest:
        variables, accums, grads = _columns(rest)
        torch._foreach_mul_(accums, momentum)  # accum = accum * momentum + grad
        torch._foreach_add_(accums, grads)
        if use_nesterov:  # var -= grad * lr + accum * momentum * lr
            step = torch._foreach_mul(grads, lr)
            scaled = torch._foreach_mul(accums, momentum)
            torch._foreach_mul_(scaled, lr)
            torch._foreach_add_(step, scaled)
        else:  # var -= accum * lr
            step = torch._foreach_mul(accums, lr)
        torch._foreach_sub_(variables, step)
    _store(members, prepared, 2, in_place)


def _split_fusable(prepared):
    """The members torch's fused CPU kernels take, and the others. A strided gradient (a filter's, permuted
    from torch's layout) is read through a contiguous copy, so that its update rounds as the others do."""
    fused, rest = [], []
    for values in prepared:
        if not values[-1].is_contiguous():
            contiguous = [*values[:-1], values[-1].contiguous()]
            if _fusable(*contiguous):
                values = contiguous
        (fused if _fusable(*values) else rest).append(values)
    return fused, rest


def _fusable(*tensors) -> bool:
    """Whether torch's fused CPU optimizer kernels take these tensors: dense float32/float64 of one dtype."""
    dtype = tensors[0].dtype
    return (dtype is torch.float32 or dtype is torch.float64) and all(
        t.is_cpu and t.dtype is dtype and t.is_contiguous() and not t.requires_grad for t in tensors
    )


def _fused_momentum(prepared, lr, momentum) -> list:
    """TF's Momentum update (accum = accum * momentum + grad; var -= accum * lr) in one pass over the
    tensors, for the members torch's fused SGD (dampening 0: that arithmetic) takes; the others are returned."""
    if lr.device.type != "cpu" or momentum.device.type != "cpu":
        return prepared
    if torch.compiler.is_compiling():  # under torch.compile TF's expression fuses into one loop without host reads
        return prepared
    fused, rest = _split_fusable(prepared)
    if not fused:
        return rest
    variables, accums, grads = _columns(fused)
    torch.ops.aten._fused_sgd_(
        variables,
        grads,
        accums,
        weight_decay=0.0,
        momentum=float(momentum),
        lr=float(lr),
        dampening=0.0,
        nesterov=False,
        maximize=False,
        is_first_step=False,
    )
    increment_version(variables + accums)  # the fused kernels do not: caches keyed on a tensor's version must see it
    return rest


@register_op(
    "ApplyMomentum",
    inputs=["var: Ref(T)", "accum: Ref(T)", "lr: T", "grad: T", "momentum: T"],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, USE_LOCKING, "use_nesterov: bool = false"],
    shape=apply_op_shape(2, [2, 4], 3),
)
def apply_momentum(var, accum, lr, grad, momentum, use_nesterov):
    _momentum([(var, accum, grad)], lr, momentum, use_nesterov=use_nesterov, in_place=True)
    return var


@register_op(
    "ResourceApplyMomentum",
    inputs=["var: resource", "accum: resource", "lr: T", "grad: T", "momentum: T"],
    attrs=[TRAINING_T, USE_LOCKING, "use_nesterov: bool = false"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_momentum(var, accum, lr, grad, momentum, use_nesterov):
    _momentum([(var, accum, grad)], lr, momentum, use_nesterov=use_nesterov, in_place=False)


@register_op(
    "ResourceApplyKerasMomentum",
    inputs=["var: resource", "accum: resource", "lr: T", "grad: T", "momentum: T"],
    attrs=[TRAINING_T, USE_LOCKING, "use_nesterov: bool = false"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_keras_momentum(var, accum, lr, grad, momentum, use_nesterov):
    var_slot, accum_slot = var, accum
    var, accum = var_slot.read_for_update().clone(), accum_slot.read_for_update().clone()
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
    var, accum = var_slot.read_for_update().clone(), accum_slot.read_for_update().clone()
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


def _adam(members, beta1_power, beta2_power, lr, beta1, beta2, epsilon, *, use_nesterov, in_place):
    scalars = _scalars(beta1_power, beta2_power, lr, beta1, beta2, epsilon)

    def check(var, m, v, grad):
        if not scalars:
            check_scalar(beta1_power, "beta1_power")
            check_scalar(beta2_power, "beta2_power")
            check_scalar(lr, "lr", " : ")
            check_scalar(beta1, "beta1")
            check_scalar(beta2, "beta2")
            check_scalar(epsilon, "epsilon")
        check_same_shape(var, m, "m")
        check_same_shape(var, v, "v")
        check_same_shape(var, grad, "grad")

    prepared = _prepared(members, 3, in_place, check)
    one = one_like(prepared[0][0])
    alpha = lr * torch.sqrt(one - beta2_power) / (one - beta1_power)
    if _natively(
        training_native.adam, *_columns(prepared), alpha, beta1, one - beta1, one - beta2, epsilon, use_nesterov
    ):
        rest = []
    else:
        rest = prepared if use_nesterov else _fused_adam(prepared, alpha, beta1, beta2, epsilon)
    if rest:
        variables, ms, vs, grads = _columns(rest)
        delta = torch._foreach_sub(grads, ms)  # m += (grad - m) * (1 - beta1)
        torch._foreach_mul_(delta, one - beta1)
        torch._foreach_add_(ms, delta)
        delta = torch._foreach_pow(grads, 2)  # v += (grad^2 - v) * (1 - beta2)
        torch._foreach_sub_(delta, vs)
        torch._foreach_mul_(delta, one - beta2)
        torch._foreach_add_(vs, delta)
        if use_nesterov:  # var -= ((grad * (1 - beta1) + beta1 * m) * alpha) / (sqrt(v) + epsilon)
            step = torch._foreach_mul(grads, one - beta1)
            torch._foreach_add_(step, torch._foreach_mul(ms, beta1))
            torch._foreach_mul_(step, alpha)
        else:  # var -= (m * alpha) / (sqrt(v) + epsilon)
            step = torch._foreach_mul(ms, alpha)
        denom = torch._foreach_sqrt(vs)
        torch._foreach_add_(denom, [epsilon] * len(denom))
        torch._foreach_div_(step, denom)
        torch._foreach_sub_(variables, step)
    _store(members, prepared, 3, in_place)


# torch's fused Adam at step infinity: its bias corrections 1 - beta ** step are exactly 1.
_STEP_INFINITY = torch.tensor(math.inf)


def _fused_adam(prepared, alpha, beta1, beta2, epsilon) -> list:
    """TF's Adam update (m += (g - m) * (1 - beta1); v += (g * g - v) * (1 - beta2);
    var -= m * alpha / (sqrt(v) + epsilon)) in one pass over the tensors, by torch's fused Adam kernel
    with the step count at infinity (no bias correction of its own) and ``lr = alpha``: its step is then
    alpha * m / (sqrt(v) + eps), TF's. Only v's update rounds differently (v * beta2 + (1 - beta2) * g * g).
    The members it does not take are returned (the caller runs TF's expression op by op on them)."""
    if any(t.device.type != "cpu" for t in (alpha, beta1, beta2, epsilon)):
        return prepared
    if torch.compiler.is_compiling():  # under torch.compile TF's expression fuses into one loop without host reads
        return prepared
    fused, rest = _split_fusable(prepared)
    if not fused:
        return rest
    b1, b2, step = float(beta1), float(beta2), float(alpha)
    if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0 and math.isfinite(step)):
        return prepared
    variables, ms, vs, grads = _columns(fused)
    torch.ops.aten._fused_adam_(
        variables,
        grads,
        ms,
        vs,
        [],
        [_STEP_INFINITY] * len(variables),
        lr=step,
        beta1=b1,
        beta2=b2,
        weight_decay=0.0,
        eps=float(epsilon),
        amsgrad=False,
        maximize=False,
    )
    increment_version(variables + ms + vs)  # the fused kernels do not: caches keyed on a tensor's version must see it
    return rest


_ADAM_INPUTS = ["beta1_power: T", "beta2_power: T", "lr: T", "beta1: T", "beta2: T", "epsilon: T", "grad: T"]


@register_op(
    "ApplyAdam",
    inputs=["var: Ref(T)", "m: Ref(T)", "v: Ref(T)", *_ADAM_INPUTS],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, USE_LOCKING, "use_nesterov: bool = false"],
    shape=apply_op_shape(3, range(3, 9), 9),
)
def apply_adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, use_nesterov):
    _adam(
        [(var, m, v, grad)],
        beta1_power,
        beta2_power,
        lr,
        beta1,
        beta2,
        epsilon,
        use_nesterov=use_nesterov,
        in_place=True,
    )
    return var


@register_op(
    "ResourceApplyAdam",
    inputs=["var: resource", "m: resource", "v: resource", *_ADAM_INPUTS],
    attrs=[TRAINING_T, USE_LOCKING, "use_nesterov: bool = false"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, use_nesterov):
    _adam(
        [(var, m, v, grad)],
        beta1_power,
        beta2_power,
        lr,
        beta1,
        beta2,
        epsilon,
        use_nesterov=use_nesterov,
        in_place=False,
    )


# ---------------------------------------------------------------------------------------------
# Adagrad


def _adagrad(members, lr, epsilon, *, update_slots, in_place):
    def check(var, accum, grad):
        check_scalar(lr, "lr")
        if epsilon is not None:
            check_scalar(epsilon, "epsilon")
        check_same_shape(var, accum, "accum")
        check_same_shape(var, grad, "grad")

    prepared = _prepared(members, 2, in_place, check)
    variables, accums, grads = _columns(prepared)
    if update_slots:  # accum += grad^2
        torch._foreach_add_(accums, torch._foreach_pow(grads, 2))
    step = torch._foreach_mul(grads, lr)
    if epsilon is None:  # var -= grad * lr * rsqrt(accum)
        torch._foreach_mul_(step, torch._foreach_rsqrt(accums))
    else:  # var -= grad * lr / (sqrt(accum) + epsilon)
        denom = torch._foreach_sqrt(accums)
        torch._foreach_add_(denom, [epsilon] * len(denom))
        torch._foreach_div_(step, denom)
    torch._foreach_sub_(variables, step)
    _store(members, prepared, 2, in_place)


@register_op(
    "ApplyAdagrad",
    inputs=["var: Ref(T)", "accum: Ref(T)", "lr: T", "grad: T"],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, USE_LOCKING, "update_slots: bool = true"],
    shape=apply_op_shape(2, [2], 3),
)
def apply_adagrad(var, accum, lr, grad, update_slots):
    _adagrad([(var, accum, grad)], lr, None, update_slots=update_slots, in_place=True)
    return var


@register_op(
    "ApplyAdagradV2",
    inputs=["var: Ref(T)", "accum: Ref(T)", "lr: T", "epsilon: T", "grad: T"],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, USE_LOCKING, "update_slots: bool = true"],
    shape=apply_op_shape(2, [2, 3], 4),
)
def apply_adagrad_v2(var, accum, lr, epsilon, grad, update_slots):
    _adagrad([(var, accum, grad)], lr, epsilon, update_slots=update_slots, in_place=True)
    return var


@register_op(
    "ResourceApplyAdagrad",
    inputs=["var: resource", "accum: resource", "lr: T", "grad: T"],
    attrs=[TRAINING_T, USE_LOCKING, "update_slots: bool = true"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_adagrad(var, accum, lr, grad, update_slots):
    _adagrad([(var, accum, grad)], lr, None, update_slots=update_slots, in_place=False)


@register_op(
    "ResourceApplyAdagradV2",
    inputs=["var: resource", "accum: resource", "lr: T", "epsilon: T", "grad: T"],
    attrs=[TRAINING_T, USE_LOCKING, "update_slots: bool = true"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_adagrad_v2(var, accum, lr, epsilon, grad, update_slots):
    _adagrad([(var, accum, grad)], lr, epsilon, update_slots=update_slots, in_place=False)


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


def _rms_prop(members, lr, rho, momentum, epsilon, *, centered, in_place):
    """Members (var, ms, mom, grad), or (var, mg, ms, mom, grad) when ``centered``."""

    def check(var, *slots):
        _rms_scalars(lr, rho, momentum, epsilon, " : ")
        if centered:
            mg, ms, mom, grad = slots
            if var.shape != mg.shape:  # TF's message names ms's shape here.
                raise invalid(f"var and mg do not have the same shape{format_dims(var.shape)} {format_dims(ms.shape)}")
        else:
            ms, mom, grad = slots
        check_same_shape(var, ms, "ms")
        check_same_shape(var, mom, "mom")
        check_same_shape(var, grad, "grad")

    n_slots = 4 if centered else 3
    prepared = _prepared(members, n_slots, in_place, check)
    columns = _columns(prepared)
    variables, grads, moms, ms = columns[0], columns[-1], columns[-2], columns[-3]
    one_minus_rho = one_like(variables[0]) - rho
    delta = torch._foreach_pow(grads, 2)  # ms += (grad^2 - ms) * (1 - rho)
    torch._foreach_sub_(delta, ms)
    torch._foreach_mul_(delta, one_minus_rho)
    torch._foreach_add_(ms, delta)
    if centered:  # mg += (grad - mg) * (1 - rho); denom = sqrt(ms - mg^2 + epsilon)
        mg = columns[1]
        delta = torch._foreach_sub(grads, mg)
        torch._foreach_mul_(delta, one_minus_rho)
        torch._foreach_add_(mg, delta)
        denom = torch._foreach_sub(ms, torch._foreach_pow(mg, 2))
        torch._foreach_add_(denom, [epsilon] * len(denom))
    else:  # denom = sqrt(ms + epsilon)
        denom = torch._foreach_add(ms, [epsilon] * len(ms))
    denom = torch._foreach_sqrt(denom)
    step = torch._foreach_mul(grads, lr)  # mom = mom * momentum + grad * lr / denom; var -= mom
    torch._foreach_div_(step, denom)
    torch._foreach_mul_(moms, momentum)
    torch._foreach_add_(moms, step)
    torch._foreach_sub_(variables, moms)
    _store(members, prepared, n_slots, in_place)


_RMS_INPUTS = ["lr: T", "rho: T", "momentum: T", "epsilon: T", "grad: T"]


@register_op(
    "ApplyRMSProp",
    inputs=["var: Ref(T)", "ms: Ref(T)", "mom: Ref(T)", *_RMS_INPUTS],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, USE_LOCKING],
    shape=apply_op_shape(3, range(3, 7), 7),
)
def apply_rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad):
    _rms_prop([(var, ms, mom, grad)], lr, rho, momentum, epsilon, centered=False, in_place=True)
    return var


@register_op(
    "ResourceApplyRMSProp",
    inputs=["var: resource", "ms: resource", "mom: resource", *_RMS_INPUTS],
    attrs=[TRAINING_T, USE_LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad):
    _rms_prop([(var, ms, mom, grad)], lr, rho, momentum, epsilon, centered=False, in_place=False)


@register_op(
    "ApplyCenteredRMSProp",
    inputs=["var: Ref(T)", "mg: Ref(T)", "ms: Ref(T)", "mom: Ref(T)", *_RMS_INPUTS],
    outputs=["out: Ref(T)"],
    attrs=[TRAINING_T, USE_LOCKING],
    shape=apply_op_shape(4, range(4, 8), 8),
)
def apply_centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad):
    _rms_prop([(var, mg, ms, mom, grad)], lr, rho, momentum, epsilon, centered=True, in_place=True)
    return var


@register_op(
    "ResourceApplyCenteredRMSProp",
    inputs=["var: resource", "mg: resource", "ms: resource", "mom: resource", *_RMS_INPUTS],
    attrs=[TRAINING_T, USE_LOCKING],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def resource_apply_centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad):
    _rms_prop([(var, mg, ms, mom, grad)], lr, rho, momentum, epsilon, centered=True, in_place=False)


@dataclass(frozen=True)
class UpdateKind:
    """How updates of one op type run as one list: ``run(members, *shared, in_place=..., **attrs)``, each
    member the op's inputs at ``own`` (its variable and slots, then its gradient), ``shared`` the inputs the
    members have in common (the hyper-parameters), ``attrs`` the kernel's attrs (use_nesterov, update_slots)."""

    run: Callable
    own: tuple
    shared: tuple
    in_place: bool  # a ref variable's update (in place; its output is the ref), else a resource's


def _adagrad_v1(members, lr, *, update_slots, in_place):
    _adagrad(members, lr, None, update_slots=update_slots, in_place=in_place)


def _plain_rms_prop(members, lr, rho, momentum, epsilon, *, in_place):
    _rms_prop(members, lr, rho, momentum, epsilon, centered=False, in_place=in_place)


def _centered_rms_prop(members, lr, rho, momentum, epsilon, *, in_place):
    _rms_prop(members, lr, rho, momentum, epsilon, centered=True, in_place=in_place)


def _kinds(name, run, own, shared):
    return {name: UpdateKind(run, own, shared, True), "Resource" + name: UpdateKind(run, own, shared, False)}


# The dense updates a Session may run together (runtime/update_groups.py), Ref and Resource forms.
UPDATE_KINDS = {
    **_kinds("ApplyGradientDescent", _gradient_descent, (0, 2), (1,)),
    **_kinds("ApplyMomentum", _momentum, (0, 1, 3), (2, 4)),
    **_kinds("ApplyAdam", _adam, (0, 1, 2, 9), (3, 4, 5, 6, 7, 8)),
    **_kinds("ApplyAdagrad", _adagrad_v1, (0, 1, 3), (2,)),
    **_kinds("ApplyAdagradV2", _adagrad, (0, 1, 4), (2, 3)),
    **_kinds("ApplyRMSProp", _plain_rms_prop, (0, 1, 2, 7), (3, 4, 5, 6)),
    **_kinds("ApplyCenteredRMSProp", _centered_rms_prop, (0, 1, 2, 3, 8), (4, 5, 6, 7)),
}


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


_SCATTER_COMBINE = {
    "mul": torch.mul,
    "div": lambda a, b: torch.div(a, b, rounding_mode=None if a.is_floating_point() or a.is_complex() else "trunc"),
    "min": torch.minimum,
    "max": torch.maximum,
}


def _scatter_combine(params, flat, rows, mode):
    """``params[flat[i]] = params[flat[i]] <op> rows[i]`` for i in order, as TF's CPU ScatterFunctor: a
    repeated index takes its updates one after another (one vectorized round per repetition)."""
    combine = _SCATTER_COMBINE[mode]
    out = params.clone()
    order = torch.argsort(flat, stable=True)
    sorted_flat = flat[order]
    first = torch.ones_like(sorted_flat, dtype=torch.bool)
    first[1:] = sorted_flat[1:] != sorted_flat[:-1]
    starts = torch.cummax(torch.where(first, torch.arange(len(flat)), 0), 0).values
    rank = torch.empty_like(flat)
    rank[order] = torch.arange(len(flat)) - starts
    for r in range(int(rank.max()) + 1 if len(flat) else 0):
        pick = rank == r
        idx = flat[pick]
        out[idx] = combine(out[idx], rows[pick])
    return out


def _ref_scatter(ref, indices, updates, mode):
    params = ref.read()
    flat, rows = _scatter_rows(params, indices, updates)
    if mode in _SCATTER_COMBINE:
        params.copy_(_scatter_combine(params, flat, rows, mode))
    elif mode == "add":
        params.index_add_(0, flat, rows)
    elif mode == "sub":
        params.index_add_(0, flat, rows, alpha=-1)
    else:
        params.index_copy_(0, flat, rows)
    return ref


def _resource_scatter(resource, indices, updates, mode):
    params = resource.read()
    flat, rows = _scatter_rows(params, indices, updates)
    if mode in _SCATTER_COMBINE:
        resource.value = _scatter_combine(params, flat, rows, mode)
    elif mode == "add":
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
_MIN_MAX_T = "T: {half, bfloat16, float, double, int32, int64}"


def _ref_scatter_op(op_type, mode, t_attr):
    def kernel(ref, indices, updates):
        return _ref_scatter(ref, indices, updates, mode)

    kernel.__name__ = kernel.__qualname__ = f"scatter_{mode}"
    kernel.__doc__ = f"``ref[indices] {mode}= updates``, repeated indices one after another."
    return register_op(
        op_type,
        inputs=_SCATTER_INPUTS,
        outputs=["output_ref: Ref(T)"],
        attrs=[t_attr, TINDICES, USE_LOCKING],
        shape=scatter_update_shape,
    )(kernel)


def _resource_scatter_op(op_type, mode):
    def kernel(resource, indices, updates):
        _resource_scatter(resource, indices, updates, mode)

    kernel.__name__ = kernel.__qualname__ = f"resource_scatter_{mode}"
    return register_op(
        op_type,
        inputs=_RESOURCE_SCATTER_INPUTS,
        attrs=[f"dtype: {NUMBER_TYPES}", TINDICES],
        shape=common_shapes.no_outputs,
        stateful=True,
    )(kernel)


scatter_mul = _ref_scatter_op("ScatterMul", "mul", TRAINING_T)
scatter_div = _ref_scatter_op("ScatterDiv", "div", TRAINING_T)
scatter_min = _ref_scatter_op("ScatterMin", "min", _MIN_MAX_T)
scatter_max = _ref_scatter_op("ScatterMax", "max", _MIN_MAX_T)
resource_scatter_mul = _resource_scatter_op("ResourceScatterMul", "mul")
resource_scatter_div = _resource_scatter_op("ResourceScatterDiv", "div")
resource_scatter_min = _resource_scatter_op("ResourceScatterMin", "min")
resource_scatter_max = _resource_scatter_op("ResourceScatterMax", "max")

not_differentiable("ScatterMul", "ScatterDiv")
no_registered_gradient(
    "ScatterMin",
    "ScatterMax",
    "ResourceScatterMul",
    "ResourceScatterDiv",
    "ResourceScatterMin",
    "ResourceScatterMax",
)
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
