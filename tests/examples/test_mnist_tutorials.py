"""TensorFlow's classic MNIST tutorials, examples/fully_connected_feed.py and examples/mnist_with_summaries.py, run
as written (tf.app.run) in a fresh process under torchmeta and, with the import line switched, under TensorFlow:
the same printed losses and precisions, event files each framework's reader (and TensorBoard's) reads alike, and
checkpoints evaluated across the frameworks."""

from __future__ import annotations

import glob
import io
import os
import re
import shutil

import numpy as np
import pytest

import torchmeta as tm
from tests.examples.test_tf1_programs import to_tf_checkpoint
from tests.examples.test_tutorial_programs import assert_same_output, run

DURATION = re.compile(r" \(\d+\.\d+ sec\)")


def _event_file(logdir):
    (path,) = glob.glob(os.path.join(str(logdir), "events.out.tfevents.*"))
    return path


def _read(path, reader):
    """The events of ``path`` as (step, what, tag, payload) with ``reader`` (a summary_iterator)."""
    from PIL import Image

    out = []
    for event in reader(path):
        what = event.WhichOneof("what")
        if what == "summary":
            for v in event.summary.value:
                kind = v.WhichOneof("value")
                if kind == "simple_value":
                    payload = v.simple_value
                elif kind == "histo":
                    h = v.histo
                    payload = (h.num, h.min, h.max, h.sum, h.sum_squares, tuple(h.bucket_limit), tuple(h.bucket))
                else:
                    image = v.image
                    pixels = np.asarray(Image.open(io.BytesIO(image.encoded_image_string)))
                    payload = (image.height, image.width, image.colorspace, pixels)
                out.append((event.step, kind, v.tag, payload))
        elif what == "graph_def":
            graph = tm.GraphDef.FromString(event.graph_def)
            out.append((event.step, what, "", [(n.name, n.op, list(n.input)) for n in graph.node]))
        elif what == "meta_graph_def":
            meta = tm.MetaGraphDef.FromString(event.meta_graph_def)
            out.append((event.step, what, "", (sorted(meta.collection_def), len(meta.graph_def.node))))
        elif what == "tagged_run_metadata":
            metadata = tm.RunMetadata.FromString(event.tagged_run_metadata.run_metadata)
            stats = {d.device: {n.node_name for n in d.node_stats} for d in metadata.step_stats.dev_stats}
            out.append((event.step, what, event.tagged_run_metadata.tag, stats))
        else:
            out.append((event.step, what, "", getattr(event, what)))
    return out


def assert_same_events(ours, theirs, unordered=()):
    """The same events in the same order; values within float32 rounding (TF's float sums are its own), but
    for the tags containing one of ``unordered``, whose values only the order of TF's ops decides."""
    assert [e[:3] for e in ours] == [e[:3] for e in theirs]
    for (step, kind, tag, a), (_, _, _, b) in zip(ours, theirs):
        where = f"step {step} {kind} {tag}"
        if any(part in tag for part in unordered):
            continue
        if kind == "simple_value":
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-7, err_msg=where)
        elif kind == "histo":
            assert a[0] == b[0], where
            np.testing.assert_allclose(a[1:5], b[1:5], rtol=1e-4, atol=1e-6, err_msg=where)
            # The same counts below every bucket edge, but a value or two rounded across an edge.
            edges = sorted(set(a[5]) | set(b[5]))
            below = [np.searchsorted(h[5], edges, side="right") for h in (a, b)]
            counts = [np.concatenate([[0.0], np.cumsum(h[6])])[i] for h, i in zip((a, b), below)]
            assert np.abs(counts[0] - counts[1]).max() <= 2, where
        elif kind == "image":
            assert a[:3] == b[:3], where
            np.testing.assert_array_equal(a[3], b[3], err_msg=where)
        elif kind == "tagged_run_metadata":
            # Both trace the step on one CPU device; torchmeta's nodes are among those TF ran (fused ones
            # and the ones TF's Grappler adds are not).
            assert list(a) == list(b) == ["/job:localhost/replica:0/task:0/device:CPU:0"], where
            (mine,), (tfs,) = a.values(), b.values()
            assert mine and mine <= tfs, (where, sorted(mine - tfs))
        else:
            assert a == b, where


def _both_readers(tf1, path):
    """``path``'s events read by TF's summary_iterator; torchmeta's reads the same events."""
    theirs = list(tf1.train.summary_iterator(path))
    ours = list(tm.train.summary_iterator(path))
    assert [e.SerializeToString() for e in ours] == [e.SerializeToString() for e in theirs]
    return _read(path, tf1.train.summary_iterator)


