"""``tf.nn.ctc_loss`` (TF1; TF's python/ops/ctc_ops.py): the CTCLoss op on time-major logits and SparseTensor
labels. The decoders (``ctc_greedy_decoder``, ``ctc_beam_search_decoder``) are in ``nn_ops``."""

from __future__ import annotations

from torchmeta import dtypes
from torchmeta.api import array_ops, math_ops
from torchmeta.api.nn_ops import deprecated_lookup
from torchmeta.framework.graph import convert_to_tensor
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.sparse_tensor import SparseTensor

__all__ = ["ctc_loss"]


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
    inputs = deprecated_lookup("logits", logits, "inputs", inputs)
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
