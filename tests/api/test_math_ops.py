"""The TF1 math API and Tensor operators build the graphs TF builds (names, ops, inputs), compute what TF
computes, and fail like TF (integer division by zero, bad axes, incompatible shapes, ...)."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from torchmeta import errors
from torchmeta.api import math_ops as tm_math

F23 = np.array([[1.5, -2.0, 0.5], [3.0, 0.0, -0.25]], np.float32)
F32 = np.arange(6, dtype=np.float32).reshape(3, 2) - 2.5
I23 = np.array([[7, -7, 3], [1, 5, -2]], np.int32)
B23 = np.array([[True, False, True], [False, False, True]])
C2 = np.array([1 + 2j, -3j], np.complex64)


def _nodes(graph):
    return [(n.name, n.op, list(n.input)) for n in graph.as_graph_def().node]


def _flat(out):
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _build_and_run(tf, math, build):
    g = tf.Graph()
    with g.as_default():
        phs = {}

        def ph(name, dtype, shape):
            if name not in phs:
                phs[name] = tf.placeholder(dtype, shape, name=name)
            return phs[name]

        out = _flat(build(tf, ph, math))
        with tf.Session(graph=g) as sess:
            values = sess.run(out, {phs[k]: FEEDS[k] for k in phs})
    shapes = [None if t.shape.rank is None else t.shape.as_list() for t in out]
    dts = [t.dtype.base_dtype.name for t in out]
    return _nodes(g), values, shapes, dts


def _in_scope(tf, fn):
    with tf.name_scope("outer"):
        return fn()


def x23(tf, ph):
    return ph("x", tf.float32, [None, 3])


def i23(tf, ph):
    return ph("i", tf.int32, [2, None])


def b23(tf, ph):
    return ph("b", tf.bool, [2, 3])


FEEDS = {
    "x": F23,
    "i": I23,
    "b": B23,
    "m": F32,
    "c": C2,
    "s": np.array([b"ab", b"c"], object),
    "u": F23,
    "n": np.int32(4),
}

# Each case builds with TF's tf.compat.v1 (and tf.math) or torchmeta (and its math API module).
GRAPH_CASES = {
    # Tensor operators, forward and reflected
    "op-add": lambda tf, ph, m: [x23(tf, ph) + 1, 2 + x23(tf, ph), x23(tf, ph) + x23(tf, ph)],
    "op-add-string": lambda tf, ph, m: [ph("s", tf.string, [2]) + "!", "<" + ph("s", tf.string, [2])],
    "op-sub": lambda tf, ph, m: [x23(tf, ph) - 1.5, 1 - x23(tf, ph)],
    "op-mul": lambda tf, ph, m: [x23(tf, ph) * 2, 3 * x23(tf, ph), i23(tf, ph) * i23(tf, ph)],
    "op-mul-bool": lambda tf, ph, m: b23(tf, ph) * b23(tf, ph),
    "op-truediv-float": lambda tf, ph, m: [x23(tf, ph) / 4, 1 / x23(tf, ph)],
    "op-truediv-int": lambda tf, ph, m: [i23(tf, ph) / 2, 3 / i23(tf, ph)],
    "op-truediv-int16": lambda tf, ph, m: tf.constant([3, -4], tf.int16) / tf.constant([2, 8], tf.int16),
    "op-floordiv": lambda tf, ph, m: [x23(tf, ph) // 0.5, i23(tf, ph) // 2, 7 // i23(tf, ph)],
    "op-mod": lambda tf, ph, m: [x23(tf, ph) % 1.0, i23(tf, ph) % 3, 10 % i23(tf, ph)],
    "op-pow": lambda tf, ph, m: [x23(tf, ph) ** 2, 2.0 ** x23(tf, ph), i23(tf, ph) ** 2],
    "op-matmul": lambda tf, ph, m: [x23(tf, ph) @ ph("m", tf.float32, [3, 2]), F23 @ ph("m", tf.float32, [3, 2])],
    "op-unary": lambda tf, ph, m: [-x23(tf, ph), abs(x23(tf, ph)), -i23(tf, ph), abs(i23(tf, ph))],
    "op-compare": lambda tf, ph, m: [
        x23(tf, ph) < 1,
        x23(tf, ph) <= 0.5,
        x23(tf, ph) > 0,
        x23(tf, ph) >= 0,
        x23(tf, ph) > 1.0,
        1.0 > x23(tf, ph),  # noqa: SIM300 - the reflected comparison is the point
        i23(tf, ph) > 2,
    ],
    "op-logic": lambda tf, ph, m: [
        b23(tf, ph) & b23(tf, ph),
        b23(tf, ph) | True,
        b23(tf, ph) ^ b23(tf, ph),
        ~b23(tf, ph),
        False | b23(tf, ph),
    ],
    "op-bitwise": lambda tf, ph, m: [i23(tf, ph) & 6, i23(tf, ph) | 1, i23(tf, ph) ^ 5, ~i23(tf, ph)],
    "op-in-scope": lambda tf, ph, m: _in_scope(tf, lambda: x23(tf, ph) * 2 + 1),
    # arithmetic functions
    "add": lambda tf, ph, m: [tf.add(x23(tf, ph), 1), tf.add(x23(tf, ph), 2.5, name="plus"), tf.add(1, 2)],
    "add-string": lambda tf, ph, m: tf.add(ph("s", tf.string, [2]), "x"),
    "subtract-multiply": lambda tf, ph, m: [tf.subtract(x23(tf, ph), 1), tf.multiply(2.0, x23(tf, ph), name="m")],
    "scalar_mul": lambda tf, ph, m: tf.scalar_mul(3, x23(tf, ph)),
    "divide": lambda tf, ph, m: [
        tf.divide(x23(tf, ph), 2),
        tf.divide(i23(tf, ph), 2, name="d"),
        tf.divide(3.0, x23(tf, ph)),
    ],
    "truediv": lambda tf, ph, m: [tf.truediv(i23(tf, ph), 4), tf.truediv(x23(tf, ph), 4)],
    "div": lambda tf, ph, m: [tf.div(i23(tf, ph), 2), tf.div(x23(tf, ph), 2.0), tf.div(i23(tf, ph), -4, name="q")],
    "div_no_nan": lambda tf, ph, m: [
        tf.div_no_nan(x23(tf, ph), x23(tf, ph)),
        tf.div_no_nan(i23(tf, ph), i23(tf, ph)),
        m.divide_no_nan(1.0, x23(tf, ph)),
    ],
    "multiply_no_nan": lambda tf, ph, m: m.multiply_no_nan(x23(tf, ph), 0.0),
    "reciprocal_no_nan": lambda tf, ph, m: m.reciprocal_no_nan(x23(tf, ph)),
    "floor-mod-div": lambda tf, ph, m: [
        tf.floordiv(i23(tf, ph), 3),
        tf.floor_div(i23(tf, ph), 3),
        tf.mod(i23(tf, ph), 3),
        tf.floormod(x23(tf, ph), -1.0),
        tf.truncatediv(i23(tf, ph), -3),
        tf.truncatemod(i23(tf, ph), -3),
        tf.realdiv(x23(tf, ph), 3.0),
    ],
    "negative-square": lambda tf, ph, m: [
        tf.negative(x23(tf, ph)),
        tf.square(i23(tf, ph)),
        tf.squared_difference(x23(tf, ph), 1.0),
    ],
    "pow": lambda tf, ph, m: [tf.pow(x23(tf, ph), 2.0), tf.pow(i23(tf, ph), 3), tf.pow(2.0, x23(tf, ph))],
    "maximum-minimum": lambda tf, ph, m: [tf.maximum(x23(tf, ph), 0.0), tf.minimum(1, i23(tf, ph))],
    "add_n": lambda tf, ph, m: [
        tf.add_n([x23(tf, ph), x23(tf, ph), F23]),
        tf.add_n([x23(tf, ph)]),
        tf.add_n([x23(tf, ph)], name="only"),
    ],
    "accumulate_n": lambda tf, ph, m: [tf.accumulate_n([x23(tf, ph), F23]), tf.accumulate_n([F23], name="acc")],
    # element-wise functions
    "unary": lambda tf, ph, m: [
        tf.sqrt(tf.abs(x23(tf, ph))),
        tf.rsqrt(x23(tf, ph) * x23(tf, ph) + 1),
        tf.exp(x23(tf, ph)),
        tf.expm1(x23(tf, ph)),
        tf.log(tf.abs(x23(tf, ph)) + 1),
        tf.log1p(tf.abs(x23(tf, ph))),
        tf.reciprocal(x23(tf, ph) + 10),
        tf.floor(x23(tf, ph)),
        tf.ceil(x23(tf, ph)),
        tf.rint(x23(tf, ph)),
        tf.sin(x23(tf, ph)),
        tf.cos(x23(tf, ph)),
        tf.tan(x23(tf, ph)),
        tf.asin(x23(tf, ph) / 4),
        tf.acos(x23(tf, ph) / 4),
        tf.atan(x23(tf, ph)),
        tf.sinh(x23(tf, ph)),
        tf.cosh(x23(tf, ph)),
        tf.tanh(x23(tf, ph)),
        tf.erf(x23(tf, ph)),
        tf.erfc(x23(tf, ph)),
        tf.lgamma(x23(tf, ph) + 3),
        tf.digamma(x23(tf, ph) + 3),
        tf.is_nan(x23(tf, ph)),
        tf.is_inf(x23(tf, ph)),
        tf.is_finite(x23(tf, ph)),
        tf.atan2(x23(tf, ph), 1.0),
    ],
    "named-unary": lambda tf, ph, m: [tf.sqrt(4.0, name="root"), tf.exp([0.0, 1.0]), tf.log(2.0)],
    "abs-sign-round": lambda tf, ph, m: [
        tf.abs(x23(tf, ph)),
        tf.abs(ph("c", tf.complex64, [2])),
        tf.sign(x23(tf, ph)),
        tf.sign(ph("c", tf.complex64, [2])),
        tf.round(x23(tf, ph)),
        tf.round(i23(tf, ph)),
    ],
    "sigmoid": lambda tf, ph, m: [tf.sigmoid(x23(tf, ph)), tf.log_sigmoid(x23(tf, ph)), tf.sigmoid(0.5)],
    "complex-parts": lambda tf, ph, m: [
        tf.real(ph("c", tf.complex64, [2])),
        tf.imag(ph("c", tf.complex64, [2])),
        tf.conj(ph("c", tf.complex64, [2])),
        tf.conj(x23(tf, ph)),
        tf.real(x23(tf, ph)),
    ],
    # casts
    "cast": lambda tf, ph, m: [
        tf.cast(x23(tf, ph), tf.int32),
        tf.cast(x23(tf, ph), tf.float32),
        tf.cast(b23(tf, ph), tf.float32, name="mask"),
        tf.cast([1, 2], tf.float64),
    ],
    "to_x": lambda tf, ph, m: [
        tf.to_float(i23(tf, ph)),
        tf.to_int32(x23(tf, ph)),
        tf.to_int64(x23(tf, ph)),
        tf.to_double(x23(tf, ph)),
        tf.to_bfloat16(x23(tf, ph)),
    ],
    "saturate_cast": lambda tf, ph, m: [
        tf.saturate_cast(x23(tf, ph) * 100, tf.uint8),
        tf.saturate_cast(x23(tf, ph) * 1e9, tf.int32),
        tf.saturate_cast(i23(tf, ph), tf.int8),
        tf.saturate_cast(i23(tf, ph), tf.int64),
    ],
    # comparisons and logic
    "compare": lambda tf, ph, m: [
        tf.equal(x23(tf, ph), 0.5),
        tf.not_equal(ph("s", tf.string, [2]), "c"),
        tf.greater(i23(tf, ph), 0),
        tf.greater_equal(x23(tf, ph), 0.0),
        tf.less(x23(tf, ph), F23),
        tf.less_equal(0.0, x23(tf, ph)),
    ],
    "logical": lambda tf, ph, m: [
        tf.logical_and(b23(tf, ph), True),
        tf.logical_or(b23(tf, ph), B23),
        tf.logical_not(b23(tf, ph)),
        tf.logical_xor(b23(tf, ph), B23[::-1]),
    ],
    # matrix products
    "matmul-2d": lambda tf, ph, m: [
        tf.matmul(x23(tf, ph), ph("m", tf.float32, [3, 2])),
        tf.matmul(x23(tf, ph), x23(tf, ph), transpose_b=True),
        tf.matmul(x23(tf, ph), x23(tf, ph), adjoint_a=True, name="gram"),
    ],
    "matmul-batched": lambda tf, ph, m: [
        tf.matmul(tf.reshape(x23(tf, ph), [1, 2, 3]), ph("m", tf.float32, [3, 2])),
        tf.matmul(tf.reshape(x23(tf, ph), [1, 2, 3]), tf.reshape(x23(tf, ph), [1, 2, 3]), transpose_a=True),
        tf.matmul(ph("u", tf.float32, None), ph("m", tf.float32, [3, 2])),
    ],
    "matmul-complex": lambda tf, ph, m: tf.matmul(
        tf.reshape(ph("c", tf.complex64, [2]), [1, 2]), tf.reshape(ph("c", tf.complex64, [2]), [1, 2]), adjoint_a=True
    ),
    "matmul-output-type": lambda tf, ph, m: tf.matmul(
        tf.constant(np.ones((2, 3), np.int8)), tf.constant(np.ones((3, 2), np.int8)), output_type=tf.int32
    ),
    "tensordot-static": lambda tf, ph, m: [
        tf.tensordot(tf.constant(np.ones((2, 4, 3), np.float32)), ph("m", tf.float32, [3, 2]), [[2], [0]]),
        tf.tensordot(tf.reshape(x23(tf, ph), [2, 3]), ph("m", tf.float32, [3, 2]), 1, name="td"),
        tf.tensordot(ph("m", tf.float32, [3, 2]), ph("m", tf.float32, [3, 2]), [[0], [0]]),
    ],
    "tensordot-partial": lambda tf, ph, m: [
        tf.tensordot(x23(tf, ph), ph("m", tf.float32, [3, 2]), [[1], [0]]),
        tf.tensordot(x23(tf, ph), ph("m", tf.float32, [3, 2]), [[-1], [0]]),
    ],
    "tensordot-unknown-rank": lambda tf, ph, m: [
        tf.tensordot(ph("u", tf.float32, None), ph("m", tf.float32, [3, 2]), 1),
        tf.tensordot(ph("u", tf.float32, None), ph("m", tf.float32, [3, 2]), [[1], [0]]),
    ],
    # range, argmax
    "range": lambda tf, ph, m: [
        tf.range(5),
        tf.range(1, 7, 2),
        tf.range(0.5, 3),
        tf.range(0, 4, dtype=tf.float32),
        tf.range(3, name="r"),
        tf.range(ph("n", tf.int32, [])),
        tf.range(2, tf.constant(6, tf.int64)),
        tf.range(10, 0, -3),
    ],
    "argmax": lambda tf, ph, m: [
        tf.argmax(x23(tf, ph), 1),
        tf.argmax(x23(tf, ph), dimension=0),
        tf.argmin(x23(tf, ph), axis=1, output_type=tf.int32),
        tf.argmin(i23(tf, ph)),
        tf.argmax(x23(tf, ph), tf.constant(1, tf.int64)),
    ],
    # reductions
    "reduce": lambda tf, ph, m: [
        tf.reduce_sum(x23(tf, ph)),
        tf.reduce_sum(x23(tf, ph), 1),
        tf.reduce_sum(x23(tf, ph), reduction_indices=[0], keep_dims=True),
        tf.reduce_mean(x23(tf, ph), axis=-1, keepdims=True),
        tf.reduce_mean(i23(tf, ph)),
        tf.reduce_max(x23(tf, ph), name="top"),
        tf.reduce_min(i23(tf, ph), [0, 1]),
        tf.reduce_prod(x23(tf, ph), 0),
        tf.reduce_all(b23(tf, ph)),
        tf.reduce_any(b23(tf, ph), 0),
    ],
    "reduce-unknown-rank": lambda tf, ph, m: [
        tf.reduce_sum(ph("u", tf.float32, None)),
        tf.reduce_mean(ph("u", tf.float32, None), keepdims=True),
    ],
    "reduce-scalar": lambda tf, ph, m: tf.reduce_sum(tf.constant(3.0)),
    "reduce_logsumexp": lambda tf, ph, m: [
        tf.reduce_logsumexp(x23(tf, ph)),
        tf.reduce_logsumexp(x23(tf, ph), 1),
        tf.reduce_logsumexp(x23(tf, ph), axis=0, keepdims=True, name="lse"),
    ],
    "count_nonzero": lambda tf, ph, m: [
        tf.count_nonzero(x23(tf, ph)),
        tf.count_nonzero(b23(tf, ph), 1, dtype=tf.int32),
        tf.count_nonzero(i23(tf, ph), reduction_indices=0, keep_dims=True),
    ],
    # scans, clipping, segments
    "cumsum-cumprod": lambda tf, ph, m: [
        tf.cumsum(x23(tf, ph)),
        tf.cumsum(x23(tf, ph), 1, exclusive=True),
        tf.cumprod(i23(tf, ph), axis=-1, reverse=True),
        tf.cumprod(x23(tf, ph), 0, exclusive=True, reverse=True, name="cp"),
    ],
    "clip_by_value": lambda tf, ph, m: [
        tf.clip_by_value(x23(tf, ph), -1.0, 1.0),
        tf.clip_by_value(i23(tf, ph), 0, 4, name="clip"),
    ],
    "segments": lambda tf, ph, m: [
        tf.segment_sum(x23(tf, ph), [0, 0]),
        tf.unsorted_segment_sum(x23(tf, ph), [1, -1], 3),
        tf.unsorted_segment_max(i23(tf, ph), [0, 0], 2),
        tf.unsorted_segment_min(x23(tf, ph), [1, 0], 2),
        tf.unsorted_segment_prod(x23(tf, ph), [1, 1], num_segments=2),
    ],
}


@pytest.mark.parametrize("case", sorted(GRAPH_CASES))
def test_graph_and_values_match_tf(tf1, case):
    import tensorflow as tf

    expected = _build_and_run(tf1, tf.math, GRAPH_CASES[case])
    actual = _build_and_run(tm, tm_math, GRAPH_CASES[case])
    assert actual[0] == expected[0], "graph nodes"
    assert actual[3] == expected[3], "dtypes"
    assert actual[2] == expected[2], "static shapes"
    for v, e in zip(actual[1], expected[1]):
        v, e = np.asarray(v), np.asarray(e)
        assert (v.dtype, v.shape) == (e.dtype, e.shape)
        if e.dtype.kind in "fcV":
            wide = np.complex128 if e.dtype.kind == "c" else np.float64
            np.testing.assert_allclose(v.astype(wide), e.astype(wide), rtol=1e-5, atol=1e-6)
        else:
            np.testing.assert_array_equal(v, e)


# ---------------------------------------------------------------------------------------------
# Run-time errors: the same exception class as TF, and TF's message


def _ph_case(*placeholders):
    """A case feeding placeholders ``(dtype name, static shape, value)`` to ``build(tf, *tensors)``."""

    def wrap(build):
        return placeholders, build

    return wrap


def _raw(tf):
    if tf is tm:
        return tm.raw_ops
    import tensorflow

    return tensorflow.raw_ops


I2 = ("int32", [None], np.array([7, 1], np.int32))
Z2 = ("int32", [None], np.array([0, 1], np.int32))
RUNTIME_ERRORS = {
    "floordiv-by-zero": ((I2, Z2), lambda tf, a, b: a // b),
    "mod-by-zero": ((I2, Z2), lambda tf, a, b: a % b),
    "div-by-zero": ((I2, Z2), lambda tf, a, b: tf.div(a, b)),
    "raw-div-by-zero": ((I2, Z2), lambda tf, a, b: _raw(tf).Div(x=a, y=b)),
    "int64-floordiv-by-zero": (
        (("int64", [2], np.array([3, 4])), ("int64", [2], np.array([1, 0]))),
        lambda tf, a, b: tf.floordiv(a, b),
    ),
    "truncatediv-by-zero": ((I2, Z2), lambda tf, a, b: tf.truncatediv(a, b)),
    "truncatemod-by-zero": ((I2, Z2), lambda tf, a, b: tf.truncatemod(a, b)),
    "pow-negative-int": ((I2, ("int32", [2], np.array([2, -1], np.int32))), lambda tf, a, b: tf.pow(a, b)),
    "incompatible-shapes": (
        (("float32", [None, None], np.ones((4, 3), np.float32)), ("float32", [None], np.ones(2, np.float32))),
        lambda tf, a, b: a + b,
    ),
    "incompatible-equal": (
        (("float32", [None, None], np.ones((4, 3), np.float32)), ("float32", [None], np.ones(2, np.float32))),
        lambda tf, a, b: tf.equal(a, b),
    ),
    "matmul-size": (
        (
            ("float32", [None, None], np.ones((4, 3), np.float32)),
            ("float32", [None, None], np.ones((2, 2), np.float32)),
        ),
        lambda tf, a, b: tf.matmul(a, b),
    ),
    "clip-shape": (
        (("float32", [None, None], np.ones((4, 3), np.float32)), ("float32", [3], np.ones(3, np.float32))),
        lambda tf, a, b: _raw(tf).ClipByValue(t=a, clip_value_min=b, clip_value_max=4.0),
    ),
    "range-zero-delta": ((("int32", [], np.int32(0)),), lambda tf, d: tf.range(0, 5, d)),
    "range-wrong-direction": ((("int32", [], np.int32(10)),), lambda tf, s: tf.range(s, 5, 1)),
    "range-wrong-direction-negative": ((("int32", [], np.int32(1)),), lambda tf, s: tf.range(s, 5, -1)),
    "argmax-empty-axis": ((("float32", [None, None], np.zeros((2, 0), np.float32)),), lambda tf, a: tf.argmax(a, 1)),
    "argmax-bad-axis": (
        (("float32", [None, None], np.zeros((2, 3), np.float32)), ("int32", [], np.int32(2))),
        lambda tf, a, d: tf.argmax(a, d),
    ),
    "sum-bad-axis": (
        (("float32", [None, 3], np.ones((2, 3), np.float32)), ("int32", [None], np.array([2], np.int32))),
        lambda tf, a, ax: tf.reduce_sum(a, ax),
    ),
    "mean-duplicate-axes": (
        (("float32", [None, 3], np.ones((2, 3), np.float32)), ("int32", [None], np.array([0, -2], np.int32))),
        lambda tf, a, ax: tf.reduce_mean(a, ax),
    ),
    "segment-not-increasing": (
        (("int32", [None], np.array([0, 2, 1, 2], np.int32)),),
        lambda tf, ids: tf.segment_sum(tf.constant([1.0, 2, 3, 4]), ids),
    ),
    "segment-negative": (
        (("int32", [None], np.array([-1, 0, 1, 2], np.int32)),),
        lambda tf, ids: tf.segment_sum(tf.constant([1.0, 2, 3, 4]), ids),
    ),
    "segment-size": (
        (("int32", [None], np.array([0, 0, 1], np.int32)),),
        lambda tf, ids: tf.segment_sum(tf.constant([1.0, 2, 3, 4]), ids),
    ),
    "segment-ids-matrix": (
        (("int32", None, np.array([[0, 0], [1, 1]], np.int32)),),
        lambda tf, ids: tf.segment_sum(tf.ones([4, 3]), ids),
    ),
    "unsorted-segment-out-of-range": (
        (("int32", [None], np.array([0, 5, 2, 0], np.int32)),),
        lambda tf, ids: tf.unsorted_segment_max(tf.constant([1, 2, 3, 4]), ids, 4),
    ),
    "unsorted-segment-prefix": (
        (("int32", None, np.array([0, 1, 2], np.int32)),),
        lambda tf, ids: tf.unsorted_segment_sum(tf.ones([4, 3]), ids, 3),
    ),
    "cumsum-bad-axis": ((("int32", [], np.int32(2)),), lambda tf, ax: tf.cumsum(tf.ones([2, 3]), ax)),
    "cumsum-axis-vector": ((("int32", [None], np.array([0], np.int32)),), lambda tf, ax: tf.cumsum(tf.ones([2]), ax)),
    "cast-string": ((("string", [None], np.array([b"1"], object)),), lambda tf, s: tf.cast(s, tf.float32)),
}


def _run_error(tf, case):
    placeholders, build = RUNTIME_ERRORS[case]
    g = tf.Graph()
    with g.as_default():
        phs = [tf.placeholder(tf.as_dtype(d), s) for d, s, _ in placeholders]
        out = build(tf, *phs)
        with tf.Session(graph=g) as sess:
            with pytest.raises(Exception) as info:
                sess.run(out, {p: v for p, (_, _, v) in zip(phs, placeholders)})
    return info.value


@pytest.mark.parametrize("case", sorted(RUNTIME_ERRORS))
def test_runtime_error_matches_tf(tf1, case):
    theirs = _run_error(tf1, case)
    ours = _run_error(tm, case)
    assert type(ours).__name__ == type(theirs).__name__
    assert isinstance(ours, errors.OpError)
    assert ours.message in theirs.message, f"{ours.message!r} is not TF's wording"
    assert ours.op is not None


def test_tensordot_full_contraction():
    # (Not in GRAPH_CASES: TF's reshape to [] converts the empty shape twice, an array-API detail.)
    m = tm.constant(F32)
    with tm.Session() as sess:
        value = sess.run(tm.tensordot(m, m, [[0, 1], [0, 1]]))
    assert value.shape == () and value == np.float32((F32 * F32).sum())


def test_integer_division_by_zero_wording():
    a = tm.constant([4, 2])
    b = tm.placeholder(tm.int32, [2])
    with tm.Session() as sess:
        with pytest.raises(errors.InvalidArgumentError, match="Integer division by zero"):
            sess.run(a // b, {b: [1, 0]})
        assert sess.run(a // b, {b: [-3, 2]}).tolist() == [-2, 1]
        assert sess.run(tm.truncatediv(a, b), {b: [-3, 2]}).tolist() == [-1, 1]


def test_int_min_divided_by_minus_one_does_not_trap():
    """torch's truncating integer division raises SIGFPE for INT_MIN / -1; TF gives INT_MIN."""
    x = tm.constant(np.array([-(2**31), 9], np.int32))
    y = tm.placeholder(tm.int32, [2])
    with tm.Session() as sess:
        values = sess.run([tm.truncatediv(x, y), tm.raw_ops.Div(x=x, y=y), tm.truncatemod(x, y)], {y: [-1, -2]})
    assert [v.tolist() for v in values] == [[-(2**31), -4], [-(2**31), -4], [0, 1]]


