"""``tf.nn.ctc_loss`` (TF1; TF's python/ops/ctc_ops.py): the CTCLoss op on time-major logits and SparseTensor
labels; the label helpers ``collapse_repeated`` and ``ctc_unique_labels``; ``ctc_beam_search_decoder_v2``.
The decoders themselves (``ctc_greedy_decoder``, ``ctc_beam_search_decoder``) are in ``nn_ops``."""

from __future__ import annotations

from torchmeta import dtypes
from torchmeta.api import array_ops, math_ops
from torchmeta.api.deprecation import deprecated_argument_lookup
from torchmeta.api.functional_ops import map_fn
from torchmeta.api.nn_ops import ctc_beam_search_decoder
from torchmeta.framework.graph import convert_to_tensor, name_scope
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.sparse_tensor import SparseTensor
from torchmeta.framework.tensor_shape import dimension_value

__all__ = ["collapse_repeated", "ctc_beam_search_decoder_v2", "ctc_loss", "ctc_unique_labels"]


def ctc_loss(
    labels,
    inputs=None,
    sequence_length=None,
    preprocess_collapse_repeated=False,
    ctc_merge_repeated=True,
    ignore_longer_outputs_than_inputs=False,
    time_major=True,
    logits=None,
):
    """``tf.nn.ctc_loss`` (TF1): the CTC loss of each batch entry (softmax taken inside; the blank class is
    the last one). Its gradient with respect to the logits is the op's second output.

    Raises:
      TypeError: for ``labels`` that are not a SparseTensor (TF's message).
    """
    if not isinstance(labels, SparseTensor):
        raise TypeError(
            f"Expected argument `labels` to be a SparseTensor. Received labels={labels} of type: "
            f"{type(labels).__name__}"
        )
    inputs = deprecated_argument_lookup("logits", logits, "inputs", inputs)
    inputs = convert_to_tensor(inputs, name="logits")
    if not time_major:
        inputs = array_ops.transpose(inputs, [1, 0, 2])
    orig_dtype = inputs.dtype
    if orig_dtype in (dtypes.DType.float16, dtypes.DType.bfloat16):
        inputs = math_ops.cast(inputs, dtypes.DType.float32)
    loss, _ = raw_op(
        "CTCLoss",
        inputs=inputs,
        labels_indices=labels.indices,
        labels_values=labels.values,
        sequence_length=sequence_length,
        preprocess_collapse_repeated=preprocess_collapse_repeated,
        ctc_merge_repeated=ctc_merge_repeated,
        ignore_longer_outputs_than_inputs=ignore_longer_outputs_than_inputs,
    )
    if orig_dtype in (dtypes.DType.float16, dtypes.DType.bfloat16):
        loss = math_ops.cast(loss, orig_dtype)
    return loss


def _get_dim(tensor, i):
    """TF's ctc_ops._get_dim: the static size of dimension ``i``, else its dynamic size."""
    return dimension_value(tensor.shape[i]) or array_ops.shape(tensor)[i]


def collapse_repeated(labels, seq_length, name=None):
    """``tf.nn.collapse_repeated``: each row's runs of a repeated label merged into one label, the rows
    left-aligned in a dense [batch, new max length] tensor, with their new lengths."""
    with name_scope(name, "collapse_repeated_labels", [labels, seq_length]):
        labels = convert_to_tensor(labels, name="labels")
        seq_length = convert_to_tensor(seq_length, name="seq_length")
        label_mask = array_ops.concat(
            [array_ops.ones_like(labels[:, :1], dtypes.DType.bool), math_ops.not_equal(labels[:, 1:], labels[:, :-1])],
            axis=1,
        )
        maxlen = _get_dim(labels, 1)
        seq_mask = array_ops.sequence_mask(seq_length, maxlen=maxlen)
        label_mask = math_ops.logical_and(label_mask, seq_mask)
        new_seq_len = math_ops.reduce_sum(math_ops.cast(label_mask, dtypes.DType.int32), axis=1)
        new_maxlen = math_ops.reduce_max(new_seq_len)
        idx_mask = array_ops.sequence_mask(new_seq_len, maxlen=new_maxlen)
        flat_labels = array_ops.reshape(labels, [-1])
        flat_label_mask = array_ops.reshape(label_mask, [-1])
        flat_idx_mask = array_ops.reshape(idx_mask, [-1])
        idx = math_ops.range(_get_dim(flat_idx_mask, 0))
        flat = array_ops.scatter_nd(
            indices=array_ops.expand_dims(array_ops.boolean_mask(idx, flat_idx_mask), axis=1),
            updates=array_ops.boolean_mask(flat_labels, flat_label_mask),
            shape=array_ops.shape(flat_idx_mask),
        )
        batch_size = _get_dim(labels, 0)
        return (array_ops.reshape(flat, [batch_size, new_maxlen]), math_ops.cast(new_seq_len, seq_length.dtype))


def ctc_unique_labels(labels, name=None):
    """``tf.nn.ctc_unique_labels``: per row, its unique labels (int64, zero-padded to the row length) and
    each label's index among them (a map_fn of Unique over the rows)."""
    with name_scope(name, "ctc_unique_labels", [labels]):
        labels = convert_to_tensor(labels, name="labels")

        def _unique(x):
            u = array_ops.unique(x)
            y = array_ops.pad(u.y, [[0, _get_dim(u.idx, 0) - _get_dim(u.y, 0)]])
            y = math_ops.cast(y, dtypes.DType.int64)
            return [y, u.idx]

        return map_fn(_unique, labels, dtype=[dtypes.DType.int64, dtypes.DType.int32])


def ctc_beam_search_decoder_v2(inputs, sequence_length, beam_width=100, top_paths=1):
    """``tf.nn.ctc_beam_search_decoder_v2``: the TF1 decoder without merging repeated labels."""
    return ctc_beam_search_decoder(
        inputs, sequence_length=sequence_length, beam_width=beam_width, top_paths=top_paths, merge_repeated=False
    )
