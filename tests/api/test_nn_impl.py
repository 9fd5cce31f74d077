"""tf.nn.nce_loss and tf.nn.sampled_softmax_loss against TensorFlow 2.21: TF's graph node for node, and
with a seeded graph the same sampled classes, losses and gradients (the samplers draw TF's numbers)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.api import tf_programs as P

pytest.importorskip("tensorflow")

BATCH, DIM, CLASSES = 6, 4, 20
RNG = np.random.default_rng(5)
INPUTS = RNG.standard_normal((BATCH, DIM)).astype(np.float32)
LABELS = RNG.integers(0, CLASSES, (BATCH, 2)).astype(np.int64)


def _program(loss_name, num_true=1, partitioned=False, sampler=None, **kwargs):
    def program(tf):
        tf.set_random_seed(7)
        inputs = tf.placeholder(tf.float32, [None, DIM], name="inputs")
        labels = tf.placeholder(tf.int64, [None, num_true], name="labels")
        partitioner = tf.fixed_size_partitioner(3) if partitioned else None
        weights = tf.get_variable(
            "weights", [CLASSES, DIM], initializer=tf.random_normal_initializer(), partitioner=partitioner
        )
        biases = tf.get_variable("biases", [CLASSES], initializer=tf.random_uniform_initializer(-1.0, 1.0))
        if sampler is not None:
            kwargs["sampled_values"] = getattr(tf.nn, sampler)(labels, num_true, 5, True, CLASSES, seed=3)
        loss_fn = getattr(tf.nn, loss_name)
        losses = loss_fn(
            weights, biases, labels, inputs, num_sampled=5, num_classes=CLASSES, num_true=num_true, **kwargs
        )
        variables = tf.trainable_variables()
        grads = tf.gradients(tf.reduce_sum(losses), [*variables, inputs])
        out = {"losses": losses, "grad/inputs": grads[-1]}
        for v, g in zip(variables, grads):
            out[f"grad/{v.op.name}"] = tf.convert_to_tensor(g)
        return out

    return program


CASES = {
    "nce": _program("nce_loss"),
    "nce_two_true_accidental_hits": _program("nce_loss", num_true=2, remove_accidental_hits=True),
    "nce_partitioned_div": _program("nce_loss", partitioned=True, partition_strategy="div"),
    "nce_uniform_sampler": _program("nce_loss", sampler="uniform_candidate_sampler"),
    "sampled_softmax": _program("sampled_softmax_loss", seed=11),
    "sampled_softmax_two_true": _program("sampled_softmax_loss", num_true=2),
    "sampled_softmax_partitioned_no_hits": _program(
        "sampled_softmax_loss", partitioned=True, remove_accidental_hits=False
    ),
}


def _feeds(name):
    num_true = 2 if "two_true" in name else 1
    return {"inputs:0": INPUTS, "labels:0": LABELS[:, :num_true]}


@pytest.mark.parametrize("name", sorted(CASES))
def test_sampled_loss_graph_is_tfs(tf1, name):
    P.assert_same_graph(tf1, CASES[name])


@pytest.mark.parametrize("name", sorted(CASES))
def test_sampled_loss_gives_tfs_numbers(tf1, tmp_path, name):
    expected, actual = P.run_tf_then_ours(tf1, CASES[name], tmp_path, _feeds(name))
    P.assert_results_close(expected, actual, rtol=1e-5, atol=1e-5)


def _zero_fraction(tf):
    values = tf.placeholder(tf.float32, [None, 3], name="values")
    counts = tf.constant([[0, 3, 0], [1, 0, 0]], tf.int32)
    return {"fraction": tf.nn.zero_fraction(values), "ints": tf.math.zero_fraction(counts, name="ints")}


def test_zero_fraction_is_tfs(tf1, tmp_path):
    """tf.nn.zero_fraction (the cifar10 tutorial's activation sparsity; missing before): TF's cond choosing the
    int32 or int64 count, node for node, and TF's fractions."""
    P.assert_same_graph(tf1, _zero_fraction)
    feeds = {"values:0": np.array([[0, 1.5, 0], [2, 0, -0.0], [0, 0, 0]], np.float32)}
    expected, actual = P.run_tf_then_ours(tf1, _zero_fraction, tmp_path, feeds)
    for key in expected:
        assert actual[key].dtype == expected[key].dtype == np.float32
        np.testing.assert_array_equal(actual[key], expected[key])
