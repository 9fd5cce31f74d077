"""``.meta`` / ``.pb`` / ``.pbtxt`` files: reading binary then text, FormatError for every bad file, writing."""

import os

import pytest

import torchmeta as tm
from torchmeta import errors
from torchmeta._proto import graph_pb2, meta_graph_pb2
from torchmeta.io import meta_graph as mg_io


def _sample_meta_graph_def():
    with tm.Graph().as_default() as g:
        x = tm.placeholder(tm.float32, [None, 2], name="x")
        tm.add(x, 1.5, name="y")
    mgd = meta_graph_pb2.MetaGraphDef()
    mgd.graph_def.CopyFrom(g.as_graph_def(add_shapes=True))
    mgd.meta_info_def.tags.append("serve")
    mgd.collection_def["floats"].float_list.value.append(0.25)
    return mgd


def _write(path, data: bytes):
    with open(path, "wb") as f:
        f.write(data)
    return str(path)


# ---------------------------------------------------------------------------------------------
# Bad files


def test_missing_file_raises_format_error_with_tf_wording(tmp_path):
    path = str(tmp_path / "nope.meta")
    with pytest.raises(errors.FormatError, match=r"File does not exist\. Received: .*nope\.meta\.") as info:
        mg_io.read_meta_graph_file(path)
    assert isinstance(info.value, OSError)
    assert info.value.filename == path


def test_missing_graph_def_file_uses_tf_graph_wording(tmp_path):
    path = str(tmp_path / "nope.pb")
    with pytest.raises(errors.FormatError, match=r"File .*nope\.pb does not exist\."):
        mg_io.read_graph_def_file(path)


def test_directory_is_rejected(tmp_path):
    with pytest.raises(errors.FormatError, match="it is a directory"):
        mg_io.read_meta_graph_file(tmp_path)


def test_empty_file(tmp_path):
    path = _write(tmp_path / "empty.meta", b"")
    with pytest.raises(errors.FormatError, match=r"Cannot parse file .*empty\.meta: the file is empty"):
        mg_io.read_meta_graph_file(path)


