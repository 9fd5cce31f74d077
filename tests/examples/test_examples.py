"""Every example runs (on the CPU) and does what it says; the plain-PyTorch path's checkpoint restores in TF."""

import importlib
import os
import sys

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
sys.path.insert(0, os.path.abspath(EXAMPLES))


def _example(name):
    return importlib.import_module(name)


def test_export_then_import_and_extend(tmp_path):
    d = str(tmp_path / "my-save-dir")
    prefix = _example("export_inference_graph").main(["--dir", d])
    assert os.path.exists(prefix + ".meta") and os.path.exists(prefix + ".safetensors")
    last = _example("import_and_extend").main(["--dir", d, "--steps", "20"])
    assert np.isfinite(last)
    assert os.path.exists(os.path.join(d, "extended-20.meta"))


def test_continue_training_resumes_where_it_stopped(tmp_path):
    resumed, final = _example("continue_training").main(["--dir", str(tmp_path), "--steps", "60", "--every", "20"])
    assert final < resumed
    kept = sorted(f for f in os.listdir(tmp_path) if f.endswith(".meta"))
    assert kept == ["my-model-20.meta", "my-model-40.meta", "my-model-60.meta"]  # max_to_keep=3


def test_hparams_come_back_from_the_latest_meta_graph(tmp_path):
    values = _example("hparams").main(["--dir", str(tmp_path)])
    assert values == [0.009999999776482582, 0.8999999761581421, 128, b"momentum"]  # floats travel as float32


def test_train_digits_reaches_stated_accuracy():
    pytest.importorskip("sklearn")
    assert _example("train_digits").main(["--epochs", "30"]) >= 0.95


def test_pytorch_path_trains_and_tensorflow_restores(tmp_path, tf1):
    out = _example("pytorch_path").main(["--dir", str(tmp_path), "--steps", "150"])
    assert out["accuracy"] > 0.5
    g = tf1.Graph()
    with g.as_default():
        saver = tf1.train.import_meta_graph(out["meta"])
        with tf1.Session(graph=g) as sess:
            saver.restore(sess, out["prefix"])
            logits = sess.run(tf1.get_collection("logits")[0], {"images:0": out["inputs"]})
    np.testing.assert_allclose(logits, out["logits"], rtol=1e-5, atol=1e-5)


def test_train_from_tfrecords_learns(tmp_path):
    assert _example("train_from_tfrecords").main(["--dir", str(tmp_path), "--epochs", "10"]) >= 0.85


def test_seed_tour_main_job(tmp_path):
    assert _example("seed_tour").main(["--dir", str(tmp_path)]) == 0


@pytest.mark.slow
def test_tf1_programs_run_unchanged_in_both_frameworks(tmp_path):
    """examples/tf1_monitored_training.py and tf1_eval_loop.py, run as written and with TensorFlow's import
    line: training, resuming from the latest checkpoint, and evaluating print the same numbers and log
    the same lines (timings masked); torchmeta's eval loop also reads TensorFlow's checkpoints."""
    import re

    from tests.programs import run_program, tf_log_lines

    def source(name):
        with open(os.path.join(EXAMPLES, name)) as f:
            return f.read()

    train, evaluate = source("tf1_monitored_training.py"), source("tf1_eval_loop.py")

    def rounded(text):
        # float32 results may differ in the last bit between the frameworks: compare 4 significant digits
        return re.sub(r"-?\d+\.\d+(e-?\d+)?", lambda m: f"{float(m.group()):.4g}", text)

    def run(framework, src, *args):
        cwd = tmp_path / framework
        cwd.mkdir(exist_ok=True)
        proc = run_program(src, framework, list(args), cwd=str(cwd))
        assert proc.returncode == 0, proc.stderr[-3000:]
        logs = [re.sub(r"\(\d+\.\d+ sec\)", "(<t> sec)", line) for line in tf_log_lines(proc.stderr)]
        logs = [rounded(line.replace(str(cwd), "<dir>")) for line in logs if "deprecat" not in line]
        return rounded(proc.stdout), logs

    results = {}
    for framework in ("torchmeta", "tensorflow"):
        train_dir = str(tmp_path / framework / "train")
        first = run(framework, train, f"--train_dir={train_dir}", "--max_steps=60", "--log_steps=20")
        resumed = run(framework, train, f"--train_dir={train_dir}", "--max_steps=100", "--log_steps=20")
        evaluated = run(framework, evaluate, f"--train_dir={train_dir}", "--eval_batches=4")
        results[framework] = (first, resumed, evaluated)
    assert results["torchmeta"] == results["tensorflow"]
    (first, _), (resumed, resumed_logs), (evaluated, _) = [r for r in results["torchmeta"]]
    assert first.startswith("step 60:") and resumed.startswith("step 100:")
    assert "INFO:tensorflow:Restoring parameters from <dir>/train/model.ckpt-60" in resumed_logs
    assert float(evaluated.split("accuracy ")[1].split(",")[0]) > 0.95
    # torchmeta evaluates TensorFlow's checkpoints
    cross = run("torchmeta", evaluate, f"--train_dir={tmp_path / 'tensorflow' / 'train'}", "--eval_batches=4")
    assert cross[0] == evaluated


@pytest.mark.slow
def test_tf1_data_training_runs_unchanged_in_both_frameworks(tmp_path):
    """examples/tf1_data_training.py (TFRecord files -> map(parse_single_example) -> shuffle -> batch -> repeat,
    an initializable and a one-shot iterator) as written and with TensorFlow's import line print the same losses
    and accuracy: in file order, and with TF's seeded shuffle over the two files read by a parallel interleave."""
    import re

    from tests.programs import run_program

    with open(os.path.join(EXAMPLES, "tf1_data_training.py")) as f:
        src = f.read()

    def run(framework, shuffle, parallel_reads=0):
        cwd = tmp_path / f"{framework}-{shuffle}"
        cwd.mkdir()
        args = [f"--data_dir={cwd / 'data'}", f"--shuffle_buffer={shuffle}", f"--parallel_reads={parallel_reads}"]
        proc = run_program(src, framework, args, cwd=str(cwd))
        assert proc.returncode == 0, proc.stderr[-3000:]
        return proc.stdout

    def numbers(text):
        return [float(v) for v in re.findall(r"-?\d+\.\d+", text)]

    for shuffle, parallel_reads in ((0, 0), (64, 2)):
        ours, theirs = run("torchmeta", shuffle, parallel_reads), run("tensorflow", shuffle, parallel_reads)
        assert [line.split(":")[0] for line in ours.splitlines()] == [
            line.split(":")[0] for line in theirs.splitlines()
        ]
        np.testing.assert_allclose(numbers(ours), numbers(theirs), rtol=1e-4)
        assert ours.splitlines()[-1].startswith("trained 24 steps; test accuracy")
        assert float(ours.split("test accuracy ")[1].split(" ")[0]) > 0.9
