"""Matrix products: MatMul, BatchMatMul(V2, V3) and SparseMatMul, with TF's shape rules and gradients."""

from __future__ import annotations

import contextlib
import functools

import torch

from torchmeta import errors
from torchmeta.api import array_ops, math_ops
from torchmeta.framework.common_shapes import format_dims, merge_shapes, shape_error
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.ops import threads
from torchmeta.ops.common import CPU_FLAGS
from torchmeta.ops.math_ops import TORCH_DTYPES, broadcast_shape_dims, conj_if_complex
from torchmeta.ops.threads import run_product

# ---------------------------------------------------------------------------------------------
# Matrix products


def _matmul_shape(op):
    a, b = op.inputs[0].shape, op.inputs[1].shape
    for s in (a, b):
        if s.rank is not None and s.rank != 2:
            raise shape_error(op, f"Shape must be rank 2 but is rank {s.rank}")
    da = a.as_tuple() or (None, None)
    db = b.as_tuple() or (None, None)
    m, k1 = (da[1], da[0]) if op.get_attr("transpose_a") else da
    k2, n = (db[1], db[0]) if op.get_attr("transpose_b") else db
    _check_inner(k1, k2, op, a, b)
    return [TensorShape([m, n])]


def _check_inner(k1, k2, op, a, b):
    if k1 is not None and k2 is not None and k1 != k2:
        raise shape_error(op, f"Dimensions must be equal, but are {k1} and {k2}")


def matmul_error(a, b, e):
    """TF's InvalidArgumentError for torch's error ``e`` multiplying ``a`` by ``b`` (the operands as given, before
    any transpose: TF's wording names them so), or ``e`` itself for another error. For a kernel's failure path
    only (an ``except RuntimeError`` around the product): no check on the way of a product that succeeds."""
    if "cannot be multiplied" in str(e) or "size mismatch" in str(e):
        return errors.InvalidArgumentError(
            None, None, f"Matrix size-incompatible: In[0]: {format_dims(a.shape)}, In[1]: {format_dims(b.shape)}"
        )
    return e


@register_op(
    "MatMul",
    inputs=["a: T", "b: T"],
    outputs=["product: T"],
    attrs=[
        "transpose_a: bool = false",
        "transpose_b: bool = false",
        "T: {bfloat16, half, float, double, int32, int64, uint8, uint16, uint32, uint64, complex64, complex128}",
        "grad_a: bool = false",
        "grad_b: bool = false",
    ],
    shape=_matmul_shape,
)
def mat_mul(a, b, transpose_a, transpose_b):
    x = a.t() if transpose_a else a
    y = b.t() if transpose_b else b
    try:
        return matrix_product(x, y)
    except RuntimeError as e:
        raise matmul_error(a, b, e) from None


_NARROW_COLUMNS = range(2, 16)  # products with this many columns...
_NARROW_MIN_ELEMENTS = 32768  # ...and at least this many elements of x are computed transposed


