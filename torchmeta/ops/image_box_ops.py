"""Bounding-box ops: NonMaxSuppression (V1-V5, WithOverlaps), CombinedNonMaxSuppression and
DrawBoundingBoxes(V2), with TensorFlow's gradient decisions (image_ops.py / image_grad.py: V1, V2 and
WithOverlaps not differentiable, the rest without a gradient).

Non-max suppression is TensorFlow's greedy selection (non_max_suppression_op.cc): candidates above the
score threshold in descending score order (ties: lower index first), each compared with the boxes
selected so far, newest first, hard- or (V5) soft-suppressed with TF's float32 IOU and the scores in
T. The IOUs of a candidate against the selected boxes are computed in one vectorised step; the
selection itself is sequential, as in TF. CombinedNonMaxSuppression reproduces TF's std::priority_queue
and std::sort tie orders (libstdc++'s heap and introsort) so that equal scores select and order as TF.
"""

from __future__ import annotations

import heapq

import numpy as np
import torch

from torchmeta.framework.common_shapes import (
    format_dims,
    input_with_rank,
    merge_dim,
    scalar_dim,
    shape_error,
    with_rank,
    with_value,
)
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.ops.common import invalid
from torchmeta.ops.philox import single_samples
from torchmeta.ops.stateless_random_ops import key_counter_from_seed

# ---------------------------------------------------------------------------------------------
# Shape functions


def _nms_inputs_shape(op, scalars, overlaps: bool = False):
    boxes = input_with_rank(op, 0, 2)
    scores = input_with_rank(op, 1, 1)
    for i in scalars:
        with_rank(op, op.inputs[i].shape, 0)
    if overlaps:
        merge_dim(op, boxes[0], scores[0])
        merge_dim(op, boxes[0], boxes[1])
    else:
        merge_dim(op, boxes[0], scores[0])
        with_value(op, boxes[1], 4)


def _nms_shape(*scalars):
    def fn(op):
        _nms_inputs_shape(op, scalars)
        return [TensorShape([None])]

    return fn


def _nms_padded_shape(*scalars, scores_output: bool = False):
    def fn(op):
        _nms_inputs_shape(op, scalars)
        size = scalar_dim(op, 2) if op.get_attr("pad_to_max_output_size") else None
        outs = [TensorShape([size])]
        if scores_output:
            outs.append(TensorShape([size]))
        return [*outs, TensorShape([])]

    return fn


def _nms_overlaps_shape(op):
    _nms_inputs_shape(op, (2, 3, 4), overlaps=True)
    return [TensorShape([None])]


# ---------------------------------------------------------------------------------------------
# Greedy selection (DoNonMaxSuppressionOp)


def _box_iou(boxes: np.ndarray, i: int, others: np.ndarray) -> np.ndarray:
    """TF's IOU(boxes, i, j) for every j in ``others``, float32 operation by operation."""
    b = boxes
    ymin_i, ymax_i = np.minimum(b[i, 0], b[i, 2]), np.maximum(b[i, 0], b[i, 2])
    xmin_i, xmax_i = np.minimum(b[i, 1], b[i, 3]), np.maximum(b[i, 1], b[i, 3])
    o = b[others]
    ymin_j, ymax_j = np.minimum(o[:, 0], o[:, 2]), np.maximum(o[:, 0], o[:, 2])
    xmin_j, xmax_j = np.minimum(o[:, 1], o[:, 3]), np.maximum(o[:, 1], o[:, 3])
    area_i = (ymax_i - ymin_i) * (xmax_i - xmin_i)
    area_j = (ymax_j - ymin_j) * (xmax_j - xmin_j)
    iy = np.maximum(np.minimum(ymax_i, ymax_j) - np.maximum(ymin_i, ymin_j), np.float32(0))
    ix = np.maximum(np.minimum(xmax_i, xmax_j) - np.maximum(xmin_i, xmin_j), np.float32(0))
    inter = iy * ix
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = inter / (area_i + area_j - inter)
    return np.where((area_i <= 0) | (area_j <= 0), np.float32(0), iou).astype(np.float32)


def greedy_nms(similarity, scores: np.ndarray, max_output: int, threshold, score_threshold, sigma):
    """DoNonMaxSuppressionOp: (selected indices, their final scores), scores/thresholds in T (numpy).

    ``similarity(i, js)`` gives the float32 similarities of box i with boxes ``js``.
    """
    t = scores.dtype.type
    threshold, score_threshold, sigma = t(threshold), t(score_threshold), t(sigma)
    soft = sigma > t(0)
    scale = t(-0.5) / sigma if soft else t(0)
    # The priority queue: highest score first, ties by lower index; (score, index, suppress_begin).
    heap = [(-float(s), i, 0, s) for i, s in enumerate(scores) if s > score_threshold]
    heapq.heapify(heap)
    selected: list[int] = []
    selected_scores: list = []
    while len(selected) < max_output and heap:
        _, index, begin, score = heapq.heappop(heap)
        original = score
        hard = False
        if len(selected) > begin:
            order = np.array(selected[begin:][::-1], dtype=np.int64)
            sims = similarity(index, order).astype(scores.dtype)
            weights = np.exp((scale * sims * sims).astype(np.float32)).astype(scores.dtype)
            if not soft:
                weights = np.where(sims <= threshold, weights, t(0)).astype(scores.dtype)
                over = np.nonzero(sims > threshold)[0]
                stop = int(over[0]) if len(over) else len(order)
                if bool((weights[:stop] == 1).all()):
                    # Scores unchanged up to the first overlap: suppressed there, or selected.
                    if len(over):
                        continue
                    selected.append(index)
                    selected_scores.append(score)
                    continue
            for k in range(len(order)):
                score = t(score * weights[k])
                if not soft and sims[k] > threshold:
                    hard = True
                    break
                if score <= score_threshold:
                    break
        if hard:
            continue
        if score == original:
            selected.append(index)
            selected_scores.append(score)
            continue
        if score > score_threshold:
            heapq.heappush(heap, (-float(score), index, len(selected), score))
    return selected, selected_scores


