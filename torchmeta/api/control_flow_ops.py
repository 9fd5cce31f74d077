"""``tf.no_op``, ``tf.group``, ``tf.tuple`` and ``with_dependencies``: ordering with control dependencies."""

from __future__ import annotations

import builtins

from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import Operation, Tensor
from torchmeta.framework.indexed_slices import IndexedSlices
from torchmeta.framework.op_def_library import raw_op

__all__ = ["no_op", "group", "tuple", "with_dependencies"]


def no_op(name=None):
    """``tf.no_op``: does nothing; useful as a target for control dependencies."""
    return raw_op("NoOp", name=name)


def _as_op(x):
    if isinstance(x, Operation):
        return x
    if isinstance(x, Tensor):
        return x.op
    if hasattr(x, "_as_graph_element"):
        element = x._as_graph_element()
        return element if isinstance(element, Operation) else element.op
    if hasattr(x, "op"):
        return x.op
    raise TypeError(f"Expected a Tensor or Operation in group(), got {x!r}")


def group(*inputs, **kwargs):
    """``tf.group``: an op that runs after all ``inputs`` (a NoOp with control inputs, as TF builds it).

    Ops on several devices get one NoOp per device, then a NoOp over those, as in TF.
    """
    name = kwargs.pop("name", None)
    if kwargs:
        raise ValueError(f"Unknown keyword arguments: {list(kwargs)}")
    flat = []
    for x in inputs:
        if isinstance(x, (list, builtins.tuple)) and not isinstance(x, Tensor):
            flat.extend(x)
        elif isinstance(x, dict):
            flat.extend(x.values())
        else:
            flat.append(x)
    with graph_lib.name_scope(name, "group_deps", flat) as name:
        if not flat:
            return no_op(name=name)
        by_device: dict = {}
        for x in flat:
            op = _as_op(x)
            by_device.setdefault(op.device, []).append(op)
        if len(by_device) == 1:
            ((device, deps),) = by_device.items()
            with graph_lib.device(device or None), graph_lib.control_dependencies(deps):
                return no_op(name=name)
        per_device = []
        for device in sorted(by_device):
            with graph_lib.device(device or None), graph_lib.control_dependencies(by_device[device]):
                per_device.append(no_op())
        with graph_lib.control_dependencies(per_device):
            return no_op(name=name)


def tuple(tensors, name=None, control_inputs=None):
    """``tf.tuple``: the same tensors, each available only after all of them (and control_inputs) are."""
    with graph_lib.name_scope(name, "tuple", tensors) as name:
        gating = [_as_op(t) for t in tensors if t is not None]
        if control_inputs:
            gating += [_as_op(c) for c in control_inputs]
        gate = group(*gating)
        out = []
        for t in tensors:
            if t is None:
                out.append(None)
            else:
                out.append(with_dependencies([gate], t))
        return out


def with_dependencies(dependencies, output_tensor, name=None):
    """``output_tensor`` (through an Identity) computed only after ``dependencies``."""
    with graph_lib.name_scope(name, "control_dependency", [*dependencies, output_tensor]) as name:
        with graph_lib.colocate_with(output_tensor):
            with graph_lib.control_dependencies(dependencies):
                if isinstance(output_tensor, Operation):
                    with graph_lib.control_dependencies([output_tensor]):
                        return no_op(name=name)
                if isinstance(output_tensor, IndexedSlices):  # stays sparse, as in TF
                    values = raw_op("Identity", input=output_tensor.values, name=name)
                    return IndexedSlices(values, output_tensor.indices, output_tensor.dense_shape)
                return raw_op("Identity", input=output_tensor, name=name)
