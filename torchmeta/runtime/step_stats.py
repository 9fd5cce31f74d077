"""RunMetadata.step_stats for traced runs: one NodeExecStats per TF node, timed while its fx node runs.

``Session.run(..., options=RunOptions(trace_level=...), run_metadata=...)`` runs the lowered module
through :class:`TracingInterpreter` instead of its compiled ``forward``: each ``call_function`` node's
kernel is timed (CUDA work is synchronized first, so the time is the kernel's), and the TF node it
belongs to (``node.meta["tf_name"]``) gets its start time, duration, and the dtype, shape and byte size
of its outputs, grouped by device as TensorFlow's StepStats are. TensorBoard's graph view reads these
(compute time and memory per node) from a FileWriter's ``add_run_metadata``. Nodes the specializer
folded away before the run (shape arithmetic, identities) do not appear, as TensorFlow's own graph
optimizations remove nodes from its traces.
"""

from __future__ import annotations

import contextlib
import threading
import time

import torch
import torch.fx

from torchmeta._proto import run_options_pb2, step_stats_pb2
from torchmeta.dtypes import as_dtype

__all__ = ["TracingInterpreter", "device_name"]


def device_name(device: torch.device) -> str:
    """TensorFlow's full device name for a torch device (``/job:localhost/replica:0/task:0/device:CPU:0``)."""
    kind = "GPU" if device.type == "cuda" else device.type.upper()
    return f"/job:localhost/replica:0/task:0/device:{kind}:{device.index or 0}"


def _tensors(value):
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    return []


class TracingInterpreter(torch.fx.Interpreter):
    """Runs a lowered module node by node, recording each TF node's time and outputs."""

    def __init__(self, gm: torch.fx.GraphModule):
        super().__init__(gm)
        self.records: dict = {}  # tf name -> [device, start_ns, end_ns, op type, input names, outputs]

    def run_node(self, n):
        tf_name = n.meta.get("tf_name")
        if n.op != "call_function" or tf_name is None:
            return super().run_node(n)
        start_wall = time.time_ns()
        start = time.perf_counter_ns()
        out = super().run_node(n)
        tensors = _tensors(out)
        if any(t.is_cuda for t in tensors):
            torch.cuda.synchronize()
        end = time.perf_counter_ns()
        record = self.records.get(tf_name)
        if record is None:
            device = tensors[0].device if tensors else torch.device("cpu")
            inputs = [a.meta.get("tf_name", a.name) for a in n.all_input_nodes]
            self.records[tf_name] = [
                device,
                start_wall,
                start_wall + (end - start),
                n.meta.get("tf_op", ""),
                inputs,
                [],
            ]
            record = self.records[tf_name]
        else:
            record[2] += end - start
        if n.target.__name__ != "getitem" or not record[5]:
            record[5].extend(tensors)
        return out

    def step_stats(self) -> step_stats_pb2.StepStats:
        """The recorded nodes as a StepStats, one DeviceStepStats per device, in execution order."""
        stats = step_stats_pb2.StepStats()
        per_device: dict = {}
        thread_id = threading.get_ident() & 0xFFFFFFFF
        for name, (device, start_ns, end_ns, op_type, inputs, outputs) in self.records.items():
            dev_name = device_name(device)
            dev = per_device.get(dev_name)
            if dev is None:
                dev = per_device[dev_name] = stats.dev_stats.add(device=dev_name)
            duration_ns = max(end_ns - start_ns, 0)
            node = dev.node_stats.add(
                node_name=name,
                all_start_micros=start_ns // 1000,
                op_start_rel_micros=0,
                op_end_rel_micros=duration_ns // 1000,
                all_end_rel_micros=duration_ns // 1000,
                all_start_nanos=start_ns,
                op_start_rel_nanos=0,
                op_end_rel_nanos=duration_ns,
                all_end_rel_nanos=duration_ns,
                scheduled_micros=start_ns // 1000,
                scheduled_nanos=start_ns,
                timeline_label=f"{name} = {op_type}({', '.join(inputs)})",
                thread_id=thread_id,
            )
            allocator = "GPU_0_bfc" if device.type == "cuda" else "cpu"
            total = 0
            for slot, t in enumerate(outputs):
                nbytes = t.numel() * t.element_size()
                total += nbytes
                out = node.output.add(slot=slot)
                desc = out.tensor_description
                with contextlib.suppress(TypeError):  # a torch dtype TF has no name for (no kernel makes one)
                    desc.dtype = as_dtype(t.dtype).as_datatype_enum
                for d in t.shape:
                    desc.shape.dim.add(size=d)
                desc.allocation_description.requested_bytes = nbytes
                desc.allocation_description.allocated_bytes = nbytes
                desc.allocation_description.allocator_name = allocator
            if outputs:
                node.memory.add(allocator_name=allocator, total_bytes=total, peak_bytes=total, live_bytes=total)
            node.memory_stats.temp_memory_size = 0
        return stats


def wants_trace(options) -> bool:
    """Whether ``options`` (a RunOptions, TensorFlow's or ours) asks for step stats."""
    level = getattr(options, "trace_level", 0)
    return bool(level) and level != run_options_pb2.RunOptions.NO_TRACE


def fill_run_metadata(run_metadata, step_stats) -> None:
    """Merges ``step_stats`` into ``run_metadata`` (torchmeta's RunMetadata, or TensorFlow's: same wire format)."""
    ours = run_options_pb2.RunMetadata()
    ours.step_stats.CopyFrom(step_stats)
    run_metadata.MergeFromString(ours.SerializeToString())
