"""tf.train.Saver: TensorFlow's saver subgraph and SaverDef, checkpoints in safetensors or TF's V2 format.

The graph a Saver builds is TensorFlow's (``save/Const``, ``save/SaveV2``, ``save/control_dependency``,
``save/RestoreV2``, ``save/Assign*``, ``save/restore_all``), so TensorFlow's ``import_meta_graph``
returns a working Saver for it, and a SaverDef written by TensorFlow runs here. ``save`` and
``restore`` run that subgraph in the session; the ``format`` option picks what SaveV2 writes:
``"safetensors"`` (default, ``<prefix>.safetensors``) or ``"tf"`` (``<prefix>.index`` +
``<prefix>.data-00000-of-00001``, which TensorFlow restores). Restore reads either format. When the
restore subgraph is the standard one, ``restore`` does its work without running it, reading each tensor
straight into its variable (see :mod:`torchmeta.train.restore_plan`), so restoring into initialized
variables needs no memory beyond them.

In a torch.distributed job (``torchmeta.distributed``) rank 0 writes the checkpoint and the other ranks get
its path back without writing or waiting (Horovod's convention: often only rank 0 calls ``save``). With
``sharded=True`` every rank must call ``save``: each writes a share of the variables to
``<prefix>_temp/part-0000i-of-0000N``, and once all are written rank 0 merges them as TensorFlow's
MergeV2Checkpoints does (one ``.index``, data files ``<prefix>.data-0000i-of-0000N``); every rank returns
when the checkpoint and its state file are complete, so ``latest_checkpoint`` finds it on every rank. The
state file is updated after the write or merge: a process killed during a save leaves the previous
checkpoint the latest, whole.
"""

from __future__ import annotations

import collections
import contextlib
import glob
import os
import time

import numpy as np

from torchmeta import errors
from torchmeta._proto import meta_graph_pb2, saver_pb2
from torchmeta.api import array_ops, control_flow_ops
from torchmeta.api.partitioned_variables import PartitionedVariable
from torchmeta.api.variables import Variable
from torchmeta.dtypes import as_dtype
from torchmeta.framework import device as device_lib
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import meta_graph
from torchmeta.framework.graph import GraphKeys, Tensor
from torchmeta.framework.importer import coerce_proto
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.saveable_object import SaveableObject
from torchmeta.framework.tensor_util import constant_value
from torchmeta.io import checkpoint as checkpoint_formats
from torchmeta.io.checkpoint import open_checkpoint
from torchmeta.ops.collective_ops import exchange, job_rank, job_size
from torchmeta.platform import tf_logging as _log  # TF logs these through the 'tensorflow' logger
from torchmeta.runtime.session import Session
from torchmeta.runtime.state import assigns_aside
from torchmeta.train import checkpoint_management, training_util
from torchmeta.train.restore_plan import RestorePlan, strings

__all__ = ["Saver", "SaverDef", "import_meta_graph", "export_meta_graph"]

SaverDef = saver_pb2.SaverDef


# ---------------------------------------------------------------------------------------------
# Saveables: what is written under one checkpoint key, and how it is restored


class _Saveable:
    """One checkpoint entry: the tensor to save, its slice spec, and how to assign a restored value. The entries
    of a SaveableObject's specs carry it as ``group`` (it restores them together) and no restore function."""

    def __init__(self, name, tensor, slice_spec, dtype, device, restore_fn, op, group=None):
        self.name = name
        self.tensor = tensor
        self.slice_spec = slice_spec
        self.dtype = dtype
        self.device = device
        self.restore = restore_fn
        self.op = op  # identity of what is saved, to reject saving one variable twice
        self.group = group


def _spec_saveables(saveable: SaveableObject) -> list[_Saveable]:
    """A SaveableObject's entries, one per SaveSpec, in its order."""
    return [
        _Saveable(spec.name, spec.tensor, spec.slice_spec, spec.dtype, spec.device, None, saveable.op, saveable)
        for spec in saveable.specs
    ]


def _ref_saveable(var_tensor: Tensor, slice_spec: str, name: str) -> _Saveable:
    def restore(restored, shape):
        if shape is not None:
            restored = array_ops.reshape(restored, shape)
        validate = shape is None and var_tensor.shape.is_fully_defined()
        return raw_op("Assign", ref=var_tensor, value=restored, validate_shape=validate, use_locking=True)

    return _Saveable(
        name, var_tensor, slice_spec, var_tensor.dtype.base_dtype, var_tensor.device, restore, var_tensor.op
    )


def _resource_handle(read: Tensor) -> Tensor:
    """The variable handle a resource variable's value is read from: the ReadVariableOp's input, past the
    Identity TF puts after it (a ResourceVariable's snapshot is ``<name>/Read/Identity``, e.g. the variables of
    TF's LSTMCell built under disable_eager_execution)."""
    op = read.op
    while op.type == "Identity" and op.inputs:
        op = op.inputs[0].op
    return op.inputs[0] if op.type == "ReadVariableOp" else read.op.inputs[0]


def _resource_saveable(read: Tensor, slice_spec: str, name: str) -> _Saveable:
    handle = _resource_handle(read)
    var_shape = read.shape

    def restore(restored, shape):
        if shape is not None:
            restored = array_ops.reshape(restored, shape)
        with graph_lib.device(handle.device or None):
            restored = array_ops.identity(restored)
            if not var_shape.is_compatible_with(restored.shape):
                raise ValueError(
                    f"Received incompatible tensor with shape {restored.shape} when attempting to restore variable "
                    f"with shape {var_shape} and name {name}."
                )
            return raw_op("AssignVariableOp", resource=handle, value=restored)

    return _Saveable(name, read, slice_spec, read.dtype.base_dtype, handle.device, restore, handle.op)


