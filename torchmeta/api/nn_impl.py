"""``tf.nn.nce_loss`` and ``tf.nn.sampled_softmax_loss`` (TF 2.21's nn_impl.py): losses over the true
classes and a sample of the others, drawn by a candidate sampler (log-uniform by default, seeded as TF's),
built node for node as TensorFlow builds them; and ``tf.nn.zero_fraction``."""

from __future__ import annotations

from torchmeta import dtypes
from torchmeta.api import array_ops, candidate_sampling_ops, math_ops, nn_ops
from torchmeta.api.cond import cond
from torchmeta.api.partitioned_variables import PartitionedVariable
from torchmeta.framework.graph import convert_to_tensor, name_scope

__all__ = ["nce_loss", "sampled_softmax_loss", "zero_fraction"]


def _count_nonzero(input_tensor, dtype=dtypes.DType.int64):
    """TF's nn_impl._count_nonzero: the reduction in ``dtype`` (int32 when the size allows)."""
    with name_scope("count_nonzero", values=[input_tensor]):
        zero = array_ops.zeros([], dtype=input_tensor.dtype)
        return math_ops.reduce_sum(
            math_ops.cast(math_ops.not_equal(input_tensor, zero), dtype=dtype), name="nonzero_count"
        )


def zero_fraction(value, name=None):
    """``tf.nn.zero_fraction`` (``tf.math.zero_fraction``): the fraction of ``value``'s entries that are zero,
    as float32 (TF's graph: a cond choosing an int32 or int64 count by the size)."""
    with name_scope(name, "zero_fraction", [value]):
        value = convert_to_tensor(value, name="value")
        size = array_ops.size(value, out_type=dtypes.DType.int64)
        num_nonzero = cond(
            size <= dtypes.DType.int32.max,
            true_fn=lambda: math_ops.cast(_count_nonzero(value, dtype=dtypes.DType.int32), dtype=dtypes.DType.int64),
            false_fn=lambda: _count_nonzero(value, dtype=dtypes.DType.int64),
        )
        with name_scope("counts_to_fraction"):
            num_zero = size - num_nonzero
            num_zero_float32 = math_ops.cast(num_zero, dtype=dtypes.DType.float32)
            size_float32 = math_ops.cast(size, dtype=dtypes.DType.float32)
            zero_fraction_float32 = num_zero_float32 / size_float32
        return array_ops.identity(zero_fraction_float32, "fraction")


def _sum_rows(x):
    """The sums of the rows of a 2-D ``x``, as TF computes them (a MatMul with a column of ones)."""
    cols = array_ops.shape(x)[1]
    ones_shape = array_ops.stack([cols, 1])
    ones = array_ops.ones(ones_shape, x.dtype)
    return array_ops.reshape(math_ops.matmul(x, ones), [-1])


