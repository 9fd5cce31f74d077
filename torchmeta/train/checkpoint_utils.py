"""``tf.train.load_checkpoint`` / ``list_variables`` / ``load_variable`` / ``NewCheckpointReader``.

They read either checkpoint format (safetensors or TensorFlow's V2 bundle, whichever is on disk) and
take a checkpoint prefix or a directory (its latest checkpoint, from the ``checkpoint`` state file), as
TensorFlow's do. The reader has the interface of TensorFlow's ``CheckpointReader`` and returns what it
returns: numpy arrays, numpy scalars for scalars, ``bytes`` for a string scalar.
"""

from __future__ import annotations

import os

import numpy as np

from torchmeta.io.checkpoint import open_checkpoint
from torchmeta.train import checkpoint_management

__all__ = ["CheckpointReader", "NewCheckpointReader", "load_checkpoint", "load_variable", "list_variables"]


class CheckpointReader:
    """TensorFlow's ``CheckpointReader`` over a checkpoint of either format.

    Methods as TensorFlow's: ``get_variable_to_shape_map()``, ``get_variable_to_dtype_map()`` (torchmeta
    DTypes), ``has_tensor(name)``, ``get_tensor(name)`` and ``debug_string()``. Anything else (``keys()``,
    ``get_tensor_torch(name, out=...)``, ``get_slice``...) is the underlying reader's: see
    :mod:`torchmeta.io`.

    Raises (from the constructor):
      errors.NotFoundError: nothing at ``filepattern`` (TensorFlow's "Unsuccessful TensorSliceReader
        constructor: Failed to find any matching files for ...").
      errors.DataLossError: the checkpoint's files are damaged.
    """

    def __init__(self, filepattern):
        if isinstance(filepattern, bytes):
            filepattern = filepattern.decode()
        self._reader = open_checkpoint(os.fspath(filepattern))

    def get_variable_to_shape_map(self) -> dict[str, list[int]]:
        return self._reader.get_variable_to_shape_map()

    def get_variable_to_dtype_map(self) -> dict:
        return self._reader.get_variable_to_dtype_map()

    def has_tensor(self, tensor_str) -> bool:
        if isinstance(tensor_str, bytes):
            tensor_str = tensor_str.decode()
        return self._reader.has_tensor(tensor_str)

    def get_tensor(self, tensor_str):
        """The tensor as numpy (a numpy scalar for a scalar, ``bytes`` for a string scalar).

        Raises:
          errors.NotFoundError: "Key <name> not found in checkpoint".
        """
        if isinstance(tensor_str, bytes):
            tensor_str = tensor_str.decode()
        value = self._reader.get_tensor(tensor_str)
        if isinstance(value, np.ndarray) and value.ndim == 0:
            return value[()]
        return value

    def debug_string(self) -> bytes:
        return self._reader.debug_string()

    def close(self):
        self._reader.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __getattr__(self, name):
        if name == "_reader":  # not set: the constructor failed
            raise AttributeError(name)
        return getattr(self._reader, name)

    def __repr__(self):
        return f"CheckpointReader({self._reader!r})"


def NewCheckpointReader(filepattern) -> CheckpointReader:
    """``tf.compat.v1.train.NewCheckpointReader``: a :class:`CheckpointReader` for a checkpoint prefix."""
    return CheckpointReader(filepattern)


def _checkpoint_filename(ckpt_dir_or_file):
    ckpt_dir_or_file = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(ckpt_dir_or_file):
        return checkpoint_management.latest_checkpoint(ckpt_dir_or_file)
    return ckpt_dir_or_file


def load_checkpoint(ckpt_dir_or_file) -> CheckpointReader:
    """A reader for a checkpoint prefix, or for the latest checkpoint of a directory.

    Raises:
      ValueError: a directory without a (usable) ``checkpoint`` state file (TensorFlow's wording).
      errors.NotFoundError: no checkpoint at the prefix.
    """
    filename = _checkpoint_filename(ckpt_dir_or_file)
    if filename is None:
        raise ValueError(f"Couldn't find 'checkpoint' file or checkpoints in given directory {ckpt_dir_or_file}")
    return CheckpointReader(filename)


def load_variable(ckpt_dir_or_file, name):
    """The value of variable ``name`` (a trailing ``:0`` is ignored) as numpy, as TensorFlow returns it."""
    if name.endswith(":0"):
        name = name[:-2]
    with load_checkpoint(ckpt_dir_or_file) as reader:
        return reader.get_tensor(name)


def list_variables(ckpt_dir_or_file) -> list[tuple[str, list[int]]]:
    """``[(name, shape)]`` of the checkpoint's variables, sorted by name."""
    with load_checkpoint(ckpt_dir_or_file) as reader:
        shapes = reader.get_variable_to_shape_map()
    return [(name, shapes[name]) for name in sorted(shapes)]
