"""Einsum: TF's equation rules (any character but ``.`` is a label, one ellipsis per subscript, repeated labels
take diagonals in the inputs and fill diagonals in the output, ellipsis dims broadcast, named dims do not),
its shape function (``EinsumShape``), kernel errors (``einsum_op_impl.h``) and gradient (``linalg_grad.py``).
"""

from __future__ import annotations

import string

import torch

from torchmeta.api import array_ops, math_ops
from torchmeta.dtypes import DType
from torchmeta.framework.common_shapes import (
    broadcast_shapes,
    format_dims,
    merge_dim,
    shape_error,
    with_rank,
    with_rank_at_least,
    with_rank_at_most,
)
from torchmeta.framework.graph import convert_to_tensor
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.registry import register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.ops.common import invalid, str_attr

_ELLIPSIS = "..."


# ---------------------------------------------------------------------------------------------
# Parsing (TF's ParseEinsumEquation / ValidateEinsumEllipsis, with their messages)


def parse_equation(equation: str) -> tuple[list[str], str]:
    """(input subscripts, output subscript); raises ValueError with TF's message."""
    if equation.count("->") != 1:
        raise ValueError(f"Expecting exactly one '->' in einsum equation: {equation}")
    inputs, output = equation.split("->")
    subscripts = inputs.split(",")
    if not 1 <= len(subscripts) <= 2:
        raise ValueError(f"Expecting 1 or 2 input subscripts in equation '{equation}' but got: {len(subscripts)}")
    return subscripts, output


def _ellipsis(subscript: str) -> bool:
    """Whether ``subscript`` has its one ellipsis (TF's ValidateEinsumEllipsis, which says "input" for the output
    subscript too)."""
    periods = subscript.count(".")
    if periods not in (0, 3) or (periods == 3 and _ELLIPSIS not in subscript):
        raise ValueError(
            f"Expected at most one ellipsis (...), but found {periods} periods (.) in the input subscript: {subscript}"
        )
    return periods == 3


def _tokens(subscript: str) -> list[str]:
    """The subscript's labels, its ellipsis as one token."""
    return [_ELLIPSIS if c == "." else c for c in subscript.replace(_ELLIPSIS, ".")]


def _equation_parts(op):
    equation = str_attr(op, "equation")
    try:
        subscripts, output = parse_equation(equation)
    except ValueError as e:
        raise shape_error(op, str(e)) from None
    return equation, subscripts, output


# ---------------------------------------------------------------------------------------------
# Shape function (TF's EinsumShape)


def _einsum_shape(op):
    equation, subscripts, output = _equation_parts(op)
    n = len(op.inputs)
    if n == 0 or n > 2:
        raise shape_error(op, f"Expected either 1 or 2 inputs but got: {n}")
    if n != len(subscripts):
        raise shape_error(op, f"Expected {len(subscripts)} inputs for equation {equation} but got: {n}")
    label_dims: dict[str, int | None] = {}
    bcast_shapes = []
    for i, subscript in enumerate(subscripts):
        try:
            has_ellipsis = _ellipsis(subscript)
        except ValueError as e:
            raise shape_error(op, str(e)) from None
        shape = op.inputs[i].shape
        tokens = _tokens(subscript)
        named = len(tokens) - (1 if has_ellipsis else 0)
        if shape.rank is not None:
            try:
                if has_ellipsis:
                    with_rank_at_least(op, shape, named)
                else:
                    with_rank(op, shape, named)
            except ValueError as e:
                message = str(e).split(" for '{{node ", 1)[0]
                raise shape_error(op, f"{message}\n\t for {i}th input and equation: {equation}") from None
        dims = shape.as_tuple()
        bcast = TensorShape([])
        seen_ellipsis = False
        for idx, token in enumerate(tokens):
            if token == _ELLIPSIS:
                bcast = unknown_shape() if dims is None else TensorShape(list(dims[idx : idx + len(dims) - named]))
                seen_ellipsis = True
                continue
            if dims is None:
                dim = None
            else:
                axis = idx + len(dims) - len(tokens) if seen_ellipsis else idx
                dim = dims[axis]
            label_dims[token] = merge_dim(op, label_dims[token], dim) if token in label_dims else dim
        bcast_shapes.append(bcast)
    out_bcast = bcast_shapes[0] if n == 1 else broadcast_shapes(bcast_shapes[0], bcast_shapes[1], op)
    try:
        out_has_ellipsis = _ellipsis(output)
    except ValueError as e:
        raise shape_error(op, str(e)) from None
    if out_has_ellipsis:
        if out_bcast.rank is None:
            return [unknown_shape()]
    else:
        try:
            with_rank_at_most(op, out_bcast, 0)
        except ValueError as e:
            message = str(e).split(" for '{{node ", 1)[0]
            raise shape_error(
                op,
                f"{message}\n\t for einsum equation '{equation}' without ellipsis (...) in the output subscripts "
                "where input(s) have non-empty broadcasting shape",
            ) from None
        out_bcast = TensorShape([])
    out_dims = []
    for token in _tokens(output):
        if token == _ELLIPSIS:
            out_dims.extend(out_bcast.as_tuple())
            continue
        if token not in label_dims:
            raise shape_error(
                op,
                f"Einsum output subscripts for equation '{equation}' has label '{token}' which is not present in "
                "the input subscripts",
            )
        out_dims.append(label_dims[token])
    return [TensorShape(out_dims)]


