"""TF1's optimizers: GradientDescent, Momentum, Adam, Adagrad, RMSProp, Adadelta, ProximalGradientDescent,
ProximalAdagrad, Ftrl and AdagradDA.

Each emits TensorFlow's ops and names: Apply* on ref variables, ResourceApply* on resource variables,
and for IndexedSlices gradients the sparse ops (or, for GradientDescent and Adam, the scatter form)
TensorFlow's own optimizer emits. Slot names are TensorFlow's, so checkpoints are interchangeable.
"""

from __future__ import annotations

from torchmeta.api import array_ops, control_flow_ops, math_ops
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.constant_op import constant
from torchmeta.framework.indexed_slices import IndexedSlices
from torchmeta.framework.op_def_library import raw_op
from torchmeta.train import optimizer as opt
from torchmeta.train.optimizer import Optimizer, apply_op, cast, read

__all__ = [
    "GradientDescentOptimizer",
    "MomentumOptimizer",
    "AdamOptimizer",
    "AdagradOptimizer",
    "RMSPropOptimizer",
    "AdadeltaOptimizer",
    "ProximalGradientDescentOptimizer",
    "ProximalAdagradOptimizer",
    "FtrlOptimizer",
    "AdagradDAOptimizer",
]


def _tensor(value, name):
    return graph_lib.convert_to_tensor(value, name=name)


class GradientDescentOptimizer(Optimizer):
    """``var -= learning_rate * grad`` (ApplyGradientDescent; ScatterSub / ResourceScatterAdd when sparse)."""

    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._learning_rate_tensor = None

    def _prepare(self):
        self._learning_rate_tensor = _tensor(self._call_if_callable(self._learning_rate), "learning_rate")

    def _apply_dense(self, grad, var):
        lr = cast(self._learning_rate_tensor, var.dtype.base_dtype)
        return raw_op("ApplyGradientDescent", var=var, alpha=lr, delta=grad, use_locking=self._use_locking).op

    def _resource_apply_dense(self, grad, handle):
        lr = cast(self._learning_rate_tensor, grad.dtype.base_dtype)
        return raw_op(
            "ResourceApplyGradientDescent", var=handle.handle, alpha=lr, delta=grad, use_locking=self._use_locking
        )

    def _resource_apply_sparse_duplicate_indices(self, grad, handle, indices):
        updates = -grad * cast(self._learning_rate_tensor, grad.dtype.base_dtype)
        return raw_op("ResourceScatterAdd", resource=handle.handle, indices=indices, updates=updates)

    def _apply_sparse_duplicate_indices(self, grad, var):
        values = grad.values * cast(self._learning_rate_tensor, var.dtype.base_dtype)
        delta = IndexedSlices(values, grad.indices, grad.dense_shape)
        return raw_op("ScatterSub", ref=var, indices=delta.indices, updates=delta.values, use_locking=self._use_locking)


class MomentumOptimizer(Optimizer):
    """``accum = momentum * accum + grad; var -= lr * accum`` (Nesterov: ``var -= lr * (grad + momentum * accum)``)."""

    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum", use_nesterov=False):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = use_nesterov

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self):
        self._learning_rate_tensor = _tensor(self._call_if_callable(self._learning_rate), "learning_rate")
        self._momentum_tensor = _tensor(self._call_if_callable(self._momentum), "momentum")

    def _args(self, dtype):
        return {
            "lr": cast(self._learning_rate_tensor, dtype),
            "momentum": cast(self._momentum_tensor, dtype),
            "use_locking": self._use_locking,
            "use_nesterov": self._use_nesterov,
        }

    def _apply_dense(self, grad, var):
        mom = self.get_slot(var, "momentum")
        return apply_op("ApplyMomentum", var=var, accum=mom, grad=grad, **self._args(var.dtype.base_dtype)).op

    def _resource_apply_dense(self, grad, var):
        mom = self.get_slot(var, "momentum")
        return apply_op(
            "ResourceApplyMomentum", var=var.handle, accum=mom.handle, grad=grad, **self._args(grad.dtype.base_dtype)
        )

    def _apply_sparse(self, grad, var):
        mom = self.get_slot(var, "momentum")
        return apply_op(
            "SparseApplyMomentum",
            var=var,
            accum=mom,
            grad=grad.values,
            indices=grad.indices,
            **self._args(var.dtype.base_dtype),
        ).op

    def _resource_apply_sparse(self, grad, var, indices):
        mom = self.get_slot(var, "momentum")
        return apply_op(
            "ResourceSparseApplyMomentum",
            var=var.handle,
            accum=mom.handle,
            grad=grad,
            indices=indices,
            **self._args(grad.dtype),
        )


