"""TF1 control flow built by TensorFlow (Switch/Merge conds, Enter/Exit/NextIteration loops) runs here.

Each graph is built with TensorFlow 2.21's v1 API (control flow v1), imported, and run in both; the
training graphs (TF's own gradient while frames, with stack accumulators) train 3 steps here equal
to 3 in TensorFlow.
"""

import numpy as np
import pytest

import torchmeta as tm
from tests.runtime.tf_graphs import assert_same, assert_same_error, run_in_both, train_in_both
from torchmeta._proto import control_flow_pb2
from torchmeta.runtime import lowering, program

X = np.array([1.0, -2.0, 3.0], np.float32)


@pytest.fixture
def v1_control_flow(tf1):
    import tensorflow as tf

    tf.compat.v1.disable_control_flow_v2()
    return tf1


def _cond_graph(tf, v1):
    x = v1.placeholder(tf.float32, [None], name="x")
    p = v1.placeholder(tf.bool, [], name="p")
    r = tf.cond(p, lambda: x * 2.0, lambda: x - tf.constant(1.0))
    return [tf.identity(r, name="r")]


@pytest.mark.parametrize("pred", [True, False])
def test_cond_runs_the_taken_branch(v1_control_flow, pred):
    want, _, got, error, graph = run_in_both(_cond_graph, {"x": X, "p": pred})
    assert error is None
    assert_same(want, got)
    assert {"Switch", "Merge"} <= {op.type for op in graph.get_operations()}


def test_fetching_the_untaken_branch_raises_tfs_error(v1_control_flow):
    def build(tf, v1):
        _cond_graph(tf, v1)
        return ["cond/mul:0"]

    want, want_error, got, got_error, _ = run_in_both(build, {"x": X, "p": False})
    assert_same_error(want_error, got_error)
    assert "Retval[0] does not have value" in got_error.message


def test_merge_with_no_live_input_is_dead(v1_control_flow):
    def build(tf, v1):
        x = v1.placeholder(tf.float32, [], name="x")
        p = v1.placeholder(tf.bool, [], name="p")
        f, t = tf.raw_ops.Switch(data=x, pred=p)
        m = tf.raw_ops.Merge(inputs=[f, f * 3.0], name="m")
        return [m.value_index, m.output]

    want, _, got, _, _ = run_in_both(build, {"x": 2.0, "p": False})
    assert_same(want, got)
    want, want_error, got, got_error, _ = run_in_both(build, {"x": 2.0, "p": True})
    assert_same_error(want_error, got_error)


def test_untaken_branch_ops_do_not_run(v1_control_flow):
    import tensorflow as tf

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        v = v1.get_variable("v", initializer=0.0, use_resource=False)
        p = v1.placeholder(tf.bool, [], name="p")
        r = tf.cond(p, lambda: v1.assign_add(v, 1.0), lambda: v1.assign_add(v, 10.0))
        init = v1.global_variables_initializer()
        with v1.Session(graph=g) as sess:
            sess.run(init)
            want = [sess.run(r, {p: pred}) for pred in (True, False, True)]
        gd = g.as_graph_def()
    ours = tm.Graph()
    with ours.as_default():
        tm.import_graph_def(gd, name="")
        with tm.Session() as sess:
            sess.run(init.name)
            got = [sess.run(r.name, {"p:0": pred}) for pred in (True, False, True)]
    assert got == want == [1.0, 11.0, 12.0]


def _while_graph(tf, v1):
    x = v1.placeholder(tf.float32, [None], name="x")
    n = v1.placeholder(tf.int32, [], name="n")
    i, acc = tf.while_loop(
        lambda i, a: i < n,
        lambda i, a: (i + 1, a + tf.cast(i, tf.float32) * x),
        [tf.constant(0), tf.zeros_like(x)],
    )
    return [tf.identity(i, name="i"), tf.identity(acc, name="acc")]


