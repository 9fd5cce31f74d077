"""MetaGraphDef and GraphDef files (``.meta``, ``.pb``, ``.pbtxt``): read binary or text, write atomically.

Reading tries the binary encoding first and then protobuf text format, as TensorFlow does. Every way a
file can be unusable (missing, a directory, empty, truncated, garbage, text that does not parse) raises
``torchmeta.errors.FormatError`` (an ``OSError``, where TensorFlow raises ``IOError``) naming the file
and what is wrong, never a bare protobuf traceback.

Writing creates missing parent directories and replaces the file atomically. Binary output is
serialized deterministically (map entries sorted), so the same graph always gives the same bytes;
text output is protobuf text format with ``Any`` messages expanded, byte-for-byte what TensorFlow
writes.

The verbs: ``load(data)`` / ``load_file(path)`` / ``save(message)`` / ``save_file(message, path)``,
and TensorFlow's names ``read_meta_graph_file``, ``read_graph_def_file`` and ``write_graph``.
"""

from __future__ import annotations

import os
import re

import numpy as np
from google.protobuf import message as message_lib
from google.protobuf import text_format

from torchmeta import errors
from torchmeta._proto import POOL, graph_pb2, meta_graph_pb2
from torchmeta.io.atomic import atomic_write_bytes

__all__ = [
    "read_meta_graph_file",
    "write_meta_graph_file",
    "read_graph_def_file",
    "write_graph_def_file",
    "write_graph",
    "load",
    "load_file",
    "save",
    "save_file",
]


def _read_bytes(path, missing_message: str) -> bytes:
    path = os.fspath(path)
    if not os.path.exists(path):
        raise errors.FormatError(path, missing_message)
    if os.path.isdir(path):
        raise errors.FormatError(path, f"Cannot read {path}: it is a directory, not a file.")
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise errors.FormatError(path, f"Cannot read {path}: {e.strerror or e}.") from e


# Text-format messages nest at most this deep (protobuf's own limit for binary messages): checked before the
# recursive text parser runs.
MAX_TEXT_DEPTH = 100
_TEXT_STRING = re.compile(rb'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|#[^\n]*')


def _text_depth(data: bytes) -> int:
    """The deepest nesting of ``{``/``<`` in text-format ``data`` (strings and comments skipped), in C loops."""
    bare = np.frombuffer(_TEXT_STRING.sub(b"", data), dtype=np.uint8)
    if not bare.size:
        return 0
    opens = (bare == ord("{")).astype(np.int32) + (bare == ord("<"))
    steps = opens - (bare == ord("}")) - (bare == ord(">"))
    return int(np.cumsum(steps).max())


def _parse(data: bytes, message_class, path):
    """Binary first, then text format; a FormatError naming ``path`` when neither works."""
    name = message_class.DESCRIPTOR.name
    if not data:
        raise errors.FormatError(path, f"Cannot parse file {path}: the file is empty (expected a {name}).")
    message = message_class()
    try:
        message.ParseFromString(data)
    except message_lib.DecodeError as e:
        binary_problem = f"not a binary {name} ({e})"
    else:
        # Arbitrary bytes often decode as a message made only of unknown fields; that is not a match.
        if message.ListFields():
            return message
        binary_problem = f"not a binary {name} (no {name} field in it)"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.FormatError(
            path, f"Cannot parse file {path}: {binary_problem}, and not text format either (not UTF-8)."
        ) from None
    depth = _text_depth(data)
    if depth > MAX_TEXT_DEPTH:
        raise errors.FormatError(
            path,
            f"Cannot parse file {path}: {binary_problem}, and not text format either: messages nest {depth} deep, "
            f"more than {MAX_TEXT_DEPTH}.",
        )
    message = message_class()
    try:
        text_format.Merge(text, message, descriptor_pool=POOL)
    except (text_format.ParseError, ValueError, RecursionError) as e:  # ValueError: an int out of range in a list
        raise errors.FormatError(
            path, f"Cannot parse file {path}: {binary_problem}, and not text format either: {e}."
        ) from None
    return message


