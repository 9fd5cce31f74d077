"""``tf.nn.nce_loss`` and ``tf.nn.sampled_softmax_loss`` (TF 2.21's nn_impl.py): losses over the true
classes and a sample of the others, drawn by a candidate sampler (log-uniform by default, seeded as TF's),
built node for node as TensorFlow builds them; ``tf.nn.zero_fraction``; nn_impl's small layers, losses and
moment helpers (``relu_layer``, ``log_poisson_loss``, ``sufficient_statistics``, ...), ``crelu``, the
single-replica ``compute_average_loss``/``scale_regularization_loss`` and ``safe_embedding_lookup_sparse``."""

from __future__ import annotations

import math

from torchmeta import dtypes
from torchmeta.api import array_ops, candidate_sampling_ops, check_ops, math_ops, nn_ops, sparse_ops
from torchmeta.api.cond import cond
from torchmeta.api.custom_gradient import custom_gradient
from torchmeta.api.deprecation import deprecated_argument_lookup
from torchmeta.api.partitioned_variables import PartitionedVariable
from torchmeta.api.variables import ResourceVariable
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import control_dependencies, convert_to_tensor, name_scope
from torchmeta.framework.sparse_tensor import SparseTensor
from torchmeta.framework.tensor_shape import Dimension, dimension_value, unknown_shape

__all__ = [
    "batch_norm_with_global_normalization",
    "compute_average_loss",
    "crelu",
    "log_poisson_loss",
    "nce_loss",
    "normalize_moments",
    "relu_layer",
    "safe_embedding_lookup_sparse",
    "sampled_softmax_loss",
    "scale_regularization_loss",
    "silu",
    "sufficient_statistics",
    "swish",
    "weighted_moments",
    "zero_fraction",
]


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


# ---------------------------------------------------------------------------------------------
# Small layers, losses and moments


def crelu(features, name=None, axis=-1):
    """``tf.nn.crelu``: Relu of ``features`` concatenated with ``-features`` along ``axis``."""
    with name_scope(name, "CRelu", [features]) as name:
        features = convert_to_tensor(features, name="features")
        c = array_ops.concat([features, -features], axis, name=name)
        return nn_ops.relu(c)


def swish(features, beta=1.0):
    """``tf.nn.swish`` / ``tf.nn.silu``: ``features * sigmoid(beta * features)``, with TF's custom gradient
    (the sigmoid computed again in the gradient, behind a control dependency on the incoming gradient, so
    the forward pass need not keep it; ``beta`` gets its gradient too)."""
    features = convert_to_tensor(features, name="features")
    beta = math_ops.cast(convert_to_tensor(beta, name="beta"), features.dtype)

    @custom_gradient
    def swish_impl(features, beta):
        def grad(dy):
            with control_dependencies([dy]):
                sigmoid_features = math_ops.sigmoid(beta * features)
            activation_grad = sigmoid_features * (1.0 + (beta * features) * (1.0 - sigmoid_features))
            beta_grad = math_ops.reduce_sum(
                dy * math_ops.square(features) * sigmoid_features * (1.0 - sigmoid_features)
            )
            return dy * activation_grad, beta_grad

        return features * math_ops.sigmoid(beta * features), grad

    return swish_impl(features, beta)


silu = swish


def relu_layer(x, weights, biases, name=None):
    """``tf.nn.relu_layer``: Relu(x @ weights + biases)."""
    with name_scope(name, "relu_layer", [x, weights, biases]) as name:
        x = convert_to_tensor(x, name="x")
        weights = convert_to_tensor(weights, name="weights")
        biases = convert_to_tensor(biases, name="biases")
        xw_plus_b = nn_ops.bias_add(math_ops.matmul(x, weights), biases)
        return nn_ops.relu(xw_plus_b, name=name)


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    """``tf.nn.log_poisson_loss``: exp(log_input) - log_input * targets (+ Stirling's term for targets > 1).

    Raises:
      ValueError: for shapes that are not compatible (TF's message).
    """
    with name_scope(name, "log_poisson_loss", [log_input, targets]) as name:
        log_input = convert_to_tensor(log_input, name="log_input")
        targets = convert_to_tensor(targets, name="targets")
        if not targets.shape.is_compatible_with(log_input.shape):
            raise ValueError(
                f"`log_input` and `targets` must have the same shape, received ({log_input.shape} vs {targets.shape})."
            )
        result = math_ops.exp(log_input) - log_input * targets
        if compute_full_loss:
            point_five = constant(0.5, dtype=targets.dtype)
            two_pi = constant(2 * math.pi, dtype=targets.dtype)
            stirling_approx = (
                (targets * math_ops.log(targets)) - targets + (point_five * math_ops.log(two_pi * targets))
            )
            zeros = array_ops.zeros_like(targets, dtype=targets.dtype)
            ones = array_ops.ones_like(targets, dtype=targets.dtype)
            cond_ = math_ops.logical_and(targets >= zeros, targets <= ones)
            result += array_ops.where(cond_, zeros, stirling_approx)
        return result


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    """``tf.nn.normalize_moments``: (mean, variance) from ``sufficient_statistics``' sums."""
    with name_scope(name, "normalize", [counts, mean_ss, variance_ss, shift]):
        divisor = math_ops.reciprocal(counts, name="divisor")
        if shift is not None:
            shifted_mean = math_ops.multiply(mean_ss, divisor, name="shifted_mean")
            mean = math_ops.add(shifted_mean, shift, name="mean")
        else:
            shifted_mean = math_ops.multiply(mean_ss, divisor, name="mean")
            mean = shifted_mean
        variance = math_ops.subtract(
            math_ops.multiply(variance_ss, divisor), math_ops.square(shifted_mean), name="variance"
        )
    return (mean, variance)