def saveable_for(var, name: str, slice_spec: str = "") -> _Saveable:
    if isinstance(var, Variable):
        if var._is_resource:
            return _resource_saveable(var._graph_element, slice_spec, name)
        return _ref_saveable(var._ref(), slice_spec, name)
    tensor = graph_lib.convert_to_tensor(var, as_ref=True)
    if tensor.op.type == "ReadVariableOp":
        return _resource_saveable(tensor, slice_spec, name)
    if tensor.op.type in ("VariableV2", "Variable", "VarHandleOp"):
        return _ref_saveable(tensor, slice_spec, name)
    raise TypeError(
        f"names_to_saveables must be a dict mapping string names to Tensors/Variables. Not a variable: {tensor}"
    )


def _op_list_to_dict(var_list) -> dict:
    """TF's naming for a var_list given as a list: op names, partitions grouped under their full name."""
    if not isinstance(var_list, (list, tuple, set)):
        raise TypeError(f"Variables to save should be passed in a dict or a list. Got {var_list}")
    out: dict = {}
    for var in sorted(_flatten(var_list), key=lambda v: v.name):
        if hasattr(var, "saveable_for_saver"):  # a mutable lookup table (a Trackable in TF)
            var = var.saveable_for_saver("")
        if isinstance(var, SaveableObject):
            out[var.name] = var
            continue
        if isinstance(var, PartitionedVariable):
            if var.name in out:
                raise ValueError(f"At least two variables have the same name: {var.name}")
            out[var.name] = list(var)
            continue
        info = var._get_save_slice_info() if isinstance(var, Variable) else None
        if info is not None:
            existing = out.setdefault(info.full_name, [])
            if not isinstance(existing, list):
                raise ValueError(f"Mixing slices and non-slices with the same name: {info.full_name}")
            existing.append(var)
            continue
        if isinstance(var, Variable):
            tensor = var._graph_element if var._is_resource else var._ref()
        else:
            tensor = graph_lib.convert_to_tensor(var, as_ref=True)
        if isinstance(var, Variable) and var._is_resource:
            name = _resource_handle(tensor).op.name  # TF: the handle's op, past a Read/Identity snapshot
        else:
            name = tensor.op.inputs[0].op.name if tensor.op.type == "ReadVariableOp" else tensor.op.name
        if name in out:
            raise ValueError(f"At least two variables have the same name: {name}")
        out[name] = var
    return out


def _flatten(items):
    for item in items:
        if isinstance(item, (list, tuple)):
            yield from _flatten(item)
        else:
            yield item


def _saveables(names_to_vars: dict) -> list[_Saveable]:
    saveables, seen = [], set()
    for name, var in sorted(names_to_vars.items(), key=lambda kv: kv[0]):
        if not isinstance(name, str):
            raise TypeError(
                f"names_to_saveables must be a dict mapping string names to trackable operations. Name is not a string: {name}"
            )
        if hasattr(var, "saveable_for_saver"):
            var = var.saveable_for_saver(name)
        if isinstance(var, SaveableObject):
            if var.op is not None and var.op in seen:
                raise ValueError(f"The same saveable will be restored with two names: {name}")
            seen.add(var.op)
            saveables.extend(_spec_saveables(var))
            continue
        sliced = isinstance(var, (list, tuple, PartitionedVariable))
        parts = list(var) if sliced else [var]
        for part in parts:
            spec = ""
            if sliced:
                spec = part._get_save_slice_info().spec
            saveable = saveable_for(part, name, spec)
            if saveable.op in seen:
                raise ValueError(f"The same saveable will be restored with two names: {name}")
            seen.add(saveable.op)
            saveables.append(saveable)
    return saveables


# ---------------------------------------------------------------------------------------------
# The saver subgraph (TensorFlow's BaseSaverBuilder / BulkSaverBuilder)


def _cpu0(device: str) -> str:
    spec = device_lib.DeviceSpec.from_string(device)
    spec.device_type, spec.device_index = "CPU", 0
    return spec.to_string()


