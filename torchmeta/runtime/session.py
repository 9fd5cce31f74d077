"""Session: runs pruned subgraphs as cached torch.fx modules, with per-session variable state."""

from __future__ import annotations

import collections
import contextlib
import threading

import numpy as np
import torch

from torchmeta import errors
from torchmeta.api.ragged_tensor import RaggedTensor
from torchmeta.dtypes import DType, numpy_to_torch, torch_to_numpy
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import tensor_util
from torchmeta.framework.default_session import default_session
from torchmeta.framework.device import DeviceSpec
from torchmeta.framework.graph import Operation, Tensor
from torchmeta.framework.indexed_slices import IndexedSlices, IndexedSlicesValue
from torchmeta.framework.ragged_tensor_value import RaggedTensorValue
from torchmeta.framework.sparse_tensor import SparseTensor, SparseTensorValue
from torchmeta.ops.collective_ops import job_device
from torchmeta.ops.control_flow_ops import DEAD
from torchmeta.ops.random_distributions import tf_pool_threads
from torchmeta.ops.random_ops import op_generator
from torchmeta.runtime import data_pipeline, lowering, step_stats
from torchmeta.runtime.compiled import explain_module
from torchmeta.runtime.functions import FunctionCache, FunctionCalls
from torchmeta.runtime.host_memory import keep_host_memory
from torchmeta.runtime.program import LoopRunner, Program, node_error
from torchmeta.runtime.state import ResourceContainer, VariableSlot
from torchmeta.runtime.static_step import StaticStep

__all__ = ["Session", "InteractiveSession", "ConfigProto", "GPUOptions", "GraphOptions", "OptimizerOptions"]


class GPUOptions:
    """TF's GPUOptions, as far as torchmeta honours them (same field names).

    Args:
      visible_device_list: comma-separated CUDA device indices; the graph's ``/GPU:i`` is the i-th of them
        (Horovod's recipe sets ``str(hvd.local_rank())``). Empty: in an NCCL job (torchmeta.distributed)
        ``/GPU:0`` is the process's own GPU, ``cuda:<local_rank>``; otherwise ``/GPU:i`` is ``cuda:i``.
      allow_growth, per_process_gpu_memory_fraction: accepted for compatibility; torch's caching allocator
        grows as needed.
    """

    def __init__(self, visible_device_list="", allow_growth=False, per_process_gpu_memory_fraction=0.0, **_ignored):
        self.visible_device_list = visible_device_list
        self.allow_growth = allow_growth
        self.per_process_gpu_memory_fraction = per_process_gpu_memory_fraction


class ConfigProto:
    """The session options torchmeta honours (a subset of TF's ConfigProto, same field names).

    Args:
      allow_soft_placement: place ops pinned to an unavailable GPU on the CPU instead of failing.
      log_device_placement: accepted for compatibility; ignored.
      intra_op_parallelism_threads: when > 0, ``torch.set_num_threads`` is called with it (in every thread
        that runs the session: the setting is per thread in torch).
      inter_op_parallelism_threads: accepted for compatibility; ignored.
      device: torchmeta's extension: the device for ops with no device of their own ("cpu", "cuda").
      optimize: torchmeta's extension (default True): specialize each subgraph to the feed shapes of a
        run, folding shape arithmetic to constants and skipping no-op nodes.
      torch_compile: torchmeta's extension (default False): compile each subgraph a run needs with
        ``torch.compile`` (inductor), once per feed-shape signature, on its second run (the first runs
        eagerly); a training step is captured as one graph (see ``runtime/compiled.py``). ``Session.compile_stats()`` lists what was
        compiled and how long it took.
      gpu_options: a ``GPUOptions`` (its ``visible_device_list`` maps the graph's GPUs to CUDA devices).
      graph_options: a ``GraphOptions``; accepted for compatibility (TF's graph optimizations and XLA's JIT
        levels have no counterpart: torchmeta's are ``optimize`` and ``torch_compile``).
    """

    def __init__(
        self,
        allow_soft_placement=False,
        log_device_placement=False,
        intra_op_parallelism_threads=0,
        inter_op_parallelism_threads=0,
        device=None,
        optimize=True,
        torch_compile=False,
        gpu_options=None,
        graph_options=None,
        **_ignored,
    ):
        self.allow_soft_placement = allow_soft_placement
        self.log_device_placement = log_device_placement
        self.intra_op_parallelism_threads = intra_op_parallelism_threads
        self.inter_op_parallelism_threads = inter_op_parallelism_threads
        self.device = device
        self.optimize = optimize
        self.torch_compile = torch_compile
        self.gpu_options = gpu_options if gpu_options is not None else GPUOptions()
        self.graph_options = graph_options if graph_options is not None else GraphOptions()


class _ProtoEnum:
    """A proto enum's class-level wrapper (``OptimizerOptions.Level``): ``Name``, ``Value``, ``keys``, ``values``,
    ``items``, as protobuf's ``EnumTypeWrapper``."""

    def __init__(self, enum_name: str, values: dict[str, int]):
        self._enum_name = enum_name
        self._values = values

    def Name(self, number):
        for key, value in self._values.items():
            if value == number:
                return key
        raise ValueError(f"Enum {self._enum_name} has no name defined for value {number!r}")

    def Value(self, name):
        if name not in self._values:
            raise ValueError(f"Enum {self._enum_name} has no value defined for name {name!r}")
        return self._values[name]

    def keys(self):
        return list(self._values)

    def values(self):
        return list(self._values.values())

    def items(self):
        return list(self._values.items())


