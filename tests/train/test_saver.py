"""tf.train.Saver against TensorFlow's: the same calls in both, the same graph, files, values and errors.

Bracketed numbers are the items of Part 1 (F-I, K) of the behaviour reference. Scenarios run once in
TensorFlow (``tf1``) and once here, in TensorFlow's V2 format (``fmt="tf"``, so file names can be
compared) and, where the format does not matter to the behaviour, in safetensors as well.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import torchmeta as tm
from tests.train.helpers import Api, files, outcome, run_both, tf_proto_as_ours
from torchmeta._proto import graph_pb2, meta_graph_pb2, saver_pb2
from torchmeta.train import saver as saver_lib

pytest.importorskip("tensorflow")

FORMATS = ["tf", "safetensors"]


def _ckpt_files(api: Api, directory) -> list[str]:
    """File names, with the format's checkpoint files written as ``<prefix>.<ckpt>``."""
    out = set()
    for name in files(directory):
        for suffix in (".index", ".safetensors"):
            if name.endswith(suffix):
                name = name[: -len(suffix)] + ".<ckpt>"
        if ".data-" in name:
            name = name[: name.index(".data-")] + ".<ckpt>"
        out.add(name)
    return sorted(out)


def _graph_def(graph) -> graph_pb2.GraphDef:
    """A graph's GraphDef as torchmeta's proto, without TensorFlow-internal attrs."""
    gd = graph.as_graph_def()
    gd = gd if isinstance(gd, graph_pb2.GraphDef) else tf_proto_as_ours(gd, graph_pb2.GraphDef)
    out = graph_pb2.GraphDef()
    for node in gd.node:
        node.attr.pop("_has_manual_control_dependencies", None)
        out.node.add().CopyFrom(node)
    return out


def _saver_def(saver) -> saver_pb2.SaverDef:
    sd = saver.saver_def if not callable(saver.saver_def) else saver.as_saver_def()
    return sd if isinstance(sd, saver_pb2.SaverDef) else tf_proto_as_ours(sd, saver_pb2.SaverDef)


# -- F. construction and SaverDef -------------------------------------------------------------------------


def _model(tf, resource=False):
    with tf.device("/cpu:0"):
        v = tf.Variable([[1.0, 2.0], [3.0, 4.0]], name="v", use_resource=resource)
    w = tf.Variable(3, name="w")
    r = tf.Variable([1.0, 2.0], name="r", use_resource=True)
    s = tf.Variable([b"ab", b"c"], name="s")
    return v, w, r, s


SAVER_CONFIGS = {
    "default": {},
    "sharded": {"sharded": True},
    "reshape": {"reshape": True},
    "named": {"name": "saver0", "filename": "abc"},
    "max_to_keep_none": {"max_to_keep": None, "keep_checkpoint_every_n_hours": 0.5},
    "restore_sequentially": {"restore_sequentially": True},
    "scoped": {"scope": "a"},
    "list": {"var_list": "list"},
    "dict": {"var_list": "dict"},
}


@pytest.mark.parametrize("config", sorted(SAVER_CONFIGS))
def test_saver_graph_and_saver_def_equal_tensorflows(tf1, config):  # [64, 65, 66, 73, 74]
    def build(tf):
        kwargs = dict(SAVER_CONFIGS[config])
        scope = kwargs.pop("scope", None)
        g = tf.Graph()
        with g.as_default():
            with tf.device("/cpu:0"):
                other = tf.Variable(0.5, name="other")
            v, w, r, s = _model(tf)
            if kwargs.get("var_list") == "list":
                kwargs["var_list"] = [w, v, r]
            elif kwargs.get("var_list") == "dict":
                kwargs["var_list"] = {"x/y": v, "a": r, "b": other}
            if scope:
                with tf.name_scope(scope):
                    saver = tf.train.Saver(**kwargs)
            else:
                saver = tf.train.Saver(**kwargs)
        return _graph_def(g), _saver_def(saver)

    tf_graph, tf_saver_def = build(tf1)
    tm_graph, tm_saver_def = build(tm)
    assert tm_saver_def == tf_saver_def
    assert [n.name for n in tm_graph.node] == [n.name for n in tf_graph.node]
    for a, b in zip(tm_graph.node, tf_graph.node):
        assert a == b, a.name


def test_default_saver_def(tf1):  # [64, 65]
    v = tm.Variable(1.0, name="v")
    assert tm.train.Saver([v]).saver_def == saver_pb2.SaverDef(
        filename_tensor_name="save/Const:0",
        save_tensor_name="save/control_dependency:0",
        restore_op_name="save/restore_all",
        max_to_keep=5,
        keep_checkpoint_every_n_hours=10000.0,
        version=saver_pb2.SaverDef.V2,
    )
    sharded = tm.train.Saver([v], sharded=True).saver_def
    assert (sharded.save_tensor_name, sharded.sharded) == ("save_1/Identity:0", True)


