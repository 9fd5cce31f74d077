"""GraphDef.library: imported, exported byte for byte, merged with TF's rules; function bodies as graphs."""

import numpy as np
import pytest

import torchmeta as tm
from torchmeta.framework.func_graph import function_graph
from torchmeta.framework.function_library import FunctionLibrary


def _tf_function_graph_def(tf):
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None], name="x")

        @tf.function
        def f(x):
            values, idx = tf.unique(x)
            y = tf.cond(tf.size(values) > 2, lambda: tf.gather(values, idx) * 2.0, lambda: x)
            return tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y + 1.0), [0, y])[1]

        tf.identity(f(x), name="r")
        from tensorflow.python.framework import function

        @function.Defun(tf.float32, tf.float32, func_name="DoubledGrad")
        def doubled_grad(a, dy):
            return dy * 2.0

        @function.Defun(tf.float32, func_name="Doubled", grad_func=doubled_grad)
        def doubled(a):
            return a * 2.0

        tf.identity(doubled(x), name="d")
    return g.as_graph_def()


def test_library_round_trips_byte_for_byte(tf1):
    import tensorflow as tf

    gd = _tf_function_graph_def(tf)
    with tm.Graph().as_default() as g:
        tm.import_graph_def(gd, name="")
        ours = g.as_graph_def()
    # Deterministic serialization: the default one writes map fields (FunctionDef.ret, attr) in the
    # order of the Python process's string hashes, which differs between runs (PYTHONHASHSEED).
    assert ours.library.SerializeToString(deterministic=True) == gd.library.SerializeToString(deterministic=True)
    assert len(gd.library.function) >= 4


def test_exported_meta_graph_with_functions_runs_in_tf(tf1, tmp_path):
    import tensorflow as tf

    gd = _tf_function_graph_def(tf)
    path = str(tmp_path / "f.meta")
    with tm.Graph().as_default():
        tm.import_graph_def(gd, name="")
        tm.train.export_meta_graph(path)
        with tm.Session() as sess:
            got = sess.run("r:0", {"x:0": np.array([1.0, 2.0, 2.0, 5.0], np.float32)})
    with tf.Graph().as_default():
        tf.compat.v1.train.import_meta_graph(path)
        with tf.compat.v1.Session() as sess:
            want = sess.run("r:0", {"x:0": np.array([1.0, 2.0, 2.0, 5.0], np.float32)})
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_function_bodies_become_graphs(tf1):
    import tensorflow as tf

    gd = _tf_function_graph_def(tf)
    with tm.Graph().as_default() as g:
        tm.import_graph_def(gd, name="")
    name = next(f.signature.name for f in gd.library.function if f.signature.name.startswith("__inference_f"))
    fg = function_graph(g._library, name)
    assert fg is function_graph(g._library, name)  # built once
    assert fg.building_function
    assert [t.op.type for t in fg.inputs] == ["Placeholder"]
    assert len(fg.outputs) == 1
    unique = next(op for op in fg.get_operations() if op.type == "Unique")
    gather = next(op for op in fg.get_operations() if op.type in ("GatherV2", "If", "StatelessIf"))
    assert gather is not None and len(unique.outputs) == 2
    assert g._library.gradient_function("Doubled") == "DoubledGrad"


def test_a_different_function_with_the_same_name_is_refused(tf1):
    import tensorflow as tf

    gd = _tf_function_graph_def(tf)
    library = FunctionLibrary()
    library.merge(gd.library)
    changed = type(gd.library.function[0])()
    changed.CopyFrom(gd.library.function[0])
    changed.node_def[0].name = "renamed"
    with pytest.raises(ValueError, match="a different function with the same name already exists"):
        library.add(changed)
    library.add(gd.library.function[0])  # the same function again: fine
    assert library.names() == [f.signature.name for f in gd.library.function]


def test_unknown_function_raises_not_found():
    with pytest.raises(tm.errors.NotFoundError, match="Function nope is not defined"):
        function_graph(FunctionLibrary(), "nope")
