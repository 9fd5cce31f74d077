"""SavedModels both ways against TensorFlow 2.21: TF1 code's SavedModelBuilder / simple_save and loader.load."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import torchmeta as tm
from torchmeta import errors
from torchmeta.io import saved_model as saved_model_io

from .helpers import X, build, save


def _run_signature(sess, meta, key="serving_default", output="y"):
    sig = meta.signature_def[key]
    return sess.run(sig.outputs[output].name, {sig.inputs["x"].name: X})


def _tf_saved_model(tf1, export_dir, asset_path=None, as_text=False):
    with tf1.Graph().as_default():
        model = build(tf1, asset_path)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            save(tf1, sess, export_dir, model, as_text=as_text)
            return sess.run(model["y"], {model["x"]: X})


def _tm_saved_model(export_dir, asset_path=None, as_text=False):
    with tm.Graph().as_default():
        model = build(tm, asset_path)
        with tm.Session() as sess:
            sess.run(tm.global_variables_initializer())
            path = save(tm, sess, export_dir, model, as_text=as_text)
            return path, sess.run(model["y"], {model["x"]: X})


@pytest.fixture
def asset_file(tmp_path):
    path = tmp_path / "src" / "vocab.txt"
    path.parent.mkdir()
    path.write_text("a\nb\nc\n")
    return str(path).encode()


@pytest.mark.parametrize("as_text", [False, True], ids=["pb", "pbtxt"])
def test_tensorflow_writes_torchmeta_loads_and_runs(tf1, tmp_path, asset_file, as_text):
    export_dir = str(tmp_path / "export")
    expected = _tf_saved_model(tf1, export_dir, asset_file, as_text=as_text)
    with tm.Session(graph=tm.Graph()) as sess:
        meta = tm.saved_model.loader.load(sess, [tm.saved_model.tag_constants.SERVING], export_dir)
        got = _run_signature(sess, meta)
        # The main op ran after the restore, with the asset tensor fed its copy under assets/.
        stored = sess.run(sess.graph.get_tensor_by_name("stored_path:0"))
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert stored == os.path.join(export_dir, "assets", "vocab.txt").encode()
    with tm.Session(graph=tm.Graph()) as sess:  # the second MetaGraph shares the variables
        meta = tm.compat.v1.saved_model.load(sess, ["extra", "train"], export_dir)
        assert not meta.signature_def
        np.testing.assert_allclose(sess.run("y:0", {"x:0": X}), expected, rtol=1e-6)


@pytest.mark.parametrize("as_text", [False, True], ids=["pb", "pbtxt"])
def test_torchmeta_writes_tensorflow_loads_and_runs(tf1, tmp_path, asset_file, as_text):
    export_dir = str(tmp_path / "export")
    path, expected = _tm_saved_model(export_dir, asset_file, as_text=as_text)
    assert path == os.path.join(export_dir, "saved_model.pbtxt" if as_text else "saved_model.pb").encode()
    assert sorted(os.listdir(export_dir)) == [
        "assets",
        "saved_model.pbtxt" if as_text else "saved_model.pb",
        "variables",
    ]
    assert sorted(os.listdir(os.path.join(export_dir, "variables"))) == [
        "variables.data-00000-of-00001",
        "variables.index",
    ]
    with open(os.path.join(export_dir, "assets", "vocab.txt")) as f:
        assert f.read() == "a\nb\nc\n"
    with tf1.Session(graph=tf1.Graph()) as sess:
        meta = tf1.saved_model.loader.load(sess, ["serve"], export_dir)
        got = _run_signature(sess, meta)
        stored = sess.run(sess.graph.get_tensor_by_name("stored_path:0"))
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert stored == os.path.join(export_dir, "assets", "vocab.txt").encode()
    with tf1.Session(graph=tf1.Graph()) as sess:
        tf1.saved_model.loader.load(sess, ["train", "extra"], export_dir)
        np.testing.assert_allclose(sess.run("y:0", {"x:0": X}), expected, rtol=1e-6)


def test_the_files_equal_tensorflows(tf1, tmp_path):
    """Same model, same values: the variables bundle is TF's byte for byte, and saved_model.pb holds the same
    tags, signatures, collections and SaverDef."""
    from tensorflow.core.protobuf import saved_model_pb2 as tf_saved_model_pb2

    _tf_saved_model(tf1, str(tmp_path / "tf"))
    _tm_saved_model(str(tmp_path / "tm"))
    for name in ("variables.index", "variables.data-00000-of-00001"):
        ours = (tmp_path / "tm" / "variables" / name).read_bytes()
        assert ours == (tmp_path / "tf" / "variables" / name).read_bytes(), name
    theirs = tf_saved_model_pb2.SavedModel.FromString((tmp_path / "tf" / "saved_model.pb").read_bytes())
    ours = saved_model_io.parse_saved_model(tmp_path / "tm")
    assert ours.saved_model_schema_version == theirs.saved_model_schema_version == 1
    assert len(ours.meta_graphs) == len(theirs.meta_graphs) == 2
    for a, b in zip(ours.meta_graphs, theirs.meta_graphs):
        assert list(a.meta_info_def.tags) == list(b.meta_info_def.tags)
        assert a.signature_def.keys() == b.signature_def.keys()
        for key in a.signature_def:
            assert a.signature_def[key].SerializeToString(deterministic=True) == b.signature_def[key].SerializeToString(
                deterministic=True
            )
        assert sorted(a.collection_def) == sorted(b.collection_def)
        assert a.saver_def.SerializeToString() == b.saver_def.SerializeToString()
        assert sorted(n.name for n in a.graph_def.node) == sorted(n.name for n in b.graph_def.node)


def test_simple_save_both_ways(tf1, tmp_path):
    with tm.Graph().as_default():
        model = build(tm)
        with tm.Session() as sess:
            sess.run(tm.global_variables_initializer())
            tm.saved_model.simple_save(sess, str(tmp_path / "tm"), {"x": model["x"]}, {"y": model["y"]})
            expected = sess.run(model["y"], {model["x"]: X})
    with tf1.Graph().as_default():
        model = build(tf1)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            tf1.saved_model.simple_save(sess, str(tmp_path / "tf"), {"x": model["x"]}, {"y": model["y"]})
    for loader_tf, load, session in (
        (tf1, tf1.saved_model.loader.load, tf1.Session),
        (tm, tm.saved_model.load, tm.Session),
    ):
        for which in ("tm", "tf"):
            with session(graph=loader_tf.Graph()) as sess:
                meta = load(sess, ["serve"], str(tmp_path / which))
                np.testing.assert_allclose(_run_signature(sess, meta), expected, rtol=1e-6)
                assert meta.signature_def["serving_default"].method_name == "tensorflow/serving/predict"


@pytest.mark.slow
def test_tensorflow2_loads_what_torchmeta_writes(tmp_path):
    """TF2's tf.saved_model.load (eager, its v1 loader) runs our signature: a fresh process, TF2 behaviour on."""
    export_dir = str(tmp_path / "export")
    _, expected = _tm_saved_model(export_dir)
    script = textwrap.dedent(
        f"""
        import os
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
        import numpy as np
        import tensorflow as tf
        loaded = tf.saved_model.load({export_dir!r}, tags=["serve"])
        out = loaded.signatures["serving_default"](x=tf.constant(np.load({str(tmp_path / "x.npy")!r})))
        np.save({str(tmp_path / "y.npy")!r}, out["y"].numpy())
        """
    )
    np.save(tmp_path / "x.npy", X)
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, timeout=300)
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), expected, rtol=1e-6)


