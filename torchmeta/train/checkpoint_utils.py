"""``tf.train.load_checkpoint`` / ``list_variables`` / ``load_variable`` / ``NewCheckpointReader``,
``init_from_checkpoint`` and ``checkpoints_iterator`` (TF's python/training/checkpoint_utils.py).

They read either checkpoint format (safetensors or TensorFlow's V2 bundle, whichever is on disk) and
take a checkpoint prefix or a directory (its latest checkpoint, from the ``checkpoint`` state file), as
TensorFlow's do. The reader has the interface of TensorFlow's ``CheckpointReader`` and returns what it
returns: numpy arrays, numpy scalars for scalars, ``bytes`` for a string scalar.
"""

from __future__ import annotations

import collections.abc
import os
import time

import numpy as np

from torchmeta.api import variable_scope
from torchmeta.api.variables import Variable
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.op_def_library import raw_op
from torchmeta.io.checkpoint import open_checkpoint
from torchmeta.platform import tf_logging as _log  # TF logs these through the 'tensorflow' logger
from torchmeta.train import checkpoint_management
from torchmeta.train.saver import saveable_for

__all__ = [
    "CheckpointReader",
    "NewCheckpointReader",
    "load_checkpoint",
    "load_variable",
    "list_variables",
    "init_from_checkpoint",
    "wait_for_new_checkpoint",
    "checkpoints_iterator",
]


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


def wait_for_new_checkpoint(checkpoint_dir, last_checkpoint=None, seconds_to_sleep=1, timeout=None):
    """The directory's latest checkpoint once it differs from ``last_checkpoint``; None after ``timeout``
    seconds (TF gives up when the next poll would end past the deadline)."""
    _log.info("Waiting for new checkpoint at %s", checkpoint_dir)
    stop_time = time.time() + timeout if timeout is not None else None
    while True:
        checkpoint_path = checkpoint_management.latest_checkpoint(checkpoint_dir)
        if checkpoint_path is None or checkpoint_path == last_checkpoint:
            if stop_time is not None and time.time() + seconds_to_sleep > stop_time:
                return None
            time.sleep(seconds_to_sleep)
        else:
            _log.info("Found new checkpoint at %s", checkpoint_path)
            return checkpoint_path


def checkpoints_iterator(checkpoint_dir, min_interval_secs=0, timeout=None, timeout_fn=None):
    """``tf.train.checkpoints_iterator``: yields each new latest checkpoint of ``checkpoint_dir`` as it appears.

    Yields at most one checkpoint per ``min_interval_secs``; after ``timeout`` seconds without a new one it
    stops, or asks ``timeout_fn`` (stop when it returns True, wait again otherwise), as TF's does. Checkpoints
    written while the caller works between two yields are skipped except the latest.
    """
    checkpoint_path = None
    while True:
        new_checkpoint_path = wait_for_new_checkpoint(checkpoint_dir, checkpoint_path, timeout=timeout)
        if new_checkpoint_path:
            start = time.time()
            checkpoint_path = new_checkpoint_path
            yield checkpoint_path
            time_to_next_eval = start + min_interval_secs - time.time()
            if time_to_next_eval > 0:
                time.sleep(time_to_next_eval)
        elif timeout_fn is None:
            _log.info("Timed-out waiting for a checkpoint (without timeout_fn).")
            return
        if timeout_fn is not None and timeout_fn():
            _log.info("Done. No new checkpoints will be generated.")
            return


def _is_variable(x) -> bool:
    return isinstance(x, Variable)


def _collect_partitioned_variable(name, all_vars):
    if name + "/part_0" in all_vars:
        var, i = [], 0
        while f"{name}/part_{i}" in all_vars:
            var.append(all_vars[f"{name}/part_{i}"])
            i += 1
        return var
    return None


def _set_checkpoint_initializer(variable, ckpt_file, tensor_name, slice_spec, name="checkpoint_initializer"):
    """Makes ``variable``'s initializer a restore from the checkpoint: TF's RestoreV2 on CPU (on the variable's
    job/task) and the assign a Saver would build; the RestoreV2 output becomes the initial value."""
    with graph_lib.device(variable.device), graph_lib.device("/cpu:0"):
        restore_op = raw_op(
            "RestoreV2",
            prefix=ckpt_file,
            tensor_names=[tensor_name],
            shape_and_slices=[slice_spec],
            dtypes=[variable.dtype.base_dtype],
            name=name,
        )
        restore_op = restore_op[0] if isinstance(restore_op, list) else restore_op
        saveable = saveable_for(variable, variable.op.name, slice_spec)
    init_op = saveable.restore(restore_op, None)
    variable._initializer_op = init_op
    restore_op.set_shape(variable.shape)
    variable._initial_value = restore_op


