"""Collective ops (TF's core/ops/collective_ops.cc): all-reduce, all-gather and broadcast across the processes
of a torch.distributed job, V2 forms (group/instance keys as inputs) and the V1 forms (keys as attrs).

TensorFlow matches collectives by ``(group_key, instance_key)``; torch.distributed matches them by the order
in which the processes call them. Every process runs the same graph, and a Session runs a graph's ops in
one deterministic order (data and control edges, then creation order), so the n-th collective of a run is
the same op in every process. A group is the whole job: ``group_size`` must equal the number of processes
(one device per process, as Horovod and torchrun have it); without a process group, a group of one is the
identity, so a graph built for a job also runs in a single process.

The kernels call torch.distributed (gloo for CPU tensors, NCCL for CUDA tensors). A peer that dies or a
collective that times out (``timeout_seconds``, else the process group's timeout) fails the run with
UnavailableError / DeadlineExceededError naming the node, instead of hanging.
"""

from __future__ import annotations

import datetime

import torch
import torch.distributed as dist

from torchmeta import errors
from torchmeta.framework import common_shapes
from torchmeta.framework.common_shapes import shape_from_shape_tensor, with_rank_at_least
from torchmeta.framework.registry import no_registered_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape

__all__ = ["job_size", "job_rank", "job_device"]

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


def _in_job(group_size) -> bool:
    """Whether the collective communicates (False: a group of one, nothing to exchange)."""
    size = int(group_size)
    if dist.is_available() and dist.is_initialized():
        world = dist.get_world_size()
        if size != world:
            raise errors.UnimplementedError(
                None,
                None,
                f"group_size {size} differs from the job's {world} processes; torchmeta's collectives run over "
                "all the processes of the torch.distributed job (one device each)",
            )
        return size > 1
    if size == 1:
        return False
    raise errors.FailedPreconditionError(
        None,
        None,
        f"a collective over {size} processes needs a torch.distributed job: launch the program with torchrun "
        "and call torchmeta.distributed.init() (hvd.init()) before running the graph",
    )


def _comm_device(t: torch.Tensor) -> torch.Tensor:
    """``t`` where the backend can read it: NCCL communicates CUDA tensors, gloo CPU ones."""
    if dist.get_backend() == "nccl" and t.device.type != "cuda":
        return t.to(torch.device("cuda", torch.cuda.current_device()))
    if dist.get_backend() == "gloo" and t.device.type != "cpu":
        return t.cpu()
    return t


def _run(what: str, timeout_seconds: float, call):
    """Runs one torch.distributed call, waiting at most ``timeout_seconds`` (0: the process group's)."""
    try:
        work = call()
        if timeout_seconds and timeout_seconds > 0:
            work.wait(timeout=datetime.timedelta(seconds=timeout_seconds))
        else:
            work.wait()
    except (RuntimeError, dist.DistError) as e:
        text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        text = text if len(text) < 300 else text[:300] + " ..."
        if "timed out" in text.lower() or "timeout" in text.lower():
            raise errors.DeadlineExceededError(
                None, None, f"Collective {what} has timed out waiting for other workers ({text})"
            ) from e
        raise errors.UnavailableError(
            None, None, f"Collective {what} failed: another process of the job is gone or failed ({text})"
        ) from e


def _reduce(input, group_size, merge_op, final_op, timeout_seconds):
    if not _in_job(group_size):
        return input.clone()
    out = _comm_device(input).clone()
    _run("all-reduce", timeout_seconds, lambda: dist.all_reduce(out, op=_MERGE[merge_op], async_op=True))
    if final_op == "Div":
        size = int(group_size)
        out = out / size if out.is_floating_point() else torch.div(out, size, rounding_mode="trunc")
    return out.to(input.device)


def _gather(input, group_size, timeout_seconds):
    """All-gather along the first dimension; the processes' first dimensions may differ (as Horovod's)."""
    if input.dim() == 0:
        raise errors.InvalidArgumentError(None, None, "Collective gather does not support scalar inputs")
    if not _in_job(group_size):
        return input.clone()
    size = int(group_size)
    local = _comm_device(input.contiguous())
    rows = torch.tensor([local.shape[0]], dtype=torch.int64, device=local.device)
    all_rows = [torch.empty_like(rows) for _ in range(size)]
    _run("all-gather", timeout_seconds, lambda: dist.all_gather(all_rows, rows, async_op=True))
    counts = [int(r.item()) for r in all_rows]
    longest = max(counts)
    if local.shape[0] < longest:
        pad = local.new_zeros((longest - local.shape[0], *local.shape[1:]))
        local = torch.cat([local, pad])
    parts = [torch.empty_like(local) for _ in range(size)]
    _run("all-gather", timeout_seconds, lambda: dist.all_gather(parts, local, async_op=True))
    return torch.cat([p[:n] for p, n in zip(parts, counts)]).to(input.device)


