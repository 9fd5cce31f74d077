"""Malformed MetaGraphs: every bad input is one torchmeta.errors class naming what is wrong, found before
memory is allocated for it; import stays linear in the size of the input (deep scopes included)."""

import tracemalloc

import numpy as np
import pytest

import torchmeta as tm
from torchmeta import errors
from torchmeta._proto import types_pb2, variable_pb2
from torchmeta.framework import tensor_util


def _base():
    with tm.Graph().as_default():
        x = tm.placeholder(tm.float32, [None, 3], name="x")
        c = tm.constant([1.0, 2.0, 3.0], name="c")
        y = tm.add(x, c, name="y")
        tm.Variable(tm.zeros([3]), name="v")
        tm.add_to_collection("logits", y)
        return tm.train.export_meta_graph()


def _node(mgd, name):
    return next(n for n in mgd.graph_def.node if n.name == name)


def _import_and_run(mgd, fetch=None):
    with tm.Graph().as_default() as g:
        tm.train.import_meta_graph(mgd)
        if fetch:
            with tm.Session(graph=g) as sess:
                sess.run(fetch, {"x:0": np.zeros((1, 3), np.float32)})


def _string_const_of_rank(mgd, rank):
    _node(mgd, "y").input[1] = "x"
    t = _node(mgd, "c").attr["value"].tensor
    t.dtype = types_pb2.DT_STRING
    _node(mgd, "c").attr["dtype"].type = types_pb2.DT_STRING
    del t.float_val[:]
    t.string_val.append(b"a")
    t.tensor_shape.Clear()
    for _ in range(rank):
        t.tensor_shape.dim.add(size=1)


def _variable_def(**changes):
    def mutate(mgd):
        raw = mgd.collection_def["variables"].bytes_list.value[0]
        vdef = variable_pb2.VariableDef()
        vdef.ParseFromString(raw)
        for key, value in changes.items():
            setattr(vdef, key, value)
        mgd.collection_def["variables"].bytes_list.value[0] = vdef.SerializeToString()

    return mutate


def _pack(n):
    def mutate(mgd):
        node = mgd.graph_def.node.add(name="pk", op="Pack", input=["c", "c"])
        node.attr["N"].i = n
        node.attr["T"].type = types_pb2.DT_FLOAT

    return mutate


def _content(nbytes):
    def mutate(mgd):
        t = _node(mgd, "c").attr["value"].tensor
        del t.float_val[:]
        t.tensor_content = b"\0" * nbytes

    return mutate


def _claim(n):
    def mutate(mgd):
        t = _node(mgd, "c").attr["value"].tensor
        t.tensor_shape.dim[0].size = n
        _node(mgd, "y").input[1] = "c"

    return mutate


def _truncate_collection(mgd):
    raw = mgd.collection_def["variables"].bytes_list.value[0]
    mgd.collection_def["variables"].bytes_list.value[0] = raw[:-3]


CASES = {
    "attr dtype enum 999": (lambda m: setattr(_node(m, "c").attr["dtype"], "type", 999), "999 is not a valid DType"),
    "attr dtype enum 0": (lambda m: setattr(_node(m, "c").attr["dtype"], "type", 0), "Node 'c'"),
    "TensorProto dtype enum 999": (
        lambda m: setattr(_node(m, "c").attr["value"].tensor, "dtype", 999),
        "invalid dtype enum 999",
    ),
    "device without index": (lambda m: setattr(_node(m, "y"), "device", "/device:CPU:"), "'/device:CPU:'"),
    "device @missing": (lambda m: setattr(_node(m, "y"), "device", "@missing"), "Node 'y': Unknown attribute"),
    "device negative index": (lambda m: setattr(_node(m, "y"), "device", "/cpu:-1"), "non-negative integer"),
    "device replica not a number": (lambda m: setattr(_node(m, "y"), "device", "/job:a/replica:x"), "replica:x"),
    "string tensor of rank 300": (lambda m: _string_const_of_rank(m, 300), "rank 300"),
    "tensor_content of 7 bytes for float32[3]": (_content(7), "tensor_content has 7 bytes but float32 [3] needs 12"),
    "3e9 elements claimed by one value": (_claim(3_000_000_000), "more than the 2147483648"),
    "negative dimension": (_claim(-5), "fully defined"),
    "collection names a missing node": (
        lambda m: m.collection_def["logits"].node_list.value.__setitem__(0, "nope:0"),
        "collection 'logits'",
    ),
    "collection names a missing output": (
        lambda m: m.collection_def["logits"].node_list.value.__setitem__(0, "y:7"),
        "collection 'logits'",
    ),
    "truncated VariableDef": (_truncate_collection, "collection 'variables'"),
    "VariableDef naming an op where a tensor belongs": (_variable_def(variable_name="y"), "collection 'variables'"),
    "shape attr with a dimension below -1": (
        lambda m: setattr(_node(m, "x").attr["shape"].shape.dim[0], "size", -5),
        "Node 'x': attr 'shape': Shape [-5, 3] has dimensions with values below -1",
    ),
    "number attr 10**12": (_pack(10**12), "attr 'N' = 1000000000000 is out of range"),
    "number attr -3": (_pack(-3), "Node 'pk'"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_meta_graph_raises_a_named_error(case):
    mutate, fragment = CASES[case]
    mgd = _base()
    mutate(mgd)
    with pytest.raises(errors.TorchMetaError) as info:
        _import_and_run(mgd, fetch=["y:0", "c:0"])
    assert fragment in str(info.value)


def test_import_errors_are_also_the_value_errors_tensorflow_raises():
    mgd = _base()
    _node(mgd, "y").input[0] = "missing"
    with pytest.raises(ValueError, match="Unknown input node 'missing'") as info:
        _import_and_run(mgd)
    assert isinstance(info.value, errors.InvalidArgumentError)


def test_make_ndarray_checks_before_allocating():
    proto = tensor_util.make_tensor_proto(np.float32(1.5))
    proto.tensor_shape.dim.add(size=1 << 40)
    tracemalloc.start()
    try:
        with pytest.raises(errors.InvalidArgumentError, match="more than the 2147483648 a TensorProto may decode to"):
            tensor_util.MakeNdarray(proto)
        assert tracemalloc.get_traced_memory()[1] < 1 << 20
    finally:
        tracemalloc.stop()
    proto.tensor_shape.dim[0].size = 4  # a splat of a legal size still expands, as in TensorFlow
    assert tensor_util.MakeNdarray(proto).tolist() == [1.5] * 4


def test_a_node_40000_scopes_deep_imports_in_linear_memory():
    mgd = _base()
    deep = mgd.graph_def.node.add()
    deep.CopyFrom(_node(mgd, "c"))
    deep.name = "/".join(["s"] * 40_000)
    tracemalloc.start()
    try:
        with tm.Graph().as_default() as g:
            tm.train.import_meta_graph(mgd)
            assert g.get_operation_by_name(deep.name).type == "Const"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Every '/'-prefix of the name as a string would be 40,000 strings averaging 40 KB (1.6 GB).
    assert peak < 64 << 20
