"""import_graph_def against TensorFlow's: order, naming, input_map, return_elements, errors, attrs, shapes."""

import logging

import numpy as np
import pytest

import torchmeta as tm
from tests.framework.meta_graph_helpers import const, graph_def, identity, summary, tf_graph_def, to_ours
from torchmeta import errors
from torchmeta._proto import graph_pb2, op_def_pb2
from torchmeta.framework.importer import import_graph_def

BASE = const("a", extra="device: '/cpu:0'") + identity("b", "a")


def _both(tf1, text, build=None, **kwargs):
    """Imports ``text`` with TF and with torchmeta, after ``build(api, graph)``; returns both summaries."""
    results = []
    for api, make_graph_def, importer in (
        (tf1, lambda t: tf_graph_def(tf1, t), tf1.import_graph_def),
        (tm, graph_def, import_graph_def),
    ):
        with api.Graph().as_default() as g:
            if build is not None:
                build(api, g, lambda imp=importer, make=make_graph_def, **kw: imp(make(text), **{**kwargs, **kw}))
            else:
                importer(make_graph_def(text), **kwargs)
            results.append(summary(g))
    return results


def _errors_both(tf1, text, **kwargs):
    """The messages TF and torchmeta raise (both must raise ValueError) for importing ``text``."""
    messages = []
    for api, make_graph_def, importer in (
        (tf1, lambda t: tf_graph_def(tf1, t), tf1.import_graph_def),
        (tm, graph_def, import_graph_def),
    ):
        with api.Graph().as_default(), pytest.raises(ValueError) as info:
            importer(make_graph_def(text), **kwargs)
        messages.append(str(info.value))
    return messages


# ---------------------------------------------------------------------------------------------
# Order and names


def test_nodes_in_any_order_are_created_in_tf_order(tf1):
    text = identity("b", "a") + const("z") + const("a") + identity("c", "z", "^b", "^a")
    tf_ops, our_ops = _both(tf1, text, name="")
    assert [op[0] for op in our_ops] == ["z", "a", "b", "c"]
    assert our_ops == tf_ops


def test_prefixes_and_uniquified_names_match_tf(tf1):
    def build(api, g, do_import):
        do_import(name="")
        do_import(name="")  # a -> a_1, b -> b_1
        do_import()  # import/...
        do_import(name="import")  # import_1/...
        do_import(name="x/")  # reuses scope x as is
        with api.name_scope("outer"):
            do_import()
            do_import(name="s")
            do_import(name="")  # root again
        api.constant(1.0, name="q")
        do_import(name="q/")
        api.constant(1.0, name="m/x")
        do_import(name="m")  # m exists as a prefix: m_1

    tf_ops, our_ops = _both(tf1, BASE, build)
    assert our_ops == tf_ops
    assert ("a_1", "Const", [], [], "/device:CPU:0") in our_ops


def test_existing_names_and_prefixes_make_imported_names_unique(tf1):
    def build(api, g, do_import):
        api.constant(1.0, name="a/x")
        api.constant(1.0, name="import")
        do_import(name="")
        do_import()

    tf_ops, our_ops = _both(tf1, BASE, build)
    assert our_ops == tf_ops
    assert [op[0] for op in our_ops] == ["a/x", "import", "a_1", "b", "import_1/a", "import_1/b"]


def test_uniquified_names_update_inputs_and_colocation(tf1):
    text = const("a") + identity("b", "a", extra="attr { key: '_class' value { list { s: 'loc:@a' } } }")
    tf_class, our_class = [], []
    for api, make, imp, out in (
        (tf1, lambda t: tf_graph_def(tf1, t), tf1.import_graph_def, tf_class),
        (tm, graph_def, import_graph_def, our_class),
    ):
        with api.Graph().as_default() as g:
            imp(make(text), name="")
            imp(make(text), name="")
            out.extend((op.name, list(op.get_attr("_class"))) for op in g.get_operations() if op.type == "Identity")
    assert our_class == tf_class == [("b", [b"loc:@a"]), ("b_1", [b"loc:@a_1"])]


# ---------------------------------------------------------------------------------------------
# Devices, colocation, control dependencies


