"""signature_module / to_module on TF2 SavedModels (tf.saved_model.save of a tf.Module, written by TF 2.21): the
tf.function calls are inlined, trainability comes from the object graph, and the module gives TF's outputs and
TF's gradients."""

import numpy as np
import pytest
import torch

import torchmeta as tm
from torchmeta.io import saved_model as saved_model_io
from torchmeta.runtime.module import to_module

from .helpers import IMAGES, LOSS_WEIGHTS, save_tf2_module


@pytest.fixture(scope="module")
def tf2_saved_model(tmp_path_factory):
    return save_tf2_module(tmp_path_factory.mktemp("tf2"))


@pytest.mark.slow
def test_tf2_signature_module_gives_tensorflows_outputs_and_gradients(tf2_saved_model):
    export_dir, expected = tf2_saved_model
    module = tm.saved_model.signature_module(export_dir)
    assert module.tf_signature_inputs == ["images"] and module.tf_signature_outputs == ["probs"]
    # the calls are inlined: no function-call kernels left in the module
    assert not [n for n in module.graph.nodes if n.meta.get("tf_op") in ("StatefulPartitionedCall", "PartitionedCall")]
    # the object graph's trainable flags: float trainables are Parameters; `scale` (trainable=False) and the int
    # `steps` are buffers
    params = {module.tf_variable_names[name] for name, _ in module.named_parameters()}
    assert params == {"kernel", "dense", "bias"}
    buffers = {module.tf_variable_names.get(name) for name, _ in module.named_buffers()}
    assert "scale" in buffers
    probs = module(torch.from_numpy(IMAGES))
    assert probs.shape == expected["probs"].shape and probs.dtype == torch.float32
    np.testing.assert_allclose(probs.detach().numpy(), expected["probs"], rtol=1e-5, atol=1e-6)
    # the gradients TF's GradientTape computed
    (probs * torch.from_numpy(LOSS_WEIGHTS)).sum().backward()
    by_tf_name = {module.tf_variable_names[name]: p for name, p in module.named_parameters()}
    for name in ("kernel", "dense", "bias"):
        np.testing.assert_allclose(by_tf_name[name].grad.numpy(), expected[name], rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_to_module_on_a_tf2_meta_graph_with_its_checkpoint(tf2_saved_model):
    """to_module on the MetaGraphDef itself: the variables from variables/variables under the object-graph keys
    (kernel/.ATTRIBUTES/VARIABLE_VALUE), trainability from the object graph."""
    export_dir, expected = tf2_saved_model
    (meta,) = saved_model_io.parse_saved_model(export_dir).meta_graphs
    signature = meta.signature_def["serving_default"]
    module = to_module(
        meta,
        [signature.inputs["images"].name],
        [signature.outputs["probs"].name],
        checkpoint=saved_model_io.get_variables_path(export_dir),
    )
    assert sorted(module.tf_variable_names[n] for n, _ in module.named_parameters()) == ["bias", "dense", "kernel"]
    with torch.no_grad():
        np.testing.assert_allclose(module(torch.from_numpy(IMAGES)).numpy(), expected["probs"], rtol=1e-5, atol=1e-6)


def test_missing_signature_is_named(tf1, tmp_path):
    from .helpers import build, save

    export_dir = str(tmp_path / "tf1")
    with tf1.Graph().as_default():
        model = build(tf1)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            save(tf1, sess, export_dir, model, second_graph=False)
    with pytest.raises(tm.errors.NotFoundError, match='Could not find signature "nope"'):
        tm.saved_model.signature_module(export_dir, "nope")
    # a TF1 SavedModel: trainability from its collection
    module = tm.saved_model.signature_module(export_dir)
    assert sorted(module.tf_variable_names[n] for n, _ in module.named_parameters()) == ["b", "w"]
