"""``tf.Variable`` and friends: variable creation, assignment and initialization functions."""

from __future__ import annotations

from torchmeta.api.variables import (
    RefVariable,
    ResourceVariable,
    Variable,
    VariableV1,
    all_variables,
    assert_variables_initialized,
    global_variables,
    global_variables_initializer,
    initialize_all_variables,
    initialize_local_variables,
    is_variable_initialized,
    local_variables,
    local_variables_initializer,
    model_variables,
    moving_average_variables,
    report_uninitialized_variables,
    trainable_variables,
    variable_creator_scope,
    variables_initializer,
)
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.op_def_library import raw_op

__all__ = [
    "Variable",
    "VariableV1",
    "RefVariable",
    "ResourceVariable",
    "assign",
    "assign_add",
    "assign_sub",
    "scatter_add",
    "scatter_nd_update",
    "scatter_nd_add",
    "scatter_nd_sub",
    "all_variables",
    "assert_variables_initialized",
    "global_variables",
    "global_variables_initializer",
    "initialize_all_variables",
    "initialize_local_variables",
    "is_variable_initialized",
    "local_variables",
    "local_variables_initializer",
    "model_variables",
    "moving_average_variables",
    "report_uninitialized_variables",
    "trainable_variables",
    "variables_initializer",
    "variable_creator_scope",
    "scatter_update",
    "scatter_sub",
    "scatter_mul",
    "scatter_div",
    "scatter_min",
    "scatter_max",
    "count_up_to",
    "initialize_variables",
]


def _assign(op_type, ref, value, use_locking, name, extra=None):
    if isinstance(ref, Variable):
        method = {"Assign": ref.assign, "AssignAdd": ref.assign_add, "AssignSub": ref.assign_sub}[op_type]
        return method(value, use_locking=use_locking, name=name)
    kwargs = dict(extra or {})
    return raw_op(op_type, ref=ref, value=value, use_locking=use_locking, name=name, **kwargs)


def assign(ref, value, validate_shape=None, use_locking=None, name=None):
    """``tf.assign``: stores ``value`` in ``ref`` (a ref Variable or ref tensor)."""
    if isinstance(ref, Variable) and validate_shape is None:
        if use_locking is None and not ref._is_resource:
            use_locking = True  # tf.assign on a ref variable is an Assign op with the OpDef's default
        return ref.assign(value, use_locking=bool(use_locking), name=name)
    extra = {} if validate_shape is None else {"validate_shape": validate_shape}
    ref_t = graph_lib.convert_to_tensor(ref, as_ref=True)
    return raw_op("Assign", ref=ref_t, value=value, use_locking=use_locking, name=name, **extra)


def assign_add(ref, value, use_locking=None, name=None):
    """``tf.assign_add``."""
    return _assign("AssignAdd", ref, value, use_locking, name)


def assign_sub(ref, value, use_locking=None, name=None):
    """``tf.assign_sub``."""
    return _assign("AssignSub", ref, value, use_locking, name)


def _scatter(op_type, ref, indices, updates, use_locking, name):
    """TF's state_ops.scatter_*: the ref op (``Scatter*``) on a ref variable or ref tensor; on a resource
    variable ``ResourceScatter*`` on its handle, then the variable's value read after it (the graph element
    of TF's ``_lazy_read``: a ReadVariableOp with a control dependency on the scatter)."""
    if isinstance(ref, Variable) and ref._is_resource:
        updates = graph_lib.convert_to_tensor(updates, dtype=ref.dtype.base_dtype)
        update = raw_op("Resource" + op_type, resource=ref.handle, indices=indices, updates=updates, name=name)
        with graph_lib.control_dependencies([update]):
            return ref._read_variable_op()
    ref_t = ref._ref() if isinstance(ref, Variable) else ref
    return raw_op(op_type, ref=ref_t, indices=indices, updates=updates, use_locking=use_locking, name=name)


def scatter_update(ref, indices, updates, use_locking=True, name=None):
    """``tf.scatter_update``: ``ref[indices] = updates`` (rows of the first dimension)."""
    return _scatter("ScatterUpdate", ref, indices, updates, use_locking, name)