def test_devices_are_canonical_and_nest_in_device_scopes(tf1):
    text = BASE + identity("c", "b", extra="device: '/job:w/replica:0/task:1/device:GPU:0'")

    def build(api, g, do_import):
        do_import(name="plain")
        with g.device("/job:ps/device:GPU:1"):
            do_import(name="scoped")

    tf_ops, our_ops = _both(tf1, text, build)
    assert our_ops == tf_ops
    assert ("scoped/a", "Const", [], [], "/job:ps/device:CPU:0") in our_ops


def test_colocated_ops_take_the_device_of_their_target(tf1):
    coloc = "attr { key: '_class' value { list { s: 'loc:@a' } } } device: '/gpu:0'"
    with_device = const("a", extra="device: '/cpu:0'") + identity("b", "a", extra=coloc)
    without_device = const("a") + identity("b", "a", extra=coloc)

    for text in (with_device, without_device):
        tf_ops, our_ops = _both(tf1, text, name="p")
        assert our_ops == tf_ops
    with tm.Graph().as_default() as g:
        import_graph_def(graph_def(with_device), name="p")
        assert g.get_operation_by_name("p/b").get_attr("_class") == [b"loc:@p/a"]


def test_colocate_with_scope_applies_to_imported_ops(tf1):
    def build(api, g, do_import):
        k = api.constant(1.0, name="k")
        with g.colocate_with(k.op):
            do_import()

    tf_ops, our_ops = _both(tf1, BASE, build)
    assert our_ops == tf_ops
    with tm.Graph().as_default() as g:
        k = tm.constant(1.0, name="k")
        with g.colocate_with(k.op):
            import_graph_def(graph_def(BASE))
        assert g.get_operation_by_name("import/b").get_attr("_class") == [b"loc:@k"]


def test_unknown_colocation_target_is_an_error(tf1):
    text = BASE + identity("c", "a", extra="attr { key: '_class' value { list { s: 'loc:@zz' } } }")
    tf_message, our_message = _errors_both(tf1, text)
    assert our_message == tf_message == "Node 'c' expects to be colocated with unknown node 'zz'"


def test_control_dependencies_scope_reaches_every_imported_op(tf1):
    def build(api, g, do_import):
        c = api.constant(1.0, name="c")
        with g.control_dependencies([c]):
            do_import(name="")

    tf_ops, our_ops = _both(tf1, BASE, build)
    assert our_ops == tf_ops
    assert our_ops[1][3] == our_ops[2][3] == ["c"]


# ---------------------------------------------------------------------------------------------
# input_map and return_elements


def test_input_map_replaces_inputs_and_control_inputs(tf1):
    text = BASE + identity("e", "b", "^a")
    results = []
    for api, make, imp in (
        (tf1, lambda t: tf_graph_def(tf1, t), tf1.import_graph_def),
        (tm, graph_def, import_graph_def),
    ):
        with api.Graph().as_default() as g:
            c = api.constant([5.0, 6.0], name="c")
            d = api.constant([5.0, 6.0], name="d")
            ret = imp(make(text), input_map={"a:0": c, "^a": d}, return_elements=["a:0", "a", "b", "e:0"])
            results.append((summary(g), [x.name for x in ret]))
    assert results[1] == results[0]
    assert results[1][1] == ["c:0", "import/a", "import/b", "import/e:0"]


def test_input_map_key_without_index_means_output_zero(tf1):
    results = []
    for api, make, imp in (
        (tf1, lambda t: tf_graph_def(tf1, t), tf1.import_graph_def),
        (tm, graph_def, import_graph_def),
    ):
        with api.Graph().as_default():
            c = api.constant([3.0, 4.0], name="c")
            ret = imp(make(BASE), input_map={"a": c}, return_elements=["a:0", "b:0"])
            results.append([t.name for t in ret])
    assert results[1] == results[0] == ["c:0", "import/b:0"]


def test_input_map_values_are_converted_inside_the_import_scope(tf1):
    def build(api, g, do_import):
        do_import(input_map={"a:0": [3.0, 4.0]})

    tf_ops, our_ops = _both(tf1, BASE, build)
    assert our_ops == tf_ops
    assert our_ops[0][0] == "import/_inputs/Const"


