"""TensorFlow's random distributions over Philox words, bit for bit (tensorflow/core/lib/random/random_distributions.h).

Everything is vectorised in torch and gives the same bits on every device:

- uniform floats from mantissa bits (``uniform_from_words``): 23 bits for float32, 52 for float64
  (two words), 10 for float16 and 7 for bfloat16 (the low bits of each word), ``[1, 2) - 1``;
- uniform integers (``uniform_int_from_words``): ``lo + word % range``, 64-bit from word pairs;
- Box-Muller normals (``box_muller_float``, ``box_muller_double``);
- the CPU kernels' fill orders and samplers: ``fill_*`` (FillPhiloxRandom), the Fisher-Yates permutation
  of RandomShuffle, Multinomial's rows, gamma, Poisson and parameterized truncated normal samples, and
  TF's work shards (``tf_shards``, ``tf_pool_threads``) where the sample order depends on them.

TF's CPU kernels call glibc's ``logf`` and ``sincosf`` inside Box-Muller (and ``expf``/``logf`` in the
parameterized truncated normal). Those are not correctly rounded, so a correctly rounded ``log``/``sin``
gives different floats for ~1.5% of the normals; torchmeta.ops.glibc_math evaluates glibc's own algorithms
instead (equal to glibc on all 2**23 inputs Box-Muller can produce, on any device). On CPU the float32
fills run in a small native kernel when one can be built (torchmeta.ops.philox_native), with the same
numbers.

float64 normals use TF's ``BoxMullerDouble`` with torch's float64 ``log``/``sin``/``cos`` computed on the CPU
(glibc's double-precision routines are not reproduced): about 1% of them differ from TF's by 1-2 ulp.
"""

from __future__ import annotations

import math
import os
import threading

import torch

from torchmeta import errors
from torchmeta.ops import philox_native
from torchmeta.ops.glibc_math import expf, logf, sincosf, sqrtf
from torchmeta.ops.philox import MASK32, Philox, as_uint32

__all__ = [
    "uniform_from_words",
    "uniform_int_from_words",
    "box_muller_float",
    "box_muller_double",
    "uint64_to_double",
    "fill_uniform",
    "fill_normal",
    "fill_truncated_normal",
    "fill_uniform_int",
    "fill_uniform_full_int",
    "full_int_from_words",
    "outputs_per_block",
    "gamma_samples",
    "poisson_samples",
    "parameterized_truncated_normal",
]

_F64 = torch.float64
_HALF_TYPES = (torch.float16, torch.bfloat16)


# ---------------------------------------------------------------------------------------------
# Words -> uniform numbers


def _float32_from_mantissa(words: torch.Tensor) -> torch.Tensor:
    """TF's Uint32ToFloat: [1, 2) from the low 23 bits, minus 1 (exact)."""
    return ((words & 0x7FFFFF) | 0x3F800000).view(torch.float32) - 1.0


def uint64_to_double(w0: torch.Tensor, w1: torch.Tensor) -> torch.Tensor:
    """TF's Uint64ToDouble: 20 bits of ``w0`` and all of ``w1`` as the mantissa of [1, 2), minus 1."""
    bits = ((as_uint32(w0) & 0xFFFFF) << 32) | as_uint32(w1) | (1023 << 52)
    return bits.view(_F64) - 1.0


