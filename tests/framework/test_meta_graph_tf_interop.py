"""MetaGraph files between TensorFlow and torchmeta, both ways: collections, numbers, round trips, scopes.

(a) TF-written collections decode as TF decodes them, with and without import_scope;
(b) TF loads and runs what we write (binary and text);
(c) export -> import -> export is stable, for graphs built here and for TF-written graphs;
(d) export_scope / unbound inputs / clear_devices / strip_default_attrs / clear_extraneous_savers give
    TF's MetaGraphDefs;
(e) stripped_op_list of a re-exported TF graph is TF's;
(f) each side imports the other's files into the same nodes, ops and inputs.
"""

import logging

import numpy as np
import pytest
from google.protobuf import any_pb2

import torchmeta as tm
from tests.framework.meta_graph_helpers import assert_protos_equal, canonical_collections, normalized, summary, to_ours
from torchmeta._proto import queue_runner_pb2
from torchmeta.api import meta_graph_api as mg
from torchmeta.api.control_flow_ops import CondContext, WhileContext
from torchmeta.framework import meta_graph, registry
from torchmeta.framework.collection_objects import QueueRunner


@pytest.fixture
def tf_meta_graph(tf1):
    from tensorflow.python.framework import meta_graph as module

    return module


def _tf_proto(tf1, ours):
    from tensorflow.core.protobuf import meta_graph_pb2 as tf_meta_graph_pb2

    return tf_meta_graph_pb2.MetaGraphDef.FromString(ours.SerializeToString())


def _build_rich_tf_graph(tf1):
    """Placeholders, constants, MatMul/AddV2, variables, a queue runner, tf.cond, tf.while_loop, every kind
    of collection."""
    from tensorflow.core.protobuf import queue_runner_pb2 as tf_queue_runner_pb2

    x = tf1.placeholder(tf1.float32, [None, 3], name="x")
    w = tf1.constant([[1.0], [2.0], [3.0]], name="w")
    y = tf1.add(tf1.matmul(x, w), 1.0, name="y")
    tf1.Variable([1.0, 2.0], name="v")
    tf1.Variable(0, name="local", trainable=False, collections=[tf1.GraphKeys.LOCAL_VARIABLES])
    queue = tf1.FIFOQueue(10, tf1.float32, shapes=[[]], name="queue")
    tf1.train.add_queue_runner(tf1.train.QueueRunner(queue, [queue.enqueue(1.0, name="enq")]))
    s = tf1.placeholder(tf1.float32, [], name="s")
    tf1.cond(s > 0, lambda: s * 2.0, lambda: s - 1.0, name="cond")
    tf1.while_loop(lambda i: i < 10, lambda i: i + 1, [tf1.constant(0)], name="loop")
    tf1.add_to_collection("tensors", y)
    tf1.add_to_collection("ops", y.op)
    tf1.add_to_collection("strs", "hello")
    tf1.add_to_collection("strs", "s/inside")
    tf1.add_to_collection("bytes", b"raw-bytes")
    tf1.add_to_collection("ints", 3)
    tf1.add_to_collection("ints", 7)
    tf1.add_to_collection("floats", 1.5)
    tf1.add_to_collection("floats", 0.1)
    packed = any_pb2.Any()
    packed.Pack(tf_queue_runner_pb2.QueueRunnerDef(queue_name="q"))
    tf1.add_to_collection("anys", packed)
    tf1.add_to_collection("mixed", 3)
    tf1.add_to_collection("mixed", 3.5)


@pytest.fixture
def rich_tf_meta_file(tf1, tmp_path):
    path = str(tmp_path / "rich.meta")
    with tf1.Graph().as_default():
        _build_rich_tf_graph(tf1)
        tf1.train.export_meta_graph(path)
    return path


def _describe(item):
    """A comparable description of a collection item, for TF's objects and ours alike."""
    kind = type(item).__name__
    if hasattr(item, "value_index") and hasattr(item, "op"):
        return ("Tensor", item.name)
    if hasattr(item, "node_def") and hasattr(item, "type"):
        return ("Operation", item.name)
    if "Variable" in kind:
        return ("Variable", item.name, item.trainable)
    if kind == "QueueRunner":
        return (
            kind,
            item.queue.name,
            [op.name for op in item.enqueue_ops],
            item.close_op.name,
            item.cancel_op.name,
            [cls.__name__ for cls in item.queue_closed_exception_types],
        )
    if kind in ("CondContext", "WhileContext"):
        return (kind, item.name, item.to_proto().SerializeToString(deterministic=True))
    if hasattr(item, "type_url"):
        return ("Any", item.type_url, item.value)
    return (kind, item)


