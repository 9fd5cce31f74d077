"""examples/cifar10_tutorial.py (TF 1.x's models/tutorials/image/cifar10: cifar10_input, cifar10, cifar10_train and
cifar10_eval in one file) run as written (tf.app.run) in fresh processes under torchmeta and, with the import line
switched, under TensorFlow, on a small synthetic set in CIFAR-10's binary format the program writes.

With one preprocessing thread and tf.train.batch the records arrive in file order in both frameworks, and the
seeded distortions (random_crop, random_flip_left_right, random_brightness, random_contrast) draw TF's numbers:
every printed number, and the first step's summaries, must be TF's, and each framework's eval (the weights' moving
averages restored through variables_to_restore) reads the other's checkpoint to the same precision. The tutorial's
16 threads feeding shuffle_batch order the records by thread timing in TF itself, so there only the shapes,
dtypes, ranges and the training are compared."""

from __future__ import annotations

import glob
import io
import re

import numpy as np
import pytest

from tests.examples.test_tf1_programs import to_tf_checkpoint
from tests.examples.test_tutorial_programs import NUMBER, assert_same_output, run

FIXED_ORDER = ("--num_preprocess_threads=1", "--noshuffle")


def _dirs(cwd):
    return (f"--data_dir={cwd / 'data'}", f"--train_dir={cwd / 'train'}", f"--eval_dir={cwd / 'eval'}")


def _losses(text):
    return [float(v) for v in re.findall(r"^step \d+, loss = (\S+),", text, re.M)]


