"""State ops: ref variables (VariableV2, Assign...) and resource variables (VarHandleOp, ReadVariableOp...).

Both kinds live in a per-session ``VariableSlot`` (torchmeta.runtime.state). A ref-typed or
resource-typed graph value *is* that slot, so these kernels update it. Ref variables follow TF's
in-place semantics (an Assign of the same shape writes into the existing buffer, so reads alias it);
resource variables follow TF's copy-on-write semantics (an assignment stores a new tensor, so values
read earlier keep their contents).
"""

from __future__ import annotations

import torch

from torchmeta import errors
from torchmeta.api import array_ops
from torchmeta.framework import common_shapes
from torchmeta.framework.common_shapes import merge_shapes
from torchmeta.framework.indexed_slices import IndexedSlices
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import update_lock

_NUMBER_TYPES = (
    "{float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, "
    "uint16, complex128, half, uint32, uint64}"
)

# ---------------------------------------------------------------------------------------------
# Ref variables


# VariableV2 is lowered from the environment (the session's slot); the kernel is never called.
@register_op(
    "VariableV2",
    outputs=["ref: Ref(dtype)"],
    attrs=["shape: shape", "dtype: type", 'container: string = ""', 'shared_name: string = ""'],
    shape=common_shapes.from_attr("shape"),
    stateful=True,
)
def variable_v2():
    raise AssertionError("VariableV2 nodes are lowered to session slots")


def _ref_shape(op):
    return [op.inputs[0].shape]


def _assign_shape(op):
    ref, value = op.inputs[0].shape, op.inputs[1].shape
    return [ref.merge_with(value) if op.get_attr("validate_shape") else value]


@register_op(
    "Assign",
    inputs=["ref: Ref(T)", "value: T"],
    outputs=["output_ref: Ref(T)"],
    attrs=["T: type", "validate_shape: bool = true", "use_locking: bool = true"],
    shape=_assign_shape,
    allows_uninitialized_input=True,
)
def assign(ref, value, validate_shape):
    ref.assign(value, validate_shape)
    return ref


def _current_of_same_shape(ref, value):
    current = ref.read()
    if current.shape != value.shape:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"Must have the same number of elements. lhs shape= {list(current.shape)} rhs shape= {list(value.shape)}",
        )
    return current


@register_op(
    "AssignAdd",
    inputs=["ref: Ref(T)", "value: T"],
    outputs=["output_ref: Ref(T)"],
    attrs=[f"T: {_NUMBER_TYPES}", "use_locking: bool = false"],
    shape=_ref_shape,
)
def assign_add(ref, value):
    """Atomic whatever ``use_locking`` says (TF's unlocked increment can lose updates between threads)."""
    with update_lock(ref):
        _current_of_same_shape(ref, value).add_(value)
    return ref


@register_op(
    "AssignSub",
    inputs=["ref: Ref(T)", "value: T"],
    outputs=["output_ref: Ref(T)"],
    attrs=[f"T: {_NUMBER_TYPES}", "use_locking: bool = false"],
    shape=_ref_shape,
)
def assign_sub(ref, value):
    """Atomic, as AssignAdd."""
    with update_lock(ref):
        _current_of_same_shape(ref, value).sub_(value)
    return ref


@register_op(
    "IsVariableInitialized",
    inputs=["ref: Ref(dtype)"],
    outputs=["is_initialized: bool"],
    attrs=["dtype: type"],
    shape=common_shapes.scalar,
    allows_uninitialized_input=True,
)
def is_variable_initialized(ref):
    return torch.tensor(ref.value is not None)


def _count_up_to(slot, limit):
    with slot.lock:
        current = slot.read()
        if int(current) >= limit:
            raise errors.OutOfRangeError(None, None, f"Reached limit of {limit}")
        old = current.clone()
        current.add_(1)
    return old


@register_op(
    "CountUpTo",
    inputs=["ref: Ref(T)"],
    outputs=["output: T"],
    attrs=["limit: int", "T: {int32, int64}"],
    shape=common_shapes.unchanged,
)
def count_up_to(ref, limit):
    """The value before an atomic increment; OutOfRangeError once it reached ``limit`` (TF's epoch counter)."""
    return _count_up_to(ref, limit)


@register_op(
    "ResourceCountUpTo",
    inputs=["resource: resource"],
    outputs=["output: T"],
    attrs=["limit: int", "T: {int32, int64}"],
    shape=common_shapes.scalar,
    stateful=True,
)
def resource_count_up_to(resource, limit):
    """ResourceCountUpTo: CountUpTo of a resource variable (copy-on-write: a new tensor is stored)."""
    with resource.lock:
        current = resource.read()
        if int(current) >= limit:
            raise errors.OutOfRangeError(None, None, f"Reached limit of {limit}")
        resource.replace(current + 1)
    return current


no_registered_gradient("CountUpTo", "ResourceCountUpTo")


# ---------------------------------------------------------------------------------------------
# Resource variables


# VarHandleOp is lowered from the environment (the session's slot); the kernel is never called.
@register_op(
    "VarHandleOp",
    outputs=["resource: resource"],
    attrs=[
        'container: string = ""',
        'shared_name: string = ""',
        'debug_name: string = ""',
        "dtype: type",
        "shape: shape",
        "allowed_devices: list(string) = []",
    ],
    shape=common_shapes.scalar,
    stateful=True,
)
def var_handle_op():
    raise AssertionError("VarHandleOp nodes are lowered to session slots")


def _handle_shape(op):
    return [common_shapes.resource_handle_shape(op.inputs[0])]


