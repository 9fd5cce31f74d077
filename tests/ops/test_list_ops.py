"""TensorList kernels against TensorFlow: graphs of raw list ops run in both, results and errors compared."""

import numpy as np
import pytest

from tests.runtime.tf_graphs import assert_same, assert_same_error, run_in_both

M = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)


def _lists(tf, v1):
    R = tf.raw_ops
    F = tf.float32
    m = v1.placeholder(F, [3, 2], name="m")
    lst = R.TensorListFromTensor(tensor=m, element_shape=[-1])
    reserved = R.TensorListReserve(element_shape=[2], num_elements=4, element_dtype=F)
    reserved = R.TensorListSetItem(input_handle=reserved, index=2, item=m[1])
    pushed = R.TensorListPushBack(input_handle=lst, tensor=m[0] * 10.0)
    popped, last = R.TensorListPopBack(input_handle=pushed, element_shape=[-1], element_dtype=F)
    empty = R.EmptyTensorList(element_shape=-1, max_num_elements=-1, element_dtype=F)
    concat = R.TensorListConcatV2(
        input_handle=lst, element_shape=[-1], leading_dims=tf.zeros([0], tf.int64), element_dtype=F
    )
    scattered = R.TensorListScatterV2(tensor=m[:2], indices=[3, 0], element_shape=[2], num_elements=5)
    split = R.TensorListSplit(tensor=tf.reshape(m, [6]), element_shape=[-1], lengths=tf.constant([1, 5], tf.int64))
    return [
        R.TensorListStack(input_handle=reserved, element_shape=[2], element_dtype=F),
        R.TensorListGetItem(input_handle=pushed, index=3, element_shape=[-1], element_dtype=F),
        last,
        R.TensorListLength(input_handle=popped),
        R.TensorListElementShape(input_handle=lst, shape_type=tf.int32),
        R.TensorListElementShape(input_handle=reserved, shape_type=tf.int64),
        R.TensorListStack(input_handle=empty, element_shape=[2, 3], element_dtype=F),
        concat.tensor,
        concat.lengths,
        R.TensorListGather(input_handle=lst, indices=[2, 2, 0], element_shape=[-1], element_dtype=F),
        R.TensorListStack(input_handle=scattered, element_shape=[-1], element_dtype=F),
        R.TensorListLength(input_handle=R.TensorListResize(input_handle=lst, size=7)),
        R.TensorListGetItem(input_handle=split, index=1, element_shape=[-1], element_dtype=F),
        R.TensorListStack(
            input_handle=R.TensorListScatterIntoExistingList(input_handle=lst, tensor=m[:1] * -1.0, indices=[1]),
            element_shape=[-1],
            element_dtype=F,
        ),
        R.TensorListLength(input_handle=R.TensorListConcatLists(input_a=lst, input_b=pushed, element_dtype=F)),
        *R.TensorListConcat(input_handle=split, element_dtype=F),
        R.TensorListConcat(input_handle=lst, element_dtype=F, element_shape=[None]).tensor,
        R.TensorListStack(
            input_handle=R.TensorListScatter(tensor=m[:2], indices=[3, 1], element_shape=[2]),
            element_shape=[2],
            element_dtype=F,
        ),
    ]


def test_list_results_match_tf(tf1):
    want, want_error, got, error, _ = run_in_both(_lists, {"m": M})
    assert want_error is None and error is None, (want_error, error)
    assert_same(want, got)