def test_scope_names_and_no_ops_outside_the_scope(tf1):  # [66]
    def scenario(api, d):
        tf = api.tf
        with tf.Graph().as_default() as g:
            tf.Variable(1.0, name="v", use_resource=True)
            before = {op.name for op in g.get_operations()}
            with tf.name_scope("a"):
                saver = api.Saver(name="saver0")
            added = sorted(op.name for op in g.get_operations() if op.name not in before)
            return saver.saver_def.filename_tensor_name, all(n.startswith("a/saver0/") for n in added)

    tf_out, tm_out = run_both(tf1, scenario, "/unused")
    assert tm_out == tf_out == ("a/saver0/Const:0", True)


def test_var_list_keys(tf1, tmp_path):  # [67, 68, 98]
    def scenario(api, d):
        tf = api.tf
        out = {}
        with tf.Graph().as_default():
            v0 = tf.Variable(1.0, name="v0")
            with tf.name_scope("scope"):
                v1 = tf.Variable([2, 3], name="v1", use_resource=True)
            tf.Variable(4.0, name="not_global", collections=["other"])
            with api.Session() as sess:
                sess.run(tf.global_variables_initializer())
                for kind, var_list in (
                    ("list", [v1, v0]),
                    ("dict", {"renamed/v0": v0, "v1": v1}),
                    ("none", None),
                ):
                    prefix = api.Saver(var_list).save(sess, os.path.join(d, kind), write_meta_graph=False)
                    reader = tf.train.load_checkpoint(prefix)
                    out[kind] = sorted(reader.get_variable_to_shape_map().items())
        return out

    tf_out, tm_out = run_both(tf1, scenario, tmp_path)
    assert tm_out == tf_out
    assert tf_out["list"] == [("scope/v1", [2]), ("v0", [])]


@pytest.mark.parametrize(
    "case",
    ["same_name_list", "same_var_two_keys", "no_variables", "empty_list", "not_a_list", "name_not_str"],
)
def test_construction_errors(tf1, case):  # [69, 70]
    def scenario(api, d):
        tf = api.tf
        with tf.Graph().as_default():
            v0 = tf.Variable(1.0, name="v0")
            if case == "same_name_list":
                with tf.Graph().as_default():
                    other = tf.Variable(1.0, name="v0")
                return outcome(api.Saver, [v0, other])[0:2]
            if case == "same_var_two_keys":
                return outcome(api.Saver, {"a": v0, "b": v0})
            if case == "empty_list":
                return outcome(api.Saver, [])
            if case == "not_a_list":
                return outcome(api.Saver, v0)[0]
            if case == "name_not_str":
                return outcome(api.Saver, {1: v0})[0]
        with tf.Graph().as_default():
            return outcome(api.Saver)

    tf_out, tm_out = run_both(tf1, scenario, "/unused")
    assert tm_out == tf_out


def test_same_name_in_list_message(tf1):  # [69]
    v0 = tm.Variable(1.0, name="v1")
    g = tm.Graph()
    with g.as_default():
        other = tm.Variable(1.0, name="v1")
    with pytest.raises(ValueError, match="At least two variables have the same name: v1"):
        tm.train.Saver([v0, other])
    with pytest.raises(ValueError, match="The same saveable will be restored with two names: v0"):
        tm.train.Saver({"a": v0, "v0": v0})  # the second key in sorted order