# ---------------------------------------------------------------------------------------------
# Kernel


def _diagonal_fill(values, out_tokens, unique):
    """The output with repeated labels: ``values`` (axes in ``unique`` order) on the diagonals, zeros elsewhere."""
    sizes = dict(zip(unique, values.shape))
    out = values.new_zeros([sizes[t] for t in out_tokens])
    index = []
    for t in out_tokens:
        axis = unique.index(t)
        shape = [1] * len(unique)
        shape[axis] = sizes[t]
        index.append(torch.arange(sizes[t], device=values.device).reshape(shape))
    out[tuple(index)] = values
    return out


def _check_dims(inputs, subscripts):
    """TF's EinsumHelper checks: ranks, one size per label, broadcastable ellipsis dims; returns the ellipsis
    shapes."""
    label_dims = {}
    bcasts = []
    for i, (x, subscript) in enumerate(zip(inputs, subscripts)):
        tokens = _tokens(subscript)
        has_ellipsis = _ELLIPSIS in tokens
        named = len(tokens) - (1 if has_ellipsis else 0)
        if has_ellipsis and x.dim() < named:
            raise invalid(f"Expected input {i} to have rank at least {named} but got: {x.dim()}")
        if not has_ellipsis and x.dim() != named:
            raise invalid(f"Expected input {i} to have rank {named} but got: {x.dim()}")
        n_bcast = x.dim() - named
        axis = 0
        bcast = ()
        for token in tokens:
            if token == _ELLIPSIS:
                bcast = tuple(x.shape[axis : axis + n_bcast])
                axis += n_bcast
                continue
            dim = x.shape[axis]
            if token in label_dims and label_dims[token] != dim:
                raise invalid(
                    f"Expected dimension {label_dims[token]} at axis {axis} of the input shaped "
                    f"{format_dims(x.shape)} but got dimension {dim}"
                )
            label_dims.setdefault(token, dim)
            axis += 1
        bcasts.append(bcast)
    if len(bcasts) == 2:
        a, b = bcasts
        try:
            torch.broadcast_shapes(a, b)
        except RuntimeError:
            raise invalid(
                f"In[0] and In[1] must have compatible batch dimensions: {format_dims(inputs[0].shape)} vs. "
                f"{format_dims(inputs[1].shape)}"
            ) from None
        return torch.broadcast_shapes(a, b)
    return torch.Size(bcasts[0])


@register_op(
    "Einsum",
    inputs=["inputs: N * T"],
    outputs=["output: T"],
    attrs=["equation: string", "N: int >= 1", "T: type"],
    shape=_einsum_shape,
)
def einsum(inputs, equation):
    """torch.einsum over the labels renamed to letters; repeated output labels fill diagonals."""
    try:
        subscripts, output = parse_equation(equation)
        for subscript in subscripts:
            _ellipsis(subscript)
        _ellipsis(output)
    except ValueError as e:
        raise invalid(str(e)) from None
    out_bcast = _check_dims(inputs, subscripts)
    out_tokens = _tokens(output)
    if _ELLIPSIS not in out_tokens and len(out_bcast):
        raise invalid(
            f"Output contains {len(out_bcast)} broadcasting dimension(s) but no ellipsis (...) was found in the "
            "output subscripts."
        )
    letters = {}
    for token in [t for s in subscripts for t in _tokens(s)] + out_tokens:
        if token != _ELLIPSIS and token not in letters:
            letters[token] = string.ascii_letters[len(letters)]

    def spec(tokens):
        return "".join(_ELLIPSIS if t == _ELLIPSIS else letters[t] for t in tokens)

    unique = list(dict.fromkeys(out_tokens))
    values = torch.einsum(",".join(spec(_tokens(s)) for s in subscripts) + "->" + spec(unique), *inputs)
    if len(unique) == len(out_tokens):
        return values
    if _ELLIPSIS in unique:  # the ellipsis dims as single tokens for the diagonal fill
        at = unique.index(_ELLIPSIS)
        k = len(out_bcast)
        names = [f"{_ELLIPSIS}{j}" for j in range(k)]
        unique = unique[:at] + names + unique[at + 1 :]
        at_out = out_tokens.index(_ELLIPSIS)
        out_tokens = out_tokens[:at_out] + names + out_tokens[at_out + 1 :]
    return _diagonal_fill(values, out_tokens, unique)


# ---------------------------------------------------------------------------------------------
# Gradient (TF's linalg_grad._EinsumGrad, line for line)


def _get_axis_from_label(subscripts, label):
    splits = subscripts.split(_ELLIPSIS)
    index = splits[0].find(label)
    if index != -1:
        return index
    if len(splits) < 2:
        return None
    index = splits[1].find(label)
    if index != -1:
        return index - len(splits[1])
    return None


