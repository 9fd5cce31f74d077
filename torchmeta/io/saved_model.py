"""SavedModel files: ``saved_model.pb`` / ``saved_model.pbtxt`` and the layout of a SavedModel directory.

A SavedModel directory holds ``saved_model.pb`` (a ``tensorflow.SavedModel``: one MetaGraphDef per tag set),
``variables/variables.index`` + ``variables/variables.data-*`` (a TF V2 checkpoint, see ``tf_checkpoint``)
and ``assets/`` (files the graph reads, e.g. vocabularies). Reading raises ``torchmeta.errors.FormatError``
(an ``OSError``, where TensorFlow raises ``IOError``) with TensorFlow's wording; writing is atomic and
deterministic, as TensorFlow's ``SavedModelBuilder.save`` writes it.

The verbs: ``parse_saved_model(export_dir)`` / ``load(data)`` / ``save(saved_model, as_text)`` /
``write_saved_model(saved_model, export_dir, as_text)``.
"""

from __future__ import annotations

import os

from google.protobuf import message as message_lib
from google.protobuf import text_format

from torchmeta import errors
from torchmeta._proto import POOL, saved_model_pb2
from torchmeta.io.atomic import atomic_write_bytes

__all__ = [
    "SAVED_MODEL_SCHEMA_VERSION",
    "SAVED_MODEL_FILENAME_PB",
    "SAVED_MODEL_FILENAME_PBTXT",
    "SAVED_MODEL_FILENAME_CPB",
    "VARIABLES_DIRECTORY",
    "VARIABLES_FILENAME",
    "ASSETS_DIRECTORY",
    "EXTRA_ASSETS_DIRECTORY",
    "get_variables_dir",
    "get_variables_path",
    "get_assets_dir",
    "maybe_saved_model_directory",
    "parse_saved_model",
    "load",
    "save",
    "write_saved_model",
]

# TensorFlow's names (tensorflow/cc/saved_model/constants.h).
SAVED_MODEL_SCHEMA_VERSION = 1
SAVED_MODEL_FILENAME_PB = "saved_model.pb"
SAVED_MODEL_FILENAME_PBTXT = "saved_model.pbtxt"
SAVED_MODEL_FILENAME_CPB = "saved_model.cpb"
VARIABLES_DIRECTORY = "variables"
VARIABLES_FILENAME = "variables"
ASSETS_DIRECTORY = "assets"
EXTRA_ASSETS_DIRECTORY = "assets.extra"


def get_variables_dir(export_dir) -> str:
    """``<export_dir>/variables``."""
    return os.path.join(os.fspath(export_dir), VARIABLES_DIRECTORY)


def get_variables_path(export_dir) -> str:
    """The checkpoint prefix of a SavedModel's variables: ``<export_dir>/variables/variables``."""
    return os.path.join(get_variables_dir(export_dir), VARIABLES_FILENAME)


def get_assets_dir(export_dir) -> str:
    """``<export_dir>/assets``."""
    return os.path.join(os.fspath(export_dir), ASSETS_DIRECTORY)


def maybe_saved_model_directory(export_dir) -> bool:
    """Whether ``export_dir`` has a ``saved_model.pb``, ``.pbtxt`` or ``.cpb`` (it may still not load)."""
    export_dir = os.fspath(export_dir)
    return any(
        os.path.exists(os.path.join(export_dir, name))
        for name in (SAVED_MODEL_FILENAME_PBTXT, SAVED_MODEL_FILENAME_PB, SAVED_MODEL_FILENAME_CPB)
    )


def load(data: bytes, filename: str = "<bytes>") -> saved_model_pb2.SavedModel:
    """Parses a binary ``SavedModel`` message.

    Raises:
      FormatError: "Cannot parse file <filename>: ..." (TensorFlow's wording).
    """
    saved_model = saved_model_pb2.SavedModel()
    try:
        saved_model.ParseFromString(bytes(data))
    except message_lib.DecodeError as e:
        raise errors.FormatError(filename, f"Cannot parse file {filename}: {e}.") from None
    return saved_model


def _read(path: str) -> bytes:
    if os.path.isdir(path):
        raise errors.FormatError(path, f"Cannot read {path}: it is a directory, not a file.")
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise errors.FormatError(path, f"Cannot read {path}: {e.strerror or e}.") from e


def parse_saved_model(export_dir) -> saved_model_pb2.SavedModel:
    """Reads ``saved_model.pb`` (binary) or else ``saved_model.pbtxt`` (text format) from ``export_dir``.

    Args:
      export_dir: the SavedModel directory.

    Returns:
      The ``SavedModel`` message.

    Raises:
      FormatError: "SavedModel file does not exist at: <dir>/{saved_model.pbtxt|saved_model.pb}" when
        neither file is there, "Cannot parse file <path>: ..." for a corrupt one (TensorFlow's wording).

    Example:
      >>> sm = parse_saved_model("/tmp/export")  # doctest: +SKIP
      >>> [list(m.meta_info_def.tags) for m in sm.meta_graphs]  # doctest: +SKIP
    """
    export_dir = os.fspath(export_dir)
    path_pb = os.path.join(export_dir, SAVED_MODEL_FILENAME_PB)
    path_pbtxt = os.path.join(export_dir, SAVED_MODEL_FILENAME_PBTXT)
    if os.path.exists(path_pb):
        return load(_read(path_pb), path_pb)
    if os.path.exists(path_pbtxt):
        saved_model = saved_model_pb2.SavedModel()
        data = _read(path_pbtxt)
        try:
            text_format.Parse(data.decode("utf-8"), saved_model, descriptor_pool=POOL)
        except (text_format.ParseError, ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError
            raise errors.FormatError(path_pbtxt, f"Cannot parse file {path_pbtxt}: {e}.") from None
        return saved_model
    raise errors.FormatError(
        export_dir,
        f"SavedModel file does not exist at: {export_dir}{os.path.sep}"
        f"{{{SAVED_MODEL_FILENAME_PBTXT}|{SAVED_MODEL_FILENAME_PB}}}",
    )


def save(saved_model, as_text: bool = False) -> bytes:
    """The bytes TensorFlow writes for ``saved_model``: deterministic binary, or text format."""
    if as_text:
        return text_format.MessageToString(saved_model, descriptor_pool=POOL).encode("utf-8")
    return saved_model.SerializeToString(deterministic=True)


def write_saved_model(saved_model, export_dir, as_text: bool = False) -> str:
    """Writes ``saved_model.pb`` (or ``saved_model.pbtxt`` with ``as_text``) into ``export_dir``, atomically.

    Returns:
      The path written.
    """
    export_dir = os.fspath(export_dir)
    os.makedirs(export_dir, exist_ok=True)
    path = os.path.join(export_dir, SAVED_MODEL_FILENAME_PBTXT if as_text else SAVED_MODEL_FILENAME_PB)
    atomic_write_bytes(path, save(saved_model, as_text=as_text))
    return path
