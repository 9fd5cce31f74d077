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
