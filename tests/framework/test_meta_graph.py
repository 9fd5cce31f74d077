"""export_meta_graph / import_meta_graph: MetaInfoDef, collections, scopes, files (reference Part 1, A.7-E.63).

Each test names the behaviours it checks (``[C.24]`` = item 24 of section C of
shared/reference/tf-formats-and-behaviour.md). TensorFlow is the reference wherever it can run the same
calls; test_meta_graph_tf_interop.py has the cross-checks on whole files.
"""

import importlib.util
import logging
import os

import pytest
from google.protobuf import any_pb2

import torchmeta as tm
from tests.framework.meta_graph_helpers import graph_def, summary, to_ours
from torchmeta._proto import control_flow_pb2, meta_graph_pb2, queue_runner_pb2, saver_pb2, variable_pb2
from torchmeta.api import meta_graph_api as mg
from torchmeta.api.control_flow_ops import CondContext, WhileContext
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import meta_graph
from torchmeta.framework.collection_objects import QueueRunner
from torchmeta.io import meta_graph as mg_io


def _simple_graph(api):
    """x -> MatMul(w) -> y = AddV2(., 1), a Variable v; the same names in TF and here."""
    x = api.placeholder(api.float32, [None, 3], name="x")
    w = api.constant([[1.0], [2.0], [3.0]], name="w")
    y = api.add(api.matmul(x, w), 1.0, name="y")
    v = api.Variable([1.0, 2.0], name="v")
    return x, y, v


# ---------------------------------------------------------------------------------------------
# A. Proto-function registry


def test_register_proto_function_checks_callables_and_lookups_of_unknown_keys_give_none():  # [A.7]
    with pytest.raises(TypeError):
        graph_lib.register_proto_function("tm_test_key", to_proto=3, from_proto=lambda p, import_scope=None: p)
    with pytest.raises(TypeError):
        graph_lib.register_proto_function("tm_test_key", to_proto=lambda x, export_scope=None: x, from_proto="x")
    assert graph_lib.get_to_proto_function("tm_never_registered") is None
    assert graph_lib.get_from_proto_function("tm_never_registered") is None
    assert graph_lib.get_collection_proto_type("tm_never_registered") is None


def test_built_in_registrations():  # [A.8]
    expected = {
        "variables": variable_pb2.VariableDef,
        "trainable_variables": variable_pb2.VariableDef,
        "moving_average_variables": variable_pb2.VariableDef,
        "local_variables": variable_pb2.VariableDef,
        "model_variables": variable_pb2.VariableDef,
        "global_step": variable_pb2.VariableDef,
        "metric_variables": variable_pb2.VariableDef,
        "queue_runners": queue_runner_pb2.QueueRunnerDef,
        "cond_context": control_flow_pb2.CondContextDef,
        "while_context": control_flow_pb2.WhileContextDef,
    }
    for key, proto_type in expected.items():
        assert graph_lib.get_collection_proto_type(key) is proto_type, key
        assert callable(graph_lib.get_to_proto_function(key))
        assert callable(graph_lib.get_from_proto_function(key))
    if importlib.util.find_spec("torchmeta.train") is None or importlib.util.find_spec("torchmeta.train.saver") is None:
        pytest.skip("the Saver (which registers 'savers') does not exist yet")
    importlib.import_module("torchmeta.train.saver")
    assert graph_lib.get_collection_proto_type("savers") is saver_pb2.SaverDef


def test_items_whose_to_proto_gives_none_are_left_out():  # [A.9, B.11]
    with tm.Graph().as_default() as g:
        a = tm.constant(1.0, name="a")
        inside = tm.constant(1.0, name="s/q")
        for queue in (a, inside):
            tm.add_to_collection(
                "queue_runners", QueueRunner(queue.op, [queue.op], close_op=queue.op, cancel_op=queue.op)
            )
        scoped, _ = meta_graph.export_scoped_meta_graph(export_scope="s", graph=g)
        full = mg.export_meta_graph()
    assert len(full.collection_def["queue_runners"].bytes_list.value) == 2
    qr = queue_runner_pb2.QueueRunnerDef.FromString(scoped.collection_def["queue_runners"].bytes_list.value[0])
    assert len(scoped.collection_def["queue_runners"].bytes_list.value) == 1
    assert (qr.queue_name, list(qr.enqueue_op_name), qr.close_op_name) == ("q", ["q"], "q")
    assert list(qr.queue_closed_exception_types) == [tm.errors.OUT_OF_RANGE]


# ---------------------------------------------------------------------------------------------
# B. Collections on export, compared with TF's CollectionDefs


