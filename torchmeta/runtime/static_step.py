"""One ``Session.run`` signature with static feed shapes, run from fixed device buffers, and on a GPU
captured once into a CUDA graph (``torch.cuda.CUDAGraph``) and replayed.

``Session.make_static_step(fetches, feed_dict)`` builds one. What a CUDA graph needs, and how it is met:

- fixed input addresses: each feed gets a device buffer; a call copies the new values into it;
- fixed state addresses: the captured kernels read and write the variables (and optimizer slots) where
  they were at capture, so every variable must be updated in place. The step checks it: a variable whose
  tensor the step replaced (an Assign of a new value, a resource variable's copy-on-write) makes the
  capture fail, naming it, instead of replaying on stale memory;
- no host work inside the step: ops whose kernels keep state on the host (TF's Philox random streams,
  whose counters advance in Python, and while loops, whose conditions are read on the host) cannot be
  replayed, so a step with them is refused before capture, naming them; a kernel that synchronises with
  the host fails the capture, naming its node;
- warm-up runs before capture (lazy initialisation of torch's CUDA libraries and of torchmeta's caches)
  would change the variables: their values are saved before and put back after, so the first replay is
  the step's first update.

Without ``cuda_graph`` (the default off a GPU) the same object runs the module eagerly from the static
buffers (what the CPU tests check: the same values as ``Session.run``, variables updated in place).
"""

from __future__ import annotations

import torch

from torchmeta import errors
from torchmeta.ops.philox import GuardedPhilox
from torchmeta.runtime.program import node_error

__all__ = ["StaticStep"]


class StaticStep:
    """A callable running one fetch/feed signature of a Session from static buffers (see the module doc).

    Calling it with a ``feed_dict`` of the same keys (values of the captured shapes and dtypes) runs one
    step and returns the fetched values as ``Session.run`` does (numpy); ``device_outputs()`` gives the
    last call's results as device tensors (a CUDA graph's own output buffers: overwritten by the next
    call, so clone what must be kept).
    """

    def __init__(self, plan, compiled, args, device, slots, cuda_graph: bool, warmup: int, to_numpy):
        self._plan = plan
        self._gm = compiled.gm
        self._forward = compiled.forward
        self._out_copy = compiled.out_copy
        self._to_numpy = to_numpy
        self.device = device
        self._inputs = []
        for feed, arg in zip(plan.feeds, args):
            if not isinstance(arg, torch.Tensor):
                raise errors.UnimplementedError(
                    None, feed.tensor.op, f"A static step cannot feed {feed.tensor.name}: string feeds stay on the host"
                )
            self._inputs.append(arg.to(device, copy=True))
        self._slots = [s for s in slots if isinstance(s.value, torch.Tensor)]
        self._graph = None
        self._outputs = None
        if cuda_graph:
            self._check_capturable()
            if device.type != "cuda" or not torch.cuda.is_available():
                raise errors.InvalidArgumentError(
                    None, None, f"CUDA graphs need a session on a CUDA device; this session computes on {device}"
                )
            self._capture(warmup)

    @property
    def captured(self) -> bool:
        """Whether calls replay a CUDA graph."""
        return self._graph is not None

    def _check_capturable(self) -> None:
        host_state = []
        for name, value in vars(self._gm).items():
            if isinstance(value, GuardedPhilox):
                host_state.append(f"{name.removesuffix('_generator')} (a random op: its Philox counter is on the host)")
            elif type(value).__name__ == "LoopRunner":
                host_state.append(f"{name} (a while loop: its condition is read on the host)")
        if host_state:
            raise errors.UnimplementedError(
                None, None, "This step cannot be captured in a CUDA graph: " + "; ".join(sorted(host_state))
            )

    def _run(self):
        try:
            return self._forward(*self._inputs)
        except Exception as e:
            raise node_error(self._gm, e) from e

    def _capture(self, warmup: int) -> None:
        # Addresses, not the tensors themselves: holding a resource variable's tensor here would make its
        # update copy on write (ops/common.updated_value counts the references).
        saved = [(slot, slot.value.data_ptr(), slot.value.clone()) for slot in self._slots]
        stream = torch.cuda.Stream(self.device)
        stream.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(stream):
            for _ in range(max(1, warmup)):
                self._run()
        torch.cuda.current_stream(self.device).wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                outputs = self._run()
        except errors.OpError as e:
            raise errors.UnimplementedError(
                None, None, f"This step cannot be captured in a CUDA graph: {e.message}"
            ) from e
        replaced = sorted(slot.name for slot, address, _ in saved if slot.value.data_ptr() != address)
        if not replaced:
            for slot, _, value in saved:
                slot.value.copy_(value)  # the warm-up runs' updates undone, in the captured memory
        if replaced:
            raise errors.UnimplementedError(
                None,
                None,
                "This step cannot be captured in a CUDA graph: it replaces the tensors of variables instead of "
                f"updating them in place: {', '.join(replaced)}",
            )
        torch.cuda.synchronize(self.device)
        self._graph, self._outputs = graph, outputs

    def __call__(self, feed_dict=None):
        plan = self._plan
        feed_dict = feed_dict or {}
        if set(feed_dict) != {f.key for f in plan.feeds}:
            raise errors.InvalidArgumentError(
                None, None, "A static step is fed the same keys on every call as when it was made"
            )
        for buffer, feed in zip(self._inputs, plan.feeds):
            value = feed_dict[feed.key] if feed.part is None else feed_dict[feed.key][feed.part]
            converted = feed.convert(value)
            if converted.shape != buffer.shape:
                raise errors.InvalidArgumentError(
                    None,
                    feed.tensor.op,
                    f"A static step was made for {feed.tensor.name} of shape {tuple(buffer.shape)}, "
                    f"not {tuple(converted.shape)}",
                )
            buffer.copy_(converted, non_blocking=True)
        if self._graph is not None:
            self._graph.replay()
            outs = self._outputs
            copies = [False] * len(outs)
        else:
            outs = self._outputs = self._run()
            copies = self._out_copy
        values = [self._to_numpy(v, dt, c) for v, dt, c in zip(outs, plan.out_dtypes, copies)]
        return plan.structure.build(values)

    def device_outputs(self) -> list:
        """The fetched tensors of the last call, on the device (None before the first call without a graph)."""
        return None if self._outputs is None else list(self._outputs)