def _get_bcast_subshape(subscripts):
    start = subscripts.find(_ELLIPSIS)
    if start == -1:
        return 0, 0
    remaining = len(subscripts) - (start + len(_ELLIPSIS))
    end = -remaining if remaining > 0 else None
    return start, end


def _get_reduced_subscripts(reduced_label_set, input_shape, subscripts):
    reduced_subs = "".join(list(reduced_label_set))
    reduced_axes = [_get_axis_from_label(subscripts, s) for s in reduced_subs]
    reduced_dims = array_ops.stack([input_shape[ax] for ax in reduced_axes])
    return reduced_subs, reduced_dims, reduced_axes


def _get_grad_reduced(output_grad, output_subs, input_subs, input_shape, reduced_label_set):
    reduced_subs, reduced_dims, reduced_axes = _get_reduced_subscripts(reduced_label_set, input_shape, input_subs)
    has_repeated_labels = len(set(input_subs)) + len(set(output_subs)) < len(input_subs) + len(output_subs)
    input_subs_without_reduced_labels = "".join([s for s in input_subs if s not in reduced_label_set])
    if not has_repeated_labels and input_subs_without_reduced_labels == output_subs:
        reduced_shape = math_ops.reduced_shape(input_shape, convert_to_tensor(reduced_axes))
        return array_ops.broadcast_to(array_ops.reshape(output_grad, reduced_shape), input_shape)
    grad_shape_with_reduced_labels = array_ops.concat([reduced_dims, array_ops.shape(output_grad)], axis=0)
    reduced_shape = array_ops.concat(
        [array_ops.ones(len(reduced_label_set), dtype=DType.int32), array_ops.shape(output_grad)], axis=0
    )
    broadcasted_grad = array_ops.broadcast_to(
        array_ops.reshape(output_grad, reduced_shape), grad_shape_with_reduced_labels
    )
    return raw_op("Einsum", inputs=[broadcasted_grad], equation=f"{reduced_subs + output_subs}->{input_subs}")


def _get_grad_wrt(output_grad, other_operand, input_shape, input_subs, other_subs, output_subs):
    reduced_label_set = set(input_subs).difference(set(output_subs + other_subs + "."))
    left_subs = "".join(s for s in input_subs if s not in reduced_label_set)
    grad_reduced = raw_op(
        "Einsum", inputs=[output_grad, other_operand], equation=f"{output_subs},{other_subs}->{left_subs}"
    )
    if not reduced_label_set:
        return grad_reduced
    return _get_grad_reduced(grad_reduced, left_subs, input_subs, input_shape, reduced_label_set)


@register_gradient("Einsum")
def _einsum_grad(op, grad):
    """Einsums of the gradient with the other operand, reductions broadcast back, broadcast dims summed."""
    equation = str_attr(op, "equation")
    input_subs, output_subs = equation.split("->")
    if len(op.inputs) == 1:
        input_shape = array_ops.shape(op.inputs[0])
        reduced_label_set = set(input_subs).difference(set(output_subs + _ELLIPSIS))
        if not reduced_label_set:
            return raw_op("Einsum", inputs=[grad], equation=f"{output_subs}->{input_subs}")
        return _get_grad_reduced(grad, output_subs, input_subs, input_shape, reduced_label_set)
    x_subs, y_subs = input_subs.split(",")
    if _ELLIPSIS in output_subs:
        if _ELLIPSIS not in x_subs:
            x_subs += _ELLIPSIS
        if _ELLIPSIS not in y_subs:
            y_subs += _ELLIPSIS
    x, y = op.inputs[0], op.inputs[1]
    if grad.dtype.is_complex:
        x = math_ops.conj(x)
        y = math_ops.conj(y)
    x_shape = array_ops.shape(x)
    y_shape = array_ops.shape(y)
    grad_x = _get_grad_wrt(grad, y, x_shape, x_subs, y_subs, output_subs)
    grad_y = _get_grad_wrt(grad, x, y_shape, y_subs, x_subs, output_subs)
    if _ELLIPSIS not in output_subs:
        return grad_x, grad_y
    bx_start, bx_end = _get_bcast_subshape(x_subs)
    by_start, by_end = _get_bcast_subshape(y_subs)
    x_shape_static = x.shape
    y_shape_static = y.shape
    if (
        x_shape_static.is_fully_defined()
        and y_shape_static.is_fully_defined()
        and x_shape_static[bx_start:bx_end] == y_shape_static[by_start:by_end]
    ):
        return grad_x, grad_y
    rx, ry = raw_op("BroadcastGradientArgs", s0=x_shape[bx_start:bx_end], s1=y_shape[by_start:by_end])
    grad_x = array_ops.reshape(math_ops.reduce_sum(grad_x, bx_start + rx), x_shape)
    grad_y = array_ops.reshape(math_ops.reduce_sum(grad_y, by_start + ry), y_shape)
    return grad_x, grad_y