class BaseSaverBuilder:
    """Builds the save and restore ops of a Saver, exactly as TensorFlow lays them out."""

    def __init__(self, write_version=SaverDef.V2):
        if write_version != SaverDef.V2:
            raise errors.UnimplementedError(
                None, None, "Only the V2 checkpoint format is supported (TensorFlow deprecated V1)."
            )
        self._write_version = write_version

    def save_op(self, filename_tensor, saveables):
        names = [s.name for s in saveables]
        slices = [s.slice_spec for s in saveables]
        tensors = [s.tensor for s in saveables]
        return raw_op("SaveV2", prefix=filename_tensor, tensor_names=names, shape_and_slices=slices, tensors=tensors)

    def bulk_restore(self, filename_tensor, saveables):
        with graph_lib.device("cpu:0"):
            out = raw_op(
                "RestoreV2",
                prefix=filename_tensor,
                tensor_names=[s.name for s in saveables],
                shape_and_slices=[s.slice_spec for s in saveables],
                dtypes=[s.dtype for s in saveables],
            )
        return out if isinstance(out, list) else [out]

    def _add_save_ops(self, filename_tensor, saveables):
        save = self.save_op(filename_tensor, saveables)
        return control_flow_ops.with_dependencies([save], filename_tensor)

    def _add_sharded_save_ops(self, checkpoint_prefix, per_device):
        with graph_lib.device("CPU"):
            suffix = array_ops.where(
                raw_op("StaticRegexFullMatch", input=checkpoint_prefix, pattern="^s3://.*"),
                array_ops.constant(".part"),
                array_ops.constant(os.path.normpath("_temp/part")),
            )
            tmp_prefix = raw_op("StringJoin", inputs=[checkpoint_prefix, suffix])
        num_shards = array_ops.constant(len(per_device), name="num_shards")
        saves, prefixes, last_device = [], [], None
        for shard, (device, saveables) in enumerate(per_device):
            last_device = device
            with graph_lib.device(_cpu0(device)):
                name = raw_op("ShardedFilename", basename=tmp_prefix, shard=shard, num_shards=num_shards)
                prefixes.append(name)
                saves.append(self._add_save_ops(name, saveables))
        with graph_lib.control_dependencies([s.op for s in saves]):
            with graph_lib.device(_cpu0(last_device)):
                merge = raw_op(
                    "MergeV2Checkpoints",
                    checkpoint_prefixes=prefixes,
                    destination_prefix=checkpoint_prefix,
                    delete_old_dirs=True,
                )
                with graph_lib.control_dependencies([merge]):
                    return array_ops.identity(checkpoint_prefix)

    def _add_restore_ops(self, filename_tensor, saveables, reshape, name="restore_all"):
        tensors = self.bulk_restore(filename_tensor, saveables)
        assigns, i = [], 0
        while i < len(saveables):
            saveable = saveables[i]
            n = len(saveable.group.specs) if saveable.group is not None else 1
            shapes = None
            if reshape:
                shapes = []
                for entry in saveables[i : i + n]:
                    shape = entry.tensor.shape  # a TensorShape converts straight to an int32 Const, as in TF
                    shapes.append(shape if shape.is_fully_defined() else array_ops.shape(entry.tensor))
            if saveable.group is not None:
                assigns.append(saveable.group.restore(tensors[i : i + n], shapes))
            else:
                assigns.append(saveable.restore(tensors[i], shapes[0] if shapes else None))
            i += n
        return control_flow_ops.group(*assigns, name=name)

    def _add_sharded_restore_ops(self, filename_tensor, per_device, reshape):
        restores = []
        for device, saveables in per_device:
            with graph_lib.device(device or None):
                restores.append(self._add_restore_ops(filename_tensor, saveables, reshape, name="restore_shard"))
        return control_flow_ops.group(*restores, name="restore_all")

    @staticmethod
    def _group_by_devices(saveables):
        per_device = collections.defaultdict(list)
        for s in saveables:
            per_device[device_lib.canonical_name(s.device)].append(s)
        return sorted(per_device.items(), key=lambda kv: kv[0])

    def build(
        self,
        names_to_vars,
        reshape=False,
        sharded=False,
        max_to_keep=5,
        keep_checkpoint_every_n_hours=10000.0,
        name=None,
        filename="model",
    ):
        saveables = _saveables(names_to_vars)
        if max_to_keep is None:
            max_to_keep = 0
        with graph_lib.name_scope(name, "save", [s.op for s in saveables]) as scope:
            del scope
            filename_tensor = array_ops.placeholder_with_default(filename or "model", shape=(), name="filename")
            filename_tensor = array_ops.placeholder_with_default(filename_tensor, shape=(), name="Const")
            if sharded:
                per_device = self._group_by_devices(saveables)
                save_tensor = self._add_sharded_save_ops(filename_tensor, per_device)
                restore_op = self._add_sharded_restore_ops(filename_tensor, per_device, reshape)
            else:
                save_tensor = self._add_save_ops(filename_tensor, saveables)
                restore_op = self._add_restore_ops(filename_tensor, saveables, reshape)
        return SaverDef(
            filename_tensor_name=filename_tensor.name,
            save_tensor_name=save_tensor.name,
            restore_op_name=restore_op.name,
            max_to_keep=max_to_keep,
            sharded=sharded,
            keep_checkpoint_every_n_hours=keep_checkpoint_every_n_hours,
            version=self._write_version,
        )


BulkSaverBuilder = BaseSaverBuilder


def _all_saveable_objects(scope=None):
    return graph_lib.get_collection(GraphKeys.GLOBAL_VARIABLES, scope) + graph_lib.get_collection(
        GraphKeys.SAVEABLE_OBJECTS, scope
    )


def _prepend(name: str, scope) -> str:
    if not scope:
        return name
    return scope.rstrip("/") + "/" + name


def _strip(name: str, scope) -> str:
    if not scope:
        return name
    prefix = scope.rstrip("/") + "/"
    return name[len(prefix) :] if name.startswith(prefix) else name


# ---------------------------------------------------------------------------------------------
# Saver


