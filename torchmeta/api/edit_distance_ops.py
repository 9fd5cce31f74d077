"""``tf.edit_distance``: Levenshtein distances between sparse sequences (TF's array_ops.edit_distance)."""

from __future__ import annotations

from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.sparse_tensor import SparseTensor, SparseTensorValue

__all__ = ["edit_distance"]


def edit_distance(hypothesis, truth, normalize=True, name="edit_distance"):
    """``tf.edit_distance``: per batch position (all index dims but the last), the edit distance from the
    ``hypothesis`` sequence to the ``truth`` one, divided by the truth's length when ``normalize``.

    Raises:
      TypeError: if either argument is not a SparseTensor (or SparseTensorValue).
    """
    if not isinstance(hypothesis, (SparseTensor, SparseTensorValue)):
        raise TypeError("Hypothesis must be a SparseTensor.")
    if not isinstance(truth, (SparseTensor, SparseTensorValue)):
        raise TypeError("Truth must be a SparseTensor.")
    return raw_op(
        "EditDistance",
        hypothesis_indices=hypothesis.indices,
        hypothesis_values=hypothesis.values,
        hypothesis_shape=hypothesis.dense_shape,
        truth_indices=truth.indices,
        truth_values=truth.values,
        truth_shape=truth.dense_shape,
        normalize=normalize,
        name=name,
    )
