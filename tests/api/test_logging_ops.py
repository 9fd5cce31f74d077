"""tf.Print and tf.print against TensorFlow: the same graphs, and byte-identical output on the streams."""

from __future__ import annotations

import collections
import sys

import numpy as np
import pytest

import torchmeta as tm
from tests.train.helpers import graph_structure

VALUES = [
    np.arange(6).reshape(2, 3),
    (np.arange(24).reshape(2, 3, 4) / 3).astype(np.float32),
    np.array(3.5, np.float32),
    np.array([True, False]),
    np.array([b"ab", b"c d", b'q"\n']),
    np.zeros((0, 2)),
    np.arange(10),
    np.array([1e-8, 1e10, -0.1], np.float64),
    np.array([1.5, -2.25, np.nan, np.inf], np.float16),
    np.array([[1]], np.int64),
    np.array(7, np.int8),
]


def _program(api):
    """Builds and runs the prints; returns the graph."""
    g = api.Graph()
    with g.as_default():
        runs = []
        for v in VALUES:
            for s in (3, -1, 1):
                t = api.constant(v)
                runs.append(api.Print(t, [t, t], message="msg ", summarize=s))
                runs.append(api.print("v:", t, {"k": t, "s": 2}, [1, "z", (t,)], summarize=s))
        x = api.constant([1, 2])
        first = api.Print(x, [x, x * 2], first_n=2, name="first")
        out = api.print(x, output_stream=sys.stdout, end="!\n", sep="|")
        plain = api.print(api.constant("just a string"))
        od = api.print(collections.OrderedDict([("b", x), ("a", 1)]), "{}")
        with api.Session(graph=g) as sess:
            for r in runs:
                sess.run(r)
            for _ in range(4):
                sess.run(first)
            for op in (out, plain, od):
                sess.run(op)
    return g


def test_output_matches_tensorflow(tf1, capfd):
    _program(tf1)
    theirs = capfd.readouterr()
    _program(tm)
    ours = capfd.readouterr()
    assert ours.out == theirs.out == "[1 2]!\n"
    # TensorFlow also logs Print's deprecation warning on stderr: compare from the first printed line.
    start = theirs.err.index("msg [[0 1 2]...]")
    assert ours.err == theirs.err[start:]
    assert "v: [0 1 2 ... 7 8 9] {'k': [0 1 2 ... 7 8 9], 's': 2} [1, 'z', ([0 1 2 ... 7 8 9],)]\n" in ours.err
    assert ours.err.count("[1 2][2 4]\n") == 2  # first_n=2


def test_graphs_match_tensorflow(tf1):
    ignore = ("_class",)
    assert graph_structure(_program(tm), ignore) == graph_structure(_program(tf1), ignore)


def test_print_to_a_file_and_the_log(tf1, tmp_path, caplog):
    def run(api, path):
        g = api.Graph()
        with g.as_default():
            ops = [
                api.print("to file", api.constant([1.5]), output_stream="file://" + str(path)),
                api.print("to log", output_stream=api.logging.warning),
            ]
            with api.Session(graph=g) as sess:
                sess.run(ops[0])
                sess.run(ops[0])
                sess.run(ops[1])

    run(tf1, tmp_path / "tf.txt")
    run(tm, tmp_path / "tm.txt")
    assert (tmp_path / "tm.txt").read_text() == (tmp_path / "tf.txt").read_text() == "to file [1.5]\nto file [1.5]\n"
    assert ("tensorflow", "WARNING", "to log") in [(r.name, r.levelname, r.getMessage()) for r in caplog.records]


def test_bad_arguments_raise_tensorflows_errors(tf1):
    def errors(api):
        out = []
        for kwargs in ({"output_stream": "nowhere"}, {"colour": 1}):
            with api.Graph().as_default():
                try:
                    api.print("x", **kwargs)
                except Exception as e:
                    out.append((type(e).__name__, str(e)))
        return out

    assert errors(tm) == errors(tf1)


def test_print_passes_gradients_to_its_input(tf1):
    def grads(api):
        g = api.Graph()
        with g.as_default():
            x = api.constant([1.0, 2.0])
            y = api.Print(x * 3.0, [x], "x=")
            (dx,) = api.gradients(api.reduce_sum(y * y), [x])
            with api.Session(graph=g) as sess:
                return sess.run(dx)

    np.testing.assert_allclose(grads(tm), grads(tf1))


@pytest.mark.parametrize("template, n", [("{} {}", 1), ("{}", 2)])
def test_string_format_placeholder_count_error(tf1, template, n):
    def err(api):
        with api.Graph().as_default():
            try:
                api.raw_ops.StringFormat(inputs=[api.constant(1)] * n, template=template, placeholder="{}")
            except Exception as e:
                return type(e).__name__, str(e).split(" for '")[0]

    assert (
        err(tm)
        == err(tf1)
        == (
            "ValueError",
            f"num placeholders in template and num inputs must match: {template.count('{}')} vs. {n}",
        )
    )
