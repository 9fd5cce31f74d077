"""tf.test.TestCase: one TF1 test file, run with TensorFlow's TestCase and with torchmeta's.

The file (``SOURCE``) uses sessions, ``evaluate`` and the assertions; each test records what it saw
(values, and the messages of assertions made to fail) into ``RESULTS``. Both frameworks must pass the
same tests and record the same things.
"""

from __future__ import annotations

import types
import unittest

import numpy as np

from tests.programs import source_for

SOURCE = """
import collections
import numpy as np
import torchmeta as tf

RESULTS = {}
Point = collections.namedtuple("Point", "x y")


def failure(fn):
    try:
        fn()
    except AssertionError as e:
        return str(e).splitlines()[0]
    return None


class OpsTest(tf.test.TestCase):
    def test_session_runs_the_default_graph(self):
        x = tf.constant([1.0, 2.0])
        with self.session() as sess:
            RESULTS["session"] = sess.run(x * 2).tolist()
            RESULTS["eval"] = (x + 1).eval().tolist()
            RESULTS["default"] = tf.get_default_session() is sess

    def test_cached_session_is_reused(self):
        v = tf.Variable(3.0)
        with self.cached_session() as a:
            a.run(v.initializer)
        with self.cached_session() as b:
            RESULTS["cached_same"] = a is b
            RESULTS["cached_value"] = float(b.run(v))
        with self.test_session() as c:
            RESULTS["test_session_same"] = c is a

    def test_evaluate_structures(self):
        a = tf.constant(1)
        b = tf.constant([2.0, 3.0])
        out = self.evaluate({"a": a, "pair": (b, [a])})
        RESULTS["evaluate"] = (int(out["a"]), out["pair"][0].tolist(), int(out["pair"][1][0]))

    def test_fresh_graph_per_test_a(self):
        tf.constant(1.0, name="c")
        RESULTS["ops_a"] = [op.name for op in tf.get_default_graph().get_operations()]

    def test_fresh_graph_per_test_b(self):
        tf.constant(1.0, name="c")
        RESULTS["ops_b"] = [op.name for op in tf.get_default_graph().get_operations()]

    def test_assert_all_close(self):
        self.assertAllClose(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0 + 1e-7]))
        self.assertAllClose({"a": [1.0], "p": Point(1.0, [2.0, 3.0])}, {"a": [1.0], "p": Point(1.0, [2.0, 3.0])})
        self.assertAllClose(tf.constant(2.0), tf.constant(2.0))
        self.assertAllCloseAccordingToType(np.float16([1.0]), np.float16([1.0005]))
        self.assertNotAllClose([1.0], [1.1])
        RESULTS["close_shape"] = failure(lambda: self.assertAllClose([1.0, 2.0], [1.0]))
        RESULTS["close_value"] = failure(lambda: self.assertAllClose([1.0, 2.0], [1.0, 2.5]))
        RESULTS["close_rtol"] = failure(lambda: self.assertAllClose(100.0, 101.0, rtol=1e-3))
        RESULTS["close_length"] = str(self._error(lambda: self.assertAllClose([[1], [2, 3]], [[1]])))
        RESULTS["close_dict"] = str(self._error(lambda: self.assertAllClose({"a": 1}, [1])))

    def _error(self, fn):
        try:
            fn()
        except (ValueError, AssertionError) as e:
            return type(e).__name__
        return None

    def test_assert_all_equal(self):
        self.assertAllEqual(tf.constant([[1, 2]]), tf.constant([[1, 2]]))
        self.assertAllEqual([float("nan")], [float("nan")])
        self.assertAllEqual([b"a"], ["a"])
        self.assertNotAllEqual([1], [2])
        RESULTS["equal_shape"] = failure(lambda: self.assertAllEqual([1, 2], [1]))
        RESULTS["equal_value"] = failure(lambda: self.assertAllEqual([1, 2, 3], [1, 5, 3]))

    def test_comparisons(self):
        self.assertAllGreater([2, 3], 1)
        self.assertAllLess([2, 3], 4)
        self.assertAllGreaterEqual([2, 3], 2)
        self.assertAllLessEqual([2, 3], 3)
        self.assertAllInRange([0.0, 1.0], 0.0, 1.0)
        self.assertAllInSet([1, 2, 2], [1, 2])
        self.assertNear(1.0, 1.05, 0.1)
        self.assertArrayNear([1.0, 2.0], [1.01, 2.0], 0.02)
        self.assertShapeEqual(np.zeros((2, 3)), tf.zeros([2, 3]))
        self.assertDTypeEqual(np.zeros(2, np.int32), np.int32)
        self.assertStartsWith("graph", "gr")
        RESULTS["range"] = failure(lambda: self.assertAllInRange([0.0, 2.0], 0.0, 1.0, open_lower_bound=True))

    def test_raises_op_error(self):
        x = tf.placeholder(tf.float32, [None])
        y = tf.reshape(x, [3])
        with self.session() as sess:
            with self.assertRaisesOpError("Input to reshape is a tensor with 4 values"):
                sess.run(y, {x: [1.0, 2.0, 3.0, 4.0]})
            RESULTS["wrong_message"] = failure(lambda: self._raise_with(sess, y, x, "no such text"))
            RESULTS["not_raised"] = failure(lambda: self._raise_with(sess, y, x, "x", values=[1.0, 2.0, 3.0]))

    def _raise_with(self, sess, y, x, pattern, values=(1.0,)):
        with self.assertRaisesOpError(pattern):
            sess.run(y, {x: list(values)})

    def test_temp_dir(self):
        d = self.get_temp_dir()
        RESULTS["temp_dir"] = (d == self.get_temp_dir(), tf.gfile.IsDirectory(d))
"""


def _run(framework, tf1=None):
    module = types.ModuleType(f"tf1_test_file_{framework}")
    exec(compile(source_for(SOURCE, framework), module.__name__, "exec"), module.__dict__)
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(module.OpsTest)
    result = unittest.TestResult()
    suite.run(result)
    problems = [(t.id().rsplit(".", 1)[-1], tb.splitlines()[-1]) for t, tb in result.errors + result.failures]
    skipped = [t.id().rsplit(".", 1)[-1] for t, _ in result.skipped]
    return result.testsRun, problems, skipped, module.RESULTS


def _normalize(results):
    out = dict(results)
    out["close_value"] = out["close_value"] is not None
    out["close_rtol"] = out["close_rtol"] is not None
    out["equal_value"] = out["equal_value"] is not None
    # TensorFlow's OpError text is "Graph execution error:" and the rest; the type comes first either way.
    out["wrong_message"] = out["wrong_message"].split(": ")[0].rsplit(".", 1)[-1]
    return out


def test_tf1_test_file_runs_the_same(tf1):
    theirs = _run("tensorflow")
    ours = _run("torchmeta")
    assert ours[:3] == theirs[:3]
    assert ours[1] == [] and ours[2] == ["test_session"]  # the inherited test_session is skipped, as in TF
    assert _normalize(ours[3]) == _normalize(theirs[3])
    assert ours[3]["session"] == [2.0, 4.0]
    assert ours[3]["close_shape"] == "Tuples differ: (2,) != (1,)"
    np.testing.assert_equal(ours[3]["cached_value"], 3.0)


def test_build_flags_describe_torch():
    import torch

    import torchmeta as tm

    assert tm.test.is_built_with_rocm() == (torch.version.hip is not None)
    assert tm.test.is_built_with_xla() is False