def _fill_collections(api, proto_module):
    x, y, v = _simple_graph(api)
    g = api.get_default_graph()
    g.add_to_collection("tensors", y)
    g.add_to_collection("ops", y.op)
    g.add_to_collection("vars_unregistered", v)  # [B.15] "v:0"
    g.add_to_collection("strs", "hello")
    g.add_to_collection("strs", "s/inside")
    g.add_to_collection("bytes", b"\x00\xffraw")
    g.add_to_collection("ints", 3)
    g.add_to_collection("ints", 7)
    g.add_to_collection("floats", 1.5)
    g.add_to_collection("floats", 2)  # an int after a float fits a float_list
    g.add_to_collection("bools", True)
    g.add_to_collection("int_then_bool", 3)
    g.add_to_collection("int_then_bool", True)  # rejected by the current protobuf: whole collection dropped
    g.add_to_collection("int_then_float", 3)
    g.add_to_collection("int_then_float", 3.5)  # [B.13] dropped
    g.add_to_collection("int_then_str", 1)
    g.add_to_collection("int_then_str", "s")  # [B.13] dropped
    g.add_to_collection("objects", object())  # no .name: dropped with a warning
    qr_def = proto_module.QueueRunnerDef(queue_name="q")
    g.add_to_collection("proto_text", str(qr_def))  # [B.16]
    g.add_to_collection("proto_bytes", qr_def.SerializeToString())
    packed = any_pb2.Any()
    packed.Pack(qr_def)
    g.add_to_collection("anys", packed)
    g.get_collection_ref("empty")  # [B.14] exists but empty: not written
    g.add_to_collection(5, "non-string key")  # [B.10]
    return g


def test_collection_kinds_match_tf(tf1, caplog):  # [B.10-B.16, C.22]
    from tensorflow.core.protobuf import queue_runner_pb2 as tf_queue_runner_pb2

    with tf1.Graph().as_default():
        _fill_collections(tf1, tf_queue_runner_pb2)
        tf_meta = tf1.train.export_meta_graph()
    with tm.Graph().as_default(), caplog.at_level(logging.WARNING):
        _fill_collections(tm, queue_runner_pb2)
        ours = mg.export_meta_graph()
    assert dict(ours.collection_def) == dict(to_ours(tf_meta).collection_def)
    assert ours.collection_def["vars_unregistered"].node_list.value == ["v:0"]
    assert "bools" not in ours.collection_def  # the current protobuf rejects bools in int64 fields
    assert "int_then_float" not in ours.collection_def
    assert "Issue encountered when serializing int_then_str" in caplog.text
    with tm.Graph().as_default(), caplog.at_level(logging.WARNING):
        tm.add_to_collection(5, "x")
        assert not mg.export_meta_graph(collection_list=[5]).collection_def
    assert "Only collections with string type keys will be serialized" in caplog.text


def test_collection_list_selects_keys_and_ignores_missing_ones(tf1):  # [C.22]
    results = []
    for api, export in ((tf1, tf1.train.export_meta_graph), (tm, mg.export_meta_graph)):
        with api.Graph().as_default():
            _simple_graph(api)
            api.add_to_collection("a", 1)
            api.add_to_collection("b", 2)
            results.append(sorted(export(collection_list=["b", "trainable_variables", "nope"]).collection_def))
    assert results[1] == results[0] == ["b", "trainable_variables"]


def test_export_scope_filters_collection_items_like_tf(tf1):  # [B.17, C.24]
    from tensorflow.python.framework import meta_graph as tf_meta_graph

    results = []
    for api, export in ((tf1, tf_meta_graph.export_scoped_meta_graph), (tm, meta_graph.export_scoped_meta_graph)):
        with api.Graph().as_default():
            with api.name_scope("s"):
                t = api.constant(1.0, name="t")
            outside = api.constant(1.0, name="outside")
            for item in ("hello", "s/inside"):
                api.add_to_collection("strs", item)
            api.add_to_collection("ints", 4)
            api.add_to_collection("floats", 0.5)
            api.add_to_collection("nodes", t)
            api.add_to_collection("nodes", outside)
            api.add_to_collection("nodes", t.op)
            exported, _ = export(export_scope="s")
            results.append(to_ours(exported).collection_def)
    assert dict(results[1]) == dict(results[0])
    assert list(results[1]["strs"].bytes_list.value) == [b"s/inside"]  # kept, unstripped
    assert list(results[1]["nodes"].node_list.value) == ["t:0", "t"]
    assert list(results[1]["ints"].int64_list.value) == [4]


# ---------------------------------------------------------------------------------------------
# C. export_meta_graph