def _check_scalar(t, what: str, rank_note: bool = False):
    if t.dim() != 0:
        note = f" (Shape must be rank 0 but is rank {t.dim()})" if rank_note else ""
        raise invalid(f"{what} must be 0-D, got shape {format_dims(t.shape)}{note}")
    return t


def _check_boxes_scores(boxes, scores) -> int:
    if boxes.dim() != 2:
        raise invalid(f"boxes must be 2-D{format_dims(boxes.shape)} (Shape must be rank 2 but is rank {boxes.dim()})")
    n = boxes.shape[0]
    if boxes.shape[1] != 4:
        raise invalid(f"boxes must have 4 columns (Dimension must be 4 but is {boxes.shape[1]})")
    _check_scores(scores, n)
    return n


def _check_scores(scores, n: int):
    if scores.dim() != 1:
        raise invalid(
            f"scores must be 1-D{format_dims(scores.shape)} (Shape must be rank 1 but is rank {scores.dim()})"
        )
    if scores.shape[0] != n:
        raise invalid(f"scores has incompatible shape (Dimensions must be equal, but are {n} and {scores.shape[0]})")


def _np(t, dtype=None):
    a = t.detach().cpu().numpy()
    return a if dtype is None else a.astype(dtype)


def _iou_fn(boxes):
    b = _np(boxes, np.float32)
    return lambda i, js: _box_iou(b, i, js)


def _run_nms(boxes, scores, max_output_size, iou, score_threshold, sigma, pad=False, similarity=None):
    max_output = int(max_output_size)
    if max_output < 0:
        raise invalid("output size must be non-negative")
    np_scores = _np(scores)
    selected, sel_scores = greedy_nms(similarity or _iou_fn(boxes), np_scores, max_output, iou, score_threshold, sigma)
    valid = len(selected)
    if pad:
        selected = selected + [0] * (max_output - valid)
        sel_scores = sel_scores + [np_scores.dtype.type(0)] * (max_output - valid)
    device = boxes.device
    indices = torch.tensor(selected, dtype=torch.int32, device=device)
    values = torch.from_numpy(np.array(sel_scores, dtype=np_scores.dtype).reshape(-1)).to(device)
    return indices, values, torch.tensor(valid, dtype=torch.int32, device=device)


def _threshold(t, dtype) -> np.generic:
    """GetScalar<T>: the threshold converted to T."""
    return np.dtype(dtype).type(float(t.to(torch.float64)))


def _check_iou(value):
    if not (value >= 0 and value <= 1):
        raise invalid("iou_threshold must be in [0, 1]")


@register_op(
    "NonMaxSuppression",
    inputs=["boxes: float", "scores: float", "max_output_size: int32"],
    outputs=["selected_indices: int32"],
    attrs=["iou_threshold: float = 0.5"],
    shape=lambda op: (_nms_inputs_shape(op, (2,)), [TensorShape([None])])[1],
)
def non_max_suppression(boxes, scores, max_output_size, iou_threshold):
    _check_scalar(max_output_size, "max_output_size")
    _check_iou(iou_threshold)
    _check_boxes_scores(boxes, scores)
    lowest = np.finfo(np.float32).min
    return _run_nms(boxes, scores, max_output_size, np.float32(iou_threshold), lowest, 0.0)[0]


_NMS_T = ["T: {half, float} = DT_FLOAT", "T_threshold: {half, float} = DT_FLOAT"]


@register_op(
    "NonMaxSuppressionV2",
    inputs=["boxes: T", "scores: T", "max_output_size: int32", "iou_threshold: T_threshold"],
    outputs=["selected_indices: int32"],
    attrs=_NMS_T,
    shape=_nms_shape(2, 3),
)
def non_max_suppression_v2(boxes, scores, max_output_size, iou_threshold):
    _check_scalar(max_output_size, "max_output_size")
    _check_scalar(iou_threshold, "iou_threshold")
    dtype = _np(scores).dtype
    iou = _threshold(iou_threshold, dtype)
    _check_iou(iou)
    _check_boxes_scores(boxes, scores)
    return _run_nms(boxes, scores, max_output_size, iou, np.finfo(dtype).min, 0.0)[0]


