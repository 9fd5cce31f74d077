"""Which checkpoint format a prefix holds, and a reader for it (TensorFlow V2 bundle or safetensors)."""

from __future__ import annotations

import os
import re

from torchmeta import errors
from torchmeta.io.safetensors_checkpoint import SUFFIX, SafetensorsReader
from torchmeta.io.tf_checkpoint import CheckpointReader, index_filename

__all__ = ["checkpoint_prefix", "detect_format", "open_checkpoint"]

_DATA_SUFFIX = re.compile(r"\.data-\d{5}-of-\d{5}$")


def checkpoint_prefix(path: str | os.PathLike) -> str:
    """The prefix of a checkpoint named by one of its files.

    ``model-3.index`` and ``model-3.data-00000-of-00001`` give ``model-3``; ``model.safetensors`` stays as it
    is (safetensors readers take the file name too); anything else is returned unchanged.
    """
    path = os.fspath(path)
    if path.endswith(".index"):
        return path[: -len(".index")]
    return _DATA_SUFFIX.sub("", path)


def detect_format(prefix: str | os.PathLike) -> str | None:
    """``"safetensors"``, ``"tf"`` or None for what is stored at ``prefix``.

    ``<prefix>.safetensors`` (or ``prefix`` itself ending in ``.safetensors``) means safetensors;
    ``<prefix>.index`` a TensorFlow V2 checkpoint. When both exist, safetensors wins (torchmeta's default).
    """
    prefix = os.fspath(prefix)
    if (prefix.endswith(SUFFIX) and os.path.isfile(prefix)) or os.path.isfile(prefix + SUFFIX):
        return "safetensors"
    if os.path.isfile(index_filename(prefix)):
        return "tf"
    return None


def open_checkpoint(prefix: str | os.PathLike) -> CheckpointReader | SafetensorsReader:
    """A reader for the checkpoint at ``prefix`` in whichever format it is (see :func:`detect_format`).

    A file of the checkpoint (``model-3.index``, ``model-3.data-00000-of-00001``) works as well as the prefix.

    Raises:
      errors.NotFoundError: no checkpoint there (TensorFlow's wording, plus what was looked for).
      errors.DataLossError: the checkpoint is corrupt.
    """
    prefix = os.fspath(prefix)
    fmt = detect_format(prefix)
    if fmt is None:
        stripped = checkpoint_prefix(prefix)
        if stripped != prefix and detect_format(stripped):
            prefix, fmt = stripped, detect_format(stripped)
    if fmt == "safetensors":
        return SafetensorsReader(prefix)
    if fmt == "tf":
        return CheckpointReader(prefix)
    hint = ""
    if os.path.isdir(prefix):
        hint = " (a directory: pass a checkpoint prefix such as <dir>/model-3)"
    elif os.path.isfile(prefix):
        hint = (
            " (a file, but neither a safetensors checkpoint nor a V2 checkpoint's .index; V1 checkpoints are not read)"
        )
    raise errors.NotFoundError(
        None,
        None,
        f"Unsuccessful TensorSliceReader constructor: Failed to find any matching files for {prefix}{hint}",
    )
