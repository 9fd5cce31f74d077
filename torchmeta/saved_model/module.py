"""A SavedModel signature as a trainable torch module (``to_module`` on the loaded MetaGraph).

    module = tm.saved_model.signature_module("/tmp/export")          # serving_default of the "serve" MetaGraph
    outputs = module(x)                                              # the inputs by sorted key, outputs so too

TF1 SavedModels take trainability from their TRAINABLE_VARIABLES collection; TF2 ones (``tf.saved_model.save``)
have no collections and take it from the object graph (each variable's ``trainable``), and their tf.function
calls are inlined into the module.
"""

from __future__ import annotations

import os

from torchmeta import errors
from torchmeta.framework import graph as graph_lib
from torchmeta.io import saved_model as saved_model_io
from torchmeta.runtime.module import to_module, trainable_variable_ops
from torchmeta.runtime.session import Session
from torchmeta.saved_model import loader

__all__ = ["signature_module"]


def signature_module(export_dir, signature_def_key="serving_default", tags=("serve",)):
    """The signature ``signature_def_key`` of the MetaGraph tagged ``tags`` as an ``fx.GraphModule``.

    ``forward`` takes the signature's inputs in sorted key order and returns its outputs in sorted key order (one
    tensor for one output); the variables hold the SavedModel's values. ``module.tf_signature_inputs`` /
    ``tf_signature_outputs`` list the keys.

    Raises:
      FormatError / MetaGraphNotFoundError: as ``loader.load``; NotFoundError for a missing signature;
      UnimplementedError / UnsupportedOpError: as ``to_module``.
    """
    export_dir = os.fspath(export_dir)
    graph = graph_lib.Graph()
    with Session(graph=graph) as sess:
        meta = loader.load(sess, list(tags), export_dir)
        if signature_def_key not in meta.signature_def:
            raise errors.NotFoundError(
                None,
                None,
                f'Could not find signature "{signature_def_key}" in {saved_model_io.SAVED_MODEL_FILENAME_PB} of '
                f"{export_dir}. Please choose from: {', '.join(meta.signature_def.keys())}",
            )
        signature = meta.signature_def[signature_def_key]
        input_keys, output_keys = sorted(signature.inputs), sorted(signature.outputs)
        module = to_module(
            graph,
            [signature.inputs[k].name for k in input_keys],
            [signature.outputs[k].name for k in output_keys],
            session=sess,
            trainable=trainable_variable_ops(graph, meta),
        )
    module.tf_signature_inputs = input_keys
    module.tf_signature_outputs = output_keys
    return module