def matrix_product(x, y, bias=None):
    """``x @ y`` of matrices (``bias``: a 1-D row added to each row of it, addmm) on the calling thread where TF's
    MatMul runs so (``run_product``). A float product with few columns (2-15: a classifier's 10 logits and
    their weight's gradient) is computed as its transpose ``(y^T @ x^T)^T``, copied back row-major: MKL's sgemm
    takes 2-6x longer for the narrow product than for its transpose (bench machine, AMD EPYC, one thread:
    [1024, 128] @ [128, 10] 0.22 ms, transposed 0.08 ms; with x a transposed view, the weight gradient,
    0.43 ms). MKL adds the products in another order then (a last-bit difference, within the tolerance of the
    tests against TF, whose own order is oneDNN's); only where x is small (under ``_NARROW_MIN_ELEMENTS``) does
    the copy cost more than the product saves. Not on an AVX-512 CPU (``_AVX512``), where MKL's narrow product
    is the faster (Intel Xeon, one thread: 128x1024 @ 1024x10 + bias 0.054 ms, transposed 0.129).

    With more than one thread, a float32 product that TF runs on several threads goes to oneDNN on an AVX-512
    CPU (``onednn_product``) and is split into one-thread MKL products elsewhere (``split_product``)."""
    if (
        x.numel() >= _NARROW_MIN_ELEMENTS  # (first: the test most products fail, on a step's hot path)
        and not _AVX512
        and x.dim() == 2
        and y.dim() == 2
        and y.shape[1] in _NARROW_COLUMNS
        and x.shape[1] == y.shape[0]
        and x.is_cpu
        and x.dtype in (torch.float32, torch.float64)
        and y.dtype == x.dtype
        and (bias is None or (bias.dim() == 1 and bias.dtype == x.dtype))
    ):
        xt, yt = y.t(), x.t()
        if bias is None:
            out = run_product(torch.mm, xt, yt, xt, yt)
        else:
            out = run_product(torch.addmm, xt, yt, bias.unsqueeze(1), xt, yt)
        return out.t().contiguous()
    if (
        x.numel() >= _SPLIT_MIN_ELEMENTS
        and not torch.compiler.is_compiling()  # (traced: no host call)
        and torch.get_num_threads() > 1
    ):
        if _AVX512 and x.dtype == torch.float32:
            if _on_threads(x, y, bias):
                return onednn_product(x, y, bias)
        elif _splits(x, y, bias) and (out := split_product(x, y, bias)) is not None:
            return out
    if bias is None:
        return run_product(torch.mm, x, y, x, y)
    return run_product(torch.addmm, x, y, bias, x, y)


# An AVX-512 CPU whose torch has oneDNN: its products at several threads go to oneDNN, and its narrow products to
# MKL as they are (matrix_product).
_AVX512 = "avx512f" in CPU_FLAGS and torch.backends.mkldnn.is_available()


def onednn_product(x, y, bias=None, relu=False):
    """``x @ y (+ bias)`` (rectified where ``relu``) by oneDNN's matmul (``torch.ops.mkldnn._linear_pointwise``,
    the kernel TF's _MklMatMul and _MklNativeFusedMatMul call): x and y as they lie (transposed views too: no
    copy), on torch's intra-op threads.

    Why: on an AVX-512 CPU (Intel Xeon with AMX, 2 vCPUs) at two threads MKL's sgemm split over both threads
    took 10-40% more CPU time than oneDNN for the MNIST MLP's 128-row products (CPU ms per call, load ~2.4:
    128x1024 @ 1024x1024 + bias + relu MKL 2.74, split 3.20, oneDNN 2.32; its input gradient 3.23 / 3.06 /
    2.12; 128x784^T @ 128x1024 1.94 / 1.91 (not split) / 1.61) and split_product, fine on an AVX2 AMD EPYC,
    cost more than MKL alone. At one thread MKL is the faster there (0-20%); on the AVX2 EPYC oneDNN lost to
    the split at two threads (bench/results/dense11_profile.txt), so it is not taken there. oneDNN adds the
    products in its own order: the last bits differ from MKL's, within the tests' tolerance against TF (whose
    MatMul is oneDNN's). Any strides of x and y; a strided bias is read as if contiguous (torch 2.13: wrong
    values), so it is made contiguous."""
    if bias is not None:
        bias = bias.contiguous()
    return torch.ops.mkldnn._linear_pointwise(x, y.t(), bias, "relu" if relu else "none", [], "")


_PACKED_MIN_WEIGHT = 1 << 19  # float32 elements (2 MiB) of a weight that MKL's packed product runs faster
_PACKED_MIN_ROWS = 8  # (with fewer rows of x the packed product was no faster: 1x3136 @ 3136x1024 1.03x)
_MKL_PACKED = torch.backends.mkl.is_available() and hasattr(torch.ops.mkl, "_mkl_linear")  # (torch's build)


_PACKED_USES = 2  # products kept packed per value of a weight: a tied weight's two (other rows of x, transposed)


