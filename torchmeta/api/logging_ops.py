"""``tf.Print`` (TF1) and ``tf.print``: graph builders for the Print, StringFormat and PrintV2 ops.

``tf.print`` builds TensorFlow's template exactly as its Python function does: Python values are
formatted with ``pprint``, tensors become placeholders filled at run time by StringFormat, and nested
lists/tuples/dicts mix both. In graph mode the returned PrintV2 op prints only when run (as a fetch or a
control dependency).
"""

from __future__ import annotations

import collections
import logging
import os
import pprint
import random
import sys

from torchmeta.framework.graph import Tensor, convert_to_tensor
from torchmeta.framework.op_def_library import raw_op
from torchmeta.platform import tf_logging

__all__ = ["Print", "print_v2", "string_format"]


def Print(input_, data, message=None, first_n=None, summarize=None, name=None):
    """``tf.Print``: ``input_`` unchanged; when run, prints ``message`` and each tensor of ``data`` to stderr."""
    kwargs = {}
    if message is not None:
        kwargs["message"] = message
    if first_n is not None:
        kwargs["first_n"] = first_n
    if summarize is not None:
        kwargs["summarize"] = summarize
    return raw_op("Print", input=input_, data=list(data), name=name, **kwargs)


def string_format(template, inputs, placeholder="{}", summarize=3, name=None):
    """``tf.strings.format``: ``template`` with each ``placeholder`` replaced by a tensor's summary."""
    if isinstance(inputs, Tensor):
        inputs = [inputs]
    return raw_op(
        "StringFormat", inputs=list(inputs), template=template, placeholder=placeholder, summarize=summarize, name=name
    )


def _placeholder_for(text, default="{}"):
    """A placeholder string that does not occur in ``text`` (TF's, with the same random digits)."""
    placeholder = default
    rng = random.Random(5)
    while placeholder in text:
        placeholder = placeholder + str(rng.randint(0, 9))
    return placeholder


def _map(fn, structure):
    if isinstance(structure, dict):
        return type(structure)((k, _map(fn, structure[k])) for k in structure)
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*[_map(fn, x) for x in structure])
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map(fn, x) for x in structure)
    return fn(structure)


def _flatten(structure):
    if isinstance(structure, dict):
        return [x for k in sorted(structure) for x in _flatten(structure[k])]
    if isinstance(structure, (list, tuple)):
        return [x for item in structure for x in _flatten(item)]
    return [structure]


def _is_tensor(x) -> bool:
    return isinstance(x, Tensor) or hasattr(x, "_as_graph_element")


def print_v2(*inputs, **kwargs):
    """``tf.print``: a PrintV2 op printing ``inputs`` (tensors and Python values) joined by ``sep``.

    Args:
      *inputs: tensors, Python values, and lists/tuples/dicts of them.
      output_stream: ``sys.stderr`` (default), ``sys.stdout``, a logging level or ``tf.logging`` function
        (info, warning, error), or ``"file://<path>"``.
      summarize: entries shown at each end of each dimension (-1: all).
      sep, end: as for Python's ``print``.
      name: the op's name.

    Raises:
      ValueError: for an unknown keyword argument or output stream (TF's messages).
    """
    output_stream = kwargs.pop("output_stream", sys.stderr)
    name = kwargs.pop("name", None)
    summarize = kwargs.pop("summarize", 3)
    sep = kwargs.pop("sep", " ")
    end = kwargs.pop("end", os.linesep)
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments for tf.print: {kwargs}")
    format_name = name + "_format" if name else None
    streams = {
        sys.stdout: "stdout",
        sys.stderr: "stderr",
        tf_logging.INFO: "log(info)",
        tf_logging.info: "log(info)",
        tf_logging.WARN: "log(warning)",
        tf_logging.warning: "log(warning)",
        tf_logging.warn: "log(warning)",
        tf_logging.ERROR: "log(error)",
        tf_logging.error: "log(error)",
        logging.info: "log(info)",
        logging.warning: "log(warning)",
        logging.warn: "log(warning)",
        logging.error: "log(error)",
    }
    if isinstance(output_stream, str) and output_stream.startswith("file://"):
        stream = output_stream
    else:
        try:
            stream = streams.get(output_stream)
        except TypeError:
            stream = None
        if not stream:
            raise ValueError(
                "Unsupported output stream, logging level, or file." + str(output_stream) + ". Supported streams "
                "are sys.stdout, sys.stderr, tf.logging.info, tf.logging.warning, tf.logging.error. File needs to "
                "be in the form of 'file://<filepath>'."
            )
    if len(inputs) == 1 and _is_tensor(inputs[0]):
        single = convert_to_tensor(inputs[0])
        if single.shape.rank == 0 and single.dtype.base_dtype.name == "string":
            return raw_op("PrintV2", input=single, output_stream=stream, end=end, name=name)
    sorted_inputs = [
        collections.OrderedDict(sorted(x.items())) if isinstance(x, collections.OrderedDict) else x for x in inputs
    ]
    tensor_free = _map(lambda x: "" if _is_tensor(x) else x, sorted_inputs)
    placeholder = _placeholder_for(" ".join(pprint.pformat(x) for x in tensor_free))
    templates, tensors = [], []
    for x in inputs:
        if isinstance(x, str):
            templates.append(x)
            continue
        if _is_tensor(x):
            tensors.append(x)
            templates.append(pprint.pformat(placeholder))
            continue
        flat = _flatten(x)
        holders = iter([placeholder if _is_tensor(v) else v for v in flat])
        tensors.extend(v for v in flat if _is_tensor(v))
        templates.append(pprint.pformat(_pack(x, holders)))
    template = sep.join(templates).replace("'" + placeholder + "'", placeholder)
    formatted = string_format(template, tensors, placeholder=placeholder, summarize=summarize, name=format_name)
    return raw_op("PrintV2", input=formatted, output_stream=stream, end=end, name=name)


def _pack(structure, flat_iter):
    """``structure`` with its leaves replaced, in ``_flatten`` order (dicts by sorted key), by ``flat_iter``."""
    if isinstance(structure, dict):
        values = {k: _pack(structure[k], flat_iter) for k in sorted(structure)}
        return type(structure)((k, values[k]) for k in structure)
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*[_pack(x, flat_iter) for x in structure])
    if isinstance(structure, (list, tuple)):
        return type(structure)(_pack(x, flat_iter) for x in structure)
    return next(flat_iter)
