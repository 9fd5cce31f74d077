"""Data-parallel training of TF1 graphs on torch.distributed, with Horovod's API (also ``torchmeta.horovod``).

    import torchmeta as tf
    import torchmeta.horovod as hvd

    hvd.init()                                           # torchrun's RANK/WORLD_SIZE/MASTER_ADDR/... (or arguments)
    opt = hvd.DistributedOptimizer(tf.train.AdamOptimizer(0.001 * hvd.size()))
    train_op = opt.minimize(loss)                        # gradients all-reduced between compute and apply
    hooks = [hvd.BroadcastGlobalVariablesHook(0)]        # every rank starts from rank 0's variables

Launch with ``torchrun --nproc_per_node N train.py`` (and ``--nnodes``/``--rdzv-endpoint`` across machines).
The graph holds TensorFlow's own collective ops (CollectiveReduceV2, CollectiveGatherV2,
CollectiveBcastSendV2/RecvV2), so it stays a valid TensorFlow graph; their kernels (torchmeta/ops/
collective_ops.py) call torch.distributed: gloo between CPU processes, NCCL between GPUs, where each
process uses the GPU of its ``local_rank``. Dense gradients travel in few large all-reduces (buckets of
``bucket_bytes``, filled in the order the backward pass computes the gradients), IndexedSlices by
all-gathering values and indices, as Horovod does. The collectives are asynchronous: a Session launches
each as soon as its inputs exist and waits where its output is read, so a bucket travels while the
backward pass computes the next. Process sets (``add_process_set``) run collectives among some ranks.

In a job, ``tf.train.Saver.save`` writes from rank 0 only (the other ranks get the same path back), or
with ``sharded=True`` each rank writes a share that rank 0 merges; every rank restores; see
``torchmeta/train/saver.py``.
"""

from __future__ import annotations

import datetime
import os
import weakref

import torch
import torch.distributed as dist

from torchmeta import errors
from torchmeta.api import array_ops, control_flow_ops, init_ops, math_ops, state_ops
from torchmeta.api import variable_scope as vs
from torchmeta.api import variables as variables_lib
from torchmeta.api.cond import cond
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import tensor_util
from torchmeta.framework.constant_op import constant
from torchmeta.framework.indexed_slices import IndexedSlices
from torchmeta.framework.op_def_library import raw_op
from torchmeta.ops.collective_ops import job_rank, job_size, register_group, registered_groups
from torchmeta.train.optimizer import Optimizer
from torchmeta.train.session_run_hook import SessionRunHook

__all__ = [
    "init",
    "shutdown",
    "is_initialized",
    "rank",
    "size",
    "local_rank",
    "local_size",
    "cross_rank",
    "cross_size",
    "device",
    "backend",
    "gloo_built",
    "nccl_built",
    "mpi_built",
    "Average",
    "Sum",
    "Min",
    "Max",
    "Product",
    "Compression",
    "allreduce",
    "grouped_allreduce",
    "allgather",
    "broadcast",
    "broadcast_variables",
    "broadcast_global_variables",
    "BroadcastGlobalVariablesHook",
    "DistributedOptimizer",
    "ProcessSet",
    "global_process_set",
    "add_process_set",
    "remove_process_set",
    "GROUP_KEY",
    "DEFAULT_BUCKET_BYTES",
]

# Reduction ops, by Horovod's names (hvd.Average, hvd.Sum, ...).
Average, Sum, Min, Max, Product = "Average", "Sum", "Min", "Max", "Product"
_MERGE_OPS = {
    Average: ("Add", "Div"),
    Sum: ("Add", "Id"),
    Min: ("Min", "Id"),
    Max: ("Max", "Id"),
    Product: ("Mul", "Id"),
}

# The group of the whole job; TF's collectives name it by this key (process sets get the next ones).
GROUP_KEY = 1
# Gradients are concatenated into all-reduces of at most this many bytes (DDP's default bucket is 25 MiB).
DEFAULT_BUCKET_BYTES = 25 * 1024 * 1024
_REDUCIBLE = (DType.float32, DType.float16, DType.float64, DType.bfloat16, DType.int32, DType.int64)
_BROADCASTABLE = (DType.bool, DType.float32, DType.float16, DType.float64, DType.int32, DType.int64)


