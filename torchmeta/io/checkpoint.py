"""The checkpoint formats, in one table: TensorFlow's V2 bundle and safetensors, behind the same verbs.

Everything that reads or writes a checkpoint (the SaveV2 / RestoreV2 / MergeV2Checkpoints kernels, the
Saver's restore fast path, checkpoint management, ``tf.train.load_checkpoint``) looks its format up here
instead of branching on it. A format is a :class:`CheckpointFormat`:

- ``exists(prefix)``: whether a checkpoint of this format is stored at ``prefix``;
- ``open(prefix)``: a reader (``keys()``, ``has_tensor``, ``get_dtype``, ``get_shape``, ``get_tensor``,
  ``get_tensor_torch(name, out=...)``, ``get_slice``, ``verify(name)`` (everything checked, nothing kept:
  restores verify every tensor before assigning any), ``close``...; see :mod:`torchmeta.io`);
- ``write(prefix, tensor_names, shape_and_slices, tensors, dtypes=...)``: SaveV2 (whole tensors or slices;
  creates the prefix's directory, one level, as TensorFlow's bundle writer does);
- ``merge(prefixes, destination, delete_old_dirs=..., allow_missing_files=...)``: MergeV2Checkpoints;
- ``file_patterns``: glob suffixes of the files it writes next to the prefix (for listing and removal).

Adding a format: write its module under ``torchmeta/io/`` with a reader class and ``save_v2`` / ``merge``
functions of the signatures above (copy :mod:`torchmeta.io.safetensors_checkpoint`), then add one
:func:`register_format` call below; the Saver's ``format=`` option, SaveV2, RestoreV2, MergeV2Checkpoints,
the restore fast path and checkpoint management then handle it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from torchmeta import errors
from torchmeta.io import safetensors_checkpoint, tf_checkpoint

__all__ = [
    "FORMATS",
    "CheckpointFormat",
    "checkpoint_prefix",
    "detect_format",
    "get_format",
    "open_checkpoint",
    "register_format",
]

_DATA_SUFFIX = re.compile(r"\.data-\d{5}-of-\d{5}$")


@dataclass(frozen=True)
class CheckpointFormat:
    """One checkpoint format: its name and the verbs every format implements (see the module docstring)."""

    name: str
    exists: Callable
    open: Callable
    write: Callable
    merge: Callable
    file_patterns: tuple[str, ...]
    aliases: tuple[str, ...] = ()


# In detection order: when a prefix holds both, the first wins (safetensors, torchmeta's default).
FORMATS: dict[str, CheckpointFormat] = {}
_ALIASES: dict[str, str] = {}


def register_format(fmt: CheckpointFormat) -> CheckpointFormat:
    """Adds a format to the table (a duplicate name or alias is an error)."""
    for name in (fmt.name, *fmt.aliases):
        if name in _ALIASES:
            raise ValueError(f"checkpoint format {name!r} is registered twice")
        _ALIASES[name] = fmt.name
    FORMATS[fmt.name] = fmt
    return fmt


def get_format(name: str) -> CheckpointFormat:
    """The format registered as ``name`` (or one of its aliases, e.g. ``"tensorflow"`` for ``"tf"``).

    Raises:
      ValueError: no such format (the message names the registered ones).
    """
    try:
        return FORMATS[_ALIASES[name]]
    except (KeyError, TypeError):
        names = " or ".join(repr(n) for n in FORMATS)
        raise ValueError(f"format must be {names}, not {name!r}") from None


def _safetensors_exists(prefix: str) -> bool:
    return os.path.isfile(safetensors_checkpoint.safetensors_filename(prefix))


def _tf_exists(prefix: str) -> bool:
    return os.path.isfile(tf_checkpoint.index_filename(prefix))


register_format(
    CheckpointFormat(
        name="safetensors",
        exists=_safetensors_exists,
        open=safetensors_checkpoint.SafetensorsReader,
        write=safetensors_checkpoint.save_v2,
        merge=safetensors_checkpoint.merge_safetensors,
        file_patterns=(safetensors_checkpoint.SUFFIX,),
    )
)
register_format(
    CheckpointFormat(
        name="tf",
        exists=_tf_exists,
        open=tf_checkpoint.CheckpointReader,
        write=tf_checkpoint.save_v2,
        merge=tf_checkpoint.merge_bundles,
        file_patterns=(".index", ".data-?????-of-?????"),
        aliases=("tensorflow",),
    )
)


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
    """The name of the format stored at ``prefix`` (``"safetensors"``, ``"tf"``), or None.

    ``<prefix>.safetensors`` (or ``prefix`` itself ending in ``.safetensors``) means safetensors;
    ``<prefix>.index`` a TensorFlow V2 checkpoint. When both exist, safetensors wins (torchmeta's default).
    """
    prefix = os.fspath(prefix)
    for fmt in FORMATS.values():
        if fmt.exists(prefix):
            return fmt.name
    return None


def open_checkpoint(prefix: str | os.PathLike):
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
        if stripped != prefix:
            fmt = detect_format(stripped)
            if fmt is not None:
                prefix = stripped
    if fmt is not None:
        return FORMATS[fmt].open(prefix)
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
