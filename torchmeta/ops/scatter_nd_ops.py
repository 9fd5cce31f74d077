"""N-d scatters into a tensor (TensorScatterUpdate/Add/Sub/Min/Max, ScatterNdNonAliasingAdd) and into
variables (ScatterNdUpdate/Add/Sub/Min/Max on ref variables, ResourceScatterNd* on resource variables).

The kernels follow TF's ``scatter_nd_op.cc``: ``TensorScatterOp``'s own shape checks, then
``PrepareAndValidateInputs`` / ``ValidateScatterNdUpdateShape`` (``scatter_nd_util.cc``) and the CPU
functor's sequential loop, which applies the updates in order (the last of repeated indices wins for
an update), skips out-of-range indices and reports the last one (``bad_indices_policy="IGNORE"``: silently). The
gradients mirror TF's ``array_grad.py``; the variable forms are not differentiable (``state_grad.py``).
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta.api import array_ops, math_ops
from torchmeta.framework import common_shapes
from torchmeta.framework.common_shapes import format_dims, format_shape, shape_error, with_rank_at_least
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.array_index_ops import linear_index, valid_empty_output
from torchmeta.ops.common import NUMBER_TYPES, invalid, is_np

_BAD_INDICES_POLICY = 'bad_indices_policy: string = ""'
_TINDICES = "Tindices: {int32, int64}"


# ---------------------------------------------------------------------------------------------
# Shape function: TF's ScatterNdShapeHelper


def _subshape(shape: TensorShape, start: int, end: int | None = None) -> TensorShape:
    """TF's InferenceContext::Subshape for a known rank: ``start``/``end`` clamped to the rank."""
    dims = shape.as_tuple()
    rank = len(dims)
    start = min(start, rank)
    end = rank if end is None else min(end, rank)
    return TensorShape(list(dims[start:end]))


def _merge_message(a: TensorShape, b: TensorShape) -> str | None:
    """TF's Merge status message for two shapes of known rank, None when they merge."""
    if a.rank != b.rank:
        return f"Shapes must be equal rank, but are {a.rank} and {b.rank}"
    for i, (x, y) in enumerate(zip(a.as_tuple(), b.as_tuple())):
        if x is not None and y is not None and x != y:
            return (
                f"Dimension {i} in both shapes must be equal, but are {x} and {y}. Shapes are "
                f"{format_shape(a)} and {format_shape(b)}."
            )
    return None


def _num_elements(shape: TensorShape):
    if shape.rank is None or any(d is None for d in shape.as_tuple()):
        return None
    return int(np.prod(shape.as_tuple(), dtype=np.int64))


def _scatter_nd_shape_helper(op, indices: TensorShape, updates: TensorShape, output: TensorShape):
    """Validates what is known of indices/updates against the output shape (ScatterNdShapeHelper)."""
    if _num_elements(output) == 0 and ((_num_elements(indices) or 0) > 0 or (_num_elements(updates) or 0) > 0):
        raise shape_error(op, "Indices and updates specified for empty input")
    if indices.rank is None or updates.rank is None or updates.rank == 0:
        return
    outer_dims = indices.rank - 1
    ix = indices.as_tuple()[-1] if indices.rank else None
    if ix is None:
        return
    prefix_indices = _subshape(indices, 0, outer_dims)
    prefix_updates = _subshape(updates, 0, outer_dims)
    message = _merge_message(prefix_indices, prefix_updates)
    if message:
        raise shape_error(
            op,
            f"Dimensions [0,{outer_dims}) of indices[shape={format_shape(indices)}] = {format_shape(prefix_indices)} "
            f"must match dimensions [0,{outer_dims}) of updates[shape={format_shape(updates)}] = "
            f"{format_shape(prefix_updates)}: {message}",
        )
    if output.rank is None:
        return
    suffix_output = _subshape(output, ix)
    suffix_updates = _subshape(updates, outer_dims)
    message = _merge_message(suffix_output, suffix_updates)
    if message:
        raise shape_error(
            op,
            f"Dimensions [{ix},{output.rank}) of input[shape={format_shape(output)}] = {format_shape(suffix_output)} "
            f"must match dimensions [{outer_dims},{updates.rank}) of updates[shape={format_shape(updates)}] = "
            f"{format_shape(suffix_updates)}: {message}",
        )