def uniform_from_words(words: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Uniform [0, 1) numbers of ``dtype`` from int32 words, TF's UniformDistribution.

    One number per word for 16/32-bit floats; float64 takes words (2i, 2i + 1).
    """
    if dtype == torch.float32:
        return _float32_from_mantissa(words)
    if dtype == _F64:
        pairs = words.reshape(-1, 2)
        return uint64_to_double(pairs[:, 0], pairs[:, 1])
    if dtype == torch.float16:
        half = ((words & 0x3FF) | (15 << 10)).to(torch.int16).view(torch.float16)
        return half - 1.0
    if dtype == torch.bfloat16:
        bf = ((words & 0x7F) | (127 << 7)).to(torch.int16).view(torch.bfloat16)
        return bf - 1.0
    raise TypeError(f"no uniform distribution for {dtype}")


def uniform_int_from_words(words: torch.Tensor, lo: int, hi: int, dtype: torch.dtype) -> torch.Tensor:
    """TF's UniformDistribution<int32/int64/uint32/uint64>: ``lo + bits % (hi - lo)`` with unsigned arithmetic.

    32-bit types take one word per number, 64-bit ones the pair (low word, high word).
    """
    if dtype in (torch.int32, torch.uint32):
        span = (hi - lo) & MASK32
        return (lo + as_uint32(words) % span).to(dtype)
    if dtype == torch.uint64:
        lo = _wrap64(lo)  # the same bits; the result is reinterpreted below
        return uniform_int_from_words(words, lo, lo + ((hi - lo) & ((1 << 64) - 1)), torch.int64).view(torch.uint64)
    span = (hi - lo) & ((1 << 64) - 1)
    pairs = as_uint32(words.reshape(-1, 2))
    if span < 1 << 63:
        # 64-bit words modulo span without unsigned 64-bit arithmetic: (h * 2**32 + l) % span, with
        # h * 2**32 % span folded 32 bits at a time (each partial product stays below 2**63).
        rem = _mod_pow2_32(pairs[:, 1], span)
        value = _addmod(rem, pairs[:, 0] % span, span)
    else:
        # span >= 2**63: at most one subtraction.
        bits = (pairs[:, 1] << 32) | pairs[:, 0]  # the uint64 pattern, wrapped into int64
        as_unsigned_ge = _uint64_ge(bits, span)
        value = torch.where(as_unsigned_ge, bits - _wrap64(span), bits)
    return (value + lo).to(torch.int64)  # wraps like TF's SignedAdd; the result fits int64


def full_int_from_words(words: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """TF's UniformFullIntDistribution: the words themselves (32-bit types) or word pairs (low, high)."""
    if dtype in (torch.int32, torch.uint32):
        return words if dtype == torch.int32 else as_uint32(words).to(torch.uint32)
    pairs = as_uint32(words.reshape(-1, 2))
    bits = (pairs[:, 1] << 32) | pairs[:, 0]
    return bits if dtype == torch.int64 else bits.view(torch.uint64)


def _wrap64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _uint64_ge(bits: torch.Tensor, value: int) -> torch.Tensor:
    """``bits`` (int64 holding uint64 patterns) >= ``value`` as unsigned numbers."""
    flip = -(1 << 63)
    return (bits ^ flip) >= (_wrap64(value) ^ flip)


def _addmod(a: torch.Tensor, b: torch.Tensor, m: int) -> torch.Tensor:
    """(a + b) % m for 0 <= a, b < m < 2**63, without overflow."""
    return torch.where(a >= m - b, a - (m - b), a + b)


def _mod_pow2_32(h: torch.Tensor, m: int) -> torch.Tensor:
    """(h * 2**32) % m for 0 <= h < 2**32 and m < 2**63, by doubling 32 times."""
    r = h % m
    for _ in range(32):
        r = _addmod(r, r, m)
    return r


# ---------------------------------------------------------------------------------------------
# Box-Muller


_TWO_PI = 2.0 * math.pi


def box_muller_float(w0: torch.Tensor, w1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """TF's BoxMullerFloat: two float32 normals from two words (glibc's logf/sincosf)."""
    u1 = torch.clamp_min(_float32_from_mantissa(w0), 1.0e-7)
    # 2.0f * M_PI * u is computed in double and rounded to float.
    v1 = (_TWO_PI * _float32_from_mantissa(w1).to(_F64)).to(torch.float32)
    u2 = sqrtf(-2.0 * logf(u1))
    s, c = sincosf(v1)
    return s * u2, c * u2


def box_muller_double(w0, w1, w2, w3) -> tuple[torch.Tensor, torch.Tensor]:
    """TF's BoxMullerDouble: two float64 normals from four words.

    glibc's double log/sincos are not reproduced: torch's float64 functions, evaluated on the CPU so the
    numbers do not depend on the device, differ from TF's by 1-2 ulp in about 1% of values.
    """
    device = w0.device
    u1 = torch.clamp_min(uint64_to_double(w0, w1), 1.0e-7).cpu()
    v1 = (_TWO_PI * uint64_to_double(w2, w3)).cpu()
    u2 = torch.sqrt(-2.0 * torch.log(u1))
    return (torch.sin(v1) * u2).to(device), (torch.cos(v1) * u2).to(device)


# ---------------------------------------------------------------------------------------------
# FillPhiloxRandom: the CPU kernels' sample order


def outputs_per_block(dtype: torch.dtype) -> int:
    """Outputs a distribution makes from one 128-bit block (TF's kResultElementCount)."""
    return 2 if dtype in (_F64, torch.int64, torch.uint64) else 4


def fill_uniform(gen: Philox, n: int, dtype: torch.dtype, device) -> torch.Tensor:
    """``n`` uniform [0, 1) numbers as TF's PhiloxRandomOp<UniformDistribution> fills them."""
    blocks = -(-n // outputs_per_block(dtype))
    if dtype == torch.float32 and torch.device(device).type == "cpu" and philox_native.available():
        return torch.from_numpy(philox_native.uniform_float32(gen.key, gen.counter, blocks))[:n]
    return uniform_from_words(gen.blocks(blocks, device).reshape(-1), dtype)[:n]


def fill_uniform_int(gen: Philox, n: int, lo: int, hi: int, dtype: torch.dtype, device) -> torch.Tensor:
    blocks = -(-n // outputs_per_block(dtype))
    return uniform_int_from_words(gen.blocks(blocks, device).reshape(-1), lo, hi, dtype)[:n]


def fill_uniform_full_int(gen: Philox, n: int, dtype: torch.dtype, device) -> torch.Tensor:
    blocks = -(-n // outputs_per_block(dtype))
    return full_int_from_words(gen.blocks(blocks, device).reshape(-1), dtype)[:n]


def _normals_from_blocks(words: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """NormalDistribution on (m, 4) blocks: 4 floats (pairs (0, 1), (2, 3)) or 2 doubles per block."""
    if dtype == _F64:
        d0, d1 = box_muller_double(words[:, 0], words[:, 1], words[:, 2], words[:, 3])
        return torch.stack([d0, d1], 1).reshape(-1)
    f0, f1 = box_muller_float(words[:, 0::2].reshape(-1), words[:, 1::2].reshape(-1))
    out = torch.stack([f0, f1], 1).reshape(-1)
    return out if dtype == torch.float32 else out.to(dtype)


def _native_float(device, dtype) -> bool:
    """Whether the native CPU kernel computes this fill (float32 numbers; float16/bfloat16 round them)."""
    return dtype in (torch.float32, *_HALF_TYPES) and torch.device(device).type == "cpu" and philox_native.available()


def fill_normal(gen: Philox, n: int, dtype: torch.dtype, device) -> torch.Tensor:
    """``n`` standard normals as TF's PhiloxRandomOp<NormalDistribution> fills them."""
    blocks = -(-n // outputs_per_block(dtype))
    if _native_float(device, dtype):
        return torch.from_numpy(philox_native.normal_float32(gen.key, gen.counter, blocks))[:n].to(dtype)
    return _normals_from_blocks(gen.blocks(blocks, device), dtype)[:n]


# TruncatedNormalDistribution takes a variable number of words per output group; each group starts at its
# own reserved stretch of the stream: kResultElementCount * 256 / 4 blocks after the previous group.
_RESERVED_SAMPLES_PER_OUTPUT = 256


def fill_truncated_normal(gen: Philox, n: int, dtype: torch.dtype, device) -> torch.Tensor:
    """``n`` normals within (-2, 2) as TF's PhiloxRandomOp<TruncatedNormalDistribution> fills them.

    Group ``g`` (4 outputs; 2 for float64) reads words from block ``g * stride`` on, Box-Muller pairs in order,
    and keeps candidates with ``|x| < 2`` until the group is full. All groups are drawn together, two blocks at
    a time; the rare groups still short of outputs draw the next blocks of their stretch.
    """
    group = outputs_per_block(dtype)
    stride = group * _RESERVED_SAMPLES_PER_OUTPUT // 4
    groups = -(-n // group)
    if _native_float(device, dtype):
        return torch.from_numpy(philox_native.truncated_normal_float32(gen.key, gen.counter, groups))[:n].to(dtype)
    out = torch.zeros(groups, group, dtype=dtype, device=device)
    if groups == 0:
        return out.reshape(-1)
    have = torch.zeros(groups, dtype=torch.int64, device=device)
    pending = torch.arange(groups, dtype=torch.int64, device=device)
    step = 2  # blocks per group per round
    next_block = 0
    while pending.numel():
        offsets = pending[:, None] * stride + (next_block + torch.arange(step, device=device))
        words = gen.blocks_at(offsets.reshape(-1), device).reshape(pending.numel(), step * 4)
        if dtype == _F64:
            d0, d1 = box_muller_double(*(words[:, j::4].reshape(-1) for j in range(4)))
            cand = torch.stack([d0, d1], 1).reshape(pending.numel(), -1)
            keep = cand.abs() < 2.0
        else:
            f0, f1 = box_muller_float(words[:, 0::2].reshape(-1), words[:, 1::2].reshape(-1))
            cand32 = torch.stack([f0, f1], 1).reshape(pending.numel(), -1)
            keep = cand32.abs() < 2.0
            cand = cand32 if dtype == torch.float32 else cand32.to(dtype)
        # Position of each accepted candidate among the group's outputs.
        slot = have[pending][:, None] + torch.cumsum(keep.to(torch.int64), 1) - 1
        take = keep & (slot < group)
        rows = pending[:, None].expand_as(slot)[take]
        out[rows, slot[take]] = cand[take]
        have[pending] = torch.clamp_max(have[pending] + keep.sum(1), group)
        pending = pending[have[pending] < group]
        next_block += step
    return out.reshape(-1)[:n]


# ---------------------------------------------------------------------------------------------
# RandomShuffle


def fisher_yates_permutation(gen: Philox, n: int, device) -> torch.Tensor:
    """The permutation TF's RandomShuffle applies to ``n`` rows: for i in 0 .. n - 2, swap(i, i + w_i % (n - i))
    with w the 32-bit words of ``gen``'s stream; returns ``perm`` with output row i = input row perm[i].

    Resolved without a sequential loop. Position i is final after step i, holding what position j_i held
    before step i. That is the original j_i unless an earlier step s targeted j_i (the last such s), in
    which case it is what position s held before step s; and that in turn is s, or (if an earlier step
    targeted s) the same question one step further back. Following these links (pointer jumping, log2 n
    rounds) gives every answer at once.
    """
    i = torch.arange(n, dtype=torch.int64, device=device)
    words = as_uint32(gen.uint32(n - 1, device))
    j = torch.cat([i[:-1] + words % (n - i[:-1]), i[-1:]])  # a virtual last step j = n - 1
    steps = j[:-1]
    # last_before(p, t): the last real step s < t with j_s = p, or -1.
    keys, order = torch.sort(steps * n + i[:-1])

    def last_before(p, t):
        pos = torch.searchsorted(keys, p * n + t) - 1
        found = (pos >= 0) & (steps[order[pos.clamp_min(0)]] == p)
        return torch.where(found, order[pos.clamp_min(0)], -1)

    link = last_before(i, i)  # for held(s): the step that last moved a value into position s
    held = torch.where(link >= 0, link, i)  # held(s) = held(link(s)) until a step nobody targeted
    while True:
        nxt = held[held]
        if torch.equal(nxt, held):
            break
        held = nxt
    source = last_before(j, i)
    return torch.where(source >= 0, held[source.clamp_min(0)], j)


# ---------------------------------------------------------------------------------------------
# Multinomial


def tf_shards(total: int, cost_per_unit: int, threads: int) -> list[tuple[int, int]]:
    """The [start, limit) shards TF's ``Shard`` gives ``total`` units on ``threads`` intra-op threads:
    Eigen's ThreadPoolDevice::parallelFor cost model and block size (TensorDeviceThreadPool.h)."""
    if total <= 0:
        return []
    if threads <= 1 or total == 1:
        return [(0, total)]
    cost = float(cost_per_unit)
    wanted = int(min((total * cost - 100000) / 100000 + 0.9, 2**31 - 1))
    if min(threads, max(1, wanted)) == 1:
        return [(0, total)]
    block_size_f = 1.0 / (cost / 40000)
    block_size = min(total, max(-(-total // (4 * threads)), int(block_size_f)))
    max_block_size = min(total, 2 * block_size)
    block_count = -(-total // block_size)
    max_efficiency = block_count / (-(-block_count // threads) * threads)
    prev_block_count = block_count
    while max_efficiency < 1.0 and prev_block_count > 1:
        coarser_block_size = -(-total // (prev_block_count - 1))
        if coarser_block_size > max_block_size:
            break
        coarser_block_count = -(-total // coarser_block_size)
        prev_block_count = coarser_block_count
        coarser_efficiency = coarser_block_count / (-(-coarser_block_count // threads) * threads)
        if coarser_efficiency + 0.01 >= max_efficiency:
            block_size, block_count = coarser_block_size, coarser_block_count
            max_efficiency = max(max_efficiency, coarser_efficiency)
    return [(start, min(start + block_size, total)) for start in range(0, total, block_size)]


# TF's CPU device shares one intra-op thread pool per process, sized by the first session's config (default:
# the CPUs the process may run on); some CPU kernels' sample order (Multinomial) depends on how TF shards work
# over it. Sessions here fix the same number the same way.
_pool_threads: int | None = None
_pool_lock = threading.Lock()


def tf_pool_threads(requested: int = 0) -> int:
    """The size of TF's intra-op pool in this process: fixed by the first call that has a ``requested`` size
    or needs one (a session's ``intra_op_parallelism_threads``; 0 means TF's default)."""
    global _pool_threads
    with _pool_lock:
        if _pool_threads is None:
            _pool_threads = requested if requested > 0 else _schedulable_cpus()
        return _pool_threads


def _schedulable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def multinomial_rows(gen: Philox, logits: torch.Tensor, num_samples: int, threads: int) -> torch.Tensor:
    """TF's CPU Multinomial: per row, an unnormalised float64 CDF of exp(logit - max) over finite logits and
    ``upper_bound(cdf, u * total)`` for each uniform double ``u`` (two words each).

    Rows are sharded as TF shards them on ``threads`` threads, and the stream offsets depend on it: a shard
    starts at block ``start * (num_samples + 3) // 4`` and its rows then follow each other word by word
    (2 * num_samples words per row). Computed on the CPU (a sequential float64 cumsum, as TF's loop).
    """
    batch, classes = logits.shape
    values = logits.cpu()
    finite = torch.isfinite(values)
    lowest = torch.finfo(values.dtype).min if values.is_floating_point() else torch.iinfo(values.dtype).min
    row_max = torch.where(finite, values, torch.full_like(values, lowest)).amax(1).to(_F64)
    weights = torch.where(finite, torch.exp(values.to(_F64) - row_max[:, None]), 0.0)
    cdf = torch.cumsum(weights, 1)
    cost = int(50 * (num_samples * math.log(classes) / math.log(2) + classes))
    # Word offset of each row's first sample.
    starts = torch.empty(batch, dtype=torch.int64)
    for start, limit in tf_shards(batch, cost, threads):
        first_block = start * (num_samples + 3) // 4
        starts[start:limit] = 4 * first_block + 2 * num_samples * torch.arange(limit - start)
    word = starts[:, None] + 2 * torch.arange(num_samples)
    # Generate each needed block once; words are then looked up by block.
    block_ids = torch.unique(torch.cat([word // 4, (word + 1) // 4]).reshape(-1))
    flat = gen.blocks_at(block_ids, "cpu").reshape(-1)

    def words_at(w):
        return flat[torch.searchsorted(block_ids, w // 4) * 4 + w % 4]

    u = uint64_to_double(words_at(word), words_at(word + 1))
    to_find = u * cdf[:, -1:]
    return torch.searchsorted(cdf, to_find, right=True)


# ---------------------------------------------------------------------------------------------
# RandomGamma


def _flush_denormals(x: torch.Tensor) -> torch.Tensor:
    """TF's CPU kernels run with denormals flushed to zero (float32 and float64 results)."""
    if x.dtype not in (torch.float32, _F64):
        return x
    return torch.where(x.abs() < torch.finfo(x.dtype).tiny, x * 0, x)


def _fetch(gen: Philox, blocks: torch.Tensor, dtype: torch.dtype, normal: bool) -> torch.Tensor:
    """One block per sample at ``blocks``: TF's NormalDistribution or UniformDistribution results."""
    words = gen.blocks_at(blocks)
    if normal:
        return _normals_from_blocks(words, dtype).reshape(blocks.numel(), -1)
    return uniform_from_words(words.reshape(-1), dtype).reshape(blocks.numel(), -1)


def gamma_samples(gen: Philox, alpha: torch.Tensor, num_samples: int) -> torch.Tensor:
    """TF's RandomGammaOp (Marsaglia-Tsang in float64): ``[num_samples, *alpha.shape]`` Gamma(alpha, 1) samples.

    Output ``o`` (alpha ``o // num_samples``, sample ``o % num_samples``) reads its own stretch of the stream,
    from block ``256 * o``: float64 normals (2 per block) and uniforms (2 per block), each block's values
    taken from the last, until a candidate is accepted; alpha < 1 scales by b ** (1 / alpha) for one more
    uniform b; alpha == 1 is -log1p(-u). All outputs advance together, one candidate per step. The float64
    result is rounded to T (with TF's flush of denormals). TF's glibc log/pow/sincos in float64 are torch's
    here: float64 outputs can differ from TF's by an ulp or two; after rounding to float32 or half such a
    difference almost never shows.
    """
    out_dtype = alpha.dtype
    flat = alpha.reshape(-1).to(_F64).cpu()
    total = num_samples * flat.numel()
    out = torch.zeros(total, dtype=_F64)
    index = torch.arange(total, dtype=torch.int64)
    a = flat[index // num_samples]
    less = a < 1
    d = a + torch.where(less, torch.tensor(2.0 / 3, dtype=_F64), torch.tensor(-1.0 / 3, dtype=_F64))
    c = 1.0 / 3 / torch.sqrt(d)
    block = torch.zeros(total, dtype=torch.int64)
    norms = torch.zeros(total, 2, dtype=_F64)
    norm_left = torch.zeros(total, dtype=torch.int64)
    unifs = torch.zeros(total, 2, dtype=_F64)
    unif_left = torch.zeros(total, dtype=torch.int64)
    base = index * _RESERVED_SAMPLES_PER_OUTPUT

    def take(rows, values, left, normal):
        """The next value of each row's normal/uniform buffer, refilling empty buffers from the stream."""
        empty = rows[left[rows] == 0]
        if empty.numel():
            values[empty] = _fetch(gen, base[empty] + block[empty], _F64, normal)
            block[empty] += 1
            left[empty] = 2
        left[rows] -= 1
        return values[rows, left[rows]]

    exponential = index[a == 1]
    if exponential.numel():
        out[exponential] = -torch.log1p(-take(exponential, unifs, unif_left, False))
    active = index[a != 1]
    while active.numel():
        x = take(active, norms, norm_left, True)
        v = 1 + c[active] * x
        positive = ~(v <= 0)  # TF's `if (v <= 0) continue;` lets NaN through
        rows, x, v = active[positive], x[positive], v[positive]
        v = v * v * v
        u = take(rows, unifs, unif_left, False)
        accept = (u < 1 - 0.0331 * (x * x) * (x * x)) | (torch.log(u) < 0.5 * x * x + d[rows] * (1 - v + torch.log(v)))
        rows, v = rows[accept], v[accept]
        res = _flush_denormals(d[rows] * v)
        small = less[rows]
        if bool(small.any()):
            scaled = rows[small]
            b = take(scaled, unifs, unif_left, False)
            res[small] = _flush_denormals(res[small] * torch.pow(b, 1 / a[scaled]))
        out[rows] = res
        done = torch.zeros(total, dtype=torch.bool)
        done[rows] = True
        active = active[~done[active]]
    result = out if out_dtype == _F64 else _flush_denormals(out.float()).to(out_dtype)
    return result.reshape(flat.numel(), num_samples).T.reshape(num_samples, *alpha.shape)


# ---------------------------------------------------------------------------------------------
# RandomPoisson


def poisson_samples(gen: Philox, rate: torch.Tensor, num_samples: int, out_dtype: torch.dtype) -> torch.Tensor:
    """TF's RandomPoissonOp in float64: ``[num_samples, *rate.shape]`` Poisson(rate) samples as ``out_dtype``.

    Output ``o`` reads float64 uniforms (2 per block, each block's taken from the last) from block
    ``256 * o``: Knuth's product of uniforms below exp(-rate) for rate < 10, Hormann's transformed rejection
    (one block per attempt) otherwise. The samples are integers: TF's glibc exp/log/lgamma against torch's
    could only change one at an exact decision boundary.
    """
    flat = rate.reshape(-1).to(_F64).cpu()
    total = num_samples * flat.numel()
    out = torch.zeros(total, dtype=_F64)
    index = torch.arange(total, dtype=torch.int64)
    lam = flat[index // num_samples]
    base = index * _RESERVED_SAMPLES_PER_OUTPUT
    highest = float(torch.finfo(out_dtype).max if out_dtype.is_floating_point else torch.iinfo(out_dtype).max)

    # Knuth: x = the number of uniforms multiplied before the product falls to exp(-rate).
    knuth = index[lam < 10]
    exp_neg = torch.exp(-lam)
    prod = torch.ones(total, dtype=_F64)
    count = torch.zeros(total, dtype=_F64)
    pair = torch.zeros(total, 2, dtype=_F64)
    step = 0
    active = knuth
    while active.numel():
        if step % 2 == 0:
            pair[active] = _fetch(gen, base[active] + step // 2, _F64, normal=False)
        prod[active] = prod[active] * pair[active, 1 - step % 2]
        done = (prod[active] <= exp_neg[active]) & (count[active] <= highest)
        out[active[done]] = count[active[done]]
        active = active[~done]
        count[active] += 1
        step += 1

    # Hormann's transformed rejection.
    hormann = index[~(lam < 10)]
    if hormann.numel():
        r = lam[hormann]
        log_rate = torch.log(r)
        b = 0.931 + 2.53 * torch.sqrt(r)
        a = -0.059 + 0.02483 * b
        inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
        v_r = 0.9277 - 3.6224 / (b - 2)
        attempt = torch.zeros(hormann.numel(), dtype=torch.int64)
        active = torch.arange(hormann.numel())
        while active.numel():
            uv = _fetch(gen, base[hormann[active]] + attempt[active], _F64, normal=False)
            attempt[active] += 1
            u, v = uv[:, 1] - 0.5, uv[:, 0]
            u_shifted = 0.5 - u.abs()
            ra, rb = a[active], b[active]
            k = torch.floor((2 * ra / u_shifted + rb) * u + r[active] + 0.43)
            fits = ~(k > highest)
            quick = fits & (u_shifted >= 0.07) & (v <= v_r[active])
            tested = fits & ~quick & ~((k < 0) | ((u_shifted < 0.013) & (v > u_shifted)))
            s = torch.log(v * inv_alpha[active] / (ra / (u_shifted * u_shifted) + rb))
            t = -r[active] + k * log_rate[active] - torch.lgamma(k + 1)
            accept = quick | (tested & (s <= t)) | torch.isnan(r[active])  # TF loops forever on NaN
            out[hormann[active[accept]]] = torch.where(torch.isnan(r[active[accept]]), r[active[accept]], k[accept])
            active = active[~accept]
    if out_dtype.is_floating_point:
        result = out.to(torch.float32).to(out_dtype) if out_dtype == torch.float16 else out.to(out_dtype)
    else:
        result = out.to(out_dtype)
    return result.reshape(flat.numel(), num_samples).T.reshape(num_samples, *rate.shape)


# ---------------------------------------------------------------------------------------------
# ParameterizedTruncatedNormal

_PTN_MAX_ITERATIONS = 1000
_PTN_RANDN_BOUND = 1.3

# Eigen's cost model constants for TF's shard sizes (TensorOpCost add/mul = 1 for float and double; the
# exp and sqrt functor costs of an AVX build without FMA; Philox and uniform element costs).
_PTN_EXP_COST = {torch.float32: 34, torch.float64: 51, torch.float16: 34}
_PTN_SQRT_COST = {torch.float32: 8, torch.float64: 28, torch.float16: 8}


def _ptn_batch_cost(dtype: torch.dtype, samples_per_batch: int) -> int:
    exp_cost, sqrt_cost = _PTN_EXP_COST[dtype], _PTN_SQRT_COST[dtype]
    init = 2 * 2 + 1 + 1 + sqrt_cost + 4 + exp_cost + 1
    uniform_sample = 10 + 3
    rejection = uniform_sample + 1 + 1 + 2 + 1 + uniform_sample + exp_cost + 1 + 1
    return init + rejection * 2 * samples_per_batch


def _t_exp(x: torch.Tensor) -> torch.Tensor:
    """Eigen::numext::exp in T: glibc's expf for float (and half, through float), torch's exp for double."""
    return torch.exp(x) if x.dtype == _F64 else expf(x.float()).to(x.dtype)


def _t_log(x: torch.Tensor) -> torch.Tensor:
    return torch.log(x) if x.dtype == _F64 else logf(x.float()).to(x.dtype)


def _t_sqrt(x: torch.Tensor) -> torch.Tensor:
    return torch.sqrt(x) if x.dtype == _F64 else sqrtf(x.float()).to(x.dtype)


class _Stream:
    """A Philox generator read block by block (TF's gen_copy shared by the batches of a shard)."""

    def __init__(self, gen: Philox, dtype: torch.dtype):
        self.gen, self.dtype, self.block = gen, dtype, 0

    def normals(self, count: int) -> torch.Tensor:
        out = _normals_from_blocks(self.gen.skip(self.block).blocks(count), self.dtype).reshape(count, -1)
        return out

    def uniforms(self, count: int) -> torch.Tensor:
        words = self.gen.skip(self.block).blocks(count).reshape(-1)
        return uniform_from_words(words, self.dtype).reshape(count, -1)


def _first_accepted(accept: torch.Tensor, need: int):
    """Positions (in order) of the first ``need`` accepted candidates, and how many candidates that took."""
    positions = accept.reshape(-1).nonzero().flatten()[:need]
    used = int(positions[-1]) + 1 if positions.numel() == need and need else None
    return positions, used


def _ptn_batch(stream: _Stream, need: int, mean, stddev, minval, maxval) -> torch.Tensor:
    """One batch of TF's TruncatedNormalFunctor (CPU): ``need`` samples, advancing ``stream``."""
    dtype = stream.dtype
    t = lambda v: torch.tensor(v, dtype=dtype)  # noqa: E731 - T(v) literals
    if (torch.isinf(minval) & (minval < 0)) | (maxval < mean):
        minval, maxval, stddev = maxval, minval, -stddev
    norm_min = (minval - mean) / stddev
    norm_max = (maxval - mean) / stddev
    sqrt_factor = _t_sqrt(norm_min * norm_min + t(4))
    cutoff = t(2) * _t_exp(t(0.5) + (norm_min * (norm_min - sqrt_factor)) / t(4)) / (norm_min + sqrt_factor)
    diff = norm_max - norm_min
    bound = t(_PTN_RANDN_BOUND)
    out = []
    if bool(((norm_min < -bound) & (norm_max >= t(0.0))) | ((norm_max > bound) & (norm_min <= t(0.0)))):
        while need:
            count = max(2, -(-2 * need // outputs_per_block(dtype)))
            z = stream.normals(count)
            accept = (z >= norm_min) & (z <= norm_max)
            positions, used = _first_accepted(accept, need)
            per = z.shape[1]
            taken = z.reshape(-1)[positions]
            out.append(taken * stddev + mean)
            need -= positions.numel()
            stream.block += -(-used // per) if used else count
        return torch.cat(out)
    if bool(diff < cutoff):
        plus = t(0) if bool(norm_min < t(0)) else norm_min * norm_min
        while need:
            count = max(1, -(-2 * need // 4))  # iterations: a block of candidates, then a block of tests
            blocks = stream.uniforms(2 * count)
            rand = torch.stack([blocks[0::2], blocks[1::2]], 0)
            z = rand[0] * diff + norm_min
            g = (plus - z * z) / t(2.0)
            accept = rand[1] <= _t_exp(g)
            positions, used = _first_accepted(accept, need)
            out.append(z.reshape(-1)[positions] * stddev + mean)
            need -= positions.numel()
            per = z.shape[1]
            stream.block += 2 * (-(-used // per) if used else count)
        return torch.cat(out)
    alpha = (norm_min + _t_sqrt(norm_min * norm_min + t(4))) / t(2)
    while need:
        count = max(1, -(-2 * need // 2))
        rand = stream.uniforms(count)  # pairs (candidate, test) within each block
        r, u = rand[:, 0::2], rand[:, 1::2]
        z = -_t_log(r) / alpha + norm_min
        x = alpha - z if bool(norm_min < alpha) else (norm_min - alpha).expand_as(z)
        g = _t_exp(-x * x / t(2.0))
        accept = (u <= g) & (z < norm_max)
        positions, used = _first_accepted(accept, need)
        out.append(z.reshape(-1)[positions] * stddev + mean)
        need -= positions.numel()
        per = z.shape[1]
        stream.block += -(-used // per) if used else count
    return torch.cat(out)


def parameterized_truncated_normal(gen: Philox, dims, means, stddevs, minvals, maxvals, threads: int):
    """TF's ParameterizedTruncatedNormalOp on the CPU: batches along dim 0 (or 100-sample batches when all
    parameters are scalars), each sampled with randn rejection, uniform rejection or an exponential proposal
    as TF picks per batch; batches are sharded over TF's threads and a shard's batches read one stream
    from block ``start * 2 * 1000 * (samples_per_batch + 3) // 4`` on."""
    dtype = means.dtype
    num_batches = dims[0]
    samples_per_batch = math.prod(dims[1:])
    num_elements = num_batches * samples_per_batch
    if all(p.dim() == 0 or p.numel() == 1 for p in (means, stddevs)) and minvals.dim() == 0 and maxvals.dim() == 0:
        samples_per_batch = 100
        num_batches = -(-num_elements // samples_per_batch)
    out = torch.empty(num_elements, dtype=dtype)
    params = [p.reshape(-1).cpu() for p in (means, stddevs, minvals, maxvals)]
    cost = _ptn_batch_cost(dtype if dtype in _PTN_EXP_COST else torch.float32, samples_per_batch)
    for start, limit in tf_shards(num_batches, cost, threads):
        stream = _Stream(gen.skip(start * 2 * _PTN_MAX_ITERATIONS * (samples_per_batch + 3) // 4), dtype)
        for b in range(start, limit):
            mean, stddev, minval, maxval = (p[0 if p.numel() == 1 else b] for p in params)
            if not (
                bool(stddev > 0) and bool(minval < maxval) and bool(torch.isfinite(minval) | torch.isfinite(maxval))
            ):
                raise errors.InvalidArgumentError(None, None, "Invalid parameters")
            first, stop = b * samples_per_batch, min((b + 1) * samples_per_batch, num_elements)
            if stop > first:
                out[first:stop] = _ptn_batch(stream, stop - first, mean, stddev, minval, maxval)
    return out.reshape(dims)