class _PackedWeight:
    """MKL's packed copies of a product's weight (``kept_weight_product``), kept on the weight tensor for one
    ``version`` of it: ``uses`` maps (rows of x, strides of y) to the packed copy, None until that use is seen a
    second time; at most ``_PACKED_USES`` of them, the oldest dropped first."""

    __slots__ = ("version", "uses")

    def __init__(self, version):
        self.version, self.uses = version, {}


def kept_weight_product(x, y, bias, weight):
    """``x @ y + bias`` by MKL's packed product (``torch.ops.mkl._mkl_linear``: cblas_sgemm_compute on a weight
    packed once by cblas_sgemm_pack), None where it does not apply. ``weight``: the tensor ``y`` is (or is the
    transpose of), a variable's or constant's value that is never refilled outside torch (specialization's
    ``keep_weight`` mark); the packed copy is kept on it while its version (torch's counter: an assignment bumps
    it or replaces the tensor) and the rows of ``x`` stay the same, and made only the second time the same
    version is seen, so that a weight updated every step (training) is never packed. A weight two products
    read (tied: other rows of x, or transposed) keeps a packed copy for each (``_PACKED_USES``).

    Why: at one thread, a weight over ``_PACKED_MIN_WEIGHT`` (larger than a core's L2 cache) with at least
    ``_PACKED_MIN_ROWS`` rows of x: CPU time against addmm (Intel Xeon AVX-512, load ~3.5): the MNIST CNN's
    dense layer 50x3136 @ 3136x1024 0.73-0.79x, 128x784 @ 784x1024 0.80x, 128x1024 @ 1024x1024 0.79x,
    16x3136 @ 3136x1024 0.63x; smaller weights gain nothing (128x256 @ 256x512 1.02x, 50x512 @ 512x512
    1.05x) and narrow ones lose (50x1024 @ 1024x10 1.9x). Only one thread was measured (at several threads the
    products go where ``matrix_product`` sends them). MKL adds the products in another order than its unpacked
    sgemm: the last bits differ, within the tests' tolerance against TF."""
    if x.dim() != 2 or y.dim() != 2 or bias.dim() != 1:
        return None
    (m, k), n = x.shape, y.shape[1]
    if (
        k * n < _PACKED_MIN_WEIGHT
        or y.shape[0] != k  # (a fed x of another inner size: the product's own error, as before)
        or bias.shape[0] != n
        or m < _PACKED_MIN_ROWS
        or not _MKL_PACKED
        or torch.compiler.is_compiling()  # (traced: inductor packs weights itself, nothing kept on tensors)
        or torch.get_num_threads() != 1
        or not (x.is_cpu and y.is_cpu and bias.is_cpu)
        or x.dtype != torch.float32
        or y.dtype != torch.float32
        or bias.dtype != torch.float32
        or x.requires_grad
        or y.requires_grad
        or bias.requires_grad
    ):
        return None
    held = getattr(weight, "_tm_packed", None)
    if held is None or held.version != weight._version:
        held = _PackedWeight(weight._version)
        with contextlib.suppress(AttributeError, TypeError):  # a tensor subclass without a __dict__: nothing kept
            weight._tm_packed = held
    key = (m, y.stride())
    packed = held.uses.get(key, held)
    if packed is held:  # first sight of this value in this use: computed as before, remembered
        if len(held.uses) >= _PACKED_USES:
            del held.uses[next(iter(held.uses))]
        held.uses[key] = None
        return None
    if packed is None:
        packed = held.uses[key] = torch.ops.mkl._mkl_reorder_linear_weight(y.t().contiguous(), m)
    return torch.ops.mkl._mkl_linear(x, packed, y.t(), bias.contiguous(), m)


_SPLIT_MIN_ELEMENTS = 4096  # (a cheap first test: x of a split product has more elements)
_SPLIT_MIN_FLOPS = 1 << 24  # 2*m*k*n of each block: ~0.2 ms on one thread, ~100x a block's hand-over


