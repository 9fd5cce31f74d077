"""Connectionist temporal classification: CTCLoss (the loss and its gradient, ctc_loss_calculator.h's
forward-backward, at the end), CTCGreedyDecoder (best-path decoding) and CTCBeamSearchDecoder (prefix
beam search, below), as TensorFlow's
ctc_decoder_ops.cc decodes: per time step the first class with the largest logit (a strictly greater scan from
class 0, so a NaN logit is never chosen after the first class), blanks dropped, repeats merged on request; the
decoded sequences come out as a SparseTensor's (indices, values, dense_shape) and ``log_probability`` is minus
the sum of the chosen logits. Not differentiable (ctc_ops.py)."""

from __future__ import annotations

import math

import numpy as np
import torch

from torchmeta import errors
from torchmeta.api import array_ops
from torchmeta.framework.common_shapes import merge_dim, with_rank
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import not_differentiable, register_gradient, register_op
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


# ---------------------------------------------------------------------------------------------
# CTCLoss: ctc_loss_op.cc's checks, then CTCLossCalculator per batch entry (blank = num_classes - 1): the
# softmax of the logits, log alpha and log beta over l' (the labels with blanks around them), the loss
# -log p(z|x) and the gradient softmax - posterior with respect to the unnormalized logits. The recursions
# run in float64 (TF's restriction of u to the states that can still reach the end changes no value).


def _ctc_loss_shape(op):
    inputs = with_rank(op, op.inputs[0].shape, 3)
    indices = with_rank(op, op.inputs[1].shape, 2)
    values = with_rank(op, op.inputs[2].shape, 1)
    seq_len = with_rank(op, op.inputs[3].shape, 1)
    merge_dim(op, indices.as_tuple()[0] if indices.rank else None, values.as_tuple()[0] if values.rank else None)
    dims = inputs.as_tuple() if inputs.rank else (None, None, None)
    batch = merge_dim(op, dims[1], seq_len.as_tuple()[0] if seq_len.rank else None)
    return [TensorShape([batch]), TensorShape([dims[0], batch, dims[2]])]


def _ctc_labels(labels_indices, labels_values, batch_size):
    """The label sequence of each batch entry, after TF's SparseTensor validity checks."""
    indices = labels_indices.cpu().numpy()
    values = labels_values.cpu().numpy()
    max_label_len = int(indices[:, 1].max()) + 1 if len(indices) else 0
    shape = (batch_size, max_label_len)
    for i, index in enumerate(indices):
        if not all(0 <= index[d] < shape[d] for d in range(2)):
            raise invalid(
                f"label SparseTensor is not valid: indices[{i}] = [{index[0]},{index[1]}] is out of bounds: "
                f"need 0 <= index < [{shape[0]},{shape[1]}]"
            )
        if i and tuple(index) <= tuple(indices[i - 1]):
            kind = "repeated" if tuple(index) == tuple(indices[i - 1]) else "out of order"
            message = f"label SparseTensor is not valid: indices[{i}] = [{index[0]},{index[1]}] is {kind}"
            if kind == "out of order":
                message += (
                    ". Many sparse ops require sorted indices.\n    Use `tf.sparse.reorder` to create a correctly "
                    "ordered copy.\n\n"
                )
            raise invalid(message)
    labels = [[] for _ in range(batch_size)]
    for index, value in zip(indices, values):
        labels[int(index[0])].append(int(value))
    return labels