def _compute_sampled_logits(
    weights,
    biases,
    labels,
    inputs,
    num_sampled,
    num_classes,
    num_true=1,
    sampled_values=None,
    subtract_log_q=True,
    remove_accidental_hits=False,
    partition_strategy="mod",
    name=None,
    seed=None,
):
    """(logits, labels) of the true and the sampled classes: ``[batch, num_true + num_sampled]`` each."""
    if isinstance(weights, PartitionedVariable):
        weights = list(weights)
    if not isinstance(weights, list):
        weights = [weights]
    with name_scope(name, "compute_sampled_logits", [*weights, biases, inputs, labels]):
        if labels.dtype != dtypes.DType.int64:
            labels = math_ops.cast(labels, dtypes.DType.int64)
        labels_flat = array_ops.reshape(labels, [-1])
        if sampled_values is None:
            sampled_values = candidate_sampling_ops.log_uniform_candidate_sampler(
                true_classes=labels, num_true=num_true, num_sampled=num_sampled, unique=True, range_max=num_classes,
                seed=seed,
            )  # fmt: skip
        sampled, true_expected_count, sampled_expected_count = (array_ops.stop_gradient(s) for s in sampled_values)
        sampled = math_ops.cast(sampled, dtypes.DType.int64)
        all_ids = array_ops.concat([labels_flat, sampled], 0)
        all_w = nn_ops.embedding_lookup(weights, all_ids, partition_strategy=partition_strategy)
        if all_w.dtype != inputs.dtype:
            all_w = math_ops.cast(all_w, inputs.dtype)
        true_w = array_ops.slice(all_w, [0, 0], array_ops.stack([array_ops.shape(labels_flat)[0], -1]))
        sampled_w = array_ops.slice(all_w, array_ops.stack([array_ops.shape(labels_flat)[0], 0]), [-1, -1])
        sampled_logits = math_ops.matmul(inputs, sampled_w, transpose_b=True)
        all_b = nn_ops.embedding_lookup(biases, all_ids, partition_strategy=partition_strategy)
        if all_b.dtype != inputs.dtype:
            all_b = math_ops.cast(all_b, inputs.dtype)
        true_b = array_ops.slice(all_b, [0], array_ops.shape(labels_flat))
        sampled_b = array_ops.slice(all_b, array_ops.shape(labels_flat), [-1])
        dim = array_ops.shape(true_w)[1:2]
        new_true_w_shape = array_ops.concat([[-1, num_true], dim], 0)
        row_wise_dots = math_ops.multiply(array_ops.expand_dims(inputs, 1), array_ops.reshape(true_w, new_true_w_shape))
        dots_as_matrix = array_ops.reshape(row_wise_dots, array_ops.concat([[-1], dim], 0))
        true_logits = array_ops.reshape(_sum_rows(dots_as_matrix), [-1, num_true])
        true_b = array_ops.reshape(true_b, [-1, num_true])
        true_logits += true_b
        sampled_logits += sampled_b
        if remove_accidental_hits:
            acc_indices, acc_ids, acc_weights = candidate_sampling_ops.compute_accidental_hits(
                labels, sampled, num_true=num_true
            )
            acc_indices_2d = array_ops.reshape(acc_indices, [-1, 1])
            acc_ids_2d_int32 = array_ops.reshape(math_ops.cast(acc_ids, dtypes.DType.int32), [-1, 1])
            sparse_indices = array_ops.concat([acc_indices_2d, acc_ids_2d_int32], 1, "sparse_indices")
            sampled_logits_shape = array_ops.concat(
                [array_ops.shape(labels)[:1], array_ops.expand_dims(num_sampled, 0)], 0
            )
            if sampled_logits.dtype != acc_weights.dtype:
                acc_weights = math_ops.cast(acc_weights, sampled_logits.dtype)
            sampled_logits += array_ops.sparse_to_dense(
                sparse_indices, sampled_logits_shape, acc_weights, default_value=0.0, validate_indices=False
            )
        if subtract_log_q:
            true_logits -= math_ops.log(true_expected_count)
            sampled_logits -= math_ops.log(sampled_expected_count)
        out_logits = array_ops.concat([true_logits, sampled_logits], 1)
        out_labels = array_ops.concat(
            [array_ops.ones_like(true_logits) / num_true, array_ops.zeros_like(sampled_logits)], 1
        )
        return out_logits, out_labels


def nce_loss(
    weights,
    biases,
    labels,
    inputs,
    num_sampled,
    num_classes,
    num_true=1,
    sampled_values=None,
    remove_accidental_hits=False,
    partition_strategy="mod",
    name="nce_loss",
):
    """``tf.compat.v1.nn.nce_loss``: the noise-contrastive estimation loss per example, ``[batch]``.

    Args:
      weights: ``[num_classes, dim]`` (a Tensor, a list of shards or a PartitionedVariable).
      biases: ``[num_classes]``.
      labels: int64 ``[batch, num_true]`` target classes; inputs: ``[batch, dim]``.
      num_sampled: how many classes to sample per batch (log-uniform unless ``sampled_values`` is given).
      sampled_values: a (sampled, true_expected_count, sampled_expected_count) tuple from a sampler.

    Example::

        loss = tf.reduce_mean(tf.nn.nce_loss(nce_w, nce_b, labels, embed, num_sampled=8, num_classes=vocab))
    """
    logits, labels = _compute_sampled_logits(
        weights=weights,
        biases=biases,
        labels=labels,
        inputs=inputs,
        num_sampled=num_sampled,
        num_classes=num_classes,
        num_true=num_true,
        sampled_values=sampled_values,
        subtract_log_q=True,
        remove_accidental_hits=remove_accidental_hits,
        partition_strategy=partition_strategy,
        name=name,
    )
    sampled_losses = nn_ops.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits, name="sampled_losses")
    return _sum_rows(sampled_losses)


def sampled_softmax_loss(
    weights,
    biases,
    labels,
    inputs,
    num_sampled,
    num_classes,
    num_true=1,
    sampled_values=None,
    remove_accidental_hits=True,
    partition_strategy="mod",
    name="sampled_softmax_loss",
    seed=None,
):
    """``tf.compat.v1.nn.sampled_softmax_loss``: the softmax cross-entropy over the true classes and a
    sample of the others, per example ``[batch]`` (arguments as nce_loss; ``seed`` seeds the sampler).
    """
    logits, labels = _compute_sampled_logits(
        weights=weights,
        biases=biases,
        labels=labels,
        inputs=inputs,
        num_sampled=num_sampled,
        num_classes=num_classes,
        num_true=num_true,
        sampled_values=sampled_values,
        subtract_log_q=True,
        remove_accidental_hits=remove_accidental_hits,
        partition_strategy=partition_strategy,
        name=name,
        seed=seed,
    )
    labels = array_ops.stop_gradient(labels, name="labels_stop_gradient")
    return nn_ops.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)
