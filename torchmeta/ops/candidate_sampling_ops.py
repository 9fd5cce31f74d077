"""Candidate samplers (sampled softmax / NCE) and ComputeAccidentalHits, TF's numbers for a seeded op.

Each sampler call reserves 2048 * num_sampled 32-bit words of the op's Philox stream and reads them in
order (TF's SimplePhilox): the samplers consume a variable number of words per draw (rejection in the
exact uniform integers, retries for unique candidates), which is resolved here without a loop over the
draws (``_WordStream``), looping only over the rare rejections and over batches of retries.

Sampled candidates equal TF's exactly. Expected counts are float32 as TF computes them; with
``unique=True`` (and more tries than samples) TF evaluates ``-expm1f(tries * log1pf(-p))`` with glibc's
single-precision functions, taken here from float64 and rounded: rarely 1 ulp apart. The
log-uniform sampler's probabilities (double log, rounded to float) can differ from TF's by an ulp
equally rarely. LearnedUnigramCandidateSampler keeps its learned counts per op and session, as TF's
kernel does.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import torch

from torchmeta import errors
from torchmeta.framework.common_shapes import input_with_rank, shape_error
from torchmeta.framework.registry import no_registered_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops import random_distributions as dist
from torchmeta.ops.common import invalid
from torchmeta.ops.philox import MASK32, Philox, as_uint32

__all__ = ["AliasTable", "unique_or_all_draws"]

_INT32_MAX = 2**31 - 1
_FLT_MAX = float(np.finfo(np.float32).max)


class _WordStream:
    """The 32-bit words of a Philox stream (TF's SimplePhilox), generated in blocks as they are needed."""

    def __init__(self, gen: Philox):
        self._gen = gen
        self._words = torch.empty(0, dtype=torch.int64)

    def take(self, start: int, count: int) -> torch.Tensor:
        """Words ``start .. start + count`` as unsigned values (int64)."""
        end = start + count
        if end > self._words.numel():
            have = self._words.numel() // 4
            need = max(-(-end // 4) - have, have)  # grow geometrically
            fresh = as_uint32(self._gen.skip(have).blocks(need).reshape(-1))
            self._words = torch.cat([self._words, fresh])
        return self._words[start:end]


def _exact_uniform_reject(n: int, bits: int) -> int:
    """ExactUniformInt's rejection threshold for ``n`` (draws below it are redrawn); 0 for powers of two."""
    if n == 0 or n & (n - 1) == 0:
        return 0
    return ((1 << bits) - 1) % n + 1


def _draws(stream: _WordStream, pos: int, count: int, prefix: int, unit: int, reject: int):
    """``count`` draws from word ``pos`` on, each ``prefix`` words then ``unit``-word attempts (1: Rand32,
    2: Rand64) repeated while the attempt's value is below ``reject``.

    Returns (prefix words (count, prefix), accepted values (count,), the position after the last draw).
    """
    prefixes, values = [], []
    while count:
        step = prefix + unit
        words = stream.take(pos, count * step).reshape(count, step)
        value = words[:, prefix]
        if unit == 2:
            value = value | (words[:, prefix + 1] << 32)
        rejected = _below(value, reject, unit)
        first = int(rejected.nonzero()[0, 0]) if bool(rejected.any()) else count
        prefixes.append(words[:first, :prefix])
        values.append(value[:first])
        pos += first * step
        count -= first
        if count:
            # The draw at ``first`` retries until an attempt is accepted.
            head = stream.take(pos, prefix)
            attempt = pos + prefix
            while True:
                word = stream.take(attempt, unit)
                v = int(word[0]) | (int(word[1]) << 32 if unit == 2 else 0)
                attempt += unit
                if v >= reject:
                    break
            prefixes.append(head[None, :])
            values.append(torch.tensor([_wrap64(v)]))
            pos = attempt
            count -= 1
    return torch.cat(prefixes), torch.cat(values), pos


def _wrap64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _below(value: torch.Tensor, reject: int, unit: int) -> torch.Tensor:
    if reject == 0:
        return torch.zeros_like(value, dtype=torch.bool)
    if unit == 1:
        return value < reject
    flip = -(1 << 63)  # unsigned 64-bit comparison on int64 patterns
    return (value ^ flip) < (_wrap64(reject) ^ flip)


def _umod(value: torch.Tensor, n: int, unit: int) -> torch.Tensor:
    """``value % n`` for uint32 values (unit 1) or uint64 patterns (unit 2)."""
    if n & (n - 1) == 0:
        return value & (n - 1)
    if unit == 1 or n >= 1 << 63:
        if unit == 1:
            return value % n
        flip = -(1 << 63)
        ge = (value ^ flip) >= (_wrap64(n) ^ flip)
        return torch.where(ge, value - _wrap64(n), value)
    high = (value >> 32) & MASK32
    low = value & MASK32
    rem = high % n
    for _ in range(32):
        rem = torch.where(rem >= n - rem, rem - (n - rem), rem + rem)
    low = low % n
    return torch.where(rem >= n - low, rem - (n - low), rem + low)


def unique_or_all_draws(draw, num_sampled: int, unique: bool):
    """TF's RangeSampler loop: ``num_sampled`` draws, or with ``unique`` the first ``num_sampled`` distinct
    values of the draw sequence. ``draw(pos, count) -> (values, next pos)``. Returns (values, num_tries)."""
    values, pos = draw(0, num_sampled)
    if not unique:
        return values, num_sampled
    picked = torch.empty(0, dtype=torch.int64)
    tries = 0
    while True:
        seen = torch.cat([picked, values])
        _, inverse = torch.unique(seen, return_inverse=True)
        first = torch.full((int(inverse.max()) + 1,), seen.numel(), dtype=torch.int64)
        first.scatter_reduce_(0, inverse, torch.arange(seen.numel()), "amin")
        is_new = first[inverse] == torch.arange(seen.numel())
        new_positions = is_new[picked.numel() :].nonzero().flatten()
        need = num_sampled - picked.numel()
        if new_positions.numel() >= need:
            last = int(new_positions[need - 1])
            picked = torch.cat([picked, values[new_positions[:need]]])
            return picked, tries + last + 1
        picked = torch.cat([picked, values[new_positions]])
        tries += values.numel()
        values, pos = draw(pos, max(2 * need, 64))


def _expected_counts(p: torch.Tensor, batch_size: int, num_tries: int) -> torch.Tensor:
    """TF's ExpectedCountHelper on float32 probabilities."""
    if num_tries == batch_size:
        return p * batch_size
    log1p = torch.log1p(-p.double()).float()
    return -torch.expm1((num_tries * log1p).double()).float()


# ---------------------------------------------------------------------------------------------
# The samplers


class _Uniform:
    def __init__(self, range_max: int):
        self.range = range_max
        self.inv_range = torch.tensor(1.0 / range_max, dtype=torch.float32)

    def draw(self, stream, pos, count):
        _, values, pos = _draws(stream, pos, count, 0, 2, _exact_uniform_reject(self.range, 64))
        return _umod(values, self.range, 2), pos

    def probability(self, values):
        return self.inv_range.expand(values.shape)


class _LogUniform:
    def __init__(self, range_max: int):
        self.range = range_max
        self.log_range = math.log1p(range_max)

    def draw(self, stream, pos, count):
        words = stream.take(pos, 2 * count).reshape(count, 2)
        u = dist.uint64_to_double(words[:, 0], words[:, 1])
        value = torch.exp(u * self.log_range).to(torch.int64) - 1
        return value % self.range, pos + 2 * count

    def probability(self, values):
        v = values.double()
        return (torch.log((v + 2.0) / (v + 1.0)) / self.log_range).float()


class _LearnedUnigram:
    """TF's UnigramSampler: a WeightedPicker over counts that start at 1 and grow with each call's true
    classes (the kernel's state, kept per op and session)."""

    def __init__(self, range_max: int):
        self.range = range_max
        self.weights = torch.ones(range_max, dtype=torch.int64)
        self.lock = threading.Lock()  # TF's UnigramSampler mutex: runs of one op may race

    def draw(self, stream, pos, count):
        weights = self.weights
        total = int(weights.sum())
        _, values, pos = _draws(stream, pos, count, 0, 1, _exact_uniform_reject(total, 32))
        index = _umod(values, total, 1)
        return torch.searchsorted(torch.cumsum(weights, 0), index, right=True), pos

    def probability(self, values):
        weights = self.weights
        total = torch.tensor(float(int(weights.sum())), dtype=torch.float32)
        return weights[values].float() / total

    def update(self, values):
        with self.lock:
            room = min(values.numel(), _INT32_MAX - int(self.weights.sum()))
            self.weights = self.weights + torch.bincount(values[:room], minlength=self.range)


class AliasTable:
    """TF's random::DistributionSampler (Walker's alias method) built exactly as TF builds it: float64
    proportions of float32 weights, high/low stacks paired from their backs, float32 probabilities."""

    def __init__(self, weights: np.ndarray):
        w = np.asarray(weights, np.float32)
        n = len(w)
        total = float(np.add.accumulate(w.astype(np.float64))[-1]) if n else 0.0
        pr = ((w * np.float32(n)).astype(np.float64) / total).tolist()
        alt = [-1] * n
        low = [i for i in range(n) if pr[i] < 1.0]
        high = [i for i in range(n) if pr[i] >= 1.0]
        while high and low:
            small, large = low.pop(), high.pop()
            alt[small] = large
            pr[large] = pr[large] - (1.0 - pr[small])
            (low if pr[large] < 1.0 else high).append(large)
        prob = np.array(pr, np.float32)
        for idx in high + low:
            prob[idx] = 1.0
            alt[idx] = idx
        self.num = n
        self.prob = torch.from_numpy(prob)
        self.alt = torch.tensor(alt, dtype=torch.int64)


class _FixedUnigram:
    def __init__(self, range_max, vocab_file, distortion, num_reserved_ids, num_shards, shard, unigrams):
        if not vocab_file and not unigrams:
            raise invalid("Must provide either vocab_file or unigrams.")
        if vocab_file and unigrams:
            raise invalid("Must only provide one of vocab_file and unigrams.")
        weights = [0.0 for word_id in range(num_reserved_ids) if word_id % num_shards == shard]
        values = _read_vocab_weights(vocab_file) if vocab_file else list(unigrams)
        word_id = len(weights)  # as TF: the count kept so far, not num_reserved_ids
        kept = []
        for w in values:
            if word_id % num_shards == shard:
                kept.append(w)
            word_id += 1
        kept = np.array(kept, np.float32)
        if distortion != 1.0:
            kept = np.power(kept, np.float32(distortion)).astype(np.float32)
        self.weights = np.concatenate([np.array(weights, np.float32), kept])
        # total_weight_ accumulates the kept weights one by one in float32.
        self.total = np.add.accumulate(kept)[-1] if kept.size else np.float32(0)
        if range_max != len(self.weights):
            raise invalid(f"range is {range_max} must be equal to weights size  {len(self.weights)}")
        self.range = range_max
        self.table = AliasTable(self.weights)

    def draw(self, stream, pos, count):
        prefix, values, pos = _draws(stream, pos, count, 1, 1, _exact_uniform_reject(self.table.num, 32))
        r = dist.uniform_from_words(prefix[:, 0].to(torch.int32), torch.float32)
        idx = _umod(values, self.table.num, 1)
        return torch.where(r < self.table.prob[idx], idx, self.table.alt[idx]), pos

    def probability(self, values):
        weights = torch.from_numpy(self.weights)
        inside = (values >= 0) & (values < len(self.weights))
        p = weights[values.clamp(0, max(len(self.weights) - 1, 0))] / torch.tensor(self.total)
        return torch.where(inside, p, torch.zeros_like(p))


def _read_vocab_weights(path: str) -> list[float]:
    """The last comma-separated field of each line of a vocabulary file, as TF's LoadFromFile reads it."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise errors.NotFoundError(None, None, f"{path}; {e.strerror}") from None
    weights = []
    for line in lines:
        try:
            weights.append(float(np.float32(line.split(",")[-1])))
        except ValueError:
            raise invalid(f"Wrong vocabulary format at line: {line}") from None
    return weights


# ---------------------------------------------------------------------------------------------
# Ops


def _sampler_shape(op):
    batch, _ = input_with_rank(op, 0, 2)
    num_true, num_sampled = op.get_attr("num_true"), op.get_attr("num_sampled")
    return [TensorShape([num_sampled]), TensorShape([batch, num_true]), TensorShape([num_sampled])]


_COMMON_ATTRS = ["num_true: int >= 1", "num_sampled: int >= 1", "unique: bool"]
_SEED_ATTRS = ["seed: int = 0", "seed2: int = 0"]
_OUTPUTS = ["sampled_candidates: int64", "true_expected_count: float", "sampled_expected_count: float"]


def _sample(sampler, true_classes, num_true, num_sampled, unique, generator, device):
    """BaseCandidateSamplerOp::Compute."""
    if true_classes.dim() != 2:
        raise invalid("true_classes must be a matrix")
    batch_size = true_classes.shape[0]
    if true_classes.shape[1] != num_true:
        raise invalid(f"true_classes must have num_true columns, expected: {true_classes.shape[1]} was: {num_true}")
    if unique and num_sampled > sampler.range:
        raise invalid("Sampler's range is too small.")
    true = true_classes.cpu().reshape(-1)
    bad = (true < 0) | (true >= sampler.range)
    if bool(bad.any()):
        raise invalid(f"`true_candidate` out of range [0, {sampler.range}), received {int(true[bad][0])}")
    stream = _WordStream(generator.reserve_samples32(2048 * num_sampled))
    sampled, num_tries = unique_or_all_draws(lambda pos, count: sampler.draw(stream, pos, count), num_sampled, unique)
    sampled_expected = _expected_counts(sampler.probability(sampled), num_sampled, num_tries)
    true_expected = _expected_counts(sampler.probability(true), num_sampled, num_tries)
    if hasattr(sampler, "update"):
        sampler.update(true)
    return (
        sampled.to(device),
        true_expected.reshape(batch_size, num_true).to(device),
        sampled_expected.to(device),
    )


_sampler_lock = threading.Lock()


def _kernel_sampler(generator, make):
    """The op's sampler, built once per kernel (session) like TF's: kept on the op's random state."""
    sampler = getattr(generator, "candidate_sampler", None)
    if sampler is None:
        with _sampler_lock:
            sampler = getattr(generator, "candidate_sampler", None)
            if sampler is None:
                sampler = generator.candidate_sampler = make()
    return sampler


def _range_attr_checked(range_max: int, unigram: bool = False) -> int:
    if unigram and range_max >= _INT32_MAX:
        raise invalid(f"range_max must be less than {_INT32_MAX} for unigram samplers, got {range_max}")
    return range_max


@register_op(
    "UniformCandidateSampler",
    inputs=["true_classes: int64"],
    outputs=_OUTPUTS,
    attrs=[*_COMMON_ATTRS, "range_max: int >= 1", *_SEED_ATTRS],
    shape=_sampler_shape,
    stateful=True,
)
def uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, generator, device):
    """Candidates uniform over [0, range_max) (ExactUniformInt on 64-bit draws)."""
    sampler = _kernel_sampler(generator, lambda: _Uniform(range_max))
    return _sample(sampler, true_classes, num_true, num_sampled, unique, generator, device)


@register_op(
    "LogUniformCandidateSampler",
    inputs=["true_classes: int64"],
    outputs=_OUTPUTS,
    attrs=[*_COMMON_ATTRS, "range_max: int >= 1", *_SEED_ATTRS],
    shape=_sampler_shape,
    stateful=True,
)
def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, generator, device):
    """Candidates with P(k) = log((k + 2) / (k + 1)) / log(range_max + 1) (Zipfian)."""
    sampler = _kernel_sampler(generator, lambda: _LogUniform(range_max))
    return _sample(sampler, true_classes, num_true, num_sampled, unique, generator, device)


@register_op(
    "LearnedUnigramCandidateSampler",
    inputs=["true_classes: int64"],
    outputs=_OUTPUTS,
    attrs=[*_COMMON_ATTRS, "range_max: int >= 1", *_SEED_ATTRS],
    shape=_sampler_shape,
    stateful=True,
)
def learned_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, generator, device):
    """Candidates by counts learned from the true classes of earlier calls (all 1 at first)."""
    sampler = _kernel_sampler(generator, lambda: _LearnedUnigram(_range_attr_checked(range_max, unigram=True)))
    return _sample(sampler, true_classes, num_true, num_sampled, unique, generator, device)