def _l_prime(label, b, num_classes, seq_len, preprocess_collapse_repeated, ignore_longer):
    """CTCLossCalculator::PopulateLPrimes for one batch entry: its l' (blank-interleaved labels)."""
    blank = num_classes - 1
    if not label:
        raise invalid(f"Labels length is zero in batch {b}")
    kept, finished = [], False
    for i, value in enumerate(label):
        if i == 0 or not preprocess_collapse_repeated or value != label[i - 1]:
            if value >= num_classes - 1:
                finished = True
            else:
                if finished:
                    raise invalid(
                        "Saw a non-null label (index >= num_classes - 1) following a null label, batch: "
                        f"{b} num_classes: {num_classes} labels: {','.join(map(str, label))} labels seen so far: "
                        f"{','.join(map(str, kept))}"
                    )
                kept.append(value)
    for value in kept:
        if value < 0:
            raise invalid(f"All labels must be nonnegative integers, batch: {b} labels: {','.join(map(str, kept))}")
    if not ignore_longer and len(label) > seq_len:
        raise invalid(
            f"Not enough time for target transition sequence (required: {len(label)}, available: {seq_len}){b}"
            "You can turn this error into a warning by using the flag ignore_longer_outputs_than_inputs"
        )
    l_prime = [blank]
    for value in kept:
        l_prime += [value, blank]
    return l_prime


def _lse(*terms):
    return torch.logsumexp(torch.stack(terms), 0)


def _shift(x, n):
    """``x`` moved ``n`` states right (left for negative ``n``) along its last axis, -inf filled."""
    fill = torch.full((*x.shape[:-1], abs(n)), -math.inf, dtype=x.dtype, device=x.device)
    return torch.cat([fill, x[..., :-n]], -1) if n > 0 else torch.cat([x[..., -n:], fill], -1)


def _ctc_batch(inputs, l_primes, lengths, blank, merge_repeated):
    """(loss, gradient) of the batch entries ``lengths`` indexes, all at once: logits [time, entries, classes],
    each entry's l' padded with blanks that no path reaches."""
    device = inputs.device
    y = torch.softmax(inputs, -1).transpose(0, 1)  # [B, T, C]
    log_y = torch.log_softmax(inputs.double(), -1).transpose(0, 1)
    batch, time = y.shape[0], y.shape[1]
    u_size = max(len(lp) for lp in l_primes)
    lp = torch.full((batch, u_size), blank, dtype=torch.int64, device=device)
    for b, l_prime in enumerate(l_primes):
        lp[b, : len(l_prime)] = torch.tensor(l_prime, device=device)
    u_len = torch.tensor([len(l_prime) for l_prime in l_primes], device=device)
    states = torch.arange(u_size, device=device)
    valid = states < u_len[:, None]
    ly = torch.gather(log_y, 2, lp[:, None, :].expand(batch, time, u_size))  # [B, T, U]
    neg = torch.tensor(-math.inf, dtype=torch.float64, device=device)
    stay = (lp == blank) | merge_repeated
    skip_to = torch.zeros_like(valid)
    skip_to[:, 2:] = (lp[:, 2:] != blank) & ~(merge_repeated & (lp[:, 2:] == lp[:, :-2]))
    skip_from = torch.zeros_like(valid)
    skip_from[:, :-2] = skip_to[:, 2:]
    alpha = torch.full((batch, time, u_size), -math.inf, dtype=torch.float64, device=device)
    alpha[:, 0, :2] = ly[:, 0, :2]
    for t in range(1, time):
        prev = alpha[:, t - 1]
        alpha[:, t] = ly[:, t] + _lse(
            torch.where(stay, prev, neg), _shift(prev, 1), torch.where(skip_to, _shift(prev, 2), neg)
        )
    last = lengths[:, None] - 1
    start = torch.where((states >= u_len[:, None] - 2) & valid, torch.zeros((), dtype=torch.float64), neg)
    beta = torch.full_like(alpha, -math.inf)
    beta[:, time - 1] = torch.where(last == time - 1, start, neg)
    for t in range(time - 2, -1, -1):
        nxt = beta[:, t + 1] + ly[:, t + 1]
        step = _lse(torch.where(stay, nxt, neg), _shift(nxt, -1), torch.where(skip_from, _shift(nxt, -2), neg))
        beta[:, t] = torch.where(last == t, start, torch.where((last > t) & valid, step, neg))
    log_p = torch.logsumexp(alpha[:, 0] + beta[:, 0], -1)  # [B]
    posterior = torch.zeros_like(log_y)
    posterior.scatter_add_(
        2, lp[:, None, :].expand(batch, time, u_size), torch.exp(alpha + beta - log_p[:, None, None])
    )
    in_sequence = (torch.arange(time, device=device)[None, :] < lengths[:, None])[..., None]
    no_path = torch.isinf(log_p)[:, None, None]
    gradient = torch.where(no_path, y, y - posterior.to(y.dtype))
    gradient = torch.where(in_sequence, gradient, torch.zeros((), dtype=y.dtype))
    return -log_p, gradient.transpose(0, 1)