def scatter_add(ref, indices, updates, use_locking=False, name=None):
    """``tf.scatter_add``: ``ref[indices] += updates`` (repeated indices add up)."""
    return _scatter("ScatterAdd", ref, indices, updates, use_locking, name)


def scatter_sub(ref, indices, updates, use_locking=False, name=None):
    """``tf.scatter_sub``: ``ref[indices] -= updates`` (repeated indices add up)."""
    return _scatter("ScatterSub", ref, indices, updates, use_locking, name)


def _scatter_nd(op_type, ref, indices, updates, use_locking, name):
    """TF's state_ops.scatter_nd_*: the ref op on a ref variable; on a resource variable the Resource op
    followed by a ReadVariableOp that depends on it (``_lazy_read``).

    TF passes ``name`` positionally into the ref op's ``bad_indices_policy`` attr (the generated function's
    fifth parameter), so a named call builds a default-named node whose kernel rejects the policy; the
    same graph is built here."""
    if isinstance(ref, Variable) and ref._is_resource:
        updates = graph_lib.convert_to_tensor(updates, dtype=ref.dtype.base_dtype)
        update = raw_op("Resource" + op_type, ref=ref.handle, indices=indices, updates=updates, name=name)
        with graph_lib.control_dependencies([update]):
            return ref._read_variable_op()
    ref_t = ref._ref() if isinstance(ref, Variable) else ref
    return raw_op(
        op_type, ref=ref_t, indices=indices, updates=updates, use_locking=use_locking, bad_indices_policy=name or ""
    )


def scatter_mul(ref, indices, updates, use_locking=False, name=None):
    """``tf.scatter_mul``: ``ref[indices] *= updates`` (repeated indices multiply in turn)."""
    return _scatter("ScatterMul", ref, indices, updates, use_locking, name)


def scatter_div(ref, indices, updates, use_locking=False, name=None):
    """``tf.scatter_div``: ``ref[indices] /= updates`` (repeated indices divide in turn)."""
    return _scatter("ScatterDiv", ref, indices, updates, use_locking, name)


def scatter_min(ref, indices, updates, use_locking=False, name=None):
    """``tf.scatter_min``: ``ref[indices] = min(ref[indices], updates)``."""
    return _scatter("ScatterMin", ref, indices, updates, use_locking, name)


def scatter_max(ref, indices, updates, use_locking=False, name=None):
    """``tf.scatter_max``: ``ref[indices] = max(ref[indices], updates)``."""
    return _scatter("ScatterMax", ref, indices, updates, use_locking, name)


def count_up_to(ref, limit, name=None):
    """``tf.count_up_to``: the value before incrementing ``ref``; OutOfRangeError once it reached ``limit``
    (CountUpTo on a ref variable, ResourceCountUpTo on a resource variable's handle)."""
    if isinstance(ref, Variable) and ref._is_resource:
        return raw_op("ResourceCountUpTo", resource=ref.handle, limit=limit, T=ref.dtype.base_dtype, name=name)
    ref_t = ref._ref() if isinstance(ref, Variable) else ref
    return raw_op("CountUpTo", ref=ref_t, limit=limit, name=name)


def initialize_variables(var_list, name="init"):
    """``tf.initialize_variables``: TF's deprecated name of ``variables_initializer``."""
    return variables_initializer(var_list, name=name)


def scatter_nd_update(ref, indices, updates, use_locking=True, name=None):
    """``tf.scatter_nd_update``: replaces the slices of ``ref`` at ``indices`` (N-d indices)."""
    return _scatter_nd("ScatterNdUpdate", ref, indices, updates, use_locking, name)


def scatter_nd_add(ref, indices, updates, use_locking=False, name=None):
    """``tf.scatter_nd_add``: adds ``updates`` to the slices of ``ref`` at ``indices``."""
    return _scatter_nd("ScatterNdAdd", ref, indices, updates, use_locking, name)


def scatter_nd_sub(ref, indices, updates, use_locking=False, name=None):
    """``tf.scatter_nd_sub``: subtracts ``updates`` from the slices of ``ref`` at ``indices``."""
    return _scatter_nd("ScatterNdSub", ref, indices, updates, use_locking, name)