def test_returns_the_meta_graph_def_and_writes_only_with_a_filename(tmp_path):  # [C.18, C.19]
    with tm.Graph().as_default():
        _simple_graph(tm)
        cwd = os.getcwd()
        os.chdir(tmp_path)
        try:
            mgd = mg.export_meta_graph()
        finally:
            os.chdir(cwd)
        assert isinstance(mgd, meta_graph_pb2.MetaGraphDef)
        assert os.listdir(tmp_path) == []
        binary = tmp_path / "deep" / "er" / "m.meta"
        again = mg.export_meta_graph(str(binary))
        text_mgd = mg.export_meta_graph(str(tmp_path / "m.pbtxt"), as_text=True)
    assert (
        binary.read_bytes() == again.SerializeToString(deterministic=True) == mgd.SerializeToString(deterministic=True)
    )
    assert (tmp_path / "m.pbtxt").read_text().startswith("meta_info_def {")
    assert mg_io.read_meta_graph_file(tmp_path / "m.pbtxt") == text_mgd == mgd
    assert sorted(os.listdir(binary.parent)) == ["m.meta"]


def test_every_node_with_outputs_has_output_shapes():  # [C.20]
    with tm.Graph().as_default():
        _simple_graph(tm)
        tm.no_op(name="nothing")
        mgd = mg.export_meta_graph()
    for node in mgd.graph_def.node:
        assert ("_output_shapes" in node.attr) == (node.op != "NoOp"), node.name
    shapes = {n.name: n.attr["_output_shapes"].list.shape for n in mgd.graph_def.node}
    assert [d.size for d in shapes["y"][0].dim] == [-1, 1]


def test_saver_def_only_when_given():  # [C.21]
    saver_def = saver_pb2.SaverDef(
        filename_tensor_name="save/Const:0",
        save_tensor_name="save/control_dependency:0",
        restore_op_name="save/restore_all",
    )
    with tm.Graph().as_default():
        _simple_graph(tm)
        assert not mg.export_meta_graph().HasField("saver_def")
        assert mg.export_meta_graph(saver_def=saver_def).saver_def == saver_def


def test_clear_devices_on_export_for_graph_and_graph_def_paths():  # [C.23, C.33]
    with tm.Graph().as_default() as g:
        with tm.device("/cpu:0"):
            _simple_graph(tm)
        from_graph = mg.export_meta_graph(clear_devices=True)
        full = mg.export_meta_graph()
        from_graph_def = mg.export_meta_graph(graph_def=full.graph_def, clear_devices=True)
    assert any(n.device for n in full.graph_def.node)
    assert not any(n.device for n in from_graph.graph_def.node)
    assert not any(n.device for n in from_graph_def.graph_def.node)
    assert list(from_graph.graph_def.node) == list(from_graph_def.graph_def.node)
    # As in TF, the graph_def path copies the (empty) library field, the graph path only a real one.
    assert (from_graph.graph_def.HasField("library"), from_graph_def.graph_def.HasField("library")) == (False, True)
    assert g.get_operation_by_name("x").device == "/device:CPU:0"  # the graph itself is untouched


def _scoped_graph(api, control=False):
    """images -> hidden1/{weights, mm, out}; hidden10/other; with ``control``, mm also waits for ``gate``."""
    images = api.placeholder(api.float32, [None, 4], name="images")
    gate = api.constant(1.0, name="gate")
    with api.name_scope("hidden1"):
        w = api.Variable(api.constant([[1.0], [2.0], [3.0], [4.0]]), name="weights")
        with api.control_dependencies([gate] if control else []):
            h = api.matmul(images, w, name="mm")
        api.add(h, 1.0, name="out")
    with api.name_scope("hidden10"):
        api.constant(1.0, name="other")
    with api.name_scope("block"):  # self-contained: no inputs from outside
        v = api.Variable(api.constant([1.0, 2.0]), name="v")
        api.add(v, 1.0, name="out")
    return images


def test_export_scope_strips_names_and_marks_unbound_inputs():  # [C.24, C.25, C.26]
    with tm.Graph().as_default() as g:
        _scoped_graph(tm, control=True)
        g.add_to_collection("unbound_inputs", "stale")
        mgd, var_list = meta_graph.export_scoped_meta_graph(export_scope="hidden1")
        assert g.get_collection("unbound_inputs") == ["$unbound_inputs_images", "^$unbound_inputs_gate"]
        meta_graph.export_scoped_meta_graph(export_scope="hidden1", unbound_inputs_col_name=None)
    names = [n.name for n in mgd.graph_def.node]
    assert "weights" in names and "hidden10/other" in names  # "hidden1" is a plain prefix of "hidden10/..."
    mm = next(n for n in mgd.graph_def.node if n.name == "mm")
    assert list(mm.input) == ["$unbound_inputs_images", "weights/read", "^$unbound_inputs_gate"]
    # As in TF, the exported collection loses the "^" entry: _should_include_node drops names that start with
    # neither the scope nor "$unbound_inputs_" (checked against TF in test_meta_graph_tf_interop.py).
    assert list(mgd.collection_def["unbound_inputs"].bytes_list.value) == [b"$unbound_inputs_images"]
    assert list(var_list) == ["weights:0"]
    assert list(mgd.collection_def["variables"].bytes_list.value) != []


