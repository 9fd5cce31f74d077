"""Connectionist temporal classification: CTCGreedyDecoder (best-path decoding) and CTCBeamSearchDecoder (prefix
beam search, below), as TensorFlow's
ctc_decoder_ops.cc decodes: per time step the first class with the largest logit (a strictly greater scan from
class 0, so a NaN logit is never chosen after the first class), blanks dropped, repeats merged on request; the
decoded sequences come out as a SparseTensor's (indices, values, dense_shape) and ``log_probability`` is minus
the sum of the chosen logits. Not differentiable (ctc_ops.py)."""

from __future__ import annotations

import numpy as np
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


# ---------------------------------------------------------------------------------------------
# CTCBeamSearchDecoder: TF's prefix beam search (util/ctc/ctc_beam_search.h) with the default scorer, in the
# input's precision: per step the beams' label/blank/total log probabilities (of the log-softmaxed logits), children
# grown from each beam in descending order, the beam kept to ``beam_width``. Beams of exactly equal probability may
# be ordered differently from TF's heap (gtl::TopN), which is not reproduced element for element.


class _Beam:
    """A BeamEntry: a prefix (parent + label) and its (total, blank, label) log probabilities now and before."""

    def __init__(self, parent, label, zero):
        self.parent, self.label, self.children = parent, label, {}
        self.new = [zero, zero, zero]  # total, blank, label
        self.old = [zero, zero, zero]

    def active(self):
        return self.new[0] != -np.inf

    def child(self, label, zero):
        if label not in self.children:
            self.children[label] = _Beam(self, label, zero)
        return self.children[label]

    def labels(self, merge_repeated):
        out, previous, node = [], -1, self
        while node.parent is not None:
            if not merge_repeated or node.label != previous:
                out.append(node.label)
            previous, node = node.label, node.parent
        return out[::-1]


def _log_sum_exp(a, b):
    if a == -np.inf:
        return b
    if b == -np.inf:
        return a
    big, small = (a, b) if a > b else (b, a)
    return big + np.log1p(np.exp(small - big))


class _Leaves:
    """gtl::TopN by total log probability: at most ``limit`` beams; a full set takes a beam better than its worst."""

    def __init__(self, limit):
        self.limit, self.items = limit, []

    def bottom(self):
        return min(self.items, key=lambda b: b.new[0])

    def push(self, beam):
        if len(self.items) < self.limit:
            self.items.append(beam)
        else:
            worst = self.bottom()
            if beam.new[0] > worst.new[0]:
                self.items.remove(worst)
                self.items.append(beam)

    def extract(self):
        out = sorted(self.items, key=lambda b: b.new[0], reverse=True)
        self.items = []
        return out


def _beam_search(logits, beam_width, top_paths, merge_repeated):
    """(paths, log probabilities) of one sequence [time, classes] (blank = the last class)."""
    ftype = logits.dtype.type
    zero = ftype(-np.inf)
    blank = logits.shape[1] - 1
    root = _Beam(None, -1, zero)
    root.new = [ftype(0), ftype(0), zero]
    leaves = _Leaves(beam_width)
    leaves.push(root)
    for row in logits:
        # TF 2.21 subtracts the row's log-sum-exp (its kernel log-softmaxes the logits), not only its maximum
        top = row.max()
        max_coeff = ftype(top + np.log(np.sum(np.exp(row - top))))
        branches = leaves.extract()
        for b in branches:
            b.old = list(b.new)
        for b in branches:
            if b.parent is not None:
                if b.parent.active():
                    previous = b.parent.old[1] if b.label == b.parent.label else b.parent.old[0]
                    b.new[2] = _log_sum_exp(b.new[2], previous)
                b.new[2] = ftype(b.new[2] + ftype(row[b.label] - max_coeff))
            b.new[1] = ftype(b.old[0] + ftype(row[blank] - max_coeff))
            b.new[0] = _log_sum_exp(b.new[1], b.new[2])
            leaves.push(b)

        def candidate(total):
            return total > zero and (len(leaves.items) < beam_width or total > leaves.bottom().new[0])

        for b in branches:
            if not candidate(b.old[0]):
                continue
            for label in range(blank):
                c = b.child(label, zero)
                if c.active():
                    continue
                c.new[1] = zero
                previous = b.old[1] if c.label == b.label else b.old[0]
                c.new[2] = ftype(ftype(row[label] - max_coeff) + previous)
                c.new[0] = c.new[2]
                if candidate(c.new[0]):
                    if len(leaves.items) == beam_width:
                        leaves.bottom().new = [zero, zero, zero]
                    leaves.push(c)
                else:
                    c.old = [zero, zero, zero]
                    c.new = [zero, zero, zero]
    if top_paths > len(leaves.items):
        raise invalid("Less leaves in the beam search than requested.")
    best = sorted(leaves.items, key=lambda b: b.new[0], reverse=True)[:top_paths]
    return [b.labels(merge_repeated) for b in best], [b.new[0] for b in best]


@register_op(
    "CTCBeamSearchDecoder",
    inputs=["inputs: T", "sequence_length: int32"],
    outputs=[
        "decoded_indices: top_paths * int64",
        "decoded_values: top_paths * int64",
        "decoded_shape: top_paths * int64",
        "log_probability: T",
    ],
    attrs=[
        "beam_width: int >= 1",
        "top_paths: int >= 1",
        "merge_repeated: bool = true",
        "T: {float, double} = DT_FLOAT",
    ],
    shape=lambda op: _beam_search_shape(op),
)
def ctc_beam_search_decoder(inputs, sequence_length, beam_width, top_paths, merge_repeated):
    """The ``top_paths`` best label sequences of each batch entry and their (unnormalized) log probabilities."""
    _validate(inputs, sequence_length)
    if top_paths > beam_width:
        raise invalid("requested more paths than the beam width.")
    values = inputs.detach().cpu().numpy()
    lengths = sequence_length.tolist()
    batch = inputs.shape[1]
    paths = [[None] * batch for _ in range(top_paths)]
    log_probability = np.zeros((batch, top_paths), values.dtype)
    for b in range(batch):
        found, scores = _beam_search(values[: lengths[b], b], beam_width, top_paths, merge_repeated)
        for p in range(top_paths):
            paths[p][b] = found[p]
            log_probability[b, p] = scores[p]
    indices, decoded, shapes = [], [], []
    for per_batch in paths:
        rows = [(b, t) for b, seq in enumerate(per_batch) for t in range(len(seq))]
        indices.append(torch.tensor(rows, dtype=torch.int64).reshape(-1, 2))
        decoded.append(torch.tensor([v for seq in per_batch for v in seq], dtype=torch.int64))
        shapes.append(torch.tensor([batch, max((len(s) for s in per_batch), default=0)], dtype=torch.int64))
    return (*indices, *decoded, *shapes, torch.from_numpy(log_probability))


def _beam_search_shape(op):
    inputs = with_rank(op, op.inputs[0].shape, 3)
    seq_len = with_rank(op, op.inputs[1].shape, 1)
    batch = merge_dim(
        op, inputs.as_tuple()[1] if inputs.rank else None, seq_len.as_tuple()[0] if seq_len.rank else None
    )
    top_paths = op.get_attr("top_paths")
    return (
        [TensorShape([None, 2])] * top_paths
        + [TensorShape([None])] * top_paths
        + [TensorShape([2])] * top_paths
        + [TensorShape([batch, top_paths])]
    )


not_differentiable("CTCBeamSearchDecoder")