class _OptionsMessage:
    """Keyword fields with proto3 defaults, TF's error for an unknown field, equality by fields."""

    _FIELDS: dict = {}

    def __init__(self, **fields):
        for name, default in self._FIELDS.items():
            setattr(self, name, default() if callable(default) else default)
        for name, value in fields.items():
            if name not in self._FIELDS:
                raise ValueError(f'Protocol message {type(self).__name__} has no "{name}" field.')
            setattr(self, name, value)

    def __eq__(self, other):
        return type(other) is type(self) and vars(other) == vars(self)

    def __repr__(self):
        changed = {
            k: v
            for k, v in vars(self).items()
            if v != (self._FIELDS[k]() if callable(self._FIELDS[k]) else self._FIELDS[k])
        }
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"


class OptimizerOptions(_OptionsMessage):
    """TF's ``OptimizerOptions`` (config.proto): the fields and enum constants TF1 programs set (``opt_level``,
    ``global_jit_level = tf.OptimizerOptions.ON_1``). Accepted for compatibility; nothing reads them."""

    Level = _ProtoEnum("Level", {"L1": 0, "L0": -1})
    GlobalJitLevel = _ProtoEnum("GlobalJitLevel", {"DEFAULT": 0, "OFF": -1, "ON_1": 1, "ON_2": 2})
    L1, L0 = 0, -1
    DEFAULT, OFF, ON_1, ON_2 = 0, -1, 1, 2
    _FIELDS = {
        "do_common_subexpression_elimination": False,
        "do_constant_folding": False,
        "max_folded_constant_in_bytes": 0,
        "do_function_inlining": False,
        "opt_level": 0,
        "global_jit_level": 0,
        "cpu_global_jit": False,
    }


class GraphOptions(_OptionsMessage):
    """TF's ``GraphOptions`` (config.proto), holding an ``OptimizerOptions``. Accepted for compatibility."""

    _FIELDS = {
        "enable_recv_scheduling": False,
        "optimizer_options": OptimizerOptions,
        "build_cost_model": 0,
        "build_cost_model_after": 0,
        "infer_shapes": False,
        "place_pruned_graph": False,
        "enable_bfloat16_sendrecv": False,
        "timeline_step": 0,
    }


# ---------------------------------------------------------------------------------------------
# Fetch structures


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


class _FetchStructure:
    """Flattens nested fetches to unique graph elements and rebuilds results in the same shape."""

    def __init__(self, graph: graph_lib.Graph, fetches):
        self.elements: list = []  # unique Tensors and Operations
        self._index: dict = {}
        self._builder = self._compile(graph, fetches)

    def _add(self, element) -> int:
        idx = self._index.get(element)
        if idx is None:
            idx = len(self.elements)
            self._index[element] = idx
            self.elements.append(element)
        return idx

    def _compile(self, graph, fetch):
        if fetch is None:
            raise TypeError('Argument `fetch` = None has invalid type "NoneType". Cannot be None')
        if isinstance(fetch, dict):
            items = [(k, self._compile(graph, v)) for k, v in fetch.items()]
            cls = type(fetch)

            def build_dict(values):
                out = cls() if cls is not dict else {}
                for k, b in items:
                    out[k] = b(values)
                return out

            return build_dict
        if isinstance(fetch, (list, tuple)) and not isinstance(fetch, str):
            subs = [self._compile(graph, f) for f in fetch]
            if _is_namedtuple(fetch):
                cls = type(fetch)
                return lambda values: cls(*[b(values) for b in subs])
            if isinstance(fetch, tuple):
                return lambda values: tuple(b(values) for b in subs)
            return lambda values: [b(values) for b in subs]
        if isinstance(fetch, SparseTensor):
            parts = [self._compile(graph, t) for t in (fetch.indices, fetch.values, fetch.dense_shape)]
            return lambda values: SparseTensorValue(*[b(values) for b in parts])
        if isinstance(fetch, RaggedTensor):
            parts = [self._compile(graph, t) for t in _ragged_components(fetch)]
            return lambda values: RaggedTensorValue.from_nested_row_splits(
                parts[0](values), [b(values) for b in parts[1:]]
            )
        if isinstance(fetch, IndexedSlices):
            parts = [self._compile(graph, t) for t in (fetch.values, fetch.indices)]
            shape = self._compile(graph, fetch.dense_shape) if fetch.dense_shape is not None else None
            return lambda values: IndexedSlicesValue(
                parts[0](values), parts[1](values), None if shape is None else shape(values)
            )
        try:
            element = graph.as_graph_element(fetch, allow_tensor=True, allow_operation=True)
        except TypeError as e:
            raise TypeError(
                f'Argument `fetch` = {fetch} has invalid type "{type(fetch).__name__}", must be a string or Tensor. '
                f"({e})"
            ) from None
        except (ValueError, KeyError) as e:
            raise ValueError(f"Argument `fetch` = {fetch} cannot be interpreted as a Tensor. ({e})") from None
        idx = self._add(element)
        if isinstance(element, Operation):
            return lambda values: None
        return lambda values: values[idx]

    def build(self, values):
        return self._builder(values)


