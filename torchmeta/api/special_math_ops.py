"""``tf.einsum`` / ``tf.linalg.einsum`` as TensorFlow's special_math_ops builds it (``_einsum_v2``); the special
functions (``tf.math.special.*``, ``tf.math.bessel_*``) and the generated ``tf.math.igamma``, ``igammac``, ``zeta``,
``polygamma`` and ``betainc``."""

from __future__ import annotations

import collections
import re

from torchmeta.framework.graph import name_scope
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.tensor_shape import TensorShape

__all__ = [
    "einsum",
    "igamma",
    "igammac",
    "zeta",
    "polygamma",
    "betainc",
    "bessel_i0",
    "bessel_i0e",
    "bessel_i1",
    "bessel_i1e",
    "bessel_k0",
    "bessel_k0e",
    "bessel_k1",
    "bessel_k1e",
    "bessel_j0",
    "bessel_j1",
    "bessel_y0",
    "bessel_y1",
    "fresnel_cos",
    "fresnel_sin",
    "dawsn",
    "expint",
    "spence",
]


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


def igamma(a, x, name=None):
    """``tf.math.igamma``: the regularized lower incomplete gamma function P(a, x)."""
    return raw_op("Igamma", a=a, x=x, name=name)


def igammac(a, x, name=None):
    """``tf.math.igammac``: the regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    return raw_op("Igammac", a=a, x=x, name=name)


def zeta(x, q, name=None):
    """``tf.math.zeta``: the Hurwitz zeta function."""
    return raw_op("Zeta", x=x, q=q, name=name)


def polygamma(a, x, name=None):
    """``tf.math.polygamma``: the ``a``-th derivative of digamma."""
    return raw_op("Polygamma", a=a, x=x, name=name)


def betainc(a, b, x, name=None):
    """``tf.math.betainc``: the regularized incomplete beta integral I_x(a, b)."""
    return raw_op("Betainc", a=a, b=b, x=x, name=name)


def _special(op_type: str, scope: str, doc: str):
    """A ``tf.math.special`` function: the op under ``name_scope(name, scope)``, as TF's special_math_ops."""

    def fn(x, name=None):
        with name_scope(name, scope, [x]):
            return raw_op(op_type, x=x)

    fn.__name__ = fn.__qualname__ = scope
    fn.__doc__ = doc
    return fn


bessel_i0 = _special("BesselI0", "bessel_i0", "``tf.math.special.bessel_i0``: the modified Bessel function I0.")
bessel_i0e = _special("BesselI0e", "bessel_i0e", "``tf.math.special.bessel_i0e``: ``exp(-|x|) * I0(x)``.")
bessel_i1 = _special("BesselI1", "bessel_i1", "``tf.math.special.bessel_i1``: the modified Bessel function I1.")
bessel_i1e = _special("BesselI1e", "bessel_i1e", "``tf.math.special.bessel_i1e``: ``exp(-|x|) * I1(x)``.")
bessel_k0 = _special("BesselK0", "bessel_k0", "``tf.math.special.bessel_k0``: the modified Bessel function K0.")
bessel_k0e = _special("BesselK0e", "bessel_k0e", "``tf.math.special.bessel_k0e``: ``exp(x) * K0(x)``.")
bessel_k1 = _special("BesselK1", "bessel_k1", "``tf.math.special.bessel_k1``: the modified Bessel function K1.")
bessel_k1e = _special("BesselK1e", "bessel_k1e", "``tf.math.special.bessel_k1e``: ``exp(x) * K1(x)``.")
bessel_j0 = _special("BesselJ0", "bessel_j0", "``tf.math.special.bessel_j0``: the Bessel function J0.")
bessel_j1 = _special("BesselJ1", "bessel_j1", "``tf.math.special.bessel_j1``: the Bessel function J1.")
bessel_y0 = _special("BesselY0", "bessel_y0", "``tf.math.special.bessel_y0``: the Bessel function Y0.")
bessel_y1 = _special("BesselY1", "bessel_y1", "``tf.math.special.bessel_y1``: the Bessel function Y1.")
fresnel_cos = _special("FresnelCos", "fresnel_cos", "``tf.math.special.fresnel_cos``: integral of cos(pi t^2 / 2).")
fresnel_sin = _special("FresnelSin", "fresnel_sin", "``tf.math.special.fresnel_sin``: integral of sin(pi t^2 / 2).")
dawsn = _special("Dawsn", "dawsn", "``tf.math.special.dawsn``: Dawson's integral.")
expint = _special("Expint", "expint", "``tf.math.special.expint``: the exponential integral Ei(x).")
spence = _special("Spence", "spence", "``tf.math.special.spence``: Spence's integral.")
