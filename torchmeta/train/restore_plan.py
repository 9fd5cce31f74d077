"""Saver.restore's fast path: the standard restore subgraph, executed by reading into variable memory.

Running ``save/restore_all`` through the Session makes RestoreV2 produce every tensor of the checkpoint
before the Assigns store them: restoring into initialized variables then holds the old and the new values
at once (twice the checkpoint in memory). :class:`RestorePlan` recognizes the subgraph that TensorFlow's
and torchmeta's Savers build (``restore_all`` -> [``restore_shard`` ->] ``Assign`` / ``AssignVariableOp``
<- [``Identity`` | ``Reshape``]* <- ``RestoreV2``, whose names and slice specs are constants and whose
prefix is the SaverDef's filename tensor) and does the same work tensor by tensor:

- an initialized ref variable of the right shape and dtype is read into in place (no new memory);
- anything else (uninitialized variables, resource variables, which TensorFlow assigns copy-on-write,
  slices of partitioned variables, strings) is read into one new tensor that the variable adopts.

A restore is atomic: it changes every variable or none. Everything that can fail is checked before any
variable changes: missing keys, dtypes, shapes and reshapes first (if any check fails, or the graph is not
the standard one, the caller runs the restore op instead, so errors keep the graph path's exact wording,
TensorFlow's); then every tensor's bytes (``reader.verify``: size == shape x dtype, bytes present,
checksums) for the in-place reads, while every other tensor is read into its new memory. Only then are
variables written. A DataLossError names the file and the tensor and leaves every variable as it was. (If
the file is changed by someone else between the check and the in-place read, that variable is left
uninitialized rather than holding a mix of old and new values.)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from torchmeta import errors
from torchmeta.dtypes import DType
from torchmeta.framework.tensor_util import constant_value
from torchmeta.io._tensors import numpy_to_torch
from torchmeta.io.checkpoint import open_checkpoint
from torchmeta.io.tensor_slice import parse_shape_and_slice
from torchmeta.ops.common import mark_owned
from torchmeta.train import checkpoint_management

__all__ = ["RestorePlan"]

_REF_VARIABLES = ("VariableV2", "Variable")


class _Item(NamedTuple):
    restore_op: object  # the RestoreV2 Operation
    key: str
    spec: str
    dtype: DType
    reshapes: tuple  # (Reshape op, target shape as a list with at most one -1), in order
    assign_op: object  # Assign or AssignVariableOp
    variable_op: object  # VariableV2 or VarHandleOp
    validate_shape: bool


def strings(value) -> list[str] | None:
    """A constant string tensor's value as Python strings (undecodable bytes backslash-escaped, as TF prints
    them); None for an unknown value."""
    if value is None:
        return None
    return [
        v.decode(errors="backslashreplace") if isinstance(v, bytes) else str(v)
        for v in np.asarray(value, dtype=object).reshape(-1)
    ]


def _num_elements(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _reshaped(shape: tuple, target: list) -> tuple | None:
    """``shape`` reshaped to ``target`` (one -1 allowed), or None where Reshape would fail."""
    total = _num_elements(shape)
    if target.count(-1) > 1 or any(d < -1 for d in target):
        return None
    known = _num_elements(d for d in target if d != -1)
    if -1 in target:
        if known == 0 or total % known:
            return None
        return tuple(total // known if d == -1 else d for d in target)
    return tuple(target) if known == total else None


class RestorePlan:
    """The standard restore subgraph of one SaverDef in one graph, or None from :meth:`build`."""

    def __init__(self, items: list[_Item]):
        self.items = items

    @classmethod
    def build(cls, graph, saver_def) -> RestorePlan | None:
        try:
            restore_op = graph.get_operation_by_name(saver_def.restore_op_name)
            filename = graph.get_tensor_by_name(saver_def.filename_tensor_name)
        except (KeyError, ValueError, TypeError):
            return None
        leaves, groups, stack = [], set(), [restore_op]
        while stack:
            op = stack.pop()
            if op in groups:
                continue
            if op.type == "NoOp" and not op.inputs:
                groups.add(op)
                stack.extend(op.control_inputs)
            elif op.type in ("Assign", "AssignVariableOp"):
                leaves.append(op)
            else:
                return None
        allowed = groups | set(leaves)
        items, used_outputs, targets, restore_ops = [], set(), set(), {}
        for leaf in sorted(leaves, key=lambda o: o.name):
            item = cls._item(leaf, filename, restore_ops)
            if item is None:
                return None
            value_tensor, item, chain = item
            if value_tensor in used_outputs or item.variable_op in targets:
                return None
            used_outputs.add(value_tensor)
            targets.add(item.variable_op)
            allowed.update(chain)
            items.append(item)
        allowed.update(restore_ops)
        for op in allowed:  # control dependencies (restore_sequentially) may only order restore ops
            if any(c not in allowed for c in op.control_inputs):
                return None
        items.sort(key=lambda i: (i.restore_op.name, i.key))
        return cls(items)

    @staticmethod
    def _item(leaf, filename, restore_ops):
        if len(leaf.inputs) != 2:
            return None
        target, value = leaf.inputs
        variable_op = target.op
        if leaf.type == "Assign" and variable_op.type not in _REF_VARIABLES:
            return None
        if leaf.type == "AssignVariableOp" and variable_op.type != "VarHandleOp":
            return None
        chain, reshapes = [], []
        tensor = value
        while tensor.op.type in ("Identity", "Reshape"):
            op = tensor.op
            if len(tensor.consumers()) != 1:
                return None
            chain.append(op)
            if op.type == "Reshape":
                target_shape = constant_value(op.inputs[1])
                if target_shape is None:
                    return None
                reshapes.append((op, [int(d) for d in np.asarray(target_shape).reshape(-1)]))
            tensor = op.inputs[0]
        restore = tensor.op
        if restore.type != "RestoreV2" or restore.inputs[0] is not filename or len(tensor.consumers()) != 1:
            return None
        info = restore_ops.get(restore)
        if info is None:
            names, specs = strings(constant_value(restore.inputs[1])), strings(constant_value(restore.inputs[2]))
            dtypes = restore.get_attr("dtypes")
            if names is None or specs is None or not (len(names) == len(specs) == len(dtypes)):
                return None
            info = restore_ops[restore] = (names, specs, dtypes)
        names, specs, dtypes = info
        index = tensor.value_index
        dtype = DType(dtypes[index]) if not isinstance(dtypes[index], DType) else dtypes[index]
        if dtype is not DType.string and dtype.torch is None:
            return None
        try:
            validate = bool(leaf.get_attr("validate_shape"))
        except ValueError:
            validate = leaf.type == "Assign"  # the attr's default
        item = _Item(restore, names[index], specs[index], dtype, tuple(reversed(reshapes)), leaf, variable_op, validate)
        return tensor, item, chain

    # -- running -----------------------------------------------------------------------------------------

    def run(self, sess, prefix: str) -> bool:
        """Restores from ``prefix``; False (nothing changed) when the graph path must run instead."""
        try:
            reader = open_checkpoint(checkpoint_management.local_path(prefix))
        except errors.OpError:
            return False  # the graph path raises it, with the RestoreV2 node
        try:
            work = self._check(sess, reader)
            if work is None:
                return False
            # 1. Read or verify everything; no variable changes yet.
            staged = []
            for item, slot, shape, in_place in work:
                try:
                    if in_place:
                        reader.verify(item.key)
                        staged.append((item, slot, None))
                    else:
                        staged.append((item, slot, self._read_value(reader, item, slot, shape)))
                except errors.OpError as err:
                    raise self._named(err, item) from None
            # 2. Write the variables.
            for item, slot, value in staged:
                if value is None:
                    try:
                        reader.get_tensor_torch(item.key, out=slot.value)
                    except errors.OpError as err:  # the file changed since it was verified
                        slot.value = None
                        err.message += f" (the checkpoint changed during the restore: {slot.name} is uninitialized)"
                        raise self._named(err, item) from None
                elif item.assign_op.type == "Assign":
                    slot.assign(value, item.validate_shape)
                else:
                    slot.replace(value)
            return True
        finally:
            reader.close()

    @staticmethod
    def _named(err, item):
        if err.op is None:
            err.op, err.node_def = item.restore_op, item.restore_op.node_def
        return err

    def _check(self, sess, reader):
        """``[(item, slot, final shape, read in place)]``, or None if anything would fail."""
        work = []
        for item in self.items:
            if not reader.has_tensor(item.key) or reader.get_dtype(item.key) is not item.dtype:
                return None
            if item.spec:
                parsed = parse_shape_and_slice(item.spec)
                if parsed is None or tuple(reader.get_shape(item.key)) != tuple(parsed[0]):
                    return None
                shape = tuple(parsed[1].shape_in(parsed[0]))
            else:
                shape = tuple(reader.get_shape(item.key))
            for _, target in item.reshapes:
                shape = _reshaped(shape, target)
                if shape is None:
                    return None
            var = item.variable_op
            slot = sess._slot_for(var, sess._op_device(var))
            current = slot.value
            if item.assign_op.type == "Assign":
                declared = tuple(current.shape) if current is not None else slot.shape
                if item.validate_shape and declared is not None and declared != shape:
                    return None
            elif item.validate_shape and current is not None and tuple(current.shape) != shape:
                return None
            in_place = (
                item.assign_op.type == "Assign"
                and not item.spec
                and item.dtype is not DType.string
                and isinstance(current, torch.Tensor)
                and tuple(current.shape) == shape
                and current.dtype == item.dtype.torch
            )
            work.append((item, slot, shape, in_place))
        return work

    @staticmethod
    def _read_value(reader, item: _Item, slot, shape):
        """The restored value of one item, in new memory (numpy for strings)."""
        if item.dtype is DType.string:
            value = reader.get_slice(item.key, item.spec) if item.spec else reader.get_tensor(item.key)
            value = np.asarray(value, dtype=object).reshape(shape)
        else:
            if item.spec:
                value = numpy_to_torch(np.ascontiguousarray(reader.get_slice(item.key, item.spec)), item.dtype)
            else:
                value = reader.get_tensor_torch(item.key, mmap=False)
            value = value.reshape(shape)
            if value.device != slot.device:
                value = value.to(slot.device)
            mark_owned(value)
        return value