def test_colocation_and_frame_names_follow_the_export_scope():  # [C.27]
    text = (
        "node { name: 'a' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } } "
        "attr { key: 'value' value { tensor { dtype: DT_FLOAT tensor_shape { } float_val: 1 } } } }"
        "node { name: 's/b' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } } "
        "attr { key: '_class' value { list { s: 'loc:@a' s: 'loc:@s/b' } } } "
        "attr { key: 'value' value { tensor { dtype: DT_FLOAT tensor_shape { } float_val: 1 } } } }"
        "node { name: 's/e' op: 'Enter' input: 's/b' attr { key: 'T' value { type: DT_FLOAT } } "
        "attr { key: 'frame_name' value { s: 's/frame' } } }"
    )
    out, _ = meta_graph.export_scoped_meta_graph(graph_def=graph_def(text), export_scope="s", collection_list=[])
    b, e = out.graph_def.node
    assert list(b.attr["_class"].list.s) == [b"loc:@b"]
    assert e.attr["frame_name"].s == b"frame"
    assert [n.name for n in out.graph_def.node] == ["b", "e"]  # [C.35] graph_def and export_scope together


def test_strip_default_attrs_in_graph_and_function_bodies():  # [C.29, D.40]
    library = (
        "library { function { signature { name: 'F' input_arg { name: 'x' type: DT_FLOAT } "
        "output_arg { name: 'y' type: DT_FLOAT } } node_def { name: 'm' op: 'MatMul' input: 'x' input: 'x' "
        "attr { key: 'T' value { type: DT_FLOAT } } attr { key: 'transpose_a' value { b: false } } "
        "attr { key: 'transpose_b' value { b: true } } } ret { key: 'y' value: 'm:product:0' } } }"
    )
    text = (
        "node { name: 'x' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } }"
        "node { name: 'u' op: 'NotRegisteredAnywhere' attr { key: 'k' value { i: 0 } } }" + library
    )
    with tm.Graph().as_default():
        plain = mg.export_meta_graph(graph_def=graph_def(text))
        stripped = mg.export_meta_graph(graph_def=graph_def(text), strip_default_attrs=True)
    assert not plain.meta_info_def.stripped_default_attrs
    assert stripped.meta_info_def.stripped_default_attrs
    x, u = stripped.graph_def.node
    assert sorted(x.attr) == ["dtype"]  # shape = unknown_rank is the default
    assert sorted(u.attr) == ["k"]  # unregistered: left alone [C.29]
    body = stripped.graph_def.library.function[0].node_def[0]
    assert sorted(body.attr) == ["T", "transpose_b"]
    assert stripped.graph_def.library.function[0].signature.name == "F"  # [C.33]
    # F is called by no node, so its MatMul is not "used"; the unregistered op is left out [D.38, D.39].
    assert [op.name for op in stripped.meta_info_def.stripped_op_list.op] == ["Placeholder"]


def test_save_debug_info_writes_dot_debug(tmp_path):  # [C.30]
    from torchmeta._proto import graph_debug_info_pb2

    with tm.Graph().as_default():
        _simple_graph(tm)
        mg.export_meta_graph(str(tmp_path / "model.ckpt.meta"), save_debug_info=True)
        mg.export_meta_graph(str(tmp_path / "t.pbtxt"), as_text=True, save_debug_info=True)
        mg.export_meta_graph(str(tmp_path / "plain.meta"))
    assert sorted(os.listdir(tmp_path)) == ["model.ckpt.debug", "model.ckpt.meta", "plain.meta", "t.debug", "t.pbtxt"]
    info = graph_debug_info_pb2.GraphDebugInfo.FromString((tmp_path / "model.ckpt.debug").read_bytes())
    assert "y@" in info.name_to_trace_id
    assert (tmp_path / "t.debug").read_text().startswith(("name_to_trace_id", "traces_by_id"))


# ---------------------------------------------------------------------------------------------
# D. MetaInfoDef


