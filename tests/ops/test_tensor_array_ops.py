"""TensorArray and Stack kernels against TensorFlow: graphs of raw ops run in both, results
and error messages compared."""

import re

import numpy as np
import pytest

from tests.runtime.tf_graphs import assert_same, run_in_both

F = "float32"


def _ta(tf, size=3, **kwargs):
    return tf.raw_ops.TensorArrayV3(size=size, dtype=tf.float32, **kwargs)


def _write_read_gather(tf, v1):
    R = tf.raw_ops
    h, f = _ta(tf, clear_after_read=False)
    f = R.TensorArrayWriteV3(handle=h, index=0, value=[1.0, 2.0], flow_in=f)
    f = R.TensorArrayWriteV3(handle=h, index=2, value=[5.0, 6.0], flow_in=f)
    f = R.TensorArrayScatterV3(handle=h, indices=[1], value=[[3.0, 4.0]], flow_in=f)
    read = R.TensorArrayReadV3(handle=h, index=1, flow_in=f, dtype=tf.float32)
    gather = R.TensorArrayGatherV3(handle=h, indices=[2, 0], flow_in=f, dtype=tf.float32)
    with tf.control_dependencies([read, gather]):
        concat = R.TensorArrayConcatV3(handle=h, flow_in=f, dtype=tf.float32)
    size = R.TensorArraySizeV3(handle=h, flow_in=f)
    return [read, gather, concat.value, concat.lengths, size, f]


def _split_grad(tf, v1):
    R = tf.raw_ops
    h, f = _ta(tf, size=3, element_shape=[None])
    f = R.TensorArraySplitV3(
        handle=h, value=[1.0, 2.0, 3.0, 4.0, 5.0], lengths=tf.constant([1, 2, 2], tf.int64), flow_in=f
    )
    g, gf = R.TensorArrayGradV3(handle=h, flow_in=f, source="gradients")
    gf = R.TensorArrayWriteV3(handle=g, index=1, value=[1.0, 1.0], flow_in=gf)
    gf = R.TensorArrayWriteV3(handle=g, index=1, value=[0.5, 2.0], flow_in=gf)  # aggregated
    grads = R.TensorArrayConcatV3(handle=g, flow_in=gf, dtype=tf.float32)  # unwritten: zeros of the forward shape
    return [grads.value, grads.lengths, R.TensorArraySizeV3(handle=g, flow_in=gf)]


def _dynamic(tf, v1):
    R = tf.raw_ops
    h, f = _ta(tf, size=0, dynamic_size=True, element_shape=[2])
    for i in range(4):
        f = R.TensorArrayWriteV3(handle=h, index=i, value=[float(i), 1.0], flow_in=f)
    empty, ef = _ta(tf, size=0, element_shape=[2, 3])
    return [
        R.TensorArrayGatherV3(handle=h, indices=tf.range(4), flow_in=f, dtype=tf.float32),
        R.TensorArraySizeV3(handle=h, flow_in=f),
        R.TensorArrayGatherV3(
            handle=empty, indices=tf.zeros([0], tf.int32), flow_in=ef, dtype=tf.float32, element_shape=[2, 3]
        ),
    ]


@pytest.mark.parametrize("build", [_write_read_gather, _split_grad, _dynamic])
def test_tensor_array_results_match_tf(tf1, build):
    want, want_error, got, error, _ = run_in_both(build)
    assert want_error is None and error is None, (want_error, error)
    assert_same(want, got)


def _error_case(kind):
    def build(tf, v1):
        R = tf.raw_ops
        x = v1.placeholder(tf.float32, None, name="x")
        h, f = _ta(tf, tensor_array_name="arr")
        if kind == "read unwritten":
            return [R.TensorArrayReadV3(handle=h, index=0, flow_in=f, dtype=tf.float32)]
        if kind == "read out of range":
            return [R.TensorArrayReadV3(handle=h, index=5, flow_in=f, dtype=tf.float32)]
        if kind == "write out of range":
            return [R.TensorArrayWriteV3(handle=h, index=5, value=1.0, flow_in=f)]
        if kind == "write twice":
            f = R.TensorArrayWriteV3(handle=h, index=0, value=x, flow_in=f)
            return [R.TensorArrayWriteV3(handle=h, index=0, value=x, flow_in=f)]
        if kind == "read twice":
            f = R.TensorArrayWriteV3(handle=h, index=0, value=x, flow_in=f)
            r = R.TensorArrayReadV3(handle=h, index=0, flow_in=f, dtype=tf.float32)
            with tf.control_dependencies([r]):
                return [R.TensorArrayReadV3(handle=h, index=0, flow_in=f, dtype=tf.float32)]
        if kind == "wrong dtype":
            return [R.TensorArrayReadV3(handle=h, index=0, flow_in=f, dtype=tf.int32)]
        if kind == "inconsistent shape":
            h, f = _ta(tf, identical_element_shapes=True, tensor_array_name="arr")
            f = R.TensorArrayWriteV3(handle=h, index=0, value=x, flow_in=f)
            return [R.TensorArrayWriteV3(handle=h, index=1, value=tf.concat([x, x], 0), flow_in=f)]
        if kind == "split lengths":
            return [R.TensorArraySplitV3(handle=h, value=[1.0, 2.0], lengths=tf.constant([1, 2], tf.int64), flow_in=f)]
        if kind == "scatter index":
            return [R.TensorArrayScatterV3(handle=h, indices=[0, 7], value=[[1.0], [2.0]], flow_in=f)]
        if kind == "closed":
            c = R.TensorArrayCloseV3(handle=h)
            with tf.control_dependencies([c]):
                return [R.TensorArrayReadV3(handle=h, index=0, flow_in=f, dtype=tf.float32)]
        if kind == "pack empty":
            e, ef = _ta(tf, size=0)
            return [R.TensorArrayGatherV3(handle=e, indices=tf.zeros([0], tf.int32), flow_in=ef, dtype=tf.float32)]
        raise AssertionError(kind)

    return build