def _tensor_scatter_shape(op):
    """ScatterNdTensorShape: the output has the input tensor's shape."""
    output = with_rank_at_least(op, op.inputs[0].shape, 1)
    indices = with_rank_at_least(op, op.inputs[1].shape, 1)
    # TF leaves a scalar ``updates`` to the kernel here (the variable forms refuse it).
    _scatter_nd_shape_helper(op, indices, op.inputs[2].shape, output)
    return [output]


def _variable_scatter_shape(op):
    """ScatterNdUpdateShape: the variable's shape (a resource handle's traced shape) checked against the
    indices and updates; the ref forms output the ref."""
    ref = op.inputs[0]
    shape = common_shapes.resource_handle_shape(ref) if ref.dtype.base_dtype.name == "resource" else ref.shape
    indices = with_rank_at_least(op, op.inputs[1].shape, 1)
    updates = with_rank_at_least(op, op.inputs[2].shape, 1)
    _scatter_nd_shape_helper(op, indices, updates, shape)
    return [ref.shape] if op.outputs else []


# ---------------------------------------------------------------------------------------------
# Kernels


def _check_policy(bad_indices_policy: str) -> None:
    """TF's BadIndicesPolicyFromString (checked when the kernel is built)."""
    if bad_indices_policy not in ("", "DEFAULT", "ERROR", "IGNORE"):
        raise invalid(f"Unknown bad indices handling attribute: {bad_indices_policy}")


def _dim0(t) -> int:
    """``dim_size(0)`` (TF reads past a scalar's shape there; a scalar counts as 1 here)."""
    return t.shape[0] if len(t.shape) else 1


def _prepare_and_validate(params_shape, indices, updates):
    """TF's PrepareAndValidateInputs + ValidateScatterNdUpdateShape; returns the slice dim."""
    params_shape = tuple(params_shape)
    if len(params_shape) < 1:
        raise invalid("Output must be at least 1-D, got shape: []")
    n_params = int(np.prod(params_shape, dtype=np.int64))
    n_indices = int(np.prod(tuple(indices.shape), dtype=np.int64))
    n_updates = int(np.prod(tuple(updates.shape), dtype=np.int64))
    if not valid_empty_output(n_params, n_indices, n_updates):
        raise invalid(f"Indices and updates specified for empty output.  indices shape: {format_dims(indices.shape)}")
    if _dim0(updates) != _dim0(indices):
        raise invalid(
            f"Dimensions [0,1) of indices[shape={format_dims(indices.shape)}] = {_dim0(indices)} must match "
            f"dimensions [0,1) of updates[shape={format_dims(updates.shape)}] = {_dim0(updates)}"
        )
    i_shape, u_shape = tuple(indices.shape), tuple(updates.shape)
    slice_dim = i_shape[-1] if len(i_shape) > 1 else 1
    batch_dim = len(i_shape) - 1 if len(i_shape) > 1 else 1
    prefix_error = invalid(
        f"Dimensions [0,{batch_dim}) of indices[shape={format_dims(i_shape)}] must match dimensions "
        f"[0,{batch_dim}) of updates[shape={format_dims(u_shape)}]"
    )
    suffix_error = invalid(
        f"Dimensions [{slice_dim},{len(params_shape)}) of input[shape={format_dims(params_shape)}] must match "
        f"dimensions [{slice_dim},{len(u_shape)}) of updates[shape={format_dims(u_shape)}]"
    )
    if len(u_shape) < batch_dim:
        raise prefix_error
    if len(params_shape) < slice_dim + (len(u_shape) - batch_dim):
        raise suffix_error
    if len(u_shape) != batch_dim + len(params_shape) - slice_dim:
        raise suffix_error
    if u_shape[:batch_dim] != i_shape[:batch_dim]:
        raise prefix_error
    if u_shape[batch_dim:] != params_shape[slice_dim:]:
        raise suffix_error
    if slice_dim > 7:
        raise invalid(
            f"Only indices.shape[-1] values between 1 and 7 are currently supported.  Requested rank: {slice_dim}"
        )
    return slice_dim


def _slice_debug(shape, flat_index: int) -> str:
    """TF's SliceDebugString: ``[i,j]`` for the position of a flat index in ``shape``."""
    coords = []
    for d in reversed(shape):
        coords.append(flat_index % d)
        flat_index //= d
    return "[" + ",".join(str(c) for c in reversed(coords)) + "]"


