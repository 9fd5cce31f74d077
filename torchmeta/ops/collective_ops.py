"""Collective ops (TF's core/ops/collective_ops.cc): all-reduce, all-gather and broadcast across the processes
of a torch.distributed job, V2 forms (group/instance keys as inputs) and the V1 forms (keys as attrs).

TensorFlow matches collectives by ``(group_key, instance_key)``; torch.distributed matches them by the order
in which the processes call them. Every process runs the same graph, and a Session runs a graph's ops in
one deterministic order (data and control edges, then creation order), so the n-th collective of a run is
the same op in every process. Before exchanging data the processes compare their keys, sizes and dtypes
(one small all-gather, like Horovod's negotiation), so a mismatch fails on every process with an error
naming both sides instead of exchanging the wrong tensors or hanging.

Groups: a collective whose ``group_size`` is the number of processes runs over the whole job (one device per
process, as Horovod and torchrun have it); one whose ``group_key`` was declared with ``register_group`` (by
``torchmeta.distributed.add_process_set``, Horovod's process sets) runs over those ranks; any other group
size fails at once with an error naming the node. Without a process group, a group of one is the identity,
so a graph built for a job also runs in a single process.

The kernels call torch.distributed (gloo for CPU tensors, NCCL for CUDA tensors). Each op also has a start
kernel (``register_async_kernel``, TF's AsyncOpKernel): a Session launches the exchange where the op runs
and waits for it where its output is first used, so the ops in between (the rest of the backward pass)
run while the data travels. A peer that dies or a collective that times out (``timeout_seconds``, else
the process group's timeout) fails the run with UnavailableError / DeadlineExceededError naming the node,
instead of hanging.
"""

from __future__ import annotations

import datetime

import torch
import torch.distributed as dist

from torchmeta import errors
from torchmeta.framework import common_shapes
from torchmeta.framework.common_shapes import shape_from_shape_tensor, with_rank_at_least
from torchmeta.framework.registry import no_registered_gradient, register_async_kernel, register_op
from torchmeta.framework.tensor_shape import TensorShape

__all__ = ["job_size", "job_rank", "job_device", "register_group", "registered_groups", "Pending", "exchange"]

_REDUCE_TYPES = "T: {bfloat16, float, half, double, int32, int64}"
_GATHER_TYPES = "T: {float, half, double, int32, int64}"
_BCAST_TYPES = "T: {bool, float, half, double, int32, int64}"
_KEYS = ["group_size: int32", "group_key: int32", "instance_key: int32"]
_ORDERING = "ordering_token: Nordering_token * resource"
_COMMON_ATTRS = ['communication_hint: string = "auto"', "timeout_seconds: float = 0.0"]
_V1_KEYS = ["group_size: int", "group_key: int", "instance_key: int"]

_MERGE = {"Add": dist.ReduceOp.SUM, "Mul": dist.ReduceOp.PRODUCT, "Min": dist.ReduceOp.MIN, "Max": dist.ReduceOp.MAX}


def job_size() -> int:
    """The number of processes of the torch.distributed job (1 without a process group)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def job_rank() -> int:
    """This process's rank in the torch.distributed job (0 without a process group)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def job_device() -> torch.device:
    """The device of this process in an NCCL job (``cuda:<local_rank>``, set by init()), else the CPU."""
    if dist.is_available() and dist.is_initialized() and dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


class _Group:
    """The processes of one collective group: their ranks in the job and the torch.distributed process group
    (None: the job's default group)."""

    __slots__ = ("ranks", "process_group")

    def __init__(self, ranks, process_group):
        self.ranks, self.process_group = tuple(ranks), process_group


_GROUPS: dict[int, _Group] = {}


def register_group(group_key: int, ranks, process_group) -> None:
    """Declares that collectives with ``group_key`` run over ``ranks`` (job ranks, ascending) through
    ``process_group`` (from ``torch.distributed.new_group(ranks)``); ``None`` forgets the key."""
    if ranks is None:
        _GROUPS.pop(int(group_key), None)
    else:
        _GROUPS[int(group_key)] = _Group(sorted(ranks), process_group)


def registered_groups() -> dict[int, tuple]:
    """group_key -> ranks of the groups declared with ``register_group``."""
    return {key: g.ranks for key, g in _GROUPS.items()}