def _splits(x, y, bias) -> bool:
    """Whether ``split_product`` computes ``x @ y (+ bias)``: one that ``_on_threads``, with ``x`` row-major (not
    a transposed view: a weight gradient's x^T @ dy, with its small inner dimension, took 0-11% more CPU time
    split, 784x128 @ 128x1024 5%)."""
    return x.is_contiguous() and _on_threads(x, y, bias)


def _on_threads(x, y, bias) -> bool:
    """Whether ``x @ y (+ bias)`` at several threads is computed by ``onednn_product`` (AVX-512) or
    ``split_product`` (where ``_splits``), not MKL: a float product on the CPU that TF's MatMul would run on
    several threads (over ``threads.SINGLE_THREAD_BYTES``), of at least two blocks of ``_SPLIT_MIN_FLOPS``,
    outside autograd."""
    m, k = x.shape if x.dim() == 2 else (0, 0)
    n = y.shape[1] if y.dim() == 2 else 0
    return (
        2 * m * k * n >= 2 * _SPLIT_MIN_FLOPS
        and x.is_cpu
        and x.dtype in (torch.float32, torch.float64)
        and y.dtype == x.dtype
        and y.shape[0] == k
        and not threads.product_on_one_thread(m, k, n, x.element_size())
        and (bias is None or (bias.dim() == 1 and bias.dtype == x.dtype and bias.is_cpu))
        and not (x.requires_grad or y.requires_grad or (bias is not None and bias.requires_grad))
    )


def split_product(x, y, bias=None):
    """``x @ y (+ bias)`` as ``torch.get_num_threads()`` one-thread products (fewer where a block would have
    under ``_SPLIT_MIN_FLOPS``) into disjoint blocks of the result, its columns (in whole 64-byte lines) or, when it
    has more rows than columns, its rows, run at the same time by ``threads.run_parallel``; None where that cannot
    run them. Each element is what MKL computes for it on one thread (the same on two threads: bit for bit on the
    bench machine, where MKL does not split the inner dimension of these shapes).

    Why: at two threads MKL's own split of a product with few rows took 30-35% more CPU time than one thread on
    the bench machine (2 vCPUs shared with other processes; user time, its workers waiting for each other inside
    the call), TF's oneDNN MatMul on its Eigen pool about none. The MNIST CNN's dense layer 50x3136 @ 3136x1024
    and its input gradient 50x1024 @ 1024x3136 took 6.2 and 6.9 ms of CPU time on two threads (load ~5), 4.3-4.6
    on one; split, 5.3 and 5.3, and no more wall time (input gradient: fastest of 15 rounds 5.1 ms against MKL's
    6.3 on two threads, 7.3 on one). 128-row products (the MNIST MLP) gained 3-5%. Only two threads were
    measured (the bench machine has two CPUs)."""
    out = torch.empty((x.shape[0], y.shape[1]), dtype=x.dtype)
    calls = []
    for rows, cols in _blocks(x, y):
        if bias is None:
            calls.append(functools.partial(torch.mm, x[rows], y[:, cols], out=out[rows, cols]))
        else:
            calls.append(functools.partial(torch.addmm, bias[cols], x[rows], y[:, cols], out=out[rows, cols]))
    return out if threads.run_parallel(calls) else None


