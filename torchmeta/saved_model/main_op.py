"""``tf.compat.v1.saved_model.main_op``: the op a SavedModel runs after restoring (initializes the rest)."""

from __future__ import annotations

from torchmeta.api import control_flow_ops
from torchmeta.api.lookup_ops import tables_initializer
from torchmeta.api.variables import global_variables_initializer, local_variables_initializer
from torchmeta.framework import graph as graph_lib

__all__ = ["main_op", "main_op_with_restore"]


def main_op():
    """A group of the global and local variable initializers and the table initializers (TensorFlow's)."""
    return control_flow_ops.group(global_variables_initializer(), local_variables_initializer(), tables_initializer())


def main_op_with_restore(restore_op_name):
    """``main_op()`` then the op named ``restore_op_name``."""
    restore_op = graph_lib.get_default_graph().as_graph_element(restore_op_name)
    with graph_lib.control_dependencies([main_op()]):
        return control_flow_ops.group(restore_op)
