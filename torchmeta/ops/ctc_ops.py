"""Connectionist temporal classification: CTCGreedyDecoder (best-path decoding), as TensorFlow's
ctc_decoder_ops.cc decodes: per time step the first class with the largest logit (a strictly greater scan from
class 0, so a NaN logit is never chosen after the first class), blanks dropped, repeats merged on request; the
decoded sequences come out as a SparseTensor's (indices, values, dense_shape) and ``log_probability`` is minus
the sum of the chosen logits. Not differentiable (ctc_ops.py)."""

from __future__ import annotations

import torch

from torchmeta import errors
from torchmeta.framework.common_shapes import merge_dim, with_rank
from torchmeta.framework.registry import not_differentiable, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid


def _greedy_decoder_shape(op):
    inputs = with_rank(op, op.inputs[0].shape, 3)
    seq_len = with_rank(op, op.inputs[1].shape, 1)
    batch = merge_dim(
        op, inputs.as_tuple()[1] if inputs.rank else None, seq_len.as_tuple()[0] if seq_len.rank else None
    )
    return [TensorShape([None, 2]), TensorShape([None]), TensorShape([2]), TensorShape([batch, 1])]


def _validate(inputs, sequence_length):
    """CTCDecodeHelper::ValidateInputsGenerateOutputs, in TF's order and words."""
    if inputs.dim() != 3:
        raise invalid("inputs is not a 3-Tensor")
    if inputs.numel() == 0:
        raise invalid("inputs must not be empty")
    max_time, batch_size = inputs.shape[0], inputs.shape[1]
    if sequence_length.dim() != 1:
        raise invalid("sequence_length is not a vector")
    if sequence_length.shape[0] != batch_size:
        raise errors.FailedPreconditionError(
            None,
            None,
            f"len(sequence_length) != batch_size.  len(sequence_length):  {sequence_length.shape[0]} "
            f"batch_size: {batch_size}",
        )
    too_long = torch.nonzero(sequence_length > max_time).reshape(-1)
    if too_long.numel():
        raise errors.FailedPreconditionError(None, None, f"sequence_length({int(too_long[0])}) <= {max_time}")


def _row_max(logits):
    """TF's RowMax over the last axis: start at class 0, move on only to a strictly greater logit."""
    best, index = logits[..., 0], torch.zeros(logits.shape[:-1], dtype=torch.int64, device=logits.device)
    for c in range(1, logits.shape[-1]):
        greater = logits[..., c] > best
        best = torch.where(greater, logits[..., c], best)
        index = torch.where(greater, c, index)
    return best, index


@register_op(
    "CTCGreedyDecoder",
    inputs=["inputs: T", "sequence_length: int32"],
    outputs=["decoded_indices: int64", "decoded_values: int64", "decoded_shape: int64", "log_probability: T"],
    attrs=["merge_repeated: bool = false", "blank_index: int = -1", "T: {float, double} = DT_FLOAT"],
    shape=_greedy_decoder_shape,
)
def ctc_greedy_decoder(inputs, sequence_length, merge_repeated, blank_index):
    _validate(inputs, sequence_length)
    max_time, batch_size, num_classes = inputs.shape
    blank = num_classes + blank_index if blank_index < 0 else blank_index
    if not 0 <= blank < num_classes:
        raise invalid(f"blank_index expected to be between {-num_classes} and {num_classes - 1} but was {blank_index}")
    best, classes = _row_max(inputs)  # [max_time, batch]
    steps = torch.arange(max_time, device=inputs.device).view(-1, 1)
    in_sequence = steps < sequence_length.view(1, -1).to(steps.dtype)
    log_probability = -torch.where(in_sequence, best, torch.zeros((), dtype=best.dtype)).sum(0, keepdim=True).T
    keep = in_sequence & (classes != blank)
    if merge_repeated:
        previous = torch.cat([torch.full_like(classes[:1], -1), classes[:-1]])
        keep = keep & (classes != previous)
    keep_by_batch = keep.T  # [batch, max_time]: the decoded values in batch-major order
    values = classes.T[keep_by_batch]
    lengths = keep_by_batch.sum(1)
    positions = torch.cumsum(keep_by_batch.to(torch.int64), 1) - 1
    rows = torch.arange(batch_size, device=inputs.device).view(-1, 1).expand_as(keep_by_batch)
    indices = torch.stack([rows[keep_by_batch], positions[keep_by_batch]], 1)
    max_decoded = int(lengths.max()) if batch_size else 0
    shape = torch.tensor([batch_size, max_decoded], dtype=torch.int64, device=inputs.device)
    return indices.to(torch.int64), values, shape, log_probability.to(inputs.dtype).contiguous()


not_differentiable("CTCGreedyDecoder")