@register_op(
    "ThreadUnsafeUnigramCandidateSampler",
    inputs=["true_classes: int64"],
    outputs=_OUTPUTS,
    attrs=[*_COMMON_ATTRS, "range_max: int >= 1", *_SEED_ATTRS],
    shape=_sampler_shape,
    stateful=True,
)
def thread_unsafe_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, generator, device):
    """LearnedUnigramCandidateSampler without TF's lock (the same numbers)."""
    sampler = _kernel_sampler(generator, lambda: _LearnedUnigram(_range_attr_checked(range_max, unigram=True)))
    return _sample(sampler, true_classes, num_true, num_sampled, unique, generator, device)


@register_op(
    "FixedUnigramCandidateSampler",
    inputs=["true_classes: int64"],
    outputs=_OUTPUTS,
    attrs=[
        *_COMMON_ATTRS,
        "range_max: int >= 1",
        'vocab_file: string = ""',
        "distortion: float = 1.0",
        "num_reserved_ids: int = 0",
        "num_shards: int >= 1 = 1",
        "shard: int >= 0 = 0",
        "unigrams: list(float) = []",
        *_SEED_ATTRS,
    ],
    shape=_sampler_shape,
    stateful=True,
)
def fixed_unigram_candidate_sampler(
    true_classes,
    num_true,
    num_sampled,
    unique,
    range_max,
    vocab_file,
    distortion,
    num_reserved_ids,
    num_shards,
    shard,
    unigrams,
    generator,
    device,
):
    """Candidates by fixed unigram weights (``unigrams`` or a vocabulary file's last column) raised to
    ``distortion``, drawn with TF's alias table."""
    vocab = vocab_file.decode() if isinstance(vocab_file, bytes) else vocab_file
    sampler = _kernel_sampler(
        generator,
        lambda: _FixedUnigram(range_max, vocab, distortion, num_reserved_ids, num_shards, shard, list(unigrams)),
    )
    return _sample(sampler, true_classes, num_true, num_sampled, unique, generator, device)


