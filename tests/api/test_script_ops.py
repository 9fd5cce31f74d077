"""tf.py_func / tf.numpy_function against TensorFlow, and PyFunc nodes of graphs read from files."""

from __future__ import annotations

import re

import numpy as np
import pytest

import torchmeta as tm
from tests.train.helpers import graph_structure
from torchmeta.framework.op_def_library import raw_op


def _boom(x):
    raise ValueError("bad value")


def _key_error(x):
    raise KeyError("k")


CASES = {
    "double": (lambda x: x * 2, [np.array([1.0, 2.0], np.float32)], "float32", {}),
    "list-tout": (lambda x: x * 2, [np.array([1.0, 2.0], np.float32)], ["float32"], {}),
    "two-outputs": (lambda x: (x, x.astype(np.int64)), [np.array([1.0, 2.0], np.float32)], ["float32", "int64"], {}),
    "wrong-dtype": (lambda x: 1.0, [np.array([1.0], np.float32)], "float32", {}),
    "numpy-scalar": (lambda x: np.float32(1.5), [np.array([1.0], np.float32)], "float32", {}),
    "too-many": (lambda x: (1, 2), [np.array([1.0], np.float32)], "int64", {}),
    "value-error": (_boom, [np.array([1.0], np.float32)], "float32", {}),
    "key-error": (_key_error, [np.array([1.0], np.float32)], "float32", {}),
    "strings": (lambda s: s + b"!", [np.array([b"a", b"b"])], "string", {}),
    "text": (lambda s: "str", [np.array(b"a")], "string", {}),
    "no-outputs": (lambda: None, [], [], {}),
    "scalar-input-stateless": (
        lambda x: type(x).__name__ + str(x.shape) + str(x.dtype),
        [np.array(3, np.int32)],
        "string",
        {"stateful": False},
    ),
}


def _run(api, case, fn_name):
    func, inp, tout, kw = CASES[case]
    tout = [api.as_dtype(t) for t in tout] if isinstance(tout, list) else api.as_dtype(tout)
    g = api.Graph()
    with g.as_default():
        result = getattr(api, fn_name)(func, inp, tout, **kw)
        kind = type(result).__name__
        with api.Session(graph=g) as sess:
            try:
                value = ("ok", sess.run(result))
            except Exception as e:
                text = getattr(e, "message", str(e))
                first = next(line for line in text.splitlines() if line and "Graph execution" not in line)
                first = first if "Detected at" not in first else text.split("Node: 'PyFunc'\n")[1].splitlines()[0]
                value = (type(e).__name__, re.sub(r"pyfunc_\d+(_[0-9a-f]+)?", "<token>", first))
    return value, kind, graph_structure(g, ignored_attrs=("_class", "token"))


def _same(a, b):
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (np.ndarray, np.generic)):
        return type(a) is type(b) and a.dtype == b.dtype and np.array_equal(a, b)
    return a == b


@pytest.mark.parametrize("fn_name", ["py_func", "numpy_function"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_tensorflow(tf1, case, fn_name):
    (ours, our_kind, our_graph), (theirs, their_kind, their_graph) = _run(tm, case, fn_name), _run(tf1, case, fn_name)
    assert our_graph == their_graph
    assert ours[0] == theirs[0] and _same(ours[1], theirs[1]), (ours, theirs)
    assert (our_kind == "Operation") == (their_kind == "Operation")


def test_a_graph_from_a_file_is_refused_at_run_time(tf1, tmp_path):
    """TensorFlow's .meta with a PyFunc imports (for inspection), but running the node raises a clear error."""
    path = str(tmp_path / "pyfunc.meta")
    with tf1.Graph().as_default():
        tf1.py_func(lambda x: x + 1, [tf1.constant(1.0)], tf1.float32, name="plus_one")
        tf1.train.export_meta_graph(path)
    with tm.Graph().as_default() as g:
        tm.train.import_meta_graph(path)
        assert g.get_operation_by_name("plus_one").type == "PyFunc"
        with tm.Session() as sess, pytest.raises(tm.errors.UnimplementedError) as err:
            sess.run("plus_one:0")
    assert re.search(r"PyFunc 'plus_one' calls the Python function registered as 'pyfunc_\d+'", str(err.value))
    assert "torchmeta never loads any" in str(err.value)


def test_our_exported_graph_runs_only_while_its_function_exists(tmp_path):
    path = str(tmp_path / "ours.meta")
    g = tm.Graph()
    with g.as_default():
        tm.py_func(lambda x: x * 3, [tm.constant(2.0)], tm.float32, name="triple")
        tm.train.export_meta_graph(path)
    with tm.Graph().as_default(), tm.Session() as sess:
        tm.train.import_meta_graph(path)
        assert sess.run("triple:0") == 6.0  # the building graph (and so its function) is alive
    del g
    import gc

    gc.collect()
    with tm.Graph().as_default(), tm.Session() as sess:
        tm.train.import_meta_graph(path)
        with pytest.raises(tm.errors.UnimplementedError, match="not in this process"):
            sess.run("triple:0")


def test_the_gradient_of_an_eager_py_func_says_why_it_cannot_be_built():
    """TF registers a gradient for EagerPyFunc (it replays the function's eager GradientTape); torchmeta runs
    such functions on numpy values and records no tape, so tf.gradients stops there with an error naming the
    node."""
    x = tm.constant([1.0, 2.0])
    (y,) = raw_op("EagerPyFunc", input=[x], token="no-such-token", Tout=[tm.float32], name="f")
    with pytest.raises(tm.errors.UnimplementedError, match="gradient of EagerPyFunc 'f'"):
        tm.gradients(y, x)
