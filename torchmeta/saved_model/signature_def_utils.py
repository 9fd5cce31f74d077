"""``tf.saved_model.signature_def_utils``: build and check SignatureDefs (TensorFlow's rules and messages)."""

from __future__ import annotations

from torchmeta import errors
from torchmeta._proto import meta_graph_pb2, types_pb2
from torchmeta.framework.graph import Tensor
from torchmeta.saved_model import signature_constants, utils

__all__ = [
    "build_signature_def",
    "regression_signature_def",
    "classification_signature_def",
    "predict_signature_def",
    "supervised_train_signature_def",
    "supervised_eval_signature_def",
    "is_valid_signature",
    "op_signature_def",
    "load_op_from_signature_def",
]


def build_signature_def(inputs=None, outputs=None, method_name=None, defaults=None) -> meta_graph_pb2.SignatureDef:
    """A SignatureDef from maps of TensorInfo (``inputs``, ``outputs``), a method name and Const defaults.

    Raises:
      ValueError: for a default that is not a Const tensor (TensorFlow's wording).
    """
    signature_def = meta_graph_pb2.SignatureDef()
    for key in inputs or {}:
        signature_def.inputs[key].CopyFrom(inputs[key])
    for key in outputs or {}:
        signature_def.outputs[key].CopyFrom(outputs[key])
    if method_name is not None:
        signature_def.method_name = method_name
    for arg_name, default in (defaults or {}).items():
        if isinstance(default, Tensor) and default.op.type == "Const":
            signature_def.defaults[arg_name].CopyFrom(default.op.get_attr("value"))
        else:
            raise ValueError(f"Unable to convert object {default!s} of type {type(default)} to TensorProto.")
    return signature_def


def regression_signature_def(examples, predictions) -> meta_graph_pb2.SignatureDef:
    """A ``tensorflow/serving/regress`` signature: serialized tf.Examples (string) in, float predictions out."""
    if examples is None:
        raise ValueError("Regression `examples` cannot be None.")
    if not isinstance(examples, Tensor):
        raise ValueError(
            f"Expected regression `examples` to be of type Tensor. Found `examples` of type {type(examples)}."
        )
    if predictions is None:
        raise ValueError("Regression `predictions` cannot be None.")
    input_info = utils.build_tensor_info(examples)
    if input_info.dtype != types_pb2.DT_STRING:
        raise ValueError(
            f"Regression input tensors must be of type string. Found tensors with type {input_info.dtype}."
        )
    output_info = utils.build_tensor_info(predictions)
    if output_info.dtype != types_pb2.DT_FLOAT:
        raise ValueError(
            f"Regression output tensors must be of type float. Found tensors with type {output_info.dtype}."
        )
    return build_signature_def(
        {signature_constants.REGRESS_INPUTS: input_info},
        {signature_constants.REGRESS_OUTPUTS: output_info},
        signature_constants.REGRESS_METHOD_NAME,
    )


def classification_signature_def(examples, classes, scores) -> meta_graph_pb2.SignatureDef:
    """A ``tensorflow/serving/classify`` signature: string examples in, string classes and/or float scores out."""
    if examples is None:
        raise ValueError("Classification `examples` cannot be None.")
    if not isinstance(examples, Tensor):
        raise ValueError(
            f"Classification `examples` must be a string Tensor. Found `examples` of type {type(examples)}."
        )
    if classes is None and scores is None:
        raise ValueError("Classification `classes` and `scores` cannot both be None.")
    input_info = utils.build_tensor_info(examples)
    if input_info.dtype != types_pb2.DT_STRING:
        raise ValueError(
            f"Classification input tensors must be of type string. Found tensors of type {input_info.dtype}"
        )
    outputs = {}
    if classes is not None:
        classes_info = utils.build_tensor_info(classes)
        if classes_info.dtype != types_pb2.DT_STRING:
            raise ValueError(
                f"Classification classes must be of type string Tensor. Found tensors of type {classes_info.dtype}.`"
            )
        outputs[signature_constants.CLASSIFY_OUTPUT_CLASSES] = classes_info
    if scores is not None:
        scores_info = utils.build_tensor_info(scores)
        if scores_info.dtype != types_pb2.DT_FLOAT:
            raise ValueError("Classification scores must be a float Tensor.")
        outputs[signature_constants.CLASSIFY_OUTPUT_SCORES] = scores_info
    return build_signature_def(
        {signature_constants.CLASSIFY_INPUTS: input_info}, outputs, signature_constants.CLASSIFY_METHOD_NAME
    )


