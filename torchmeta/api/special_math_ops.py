"""``tf.einsum`` / ``tf.linalg.einsum`` as TensorFlow's special_math_ops builds it (``_einsum_v2``); the special
functions (``tf.math.special.*``, ``tf.math.bessel_*``) and the generated ``tf.math.igamma``, ``igammac``, ``zeta``,
``polygamma`` and ``betainc``."""

from __future__ import annotations

import bisect
import collections
import heapq
import itertools
import re

import numpy as np

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

    More than two operands become pairwise Einsums in the order opt_einsum's greedy path search gives TF
    (``_greedy_contractions``, a port of it).
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
        if len(inputs) <= 2:
            if ellipsis_label:
                resolved_equation = resolved_equation.replace(ellipsis_label, "...")
            return raw_op("Einsum", inputs=inputs, equation=resolved_equation)
        resolved_shapes = _resolve_input_shapes(equation, resolved_equation, input_shapes, ellipsis_label)
        for operand_indices, binary_equation in _greedy_contractions(resolved_equation, resolved_shapes):
            if ellipsis_label:
                binary_equation = binary_equation.replace(ellipsis_label, "...")
            operands = [inputs.pop(i) for i in operand_indices]
            inputs.append(raw_op("Einsum", inputs=operands, equation=binary_equation))
        return inputs[0]


def _resolve_input_shapes(equation, resolved_equation, input_shapes, ellipsis_label):
    """TF's shapes for the path search: each label's largest known size (1 when unknown), an ellipsis as one
    label of the product of its known dims; raises TF's ValueErrors for inconsistent labels."""
    input_labels = resolved_equation.split("->")[0].split(",")
    label_to_dim = collections.defaultdict(lambda: 1)
    for i, (labels, shape) in enumerate(zip(input_labels, input_shapes)):
        if shape is None:
            continue
        shape = list(shape)
        ellipsis_start = labels.find(ellipsis_label) if ellipsis_label else -1
        if ellipsis_start != -1:
            if ellipsis_start != labels.rfind(ellipsis_label):
                raise ValueError(f"Too many ellipses in input label {labels.replace(ellipsis_label, '...')}.")
            if len(labels) > len(shape) + 1:
                raise ValueError(
                    f"Too many named labels in {i}th subscript string of equation {equation} for input shape {shape} "
                )
            ellipsis_end = ellipsis_start + len(shape) + 1 - len(labels)
            known = [d for d in shape[ellipsis_start:ellipsis_end] if d]
            shape[ellipsis_start:ellipsis_end] = [int(np.prod(known, dtype=np.int64))]
        elif len(labels) != len(shape):
            raise ValueError(
                f"Number of named labels in input #{i} of equation {equation} must be equal to the number of "
                f"dimensions in shape {shape}"
            )
        for dim, label in zip(shape, labels):
            if dim is not None:
                label_to_dim[label] = max(label_to_dim[label], dim)
    return [[label_to_dim[label] for label in labels] for labels in input_labels]


def _size(labels, sizes):
    result = 1
    for label in labels:
        result *= sizes[label]
    return result


