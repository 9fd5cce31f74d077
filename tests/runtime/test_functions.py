"""TF2 functional control flow and functions built by TensorFlow run here: tf.function graphs with
If/While/Case inside (StatefulPartitionedCall of library functions), their gradients (TF's If/While
gradient functions in the library), the graph of a concrete function, and TF1 Defun calls by name."""

import numpy as np
import pytest

import torchmeta as tm
from tests.runtime.tf_graphs import assert_same, assert_same_error, run_in_both, train_in_both
from torchmeta.runtime import lowering

X = np.array([1.0, -2.0, 3.0], np.float32)


def _f_graph(tf, v1, v=None):
    x = v1.placeholder(tf.float32, [3], name="x")
    n = v1.placeholder(tf.int32, [], name="n")

    @tf.function
    def f(x, n):
        scale = v if v is not None else tf.constant(0.5)
        y = tf.cond(tf.reduce_sum(x) > 0, lambda: x * scale, lambda: x - scale)

        def body(i, y):
            return i + 1, tf.tanh(y) * scale + tf.cast(i, tf.float32)

        _, y = tf.while_loop(lambda i, y: i < n, body, [tf.constant(0), y])
        z = tf.switch_case(n % 3, [lambda: y + 1.0, lambda: y * 2.0, lambda: -y])
        return y, z

    y, z = f(x, n)
    return [tf.identity(y, name="y"), tf.identity(z, name="z")]


@pytest.mark.parametrize("n", [0, 1, 4])
def test_tf_function_with_cond_while_and_case(tf1, n):
    want, _, got, error, graph = run_in_both(_f_graph, {"x": X, "n": n})
    assert error is None
    assert_same(want, got)
    ops = {op.type for op in graph.get_operations()}
    assert "StatefulPartitionedCall" in ops or "PartitionedCall" in ops
    bodies = {n.op for f in graph.as_graph_def().library.function for n in f.node_def}
    assert {"StatelessIf", "StatelessWhile", "StatelessCase"} & bodies or {"If", "While", "Case"} & bodies


def test_each_function_body_is_lowered_once_per_signature(tf1, monkeypatch):
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        _f_graph(tf, tf.compat.v1)
        gd = g.as_graph_def()
    calls = []
    real_lower = lowering.lower

    def counting_lower(items, *args, **kwargs):
        calls.append(len(items))
        return real_lower(items, *args, **kwargs)

    monkeypatch.setattr(lowering, "lower", counting_lower)
    ours = tm.Graph()
    with ours.as_default():
        tm.import_graph_def(gd, name="")
        with tm.Session() as sess:
            sess.run(["y:0", "z:0"], {"x:0": X, "n:0": 30})
            first = len(calls)
            sess.run(["y:0", "z:0"], {"x:0": X, "n:0": 33})  # the same Case branch
            assert len(calls) == first  # no new lowering for the same shapes
            n_functions = len(gd.library.function)
            # the run itself and each function at most once (a branch not taken is not lowered)
            assert first <= 1 + n_functions


def test_tf_function_reading_a_captured_variable_trains_like_tf(tf1, tmp_path):
    def build(tf, v1):
        v = v1.get_variable("v", initializer=np.full((3,), 0.5, np.float32), use_resource=True)
        y, _ = _f_graph(tf, v1, v)
        return tf.reduce_sum(y * y, name="loss")

    want, got = train_in_both(build, {"x": X, "n": 3}, tmp_path, lr=0.05)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_the_graph_of_a_concrete_function_runs(tf1):
    import tensorflow as tf

    @tf.function
    def f(x, n):
        def body(i, y):
            return i + 1, tf.concat([y, tf.sin(y)], 0)

        return tf.while_loop(
            lambda i, y: i < n, body, [0, x], shape_invariants=[tf.TensorShape([]), tf.TensorShape([None])]
        )[1]

    cf = f.get_concrete_function(tf.TensorSpec([None], tf.float32), tf.TensorSpec([], tf.int32))
    gd = cf.graph.as_graph_def()
    out = cf.outputs[0].name
    with tf.Graph().as_default() as g:
        tf.graph_util.import_graph_def(gd, name="")
        with tf.compat.v1.Session(graph=g) as sess:
            want = sess.run(out, {"x:0": X, "n:0": 3})
    with tm.Graph().as_default():
        tm.import_graph_def(gd, name="")
        with tm.Session() as sess:
            got = sess.run(out, {"x:0": X, "n:0": 3})
    assert_same([want], [got])
    assert got.shape == (24,)