@register_op(
    "NonMaxSuppressionV3",
    inputs=[
        "boxes: T",
        "scores: T",
        "max_output_size: int32",
        "iou_threshold: T_threshold",
        "score_threshold: T_threshold",
    ],
    outputs=["selected_indices: int32"],
    attrs=_NMS_T,
    shape=_nms_shape(2, 3, 4),
)
def non_max_suppression_v3(boxes, scores, max_output_size, iou_threshold, score_threshold):
    _check_scalar(max_output_size, "max_output_size", rank_note=True)
    _check_scalar(iou_threshold, "iou_threshold", rank_note=True)
    dtype = _np(scores).dtype
    iou = _threshold(iou_threshold, dtype)
    _check_iou(iou)
    _check_scalar(score_threshold, "score_threshold")
    score = _threshold(score_threshold, dtype)
    _check_boxes_scores(boxes, scores)
    return _run_nms(boxes, scores, max_output_size, iou, score, 0.0)[0]


@register_op(
    "NonMaxSuppressionV4",
    inputs=[
        "boxes: T",
        "scores: T",
        "max_output_size: int32",
        "iou_threshold: T_threshold",
        "score_threshold: T_threshold",
    ],
    outputs=["selected_indices: int32", "valid_outputs: int32"],
    attrs=[*_NMS_T, "pad_to_max_output_size: bool = false"],
    shape=_nms_padded_shape(2, 3, 4),
)
def non_max_suppression_v4(boxes, scores, max_output_size, iou_threshold, score_threshold, pad_to_max_output_size):
    _check_scalar(max_output_size, "max_output_size")
    _check_scalar(iou_threshold, "iou_threshold")
    dtype = _np(scores).dtype
    iou = _threshold(iou_threshold, dtype)
    _check_iou(iou)
    _check_scalar(score_threshold, "score_threshold")
    score = _threshold(score_threshold, dtype)
    _check_boxes_scores(boxes, scores)
    indices, _, valid = _run_nms(boxes, scores, max_output_size, iou, score, 0.0, pad=pad_to_max_output_size)
    return indices, valid


@register_op(
    "NonMaxSuppressionV5",
    inputs=[
        "boxes: T",
        "scores: T",
        "max_output_size: int32",
        "iou_threshold: T",
        "score_threshold: T",
        "soft_nms_sigma: T",
    ],
    outputs=["selected_indices: int32", "selected_scores: T", "valid_outputs: int32"],
    attrs=["T: {half, float} = DT_FLOAT", "pad_to_max_output_size: bool = false"],
    shape=_nms_padded_shape(2, 3, 4, 5, scores_output=True),
)
def non_max_suppression_v5(
    boxes, scores, max_output_size, iou_threshold, score_threshold, soft_nms_sigma, pad_to_max_output_size
):
    _check_scalar(max_output_size, "max_output_size")
    _check_scalar(iou_threshold, "iou_threshold")
    dtype = _np(scores).dtype
    iou = _threshold(iou_threshold, dtype)
    _check_iou(iou)
    _check_scalar(score_threshold, "score_threshold")
    score = _threshold(score_threshold, dtype)
    _check_scalar(soft_nms_sigma, "soft_nms_sigma")
    sigma = _threshold(soft_nms_sigma, dtype)
    if not sigma >= 0:
        raise invalid("soft_nms_sigma_val must be >= 0")
    _check_boxes_scores(boxes, scores)
    return _run_nms(boxes, scores, max_output_size, iou, score, sigma, pad=pad_to_max_output_size)


@register_op(
    "NonMaxSuppressionWithOverlaps",
    inputs=[
        "overlaps: float",
        "scores: float",
        "max_output_size: int32",
        "overlap_threshold: float",
        "score_threshold: float",
    ],
    outputs=["selected_indices: int32"],
    shape=_nms_overlaps_shape,
)
def non_max_suppression_with_overlaps(overlaps, scores, max_output_size, overlap_threshold, score_threshold):
    _check_scalar(max_output_size, "max_output_size")
    _check_scalar(overlap_threshold, "overlap_threshold")
    threshold = np.float32(float(overlap_threshold))
    _check_scalar(score_threshold, "score_threshold")
    score = np.float32(float(score_threshold))
    if overlaps.dim() != 2:
        raise invalid(f"overlaps must be 2-D{format_dims(overlaps.shape)}")
    n = overlaps.shape[0]
    if overlaps.shape[1] != n:
        raise invalid(f"overlaps must be square{format_dims(overlaps.shape)}")
    _check_scores(scores, n)
    table = _np(overlaps, np.float32)
    return _run_nms(overlaps, scores, max_output_size, threshold, score, 0.0, similarity=lambda i, js: table[i, js])[0]


not_differentiable("NonMaxSuppression", "NonMaxSuppressionV2", "NonMaxSuppressionWithOverlaps")
no_registered_gradient("NonMaxSuppressionV3", "NonMaxSuppressionV4", "NonMaxSuppressionV5")


# ---------------------------------------------------------------------------------------------
# CombinedNonMaxSuppression


