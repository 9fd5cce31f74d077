"""Checkpoint bookkeeping: the ``checkpoint`` state file, latest_checkpoint, existence, mtimes, removal.

A checkpoint is a prefix ``P``; its files are ``P.safetensors`` (torchmeta's default) or TensorFlow's
``P.index`` + ``P.data-?????-of-?????``, plus ``P.meta``. The state file is a text-format
``CheckpointState`` written atomically; it is data, not a path to trust: relative paths in it are
joined onto its own directory, as TensorFlow does.
"""

from __future__ import annotations

import glob
import os
import re

from google.protobuf import text_format

from torchmeta import errors
from torchmeta._proto import checkpoint_state_pb2
from torchmeta.io import checkpoint as checkpoint_formats
from torchmeta.io.atomic import atomic_write_text
from torchmeta.platform import tf_logging as _log  # TF logs these through the 'tensorflow' logger

__all__ = [
    "CheckpointState",
    "generate_checkpoint_state_proto",
    "update_checkpoint_state",
    "update_checkpoint_state_internal",
    "get_checkpoint_state",
    "latest_checkpoint",
    "checkpoint_exists",
    "get_checkpoint_mtimes",
    "remove_checkpoint",
    "meta_graph_filename",
    "checkpoint_files",
    "local_path",
]

CheckpointState = checkpoint_state_pb2.CheckpointState


def local_path(path) -> str:
    """``path`` as a local file name: ``file://`` URIs (which TensorFlow accepts) lose their scheme.

    Paths keep their ``file://`` wherever TensorFlow keeps it (return values, the state file); only the
    file operations use this.
    """
    path = os.fspath(path)
    return path[len("file://") :] if path.startswith("file://") else path


def _state_filename(save_dir, latest_filename):
    return os.path.join(save_dir, latest_filename or "checkpoint")


def generate_checkpoint_state_proto(
    save_dir,
    model_checkpoint_path,
    all_model_checkpoint_paths=None,
    all_model_checkpoint_timestamps=None,
    last_preserved_timestamp=None,
):
    """A CheckpointState whose paths are relative to ``save_dir`` when ``save_dir`` is relative.

    Raises:
      ValueError: if timestamps are given and do not match the paths.
    """
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        paths.append(model_checkpoint_path)
    if all_model_checkpoint_timestamps and len(all_model_checkpoint_timestamps) != len(paths):
        raise ValueError(
            "Checkpoint timestamps, if provided, must match checkpoint paths (got paths "
            f"{paths} and timestamps {all_model_checkpoint_timestamps})"
        )
    if not os.path.isabs(save_dir):
        if not os.path.isabs(model_checkpoint_path):
            model_checkpoint_path = os.path.relpath(model_checkpoint_path, save_dir)
        paths = [p if os.path.isabs(p) else os.path.relpath(p, save_dir) for p in paths]
    state = CheckpointState(model_checkpoint_path=model_checkpoint_path, all_model_checkpoint_paths=paths)
    if all_model_checkpoint_timestamps:
        state.all_model_checkpoint_timestamps.extend(all_model_checkpoint_timestamps)
    if last_preserved_timestamp is not None:
        state.last_preserved_timestamp = last_preserved_timestamp
    return state


def update_checkpoint_state(
    save_dir,
    model_checkpoint_path,
    all_model_checkpoint_paths=None,
    latest_filename=None,
    all_model_checkpoint_timestamps=None,
    last_preserved_timestamp=None,
):
    """Writes ``<save_dir>/<latest_filename or "checkpoint">`` (atomically)."""
    update_checkpoint_state_internal(
        save_dir,
        model_checkpoint_path,
        all_model_checkpoint_paths,
        latest_filename,
        save_relative_paths=False,
        all_model_checkpoint_timestamps=all_model_checkpoint_timestamps,
        last_preserved_timestamp=last_preserved_timestamp,
    )


