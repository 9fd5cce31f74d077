"""Samples for CTCGreedyDecoder (torchmeta/ops/ctc_ops.py): merged and unmerged repeats, blank_index at either
end and in between, sequences shorter than max_time (and empty), ties and NaN logits, float64, unknown shapes."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample

S = Sample
f32, f64, i32 = np.float32, np.float64, np.int32
_rng = np.random.default_rng(29)

_LOGITS = _rng.standard_normal((6, 3, 4)).astype(f32)
_LOGITS[1:3, 0] = [0, 0, 5, 0]  # a repeated class 2 at steps 1 and 2 of sequence 0
_LOGITS[4, 1] = [1, 3, 3, 0]  # a tie: the first maximum wins
_LENGTHS = np.array([6, 4, 0], i32)
_NAN = _LOGITS.copy()
_NAN[0, 0, 0] = np.nan  # NaN in class 0: nothing is greater, class 0 is chosen
_NAN[1, 1, 2] = np.nan  # NaN later in a row: never chosen

SAMPLES: list[Sample] = [
    S("CTCGreedyDecoder", {"inputs": _LOGITS, "sequence_length": _LENGTHS}, id="default"),
    S("CTCGreedyDecoder", {"inputs": _LOGITS, "sequence_length": _LENGTHS}, {"merge_repeated": True}, id="merge"),
    S("CTCGreedyDecoder", {"inputs": _LOGITS, "sequence_length": _LENGTHS}, {"blank_index": 0}, id="blank-0"),
    S("CTCGreedyDecoder", {"inputs": _LOGITS, "sequence_length": _LENGTHS}, {"blank_index": -3, "merge_repeated": True},
      id="blank-negative"),
    S("CTCGreedyDecoder", {"inputs": _LOGITS.astype(f64), "sequence_length": np.array([3, 6, 1], i32)},
      {"merge_repeated": True}, id="f64"),
    S("CTCGreedyDecoder", {"inputs": _NAN, "sequence_length": _LENGTHS}, id="nan"),
    S("CTCGreedyDecoder", {"inputs": np.zeros((3, 2, 5), f32) + np.eye(5, dtype=f32)[4], "sequence_length":
      np.array([3, 2], i32)}, id="all-blank"),
    S("CTCGreedyDecoder", {"inputs": _LOGITS, "sequence_length": np.array([-1, 2, 0], i32)}, id="negative-length"),
    S("CTCGreedyDecoder", {"inputs": _LOGITS, "sequence_length": _LENGTHS}, {"merge_repeated": True},
      fed={"inputs": [None, None, 4], "sequence_length": [None]}, id="unknown"),
]  # fmt: skip

_BEAM_LOGITS = _rng.standard_normal((7, 3, 5)).astype(f32)
_BEAM_LENGTHS = np.array([7, 4, 1], i32)

SAMPLES += [
    S("CTCBeamSearchDecoder", {"inputs": _BEAM_LOGITS, "sequence_length": _BEAM_LENGTHS},
      {"beam_width": 4, "top_paths": 2}, id="default"),
    S("CTCBeamSearchDecoder", {"inputs": _BEAM_LOGITS, "sequence_length": _BEAM_LENGTHS},
      {"beam_width": 1, "top_paths": 1, "merge_repeated": False}, id="width-1"),
    S("CTCBeamSearchDecoder", {"inputs": _BEAM_LOGITS * 3, "sequence_length": _BEAM_LENGTHS},
      {"beam_width": 8, "top_paths": 3, "merge_repeated": False}, id="wide", rtol=1e-5),
    S("CTCBeamSearchDecoder", {"inputs": _BEAM_LOGITS.astype(np.float64), "sequence_length": np.array([5, 7, 3], i32)},
      {"beam_width": 5, "top_paths": 2}, id="f64"),
    S("CTCBeamSearchDecoder", {"inputs": _BEAM_LOGITS, "sequence_length": _BEAM_LENGTHS},
      {"beam_width": 3, "top_paths": 1}, fed={"inputs": [None, None, 5]}, id="unknown"),
]  # fmt: skip

# CTCLoss: time-major logits [max_time, batch, classes] (blank = the last class), labels as a SparseTensor's
# indices and values. Entry 0 has a repeated label (merged or not), entry 1 a short sequence, entry 2 a label
# sequence longer than its input (an error unless ignore_longer_outputs_than_inputs, then loss and gradient 0).
_CTC_LOGITS = _rng.standard_normal((6, 3, 5)).astype(f32) * 2
_CTC_INDICES = np.array([[0, 0], [0, 1], [0, 2], [0, 3], [1, 0], [1, 1], [2, 0], [2, 1], [2, 2]], np.int64)
_CTC_VALUES = np.array([1, 1, 2, 3, 0, 2, 3, 1, 0], i32)
_CTC_FIT = np.array([6, 4, 3], i32)
_CTC_SHORT = np.array([6, 3, 2], i32)


def _ctc(lengths, **extra):
    return {
        "inputs": _CTC_LOGITS,
        "labels_indices": _CTC_INDICES,
        "labels_values": _CTC_VALUES,
        "sequence_length": lengths,
        **extra,
    }


SAMPLES += [
    S("CTCLoss", _ctc(_CTC_FIT), id="default"),
    S("CTCLoss", _ctc(_CTC_FIT), {"ctc_merge_repeated": False}, id="no-merge"),
    S("CTCLoss", _ctc(_CTC_FIT), {"preprocess_collapse_repeated": True}, id="collapse"),
    S("CTCLoss", _ctc(_CTC_FIT), {"preprocess_collapse_repeated": True, "ctc_merge_repeated": False},
      id="collapse-no-merge"),
    S("CTCLoss", _ctc(_CTC_SHORT), {"ignore_longer_outputs_than_inputs": True}, id="ignore-longer"),
    S("CTCLoss", _ctc(np.array([4, 0, 3], i32)), {"ignore_longer_outputs_than_inputs": True}, id="empty-sequence"),
    S("CTCLoss", _ctc(np.array([4, 4, 3], i32)), id="no-valid-path"),  # 1 1 2 3 needs 5 steps: infinite loss
    S("CTCLoss", {**_ctc(_CTC_FIT), "inputs": _CTC_LOGITS.astype(f64)}, id="f64"),
    S("CTCLoss", _ctc(_CTC_FIT), fed={"inputs": [None, None, 5], "labels_indices": [None, 2]}, id="unknown"),
    # Labels at or past the blank (4) end a sequence: they are dropped, but still count as required time.
    S("CTCLoss", _ctc(_CTC_FIT, labels_values=np.array([1, 4, 4, 9, 0, 2, 3, 1, 4], i32)), id="trailing-blanks"),
]  # fmt: skip