def _collections(graph):
    return {key: [_describe(x) for x in graph.get_collection(key)] for key in graph.get_all_collection_keys()}


# ---------------------------------------------------------------------------------------------
# (a) TF writes, we read


@pytest.mark.parametrize("import_scope", [None, "imp"])
def test_tf_written_collections_decode_like_tf(tf1, tf_meta_graph, rich_tf_meta_file, import_scope):
    with tf1.Graph().as_default() as tg:
        tf_vars = tf_meta_graph.import_scoped_meta_graph(rich_tf_meta_file, import_scope=import_scope)
        expected = _collections(tg)
        expected_keys = tg.get_all_collection_keys()
    with tm.Graph().as_default() as g:
        our_vars = meta_graph.import_scoped_meta_graph(rich_tf_meta_file, import_scope=import_scope)
        got = _collections(g)
        assert g.get_all_collection_keys() == expected_keys  # [E.55] trainable_variables first, then sorted
        assert summary(g) == summary(tg)
    assert got == expected
    assert sorted(our_vars) == sorted(tf_vars) == ["v:0"]
    assert {type(x) for x in g.get_collection("queue_runners")} == {QueueRunner}
    assert {type(x) for x in g.get_collection("cond_context")} == {CondContext}
    assert {type(x) for x in g.get_collection("while_context")} == {WhileContext}
    prefix = "imp/" if import_scope else ""
    assert got["strs"] == (
        [("str", prefix + "hello"), ("str", prefix + "s/inside")]
        if import_scope
        else [
            ("bytes", b"hello"),
            ("bytes", b"s/inside"),
        ]
    )
    assert got["tensors"] == [("Tensor", prefix + "y:0")]
    assert "mixed" not in got


def test_variables_are_shared_among_collections(tf1, tmp_path):  # [E.56, E.57]
    path = str(tmp_path / "m.meta")
    with tf1.Graph().as_default():
        v = tf1.Variable(1.0, name="v")
        tf1.add_to_collection(tf1.GraphKeys.MODEL_VARIABLES, v)
        tf1.add_to_collection(tf1.GraphKeys.METRIC_VARIABLES, v)
        tf1.train.export_meta_graph(path)
    with tm.Graph().as_default() as g:
        meta_graph.import_scoped_meta_graph(path)
        items = [
            g.get_collection(k)[0] for k in ("variables", "trainable_variables", "model_variables", "metric_variables")
        ]
    assert all(item is items[0] for item in items)
    assert isinstance(items[0], tm.Variable)


def test_old_files_ignore_variable_def_trainable(tf1, tf_meta_graph, tmp_path):  # [E.42]
    with tf1.Graph().as_default():
        tf1.Variable(1.0, name="a")
        tf1.Variable(2.0, name="b")
        mgd = to_ours(tf1.train.export_meta_graph())
    del mgd.collection_def["trainable_variables"].bytes_list.value[1]  # b is still trainable in its VariableDef
    results = []
    for version in ("1.8.0", "1.9.0", ""):
        mgd.meta_info_def.tensorflow_version = version
        for api, importer, proto in (
            (tf1, tf_meta_graph.import_scoped_meta_graph, _tf_proto(tf1, mgd)),
            (tm, meta_graph.import_scoped_meta_graph, mgd),
        ):
            with api.Graph().as_default() as g:
                importer(proto)
                results.append((version, api is tm, [(v.name, v.trainable) for v in g.get_collection("variables")]))
    for tf_result, our_result in zip(results[::2], results[1::2]):
        assert our_result[2] == tf_result[2]
    assert results[1][2] == [("a:0", True), ("b:0", False)]  # 1.8: only trainable_variables membership counts
    assert results[3][2] == [("a:0", True), ("b:0", True)]