def _combine(mode, current, rows):
    """One update of TF's functor applied to the slices ``current`` (rows of distinct slots)."""
    if mode == "update":
        return rows
    if mode == "add":
        return current + rows
    if mode == "sub":
        return current - rows
    # Eigen's cwiseMin/cwiseMax keep the current value unless the update compares strictly smaller/larger,
    # so a NaN already there stays and a NaN update is skipped.
    better = rows < current if mode == "min" else rows > current
    return torch.where(better, rows, current)


def _apply(params, indices, updates, slice_dim, mode, bad_indices_policy):
    """``params`` (flattened to [slots, ...] rows) after TF's sequential scatter loop. Returns
    (new params, the message of the first bad index or None)."""
    shape = tuple(params.shape)
    k = slice_dim
    idx = indices.reshape(-1, k) if indices.dim() > 1 else indices.reshape(-1, 1)
    n_slots = int(np.prod(shape[:k], dtype=np.int64))
    lin, bad = linear_index(idx, list(shape[:k]), "", "shape")
    rows = updates.reshape(idx.shape[0], *shape[k:])
    error = None
    if bad is not None and bool(bad.any()):
        # TF's loop skips a bad index, goes on and reports the last one (unless the policy is IGNORE).
        keep = ~bad
        if bad_indices_policy != "IGNORE":
            last = int(torch.nonzero(bad)[-1])
            batch = tuple(indices.shape[:-1]) if indices.dim() > 1 else tuple(indices.shape)
            vals = ", ".join(str(int(v)) for v in idx[last].tolist())
            error = f"indices{_slice_debug(batch, last)} = [{vals}] does not index into shape {format_dims(shape)}"
        lin, rows = lin[keep], rows[keep.cpu().numpy() if is_np(rows) else keep]
    flat = params.reshape(n_slots, *shape[k:])
    if is_np(flat):  # strings: only TensorScatterUpdate has a kernel for them
        flat = flat.copy()
        for i, slot in enumerate(lin.tolist()):
            flat[slot] = rows[i]
        return flat.reshape(shape), error
    flat = flat.clone()
    # The loop runs in order; rounds of distinct slots give the same result (each slot sees its updates in order).
    remaining = torch.arange(lin.shape[0], device=lin.device)
    while remaining.numel():
        slots = lin[remaining]
        uniq, inverse = torch.unique(slots, return_inverse=True)
        first_pos = torch.full((uniq.shape[0],), remaining.numel(), dtype=torch.long, device=lin.device)
        first_pos = first_pos.scatter_reduce(
            0, inverse, torch.arange(remaining.numel(), device=lin.device), "amin", include_self=True
        )
        take = remaining[first_pos]
        flat[lin[take]] = _combine(mode, flat[lin[take]], rows[take])
        mask = torch.ones(remaining.numel(), dtype=torch.bool, device=lin.device)
        mask[first_pos] = False
        remaining = remaining[mask]
    return flat.reshape(shape), error


def _tensor_scatter(tensor, indices, updates, mode, bad_indices_policy):
    """TensorScatterOp::Compute: its own checks, then DoScatterNd into a copy of ``tensor``."""
    _check_policy(bad_indices_policy)
    t_shape, i_shape, u_shape = (tuple(x.shape) for x in (tensor, indices, updates))
    if len(i_shape) < 1:
        raise invalid(f"Indices shape must have rank at least one. Found:{format_dims(i_shape)}")
    if len(u_shape) < 1:
        raise invalid(f"Updates shape must have rank at least one. Found:{format_dims(u_shape)}")
    n = [int(np.prod(s, dtype=np.int64)) for s in (t_shape, i_shape, u_shape)]
    if not valid_empty_output(*n):
        raise invalid("Indices and updates specified for empty output shape")
    outer = len(i_shape) - 1
    for i in range(outer):
        if i >= len(u_shape) or i_shape[i] != u_shape[i]:
            raise invalid(
                "Outer dimensions of indices and update must match. Indices shape: "
                f"{format_dims(i_shape)}, updates shape:{format_dims(u_shape)}"
            )
    ix = i_shape[outer]
    if len(u_shape) - outer != len(t_shape) - ix:
        raise invalid(
            "Inner dimensions of output shape must match inner dimensions of updates shape. Output: "
            f"{format_dims(t_shape)} updates: {format_dims(u_shape)}"
        )
    for i in range(len(u_shape) - outer):
        if u_shape[i + outer] != t_shape[ix + i]:
            raise invalid(
                f"The inner {len(t_shape) - ix} dimensions of output.shape={format_dims(t_shape)} must match the "
                f"inner {len(u_shape) - outer} dimensions of updates.shape={format_dims(u_shape)}"
            )
    slice_dim = _prepare_and_validate(t_shape, indices, updates)
    if n[0] == 0:
        return tensor.copy() if is_np(tensor) else tensor.clone()
    out, error = _apply(tensor, indices, updates, slice_dim, mode, bad_indices_policy)
    if error:
        raise invalid(error)
    return out