def _group(op_type, node_name, group_size, group_key):
    """The group a collective runs over, or None when it has nothing to exchange (a group of one)."""
    size, key = int(group_size), int(group_key)
    where = f"{op_type} '{node_name}'"
    if not (dist.is_available() and dist.is_initialized()):
        if size == 1:
            return None
        raise errors.FailedPreconditionError(
            None,
            None,
            f"{where}: a collective over {size} processes needs a torch.distributed job: launch the program with "
            "torchrun and call torchmeta.distributed.init() (hvd.init()) before running the graph",
        )
    world, rank = dist.get_world_size(), dist.get_rank()
    group = _GROUPS.get(key)
    if group is not None:
        if size != len(group.ranks):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{where}: group_size {size} differs from the {len(group.ranks)} ranks {list(group.ranks)} declared "
                f"for group_key {key}",
            )
        if rank not in group.ranks:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{where}: rank {rank} runs a collective of group_key {key}, whose ranks are {list(group.ranks)}",
            )
        return group if size > 1 else None
    if size == world:
        return _Group(range(world), None) if size > 1 else None
    if size == 1:
        return None
    raise errors.FailedPreconditionError(
        None,
        None,
        f"{where}: group_key {key} has group_size {size} but the job has {world} processes and no group of "
        f"{size} ranks is declared for that key; declare it on every process with "
        f"torchmeta.distributed.add_process_set(ranks, group_key={key}) (hvd.add_process_set) before running "
        "the graph",
    )


def _comm_device(t: torch.Tensor) -> torch.Tensor:
    """``t`` where the backend can read it: NCCL communicates CUDA tensors, gloo CPU ones."""
    if dist.get_backend() == "nccl" and t.device.type != "cuda":
        return t.to(torch.device("cuda", torch.cuda.current_device()))
    if dist.get_backend() == "gloo" and t.device.type != "cpu":
        return t.cpu()
    return t