def sufficient_statistics(x, axes, shift=None, keep_dims=None, name=None, keepdims=None):
    """``tf.nn.sufficient_statistics``: (count, sum of (x - shift), sum of squares, shift) over ``axes``."""
    axes = list(set(axes))
    keep_dims = deprecated_argument_lookup("keepdims", keepdims, "keep_dims", keep_dims)
    if keep_dims is None:
        keep_dims = False
    with name_scope(name, "sufficient_statistics", [x, shift]):
        x = convert_to_tensor(x, name="x")
        x_shape = x.shape
        if x_shape.rank is not None and all(dimension_value(x_shape.dims[d]) is not None for d in axes):
            counts = 1
            for d in axes:
                counts *= dimension_value(x_shape.dims[d])
            counts = constant(counts, dtype=x.dtype)
        else:
            rank = array_ops.rank(x)
            positive_axes = [axis + rank if axis < 0 else axis for axis in axes]
            x_dims = array_ops.gather(math_ops.cast(array_ops.shape(x), x.dtype), positive_axes)
            counts = math_ops.reduce_prod(x_dims, name="count")
        if shift is not None:
            shift = convert_to_tensor(shift, name="shift")
            m_ss = math_ops.subtract(x, shift)
            v_ss = math_ops.squared_difference(x, shift)
        else:
            m_ss = x
            v_ss = math_ops.square(x)
        m_ss = math_ops.reduce_sum(m_ss, axes, keepdims=keep_dims, name="mean_ss")
        v_ss = math_ops.reduce_sum(v_ss, axes, keepdims=keep_dims, name="var_ss")
    return counts, m_ss, v_ss, shift


def weighted_moments(x, axes, frequency_weights, name=None, keep_dims=None, keepdims=None):
    """``tf.nn.weighted_moments``: the mean and variance of ``x`` over ``axes`` with ``frequency_weights``
    (float16 computed in float32, as TF does)."""
    keep_dims = deprecated_argument_lookup("keepdims", keepdims, "keep_dims", keep_dims)
    if keep_dims is None:
        keep_dims = False
    with name_scope(name, "weighted_moments", [x, frequency_weights, axes]):
        x = convert_to_tensor(x, name="x")
        frequency_weights = convert_to_tensor(frequency_weights, name="frequency_weights")
        needs_cast = x.dtype == dtypes.DType.float16
        if needs_cast:
            x = math_ops.cast(x, dtypes.DType.float32)
        if frequency_weights.dtype != x.dtype:
            frequency_weights = math_ops.cast(frequency_weights, x.dtype)
        weighted_input_sum = math_ops.reduce_sum(frequency_weights * x, axes, name="weighted_input_sum", keepdims=True)
        broadcasted_weights = frequency_weights + array_ops.zeros_like(x)
        sum_of_weights = math_ops.reduce_sum(broadcasted_weights, axes, name="sum_of_weights", keepdims=True)
        weighted_mean = math_ops.div_no_nan(weighted_input_sum, sum_of_weights)
        weighted_distsq = math_ops.reduce_sum(
            frequency_weights * math_ops.squared_difference(x, weighted_mean),
            axes,
            name="weighted_distsq",
            keepdims=True,
        )
        weighted_variance = math_ops.div_no_nan(weighted_distsq, sum_of_weights)
        if not keep_dims:
            weighted_mean = array_ops.squeeze(weighted_mean, axis=axes)
            weighted_variance = array_ops.squeeze(weighted_variance, axis=axes)
        if needs_cast:
            weighted_mean = math_ops.cast(weighted_mean, dtypes.DType.float16)
            weighted_variance = math_ops.cast(weighted_variance, dtypes.DType.float16)
        return weighted_mean, weighted_variance


