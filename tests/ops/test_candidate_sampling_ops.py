"""Candidate samplers and ComputeAccidentalHits equal TensorFlow's for seeded ops: sampled candidates
exactly, run after run (LearnedUnigram's counts grow per call as in TF), expected counts to 1 ulp
(TF's glibc log1pf/expm1f with unique=True); the variable-length draws against a sequential reference."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchmeta as tm
from torchmeta.ops import candidate_sampling_ops as cs
from torchmeta.ops.philox import Philox, as_uint32

TRUE = np.array([[1, 7], [3, 3], [0, 49]], np.int64)

SAMPLERS = {
    "uniform": lambda tf, **kw: tf.nn.uniform_candidate_sampler(range_max=50, **kw),
    "log-uniform": lambda tf, **kw: tf.nn.log_uniform_candidate_sampler(range_max=50, **kw),
    "learned-unigram": lambda tf, **kw: tf.nn.learned_unigram_candidate_sampler(range_max=50, **kw),
    "fixed-unigram": lambda tf, **kw: tf.nn.fixed_unigram_candidate_sampler(
        range_max=50, unigrams=[float(i % 7 + 1) for i in range(50)], **kw
    ),
    "fixed-unigram-distorted": lambda tf, **kw: tf.nn.fixed_unigram_candidate_sampler(
        range_max=52, unigrams=[float(i % 5) + 0.5 for i in range(50)], distortion=0.75, num_reserved_ids=2, **kw
    ),
    "all": lambda tf, **kw: tf.nn.all_candidate_sampler(**kw),
}


def _run(fw, build, runs=3):
    g = fw.Graph()
    with g.as_default():
        fw.set_random_seed(9)
        out = build(fw)
        with fw.Session(graph=g) as sess:
            return [sess.run(out) for _ in range(runs)]


@pytest.mark.parametrize("unique", [False, True], ids=["repeats", "unique"])
@pytest.mark.parametrize("num_sampled", [1, 10, 45])
@pytest.mark.parametrize("name", list(SAMPLERS))
def test_sampler_matches_tf(tf1, name, num_sampled, unique):
    if name == "all":
        num_sampled = 50

    def build(fw):
        sampled, true_count, sampled_count = SAMPLERS[name](
            fw, true_classes=TRUE, num_true=2, num_sampled=num_sampled, unique=unique
        )
        hits = fw.nn.compute_accidental_hits(TRUE, sampled, num_true=2)
        return [sampled, true_count, sampled_count, *hits]

    theirs, ours = _run(tf1, build), _run(tm, build)
    for t, o in zip(theirs, ours):
        np.testing.assert_array_equal(o[0], t[0])  # candidates
        for i in (1, 2):
            assert o[i].dtype == t[i].dtype == np.float32
            np.testing.assert_allclose(o[i], t[i], rtol=2.5e-7, atol=0)
        for i in (3, 4, 5):  # accidental hits
            assert o[i].dtype == t[i].dtype
            np.testing.assert_array_equal(o[i], t[i])


def test_sampler_graph_and_seeds_match_tf(tf1):
    def build(fw):
        fw.nn.uniform_candidate_sampler(TRUE, 2, 5, True, 50)
        fw.nn.compute_accidental_hits(TRUE, np.arange(5, dtype=np.int64), 2, seed=3)
        return fw.nn.log_uniform_candidate_sampler(TRUE, 2, 5, True, 50, seed=1, name="lu")

    graphs = []
    for fw in (tf1, tm):
        g = fw.Graph()
        with g.as_default():
            fw.set_random_seed(4)
            build(fw)
        graphs.append(
            [
                (n.name, n.op, list(n.input), {k: v.SerializeToString() for k, v in n.attr.items()})
                for n in g.as_graph_def().node
            ]
        )
    assert graphs[1] == graphs[0]


def _errors(fw, build):
    g = fw.Graph()
    with g.as_default():
        out = build(fw)
        with fw.Session(graph=g) as sess, pytest.raises(fw.errors.InvalidArgumentError) as info:
            sess.run(out)
    lines = info.value.message.split("\n")
    marks = [i for i, line in enumerate(lines) if line.startswith("\t [[")]
    return lines[marks[0] - 1] if marks else lines[-1]


@pytest.mark.parametrize(
    "build",
    [
        lambda fw: fw.nn.uniform_candidate_sampler(TRUE, 2, 60, True, 50),
        lambda fw: fw.nn.uniform_candidate_sampler(TRUE * 20, 2, 5, False, 50),
        lambda fw: fw.nn.fixed_unigram_candidate_sampler(TRUE, 2, 5, False, 50, unigrams=[1.0] * 49),
    ],
    ids=["range-too-small", "true-out-of-range", "unigrams-size"],
)
def test_errors_match_tf(tf1, build):
    assert _errors(tf1, build) in _errors(tm, build)


def test_vocab_file(tf1, tmp_path):
    vocab = tmp_path / "vocab.csv"
    vocab.write_text("".join(f"word{i},{(i * 7) % 11 + 1}\n" for i in range(30)))

    def build(fw):
        return fw.nn.fixed_unigram_candidate_sampler(
            TRUE[:, :1] % 30, 1, 8, True, 15, vocab_file=str(vocab), num_shards=2, shard=1, distortion=0.5, seed=2
        )

    for t, o in zip(_run(tf1, build), _run(tm, build)):
        np.testing.assert_array_equal(o[0], t[0])
        np.testing.assert_allclose(o[1], t[1], rtol=2.5e-7)
        np.testing.assert_allclose(o[2], t[2], rtol=2.5e-7)


def _sequential_draws(words, count, prefix, unit, reject):
    pos, out = 0, []
    for _ in range(count):
        head = words[pos : pos + prefix]
        pos += prefix
        while True:
            v = words[pos] | (words[pos + 1] << 32 if unit == 2 else 0)
            pos += unit
            if v >= reject:
                break
        out.append((head, v))
    return out, pos


@pytest.mark.parametrize("prefix, unit, reject", [(0, 1, 2**31), (1, 1, 3 * 2**30), (0, 2, 2**63 + 5), (1, 2, 0)])
def test_draws_with_rejections_equal_sequential_reference(prefix, unit, reject):
    gen = Philox.from_seeds(5, 6)
    stream = cs._WordStream(gen)
    words = as_uint32(gen.uint32(4000)).tolist()
    expected, end = _sequential_draws(words, 200, prefix, unit, reject)
    heads, values, pos = cs._draws(stream, 0, 200, prefix, unit, reject)
    assert pos == end
    assert heads.tolist() == [h for h, _ in expected]
    assert [v & (2**64 - 1) for v in values.tolist()] == [v for _, v in expected]


def test_unique_draws_stop_at_the_tries_tf_counts():
    sequence = torch.tensor([4, 4, 1, 4, 2, 1, 9, 3], dtype=torch.int64)

    def draw(pos, count):
        return sequence[pos : pos + count], pos + count

    values, tries = cs.unique_or_all_draws(draw, 4, True)
    assert values.tolist() == [4, 1, 2, 9] and tries == 7