def test_old_node_list_variable_collections_give_tensors(tf1, tf_meta_graph, caplog):  # [E.58]
    with tf1.Graph().as_default():
        tf1.Variable(1.0, name="v")
        mgd = to_ours(tf1.train.export_meta_graph())
    mgd.collection_def["local_variables"].node_list.value.append("v:0")
    results = []
    for api, importer, proto in (
        (tf1, tf_meta_graph.import_scoped_meta_graph, _tf_proto(tf1, mgd)),
        (tm, meta_graph.import_scoped_meta_graph, mgd),
    ):
        with api.Graph().as_default() as g, caplog.at_level(logging.WARNING):
            importer(proto, import_scope="imp")
            results.append(_collections(g)["local_variables"])
    assert results[1] == results[0] == [("Tensor", "imp/v:0")]
    assert "possibly from an older release" in caplog.text


# ---------------------------------------------------------------------------------------------
# (b) We write, TF reads and runs


def _build_here():
    x = tm.placeholder(tm.float32, [None, 3], name="x")
    w = tm.constant([[1.0], [2.0], [3.0]], name="w")
    y = tm.add(tm.matmul(x, w), 1.0, name="y")
    v = tm.Variable(tm.constant([[0.5], [0.25], [2.0]]), name="v")
    z = tm.matmul(x, v, name="z")
    tm.add_to_collection("tensors", y)
    tm.add_to_collection("ops", z.op)
    tm.add_to_collection("strs", "hello")
    tm.add_to_collection("ints", 3)
    tm.add_to_collection("floats", 0.1)
    packed = any_pb2.Any()
    packed.Pack(queue_runner_pb2.QueueRunnerDef(queue_name="q"))
    tm.add_to_collection("anys", packed)
    return x, y, z


@pytest.mark.parametrize("as_text", [False, True], ids=["binary", "text"])
def test_tf_loads_and_runs_our_meta_graph(tf1, tmp_path, as_text):
    path = str(tmp_path / ("m.pbtxt" if as_text else "m.meta"))
    feed = np.arange(6, dtype=np.float32).reshape(2, 3)
    with tm.Graph().as_default() as g:
        x, y, z = _build_here()
        mg.export_meta_graph(path, as_text=as_text)
        with tm.Session() as sess:
            sess.run(tm.global_variables_initializer())
            expected = sess.run([y, z], {x: feed})
    with tm.Graph().as_default() as g:
        tm.train.import_meta_graph(path)
        ours = _collections(g)
    with tf1.Graph().as_default() as tg:
        tf1.train.import_meta_graph(path)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            got = sess.run(["y:0", "z:0"], {"x:0": feed})
        theirs = _collections(tg)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert theirs == ours


# ---------------------------------------------------------------------------------------------
# (c) and (e) Round trips


def test_reexport_of_tf_written_meta_graph_equals_tfs_own(tf1, tf_meta_graph, rich_tf_meta_file):  # [C.34, D.38]
    """Cond graphs are not topologically sorted in TF's files, so TF's own import reorders them: we match TF."""
    with tf1.Graph().as_default():
        tf_meta_graph.import_scoped_meta_graph(rich_tf_meta_file)
        tf_again = to_ours(tf1.train.export_meta_graph())
    with tm.Graph().as_default():
        meta_graph.import_scoped_meta_graph(rich_tf_meta_file)
        ours = mg.export_meta_graph()
    assert_protos_equal(normalized(ours), normalized(tf_again))
    original = mg.read_meta_graph_file(rich_tf_meta_file)
    assert ours.meta_info_def.stripped_op_list == original.meta_info_def.stripped_op_list
    assert canonical_collections(ours) == canonical_collections(original)


def test_reexport_of_sorted_tf_graph_equals_the_original(tf1):  # [C.34]
    with tf1.Graph().as_default():
        x = tf1.placeholder(tf1.float32, [None, 3], name="x")
        v = tf1.Variable(tf1.ones([3, 2]), name="v")
        tf1.nn.relu(tf1.matmul(x, v), name="r")
        tf1.add_to_collection("floats", 0.25)
        original = to_ours(tf1.train.export_meta_graph())
    with tm.Graph().as_default():
        meta_graph.import_scoped_meta_graph(original)
        ours = mg.export_meta_graph()
    assert_protos_equal(normalized(ours), normalized(original))


