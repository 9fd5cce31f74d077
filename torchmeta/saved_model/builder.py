"""``tf.compat.v1.saved_model.builder.SavedModelBuilder``: writes SavedModels as TensorFlow 1.x does.

The directory it writes is TensorFlow's, file for file: ``saved_model.pb`` (or ``.pbtxt``), the variables
as a TF V2 checkpoint under ``variables/`` (written by a sharded Saver, as TensorFlow's builder does, in
TensorFlow's format whatever format the Saver would write by default) and the assets copied into
``assets/``. TensorFlow's ``tf.compat.v1.saved_model.loader.load`` and ``saved_model_cli`` read it.
"""

from __future__ import annotations

import filecmp
import os
import shutil

from google.protobuf import any_pb2

from torchmeta import errors
from torchmeta._proto import meta_graph_pb2, saved_model_pb2
from torchmeta._proto.saver_pb2 import SaverDef
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import Operation, Tensor
from torchmeta.io import saved_model as saved_model_io
from torchmeta.platform import tf_logging
from torchmeta.saved_model import constants
from torchmeta.train.saver import Saver

__all__ = ["SavedModelBuilder", "Builder"]


class SavedModelBuilder:
    """Builds a SavedModel: MetaGraphs (one per tag set) sharing one set of variables and assets.

    Example:
      >>> builder = tf.saved_model.builder.SavedModelBuilder("/tmp/export")  # doctest: +SKIP
      >>> with tf.Session() as sess:  # doctest: +SKIP
      ...     sess.run(tf.global_variables_initializer())
      ...     builder.add_meta_graph_and_variables(sess, [tf.saved_model.tag_constants.SERVING],
      ...         signature_def_map={"serving_default": tf.saved_model.predict_signature_def({"x": x}, {"y": y})})
      >>> builder.save()  # doctest: +SKIP

    Raises:
      AssertionError: if ``export_dir`` exists and is not empty (TensorFlow's message).
    """

    def __init__(self, export_dir):
        self._saved_model = saved_model_pb2.SavedModel(
            saved_model_schema_version=saved_model_io.SAVED_MODEL_SCHEMA_VERSION
        )
        self._export_dir = os.fspath(export_dir)
        if os.path.exists(self._export_dir):
            if not os.path.isdir(self._export_dir) or os.listdir(self._export_dir):
                raise AssertionError(
                    f"Export directory {self._export_dir} already exists, and isn't empty. Please choose a different "
                    "export directory, or delete all the contents of the specified directory."
                )
        else:
            os.makedirs(self._export_dir)
        self._has_saved_variables = False
        self._saved_asset_files: set[str] = set()

    # -- checks ------------------------------------------------------------------------------------
    def _validate_tensor_info(self, tensor_info):
        if tensor_info is None:
            raise AssertionError(
                "All TensorInfo protos used in the SignatureDefs must have the name and dtype fields set."
            )
        encoding = tensor_info.WhichOneof("encoding")
        if encoding is None:
            raise AssertionError(
                f"Invalid `tensor_info`: {tensor_info}. All TensorInfo protos used in the SignatureDefs must have one "
                "of the 'encoding' fields (e.g., name or coo_sparse) set."
            )
        if encoding == "composite_tensor":
            for component in tensor_info.composite_tensor.components:
                self._validate_tensor_info(component)
        elif tensor_info.dtype == 0:
            raise AssertionError(
                f"Invalid `tensor_info`: {tensor_info}. All TensorInfo protos used in the SignatureDefs must have the "
                "dtype field set."
            )

    def _validate_signature_def_map(self, signature_def_map):
        for signature_def in signature_def_map.values():
            for info in signature_def.inputs.values():
                self._validate_tensor_info(info)
            for info in signature_def.outputs.values():
                self._validate_tensor_info(info)
        if constants.INIT_OP_SIGNATURE_KEY in signature_def_map:
            raise KeyError(
                f'SignatureDef map key "{constants.INIT_OP_SIGNATURE_KEY}" is reserved for initialization. Please use '
                "a different key."
            )
        if constants.TRAIN_OP_SIGNATURE_KEY in signature_def_map:
            raise KeyError(
                f'SignatureDef map key "{constants.TRAIN_OP_SIGNATURE_KEY}" is reserved for the train op. Please use a '
                "different key."
            )

    # -- collections -------------------------------------------------------------------------------
    def _add_collections(self, graph, assets_collection, main_op):
        asset_filename_map = _maybe_save_assets(graph, assets_collection)
        if asset_filename_map:
            _copy_assets_to_destination_dir(asset_filename_map, self._export_dir, self._saved_asset_files)
        if main_op is None:
            return
        if not isinstance(main_op, Operation):
            raise TypeError(f"Expected {main_op} to be an Operation but got type {type(main_op)} instead.")
        for key in (constants.MAIN_OP_KEY, constants.LEGACY_INIT_OP_KEY):
            if graph.get_collection(key):
                raise ValueError(f"Graph already contains one or more main ops under the collection {key}.")
        graph.add_to_collection(constants.MAIN_OP_KEY, main_op)

    @staticmethod
    def _maybe_create_saver(saver=None) -> Saver:
        if not saver:
            saver = Saver(sharded=True, write_version=SaverDef.V2, allow_empty=True, format="tf")
        return saver

    def _tag_and_add_meta_graph(self, meta_graph_def, tags, signature_def_map):
        meta_graph_def.meta_info_def.tags.extend(tags)
        for key, signature_def in (signature_def_map or {}).items():
            meta_graph_def.signature_def[key].CopyFrom(signature_def)
        self._saved_model.meta_graphs.add().CopyFrom(meta_graph_def)

    # -- the API -----------------------------------------------------------------------------------
    def add_meta_graph_and_variables(
        self,
        sess,
        tags,
        signature_def_map=None,
        assets_collection=None,
        legacy_init_op=None,
        clear_devices=False,
        main_op=None,
        strip_default_attrs=False,
        saver=None,
    ):
        """Saves ``sess``'s variables under ``variables/`` and adds the session graph's MetaGraph, tagged ``tags``.

        Must be called once, before any ``add_meta_graph``. ``main_op`` (or ``legacy_init_op``) runs after the
        variables are restored at load time; ``assets_collection`` lists string Const tensors naming files, which
        are copied into ``assets/`` and fed their new paths at load time.
        """
        if self._has_saved_variables:
            raise AssertionError(
                "Graph state including variables and assets has already been saved. Please invoke `add_meta_graph()` "
                "instead."
            )
        signature_def_map = signature_def_map or {}
        self._validate_signature_def_map(signature_def_map)
        main_op = main_op or legacy_init_op
        with sess.graph.as_default():
            self._add_collections(sess.graph, assets_collection, main_op)
            os.makedirs(saved_model_io.get_variables_dir(self._export_dir), exist_ok=True)
            saver = self._maybe_create_saver(saver)
            previous_format = saver.format
            saver.format = "tf"  # a SavedModel's variables are TensorFlow's V2 checkpoint
            try:
                saver.save(
                    sess,
                    saved_model_io.get_variables_path(self._export_dir),
                    write_meta_graph=False,
                    write_state=False,
                )
            finally:
                saver.format = previous_format
            meta_graph_def = saver.export_meta_graph(
                clear_devices=clear_devices, strip_default_attrs=strip_default_attrs
            )
        self._tag_and_add_meta_graph(meta_graph_def, tags, signature_def_map)
        self._has_saved_variables = True

    def add_meta_graph(
        self,
        tags,
        signature_def_map=None,
        assets_collection=None,
        legacy_init_op=None,
        clear_devices=False,
        main_op=None,
        strip_default_attrs=False,
        saver=None,
    ):
        """Adds the default graph's MetaGraph, tagged ``tags``, sharing the variables saved first."""
        if not self._has_saved_variables:
            raise AssertionError(
                "Graph state including variables and assets has not been saved yet. Please invoke "
                "`add_meta_graph_and_variables()` first."
            )
        signature_def_map = signature_def_map or {}
        self._validate_signature_def_map(signature_def_map)
        main_op = main_op if main_op is not None else legacy_init_op
        self._add_collections(graph_lib.get_default_graph(), assets_collection, main_op)
        saver = self._maybe_create_saver(saver)
        meta_graph_def = saver.export_meta_graph(clear_devices=clear_devices, strip_default_attrs=strip_default_attrs)
        self._tag_and_add_meta_graph(meta_graph_def, tags, signature_def_map)

    def save(self, as_text=False) -> bytes:
        """Writes ``saved_model.pb`` (or ``saved_model.pbtxt`` with ``as_text``); returns its path (bytes, as TF)."""
        path = saved_model_io.write_saved_model(self._saved_model, self._export_dir, as_text=as_text)
        tf_logging.info("SavedModel written to: %s", path)
        return path.encode()


