"""``tf.compat.v1.saved_model.loader.load``: a SavedModel's MetaGraph into a Session, variables restored.

Loads what TensorFlow 1.x's ``SavedModelBuilder`` writes (and what ``builder.py`` writes): the MetaGraph whose
tag set equals ``tags`` is imported, its Saver restores ``variables/variables``, and the init op (the
``__saved_model_init_op`` signature, or the ``saved_model_main_op`` / ``legacy_init_op`` collection) runs with
the asset tensors fed their paths under ``assets/``.
"""

from __future__ import annotations

import os

from torchmeta import errors
from torchmeta._proto import meta_graph_pb2
from torchmeta.framework.graph import GraphKeys
from torchmeta.io import saved_model as saved_model_io
from torchmeta.io.saved_model import maybe_saved_model_directory, parse_saved_model
from torchmeta.platform import tf_logging
from torchmeta.saved_model import constants, signature_def_utils
from torchmeta.train.saver import Saver, import_meta_graph

__all__ = [
    "load",
    "SavedModelLoader",
    "maybe_saved_model_directory",
    "contains_saved_model",
    "parse_saved_model",
    "get_asset_tensors",
    "get_init_op",
    "get_train_op",
]


def contains_saved_model(export_dir) -> bool:
    """Whether ``export_dir`` may hold a SavedModel (a ``saved_model.pb``/``.pbtxt``/``.cpb`` is there)."""
    return maybe_saved_model_directory(export_dir)


def get_asset_tensors(export_dir, meta_graph_def_to_load, import_scope=None) -> dict:
    """``{asset tensor name: path under <export_dir>/assets}`` for the MetaGraph's assets (the feed of its init op)."""
    asset_protos = list(meta_graph_def_to_load.asset_file_def)
    collection_def = meta_graph_def_to_load.collection_def
    if not asset_protos and constants.ASSETS_KEY in collection_def:
        for packed in collection_def[constants.ASSETS_KEY].any_list.value:
            asset_proto = meta_graph_pb2.AssetFileDef()
            packed.Unpack(asset_proto)
            asset_protos.append(asset_proto)
    assets_dir = saved_model_io.get_assets_dir(export_dir)
    out = {}
    for asset_proto in asset_protos:
        name = asset_proto.tensor_info.name
        if import_scope:
            name = f"{import_scope}/{name}"
        out[name] = os.path.join(assets_dir, asset_proto.filename).encode()
    return out


def _op_from_collection(graph, meta_graph_def, key):
    if key not in meta_graph_def.collection_def:
        return None
    names = meta_graph_def.collection_def[key].node_list.value
    if len(names) != 1:
        raise RuntimeError(f"Expected exactly one SavedModel init op. Found {len(names)}: {names}.")
    return graph.get_collection(key)[0]


def _op_from_signature_def(meta_graph_def, key, import_scope):
    if key in meta_graph_def.signature_def:
        return signature_def_utils.load_op_from_signature_def(meta_graph_def.signature_def[key], key, import_scope)
    return None


def get_init_op(graph, meta_graph_def, import_scope=None):
    """The op to run after restoring: the init-op signature's, else the main-op or legacy-init-op collection's."""
    return (
        _op_from_signature_def(meta_graph_def, constants.INIT_OP_SIGNATURE_KEY, import_scope)
        or _op_from_collection(graph, meta_graph_def, constants.MAIN_OP_KEY)
        or _op_from_collection(graph, meta_graph_def, constants.LEGACY_INIT_OP_KEY)
    )


def get_train_op(graph, meta_graph_def, import_scope=None):
    """The train op stored in the MetaGraph (signature or collection), or None."""
    train_op = _op_from_signature_def(meta_graph_def, constants.TRAIN_OP_SIGNATURE_KEY, import_scope)
    if train_op is None:
        train_op = _op_from_collection(graph, meta_graph_def, constants.TRAIN_OP_KEY)
    return train_op