def _failure(what: str, e: BaseException) -> errors.OpError:
    """A torch.distributed failure as TF's error: DeadlineExceededError for a timeout, else UnavailableError."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    text = text if len(text) < 300 else text[:300] + " ..."
    if "timed out" in text.lower() or "timeout" in text.lower():
        return errors.DeadlineExceededError(
            None, None, f"Collective {what} has timed out waiting for other workers ({text})"
        )
    return errors.UnavailableError(
        None, None, f"Collective {what} failed: another process of the job is gone or failed ({text})"
    )


def _launch(what: str, call):
    """Starts one asynchronous torch.distributed call; returns its Work."""
    try:
        return call()
    except (RuntimeError, dist.DistError) as e:
        raise _failure(what, e) from e


def _wait(what: str, timeout_seconds: float, work) -> None:
    """Waits for ``work``, at most ``timeout_seconds`` (0: the process group's timeout)."""
    try:
        if timeout_seconds and timeout_seconds > 0:
            work.wait(timeout=datetime.timedelta(seconds=timeout_seconds))
        else:
            work.wait()
    except (RuntimeError, dist.DistError) as e:
        raise _failure(what, e) from e


class Pending:
    """A collective on its way (what a start kernel returns); ``wait()`` returns the op's output.

    It goes in two steps, like Horovod's negotiation then transfer: the processes' agreement on which
    collective they are at (``agreement``, launched by the start kernel) and, once it is checked, the exchange
    of the data (``proceed(table) -> (work, finish)``). The second step is taken when the process launches
    its next collective or waits for this one (``advance``), so the start kernel never blocks and the
    processes still launch every torch.distributed call in one order. An error of either step is raised by
    ``wait()``, for this op. Without an agreement the output is ``finish()`` once ``work`` is done.
    """

    __slots__ = ("what", "timeout_seconds", "agreement", "proceed", "work", "finish", "error")

    def __init__(self, what, timeout_seconds, work=None, finish=None, agreement=None, proceed=None):
        self.what, self.timeout_seconds, self.work, self.finish = what, timeout_seconds, work, finish
        self.agreement, self.proceed, self.error = agreement, proceed, None

    def advance(self) -> None:
        """Waits for the agreement, checks it and launches the data exchange (an error is kept for wait())."""
        agreement, proceed = self.agreement, self.proceed
        if agreement is None:
            return
        self.agreement = self.proceed = None
        try:
            self.work, self.finish = proceed(agreement.table())
        except errors.OpError as e:
            self.error = e

    def wait(self):
        if self.agreement is not None:
            _advance(until=self)
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        if self.work is not None:
            work, self.work = self.work, None
            _wait(self.what, self.timeout_seconds, work)
        return self.finish()


def _done(value) -> Pending:
    return Pending(None, 0.0, None, lambda: value)


# Collectives whose agreement is launched and whose data exchange is not yet, in launch order.
_IN_FLIGHT: list[Pending] = []


def _advance(until=None) -> None:
    """Takes the second step of the collectives in flight, in the order they were launched (up to ``until``)."""
    while _IN_FLIGHT:
        pending = _IN_FLIGHT.pop(0)
        pending.advance()
        if pending is until:
            return


def exchange(what: str, value: int, timeout_seconds: float = 0.0) -> list[int]:
    """Every process's ``value``, rank by rank (one small all-gather over the job, in the same form as the
    collectives' agreement, so a process at a collective instead fails alike): how the processes tell each
    other how a step went (e.g. whether their shard of a checkpoint is written)."""
    if job_size() == 1:
        return [int(value)]
    group = _Group(range(job_size()), None)
    return [
        t[3] for t in _propose("exchange", group, (0, 0), timeout_seconds, job_device(), [int(value)], what).table()
    ]


_KINDS = ("all-reduce", "all-gather", "broadcast", "exchange")
_FIELDS = 3  # the most fields a collective's agreement row carries (every row has the same length)
_DTYPES = (torch.float32, torch.float16, torch.float64, torch.bfloat16, torch.int32, torch.int64, torch.bool)


class _Agreement:
    """The rows the processes of a group sent for one collective (an all-gather in flight)."""

    __slots__ = ("label", "group", "timeout_seconds", "rows", "work")

    def __init__(self, label, group, timeout_seconds, rows, work):
        self.label, self.group, self.timeout_seconds, self.rows, self.work = label, group, timeout_seconds, rows, work

    def table(self) -> list[list[int]]:
        """The rows, rank by rank, once every process sent its own; InternalError (on every process alike) when
        they are not at the same collective."""
        _wait(self.label, self.timeout_seconds, self.work)
        table = [r.tolist() for r in self.rows]
        if any(t[:3] != table[0][:3] for t in table):
            seen = "; ".join(f"rank {r} at {_where(t)}" for r, t in zip(self.group.ranks, table))
            raise errors.InternalError(
                None,
                None,
                f"Collective {self.label}: the processes are at different collectives ({seen}); every process must "
                "run the same collectives in the same order",
            )
        return table


def _propose(what, group, keys, timeout_seconds, device, fields, label=None) -> _Agreement:
    """Every process of ``group`` says which collective it is at: ``[kind, group_key, instance_key, *fields]``
    (one small all-gather, as Horovod's coordinator negotiates each tensor), launched after the second step of
    the collectives already in flight.

    torch.distributed pairs collectives by order; the keys show when the processes are not at the same one,
    and every process sees all rows, so they all fail alike instead of exchanging the wrong tensors or hanging.
    """
    _advance()
    fields = [*fields, *[0] * (_FIELDS - len(fields))]
    row = torch.tensor([_KINDS.index(what), int(keys[0]), int(keys[1]), *fields], dtype=torch.int64, device=device)
    rows = [torch.empty_like(row) for _ in group.ranks]
    pg = group.process_group
    label = label or what
    work = _launch(label, lambda: dist.all_gather(rows, row, group=pg, async_op=True))
    return _Agreement(label, group, timeout_seconds, rows, work)


def _in_flight(what, timeout_seconds, agreement, proceed) -> Pending:
    pending = Pending(what, timeout_seconds, agreement=agreement, proceed=proceed)
    _IN_FLIGHT.append(pending)
    return pending


def _where(row) -> str:
    if _KINDS[row[0]] == "exchange":
        return "an exchange outside the graph (Saver.save)"
    return f"{_KINDS[row[0]]} group_key {row[1]} instance_key {row[2]}"


def _mismatch(what, group, keys, table, column, describe):
    """InvalidArgumentError (on every process alike) when ``column`` of the rows differs between processes."""
    if any(t[column] != table[0][column] for t in table):
        seen = ", ".join(f"rank {r} {describe(t)}" for r, t in zip(group.ranks, table))
        raise errors.InvalidArgumentError(
            None, None, f"Shape mismatch in the collective instance {keys[1]} ({what}): {seen}"
        )


def _dtype_name(code):
    return str(_DTYPES[code]).removeprefix("torch.")


def _start_reduce(op_type, node_name, input, group_size, keys, merge_op, final_op, timeout_seconds) -> Pending:
    group = _group(op_type, node_name, group_size, keys[0])
    if group is None:
        return _done(input.clone())
    out = _comm_device(input).clone()
    fields = [out.numel(), _DTYPES.index(out.dtype)]
    agreement = _propose("all-reduce", group, keys, timeout_seconds, out.device, fields)
    size, pg = len(group.ranks), group.process_group

    def proceed(table):
        _mismatch("all-reduce", group, keys, table, 3, lambda t: f"has {t[3]} elements")
        _mismatch("all-reduce", group, keys, table, 4, lambda t: f"has {_dtype_name(t[4])}")
        work = _launch("all-reduce", lambda: dist.all_reduce(out, op=_MERGE[merge_op], group=pg, async_op=True))
        return work, finish

    def finish():
        result = out
        if final_op == "Div":
            result = out / size if out.is_floating_point() else torch.div(out, size, rounding_mode="trunc")
        return result.to(input.device)

    return _in_flight("all-reduce", timeout_seconds, agreement, proceed)


def _start_gather(op_type, node_name, input, group_size, keys, timeout_seconds) -> Pending:
    """All-gather along the first dimension; the processes' first dimensions may differ (as Horovod's)."""
    if input.dim() == 0:
        raise errors.InvalidArgumentError(None, None, "Collective gather does not support scalar inputs")
    group = _group(op_type, node_name, group_size, keys[0])
    if group is None:
        return _done(input.clone())
    local = _comm_device(input.contiguous())
    row_shape = local.shape[1:].numel() if local.dim() > 1 else 1
    fields = [local.shape[0], row_shape, _DTYPES.index(local.dtype)]
    agreement = _propose("all-gather", group, keys, timeout_seconds, local.device, fields)
    pg = group.process_group

    def proceed(table):
        _mismatch("all-gather", group, keys, table, 4, lambda t: f"has rows of {t[4]} elements")
        _mismatch("all-gather", group, keys, table, 5, lambda t: f"has {_dtype_name(t[5])}")
        counts = [t[3] for t in table]
        padded = local
        if local.shape[0] < max(counts):
            pad = local.new_zeros((max(counts) - local.shape[0], *local.shape[1:]))
            padded = torch.cat([local, pad])
        parts = [torch.empty_like(padded) for _ in group.ranks]
        work = _launch("all-gather", lambda: dist.all_gather(parts, padded, group=pg, async_op=True))
        return work, lambda: torch.cat([p[:n] for p, n in zip(parts, counts)]).to(input.device)

    return _in_flight("all-gather", timeout_seconds, agreement, proceed)


def _start_broadcast(op_type, node_name, tensor, group_size, keys, timeout_seconds, sending, shape=None, device=None):
    """Broadcast from the one process that sends (TF finds it by the keys; here the agreement row says it)."""
    group = _group(op_type, node_name, group_size, keys[0])
    if group is None:
        if not sending:
            raise errors.InvalidArgumentError(
                None, None, "Collective broadcast receive in a group of one: no process sends"
            )
        return _done(tensor.clone())
    out_device = tensor.device if sending else device
    comm = _comm_device(tensor if sending else torch.empty(0)).device
    numel = tensor.numel() if sending else int(torch.Size(shape).numel())
    data = _comm_device(tensor).clone() if sending else torch.empty(shape, dtype=tensor.dtype, device=comm)
    fields = [int(sending), numel, _DTYPES.index(tensor.dtype)]
    agreement = _propose("broadcast", group, keys, timeout_seconds, comm, fields)
    pg = group.process_group

    def proceed(table):
        senders = [r for r, t in zip(group.ranks, table) if t[3]]
        if len(senders) != 1:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Collective broadcast instance {keys[1]} needs exactly one sending process; ranks {senders} send",
            )
        _mismatch("broadcast", group, keys, table, 4, lambda t: f"{'sends' if t[3] else 'expects'} {t[4]} elements")
        _mismatch("broadcast", group, keys, table, 5, lambda t: f"has {_dtype_name(t[5])}")
        work = _launch("broadcast", lambda: dist.broadcast(data, src=senders[0], group=pg, async_op=True))
        return work, lambda: data.to(out_device)

    return _in_flight("broadcast", timeout_seconds, agreement, proceed)