def test_defun_calls_by_function_name(tf1):
    def build(tf, v1):
        from tensorflow.python.framework import function

        @function.Defun(tf.float32, tf.float32)
        def scaled_add(a, b):
            return a * 2.0 + b

        x = v1.placeholder(tf.float32, [3], name="x")
        return [tf.identity(scaled_add(x, x * x), name="r")]

    want, _, got, error, graph = run_in_both(build, {"x": X})
    assert error is None
    assert_same(want, got)
    call = next(op for op in graph.get_operations() if graph._is_function(op.type))
    assert call.type.startswith("scaled_add")


def test_a_failure_inside_a_function_names_the_inner_node(tf1):
    def build(tf, v1):
        x = v1.placeholder(tf.float32, [None], name="x")

        @tf.function
        def f(x):
            return tf.cond(tf.size(x) > 0, lambda: tf.reshape(x, [2, 2]), lambda: tf.zeros([2, 2]))

        return [tf.identity(f(x), name="r")]

    want, want_error, got, got_error, _ = run_in_both(build, {"x": X})
    assert_same_error(want_error, got_error, message=False)
    assert got_error.op is not None and got_error.op.type == "Reshape"


def test_functional_while_with_maximum_iterations_and_changing_shapes(tf1):
    def build(tf, v1):
        x = v1.placeholder(tf.float32, [None], name="x")

        @tf.function
        def f(x):
            grown = tf.while_loop(
                lambda a: tf.reduce_sum(a) < 1e9,  # never false: maximum_iterations ends it
                lambda a: tf.concat([a, a * 2.0], 0),
                [x],
                shape_invariants=[tf.TensorShape([None])],
                maximum_iterations=3,
            )
            return grown[0]

        return [tf.identity(f(x), name="r")]

    want, _, got, error, graph = run_in_both(build, {"x": X})
    assert error is None
    assert_same(want, got)
    assert got[0].shape == (24,)


def test_while_output_shapes_of_the_wrong_length_are_refused_on_import(tf1):
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None], name="x")

        @tf.function
        def f(x):
            return tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * 2.0), [0, x])[1]

        tf.identity(f(x), name="r")
    gd = g.as_graph_def()
    for fn in gd.library.function:
        for node in fn.node_def:
            if node.op in ("While", "StatelessWhile"):
                del node.attr["output_shapes"].list.shape[1:]
    with tf.Graph().as_default(), pytest.raises(ValueError, match="must be the same length as num outputs") as tf_error:
        tf.graph_util.import_graph_def(gd, name="")
    with tm.Graph().as_default():
        tm.import_graph_def(gd, name="")
        with tm.Session() as sess, pytest.raises(tm.errors.InvalidArgumentError, match="same length as num") as ours:
            sess.run("r:0", {"x:0": X})
    assert "(1 vs. 4" in str(tf_error.value) and "(1 vs. 4" in str(ours.value)