# ---------------------------------------------------------------------------------------------
# Plans: one per (fetch structure, feed keys), holding the compiled module


def _fetch_key(fetch):
    if isinstance(fetch, (Tensor, Operation, str)):
        return fetch
    if isinstance(fetch, (list, tuple)):
        return (type(fetch), tuple(_fetch_key(f) for f in fetch))
    if isinstance(fetch, dict):
        return (type(fetch), tuple((k, _fetch_key(v)) for k, v in fetch.items()))
    return fetch if getattr(fetch, "__hash__", None) else id(fetch)


def _ragged_components(rt):
    """The tensors a RaggedTensor is fetched and fed as: its flat values, then its row splits, outermost first."""
    return (rt.flat_values, *rt.nested_row_splits)


def _feed_value(feed_dict, feed):
    value = feed_dict[feed.key]
    if feed.part is None:
        return value
    if isinstance(feed.key, RaggedTensor):
        if not isinstance(value, RaggedTensorValue):
            raise TypeError(f"The value fed for a RaggedTensor must be a RaggedTensorValue, got {type(value).__name__}")
        return (value.flat_values, *value.nested_row_splits)[feed.part]
    return value[feed.part]


class _Feed:
    """How one fed tensor is checked and converted."""

    __slots__ = ("key", "part", "tensor", "np_dtype", "dims", "is_string", "dtype")

    def __init__(self, key, tensor: Tensor, part=None):
        self.key = key
        # for a SparseTensor key: which of (indices, values, dense_shape) this is; for a RaggedTensor key: which
        # of (flat_values, *nested_row_splits)
        self.part = part
        self.tensor = tensor
        self.dtype = tensor.dtype.base_dtype
        self.np_dtype = self.dtype.numpy
        self.dims = tensor.shape.as_tuple()
        self.is_string = self.dtype is DType.string

    def convert(self, value):
        if isinstance(value, (Tensor, Operation)) or hasattr(value, "_as_graph_element"):
            raise TypeError(
                "The value of a feed cannot be a tf.Tensor object. Acceptable feed values include Python "
                "scalars, strings, lists, numpy ndarrays, or TensorHandles. For reference, the tensor object was "
                f"{value} which was passed to the argument `feed_dict` with key {self.key}."
            )
        if isinstance(value, torch.Tensor):
            arr = value
            shape = tuple(arr.shape)
            if arr.dtype != self.dtype.torch:
                raise self._dtype_error(str(arr.dtype).replace("torch.", ""))
        else:
            if self.is_string:
                arr = tensor_util.to_numpy(value, DType.string)
            else:
                arr = value if type(value) is np.ndarray else np.asarray(value)
                if arr.dtype != self.np_dtype:
                    if arr.dtype.kind in "SUO" or not np.can_cast(arr.dtype, self.np_dtype, casting="same_kind"):
                        raise self._dtype_error("string" if arr.dtype.kind in "SUO" else arr.dtype.name)
                    arr = arr.astype(self.np_dtype)
            shape = arr.shape
        dims = self.dims
        if dims is not None and (len(shape) != len(dims) or any(d is not None and d != s for d, s in zip(dims, shape))):
            raise errors.InvalidArgumentError(
                None,
                self.tensor.op,
                f"Cannot feed value of shape {tuple(shape)!r} for Tensor {self.tensor.name}, which has shape "
                f"{self.tensor.shape}",
            )
        if self.is_string or isinstance(arr, torch.Tensor):
            return arr
        if arr.dtype.kind == "V" or not arr.flags.writeable:
            return numpy_to_torch(arr, self.dtype)
        try:
            return torch.from_numpy(arr)
        except (TypeError, ValueError):
            return numpy_to_torch(arr, self.dtype)

    def _dtype_error(self, got: str):
        return errors.InvalidArgumentError(
            None,
            self.tensor.op,
            f"Cannot feed value of dtype {got} for Tensor '{self.tensor.name}' of dtype {self.dtype.name}",
        )


def _to_numpy(value, dtype: DType, copy: bool):
    """A fetched value as TF returns it: numpy arrays, numpy scalars for 0-d, bytes for strings."""
    if isinstance(value, VariableSlot):
        value = value.read()
        copy = True
    if isinstance(value, np.ndarray):
        arr = value.copy() if copy and value.dtype != object else value
    else:
        if value.device.type != "cpu":
            value = value.cpu()
            copy = False
        arr = torch_to_numpy(value, dtype)
        if copy:
            arr = arr.copy()
    if arr.ndim == 0:
        return arr[()]
    return arr


class _LRU:
    """A cache keeping its ``size`` most recently used entries; safe to use from many threads."""

    def __init__(self, size: int):
        self.size = size
        self._data: collections.OrderedDict = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def values(self) -> list:
        with self._lock:
            return list(self._data.values())

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


_ITERATOR_SOURCES = ("IteratorV2", "Iterator", "OneShotIterator")


