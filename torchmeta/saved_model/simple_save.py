"""``tf.compat.v1.saved_model.simple_save``: a serving SavedModel with one predict signature, in one call."""

from __future__ import annotations

from torchmeta.framework.graph import GraphKeys
from torchmeta.saved_model import builder, signature_constants, signature_def_utils, tag_constants

__all__ = ["simple_save"]


def simple_save(session, export_dir, inputs, outputs, legacy_init_op=None):
    """Saves ``session``'s graph and variables as a SavedModel tagged ``serve`` whose ``serving_default``
    signature is ``predict_signature_def(inputs, outputs)`` (devices cleared, asset files collected), as TF does.

    Example:
      >>> tf.saved_model.simple_save(sess, "/tmp/export", {"x": x}, {"y": y})  # doctest: +SKIP
    """
    signature_def_map = {
        signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY: signature_def_utils.predict_signature_def(
            inputs, outputs
        )
    }
    b = builder.SavedModelBuilder(export_dir)
    b.add_meta_graph_and_variables(
        session,
        tags=[tag_constants.SERVING],
        signature_def_map=signature_def_map,
        assets_collection=session.graph.get_collection(GraphKeys.ASSET_FILEPATHS),
        main_op=legacy_init_op,
        clear_devices=True,
    )
    b.save()