def test_input_map_non_tensor_values_need_a_name(tf1):
    tf_message, our_message = _errors_both(tf1, BASE, input_map={"a:0": [1.0, 2.0]}, name="")
    assert our_message == tf_message


def test_input_map_keys_not_in_graph_def_are_reported(tf1):
    with tm.Graph().as_default():
        c = tm.constant([1.0, 2.0])
        with pytest.raises(ValueError) as info:
            import_graph_def(graph_def(BASE), input_map={"zz:0": c, "a:1": c, "^yy": c, "b:0": c})
    # TF's C++ message garbles the names here; ours lists them sorted by (node, index).
    assert str(info.value) == "Attempted to map inputs that were not found in graph_def: [a:1, ^yy, zz:0]"
    with tf1.Graph().as_default():
        c = tf1.constant([1.0, 2.0])
        with pytest.raises(ValueError, match="Attempted to map inputs that were not found in graph_def"):
            tf1.import_graph_def(tf_graph_def(tf1, BASE), input_map={"zz:0": c})
    for api, make, imp in (
        (tf1, lambda t: tf_graph_def(tf1, t), tf1.import_graph_def),
        (tm, graph_def, import_graph_def),
    ):
        with api.Graph().as_default(), pytest.raises(ValueError) as info:
            imp(make(BASE), input_map={"^yy": api.constant(1.0)})
        assert str(info.value) == "Attempted to map inputs that were not found in graph_def: [^yy]"


def test_input_map_keys_of_existing_but_unused_outputs_are_fine(tf1):
    def build(api, g, do_import):
        do_import(input_map={"b:0": api.constant([1.0, 2.0]), "^b": api.constant(1.0)})

    tf_ops, our_ops = _both(tf1, BASE, build)
    assert our_ops == tf_ops


def test_input_map_dtype_mismatch(tf1):
    messages = []
    for api, make, imp in (
        (tf1, lambda t: tf_graph_def(tf1, t), tf1.import_graph_def),
        (tm, graph_def, import_graph_def),
    ):
        with api.Graph().as_default(), pytest.raises(ValueError) as info:
            imp(make(BASE), input_map={"a:0": api.constant(1)})
        messages.append(str(info.value))
    assert (
        messages[1]
        == messages[0]
        == "Input 0 of node import/b was passed int32 from Const:0 incompatible with expected float."
    )


def test_unbound_inputs_are_nodes_only_input_map_provides(tf1):
    text = identity("b", "$unbound_inputs_x") + identity("c", "b", "^$unbound_inputs_y")

    def build(api, g, do_import):
        x = api.constant([1.0], name="x")
        y = api.constant([1.0], name="y")
        do_import(input_map={"$unbound_inputs_x": x, "^$unbound_inputs_y": y})

    tf_ops, our_ops = _both(tf1, text, build)
    assert our_ops == tf_ops
    assert our_ops[2:] == [
        ("import/b", "Identity", ["x:0"], [], ""),
        ("import/c", "Identity", ["import/b:0"], ["y"], ""),
    ]


@pytest.mark.parametrize(
    ("return_elements", "message"),
    [
        (["zz:0"], "Requested return tensor 'zz:0' not found in graph def"),
        (["zz"], "Requested return node 'zz' not found in graph def"),
        (["b:4"], "Invalid return output 4 of node 'b', which has 1 output(s)"),
    ],
)
def test_return_element_errors(tf1, return_elements, message):
    tf_message, our_message = _errors_both(tf1, BASE, return_elements=return_elements)
    assert our_message == tf_message == message


def test_return_elements_are_ops_and_tensors(tf1):
    with tm.Graph().as_default():
        ret = import_graph_def(graph_def(BASE), return_elements=["b:0", "a", "a:0"])
    assert [type(x).__name__ for x in ret] == ["Tensor", "Operation", "Tensor"]
    assert [x.name for x in ret] == ["import/b:0", "import/a", "import/a:0"]
    with tm.Graph().as_default():
        assert import_graph_def(graph_def(BASE)) is None