def _hoisted_get_next(items, fed: set, target_ops):
    """The IteratorGetNext of a run that can run before the rest (its element then fed to the program, whose
    specializations see the batch's shapes as they see a feed's: a tf.data-fed step runs the same code as a
    feed_dict-fed one), or None: one IteratorGetNext at the top level, on an iterator op of its own (not a fed
    string handle), without control inputs, and nothing else in the run using that iterator (an initializer run
    with it must come first)."""
    gets = [it for it in items if isinstance(it, Operation) and it.type in ("IteratorGetNext", "IteratorGetNextSync")]
    if len(gets) != 1 or gets[0] in target_ops:
        return None
    get = gets[0]
    iterator = get._inputs[0]
    source = iterator.op
    if get._control_inputs or iterator in fed or source.type not in _ITERATOR_SOURCES:
        return None
    if source._inputs or source._control_inputs:
        return None
    if any(t.dtype.base_dtype in (DType.variant, DType.resource) for t in get._outputs):
        return None
    for op in lowering.all_ops(items):
        if op is not get and op is not source and iterator in op._inputs:
            return None
    return get


class _HoistedGetNext:
    """A run's hoisted IteratorGetNext (see ``_hoisted_get_next``), called before the step for the element it feeds
    it: the first call runs the iterator op's module, which creates (or finds) the session's iterator resource,
    and keeps the resource; each call then takes the next element from it directly, without running a module
    (MakeIterator re-initializes that same resource, and a session drops its resources only when it closes).
    Errors name the IteratorGetNext node, as its module's would."""

    def __init__(self, env, get_next: Operation):
        handle = get_next._inputs[0]
        self._op = get_next
        self._program = Program(env, lowering.prune([handle], [], []), [handle], [], [])
        self._resource = None

    def __call__(self):
        resource = self._resource
        if resource is None:
            (resource,) = self._program()
            self._resource = resource
        try:
            return resource.get_next()
        except errors.OpError as e:
            if e.op is None:
                e.op, e.node_def = self._op, self._op.node_def
            raise

    def compiled_modules(self) -> list:
        return self._program.compiled_modules()


class _Plan:
    """One ``run`` signature (fetch structure and feed keys): converts feeds, runs, rebuilds results."""

    __slots__ = ("feeds", "out_dtypes", "program", "prelude", "session", "structure")

    def feed_values(self, feed_dict):
        """The fed values as the module's arguments, in its order (then a hoisted get_next's element)."""
        feeds = self.feeds
        args = [f.convert(_feed_value(feed_dict, f)) for f in feeds] if feeds else ()
        if self.prelude is not None:  # the iterator's next element, fed to the program (see _hoisted_get_next)
            args = [*args, *self.prelude()]
        return args

    def run(self, feed_dict, run_metadata=None):
        args = self.feed_values(feed_dict)
        compiled = self.program.get(args)
        try:
            if run_metadata is None:
                outs = compiled.forward(*args)
            else:
                tracer = step_stats.TracingInterpreter(compiled.gm)
                outs = tracer.run(*args)
                step_stats.fill_run_metadata(run_metadata, tracer.step_stats())
        except Exception as e:
            raise node_error(compiled.gm, e) from e
        for i, v in enumerate(outs):
            if v is DEAD:  # a tensor of an untaken TF1 branch
                raise errors.InvalidArgumentError(None, None, f"Retval[{i}] does not have value")
        values = [_to_numpy(v, dt, c) for v, dt, c in zip(outs, self.out_dtypes, compiled.out_copy)]
        return self.structure.build(values)


# ---------------------------------------------------------------------------------------------
# Session


class _SessionEnv:
    """How a Session's lowered modules see sources: variables are this session's slots."""

    deref_refs = True
    kernels: dict = {}
    constant_buffers = False  # session modules never move between devices

    def __init__(self, session: Session):
        self._session = session
        self.optimize = session._optimize
        self.torch_compile = session._torch_compile
        self.compile_log: list = []  # runtime.compiled.CompileRecord of each compiled signature
        self.functions = FunctionCache(self)

    def loop(self, loop):
        return LoopRunner(loop, self)

    def device(self, op: Operation) -> torch.device:
        return self._session._op_device(op)

    def source(self, op, root, names, graph):
        session = self._session
        device = session._op_device(op)
        if op.type == "Const":
            value = session._const_value(op, device)
        else:
            value = session._slot_for(op, device)
        attr = names.make(op.name)
        setattr(root, attr, value)
        node = graph.get_attr(attr)
        return node, device

    def context(self, op, name, device, root, names, graph):
        if name == "device":
            return device
        if name == "node_name":
            return op.name
        if name == "generator":
            gen = self._session._generator_for(op, device)
            attr = names.make(op.name + "_generator")
            setattr(root, attr, gen)
            return graph.get_attr(attr)
        if name == "state":
            attr = names.make("session_state")
            setattr(root, attr, self._session._state)
            return graph.get_attr(attr)
        if name == "functions":
            attr = names.make(op.name + "_functions")
            setattr(root, attr, FunctionCalls(op, self.functions))
            return graph.get_attr(attr)
        raise KeyError(name)


