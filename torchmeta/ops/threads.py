"""Threads per kernel call: small products and element-wise calls on the calling thread alone, as TF decides.

With more than one intra-op thread, torch splits work that TensorFlow runs on one thread:

- Products. TF's oneDNN MatMul kernels run a product whose operands and result fit in the L2 cache on the
  calling thread (``ExecuteSingleThreadedGemm`` in mkl_matmul_ops_common.h: ``bytes * (m*n + k*(m+n)) <
  1.01 * L2``). torch's MKL sgemm splits every product over all threads: an LSTM step's 64x512 @ 512x128
  at two threads on a loaded machine cost 770 us of CPU time against 73 on one (bench/results/rnn_threads.txt).
- Element-wise functions that torch computes with MKL's VML (tanh, exp, log, ...: a parallel grain of 2048
  elements, not the 32768 of torch's other element-wise kernels). Eigen's cost model keeps an op of a few
  cycles per element on one thread up to tens of thousands of elements; tanh of an LSTM cell's 64x128 took
  11 us of CPU time at two threads against 4.3 on one.

``run_product`` runs such a product with this thread's MKL thread count at one, ``on_one_thread`` such a call
with this thread's MKL and OpenMP counts at one (both are thread-local: other threads and torch's own
setting are untouched), and restore them after. ``run_parallel`` runs calls (blocks of one large product,
matmul_ops.split_product) at the same time on the calling thread and helper threads, each with MKL at one thread.

Whole steps. A step all of whose kernels TF runs on one thread (``step_on_one_thread``: products under
SINGLE_THREAD_BYTES, every other kernel's tensors at most ONE_THREAD_ELEMENTS) runs as one ``on_one_thread`` call
(``one_thread_forward``; Program._compile decides from the specialized shapes), its kernels' own switches then
doing nothing. Switching per kernel cost more than it saved on such steps: the seed MLP step's 8 products and
the cross entropy's log_softmax and exp (torch opens an OpenMP region for them at 1000 elements) cost 20-30% more
CPU at two threads than at one (bench/results/small12_profile.txt).
"""

from __future__ import annotations

import ctypes
import os
import queue
import threading

import torch

__all__ = [
    "SINGLE_THREAD_BYTES",
    "ONE_THREAD_ELEMENTS",
    "l2_cache_bytes",
    "run_product",
    "product_on_one_thread",
    "on_one_thread",
    "step_on_one_thread",
    "compiled_step_on_one_thread",
    "COMPILED_ONE_THREAD_ELEMENTS",
    "one_thread_forward",
    "run_parallel",
    "switch",
]


def l2_cache_bytes() -> int:
    """The L2 cache of CPU 0 in bytes (sysfs; Eigen's CacheSizes asks CPUID for the same), 1 MiB if unknown."""
    root = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for entry in sorted(os.listdir(root)):
            path = os.path.join(root, entry)
            with open(os.path.join(path, "level")) as f:
                level = f.read().strip()
            with open(os.path.join(path, "type")) as f:
                kind = f.read().strip()
            if level == "2" and kind in ("Unified", "Data"):
                with open(os.path.join(path, "size")) as f:
                    size = f.read().strip()
                scale = {"K": 1024, "M": 1024 * 1024}.get(size[-1:], 1)
                return int(size.rstrip("KM")) * scale
    except (OSError, ValueError):
        pass
    return 1 << 20


# A product whose operands and result take fewer bytes than this runs on one thread (0: never).
SINGLE_THREAD_BYTES = int(1.01 * l2_cache_bytes())

# An element-wise call that ``on_one_thread`` runs is given at most this many elements by specialization:
# torch's own parallel grain for its element-wise kernels (at::internal::GRAIN_SIZE), below which torch's other
# kernels run on one thread anyway, and about where Eigen's cost model gives a cheap element-wise op a second
# thread in TF (100000 startup cycles plus 10% of a thread's 100000, at ~3 cycles an element).
ONE_THREAD_ELEMENTS = 32768


def product_on_one_thread(m: int, k: int, n: int, itemsize: int) -> bool:
    """Whether TF's MatMul runs an (m x k) by (k x n) product of ``itemsize``-byte elements on one thread."""
    return itemsize * (m * n + k * (m + n)) < SINGLE_THREAD_BYTES