def test_meta_info_def_fields():  # [D.36, D.37, D.38]
    info = meta_graph_pb2.MetaGraphDef.MetaInfoDef(
        meta_graph_version="v7", tags=["serve", "train"], tensorflow_version="0.1", tensorflow_git_version="caller"
    )
    info.function_aliases["f"] = "g"
    info.any_info.Pack(saver_pb2.SaverDef(max_to_keep=3))
    with tm.Graph().as_default():
        _simple_graph(tm)
        mgd = mg.export_meta_graph(meta_info_def=info)
        bare = mg.export_meta_graph()
    got = mgd.meta_info_def
    assert (got.tensorflow_version, got.tensorflow_git_version) == ("2.21.0", f"torchmeta-{tm.__version__}")
    assert (got.meta_graph_version, list(got.tags), dict(got.function_aliases)) == (
        "v7",
        ["serve", "train"],
        {"f": "g"},
    )
    assert got.any_info == info.any_info
    assert not bare.meta_info_def.tags and not bare.meta_info_def.HasField("any_info")
    ops = [op.name for op in got.stripped_op_list.op]
    assert ops == sorted(ops) == ["AddV2", "Assign", "Const", "Identity", "MatMul", "Placeholder", "VariableV2"]
    assert all(not op.summary and not op.description for op in got.stripped_op_list.op)


def test_stripped_op_list_matches_tf_and_follows_functions_recursively(tf1):  # [D.38]
    from tensorflow.python.framework import function

    @function.Defun(tf1.float32)
    def inner(x):
        return tf1.matmul(x, x)

    @function.Defun(tf1.float32)
    def outer(x):
        return inner(x) + 1.0

    with tf1.Graph().as_default():
        x = tf1.placeholder(tf1.float32, [2, 2], name="x")
        outer(x)
        tf_meta = to_ours(tf1.train.export_meta_graph())
    with tm.Graph().as_default() as g:
        tm.train.import_meta_graph(tf_meta)
        ours = mg.export_meta_graph()
    assert ours.meta_info_def.stripped_op_list == tf_meta.meta_info_def.stripped_op_list
    used = [op.name for op in ours.meta_info_def.stripped_op_list.op]
    assert "BatchMatMulV2" in used and "AddV2" in used  # from the bodies of outer and of inner, which outer calls
    assert ours.graph_def.library == tf_meta.graph_def.library
    with g.as_default():  # [C.33] the library survives the scoped (filtering) path too
        scoped, _ = meta_graph.export_scoped_meta_graph(export_scope="x", clear_devices=True)
    assert scoped.graph_def.library == tf_meta.graph_def.library
    assert sorted(g._library.names()) == sorted(f.signature.name for f in tf_meta.graph_def.library.function)


# ---------------------------------------------------------------------------------------------
# E. import


def test_import_scope_prefixes_and_is_made_unique(tf1):  # [E.47, E.48, E.49, E.50]
    from tensorflow.python.framework import meta_graph as tf_meta_graph

    with tf1.Graph().as_default():
        _scoped_graph(tf1)
        tf1.add_to_collection("nodes", tf1.get_default_graph().get_tensor_by_name("hidden1/out:0"))
        source = to_ours(tf1.train.export_meta_graph())
    results = []
    for api, importer in ((tf1, tf_meta_graph.import_scoped_meta_graph), (tm, meta_graph.import_scoped_meta_graph)):
        proto = source if api is tm else meta_graph_pb2_for_tf(source)
        with api.Graph().as_default() as g:
            var_lists = [importer(proto, import_scope="s"), importer(proto, import_scope="s")]
            with api.name_scope("foo"):
                var_lists.append(importer(proto))
                var_lists.append(importer(proto, import_scope="bar"))
            results.append(
                (
                    summary(g),
                    [sorted((k, v.name) for k, v in vl.items()) for vl in var_lists],
                    [t.name for t in g.get_collection("nodes")],
                    [op.get_attr("_class") for op in g.get_operations() if op.name.endswith("weights/read")],
                )
            )
    assert results[1] == results[0]
    assert results[1][2] == ["s/hidden1/out:0", "s_1/hidden1/out:0", "foo/hidden1/out:0", "foo/bar/hidden1/out:0"]
    assert results[1][1][0] == [("block/v:0", "s/block/v:0"), ("hidden1/weights:0", "s/hidden1/weights:0")]


def meta_graph_pb2_for_tf(ours):
    from tensorflow.core.protobuf import meta_graph_pb2 as tf_meta_graph_pb2

    return tf_meta_graph_pb2.MetaGraphDef.FromString(ours.SerializeToString())