class Saver:
    """Saves and restores variables (``tf.train.Saver``), with TensorFlow's arguments and semantics.

    Args (TensorFlow's, plus one):
      var_list: None (all global variables and saveable objects), a list (keyed by op name) or a
        dict ``{checkpoint key: variable}``.
      reshape, sharded, max_to_keep, keep_checkpoint_every_n_hours, name, restore_sequentially,
      saver_def, builder, defer_build, allow_empty, write_version, pad_step_number,
      save_relative_paths, filename: as in TensorFlow.
      format: what ``save`` writes: ``"safetensors"`` (default, ``<prefix>.safetensors``) or ``"tf"``
        (TensorFlow's V2 bundle, ``<prefix>.index`` + ``<prefix>.data-*``, which TensorFlow restores).
        ``restore`` reads either.
      job_shards: in a torch.distributed job, whether every rank calls ``save`` and writes a share of the
        variables, merged by rank 0 (default: ``sharded``). A monitored session's default Saver, sharded as
        TensorFlow builds it, sets False: Horovod programs give only rank 0 a ``checkpoint_dir``.
    """

    def __init__(
        self,
        var_list=None,
        reshape=False,
        sharded=False,
        max_to_keep=5,
        keep_checkpoint_every_n_hours=10000.0,
        name=None,
        restore_sequentially=False,
        saver_def=None,
        builder=None,
        defer_build=False,
        allow_empty=False,
        write_version=SaverDef.V2,
        pad_step_number=False,
        save_relative_paths=False,
        filename=None,
        format="safetensors",
        job_shards=None,
    ):
        if defer_build and var_list:
            raise ValueError(
                "If `var_list` is provided then build cannot be deferred. Either set defer_build=False or "
                "var_list=None."
            )
        self.format = format
        self._var_list = var_list
        self._reshape = reshape
        self._sharded = sharded
        self._job_shards = job_shards
        self._max_to_keep = max_to_keep
        self._keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
        self._name = name
        self._restore_sequentially = restore_sequentially
        self.saver_def = saver_def
        self._builder = builder
        self._is_built = False
        self._allow_empty = allow_empty
        self._is_empty = None
        self._write_version = write_version
        self._pad_step_number = pad_step_number
        self._filename = filename
        self._last_checkpoints: list = []
        self._checkpoints_to_be_deleted: list = []
        self._save_relative_paths = save_relative_paths
        self._restore_plan = None  # (graph, graph version, RestorePlan or None)
        if not defer_build:
            self.build()
        if self.saver_def:
            self._check_saver_def()
            self._write_version = self.saver_def.version

    # -- building --------------------------------------------------------------------------------
    def build(self):
        if self._is_built:
            return
        self._is_built = True
        if not self.saver_def:
            if self._builder is None:
                self._builder = BaseSaverBuilder(self._write_version)
            if self._var_list is None:
                self._var_list = _all_saveable_objects()
            if not self._var_list:
                if self._allow_empty:
                    self._is_empty = True
                    return
                raise ValueError("No variables to save")
            self._is_empty = False
            names_to_vars = self._var_list if isinstance(self._var_list, dict) else _op_list_to_dict(self._var_list)
            self.saver_def = self._builder.build(
                names_to_vars,
                reshape=self._reshape,
                sharded=self._sharded,
                max_to_keep=self._max_to_keep,
                keep_checkpoint_every_n_hours=self._keep_checkpoint_every_n_hours,
                name=self._name,
                filename=self._filename,
            )
        elif self._name:
            for field in ("filename_tensor_name", "save_tensor_name", "restore_op_name"):
                setattr(self.saver_def, field, _prepend(getattr(self.saver_def, field), self._name))
        self._check_saver_def()
        self._next_checkpoint_time = time.time() + self.saver_def.keep_checkpoint_every_n_hours * 3600

    def _check_saver_def(self):
        if not isinstance(self.saver_def, SaverDef):
            raise ValueError(f"saver_def must be a saver_pb2.SaverDef: {self.saver_def}")
        if not self.saver_def.save_tensor_name:
            raise ValueError(f"saver_def must specify the save_tensor_name: {self.saver_def}")
        if not self.saver_def.restore_op_name:
            raise ValueError(f"saver_def must specify the restore_op_name: {self.saver_def}")

    def as_saver_def(self):
        return self.saver_def

    def to_proto(self, export_scope=None):
        """The SaverDef with ``export_scope`` stripped, or None if the saver lies outside it."""
        if export_scope is None:
            return self.saver_def
        names = (self.saver_def.filename_tensor_name, self.saver_def.save_tensor_name, self.saver_def.restore_op_name)
        if not all(n.startswith(export_scope) for n in names):
            return None
        out = SaverDef()
        out.CopyFrom(self.saver_def)
        out.filename_tensor_name = _strip(out.filename_tensor_name, export_scope)
        out.save_tensor_name = _strip(out.save_tensor_name, export_scope)
        out.restore_op_name = _strip(out.restore_op_name, export_scope)
        return out

    @staticmethod
    def from_proto(saver_def, import_scope=None):
        return Saver(saver_def=saver_def, name=import_scope)

    @property
    def format(self) -> str:
        """What ``save`` writes: ``"safetensors"`` or ``"tf"`` (settable, e.g. on an imported Saver)."""
        return self._format

    @format.setter
    def format(self, value: str) -> None:
        self._format = checkpoint_formats.get_format(value).name

    # -- checkpoint history ------------------------------------------------------------------------
    @property
    def last_checkpoints(self) -> list[str]:
        return [p for p, _ in self._last_checkpoints]

    def set_last_checkpoints(self, last_checkpoints):
        assert isinstance(last_checkpoints, list)
        self._last_checkpoints = [(s, np.inf) for s in last_checkpoints]

    def set_last_checkpoints_with_time(self, last_checkpoints_with_time):
        assert isinstance(last_checkpoints_with_time, list)
        self._last_checkpoints = last_checkpoints_with_time

    def recover_last_checkpoints(self, checkpoint_paths):
        with_mtimes = []
        for path in checkpoint_paths:
            mtime = checkpoint_management.get_checkpoint_mtimes([path])
            if mtime:
                with_mtimes.append((path, mtime[0]))
        self.set_last_checkpoints_with_time(with_mtimes)

    def _record_last_checkpoint(self, latest):
        if not self.saver_def.max_to_keep:
            return
        self._last_checkpoints = [p for p in self._last_checkpoints if p[0] != latest]
        self._last_checkpoints.append((latest, time.time()))
        if len(self._last_checkpoints) > self.saver_def.max_to_keep:
            self._checkpoints_to_be_deleted.append(self._last_checkpoints.pop(0))

    def _maybe_delete_old_checkpoints(self, meta_graph_suffix="meta"):
        if not self._checkpoints_to_be_deleted:
            return
        path, created = self._checkpoints_to_be_deleted.pop(0)
        if created > self._next_checkpoint_time:
            self._next_checkpoint_time += self.saver_def.keep_checkpoint_every_n_hours * 3600
            return
        try:
            checkpoint_management.remove_checkpoint(path, self.saver_def.version, meta_graph_suffix)
        except Exception as e:
            _log.warning("Ignoring: %s", e)

    # -- save / restore ------------------------------------------------------------------------------
    def save(
        self,
        sess,
        save_path,
        global_step=None,
        latest_filename=None,
        meta_graph_suffix="meta",
        write_meta_graph=True,
        write_state=True,
        strip_default_attrs=False,
        save_debug_info=False,
    ):
        """Saves the variables; returns the checkpoint prefix (``save_path`` or ``save_path-<step>``).

        Also writes ``<prefix>.meta`` (with this Saver's SaverDef) unless ``write_meta_graph`` is False,
        and the ``checkpoint`` state file unless ``write_state`` is False. In a torch.distributed job
        only rank 0 writes; every other rank returns the same path without writing.

        Raises:
          RuntimeError: if the Saver was deferred and not built.
          TypeError: if ``sess`` is not a Session.
          ValueError: for a bad ``latest_filename`` or a missing parent directory (TF's wording).
        """
        if not self._is_built:
            raise RuntimeError("`build()` should be called before save if defer_build==True")
        if latest_filename is None:
            latest_filename = "checkpoint"
        if os.path.split(latest_filename)[0]:
            raise ValueError("'latest_filename' must not contain path components")
        save_path = os.fspath(save_path)
        if global_step is not None:
            if not isinstance(global_step, (int, np.integer)):
                global_step = training_util.global_step(sess, global_step)
            step = f"{int(global_step):08d}" if self._pad_step_number else str(int(global_step))
            checkpoint_file = f"{save_path}-{step}"
        else:
            checkpoint_file = save_path
            if os.path.basename(save_path) == latest_filename and not self._sharded:
                raise ValueError(f"'latest_filename' collides with 'save_path': '{latest_filename}' and '{save_path}'")
        if not isinstance(sess, Session):
            raise TypeError(f"'sess' must be a Session; {sess}")
        if not self._is_empty:
            self._check_names_in(sess.graph)
        write = dict(
            write_meta_graph=write_meta_graph,
            write_state=write_state,
            latest_filename=latest_filename,
            meta_graph_suffix=meta_graph_suffix,
            strip_default_attrs=strip_default_attrs,
            save_debug_info=save_debug_info,
        )
        if job_size() > 1 and not self._is_empty and self._shards_in_job():
            return self._save_shards_in_job(sess, save_path, checkpoint_file, write)
        if job_rank() != 0:
            # In a torch.distributed job rank 0 writes (the variables are the same on every rank after the
            # all-reduced updates); the others skip the write and get the path it has.
            if self._is_empty:
                return None
            if write_state:
                self._record_last_checkpoint(checkpoint_file)
                self._checkpoints_to_be_deleted.clear()
            return checkpoint_file
        return self._write(sess, save_path, checkpoint_file, **write)

    def _shards_in_job(self) -> bool:
        return self.saver_def.sharded if self._job_shards is None else self._job_shards

    def _save_shards_in_job(self, sess, save_path, checkpoint_file, write):
        """A sharded ``save`` in a torch.distributed job (every rank calls it): each rank writes a share of the
        variables, then rank 0 merges the shares; every rank returns once the checkpoint and its state file
        are complete."""
        rank, what = job_rank(), f"Saver.save of {checkpoint_file} (sharded: every rank must call save)"
        parts = self._write_own_shard(sess, checkpoint_file, what)
        failure, path = None, checkpoint_file
        if rank == 0:
            try:
                path = self._write(sess, save_path, checkpoint_file, merge_parts=parts, **write)
            except Exception as e:
                failure = e
        status = _exchange(what, failure is not None)
        if failure is not None:
            raise failure
        if status[0]:
            raise errors.AbortedError(None, None, f"{what}: rank 0 failed to write the checkpoint (see its error)")
        if rank != 0 and write["write_state"]:
            self._record_last_checkpoint(checkpoint_file)
            self._checkpoints_to_be_deleted.clear()
        return path

    def _write_own_shard(self, sess, checkpoint_file, what):
        """This rank's share of the saved tensors written to its part of the checkpoint, once every rank has
        written its own; returns the part prefixes of all ranks (for rank 0's merge)."""
        entries = _save_entries(sess.graph, self.saver_def.save_tensor_name)
        shards = _partition(entries, job_size())
        writers = [r for r, shard in enumerate(shards) if shard]
        parts = {r: f"{checkpoint_file}_temp/part-{i:05d}-of-{len(writers):05d}" for i, r in enumerate(writers)}
        mine, failure = shards[job_rank()], None
        if mine:
            try:
                values = sess.run([entries[i][2] for i in mine])
                checkpoint_formats.get_format(self._format).write(
                    parts[job_rank()],
                    [entries[i][0] for i in mine],
                    [entries[i][1] for i in mine],
                    values,
                    dtypes=[entries[i][3] for i in mine],
                )
            except Exception as e:
                failure = e
        try:
            status = _exchange(what, failure is not None)
        except errors.OpError:
            if job_rank() == 0:
                _remove_parts(parts.values())
            raise
        if failure is not None:
            raise failure
        failed = [r for r, bad in enumerate(status) if bad]
        if failed:
            if job_rank() == 0:
                _remove_parts(parts.values())
            raise errors.AbortedError(
                None,
                None,
                f"{what}: ranks {failed} failed to write their shards (see their errors); nothing was merged",
            )
        return [parts[r] for r in writers]

    def _write(
        self,
        sess,
        save_path,
        checkpoint_file,
        write_meta_graph,
        write_state,
        latest_filename,
        meta_graph_suffix,
        strip_default_attrs,
        save_debug_info,
        merge_parts=None,
    ):
        """Writes the checkpoint (or, with ``merge_parts``, merges the ranks' parts into it), its state file
        and meta graph; returns the checkpoint prefix."""
        save_dir = os.path.dirname(save_path)
        local_dir = checkpoint_management.local_path(save_dir)
        model_checkpoint_path = None
        if not self._is_empty:
            if local_dir and not os.path.isdir(local_dir):
                parent = os.path.dirname(local_dir)
                if self.saver_def.sharded or (parent and not os.path.isdir(parent)):
                    raise ValueError(f"Parent directory of {save_path} doesn't exist, can't save.")
            if merge_parts is not None:
                checkpoint_formats.get_format(self._format).merge(
                    merge_parts, checkpoint_file, delete_old_dirs=True, allow_missing_files=False
                )
                model_checkpoint_path = checkpoint_file
            else:
                with sess._state.checkpoint_format_scope(self._format):
                    result = sess.run(
                        self.saver_def.save_tensor_name, {self.saver_def.filename_tensor_name: checkpoint_file}
                    )
                model_checkpoint_path = result.decode() if isinstance(result, bytes) else str(result)
            if write_state:
                self._record_last_checkpoint(model_checkpoint_path)
                checkpoint_management.update_checkpoint_state_internal(
                    save_dir=save_dir,
                    model_checkpoint_path=model_checkpoint_path,
                    all_model_checkpoint_paths=self.last_checkpoints,
                    latest_filename=latest_filename,
                    save_relative_paths=self._save_relative_paths,
                )
                self._maybe_delete_old_checkpoints(meta_graph_suffix)
        if write_meta_graph:
            filename = checkpoint_management.local_path(
                checkpoint_management.meta_graph_filename(checkpoint_file, meta_graph_suffix)
            )
            with sess.graph.as_default():
                self.export_meta_graph(
                    filename, strip_default_attrs=strip_default_attrs, save_debug_info=save_debug_info
                )
        return model_checkpoint_path

    def export_meta_graph(
        self,
        filename=None,
        collection_list=None,
        as_text=False,
        export_scope=None,
        clear_devices=False,
        clear_extraneous_savers=False,
        strip_default_attrs=False,
        save_debug_info=False,
    ):
        """Writes the default graph's MetaGraphDef with this Saver's SaverDef (see tf.train.export_meta_graph)."""
        return meta_graph.export_meta_graph(
            filename=filename,
            graph_def=graph_lib.get_default_graph().as_graph_def(add_shapes=True),
            saver_def=self.saver_def,
            collection_list=collection_list,
            as_text=as_text,
            export_scope=export_scope,
            clear_devices=clear_devices,
            clear_extraneous_savers=clear_extraneous_savers,
            strip_default_attrs=strip_default_attrs,
            save_debug_info=save_debug_info,
        )

    def restore(self, sess, save_path):
        """Restores the variables from ``save_path`` (safetensors or TF V2, whichever is there).

        Standard restore subgraphs (any Saver's, TensorFlow's included) are executed by reading each
        tensor into its variable (in place when the variable is initialized with the same shape); other
        graphs run the restore op in the session.

        Raises:
          ValueError: if ``save_path`` is None or not a checkpoint (TF's wording).
          NotFoundError / InvalidArgumentError: for a missing key, or a shape or dtype mismatch, with
            TF's "Restoring from checkpoint failed..." explanation.
        """
        if self._is_empty:
            return
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        prefix = os.fspath(save_path)
        if not checkpoint_management.checkpoint_exists(prefix):
            raise ValueError("The passed save_path is not a valid checkpoint: " + prefix)
        _log.info("Restoring parameters from %s", prefix)
        if hasattr(sess, "graph"):
            self._check_names_in(sess.graph)
        try:
            if not self._restore_fast(sess, prefix):
                self._restore_graph(sess, prefix)
        except errors.NotFoundError as err:
            raise _wrap_restore_error(err, "a Variable name or other graph key that is missing") from err
        except errors.InvalidArgumentError as err:
            raise _wrap_restore_error(err, "a mismatch between the current graph and the graph") from err

    def _check_names_in(self, graph):
        """The SaverDef's tensor and op names exist in ``graph`` (a SaverDef read from a file may name anything)."""
        saver_def = self.saver_def
        for field, allow_tensor, allow_operation in (
            ("filename_tensor_name", True, False),
            ("save_tensor_name", True, False),
            ("restore_op_name", False, True),
        ):
            name = getattr(saver_def, field)
            try:
                graph.as_graph_element(name, allow_tensor=allow_tensor, allow_operation=allow_operation)
            except (KeyError, ValueError, TypeError) as e:
                raise errors.as_invalid_value(
                    f"The Saver's SaverDef.{field} {name!r} does not name a graph element", e
                ) from None

    def _restore_graph(self, sess, prefix):
        """Runs the restore op, atomically: its checkpoint reads are verified first (a RestoreV2 that would
        fail is run alone, so its error is the graph path's own and nothing is assigned), and if the run still
        fails every variable gets back the value (or uninitialized state) it had."""
        feed = {self.saver_def.filename_tensor_name: prefix}
        if not hasattr(sess, "_slots"):
            sess.run(self.saver_def.restore_op_name, feed)
            return
        graph = sess.graph
        failing = _unreadable_restore_op(
            graph,
            graph.as_graph_element(self.saver_def.restore_op_name, allow_tensor=False, allow_operation=True),
            graph.as_graph_element(self.saver_def.filename_tensor_name, allow_tensor=True, allow_operation=False),
            prefix,
        )
        if failing is not None:
            sess.run(failing.outputs, feed)  # raises the RestoreV2 node's error; assigns nothing
        with sess._lock:
            before = {key: slot.value for key, slot in sess._slots.items()}
            try:
                with assigns_aside():
                    sess.run(self.saver_def.restore_op_name, feed)
            except BaseException:
                for key, slot in list(sess._slots.items()):
                    slot.value = before.get(key)
                raise

    # Restore without running the restore op when the graph is the standard one (see restore_plan).
    _use_restore_plan = True

    def _restore_fast(self, sess, prefix) -> bool:
        if not self._use_restore_plan or not isinstance(sess, Session) or sess._closed:
            return False
        graph = sess.graph
        cached = self._restore_plan
        if cached is None or cached[0] is not graph or cached[1] != graph.version:
            cached = self._restore_plan = (graph, graph.version, RestorePlan.build(graph, self.saver_def))
        plan = cached[2]
        if plan is None:
            return False
        with sess._lock:
            return plan.run(sess, prefix)