def _combined_shape(op):
    boxes = input_with_rank(op, 0, 4)
    scores = input_with_rank(op, 1, 3)
    for i in (2, 3, 4, 5):
        with_rank(op, op.inputs[i].shape, 0)
    merge_dim(op, boxes[0], scores[0])
    merge_dim(op, boxes[1], scores[1])
    if boxes[2] is not None and scores[2] is not None and boxes[2] != 1 and boxes[2] != scores[2]:
        raise shape_error(op, "third dimension of boxes must be either 1 or equal to the third dimension of scores")
    with_value(op, boxes[3], 4)
    per_class = scalar_dim(op, 2)
    total = scalar_dim(op, 3)
    size = total
    if op.get_attr("pad_per_class"):
        if per_class is None or scores[2] is None or total is None:
            size = None
        else:
            size = min(total, per_class * scores[2])
    batch = boxes[0]
    return [TensorShape([batch, size, 4]), TensorShape([batch, size]), TensorShape([batch, size]), TensorShape([batch])]


def _push_heap(heap: list, hole: int, top: int, value, less):
    parent = (hole - 1) // 2
    while hole > top and less(heap[parent], value):
        heap[hole] = heap[parent]
        hole = parent
        parent = (hole - 1) // 2
    heap[hole] = value


def _adjust_heap(heap: list, hole: int, length: int, value, less):
    top = hole
    second = hole
    while second < (length - 1) // 2:
        second = 2 * (second + 1)
        if less(heap[second], heap[second - 1]):
            second -= 1
        heap[hole] = heap[second]
        hole = second
    if (length & 1) == 0 and second == (length - 2) // 2:
        second = 2 * (second + 1)
        heap[hole] = heap[second - 1]
        hole = second - 1
    _push_heap(heap, hole, top, value, less)


class _PriorityQueue:
    """std::priority_queue over a vector with libstdc++'s push_heap/pop_heap (TF's tie order)."""

    def __init__(self, less):
        self.items: list = []
        self.less = less

    def push(self, value):
        self.items.append(value)
        _push_heap(self.items, len(self.items) - 1, 0, value, self.less)

    def pop(self):
        items = self.items
        top = items[0]
        if len(items) > 1:
            value = items[-1]
            items[-1] = items[0]
            _adjust_heap(items, 0, len(items) - 1, value, self.less)
        items.pop()
        return top

    def __bool__(self):
        return bool(self.items)


def _select_per_class(boxes: np.ndarray, scores: np.ndarray, size_per_class: int, score_threshold, iou_threshold):
    """DoNMSPerClass: the selected box indices (of ``boxes``, one box per anchor), in selection order."""
    above = np.nonzero(scores > score_threshold)[0]
    cand = scores[above]
    if len(np.unique(cand)) == len(cand):
        order = above[np.argsort(-cand, kind="stable")]
    else:  # equal scores: the order libstdc++'s heap pops them in
        queue = _PriorityQueue(lambda a, b: a[1] < b[1])
        for i in above:
            queue.push((int(i), scores[i]))
        order = []
        while queue:
            order.append(queue.pop()[0])
    selected: list[int] = []
    for i in order:
        if len(selected) >= size_per_class:
            break
        if selected and bool((_box_iou(boxes, int(i), np.array(selected[::-1])) > iou_threshold).any()):
            continue
        selected.append(int(i))
    return selected


def _insertion_sort(items: list, first: int, last: int, less):
    for i in range(first + 1, last):
        value = items[i]
        if less(value, items[first]):
            items[first + 1 : i + 1] = items[first:i]
            items[first] = value
        else:
            j = i
            while less(value, items[j - 1]):
                items[j] = items[j - 1]
                j -= 1
            items[j] = value


def _move_median_to_first(items, result, a, b, c, less):
    if less(items[a], items[b]):
        if less(items[b], items[c]):
            items[result], items[b] = items[b], items[result]
        elif less(items[a], items[c]):
            items[result], items[c] = items[c], items[result]
        else:
            items[result], items[a] = items[a], items[result]
    elif less(items[a], items[c]):
        items[result], items[a] = items[a], items[result]
    elif less(items[b], items[c]):
        items[result], items[c] = items[c], items[result]
    else:
        items[result], items[b] = items[b], items[result]


def _unguarded_partition(items, first, last, pivot, less):
    while True:
        while less(items[first], items[pivot]):
            first += 1
        last -= 1
        while less(items[pivot], items[last]):
            last -= 1
        if not first < last:
            return first
        items[first], items[last] = items[last], items[first]
        first += 1


