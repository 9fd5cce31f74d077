"""``tm.raw_ops`` returns what ``tf.raw_ops`` returns: the Operation for an op without outputs, a Tensor for one
output, a list for one list output, and for several output arguments a namedtuple named after the op type whose
fields are the output argument names (a list for a list argument); ``Session.run`` keeps the namedtuple."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm


def _cases(lib):
    x = lib.constant([3, 1, 3, 2])
    return {
        "Unique": lambda r: r.Unique(x=x),
        "UniqueWithCounts": lambda r: r.UniqueWithCounts(x=x, out_idx=lib.int64),
        "TopKV2": lambda r: r.TopKV2(input=lib.constant([1.0, 4.0, 2.0]), k=2),
        "Switch": lambda r: r.Switch(data=x, pred=lib.constant(True)),
        "FusedBatchNormV3": lambda r: r.FusedBatchNormV3(
            x=lib.ones([1, 2, 2, 3]), scale=lib.ones([3]), offset=lib.zeros([3]), mean=lib.zeros([0]),
            variance=lib.zeros([0]),
        ),
        "CudnnRNNParamsToCanonical": lambda r: r.CudnnRNNParamsToCanonical(
            num_layers=lib.constant(1), num_units=lib.constant(1), input_size=lib.constant(1),
            params=lib.zeros([4]), num_params=2, rnn_mode="rnn_relu",
        ),
        "Split": lambda r: r.Split(axis=0, value=x, num_split=2),
        "MatMul": lambda r: r.MatMul(a=lib.ones([2, 2]), b=lib.ones([2, 2])),
        "NoOp": lambda r: r.NoOp(),
    }  # fmt: skip


# not fetched: an op, a Switch (its untaken branch has no value in TF), an op TF runs on GPUs only
BUILD_ONLY = {"NoOp", "Switch", "CudnnRNNParamsToCanonical"}


def _describe(value):
    """The structure of a raw-op result or of its fetched value: type names, fields and nesting."""
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return (type(value).__name__, value._fields, tuple(_describe(v) for v in value))
    if isinstance(value, list):
        return ["list", *[_describe(v) for v in value]]
    return type(value).__name__.replace("EagerTensor", "Tensor").replace("SymbolicTensor", "Tensor")


@pytest.mark.parametrize("op_type", list(_cases(tm)))
def test_raw_op_results_have_tfs_structure(tf1, op_type):
    import tensorflow as tf

    built, fetched = [], []
    for lib, raw_ops in ((tf1, tf.raw_ops), (tm, tm.raw_ops)):
        with lib.Graph().as_default():
            out = _cases(lib)[op_type](raw_ops)
            built.append(_describe(out))
            if op_type not in BUILD_ONLY:
                with lib.Session() as sess:
                    fetched.append(sess.run(out))
    assert built[1] == built[0]
    if fetched:
        theirs, ours = fetched
        assert type(ours).__name__ == type(theirs).__name__
        assert getattr(ours, "_fields", None) == getattr(theirs, "_fields", None)
        flat = [np.asarray(v) for v in tf.nest.flatten(theirs)]
        for mine, expected in zip(tf.nest.flatten(tuple(ours) if isinstance(ours, tuple) else ours), flat):
            np.testing.assert_array_equal(mine, expected)


def test_namedtuple_fields_read_by_name():
    with tm.Graph().as_default(), tm.Session() as sess:
        result = tm.raw_ops.Unique(x=tm.constant([5, 5, 7]))
        assert sess.run(result.y).tolist() == [5, 7]
        assert sess.run(result).idx.tolist() == [0, 0, 1]