def _blocks(x, y) -> list:
    """The blocks ``(rows, cols)`` of ``x @ y`` that ``split_product`` and ``add_product_`` compute at the same
    time: ``torch.get_num_threads()`` of them (fewer where a block would have under ``_SPLIT_MIN_FLOPS``), of its
    columns (in whole 64-byte lines) or, when it has more rows than columns, of its rows."""
    m, n = x.shape[0], y.shape[1]
    parts = min(torch.get_num_threads(), 2 * m * x.shape[1] * n // _SPLIT_MIN_FLOPS)
    if n >= m:
        line = 64 // x.element_size()
        step = -(-n // (parts * line)) * line
        return [(slice(None), slice(c, c + step)) for c in range(0, n, step)]
    step = -(-m // parts)
    return [(slice(r, r + step), slice(None)) for r in range(0, m, step)]


def add_product_(out, x, y, alpha: float):
    """``out += alpha * (x @ y)`` in place (``addmm_``: one GEMM reading and writing ``out``). With more than one
    thread, a float product that TF runs on several threads (``_on_threads``) is split as ``split_product``'s,
    one-thread ``addmm_`` into disjoint blocks of ``out`` run at the same time: MKL's own split of the MNIST MLP's
    weight gradients (784x128 @ 128x1024, 1024x128 @ 128x1024) into their weights took 1.90 / 2.29 ms of CPU
    time at two threads, split 1.51 / 1.95 (AVX-512 Xeon, load 3.3; oneDNN has no in-place accumulating
    product). Else on the calling thread where TF's MatMul runs so (``run_product``)."""
    if torch.get_num_threads() > 1 and not torch.compiler.is_compiling() and _on_threads(x, y, None):
        calls = [functools.partial(_add_block, out[r, c], x[r], y[:, c], alpha) for r, c in _blocks(x, y)]
        if len(calls) > 1 and threads.run_parallel(calls):
            return out
    return run_product(_add_block, x, y, out, x, y, alpha)


def _add_block(out, x, y, alpha):
    return out.addmm_(x, y, alpha=alpha)


@register_gradient("MatMul")
def _mat_mul_grad(op, grad):
    """MatMuls of the gradient with the conjugated other operand, one per transpose combination."""
    t_a = op.get_attr("transpose_a")
    t_b = op.get_attr("transpose_b")
    a = conj_if_complex(op.inputs[0])
    b = conj_if_complex(op.inputs[1])
    if not t_a and not t_b:
        grad_a = raw_op("MatMul", a=grad, b=b, transpose_b=True, grad_a=True)
        grad_b = raw_op("MatMul", a=a, b=grad, transpose_a=True, grad_b=True)
    elif not t_a and t_b:
        grad_a = raw_op("MatMul", a=grad, b=b, grad_a=True)
        grad_b = raw_op("MatMul", a=grad, b=a, transpose_a=True, grad_b=True)
    elif t_a and not t_b:
        grad_a = raw_op("MatMul", a=b, b=grad, transpose_b=True, grad_a=True)
        grad_b = raw_op("MatMul", a=a, b=grad, grad_b=True)
    else:
        grad_a = raw_op("MatMul", a=b, b=grad, transpose_a=True, transpose_b=True, grad_a=True)
        grad_b = raw_op("MatMul", a=grad, b=a, transpose_a=True, transpose_b=True, grad_b=True)
    return grad_a, grad_b


def _batch_matmul_shape(op, broadcast: bool):
    x, y = op.inputs[0].shape, op.inputs[1].shape
    for s in (x, y):
        if s.rank is not None and s.rank < 2:
            raise shape_error(op, f"Shape must be at least rank 2 but is rank {s.rank}")
    if broadcast and (x.rank is None or y.rank is None):
        return [unknown_shape()]
    dx = x.as_tuple()
    dy = y.as_tuple()
    m, k1 = (None, None) if dx is None else dx[-2:]
    k2, n = (None, None) if dy is None else dy[-2:]
    if op.get_attr("adj_x"):
        m, k1 = k1, m
    if op.get_attr("adj_y"):
        k2, n = n, k2
    _check_inner(k1, k2, op, x, y)
    bx, by = x[:-2] if dx is not None else unknown_shape(), y[:-2] if dy is not None else unknown_shape()
    if broadcast:
        batch = broadcast_shape_dims(bx, by, op)
    else:
        batch = merge_shapes(op, bx, by)
    return [batch.concatenate(TensorShape([m, n]))]


def _batch_matmul_v1_shape(op):
    return _batch_matmul_shape(op, broadcast=False)


def _batch_matmul_v2_shape(op):
    return _batch_matmul_shape(op, broadcast=True)


def _adjoint(t):
    return t.mH if t.is_complex() else t.mT


_BMM_ATTRS = ["adj_x: bool = false", "adj_y: bool = false", "grad_x: bool = false", "grad_y: bool = false"]


@register_op(
    "BatchMatMul",
    inputs=["x: T", "y: T"],
    outputs=["output: T"],
    attrs=["T: {bfloat16, half, float, double, int32, int64, complex64, complex128}", *_BMM_ATTRS],
    shape=_batch_matmul_v1_shape,
)
def batch_mat_mul(x, y, adj_x, adj_y):
    return batch_mat_mul_v2(x, y, adj_x, adj_y)


@register_gradient("BatchMatMul")
def _batch_mat_mul_grad(op, grad):
    """tf.matmul of the gradient with the other operand (adjoints chosen per ``adj_*``)."""
    matmul = math_ops.matmul
    x, y = op.inputs
    adj_x = op.get_attr("adj_x")
    adj_y = op.get_attr("adj_y")
    if not adj_x:
        if not adj_y:
            grad_x = matmul(grad, y, adjoint_a=False, adjoint_b=True)
            grad_y = matmul(x, grad, adjoint_a=True, adjoint_b=False)
        else:
            grad_x = matmul(grad, y, adjoint_a=False, adjoint_b=False)
            grad_y = matmul(grad, x, adjoint_a=True, adjoint_b=False)
    elif not adj_y:
        grad_x = matmul(y, grad, adjoint_a=False, adjoint_b=True)
        grad_y = matmul(x, grad, adjoint_a=False, adjoint_b=False)
    else:
        grad_x = matmul(y, grad, adjoint_a=True, adjoint_b=True)
        grad_y = matmul(grad, x, adjoint_a=True, adjoint_b=True)
    return grad_x, grad_y


@register_op(
    "BatchMatMulV2",
    inputs=["x: T", "y: T"],
    outputs=["output: T"],
    attrs=[
        "T: {bfloat16, half, float, double, int16, int32, int64, uint8, uint16, uint32, uint64, complex64, complex128}",
        *_BMM_ATTRS,
    ],
    shape=_batch_matmul_v2_shape,
)
def batch_mat_mul_v2(x, y, adj_x, adj_y):
    """``adj_*`` takes the conjugate transpose of the last two dims; batch dims broadcast."""
    a = _adjoint(x) if adj_x else x
    b = _adjoint(y) if adj_y else y
    try:
        return torch.matmul(a, b)
    except RuntimeError as e:
        raise matmul_error(x, y, e) from None


_BMM3_TYPES = "{bfloat16, half, float, double, uint8, int8, int16, int32, int64, complex64, complex128}"


@register_op(
    "BatchMatMulV3",
    inputs=["x: Ta", "y: Tb"],
    outputs=["output: Tout"],
    attrs=[
        f"Ta: {_BMM3_TYPES}",
        f"Tb: {_BMM3_TYPES}",
        "Tout: {bfloat16, half, float, double, int16, int32, int64, complex64, complex128}",
        *_BMM_ATTRS,
    ],
    shape=_batch_matmul_v2_shape,
)
def batch_mat_mul_v3(x, y, Tout, adj_x, adj_y):
    """Operands are converted to ``Tout`` first (int8 x int8 -> int32 is the common mixed case)."""
    dst = TORCH_DTYPES[Tout]
    return batch_mat_mul_v2(x.to(dst), y.to(dst), adj_x, adj_y)


@register_gradient("BatchMatMulV2")
@register_gradient("BatchMatMulV3")
def _batch_mat_mul_v2_grad(op, grad):
    """As BatchMatMul's, then summed over the batch dims each operand was broadcast along."""
    matmul = math_ops.matmul
    x, y = op.inputs
    adj_x = op.get_attr("adj_x")
    adj_y = op.get_attr("adj_y")
    if not adj_x:
        if not adj_y:
            grad_x = matmul(grad, y, adjoint_a=False, adjoint_b=True, grad_a=True)
            grad_y = matmul(x, grad, adjoint_a=True, adjoint_b=False, grad_b=True)
        else:
            grad_x = matmul(grad, y, adjoint_a=False, adjoint_b=False, grad_a=True)
            grad_y = matmul(grad, x, adjoint_a=True, adjoint_b=False, grad_b=True)
    elif not adj_y:
        grad_x = matmul(y, grad, adjoint_a=False, adjoint_b=True, grad_a=True)
        grad_y = matmul(x, grad, adjoint_a=False, adjoint_b=False, grad_b=True)
    else:
        grad_x = matmul(y, grad, adjoint_a=True, adjoint_b=True, grad_a=True)
        grad_y = matmul(grad, x, adjoint_a=True, adjoint_b=True, grad_b=True)
    shape_x, shape_y = x.shape, y.shape
    may_have_batch = shape_x.rank is None or shape_x.rank > 2 or shape_y.rank is None or shape_y.rank > 2
    batch_shapes_match = (
        shape_x[:-2].is_fully_defined() and shape_y[:-2].is_fully_defined() and shape_x[:-2] == shape_y[:-2]
    )
    if not may_have_batch or batch_shapes_match:
        return grad_x, grad_y
    sx = array_ops.shape(x)
    sy = array_ops.shape(y)
    rx, ry = raw_op("BroadcastGradientArgs", s0=sx[:-2], s1=sy[:-2])
    grad_x = array_ops.reshape(math_ops.reduce_sum(grad_x, rx), sx)
    grad_y = array_ops.reshape(math_ops.reduce_sum(grad_y, ry), sy)
    return grad_x, grad_y


# ---------------------------------------------------------------------------------------------
# SparseMatMul: a MatMul that TF may run with sparse kernels; always float32 out


@register_op(
    "SparseMatMul",
    inputs=["a: Ta", "b: Tb"],
    outputs=["product: float"],
    attrs=[
        "transpose_a: bool = false",
        "transpose_b: bool = false",
        "a_is_sparse: bool = false",
        "b_is_sparse: bool = false",
        "Ta: {float, bfloat16} = DT_FLOAT",
        "Tb: {float, bfloat16} = DT_FLOAT",
    ],
    shape=_matmul_shape,
)
def sparse_mat_mul(a, b, transpose_a, transpose_b):
    return mat_mul(a.float(), b.float(), transpose_a, transpose_b)


@register_gradient("SparseMatMul")
def _sparse_mat_mul_grad(op, grad):
    """MatMul-like gradients through tf.matmul with the operands' sparsity hints; a gradient coming
    from a ReluGrad is assumed sparse, as in TF."""
    t_a = op.get_attr("transpose_a")
    t_b = op.get_attr("transpose_b")
    a, b = op.inputs
    is_sparse = {id(a): op.get_attr("a_is_sparse"), id(b): op.get_attr("b_is_sparse")}
    is_sparse[id(grad)] = grad.op.type == "ReluGrad"

    def sparse_matmul(t1, t2, out_dtype, transpose_a=False, transpose_b=False):
        t1_sparse = is_sparse[id(t1)]
        t2_sparse = is_sparse[id(t2)]
        if transpose_b:
            t2 = array_ops.transpose(t2)
            transpose_b = False
        prod = math_ops.matmul(
            t1, t2, transpose_a=transpose_a, transpose_b=transpose_b, a_is_sparse=t1_sparse, b_is_sparse=t2_sparse
        )
        if prod.dtype.base_dtype is not out_dtype:
            prod = math_ops.cast(prod, out_dtype)
        return prod

    dtype_a = a.dtype.base_dtype
    dtype_b = b.dtype.base_dtype
    if not t_a and not t_b:
        return sparse_matmul(grad, b, dtype_a, transpose_b=True), sparse_matmul(a, grad, dtype_b, transpose_a=True)
    if not t_a and t_b:
        return sparse_matmul(grad, b, dtype_a), sparse_matmul(grad, a, dtype_b, transpose_a=True)
    if t_a and not t_b:
        return sparse_matmul(b, grad, dtype_a, transpose_b=True), sparse_matmul(a, grad, dtype_b)
    return (
        sparse_matmul(b, grad, dtype_a, transpose_a=True, transpose_b=True),
        sparse_matmul(grad, a, dtype_b, transpose_a=True, transpose_b=True),
    )
