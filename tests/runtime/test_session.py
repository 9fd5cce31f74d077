"""Session.run: fetch structures, feeds, errors, variable semantics and caching, compared with TF1."""

import collections

import numpy as np
import pytest
import torch

import torchmeta as tm
from torchmeta import errors

Pair = collections.namedtuple("Pair", ["first", "second"])


def _graph(api):
    g = api.Graph()
    with g.as_default():
        x = api.placeholder(api.float32, [None, 3], name="x")
        w = api.constant(np.arange(6, dtype=np.float32).reshape(3, 2), name="w")
        y = api.matmul(x, w, name="y")
        z = api.add(y, 1.0, name="z")
        noop = api.no_op(name="noop")
    return g, x, y, z, noop


def _run_structures(api):
    g, x, y, z, noop = _graph(api)
    feed = {x: np.ones((2, 3), np.float32)}
    with api.Session(graph=g) as sess:
        return [
            sess.run(z, feed),
            sess.run([y, z], feed),
            sess.run((y, [z, {"k": y}]), feed),
            sess.run({"a": z, "b": [y]}, feed),
            sess.run(Pair(y, z), feed),
            sess.run(noop),
            sess.run([noop, z], feed),
            sess.run("z:0", {"x:0": np.ones((1, 3))}),
            sess.run(["z:0", "noop"], {"x:0": np.ones((1, 3))}),
            sess.run(z, {y: np.zeros((1, 2), np.float32)}),  # feeding an intermediate cuts the graph
            sess.run(y, {y: np.full((1, 2), 5.0, np.float32)}),  # fetching a fed tensor returns the feed
        ]