# A step compiled by torch.compile runs on the calling thread alone up to this many elements per kernel, where its
# products do: inductor's loops over a few hundred thousand elements gain little from a second thread, and each
# parallel loop wakes it (OMP_WAIT_POLICY=PASSIVE: a futex per loop; on a loaded machine a wait for a preempted
# thread): the LSTM classifier's compiled step (~100 loops, its largest tensors 80K elements) took 2.6x the wall
# time of the eager one at 2 threads, and 0.91x on one (bench/results/compile13_profile.txt). The eager step's
# kernels decide each for themselves (products, the small float functions).
COMPILED_ONE_THREAD_ELEMENTS = 1 << 18


def step_on_one_thread(products, largest: int) -> bool:
    """Whether a step runs on the calling thread alone: each of its ``products`` ((m, k, n, itemsize) tuples)
    does (``product_on_one_thread``) and its other kernels read and write at most ``largest`` elements each, no
    more than ONE_THREAD_ELEMENTS."""
    return _small_step(products, largest, ONE_THREAD_ELEMENTS)


def compiled_step_on_one_thread(products, largest: int) -> bool:
    """``step_on_one_thread`` for a step compiled by torch.compile: up to COMPILED_ONE_THREAD_ELEMENTS."""
    return _small_step(products, largest, COMPILED_ONE_THREAD_ELEMENTS)


def _small_step(products, largest: int, limit: int) -> bool:
    return largest <= limit and all(product_on_one_thread(*p) for p in products)


class _Switch:
    """This thread's MKL and OpenMP thread counts, through the functions ``torch.set_num_threads`` calls
    (``mkl_set_num_threads_local`` in torch's library, ``omp_set_num_threads`` in its libgomp), loaded once:
    ``fn`` is ``(set_mkl, set_omp)``, ``set_mkl(n)`` returning the previous MKL count; None where torch has
    neither or they do not behave as probed."""

    def __init__(self):
        self._lock = threading.Lock()
        self.tried = False
        self.fn = None

    def load(self):
        if self.tried:
            return self.fn
        with self._lock:
            if not self.tried:
                self.fn = self._probe()
                self.tried = True
        return self.fn

    @staticmethod
    def _probe():
        if not torch.backends.mkl.is_available() or not torch.backends.openmp.is_available():
            return None
        lib_dir = os.path.join(os.path.dirname(torch.__file__), "lib")
        try:
            mkl = ctypes.CDLL(os.path.join(lib_dir, "libtorch_cpu.so"))
            omp = ctypes.CDLL(os.path.join(lib_dir, "libgomp.so.1"))
            set_local, mkl_max = mkl.mkl_set_num_threads_local, mkl.mkl_get_max_threads
            set_omp, omp_max = omp.omp_set_num_threads, omp.omp_get_max_threads
        except (OSError, AttributeError):
            return None
        # torch's build exports the MKL symbol with the Fortran convention (the count by reference); a build
        # taking it by value would read the pointer as a count, which the check below catches.
        set_local.argtypes, set_local.restype = [ctypes.POINTER(ctypes.c_int)], ctypes.c_int
        mkl_max.argtypes, mkl_max.restype = [], ctypes.c_int
        set_omp.argtypes, set_omp.restype = [ctypes.c_int], None
        omp_max.argtypes, omp_max.restype = [], ctypes.c_int
        threads = torch.get_num_threads()
        probe = 2 if threads == 1 else 1
        previous = set_local(ctypes.c_int(probe))
        set_omp(probe)
        seen = (mkl_max(), omp_max(), torch.get_num_threads())
        set_local(ctypes.c_int(previous))
        set_omp(threads)
        if seen != (probe, probe, probe) or (mkl_max(), torch.get_num_threads()) != (threads, threads):
            torch.set_num_threads(threads)  # what MKL and OpenMP had from torch
            return None
        counts: dict = {}  # n -> its c_int, passed by reference (never written to)

        def set_mkl(n: int) -> int:
            count = counts.get(n)
            if count is None:
                count = counts[n] = ctypes.c_int(n)
            return set_local(count)

        return set_mkl, set_omp


