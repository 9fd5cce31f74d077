"""The ``torchmeta`` command: ``show``/``run`` print what TF 2.21's ``saved_model_cli`` prints; ``convert``; exit codes."""

import contextlib
import io
import os
import subprocess
import sys

import numpy as np
import pytest

import torchmeta as tm
from torchmeta import cli

from .saved_model.helpers import X, build, save

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def saved_models(tf1, tmp_path):
    """The same model saved by TensorFlow and by torchmeta: {"tf": dir, "tm": dir}, and TF's outputs."""
    dirs = {"tf": str(tmp_path / "tf"), "tm": str(tmp_path / "tm")}
    with tf1.Graph().as_default():
        model = build(tf1)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            save(tf1, sess, dirs["tf"], model)
            expected = dict(zip(("logits", "y"), sess.run([model["logits"], model["y"]], {model["x"]: X})))
    with tm.Graph().as_default():
        model = build(tm)
        with tm.Session() as sess:
            sess.run(tm.global_variables_initializer())
            save(tm, sess, dirs["tm"], model)
    return dirs, expected


def _tf_cli_output(fn, *args) -> list[str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn(*args)
    return out.getvalue().split("\n")[:-1]


def _same_listing(ours: list[str], theirs: list[str]):
    """Line for line; the op line as a set (saved_model_cli prints a Python set, in hash order)."""
    assert len(ours) == len(theirs), (ours, theirs)
    for a, b in zip(ours, theirs):
        marker = "contains the following ops: "
        if marker in b:
            assert a.split(marker)[0] == b.split(marker)[0]
            assert eval(a.split(marker)[1]) == eval(b.split(marker)[1])  # set literals of op names
        else:
            assert a == b


@pytest.mark.parametrize("which", ["tf", "tm"])
def test_show_prints_what_saved_model_cli_prints(saved_models, which):
    from tensorflow.python.tools import saved_model_cli

    export_dir = saved_models[0][which]
    _same_listing(cli.show_lines(export_dir, show_all=True), _tf_cli_output(saved_model_cli._show_all, export_dir))
    _same_listing(cli.show_lines(export_dir), _tf_cli_output(saved_model_cli._show_tag_sets, export_dir))
    _same_listing(
        cli.show_lines(export_dir, tag_set="serve"),
        _tf_cli_output(saved_model_cli._show_signature_def_map_keys, export_dir, "serve"),
    )
    _same_listing(
        cli.show_lines(export_dir, tag_set="serve", signature_def="serving_default"),
        _tf_cli_output(saved_model_cli._show_inputs_outputs, export_dir, "serve", "serving_default"),
    )
    _same_listing(
        cli.show_lines(export_dir, tag_set="extra,train", list_ops=True)[:1],
        _tf_cli_output(saved_model_cli._show_ops_in_metagraph, export_dir, "extra,train"),
    )


def _saved_model_cli(*argv) -> list[str]:
    """TF 2.21's saved_model_cli, run as its users run it (TF2 mode, its own process); its stdout lines."""
    done = subprocess.run(
        [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli", *argv],
        capture_output=True,
        text=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.split("\n")[:-1]


@pytest.mark.slow
def test_show_all_lists_tf2_concrete_functions_as_saved_model_cli(tmp_path):
    """A TF2 tf.Module SavedModel: show --all prints saved_model_cli's whole listing, its "Concrete Functions"
    section (functions by name, each concrete function's arguments: TensorSpecs, a Python default) included."""
    from .saved_model.helpers import save_tf2_module

    export_dir, _ = save_tf2_module(tmp_path)
    ours = cli.show_lines(export_dir, show_all=True)
    theirs = _saved_model_cli("show", "--all", "--dir", export_dir)
    assert "Concrete Functions:" in theirs and "  Function Name: 'extra'" in theirs
    _same_listing(ours, theirs)


@pytest.mark.slow
def test_show_all_lists_every_trace_of_a_function(tmp_path):
    """A tf.function traced three times: the same options as saved_model_cli. (It orders them by the names TF's
    loader gives them, counter values compared as strings; we list them in that counter's order, which is the
    same until the counter gains a digit between two of them.)"""
    from .saved_model.helpers import save_tf2_module

    export_dir, _ = save_tf2_module(tmp_path, traces=True)
    ours = cli.show_lines(export_dir, show_all=True)
    theirs = _saved_model_cli("show", "--all", "--dir", export_dir)

    def options(lines):
        section = lines[lines.index("  Function Name: 'features'") + 1 :]
        end = next((i for i, line in enumerate(section) if line.startswith("  Function Name:")), len(section))
        return sorted(line.strip() for line in section[:end] if "TensorSpec" in line)

    assert len(options(theirs)) == 3 and options(ours) == options(theirs)
    cut = lambda lines: lines[: lines.index("  Function Name: 'features'")]  # noqa: E731
    _same_listing(cut(ours), cut(theirs))


def test_run_prints_and_saves_tensorflows_outputs(saved_models, tmp_path, capsys):
    dirs, expected = saved_models
    np.save(tmp_path / "x.npy", X)
    for which in ("tf", "tm"):
        outdir = tmp_path / f"out-{which}"
        code = cli.main(
            [
                *("run", "--dir", dirs[which], "--tag_set", "serve", "--signature_def", "serving_default"),
                *("--inputs", f"x={tmp_path / 'x.npy'}", "--outdir", str(outdir)),
            ]
        )
        assert code == 0
        printed = capsys.readouterr().out
        for key in ("logits", "y"):
            got = np.load(outdir / f"{key}.npy")
            assert got.shape == expected[key].shape and got.dtype == expected[key].dtype
            np.testing.assert_allclose(got, expected[key], rtol=1e-6)
            assert f"Result for output key {key}:\n{got}\n" in printed
            assert f"Output {key} is saved to {outdir / (key + '.npy')}" in printed
        assert printed.index("Result for output key logits") < printed.index("Result for output key y")
    # --input_exprs: Python literals only; the second run would overwrite: refused without --overwrite
    argv = ["run", "--dir", dirs["tm"], "--tag_set", "serve", "--signature_def", "serving_default"]
    assert cli.main([*argv, "--input_exprs", f"x={X.tolist()}", "--outdir", str(tmp_path / "out-tm")]) == 1
    assert 'already exists. Add "--overwrite"' in capsys.readouterr().err
    assert (
        cli.main([*argv, "--input_exprs", f"x={X.tolist()}", "--outdir", str(tmp_path / "out-tm"), "--overwrite"]) == 0
    )
    np.testing.assert_allclose(np.load(tmp_path / "out-tm" / "y.npy"), expected["y"], rtol=1e-6)
    assert cli.main([*argv, "--input_exprs", "x=__import__('os').getcwd()"]) == 1
    assert "is not a valid python literal" in capsys.readouterr().err
    assert cli.main([*argv, "--input_exprs", "z=[1.0]"]) == 1
    assert '"z" is not a valid input key. Please choose from "x", or use --show option.' in capsys.readouterr().err


def test_bad_inputs_exit_1_with_one_line(saved_models, tmp_path, capsys):
    dirs, _ = saved_models
    missing = str(tmp_path / "nope")
    assert cli.main(["show", "--dir", missing, "--all"]) == 1
    assert (
        "SavedModel file does not exist at: " + missing + "/{saved_model.pbtxt|saved_model.pb}"
        in capsys.readouterr().err
    )
    (tmp_path / "empty").mkdir()
    assert cli.main(["show", "--dir", str(tmp_path / "empty"), "--all"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SavedModel file does not exist at: " + str(tmp_path / "empty") in err
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "saved_model.pb").write_bytes(b"\x12\xff\xff\xff\x0f")
    assert cli.main(["show", "--dir", str(tmp_path / "bad"), "--all"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Cannot parse file " + str(tmp_path / "bad" / "saved_model.pb") in err
    assert cli.main(["show", "--dir", dirs["tm"], "--tag_set", "gpu"]) == 1
    assert "MetaGraphDef associated with tag-set gpu could not be found in the SavedModel" in capsys.readouterr().err
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    argv = ["run", "--dir", dirs["tm"], "--tag_set", "serve", "--signature_def", "serving_default"]
    assert cli.main([*argv, "--inputs", f"x={tmp_path / 'obj.npy'}"]) == 1  # pickles are never loaded
    assert "only .npy and .npz files are read" in capsys.readouterr().err
    assert cli.main([*argv, "--inputs", "x=" + missing + ".npy"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_convert_checkpoints_meta_graphs_and_saved_models(tf1, tmp_path, capsys):
    with tm.Graph().as_default():
        model = build(tm)
        saver = tm.train.Saver(format="tf")
        with tm.Session() as sess:
            sess.run(tm.global_variables_initializer())
            prefix = saver.save(sess, str(tmp_path / "ckpt" / "model"), global_step=3)
            expected = sess.run(model["y"], {model["x"]: X})
    # show: a checkpoint lists its variables; a .meta its ops and collections
    assert cli.main(["show", prefix]) == 0
    printed = capsys.readouterr().out
    assert "w" in printed.split() and "b" in printed.split()
    assert cli.main(["show", prefix + ".meta"]) == 0
    printed = capsys.readouterr().out.split("\n")
    assert "MetaGraphDef with tag-set: '' contains the following SignatureDefs:" in printed
    assert "collection 'trainable_variables': 2 bytes_list" in printed
    assert any("contains the following ops: {" in line and "'MatMul'" in line for line in printed)
    # TF V2 -> safetensors -> TF V2: the same bytes back
    assert cli.main(["convert", prefix, str(tmp_path / "st" / "model"), "--quiet"]) == 0
    assert os.path.exists(tmp_path / "st" / "model.safetensors")
    assert cli.main(["convert", str(tmp_path / "st" / "model.safetensors"), str(tmp_path / "back" / "model")]) == 0
    assert (tmp_path / "back" / "model.index").read_bytes() == (tmp_path / "ckpt" / "model-3.index").read_bytes()
    # .meta -> .pbtxt -> .meta
    assert cli.main(["convert", prefix + ".meta", str(tmp_path / "model.pbtxt")]) == 0
    assert (tmp_path / "model.pbtxt").read_text().startswith("meta_info_def {")
    assert cli.main(["convert", str(tmp_path / "model.pbtxt"), str(tmp_path / "again.meta")]) == 0
    # run a .meta's tensors with a checkpoint's variables; the input keys are tensor names
    np.save(tmp_path / "x.npy", X)
    argv = ["run", prefix + ".meta", "--checkpoint", prefix, "--fetch", "y:0", "--inputs", f"x:0={tmp_path / 'x.npy'}"]
    assert cli.main([*argv, "--outdir", str(tmp_path / "meta-out")]) == 0
    assert "Result for output key y:0:" in capsys.readouterr().out
    np.testing.assert_allclose(np.load(tmp_path / "meta-out" / "y_0.npy"), expected, rtol=1e-6)
    assert cli.main([*argv[:2], *argv[4:]]) == 1  # no --checkpoint
    assert "has variables: give their values with --checkpoint" in capsys.readouterr().err
    assert cli.main([*argv[:5], "nope:0", *argv[6:]]) == 1
    assert "'nope:0' is not a tensor of" in capsys.readouterr().err
    # .meta + checkpoint -> SavedModel, which TensorFlow loads and runs
    export_dir = str(tmp_path / "export")
    argv = ["convert", prefix + ".meta", export_dir, "--checkpoint", prefix, "--input", "x=x:0", "--output", "y=y:0"]
    assert cli.main(argv) == 0
    capsys.readouterr()
    with tf1.Session(graph=tf1.Graph()) as sess:
        meta = tf1.saved_model.loader.load(sess, ["serve"], export_dir)
        sig = meta.signature_def["serving_default"]
        np.testing.assert_allclose(sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: X}), expected, rtol=1e-6)


SCRIPTS = os.path.dirname(sys.executable)  # where pip put the venv's console scripts


def _installed(name: str) -> str:
    path = os.path.join(SCRIPTS, name)
    assert os.access(path, os.X_OK), f"console script {name} is not installed in {SCRIPTS} (pip install -e .[test])"
    return path


@pytest.mark.slow
@pytest.mark.parametrize("how", ["entry point", "python -m"])
def test_console_script_subprocess_exit_codes(saved_models, tmp_path, how):
    """The installed ``torchmeta`` script (PYTHONPATH puts this checkout first, as the suite runs it) and
    ``python -m torchmeta.cli``."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    cmd = [_installed("torchmeta")] if how == "entry point" else [sys.executable, "-m", "torchmeta.cli"]
    done = subprocess.run([*cmd, "show", "--dir", saved_models[0]["tm"]], capture_output=True, text=True, env=env)
    assert done.returncode == 0
    assert done.stdout == "The given SavedModel contains the following tag-sets:\n'serve'\n'extra, train'\n"
    done = subprocess.run([*cmd, "show", "--dir", str(tmp_path)], capture_output=True, text=True, env=env)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and str(tmp_path) in done.stderr
    done = subprocess.run([*cmd, "run", "--no-such-flag"], capture_output=True, text=True, env=env)
    assert done.returncode == 2
    for sub in ("show", "run", "convert", "eject"):
        done = subprocess.run([*cmd, sub, "--help"], capture_output=True, text=True, env=env)
        assert done.returncode == 0 and "usage: torchmeta " + sub in done.stdout


def test_console_scripts_declared_in_pyproject_resolve_to_the_commands():
    """pyproject's [project.scripts] (what pip installs) name torchmeta.cli.main and the old converters' mains,
    which are the ``torchmeta convert``/``show`` aliases; the installed metadata says the same."""
    import importlib
    from importlib import metadata

    import tomllib

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        scripts = tomllib.load(f)["project"]["scripts"]
    assert scripts == {
        "torchmeta": "torchmeta.cli:main",
        "torchmeta-tf2safetensors": "converters.tf_checkpoint_to_safetensors:main",
        "torchmeta-safetensors2tf": "converters.safetensors_to_tf_checkpoint:main",
        "torchmeta-inspect": "converters.inspect_checkpoint:main",
    }
    module, attr = scripts["torchmeta"].split(":")
    assert getattr(importlib.import_module(module), attr) is cli.main
    installed = {ep.name: ep for ep in metadata.entry_points(group="console_scripts") if ep.name in scripts}
    assert {name: ep.value for name, ep in installed.items()} == scripts
    assert installed["torchmeta"].load() is cli.main
    for name in ("torchmeta-tf2safetensors", "torchmeta-safetensors2tf", "torchmeta-inspect"):
        assert name in cli.ALIASES and installed[name].load().__module__.startswith("converters.")


def test_old_converter_scripts_are_aliases_of_convert_and_show(tmp_path, capsys):
    from converters import inspect_checkpoint, safetensors_to_tf_checkpoint, tf_checkpoint_to_safetensors
    from tests.io.test_tf_checkpoint import GOLDEN, files_of

    src = str(GOLDEN / "saver" / "model-3")
    assert cli.main(["convert", src, str(tmp_path / "a" / "m"), "--to", "safetensors", "--metadata", "k=v"]) == 0
    assert tf_checkpoint_to_safetensors.main([src, str(tmp_path / "b" / "m"), "--metadata", "k=v"]) == 0
    assert capsys.readouterr().out.split("\n")[:2] == [
        f"wrote {tmp_path / 'a' / 'm.safetensors'}",
        f"wrote {tmp_path / 'b' / 'm.safetensors'}",
    ]
    # (the header's metadata map is written by safetensors in hash order: compared as read back)
    assert tm.io.SafetensorsReader(tmp_path / "a" / "m").metadata == {"k": "v"}
    assert tm.io.SafetensorsReader(tmp_path / "b" / "m").metadata == {"k": "v"}
    assert cli.main(["convert", src, str(tmp_path / "a" / "n"), "--to", "safetensors"]) == 0
    assert tf_checkpoint_to_safetensors.main([src, str(tmp_path / "b" / "n")]) == 0
    assert (tmp_path / "a" / "n.safetensors").read_bytes() == (tmp_path / "b" / "n.safetensors").read_bytes()
    assert cli.main(["convert", str(tmp_path / "a" / "m"), str(tmp_path / "c" / "model-3")]) == 0  # --to tf implied
    assert safetensors_to_tf_checkpoint.main([str(tmp_path / "b" / "m"), str(tmp_path / "d" / "model-3")]) == 0
    assert files_of(tmp_path / "c") == files_of(tmp_path / "d") == files_of(GOLDEN / "saver")
    capsys.readouterr()
    for argv in ([src], [src, "--tensor", "pv"], [str(tmp_path / "a" / "m.safetensors"), "--all-tensors"]):
        assert cli.main(["show", *argv]) == 0
        ours = capsys.readouterr().out
        assert inspect_checkpoint.main(argv) == 0
        assert capsys.readouterr().out == ours
    # the same errors, under each script's own name
    assert cli.main(["show", src, "--tensor", "zz"]) == 1
    assert capsys.readouterr().err == f"torchmeta show: error: Key zz not found in checkpoint {src}\n"
    assert inspect_checkpoint.main([src, "--tensor", "zz"]) == 1
    assert capsys.readouterr().err == f"torchmeta-inspect: error: Key zz not found in checkpoint {src}\n"


def _on_a_terminal(argv, env) -> tuple[int, str, str]:
    """Runs ``argv`` with stderr on a pseudo-terminal: (exit code, stdout, what the terminal received)."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    try:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=slave, env=env, text=True, timeout=300)
    finally:
        os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other end is closed and everything was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return done.returncode, done.stdout, b"".join(chunks).decode("utf8", "replace")


@pytest.mark.slow
def test_convert_shows_progress_on_a_terminal_only_and_quiet_silences_it(tmp_path):
    from tests.io.test_tf_checkpoint import GOLDEN
    from torchmeta.tools import convert as convert_lib

    env = dict(os.environ, PYTHONPATH=ROOT, TERM="xterm")
    src = str(GOLDEN / "saver" / "model-3")
    code, out, terminal = _on_a_terminal([_installed("torchmeta"), "convert", src, str(tmp_path / "m")], env)
    assert code == 0 and out == f"wrote {tmp_path / 'm.safetensors'}\n"
    if convert_lib.HAVE_TQDM:
        assert "reading: 100%|" in terminal and "158/158" in terminal
    else:
        assert "reading [" in terminal and "100% 158 B/158 B" in terminal
    code, out, terminal = _on_a_terminal(
        [_installed("torchmeta"), "convert", str(tmp_path / "m.safetensors"), str(tmp_path / "back"), "--quiet"], env
    )
    assert (code, out, terminal) == (0, "", "")
    assert (tmp_path / "back.index").read_bytes() == (GOLDEN / "saver" / "model-3.index").read_bytes()
    # not a terminal: no bar
    done = subprocess.run(
        [_installed("torchmeta-tf2safetensors"), src, str(tmp_path / "m2")], capture_output=True, text=True, env=env
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_show_json_details_and_tensorboard_graph(tf1, saved_models, tmp_path, capsys):
    import json

    dirs, _ = saved_models
    assert cli.main(["show", "--dir", dirs["tf"], "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    serve = next(m for m in listing["meta_graphs"] if m["tags"] == ["serve"])
    assert serve["signatures"]["serving_default"]["inputs"] == {
        "x": {"name": "x:0", "dtype": "DT_FLOAT", "shape": [-1, 3]}
    }
    assert {v["name"]: (v["shape"], v["bytes"]) for v in serve["variables"]} == {"w": ([3, 2], 24), "b": ([2], 8)}
    ops = {o["op"]: o for o in serve["ops"]}
    assert ops["VariableV2"]["count"] == 2 and all(o["supported"] for o in serve["ops"])
    assert cli.main(["show", "--dir", dirs["tm"], "--details"]) == 0
    printed = capsys.readouterr().out.split("\n")
    assert "variable w: float32 [3, 2] (24 bytes)" in printed and "op MatMul: 1" in printed
    # tensorboard-graph: an event file with the graph, read back by TensorFlow
    assert cli.main(["tensorboard-graph", dirs["tm"], str(tmp_path / "logs")]) == 0
    capsys.readouterr()
    (event_file,) = (tmp_path / "logs").iterdir()
    events = list(tf1.train.summary_iterator(str(event_file)))
    graph_defs = [e.graph_def for e in events if e.graph_def]
    assert len(graph_defs) == 1
    graph_def = tf1.GraphDef.FromString(graph_defs[0])
    assert {"x", "w", "b", "y", "logits"} <= {n.name for n in graph_def.node}


def test_saved_model_cli_runs_what_torchmeta_writes(saved_models, tmp_path, capsys):
    """TF 2.21's saved_model_cli run (its run_saved_model_with_feed_dict) on our SavedModel: TF's numbers, and our
    run prints the same layout."""
    from tensorflow.python.tools import saved_model_cli

    dirs, expected = saved_models
    saved_model_cli.run_saved_model_with_feed_dict(
        dirs["tm"], "serve", "serving_default", {"x": X}, str(tmp_path / "tf-out"), True
    )
    theirs = capsys.readouterr().out
    for key in ("logits", "y"):
        np.testing.assert_allclose(np.load(tmp_path / "tf-out" / f"{key}.npy"), expected[key], rtol=1e-6)
    argv = ["run", "--dir", dirs["tm"], "--tag_set", "serve", "--signature_def", "serving_default"]
    assert (
        cli.main([*argv, "--input_exprs", f"x={X.tolist()}", "--outdir", str(tmp_path / "tf-out"), "--overwrite"]) == 0
    )
    ours = capsys.readouterr().out
    layout = [line for line in ours.split("\n") if line.startswith(("Result for", "Output "))]
    assert layout == [line for line in theirs.split("\n") if line.startswith(("Result for", "Output "))]


def test_eject_command(saved_models, tmp_path, capsys):
    import importlib.util

    import torch

    dirs, expected = saved_models
    assert cli.main(["eject", "--dir", dirs["tf"], "--out", str(tmp_path / "plain"), "--name", "mlp"]) == 0
    assert capsys.readouterr().out.split("\n")[:2] == [
        f"wrote {tmp_path / 'plain' / 'mlp.py'}",
        f"wrote {tmp_path / 'plain' / 'mlp.safetensors'}",
    ]
    spec = importlib.util.spec_from_file_location("mlp_ejected", tmp_path / "plain" / "mlp.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with torch.no_grad():
        logits, y = module.load()(torch.from_numpy(X))
    np.testing.assert_allclose(y.numpy(), expected["y"], rtol=1e-6)
    np.testing.assert_allclose(logits.numpy(), expected["logits"], rtol=1e-6)
    assert cli.main(["eject", "--dir", dirs["tf"], "--out", str(tmp_path / "p2"), "--signature_def", "nope"]) == 1
    assert 'Could not find signature "nope"' in capsys.readouterr().err
    assert cli.main(["eject", "--out", str(tmp_path / "p3")]) == 1
    assert "eject needs --dir" in capsys.readouterr().err
