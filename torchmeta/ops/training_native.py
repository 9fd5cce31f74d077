"""An optional native kernel for a step's dense GradientDescent, Momentum and Adam updates on the CPU.

``torch._foreach_*`` and torch's fused optimizer kernels still run one kernel per tensor on the CPU, and a
filter's gradient (permuted from torch's convolution layout) must be copied before torch's fused kernels
take it. _training_native.c updates a whole list of float32 or float64 variables in one ctypes call, with
TF's CPU arithmetic of training_ops.cc operation for operation (so the values equal TF's, bit for bit
where TF's Eigen code rounds each operation) and strided gradients read in place. It is an accelerator:
built and cached by torchmeta.ops.native_build; where it cannot be built (no compiler,
``TORCHMETA_NATIVE=0``), for other dtypes, devices or layouts, or for tensors that require grad, the
functions return False and the caller runs its torch path. Each update is also the custom op
``torch.ops.torchmeta.{gradient_descent,momentum,adam}`` (it mutates the variables and slots), which these
functions call while torch.compile traces (``native_build.custom_op``); the training ops do not call them there
(``training_ops._natively``: inductor's own loops cost less than the op's dispatch). Calls release the GIL
(ctypes) and run on one thread.
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path

import torch

from torchmeta.ops import native_build

__all__ = ["available", "gradient_descent", "momentum", "adam"]

_SOURCE = Path(__file__).with_name("_training_native.c")
_MAXDIM = 8  # as _training_native.c's MAXDIM
_META = 1 + 2 * _MAXDIM
_SUFFIX = {torch.float32: "f32", torch.float64: "f64"}


def _declare(lib) -> None:
    p, i64, f64, i32 = ctypes.c_void_p, ctypes.c_int64, ctypes.c_double, ctypes.c_int
    for suffix in _SUFFIX.values():
        fn = getattr(lib, f"tm_gradient_descent_{suffix}")
        fn.argtypes, fn.restype = [i64, p, p, p, p, f64], None
        fn = getattr(lib, f"tm_momentum_{suffix}")
        fn.argtypes, fn.restype = [i64, p, p, p, p, p, f64, f64, i32], None
        fn = getattr(lib, f"tm_adam_{suffix}")
        fn.argtypes, fn.restype = [i64, p, p, p, p, p, p, f64, f64, f64, f64, f64, i32], None


library = native_build.Library(_SOURCE, "training", _declare)


available = library.available


def _fits(columns, grads, scalars) -> bool:
    """Whether the kernel takes these members: variables and slots (``columns``) contiguous, all of one
    float dtype the library has, on the CPU and outside autograd, the hyper-parameters on the CPU. (It also
    holds for the shapes, dtypes and strides torch.compile traces with.) Plain loops: a step calls it once
    for a few dozen tensors."""
    if not grads or columns[0][0].dtype not in _SUFFIX:
        return False
    dtype = columns[0][0].dtype
    for s in scalars:
        if not s.is_cpu:
            return False
    for g in grads:
        if g.dtype is not dtype or not g.is_cpu or g.requires_grad:
            return False
    for column in columns:
        for t in column:
            if t.dtype is not dtype or not t.is_cpu or t.requires_grad or not t.is_contiguous():
                return False
    return True


_CACHE_LIMIT = 64  # distinct arrays _array keeps (a step's variables and gradients need a few)
_arrays_made: dict = {}


def _array(ctype, values: tuple):
    """The ctypes array of ``values`` (addresses or element counts), made once per distinct ``values`` and
    kept: a step's variables keep their storage, so their pointer array is the same from step to step, and
    so are the element counts (ctypes takes microseconds to fill an array). An array depends on the values
    alone, never on a tensor's identity: a variable whose storage was replaced gets its new address's array.
    The kernels only read these arrays."""
    key = (ctype, values)
    array = _arrays_made.get(key)
    if array is None:
        if len(_arrays_made) >= _CACHE_LIMIT:
            _arrays_made.clear()
        array = _arrays_made[key] = (ctype * len(values))(*values)
    return array


@functools.cache
def _zero_meta(n: int):
    """The layout descriptions of ``n`` contiguous gradients (all zeros; read only)."""
    return (ctypes.c_int64 * (n * _META))()


def _arrays(columns, grads):
    """The pointer arrays of ``columns`` (lists of the members' variables and slots) and of ``grads``, then
    the element counts, the gradients' layout descriptions and the gradients read (to be kept alive until
    the call returns)."""
    n = len(grads)
    addresses = [tuple([t.data_ptr() for t in column]) for column in columns]
    pointers = [_array(ctypes.c_void_p, a) for a in addresses]
    grads = list(grads)  # (holds the copies below until the call)
    if all([g.is_contiguous() for g in grads]):  # (the common case: no layouts, meta all zeros)
        numels = tuple([g.numel() for g in grads])
        pointers.append(_array(ctypes.c_void_p, tuple([g.data_ptr() for g in grads])))
        return (*pointers, _array(ctypes.c_int64, numels), _zero_meta(n), grads)
    written = {address for a in addresses for address in a}
    meta = (ctypes.c_int64 * (n * _META))()  # zeros: contiguous gradients
    numel = (ctypes.c_int64 * n)()
    for k, g in enumerate(grads):
        numel[k] = g.numel()
        if not g.is_contiguous():
            nd = g.dim()
            # A strided view of a variable the call writes (a transposed read of it) would be read after
            # rows of it were written, where TF's passes read it whole first: it is read from a copy.
            if nd > _MAXDIM or g.untyped_storage().data_ptr() in written:
                grads[k] = g.contiguous()
                continue
            base = k * _META
            meta[base] = nd
            meta[base + 1 : base + 1 + nd] = list(g.shape)
            meta[base + 1 + _MAXDIM : base + 1 + _MAXDIM + nd] = list(g.stride())
    pointers.append((ctypes.c_void_p * n)(*[g.data_ptr() for g in grads]))
    return (*pointers, numel, meta, grads)


def _ready(columns, grads, scalars) -> bool:
    return _fits(columns, grads, scalars) and library.available()


def _written(tensors) -> None:
    # ctypes writes behind torch's back: caches keyed on a tensor's version counter must see the update.
    torch.autograd.graph.increment_version(tensors)


def _no_outputs(*args) -> None:
    return None


def _gradient_descent_kernel(variables: list[torch.Tensor], deltas: list[torch.Tensor], alpha: torch.Tensor) -> None:
    pv, pg, numel, meta, _read = _arrays([variables], deltas)
    fn = getattr(library.load(), f"tm_gradient_descent_{_SUFFIX[variables[0].dtype]}")
    fn(len(deltas), pv, pg, numel, meta, float(alpha))
    _written(variables)


def _momentum_kernel(
    variables: list[torch.Tensor],
    accums: list[torch.Tensor],
    grads: list[torch.Tensor],
    lr: torch.Tensor,
    momentum: torch.Tensor,
    use_nesterov: bool,
) -> None:
    pv, pa, pg, numel, meta, _read = _arrays([variables, accums], grads)
    fn = getattr(library.load(), f"tm_momentum_{_SUFFIX[variables[0].dtype]}")
    fn(len(grads), pv, pa, pg, numel, meta, float(lr), float(momentum), 1 if use_nesterov else 0)
    _written(variables + accums)


def _adam_kernel(
    variables: list[torch.Tensor],
    ms: list[torch.Tensor],
    vs: list[torch.Tensor],
    grads: list[torch.Tensor],
    alpha: torch.Tensor,
    beta1: torch.Tensor,
    one_minus_beta1: torch.Tensor,
    one_minus_beta2: torch.Tensor,
    epsilon: torch.Tensor,
    use_nesterov: bool,
) -> None:
    pv, pm, pvv, pg, numel, meta, _read = _arrays([variables, ms, vs], grads)
    scalars = (alpha, beta1, one_minus_beta1, one_minus_beta2, epsilon)
    fn = getattr(library.load(), f"tm_adam_{_SUFFIX[variables[0].dtype]}")
    fn(len(grads), pv, pm, pvv, pg, numel, meta, *(float(s) for s in scalars), 1 if use_nesterov else 0)
    _written(variables + ms + vs)


_gradient_descent_op = native_build.custom_op(
    "gradient_descent", _gradient_descent_kernel, _no_outputs, mutates_args=("variables",)
)
_momentum_op = native_build.custom_op("momentum", _momentum_kernel, _no_outputs, mutates_args=("variables", "accums"))
_adam_op = native_build.custom_op("adam", _adam_kernel, _no_outputs, mutates_args=("variables", "ms", "vs"))


def gradient_descent(variables, deltas, alpha) -> bool:
    """TF's ApplyGradientDescent (var -= delta * alpha) on each variable, in place; False (nothing done)
    where the native kernel does not apply."""
    if not _ready([variables], deltas, (alpha,)):
        return False
    _gradient_descent_op(list(variables), list(deltas), alpha)
    return True


def momentum(variables, accums, grads, lr, momentum, use_nesterov) -> bool:
    """TF's ApplyMomentum (accum = accum * momentum + grad; var -= accum * lr, or with Nesterov
    var -= grad * lr + accum * momentum * lr) on each member, in place; False where it does not apply."""
    if not _ready([variables, accums], grads, (lr, momentum)):
        return False
    _momentum_op(list(variables), list(accums), list(grads), lr, momentum, bool(use_nesterov))
    return True


def adam(variables, ms, vs, grads, alpha, beta1, one_minus_beta1, one_minus_beta2, epsilon, use_nesterov) -> bool:
    """TF's ApplyAdam on each member, in place, given its step size ``alpha`` (lr * sqrt(1 - beta2_power) /
    (1 - beta1_power)) and the factors 1 - beta1, 1 - beta2, all in the variables' dtype; False where it
    does not apply."""
    if not _ready([variables, ms, vs], grads, (alpha, beta1, one_minus_beta1, one_minus_beta2, epsilon)):
        return False
    scalars = (alpha, beta1, one_minus_beta1, one_minus_beta2, epsilon)
    _adam_op(list(variables), list(ms), list(vs), list(grads), *scalars, bool(use_nesterov))
    return True