# -- errors ---------------------------------------------------------------------------------------------------


def _tf_error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return info.value


def test_missing_saved_model_is_tensorflows_error(tf1, tmp_path):
    for export_dir in (str(tmp_path / "absent"), str(tmp_path)):
        theirs = _tf_error(
            lambda d=export_dir: tf1.saved_model.loader.load(tf1.Session(graph=tf1.Graph()), ["serve"], d)
        )
        with pytest.raises(errors.FormatError) as ours:
            tm.saved_model.loader.load(tm.Session(graph=tm.Graph()), ["serve"], export_dir)
        assert isinstance(theirs, OSError) and isinstance(ours.value, OSError)
        assert ours.value.reason == str(theirs)


def test_corrupt_saved_model_is_tensorflows_error(tf1, tmp_path):
    (tmp_path / "saved_model.pb").write_bytes(b"\x12\xff\xff\xff\x0fgarbage")
    theirs = _tf_error(lambda: tf1.saved_model.loader.load(tf1.Session(graph=tf1.Graph()), ["serve"], str(tmp_path)))
    with pytest.raises(errors.FormatError) as ours:
        tm.saved_model.loader.load(tm.Session(graph=tm.Graph()), ["serve"], str(tmp_path))
    path = str(tmp_path / "saved_model.pb")
    # TensorFlow formats the path as bytes (b'...'); the rest is word for word.
    assert str(theirs).replace(repr(path.encode()), path) == ours.value.reason
    (tmp_path / "saved_model.pb").unlink()
    (tmp_path / "saved_model.pbtxt").write_text("meta_graphs { nonsense: 1 }")
    with pytest.raises(errors.FormatError, match=r"Cannot parse file .*saved_model\.pbtxt"):
        tm.saved_model.loader.load(tm.Session(graph=tm.Graph()), ["serve"], str(tmp_path))