class _All:
    def __init__(self, num_sampled):
        self.range = num_sampled


@register_op(
    "AllCandidateSampler",
    inputs=["true_classes: int64"],
    outputs=_OUTPUTS,
    attrs=[*_COMMON_ATTRS, *_SEED_ATTRS],
    shape=_sampler_shape,
    stateful=True,
)
def all_candidate_sampler(true_classes, num_true, num_sampled, unique, generator, device):
    """Every class 0 .. num_sampled - 1, each with expected count 1."""
    _ = unique
    if true_classes.dim() != 2:
        raise invalid("true_classes must be a matrix")
    batch_size = true_classes.shape[0]
    if true_classes.shape[1] != num_true:
        raise invalid(f"true_classes must have num_true columns, expected: {true_classes.shape[1]} was: {num_true}")
    true = true_classes.cpu().reshape(-1)
    bad = (true < 0) | (true >= num_sampled)
    if bool(bad.any()):
        raise invalid(f"`true_candidate` out of range [0, {num_sampled}), received {int(true[bad][0])}")
    generator.reserve_samples32(2048 * num_sampled)
    return (
        torch.arange(num_sampled, dtype=torch.int64, device=device),
        torch.ones((batch_size, num_true), dtype=torch.float32, device=device),
        torch.ones(num_sampled, dtype=torch.float32, device=device),
    )


