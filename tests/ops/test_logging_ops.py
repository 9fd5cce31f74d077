"""Assert: passes silently, or fails with TensorFlow's InvalidArgumentError and "assertion failed: [...]" text."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from torchmeta import errors

DATA = {
    "int-vector": [np.array([1, -2, 3], np.int32)],
    "float-matrix": [np.array([[1.5, 2.0], [0.1, -4.25]], np.float32)],
    "double": [np.array([1 / 3, 2.0], np.float64)],
    "bool-scalar": [np.array(True)],
    "strings": [np.array([b"a", b"bc"], object), np.array(b"msg", object)],
    "3d": [np.arange(24, dtype=np.int64).reshape(2, 3, 4)],
    "mixed": [np.array(b"x is", object), np.array([[1, 2], [3, 4]], np.int32), np.array(7, np.int32)],
    "empty": [np.zeros((0, 3), np.float32)],
}


def _message(text: str) -> str:
    start = text.index("assertion failed:")
    return text[start:].split("\n")[0]


def _run(framework, data, summarize, condition):
    g = framework.Graph()
    with g.as_default():
        consts = [framework.constant(d) for d in data]
        op = framework.raw_ops.Assert(condition=framework.constant(condition), data=consts, summarize=summarize)
        with framework.Session() as sess:
            sess.run(op)


@pytest.mark.parametrize("summarize", [3, 1, 100, -1])
@pytest.mark.parametrize("name", list(DATA))
def test_assert_message_matches_tf(tf1, name, summarize):
    with pytest.raises(tf1.errors.InvalidArgumentError) as theirs:
        _run(tf1, DATA[name], summarize, False)
    with pytest.raises(errors.InvalidArgumentError) as ours:
        _run(tm, DATA[name], summarize, False)
    assert _message(str(ours.value)) == _message(theirs.value.message)


def test_assert_passes_when_true():
    _run(tm, DATA["mixed"], 3, True)


def test_tf_assert_unguarded_for_strings_and_int32_is_tfs_graph(tf1):
    graphs = []
    for framework in (tf1, tm):
        g = framework.Graph()
        with g.as_default():
            x = framework.placeholder(framework.int32, [3], name="x")
            framework.Assert(framework.reduce_all(x > 0), ["x must be positive:", x], summarize=2)
        graphs.append([(n.name, n.op, list(n.input)) for n in g.as_graph_def().node])
    assert graphs[1] == graphs[0]
