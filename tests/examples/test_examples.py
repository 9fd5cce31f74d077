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


def test_seed_tour_main_job(tmp_path):
    assert _example("seed_tour").main(["--dir", str(tmp_path)]) == 0