def _assert_same_structure(a, b):
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _assert_same_structure(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same_structure(x, y)
    elif a is None:
        assert b is None
    else:
        np.testing.assert_array_equal(a, b)
        assert np.asarray(a).dtype == np.asarray(b).dtype


def test_fetch_structures_match_tf(tf1):
    ours = _run_structures(tm)
    theirs = _run_structures(tf1)
    _assert_same_structure(ours, theirs)


def test_scalar_results_are_numpy_scalars(tf1):
    for api in (tm, tf1):
        g = api.Graph()
        with g.as_default():
            c = api.constant(3.0)
            s = api.constant(b"abc")
            with api.Session(graph=g) as sess:
                v, sv = sess.run([c, s])
        assert isinstance(v, np.float32) and v == 3.0
        assert sv == b"abc"


def _error_of(fn):
    try:
        fn()
    except Exception as e:
        return type(e).__name__, str(e).split("\n")[0]
    return None


def test_fetch_and_feed_errors_match_tf(tf1):
    def errs(api):
        g, x, y, z, noop = _graph(api)
        sess = api.Session(graph=g)
        out = [
            _error_of(lambda: sess.run("nope:0")),
            _error_of(lambda: sess.run("nope")),
            _error_of(lambda: sess.run(None)),
            _error_of(lambda: sess.run(z, {"nope:0": 1.0})),
            _error_of(lambda: sess.run(z, {"x": 1.0})),
            _error_of(lambda: sess.run(z, {x: z})),
        ]
        sess.close()
        out.append(_error_of(lambda: sess.run(z)))
        return out

    ours, theirs = errs(tm), errs(tf1)
    for o, t in zip(ours, theirs):
        assert o[0] == t[0], (o, t)
        assert o[1] == t[1], (o, t)


def test_bad_feeds_raise_invalid_argument_naming_the_placeholder():
    g, x, y, z, noop = _graph(tm)
    with tm.Session(graph=g) as sess:
        with pytest.raises(
            errors.InvalidArgumentError,
            match=r"Cannot feed value of shape \(2, 4\) for Tensor x:0, which has shape \(\?, 3\)",
        ):
            sess.run(z, {x: np.ones((2, 4))})
        with pytest.raises(errors.InvalidArgumentError, match="dtype string for Tensor 'x:0' of dtype float32"):
            sess.run(z, {x: [["a", "b", "c"]]})
        with pytest.raises(errors.InvalidArgumentError, match="You must feed a value for placeholder tensor 'x'"):
            sess.run(z)
        # Same-kind conversions are fine (float64 -> float32, int -> float), as in TF.
        np.testing.assert_allclose(sess.run(y, {x: [[1, 2, 3]]}), [[16.0, 22.0]])


def test_feed_int_placeholder_rejects_floats():
    g = tm.Graph()
    with g.as_default():
        p = tm.placeholder(tm.int32, [2])
        q = tm.identity(p)
        with tm.Session() as sess:
            assert sess.run(q, {p: [1, 2]}).dtype == np.int32
            with pytest.raises(errors.InvalidArgumentError, match="dtype float64"):
                sess.run(q, {p: [1.5, 2.0]})


def test_results_do_not_alias_feeds_or_constants():
    g = tm.Graph()
    with g.as_default():
        p = tm.placeholder(tm.float32, [2])
        i = tm.identity(p)
        c = tm.constant([1.0, 2.0])
        with tm.Session() as sess:
            feed = np.array([1.0, 2.0], np.float32)
            out = sess.run(i, {p: feed})
            out[0] = 99.0
            assert feed[0] == 1.0
            first = sess.run(c)
            first[0] = 99.0
            assert sess.run(c)[0] == 1.0


def test_uninitialized_variable_raises_failed_precondition_naming_it(tf1):
    for api, err in ((tm, errors.FailedPreconditionError), (tf1, None)):
        g = api.Graph()
        with g.as_default():
            v = api.Variable([1.0, 2.0], name="weights")
            out = api.identity(v)
            with api.Session(graph=g) as sess:
                with pytest.raises(err or api.errors.FailedPreconditionError, match="uninitialized value weights"):
                    sess.run(out)


def _tf_node_message(error) -> str:
    """TF's kernel message with its ``[[{{node X}}]]`` line (without "Graph execution error" and the stacks)."""
    text = error.message.replace("Graph execution error:\n\n", "")
    if "Node:" in text:  # TF 2.21 prefixes "Detected at node ... Node: 'x'\n"
        text = text.split("Node:", 1)[1].split("\n", 1)[1]
    return text.split("\n\nOriginal stack trace", 1)[0].strip()


@pytest.mark.parametrize("read", ["add", "value", "optimizer", "identity", "fetch", "fetch-second", "scoped"])
def test_uninitialized_ref_variable_read_names_the_read_op_as_tf(tf1, read):
    """The op that reads the variable is named: ``v1/read`` (also under tf.identity), Adam's read of beta1_power,
    or, for the variable fetched as it is, the _Retval node TF adds per fetch (``_retval_<tensor>_<index>``)."""

    def run(api):
        g = api.Graph()
        with g.as_default():
            with api.name_scope("scope" if read == "scoped" else None):
                v = api.Variable([1.0, 2.0], name="v1", use_resource=False)
            if read == "add":
                out = v + 1.0
            elif read == "value":
                out = v.value()
            elif read == "identity":
                out = api.identity(api.identity(v))
            elif read in ("fetch", "scoped"):
                out = v
            elif read == "fetch-second":  # the index counts the run's distinct fetches
                c = api.constant(1.0)
                out = {"a": c, "b": [c, c, v]}
            else:  # Adam reads beta1_power (beta1_power/read) for the update: all else is initialized
                out = api.train.AdamOptimizer(0.1).minimize(api.reduce_sum(v * v))
            with api.Session(graph=g) as sess:
                if read == "optimizer":
                    rest = [x for x in api.global_variables() if x.op.name != "beta1_power"]
                    sess.run(api.variables_initializer(rest))
                with pytest.raises(api.errors.FailedPreconditionError) as info:
                    sess.run(out)
        return info.value

    theirs, ours = run(tf1), run(tm)
    assert str(ours) == _tf_node_message(theirs)
    node = {
        "optimizer": "beta1_power/read",
        "fetch": "_retval_v1_0_0",
        "fetch-second": "_retval_v1_0_1",
        "scoped": "_retval_scope/v1_0_0",
    }.get(read, "v1/read")
    assert "{{node " + node + "}}" in str(ours)
    assert (ours.op is None) == (theirs.op is None) == read.startswith(("fetch", "scoped"))


@pytest.mark.parametrize("other", [False, True, "ref"], ids=["no_resource_yet", "container_exists", "ref_ran"])
@pytest.mark.parametrize("use", ["read", "assign_add", "assign_sub", "gather", "scatter_add", "shape"])
def test_uninitialized_resource_variable_errors_are_tfs(tf1, use, other):
    """A resource variable that was never initialized does not exist for TF: ReadVariableOp fails with
    FailedPrecondition "Could not find variable" and the lookup's error as debug info, other ops with the lookup's
    NotFoundError, worded by whether the session's container holds a resource yet (a ref variable's op that
    ran, initialized or not, made its LegacyVar there)."""

    def run(api):
        g = api.Graph()
        with g.as_default():
            initialized = api.Variable(3.0, name="other", use_resource=other != "ref")
            v = api.Variable([1.0, 2.0], name="v1", use_resource=True)
            raw = api.raw_ops
            out = {
                "read": lambda: v.read_value(),
                "assign_add": lambda: v.assign_add([1.0, 1.0]),
                "assign_sub": lambda: v.assign_sub([1.0, 1.0]),
                "gather": lambda: raw.ResourceGather(resource=v.handle, indices=[0], dtype=api.float32),
                "scatter_add": lambda: raw.ResourceScatterAdd(resource=v.handle, indices=[0], updates=[1.0]),
                "shape": lambda: raw.VariableShape(input=v.handle),
            }[use]()
            with api.Session(graph=g) as sess:
                if other == "ref":
                    sess.run(api.is_variable_initialized(initialized))
                elif other:
                    sess.run(initialized.initializer)
                with pytest.raises(api.errors.OpError) as info:
                    sess.run(out)
        return info.value

    theirs, ours = run(tf1), run(tm)
    assert type(ours).__name__ == type(theirs).__name__
    assert str(ours) == _tf_node_message(theirs)


def test_ref_variable_semantics_match_tf(tf1):
    def run(api):
        g = api.Graph()
        with g.as_default():
            v = api.Variable([1.0, 2.0], name="v")
            add = api.assign_add(v, [1.0, 1.0])
            sub = api.assign_sub(v, [0.5, 0.5])
            set_ = api.assign(v, [10.0, 20.0])
            init = api.global_variables_initializer()
            with api.Session(graph=g) as sess:
                sess.run(init)
                r = [sess.run(add), sess.run(add), sess.run(sub), sess.run(v), sess.run(set_), v.eval()]
                r.append(sess.run(api.is_variable_initialized(v)))
                return r

    for a, b in zip(run(tm), run(tf1)):
        np.testing.assert_array_equal(a, b)


def test_resource_variable_semantics_match_tf(tf1):
    def run(api):
        g = api.Graph()
        with g.as_default():
            v = api.Variable([1.0, 2.0], name="v", use_resource=True)
            inc = v.assign_add([1.0, 1.0])
            with api.control_dependencies([inc]):
                after = v.read_value()
            init = api.global_variables_initializer()
            with api.Session(graph=g) as sess:
                sess.run(init)
                return [sess.run(inc), sess.run(v), sess.run(after), sess.run(v.is_initialized())]

    for a, b in zip(run(tm), run(tf1)):
        np.testing.assert_array_equal(a, b)


def test_variables_are_per_session():
    v = tm.Variable(1.0, name="v")
    inc = tm.assign_add(v, 1.0)
    s1, s2 = tm.Session(), tm.Session()
    s1.run(v.initializer)
    s2.run(v.initializer)
    s1.run(inc)
    assert s1.run(v) == 2.0 and s2.run(v) == 1.0


def test_eval_and_run_with_default_session():
    c = tm.constant(2.0)
    op = tm.no_op()
    with pytest.raises(ValueError, match="No default session is registered"):
        c.eval()
    with tm.Session() as sess:
        assert c.eval() == 2.0
        assert op.run() is None
        assert tm.get_default_session() is sess
    other = tm.Graph()
    with other.as_default():
        s2 = tm.Session()
    with pytest.raises(ValueError, match="graph is different"):
        c.eval(session=s2)
    interactive = tm.InteractiveSession()
    assert c.eval() == 2.0
    interactive.close()


def test_kernel_failure_names_the_node():
    a = tm.placeholder(tm.float32, [None, None], name="a")
    b = tm.placeholder(tm.float32, [None, None], name="b")
    m = tm.matmul(a, b, name="product")
    with tm.Session() as sess:
        with pytest.raises(errors.InvalidArgumentError) as info:
            sess.run(m, {a: np.ones((2, 3)), b: np.ones((4, 5))})
    # MatMul raises TF's own wording ("Matrix size-incompatible: ..."); the node is named either way.
    assert "product" in str(info.value)
    assert info.value.op is not None and info.value.op.name == "product"


def test_plans_and_modules_are_cached():
    x = tm.placeholder(tm.float32, [2])
    y = tm.identity(x)
    with tm.Session() as sess:
        sess.run(y, {x: [1.0, 2.0]})
        sess.run(y, {x: [3.0, 4.0]})
        sess.run([y], {x: [3.0, 4.0]})
        assert len(sess._programs) == 1
        assert len(sess._plans) == 2


def test_lowered_module_has_one_node_per_tf_node():
    x = tm.placeholder(tm.float32, [None, 3], name="x")
    with tm.name_scope("hidden1"):
        w = tm.Variable(np.ones((3, 2), np.float32), name="weights")
        y = tm.matmul(x, w)
    with tm.Session(config=tm.ConfigProto(optimize=False)) as sess:
        sess.run(tm.global_variables_initializer())
        sess.run(y, {x: np.ones((1, 3))})
        gm = next(m for m in sess._compiled_modules() if "MatMul" in m.code)
    tf_names = [n.meta.get("tf_name") for n in gm.graph.nodes if n.op in ("call_function", "get_attr")]
    assert "hidden1/MatMul" in tf_names and "hidden1/weights/read" in tf_names
    ops = {n.meta.get("tf_op") for n in gm.graph.nodes if n.meta.get("tf_op")}
    assert {"MatMul", "Identity", "VariableV2", "Feed"} <= ops
    assert "hidden1_MatMul" in gm.code


def test_optimized_module_folds_shapes_and_skips_no_ops():
    x = tm.placeholder(tm.float32, [None, 3], name="x")
    shape = tm.shape(x)
    y = tm.reshape(tm.identity(x), shape)  # Reshape to its own shape: a no-op once shapes are known
    z = tm.reduce_sum(y, axis=[]) * tm.cast(shape[0], tm.float32)
    with tm.Session() as sess:
        out = sess.run(z, {x: np.ones((4, 3), np.float32)})
        np.testing.assert_allclose(out, np.full((4, 3), 4.0))
        (gm,) = sess._compiled_modules()
        ops = {n.meta.get("tf_op") for n in gm.graph.nodes if n.op == "call_function"}
        assert not ops & {"Shape", "Reshape", "Identity", "Sum", "StridedSlice", "Cast"}, gm.code
        # A new batch size gives a new specialization with the right constant.
        np.testing.assert_allclose(sess.run(z, {x: np.ones((2, 3), np.float32)}), np.full((2, 3), 2.0))
        assert len(sess._compiled_modules()) == 2


def test_gpu_device_without_gpu_needs_soft_placement():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with tm.device("/gpu:0"):
        c = tm.constant(1.0)
        d = tm.identity(c)
    with tm.Session() as sess, pytest.raises(errors.InvalidArgumentError, match="Could not satisfy explicit device"):
        sess.run(d)
    with tm.Session(config=tm.ConfigProto(allow_soft_placement=True)) as sess:
        assert sess.run(d) == 1.0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_runs_on_cuda_when_asked():
    x = tm.placeholder(tm.float32, [None, 3])
    w = tm.Variable(np.ones((3, 2), np.float32))
    with tm.device("/gpu:0"):
        y = tm.matmul(x, w)
    with tm.Session() as sess:
        sess.run(tm.global_variables_initializer())
        out = sess.run(y, {x: np.ones((2, 3))})
        np.testing.assert_allclose(out, np.full((2, 2), 3.0))
        gm = next(m for m in sess._compiled_modules() if "MatMul" in m.code)
        assert any(
            "cuda" in str(n.kwargs.get("device", "")) or n.target.__name__ == "to_device"
            for n in gm.graph.nodes
            if n.op == "call_function"
        )
    with tm.Session(device="cuda") as sess:
        sess.run(tm.global_variables_initializer())
        np.testing.assert_allclose(sess.run(y, {x: np.ones((2, 3))}), np.full((2, 2), 3.0))
        assert sess._variable_slot(w.op.name).value.device.type == "cuda"