def _broadcast(tensor, group_size, timeout_seconds, sending: bool, shape=None):
    """Broadcast from the one process that sends; the receivers learn which one that is first."""
    if not _in_job(group_size):
        if not sending:
            raise errors.InvalidArgumentError(
                None, None, "Collective broadcast receive in a group of one: no process sends"
            )
        return tensor.clone()
    size, rank = int(group_size), dist.get_rank()
    device = _comm_device(tensor if sending else torch.empty(0)).device
    # Each process says whether it sends (and how many elements): TF finds the sender by the keys.
    senders = torch.zeros(size, dtype=torch.int64, device=device)
    if sending:
        senders[rank] = tensor.numel() + 1
    _run("broadcast", timeout_seconds, lambda: dist.all_reduce(senders, async_op=True))
    found = [i for i, v in enumerate(senders.tolist()) if v]
    if len(found) != 1:
        raise errors.InvalidArgumentError(
            None, None, f"Collective broadcast needs exactly one sending process; ranks {found} send"
        )
    src = found[0]
    if sending:
        data = _comm_device(tensor).clone()
    else:
        numel = int(torch.Size(shape).numel())
        if numel != int(senders[src].item()) - 1:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Collective broadcast: rank {src} sends {int(senders[src].item()) - 1} elements, this process "
                f"expects shape {list(shape)}",
            )
        data = torch.empty(shape, dtype=tensor.dtype, device=device)
    _run("broadcast", timeout_seconds, lambda: dist.broadcast(data, src=src, async_op=True))
    return data


def _recv(group_size, shape, dtype, device, timeout_seconds):
    out = _broadcast(torch.empty(0, dtype=dtype), group_size, timeout_seconds, False, shape)
    return out.to(device)


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
    input, group_size, group_key, instance_key, ordering_token, merge_op, final_op, timeout_seconds
):
    return _reduce(input, group_size, merge_op, final_op, timeout_seconds)


@register_op(
    "CollectiveGatherV2",
    inputs=["input: T", *_KEYS, _ORDERING],
    outputs=["data: T"],
    attrs=[_GATHER_TYPES, *_COMMON_ATTRS, "is_stateless: bool = false", "Nordering_token: int >= 0 = 0"],
    shape=_gather_v2_shape,
    stateful=True,
    distributed_communication=True,
)
def collective_gather_v2(input, group_size, group_key, instance_key, ordering_token, timeout_seconds):
    return _gather(input, group_size, timeout_seconds)


@register_op(
    "CollectiveBcastSendV2",
    inputs=["input: T", *_KEYS],
    outputs=["data: T"],
    attrs=[_BCAST_TYPES, *_COMMON_ATTRS],
    shape=common_shapes.unchanged,
    stateful=True,
    distributed_communication=True,
)
def collective_bcast_send_v2(input, group_size, group_key, instance_key, timeout_seconds):
    return _broadcast(input, group_size, timeout_seconds, True).to(input.device)


@register_op(
    "CollectiveBcastRecvV2",
    inputs=[*_KEYS, "shape: Tshape"],
    outputs=["data: T"],
    attrs=[_BCAST_TYPES, "Tshape: {int32, int64} = DT_INT32", *_COMMON_ATTRS],
    shape=_recv_v2_shape,
    stateful=True,
    distributed_communication=True,
)
def collective_bcast_recv_v2(group_size, group_key, instance_key, shape, T, timeout_seconds, device):
    dims = [int(d) for d in shape.reshape(-1).tolist()]
    return _recv(group_size, dims, T.torch, device, timeout_seconds)


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
def collective_reduce(input, group_size, merge_op, final_op, timeout_seconds):
    return _reduce(input, group_size, merge_op, final_op, timeout_seconds)


@register_op(
    "CollectiveGather",
    inputs=["input: T"],
    outputs=["data: T"],
    attrs=[_GATHER_TYPES, *_V1_KEYS, "shape: shape", *_COMMON_ATTRS],
    shape=_gather_v1_shape,
    stateful=True,
    distributed_communication=True,
)
def collective_gather(input, group_size, timeout_seconds):
    return _gather(input, group_size, timeout_seconds)


@register_op(
    "CollectiveBcastSend",
    inputs=["input: T"],
    outputs=["data: T"],
    attrs=[_BCAST_TYPES, *_V1_KEYS, "shape: shape", *_COMMON_ATTRS],
    shape=common_shapes.from_attr("shape"),
    stateful=True,
    distributed_communication=True,
)
def collective_bcast_send(input, group_size, timeout_seconds):
    return _broadcast(input, group_size, timeout_seconds, True).to(input.device)


@register_op(
    "CollectiveBcastRecv",
    outputs=["data: T"],
    attrs=[_BCAST_TYPES, *_V1_KEYS, "shape: shape", *_COMMON_ATTRS],
    shape=common_shapes.from_attr("shape"),
    stateful=True,
    distributed_communication=True,
)
def collective_bcast_recv(T, group_size, shape, timeout_seconds, device):
    return _recv(group_size, list(shape), T.torch, device, timeout_seconds)


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
