"""framework/tensor_util: TensorProto <-> numpy as TF converts them."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from torchmeta._proto import tensor_pb2
from torchmeta.framework import tensor_util

SIGNED_ZEROS = [complex(1.0, -0.0), complex(-0.0, 0.0), complex(-0.0, -0.0), 3 - 2j]


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_constants_keep_signed_zeros_as_tf(tf1, dtype):
    value = np.array(SIGNED_ZEROS, dtype)
    with tf1.Graph().as_default() as g:
        c = tf1.constant(value)
        with tf1.Session(graph=g) as sess:
            expected = sess.run(c)
        proto_bytes = c.op.node_def.attr["value"].tensor.SerializeToString()
    ours_from_tf_proto = tensor_util.MakeNdarray(tensor_pb2.TensorProto.FromString(proto_bytes))
    with tm.Graph().as_default() as g:
        c = tm.constant(value)
        with tm.Session(graph=g) as sess:
            ours = sess.run(c)
    for got in (ours, ours_from_tf_proto):
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(np.signbit(got.real), np.signbit(expected.real))
        np.testing.assert_array_equal(np.signbit(got.imag), np.signbit(expected.imag))


def _static_values(tf):
    """Tensors whose TF Python constant_value is a value or None; built with TF or torchmeta."""
    c = tf.constant([3, 4, 5])
    x = tf.placeholder(tf.float32, [2, 3])
    unknown = tf.placeholder(tf.int32, None)
    return {
        "const": c,
        "shape": tf.raw_ops.Shape(input=x, out_type=tf.int64),
        "shape-partial": tf.raw_ops.Shape(input=tf.placeholder(tf.float32, [None, 3])),
        "size": tf.raw_ops.Size(input=x, out_type=tf.int64),
        "rank": tf.raw_ops.Rank(input=x),
        "range": tf.range(0.0, 1.0, 0.3),
        "cast": tf.cast(c, tf.float16),
        "concat": tf.concat([c, [1]], 0),
        "concat-v1": tf.raw_ops.Concat(concat_dim=0, values=[c, c]),
        "pack": tf.stack([c, c]),
        "pack-axis1": tf.stack([c, c], axis=1),
        "pack-unknown": tf.stack([c[0], unknown]),
        "unpack": tf.unstack(c)[2],
        "split": tf.split(c, 3)[1],
        "fill": tf.fill([2], 3),
        "equal": tf.equal(c, 4),
        "not_equal": tf.not_equal(c, 4),
        "identity": tf.identity(c),
        "stop_gradient": tf.stop_gradient(c),
        # TF's Python constant_value folds nothing else, whatever the inputs.
        "strided_slice": c[1:],
        "slice": tf.slice(c, [0], [2]),
        "add": c + 1,
        "reduce_sum": tf.reduce_sum(c),
        "reshape": tf.reshape(c, [3, 1]),
        "shape_n": tf.shape_n([c])[0],
        "snapshot": tf.raw_ops.Snapshot(input=c),
        "identity_n": tf.raw_ops.IdentityN(input=[c])[0],
        "split_v": tf.split(c, [1, 2])[0],
        "tile": tf.tile(c, [2]),
        "gather": tf.gather(c, [0]),
        "zeros_like": tf.zeros_like(c),
    }


@pytest.mark.parametrize("partial", [False, True])
def test_constant_value_matches_tfs_python_constant_value(tf1, partial):
    from tensorflow.python.framework import tensor_util as tf_tensor_util

    with tf1.Graph().as_default():
        expected = {k: tf_tensor_util.constant_value(t, partial=partial) for k, t in _static_values(tf1).items()}
    with tm.Graph().as_default():
        got = {k: tensor_util.constant_value(t, partial=partial) for k, t in _static_values(tm).items()}
    for key, want in expected.items():
        value = got[key]
        if want is None:
            assert value is None, key
            continue
        assert value is not None, key
        assert type(value) is type(want), key
        assert value.dtype == want.dtype, key
        assert np.shape(value) == np.shape(want), key
        assert [repr(v) for v in np.asarray(value).reshape(-1)] == [repr(v) for v in np.asarray(want).reshape(-1)], key


_STATIC_CASES = {
    "const": lambda tf, p: tf.constant(10),
    "add": lambda tf, p: tf.add(tf.constant(10), tf.constant(20)),
    "list": lambda tf, p: [1, 2],
    "ndarray": lambda tf, p: np.array([1.5]),
    "int": lambda tf, p: 3,
    "none": lambda tf, p: None,
    "shape": lambda tf, p: tf.shape(tf.zeros([2, 3])),
    "pack": lambda tf, p: tf.stack([tf.constant(10), p]),
    "placeholder": lambda tf, p: p,
    "ref_variable": lambda tf, p: tf.Variable(30, use_resource=False),
    "resource_variable": lambda tf, p: tf.Variable(30, use_resource=True),
    "sparse": lambda tf, p: tf.SparseTensor([[0]], [1.0], [2]),
    "identity": lambda tf, p: tf.identity(tf.constant([1, 2])),
    "cast": lambda tf, p: tf.cast(tf.constant(10), tf.float32),
    "string": lambda tf, p: tf.constant("x"),
    "range": lambda tf, p: tf.range(3),
    "fill": lambda tf, p: tf.fill([2], 7),
    "strided_slice": lambda tf, p: tf.constant([1, 2, 3])[1:],
}


@pytest.mark.parametrize("partial", [False, True])
def test_get_static_value_is_tfs(tf1, partial):
    def values(tf):
        with tf.Graph().as_default():
            p = tf.placeholder(tf.int32, [], name="p")
            out = {}
            for name, build in _STATIC_CASES.items():
                x = build(tf, p)
                out[name] = (tf.is_tensor(x), tf.get_static_value(x, partial=partial))
            out["compat"] = (True, tf.compat.v1.get_static_value(tf.constant([4])))
            return out

    theirs, ours = values(tf1), values(tm)
    for name, (is_tensor, want) in theirs.items():
        got_is_tensor, got = ours[name]
        assert got_is_tensor == is_tensor, name
        assert type(got) is type(want), name
        if isinstance(want, np.ndarray):
            assert got.dtype == want.dtype and got.shape == want.shape, name
            assert repr(got) == repr(want), name  # object arrays (partial Pack: [array(10), None]) compare by repr
        else:
            assert got == want, name
    assert ours["pack"][1] is None if not partial else ours["pack"][1][1] is None


def test_get_static_value_prevents_feeding_as_tf(tf1):
    def run(tf):
        with tf.Graph().as_default() as g:
            c = tf.constant(5, name="c")
            free = tf.constant(6, name="free")
            d = c * 2
            tf.get_static_value(c)
            tf.get_static_value(tf.placeholder(tf.int32))  # no value: stays feedable
            with tf.Session() as sess, pytest.raises(ValueError) as info:
                sess.run(d, {c: 7})
            return str(info.value), g.is_feedable(c), g.is_feedable(free)

    theirs, ours = run(tf1), run(tm)
    assert ours == theirs == ("Tensor c:0 may not be fed.", False, True)


@pytest.mark.parametrize("value", [3, [1, 2], 2.5, True, [b"a", 1], [[b"a"], (b"b", 2.0)]], ids=repr)
def test_non_strings_for_a_string_constant_raise_tfs_type_error(tf1, value):
    with pytest.raises(TypeError) as theirs:
        tf1.constant(value, dtype=tf1.string)
    with pytest.raises(TypeError) as ours:
        tm.constant(value, dtype=tm.string)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("value", [np.array([255, 0, 0, 255], np.uint8), 2.5, [[1, 2], [3, 4]], [b"a", b"bc"]])
def test_make_tensor_proto_and_make_ndarray_are_tfs_top_level_names(tf1, value):
    """tf.make_tensor_proto / tf.make_ndarray (TF1 code builds tensor-valued attrs such as ImageSummary's
    bad_color with them): the same TensorProto bytes and the same array back."""
    ours = tm.make_tensor_proto(value)
    theirs = tf1.make_tensor_proto(value)
    assert ours.SerializeToString() == theirs.SerializeToString()
    back = tm.make_ndarray(ours)
    expected = tf1.make_ndarray(theirs)
    assert back.dtype == expected.dtype
    np.testing.assert_array_equal(back, expected)


@pytest.mark.parametrize(
    "values",
    [[0, np.array(8, np.int32)], [0, np.array(5)], [np.array(3, np.uint8), 1], [np.array(2**40)]],
    ids=["int32", "int64", "uint8", "overflow"],
)
def test_integer_arrays_inside_lists_infer_tfs_dtype(tf1, values):
    """TF reads 0-d integer arrays inside a list as ints: int32 unless a value overflows (slicing with a
    constant_value, e.g. tf.signal.inverse_stft's ``x[..., :frame_length]``, packs such lists)."""
    with tf1.Graph().as_default():
        expected = tf1.constant(values).dtype.name
    with tm.Graph().as_default():
        assert tm.constant(values).dtype.name == expected


def test_constant_value_as_shape_reads_strided_slices_like_tf(tf1):
    """TF's Python constant_value_as_shape slices the partial shape a StridedSlice reads (``shape[:-1]``)."""
    import numpy as np
    from tensorflow.python.framework.tensor_util import constant_value_as_shape as tf_as_shape

    from torchmeta.framework.tensor_util import constant_value_as_shape

    def shapes(tf, as_shape):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [None, 3, 5, 7])
            dense = tf.constant(np.array([4, 3, 2], np.int64))
            s = tf.shape(x)
            cases = [dense[:-1], s[1:], s[:-2], s[::2], s[1:3], s[-1:], tf.concat([dense[:-1], [9]], 0)]
            return [as_shape(c).as_list() if as_shape(c).rank is not None else None for c in cases]

    assert shapes(tm, constant_value_as_shape) == shapes(tf1, tf_as_shape)