def predict_signature_def(inputs, outputs) -> meta_graph_pb2.SignatureDef:
    """A ``tensorflow/serving/predict`` signature from dicts of name -> Tensor (any dtypes)."""
    if not inputs:
        raise ValueError("Prediction `inputs` cannot be None or empty.")
    if not outputs:
        raise ValueError("Prediction `outputs` cannot be None or empty.")
    return build_signature_def(
        {key: utils.build_tensor_info(t) for key, t in inputs.items()},
        {key: utils.build_tensor_info(t) for key, t in outputs.items()},
        signature_constants.PREDICT_METHOD_NAME,
    )


def _supervised_signature_def(method_name, inputs, loss=None, predictions=None, metrics=None):
    if not inputs:
        raise ValueError(f"{method_name} `inputs` cannot be None or empty.")
    signature_outputs = {}
    for output_set in (loss, predictions, metrics):
        if output_set is not None:
            signature_outputs.update({key: utils.build_tensor_info(t) for key, t in output_set.items()})
    return build_signature_def(
        {key: utils.build_tensor_info(t) for key, t in inputs.items()}, signature_outputs, method_name
    )


def supervised_train_signature_def(inputs, loss, predictions=None, metrics=None):
    return _supervised_signature_def(
        signature_constants.SUPERVISED_TRAIN_METHOD_NAME, inputs, loss, predictions, metrics
    )


def supervised_eval_signature_def(inputs, loss, predictions=None, metrics=None):
    return _supervised_signature_def(
        signature_constants.SUPERVISED_EVAL_METHOD_NAME, inputs, loss, predictions, metrics
    )


def is_valid_signature(signature_def) -> bool:
    """Whether ``signature_def`` is a valid classification, regression or predict signature (Serving's rules)."""
    if signature_def is None:
        return False
    return (
        _is_valid_classification_signature(signature_def)
        or _is_valid_regression_signature(signature_def)
        or _is_valid_predict_signature(signature_def)
    )


def _is_valid_predict_signature(signature_def) -> bool:
    return (
        signature_def.method_name == signature_constants.PREDICT_METHOD_NAME
        and bool(signature_def.inputs)
        and bool(signature_def.outputs)
    )


def _is_valid_regression_signature(signature_def) -> bool:
    return (
        signature_def.method_name == signature_constants.REGRESS_METHOD_NAME
        and set(signature_def.inputs) == {signature_constants.REGRESS_INPUTS}
        and signature_def.inputs[signature_constants.REGRESS_INPUTS].dtype == types_pb2.DT_STRING
        and set(signature_def.outputs) == {signature_constants.REGRESS_OUTPUTS}
        and signature_def.outputs[signature_constants.REGRESS_OUTPUTS].dtype == types_pb2.DT_FLOAT
    )


def _is_valid_classification_signature(signature_def) -> bool:
    if signature_def.method_name != signature_constants.CLASSIFY_METHOD_NAME:
        return False
    if set(signature_def.inputs) != {signature_constants.CLASSIFY_INPUTS}:
        return False
    if signature_def.inputs[signature_constants.CLASSIFY_INPUTS].dtype != types_pb2.DT_STRING:
        return False
    allowed = {signature_constants.CLASSIFY_OUTPUT_CLASSES, signature_constants.CLASSIFY_OUTPUT_SCORES}
    outputs = signature_def.outputs
    if not outputs or set(outputs) - allowed:
        return False
    classes, scores = signature_constants.CLASSIFY_OUTPUT_CLASSES, signature_constants.CLASSIFY_OUTPUT_SCORES
    if classes in outputs and outputs[classes].dtype != types_pb2.DT_STRING:
        return False
    return not (scores in outputs and outputs[scores].dtype != types_pb2.DT_FLOAT)


def op_signature_def(op, key) -> meta_graph_pb2.SignatureDef:
    """A SignatureDef with one output, ``key``, naming ``op`` (how init and train ops are stored)."""
    return build_signature_def(outputs={key: utils.build_tensor_info_from_op(op)})


def load_op_from_signature_def(signature_def, key, import_scope=None):
    """The Operation (or Tensor) that output ``key`` of ``signature_def`` names in the default graph.

    Raises:
      NotFoundError: if the graph has no such element (TensorFlow's wording).
    """
    try:
        return utils.get_element_from_tensor_info(signature_def.outputs[key], import_scope=import_scope)
    except KeyError:
        raise errors.NotFoundError(
            None,
            None,
            f'The key "{key}" could not be found in the graph. Please make sure the SavedModel was created by the '
            "internal _SavedModelBuilder. If you are using the public API, please make sure the SignatureDef in the "
            f'SavedModel does not contain the key "{key}".',
        ) from None
