"""The checkpoint state file and checkpoint_management functions against TensorFlow's (reference items 101-109).

Each scenario calls the same functions of ``tf.compat.v1.train`` and ``torchmeta.train`` on the same files.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

import torchmeta as tm
from tests.train.helpers import Api, files, outcome, run_both

pytest.importorskip("tensorflow")

FORMATS = ["tf", "safetensors"]


def _state(state):
    """A CheckpointState (or None) as plain data."""
    if state is None:
        return None
    return (
        state.model_checkpoint_path,
        list(state.all_model_checkpoint_paths),
        list(state.all_model_checkpoint_timestamps),
        state.last_preserved_timestamp,
    )


def _save(api: Api, directory, name="model", steps=(1,), **saver_kwargs):
    tf = api.tf
    with tf.Graph().as_default():
        v = tf.Variable([1.0, 2.0], name="v")
        saver = api.Saver([v], **saver_kwargs)
        with api.Session() as sess:
            sess.run(v.initializer)
            return [saver.save(sess, os.path.join(directory, name), global_step=s) for s in steps]


@pytest.mark.parametrize("fmt", FORMATS)
def test_state_file_written_by_save(tf1, tmp_path, fmt):  # [101]
    def scenario(api, d):
        _save(api, d, steps=(1, 2, 3), max_to_keep=2)
        with open(os.path.join(d, "checkpoint")) as f:
            return f.read()

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert (
        tm_out
        == tf_out
        == (
            'model_checkpoint_path: "<dir>/model-3"\n'
            'all_model_checkpoint_paths: "<dir>/model-2"\n'
            'all_model_checkpoint_paths: "<dir>/model-3"\n'
        )
    )


def test_each_reads_the_others_state_file(tf1, tmp_path):  # [101, 104]
    (tmp_path / "by_tf").mkdir()
    (tmp_path / "by_tm").mkdir()
    _save(Api(tf1), str(tmp_path / "by_tf"), steps=(1, 2))
    _save(Api(tm, "tf"), str(tmp_path / "by_tm"), steps=(1, 2))
    for d in ("by_tf", "by_tm"):
        directory = str(tmp_path / d)
        assert _state(tm.train.get_checkpoint_state(directory)) == _state(tf1.train.get_checkpoint_state(directory))
        assert tm.train.latest_checkpoint(directory) == tf1.train.latest_checkpoint(directory)
    assert tm.train.latest_checkpoint(str(tmp_path / "by_tf")) == str(tmp_path / "by_tf" / "model-2")


def _copy(paths):
    return None if paths is None else list(paths)


@pytest.mark.parametrize(
    "args",
    [
        ("/abs/dir", "/abs/dir/model-2", ["/abs/dir/model-1"]),
        ("/abs/dir", "/abs/dir/model-2", ["/abs/dir/model-1", "/abs/dir/model-2"]),
        ("/abs/dir", "model-2", None),
        ("train", "train/model-2", ["train/model-0", "train/model-1"]),
        ("train", "/abs/model-2", ["train/model-1", "/abs/model-0"]),
        ("./train/", "./train/model-2", []),
        ("train", "other/model-2", ["../x"]),
    ],
)
def test_generate_checkpoint_state_proto(tf1, args):  # [102]
    # (TensorFlow appends to and rewrites the list it is given; each gets its own copy)
    tf_state = tf1.train.generate_checkpoint_state_proto(*args[:2], all_model_checkpoint_paths=_copy(args[2]))
    tm_state = tm.train.generate_checkpoint_state_proto(*args[:2], all_model_checkpoint_paths=_copy(args[2]))
    assert _state(tm_state) == _state(tf_state)


def test_generate_checkpoint_state_proto_timestamps(tf1):  # [102]
    kwargs = {"all_model_checkpoint_paths": ["a", "b"], "all_model_checkpoint_timestamps": [1.0, 2.0]}
    tf_state = tf1.train.generate_checkpoint_state_proto("/d", "b", last_preserved_timestamp=0.5, **kwargs)
    tm_state = tm.train.generate_checkpoint_state_proto("/d", "b", last_preserved_timestamp=0.5, **kwargs)
    assert _state(tm_state) == _state(tf_state)
    bad = {"all_model_checkpoint_paths": ["a", "b"], "all_model_checkpoint_timestamps": [1.0]}
    assert outcome(tm.train.generate_checkpoint_state_proto, "/d", "b", **bad) == outcome(
        tf1.train.generate_checkpoint_state_proto, "/d", "b", **bad
    )


def test_update_and_get_checkpoint_state(tf1, tmp_path, monkeypatch):  # [102, 104]
    def scenario(api, d):
        tf = api.tf
        monkeypatch.chdir(d)
        os.mkdir("train")
        out = []
        tf.train.update_checkpoint_state("train", "train/model-2", ["train/model-1", "train/model-2"])
        with open("train/checkpoint") as f:
            out.append(f.read())
        out.append(_state(tf.train.get_checkpoint_state("train")))
        out.append(_state(tf.train.get_checkpoint_state("./train")))
        tf.train.update_checkpoint_state(d, os.path.join(d, "abs-model"), latest_filename="other")
        with open("other") as f:
            out.append(f.read())
        out.append(_state(tf.train.get_checkpoint_state(d, latest_filename="other")))
        out.append(_state(tf.train.get_checkpoint_state(d, latest_filename="missing")))
        out.append(outcome(tf.train.update_checkpoint_state, d, os.path.join(d, "checkpoint")))
        return out

    tf_out, tm_out = run_both(tf1, scenario, tmp_path)
    assert tm_out == tf_out
    assert tf_out[2][0] == "./train/model-2"  # relative paths are joined onto the directory, keeping ./
    assert tf_out[-1][0] == "RuntimeError"  # [105]


@pytest.mark.parametrize(
    "content",
    [
        "",  # no model path
        'all_model_checkpoint_paths: "model-1"\n',
        "this is not a CheckpointState {",
        'model_checkpoint_path: "model-1"\nunknown_field: 3\n',
        'model_checkpoint_path: "../outside/model-1"\nall_model_checkpoint_paths: "../outside/model-1"\n',
        'model_checkpoint_path: "/elsewhere/model-1"\n',
        'model_checkpoint_path: "model-1"\nall_model_checkpoint_paths: "./model-0"\n',
    ],
    ids=["empty", "no_model_path", "garbage", "unknown_field", "dotdot", "absolute", "dot"],
)
def test_state_file_contents(tf1, tmp_path, content):  # [104, 106]
    def scenario(api, d):
        tf = api.tf
        with open(os.path.join(d, "checkpoint"), "w") as f:
            f.write(content)
        return outcome(lambda: _state(tf.train.get_checkpoint_state(d))), outcome(tf.train.latest_checkpoint, d)

    tf_out, tm_out = run_both(tf1, scenario, tmp_path)
    assert tm_out == tf_out


def test_dotdot_in_the_state_file_is_resolved_like_tensorflow_and_never_written_to(tf1, tmp_path):
    """A state file pointing outside its directory is data: read as TF reads it, not trusted for writes."""
    outside = tmp_path / "outside"
    outside.mkdir()
    prefix = _save(Api(tm, "tf"), str(outside), name="model")[0]
    victim = sorted(files(outside))
    train = tmp_path / "train"
    train.mkdir()
    (train / "checkpoint").write_text(f'model_checkpoint_path: "../outside/{os.path.basename(prefix)}"\n')
    expected = tf1.train.latest_checkpoint(str(train))
    assert tm.train.latest_checkpoint(str(train)) == expected == str(train / ".." / "outside" / "model-1")
    # a Saver writing into train/ (keeping 1 checkpoint) never deletes or rewrites what the state file named
    _save(Api(tm, "safetensors"), str(train), name="model", steps=(1, 2, 3), max_to_keep=1)
    assert sorted(files(outside)) == victim
    assert (outside / "model-1.index").read_bytes()
    assert tm.train.latest_checkpoint(str(train)) == str(train / "model-3")


@pytest.mark.parametrize("fmt", FORMATS)
def test_latest_checkpoint_and_checkpoint_exists(tf1, tmp_path, fmt):  # [106, 107]
    def scenario(api, d):
        tf = api.tf
        out = [tf.train.latest_checkpoint(d)]  # no state file
        prefix = _save(api, d)[0]
        out.append(tf.train.latest_checkpoint(d))
        out.append(tf.train.checkpoint_exists(prefix))
        out.append(tf.train.checkpoint_exists(os.path.join(d, "model-*")))
        out.append(tf.train.checkpoint_exists(os.path.join(d, "nothing")))
        out.append(tf.train.checkpoint_exists(os.path.join(d, "model-1.meta")))  # any exact file counts
        for name in os.listdir(d):
            if name.startswith("model-1") and not name.endswith(".meta"):
                os.remove(os.path.join(d, name))
        out.append(tf.train.latest_checkpoint(d))  # listed but its files are gone
        return out

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert tm_out == tf_out == [None, "<dir>/model-1", True, True, False, True, None]


@pytest.mark.parametrize("fmt", FORMATS)
def test_remove_checkpoint(tf1, tmp_path, fmt):  # [108]
    def scenario(api, d):
        tf = api.tf
        prefixes = _save(api, d, steps=(1, 2))
        keep = os.path.join(d, "model-1.unrelated")
        open(keep, "w").close()
        tf.train.remove_checkpoint(prefixes[0])
        tf.train.remove_checkpoint(os.path.join(d, "never-existed"))
        tf.train.remove_checkpoint(prefixes[1], meta_graph_suffix="other")  # its .meta stays
        return files(d)

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert tm_out == tf_out == ["checkpoint", "model-1.unrelated", "model-2.meta"]


def test_remove_checkpoint_deletes_either_format(tmp_path):  # [108]
    for fmt in FORMATS:
        d = tmp_path / fmt
        d.mkdir()
        prefix = _save(Api(tm, fmt), str(d), steps=(1,))[0]
        tm.train.remove_checkpoint(prefix)
        assert files(d) == ["checkpoint"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_checkpoint_mtimes(tf1, tmp_path, fmt):  # [109]
    def scenario(api, d):
        tf = api.tf
        prefixes = _save(api, d, steps=(1, 2))
        mtimes = tf.train.get_checkpoint_mtimes([prefixes[0], os.path.join(d, "missing"), prefixes[1]])
        stat = os.stat(os.path.join(d, "model-1.meta")).st_mtime
        return len(mtimes), [type(t).__name__ for t in mtimes], abs(mtimes[0] - stat) < 5

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert tm_out == tf_out == (2, ["float", "float"], True)


def test_mtimes_are_whole_seconds_like_tensorflow(tf1, tmp_path):  # [109]
    prefix = _save(Api(tm, "tf"), str(tmp_path))[0]
    assert tm.train.get_checkpoint_mtimes([prefix]) == tf1.train.get_checkpoint_mtimes([prefix])


@pytest.mark.parametrize("fmt", FORMATS)
def test_save_relative_paths_survive_a_copy(tf1, tmp_path, fmt):  # [103]
    def scenario(api, d):
        tf = api.tf
        src = os.path.join(d, "src")
        os.mkdir(src)
        with tf.Graph().as_default():
            v = tf.Variable([1.0, 2.0], name="v")
            saver = api.Saver([v], save_relative_paths=True)
            with api.Session() as sess:
                sess.run(v.initializer)
                saver.save(sess, os.path.join(src, "model"), global_step=5)
            with open(os.path.join(src, "checkpoint")) as f:
                state = f.read()
            dst = os.path.join(d, "copy")
            shutil.copytree(src, dst)
            shutil.rmtree(src)
            latest = tf.train.latest_checkpoint(dst)
            with api.Session() as sess:
                saver.restore(sess, latest)
                return state, latest, sess.run(v)

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, fmt)
    assert tm_out == tf_out
    assert tf_out[0] == 'model_checkpoint_path: "model-5"\nall_model_checkpoint_paths: "model-5"\n'


def test_file_uri_save_paths(tf1, tmp_path):  # [84]
    def scenario(api, d):
        tf = api.tf
        with tf.Graph().as_default():
            v = tf.Variable(np.float32(4.0), name="v")
            saver = api.Saver([v], max_to_keep=1)
            with api.Session() as sess:
                sess.run(v.initializer)
                first = saver.save(sess, "file://" + os.path.join(d, "uri"), global_step=1)
                second = saver.save(sess, "file://" + os.path.join(d, "uri"), global_step=2)
                with open(os.path.join(d, "checkpoint")) as f:
                    state = f.read()
                latest = tf.train.latest_checkpoint("file://" + d)
                saver.restore(sess, latest)
                exists = tf.train.checkpoint_exists(second)
        return first, second, state, latest, exists, files(d)

    tf_out, tm_out = run_both(tf1, scenario, tmp_path, "tf")
    assert tm_out == tf_out
    assert tf_out[1] == "file://<dir>/uri-2"