def _error_case(kind):
    def build(tf, v1):
        R = tf.raw_ops
        F = tf.float32
        x = v1.placeholder(F, None, name="x")
        i = v1.placeholder(tf.int32, None, name="i")
        reserved = R.TensorListReserve(element_shape=[-1], num_elements=3, element_dtype=F)
        if kind == "uninitialized read":
            return [R.TensorListGetItem(input_handle=reserved, index=0, element_shape=-1, element_dtype=F)]
        if kind == "read out of range":
            return [R.TensorListGetItem(input_handle=reserved, index=5, element_shape=[2], element_dtype=F)]
        if kind == "set out of range":
            return [R.TensorListSetItem(input_handle=reserved, index=5, item=x)]
        if kind == "negative reserve":
            return [R.TensorListReserve(element_shape=[-1], num_elements=-1, element_dtype=F)]
        if kind == "stack count":
            return [R.TensorListStack(input_handle=reserved, element_shape=[2], element_dtype=F, num_elements=2)]
        if kind == "set shape":
            fixed = R.TensorListReserve(element_shape=[2], num_elements=3, element_dtype=F)
            return [R.TensorListSetItem(input_handle=fixed, index=0, item=x)]
        if kind == "set shape after a good set":  # (the list remembers the shape it checked: not this one)
            fixed = R.TensorListReserve(element_shape=[2], num_elements=3, element_dtype=F)
            fixed = R.TensorListSetItem(input_handle=fixed, index=0, item=x[:2])
            return [R.TensorListSetItem(input_handle=fixed, index=1, item=x)]
        if kind == "push shape after a good push":
            fixed = R.EmptyTensorList(element_shape=[2], max_num_elements=-1, element_dtype=F)
            fixed = R.TensorListPushBack(input_handle=fixed, tensor=x[:2])
            return [R.TensorListPushBack(input_handle=fixed, tensor=x)]
        if kind == "stack mixed shapes":
            mixed = R.TensorListReserve(element_shape=[-1], num_elements=2, element_dtype=F)
            mixed = R.TensorListSetItem(input_handle=mixed, index=0, item=x)
            mixed = R.TensorListSetItem(input_handle=mixed, index=1, item=x[:2])
            return [R.TensorListStack(input_handle=mixed, element_shape=[-1], element_dtype=F)]
        if kind == "gather mixed shapes":
            mixed = R.TensorListReserve(element_shape=[-1], num_elements=2, element_dtype=F)
            mixed = R.TensorListSetItem(input_handle=mixed, index=0, item=x)
            mixed = R.TensorListSetItem(input_handle=mixed, index=1, item=x[:2])
            return [R.TensorListGather(input_handle=mixed, indices=[0, 1], element_shape=[-1], element_dtype=F)]
        if kind == "set dtype":
            return [R.TensorListSetItem(input_handle=reserved, index=0, item=i)]
        if kind == "set dtype after a good set":
            fixed = R.TensorListSetItem(input_handle=reserved, index=0, item=x)
            return [R.TensorListSetItem(input_handle=fixed, index=1, item=i[:1])]
        if kind == "pop empty":
            e = R.EmptyTensorList(element_shape=-1, max_num_elements=1, element_dtype=F)
            return R.TensorListPopBack(input_handle=e, element_shape=-1, element_dtype=F)
        if kind == "push full":
            e = R.EmptyTensorList(element_shape=-1, max_num_elements=1, element_dtype=F)
            e = R.TensorListPushBack(input_handle=e, tensor=x)
            return [R.TensorListPushBack(input_handle=e, tensor=x)]
        if kind == "stack empty":
            e = R.EmptyTensorList(element_shape=-1, max_num_elements=1, element_dtype=F)
            return [R.TensorListStack(input_handle=e, element_shape=-1, element_dtype=F)]
        if kind == "from scalar":
            return [R.TensorListFromTensor(tensor=x[0], element_shape=-1)]
        raise AssertionError(kind)

    return build


@pytest.mark.parametrize(
    "kind",
    [
        "uninitialized read",
        "read out of range",
        "set out of range",
        "negative reserve",
        "stack count",
        "set shape",
        "set shape after a good set",
        "push shape after a good push",
        "stack mixed shapes",
        "gather mixed shapes",
        "set dtype",
        "set dtype after a good set",
        "pop empty",
        "push full",
        "stack empty",
        "from scalar",
    ],
)
def test_list_errors_match_tf(tf1, kind):
    feeds = {"x": np.array([1.0, 2.0, 3.0], np.float32), "i": np.array([1, 2], np.int32)}
    _, want_error, _, got_error, _ = run_in_both(_error_case(kind), feeds)
    assert_same_error(want_error, got_error)


def test_zeros_like_and_add_n_of_lists(tf1):
    def build(tf, v1):
        R = tf.raw_ops
        m = v1.placeholder(tf.float32, [3, 2], name="m")
        a = R.TensorListReserve(element_shape=[2], num_elements=3, element_dtype=tf.float32)
        a = R.TensorListSetItem(input_handle=a, index=1, item=m[0])
        b = R.TensorListFromTensor(tensor=m * 2.0, element_shape=[2])
        total = R.AddN(inputs=[a, b, R.ZerosLike(x=b)])
        return [
            R.TensorListStack(input_handle=total, element_shape=[2], element_dtype=tf.float32),
            R.TensorListStack(input_handle=R.ZerosLike(x=a), element_shape=[2], element_dtype=tf.float32),
        ]

    want, want_error, got, error, _ = run_in_both(build, {"m": M})
    assert want_error is None and error is None, (want_error, error)
    assert_same(want, got)