def _summaries(directory):
    """{(step, tag): value} of the event files in ``directory``, read by TensorFlow (images decoded)."""
    import tensorflow as tf
    from PIL import Image

    out = {}
    for path in sorted(glob.glob(f"{directory}/events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for v in event.summary.value:
                kind = v.WhichOneof("value")
                if kind == "simple_value":
                    value = v.simple_value
                elif kind == "histo":
                    value = (v.histo.num, v.histo.min, v.histo.max, v.histo.sum, v.histo.sum_squares)
                else:
                    value = np.asarray(Image.open(io.BytesIO(v.image.encoded_image_string)), dtype=np.int32)
                out[(event.step, v.tag)] = value
    return out


def _racy(tag):
    """Summaries TF computes racing the training step: the queues' fill levels, and the histograms of the
    variables and the loss averages the same run updates (``conv1/weights_1``, ``total_loss_1``)."""
    return "fraction_of_" in tag or tag.endswith("_1")


def _assert_same_summaries(ours, theirs, at_least):
    assert sorted(ours) == sorted(theirs)
    compared = 0
    for key, expected in theirs.items():
        if _racy(key[1]):
            continue
        actual = ours[key]
        if isinstance(expected, np.ndarray):
            assert actual.shape == expected.shape and np.abs(actual - expected).max() <= 1, key
        else:
            np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5, err_msg=str(key))
        compared += 1
    assert compared >= at_least


@pytest.mark.slow
def test_cifar10_in_fixed_order_is_tfs_and_each_evaluates_the_others_checkpoint(tmp_path):
    """FixedLengthRecordReader records decoded, distorted and batched by queue runners; conv, max_pool, lrn and
    weight-decayed dense layers; the losses collection and add_n; exponential_decay (staircase) into SGD;
    moving averages of the losses and the weights under tf.no_op(name='train'); MonitoredTrainingSession with
    StopAtStepHook, NanTensorHook and a SessionRunHook fetching through SessionRunArgs; image, histogram and
    scalar summaries (zero_fraction); the eval's Saver(variables_to_restore()) and in_top_k, on the test file
    and on the training files."""
    out = {
        fw: run("cifar10_tutorial", fw, tmp_path / fw, *_dirs(tmp_path / fw), *FIXED_ORDER)
        for fw in ("torchmeta", "tensorflow")
    }
    assert_same_output(out["torchmeta"], out["tensorflow"])
    first, *_, last = out["tensorflow"].splitlines()
    assert first.startswith("batch: images 16x24x24x3 float32 in [") and first.endswith("labels 16 int32 in [0, 9]")
    losses = _losses(out["tensorflow"])
    assert len(losses) == 6 and losses[-1] < losses[0] - 0.5
    assert last.startswith("step 24: precision @ 1 = ")
    assert float(re.search(r"precision @ 1 = (\S+),", last).group(1)) > 0.3  # ten classes: chance is 0.1
    _assert_same_summaries(
        _summaries(tmp_path / "torchmeta" / "train"), _summaries(tmp_path / "tensorflow" / "train"), at_least=25
    )
    _assert_same_summaries(
        _summaries(tmp_path / "torchmeta" / "eval"), _summaries(tmp_path / "tensorflow" / "eval"), at_least=10
    )

    # torchmeta evaluates TF's (sharded) checkpoint; TF evaluates torchmeta's, converted to TF's format
    evaluate = ("--notrain", *FIXED_ORDER)
    cwd = tmp_path / "tm-reads-tf"
    ours = run(
        "cifar10_tutorial",
        "torchmeta",
        cwd,
        *_dirs(cwd),
        f"--checkpoint_dir={tmp_path / 'tensorflow' / 'train'}",
        *evaluate,
    )
    assert_same_output(ours, last, rtol=1e-5)
    converted = tmp_path / "converted"
    to_tf_checkpoint(str(tmp_path / "torchmeta" / "train" / "model.ckpt-24"), str(converted / "model.ckpt-24"))
    (converted / "checkpoint").write_text('model_checkpoint_path: "model.ckpt-24"\n')
    cwd = tmp_path / "tf-reads-tm"
    theirs = run("cifar10_tutorial", "tensorflow", cwd, *_dirs(cwd), f"--checkpoint_dir={converted}", *evaluate)
    assert_same_output(theirs, out["torchmeta"].splitlines()[-1], rtol=1e-5)
    # and on the training files (eval_data=train_eval: two files through the seeded filename shuffle)
    on_train = ("--eval_data=train_eval", "--num_examples=256")
    theirs = run(
        "cifar10_tutorial", "tensorflow", cwd, *_dirs(cwd), f"--checkpoint_dir={converted}", *evaluate, *on_train
    )
    cwd = tmp_path / "tm-on-train"
    ours = run(
        "cifar10_tutorial",
        "torchmeta",
        cwd,
        *_dirs(cwd),
        f"--checkpoint_dir={tmp_path / 'torchmeta' / 'train'}",
        *evaluate,
        *on_train,
    )
    assert_same_output(ours, theirs, rtol=1e-5)
    assert ours.startswith("step 24: precision @ 1 = ")


@pytest.mark.slow
def test_cifar10_as_written_trains_in_both(tmp_path):
    """The tutorial's 16 preprocessing threads feeding shuffle_batch: the order of the records is TF's thread
    timing, so the batch's shape, dtype and standardization, the labels' range, the learning rate's decay and a
    falling loss are compared, and the program's output has the same lines."""
    out = {fw: run("cifar10_tutorial", fw, tmp_path / fw, *_dirs(tmp_path / fw)) for fw in ("torchmeta", "tensorflow")}
    masked = {fw: [re.sub(r"\d+", "<i>", NUMBER.sub("<x>", line)) for line in out[fw].splitlines()] for fw in out}
    assert masked["torchmeta"] == masked["tensorflow"]
    for text in out.values():
        batch = text.splitlines()[0]
        assert batch.startswith("batch: images 16x24x24x3 float32 in [")
        first_label, last_label = (int(v) for v in re.search(r"labels 16 int32 in \[(\d+), (\d+)\]$", batch).groups())
        assert 0 <= first_label <= last_label <= 9
        low, high, mean, std = (float(v) for v in re.findall(NUMBER, batch))
        assert -6 < low < -1 and 1 < high < 6 and mean < 1e-5 and std < 1e-5
        assert re.findall(r"learning rate (\d\.\d+)", text) == ["0.05000"] * 4 + ["0.02500"] * 2
        losses = _losses(text)
        assert all(np.isfinite(losses)) and losses[-1] < losses[0] - 0.3