@pytest.mark.parametrize(
    "kind",
    [
        "read unwritten",
        "read out of range",
        "write out of range",
        "write twice",
        "read twice",
        "wrong dtype",
        "inconsistent shape",
        "split lengths",
        "scatter index",
        "closed",
        "pack empty",
    ],
)
def test_tensor_array_errors_match_tf(tf1, kind):
    _, want_error, _, got_error, _ = run_in_both(_error_case(kind), {"x": np.array([1.0, 2.0], np.float32)})
    # TensorArray names end in a process-wide counter ("arr_12"): compare the message without it.
    from tests.runtime.tf_graphs import tf_message

    want = tf_message(want_error)
    import re

    pattern = re.escape(re.sub(r"(arr|TensorArrayV3)_\d+", "@NAME@", want)).replace("@NAME@", r"\w+_\d+")
    assert type(got_error).__name__ == type(want_error).__name__
    assert re.search(pattern, got_error.message), (want, got_error.message)


def test_stack_push_pop_and_errors(tf1):
    def build(tf, v1):
        R = tf.raw_ops
        h = R.StackV2(max_size=-1, elem_type=tf.float32, stack_name="s")
        p1 = R.StackPushV2(handle=h, elem=[1.0, 2.0])
        with tf.control_dependencies([p1]):
            p2 = R.StackPushV2(handle=h, elem=[3.0])
        with tf.control_dependencies([p2]):
            a = R.StackPopV2(handle=h, elem_type=tf.float32)
        with tf.control_dependencies([a]):
            b = R.StackPopV2(handle=h, elem_type=tf.float32)
        return [p1, a, b]

    want, want_error, got, error, _ = run_in_both(build)
    assert want_error is None and error is None
    assert_same(want, got)

    def build_empty(tf, v1):
        h = tf.raw_ops.StackV2(max_size=-1, elem_type=tf.float32, stack_name="empty")
        return [tf.raw_ops.StackPopV2(handle=h, elem_type=tf.float32)]

    _, want_error, _, got_error, _ = run_in_both(build_empty)
    assert type(got_error).__name__ == type(want_error).__name__ == "InvalidArgumentError"
    assert "is empty when calling Pop()." in got_error.message and got_error.message.startswith("Stack[empty_")


def test_stack_close_then_pop_matches_tf(tf1):
    def build(tf, v1):
        R = tf.raw_ops
        h = R.StackV2(max_size=-1, elem_type=tf.float32, stack_name="closed")
        pushed = R.StackPushV2(handle=h, elem=[1.0])
        with tf.control_dependencies([pushed]):
            close = R.StackCloseV2(handle=h)
        with tf.control_dependencies([close]):
            return [R.StackPopV2(handle=h, elem_type=tf.float32)]

    _, want_error, _, got_error, _ = run_in_both(build)
    assert want_error is not None and got_error is not None
    assert type(got_error).__name__ == type(want_error).__name__
    assert re.sub(r"closed_\d+", "", got_error.message) == "Stack[] has already been closed."
    assert "Stack[] has already been closed." in re.sub(r"closed_\d+", "", want_error.message)


def test_tensor_array_grad_with_shape_matches_tf(tf1):
    def build(tf, v1):
        R = tf.raw_ops
        h, f = _ta(tf, size=2, element_shape=[3])
        f = R.TensorArrayWriteV3(handle=h, index=0, value=[1.0, 2.0, 3.0], flow_in=f)
        g, gf = R.TensorArrayGradWithShape(
            handle=h, flow_in=f, shape_to_prepend=tf.constant([2], tf.int32), source="grad"
        )
        gf = R.TensorArrayWriteV3(handle=g, index=1, value=tf.ones([2, 3]), flow_in=gf)
        return [
            R.TensorArrayGatherV3(handle=g, indices=[1, 0], flow_in=gf, dtype=tf.float32),
            R.TensorArraySizeV3(handle=g, flow_in=gf),
        ]

    want, want_error, got, error, _ = run_in_both(build)
    assert want_error is None and error is None, (want_error, error)
    assert_same(want, got)