def test_add_n_of_partly_set_lists(tf1):
    """Lists with a few elements set (a reserved list, as TF's TensorListGetItem gradient makes one each loop
    iteration) add by their set elements: on either side, overlapping or not, unset on both sides, and past the
    number of set elements tracked (``list_ops._SPARSE_MAX``)."""

    def build(tf, v1):
        R = tf.raw_ops
        F = tf.float32
        m = v1.placeholder(F, [3, 2], name="m")

        def reserved(*sets):
            lst = R.TensorListReserve(element_shape=[2], num_elements=12, element_dtype=F)
            for index, row in sets:
                lst = R.TensorListSetItem(input_handle=lst, index=index, item=m[row] * float(index + 1))
            return lst

        a = reserved((1, 0), (4, 1))
        b = reserved((4, 2), (7, 0), (4, 1))  # index 4 set twice: the later item counts
        dense = R.TensorListFromTensor(tensor=tf.reshape(tf.range(24, dtype=F), [12, 2]), element_shape=[2])
        many = reserved(*[(k, k % 3) for k in range(11)])  # eleven set, one not
        stack = [
            R.TensorListStack(input_handle=R.AddN(inputs=inputs), element_shape=[2], element_dtype=F)
            for inputs in ([a, b], [b, a], [dense, a], [a, dense], [a, b, dense], [many, a], [a, many], [many, dense])
        ]
        return stack

    want, want_error, got, error, _ = run_in_both(build, {"m": M})
    assert want_error is None and error is None, (want_error, error)
    assert_same(want, got)


def test_push_back_batch_matches_tf(tf1):
    def build(tf, v1):
        R = tf.raw_ops
        F = tf.float32
        m = v1.placeholder(F, [3, 2], name="m")
        a = R.TensorListFromTensor(tensor=m, element_shape=[-1])
        b = R.TensorListFromTensor(tensor=m * 2.0, element_shape=[-1])
        batch = R.TensorListPushBackBatch(input_handles=tf.stack([a, b]), tensor=[[7.0, 8.0], [9.0, 10.0]])
        first, second = tf.unstack(batch, 2)
        return [
            R.TensorListStack(input_handle=first, element_shape=[-1], element_dtype=F),
            R.TensorListStack(input_handle=second, element_shape=[-1], element_dtype=F),
        ]

    want, want_error, got, error, _ = run_in_both(build, {"m": M})
    assert want_error is None and error is None, (want_error, error)
    assert_same(want, got)


def test_v1_concat_and_scatter_gradients_match_tf(tf1):
    """TensorListConcat's gradient is TensorListSplit, TensorListScatter's TensorListGather (TF's list_ops.py)."""

    def build(tf, v1):
        R = tf.raw_ops
        F = tf.float32
        m = v1.placeholder(F, [3, 2], name="m")
        split = R.TensorListSplit(tensor=m * 3.0, element_shape=[-1, 2], lengths=tf.constant([2, 1], tf.int64))
        concat = R.TensorListConcat(input_handle=split, element_dtype=F, element_shape=[None, 2]).tensor
        scattered = R.TensorListScatter(tensor=m * m, indices=[2, 0, 1], element_shape=[2])
        stacked = R.TensorListStack(input_handle=scattered, element_shape=[2], element_dtype=F)
        loss = tf.reduce_sum(concat * [[1.0, 2.0]]) + tf.reduce_sum(stacked * [[1.0], [2.0], [3.0]])
        return [concat, stacked, *v1.gradients(loss, [m])]

    want, want_error, got, error, _ = run_in_both(build, {"m": M})
    assert want_error is None and error is None, (want_error, error)
    assert_same(want, got)


def test_v1_concat_of_scalars_fails_as_tf(tf1):
    def build(tf, v1):
        R = tf.raw_ops
        x = v1.placeholder(tf.float32, None, name="x")
        lst = R.TensorListFromTensor(tensor=x, element_shape=-1)
        return list(R.TensorListConcat(input_handle=lst, element_dtype=tf.float32, element_shape=[]))

    _, want_error, _, got_error, _ = run_in_both(build, {"x": np.array([1.0, 2.0], np.float32)})
    assert_same_error(want_error, got_error)
