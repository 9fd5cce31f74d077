"""Shape-inference errors: the same message as TensorFlow 2.21, word for word, across the op families.

One formatter (``common_shapes.shape_error``) writes ``<what> for '{{node X}} = Op[attrs](inputs)' with
input shapes: ...`` plus the input values the shape function read, listed only when TF's second
shape-inference pass (the one with input values) is the one that fails.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from torchmeta._proto import attr_value_pb2
from torchmeta.framework import common_shapes


def _p(tf, shape, dtype=None):
    return tf.placeholder(dtype or tf.float32, shape)


def _variable_ref(tf, value):
    return tf.Variable(value)._ref()


# name -> builder(tf); each builds the same graph in TensorFlow and in torchmeta and fails in shape inference.
CASES = {
    "AssignVariableOp-rank": lambda tf: tf.raw_ops.AssignVariableOp(
        resource=tf.raw_ops.VarHandleOp(dtype=tf.float32, shape=[2, 3], shared_name="v"), value=_p(tf, [2])
    ),
    "AssignVariableOp-dim": lambda tf: tf.raw_ops.AssignVariableOp(
        resource=tf.raw_ops.VarHandleOp(dtype=tf.float32, shape=[2, 3], shared_name="v"), value=_p(tf, [2, 4])
    ),
    "ArgMax-dimension-rank": lambda tf: tf.raw_ops.ArgMax(input=_p(tf, [2, 3]), dimension=_p(tf, [1], tf.int32)),
    "ArgMax-axis": lambda tf: tf.raw_ops.ArgMax(input=_p(tf, [2, 3]), dimension=5),
    "SegmentSum-ids-rank": lambda tf: tf.raw_ops.SegmentSum(data=_p(tf, [2, 3]), segment_ids=_p(tf, [2, 1], tf.int32)),
    "SegmentSum-scalar-data": lambda tf: tf.raw_ops.SegmentSum(data=_p(tf, []), segment_ids=_p(tf, [2], tf.int32)),
    "UnsortedSegmentSum-num-rank": lambda tf: tf.raw_ops.UnsortedSegmentSum(
        data=_p(tf, [2, 3]), segment_ids=_p(tf, [2], tf.int32), num_segments=_p(tf, [1], tf.int32)
    ),
    "UnsortedSegmentSum-data-rank": lambda tf: tf.raw_ops.UnsortedSegmentSum(
        data=_p(tf, [2]), segment_ids=_p(tf, [2, 3], tf.int32), num_segments=3
    ),
    "UnsortedSegmentSum-dims": lambda tf: tf.raw_ops.UnsortedSegmentSum(
        data=_p(tf, [2, 3]), segment_ids=_p(tf, [3], tf.int32), num_segments=_p(tf, [], tf.int32)
    ),
    "UnsortedSegmentSum-negative": lambda tf: tf.raw_ops.UnsortedSegmentSum(
        data=_p(tf, [2, 3]), segment_ids=_p(tf, [2], tf.int32), num_segments=-1
    ),
    "AddN-dims": lambda tf: tf.raw_ops.AddN(inputs=[_p(tf, [2, 3]), _p(tf, [2, 4])]),
    "AddN-rank": lambda tf: tf.raw_ops.AddN(inputs=[_p(tf, [2, 3]), _p(tf, [2]), _p(tf, [2, 3])]),
    "MatMul-rank": lambda tf: tf.raw_ops.MatMul(a=_p(tf, [2, 3, 4]), b=_p(tf, [3, 4])),
    "MatMul-inner": lambda tf: tf.raw_ops.MatMul(a=_p(tf, [2, 3]), b=_p(tf, [4, 4]), transpose_b=True),
    "BatchMatMul-rank": lambda tf: tf.raw_ops.BatchMatMul(x=_p(tf, [2]), y=_p(tf, [3, 4])),
    "BatchMatMul-batch-rank": lambda tf: tf.raw_ops.BatchMatMul(x=_p(tf, [5, 2, 3]), y=_p(tf, [3, 4])),
    "BatchMatMul-batch-dims": lambda tf: tf.raw_ops.BatchMatMul(x=_p(tf, [5, 2, 3]), y=_p(tf, [6, 3, 4])),
    "BatchMatMulV2-broadcast": lambda tf: tf.raw_ops.BatchMatMulV2(x=_p(tf, [5, 2, 3]), y=_p(tf, [6, 3, 4])),
    "Range-rank": lambda tf: tf.raw_ops.Range(start=_p(tf, [2], tf.int32), limit=5, delta=1),
    "Range-empty": lambda tf: tf.raw_ops.Range(start=5, limit=1, delta=1),
    "Sum-axis": lambda tf: tf.raw_ops.Sum(input=_p(tf, [2, 3]), axis=5),
    "Sum-axis-rank": lambda tf: tf.raw_ops.Sum(input=_p(tf, [2, 3]), axis=_p(tf, [1, 1], tf.int32)),
    "AddV2-broadcast": lambda tf: tf.raw_ops.AddV2(x=_p(tf, [2, 3]), y=_p(tf, [4, 3])),
    "Reshape-elements": lambda tf: tf.raw_ops.Reshape(tensor=_p(tf, [2, 3]), shape=[4, 2]),
    "Fill-dims-rank": lambda tf: tf.raw_ops.Fill(dims=_p(tf, [2, 2], tf.int32), value=1.5),
    "ConcatV2-dims": lambda tf: tf.raw_ops.ConcatV2(values=[_p(tf, [2, 3]), _p(tf, [4, 4])], axis=0),
    "Pack-dims": lambda tf: tf.raw_ops.Pack(values=[_p(tf, [2, 3]), _p(tf, [2, 4])]),
    "Tile-multiples": lambda tf: tf.raw_ops.Tile(input=_p(tf, [2, 3]), multiples=[1, 2, 3]),
    "GatherNd-indices": lambda tf: tf.raw_ops.GatherNd(params=_p(tf, [2, 3]), indices=_p(tf, [4, 3], tf.int32)),
    "ApplyGradientDescent-alpha": lambda tf: tf.raw_ops.ApplyGradientDescent(
        var=_variable_ref(tf, tf.ones([2])), alpha=tf.ones([2]), delta=tf.ones([2])
    ),
    "ScatterUpdate-updates": lambda tf: tf.raw_ops.ScatterUpdate(
        ref=_variable_ref(tf, tf.ones([2, 3])), indices=[0], updates=tf.ones([1, 4])
    ),
    "Conv2D-rank": lambda tf: tf.raw_ops.Conv2D(
        input=_p(tf, [2, 3]), filter=tf.ones([1, 1, 1, 1]), strides=[1, 1, 1, 1], padding="SAME"
    ),
    "FusedBatchNormV3-rank": lambda tf: tf.raw_ops.FusedBatchNormV3(
        x=_p(tf, [2, 3]), scale=tf.ones([3]), offset=tf.ones([3]), mean=tf.ones([3]), variance=tf.ones([3])
    ),
    "BiasAdd-channels": lambda tf: tf.raw_ops.BiasAdd(value=_p(tf, [2, 3]), bias=_p(tf, [4])),
    "Softmax-scalar": lambda tf: tf.raw_ops.Softmax(logits=_p(tf, [])),
    "SoftmaxCrossEntropyWithLogits-dims": lambda tf: tf.raw_ops.SoftmaxCrossEntropyWithLogits(
        features=_p(tf, [2, 3]), labels=_p(tf, [2, 4])
    ),
    "RandomUniform-shape-rank": lambda tf: tf.raw_ops.RandomUniform(shape=_p(tf, [2, 2], tf.int32), dtype=tf.float32),
    "RestoreV2-prefix-rank": lambda tf: tf.raw_ops.RestoreV2(
        prefix=["a"], tensor_names=["x"], shape_and_slices=[""], dtypes=[tf.float32]
    ),
    "ExpandDims-axis": lambda tf: tf.raw_ops.ExpandDims(input=_p(tf, [2, 3]), axis=5),
    "StridedSlice-spec-lengths": lambda tf: tf.raw_ops.StridedSlice(
        input=_p(tf, [2, 3]), begin=[0, 0, 0], end=[1, 1], strides=[1, 1]
    ),
    "Pad-paddings-rank": lambda tf: tf.raw_ops.Pad(input=_p(tf, [2, 3]), paddings=[[1, 1]]),
    "Transpose-perm": lambda tf: tf.raw_ops.Transpose(x=_p(tf, [2, 3]), perm=[0, 1, 2]),
    "Split-uneven": lambda tf: tf.raw_ops.Split(axis=1, value=_p(tf, [2, 3]), num_split=2),
    "OneHot-depth": lambda tf: tf.raw_ops.OneHot(indices=_p(tf, [2], tf.int32), depth=-1, on_value=1.0, off_value=0.0),
    "TopKV2-k": lambda tf: tf.raw_ops.TopKV2(input=_p(tf, [2, 3]), k=5),
    "Squeeze-dim": lambda tf: tf.raw_ops.Squeeze(input=_p(tf, [2, 3]), axis=[0]),
    "BroadcastTo-dims": lambda tf: tf.raw_ops.BroadcastTo(input=_p(tf, [2, 3]), shape=[4, 4]),
}


def _error(tf, build) -> str:
    with tf.Graph().as_default():
        with pytest.raises(ValueError) as info:
            build(tf)
    return str(info.value)


@pytest.mark.parametrize("name", sorted(CASES))
def test_shape_error_message_equals_tfs(tf1, name):
    assert _error(tm, CASES[name]) == _error(tf1, CASES[name])


def test_attr_values_are_summarized_as_tf_does():
    attr = attr_value_pb2.AttrValue
    lst = attr_value_pb2.AttrValue.ListValue
    assert common_shapes.summarize_attr_value(attr(f=0.2)) == "0.2"
    assert common_shapes.summarize_attr_value(attr(f=1e-7)) == "1e-07"
    assert common_shapes.summarize_attr_value(attr(s=b'a"b\n\x01')) == '"a\\"b\\n\\001"'
    assert common_shapes.summarize_attr_value(attr(s=b"x" * 100)) == '"xxxxxxxxxx...xxxxxxxxxx"'
    assert common_shapes.summarize_attr_value(attr(list=lst(i=list(range(40))))) == (
        "[0, 1, 2, 3, 4, ..., 35, 36, 37, 38, 39]"
    )
    assert common_shapes.summarize_attr_value(attr(list=lst())) == "[]"
    shape = attr(shape=tm.TensorShape([None, 3]).as_proto())
    assert common_shapes.summarize_attr_value(shape) == "[?,3]"
    assert common_shapes.summarize_attr_value(attr(shape=tm.TensorShape(None).as_proto())) == "<unknown>"


def test_values_read_by_a_failing_second_pass_are_listed():
    with tm.Graph().as_default():
        x = tm.placeholder(tm.float32, [2, 3])
        with pytest.raises(ValueError) as info:
            tm.raw_ops.Reshape(tensor=x, shape=np.array([4, 2], np.int32))
    assert str(info.value).endswith("and with input tensors computed as partial shapes: input[1] = [4,2].")