class _Job:
    """What init() learned: where this process sits in the job (single process until init())."""

    def __init__(self):
        self.initialized = False
        self.owns_group = False
        self.local_rank = 0
        self.local_size = 1
        self.device = torch.device("cpu")


_job = _Job()


def _env_int(name: str, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise errors.InvalidArgumentError(
            None, None, f"environment variable {name}={value!r} is not an integer"
        ) from None


def init(
    rank=None,
    size=None,
    local_rank=None,
    local_size=None,
    master_addr=None,
    master_port=None,
    backend=None,
    timeout=None,
    process_sets=None,
):
    """Joins the torch.distributed job this process belongs to (Horovod's ``hvd.init()``).

    Each value comes from the argument, else from torchrun's environment (``RANK``, ``WORLD_SIZE``,
    ``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``). Without either the process
    is a job of one and no process group is created (the collectives are then the identity).

    Args:
      rank, size: this process's rank and the number of processes.
      local_rank, local_size: its rank among the processes of its machine, and their number; the GPU
        this process uses is ``cuda:<local_rank>``.
      master_addr, master_port: where rank 0 listens for the rendezvous.
      backend: "gloo" or "nccl"; default ``TORCHMETA_DIST_BACKEND``, else NCCL when CUDA is available,
        else gloo.
      timeout: seconds a collective waits for the other processes before failing (default 300, or
        ``TORCHMETA_COLLECTIVE_TIMEOUT``).
      process_sets: ProcessSets (or lists of ranks) to add (``add_process_set``), as Horovod's init takes.

    Raises:
      InvalidArgumentError: for inconsistent arguments or environment.
      UnavailableError: if the rendezvous fails.
    """
    if _job.initialized:
        return
    size = size if size is not None else _env_int("WORLD_SIZE", None)
    rank = rank if rank is not None else _env_int("RANK", None)
    if size is None:
        size = 1
    if rank is None:
        if size != 1:
            raise errors.InvalidArgumentError(None, None, f"init: a job of {size} processes needs this process's rank")
        rank = 0
    if not 0 <= rank < size:
        raise errors.InvalidArgumentError(None, None, f"init: rank {rank} is not in [0, {size})")
    _job.local_rank = local_rank if local_rank is not None else _env_int("LOCAL_RANK", rank)
    _job.local_size = local_size if local_size is not None else _env_int("LOCAL_WORLD_SIZE", size)
    backend = backend or os.environ.get("TORCHMETA_DIST_BACKEND")
    if backend is None:
        backend = "nccl" if torch.cuda.is_available() and dist.is_nccl_available() else "gloo"
    if backend not in ("gloo", "nccl"):
        raise errors.InvalidArgumentError(None, None, f"init: backend {backend!r} is not 'gloo' or 'nccl'")
    if backend == "nccl":
        _job.device = torch.device("cuda", _job.local_rank % max(torch.cuda.device_count(), 1))
        torch.cuda.set_device(_job.device)
    if timeout is None:
        timeout = _env_int("TORCHMETA_COLLECTIVE_TIMEOUT", 300)
    if size > 1 and not dist.is_initialized():
        master_addr = master_addr or os.environ.get("MASTER_ADDR")
        master_port = master_port or os.environ.get("MASTER_PORT")
        if not master_addr or not master_port:
            raise errors.InvalidArgumentError(
                None, None, "init: a job of several processes needs MASTER_ADDR and MASTER_PORT (torchrun sets them)"
            )
        try:
            dist.init_process_group(
                backend,
                init_method=f"tcp://{master_addr}:{master_port}",
                rank=rank,
                world_size=size,
                timeout=datetime.timedelta(seconds=timeout),
            )
        except (RuntimeError, ValueError, dist.DistError) as e:
            raise errors.UnavailableError(
                None, None, f"init: rendezvous of rank {rank} of {size} at {master_addr}:{master_port} failed: {e}"
            ) from e
        _job.owns_group = True
    _job.initialized = True
    for process_set in process_sets or ():
        add_process_set(process_set)


def shutdown():
    """Leaves the job: destroys the process group init() created."""
    for process_set in list(_process_sets):
        remove_process_set(process_set)
    if _job.owns_group and dist.is_initialized():
        dist.destroy_process_group()
    _job.owns_group = False
    _job.initialized = False


def _check_init(what: str):
    if not _job.initialized and not dist.is_initialized():
        raise errors.FailedPreconditionError(
            None, None, f"{what}: call torchmeta.distributed.init() (hvd.init()) first"
        )


def is_initialized() -> bool:
    return _job.initialized or dist.is_initialized()


def rank() -> int:
    """This process's rank in the job."""
    _check_init("rank()")
    return job_rank()


def size() -> int:
    """The number of processes in the job."""
    _check_init("size()")
    return job_size()


def local_rank() -> int:
    """This process's rank among the processes on its machine (its GPU index)."""
    _check_init("local_rank()")
    return _job.local_rank


def local_size() -> int:
    """The number of processes on this process's machine."""
    _check_init("local_size()")
    return _job.local_size


def cross_rank() -> int:
    """The index of this process's machine (node rank, with the same number of processes per machine)."""
    return rank() // local_size()


def cross_size() -> int:
    """The number of machines in the job."""
    return size() // local_size()


def device() -> torch.device:
    """The device this process computes on: ``cuda:<local_rank>`` under NCCL, else the CPU."""
    return _job.device


def backend() -> str | None:
    """The torch.distributed backend of the job ("gloo", "nccl"), or None for a job of one."""
    return dist.get_backend() if dist.is_initialized() else None


def gloo_built() -> bool:
    return dist.is_available() and dist.is_gloo_available()


def nccl_built() -> bool:
    return dist.is_available() and dist.is_nccl_available()


def mpi_built() -> bool:
    return dist.is_available() and dist.is_mpi_available()


# ---------------------------------------------------------------------------------------------
# Graph builders: TensorFlow's collective ops

_instance_keys: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_COLLECTIVES = (
    "CollectiveReduceV2",
    "CollectiveGatherV2",
    "CollectiveBcastSendV2",
    "CollectiveBcastRecvV2",
)


def _next_instance_key(graph) -> int:
    """A fresh instance key for ``graph`` (past those of collectives it already holds, e.g. imported)."""
    if graph not in _instance_keys:
        used = [0]
        for op in graph.get_operations():
            if op.type in _COLLECTIVES:
                value = tensor_util.constant_value(op.inputs[3 if op.type != "CollectiveBcastRecvV2" else 2])
                if value is not None:
                    used.append(int(value))
        _instance_keys[graph] = max(used)
    _instance_keys[graph] += 1
    return _instance_keys[graph]


def _keys(process_set):
    """group_size, group_key and a fresh instance_key (Const tensors) for a collective over ``process_set``."""
    process_set = global_process_set if process_set is None else process_set
    graph = graph_lib.get_default_graph()
    return (
        constant(process_set.size(), dtype=DType.int32, name="group_size"),
        constant(process_set.group_key, dtype=DType.int32, name="group_key"),
        constant(_next_instance_key(graph), dtype=DType.int32, name="instance_key"),
    )


class ProcessSet:
    """Some of the job's processes, which run collectives among themselves (Horovod's ``hvd.ProcessSet``).

    Declared on every process, in the same order, with ``add_process_set`` (or ``init(process_sets=...)``):
    each gets a torch.distributed process group (``torch.distributed.new_group``) and a TF ``group_key``, so
    its collectives are TF's ops with ``group_size`` = its size and that key. The builders take it as
    ``process_set=``; ``global_process_set`` is the whole job.
    """

    def __init__(self, ranks_or_comm=None):
        self.ranks = None if ranks_or_comm is None else sorted(int(r) for r in ranks_or_comm)
        self.group_key = None
        self.process_set_id = None

    def size(self) -> int:
        return job_size() if self.ranks is None else len(self.ranks)

    def rank(self):
        """This process's rank within the set (None if it is not in it)."""
        if self.ranks is None:
            return job_rank()
        return self.ranks.index(job_rank()) if job_rank() in self.ranks else None

    def included(self) -> bool:
        return self.rank() is not None

    def __repr__(self):
        ranks = "all ranks" if self.ranks is None else self.ranks
        return f"ProcessSet(process_set_id={self.process_set_id}, group_key={self.group_key}, ranks={ranks})"


global_process_set = ProcessSet()
global_process_set.group_key = GROUP_KEY
global_process_set.process_set_id = 0
_process_sets: list = [global_process_set]


def add_process_set(process_set, group_key=None):
    """Declares a process set (a ``ProcessSet`` or a list of ranks); every process of the job must call it
    with the same ranks in the same order (it creates a torch.distributed group). Its collectives use
    ``group_key`` (default: the next unused key after the job's), so a TF graph whose collectives name a
    group of some ranks by its key runs here once that group is declared with its key.

    Returns:
      The ProcessSet.

    Raises:
      InvalidArgumentError: ranks outside the job, repeated, or a key already used.
    """
    _check_init("add_process_set")
    if not isinstance(process_set, ProcessSet):
        process_set = ProcessSet(process_set)
    ranks = process_set.ranks if process_set.ranks is not None else list(range(job_size()))
    n = job_size()
    if not ranks or len(set(ranks)) != len(ranks) or not all(0 <= r < n for r in ranks):
        raise errors.InvalidArgumentError(
            None, None, f"add_process_set: ranks {ranks} must be distinct ranks of the job's {n} processes"
        )
    used = {p.group_key for p in _process_sets}
    if group_key is None:
        group_key = max(used | set(registered_groups())) + 1
    if int(group_key) in used or int(group_key) in registered_groups():
        raise errors.InvalidArgumentError(None, None, f"add_process_set: group_key {group_key} is already used")
    process_group = None
    if n > 1:
        try:
            process_group = dist.new_group(ranks)
        except (RuntimeError, ValueError, dist.DistError) as e:
            raise errors.UnavailableError(
                None, None, f"add_process_set: creating the group of {ranks} failed: {e}"
            ) from e
    process_set.ranks = list(ranks)
    process_set.group_key = int(group_key)
    process_set.process_set_id = max(p.process_set_id for p in _process_sets) + 1
    register_group(process_set.group_key, ranks, process_group)
    _process_sets.append(process_set)
    return process_set


def remove_process_set(process_set) -> bool:
    """Forgets a process set added with ``add_process_set`` (every process, same order). Returns whether it
    was one."""
    if process_set is global_process_set or process_set not in _process_sets:
        return False
    _process_sets.remove(process_set)
    register_group(process_set.group_key, None, None)
    process_set.process_set_id = None
    return True


def _check_dtype(tensor, allowed, what):
    if tensor.dtype.base_dtype not in allowed:
        names = ", ".join(d.name for d in allowed)
        raise errors.InvalidArgumentError(
            None, None, f"{what} of {tensor.name}: dtype {tensor.dtype.base_dtype.name} is not one of {names}"
        )


class Compression:
    """Gradient compression for the wire, Horovod's ``hvd.Compression.none`` / ``.fp16``."""

    class none:  # noqa: N801 - Horovod's name
        @staticmethod
        def compress(tensor):
            return tensor, None

        @staticmethod
        def decompress(tensor, ctx):
            return tensor

    class fp16:  # noqa: N801 - Horovod's name
        """Floating-point tensors travel as float16 and come back in their own dtype."""

        @staticmethod
        def compress(tensor):
            dtype = tensor.dtype.base_dtype
            if dtype.is_floating and dtype != DType.float16:
                return math_ops.cast(tensor, DType.float16), dtype
            return tensor, None

        @staticmethod
        def decompress(tensor, ctx):
            return tensor if ctx is None else math_ops.cast(tensor, ctx)


def _reduce_ops(op, average):
    if average is not None:
        if op is not None:
            raise errors.InvalidArgumentError(None, None, "allreduce: pass either average= or op=, not both")
        op = Average if average else Sum
    op = Average if op is None else op
    if op not in _MERGE_OPS:
        raise errors.UnimplementedError(
            None, None, f"allreduce: op {op!r} is not supported; use one of {', '.join(_MERGE_OPS)}"
        )
    return op


def _collective_reduce(tensor, merge_op, final_op, process_set=None, name=None):
    group_size, group_key, instance_key = _keys(process_set)
    return raw_op(
        "CollectiveReduceV2",
        input=tensor,
        group_size=group_size,
        group_key=group_key,
        instance_key=instance_key,
        ordering_token=[],
        merge_op=merge_op,
        final_op=final_op,
        name=name,
    )


def _collective_gather(tensor, process_set=None, name=None):
    group_size, group_key, instance_key = _keys(process_set)
    return raw_op(
        "CollectiveGatherV2",
        input=tensor,
        group_size=group_size,
        group_key=group_key,
        instance_key=instance_key,
        ordering_token=[],
        name=name,
    )


def allreduce(
    tensor,
    average=None,
    device_dense="",
    device_sparse="",
    compression=Compression.none,
    op=None,
    name=None,
    process_set=None,
):
    """All-reduces ``tensor`` over the job's processes (or ``process_set``'s; average by default), as
    ``hvd.allreduce``.

    A dense tensor becomes one CollectiveReduceV2 (merge_op Add, final_op Div for the average); an
    ``IndexedSlices`` is all-gathered (values and indices, CollectiveGatherV2), its values divided by
    the group's size for the average.
    """
    _check_init("allreduce")
    op = _reduce_ops(op, average)
    process_set = _process_set(process_set)
    if isinstance(tensor, IndexedSlices):
        with graph_lib.device(device_sparse), graph_lib.name_scope(name or "DistributedAllgather"):
            values = allgather(tensor.values, process_set=process_set)
            indices = allgather(tensor.indices, process_set=process_set)
            if op == Average:
                values = math_ops.truediv(values, math_ops.cast(process_set.size(), values.dtype))
            elif op != Sum:
                raise errors.UnimplementedError(None, None, f"allreduce: op {op} of IndexedSlices is not supported")
        return IndexedSlices(values, indices, dense_shape=tensor.dense_shape)
    tensor = graph_lib.convert_to_tensor(tensor)
    _check_dtype(tensor, _REDUCIBLE, "allreduce")
    with graph_lib.device(device_dense), graph_lib.name_scope(name or "DistributedAllreduce"):
        compressed, ctx = compression.compress(tensor)
        merge_op, final_op = _MERGE_OPS[op]
        reduced = _collective_reduce(compressed, merge_op, final_op, process_set)
        return compression.decompress(reduced, ctx)


def _process_set(process_set):
    if process_set is None:
        return global_process_set
    if not isinstance(process_set, ProcessSet) or process_set.group_key is None:
        raise errors.InvalidArgumentError(
            None, None, f"process_set {process_set!r} was not added with add_process_set() (hvd.add_process_set)"
        )
    return process_set


def grouped_allreduce(
    tensors, average=None, compression=Compression.none, op=None, bucket_bytes=None, name=None, process_set=None
):
    """All-reduces a list of dense tensors in few large collectives: the tensors of each dtype are
    flattened and concatenated into buckets of at most ``bucket_bytes`` (one CollectiveReduceV2 each),
    then split back into their shapes. Tensors of unknown shape travel alone.

    Buckets fill in the order the graph computes the tensors (their creation order: for gradients, the
    backward order), so a Session starts all-reducing the first bucket while the next ones are computed."""
    _check_init("grouped_allreduce")
    op = _reduce_ops(op, average)
    process_set = _process_set(process_set)
    merge_op, final_op = _MERGE_OPS[op]
    limit = DEFAULT_BUCKET_BYTES if bucket_bytes is None else bucket_bytes
    tensors = [graph_lib.convert_to_tensor(t) for t in tensors]
    for t in tensors:
        _check_dtype(t, _REDUCIBLE, "allreduce")
    out = [None] * len(tensors)
    with graph_lib.name_scope(name or "DistributedGroupedAllreduce"):
        for bucket in _buckets(tensors, limit):
            if len(bucket) == 1:
                i = bucket[0]
                compressed, ctx = compression.compress(tensors[i])
                out[i] = compression.decompress(_collective_reduce(compressed, merge_op, final_op, process_set), ctx)
                continue
            flat = array_ops.concat([array_ops.reshape(tensors[i], [-1]) for i in bucket], 0)
            compressed, ctx = compression.compress(flat)
            reduced = compression.decompress(_collective_reduce(compressed, merge_op, final_op, process_set), ctx)
            sizes = [tensors[i].shape.num_elements() for i in bucket]
            for i, part in zip(bucket, array_ops.split(reduced, sizes, 0)):
                out[i] = array_ops.reshape(part, tensors[i].shape.as_list())
    return out


def _buckets(tensors, limit):
    """Indices of ``tensors`` grouped by dtype, in the order of their ops' creation, each group under ``limit``
    bytes."""
    buckets, open_bucket = [], {}
    for i in sorted(range(len(tensors)), key=lambda i: tensors[i].op._id):
        t = tensors[i]
        if not t.shape.is_fully_defined():
            buckets.append([i])
            continue
        dtype = t.dtype.base_dtype
        nbytes = t.shape.num_elements() * dtype.size
        current = open_bucket.get(dtype)
        if current is not None and current[1] + nbytes <= limit:
            current[0].append(i)
            current[1] += nbytes
            continue
        current = [[i], nbytes]
        open_bucket[dtype] = current
        buckets.append(current[0])
    return buckets


def allgather(tensor, name=None, process_set=None):
    """Concatenates every process's ``tensor`` along the first dimension, in rank order (CollectiveGatherV2);
    the first dimensions may differ between processes."""
    _check_init("allgather")
    tensor = graph_lib.convert_to_tensor(tensor)
    _check_dtype(tensor, (DType.float32, DType.float16, DType.float64, DType.int32, DType.int64), "allgather")
    return _collective_gather(tensor, _process_set(process_set), name=name)


def broadcast(tensor, root_rank, name=None, process_set=None):
    """``tensor`` of process ``root_rank`` on every process: CollectiveBcastSendV2 on the root,
    CollectiveBcastRecvV2 elsewhere (so the graph differs between the root and the others, as in TF)."""
    _check_init("broadcast")
    tensor = graph_lib.convert_to_tensor(tensor)
    _check_dtype(tensor, _BROADCASTABLE, "broadcast")
    process_set = _process_set(process_set)
    n = job_size()
    if not 0 <= root_rank < n:
        raise errors.InvalidArgumentError(None, None, f"broadcast: root_rank {root_rank} is not in [0, {n})")
    if process_set.ranks is not None and root_rank not in process_set.ranks:
        raise errors.InvalidArgumentError(
            None, None, f"broadcast: root_rank {root_rank} is not in the process set's ranks {process_set.ranks}"
        )
    with graph_lib.name_scope(name or "DistributedBroadcast"):
        group_size, group_key, instance_key = _keys(process_set)
        if job_rank() == root_rank:
            return raw_op(
                "CollectiveBcastSendV2",
                input=tensor,
                group_size=group_size,
                group_key=group_key,
                instance_key=instance_key,
            )
        if tensor.shape.is_fully_defined():
            shape = constant(tensor.shape.as_list(), dtype=DType.int32, name="shape")
        else:
            shape = array_ops.shape(tensor)
        return raw_op(
            "CollectiveBcastRecvV2",
            group_size=group_size,
            group_key=group_key,
            instance_key=instance_key,
            shape=shape,
            T=tensor.dtype.base_dtype,
        )


def broadcast_variables(variables, root_rank):
    """An op that assigns every variable in ``variables`` its value on process ``root_rank``.

    The broadcasts are chained by control edges, so every process runs them in the same order.
    """
    _check_init("broadcast_variables")
    assigns, previous = [], None
    with graph_lib.name_scope("DistributedBroadcastVariables"):
        for var in variables:
            deps = [] if previous is None else [previous]
            with graph_lib.control_dependencies(deps):
                value = broadcast(var.value() if hasattr(var, "value") else var, root_rank)
            assigns.append(state_ops.assign(var, value))
            previous = value.op
        return control_flow_ops.group(*assigns)


def broadcast_global_variables(root_rank):
    """``broadcast_variables(tf.global_variables(), root_rank)``: every process starts from root's values."""
    return broadcast_variables(variables_lib.global_variables(), root_rank)


class BroadcastGlobalVariablesHook(SessionRunHook):
    """Broadcasts the global variables from ``root_rank`` once the session is created (after the
    variables are initialized or restored), as Horovod's hook does."""

    def __init__(self, root_rank, device=""):
        self.root_rank = root_rank
        self.device = device
        self.bcast_op = None

    def begin(self):
        if self.bcast_op is None or self.bcast_op.graph is not graph_lib.get_default_graph():
            with graph_lib.device(self.device):
                self.bcast_op = broadcast_global_variables(self.root_rank)

    def after_create_session(self, session, coord):
        session.run(self.bcast_op)


class DistributedOptimizer(Optimizer):
    """Wraps any ``tf.train`` optimizer: gradients are all-reduced between ``compute_gradients`` and
    ``apply_gradients`` (Horovod's ``hvd.DistributedOptimizer``).

    Dense gradients go in buckets of ``bucket_bytes`` (``grouped_allreduce``); IndexedSlices are
    all-gathered unless ``sparse_as_dense``. With ``process_set`` the gradients are averaged over its ranks
    only. In a job of one nothing is added to the graph.
    """

    def __init__(
        self,
        optimizer,
        name=None,
        use_locking=False,
        device_dense="",
        device_sparse="",
        compression=Compression.none,
        sparse_as_dense=False,
        op=Average,
        bucket_bytes=None,
        process_set=None,
        backward_passes_per_step=1,
        average_aggregated_gradients=False,
    ):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"DistributedOptimizer wraps a tf.train optimizer, not {type(optimizer).__name__}")
        super().__init__(use_locking=use_locking, name=name or f"Distributed{type(optimizer).__name__}")
        self._optimizer = optimizer
        self._device_dense = device_dense
        self._device_sparse = device_sparse
        self._compression = compression
        self._sparse_as_dense = sparse_as_dense
        self._op = _reduce_ops(op, None)
        self._bucket_bytes = bucket_bytes
        self._process_set = process_set
        if int(backward_passes_per_step) < 1:
            raise errors.InvalidArgumentError(
                None, None, f"backward_passes_per_step must be > 0, not {backward_passes_per_step}"
            )
        self._aggregation = None
        if int(backward_passes_per_step) > 1:
            self._aggregation = _GradientAggregation(
                int(backward_passes_per_step), average_aggregated_gradients, sparse_as_dense, self.get_name()
            )

    def compute_gradients(self, *args, **kwargs):
        grads_and_vars = self._optimizer.compute_gradients(*args, **kwargs)
        grads, variables = [g for g, _ in grads_and_vars], [v for _, v in grads_and_vars]
        if self._aggregation is not None:
            return list(zip(self._aggregation.compute_gradients(grads, self._reduce), variables))
        return list(zip(self._reduce(grads), variables))

    def _reduce(self, grads):
        return grads if size() == 1 else self._allreduce_grads(grads)

    def _allreduce_grads(self, grads):
        out = list(grads)
        dense = []
        with graph_lib.name_scope(f"{self.get_name()}_Allreduce"):
            for i, g in enumerate(grads):
                if g is None:
                    continue
                if isinstance(g, IndexedSlices):
                    if self._sparse_as_dense:
                        g = graph_lib.convert_to_tensor(g)
                    else:
                        out[i] = allreduce(
                            g, device_sparse=self._device_sparse, op=self._op, process_set=self._process_set
                        )
                        continue
                dense.append((i, g))
            if dense:
                with graph_lib.device(self._device_dense):
                    reduced = grouped_allreduce(
                        [g for _, g in dense],
                        compression=self._compression,
                        op=self._op,
                        bucket_bytes=self._bucket_bytes,
                        process_set=self._process_set,
                    )
                for (i, _), r in zip(dense, reduced):
                    out[i] = r
        return out

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        if self._aggregation is not None:
            return self._aggregation.apply_gradients(
                lambda: self._optimizer.apply_gradients(grads_and_vars, global_step, name),
                grads_and_vars,
                global_step,
            )
        return self._optimizer.apply_gradients(grads_and_vars, global_step, name)

    def get_slot(self, *args, **kwargs):
        return self._optimizer.get_slot(*args, **kwargs)

    def get_slot_names(self, *args, **kwargs):
        return self._optimizer.get_slot_names(*args, **kwargs)

    def variables(self, *args, **kwargs):
        return self._optimizer.variables(*args, **kwargs)