def _exchange(what, failed: bool) -> list[int]:
    """Every rank's ``failed`` flag (the ranks wait for each other here)."""
    return exchange(what, int(failed))


def _save_entries(graph, save_tensor_name) -> list[tuple]:
    """``(checkpoint key, shape_and_slice, tensor, dtype)`` of everything the SaveV2 ops of a Saver's save
    subgraph write, in their order."""
    stack, seen, saves = [graph.as_graph_element(save_tensor_name).op], set(), []
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        if op.type == "SaveV2":
            saves.append(op)
            continue
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    entries = []
    for op in sorted(saves, key=lambda op: op.name):
        names, specs = constant_value(op.inputs[1]), constant_value(op.inputs[2])
        if names is None or specs is None:
            raise errors.UnimplementedError(
                op.node_def, op, f"SaveV2 '{op.name}': a sharded save in a job needs constant tensor names"
            )
        for name, spec, tensor, dtype in zip(
            names.reshape(-1), specs.reshape(-1), op.inputs[3:], op.get_attr("dtypes")
        ):
            as_str = [v.decode() if isinstance(v, bytes) else str(v) for v in (name, spec)]
            entries.append((as_str[0], as_str[1], tensor, dtype))
    return entries


def _partition(entries, n) -> list[list[int]]:
    """The indices of ``entries`` each of ``n`` ranks writes: the largest first, each to the rank with the fewest
    bytes so far (the same on every rank: the graphs are the same); a share keeps the entries' order."""
    shards, loads = [[] for _ in range(n)], [0] * n

    def size(i):
        shape, dtype = entries[i][2].shape, entries[i][3]
        return (shape.num_elements() if shape.is_fully_defined() else 1) * max(dtype.size or 1, 1)

    for i in sorted(range(len(entries)), key=lambda i: (-size(i), i)):
        r = min(range(n), key=lambda r: (loads[r], r))
        shards[r].append(i)
        loads[r] += size(i)
    return [sorted(shard) for shard in shards]