@pytest.mark.parametrize("n", [0, 1, 7])
def test_while_loop_with_a_data_dependent_trip_count(v1_control_flow, n):
    want, _, got, error, graph = run_in_both(_while_graph, {"x": X, "n": n})
    assert error is None
    assert_same(want, got)
    assert {"Enter", "Merge", "Switch", "LoopCond", "NextIteration", "Exit"} <= {
        op.type for op in graph.get_operations()
    }


def test_while_loop_with_maximum_iterations(v1_control_flow):
    def build(tf, v1):
        x = v1.placeholder(tf.float32, [], name="x")
        (r,) = tf.while_loop(lambda a: tf.less(a, 1e9), lambda a: [a * 2.0], [x], maximum_iterations=5)
        return [tf.identity(r, name="r")]

    want, _, got, error, _ = run_in_both(build, {"x": 1.5})
    assert error is None
    assert_same(want, got)
    assert got[0] == 48.0


def test_while_loop_whose_carried_shape_changes(v1_control_flow):
    def build(tf, v1):
        x = v1.placeholder(tf.float32, [1], name="x")
        _, r = tf.while_loop(
            lambda i, a: i < 4,
            lambda i, a: (i + 1, tf.concat([a, a * 2.0], 0)),
            [tf.constant(0), x],
            shape_invariants=[tf.TensorShape([]), tf.TensorShape([None])],
        )
        return [tf.identity(r, name="r")]

    want, _, got, error, _ = run_in_both(build, {"x": np.array([1.0], np.float32)})
    assert error is None
    assert_same(want, got)
    assert got[0].shape == (16,)


def test_nested_loops_and_conds(v1_control_flow):
    def build(tf, v1):
        x = v1.placeholder(tf.float32, [3], name="x")
        p = v1.placeholder(tf.bool, [], name="p")

        def outer_body(i, a):
            inner = tf.while_loop(lambda j, b: j < i, lambda j, b: (j + 1, b + 1.0), [0, a])[1]
            return i + 1, tf.cond(tf.equal(i % 2, 0), lambda: inner * 0.5, lambda: inner + x)

        loop = tf.while_loop(lambda i, a: i < 4, outer_body, [0, x])[1]
        in_cond = tf.cond(
            p,
            lambda: tf.while_loop(lambda k, c: k < 3, lambda k, c: (k + 1, c * 3.0), [0, x])[1],
            lambda: x - 1.0,
        )
        return [tf.identity(loop, name="loop"), tf.identity(in_cond, name="in_cond")]

    for pred in (True, False):
        want, _, got, error, _ = run_in_both(build, {"x": X, "p": pred})
        assert error is None
        assert_same(want, got)


def test_loop_bodies_are_lowered_once(v1_control_flow, monkeypatch):
    import tensorflow as tf

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        _while_graph(tf, v1)
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
            for _ in range(3):
                sess.run("acc:0", {"x:0": X, "n:0": 50})
    assert len(calls) == 3  # the run, the cond and the body: once each, for 150 iterations


def test_while_loop_gradients_train_like_tf(v1_control_flow, tmp_path):
    def build(tf, v1):
        x = v1.placeholder(tf.float32, [4, 3], name="x")
        w = v1.get_variable("w", [3, 3], initializer=v1.glorot_uniform_initializer())

        def body(i, h):
            return i + 1, tf.tanh(tf.matmul(h, w) + x)

        _, h = tf.while_loop(lambda i, h: i < 5, body, [tf.constant(0), tf.zeros([4, 3])])
        return tf.reduce_sum(h * h, name="loss")

    xv = np.random.RandomState(0).randn(4, 3).astype(np.float32)
    want, got = train_in_both(build, {"x": xv}, tmp_path)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_dynamic_rnn_lstm_trains_like_tf(v1_control_flow, tmp_path, monkeypatch):
    def build(tf, v1):
        x = v1.placeholder(tf.float32, [4, 6, 3], name="x")
        cell = v1.nn.rnn_cell.LSTMCell(8)
        out, _ = v1.nn.dynamic_rnn(cell, x, dtype=tf.float32)
        return tf.reduce_sum(out * out, name="loss")

    # The gradient loop's kernel weight gradient is added into its accumulator by addmm_ (the MatMul
    # deferred to the accumulating Add): count that this path runs, and that training still equals TF's.
    deferred = []
    real_deferred = program._deferred_matmul

    def counting_deferred(*args, **kwargs):
        deferred.append(1)
        return real_deferred(*args, **kwargs)

    monkeypatch.setattr(program, "_deferred_matmul", counting_deferred)
    xv = np.random.RandomState(0).randn(4, 6, 3).astype(np.float32)
    want, got = train_in_both(build, {"x": xv}, tmp_path)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert len(deferred) == 3 * 6  # 3 training steps, 6 iterations of the gradient loop each