# ---------------------------------------------------------------------------------------------
# Malformed GraphDefs


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(identity("b", "zz"), id="unknown-input"),
        pytest.param(const("a") + identity("b", "a", "^zz"), id="unknown-control-input"),
        pytest.param(const("a") + identity("b", "a:3"), id="invalid-output-index"),
        pytest.param(BASE + BASE, id="duplicate-name"),
        pytest.param(const("a") + "node { name: 'b' op: 'Identity' input: 'a' }", id="missing-attr"),
        pytest.param(const("a") + identity("b", "a", "a"), id="too-many-inputs"),
        pytest.param(const("a") + identity("b"), id="too-few-inputs"),
        pytest.param(const("a") + identity("c", "a") + identity("b", "^c", "a"), id="control-before-data"),
        pytest.param(const("a") + identity("c d", "a"), id="invalid-name"),
        pytest.param(
            const("a") + "node { name: 'b' op: 'Identity' input: 'a' attr { key: 'T' value { i: 3 } } }",
            id="attr-of-wrong-kind",
        ),
        pytest.param(
            const("a") + "node { name: 'b' op: 'Identity' input: 'a' attr { key: 'T' value { type: DT_INT32 } } }",
            id="input-type-mismatch",
        ),
    ],
)
def test_malformed_graph_defs_raise_tf_messages(tf1, text):
    tf_message, our_message = _errors_both(tf1, text)
    assert our_message == tf_message


def test_cycles_are_reported(tf1):
    text = identity("x", "y") + identity("y", "x") + const("a")
    tf_message, our_message = _errors_both(tf1, text)
    assert tf_message == "2 nodes in a cycle"
    assert our_message.startswith("2 nodes in a cycle (x, y)")


def test_graph_def_versions_are_checked_and_merged(tf1):
    for versions in ("versions { producer: 27 min_consumer: 3000 }", "versions { producer: 27 bad_consumers: 2474 }"):
        tf_message, our_message = _errors_both(tf1, BASE + versions)
        assert our_message == tf_message
    for api, make, imp in (
        (tf1, lambda t: tf_graph_def(tf1, t), tf1.import_graph_def),
        (tm, graph_def, import_graph_def),
    ):
        with api.Graph().as_default() as g:
            imp(make(BASE + "versions { producer: 27 min_consumer: 12 bad_consumers: 5 bad_consumers: 3 }"))
            imp(make(BASE))  # no versions: producer 0
            versions = g.graph_def_versions
            assert (versions.producer, versions.min_consumer, list(versions.bad_consumers)) == (0, 12, [3, 5])


# ---------------------------------------------------------------------------------------------
# Attrs


def test_default_attrs_are_filled_in_the_callers_graph_def(tf1):
    text = const("a", dims="dim { size: 2 } dim { size: 2 }") + (
        "node { name: 'm' op: 'MatMul' input: 'a' input: 'a' attr { key: 'T' value { type: DT_FLOAT } } }"
    )
    tf_gd, our_gd = tf_graph_def(tf1, text), graph_def(text)
    with tf1.Graph().as_default():
        tf1.import_graph_def(tf_gd)
    with tm.Graph().as_default() as g:
        import_graph_def(our_gd)
    assert our_gd == to_ours(tf_gd, graph_pb2.GraphDef)
    assert sorted(our_gd.node[1].attr) == ["T", "grad_a", "grad_b", "transpose_a", "transpose_b"]
    assert g.get_operation_by_name("import/m").get_attr("transpose_b") is False


def test_unknown_attrs_are_kept_like_tf(tf1):
    text = const("a") + identity("b", "a", extra="attr { key: 'zz' value { i: 1 } }")
    with tf1.Graph().as_default() as tg:
        tf1.import_graph_def(tf_graph_def(tf1, text), name="")
    with tm.Graph().as_default() as g:
        import_graph_def(graph_def(text), name="")
    assert g.get_operation_by_name("b").get_attr("zz") == tg.get_operation_by_name("b").get_attr("zz") == 1