def test_missing_tags_is_tensorflows_error(tf1, tmp_path):
    export_dir = str(tmp_path / "export")
    _tm_saved_model(export_dir)
    theirs = _tf_error(lambda: tf1.saved_model.loader.load(tf1.Session(graph=tf1.Graph()), ["gpu"], export_dir))
    with pytest.raises(errors.MetaGraphNotFoundError) as ours:
        tm.saved_model.loader.load(tm.Session(graph=tm.Graph()), ["gpu"], export_dir)
    assert isinstance(theirs, RuntimeError) and isinstance(ours.value, RuntimeError)
    assert str(ours.value) == str(theirs)


def test_missing_variables_is_a_checkpoint_error(tmp_path):
    export_dir = str(tmp_path / "export")
    _tm_saved_model(export_dir)
    os.remove(os.path.join(export_dir, "variables", "variables.index"))
    with pytest.raises(ValueError, match=r"The passed save_path is not a valid checkpoint: .*variables/variables"):
        tm.saved_model.loader.load(tm.Session(graph=tm.Graph()), ["serve"], export_dir)


def test_builder_misuse_is_tensorflows_error(tf1, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    for module in (tf1, tm):
        with pytest.raises(AssertionError) as info:
            module.saved_model.builder.SavedModelBuilder(str(tmp_path / "full"))
        assert "already exists, and isn't empty" in str(info.value)
    messages = []
    for module, name in ((tf1, "a"), (tm, "b")):
        builder = module.saved_model.builder.SavedModelBuilder(str(tmp_path / name))
        with pytest.raises(AssertionError) as info:
            builder.add_meta_graph(["serve"])
        messages.append(str(info.value))
        with module.Graph().as_default():
            x = module.placeholder(module.float32, [2], name="x")
            sig = module.saved_model.signature_def_utils.predict_signature_def({"x": x}, {"y": x})
            with module.Session() as sess, pytest.raises(KeyError) as info:
                builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={"__saved_model_init_op": sig})
            messages.append(str(info.value))
    assert messages[:2] == messages[2:]


def test_signature_def_utils_equal_tensorflows(tf1):
    def make(module):
        x = module.placeholder(module.string, [None], name="examples")
        scores = module.placeholder(module.float32, [None, 3], name="scores")
        classes = module.placeholder(module.string, [None, 3], name="classes")
        sp = module.sparse_placeholder(module.float32, [None, 4], name="sp")
        u = module.saved_model.signature_def_utils
        sigs = [
            u.predict_signature_def({"x": x, "sp": sp}, {"scores": scores}),
            u.classification_signature_def(x, classes, scores),
            u.classification_signature_def(x, None, scores),
            u.regression_signature_def(x, module.reshape(scores, [-1], name="pred")),
            u.build_signature_def(
                {"x": module.saved_model.utils.build_tensor_info(x)},
                None,
                "custom",
                defaults={"k": module.constant([1.5, 2.0], name="k")},
            ),
        ]
        valid = [u.is_valid_signature(s) for s in sigs]
        bad = []
        for call in (
            lambda: u.predict_signature_def({}, {"s": scores}),
            lambda: u.regression_signature_def(scores, scores),
            lambda: u.classification_signature_def(x, None, None),
            lambda: u.classification_signature_def(x, scores, None),
        ):
            with pytest.raises(ValueError) as info:
                call()
            bad.append(str(info.value))
        return [s.SerializeToString(deterministic=True) for s in sigs], valid, bad

    with tf1.Graph().as_default():
        theirs = make(tf1)
    with tm.Graph().as_default():
        ours = make(tm)
    assert ours == theirs
    assert ours[1] == [True, True, True, True, False]