def _accidental_hits_shape(op):
    _, true_dim = input_with_rank(op, 0, 2)
    num_true = op.get_attr("num_true")
    if true_dim is not None and true_dim != num_true:
        raise shape_error(op, f"Dimension must be {num_true} but is {true_dim}")
    input_with_rank(op, 1, 1)
    return [TensorShape([None])] * 3


@register_op(
    "ComputeAccidentalHits",
    inputs=["true_classes: int64", "sampled_candidates: int64"],
    outputs=["indices: int32", "ids: int64", "weights: float"],
    attrs=["num_true: int", *_SEED_ATTRS],
    shape=_accidental_hits_shape,
)
def compute_accidental_hits(true_classes, sampled_candidates, num_true):
    """For each true class (row i) among the sampled candidates: (i, its last position in the samples,
    -FLT_MAX), in row-major order of the true classes."""
    if true_classes.dim() != 2 or true_classes.shape[1] != num_true:
        raise invalid("true_candidates must be a batch_size * num_true matrix")
    if sampled_candidates.dim() != 1:
        raise invalid("sampled_candidates must be a vector, which is typically an output from CandidateSampler")
    device = true_classes.device
    sampled = sampled_candidates.cpu()
    true = true_classes.cpu()
    match = true.reshape(-1, 1) == sampled.reshape(1, -1)
    positions = torch.arange(sampled.numel()).expand_as(match)
    if sampled.numel():
        last = torch.where(match, positions, -1).amax(1)
    else:
        last = torch.full((true.numel(),), -1, dtype=torch.int64)
    hit = last >= 0
    rows = torch.arange(true.shape[0]).repeat_interleave(num_true)
    indices = rows[hit].to(torch.int32)
    ids = last[hit]
    weights = torch.full((ids.numel(),), -_FLT_MAX, dtype=torch.float32)
    return indices.to(device), ids.to(device), weights.to(device)


# TF registers no gradient for the samplers (tf.gradients through them raises LookupError).
no_registered_gradient(
    "UniformCandidateSampler",
    "LogUniformCandidateSampler",
    "LearnedUnigramCandidateSampler",
    "ThreadUnsafeUnigramCandidateSampler",
    "FixedUnigramCandidateSampler",
    "AllCandidateSampler",
    "ComputeAccidentalHits",
)
