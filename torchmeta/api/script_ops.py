"""``tf.py_func`` / ``tf.numpy_function``: ops that call a Python function of this process on numpy arrays.

The function is kept in an in-process registry under the op's ``token`` attr, as TensorFlow does; a
graph saved to a file keeps only the token. torchmeta never loads code from files, so a PyFunc node of a
graph read from a file (or of a graph built by another process) has no function to call: running it
raises an error naming the node and this limit. Such graphs still load, inspect and export.
"""

from __future__ import annotations

import threading
import uuid
import weakref

from torchmeta import dtypes
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.op_def_library import apply_op

__all__ = ["py_func", "numpy_function", "eager_py_func", "FuncRegistry"]


class FuncRegistry:
    """Python functions reachable from PyFunc tokens, for the graphs that use them (weakly held)."""

    _lock = threading.Lock()
    _funcs: dict = {}
    _count = 0
    # Tokens carry this process's id, so a token written by another process (TensorFlow's "pyfunc_0", or
    # another torchmeta run's) never finds a function here.
    _process = uuid.uuid4().hex[:12]

    @classmethod
    def insert(cls, func, graph) -> str:
        with cls._lock:
            token = f"pyfunc_{cls._count}_{cls._process}"
            cls._count += 1
            cls._funcs[token] = func
        weakref.finalize(graph, cls._funcs.pop, token, None)
        return token

    @classmethod
    def get(cls, token):
        return cls._funcs.get(token.decode() if isinstance(token, bytes) else token)


def _internal_py_func(func, inp, Tout, stateful, name, op_type=None):
    if not callable(func):
        raise ValueError(f"Expected func to be callable. Received func={func} of type {type(func)}.")
    is_list = isinstance(Tout, (list, tuple))
    tout = [dtypes.as_dtype(t) for t in (Tout if is_list else [Tout])]
    inp = list(inp)
    # The function lives as long as the outermost graph: a function graph (a tf.data map, a cond branch) is
    # dropped once its FunctionDef is built, but its PyFunc nodes run in the outer graph's sessions (TF keeps
    # it in that graph's _py_funcs_used_in_graph).
    graph = graph_lib.get_default_graph()
    while getattr(graph, "outer_graph", None) is not None:
        graph = graph.outer_graph
    token = FuncRegistry.insert(func, graph)
    op_type = op_type or ("PyFunc" if stateful else "PyFuncStateless")
    op = apply_op(op_type, input=inp, token=token, Tout=tout, name=name)
    if not op.outputs:
        return op
    return list(op.outputs) if is_list else op.outputs[0]


def py_func(func, inp, Tout, stateful=True, name=None):
    """``tf.py_func``: an op calling ``func(*numpy arrays)`` and returning its results as ``Tout``.

    Args:
      func: called with one numpy array (numpy scalar for 0-d) per input; returns a value, or a list of
        values for a list ``Tout``, of exactly the ``Tout`` dtypes.
      inp: the input tensors (or values).
      Tout: a dtype (one output) or a list of dtypes.
      stateful: False builds PyFuncStateless (the function must have no side effects).
      name: the op's name.

    Returns:
      A Tensor for a single ``Tout``, else a list of Tensors (the Operation when there are no outputs).
      The outputs' static shapes are unknown.
    """
    return _internal_py_func(func, inp, Tout, stateful, name)


def numpy_function(func, inp, Tout, stateful=True, name=None):
    """``tf.numpy_function``: ``py_func`` (TF1 graphs build the same PyFunc op)."""
    return _internal_py_func(func, inp, Tout, stateful, name)


def eager_py_func(func, inp, Tout, name=None):
    """TF's ``script_ops.eager_py_func`` node (EagerPyFunc), for what TF builds with it (Dataset.from_generator's
    eager path). ``func`` is called as a PyFunc's function: on numpy values, with no eager TF in it; a
    ``variant`` output is a value the runtime carries as it is (a RaggedTensorVariant)."""
    return _internal_py_func(func, inp, Tout, True, name, op_type="EagerPyFunc")