def _remove_parts(prefixes) -> None:
    """Best effort: the files of the parts of a sharded save that will not be merged, and their directory."""
    patterns = [p for fmt in checkpoint_formats.FORMATS.values() for p in fmt.file_patterns]
    for prefix in prefixes:
        for pattern in patterns:
            for path in glob.glob(glob.escape(prefix) + pattern):
                with contextlib.suppress(OSError):
                    os.unlink(path)
        with contextlib.suppress(OSError):
            os.rmdir(os.path.dirname(prefix))


def _unreadable_restore_op(graph, restore_op, filename, prefix):
    """The first RestoreV2 feeding ``restore_op`` whose reads from checkpoint ``prefix`` would fail, or None.

    Only RestoreV2 ops that read the SaverDef's filename tensor, with constant names and slice specs, are
    checked: key present, dtype as the op wants it, bytes verified (``reader.verify``), slices readable.
    """
    restores, seen, stack = [], {restore_op}, [restore_op]
    while stack:
        op = stack.pop()
        if op.type == "RestoreV2":
            restores.append(op)
            continue
        for nxt in [t.op for t in op.inputs] + list(op.control_inputs):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    restores = [op for op in restores if op.inputs[0] is filename]
    if not restores:
        return None
    try:
        reader = open_checkpoint(checkpoint_management.local_path(prefix))
    except errors.OpError:
        return restores[0]
    try:
        for op in sorted(restores, key=lambda o: o.name):
            names, specs = strings(constant_value(op.inputs[1])), strings(constant_value(op.inputs[2]))
            if names is None or specs is None:
                continue
            dtypes = op.get_attr("dtypes")
            if not len(names) == len(specs) == len(dtypes):
                return op
            for name, spec, dtype in zip(names, specs, dtypes):
                try:
                    if not reader.has_tensor(name) or reader.get_dtype(name) is not as_dtype(dtype).base_dtype:
                        return op
                    reader.verify(name)
                    if spec:
                        reader.get_slice(name, spec)
                except errors.OpError:
                    return op
        return None
    finally:
        reader.close()


