"""Global step helpers: ``tf.train.get_or_create_global_step`` and friends."""

from __future__ import annotations

from torchmeta.api import init_ops, variable_scope
from torchmeta.api.cond import cond
from torchmeta.api.variables import Variable, is_variable_initialized
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import GraphKeys, Tensor
from torchmeta.platform import tf_logging as _log  # TF logs these through the 'tensorflow' logger

__all__ = [
    "global_step",
    "get_global_step",
    "create_global_step",
    "get_or_create_global_step",
    "assert_global_step",
    "get_or_create_global_step_read",
]


def global_step(sess, global_step_tensor) -> int:
    """The value of ``global_step_tensor`` (a Variable, Tensor or name) as a Python int."""
    return int(sess.run(global_step_tensor))


def assert_global_step(global_step_tensor) -> None:
    """Raises TypeError unless ``global_step_tensor`` is an integer scalar Variable or Tensor."""
    if not isinstance(global_step_tensor, (Variable, Tensor)):
        raise TypeError(f'Existing "global_step" must be a Variable or Tensor: {global_step_tensor}.')
    if not global_step_tensor.dtype.base_dtype.is_integer:
        raise TypeError(f'Existing "global_step" does not have integer type: {global_step_tensor.dtype}')
    shape = global_step_tensor.get_shape()
    if shape.rank != 0 and shape.is_fully_defined():
        raise TypeError(f'Existing "global_step" is not scalar: {shape}')


def get_global_step(graph=None):
    """The global step variable of ``graph`` (its ``global_step`` collection, or ``global_step:0``), or None."""
    graph = graph or graph_lib.get_default_graph()
    tensors = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if len(tensors) == 1:
        step = tensors[0]
    elif not tensors:
        try:
            step = graph.get_tensor_by_name("global_step:0")
        except KeyError:
            return None
    else:
        _log.error("Multiple tensors in global_step collection.")
        return None
    assert_global_step(step)
    return step


def create_global_step(graph=None):
    """Creates the int64 ``global_step`` variable (``tf.get_variable``, zeros, not trainable) as TF does.

    Raises:
      ValueError: if the graph already has one.
    """
    graph = graph or graph_lib.get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError('"global_step" already exists.')
    with graph.as_default(), graph.name_scope(None):
        return variable_scope.get_variable(
            GraphKeys.GLOBAL_STEP,
            shape=[],
            dtype=DType.int64,
            initializer=init_ops.zeros_initializer(),
            trainable=False,
            aggregation=variable_scope.VariableAggregation.ONLY_FIRST_REPLICA,
            collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP],
        )


def get_or_create_global_step(graph=None):
    """The graph's global step, created first if it has none."""
    graph = graph or graph_lib.get_default_graph()
    step = get_global_step(graph)
    return step if step is not None else create_global_step(graph)


GLOBAL_STEP_READ_KEY = "global_step_read_op_cache"


def _get_global_step_read(graph=None):
    graph = graph or graph_lib.get_default_graph()
    tensors = graph.get_collection(GLOBAL_STEP_READ_KEY)
    if len(tensors) > 1:
        raise RuntimeError(f"There are multiple items in collection {GLOBAL_STEP_READ_KEY}. There should be only one.")
    return tensors[0] if tensors else None


def get_or_create_global_step_read(graph=None):
    """A Tensor copying the global step's value (``global_step/add``), made once per graph, as hooks use.

    The variable is read through TF's ``tf.cond(is_variable_initialized, read_value, initial_value)``
    before adding 0, so the tensor can run before the variables are initialized. None when the graph
    has no global step.
    """
    graph = graph or graph_lib.get_default_graph()
    read = _get_global_step_read(graph)
    if read is not None:
        return read
    step = get_global_step(graph)
    if step is None:
        return None
    with graph.as_default(), graph.name_scope(None), graph.name_scope(step.op.name + "/"):
        if isinstance(step, Variable):
            value = cond(is_variable_initialized(step), step.read_value, lambda: step.initial_value)
        else:
            value = step
        read = value + 0
        graph.add_to_collection(GLOBAL_STEP_READ_KEY, read)
    return _get_global_step_read(graph)