def test_unbound_inputs_need_exactly_the_listed_keys(tf1):  # [E.51, E.52, E.53]
    from tensorflow.python.framework import meta_graph as tf_meta_graph

    with tm.Graph().as_default():
        _scoped_graph(tm)
        scoped, _ = meta_graph.export_scoped_meta_graph(export_scope="hidden1")
    for api, importer, proto in (
        (tf1, tf_meta_graph.import_scoped_meta_graph, meta_graph_pb2_for_tf(scoped)),
        (tm, meta_graph.import_scoped_meta_graph, scoped),
    ):
        with api.Graph().as_default() as g:
            images = api.placeholder(api.float32, [None, 4], name="new_images")
            with pytest.raises(ValueError) as info:
                importer(proto, import_scope="new")
            assert str(info.value) == (
                "Graph contains unbound inputs: $unbound_inputs_images. Must provide these inputs through input_map."
            )
            with pytest.raises(ValueError, match="Graph contains unbound inputs"):
                importer(proto, input_map={"$unbound_inputs_images": images, "extra:0": images}, import_scope="new")
            var_list = importer(proto, input_map={"$unbound_inputs_images": images}, import_scope="new")
            assert sorted(var_list) == ["weights:0"]
            assert [t.name for t in g.get_operation_by_name("new/mm").inputs] == ["new_images:0", "new/weights/read:0"]
            assert "unbound_inputs" not in g.get_all_collection_keys()
            # With unbound_inputs_col_name=None nothing is checked: the import itself then fails.
            with pytest.raises(ValueError, match="unbound_inputs_images"):
                importer(proto, import_scope="new", unbound_inputs_col_name=None)
    with tm.Graph().as_default():
        images = tm.placeholder(tm.float32, [None, 4])
        with pytest.raises(ValueError, match=r"Attempted to map inputs that were not found in graph_def: \[nope:0\]"):
            meta_graph.import_scoped_meta_graph(
                scoped, input_map={"$unbound_inputs_images": images, "nope:0": images}, unbound_inputs_col_name=None
            )


def test_unbound_control_inputs_need_the_check_disabled(tf1):  # [C.25, E.51, E.52] TF's quirk, mirrored
    from tensorflow.python.framework import meta_graph as tf_meta_graph

    results = []
    for api, module in ((tf1, tf_meta_graph), (tm, meta_graph)):
        with api.Graph().as_default():
            _scoped_graph(api, control=True)
            scoped, _ = module.export_scoped_meta_graph(export_scope="hidden1")
        with api.Graph().as_default() as g:
            images = api.placeholder(api.float32, [None, 4], name="new_images")
            gate = api.constant(0.0, name="new_gate")
            full_map = {"$unbound_inputs_images": images, "^$unbound_inputs_gate": gate}
            with pytest.raises(ValueError, match="Graph contains unbound inputs"):
                module.import_scoped_meta_graph(scoped, input_map=full_map, import_scope="new")
            module.import_scoped_meta_graph(
                scoped, input_map=full_map, import_scope="new", unbound_inputs_col_name=None
            )
            results.append((to_ours(scoped), summary(g)))
    assert results[1][1] == results[0][1]
    assert ("new/mm", "MatMul", ["new_images:0", "new/weights/read:0"], ["new_gate"], "") in results[1][1]
    assert results[1][0].graph_def == results[0][0].graph_def


def test_clear_devices_on_import_mutates_the_callers_proto():  # [E.54]
    with tm.Graph().as_default():
        with tm.device("/cpu:0"):
            _simple_graph(tm)
        mgd = mg.export_meta_graph()
    assert all(n.device for n in mgd.graph_def.node)
    with tm.Graph().as_default() as g:
        tm.train.import_meta_graph(mgd, clear_devices=True)
    # The default Saver import_meta_graph adds puts RestoreV2 on the CPU, as in TF; imported ops have no device.
    assert not any(op.device for op in g.get_operations() if not op.name.startswith("save/"))
    assert not any(n.device for n in mgd.graph_def.node)


def test_collections_restore_order_and_predicate(tf1):  # [E.55, E.60]
    from tensorflow.python.framework import meta_graph as tf_meta_graph

    with tm.Graph().as_default():
        _simple_graph(tm)
        for key in ("zeta", "alpha", "mid"):
            tm.add_to_collection(key, 1)
        mgd = mg.export_meta_graph()
    mgd.collection_def["no_kind"].SetInParent()
    keys = []
    for api, importer, proto in (
        (tf1, tf_meta_graph.import_scoped_meta_graph, meta_graph_pb2_for_tf(mgd)),
        (tm, meta_graph.import_scoped_meta_graph, mgd),
    ):
        with api.Graph().as_default() as g:
            importer(proto, restore_collections_predicate=lambda key: key != "mid")
            keys.append(list(g.get_all_collection_keys()))
    assert keys[1] == keys[0] == ["trainable_variables", "alpha", "variables", "zeta"]