def _wrap_restore_error(err, what):
    message = (
        f"Restoring from checkpoint failed. This is most likely due to {what} from the checkpoint. Please ensure "
        f"that you have not altered the graph expected based on the checkpoint. Original error:\n\n{err.message}"
    )
    return type(err)(err.node_def, err.op, message)


def _saver_from_meta_graph(meta_graph_def, import_scope, imported_vars):
    """import_meta_graph's Saver: one from the file's SaverDef, else a default one, else None."""
    if meta_graph_def.HasField("saver_def"):
        scope = import_scope
        if imported_vars:
            key, var = next(iter(imported_vars.items()))
            scope = var.name[: -len(key)]
        saver_def = SaverDef()
        saver_def.MergeFromString(meta_graph_def.saver_def.SerializeToString())
        return Saver(saver_def=saver_def, name=scope)
    if _all_saveable_objects(scope=import_scope):
        return Saver()
    _log.info("Saver not created because there are no variables in the graph to restore")
    return None


graph_lib.register_proto_function(
    GraphKeys.SAVERS, proto_type=SaverDef, to_proto=Saver.to_proto, from_proto=Saver.from_proto
)


_IMPORT_META_GRAPH_KWARGS = ("graph", "input_map", "unbound_inputs_col_name", "restore_collections_predicate")