def load(data: bytes, filename: str = "<bytes>") -> meta_graph_pb2.MetaGraphDef:
    """Parses a MetaGraphDef from binary or text-format ``data``.

    Raises:
      FormatError: if ``data`` is empty or neither encoding parses (``filename`` names it in the message).
    """
    return _parse(bytes(data), meta_graph_pb2.MetaGraphDef, filename)


def read_meta_graph_file(filename) -> meta_graph_pb2.MetaGraphDef:
    """Reads a ``.meta`` file (binary or text MetaGraphDef), as TF's ``meta_graph.read_meta_graph_file``.

    Args:
      filename: the file's path.

    Returns:
      The MetaGraphDef.

    Raises:
      FormatError: "File does not exist. Received: <path>." for a missing file; "Cannot parse file
        <path>: ..." for an empty, truncated, garbage or unparsable one.

    Example:
      >>> mgd = read_meta_graph_file("/tmp/model.ckpt.meta")  # doctest: +SKIP
      >>> [n.name for n in mgd.graph_def.node][:3]  # doctest: +SKIP
    """
    path = os.fspath(filename)
    return _parse(_read_bytes(path, f"File does not exist. Received: {path}."), meta_graph_pb2.MetaGraphDef, path)


load_file = read_meta_graph_file


def read_graph_def_file(filename) -> graph_pb2.GraphDef:
    """Reads a ``.pb`` / ``.pbtxt`` GraphDef file (binary first, then text).

    Raises:
      FormatError: "File <path> does not exist." (TensorFlow's wording for GraphDef files), or
        "Cannot parse file <path>: ..." for an unusable file.
    """
    path = os.fspath(filename)
    return _parse(_read_bytes(path, f"File {path} does not exist."), graph_pb2.GraphDef, path)


def save(message, as_text: bool = False) -> bytes:
    """The bytes ``write_graph`` would write for ``message``: deterministic binary or text format."""
    if as_text:
        return text_format.MessageToString(message, descriptor_pool=POOL).encode("utf-8")
    return message.SerializeToString(deterministic=True)


def write_graph(graph_or_graph_def, logdir, name, as_text: bool = True) -> str:
    """Writes a Graph's GraphDef (or any proto message) to ``logdir/name``, as ``tf.io.write_graph``.

    Args:
      graph_or_graph_def: a ``Graph`` (its ``as_graph_def()`` is written) or a proto message
        (GraphDef, MetaGraphDef, ...).
      logdir: the directory; created with its parents if missing.
      name: the file name.
      as_text: text format (the default, as in TensorFlow) or deterministic binary.

    Returns:
      The path written.

    Example:
      >>> write_graph(sess.graph, "/tmp/my-model", "train.pbtxt")  # doctest: +SKIP
    """
    if hasattr(graph_or_graph_def, "as_graph_def") and not hasattr(graph_or_graph_def, "DESCRIPTOR"):
        message = graph_or_graph_def.as_graph_def()
    else:
        message = graph_or_graph_def
    logdir = os.fspath(logdir)
    if logdir:
        os.makedirs(logdir, exist_ok=True)
    path = os.path.join(logdir, os.fspath(name))
    atomic_write_bytes(path, save(message, as_text=as_text))
    return path


def write_meta_graph_file(meta_graph_def, filename, as_text: bool = False) -> str:
    """Writes a MetaGraphDef to ``filename`` (binary by default), creating parent directories.

    Returns:
      The path written.
    """
    filename = os.fspath(filename)
    return write_graph(meta_graph_def, os.path.dirname(filename), os.path.basename(filename), as_text=as_text)


def save_file(meta_graph_def, filename, as_text: bool = False) -> str:
    """Same as ``write_meta_graph_file``."""
    return write_meta_graph_file(meta_graph_def, filename, as_text=as_text)


def write_graph_def_file(graph_def, filename, as_text: bool = False) -> str:
    """Writes a GraphDef (or a Graph's) to ``filename`` (binary by default), creating parent directories."""
    filename = os.fspath(filename)
    return write_graph(graph_def, os.path.dirname(filename), os.path.basename(filename), as_text=as_text)