# An op type torchmeta does not register (when it does one day, pick another one).
FOREIGN_OP = "MatrixSquareRoot"


def test_foreign_op_defs_are_exported_again(tf1, tmp_path):  # [D.38, D.39, D.41]
    assert FOREIGN_OP not in registry.registered_ops()
    with tf1.Graph().as_default():
        x = tf1.placeholder(tf1.float32, [2, 2], name="x")
        tf1.raw_ops.MatrixSquareRoot(input=x, name="foreign")
        path = str(tmp_path / "foreign.meta")
        tf1.train.export_meta_graph(filename=path)
    with tm.Graph().as_default() as g:
        meta_graph.import_scoped_meta_graph(path)
        assert FOREIGN_OP in g._foreign_op_defs
        ours = mg.export_meta_graph()
        with tm.Session() as sess, pytest.raises(tm.errors.UnsupportedOpError, match=FOREIGN_OP):
            sess.run("foreign:0", {"x:0": np.eye(2, dtype=np.float32)})
    assert FOREIGN_OP in [op.name for op in ours.meta_info_def.stripped_op_list.op]


# ---------------------------------------------------------------------------------------------
# (d) Scoped export/import, clear_devices, strip_default_attrs, clear_extraneous_savers


def _scoped_tf_graph(tf1):
    images = tf1.placeholder(tf1.float32, [None, 4], name="images")
    gate = tf1.constant(1.0, name="gate")
    with tf1.name_scope("hidden1"):
        w = tf1.Variable(tf1.ones([4, 2]), name="weights")
        with tf1.get_default_graph().control_dependencies([gate]):
            h = tf1.matmul(images, w, name="mm")
        tf1.nn.relu(h, name="relu")
    with tf1.name_scope("hidden10"):
        tf1.constant(1.0, name="other")
    with tf1.device("/cpu:0"), tf1.name_scope("hidden2"):
        w2 = tf1.Variable(tf1.ones([2, 1]), name="weights")
        tf1.matmul(h, w2, name="mm")
    tf1.add_to_collection("strs", "hidden1/x")
    tf1.add_to_collection("strs", "other")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"export_scope": "hidden1"},
        {"export_scope": "hidden2", "unbound_inputs_col_name": None},
        {"export_scope": "hidden1", "clear_devices": True},
        {"clear_devices": True},
        {"strip_default_attrs": True},
        {"export_scope": "hidden2", "strip_default_attrs": True, "collection_list": ["strs", "variables"]},
    ],
    ids=["scope", "scope-no-unbound-col", "scope-clear-devices", "clear-devices", "strip-defaults", "mixed"],
)
def test_scoped_exports_match_tf(tf1, tf_meta_graph, kwargs):  # [B.17, C.23-C.27, C.29, E.50]
    with tf1.Graph().as_default():
        _scoped_tf_graph(tf1)
        full = to_ours(tf1.train.export_meta_graph())
    # Both sides export from a graph imported from the same file (imported str items come back as bytes).
    with tf1.Graph().as_default() as tg:
        tf_meta_graph.import_scoped_meta_graph(_tf_proto(tf1, full))
        tf_scoped, tf_vars = tf_meta_graph.export_scoped_meta_graph(**kwargs)
        tf_unbound = tg.get_collection("unbound_inputs")
    with tm.Graph().as_default() as g:
        meta_graph.import_scoped_meta_graph(full)
        ours, our_vars = meta_graph.export_scoped_meta_graph(**kwargs)
        our_unbound = g.get_collection("unbound_inputs")
    assert_protos_equal(normalized(ours), normalized(to_ours(tf_scoped)))
    assert our_unbound == tf_unbound
    assert sorted(our_vars) == sorted(tf_vars)


def test_scoped_import_with_input_map_matches_tf(tf1, tf_meta_graph):  # [E.47-E.51]
    with tf1.Graph().as_default():
        _scoped_tf_graph(tf1)
        scoped, _ = tf_meta_graph.export_scoped_meta_graph(export_scope="hidden2")
    ours_proto = to_ours(scoped)
    results = []
    for api, module, proto in ((tf1, tf_meta_graph, scoped), (tm, meta_graph, ours_proto)):
        with api.Graph().as_default() as g:
            h = api.placeholder(api.float32, [None, 2], name="h")
            with pytest.raises(ValueError, match="Graph contains unbound inputs"):
                module.import_scoped_meta_graph(proto, import_scope="new")
            var_list = module.import_scoped_meta_graph(
                proto, import_scope="new", input_map={"$unbound_inputs_hidden1/mm": h}
            )
            results.append((summary(g), sorted(var_list), _collections(g)))
    assert results[1] == results[0]