@pytest.mark.parametrize("fmt", FORMATS)
def test_allow_empty(tf1, tmp_path, fmt):  # [70, 85]
    def scenario(api, d):
        tf = api.tf
        with tf.Graph().as_default():
            saver = api.Saver(allow_empty=True)
            with api.Session() as sess:
                saved = saver.save(sess, os.path.join(d, "empty"))
                restored = saver.restore(sess, os.path.join(d, "does-not-exist"))
        return saved, restored, files(d)

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert tm_out == tf_out == (None, None, ["empty.meta"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_defer_build(tf1, tmp_path, fmt):  # [71]
    def scenario(api, d):
        tf = api.tf
        out = []
        with tf.Graph().as_default():
            v = tf.Variable(1.0, name="v")
            out.append(outcome(api.Saver, [v], defer_build=True))
            saver = api.Saver(defer_build=True)
            out.append(saver.saver_def)
            with api.Session() as sess:
                sess.run(tf.global_variables_initializer())
                out.append(outcome(saver.save, sess, os.path.join(d, "m")))
                tf.Variable(2.0, name="late")  # built after the Saver object, saved since the build is deferred
                sess.run(tf.global_variables_initializer())
                saver.build()
                saver.build()  # a second build does nothing
                prefix = saver.save(sess, os.path.join(d, "m"))
            out.append(sorted(tf.train.load_checkpoint(prefix).get_variable_to_shape_map()))
        return out

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert tm_out == tf_out
    assert tf_out[0][0] == "ValueError" and "defer_build" in tf_out[0][1]
    assert tf_out[3] == ["late", "v"]


def test_saver_def_argument(tf1, tmp_path):  # [72, 75]
    def scenario(api, d):
        tf = api.tf
        out = []
        with tf.Graph().as_default() as g:
            v = tf.Variable(1.0, name="v")
            saver = api.Saver([v], max_to_keep=3)
            count = len(g.get_operations())
            again = api.Saver(saver_def=saver.saver_def)
            out.append(len(g.get_operations()) == count)
            out.append(_saver_def(again).max_to_keep)
            out.append(outcome(api.Saver, saver_def=type(saver.saver_def)(restore_op_name="x"))[0])
            out.append(outcome(api.Saver, saver_def=type(saver.saver_def)(save_tensor_name="x"))[0])
            out.append(outcome(api.Saver, saver_def="not a SaverDef")[0])
            # name= acts as an import scope
            proto = type(saver.saver_def)()
            proto.CopyFrom(saver.saver_def)
            scoped = api.Saver(saver_def=proto, name="imported")
            out.append(str(_saver_def(scoped)))
            # to_proto / from_proto with scopes
            with tf.name_scope("outer"):
                inner = api.Saver([v])
            out.append(inner.to_proto(export_scope="outer") is not None)
            out.append(str(tf_proto_as_ours(inner.to_proto(export_scope="outer"), saver_pb2.SaverDef)))
            out.append(inner.to_proto(export_scope="elsewhere"))
            back = type(saver).from_proto(inner.to_proto(export_scope="outer"), import_scope="outer")
            out.append(str(_saver_def(back)))
            with api.Session() as sess:
                sess.run(tf.global_variables_initializer())
                out.append(outcome(again.save, sess, os.path.join(d, "via-saver-def"), write_meta_graph=False))
            del g
        return out

    tf_out, tm_out = run_both(tf1, scenario, tmp_path)
    assert tm_out == tf_out
    assert tf_out[:5] == [True, 3, "ValueError", "ValueError", "ValueError"]


def test_write_version_comes_from_saver_def(tf1):  # [72]
    v = tm.Variable(1.0, name="v")
    saver_def = tm.train.Saver([v]).saver_def
    assert tm.train.Saver(saver_def=saver_def)._write_version == saver_pb2.SaverDef.V2


@pytest.mark.parametrize("fmt", FORMATS)
def test_filename_argument_is_the_default_path(tf1, tmp_path, fmt):  # [73]
    def scenario(api, d):
        tf = api.tf
        with tf.Graph().as_default():
            v = tf.Variable(1.5, name="v")
            saver = api.Saver([v], filename=os.path.join(d, "default-name"))
            with api.Session() as sess:
                sess.run(tf.global_variables_initializer())
                result = sess.run(saver.saver_def.save_tensor_name)
        return result, _ckpt_files(api, d)

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert tm_out == tf_out == (b"<dir>/default-name", ["default-name.<ckpt>"])


def test_building_twice_gives_the_same_graph(tf1):  # [74]
    def build():
        g = tm.Graph()
        with g.as_default():
            for name in ("c", "a", "b"):
                tm.Variable(1.0, name=name, use_resource=True)
            tm.train.Saver()
        return g.as_graph_def()

    assert build() == build()


# -- G. save -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_save_return_values_and_files(tf1, tmp_path, fmt):  # [76, 77, 78, 84]
    def scenario(api, d):
        tf = api.tf
        out = []
        with tf.Graph().as_default():
            v = tf.Variable(1.0, name="v")
            step = tf.Variable(11, name="step", dtype=tf.int64)
            saver = api.Saver([v, step])
            padded = api.Saver([v, step], pad_step_number=True)
            with api.Session() as sess:
                sess.run(tf.global_variables_initializer())
                out.append(saver.save(sess, os.path.join(d, "plain")))
                out.append(saver.save(sess, os.path.join(d, "int"), global_step=7))
                out.append(saver.save(sess, os.path.join(d, "tensor"), global_step=step))
                out.append(saver.save(sess, os.path.join(d, "name"), global_step="step:0"))
                out.append(padded.save(sess, os.path.join(d, "padded"), global_step=7))
                out.append(padded.save(sess, os.path.join(d, "padded"), global_step=np.int64(123456789)))
                out.append(saver.save(sess, os.path.join(d, "nometa"), write_meta_graph=False))
                out.append(saver.save(sess, "file://" + os.path.join(d, "uri")))
                out.append(saver.save(sess, os.path.join(d, "suffix"), meta_graph_suffix="txt"))
                out.append(outcome(saver.save, "not a session", os.path.join(d, "x"))[0])
        out.append(_ckpt_files(api, d))
        return out

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert tm_out == tf_out
    assert tf_out[:6] == [
        "<dir>/plain",
        "<dir>/int-7",
        "<dir>/tensor-11",
        "<dir>/name-11",
        "<dir>/padded-00000007",
        "<dir>/padded-123456789",
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_resave_to_the_same_prefix_overwrites(tf1, tmp_path, fmt):  # [84]
    def scenario(api, d):
        tf = api.tf
        with tf.Graph().as_default():
            v = tf.Variable(1.0, name="v")
            saver = api.Saver([v])
            with api.Session() as sess:
                sess.run(tf.global_variables_initializer())
                prefix = saver.save(sess, os.path.join(d, "m"))
                sess.run(v.assign(2.0))
                saver.save(sess, prefix)
                sess.run(v.assign(3.0))
                saver.restore(sess, prefix)
                return sess.run(v), _ckpt_files(api, d)

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert tm_out == tf_out


@pytest.mark.parametrize("fmt", FORMATS)
def test_meta_file_is_binary_with_this_savers_saver_def(tf1, tmp_path, fmt):  # [79, 80]
    def scenario(api, d):
        tf = api.tf
        with tf.Graph().as_default():
            v = tf.Variable(1.0, name="v")
            tf.train.Saver([v], name="first")
            saver = api.Saver([v], name="second", max_to_keep=2)
            with api.Session() as sess:
                sess.run(tf.global_variables_initializer())
                saver.save(sess, os.path.join(d, "m"), global_step=3)
        meta = meta_graph_pb2.MetaGraphDef()
        with open(os.path.join(d, "m-3.meta"), "rb") as f:
            meta.ParseFromString(f.read())
        return str(meta.saver_def), sorted(meta.collection_def)

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert tm_out == tf_out
    assert 'restore_op_name: "second/restore_all"' in tf_out[0]


def test_meta_graph_filename_drops_the_shard_suffix():  # [79]
    name = tm.train.checkpoint_management.meta_graph_filename
    assert name("/d/model-00000-of-00002") == "/d/model.meta"
    assert name("/d/model-?????-of-00002", "txt") == "/d/model.txt"
    assert name("/d/model-7") == "/d/model-7.meta"


@pytest.mark.parametrize("fmt", FORMATS)
def test_write_state(tf1, tmp_path, fmt):  # [81]
    def scenario(api, d):
        tf = api.tf
        with tf.Graph().as_default():
            v = tf.Variable(1.0, name="v")
            saver = api.Saver([v], max_to_keep=1)
            with api.Session() as sess:
                sess.run(tf.global_variables_initializer())
                saver.save(sess, os.path.join(d, "m"), global_step=1, write_state=False)
                saver.save(sess, os.path.join(d, "m"), global_step=2, write_state=False)
                no_state = _ckpt_files(api, d)
                saver.save(sess, os.path.join(d, "m"), global_step=3, latest_filename="other")
        with open(os.path.join(d, "other")) as f:
            state = f.read()
        return no_state, saver.last_checkpoints, state, _ckpt_files(api, d)

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert tm_out == tf_out
    assert tf_out[0] == ["m-1.<ckpt>", "m-1.meta", "m-2.<ckpt>", "m-2.meta"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_latest_filename_errors(tf1, tmp_path, fmt):  # [82]
    def scenario(api, d):
        tf = api.tf
        with tf.Graph().as_default():
            v = tf.Variable(1.0, name="v")
            saver = api.Saver([v])
            with api.Session() as sess:
                sess.run(tf.global_variables_initializer())
                return [
                    outcome(saver.save, sess, os.path.join(d, "m"), latest_filename="sub/checkpoint"),
                    outcome(saver.save, sess, os.path.join(d, "checkpoint")),
                    outcome(saver.save, sess, os.path.join(d, "state"), latest_filename="state"),
                    outcome(saver.save, sess, os.path.join(d, "state"), latest_filename="state", global_step=1),
                ]

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert tm_out == tf_out
    assert tf_out[0] == ("ValueError", "'latest_filename' must not contain path components")
    assert tf_out[1][1].startswith("'latest_filename' collides with 'save_path'")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("sharded", [False, True], ids=["unsharded", "sharded"])
def test_missing_parent_directory(tf1, tmp_path, fmt, sharded):  # [83]
    def scenario(api, d):
        tf = api.tf
        with tf.Graph().as_default():
            v = tf.Variable(1.0, name="v")
            saver = api.Saver([v], sharded=sharded)
            with api.Session() as sess:
                sess.run(tf.global_variables_initializer())
                one_level = outcome(saver.save, sess, os.path.join(d, "new", "m"), write_meta_graph=False)
                two_levels = outcome(saver.save, sess, os.path.join(d, "a", "b", "m"), write_meta_graph=False)
        return one_level, two_levels, _ckpt_files(api, d)

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert tm_out == tf_out
    assert tf_out[1] == ("ValueError", "Parent directory of <dir>/a/b/m doesn't exist, can't save.")


def test_save_before_build_with_defer_build(tf1):  # [71]
    tm.Variable(1.0, name="v")
    saver = tm.train.Saver(defer_build=True)
    with tm.Session() as sess, pytest.raises(RuntimeError, match="build"):
        saver.save(sess, "/nonexistent/m")


# -- H. retention ------------------------------------------------------------------------------------------


def _retention_scenario(saver_kwargs, steps, sharded=False):
    def scenario(api, d):
        tf = api.tf
        out = []
        with tf.Graph().as_default():
            with tf.device("/cpu:0"):
                v = tf.Variable(1.0, name="v")
            with tf.device("/cpu:1" if sharded else "/cpu:0"):
                w = tf.Variable(2.0, name="w")
            saver = api.Saver([v, w], sharded=sharded, **saver_kwargs)
            with api.Session() as sess:
                sess.run(tf.global_variables_initializer())
                for step in steps:
                    saver.save(sess, os.path.join(d, "m"), global_step=step)
                    state = tf.train.get_checkpoint_state(d)
                    out.append(
                        (
                            saver.last_checkpoints,
                            list(state.all_model_checkpoint_paths),
                            state.model_checkpoint_path,
                            _ckpt_files(api, d),
                        )
                    )
        return out

    return scenario


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("sharded", [False, True], ids=["unsharded", "sharded"])
def test_max_to_keep(tf1, tmp_path, fmt, sharded):  # [86, 87, 92]
    tf_out, tm_out = run_both(tf1, _retention_scenario({"max_to_keep": 2}, [1, 2, 3, 2, 4], sharded), tmp_path, fmt)
    assert tm_out == tf_out
    last, paths, model, names = tf_out[-1]
    assert last == paths == ["<dir>/m-2", "<dir>/m-4"] and model == "<dir>/m-4"


@pytest.mark.parametrize("max_to_keep", [0, None])
def test_no_max_to_keep(tf1, tmp_path, max_to_keep):  # [88]
    scenario = _retention_scenario({"max_to_keep": max_to_keep}, [1, 2, 3])
    tf_out, tm_out = run_both(tf1, scenario, tmp_path, "safetensors")
    assert tm_out == tf_out
    assert tf_out[-1][:3] == ([], ["<dir>/m-3"], "<dir>/m-3")
    assert len(tf_out[-1][3]) == 7  # 3 checkpoints, 3 .meta and the state file


@pytest.mark.parametrize("fmt", FORMATS)
def test_history_is_per_saver(tf1, tmp_path, fmt):  # [89, 92]
    def scenario(api, d):
        tf = api.tf
        out = []
        with tf.Graph().as_default():
            v = tf.Variable(1.0, name="v")
            first = api.Saver([v], max_to_keep=2)
            second = api.Saver(saver_def=first.saver_def)
            seeded = api.Saver(saver_def=first.saver_def)
            with api.Session() as sess:
                sess.run(tf.global_variables_initializer())
                for step in (1, 2):
                    first.save(sess, os.path.join(d, "m"), global_step=step)
                for step in (3, 4, 5):
                    second.save(sess, os.path.join(d, "m"), global_step=step)
                out.append((first.last_checkpoints, second.last_checkpoints, _ckpt_files(api, d)))
                seeded.set_last_checkpoints([os.path.join(d, "m-1"), os.path.join(d, "m-2")])
                seeded.save(sess, os.path.join(d, "m"), global_step=6)
                seeded.save(sess, os.path.join(d, "m"), global_step=7)
                out.append((seeded.last_checkpoints, _ckpt_files(api, d)))
                other_dir = os.path.join(d, "elsewhere")
                os.mkdir(other_dir)
                seeded.save(sess, os.path.join(other_dir, "x"), global_step=1)
                with open(os.path.join(other_dir, "checkpoint")) as f:
                    out.append(f.read())
        return out

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert tm_out == tf_out
    # a new Saver does not know nor delete the first one's files; seeded entries are never deleted
    assert "m-1.meta" in tf_out[0][2] and "m-1.meta" in tf_out[1][1]


def test_set_last_checkpoints_requires_a_list(tf1):  # [89]
    v = tm.Variable(1.0, name="v")
    saver = tm.train.Saver([v])
    with pytest.raises(AssertionError):
        saver.set_last_checkpoints("m-1")
    with pytest.raises(AssertionError):
        saver.set_last_checkpoints_with_time(("m-1", 1.0))


@pytest.mark.parametrize("fmt", FORMATS)
def test_recover_last_checkpoints(tf1, tmp_path, fmt):  # [90]
    def scenario(api, d):
        tf = api.tf
        with tf.Graph().as_default():
            v = tf.Variable(1.0, name="v")
            saver = api.Saver([v], max_to_keep=2)
            with api.Session() as sess:
                sess.run(tf.global_variables_initializer())
                paths = [saver.save(sess, os.path.join(d, "m"), global_step=s) for s in (1, 2, 3)]
                fresh = api.Saver([v], max_to_keep=2)
                fresh.recover_last_checkpoints([*paths, os.path.join(d, "missing")])
                recovered = list(fresh.last_checkpoints)
                times_ok = all(
                    abs(t - os.stat(os.path.join(d, p.split("/")[-1] + ".meta")).st_mtime) < 60
                    for p, t in fresh._last_checkpoints
                )
                fresh.save(sess, os.path.join(d, "m"), global_step=4)
                return recovered, times_ok, fresh.last_checkpoints, _ckpt_files(api, d)

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert tm_out == tf_out
    assert tf_out[0] == ["<dir>/m-2", "<dir>/m-3"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_keep_checkpoint_every_n_hours(tf1, tmp_path, fmt, monkeypatch):  # [91]
    # TensorFlow's KeepCheckpointEveryNHoursTest: a fake clock, 0.7 s "hours", max_to_keep=2.
    clock = {"now": 1_000_000.0}
    from tensorflow.python.training import saver as tf_saver_module

    for module in (tf_saver_module, saver_lib):
        monkeypatch.setattr(module.time, "time", lambda: clock["now"])

    def scenario(api, d):
        tf = api.tf
        clock["now"] = 1_000_000.0
        out = []
        with tf.Graph().as_default():
            v = tf.Variable([10.0, 11.0], name="v")
            saver = api.Saver({"v": v}, max_to_keep=2, keep_checkpoint_every_n_hours=0.7 / 3600)
            with api.Session() as sess:
                sess.run(tf.global_variables_initializer())
                for step, advance in ((1, 0.0), (2, 1.0), (3, 0.0), (4, 0.0), (5, 0.0)):
                    clock["now"] += advance
                    saver.save(sess, os.path.join(d, "s"), global_step=step)
                    out.append((saver.last_checkpoints, _ckpt_files(api, d)))
        return out

    try:
        tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    finally:
        monkeypatch.undo()
    assert tm_out == tf_out
    # s-2 was created after the first keep time: it leaves the list but stays on disk
    assert "s-2.meta" in tf_out[-1][1] and "<dir>/s-2" not in tf_out[-1][0]


# -- I. restore --------------------------------------------------------------------------------------------


@pytest.fixture(params=[True, False], ids=["plan", "graph"])
def restore_path(request, monkeypatch):
    """Runs a test with Saver.restore's fast path and with the restore op run by the Session."""
    monkeypatch.setattr(saver_lib.Saver, "_use_restore_plan", request.param)
    return request.param


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_restore_initializes_variables(tf1, tmp_path, fmt, resource, restore_path):  # [93]
    def scenario(api, d):
        tf = api.tf
        values = {
            "f": np.arange(6, dtype=np.float32).reshape(2, 3),
            "i64": np.array([2**40, -3], dtype=np.int64),
            "b": np.array([True, False]),
            "s": np.array([b"hi", b"", b"\x00x"], dtype=object),
            "scalar": np.array(2.5, dtype=np.float64),
            "empty": np.zeros((0, 2), dtype=np.float32),
        }
        with tf.Graph().as_default():
            made = {k: tf.Variable(v, name=k, use_resource=resource) for k, v in values.items()}
            saver = api.Saver()
            with api.Session() as sess:
                sess.run(tf.global_variables_initializer())
                prefix = saver.save(sess, os.path.join(d, "m"))
        with tf.Graph().as_default():
            blank = {
                k: tf.Variable(
                    np.full_like(v, b"?") if v.dtype == object else (np.zeros_like(v) + 7).astype(v.dtype), name=k
                )
                for k, v in values.items()
            }
            saver = api.Saver()
            with api.Session() as sess:
                saver.restore(sess, prefix)  # no initializer runs first
                fresh = sess.run(blank)
                sess.run(tf.global_variables_initializer())
                saver.restore(sess, prefix)  # into initialized variables
                again = sess.run(blank)
        del made
        return fresh, again

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert tm_out == tf_out
    assert tf_out[0]["i64"] == ("ndarray", "int64", (2,), [2**40, -3])


@pytest.mark.parametrize("fmt", FORMATS)
def test_restore_argument_errors(tf1, tmp_path, fmt, restore_path):  # [94]
    def scenario(api, d):
        tf = api.tf
        with tf.Graph().as_default():
            v = tf.Variable(1.0, name="v")
            saver = api.Saver([v])
            with api.Session() as sess:
                return [
                    outcome(saver.restore, sess, None),
                    outcome(saver.restore, sess, os.path.join(d, "missing")),
                    outcome(saver.restore, sess, os.path.join(d, "missing-*")),
                ]

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert tm_out == tf_out
    assert tf_out[:2] == [
        ("ValueError", "Can't load save_path when it is None."),
        ("ValueError", "The passed save_path is not a valid checkpoint: <dir>/missing"),
    ]


def _saved(api, d, variables: dict, name="m", resource=False):
    """Saves ``{name: value}`` as variables in a fresh graph; returns the prefix."""
    tf = api.tf
    with tf.Graph().as_default():
        for key, value in variables.items():
            tf.Variable(value, name=key, use_resource=resource)
        saver = api.Saver()
        with api.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return saver.save(sess, os.path.join(d, name), write_meta_graph=False, write_state=False)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("initialized", [False, True], ids=["uninitialized", "initialized"])
@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize(
    "case", ["missing_key", "shape", "dtype", "reshape_ok", "reshape_bad", "resource_static_shape"]
)
def test_restore_mismatches(tf1, tmp_path, fmt, initialized, resource, case, restore_path):  # [95, 96, 97]
    def scenario(api, d):
        tf = api.tf
        prefix = _saved(api, d, {"a": np.array([1.0, 2.0], dtype=np.float32), "b": np.int32(3)})
        with tf.Graph().as_default():
            b = tf.Variable(0, name="b")
            kwargs = {}
            if case == "missing_key":
                a = tf.Variable([0.0, 0.0], name="c", use_resource=resource)
            elif case == "shape":
                a = tf.Variable([0.0, 0.0, 0.0], name="a", use_resource=resource)
            elif case == "dtype":
                a = tf.Variable([0, 0], name="a", use_resource=resource)
            elif case == "reshape_ok":
                a = tf.Variable([[0.0], [0.0]], name="a", use_resource=resource)
                kwargs["reshape"] = True
            elif case == "reshape_bad":
                a = tf.Variable([0.0, 0.0, 0.0], name="a", use_resource=resource)
                kwargs["reshape"] = True
            else:  # a resource variable whose static shape differs: TF refuses while building
                a = tf.Variable([[0.0, 0.0]], name="a", use_resource=resource)
            saver = outcome(api.Saver, **kwargs)
            if saver[0] != "ok":
                return saver
            saver = saver[1]
            with api.Session() as sess:
                if initialized:
                    sess.run(tf.global_variables_initializer())
                result = outcome(saver.restore, sess, prefix)
                values = [outcome(sess.run, x) for x in (a, b)]
        return result, values

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    if tf_out[0][0] == "ok" or tm_out[0][0] != tf_out[0][0]:
        assert tm_out == tf_out
    else:
        # The error and the failing variable as in TensorFlow. Other variables: TensorFlow's executor may
        # already have run their Assigns when one fails; here a failed restore changes no variable.
        assert (tm_out[0], tm_out[1][0]) == (tf_out[0], tf_out[1][0])
        untouched_b = ("ok", ("scalar", "int32", 0))
        if not initialized:
            untouched_b = ("FailedPreconditionError", "Attempting to use uninitialized value b")
        assert tm_out[1][1] == untouched_b
    if case == "missing_key":
        assert tf_out[0][0] == "NotFoundError"
        assert tf_out[0][1].startswith("Restoring from checkpoint failed. This is most likely due to a Variable name")
        assert "Key c not found in checkpoint" in tf_out[0][1]
    elif case == "dtype":
        assert "tensor_name = a; expected dtype int32 does not equal original dtype float" in tf_out[0][1]


@pytest.mark.parametrize("fmt", FORMATS)
def test_restore_dict_keys_pick_checkpoint_keys(tf1, tmp_path, fmt, restore_path):  # [98]
    def scenario(api, d):
        tf = api.tf
        with tf.Graph().as_default():
            with tf.name_scope("save_prefix"):
                v0 = tf.Variable(10.0, name="v0")
                v1 = tf.Variable(20.0, name="v1")
            saver = api.Saver({"save_prefix/v0": v0, "save_prefix/v1": v1})
            with api.Session() as sess:
                sess.run(tf.global_variables_initializer())
                prefix = saver.save(sess, os.path.join(d, "m"))
        with tf.Graph().as_default():
            with tf.name_scope("restore_prefix"):
                v0 = tf.Variable(-1.0, name="v0")
                v1 = tf.Variable(-1.0, name="v1")
            swapped = api.Saver({"save_prefix/v0": v1, "save_prefix/v1": v0})
            with api.Session() as sess:
                swapped.restore(sess, prefix)
                return sess.run([v0, v1])

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert tm_out == tf_out == [("scalar", "float32", 20.0), ("scalar", "float32", 10.0)]


# -- K. sharded saving -------------------------------------------------------------------------------------


def _sharded_scenario(restore_sharded):
    def scenario(api, d):
        tf = api.tf
        with tf.Graph().as_default():
            with tf.device("/cpu:0"):
                v0 = tf.Variable(10, name="v0")
                t0 = tf.Variable([b"k1", b"k2"], name="t0")
            with tf.device("/cpu:1"):
                v1 = tf.Variable(20.0, name="v1")
            v2 = tf.Variable([1.5, 2.5], name="v2")  # no device: the "" group
            saver = api.Saver({"v0": v0, "v1": v1, "v2": v2, "t0": t0}, sharded=True)
            with api.Session() as sess:
                sess.run(tf.global_variables_initializer())
                prefix = saver.save(sess, os.path.join(d, "m"))
                listing = files(d)
        with tf.Graph().as_default():
            v0 = tf.Variable(-1, name="v0")
            v1 = tf.Variable(-1.0, name="v1")
            v2 = tf.Variable([0.0, 0.0], name="v2")
            t0 = tf.Variable([b"", b""], name="t0")
            saver = api.Saver({"v0": v0, "v1": v1, "v2": v2, "t0": t0}, sharded=restore_sharded)
            with api.Session() as sess:
                saver.restore(sess, prefix)
                values = sess.run([v0, v1, v2, t0])
        return prefix, listing, values

    return scenario


@pytest.mark.parametrize("restore_sharded", [True, False], ids=["sharded_restore", "unsharded_restore"])
def test_sharded_save_tf_format(tf1, tmp_path, restore_sharded, restore_path):  # [100, 110, 111]
    tf_out, tm_out = run_both(tf1, _sharded_scenario(restore_sharded), tmp_path, "tf")
    assert tm_out == tf_out
    prefix, listing, _ = tf_out
    assert prefix == "<dir>/m"  # the plain prefix
    assert listing == [
        "checkpoint",
        "m.data-00000-of-00003",
        "m.data-00001-of-00003",
        "m.data-00002-of-00003",
        "m.index",
        "m.meta",
    ]
    d = tmp_path / "tm"
    header, entries = _index_entries(str(d / "m"))
    assert header.num_shards == 3
    # groups sorted by device: "" (v2), then /device:CPU:0 (t0, v0), then /device:CPU:1 (v1)
    assert {k: e.shard_id for k, e in entries.items()} == {"v2": 0, "t0": 1, "v0": 1, "v1": 2}


def _index_entries(prefix):
    from torchmeta._proto import tensor_bundle_pb2
    from torchmeta.io import sstable

    with open(prefix + ".index", "rb") as f:
        table = sstable.read_table(f.read(), prefix + ".index")
    header = tensor_bundle_pb2.BundleHeaderProto.FromString(table[0][1])
    entries = {k.decode(): tensor_bundle_pb2.BundleEntryProto.FromString(v) for k, v in table[1:]}
    return header, entries


@pytest.mark.parametrize("restore_sharded", [True, False], ids=["sharded_restore", "unsharded_restore"])
def test_sharded_save_safetensors(tf1, tmp_path, restore_sharded, restore_path):  # [100, 110]
    tf_out, tm_out = run_both(tf1, _sharded_scenario(restore_sharded), tmp_path, "safetensors")
    assert tm_out[0] == tf_out[0] and tm_out[2] == tf_out[2]
    assert tm_out[1] == ["checkpoint", "m.meta", "m.safetensors"]  # one file, merged like the V2 shards


def test_sharded_save_leaves_no_temp_directory(tf1, tmp_path):  # [110]
    for fmt in FORMATS:
        d = tmp_path / fmt
        d.mkdir()
        with tm.Graph().as_default():
            with tm.device("/cpu:0"):
                v = tm.Variable(1.0, name="v")
            with tm.device("/cpu:1"):
                w = tm.Variable(2.0, name="w")
            saver = tm.train.Saver([v, w], sharded=True, format=fmt)
            with tm.Session() as sess:
                sess.run(tm.global_variables_initializer())
                saver.save(sess, str(d / "m"), write_meta_graph=False, write_state=False)
        assert not any(name.endswith("_temp") for name in os.listdir(d)), os.listdir(d)


# -- torchmeta's format option -----------------------------------------------------------------------------


def test_format_option():
    v = tm.Variable(1.0, name="v")
    with pytest.raises(ValueError, match="format must be 'safetensors' or 'tf'"):
        tm.train.Saver([v], format="pickle")