class _SessionState:
    """Per-session objects kernels may need beyond variables (resources, the checkpoint format...)."""

    def __init__(self):
        self.resources: dict = {}  # queues, readers, iterators... (ops.common.session_resource)
        self.resource_lock = threading.Lock()
        self.iterators_by_handle: dict = {}  # IteratorToStringHandle's bytes -> the iterator resource
        self.make_pipeline = data_pipeline.make_pipeline  # how MakeIterator runs a tf.data pipeline
        self._local = threading.local()  # per thread: Savers saving from two threads at once do not mix

    def cancel(self) -> None:
        """The session is closing: ops blocked on (or later using) its resources raise CancelledError."""
        with self.resource_lock:
            resources = list(self.resources.values())
        for resource in resources:
            cancel = getattr(resource, "cancel", None)
            if cancel is not None:
                cancel()

    def fail(self, node_name: str, error: BaseException) -> bool:
        """Marks the resources the op ``node_name`` created as failed with ``error`` (a dead feeding thread)."""
        with self.resource_lock:
            resources = [r for r in self.resources.values() if getattr(r, "node_name", None) == node_name]
        for resource in resources:
            resource.fail(error)
        return bool(resources)

    @property
    def checkpoint_format(self) -> str:
        """What SaveV2 writes in this thread: ``"tf"`` unless a Saver is saving in another format."""
        return getattr(self._local, "checkpoint_format", "tf")

    @contextlib.contextmanager
    def checkpoint_format_scope(self, fmt: str):
        saved = self.checkpoint_format
        self._local.checkpoint_format = fmt
        try:
            yield
        finally:
            self._local.checkpoint_format = saved


