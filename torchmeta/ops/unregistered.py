"""The op types a peer converter (tf2onnx, tf2jax, tfjs, tract) accepts that torchmeta does not register, each
with the reason: OPS.md lists them, and tests/ops/test_peer_op_coverage.py checks that every op of the peers'
union list (tests/data/peer_ops_union.txt, TFLite ``TFL_*`` and XLA ``Xla*`` names aside) is registered or here."""

from __future__ import annotations

__all__ = ["UNREGISTERED"]

_NOT_TF = "not a TensorFlow op: {peers}'s own name for {what} (TensorFlow 2.21 registers no such op type)"
_TEXT = "a TensorFlow Text op (tensorflow-text), not part of TensorFlow: a separate library outside this ecosystem"
_TFDF = "a TensorFlow Decision Forests op, not part of TensorFlow: a separate library outside this ecosystem"
_RAGGED = (
    "ragged tensors (RaggedTensor variants and their row partitions) are not supported by torchmeta yet; "
    "graphs with tf.ragged values stop with UnsupportedOpError"
)
_V1_TABLE = (
    "a TF1 lookup-table op on a Ref(string) table handle: the resource-handle (V2) table ops are registered; "
    "the ref-handle forms are not yet"
)

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
    # Ragged tensors.
    "RaggedGather": _RAGGED,
    "RaggedRange": _RAGGED,
    "RaggedTensorFromVariant": _RAGGED,
    "RaggedTensorToSparse": _RAGGED,
    "RaggedTensorToTensor": _RAGGED,
    "RaggedTensorToVariant": _RAGGED,
    # TF1 ref-handle lookup tables.
    "HashTable": _V1_TABLE,
    "InitializeTable": _V1_TABLE,
    "LookupTableFind": _V1_TABLE,
    "LookupTableImport": _V1_TABLE,
    "LookupTableSize": _V1_TABLE,
    # TensorFlow ops not implemented yet.
    "PlaceholderV2": (
        "removed at GraphDef version 23 (TF 2.21 refuses to build it; Placeholder took over its meaning); "
        "old GraphDefs holding it are not supported"
    ),
    "LookupTableImportV2": "not implemented yet: the table programs cover insert/find/export, not import",
    "AsString": (
        "not implemented yet: TF's printf formatting of every dtype (precision, scientific, shortest, width, fill) "
        "is not reproduced"
    ),
    "SparseFillEmptyRows": "not implemented yet (sparse family)",
    "StringNGrams": "not implemented yet (ragged n-gram outputs as splits + values)",
    "TensorListConcat": "not implemented yet (TensorList family: TensorListConcatV2 semantics with element shapes)",
    "TensorListScatter": "not implemented yet (TensorList family: TensorListScatterV2/IntoExistingList exist)",
}