def _gather_v2_shape(op):
    shape = with_rank_at_least(op, op.inputs[0].shape, 1)
    if shape.rank is None:
        return [shape]
    return [TensorShape([None, *shape.as_list()[1:]])]


def _gather_v1_shape(op):
    shape = with_rank_at_least(op, op.inputs[0].shape, 1)
    if shape.rank is None:
        return [shape]
    first = shape.as_list()[0]
    first = None if first is None else first * op.get_attr("group_size")
    return [TensorShape([first, *shape.as_list()[1:]])]


def _recv_v2_shape(op):
    return [shape_from_shape_tensor(op.inputs[3])]


@register_op(
    "CollectiveReduceV2",
    inputs=["input: T", *_KEYS, _ORDERING],
    outputs=["data: T"],
    attrs=[
        _REDUCE_TYPES,
        "merge_op: {'Min', 'Max', 'Mul', 'Add'}",
        "final_op: {'Id', 'Div'}",
        *_COMMON_ATTRS,
        "is_stateless: bool = false",
        "Nordering_token: int >= 0 = 0",
        "max_subdivs_per_device: int = -1",
    ],
    shape=common_shapes.unchanged,
    stateful=True,
    distributed_communication=True,
)
def collective_reduce_v2(
    input, group_size, group_key, instance_key, ordering_token, merge_op, final_op, timeout_seconds, node_name
):
    return start_collective_reduce_v2(
        input, group_size, group_key, instance_key, ordering_token, merge_op, final_op, timeout_seconds, node_name
    ).wait()


