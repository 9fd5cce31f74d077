"""``tf.train.ClusterSpec`` (TF's python/training/server_lib.py): a cluster's jobs and task addresses.

Pure Python over the ``ClusterDef`` proto, with TF's API and errors; ``replica_device_setter`` reads it.
There is no ``tf.train.Server``: torchmeta runs a graph in one process (data parallelism is
``torchmeta.distributed``).
"""

from __future__ import annotations

from torchmeta._proto.cluster_pb2 import ClusterDef, JobDef

__all__ = ["ClusterSpec", "ClusterDef", "JobDef"]


def _as_bytes(value, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError(f"{what} {value!r} must be bytes or unicode")


class ClusterSpec:
    """``tf.train.ClusterSpec``: job names to task indices to network addresses.

    Args:
      cluster: a dict ``{job: [address, ...]}`` or ``{job: {index: address}}``, a ``ClusterDef``, or a
        ``ClusterSpec``.

    Raises:
      TypeError: TF's, for anything else, a job's tasks that are neither a list nor a dict, or a job name
        or address that is not a string.
    """

    def __init__(self, cluster):
        if isinstance(cluster, dict):
            self._cluster_spec = {}
            for job_name, tasks in cluster.items():
                if isinstance(tasks, (list, tuple)):
                    job_tasks = dict(enumerate(tasks))
                elif isinstance(tasks, dict):
                    job_tasks = {int(i): task for i, task in tasks.items()}
                else:
                    raise TypeError(
                        f"The tasks for job {job_name!r} must be a list or a dictionary from integers to strings."
                    )
                self._cluster_spec[job_name] = job_tasks
            self._make_cluster_def()
        elif isinstance(cluster, (ClusterDef, ClusterSpec)):
            self._cluster_def = ClusterDef()
            self._cluster_def.MergeFrom(cluster if isinstance(cluster, ClusterDef) else cluster.as_cluster_def())
            self._cluster_spec = {job.name: dict(job.tasks.items()) for job in self._cluster_def.job}
        else:
            raise TypeError(
                "`cluster` must be a dictionary mapping one or more job names to lists of network addresses, "
                "or a `ClusterDef` protocol buffer"
            )

    def __bool__(self):
        return bool(self._cluster_spec)

    def __eq__(self, other):
        return self._cluster_spec == other

    def __ne__(self, other):
        return self._cluster_spec != other

    __hash__ = None  # TF's defines __eq__ only

    def __repr__(self):
        key_values = self.as_dict()
        items = [repr(k) + ": " + repr(key_values[k]) for k in sorted(key_values)]
        return "ClusterSpec({" + ", ".join(items) + "})"

    def as_dict(self) -> dict:
        """``{job: [address, ...]}``, or ``{job: {index: address}}`` for a job with gaps in its indices."""
        ret = {}
        for job in self.jobs:
            task_indices = self.task_indices(job)
            if len(task_indices) == 0:
                ret[job] = {}
            elif max(task_indices) + 1 == len(task_indices):
                ret[job] = self.job_tasks(job)
            else:
                ret[job] = {i: self.task_address(job, i) for i in task_indices}
        return ret

    def as_cluster_def(self) -> ClusterDef:
        return self._cluster_def

    @property
    def jobs(self) -> list:
        return list(self._cluster_spec.keys())

    def _job(self, job_name) -> dict:
        try:
            return self._cluster_spec[job_name]
        except KeyError:
            raise ValueError(f"No such job in cluster: {job_name!r}") from None

    def num_tasks(self, job_name) -> int:
        return len(self._job(job_name))

    def task_indices(self, job_name) -> list[int]:
        return sorted(self._job(job_name).keys())

    def task_address(self, job_name, task_index):
        job = self._job(job_name)
        try:
            return job[task_index]
        except KeyError:
            raise ValueError(f"No task with index {task_index!r} in job {job_name!r}") from None

    def job_tasks(self, job_name) -> list:
        """The job's addresses by index (``None`` where an index is missing)."""
        job = self._job(job_name)
        ret = [None] * (max(job.keys()) + 1)
        for i, task in job.items():
            ret[i] = task
        return ret

    def _make_cluster_def(self):
        self._cluster_def = ClusterDef()
        for job_name, tasks in sorted(self._cluster_spec.items()):
            job_def = self._cluster_def.job.add()
            job_def.name = _as_bytes(job_name, "Job name")
            for i, task_address in sorted(tasks.items()):
                job_def.tasks[i] = _as_bytes(task_address, "Task address")