def update_checkpoint_state_internal(
    save_dir,
    model_checkpoint_path,
    all_model_checkpoint_paths=None,
    latest_filename=None,
    save_relative_paths=False,
    all_model_checkpoint_timestamps=None,
    last_preserved_timestamp=None,
):
    """As ``update_checkpoint_state``; ``save_relative_paths`` writes paths relative to ``save_dir``.

    Raises:
      RuntimeError: if the model path is the state file itself.
    """
    filename = _state_filename(save_dir, latest_filename)
    paths = list(all_model_checkpoint_paths or [])
    if save_relative_paths:
        model_checkpoint_path = (
            os.path.relpath(model_checkpoint_path, save_dir)
            if os.path.isabs(model_checkpoint_path)
            else model_checkpoint_path
        )
        paths = [os.path.relpath(p, save_dir) if os.path.isabs(p) else p for p in paths]
    state = generate_checkpoint_state_proto(
        save_dir,
        model_checkpoint_path,
        all_model_checkpoint_paths=paths,
        all_model_checkpoint_timestamps=all_model_checkpoint_timestamps,
        last_preserved_timestamp=last_preserved_timestamp,
    )
    if filename == state.model_checkpoint_path:
        raise RuntimeError(
            f"Save path '{model_checkpoint_path}' conflicts with path used for checkpoint state.  Please use a "
            "different save path."
        )
    atomic_write_text(local_path(filename), text_format.MessageToString(state))


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """The CheckpointState in ``checkpoint_dir``, with relative paths joined onto it; None if absent.

    Raises:
      ValueError: if the state file has no ``model_checkpoint_path``.
    """
    checkpoint_dir = os.fspath(checkpoint_dir)
    filename = local_path(_state_filename(checkpoint_dir, latest_filename))
    if not os.path.isfile(filename):
        return None
    try:
        with open(filename, encoding="utf-8") as f:
            content = f.read()
        state = CheckpointState()
        text_format.Merge(content, state)
    except (OSError, ValueError, text_format.ParseError) as e:  # ValueError: bad UTF-8 or a number out of range
        _log.warning("%s: %s: Checkpoint ignored", filename, e)
        return None
    if not state.model_checkpoint_path:
        raise errors.InvalidValueError(None, None, "Invalid checkpoint state loaded from " + checkpoint_dir)
    if not os.path.isabs(state.model_checkpoint_path):
        state.model_checkpoint_path = os.path.join(checkpoint_dir, state.model_checkpoint_path)
    for i, p in enumerate(state.all_model_checkpoint_paths):
        if not os.path.isabs(p):
            state.all_model_checkpoint_paths[i] = os.path.join(checkpoint_dir, p)
    return state


def _glob(pattern: str) -> list[str]:
    """``glob.glob``, except that a pattern holding a NUL byte (possible in a state file) matches nothing."""
    return [] if "\0" in pattern else glob.glob(pattern)


def checkpoint_files(prefix) -> list[str]:
    """The files of checkpoint ``prefix`` that exist (either format), without the ``.meta``."""
    prefix = local_path(prefix)  # a glob pattern, as TensorFlow matches it
    found = []
    for fmt in checkpoint_formats.FORMATS.values():
        for suffix in fmt.file_patterns:
            found += _glob(prefix + suffix)
    return sorted(found)


def _first_match(prefix):
    prefix = local_path(prefix)  # a glob pattern, as TensorFlow matches it
    patterns = [prefix + fmt.file_patterns[0] for fmt in checkpoint_formats.FORMATS.values()]
    for pattern in (*patterns, prefix):
        matches = _glob(pattern)
        if matches:
            return matches[0]
    return None


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The prefix of the newest checkpoint recorded in ``checkpoint_dir`` whose files exist, or None."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state and state.model_checkpoint_path:
        if _first_match(state.model_checkpoint_path):
            return state.model_checkpoint_path
        _log.error("Couldn't match files for checkpoint %s", state.model_checkpoint_path)
    return None


def checkpoint_exists(checkpoint_prefix) -> bool:
    """Whether ``<prefix>.index``, ``<prefix>.safetensors`` or ``<prefix>`` itself exists."""
    return _first_match(checkpoint_prefix) is not None


def get_checkpoint_mtimes(checkpoint_prefixes) -> list[float]:
    """Modification times (seconds) of the checkpoints that exist; missing ones are skipped."""
    mtimes = []
    for prefix in checkpoint_prefixes:
        path = _first_match(prefix)
        if path is not None:  # whole seconds, as TensorFlow's local file system reports them
            mtimes.append(float(os.stat(path).st_mtime_ns // 1_000_000_000))
    return mtimes


def meta_graph_filename(checkpoint_filename, meta_graph_suffix="meta") -> str:
    """``<prefix>.meta`` for a checkpoint prefix, dropping a sharded ``-?????-of-NNNNN`` suffix."""
    basename = re.sub(r"-[\d\?]+-of-\d+$", "", os.fspath(checkpoint_filename))
    return f"{basename}.{meta_graph_suffix}"


def remove_checkpoint(checkpoint_prefix, checkpoint_format_version=2, meta_graph_suffix="meta") -> None:
    """Deletes a checkpoint's files (either format) and its ``.meta``; missing files are ignored."""
    targets = [
        *_glob(local_path(meta_graph_filename(checkpoint_prefix, meta_graph_suffix))),
        *checkpoint_files(checkpoint_prefix),
    ]
    if checkpoint_format_version != 2:
        targets.extend(_glob(local_path(checkpoint_prefix)))
    for path in targets:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
        except OSError as e:
            _log.warning("Ignoring: Failed to delete %s: %s", path, e)