def test_producer_defaults_for_attrs_we_do_not_know_are_dropped(tf1):
    """Forward compatibility: a newer producer's attr holding its default is removed; other values stay."""
    producer = op_def_pb2.OpList()
    producer.op.add().CopyFrom(tm.framework.registry.get("Identity").op_def)
    new_attr = producer.op[0].attr.add(name="new_attr", type="int")
    new_attr.default_value.i = 0
    default_text = const("a") + identity("b", "a", extra="attr { key: 'new_attr' value { i: 0 } }")
    other_text = const("a") + identity("b", "a", extra="attr { key: 'new_attr' value { i: 7 } }")
    with tm.Graph().as_default() as g:
        import_graph_def(graph_def(default_text), name="d", producer_op_list=producer)
        import_graph_def(graph_def(other_text), name="o", producer_op_list=producer)
    assert "new_attr" not in g.get_operation_by_name("d/b").node_def.attr
    assert g.get_operation_by_name("o/b").get_attr("new_attr") == 7
    tf_producer = tf1.OpList() if hasattr(tf1, "OpList") else None
    if tf_producer is None:
        from tensorflow.core.framework import op_def_pb2 as tf_op_def_pb2

        tf_producer = tf_op_def_pb2.OpList()
    tf_producer.ParseFromString(producer.SerializeToString())
    with tf1.Graph().as_default() as tg:
        tf1.import_graph_def(tf_graph_def(tf1, default_text), name="d", producer_op_list=tf_producer)
    assert "new_attr" not in tg.get_operation_by_name("d/b").node_def.attr


# ---------------------------------------------------------------------------------------------
# Shapes


def test_output_shapes_are_removed_and_refine_static_shapes(tf1):
    text = (
        "node { name: 'p' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } "
        "attr { key: 'shape' value { shape { unknown_rank: true } } } "
        "attr { key: '_output_shapes' value { list { shape { dim { size: -1 } dim { size: 3 } } } } } }"
    )
    shapes = []
    for api, make, imp in (
        (tf1, lambda t: tf_graph_def(tf1, t), tf1.import_graph_def),
        (tm, graph_def, import_graph_def),
    ):
        with api.Graph().as_default():
            (p,) = imp(make(text), return_elements=["p:0"])
            assert "_output_shapes" not in p.op.node_def.attr
            shapes.append(p.shape.as_list())
    assert shapes[1] == shapes[0] == [None, 3]


def test_too_few_output_shapes_is_an_error_and_too_many_a_warning(tf1, caplog):
    placeholder = (
        "node {{ name: 'p' op: 'Placeholder' attr {{ key: 'dtype' value {{ type: DT_FLOAT }} }} "
        "attr {{ key: '_output_shapes' value {{ list {{ {shapes} }} }} }} }}"
    )
    tf_message, our_message = _errors_both(tf1, placeholder.format(shapes=""))
    assert our_message == tf_message
    with caplog.at_level(logging.WARNING), tm.Graph().as_default():
        (p,) = import_graph_def(
            graph_def(placeholder.format(shapes="shape { dim { size: 2 } } shape { }")), return_elements=["p:0"]
        )
    assert p.shape.as_list() == [2]
    assert "specifies shapes for 2 outputs" in caplog.text


def _matmul_mismatch(extra=""):
    return const("a", dims="dim { size: 2 } dim { size: 3 }") + (
        f"node {{ name: 'm' op: 'MatMul' input: 'a' input: 'a' attr {{ key: 'T' value {{ type: DT_FLOAT }} }} {extra} }}"
    )


def test_failing_shape_function_fails_the_import_and_leaves_the_graph_unchanged(tf1):
    text = _matmul_mismatch()
    with tf1.Graph().as_default(), pytest.raises(ValueError, match="Dimensions must be equal"):
        tf1.import_graph_def(tf_graph_def(tf1, text))
    with tm.Graph().as_default() as g:
        tm.constant(1.0, name="before")
        with pytest.raises(ValueError, match="Dimensions must be equal"):
            import_graph_def(graph_def(text), name="")
        assert [op.name for op in g.get_operations()] == ["before"]
        import_graph_def(graph_def(BASE), name="")
        assert [op.name for op in g.get_operations()] == ["before", "a", "b"]  # no a_1: names were released


