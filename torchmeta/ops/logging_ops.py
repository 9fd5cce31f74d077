"""Logging ops: Assert (tf.Assert), Print (TF1's tf.Print), StringFormat and PrintV2 (tf.print), as TF's kernels.

``Assert`` fails the run with InvalidArgumentError "assertion failed: [d0] [d1] ..." (each data tensor
summarized as below) when its condition is false.

``Print`` writes ``message`` and each data tensor summarized as ``Tensor::SummarizeValue`` does (the first
``summarize`` elements in nested brackets, ``...`` when cut), to standard error, for the first
``first_n`` runs of the node in a session (all runs when -1). ``StringFormat`` fills a template's
placeholders with tensors summarized numpy-style (``summarize`` elements at each end of every
dimension, `` ... `` between). ``PrintV2`` writes a string to ``stderr``, ``stdout``, ``file://<path>``
(appended), or through the ``tensorflow`` logger for ``log(info)``/``log(warning)``/``log(error)``
(TensorFlow's C++ kernel logs through its C++ logger instead).
"""

from __future__ import annotations

import struct
import sys

import numpy as np
import torch

from torchmeta import errors
from torchmeta.dtypes import torch_to_numpy
from torchmeta.framework import common_shapes
from torchmeta.framework.common_shapes import shape_error
from torchmeta.framework.registry import no_registered_gradient, not_differentiable, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape
from torchmeta.platform import tf_logging

__all__ = ["summarize_value", "summarize_value_v2"]


# ---------------------------------------------------------------------------------------------
# Formatting elements and tensors as TF's tensor.cc does


def _float_text(x: float, single: bool) -> str:
    """TF's StrCat of a float (%.6g, or %.9g when that does not round-trip) or double (%.15g / %.17g)."""
    if np.isnan(x):
        return "nan" if not np.signbit(x) else "-nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    short, full = (6, 9) if single else (15, 17)
    text = f"{x:.{short}g}"
    if single:
        round_trip = struct.unpack("f", struct.pack("f", float(text)))[0] == struct.unpack("f", struct.pack("f", x))[0]
    else:
        round_trip = float(text) == x
    return text if round_trip else f"{x:.{full}g}"


def _escape(data: bytes) -> str:
    """absl::CEscape: C escapes for quotes, backslash and control characters, octal for other bytes."""
    out = []
    for b in data:
        c = chr(b)
        if c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif c in "\"'\\":
            out.append("\\" + c)
        elif b < 0x20 or b >= 0x7F:
            out.append(f"\\{b:03o}")
        else:
            out.append(c)
    return "".join(out)


def _element(x, kind: str, v2: bool) -> str:
    if kind == "string":
        data = x if isinstance(x, bytes) else str(x).encode()
        return f'"{_escape(data)}"' if v2 else _escape(data)
    if kind == "bool":
        return "1" if x else "0"
    if kind in ("f16", "f32"):
        return _float_text(float(x), True)
    if kind == "f64":
        return _float_text(float(x), False)
    if kind == "int":
        return str(int(x))
    return "?"


def _as_array(value):
    """(flat numpy values, shape, element kind) of a kernel input (torch tensor or numpy string array)."""
    if isinstance(value, np.ndarray):
        return value.reshape(-1), value.shape, "string"
    t = value.detach().cpu()
    shape = tuple(t.shape)
    if t.dtype == torch.bool:
        kind = "bool"
    elif t.dtype in (torch.float16, torch.bfloat16, torch.float32):
        kind = "f16" if t.dtype != torch.float32 else "f32"
        t = t.float()
    elif t.dtype == torch.float64:
        kind = "f64"
    elif t.is_complex() or t.dtype.is_floating_point:
        kind = "other"
    else:
        kind = "int"
    return torch_to_numpy(t).reshape(-1), shape, kind


def summarize_value(value, max_entries: int) -> str:
    """``Tensor::SummarizeValue(max_entries)`` (what TF1's Print prints): the first entries, row-major."""
    flat, shape, kind = _as_array(value)
    num = flat.size
    limit = num if max_entries < 0 else min(max_entries, num)
    if not shape:
        text = " ".join(_element(flat[i], kind, False) for i in range(limit))
        return text + ("..." if num > limit else "")
    out: list = []
    index = [0]

    def one_dim(dim):
        if index[0] >= limit:
            return
        count = shape[dim]
        if dim == len(shape) - 1:
            for i in range(count):
                if index[0] >= limit:
                    if dim != 0:
                        out.append("...")
                    return
                if i > 0:
                    out.append(" ")
                out.append(_element(flat[index[0]], kind, False))
                index[0] += 1
            return
        for _ in range(count):
            opened = False
            if index[0] < limit:
                out.append("[")
                opened = True
            one_dim(dim + 1)
            if index[0] < limit or opened:
                out.append("]")

    one_dim(0)
    return "".join(out) + ("..." if num > limit else "")


