"""``tf.train.ExponentialMovingAverage``: shadow variables updated as ``shadow -= (1 - decay) * (shadow - var)``.

The shadow of ``w`` is the slot variable ``w/ExponentialMovingAverage`` (a non-trainable global variable
created as TF's slot_creator creates it), so checkpoints interchange with TensorFlow's: a TF program's
``variables_to_restore()`` map loads shadows written here into its model variables, and the reverse.
``apply`` builds TF's update graph (``ExponentialMovingAverage/AssignMovingAvg*``, the ``num_updates``
cap ``min(decay, (1 + n) / (10 + n))``, one ``group`` named after the object).

One difference until tf.cond exists here: TensorFlow initializes a shadow with
``cond(is_variable_initialized(var), var.read_value, var.initial_value)``; torchmeta initializes it
with ``var.initial_value``, which is the same value whenever the variables are initialized together
(``global_variables_initializer``), but not when a shadow is added for an already trained variable.
Moving averages of tensors (not variables), whose zero-debiasing needs ``tf.variable_scope``, are not
supported yet either.
"""

from __future__ import annotations

from torchmeta import errors
from torchmeta.api import control_flow_ops, math_ops, state_ops
from torchmeta.api.variables import Variable, global_variables, moving_average_variables, trainable_variables
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import GraphKeys, convert_to_tensor
from torchmeta.train import optimizer as slot_creator

__all__ = ["ExponentialMovingAverage", "assign_moving_average"]

_FLOATS = (DType.bfloat16, DType.float16, DType.float32, DType.float64)


def assign_moving_average(variable, value, decay, zero_debias=True, name=None):
    """``variable -= (1 - decay) * (variable - value)`` (TF's AssignMovingAvg); returns the updated value.

    Raises:
      UnimplementedError: for ``zero_debias=True`` (its bias-correction variables need tf.variable_scope).
    """
    with graph_lib.name_scope(name, "AssignMovingAvg", [variable, value, decay]) as scope:
        decay = convert_to_tensor(1.0 - decay, name="decay")
        if decay.dtype != variable.dtype.base_dtype:
            decay = math_ops.cast(decay, variable.dtype.base_dtype)
        if zero_debias:
            raise errors.UnimplementedError(
                None,
                None,
                f"assign_moving_average({variable.name}): zero_debias=True needs tf.variable_scope, which "
                "torchmeta does not have yet; pass zero_debias=False",
            )
        with graph_lib.colocate_with(variable):
            update = (variable - value) * decay
            if slot_creator.is_resource_variable(variable):
                # TF's state_ops.assign_sub drops the name for resource variables, and the result stands
                # for the AssignSubVariableOp (its unread-variable value) in control dependencies.
                return slot_creator.assign_sub(variable, update)
            return state_ops.assign_sub(variable, update, name=scope)


class ExponentialMovingAverage:
    """Maintains moving averages of variables (TF1's ``tf.train.ExponentialMovingAverage``).

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

        Raises:
          TypeError: for a variable that is not half, float or double (TF's message).
          UnimplementedError: for a Tensor (moving averages of tensors are not supported yet).
        """
        if var_list is None:
            var_list = trainable_variables()
        var_list = list(var_list)
        for var in var_list:
            if var.dtype.base_dtype not in _FLOATS:
                raise TypeError(f"The variables must be half, float, or double: {var.name}")
            if id(var) in self._averages:
                continue
            if not isinstance(var, Variable):
                raise errors.UnimplementedError(
                    None,
                    None,
                    f"ExponentialMovingAverage.apply({var.name}): moving averages of tensors are not supported "
                    "yet (only of variables)",
                )
            # TF's init_scope: the shadow is created outside any control dependencies (apply is often called
            # under the train op's).
            with graph_lib.get_default_graph().control_dependencies(None):
                with graph_lib.device(var.device or None):
                    initialized_value = var.initial_value
                avg = slot_creator.create_slot(var, initialized_value, self.name)
            graph_lib.add_to_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, var)
            self._averages[id(var)] = (var, avg)
        with graph_lib.name_scope(self.name) as scope:
            decay = convert_to_tensor(self._decay, dtype=DType.float32, name="decay")
            if self._num_updates is not None:
                num_updates = math_ops.cast(self._num_updates, DType.float32, name="num_updates")
                decay = math_ops.minimum(decay, (1.0 + num_updates) / (10.0 + num_updates))
            updates = [
                assign_moving_average(self._averages[id(var)][1], var, decay, zero_debias=False) for var in var_list
            ]
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