class Session:
    """A TF1 Session: ``run(fetches, feed_dict)`` evaluates graph elements with torch.

    Args:
      target: accepted for compatibility; must be empty (no distributed runtime).
      graph: the graph to run (default: the default graph at construction).
      config: a ``ConfigProto`` (torchmeta's, or anything with the same attributes).
      device: torchmeta's extension: default device for ops without one ("cpu", "cuda", "cuda:1").

    Threads: ``run`` may be called from many threads at once (training and inference mixed). Variable
    updates that read and write (AssignAdd, AssignSub and their resource forms, hence the global-step
    increment) are atomic; optimizer updates with ``use_locking=True`` are exclusive, as in TensorFlow
    (with the default ``False`` they may interleave, Hogwild-style, as in TensorFlow).

    Bounded caches: the ``PLAN_CACHE_SIZE`` most recently used ``run`` signatures (fetches and feed keys)
    and ``PROGRAM_CACHE_SIZE`` pruned subgraphs are kept (least recently used dropped first); each subgraph
    keeps modules for at most ``Program.MAX_SPECIALIZATIONS`` feed-shape signatures plus one generic module,
    so memory stays constant however many steps, and however many feed shapes, a session sees.
    """

    PLAN_CACHE_SIZE = 1024
    PROGRAM_CACHE_SIZE = 256

    def __init__(self, target="", graph=None, config=None, device=None):
        if target:
            raise errors.UnimplementedError(None, None, f"Distributed sessions are not supported (target={target!r})")
        self._graph = graph if graph is not None else graph_lib.get_default_graph()
        self._config = config if config is not None else ConfigProto()
        default_device = device if device is not None else getattr(self._config, "device", None)
        # In an NCCL job, ops without a device run on this process's GPU (cuda:<local_rank>), as Horovod's
        # visible_device_list has it.
        self._default_device = torch.device(default_device) if default_device else job_device()
        threads = getattr(self._config, "intra_op_parallelism_threads", 0)
        self._intra_op_threads = int(threads) if threads else 0
        self._threads_set = threading.local()  # torch's OpenMP thread count is per calling thread
        if threads:
            torch.set_num_threads(int(threads))
            self._threads_set.done = True
        tf_pool_threads(int(threads))  # TF's intra-op pool: the process's first session sizes it
        keep_host_memory()  # freed tensor memory stays for the next step, as with TF's allocator
        self._optimize = getattr(self._config, "optimize", True)
        self._torch_compile = getattr(self._config, "torch_compile", False)
        self._closed = False
        self._slots: dict = {}
        self._consts: dict = {}
        self._generators: dict = {}
        self._devices: dict = {}
        self._programs = _LRU(self.PROGRAM_CACHE_SIZE)
        self._plans = _LRU(self.PLAN_CACHE_SIZE)
        self._state = _SessionState()
        self._env = _SessionEnv(self)
        self._lock = threading.RLock()
        self._default_ctx = None
        self._graph_ctx = None

    # -- context management -----------------------------------------------------------------------
    @property
    def graph(self) -> graph_lib.Graph:
        return self._graph

    @property
    def graph_def(self):
        return self._graph.as_graph_def()

    @property
    def sess_str(self) -> str:
        return ""

    def as_default(self):
        return default_session(self)

    def __enter__(self):
        if self._default_ctx is not None:
            raise RuntimeError(
                "Session context managers are not re-entrant. Use `Session.as_default()` if you "
                "want to enter a session multiple times."
            )
        self._graph_ctx = self._graph.as_default()
        self._graph_ctx.__enter__()
        self._default_ctx = self.as_default()
        self._default_ctx.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb):
        self._default_ctx.__exit__(exc_type, exc, tb)
        self._graph_ctx.__exit__(exc_type, exc, tb)
        self._default_ctx = None
        self._graph_ctx = None
        self.close()
        return False

    def close(self) -> None:
        """Frees this session's variables and compiled modules; cancels ops blocked on its queues."""
        self._closed = True
        self._state.cancel()
        self._slots.clear()
        self._consts.clear()
        self._programs.clear()
        self._plans.clear()

    def __del__(self):
        with contextlib.suppress(Exception):
            self._slots.clear()

    def _fail_resource(self, node_name: str, error: BaseException) -> bool:
        """A thread feeding the resource (queue) made by op ``node_name`` died with ``error``: the ops waiting
        on it raise that error instead of blocking forever (QueueRunner calls this)."""
        return self._state.fail(node_name, error)

    # -- running ---------------------------------------------------------------------------------------
    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Runs the ops needed for ``fetches`` and returns their values in the same structure.

        Args:
          fetches: a Tensor, Operation, Variable, or name, or nested lists/tuples/dicts/namedtuples.
          feed_dict: ``{Tensor or name: value}`` replacing tensors' values for this run.
          options: a ``RunOptions``; with a ``trace_level`` other than NO_TRACE (FULL_TRACE, ...) and a
            ``run_metadata``, the run is traced. Its other fields are accepted and ignored.
          run_metadata: a ``RunMetadata`` that receives the traced run's ``step_stats``: for each node
            that ran, its start time, duration and outputs (dtype, shape, bytes), per device.

        Returns:
          numpy arrays (numpy scalars for 0-d values, bytes for strings) and None for Operations.

        Raises:
          RuntimeError: if the session is closed.
          TypeError / ValueError: for fetches or feeds that are not graph elements (TF's wording).
          OpError subclasses: from kernels, naming the failing node and op.
        """
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        if self._intra_op_threads and not getattr(self._threads_set, "done", False):
            # ConfigProto's intra-op thread count holds for runs from any thread, as in TensorFlow (a new
            # thread would otherwise use OpenMP's default, one thread per core, oversubscribing the machine).
            torch.set_num_threads(self._intra_op_threads)
            self._threads_set.done = True
        if feed_dict:
            key = (_fetch_key(fetches), tuple(feed_dict))
        else:
            key = (_fetch_key(fetches), ())
        try:
            plan = self._plans.get(key)
        except TypeError:
            plan = None
        if plan is None:
            plan = self._make_plan(fetches, feed_dict or {})
            with contextlib.suppress(TypeError):
                self._plans.put(key, plan)
        if run_metadata is not None and options is not None and step_stats.wants_trace(options):
            return plan.run(feed_dict, run_metadata)
        return plan.run(feed_dict)

    def _make_plan(self, fetches, feed_dict) -> _Plan:
        graph = self._graph
        structure = _FetchStructure(graph, fetches)
        feeds = []
        for key in feed_dict:
            if isinstance(key, (SparseTensor, RaggedTensor)):
                parts = (key.indices, key.values, key.dense_shape) if isinstance(key, SparseTensor) else None
                for part, tensor in enumerate(parts or _ragged_components(key)):
                    if not graph.is_feedable(tensor):
                        raise ValueError(f"Tensor {tensor.name} may not be fed.")
                    feeds.append(_Feed(key, tensor, part))
                continue
            try:
                tensor = graph.as_graph_element(key, allow_tensor=True, allow_operation=False)
            except (ValueError, KeyError, TypeError) as e:
                msg = e.args[0] if e.args else str(e)
                raise TypeError(f"Cannot interpret feed_dict key as Tensor: {msg}") from None
            if not isinstance(tensor, Tensor):
                raise TypeError(f"Cannot interpret feed_dict key as Tensor: {key!r}")
            if not graph.is_feedable(tensor):
                raise ValueError(f"Tensor {tensor.name} may not be fed.")
            feeds.append(_Feed(key, tensor))
        fetch_tensors = [e for e in structure.elements if isinstance(e, Tensor)]
        target_ops = [e for e in structure.elements if isinstance(e, Operation)]
        for element in (*fetch_tensors, *target_ops):
            op = element.op if isinstance(element, Tensor) else element
            if not graph.is_fetchable(op):
                raise errors.InaccessibleTensorError(
                    f"Operation {op.name} has been marked as not fetchable. Typically this happens when it is "
                    "defined in another function or code block. Use return values, explicit Python locals or "
                    "TensorFlow collections to access it."
                )
        feed_tensors = [f.tensor for f in feeds]
        program_key = (tuple(structure.elements), tuple(feed_tensors))
        program = self._programs.get(program_key)
        if program is None:
            ops = lowering.prune(fetch_tensors, target_ops, feed_tensors)
            lowering.check_supported(ops)
            for op in lowering.all_ops(ops):  # placement errors surface now, even for ops the optimizer folds away
                self._op_device(op)
            prelude = None
            get_next = _hoisted_get_next(ops, set(feed_tensors), target_ops)
            if get_next is not None:
                element = list(get_next._outputs)
                prelude = _HoistedGetNext(self._env, get_next)
                feed_tensors = [*feed_tensors, *element]
                ops = lowering.prune(fetch_tensors, target_ops, feed_tensors)
            program = Program(self._env, ops, fetch_tensors, target_ops, feed_tensors)
            program.prelude = prelude
            self._programs.put(program_key, program)
        plan = _Plan()
        plan.program = program
        plan.prelude = program.prelude
        plan.feeds = feeds
        plan.session = self
        plan.out_dtypes = [t.dtype.base_dtype for t in fetch_tensors]
        index = {t: i for i, t in enumerate(fetch_tensors)}
        # The structure indexes all elements; map its indices to the module's outputs.
        remap = [index.get(e) for e in structure.elements]
        plan.structure = _Remapped(structure, remap)
        return plan

    def make_static_step(self, fetches, feed_dict=None, cuda_graph=None, warmup=2) -> StaticStep:
        """A callable running ``run(fetches, feed_dict)`` for feeds of these values' shapes from fixed device
        buffers; on a CUDA device (or with ``cuda_graph=True``) captured once into a CUDA graph and replayed
        on each call, with the variables and optimizer slots staying where they are on the device.

        Args:
          fetches: as for ``run``.
          feed_dict: example feeds: the keys every call feeds, and the shapes and dtypes they keep.
          cuda_graph: capture into a CUDA graph (default: when the session computes on a CUDA device).
          warmup: eager runs before the capture (their variable updates are undone).

        Returns:
          a ``StaticStep``: ``step(feed_dict)`` returns what ``run`` would.

        Raises:
          UnimplementedError: the step cannot be captured (random ops, while loops, a variable replaced
            instead of updated in place, a kernel synchronising with the host), naming what.
          InvalidArgumentError: ``cuda_graph=True`` on a session that does not compute on a CUDA device.
        """
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        feed_dict = feed_dict or {}
        plan = self._make_plan(fetches, feed_dict)
        args = [f.convert(_feed_value(feed_dict, f)) for f in plan.feeds]
        args = [a.to(self._default_device) if isinstance(a, torch.Tensor) else a for a in args]
        compiled = plan.program.get(args)
        if cuda_graph is None:
            cuda_graph = self._default_device.type == "cuda"
        slots = list(self._slots.values())
        return StaticStep(plan, compiled, args, self._default_device, slots, bool(cuda_graph), warmup, _to_numpy)

    # -- environment for lowering ------------------------------------------------------------------------
    def _op_device(self, op: Operation) -> torch.device:
        dev = self._devices.get(op)
        if dev is None:
            dev = self._resolve_device(op)
            self._devices[op] = dev
        return dev

    def _cuda_index(self, gpu: int) -> int | None:
        """The CUDA device of the graph's ``/GPU:<gpu>`` (None: this process has no such GPU)."""
        options = getattr(self._config, "gpu_options", None)
        visible = str(getattr(options, "visible_device_list", "") or "")
        if visible:
            try:
                ids = [int(x) for x in visible.split(",")]
            except ValueError:
                raise errors.InvalidArgumentError(
                    None, None, f"Could not parse entry in 'visible_device_list': '{visible}'"
                ) from None
            return ids[gpu] if gpu < len(ids) else None
        own = job_device()
        if own.type == "cuda":  # an NCCL job: the process's GPU is its /GPU:0, as Horovod's recipe makes it
            return own.index if gpu == 0 else None
        return gpu

    def _resolve_device(self, op: Operation) -> torch.device:
        spec_str = op.device
        if not spec_str:
            groups = op._attrs.get("_class")
            if groups is not None:
                for g in groups.list.s:
                    if g.startswith(b"loc:@"):
                        other = op.graph._get_operation_by_name_unsafe(g[5:].decode())
                        if other is not None and other is not op and other.device:
                            spec_str = other.device
                            break
        if not spec_str:
            return self._default_device
        spec = DeviceSpec.from_string(spec_str)
        if spec.device_type in (None, "CPU"):
            return torch.device("cpu") if spec.device_type == "CPU" else self._default_device
        if spec.device_type == "GPU":
            index = self._cuda_index(spec.device_index or 0)
            if index is not None and torch.cuda.is_available() and index < torch.cuda.device_count():
                return torch.device("cuda", index)
            if getattr(self._config, "allow_soft_placement", False):
                return torch.device("cpu")
            raise errors.InvalidArgumentError(
                op.node_def,
                op,
                f"Cannot assign a device for operation {op.name}: Could not satisfy explicit device "
                f"specification '{spec_str}' because no supported kernel for GPU devices is available. "
                "Pass ConfigProto(allow_soft_placement=True) to run it on the CPU.",
            )
        if getattr(self._config, "allow_soft_placement", False):
            return torch.device("cpu")
        raise errors.InvalidArgumentError(
            op.node_def, op, f"Cannot assign a device for operation {op.name}: unknown device '{spec_str}'"
        )

    def _slot_key(self, op: Operation):
        container = op._attrs["container"].s if "container" in op._attrs else b""
        shared = op._attrs["shared_name"].s if "shared_name" in op._attrs else b""
        return (op.type == "VarHandleOp", container, shared.decode() or op.name)

    def _slot_for(self, op: Operation, device) -> VariableSlot:
        key = self._slot_key(op)
        slot = self._slots.get(key)
        if slot is None:
            with self._lock:  # two threads creating one variable's slot would split its updates
                slot = self._slots.get(key)
                if slot is None:
                    slot = self._new_slot(op, key, device)
        return slot

    def _new_slot(self, op: Operation, key, device) -> VariableSlot:
        dtype = op.get_attr("dtype")
        shape = None
        if not key[0]:  # a ref variable has its declared shape from the start (checked by Assign)
            proto = op.get_attr("shape")
            if not proto.unknown_rank and all(d.size >= 0 for d in proto.dim):
                shape = tuple(d.size for d in proto.dim)
        container = self._container(key[1]) if key[0] else None
        slot = VariableSlot(key[2], device, is_resource=key[0], dtype=dtype, shape=shape, container=container)
        self._slots[key] = slot
        return slot

    def _container(self, name: bytes) -> ResourceContainer:
        """The session's resource container ``name`` ("localhost" for b""): it exists once a resource variable in
        it was initialized, once a ref variable of it ran (TF's VariableV2 kernel makes its LegacyVar in the
        container on its first run, initialized or not: this session made its slot then), or (the default one)
        once any other resource (an iterator, a table...) was made."""
        text = name.decode() or "localhost"

        def exists() -> bool:
            if any(k[1] == name and (not k[0] or s.value is not None) for k, s in list(self._slots.items())):
                return True
            return not name and bool(self._state.resources)

        return ResourceContainer(text, exists)

    def _const_value(self, op: Operation, device):
        key = (op, device)
        value = self._consts.get(key)
        if value is None:
            value = const_to_value(op._attrs["value"].tensor, device)
            self._consts[key] = value
        return value

    def _generator_for(self, op: Operation, device):
        """The op's random state in this session (TF's per-kernel GuardedPhiloxRandom)."""
        key = (op, device)
        gen = self._generators.get(key)
        if gen is None:
            gen = self._generators.setdefault(key, op_generator(op))  # one per op even when runs race
        return gen

    # -- torchmeta extensions -----------------------------------------------------------------------------
    def variable_values(self) -> dict:
        """``{variable name: torch.Tensor}`` of every initialized variable in this session."""
        return {slot.name: slot.value for slot in self._slots.values() if slot.value is not None}

    def _variable_slot(self, name: str, resource: bool | None = None) -> VariableSlot | None:
        for (is_res, _container, n), slot in self._slots.items():
            if n == name and (resource is None or is_res == resource):
                return slot
        return None

    def _compiled_modules(self) -> list:
        """Every GraphModule this session has lowered for its runs and for library functions (for
        inspection and tests)."""
        out = []
        for program in self._programs.values():
            out.extend(program.compiled_modules())
            if program.prelude is not None:
                out.extend(program.prelude.compiled_modules())
        out.extend(self._env.functions.compiled_modules())
        return out

    def compile_stats(self) -> list:
        """With ``ConfigProto(torch_compile=True)``: one dict per compiled module (a subgraph at one
        feed-shape signature, loop bodies included), in compile order: ``feed_shapes``, ``seconds`` (its
        first run: compiling it, then running it once) and ``graphs`` (graphs torch.compile built for it:
        1 when no graph break split it and nothing recompiled it); ``error``, only when the compiled module
        failed where the eager one ran (that signature then runs eagerly); once its trial calls are done,
        ``kept`` ("compiled" or "eager": the faster) with ``compiled_seconds`` and ``eager_seconds`` (least
        seconds per trial call)."""
        return [record.as_dict() for record in self._env.compile_log]

    def explain_compile(self, fetches, feed_dict=None):
        """What ``torch.compile`` makes of the module ``run(fetches, feed_dict)`` runs: the output of
        ``torch._dynamo.explain`` (``graph_count``, ``graph_break_count``, ``break_reasons``). The module
        runs once while it is traced, so a training step updates the variables. Compiles nothing."""
        plan = self._make_plan(fetches, feed_dict or {})
        args = plan.feed_values(feed_dict or {})
        return explain_module(plan.program.get(args).gm, args)

    def list_devices(self):
        devs = ["/job:localhost/replica:0/task:0/device:CPU:0"]
        if torch.cuda.is_available():
            devs += [f"/job:localhost/replica:0/task:0/device:GPU:{i}" for i in range(torch.cuda.device_count())]
        return devs


class _Remapped:
    __slots__ = ("_structure", "_remap")

    def __init__(self, structure, remap):
        self._structure = structure
        self._remap = remap

    def build(self, outs):
        return self._structure.build([None if i is None else outs[i] for i in self._remap])


def const_to_value(proto, device):
    """A Const's TensorProto as a torch tensor on ``device`` (numpy object array for strings)."""
    arr = tensor_util.MakeNdarray(proto)
    dtype = DType(proto.dtype)
    if dtype is DType.string:
        return arr
    if dtype.torch is None:
        raise errors.UnimplementedError(None, None, f"Constants of dtype {dtype.name} are not supported")
    tensor = numpy_to_torch(arr, dtype)
    return tensor.to(device) if device is not None and device.type != "cpu" else tensor


class InteractiveSession(Session):
    """A Session that installs itself as the default session on construction."""

    def __init__(self, target="", graph=None, config=None, device=None):
        super().__init__(target, graph, config, device)
        self._interactive_ctx = self.as_default()
        self._interactive_ctx.__enter__()
        self._interactive_graph_ctx = self._graph.as_default()
        self._interactive_graph_ctx.__enter__()

    def close(self) -> None:
        super().close()
        ctx = getattr(self, "_interactive_ctx", None)
        if ctx is not None:
            ctx.__exit__(None, None, None)
            self._interactive_graph_ctx.__exit__(None, None, None)
            self._interactive_ctx = None
