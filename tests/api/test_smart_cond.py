"""smart_cond / smart_case (torchmeta/api/smart_cond.py) against TensorFlow's framework/smart_cond.py."""

from __future__ import annotations

import pytest

from tests.api import tf_programs as P
from torchmeta.api import smart_cond as tm_smart_cond

pytest.importorskip("tensorflow")


def _smart(tf):
    if tf.__name__.startswith("torchmeta"):
        return tm_smart_cond
    from tensorflow.python.framework import smart_cond

    return smart_cond


def _program(tf):
    sc = _smart(tf)
    x = tf.placeholder(tf.float32, [3], name="x")
    flag = tf.placeholder(tf.bool, [], name="flag")
    static = sc.smart_cond(True, lambda: x * 2.0, lambda: x * 3.0)
    folded = sc.smart_cond(tf.constant(False), lambda: x + 1.0, lambda: x - 1.0)
    one = sc.smart_cond(1, lambda: tf.identity(x, name="one"), lambda: x)
    dynamic = sc.smart_cond(flag, lambda: tf.square(x), lambda: tf.abs(x), name="pick")
    case = sc.smart_case([(False, lambda: x * 5.0), (flag, lambda: x * 7.0)], default=lambda: x * 9.0)
    all_static = sc.smart_case([(False, lambda: x * 5.0), (True, lambda: x * 7.0)], default=lambda: x)
    values = [sc.smart_constant_value(p) for p in (True, 0, tf.constant(True), flag)]
    return {"static": static, "folded": folded, "one": one, "dynamic": dynamic, "case": case, "all": all_static}, values


def test_graph_and_static_decisions_are_tfs(tf1):
    (_, (_, tf_values)), (_, (_, tm_values)) = P.assert_same_graph(tf1, lambda tf: _program(tf))
    assert [None if v is None else bool(v) for v in tm_values] == [None if v is None else bool(v) for v in tf_values]
    assert tf_values[-1] is None


@pytest.mark.parametrize("flag", [True, False])
def test_values_are_tfs(tf1, tmp_path, flag):
    feeds = {"x:0": [-1.0, 2.0, -3.0], "flag:0": flag}
    expected, actual = P.run_tf_then_ours(tf1, lambda tf: _program(tf)[0], tmp_path, feeds)
    P.assert_results_close(expected, actual)


def test_errors_are_tfs(tf1):
    def errors(tf):
        sc, out = _smart(tf), []
        with tf.Graph().as_default():
            for args in (
                (True, 1, lambda: 1),
                (True, lambda: 1, None),
                ("yes", lambda: 1, lambda: 2),
                (2, lambda: 1, lambda: 2),
            ):
                try:
                    sc.smart_cond(*args)
                    out.append(None)
                except TypeError as e:
                    out.append(str(e))
        return out

    import torchmeta as tm

    assert errors(tm) == errors(tf1)