switch = _Switch()


def on_one_thread(fn, *args):
    """``fn(*args)`` with this thread's MKL and OpenMP thread counts at one (when more are set and outside
    torch.compile's tracing)."""
    if torch.compiler.is_dynamo_compiling():  # (traced: no host call)
        return fn(*args)
    threads = torch.get_num_threads()  # (OpenMP's count for this thread)
    if threads == 1:
        return fn(*args)
    pair = switch.load()
    if pair is None:
        return fn(*args)
    set_mkl, set_omp = pair
    previous = set_mkl(1)
    set_omp(1)
    try:
        return fn(*args)
    finally:
        set_omp(threads)
        set_mkl(previous)


def one_thread_forward(gm):
    """The forward of lowered module ``gm`` as one ``on_one_thread`` call: a step of small kernels switches the
    thread counts once, not per kernel (``gm.forward`` is looked up per call: a recompiled module is seen)."""

    def forward(*args):
        return on_one_thread(gm.forward, *args)

    forward.one_thread = True  # (profiles that wrap gm's nodes keep it)
    return forward


def run_product(fn, x, y, *args):
    """``fn(*args)``, a product of ``x`` (m x k) by ``y`` (k x n) (one or a sum of several of that shape), on the
    calling thread alone where TF's MatMul would run it so (see SINGLE_THREAD_BYTES); as it is otherwise."""
    if torch.compiler.is_dynamo_compiling() or torch.get_num_threads() == 1:  # (traced: no host call)
        return fn(*args)
    shape_x, shape_y = x.shape, y.shape
    if len(shape_x) != 2 or len(shape_y) != 2 or not x.is_cpu:
        return fn(*args)  # (fn raises its own error for operands that are not matrices)
    m, k = shape_x
    if not product_on_one_thread(m, k, shape_y[1], x.element_size()):
        return fn(*args)
    pair = switch.load()
    if pair is None:
        return fn(*args)
    set_mkl = pair[0]
    previous = set_mkl(1)  # (a product's threads are MKL's; OpenMP's count is for torch's own loops)
    try:
        return fn(*args)
    finally:
        set_mkl(previous)


class _Workers:
    """Helper threads for ``run_parallel``, started on first use (one fewer than the calls it splits into), each
    with its MKL and OpenMP thread counts at one. A forked child starts its own."""

    def __init__(self):
        self._lock = threading.Lock()
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._count = 0
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forget)

    def _forget(self):
        self._lock = threading.Lock()
        self._tasks = queue.SimpleQueue()
        self._count = 0

    def ensure(self, n: int) -> None:
        if self._count >= n:
            return
        with self._lock:
            while self._count < n:
                threading.Thread(target=self._serve, args=(self._tasks,), name="torchmeta-product", daemon=True).start()
                self._count += 1

    def submit(self, call, done: threading.Lock, errors: list) -> None:
        self._tasks.put((call, done, errors))

    @staticmethod
    def _serve(tasks):
        set_mkl, set_omp = switch.load()
        set_mkl(1)
        set_omp(1)
        while True:
            call, done, errors = tasks.get()
            try:
                call()
            except BaseException as e:  # handed to the caller, raised there
                errors.append(e)
            finally:
                done.release()


_workers = _Workers()


def run_parallel(calls) -> bool:
    """Runs ``calls`` (functions of no arguments that release the GIL: products into disjoint parts of one
    result) at the same time, the first on the calling thread and the others on helper threads, each with MKL
    at one thread; raises the first error any raised. False (nothing run) where the thread counts cannot be
    switched."""
    pair = switch.load()
    if pair is None:
        return False
    _workers.ensure(len(calls) - 1)
    errors: list = []
    pending = []
    for call in calls[1:]:
        done = threading.Lock()
        done.acquire()
        _workers.submit(call, done, errors)
        pending.append(done)
    set_mkl = pair[0]
    previous = set_mkl(1)
    try:
        calls[0]()
    finally:
        set_mkl(previous)
        for done in pending:
            done.acquire()
    if errors:
        raise errors[0]
    return True
