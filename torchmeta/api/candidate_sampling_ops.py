"""``tf.nn.*_candidate_sampler`` and ``tf.nn.compute_accidental_hits`` (TF 2.21's candidate_sampling_ops.py):
each op takes its (seed, seed2) attrs from ``get_seed``, so a seeded graph samples TF's candidates."""

from __future__ import annotations

from torchmeta.api.random_ops import get_seed
from torchmeta.framework.op_def_library import raw_op

__all__ = [
    "uniform_candidate_sampler",
    "log_uniform_candidate_sampler",
    "learned_unigram_candidate_sampler",
    "fixed_unigram_candidate_sampler",
    "all_candidate_sampler",
    "compute_accidental_hits",
]


def _seeds(seed):
    seed1, seed2 = get_seed(seed)
    return {"seed": seed1 or 0, "seed2": seed2 or 0}


def uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None):
    """Samples ``num_sampled`` classes uniformly from [0, range_max).

    Returns:
      (sampled_candidates [num_sampled] int64, true_expected_count [batch, num_true] float32,
      sampled_expected_count [num_sampled] float32).
    """
    return raw_op(
        "UniformCandidateSampler",
        true_classes=true_classes,
        num_true=num_true,
        num_sampled=num_sampled,
        unique=unique,
        range_max=range_max,
        name=name,
        **_seeds(seed),
    )


def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None):
    """Samples classes from the log-uniform (Zipfian) distribution over [0, range_max)."""
    return raw_op(
        "LogUniformCandidateSampler",
        true_classes=true_classes,
        num_true=num_true,
        num_sampled=num_sampled,
        unique=unique,
        range_max=range_max,
        name=name,
        **_seeds(seed),
    )


def learned_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None):
    """Samples classes by the counts of the true classes seen so far (learned by the op, per session).

    Raises:
      ValueError: if ``range_max`` exceeds 2**31 - 1.
    """
    seeds = _seeds(seed)
    if range_max > 2147483647:
        raise ValueError(f"Value of range_max:{range_max} is too large to handle")
    return raw_op(
        "LearnedUnigramCandidateSampler",
        true_classes=true_classes,
        num_true=num_true,
        num_sampled=num_sampled,
        unique=unique,
        range_max=range_max,
        name=name,
        **seeds,
    )


def fixed_unigram_candidate_sampler(
    true_classes,
    num_true,
    num_sampled,
    unique,
    range_max,
    vocab_file="",
    distortion=1.0,
    num_reserved_ids=0,
    num_shards=1,
    shard=0,
    unigrams=(),
    seed=None,
    name=None,
):
    """Samples classes by fixed unigram weights (``unigrams``, or a vocabulary file's last column)."""
    return raw_op(
        "FixedUnigramCandidateSampler",
        true_classes=true_classes,
        num_true=num_true,
        num_sampled=num_sampled,
        unique=unique,
        range_max=range_max,
        vocab_file=vocab_file,
        distortion=distortion,
        num_reserved_ids=num_reserved_ids,
        num_shards=num_shards,
        shard=shard,
        unigrams=list(unigrams),
        name=name,
        **_seeds(seed),
    )


def all_candidate_sampler(true_classes, num_true, num_sampled, unique, seed=None, name=None):
    """Returns every class 0 .. num_sampled - 1 (for testing), expected counts 1."""
    return raw_op(
        "AllCandidateSampler",
        true_classes=true_classes,
        num_true=num_true,
        num_sampled=num_sampled,
        unique=unique,
        name=name,
        **_seeds(seed),
    )


def compute_accidental_hits(true_classes, sampled_candidates, num_true, seed=None, name=None):
    """The positions in ``sampled_candidates`` that equal a true class: (indices, ids, weights = -FLT_MAX)."""
    return raw_op(
        "ComputeAccidentalHits",
        true_classes=true_classes,
        sampled_candidates=sampled_candidates,
        num_true=num_true,
        name=name,
        **_seeds(seed),
    )