_TENSOR_SCATTER_INPUTS = ["tensor: T", "indices: Tindices", "updates: T"]


def _tensor_scatter_op(name, tindices, mode):
    @register_op(
        name,
        inputs=_TENSOR_SCATTER_INPUTS,
        outputs=["output: T"],
        attrs=["T: type", tindices, _BAD_INDICES_POLICY],
        shape=_tensor_scatter_shape,
    )
    def kernel(tensor, indices, updates, bad_indices_policy):
        return _tensor_scatter(tensor, indices, updates, mode, bad_indices_policy)

    kernel.__name__ = kernel.__qualname__ = "tensor_scatter_" + mode
    return kernel


tensor_scatter_update = _tensor_scatter_op("TensorScatterUpdate", "Tindices: {int16, int32, int64, uint16}", "update")
tensor_scatter_add = _tensor_scatter_op("TensorScatterAdd", _TINDICES, "add")
tensor_scatter_sub = _tensor_scatter_op("TensorScatterSub", _TINDICES, "sub")
tensor_scatter_min = _tensor_scatter_op("TensorScatterMin", _TINDICES, "min")
tensor_scatter_max = _tensor_scatter_op("TensorScatterMax", _TINDICES, "max")


def _scatter_nd_into(params, indices, updates, mode, bad_indices_policy):
    """ScatterNdUpdateOp::DoCompute's DoScatterNd: ``params`` after the scatter and the bad-index message (the
    caller stores the result before raising it: TF's loop has applied the good indices to the variable)."""
    _check_policy(bad_indices_policy)
    slice_dim = _prepare_and_validate(tuple(params.shape), indices, updates)
    if params.numel() == 0:
        return params, None
    return _apply(params, indices, updates, slice_dim, mode, bad_indices_policy)


@register_op(
    "ScatterNdNonAliasingAdd",
    inputs=["input: T", "indices: Tindices", "updates: T"],
    outputs=["output: T"],
    attrs=[f"T: {NUMBER_TYPES[:-1]}, bool}}", _TINDICES, _BAD_INDICES_POLICY],  # TF: number types and bool
    shape=_tensor_scatter_shape,
)
def scatter_nd_non_aliasing_add(input, indices, updates, bad_indices_policy):
    out, error = _scatter_nd_into(input, indices, updates, "add", bad_indices_policy)
    if error:
        raise invalid(error)
    return out if out is not input else input.clone()


def _ref_scatter_nd(ref, indices, updates, mode, bad_indices_policy):
    params = ref.read()
    out, error = _scatter_nd_into(params, indices, updates, mode, bad_indices_policy)
    if out is not params:
        params.copy_(out)
    if error:
        raise invalid(error)
    return ref


def _resource_scatter_nd(ref, indices, updates, mode, bad_indices_policy):
    params = ref.read()
    out, error = _scatter_nd_into(params, indices, updates, mode, bad_indices_policy)
    if out is not params:
        ref.value = out
    if error:
        raise invalid(error)


_REF_INPUTS = ["ref: Ref(T)", "indices: Tindices", "updates: T"]
_RESOURCE_INPUTS = ["ref: resource", "indices: Tindices", "updates: T"]


def _ref_scatter_nd_op(name, t, use_locking, mode):
    @register_op(
        name,
        inputs=_REF_INPUTS,
        outputs=["output_ref: Ref(T)"],
        attrs=[t, _TINDICES, f"use_locking: bool = {use_locking}", _BAD_INDICES_POLICY],
        shape=_variable_scatter_shape,
    )
    def kernel(ref, indices, updates, bad_indices_policy):
        return _ref_scatter_nd(ref, indices, updates, mode, bad_indices_policy)

    kernel.__name__ = kernel.__qualname__ = "scatter_nd_" + mode
    return kernel


def _resource_scatter_nd_op(name, mode):
    @register_op(
        name,
        inputs=_RESOURCE_INPUTS,
        attrs=["T: type", _TINDICES, "use_locking: bool = true", _BAD_INDICES_POLICY],
        shape=_variable_scatter_shape,
        stateful=True,
    )
    def kernel(ref, indices, updates, bad_indices_policy):
        _resource_scatter_nd(ref, indices, updates, mode, bad_indices_policy)

    kernel.__name__ = kernel.__qualname__ = "resource_scatter_nd_" + mode
    return kernel


