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