def test_clear_extraneous_savers_matches_tf(tf1, tf_meta_graph):  # [C.28]
    with tf1.Graph().as_default():
        v = tf1.Variable(1.0, name="v")
        tf1.add_to_collection("savers", tf1.train.Saver([v], name="saver0"))
        saver1 = tf1.train.Saver([v], name="saver1")
        tf1.add_to_collection("savers", saver1)
        full = to_ours(tf1.train.export_meta_graph())
        tf_cleared = to_ours(saver1.export_meta_graph(clear_extraneous_savers=True))
        tf_plain = to_ours(saver1.export_meta_graph())
        saver_def = to_ours(saver1.as_saver_def(), type(full.saver_def))
    with tm.Graph().as_default() as g:
        meta_graph.import_scoped_meta_graph(full)
        # What Saver.export_meta_graph does: pass the graph's GraphDef (with shapes) and its SaverDef.
        graph_def = g.as_graph_def(add_shapes=True)
        ours = mg.export_meta_graph(graph_def=graph_def, saver_def=saver_def, clear_extraneous_savers=True)
        ours_plain = mg.export_meta_graph(graph_def=graph_def, saver_def=saver_def)
    assert_protos_equal(normalized(ours), normalized(tf_cleared))
    assert_protos_equal(normalized(ours_plain), normalized(tf_plain))
    assert len(ours.graph_def.node) < len(ours_plain.graph_def.node)
    assert not any(n.name.startswith("saver0/") for n in ours.graph_def.node)
    assert len(ours.collection_def["savers"].bytes_list.value) == 1


def test_strip_default_attrs_in_function_bodies_matches_tf(tf1):  # [C.29]
    from tensorflow.python.framework import function

    @function.Defun(tf1.float32)
    def body(x):
        return tf1.matmul(x, x, transpose_b=True) + tf1.matmul(x, x)

    with tf1.Graph().as_default():
        x = tf1.placeholder(tf1.float32, [2, 2], name="x")
        body(x)
        full = to_ours(tf1.train.export_meta_graph())
        tf_stripped = to_ours(tf1.train.export_meta_graph(strip_default_attrs=True))
    with tm.Graph().as_default():
        meta_graph.import_scoped_meta_graph(full)
        ours = mg.export_meta_graph(strip_default_attrs=True)
    assert_protos_equal(normalized(ours), normalized(tf_stripped))
    assert ours.meta_info_def.stripped_default_attrs


def test_clear_devices_on_import_matches_tf(tf1, tf_meta_graph):  # [E.54]
    with tf1.Graph().as_default():
        _scoped_tf_graph(tf1)
        full = tf1.train.export_meta_graph()
    ours_proto = to_ours(full)
    results = []
    for api, module, proto in ((tf1, tf_meta_graph, full), (tm, meta_graph, ours_proto)):
        with api.Graph().as_default() as g:
            module.import_scoped_meta_graph(proto, clear_devices=True)
            results.append((summary(g), [n.device for n in proto.graph_def.node]))
    assert results[1] == results[0]
    assert set(results[1][1]) == {""}


# ---------------------------------------------------------------------------------------------
# (f) Each side imports the other's file into the same graph


def test_both_import_each_others_files_into_the_same_graph(tf1, rich_tf_meta_file, tmp_path):
    ours_path = str(tmp_path / "ours.meta")
    with tm.Graph().as_default():
        _build_here()
        mg.export_meta_graph(ours_path)
    for path in (ours_path, rich_tf_meta_file):
        with tf1.Graph().as_default() as tg:
            tf1.train.import_meta_graph(path, import_scope="scope")
        with tm.Graph().as_default() as g:
            tm.train.import_meta_graph(path, import_scope="scope")
        assert summary(g) == summary(tg)  # both add the same default Saver subgraph