def test_contains_saved_model(tmp_path):
    assert not tm.saved_model.contains_saved_model(str(tmp_path))
    _tm_saved_model(str(tmp_path / "e"))
    assert tm.saved_model.contains_saved_model(str(tmp_path / "e"))
    assert tm.saved_model.maybe_saved_model_directory(tmp_path / "e")


@pytest.mark.slow
def test_tensorflow2_saved_model_signature_runs_here(tmp_path):
    """A TF2 tf.Module saved with tf.saved_model.save (functions in the library, resource variables restored by
    the library's restore function, a serving_default signature over StatefulPartitionedCall) loads with the v1
    loader and its signature runs with TF's numbers."""
    export_dir = str(tmp_path / "tf2")
    script = textwrap.dedent(
        f"""
        import os
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
        import numpy as np
        import tensorflow as tf

        class Model(tf.Module):
            def __init__(self):
                self.w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 7.0 - 0.3, name="w")
                self.b = tf.Variable([0.25, -0.5], name="b")

            @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
            def __call__(self, x):
                return {{"y": tf.nn.softmax(tf.matmul(x, self.w) + self.b)}}

        model = Model()
        tf.saved_model.save(model, {export_dir!r}, signatures=model.__call__)
        np.save({str(tmp_path / "y.npy")!r}, model(tf.constant(np.load({str(tmp_path / "x.npy")!r})))["y"].numpy())
        """
    )
    np.save(tmp_path / "x.npy", X)
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, timeout=300)
    expected = np.load(tmp_path / "y.npy")
    with tm.Session(graph=tm.Graph()) as sess:
        meta = tm.saved_model.loader.load(sess, ["serve"], export_dir)
        assert meta.HasField("object_graph_def")
        got = _run_signature(sess, meta)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_builder_options_equal_tensorflows(tf1, tmp_path):
    """A user's Saver (torchmeta's default format is safetensors: the SavedModel still gets TF's bundle),
    clear_devices, strip_default_attrs, two assets with the same base name (TF's "<name>_1"), legacy_init_op,
    and loading under an import_scope."""
    for i, text in enumerate(("a\n", "b\n")):
        (tmp_path / f"src{i}").mkdir()
        (tmp_path / f"src{i}" / "vocab.txt").write_text(text)
    paths = [str(tmp_path / f"src{i}" / "vocab.txt").encode() for i in range(2)]

    def write(module, export_dir):
        with module.Graph().as_default():
            with module.device("/cpu:0"):
                model = build(module)
            assets = [module.constant(p, name=f"asset{i}") for i, p in enumerate(paths)]
            init = module.group(module.local_variables_initializer(), name="legacy_init")
            with module.Session() as sess:
                sess.run(module.global_variables_initializer())
                b = module.saved_model.builder.SavedModelBuilder(export_dir)
                b.add_meta_graph_and_variables(
                    sess,
                    ["serve"],
                    assets_collection=assets,
                    legacy_init_op=init,
                    clear_devices=True,
                    strip_default_attrs=True,
                    saver=module.train.Saver([model["w"], model["b"]]),
                )
                b.save()

    write(tf1, str(tmp_path / "tf"))
    write(tm, str(tmp_path / "tm"))
    assert sorted(os.listdir(tmp_path / "tm" / "assets")) == sorted(os.listdir(tmp_path / "tf" / "assets"))
    assert sorted(os.listdir(tmp_path / "tm" / "assets")) == ["vocab.txt", "vocab.txt_1"]
    assert (tmp_path / "tm" / "variables" / "variables.index").read_bytes() == (
        tmp_path / "tf" / "variables" / "variables.index"
    ).read_bytes()
    ours = saved_model_io.parse_saved_model(tmp_path / "tm").meta_graphs[0]
    assert all(not n.device for n in ours.graph_def.node)
    assert "legacy_init_op" not in ours.collection_def and "saved_model_main_op" in ours.collection_def
    with tm.Session(graph=tm.Graph()) as sess:
        tm.saved_model.loader.load(sess, ["serve"], str(tmp_path / "tf"), import_scope="imported")
        got = sess.run("imported/y:0", {"imported/x:0": X})
    with tf1.Session(graph=tf1.Graph()) as sess:
        tf1.saved_model.loader.load(sess, ["serve"], str(tmp_path / "tm"), import_scope="imported")
        np.testing.assert_allclose(sess.run("imported/y:0", {"imported/x:0": X}), got, rtol=1e-6)
