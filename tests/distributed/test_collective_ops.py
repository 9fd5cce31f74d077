"""TF's collective ops (torchmeta/ops/collective_ops.py) built here and in TensorFlow: the same NodeDefs and
static shapes; run in a group of one (the identity, no process group). Runs across processes are in
test_distributed.py."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from torchmeta.framework import registry, tensor_util

X = np.arange(6, dtype=np.float32).reshape(2, 3)
KEYS = dict(group_size=1, group_key=1, instance_key=5)
V1_KEYS = dict(group_size=1, group_key=1, instance_key=5, shape=[2, 3])

# op -> kwargs builder (tf module, input) for the raw op
CASES = {
    "CollectiveReduceV2": lambda tf, x: dict(input=x, ordering_token=[], merge_op="Add", final_op="Div", **KEYS),
    "CollectiveGatherV2": lambda tf, x: dict(input=x, ordering_token=[], **KEYS),
    "CollectiveBcastSendV2": lambda tf, x: dict(input=x, **KEYS),
    "CollectiveBcastRecvV2": lambda tf, x: dict(T=tf.float32, shape=[2, -1], **KEYS),
    "CollectiveReduce": lambda tf, x: dict(
        input=x, merge_op="Max", final_op="Id", subdiv_offsets=[0], timeout_seconds=2.5, **KEYS
    ),
    "CollectiveGather": lambda tf, x: dict(input=x, communication_hint="ring", **V1_KEYS),
    "CollectiveBcastSend": lambda tf, x: dict(input=x, **V1_KEYS),
    "CollectiveBcastRecv": lambda tf, x: dict(T=tf.float32, **V1_KEYS),
}


def _build(tf, op_type, x_shape):
    x = tf.placeholder(tf.float32, x_shape, name="x")
    return getattr(tf.raw_ops, op_type)(**CASES[op_type](tf, x), name="collective")


def _dims(t):
    return None if t.shape.rank is None else t.shape.as_list()


@pytest.mark.parametrize("x_shape", [[2, 3], [None, 3], None], ids=["static", "unknown-dim", "unknown-rank"])
@pytest.mark.parametrize("op_type", sorted(CASES))
def test_node_def_and_shape_match_tf(tf1, op_type, x_shape):
    g = tf1.Graph()
    with g.as_default():
        theirs = _build(tf1, op_type, x_shape)
    with tm.Graph().as_default():
        ours = _build(tm, op_type, x_shape)
    assert _dims(ours) == _dims(theirs)
    assert ours.dtype.name == theirs.dtype.name
    assert ours.op.node_def.SerializeToString(deterministic=True) == theirs.op.node_def.SerializeToString(
        deterministic=True
    )


@pytest.mark.parametrize("op_type", sorted(CASES))
def test_group_of_one_is_the_identity(op_type):
    x = tm.placeholder(tm.float32, [2, 3], name="x")
    out = _build_runnable(op_type, x)
    with tm.Session() as sess:
        if op_type.startswith("CollectiveBcastRecv"):
            with pytest.raises(tm.errors.InvalidArgumentError, match="no process sends"):
                sess.run(out, {x: X})
        else:
            np.testing.assert_array_equal(sess.run(out, {x: X}), X)


def _build_runnable(op_type, x):
    kwargs = CASES[op_type](tm, x)
    if op_type == "CollectiveBcastRecvV2":
        kwargs["shape"] = [2, 3]
    return getattr(tm.raw_ops, op_type)(**kwargs)


def test_gather_rejects_a_scalar_as_tf_does(tf1):
    with pytest.raises(ValueError, match="Shape must be at least rank 1 but is rank 0") as ours:
        tm.raw_ops.CollectiveGatherV2(input=tm.constant(1.0), ordering_token=[], **KEYS)
    g = tf1.Graph()
    with g.as_default(), pytest.raises(ValueError) as theirs:
        tf1.raw_ops.CollectiveGatherV2(input=tf1.constant(1.0), ordering_token=[], **KEYS)
    assert str(ours.value) == str(theirs.value)


def test_collectives_are_never_folded_at_graph_time():
    x = tm.constant(X)
    out = tm.raw_ops.CollectiveReduceV2(input=x, ordering_token=[], merge_op="Add", final_op="Id", **KEYS)
    assert tensor_util.constant_value(out) is None
    assert out.op.op_def.is_stateful and out.op.op_def.is_distributed_communication


def test_every_collective_has_a_start_kernel_and_registration_is_checked():
    for op_type in CASES:
        info = registry.lookup(op_type)
        assert info.start_kernel is not None and info.start_kernel is not info.kernel
    with pytest.raises(ValueError, match="already has a start kernel"):
        registry.register_async_kernel("CollectiveReduceV2")(registry.lookup("CollectiveReduceV2").kernel)
    with pytest.raises(KeyError, match="not registered with a kernel"):
        registry.register_async_kernel("NoSuchOp")(lambda: None)
    with pytest.raises(TypeError, match="must take the kernel's parameters"):
        registry.register_async_kernel("Relu")(lambda x: x)
    assert registry.lookup("Relu").start_kernel is None