Builder = SavedModelBuilder


def _asset_path_from_tensor(path_tensor) -> bytes:
    if not isinstance(path_tensor, Tensor):
        raise TypeError(f"Asset path tensor {path_tensor} must be a Tensor.")
    if path_tensor.op.type != "Const":
        raise TypeError(
            f"Asset path tensor {path_tensor} must be of type constant.Has type {path_tensor.op.type} instead."
        )
    if path_tensor.dtype != DType.string:
        raise TypeError(
            f"Asset path tensor {path_tensor}` must be of dtype string.Has type {path_tensor.dtype} instead."
        )
    values = path_tensor.op.get_attr("value").string_val
    if len(values) != 1:
        raise TypeError(f"Asset path tensor {path_tensor} must be a scalar.")
    return values[0]


def _asset_filename_to_add(asset_filepath: bytes, asset_filename_map: dict) -> bytes:
    """The asset's base name, made unique (``name_1``, ...) when another file of that name differs."""
    asset_filename = os.path.basename(asset_filepath)
    if asset_filename not in asset_filename_map:
        return asset_filename
    other = asset_filename_map[asset_filename]
    if other == asset_filepath or filecmp.cmp(asset_filepath, other, shallow=False):
        return asset_filename
    i, unique = 1, asset_filename
    while unique in asset_filename_map:
        unique = b"_".join([asset_filename, str(i).encode()])
        i += 1
    return unique