class _GradientAggregation:
    """Horovod's ``backward_passes_per_step`` (its LocalGradientAggregationHelper, graph mode): the gradients
    of ``passes`` runs are summed in local variables, and every ``passes``-th run all-reduces the sums
    (divided by ``passes`` with ``average``) and applies them; the other runs only add theirs (and advance
    the global step). Every process counts alike, so all take the all-reducing branch together.
    """

    def __init__(self, passes, average, sparse_as_dense, name):
        self.passes, self.average, self.sparse_as_dense, self.name = passes, average, sparse_as_dense, name
        self.counter = None

    def _dense(self, grad):
        if isinstance(grad, IndexedSlices):
            if not self.sparse_as_dense:
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    "IndexedSlices are not supported when `backward_passes_per_step` > 1 and `sparse_as_dense` "
                    "is False.",
                )
            return graph_lib.convert_to_tensor(grad)
        return grad

    def compute_gradients(self, grads, reduce):
        present = [i for i, g in enumerate(grads) if g is not None]
        dense = [self._dense(grads[i]) for i in present]
        local = [graph_lib.GraphKeys.LOCAL_VARIABLES]
        with vs.variable_scope(f"aggregation_variables_{self.name}{job_rank()}", reuse=vs.AUTO_REUSE):
            self.counter = vs.get_variable(
                "aggregation_counter",
                shape=(),
                dtype=DType.int32,
                trainable=False,
                initializer=init_ops.zeros_initializer(),
                collections=local,
            )
            sums = [
                vs.get_variable(
                    str(i),
                    trainable=False,
                    initializer=array_ops.zeros(g.shape.as_list(), dtype=g.dtype.base_dtype),
                    collections=[*local, "aggregating_collection"],
                )
                for i, g in zip(present, dense)
            ]
        clear = cond(
            math_ops.equal(self.counter, 0),
            lambda: control_flow_ops.group(*[state_ops.assign(v, v.initial_value) for v in sums]),
            control_flow_ops.no_op,
        )
        with graph_lib.control_dependencies([clear]):
            added = [state_ops.assign_add(v, g) for v, g in zip(sums, dense)]
        with graph_lib.control_dependencies([control_flow_ops.group(*added)]):
            counted = state_ops.assign_add(self.counter, 1)
        with graph_lib.control_dependencies([counted]):
            out = cond(
                math_ops.equal(self.counter, self.passes),
                lambda: self._reduce_sums(sums, reduce),
                lambda: [array_ops.identity(g) for g in dense],
            )
        out = list(out) if isinstance(out, (list, tuple)) else [out]
        result = [None] * len(grads)
        for i, g in zip(present, out):
            result[i] = g
        return result

    def _reduce_sums(self, sums, reduce):
        values = [v.read_value() for v in sums]
        with graph_lib.control_dependencies([control_flow_ops.group(*values)]):
            reduced = reduce(values)
            with graph_lib.control_dependencies([g.op for g in reduced]):
                reset = state_ops.assign(self.counter, 0, use_locking=True)
            with graph_lib.control_dependencies([reset]):
                divisor = self.passes if self.average else 1
                return [math_ops.divide(g, math_ops.cast(divisor, g.dtype.base_dtype)) for g in reduced]

    def apply_gradients(self, apply, grads_and_vars, global_step):
        grads = [g for g, _ in grads_and_vars if g is not None]
        with graph_lib.control_dependencies([control_flow_ops.group(*grads)]):
            train = cond(math_ops.equal(self.counter, 0), apply, control_flow_ops.no_op)

        def advance_global_step():
            if global_step is None:
                return control_flow_ops.no_op()
            return state_ops.assign_add(global_step, constant(1, dtype=global_step.dtype.base_dtype)).op

        with graph_lib.control_dependencies([train]):
            return cond(math_ops.equal(self.counter, 0), control_flow_ops.no_op, advance_global_step)