def batch_norm_with_global_normalization(
    t=None,
    m=None,
    v=None,
    beta=None,
    gamma=None,
    variance_epsilon=None,
    scale_after_normalization=None,
    name=None,
    input=None,
    mean=None,
    variance=None,
):
    """``tf.nn.batch_norm_with_global_normalization``: ``batch_normalization``, ``gamma`` used only when
    ``scale_after_normalization``."""
    t = deprecated_argument_lookup("input", input, "t", t)
    m = deprecated_argument_lookup("mean", mean, "m", m)
    v = deprecated_argument_lookup("variance", variance, "v", v)
    return nn_ops.batch_normalization(
        t, m, v, beta, gamma if scale_after_normalization else None, variance_epsilon, name
    )


# ---------------------------------------------------------------------------------------------
# Distribution-aware losses (torchmeta has TF's default strategy only: one replica in sync)


def scale_regularization_loss(regularization_loss):
    """``tf.nn.scale_regularization_loss``: the summed loss over the replicas in sync (here one)."""
    return math_ops.reduce_sum(regularization_loss) / 1


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """``tf.nn.compute_average_loss``: the (weighted) per-example loss summed over the global batch size
    (by default the batch size times the one replica in sync).

    Raises:
      ValueError: for a scalar loss (TF's message).
    """
    per_example_loss = convert_to_tensor(per_example_loss)
    input_dtype = per_example_loss.dtype
    loss_rank = per_example_loss.shape.rank
    if loss_rank == 0:
        raise ValueError(
            "Invalid value passed for `per_example_loss`. Expected a tensor with at least rank 1. "
            f"Received per_example_loss={per_example_loss} with rank {loss_rank}"
        )
    checks = []
    if loss_rank is None:
        checks = [
            check_ops.assert_greater_equal(
                array_ops.rank(per_example_loss),
                math_ops.cast(1, dtype=dtypes.DType.int32),
                message="Invalid value passed for `per_example_loss`. Expected a tensor with at least rank 1.",
            )
        ]
    with control_dependencies(checks):
        if sample_weight is not None:
            sample_weight = convert_to_tensor(sample_weight)
            per_example_loss = _scale_losses_by_sample_weight(per_example_loss, sample_weight)
        per_example_loss = math_ops.cast(per_example_loss, input_dtype)
        if global_batch_size is None:
            per_replica_batch_size = array_ops.shape(per_example_loss)[0]
            global_batch_size = per_replica_batch_size * 1
        check_ops.assert_scalar(global_batch_size, message="global_batch_size must be scalar.")
        check_ops.assert_integer(global_batch_size, message="global_batch_size must be an integer.")
        check_ops.assert_non_negative(global_batch_size, message="global_batch_size must be non-negative.")
        loss = math_ops.reduce_sum(per_example_loss)
        global_batch_size = math_ops.cast(global_batch_size, input_dtype)
        return math_ops.div_no_nan(loss, global_batch_size)


def _scale_losses_by_sample_weight(losses, sample_weight):
    """TF's losses util scale_losses_by_sample_weight: float32 losses times the weights, the weights'
    rank first matched to the losses' (squeeze_or_expand_dimensions without labels)."""
    losses = math_ops.cast(losses, dtypes.DType.float32)
    sample_weight = math_ops.cast(sample_weight, dtypes.DType.float32)
    losses_rank = losses.shape.rank
    weights_rank = sample_weight.shape.rank
    if weights_rank == 0:
        pass
    elif losses_rank is not None and weights_rank is not None:
        if weights_rank - losses_rank == 1:
            sample_weight = array_ops.squeeze(sample_weight, [-1])
        elif losses_rank - weights_rank == 1:
            sample_weight = array_ops.expand_dims(sample_weight, [-1])
    else:
        weights = sample_weight
        weights_rank_tensor = array_ops.rank(weights)
        rank_diff = weights_rank_tensor - array_ops.rank(losses)

        def maybe_expand_weights():
            return cond(math_ops.equal(rank_diff, -1), lambda: array_ops.expand_dims(weights, [-1]), lambda: weights)

        def maybe_adjust_weights():
            return cond(math_ops.equal(rank_diff, 1), lambda: array_ops.squeeze(weights, [-1]), maybe_expand_weights)

        sample_weight = cond(math_ops.equal(weights_rank_tensor, 0), lambda: weights, maybe_adjust_weights)
    return math_ops.multiply(losses, sample_weight)