class AdamOptimizer(Optimizer):
    """Adam (Kingma & Ba) with TF's ``epsilon hat``: slots ``m``, ``v``; ``beta1_power``/``beta2_power``."""

    def __init__(
        self,
        learning_rate=0.001,
        beta1=0.9,
        beta2=0.999,
        epsilon=1e-8,
        use_locking=False,
        name="Adam",
        use_own_namescope_for_non_slot_vars=False,
    ):
        super().__init__(use_locking, name, use_own_namescope_for_non_slot_vars)
        self._lr = learning_rate
        self._beta1 = beta1
        self._beta2 = beta2
        self._epsilon = epsilon
        self._lr_t = None
        self._beta1_t = None
        self._beta2_t = None
        self._epsilon_t = None

    def _get_beta_accumulators(self):
        graph = graph_lib.get_default_graph()
        return (
            self._get_non_slot_variable("beta1_power", graph=graph),
            self._get_non_slot_variable("beta2_power", graph=graph),
        )

    def _create_slots(self, var_list):
        first_var = min(var_list, key=lambda x: x.name)
        self._create_non_slot_variable(initial_value=self._beta1, name="beta1_power", colocate_with=first_var)
        self._create_non_slot_variable(initial_value=self._beta2, name="beta2_power", colocate_with=first_var)
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._zeros_slot(v, "v", self._name)

    def _prepare(self):
        self._lr_t = _tensor(self._call_if_callable(self._lr), "learning_rate")
        self._beta1_t = _tensor(self._call_if_callable(self._beta1), "beta1")
        self._beta2_t = _tensor(self._call_if_callable(self._beta2), "beta2")
        self._epsilon_t = _tensor(self._call_if_callable(self._epsilon), "epsilon")

    def _args(self, dtype):
        beta1_power, beta2_power = self._get_beta_accumulators()
        return {
            "beta1_power": cast(beta1_power, dtype),
            "beta2_power": cast(beta2_power, dtype),
            "lr": cast(self._lr_t, dtype),
            "beta1": cast(self._beta1_t, dtype),
            "beta2": cast(self._beta2_t, dtype),
            "epsilon": cast(self._epsilon_t, dtype),
            "use_locking": self._use_locking,
        }

    def _apply_dense(self, grad, var):
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        return apply_op("ApplyAdam", var=var, m=m, v=v, grad=grad, **self._args(var.dtype.base_dtype)).op

    def _resource_apply_dense(self, grad, var):
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        return apply_op(
            "ResourceApplyAdam", var=var.handle, m=m.handle, v=v.handle, grad=grad, **self._args(grad.dtype.base_dtype)
        )

    def _apply_sparse_shared(self, grad, var, indices, scatter_add):
        dtype = var.dtype.base_dtype
        beta1_power, beta2_power = self._get_beta_accumulators()
        beta1_power = cast(beta1_power, dtype)
        beta2_power = cast(beta2_power, dtype)
        lr_t = cast(self._lr_t, dtype)
        beta1_t = cast(self._beta1_t, dtype)
        beta2_t = cast(self._beta2_t, dtype)
        epsilon_t = cast(self._epsilon_t, dtype)
        lr = lr_t * math_ops.sqrt(1 - read(beta2_power)) / (1 - read(beta1_power))
        m = self.get_slot(var, "m")
        m_scaled_g_values = grad * (1 - beta1_t)
        m_t = opt.assign(m, read(m) * beta1_t, use_locking=self._use_locking)
        with graph_lib.control_dependencies([m_t]):
            m_t = scatter_add(m, indices, m_scaled_g_values)
        v = self.get_slot(var, "v")
        v_scaled_g_values = (grad * grad) * (1 - beta2_t)
        v_t = opt.assign(v, read(v) * beta2_t, use_locking=self._use_locking)
        with graph_lib.control_dependencies([v_t]):
            v_t = scatter_add(v, indices, v_scaled_g_values)
        v_sqrt = math_ops.sqrt(v_t)
        var_update = opt.assign_sub(var, lr * m_t / (v_sqrt + epsilon_t), use_locking=self._use_locking)
        return control_flow_ops.group(*[var_update, m_t, v_t])

    def _apply_sparse(self, grad, var):
        return self._apply_sparse_shared(
            grad.values,
            var,
            grad.indices,
            lambda x, i, v: opt.scatter_add(x, i, v, use_locking=self._use_locking),
        )

    def _resource_apply_sparse(self, grad, var, indices):
        return self._apply_sparse_shared(grad, var, indices, opt.resource_scatter_add_and_read)

    def _finish(self, update_ops, name_scope):
        with graph_lib.control_dependencies(update_ops):
            beta1_power, beta2_power = self._get_beta_accumulators()
            with graph_lib.colocate_with(beta1_power):
                update_beta1 = opt.assign(beta1_power, read(beta1_power) * self._beta1_t, use_locking=self._use_locking)
                update_beta2 = opt.assign(beta2_power, read(beta2_power) * self._beta2_t, use_locking=self._use_locking)
        return control_flow_ops.group(*update_ops, update_beta1, update_beta2, name=name_scope)


