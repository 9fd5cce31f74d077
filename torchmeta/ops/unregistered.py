"""The op types a peer converter (tf2onnx, tf2jax, tfjs, tract) accepts that torchmeta does not register, each
with the reason: OPS.md lists them, and tests/ops/test_peer_op_coverage.py checks that every op of the peers'
union list (tests/data/peer_ops_union.txt, TFLite ``TFL_*`` and XLA ``Xla*`` names aside) is registered or here."""

from __future__ import annotations

__all__ = ["UNREGISTERED"]

_NOT_TF = "not a TensorFlow op: {peers}'s own name for {what} (TensorFlow 2.21 registers no such op type)"
_TEXT = "a TensorFlow Text op (tensorflow-text), not part of TensorFlow: a separate library outside this ecosystem"
_TFDF = "a TensorFlow Decision Forests op, not part of TensorFlow: a separate library outside this ecosystem"

UNREGISTERED: dict[str, str] = {
    # Names that are not TensorFlow ops at all.
    "ConstV2": _NOT_TF.format(peers="tf2onnx", what="a Const it rewrites"),
    "Conv1D": _NOT_TF.format(peers="tf2onnx and tfjs", what="a 1-D convolution (TF builds Conv2D)"),
    "DepthwiseConv2d": _NOT_TF.format(peers="tf2onnx and tfjs", what="DepthwiseConv2dNative"),
    "FusedDepthwiseConv2dNative": _NOT_TF.format(peers="tfjs", what="_FusedDepthwiseConv2dNative (registered)"),
    "Dropout": _NOT_TF.format(peers="tf2onnx", what="a matched dropout pattern"),
    "Flatten": _NOT_TF.format(peers="tf2onnx", what="a matched reshape pattern"),
    "HardSwish": _NOT_TF.format(peers="tf2onnx", what="a matched hard-swish pattern"),
    "Prelu": _NOT_TF.format(peers="tf2onnx and tfjs", what="a matched PReLU pattern"),
    "SquaredDistance": _NOT_TF.format(peers="tf2onnx", what="a matched squared-distance pattern"),
    "Loop": _NOT_TF.format(peers="tf2onnx", what="ONNX's Loop (TF's loops are While/StatelessWhile, registered)"),
    "Scan": _NOT_TF.format(peers="tf2onnx", what="ONNX's Scan"),
    "Ones": _NOT_TF.format(peers="tfjs", what="tf.ones (TF builds Const or Fill)"),
    "Zeros": _NOT_TF.format(peers="tfjs", what="tf.zeros (TF builds Const or Fill)"),
    "RandomNormal": _NOT_TF.format(peers="tf2onnx", what="ONNX's RandomNormal (TF's is RandomStandardNormal)"),
    "RandomNormalLike": _NOT_TF.format(peers="tf2onnx", what="ONNX's RandomNormalLike"),
    "RandomUniformLike": _NOT_TF.format(peers="tf2onnx", what="ONNX's RandomUniformLike"),
    # Ops of libraries outside TensorFlow.
    "RegexSplitWithOffsets": _TEXT,
    "SentencepieceOp": _TEXT,
    "SentencepieceTokenizeOp": _TEXT,
    "WordpieceTokenizeWithOffsets": _TEXT,
    "SimpleMLCreateModelResource": _TFDF,
    "SimpleMLInferenceOpWithHandle": _TFDF,
    "SimpleMLLoadModelFromPathWithHandle": _TFDF,
    # TensorFlow ops not implemented yet.
    "PlaceholderV2": (
        "removed at GraphDef version 23 (TF 2.21 refuses to build it; Placeholder took over its meaning); "
        "old GraphDefs holding it are not supported"
    ),
}