def summarize_value_v2(value, summarize: int) -> str:
    """``Tensor::SummarizeValue(summarize, print_v2=true)``: numpy-like, ``summarize`` entries at each end."""
    flat, shape, kind = _as_array(value)
    num = flat.size
    ends = num if summarize < 0 else min(summarize, num)
    if not shape:
        text = " ".join(_element(flat[i], kind, True) for i in range(ends))
        return text + ("..." if num > ends else "")
    ndim = len(shape)
    out: list = []

    def spacing(dim):
        if dim == ndim - 1:
            out.append(" ")
            return
        out.append("\n" * (ndim - dim - 1))
        out.append(" " * (dim + 1))

    def one_dim(dim, offset):
        if dim == ndim:
            out.append(_element(flat[offset], kind, True))
            return
        out.append("[")
        count = shape[dim]
        start_of_end = max(ends, count - ends)
        per = int(np.prod(shape[dim + 1 :], dtype=np.int64))
        for i in range(min(ends, count)):
            if i > 0:
                spacing(dim)
            one_dim(dim + 1, offset + per * i)
        if count > 2 * ends:
            spacing(dim)
            out.append("...")
        for i in range(start_of_end, count):
            spacing(dim)
            one_dim(dim + 1, offset + per * i)
        out.append("]")

    one_dim(0, 0)
    return "".join(out)


def _string_scalar(text: str) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = text.encode()
    return out


# ---------------------------------------------------------------------------------------------
# The ops


@register_op(
    "Print",
    inputs=["input: T", "data: U"],
    outputs=["output: T"],
    attrs=["T: type", "U: list(type) >= 0", 'message: string = ""', "first_n: int = -1", "summarize: int = 3"],
    shape=common_shapes.unchanged,
    stateful=True,
)
def print_op(input, data, message, first_n, summarize, state, node_name):
    if first_n >= 0:
        key = ("Print", node_name)
        count = state.resources.get(key, 0)
        if count >= first_n:
            return input
        state.resources[key] = count + 1
    text = message + "".join(f"[{summarize_value(d, summarize)}]" for d in data)
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
    return input


@register_gradient("Print")
def _print_grad(op, grad):
    # TF's _PrintGrad: the gradient passes to `input`; the printed data get none.
    return [grad] + [None] * (len(op.inputs) - 1)


def _string_format_shape(op):
    """The template must have one placeholder per input (checked when the graph is built, as in TF)."""
    template = op.get_attr("template")
    placeholder = op.get_attr("placeholder")
    if isinstance(template, bytes):
        template, placeholder = template.decode(), placeholder.decode()
    count = len(template.split(placeholder)) - 1
    if count != len(op.inputs):
        raise shape_error(op, f"num placeholders in template and num inputs must match: {count} vs. {len(op.inputs)}")
    return [TensorShape([])]


@register_op(
    "StringFormat",
    inputs=["inputs: T"],
    outputs=["output: string"],
    attrs=["T: list(type) >= 0", 'template: string = "%s"', 'placeholder: string = "%s"', "summarize: int = 3"],
    shape=_string_format_shape,
)
def string_format(inputs, template, placeholder, summarize):
    pieces = template.split(placeholder)
    if len(pieces) - 1 != len(inputs):
        raise errors.InvalidArgumentError(
            None,
            None,
            f"num placeholders in template and num inputs must match: {len(pieces) - 1} vs. {len(inputs)}",
        )
    out = [pieces[0]]
    for value, piece in zip(inputs, pieces[1:]):
        out.append(summarize_value_v2(value, summarize))
        out.append(piece)
    return _string_scalar("".join(out))


_LOG_LEVELS = {"log(info)": tf_logging.INFO, "log(warning)": tf_logging.WARN, "log(error)": tf_logging.ERROR}
_STREAMS = ("stdout", "stderr", *_LOG_LEVELS)


@register_op(
    "PrintV2",
    inputs=["input: string"],
    attrs=['output_stream: string = "stderr"', r'end: string = "\n"'],
    shape=common_shapes.no_outputs,
    stateful=True,
)
def print_v2(input, output_stream, end):
    if output_stream not in _STREAMS and not output_stream.startswith("file://"):
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{output_stream} is not a valid output_stream; valid stream names are: {', '.join(_STREAMS)}",
        )
    value = input[()] if isinstance(input, np.ndarray) else input
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    if output_stream in _LOG_LEVELS:
        tf_logging.log(_LOG_LEVELS[output_stream], "%s", text + end.rstrip("\n"))
        return
    if output_stream.startswith("file://"):
        with open(output_stream[len("file://") :], "a") as f:
            f.write(text + end)
        return
    stream = sys.stdout if output_stream == "stdout" else sys.stderr
    stream.write(text + end)
    stream.flush()


# TensorFlow registers no gradient for StringFormat and PrintV2 (Print passes its input's gradient).
no_registered_gradient("StringFormat", "PrintV2")


# ---------------------------------------------------------------------------------------------
# Assert


@register_op(
    "Assert",
    inputs=["condition: bool", "data: T"],
    attrs=["T: list(type) >= 1", "summarize: int = 3"],
    stateful=True,
    shape=common_shapes.no_outputs,
)
def assert_(condition, data, summarize):
    """Raises InvalidArgumentError("assertion failed: [d0] [d1] ...") when ``condition`` is false."""
    flat, shape, _ = _as_array(condition)
    if flat.size != 1:
        raise errors.InvalidArgumentError(
            None, None, f"In[0] expected to be a scalar, got shape: [{','.join(str(d) for d in shape)}]"
        )
    if bool(flat[0]):
        return None
    parts = [f"[{summarize_value(d, summarize)}]" for d in data]
    raise errors.InvalidArgumentError(None, None, "assertion failed: " + " ".join(parts))


not_differentiable("Assert")