def test_ref_variables_in_conds_and_loops(v1_control_flow):
    """Assignments to a ref variable in a cond (RefSwitch, RefMerge) and in a loop body (RefEnter)."""
    import tensorflow as tf

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        v = v1.Variable(np.array([1.0, 2.0], np.float32), name="v")
        p = v1.placeholder(tf.bool, [], name="p")
        r = tf.cond(p, lambda: v1.assign_add(v, [1.0, 1.0]), lambda: v1.assign_sub(v, [1.0, 1.0]))

        def body(i, a):
            with tf.control_dependencies([v1.assign_add(v, [0.5, 0.5])]):
                return i + 1, a + v.read_value()

        # one iteration at a time: with more, TF's iterations race on the variable
        _, a = tf.while_loop(lambda i, a: i < 3, body, [0, tf.zeros([2])], parallel_iterations=1)
        init = v1.global_variables_initializer()
        with v1.Session(graph=g) as sess:
            sess.run(init)
            want = [sess.run(r, {p: True}), sess.run(r, {p: False}), sess.run(a), sess.run(v)]
        gd = g.as_graph_def()
    assert {"RefSwitch", "RefMerge", "RefEnter"} <= {n.op for n in gd.node}
    with tm.Graph().as_default():
        tm.import_graph_def(gd, name="")
        with tm.Session() as sess:
            sess.run(init.name)
            got = [sess.run(r.name, {"p:0": True}), sess.run(r.name, {"p:0": False})]
            got += [sess.run(a.name), sess.run("v:0")]
    assert_same(want, got)


def test_loop_meta_graph_round_trips_and_trains_in_tf_again(v1_control_flow, tmp_path):
    """A TF-built training .meta with a while loop and a cond: the while_context / cond_context
    collections come back out as TF wrote them, and TF imports our export and trains on with the same
    numbers."""
    import tensorflow as tf

    v1 = tf.compat.v1
    prefix = str(tmp_path / "model")
    xv = np.random.RandomState(1).randn(4, 3).astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [4, 3], name="x")
        p = v1.placeholder_with_default(True, [], name="p")
        w = v1.get_variable("w", [3, 3], initializer=v1.glorot_uniform_initializer(seed=3))
        _, h = tf.while_loop(lambda i, h: i < 4, lambda i, h: (i + 1, tf.tanh(tf.matmul(h, w) + x)), [0, x])
        h = tf.cond(p, lambda: h * 2.0, lambda: h)
        loss = tf.reduce_sum(h * h, name="loss")
        v1.train.GradientDescentOptimizer(0.05).minimize(loss, name="train")
        saver = v1.train.Saver()
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            saver.save(sess, prefix)
            want = [sess.run(["loss:0", "train"], {"x:0": xv})[0] for _ in range(4)]
        tf_meta = saver.export_meta_graph()
    ours_path = str(tmp_path / "ours")
    with tm.Graph().as_default():
        tm_saver = tm.train.import_meta_graph(prefix + ".meta", format="tf")
        with tm.Session() as sess:
            tm_saver.restore(sess, prefix)
            got = [sess.run(["loss:0", "train"], {"x:0": xv})[0] for _ in range(2)]
            tm_saver.save(sess, ours_path, write_meta_graph=True)
            ours_meta = tm_saver.export_meta_graph()
    for key, cls in (
        ("while_context", control_flow_pb2.WhileContextDef),
        ("cond_context", control_flow_pb2.CondContextDef),
    ):
        # the messages (TF writes their maps in hash order, so not the bytes)
        assert [_parsed(cls, b) for b in ours_meta.collection_def[key].bytes_list.value] == [
            _parsed(cls, b) for b in tf_meta.collection_def[key].bytes_list.value
        ]
        assert ours_meta.collection_def[key].bytes_list.value
    with tf.Graph().as_default():
        tf_saver = v1.train.import_meta_graph(ours_path + ".meta")
        with v1.Session() as sess:
            tf_saver.restore(sess, ours_path)
            got += [sess.run(["loss:0", "train"], {"x:0": xv})[0] for _ in range(2)]
    np.testing.assert_allclose(got, want, rtol=1e-5)


