"""The ragged variant encoding (RaggedTensorToVariant, RaggedTensorFromVariant, RaggedTensorToVariantGradient)
against TensorFlow. Variant values cannot be fetched, so each test runs a program that encodes and decodes
(batched and not, nested, strings, dense rows, stacked and reshaped encodings), with TF's kernel errors, static
shapes, shape-function errors and gradients (the same gradient graph, node for node, and its values)."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.runtime.tf_graphs import assert_same, assert_same_error, run_in_both

V = np.arange(10, dtype=np.float32).reshape(5, 2)


def _i64(*v):
    return np.array(v, np.int64)


def _round_trips(tf, v1):
    R = tf.raw_ops
    F = tf.float32
    v = v1.placeholder(F, [5, 2], name="v")
    splits = tf.constant(_i64(0, 2, 2, 5))
    outer, inner = tf.constant(_i64(0, 2, 3, 4)), tf.constant(_i64(0, 1, 3, 3, 5))

    def decode(encoded, out_rank, in_rank=-1, dtype=F, splits_dtype=tf.int64):
        splits, values = R.RaggedTensorFromVariant(
            encoded_ragged=encoded,
            input_ragged_rank=in_rank,
            output_ragged_rank=out_rank,
            Tvalues=dtype,
            Tsplits=splits_dtype,
        )
        return [*splits, values]

    def encode(nested, values, batched):
        return R.RaggedTensorToVariant(rt_nested_splits=nested, rt_dense_values=values, batched_input=batched)

    scalar = encode([splits], v, False)
    rows = encode([splits], v, True)
    nested_rows = encode([outer, inner], v, True)
    dense_rows = encode([], v, True)
    words = tf.constant(np.array([b"a", b"bc", b"", b"d\xc3\xa9"], object))
    string_rows = encode([tf.constant(np.array([0, 1, 1, 4], np.int32))], words, True)
    out = [
        *decode(scalar, 1),
        *decode(rows, 1),
        *decode(rows, 1, in_rank=0),
        *decode(nested_rows, 2),
        *decode(encode([outer, inner], v, False), 2, in_rank=2),
        *decode(dense_rows, 1),
        *decode(dense_rows, 0),
        *decode(encode([], v, False), 0),
        *decode(string_rows, 1, dtype=tf.string, splits_dtype=tf.int32),
        *decode(tf.stack([scalar, scalar]), 2),
        *decode(tf.reshape(encode([tf.constant(_i64(0, 1, 2, 2, 4, 4, 5))], v, True), [2, 3]), 2),
        *decode(tf.gather(nested_rows, [2, 0]), 2),
        *decode(encode([tf.constant(_i64(0))], v[:0], True), 1),
        *decode(encode([tf.constant(_i64(0, 5))], v[:, 0], True), 1),
    ]
    return out


def test_round_trips_match_tf(tf1):
    want, want_error, got, error, _ = run_in_both(_round_trips, {"v": V})
    assert want_error is None and error is None, (want_error, error)
    assert_same(want, got)


def test_static_shapes_match_tf(tf1):
    import tensorflow as tf

    def shapes(framework, raw_ops, v1):
        with framework.Graph().as_default():
            v = v1.placeholder(framework.float32, [5, None], name="v")
            s = v1.placeholder(framework.int64, [4], name="s")
            u = v1.placeholder(framework.int64, None, name="u")
            outs = [
                raw_ops.RaggedTensorToVariant(rt_nested_splits=[s], rt_dense_values=v, batched_input=False),
                raw_ops.RaggedTensorToVariant(rt_nested_splits=[s], rt_dense_values=v, batched_input=True),
                raw_ops.RaggedTensorToVariant(rt_nested_splits=[u], rt_dense_values=v, batched_input=True),
                # TF reads the row count from input 0, the values when there are no splits
                raw_ops.RaggedTensorToVariant(rt_nested_splits=[], rt_dense_values=v, batched_input=True),
            ]
            decoded = raw_ops.RaggedTensorFromVariant(
                encoded_ragged=outs[1], input_ragged_rank=1, output_ragged_rank=2, Tvalues=framework.float32
            )
            grad = raw_ops.RaggedTensorToVariantGradient(
                encoded_ragged_grad=outs[1], row_splits=s, dense_values_shape=[5, 2], Tvalues=framework.float32
            )
            outs += [*decoded[0], decoded[1], grad]
            return [t.shape.as_list() if t.shape.rank is not None else None for t in outs]

    assert shapes(tm, tm.raw_ops, tm) == shapes(tf, tf.raw_ops, tf.compat.v1)


def _shape_error(framework, raw_ops, v1, case):
    with framework.Graph().as_default():
        v = v1.placeholder(framework.float32, [5, 2], name="v")
        s = framework.constant(_i64(0, 2, 5))
        if case == "splits rank":
            raw_ops.RaggedTensorToVariant(rt_nested_splits=[[s]], rt_dense_values=v, batched_input=False)
        elif case == "values rank":
            raw_ops.RaggedTensorToVariant(rt_nested_splits=[s], rt_dense_values=v[0, 0], batched_input=True)
        else:
            e = raw_ops.RaggedTensorToVariant(rt_nested_splits=[s], rt_dense_values=v, batched_input=True)
            raw_ops.RaggedTensorFromVariant(
                encoded_ragged=e, input_ragged_rank=1, output_ragged_rank=1, Tvalues=framework.float32
            )


@pytest.mark.parametrize("case", ["splits rank", "values rank", "encoded rank"])
def test_shape_errors_match_tf(tf1, case):
    import tensorflow as tf

    with pytest.raises(ValueError) as theirs:
        _shape_error(tf, tf.raw_ops, tf1, case)
    with pytest.raises(ValueError) as ours:
        _shape_error(tm, tm.raw_ops, tm, case)
    theirs, ours = str(theirs.value), str(ours.value)
    assert ours.split(" for '")[0] == theirs.split(" for '")[0]
    assert ours.split("with input shapes: ")[1] == theirs.split("with input shapes: ")[1]


ERRORS = {
    "values dtype": ([(0, 2, 5)], "float", False, dict(out=1, dtype="int32")),
    "splits dtype": ([(0, 2, 5)], "float", False, dict(out=1, splits="int32")),
    "input ragged rank": ([(0, 2, 5)], "float", True, dict(out=3)),
    "component shapes": ([(0, 2, 5)], "float", True, dict(out=0)),
    "output ragged rank": ([(0, 2, 5)], "float", True, dict(out=1, rank=1)),
    "scalar values": ([], "vector", True, dict(out=1)),
    "dense rows ragged rank": ([], "float", True, dict(out=2)),
    "inferred rank": ([(0, 2, 5)], "float", False, dict(out=0, rank=-1, stack=3)),
    "first split": ([(1, 2, 5)], "float", True, dict(out=1)),
    "last split": ([(0, 2, 7)], "float", True, dict(out=1)),
    "decreasing split": ([(0, 3, 2, 5)], "float", True, dict(out=1)),
    "nested last split": ([(0, 2, 2), (0, 1, 3)], "float", True, dict(out=2)),
    "values rank mismatch": ([(0, 2, 5)], "mixed", False, dict(out=2)),
    "empty splits": ([()], "float", True, dict(out=1)),
}


def _error_program(case):
    nested, values, batched, d = ERRORS[case]

    def build(tf, v1):
        R = tf.raw_ops
        v = v1.placeholder(tf.float32, None, name="v")
        vals = v[:, 0] if values == "vector" else v
        splits = [v1.placeholder_with_default(np.array(s, np.int64), [None]) for s in nested]
        e = R.RaggedTensorToVariant(rt_nested_splits=splits, rt_dense_values=vals, batched_input=batched)
        if values == "mixed":
            other = R.RaggedTensorToVariant(
                rt_nested_splits=[tf.constant(_i64(0, 1))], rt_dense_values=v[:1], batched_input=False
            )
            e = tf.stack(
                [R.RaggedTensorToVariant(rt_nested_splits=splits, rt_dense_values=v[:, 0], batched_input=False), other]
            )
        if d.get("stack"):
            e = tf.stack([e] * d["stack"])
        e = v1.placeholder_with_default(e, None)
        out = R.RaggedTensorFromVariant(
            encoded_ragged=e,
            input_ragged_rank=d.get("rank", -1),
            output_ragged_rank=d["out"],
            Tvalues=tf.as_dtype(d.get("dtype", "float32")),
            Tsplits=tf.as_dtype(d.get("splits", "int64")),
        )
        return [*out[0], out[1]]

    return build


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_kernel_errors_match_tf(tf1, case):
    want, want_error, got, error, _ = run_in_both(_error_program(case), {"v": V})
    assert_same_error(want_error, error)


def _gradients(framework, raw_ops, v1, batched, ragged_rank):
    """Values squared through an encode/decode round trip (or through its dense rows), and d/dv."""
    with framework.Graph().as_default():
        v = v1.placeholder(framework.float32, [5, 2], name="v")
        nested = [framework.constant(_i64(0, 2, 3, 4)), framework.constant(_i64(0, 1, 3, 3, 5))][:ragged_rank]
        if ragged_rank == 1:
            nested = [framework.constant(_i64(0, 2, 2, 5))]
        e = raw_ops.RaggedTensorToVariant(rt_nested_splits=nested, rt_dense_values=v * 2.0, batched_input=batched)
        out = raw_ops.RaggedTensorFromVariant(
            encoded_ragged=e,
            input_ragged_rank=-1,
            output_ragged_rank=ragged_rank + (1 if batched and ragged_rank == 0 else 0),
            Tvalues=framework.float32,
        )
        loss = v1.reduce_sum(out[-1] * out[-1] * np.float32(0.5))
        (grad,) = v1.gradients(loss, [v])
        graph = v1.get_default_graph()
        nodes = [(op.type, op.name) for op in graph.get_operations() if op.name.startswith("gradients")]
        with v1.Session() as sess:
            return sess.run(grad, {v: V}), nodes


@pytest.mark.parametrize("batched,ragged_rank", [(False, 1), (True, 1), (True, 2), (False, 0), (True, 0)])
def test_gradients_match_tf(tf1, batched, ragged_rank):
    import tensorflow as tf

    want, want_nodes = _gradients(tf, tf.raw_ops, tf1, batched, ragged_rank)
    got, nodes = _gradients(tm, tm.raw_ops, tm, batched, ragged_rank)
    assert nodes == want_nodes
    assert_same([want], [got])