def _prune_invalid_ids(sparse_ids, sparse_weights):
    """TF's embedding_ops._prune_invalid_ids: the entries with a non-negative id."""
    is_id_valid = math_ops.greater_equal(sparse_ids.values, 0)
    if sparse_weights is not None:
        is_id_valid = math_ops.logical_and(
            is_id_valid, array_ops.ones_like(sparse_weights.values, dtype=dtypes.DType.bool)
        )
    sparse_ids = sparse_ops.sparse_retain(sparse_ids, is_id_valid)
    if sparse_weights is not None:
        sparse_weights = sparse_ops.sparse_retain(sparse_weights, is_id_valid)
    return sparse_ids, sparse_weights


def _prune_invalid_weights(sparse_ids, sparse_weights):
    """TF's embedding_ops._prune_invalid_weights: the entries with a positive weight."""
    if sparse_weights is not None:
        is_weights_valid = math_ops.greater(sparse_weights.values, 0)
        sparse_ids = sparse_ops.sparse_retain(sparse_ids, is_weights_valid)
        sparse_weights = sparse_ops.sparse_retain(sparse_weights, is_weights_valid)
    return sparse_ids, sparse_weights


def safe_embedding_lookup_sparse(
    embedding_weights,
    sparse_ids,
    sparse_weights=None,
    combiner="mean",
    default_id=None,
    name=None,
    partition_strategy="div",
    max_norm=None,
    allow_fast_lookup=False,
):
    """``tf.nn.safe_embedding_lookup_sparse`` (TF1): ``embedding_lookup_sparse`` over ids of any rank, with
    invalid ids (and non-positive weights) dropped and empty rows given ``default_id``'s embedding or zeros.

    Raises:
      ValueError: for missing ``embedding_weights``.
    """
    if embedding_weights is None:
        raise ValueError(f"Missing embedding_weights {embedding_weights}.")
    if isinstance(embedding_weights, PartitionedVariable):
        embedding_weights = list(embedding_weights)
    if not isinstance(embedding_weights, list):
        embedding_weights = [embedding_weights]
    if len(embedding_weights) < 1:
        raise ValueError(f"Missing embedding_weights {embedding_weights}.")
    dtype = sparse_weights.dtype if sparse_weights is not None else None
    embedding_weights = [
        w if isinstance(w, ResourceVariable) and dtype in (None, w.dtype) else convert_to_tensor(w, dtype=dtype)
        for w in embedding_weights
    ]
    with name_scope(name, "embedding_lookup", [*embedding_weights, sparse_ids, sparse_weights]) as scope:
        original_shape = sparse_ids.dense_shape
        original_rank_dim = dimension_value(sparse_ids.dense_shape.shape[0])
        original_rank = array_ops.size(original_shape) if original_rank_dim is None else original_rank_dim
        sparse_ids = sparse_ops.sparse_reshape(
            sparse_ids,
            [
                math_ops.reduce_prod(array_ops.slice(original_shape, [0], [original_rank - 1])),
                array_ops.gather(original_shape, original_rank - 1),
            ],
        )
        if sparse_weights is not None:
            sparse_weights = SparseTensor(sparse_ids.indices, sparse_weights.values, sparse_ids.dense_shape)
        sparse_ids, sparse_weights = _prune_invalid_ids(sparse_ids, sparse_weights)
        if combiner != "sum":
            sparse_ids, sparse_weights = _prune_invalid_weights(sparse_ids, sparse_weights)
        sparse_ids, is_row_empty = sparse_ops.sparse_fill_empty_rows(sparse_ids, default_id or 0)
        if sparse_weights is not None:
            sparse_weights, _ = sparse_ops.sparse_fill_empty_rows(sparse_weights, 1.0)
        result = sparse_ops.embedding_lookup_sparse(
            embedding_weights,
            sparse_ids,
            sparse_weights,
            combiner=combiner,
            partition_strategy=partition_strategy,
            name=None if default_id is None else scope,
            max_norm=max_norm,
            allow_fast_lookup=allow_fast_lookup,
        )
        if default_id is None:
            is_row_empty = array_ops.tile(
                array_ops.reshape(is_row_empty, [-1, 1]), array_ops.stack([1, array_ops.shape(result)[1]])
            )
            result = array_ops.where(is_row_empty, array_ops.zeros_like(result), result, name=scope)
        final_result = array_ops.reshape(
            result,
            array_ops.concat(
                [
                    array_ops.slice(math_ops.cast(original_shape, dtypes.DType.int32), [0], [original_rank - 1]),
                    array_ops.slice(array_ops.shape(result), [1], [-1]),
                ],
                0,
            ),
        )
        final_result.set_shape(unknown_shape((Dimension(original_rank_dim) - 1).value).concatenate(result.shape[1:]))
        return final_result