def _parsed(cls, data):
    message = cls()
    message.ParseFromString(data)
    return message


def test_nested_loop_with_a_cond_trains_like_tf(v1_control_flow, tmp_path):
    """Gradients of a loop inside a loop with a cond in it: nested gradient frames, stacks pushed in the
    inner frame, and Exits behind TF's gradient Identities on the loop's false branch."""

    def build(tf, v1):
        x = v1.placeholder(tf.float32, [2, 3], name="x")
        w = v1.get_variable("w", [3, 3], initializer=v1.glorot_uniform_initializer(seed=2))

        def outer(i, h):
            def inner(j, g):
                return j + 1, tf.tanh(tf.matmul(g, w)) + x * tf.cast(j, tf.float32)

            _, h2 = tf.while_loop(lambda j, g: j < i + 1, inner, [0, h])
            return i + 1, tf.cond(tf.equal(i % 2, 0), lambda: h2 * 0.5, lambda: h2 + 0.1)

        _, h = tf.while_loop(lambda i, h: i < 3, outer, [0, x])
        return tf.reduce_sum(h * h, name="loss")

    xv = np.random.RandomState(0).randn(2, 3).astype(np.float32)
    want, got = train_in_both(build, {"x": xv}, tmp_path)
    np.testing.assert_allclose(got, want, rtol=1e-5)


@pytest.mark.parametrize("fetch", ["while/add:0", "while/Enter:0"])
def test_fetching_a_tensor_made_inside_a_loop(v1_control_flow, fetch):
    """TF: one made per iteration raises InternalError ("already been set"); an Enter's is the value entering."""

    def build(tf, v1):
        tf.while_loop(lambda i: i < 3, lambda i: i + 1, [tf.constant(0)])
        return [fetch]

    want, want_error, got, got_error, _ = run_in_both(build)
    if fetch == "while/Enter:0":
        assert want_error is None and got_error is None
        assert_same(want, got)
    else:
        assert_same_error(want_error, got_error)