class SavedModelLoader:
    """Loads graphs and restores variable values from a SavedModel directory.

    Raises:
      FormatError: if the directory has no readable ``saved_model.pb``/``.pbtxt`` (TensorFlow's wording).
    """

    def __init__(self, export_dir):
        self._export_dir = os.fspath(export_dir)
        self._variables_path = saved_model_io.get_variables_path(self._export_dir)
        self._saved_model = parse_saved_model(self._export_dir)

    @property
    def export_dir(self) -> str:
        return self._export_dir

    @property
    def variables_path(self) -> str:
        return self._variables_path

    @property
    def saved_model(self):
        return self._saved_model

    def get_meta_graph_def_from_tags(self, tags) -> meta_graph_pb2.MetaGraphDef:
        """The MetaGraphDef whose tag set equals ``tags``.

        Raises:
          MetaGraphNotFoundError: (a RuntimeError, as TensorFlow raises) naming the tags there are.
        """
        available_tags = []
        for meta_graph_def in self._saved_model.meta_graphs:
            available_tags.append(set(meta_graph_def.meta_info_def.tags))
            if set(meta_graph_def.meta_info_def.tags) == set(tags):
                return meta_graph_def
        raise errors.MetaGraphNotFoundError(
            None,
            None,
            f"MetaGraphDef associated with tags {str(tags).strip('[]')} could not be found in SavedModel, with "
            f"available tags '{available_tags}'. To inspect available tag-sets in the SavedModel, please use the "
            "SavedModel CLI: `saved_model_cli`.",
        )

    def load_graph(self, graph, tags, import_scope=None, **saver_kwargs):
        """Imports the MetaGraph of ``tags`` into ``graph``; returns its Saver (or None) and None."""
        meta_graph_def = self.get_meta_graph_def_from_tags(tags)
        with graph.as_default():
            saver = import_meta_graph(meta_graph_def, import_scope=import_scope, **saver_kwargs)
        return saver, None

    def restore_variables(self, sess, saver, import_scope=None):
        """Restores ``variables/variables`` into ``sess`` with ``saver``.

        Raises:
          ValueError: if there are variables but no Saver (TensorFlow's message).
        """
        with sess.graph.as_default():
            graph = sess.graph
            saveables = graph.get_collection(GraphKeys.GLOBAL_VARIABLES, import_scope) + graph.get_collection(
                GraphKeys.SAVEABLE_OBJECTS, import_scope
            )
            if saver is None and not saveables:
                tf_logging.info("The specified SavedModel has no variables; no checkpoints were restored.")
            elif isinstance(saver, Saver):
                saver.restore(sess, self._variables_path)
            else:
                raise ValueError(
                    "No tf.train.Saver object was passed to the function `SavedModelLoader.restore_variables`. Since "
                    "there are variables in the graph, a saver is required."
                )

    def run_init_ops(self, sess, tags, import_scope=None):
        """Runs the MetaGraph's init op (if any), feeding the asset tensors their paths."""
        meta_graph_def = self.get_meta_graph_def_from_tags(tags)
        with sess.graph.as_default():
            assets = get_asset_tensors(self._export_dir, meta_graph_def, import_scope=import_scope)
            init_op = get_init_op(sess.graph, meta_graph_def, import_scope)
            if init_op is not None:
                sess.run(fetches=[init_op], feed_dict=assets)

    def load(self, sess, tags, import_scope=None, **saver_kwargs) -> meta_graph_pb2.MetaGraphDef:
        """Imports the MetaGraph of ``tags`` into ``sess.graph``, restores its variables and runs its init op.

        Returns:
          The MetaGraphDef loaded (its ``signature_def`` names the tensors to feed and fetch).
        """
        with sess.graph.as_default():
            saver, _ = self.load_graph(sess.graph, tags, import_scope, **saver_kwargs)
            self.restore_variables(sess, saver, import_scope)
            self.run_init_ops(sess, tags, import_scope)
        return self.get_meta_graph_def_from_tags(tags)


def load(sess, tags, export_dir, import_scope=None, **saver_kwargs) -> meta_graph_pb2.MetaGraphDef:
    """``tf.compat.v1.saved_model.loader.load``: loads the SavedModel's MetaGraph tagged ``tags`` into ``sess``.

    Args:
      sess: the Session whose graph receives the MetaGraph and whose variables are restored.
      tags: the tag set of the MetaGraph to load (e.g. ``[tag_constants.SERVING]``).
      export_dir: the SavedModel directory.
      import_scope: a name scope prepended to every loaded name.
      **saver_kwargs: passed to ``tf.train.import_meta_graph``.

    Returns:
      The MetaGraphDef loaded.

    Raises:
      FormatError: no or a corrupt ``saved_model.pb`` (TensorFlow's "SavedModel file does not exist at: ..." /
        "Cannot parse file ...").
      MetaGraphNotFoundError: no MetaGraph has exactly these tags (a RuntimeError, TensorFlow's message).

    Example:
      >>> with tf.Session(graph=tf.Graph()) as sess:  # doctest: +SKIP
      ...     meta = tf.saved_model.loader.load(sess, ["serve"], "/tmp/export")
      ...     sig = meta.signature_def["serving_default"]
      ...     y = sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: x})
    """
    return SavedModelLoader(export_dir).load(sess, tags, import_scope, **saver_kwargs)