def test_kindless_collection_logs_an_error(caplog):  # [E.60]
    mgd = meta_graph_pb2.MetaGraphDef()
    mgd.collection_def["no_kind"].SetInParent()
    with tm.Graph().as_default() as g, caplog.at_level(logging.ERROR):
        meta_graph.import_scoped_meta_graph(mgd)
    assert "Cannot identify data type for collection no_kind" in caplog.text
    assert g.get_all_collection_keys() == []


def test_unregistered_collection_values_with_and_without_scope(tf1):  # [E.59]
    from tensorflow.python.framework import meta_graph as tf_meta_graph

    with tm.Graph().as_default():
        _simple_graph(tm)
        tm.add_to_collection("strs", "hello")
        tm.add_to_collection("bytes", b"b/raw")
        tm.add_to_collection("ints", 3)
        tm.add_to_collection("floats", 0.5)
        packed = any_pb2.Any()
        packed.Pack(queue_runner_pb2.QueueRunnerDef(queue_name="q"))
        tm.add_to_collection("anys", packed)
        mgd = mg.export_meta_graph()
    for scope, expected_strs in ((None, [b"hello"]), ("imp", ["imp/hello"])):
        values = []
        for api, importer, proto in (
            (tf1, tf_meta_graph.import_scoped_meta_graph, meta_graph_pb2_for_tf(mgd)),
            (tm, meta_graph.import_scoped_meta_graph, mgd),
        ):
            with api.Graph().as_default() as g:
                importer(proto, import_scope=scope)
                anys = [(a.type_url, a.value) for a in g.get_collection("anys")]
                values.append(
                    [g.get_collection(k) for k in ("strs", "bytes", "ints", "floats")]
                    + [anys, type(g.get_collection("ints")[0])]
                )
        assert values[1] == values[0]
        assert values[1][0] == expected_strs
    with tm.Graph().as_default() as g:
        meta_graph.import_scoped_meta_graph(mgd)
        assert isinstance(g.get_collection("anys")[0], any_pb2.Any)


def test_non_utf8_bytes_with_an_import_scope_are_kept(caplog):  # [E.59] TF crashes here
    mgd = meta_graph_pb2.MetaGraphDef()
    mgd.collection_def["raw"].bytes_list.value.append(b"\xff\x00")
    with tm.Graph().as_default() as g, caplog.at_level(logging.WARNING):
        meta_graph.import_scoped_meta_graph(mgd, import_scope="imp")
    assert g.get_collection("raw") == [b"\xff\x00"]
    assert "not UTF-8" in caplog.text


def test_copy_scoped_meta_graph(tf1):  # [E.63]
    from tensorflow.python.framework import meta_graph as tf_meta_graph

    results = []
    for api, module in ((tf1, tf_meta_graph), (tm, meta_graph)):
        with api.Graph().as_default() as g:
            _scoped_graph(api)
            with pytest.raises(ValueError, match="need to be different"):
                module.copy_scoped_meta_graph("hidden1", "hidden1")
            var_list = module.copy_scoped_meta_graph("block", "copy")
            results.append((summary(g), sorted((k, v.name) for k, v in var_list.items())))
    assert results[1] == results[0]
    assert results[1][1] == [("v:0", "copy/v:0")]


def test_import_meta_graph_kwargs_and_saver():  # [E.63, E.44-E.46]
    with tm.Graph().as_default():
        _simple_graph(tm)
        mgd = mg.export_meta_graph()
    with pytest.raises(TypeError, match="unexpected keyword"):
        tm.train.import_meta_graph(mgd, bogus=1)
    target = tm.Graph()
    tm.train.import_meta_graph(mgd, graph=target, restore_collections_predicate=lambda k: k != "variables")
    assert [op.name for op in target.get_operations()][:2] == ["x", "w"]
    assert target.get_all_collection_keys() == ["trainable_variables"]

    # With variables imported and no SaverDef, a default Saver is built in the graph imported into.
    other = tm.Graph()
    saver = tm.train.import_meta_graph(mgd, import_scope="imp", graph=other)
    assert isinstance(saver, tm.train.Saver)
    save_op = saver.saver_def.save_tensor_name.split(":")[0]
    assert other.get_operation_by_name(save_op).graph is other
    assert [v.op.name for v in other.get_collection("variables")] == ["imp/v"]