def test_scan_map_fn_and_foldl_train_like_tf(v1_control_flow, tmp_path):
    """TF1's tf.scan, tf.map_fn and tf.foldl: while loops over TensorArrays, their gradients through
    TensorArrayGradV3 and the gradient while frames."""

    def build(tf, v1):
        x = v1.placeholder(tf.float32, [5, 3], name="x")
        w = v1.get_variable("w", [3, 3], initializer=v1.glorot_uniform_initializer(seed=2))
        s = tf.scan(lambda a, r: tf.tanh(tf.matmul(a, w)) + r, tf.expand_dims(x, 1), initializer=tf.zeros([1, 3]))
        m = tf.map_fn(lambda r: tf.reduce_sum(r * r), s)
        f = tf.foldl(lambda a, r: a + tf.reduce_sum(r), s, initializer=tf.constant(0.0))
        return tf.add(tf.reduce_sum(m), f, name="loss")

    xv = np.random.RandomState(0).randn(5, 3).astype(np.float32)
    want, got = train_in_both(build, {"x": xv}, tmp_path)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_batch_norm_and_dropout_behind_training_switches_train_like_tf(v1_control_flow, tmp_path):
    """tf.layers batch norm and dropout with `training` placeholders (smart_cond: Switch/Merge/RefSwitch),
    moving averages updated through UPDATE_OPS: 3 training steps and the evaluation = TF's; the dropout
    branch runs when switched on."""
    import tensorflow as tf

    v1 = tf.compat.v1
    prefix = str(tmp_path / "model")
    xv = np.random.RandomState(0).randn(8, 4).astype(np.float32)
    yv = np.random.RandomState(1).randn(8, 1).astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        y = v1.placeholder(tf.float32, [None, 1], name="y")
        bn_training = v1.placeholder_with_default(False, [], name="bn_training")
        dropout_training = v1.placeholder_with_default(False, [], name="dropout_training")
        h = v1.layers.dense(x, 6, name="d1", kernel_initializer=v1.glorot_uniform_initializer(seed=1))
        h = tf.nn.relu(v1.layers.batch_normalization(h, training=bn_training, name="bn"))
        h = tf.identity(v1.layers.dropout(h, rate=0.5, training=dropout_training), name="dropped")
        out = v1.layers.dense(h, 1, name="d2", kernel_initializer=v1.glorot_uniform_initializer(seed=2))
        loss = tf.reduce_mean(tf.square(out - y), name="loss")
        with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
            v1.train.GradientDescentOptimizer(0.1).minimize(loss, name="train")
        assert {"Switch", "Merge", "RefSwitch"} <= {op.type for op in g.get_operations()}
        saver = v1.train.Saver()
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            saver.save(sess, prefix)
            want = [sess.run(["loss:0", "train"], {"x:0": xv, "y:0": yv, "bn_training:0": True})[0] for _ in range(3)]
            want += [sess.run("loss:0", {"x:0": xv, "y:0": yv}), sess.run("bn/moving_mean:0")]
    with tm.Graph().as_default():
        tm_saver = tm.train.import_meta_graph(prefix + ".meta")
        with tm.Session() as sess:
            tm_saver.restore(sess, prefix)
            got = [sess.run(["loss:0", "train"], {"x:0": xv, "y:0": yv, "bn_training:0": True})[0] for _ in range(3)]
            got += [sess.run("loss:0", {"x:0": xv, "y:0": yv}), sess.run("bn/moving_mean:0")]
            kept = sess.run("dropped:0", {"x:0": xv})
            dropped = sess.run("dropped:0", {"x:0": xv, "dropout_training:0": True})
    np.testing.assert_allclose(got[:4], want[:4], rtol=1e-5)
    np.testing.assert_allclose(got[4], want[4], rtol=1e-5, atol=1e-7)
    live = kept != 0
    assert 0 < np.count_nonzero(dropped[live]) < np.count_nonzero(live)  # some dropped, the rest scaled by 2
    np.testing.assert_allclose(dropped[dropped != 0], 2 * kept[dropped != 0], rtol=1e-6)