def test_shape_function_cannot_veto_recorded_output_shapes(caplog):
    recorded = "attr { key: '_output_shapes' value { list { shape { dim { size: 7 } dim { size: 7 } } } } }"
    with caplog.at_level(logging.WARNING), tm.Graph().as_default():
        (m,) = import_graph_def(graph_def(_matmul_mismatch(recorded)), return_elements=["m:0"])
    assert m.shape.as_list() == [7, 7]
    assert "rejected node 'import/m'" in caplog.text


def test_disagreeing_recorded_shapes_win_with_a_warning(caplog):
    text = const("a") + identity(
        "b", "a", extra="attr { key: '_output_shapes' value { list { shape { dim { size: 3 } } } } }"
    )
    with caplog.at_level(logging.WARNING), tm.Graph().as_default():
        (b,) = import_graph_def(graph_def(text), return_elements=["b:0"])
    assert b.shape.as_list() == [3]
    assert "disagrees with the recorded _output_shapes" in caplog.text


# ---------------------------------------------------------------------------------------------
# Op types we do not register


FOREIGN_OP_DEF = """
op { name: 'TestOnlyForeignOp' input_arg { name: 'x' type_attr: 'T' } output_arg { name: 'y' type_attr: 'T' }
     output_arg { name: 'n' type: DT_INT64 } attr { name: 'T' type: 'type' }
     attr { name: 'scale' type: 'float' default_value { f: 2 } } is_stateful: true }
"""


def _producer_op_list():
    from google.protobuf import text_format

    from torchmeta._proto import POOL

    out = op_def_pb2.OpList()
    text_format.Merge(FOREIGN_OP_DEF, out, descriptor_pool=POOL)
    return out


def test_unknown_op_types_are_reported_together_before_anything_is_added():
    text = (
        const("a")
        + "node { name: 'q1' op: 'NoSuchOpA' input: 'a' } node { name: 'q2' op: 'NoSuchOpA' } "
        + "node { name: 'r' op: 'NoSuchOpB' }"
    )
    with tm.Graph().as_default() as g:
        with pytest.raises(errors.UnsupportedOpError) as info:
            import_graph_def(graph_def(text))
        assert info.value.missing == {"NoSuchOpA": ["q1", "q2"], "NoSuchOpB": ["r"]}
        assert "NoSuchOpA: 'q1', 'q2'" in str(info.value)
        assert g.get_operations() == []
        import_graph_def(graph_def(BASE))
        assert g.get_operations()[0].name == "import/a"


def test_foreign_ops_come_from_the_producer_op_list():
    text = const("a") + (
        "node { name: 'f' op: 'TestOnlyForeignOp' input: 'a' attr { key: 'T' value { type: DT_FLOAT } } "
        "attr { key: '_output_shapes' value { list { shape { dim { size: 2 } } shape { } } } } }"
    )
    with tm.Graph().as_default() as g:
        f_y, f_n = import_graph_def(
            graph_def(text), return_elements=["f:0", "f:1"], producer_op_list=_producer_op_list()
        )
        op = f_y.op
        assert (f_y.dtype, f_n.dtype) == (tm.float32, tm.int64)
        assert (f_y.shape.as_list(), f_n.shape.as_list()) == ([2], [])
        assert op.get_attr("scale") == 2.0  # default from the producer's OpDef
        assert op.op_def.name == "TestOnlyForeignOp"
        assert "TestOnlyForeignOp" in g._foreign_op_defs
        with tm.Session() as sess, pytest.raises(errors.UnsupportedOpError, match="TestOnlyForeignOp"):
            sess.run(f_y)
        # Importing again needs no producer_op_list: the graph remembers the OpDef.
        import_graph_def(graph_def(text), name="again")


def test_tf_graph_def_objects_are_accepted(tf1):
    with tm.Graph().as_default():
        (b,) = import_graph_def(tf_graph_def(tf1, BASE), return_elements=["b:0"])
    assert b.name == "import/b:0"


# ---------------------------------------------------------------------------------------------
# What re-export needs


def test_other_node_def_fields_survive_import():
    text = const("a") + identity("b", "a", extra="experimental_debug_info { original_node_names: 'orig' }")
    with tm.Graph().as_default() as g:
        import_graph_def(graph_def(text), name="")
    node = g.as_graph_def().node[1]
    assert list(node.experimental_debug_info.original_node_names) == ["orig"]