def test_truncated_binary_file(tmp_path):
    data = _sample_meta_graph_def().SerializeToString(deterministic=True)
    path = _write(tmp_path / "cut.meta", data[: len(data) // 2])
    with pytest.raises(errors.FormatError, match=r"Cannot parse file .*cut\.meta: not a binary MetaGraphDef"):
        mg_io.read_meta_graph_file(path)


@pytest.mark.parametrize(
    "garbage",
    [b"\xff\xfe\x00\x01garbage\x80\x81", b"hello world, not a proto", bytes(range(256)) * 4],
    ids=["binary-noise", "plain-text", "all-bytes"],
)
def test_garbage_file(tmp_path, garbage):
    path = _write(tmp_path / "junk.meta", garbage)
    with pytest.raises(errors.FormatError, match=r"Cannot parse file .*junk\.meta: ") as info:
        mg_io.read_meta_graph_file(path)
    assert "Traceback" not in str(info.value)


def test_text_that_does_not_parse_names_the_problem(tmp_path):
    path = _write(tmp_path / "bad.pbtxt", b'meta_info_def {\n  tags: "serve"\n  no_such_field: 3\n}\n')
    with pytest.raises(errors.FormatError, match=r"Cannot parse file .*bad\.pbtxt: .*no_such_field"):
        mg_io.read_meta_graph_file(path)


def test_graph_def_garbage_and_text_errors(tmp_path):
    with pytest.raises(errors.FormatError, match="not a binary GraphDef"):
        mg_io.read_graph_def_file(_write(tmp_path / "g.pb", b"\x0a\xff\xff\xff"))
    with pytest.raises(errors.FormatError, match=r"Cannot parse file .*g\.pbtxt: .*"):
        mg_io.read_graph_def_file(_write(tmp_path / "g.pbtxt", b"node { name: 'a' op: }"))


def test_load_from_bytes_names_the_given_filename():
    with pytest.raises(errors.FormatError, match=r"Cannot parse file model\.meta: the file is empty"):
        mg_io.load(b"", filename="model.meta")


# ---------------------------------------------------------------------------------------------
# Good files


def test_binary_and_text_round_trip(tmp_path):
    mgd = _sample_meta_graph_def()
    binary = mg_io.write_meta_graph_file(mgd, tmp_path / "m.meta")
    text = mg_io.write_meta_graph_file(mgd, tmp_path / "m.pbtxt", as_text=True)
    assert binary == str(tmp_path / "m.meta")
    with open(binary, "rb") as f:
        assert f.read() == mgd.SerializeToString(deterministic=True)
    with open(text, "rb") as f:
        assert f.read().startswith(b"meta_info_def {\n")
    assert mg_io.read_meta_graph_file(binary) == mgd
    assert mg_io.read_meta_graph_file(text) == mgd
    assert mg_io.load(mg_io.save(mgd, as_text=True)) == mgd
    assert mg_io.load_file(binary) == mgd


def test_text_file_with_any_uses_the_expanded_form(tmp_path):
    from google.protobuf import any_pb2

    from torchmeta._proto import queue_runner_pb2

    packed = any_pb2.Any()
    packed.Pack(queue_runner_pb2.QueueRunnerDef(queue_name="q"))
    mgd = meta_graph_pb2.MetaGraphDef()
    mgd.collection_def["anys"].any_list.value.add().ParseFromString(packed.SerializeToString())
    path = mg_io.write_meta_graph_file(mgd, tmp_path / "any.pbtxt", as_text=True)
    with open(path) as f:
        text = f.read()
    assert "[type.googleapis.com/tensorflow.QueueRunnerDef]" in text
    assert mg_io.read_meta_graph_file(path) == mgd


def test_write_creates_parent_directories_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "a" / "b" / "c" / "model.meta"
    mg_io.write_meta_graph_file(_sample_meta_graph_def(), target)
    assert target.exists()
    assert sorted(os.listdir(target.parent)) == ["model.meta"]


def test_rewrite_replaces_the_file(tmp_path):
    path = tmp_path / "m.meta"
    _write(path, b"old contents that are longer than a tiny meta graph" * 100)
    mgd = meta_graph_pb2.MetaGraphDef()
    mgd.meta_info_def.tags.append("x")
    mg_io.write_meta_graph_file(mgd, path)
    assert mg_io.read_meta_graph_file(path) == mgd


def test_graph_def_files(tmp_path):
    with tm.Graph().as_default() as g:
        tm.constant([1.0, 2.0], name="c")
    pb = mg_io.write_graph_def_file(g, tmp_path / "g.pb")
    pbtxt = mg_io.write_graph(g, str(tmp_path), "g.pbtxt")
    assert mg_io.read_graph_def_file(pb) == g.as_graph_def()
    assert mg_io.read_graph_def_file(pbtxt) == g.as_graph_def()
    assert isinstance(mg_io.read_graph_def_file(pb), graph_pb2.GraphDef)


def test_write_graph_matches_tensorflow_bytes(tf1, tmp_path):
    """tf.io.write_graph and ours write the same bytes for the same GraphDef, text and binary."""
    with tf1.Graph().as_default() as tg:
        x = tf1.placeholder(tf1.float32, [None, 3], name="x")
        tf1.add(tf1.matmul(x, tf1.constant([[0.1], [0.2], [0.3]])), 1.0, name="y")
    tf_graph_def = tg.as_graph_def()
    ours = graph_pb2.GraphDef.FromString(tf_graph_def.SerializeToString())
    for as_text, name in ((True, "g.pbtxt"), (False, "g.pb")):
        tf_path = tf1.train.write_graph(tf_graph_def, str(tmp_path / "tf"), name, as_text=as_text)
        our_path = mg_io.write_graph(ours, str(tmp_path / "ours"), name, as_text=as_text)
        with open(tf_path, "rb") as a, open(our_path, "rb") as b:
            assert a.read() == b.read()


def test_tensorflow_text_meta_graph_parses_identically(tf1, tmp_path):
    """A text .meta written by TF reads to the same message as its binary twin, and we re-write it byte-exact."""
    with tf1.Graph().as_default():
        x = tf1.placeholder(tf1.float32, [None, 3], name="x")
        tf1.add(x, 0.1, name="y")
        tf1.add_to_collection("floats", 0.1)
        tf1.train.export_meta_graph(str(tmp_path / "tf.meta"))
        tf1.train.export_meta_graph(str(tmp_path / "tf.pbtxt"), as_text=True)
    binary = mg_io.read_meta_graph_file(tmp_path / "tf.meta")
    text = mg_io.read_meta_graph_file(tmp_path / "tf.pbtxt")
    assert binary == text
    ours = mg_io.write_meta_graph_file(text, tmp_path / "ours.pbtxt", as_text=True)
    with open(ours, "rb") as a, open(tmp_path / "tf.pbtxt", "rb") as b:
        assert a.read() == b.read()