scatter_nd_update = _ref_scatter_nd_op("ScatterNdUpdate", "T: type", "true", "update")
scatter_nd_add = _ref_scatter_nd_op("ScatterNdAdd", f"T: {NUMBER_TYPES}", "false", "add")
scatter_nd_sub = _ref_scatter_nd_op("ScatterNdSub", f"T: {NUMBER_TYPES}", "false", "sub")
scatter_nd_min = _ref_scatter_nd_op("ScatterNdMin", f"T: {NUMBER_TYPES}", "false", "min")
scatter_nd_max = _ref_scatter_nd_op("ScatterNdMax", f"T: {NUMBER_TYPES}", "false", "max")
resource_scatter_nd_update = _resource_scatter_nd_op("ResourceScatterNdUpdate", "update")
resource_scatter_nd_add = _resource_scatter_nd_op("ResourceScatterNdAdd", "add")
resource_scatter_nd_sub = _resource_scatter_nd_op("ResourceScatterNdSub", "sub")
resource_scatter_nd_min = _resource_scatter_nd_op("ResourceScatterNdMin", "min")
resource_scatter_nd_max = _resource_scatter_nd_op("ResourceScatterNdMax", "max")


# ---------------------------------------------------------------------------------------------
# Gradients (TF's array_grad.py; state_grad.py for the variable forms)


@register_gradient("TensorScatterUpdate")
def _tensor_scatter_update_grad(op, grad):
    indices = op.inputs[1]
    updates_grad = array_ops.gather_nd(grad, indices)
    tensor_grad = array_ops.tensor_scatter_update(
        array_ops.identity(grad), indices, array_ops.zeros_like(op.inputs[2], dtype=grad.dtype)
    )
    return [tensor_grad, None, updates_grad]


@register_gradient("TensorScatterAdd")
def _tensor_scatter_add_grad(op, grad):
    indices = op.inputs[1]
    updates_grad = array_ops.gather_nd(grad, indices)
    tensor_grad = array_ops.identity(grad)
    return [tensor_grad, None, updates_grad]


@register_gradient("TensorScatterSub")
def _tensor_scatter_sub_grad(op, grad):
    indices = op.inputs[1]
    updates_grad = array_ops.gather_nd(grad, indices)
    tensor_grad = array_ops.identity(grad)
    return [tensor_grad, None, -updates_grad]


def _tensor_scatter_min_or_max_grad(op, grad):
    """The gradient is split evenly between the elements equal to the output."""
    indices = op.inputs[1]
    x = op.inputs[0]
    y = op.inputs[2]
    output = op.outputs[0]
    x_indicators = math_ops.cast(math_ops.equal(x, output), grad.dtype)
    policy = op.get_attr("bad_indices_policy")
    policy = policy.decode() if isinstance(policy, bytes) else policy
    y_output = array_ops.gather_nd(output, indices, bad_indices_policy=policy)
    y_indicators = math_ops.cast(math_ops.equal(y, y_output), grad.dtype)
    ys_indicators = array_ops.scatter_nd(
        indices, y_indicators, array_ops.shape(x, out_type=indices.dtype), bad_indices_policy=policy
    )
    indicators = x_indicators + ys_indicators
    x_grad = grad * x_indicators / indicators
    y_grad = array_ops.gather_nd(grad / indicators, indices, bad_indices_policy=policy) * y_indicators
    return [x_grad, None, y_grad]


register_gradient("TensorScatterMax")(_tensor_scatter_min_or_max_grad)
register_gradient("TensorScatterMin")(_tensor_scatter_min_or_max_grad)


@register_gradient("ScatterNdNonAliasingAdd")
def _scatter_nd_non_aliasing_add_grad(op, grad):
    indices = op.inputs[1]
    updates_grad = array_ops.gather_nd(grad, indices)
    return [grad, None, updates_grad]


not_differentiable("ScatterNdUpdate", "ScatterNdAdd", "ScatterNdSub")
# TensorFlow registers no gradient for these: tf.gradients through them raises LookupError.
no_registered_gradient(
    "ScatterNdMin",
    "ScatterNdMax",
    "ResourceScatterNdUpdate",
    "ResourceScatterNdAdd",
    "ResourceScatterNdSub",
    "ResourceScatterNdMin",
    "ResourceScatterNdMax",
)