def _greedy_path(inputs, output, sizes):
    """opt_einsum's greedy path (paths.ssa_greedy_optimize with the 'memory-removed' cost, then ssa_to_linear):
    Hadamard products of equal label sets first, then the pair whose result removes the most memory (ties to
    the earliest ids), then outer products smallest first."""
    fs_inputs = [frozenset(x) for x in inputs]
    output = frozenset(output) | frozenset.intersection(*fs_inputs)
    remaining = {}
    ssa_ids = itertools.count(len(fs_inputs))
    ssa_path = []
    for ssa_id, key in enumerate(fs_inputs):
        if key in remaining:
            ssa_path.append((remaining[key], ssa_id))
            remaining[key] = next(ssa_ids)
        else:
            remaining[key] = ssa_id
    dim_to_keys = collections.defaultdict(set)
    for key in remaining:
        for dim in key - output:
            dim_to_keys[dim].add(key)
    dim_ref_counts = {
        count: {dim for dim, keys in dim_to_keys.items() if len(keys) >= count} - output for count in (2, 3)
    }
    footprints = {key: _size(key, sizes) for key in remaining}

    def candidate(k1, k2):
        either, two = k1 | k2, k1 & k2
        one = either - two
        k12 = (either & output) | (two & dim_ref_counts[3]) | (one & dim_ref_counts[2])
        cost = _size(k12, sizes) - footprints[k1] - footprints[k2]
        id1, id2 = remaining[k1], remaining[k2]
        if id1 > id2:
            k1, id1, k2, id2 = k2, id2, k1, id1
        return (cost, id2, id1), k1, k2, k12

    queue = []
    for dim_keys in dim_to_keys.values():
        keys = sorted(dim_keys, key=remaining.__getitem__)
        for i, k1 in enumerate(keys[:-1]):
            heapq.heappush(queue, min(candidate(k1, k2) for k2 in keys[1 + i :]))
    while queue:
        _, k1, k2, k12 = heapq.heappop(queue)
        if k1 not in remaining or k2 not in remaining:
            continue
        ssa_id1, ssa_id2 = remaining.pop(k1), remaining.pop(k2)
        for dim in k1 - output:
            dim_to_keys[dim].remove(k1)
        for dim in k2 - output:
            dim_to_keys[dim].remove(k2)
        ssa_path.append((ssa_id1, ssa_id2))
        if k12 in remaining:
            ssa_path.append((remaining[k12], next(ssa_ids)))
        else:
            for dim in k12 - output:
                dim_to_keys[dim].add(k12)
        remaining[k12] = next(ssa_ids)
        for dim in k1 | k2 - output:
            count = len(dim_to_keys[dim])
            dim_ref_counts[2].discard(dim) if count <= 1 else dim_ref_counts[2].add(dim)
            dim_ref_counts[3].add(dim) if count > 2 else dim_ref_counts[3].discard(dim)
        footprints[k12] = _size(k12, sizes)
        k2s = {k2 for dim in k12 for k2 in dim_to_keys[dim]}
        k2s.discard(k12)
        if k2s:
            heapq.heappush(queue, min(candidate(k12, k2) for k2 in k2s))
    final = [(_size(key & output, sizes), ssa_id, key) for key, ssa_id in remaining.items()]
    heapq.heapify(final)
    _, ssa_id1, k1 = heapq.heappop(final)
    while final:
        _, ssa_id2, k2 = heapq.heappop(final)
        ssa_path.append((min(ssa_id1, ssa_id2), max(ssa_id1, ssa_id2)))
        k12 = (k1 | k2) & output
        _, ssa_id1, k1 = heapq.heappushpop(final, (_size(k12, sizes), next(ssa_ids), k12))
    # static single assignment ids -> positions in the shrinking operand list
    n = sum(map(len, ssa_path)) - len(ssa_path) + 1
    ids, path, ssa = list(range(n)), [], n
    for contraction in ssa_path:
        positions = sorted(bisect.bisect_left(ids, s) for s in contraction)
        for j in reversed(positions):
            ids.pop(j)
        ids.append(ssa)
        path.append(positions)
        ssa += 1
    return path


def _greedy_contractions(resolved_equation, shapes):
    """opt_einsum.contract_path(optimize='greedy', einsum_call=True) as TF reads it: per step the operand
    positions (descending) and the binary equation; intermediate labels in first-appearance order."""
    inputs_part, output_labels = resolved_equation.split("->")
    input_list = inputs_part.split(",")
    sizes = {}
    for labels, shape in zip(input_list, shapes):
        for label, dim in zip(labels, shape):
            if sizes.get(label, 1) == 1:
                sizes[label] = int(dim)
    input_sets = [frozenset(x) for x in input_list]
    output_set = frozenset(output_labels)
    path = _greedy_path(input_sets, output_set, sizes)
    steps = []
    for cnum, positions in enumerate(path):
        positions = tuple(sorted(positions, reverse=True))
        used = [input_sets.pop(i) for i in positions]
        new_result = output_set.union(*input_sets) & frozenset.union(*used)
        input_sets.append(new_result)
        operands = [input_list.pop(i) for i in positions]
        if cnum == len(path) - 1:
            result = output_labels
        else:
            all_labels = "".join(operands)
            result = "".join(sorted(new_result, key=all_labels.find))
        input_list.append(result)
        steps.append((positions, ",".join(operands) + "->" + result))
    return steps


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