def _heap_sort(items, first, last, less):
    sub = items[first:last]
    n = len(sub)
    for parent in range((n - 2) // 2, -1, -1):
        _adjust_heap(sub, parent, n, sub[parent], less)
    for end in range(n - 1, 0, -1):
        value = sub[end]
        sub[end] = sub[0]
        _adjust_heap(sub, 0, end, value, less)
    items[first:last] = sub


def std_sort(items: list, less) -> None:
    """libstdc++'s std::sort (introsort + final insertion sort), for TF's order of equal elements."""
    n = len(items)
    if n < 2:
        return

    def loop(first, last, depth):
        while last - first > 16:
            if depth == 0:
                _heap_sort(items, first, last, less)
                return
            depth -= 1
            mid = first + (last - first) // 2
            _move_median_to_first(items, first, first + 1, mid, last - 1, less)
            cut = _unguarded_partition(items, first + 1, last, first, less)
            loop(cut, last, depth)
            last = cut

    loop(0, n, 2 * (n.bit_length() - 1))
    if n > 16:
        _insertion_sort(items, 0, 16, less)
        for i in range(16, n):
            value = items[i]
            j = i
            while less(value, items[j - 1]):
                items[j] = items[j - 1]
                j -= 1
            items[j] = value
    else:
        _insertion_sort(items, 0, n, less)


@register_op(
    "CombinedNonMaxSuppression",
    inputs=[
        "boxes: float",
        "scores: float",
        "max_output_size_per_class: int32",
        "max_total_size: int32",
        "iou_threshold: float",
        "score_threshold: float",
    ],
    outputs=["nmsed_boxes: float", "nmsed_scores: float", "nmsed_classes: float", "valid_detections: int32"],
    attrs=["pad_per_class: bool = false", "clip_boxes: bool = true"],
    shape=_combined_shape,
)
def combined_non_max_suppression(
    boxes, scores, max_output_size_per_class, max_total_size, iou_threshold, score_threshold, pad_per_class, clip_boxes
):
    if boxes.dim() != 4:
        raise invalid(f"boxes must be 4-D{format_dims(boxes.shape)}")
    if scores.dim() != 3:
        raise invalid(f"scores must be 3-D{format_dims(scores.shape)}")
    batch, num_boxes, q, _ = boxes.shape
    num_classes = scores.shape[2]
    if q != 1 and q != num_classes:
        raise invalid("third dimension of boxes must be either 1 or num classes")
    if boxes.shape[3] != 4:
        raise invalid("boxes must have 4 columns")
    if scores.shape[1] != num_boxes:
        raise invalid("scores has incompatible shape")
    if scores.shape[0] != batch:
        raise invalid("boxes and scores must have same batch size")
    _check_scalar(max_output_size_per_class, "max_size_per_class")
    per_class = int(max_output_size_per_class)
    if per_class <= 0:
        raise invalid("max_size_per_class must be positive")
    _check_scalar(max_total_size, "max_total_size")
    total = int(max_total_size)
    if total <= 0:
        raise invalid("max_total_size must be > 0")
    _check_scalar(iou_threshold, "iou_threshold")
    iou = np.float32(float(iou_threshold))
    _check_scalar(score_threshold, "score_threshold")
    score_thr = np.float32(float(score_threshold))
    if not (iou >= 0 and iou <= 1):
        raise invalid("iou_threshold must be in [0, 1]")
    size_per_class = min(per_class, num_boxes)
    max_total = min(2**31 - 1, per_class * num_classes)
    per_batch = min(total, max_total) if pad_per_class else total
    np_boxes = _np(boxes, np.float32)
    np_scores = _np(scores, np.float32)
    out_boxes = np.zeros((batch, per_batch, 4), np.float32)
    out_scores = np.zeros((batch, per_batch), np.float32)
    out_classes = np.zeros((batch, per_batch), np.float32)
    valid = np.zeros(batch, np.int32)
    for b in range(batch):
        # (box_index, score, class, coords); -1 / -inf for the empty slots, as TF's vector.
        slots = [(-1, -np.inf, -1, None)] * (size_per_class * num_classes)
        for c in range(num_classes):
            class_boxes = np_boxes[b, :, c if q > 1 else 0]
            chosen = _select_per_class(class_boxes, np_scores[b, :, c], size_per_class, score_thr, iou)
            for k, i in enumerate(chosen):
                slots[k + size_per_class * c] = (i, np_scores[b, i, c], c, class_boxes[i])
        std_sort(slots, lambda x, y: y[1] < x[1])
        count = sum(1 for s in slots if s[0] > -1)
        detections = min(count, total) if not pad_per_class else min(per_batch, count)
        valid[b] = detections
        for k in range(min(detections, per_batch)):
            _, s, c, coords = slots[k]
            out_boxes[b, k] = np.clip(coords, 0.0, 1.0) if clip_boxes else coords
            out_scores[b, k] = s
            out_classes[b, k] = c
    device = boxes.device
    return (
        torch.from_numpy(out_boxes).to(device),
        torch.from_numpy(out_scores).to(device),
        torch.from_numpy(out_classes).to(device),
        torch.from_numpy(valid).to(device),
    )


no_registered_gradient("CombinedNonMaxSuppression")


# ---------------------------------------------------------------------------------------------
# DrawBoundingBoxes, DrawBoundingBoxesV2

_DEFAULT_COLORS = [
    [1, 1, 0, 1],
    [0, 0, 1, 1],
    [1, 0, 0, 1],
    [0, 1, 0, 1],
    [0.5, 0, 0.5, 1],
    [0.5, 0.5, 0, 1],
    [0.5, 0, 0, 1],
    [0, 0, 0.5, 1],
    [0, 1, 1, 1],
    [1, 0, 1, 1],
]


def _draw_shape(op):
    images = with_rank(op, op.inputs[0].shape, 4)
    with_rank(op, op.inputs[1].shape, 3)
    return [images]


def _draw(images, boxes, colors):
    if images.dim() != 4:
        raise invalid("The rank of the images should be 4")
    if boxes.dim() != 3:
        raise invalid("The rank of the boxes tensor should be 3")
    if images.shape[0] != boxes.shape[0]:
        raise invalid("The batch sizes should be the same")
    batch, height, width, depth = images.shape
    if depth not in (1, 3, 4):
        raise invalid("Channel depth should be either 1 (GRY), 3 (RGB), or 4 (RGBA)")
    if boxes.shape[2] != 4:
        raise invalid(f"The size of the third dimension of the box must be 4. Received: {boxes.shape[2]}")
    table = None
    if colors is not None:
        if colors.dim() != 2:
            raise invalid(f"colors must be a 2-D matrix{format_dims(colors.shape)}")
        if colors.shape[1] < depth:
            raise invalid(
                f"colors must have equal or more channels than the image provided: {format_dims(colors.shape)}"
            )
        if colors.numel():
            table = _np(colors, np.float32)[:, :depth]
    if table is None:
        table = np.array(_DEFAULT_COLORS, np.float32)
        if depth == 1:
            table[:, 0] = 1
    canvas = images.clone()
    palette = torch.from_numpy(np.ascontiguousarray(table)).to(images.dtype).to(images.device)
    coords = _np(boxes, np.float32)
    rows_scale, cols_scale = np.float32(height - 1), np.float32(width - 1)
    for b in range(batch):
        for k in range(boxes.shape[1]):
            color = palette[k % len(table), :depth]
            with np.errstate(invalid="ignore"):
                top = int(np.trunc(coords[b, k, 0] * rows_scale))
                bottom = int(np.trunc(coords[b, k, 2] * rows_scale))
                left = int(np.trunc(coords[b, k, 1] * cols_scale))
                right = int(np.trunc(coords[b, k, 3] * cols_scale))
            if top > bottom or left > right:
                continue
            if top >= height or bottom < 0 or left >= width or right < 0:
                continue
            top_c, bottom_c = max(top, 0), min(bottom, height - 1)
            left_c, right_c = max(left, 0), min(right, width - 1)
            if top >= 0:
                canvas[b, top, left_c : right_c + 1] = color
            if bottom < height:
                canvas[b, bottom, left_c : right_c + 1] = color
            if left >= 0:
                canvas[b, top_c : bottom_c + 1, left] = color
            if right < width:
                canvas[b, top_c : bottom_c + 1, right] = color
    return canvas


@register_op(
    "DrawBoundingBoxes",
    inputs=["images: T", "boxes: float"],
    outputs=["output: T"],
    attrs=["T: {float, half} = DT_FLOAT"],
    shape=_draw_shape,
)
def draw_bounding_boxes(images, boxes):
    return _draw(images, boxes, None)


@register_op(
    "DrawBoundingBoxesV2",
    inputs=["images: T", "boxes: float", "colors: float"],
    outputs=["output: T"],
    attrs=["T: {float, half} = DT_FLOAT"],
    shape=_draw_shape,
)
def draw_bounding_boxes_v2(images, boxes, colors):
    return _draw(images, boxes, colors)


not_differentiable("DrawBoundingBoxes")
no_registered_gradient("DrawBoundingBoxesV2")


# ---------------------------------------------------------------------------------------------
# SampleDistortedBoundingBox(V2), StatelessSampleDistortedBoundingBox: TF's rejection sampling of a crop
# (sample_distorted_bounding_box_op.cc), drawing from the same Philox words in the same order, with TF's
# float32 arithmetic and lrintf rounding, so a seeded op gives TF's crop.


def _lrintf(v) -> int:
    """lrintf: a float32 rounded half to even."""
    return int(np.rint(np.float32(v)))


def _uniform_below(words, n: int) -> int:
    """SimplePhilox::Uniform(n) (ExactUniformInt): rejection of the words below (2^32 - 1) % n + 1."""
    if n == 0:
        next(words)
        return 0
    if n & (n - 1) == 0:
        return next(words) & (n - 1)
    rem = (0xFFFFFFFF % n) + 1
    while True:
        word = next(words)
        if word >= rem:
            return word % n


def _rand_float(words) -> np.float32:
    """SimplePhilox::RandFloat (Uint32ToFloat): the low 23 bits as a mantissa in [1, 2), minus 1."""
    return np.float32(np.array([(next(words) & 0x7FFFFF) | 0x3F800000], np.uint32).view(np.float32)[0] - 1)


def _area(rect) -> np.float32:
    x0, y0, x1, y1 = rect
    return np.float32((x1 - x0) * (y1 - y0))


def _intersect(a, b):
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (0, 0, 0, 0) if x0 > x1 or y0 > y1 else (x0, y0, x1, y1)


def _random_crop(width, height, min_area_frac, max_area_frac, aspect, words):
    """GenerateRandomCrop: a (x0, y0, x1, y1) crop, or None when the constraints cannot be met."""
    f = np.float32
    if max_area_frac <= 0 or aspect <= 0 or width <= 0 or height <= 0 or min_area_frac > max_area_frac:
        return None
    min_area = f(f(min_area_frac * f(width)) * f(height))
    max_area = f(f(max_area_frac * f(width)) * f(height))
    crop_h = _lrintf(np.sqrt(f(min_area / aspect)))
    max_h = _lrintf(np.sqrt(f(max_area / aspect)))
    if _lrintf(f(max_h) * aspect) > width:
        max_h = int((width + 0.5 - float(f(0.0000001))) / float(aspect))
        if _lrintf(f(max_h) * aspect) > width:
            max_h -= 1
    max_h = min(max_h, height)
    crop_h = min(crop_h, max_h)
    if crop_h < max_h:
        crop_h += _uniform_below(words, max_h - crop_h + 1)
    crop_w = _lrintf(f(crop_h) * aspect)
    area = f(crop_w * crop_h)
    if area < min_area:
        crop_h += 1
        crop_w = _lrintf(f(crop_h) * aspect)
        area = f(crop_w * crop_h)
    if area > max_area:
        crop_h -= 1
        crop_w = _lrintf(f(crop_h) * aspect)
        area = f(crop_w * crop_h)
    if area < min_area or area > max_area or crop_w > width or crop_h > height or crop_w <= 0 or crop_h <= 0:
        return None
    y = _uniform_below(words, height - crop_h) if crop_h < height else 0
    x = _uniform_below(words, width - crop_w) if crop_w < width else 0
    return (x, y, x + crop_w, y + crop_h)


def _covers(crop, min_covered, boxes) -> bool:
    """SatisfiesOverlapConstraints: the crop holds a pixel and covers enough of one box."""
    if _area(crop) < 1:
        return False
    for box in boxes:
        box_area = _area(box)
        if box_area < 1:
            continue
        if np.float32(_area(_intersect(crop, box)) / box_area) >= min_covered:
            return True
    return False


def _check_sampling_attrs(aspect_ratio_range, area_range, max_attempts):
    if len(aspect_ratio_range) != 2:
        raise invalid("Aspect ratio range field must specify 2 dimensions")
    if not (aspect_ratio_range[0] > 0 and aspect_ratio_range[1] > 0):
        raise invalid(
            f"Aspect ratio range must be non-negative: [{aspect_ratio_range[0]:g}, {aspect_ratio_range[1]:g}]"
        )
    if len(area_range) != 2:
        raise invalid("Area range field must specify 2 dimensions")
    if not (area_range[0] > 0 and area_range[1] > 0):
        raise invalid(f"Area range must be non-negative: [{area_range[0]:g}, {area_range[1]:g}]")
    if not (area_range[0] <= 1 and area_range[1] <= 1):
        raise invalid(f"Area range must be less then or equal to 1.0: [{area_range[0]:g}, {area_range[1]:g}]")
    if max_attempts <= 0:
        raise invalid(f"Max attempts must be non-negative: {max_attempts}")


def _sample_distorted_box(generator, image_size, bounding_boxes, min_object_covered, aspect_ratio_range, area_range,
                          max_attempts, use_image_if_no_bounding_boxes):  # fmt: skip
    """DoCompute: (begin, size, bboxes) from the Philox words of ``generator``."""
    if image_size.dim() != 1:
        raise invalid(f"image_size must be 1-dimensional[{','.join(map(str, image_size.shape))}]")
    if image_size.shape[0] != 3:
        raise invalid(f"image_size must contain 3 elements[{','.join(map(str, image_size.shape))}]")
    height, width = (int(v) for v in image_size[:2].tolist())
    if not 0 <= height < 2**31 - 1:
        raise invalid("image height cannot be >= int32 max")
    if not 0 <= width < 2**31 - 1:
        raise invalid("image width cannot be >= int32 max")
    if bounding_boxes.dim() != 3:
        raise invalid(
            "input boxes must be 3-dimensional [batch, num_boxes, coords]: "
            f"[{','.join(map(str, bounding_boxes.shape))}]"
        )
    if bounding_boxes.shape[-1] != 4:
        raise invalid(f"bounding boxes must have shape [4] or [*, 4], got [{','.join(map(str, bounding_boxes.shape))}]")
    if min_object_covered < 0:
        raise invalid(f"Min object covered must be non-negative: {min_object_covered:g}")
    boxes = []
    for row in bounding_boxes.reshape(-1, 4).cpu().numpy().astype(np.float32):
        for v in row:
            if not 0.0 <= v <= 1.0:
                raise invalid(f"All bounding box coordinates must be in [0.0, 1.0]: {v:g}")
        boxes.append((int(row[1] * np.float32(width)), int(row[0] * np.float32(height)),
                      int(row[3] * np.float32(width)), int(row[2] * np.float32(height))))  # fmt: skip
    image_rect = (0, 0, width, height)
    if not boxes:
        if not use_image_if_no_bounding_boxes:
            raise invalid(
                "No bounding boxes provided as input. One must enable use_image_if_no_bounding_boxes if you wish "
                "to not provide any bounding boxes."
            )
        boxes.append(image_rect)
    words = single_samples(generator)
    f = np.float32
    min_ratio, max_ratio = f(aspect_ratio_range[0]), f(aspect_ratio_range[1])
    crop = None
    for _ in range(max_attempts):
        aspect = f(f(_rand_float(words) * f(max_ratio - min_ratio)) + min_ratio)
        candidate = _random_crop(width, height, f(area_range[0]), f(area_range[1]), aspect, words)
        if candidate is not None and _covers(candidate, f(min_object_covered), boxes):
            crop = candidate
            break
    x0, y0, x1, y1 = image_rect if crop is None else crop
    dtype = image_size.dtype
    begin = torch.tensor([y0, x0, 0], dtype=dtype)
    size = torch.tensor([y1 - y0, x1 - x0, -1], dtype=dtype)
    bboxes = torch.tensor(
        [f(y0) / f(height), f(x0) / f(width), f(y1) / f(height), f(x1) / f(width)], dtype=torch.float32
    ).reshape(1, 1, 4)
    return begin, size, bboxes


def _sample_distorted_shape(op):
    image_size = with_rank(op, op.inputs[0].shape, 1)
    boxes = with_rank(op, op.inputs[1].shape, 3)
    with_value(op, image_size.as_tuple()[0] if image_size.rank is not None else None, 3)
    with_value(op, boxes.as_tuple()[2] if boxes.rank is not None else None, 4)
    if len(op.inputs) > 2:
        with_rank(op, op.inputs[2].shape, 0)
    if len(op.inputs) > 3:
        seed = with_rank(op, op.inputs[3].shape, 1)
        with_value(op, seed.as_tuple()[0] if seed.rank is not None else None, 2)
    return [TensorShape([3]), TensorShape([3]), TensorShape([1, 1, 4])]


_SAMPLING_ATTRS = [
    "aspect_ratio_range: list(float) = [0.75, 1.33]",
    "area_range: list(float) = [0.05, 1.0]",
    "max_attempts: int = 100",
    "use_image_if_no_bounding_boxes: bool = false",
]
_BOX_INT = "T: {uint8, int8, int16, int32, int64}"
_BOX_OUTPUTS = ["begin: T", "size: T", "bboxes: float"]


@register_op(
    "SampleDistortedBoundingBox",
    inputs=["image_size: T", "bounding_boxes: float"],
    outputs=_BOX_OUTPUTS,
    attrs=[_BOX_INT, "seed: int = 0", "seed2: int = 0", "min_object_covered: float = 0.1", *_SAMPLING_ATTRS],
    shape=_sample_distorted_shape,
    stateful=True,
)
def sample_distorted_bounding_box(image_size, bounding_boxes, min_object_covered, aspect_ratio_range, area_range,
                                  max_attempts, use_image_if_no_bounding_boxes, generator):  # fmt: skip
    """A random crop covering at least ``min_object_covered`` of one box (the whole image after max_attempts)."""
    if min_object_covered < 0:
        raise invalid(f"Min object covered must be non-negative: {min_object_covered:g}")
    _check_sampling_attrs(aspect_ratio_range, area_range, max_attempts)
    position = generator.reserve_samples32(4 * max_attempts)
    return _sample_distorted_box(position, image_size, bounding_boxes, min_object_covered, aspect_ratio_range,
                                 area_range, max_attempts, use_image_if_no_bounding_boxes)  # fmt: skip


@register_op(
    "SampleDistortedBoundingBoxV2",
    inputs=["image_size: T", "bounding_boxes: float", "min_object_covered: float"],
    outputs=_BOX_OUTPUTS,
    attrs=[_BOX_INT, "seed: int = 0", "seed2: int = 0", *_SAMPLING_ATTRS],
    shape=_sample_distorted_shape,
    stateful=True,
)
def sample_distorted_bounding_box_v2(image_size, bounding_boxes, min_object_covered, aspect_ratio_range, area_range,
                                     max_attempts, use_image_if_no_bounding_boxes, generator):  # fmt: skip
    """SampleDistortedBoundingBox with ``min_object_covered`` as a scalar input."""
    _check_sampling_attrs(aspect_ratio_range, area_range, max_attempts)
    position = generator.reserve_samples32(4 * max_attempts)
    if min_object_covered.dim() != 0:
        raise invalid(f"min_object_covered must be 0-D, got shape [{','.join(map(str, min_object_covered.shape))}]")
    return _sample_distorted_box(position, image_size, bounding_boxes, float(min_object_covered), aspect_ratio_range,
                                 area_range, max_attempts, use_image_if_no_bounding_boxes)  # fmt: skip


@register_op(
    "StatelessSampleDistortedBoundingBox",
    inputs=["image_size: T", "bounding_boxes: float", "min_object_covered: float", "seed: Tseed"],
    outputs=_BOX_OUTPUTS,
    attrs=[_BOX_INT, "Tseed: {int32, int64}", *_SAMPLING_ATTRS],
    shape=_sample_distorted_shape,
)
def stateless_sample_distorted_bounding_box(image_size, bounding_boxes, min_object_covered, seed, aspect_ratio_range,
                                            area_range, max_attempts, use_image_if_no_bounding_boxes):  # fmt: skip
    """The crop of SampleDistortedBoundingBoxV2 from the Philox position of ``seed`` (TF's GenerateKey)."""
    _check_sampling_attrs(aspect_ratio_range, area_range, max_attempts)
    if seed.dim() != 1 or seed.shape[0] != 2:
        raise invalid(f"seed must have shape [2], not [{','.join(map(str, seed.shape))}]")
    position = key_counter_from_seed(*(int(v) for v in seed.tolist()))
    if min_object_covered.dim() != 0:
        raise invalid(f"min_object_covered must be 0-D, got shape [{','.join(map(str, min_object_covered.shape))}]")
    return _sample_distorted_box(position, image_size, bounding_boxes, float(min_object_covered), aspect_ratio_range,
                                 area_range, max_attempts, use_image_if_no_bounding_boxes)  # fmt: skip


not_differentiable("SampleDistortedBoundingBox", "SampleDistortedBoundingBoxV2")
no_registered_gradient("StatelessSampleDistortedBoundingBox")  # TF declares nothing for the stateless form