class AdagradOptimizer(Optimizer):
    """``accum += grad**2; var -= lr * grad / sqrt(accum)``; slot ``accumulator`` starts at ``initial_accumulator_value``."""

    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False, name="Adagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError(f"initial_accumulator_value must be positive: {initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value
        self._learning_rate_tensor = None

    def _create_slots(self, var_list):
        for v in var_list:
            dtype = v.dtype.base_dtype
            if v.get_shape().is_fully_defined():
                init = opt.constant_initializer(self._initial_accumulator_value)
            else:
                init = self._init_constant_op(v, dtype)
            self._get_or_make_slot_with_initializer(v, init, v.get_shape(), dtype, "accumulator", self._name)

    def _init_constant_op(self, v, dtype):
        def init():
            init_constant = raw_op("Fill", dims=array_ops.shape(v), value=self._initial_accumulator_value)
            return math_ops.cast(init_constant, dtype)

        return init

    def _prepare(self):
        self._learning_rate_tensor = _tensor(self._call_if_callable(self._learning_rate), "learning_rate")

    def _apply_dense(self, grad, var):
        acc = self.get_slot(var, "accumulator")
        lr = cast(self._learning_rate_tensor, var.dtype.base_dtype)
        return raw_op("ApplyAdagrad", var=var, accum=acc, lr=lr, grad=grad, use_locking=self._use_locking)

    def _resource_apply_dense(self, grad, var):
        acc = self.get_slot(var, "accumulator")
        lr = cast(self._learning_rate_tensor, grad.dtype.base_dtype)
        return raw_op(
            "ResourceApplyAdagrad", var=var.handle, accum=acc.handle, lr=lr, grad=grad, use_locking=self._use_locking
        )

    def _apply_sparse(self, grad, var):
        acc = self.get_slot(var, "accumulator")
        lr = cast(self._learning_rate_tensor, var.dtype.base_dtype)
        return raw_op(
            "SparseApplyAdagrad",
            var=var,
            accum=acc,
            lr=lr,
            grad=grad.values,
            indices=grad.indices,
            use_locking=self._use_locking,
        )

    def _resource_apply_sparse(self, grad, var, indices):
        acc = self.get_slot(var, "accumulator")
        lr = cast(self._learning_rate_tensor, grad.dtype)
        return raw_op(
            "ResourceSparseApplyAdagrad",
            var=var.handle,
            accum=acc.handle,
            lr=lr,
            grad=grad,
            indices=indices,
            use_locking=self._use_locking,
        )


class RMSPropOptimizer(Optimizer):
    """RMSProp: slots ``rms`` (starts at 1), ``momentum`` and, when ``centered``, ``mg``."""

    def __init__(
        self,
        learning_rate,
        decay=0.9,
        momentum=0.0,
        epsilon=1e-10,
        use_locking=False,
        centered=False,
        name="RMSProp",
    ):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._decay = decay
        self._momentum = momentum
        self._epsilon = epsilon
        self._centered = centered
        self._learning_rate_tensor = None
        self._decay_tensor = None
        self._momentum_tensor = None
        self._epsilon_tensor = None

    def _create_slots(self, var_list):
        for v in var_list:
            if v.get_shape().is_fully_defined():
                init_rms = opt.ones_initializer
            else:
                init_rms = array_ops.ones_like(v)
            self._get_or_make_slot_with_initializer(v, init_rms, v.get_shape(), v.dtype.base_dtype, "rms", self._name)
            if self._centered:
                self._zeros_slot(v, "mg", self._name)
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self):
        self._learning_rate_tensor = _tensor(self._call_if_callable(self._learning_rate), "learning_rate")
        self._decay_tensor = _tensor(self._call_if_callable(self._decay), "decay")
        self._momentum_tensor = _tensor(self._call_if_callable(self._momentum), "momentum")
        self._epsilon_tensor = _tensor(self._call_if_callable(self._epsilon), "epsilon")

    def _hyper(self, dtype):
        return {
            "lr": cast(self._learning_rate_tensor, dtype),
            "rho": cast(self._decay_tensor, dtype),
            "momentum": cast(self._momentum_tensor, dtype),
            "epsilon": cast(self._epsilon_tensor, dtype),
            "use_locking": self._use_locking,
        }

    def _update(self, op, var, resource, dtype, **kwargs):
        rms, mom = self.get_slot(var, "rms"), self.get_slot(var, "momentum")

        def ref(v):
            return v.handle if resource else v

        slots = {"var": ref(var), "ms": ref(rms), "mom": ref(mom)}
        if self._centered:
            slots["mg"] = ref(self.get_slot(var, "mg"))
            op = op.replace("RMSProp", "CenteredRMSProp")
        hyper = self._hyper(dtype)
        return raw_op(op, **slots, **hyper, **kwargs)

    def _apply_dense(self, grad, var):
        return self._update("ApplyRMSProp", var, False, var.dtype.base_dtype, grad=grad).op

    def _resource_apply_dense(self, grad, var):
        return self._update("ResourceApplyRMSProp", var, True, grad.dtype.base_dtype, grad=grad)

    def _apply_sparse(self, grad, var):
        return self._update(
            "SparseApplyRMSProp", var, False, var.dtype.base_dtype, grad=grad.values, indices=grad.indices
        )

    def _resource_apply_sparse(self, grad, var, indices):
        return self._update("ResourceSparseApplyRMSProp", var, True, grad.dtype, grad=grad, indices=indices)