def test_round_trip_of_graphs_built_here_is_byte_identical():  # [C.34]
    with tm.Graph().as_default():
        _scoped_graph(tm)
        tm.add_to_collection("strs", "hello")
        tm.add_to_collection("floats", 0.1)
        tm.add_to_collection("tensors", tm.get_default_graph().get_tensor_by_name("hidden1/out:0"))
        a = tm.constant(1.0, name="queue")
        tm.add_to_collection("queue_runners", QueueRunner(a.op, [a.op], close_op=a.op, cancel_op=a.op))
        first = mg.export_meta_graph(strip_default_attrs=False)
        scoped, _ = meta_graph.export_scoped_meta_graph(export_scope="hidden1")
    with tm.Graph().as_default():
        # The scoped import: import_meta_graph would also add a default Saver's ops, as TF's does.
        meta_graph.import_scoped_meta_graph(first)
        second = mg.export_meta_graph()
    assert second.SerializeToString(deterministic=True) == first.SerializeToString(deterministic=True)
    with tm.Graph().as_default():
        images = tm.placeholder(tm.float32, [None, 4], name="images")
        meta_graph.import_scoped_meta_graph(
            scoped, input_map={"$unbound_inputs_images": images}, import_scope="hidden1"
        )
        again, _ = meta_graph.export_scoped_meta_graph(export_scope="hidden1")
    assert again.graph_def == scoped.graph_def


def test_queue_runner_and_context_protos_round_trip_with_scopes():  # [E.61]
    with tm.Graph().as_default():
        q = tm.constant(1.0, name="imp/q")
        e = tm.identity(q, name="imp/enq")
        qr_def = queue_runner_pb2.QueueRunnerDef(
            queue_name="q",
            enqueue_op_name=["enq"],
            close_op_name="q",
            cancel_op_name="enq",
            queue_closed_exception_types=[tm.errors.OUT_OF_RANGE, tm.errors.CANCELLED],
        )
        qr = QueueRunner.from_proto(qr_def, import_scope="imp")
        assert (qr.queue, qr.enqueue_ops, qr.cancel_op) == (q.op, [e.op], e.op)
        assert qr.queue_closed_exception_types == (tm.errors.OutOfRangeError, tm.errors.CancelledError)
        assert qr.to_proto(export_scope="imp") == qr_def
        assert qr.to_proto(export_scope="other") is None
        # Contexts refer to graph elements (TF resolves them on import).
        for name in ("imp/c/p", "imp/c/pv", "imp/c/z", "imp/c/a", "imp/x", "imp/c/q", "imp/c/qv"):
            tm.constant(1.0, name=name)
        for name in ("imp/w/p", "imp/w/e", "imp/w/n", "imp/w/pp", "imp/w/pb"):
            tm.constant(1.0, name=name)
        cond_def = control_flow_pb2.CondContextDef(
            context_name="c/ctx", pred_name="c/p:0", pivot_name="c/pv:0", branch=1
        )
        cond_def.values_def.values.extend(["c/z:0", "c/a:0"])
        cond_def.values_def.external_values["c/a:0"] = "x:0"
        nested = cond_def.nested_contexts.add().cond_ctxt
        nested.CopyFrom(control_flow_pb2.CondContextDef(context_name="c/ctx2", pred_name="c/q:0", pivot_name="c/qv:0"))
        ctx = CondContext.from_proto(cond_def, import_scope="imp")
        assert ctx.name == "imp/c/ctx"
        assert ctx._values == {"imp/c/z:0", "imp/c/a:0"}
        assert tm.get_default_graph().get_operation_by_name("imp/c/z")._get_control_flow_context() is ctx
        back = ctx.to_proto(export_scope="imp")
        assert list(back.values_def.values) == ["c/a:0", "c/z:0"]  # sorted, as TF writes them
        assert back.nested_contexts[0].cond_ctxt.context_name == "imp/c/ctx2"  # TF keeps nested names unstripped
        assert ctx.to_proto(export_scope="other") is None
        while_def = control_flow_pb2.WhileContextDef(
            context_name="w",
            pivot_name="w/p:0",
            pivot_for_pred_name="w/pp:0",
            pivot_for_body_name="w/pb:0",
            loop_exit_names=["w/e:0"],
            loop_enter_names=["w/n:0"],
        )
        while_def.values_def.SetInParent()  # TF always writes it
        assert WhileContext.from_proto(while_def, "imp").to_proto("imp") == while_def
        assert WhileContext.from_proto(while_def, "imp").to_proto("zzz") is None


def test_import_meta_graph_of_a_bad_file_raises_format_error(tmp_path):  # [E.43]
    path = tmp_path / "junk.meta"
    path.write_bytes(b"\x00\x01\x02 nonsense \xff")
    with pytest.raises(tm.errors.FormatError, match="Cannot parse file"), tm.Graph().as_default():
        tm.train.import_meta_graph(str(path))
    with pytest.raises(OSError, match="File does not exist"), tm.Graph().as_default():
        tm.train.import_meta_graph(str(tmp_path / "missing.meta"))
    with pytest.raises(tm.errors.FormatError), tm.Graph().as_default():
        meta_graph.import_scoped_meta_graph(str(tmp_path / "missing.meta"))
