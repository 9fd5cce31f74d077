"""Variables build TF's graphs: ref and resource variables, reads, sparse reads and their training graphs."""

import numpy as np
import pytest

import torchmeta as tm


def _ops(g):
    return [
        (o.name, o.type, [i.name for i in o.inputs], [c.name for c in o.control_inputs]) for o in g.get_operations()
    ]


def _build(api, use_resource):
    g = api.Graph()
    with g.as_default():
        w = api.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="w", use_resource=use_resource)
        v = api.Variable(1.0, name="v", trainable=False, use_resource=use_resource)
        x = api.placeholder(api.float32, [None, 2], name="x")
        y = api.matmul(x, w) * v  # each use of a resource variable reads it afresh
        read = w.read_value()
        inc = v.assign_add(2.0)
        api.global_variables_initializer()
        with api.Session(graph=g) as sess:
            sess.run(api.global_variables_initializer())
            # Unordered reads and updates race in TF; run the update on its own.
            values = [*sess.run([y, read], {x: np.ones((1, 2), np.float32)}), sess.run(inc)]
        protos = [var.to_proto().SerializeToString() for var in api.global_variables()]
    return _ops(g), values, protos


@pytest.mark.parametrize("use_resource", [False, True], ids=["ref", "resource"])
def test_variable_graphs_values_and_variable_defs_match_tf(tf1, use_resource):
    ours, theirs = _build(tm, use_resource), _build(tf1, use_resource)
    assert ours[0] == theirs[0]
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_array_equal(a, b)
    assert ours[2] == theirs[2]


def _embedding_training(api):
    g = api.Graph()
    with g.as_default():
        emb = api.Variable(np.arange(12, dtype=np.float32).reshape(4, 3), name="emb", use_resource=True)
        w = api.Variable(np.ones((3, 2), np.float32), name="w", use_resource=True)
        rows = api.gather(emb, api.constant([0, 2, 2]))  # ResourceGather; its gradient is IndexedSlices
        loss = api.reduce_sum(api.square(api.matmul(rows, w)))
        train = api.train.GradientDescentOptimizer(0.01).minimize(loss)
        with api.Session(graph=g) as sess:
            sess.run(api.global_variables_initializer())
            for _ in range(2):
                sess.run(train)
            values = sess.run([emb, w, loss])
    return _ops(g), values


def test_resource_gather_training_graph_matches_tf(tf1):
    ours, theirs = _embedding_training(tm), _embedding_training(tf1)
    assert ours[0] == theirs[0]
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_resource_gather_out_of_range_matches_tf(tf1):
    messages = []
    for api in (tm, tf1):
        g = api.Graph()
        with g.as_default():
            emb = api.Variable(np.zeros((4, 3), np.float32), name="emb", use_resource=True)
            rows = api.gather(emb, api.constant([1, 7]))
            with api.Session(graph=g) as sess:
                sess.run(emb.initializer)
                with pytest.raises(api.errors.InvalidArgumentError) as info:
                    sess.run(rows)
                messages.append(str(info.value))
    for message in messages:
        assert "indices[1] = 7 is not in [0, 4)" in message


def test_resource_assign_checks_static_shapes():
    v = tm.Variable(np.zeros(3, np.float32), use_resource=True)
    with pytest.raises(ValueError, match="Shape mismatch"):
        v.assign(np.zeros(4, np.float32))


def test_assign_variable_op_checks_static_shapes_like_tf(tf1):
    for shape, fragment in (
        ([3], "Dimension 0 in both shapes must be equal, but are 2 and 3"),
        ([2, 2], "Shapes must be equal rank, but are 1 and 2"),
    ):
        for api in (tm, tf1):
            with api.Graph().as_default():
                v = api.Variable(np.zeros(2, np.float32), use_resource=True)
                with pytest.raises(ValueError, match=fragment):
                    import tensorflow as tf_module

                    raw = tm.raw_ops if api is tm else tf_module.raw_ops
                    raw.AssignVariableOp(resource=v.handle, value=np.zeros(shape, np.float32))


def _dependent_variables(api):
    """Variables whose initial values read other variables: TF guards each read with the other
    variable's initialized_value() (a cond on IsVariableInitialized), copying the ops on the way."""
    g = api.Graph()
    with g.as_default():
        w = api.Variable([1.0, -2.0], name="w")
        r = api.Variable(3.0, name="r", use_resource=True)
        double = api.Variable(w * 2.0 + 1.0, name="double")
        chained = api.Variable(double.initialized_value() - w, name="chained", use_resource=True)
        from_resource = api.Variable(r * 2.0, name="from_resource")
        local = api.Variable(api.zeros([2]), name="local", collections=[api.GraphKeys.LOCAL_VARIABLES])
        from_local = api.Variable(local + w, name="from_local")
        with api.Session(graph=g) as sess:
            # Before w and local: the guarded reads fall back to their initial values.
            sess.run([double.initializer, from_local.initializer])
            early = sess.run([double, from_local])
            sess.run([w.initializer, r.initializer, local.initializer])
            sess.run(w.assign([5.0, 6.0]))
            # Reads of resource variables (ReadVariableOp) are not guarded, in TF neither.
            sess.run([chained.initializer, from_resource.initializer])
            values = early + sess.run([double, chained, from_resource, from_local, double.initialized_value()])
    return _ops(g), values, [v.to_proto().SerializeToString() for v in api.global_variables()]


def test_initial_values_reading_variables_are_guarded_as_tfs(tf1):
    ours, theirs = _dependent_variables(tm), _dependent_variables(tf1)
    assert ours[0] == theirs[0]
    names = [op[0] for op in ours[0]]
    assert "w/read_double" in names and "double/IsVariableInitialized" in names
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_array_equal(a, b)
    assert ours[2] == theirs[2]