# ---------------------------------------------------------------------------------------------
# Graph-construction errors: TF raises ValueError / TypeError before anything runs, and so do we

BUILD_ERRORS = {
    "add-shapes": lambda tf: tf.add(tf.ones([2]), tf.ones([3])),
    "equal-shapes": lambda tf: tf.equal(tf.ones([2]), tf.ones([3])),
    "matmul-inner": lambda tf: tf.matmul(tf.ones([2, 3]), tf.ones([4, 4])),
    "matmul-rank": lambda tf: _raw(tf).MatMul(a=tf.ones([2, 3, 1]), b=tf.ones([1, 4])),
    "batch-matmul-v1-rank": lambda tf: _raw(tf).BatchMatMul(x=tf.ones([2, 2, 3]), y=tf.ones([3, 4])),
    "batch-matmul-v2-batch": lambda tf: tf.matmul(tf.ones([2, 2, 3]), tf.ones([3, 3, 4])),
    "batch-matmul-rank-1": lambda tf: _raw(tf).BatchMatMulV2(x=tf.ones([3]), y=tf.ones([3, 4])),
    "range-direction": lambda tf: tf.range(10, 0, 3),
    "range-zero-delta": lambda tf: tf.range(0, 10, 0),
    "range-vector": lambda tf: _raw(tf).Range(start=tf.ones([1], tf.int32), limit=5, delta=1),
    "reduce-axis": lambda tf: tf.reduce_sum(tf.ones([2, 3]), 2),
    "reduce-scalar-axis": lambda tf: tf.reduce_sum(tf.constant(1.0), 0),
    "reduce-matrix-axes": lambda tf: tf.reduce_sum(tf.ones([2, 3]), [[0]]),
    "argmax-axis": lambda tf: tf.argmax(tf.ones([2, 3]), 5),
    "argmax-vector-axis": lambda tf: _raw(tf).ArgMax(input=tf.ones([3]), dimension=[0]),
    "segment-ids-rank": lambda tf: tf.segment_sum(tf.ones([4, 3]), [[0, 0], [1, 1]]),
    "unsorted-segment-prefix": lambda tf: tf.unsorted_segment_sum(tf.ones([4, 3]), [0, 1, 2], 3),
    "unsorted-segment-negative-count": lambda tf: tf.unsorted_segment_sum(tf.ones([4, 3]), [0, 1, 2, 0], -1),
    "add_n-shapes": lambda tf: tf.add_n([tf.ones([2, 3]), tf.ones([2, 4])]),
    "truediv-dtypes": lambda tf: tf.truediv(tf.ones([2], tf.int32), tf.ones([2])),
    "matmul-transpose-and-adjoint": lambda tf: tf.matmul(
        tf.ones([2, 2]), tf.ones([2, 2]), transpose_a=True, adjoint_a=True
    ),
    "scalar_mul-vector": lambda tf: tf.scalar_mul([1.0, 2.0], tf.ones([2])),
    "add_n-empty": lambda tf: tf.add_n([]),
    "int-plus-float": lambda tf: tf.ones([2], tf.int32) + 1.5,
    "float-radd-int-tensor": lambda tf: 1.5 + tf.ones([2], tf.int32),
    "bool-add": lambda tf: tf.constant([True]) + tf.constant([False]),
    "argmax-float-axis": lambda tf: tf.argmax(tf.ones([2]), 0.5),
    "tensordot-negative-axes": lambda tf: tf.tensordot(tf.ones([2, 3]), tf.ones([3, 2]), -1),
    "tensordot-too-many-axes": lambda tf: tf.tensordot(tf.ones([2, 3]), tf.ones([3, 2]), 3),
    "tensordot-axes-lengths": lambda tf: tf.tensordot(tf.ones([2, 3]), tf.ones([3, 2]), [[0, 1], [0]]),
    "both-axis-and-reduction_indices": lambda tf: tf.reduce_sum(tf.ones([2]), axis=0, reduction_indices=0),
}


def _build_error(tf, case):
    g = tf.Graph()
    with g.as_default():
        with pytest.raises((TypeError, ValueError)) as info:
            BUILD_ERRORS[case](tf)
    return info.value


@pytest.mark.parametrize("case", sorted(BUILD_ERRORS))
def test_build_error_matches_tf(tf1, case):
    assert type(_build_error(tm, case)).__name__ == type(_build_error(tf1, case)).__name__


def test_arg_max_and_arg_min_are_tf1_raw_wrappers(tf1):
    """tf.arg_max / tf.arg_min (TF1): ArgMax/ArgMin with a required dimension, named as TF names them."""
    from tests.train.helpers import graph_structure

    def build(api):
        g = api.Graph()
        with g.as_default():
            x = api.constant([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
            outs = [api.arg_max(x, 1), api.arg_min(x, 0, output_type=api.int32), api.arg_max(x, dimension=0, name="m")]
            with api.Session(graph=g) as sess:
                values = sess.run(outs)
        return graph_structure(g), [(v.tolist(), v.dtype.name) for v in values]

    assert build(tm) == build(tf1)