def import_meta_graph(meta_graph_or_file, clear_devices=False, import_scope=None, format=None, **kwargs):
    """``tf.train.import_meta_graph``: imports a MetaGraphDef and returns a Saver for it (or None).

    Args:
      meta_graph_or_file: a MetaGraphDef or a ``.meta`` path (binary or text).
      clear_devices: blank all devices (written into a given MetaGraphDef, as TF does).
      import_scope: name scope for the imported graph.
      format: torchmeta's extra: what the returned Saver's ``save`` writes (``"safetensors"``, the
        default, or ``"tf"`` so that TensorFlow reads the checkpoints); it restores either format.
      **kwargs: ``graph``, ``input_map``, ``unbound_inputs_col_name``, ``restore_collections_predicate``.

    Returns:
      A Saver from the file's ``saver_def``, a default Saver when variables were imported, else None
      (TensorFlow's rule).

    Example:
      >>> saver = tf.train.import_meta_graph("/tmp/model.meta")  # doctest: +SKIP
    """
    saver = _import_meta_graph_with_return_elements(meta_graph_or_file, clear_devices, import_scope, **kwargs)[0]
    if saver is not None and format is not None:
        saver.format = format
    return saver


@errors.invalid_values
def _import_meta_graph_with_return_elements(
    meta_graph_or_file, clear_devices=False, import_scope=None, return_elements=None, **kwargs
):
    unexpected = set(kwargs) - set(_IMPORT_META_GRAPH_KWARGS)
    if unexpected:
        raise TypeError(f"import_meta_graph() got unexpected keyword arguments: {sorted(unexpected)}")
    if isinstance(meta_graph_or_file, (str, bytes, os.PathLike)):
        path = meta_graph_or_file.decode() if isinstance(meta_graph_or_file, bytes) else meta_graph_or_file
        meta_graph_def = meta_graph.read_meta_graph_file(path)
    else:
        meta_graph_def = meta_graph_or_file
    imported_vars, imported_return_elements = meta_graph.import_scoped_meta_graph_with_return_elements(
        meta_graph_def,
        clear_devices=clear_devices,
        import_scope=import_scope,
        return_elements=return_elements,
        **kwargs,
    )
    if not isinstance(meta_graph_def, meta_graph_pb2.MetaGraphDef):
        meta_graph_def = coerce_proto(meta_graph_def, meta_graph_pb2.MetaGraphDef, "meta_graph_or_file")
    graph = kwargs.get("graph") or graph_lib.get_default_graph()
    with graph.as_default():
        saver = _saver_from_meta_graph(meta_graph_def, import_scope, imported_vars)
    return saver, imported_return_elements


def export_meta_graph(*args, **kwargs):
    """``tf.train.export_meta_graph``: see torchmeta.framework.meta_graph.export_meta_graph."""
    return meta_graph.export_meta_graph(*args, **kwargs)
