"""Graph building behaves like TF1: unique names, name scopes, control dependencies, devices, collections."""

import numpy as np
import pytest

import torchmeta as tm


def _build_names(api):
    """The same sequence of TF1 API calls; returns (name, type, inputs, control inputs) per op."""
    g = api.Graph()
    with g.as_default():
        a = api.constant(1.0, name="a")
        api.constant(2.0, name="a")
        api.constant(3.0, name="A")  # names are unique case-insensitively
        with api.name_scope("hidden1"):
            api.constant(1.0, name="weights")
            api.constant(1.0, name="weights")
            with api.name_scope("inner") as scope:
                api.constant(1.0, name="c")
            with api.name_scope(scope):
                api.constant(1.0, name="c")
        with api.name_scope("hidden1"):
            api.constant(1.0)
        with api.name_scope("hidden1/"):
            api.constant(1.0)
        with api.name_scope(None):
            api.identity(a)
        with api.name_scope("s", "default", [a]) as s:
            api.constant(1.0, name=s.rstrip("/") + "_x")
        with api.name_scope(None, "default", [a]):
            api.constant(1.0)
        with api.name_scope(None, "default", [a]):
            api.constant(1.0)
        x = api.placeholder(api.float32, [None, 3], name="x")
        w = api.constant(np.ones((3, 2), np.float32), name="w")
        with api.control_dependencies([a]):
            m = api.matmul(x, w)
            api.identity(m)  # dominated: its input already depends on `a`
            with api.control_dependencies(None):
                api.identity(m, name="free")
        with api.device("/cpu:0"):
            api.identity(m, name="on_cpu")
            with api.device("/device:GPU:1"):
                api.identity(m, name="on_gpu1")
        api.add(m, 1.0)
        api.add(m, 2.0)
    return [
        (op.name, op.type, [t.name for t in op.inputs], [c.name for c in op.control_inputs], op.device)
        for op in g.get_operations()
    ]


def test_names_scopes_control_deps_devices_match_tf(tf1):
    assert _build_names(tm) == _build_names(tf1)


def test_unique_name_and_scope_strings():
    g = tm.Graph()
    with g.as_default():
        assert g.unique_name("foo") == "foo"
        assert g.unique_name("foo") == "foo_1"
        assert g.unique_name("foo", mark_as_used=False) == "foo_2"
        assert g.unique_name("foo") == "foo_2"
        with tm.name_scope("outer") as scope:
            assert scope == "outer/"
            assert g.get_name_scope() == "outer"
        with tm.name_scope("outer") as scope:
            assert scope == "outer_1/"


def test_invalid_scope_name_raises():
    with pytest.raises(ValueError, match="not a valid scope name"), tm.name_scope("-bad"):
        pass


def test_collections_semantics():
    g = tm.Graph()
    with g.as_default():
        tm.add_to_collection("c", 1)
        tm.add_to_collection("c", 1)
        assert tm.get_collection("c") == [1, 1]
        copy = tm.get_collection("c")
        copy.append(3)
        assert tm.get_collection("c") == [1, 1]
        assert tm.get_collection("missing") == []
        assert "missing" not in g.get_all_collection_keys()
        ref = tm.get_collection_ref("made")
        ref.append(5)
        assert tm.get_collection("made") == [5]
        tm.add_to_collections(["x", "y", "x"], 7)
        assert tm.get_collection("x") == [7]
        tm.add_to_collections("xy", 8)
        assert tm.get_collection("xy") == [8]
        with tm.name_scope("s"):
            t = tm.constant(1.0, name="t")
        u = tm.constant(1.0, name="u")
        tm.add_to_collection("named", t)
        tm.add_to_collection("named", u)
        tm.add_to_collection("named", 3)
        assert tm.get_collection("named", scope="s") == [t]
        assert tm.get_collection("named", scope=".*u") == [u]
        g.add_to_collection(1, "int key")
        assert 1 not in g.get_all_collection_keys()
        assert 1 in g.collections
        g.clear_collection("x")
        assert tm.get_collection("x") == []


def test_collections_match_tf(tf1):
    def run(api):
        g = api.Graph()
        with g.as_default():
            api.add_to_collections(("a", "b", "a"), 1)
            api.add_to_collections({"c"}, 2)
            api.add_to_collections((n for n in ["d", "d"]), 3)
            return {k: api.get_collection(k) for k in sorted(g.get_all_collection_keys())}

    assert run(tm) == run(tf1)


def test_graph_element_errors_match_tf(tf1):
    def errors(api):
        g = api.Graph()
        out = []
        with g.as_default():
            api.constant(1.0, name="c")
            for name, kw in [
                ("c:0", {}),
                ("nope:0", {}),
                ("c:1", {}),
                ("nope", {}),
                ("c", {"allow_operation": False}),
                ("c:0", {"allow_tensor": False}),
            ]:
                try:
                    r = g.as_graph_element(name, **{"allow_tensor": True, "allow_operation": True, **kw})
                    out.append(("ok", r.name))
                except (KeyError, ValueError, TypeError) as e:
                    out.append((type(e).__name__, e.args[0]))
        return out

    assert errors(tm) == errors(tf1)


def test_finalized_graph_rejects_ops():
    g = tm.Graph()
    with g.as_default():
        tm.constant(1.0)
        g.finalize()
        with pytest.raises(RuntimeError, match="Graph is finalized"):
            tm.constant(2.0)


def test_default_graph_stack():
    g = tm.Graph()
    outer = tm.get_default_graph()
    with g.as_default():
        assert tm.get_default_graph() is g
        with pytest.raises(AssertionError):
            tm.reset_default_graph()
    assert tm.get_default_graph() is outer
    tm.reset_default_graph()
    assert tm.get_default_graph() is not outer


def test_tensor_python_protocols():
    t = tm.constant([1.0, 2.0])
    with pytest.raises(TypeError, match="as a Python `bool`"):
        bool(t)
    with pytest.raises(TypeError):
        len(t)
    assert t.name == "Const:0" and t.op.type == "Const" and t.value_index == 0
    assert str(t) == 'Tensor("Const:0", shape=(2,), dtype=float32)'
    assert t.get_shape().as_list() == [2]
    t.set_shape([2])
    with pytest.raises(ValueError):
        t.set_shape([3])
    assert {t: 1}[t] == 1


def test_create_op_and_get_attr():
    g = tm.Graph()
    with g.as_default():
        c = tm.constant(np.zeros((2, 3), np.float32))
        op = c.op
        assert op.get_attr("dtype") == tm.float32
        assert op.node_def.op == "Const"
        with pytest.raises(ValueError, match="has no attr named 'nope'"):
            op.get_attr("nope")
        x = tm.placeholder(tm.float32, [None, 3], name="x")
        assert x.op.get_attr("shape").dim[1].size == 3
