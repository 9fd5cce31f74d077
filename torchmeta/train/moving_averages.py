"""``tf.train.ExponentialMovingAverage``: shadow variables updated as ``shadow -= (1 - decay) * (shadow - var)``.

The shadow of ``w`` is the slot variable ``w/ExponentialMovingAverage`` (a non-trainable global variable
created as TF's slot_creator creates it), so checkpoints interchange with TensorFlow's: a TF program's
``variables_to_restore()`` map loads shadows written here into its model variables, and the reverse.
``apply`` builds TF's update graph (``ExponentialMovingAverage/AssignMovingAvg*``, the ``num_updates``
cap ``min(decay, (1 + n) / (10 + n))``, one ``group`` named after the object).

A shadow starts from ``cond(is_variable_initialized(var), var.read_value, var.initial_value)`` (TF's
tf.cond), so a shadow added for an already trained variable starts at its trained value. Averages of
tensors start at zero in a zeros slot; with ``zero_debias=True`` they are debiased as TF does, through
the ``<shadow>/biased`` and ``<shadow>/local_step`` variables of ``assign_moving_average``.
"""

from __future__ import annotations

from torchmeta.api import control_flow_ops, init_ops, math_ops, state_ops
from torchmeta.api import variable_scope as vs
from torchmeta.api.cond import cond
from torchmeta.api.variables import (
    Variable,
    global_variables,
    is_variable_initialized,
    moving_average_variables,
    trainable_variables,
)
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import GraphKeys, convert_to_tensor
from torchmeta.train import optimizer as slot_creator

__all__ = ["ExponentialMovingAverage", "assign_moving_average"]

_FLOATS = (DType.bfloat16, DType.float16, DType.float32, DType.float64)


def assign_moving_average(variable, value, decay, zero_debias=True, name=None):
    """``variable -= (1 - decay) * (variable - value)`` (TF's AssignMovingAvg); returns the updated value.

    With ``zero_debias`` (TF's default), the average of a zero-initialized ``variable`` is debiased as
    Adam does: a ``biased`` shadow and a ``local_step`` counter (variables ``<variable>/biased`` and
    ``<variable>/local_step``) give ``variable = biased / (1 - decay ** local_step)``.
    """
    with graph_lib.name_scope(name, "AssignMovingAvg", [variable, value, decay]) as scope:
        decay = convert_to_tensor(1.0 - decay, name="decay")
        if decay.dtype != variable.dtype.base_dtype:
            decay = math_ops.cast(decay, variable.dtype.base_dtype)
        if zero_debias:
            return _zero_debias(variable, value, decay)
        update = (variable - value) * decay
        if slot_creator.is_resource_variable(variable):
            # TF's state_ops.assign_sub drops the name for resource variables, and the result stands
            # for the AssignSubVariableOp (its unread-variable value) in control dependencies.
            return slot_creator.assign_sub(variable, update)
        return state_ops.assign_sub(variable, update, name=scope)


def _zero_debias(unbiased_var, value, decay):
    """TF's ``_zero_debias``: the debiased update of ``unbiased_var`` (``decay`` is ``1 - decay`` here)."""
    with vs.variable_scope(unbiased_var.name[: -len(":0")], values=[unbiased_var, value, decay]):
        with graph_lib.get_default_graph().control_dependencies(None):
            biased_initializer = init_ops.zeros_initializer()
            local_step_initializer = init_ops.zeros_initializer()

        def maybe_get_unique(name):
            scope = vs.get_variable_scope()
            if scope.reuse:
                return name
            vs_vars = [x.op.name for x in scope.global_variables()]
            full_name = scope.name + "/" + name
            if full_name not in vs_vars:
                return name
            idx = 1
            while full_name + f"_{idx}" in vs_vars:
                idx += 1
            return name + f"_{idx}"

        with graph_lib.colocate_with(unbiased_var):
            biased_var = vs.get_variable(
                maybe_get_unique("biased"),
                initializer=biased_initializer,
                shape=unbiased_var.get_shape(),
                dtype=unbiased_var.dtype.base_dtype,
                trainable=False,
            )
            local_step = vs.get_variable(
                maybe_get_unique("local_step"),
                shape=[],
                dtype=unbiased_var.dtype.base_dtype,
                initializer=local_step_initializer,
                trainable=False,
            )
    update_biased = state_ops.assign_sub(biased_var, (biased_var - value) * decay)
    update_local_step = local_step.assign_add(1)
    bias_factor = 1 - math_ops.pow(1.0 - decay, update_local_step)
    return state_ops.assign(
        unbiased_var, update_biased / bias_factor, name=graph_lib.get_default_graph().get_name_scope() + "/"
    )