def _set_variable_or_list_initializer(variable_or_list, ckpt_file, tensor_name):
    if isinstance(variable_or_list, (list, tuple)):
        slice_name = None
        for v in variable_or_list:
            slice_info = v._get_save_slice_info()
            if slice_name is None:
                slice_name = slice_info.full_name
            elif slice_name != slice_info.full_name:
                raise ValueError(f"Slices must all be from the same tensor: {slice_name} != {slice_info.full_name}")
            _set_checkpoint_initializer(v, ckpt_file, tensor_name, slice_info.spec)
    else:
        _set_checkpoint_initializer(variable_or_list, ckpt_file, tensor_name, "")


def init_from_checkpoint(ckpt_dir_or_file, assignment_map):
    """``tf.compat.v1.train.init_from_checkpoint``: variables' initializers load them from a checkpoint.

    Nothing is read until the initializers run (``global_variables_initializer``). ``assignment_map`` (a dict
    or a list of pairs) maps checkpoint names to variables, their ``get_variable`` names, lists of partitions,
    or scopes (``'ckpt_scope/': 'scope/'``, ``'/': 'scope/'``), as TF's. Either checkpoint format is read.

    Raises:
      ValueError: TF's: a name missing from the checkpoint, a shape that differs, a scope mapped to a
        variable name, partitions of different variables.
    """
    filename = _checkpoint_filename(ckpt_dir_or_file)
    with load_checkpoint(ckpt_dir_or_file) as reader:
        variable_map = reader.get_variable_to_shape_map()
    if isinstance(assignment_map, collections.abc.Mapping):
        assignment_map = assignment_map.items()
    store_vars = variable_scope.default_store_variables()
    for tensor_name_in_ckpt, current_var_or_name in sorted(assignment_map, key=lambda pair: pair[0]):
        if _is_variable(current_var_or_name) or (
            isinstance(current_var_or_name, list) and all(_is_variable(v) for v in current_var_or_name)
        ):
            var = current_var_or_name
        else:
            var = store_vars.get(current_var_or_name, None)
            if var is None:
                var = _collect_partitioned_variable(current_var_or_name, store_vars)
        if var is not None:
            if tensor_name_in_ckpt not in variable_map:
                raise ValueError(
                    f"Tensor {tensor_name_in_ckpt} is not found in {ckpt_dir_or_file} checkpoint {variable_map}"
                )
            if _is_variable(var):
                if not var.get_shape().is_compatible_with(variable_map[tensor_name_in_ckpt]):
                    raise ValueError(
                        f"Shape of variable {var.name} ({var.get_shape()}) doesn't match with shape of tensor "
                        f"{tensor_name_in_ckpt} ({variable_map[tensor_name_in_ckpt]}) from checkpoint reader."
                    )
                var_name = var.name
            else:
                var_name = ",".join(v.name for v in var)
            _set_variable_or_list_initializer(var, filename, tensor_name_in_ckpt)
            _log.debug(
                "Initialize variable %s from checkpoint %s with %s", var_name, ckpt_dir_or_file, tensor_name_in_ckpt
            )
            continue
        scopes = ""
        if "/" in current_var_or_name:
            scopes = current_var_or_name[: current_var_or_name.rindex("/")]
        if not tensor_name_in_ckpt.endswith("/"):
            raise ValueError(
                f"Assignment map with scope only name {scopes} should map to scope only {tensor_name_in_ckpt}. "
                "Should be 'scope/': 'other_scope/'."
            )
        scope_variables = set()
        for var_name in store_vars:
            if not scopes or var_name.startswith(scopes + "/"):
                if "/part_" in var_name:
                    var_name = var_name[: var_name.index("/part_")]
                scope_variables.add(var_name)
        for var_name in sorted(scope_variables):
            full_tensor_name = var_name[len(scopes) :]
            if current_var_or_name != "/":
                full_tensor_name = full_tensor_name[1:]
            if tensor_name_in_ckpt != "/":
                full_tensor_name = tensor_name_in_ckpt + full_tensor_name
            if full_tensor_name.endswith("/"):
                full_tensor_name = full_tensor_name[:-1]
            if full_tensor_name not in variable_map:
                raise ValueError(
                    f"Tensor {full_tensor_name} ({var_name[len(scopes) + 1 :]} in {tensor_name_in_ckpt}) is not "
                    f"found in {ckpt_dir_or_file} checkpoint"
                )
            var = store_vars.get(var_name, None)
            if var is None:
                var = _collect_partitioned_variable(var_name, store_vars)
            _set_variable_or_list_initializer(var, filename, full_tensor_name)
            _log.debug(
                "Initialize variable %s from checkpoint %s with %s", var_name, ckpt_dir_or_file, full_tensor_name
            )