@pytest.mark.slow
def test_fully_connected_feed_is_tfs_events_and_checkpoints_cross(tf1, tmp_path):
    """tf.app.flags, name-scoped truncated_normal layers, GradientDescent on a global_step variable, in_top_k
    counted by do_eval over fixed-size batches, a loss summary every 10 steps through a FileWriter given
    sess.graph, the precisions as a hand-made tf.Summary, checkpoints at steps 29 and 59: the same losses, precisions and events; each framework evaluates
    the other's latest_checkpoint to its precision."""
    dirs = {fw: tmp_path / fw / "train" for fw in ("torchmeta", "tensorflow")}
    out = {
        fw: DURATION.sub("", run("fully_connected_feed", fw, tmp_path / fw, f"--train_dir={d}"))
        for fw, d in dirs.items()
    }
    assert_same_output(out["torchmeta"], out["tensorflow"])
    losses = [float(v) for v in re.findall(r"^Step \d+: loss = (\S+)", out["tensorflow"], re.M)]
    assert len(losses) == 6 and losses[-1] < losses[0] - 0.3
    assert out["tensorflow"].count("Precision @ 1: ") == 6
    assert out["tensorflow"].splitlines()[-1] == "Latest checkpoint: model.ckpt-59"
    events = {fw: _both_readers(tf1, _event_file(d)) for fw, d in dirs.items()}
    assert_same_events(events["torchmeta"], events["tensorflow"])
    precisions = [(step, f"precision/{name}") for step in (29, 59) for name in ("training", "validation", "test")]
    scalars = [(s, "loss") for s in (0, 10, 20)] + precisions[:3] + [(s, "loss") for s in (30, 40, 50)] + precisions[3:]
    assert [(e[0], e[2]) for e in events["torchmeta"] if e[1] == "simple_value"] == scalars
    # TF's train_dir evaluated by both; torchmeta's (its latest checkpoint converted) by TensorFlow.
    converted = tmp_path / "converted"
    os.makedirs(converted)
    to_tf_checkpoint(str(dirs["torchmeta"] / "model.ckpt-59"), str(converted / "model.ckpt-59"))
    shutil.copy(dirs["torchmeta"] / "model.ckpt-59.meta", converted)
    with open(converted / "checkpoint", "w") as f:
        f.write('model_checkpoint_path: "model.ckpt-59"\nall_model_checkpoint_paths: "model.ckpt-59"\n')
    test_eval = out["tensorflow"].splitlines()[-2]
    assert test_eval.startswith("  Num examples: 100  Num correct: ")
    for framework, train_dir in [
        ("torchmeta", dirs["tensorflow"]),
        ("tensorflow", dirs["tensorflow"]),
        ("tensorflow", converted),
        ("torchmeta", dirs["torchmeta"]),
    ]:
        again = run("fully_connected_feed", framework, tmp_path / "again", f"--train_dir={train_dir}", "--restore")
        assert again.splitlines() == ["Restored model.ckpt-59 at global step 60", "Test Data Eval:", test_eval]


@pytest.mark.slow
def test_mnist_with_summaries_events_are_tfs(tf1, tmp_path):
    """argparse flags through tf.app.run(argv=...), an InteractiveSession, variable_summaries (mean, stddev, max,
    min, histogram) per layer, tf.summary.image of the reshaped input, dropout behind a keep_prob placeholder,
    Adam, merge_all written by a train and a test FileWriter, FULL_TRACE runs added with add_run_metadata, a
    Saver keeping the last 2 checkpoints and latest_checkpoint restored into a new Session: the same accuracies,
    and the same events (tags, steps, values, images' pixels, traced devices) read by TF's reader, torchmeta's
    and TensorBoard's (a training step's weight summaries excepted: TF's own values there vary run to run)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    dirs = {fw: tmp_path / fw / "logs" for fw in ("torchmeta", "tensorflow")}
    out = {fw: run("mnist_with_summaries", fw, tmp_path / fw, f"--log_dir={d}") for fw, d in dirs.items()}
    assert_same_output(out["torchmeta"], out["tensorflow"])
    accuracies = [float(v) for v in re.findall(r"^Accuracy at step \d+: (\S+)", out["tensorflow"], re.M)]
    assert len(accuracies) == 4 and accuracies[-1] > accuracies[0] + 0.2
    assert "Checkpoints kept: model.ckpt-29 model.ckpt-39" in out["tensorflow"]
    assert "Adding run metadata for 39" in out["tensorflow"]
    for part in ("train", "test"):
        events = {fw: _both_readers(tf1, _event_file(d / part)) for fw, d in dirs.items()}
        # A training step's variable_summaries read the weights in the run that updates them: TF runs the
        # summary ops and Adam's in-place updates in no fixed order (in one event a histogram can count the old
        # weights and the max the new ones; two TF runs of step 1 gave histogram sums -4.24 and -11.47), where
        # torchmeta reads them all before the update. The test-set runs (no update) are compared in full.
        assert_same_events(events["torchmeta"], events["tensorflow"], ("/summaries/",) if part == "train" else ())
    tags = {e[2] for e in events["torchmeta"]}
    assert {
        "input_reshape/input/image/9",
        "layer2/biases/summaries/histogram",
        "dropout/dropout_keep_probability",
    } <= tags
    # TensorBoard reads torchmeta's logs as it reads TensorFlow's.
    loaded = {}
    for fw, d in dirs.items():
        train, test = EventAccumulator(str(d / "train")), EventAccumulator(str(d / "test"))
        train.Reload()
        test.Reload()
        loaded[fw] = (
            train.Tags()["run_metadata"],
            [(s.step, s.value) for s in train.Scalars("cross_entropy_1")],
            [(i.step, i.width, i.height) for i in test.Images("input_reshape/input/image/0")],
            [(h.step, h.histogram_value.num) for h in test.Histograms("layer1/activations")],
            len(train.RunMetadata("step019").step_stats.dev_stats),
        )
    assert loaded["torchmeta"][0] == loaded["tensorflow"][0] == ["step019", "step039"]
    np.testing.assert_allclose(loaded["torchmeta"][1], loaded["tensorflow"][1], rtol=1e-5)
    assert loaded["torchmeta"][2:] == loaded["tensorflow"][2:]