@register_op(
    "CTCLoss",
    inputs=["inputs: T", "labels_indices: int64", "labels_values: int32", "sequence_length: int32"],
    outputs=["loss: T", "gradient: T"],
    attrs=[
        "preprocess_collapse_repeated: bool = false",
        "ctc_merge_repeated: bool = true",
        "ignore_longer_outputs_than_inputs: bool = false",
        "T: {float, double} = DT_FLOAT",
    ],
    shape=_ctc_loss_shape,
)
def ctc_loss(
    inputs,
    labels_indices,
    labels_values,
    sequence_length,
    preprocess_collapse_repeated,
    ctc_merge_repeated,
    ignore_longer_outputs_than_inputs,
):
    if inputs.dim() != 3:
        raise invalid("inputs is not a 3-Tensor")
    if sequence_length.dim() != 1:
        raise invalid("sequence_length is not a vector")
    if labels_indices.dim() != 2:
        raise invalid("labels_indices is not a matrix")
    if labels_values.dim() != 1:
        raise invalid("labels_values is not a vector")
    max_time, batch_size, num_classes = inputs.shape
    if batch_size != sequence_length.shape[0]:
        raise invalid(
            f"len(sequence_length) != batch_size.  len(sequence_length):  {sequence_length.shape[0]} "
            f"batch_size: {batch_size}"
        )
    if labels_indices.shape[0] != labels_values.shape[0]:
        raise invalid(
            "labels_indices and labels_values must contain the same number of rows, but saw shapes: "
            f"[{','.join(map(str, labels_indices.shape))}] vs. [{','.join(map(str, labels_values.shape))}]"
        )
    if batch_size == 0:
        raise invalid("batch_size must not be 0")
    labels = _ctc_labels(labels_indices, labels_values, batch_size)
    seq_len = [int(v) for v in sequence_length.cpu()]
    for b, length in enumerate(seq_len):
        if length > max_time:
            raise invalid(f"sequence_length({b}) <= {max_time}")
    for b, length in enumerate(seq_len):
        if length < 0:
            raise invalid(f"seq_len({b}) < 0")
    l_primes = [
        _l_prime(labels[b], b, num_classes, seq_len[b], preprocess_collapse_repeated, ignore_longer_outputs_than_inputs)
        for b in range(batch_size)
    ]
    loss = torch.zeros(batch_size, dtype=inputs.dtype, device=inputs.device)
    gradient = torch.zeros_like(inputs)
    computed = [
        b
        for b in range(batch_size)
        if seq_len[b] and not (ignore_longer_outputs_than_inputs and len(labels[b]) > seq_len[b])
    ]
    if computed:
        time = max(seq_len[b] for b in computed)
        rows = torch.tensor(computed, device=inputs.device)
        lengths = torch.tensor([seq_len[b] for b in computed], device=inputs.device)
        entry_loss, entry_gradient = _ctc_batch(
            inputs[:time, rows], [l_primes[b] for b in computed], lengths, num_classes - 1, ctc_merge_repeated
        )
        loss[rows] = entry_loss.to(inputs.dtype)
        gradient[:time, rows] = entry_gradient
    return loss, gradient


@register_gradient("CTCLoss")
def _ctc_loss_grad(op, grad_loss, _):
    """The op's own gradient output, scaled by the loss gradient; a second derivative is refused."""
    grad = raw_op(
        "PreventGradient",
        input=op.outputs[1],
        message="Currently there is no way to take the second  derivative of ctc_loss due to the fused "
        "implementation's interaction  with tf.gradients()",
    )
    return [array_ops.expand_dims(grad_loss, -1) * grad, None, None, None]