def test_tf_function_tensor_array_scan_and_map_fn_train_like_tf(tf1, tmp_path):
    """TF2 TensorArrays (TensorLists) written in a while loop, tf.scan and tf.map_fn: their gradients go
    through TensorList accumulators, ZerosLike and AddN of lists."""

    def build(tf, v1):
        x = v1.placeholder(tf.float32, [5, 3], name="x")
        w = v1.get_variable("w", [3, 3], initializer=v1.glorot_uniform_initializer(seed=2), use_resource=True)

        @tf.function
        def f(x):
            ta = tf.TensorArray(tf.float32, size=5)

            def body(i, h, ta):
                h = tf.tanh(tf.matmul(h, w) + x[i])
                return i + 1, h, ta.write(i, h)

            _, h, ta = tf.while_loop(lambda i, h, ta: i < 5, body, [0, tf.zeros([1, 3]), ta])
            s = tf.scan(lambda a, r: a * 0.5 + r, ta.stack()[:, 0, :])
            m = tf.map_fn(lambda r: tf.reduce_sum(r * r), s)
            return tf.reduce_sum(m) + tf.reduce_sum(h)

        return tf.identity(f(x), name="loss")

    xv = np.random.RandomState(0).randn(5, 3).astype(np.float32)
    want, got = train_in_both(build, {"x": xv}, tmp_path)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_loops_and_functions_run_from_several_threads(tf1):
    """Session.run from threads at once: loop and function bodies are built once and give each run its own
    values (their TensorLists, TensorArrays and stacks are per run)."""
    import threading

    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        _f_graph(tf, tf.compat.v1)
        gd = g.as_graph_def()
    inputs = [(np.array([1.0, -2.0, 3.0 + k], np.float32), k % 5) for k in range(8)]
    with tf.Graph().as_default() as tg:
        tf.graph_util.import_graph_def(gd, name="")
        with tf.compat.v1.Session(graph=tg) as sess:
            want = [sess.run(["y:0", "z:0"], {"x:0": x, "n:0": n}) for x, n in inputs]
    results, failures = {}, []
    with tm.Graph().as_default():
        tm.import_graph_def(gd, name="")
        with tm.Session() as sess:

            def work(k):
                try:
                    for _ in range(5):
                        x, n = inputs[k]
                        results[k] = sess.run(["y:0", "z:0"], {"x:0": x, "n:0": n})
                except Exception as e:  # reported below
                    failures.append(e)

            threads = [threading.Thread(target=work, args=(k,)) for k in range(len(inputs))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    assert failures == []
    for k in range(len(inputs)):
        assert_same(want[k], results[k])


def test_defun_without_a_gradient_trains_through_symbolic_gradient(tf1, tmp_path):
    """tf.gradients of a Defun call with no gradient function emits SymbolicGradient; its gradient function
    is built here from the body, as TensorFlow instantiates it."""

    def build(tf, v1):
        from tensorflow.python.framework import function

        @function.Defun(tf.float32, tf.float32)
        def layer(x, w):
            return tf.tanh(tf.matmul(x, w)) * 2.0

        x = v1.placeholder(tf.float32, [4, 3], name="x")
        w = v1.get_variable("w", [3, 3], initializer=v1.glorot_uniform_initializer(seed=2))
        h = layer(layer(x, w), w)
        return tf.reduce_sum(h * h, name="loss")

    xv = np.random.RandomState(0).randn(4, 3).astype(np.float32)
    want, got = train_in_both(build, {"x": xv}, tmp_path, lr=0.01)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_nested_functional_control_flow(tf1):
    """A cond inside a while inside a cond (TF2: StatelessIf/StatelessWhile calling each other's bodies)."""

    def build(tf, v1):
        x = v1.placeholder(tf.float32, [3], name="x")
        p = v1.placeholder(tf.bool, [], name="p")

        @tf.function
        def f(x, p):
            def looped():
                def body(i, a):
                    return i + 1, tf.cond(tf.equal(i % 2, 0), lambda: a * 2.0, lambda: a - 1.0)

                return tf.while_loop(lambda i, a: i < 5, body, [0, x])[1]

            return tf.cond(p, looped, lambda: -x)

        return [tf.identity(f(x, p), name="r")]

    for pred in (True, False):
        want, _, got, error, _ = run_in_both(build, {"x": X, "p": pred})
        assert error is None
        assert_same(want, got)
