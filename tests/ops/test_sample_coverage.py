"""Every registered op is run against TensorFlow by a sample table, or is on the exclusion list below
with the reason and the test module that covers it instead."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.ops import samples_state, samples_training
from tests.ops.samples import SAMPLES
from torchmeta.framework import registry

TESTS = Path(__file__).resolve().parents[1]

# op -> (why it is not in a sample table, the test module that runs it).
EXCLUDED = {
    "Const": (
        "every sample's inputs are Const nodes; importing and exporting them is tested",
        "framework/test_importer.py",
    ),
    "Placeholder": ("every sample's fed inputs are Placeholders; TF's shape and feed rules", "runtime/test_session.py"),
    "NoOp": ("no inputs or outputs to compare; tf.group and initializers build it", "framework/test_meta_graph.py"),
    "VariableV2": ("a ref variable: every Ref(T) variable sample builds one", "ops/test_training_ops.py"),
    "VarHandleOp": ("a resource variable: every resource variable sample builds one", "ops/test_training_ops.py"),
    "DestroyResourceOp": ("deletes the variable a variable sample reads back", "ops/test_state_ops.py"),
    "SaveV2": (
        "writes checkpoint files; they are compared with TensorFlow's in both directions",
        "train/test_io_ops.py",
    ),
    "RestoreV2": ("reads checkpoint files written by TensorFlow and by torchmeta", "train/test_io_ops.py"),
    "MergeV2Checkpoints": ("merges checkpoint files on disk", "train/test_io_ops.py"),
    "MatchingFiles": ("lists files on disk; compared with TF on a directory of files", "api/test_dataset_ops.py"),
    "ReadFile": ("reads a file on disk; compared with TF on files written by both", "api/test_io_ops.py"),
    "WriteFile": ("writes a file on disk (and its directories); read back and compared with TF", "api/test_io_ops.py"),
    "TopK": (
        "TF 2.21 refuses to build it (removed at GraphDef version 7); kept for old GraphDefs",
        "ops/test_nn_ops.py",
    ),
    "RandomPoisson": (
        "TF 2.21 refuses to build it (removed at GraphDef version 25); compared with RandomPoissonV2",
        "ops/test_random_ops.py",
    ),
    "RngReadAndSkip": (
        "reads and advances an RNG state resource variable, which a NodeDef sample cannot hold",
        "ops/test_random_ops.py",
    ),
    "Assert": (
        "has no outputs: it passes or fails, and the failure's text is compared with TF's",
        "ops/test_logging_ops.py",
    ),
    "PrintV2": (
        "writes to a stream and has no outputs; the printed text is compared with TF's",
        "api/test_logging_ops.py",
    ),
    "PyFunc": (
        "calls a Python function of this process, which a NodeDef sample cannot carry",
        "api/test_script_ops.py",
    ),
    "PyFuncStateless": ("calls a Python function of this process, like PyFunc", "api/test_script_ops.py"),
    "EagerPyFunc": (
        "calls a Python function of this process, like PyFunc (Dataset.from_generator's eager path)",
        "api/test_dataset_from_generator.py",
    ),
}

# Input-pipeline ops hold per-session resources (datasets, iterators, queues, readers) or depend on codec
# library versions; their test modules build the pipelines through TF's Python API in both frameworks
# and compare graphs node for node and the elements they produce.
PIPELINE_GROUPS = [
    (
        (
            "TensorDataset",
            "TensorSliceDataset",
            "RangeDataset",
            "BatchDataset",
            "BatchDatasetV2",
            "PaddedBatchDatasetV2",
            "CacheDataset",
            "ConcatenateDataset",
            "ZipDataset",
            "RepeatDataset",
            "ShuffleDataset",
            "ShuffleAndRepeatDataset",
            "SkipDataset",
            "TakeDataset",
            "PrefetchDataset",
            "UnbatchDataset",
            "ModelDataset",
            "OptimizeDataset",
            "OptimizeDatasetV2",
            "TFRecordDataset",
            "TFRecordDatasetV2",
            "TextLineDataset",
            "FixedLengthRecordDatasetV2",
            "Iterator",
            "IteratorV2",
            "MakeIterator",
            "IteratorGetNext",
            "IteratorGetNextSync",
            "IteratorToStringHandle",
            "IteratorFromStringHandle",
            "IteratorFromStringHandleV2",
        ),
        "datasets and iterators are per-session pipelines: tf.data programs run in both frameworks",
        "api/test_dataset_ops.py",
    ),
    (
        (
            "MapDataset",
            "ParallelMapDatasetV2",
            "FilterDataset",
            "FlatMapDataset",
            "InterleaveDataset",
            "ParallelInterleaveDatasetV4",
            "LegacyParallelInterleaveDatasetV2",
            "ScanDataset",
            "ReduceDataset",
            "MapAndBatchDataset",
            "OneShotIterator",
        ),
        "dataset ops with graph functions (map, filter, flat_map, interleave, scan, reduce, one-shot factories): their "
        "functions and elements are compared with TF's, both ways",
        "api/test_dataset_functions.py",
    ),
    (
        ("GeneratorDataset",),
        "Dataset.from_generator's source (its functions call the generator through PyFuncs): elements, graph and "
        "errors compared with TF's",
        "api/test_dataset_from_generator.py",
    ),
    (
        (
            "FIFOQueueV2",
            "PaddingFIFOQueueV2",
            "PriorityQueueV2",
            "RandomShuffleQueueV2",
            "QueueEnqueueV2",
            "QueueEnqueueManyV2",
            "QueueDequeueV2",
            "QueueDequeueManyV2",
            "QueueDequeueUpToV2",
            "QueueCloseV2",
            "QueueIsClosedV2",
            "QueueSizeV2",
        ),
        "queues are per-session resources: queue programs run in both frameworks",
        "ops/test_data_flow_ops.py",
    ),
    (
        (
            "TFRecordReaderV2",
            "TextLineReaderV2",
            "WholeFileReaderV2",
            "FixedLengthRecordReaderV2",
            "ReaderReadV2",
            "ReaderReadUpToV2",
            "ReaderNumRecordsProducedV2",
            "ReaderResetV2",
            "CountUpTo",
            "ResourceCountUpTo",
        ),
        "readers hold files and queues, CountUpTo a variable: queue input pipelines run in both frameworks",
        "api/test_input_ops.py",
    ),
    (
        ("EncodeJpeg", "EncodePng"),
        "the encoded bytes depend on the codec library's version; decoding both frameworks' files is compared",
        "api/test_image_ops.py",
    ),
    (
        ("ImageSummary",),
        "its PNG bytes depend on the codec library; the tags, sizes and decoded pixels are compared",
        "api/test_summary.py",
    ),
]
for _ops, _reason, _module in PIPELINE_GROUPS:
    EXCLUDED.update({op: (_reason, _module) for op in _ops})

# Ops that only run as parts of a larger program (a frame, a function call, a list or array of tensors
# whose handles cannot be fetched): each group's test module builds those programs in both frameworks.
EXCLUDED_GROUPS = [
    (
        (
            "CollectiveReduceV2",
            "CollectiveGatherV2",
            "CollectiveBcastSendV2",
            "CollectiveBcastRecvV2",
            "CollectiveReduce",
            "CollectiveGather",
            "CollectiveBcastSend",
            "CollectiveBcastRecv",
        ),
        "collectives exchange values between the processes of a torch.distributed job: NodeDefs and shapes "
        "against TF and a group of one here, across 2 processes in distributed/test_distributed.py",
        "distributed/test_collective_ops.py",
    ),
    (
        (
            "Switch",
            "Merge",
            "Enter",
            "Exit",
            "NextIteration",
            "LoopCond",
            "ControlTrigger",
            "RefSwitch",
            "RefMerge",
            "RefEnter",
            "RefExit",
            "RefNextIteration",
        ),
        "TF1 control flow: these run only inside a conditional or a while frame, built by TF and run in both",
        "runtime/test_control_flow.py",
    ),
    (
        (
            "If",
            "StatelessIf",
            "While",
            "StatelessWhile",
            "Case",
            "StatelessCase",
            "PartitionedCall",
            "StatefulPartitionedCall",
            "SymbolicGradient",
        ),
        "call functions of the graph's library, which a single-node sample cannot carry",
        "runtime/test_functions.py",
    ),
    (
        (
            "TensorArrayV3",
            "TensorArrayWriteV3",
            "TensorArrayReadV3",
            "TensorArrayGatherV3",
            "TensorArrayScatterV3",
            "TensorArrayConcatV3",
            "TensorArraySplitV3",
            "TensorArraySizeV3",
            "TensorArrayCloseV3",
            "TensorArrayGradV3",
            "TensorArrayGradWithShape",
            "StackV2",
            "StackPushV2",
            "StackPopV2",
            "StackCloseV2",
        ),
        "per-run resources whose handles cannot be fetched: programs of these ops run in both frameworks",
        "ops/test_tensor_array_ops.py",
    ),
    (
        (
            "EmptyTensorList",
            "TensorListReserve",
            "TensorListFromTensor",
            "TensorListSetItem",
            "TensorListGetItem",
            "TensorListPushBack",
            "TensorListPushBackBatch",
            "TensorListPopBack",
            "TensorListLength",
            "TensorListElementShape",
            "TensorListStack",
            "TensorListGather",
            "TensorListScatter",
            "TensorListScatterV2",
            "TensorListScatterIntoExistingList",
            "TensorListConcat",
            "TensorListConcatV2",
            "TensorListConcatLists",
            "TensorListSplit",
            "TensorListResize",
        ),
        "variant lists cannot be fetched: programs of list ops run in both frameworks",
        "ops/test_list_ops.py",
    ),
    (
        ("RaggedTensorToVariant", "RaggedTensorFromVariant", "RaggedTensorToVariantGradient"),
        "encoded ragged variants cannot be fetched: encode/decode programs (and their gradient graphs) run in both "
        "frameworks",
        "ops/test_ragged_variant_ops.py",
    ),
    (
        ("OptionalFromValue", "OptionalGetValue", "OptionalHasValue", "OptionalNone"),
        "variant optionals cannot be fetched: programs of optional ops run in both frameworks",
        "ops/test_optional_ops.py",
    ),
    (
        (
            "HashTableV2",
            "MutableHashTableV2",
            "InitializeTableV2",
            "InitializeTableFromTextFileV2",
            "LookupTableFindV2",
            "LookupTableSizeV2",
            "LookupTableInsertV2",
            "LookupTableExportV2",
            "LookupTableImportV2",
            "LookupTableRemoveV2",
            "MutableHashTableOfTensorsV2",
            "HashTable",
            "MutableHashTable",
            "MutableHashTableOfTensors",
            "InitializeTable",
            "InitializeTableFromTextFile",
            "LookupTableFind",
            "LookupTableSize",
            "LookupTableInsert",
            "LookupTableImport",
            "LookupTableExport",
            "MutableDenseHashTableV2",
            "MutableDenseHashTable",
        ),
        "table resources are made, filled and read by several ops: table programs run in both frameworks",
        "ops/test_lookup_ops.py",
    ),
    (
        (
            "_FusedConv2D",
            "_FusedDepthwiseConv2dNative",
            "_FusedMatMul",
            "_FusedBatchNormEx",
            "FusedPadConv2D",
            "FusedResizeAndPadConv2D",
        ),
        "internal fused ops tf.raw_ops cannot build: GraphDefs holding them as grappler writes them run in both "
        "frameworks (the public pad-conv fusions also through the harness)",
        "ops/test_fused_ops.py",
    ),
    (
        (
            "CudnnRNN",
            "CudnnRNNV2",
            "CudnnRNNV3",
            "CudnnRNNBackprop",
            "CudnnRNNBackpropV2",
            "CudnnRNNBackpropV3",
        ),
        "TensorFlow has no CPU kernel for the cuDNN RNN ops: they are compared with TF's CPU LSTM (BlockLSTMV2) and "
        "with cuDNN's equations built from TF ops, on the same weights",
        "ops/test_cudnn_rnn_ops.py",
    ),
    (
        (
            "CudnnRNNParamsSize",
            "CudnnRNNParamsToCanonical",
            "CudnnRNNParamsToCanonicalV2",
            "CudnnRNNCanonicalToParams",
            "CudnnRNNCanonicalToParamsV2",
        ),
        "TensorFlow registers these for the GPU only (a test checks TF refuses them on the CPU): their values are "
        "compared with the buffer tf_keras' canonical_to_params builds for CudnnRNNV3, round trips and sizes; "
        "OpDefs and shape functions with TF's",
        "ops/test_cudnn_rnn_ops.py",
    ),
]
for _ops, _reason, _module in EXCLUDED_GROUPS:
    EXCLUDED.update({op: (_reason, _module) for op in _ops})


def _sampled() -> set[str]:
    samples = [*SAMPLES, *samples_training.VARIABLE_SAMPLES, *samples_state.VARIABLE_SAMPLES]
    return {s.op for s in samples}


def test_every_registered_op_is_sampled_or_excluded_with_a_reason():
    missing = sorted(set(registry.registered_ops()) - _sampled() - set(EXCLUDED))
    assert missing == [], f"ops with neither a sample nor an exclusion: {missing}"


def test_exclusions_are_current():
    assert sorted(set(EXCLUDED) - set(registry.registered_ops())) == [], "excluded ops that are not registered"
    assert sorted(set(EXCLUDED) & _sampled()) == [], "excluded ops that have samples now: drop them from EXCLUDED"


@pytest.mark.parametrize("op", sorted(EXCLUDED))
def test_exclusion_names_a_reason_and_an_existing_test(op):
    reason, module = EXCLUDED[op]
    assert len(reason) > 20
    assert (TESTS / module).is_file(), module
    if any(op in ops for ops, _, _ in EXCLUDED_GROUPS):
        assert re.search(rf"\b{op}\b", (TESTS / module).read_text(encoding="utf-8")), f"{module} never names {op}"