class AdadeltaOptimizer(Optimizer):
    """Adadelta (Zeiler): slots ``accum`` and ``accum_update``."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-8, use_locking=False, name="Adadelta"):
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._rho = rho
        self._epsilon = epsilon
        self._lr_t = None
        self._rho_t = None
        self._epsilon_t = None

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "accum", self._name)
            self._zeros_slot(v, "accum_update", self._name)

    def _prepare(self):
        self._lr_t = _tensor(self._call_if_callable(self._lr), "lr")
        self._rho_t = _tensor(self._call_if_callable(self._rho), "rho")
        self._epsilon_t = _tensor(self._call_if_callable(self._epsilon), "epsilon")

    def _update(self, op, var, resource, dtype, **kwargs):
        accum, accum_update = self.get_slot(var, "accum"), self.get_slot(var, "accum_update")
        if resource:
            var, accum, accum_update = var.handle, accum.handle, accum_update.handle
        return raw_op(
            op,
            var=var,
            accum=accum,
            accum_update=accum_update,
            lr=cast(self._lr_t, dtype),
            rho=cast(self._rho_t, dtype),
            epsilon=cast(self._epsilon_t, dtype),
            use_locking=self._use_locking,
            **kwargs,
        )

    def _apply_dense(self, grad, var):
        return self._update("ApplyAdadelta", var, False, var.dtype.base_dtype, grad=grad)

    def _resource_apply_dense(self, grad, var):
        return self._update("ResourceApplyAdadelta", var, True, grad.dtype.base_dtype, grad=grad)

    def _apply_sparse(self, grad, var):
        return self._update(
            "SparseApplyAdadelta", var, False, var.dtype.base_dtype, grad=grad.values, indices=grad.indices
        )

    def _resource_apply_sparse(self, grad, var, indices):
        return self._update("ResourceSparseApplyAdadelta", var, True, grad.dtype, grad=grad, indices=indices)


class ProximalGradientDescentOptimizer(Optimizer):
    """Gradient descent with FOBOS L1/L2 shrinkage (ApplyProximalGradientDescent and its variants)."""

    def __init__(
        self,
        learning_rate,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        use_locking=False,
        name="ProximalGradientDescent",
    ):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength
        self._l1_regularization_strength_tensor = None
        self._l2_regularization_strength_tensor = None

    def _prepare(self):
        self._learning_rate_tensor = _tensor(self._learning_rate, "learning_rate")
        self._l1_regularization_strength_tensor = _tensor(
            self._l1_regularization_strength, "l1_regularization_strength"
        )
        self._l2_regularization_strength_tensor = _tensor(
            self._l2_regularization_strength, "l2_regularization_strength"
        )

    def _hyper(self, dtype=None):
        tensors = (
            self._learning_rate_tensor,
            self._l1_regularization_strength_tensor,
            self._l2_regularization_strength_tensor,
        )
        # TF casts only for the resource sparse update; the other updates take the tensors as they are.
        return tensors if dtype is None else tuple(cast(t, dtype) for t in tensors)

    def _apply_dense(self, grad, var):
        lr, l1, l2 = self._hyper()
        return raw_op(
            "ApplyProximalGradientDescent", var=var, alpha=lr, l1=l1, l2=l2, delta=grad, use_locking=self._use_locking
        ).op

    def _resource_apply_dense(self, grad, var):
        lr, l1, l2 = self._hyper()
        return raw_op(
            "ResourceApplyProximalGradientDescent",
            var=var.handle,
            alpha=lr,
            l1=l1,
            l2=l2,
            delta=grad,
            use_locking=self._use_locking,
        )

    def _apply_sparse(self, grad, var):
        lr, l1, l2 = self._hyper()
        return raw_op(
            "SparseApplyProximalGradientDescent",
            var=var,
            alpha=lr,
            l1=l1,
            l2=l2,
            grad=grad.values,
            indices=grad.indices,
            use_locking=self._use_locking,
        ).op

    def _resource_apply_sparse(self, grad, var, indices):
        lr, l1, l2 = self._hyper(grad.dtype)
        return raw_op(
            "ResourceSparseApplyProximalGradientDescent",
            var=var.handle,
            alpha=lr,
            l1=l1,
            l2=l2,
            grad=grad,
            indices=indices,
            use_locking=self._use_locking,
        )


class ProximalAdagradOptimizer(Optimizer):
    """Adagrad with FOBOS L1/L2 shrinkage; slot ``accumulator`` starts at ``initial_accumulator_value``."""

    def __init__(
        self,
        learning_rate,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        use_locking=False,
        name="ProximalAdagrad",
    ):
        if initial_accumulator_value <= 0.0:
            raise ValueError(f"initial_accumulator_value must be positive: {initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength
        self._l1_regularization_strength_tensor = None
        self._l2_regularization_strength_tensor = None
        self._learning_rate_tensor = None

    def _create_slots(self, var_list):
        for v in var_list:
            with graph_lib.colocate_with(v):
                val = constant(self._initial_accumulator_value, shape=v.get_shape(), dtype=v.dtype.base_dtype)
            self._get_or_make_slot(v, val, "accumulator", self._name)

    def _prepare(self):
        self._learning_rate_tensor = _tensor(self._learning_rate, "learning_rate")
        self._l1_regularization_strength_tensor = _tensor(
            self._l1_regularization_strength, "l1_regularization_strength"
        )
        self._l2_regularization_strength_tensor = _tensor(
            self._l2_regularization_strength, "l2_regularization_strength"
        )

    def _update(self, op_type, var, resource, dtype=None, **kwargs):
        acc = self.get_slot(var, "accumulator")
        hyper = (
            self._learning_rate_tensor,
            self._l1_regularization_strength_tensor,
            self._l2_regularization_strength_tensor,
        )
        if dtype is not None:
            hyper = tuple(cast(t, dtype) for t in hyper)
        lr, l1, l2 = hyper
        if resource:
            var, acc = var.handle, acc.handle
        return raw_op(op_type, var=var, accum=acc, lr=lr, l1=l1, l2=l2, use_locking=self._use_locking, **kwargs)

    def _apply_dense(self, grad, var):
        return self._update("ApplyProximalAdagrad", var, False, grad=grad)

    def _resource_apply_dense(self, grad, var):
        return self._update("ResourceApplyProximalAdagrad", var, True, grad=grad)

    def _apply_sparse(self, grad, var):
        return self._update("SparseApplyProximalAdagrad", var, False, grad=grad.values, indices=grad.indices)

    def _resource_apply_sparse(self, grad, var, indices):
        return self._update("ResourceSparseApplyProximalAdagrad", var, True, grad.dtype, grad=grad, indices=indices)


class FtrlOptimizer(Optimizer):
    """FTRL-Proximal (McMahan et al. 2013): slots ``accum`` (starts at ``initial_accumulator_value``) and
    ``linear``; ApplyFtrlV2 when ``l2_shrinkage_regularization_strength`` > 0; ``beta`` adds
    ``beta / (2 lr)`` to the L2 strength, as TF's does."""

    def __init__(
        self,
        learning_rate,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        use_locking=False,
        name="Ftrl",
        accum_name=None,
        linear_name=None,
        l2_shrinkage_regularization_strength=0.0,
        beta=None,
    ):
        super().__init__(use_locking, name)
        if initial_accumulator_value < 0.0:
            raise ValueError(f"initial_accumulator_value {initial_accumulator_value:f} needs to be positive or zero")
        if learning_rate_power > 0.0:
            raise ValueError(f"learning_rate_power {learning_rate_power:f} needs to be negative or zero")
        if l1_regularization_strength < 0.0:
            raise ValueError(f"l1_regularization_strength {l1_regularization_strength:f} needs to be positive or zero")
        if l2_regularization_strength < 0.0:
            raise ValueError(f"l2_regularization_strength {l2_regularization_strength:f} needs to be positive or zero")
        if l2_shrinkage_regularization_strength < 0.0:
            raise ValueError(
                f"l2_shrinkage_regularization_strength {l2_shrinkage_regularization_strength:f} needs to be positive"
                " or zero"
            )
        self._learning_rate = learning_rate
        self._learning_rate_power = learning_rate_power
        self._initial_accumulator_value = initial_accumulator_value
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength
        self._beta = 0.0 if beta is None else beta
        self._l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self._accum_name = accum_name
        self._linear_name = linear_name

    def _create_slots(self, var_list):
        def accum_initializer(shape, dtype=DType.float32, partition_info=None):
            return array_ops.ones(shape=shape, dtype=dtype) * self._initial_accumulator_value

        for v in var_list:
            self._get_or_make_slot_with_initializer(
                v, accum_initializer, v.shape, v.dtype.base_dtype, "accum", self._accum_name or self._name
            )
            self._zeros_slot(v, "linear", self._linear_name or self._name)

    def _prepare(self):
        self._learning_rate_tensor = _tensor(self._learning_rate, "learning_rate")
        self._l1_regularization_strength_tensor = _tensor(
            self._l1_regularization_strength, "l1_regularization_strength"
        )
        adjusted = self._l2_regularization_strength + self._beta / (2.0 * math_ops.maximum(self._learning_rate, 1e-36))
        self._adjusted_l2_regularization_strength_tensor = _tensor(adjusted, "adjusted_l2_regularization_strength")
        self._beta_tensor = _tensor(self._beta, "beta")
        self._l2_shrinkage_regularization_strength_tensor = _tensor(
            self._l2_shrinkage_regularization_strength, "l2_shrinkage_regularization_strength"
        )
        self._learning_rate_power_tensor = _tensor(self._learning_rate_power, "learning_rate_power")

    def _update(self, op_type, var, resource, dtype, shrinkage_dtype, **kwargs):
        accum, linear = self.get_slot(var, "accum"), self.get_slot(var, "linear")
        v2 = self._l2_shrinkage_regularization_strength > 0.0
        hyper = {
            "lr": cast(self._learning_rate_tensor, dtype),
            "l1": cast(self._l1_regularization_strength_tensor, dtype),
            "l2": cast(self._adjusted_l2_regularization_strength_tensor, dtype),
        }
        if v2:
            hyper["l2_shrinkage"] = cast(self._l2_shrinkage_regularization_strength_tensor, shrinkage_dtype)
        hyper["lr_power"] = cast(self._learning_rate_power_tensor, dtype)
        if resource:
            var, accum, linear = var.handle, accum.handle, linear.handle
        return raw_op(
            op_type + ("V2" if v2 else ""),
            var=var,
            accum=accum,
            linear=linear,
            **kwargs,
            **hyper,
            use_locking=self._use_locking,
        )

    def _apply_dense(self, grad, var):
        dtype = var.dtype.base_dtype
        return self._update("ApplyFtrl", var, False, dtype, dtype, grad=grad)

    def _resource_apply_dense(self, grad, var):
        dtype = var.dtype.base_dtype
        return self._update("ResourceApplyFtrl", var, True, dtype, dtype, grad=grad)

    def _apply_sparse(self, grad, var):
        return self._update(
            "SparseApplyFtrl",
            var,
            False,
            var.dtype.base_dtype,
            grad.dtype.base_dtype,
            grad=grad.values,
            indices=grad.indices,
        )

    def _resource_apply_sparse(self, grad, var, indices):
        return self._update("ResourceSparseApplyFtrl", var, True, grad.dtype, grad.dtype, grad=grad, indices=indices)