@register_async_kernel("CollectiveReduceV2")
def start_collective_reduce_v2(
    input, group_size, group_key, instance_key, ordering_token, merge_op, final_op, timeout_seconds, node_name
):
    keys = (group_key, instance_key)
    return _start_reduce("CollectiveReduceV2", node_name, input, group_size, keys, merge_op, final_op, timeout_seconds)


@register_op(
    "CollectiveGatherV2",
    inputs=["input: T", *_KEYS, _ORDERING],
    outputs=["data: T"],
    attrs=[_GATHER_TYPES, *_COMMON_ATTRS, "is_stateless: bool = false", "Nordering_token: int >= 0 = 0"],
    shape=_gather_v2_shape,
    stateful=True,
    distributed_communication=True,
)
def collective_gather_v2(input, group_size, group_key, instance_key, ordering_token, timeout_seconds, node_name):
    return start_collective_gather_v2(
        input, group_size, group_key, instance_key, ordering_token, timeout_seconds, node_name
    ).wait()


@register_async_kernel("CollectiveGatherV2")
def start_collective_gather_v2(input, group_size, group_key, instance_key, ordering_token, timeout_seconds, node_name):
    keys = (group_key, instance_key)
    return _start_gather("CollectiveGatherV2", node_name, input, group_size, keys, timeout_seconds)


@register_op(
    "CollectiveBcastSendV2",
    inputs=["input: T", *_KEYS],
    outputs=["data: T"],
    attrs=[_BCAST_TYPES, *_COMMON_ATTRS],
    shape=common_shapes.unchanged,
    stateful=True,
    distributed_communication=True,
)
def collective_bcast_send_v2(input, group_size, group_key, instance_key, timeout_seconds, node_name):
    return start_collective_bcast_send_v2(input, group_size, group_key, instance_key, timeout_seconds, node_name).wait()


@register_async_kernel("CollectiveBcastSendV2")
def start_collective_bcast_send_v2(input, group_size, group_key, instance_key, timeout_seconds, node_name):
    keys = (group_key, instance_key)
    return _start_broadcast("CollectiveBcastSendV2", node_name, input, group_size, keys, timeout_seconds, True)


@register_op(
    "CollectiveBcastRecvV2",
    inputs=[*_KEYS, "shape: Tshape"],
    outputs=["data: T"],
    attrs=[_BCAST_TYPES, "Tshape: {int32, int64} = DT_INT32", *_COMMON_ATTRS],
    shape=_recv_v2_shape,
    stateful=True,
    distributed_communication=True,
)
def collective_bcast_recv_v2(group_size, group_key, instance_key, shape, T, timeout_seconds, device, node_name):
    return start_collective_bcast_recv_v2(
        group_size, group_key, instance_key, shape, T, timeout_seconds, device, node_name
    ).wait()