class ExponentialMovingAverage:
    """Maintains moving averages of variables and tensors (TF1's ``tf.train.ExponentialMovingAverage``).

    Args:
      decay: the decay (float or scalar Tensor), e.g. 0.999.
      num_updates: optional step count; the decay used is ``min(decay, (1 + n) / (10 + n))``.
      zero_debias: debias averages of tensors (variables are never debiased).
      name: the name scope of the update ops and the shadow variables' suffix.
    """

    def __init__(self, decay, num_updates=None, zero_debias=False, name="ExponentialMovingAverage"):
        self._decay = decay
        self._num_updates = num_updates
        self._zero_debias = zero_debias
        self._name = name
        self._averages: dict = {}

    @property
    def name(self) -> str:
        return self._name

    def apply(self, var_list=None):
        """Creates the shadows of ``var_list`` (default: the trainable variables) and returns the op that
        updates them all.

        ``var_list`` may hold Tensors too: their averages start at zero (debiased with ``zero_debias``).

        Raises:
          TypeError: for a variable or tensor that is not half, float or double (TF's message).
        """
        if var_list is None:
            var_list = trainable_variables()
        var_list = list(var_list)
        zero_debias_true = set()
        for var in var_list:
            if var.dtype.base_dtype not in _FLOATS:
                raise TypeError(f"The variables must be half, float, or double: {var.name}")
            if id(var) in self._averages:
                continue
            # TF's init_scope: the shadow is created outside any control dependencies (apply is often called
            # under the train op's).
            with graph_lib.get_default_graph().control_dependencies(None):
                if isinstance(var, Variable):
                    with graph_lib.device(var.device or None):
                        initialized_value = cond(
                            is_variable_initialized(var), var.read_value, lambda var=var: var.initial_value
                        )
                    avg = slot_creator.create_slot(var, initialized_value, self.name)
                    graph_lib.add_to_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, var)
                else:
                    colocate = var.op.type in ("Variable", "VariableV2", "VarHandleOp")
                    avg = slot_creator.create_zeros_slot(var, self.name, colocate_with_primary=colocate)
                    if self._zero_debias:
                        zero_debias_true.add(id(avg))
            self._averages[id(var)] = (var, avg)
        with graph_lib.name_scope(self.name) as scope:
            decay = convert_to_tensor(self._decay, dtype=DType.float32, name="decay")
            if self._num_updates is not None:
                num_updates = math_ops.cast(self._num_updates, DType.float32, name="num_updates")
                decay = math_ops.minimum(decay, (1.0 + num_updates) / (10.0 + num_updates))
            updates = []
            for var in var_list:
                avg = self._averages[id(var)][1]
                updates.append(assign_moving_average(avg, var, decay, zero_debias=id(avg) in zero_debias_true))
            return control_flow_ops.group(*updates, name=scope)

    def average(self, var):
        """The shadow variable of ``var``, or None."""
        entry = self._averages.get(id(var))
        return entry[1] if entry is not None else None

    def average_name(self, var):
        """The name the shadow of ``var`` has (or would have): ``<var op name>/<name>``, made unique."""
        entry = self._averages.get(id(var))
        if entry is not None:
            return entry[1].name[: -len(":0")]
        return graph_lib.get_default_graph().unique_name(var.name[: -len(":0")] + "/" + self.name, mark_as_used=False)

    def variables_to_restore(self, moving_avg_variables=None):
        """``{checkpoint name: variable}`` restoring each moving-averaged variable from its shadow (and every
        other global variable from itself), for ``tf.train.Saver(ema.variables_to_restore())``."""
        name_map = {}
        if moving_avg_variables is None:
            moving_avg_variables = trainable_variables() + moving_average_variables()
        unique = list({id(v): v for v in moving_avg_variables}.values())
        for v in unique:
            name_map[self.average_name(v)] = v
        averaged_names = {v.name for v in unique}
        for v in global_variables():
            if v.name not in averaged_names and v.op.name not in name_map:
                name_map[v.op.name] = v
        return name_map
