"""``tf.cross`` and the ``tf.linalg`` functions TF builds in Python (matvec, normalize, pinv, matrix_rank)
and re-exports there (global_norm, l2_normalize, tensordot): TF's graph, values and errors."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api.test_math_composite_ops import compare_with_tf


def _p(tf, dtype, shape, name="p"):
    return tf.placeholder(dtype, shape, name=name)


CASES = {
    "cross": lambda tf, m: [
        tf.cross(_p(tf, tf.float32, [2, 3]), _p(tf, tf.float32, [2, 3], "q")),
        tf.linalg.cross(_p(tf, tf.float64, [3], "r"), _p(tf, tf.float64, [3], "s")),
    ],
    "matvec": lambda tf, m: tf.linalg.matvec(_p(tf, tf.float32, [2, 3]), _p(tf, tf.float32, [3], "q")),
    "matvec-transpose": lambda tf, m: tf.linalg.matvec(
        _p(tf, tf.float32, [3, 2]), _p(tf, tf.float32, [3], "q"), transpose_a=True
    ),
    "normalize": lambda tf, m: list(tf.linalg.normalize(_p(tf, tf.float32, [2, 3]), axis=1)),
    "pinv": lambda tf, m: tf.linalg.pinv(_p(tf, tf.float32, [2, 3])),
    "pinv-unknown-rows": lambda tf, m: tf.linalg.pinv(_p(tf, tf.float64, [None, 3])),
    "matrix_rank": lambda tf, m: tf.linalg.matrix_rank(_p(tf, tf.float32, [2, 3])),
    "matrix_rank-unknown": lambda tf, m: tf.linalg.matrix_rank(_p(tf, tf.float32, [None, None]), tol=0.5),
    "expm": lambda tf, m: tf.linalg.expm(_p(tf, tf.float32, [2, 3, 3])),
    "expm-f64-scaled": lambda tf, m: tf.linalg.expm(_p(tf, tf.float64, [3, 3]) * 4.0),
    "expm-unknown-batch": lambda tf, m: tf.linalg.expm(_p(tf, tf.float32, [None, 2, 2]) * 3.0),
    "global_norm": lambda tf, m: tf.linalg.global_norm([_p(tf, tf.float32, [2]), _p(tf, tf.float32, [3], "q")]),
    "l2_normalize": lambda tf, m: tf.linalg.l2_normalize(_p(tf, tf.float32, [2, 3]), axis=1),
    "tensordot": lambda tf, m: tf.linalg.tensordot(_p(tf, tf.float32, [2, 3]), _p(tf, tf.float32, [3, 2], "q"), 1),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_graph_and_values_match_tf(tf1, case):
    compare_with_tf(tf1, CASES[case])


ERRORS = {
    "cross-last-dim": lambda tf: tf.cross(tf.placeholder(tf.float32, [2]), tf.placeholder(tf.float32, [2])),
    "cross-scalar": lambda tf: tf.cross(tf.placeholder(tf.float32, []), tf.placeholder(tf.float32, [3])),
    "cross-shapes": lambda tf: tf.cross(tf.placeholder(tf.float32, [2, 3]), tf.placeholder(tf.float32, [3, 3])),
    "pinv-int": lambda tf: tf.linalg.pinv(tf.constant([[1, 2]])),
    "pinv-vector": lambda tf: tf.linalg.pinv(tf.constant([1.0, 2.0])),
    "expm-int": lambda tf: tf.linalg.expm(tf.constant([[1, 2], [3, 4]])),
    "matrix_rank-vector": lambda tf: tf.linalg.matrix_rank([1.0, 2.0]),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_build_errors_match_tf(tf1, case):
    messages = []
    for api in (tf1, tm):
        with api.Graph().as_default(), pytest.raises((ValueError, TypeError)) as info:
            ERRORS[case](api)
        messages.append((type(info.value), str(info.value)))
    assert messages[1] == messages[0]


@pytest.mark.parametrize(
    ("a", "b", "error", "message"),
    [
        (
            np.ones([2, 3]),
            np.ones([3, 3]),
            "InvalidArgumentError",
            "Both inputs must be of same shape: [2,3] vs. [3,3]",
        ),
        (
            np.ones([2]),
            np.ones([2]),
            "FailedPreconditionError",
            "Cross-products are only defined for 3-element vectors.",
        ),
    ],
)
def test_cross_runtime_errors_match_tf(tf1, a, b, error, message):
    import tensorflow as tf

    for api, errors in ((tf1, tf.errors), (tm, tm.errors)):
        with api.Graph().as_default():
            x, y = api.placeholder(api.float32, None), api.placeholder(api.float32, None)
            with api.Session() as sess, pytest.raises(getattr(errors, error), match=message.replace("[", r"\[")):
                sess.run(api.cross(x, y), {x: a, y: b})