@register_async_kernel("CollectiveBcastRecvV2")
def start_collective_bcast_recv_v2(group_size, group_key, instance_key, shape, T, timeout_seconds, device, node_name):
    dims = [int(d) for d in shape.reshape(-1).tolist()]
    empty = torch.empty(0, dtype=T.torch)
    keys = (group_key, instance_key)
    return _start_broadcast(
        "CollectiveBcastRecvV2", node_name, empty, group_size, keys, timeout_seconds, False, dims, device
    )


@register_op(
    "CollectiveReduce",
    inputs=["input: T"],
    outputs=["data: T"],
    attrs=[
        _REDUCE_TYPES,
        *_V1_KEYS,
        "merge_op: {'Min', 'Max', 'Mul', 'Add'}",
        "final_op: {'Id', 'Div'}",
        "subdiv_offsets: list(int)",
        "wait_for: list(int) = []",
        *_COMMON_ATTRS,
    ],
    shape=common_shapes.unchanged,
    stateful=True,
    distributed_communication=True,
)
def collective_reduce(input, group_size, group_key, instance_key, merge_op, final_op, timeout_seconds, node_name):
    return start_collective_reduce(
        input, group_size, group_key, instance_key, merge_op, final_op, timeout_seconds, node_name
    ).wait()


@register_async_kernel("CollectiveReduce")
def start_collective_reduce(input, group_size, group_key, instance_key, merge_op, final_op, timeout_seconds, node_name):
    keys = (group_key, instance_key)
    return _start_reduce("CollectiveReduce", node_name, input, group_size, keys, merge_op, final_op, timeout_seconds)


@register_op(
    "CollectiveGather",
    inputs=["input: T"],
    outputs=["data: T"],
    attrs=[_GATHER_TYPES, *_V1_KEYS, "shape: shape", *_COMMON_ATTRS],
    shape=_gather_v1_shape,
    stateful=True,
    distributed_communication=True,
)
def collective_gather(input, group_size, group_key, instance_key, timeout_seconds, node_name):
    return start_collective_gather(input, group_size, group_key, instance_key, timeout_seconds, node_name).wait()


@register_async_kernel("CollectiveGather")
def start_collective_gather(input, group_size, group_key, instance_key, timeout_seconds, node_name):
    return _start_gather("CollectiveGather", node_name, input, group_size, (group_key, instance_key), timeout_seconds)


@register_op(
    "CollectiveBcastSend",
    inputs=["input: T"],
    outputs=["data: T"],
    attrs=[_BCAST_TYPES, *_V1_KEYS, "shape: shape", *_COMMON_ATTRS],
    shape=common_shapes.from_attr("shape"),
    stateful=True,
    distributed_communication=True,
)
def collective_bcast_send(input, group_size, group_key, instance_key, timeout_seconds, node_name):
    return start_collective_bcast_send(input, group_size, group_key, instance_key, timeout_seconds, node_name).wait()


@register_async_kernel("CollectiveBcastSend")
def start_collective_bcast_send(input, group_size, group_key, instance_key, timeout_seconds, node_name):
    keys = (group_key, instance_key)
    return _start_broadcast("CollectiveBcastSend", node_name, input, group_size, keys, timeout_seconds, True)


@register_op(
    "CollectiveBcastRecv",
    outputs=["data: T"],
    attrs=[_BCAST_TYPES, *_V1_KEYS, "shape: shape", *_COMMON_ATTRS],
    shape=common_shapes.from_attr("shape"),
    stateful=True,
    distributed_communication=True,
)
def collective_bcast_recv(T, group_size, group_key, instance_key, shape, timeout_seconds, device, node_name):
    return start_collective_bcast_recv(
        T, group_size, group_key, instance_key, shape, timeout_seconds, device, node_name
    ).wait()


@register_async_kernel("CollectiveBcastRecv")
def start_collective_bcast_recv(T, group_size, group_key, instance_key, shape, timeout_seconds, device, node_name):
    empty = torch.empty(0, dtype=T.torch)
    keys = (group_key, instance_key)
    return _start_broadcast(
        "CollectiveBcastRecv", node_name, empty, group_size, keys, timeout_seconds, False, list(shape), device
    )


# TensorFlow registers no gradient for its collectives (DistributedOptimizer reduces gradients instead).
no_registered_gradient(
    "CollectiveReduceV2",
    "CollectiveGatherV2",
    "CollectiveBcastSendV2",
    "CollectiveBcastRecvV2",
    "CollectiveReduce",
    "CollectiveGather",
    "CollectiveBcastSend",
    "CollectiveBcastRecv",
)