LIBRARY = """
library { function { signature { name: 'MyFunc' input_arg { name: 'x' type: DT_FLOAT }
                                 output_arg { name: 'y' type: DT_FLOAT } }
                     node_def { name: 'i' op: 'Identity' input: 'x' attr { key: 'T' value { type: DT_FLOAT } } }
                     ret { key: 'y' value: 'i:output:0' } } }
"""


def test_function_library_is_kept_merged_and_callable_as_op():
    text = const("a") + "node { name: 'call' op: 'MyFunc' input: 'a' }" + LIBRARY
    with tm.Graph().as_default() as g:
        (call,) = import_graph_def(graph_def(text), return_elements=["call"])
        import_graph_def(graph_def(text))  # same function again: fine
        assert call.outputs[0].dtype == tm.float32
        assert g._library.names() == ["MyFunc"]
        assert "MyFunc" not in g._foreign_op_defs
        assert g.as_graph_def().library == graph_def(text).library
        changed = text.replace("'i:output:0'", "'i:output:0' } ret { key: 'z' value: 'i:output:0'")
        with pytest.raises(ValueError, match="Cannot add function 'MyFunc' because a different function"):
            import_graph_def(graph_def(changed))


def test_while_loop_back_edges_import_like_tf(tf1):
    """A TF1 while loop has a NextIteration -> Merge cycle; the graph imports with TF's names and edges."""
    with tf1.Graph().as_default():
        i = tf1.placeholder(tf1.int32, [], name="i")
        tf1.while_loop(lambda x: x < 10, lambda x: x + 1, [i], name="loop")
        meta = tf1.train.export_meta_graph()
    gd = to_ours(meta.graph_def, graph_pb2.GraphDef)
    ops_list = to_ours(meta.meta_info_def.stripped_op_list, op_def_pb2.OpList)
    with tf1.Graph().as_default() as tg:
        tf1.import_graph_def(meta.graph_def, producer_op_list=meta.meta_info_def.stripped_op_list)
    with tm.Graph().as_default() as g:
        import_graph_def(gd, producer_op_list=ops_list)
    assert summary(g) == summary(tg)
    merge = g.get_operation_by_name("import/loop/Merge")
    assert [t.op.type for t in merge.inputs] == ["Enter", "NextIteration"]


def test_bad_argument_types():
    with tm.Graph().as_default():
        with pytest.raises(TypeError, match="must be a GraphDef proto"):
            import_graph_def("not a graph")
        with pytest.raises(TypeError, match="must be a dictionary"):
            import_graph_def(graph_def(BASE), input_map=[("a:0", 1)])
        with pytest.raises(TypeError, match="keys for argument `input_map` must be strings"):
            import_graph_def(graph_def(BASE), input_map={1: tm.constant(1.0)})
        with pytest.raises(TypeError, match="must be a list of strings"):
            import_graph_def(graph_def(BASE), return_elements=[1])


def test_finalized_graph_cannot_import():
    g = tm.Graph()
    g.finalize()
    with g.as_default(), pytest.raises(RuntimeError, match="finalized"):
        import_graph_def(graph_def(BASE))


def test_imported_graph_runs_like_tf(tf1):
    with tf1.Graph().as_default() as tg:
        x = tf1.placeholder(tf1.float32, [None, 3], name="x")
        tf1.add(tf1.matmul(x, tf1.constant([[1.0], [2.0], [3.0]])), 0.5, name="y")
    feed = np.arange(6, dtype=np.float32).reshape(2, 3)
    with tf1.Session(graph=tg) as sess:
        expected = sess.run("y:0", {"x:0": feed})
    with tm.Graph().as_default() as g:
        x = tm.placeholder(tm.float32, [None, 3], name="new_x")
        (y,) = import_graph_def(
            to_ours(tg.as_graph_def(), graph_pb2.GraphDef), input_map={"x:0": x}, return_elements=["y:0"]
        )
        assert y.shape.as_list() == [None, 1]
        with tm.Session() as sess:
            np.testing.assert_array_equal(sess.run(y, {x: feed}), expected)
    assert g.get_operation_by_name("import/y").inputs[0].op.inputs[0] is x
