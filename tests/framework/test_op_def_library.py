"""Building an op from Python values (framework/op_def_library.apply_op): a value that cannot become an input's
Tensor raises TF's error, word for word."""

from __future__ import annotations

import pytest

import torchmeta as tm
from tests.api.tf_programs import build


def _sparse(tf):
    return tf.SparseTensor([[0, 0]], ["a"], [1, 1])


def _ragged(tf):
    return tf.ragged.constant([[1, 2], [3]])


# input of a known dtype (the OpDef's, or inferred from an earlier input): TF says which parameter of which op
CONVERSION_ERRORS = {
    "int-for-string": lambda tf: tf.strings.to_hash_bucket_fast(3, 5),
    "sparse-for-string": lambda tf: tf.strings.to_hash_bucket_fast(_sparse(tf), 5),
    "ragged-for-int32": lambda tf: tf.raw_ops.Mul(x=tf.constant(1), y=_ragged(tf)),
    "str-for-float": lambda tf: tf.raw_ops.Mul(x=tf.constant(1.0), y="a"),
    # an input whose dtype is not known yet: convert_to_tensor's own error
    "sparse-to-cast": lambda tf: tf.cast(_sparse(tf).values, tf.int32) + tf.raw_ops.Cast(x=_sparse(tf), DstT=tf.int32),
}


@pytest.mark.parametrize("case", sorted(CONVERSION_ERRORS))
def test_unconvertible_inputs_raise_tfs_type_error(tf1, case):
    with pytest.raises(TypeError) as theirs:
        build(tf1, CONVERSION_ERRORS[case])
    with pytest.raises(TypeError) as ours:
        build(tm, CONVERSION_ERRORS[case])
    assert str(ours.value) == str(theirs.value)


# A list input (N * T, N * string, list(type)) with a value that does not convert, or of mixed dtypes: TF's
# TypeError naming each value's own type (tf.summary.merge of a merge_all that found nothing, None).
LIST_ERRORS = {
    "none-in-string-list": lambda tf: tf.raw_ops.MergeSummary(inputs=[None, tf.constant("x")]),
    "float-in-string-list": lambda tf: tf.summary.merge([1.5]),
    "none-in-typed-list": lambda tf: tf.raw_ops.AddN(inputs=[None, 1.0]),
    "str-after-float-tensor": lambda tf: tf.raw_ops.AddN(inputs=[tf.constant(1.0), "a"]),
    "float-and-int-tensors": lambda tf: tf.raw_ops.AddN(inputs=[tf.constant(1.0), tf.constant(1)]),
    "none-in-type-list": lambda tf: tf.raw_ops.IdentityN(input=[None, 1.0]),
    "none-in-int32-list": lambda tf: tf.raw_ops.DynamicStitch(indices=[[0], None], data=[[1.0], [2.0]]),
    "none-to-concat": lambda tf: tf.concat([tf.constant([1.0]), None], 0),
}


@pytest.mark.parametrize("case", sorted(LIST_ERRORS))
def test_unconvertible_list_inputs_raise_tfs_type_error(tf1, case):
    with pytest.raises(TypeError) as theirs:
        build(tf1, LIST_ERRORS[case])
    with pytest.raises(TypeError) as ours:
        build(tm, LIST_ERRORS[case])
    assert str(ours.value) == str(theirs.value)


def test_add_n_of_a_none_raises_tfs_value_error(tf1):
    with pytest.raises(ValueError) as theirs:
        build(tf1, lambda tf: tf.add_n([tf.constant(1.0), None]))
    with pytest.raises(ValueError) as ours:
        build(tm, lambda tf: tf.add_n([tf.constant(1.0), None]))
    assert str(ours.value) == str(theirs.value)
