"""``tf.einsum`` / ``tf.linalg.einsum`` as TensorFlow's special_math_ops builds it (``_einsum_v2``)."""

from __future__ import annotations

import collections
import re

from torchmeta.framework.graph import name_scope
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.tensor_shape import TensorShape

__all__ = ["einsum"]


def _parse_and_resolve_equation(equation, input_shapes):
    """TF's _einsum_v2_parse_and_resolve_equation: spaces removed, the ellipsis as the label ``0``, the
    implicit output (labels appearing once, sorted) made explicit; raises TF's ValueErrors."""
    resolved_equation = equation.replace(" ", "")
    ellipsis_label = None
    if "..." in equation:
        ellipsis_label = "0"
        if ellipsis_label in resolved_equation:
            raise ValueError(f'Invalid character "{ellipsis_label}" in equation: {equation}.')
        resolved_equation = resolved_equation.replace("...", ellipsis_label)
    allowed_labels = "a-zA-Z"
    if ellipsis_label:
        allowed_labels += ellipsis_label
    match = re.match(f"^([{allowed_labels},]*)(->[{allowed_labels}]*)?$", resolved_equation)
    if not match:
        raise ValueError(f"Subscripts have incorrect format: {resolved_equation}")
    input_labels = match.group(1).split(",")
    output_labels = match.group(2)[2:] if match.group(2) else None
    if len(input_shapes) != len(input_labels):
        raise ValueError(f'Got {len(input_shapes)} inputs for equation "{equation}", expecting {len(input_labels)}')
    if "->" not in resolved_equation:
        label_counts = collections.Counter(match.group(1))
        output_labels = "".join([x for x in sorted(list(label_counts)) if x != "," and label_counts[x] == 1])
        resolved_equation += "->" + output_labels
    if output_labels and len(set(output_labels)) != len(output_labels):
        raise ValueError(f"Output subscripts contain a label appearing more than once: {equation}")
    input_label_set = set(match.group(1))
    for label in output_labels:
        if label != ellipsis_label and label not in input_label_set:
            raise ValueError(f"Output subscripts contain the label {label} not present in the input subscripts.")
    if ellipsis_label and output_labels and output_labels.count(ellipsis_label) > 1:
        raise ValueError(f"Output subscripts contain multiple ellipsis: {equation}")
    return resolved_equation, ellipsis_label


def einsum(equation, *inputs, **kwargs):
    """``tf.einsum``: one Einsum op (named ``einsum/Einsum``) for one or two operands.

    Raises:
      TypeError: for keyword arguments other than ``name`` and ``optimize``.
      ValueError: for a malformed equation or the wrong number of inputs (TF's messages).
      NotImplementedError: for more than two operands (TF orders their pairwise Einsums with opt_einsum's
        contraction-path search, which is not reproduced).
    """
    name = kwargs.pop("name", None)
    kwargs.pop("optimize", "greedy")
    if kwargs:
        raise TypeError(
            f"Invalid keyword arguments for einsum: {', '.join(kwargs)}. Valid arguments: name, optimize, greedy."
        )
    with name_scope(name, "einsum", [equation, inputs]):
        inputs = list(inputs)
        input_shapes = []
        for operand in inputs:
            if isinstance(operand.shape, TensorShape):
                input_shapes.append(operand.shape.as_list() if operand.shape else None)
            else:
                input_shapes.append(list(operand.shape))
        resolved_equation, ellipsis_label = _parse_and_resolve_equation(equation, input_shapes)
        if len(inputs) > 2:
            raise NotImplementedError(
                "tf.einsum with more than two operands is not supported yet (TensorFlow orders the pairwise "
                "contractions with opt_einsum); contract them pairwise with tf.einsum"
            )
        if ellipsis_label:
            resolved_equation = resolved_equation.replace(ellipsis_label, "...")
        return raw_op("Einsum", inputs=inputs, equation=resolved_equation)