def _maybe_save_assets(graph, assets_collection) -> dict:
    """Adds an AssetFileDef per asset tensor to the graph's ``saved_model_assets`` collection."""
    asset_filename_map: dict[bytes, bytes] = {}
    if assets_collection is None:
        return asset_filename_map
    for asset_tensor in assets_collection:
        source = _asset_path_from_tensor(asset_tensor)
        if not source:
            raise ValueError(f"Asset filepath tensor {asset_tensor} in is invalid.")
        filename = _asset_filename_to_add(source, asset_filename_map)
        asset_proto = meta_graph_pb2.AssetFileDef(filename=filename.decode())
        asset_proto.tensor_info.name = asset_tensor.name
        packed = any_pb2.Any()
        packed.Pack(asset_proto)
        graph.add_to_collection(constants.ASSETS_KEY, packed)
        asset_filename_map[filename] = source
    return asset_filename_map


def _copy_assets_to_destination_dir(asset_filename_map, destination_dir, saved_files):
    assets_dir = saved_model_io.get_assets_dir(destination_dir)
    os.makedirs(assets_dir, exist_ok=True)
    for basename, source in asset_filename_map.items():
        source_path = os.fsdecode(source)
        target = os.path.join(assets_dir, os.fsdecode(basename))
        if os.path.exists(source_path) and source_path != target and target not in saved_files:
            try:
                shutil.copyfile(source_path, target)
            except OSError as e:
                raise errors.FormatError(source_path, f"Cannot copy asset {source_path} to {target}: {e}.") from e
            saved_files.add(target)
