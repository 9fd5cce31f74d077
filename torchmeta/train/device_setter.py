"""``tf.train.replica_device_setter`` (TF's python/training/device_setter.py): variables on ps tasks,
round robin, everything else on the worker device."""

from __future__ import annotations

from torchmeta._proto import node_def_pb2
from torchmeta.framework import device as device_lib
from torchmeta.platform import tf_logging as _log  # TF logs these through the 'tensorflow' logger
from torchmeta.train.server_lib import ClusterSpec

__all__ = ["replica_device_setter", "STANDARD_PS_OPS"]

STANDARD_PS_OPS = (
    "Variable",
    "VariableV2",
    "AutoReloadVariable",
    "MutableHashTable",
    "MutableHashTableV2",
    "MutableHashTableOfTensors",
    "MutableHashTableOfTensorsV2",
    "MutableDenseHashTable",
    "MutableDenseHashTableV2",
    "VarHandleOp",
    "BoostedTreesEnsembleResourceHandleOp",
    "BoostedTreesQuantileStreamResourceHandleOp",
    "ResourceConditionalAccumulator",
    "DecisionTreeResource",
)


class _RoundRobinStrategy:
    def __init__(self, num_tasks):
        self._num_tasks = num_tasks
        self._next_task = 0

    def __call__(self, unused_op):
        task = self._next_task
        self._next_task = (self._next_task + 1) % self._num_tasks
        return task


def _merged(spec, other):
    """TF's ``DeviceSpec.make_merged_spec``: ``other``'s fields where set, else ``spec``'s (field by field)."""
    fields = ("job", "replica", "task", "device_type", "device_index")
    merged = device_lib.DeviceSpec()
    for field in fields:
        value = getattr(other, field)
        setattr(merged, field, value if value is not None else getattr(spec, field))
    return merged


class _ReplicaDeviceChooser:
    def __init__(self, ps_tasks, ps_device, worker_device, merge_devices, ps_ops, ps_strategy):
        self._ps_tasks = ps_tasks
        self._ps_device = ps_device
        self._worker_device = worker_device
        self._merge_devices = merge_devices
        self._ps_ops = ps_ops
        self._ps_strategy = ps_strategy

    def device_function(self, op):
        if not self._merge_devices and op.device:
            return op.device
        current_device = device_lib.DeviceSpec.from_string(op.device or "")
        op_type = op.op if isinstance(op, node_def_pb2.NodeDef) else op.node_def.op
        if self._ps_tasks and self._ps_device and op_type in self._ps_ops:
            ps_device = device_lib.DeviceSpec.from_string(self._ps_device)
            current_job, ps_job = current_device.job, ps_device.job
            if ps_job and (not current_job or current_job == ps_job):
                ps_device.task = self._ps_strategy(op)
            return _merged(ps_device, current_device).to_string()
        worker_device = device_lib.DeviceSpec.from_string(self._worker_device or "")
        return _merged(worker_device, current_device).to_string()


def replica_device_setter(
    ps_tasks=0,
    ps_device="/job:ps",
    worker_device="/job:worker",
    merge_devices=True,
    cluster=None,
    ps_ops=None,
    ps_strategy=None,
):
    """``tf.compat.v1.train.replica_device_setter``: a device function for ``tf.device`` placing the ops of
    ``ps_ops`` (variables by default) on ``ps_device``'s tasks in turn (or by ``ps_strategy(op)``) and all
    others on ``worker_device``; a device an op already has is merged in (takes precedence).

    Returns None when there are no ps tasks (``ps_tasks=0``, or ``cluster`` has no ps job), as TF's does.

    Raises:
      TypeError: ``ps_strategy`` is not callable; TF's ClusterSpec errors for a bad ``cluster``.
    """
    if cluster is not None:
        cluster_spec = cluster.as_dict() if isinstance(cluster, ClusterSpec) else ClusterSpec(cluster).as_dict()
        ps_job_name = device_lib.DeviceSpec.from_string(ps_device).job
        if ps_job_name not in cluster_spec or cluster_spec[ps_job_name] is None:
            return None
        ps_tasks = len(cluster_spec[ps_job_name])
    if ps_tasks == 0:
        return None
    if ps_ops is None:
        ps_ops = list(STANDARD_PS_OPS)
    if not merge_devices:
        _log.warning("DEPRECATION: It is recommended to set merge_devices=true in replica_device_setter")
    if ps_strategy is None:
        ps_strategy = _RoundRobinStrategy(ps_tasks)
    if not callable(ps_strategy):
        raise TypeError("ps_strategy must be callable")
    chooser = _ReplicaDeviceChooser(ps_tasks, ps_device, worker_device, merge_devices, ps_ops, ps_strategy)
    return chooser.device_function