@register_op(
    "ReadVariableOp",
    inputs=["resource: resource"],
    outputs=["value: dtype"],
    attrs=["dtype: type"],
    shape=_handle_shape,
    stateful=True,
    aliases_input=True,
)
def read_variable_op(resource):
    return resource.read_variable()


def _assign_variable_shape(op):
    """TF checks a resource assignment's static shape against the variable's when both are known."""
    handle, value = _handle_shape(op)[0], op.inputs[1].shape
    if handle.rank is None or value.rank is None or handle.is_compatible_with(value):
        return []
    merge_shapes(op, handle, value)
    return []


@register_op(
    "AssignVariableOp",
    inputs=["resource: resource", "value: dtype"],
    attrs=["dtype: type", "validate_shape: bool = false"],
    shape=_assign_variable_shape,
    stateful=True,
)
def assign_variable_op(resource, value, validate_shape):
    current = resource.value
    if validate_shape and current is not None and current.shape != value.shape:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"Trying to assign to variable with tensor with wrong shape. Expected {list(current.shape)} got "
            f"{list(value.shape)}",
        )
    resource.replace(value)


@register_op(
    "AssignAddVariableOp",
    inputs=["resource: resource", "value: dtype"],
    attrs=["dtype: type"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def assign_add_variable_op(resource, value):
    """Atomic (a read, an add and a store under the variable's lock)."""
    with update_lock(resource):
        resource.value = _resource_update_check(resource, value) + value


@register_op(
    "AssignSubVariableOp",
    inputs=["resource: resource", "value: dtype"],
    attrs=["dtype: type"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def assign_sub_variable_op(resource, value):
    """Atomic, as AssignAddVariableOp."""
    with update_lock(resource):
        resource.value = _resource_update_check(resource, value) - value


def _resource_update_check(resource, value):
    current = resource.read()
    if current.shape != value.shape:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"Cannot update variable with shape {list(current.shape)} using a Tensor with shape "
            f"{list(value.shape)}, shapes must be equal.",
        )
    return current


@register_op(
    "VarIsInitializedOp",
    inputs=["resource: resource"],
    outputs=["is_initialized: bool"],
    shape=common_shapes.scalar,
    stateful=True,
)
def var_is_initialized_op(resource):
    return torch.tensor(resource.value is not None)


@register_op(
    "DestroyResourceOp",
    inputs=["resource: resource"],
    attrs=["ignore_lookup_error: bool = true"],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def destroy_resource_op(resource, ignore_lookup_error):
    if resource.value is None and not ignore_lookup_error:
        # TF names the resource by container/name/type; the type of a destroyed resource is unknown.
        raise errors.NotFoundError(None, None, f"Resource localhost/{resource.name}/<unknown> does not exist.")
    if resource.value is not None and getattr(resource, "container", None) is not None:
        resource.container.keep()
    resource.value = None


def _resource_gather_shape(op):
    params = _handle_shape(op)[0]
    indices = op.inputs[1].shape
    batch_dims = op.get_attr("batch_dims")
    if params.rank is None or indices.rank is None:
        return [TensorShape(None)]
    return [indices.concatenate(params[batch_dims + 1 :])]


@register_op(
    "ResourceGather",
    inputs=["resource: resource", "indices: Tindices"],
    outputs=["output: dtype"],
    attrs=["batch_dims: int = 0", "validate_indices: bool = true", "dtype: type", "Tindices: {int32, int64}"],
    shape=_resource_gather_shape,
    stateful=True,
)
def resource_gather(resource, indices, batch_dims):
    params = resource.read()
    if batch_dims:
        raise errors.UnimplementedError(None, None, "ResourceGather with batch_dims > 0 is not supported yet")
    rows = params.shape[0] if params.dim() else 0
    flat = indices.reshape(-1).long()
    bad = ((flat < 0) | (flat >= rows)).nonzero()
    if bad.numel():
        i = int(bad[0])
        raise errors.InvalidArgumentError(None, None, f"indices[{i}] = {int(flat[i])} is not in [0, {rows})")
    return params.index_select(0, flat).reshape(*indices.shape, *params.shape[1:])


def _variable_shape_shape(op):
    return [TensorShape([_handle_shape(op)[0].rank])]


@register_op(
    "VariableShape",
    inputs=["input: resource"],
    outputs=["output: out_type"],
    attrs=["out_type: {int32, int64} = DT_INT32"],
    shape=_variable_shape_shape,
    stateful=True,
)
def variable_shape(input, out_type):
    return torch.tensor(list(input.read().shape), dtype=out_type.torch)


@register_gradient("ResourceGather")
def _resource_gather_grad(op, grad):
    handle, indices = op.inputs
    known = _handle_shape(op)[0]
    # TF's variable_shape(): a constant when the variable's shape is static.
    params_shape = (
        array_ops.constant(known.as_list()) if known.is_fully_defined() else raw_op("VariableShape", input=handle)
    )
    size = array_ops.expand_dims(array_ops.size(indices), 0)
    values_shape = array_ops.concat([size, params_shape[1:]], 0)
    values = array_ops.reshape(grad, values_shape)
    indices = array_ops.reshape(indices, size)
    return [IndexedSlices(values, indices, params_shape), None]


not_differentiable("VariableShape", "Assign", "AssignAdd", "AssignSub", "VarIsInitializedOp")
# TensorFlow registers no gradient for these: tf.gradients through them raises LookupError.
no_registered_gradient(
    "VariableV2",
    "IsVariableInitialized",
    "VarHandleOp",
    "AssignVariableOp",
    "AssignAddVariableOp",
    "AssignSubVariableOp",
    "DestroyResourceOp",
)


@register_gradient("ReadVariableOp")
def _read_grad(op, grad):
    return [grad]