class AdagradDAOptimizer(Optimizer):
    """Adagrad dual averaging (Duchi et al.): slots ``gradient_accumulator`` and
    ``gradient_squared_accumulator``; the update uses ``global_step + 1``."""

    def __init__(
        self,
        learning_rate,
        global_step,
        initial_gradient_squared_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        use_locking=False,
        name="AdagradDA",
    ):
        if initial_gradient_squared_accumulator_value <= 0.0:
            raise ValueError(
                "initial_gradient_squared_accumulator_value must be positive: "
                f"{initial_gradient_squared_accumulator_value}"
            )
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_gradient_squared_accumulator_value = initial_gradient_squared_accumulator_value
        self._learning_rate_tensor = None
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength
        self._global_step = global_step
        self._global_step_on_worker = None

    def _create_slots(self, var_list):
        for v in var_list:
            with graph_lib.colocate_with(v):
                g_val = constant(0.0, shape=v.get_shape(), dtype=v.dtype.base_dtype)
                gg_val = constant(
                    self._initial_gradient_squared_accumulator_value, shape=v.get_shape(), dtype=v.dtype.base_dtype
                )
            self._get_or_make_slot(v, g_val, "gradient_accumulator", self._name)
            self._get_or_make_slot(v, gg_val, "gradient_squared_accumulator", self._name)

    def _prepare(self):
        self._learning_rate_tensor = _tensor(self._learning_rate, "learning_rate")
        with graph_lib.colocate_with(self._learning_rate_tensor):
            self._global_step_on_worker = array_ops.identity(self._global_step) + 1

    def _update(self, op_type, var, resource, dtype, **kwargs):
        g_acc = self.get_slot(var, "gradient_accumulator")
        gg_acc = self.get_slot(var, "gradient_squared_accumulator")
        with graph_lib.device(var.device):
            global_step = array_ops.identity(self._global_step_on_worker)
        if resource:
            var, g_acc, gg_acc = var.handle, g_acc.handle, gg_acc.handle
        return raw_op(
            op_type,
            var=var,
            gradient_accumulator=g_acc,
            gradient_squared_accumulator=gg_acc,
            **kwargs,
            lr=cast(self._learning_rate_tensor, dtype),
            l1=cast(self._l1_regularization_strength, dtype),
            l2=cast(self._l2_regularization_strength, dtype),
            global_step=global_step,
            use_locking=self._use_locking,
        )

    def _apply_dense(self, grad, var):
        return self._update("ApplyAdagradDA", var, False, var.dtype.base_dtype, grad=grad)

    def _resource_apply_dense(self, grad, var):
        return self._update("ResourceApplyAdagradDA", var, True, grad.dtype.base_dtype, grad=grad)

    def _apply_sparse(self, grad, var):
        return self._update(
            "SparseApplyAdagradDA", var, False, var.dtype.base_dtype, grad=grad.values, indices=grad.indices
        )

    def _resource_apply_sparse(self, grad, var, indices):
        return self._update("ResourceSparseApplyAdagradDA", var, True, grad.dtype, grad=grad, indices=indices)