def test_a_loop_carrying_a_ref_variable(v1_control_flow):
    """A while frame built from TF's primitives with a ref variable as a loop variable: RefEnter,
    RefMerge, RefSwitch, RefNextIteration and RefExit, the body assigning through the ref each iteration."""
    import tensorflow as tf
    from tensorflow.python.ops import control_flow_ops as cfo

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        v = v1.Variable([1.0, 2.0], name="v")
        frame = "refloop"
        ref_merge = cfo.merge([cfo._Enter(v._ref(), frame, is_constant=False, use_ref=True)] * 2)[0]
        i_merge = cfo.merge([cfo._Enter(tf.constant(0), frame, is_constant=False)] * 2)[0]
        three = cfo._Enter(tf.constant(3), frame, is_constant=True)
        pred = tf.raw_ops.LoopCond(input=tf.less(i_merge, three))
        ref_false, ref_true = cfo._SwitchRefOrTensor(ref_merge, pred)
        i_false, i_true = cfo.switch(i_merge, pred)
        ones = cfo._Enter(tf.constant([1.0, 1.0]), frame, is_constant=True)
        one = cfo._Enter(tf.constant(1), frame, is_constant=True)
        ref_merge.op._update_input(1, cfo._NextIteration(v1.assign_add(ref_true, ones)))
        i_merge.op._update_input(1, cfo._NextIteration(tf.add(i_true, one)))
        r = tf.identity(cfo.exit(ref_false), name="r")
        i = tf.identity(cfo.exit(i_false), name="i")
        init = v1.global_variables_initializer()
        gd = g.as_graph_def()
    assert {"RefEnter", "RefMerge", "RefSwitch", "RefNextIteration", "RefExit"} <= {n.op for n in gd.node}
    with tf.Graph().as_default() as tg:
        tf.graph_util.import_graph_def(gd, name="")
        with v1.Session(graph=tg) as sess:
            sess.run(init.name)
            want = sess.run([r.name, i.name, "v:0"])
    with tm.Graph().as_default():
        tm.import_graph_def(gd, name="")
        with tm.Session() as sess:
            sess.run(init.name)
            got = sess.run([r.name, i.name, "v:0"])
    assert_same(want, got)


@pytest.mark.parametrize("gate", ["ControlTrigger", "NoOp"])
def test_control_trigger_is_live_after_a_dead_branch(v1_control_flow, gate):
    """An op under a control edge from a dead op is dead (a NoOp gate passes the deadness on); a
    ControlTrigger gate is always live."""

    def build(tf, v1):
        x = v1.placeholder(tf.float32, [], name="x")
        p = v1.placeholder(tf.bool, [], name="p")
        _, taken = tf.raw_ops.Switch(data=x, pred=p)
        untaken_op = tf.identity(taken * 2.0).op
        with tf.control_dependencies([untaken_op]):
            g = tf.raw_ops.ControlTrigger() if gate == "ControlTrigger" else tf.raw_ops.NoOp()
        with tf.control_dependencies([g]):
            return [tf.identity(x + 1.0, name="after")]

    want, want_error, got, got_error, _ = run_in_both(build, {"x": 2.0, "p": False})
    if gate == "ControlTrigger":
        assert want_error is None and got_error is None
        assert_same(want, got)
    else:
        assert_same_error(want_error, got_error)


@pytest.mark.slow
def test_loops_and_conds_under_torch_compile(v1_control_flow):
    """ConfigProto(torch_compile=True): loops run eagerly between compiled pieces, their bodies compiled on
    their own; the results are the graph's (4 times the taken branch)."""

    def build(tf, v1):
        x = v1.placeholder(tf.float32, [None], name="x")
        p = v1.placeholder(tf.bool, [], name="p")
        r = tf.cond(p, lambda: x * 2.0, lambda: x - 1.0)
        _, a = tf.while_loop(lambda i, a: i < 4, lambda i, a: (i + 1, a + r), [0, tf.zeros_like(x)])
        return [tf.identity(a, name="a")]

    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        build(tf, tf.compat.v1)
        gd = g.as_graph_def()
    with tm.Graph().as_default():
        tm.import_graph_def(gd, name="")
        with tm.Session(config=tm.ConfigProto(torch_compile=True)) as sess:
            got = [sess.run("a:0", {"x:0": X, "p:0": pred}) for pred in (True, False)]
    np.testing.assert_allclose(got, [4 * X * 2.0, 4 * (X - 1.0)], rtol=1e-6)
